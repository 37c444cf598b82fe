"""Hostile markup in an issue's body: nesting tens of thousands deep, unclosed elements that
swallow the rest of the issue, markup where text belongs, tracking left in a link's words.
(Speed at depth is measured by bench/deep.py, not asserted here.)"""
import json

import pytest

from migrate.dom import MAX_DEPTH, flattened, parse_html

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
    assert depth_of(doc) <= MAX_DEPTH + 2  # <html><body> above the content
    text = doc.get_text(" ")
    assert text.index("Start.") < text.index("one") < text.index("two") < text.index("three")
    assert doc.find("img", src="deep.png") is not None and doc.find("br") is not None
    assert flattened(doc) >= levels - MAX_DEPTH


def test_nesting_within_the_limit_is_left_as_it_is():
    html = "<div>" * 40 + "<p>kept <b>bold</b></p>" + "</div>" * 40
    doc = parse_html(html)
    assert flattened(doc) == 0 and doc.find("b").get_text() == "bold" and len(doc.find_all("div")) == 40


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
    assert any("deeper than 64 levels" in w for w in entry["warnings"]) and not entry["failures"]


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
