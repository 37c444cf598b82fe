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

import functools

import re
from typing import TYPE_CHECKING, Generic, Iterable, TypeVar

if TYPE_CHECKING:  # bs4 is not imported to read a mapping: a node that is not a str is a Tag
    from bs4 import Tag

Payload = TypeVar("Payload")
_ANY = ("*", "")
_IDENT_END = set(".#[:>+~ \t\n,()")


def _top_level(text: str):
    """(index, character, whether it stands outside quotes, brackets and parentheses)."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
            yield i, ch, False
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        yield i, ch, depth == 0 and ch not in "'\"()[]"


def _split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside brackets, parentheses and quotes."""
    parts, start = [], 0
    for i, ch, top in _top_level(text):
        if top and ch in separators:
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
    found: tuple[str, str] | None = None
    for i, ch, top in _top_level(compound):
        if top and ch == "#":
            return "id", _identifier(compound, i + 1)
        if top and ch == "." and found is None:
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


def _combined(alternative: str) -> list[tuple[str, str]]:
    """A comma-free selector as (combinator before it, compound), left to right."""
    text = alternative.strip()
    parts, current, combinator, pending = [], [], "", ""
    for i, ch, top in _top_level(text):
        if top and ch in " \t\n>+~":
            if current:
                parts.append((combinator, "".join(current)))
                current, pending = [], " "
            if ch in ">+~":
                pending = ch
            continue
        if not current and parts:
            combinator = pending
        current.append(ch)
    if current:
        parts.append((combinator if parts else "", "".join(current)))
    return parts


def compound_test(alternative: str):
    """A test of a selector in plain Python, and whether that test is the whole selector: tag,
    id, classes and attribute tests, `:has()` of such a compound, and the descendant, child and
    sibling combinators between such compounds. With anything else (another pseudo-class) the
    test is a condition the element must meet before soupsieve is asked; None when even the
    subject holds what only soupsieve reads (namespaces, escapes)."""
    parts = _combined(alternative)
    if not parts:
        return None
    subject = _compound(parts[-1][1])
    if subject is None:
        return None
    tests, whole, combinators = [subject[0]], subject[1], []  # combinators[i] joins tests[i] to tests[i + 1]
    for k in range(len(parts) - 2, -1, -1):
        joining = parts[k + 1][0]
        found = _compound(parts[k][1]) if joining in (" ", ">", "+", "~") else None
        if found is None or not found[1]:
            return subject[0], False
        tests.append(found[0])
        combinators.append(joining)
    if len(tests) == 1:
        return subject[0], whole

    def matches_from(el: Tag, i: int) -> bool:
        """Whether `el` meets tests[i], and its ancestors meet the tests further left."""
        if not tests[i](el):
            return False
        if i + 1 == len(tests):
            return True
        combinator = combinators[i]
        if combinator in ("+", "~"):  # the element just before, or any element before, among its siblings
            sibling = el.previous_sibling
            while sibling is not None:
                if not isinstance(sibling, str):
                    if matches_from(sibling, i + 1):
                        return True
                    if combinator == "+":
                        return False
                sibling = sibling.previous_sibling
            return False
        parent = el.parent
        if combinator == ">":
            return parent is not None and parent.name != "[document]" and matches_from(parent, i + 1)
        while parent is not None and parent.name != "[document]":
            if matches_from(parent, i + 1):
                return True
            parent = parent.parent
        return False

    return (lambda el: matches_from(el, 0)), whole


def _compound(text: str):
    """A test of one compound (`div.x[style*='y']:has(> a)`) in plain Python and whether it is
    exact; None when the compound holds what only soupsieve reads (namespaces, escapes)."""
    compound, pseudo = _pseudo_classes(text)
    if any(ch in _SIMPLE_ATTRIBUTE.sub("", compound) for ch in "\\|()"):
        return None
    whole = True
    has_tests = []
    for name, argument in pseudo:
        inner = (argument or "").strip()
        child_only = inner.startswith(">")
        inner = inner.lstrip(">").strip()
        single = name == "has" and inner and "," not in inner and len(_combined(inner)) == 1
        found = _compound(inner) if single else None
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
            for name in classes:
                if name not in have:
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
        for inner, child_only in has_tests:  # loops, not any(): this runs on every element of a tag
            for node in (el.contents if child_only else el.descendants):
                if not isinstance(node, str) and inner(node):
                    break
            else:
                return False
        return True

    return test, whole


def _rule_index(entry: tuple) -> int:
    return entry[0]


