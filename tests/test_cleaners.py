"""Each cleaner of the chain on the shapes it meets in Revue archives."""
import pytest
from bs4 import BeautifulSoup

from migrate.cleaners import CLEANERS, CleanContext, build_chain
from migrate.converters import to_markdown
from migrate.record import Issue


def clean(html: str, mappings, *names: str, embeds: str = "link", issue: Issue | None = None, platform: str = "revue"):
    doc = BeautifulSoup(html, "lxml")
    context = CleanContext(mappings, mappings.platform(platform), embeds=embeds)
    issue = issue or Issue(platform=platform, source_id="1", html="")
    for name in names:
        CLEANERS[name](context).clean(doc, issue)
    return doc


def as_markdown(html: str, mappings, *names: str, **kwargs) -> str:
    return to_markdown(clean(html, mappings, *names, **kwargs)).rstrip("\n")


ALL = ("platform_blocks", "chrome", "shortcodes", "unsafe", "structure", "tracking")


def test_the_chain_follows_mappings_order_and_can_switch_one_off(mappings):
    context = CleanContext(mappings, mappings.platform("revue"))
    assert [c.name for c in build_chain(mappings, context)] == ["malformed_urls", "link_cards", *ALL, "crosslinks", "images"]
    assert "tracking" not in [c.name for c in build_chain(mappings, context, {"tracking"})]
    no_images = CleanContext(mappings, mappings.platform("revue"), download_images=False)
    assert "images" not in [c.name for c in build_chain(mappings, no_images)]  # not configured


class TestPlatformBlocks:
    def test_revue_classes_become_semantic_tags(self, mappings):
        html = ('<div class="header-text">Section</div><div class="revue-p">Text</div>'
                '<div class="revue-blockquote">Quote</div>')
        assert as_markdown(html, mappings, "platform_blocks", "structure") == "## Section\n\nText\n\n> Quote"

    def test_a_link_cards_source_line_keeps_only_the_domain(self, mappings):
        html = ('<div class="link-url"><a href="http://rev.vu/AbC?utm_content=domain">example.org</a> &bull; '
                '<a href="http://rev.vu/AbC?utm_content=share">share</a></div>')
        assert as_markdown(html, mappings, "platform_blocks", "structure") == "example.org"


class TestChrome:
    def test_profile_bar_subscribe_form_feedback_footer_and_pixel_go(self, mappings):
        html = ('<nav class="top-bar"><a href="/">News</a></nav><form><input type="email"></form>'
                '<p>Content stays.</p><div class="feedback">Did you enjoy this issue? <a href="/issues/1/feedback?vote=up">Yes</a></div>'
                '<div class="footer"><a href="https://www.getrevue.co/?utm_content=footerlink">Powered by Revue</a></div>'
                '<img src="https://www.getrevue.co/profile/x/issues/1/open.gif" width="1" height="1">')
        assert as_markdown(html, mappings, "chrome", "structure") == "Content stays."

    def test_header_image_and_avatars_go_but_content_images_stay(self, mappings):
        html = ('<a href="https://news.example/"><img src="https://s3.amazonaws.com/revue/profiles/images/000/1/web/header.png"></a>'
                '<img src="https://s3.amazonaws.com/revue/profile_covers/images/000/1/cover/c.png">'
                '<img src="https://s3.amazonaws.com/revue/items/images/004/1/mail/a.png" alt="kept">')
        assert as_markdown(html, mappings, "chrome", "structure") == "![kept](https://s3.amazonaws.com/revue/items/images/004/1/mail/a.png)"

    def test_share_links_and_their_icons_go(self, mappings):
        html = ('<p>Text</p><p><a href="https://twitter.com/share?url=x"><img src="//d3.example/assets/email/share_twitter_2.png">Tweet</a>'
                '<a href="https://www.facebook.com/sharer/sharer.php?u=x">Share</a></p>')
        assert as_markdown(html, mappings, "chrome", "structure") == "Text"

    def test_any_one_by_one_image_is_a_pixel(self, mappings):
        html = '<p>Hi<img src="https://t.example/p.png" width="1" height="1"><img src="https://t.example/q.png" style="width:1px;height:1px"></p>'
        assert as_markdown(html, mappings, "chrome", "structure") == "Hi"

    def test_links_through_the_dead_redirector_keep_only_their_text(self, mappings):
        assert as_markdown('<p>See <a href="http://rev.vu/Xy">this</a>.</p>', mappings, "chrome", "structure") == "See this."

    def test_a_link_to_another_revue_issue_is_content_not_chrome(self, mappings):
        html = '<p>Last <a href="https://www.getrevue.co/profile/a/issues/b-1">week</a>.</p>'
        assert as_markdown(html, mappings, "chrome", "structure") == "Last [week](https://www.getrevue.co/profile/a/issues/b-1)."


