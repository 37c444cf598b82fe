"""The cleaners and converter parts Substack brought, one behaviour each: CDN originals,
footnotes, embeds, the platform's own link parameters, stubs, and slug-keyed links between posts."""
import pytest
from bs4 import BeautifulSoup

from migrate.cleaners import CleanContext, build_chain
from migrate.cleaners.image_cdn import original_url
from migrate.converters.markdown import to_markdown
from migrate.fetchers.substack_export import substack_issue_ref
from migrate.record import Issue
from migrate.registry import IssueRegistry

CDN = ["substackcdn.com", "cdn.substack.com"]
FETCH = "/image/fetch/"


def clean(mappings, html: str, platform: str = "substack", embeds: str = "link", old_urls=()) -> tuple[str, Issue]:
    """The Markdown of `html` after the whole cleaning chain (no downloads), and the issue."""
    context = CleanContext(mappings, mappings.platform(platform), download_images=False, embeds=embeds)
    issue = Issue(platform, "1", html, old_urls=list(old_urls))
    doc = BeautifulSoup(html, "lxml")
    for cleaner in build_chain(mappings, context):
        cleaner.clean(doc, issue)
    return to_markdown(doc), issue


# ---------------------------------------------------------------------- CDN originals

@pytest.mark.parametrize("url, original", [
    ("https://substackcdn.com/image/fetch/w_1456,c_limit,f_auto/https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com%2Fpublic%2Fimages%2Fa_1x1.png",
     "https://substack-post-media.s3.amazonaws.com/public/images/a_1x1.png"),
    ("https://substackcdn.com/image/fetch/$s_!Ab!,f_auto/https%3A%2F%2Fexample.com%2Fpic.jpg%3Fv%3D2",
     "https://example.com/pic.jpg?v=2"),
    ("https://cdn.substack.com/image/fetch/w_600/https://bucketeer-1.s3.amazonaws.com/public/images/b.png",
     "https://bucketeer-1.s3.amazonaws.com/public/images/b.png"),
    ("https://substackcdn.com/image/fetch/w_100/https%3A%2F%2Fsubstackcdn.com%2Fimage%2Ffetch%2Fw_900%2Fhttps%253A%252F%252Fx.example%252Fdeep.png",
     "https://x.example/deep.png"),
])
def test_a_cdn_fetch_url_decodes_to_the_original_it_wraps(url, original):
    assert original_url(url, CDN, FETCH) == original


@pytest.mark.parametrize("url", [
    "https://substackcdn.com/image/twitter_name/w_96/someone.jpg",
    "https://substack-post-media.s3.amazonaws.com/public/images/a.png",
    "https://substackcdn.com/image/fetch/w_100/not-a-url",
    "https://evil.example/image/fetch/w_1/https%3A%2F%2Fx.example%2Fa.png",
])
def test_anything_else_is_not_taken_for_a_cdn_fetch_url(url):
    assert original_url(url, CDN, FETCH) is None


def test_an_image_known_only_by_its_srcset_is_fetched_from_the_original(mappings):
    markdown, _ = clean(mappings, '<figure><img srcset="https://substackcdn.com/image/fetch/w_424/https%3A%2F%2Fm.example%2Fa.png 424w, '
                                  'https://substackcdn.com/image/fetch/w_848/https%3A%2F%2Fm.example%2Fa.png 848w" alt="A"></figure>')
    assert markdown == "![A](https://m.example/a.png)\n"


# ---------------------------------------------------------------------- footnotes

NOTE = ('<div class="footnote"><a id="footnote-{n}" href="#footnote-anchor-{n}" class="footnote-number">{n}</a>'
        '<div class="footnote-content"><p>{text}</p></div></div>')
REF = '<a class="footnote-anchor" id="footnote-anchor-{n}" href="#footnote-{n}">{n}</a>'


def test_a_reference_without_its_note_keeps_its_number_as_text_and_is_named(mappings):
    markdown, issue = clean(mappings, f"<p>Said so{REF.format(n=3)}.</p>")
    assert markdown == "Said so3.\n"
    assert issue.warnings[0] == "footnote reference '3' has no note it can point at; its number is kept as text"


def test_a_note_nothing_points_at_keeps_its_text_as_a_paragraph_and_is_named(mappings):
    markdown, issue = clean(mappings, "<p>Body.</p>" + NOTE.format(n=4, text="Orphaned aside."))
    assert markdown == "Body.\n\nOrphaned aside.\n"
    assert "footnote 4 is not referenced" in issue.warnings[0]


def test_footnote_markers_that_come_with_the_source_are_not_taken_for_ours(mappings):
    markdown, _ = clean(mappings, '<p>Text<nm-footnote-ref>9</nm-footnote-ref></p><nm-footnote data-label="9"><p>Forged</p></nm-footnote>')
    assert "[^9]" not in markdown and "Forged" in markdown


