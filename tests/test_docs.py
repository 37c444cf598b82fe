"""The documentation and the tool cannot drift apart: every command shown in README.md and docs/*.md
is one the tool accepts, the ones marked runnable run, and every page is reachable from the README.

How a fenced block is marked (the info string after the opening three backticks; a renderer shows
only the first word, so the marks stay out of the reader's way):

- ``sh``: commands a reader would type, one per line (a trailing backslash continues a line, `#`
  starts a comment). Each `newsletter-migrate ...` line must parse with the tool's own parser
  (`migrate.cli.build_parser`), name a real `--platform` and only options that platform has; each
  `make X` must be a Makefile target; any other line must start with a program from PROGRAMS.
- ``sh runnable [site=PLATFORM] [exit=N]``: also run, each block in a fresh temporary folder that
  holds the sources the docs name (SOURCES, made from tests/fixtures and samples/). With
  `site=PLATFORM`, `mysite/` is first the migration of that platform's source. A migrating command
  (`run`, `sync`, `retry-failed`) must exit N (default 0), any other command 0. The platforms' image
  hosts cannot be reached from a test (tests/netguard refuses anything but 127.0.0.1), so each `run`
  is also given a `--remap` of every host in IMAGE_HOSTS to a loopback image host (unless it remaps
  that host itself), and `127.0.0.1:8765` in a runnable block, the port the docs give a local copy
  of images, is that loopback host.
- ``yaml migrate.yaml``: loaded as a config (`migrate.config.load_config`), so a renamed key fails.
- ``yaml overrides``: loaded as an overrides file.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate.cli import build_parser, main
from migrate.config import RunOptions, load_config
from migrate.errors import UserError
from migrate.fetchers import FETCHERS, platform_names
from migrate.mappings import Problems, load_overrides_data, load_yaml
from migrate.standin import Account, StandinServer

from .support import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SAMPLES = ROOT / "samples"

# Programs a shown command may start with, besides `newsletter-migrate` and `make`.
PROGRAMS = {"export", ".", "source", "cd", "cp", "mkdir", "rsync", "hugo", "python", "pip", "git", "ls", "cat"}

# The sources the docs name, as the files a reader would have: name -> how to make it.
SOURCES = {
    "substack-export.zip": ("zip", FIXTURES / "substack" / "export"),
    "issues.json": ("copy", SAMPLES / "revue-demo" / "issues.json"),
    "revue-export.zip": ("zip", FIXTURES / "revue" / "export"),
    "saved-pages": ("pages", FIXTURES / "revue"),
    "buttondown-export.zip": ("zip", FIXTURES / "buttondown" / "kinds-export"),
    "buttondown": ("copy", FIXTURES / "buttondown" / "kinds-pull"),
    "emails.json": ("copy", FIXTURES / "buttondown" / "api-emails.json"),
    "feed.xml": ("copy", FIXTURES / "rss" / "rss2.xml"),
    "mailchimp-export.zip": ("zip", FIXTURES / "mailchimp" / "export"),
}
# `site=PLATFORM`: the source a site of that platform is first migrated from.
SITE_SOURCES = {"substack-export": "substack-export.zip", "revue-api": "issues.json",
                "buttondown-export": "buttondown-export.zip", "rss": "feed.xml"}
# Content image hosts of those sources, each remapped to the loopback image host.
IMAGE_HOSTS = ["s3.amazonaws.com", "substack-post-media.s3.amazonaws.com", "substackcdn.com",
               "assets.buttondown.email", "buttondown.imgix.net", "mcusercontent.com",
               "gallery.mailchimp.com", "media.lantern.example.com"]
LOCAL_COPY = "http://127.0.0.1:8765"
MIGRATING = {"run", "sync", "retry-failed"}


# ---------------------------------------------------------------------- reading the pages

@dataclass
class Block:
    page: Path
    line: int                 # of the opening fence, 1-based
    language: str
    marks: list[str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def mark(self, name: str) -> str | None:
        """The value of a `name=value` mark, or '' for a bare `name`, or None."""
        for mark in self.marks:
            key, sep, value = mark.partition("=")
            if key == name:
                return value if sep else ""
        return None

    def commands(self) -> list[str]:
        """The block's command lines, continuations joined, comment-only and blank lines left out."""
        commands, pending = [], ""
        for raw in self.text.splitlines():
            line = pending + raw.strip()
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            if line and not line.startswith("#"):
                commands.append(line)
        return commands


_FENCE = re.compile(r"^```(\S*)(.*)$")


