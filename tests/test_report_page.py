"""SITE/.migrate/report.html: a page a person looks at, in a real browser.

The page is self-contained (no request leaves its folder, no script), holds one row per issue of
the site with working links to the built pages, marks each old URL stated or inferred, shows the
to-do with the override to paste, and is written anew by every run. The browser tests drive
Debian's Chromium with Playwright (`.ci/run` installs it, as it does nginx) and keep screenshots
in .artifacts/ at the project's root."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from migrate.cli import main
from migrate.standin import Account
from migrate.verify import hugo_binary

from .support import REVUE, migrate, s3_remap

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "revue-demo"
ARTIFACTS = ROOT / ".artifacts"


def report_page(site: Path) -> BeautifulSoup:
    return BeautifulSoup((site / ".migrate" / "report.html").read_bytes(), "lxml")


@pytest.fixture
def sample_site(tmp_path, standin):
    server = standin(Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token="t"))
    site = tmp_path / "site"
    assert migrate("revue-api", SAMPLE / "issues.json", site, remaps=[s3_remap(server)]).ok
    return site


def test_the_page_has_a_row_per_issue_and_asks_nothing_of_the_network(sample_site):
    doc = report_page(sample_site)
    rows = doc.select("tr.issue")
    assert len(rows) == 12
    assert not doc.select("script") and not doc.select("link[rel=stylesheet]")
    for element, attribute in (("img", "src"), ("a", "href")):
        for value in (el[attribute] for el in doc.select(element)):
            assert not value.startswith(("http:", "https:", "//")), value
    thumbnails = doc.select("img.thumb")
    assert thumbnails and all((sample_site / ".migrate" / img["src"]).resolve().is_file() for img in thumbnails)
    first = rows[0]
    assert first.select_one("a.page")["href"] == "../public/issues/001/index.html"
    assert first.select_one("a.file")["href"] == "../content/issues/001.md"
    assert "stated" in first.select_one("td[data-label='Old URLs']").get_text()
    draft = doc.select_one("tr#issue-revue-301112")  # unsent: Hugo does not build it, so no link claims it is there
    assert not draft.select("a.page") and "a draft: not built" in draft.get_text()


def test_inferred_old_urls_and_the_override_to_paste_are_shown(tmp_path):
    site = tmp_path / "site"
    migrate("revue-pages", REVUE, site, download_images=False)  # the 2016 page: no date, its path rebuilt from the title
    doc = report_page(site)
    row = doc.select_one("tr#issue-revue-70003")
    assert "inferred" in row.select_one("td[data-label='Old URLs'] .badge").get_text()
    paste = row.select_one("td[data-label='Notes'] pre").get_text()
    assert paste == "'70003':\n  date: YYYY-MM-DD\n"
    attention = doc.select_one("ul.todo").get_text()
    assert "need a date" in attention


def test_every_run_writes_the_page_anew_from_the_whole_site(tmp_path, capsys):
    site = tmp_path / "site"
    migrate("revue-pages", REVUE, site, download_images=False)
    config = tmp_path / "migrate.yaml"
    config.write_text("overrides:\n  '70003':\n    date: 2016-12-29\n")
    migrate("revue-pages", REVUE, site, mode="sync", download_images=False, overrides=_overrides(config))
    doc = report_page(site)
    assert len(doc.select("tr.issue")) == 2  # the unchanged issue too, not only what the sync converted
    row = doc.select_one("tr#issue-revue-70003")
    assert row.select_one("td[data-label='Date']").get_text() == "2016-12-29" and not row.select("pre")


def test_an_issue_the_store_keeps_no_entry_for_gets_a_row_of_what_the_store_knows_and_a_gone_one_none(tmp_path):
    import sqlite3

    from migrate.report_page import write_report_page
    from migrate.state import StateStore

    site = tmp_path / "site"
    migrate("revue-pages", REVUE, site, download_images=False)
    ids = sorted(row.get("id").removeprefix("issue-revue-") for row in report_page(site).select("tr.issue"))
    assert len(ids) == 2
    kept, unreported = ids
    with sqlite3.connect(site / ".migrate" / "state.sqlite") as db:  # one entry lost, as a tool that kept none left it
        db.execute("DELETE FROM entries WHERE source_id = ?", (unreported,))
    store = StateStore(site / ".migrate" / "state.sqlite")
    try:
        write_report_page(site, store)
        rows = {row.get("id"): row for row in report_page(site).select("tr.issue")}
        assert sorted(rows) == [f"issue-revue-{kept}", f"issue-revue-{unreported}"]
        assert "known after the next sync" in rows[f"issue-revue-{unreported}"].get_text()
        assert "known after the next sync" not in rows[f"issue-revue-{kept}"].get_text()
        store.set_gone("revue", unreported, True)  # gone from the source: no row of its own
        write_report_page(site, store)
        assert [row.get("id") for row in report_page(site).select("tr.issue")] == [f"issue-revue-{kept}"]
    finally:
        store.close()


def _overrides(config: Path):
    from migrate.config import RunOptions, load_config

    options = RunOptions()
    load_config(config, options)
    return options.overrides


def test_the_report_command_writes_the_page_and_can_open_it(sample_site, tmp_path, capsys, monkeypatch):
    (sample_site / ".migrate" / "report.html").unlink()
    opened = tmp_path / "opened.txt"
    # The browser the user has, as webbrowser finds it: here a command that notes the address.
    monkeypatch.setenv("BROWSER", f"{sys.executable} -c \"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\" %s")
    assert main(["report", "--site", str(sample_site), "--open"]) == 0
    page = sample_site / ".migrate" / "report.html"
    assert capsys.readouterr().out.strip() == str(page) and page.is_file()
    assert opened.read_text() == page.resolve().as_uri()


# ---------------------------------------------------------------------- in a browser

def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    return found


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_page_in_a_real_browser(sample_site, width):
    executable = chromium()
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    subprocess.run([hugo_binary(), "--logLevel", "error"], cwd=sample_site, check=True, capture_output=True, timeout=300)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            failed, errors, addresses = [], [], []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: addresses.append(request.url))
            page.goto((sample_site / ".migrate" / "report.html").as_uri())
            page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"), full_page=True)
            assert failed == [] and errors == []
            assert addresses and all(url.startswith("file://") for url in addresses)
            assert page.locator("tr.issue").count() == 12
            # Readable at this width: the table never makes the page scroll sideways.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            links = page.locator("a.page")
            assert links.count() == 11  # the draft is not built
            for href in links.evaluate_all("links => links.map(a => a.href)"):
                assert Path(href.removeprefix("file://")).is_file(), href
            title = page.locator("tr.issue").nth(3).locator("td[data-label='Issue']").inner_text()
            links.nth(3).click()
            assert page.locator("h1").inner_text() == title.strip()
        finally:
            browser.close()


def test_the_pages_elements_serialise_as_lxmls_html_builder_makes_them():
    # The page builds plain lxml elements with the spelling of lxml.html.builder: the same
    # arguments must give the same bytes (text, tails, dict and keyword attributes, nesting).
    from lxml.html import builder as lxml_builder, tostring

    from migrate import report_page

    def row(E):
        return E.TR({"class": "issue", "id": "issue-revue-1"},
                    E.TD({"class": "num", "data-label": "#"}, ""),
                    E.TD({"data-label": "Issue"}, "Fish & <chips>", E.SPAN(E.CLASS("badge draft"), "draft"), " after"),
                    E.TD({"data-label": "New page"}, E.A("/issues/001/", href="../public/issues/001/index.html", **{"class": "page"}),
                         E.BR(), E.A("content/issues/001.md", href="../content/issues/001.md", **{"class": "file"})),
                    E.TD({"data-label": "Images"}, "2", " ", E.IMG(src="../static/a b.png", alt="", loading="lazy", **{"class": "thumb"})),
                    E.TD({"data-label": "Notes"}, E.UL(E.LI(E.CLASS("warn"), "it's \"quoted\""), E.LI("x", E.PRE("a\n  b\n")))))

    assert report_page._html(row(report_page.E)) == tostring(row(lxml_builder), encoding="unicode")
