"""substack-export: Substack's export (posts.csv + posts/<post_id>.html) as a folder or a zip.

The fixture is a five-post publication in Substack's shapes: a post with a captioned CDN image,
footnotes, embeds and every kind of subscribe/share chrome; a paid-only post; a draft; a podcast
with its audio URL; and a stub."""
import logging
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.cli import main
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.http import HttpClient
from migrate.record import Issue, SourceProblem
from migrate.urls import Remap
from migrate.verify import build_site, verify

from .support import FIXTURES, migrate, read_issue, report_of

EXPORT = FIXTURES / "substack" / "export"
MEDIA = "https://substack-post-media.s3.amazonaws.com"
ORIGINAL = "/substack-post-media.s3.amazonaws.com/public/images/4b1c9e2a-77d1-4f0e-9a3b-2c6d8e1f0a11_1600x900.jpeg"
LOGIN_TOKEN = "eyJ1c2VyX2lkIjo0MjQyNDIsInBvc3RfaWQiOjE3MDAwMDAwMn0.Sx9aLoginTokenOfAReader"
HOSTS = "https://allotment.substack.com,letters.allotment.example"


def entries(source, mappings, **options):
    fetcher = get_fetcher("substack-export")(str(source), FetchContext(HttpClient(), mappings, options=options))
    return list(fetcher.entries())


def issues_of(found) -> dict[str, Issue]:
    return {e.source_id: e for e in found if isinstance(e, Issue)}


def front(site: Path, name: str) -> dict:
    return yaml.safe_load(split_front_matter(read_issue(site, name))[0])


def body(site: Path, name: str) -> str:
    return split_front_matter(read_issue(site, name))[1].lstrip("\n")


