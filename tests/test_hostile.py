"""Hostile archives and bad data: each input has a defined outcome.

An input is converted correctly, or skipped or reported with a one-line reason; it never
crashes the run, never yields invalid front matter, never writes outside the site folder, and
never drops an issue silently. Every case below names its input and the outcome it must have.
"""
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.errors import UserError

from .support import REVUE, migrate

EXPORT = REVUE / "export"
CSV_HEADER = "id,description,sent_at,subject,preheader\n"


# ---------------------------------------------------------------------- helpers

def api_issue(issue_id: int, title, html="<p>Body text.</p>", sent_at="2022-01-02T08:00:00.000Z", **more) -> dict:
    slug = f"issue-{issue_id}"
    return {"id": issue_id, "title": title, "description": None, "html": html, "sent_at": sent_at,
            "url": f"https://www.getrevue.co/profile/hostile/issues/{slug}-{issue_id}" if sent_at else None,
            "active": False, **more}


def run_api(tmp_path: Path, issues, raw: bytes | None = None, **options):
    source = tmp_path / "issues.json"
    source.write_bytes(raw if raw is not None else json.dumps(issues, ensure_ascii=False).encode("utf-8"))
    site = tmp_path / "site"
    report = migrate("revue-api", source, site, download_images=False, **options)
    return report, site


def front_matter_of(site: Path, output: str) -> dict:
    head, _ = split_front_matter((site / output).read_text(encoding="utf-8"))
    return yaml.safe_load(head)


def body_of(site: Path, output: str) -> str:
    return split_front_matter((site / output).read_text(encoding="utf-8"))[1]


def files_under(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*") if p.is_file()}


def page(title: str, body: str, issue_id: int = 700001, charset: str = "utf-8") -> str:
    """A public issue page in the 2019-22 shape, as text; the test encodes it."""
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title} | Revue</title>'
            f'<link rel="canonical" href="https://news.example.com/issues/x-{issue_id}"></head><body>'
            f'<section id="issue-header"><h1 class="issue-title">{title}</h1>'
            f'<time datetime="2020-05-03T08:00:00.000Z">2020-05-03</time></section>'
            f'<div id="issue-frame"><div class="revue-p">{body}</div></div></body></html>')


def run_page(tmp_path: Path, data: bytes, **options):
    source = tmp_path / "page.html"
    source.write_bytes(data)
    site = tmp_path / "site"
    return migrate("revue-pages", source, site, download_images=False, **options), site


def export_zip(tmp_path: Path, members: dict, links: dict | None = None) -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


GOOD_CSV = CSV_HEADER + "1,<p>Hello.</p>,2022-01-01 10:00:00 UTC,Issue #1,\n"


# ---------------------------------------------------------------------- 1-8: hostile archives

@pytest.mark.parametrize("members, links, says", [
    ({"../issues.csv": GOOD_CSV}, None, "climbs out with '..'"),                       # 1 zip-slip
    ({"/etc/issues.csv": GOOD_CSV}, None, "is an absolute path"),                      # 2 absolute path
    ({"..\\issues.csv": GOOD_CSV}, None, "uses a backslash"),                          # 3 windows-style climb
    ({"C:/issues.csv": GOOD_CSV}, None, "is an absolute path"),                        # 4 drive path
    ({"issues.csv": GOOD_CSV}, {"items.json": "/etc/passwd"}, "symbolic link"),       # 5 symlink entry
    ({"issues.csv": GOOD_CSV, "items.json": b"[" + b" " * (60 * 1024 * 1024) + b"]"}, None, "would inflate"),  # 6 zip bomb
])
def test_hostile_zips_are_refused_whole_and_nothing_is_written(tmp_path, members, links, says):
    archive = export_zip(tmp_path, members, links)
    before = files_under(tmp_path)
    with pytest.raises(UserError, match=says):
        migrate("revue-export", archive, tmp_path / "site", download_images=False)
    assert files_under(tmp_path) == before  # not a byte written, inside or outside the site


