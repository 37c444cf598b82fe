"""mailchimp-export: campaigns.csv joined to the campaign files by name and send order; every
row without a file and every file without a row accounted for; folder or zip."""
import datetime as dt
import json
import shutil

import pytest

from migrate.check import check_site, split_front_matter
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.fetchers.mailchimp_export import CampaignFile, Row, join
from migrate.http import HttpClient
from migrate.record import Issue, SourceProblem
from migrate.urls import Remap

from .support import FIXTURES, migrate, report_of, zipped

EXPORT = FIXTURES / "mailchimp" / "export"
UTC = dt.timezone.utc


def entries(source, mappings, **options):
    fetcher = get_fetcher("mailchimp-export")(str(source), FetchContext(HttpClient(), mappings, options=options))
    return list(fetcher.entries())


def issues_of(found) -> dict[str, Issue]:
    return {e.source_id: e for e in found if isinstance(e, Issue)}


def body(site, output: str) -> str:
    return split_front_matter((site / output).read_text(encoding="utf-8"))[1]


# ---------------------------------------------------------------------- joining files and rows

def test_rows_take_their_subject_and_send_date_and_keep_csv_order(mappings):
    found = issues_of(entries(EXPORT, mappings))
    april, frost = found["a1b2c3d4e5"], found["c3d4e5f6a7"]
    assert (april.title, april.date) == ("Garden Notes: Tomatoes, at last", dt.datetime(2024, 4, 2, 8, 15, tzinfo=UTC))
    assert april.source_ref.startswith("20001_garden-notes.html") and frost.source_ref.startswith("20009_frost-alert-copy-01-.html")
    assert april.slug == "2024-04-02-garden-notes-tomatoes-at-last" and not april.draft
    dated = [e.source_id for e in entries(EXPORT, mappings) if isinstance(e, Issue) and not e.draft]
    assert dated == ["a1b2c3d4e5", "c3d4e5f6a7", "d4e5f6a7b8", "e5f6a7b8c9"]


def test_files_sharing_a_name_go_to_the_rows_whose_dates_fit_their_numbers(mappings):
    """Two files and three rows are named "Garden Notes": file 20020 comes after the Frost Alert
    (20009, sent 9 May) and the Seed Swap (20012, 15 May), so it is the June row, not the May one."""
    found = entries(EXPORT, mappings)
    by_id = issues_of(found)
    assert by_id["a1b2c3d4e5"].source_ref.startswith("20001_") and by_id["e5f6a7b8c9"].source_ref.startswith("20020_")
    assert any("2 file(s) and 3 row(s) share the name 'Garden Notes'" in w for w in by_id["e5f6a7b8c9"].warnings)
    (may,) = [e for e in found if isinstance(e, SourceProblem) and e.source_id == "b2c3d4e5f6"]
    assert "row 3" in may.source_ref and "Garden Notes" in may.source_ref and "no content" in may.reason


def test_equal_files_and_rows_in_step_pair_without_a_warning():
    rows = [Row(i, i + 2, "News", f"News {i}", dt.datetime(2024, 1, 1 + i, tzinfo=UTC), "", f"id{i}", {}) for i in range(2)]
    files = [CampaignFile(100 + i, "news", f"{100 + i}_news.html") for i in range(2)]
    matches = join(files, rows)
    assert [matches[i].row.unique_id for i in range(2)] == ["id0", "id1"] and all(m.note is None for m in matches.values())


def test_a_rendered_title_joins_a_file_by_its_subject():
    rows = [Row(0, 2, "Weekly", "Rain again", dt.datetime(2024, 1, 1, tzinfo=UTC), "", "r1", {}),
            Row(1, 3, "Weekly", "Sun at last", dt.datetime(2024, 1, 8, tzinfo=UTC), "", "r2", {})]
    files = [CampaignFile(7, "weekly", "7_weekly.html", subject="Sun at last")]
    assert join(files, rows)[0].row.unique_id == "r2"


def test_a_file_without_a_row_is_a_draft_titled_from_its_heading(mappings):
    welcome = issues_of(entries(EXPORT, mappings))["file-20015"]
    assert welcome.title == "Welcome aboard, neighbour!" and welcome.draft and welcome.date is None
    assert any("file-20015" in w and "draft" in w for w in welcome.warnings)


def test_a_file_without_a_row_or_a_title_is_a_draft_titled_from_its_file_name(mappings):
    test_send = issues_of(entries(EXPORT, mappings))["file-20017"]
    assert (test_send.title, test_send.draft, test_send.date) == ("Test send", True, None)
    assert any("from its file name" in w and "`title:`, `date:`" in w for w in test_send.warnings)


