"""rss: RSS 2.0 and Atom feeds from a file or over loopback, parsed without entities or network."""
import pytest

from migrate.check import check_site
from migrate.cli import main
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.fetchers.rss import feed_issue_ref
from migrate.http import HttpClient
from migrate.record import Issue, SourceNote, SourceProblem
from migrate.urls import Remap

from .platform_servers import FeedHost
from .support import FIXTURES, migrate, read_issue, report_of, site_tree

RSS = FIXTURES / "rss"


def entries(source, mappings):
    return list(get_fetcher("rss")(str(source), FetchContext(HttpClient(), mappings)).entries())


def issues(source, mappings) -> dict:
    return {e.slug: e for e in entries(source, mappings) if isinstance(e, Issue)}


@pytest.fixture
def feed_host():
    hosts = []

    def start(feed: bytes) -> FeedHost:
        hosts.append(FeedHost(feed))
        return hosts[-1]

    yield start
    for host in hosts:
        host.stop()


class TestRss2:
    def test_content_encoded_is_the_body_and_description_the_summary(self, mappings):
        lanterns = issues(RSS / "rss2.xml", mappings)["paper-lanterns"]
        assert "One sheet, no glue" in lanterns.html  # from the CDATA of content:encoded
        assert lanterns.description == "How to fold a lantern from one sheet of washi."

    def test_guid_is_the_id_link_the_alias_pubdate_the_date(self, mappings):
        lanterns = issues(RSS / "rss2.xml", mappings)["paper-lanterns"]
        assert lanterns.source_id == "lantern-post-0003"
        assert [p.path for p in lanterns.old_paths] == ["/p/paper-lanterns"]
        assert str(lanterns.date) == "2024-06-07 12:30:00+00:00"

    def test_an_item_with_only_a_description_has_it_as_its_body(self, mappings):
        moths = issues(RSS / "rss2.xml", mappings)["night-walks"]
        assert "<em>moon</em>" in moths.html and moths.description is None

    def test_a_title_escaped_twice_is_decoded_once(self, mappings):
        assert issues(RSS / "rss2.xml", mappings)["night-walks"].title == "Night walks & moths"

    def test_dc_date_stands_in_for_pubdate(self, mappings):
        assert str(issues(RSS / "rss2.xml", mappings)["first-light"].date) == "2024-05-24 12:30:00+00:00"

    def test_the_run_warns_that_a_feed_holds_only_its_latest_items(self, tmp_path):
        report = migrate("rss", RSS / "rss2.xml", tmp_path, download_images=False)
        assert any(line.startswith("Note on ") and "latest items (3" in line for line in report.lines())
        assert "latest items" in report_of(tmp_path)["source_warnings"][0]["warning"]
        assert report.ok  # a warning, not a failure

    def test_a_run_gives_a_site_check_finds_nothing_in(self, tmp_path, feed_host):
        images = feed_host(b"")
        report = migrate("rss", RSS / "rss2.xml", tmp_path, remaps=[Remap.parse(f"https://media.lantern.example.com={images.url}/m")])
        assert report.ok, report.lines()
        assert check_site(tmp_path) == []
        lanterns = read_issue(tmp_path, "paper-lanterns.md")
        assert "[the first letter](/issues/first-light/)" in lanterns  # a link between items, tracking gone
        assert "analytics" not in lanterns and "feedburner" not in lanterns and "/images/" in lanterns


