"""The data the pipeline reads from mappings/: tracking parameters, the cleaning chain, each
platform's selectors, and per-newsletter overrides.

Everything is validated before a run starts, and every problem is reported at once. A run reads
only the platform it migrates (each platform's file is read the first time it is asked for); the
cleaning chain's names and the sections that platform modules add are validated where those
modules are known: `migrate.cleaners.check_mappings`, which the run calls before it writes anything.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .errors import ConfigError, UserError, did_you_mean
from .urls import url_key

DEFAULT_MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"


class Problems:
    """Collects validation problems with the place they were found."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self, source: str) -> None:
        if self.items:
            raise ConfigError(source, self.items)


# libyaml's loader where PyYAML was built with it: the same safe subset, several times faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path, problems: Problems) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name} line {mark.line + 1}" if mark else path.name
        problems.add(where, f"is not valid YAML ({getattr(exc, 'problem', exc)})")
    except UnicodeDecodeError:
        problems.add(path.name, "is not UTF-8 text")
    return None


def _check_keys(data: dict, allowed: set[str], where: str, problems: Problems) -> None:
    for key in data:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            problems.add(where, f"unknown key {key!r}{'; ' + hint if hint else ''} (expected one of: {', '.join(sorted(allowed))})")


def _string_list(value: Any, where: str, problems: Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, "must be a list of strings")
        return []
    return list(value)


def _selector_list(value: Any, where: str, problems: Problems) -> list[str]:
    selectors = _string_list(value, where, problems)
    for sel in selectors:
        _check_selector(sel, where, problems)
    return selectors


def _check_selector(sel: str, where: str, problems: Problems) -> bool:
    """Whether a selector is valid: judged by migrate.selectors where it is plain (most are), by
    compiling it with soupsieve where it is not (soupsieve keeps what it compiled for the cleaner
    that uses it)."""
    from .selectors import check_selector  # here: commands that read no mapping never import bs4

    problem = check_selector(sel)
    if problem:
        problems.add(where, f"invalid CSS selector {sel!r} ({problem})")
        return False
    return True


# --------------------------------------------------------------------------- tracking

@dataclass(frozen=True)
class TrackingRules:
    """Which query parameter names are tracking, everywhere or on given hosts."""

    names: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()
    by_host: tuple[tuple[str, frozenset[str]], ...] = ()

    def is_tracking(self, name: str, host: str | None) -> bool:
        lowered = name.lower()
        if lowered in self.names or any(fnmatch.fnmatchcase(lowered, p) for p in self.patterns):
            return True
        if host:
            host = host.lower()
            for suffix, names in self.by_host:
                if (host == suffix or host.endswith("." + suffix)) and lowered in names:
                    return True
        return False


def _load_tracking(path: Path, problems: Problems) -> TrackingRules:
    data = load_yaml(path, problems) if path.exists() else None
    if data is None:
        problems.add(path.name, "is missing or empty; it must list tracking parameters under `params:`")
        return TrackingRules()
    if not isinstance(data, dict):
        problems.add(path.name, "must be a mapping with `params:` and optional `hosts:`")
        return TrackingRules()
    _check_keys(data, {"params", "hosts"}, path.name, problems)
    params = [p.lower() for p in _string_list(data.get("params"), f"{path.name} params", problems)]
    by_host = []
    hosts = data.get("hosts") or {}
    if not isinstance(hosts, dict):
        problems.add(f"{path.name} hosts", "must map a host to a list of parameter names")
        hosts = {}
    for host, names in hosts.items():
        names = _string_list(names, f"{path.name} hosts.{host}", problems)
        by_host.append((str(host).lower(), frozenset(n.lower() for n in names)))
    return TrackingRules(
        names=frozenset(p for p in params if not any(c in p for c in "*?[")),
        patterns=tuple(p for p in params if any(c in p for c in "*?[")),
        by_host=tuple(sorted(by_host)),
    )


# --------------------------------------------------------------------------- cleaning chain

