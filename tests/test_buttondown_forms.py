"""Buttondown's three source forms, each in the layout Buttondown documents, with the same emails:
the API's GET /v1/emails body, the export (emails.csv, whose columns are id, secondary_id,
subject, publish_date, source, email_type, slug, and emails/<slug>.md bodies opening with the
editor-mode sigil; a folder or its zip) and a `buttondown pull` folder (emails/<slug>.md with YAML
front matter, images in media/ named as ../media/<file>).

The emails cover both editor modes, a web/email template conditional, `[TOC]`, a 4-space nested
list, fenced code with a language, a bare YouTube URL, a real `{{ email_url }}`, and every
email_type and status that decides whether an email was public."""
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.errors import UserError
from migrate.standin import Account, StandinServer
from migrate.urls import Remap

from .support import FIXTURES, migrate, report_of

KINDS = FIXTURES / "buttondown"
USER = {"username": "harbourlog"}
CSV_FORMS = ("export", "export-zip")
FORMS = ("api", "export", "export-zip", "pull")


@pytest.fixture(scope="module")
def assets():
    server = StandinServer(Account(issues=lambda: [])).start()
    yield [Remap.parse(f"https://assets.buttondown.email={server.url}/assets")]
    server.stop()


def source_of(form: str, folder: Path) -> tuple[str, Path, dict]:
    if form == "api":
        return "buttondown-api", KINDS / "kinds-api.json", {}
    if form == "export":
        return "buttondown-export", KINDS / "kinds-export", dict(USER)
    if form == "export-zip":
        archive = folder / "buttondown-export.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            for path in sorted((KINDS / "kinds-export").rglob("*")):
                if path.is_file():
                    handle.write(path, path.relative_to(KINDS / "kinds-export").as_posix())
        return "buttondown-export", archive, dict(USER)
    return "buttondown-export", KINDS / "kinds-pull", dict(USER)


def run(form: str, folder: Path, assets, **options):
    platform, source, platform_options = source_of(form, folder)
    platform_options.update(options.pop("platform_options", {}))
    site = folder / "site"
    report = migrate(platform, source, site, remaps=assets, platform_options=platform_options, **options)
    return site, report


@pytest.fixture(scope="module", params=FORMS)
def migrated(request, tmp_path_factory, assets):
    form = request.param
    site, report = run(form, tmp_path_factory.mktemp(form), assets)
    return form, site, report


@pytest.fixture(scope="module")
def body(migrated) -> str:
    """The body of the plaintext email that holds the template, [TOC], the list, the code and the embed."""
    return page(migrated[1], "001.md")[1]


def page(site: Path, name: str) -> tuple[dict, str]:
    head, body = split_front_matter((site / "content" / "issues" / name).read_text(encoding="utf-8"))
    return yaml.safe_load(head), body


# ---------------------------------------------------------------------- the whole run

def test_every_form_migrates_and_check_finds_nothing(migrated):
    form, site, report = migrated
    assert check_site(site) == []
    assert not report.problems and not any(e["failures"] for e in report.issues), report.lines()


# ---------------------------------------------------------------------- bodies

def test_the_web_branch_of_a_template_conditional_is_kept_and_the_email_branch_dropped(body):
    assert "have moved to the web version" not in body and "Reply to this email" not in body
    assert "{%" not in body and "{{" not in body
    assert body.lstrip().startswith("Good morning. This is Tide tables for week 32, number 1.\n")  # {{ email.subject }}, {{ email.secondary_id }}


def test_a_real_email_url_leads_to_the_issues_own_new_page(body):
    assert "Thanks for reading on the web: [this issue\u2019s own page](/issues/001/)." in body


def test_toc_becomes_a_list_of_the_headings(body):
    assert "* [High water](#high-water)\n* [Reading the chart](#reading-the-chart)\n\n## High water" in body


def test_a_four_space_nested_list_stays_nested(body):
    assert "* Monday\n  * 06:12 at the harbour mouth\n  * 18:40 at the quay\n* Tuesday" in body


def test_fenced_code_keeps_its_language_and_strikethrough_stays(body):
    assert "```python\ndef height(hour):\n    return 2.4 + 1.1 * hour\n```" in body
    assert "~~Cancelled~~ the Friday walk." in body


