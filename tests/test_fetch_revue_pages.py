"""revue-pages: saved public pages of both eras, a folder of them, or a live profile archive."""
import datetime as dt
import shutil

import pytest

from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.http import HttpClient
from migrate.record import Issue, SourceProblem
from migrate.standin import Account

from .support import REVUE, migrate, read_issue, report_of, site_tree


def entries(source, mappings, client=None):
    fetcher = get_fetcher("revue-pages")(str(source), FetchContext(client or HttpClient(), mappings))
    return list(fetcher.entries())


class Test2019To2022Page:
    def issue(self, mappings) -> Issue:
        (issue,) = entries(REVUE / "page-2020.html", mappings)
        return issue

    def test_metadata_comes_from_the_canonical_link_time_and_header(self, mappings):
        issue = self.issue(mappings)
        assert issue.title == "#42: The new crane, the fish market moves indoors, and gulls & chips"
        assert issue.date == dt.datetime(2020, 10, 4, 7, 15, tzinfo=dt.timezone.utc)
        assert issue.number == 42 and issue.source_id == "512345"
        assert [(p.path, p.inferred) for p in issue.old_paths] == [
            ("/issues/42-the-new-crane-the-fish-market-moves-indoors-and-gulls-chips-512345", False)]

    def test_the_content_is_the_email_not_the_page(self, mappings):
        body = self.issue(mappings).html
        assert body.startswith('<div id="issue-frame">') and "Welcome to the 42nd issue" in body
        assert "subscribe-form" not in body and "issue-header" not in body


class Test2016To2017Page:
    def issue(self, mappings) -> Issue:
        (issue,) = entries(REVUE / "page-2016.html", mappings)
        return issue

    def test_title_and_number_come_from_the_email_itself(self, mappings):
        issue = self.issue(mappings)
        assert (issue.title, issue.number) == ("Letters from the Lighthouse #3 (keepers!)", 3)

    def test_the_id_comes_from_the_share_links_and_the_issue_path_is_inferred(self, mappings):
        issue = self.issue(mappings)
        assert issue.source_id == "70003"
        assert [(p.path, p.inferred) for p in issue.old_paths] == [
            ("/issues/letters-from-the-lighthouse-3-keepers-70003", True), ("/archive/70003", False)]

    def test_no_date_is_invented(self, mappings):
        assert self.issue(mappings).date is None


def test_a_missing_date_is_named_and_an_override_supplies_it(tmp_path):
    report = migrate("revue-pages", REVUE / "page-2016.html", tmp_path / "a", download_images=False)
    assert report.issues[0]["needs"] == {"date": "the source gives none"}
    assert "date:" not in read_issue(tmp_path / "a", "003.md")

    config = tmp_path / "migrate.yaml"
    config.write_text('overrides:\n  "70003":\n    date: 2016-12-29\n    aliases: [/2016/12/29/letters-3/]\n')
    from migrate.config import RunOptions, load_config
    options = RunOptions()
    load_config(config, options)
    report = migrate("revue-pages", REVUE / "page-2016.html", tmp_path / "b", download_images=False, overrides=options.overrides)
    text = read_issue(tmp_path / "b", "003.md")
    assert "date: 2016-12-29" in text and "  - /2016/12/29/letters-3/" in text
    assert report.issues[0]["needs"] == {}


def test_a_folder_of_pages_is_read_in_name_order(tmp_path, mappings):
    shutil.copy(REVUE / "page-2020.html", tmp_path / "b.html")
    shutil.copy(REVUE / "page-2016.html", tmp_path / "a.html")
    (tmp_path / "notes.txt").write_text("not a page")
    assert [e.source_id for e in entries(tmp_path, mappings)] == ["70003", "512345"]


def test_a_page_naming_no_issue_is_reported_with_what_to_do(tmp_path, mappings):
    (tmp_path / "page.html").write_text("<html><body><div class='revue-p'>Text, but no links at all.</div></body></html>")
    (problem,) = entries(tmp_path / "page.html", mappings)
    assert isinstance(problem, SourceProblem) and "override" in problem.reason


def test_a_missing_source_says_what_to_give(tmp_path, mappings):
    with pytest.raises(UserError, match="--source"):
        entries(tmp_path / "nope.html", mappings)


class TestLiveArchive:
    def account(self):
        return Account.from_files(REVUE / "api-issues.json", profile="fieldrec", page_size=1)

    def test_a_profile_archive_is_followed_across_its_pages_to_each_issue(self, standin, mappings):
        server = standin(self.account())
        client = HttpClient()
        found = entries(f"{server.url}/profile/fieldrec", mappings, client)
        assert [e.source_id for e in found if isinstance(e, Issue)] == ["900204", "900203", "900201"]
        (problem,) = [e for e in found if isinstance(e, SourceProblem)]
        assert problem.source_ref.endswith("-900202") and "no issue content" in problem.reason
        assert server.account.hits["/profile/fieldrec"] == 4  # one issue per archive page

    def test_one_issue_url_gives_that_issue(self, standin, mappings):
        server = standin(self.account())
        url = f"{server.url}/profile/fieldrec/issues/field-recordings-4-rain-on-a-tin-roof-900204"
        (issue,) = entries(url, mappings)
        assert issue.title == "Field Recordings #4: Rain on a tin roof" and issue.number == 4

    def test_an_archive_with_no_issue_links_says_so(self, standin, mappings):
        server = standin(Account(issues=lambda: [], profile="empty"))
        with pytest.raises(UserError, match="neither"):
            entries(f"{server.url}/profile/empty", mappings)

    def test_a_dead_url_is_a_one_sentence_error(self, faults, mappings):
        from .faultserver import status

        url = faults.script("/gone", status(410))
        with pytest.raises(UserError, match="Could not fetch .*HTTP 410"):
            entries(url, mappings)


def test_the_report_marks_inferred_paths(tmp_path):
    migrate("revue-pages", REVUE / "page-2016.html", tmp_path, download_images=False)
    (entry,) = report_of(tmp_path)["issues"]
    assert entry["old_paths"] == [{"path": "/issues/letters-from-the-lighthouse-3-keepers-70003", "inferred": True},
                                  {"path": "/archive/70003", "inferred": False}]


def test_pages_read_in_worker_processes_give_the_site_one_process_gives(tmp_path, standin):
    """Pages read, cleaned and converted in worker processes give the site a single process
    writes, an issue skipped by an override included."""
    import json

    from migrate.mappings import Problems, load_overrides_data
    from migrate.render import IN_PROCESS_ISSUES

    template = json.loads((REVUE / "api-issues.json").read_text())[0]
    issues = [dict(template, id=930000 + n, title=f"Field Recordings #{n}: Rain",
                   url=template["url"].replace("900204", str(930000 + n))) for n in range(IN_PROCESS_ISSUES + 48)]
    server = standin(Account(issues=lambda: issues, profile="fieldrec"))
    problems = Problems()
    skip = load_overrides_data({str(930000 + IN_PROCESS_ISSUES + 30): {"skip": True}}, "the test", problems)
    for name, processes in (("one", 0), ("many", 2)):
        report = migrate("revue-pages", f"{server.url}/profile/fieldrec", tmp_path / name, download_images=False,
                         processes=processes, overrides=skip)
        assert len(report.issues) == len(issues) - 1 and len(report.skipped) == 1
    assert site_tree(tmp_path / "one") == site_tree(tmp_path / "many")
