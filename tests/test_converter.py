"""HTML to Markdown, one behaviour per test: the reference site's style, and escaping only where
Markdown would otherwise act on the text."""
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from migrate.converters import break_sentences, to_markdown


def md(html: str, sentences: bool = False) -> str:
    doc = BeautifulSoup(html, "lxml")
    if sentences:
        break_sentences(doc)
    return to_markdown(doc).rstrip("\n")


def rendered_text(markdown: str) -> str:
    """What a reader sees: the Markdown rendered by a CommonMark parser, tags stripped."""
    return BeautifulSoup(MarkdownIt("commonmark").render(markdown), "lxml").get_text()


def test_headings_are_atx():
    assert md("<h2>Cool Things ✨</h2>") == "## Cool Things ✨"


def test_strong_is_double_asterisks_and_em_is_underscores():
    assert md("<p><strong>Bold</strong> and <em>italic</em></p>") == "**Bold** and _italic_"


def test_em_inside_a_word_uses_asterisks_because_underscores_would_not_work():
    assert md("<p>un<em>believ</em>able</p>") == "un*believ*able"


def test_bullets_are_asterisks():
    assert md("<ul><li>one</li><li>two</li></ul>") == "* one\n* two"


def test_ordered_lists_keep_their_start():
    assert md('<ol start="3"><li>three</li><li>four</li></ol>') == "3. three\n4. four"


def test_links_keep_their_url_exactly():
    assert md('<p><a href="https://a.example/p?v=1#f">text</a></p>') == "[text](https://a.example/p?v=1#f)"


def test_a_link_whose_text_is_its_url_becomes_an_autolink():
    assert md('<p><a href="https://a.example/x_y">https://a.example/x_y</a></p>') == "<https://a.example/x_y>"


def test_urls_with_spaces_or_parentheses_are_wrapped_so_they_survive():
    assert md('<p><a href="https://en.example.org/wiki/F_(x)">f</a></p>') == "[f](<https://en.example.org/wiki/F_(x)>)"
    assert rendered_text(md('<p><a href="https://en.example.org/wiki/F_(x)">f</a></p>')) == "f\n"


def test_a_figure_is_image_blank_line_italic_caption():
    html = '<figure><img src="/images/a.png" alt="A crane"><figcaption>A crane at dawn.</figcaption></figure>'
    assert md(html) == "![A crane](/images/a.png)\n\n_A crane at dawn._"


def test_brackets_in_alt_text_cannot_break_the_image():
    assert md('<p><img src="/a.png" alt="see [1]"></p>') == "![see \\[1\\]](/a.png)"


def test_blockquote_lines_are_prefixed():
    assert md("<blockquote><p>One.</p><p>Two.</p></blockquote>") == "> One.\n>\n> Two."


def test_line_breaks_are_backslashes_not_trailing_spaces():
    assert md("<p>one<br>two</p>") == "one\\\ntwo"


def test_html_whitespace_is_collapsed():
    assert md("<p>  many\n\n   spaces\there </p>") == "many spaces here"


@pytest.mark.parametrize("text, markdown", [
    ("2 * 3 = 6", "2 * 3 = 6"),                  # a lone asterisk cannot start emphasis
    ("*not bold*", "\\*not bold\\*"),
    ("snake_case_name", "snake_case_name"),         # underscores inside words are literal
    ("_private", "\\_private"),
    ("[Amazon’s Mechanical Turk platform (MTurk)]", "[Amazon’s Mechanical Turk platform (MTurk)]"),
    ("[x](y)", "[x\\](y)"),
    ("use the <div> tag", "use the \\<div> tag"),
    ("a < b", "a < b"),
    ("`code`", "\\`code\\`"),
    ("&copy; stays text", "\\&copy; stays text"),
    ("C:\\Users\\me", "C:\\Users\\me"),
    ("~~struck~~", "\\~\\~struck\\~\\~"),
])
def test_text_is_escaped_only_where_markdown_would_act(text, markdown):
    doc = BeautifulSoup("<p></p>", "lxml")
    doc.p.string = text
    assert to_markdown(doc).rstrip("\n") == markdown
    assert rendered_text(markdown).strip() == text


@pytest.mark.parametrize("text", ["# not a heading", "- not a bullet", "+ nor this", "1. not a list", "> not a quote", "==="])
def test_text_that_would_start_markdown_syntax_at_a_line_start_is_escaped(text):
    doc = BeautifulSoup("<p></p>", "lxml")
    doc.p.string = text
    markdown = to_markdown(doc)
    assert rendered_text(markdown).strip() == text
    assert "<p>" in MarkdownIt("commonmark").render(markdown)


