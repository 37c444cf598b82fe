"""buttondown-export: the zip or folder with emails.csv or emails.json and emails/<slug>.md bodies."""
import json
import shutil
import zipfile

import pytest

from migrate.check import check_site
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.http import HttpClient
from migrate.record import Issue, SourceNote, SourceProblem
from migrate.urls import Remap

from .platform_servers import ButtondownApi
from .support import FIXTURES, migrate, read_issue, report_of

EXPORT = FIXTURES / "buttondown" / "export"


def entries(source, mappings, **options):
    fetcher = get_fetcher("buttondown-export")(str(source), FetchContext(HttpClient(), mappings, options=options))
    return list(fetcher.entries())


def by_slug(found) -> dict:
    return {e.slug: e for e in found if isinstance(e, Issue)}


def zipped(folder, target):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"buttondown-export/{path.relative_to(folder)}")
    return target


@pytest.fixture
def image_host():
    server = ButtondownApi([], "unused")
    yield server
    server.stop()


def test_rows_are_joined_with_their_bodies(mappings):
    found = by_slug(entries(EXPORT, mappings))
    lichen = found["lichen-slowly"]
    assert (lichen.title, lichen.number, str(lichen.date)) == ("Field Notes #3: Lichen, slowly", 3, "2023-11-14 16:00:00+00:00")
    assert "millimetre a year" in lichen.html and lichen.description == "A crust that takes a century."
    assert [p.path for p in lichen.old_paths] == ["/fieldnotes/archive/lichen-slowly/"]
    assert found["moss-and-rain"].title == "Field Notes #2: Moss & rain"


def test_a_row_without_a_body_is_reported_with_the_file_it_looked_for(mappings):
    problems = [e for e in entries(EXPORT, mappings) if isinstance(e, SourceProblem)]
    lost = next(p for p in problems if "row" in p.source_ref)
    assert "emails/lost-issue.md" in lost.reason and lost.source_id == "e5a7c9d1-5555-4f6b-9c4d-4567890123ef"


def test_a_body_no_row_lists_is_reported_unless_its_front_matter_says_which_email_it_is(mappings):
    found = entries(EXPORT, mappings)
    stray = next(e for e in found if isinstance(e, SourceProblem) and e.source_ref == "emails/stray-notes.md")
    assert "no row" in stray.reason
    mushrooms = by_slug(found)["mushrooms-after-fire"]
    assert mushrooms.title == "Field Notes #5: Mushrooms after fire" and mushrooms.number == 5
    assert any("no row of emails.csv" in w for w in mushrooms.warnings)
    # Its archive path is rebuilt with the username the listed emails' URLs name.
    assert [p.path for p in mushrooms.old_paths] == ["/fieldnotes/archive/mushrooms-after-fire/"]


def test_a_draft_row_is_a_draft_or_left_out_with_drafts_skip(mappings):
    assert by_slug(entries(EXPORT, mappings))["ferns"].draft
    assert "drafts=skip" in by_slug(entries(EXPORT, mappings, drafts="skip"))["ferns"].skip_reason


def test_a_zip_reads_as_its_folder(tmp_path, mappings):
    archive = zipped(EXPORT, tmp_path / "export.zip")
    from_zip = [(type(e).__name__, getattr(e, "source_id", None), getattr(e, "html", None)) for e in entries(archive, mappings)]
    from_folder = [(type(e).__name__, getattr(e, "source_id", None), getattr(e, "html", None)) for e in entries(EXPORT, mappings)]
    assert from_zip == from_folder


def test_emails_json_with_bodies_inside_or_beside_it(tmp_path, mappings):
    folder = tmp_path / "export"
    (folder / "emails").mkdir(parents=True)
    shutil.copy(EXPORT / "emails" / "hello-field.md", folder / "emails" / "hello-field.md")
    (folder / "emails.json").write_text(json.dumps([
        {"id": "c3e5a7b9-3333-4d4f-9a2b-2345678901cd", "subject": "Field Notes #1: Hello, field", "slug": "hello-field",
         "status": "sent", "publish_date": "2023-10-31T16:00:00Z", "secondary_id": 1},
        {"id": "0f0f0f0f-7777-4b7b-8c8c-6789012345a1", "subject": "Field Notes #6: Snow", "slug": "snow", "status": "sent",
         "publish_date": "2023-11-28T16:00:00Z", "body": "Snow on the *ferns*."},
    ]))
    found = by_slug(entries(folder, mappings))
    assert "Field Notes" in found["hello-field"].html and "<em>ferns</em>" in found["snow"].html


