"""BeautifulSoup trees built straight from lxml's parser events.

`BeautifulSoup(markup, "lxml")` hands each of lxml's parser events through three layers of
Python (bs4's lxml tree builder, which copies every attribute dict twice and looks for
namespaces; the BeautifulSoup object's handlers; its tag and string stacks) before an element
reaches the tree: that was half the CPU of parsing a page. `parse(markup)` gives lxml's HTML
parser a target of its own that does what those layers do for HTML, in one step per event:
the same parser (libxml2 through lxml, with bs4's options), the same encodings tried in the same
order (bs4's own `prepare_markup`), the same Tag and string classes, made by bs4's constructors,
so the tree is the one bs4 builds, node for node and link for link (tests/test_soup.py holds that
on every page of the fixtures and corpora, and on generated HTML).

The few documents bs4 would treat in a way this target does not (a name in an XML namespace, an
end tag that does not close the element open last) are handed to bs4 itself.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.element import ProcessingInstruction
from bs4.exceptions import ParserRejectedMarkup
from lxml import etree

_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"  # what bs4 counts as space in a string of nothing else


class _NotPlain(Exception):
    """The document needs bs4's own builder (see the module's docstring)."""


class _Target:
    """lxml parser events into a BeautifulSoup tree, as bs4's lxml builder and the BeautifulSoup
    object's handlers would put them there."""

    def __init__(self, soup: BeautifulSoup, builder: LXMLTreeBuilder):
        self.soup, self.builder = soup, builder
        self.open: list[Tag] = [soup]
        self.current: Tag = soup
        self.last = None          # the node parsed last (the document itself is none)
        self.parts: list[str] = []  # text not yet made a string
        self.preserving = 0       # open elements whose whitespace is kept (<pre>, <textarea>)
        self.containers: list[Tag] = []  # open elements whose strings are of a class of their own (<script>, <style>)
        self.preserve = builder.preserve_whitespace_tags
        self.string_containers = builder.string_containers
        self.namespaces = builder.active_namespace_prefixes[-1]
        self.attribute_dict = builder.attribute_dict_class
        self.deepest = 0          # the most elements open at once, the document aside

    def _string(self, kind=None) -> None:
        text = "".join(self.parts)
        self.parts = []
        if not self.preserving and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        if kind is None:
            kind = NavigableString
            if self.containers:
                kind = self.string_containers.get(self.containers[-1].name, kind)
        string = kind(text)
        string.setup(self.current, self.last)
        self.current.contents.append(string)
        self.last = string

    def start(self, name: str, attrib) -> None:
        if self.parts:
            self._string()
        attrs = self.attribute_dict(attrib)  # lxml's values are all str, which the dict keeps as they are
        if name[0] == "{" or (attrs and any(key[0] == "{" for key in attrs)):
            raise _NotPlain(name)
        tag = Tag(self.soup, self.builder, name, None, None, attrs, self.current, self.last, namespaces=self.namespaces)
        self.last = tag
        self.current.contents.append(tag)
        self.open.append(tag)
        self.current = tag
        if len(self.open) > self.deepest + 1:
            self.deepest = len(self.open) - 1
        if name in self.preserve:
            self.preserving += 1
        if name in self.string_containers:
            self.containers.append(tag)

    def end(self, name: str) -> None:
        if self.parts:
            self._string()
        if len(self.open) < 2 or self.current.name != name:
            raise _NotPlain(name)
        self._close()

    def _close(self) -> None:
        tag = self.open.pop()
        if tag.name in self.preserve and self.preserving:
            self.preserving -= 1
        if self.containers and self.containers[-1] is tag:
            self.containers.pop()
        self.current = self.open[-1]

    def data(self, text: str) -> None:
        self.parts.append(text)

    def comment(self, text: str) -> None:
        self._node(text, Comment)

    def doctype(self, name: str, pubid: str, system: str) -> None:
        self._node(Doctype._string_for_name_and_ids(name, pubid, system), Doctype)

    def pi(self, target: str, data: str) -> None:
        self._node(target + " " + data, ProcessingInstruction)

    def _node(self, text: str, kind) -> None:
        if self.parts:
            self._string()
        self.parts.append(text)
        self._string(kind)

    def close(self) -> BeautifulSoup:
        if self.parts:
            self._string()
        while len(self.open) > 1:
            self._close()
        return self.soup


def parse(markup: str | bytes) -> BeautifulSoup:
    """What `BeautifulSoup(markup, "lxml")` gives, built in one step per parser event. `depth(doc)`
    tells how deep its elements nest."""
    builder = LXMLTreeBuilder()
    soup = BeautifulSoup("", builder=builder)
    rejections = []
    try:
        for (soup.markup, soup.original_encoding, soup.declared_html_encoding,
             soup.contains_replacement_characters) in builder.prepare_markup(markup, None):
            soup.reset()
            builder.initialize_soup(soup)
            target = _Target(soup, builder)
            try:
                parser = etree.HTMLParser(target=target, recover=True, huge_tree=getattr(builder, "huge_tree", False),
                                          encoding=soup.original_encoding)
                parser.feed(soup.markup)
                parser.close()
                break
            except (UnicodeDecodeError, LookupError, etree.ParserError) as exc:
                rejections.append(exc)
        else:
            raise ParserRejectedMarkup("The markup you provided was rejected by the parser: "
                                       + "; ".join(str(exc) for exc in rejections))
    except _NotPlain:
        return BeautifulSoup(markup, "lxml")
    soup.markup = None
    builder.soup = None
    soup.__dict__["nm_depth"] = target.deepest
    return soup


def depth(doc: BeautifulSoup) -> int | None:
    """The most elements nested in one another in a document `parse` built (a child of the
    document is at depth 1); None for a tree it did not build."""
    return doc.__dict__.get("nm_depth")
