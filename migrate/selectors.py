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


class SelectorRules(Generic[Payload]):
    """Rules (selector, payload) tried in order on one element at a time, each only on the
    elements its subject could be."""

    def __init__(self, rules: Iterable[tuple[str, Payload]]):
        import soupsieve

        self.rules: list[tuple[object, Payload]] = []
        self.by_key: dict[tuple[str, str], list[int]] = {}
        for selector, payload in rules:
            index = len(self.rules)
            self.rules.append((soupsieve.compile(selector), payload))
            for part in alternatives(selector):
                keys = self.by_key.setdefault(subject_key(part), [])
                if not keys or keys[-1] != index:
                    keys.append(index)
        self.tags = frozenset(value for kind, value in self.by_key if kind == "tag")
        self.classes = frozenset(value for kind, value in self.by_key if kind == "class")
        self.ids = frozenset(value for kind, value in self.by_key if kind == "id")
        self.any = _ANY in self.by_key

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates(self, el: Tag) -> list[int]:
        """The rules that could select `el`, in their order."""
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
            found = sorted(set(found))
        return found

    def first(self, el: Tag) -> Payload | None:
        """The payload of the first rule that selects `el`, or None."""
        for index in self.candidates(el):
            pattern, payload = self.rules[index]
            if pattern.match(el):
                return payload
        return None

    def matches(self, el: Tag) -> bool:
        return any(self.rules[index][0].match(el) for index in self.candidates(el))


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

    def select(self, selector: str) -> list[Tag]:
        import soupsieve

        pattern = soupsieve.compile(selector)
        return [node for node in self._candidates(selector) if pattern.match(node)]

    def select_one(self, selector: str) -> Tag | None:
        import soupsieve

        pattern = soupsieve.compile(selector)
        return next((node for node in self._candidates(selector) if pattern.match(node)), None)
