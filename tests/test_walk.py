"""One walk, many cleaners: each element is handed to the cleaners registered for its tag, id or
class, in the chain's order, and what a cleaner does to it decides what the walk does next."""
from bs4 import BeautifulSoup

from migrate.cleaners.base import CleanContext, Cleaner
from migrate.cleaners.walk import Dispatch, Plan
from migrate.record import Issue


def issue() -> Issue:
    return Issue(platform="revue", source_id="1", html="")


class Seen(Cleaner):
    """Records what it is handed, as `tag#id.class` or the text."""

    name = "seen"

    def __init__(self, context, tags=("*",), classes=(), texts=False, leave_tags=()):
        super().__init__(context)
        self.tags, self.classes, self.texts, self.leave_tags = frozenset(tags), frozenset(classes), texts, frozenset(leave_tags)
        self.log = []

    def visit(self, el, walk):
        self.log.append(el.name)

    def visit_text(self, node, walk):
        if node.strip():
            self.log.append(f"'{node.strip()}'")

    def leave(self, el, walk):
        self.log.append(f"/{el.name}")


def context(mappings) -> CleanContext:
    return CleanContext(mappings, mappings.platform("revue"))


def test_elements_are_handed_in_document_order_and_left_after_their_content(mappings):
    seen = Seen(context(mappings), tags={"div", "p", "b"}, texts=True, leave_tags={"div"})
    doc = BeautifulSoup("<div><p>one <b>two</b></p></div><p>three</p>", "lxml")
    Plan([seen]).run(doc, issue())
    assert seen.log == ["div", "p", "'one'", "b", "'two'", "/div", "p", "'three'"]


def test_an_element_is_found_by_its_class_or_id_and_handed_once(mappings):
    seen = Seen(context(mappings), tags={"span"}, classes={"x", "y"})
    seen.ids = frozenset({"only"})
    doc = BeautifulSoup('<span class="x y">a</span><em id="only">b</em><em class="z">c</em>', "lxml")
    Plan([seen]).run(doc, issue())
    assert seen.log == ["span", "em"]


def test_a_renamed_element_is_handed_to_the_later_cleaners_as_what_it_is_now(mappings):
    class Rename(Cleaner):
        name = "rename"
        classes = frozenset({"revue-p"})

        def visit(self, el, walk):
            el.name, el.attrs = "p", {}

    seen = Seen(context(mappings), tags={"p", "div"})
    doc = BeautifulSoup('<div class="revue-p">text</div>', "lxml")
    Plan([Rename(context(mappings)), seen]).run(doc, issue())
    assert seen.log == ["p"]


def test_what_an_unwrapped_element_held_is_walked_and_a_removed_ones_is_not(mappings):
    class Layout(Cleaner):
        name = "layout"
        tags = frozenset({"td", "script"})

        def visit(self, el, walk):
            el.unwrap() if el.name == "td" else el.decompose()

    seen = Seen(context(mappings), tags={"a", "img"})
    doc = BeautifulSoup('<table><tr><td><a href="x">x</a></td></tr></table><script><img src="y"></script>', "lxml")
    Plan([Layout(context(mappings)), seen]).run(doc, issue())
    assert seen.log == ["a"]


def test_nodes_that_replace_an_element_are_walked_by_every_cleaner(mappings):
    class Card(Cleaner):
        name = "card"
        classes = frozenset({"card"})

        def visit(self, el, walk):
            first, second = walk.doc.new_tag("p"), walk.doc.new_tag("p")
            first.append(walk.doc.new_tag("a", href="https://a.example/"))
            second.string = "description"
            el.insert_before(first)
            el.insert_before(second)
            el.decompose()
            return [first, second]

    seen = Seen(context(mappings), tags={"p", "a"}, texts=True)
    doc = BeautifulSoup('<div class="card"><span>old</span></div><p>after</p>', "lxml")
    Plan([seen, Card(context(mappings))]).run(doc, issue())
    assert seen.log == ["p", "a", "p", "'description'", "p", "'after'"]  # the card itself is no p


def test_a_stretch_of_per_element_cleaners_is_one_walk_and_a_document_cleaner_sits_between(mappings):
    class Whole(Cleaner):
        name = "whole"
        is_document = True

        def clean(self, doc, issue):
            pass

    a, b, c = Seen(context(mappings)), Whole(context(mappings)), Seen(context(mappings))
    plan = Plan([a, Seen(context(mappings)), b, c])
    assert [type(step).__name__ for step in plan.steps] == ["Dispatch", "Whole", "Dispatch"]
    assert isinstance(plan.steps[0], Dispatch) and len(plan.steps[0].cleaners) == 2


def test_a_cleaner_is_handed_what_any_of_its_selectors_could_select(mappings):
    from migrate.selectors import SelectorRules

    class Picky(Cleaner):
        name = "picky"

    cleaner = Picky(context(mappings))
    cleaner.hand_over(SelectorRules([("div.card", 1), (".note", 2), ("#top", 3)]), SelectorRules([("p", 4)]), tags=frozenset({"a"}))
    assert (cleaner.tags, cleaner.classes, cleaner.ids) == ({"a", "div", "p"}, {"note"}, {"top"})
    cleaner.hand_over(SelectorRules([("[data-embed]", 1)]))
    assert "*" in cleaner.tags  # a rule about any element: every element is handed over
