"""What a reader sees of cards, captions and bare addresses: a link card is one card, a caption
is written once and only where the platform showed one, and a bare address stays one link."""
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from migrate.converters.markdown import to_markdown

from .test_substack_cleaners import clean

THUMB = "https://s3.amazonaws.com/revue/items/images/002/114/208/thumb/seed-library.jpg?1490000000"
PAGE = "https://seedsavers.example.org/library/how-it-works"


def md(html: str) -> str:
    return to_markdown(BeautifulSoup(html, "lxml"))


# ---------------------------------------------------------------------- link cards

# A card of Revue's saved pages: linked thumbnail, .link-title, description, ".link-url" line.
PAGE_CARD = f"""<div style="cursor:auto;color:#3B424B;font-size:13px;">
  <a target="_blank" style="text-decoration: none;" href="{PAGE}?utm_campaign=Issue&amp;utm_medium=email&amp;utm_source=revue">
    <img width="140" height="140" alt="" align="right" class="link-image" src="{THUMB}" />
  </a>
  <div class="link-title" style="font-size: 20px; font-weight: 600;"><a target="_blank" href="{PAGE}?utm_campaign=Issue&amp;utm_medium=email&amp;utm_source=revue">How a seed library works</a></div>
  <div class="serif small-text"><div style="margin: 0;" class="revue-p">Borrow, grow, return.</div></div>
  <div class="link-url" style="font-size: 14px;">
    <a target="_blank" href="http://rev.vu/AbC12?utm_campaign=Issue&amp;utm_content=domain&amp;utm_medium=email">seedsavers.example.org</a>
     &bull; <a target="_blank" href="http://rev.vu/AbC12?utm_campaign=Issue&amp;utm_content=share&amp;utm_medium=email">share</a>
  </div>
</div>"""

# A card of Revue's API item HTML: floated thumbnail, title and domain linked in a block <strong>.
API_CARD = f"""<p>
<img width="140" height="140" alt="How a seed library works" style="float: right; margin-left: 20px;" src="{THUMB}" />
<strong style='display: block;'><a href="{PAGE}?utm_campaign=Seeds&amp;utm_medium=email&amp;utm_source=Revue%20newsletter">How a seed library works</a> &mdash; <a href="{PAGE}">seedsavers.example.org</a></strong>
<p>Borrow, grow, return.</p>
</p>
<div style='clear: both;'></div>
<p><p>Our own shelf opens in May.</p></p>"""

ONE_CARD = (f"![]({THUMB})\n\n**[How a seed library works]({PAGE})** — seedsavers.example.org\n\nBorrow, grow, return.\n")


@pytest.mark.parametrize("html", [PAGE_CARD, API_CARD], ids=["saved page", "api item"])
def test_a_revue_link_card_is_one_card_linking_its_page_once(mappings, html):
    markdown, _ = clean(mappings, html, platform="revue")
    card = markdown.split("Our own shelf")[0].strip() + "\n"
    assert card.replace(f"![How a seed library works]({THUMB})", f"![]({THUMB})") == ONE_CARD
    assert markdown.count(PAGE) == 1


def test_the_domain_goes_where_the_title_already_names_it(mappings):
    html = API_CARD.replace("How a seed library works</a> &mdash;", "seedsavers.example.org: the library</a> &mdash;")
    markdown, _ = clean(mappings, html, platform="revue")
    assert f"**[seedsavers.example.org: the library]({PAGE})**\n" in markdown and "— seedsavers" not in markdown


# ---------------------------------------------------------------------- captions


def test_a_caption_said_again_beside_its_picture_is_written_once():
    html = ('<figure><a href="https://www.youtube.com/watch?v=Xy12"><img src="/images/t.jpg" alt=""></a>'
            '<figcaption>Pricking out seedlings, in two minutes</figcaption></figure>'
            '<p>Pricking out seedlings, in two minutes</p><p>Then water them in.</p>')
    assert md(html).count("Pricking out seedlings") == 1 and "_Pricking out seedlings, in two minutes_" in md(html)


def test_a_paragraph_that_only_resembles_a_caption_stays():
    html = '<figure><img src="/images/t.jpg" alt=""><figcaption>Seedlings</figcaption></figure><p>Seedlings, later.</p>'
    assert "Seedlings, later." in md(html)


def test_a_substack_images_title_is_no_caption_but_a_revue_images_is(mappings):
    html = '<p><img src="https://example.org/leeks.png" alt="Leeks" title="leeks-final-v2.png"></p><p>Text.</p>'
    substack, _ = clean(mappings, html, platform="substack")
    revue, _ = clean(mappings, html, platform="revue")
    assert "_leeks-final-v2.png_" not in substack and "_leeks-final-v2.png_" in revue


# ---------------------------------------------------------------------- bare addresses


@pytest.mark.parametrize("html, written", [
    ("<p>Watch https://twitter.com/_TheFigen/status/1653 now.</p>", "Watch <https://twitter.com/_TheFigen/status/1653> now."),
    ("<p>(see https://en.wikipedia.org/wiki/Leek_(vegetable)).</p>", "(see <https://en.wikipedia.org/wiki/Leek_(vegetable)>)."),
    ("<p>At https://a.example/x_y, then _z_.</p>", "At <https://a.example/x_y>, then \\_z\\_."),
])
def test_a_bare_address_is_one_autolink_with_nothing_escaped_inside(html, written):
    assert md(html).strip() == written


def test_the_autolink_is_the_whole_address_when_rendered():
    rendered = MarkdownIt("commonmark").render(md("<p>Watch https://twitter.com/_TheFigen/status/1653 now.</p>"))
    assert 'href="https://twitter.com/_TheFigen/status/1653"' in rendered


def test_an_address_that_is_a_links_text_stays_that_links_text():
    assert md('<p><a href="https://a.example/?id=1">https://a.example/_x</a></p>').strip() == "[https://a.example/\\_x](https://a.example/?id=1)"


# ---------------------------------------------------------------------- lists


def test_a_list_written_straight_inside_a_list_stays_the_sublist_it_showed_as(mappings):
    html = ('<div class="revue-p">In 1997 you needed:</div><ul style=""><li style="">a fast connection</li>'
            '<ul style=""><li style="">T1 at work</li><li style="">ISDN at home</li></ul><li style="">a sound card</li></ul>')
    markdown, _ = clean(mappings, html, platform="revue")
    shown = BeautifulSoup(MarkdownIt("commonmark").render(markdown), "lxml")
    (outer,) = [ul for ul in shown.find_all("ul") if ul.parent.name != "li"]
    assert [li.find(string=True).strip() for li in outer.find_all("li", recursive=False)] == ["a fast connection", "a sound card"]
    assert [li.get_text() for li in outer.li.ul.find_all("li")] == ["T1 at work", "ISDN at home"]
