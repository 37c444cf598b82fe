"""The command line as a person meets it: typed in a terminal, then `sync --site S` and the rest
with nothing else, Ctrl-C halfway, a full disk, a read-only or busy site, and the demo itself.

Each command runs in a pseudo-terminal (tests/terminal.py) and must end with its exit status and
never with a Python traceback. The same commands through pipes (CI, `| tee`) show no bar."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.settings import SETTINGS_PATH
from migrate.standin import Account, StandinServer

from .support import site_tree
from .terminal import ROOT, in_terminal, tool

SAMPLE = ROOT / "samples" / "revue-demo"
TOKEN = "terminal-test-token-5e1f"


@pytest.fixture(scope="module")
def revue():
    """The bundled sample account: Revue's API and its image bucket, on loopback."""
    server = StandinServer(Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token=TOKEN)).start()
    yield server
    server.stop()


@pytest.fixture
def env():
    return {**os.environ, "REVUE_API_TOKEN": TOKEN}


def first_run(revue, site: Path) -> list[str]:
    return tool("run", "--platform", "revue-api", "--source", revue.url, "--site", str(site),
                "--remap", f"https://s3.amazonaws.com={revue.url}/s3.amazonaws.com")


def no_traceback(session) -> None:
    assert "Traceback" not in session.screen and "Error:" not in session.screen.replace("error: ", ""), session.screen


@pytest.mark.parametrize("columns", [100, 0], ids=["sized", "no-size"])
def test_a_run_typed_in_a_terminal_shows_a_bar_with_its_total_and_ends_with_the_summary(columns, revue, env, tmp_path):
    session = in_terminal(first_run(revue, tmp_path / "site"), env=env, columns=columns)
    no_traceback(session)
    assert session.status == 0, session.screen
    # The bar knew the total from the API's answer: it counts 12 of 12, with the images beside it.
    assert "12/12" in session.screen and "images=12" in session.screen
    assert "12 issue(s) found: 12 converted" in session.screen
    assert f"The site is in {tmp_path / 'site'}/" in session.screen


