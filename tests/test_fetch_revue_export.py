"""revue-export: the account export as a folder or a zip; an issue is its description and its
items in order, rendered as Revue rendered them."""

import pytest

from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.http import HttpClient
from migrate.record import Issue, SourceProblem

from .support import REVUE, migrate, read_issue, zipped

EXPORT = REVUE / "export"


def entries(source, mappings, **options):
    fetcher = get_fetcher("revue-export")(str(source), FetchContext(HttpClient(), mappings, options=options))
    return list(fetcher.entries())


def test_issues_come_in_csv_order_with_an_orphan_item_reported(mappings):
    found = entries(EXPORT, mappings)
    assert [e.source_id for e in found if isinstance(e, Issue)] == ["800101", "800102", "800103"]
    (orphan,) = [e for e in found if isinstance(e, SourceProblem)]
    assert "800199" in orphan.reason


def test_fields_come_from_the_csv(mappings):
    first, second, draft = [e for e in entries(EXPORT, mappings) if isinstance(e, Issue)]
    assert (first.title, first.number, str(first.date)) == ("The Garden Post #1: Seeds", 1, "2022-11-06 09:30:00+00:00")
    assert first.description == "Seeds, soil and a very patient wait."
    assert second.title == "The Garden Post #2: Frost & fleece"
    assert draft.draft and draft.old_paths == []


def test_old_paths_are_inferred_and_the_profile_form_added_when_configured(mappings):
    first = next(e for e in entries(EXPORT, mappings, profile="gardenpost") if isinstance(e, Issue))
    assert [(p.path, p.inferred) for p in first.old_paths] == [
        ("/issues/the-garden-post-1-seeds-800101", True),
        ("/profile/gardenpost/issues/the-garden-post-1-seeds-800101", True)]


def test_the_body_is_the_description_then_items_in_order(tmp_path):
    migrate("revue-export", EXPORT, tmp_path, download_images=False)
    body = read_issue(tmp_path, "001.md").split("---\n", 2)[2]
    order = ["Welcome to the first _Garden Post_", "## Sowing", "![A seed tray]", "_Forty cells of tomato seedlings, day nine._",
             "Sow thinly", "**[The Seed Saver's Handbook](https://seeds.example.org/handbook)** — seeds.example.org",
             "Everything about keeping seeds", "> First true leaves on the chillies today.",
             "> — [Grower Jo (@growerjo)](https://twitter.com/growerjo/status/1590000000000000002)",
             "[Pricking out seedlings](https://www.youtube.com/watch?v=ZyXwVuTsRqP)", "A two-minute demonstration."]
    positions = [body.index(piece) for piece in order]
    assert positions == sorted(positions)


def test_an_image_item_prefers_the_original_upload(tmp_path):
    migrate("revue-export", EXPORT, tmp_path, download_images=False)
    assert "/original/tray.png" in read_issue(tmp_path, "001.md")


def test_a_zip_reads_the_same_as_the_folder(tmp_path, mappings):
    members = {f"export/{p.name}": p.read_bytes() for p in EXPORT.iterdir()}
    from_zip = [e.source_id for e in entries(zipped(tmp_path, members), mappings) if isinstance(e, Issue)]
    assert from_zip == ["800101", "800102", "800103"]


def test_an_export_without_an_issues_csv_is_refused_with_a_reason(tmp_path, mappings):
    with pytest.raises(UserError, match="issues"):
        entries(zipped(tmp_path, {"items.json": b"[]"}), mappings)


def test_a_file_that_is_not_a_zip_says_so(tmp_path, mappings):
    (tmp_path / "export.zip").write_text("not a zip")
    with pytest.raises(UserError, match="not a readable zip"):
        entries(tmp_path / "export.zip", mappings)


def test_a_zip_bomb_member_is_refused(tmp_path, mappings):
    bomb = zipped(tmp_path, {"issues.csv": "id,subject\n1,a\n", "items.json": b"[" + b" " * (40 * 1024 * 1024) + b"]"})
    with pytest.raises(UserError, match="inflate"):
        entries(bomb, mappings)


def test_without_an_items_file_issues_keep_their_description(tmp_path, mappings):
    path = tmp_path / "issues_x.csv"
    path.write_text((EXPORT / "issues_2022-12-01.csv").read_text())
    found = entries(tmp_path, mappings)
    assert isinstance(found[0], SourceProblem) and "items" in found[0].reason
    assert [e.source_id for e in found[1:]] == ["800101", "800102", "800103"]


def test_a_csv_row_longer_than_its_header_is_read_with_a_warning(tmp_path, mappings):
    text = (EXPORT / "issues_2022-12-01.csv").read_text().splitlines()
    text[1] += ",an extra value"
    (tmp_path / "issues.csv").write_text("\n".join(text) + "\n")
    found = [e for e in entries(tmp_path, mappings) if isinstance(e, Issue)]
    assert [e.source_id for e in found] == ["800101", "800102", "800103"]
    assert "more than the header" in found[0].warnings[0]