def test_7_a_symlink_in_an_export_folder_leading_outside_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "issues.csv").write_text(GOOD_CSV)
    os.symlink("/etc/hostname", folder / "items.json")
    with pytest.raises(UserError, match="symbolic link that leads outside"):
        migrate("revue-export", folder, tmp_path / "site", download_images=False)


def damage(archive: Path, how: str) -> None:
    """Break the one member of a zip the way old downloads break."""
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    if how == "declared size":  # the central directory claims fewer bytes than the member inflates to
        size = int.from_bytes(data[central + 24:central + 28], "little")
        data[central + 24:central + 28] = (size - 10).to_bytes(4, "little")
    elif how == "checksum":
        data[central + 16:central + 20] = bytes(4)
    elif how == "deflate data":
        name_length = int.from_bytes(data[26:28], "little")
        start = 30 + name_length
        data[start:start + 8] = b"\xff" * 8
    elif how == "encryption flag":
        data[central + 8] |= 1
        data[6] |= 1
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["declared size", "checksum", "deflate data", "encryption flag"])  # 8
def test_8_a_damaged_zip_is_refused_with_a_sentence_before_anything_is_written(tmp_path, how):
    archive = export_zip(tmp_path, {"issues.csv": GOOD_CSV + "2,<p>More.</p>,2022-01-08 10:00:00 UTC,Issue #2,\n"})
    damage(archive, how)
    before = files_under(tmp_path)
    with pytest.raises(UserError, match="damaged|cannot be opened"):
        migrate("revue-export", archive, tmp_path / "site", download_images=False)
    assert files_under(tmp_path) == before


def test_8b_a_symlink_loop_in_an_export_folder_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "issues.csv").write_text(GOOD_CSV)
    os.symlink(folder / "loop", folder / "loop")
    with pytest.raises(UserError, match="leads nowhere"):
        migrate("revue-export", folder, tmp_path / "site", download_images=False)


# ---------------------------------------------------------------------- 9-14: paths that try to escape

@pytest.mark.parametrize("title", [
    "../../../../etc/passwd",          # 9 climbing title, no number
    "/absolute/path",                  # 10 absolute title
    "nul\x00byte",                     # 11 NUL in a title
    "CON",                             # 12 a name Windows reserves
    "w" * 400,                         # 13 a very long title
])
def test_file_names_made_from_titles_stay_inside_the_site(tmp_path, title):
    report, site = run_api(tmp_path, [api_issue(800001, title)])
    (entry,) = report.issues
    written = (site / entry["output"]).resolve()
    assert written.is_relative_to((site / "content").resolve()) and written.is_file()
    assert len(written.name.encode()) <= 200 and "\x00" not in str(written)


def test_14_a_path_template_that_climbs_is_refused_before_anything_runs(tmp_path):
    from migrate.config import RunOptions, load_config

    config = tmp_path / "migrate.yaml"
    config.write_text("path: '../../{name}.md'\n")
    with pytest.raises(UserError):
        options = RunOptions()
        load_config(config, options)
        migrate("revue-api", REVUE / "api-issues.json", tmp_path / "site", download_images=False, path_template=options.path_template)
    assert not (tmp_path / "site" / "content").exists()


# ---------------------------------------------------------------------- 15-20: encodings

def test_15_invalid_utf8_in_an_api_body_is_replaced_not_fatal(tmp_path):
    raw = json.dumps([api_issue(1, "Caf\u00e9 PLACEHOLDER"), api_issue(2, "Next")]).encode("utf-8").replace(b"PLACEHOLDER", b"\xff\xfe")
    report, site = run_api(tmp_path, None, raw=raw)
    assert [i["id"] for i in report.issues] == ["1", "2"] and not report.problems
    assert front_matter_of(site, report.issues[0]["output"])["title"].startswith("Caf\u00e9 \ufffd")
    assert any("not text in its encoding" in w for w in report.issues[0]["warnings"])


