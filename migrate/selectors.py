"""CSS selectors from the mappings, matched by lookup instead of by trying each one on each element.

A selector's subject (the element it selects: `td > div[style*=x]` selects a div) almost always
names a tag, an id or a class. `SelectorRules` files each rule under that key, so an element is
tried only against the rules that could select it, found by its tag name, its id and its classes
(dict lookups), and soupsieve confirms the few candidates. A rule whose subject names none of them
(`[data-attrs]`) is tried on every element. `TreeIndex` does the same for a whole parsed page in
one walk, for the fetchers' `select_one` of titles, dates and links.

The selectors themselves are compiled once (soupsieve caches what it compiled).
"""
from __future__ import annotations

import re
from typing import Generic, Iterable, TypeVar

from bs4 import Tag

Payload = TypeVar("Payload")
_ANY = ("*", "")
_IDENT_END = set(".#[:>+~ \t\n,()")


def _split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside brackets, parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in separators:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _identifier(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end] not in _IDENT_END:
        end += 1
    return text[start:end]


def subject_key(alternative: str) -> tuple[str, str]:
    """The key of the element one comma-free selector selects: ("tag", name), ("id", value),
    ("class", name), or ("*", "") when its last compound names none of them."""
    compounds = [c for c in _split_top(alternative.strip(), " >+~\t\n") if c]
    compound = compounds[-1] if compounds else ""
    if compound and compound[0] not in ".#[:*":
        return "tag", _identifier(compound, 0).lower()
    depth, quote = 0, ""
    found: tuple[str, str] | None = None
    for i, ch in enumerate(compound):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == "#":
            return "id", _identifier(compound, i + 1)
        elif depth == 0 and ch == "." and found is None:
            found = ("class", _identifier(compound, i + 1))
    return found or _ANY


def alternatives(selector: str) -> list[str]:
    return [part.strip() for part in _split_top(selector, ",") if part.strip()]


_SIMPLE_ATTRIBUTE = re.compile(r"""\[\s*([A-Za-z_][-\w]*)\s*(?:([*^$~|]?=)\s*(?:'([^']*)'|"([^"]*)"|([-\w]+))\s*)?\]""")
_SIMPLE_PART = re.compile(r"[.#]([-\w]+)")


