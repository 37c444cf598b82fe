"""Mailchimp's merge tags, resolved the way a reader of the public campaign archive sees them.

The language: a value tag (`*|FNAME|*`, `*|MC:SUBJECT|*`, `*|DATE:F j, Y|*`) stands for a value
Mailchimp fills in per subscriber or per campaign; a conditional block
`*|IF:X|*` ... `*|ELSEIF:Y|*` ... `*|ELSE:|*` ... `*|END:IF|*` (also `*|IFNOT:X|*` and
`*|INTERESTED:...|*` ... `*|END:INTERESTED|*`) shows one branch. An archive reader is nobody in
particular: subscriber fields are empty, so a condition on them is false (its ELSE branch shows)
and their tags vanish; `ARCHIVE_PAGE` is true; the issue's own fields (subject, preview text,
send date) are what the issue has. The platform mapping's `merge_tags:` section holds those facts.

Tags are found in the text of the whole document in reading order, comments included (templates
hide their conditions in comments), so a tag split across elements (`*|FN<b>AME|*`) or a block
whose IF and END sit in different elements is still seen; every change is made through the parse
tree: text nodes trimmed, elements that fall wholly inside a hidden branch removed. Attributes
are resolved one value at a time. A link whose address is a tag leads to Mailchimp's own pages
(`*|UNSUB|*`, `*|ARCHIVE|*`): it goes, with the line that held nothing else; a link to a tag
only Mailchimp can fill in keeps its text and is named in the run's warnings.
"""
from __future__ import annotations

import calendar
import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from ..dom import elements, gone
from ..mappings import Problems, register_section
from ..record import Issue
from .base import Cleaner, register
from .running_text import RunningText, close_up

SECTION = "merge_tags"
MAX_PASSES = 8
TAG = re.compile(r"\*\|([^|*\n]{1,160}?)\|\*")
# In a URL the pipes may come percent-encoded.
URL_TAG = re.compile(r"\*(?:\||%7[cC])([^|*\n%]{1,160}?)(?:\||%7[cC])\*")
_OPERATOR = re.compile(r"\s*(!=|<=|>=|=|<|>)\s*")
_FIELD_KINDS = {"title", "description", "year", "date"}
URL_ATTRIBUTES = {"href", "src"}
# Where a chrome link's line ends: the nearest of these around it.
_LINE_ELEMENTS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "td", "th", "center", "blockquote"}
_SEPARATORS = "|•·-–—/:,;\u00a0 \t\r\n"


# ---------------------------------------------------------------------- the mapping section

@dataclass(frozen=True)
class MergeTagRules:
    true_on_archive: frozenset[str] = frozenset()
    issue_fields: tuple[tuple[str, str], ...] = ()
    chrome_links: frozenset[str] = frozenset()
    known: tuple[str, ...] = ()

    def field_of(self, name: str) -> tuple[str | None, str]:
        """The issue field a value tag stands for, and its argument (a DATE tag's format, as written)."""
        fields = dict(self.issue_fields)
        if name.upper() in fields:
            return fields[name.upper()], ""
        head, _, argument = name.partition(":")
        if fields.get(head.upper()) == "date":
            return "date", argument
        return None, ""

    def is_known(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.known)


@register_section(SECTION)
def load_merge_tag_rules(value: Any, where: str, problems: Problems) -> MergeTagRules | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `true_on_archive:`, `issue_fields:`, `chrome_links:` and `known:`")
        return None
    allowed = {"true_on_archive", "issue_fields", "chrome_links", "known"}
    for key in value:
        if key not in allowed:
            problems.add(where, f"unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})")

    def names(key: str) -> list[str]:
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            problems.add(f"{where}.{key}", "must be a list of tag names")
            return []
        return [i.strip().upper() for i in items]

    fields = value.get("issue_fields") or {}
    if not isinstance(fields, dict):
        problems.add(f"{where}.issue_fields", "must map tag names to one of: " + ", ".join(sorted(_FIELD_KINDS)))
        fields = {}
    for name, kind in fields.items():
        if kind not in _FIELD_KINDS:
            problems.add(f"{where}.issue_fields", f"{name}: {kind!r} is not one of: {', '.join(sorted(_FIELD_KINDS))}")
    return MergeTagRules(frozenset(names("true_on_archive")),
                         tuple((str(k).upper(), v) for k, v in fields.items() if v in _FIELD_KINDS),
                         frozenset(names("chrome_links")), tuple(names("known")))