class TestShortcodes:
    def test_tweet_and_embed_become_links_by_default(self, mappings):
        html = "<p>Before</p>\n[tweet https://twitter.com/a/status/123]\n<p>[embed https://youtu.be/AbCdEfGhIjK]</p>"
        assert as_markdown(html, mappings, "shortcodes", "structure") == \
            "Before\n\n<https://twitter.com/a/status/123>\n\n<https://youtu.be/AbCdEfGhIjK>"

    def test_with_shortcodes_configured_they_become_hugo_shortcodes(self, mappings):
        html = "[tweet https://twitter.com/a/status/123]<p>[embed https://www.youtube.com/watch?v=AbCdEfGhIjK]</p><p>[embed https://vimeo.com/348959585]</p>"
        assert as_markdown(html, mappings, "shortcodes", "structure", embeds="shortcode") == \
            '{{< x user="a" id="123" >}}\n\n{{< youtube AbCdEfGhIjK >}}\n\n{{< vimeo 348959585 >}}'

    def test_an_unknown_embed_stays_a_link_even_with_shortcodes(self, mappings):
        assert as_markdown("<p>[embed https://player.example/v/1]</p>", mappings, "shortcodes", "structure", embeds="shortcode") == \
            "<https://player.example/v/1>"

    def test_a_shortcode_inside_a_sentence_becomes_a_link_in_place(self, mappings):
        assert as_markdown("<p>Watch [embed https://youtu.be/AbCdEfGhIjK] now.</p>", mappings, "shortcodes", "structure") == \
            "Watch <https://youtu.be/AbCdEfGhIjK> now."

    def test_caption_shortcode_becomes_an_image_with_its_caption(self, mappings):
        html = '<p>[caption id="a1" align="alignnone" width="600"]<img src="/a.png" alt="Kelp"> A kelp holdfast.[/caption]</p>'
        assert as_markdown(html, mappings, "shortcodes", "structure") == "![Kelp](/a.png)\n\n_A kelp holdfast._"

    def test_caption_given_as_an_attribute_is_used(self, mappings):
        html = '<p>[caption caption="From the pier"]<img src="/a.png" alt="Pier">[/caption]</p>'
        assert as_markdown(html, mappings, "shortcodes", "structure") == "![Pier](/a.png)\n\n_From the pier_"

    def test_a_shortcode_element_in_the_source_is_forged_and_goes(self, mappings):
        html = '<p>Hi</p><nm-shortcode data-name="param" data-x=\'x" >}}{{< /param\'></nm-shortcode>'
        assert as_markdown(html, mappings, "shortcodes", "structure", embeds="shortcode") == "Hi"

    def test_shortcodes_inside_code_are_shown_as_written(self, mappings):
        html = "<p>Type <code>[embed https://youtu.be/AbCdEfGhIjK]</code> where the video goes.</p><pre>[caption]x[/caption]</pre>"
        assert as_markdown(html, mappings, "shortcodes", "structure") == \
            "Type `[embed https://youtu.be/AbCdEfGhIjK]` where the video goes.\n\n```\n[caption]x[/caption]\n```"

    @pytest.mark.parametrize("platform", ["buttondown", "substack", "mailchimp", "rss"])
    def test_another_platforms_text_is_not_read_as_revues_shortcodes(self, mappings, platform):
        html = "<p>I wrote [tweet https://twitter.com/me/status/1] as [caption]a joke[/caption].</p>"
        assert as_markdown(html, mappings, "shortcodes", "structure", platform=platform) == \
            "I wrote [tweet <https://twitter.com/me/status/1>] as [caption]a joke[/caption]."

    def test_iframes_of_known_players_become_embeds(self, mappings):
        html = '<iframe src="https://www.youtube.com/embed/AbCdEfGhIjK"></iframe>'
        assert as_markdown(html, mappings, "shortcodes", "unsafe", "structure", embeds="shortcode") == "{{< youtube AbCdEfGhIjK >}}"


