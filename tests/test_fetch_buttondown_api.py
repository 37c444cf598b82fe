"""buttondown-api: the live API behind a loopback stand-in (key, pages, throttling, faults), or a
saved response body; Buttondown's bodies, statuses and URL forms."""
import json
import logging
import os
import subprocess
import sys

import pytest

from migrate.check import check_site
from migrate.cli import build_parser, main, options_from_args
from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.fetchers.buttondown import body_mode, buttondown_issue_ref, render_body
from migrate.fetchers.buttondown_api import DEFAULT_BASE
from migrate.http import HttpClient, HttpSettings
from migrate.record import Issue, SourceProblem
from migrate.urls import Remap

from .platform_servers import ButtondownApi
from .support import FIXTURES, migrate, read_issue, report_of, site_tree

KEY = "bd-key-3f9a1c"
EMAILS = FIXTURES / "buttondown" / "api-emails.json"


def emails() -> list[dict]:
    return json.loads(EMAILS.read_text())


@pytest.fixture
def api(monkeypatch):
    server = ButtondownApi(emails(), KEY, page_size=2)
    monkeypatch.setenv("BUTTONDOWN_API_KEY", KEY)
    yield server
    server.stop()


def entries(source, mappings, client=None, **options):
    fetcher = get_fetcher("buttondown-api")(str(source), FetchContext(client or HttpClient(), mappings, options=options))
    return list(fetcher.entries())


def assets(server) -> list[Remap]:
    return [Remap.parse(f"https://assets.buttondown.email={server.url}/assets")]


def by_id(found) -> dict:
    return {e.source_id: e for e in found if isinstance(e, Issue)}


class TestLiveApi:
    def test_every_page_is_followed_through_next(self, api, mappings):
        found = entries(api.url, mappings)
        assert api.hits("/v1/emails") == 3  # five emails, two to a page
        assert [e.source_id for e in found] == [e["id"] for e in emails()]

    def test_the_key_goes_in_the_authorization_header(self, api, mappings):
        entries(api.url, mappings)
        assert {headers.get("Authorization") for _, headers in api.requests} == {f"Token {KEY}"}

    def test_a_base_with_or_without_v1_reaches_the_emails_endpoint(self, api, mappings):
        for base in (api.url, f"{api.url}/v1", f"{api.url}/v1/", f"{api.url}/v1/emails"):
            assert len(entries(base, mappings)) == 5

    def test_throttling_is_waited_out_as_retry_after_asks(self, api, mappings):
        waited = []
        api.fail(2, 429, Retry_After="7")
        api.fail(1, 503)
        found = entries(api.url, mappings, HttpClient(sleep=waited.append))
        assert len(by_id(found)) == 5
        assert 7.0 in waited
        assert api.hits("/v1/emails") == 5  # three pages, two of them asked twice

    def test_a_page_that_keeps_failing_keeps_the_emails_before_it_and_says_what_is_missing(self, api, mappings):
        for _ in range(3):
            api.fail(2, 500)
        client = HttpClient(settings=HttpSettings(attempts=2), sleep=lambda _: None)
        found = entries(api.url, mappings, client)
        assert [type(e) for e in found] == [Issue, Issue, SourceProblem]
        assert "page" in found[-1].reason and "run again" in found[-1].reason

    def test_a_next_link_to_another_server_is_not_followed(self, api, mappings):
        api.next_base = "https://api.elsewhere.example"
        found = entries(api.url, mappings)
        assert api.hits("/v1/emails") == 1
        assert len(by_id(found)) == 2 and "another server" in found[-1].reason

    def test_no_key_names_the_variable_to_set(self, api, mappings, monkeypatch):
        monkeypatch.delenv("BUTTONDOWN_API_KEY")
        with pytest.raises(UserError, match="BUTTONDOWN_API_KEY"):
            entries(api.url, mappings)

    def test_no_key_is_refused_before_anything_is_written_or_asked(self, api, tmp_path, monkeypatch, capsys):
        monkeypatch.delenv("BUTTONDOWN_API_KEY")
        status = main(["run", "--platform", "buttondown-api", "--source", api.url, "--site", str(tmp_path / "site"), "--quiet"])
        assert status == 2 and "Set BUTTONDOWN_API_KEY" in capsys.readouterr().err
        assert not (tmp_path / "site").exists() and api.hits("/v1/emails") == 0

    def test_an_account_with_no_emails_says_so_in_the_report(self, tmp_path, monkeypatch):
        monkeypatch.setenv("BUTTONDOWN_API_KEY", KEY)
        server = ButtondownApi([], KEY)
        try:
            migrate("buttondown-api", server.url, tmp_path, download_images=False)
        finally:
            server.stop()
        warnings = report_of(tmp_path)["source_warnings"]
        assert [w["warning"] for w in warnings if "listed no emails" in w["warning"]], warnings

    def test_a_wrong_key_is_refused_in_one_sentence_that_does_not_show_it(self, api, tmp_path, monkeypatch, capsys):
        monkeypatch.setenv("BUTTONDOWN_API_KEY", "wrong-key-77d0")
        status = main(["run", "--platform", "buttondown-api", "--source", api.url, "--site", str(tmp_path / "site"), "--quiet"])
        err = capsys.readouterr().err
        assert status == 2 and "401" in err and "BUTTONDOWN_API_KEY" in err
        assert "wrong-key-77d0" not in err

    def test_without_source_the_real_api_base_is_the_default(self):
        args = build_parser().parse_args(["run", "--platform", "buttondown-api"])
        assert options_from_args(args).source == DEFAULT_BASE


