"""mailchimp-api: the Marketing API 3.0 through the real HttpClient, against a loopback stand-in
that speaks it (Basic auth, pagination, 429 with Retry-After, failing content, ETags)."""
import base64
import json
import os
import subprocess
import sys

import pytest

from migrate.check import check_site, split_front_matter
from migrate.cli import build_parser, options_from_args
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.fetchers.mailchimp import ISSUE_HOSTS, mailchimp_issue_ref
from migrate.http import HttpClient, HttpSettings
from migrate.pipeline import Mode, RunOptions, run
from migrate.record import Issue, SourceProblem
from migrate.redirects import redirect_map, render_redirects
from migrate.registry import IssueRegistry
from migrate.urls import Remap
from migrate.verify import verify_build

from .mailchimp_standin import MailchimpAccount, MailchimpStandin
from .support import FIXTURES, migrate, report_of

API = FIXTURES / "mailchimp" / "api"
KEY = "5f3c0a9e7d1b2c4a6e8f0a1b2c3d4e5f-us6"
SENT = ["f1e2d3c4b5", "a9b8c7d6e5", "0c1d2e3f4a", "7e8f9a0b1c"]  # by send time; 5b6c7d8e9f is a draft
MARCH = "content/issues/2024-03-05-garden-notes-spring-is-here.md"
APRIL = "content/issues/2024-04-02-garden-notes-tomatoes-at-last.md"
SHED = "content/issues/2024-04-20-new-tool-shed-key.md"


@pytest.fixture
def mailchimp(monkeypatch):
    monkeypatch.setenv("MAILCHIMP_API_KEY", KEY)
    server = MailchimpStandin(MailchimpAccount.from_fixtures(API, KEY)).start()
    yield server
    server.stop()


def entries(server, mappings, sleeps=None, **options):
    client = HttpClient(settings=HttpSettings(backoff_initial=0.01, backoff_max=0.02), sleep=(sleeps.append if sleeps is not None else lambda s: None))
    fetcher = get_fetcher("mailchimp-api")(server.api, FetchContext(client, mappings, options=options))
    return list(fetcher.entries())


def body(site, output: str) -> str:
    return split_front_matter((site / output).read_text(encoding="utf-8"))[1]


def front(site, output: str) -> str:
    return split_front_matter((site / output).read_text(encoding="utf-8"))[0]


# ---------------------------------------------------------------------- listing and reading

def test_sent_campaigns_come_oldest_first_page_by_page(mailchimp, mappings):
    found = entries(mailchimp, mappings, page_size="2")
    assert [e.source_id for e in found] == SENT and all(isinstance(e, Issue) for e in found)
    assert mailchimp.account.hits["/3.0/campaigns"] == 2  # 4 sent campaigns, 2 a page


def test_a_campaigns_fields_become_the_issues(mailchimp, mappings):
    march, april = entries(mailchimp, mappings)[:2]
    assert (march.title, march.description, str(march.date)) == ("Garden Notes: spring is here",
                                                                 "Seed potatoes, the new shed, and a work day", "2024-03-05 08:00:00+00:00")
    assert march.old_paths == [] and march.old_urls == [
        "http://eepurl.com/iQx7Bz", "https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=f1e2d3c4b5"]
    assert [p.path for p in april.old_paths] == ["/riverside-growers/garden-notes-april"]
    assert april.old_urls[0] == "https://mailchi.mp/riverside-growers/garden-notes-april"


def test_the_key_goes_as_basic_auth_and_comes_from_the_environment_only(mailchimp, mappings):
    entries(mailchimp, mappings)
    expected = base64.b64encode(f"newsletter-migrate:{KEY}".encode()).decode()
    assert set(mailchimp.account.authorizations) == {f"Basic {expected}"}


def test_a_429_waits_as_long_as_retry_after_says(mailchimp, mappings):
    mailchimp.account.rate_limited["/3.0/campaigns"] = 1
    mailchimp.account.rate_limited["/3.0/campaigns/a9b8c7d6e5/content"] = 2
    mailchimp.account.retry_after = "7"
    sleeps: list[float] = []
    found = entries(mailchimp, mappings, sleeps)
    assert [e.source_id for e in found] == SENT
    assert sleeps.count(7.0) == 3