def test_hugo_shortcode_openers_in_text_stay_text():
    doc = BeautifulSoup("<p></p>", "lxml")
    doc.p.string = 'Write {{< youtube id >}} in Hugo'
    markdown = to_markdown(doc)
    assert "{{<" not in markdown
    assert rendered_text(markdown).strip() == 'Write {{< youtube id >}} in Hugo'


def rendered_html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


@pytest.mark.parametrize("html, seen", [
    ("<p>{<b>{&lt; x &gt;}}</b></p>", "{{< x >}}"),                 # spelled across two elements
    ("<p>{{<span></span>% note %}}</p>", "{{% note %}}"),
    ('<p>{<a href="https://example.org">https://example.org</a></p>', "{https://example.org"),  # no `{<https://...>`
    ('<p>{{<sup><a href="https://x.org/">https://x.org/</a></sup></p>', "{{https://x.org/"),  # nor through an inline parent
    ('<p>a <ruby>x<rt>{{&lt; param "t" &gt;}}</rt></ruby> b</p>', 'a x{{< param "t" >}} b'),  # ruby text is text too
])
def test_hugo_shortcode_openers_across_elements_stay_text(html, seen):
    markdown = md(html)
    assert "{{<" not in markdown and "{{%" not in markdown
    assert rendered_text(markdown).strip() == seen


def test_hugo_shortcode_openers_in_code_are_kept_apart_by_a_zero_width_space():
    markdown = md("<pre>{{&lt; youtube id &gt;}}</pre><p>Inline: <code>{{% x %}}</code></p>")
    assert "{{<" not in markdown and "{{%" not in markdown
    assert rendered_text(markdown).replace("\u200b", "").split() == ["{{<", "youtube", "id", ">}}", "Inline:", "{{%", "x", "%}}"]


def test_hugo_shortcode_openers_in_alt_titles_and_urls_stay_inert():
    markdown = md('<p><a href="https://example.org/{{%x" title="a {{< b">link</a>'
                  '<img src="https://example.org/i.png" alt="{{< alt"></p>')
    assert "{{<" not in markdown and "{{%" not in markdown
    page = BeautifulSoup(rendered_html(markdown), "lxml")
    assert page.a["title"] == "a {{< b" and page.img["alt"] == "{{< alt"
    assert page.a["href"] == "https://example.org/%7B%7B%25x"  # what a browser sends for `{{%x` anyway


def test_a_pre_inside_a_pre_is_one_code_block():
    html = "<pre><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></pre>"
    page = BeautifulSoup(rendered_html(md(html)), "lxml")
    assert not page.find("script") and page.pre.code.get_text() == "<script>alert(1)</script>\n"


def test_a_code_block_fence_is_longer_than_any_backtick_run_inside_it():
    html = "<pre>before\n```\n&lt;b&gt;escaped?&lt;/b&gt;\n````</pre>"
    page = BeautifulSoup(rendered_html(md(html)), "lxml")
    assert len(page.find_all("pre")) == 1 and not page.find("b")
    assert page.pre.get_text() == "before\n```\n<b>escaped?</b>\n````\n"


def test_inline_code_holding_blocks_stays_one_span_and_its_text_stays_text():
    html = "<p>See <code><p>a</p><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></code> here.</p>"
    page = BeautifulSoup(rendered_html(md(html)), "lxml")
    assert not page.find("script") and page.code.get_text() == "a <script>alert(1)</script>"


@pytest.mark.parametrize("html, span", [
    ("<p><code>npm install\n  foo</code></p>", "npm install foo"),   # a wrapped source line is not a line break
    ("<p>x <code>a&#13;&#13;&lt;script&gt;</code> y</p>", "a <script>"),  # nor are carriage returns
])
def test_whitespace_in_inline_code_collapses_as_html_shows_it(html, span):
    page = BeautifulSoup(rendered_html(md(html)), "lxml")
    assert not page.find("pre") and not page.find("script") and page.code.get_text() == span


def test_code_alone_in_its_block_with_line_breaks_becomes_a_code_block():
    page = BeautifulSoup(rendered_html(md("<div><code>one()<br>&lt;two&gt;</code></div>")), "lxml")
    assert page.pre.code.get_text() == "one()\n<two>\n"