class TestEmails:
    def test_fields_become_the_issue(self, api, mappings):
        kelp = by_id(entries(api.url, mappings))["6f1d0c4e-2b7a-4c1e-9d51-3a0f6b2e9c11"]
        assert kelp.title == "Tidewater #12: Kelp forests & sea otters"  # the entity decoded once
        assert (kelp.number, kelp.slug, str(kelp.date)) == (12, "kelp-forests-and-sea-otters", "2024-05-03 14:00:00+00:00")
        assert kelp.description == "Why the otters keep the kelp standing."

    def test_old_paths_are_the_archive_paths_of_every_host_form(self, api, mappings):
        found = by_id(entries(api.url, mappings, publish_audiences="premium"))  # storm-season is premium
        paths = {issue.slug: [p.path for p in issue.old_paths] for issue in found.values()}
        assert paths["kelp-forests-and-sea-otters"] == ["/tidewater/archive/kelp-forests-and-sea-otters/"]
        assert paths["tide-pools-at-dawn"] == ["/tidewater/archive/tide-pools-at-dawn/"]  # from buttondown.email
        # A custom domain's form, and the buttondown.com form with the username the other emails name.
        assert paths["storm-season"] == ["/archive/storm-season/", "/tidewater/archive/storm-season/"]

    def test_a_draft_is_a_draft_without_aliases(self, api, mappings):
        draft = by_id(entries(api.url, mappings))["9e2b5c71-0f4d-4e3a-8b6c-d1a7f2e05c46"]
        assert draft.draft and draft.date is None and draft.old_paths == [] and not draft.skip_reason

    def test_drafts_skip_leaves_unsent_emails_out_with_the_reason(self, api, mappings):
        draft = by_id(entries(api.url, mappings, drafts="skip"))["9e2b5c71-0f4d-4e3a-8b6c-d1a7f2e05c46"]
        assert "drafts=skip" in draft.skip_reason

    def test_a_drafts_value_it_does_not_know_is_refused_before_anything_is_read(self, api, tmp_path):
        with pytest.raises(UserError, match="drafts=keep or drafts=skip"):
            migrate("buttondown-api", api.url, tmp_path / "site", platform_options={"drafts": "maybe"})
        assert api.hits("/v1/emails") == 0 and not (tmp_path / "site").exists()

    def test_a_transactional_email_is_skipped_with_its_reason(self, api, mappings):
        welcome = by_id(entries(api.url, mappings))["4d7f0a19-6c2e-43b8-9f15-8a3e0c6d2b70"]
        assert "transactional" in welcome.skip_reason

    def test_a_private_email_becomes_a_draft(self, mappings, tmp_path):
        email = {**emails()[0], "email_type": "private"}
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps({"count": 1, "next": None, "results": [email]}))
        issue = entries(saved, mappings)[0]
        assert issue.draft and any("private" in w for w in issue.warnings)

    def test_an_email_without_a_body_is_reported_not_dropped(self, mappings, tmp_path):
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps([{k: v for k, v in emails()[1].items() if k != "body"}, emails()[0]]))
        found = entries(saved, mappings)
        assert isinstance(found[0], SourceProblem) and "body" in found[0].reason
        assert found[0].source_id == "0b8e7d2a-91f3-4a65-b0c4-7e2d1f9a3b58" and isinstance(found[1], Issue)

    @pytest.mark.parametrize("body", [{"count": 1, "results": {"id": "x", "body": "Hi"}}, {"emails": [{"id": "x", "body": "Hi"}]},
                                      {"count": 0}], ids=["results-an-object", "no-results", "empty-object"])
    def test_a_saved_object_without_a_results_list_is_refused_before_anything_is_written(self, tmp_path, body):
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps(body))
        with pytest.raises(UserError, match=r"is not a Buttondown emails response \(a JSON array of emails, or an object whose `results` is one\)"):
            migrate("buttondown-api", saved, tmp_path / "site")
        assert not (tmp_path / "site").exists()

    def test_saved_entries_that_are_not_email_objects_are_each_reported(self, mappings, tmp_path):
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps({"count": 3, "results": [7, "kelp", emails()[0]]}))
        found = entries(saved, mappings)
        assert [type(e) for e in found] == [SourceProblem, SourceProblem, Issue]
        assert all("not a JSON object" in e.reason for e in found[:2])

    @pytest.mark.parametrize("body", [[], {"count": 0, "next": None, "results": []}], ids=["array", "response"])
    def test_a_saved_empty_list_says_so_in_the_report(self, tmp_path, body):
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps(body))
        report = migrate("buttondown-api", saved, tmp_path / "site", download_images=False)
        assert any(line.startswith("Note on ") and "lists no emails" in line for line in report.lines())

    def test_a_saved_file_that_is_not_a_response_says_what_to_save(self, mappings, tmp_path):
        saved = tmp_path / "emails.json"
        saved.write_text("subject,body\n")
        with pytest.raises(UserError, match="GET /v1/emails"):
            entries(saved, mappings)