def test_a_campaign_whose_content_fails_is_a_problem_and_the_rest_go_on(mailchimp, mappings):
    mailchimp.account.failing.add("a9b8c7d6e5")
    found = entries(mailchimp, mappings)
    assert [type(e) for e in found] == [Issue, SourceProblem, Issue, Issue]
    problem = found[1]
    assert problem.source_id == "a9b8c7d6e5" and "HTTP 500" in problem.reason and "web id 4410007" in problem.reason


def test_a_list_page_that_keeps_failing_ends_the_listing_with_a_problem(mailchimp, mappings):
    mailchimp.account.failing_offsets.add(2)
    found = entries(mailchimp, mappings, page_size="2")
    assert [e.source_id for e in found[:2]] == SENT[:2]
    assert isinstance(found[2], SourceProblem) and "after the first 2" in found[2].reason and found[2].source_id is None


def test_a_plain_text_campaign_keeps_its_text_and_loses_mailchimps_footer(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    text = body(tmp_path, SHED)
    assert "Ask at the\\\nplant sale" in text and "<https://riverside-growers.example.org/shed>" in text
    assert "nsubscribe" not in text and "===" not in text


def test_archive_html_and_the_source_html_read_the_same(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path / "a", download_images=False)
    migrate("mailchimp-api", mailchimp.api, tmp_path / "b", download_images=False, platform_options={"content": "html"})
    assert body(tmp_path / "a", MARCH) == body(tmp_path / "b", MARCH)
    assert "Dear growers, the seed potatoes" in body(tmp_path / "b", MARCH)


def test_the_whole_account_migrates_clean_with_its_images(tmp_path, mailchimp, image_host):
    report = migrate("mailchimp-api", mailchimp.api, tmp_path, remaps=[Remap.parse(f"https://mcusercontent.com={image_host.url}/mcusercontent.com")])
    assert report.ok and check_site(tmp_path) == []
    assert report.summary()["images_local"] == 1 and report.summary()["tracking_parameters_removed"] == 2
    march = body(tmp_path, MARCH)
    assert "(/images/" in march and "Our mailing address" not in march and "Riverside Growers<br>" not in march


# ---------------------------------------------------------------------- old URLs

def test_a_link_to_another_campaigns_archive_page_points_at_its_new_page(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    assert "[March issue](/issues/2024-03-05-garden-notes-spring-is-here/)" in body(tmp_path, APRIL)


MAY = "content/issues/2024-05-01-may-work-day.md"
ACCOUNT = "0a1b2c3d4e5f60718293a4b5c"


def add_to_body(account, campaign_id: str, html: str) -> None:
    """Put a paragraph at the end of a campaign's body, in each HTML form the API serves."""
    content = account.contents[campaign_id]
    for key in ("archive_html", "html"):
        content[key] = content[key].replace("</body>", html + "</body>")


def test_links_to_any_of_a_campaigns_addresses_point_at_its_new_page(tmp_path, mailchimp):
    add_to_body(mailchimp.account, "7e8f9a0b1c", (
        '<p>Earlier: <a href="https://mailchi.mp/riverside-growers/garden-notes-april">hosted</a>, '
        '<a href="http://eepurl.com/iQx7Bz">short</a>, '
        f'<a href="http://us6.campaign-archive1.com/?u={ACCOUNT}&amp;id=a9b8c7d6e5">archive1</a>, '
        f'<a href="https://us6.campaign-archive2.com/?u={ACCOUNT}&amp;id=0c1d2e3f4a">archive2</a>, '
        f'<a href="https://us12.campaign-archive.com/?u={ACCOUNT}&amp;id=f1e2d3c4b5">another data center</a>.</p>'))
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    text = body(tmp_path, MAY)
    assert "[hosted](/issues/2024-04-02-garden-notes-tomatoes-at-last/)" in text
    assert "[short](/issues/2024-03-05-garden-notes-spring-is-here/)" in text
    assert "[archive1](/issues/2024-04-02-garden-notes-tomatoes-at-last/)" in text
    assert "[archive2](/issues/2024-04-20-new-tool-shed-key/)" in text
    assert "[another data center](/issues/2024-03-05-garden-notes-spring-is-here/)" in text


def test_a_link_to_a_later_campaigns_page_points_at_it_and_other_accounts_links_stay(tmp_path, mailchimp):
    add_to_body(mailchimp.account, "f1e2d3c4b5", (
        '<p>Coming: <a href="https://mailchi.mp/riverside-growers/may-work-day?e=abc123">work day</a>. '
        'Friends: <a href="http://eepurl.com/zzOther">their news</a>, '
        '<a href="https://mailchi.mp/hillside-bees/honey">their honey</a>, '
        '<a href="https://us6.campaign-archive.com/?u=ffffffffffffffffffffffff&amp;id=0c1d2e3f4a">their shed</a>.</p>'))
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    text = body(tmp_path, MARCH)
    assert "[work day](/issues/2024-05-01-may-work-day/)" in text
    assert "[their news](http://eepurl.com/zzOther)" in text and "[their honey](https://mailchi.mp/hillside-bees/honey)" in text
    assert "[their shed](https://us6.campaign-archive.com/?u=ffffffffffffffffffffffff&id=0c1d2e3f4a)" in text
    march = next(e for e in report_of(tmp_path)["issues"] if e["id"] == "f1e2d3c4b5")
    assert not [w for w in march["warnings"] if "not in the archive" in w]


@pytest.mark.parametrize("url, ref", [
    (f"https://us6.campaign-archive.com/?u={ACCOUNT}&id=a9b8c7d6e5", ("a9b8c7d6e5", ACCOUNT)),
    (f"http://us6.campaign-archive1.com/?u={ACCOUNT}&id=a9b8c7d6e5", ("a9b8c7d6e5", ACCOUNT)),
    ("https://mailchi.mp/riverside-growers/garden-notes-april/?e=abc", ("mailchi.mp/riverside-growers/garden-notes-april", None)),
    ("http://eepurl.com/iQx7Bz", ("eepurl.com/iQx7Bz", None)),
    ("https://mailchi.mp/riverside-growers", None),
    ("http://eepurl.com/iQx7Bz/more", None),
    ("https://example.org/riverside-growers/garden-notes-april", None),
    ("/riverside-growers/garden-notes-april", None),
])
def test_each_campaign_address_names_its_campaign(url, ref):
    assert mailchimp_issue_ref(url) == ref


def test_hosted_paths_are_aliases_and_query_urls_are_listed_apart(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    assert "/riverside-growers/garden-notes-april" in front(tmp_path, APRIL) and "campaign-archive" not in front(tmp_path, APRIL)
    rules = redirect_map(tmp_path)
    assert [r.old_path for r in rules.redirects] == ["/riverside-growers/garden-notes-april", "/riverside-growers/may-work-day",
                                                     "/riverside-growers/tool-shed-key"]
    assert rules.old_hosts == [] and rules.platform_hosts == ["mailchi.mp"]  # Mailchimp's own: nobody can point it
    unserved = json.loads(render_redirects(rules, "json"))["unserved"]
    march = [u for u in unserved if u["issue_id"] == "f1e2d3c4b5"]
    assert {u["old_url"] for u in march} == {"http://eepurl.com/iQx7Bz", "https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=f1e2d3c4b5"}
    assert {u["new_url"] for u in march} == {"/issues/2024-03-05-garden-notes-spring-is-here/"}
    entry = next(e for e in report_of(tmp_path)["issues"] if e["id"] == "f1e2d3c4b5")
    assert "https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=f1e2d3c4b5" in entry["old_urls"]


def test_every_alias_leads_to_its_issue_in_a_hugo_build(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    report = verify_build(tmp_path)
    assert report.ok and report.checked == 3, report.lines()


# ---------------------------------------------------------------------- the key and the source

def test_without_a_key_the_error_names_the_variable(tmp_path, mailchimp, monkeypatch):
    monkeypatch.delenv("MAILCHIMP_API_KEY")
    with pytest.raises(UserError, match="MAILCHIMP_API_KEY"):
        migrate("mailchimp-api", mailchimp.api, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_the_default_source_is_the_keys_data_center(monkeypatch):
    monkeypatch.setenv("MAILCHIMP_API_KEY", KEY)
    options = options_from_args(build_parser().parse_args(["run", "--platform", "mailchimp-api", "--site", "x"]))
    assert options.source == "https://us6.api.mailchimp.com/3.0"


def test_a_key_without_a_data_center_needs_a_source(monkeypatch):
    monkeypatch.setenv("MAILCHIMP_API_KEY", "5f3c0a9e7d1b2c4a6e8f0a1b2c3d4e5f")
    with pytest.raises(UserError, match="data center") as caught:
        options_from_args(build_parser().parse_args(["run", "--platform", "mailchimp-api"]))
    assert "5f3c0a9e" not in str(caught.value)


def test_a_source_in_another_data_center_than_the_key_is_refused(monkeypatch):
    monkeypatch.setenv("MAILCHIMP_API_KEY", KEY)
    with pytest.raises(UserError, match="data center us6, but --source names us19.api.mailchimp.com"):
        get_fetcher("mailchimp-api").check_source("https://us19.api.mailchimp.com/3.0")


@pytest.mark.parametrize("option, message", [({"content": "pdf"}, "content=archive"), ({"page_size": "0"}, "from 1 to 1000")])
def test_a_bad_option_is_refused_before_anything_is_written(tmp_path, mailchimp, option, message):
    with pytest.raises(UserError, match=message):
        migrate("mailchimp-api", mailchimp.api, tmp_path / "site", platform_options=option)
    assert not (tmp_path / "site").exists()


def test_a_wrong_key_is_a_one_sentence_error_that_does_not_show_it(tmp_path, mailchimp, monkeypatch, capsys):
    from migrate.cli import main

    monkeypatch.setenv("MAILCHIMP_API_KEY", "0000000000000000ffffffffffffffff-us6")
    status = main(["run", "--platform", "mailchimp-api", "--source", mailchimp.api, "--site", str(tmp_path), "--quiet"])
    captured = capsys.readouterr()
    assert status == 2 and "HTTP 401" in captured.err and "MAILCHIMP_API_KEY" in captured.err
    assert "0000000000000000ffffffffffffffff" not in captured.out + captured.err


def test_debug_logging_through_faults_never_shows_the_key(tmp_path, mailchimp):
    """The command line with -v, through 429s and a failing campaign, with worker processes: the
    key (and the Basic credentials made from it) are in no line of output and no byte of any file."""
    secret = os.urandom(16).hex() + "-us6"
    mailchimp.account.api_key = secret
    mailchimp.account.rate_limited["/3.0/campaigns"] = 1
    mailchimp.account.retry_after = "1"
    mailchimp.account.failing.add("7e8f9a0b1c")
    site = tmp_path / "site"
    env = {**os.environ, "MAILCHIMP_API_KEY": secret}
    result = subprocess.run([sys.executable, "-m", "migrate", "-v", "run", "--platform", "mailchimp-api", "--source", mailchimp.api,
                             "--site", str(site), "--no-images", "--processes", "2", "--quiet"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr  # the failing campaign
    assert "DEBUG" in result.stderr and "1 entr(y/ies) of the source could not be read" in result.stdout
    credentials = base64.b64encode(f"newsletter-migrate:{secret}".encode()).decode()
    for text in (secret, secret[:32], credentials):
        assert text not in result.stdout + result.stderr
        for path in site.rglob("*"):
            if path.is_file():
                assert text.encode() not in path.read_bytes(), path


# ---------------------------------------------------------------------- re-sync

def test_a_sync_with_nothing_changed_asks_conditionally_and_writes_nothing(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
    report = migrate("mailchimp-api", mailchimp.api, tmp_path, mode="sync", download_images=False)
    assert report.files_written == 0 and report.up_to_date == 4 and not report.issues
    assert mailchimp.account.not_modified == 4
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")} == before


def test_a_sync_after_a_subject_changed_rewrites_that_issue_only(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    may = next(c for c in mailchimp.account.campaigns if c["id"] == "7e8f9a0b1c")
    may["settings"]["subject_line"] = "May work day: bring gloves"
    report = migrate("mailchimp-api", mailchimp.api, tmp_path, mode="sync", download_images=False)
    assert [e["id"] for e in report.issues] == ["7e8f9a0b1c"] and report.up_to_date == 3
    assert "title: 'May work day: bring gloves'" in front(tmp_path, "content/issues/2024-05-01-may-work-day-bring-gloves.md")


def test_a_campaign_that_failed_is_read_by_the_next_sync(tmp_path, mailchimp):
    mailchimp.account.failing.add("a9b8c7d6e5")
    first = migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    assert not first.ok and not (tmp_path / APRIL).exists()
    mailchimp.account.failing.clear()
    second = migrate("mailchimp-api", mailchimp.api, tmp_path, mode="sync", download_images=False)
    assert second.ok and (tmp_path / APRIL).exists() and not second.gone


def test_a_campaign_gone_from_the_account_is_reported_and_its_file_kept(tmp_path, mailchimp, mappings):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    mailchimp.account.campaigns = [c for c in mailchimp.account.campaigns if c["id"] != "0c1d2e3f4a"]
    report = migrate("mailchimp-api", mailchimp.api, tmp_path, mode="sync", download_images=False)
    assert [g["id"] for g in report.gone] == ["0c1d2e3f4a"] and (tmp_path / SHED).exists()


def test_a_dry_run_sync_reads_unchanged_campaigns_as_unchanged_and_moves_no_state(tmp_path, mailchimp):
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    state = (tmp_path / ".migrate" / "state.sqlite").read_bytes()
    report = migrate("mailchimp-api", mailchimp.api, tmp_path, mode="sync", download_images=False, dry_run=True)
    assert report.up_to_date == 4 and not report.issues and mailchimp.account.not_modified == 4
    assert (tmp_path / ".migrate" / "state.sqlite").read_bytes() == state


def test_a_run_leaves_nothing_in_the_temporary_folder(tmp_path, mailchimp, monkeypatch):
    # The March campaign links to May's page, so it waits on disk for the whole archive.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    add_to_body(mailchimp.account, "f1e2d3c4b5", '<p>Coming: <a href="https://mailchi.mp/riverside-growers/may-work-day">work day</a>.</p>')
    report = migrate("mailchimp-api", mailchimp.api, tmp_path / "site", download_images=False)
    assert "[work day](/issues/2024-05-01-may-work-day/)" in body(tmp_path / "site", MARCH)
    assert [e["id"] for e in report.entries()] == SENT  # the report reads back while its spool is gone from the folder
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_a_run_stopped_early_leaves_no_waiting_issue_in_the_temporary_folder(tmp_path, mailchimp, monkeypatch):
    # The interruption comes from an issue's own thread (on_issue runs there): it must end the
    # run however early it came, not vanish with a thread whose result nobody asked for.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    add_to_body(mailchimp.account, "f1e2d3c4b5", '<p>Coming: <a href="https://mailchi.mp/riverside-growers/may-work-day">work day</a>.</p>')
    finished = []

    def stop_after_two(issue):
        finished.append(issue)
        if len(finished) == 2:
            raise KeyboardInterrupt

    options = RunOptions(platform="mailchimp-api", source=mailchimp.api, site=tmp_path / "site", progress=False,
                         download_images=False)
    with pytest.raises(KeyboardInterrupt):
        run(options, Mode.RUN, on_issue=stop_after_two)
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_a_link_to_the_lists_archive_home_page_is_not_a_campaign():
    # `campaign-archive.com/home/?u=<account>&id=<list id>` (a footer's "past issues") and the
    # list's `/feed` name the audience, not a campaign: campaign_archive_ref ignores the path.
    registry = IssueRegistry(mailchimp_issue_ref, ISSUE_HOSTS)
    registry.add("a9b8c7d6e5", [f"https://us6.campaign-archive.com/?u={ACCOUNT}&id=a9b8c7d6e5"], "content/issues/april.md")
    home = f"https://us6.campaign-archive.com/home/?u={ACCOUNT}&id=5d6e7f8a9b"
    feed = f"https://us6.campaign-archive.com/feed?u={ACCOUNT}&id=5d6e7f8a9b"
    assert mailchimp_issue_ref(home) is None and mailchimp_issue_ref(feed) is None
    assert registry.answer([home, feed]) == ({}, set()) and not registry.waits([home, feed])


def test_a_past_issues_link_in_a_run_is_not_reported_as_a_missing_issue(tmp_path, mailchimp):
    add_to_body(mailchimp.account, "f1e2d3c4b5",
                f'<p><a href="https://us6.campaign-archive.com/home/?u={ACCOUNT}&amp;id=5d6e7f8a9b">Past issues</a></p>')
    migrate("mailchimp-api", mailchimp.api, tmp_path, download_images=False)
    march = next(e for e in report_of(tmp_path)["issues"] if e["id"] == "f1e2d3c4b5")
    assert not [w for w in march["warnings"] if "not in the archive" in w]
