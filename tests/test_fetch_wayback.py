"""wayback: a dead platform's issue pages, read from the Wayback Machine's captures through a
loopback stand-in of its CDX and capture servers (tests/waybackserver.py)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from pathlib import Path

import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.config import RunOptions, load_config
from migrate.errors import UserError
from migrate.fetchers import FETCHERS, FetchContext, Fetcher, get_fetcher
from migrate.fetchers.pages import ReadsPages
from migrate.fetchers.wayback import parse_prefixes
from migrate.http import HttpClient, HttpSettings
from migrate.pipeline import Migration
from migrate.record import Issue, SourceProblem
from migrate.state import StateStore
from migrate.urls import Remap
from migrate.wayback import Capture, ReplayRules, replay_original, unwrap_capture

from .faultserver import ok, status
from .support import migrate, read_issue, report_of, s3_remap
from .waybackserver import WAYBACK, WaybackArchive, WaybackServer

PREFIX = "getrevue.co/profile/nighttrains/issues/"
PAGE7 = "https://www.getrevue.co/profile/nighttrains/issues/night-trains-7-the-vienna-sleeper-berths-explained-and-a-dining-car-comeback-640107"
PAGE9 = "https://www.getrevue.co/profile/nighttrains/issues/night-trains-9-the-last-couchette-to-the-coast-640109"
RULES = ReplayRules(hosts=("web.archive.org",), prefixes=("/web",), toolbar=("#wm-ipp-base", "#donato"))
TS = "20220301120000"


def fetcher(server: WaybackServer, mappings, source: str = PREFIX, client: HttpClient | None = None, **options) -> Fetcher:
    return get_fetcher("wayback")(source, FetchContext(client or HttpClient(), mappings, options=server.options(**options)))


def entries(server, mappings, **options) -> list:
    return list(fetcher(server, mappings, **options).entries())


def issues_by_id(found) -> dict[str, Issue]:
    return {e.source_id: e for e in found if isinstance(e, Issue)}


def overrides_for_undated():
    """The 2017 page has no date; the author supplies it, as the warning asks."""
    options = RunOptions()
    options.overrides.by_key["61003"] = {"date": dt.date(2017, 3, 30)}
    return options.overrides


# ---------------------------------------------------------------------- replay URLs

@pytest.mark.parametrize("url, original", [
    (f"https://web.archive.org/web/{TS}im_/https://s3.amazonaws.com/revue/a.png?1600", "https://s3.amazonaws.com/revue/a.png?1600"),
    (f"http://web.archive.org/web/{TS}if_/https://video.example.com/embed/1", "https://video.example.com/embed/1"),
    (f"//web.archive.org/web/{TS}js_/https://cdn.example.com/app.js", "https://cdn.example.com/app.js"),
    (f"https://web.archive.org/web/{TS}cs_/https://cdn.example.com/site.css", "https://cdn.example.com/site.css"),
    (f"https://web.archive.org/web/{TS}oe_/https://example.com/x", "https://example.com/x"),
    (f"https://web.archive.org/web/{TS}id_/https://example.com/raw", "https://example.com/raw"),
    (f"https://web.archive.org/web/{TS}/https://example.com/page?a=1&b=2#part", "https://example.com/page?a=1&b=2#part"),
    (f"/web/{TS}/https://example.com/relative", "https://example.com/relative"),
    (f"/web/{TS}im_/http://example.com/pic.gif", "http://example.com/pic.gif"),
    ("/web/20190101000000/https://example.com/another-moment", "https://example.com/another-moment"),
    (f"https://web.archive.org/web/{TS}/https:/example.com/folded", "https://example.com/folded"),
    (f"https://web.archive.org/web/{TS}/example.com/no-scheme", "http://example.com/no-scheme"),
])
def test_replay_urls_become_their_originals(url, original):
    assert replay_original(url, TS, RULES) == original


@pytest.mark.parametrize("url", [
    "https://web.archive.org/web/20150101000000/http://ferry.example.dk/timetable",  # the author's own link to the archive
    "https://example.com/web/2022/page",                                            # /web/ on another host
    "https://web.archive.org/details/some-collection",                              # the archive, but no replay
    "https://s3.amazonaws.com/revue/a.png",
    "mailto:someone@example.com",
])
def test_links_that_are_not_the_replays_rewriting_are_kept(url):
    assert replay_original(url, TS, RULES) is None


def test_a_raw_capture_comes_back_byte_for_byte():
    data = b'<html><body><div id="issue-frame"><a href="https://example.com/">x</a></div></body></html>'
    assert unwrap_capture(data, TS, RULES) is data


def test_the_toolbar_goes_and_srcsets_are_unwrapped():
    data = (f'<html><body><div id="wm-ipp-base"><div id="donato">Donate</div>About this capture</div>'
            f'<img srcset="/web/{TS}im_/https://img.example/a.png 1x, /web/{TS}im_/https://img.example/a@2x.png 2x"></body></html>').encode()
    out = unwrap_capture(data, TS, RULES).decode()
    assert "About this capture" not in out and "Donate" not in out
    assert 'srcset="https://img.example/a.png 1x, https://img.example/a@2x.png 2x"' in out


def test_a_capture_in_a_legacy_encoding_is_still_read_right_after_unwrapping():
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
            f'<body><p>Caf\u00e9 \u2013 <a href="/web/{TS}/https://example.com/">here</a></p></body></html>').encode("cp1252")
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(unwrap_capture(page, TS, RULES), "lxml")
    assert soup.p.get_text() == "Caf\u00e9 \u2013 here" and soup.a["href"] == "https://example.com/"


# ---------------------------------------------------------------------- the source

@pytest.mark.parametrize("source, prefixes", [
    ("getrevue.co/profile/me/issues/", ["getrevue.co/profile/me/issues/"]),
    ("https://www.getrevue.co/profile/me/issues/", ["www.getrevue.co/profile/me/issues/"]),
    ("https://web.archive.org/web/*/getrevue.co/profile/me/issues/*", ["getrevue.co/profile/me/issues/"]),
    ("getrevue.co/profile/me/issues/, news.example.com/issues/", ["getrevue.co/profile/me/issues/", "news.example.com/issues/"]),
])
def test_a_source_is_one_or_more_url_prefixes(source, prefixes):
    assert parse_prefixes(source) == prefixes


@pytest.mark.parametrize("source", ["getrevue.co", "getrevue.co/", "my issues/", "nothing", ""])
def test_a_source_that_is_no_prefix_says_what_to_give(source):
    with pytest.raises(UserError, match="getrevue.co/profile/NAME/issues/"):
        get_fetcher("wayback").check_source(source)


def test_saved_pages_on_disk_are_pointed_at_revue_pages(tmp_path):
    with pytest.raises(UserError, match="revue-pages"):
        get_fetcher("wayback").check_source(str(tmp_path))


# ---------------------------------------------------------------------- choosing captures

class TestChoosingCaptures:
    def test_every_spelling_of_an_issue_url_is_one_issue_and_each_path_an_alias(self, wayback, mappings):
        found = issues_by_id(entries(wayback(), mappings))
        issue = found["640107"]
        assert [p.path for p in issue.old_paths] == [
            "/profile/nighttrains/issues/night-trains-7-the-vienna-sleeper-berths-explained-and-a-dining-car-comeback-640107",
            "/profile/nighttrains/issues/night-trains-7-draft-title-640107"]  # a renamed slug, captured as its redirect
        assert not any("utm_" in url or ":80" in url for url in issue.old_urls)

    def test_the_latest_capture_before_the_platform_closed_is_read(self, wayback, mappings):
        server = wayback()
        issue = issues_by_id(entries(server, mappings))["640107"]
        assert "I received a breakfast card" in issue.html and issue.source_ref.endswith(f"/20221105093000id_/{PAGE7}")
        assert not any("/web/20230205110000" in path for path in server.archive.hits)  # the goodbye is never fetched

    def test_until_moves_the_day_the_platform_closed(self, wayback, mappings):
        issue = issues_by_id(entries(wayback(), mappings, until="2021-12-31"))["640107"]
        assert "I recieved a breakfast card" in issue.html  # the 2021 capture, before the typo was fixed

    def test_a_capture_the_archive_cannot_deliver_gives_way_to_the_one_before(self, wayback, mappings):
        issue = issues_by_id(entries(wayback(), mappings))["640109"]
        assert issue.source_ref.endswith(f"/20220410070000id_/{PAGE9}")
        assert any("capture of 2022-04-10" in w and "20220601000000" in w and "404" in w for w in issue.warnings)

    def test_a_redirect_to_another_timestamp_is_followed(self, wayback, mappings):
        server = wayback()
        issue = issues_by_id(entries(server, mappings))["640110"]
        assert issue.title == "Night Trains #10: A timetable nerd's guide to connections"
        assert any(path.startswith("/web/20220515000012id_/") for path in server.archive.hits)

    def test_an_issue_whose_every_capture_failed_is_reported_with_each_reason(self, wayback, mappings):
        (problem,) = [e for e in entries(wayback(), mappings) if isinstance(e, SourceProblem)]
        assert problem.source_id == "640111" and problem.source_ref.endswith("night-trains-11-stations-at-midnight-640111")
        assert "20220720000000: is not a revue issue page" in problem.reason
        assert "20220722000000: the page answered HTTP 404 when it was captured" in problem.reason

    def test_tries_bounds_the_captures_fetched_for_an_issue(self, wayback, mappings):
        server = wayback()
        found = entries(server, mappings, tries="1")
        problem = next(e for e in found if isinstance(e, SourceProblem) and e.source_id == "640109")
        assert "1 more capture(s) not tried" in problem.reason
        assert sum(n for path, n in server.archive.hits.items() if "night-trains-9" in path) == 1

    def test_pages_under_the_prefix_that_are_no_issue_are_skipped_unfetched(self, wayback, mappings):
        server = wayback()
        found = entries(server, mappings)
        assert sorted(issues_by_id(found)) == ["61003", "640107", "640108", "640109", "640110"]
        assert not any("feedback" in path for path in server.archive.hits if path.startswith("/web/"))

    def test_replayed_links_are_unwrapped_the_toolbar_removed_and_the_authors_archive_link_kept(self, wayback, mappings):
        issue = issues_by_id(entries(wayback(), mappings))["640108"]
        assert "wm-ipp" not in issue.html and f"/web/{TS}" not in issue.html
        assert "https://s3.amazonaws.com/revue/items/images/011/222/444/mail/snowplough.jpg?1646000000" in issue.html
        assert "https://web.archive.org/web/20150101000000/http://ferry.example.dk/timetable" in issue.html
        # The canonical link was a replay URL too: unwrapped, it names the issue's own path.
        assert [p.path for p in issue.old_paths] == [
            "/profile/nighttrains/issues/night-trains-8-snow-on-the-line-and-a-ferry-that-carries-trains-640108"]

    def test_a_capture_with_the_same_bytes_as_one_already_refused_is_not_fetched(self, wayback, mappings):
        error_page = (WAYBACK / "revue-not-found.html").read_bytes()
        archive = WaybackArchive()
        archive.add(PAGE9, "20220101000000", (WAYBACK / "night-trains-9.html").read_bytes())
        archive.add(PAGE9, "20220301000000", error_page)   # the newest two: one error page, saved twice
        archive.add(PAGE9, "20220501000000", error_page)
        server = wayback(archive)
        (issue,) = [e for e in entries(server, mappings) if isinstance(e, Issue)]
        assert issue.source_ref.endswith(f"/20220101000000id_/{PAGE9}")
        assert server.archive.hits[f"/web/20220501000000id_/{PAGE9}"] == 1
        assert not any(path.startswith("/web/20220301000000") for path in server.archive.hits)
        assert any("capture 20220301000000: the same bytes as one already refused" in w for w in issue.warnings)

    def test_a_2017_page_takes_its_issue_path_from_the_captured_url_not_from_its_title(self, wayback, mappings):
        issue = issues_by_id(entries(wayback(), mappings))["61003"]
        assert [(p.path, p.inferred) for p in issue.old_paths] == [
            ("/profile/nighttrains/issues/night-trains-3-couchettes-61003", False), ("/profile/nighttrains/archive/61003", False)]
        assert issue.date is None and "first captured it on 2017-04-02" in issue.date_hint


def test_an_undated_issue_is_named_with_the_day_it_was_first_captured_until_an_override_dates_it(wayback, tmp_path):
    server = wayback()
    report = migrate("wayback", PREFIX, tmp_path / "a", platform_options=server.options(), download_images=False)
    (entry,) = [e for e in report.issues if e["id"] == "61003"]
    assert "first captured it on 2017-04-02" in entry["needs"]["date"]
    assert "      '61003':" in report.lines() and "        date: YYYY-MM-DD" in report.lines()  # the override to paste
    report = migrate("wayback", PREFIX, tmp_path / "b", platform_options=server.options(), download_images=False,
                     overrides=overrides_for_undated())
    (entry,) = [e for e in report.issues if e["id"] == "61003"]
    assert entry["needs"] == {} and not any("first captured" in line for line in report.lines())


# ---------------------------------------------------------------------- the CDX server

class TestIndex:
    def test_a_long_listing_is_followed_through_its_resume_keys(self, wayback, mappings):
        server = wayback(max_rows=2)
        assert len(issues_by_id(entries(server, mappings))) == 5
        asked = [path for path in server.archive.hits if path.startswith("/cdx/")]
        listed = sum(1 for capture in server.archive.captures if capture.listed and "nighttrains" in capture.original)
        assert len(asked) == -(-listed // 2) and sum("resumeKey=" in path for path in asked) == len(asked) - 1

    def test_a_429_is_waited_out_as_its_retry_after_says(self, wayback, mappings):
        server = wayback(throttle=2, retry_after="7")
        waits = []
        client = HttpClient()
        client.sleep = waits.append
        assert len(issues_by_id(list(fetcher(server, mappings, client=client).entries()))) == 5
        assert waits == [7.0, 7.0]

    def test_cdx_requests_are_spaced_out(self, wayback, mappings):
        server = wayback(max_rows=3)
        source = fetcher(server, mappings, cdx_pause="5")
        pauses = []
        source.archive.sleep, source.archive.clock = pauses.append, lambda: 100.0
        list(source.entries())
        asked = sum(1 for path in server.archive.hits if path.startswith("/cdx/"))
        assert asked > 1 and pauses == [5.0] * (asked - 1)

    def test_no_capture_under_the_prefix_is_a_one_sentence_error(self, wayback, mappings):
        with pytest.raises(UserError, match="holds no capture under getrevue.co/profile/someone-else/issues/"):
            list(fetcher(wayback(), mappings, source="getrevue.co/profile/someone-else/issues/").entries())

    def test_an_unreachable_index_is_a_one_sentence_error(self, mappings):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = HttpClient(settings=HttpSettings(attempts=1))
        context = FetchContext(client, mappings, options={"cdx": f"http://127.0.0.1:{port}/cdx", "cdx_pause": "0"})
        with pytest.raises(UserError, match="Could not list the Wayback Machine's captures"):
            list(get_fetcher("wayback")(PREFIX, context).entries())

    @pytest.mark.parametrize("answer, message", [
        (ok(b"<html>Service unavailable</html>"), "not JSON"),
        (status(403), "excluded"),
        (ok(b'{"rows": []}'), "not a JSON array"),
    ])
    def test_an_index_that_answers_nonsense_says_so(self, faults, mappings, answer, message):
        cdx = faults.script("/cdx", answer)
        context = FetchContext(HttpClient(), mappings, options={"cdx": cdx, "cdx_pause": "0"})
        with pytest.raises(UserError, match=message):
            list(get_fetcher("wayback")(PREFIX, context).entries())

    def test_a_row_that_is_no_capture_is_reported_and_the_rest_read(self, faults, wayback, mappings):
        server = wayback()
        good = ["co,getrevue)/x", "20220410070000", PAGE9, "text/html", "200", "AAAA", "100"]
        rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"], good,
                ["co,getrevue)/y", "2022", PAGE9, "text/html", "200", "BBBB", "1"], ["short"]]
        cdx = faults.script("/cdx", ok(json.dumps(rows).encode()))
        context = FetchContext(HttpClient(), mappings, options={"cdx": cdx, "captures": server.captures, "cdx_pause": "0"})
        found = list(get_fetcher("wayback")(PREFIX, context).entries())
        problems = [e for e in found if isinstance(e, SourceProblem)]
        assert [p.source_ref for p in problems] == [f"CDX row 2 under {PREFIX}", f"CDX row 3 under {PREFIX}"]
        assert "14-digit timestamp" in problems[0].reason and "7 text fields" in problems[1].reason
        assert list(issues_by_id(found)) == ["640109"]


# ---------------------------------------------------------------------- options and the seam

class TestPageParsers:
    def test_the_parser_follows_from_the_prefix_host_and_its_platform_cleans_the_issues(self, wayback, mappings):
        source = fetcher(wayback(), mappings)
        assert (source.platform, source.mapping.name) == ("revue", "revue")
        assert source.issue_ref is get_fetcher("revue-pages").issue_ref

    def test_a_custom_domain_needs_the_parser_named(self, wayback, mappings):
        with pytest.raises(UserError, match="pages=NAME .*revue-pages"):
            fetcher(wayback(), mappings, source="news.nighttrains.example.com/issues/")
        assert fetcher(wayback(), mappings, source="news.nighttrains.example.com/issues/", pages="revue-pages").platform == "revue"

    @pytest.mark.parametrize("name, message", [("revue-api", "does not read single pages"), ("substack-pages", "is not a --platform")])
    def test_pages_must_name_a_page_parser(self, wayback, mappings, name, message):
        with pytest.raises(UserError, match=message):
            fetcher(wayback(), mappings, pages=name)

    def test_another_page_parser_plugs_in(self, wayback, mappings, monkeypatch):
        """Any fetcher that reads one page from its HTML and URL can read captures; one that
        cannot tell issue URLs apart gets every captured page, one issue per URL however spelled."""
        def read_article(data, ref, order, page_url):
            from bs4 import BeautifulSoup

            article = BeautifulSoup(data, "lxml").find("article")
            if article is None:
                return SourceProblem(ref, "has no <article>", order)
            issue = Issue(platform="revue", source_id=page_url.rstrip("/").rsplit("/", 1)[-1], html=str(article),
                          title=article.h1.get_text())
            issue.old_urls.append(page_url)
            return issue

        class ArticlePages(ReadsPages, Fetcher):
            name, platform = "article-pages", "revue"

            def entries(self):
                return iter(())

            def page_reader(self):
                return read_article

        monkeypatch.setitem(FETCHERS, "article-pages", ArticlePages)
        archive = WaybackArchive()
        archive.add("https://blog.example.org/posts/first", "20200101000000", b"<article><h1>First</h1><p>One.</p></article>")
        archive.add("http://www.blog.example.org/posts/first/", "20200601000000", b"<article><h1>First</h1><p>One, edited.</p></article>")
        archive.add("https://blog.example.org/posts/second", "20200301000000", b"<html><body>Not found</body></html>")
        found = entries(wayback(archive), mappings, source="blog.example.org/posts/", pages="article-pages")
        (issue,) = [e for e in found if isinstance(e, Issue)]
        assert issue.title == "First" and "One, edited." in issue.html and [p.path for p in issue.old_paths] == ["/posts/first"]
        (problem,) = [e for e in found if isinstance(e, SourceProblem)]
        assert problem.source_ref == "https://blog.example.org/posts/second" and "has no <article>" in problem.reason

    @pytest.mark.parametrize("option", ["tries=many", "tries=0", "concurrency=99", "until=last-year", "cdx=ftp://archive.example",
                                        "cdx_pause=-1", "pages=revue-api"])
    def test_a_bad_option_is_refused_before_anything_is_written(self, tmp_path, option, capsys):
        from migrate.cli import main

        site = tmp_path / "site"
        status_code = main(["run", "--platform", "wayback", "--source", PREFIX, "--site", str(site), "--quiet",
                            "--platform-option", option])
        assert status_code == 2 and option.split("=")[0] in capsys.readouterr().err
        assert not site.exists()


# ---------------------------------------------------------------------- whole runs

def run_all(server, image_host, site, **options):
    return migrate("wayback", PREFIX, site, platform_options=server.options(), remaps=[s3_remap(image_host)],
                   overrides=overrides_for_undated(), **options)


def test_a_whole_run_cleans_with_the_platforms_mapping_and_passes_check(wayback, image_host, tmp_path):
    server = wayback()
    report = run_all(server, image_host, tmp_path)
    (problem,) = report_of(tmp_path)["problems"]
    assert report.files_written == 5 and problem["source"].endswith("-640111")
    assert check_site(tmp_path) == []
    text = read_issue(tmp_path, "007.md")
    head = yaml.safe_load(split_front_matter(text)[0])
    assert head["title"] == "Night Trains #7: The Vienna sleeper, berths explained, and a dining car comeback"
    assert str(head["date"]) == "2021-03-11" and head["number"] == 7 and len(head["aliases"]) == 2
    assert "Powered by Revue" not in text and "utm_" not in text and "/images/" in text and "Did you enjoy" not in text
    # The state keeps the issues under the platform whose mapping cleaned them.
    state = StateStore(tmp_path / ".migrate" / "state.sqlite")
    assert {row.platform for row in state.issues()} == {"revue"}
    state.close()


def test_the_run_takes_the_fetchers_platform_not_the_classs(wayback, tmp_path, mappings):
    server = wayback()
    migration = Migration.prepare(RunOptions(platform="wayback", source=PREFIX, site=tmp_path, platform_options=server.options(),
                                             download_images=False, progress=False))
    try:
        assert get_fetcher("wayback").platform == "wayback" and migration.fetcher.platform == "revue"
        report = migration.run()
    finally:
        migration.state.close()
    assert report.files_written == 5


class TestSync:
    def test_a_sync_with_nothing_new_in_the_archive_fetches_no_capture(self, wayback, image_host, tmp_path):
        server = wayback()
        run_all(server, image_host, tmp_path)
        before = {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")}
        fetched = server.archive.capture_hits()
        report = run_all(server, image_host, tmp_path, mode="sync")
        assert report.up_to_date == 5 and report.files_written == 0
        # Only issue 11, whose every capture failed, is asked for again.
        assert server.archive.capture_hits() - fetched == 1
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "content").rglob("*.md")} == before

    def test_a_newer_capture_rewrites_only_its_issue(self, wayback, image_host, tmp_path):
        server = wayback()
        run_all(server, image_host, tmp_path)
        before = {p.name: p.read_bytes() for p in (tmp_path / "content" / "issues").glob("*.md")}
        newer = (WAYBACK / "night-trains-9.html").read_bytes().replace(b"Bring a blanket.", b"Bring a blanket and a flask.")
        server.archive.add(PAGE9, "20220420000000", newer)
        report = run_all(server, image_host, tmp_path, mode="sync")
        after = {p.name: p.read_bytes() for p in (tmp_path / "content" / "issues").glob("*.md")}
        assert [name for name in sorted(after) if after[name] != before[name]] == ["009.md"]
        assert b"and a flask" in after["009.md"] and report.up_to_date == 4


class TestCredentials:
    SECRET = "LOW wb-access-9c1f:wb-secret-77e2"

    @pytest.mark.parametrize("wayback_images", [False, True])
    def test_the_archives_authorization_comes_from_the_environment_and_is_never_shown(self, wayback, faults, tmp_path,
                                                                                      monkeypatch, caplog, wayback_images):
        caplog.set_level(logging.DEBUG)
        server = wayback(authorization=self.SECRET)
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        # Every image 404s at an image host that records what it is sent.
        report = run_all(server, faults, tmp_path, wayback_images=wayback_images, attempts=1)
        assert report.files_written == 5
        assert server.archive.requests and all(headers.get("Authorization") == self.SECRET for _, headers in server.archive.requests)
        # The archived copies of dead images are fetched from the archive with its header too (it answers 401 without).
        assert report.summary()["images_from_archive"] == (2 if wayback_images else 0)
        assert any("im_/" in path for path, _ in server.archive.requests) is wayback_images
        assert faults.requests and not any("Authorization" in headers for _, headers in faults.requests)
        assert self.SECRET not in caplog.text and "wb-secret" not in caplog.text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert b"wb-secret" not in path.read_bytes(), path

    @pytest.mark.parametrize("wayback_images", [False, True])
    def test_the_header_goes_to_the_named_index_and_never_to_the_public_archives_captures(self, wayback, faults, tmp_path,
                                                                                       monkeypatch, wayback_images):
        named = wayback(authorization=self.SECRET)   # the CDX index the user named, behind a login
        public = wayback()                            # web.archive.org, where captures come from by default
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        report = migrate("wayback", PREFIX, tmp_path, platform_options={"cdx": named.cdx, "cdx_pause": "0"},
                         remaps=[Remap.parse(f"https://s3.amazonaws.com={faults.url}/s3"), Remap.parse(f"https://web.archive.org={public.url}")],
                         overrides=overrides_for_undated(), wayback_images=wayback_images, attempts=1)
        assert report.files_written == 5 and report.summary()["images_from_archive"] == (2 if wayback_images else 0)
        assert named.archive.requests and all(headers.get("Authorization") == self.SECRET for _, headers in named.archive.requests)
        assert public.archive.capture_hits() and not any("Authorization" in headers for _, headers in public.archive.requests)
        assert any("im_/" in path for path, _ in public.archive.requests) is wayback_images

    def test_a_run_that_names_no_archive_sends_the_public_one_no_header_and_says_why(self, wayback, tmp_path, monkeypatch, caplog):
        caplog.set_level(logging.DEBUG)
        public = wayback()
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        report = migrate("wayback", PREFIX, tmp_path, platform_options={"cdx_pause": "0"}, download_images=False,
                         remaps=[Remap.parse(f"https://web.archive.org={public.url}")], overrides=overrides_for_undated())
        assert report.files_written == 5
        assert public.archive.requests and not any("Authorization" in headers for _, headers in public.archive.requests)
        assert "WAYBACK_AUTHORIZATION" in caplog.text and "wb-secret" not in caplog.text

    def test_a_login_asked_for_at_the_public_address_says_to_name_the_archive(self, wayback, tmp_path, monkeypatch, capsys):
        from migrate.cli import main

        server = wayback(authorization=self.SECRET)   # what web.archive.org is remapped to wants a login
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        assert main(["run", "--platform", "wayback", "--source", PREFIX, "--site", str(tmp_path / "site"), "--quiet", "--no-images",
                     "--remap", f"https://web.archive.org={server.url}", "--platform-option", "cdx_pause=0"]) == 2
        err = capsys.readouterr().err
        assert "never sent to the public Wayback Machine" in err and "--platform-option cdx" in err and "wb-secret" not in err
        assert not any("Authorization" in headers for _, headers in server.archive.requests)

    def test_a_wrong_authorization_is_named_without_being_shown(self, wayback, tmp_path, monkeypatch, capsys):
        from migrate.cli import main

        server = wayback(authorization=self.SECRET)
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", "LOW wrong:wb-wrong-secret-31")
        args = ["run", "--platform", "wayback", "--source", PREFIX, "--site", str(tmp_path / "site"), "--quiet", "--no-images"]
        for name, value in server.options().items():
            args += ["--platform-option", f"{name}={value}"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "WAYBACK_AUTHORIZATION" in err and "wb-wrong-secret-31" not in err


def test_requests_to_the_archive_stay_within_its_concurrency(wayback, mappings):
    """The archive's host gets at most `concurrency` requests at a time, from any thread."""
    server = wayback(latency=0.05)
    source = fetcher(server, mappings, concurrency="2")
    capture = Capture("20221105093000", PAGE7)
    threads = [threading.Thread(target=source.archive.fetch, args=(capture,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.archive.capture_hits() == 6 and server.archive.most_in_flight <= 2


def test_the_config_and_the_command_line_name_the_wayback_options(tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text("platform: wayback\nsource: getrevue.co/profile/me/issues/\nwayback_images: true\n"
                      "platform_options:\n  pages: revue-pages\n  until: 2023-01-18\n  tries: 5\n")
    options = RunOptions()
    load_config(config, options)
    assert options.wayback_images and options.platform_options == {"pages": "revue-pages", "until": "2023-01-18", "tries": "5"}
    from migrate.cli import build_parser, options_from_args

    args = build_parser().parse_args(["run", "--platform", "revue-api", "--source", "x.json", "--wayback-images"])
    assert options_from_args(args).wayback_images
    args = build_parser().parse_args(["run", "--platform", "revue-api", "--source", "x.json"])
    assert not options_from_args(args).wayback_images


def test_a_larger_archive_is_read_through_worker_processes_and_resynced_without_fetching(wayback, tmp_path):
    """Past a handful of issues the captures are parsed in worker processes: what the fetcher
    hands them must travel there; a sync then fetches none of them again."""
    template = (WAYBACK / "night-trains-10.html").read_text()
    archive = WaybackArchive()
    for n in range(100, 124):
        slug = f"night-trains-{n}-connections-again"
        page = template.replace("night-trains-10-a-timetable-nerd-s-guide-to-connections-640110", f"{slug}-65{n}")
        archive.add(f"https://www.getrevue.co/profile/nighttrains/issues/{slug}-65{n}", f"2022{n % 12 + 1:02d}01000000",
                    page.replace("#10", f"#{n}").encode())
    server = wayback(archive)
    report = migrate("wayback", PREFIX, tmp_path, platform_options=server.options(), download_images=False, processes=2)
    assert report.ok and report.files_written == 24 and check_site(tmp_path) == []
    report = migrate("wayback", PREFIX, tmp_path, mode="sync", platform_options=server.options(), download_images=False, processes=2)
    assert report.up_to_date == 24 and server.archive.capture_hits() == 24


def test_the_docs_document_every_wayback_option():
    docs = Path(__file__).resolve().parents[1] / "docs"
    page = (docs / "wayback.md").read_text(encoding="utf-8")
    for name in get_fetcher("wayback").platform_options:
        assert f"`{name}`" in page, name
    assert "--wayback-images" in page and "WAYBACK_AUTHORIZATION" in page
    assert "wayback_images: true" in (docs / "configuration.md").read_text(encoding="utf-8")
