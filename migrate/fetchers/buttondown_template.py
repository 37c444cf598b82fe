"""A Buttondown body's template, resolved as the web archive resolved it.

Buttondown renders every body as a Django template before it renders the Markdown (its
templating "is built on top of Django"), once for the email and once for the web archive, with
`medium` 'email' or 'web'. The archive is what the site replaces, so:

- `{% if medium == 'web' %}A{% else %}B{% endif %}` keeps A and drops B; any `if` is decided as
  for a visitor of the archive: `medium` is 'web', `email.*` are the email's own fields, and a
  reader (`subscriber.*`) is nobody, as for a visitor who is not signed in;
- `{{ medium }}`, `{{ email_url }}` (the email's archive URL) and `{{ email.subject }}` (any of
  the email's own fields) are filled in, escaped as Django escapes them;
- `{# ... #}` and `{% comment %}...{% endcomment %}` go; `{% verbatim %}` keeps its text as written;
- everything else (`{{ subscriber.metadata.first_name }}`, `{{ unsubscribe_url }}`, a `{% for %}`)
  is left for the `template_tags` cleaner, which closes the sentence up around it and names it.

Only the parts of Django's `if` a body uses are read (and, or, not, ==, !=, <, >, <=, >=, in,
not in, is, is not, quoted strings, numbers, dotted names, filters); a condition outside them
leaves its block as it was, for the cleaner, with a warning.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# Django's own tokens: {% tag %}, {{ variable }}, {# comment #}. This reads the template
# language the platform wrote, as Django's lexer does; the HTML and Markdown around it are
# left to their parsers.
_TOKEN = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")
_WORD = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s"']+)""")
_COMPARISONS = ("==", "!=", "<", ">", "<=", ">=", "in", "not in", "is", "is not")
_FILTERS = {"upper": str.upper, "lower": str.lower, "title": str.title,
            "capfirst": lambda s: s[:1].upper() + s[1:], "striptags": lambda s: s, "safe": lambda s: s}


class _Unreadable(Exception):
    """A condition this reader does not know how to decide."""


@dataclass
class WebView:
    """What the archive page knew when it rendered the body."""

    email: dict                      # the email's own fields (subject, secondary_id, ...)
    email_url: str | None = None     # its archive URL, when known
    notes: list[str] = field(default_factory=list)   # what the author should know, for the report

    def lookup(self, name: str):
        """A dotted name's value for the web view; None, as Django gives, for anything unknown."""
        head, _, rest = name.partition(".")
        if name == "medium":
            return "web"
        if name == "email_url":
            return self.email_url
        if head == "email" and rest:
            value = self.email.get(rest.split(".")[0])
            return value if not isinstance(value, (dict, list)) else None
        return None  # subscriber.*, and whatever else: nobody, nothing


def resolve_for_web(text: str, view: WebView) -> str:
    """The body as the web archive rendered its template (see the module's description)."""
    if "{" not in text:
        return text
    pieces = _TOKEN.split(text)
    out: list[str] = []
    _render(pieces, 0, len(pieces), view, out)
    return "".join(out)


def _tag(token: str) -> tuple[str, str]:
    inner = token[2:-2].strip()
    name, _, rest = inner.partition(" ")
    return name, rest.strip()


def _block_end(pieces: list[str], start: int, stop: int, opener: str, closer: str) -> int | None:
    """The index of the token that closes the block opened just before `start`, or None."""
    depth = 0
    for index in range(start, stop):
        token = pieces[index]
        if index % 2 == 0 or not token.startswith("{%"):
            continue
        name, _ = _tag(token)
        if name == opener:
            depth += 1
        elif name == closer:
            if depth == 0:
                return index
            depth -= 1
    return None


def _render(pieces: list[str], start: int, stop: int, view: WebView, out: list[str]) -> None:
    index = start
    while index < stop:
        token = pieces[index]
        if index % 2 == 0:  # text between tokens
            out.append(token)
            index += 1
            continue
        if token.startswith("{#"):
            index += 1
            continue
        if token.startswith("{{"):
            out.append(_variable(token, view))
            index += 1
            continue
        name, rest = _tag(token)
        if name in ("comment", "verbatim"):
            end = _block_end(pieces, index + 1, stop, name, "end" + name)
            if end is not None:
                if name == "verbatim":
                    out.append("".join(pieces[index + 1:end]))
                index = end + 1
                continue
        if name == "if":
            end = _if_block(pieces, index, stop, view, out)
            if end is not None:
                index = end + 1
                continue
        out.append(token)  # not ours to decide: the template_tags cleaner takes it out
        index += 1


