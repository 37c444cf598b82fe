"""A source that plainly belongs to another platform is refused in one sentence naming the
--platform to use, before anything is written."""
import subprocess
import sys

import pytest

from migrate.cli import main

from .support import FIXTURES, REVUE


@pytest.mark.parametrize("platform, source, right", [
    ("revue-api", FIXTURES / "buttondown" / "api-emails.json", "buttondown-api"),
    ("buttondown-api", REVUE / "api-issues.json", "revue-api"),
    ("revue-pages", FIXTURES / "substack" / "export", "substack-export"),
    ("revue-pages", REVUE / "export", "revue-export"),
    ("substack-export", FIXTURES / "mailchimp" / "export", "mailchimp-export"),
    ("mailchimp-export", FIXTURES / "buttondown" / "export", "buttondown-export"),
])
def test_a_source_of_another_platform_names_the_platform_to_use(platform, source, right, tmp_path, capsys):
    site = tmp_path / "site"
    status = main(["run", "--platform", platform, "--source", str(source), "--site", str(site), "--no-images", "--quiet"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and f"run again with --platform {right}." in err
    assert not site.exists()



def test_a_fresh_command_knows_the_other_platforms_too(tmp_path):
    # As a person runs it: a process of its own, which imports only the named platform's module
    # (the tests above may share one where another test imported every platform's).
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "migrate", "run", "--platform", "revue-api", "--source",
                           str(FIXTURES / "buttondown" / "api-emails.json"), "--site", str(site), "--no-images", "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "run again with --platform buttondown-api." in done.stderr, done.stdout + done.stderr
    assert not site.exists()

def test_a_zipped_export_is_recognised_by_its_members(tmp_path, capsys):
    import shutil

    archive = shutil.make_archive(str(tmp_path / "substack-export"), "zip", FIXTURES / "substack" / "export")
    status = main(["run", "--platform", "mailchimp-export", "--source", archive, "--site", str(tmp_path / "site"), "--quiet"])
    assert status == 2 and "--platform substack-export" in capsys.readouterr().err


@pytest.mark.parametrize("platform, source", [
    ("revue-api", REVUE / "api-issues.json"),
    ("revue-pages", REVUE / "page-2020.html"),
    ("revue-pages", REVUE),  # saved pages, with an export in a folder beside them
    ("substack-export", FIXTURES / "substack" / "export"),
])
def test_a_source_of_the_chosen_platform_passes(platform, source):
    from migrate.sources import check_platform_fits

    check_platform_fits(platform, str(source))  # no error


def test_a_deeply_nested_json_source_passes_the_platform_check_for_its_fetcher_to_judge(tmp_path):
    from migrate.sources import check_platform_fits

    path = tmp_path / "issues.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert check_platform_fits("revue-api", str(path)) is None  # not a RecursionError
