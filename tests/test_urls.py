"""Tracking parameters go, everything else about a URL stays; remaps move only what they name."""
import pytest

from migrate.errors import UserError
from migrate.urls import Remap, absolute, apply_remaps, srcset_urls, strip_tracking


def strip(url, mappings):
    return strip_tracking(url, mappings.tracking)


def test_the_issues_youtube_example(mappings):
    url = "https://youtube.com/watch?utm_campaign=X&utm_medium=email&utm_source=Revue%20newsletter&v=ID"
    assert strip(url, mappings) == ("https://youtube.com/watch?v=ID", 3)


def test_other_parameters_keep_their_order_and_encoding(mappings):
    url = "https://a.example/p?z=1&utm_source=x&a=b%20c&q=d+e&mc_cid=1&mc_eid=2&b=&fbclid=F"
    assert strip(url, mappings) == ("https://a.example/p?z=1&a=b%20c&q=d+e&b=", 4)


def test_the_fragment_stays(mappings):
    url = "https://a.example/essay/?utm_campaign=T&utm_medium=email#easy-footnote-6"
    assert strip(url, mappings)[0] == "https://a.example/essay/#easy-footnote-6"


def test_a_url_without_tracking_comes_back_unchanged(mappings):
    for url in ["https://a.example/p?x=1&y=2#f", "https://a.example/p?", "mailto:a@b.example", "not a url"]:
        assert strip(url, mappings) == (url, 0)


def test_names_are_matched_exactly_not_as_substrings(mappings):
    url = "https://a.example/?utm=keep&my_utm_source=keep&gclid_note=keep&gclid=go"
    assert strip(url, mappings) == ("https://a.example/?utm=keep&my_utm_source=keep&gclid_note=keep", 1)


def test_host_scoped_names_only_go_on_their_hosts(mappings):
    assert strip("https://twitter.com/u/status/1?s=20&t=abc", mappings) == ("https://twitter.com/u/status/1", 2)
    assert strip("https://mobile.twitter.com/u/status/1?s=20", mappings)[0] == "https://mobile.twitter.com/u/status/1"
    assert strip("https://search.example/?s=20&t=abc", mappings) == ("https://search.example/?s=20&t=abc", 0)


def test_protocol_relative_urls_become_https():
    assert absolute("//s3.amazonaws.com/revue/a.png") == "https://s3.amazonaws.com/revue/a.png"
    assert absolute("/images/a.png", "http://site.example/issues/1") == "http://site.example/images/a.png"
    # read from an http mirror, an email's protocol-relative image still names its https host
    assert absolute("//s3.amazonaws.com/a.png", "http://127.0.0.1:8000/p/1") == "https://s3.amazonaws.com/a.png"


def test_remap_sends_a_prefix_elsewhere_keeping_the_rest():
    rule = Remap.parse("https://s3.amazonaws.com=http://127.0.0.1:8765/s3.amazonaws.com")
    assert rule.apply("https://s3.amazonaws.com/revue/items/a.png?123#x") == \
        "http://127.0.0.1:8765/s3.amazonaws.com/revue/items/a.png?123#x"
    assert rule.target_host == "127.0.0.1"


def test_remap_matches_whole_hosts_and_path_segments():
    rule = Remap.parse("https://cdn.example.com/old=http://127.0.0.1:9/new")
    assert rule.apply("https://cdn.example.com/old/a.png") == "http://127.0.0.1:9/new/a.png"
    assert rule.apply("https://cdn.example.com/older/a.png") is None
    assert rule.apply("https://cdn.example.com.evil.example/old/a.png") is None
    assert rule.apply("http://cdn.example.com/old/a.png") is None


def test_the_first_matching_remap_wins():
    rules = [Remap.parse("https://a.example/x=http://127.0.0.1:1/one"), Remap.parse("https://a.example=http://127.0.0.1:2/two")]
    assert apply_remaps("https://a.example/x/p", rules) == "http://127.0.0.1:1/one/p"
    assert apply_remaps("https://a.example/y/p", rules) == "http://127.0.0.1:2/two/y/p"
    assert apply_remaps("https://b.example/y", rules) == "https://b.example/y"


@pytest.mark.parametrize("spec", ["no-equals-sign", "ftp://a.example=http://127.0.0.1", "https://a.example=not-a-url"])
def test_a_malformed_remap_says_what_form_it_needs(spec):
    with pytest.raises(UserError, match="--remap"):
        Remap.parse(spec)


@pytest.mark.parametrize("srcset, urls", [
    ("a.png 1x, b.png 2x", ["a.png", "b.png"]),
    ("https://cdn.example/fetch/w_424,c_limit,f_webp/pic.png 424w, https://cdn.example/fetch/w_848,c_limit/pic.png 848w",
     ["https://cdn.example/fetch/w_424,c_limit,f_webp/pic.png", "https://cdn.example/fetch/w_848,c_limit/pic.png"]),
    ("only.png", ["only.png"]),
    ("a.png,b.png", ["a.png,b.png"]),  # no space: one URL that holds a comma, as HTML reads it
    ("a.png, b.png", ["a.png", "b.png"]),
    ("  ", []),
])
def test_a_srcset_gives_its_urls_whole_even_when_they_hold_commas(srcset, urls):
    assert srcset_urls(srcset) == urls
