"""`check` finds what a careful author would fix before publishing, and nothing else."""
import pytest

from migrate.check import check_site
from migrate.errors import UserError
from migrate.standin import tiny_png


def site_with(tmp_path, pages: dict, images: dict | None = None):
    for name, text in pages.items():
        path = tmp_path / "content" / "issues" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, data in (images or {}).items():
        path = tmp_path / "static" / "images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def rules(tmp_path, body: str, head: str = "title: Fine\ndate: 2021-01-01\n", images=None) -> list[str]:
    site_with(tmp_path, {"001.md": f"---\n{head}---\n\n{body}\n"}, images)
    return sorted(f.rule for f in check_site(tmp_path))


def test_a_clean_page_has_no_findings(tmp_path):
    assert rules(tmp_path, "Text with [a link](https://a.example/?v=1) and ![img](/images/a.png)", images={"a.png": tiny_png(b"x")}) == []


@pytest.mark.parametrize("head, rule", [
    ("title: 'Runway ML&#x27;s'\ndate: 2021-01-01\n", "title"),
    ("title: 'Trailing '\ndate: 2021-01-01\n", "title"),
    ("title: Issue 1 | Revue\ndate: 2021-01-01\n", "title"),
    ("date: 2021-01-01\n", "title"),
    ("title: [unclosed\n", "front-matter"),
    ("title: Fine\ndate: yesterday\n", "front-matter"),
    ("title: Fine\n", "date"),
    ("title: Fine\ndate: 2021-01-01\naliases: issues/no-slash\n", "aliases"),
])
def test_each_front_matter_problem_is_reported_by_its_rule(tmp_path, head, rule):
    assert rule in rules(tmp_path, "Body.", head=head)


def test_a_draft_needs_no_date(tmp_path):
    assert rules(tmp_path, "Body.", head="title: Fine\ndraft: true\n") == []


@pytest.mark.parametrize("body, rule", [
    ("[a](https://a.example/?utm_medium=email)", "tracking"),
    ("![a](https://s3.amazonaws.com/revue/a.png)", "remote-image"),
    ("![a](/images/missing.png)", "broken-image"),
    ("![a](/images/fake.png)", "broken-image"),
    ("<script>alert(1)</script>", "unsafe"),
    ('<p onclick="x()">hi</p>', "unsafe"),
    ("[x](javascript:alert(1))", "unsafe"),
    ("<table><tr><td>layout</td></tr></table>", "layout-html"),
    ("Text <span>span</span>", "layout-html"),
    ("[Tweet](https://twitter.com/share?url=x)", "chrome"),
    ("Powered by Revue", "chrome"),
    ("Hi *|FNAME|*", "chrome"),
    ("[tweet https://twitter.com/a/status/1]", "chrome"),
    ("![](https://www.getrevue.co/profile/a/issues/1/open.gif)", "chrome"),
])
def test_each_body_problem_is_reported_by_its_rule(tmp_path, body, rule):
    assert rule in rules(tmp_path, body, images={"fake.png": b"<html>AccessDenied</html>"})


def test_an_alias_claimed_twice_is_found(tmp_path):
    page = "---\ntitle: {0}\ndate: 2021-01-01\naliases:\n  - /issues/same-1\n---\n\nBody.\n"
    site_with(tmp_path, {"001.md": page.format("One"), "002.md": page.format("Two")})
    (finding,) = check_site(tmp_path)
    assert finding.rule == "aliases" and "/issues/same-1" in finding.message


def test_a_folder_without_content_is_refused_as_not_a_site(tmp_path):
    with pytest.raises(UserError, match="has no content/ folder"):
        check_site(tmp_path)


def test_a_new_version_waiting_beside_an_edited_file_is_a_finding(tmp_path):
    page = "---\ntitle: One\ndate: 2021-01-01\n---\n\nBody.\n"
    site_with(tmp_path, {"001.md": page, "001.md.incoming": page})
    (finding,) = check_site(tmp_path)
    assert finding.rule == "conflict" and finding.file.endswith("001.md.incoming")


def test_a_file_is_held_to_its_own_platforms_leftovers(tmp_path):
    """Revue's issue may say "update your preferences" (Mailchimp's footer words) in its own
    prose; a file the tool did not write is held to every platform's leftovers."""
    from .support import REVUE, migrate

    migrate("revue-api", REVUE / "api-issues.json", tmp_path, download_images=False)
    issue = tmp_path / "content" / "issues" / "004.md"
    prose = "\nTo update your preferences for field notes, write to me.\n"
    issue.write_text(issue.read_text() + prose)
    (tmp_path / "content" / "issues" / "mine.md").write_text("---\ntitle: Mine\ndate: 2021-01-01\n---\n" + prose)
    assert [(f.file, f.rule) for f in check_site(tmp_path) if f.rule == "chrome"] == [("content/issues/mine.md", "chrome")]


@pytest.mark.parametrize("body, found", [
    ("Dear `*|FNAME|*`, in code it is an example.", False),
    ("```\nHi *|FNAME|*\n```", False),
    ("Dear \\*|FNAME|\\*, welcome.", True),
    ("Dear *|FNAME|*, welcome.", True),  # Markdown reads it as emphasis around |FNAME|
])
def test_merge_tags_are_found_in_prose_not_in_code(tmp_path, body, found):
    assert ("chrome" in rules(tmp_path, body)) is found
