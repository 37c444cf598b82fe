"""Server-side redirects from every old path to its issue's new page.

The map comes from what the migration recorded in the state store (each issue's old paths, and
its earlier site URLs if it moved), not from the front matter as it stands now, so an alias lost
by a later edit is still redirected and still verified. Rules are path-based: they go on the new
host, and an old host the author controls (a custom domain the newsletter used) must be pointed
at it; the report names them. The platforms' own hosts (the `hosts:` of mappings/platforms/*.yaml,
each with its subdomains: getrevue.co, <name>.substack.com, mailchi.mp, ...) cannot be pointed at
anyone's site: they are named apart, as links that keep working only while the platform serves them.

An old URL no path rule can serve (its identity is in its query string, as Mailchimp's
campaign-archive URLs are, or it is a short link on the platform's own host) is listed apart, as
`unserved`, with the page it now leads to: for the record, and for fixing links elsewhere.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from .aliases import AliasGuard, Owner, list_of, page_key
from .errors import UserError
from .state import StateStore
from .urls import _PATH_SAFE, BadOldPath, alias_form, host_matches, old_path
from .writer import site_url

FORMATS = ("netlify", "cloudflare", "nginx", "apache", "vercel", "csv", "json")
CLOUDFLARE_STATIC_LIMIT = 2000
CLOUDFLARE_LINE_LIMIT = 1000
VERCEL_LIMIT = 1024  # redirects in vercel.json; more need Vercel's bulk redirects (csv or json here)


@dataclass(frozen=True)
class Redirect:
    old_path: str
    new_url: str
    issue_id: str
    title: str | None


@dataclass(frozen=True)
class Unserved:
    old_url: str
    new_url: str
    issue_id: str
    title: str | None


@dataclass
class RedirectMap:
    redirects: list[Redirect]
    old_hosts: list[str]  # hosts the author controls (custom domains): to point at the new site
    clashes: list[str]  # old paths two issues claim; only the first issue keeps them
    unserved: list[Unserved] = field(default_factory=list)  # old URLs no path rule can serve
    platform_hosts: list[str] = field(default_factory=list)  # the platforms' own hosts: nobody can point them
    nothing: str | None = None  # when there is no rule at all: why, in one sentence
    pages: list[tuple[str, str]] = field(default_factory=list)  # each issue's page (site URL) and its id
    lists: list[str] = field(default_factory=list)  # the section lists the pages are listed in (`/issues/`)


def _normal(path: str) -> str:
    """An old path as a key: its one spelling (see urls.old_path), without a trailing slash.
    Paths recorded before that spelling existed are brought to it here. BadOldPath when no
    server can serve it."""
    return old_path(path).rstrip("/") or "/"


def _rule_path(path: str, also_encoded: str = "") -> str:
    """A path as a rule's field: in its one spelling (no whitespace, quote or control character
    can split or end the field), with `also_encoded` characters percent-encoded too."""
    return quote(old_path(path), safe="".join(ch for ch in _PATH_SAFE if ch not in also_encoded))


def platforms_own_hosts(mappings_root: Path | None = None) -> tuple[str, ...]:
    """The hosts the platforms themselves serve (each with its subdomains), from the `hosts:` of
    mappings/platforms/*.yaml: no author can point one of them at a site of their own."""
    from .mappings import load_mappings  # here: the command line imports this module for FORMATS alone

    mappings = load_mappings(mappings_root)
    return tuple(sorted({host.lower() for mapping in mappings.platforms.values() for host in mapping.hosts}))


def host_advice(old_hosts: list[str], platform_hosts: list[str]) -> list[str]:
    """What to do about the old hosts: point the author's own at the new site; say plainly that
    the platforms' own cannot be, so old links there live only as long as the platform serves them."""
    lines = []
    if old_hosts:
        lines.append("Old hosts to point at the new site, where they are your own domains (their DNS, once the platform's "
                     "custom-domain setting lets go of them): " + ", ".join(old_hosts))
    if platform_hosts:
        lines.append(f"Old links on {', '.join(platform_hosts)} (the platform's own, which no one else can point at "
                     "a site) cannot be redirected by you: they keep working only as long as the platform serves them, "
                     "and the Wayback Machine may hold copies.")
    return lines


def _url_options(platforms: set[str]) -> list[str]:
    """The platform options that give a source the issues' URLs it lacks (by their names: `url`,
    `*_url`), of every fetcher of these platforms, with the fetcher's own words for them."""
    from .fetchers import get_fetcher, platform_names

    found = []
    for name in platform_names():
        fetcher = get_fetcher(name)
        if fetcher.platform in platforms:
            found += [f"--platform-option {option}=… ({name}: {what})"
                      for option, what in fetcher.platform_options.items() if option == "url" or option.endswith("_url")]
    return found


def _why_nothing(rows: list, unserved: list[Unserved]) -> str:
    """Why a site has no old path to redirect or check, in one sentence that says what to do."""
    if not rows:
        return "Nothing to redirect or check: the migration recorded no issue in this site; run `newsletter-migrate run` into it."
    if any(row.old_paths or row.previous_urls for row in rows):
        return "Nothing to redirect or check: every old path the migration recorded is its issue's new page itself."
    if unserved:
        return (f"Nothing to redirect or check: the migration recorded no old path, only {len(unserved)} old URL(s) that no "
                "path rule can serve (their identity is in a query string, or they are short links on the platform's own "
                "host); `redirects --format json` lists them under `unserved`.")
    options = _url_options({row.platform for row in rows})
    hint = f"; to record them, run again with {' or '.join(options)}" if options else ""
    return ("Nothing to redirect or check: the migration recorded no old path, because its source gave no issue URLs "
            f"(as an account export gives none){hint}.")


def redirect_map(site: Path, mappings_root: Path | None = None) -> RedirectMap:
    """Every old path the migration recorded, with the site URL of the issue it now leads to."""
    state = StateStore.open_existing(site, read_only=True)
    if state is None:
        raise UserError(f"{Path(site)} has no .migrate/state.sqlite; run `newsletter-migrate run` into it first.")
    try:
        rows = [row for row in state.issues() if not row.gone]
    finally:
        state.close()
    redirects: dict[str, Redirect] = {}
    clashes: list[str] = []
    hosts: set[str] = set()
    unserved: list[Unserved] = []
    # An old path over a page of the site is no redirect (a run refuses one; a state an earlier
    # version wrote may hold one): the page stays what it is.
    guard = AliasGuard()
    for row in rows:
        guard.add_page(Owner(row.platform, row.source_id, row.title), row.output_path)
    for row in sorted(rows, key=lambda r: (r.output_path, r.source_id)):
        target = site_url(row.output_path)
        paths = set()
        for path in row.old_paths:
            try:
                paths.add(_normal(path))
            except BadOldPath:
                pass
        for url in row.old_urls:
            parts = urlsplit(url)
            try:
                served = not parts.query and _normal(parts.path) in paths
            except BadOldPath:
                served = False
            if not served:
                unserved.append(Unserved(url, target, row.source_id, row.title))
            elif parts.hostname:
                hosts.add(parts.hostname.lower())
        for path in [*row.old_paths, *row.previous_urls]:
            try:
                old = _normal(path)
            except BadOldPath as exc:
                clashes.append(f"{path!r}, an old path of issue {row.source_id}, is not redirected: {exc}")
                continue
            if old == target.rstrip("/") or old == target:
                continue  # an old path that is the new page itself needs no redirect
            taken = guard.what_is(page_key(old), Owner(row.platform, row.source_id, row.title))
            if taken:
                clashes.append(f"{old}, an old path of issue {row.source_id}, is {taken}; it is not redirected, and its "
                               f"alias must go from the issue's front matter (`newsletter-migrate sync` takes it out)")
                continue
            known = redirects.get(old)
            if known is None:
                redirects[old] = Redirect(old, target, row.source_id, row.title)
            elif known.issue_id != row.source_id:
                clashes.append(f"{old} is an old path of issues {known.issue_id} and {row.source_id}; it leads to {known.new_url}")
    own = platforms_own_hosts(mappings_root)
    pages = sorted((site_url(row.output_path), row.source_id) for row in rows)
    lists = sorted({section + "/" for section in (list_of(url) for url, _ in pages) if section})
    return RedirectMap(sorted(redirects.values(), key=lambda r: r.old_path), sorted(h for h in hosts if not host_matches(h, own)),
                       clashes, unserved, sorted(h for h in hosts if host_matches(h, own)),
                       None if redirects else _why_nothing(rows, unserved), pages, lists)


# ---------------------------------------------------------------------- formats

def _netlify(rules: RedirectMap) -> str:
    lines = ["# Old newsletter paths and their new pages (newsletter-migrate). Netlify _redirects."]
    # `:name` and `*` are placeholders and splats in a _redirects path: encoded, they are characters.
    lines += [f"{_rule_path(r.old_path, ':*')}  {_rule_path(r.new_url)}  301" for r in rules.redirects]
    return "\n".join(lines) + "\n"


def _cloudflare(rules: RedirectMap) -> str:
    if len(rules.redirects) > CLOUDFLARE_STATIC_LIMIT:
        raise UserError(f"Cloudflare Pages allows {CLOUDFLARE_STATIC_LIMIT:,} static redirects in _redirects and this site needs "
                        f"{len(rules.redirects):,}; use Cloudflare's Bulk Redirects with --format csv instead.")
    lines = [f"{_rule_path(r.old_path, ':*')} {_rule_path(r.new_url)} 301" for r in rules.redirects]
    too_long = [line for line in lines if len(line) > CLOUDFLARE_LINE_LIMIT]
    if too_long:
        raise UserError(f"Cloudflare Pages allows {CLOUDFLARE_LINE_LIMIT:,} characters a line in _redirects and "
                        f"{len(too_long)} rule(s) are longer (the first starts {too_long[0][:60]!r}); use --format csv for Bulk Redirects.")
    return "# Old newsletter paths and their new pages (newsletter-migrate). Cloudflare Pages _redirects.\n" + "\n".join(lines) + "\n"


def _nginx_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx(rules: RedirectMap) -> str:
    # nginx matches $uri, which it has already percent-decoded and normalised; so are the keys.
    entries = []
    for r in rules.redirects:
        decoded = alias_form(old_path(r.old_path))
        target = _rule_path(r.new_url, "$")  # a `$` in a map's value would name a variable
        entries += [(key, target) for key in dict.fromkeys([decoded, decoded + "/"] if decoded != "/" else [decoded])]
    # nginx keeps map keys in a hash whose buckets must fit the longest key (in bytes).
    longest = max((len(key.encode("utf-8")) for key, _ in entries), default=0)
    bucket = 64
    while bucket < longest + 32:
        bucket *= 2
    lines = [
        "# Old newsletter paths and their new pages (newsletter-migrate).",
        "# Include this file inside the http {} block, and add to the server {} block:",
        "#     if ($newsletter_migrate_target) { return 301 $newsletter_migrate_target; }",
        f"map_hash_bucket_size {bucket};",
        f"map_hash_max_size {max(2048, 2 * len(entries))};",
        "map $uri $newsletter_migrate_target {",
        '    default "";',
    ]
    lines += [f"    {_nginx_string(key)} {_nginx_string(target)};" for key, target in entries]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _apache_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _apache(rules: RedirectMap) -> str:
    # mod_alias compares the decoded URL-path with the rule's, so the old path is written decoded.
    lines = ["# Old newsletter paths and their new pages (newsletter-migrate). Apache mod_alias, for .htaccess",
             "# or the server config. Redirect matches whole path segments, so /archive/4 never catches /archive/41."]
    lines += [f"Redirect 301 {_apache_string(alias_form(old_path(r.old_path)))} {_apache_string(_rule_path(r.new_url))}"
              for r in rules.redirects]
    return "\n".join(lines) + "\n"


_VERCEL_SPECIAL = set(":*?()+[]{}\\!")


def _vercel_source(path: str) -> str:
    # Vercel reads `source` as a path-to-regexp pattern: its special characters must be escaped.
    return "".join("\\" + ch if ch in _VERCEL_SPECIAL else ch for ch in path)


def _vercel(rules: RedirectMap) -> str:
    if len(rules.redirects) > VERCEL_LIMIT:
        raise UserError(f"vercel.json takes {VERCEL_LIMIT:,} redirects and this site needs {len(rules.redirects):,}; "
                        "use Vercel's bulk redirects with --format csv or --format json instead.")
    entries = [{"source": _vercel_source(_rule_path(r.old_path)), "destination": _rule_path(r.new_url), "permanent": True}
               for r in rules.redirects]
    return json.dumps({"redirects": entries}, indent=2, ensure_ascii=False) + "\n"


def _csv(rules: RedirectMap) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "destination", "status", "issue_id", "title"])
    for r in rules.redirects:
        writer.writerow([_rule_path(r.old_path), _rule_path(r.new_url), 301, r.issue_id, r.title or ""])
    return out.getvalue()


def _json(rules: RedirectMap) -> str:
    data = {"redirects": [asdict(r) for r in rules.redirects], "old_hosts": rules.old_hosts,
            "platform_hosts": rules.platform_hosts, "clashes": rules.clashes, "unserved": [asdict(u) for u in rules.unserved]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"netlify": _netlify, "cloudflare": _cloudflare, "nginx": _nginx, "apache": _apache,
             "vercel": _vercel, "csv": _csv, "json": _json}


def render_redirects(rules: RedirectMap, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise UserError(f"Unknown redirect format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    return RENDERERS[fmt](rules)
