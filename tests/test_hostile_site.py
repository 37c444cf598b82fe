"""The site folder under stress: two runs at once, a run killed while it holds the site, a site
that cannot be written, a damaged state store, and links where the tool keeps its state."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrate.errors import UserError
from migrate.runlock import RunLock, holder
from migrate.standin import Account
from migrate.status import format_status, site_status

from .support import migrate, report_of

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"


def tree(site: Path) -> dict:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def cli(*args: str, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, timeout=120,
                          env=env or dict(os.environ), **kwargs)


@pytest.fixture
def slow_revue(standin):
    """The bundled sample behind a stand-in that takes 0.3 s over every answer: a run of it
    holds the site for several seconds."""
    account = Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token="tok-site", latency=0.3)
    server = standin(account)
    env = {**os.environ, "REVUE_API_TOKEN": "tok-site"}
    args = ["--platform", "revue-api", "--source", server.url, "--remap",
            f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com", "--quiet", "--concurrency", "1"]
    return args, env


def wait_for_lock(site: Path, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = holder(site)
        if found and found.get("pid") not in (None, "?"):
            return found
        time.sleep(0.05)
    raise AssertionError("the first run never took the lock")


# ---------------------------------------------------------------------- item 9: one run at a time

def test_a_second_run_is_refused_at_once_and_touches_nothing_of_the_first(tmp_path):
    site = tmp_path / "site"
    migrate("revue-api", SAMPLE / "issues.json", site, download_images=False)
    first = RunLock.acquire(site, command="sync")  # the first run, holding the site
    (site / "content" / "issues" / ".nm-tmp-001.md.abc").write_text("the first run's half-written file")
    before = tree(site)
    try:
        started = time.monotonic()
        with pytest.raises(UserError, match=rf"Another run is in progress in {site} since .*, process {os.getpid()}"):
            migrate("revue-api", SAMPLE / "issues.json", site, mode="sync", download_images=False)
        assert time.monotonic() - started < 5
        assert tree(site) == before  # its temporary file, its state, its lock: all as they were
    finally:
        first.release()
    migrate("revue-api", SAMPLE / "issues.json", site, mode="sync", download_images=False)  # free again


def test_two_command_lines_at_once_one_refused_the_other_complete(tmp_path, slow_revue):
    args, env = slow_revue
    site = tmp_path / "site"
    first = subprocess.Popen([sys.executable, "-m", "migrate", "run", *args, "--site", str(site)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        running = wait_for_lock(site)
        assert running["pid"] == first.pid and running["command"] == "run"
        while not (site / ".migrate" / "state.sqlite").exists():
            time.sleep(0.05)
        assert f"still in progress (since {running['started']}, process {first.pid})" in format_status(site_status(site))
        second = cli("sync", *args, "--site", str(site), env=env)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert f"Another run is in progress in {site} since" in second.stderr and f"process {first.pid}" in second.stderr
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert report_of(site)["summary"]["issues_written"] == 12
    status = site_status(site)
    assert status.last_run == "complete" and status.in_progress is None and not status.failed_images
    assert not list(site.rglob("*.incoming")) and (site / ".migrate" / "lock").read_text() == ""


def test_a_lock_left_by_a_killed_run_is_taken_over_and_the_next_run_finishes_the_job(tmp_path, slow_revue):
    args, env = slow_revue
    site = tmp_path / "site"
    victim = subprocess.Popen([sys.executable, "-m", "migrate", "run", *args, "--site", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for_lock(site)
        time.sleep(1.0)  # well into its work
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)
    left = json.loads((site / ".migrate" / "lock").read_text())
    assert left["pid"] == victim.pid and holder(site) is None  # its file is there, its lock is not held
    again = cli("sync", *args, "--site", str(site), env=env)
    assert again.returncode == 0, again.stderr
    notes = [note["warning"] for note in report_of(site)["source_warnings"]]
    assert any(f"process {victim.pid}" in note and "ended without finishing" in note and "took over its lock" in note
               for note in notes)
    assert site_status(site).last_run == "complete" and report_of(site)["summary"]["images_failed"] == 0


def test_a_run_that_ends_well_leaves_the_lock_free_and_no_word_of_a_takeover(tmp_path):
    site = tmp_path / "site"
    migrate("revue-api", SAMPLE / "issues.json", site, download_images=False)
    migrate("revue-api", SAMPLE / "issues.json", site, mode="sync", download_images=False)
    assert (site / ".migrate" / "lock").read_text() == "" and holder(site) is None
    assert not any("took over" in note["warning"] for note in report_of(site)["source_warnings"])


# ---------------------------------------------------------------------- item 11: a site that cannot be written

def read_only(path: Path, command: list[str]) -> list[str]:
    """`command`, run where `path` cannot be written: a read-only bind mount of it in a mount
    namespace of its own (as root, whom file modes do not stop), else the file modes."""
    if os.geteuid() != 0:
        for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
            p.chmod(p.stat().st_mode & ~0o222)
        return command
    if not shutil.which("unshare") or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only mount here (unshare -m is not allowed)")
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", str(path), *command]


@pytest.fixture
def migrated(tmp_path):
    site = tmp_path / "site"
    migrate("revue-api", SAMPLE / "issues.json", site, download_images=False)
    yield site
    for p in [site, *site.rglob("*")]:  # writable again, for pytest to clean up
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)


SYNC = [sys.executable, "-m", "migrate", "sync", "--platform", "revue-api", "--source", str(SAMPLE / "issues.json"),
        "--no-images", "--quiet", "--site"]


def test_a_read_only_site_gets_one_sentence_on_sync_not_a_traceback(migrated):
    before = tree(migrated)
    result = subprocess.run(read_only(migrated, SYNC + [str(migrated)]), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "OperationalError" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "cannot be written" in line and "make the site folder writable" in line
    assert tree(migrated) == before


def test_a_read_only_state_store_in_a_writable_site_gets_one_sentence_too(migrated):
    store = migrated / ".migrate" / "state.sqlite"
    result = subprocess.run(read_only(store, SYNC + [str(migrated)]), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "state.sqlite cannot be written" in result.stderr and "make the site folder writable" in result.stderr


def test_status_and_redirects_read_a_read_only_site(migrated):
    status = subprocess.run(read_only(migrated, [sys.executable, "-m", "migrate", "status", "--site", str(migrated)]),
                            capture_output=True, text=True, timeout=120)
    assert status.returncode == 0 and "12 issue(s) known" in status.stdout, status.stderr
    rules = subprocess.run(read_only(migrated, [sys.executable, "-m", "migrate", "redirects", "--site", str(migrated),
                                                "--format", "netlify"]), capture_output=True, text=True, timeout=120)
    assert rules.returncode == 0 and "/profile/tidepool/issues/" in rules.stdout, rules.stderr


def test_a_damaged_state_store_is_named_with_what_to_do(migrated):
    (migrated / ".migrate" / "state.sqlite").write_bytes(b"this is not a database, it was overwritten" * 100)
    for suffix in ("-wal", "-shm"):
        (migrated / ".migrate" / f"state.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.raises(UserError, match="state.sqlite is damaged .*; move it aside to start the state afresh"):
        migrate("revue-api", SAMPLE / "issues.json", migrated, mode="sync", download_images=False)


# ---------------------------------------------------------------------- item 13: no link out of the site

def test_a_linked_tool_folder_is_refused_and_nothing_is_written_through_it(tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    site.mkdir()
    elsewhere.mkdir()
    (site / ".migrate").symlink_to(elsewhere)
    with pytest.raises(UserError, match=r"\.migrate is a symbolic link"):
        migrate("revue-api", SAMPLE / "issues.json", site, download_images=False)
    assert list(elsewhere.iterdir()) == [] and not (site / "content").exists()
    with pytest.raises(UserError, match="symbolic link"):
        site_status(site)


def test_a_linked_state_store_or_lock_is_refused(migrated, tmp_path):
    outside = tmp_path / "outside.sqlite"
    store = migrated / ".migrate" / "state.sqlite"
    shutil.move(store, outside)
    store.symlink_to(outside)
    with pytest.raises(UserError, match="state.sqlite is a symbolic link"):
        migrate("revue-api", SAMPLE / "issues.json", migrated, mode="sync", download_images=False)
    store.unlink()
    shutil.move(outside, store)
    lock = migrated / ".migrate" / "lock"
    lock.unlink()
    lock.symlink_to(tmp_path / "planted")
    with pytest.raises(UserError, match="lock is a symbolic link"):
        migrate("revue-api", SAMPLE / "issues.json", migrated, mode="sync", download_images=False)
    assert not (tmp_path / "planted").exists()


def test_verify_writes_its_report_through_no_link(migrated, tmp_path):
    from migrate.verify import verify_build

    report = verify_build(migrated)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(migrated / ".migrate", elsewhere / "tool")
    (migrated / ".migrate").symlink_to(elsewhere / "tool")
    with pytest.raises(UserError, match="symbolic link"):
        report.write(migrated)
    assert not (elsewhere / "tool" / "verify.json").exists()
