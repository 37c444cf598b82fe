"""Hostile markup in an issue's body: nesting tens of thousands deep, unclosed elements that
swallow the rest of the issue, markup where text belongs, tracking left in a link's words.
(Speed at depth is measured by bench/deep.py, not asserted here.)"""
import json

import pytest

from migrate.dom import PARSE_DEPTH, flattened, parse_html

from .support import migrate


def depth_of(doc) -> int:
    deepest, depth = 0, {id(doc): 0}
    for node in doc.descendants:
        if hasattr(node, "contents"):
            depth[id(node)] = depth[id(node.parent)] + 1
            deepest = max(deepest, depth[id(node)])
    return deepest


# ---------------------------------------------------------------------- item 8: nesting at any depth

@pytest.mark.parametrize("opening", ["<div>", "<table><tr><td>", "<b><i>", "<ul><li>", "<span class='x'>"])
def test_nesting_past_the_limit_is_flattened_keeping_text_images_and_breaks_in_order(opening):
    levels = 5000
    html = "<p>Start.</p>" + opening * levels + "one <img src='deep.png' alt='deep'> two<br>three" + "<p>End.</p>"
    doc = parse_html(html)
    assert depth_of(doc) <= PARSE_DEPTH + 2  # <html><body> above the content
    text = doc.get_text(" ")
    assert text.index("Start.") < text.index("one") < text.index("two") < text.index("three")
    assert doc.find("img", src="deep.png") is not None and doc.find("br") is not None
    assert flattened(doc) >= levels - PARSE_DEPTH


def test_nesting_within_the_limit_is_left_as_it_is():
    """Email templates nest their layout tables 80 deep and more: the parse leaves them whole,
    for the cleaners that read the layout."""
    html = "<table><tr><td>" * 60 + "<p>kept <b>bold</b></p>" + "</td></tr></table>" * 60
    doc = parse_html(html)
    assert flattened(doc) == 0 and doc.find("b").get_text() == "bold" and len(doc.find_all("td")) == 60


def revue_page(body: str) -> bytes:
    return ('<!DOCTYPE html><html><head><title>Deep | Revue</title>'
            '<link rel="canonical" href="https://www.getrevue.co/profile/deep/issues/deep-700001"></head><body>'
            '<section id="issue-header"><h1 class="issue-title">Deep</h1><time datetime="2020-05-03T08:00:00.000Z">2020-05-03</time>'
            f'</section><div id="issue-frame"><div class="revue-p">{body}</div></div></body></html>').encode()


def test_a_saved_page_nested_deep_is_read_with_its_text_and_picture_and_named(tmp_path, image_host):
    source = tmp_path / "deep.html"
    source.write_bytes(revue_page("<p>Before.</p>" + "<div>" * 20000 + f"deep text <img src='{image_host.url}/deep.png' alt='a picture'>"
                                  + "</div>" * 20000 + "<p>After.</p>"))
    report = migrate("revue-pages", source, tmp_path / "site", allow_hosts=["127.0.0.1"])
    (entry,) = report.issues
    body = (tmp_path / "site" / entry["output"]).read_text()
    assert "Before." in body and "deep text" in body and "After." in body and "](/images/" in body
    assert any(f"deeper than {PARSE_DEPTH} levels" in w for w in entry["warnings"]) and not entry["failures"]


@pytest.mark.parametrize("opening", ["<table><tr><td>", "<blockquote>", "<a href='https://x.example/?utm_source=t'>"])
def test_an_api_issue_nested_deep_is_written_in_full(tmp_path, opening):
    html = "<p>Before.</p>" + opening * 20000 + "deep text<br>next line"
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Deep", "html": html, "sent_at": "2022-01-02T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/deep-1"}]))
    report = migrate("revue-api", source, tmp_path / "site", download_images=False)
    (entry,) = report.issues
    body = (tmp_path / "site" / entry["output"]).read_text()
    assert "Before." in body and "deep text" in body and "next line" in body and not entry["failures"]


# ---------------------------------------------------------------------- item 4: what an unclosed element swallows

def run_body(tmp_path, html: str, title: str = "Markup"):
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": title, "html": html, "sent_at": "2022-01-02T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/markup-1"}]))
    report = migrate("revue-api", source, tmp_path / "site", download_images=False)
    (entry,) = report.issues
    return entry, (tmp_path / "site" / entry["output"]).read_text()


REST = "<p>After one.</p><h2>A heading</h2><ul><li>A point</li></ul><p>After two.</p>"


@pytest.mark.parametrize("opening", [
    "<embed src='https://evil.example/x.swf'>", "<embed src=x.swf type=application/x-shockwave-flash>",
    "<object data='https://evil.example/x.swf'>", "<applet code='X.class'>", "<canvas width=10>",
    "<button type=button>Click", "<select><option>One", "<svg><circle r=1>", "<math><mi>x</mi>",
    "<input type=text value=x>", "<video><source src=a.mp4>", "<object data=a><embed src=b>",
])
def test_an_unclosed_unsafe_element_takes_nothing_that_followed_it(tmp_path, opening):
    entry, text = run_body(tmp_path, "<p>Before.</p>" + opening + REST)
    for words in ("Before.", "After one.", "## A heading", "* A point", "After two."):
        assert words in text, (words, text)
    assert "evil.example" not in text and "<embed" not in text and "<object" not in text and "<svg" not in text
    assert not any("unclosed" in w for w in entry["warnings"])