@dataclass(frozen=True)
class ChainEntry:
    name: str
    enabled: bool = True
    options: dict = field(default_factory=dict)
    where: str = ""            # "cleaners.yaml chain[3]", for messages


def _load_chain(path: Path, problems: Problems) -> list[ChainEntry]:
    """The chain as written; its names are checked against the cleaners' registry where the chain
    is built (migrate.cleaners), so this module needs no cleaner to read it."""
    data = load_yaml(path, problems) if path.exists() else None
    if not isinstance(data, dict) or not isinstance(data.get("chain"), list):
        problems.add(path.name, "must hold a `chain:` list of cleaners")
        return []
    chain = []
    for i, entry in enumerate(data["chain"]):
        where = f"{path.name} chain[{i}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.add(where, "must be a cleaner name or a mapping with `name:`")
            continue
        _check_keys(entry, {"name", "enabled", "options"}, where, problems)
        options = entry.get("options") or {}
        if not isinstance(options, dict):
            problems.add(where, "`options` must be a mapping")
            options = {}
        chain.append(ChainEntry(entry["name"], bool(entry.get("enabled", True)), options, where))
    return chain


# --------------------------------------------------------------------------- platforms

@dataclass(frozen=True)
class FieldSelector:
    select: str
    attr: str | None = None


@dataclass(frozen=True)
class BlockRule:
    select: str
    tag: str
    wrap: str | None = None


@dataclass(frozen=True)
class ClosestRule:
    of: str
    closest: str


# Sections of a platform mapping that a platform's own modules define: name -> loader. A loader
# takes the section's YAML value, where it is (for messages) and the problems list, and returns
# the parsed section; so a new platform adds its data without this module knowing it.
SectionLoader = Callable[[Any, str, "Problems"], Any]
SECTIONS: dict[str, SectionLoader] = {}


def register_section(name: str) -> Callable[[SectionLoader], SectionLoader]:
    def add(loader: SectionLoader) -> SectionLoader:
        SECTIONS[name] = loader
        return loader
    return add


@dataclass
class PlatformMapping:
    name: str
    hosts: list[str] = field(default_factory=list)
    title_suffixes: list[str] = field(default_factory=list)
    generic_titles: list[str] = field(default_factory=list)
    pages: dict[str, Any] = field(default_factory=dict)
    blocks: list[BlockRule] = field(default_factory=list)
    link_domain_lines: list[str] = field(default_factory=list)
    chrome_remove: list[str] = field(default_factory=list)
    chrome_remove_closest: list[ClosestRule] = field(default_factory=list)
    pixels: list[str] = field(default_factory=list)
    embed_hosts: list[str] = field(default_factory=list)
    dead_redirectors: list[str] = field(default_factory=list)
    leftover_links: list[str] = field(default_factory=list)
    leftover_text: list[str] = field(default_factory=list)
    # Sections that platform modules define (footnote_markup, image_cdn, ...), as written; each is
    # read by its registered loader the first time it is asked for.
    raw_sections: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    where: str = ""

    def field_selectors(self, name: str) -> list[FieldSelector]:
        return list(self.pages.get(name, []))

    def section(self, name: str, default: Any = None) -> Any:
        if name not in self.sections and name in self.raw_sections:
            problems = Problems()
            self.sections[name] = self._read_section(name, problems)
            problems.raise_if_any(f"The mapping {self.where}")
        return self.sections.get(name, default)

    def _read_section(self, name: str, problems: Problems) -> Any:
        loader = SECTIONS.get(name)
        if loader is None:
            hint = did_you_mean(name, set(SECTIONS) | PLATFORM_KEYS)
            problems.add(self.where, f"unknown key {name!r}{'; ' + hint if hint else ''} (expected one of: "
                                     f"{', '.join(sorted(set(SECTIONS) | PLATFORM_KEYS))})")
            return None
        return loader(self.raw_sections[name], f"{self.where} {name}", problems)

    def check_sections(self, problems: Problems) -> None:
        """Read every section now, once the modules that define sections are imported, and add
        what is wrong with them (or a key no module reads) to `problems`."""
        for name in sorted(self.raw_sections):
            if name not in self.sections:
                self.sections[name] = self._read_section(name, problems)