# ---------------------------------------------------------------------- what an archive reader sees

@dataclass
class ArchiveReader:
    """The facts merge tags are resolved against: the mapping's rules and one issue's fields."""

    rules: MergeTagRules
    title: str | None = None
    description: str | None = None
    date: dt.date | None = None
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, rules: MergeTagRules, issue: Issue) -> "ArchiveReader":
        date = issue.date.date() if isinstance(issue.date, dt.datetime) else issue.date
        return cls(rules, issue.title, issue.description, date)

    def holds(self, condition: str) -> bool:
        """Whether `*|IF:condition|*` is true for an archive reader."""
        parts = _OPERATOR.split(condition.strip(), maxsplit=1)
        name = parts[0].strip().upper()
        if len(parts) > 1:
            return False  # a comparison with a subscriber's data: nobody's data matches
        if name in self.rules.true_on_archive:
            return True
        kind, _ = self.rules.field_of(name)
        return bool(kind and self.value(name))

    def value(self, name: str) -> str:
        """The text a value tag shows an archive reader ('' for subscriber data)."""
        kind, argument = self.rules.field_of(name)
        if kind == "title":
            return self.title or ""
        if kind == "description":
            return self.description or ""
        if kind == "year":
            return str(self.date.year) if self.date else ""
        if kind == "date":
            return php_date(self.date, argument or "m/d/Y") if self.date else ""
        if not self.rules.is_known(name.upper()) and name.upper() not in self.rules.chrome_links:
            if name not in self.unknown:
                self.unknown.append(name)
        return ""


_MONTHS = list(calendar.month_name)
_DAYS = list(calendar.day_name)


def php_date(date: dt.date, pattern: str) -> str:
    """A date in the PHP `date()` format Mailchimp's *|DATE:...|* tag takes (the common letters)."""
    def suffix(day: int) -> str:
        return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")

    letters: dict[str, Callable[[], str]] = {
        "d": lambda: f"{date.day:02d}", "j": lambda: str(date.day), "S": lambda: suffix(date.day),
        "m": lambda: f"{date.month:02d}", "n": lambda: str(date.month),
        "F": lambda: _MONTHS[date.month], "M": lambda: _MONTHS[date.month][:3],
        "Y": lambda: f"{date.year:04d}", "y": lambda: f"{date.year % 100:02d}",
        "l": lambda: _DAYS[date.weekday()], "D": lambda: _DAYS[date.weekday()][:3],
    }
    out, escaped = [], False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(letters[ch]() if ch in letters else ch)
    return "".join(out)


# ---------------------------------------------------------------------- planning one text

@dataclass(frozen=True)
class Token:
    start: int
    end: int
    kind: str           # if | elseif | else | end | value
    argument: str       # the condition, or the value tag's name
    negate: bool = False
    raw: str = ""


def _token(match: re.Match) -> Token:
    inner = match.group(1).strip()
    upper = inner.upper()
    start, end, raw = match.start(), match.end(), match.group(0)
    if upper.startswith("IFNOT:"):
        return Token(start, end, "if", inner[6:], True, raw)
    if upper.startswith("IF:"):
        return Token(start, end, "if", inner[3:], False, raw)
    if upper.startswith("INTERESTED:"):
        return Token(start, end, "if", inner, False, raw)  # a subscriber's groups: never an archive reader's
    if upper.startswith("ELSEIF:"):
        return Token(start, end, "elseif", inner[7:], False, raw)
    if upper in ("ELSE", "ELSE:"):
        return Token(start, end, "else", "", False, raw)
    if upper in ("END:IF", "END:INTERESTED"):
        return Token(start, end, "end", "", False, raw)
    return Token(start, end, "value", inner, False, raw)


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str = ""
    tidy: bool = False   # a value tag's removal: close the gap it leaves ("Hi *|FNAME|*," -> "Hi,")