def test_a_bare_youtube_url_on_its_own_line_is_an_embed_link(body):
    assert "\n\n<https://www.youtube.com/watch?v=Hb0urTd4l3s>\n\n" in body


def test_raw_html_lists_become_markdown_and_their_links_lose_tracking(body):
    assert "<ul>" not in body and "<li>" not in body
    assert "* Bring a flask\n* Check the [coast forecast](https://weather.example.org/coast)" in body
    assert "[almanac](https://almanac.example.org/tides?week=32)" in body and "utm_" not in body


def test_a_fancy_body_is_html_and_its_indented_html_is_no_code_block(migrated):
    _, site, _ = migrated
    _, body = page(site, "002.md")
    assert "```" not in body and "<p>" not in body
    assert "The new lamp on the east pier shines in the photo below." in body and "web version" not in body
    assert "Lit every evening at **dusk**." in body
    assert "![The east pier lamp](/images/" in body  # from assets.buttondown.email, or ../media/ in a pull folder


# ---------------------------------------------------------------------- who an email was for

@pytest.mark.parametrize("name, audience", [("003.md", "premium"), ("004.md", "free"), ("005.md", "churned")])
def test_an_email_for_part_of_the_readers_is_a_draft_with_its_audience_and_no_alias(migrated, name, audience):
    _, site, _ = migrated
    fields, _ = page(site, name)
    assert fields["draft"] is True and fields["audience"] == audience and "aliases" not in fields


def test_the_summary_counts_the_drafts_kept_back_for_their_audience(migrated):
    _, site, report = migrated
    assert report_of(site)["summary"]["drafts_for_part_of_the_readers"] == 3
    assert ("Written as drafts because they were only for part of the readers: 3 (churned: 1, free: 1, premium: 1); "
            "publish them on purpose with --platform-option publish_audiences=churned,free,premium.") in report.lines()


def test_a_private_email_is_a_draft_and_an_archival_one_is_public(migrated):
    _, site, _ = migrated
    private, _ = page(site, "006.md")
    assert private["draft"] is True and "aliases" not in private and "audience" not in private
    archival, _ = page(site, "007.md")
    assert "draft" not in archival and archival["aliases"] == ["/harbourlog/archive/old-logbook/"]
    assert str(archival["date"]) == "2019-03-02"


def test_an_email_never_sent_is_a_draft_with_no_date_and_no_invented_address(migrated):
    _, site, _ = migrated
    fields, _ = page(site, "next-week.md")
    assert fields == {"title": "Next week (unsent)", "draft": True}


def test_a_suppressed_email_is_a_draft_with_the_reason(migrated):
    form, site, report = migrated
    if form in CSV_FORMS:
        pytest.skip("the export's CSV has no status column")
    fields, _ = page(site, "flagged.md")
    assert fields["draft"] is True and "aliases" not in fields
    assert any("has the status 'suppressed'" in w for e in report.issues for w in e["warnings"])


def test_publish_audiences_publishes_them_on_purpose_with_their_old_paths(tmp_path, assets):
    site, report = run("api", tmp_path, assets, platform_options={"publish_audiences": "premium,free,churned"})
    for name, audience, slug in [("003.md", "premium", "members-chart"), ("004.md", "free", "free-readers"), ("005.md", "churned", "come-back")]:
        fields, _ = page(site, name)
        assert "draft" not in fields and fields["audience"] == audience and fields["aliases"] == [f"/harbourlog/archive/{slug}/"]
    assert report.summary()["drafts_for_part_of_the_readers"] == 0


def test_an_audience_buttondown_does_not_have_is_refused_before_anything_is_written(tmp_path, assets):
    with pytest.raises(UserError, match=r"publish_audiences=paid is not an audience of this platform's; use premium, free, churned\."):
        run("api", tmp_path, assets, platform_options={"publish_audiences": "paid"})
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------------- the API's own fields

def test_archival_mode_disabled_means_never_in_the_archive(tmp_path, assets):
    site, _ = run("api", tmp_path, assets)
    fields, _ = page(site, "008.md")
    assert fields["draft"] is True and "aliases" not in fields