def test_16_an_api_body_saved_as_utf16_with_a_bom_is_read(tmp_path):
    raw = json.dumps([api_issue(1, "Na\u00efve \u2014 caf\u00e9")], ensure_ascii=False).encode("utf-16")
    report, site = run_api(tmp_path, None, raw=raw)
    assert front_matter_of(site, report.issues[0]["output"])["title"] == "Na\u00efve \u2014 caf\u00e9"


def test_16b_a_saved_body_with_a_long_run_of_leading_whitespace_is_read(tmp_path):
    report, site = run_api(tmp_path, [], raw=b"\n" * 5000 + json.dumps([api_issue(1, "Late start")]).encode("utf-8"))
    assert [entry["title"] for entry in report.issues] == ["Late start"]


def export_folder(tmp_path: Path, csv_bytes: bytes, items: bytes | None = None) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "issues.csv").write_bytes(csv_bytes)
    if items is not None:
        (folder / "items.json").write_bytes(items)
    return folder


def test_16c_an_export_csv_saved_as_utf16_by_a_spreadsheet_is_read(tmp_path):
    folder = export_folder(tmp_path, (CSV_HEADER + "1,<p>Caf\u00e9.</p>,2022-01-01 10:00:00 UTC,Issue #1: na\u00efve,\n").encode("utf-16"), b"[]")
    report = migrate("revue-export", folder, tmp_path / "site", download_images=False)
    assert [entry["title"] for entry in report.issues] == ["Issue #1: na\u00efve"]


def test_16d_an_invalid_byte_in_the_items_costs_one_character_not_every_item(tmp_path):
    items = json.dumps([{"issue_id": 1, "item_type": "text", "order": 0, "description": "<p>Caf\u00e9 BAD and more.</p>"},
                        {"issue_id": 1, "item_type": "text", "order": 1, "description": "<p>Second item.</p>"}])
    folder = export_folder(tmp_path, GOOD_CSV.encode(), items.encode("utf-8").replace(b"BAD", b"\xff"))
    report = migrate("revue-export", folder, tmp_path / "site", download_images=False)
    (entry,) = report.issues
    body = body_of(tmp_path / "site", entry["output"])
    assert "Caf\u00e9 \ufffd and more." in body and "Second item." in body
    assert any("\ufffd" in warning for warning in entry["warnings"]) and not report.problems


def test_16e_a_description_over_the_csv_modules_field_limit_is_still_an_issue(tmp_path):
    long_description = "<p>" + "word " * 40_000 + "</p>"  # 200 KB, past csv's default 128 KB per field
    folder = export_folder(tmp_path, (CSV_HEADER + f"1,{long_description},2022-01-01 10:00:00 UTC,Long,\n"
                                      "2,<p>Short.</p>,2022-01-08 10:00:00 UTC,Short,\n").encode(), b"[]")
    report = migrate("revue-export", folder, tmp_path / "site", download_images=False)
    assert sorted(entry["title"] for entry in report.issues) == ["Long", "Short"] and not report.problems


@pytest.mark.parametrize("encoding, charset", [("cp1252", "windows-1252"), ("latin-1", "iso-8859-1")])
def test_17_18_pages_in_legacy_encodings_that_say_so_are_decoded(tmp_path, encoding, charset):
    text = "\u201cQuoted\u201d caf\u00e9" if encoding == "cp1252" else "caf\u00e9 cr\u00e8me"
    report, site = run_page(tmp_path, page(text, text, charset=charset).encode(encoding))
    (entry,) = report.issues
    assert front_matter_of(site, entry["output"])["title"] == text and text in body_of(site, entry["output"])


def test_19_a_page_in_utf16_with_a_bom_is_decoded(tmp_path):
    text = "\u00dcber die Br\u00fccke"
    report, site = run_page(tmp_path, page(text, text).encode("utf-16"))
    assert front_matter_of(site, report.issues[0]["output"])["title"] == text


def test_20_a_page_with_invalid_bytes_converts_with_replacement_characters(tmp_path):
    data = page("Broken bytes", "Before BROKEN after").encode("utf-8").replace(b"BROKEN", b"\xc3\x28\xa0")
    report, site = run_page(tmp_path, data)
    body = body_of(site, report.issues[0]["output"])
    assert "Before" in body and "after" in body


