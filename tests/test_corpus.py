"""The real archives in ../shared/corpus: each Revue folder migrates, `check` finds nothing, and
the result matches the ground truth kept beside it. Images come from the shared asset server,
reached through --remap. Skipped where ../shared is not present."""
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from migrate.check import check_site, split_front_matter
from migrate.mappings import Problems, load_overrides_data
from migrate.urls import Remap

from .support import SHARED, migrate, report_of

CORPUS = SHARED / "corpus"
TEXT_FLOOR = 0.98  # share of the truth's characters the migrated text must keep

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not on this machine")


def s3(asset_server):
    return [Remap.parse(f"https://s3.amazonaws.com={asset_server}/s3.amazonaws.com")]


def front_matter(path: Path) -> dict:
    return yaml.safe_load(split_front_matter(path.read_text())[0])


def visible_text(markdown: str) -> str:
    return BeautifulSoup(MarkdownIt("commonmark").render(markdown), "lxml").get_text()


def kept_share(truth: str, produced: str) -> float:
    want, have = Counter("".join(truth.split())), Counter("".join(produced.split()))
    return sum(min(n, have[ch]) for ch, n in want.items()) / max(1, sum(want.values()))


def test_the_revue_api_archive_migrates_whole_and_matches_its_ground_truth(tmp_path, asset_server):
    report = migrate("revue-api", CORPUS / "revue-api" / "issues.json", tmp_path, remaps=s3(asset_server))
    assert report.ok, report.lines()
    assert check_site(tmp_path) == []
    truth = {entry["file"].split("#")[1]: entry for entry in json.loads((CORPUS / "revue-api" / "truth.json").read_text())}
    entries = {entry["id"]: entry for entry in report_of(tmp_path)["issues"]}
    assert set(entries) == set(truth)
    for issue_id, expected in truth.items():
        path = tmp_path / entries[issue_id]["output"]
        fields = front_matter(path)
        assert fields["title"] == expected["title"]
        assert fields["number"] == expected["number"]
        assert str(fields["date"]) == expected["date"]
        assert fields["aliases"] == expected["old_paths"]
        body = split_front_matter(path.read_text())[1]
        assert kept_share(expected["text"], visible_text(body)) >= TEXT_FLOOR, issue_id


def test_the_revue_pages_archive_migrates_whole_and_matches_its_ground_truth(tmp_path, asset_server):
    truth = json.loads((CORPUS / "revue-pages" / "truth.json").read_text())
    # The pages carry no dates: the author's dates come in as overrides, keyed by archive id.
    problems = Problems()
    overrides = load_overrides_data({t["old_paths"][-1].rsplit("/", 1)[1]: {"date": t["author_date"][:10]} for t in truth}, "truth", problems)
    assert not problems.items
    report = migrate("revue-pages", CORPUS / "revue-pages" / "pages", tmp_path, remaps=s3(asset_server), overrides=overrides)
    assert report.ok, report.lines()
    assert check_site(tmp_path) == []
    by_source = {Path(entry["source"]).name: entry for entry in report_of(tmp_path)["issues"]}
    for expected in truth:
        entry = by_source[Path(expected["file"]).name]
        fields = front_matter(tmp_path / entry["output"])
        assert fields["aliases"] == expected["old_paths"]
        assert str(fields["date"]) == expected["author_date"][:10]
        assert [p["inferred"] for p in entry["old_paths"]] == [True, False]  # the issue path is rebuilt, the archive path stated
        assert entry["images"] and all("local" in image for image in entry["images"])
