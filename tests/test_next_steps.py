"""The end of a run and `status` say what happened and what to do next, grouped so a person reads
each finding once; the to-do outlives runs that change nothing; a dry run predicts the real run."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from migrate import attention
from migrate.cli import main
from migrate.settings import SETTINGS_PATH
from migrate.standin import Account

from .faultserver import ok, status
from .support import FIXTURES, REVUE, migrate, s3_remap


def api_issue(issue_id: int, html: str = "<p>Words.</p>", sent_at: str | None = "2022-01-0{n}T08:00:00Z", **fields) -> dict:
    n = issue_id % 9 + 1
    return {"id": issue_id, "title": f"Notes #{issue_id % 100}", "html": html, "description": "",
            "sent_at": sent_at.format(n=n) if sent_at else None,
            "url": f"https://www.getrevue.co/profile/notes/issues/notes-{issue_id % 100}-{issue_id}", **fields}


def saved(tmp_path: Path, issues: list[dict]) -> Path:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(issues))
    return path


def cli(capsys, *args) -> tuple[int, str, str]:
    status = main([*args, "--quiet"] if args[0] in ("run", "sync", "retry-failed") else list(args))
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------------- grouped findings

def test_identical_warnings_are_shown_once_with_the_files_they_concern(tmp_path, capsys):
    source = saved(tmp_path, [api_issue(700 + i, html="<p></p>") for i in range(1, 8)] + [api_issue(709)])
    status, out, _ = cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(tmp_path / "site"), "--no-images")
    assert status == 0
    assert out.count("has no content after cleaning") == 1
    lines = out.splitlines()
    at = lines.index("- 7 issues: has no content after cleaning")
    assert lines[at + 1] == ("    content/issues/001.md (id 701), content/issues/002.md (id 702), content/issues/003.md (id 703), "
                             "content/issues/004.md (id 704), content/issues/005.md (id 705) and 2 more")


def test_a_single_warning_names_the_file_and_the_source_id(tmp_path, capsys):
    source = saved(tmp_path, [api_issue(801), api_issue(802, html="<p></p>")])
    _, out, _ = cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(tmp_path / "site"), "--no-images")
    assert "- content/issues/002.md (id 802): has no content after cleaning" in out.splitlines()


def failing_images(faults, dead_port: int) -> list[dict]:
    faults.script("/gone.png", status(404))
    faults.script("/page.png", ok(b"<!doctype html><html><body>Not found</body></html>"))
    html = (f'<p>Pictures.</p><img src="{faults.url}/gone.png"><img src="{faults.url}/page.png">'
            f'<img src="http://127.0.0.1:{dead_port}/a.png"><img src="https://img.dead.example/b.png"><img src="https://img.dead.example/c.png">')
    return [api_issue(901, html=html), api_issue(902, html='<p>Again.</p><img src="https://img.dead.example/b.png">')]


def test_failed_images_are_grouped_by_host_and_reason_with_the_command_that_mends_them(tmp_path, capsys, faults, monkeypatch):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    source = saved(tmp_path, failing_images(faults, dead))
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):  # a stub: img.dead.example does not resolve, loopback does
        if host == "img.dead.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    site = tmp_path / "site"
    config = tmp_path / "migrate.yaml"
    config.write_text("retries: 1\nallow_hosts: [127.0.0.1]\n")
    status, out, _ = cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(site), "--config", str(config))
    assert status == 1
    retry = f"`newsletter-migrate retry-failed --site {site}"
    assert "- 5 image(s) stayed remote, in 2 file(s) (their old address is kept):" in out
    assert (f"    2 on img.dead.example: the host does not resolve: if it is dead, point it at a copy: {retry} --remap "
            f"https://img.dead.example=URL-OF-A-COPY`; if it is only down, retry later: {retry}`.") in out
    host = faults.url.split("//", 1)[1]  # a person reads where the images are: host and port
    assert f"    1 on {host}: the host says the image is gone (404/410): the Wayback Machine may hold copies: {retry} --wayback-images`." in out
    assert (f"    1 on {host}: what came back is not an image (the image is probably gone): the Wayback Machine may hold "
            f"copies: {retry} --wayback-images`.") in out
    # The remap it offers matches what --remap matches: scheme, host and port.
    assert (f"    1 on 127.0.0.1:{dead}: the host refuses connections: if it is dead, point it at a copy: {retry} --remap "
            f"http://127.0.0.1:{dead}=URL-OF-A-COPY`") in out
    assert "stayed remote: " not in out  # no line per image


def test_issues_without_a_date_get_the_override_to_paste_and_lose_the_item_once_it_is_in_place(tmp_path, capsys):
    site = tmp_path / "site"
    config = tmp_path / "migrate.yaml"
    config.write_text("concurrency: 2\n")
    # A page of 2016 carries no date (issue 70003); the one of 2020 does.
    _, out, _ = cli(capsys, "run", "--platform", "revue-pages", "--source", str(REVUE), "--site", str(site), "--config", str(config), "--no-images")
    assert f"- 1 issue(s) need a date; add these under `overrides:` in {config.resolve()}, fill them in, then `newsletter-migrate sync --site {site}`:" in out
    assert "    overrides:\n      '70003':\n        date: YYYY-MM-DD\n" in out

    # A sync that finds nothing new keeps the to-do; so does status.
    _, out, _ = cli(capsys, "sync", "--site", str(site))
    assert "2 up to date" in out and "need a date" in out
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "need a date" in out

    config.write_text("concurrency: 2\noverrides:\n  '70003':\n    date: 2016-12-29\n")
    _, out, _ = cli(capsys, "sync", "--site", str(site))
    assert "need a date" not in out
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "need a date" not in out and "Needs attention:" in out  # what else it had stays


def test_a_file_an_override_now_skips_is_named_as_left_in_place(tmp_path, capsys):
    source = saved(tmp_path, [api_issue(821), api_issue(822)])
    site = tmp_path / "site"
    config = tmp_path / "migrate.yaml"
    config.write_text("{}\n")
    cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(site), "--config", str(config), "--no-images")
    config.write_text("overrides:\n  '822':\n    skip: true\n")
    _, out, _ = cli(capsys, "sync", "--site", str(site))
    lines = out.splitlines()
    at = lines.index("- 1 file(s) an override now skips were written before and are left in place; delete them if they should go:")
    assert lines[at + 1] == "    content/issues/022.md (id 822)"
    (site / "content" / "issues" / "022.md").unlink()
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "left in place" not in out


def test_status_says_the_last_run_had_failures_and_names_retry_failed(tmp_path, capsys, faults):
    faults.script("/gone.png", status(404))
    source = saved(tmp_path, [api_issue(831, html=f'<p>One.</p><img src="{faults.url}/gone.png">')])
    site = tmp_path / "site"
    cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(site), "--allow-host", "127.0.0.1")
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "the last run (run) was complete, with failures: 1 issue(s) with failures, 1 image(s) failed." in out
    assert f"1 image(s) failed in earlier runs: `newsletter-migrate retry-failed --site {site}` fetches them again." in out


def test_each_run_keeps_its_report_and_only_the_newest_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(attention, "RUNS_KEPT", 3)
    site = tmp_path / "site"
    for mode in ("run", "sync", "sync", "retry-failed", "sync"):
        migrate("revue-api", REVUE / "api-issues.json", site, mode=mode, download_images=False)
    kept = sorted(p.name for p in (site / ".migrate" / "reports").iterdir())
    assert kept == ["0003-sync.json", "0004-retry-failed.json", "0005-sync.json"]
    assert json.loads((site / ".migrate" / "reports" / "0005-sync.json").read_text())["mode"] == "sync"


# ---------------------------------------------------------------------- a dry run tells the truth

def counts(report) -> tuple:
    s = report.summary()
    return (s["files_would_change"] if report.dry_run else s["files_changed"], s["files_unchanged"], s["conflicts"],
            s["images_to_download"] if report.dry_run else s["images_downloaded"])


@pytest.mark.parametrize("change", ["fresh site", "changed config", "hand edit", "an image file deleted"])
def test_a_dry_run_predicts_what_the_real_run_then_does(change, tmp_path, standin):
    sample = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"
    server = standin(Account.from_files(sample / "issues.json", sample / "images", token="t"))
    site = tmp_path / "site"
    base = dict(remaps=[s3_remap(server)])
    if change != "fresh site":
        migrate("revue-api", sample / "issues.json", site, **base)
    if change == "changed config":
        base["sentence_per_line"] = True
    if change == "hand edit":
        page = site / "content" / "issues" / "003.md"
        page.write_text(page.read_text() + "\nA note of mine.\n")
        base["sentence_per_line"] = True
    if change == "an image file deleted":
        next((site / "static" / "images").iterdir()).unlink()
    predicted = migrate("revue-api", sample / "issues.json", site, dry_run=True, **base)
    done = migrate("revue-api", sample / "issues.json", site, **base)
    assert counts(predicted) == counts(done)
    assert sum(counts(done)) > 0


# ---------------------------------------------------------------------- settings remembered

def test_the_settings_file_holds_no_token_key_or_password(tmp_path, capsys, monkeypatch, faults):
    token = "revue-token-8c2d7f"
    monkeypatch.setenv("REVUE_API_TOKEN", token)  # in the environment, as every platform's key is
    faults.script("/feed.xml", ok((FIXTURES / "rss" / "rss2.xml").read_bytes()))
    host = faults.url.split("//", 1)[1]
    source = f"http://reader:hunter2-pass@{host}/feed.xml?api_key=key-5a5a5a&format=rss"
    site = tmp_path / "site"
    status, _, err = cli(capsys, "run", "--platform", "rss", "--source", source, "--site", str(site), "--no-images")
    assert status == 0, err
    text = (site / SETTINGS_PATH).read_text()
    for secret in (token, "hunter2-pass", "reader", "key-5a5a5a", "api_key"):
        assert secret not in text
    assert f"source: http://{host}/feed.xml?format=rss" in text and "source_credential_removed: true" in text
    # The next command must be given the source again, and is told so in one sentence.
    status, _, err = cli(capsys, "sync", "--site", str(site))
    assert status == 2 and err.startswith("error: the source of this site's first run held a password or key") and err.count("\n") == 1
    status, out, _ = cli(capsys, "sync", "--site", str(site), "--source", source)
    assert status == 0 and "3 up to date" in out


def test_an_escape_sequence_from_the_source_never_reaches_the_terminal(tmp_path, capsys):
    escape = "\x1b]0;pwned\x07\x1b[2J"
    hostile = dict(api_issue(851, html="<p></p>"), id=f"851{escape}")  # an id is the source's own text
    source = saved(tmp_path, [hostile, api_issue(852, html="<p></p>")])
    status, out, err = cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(tmp_path / "site"),
                           "--no-images")
    assert status == 0 and "has no content after cleaning" in out
    assert not any(ch in out + err for ch in "\x1b\x07")
    _, out, _ = cli(capsys, "status", "--site", str(tmp_path / "site"))
    assert "\x1b" not in out


# ---------------------------------------------------------------------- the to-do follows the site

def test_an_issue_back_at_the_source_is_no_longer_called_gone(tmp_path, capsys):
    site, issues = tmp_path / "site", [api_issue(861), api_issue(862), api_issue(863)]
    cli(capsys, "run", "--platform", "revue-api", "--source", str(saved(tmp_path, issues)), "--site", str(site), "--no-images")
    cli(capsys, "sync", "--site", str(site), "--source", str(saved(tmp_path, [issues[0], issues[2]])))
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "no longer at the source" in out
    cli(capsys, "sync", "--site", str(site), "--source", str(saved(tmp_path, issues)))  # back, unchanged
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "no longer at the source" not in out


def test_a_conflict_whose_new_version_the_author_deleted_is_settled(tmp_path, capsys):
    site = tmp_path / "site"
    source = saved(tmp_path, [api_issue(871)])
    cli(capsys, "run", "--platform", "revue-api", "--source", str(source), "--site", str(site), "--no-images")
    page = site / "content" / "issues" / "071.md"
    page.write_text(page.read_text() + "\nMine.\n")
    cli(capsys, "sync", "--site", str(site), "--source", str(saved(tmp_path, [api_issue(871, html="<p>Changed.</p>")])))
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "edited by hand" in out
    (site / "content" / "issues" / "071.md.incoming").unlink()  # the author keeps their version
    _, out, _ = cli(capsys, "status", "--site", str(site))
    assert "edited by hand" not in out


def test_a_site_from_before_the_report_kept_entries_gets_its_status_and_report_and_is_filled_in_by_a_sync(tmp_path, capsys):
    import sqlite3

    site = tmp_path / "site"
    cli(capsys, "run", "--platform", "revue-api", "--source", str(saved(tmp_path, [api_issue(881), api_issue(882)])), "--site",
        str(site), "--no-images")
    with sqlite3.connect(site / ".migrate" / "state.sqlite") as db:  # the store as the tool kept it before
        db.execute("DROP TABLE entries")
    status, out, err = cli(capsys, "status", "--site", str(site))
    assert status == 0 and "2 issue(s) known" in out, err
    assert cli(capsys, "report", "--site", str(site))[0] == 0
    page = (site / ".migrate" / "report.html").read_text()
    assert page.count('class="issue"') == 2 and "known after the next sync" in page
    _, out, _ = cli(capsys, "sync", "--site", str(site))
    assert "2 converted" in out  # converted again, to know them
    page = (site / ".migrate" / "report.html").read_text()
    assert page.count('class="issue"') == 2 and "known after the next sync" not in page


def test_a_failed_image_is_listed_with_the_files_of_the_present_issues_that_show_it(tmp_path):
    from migrate.state import IssueRow, StateStore

    site = tmp_path / "site"
    store = StateStore(site / ".migrate" / "state.sqlite")
    try:
        def issue(source_id: str, output: str, images: list[str], gone: bool = False) -> IssueRow:
            return IssueRow("revue", source_id, "src", f"src#{source_id}", "h", "k", f"Issue {source_id}", [], [], [],
                            output, "o", None, images, gone)

        shared, lonely, gone_only = "https://img.example/a.png", "https://img.example/b.png", "https://img.example/c.png"
        store.put_issue(issue("2", "content/issues/2.md", [shared, "https://img.example/fine.png"]))
        store.put_issue(issue("1", "content/issues/1.md", [lonely, shared, shared]))
        store.put_issue(issue("3", "content/issues/3.md", [gone_only], gone=True))
        for url in (gone_only, lonely, shared):
            store.image_failed(url, "HTTP 404")
        store.image_done("https://img.example/fine.png", "images/fine.png", "0" * 64, None, None)
        todo = attention.ToDo.load(site, store)
    finally:
        store.close()
    # The image only a gone issue shows waits on the decision about that issue, not here.
    assert [(image.url, image.files) for image in todo.failed_images] == [
        (shared, ["content/issues/1.md", "content/issues/2.md"]), (lonely, ["content/issues/1.md"])]


def test_an_image_host_given_by_its_ipv6_address_is_named_as_a_url_spells_it():
    from migrate.summary import _mend, _origin, image_trouble

    host, origin = _origin("http://[fd00::7]:8080/photo.png")
    assert (host, origin) == ("[fd00::7]:8080", "http://[fd00::7]:8080")
    advice = _mend(image_trouble("resolves to the non-public address fd00::7"), host, origin, Path("S"))
    assert advice.endswith("--allow-host fd00::7`")