class SelectorRules(Generic[Payload]):
    """Rules (selector, payload) tried in order on one element at a time, each only on the
    elements its subject could be; a selector plain enough (`td > img[src*='/share_']`) is tested
    in Python, and soupsieve is asked (and compiles the selector) only about the rest."""

    def __init__(self, rules: Iterable[tuple[str, Payload]]):
        self.rules: list[tuple[Matcher, Payload]] = []
        # key -> [(rule index, test of the subject or None, whether the test is the whole selector)]
        self.by_key: dict[tuple[str, str], list[tuple[int, object, bool]]] = {}
        for selector, payload in rules:
            index = len(self.rules)
            self.rules.append((Matcher(selector), payload))
            for part in alternatives(selector):
                found = compound_test(part)
                test, whole = found if found else (None, False)
                self.by_key.setdefault(subject_key(part), []).append((index, test, whole))
        self.tags = frozenset(value for kind, value in self.by_key if kind == "tag")
        self.classes = frozenset(value for kind, value in self.by_key if kind == "class")
        self.ids = frozenset(value for kind, value in self.by_key if kind == "id")
        self.any = _ANY in self.by_key
        # What an element without an id or class of the rules' could be, by its tag name (made
        # once: most elements are that), and for any other name.
        anywhere = self.by_key.get(_ANY, [])
        self._by_tag = {name: sorted(self.by_key[("tag", name)] + anywhere, key=_rule_index) for name in self.tags}
        self._anywhere = sorted(anywhere, key=_rule_index)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates(self, el: Tag) -> list[tuple[int, object, bool]]:
        """The alternatives that could select `el`, in their rules' order (the caller only reads it)."""
        found = self._by_tag.get(el.name, self._anywhere)
        attrs = el.attrs
        if attrs and (self.ids or self.classes):
            by_key = self.by_key
            extra: list = []
            element_id = attrs.get("id")
            if element_id and self.ids:
                extra += by_key.get(("id", element_id if isinstance(element_id, str) else " ".join(element_id)), ())
            classes = attrs.get("class")
            if classes and self.classes:
                for name in (classes.split() if isinstance(classes, str) else classes):
                    extra += by_key.get(("class", name), ())
            if extra:
                found = sorted(found + extra, key=_rule_index)
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


class Matcher:
    """One selector: judged in Python where `compound_test` can, else by soupsieve, compiled the
    first time it is needed (compiling is the costly part of soupsieve, and most of the mappings'
    selectors never need it)."""

    def __init__(self, selector: str):
        self.selector = selector
        parts = alternatives(selector)
        tests = [compound_test(part) for part in parts]
        self.exact = [t[0] for t in tests] if all(t is not None and t[1] for t in tests) else None
        self._pattern = None

    @property
    def pattern(self):
        if self._pattern is None:
            import soupsieve

            self._pattern = soupsieve.compile(self.selector)
        return self._pattern

    def match(self, el: Tag) -> bool:
        if self.exact is not None:
            return any(test(el) for test in self.exact)
        return bool(self.pattern.match(el))

    def select_one(self, root: Tag) -> Tag | None:
        """The first element under `root`, in document order, that the selector selects."""
        if self.exact is None:
            return self.pattern.select_one(root)
        return next((node for node in root.descendants if not isinstance(node, str) and self.match(node)), None)

    def closest(self, el: Tag) -> Tag | None:
        """The nearest of `el` and its ancestors that the selector selects."""
        if self.exact is None:
            return self.pattern.closest(el)
        node = el
        while node is not None and node.name != "[document]":
            if self.match(node):
                return node
            node = node.parent
        return None


def check_selector(selector: str) -> str | None:
    """What is wrong with a selector, or None: judged without soupsieve when plain enough."""
    if all(found is not None and found[1] for found in map(compound_test, alternatives(selector))) and alternatives(selector):
        return None
    import soupsieve

    try:
        soupsieve.compile(selector)
    except Exception as exc:  # soupsieve raises several syntax error types
        return str(exc).splitlines()[0]
    return None


class TreeIndex:
    """A parsed page's elements by tag name, id and class, from one walk, in document order:
    `select_one` and `select` of the mappings' selectors try only the elements each could select."""

    def __init__(self, root: Tag):
        self.by_key: dict[tuple[str, str], list[Tag]] = {}
        self.every: list[Tag] = [node for node in root.descendants if not isinstance(node, str)]
        self._position: dict[int, int] | None = None  # made only for a selector of several subjects
        by_key = self.by_key
        for node in self.every:
            key = ("tag", node.name)
            found = by_key.get(key)
            if found is None:
                by_key[key] = [node]
            else:
                found.append(node)
            attrs = node.attrs
            if attrs:
                element_id = attrs.get("id")
                if element_id:
                    by_key.setdefault(("id", element_id if isinstance(element_id, str) else " ".join(element_id)), []).append(node)
                classes = attrs.get("class")
                if classes:
                    for name in (classes.split() if isinstance(classes, str) else classes):
                        listed = by_key.setdefault(("class", name), [])
                        if not listed or listed[-1] is not node:  # `class="x x"` lists it once
                            listed.append(node)

    def _candidates(self, selector: str) -> list[Tag]:
        keys = _subject_keys(selector)
        if _ANY in keys:
            return self.every
        if len(keys) == 1:
            return self.by_key.get(next(iter(keys)), [])
        if self._position is None:
            self._position = {id(node): position for position, node in enumerate(self.every)}
        position = self._position
        found: dict[int, Tag] = {}
        for key in keys:
            for node in self.by_key.get(key, ()):
                found[position[id(node)]] = node
        return [found[at] for at in sorted(found)]

    def select(self, selector: str) -> list[Tag]:
        matches = _matcher(selector)
        return [node for node in self._candidates(selector) if matches(node)]

    def select_one(self, selector: str) -> Tag | None:
        matches = _matcher(selector)
        return next((node for node in self._candidates(selector) if matches(node)), None)


# A page's fields are read with the same few selectors page after page: each is read once.
@functools.lru_cache(maxsize=512)
def _subject_keys(selector: str) -> frozenset:
    return frozenset(subject_key(part) for part in alternatives(selector))


@functools.lru_cache(maxsize=512)
def _matcher(selector: str):
    """A function telling whether an element is selected: the Python test of a plain selector,
    else a test that must hold before soupsieve is asked, else soupsieve."""
    matcher = Matcher(selector)
    if matcher.exact is not None:
        return matcher.match
    parts = alternatives(selector)
    found = compound_test(parts[0]) if len(parts) == 1 else None
    if found is not None:
        return lambda el: found[0](el) and matcher.match(el)
    return matcher.match
