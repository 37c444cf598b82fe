"""A command that fails before it records anything leaves no trace: no site folder it created, no
.migrate/ in a folder that had none; a site migrated before keeps its state as it was."""
import socket

import pytest

from migrate.cli import main
from migrate.standin import Account
from migrate.state import STATE_PATH, StateStore

from .support import REVUE, migrate

TOKEN = "test-token-5f2c"


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args, capsys):
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def revue(standin, monkeypatch):
    monkeypatch.setenv("REVUE_API_TOKEN", "wrong-token-9d1e")
    return standin(Account.from_files(REVUE / "api-issues.json", token=TOKEN, profile="fieldrec"))


def test_a_wrong_token_leaves_no_site_folder_behind(revue, tmp_path, capsys):
    site = tmp_path / "site"
    status, _, err = run_cli("run", "--platform", "revue-api", "--source", revue.url, "--site", str(site), "--quiet", capsys=capsys)
    assert status == 2 and "401" in err
    assert not site.exists()


def test_a_wrong_token_leaves_no_state_in_a_folder_that_had_none(revue, tmp_path, capsys):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "hugo.toml").write_text("title = 'mine'\n")
    status, _, _ = run_cli("run", "--platform", "revue-api", "--source", revue.url, "--site", str(site), "--quiet", capsys=capsys)
    assert status == 2
    assert sorted(p.name for p in site.iterdir()) == ["content", "hugo.toml"]  # the author's, untouched


@pytest.mark.parametrize("platform, source, options", [
    ("revue-pages", "http://127.0.0.1:{port}/profile/fieldrec/issues/one-1", []),
    ("wayback", "getrevue.co/profile/fieldrec/issues/", ["--platform-option", "cdx=http://127.0.0.1:{port}/cdx"]),
])
def test_an_unreachable_server_leaves_no_site_folder_behind(platform, source, options, tmp_path, capsys):
    port = closed_port()
    site = tmp_path / "site"
    status, _, err = run_cli("run", "--platform", platform, "--source", source.format(port=port), "--site", str(site),
                             *[o.format(port=port) for o in options], "--quiet", capsys=capsys)
    assert status == 2 and err.startswith("error: ") and "Traceback" not in err
    assert not site.exists()


def test_a_failed_run_into_a_migrated_site_keeps_its_state(tmp_path, capsys):
    site = tmp_path / "site"
    migrate("revue-pages", REVUE / "page-2020.html", site, download_images=False)
    before = [row.source_id for row in StateStore.open_existing(site).issues()]
    status, _, _ = run_cli("run", "--platform", "revue-pages", "--source", f"http://127.0.0.1:{closed_port()}/profile/x/issues/a-1",
                           "--site", str(site), "--quiet", capsys=capsys)
    assert status == 2 and before
    state = StateStore.open_existing(site)
    assert [row.source_id for row in state.issues()] == before
    state.close()


def test_retry_failed_on_a_site_never_migrated_says_to_run_first_and_creates_nothing(tmp_path, capsys):
    site = tmp_path / "nosuchdir"
    status, out, err = run_cli("retry-failed", "--platform", "revue-pages", "--source", str(REVUE / "page-2020.html"),
                               "--site", str(site), capsys=capsys)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "newsletter-migrate run" in err
    assert not site.exists() and not (site / STATE_PATH).exists()


def test_a_failed_first_run_keeps_what_the_author_kept_in_an_existing_migrate_folder(tmp_path, capsys):
    """A .migrate/ that was there before (a state moved aside as a schema error asks, an old
    verify.json) is not the run's to remove: only the store it created goes."""
    site = tmp_path / "site"
    (site / ".migrate").mkdir(parents=True)
    (site / ".migrate" / "state.sqlite.old").write_bytes(b"the author's moved-aside state")
    (site / ".migrate" / "verify.json").write_text("{}")
    status = main(["run", "--platform", "revue-pages", "--source", f"http://127.0.0.1:{closed_port()}/profile/x/issues/a-1",
                   "--site", str(site), "--quiet"])
    capsys.readouterr()
    assert status == 2
    assert (site / ".migrate" / "state.sqlite.old").exists()
    assert (site / ".migrate" / "verify.json").exists()


def test_a_failed_start_leaves_no_folder_it_created_above_the_site(tmp_path, capsys):
    """--site new/deeper/site, none of it there before: none of it is there after."""
    site = tmp_path / "new" / "deeper" / "site"
    status = main(["run", "--platform", "revue-pages", "--source", f"http://127.0.0.1:{closed_port()}/profile/x/issues/a-1",
                   "--site", str(site), "--quiet"])
    capsys.readouterr()
    assert status == 2 and not site.exists()
    assert not (tmp_path / "new").exists()