# The keys every platform mapping may have; a platform module may register more (SECTIONS).
PLATFORM_KEYS = {"platform", "hosts", "title_suffixes", "generic_titles", "pages", "blocks", "link_domain_lines",
                 "chrome", "pixels", "embed_hosts", "dead_redirectors", "leftovers"}
_PAGE_FIELDS = {"title", "canonical", "date", "number"}
_PAGE_LISTS = {"content", "id_links", "issue_markers", "issue_links", "next_page"}


def _load_platform(path: Path, problems: Problems) -> PlatformMapping | None:
    data = load_yaml(path, problems)
    if not isinstance(data, dict):
        problems.add(path.name, "must be a mapping describing one platform")
        return None
    where = f"platforms/{path.name}"
    mapping = PlatformMapping(name=str(data.get("platform") or path.stem), where=where)
    mapping.raw_sections = {key: value for key, value in data.items() if key not in PLATFORM_KEYS}
    mapping.hosts = _string_list(data.get("hosts"), f"{where} hosts", problems)
    mapping.title_suffixes = _string_list(data.get("title_suffixes"), f"{where} title_suffixes", problems)
    mapping.generic_titles = _string_list(data.get("generic_titles"), f"{where} generic_titles", problems)
    mapping.pixels = _string_list(data.get("pixels"), f"{where} pixels", problems)
    mapping.embed_hosts = [h.lower() for h in _string_list(data.get("embed_hosts"), f"{where} embed_hosts", problems)]
    mapping.link_domain_lines = _selector_list(data.get("link_domain_lines"), f"{where} link_domain_lines", problems)
    mapping.dead_redirectors = [h.lower() for h in _string_list(data.get("dead_redirectors"), f"{where} dead_redirectors", problems)]
    leftovers = data.get("leftovers") or {}
    if not isinstance(leftovers, dict):
        problems.add(f"{where} leftovers", "must be a mapping with `links:` and `text:`")
        leftovers = {}
    _check_keys(leftovers, {"links", "text"}, f"{where} leftovers", problems)
    mapping.leftover_links = _string_list(leftovers.get("links"), f"{where} leftovers.links", problems)
    mapping.leftover_text = _string_list(leftovers.get("text"), f"{where} leftovers.text", problems)

    pages = data.get("pages") or {}
    if not isinstance(pages, dict):
        problems.add(f"{where} pages", "must be a mapping")
        pages = {}
    _check_keys(pages, _PAGE_FIELDS | _PAGE_LISTS, f"{where} pages", problems)
    for key in _PAGE_LISTS:
        mapping.pages[key] = _selector_list(pages.get(key), f"{where} pages.{key}", problems)
    for key in _PAGE_FIELDS:
        selectors = []
        for i, item in enumerate(pages.get(key) or []):
            item_where = f"{where} pages.{key}[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("select"), str):
                problems.add(item_where, "must be a mapping with `select:` (and optional `attr:`)")
                continue
            _check_keys(item, {"select", "attr"}, item_where, problems)
            if _check_selector(item["select"], item_where, problems):
                selectors.append(FieldSelector(item["select"], item.get("attr")))
        mapping.pages[key] = selectors

    for i, item in enumerate(data.get("blocks") or []):
        item_where = f"{where} blocks[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("select"), str) or not isinstance(item.get("tag"), str):
            problems.add(item_where, "must be a mapping with `select:` and `tag:`")
            continue
        _check_keys(item, {"select", "tag", "wrap"}, item_where, problems)
        if _check_selector(item["select"], item_where, problems):
            mapping.blocks.append(BlockRule(item["select"], item["tag"], item.get("wrap")))

    chrome = data.get("chrome") or {}
    if not isinstance(chrome, dict):
        problems.add(f"{where} chrome", "must be a mapping with `remove:` and `remove_closest:`")
        chrome = {}
    _check_keys(chrome, {"remove", "remove_closest"}, f"{where} chrome", problems)
    mapping.chrome_remove = _selector_list(chrome.get("remove"), f"{where} chrome.remove", problems)
    for i, item in enumerate(chrome.get("remove_closest") or []):
        item_where = f"{where} chrome.remove_closest[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("of"), str) or not isinstance(item.get("closest"), str):
            problems.add(item_where, "must be a mapping with `of:` and `closest:` selectors")
            continue
        if _check_selector(item["of"], item_where, problems) and _check_selector(item["closest"], item_where, problems):
            mapping.chrome_remove_closest.append(ClosestRule(item["of"], item["closest"]))
    return mapping


