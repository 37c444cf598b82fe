"""Whole runs: a page in the reference issue's shape comes out as the reference site writes it,
the shared reference issue comes out with the old scraper's three defects fixed, and runs are
reproducible to the byte.

tests/fixtures/revue/expected/ holds the Markdown as it must be, read and corrected by hand: after
an intended change, write the new output there and read the difference before committing it.
"""
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from migrate.assets import sniff_image
from migrate.check import check_site, split_front_matter

from .support import REVUE, SHARED, migrate, read_issue, report_of, s3_remap, site_tree

EXPECTED = REVUE / "expected"
GOLDEN = SHARED / "golden" / "revue-dt-018"


def test_a_page_in_the_reference_shape_gives_the_expected_markdown(tmp_path, image_host):
    report = migrate("revue-pages", REVUE / "page-2020.html", tmp_path, remaps=[s3_remap(image_host)], sentence_per_line=True)
    produced = read_issue(tmp_path, "042.md")
    assert produced == (EXPECTED / "page-2020.md").read_text(encoding="utf-8")
    assert report.ok and check_site(tmp_path) == []


def test_a_2016_page_gives_the_expected_markdown(tmp_path, image_host):
    migrate("revue-pages", REVUE / "page-2016.html", tmp_path, remaps=[s3_remap(image_host)])
    produced = read_issue(tmp_path, "003.md")
    assert produced == (EXPECTED / "page-2016.md").read_text(encoding="utf-8")


def test_chrome_never_reaches_the_output(tmp_path, image_host):
    migrate("revue-pages", REVUE, tmp_path, remaps=[s3_remap(image_host)])
    text = "\n".join(p.read_text() for p in (tmp_path / "content").rglob("*.md"))
    for chrome in ["Subscribe", "Powered by", "Did you enjoy", "Tweet", "Share", "open.gif", "rev.vu", "utm_",
                   "Carefully curated", "profile_covers", "profiles/images", "A third letter, about lighthouses", "mixpanel", "<"]:
        assert chrome not in text, chrome


def test_two_runs_of_the_same_input_are_byte_identical(tmp_path, image_host):
    for name in ("one", "two"):
        migrate("revue-pages", REVUE, tmp_path / name, remaps=[s3_remap(image_host)], sentence_per_line=True)
    assert site_tree(tmp_path / "one") == site_tree(tmp_path / "two")


def test_a_rerun_over_its_own_output_changes_no_file(tmp_path, image_host):
    migrate("revue-api", REVUE / "api-issues.json", tmp_path, remaps=[s3_remap(image_host)])
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
    report = migrate("revue-api", REVUE / "api-issues.json", tmp_path, remaps=[s3_remap(image_host)])
    assert report.files_written == 0 and report.files_unchanged == 3
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_a_dry_run_writes_nothing(tmp_path, image_host):
    report = migrate("revue-pages", REVUE, tmp_path / "site", remaps=[s3_remap(image_host)], dry_run=True)
    assert len(report.issues) == 2
    assert not (tmp_path / "site").exists()


def test_an_issue_listed_twice_is_written_once_from_its_first_copy(tmp_path):
    import json

    first = json.loads((REVUE / "api-issues.json").read_text())[0]
    second = dict(first, html="<p>A second copy of the same issue.</p>")
    (tmp_path / "issues.json").write_text(json.dumps([first, second]))
    for name in ("a", "b"):
        report = migrate("revue-api", tmp_path / "issues.json", tmp_path / name, download_images=False)
        (problem,) = report.problems
        assert "repeats issue 900204" in problem["reason"] and report.files_written == 1
    assert "second copy" not in read_issue(tmp_path / "a", "004.md")
    assert site_tree(tmp_path / "a") == site_tree(tmp_path / "b")


def test_every_further_copy_of_an_issue_names_where_the_first_was_read(tmp_path):
    import json

    first = json.loads((REVUE / "api-issues.json").read_text())[0]
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([first, dict(first, html="<p>A second copy.</p>"), dict(first, html="<p>A third.</p>")]))
    report = migrate("revue-api", source, tmp_path / "site", download_images=False)
    assert [(p["source"], p["reason"]) for p in report.problems] == [
        (f"{source}[{n}]", f"repeats issue 900204, already read from {source}[0]; the first copy is kept") for n in (1, 2)]


def test_two_issues_wanting_the_same_file_both_survive(tmp_path, image_host):
    import json

    issues = json.loads((REVUE / "api-issues.json").read_text())
    twin = dict(issues[0], id=999999, url=issues[0]["url"].replace("900204", "999999"))
    (tmp_path / "issues.json").write_text(json.dumps([issues[0], twin]))
    report = migrate("revue-api", tmp_path / "issues.json", tmp_path / "site", download_images=False)
    assert sorted(p.name for p in (tmp_path / "site/content/issues").iterdir()) == ["004-999999.md", "004.md"]
    assert any("taken by issue 900204" in w for w in report.issues[1]["warnings"])


def test_the_demo_sample_migrates_cleanly_from_a_live_stand_in(tmp_path, standin, monkeypatch):
    from migrate.standin import Account

    sample = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"
    server = standin(Account.from_files(sample / "issues.json", sample / "images", profile="tidepool", token="t0k3n"))
    monkeypatch.setenv("REVUE_API_TOKEN", "t0k3n")
    report = migrate("revue-api", server.url, tmp_path, remaps=[s3_remap(server)])
    assert report.ok and len(report.issues) == 12
    assert check_site(tmp_path) == []
    images = list((tmp_path / "static" / "images").iterdir())
    assert len(images) == 10 and all(sniff_image(p.read_bytes()) for p in images)


