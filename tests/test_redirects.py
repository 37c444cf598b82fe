"""Redirect rules for each host, from the map of old paths the migration recorded."""
import csv
import io
import json
from urllib.parse import urlsplit

import pytest

from migrate.errors import UserError
from migrate.redirects import Redirect, RedirectMap, host_advice, redirect_map, render_redirects

from .support import FIXTURES, REVUE, migrate

OLD_4 = "/profile/fieldrec/issues/field-recordings-4-rain-on-a-tin-roof-900204"
OLD_3 = "/profile/fieldrec/issues/field-recordings-3-birds-bells-900203"


@pytest.fixture
def site(tmp_path):
    migrate("revue-api", REVUE / "api-issues.json", tmp_path, download_images=False)
    return tmp_path


def test_the_map_holds_every_old_path_and_the_old_hosts(site):
    rules = redirect_map(site)
    assert [(r.old_path, r.new_url) for r in rules.redirects] == [(OLD_3, "/issues/003/"), (OLD_4, "/issues/004/")]
    # Revue's own host is no host of the author's: nobody can point it at the new site.
    assert rules.old_hosts == [] and rules.platform_hosts == ["www.getrevue.co"] and rules.clashes == []


def test_the_map_is_what_the_migration_recorded_not_what_front_matter_says_now(site):
    page = site / "content/issues/004.md"
    page.write_text(page.read_text().replace(f"  - {OLD_4}\n", ""))
    assert OLD_4 in [r.old_path for r in redirect_map(site).redirects]


def test_a_moved_issue_redirects_from_its_old_page_too(site):
    migrate("revue-api", REVUE / "api-issues.json", site, mode="sync", download_images=False, section="letters")
    rules = {r.old_path: r.new_url for r in redirect_map(site).redirects}
    assert rules["/issues/004"] == "/letters/004/" and rules[OLD_4] == "/letters/004/"


def test_netlify_and_cloudflare_lines(site):
    assert f"{OLD_4}  /issues/004/  301" in render_redirects(redirect_map(site), "netlify").splitlines()
    assert f"{OLD_4} /issues/004/ 301" in render_redirects(redirect_map(site), "cloudflare").splitlines()


def test_nginx_maps_each_path_with_and_without_its_trailing_slash(site):
    text = render_redirects(redirect_map(site), "nginx")
    assert f'    "{OLD_4}" "/issues/004/";' in text and f'    "{OLD_4}/" "/issues/004/";' in text
    assert text.startswith("# ") and "map $uri $newsletter_migrate_target {" in text  # nginx itself reads it in test_verify


def test_apache_vercel_csv_and_json(site):
    rules = redirect_map(site)
    assert f'Redirect 301 "{OLD_4}" "/issues/004/"' in render_redirects(rules, "apache")
    vercel = json.loads(render_redirects(rules, "vercel"))["redirects"]
    assert {"source": OLD_4, "destination": "/issues/004/", "permanent": True} in vercel
    rows = list(csv.DictReader(io.StringIO(render_redirects(rules, "csv"))))
    assert rows[1] == {"source": OLD_4, "destination": "/issues/004/", "status": "301", "issue_id": "900204",
                       "title": "Field Recordings #4: Rain on a tin roof"}
    data = json.loads(render_redirects(rules, "json"))
    assert data["old_hosts"] == [] and data["platform_hosts"] == ["www.getrevue.co"]


def test_vercel_sources_escape_path_pattern_characters():
    rules = RedirectMap([Redirect("/issues/a:b(1)", "/issues/001/", "1", None)], [], [])
    assert json.loads(render_redirects(rules, "vercel"))["redirects"][0]["source"] == "/issues/a\\:b\\(1\\)"


def many(count: int, length: int = 20) -> RedirectMap:
    return RedirectMap([Redirect(f"/issues/{'x' * length}-{n}", f"/issues/{n:04d}/", str(n), None) for n in range(count)], [], [])


@pytest.mark.parametrize("fmt, rules, says", [
    ("cloudflare", many(2001), "2,000 static redirects"),
    ("cloudflare", many(1, length=1200), "1,000 characters a line"),
    ("vercel", many(1025), "1,024 redirects"),
])
def test_a_host_limit_exceeded_is_a_clear_error(fmt, rules, says):
    with pytest.raises(UserError, match=says):
        render_redirects(rules, fmt)


def test_within_the_limits_the_same_rules_render(tmp_path):
    assert render_redirects(many(2000), "cloudflare").count(" 301\n") == 2000
    assert len(json.loads(render_redirects(many(1024), "vercel"))["redirects"]) == 1024


