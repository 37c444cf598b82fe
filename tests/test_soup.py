"""migrate.soup builds the very tree `BeautifulSoup(markup, "lxml")` builds: node for node, class
for class, attribute for attribute, link for link, on every page we have and on generated HTML."""
import csv
import io
import json
import warnings

import pytest
from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.soup import parse

from .support import FIXTURES, SHARED


def shape(doc: BeautifulSoup) -> list:
    """Everything about every node of a tree that bs4 or a cleaner could read: its class, name,
    attributes (and their classes), text, the builder's settings it carries, and each of its
    five links, as positions in document order."""
    nodes = [doc, *doc.descendants]
    position = {id(node): i for i, node in enumerate(nodes)}

    def at(node):
        return None if node is None else position.get(id(node), "outside the tree")

    out = [(doc.original_encoding, doc.declared_html_encoding, doc.contains_replacement_characters, doc.is_xml,
            doc.markup, doc._namespaces, doc.builder.soup)]
    for node in nodes:
        links = (at(node.parent), at(node.next_element), at(node.previous_element), at(node.next_sibling),
                 at(node.previous_sibling))
        if isinstance(node, Tag):
            attrs = [(key, type(value).__name__, list(value) if isinstance(value, list) else str(value))
                     for key, value in node.attrs.items()]
            out.append((type(node).__name__, node.name, attrs, type(node.attrs).__name__, node.namespace, node.prefix,
                        node._namespaces, node.hidden, node.can_be_empty_element, node.preserve_whitespace_tags,
                        node.cdata_list_attributes, sorted(t.__name__ for t in node.interesting_string_types or ()),
                        node.sourceline, node.sourcepos, node.known_xml, node.parser_class,
                        node.attribute_value_list_class, len(node.contents), links))
        else:
            out.append((type(node).__name__, str(node), links))
    return out


def same_tree(markup) -> None:
    with warnings.catch_warnings():  # both warn that a feed looks like XML; the comparison is the point here
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        ours, theirs = parse(markup), BeautifulSoup(markup, "lxml")
    assert shape(ours) == shape(theirs)
    assert str(ours) == str(theirs)


def pages_we_have():
    """Every HTML page and HTML body of the fixtures and (where present) the shared corpora."""
    for root in (FIXTURES, SHARED / "corpus", SHARED / "golden"):
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix in (".html", ".htm", ".xml"):
                yield f"{path}", path.read_bytes()
            elif path.suffix == ".json":
                yield from bodies_in_json(path)
            elif path.suffix == ".csv":
                with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                    for n, row in enumerate(csv.reader(io.StringIO(handle.read()))):
                        for cell in row:
                            if "<" in cell:
                                yield f"{path} row {n}", cell


def bodies_in_json(path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and "<" in item:
            yield f"{path} (a string)", item


PAGES = list(pages_we_have())


def test_there_are_pages_to_compare():
    assert len(PAGES) > 20


@pytest.mark.parametrize("markup", [markup for _, markup in PAGES], ids=[name for name, _ in PAGES])
def test_the_tree_of_every_page_we_have_is_bs4s(markup):
    same_tree(markup)
    same_tree(markup.decode("utf-8", "replace") if isinstance(markup, bytes) else markup.encode("utf-8"))


@pytest.mark.parametrize("markup", [
    "", " ", "\ufeff<p>x</p>", "plain text", "<!DOCTYPE html><p>a</p><!DOCTYPE html><p>b</p>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><p>x',
    "<?php echo 1 ?><p>x</p>", "<!-- a --><html><!-- b --><body><p>x</p><!-- c --></body></html><!-- d -->",
    "<pre>  a\n\n  </pre><textarea>\n \n</textarea><p> \n </p><p>  </p>",
    "<script>if (a < b) {}</script><style>p > a {}</style><template><p>x</p></template><pre><b>  </b></pre>",
    '<p class=" a  b\tc " rel="x y" id="z">x</p><td headers="a b">y</td><meta charset="latin-1">',
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>x</p>',
    "<svg:rect x='1'/><o:p></o:p><v:shape xmlns:v='urn:x'>y</v:shape>", "<html xmlns='http://www.w3.org/1999/xhtml'><p>x",
    "<p>a<p>b<div>c</p>d</div></b></i><table><tr><td>e<table>f", "<br/><img src=x></img><hr>text<wbr>",
    "<p>&amp; &lt; &nbsp; &#x1F600; &bogus; &#0;</p>", "<![CDATA[x]]><p>y</p>", "<p>\x00\x0b\x7f</p>",
    "<html><head><title>t</title></head><frameset><frame></frameset></html>",
])
def test_odd_documents_get_bs4s_tree(markup):
    same_tree(markup)
    same_tree(markup.encode("utf-8"))


@pytest.mark.parametrize("data", [
    b"<p>caf\xe9</p>", b'<meta charset="windows-1252"><p>\x93quoted\x94</p>', b"\xff\xfe<\x00p\x00>\x00x\x00",
    b"\xef\xbb\xbf<p>bom</p>", b'<?xml version="1.0" encoding="iso-8859-1"?><p>\xe9</p>', b"<p>\x80\x81\xfe</p>",
])
def test_bytes_in_any_encoding_get_bs4s_tree(data):
    same_tree(data)


NAMES = ["div", "p", "span", "a", "b", "br", "img", "table", "tr", "td", "script", "style", "pre", "textarea",
         "template", "li", "html", "body", "head", "title", "svg:g", "o:p", "meta"]
TEXTS = ["", " ", "\n", " \n\t ", "x", "a & b", "<", "it's", "\u00a0", "&amp;", "&nbsp;", "</p>", "]]>"]
ATTRS = st.dictionaries(st.sampled_from(["href", "class", "rel", "style", "charset", "xmlns", "xmlns:x", "x:y", "data-x"]),
                        st.sampled_from(TEXTS), max_size=3)
RAW = ["<!-- c -->", "<![CDATA[x]]>", "<!DOCTYPE html>", "<?pi x?>", "</div>", "</p>", "<p>", "&", "<"]
NODES = st.recursive(
    st.sampled_from(TEXTS[1:]).map(lambda t: ("text", t)) | st.sampled_from(RAW).map(lambda t: ("raw", t)),
    lambda children: st.tuples(st.sampled_from(NAMES), ATTRS, st.lists(children, max_size=4), st.booleans()),
    max_leaves=30)


def render(node) -> str:
    if node[0] in ("text", "raw"):
        return node[1]
    name, attrs, children, closed = node
    shown = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<{name}{shown}>{''.join(render(c) for c in children)}" + (f"</{name}>" if closed else "")


@settings(max_examples=300, deadline=None)
@given(st.lists(NODES, min_size=1, max_size=4))
def test_any_html_gets_bs4s_tree(nodes):
    same_tree("".join(render(n) for n in nodes))


@pytest.mark.parametrize("levels", [0, 1, 5, 300])
def test_the_depth_of_a_tree_is_how_deep_its_elements_nest(levels):
    from migrate.soup import depth

    doc = parse("<div>" * levels + "x")
    deepest = max((len(list(el.parents)) for el in doc.find_all(True)), default=0)
    assert depth(doc) == deepest