class TestAtom:
    def test_html_xhtml_and_text_content_all_become_html(self, mappings):
        found = issues(RSS / "atom.xml", mappings)
        assert "<img" in found["kelp-forests-and-sea-otters"].html
        assert "<strong" in found["tide-pools-at-dawn"].html and "5:40" in found["tide-pools-at-dawn"].html
        storm = found["storm-season"].html
        assert storm.count("<p>") == 2 and "driftwood, kelp, a buoy" in storm  # a text summary, its paragraphs kept

    def test_ids_dates_titles_and_links(self, mappings):
        found = issues(RSS / "atom.xml", mappings)
        storm, pools = found["storm-season"], found["tide-pools-at-dawn"]
        assert storm.source_id == "tag:buttondown.com,2024-04-19:storm-season"
        assert str(storm.date) == "2024-04-19 10:00:00+00:00"  # updated, when there is no published
        assert str(pools.date) == "2024-04-26 09:30:00+02:00"
        assert pools.title == "Tidewater #11: Tide pools at dawn"  # an html title read as text
        assert [p.path for p in pools.old_paths] == ["/tidewater/archive/tide-pools-at-dawn/"]

    def test_a_summary_beside_content_is_the_description(self, mappings):
        assert issues(RSS / "atom.xml", mappings)["kelp-forests-and-sea-otters"].description == "Why the otters keep the kelp standing."

    def test_a_buttondown_feed_gets_its_links_between_emails_rewritten(self, tmp_path):
        migrate("rss", RSS / "atom.xml", tmp_path, download_images=False)
        assert "[the tide pools issue](/issues/tide-pools-at-dawn/)" in read_issue(tmp_path, "kelp-forests-and-sea-otters.md")
        assert report_of(tmp_path)["summary"]["links_between_issues_rewritten"] == 1


class TestBadFeeds:
    def test_a_feed_broken_midway_keeps_what_came_before_and_reports_the_broken_item(self, mappings):
        found = entries(RSS / "broken.xml", mappings)
        assert [type(e) for e in found] == [SourceNote, Issue, SourceProblem]
        assert found[1].slug == "paper-lanterns"
        assert "item 2" in found[2].source_ref and "not well-formed" in found[2].reason

    def test_a_broken_feed_makes_the_run_say_so(self, tmp_path):
        report = migrate("rss", RSS / "broken.xml", tmp_path, download_images=False)
        assert not report.ok and report_of(tmp_path)["summary"]["source_problems"] == 1

    @pytest.mark.parametrize("feed", [
        '<rss version="2.0"><channel><title>Lanterns</title><link>https://lantern.example.com/</link></channel></rss>',
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Lanterns</title></feed>'], ids=["rss", "atom"])
    def test_a_feed_with_no_items_says_so_in_the_report(self, tmp_path, feed):
        path = tmp_path / "feed.xml"
        path.write_text(feed)
        migrate("rss", path, tmp_path / "site", download_images=False)
        warnings = [w["warning"] for w in report_of(tmp_path / "site")["source_warnings"]]
        assert len(warnings) == 1 and warnings[0].startswith("the feed has no items"), warnings

    def test_a_file_that_is_no_feed_is_refused_before_anything_is_written(self, tmp_path, capsys):
        page = tmp_path / "page.html"
        page.write_text("<html><body><p>Not a feed</p></body></html>")
        status = main(["run", "--platform", "rss", "--source", str(page), "--site", str(tmp_path / "site"), "--quiet"])
        assert status == 2 and "not a feed" in capsys.readouterr().err
        assert not (tmp_path / "site").exists()

    def test_garbage_is_refused_in_one_sentence(self, tmp_path):
        junk = tmp_path / "feed.xml"
        junk.write_bytes(b"\x00\x01 not xml at all")
        with pytest.raises(UserError, match="not a readable feed"):
            migrate("rss", junk, tmp_path / "site")

    def test_an_external_entity_never_reads_a_file(self, tmp_path, mappings):
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-9f3")
        feed = tmp_path / "feed.xml"
        feed.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
                        '<rss version="2.0"><channel><item><title>Hi &xxe;</title><link>https://x.example/p/one</link>'
                        '<description>&xxe;Body</description></item></channel></rss>')
        item = next(e for e in entries(feed, mappings) if isinstance(e, Issue))
        assert "TOP-SECRET" not in item.title + item.html and "Body" in item.html

    def test_an_entity_bomb_is_never_expanded(self, tmp_path, mappings):
        laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
        feed = tmp_path / "feed.xml"
        feed.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY l0 "lol">\n{laughs}]>\n'
                        '<rss version="2.0"><channel>\n<item><title>Laughs &l9;</title><link>https://x.example/p/one</link>'
                        '<description>Body</description></item>\n</channel></rss>')
        found = entries(feed, mappings)
        shown = " ".join(f"{e.title} {e.html}" for e in found if isinstance(e, Issue))
        assert "lol" not in shown
        assert any("not well-formed XML" in e.reason for e in found if isinstance(e, SourceProblem))

    def test_an_item_without_guid_or_link_is_reported(self, tmp_path, mappings):
        feed = tmp_path / "feed.xml"
        feed.write_text('<rss version="2.0"><channel><item><title>Nameless</title><description>x</description></item></channel></rss>')
        problem = next(e for e in entries(feed, mappings) if isinstance(e, SourceProblem))
        assert "no guid" in problem.reason

    def test_a_relative_link_still_gives_its_path_as_the_alias(self, tmp_path, mappings):
        feed = tmp_path / "feed.xml"
        feed.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><link rel="alternate" href=""/><entry><title>Hi</title>'
                        '<link rel="alternate" href="/beginnings/"/><id>/beginnings</id><published>2014-12-14T09:24:30-08:00</published>'
                        '<content type="html">&lt;p&gt;Hello&lt;/p&gt;</content></entry></feed>')
        entry = next(e for e in entries(feed, mappings) if isinstance(e, Issue))
        assert [p.path for p in entry.old_paths] == ["/beginnings/"] and entry.old_urls == [] and entry.slug == "beginnings"

    def test_a_link_with_only_a_query_gets_no_alias_and_a_warning(self, tmp_path, mappings):
        feed = tmp_path / "feed.xml"
        feed.write_text('<rss version="2.0"><channel><item><title>Old post</title><link>https://blog.example/?p=42</link>'
                        '<pubDate>Mon, 03 Jun 2024 10:00:00 GMT</pubDate><description>x</description></item></channel></rss>')
        item = next(e for e in entries(feed, mappings) if isinstance(e, Issue))
        assert item.old_paths == [] and any("only a query" in w for w in item.warnings)