def test_piped_the_same_run_shows_no_bar(revue, env, tmp_path):
    result = subprocess.run(first_run(revue, tmp_path / "site"), env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "issues:" not in result.stderr and "12/12" not in result.stderr
    assert result.stdout.startswith("12 issue(s) found: 12 converted")


def test_after_the_first_run_every_command_needs_only_the_site(revue, env, tmp_path):
    site = tmp_path / "site"
    assert in_terminal(first_run(revue, site), env=env).status == 0
    settings = (site / SETTINGS_PATH).read_text()
    assert "platform: revue-api" in settings and revue.url in settings
    expected = {
        ("sync",): "12 up to date",
        ("retry-failed",): "0 converted",
        ("status",): "12 issue(s) known",
        ("check",): "no findings",
        ("redirects", "--format", "netlify"): "/profile/tidepool/issues/",
        ("verify", "--build"): "every one leads to its issue",
    }
    for command, says in expected.items():
        session = in_terminal(tool(*command, "--site", str(site)), env=env)
        no_traceback(session)
        assert session.status == 0 and says in session.screen, (command, session.screen)
    # The site folder may also be given to check as its argument, as before.
    assert in_terminal(tool("check", str(site)), env=env).status == 0


def test_a_sync_says_which_remembered_settings_it_used_and_what_a_flag_given_again_replaces(revue, env, tmp_path):
    site = tmp_path / "site"
    assert in_terminal(first_run(revue, site), env=env).status == 0
    session = in_terminal(tool("sync", "--site", str(site), "--remap", f"https://s3.amazonaws.com={revue.url}/elsewhere"), env=env)
    assert session.status == 0, session.screen
    assert f"Using the settings remembered in {site / SETTINGS_PATH}: --platform revue-api, --source {revue.url}" in session.screen
    assert "--remap given: it replaces the remembered value for this run only" in session.screen
    # For this run only: the file still remembers the first remap.
    assert f"https://s3.amazonaws.com={revue.url}/s3.amazonaws.com" in (site / SETTINGS_PATH).read_text()


def test_ctrl_c_halfway_stops_in_one_sentence_and_sync_finishes_the_run(env, tmp_path):
    account = Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token=TOKEN)
    account.latency = 0.4  # every answer is slow: the run is still going when Ctrl-C comes
    with StandinServer(account) as slow:
        site = tmp_path / "site"
        command = first_run(slow, site) + ["--concurrency", "1"]
        session = in_terminal(command, env=env, ctrl_c_when=b"2/12")
        no_traceback(session)
        assert session.status == 130, session.screen
        assert session.lines[-1] == f"Interrupted. Every file written so far is kept; `newsletter-migrate sync --site {site}` finishes the run."
        account.latency = 0
        finished = subprocess.run(tool("sync", "--site", str(site)), env=env, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        clean = tmp_path / "clean"
        assert subprocess.run(first_run(slow, clean), env=env, capture_output=True, timeout=300).returncode == 0
    assert published(site) == published(clean)


def test_a_busy_state_store_is_one_sentence(revue, env, tmp_path):
    site = tmp_path / "site"
    assert in_terminal(first_run(revue, site), env=env).status == 0
    holder = sqlite3.connect(site / ".migrate" / "state.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the store
    try:
        session = in_terminal(tool("sync", "--site", str(site)), env=env)
    finally:
        holder.close()
    no_traceback(session)
    assert session.status == 2
    assert f"error: {site}/.migrate/state.sqlite is in use by another program" in session.screen


def test_an_unexpected_bug_is_one_line_naming_the_file_with_the_traceback(revue, env, tmp_path):
    site = tmp_path / "site"
    assert in_terminal(first_run(revue, site), env=env).status == 0
    # A stand-in bug: the summary's last step raises, after the run has done its work. Its message
    # and the command line hold credentials, as a --source or a remap's address may.
    leaks = ("leak-key-77", "leak-pass-31", "leak-user")
    program = ("import sys, migrate.summary as summary\n"
               f"def broken(*args): raise RuntimeError('a bug in the summary at http://leak-user:{leaks[1]}@127.0.0.1/?api_key={leaks[0]}')\n"
               "summary.next_lines = broken\n"
               "from migrate.cli import main\n"
               "sys.exit(main(sys.argv[1:]))\n")
    mirror = revue.url.replace("http://", f"http://leak-user:{leaks[1]}@")
    session = in_terminal([sys.executable, "-c", program, "sync", "--site", str(site), "--source", f"{revue.url}/?api_key={leaks[0]}",
                           "--remap", f"https://s3.amazonaws.com={mirror}/s3.amazonaws.com"], env=env)
    assert session.status == 3 and "Traceback" not in session.screen
    (line,) = [line for line in session.lines if line.startswith("error:")]
    assert "stopped on a bug (RuntimeError: a bug in the summary at http://127.0.0.1/)" in line
    (kept,) = (site / ".migrate").glob("crash-*.txt")
    assert str(kept) in line
    text = kept.read_text()
    assert "Traceback" in text and "a bug in the summary" in text and f"--source {revue.url}/ --remap" in text
    for secret in (TOKEN, *leaks):  # the token from the environment; the rest from the command line
        assert secret not in text and secret not in session.screen


# ---------------------------------------------------------------------- the disk: full, read-only

def in_namespace(script: str) -> list[str]:
    """A shell script in a mount namespace of its own (its mounts vanish with it)."""
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script]
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-ec", script]


@pytest.fixture
def mounts(tmp_path):
    """Skip where this machine lets no mount namespace be made (then neither condition can be staged)."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(in_namespace(f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"), capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace can be made here ({probe.stderr.decode(errors='replace').strip()[:120]})")


def test_a_read_only_site_is_one_sentence_and_nothing_is_lost(revue, env, tmp_path, mounts):
    site = tmp_path / "site"
    assert in_terminal(first_run(revue, site), env=env).status == 0
    before = site_tree(site)
    sync = " ".join(tool("sync", "--site", str(site)))
    session = in_terminal(in_namespace(f"mount --bind {site} {site}; mount -o remount,bind,ro {site}; exec {sync}"), env=env)
    no_traceback(session)
    assert session.status == 2, session.screen
    assert "error:" in session.screen and "make" in session.screen and "writable" in session.screen
    assert site_tree(site) == before


def test_a_full_disk_is_one_sentence_and_a_sync_with_room_finishes_the_run(revue, env, tmp_path, mounts):
    site, kept = tmp_path / "site", tmp_path / "kept"
    site.mkdir()
    run = " ".join(first_run(revue, site) + ["--quiet"])
    # A 160 KB disk takes the state store and a few issues, then is full; what was written is
    # copied out before the namespace (and its disk) goes.
    script = f"mount -t tmpfs -o size=160k tmpfs {site}; status=0; {run} || status=$?; cp -a {site} {kept}; exit $status"
    session = in_terminal(in_namespace(script), env=env)
    no_traceback(session)
    assert session.status == 2, session.screen
    assert "the disk is full" in session.screen and f"`newsletter-migrate sync --site {site}` finishes the run" in session.screen
    finished = subprocess.run(tool("sync", "--site", str(kept)), env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    clean = tmp_path / "clean"
    assert subprocess.run(first_run(revue, clean), env=env, capture_output=True, timeout=300).returncode == 0
    assert published(kept) == published(clean)


# ---------------------------------------------------------------------- the README's first command

def test_make_demo_in_a_terminal(tmp_path):
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make demo sets up .venv first; `make test` has done that wherever it runs")
    session = in_terminal(["make", "-s", "demo"], env={**os.environ, "DEMO_SITE": str(tmp_path / "demo")}, timeout=600)
    no_traceback(session)
    assert session.status == 0, session.screen
    assert "12 issue(s) found: 12 converted" in session.screen and "every one leads to its issue" in session.screen
    assert f"Look at it: .venv/bin/newsletter-migrate preview --site {tmp_path / 'demo'}" in session.screen


def published(site: Path) -> dict:
    """The site as Hugo reads it: everything but the tool's own .migrate folder."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and ".migrate" not in p.relative_to(site).parts}