def campaign(title: str = "*|MC:SUBJECT|*", preview: str = "*|MC_PREVIEW_TEXT|*", blocks: tuple[str, ...] = ()) -> str:
    """A campaign source in the classic template's shape: merge-tag <title> and preview text,
    text blocks, the footer; no heading element."""
    cells = "".join(f'<table class="mcnTextBlock"><tbody class="mcnTextBlockOuter"><tr><td class="mcnTextBlockInner">'
                    f'<table class="mcnTextContentContainer"><tbody><tr><td valign="top" class="mcnTextContent" '
                    f'style="padding: 0px 18px 9px;">{block}</td></tr></tbody></table></td></tr></tbody></table>' for block in blocks)
    return (f'<!doctype html><html><head><meta charset="UTF-8"><title>{title}</title></head><body>'
            f'<!--*|IF:MC_PREVIEW_TEXT|*--><span class="mcnPreviewText" style="display:none; font-size:0px; line-height:0px; '
            f'max-height:0px; opacity:0; overflow:hidden; visibility:hidden; mso-hide:all;">{preview}</span><!--*|END:IF|*-->'
            f'<center><table id="bodyTable"><tr><td id="bodyCell">{cells}'
            f'<table class="mcnTextBlock"><tr><td class="mcnTextContent"><em>Copyright &copy; *|CURRENT_YEAR|* *|LIST:COMPANY|*, '
            f'All rights reserved.</em><br><a href="*|UNSUB|*">unsubscribe from this list</a></td></tr></table>'
            f'</td></tr></table></center></body></html>')


NEWS = ("<p>Spring is finally here and the plots are waking up. " + "The water butts are full again. " * 12 + "</p>",
        "<p>Work day on the 20th: bring gloves. " + "We will turn the compost and mend the fence. " * 10 + "</p>")


def export_with(tmp_path, files: dict):
    export = tmp_path / "export"
    shutil.copytree(EXPORT, export)
    for name, text in files.items():
        (export / name).write_text(text, encoding="utf-8")
    return export


@pytest.mark.parametrize("html, title, evidence", [
    (campaign(blocks=('<span style="font-size:30px"><strong>April 2024 Newsletter</strong></span>', *NEWS)),
     "April 2024 Newsletter", "its first line in a large font"),
    (campaign(preview="March 2025 Newsletter: the big dig", blocks=NEWS), "March 2025 Newsletter: the big dig", "its preview text"),
    (campaign(blocks=NEWS), "Riverside growers newsletter copy 02", "its file name"),
])
def test_a_campaign_with_content_but_no_row_title_or_heading_is_a_titled_draft(tmp_path, mappings, html, title, evidence):
    export = export_with(tmp_path, {"20031_riverside-growers-newsletter-copy-02-.html": html})
    found = entries(export, mappings)
    issue = issues_of(found)["file-20031"]
    assert (issue.title, issue.draft, issue.date) == (title, True, None)
    (warning,) = [w for w in issue.warnings if "no campaigns.csv row" in w]
    assert f"from {evidence}" in warning and '"file-20031"' in warning and "`date:`" in warning
    assert not [e for e in found if isinstance(e, SourceProblem) and "20031" in e.source_ref]


def test_the_untitled_campaigns_text_is_migrated_whole(tmp_path, mappings):
    export = export_with(tmp_path, {"20031_riverside-growers-newsletter-copy-02-.html": campaign(
        blocks=('<span style="font-size:30px">April 2024 Newsletter</span>', *NEWS))})
    migrate("mailchimp-export", export, tmp_path / "site", download_images=False)
    entry = next(e for e in report_of(tmp_path / "site")["issues"] if e["id"] == "file-20031")
    text = body(tmp_path / "site", entry["output"])
    assert "April 2024 Newsletter" in text and "Work day on the 20th" in text and "*|" not in text
    assert entry["draft"] and not [f for f in check_site(tmp_path / "site") if f.file == entry["output"]]


def test_only_a_campaign_file_with_no_content_is_unreadable(tmp_path, mappings):
    export = export_with(tmp_path, {"20033_blank.html": '<html><head><title>*|MC:SUBJECT|*</title></head><body>'
                                                       '<span class="mcnPreviewText" style="display:none">*|MC_PREVIEW_TEXT|*</span>'
                                                       '<table><tr><td class="mcnTextContent">*|FNAME|*</td></tr></table></body></html>'})
    (problem,) = [e for e in entries(export, mappings) if isinstance(e, SourceProblem) and e.source_ref == "20033_blank.html"]
    assert "no content" in problem.reason


