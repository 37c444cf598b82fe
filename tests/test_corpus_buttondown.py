"""The Buttondown export in ../shared/corpus/buttondown-export (MIT fixtures in Buttondown's
documented layout): it migrates, `check` finds nothing, and each body reads as Buttondown
rendered it, the plaintext one as Markdown and the fancy one as HTML. Images come from the shared
asset server through --remap. Skipped where ../shared is not present."""
import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.urls import Remap

from .support import SHARED, migrate, report_of

EXPORT = SHARED / "corpus" / "buttondown-export" / "export"

pytestmark = pytest.mark.skipif(not EXPORT.exists(), reason="../shared/corpus is not on this machine")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, asset_server):
    site = tmp_path_factory.mktemp("buttondown-corpus")
    report = migrate("buttondown-export", EXPORT, site, remaps=[Remap.parse(f"https://example.com={asset_server}/example.com")],
                     platform_options={"username": "corpus"})
    pages = {}
    for entry in report_of(site)["issues"]:
        head, body = split_front_matter((site / entry["output"]).read_text(encoding="utf-8"))
        pages[entry["id"].split("-")[0]] = (yaml.safe_load(head), body)
    return site, report, pages


def test_both_emails_migrate_and_check_finds_nothing(migrated):
    site, report, pages = migrated
    assert report.ok, report.lines()
    assert check_site(site) == []
    assert {fields["title"] for fields, _ in pages.values()} == {"This is a Plain Post", "This is a Fancy Post"}
    assert all(fields["aliases"] == [f"/corpus/archive/{slug}/"] for (fields, _), slug in
               zip(pages.values(), ("plain-post", "fancy-post")))


@pytest.mark.parametrize("email", ["abcd1234", "efab5678"], ids=["plaintext", "fancy"])
def test_each_body_keeps_its_nesting_its_code_language_and_its_image(migrated, email):
    _, _, pages = migrated
    _, body = pages[email]
    assert "* In reprehenderit in voluptate\n  * Velit esse cillum\n* Dolore" in body
    assert "2. cupidatat non proident\n   1. Sunt in culpa qui officia\n" in body  # 4-space nesting, as Buttondown shows it
    assert "```css\np {\n    color: #bada55;\n}\n```" in body
    assert "![Landscape photo](/images/" in body and "My red bordered div" in body and "<div" not in body


def test_the_plaintext_footnotes_stay_footnotes(migrated):
    _, _, pages = migrated
    _, body = pages["abcd1234"]
    assert "aliquip[^1] ex eap[^2]" in body and "[^1]: Footnote 1" in body and "[^2]: Footnote 2" in body