def test_canonical_url_is_kept_as_an_alias_and_image_becomes_the_local_social_image(tmp_path, assets):
    site, report = run("api", tmp_path, assets)
    harbour, _ = page(site, "002.md")
    assert harbour["aliases"] == ["/harbourlog/archive/harbour-lights/", "/2024/harbour-lights/"]
    tide, _ = page(site, "001.md")
    (image,) = tide["images"]
    assert image.startswith("/images/") and (site / "static" / image.lstrip("/")).is_file()


# ---------------------------------------------------------------------- options

def test_toc_drop_leaves_the_contents_out(tmp_path, assets):
    site, _ = run("export", tmp_path, assets, platform_options={"toc": "drop"})
    _, body = page(site, "001.md")
    assert "(#high-water)" not in body and "[TOC]" not in body and "## High water" in body


def test_with_embeds_as_shortcodes_a_bare_youtube_url_is_hugos_youtube_shortcode(tmp_path, assets):
    site, _ = run("export", tmp_path, assets, embeds="shortcode")
    _, body = page(site, "001.md")
    assert "\n\n{{< youtube Hb0urTd4l3s >}}\n\n" in body


def test_an_export_without_urls_asks_for_the_username_once_not_per_email(tmp_path, assets):
    platform, source, _ = source_of("export", tmp_path)
    report = migrate(platform, source, tmp_path / "site", remaps=assets)
    lines = [line for line in report.lines() if "username=" in line]
    assert lines == ["Note on emails.csv: 3 email(s) have no archive URL in the source; add --platform-option "
                     "username=<your Buttondown username> to keep each one's buttondown.com/<username>/archive/<slug>/ address"]
    fields, _ = page(tmp_path / "site", "001.md")
    assert "aliases" not in fields


# ---------------------------------------------------------------------- images of a pull folder

def pull_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "pull"
    shutil.copytree(KINDS / "kinds-pull", folder)
    return folder


def with_image(folder: Path, src: str) -> None:
    body = folder / "emails" / "old-logbook.md"
    body.write_text(body.read_text() + f"\n![A chart]({src})\n")


def test_a_media_image_of_a_pull_folder_is_stored_like_a_downloaded_one(tmp_path, assets):
    site, report = run("pull", tmp_path, assets)
    harbour = next(e for e in report.issues if e["output"] == "content/issues/002.md")
    (image,) = [i for i in harbour["images"] if i["url"].startswith("media/")]
    assert image["url"] == "media/east-pier.png (in the source)" and image["file"].endswith(".png")
    assert (site / image["file"]).read_bytes() == (KINDS / "kinds-pull" / "media" / "east-pier.png").read_bytes()


def test_an_image_path_that_climbs_out_of_the_source_is_never_read(tmp_path, assets):
    folder = pull_copy(tmp_path)
    (tmp_path / "secret.png").write_bytes((folder / "media" / "east-pier.png").read_bytes())
    with_image(folder, "../../secret.png")
    site = tmp_path / "site"
    report = migrate("buttondown-export", folder, site, remaps=assets, platform_options=dict(USER))
    (failure,) = [f for e in report.issues for f in e["failures"]]
    assert "outside the source folder" in failure
    assert len(list((site / "static" / "images").iterdir())) == 2  # the pier lamp and the social image only


def test_an_image_reached_through_a_symbolic_link_is_never_read(tmp_path, assets):
    folder = pull_copy(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "chart.png").write_bytes((folder / "media" / "east-pier.png").read_bytes()[:-1] + b"\x00")
    (folder / "media" / "linked").symlink_to(outside / "chart.png")
    with_image(folder, "../media/linked")
    with pytest.raises(UserError, match="symbolic link that leads outside"):  # the folder is refused whole
        migrate("buttondown-export", folder, tmp_path / "site", remaps=assets, platform_options=dict(USER))
    (folder / "media" / "linked").unlink()
    shutil.copy(KINDS / "kinds-pull" / "emails" / "old-logbook.md", folder / "emails" / "old-logbook.md")
    (folder / "media" / "inside.png").symlink_to(folder / "media" / "east-pier.png")  # a link inside is still a link
    with_image(folder, "../media/inside.png")
    report = migrate("buttondown-export", folder, tmp_path / "site", remaps=assets, platform_options=dict(USER))
    failures = [f for e in report.issues for f in e["failures"]]
    assert failures and all("symbolic link" in f for f in failures)
