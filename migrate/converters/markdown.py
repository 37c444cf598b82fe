"""HTML to Markdown: markdownify, adapted by one subclass per concern.

Each mixin overrides the conversion of the tags it owns; `IssueConverter` puts them together.
Nothing here edits the Markdown after it is produced: every decision is made on the tree or on
one text node at a time.
"""
from __future__ import annotations

import re

from bs4 import Comment, NavigableString, Tag
from markdownify import (ATX, BACKSLASH, MarkdownConverter, chomp, should_remove_whitespace_inside,
                         should_remove_whitespace_outside, strip_pre)

from ..dom import BLOCKS, LANGUAGE_CLASS, LAYOUT_BLOCKS
from .sentences import SentenceBreak
from .shortcode_guard import SHORTCODE_OPENER, Verbatim, guard_shortcode_openers, no_shortcode_opener

_WHITESPACE = re.compile(r"\s+")
# Text that would start Markdown block syntax when it begins a line.
_LINE_START = re.compile(r"^(?:#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+\s*$|-+\s*$)")
# Characters Markdown would act on, escaped only where they would: each alternative names a
# character and the neighbours that make it syntax. Applied to one text node at a time.
_ESCAPES = re.compile(r"""
    \\(?=[!-/:-@\[-`{-~]|$)     # a backslash before ASCII punctuation, or at the end
  | (?<!\ )\*|\*(?!\ )          # an asterisk not surrounded by spaces (it could be emphasis)
  | (?<![^\W_])_|_(?![^\W_])     # an underscore at a word's edge (inside a word it is literal)
  | `                           # a code span
  | <(?=[^\W\d_]|[/!?])          # raw HTML or an autolink
  | \](?=[(\[:])                 # the end of a link or reference
  | \[(?=\^)                    # the start of a footnote reference
  | ~(?=~)|(?<=~)~              # strikethrough
""", re.VERBOSE)
_SHORTCODE_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FOOTNOTE_LABEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
_MAY_NEED_ESCAPE = re.compile(r"[\\*_`<\[\]~{&]")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCKISH = BLOCKS | LAYOUT_BLOCKS | {"[document]", "html", "br"}
# A bare web address in running text, as Hugo's linkify finds one; punctuation ending a sentence
# after it is not part of it.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\"*"
_BACKTICK_RUN = re.compile(r"`+")
# Where a <code> standing alone may become a code block (not in headings, cells or captions).
_CODE_BLOCK_HOSTS = frozenset({"p", "div", "li", "blockquote", "section", "article", "center", "body", "main", "dd"})


def _neighbour_char(node, forward: bool) -> str:
    """The character next to an element in its running text ('' at a block edge)."""
    sibling = node.next_sibling if forward else node.previous_sibling
    while sibling is not None:
        if isinstance(sibling, NavigableString):
            value = str(sibling)
            if value:
                return value[0] if forward else value[-1]
        elif isinstance(sibling, Tag):
            if sibling.name in _BLOCKISH:
                return ""
            text = sibling.get_text()
            if text:
                return text[0] if forward else text[-1]
        sibling = sibling.next_sibling if forward else sibling.previous_sibling
    return ""


def _text_before(el: Tag) -> str:
    """The nearest text before an element in document order, wherever it sits ('' when none)."""
    for node in el.previous_elements:
        if isinstance(node, NavigableString) and not isinstance(node, Comment) and str(node):
            return str(node)
    return ""


def _safe_destination(url: str) -> str:
    """A link destination Markdown reads back unchanged, and Hugo does not take for a shortcode."""
    if SHORTCODE_OPENER.search(url):
        url = url.replace("{", "%7B")  # the percent-encoding browsers send for `{` in any case
    if any(ch in url for ch in " ()<>") or not url:
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _safe_title(title: str) -> str:
    return ' "' + no_shortcode_opener(title.replace("\\", "\\\\").replace('"', '\\"')) + '"' if title else ""


