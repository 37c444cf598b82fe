"""How a per-reader field leaves running text (cleaners/running_text.py), through both cleaners
that remove one: Mailchimp's merge_tags (`*|FNAME|*`) and Buttondown's template_tags
(`{{ subscriber.email }}`). The sentence closes up as if the field had never been written,
whatever markup is around it."""
import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.cleaners import CLEANERS, CleanContext
from migrate.cleaners.running_text import close_up
from migrate.record import Issue

FIELDS = {"merge_tags": ("mailchimp", "*|FNAME|*"), "template_tags": ("buttondown", "{{ subscriber.email }}")}


def seen(mappings, cleaner: str, html: str) -> str:
    """The paragraph's text after the cleaner, with FIELD standing for the platform's per-reader field."""
    platform, field = FIELDS[cleaner]
    doc = BeautifulSoup(html.replace("FIELD", field), "lxml")
    CLEANERS[cleaner].from_config({}, CleanContext(mappings, mappings.platform(platform))).clean(
        doc, Issue(platform=platform, source_id="c1", html=""))
    return doc.body.get_text()


def plain(html: str) -> str:
    return BeautifulSoup(html, "lxml").body.get_text()


@pytest.mark.parametrize("cleaner", sorted(FIELDS))
@pytest.mark.parametrize("marked", [
    "<p>Hello <b>dear</b> FIELD, welcome.</p>",
    "<p><a href='https://example.org/'>Hi</a> FIELD, there</p>",
])
def test_a_comma_after_a_field_that_follows_an_element_is_kept(mappings, cleaner, marked):
    # The same sentence without the markup: "Hello dear FIELD, welcome." reads "Hello dear, welcome.";
    # the markup before the field must not make its comma look like one left at a sentence's start.
    assert seen(mappings, cleaner, marked) == seen(mappings, cleaner, plain(marked).join(["<p>", "</p>"]))
    assert "," in seen(mappings, cleaner, marked)


@pytest.mark.parametrize("cleaner", sorted(FIELDS))
@pytest.mark.parametrize("marked, expected", [
    ("<p>Hello <strong>FIELD</strong>, welcome.</p>", "Hello, welcome."),
    ("<p>Hi <a href='https://example.org/'>FIELD</a>.</p>", "Hi."),
    ("<p>Thanks, FIELD<em>!</em></p>", "Thanks!"),
    ("<p>Dear <b>FIELD</b> <b>FIELD</b>, hi</p>", "Dear, hi"),
])
def test_a_field_next_to_or_inside_inline_markup_closes_up_like_plain_text(mappings, cleaner, marked, expected):
    # The field sits alone in its text node, or the punctuation after it is in the next one: the
    # sentence still closes up, and an element the field alone filled goes with it.
    assert seen(mappings, cleaner, marked) == expected


@pytest.mark.parametrize("left, right, joined", [
    ("Thanks, ", "!", "Thanks!"),
    ("Hello ", ", welcome.", "Hello, welcome."),
    ("News: ", ", hello", "News: hello"),
    ("Thanks, ", "", "Thanks"),
    ("", ", welcome", "welcome"),
    ("Dear ", " friend", "Dear friend"),
])
def test_close_up_joins_the_halves_as_if_no_field_had_been_there(left, right, joined):
    assert close_up(left, right) == joined


@pytest.mark.parametrize("cleaner", sorted(FIELDS))
def test_a_field_alone_in_a_link_takes_the_link_with_it(mappings, cleaner):
    platform, field = FIELDS[cleaner]
    doc = BeautifulSoup(f"<p>Hi <a href='https://example.org/'>{field}</a>.</p>", "lxml")
    CLEANERS[cleaner].from_config({}, CleanContext(mappings, mappings.platform(platform))).clean(
        doc, Issue(platform=platform, source_id="c1", html=""))
    assert doc.find("a") is None


@pytest.mark.parametrize("cleaner", sorted(FIELDS))
def test_a_field_at_a_paragraphs_start_takes_its_comma_and_space_but_not_the_paragraph_before(mappings, cleaner):
    assert seen(mappings, cleaner, "<p>Hello</p><p>FIELD, welcome</p>") == "Hellowelcome"
    assert seen(mappings, cleaner, "<p>Thanks,</p><p>FIELD</p>") == "Thanks,"