# ---------------------------------------------------------------------- the shared reference issue

def strip_utm(url: str) -> str:
    """The old scraper's URL with its utm_* parameters removed: written independently of the tool."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.skipif(not GOLDEN.exists(), reason="../shared/golden is not on this machine")
def test_the_reference_issue_comes_out_with_the_old_scrapers_defects_fixed(tmp_path, image_host):
    report = migrate("revue-pages", GOLDEN / "page.html", tmp_path, remaps=[s3_remap(image_host)], sentence_per_line=True)
    assert report.ok
    head, body = split_front_matter(read_issue(tmp_path, "018.md"))
    old_head, old_body = split_front_matter((GOLDEN / "produced-by-the-old-scraper.md").read_text())
    import yaml

    fields, old_fields = yaml.safe_load(head), yaml.safe_load(old_head)
    # Defect 1: the title, decoded and trimmed.
    assert fields["title"] == '#18: Runway ML\'s "app store" for AI, Google\'s new YouTube dataset, and a trippy GAN journey'
    assert {k: fields[k] for k in ("date", "number", "aliases")} == {k: old_fields[k] for k in ("date", "number", "aliases")}
    # Defect 2: no link carries utm_*; defect 3: both content images are local, real files.
    assert "utm_" not in body
    local = [entry["file"] for entry in report_of(tmp_path)["issues"][0]["images"]]
    assert len(local) == 2 and all(sniff_image((tmp_path / f).read_bytes()) for f in local)
    # Everything else is kept, line for line: compare with the old output once its links are
    # stripped of utm_* and its two image URLs replaced by the local copies.
    link = re.compile(r"\]\((https?://[^)\s]+)\)")
    old_images = iter("/images/" + Path(f).name for f in local)
    expected_lines = []
    for line in old_body.strip().splitlines():
        if line.startswith("!["):
            line = link.sub(lambda m: f"]({next(old_images)})", line)
        else:
            line = link.sub(lambda m: f"]({strip_utm(m.group(1))})", line)
        expected_lines.append(line)
    produced = [line for line in body.strip().splitlines()]
    # The old scraper kept an empty fragment ("book-covers/?utm...#"); an empty fragment means nothing.
    expected_lines = [line.replace("book-covers/#)", "book-covers/)") for line in expected_lines]
    assert produced == expected_lines
    assert check_site(tmp_path) == []


def test_worker_processes_give_the_same_site_as_one_process(tmp_path, image_host):
    import json

    from migrate.render import IN_PROCESS_ISSUES

    template = json.loads((REVUE / "api-issues.json").read_text())[0]
    issues = [dict(template, id=910000 + n, title=f"Field Recordings #{n}: Rain",
                   url=template["url"].replace("900204", str(910000 + n))) for n in range(IN_PROCESS_ISSUES + 6)]
    (tmp_path / "issues.json").write_text(json.dumps(issues))
    for name, processes in (("one", 0), ("many", 2)):
        report = migrate("revue-api", tmp_path / "issues.json", tmp_path / name, remaps=[s3_remap(image_host)], processes=processes)
        assert report.ok and len(report.issues) == len(issues)
    assert site_tree(tmp_path / "one") == site_tree(tmp_path / "many")


def test_issues_that_wait_for_later_ones_come_out_of_worker_processes_as_of_one(tmp_path):
    """An issue that links to one the run has not reached waits on disk, cleaned halfway, and a
    worker process finishes it at the end: the site is the one a single process writes. Issues
    further on than the run holds in flight (a few per download slot) are not reached while the
    first ones are prepared, so issues wait."""
    import json

    from migrate.render import IN_PROCESS_ISSUES

    template = json.loads((REVUE / "api-issues.json").read_text())[0]
    count = IN_PROCESS_ISSUES + 48
    urls = [template["url"].replace("900204", str(920000 + n)) for n in range(count)]
    issues = [dict(template, id=920000 + n, title=f"Field Recordings #{n}: Rain", url=urls[n],
                   html=template["html"] + (f'<p>Last of all: <a href="{urls[-1]}">the dry spell</a>.</p>' if n % 4 == 0 else ""))
              for n in range(count)]
    (tmp_path / "issues.json").write_text(json.dumps(issues))
    for name, processes in (("one", 0), ("many", 2)):
        report = migrate("revue-api", tmp_path / "issues.json", tmp_path / name, download_images=False, processes=processes)
        assert report.ok and len(report.issues) == count
    assert site_tree(tmp_path / "one") == site_tree(tmp_path / "many")
    pages = [p.read_text() for p in (tmp_path / "many" / "content" / "issues").glob("*.md")]
    # every link points at the last issue's new page
    assert sum(f"[the dry spell](/issues/{count - 1:03d}/)" in text for text in pages) == len(range(0, count, 4))


def test_the_files_of_a_site_can_be_read_by_the_web_server_that_serves_them(tmp_path, image_host):
    """Written through a private temporary file, each file gets the mode a file made by hand gets
    (Hugo and rsync copy it as it is): readable by others under the usual umask."""
    import os
    import stat

    previous = os.umask(0o022)
    try:
        migrate("revue-api", REVUE / "api-issues.json", tmp_path, remaps=[s3_remap(image_host)])
    finally:
        os.umask(previous)
    written = [p for p in (tmp_path / "content").rglob("*.md")] + [p for p in (tmp_path / "static").rglob("*") if p.is_file()]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in written)