def rendered(body: str, **fields) -> str:
    return render_body(*reversed(body_mode(fields, body)))


class TestBodies:
    def test_the_editor_sigil_does_not_swallow_the_line_it_is_glued_to(self):
        assert "<strong>Hello</strong>" in rendered("<!-- buttondown-editor-mode: plaintext -->**Hello**\n")

    def test_a_fancy_body_is_html_already_and_is_not_read_as_markdown(self):
        body = "<!-- buttondown-editor-mode: fancy --><p>one</p>\n\n    <p>*two*</p>"
        assert rendered(body) == "<p>one</p>\n\n    <p>*two*</p>"

    def test_a_pull_files_editor_mode_says_the_body_is_html(self):
        assert rendered("<p>one</p>\n\n    <p>*two*</p>", editor_mode="fancy") == "<p>one</p>\n\n    <p>*two*</p>"
        assert "<code>" in rendered("<p>one</p>\n\n    <p>*two*</p>", editor_mode="plaintext")  # Markdown: indented is code

    def test_issue_refs_name_the_slug_on_every_archive_form(self):
        assert buttondown_issue_ref("https://buttondown.com/tidewater/archive/storm-season/") == ("storm-season", "tidewater")
        assert buttondown_issue_ref("https://buttondown.email/tidewater/archive/storm-season") == ("storm-season", "tidewater")
        assert buttondown_issue_ref("https://news.tidewater.example/archive/storm-season/") == ("storm-season", None)
        assert buttondown_issue_ref("https://buttondown.com/tidewater/archive/") is None
        assert buttondown_issue_ref("https://buttondown.com/archive/storm-season/") is None  # no username on Buttondown's host


