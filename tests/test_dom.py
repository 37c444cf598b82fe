"""The tree operations the cleaners lean on do exactly what bs4's own do, faster."""
import copy

from bs4 import BeautifulSoup, NavigableString, Tag
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from migrate.dom import html_of, unwrap

from .support import FIXTURES

NAMES = ["div", "p", "span", "a", "b", "br", "img", "table", "td", "script", "style", "pre"]
TEXTS = ["", " ", "x", "a & b", "<1>", "it's", 'say "hi"', "both ' and \"", "\u00a0", "&amp;"]
ATTRS = st.dictionaries(st.sampled_from(["href", "class", "style", "alt", "title", "data-x"]),
                        st.sampled_from(TEXTS[1:]), max_size=3)
NODES = st.recursive(
    st.sampled_from(TEXTS[1:]).map(lambda t: ("text", t)) | st.sampled_from(["<!-- c -->", "<![CDATA[x]]>"]).map(lambda t: ("raw", t)),
    lambda children: st.tuples(st.sampled_from(NAMES), ATTRS, st.lists(children, max_size=4)),
    max_leaves=25)


def render(node) -> str:
    if node[0] == "text":
        return node[1].replace("&", "&amp;").replace("<", "&lt;")
    if node[0] == "raw":
        return node[1]
    name, attrs, children = node
    shown = "".join(f' {k}="{v.replace("&", "&amp;").replace(chr(34), "&quot;")}"' for k, v in attrs.items())
    return f"<{name}{shown}>{''.join(render(c) for c in children)}</{name}>"


def links_hold(doc: BeautifulSoup) -> bool:
    """Parents, siblings and document order agree with the children lists everywhere."""
    order = list(doc.descendants)
    walked, node = [], (doc.contents[0] if doc.contents else None)
    while node is not None:
        walked.append(node)
        node = node.next_element
    if [id(n) for n in walked] != [id(n) for n in order]:
        return False
    for el in [doc, *(n for n in order if isinstance(n, Tag))]:
        for i, child in enumerate(el.contents):
            if child.parent is not el:
                return False
            if child.previous_sibling is not (el.contents[i - 1] if i else None):
                return False
            if child.next_sibling is not (el.contents[i + 1] if i + 1 < len(el.contents) else None):
                return False
    return True


@settings(max_examples=150, deadline=None)
@given(st.lists(NODES, min_size=1, max_size=4), st.data())
def test_unwrap_leaves_the_tree_bs4s_unwrap_leaves(nodes, data):
    html = "".join(render(n) for n in nodes)
    ours, theirs = BeautifulSoup(html, "lxml"), BeautifulSoup(html, "lxml")
    elements = [el for el in ours.body.descendants if isinstance(el, Tag)] if ours.body else []
    assume(elements)
    index = data.draw(st.integers(0, len(elements) - 1))
    target = [el for el in theirs.body.descendants if isinstance(el, Tag)][index]
    unwrap(elements[index])
    target.unwrap()
    assert str(ours) == str(theirs)
    assert links_hold(ours)
    assert elements[index].parent is None and not elements[index].contents


@settings(max_examples=200, deadline=None)
@given(st.lists(NODES, min_size=1, max_size=4))
def test_html_of_is_str_of_any_tree(nodes):
    doc = BeautifulSoup("".join(render(n) for n in nodes), "lxml")
    assert html_of(doc) == str(doc)
    for el in doc.find_all(True):
        assert html_of(el) == str(el)


def test_html_of_is_str_of_every_fixture_page_and_its_parts():
    pages = sorted(FIXTURES.rglob("*.html"))
    assert len(pages) > 5
    for path in pages:
        doc = BeautifulSoup(path.read_bytes(), "lxml")
        assert html_of(doc) == str(doc), path.name
        for el in doc.find_all(True):
            assert html_of(el) == str(el), (path.name, el.name)
    changed = BeautifulSoup('<p class="a b">x<br/><meta charset="latin-1"/></p>', "lxml")
    changed.p["data-n"] = 3  # a value that is not a string
    changed.p.append(copy.copy(changed.p.br))
    assert html_of(changed) == str(changed)


def test_html_of_escapes_text_as_str_does_wherever_a_cleaner_put_it():
    doc = BeautifulSoup("<div><script>if (a < b && c) {}</script><p>x</p></div>", "lxml")
    doc.script.append(NavigableString(" 1 < 2 & 3 > 0"))      # a plain string, inside a script: kept raw
    doc.p.append(NavigableString("a < b & c > d, &amp;"))    # inside a paragraph: escaped
    doc.p["title"] = "<&>"
    doc.p["hidden"] = None                                    # an attribute without a value
    assert html_of(doc) == str(doc)
    assert "1 < 2 & 3 > 0" in html_of(doc) and "a &lt; b &amp; c &gt; d, &amp;amp;" in html_of(doc)