# --------------------------------------------------------------------------- overrides

OVERRIDE_FIELDS = {"title", "date", "number", "slug", "aliases", "description", "draft", "skip"}


def parse_date(value: Any) -> dt.date | dt.datetime | None:
    """Read a date as YAML gives it (date, datetime) or as text (ISO 8601, Revue's `... UTC`)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO 8601 timestamp)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@dataclass
class Overrides:
    """Per-issue corrections keyed by issue id or old URL."""

    by_key: dict[str, dict] = field(default_factory=dict)

    def for_issue(self, source_id: str, urls: list[str]) -> dict:
        merged: dict = {}
        for key in [*urls, str(source_id)]:
            merged.update(self.by_key.get(url_key(key) if "://" in key else key, {}))
        return merged

    def merge(self, other: "Overrides") -> None:
        for key, values in other.by_key.items():
            self.by_key.setdefault(key, {}).update(values)


def load_overrides_data(data: Any, where: str, problems: Problems) -> Overrides:
    overrides = Overrides()
    if data is None:
        return overrides
    if not isinstance(data, dict):
        problems.add(where, "must map issue ids or old URLs to their overrides")
        return overrides
    inner = data.get("overrides") if len(data) == 1 else None
    if isinstance(inner, dict) and inner and all(isinstance(v, dict) for v in inner.values()):
        # The block copied whole out of a config file: `overrides:` above the issues. (An issue
        # whose id is "overrides" has fields under it, never mappings.)
        data = inner
    for key, values in data.items():
        item_where = f"{where} [{key}]"
        if not isinstance(values, dict):
            problems.add(item_where, "must be a mapping of fields to values")
            continue
        _check_keys(values, OVERRIDE_FIELDS, item_where, problems)
        clean: dict = {}
        for name, value in values.items():
            if name not in OVERRIDE_FIELDS:
                continue
            if name == "date":
                try:
                    clean[name] = parse_date(value)
                except ValueError as exc:
                    problems.add(item_where, f"date {exc}")
            elif name == "number":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    problems.add(item_where, "number must be a whole number, 0 or more")
                else:
                    clean[name] = value
            elif name in ("draft", "skip"):
                if not isinstance(value, bool):
                    problems.add(item_where, f"{name} must be true or false")
                else:
                    clean[name] = value
            elif name == "aliases":
                aliases = _string_list(value, f"{item_where} aliases", problems)
                bad = [a for a in aliases if not a.startswith("/")]
                if bad:
                    problems.add(item_where, f"aliases must be paths starting with '/', not {bad[0]!r}")
                clean[name] = [a for a in aliases if a.startswith("/")]
            else:
                if not isinstance(value, str) or not value.strip():
                    problems.add(item_where, f"{name} must be non-empty text")
                else:
                    clean[name] = value.strip()
        key_text = str(key).strip()
        overrides.by_key[url_key(key_text) if "://" in key_text else key_text] = clean
    return overrides


# --------------------------------------------------------------------------- all of it

class Mappings:
    """The mappings folder: tracking rules, the chain and overrides read at once; each platform's
    file the first time it is asked for (a run needs one or two of them)."""

    def __init__(self, root: Path, tracking: TrackingRules, chain: list[ChainEntry], overrides: Overrides):
        self.root = root
        self.tracking = tracking
        self.chain = chain
        self.overrides = overrides
        self._platforms: dict[str, PlatformMapping] = {}
        self._all_read = False
        self._files: dict[str, Path] | None = None

    def _platform_files(self) -> dict[str, Path]:
        """Platform name -> its file; a file names its platform (`platform:`), else its stem does."""
        if self._files is None:
            self._files = {}
            for path in sorted((self.root / "platforms").glob("*.yaml")):
                self._files.setdefault(path.stem, path)
        return self._files

    def _load(self, name: str, problems: Problems | None = None) -> PlatformMapping | None:
        """The named platform's mapping, read now if it was not yet. Its problems go to `problems`
        when given (the mapping is kept, so later checks see it), else they raise ConfigError."""
        if name in self._platforms:
            return self._platforms[name]
        path = self._platform_files().get(name)
        if path is None:  # a file may name another platform than its stem: read them all
            self.load_all(problems)
            return self._platforms.get(name)
        found = Problems()
        mapping = _load_platform(path, found)
        if mapping is not None:
            self._platforms[mapping.name] = mapping
        if problems is not None:
            problems.items.extend(found.items)
        else:
            found.raise_if_any(f"The mappings folder {self.root}")
        return self._platforms.get(name)

    def load_all(self, problems: Problems | None = None) -> None:
        """Read every platform's file now, reporting every problem of all of them at once."""
        found = Problems()
        read = {m.where for m in self._platforms.values()}
        for path in self._platform_files().values():
            if f"platforms/{path.name}" in read:
                continue
            mapping = _load_platform(path, found)
            if mapping is not None:
                self._platforms.setdefault(mapping.name, mapping)
        self._all_read = not found.items  # two files naming one platform count once: this, not a count, says all were read
        if problems is not None:
            problems.items.extend(found.items)
        else:
            found.raise_if_any(f"The mappings folder {self.root}")

    @property
    def platforms(self) -> dict[str, PlatformMapping]:
        """Every platform's mapping (reads the files not read yet)."""
        if not self._all_read:
            self.load_all()
        return dict(self._platforms)

    def platform(self, name: str) -> PlatformMapping:
        mapping = self._load(name)
        if mapping is None:
            raise UserError(f"No mapping for platform {name!r} in {self.root / 'platforms'}; add {name}.yaml there.")
        return mapping