def test_an_export_without_emails_says_what_to_give(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "subscribers.csv").write_text("email\n")
    with pytest.raises(UserError, match="emails.json, emails.csv or emails/"):
        migrate("buttondown-export", tmp_path / "export", tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_csv_without_id_or_slug_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "emails.csv").write_text("subject,publish_date\nHello,2023-01-01\n")
    with pytest.raises(UserError, match="neither an id nor a slug"):
        migrate("buttondown-export", tmp_path / "export", tmp_path / "site")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("listing", [{"emails": [{"id": "1", "slug": "hi"}]}, {"count": 1, "results": {"id": "1", "slug": "hi"}}, "hi"],
                         ids=["object", "results-an-object", "a-string"])
def test_an_emails_json_that_is_no_list_of_emails_is_refused_before_anything_is_written(tmp_path, listing):
    (tmp_path / "export" / "emails").mkdir(parents=True)
    (tmp_path / "export" / "emails.json").write_text(json.dumps(listing))
    (tmp_path / "export" / "emails" / "hi.md").write_text("Hello")
    with pytest.raises(UserError, match=r"emails.json is not a list of emails \(a JSON array of emails, or an object whose `results` is one\)"):
        migrate("buttondown-export", tmp_path / "export", tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_entries_of_emails_json_that_are_not_email_objects_are_each_reported(tmp_path, mappings):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "emails.json").write_text(json.dumps(
        {"results": [42, ["hi"], {"id": "1", "subject": "Hi", "slug": "hi", "status": "sent", "body": "Hello"}]}))
    found = [e for e in entries(tmp_path / "export", mappings) if not isinstance(e, SourceNote)]
    assert [type(e) for e in found] == [SourceProblem, SourceProblem, Issue]
    assert [e.source_ref for e in found[:2]] == ["emails.json[0]", "emails.json[1]"]


def test_an_export_that_lists_no_emails_says_so_in_the_report(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "emails.json").write_text("[]")
    report = migrate("buttondown-export", tmp_path / "export", tmp_path / "site")
    assert any(line.startswith("Note on ") and "emails.json: lists no emails" in line for line in report.lines())


def test_a_zip_that_climbs_out_is_refused(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("emails.csv", "id,subject,slug\n1,Hi,hi\n")
        handle.writestr("../emails/hi.md", "Hello")
    with pytest.raises(UserError, match="climbs out"):
        migrate("buttondown-export", archive, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_body_with_bytes_that_are_not_utf8_is_kept_with_a_warning(tmp_path, mappings):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    (folder / "emails" / "hello-field.md").write_bytes("Caf\u00e9 au lait".encode("cp1252"))
    hello = by_slug(entries(folder, mappings))["hello-field"]
    assert "\ufffd" in hello.html and any("not text" in w for w in hello.warnings)


def test_a_run_gives_a_site_check_finds_nothing_in(tmp_path, image_host):
    report = migrate("buttondown-export", zipped(EXPORT, tmp_path / "export.zip"), tmp_path / "site",
                     remaps=[Remap.parse(f"https://assets.buttondown.email={image_host.url}/assets")])
    site = tmp_path / "site"
    assert check_site(site) == []
    assert report_of(site)["summary"]["source_problems"] == 2 and not report.ok  # the lost body, the stray file
    lichen = read_issue(site, "003.md")
    assert "[last week’s moss issue](/issues/002/)" in lichen  # smarty's apostrophe, as Buttondown showed it and "utm_" not in lichen
    assert "#fn" not in lichen and "[^1]: Some have a third partner, a yeast, found only in 2016." in lichen
    moss = read_issue(site, "002.md")
    assert "javascript" not in moss.split("[here")[0] and "Click here" in moss


def test_a_sync_of_the_same_export_touches_nothing_and_a_changed_body_rewrites_its_file(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    site = tmp_path / "site"
    migrate("buttondown-export", folder, site, download_images=False)
    unchanged = migrate("buttondown-export", folder, site, mode="sync", download_images=False)
    assert unchanged.files_written == 0 and not unchanged.issues and unchanged.up_to_date == 5
    body = folder / "emails" / "hello-field.md"
    body.write_text(body.read_text().replace("Tuesday", "Thursday"))
    changed = migrate("buttondown-export", folder, site, mode="sync", download_images=False)
    assert [e["output"] for e in changed.issues] == ["content/issues/001.md"]
    assert "Thursday" in read_issue(site, "001.md")