def copy_export(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(EXPORT, target)
    return target


def media(server) -> list[Remap]:
    return [Remap.parse(f"{MEDIA}={server.url}/substack-post-media.s3.amazonaws.com")]


@pytest.fixture
def site(tmp_path, image_host):
    """The fixture migrated with its images from a loopback host, and the host's request counts."""
    out = tmp_path / "site"
    report = migrate("substack-export", EXPORT, out, remaps=media(image_host), platform_options={"url": HOSTS})
    return out, report, image_host.account.hits


# ---------------------------------------------------------------------- rows and files

def test_posts_come_in_csv_order_with_id_slug_and_old_path(mappings):
    found = issues_of(entries(EXPORT, mappings, url=HOSTS))
    assert list(found) == ["170000001", "170000002", "170000003", "170000004", "170000005"]
    first = found["170000001"]
    assert (first.slug, first.title, first.description) == ("first-frost-notes", "First Frost Notes", "What survived the cold snap")
    assert str(first.date) == "2024-11-02 07:15:00.120000+00:00"
    assert [(p.path, p.inferred) for p in first.old_paths] == [("/p/first-frost-notes", False)]
    assert first.old_urls == ["https://allotment.substack.com/p/first-frost-notes",
                              "https://letters.allotment.example/p/first-frost-notes"]


def test_the_publication_host_is_taken_from_its_subscribe_widgets_when_not_given(mappings):
    first = issues_of(entries(EXPORT, mappings))["170000001"]
    assert first.old_urls == ["https://letters.allotment.example/p/first-frost-notes"]


def test_an_unpublished_post_is_a_draft_without_aliases_titled_from_its_slug(site):
    out, report, _ = site
    fields = front(out, "bare-soil.md")
    assert fields == {"title": "Bare soil", "draft": True}
    entry = next(e for e in report_of(out)["issues"] if e["id"] == "170000003")
    assert any("made from its slug" in w for w in entry["warnings"])


def test_drafts_skip_leaves_drafts_out_each_with_its_reason(tmp_path):
    report = migrate("substack-export", EXPORT, tmp_path, download_images=False, platform_options={"drafts": "skip"})
    assert [(s["id"], "drafts=skip" in s["reason"]) for s in report.skipped] == [("170000003", True)]
    assert not (tmp_path / "content" / "issues" / "bare-soil.md").exists()


def test_a_paid_only_post_is_a_draft_marked_with_its_audience_and_counted(site):
    out, report, _ = site
    fields = front(out, "seed-swap-diary.md")
    assert fields["audience"] == "only_paid" and fields["draft"] is True and "aliases" not in fields
    assert "audience" not in front(out, "first-frost-notes.md")
    assert "Borlotti" in body(out, "seed-swap-diary.md")  # the text after the paywall marker is kept
    assert report.summary()["drafts_for_part_of_the_readers"] == 1
    assert ("Written as drafts because they were only for part of the readers: 1 (only_paid: 1); publish them on purpose "
            "with --platform-option publish_audiences=only_paid.") in report.lines()


def test_publish_audiences_publishes_paid_only_posts_on_purpose(tmp_path):
    out = tmp_path / "site"
    report = migrate("substack-export", EXPORT, out, download_images=False,
                     platform_options={"url": HOSTS, "publish_audiences": "only_paid"})
    fields = front(out, "seed-swap-diary.md")
    assert fields["audience"] == "only_paid" and "draft" not in fields and fields["aliases"] == ["/p/seed-swap-diary"]
    assert report.summary()["drafts_for_part_of_the_readers"] == 0


def test_an_audience_substack_does_not_have_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(UserError, match=r"publish_audiences=paid is not an audience of this platform's; did you mean `only_paid`\?"):
        migrate("substack-export", EXPORT, tmp_path / "site", platform_options={"publish_audiences": "paid"})
    assert not (tmp_path / "site").exists()


def test_a_podcast_post_links_its_audio_first(site):
    out, _, _ = site
    assert body(out, "potting-shed-radio-ep-1.md").startswith(
        "[Listen to this episode](https://api.substack.com/feed/podcast/170000004/7f3c2a.mp3)\n")


def test_a_podcast_row_without_an_audio_url_is_named(tmp_path, mappings):
    export = copy_export(tmp_path)
    csv = export / "posts.csv"
    csv.write_text(csv.read_text().replace(",https://api.substack.com/feed/podcast/170000004/7f3c2a.mp3", ","))
    podcast = issues_of(entries(export, mappings))["170000004"]
    assert any("no podcast_url" in w for w in podcast.warnings)
    assert "Listen to this episode" not in podcast.html


def test_a_stub_post_is_named_in_a_warning_and_a_full_one_is_not(site):
    out, _, _ = site
    warnings = {e["id"]: e["warnings"] for e in report_of(out)["issues"]}
    assert any("near-empty (9 character(s)" in w for w in warnings["170000005"])
    assert not any("near-empty" in w for w in warnings["170000001"])


def test_a_published_row_without_its_html_is_unreadable_and_an_html_without_a_row_too(tmp_path, mappings):
    export = copy_export(tmp_path)
    (export / "posts" / "170000002.seed-swap-diary.html").unlink()
    (export / "posts" / "170000099.orphan-page.html").write_text("<p>Nobody lists me.</p>")
    found = entries(export, mappings)
    problems = {p.source_id: p.reason for p in found if isinstance(p, SourceProblem)}
    assert "no posts/170000002.seed-swap-diary.html" in problems["170000002"]
    assert "no row in posts.csv" in problems["170000099"]
    assert "170000002" not in issues_of(found)


def test_a_draft_row_without_its_html_is_skipped_with_the_reason(tmp_path):
    export = copy_export(tmp_path)
    (export / "posts" / "170000003.bare-soil.html").unlink()
    report = migrate("substack-export", export, tmp_path / "site", download_images=False)
    assert report.ok and [s["id"] for s in report.skipped] == ["170000003"]
    assert "no body in the export" in report.skipped[0]["reason"]


def test_a_bad_row_is_reported_and_the_others_still_convert(tmp_path, mappings):
    export = copy_export(tmp_path)
    csv = export / "posts.csv"
    csv.write_text(csv.read_text() + ",2024-12-09T09:00:00Z,true,,,newsletter,everyone,No id,,\n")
    found = entries(export, mappings)
    assert len(issues_of(found)) == 5
    assert [p.reason for p in found if isinstance(p, SourceProblem)] == ["the row has no post_id, so no post file can be found for it"]


def test_a_zip_reads_the_same_as_the_folder(tmp_path, mappings):
    archive = tmp_path / "substack-export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(EXPORT.rglob("*")):
            if path.is_file():
                zipped.write(path, str(path.relative_to(EXPORT)))
        zipped.writestr("posts/170000001.first-frost-notes.opens.csv", "email,timestamp\n")  # per-post stats: not posts
    from_zip = issues_of(entries(archive, mappings))
    from_folder = issues_of(entries(EXPORT, mappings))
    assert list(from_zip) == list(from_folder)
    assert [i.source_hash for i in from_zip.values()] == [i.source_hash for i in from_folder.values()]


# ---------------------------------------------------------------------- refused before anything is written

@pytest.mark.parametrize("members, says", [
    ({"posts/1.a.html": "<p>x</p>"}, "has no posts.csv"),
    ({"posts.csv": "id,title\n1,x\n"}, "lacks the column(s) is_published, post_date, post_id"),
    ({"posts.csv": (EXPORT / "posts.csv").read_text(), "../posts/1.a.html": "<p>x</p>"}, "climbs out with '..'"),
])
def test_a_source_that_is_no_substack_export_is_refused_before_anything_is_written(tmp_path, members, says):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    with pytest.raises(UserError, match=re.escape(says)):
        migrate("substack-export", archive, tmp_path / "site")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("option, says", [("drafts=publish", "drafts=keep or drafts=skip"), ("url=not a host", "not a web address")])
def test_a_bad_option_value_is_one_sentence_and_nothing_is_written(tmp_path, capsys, option, says):
    code = main(["run", "--platform", "substack-export", "--source", str(EXPORT), "--site", str(tmp_path / "site"),
                 "--no-images", "--quiet", "--platform-option", option])
    assert code == 2 and says in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------------- images

def test_a_cdn_image_is_downloaded_once_from_its_original_and_keeps_its_caption(site):
    out, report, hits = site
    assert report.ok, report.lines()
    assert hits[ORIGINAL] == 1
    assert not any("/image/fetch/" in path for path in hits)   # no resized variant fetched
    assert not any("twitter_name" in path for path in hits)    # a tweet's avatar is chrome
    text = body(out, "first-frost-notes.md")
    assert re.search(r"!\[Frosted kale leaves\]\(/images/[0-9a-f]+\.png\)\n\n_Kale after the frost, Wednesday morning_", text)
    assert "substackcdn.com" not in text and "srcset" not in text


def test_an_image_whose_src_is_a_cdn_url_is_fetched_from_the_original_and_keeps_its_own_link(site):
    out, _, hits = site
    assert hits["/substack-post-media.s3.amazonaws.com/public/images/9d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6_800x600.png"] == 1
    assert re.search(r"\[!\[Jars of bean seed on a trestle table\]\(/images/[0-9a-f]+\.png\)\]\(https://beans\.example\.net/catalogue\)",
                     body(out, "seed-swap-diary.md"))


# ---------------------------------------------------------------------- footnotes, chrome, embeds, links

def test_footnotes_become_markdown_footnotes_with_their_whole_note(site):
    out, _, _ = site
    text = body(out, "first-frost-notes.md")
    assert "took the dahlias with it.[^1] The kale" in text
    assert "against pigeons.[^2]" in text
    assert text.endswith("[^1]: Minus four on the shed thermometer, which reads high.\n\n"
                         "    See the [frost map](https://metoffice.example.gov/frost) for the valley.\n\n"
                         "[^2]: Pigeons ate half the sprouts last year.\n")


def test_hugo_renders_the_footnotes_and_every_old_path_leads_to_its_post(site, tmp_path):
    out, _, _ = site
    build_site(out, tmp_path / "public")
    page = (tmp_path / "public" / "issues" / "first-frost-notes" / "index.html").read_text()
    assert 'href="#fn:1"' in page and 'href="#fn:2"' in page
    assert 'id="fn:1"' in page and "frost map" in page[page.index('id="fn:1"'):]
    (report,) = verify(out, build=True)
    # The three public posts; neither the unpublished draft nor the paid-only one (a draft) has an address.
    assert report.ok and report.checked == 3


def test_substack_chrome_goes_and_the_authors_own_button_stays(site):
    out, _, _ = site
    text = body(out, "first-frost-notes.md")
    for gone in ("Subscribe", "Share", "Leave a comment", "reader-supported", "publication archives", "Type your email",
                 "action=share", "/comments", "Likes", "Retweets"):
        assert gone not in text, gone
    assert "[Read the frost guide](https://rhs.example.org/frost-guide)" in text
    assert check_site(out) == []


def test_a_whitespace_only_strong_still_parts_the_words(site):
    out, _, _ = site
    assert "**not** saved." in body(out, "first-frost-notes.md")


def test_embeds_become_links_a_tweet_a_quote_with_its_author(site):
    out, _, _ = site
    text = body(out, "first-frost-notes.md")
    assert "<https://www.youtube.com/watch?v=Ab3dE5fG7hI&t=42s>" in text
    assert ("> Frost pockets are real: the bottom of my plot was two degrees colder.\n>\n"
            "> — [Kitchen Gardener (@kitchengardener)](https://twitter.com/kitchengardener/status/1852000000000000001)") in text


def test_with_embeds_shortcode_youtube_and_tweets_become_hugo_shortcodes(tmp_path):
    migrate("substack-export", EXPORT, tmp_path, download_images=False, embeds="shortcode")
    text = body(tmp_path, "first-frost-notes.md")
    assert "{{< youtube Ab3dE5fG7hI >}}" in text
    assert '{{< x user="kitchengardener" id="1852000000000000001" >}}' in text
    assert "Frost pockets" not in text


def test_a_link_to_a_paid_only_post_written_as_a_draft_keeps_its_old_address(site):
    out, _, _ = site
    assert "[seed swap diary](https://allotment.substack.com/p/seed-swap-diary)" in body(out, "first-frost-notes.md")


def test_links_between_posts_on_either_host_point_at_the_new_pages(tmp_path, image_host):
    out = tmp_path / "site"
    report = migrate("substack-export", EXPORT, out, remaps=media(image_host),
                     platform_options={"url": HOSTS, "publish_audiences": "only_paid"})
    assert "[seed swap diary](/issues/seed-swap-diary/)" in body(out, "first-frost-notes.md")
    assert "[bean list](/issues/seed-swap-diary/#beans)" in body(out, "first-frost-notes.md")
    assert "[the autumn](/issues/first-frost-notes/)" in body(out, "seed-swap-diary.md")
    assert report.summary()["links_between_issues_rewritten"] == 3


def test_a_readers_login_token_and_referral_code_leave_no_trace(tmp_path, image_host, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    site = tmp_path / "site"
    code = main(["-v", "run", "--platform", "substack-export", "--source", str(EXPORT), "--site", str(site), "--quiet",
                 "--remap", f"{MEDIA}={image_host.url}/substack-post-media.s3.amazonaws.com"])
    assert code == 0
    output = capsys.readouterr()
    for text in (output.out, output.err, caplog.text):
        assert LOGIN_TOKEN not in text and "2k9xq" not in text
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert LOGIN_TOKEN.encode() not in data and b"r=2k9xq" not in data, path


def test_only_the_platforms_hosts_lose_the_platforms_parameters(tmp_path):
    export = copy_export(tmp_path)
    post = export / "posts" / "170000004.potting-shed-radio-ep-1.html"
    post.write_text(post.read_text() + '<p><a href="https://shop.example.com/item?r=red&amp;s=large">the red sack</a></p>')
    migrate("substack-export", export, tmp_path / "site", download_images=False)
    assert "(https://shop.example.com/item?r=red&s=large)" in body(tmp_path / "site", "potting-shed-radio-ep-1.md")


# ---------------------------------------------------------------------- re-sync

def test_sync_of_an_unchanged_export_does_no_work_and_a_changed_post_only_itself(tmp_path, image_host):
    export = copy_export(tmp_path)
    site = tmp_path / "site"
    options = {"remaps": media(image_host)}
    migrate("substack-export", export, site, mode="sync", **options)
    requests = sum(image_host.account.hits.values())
    again = migrate("substack-export", export, site, mode="sync", **options)
    assert (again.up_to_date, again.files_written, again.summary()["issues_written"]) == (5, 0, 0)
    assert sum(image_host.account.hits.values()) == requests
    post = export / "posts" / "170000004.potting-shed-radio-ep-1.html"
    post.write_text(post.read_text().replace("leaf mould", "leafmould"))
    changed = migrate("substack-export", export, site, mode="sync", **options)
    assert (changed.up_to_date, changed.files_written) == (4, 1)
    assert "leafmould" in body(site, "potting-shed-radio-ep-1.md")
    assert sum(image_host.account.hits.values()) == requests