class TestOverLoopback:
    def test_a_feed_url_is_fetched_and_migrated(self, tmp_path, feed_host):
        host = feed_host((RSS / "rss2.xml").read_bytes())
        report = migrate("rss", host.feed_url, tmp_path, download_images=False)
        assert report.files_written == 3 and host.hits("/feed.xml") == 1

    def test_a_sync_asks_with_the_etag_and_a_304_does_no_work(self, tmp_path, feed_host):
        host = feed_host((RSS / "rss2.xml").read_bytes())
        migrate("rss", host.feed_url, tmp_path, download_images=False)
        before = site_tree(tmp_path / "content")
        report = migrate("rss", host.feed_url, tmp_path, mode="sync", download_images=False)
        assert host.not_modified == 1 and "If-None-Match" in host.requests[-1][1]
        assert report.up_to_date == 3 and report.files_written == 0 and not report.issues
        assert site_tree(tmp_path / "content") == before

    def test_a_changed_feed_rewrites_only_the_changed_item(self, tmp_path, feed_host):
        host = feed_host((RSS / "rss2.xml").read_bytes())
        migrate("rss", host.feed_url, tmp_path, download_images=False)
        host.feed = host.feed.replace(b"Bring a white sheet", b"Bring a pale sheet")
        report = migrate("rss", host.feed_url, tmp_path, mode="sync", download_images=False)
        assert host.not_modified == 0
        assert [e["output"] for e in report.issues] == ["content/issues/night-walks.md"]
        assert "pale sheet" in read_issue(tmp_path, "night-walks.md")

    def test_a_feed_host_that_is_down_is_a_one_sentence_error(self, tmp_path, feed_host):
        host = feed_host(b"")
        url = host.feed_url
        host.stop()
        with pytest.raises(UserError, match="Could not fetch the feed"):
            migrate("rss", url, tmp_path, download_images=False, attempts=1)


def test_feed_links_name_their_issues_in_the_platforms_url_forms():
    assert feed_issue_ref("https://lantern.example.com/p/paper-lanterns") == ("paper-lanterns", None)
    assert feed_issue_ref("https://buttondown.com/tidewater/archive/storm-season/") == ("storm-season", "tidewater")
    assert feed_issue_ref("https://www.getrevue.co/profile/fieldrec/issues/rain-900204") == ("900204", "fieldrec")
    assert feed_issue_ref("https://lantern.example.com/about") is None
