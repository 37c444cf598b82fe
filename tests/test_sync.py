"""Re-sync: only what changed is redone, a hand edit is never lost, deleted issues are reported,
moved issues keep their old URL, failed images are retried."""
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from migrate.config import RunOptions
from migrate.standin import Account
from migrate.state import StateStore
from migrate.status import format_status, site_status

from .faultserver import ok, status
from .support import FIXTURES, REVUE, migrate, read_issue, report_of, s3_remap, site_tree

TOKEN = "sync-token-77"


def mtimes(site):
    return {str(p): p.stat().st_mtime_ns for p in (site / "content").rglob("*") if p.is_file()}


class LiveArchive:
    """A stand-in Revue account whose issues a test can change between syncs."""

    def __init__(self, standin, monkeypatch):
        self.issues = json.loads((REVUE / "api-issues.json").read_text())
        self.server = standin(Account(issues=lambda: self.issues, profile="fieldrec", token=TOKEN))
        monkeypatch.setenv("REVUE_API_TOKEN", TOKEN)

    def edit(self, issue_id: int, old: str, new: str) -> None:
        issue = next(i for i in self.issues if i["id"] == issue_id)
        assert old in issue["html"]
        issue["html"] = issue["html"].replace(old, new)

    def sync(self, site, mode="sync", **options):
        return migrate("revue-api", self.server.url, site, mode=mode, remaps=[s3_remap(self.server)], **options)


@pytest.fixture
def live(standin, monkeypatch):
    return LiveArchive(standin, monkeypatch)


def test_a_second_sync_with_nothing_changed_does_no_work(tmp_path, live):
    live.sync(tmp_path, mode="run")
    before, images_asked = mtimes(tmp_path), sum(n for p, n in live.server.account.hits.items() if "s3.amazonaws.com" in p)
    report = live.sync(tmp_path)
    assert report.files_written == 0 and report.up_to_date == 3 and not report.issues
    assert mtimes(tmp_path) == before
    assert sum(n for p, n in live.server.account.hits.items() if "s3.amazonaws.com" in p) == images_asked
    assert live.server.account.not_modified == 1  # the API was asked with If-None-Match and answered 304



def test_a_sync_with_nothing_changed_still_writes_its_run_report_and_the_report_page(tmp_path, live):
    live.sync(tmp_path, mode="run")
    tree = site_tree(tmp_path)
    live.sync(tmp_path)
    after = site_tree(tmp_path)
    changed = {name for name in after if tree.get(name) != after[name]}
    # The content, the images and the starter site are untouched; what this run said is new.
    assert changed == {".migrate/report.json", ".migrate/report.html", ".migrate/reports/0002-sync.json"}
    assert report_of(tmp_path)["summary"]["up_to_date"] == 3
    page = after[".migrate/report.html"].decode()
    assert "the last run: sync of revue-api" in page and "0 converted (0 file(s) new or changed, 0 already identical and left untouched), 3 up to date" in page
    assert page.count('<tr class="issue"') == 3
    # Made from the state store alone, the page is the one a second sync writes, byte for byte.
    live.sync(tmp_path)
    assert site_tree(tmp_path)[".migrate/report.html"] == after[".migrate/report.html"]

def test_a_change_at_the_source_rewrites_exactly_that_issue(tmp_path, live):
    live.sync(tmp_path, mode="run")
    before = mtimes(tmp_path)
    live.edit(900203, "Church bells", "Temple bells")
    report = live.sync(tmp_path)
    changed = {path for path, mtime in mtimes(tmp_path).items() if before.get(path) != mtime}
    assert changed == {str(tmp_path / "content/issues/003.md")}
    assert "Temple bells" in read_issue(tmp_path, "003.md")
    assert report.up_to_date == 2 and report.files_written == 1


def test_a_sync_after_a_run_matches_a_fresh_run_byte_for_byte(tmp_path, live):
    live.sync(tmp_path / "a", mode="run")
    live.edit(900204, "microphone placement", "where the microphone goes")
    live.sync(tmp_path / "a")
    live.sync(tmp_path / "b", mode="run")
    drop_report = lambda tree: {k: v for k, v in tree.items() if not k.startswith(".migrate/")}
    assert drop_report(site_tree(tmp_path / "a")) == drop_report(site_tree(tmp_path / "b"))