class TestUnsafe:
    def test_scripts_styles_and_unknown_iframes_go(self, mappings):
        html = '<script>alert(1)</script><style>p{}</style><iframe src="https://evil.example/x"></iframe><p>ok</p>'
        assert as_markdown(html, mappings, "shortcodes", "unsafe", "structure") == "ok"

    def test_event_handlers_go(self, mappings):
        doc = clean('<p onclick="x()" onmouseover="y()">ok</p><img src="/a.png" onerror="z()">', mappings, "unsafe")
        assert not any(attr.startswith("on") for el in doc.find_all(True) for attr in el.attrs)

    @pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:x", " data:text/html,<b>", "vbscript:x"])
    def test_script_links_keep_their_text_but_lose_the_link(self, mappings, href):
        doc = clean('<p><a href="">Report</a> it.</p>', mappings)
        doc.a["href"] = href
        for name in ("unsafe", "structure"):
            CLEANERS[name](CleanContext(mappings, mappings.platform("revue"))).clean(doc, Issue(platform="revue", source_id="1", html=""))
        assert to_markdown(doc).strip() == "Report it."

    def test_inline_data_images_are_kept_for_the_image_store(self, mappings):
        doc = clean('<p><img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml,<svg/>"></p>', mappings, "unsafe")
        assert [img["src"][:15] for img in doc.find_all("img")] == ["data:image/png;"]


class TestStructure:
    def test_layout_tables_divs_spans_and_fonts_are_unwrapped(self, mappings):
        html = ('<table><tbody><tr><td><div><span>One</span> <font color="red">line</font></div></td></tr>'
                '<tr><td><div><div>Two</div></div></td></tr></tbody></table><center>Three</center>')
        markdown = as_markdown(html, mappings, "structure")
        assert markdown == "One line\n\nTwo\n\nThree"

    def test_h3_around_h2_and_paragraphs_is_repaired(self, mappings):
        assert as_markdown("<h3><h2>News</h2><p>Body.</p></h3>", mappings, "structure") == "## News\n\nBody."

    def test_paragraph_inside_paragraph_is_repaired(self, mappings):
        doc = BeautifulSoup("<p><p>Inner.</p></p><p>Next.</p>", "html.parser")  # html.parser keeps the bad nesting
        CLEANERS["structure"](CleanContext(mappings, mappings.platform("revue"))).clean(doc, Issue(platform="revue", source_id="1", html=""))
        assert to_markdown(doc).strip() == "Inner.\n\nNext."

    def test_a_titled_image_becomes_a_figure_with_its_caption(self, mappings):
        html = '<div><img alt="A gull." title="A gull." src="/g.png" width="600"></div>'
        assert as_markdown(html, mappings, "structure") == "![A gull.](/g.png)\n\n_A gull._"

    def test_a_link_cards_thumbnail_title_and_description_become_separate_blocks(self, mappings):
        html = ("<p>\n<img width=\"140\" height=\"140\" alt=\"Title\" src=\"/t.jpg\" />\n"
                "<strong style='display: block;'><a href=\"https://a.example/\">Title</a> &mdash; <a href=\"https://a.example/\">a.example</a></strong>\n"
                "Description.\n</p>")
        assert as_markdown(html, mappings, "structure") == \
            "![Title](/t.jpg)\n\n**[Title](https://a.example/) — [a.example](https://a.example/)**\n\nDescription."

    def test_small_inline_icons_stay_inline(self, mappings):
        assert as_markdown('<p><img src="/i.png" width="16" alt="*"> Starred</p>', mappings, "structure") == "![\\*](/i.png) Starred"

    def test_double_line_breaks_split_paragraphs_and_stray_ones_vanish(self, mappings):
        assert as_markdown("<p><br>One<br><br>Two<br>three<br></p><div><br></div>", mappings, "structure") == "One\n\nTwo\\\nthree"

    def test_only_the_attributes_markdown_needs_survive(self, mappings):
        doc = clean('<p class="x" style="y" data-z="1"><a href="/a" target="_blank" style="c">a</a><img src="/i.png" alt="i" width="9" class="k"></p>',
                    mappings, "structure")
        assert [dict(el.attrs) for el in doc.find_all(["p", "a", "img"])] == [{}, {"href": "/a"}, {"src": "/i.png", "alt": "i"}]

    def test_relative_links_resolve_against_the_issues_old_url(self, mappings):
        issue = Issue(platform="revue", source_id="1", html="", old_urls=["https://news.example/issues/a-1"])
        assert as_markdown('<p><a href="/archive">archive</a></p>', mappings, "structure", issue=issue) == "[archive](https://news.example/archive)"