def test_every_row_and_every_file_is_accounted_for_once(mappings):
    import csv

    found = entries(EXPORT, mappings)
    with open(EXPORT / "campaigns.csv", newline="", encoding="utf-8") as handle:
        row_ids = sorted(row["Unique Id"] for row in csv.DictReader(handle))
    assert sorted(e.source_id for e in found if not e.source_id.startswith("file-")) == row_ids
    from_files = [e for e in found if isinstance(e, Issue) or e.source_id.startswith("file-")]
    assert sorted(e.source_ref.split(" ")[0] for e in from_files) == sorted(p.name for p in EXPORT.iterdir() if p.suffix in (".html", ".txt"))


def test_a_plain_text_campaign_keeps_its_paragraphs_and_links(tmp_path, mappings):
    migrate("mailchimp-export", EXPORT, tmp_path, download_images=False)
    text = body(tmp_path, "content/issues/2024-05-15-seed-swap-this-saturday.md")
    assert "Bring your saved seeds to the shed at 10am. We will have" in text
    assert "<https://riverside-growers.example.org/seeds>" in text and "*|" not in text


def test_the_export_migrates_clean(tmp_path, image_host):
    remaps = [Remap.parse(f"https://{host}={image_host.url}/{host}") for host in ("mcusercontent.com", "gallery.mailchimp.com")]
    migrate("mailchimp-export", EXPORT, tmp_path, remaps=remaps)
    assert check_site(tmp_path) == []
    summary = report_of(tmp_path)["summary"]
    assert (summary["issues_written"], summary["source_problems"], summary["images_failed"]) == (6, 1, 0)
    assert not any("cdn-images.mailchimp.com" in path for path in image_host.account.hits)  # icons dropped, not fetched
    april = body(tmp_path, "content/issues/2024-04-02-garden-notes-tomatoes-at-last.md")
    for kept in ["# Garden Notes, April", "Hello, growers! The first tomatoes", "went out on April 2, 2024. Happy growing!",
                 "## Plot news", "_Black Krim_", "[the watering rota](https://riverside-growers.example.org/rota)",
                 "<https://riverside-growers.example.org/plots>", "meeting notes are up.", "[Book a plot]"]:
        assert kept in april, kept
    for gone in ["View this email", "unsubscribe", "Copyright", "mc_cid", "list-manage", "inbox", "Instagram", "*|"]:
        assert gone not in april, gone


# ---------------------------------------------------------------------- options

def test_the_send_dates_time_zone_is_an_option(mappings):
    found = issues_of(entries(EXPORT, mappings, timezone="America/New_York"))
    assert found["c3d4e5f6a7"].date == dt.datetime(2024, 5, 9, 22, 40, tzinfo=UTC)  # 6:40 pm EDT


def test_archive_url_rebuilds_each_campaigns_archive_url_and_links_between_issues(tmp_path):
    archive = "https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=ffffffffff"
    report = migrate("mailchimp-export", EXPORT, tmp_path, download_images=False, platform_options={"archive_url": archive})
    entry = next(e for e in report_of(tmp_path)["issues"] if e["id"] == "a1b2c3d4e5")
    assert entry["old_urls"] == ["https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=a1b2c3d4e5"]
    assert entry["old_paths"] == []  # a query-string URL is no Hugo alias
    june = body(tmp_path, "content/issues/2024-06-04-garden-notes-june-is-for-weeding.md")
    assert "[archive](/issues/2024-04-02-garden-notes-tomatoes-at-last/)" in june
    assert report.summary()["links_between_issues_rewritten"] == 1


@pytest.mark.parametrize("option, value, message", [
    ("timezone", "Mars/Olympus", "not a time zone"),
    ("archive_url", "https://example.org/?id=1", "campaign-archive URL"),
    ("color", "green", "is not an option"),
])
def test_a_bad_option_is_refused_before_anything_is_written(tmp_path, option, value, message):
    with pytest.raises(UserError, match=message):
        migrate("mailchimp-export", EXPORT, tmp_path / "site", platform_options={option: value})
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------------- other shapes of export

def test_a_zip_with_a_campaigns_content_folder_reads_like_the_folder_and_skips_templates(tmp_path, mappings):
    members = {"export/campaigns.csv": (EXPORT / "campaigns.csv").read_bytes(),
               "export/templates/30001_basic.html": b"<html><body><h1>Template</h1></body></html>",
               "export/.20001_garden-notes.html": b"<html>hidden copy</html>"}
    members.update({f"export/campaigns_content/{p.name}": p.read_bytes() for p in EXPORT.iterdir() if p.name != "campaigns.csv"})
    from_zip = entries(zipped(tmp_path, members), mappings)
    from_folder = entries(EXPORT, mappings)
    assert [(type(e).__name__, e.source_id) for e in from_zip] == [(type(e).__name__, e.source_id) for e in from_folder]


