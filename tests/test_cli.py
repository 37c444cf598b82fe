"""The command line: a thin layer whose errors are one sentence and whose exit status tells."""
import json
import os
import subprocess
import sys

import pytest

from migrate.cli import main

from .support import REVUE

ROOT = REVUE.parents[2]


def run_cli(*args, capsys):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_clean_run_exits_zero_and_prints_the_summary(tmp_path, capsys, image_host):
    status, out, err = run_cli("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2020.html"), "--site", str(tmp_path),
                               "--remap", f"https://s3.amazonaws.com={image_host.url}/s3.amazonaws.com", "--quiet", capsys=capsys)
    assert status == 0
    assert "1 issue(s) found: 1 converted (1 file(s) new or changed, 0 already identical and left untouched)" in out and "Images: 2 of 2 local" in out and "Tracking parameters removed: 33." in out  # 11 tracked links, 3 parameters each
    assert (tmp_path / ".migrate" / "report.json").is_file()


def test_a_failed_image_makes_the_exit_status_non_zero_but_the_issue_is_written(tmp_path, capsys, faults):
    status, out, err = run_cli("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2020.html"), "--site", str(tmp_path),
                               "--remap", f"https://s3.amazonaws.com={faults.url}/s3", "--quiet", capsys=capsys)
    assert status == 1
    # Grouped by host and reason, with the command that mends them.
    assert "- 2 image(s) stayed remote, in 1 file(s)" in out
    assert (f"    2 on s3.amazonaws.com: the host says the image is gone (404/410): the Wayback Machine may hold copies: "
            f"`newsletter-migrate retry-failed --site {tmp_path} --wayback-images`.") in out
    text = (tmp_path / "content" / "issues" / "042.md").read_text()
    assert "https://s3.amazonaws.com/revue/items/images/007/123/456/mail/0f1e2d3c4b5a69788796a5b4c3d2e1f0.png?1600000001" in text
    report = json.loads((tmp_path / ".migrate" / "report.json").read_text())
    assert report["summary"]["images_failed"] == 2


@pytest.mark.parametrize("args, says", [
    (["run", "--source", "x"], "--platform"),
    (["run", "--platform", "revue-api"], "--source"),
    (["run", "--platform", "substack-of-2031", "--source", "x"], "Unknown platform"),
    (["run", "--platform", "revue-pages", "--source", "/no/such/page.html"], "does not exist"),
    (["run", "--platform", "revue-pages", "--source", "x", "--remap", "oops"], "FROM=TO"),
    (["run", "--platform", "revue-pages", "--source", "x", "--config", "/no/such.yaml"], "config file"),
    (["run", "--platform", "revue-pages", "--source", "x", "--concurrency", "0"], "--concurrency"),
    (["run", "--platform", "revue-pages", "--source", "x", "--platform-option", "drafts"], "NAME=VALUE"),
    (["run", "--platform", "revue-pages", "--source", "x", "--platform-option", "drafts=skip"], "is not an option of"),
])
def test_user_errors_are_one_sentence_without_a_traceback(args, says, capsys, tmp_path):
    status, out, err = run_cli(*args, "--site", str(tmp_path / "site"), capsys=capsys)
    assert status == 2
    assert says in err and "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_a_site_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "site").write_text("")
    status, out, err = run_cli("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2020.html"), "--site", str(tmp_path / "site"), capsys=capsys)
    assert status == 2 and "is a file" in err


def test_check_exits_one_with_findings_and_zero_without(tmp_path, capsys):
    site = tmp_path / "site"
    (site / "content" / "issues").mkdir(parents=True)
    page = site / "content" / "issues" / "001.md"
    page.write_text("---\ntitle: One\ndate: 2021-01-01\n---\n\n[link](https://a.example/?utm_source=x)\n")
    status, out, _ = run_cli("check", str(site), capsys=capsys)
    assert status == 1 and "tracking" in out
    page.write_text("---\ntitle: One\ndate: 2021-01-01\n---\n\n[link](https://a.example/)\n")
    status, out, _ = run_cli("check", str(site), "--json", capsys=capsys)
    assert status == 0 and json.loads(out) == []