# ---------------------------------------------------------------------- 21-33: bad or odd data

@pytest.mark.parametrize("title", [
    "Key: value",                      # 21 a colon and a space
    "# not a comment",                 # 22 a hash
    "\"double\" and 'single' quotes",  # 23 quotes
    "- a leading dash",                # 24 a sequence marker
    "null",                            # 25 words YAML reads as other types
    "yes",
    "1.0",
    "@at !tag %percent &anchor *star |pipe >gt",  # 26 indicators
    "[brackets] and {braces}",         # 27 flow collections
    "\u05e9\u05dc\u05d5\u05dd and \u0645\u0631\u062d\u0628\u0627 \U0001F30A\U0001F980",  # 28 right-to-left text and emoji
])
def test_titles_yaml_would_misread_round_trip_exactly(tmp_path, title):
    report, site = run_api(tmp_path, [api_issue(1, title)])
    assert front_matter_of(site, report.issues[0]["output"])["title"] == title
    assert check_site(site) == [] or all(f.rule != "front-matter" for f in check_site(site))


def test_29_a_title_with_newlines_becomes_one_line(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "First line\nsecond line\r\n  third")])
    assert front_matter_of(site, report.issues[0]["output"])["title"] == "First line second line third"


def test_30_a_double_escaped_title_is_decoded_once_and_named(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Gulls &amp;amp; chips")])
    assert front_matter_of(site, report.issues[0]["output"])["title"] == "Gulls &amp; chips"
    assert any("escaped twice" in w for w in report.issues[0]["warnings"])


def test_31_a_missing_title_is_named_and_the_file_still_written(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, None)])
    (entry,) = report.issues
    assert "title" not in front_matter_of(site, entry["output"])
    assert "title" in entry["needs"]