def blocks_of(page: Path) -> list[Block]:
    found, current, body = [], None, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line)
        if current is None and fence:
            current, body = (number, fence.group(1), fence.group(2).split()), []
        elif current is not None and line.startswith("```"):
            found.append(Block(page, current[0], current[1], current[2], "\n".join(body) + "\n"))
            current = None
        elif current is not None:
            body.append(line)
    assert current is None, f"{page.name}: a code block opened at line {current[0]} is never closed"
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]
SHELL = [block for block in BLOCKS if block.language == "sh"]
RUNNABLE = [block for block in SHELL if block.mark("runnable") is not None]


def words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def tool_commands(block: Block) -> list[list[str]]:
    return [words(c)[1:] for c in block.commands() if words(c)[:1] == ["newsletter-migrate"]]


# ---------------------------------------------------------------------- every command parses

def _parse(argv: list[str], where: str):
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: `newsletter-migrate {shlex.join(argv)}` is refused by the tool's parser (see its error above)")


def _check_platform(args, where: str) -> None:
    platform = getattr(args, "platform", None)
    if not platform:
        return
    assert platform in platform_names(), f"{where}: --platform {platform} is not a platform ({', '.join(sorted(FETCHERS))})"
    fetcher = FETCHERS[platform]
    options = {}
    for spec in args.platform_option:
        name, _, value = spec.partition("=")
        assert name in fetcher.platform_options, (
            f"{where}: --platform-option {name} is not an option of {platform} (it has: {', '.join(fetcher.platform_options) or 'none'})")
        options[name] = value
    try:
        fetcher.check_options(options)
    except UserError as exc:
        pytest.fail(f"{where}: {platform} refuses the options shown: {exc}")


@pytest.mark.parametrize("block", SHELL, ids=lambda b: b.where)
def test_every_shown_command_is_one_the_tool_accepts(block):
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    for command in block.commands():
        argv = words(command)
        if not argv:
            continue
        if argv[0] == "newsletter-migrate":
            _check_platform(_parse(argv[1:], block.where), block.where)
        elif argv[0] == "make":
            assert set(argv[1:]) <= targets, f"{block.where}: `{command}` names no Makefile target"
        else:
            assert argv[0] in PROGRAMS or "=" in argv[0], f"{block.where}: `{command}` starts with an unknown program"