class TestTracking:
    def test_links_and_images_lose_tracking_and_the_issue_counts_it(self, mappings):
        issue = Issue(platform="revue", source_id="1", html="")
        doc = clean('<p><a href="https://a.example/?utm_source=x&amp;v=1">a</a><img src="https://i.example/a.png?mc_eid=1"></p>',
                    mappings, "tracking", issue=issue)
        assert doc.a["href"] == "https://a.example/?v=1"
        assert doc.img["src"] == "https://i.example/a.png"
        assert issue.tracking_removed == 2

    def test_an_autolink_shows_its_clean_address(self, mappings):
        html = '<p><a href="https://y.example/?utm_source=z">https://y.example/?utm_source=z</a></p>'
        assert as_markdown(html, mappings, "tracking") == "<https://y.example/>"

    def test_an_address_written_out_in_the_text_loses_its_tracking_but_not_the_full_stop(self, mappings):
        issue = Issue(platform="buttondown", source_id="1", html="")
        html = "<p>See https://x.example/a?utm_source=changelog-news&amp;id=3 and https://x.example/b?utm_medium=email.</p>"
        assert as_markdown(html, mappings, "tracking", issue=issue) == "See <https://x.example/a?id=3> and <https://x.example/b>."
        assert issue.tracking_removed == 2

    def test_an_address_in_code_is_what_the_author_showed(self, mappings):
        html = "<p><code>https://x.example/?utm_source=a</code></p>"
        assert as_markdown(html, mappings, "tracking") == "`https://x.example/?utm_source=a`"


def test_a_cleaner_that_implements_clean_itself_runs_as_a_document_step(mappings):
    """A cleaner written as a whole-document `clean` (and no walk registrations) still runs, in
    its place in the chain, between the walks of the per-element cleaners around it."""
    from migrate.cleaners.base import CleanContext, Cleaner
    from migrate.cleaners.tracking import Tracking
    from migrate.cleaners.walk import Plan
    from migrate.record import Issue

    seen = []

    class Counts(Cleaner):
        name = "counts_links"

        def clean(self, doc, issue):
            seen.append([a["href"] for a in doc.find_all("a")])

    context = CleanContext(mappings, mappings.platform("revue"))
    doc = BeautifulSoup('<p><a href="https://a.example/?utm_source=x&k=1">a</a></p>', "lxml")
    Plan([Counts(context), Tracking(context), Counts(context)]).run(doc, Issue(platform="revue", source_id="1", html=""))
    assert seen == [["https://a.example/?utm_source=x&k=1"], ["https://a.example/?k=1"]]
