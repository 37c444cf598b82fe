"""`newsletter-migrate check`: lint a migrated site the way a careful author would before publishing.

The Markdown is read with a CommonMark parser (markdown-it-py, with footnotes as Goldmark has them),
so links, images and raw HTML are found as the site generator will find them, not by
pattern-matching the text.
"""
from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from . import yamldata
from .assets import sniff_image
from .imageformats import browser_shows, describe
from .cleaners.unsafe import ACTIVE_ELEMENTS, SCRIPT_SCHEMES, scheme_of
from .dom import LAYOUT_BLOCKS, LAYOUT_INLINE, markup_in
from .errors import UserError
from .mappings import Mappings, load_mappings, parse_date
from .state import StateStore
from .svg import svg_problem
from .urls import BadOldPath, alias_form, host_of, old_path, query_names
from .writer import INCOMING_SUFFIX

# Mailchimp-style merge tags, as written (*|FNAME|*) or escaped in Markdown (\*|FNAME|\*).
_MERGE_TAG = re.compile(r"\\?\*\|[^|\n]{1,80}\|\\?\*")
_EMPHASISED_TAG = re.compile(r"\|[^|\n]{1,80}\|")
LAYOUT_TAGS = (LAYOUT_BLOCKS - {"body", "caption", "colgroup", "col"}) | {"span", "font", "center", "table"}


@dataclass(frozen=True)
class PlatformRules:
    """What `check` looks for in a file from these platforms."""

    title_suffixes: tuple[str, ...]
    leftover_links: tuple[str, ...]
    leftover_text: tuple[str, ...]
    pixels: tuple[str, ...]

    @classmethod
    def of(cls, platforms: list) -> "PlatformRules":
        return cls(tuple(s.strip() for p in platforms for s in p.title_suffixes if s.strip()),
                   tuple(s.lower() for p in platforms for s in p.leftover_links),
                   tuple(s.lower() for p in platforms for s in p.leftover_text),
                   tuple(s.lower() for p in platforms for s in p.pixels))


def _platforms_of_files(site: Path) -> dict[str, str]:
    """Each content file the tool wrote, by site-relative path, and the platform it came from."""
    state = StateStore.open_existing(site, read_only=True)
    if state is None:
        return {}
    try:
        return {row.output_path: row.platform for row in state.issues()}
    finally:
        state.close()


@dataclass(frozen=True)
class Finding:
    file: str
    rule: str
    message: str

    def line(self) -> str:
        return f"{self.file}: {self.rule}: {self.message}"