def test_a_misspelt_flag_in_the_docs_would_fail():
    """The parse above is a real check: the parser refuses what a renamed flag would leave behind."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sync", "--site", "mysite", "--retry"])
    args = build_parser().parse_args(["run", "--platform", "substack-export", "--platform-option", "audiences=x"])
    with pytest.raises(AssertionError, match="not an option of substack-export"):
        _check_platform(args, "here")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language == "yaml" and b.marks[:1] == ["migrate.yaml"]],
                         ids=lambda b: b.where)
def test_every_migrate_yaml_shown_loads_as_a_config(block, tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text(block.text, encoding="utf-8")
    load_config(config, RunOptions())


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language == "yaml" and b.marks[:1] == ["overrides"]],
                         ids=lambda b: b.where)
def test_every_overrides_block_shown_loads(block, tmp_path):
    path = tmp_path / "overrides.yaml"
    path.write_text(block.text, encoding="utf-8")
    problems = Problems()
    overrides = load_overrides_data(load_yaml(path, problems), path.name, problems)
    problems.raise_if_any(block.where)
    assert overrides


# ---------------------------------------------------------------------- the docs cover the tool

def _all_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in PAGES)


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_every_command_is_shown_in_the_docs():
    shown = {argv[0] for block in SHELL for argv in tool_commands(block) if argv}
    missing = set(_subparsers()) - shown
    assert not missing, f"commands never shown in README.md or docs/: {', '.join(sorted(missing))}"


def test_every_option_of_every_command_is_documented():
    text = _all_text()
    missing = sorted({f"{name} {flag}" for name, sub in _subparsers().items() for action in sub._actions
                      for flag in action.option_strings if flag.startswith("--") and flag != "--help"
                      and not re.search(re.escape(flag) + r"(?![\w-])", text)})
    assert not missing, f"options documented nowhere in README.md or docs/: {', '.join(missing)}"


@pytest.mark.parametrize("platform", platform_names())
def test_every_platform_has_a_page_with_its_command_and_every_option(platform):
    pages = {block.page for block in SHELL for argv in tool_commands(block)
             if block.page.parent == DOCS and argv[:1] == ["run"] and _platform_of(argv) == platform}
    assert pages, f"no docs/ page shows `newsletter-migrate run --platform {platform}`"
    missing = {page.name: [name for name in FETCHERS[platform].platform_options
                           if f"`{name}" not in page.read_text(encoding="utf-8")] for page in pages}
    best = min(missing, key=lambda name: len(missing[name]))
    assert not missing[best], f"{best} does not document {platform}'s option(s): {', '.join(missing[best])}"


def _platform_of(argv: list[str]) -> str | None:
    return argv[argv.index("--platform") + 1] if "--platform" in argv[:-1] else None


# ---------------------------------------------------------------------- pages and links

def test_readme_is_a_quick_start_opening_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200, f"README.md has {len(lines)} lines; the quick start stays under 200 (move detail to docs/)"
    first = next(block for block in BLOCKS if block.page == README)
    assert [words(c) for c in first.commands()] == [["make", "demo"], ["make", "test"]]
    assert not any(line.strip() and not line.startswith("#") for line in lines[:first.line - 1][1:])


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return _LINK.findall(text)


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(README.parent / link.split("#")[0]).resolve() for link in _links(README) if "://" not in link}
    missing = [page.name for page in DOCS.glob("*.md") if page.resolve() not in linked]
    assert not missing, f"docs/ pages the README does not link: {', '.join(missing)}"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_between_pages_leads_somewhere(page):
    broken = []
    for link in _links(page):
        if "://" in link or link.startswith("mailto:"):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(link)
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(link)
    assert not broken, f"{page.name}: links that lead nowhere: {', '.join(broken)}"


def test_github_anchor_is_computed_as_github_does():
    assert github_anchor("Images on dead hosts: `--remap`") == "images-on-dead-hosts---remap"
    assert github_anchor("The to-do: *Needs attention*") == "the-to-do-needs-attention"


# ---------------------------------------------------------------------- the runnable blocks run

def test_the_readme_example_and_every_platform_page_run():
    """The runnable mark is used where it matters, not left off everywhere."""
    assert any(block.page == README for block in RUNNABLE)
    pages = {block.page.name for block in RUNNABLE}
    assert {"substack.md", "revue.md", "buttondown.md", "mailchimp.md", "rss.md"} <= pages


def make_sources(folder: Path) -> None:
    for name, (how, origin) in SOURCES.items():
        target = folder / name
        if how == "zip":
            with zipfile.ZipFile(target, "w") as archive:
                for path in sorted(origin.rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(origin).as_posix())
        elif how == "pages":
            target.mkdir()
            for page in origin.glob("page-*.html"):
                shutil.copy(page, target / page.name)
        elif origin.is_dir():
            shutil.copytree(origin, target)
        else:
            shutil.copy(origin, target)


@pytest.fixture(scope="module")
def image_host():
    with StandinServer(Account(issues=lambda: [])) as server:
        yield server


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, image_host):
    """platform -> a site migrated from its source (made once; each block gets a copy)."""
    folder = tmp_path_factory.mktemp("docs-sources")
    make_sources(folder)
    sites = {}

    def site(platform: str) -> Path:
        if platform not in sites:
            where = folder / f"site-{platform}"
            argv = ["run", "--platform", platform, "--source", str(folder / SITE_SOURCES[platform]),
                    "--site", str(where), "--quiet", *remaps(image_host, [])]
            assert main(argv) == 0, f"the site for site={platform} could not be made"
            sites[platform] = where
        return sites[platform]

    return site


def remaps(image_host, argv: list[str]) -> list[str]:
    given = {spec.split("=", 1)[0].rstrip("/") for flag, spec in zip(argv, argv[1:]) if flag == "--remap"}
    extra = []
    for host in IMAGE_HOSTS:
        if f"https://{host}" not in given:
            extra += ["--remap", f"https://{host}={image_host.url}/{host}"]
    return extra


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.where)
def test_runnable_block_runs_as_shown(block, tmp_path, monkeypatch, capsys, image_host, migrated):
    make_sources(tmp_path)
    platform = block.mark("site")
    if platform:
        assert platform in SITE_SOURCES, f"{block.where}: site={platform} names no source this test can migrate"
        shutil.copytree(migrated(platform), tmp_path / "mysite")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    expected = int(block.mark("exit") or 0)
    for command in block.commands():
        command = command.replace(LOCAL_COPY, image_host.url)
        argv = words(command)
        if argv[0] == "export":
            for assignment in argv[1:]:
                monkeypatch.setenv(*assignment.split("=", 1))
            continue
        if argv[0] == "newsletter-migrate":
            argv = argv[1:]
            if argv[0] == "run":
                argv += remaps(image_host, argv)
            status = main(argv)
            out, err = capsys.readouterr()
            want = expected if argv[0] in MIGRATING else 0
        else:
            done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
            status, out, err, want = done.returncode, done.stdout, done.stderr, 0
        assert status == want, f"{block.where}: `{command}` exited {status}, not {want}\n{out}\n{err}"
        assert "Traceback" not in out + err, f"{block.where}: `{command}` printed a traceback\n{err}"