def plan(text: str, reader: ArchiveReader, pattern: re.Pattern = TAG) -> tuple[list[Edit], list[str]]:
    """The edits that turn `text` into what an archive reader sees, and what was odd about it."""
    tokens = [_token(m) for m in pattern.finditer(text)]
    if not tokens:
        return [], []
    problems: list[str] = []
    # Which IF each ELSEIF/ELSE/END belongs to; an IF never closed, or an ELSE/END with no IF,
    # changes nothing but its own marker.
    owner: dict[int, int] = {}
    stack: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind == "if":
            stack.append(i)
        elif token.kind in ("elseif", "else", "end"):
            if stack:
                owner[i] = stack.pop() if token.kind == "end" else stack[-1]
            else:
                problems.append(f"{token.raw} has no *|IF:...|* before it; the marker was removed")
    for i in stack:
        problems.append(f"{tokens[i].raw} is never closed by *|END:IF|*; its content was kept")
    closed = {i for i, token in enumerate(tokens) if token.kind == "if" and i not in stack}

    edits: list[Edit] = []
    visible, hidden_from = True, 0
    frames: list[dict] = []

    def show(now_visible: bool, at: int) -> None:
        nonlocal visible, hidden_from
        if visible and not now_visible:
            hidden_from = at
        elif not visible and now_visible:
            edits.append(Edit(hidden_from, at))
        visible = now_visible

    for i, token in enumerate(tokens):
        if token.kind == "value":
            if visible:
                edits.append(Edit(token.start, token.end, reader.value(token.argument), tidy=True))
            continue
        live = (token.kind == "if" and i in closed) or (token.kind != "if" and owner.get(i, -1) in closed)
        if not live:
            if visible:
                edits.append(Edit(token.start, token.end))
            continue
        if token.kind == "if":
            holds = reader.holds(token.argument) != token.negate
            if visible:
                edits.append(Edit(token.start, token.end))
            frames.append({"outer": visible, "taken": holds})
            show(visible and holds, token.end)
            continue
        frame = frames[-1]
        if frame["outer"] and visible:
            edits.append(Edit(token.start, token.end))
        elif frame["outer"]:
            show(True, token.start)  # close the hidden branch before this marker ...
            edits.append(Edit(token.start, token.end))
        if token.kind == "end":
            frames.pop()
            show(frame["outer"], token.end)
        else:
            holds = not frame["taken"] and (token.kind == "else" or reader.holds(token.argument))
            frame["taken"] = frame["taken"] or holds
            show(frame["outer"] and holds, token.end)  # ... and open the next one after it
    if not visible:  # cannot happen with balanced blocks; kept safe all the same
        edits.append(Edit(hidden_from, len(text)))
    return _merge(edits), problems


def _merge(edits: list[Edit]) -> list[Edit]:
    """Sorted edits, with touching deletions joined into one (so a hidden branch and the markers
    around it are one range, and the elements inside it go whole)."""
    merged: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        last = merged[-1] if merged else None
        if last and not last.text and not edit.text and not last.tidy and not edit.tidy and edit.start <= last.end:
            merged[-1] = Edit(last.start, max(last.end, edit.end))
        elif last and edit.start < last.end:
            continue  # inside a range already deleted
        else:
            merged.append(edit)
    return merged


def apply_to_string(text: str, edits: list[Edit]) -> str:
    for edit in reversed(edits):
        left, right = text[:edit.start] + edit.text, text[edit.end:]
        text = close_up(left, right) if edit.tidy and not edit.text else left + right
    return text


def resolve_string(text: str, reader: ArchiveReader, pattern: re.Pattern = TAG) -> tuple[str, list[str]]:
    """A string (a title, an attribute) as an archive reader sees it, and the problems found.
    Removing a tag can bring the halves of another together (`*|*|FNAME|*X|*`): it is resolved in
    turn, a bounded number of times."""
    problems: list[str] = []
    for _ in range(MAX_PASSES):
        edits, found = plan(text, reader, pattern)
        if not edits:
            break
        problems += found
        text = apply_to_string(text, edits)
    return text, problems


def plain_text(text: str | None, rules: MergeTagRules) -> str | None:
    """A subject line or preview text with its merge tags gone (an archive reader's view),
    whitespace collapsed and stray punctuation left at its start removed."""
    if text is None:
        return None
    resolved, _ = resolve_string(text, ArchiveReader(rules))
    resolved = " ".join(resolved.split()).lstrip(",;:.!? ")
    return resolved or None


