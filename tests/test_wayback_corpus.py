"""Real Revue pages (../shared) served as the Wayback Machine's captures of them: read through
the archive, they give the very files that reading the saved pages gives, with every old path
stated, and `check` finds nothing. Skipped where ../shared is not present."""
import json

import pytest
from bs4 import BeautifulSoup

from migrate.check import check_site
from migrate.mappings import Problems, load_overrides_data

from .support import SHARED, migrate, site_tree
from .test_corpus import s3
from .waybackserver import WaybackArchive

PAGES = SHARED / "corpus" / "revue-pages"
GOLDEN = SHARED / "golden" / "revue-dt-018" / "page.html"

pytestmark = pytest.mark.skipif(not PAGES.exists() or not GOLDEN.exists(), reason="../shared is not on this machine")


def captured_archive() -> WaybackArchive:
    """Each saved page as a capture of the URL it was served at (its truth's issue path, or the
    canonical link of the 2019 page)."""
    archive = WaybackArchive()
    for n, entry in enumerate(json.loads((PAGES / "truth.json").read_text())):
        archive.add(f"https://digest.jaycuthrell.com{entry['old_paths'][0]}", f"2017010{n + 1}120000", (PAGES / entry["file"]).read_bytes())
    canonical = BeautifulSoup(GOLDEN.read_bytes(), "lxml").find("link", rel="canonical")["href"]
    archive.add(canonical, "20190801000000", GOLDEN.read_bytes())
    return archive


def dates():
    truth = json.loads((PAGES / "truth.json").read_text())
    problems = Problems()
    overrides = load_overrides_data({t["old_paths"][-1].rsplit("/", 1)[1]: {"date": t["author_date"][:10]} for t in truth}, "truth", problems)
    assert not problems.items
    return overrides


def test_real_pages_read_from_the_archive_match_the_saved_pages(tmp_path, asset_server, wayback):  # noqa: F811
    server = wayback(captured_archive())
    report = migrate("wayback", "digest.jaycuthrell.com/issues/,revue.dynamicallytyped.com/issues/", tmp_path / "archived",
                     platform_options=server.options(pages="revue-pages"), remaps=s3(asset_server), overrides=dates())
    assert report.ok, report.lines()
    assert check_site(tmp_path / "archived") == []
    entries = report.issues
    assert len(entries) == 6 and not any(p["inferred"] for entry in entries for p in entry["old_paths"])

    saved = tmp_path / "saved"
    (saved / "pages").mkdir(parents=True)
    for page in [*sorted((PAGES / "pages").glob("*.html")), GOLDEN]:
        (saved / "pages" / f"{page.parent.name}-{page.name}").write_bytes(page.read_bytes())
    migrate("revue-pages", saved / "pages", saved / "site", remaps=s3(asset_server), overrides=dates())
    content = lambda tree: {k: v for k, v in tree.items() if k.startswith(("content/", "static/"))}
    assert content(site_tree(tmp_path / "archived")) == content(site_tree(saved / "site"))