@pytest.mark.parametrize("html", [
    '<nm-shortcode data-name="param" data-id="x"></nm-shortcode>',
    '<nm-shortcode data-name="youtube" data-id=\'a" >}}{{< x\'></nm-shortcode>',
    '<nm-shortcode data-name="x" data-user="a b" data-id="1"></nm-shortcode>',
])
def test_only_known_shortcodes_with_plain_values_are_written(html):
    assert md(html) == ""


def test_shortcode_elements_become_hugo_shortcodes():
    html = '<nm-shortcode data-name="youtube" data-id="AbCdEfGhIjK"></nm-shortcode><nm-shortcode data-name="x" data-user="a" data-id="1"></nm-shortcode>'
    assert md(html) == '{{< youtube AbCdEfGhIjK >}}\n\n{{< x user="a" id="1" >}}'


class TestOneSentencePerLine:
    def test_sentences_in_a_paragraph_get_a_line_each(self):
        assert md("<p>One thing. Another! A third? Yes.</p>", sentences=True) == "One thing.\nAnother!\nA third?\nYes."

    def test_a_break_after_bold_text_goes_outside_the_bold(self):
        html = "<p><strong>Thanks for reading!</strong> As usual, reply to this email.</p>"
        assert md(html, sentences=True) == "**Thanks for reading!**\nAs usual, reply to this email."

    def test_a_break_at_the_end_of_bold_text_is_moved_out_of_it(self):
        html = "<p><strong>Thanks for reading! </strong>As usual.</p>"
        assert md(html, sentences=True) == "**Thanks for reading!**\nAs usual."

    def test_sentences_inside_link_text_split_too(self):
        html = '<p>See <a href="https://a.example/">C# or Java? TypeScript or JavaScript?</a>.</p>'
        assert md(html, sentences=True) == "See [C# or Java?\nTypeScript or JavaScript?](https://a.example/)."

    def test_no_split_before_lower_case_or_after_a_closing_quote(self):
        html = "<p>Use e.g. this one. He said “stop.” Then left.</p>"
        assert md(html, sentences=True) == "Use e.g. this one.\nHe said “stop.” Then left."

    def test_list_items_and_headings_stay_on_one_line(self):
        assert md("<ul><li>One. Two.</li></ul><h2>A. B.</h2>", sentences=True) == "* One. Two.\n\n## A. B."

    def test_quotes_split_and_keep_their_marker(self):
        assert md("<blockquote>First line. – Someone</blockquote>", sentences=True) == "> First line.\n> – Someone"

    def test_a_sentence_starting_like_a_list_item_is_escaped(self):
        markdown = md("<p>We ranked them. 1. The crane was first.</p>", sentences=True)
        assert markdown == "We ranked them.\n1\\. The crane was first."
        assert "<ol" not in MarkdownIt("commonmark").render(markdown)


def test_newlines_inside_a_pre_stay_apart_however_deep_the_pre_holds_them():
    html = "<pre><span><b>first\n\n\n</b><i>\n\nsecond</i></span></pre><div><p>a</p>\n\n\n<p>b</p></div>"
    doc = BeautifulSoup(html, "lxml")
    markdown = to_markdown(doc)
    assert "first\n\n\n\n\nsecond" in markdown        # inside the <pre>: as written
    assert markdown.endswith("a\n\nb\n")                   # outside: blocks collapse to one blank line


def test_the_converter_finds_parents_as_bs4_does_and_leaves_the_tree_as_it_found_it():
    from migrate.converters.markdown import _ReadTag

    from .support import FIXTURES

    for path in sorted(FIXTURES.rglob("*.html"))[:12] + [None]:
        doc = BeautifulSoup(path.read_bytes() if path else "<svg:g><pre><svg:rect>x</svg:rect></pre></svg:g>", "lxml")
        tags = doc.find_all(True)
        for tag in tags:
            read = _ReadTag.find_parent(tag, "pre"), _ReadTag.find_parent(tag, "td"), _ReadTag.find_parent(tag, "svg:g")
            assert read == (tag.find_parent("pre"), tag.find_parent("td"), tag.find_parent("svg:g"))
            assert all(a is b for a, b in zip(read, (tag.find_parent("pre"), tag.find_parent("td"), tag.find_parent("svg:g"))))
        to_markdown(doc)
        assert {type(tag).__name__ for tag in doc.find_all(True)} <= {"Tag"}
