"""A Buttondown body's Django template, resolved as the web archive resolved it."""
import pytest

from migrate.fetchers.buttondown_template import WebView, resolve_for_web

EMAIL = {"subject": "Tides & moons", "secondary_id": 12, "publish_date": "2024-08-05T07:00:00Z"}
URL = "https://buttondown.com/harbourlog/archive/tides/"


def web(text: str, email_url: str | None = URL) -> str:
    return resolve_for_web(text, WebView(EMAIL, email_url))


@pytest.mark.parametrize("template, shown", [
    ("{% if medium == 'web' %}A{% else %}B{% endif %}", "A"),
    ('{% if medium == "email" %}A{% else %}B{% endif %}', "B"),
    ("{% if medium != 'web' %}A{% elif medium == 'web' %}C{% endif %}", "C"),
    ("{% if not medium == 'email' and email.secondary_id > 10 %}A{% endif %}", "A"),
    ("{% if subscriber.can_view_premium_content %}paid{% else %}upgrade{% endif %}", "upgrade"),  # nobody is signed in
    ('{% if "python" in subscriber.tags %}P{% elif subscriber %}S{% else %}N{% endif %}', "N"),
    ("{% if medium %}{% if medium == 'email' %}E{% else %}W{% endif %}{% endif %}", "W"),  # nested blocks
    ("x{# a note to self #}y{% comment %}drafting{% endcomment %}z", "xyz"),
    ("{% verbatim %}{{ email.subject }}{% endverbatim %}", "{{ email.subject }}"),
])
def test_conditions_and_comments_resolve_as_the_archive_showed_them(template, shown):
    assert web(template) == shown


def test_the_emails_own_fields_are_filled_in_escaped_as_django_escapes_them():
    assert web("#{{ email.secondary_id }}: {{ email.subject }} ({{ medium }})") == "#12: Tides &amp; moons (web)"
    assert web("{{ email.subject|upper }}") == "TIDES &amp; MOONS"


def test_email_url_is_the_archive_url_and_is_left_for_the_cleaner_when_unknown():
    assert web("[online]({{ email_url }})") == f"[online]({URL})"
    assert web("[online]({{ email_url }})", email_url=None) == "[online]({{ email_url }})"


def test_what_only_a_reader_has_is_left_for_the_template_tags_cleaner():
    text = "Hi {{ subscriber.metadata.first_name }}, [leave]({{ unsubscribe_url }}) {% for x in y %}z{% endfor %}"
    assert web(text) == text


def test_a_condition_it_cannot_read_leaves_its_block_and_says_so():
    view = WebView(EMAIL, URL)
    assert resolve_for_web("{% if foo( %}A{% else %}B{% endif %}", view) == "{% if foo( %}A{% else %}B{% endif %}"
    assert view.notes == ["the template condition {% if foo( %} could not be read; its block was left as written, both branches kept"]


def test_an_unclosed_if_is_left_as_written():
    view = WebView(EMAIL, URL)
    assert resolve_for_web("{% if medium == 'web' %}A", view) == "{% if medium == 'web' %}A"
    assert "has no endif" in view.notes[0]