def _pseudo_classes(compound: str) -> tuple[str, list[tuple[str, str | None]]]:
    """A compound without its pseudo-classes, and those pseudo-classes as (name, argument)."""
    plain, found, i, depth, quote = [], [], 0, 0, ""
    while i < len(compound):
        ch = compound[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == ":" and depth == 0:
            name = _identifier(compound, i + 1) if compound[i + 1:i + 2] != "-" else "-" + _identifier(compound, i + 2)
            end, argument = i + 1 + len(name), None
            if compound[end:end + 1] == "(":
                level, close = 0, end
                for close in range(end, len(compound)):
                    level += compound[close] == "("
                    level -= compound[close] == ")"
                    if level == 0:
                        break
                argument, end = compound[end + 1:close], close + 1
            found.append((name, argument))
            i = end
            continue
        plain.append(ch)
        i += 1
    return "".join(plain), found


def compound_test(alternative: str):
    """A test of the last compound of a selector (`div.x[style*='y']`) in plain Python, and
    whether that test is the whole selector; None when the compound holds what only soupsieve
    reads (namespaces, escapes). With the compound alone (no combinator before it) and no
    pseudo-class but `:has()` of a plain compound, the test is the whole selector; otherwise it
    is a condition the element must meet before soupsieve is asked."""
    compounds = [c for c in _split_top(alternative.strip(), " >+~\t\n") if c]
    if not compounds:
        return None
    compound, pseudo = _pseudo_classes(compounds[-1])
    if any(ch in _SIMPLE_ATTRIBUTE.sub("", compound) for ch in "\\|()"):
        return None
    whole = len(compounds) == 1
    has_tests = []
    for name, argument in pseudo:
        inner = (argument or "").strip()
        child_only = inner.startswith(">")
        found = compound_test(inner.lstrip(">").strip()) if name == "has" and inner and "," not in inner else None
        if found is None or not found[1]:
            whole = False
            continue
        has_tests.append((found[0], child_only))
    tag = "" if not compound or compound[0] in ".#[*" else _identifier(compound, 0).lower()
    rest = compound[len(tag):].lstrip("*")
    attributes = []
    for match in _SIMPLE_ATTRIBUTE.finditer(rest):
        name, op = match.group(1).lower(), match.group(2)
        value = next((g for g in match.group(3, 4, 5) if g is not None), None)
        attributes.append((name, op, value))
    plain = _SIMPLE_ATTRIBUTE.sub("", rest)
    if _SIMPLE_PART.sub("", plain).strip():
        return None  # something else is there: leave it to soupsieve
    ids = [m.group(1) for m in re.finditer(r"#([-\w]+)", plain)]
    classes = [m.group(1) for m in re.finditer(r"\.([-\w]+)", plain)]

    def test(el: Tag) -> bool:
        if tag and el.name != tag:
            return False
        attrs = el.attrs
        if ids and attrs.get("id") != ids[0]:
            return False
        if classes:
            have = attrs.get("class") or ()
            have = have.split() if isinstance(have, str) else have
            if any(name not in have for name in classes):
                return False
        for name, op, value in attributes:
            present = attrs.get(name)
            if present is None:
                return False
            if op is None:
                continue
            text = " ".join(present) if isinstance(present, list) else str(present)
            if op == "=" and text != value or op == "*=" and value not in text \
                    or op == "^=" and not (value and text.startswith(value)) \
                    or op == "$=" and not (value and text.endswith(value)) \
                    or op == "~=" and value not in text.split() \
                    or op == "|=" and not (text == value or text.startswith(value + "-")):
                return False
        for inner, child_only in has_tests:
            inside = el.contents if child_only else el.descendants
            if not any(isinstance(node, Tag) and inner(node) for node in inside):
                return False
        return True

    return test, whole


class SelectorRules(Generic[Payload]):
    """Rules (selector, payload) tried in order on one element at a time, each only on the
    elements its subject could be; a selector plain enough (`img[src*='/share_']`) is tested in
    Python, and soupsieve is asked only about the rest."""

    def __init__(self, rules: Iterable[tuple[str, Payload]]):
        import soupsieve

        self.rules: list[tuple[object, Payload]] = []
        # key -> [(rule index, test of the subject or None, whether the test is the whole selector)]
        self.by_key: dict[tuple[str, str], list[tuple[int, object, bool]]] = {}
        for selector, payload in rules:
            index = len(self.rules)
            self.rules.append((soupsieve.compile(selector), payload))
            for part in alternatives(selector):
                found = compound_test(part)
                test, whole = found if found else (None, False)
                self.by_key.setdefault(subject_key(part), []).append((index, test, whole))
        self.tags = frozenset(value for kind, value in self.by_key if kind == "tag")
        self.classes = frozenset(value for kind, value in self.by_key if kind == "class")
        self.ids = frozenset(value for kind, value in self.by_key if kind == "id")
        self.any = _ANY in self.by_key

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates(self, el: Tag) -> list[tuple[int, object, bool]]:
        """The alternatives that could select `el`, in their rules' order."""
        by_key = self.by_key
        found = list(by_key.get(("tag", el.name), ()))
        attrs = el.attrs
        if attrs:
            element_id = attrs.get("id")
            if element_id and self.ids:
                found += by_key.get(("id", element_id if isinstance(element_id, str) else " ".join(element_id)), ())
            classes = attrs.get("class")
            if classes and self.classes:
                for name in (classes.split() if isinstance(classes, str) else classes):
                    found += by_key.get(("class", name), ())
        if self.any:
            found += by_key[_ANY]
        if len(found) > 1:
            found.sort(key=lambda entry: entry[0])
        return found

    def first(self, el: Tag) -> Payload | None:
        """The payload of the first rule that selects `el`, or None."""
        for index, test, whole in self.candidates(el):
            if test is not None and not test(el):
                continue
            pattern, payload = self.rules[index]
            if whole or pattern.match(el):
                return payload
        return None

    def matches(self, el: Tag) -> bool:
        for index, test, whole in self.candidates(el):
            if test is not None and not test(el):
                continue
            if whole or self.rules[index][0].match(el):
                return True
        return False


class TreeIndex:
    """A parsed page's elements by tag name, id and class, from one walk, in document order:
    `select_one` and `select` of the mappings' selectors try only the elements each could select."""

    def __init__(self, root: Tag):
        self.by_key: dict[tuple[str, str], list[Tag]] = {}
        self.position: dict[int, int] = {}
        self.every: list[Tag] = []
        for position, node in enumerate(node for node in root.descendants if isinstance(node, Tag)):
            self.position[id(node)] = position
            self.every.append(node)
            self.by_key.setdefault(("tag", node.name), []).append(node)
            attrs = node.attrs
            if attrs:
                element_id = attrs.get("id")
                if element_id:
                    self.by_key.setdefault(("id", element_id if isinstance(element_id, str) else " ".join(element_id)), []).append(node)
                classes = attrs.get("class")
                if classes:
                    for name in (classes.split() if isinstance(classes, str) else classes):
                        self.by_key.setdefault(("class", name), []).append(node)

    def _candidates(self, selector: str) -> list[Tag]:
        keys = {subject_key(part) for part in alternatives(selector)}
        if _ANY in keys:
            return self.every
        found: dict[int, Tag] = {}
        for key in keys:
            for node in self.by_key.get(key, ()):
                found[self.position[id(node)]] = node
        return [found[position] for position in sorted(found)] if len(keys) > 1 else list(found.values())

    def _matcher(self, selector: str):
        """A function telling whether an element is selected: the Python test of a plain
        selector, else a test that must hold before soupsieve is asked, else soupsieve."""
        import soupsieve

        pattern = soupsieve.compile(selector)
        parts = alternatives(selector)
        if len(parts) == 1:
            found = compound_test(parts[0])
            if found is not None:
                test, whole = found
                return test if whole else (lambda el: test(el) and pattern.match(el))
        return pattern.match

    def select(self, selector: str) -> list[Tag]:
        matches = self._matcher(selector)
        return [node for node in self._candidates(selector) if matches(node)]

    def select_one(self, selector: str) -> Tag | None:
        matches = self._matcher(selector)
        return next((node for node in self._candidates(selector) if matches(node)), None)