class TestHandEdits:
    def edit_by_hand(self, site, name="004.md"):
        path = site / "content" / "issues" / name
        path.write_text(path.read_text() + "\nA note I added by hand.\n")
        return path

    def test_a_hand_edited_file_is_left_alone_and_the_new_version_waits_beside_it(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        edited = self.edit_by_hand(tmp_path)
        live.edit(900204, "It rained all week", "It rained all month")
        report = live.sync(tmp_path)
        assert "A note I added by hand." in edited.read_text() and "all month" not in edited.read_text()
        incoming = edited.with_name("004.md.incoming")
        assert "It rained all month" in incoming.read_text()
        assert [c["output"] for c in report.conflicts] == ["content/issues/004.md"]
        assert report_of(tmp_path)["summary"]["conflicts"] == 1
        assert site_status(tmp_path).conflicts == ["content/issues/004.md"]

    def test_force_overwrites_and_clears_the_waiting_version(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        edited = self.edit_by_hand(tmp_path)
        live.edit(900204, "It rained all week", "It rained all month")
        live.sync(tmp_path)
        live.sync(tmp_path, force=True)
        assert "all month" in edited.read_text() and "by hand" not in edited.read_text()
        assert not edited.with_name("004.md.incoming").exists()

    def test_an_edit_without_a_source_change_is_simply_kept(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        edited = self.edit_by_hand(tmp_path)
        report = live.sync(tmp_path)
        assert "by hand" in edited.read_text() and not report.conflicts
        assert site_status(tmp_path).edited_locally == ["content/issues/004.md"]

    def test_a_run_over_a_hand_edited_site_protects_the_edit_too(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        edited = self.edit_by_hand(tmp_path)
        live.edit(900204, "It rained all week", "It rained all month")
        report = live.sync(tmp_path, mode="run")
        assert "by hand" in edited.read_text() and len(report.conflicts) == 1

    def test_taking_the_new_version_by_hand_resolves_the_conflict(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        edited = self.edit_by_hand(tmp_path)
        live.edit(900204, "It rained all week", "It rained all month")
        live.sync(tmp_path)
        shutil.move(edited.with_name("004.md.incoming"), edited)
        live.sync(tmp_path)
        state = site_status(tmp_path)
        assert state.conflicts == [] and state.edited_locally == [] and state.up_to_date == 3

    def test_a_deleted_file_is_written_again(self, tmp_path, live):
        live.sync(tmp_path, mode="run")
        (tmp_path / "content/issues/003.md").unlink()
        live.sync(tmp_path)
        assert "Church bells" in read_issue(tmp_path, "003.md")


def test_an_issue_deleted_at_the_source_is_reported_and_its_file_kept(tmp_path, live):
    live.sync(tmp_path, mode="run")
    live.issues = [i for i in live.issues if i["id"] != 900203]
    report = live.sync(tmp_path)
    assert [g["id"] for g in report.gone] == ["900203"]
    assert (tmp_path / "content/issues/003.md").exists()
    lines = report.lines()
    gone = lines.index("- 1 issue(s) are no longer at the source; their files are kept (delete them if they should go):")
    assert lines[gone + 1] == "    content/issues/003.md (id 900203)"


def saved_archive(folder: Path, name: str, leave_out: tuple[int, ...] = (), id_offset: int = 0) -> Path:
    """The fixture's saved API response under a file name of the author's choosing."""
    issues = [i for i in json.loads((REVUE / "api-issues.json").read_text()) if i["id"] not in leave_out]
    for issue in issues:
        if id_offset:
            issue["id"] += id_offset
            issue["url"] = issue["url"] and issue["url"].replace("fieldrec", "otherrec").replace(
                str(issue["id"] - id_offset), str(issue["id"]))
            issue["title"] = issue["title"].replace("Field Recordings", "Other Letters")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(issues))
    return folder / name


def test_an_archive_downloaded_again_under_another_name_is_the_same_archive(tmp_path):
    site = tmp_path / "site"
    migrate("revue-api", saved_archive(tmp_path, "issues-june.json"), site, download_images=False)
    july = migrate("revue-api", saved_archive(tmp_path, "issues-july.json", leave_out=(900203,)), site,
                   mode="sync", download_images=False)
    assert [g["id"] for g in july.gone] == ["900203"] and (site / "content/issues/003.md").exists()
    again = migrate("revue-api", tmp_path / "issues-july.json", site, mode="sync", download_images=False)
    assert again.up_to_date == 2 and [g["id"] for g in again.gone] == ["900203"]  # 900202 has no body


def test_another_newsletters_archive_in_the_same_site_does_not_make_the_first_ones_issues_gone(tmp_path):
    site = tmp_path / "site"
    migrate("revue-api", saved_archive(tmp_path, "fieldrec.json"), site, download_images=False)
    other = migrate("revue-api", saved_archive(tmp_path, "otherrec.json", id_offset=1000), site, mode="sync",
                    download_images=False, section="other")
    assert other.gone == [] and len(list(other.entries())) == 3


def test_an_item_that_left_a_feeds_window_is_not_reported_gone(tmp_path):
    feed, saved = (FIXTURES / "rss" / "rss2.xml").read_text(), tmp_path / "feed.xml"
    saved.write_text(feed)
    site = tmp_path / "site"
    first = migrate("rss", saved, site, download_images=False)
    start = feed.index("<item>")
    saved.write_text(feed[:start] + feed[feed.index("</item>", start) + len("</item>"):])  # one item fewer
    report = migrate("rss", saved, site, mode="sync", download_images=False)
    assert report.gone == [] and report.up_to_date == len(list(first.entries())) - 1


def test_a_moved_issue_keeps_its_old_url_as_an_alias_and_its_old_file_goes(tmp_path, live):
    live.sync(tmp_path, mode="run")
    live.sync(tmp_path, section="letters")
    assert not (tmp_path / "content/issues/003.md").exists()
    text = (tmp_path / "content/letters/003.md").read_text()
    assert "  - /issues/003/\n" in text
    live.sync(tmp_path, section="notes")  # a second move keeps the first old URL too
    text = (tmp_path / "content/notes/003.md").read_text()
    assert "  - /issues/003/\n" in text and "  - /letters/003/\n" in text


def test_a_moved_issue_whose_old_file_was_edited_keeps_that_file(tmp_path, live):
    live.sync(tmp_path, mode="run")
    old = tmp_path / "content/issues/003.md"
    old.write_text(old.read_text() + "\nmine\n")
    report = live.sync(tmp_path, section="letters")
    assert "mine" in old.read_text()
    assert "/issues/003/" not in (tmp_path / "content/letters/003.md").read_text()
    assert any("edited by hand and is kept" in w for i in report.issues for w in i["warnings"])


def test_changed_settings_re_render_every_issue(tmp_path, live):
    live.sync(tmp_path, mode="run")
    report = live.sync(tmp_path, sentence_per_line=True)
    assert report.up_to_date == 0 and len(report.issues) == 3
    assert "Here is what I learned" in read_issue(tmp_path, "004.md").split("It rained all week, so I recorded it.\n", 1)[1]


class TestFailedImages:
    def test_a_failed_image_is_retried_on_the_next_sync_with_its_attempt_count(self, tmp_path, live, faults):
        from migrate.urls import Remap

        path = "/s3/revue/items/images/010/200/301/mail/bells.png"
        faults.script(path, status(503), status(503), status(503), status(503), ok(PNG_BYTES))
        faults.script("/s3/revue/items/images/010/200/300/thumb/rain.jpg", ok(PNG_BYTES))
        remap = Remap.parse(f"https://s3.amazonaws.com={faults.url}/s3")
        run = lambda mode: migrate("revue-api", live.server.url, tmp_path, mode=mode, remaps=[remap], attempts=2)
        first = run("run")
        assert "(attempt 1)" in " ".join(f for i in first.issues for f in i["failures"])
        second = run("sync")
        assert "(attempt 2)" in " ".join(f for i in second.issues for f in i["failures"])
        assert [i["id"] for i in second.issues] == ["900203"]  # only the issue with the failed image
        third = run("retry-failed")
        assert [(i["id"], i["failures"]) for i in third.issues] == [("900203", [])]
        assert "/images/" in read_issue(tmp_path, "003.md") and site_status(tmp_path).failed_images == []
        (image,) = [i for i in StateStore.open_existing(tmp_path).images() if i.url.endswith("bells.png?1649000000")]
        assert (image.state, image.attempts) == ("done", 3)


PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def test_status_needs_a_state_and_says_how_to_get_one(tmp_path, capsys):
    from migrate.cli import main

    assert main(["status", "--site", str(tmp_path)]) == 2
    assert "run `newsletter-migrate run`" in capsys.readouterr().err


def test_status_counts_and_exits_zero(tmp_path, live, capsys):
    from migrate.cli import main

    live.sync(tmp_path, mode="run")
    (tmp_path / "content/issues/005.md").unlink()
    assert main(["status", "--site", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3 issue(s) known" in out and "files missing:      1" in out and "up to date:         2" in out


def test_status_with_the_source_counts_what_changed_there(tmp_path, live):
    from migrate.config import RunOptions

    live.sync(tmp_path, mode="run")
    live.edit(900203, "Church bells", "Temple bells")
    options = RunOptions(platform="revue-api", source=live.server.url, site=tmp_path, remaps=[s3_remap(live.server)], progress=False)
    found = site_status(tmp_path, options)
    assert (found.changed_at_source, found.to_redo, found.up_to_date) == (["content/issues/003.md"], [], 2)
    assert "Church bells" in read_issue(tmp_path, "003.md")  # status changed nothing


def test_status_tells_an_image_still_to_fetch_from_a_change_at_the_source(tmp_path, live, faults):
    from migrate.config import RunOptions
    from migrate.urls import Remap

    faults.script("/s3/revue/items/images/010/200/301/mail/bells.png", *[status(503)] * 8)
    faults.script("/s3/revue/items/images/010/200/300/thumb/rain.jpg", ok(PNG_BYTES))
    remaps = [Remap.parse(f"https://s3.amazonaws.com={faults.url}/s3")]
    migrate("revue-api", live.server.url, tmp_path, remaps=remaps, attempts=1)
    options = RunOptions(platform="revue-api", source=live.server.url, site=tmp_path, remaps=remaps, progress=False)
    found = site_status(tmp_path, options)
    assert (found.changed_at_source, found.to_redo, found.up_to_date) == ([], ["content/issues/003.md"], 2)
    assert "failed images:      1" in format_status(found) and "to write again:     1" in format_status(found)


def test_status_calls_a_run_that_was_killed_interrupted(tmp_path, live):
    live.sync(tmp_path, mode="run")
    state = StateStore.open_existing(tmp_path)
    state.set_meta("run_state", "running")  # what a killed run leaves
    state.close()
    assert "interrupted before it finished" in format_status(site_status(tmp_path))


def test_temporary_files_an_interrupted_run_left_are_swept(tmp_path, live):
    live.sync(tmp_path, mode="run")
    leftover = tmp_path / "content" / "issues" / ".nm-tmp-004.md.abc123"
    leftover.write_text("half")
    report = live.sync(tmp_path)
    assert not leftover.exists() and report.temporary_files_removed == 1


def test_two_platforms_in_one_site_never_take_each_others_files(tmp_path):
    """A newsletter that moved from Revue to Buttondown: both archives go into one site. Issue
    numbers overlap; the second platform's issues get paths of their own, and nothing the first
    wrote is touched or taken for a hand edit."""
    from .support import FIXTURES, REVUE, site_tree

    migrate("revue-api", REVUE / "api-issues.json", tmp_path, download_images=False)
    revue_files = {name: data for name, data in site_tree(tmp_path).items() if name.startswith("content/")}
    report = migrate("buttondown-export", FIXTURES / "buttondown" / "export", tmp_path, download_images=False)
    assert not report.conflicts and not list(tmp_path.rglob("*.incoming"))
    assert {name: data for name, data in site_tree(tmp_path).items() if name in revue_files} == revue_files
    outputs = [entry["output"] for entry in report.issues if entry["output"]]
    assert outputs and not set(outputs) & set(revue_files)
    moved = [w for entry in report.issues for w in entry["warnings"] if "file name was taken by issue" in w]
    assert moved and all("of revue" in w for w in moved)


def test_a_conflict_in_a_site_given_as_a_relative_path_is_a_conflict_not_a_failure(tmp_path, live, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site = Path("rel")
    live.sync(site, mode="run")
    edited = site / "content" / "issues" / "004.md"
    edited.write_text(edited.read_text() + "\nA note of mine.\n")
    live.edit(900204, "It rained all week", "It rained all month")
    report = live.sync(site)
    assert [entry["incoming"] for entry in report.conflicts] == ["content/issues/004.md.incoming"]
    assert not any(entry["failures"] for entry in report.issues)


def test_a_sync_of_an_unchanged_export_still_names_what_it_could_not_read(tmp_path):
    """The export's bytes are the same, so nothing is read again; but the entries it could not
    read are still missing from the site, and the sync says so, as the run did."""
    from .support import FIXTURES

    export = FIXTURES / "mailchimp" / "export"
    first = migrate("mailchimp-export", export, tmp_path, download_images=False)
    again = migrate("mailchimp-export", export, tmp_path, mode="sync", download_images=False)
    assert first.problems and again.up_to_date == len(first.issues)
    assert [(p["source"], p["reason"]) for p in again.problems] == [(p["source"], p["reason"]) for p in first.problems]
    assert not again.ok


def revue_export(folder: Path, rows: list[tuple[str, str]]) -> Path:
    """A Revue export folder: issues.csv with (id, subject) rows, and an empty items.json."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["id,description,sent_at,subject,preheader"]
    for n, (issue_id, subject) in enumerate(rows, 1):
        lines.append(f"{issue_id},<p>Body of {subject}.</p>,2022-11-{n:02d}09:30:00 UTC,{subject},")
    (folder / "issues.csv").write_text("\n".join(lines) + "\n")
    (folder / "items.json").write_text("[]")
    return folder


def buttondown_export(folder: Path, emails: list[tuple[str, str]], bodies: bool | set[str] = True) -> Path:
    """A Buttondown export folder: emails.csv with (id, slug) rows and emails/<slug>.md bodies."""
    (folder / "emails").mkdir(parents=True, exist_ok=True)
    for old in (folder / "emails").iterdir():
        old.unlink()
    lines = ["id,subject,publish_date,creation_date,status,email_type,slug,secondary_id,absolute_url,description"]
    for n, (email_id, slug) in enumerate(emails, 1):
        lines.append(f"{email_id},Issue {slug},2023-10-{n:02d} 16:00:00+00:00,2023-10-01 08:00:00+00:00,sent,public,{slug},{n},,")
        if bodies is True or slug in bodies:
            (folder / "emails" / f"{slug}.md").write_text(f"The body of {slug}.\n")
    (folder / "emails.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_an_unreadable_row_does_not_make_another_newsletters_issues_gone(tmp_path):
    """Two Buttondown newsletters in one site, every id distinct. An email of the first whose body
    is lost is unreadable ("emails.csv row 1"): that names a row of the first's export only, and
    never makes the other newsletter's copy this archive's (its issues GONE, its rows re-filed)."""
    site = tmp_path / "site"
    a = buttondown_export(tmp_path / "garden", [("a-0001", "a1"), ("a-0002", "a2"), ("a-0003", "a3")])
    b = buttondown_export(tmp_path / "birds", [("b-0001", "b1"), ("b-0002", "b2"), ("b-0003", "b3")])
    migrate("buttondown-export", a, site, download_images=False, section="garden")
    migrate("buttondown-export", b, site, download_images=False, section="birds")
    buttondown_export(a, [("a-0001", "a1"), ("a-0002", "a2"), ("a-0003", "a3")], bodies={"a2", "a3"})  # a1's body lost
    report = migrate("buttondown-export", a, site, mode="sync", download_images=False, section="garden")
    assert [g["id"] for g in report.gone] == []
    state = StateStore.open_existing(site)
    try:
        assert {r.source_id for r in state.issues() if r.gone} == set()
        assert {r.source_id for r in state.issues() if r.source == str(b.resolve())} == {"b-0001", "b-0002", "b-0003"}
    finally:
        state.close()


def test_after_the_wrong_re_keying_a_sync_of_the_other_newsletter_makes_the_first_ones_gone(tmp_path):
    """After such a sync, a sync of the other newsletter finds nothing of the first's gone either."""
    site = tmp_path / "site"
    a = buttondown_export(tmp_path / "garden", [("a-0001", "a1"), ("a-0002", "a2")])
    b = buttondown_export(tmp_path / "birds", [("b-0001", "b1"), ("b-0002", "b2"), ("b-0003", "b3")])
    migrate("buttondown-export", a, site, download_images=False, section="garden")
    migrate("buttondown-export", b, site, download_images=False, section="birds")
    buttondown_export(a, [("a-0001", "a1"), ("a-0002", "a2")], bodies={"a2"})
    migrate("buttondown-export", a, site, mode="sync", download_images=False, section="garden")
    report = migrate("buttondown-export", b, site, mode="sync", download_images=False, section="birds")
    assert [g["id"] for g in report.gone] == []


def test_status_after_a_setting_that_moves_every_file_does_not_count_them_up_to_date(tmp_path):
    """With a new section every issue is written again at a new path: none is up to date."""
    site = tmp_path / "site"
    src = revue_export(tmp_path / "garden", [("1001", "Garden 1"), ("1002", "Garden 2")])
    migrate("revue-export", src, site, download_images=False)
    options = RunOptions(platform="revue-export", source=str(src), site=site, progress=False, download_images=False,
                         section="letters")
    found = site_status(site, options)
    assert len(found.to_redo) == 2
    assert found.up_to_date + len(found.to_redo) + len(found.changed_at_source) <= found.known
    assert found.up_to_date == 0


def test_status_writes_nothing(tmp_path):
    site = tmp_path / "site"
    src = revue_export(tmp_path / "garden", [("1001", "Garden 1"), ("1002", "Garden 2")])
    migrate("revue-export", src, site, download_images=False)
    revue_export(src, [("1001", "Garden 1 changed"), ("1002", "Garden 2"), ("1003", "Garden 3")])

    def tree():
        return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(site.rglob("*")) if p.is_file()}

    before = tree()
    options = RunOptions(platform="revue-export", source=str(src), site=site, progress=False, download_images=False)
    site_status(site, options)
    assert tree() == before
