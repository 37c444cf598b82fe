"""The real Substack export in ../shared/corpus/substack-export: it migrates, `check` finds
nothing, and it keeps what the corpus README promises: drafts, paid-only posts, podcast rows and
the stub each handled, `/p/<slug>` kept as the alias, every content image local, and the
author's text intact. Images come from the shared asset server through --remap. Skipped where
../shared is not present."""
import csv
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from migrate.assets import sniff_image
from migrate.check import check_site, split_front_matter
from migrate.imageformats import BROWSER_FORMATS
from migrate.mappings import load_mappings
from migrate.urls import Remap
from migrate.verify import verify

from .support import SHARED, migrate, report_of

EXPORT = SHARED / "corpus" / "substack-export" / "export"
# The hosts the corpus's pictures live on, and the image CDN that converts its HEIC photos; icons
# and avatars are chrome and are not remapped.
CONTENT_HOSTS = ["substack-post-media.s3.amazonaws.com", "bucketeer-e05bbc84-baa3-437e-9518-adb32be77984.s3.amazonaws.com",
                 "substackcdn.com"]

pytestmark = pytest.mark.skipif(not EXPORT.exists(), reason="../shared/corpus is not on this machine")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, asset_server):
    site = tmp_path_factory.mktemp("substack-corpus")
    remaps = [Remap.parse(f"https://{host}={asset_server}/{host}") for host in CONTENT_HOSTS]
    report = migrate("substack-export", EXPORT, site, remaps=remaps, mode="sync")
    rows = list(csv.DictReader((EXPORT / "posts.csv").open(encoding="utf-8")))
    entries = {entry["id"]: entry for entry in report_of(site)["issues"]}
    return site, report, rows, entries, remaps


def fields_and_body(site: Path, entry: dict) -> tuple[dict, str]:
    head, body = split_front_matter((site / entry["output"]).read_text(encoding="utf-8"))
    return yaml.safe_load(head), body


def test_every_row_is_written_and_check_finds_nothing(migrated):
    site, report, rows, entries, _ = migrated
    assert report.ok, report.lines()
    assert len(rows) == 14 and set(entries) == {row["post_id"].split(".")[0] for row in rows}
    assert check_site(site) == []


def test_published_posts_keep_their_slug_path_and_date_and_drafts_are_drafts(migrated):
    site, _, rows, entries, _ = migrated
    drafts = 0
    for row in rows:
        fields, _ = fields_and_body(site, entries[row["post_id"].split(".")[0]])
        if row["is_published"] == "true":
            assert fields["aliases"] == [f"/p/{row['post_id'].split('.', 1)[1]}"]
            assert str(fields["date"]) == row["post_date"][:10]
            assert fields["title"] == row["title"] and "draft" not in fields
        else:
            drafts += 1
            assert fields["draft"] is True and "aliases" not in fields and fields["title"]
    assert drafts == 2


def test_paid_only_posts_say_so_in_their_front_matter(migrated):
    site, _, rows, entries, _ = migrated
    paid = [row for row in rows if row["audience"] == "only_paid"]
    assert paid
    for row in rows:
        fields, _ = fields_and_body(site, entries[row["post_id"].split(".")[0]])
        assert fields.get("audience") == ("only_paid" if row in paid else None)


def test_podcast_rows_link_their_audio_or_say_the_export_has_none(migrated):
    site, _, rows, entries, _ = migrated
    podcasts = [row for row in rows if row["type"] == "podcast"]
    assert podcasts
    for row in podcasts:
        entry = entries[row["post_id"].split(".")[0]]
        if row["podcast_url"]:
            assert row["podcast_url"] in fields_and_body(site, entry)[1]
        else:
            assert any("no podcast_url" in warning for warning in entry["warnings"])


def test_the_stub_is_named_and_only_near_empty_posts_are(migrated):
    site, _, _, entries, _ = migrated
    named = [entry for entry in entries.values() if any("near-empty" in w for w in entry["warnings"])]
    assert named
    least = load_mappings().platform("substack").section("stubs")["min_characters"]
    for entry in entries.values():
        text = BeautifulSoup(MarkdownIt("commonmark").render(fields_and_body(site, entry)[1]), "lxml").get_text()
        assert (entry in named) == (len("".join(text.split())) < least), entry["id"]


def test_every_content_image_is_local_and_no_chrome_image_was_fetched(migrated):
    site, _, _, entries, _ = migrated
    images = [image for entry in entries.values() for image in entry["images"]]
    assert len(images) == 43 and all(image.get("local") for image in images)
    assert all(sniff_image((site / image["file"]).read_bytes()) in BROWSER_FORMATS for image in images)
    # Originals are fetched from their bucket, but HEIC photos: the CDN's full-size JPEG of those.
    from_cdn = [image["url"] for image in images if "substackcdn.com" in image["url"]]
    assert from_cdn and all(url.split("/image/fetch/")[1].split("/")[0].count("w_") == 0 and ",f_jpg," in url
                            and url.endswith(".heic") for url in from_cdn)
    assert all(not image["url"].endswith(".heic") for image in images if image["url"] not in from_cdn)


def test_the_authors_text_is_intact_and_the_chrome_gone(migrated):
    site, _, rows, entries, _ = migrated
    chrome = load_mappings().platform("substack").chrome_remove
    parser = MarkdownIt("commonmark").use(footnote_plugin)
    for row in rows:
        entry = entries[row["post_id"].split(".")[0]]
        source = BeautifulSoup((EXPORT / entry["source"]).read_text(encoding="utf-8"), "lxml")
        for el in source.select(", ".join(chrome + ["a.footnote-anchor", "a.footnote-number"])):
            if not el.decomposed:
                el.decompose()
        shown = BeautifulSoup(parser.render(fields_and_body(site, entry)[1]), "lxml")
        for ref in shown.select("sup.footnote-ref, a.footnote-backref"):
            ref.decompose()
        text = "".join(shown.get_text().split())   # spaces differ where Markdown joins or splits lines
        for block in source.select("p, li, h1, h2, h3, h4, h5, h6"):
            assert "".join(block.get_text().split()) in text, (entry["id"], block.get_text()[:80])
        for leftover in ("reader-supportedpublication", "Subscribetogetfullaccess", "Typeyouremail"):
            assert leftover not in text


def test_every_old_path_leads_to_its_post_in_a_hugo_build(migrated):
    site, _, rows, _, _ = migrated
    (report,) = verify(site, build=True)
    assert report.ok and report.checked == sum(row["is_published"] == "true" for row in rows)


def test_a_second_sync_of_the_same_export_does_nothing(migrated):
    site, _, rows, _, remaps = migrated
    again = migrate("substack-export", EXPORT, site, remaps=remaps, mode="sync")
    assert (again.up_to_date, again.files_written, again.images_downloaded) == (len(rows), 0, 0)
