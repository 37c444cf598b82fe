"""SVGs are documents: one served from the site's own origin runs its scripts there. An SVG is
kept only when it is a picture: no DOCTYPE, entity or processing instruction, nothing that runs,
and nothing loaded from outside itself, however it is spelled, and whichever way it arrives (a
download, or an inline `data:` image in an export)."""
import base64
import json

import pytest

from migrate.assets import ImageStore
from migrate.http import FetchError, HttpClient
from migrate.svg import svg_problem

from .faultserver import ok
from .support import migrate

SVG = 'xmlns="http://www.w3.org/2000/svg"'
ENTITY_SCRIPT = (f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "&#60;script&#62;alert(document.domain)&#60;/script&#62;">]>'
                 f'<svg {SVG}><circle r="1"/>&x;</svg>')


@pytest.mark.parametrize("svg, says", [
    (ENTITY_SCRIPT, "DOCTYPE"),
    (f'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
     f'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg {SVG}/>', "DOCTYPE"),
    (f'<!DOCTYPE svg [<!ENTITY e SYSTEM "file:///etc/passwd">]><svg {SVG}><text>&e;</text></svg>', "DOCTYPE"),
    (f'<!DOCTYPE svg [<!ENTITY % p "x">]><svg {SVG}/>', "DOCTYPE"),
    (f'<svg {SVG}><text>&undeclared;</text></svg>', "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
     f'<svg {SVG}><text>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</text></svg>', "DOCTYPE"),
    (f'<?xml-stylesheet href="https://evil.example/s.css" type="text/css"?><svg {SVG}/>', "processing instruction"),
    (f'<svg {SVG}><?php echo 1; ?><circle r="1"/></svg>', "processing instruction"),
    (f'<svg {SVG}><style>@import url(https://evil.example/s.css);</style></svg>', "@import"),
    (f'<svg {SVG}><style>@import "https://evil.example/s.css";</style></svg>', "@import"),
    (f'<svg {SVG}><style>@font-face {{ font-family: x; src: url(https://evil.example/f.woff) }}</style></svg>', "loads"),
    (f'<svg {SVG}><style>circle {{ fill: u\\72l(https://evil.example/p.svg#g) }}</style></svg>', "loads"),
    (f'<svg {SVG}><style>circle {{ fill: url( "//evil.example/p.svg#g" ) }}</style></svg>', "loads"),
    (f'<svg {SVG}><style>@imp\\6frt url(x.css);</style></svg>', "@import"),
    (f'<svg {SVG}><circle r="1" style="fill:url(https://evil.example/p.svg#g)"/></svg>', "loads"),
    (f'<svg {SVG}><circle r="1" fill="URL(https://evil.example/p.svg#g)"/></svg>', "loads"),
    (f'<svg {SVG}><circle r="1" filter="url(data:image/svg+xml;base64,PHN2Zz4=)"/></svg>', "loads"),
    (f'<svg {SVG} xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></svg>', "script"),
    (f'<svg {SVG} xmlns:h="http://www.w3.org/1999/xhtml"><h:iframe src="https://evil.example/"/></svg>', "iframe"),
    (f'<svg {SVG} xmlns:h="http://www.w3.org/1999/xhtml"><h:meta http-equiv="refresh" content="0;url=https://evil.example/"/></svg>',
     "another document type"),
    (f'<svg {SVG} xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></svg>', "include"),
    (f'<svg {SVG}><a href=" javascript:alert(1)"><circle r="1"/></a></svg>', "links outside"),
])
def test_an_svg_that_can_reach_outside_itself_or_hide_markup_is_refused(svg, says):
    problem = svg_problem(svg.encode())
    assert problem is not None and says in problem


@pytest.mark.parametrize("svg", [
    f'<?xml version="1.0" encoding="UTF-8" standalone="no"?><!-- made by hand --><svg {SVG} viewBox="0 0 2 2"><circle r="1"/></svg>',
    f'<svg {SVG}><defs><linearGradient id="g"/></defs><circle r="1" fill="url(#g)" style="stroke: url( \'#g\' )"/></svg>',
    f'<svg {SVG}><style>/* url(https://nowhere.example/) in a comment */ .a {{ fill: url(#g); }}</style></svg>',
    f'<svg {SVG} xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#c"/><text>Fish &amp; chips &#60;3</text></svg>',
])
def test_a_picture_is_kept(svg):
    assert svg_problem(svg.encode()) is None


def test_an_entity_is_never_expanded_and_nothing_is_read_while_checking(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    svg = f'<!DOCTYPE svg [<!ENTITY e SYSTEM "file://{secret}">]><svg {SVG}><text>&e;</text></svg>'
    assert "TOP-SECRET-LINE" not in (svg_problem(svg.encode()) or "")
    # the parser the check reads with leaves the entity a reference: the file is never opened
    from lxml import etree

    from migrate import svg as svg_module

    tree = etree.fromstring(svg.encode(), svg_module._parser())
    assert b"TOP-SECRET-LINE" not in etree.tostring(tree)


def data_url(data: bytes, media: str = "image/png") -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize("how", ["download", "inline"])
def test_the_entity_script_svg_is_never_stored_however_it_comes(tmp_path, faults, how):
    store = ImageStore(tmp_path, HttpClient(allowed_hosts={"127.0.0.1"}))
    url = faults.script("/chart.svg", ok(ENTITY_SCRIPT.encode(), **{"Content-Type": "image/svg+xml"})) if how == "download" \
        else data_url(ENTITY_SCRIPT.encode())
    with pytest.raises(FetchError, match="refused: the SVG has a DOCTYPE"):
        store.fetch(url).result()
    store.close()
    assert not (tmp_path / "static").exists()


def test_an_inline_data_image_in_an_export_that_is_really_a_hostile_svg_stays_out_of_the_site(tmp_path):
    html = f'<p>Chart:</p><p><img src="{data_url(ENTITY_SCRIPT.encode())}" alt="chart"></p><p>After.</p>'
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Charts", "html": html, "sent_at": "2022-01-02T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/charts-1"}]))
    report = migrate("revue-api", source, tmp_path / "site")
    (entry,) = report.issues
    assert [image["error"] for image in entry["images"]] == ["refused: the SVG has a DOCTYPE (which can declare entities that expand into markup)"]
    assert not list((tmp_path / "site").rglob("*.svg"))
    assert "After." in (tmp_path / "site" / entry["output"]).read_text()


def test_check_names_an_unsafe_svg_the_site_already_holds(tmp_path):
    from migrate.check import check_site

    site = tmp_path / "site"
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "chart.svg").write_text(ENTITY_SCRIPT)
    (site / "static" / "images" / "fine.svg").write_text(f'<svg {SVG}><circle r="1"/></svg>')
    (site / "content" / "issues").mkdir(parents=True)
    (site / "content" / "issues" / "001.md").write_text(
        "---\ntitle: One\ndate: 2022-01-01\n---\n\n![a](/images/chart.svg) ![b](/images/fine.svg)\n")
    findings = [(f.rule, f.message) for f in check_site(site)]
    assert findings == [("unsafe", "image /images/chart.svg: the SVG has a DOCTYPE (which can declare entities that expand into markup)")]
