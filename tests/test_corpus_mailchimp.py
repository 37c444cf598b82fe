"""The real Mailchimp account export in ../shared/corpus: it migrates, `check` finds nothing, and
the output keeps what the corpus README promises: every campaign file and every campaigns.csv
row accounted for (the CSV lists more campaigns than there are files, joined only by name and
send date), unrendered merge tags gone, chrome dropped rather than fetched, the text intact.
Images come from the shared asset server through --remap. Skipped where ../shared is not present."""
import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from migrate.check import check_site, split_front_matter
from migrate.fetchers.mailchimp_export import parse_send_date
from migrate.urls import Remap, host_of
from migrate.verify import verify_build

from .support import SHARED, migrate, report_of

EXPORT = SHARED / "corpus" / "mailchimp-export" / "export"
TEXT_FLOOR = 0.98
CHROME_HOSTS = {"cdn-images.mailchimp.com"}   # social icons: dropped, never fetched
FOOTERS = "#templateFooter, .footerContainer, .mceFooterSection, #canspamBarWrapper, title, style, head"
MERGE_TAG = re.compile(r"\*\|[^|]*\|\*")

pytestmark = pytest.mark.skipif(not EXPORT.exists(), reason="../shared/corpus is not on this machine")


@pytest.fixture(scope="module")
def site(tmp_path_factory, asset_server):
    hosts = {host_of(img["src"]) for path in EXPORT.glob("*.html")
             for img in BeautifulSoup(path.read_bytes(), "lxml").find_all("img", src=True)} - CHROME_HOSTS
    site = tmp_path_factory.mktemp("mailchimp-corpus")
    report = migrate("mailchimp-export", EXPORT, site, remaps=[Remap.parse(f"https://{h}={asset_server}/{h}") for h in sorted(hosts)])
    return site, report, report_of(site)


def csv_rows() -> list[dict]:
    with open(EXPORT / "campaigns.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def visible(markdown: str) -> str:
    return BeautifulSoup(MarkdownIt("commonmark").render(markdown), "lxml").get_text()


def source_text(path: Path) -> str:
    """What a reader of the campaign sees, read independently of the tool's cleaners: the text of
    its text blocks (or of the whole plain-text body) outside the footer, merge tags taken out."""
    doc = BeautifulSoup(path.read_bytes(), "lxml")
    for el in doc.select(FOOTERS):
        el.decompose()
    blocks = doc.select(".mcnTextContent, .mceText") or [doc.body]
    text = " ".join(block.get_text(" ") for block in blocks)
    return MERGE_TAG.sub(" ", text.replace("VIEW THIS EMAIL IN BROWSER", ""))


def kept_share(truth: str, produced: str) -> float:
    want, have = Counter("".join(truth.split())), Counter("".join(produced.split()))
    return sum(min(n, have[ch]) for ch, n in want.items()) / max(1, sum(want.values()))


def test_the_export_migrates_and_check_finds_nothing(site):
    folder, report, data = site
    assert check_site(folder) == []
    summary = data["summary"]
    assert summary["issues_with_failures"] == 0 and summary["images_failed"] == 0
    assert summary["images"] == summary["images_local"] > 0
    assert not report.ok  # the rows without a file are reported: the export holds no content for them


def test_every_file_and_every_row_is_accounted_for(site):
    _, _, data = site
    rows, files = csv_rows(), sorted(p.name for p in EXPORT.glob("*.html"))
    assert len(rows) > len(files)  # the README: more campaigns listed than there are files
    sources = [entry["source"] for entry in data["issues"]] + [problem["source"] for problem in data["problems"]]
    assert sorted(name for name in files if any(s.startswith(name) for s in sources)) == files
    issue_ids = {entry["id"] for entry in data["issues"]}
    reported_rows = {int(m.group(1)) for p in data["problems"] for m in [re.search(r"campaigns\.csv row (\d+)", p["source"])] if m}
    for line, row in enumerate(rows, start=2):
        assert (row["Unique Id"] in issue_ids) != (line in reported_rows), row["Title"]
    assert all("no content" in p["reason"] for p in data["problems"])


def test_joined_issues_take_the_rows_subject_and_date_in_the_files_order(site):
    folder, _, data = site
    rows = {row["Unique Id"]: row for row in csv_rows()}
    joined = sorted((int(Path(e["source"].split(" ")[0]).name.split("_")[0]), e) for e in data["issues"] if e["id"] in rows)
    assert len(joined) == len(list(EXPORT.glob("*.html"))) - sum(1 for e in data["issues"] if e["id"].startswith("file-"))
    sent = []
    for _number, entry in joined:
        row = rows[entry["id"]]
        fields = yaml.safe_load(split_front_matter((folder / entry["output"]).read_text())[0])
        assert fields["title"] == row["Subject"]
        when = parse_send_date(row["Send Date"], dt.timezone.utc)
        assert fields["date"] == when.date()
        sent.append(when)
    assert sent == sorted(sent)  # Mailchimp numbers files in the order campaigns were made: the join keeps that order


def test_a_file_without_a_row_is_a_titled_draft(site):
    folder, _, data = site
    unmatched = [e for e in data["issues"] if e["id"].startswith("file-")]
    assert unmatched, "the export has a campaign file no row names"
    for entry in unmatched:
        fields = yaml.safe_load(split_front_matter((folder / entry["output"]).read_text())[0])
        assert fields["draft"] is True and fields["title"] and "date" not in fields
        assert any("kept as a draft" in warning for warning in entry["warnings"])


def test_chrome_is_dropped_not_fetched_and_the_text_is_intact(site):
    folder, _, data = site
    assert not any(host_of(image["url"]) in CHROME_HOSTS for entry in data["issues"] for image in entry["images"])
    for entry in data["issues"]:
        name = entry["source"].split(" ")[0]
        produced = visible(split_front_matter((folder / entry["output"]).read_text())[1])
        assert "*|" not in produced and "unsubscribe" not in produced.lower()
        assert kept_share(source_text(EXPORT / name), produced) >= TEXT_FLOOR, name


def test_the_site_builds_with_hugo(site):
    folder, _, _ = site
    report = verify_build(folder)
    assert report.ok, report.lines()