def _if_block(pieces: list[str], start: int, stop: int, view: WebView, out: list[str]) -> int | None:
    """Render the branch of the `if` at `start` the web view takes; the index of its `endif`, or
    None when the block is not closed or a condition cannot be decided (it is then left as it was)."""
    branches: list[tuple[str | None, int]] = [(_tag(pieces[start])[1], start + 1)]  # (condition, first piece)
    depth, end = 0, None
    for index in range(start + 1, stop):
        if index % 2 == 0 or not pieces[index].startswith("{%"):
            continue
        name, rest = _tag(pieces[index])
        if name == "if":
            depth += 1
        elif name == "endif":
            if depth == 0:
                end = index
                break
            depth -= 1
        elif depth == 0 and name == "elif":
            branches.append((rest, index + 1))
        elif depth == 0 and name == "else":
            branches.append((None, index + 1))
    if end is None:
        view.notes.append(f"a template block {pieces[start].strip()[:60]} has no endif; it was left as written")
        return None
    bounds = [first for _, first in branches[1:]] + [end + 1]
    try:
        for (condition, first), after in zip(branches, bounds):
            if condition is None or _decide(condition, view):
                _render(pieces, first, after - 1, view, out)
                break
    except _Unreadable as exc:
        view.notes.append(f"the template condition {{% if {exc} %}} could not be read; its block was left as written, both branches kept")
        return None
    return end


# ---------------------------------------------------------------------- variables

def _variable(token: str, view: WebView) -> str:
    inner = token[2:-2].strip()
    name, *filters = [part.strip() for part in inner.split("|")]
    if not _NAME.match(name) or view.lookup(name) is None:
        return token  # a reader's field, a link of their own, or nothing the email has: the cleaner's
    text = str(view.lookup(name))
    for spec in filters:
        filter_name = spec.split(":", 1)[0].strip()
        if filter_name in _FILTERS:
            text = _FILTERS[filter_name](text)
        elif filter_name != "default":
            view.notes.append(f"the template filter |{filter_name} of {{{{ {name} }}}} is not applied")
    return html.escape(text)  # Django escapes what it fills in; Markdown and HTML read it back


# ---------------------------------------------------------------------- conditions

def _decide(condition: str, view: WebView) -> bool:
    words = _WORD.findall(condition)
    parser = _Condition(words, view, condition)
    value = parser.expression()
    if parser.position != len(words):
        raise _Unreadable(condition)
    return bool(value)


class _Condition:
    """Django's `if` grammar, by precedence: or, and, not, then one comparison of two operands."""

    def __init__(self, words: list[str], view: WebView, text: str):
        self.words, self.view, self.text = words, view, text
        self.position = 0

    def _peek(self, ahead: int = 0) -> str | None:
        index = self.position + ahead
        return self.words[index] if index < len(self.words) else None

    def expression(self):
        return self._joined("or", lambda: self._joined("and", self._not))

    def _joined(self, word: str, operand):
        """Operands joined by `word` (and, or), each decided in full as Django decides them."""
        value = operand()
        while self._peek() == word:
            self.position += 1
            right = operand()
            value = (value or right) if word == "or" else (value and right)
        return value

    def _not(self):
        if self._peek() == "not" and self._peek(1) != "in":
            self.position += 1
            return not self._not()
        return self._comparison()

    def _comparison(self):
        left = self._operand()
        word = self._peek()
        if word in ("not", "is") and self._peek(1) in ("in", "not"):
            operator = f"{word} {self._peek(1)}"
            self.position += 2
        elif word in _COMPARISONS:
            operator = word
            self.position += 1
        else:
            return left
        right = self._operand()
        try:
            return _compare(operator, left, right)
        except TypeError:
            return False  # Django's answer to a comparison that cannot be made

    def _operand(self):
        word = self._peek()
        if word is None or word in ("and", "or") or word in _COMPARISONS:
            raise _Unreadable(self.text)
        self.position += 1
        if word[:1] in ("'", '"') and len(word) >= 2 and word[-1] == word[0]:
            return word[1:-1]
        if _NUMBER.match(word):
            return float(word) if "." in word else int(word)
        if word in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[word]
        name = word.split("|", 1)[0]
        if not _NAME.match(name):
            raise _Unreadable(self.text)
        return self.view.lookup(name)


def _compare(operator: str, left, right) -> bool:
    if operator in ("in", "not in"):
        found = right is not None and left in right
        return found if operator == "in" else not found
    return {"==": lambda: left == right, "!=": lambda: left != right, "<": lambda: left < right,
            ">": lambda: left > right, "<=": lambda: left <= right, ">=": lambda: left >= right,
            "is": lambda: left is right, "is not": lambda: left is not right}[operator]()