def has_tags(text: str) -> bool:
    return bool(TAG.search(text or ""))


# ---------------------------------------------------------------------- the document

def _resolve_text(doc: BeautifulSoup, reader: ArchiveReader) -> list[str]:
    """The document's running text as an archive reader sees it; the problems found."""
    problems: list[str] = []
    for _ in range(MAX_PASSES):  # a removal may join the halves of another tag: see resolve_string
        text = RunningText(doc)
        edits, found = plan(text.joined, reader)
        if not edits:
            break
        problems += found
        for index in reversed(range(len(edits))):
            edit = edits[index]
            if edit.tidy and not edit.text:
                text.remove_field(edit.start, edit.end, floor=edits[index - 1].end if index else 0)
            else:
                text.replace(edit.start, edit.end, edit.text)
    return problems


def _tag_name(value: str) -> str | None:
    """The merge tag a link's whole address is (`*|UNSUB|*`, `mailto:*|EMAIL|*`), else None."""
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    match = URL_TAG.fullmatch(value)
    return unquote(match.group(1)).strip().upper() if match else None


def _without_tagged_parameters(url: str) -> str:
    """A URL without the query parameters whose value is a merge tag (per-subscriber data)."""
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    kept = [(k, v) for k, v in pairs if not URL_TAG.search(v) and not TAG.search(v)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _shows_anything(el: Tag) -> bool:
    if el.find("img") is not None:
        return True
    return bool(el.get_text().strip(_SEPARATORS))


@register
class MergeTags(Cleaner):
    name = "merge_tags"
    is_document = True  # about the whole document: the chain walks up to it, then on
    platform_section = SECTION

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        rules: MergeTagRules = self.context.platform.section(SECTION)
        reader = ArchiveReader.of(rules, issue)
        problems = _resolve_text(doc, reader)
        for el in elements(doc):
            if not gone(el):
                problems += self._attributes(el, reader, issue)
        problems += _resolve_text(doc, reader)  # a link gone from between them joins a tag's halves
        for problem in dict.fromkeys(problems):
            issue.warnings.append(f"merge tags: {problem}")
        if reader.unknown:
            issue.warnings.append("removed merge tag(s) Mailchimp fills in per subscriber: "
                                  + ", ".join(f"*|{name}|*" for name in reader.unknown))

    def _attributes(self, el: Tag, reader: ArchiveReader, issue: Issue) -> list[str]:
        problems: list[str] = []
        for name, value in list(el.attrs.items()):
            if not isinstance(value, str) or not (TAG.search(value) or (name in URL_ATTRIBUTES and URL_TAG.search(value))):
                continue
            if name in URL_ATTRIBUTES:
                tag = _tag_name(value)
                if tag and el.name == "a" and name == "href":
                    self._merge_tag_link(el, tag, issue)
                    return problems
                if tag:
                    reader.value(tag)  # an address only Mailchimp can fill in: named if unknown
                    value = ""
                else:
                    value, found = resolve_string(_without_tagged_parameters(value), reader, URL_TAG)
                    problems += found
            else:
                value, found = resolve_string(value, reader)
                problems += found
            if value.strip():
                el[name] = value
            else:
                del el[name]
        return problems

    def _merge_tag_link(self, a: Tag, tag: str, issue: Issue) -> None:
        """A link whose address is a merge tag: Mailchimp's own page, or a subscriber's value."""
        rules: MergeTagRules = self.context.platform.section(SECTION)
        if tag in rules.chrome_links:
            line = next((p for p in a.parents if p.name in _LINE_ELEMENTS), None)
            a.decompose()
            if line is not None and line.name not in ("body", "html") and not _shows_anything(line):
                line.decompose()
            return
        text = " ".join(a.get_text(" ").split())
        if text or a.find("img") is not None:
            issue.warnings.append(f"the link {text or '(an image)'!r} pointed at *|{tag}|*, which only Mailchimp fills in "
                                  "(per subscriber); its text is kept without the link")
            a.unwrap()
        else:
            a.decompose()