def load_mappings(root: Path | None = None, platforms: list[str] | None = None,
                  check: Callable[["Mappings", Problems], None] | None = None) -> Mappings:
    """Read and validate the mappings folder, raising ConfigError with every problem: the chain,
    tracking rules and overrides, and the platforms named in `platforms` (all of them when None;
    any other platform is read when first asked for). `check` adds what only the registries can
    judge (migrate.cleaners.load_checked passes theirs), so that too is reported in one go."""
    root = Path(root) if root else DEFAULT_MAPPINGS
    if not root.is_dir():
        raise UserError(f"The mappings folder {root} does not exist; pass --mappings with the path to the project's mappings/ folder.")
    problems = Problems()
    tracking = _load_tracking(root / "tracking.yaml", problems)
    chain = _load_chain(root / "cleaners.yaml", problems)
    overrides = Overrides()
    for path in sorted((root / "overrides").glob("*.yaml")):
        overrides.merge(load_overrides_data(load_yaml(path, problems), f"overrides/{path.name}", problems))
    mappings = Mappings(root, tracking, chain, overrides)
    if platforms is None:
        mappings.load_all(problems)
    else:
        for name in platforms:
            mappings._load(name, problems)
    if check is not None:
        check(mappings, problems)
    problems.raise_if_any(f"The mappings folder {root}")
    return mappings
