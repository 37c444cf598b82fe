"""Properties that hold for any HTML a platform may hand us, found by Hypothesis.

Whatever the body and title of an issue, a run writes the issue (or skips it with a reason), its
front matter is valid YAML whose fields have the types Hugo expects, and nothing active survives:
once the Markdown is rendered to HTML there is no script-like element, no event handler and no
script URL, and no shortcode opener Hugo would run. The judge here is written apart from the tool's own cleaner and `check`, so a gap in
one is not hidden by the same gap in the other.
"""
import datetime as dt
import json
import tempfile
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from migrate.check import split_front_matter

from .support import migrate

ACTIVE = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
          "button", "select", "textarea", "meta", "link", "base", "template", "svg", "math", "canvas",
          "portal", "noscript"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "file:", "data:")
INERT_PICTURES = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")

TAGS = ["p", "div", "span", "a", "img", "b", "i", "em", "strong", "h1", "h2", "h3", "ul", "ol", "li", "table",
        "tr", "td", "th", "blockquote", "pre", "code", "br", "hr", "center", "font", "section", "figure",
        "figcaption", "sup", "sub", "mark", "ins", "kbd", "samp", "ruby", "rt", "rp", "u", "s", *sorted(ACTIVE)]
ATTRIBUTES = ["href", "src", "srcset", "style", "class", "id", "alt", "title", "width", "onclick", "onerror",
              "onload", "OnMouseOver", "formaction", "action", "xlink:href", "srcdoc", "poster", "background", "data-x"]
URL_VALUES = st.sampled_from([
    "javascript:alert(1)", " JaVa\tScRiPt:alert(1)", "java\x00script:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:image/svg+xml,<svg onload=alert(1)>",
    "data:image/png;base64,iVBORw0KGgo=", "file:///etc/passwd", "https://example.org/a?utm_source=x&id=1",
    "//cdn.example.org/x.png", "/relative/path", "#top", "mailto:someone@example.org", "",
    "https://www.getrevue.co/profile/x/issues/y-1", "https://example.org/{{<x", "{{%y", "https://example.org/{",
    "http://[2001:db8::1/page", "//[::1", "https://exa mple.org/[x]",
])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from([
    "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "[x](javascript:alert(1))",
    "<javascript:alert(1)>", "![x](javascript:alert(1))", "{{< shortcode >}}", "*|FNAME|*", "---", "key: value",
    "&amp;amp;", "<!-- comment -->", "<![CDATA[x]]>", "`code`", "\r\r", "<?pi x?>", "# not a heading", "\u202eevil\u202c", "🌊",
    "<img src=x onerror=alert(1)>", "</p></div></body>", "<a href='javascript:alert(1)'>x</a>",
    "{{< youtube x >}}", "{{%", "{{", "{", "<", "%", "&lt;", "```", "~~~", "\n", "    indented",
])


def attribute():
    return st.tuples(st.sampled_from(ATTRIBUTES), URL_VALUES | TEXT)


@st.composite
def element(draw, depth=0):
    """One element with hostile attributes and children, as text (malformed on purpose, sometimes)."""
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(f' {name}="{value.replace(chr(34), "&quot;")}"' for name, value in draw(st.lists(attribute(), max_size=3)))
    if depth >= 3:
        children = draw(st.lists(TEXT, max_size=2))
    else:
        children = draw(st.lists(TEXT | element(depth=depth + 1), max_size=4))
    closing = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))
    return f"<{tag}{attrs}>" + "".join(children) + closing


HTML = st.lists(TEXT | element(), min_size=0, max_size=6).map("".join)
TITLES = st.none() | TEXT | st.sampled_from([
    "Issue #3: a: b", "- leading dash", "'quoted'", '"double"', "line\nbreak", "null", "yes", "~", "@at",
    "%percent", "[list]", "{map}", "& amp", "! bang", "| pipe", "> fold", "*star", "  ", "#7",
])


def rendered_html(markdown: str) -> BeautifulSoup:
    # Raw HTML on: the strictest reading, as a site with Goldmark's `unsafe` would show it.
    return BeautifulSoup(MarkdownIt("commonmark", {"html": True}).render(markdown), "lxml")


def assert_nothing_active(markdown: str) -> None:
    # Hugo runs `{{<` and `{{%` as shortcodes anywhere in the file; one it does not know stops the site's build.
    assert "{{<" not in markdown and "{{%" not in markdown
    page = rendered_html(markdown)
    for el in page.find_all(True):
        assert el.name not in ACTIVE, f"<{el.name}> survived"
        for name, value in el.attrs.items():
            assert not name.lower().startswith("on"), f"{name} on <{el.name}> survived"
            value = " ".join(value) if isinstance(value, list) else value
            squeezed = "".join(ch for ch in value.lower() if ch > " ")
            if el.name == "img" and name == "src" and squeezed.startswith(INERT_PICTURES):
                continue  # a raster picture inline is inert (left so when images are not downloaded)
            if name in ("href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "background"):
                assert not squeezed.startswith(DANGEROUS_SCHEMES), f"{name}={value!r} on <{el.name}> survived"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=HTML, title=TITLES, number=st.none() | st.integers(min_value=-5, max_value=10**12))
def test_any_html_gives_valid_front_matter_and_nothing_active(body, title, number):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        issue = {"id": 4242, "title": title, "html": body, "sent_at": "2022-03-04T05:06:07Z", "number": number,
                 "url": "https://www.getrevue.co/profile/prop/issues/x-4242"}
        (root / "issues.json").write_text(json.dumps([issue]), encoding="utf-8")
        site = root / "site"
        report = migrate("revue-api", root / "issues.json", site, download_images=False, processes=0)

        [entry] = report.issues  # never dropped: written, or skipped with its reason
        if entry["action"] == "skipped":
            assert entry["reason"]
            return
        written = sorted(site.joinpath("content").rglob("*.md"))
        assert [p.relative_to(site).as_posix() for p in written] == [entry["output"]]
        assert all(p.resolve().is_relative_to(site.resolve()) for p in site.rglob("*"))

        head, markdown = split_front_matter(written[0].read_text(encoding="utf-8"))
        fields = yaml.safe_load(head)
        assert isinstance(fields, dict)
        if "title" in fields:
            assert isinstance(fields["title"], str) and fields["title"].strip() and "\n" not in fields["title"]
        else:  # nothing invented: the run says what to add
            assert "title" in entry["needs"]
        assert isinstance(fields.get("date"), dt.date)
        assert all(isinstance(alias, str) and alias.startswith("/") for alias in fields.get("aliases", []))
        assert_nothing_active(markdown)