class TestWholeRun:
    def test_a_run_gives_a_site_check_finds_nothing_in(self, api, tmp_path):
        report = migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        assert report.ok, report.lines()
        assert check_site(tmp_path) == []
        kelp = read_issue(tmp_path, "012.md")
        assert "utm_" not in kelp and "/images/" in kelp and "<script" not in kelp and "alert" not in kelp
        assert report_of(tmp_path)["summary"]["images_local"] == 4  # three in bodies, and storm-season's social image

    def test_links_between_emails_point_at_their_new_pages(self, api, tmp_path):
        migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        kelp = read_issue(tmp_path, "012.md")
        assert "[tide pools](/issues/011/)" in kelp and "buttondown.email" not in kelp

    def test_footnotes_stay_markdown_footnotes(self, api, tmp_path):
        migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        kelp = read_issue(tmp_path, "012.md")
        assert "standing.[^1]" in kelp and "[^1]: Sea otters were nearly hunted out by 1911." in kelp
        assert "#fn" not in kelp and "↩" not in kelp and "---" not in kelp.split("---", 2)[2]

    def test_hostile_markdown_leaves_nothing_active(self, tmp_path, mappings):
        email = {**emails()[0], "body": (
            "<img src=x onerror=alert(1)> [a](javascript:alert(2)) <a href=\"jav&#x09;ascript:alert(3)\">b</a>\n\n"
            "<iframe src=\"https://evil.example/\"></iframe><svg><script>alert(4)</script></svg>\n\n"
            "{{< figure src=\"x\" >}} and <style>p{}</style><form action=\"/x\"><input></form>")}
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps([email]))
        migrate("buttondown-api", saved, tmp_path / "site", download_images=False)
        text = read_issue(tmp_path / "site", "012.md")
        assert not [f for f in check_site(tmp_path / "site") if f.rule == "unsafe"]
        assert "onerror" not in text and "<iframe" not in text and "<svg" not in text and "{{<" not in text

    def test_template_tags_filled_in_per_reader_go_but_code_keeps_them(self, tmp_path):
        email = {**emails()[0], "body": ("Hi {{ subscriber.metadata.first_name }}, welcome back.\n\n"
                                         "{% if subscriber.tags %}Thanks for reading.{% else %}Sign up to read more.{% endif %}\n\n"
                                         "In Jinja you write `{{ name }}`.\n\n[Unsubscribe]({{ unsubscribe_url }})\n")}
        saved = tmp_path / "emails.json"
        saved.write_text(json.dumps([email]))
        report = migrate("buttondown-api", saved, tmp_path / "site", download_images=False)
        text = read_issue(tmp_path / "site", "012.md")
        assert "Hi, welcome back." in text and "`{{ name }}`" in text
        # The archive showed a reader-dependent block as to a visitor who is not signed in.
        assert "Sign up to read more." in text and "Thanks for reading." not in text
        assert "subscriber" not in text and "unsubscribe_url" not in text and "{%" not in text
        assert check_site(tmp_path / "site") == []
        assert any("template tag" in w for w in report.issues[0]["warnings"])

    def test_the_key_never_reaches_the_log_the_report_or_any_file(self, api, tmp_path, caplog):
        caplog.set_level(logging.DEBUG)
        api.fail(1, 429, Retry_After="0")
        migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        assert KEY not in caplog.text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path

    def test_debug_output_of_the_command_line_never_shows_the_key(self, api, tmp_path):
        env = {**os.environ, "BUTTONDOWN_API_KEY": KEY}
        result = subprocess.run([sys.executable, "-m", "migrate", "-v", "run", "--platform", "buttondown-api", "--source", api.url,
                                 "--site", str(tmp_path / "site"), "--no-images", "--quiet"], capture_output=True, text=True,
                                env=env, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "DEBUG" in result.stderr and KEY not in result.stdout + result.stderr


class TestSync:
    def test_a_sync_with_nothing_changed_rewrites_nothing(self, api, tmp_path):
        migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        before = site_tree(tmp_path)
        report = migrate("buttondown-api", api.url, tmp_path, mode="sync", remaps=assets(api))
        assert report.files_written == 0 and report.up_to_date == 4 and not report.issues
        assert {k: v for k, v in site_tree(tmp_path).items() if not k.startswith(".migrate/")} == \
            {k: v for k, v in before.items() if not k.startswith(".migrate/")}

    def test_a_changed_email_is_the_only_file_rewritten(self, api, tmp_path):
        migrate("buttondown-api", api.url, tmp_path, remaps=assets(api))
        api.emails[1] = {**api.emails[1], "body": api.emails[1]["body"].replace("headlamps", "lanterns")}
        report = migrate("buttondown-api", api.url, tmp_path, mode="sync", remaps=assets(api))
        assert [entry["output"] for entry in report.issues] == ["content/issues/011.md"]
        assert "lanterns" in read_issue(tmp_path, "011.md")
