"""Mailchimp's cleaners on the shapes Mailchimp campaigns have: merge tags and conditional blocks,
the classic (mcn*) and new-editor (mce*) templates, click trackers, pixels and footers."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.cleaners import CLEANERS, CleanContext, build_chain
from migrate.cleaners.merge_tags import TAG, ArchiveReader, php_date, resolve_string
from migrate.converters import to_markdown
from migrate.record import Issue


def mailchimp_issue(**fields) -> Issue:
    return Issue(platform="mailchimp", source_id="c1", html="", **fields)


def clean(html: str, mappings, *names: str, issue: Issue | None = None):
    doc = BeautifulSoup(html, "lxml")
    context = CleanContext(mappings, mappings.platform("mailchimp"))
    issue = issue or mailchimp_issue()
    for name in names:
        CLEANERS[name].from_config({}, context).clean(doc, issue)
    return doc


def as_markdown(html: str, mappings, *names: str, issue: Issue | None = None) -> str:
    return to_markdown(clean(html, mappings, *names, "structure", issue=issue)).rstrip("\n")


def reader(mappings, **fields) -> ArchiveReader:
    return ArchiveReader.of(mappings.platform("mailchimp").section("merge_tags"), mailchimp_issue(**fields))


def test_the_mailchimp_cleaners_join_the_chain_for_mailchimp_only(mappings):
    mailchimp = [c.name for c in build_chain(mappings, CleanContext(mappings, mappings.platform("mailchimp")))]
    revue = [c.name for c in build_chain(mappings, CleanContext(mappings, mappings.platform("revue")))]
    assert {"merge_tags", "mailchimp_layout", "click_trackers"} <= set(mailchimp)
    assert mailchimp.index("merge_tags") < mailchimp.index("chrome") < mailchimp.index("mailchimp_layout") < mailchimp.index("structure")
    assert not {"merge_tags", "mailchimp_layout", "click_trackers"} & set(revue)


class TestMergeTagValues:
    def test_subscriber_fields_vanish_and_the_sentence_closes_up(self, mappings):
        for text, seen in [("Hello *|FNAME|*, welcome.", "Hello, welcome."), ("Thanks, *|FNAME|*!", "Thanks!"),
                           ("Dear *|FNAME|* *|LNAME|*,", "Dear,"), ("News: *|FNAME|*, spring is here", "News: spring is here")]:
            assert resolve_string(text, reader(mappings))[0] == seen

    def test_the_issues_own_fields_show_as_an_archive_reader_sees_them(self, mappings):
        archive = reader(mappings, title="Spring", description="Seeds and sheds", date=dt.date(2024, 4, 2))
        assert resolve_string("*|MC:SUBJECT|* / *|MC_PREVIEW_TEXT|* / *|CURRENT_YEAR|*", archive)[0] == "Spring / Seeds and sheds / 2024"
        assert resolve_string("Sent *|DATE:l, F jS Y|* (*|DATE:d/m/y|*)", archive)[0] == "Sent Tuesday, April 2nd 2024 (02/04/24)"

    def test_a_date_format_keeps_its_escaped_letters(self):
        assert php_date(dt.date(2024, 3, 21), r"j \o\f F") == "21 of March"

    def test_unknown_tags_are_removed_and_named(self, mappings):
        issue = mailchimp_issue()
        markdown = as_markdown("<p>Your plot: *|PLOTNUMBER|*. Hi *|FNAME|*.</p>", mappings, "merge_tags", issue=issue)
        assert markdown == "Your plot:. Hi." and "*|PLOTNUMBER|*" in issue.warnings[-1] and "FNAME" not in issue.warnings[-1]

    def test_a_tag_split_across_elements_is_still_a_tag(self, mappings):
        assert as_markdown("<p>Happy growing, *|FN<strong>AM</strong>E|*!</p>", mappings, "merge_tags") == "Happy growing!"

    def test_percent_encoded_pipes_in_an_address_are_a_tag_too(self, mappings):
        markdown = as_markdown('<p>Keep this. <a href="*%7CUNSUB%7C*">Leave</a></p>', mappings, "merge_tags")
        assert markdown == "Keep this."


class TestPerReaderFieldsCloseUpAlike:
    """Mailchimp's merge tags and Buttondown's template tags are the same thing to an archive
    reader: a field filled in per subscriber, gone, with the sentence closed up around it."""

    @pytest.mark.parametrize("sentence, seen", [
        ("Hello FIELD, welcome.", "Hello, welcome."), ("Thanks, FIELD!", "Thanks!"), ("Hi FIELD and welcome.", "Hi and welcome."),
        ("News: FIELD, spring is here", "News: spring is here"), ("FIELD, welcome back.", "welcome back."),
        ("See you, FIELD.", "See you."), ("Dear FIELD FIELD,", "Dear,"),
    ])
    def test_a_subscribers_field_leaves_the_sentence_closed_up_on_both_platforms(self, mappings, sentence, seen):
        mailchimp = clean(f"<p>{sentence.replace('FIELD', '*|FNAME|*')}</p>", mappings, "merge_tags")
        buttondown = BeautifulSoup(f"<p>{sentence.replace('FIELD', '{{ subscriber.metadata.first_name }}')}</p>", "lxml")
        context = CleanContext(mappings, mappings.platform("buttondown"))
        CLEANERS["template_tags"].from_config({}, context).clean(buttondown, mailchimp_issue())
        assert to_markdown(mailchimp).strip() == to_markdown(buttondown).strip() == seen


class TestConditionalBlocks:
    def test_a_condition_on_subscriber_data_shows_its_else_branch(self, mappings):
        html = "<p>*|IF:FNAME|*Hello *|FNAME|*!*|ELSE:|*Hello, growers!*|END:IF|* Tomatoes are in.</p>"
        assert as_markdown(html, mappings, "merge_tags") == "Hello, growers! Tomatoes are in."

    def test_archive_page_is_true_and_ifnot_inverts(self, mappings):
        html = "<p>*|IF:ARCHIVE_PAGE|*Online.*|END:IF|**|IFNOT:ARCHIVE_PAGE|*In your inbox.*|END:IF|*</p>"
        assert as_markdown(html, mappings, "merge_tags") == "Online."

    def test_elseif_takes_the_first_branch_that_holds(self, mappings):
        html = "<p>*|IF:FNAME = Ann|*A*|ELSEIF:ARCHIVE_PAGE|*B*|ELSEIF:ARCHIVE_PAGE|*C*|ELSE:|*D*|END:IF|*</p>"
        assert as_markdown(html, mappings, "merge_tags") == "B"

    def test_nested_blocks_inside_a_hidden_branch_stay_hidden(self, mappings):
        html = "<p>*|IF:FNAME|*x *|IF:ARCHIVE_PAGE|*y*|ELSE:|*z*|END:IF|* w*|ELSE:|*kept*|END:IF|*</p>"
        assert as_markdown(html, mappings, "merge_tags") == "kept"

    def test_the_preview_condition_follows_the_issues_description(self, mappings):
        html = "<p>*|IF:MC_PREVIEW_TEXT|*Preview: *|MC_PREVIEW_TEXT|**|ELSE:|*No preview*|END:IF|*</p>"
        assert as_markdown(html, mappings, "merge_tags", issue=mailchimp_issue(description="Seeds")) == "Preview: Seeds"
        assert as_markdown(html, mappings, "merge_tags") == "No preview"

    def test_a_hidden_branch_spanning_elements_takes_them_whole(self, mappings):
        html = ("<p>Before.</p>*|IF:FNAME|*<p>For <b>you</b> only.</p><table><tr><td>Your plot</td></tr></table>"
                "<p>Still yours*|ELSE:|*</p><p>For everyone.*|END:IF|*</p><p>After.</p>")
        assert as_markdown(html, mappings, "merge_tags") == "Before.\n\nFor everyone.\n\nAfter."

    def test_conditions_hidden_in_comments_are_resolved(self, mappings):
        html = ('<body><!--*|IF:MC_PREVIEW_TEXT|*--><span class="note">Preview here</span><!--*|END:IF|*-->'
                "<p>Body.</p></body>")
        assert as_markdown(html, mappings, "merge_tags") == "Body."

    def test_group_interest_blocks_are_for_subscribers_only(self, mappings):
        html = "<p>*|INTERESTED:Plots:Allotment|*Plot holders only.*|END:INTERESTED|*Everyone.</p>"
        assert as_markdown(html, mappings, "merge_tags") == "Everyone."

    def test_an_unclosed_block_keeps_its_content_and_says_so(self, mappings):
        issue = mailchimp_issue()
        assert as_markdown("<p>*|IF:FNAME|*Kept text.</p>", mappings, "merge_tags", issue=issue) == "Kept text."
        assert "never closed" in issue.warnings[0]

    def test_an_end_without_if_is_removed_and_named(self, mappings):
        issue = mailchimp_issue()
        assert as_markdown("<p>Text.*|END:IF|*</p>", mappings, "merge_tags", issue=issue) == "Text."
        assert "has no *|IF:...|*" in issue.warnings[0]


class TestMergeTagLinks:
    def test_a_view_in_browser_line_goes_with_its_link(self, mappings):
        html = ('<div class="mceText"><p id="line"><a href="*|ARCHIVE|*"><span>VIEW THIS EMAIL IN BROWSER</span></a></p></div>'
                "<p>Content.</p>")
        doc = clean(html, mappings, "merge_tags")  # alone: the line itself goes, not left empty for a later cleaner
        assert doc.find(id="line") is None and doc.body.get_text() == "Content."

    def test_a_line_of_chrome_links_and_separators_goes_whole(self, mappings):
        html = ('<p>|&nbsp;<a href="*|ARCHIVE|*">View this email in your browser</a> &middot; '
                '<a href="*|UPDATE_PROFILE|*">Update your preferences</a>&nbsp;|</p><p>Content.</p>')
        assert as_markdown(html, mappings, "merge_tags") == "Content."

    def test_a_line_with_words_of_its_own_keeps_them_when_its_link_goes(self, mappings):
        html = '<p>Spring issue &middot; <a href="*|ARCHIVE|*">View this email in your browser</a></p><p>Content.</p>'
        assert as_markdown(html, mappings, "merge_tags") == "Spring issue ·\n\nContent."

    def test_an_unsubscribe_link_goes_but_the_authors_words_around_it_stay(self, mappings):
        html = '<p>We post every Tuesday. <a href="*|UNSUB|*">Unsubscribe</a></p><p>Bye.</p>'
        assert as_markdown(html, mappings, "merge_tags") == "We post every Tuesday.\n\nBye."

    def test_a_mailto_of_the_subscriber_goes(self, mappings):
        html = '<p>Sent to <a href="mailto:*|EMAIL|*">*|EMAIL|*</a></p><p>Body.</p>'
        assert "mailto" not in as_markdown(html, mappings, "merge_tags")

    def test_a_link_to_a_subscriber_value_keeps_its_text_and_is_reported(self, mappings):
        issue = mailchimp_issue()
        markdown = as_markdown('<p>See <a href="*|PLOT_URL|*">your plot page</a>.</p>', mappings, "merge_tags", issue=issue)
        assert markdown == "See your plot page."
        assert any("'your plot page'" in w and "*|PLOT_URL|*" in w for w in issue.warnings)

    def test_a_query_parameter_holding_a_tag_goes_and_the_rest_stays(self, mappings):
        html = '<p><a href="https://example.org/survey?who=*|EMAIL|*&amp;form=7">Survey</a></p>'
        assert as_markdown(html, mappings, "merge_tags") == "[Survey](https://example.org/survey?form=7)"

    def test_a_condition_inside_an_address_is_resolved(self, mappings):
        html = '<p><a href="*|IF:FNAME|*https://a.example/you*|ELSE:|*https://a.example/all*|END:IF|*">Page</a></p>'
        assert as_markdown(html, mappings, "merge_tags") == "[Page](https://a.example/all)"

    def test_alt_text_loses_its_tags(self, mappings):
        markdown = as_markdown('<p><img src="https://mcusercontent.com/a/images/b.png" alt="For *|FNAME|*"></p>', mappings, "merge_tags")
        assert markdown == "![For](https://mcusercontent.com/a/images/b.png)"


CLASSIC_FOOTER = """
<td id="templateFooter"><table class="mcnFollowBlock"><tr><td>
<a href="https://www.instagram.com/growers"><img src="https://cdn-images.mailchimp.com/icons/social-block-v2/color-instagram-48.png"></a>
</td></tr></table>
<table class="mcnTextBlock"><tr><td class="mcnTextContent"><em>Copyright *|CURRENT_YEAR|* *|LIST:COMPANY|*</em><br>
Our mailing address is: *|HTML:LIST_ADDRESS_HTML|*<br>
You can <a href="*|UPDATE_PROFILE|*">update your preferences</a> or <a href="*|UNSUB|*">unsubscribe from this list</a>.
</td></tr></table></td>"""


class TestChrome:
    def test_the_classic_footer_and_its_social_block_go(self, mappings):
        html = f'<table><tr><td id="templateBody"><p>Body.</p></td></tr><tr>{CLASSIC_FOOTER}</tr></table>'
        assert as_markdown(html, mappings, "merge_tags", "chrome") == "Body."

    def test_the_new_editors_footer_and_social_follow_go(self, mappings):
        html = ('<div class="mceText"><p>Body.</p></div><table class="mceSocialFollowBlock"><tr><td>'
                '<a href="https://instagram.com/x"><img class="mceSocialFollowImage" src="https://cdn-images.mailchimp.com/icons/social-block-v3/block-icons-v3/instagram-filled-dark-40.png"></a>'
                '</td></tr></table><table class="mceFooterSection"><tr><td><p>Our mailing address is:</p></td></tr></table>')
        assert as_markdown(html, mappings, "merge_tags", "chrome") == "Body."

    def test_the_canspam_bar_goes(self, mappings):
        html = ('<p>Body.</p><table id="canspamBarWrapper"><tr><td><table id="canspamBar"><tr><td>This email was sent to '
                '<a href="mailto:*|EMAIL|*">*|EMAIL|*</a><br><a href="*|ABOUT_LIST|*"><em>why did I get this?</em></a>'
                '</td></tr></table></td></tr></table>')
        assert as_markdown(html, mappings, "merge_tags", "chrome") == "Body."

    def test_open_pixels_go_and_content_images_stay(self, mappings):
        html = ('<p><img src="https://mcusercontent.com/abc/images/plot.jpg" width="564" alt="Plot"></p>'
                '<img src="https://growers.us6.list-manage.com/track/open.php?u=abc&amp;id=c1&amp;e=e1" width="1" height="1">'
                '<img src="https://gallery.mailchimp.com/abc/images/old.png" alt="Old">')
        markdown = as_markdown(html, mappings, "chrome")
        assert "open.php" not in markdown and "plot.jpg" in markdown and "gallery.mailchimp.com" in markdown


class TestTemplate:
    def test_hidden_preview_text_goes(self, mappings):
        html = ('<span class="mcnPreviewText" style="display:none; max-height:0px;">Preview</span>'
                '<div style="display: none; max-height: 0px; overflow: hidden;">&#847; &zwnj;</div><p>Body.</p>')
        assert as_markdown(html, mappings, "chrome", "mailchimp_layout") == "Body."

    def test_a_caption_block_becomes_a_figure(self, mappings):
        html = ('<table class="mcnCaptionBlock"><tr><td><table class="mcnCaptionBottomContent"><tr>'
                '<td class="mcnCaptionBottomImageContent"><img class="mcnImage" src="https://mcusercontent.com/a/images/t.jpg" width="564"></td></tr>'
                '<tr><td class="mcnTextContent">A <em>Black Krim</em> tomato.</td></tr></table></td></tr></table>')
        doc = clean(html, mappings, "mailchimp_layout")
        figure = doc.find("figure")
        assert figure.img["src"].endswith("t.jpg") and figure.figcaption.get_text() == "A Black Krim tomato."

    def test_a_long_text_beside_an_image_stays_paragraphs(self, mappings):
        text = "".join(f"<p>Paragraph {i} about the plot.</p>" for i in range(3))
        html = (f'<table class="mcnCaptionBlock"><tr><td><img src="https://mcusercontent.com/a/images/t.jpg" width="300"></td>'
                f'<td class="mcnTextContent">{text}</td></tr></table>')
        assert clean(html, mappings, "mailchimp_layout").find("figure") is None

    def test_dividers_become_rules_between_content_only(self, mappings):
        divider = '<table class="mcnDividerBlock"><tr><td class="mcnDividerBlockInner"><span></span></td></tr></table>'
        html = f"{divider}<p>One.</p>{divider}{divider}<p>Two.</p>{divider}"
        assert as_markdown(html, mappings, "mailchimp_layout") == "One.\n\n---\n\nTwo."

    def test_a_lone_large_line_in_a_text_block_is_a_heading(self, mappings):
        html = ('<table><tr><td class="mcnTextContent" style="font-size:16px"><span style="font-size:26px">Plot news</span></td></tr></table>'
                '<table><tr><td class="mcnTextContent"><span style="font-size:26px">A long sentence in a large font, which is '
                'prose that happens to be big and not a heading at all, as anyone can see.</span></td></tr></table>'
                '<table><tr><td class="mcnTextContent"><span style="font-size:14px">Small</span></td></tr></table>')
        lines = as_markdown(html, mappings, "mailchimp_layout").split("\n\n")
        assert lines == ["## Plot news", "A long sentence in a large font, which is prose that happens to be big and not a "
                         "heading at all, as anyone can see.", "Small"]

    def test_plain_text_becomes_paragraphs_with_links(self, mappings):
        html = '<div style="white-space: pre-wrap;">Hello!\n\nSee https://growers.example.org/plots.\nBye.\n</div>'
        assert as_markdown(html, mappings, "mailchimp_layout") == "Hello!\n\nSee <https://growers.example.org/plots>.\\\nBye."

    def test_deep_layout_nesting_is_flattened_without_losing_headings(self, mappings):
        html = "<h1>Kept heading</h1>"
        for _ in range(40):
            html = f'<table role="presentation"><tbody><tr><td>{html}</td></tr></tbody></table>'
        issue = mailchimp_issue()
        assert as_markdown(html, mappings, "mailchimp_layout", issue=issue) == "# Kept heading"
        assert not issue.warnings

    def test_a_title_repeating_the_address_goes_and_a_doubled_scheme_is_repaired(self, mappings):
        html = ('<p><a href="https://a.example/x" title="https://a.example/x">https://a.example/x</a> '
                '<a href="http://https://b.example/y?z=1">the page</a></p>')
        assert as_markdown(html, mappings, "mailchimp_layout") == "<https://a.example/x> [the page](https://b.example/y?z=1)"


class TestClickTrackers:
    TRACKED = "https://growers.us6.list-manage.com/track/click?u=abc&amp;id=def&amp;e=123"

    def test_a_tracked_link_showing_its_address_links_to_it(self, mappings):
        html = f'<p>Map: <a href="{self.TRACKED}">https://growers.example.org/map</a></p>'
        assert as_markdown(html, mappings, "click_trackers") == "Map: <https://growers.example.org/map>"

    def test_a_tracked_link_with_words_keeps_them_and_is_reported(self, mappings):
        issue = mailchimp_issue()
        html = f'<p>Read <a href="{self.TRACKED}">the minutes</a>.</p>'
        assert as_markdown(html, mappings, "click_trackers", issue=issue) == "Read the minutes."
        assert "'the minutes'" in issue.warnings[0] and "list-manage.com" in issue.warnings[0]

    def test_a_tracker_that_carries_its_target_gives_it_back(self, mappings):
        html = '<p><a href="https://us6.mailchimp.com/mctx/clicks?url=https%3A%2F%2Fgrowers.example.org%2Fjoin&amp;h=x">Join</a></p>'
        assert as_markdown(html, mappings, "click_trackers") == "[Join](https://growers.example.org/join)"


@pytest.mark.parametrize("name", ["merge_tags", "mailchimp_layout", "click_trackers"])
def test_each_mailchimp_cleaner_is_a_no_op_for_revue(mappings, name):
    from migrate.errors import NotConfigured

    with pytest.raises(NotConfigured):
        CLEANERS[name].from_config({}, CleanContext(mappings, mappings.platform("revue")))


# ---------------------------------------------------------------------- any mix of tags and markup

PIECES = ["*|IF:FNAME|*", "*|IFNOT:ARCHIVE_PAGE|*", "*|IF:MC_PREVIEW_TEXT|*", "*|ELSEIF:ARCHIVE_PAGE|*", "*|ELSE:|*",
          "*|END:IF|*", "*|INTERESTED:A:B|*", "*|END:INTERESTED|*", "*|FNAME|*", "*|MC:SUBJECT|*", "*|DATE:Y|*", "*|ODD|*",
          "*|", "|*", "*", "|", "<p>", "</p>", "<b>", "</b>", "<table><tr><td>", "</td></tr></table>", "<br>", "words ",
          ", ", "!", "<!--*|IF:FNAME|*-->", "<!--*|END:IF|*-->", '<a href="*|UNSUB|*">out</a>', '<a href="*|X|*">x</a>',
          '<a href="https://e.example/?e=*|EMAIL|*&amp;k=1">k</a>', '<img alt="*|FNAME|*" src="https://e.example/i.png">']


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.booleans())
def test_any_mix_of_merge_tags_and_markup_leaves_no_tag_and_never_fails(mappings, pieces, described):
    issue = mailchimp_issue(title="Subject", description="Preview" if described else None, date=dt.date(2024, 1, 2))
    doc = clean("<body>" + "".join(pieces) + "</body>", mappings, "merge_tags", issue=issue)
    shown = "".join(str(node) for node in doc.find_all(string=True))
    attributes = [value for el in doc.find_all(True) for value in el.attrs.values() if isinstance(value, str)]
    assert not TAG.search(shown) and not any(TAG.search(value) for value in attributes)