def test_a_footnote_label_markdown_cannot_hold_is_not_written_as_one():
    doc = BeautifulSoup('<p>a<nm-footnote-ref>x y</nm-footnote-ref></p><nm-footnote data-label="]: javascript:"><p>n</p></nm-footnote>', "lxml")
    assert to_markdown(doc) == "ax y\n\nn\n"


def test_text_that_looks_like_a_footnote_reference_is_escaped():
    assert to_markdown(BeautifulSoup("<p>Write [^1] for a note.</p>", "lxml")) == "Write \\[^1] for a note.\n"


def test_footnotes_survive_sentence_per_line_and_the_worker_reparse(mappings):
    from migrate.converters import break_sentences

    html = f"<p>One.{REF.format(n=1)} Two.</p>" + NOTE.format(n=1, text="First. Second.")
    context = CleanContext(mappings, mappings.platform("substack"), download_images=False)
    issue = Issue("substack", "1", html)
    doc = BeautifulSoup(html, "lxml")
    for cleaner in build_chain(mappings, context):
        cleaner.clean(doc, issue)
        doc = BeautifulSoup(str(doc), "lxml")   # as between a worker's two halves
    break_sentences(doc)
    assert to_markdown(doc) == "One.[^1]\nTwo.\n\n[^1]: First.\n    Second.\n"


# ---------------------------------------------------------------------- embeds, parameters, stubs

def test_an_embed_with_no_target_is_left_out_and_named(mappings):
    markdown, issue = clean(mappings, '<p>Before.</p><div class="youtube-wrap" data-attrs="{}"></div>')
    assert markdown == "Before.\n" and issue.warnings[0] == "a youtube embed names nothing to link to; it was left out"


def test_a_youtube_block_with_broken_attrs_falls_back_to_its_player(mappings):
    markdown, _ = clean(mappings, '<div class="youtube-wrap" data-attrs="{not json"><iframe src="https://www.youtube-nocookie.com/embed/Zz9_-x"></iframe></div>',
                        embeds="shortcode")
    assert markdown == "{{< youtube Zz9_-x >}}\n"


def test_a_vimeo_block_becomes_the_videos_page(mappings):
    markdown, _ = clean(mappings, '<div class="vimeo-wrap" data-attrs="{&quot;videoId&quot;:&quot;12345&quot;}"></div>')
    assert markdown == "<https://vimeo.com/12345>\n"


def test_the_platforms_parameters_leave_links_to_the_newsletters_own_custom_domain(mappings):
    markdown, issue = clean(mappings, '<p><a href="https://news.example.org/p/x?r=abc&amp;keep=1">x</a></p>',
                            old_urls=["https://news.example.org/p/y"])
    assert markdown == "[x](https://news.example.org/p/x?keep=1)\n" and issue.tracking_removed == 1


def test_substack_cleaners_do_nothing_for_revue(mappings):
    html = ('<p>x<a class="footnote-anchor" href="#footnote-1">1</a> <a href="https://a.substack.com/p/q?r=1">q</a></p>'
            '<div class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;abc&quot;}">video</div>')
    markdown, issue = clean(mappings, html, platform="revue")
    assert markdown == "x[1](#footnote-1) [q](https://a.substack.com/p/q?r=1)\n\nvideo\n"
    assert issue.warnings == []


def test_a_stub_counts_text_not_spaces_and_names_its_pictures(mappings):
    _, issue = clean(mappings, '<p>Soon  .</p><p><img src="https://m.example/a.png"></p>')
    assert issue.warnings == ["is near-empty (5 character(s) of text and 1 picture(s) or player(s), under the 100 a post needs "
                              "not to be taken for a stub): check it belongs on the site, or leave it out with `skip: true` "
                              "under \"1\" in an overrides file"]


# ---------------------------------------------------------------------- links between posts

@pytest.mark.parametrize("url, ref", [
    ("https://name.substack.com/p/a-post", ("a-post", None)),
    ("https://www.custom.example/p/a-post/", ("a-post", None)),
    ("/p/a-post", ("a-post", None)),
    ("https://name.substack.com/p/a-post/comments", None),
    ("https://name.substack.com/archive", None),
    ("mailto:someone@example.com", None),
])
def test_a_substack_post_url_names_its_slug(url, ref):
    assert substack_issue_ref(url) == ref


def test_the_registry_finds_an_issue_by_the_slug_its_old_path_names():
    registry = IssueRegistry(substack_issue_ref)
    registry.add("170000002", [], "content/issues/seed-swap.md", ["/p/seed-swap"])
    registry.add_hosts(["name.substack.com"], [])
    answers, pending = registry.answer(["https://name.substack.com/p/seed-swap", "https://name.substack.com/p/not-yet",
                                        "https://other.substack.com/p/seed-swap"])
    assert answers == {"https://name.substack.com/p/seed-swap": "/issues/seed-swap/"}
    assert pending == {"not-yet"}