def test_python_dash_m_migrate_is_the_same_program():
    result = subprocess.run([sys.executable, "-m", "migrate", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("newsletter-migrate ")


def test_a_site_that_cannot_be_written_is_a_one_sentence_error(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / ".migrate").write_text("a file where the tool's folder should be")
    status, out, err = run_cli("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2016.html"),
                               "--site", str(site), "--no-images", "--quiet", capsys=capsys)
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_a_saved_page_that_opens_with_an_xml_declaration_is_read_without_a_parser_warning(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b'<?xml version="1.0" encoding="utf-8"?>\n' + (REVUE / "page-2020.html").read_bytes())
    # A fresh interpreter: the warning filters pytest installs around each test would hide the program's own.
    result = subprocess.run([sys.executable, "-m", "migrate", "run", "--platform", "revue-pages", "--source", str(page),
                             "--site", str(tmp_path / "site"), "--no-images", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "1 converted" in result.stdout


@pytest.mark.parametrize("make, says", [
    (lambda path: None, "does not exist"),
    (lambda path: path.write_text("not a site"), "is not a folder"),
    (lambda path: path.mkdir(), "has no content/ folder"),
], ids=["missing", "a-file", "no-content"])
def test_check_on_a_path_that_is_not_a_site_is_a_setup_error_not_a_finding(make, says, tmp_path, capsys):
    site = tmp_path / "site"
    make(site)
    status, out, err = run_cli("check", str(site), capsys=capsys)
    assert status == 2 and out == ""
    assert err == f"error: {site} {says}; give check the site folder a migration wrote into (its --site).\n"


@pytest.mark.parametrize("command", [
    ["run", "--platform", "rss", "--source", "feed.xml"], ["sync", "--platform", "rss", "--source", "feed.xml"],
    ["retry-failed", "--platform", "rss", "--source", "feed.xml"], ["status"],
    ["redirects", "--format", "netlify"], ["verify", "--build"], ["check", "site"],
], ids=lambda command: command[0])
def test_verbose_is_accepted_before_or_after_the_command(command):
    from migrate.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(command).verbose is False
    assert parser.parse_args(["-v", *command]).verbose is True
    assert parser.parse_args([*command, "-v"]).verbose is True
    assert parser.parse_args([*command, "--verbose"]).verbose is True


def test_status_help_lists_only_the_options_status_uses(capsys):
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    shown = capsys.readouterr().out
    for used in ("--platform", "--source", "--site", "--config", "--remap", "--platform-option", "--allow-host", "--mappings",
                 "--sentence-per-line", "--no-images", "--json", "--verbose"):
        assert used in shown
    for unused in ("--dry-run", "--force", "--wayback-images", "--concurrency", "--processes", "--quiet"):
        assert unused not in shown


def test_status_still_takes_a_sync_command_line_as_it_is():
    from migrate.cli import build_parser

    args = build_parser().parse_args(["status", "--platform", "rss", "--source", "feed.xml", "--site", "s", "--no-images",
                                      "--force", "--quiet", "--concurrency", "4", "--wayback-images"])
    assert args.platform == "rss" and args.no_images and args.force and args.concurrency == 4


def _one_try(tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text("retries: 1\n")
    return str(config)


@pytest.mark.parametrize("platform, source, what", [
    ("rss", "https://news.example.org/feed.xml", "the feed"),
    ("revue-pages", "https://news.example.org/profile/me", "https://news.example.org/profile/me"),
    ("revue-api", "https://news.example.org", "the issues"),
])
def test_a_source_whose_host_does_not_resolve_says_so_in_one_sentence_with_what_to_do(platform, source, what, tmp_path, capsys, monkeypatch):
    import socket

    def no_such_name(host, *args, **kwargs):  # a stub resolver: nothing is looked up, nothing is sent
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    monkeypatch.setenv("REVUE_API_TOKEN", "t0ken")
    status, out, err = run_cli("run", "--platform", platform, "--source", source, "--site", str(tmp_path / "site"),
                               "--config", _one_try(tmp_path), "--quiet", capsys=capsys)
    assert status == 2
    assert err == (f"error: Could not fetch {what}: cannot resolve news.example.org (Name or service not known); "
                   "check the address in --source, or --remap its host to a server that has the archive.\n")


def test_a_source_host_that_refuses_the_connection_says_so_in_one_sentence(tmp_path, capsys):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    status, out, err = run_cli("run", "--platform", "rss", "--source", f"http://127.0.0.1:{dead}/feed.xml", "--site", str(tmp_path / "site"),
                               "--config", _one_try(tmp_path), "--quiet", capsys=capsys)
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"error: Could not fetch the feed: cannot connect to 127.0.0.1:{dead} (")
    assert "ConnectionError" not in err and "--remap" in err


def test_the_summary_tells_files_that_changed_from_files_already_identical(tmp_path, capsys):
    args = ("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2016.html"), "--site", str(tmp_path), "--no-images", "--quiet")
    status, out, _ = run_cli(*args, capsys=capsys)
    assert status == 0 and out.startswith("1 issue(s) found: 1 converted (1 file(s) new or changed, 0 already identical and left untouched), ")
    status, out, _ = run_cli(*args, capsys=capsys)
    assert status == 0 and out.startswith("1 issue(s) found: 1 converted (0 file(s) new or changed, 1 already identical and left untouched), ")
    status, out, _ = run_cli("sync", *args[1:], capsys=capsys)
    assert status == 0 and out.startswith("1 issue(s) found: 0 converted (0 file(s) new or changed, 0 already identical and left untouched), "
                                          "1 up to date (unchanged at the source, not converted again), ")


def test_verbose_shows_the_tools_steps_and_not_every_librarys(tmp_path):
    env = dict(os.environ)  # PYTHONPATH: this checkout and the network guard (see conftest)

    def debug_loggers(*argv) -> set[str]:
        result = subprocess.run([sys.executable, "-m", "migrate", "-v", *argv], env=env, capture_output=True, text=True)
        return {line.split()[1].rstrip(":") for line in result.stderr.splitlines() if line.startswith("DEBUG ")}

    site = tmp_path / "site"
    run = debug_loggers("run", "--platform", "revue-api", "--source", str(REVUE / "api-issues.json"), "--site", str(site),
                        "--no-images", "--quiet")
    check = debug_loggers("check", str(site))  # check parses every file with a Markdown parser
    assert any(name.startswith("migrate") for name in run)
    assert all(name.startswith(("migrate", "urllib3")) for name in run | check), sorted(run | check)[:5]


def test_a_run_in_a_terminal_shows_its_progress_and_its_summary(tmp_path):
    """In a pseudo-terminal stderr is a terminal, so the progress bar is on (as for a person)."""
    from .terminal import in_terminal, tool

    source = REVUE.parent / "buttondown" / "kinds-pull"
    session = in_terminal(tool("run", "--platform", "buttondown-export", "--source", str(source), "--site", str(tmp_path / "site"),
                               "--no-images", "--platform-option", "username=harbourlog"), timeout=60)
    assert session.status == 0, session.screen
    assert "issues" in session.screen and "9 issue(s) found: 9 converted" in session.screen and "Traceback" not in session.screen
    assert "Written as drafts because they were only for part of the readers: 3" in session.screen


def test_every_command_says_in_its_help_what_it_does_and_shows_one_example(capsys):
    from migrate.cli import _COMMANDS

    for command, (what, example) in _COMMANDS.items():
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown = capsys.readouterr().out
        assert what[0].upper() + what[1:] in " ".join(shown.split()), command
        assert f"example: {example}" in shown and example.startswith(f"newsletter-migrate {command} ")
        assert build_parser_accepts(example)


def build_parser_accepts(example: str) -> bool:
    """The example parses as the command line it shows."""
    import shlex

    from migrate.cli import build_parser

    build_parser().parse_args(shlex.split(example)[1:])
    return True


@pytest.mark.parametrize("given, offered", [("substack", "`substack-export`"), ("mailchimp", "`mailchimp-api` or `mailchimp-export`"),
                                            ("revu-api", "`revue-api`")])
def test_a_platform_named_loosely_gets_the_forms_it_could_mean(given, offered, capsys, tmp_path):
    status, _, err = run_cli("run", "--platform", given, "--source", "x", "--site", str(tmp_path / "site"), capsys=capsys)
    assert status == 2 and f"(did you mean {offered}?)" in err and err.count("\n") == 1


def test_a_command_not_told_the_site_says_which_folder_it_took(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli("run", "--platform", "revue-pages", "--source", str(REVUE / "page-2016.html"), "--no-images", "--quiet",
                               capsys=capsys)
    assert status == 0 and err.startswith("No --site given: the site folder is output/.")
    assert (tmp_path / "output" / "content" / "issues" / "003.md").is_file() and "The site is in output/" in out