def test_a_csv_with_a_byte_order_mark_and_other_column_order_reads_the_same(tmp_path, mappings):
    shutil.copytree(EXPORT, tmp_path / "export")
    lines = (EXPORT / "campaigns.csv").read_text().splitlines()
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    out = io.StringIO()
    csv.writer(out).writerows([[r[6], r[3], r[1], r[0]] for r in rows])  # Unique Id, Send Date, Subject, Title
    (tmp_path / "export" / "campaigns.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    assert issues_of(entries(tmp_path / "export", mappings)).keys() == issues_of(entries(EXPORT, mappings)).keys()


def test_an_export_without_campaigns_csv_says_what_to_give(tmp_path, mappings):
    (tmp_path / "1_news.html").write_text("<p>x</p>")
    with pytest.raises(UserError, match="no campaigns.csv"):
        get_fetcher("mailchimp-export").check_source(str(tmp_path))


def test_a_csv_without_its_columns_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "campaigns.csv").write_text("Name,When\nA,B\n")
    (tmp_path / "export" / "1_a.html").write_text("<p>x</p>")
    with pytest.raises(UserError, match="Send Date"):
        migrate("mailchimp-export", tmp_path / "export", tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_csv_without_campaign_files_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "export").mkdir()
    shutil.copy(EXPORT / "campaigns.csv", tmp_path / "export")
    with pytest.raises(UserError, match="no campaign files"):
        migrate("mailchimp-export", tmp_path / "export", tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_row_with_a_send_date_that_is_no_date_is_kept_undated_with_a_warning(tmp_path, mappings):
    shutil.copytree(EXPORT, tmp_path / "export")
    csv_path = tmp_path / "export" / "campaigns.csv"
    csv_path.write_text(csv_path.read_text().replace('"May 15, 2024 07:30 am"', "soon"))
    swap = issues_of(entries(tmp_path / "export", mappings))["d4e5f6a7b8"]
    assert swap.date is None and swap.draft and "'soon' is not a date" in swap.warnings[0]


# ---------------------------------------------------------------------- re-sync

def test_a_sync_of_an_unchanged_export_does_no_work(tmp_path):
    migrate("mailchimp-export", EXPORT, tmp_path, download_images=False)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
    report = migrate("mailchimp-export", EXPORT, tmp_path, mode="sync", download_images=False)
    assert report.files_written == 0 and report.up_to_date == 6
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")} == before


def test_a_sync_after_a_changed_file_rewrites_only_that_issue(tmp_path):
    shutil.copytree(EXPORT, tmp_path / "export")
    site = tmp_path / "site"
    migrate("mailchimp-export", tmp_path / "export", site, download_images=False)
    frost = tmp_path / "export" / "20009_frost-alert-copy-01-.html"
    frost.write_text(frost.read_text().replace("before you leave", "before dusk"))
    report = migrate("mailchimp-export", tmp_path / "export", site, mode="sync", download_images=False)
    assert [e["id"] for e in report.issues if e["action"] == "written"] == ["c3d4e5f6a7"]
    assert "before dusk" in body(site, "content/issues/2024-05-09-frost-tonight-cover-your-seedlings.md")
    assert json.loads((site / ".migrate" / "report.json").read_text())["summary"]["up_to_date"] == 5


# ---------------------------------------------------------------------- hostile and odd exports

def test_a_zip_that_climbs_out_is_refused_before_anything_is_written(tmp_path):
    source = zipped(tmp_path, {"campaigns.csv": (EXPORT / "campaigns.csv").read_bytes(), "../20001_garden-notes.html": b"<p>x</p>"})
    with pytest.raises(UserError, match="climbs out"):
        migrate("mailchimp-export", source, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_campaign_file_in_a_legacy_encoding_is_read_as_it_says(tmp_path, mappings):
    shutil.copytree(EXPORT, tmp_path / "export")
    page = ('<html><head><meta charset="windows-1252"><title>*|MC:SUBJECT|*</title></head><body>'
            '<h1>Caf\u00e9 on the allotment \u2013 opening</h1></body></html>')
    (tmp_path / "export" / "20020_garden-notes.html").write_bytes(page.encode("cp1252"))
    june = issues_of(entries(tmp_path / "export", mappings))["e5f6a7b8c9"]
    assert "Caf\u00e9 on the allotment \u2013 opening" in june.html and not any("\ufffd" in w for w in june.warnings)


def test_a_rendered_preview_text_is_the_description_and_an_unrendered_one_is_not(tmp_path, mappings):
    shutil.copytree(EXPORT, tmp_path / "export")
    frost = tmp_path / "export" / "20009_frost-alert-copy-01-.html"
    frost.write_text(frost.read_text().replace(">*|MC_PREVIEW_TEXT|*</span>", ">Fleece out tonight</span>"))
    found = issues_of(entries(tmp_path / "export", mappings))
    assert found["c3d4e5f6a7"].description == "Fleece out tonight" and found["a1b2c3d4e5"].description is None