class EscapingMixin(MarkdownConverter):
    """Text nodes: HTML whitespace collapsed, Markdown syntax escaped only where it would act."""

    def process_text(self, el, parent_tags=None):
        parent_tags = parent_tags or set()
        if isinstance(el, SentenceBreak):
            return "\n"
        if isinstance(el, Verbatim):
            return str(el)
        text = str(el)
        if "pre" in parent_tags:
            return text
        text = _WHITESPACE.sub(" ", text)
        previous = el.previous_sibling
        at_line_start = isinstance(previous, SentenceBreak) or (isinstance(previous, Tag) and previous.name == "br") or (
            previous is None and isinstance(el.parent, Tag) and el.parent.name in _BLOCKISH)
        if at_line_start:
            text = text.lstrip()
        if isinstance(el.next_sibling, SentenceBreak):
            text = text.rstrip()
        if "_noformat" not in parent_tags:
            text = self.escape_running_text(text, at_line_start, parent_tags)
        # Whitespace next to a block boundary shows nothing.
        if should_remove_whitespace_outside(el.previous_sibling) or (
                should_remove_whitespace_inside(el.parent) and not el.previous_sibling):
            text = text.lstrip(" ")
        if should_remove_whitespace_outside(el.next_sibling) or (
                should_remove_whitespace_inside(el.parent) and not el.next_sibling):
            text = text.rstrip(" ")
        return text

    def escape_running_text(self, text: str, at_line_start: bool, parent_tags) -> str:
        return self.escape_text(text, at_line_start)

    def escape_text(self, text: str, at_line_start: bool) -> str:
        if not _MAY_NEED_ESCAPE.search(text) and not at_line_start:
            return text  # most text holds nothing Markdown would act on
        escaped = _ESCAPES.sub(lambda match: "\\" + match.group(0), text)
        escaped = _ENTITY_LIKE.sub(r"\\&", escaped)
        if at_line_start:
            match = _LINE_START.match(escaped)
            if match:
                if match.group(0)[:1].isdigit():
                    end = match.end()
                    escaped = escaped[:end] + "\\" + escaped[end:]
                else:
                    escaped = "\\" + escaped
        return escaped


def _without_trailing_punctuation(url: str) -> str:
    """A bare address without the punctuation after it; a closing parenthesis stays when the
    address opened one (`.../Foo_(bar)`)."""
    while url and url[-1] in _URL_TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


class AutolinksMixin(EscapingMixin):
    """A bare web address in the text is written as an autolink (`<https://...>`), never with
    escapes inside it: Hugo links a bare address itself, and an escape (`/\\_name`) would end
    its link early. Inside a link's own text it stays text."""

    def escape_running_text(self, text: str, at_line_start: bool, parent_tags) -> str:
        if "a" in parent_tags or "://" not in text:
            return super().escape_running_text(text, at_line_start, parent_tags)
        parts: list[str] = []
        position = 0
        for match in _BARE_URL.finditer(text):
            url = _without_trailing_punctuation(match.group(0))
            if not url.partition("://")[2]:
                continue
            before = text[position:match.start()]
            parts.append(super().escape_running_text(before, at_line_start and position == 0, parent_tags))
            if before.endswith("{") or SHORTCODE_OPENER.search(url) or (not before and len(parts) > 1 and parts[-2].endswith("{")):
                parts.append(f"[{self.escape_text(url, False)}]({_safe_destination(url)})")  # `{<` would open a shortcode
            else:
                parts.append(f"<{url}>")
            position = match.start() + len(url)
        if not parts:
            return super().escape_running_text(text, at_line_start, parent_tags)
        parts.append(super().escape_running_text(text[position:], False, parent_tags) if position < len(text) else "")
        return "".join(parts)