def test_an_objects_fallback_content_is_what_readers_see_and_its_params_go(tmp_path):
    _, text = run_body(tmp_path, "<object data='movie.swf'><param name='movie' value='movie.swf'>"
                                 "<p>Watch the <a href='https://video.example/v'>recording</a>.</p></object><p>Next.</p>")
    assert "Watch the [recording](https://video.example/v)." in text and "Next." in text and "movie" not in text


@pytest.mark.parametrize("opening", ["<form action='https://evil.example/'>", "<noscript>", "<script>", "<iframe src=x>",
                                     "<textarea>", "<style>"])
def test_an_element_removed_with_paragraphs_inside_it_is_named_in_the_report(tmp_path, opening):
    entry, text = run_body(tmp_path, "<p>Before.</p>" + opening + REST)
    name = opening[1:].split(">")[0].split()[0]
    (warning,) = [w for w in entry["warnings"] if "unclosed" in w]
    assert f"<{name}> was removed with 39 characters of text inside it (\"After one. A heading A point After two.…\"): " \
           f"an unclosed <{name}> in the source may have held what followed it" in warning
    assert "Before." in text


@pytest.mark.parametrize("html", [
    "<p>Before.</p><form><label>Your email</label><input type=email><button>Subscribe</button></form><p>After.</p>",
    "<p>Before.</p><script>var x = '<b>' + 1;</script><style>p { color: red }</style><p>After.</p>",
    "<p>Before.</p><iframe src='https://evil.example/'>Your reader cannot show frames.</iframe><p>After.</p>",
    "<p>Before.</p><embed src='x.swf'></embed><object data='y'></object><p>After.</p>",
])
def test_an_element_with_only_its_own_content_goes_without_a_word(tmp_path, html):
    entry, text = run_body(tmp_path, html)
    assert "Before." in text and "After." in text and not any("unclosed" in w for w in entry["warnings"])
    assert "Subscribe" not in text and "frames" not in text


# ---------------------------------------------------------------------- item 15: front matter is text

def test_a_title_with_markup_is_written_as_text_warned_of_and_named_by_check(tmp_path):
    from migrate.check import check_site

    entry, text = run_body(tmp_path, "<p>Body.</p>", title="<img src=x onerror=alert(document.cookie)> Spring news")
    assert any("its title holds markup" in w for w in entry["warnings"])
    findings = [(f.rule, f.message) for f in check_site(tmp_path / "site")]
    assert ("markup", "title holds markup (<img>): front matter is text, and a theme that shows it as HTML would run it; "
                      "write it as plain text") in findings


def test_check_looks_for_markup_in_every_field_and_only_markup(tmp_path):
    from migrate.check import check_site

    site = tmp_path / "site"
    (site / "content" / "issues").mkdir(parents=True)
    (site / "content" / "issues" / "001.md").write_text(
        "---\ntitle: 'Less is more: a < b, and b > c, 1 <3 you'\ndate: 2022-01-01\n"
        "description: 'A <b>bold</b> claim'\nparams:\n  credits: ['Photo', '<a href=\"javascript:x\">me</a>']\n---\n\nText.\n")
    found = {(f.rule, f.message.split(":")[0]) for f in check_site(site)}
    assert found == {("markup", "description holds markup (<b>)"), ("markup", "params.credits[1] holds markup (<a>)")}


# ---------------------------------------------------------------------- also seen: a link's words show its tracking

@pytest.mark.parametrize("words, shown", [
    ("https://shop.example/item?id=7&utm_source=news&utm_medium=email", "See <https://shop.example/item?id=7> now."),
    ("<b>https://shop.example/?utm_campaign=spring</b>", "**https://shop.example/**"),
    ("www.shop.example/item?id=7&mc_cid=abc", "[www.shop.example/item?id=7]"),
    ("  https://shop.example/?fbclid=X  ", "[https://shop.example/]"),
])
def test_a_link_whose_words_are_its_address_shows_it_without_tracking(tmp_path, words, shown):
    _, text = run_body(tmp_path, f'<p>See <a href="https://shop.example/item?id=7&amp;utm_source=news">{words}</a> now.</p>')
    assert shown in text and "utm_" not in text and "mc_cid" not in text and "fbclid" not in text


def test_words_that_are_not_an_address_stay_as_written(tmp_path):
    _, text = run_body(tmp_path, '<p><a href="https://shop.example/?utm_source=news">Read about utm_source=news here</a></p>')
    assert "[Read about utm_source=news here](https://shop.example/)" in text