WORDS = ["Hello", "dear", "friend", "welcome", "and"]
PUNCTUATION = [",", ".", "!", ":", " ", "\u00a0"]
INLINE = ["b", "strong", "em", "span", "a"]


@st.composite
def sentences(draw):
    """A sentence of words, punctuation and fields (FIELD), some pieces wrapped in inline markup."""
    pieces = draw(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION), st.just("FIELD"),
                                     st.just(" FIELD"), st.just("FIELD ")), min_size=1, max_size=12))
    wrapped = draw(st.lists(st.sampled_from([None, *INLINE]), min_size=len(pieces), max_size=len(pieces)))
    marked = "".join(f"<{tag}>{piece}</{tag}>" if tag else piece for piece, tag in zip(pieces, wrapped))
    return "<p>" + marked + "</p>", "<p>" + "".join(pieces) + "</p>"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sentences(), st.sampled_from(sorted(FIELDS)))
def test_markup_around_a_field_never_changes_how_the_sentence_closes_up(mappings, sentence, cleaner):
    marked, plain_text = sentence
    # Runs of spaces compared as one: lxml itself drops some whitespace-only text between tags.
    assert spaced(seen(mappings, cleaner, marked)) == spaced(seen(mappings, cleaner, plain_text))


def spaced(text: str) -> str:
    return re.sub(r"[ \t\n]+", " ", text).strip(" ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["FIELD", " FIELD", "FIELD ", "Hi", ", ", " ", "!", "<img src='p.png'>", "<br>",
                                 "<b>", "</b>", "<a href='https://example.org/'>", "</a>"]), min_size=1, max_size=14),
       st.sampled_from(sorted(FIELDS)))
def test_closing_up_never_takes_an_image_or_a_line_break_with_it(mappings, pieces, cleaner):
    platform, field = FIELDS[cleaner]
    html = "<p>" + "".join(pieces).replace("FIELD", field) + "</p>"
    before = BeautifulSoup(html, "lxml")
    after = BeautifulSoup(html, "lxml")
    CLEANERS[cleaner].from_config({}, CleanContext(mappings, mappings.platform(platform))).clean(
        after, Issue(platform=platform, source_id="c1", html=""))
    for name in ("img", "br"):
        assert len(after.find_all(name)) == len(before.find_all(name)), str(after.body)


@pytest.mark.parametrize("cleaner, field", [("merge_tags", "*|FNAME|*"), ("template_tags", "{{ subscriber.email }}")])
@pytest.mark.parametrize("html", [
    "<p>See <img src='photo.png'>FIELD</p>",
    "<p>Hi, <img src='photo.png'>FIELD</p>",
    "<p>Look: <img src='photo.png'> FIELD</p>",
    "<p>Our chart <a href='https://example.org/c'><img src='chart.png'></a> FIELD</p>",
])
def test_closing_up_after_a_field_never_removes_an_image_between_the_texts(mappings, cleaner, field, html):
    """The space or comma left hanging before the field is cut from its own text node; an image
    between it and the field stays."""
    from bs4 import BeautifulSoup

    from migrate.cleaners import CLEANERS, CleanContext
    from migrate.record import Issue

    platform = "mailchimp" if cleaner == "merge_tags" else "buttondown"
    doc = BeautifulSoup(html.replace("FIELD", field), "lxml")
    CLEANERS[cleaner].from_config({}, CleanContext(mappings, mappings.platform(platform))).clean(
        doc, Issue(platform=platform, source_id="c1", html=""))
    assert len(doc.find_all("img")) == 1, str(doc.body)


@pytest.mark.parametrize("cleaner, field", [("merge_tags", "*|FNAME|*"), ("template_tags", "{{ subscriber.email }}")])
def test_closing_up_after_a_field_keeps_a_line_break_before_it(mappings, cleaner, field):
    from bs4 import BeautifulSoup

    from migrate.cleaners import CLEANERS, CleanContext
    from migrate.record import Issue

    platform = "mailchimp" if cleaner == "merge_tags" else "buttondown"
    doc = BeautifulSoup(f"<p>Line one <br>{field}</p>", "lxml")
    CLEANERS[cleaner].from_config({}, CleanContext(mappings, mappings.platform(platform))).clean(
        doc, Issue(platform=platform, source_id="c1", html=""))
    assert doc.find("br") is not None, str(doc.body)