class EmphasisMixin(MarkdownConverter):
    """`**strong**` and `_em_`, falling back to `*em*` inside words, where `_` does not work."""

    def convert_em(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        touching_word = _neighbour_char(el, False).isalnum() or _neighbour_char(el, True).isalnum()
        symbol = "*" if touching_word or "_" in text.replace("\\_", "") else "_"
        return f"{prefix}{symbol}{text}{symbol}{suffix}"

    convert_i = convert_em


class LinksMixin(MarkdownConverter):
    """Links and images whose destinations and titles survive any characters."""

    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        href = el.get("href") or ""
        if not text:
            return ""
        if not href:
            return f"{prefix}{text}{suffix}"
        title = el.get("title") or ""
        if (text.replace("\\_", "_").replace("\\*", "*") == href and not title and " " not in href
                and not _text_before(el).endswith("{")):  # `{{<https://...>` would open a shortcode
            return f"{prefix}<{href}>{suffix}"
        return f"{prefix}[{text}]({_safe_destination(href)}{_safe_title(title)}){suffix}"

    def convert_img(self, el, text, parent_tags):
        alt = "".join("\\" + ch if ch in "\\[]*_`" else ch for ch in " ".join((el.get("alt") or "").split()))
        alt = no_shortcode_opener(alt)
        src = el.get("src") or ""
        title = el.get("title") or ""
        return f"![{alt}]({_safe_destination(src)}{_safe_title(title)})"


def _fenced(text: str, language: str = "") -> str:
    """A fenced code block that no line of `text` can close, with its language when it has one."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"\n\n{fence}{language}\n{text}\n{fence}\n\n"


def code_language(pre: Tag) -> str:
    """The language a code block's classes name, or ""."""
    code = pre.find("code", recursive=False)
    for el in filter(None, (code, pre)):
        for name in el.get("class") or []:
            match = LANGUAGE_CLASS.match(name)
            if match:
                return match.group(1)
    return ""


def _code_text(el: Tag) -> str:
    """The text of a code element as it shows outside <pre>: its whitespace collapsed as HTML
    collapses it, and a new line only where a <br> or a block inside it starts one."""
    parts: list[str] = []
    for node in el.descendants:
        if isinstance(node, Tag):
            if node.name == "br" or node.name in BLOCKS or node.name in LAYOUT_BLOCKS:
                parts.append("\n")
        elif not isinstance(node, Comment):
            parts.append(_WHITESPACE.sub(" ", str(node)))
    return "".join(parts)


def _alone_in_its_block(el: Tag) -> bool:
    parent = el.parent
    if parent is None or parent.name not in _CODE_BLOCK_HOSTS:
        return False
    return all(sibling is el or (isinstance(sibling, NavigableString) and not sibling.strip())
               for sibling in parent.children)


class CodeMixin(MarkdownConverter):
    """Code as Markdown can hold it: a fenced block no line inside can close, and code spans that
    stay on one line, since a blank line inside a span would end it and free its text as HTML."""

    def convert_pre(self, el, text, parent_tags):
        if "pre" in parent_tags:
            return text  # a <pre> inside a <pre> is more of the same text, not a second block
        text = strip_pre(text)
        return _fenced(text, code_language(el)) if text else ""

    def convert_code(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        raw = _code_text(el)
        if "\n" in raw.strip() and _alone_in_its_block(el):
            return _fenced(strip_pre(raw))  # a block of code that was marked up without <pre>
        prefix = " " if raw[:1].isspace() else ""
        suffix = " " if raw[-1:].isspace() else ""
        raw = " ".join(line.strip() for line in raw.splitlines() if line.strip()) if "\n" in raw else raw.strip()
        if not raw:
            return ""
        longest = max((len(run) for run in _BACKTICK_RUN.findall(raw)), default=0)
        delimiter = "`" * (longest + 1)
        if longest or (raw.startswith(" ") and raw.endswith(" ")):
            raw = f" {raw} "  # Markdown takes one space off each side of a span that has both
        return f"{prefix}{delimiter}{raw}{delimiter}{suffix}"

    convert_kbd = convert_code
    convert_samp = convert_code


def _shown_text(el: Tag) -> str:
    return " ".join(el.get_text(" ").split())


def _neighbour_block(el: Tag, forward: bool) -> Tag | None:
    sibling = el.next_sibling if forward else el.previous_sibling
    while isinstance(sibling, NavigableString) and not str(sibling).strip():
        sibling = sibling.next_sibling if forward else sibling.previous_sibling
    return sibling if isinstance(sibling, Tag) else None


def _repeats_a_caption(paragraph: Tag) -> bool:
    """Whether a paragraph only says again the caption of the figure next to it (Revue wrote a
    video's caption under its picture and again as text)."""
    text = _shown_text(paragraph)
    if not text:
        return False
    for forward in (False, True):
        figure = _neighbour_block(paragraph, forward)
        caption = figure.find("figcaption") if figure is not None and figure.name == "figure" else None
        if caption is not None and _shown_text(caption) == text:
            return True
    return False


class CaptionedImagesMixin(MarkdownConverter):
    """A figure is its image, a blank line, and its caption in italics, as the reference site has
    it; a paragraph beside it saying the caption again is not written twice."""

    def convert_p(self, el, text, parent_tags):
        if "_noformat" not in parent_tags and _repeats_a_caption(el):
            return ""
        return super().convert_p(el, text, parent_tags)

    def convert_figure(self, el, text, parent_tags):
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""

    def convert_figcaption(self, el, text, parent_tags):
        text = " ".join(text.split())
        if not text:
            return ""
        symbol = "*" if "_" in text.replace("\\_", "") else "_"
        return f"\n\n{symbol}{text}{symbol}\n\n"


class EmbedsMixin(MarkdownConverter):
    """Hugo shortcodes for players Hugo can show (youtube, vimeo, x)."""

    # The shortcodes this converter writes, and the parameters each takes, in order.
    SHORTCODES = {"youtube": ("id",), "vimeo": ("id",), "x": ("user", "id")}

    def convert_nm_shortcode(self, el, text, parent_tags):
        name = el.get("data-name")
        keys = self.SHORTCODES.get(name)
        values = [el.get(f"data-{key}", "") for key in keys] if keys else []
        # Only known shortcodes with plain identifiers are written: Hugo runs whatever is here.
        if not keys or not all(_SHORTCODE_VALUE.fullmatch(v) for v in values):
            return ""
        if name in ("youtube", "vimeo"):
            args = " ".join(values)
        else:
            args = " ".join(f'{key}="{value}"' for key, value in zip(keys, values))
        return f"\n\n{{{{< {name} {args} >}}}}\n\n"


class FootnotesMixin(MarkdownConverter):
    """Footnotes the `footnotes` cleaner marked: `[^label]` in the text, `[^label]: note` below,
    the note's further lines indented so they stay in it (Goldmark's and markdown-it's syntax)."""

    def convert_nm_footnote_ref(self, el, text, parent_tags):
        label = el.get_text().strip()
        return f"[^{label}]" if _FOOTNOTE_LABEL.fullmatch(label) and "_noformat" not in parent_tags else text

    def convert_nm_footnote(self, el, text, parent_tags):
        label = el.get("data-label") or ""
        lines = text.strip().split("\n")
        if not lines[0]:
            return ""
        if not _FOOTNOTE_LABEL.fullmatch(label):
            return "\n\n" + "\n".join(lines) + "\n\n"
        rest = "".join("\n" + ("    " + line if line.strip() else "") for line in lines[1:])
        return f"\n\n[^{label}]: {lines[0]}{rest}\n\n"


class _ReadTag(Tag):
    """A tag while the converter reads it: `find_parent` by a plain name walks the parents.

    markdownify's `process_tag` asks every tag `find_parent('pre')` (newlines are kept inside a
    <pre>); bs4 answers through its general search, building a filter for each call: a fifth of a
    page's conversion. The answer is the same: the nearest parent of that name, or of that
    `prefix:name`, as bs4's name match has it."""

    def find_parent(self, *args, **kwargs):
        if len(args) != 1 or kwargs or type(args[0]) is not str:
            return super().find_parent(*args, **kwargs)
        name = args[0]
        parent = self.parent
        while parent is not None:
            if parent.name == name or (parent.prefix and f"{parent.prefix}:{parent.name}" == name):
                return parent
            parent = parent.parent
        return None


class AncestorsMixin(MarkdownConverter):
    """The tree's tags are `_ReadTag`s while it is converted, and plain Tags again after."""

    def convert_soup(self, soup):
        tags = [node for node in soup.descendants if type(node) is Tag]
        for tag in tags:
            tag.__class__ = _ReadTag
        try:
            return super().convert_soup(soup)
        finally:
            for tag in tags:
                tag.__class__ = Tag


class IssueConverter(AutolinksMixin, EscapingMixin, EmphasisMixin, LinksMixin, CodeMixin, CaptionedImagesMixin, EmbedsMixin,
                     FootnotesMixin, AncestorsMixin, MarkdownConverter):
    """The converter for an issue body; its options match the reference site's Markdown."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "*"
        newline_style = BACKSLASH
        strong_em_symbol = "*"
        escape_misc = False

    def convert_body(self, el, text, parent_tags):
        return text


def to_markdown(doc) -> str:
    """The Markdown of a cleaned issue body, ending in exactly one newline (or empty)."""
    guard_shortcode_openers(doc)
    text = IssueConverter().convert_soup(doc).strip()
    return text + "\n" if text else ""