def split_front_matter(text: str) -> tuple[str | None, str]:
    """The YAML between the first two `---` lines, and the body after them."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return None, text
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    return None, text


def _strings(data, where: str = "") -> list[tuple[str, str]]:
    """Every string in front matter, with the field it is in (`aliases[2]`, `params.x`)."""
    if isinstance(data, str):
        return [(where, data)]
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in _strings(value, f"{where}.{key}" if where else str(key))]
    if isinstance(data, list):
        return [found for i, value in enumerate(data) for found in _strings(value, f"{where}[{i}]")]
    return []


class SiteChecker:
    def __init__(self, site: Path, mappings: Mappings):
        self.site = Path(site)
        self.mappings = mappings
        self.findings: list[Finding] = []
        self.aliases: dict[str, list[str]] = defaultdict(list)
        # Footnotes as Hugo's Goldmark reads them: a note's links and text are checked like the rest.
        self.parser = MarkdownIt("commonmark").use(footnote_plugin)
        self.parser.validateLink = lambda url: True  # see every link, dangerous ones included
        # Each file is held to its own platform's leftovers (the state says which platform wrote
        # it); a file the tool did not write, to every platform's.
        self.platform_of = _platforms_of_files(self.site)
        self.rules = {name: PlatformRules.of([mapping]) for name, mapping in mappings.platforms.items()}
        self.any_platform = PlatformRules.of(list(mappings.platforms.values()))
        self.current = self.any_platform

    def add(self, file: str, rule: str, message: str) -> None:
        self.findings.append(Finding(file, rule, message))

    # ------------------------------------------------------------------ the site
    def run(self) -> list[Finding]:
        content = self.site / "content"
        files = sorted(content.rglob("*.md"))
        if not files:
            self.add("content", "site", "holds no Markdown files")
        for path in files:
            self.check_file(path)
        for waiting in sorted(content.rglob(f"*{INCOMING_SUFFIX}")):
            name = str(waiting.relative_to(self.site))
            self.add(name, "conflict", f"a newer version of {waiting.name[:-len(INCOMING_SUFFIX)]} waits here; merge it into your edited file and delete it")
        for alias, owners in sorted(self.aliases.items()):
            if len(owners) > 1:
                self.add(owners[1], "aliases", f"alias {alias} is also claimed by {', '.join(o for o in owners if o != owners[1])}")
        return self.findings

    def check_file(self, path: Path) -> None:
        name = str(path.relative_to(self.site))
        self.current = self.rules.get(self.platform_of.get(path.relative_to(self.site).as_posix(), ""), self.any_platform)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.add(name, "encoding", "is not UTF-8")
            return
        head, body = split_front_matter(text)
        if head is None:
            self.add(name, "front-matter", "has no YAML front matter between --- lines")
        else:
            self.check_front_matter(name, head)
        self.check_body(name, path, body)

    # ------------------------------------------------------------------ front matter
    def check_front_matter(self, name: str, head: str) -> None:
        try:
            data = yamldata.load(head, aliases=True)
        except yamldata.YamlRefused as exc:
            self.add(name, "front-matter", f"was not read: {exc}")
            return
        except yaml.YAMLError as exc:
            self.add(name, "front-matter", f"is not valid YAML ({getattr(exc, 'problem', exc)})")
            return
        if not isinstance(data, dict):
            self.add(name, "front-matter", "is not a mapping of fields")
            return
        for field_name, value in _strings(data):
            tags = markup_in(value)
            if tags:
                self.add(name, "markup", f"{field_name} holds markup ({', '.join(f'<{t}>' for t in tags)}): front matter is text, "
                         "and a theme that shows it as HTML would run it; write it as plain text")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            self.add(name, "title", "is missing or empty")
        else:
            if html.unescape(title) != title:
                self.add(name, "title", f"holds HTML entities: {title!r}")
            if title != title.strip() or "\n" in title:
                self.add(name, "title", f"has stray whitespace: {title!r}")
            for suffix in self.current.title_suffixes:
                if title.rstrip().endswith(suffix):
                    self.add(name, "title", f"ends with the platform suffix {suffix!r}")
        if "date" not in data and not data.get("draft"):
            self.add(name, "date", "has no date; give it one with an override")
        if "date" in data:
            try:
                if parse_date(data["date"]) is None:
                    raise ValueError
            except ValueError:
                self.add(name, "front-matter", f"date {data['date']!r} is not a date")
        if "number" in data and (isinstance(data["number"], bool) or not isinstance(data["number"], int)):
            self.add(name, "front-matter", f"number {data['number']!r} is not a whole number")
        if "draft" in data and not isinstance(data["draft"], bool):
            self.add(name, "front-matter", "draft must be true or false")
        aliases = data.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.startswith("/") for a in aliases):
            self.add(name, "aliases", "must be a list of paths starting with /")
        else:
            for alias in aliases:
                self.check_alias(name, alias)
                self.aliases[alias.rstrip("/") or "/"].append(name)

    def check_alias(self, name: str, alias: str) -> None:
        """An alias as the tool would record it: one no server can serve, or one it would write
        otherwise (`..` segments, an escape Hugo would write literally), is named."""
        try:
            written = alias_form(old_path(alias))
        except BadOldPath as exc:
            self.add(name, "aliases", f"alias {alias!r} cannot be served: {exc}")
            return
        if written != alias:
            self.add(name, "aliases", f"alias {alias!r} would be written {written!r} (the path Hugo writes and a server looks up)")

    # ------------------------------------------------------------------ body
    def check_body(self, name: str, path: Path, body: str) -> None:
        tokens = self.parser.parse(body)
        for token in tokens:
            if token.type in ("html_block",):
                self.check_raw_html(name, path, token.content)
            for child in token.children or []:
                if child.type == "link_open":
                    self.check_url(name, child.attrGet("href") or "", "link")
                elif child.type == "image":
                    self.check_image(name, path, child.attrGet("src") or "")
                elif child.type == "html_inline":
                    self.check_raw_html(name, path, child.content)
        # Text rules look at what a reader sees, after Markdown's own escapes and emphasis, and
        # not in code, where a post about a platform shows its syntax as written.
        page = BeautifulSoup(self.parser.renderer.render(tokens, self.parser.options, {}), "lxml")
        for code in page.find_all(["code", "pre"]):
            code.decompose()
        seen = page.get_text(" ")
        lowered = " ".join(seen.split()).lower()
        for leftover in self.current.leftover_text:
            if leftover in lowered:
                self.add(name, "chrome", f"still holds the platform's text {leftover.strip()!r}")
        # An unescaped *|TAG|* reads as emphasis around |TAG|.
        if _MERGE_TAG.search(seen) or any(_EMPHASISED_TAG.fullmatch(el.get_text()) for el in page.find_all(["em", "strong"])):
            self.add(name, "chrome", "still holds a merge tag (*|...|*)")

    def check_raw_html(self, name: str, path: Path, fragment: str) -> None:
        soup = BeautifulSoup(fragment, "lxml")
        for el in soup.find_all(True):
            if el.name in ("html", "body", "head"):
                continue
            if el.name in ACTIVE_ELEMENTS:
                self.add(name, "unsafe", f"raw <{el.name}> element")
            elif el.name in LAYOUT_TAGS or el.name in LAYOUT_INLINE:
                self.add(name, "layout-html", f"raw <{el.name}> element in the Markdown")
            for attr in el.attrs:
                if attr.lower().startswith("on"):
                    self.add(name, "unsafe", f"event handler {attr} on <{el.name}>")
            if el.name == "a" and el.get("href"):
                self.check_url(name, el["href"], "link")
            if el.name == "img":
                self.check_image(name, path, el.get("src") or "")

    def check_url(self, name: str, url: str, kind: str) -> None:
        scheme = scheme_of(url)
        if scheme.startswith(SCRIPT_SCHEMES):
            self.add(name, "unsafe", f"{kind} to a {scheme.split(':', 1)[0]}: URL")
            return
        lowered = url.lower()
        for leftover in self.current.leftover_links:
            if leftover in lowered:
                self.add(name, "chrome", f"{kind} to platform chrome: {url}")
                break
        host = host_of(url)
        for param in query_names(url):
            if self.mappings.tracking.is_tracking(param, host):
                self.add(name, "tracking", f"{kind} still carries {param}: {url}")
                break

    def check_image(self, name: str, path: Path, src: str) -> None:
        self.check_url(name, src, "image")
        lowered = src.lower()
        if any(p in lowered for p in self.current.pixels):
            self.add(name, "chrome", f"tracking pixel: {src}")
        if lowered.startswith(("http://", "https://", "//")):
            self.add(name, "remote-image", f"image is still remote: {src}")
            return
        if lowered.startswith("data:"):
            return  # reported as unsafe by check_url
        local_path = unquote(urlsplit(src).path)
        candidates = [self.site / "static" / local_path.lstrip("/"), self.site / local_path.lstrip("/")] if local_path.startswith("/") \
            else [path.parent / local_path]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            self.add(name, "broken-image", f"image {src} is not in the site")
        else:
            kind = sniff_image(found.read_bytes()[:4096])
            if kind is None:
                self.add(name, "broken-image", f"image {src} is not an image file")
            elif not browser_shows(kind):
                self.add(name, "broken-image", f"image {src} is {describe(kind)}, which most browsers cannot show; "
                                               "convert it to JPEG or PNG")
            elif kind == "svg" and (problem := svg_problem(found.read_bytes())):
                self.add(name, "unsafe", f"image {src}: {problem}")


def check_site(site: Path, mappings_dir: Path | None = None) -> list[Finding]:
    """Every finding in a migrated site; an empty list means it is ready to publish.

    A path that is not a site folder at all is a setup error (UserError), not a finding."""
    site = Path(site)
    what = "does not exist" if not site.exists() else "is not a folder" if not site.is_dir() else \
        "has no content/ folder" if not (site / "content").is_dir() else None
    if what:
        raise UserError(f"{site} {what}; give check the site folder a migration wrote into (its --site).")
    return SiteChecker(site, load_mappings(mappings_dir)).run()


def format_findings(findings: list[Finding], as_json: bool = False, site: Path | None = None) -> str:
    if as_json:
        return json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False)
    if not findings:
        return f"{site or 'The site'}: no findings."
    rules = defaultdict(int)
    for finding in findings:
        rules[finding.rule] += 1
    summary = ", ".join(f"{count} {rule}" for rule, count in sorted(rules.items()))
    return "\n".join([f.line() for f in findings] + [f"{len(findings)} finding(s): {summary}."])