def test_an_old_path_two_issues_claim_is_reported(site):
    from migrate.state import StateStore

    state = StateStore.open_existing(site)
    row = state.issue("revue", "900203")
    row.old_paths.append(OLD_4)
    state.put_issue(row)
    state.close()
    (clash,) = redirect_map(site).clashes
    assert OLD_4 in clash and "900203" in clash and "900204" in clash


def test_the_command_writes_the_file_and_names_the_old_hosts(site, tmp_path, capsys):
    from migrate.cli import main

    out = tmp_path / "_redirects"
    assert main(["redirects", "--site", str(site), "--format", "netlify", "--out", str(out)]) == 0
    assert OLD_3 in out.read_text()
    err = capsys.readouterr().err
    assert "Old links on www.getrevue.co" in err and "cannot be redirected by you" in err
    assert "to point at the new site" not in err


def test_only_the_authors_own_hosts_are_to_be_pointed_and_the_platforms_own_are_named_apart(tmp_path):
    from migrate.state import STATE_PATH, IssueRow, StateStore

    urls = ["https://digest.example.com/p/one", "https://digest.substack.com/p/one", "https://buttondown.email/digest/archive/one/",
            "https://mailchi.mp/digest/one", "https://www.getrevue.co/profile/digest/issues/one-1"]
    state = StateStore(tmp_path / STATE_PATH)
    state.put_issue(IssueRow("substack", "1", "src", "ref", None, None, "One", [urlsplit(u).path for u in urls], urls, [],
                             "content/issues/001.md", None, None))
    state.close()
    rules = redirect_map(tmp_path)
    assert rules.old_hosts == ["digest.example.com"]
    assert rules.platform_hosts == ["buttondown.email", "digest.substack.com", "mailchi.mp", "www.getrevue.co"]
    pointed, unpointable = host_advice(rules.old_hosts, rules.platform_hosts)
    assert pointed.endswith(": digest.example.com") and "substack" not in pointed
    assert "digest.substack.com" in unpointable and "cannot be redirected by you" in unpointable


def test_a_site_with_no_old_path_says_there_is_nothing_to_check_and_why(tmp_path, capsys):
    from migrate.cli import main

    # A Mailchimp export names no URLs at all: nothing to redirect, and the option that records them.
    migrate("mailchimp-export", FIXTURES / "mailchimp" / "export", tmp_path, download_images=False)
    assert main(["verify", "--site", str(tmp_path), "--build"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Nothing to redirect or check: the migration recorded no old path, because its source gave no issue URLs")
    assert "archive_url=" in out and "mailchimp-export" in out and "every one leads to its issue" not in out
    assert json.loads((tmp_path / ".migrate" / "verify.json").read_text())["nothing"] == out.splitlines()[0]
    assert main(["redirects", "--site", str(tmp_path), "--format", "netlify"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and err.startswith("Nothing to redirect or check:") and "archive_url=" in err


def test_a_site_whose_old_urls_no_path_rule_serves_says_so_instead_of_nothing_to_check(tmp_path, capsys):
    from migrate.cli import main

    archive = "https://us6.campaign-archive.com/?u=0a1b2c3d4e5f60718293a4b5c&id=ffffffffff"
    migrate("mailchimp-export", FIXTURES / "mailchimp" / "export", tmp_path, download_images=False,
            platform_options={"archive_url": archive})
    rules = redirect_map(tmp_path)
    assert rules.redirects == [] and "no path rule can serve" in rules.nothing and "`unserved`" in rules.nothing
    assert main(["redirects", "--site", str(tmp_path), "--format", "netlify"]) == 0
    err = capsys.readouterr().err
    assert err.count("no path rule can serve") + err.count("cannot be served by a path rule") == 1  # said once


def test_a_site_with_old_paths_has_nothing_to_explain(site):
    assert redirect_map(site).nothing is None


def test_an_out_that_names_a_folder_is_one_sentence_naming_a_file_to_give(site, tmp_path, capsys):
    from migrate.cli import main

    folder = tmp_path / "static"
    folder.mkdir()
    assert main(["redirects", "--site", str(site), "--format", "netlify", "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --out names a folder ({folder}); give a file name such as {folder / '_redirects'}.\n"
    assert list(folder.iterdir()) == []


def test_an_out_that_cannot_be_written_says_so_without_blaming_the_site_folder(site, tmp_path, capsys):
    from migrate.cli import main

    (tmp_path / "a-file").write_text("")
    assert main(["redirects", "--site", str(site), "--format", "nginx", "--out", str(tmp_path / "a-file" / "redirects.conf")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write --out ") and err.count("\n") == 1 and "site folder" not in err and ".nm-tmp" not in err