def test_32_a_missing_date_makes_an_unsent_issue_a_draft(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Unsent", sent_at=None)])
    assert front_matter_of(site, report.issues[0]["output"])["draft"] is True


def test_33_duplicate_titles_get_two_files(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Same title"), api_issue(2, "Same title")])
    outputs = [i["output"] for i in report.issues]
    assert len(set(outputs)) == 2 and all((site / o).is_file() for o in outputs)


def test_34_an_empty_issue_is_written_and_named(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Empty", html="")])
    (entry,) = report.issues
    assert (site / entry["output"]).is_file() and any("no content" in w for w in entry["warnings"])


@pytest.mark.parametrize("platform", ["revue-api", "rss"])
def test_34b_a_url_no_parser_can_read_costs_its_link_not_the_issue(tmp_path, platform):
    html = ('<p>See <a href="http://[2001:db8::1/page">the page</a> and '
            '<a href="https://example.org/ok?utm_source=x">this</a>.</p>'
            '<p><img src="http://[::1/x.png" alt="a chart"></p>')
    if platform == "rss":
        source = tmp_path / "feed.xml"
        source.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://n.example.org/</link>'
                          '<item><title>One</title><link>https://n.example.org/one/</link><guid>one</guid>'
                          '<pubDate>Sun, 02 Jan 2022 08:00:00 GMT</pubDate><description>'
                          + html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                          + '</description></item></channel></rss>')
        report = migrate("rss", source, tmp_path / "site", download_images=False)
        site = tmp_path / "site"
    else:
        report, site = run_api(tmp_path, [api_issue(1, "Odd links", html=html)])
    (entry,) = report.issues
    body = body_of(site, entry["output"])
    assert "See the page and [this](https://example.org/ok)." in body and "a chart" in body
    assert sum("is not a URL anyone can read" in w for w in entry["warnings"]) == 2


def test_35_an_issue_that_is_only_scripts_ends_up_empty_not_unsafe(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Scripts", html="<script>alert(1)</script><style>p{}</style>")])
    assert "alert" not in (site / report.issues[0]["output"]).read_text()


def test_36_a_huge_issue_is_skipped_with_a_reason(tmp_path):
    huge = "<p>" + "word " * 300_000 + "</p>"  # ~1.5 MB
    report, site = run_api(tmp_path, [api_issue(1, "Huge", html=huge), api_issue(2, "Small")], max_issue_mb=1)
    (skipped,) = report.skipped
    assert skipped["id"] == "1" and "over the 1 MB limit" in skipped["reason"]
    assert [i["id"] for i in report.issues] == ["2"]


def test_37_thousands_of_unclosed_tags_are_flattened_not_a_crash(tmp_path):
    report, site = run_api(tmp_path, [api_issue(1, "Deep", html="<blockquote>" * 3000 + "deep text")])
    (entry,) = report.issues
    assert not entry["failures"] and "deep text" in body_of(site, entry["output"])


@pytest.mark.parametrize("entry, says", [
    ("not an object", "not a JSON object"),                                    # 38
    ({"title": "no id", "html": "<p>x</p>"}, "no `id`"),                        # 39
    ({"id": 5, "title": "no body", "html": None}, "no `html` body"),            # 40
])
def test_entries_that_cannot_be_issues_are_reported_and_the_rest_converted(tmp_path, entry, says):
    report, site = run_api(tmp_path, [entry, api_issue(9, "Fine")])
    (problem,) = report.problems
    assert says in problem["reason"] and [i["id"] for i in report.issues] == ["9"]


DEEP = 5000  # ijson's own item builder took memory in the square of this (20,000 levels: 970 MB)


def test_38b_json_nested_thousands_deep_is_broken_json_and_the_entries_before_it_stay(tmp_path):
    before = json.dumps([api_issue(1, "Before the trap")])[:-1]
    report, site = run_api(tmp_path, [], raw=(before + ", " + "[" * DEEP + "]" * DEEP + "]").encode())
    assert [entry["title"] for entry in report.issues] == ["Before the trap"]
    (problem,) = report.problems
    assert "nested deeper than 64 levels" in problem["reason"]


def test_38c_deeply_nested_items_in_an_export_are_reported_not_built(tmp_path):
    folder = export_folder(tmp_path, GOOD_CSV.encode(), ("[" * DEEP + "]" * DEEP).encode())
    report = migrate("revue-export", folder, tmp_path / "site", download_images=False)
    assert len(report.issues) == 1 and any("nested deeper" in p["reason"] for p in report.problems)


def test_38d_a_buttondown_listing_nested_thousands_deep_is_broken_json(tmp_path):
    source = tmp_path / "emails.json"
    source.write_text('{"results": ' + "[" * DEEP + "]" * DEEP + "}")
    report = migrate("buttondown-api", source, tmp_path / "site", download_images=False)
    assert not report.issues and any("nested deeper" in p["reason"] for p in report.problems)


def test_41_a_csv_without_the_columns_an_export_has_is_refused_with_a_reason(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "issues.csv").write_text("name,email\nx,y\n")
    with pytest.raises(UserError, match="lacks the column"):
        migrate("revue-export", tmp_path / "export", tmp_path / "site", download_images=False)


def test_42_front_matter_stays_valid_whatever_the_fields(tmp_path):
    nasty = ["---", "...", "title: injected", "key: [1, 2", "\t tabbed", "\u2028line separator"]
    report, site = run_api(tmp_path, [api_issue(n, t) for n, t in enumerate(nasty, start=1)])
    assert [f for f in check_site(site) if f.rule == "front-matter"] == []
    assert [front_matter_of(site, i["output"])["title"] for i in report.issues] == [" ".join(t.split()) for t in nasty]


def test_38e_json_too_deep_for_the_standard_parser_is_broken_json_not_a_crash():
    from bs4 import BeautifulSoup

    from migrate import jsondata
    from migrate.cleaners.substack_embeds import data_attrs

    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ValueError, match="nested too deep"):
        jsondata.loads(deep)
    embed = BeautifulSoup(f"<div class='tweet' data-attrs='{deep}'></div>", "lxml").div
    assert data_attrs(embed) == {}  # the embed's details are lost, the issue is not
