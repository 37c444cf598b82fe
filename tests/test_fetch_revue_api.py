"""revue-api: a saved response body, or the live endpoint with the token from the environment."""
import json
from pathlib import Path

import pytest

from migrate.errors import UserError
from migrate.fetchers import FetchContext, get_fetcher
from migrate.http import HttpClient
from migrate.record import Issue, SourceProblem
from migrate.standin import Account

from .support import REVUE, migrate, read_issue, report_of

TOKEN = "test-token-5f2c"


def entries(source, mappings, client=None):
    fetcher = get_fetcher("revue-api")(str(source), FetchContext(client or HttpClient(), mappings))
    return list(fetcher.entries())


def test_a_saved_body_gives_every_issue_in_order(mappings):
    found = entries(REVUE / "api-issues.json", mappings)
    assert [type(e) for e in found] == [Issue, Issue, SourceProblem, Issue]
    first = found[0]
    assert (first.source_id, first.title, first.number) == ("900204", "Field Recordings #4: Rain on a tin roof", 4)
    assert str(first.date) == "2022-04-03 08:00:00+00:00"
    assert [p.path for p in first.old_paths] == ["/profile/fieldrec/issues/field-recordings-4-rain-on-a-tin-roof-900204"]
    assert first.description == "Four ways to record rain."


def test_titles_lose_entities_and_the_platform_suffix(mappings):
    titles = [e.title for e in entries(REVUE / "api-issues.json", mappings) if isinstance(e, Issue)]
    assert "Field Recordings #3: Birds & bells" in titles
    assert not any(t.endswith("Revue") for t in titles)


def test_an_unsent_issue_is_a_draft_without_aliases(mappings):
    draft = entries(REVUE / "api-issues.json", mappings)[-1]
    assert draft.draft and draft.date is None and draft.old_paths == []


def test_an_entry_without_html_is_reported_not_dropped(mappings):
    problem = entries(REVUE / "api-issues.json", mappings)[2]
    assert "900202" in problem.source_ref and "html" in problem.reason


def test_a_file_that_is_not_an_array_says_what_to_save(tmp_path, mappings):
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"issues": []}))
    with pytest.raises(UserError, match="JSON array"):
        entries(path, mappings)


def test_a_saved_object_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"issues": [{"id": 1, "html": "<p>Hi</p>"}]}))
    with pytest.raises(UserError, match="expected a JSON array of issues"):
        migrate("revue-api", path, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_json_file_broken_midway_keeps_what_came_before(tmp_path, mappings):
    text = (REVUE / "api-issues.json").read_text()
    path = tmp_path / "issues.json"
    path.write_text(text[: text.index('"id": 900203')])
    found = entries(path, mappings)
    assert isinstance(found[0], Issue) and isinstance(found[-1], SourceProblem)


class TestLive:
    def account(self):
        return Account.from_files(REVUE / "api-issues.json", token=TOKEN, profile="fieldrec")

    def test_the_token_comes_from_the_environment(self, standin, mappings, monkeypatch):
        server = standin(self.account())
        monkeypatch.setenv("REVUE_API_TOKEN", TOKEN)
        found = entries(server.url, mappings)
        assert [e.source_id for e in found if isinstance(e, Issue)] == ["900204", "900203", "900201"]
        assert server.account.hits["/api/v2/issues"] == 1

    def test_no_token_is_a_one_sentence_error_naming_the_variable(self, standin, mappings, monkeypatch):
        server = standin(self.account())
        monkeypatch.delenv("REVUE_API_TOKEN", raising=False)
        with pytest.raises(UserError, match="REVUE_API_TOKEN"):
            entries(server.url, mappings)

    def test_no_token_is_refused_before_anything_is_written_or_asked(self, standin, tmp_path, monkeypatch, capsys):
        server = standin(self.account())
        monkeypatch.delenv("REVUE_API_TOKEN", raising=False)
        from migrate.cli import main

        status = main(["run", "--platform", "revue-api", "--source", server.url, "--site", str(tmp_path / "site"), "--quiet"])
        assert status == 2 and "Set REVUE_API_TOKEN" in capsys.readouterr().err
        assert not (tmp_path / "site").exists() and server.account.hits.get("/api/v2/issues", 0) == 0

    def test_a_wrong_token_fails_without_showing_it(self, standin, tmp_path, monkeypatch, capsys):
        server = standin(self.account())
        monkeypatch.setenv("REVUE_API_TOKEN", "wrong-token-9d1e")
        from migrate.cli import main

        status = main(["run", "--platform", "revue-api", "--source", server.url, "--site", str(tmp_path), "--quiet"])
        captured = capsys.readouterr()
        assert status == 2 and "401" in captured.err
        assert "wrong-token-9d1e" not in captured.out + captured.err

    def test_the_token_never_reaches_the_site_or_the_report(self, standin, tmp_path, monkeypatch, caplog):
        import logging

        caplog.set_level(logging.DEBUG)
        server = standin(self.account())
        monkeypatch.setenv("REVUE_API_TOKEN", TOKEN)
        migrate("revue-api", server.url, tmp_path, download_images=False)
        assert TOKEN not in caplog.text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


def test_end_to_end_from_a_saved_body(tmp_path, mappings, image_host):
    from .support import s3_remap

    report = migrate("revue-api", REVUE / "api-issues.json", tmp_path, remaps=[s3_remap(image_host)])
    text = read_issue(tmp_path, "004.md")
    assert "utm_" not in text and "/images/" in text and "s3.amazonaws.com" not in text
    assert report_of(tmp_path)["summary"]["source_problems"] == 1
    assert not report.ok  # the entry without html counts as a failure


def test_debug_logging_of_a_whole_run_never_shows_the_token(standin, tmp_path):
    """The command line with -v, through retried faults and worker processes: the token is in no
    line of output and in no byte of any file the run leaves."""
    import os
    import subprocess
    import sys

    secret = "tok-" + os.urandom(12).hex()
    sample = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"
    account = Account.from_files(sample / "issues.json", sample / "images", profile="tidepool", token=secret,
                                 fault_rate=0.3, fault_seed=3)
    server = standin(account)
    site = tmp_path / "site"
    env = {**os.environ, "REVUE_API_TOKEN": secret}
    result = subprocess.run([sys.executable, "-m", "migrate", "-v", "run", "--platform", "revue-api", "--source", server.url,
                             "--site", str(site), "--remap", f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com",
                             "--processes", "2", "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DEBUG" in result.stderr and sum(account.faults_sent.values()) >= 3  # debug was on, and errors were logged
    assert secret not in result.stdout + result.stderr
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "report.json" for path in written) and any(path.name.startswith("state.sqlite") for path in written)
    for path in written:
        assert secret.encode() not in path.read_bytes(), path
