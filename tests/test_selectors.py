"""Selectors matched by lookup (migrate/selectors.py) select exactly what soupsieve selects."""
import json

import pytest
import soupsieve
from bs4 import BeautifulSoup, Tag

from migrate.fetchers import platform_names
from migrate.selectors import SelectorRules, TreeIndex, compound_test, subject_key

from .support import FIXTURES

PAGES = sorted(FIXTURES.rglob("*.html"))


def shipped_selectors(mappings) -> list[str]:
    """Every CSS selector of every shipped platform mapping."""
    platform_names()
    found = []
    for mapping in mappings.platforms.values():
        found += [*mapping.chrome_remove, *mapping.link_domain_lines, *(rule.select for rule in mapping.blocks),
                  *(s for rule in mapping.chrome_remove_closest for s in (rule.of, rule.closest))]
        for values in mapping.pages.values():
            found += [v if isinstance(v, str) else v.select for v in values]
        found += [select for select, _ in mapping.section("data_embeds", [])]
        found += [selector for shape in mapping.section("link_cards", []) for selector in vars(shape).values() if selector]
    return sorted(set(found))


def documents() -> list[BeautifulSoup]:
    docs = [BeautifulSoup(path.read_bytes(), "lxml") for path in PAGES]
    for path in sorted(FIXTURES.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and isinstance(item.get("html"), str):
                docs.append(BeautifulSoup(item["html"], "lxml"))
    return docs


@pytest.mark.parametrize("selector, key", [
    (".revue-p", ("class", "revue-p")),
    ("td > div[style*='font-size:30px']", ("tag", "div")),
    ("#issue-frame", ("id", "issue-frame")),
    ("div:has(> a[href*='utm_content=share'])", ("tag", "div")),
    ("p:-soup-contains('Subscribe to get full access')", ("tag", "p")),
    ("[data-component-name='SubscribeWidgetToDOM'][data-attrs]", ("*", "")),
    (".captioned-button-wrap:has(a[href*='/subscribe'])", ("class", "captioned-button-wrap")),
])
def test_a_selector_is_filed_under_what_its_subject_names(selector, key):
    assert subject_key(selector) == key


@pytest.mark.parametrize("selector", ["p:-soup-contains('x')", "a:not(.x)", "td :not(.x) div", "div:has(> a:not(.x))",
                                      "div:has(> a b)", "a:not(.x) > b"])
def test_what_only_soupsieve_reads_is_left_to_it(selector):
    found = compound_test(selector)
    assert found is None or found[1] is False  # at most a condition before soupsieve is asked


def test_a_namespace_is_left_to_soupsieve_whole():
    assert compound_test("svg|rect") is None


def test_every_shipped_selector_selects_exactly_what_soupsieve_selects(mappings):
    selectors = shipped_selectors(mappings)
    assert len(selectors) > 40
    docs = documents()
    assert len(docs) >= len(PAGES) > 5
    for selector in selectors:
        rules = SelectorRules([(selector, True)])
        pattern = soupsieve.compile(selector)
        for doc in docs:
            index = TreeIndex(doc)
            expected = pattern.select(doc)
            assert [id(el) for el in index.select(selector)] == [id(el) for el in expected], selector
            assert index.select_one(selector) is (expected[0] if expected else None), selector
            for el in doc.descendants:
                if isinstance(el, Tag):
                    assert rules.matches(el) == bool(pattern.match(el)), (selector, str(el)[:200])


def test_plain_selectors_are_judged_like_soupsieve_on_tricky_attributes():
    doc = BeautifulSoup('<div class="a b" rel="next prev" style="display:none;max-height:0" id="x">'
                        '<a href="https://t.example/share?u=1" rel="nofollow">s</a><a>none</a></div>', "lxml")
    for selector in ["div.a.b", "div.b", "div.c", "#x", "div#y", "[rel~='next']", "[rel~='nex']", "[rel='next prev']",
                     "div[style*='max-height:0'][style*='display:none']", "a[href^='https://t.example']",
                     "a[href$='u=1']", "a[href]", "a[href*='share']", "*[id='x']", "[class|='a']",
                     "div:has(> a[rel~='nofollow'])", "div:has(a[href*='share'])", "div:has(> a[href*='none'])",
                     "div.a:has(a)", "div:has(> [rel])", "div > a[href]", "body div a", "html > body > div",
                     "div a[rel~='nofollow']", "body > a", "p > a", "a + a", "a ~ a", "a[href] ~ a", "div > a + a",
                     "a ~ a[href*='share']", "b + a"]:
        test, whole = compound_test(selector)
        pattern = soupsieve.compile(selector)
        for el in doc.find_all(True):
            assert test(el) == bool(pattern.match(el)), (selector, el.name)


def test_a_page_index_selects_each_element_once_in_document_order():
    doc = BeautifulSoup('<div class="x x" id="a"><p class="x">1</p><span id="b">2</span></div><p class="y x">3</p>', "lxml")
    index = TreeIndex(doc)
    for selector in [".x", "p.x", ".x, #b", "#b, .x", "span, .x", "p, div", "#a, #b", "*", "nav, .z"]:
        assert [id(el) for el in index.select(selector)] == [id(el) for el in soupsieve.select(selector, doc)], selector
