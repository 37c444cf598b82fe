"""What a site remembers of how it was made (SITE/.migrate/settings.yaml), and what a later
command line changes of it: a run records its own command line; sync, retry-failed and status
take what they are not told from the file, and remember only what the site did not know."""
from __future__ import annotations

import yaml

from migrate.cli import main
from migrate.settings import SETTINGS_PATH

from .support import FIXTURES, REVUE

PAGES = REVUE / "page-2020.html"  # a clean source: exit 0 without images


def remembered(site) -> dict:
    return yaml.safe_load((site / SETTINGS_PATH).read_text())


def cli(capsys, *args) -> tuple[int, str]:
    status = main([*args, "--quiet"])
    return status, capsys.readouterr().err


def test_a_sync_of_another_platform_into_the_site_changes_nothing_it_remembers(tmp_path, capsys):
    site = tmp_path / "site"
    assert cli(capsys, "run", "--platform", "revue-pages", "--source", str(PAGES), "--site", str(site), "--no-images")[0] == 0
    before = (site / SETTINGS_PATH).read_bytes()
    status, err = cli(capsys, "sync", "--site", str(site), "--platform", "rss", "--source", str(FIXTURES / "rss" / "rss2.xml"),
                      "--no-images")
    assert status == 0 and "--platform given: it replaces the remembered value for this run only" in err
    assert (site / SETTINGS_PATH).read_bytes() == before
    status, err = cli(capsys, "sync", "--site", str(site))  # still the first source, with its settings
    assert status == 0, err
    assert "--platform revue-pages" in err


def test_switches_given_to_a_sync_hold_for_that_run_only(tmp_path, capsys):
    site = tmp_path / "site"
    cli(capsys, "run", "--platform", "revue-pages", "--source", str(PAGES), "--site", str(site), "--no-images")
    status, err = cli(capsys, "sync", "--site", str(site), "--wayback-images", "--sentence-per-line", "--allow-host", "archive.internal")
    assert "--wayback-images given: for this run only" in err and "--sentence-per-line given: for this run only" in err
    assert set(remembered(site)) == {"platform", "source", "images"}


def test_what_the_site_did_not_know_a_sync_teaches_it(tmp_path, capsys):
    site = tmp_path / "site"
    cli(capsys, "run", "--platform", "revue-pages", "--source", str(PAGES), "--site", str(site), "--no-images",
        "--remap", "https://s3.amazonaws.com=http://127.0.0.1:9/s3")
    status, err = cli(capsys, "sync", "--site", str(site), "--remap", "https://img.example=http://127.0.0.1:9/img",
                      "--remap", "https://s3.amazonaws.com=http://127.0.0.1:9/elsewhere")
    assert "--remap given: new to this site" in err and "--remap given: it replaces the remembered value for this run only" in err
    assert remembered(site)["remap"] == ["https://s3.amazonaws.com=http://127.0.0.1:9/s3", "https://img.example=http://127.0.0.1:9/img"]


def test_a_run_records_its_own_command_line_and_says_what_it_no_longer_holds(tmp_path, capsys):
    site = tmp_path / "site"
    cli(capsys, "run", "--platform", "revue-pages", "--source", str(PAGES), "--site", str(site), "--no-images",
        "--remap", "https://s3.amazonaws.com=http://127.0.0.1:9/s3")
    status, err = cli(capsys, "run", "--platform", "revue-pages", "--source", str(PAGES), "--site", str(site), "--no-images",
                      "--sentence-per-line")
    assert status == 0 and "it no longer holds --remap." in err
    assert remembered(site) == {"platform": "revue-pages", "source": str(PAGES.resolve()), "sentence_per_line": True, "images": False}
    # A run given neither platform nor source runs as the site was made, and may add to it.
    status, err = cli(capsys, "run", "--site", str(site), "--remap", "https://img.example=http://127.0.0.1:9/img")
    assert status == 0 and "Using the settings remembered" in err
    assert remembered(site)["remap"] == ["https://img.example=http://127.0.0.1:9/img"] and remembered(site)["sentence_per_line"] is True


def test_paths_in_a_remembered_config_are_read_beside_it_from_any_folder(tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "page.html").write_bytes(PAGES.read_bytes())
    (project / "migrate.yaml").write_text("platform: revue-pages\nsource: page.html\nsite: site\nimages: false\n")
    monkeypatch.chdir(project)
    assert cli(capsys, "run", "--config", "migrate.yaml")[0] == 0
    assert (project / "site" / "content" / "issues" / "042.md").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status, err = cli(capsys, "sync", "--site", str(project / "site"))
    assert status == 0, err
