"""No old path takes over a page of the site: another issue's page, a section's list, the home
page or a file Hugo writes itself. Such a path is refused with a warning naming both sides,
also when the page turns up later in the run than the issue that claimed it, and `verify`
checks that each page is still itself."""
import json

import pytest
import yaml

from migrate.check import split_front_matter
from migrate.config import RunOptions, load_config
from migrate.redirects import redirect_map, render_redirects
from migrate.state import StateStore
from migrate.verify import verify_build, verify_http

from .faultserver import ok
from .support import migrate, site_tree

TAKEOVERS = ["/issues/002/", "/issues/", "/", "/index.xml", "/issues/002/index.html", "/tags/", "/issues/index.xml"]


def api_issue(n: int) -> dict:
    return {"id": 500 + n, "title": f"Issue #{n}", "html": f"<p>Body of issue {n}.</p>", "sent_at": f"2022-01-0{n}T08:00:00.000Z",
            "url": f"https://www.getrevue.co/profile/x/issues/issue-{n}-{500 + n}"}


def overrides(tmp_path, aliases: dict) -> RunOptions:
    config = tmp_path / "migrate.yaml"
    config.write_text(yaml.safe_dump({"overrides": {str(500 + n): {"aliases": paths} for n, paths in aliases.items()}}))
    options = RunOptions()
    load_config(config, options)
    return options


def run(tmp_path, aliases: dict, mode: str = "run"):
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([api_issue(1), api_issue(2), api_issue(3)]))
    return migrate("revue-api", source, tmp_path / "site", mode=mode, download_images=False,
                   overrides=overrides(tmp_path, aliases).overrides)


def aliases_of(site, name: str) -> list[str]:
    return yaml.safe_load(split_front_matter((site / "content" / "issues" / name).read_text())[0]).get("aliases", [])


@pytest.fixture
def attacked(tmp_path):
    # Issue 1 names the page of issue 2 (written after it), the list, the home page and files Hugo
    # writes; issue 3 names the page of issue 1 (written before it).
    report = run(tmp_path, {1: TAKEOVERS + ["/fine/old/path/"], 3: ["/issues/001"]})
    return tmp_path / "site", report


def test_no_page_of_the_site_stays_an_alias_of_another_issue(attacked):
    site, report = attacked
    assert aliases_of(site, "001.md") == ["/profile/x/issues/issue-1-501", "/fine/old/path/"]
    assert aliases_of(site, "003.md") == ["/profile/x/issues/issue-3-503"]
    first, _, third = report.issues
    refused = [w for w in first["warnings"] if "is not kept as an alias" in w]
    assert len(refused) == 5 and any("/issues/ is the list of /issues/" in w for w in refused)
    assert any("/ is the home page" in w for w in refused) and any("/tags/ is the list of tags" in w for w in refused)
    assert any("/issues/001 is the page of issue 501 (Issue #1)" in w for w in third["warnings"])
    # The one a later page turned out to be is taken back, and the report names both issues.
    (note,) = [n["warning"] for n in report.notes]
    assert note.startswith("the old path /issues/002 of issue 501 (Issue #1) is the page of issue 502 (Issue #2): it was "
                           "taken out of the aliases of content/issues/001.md")
    rows = {row.source_id: row for row in StateStore.open_existing(site).issues()}
    assert rows["501"].old_paths == ["/profile/x/issues/issue-1-501", "/fine/old/path/"]


def test_no_rule_points_a_page_elsewhere_and_verify_finds_each_page_itself(attacked):
    site, _ = attacked
    rules = redirect_map(site)
    assert {r.old_path for r in rules.redirects} == {"/profile/x/issues/issue-1-501", "/profile/x/issues/issue-2-502",
                                                     "/profile/x/issues/issue-3-503", "/fine/old/path"} and not rules.clashes
    report = verify_build(site)
    assert report.ok and report.checked == 4 and report.pages_checked == 5  # three issues, their list, the home page


def test_a_second_run_writes_the_same_bytes(attacked, tmp_path):
    site, _ = attacked
    def content() -> dict:  # the site itself, not the run's own reports
        return {name: data for name, data in site_tree(site).items() if not name.startswith(".migrate/")}

    before = content()
    run(tmp_path, {1: TAKEOVERS + ["/fine/old/path/"], 3: ["/issues/001"]}, mode="sync")
    assert content() == before


def plant_takeover(site, path: str) -> None:
    """What an earlier version of the tool wrote: issue 1 with a page of the site as an alias."""
    page = site / "content" / "issues" / "001.md"
    page.write_text(page.read_text().replace("aliases:\n", f"aliases:\n  - {path}\n"))
    state = StateStore.open_existing(site)
    row = state.issue("revue", "501")
    import hashlib

    row.old_paths.append(path)
    row.output_hash = hashlib.sha256(page.read_bytes()).hexdigest()
    state.put_issue(row)
    state.close()


def test_verify_catches_a_list_an_earlier_version_turned_into_a_redirect_and_sync_mends_it(tmp_path, monkeypatch):
    """Which of a page and an alias over it Hugo writes last varies from build to build; this
    build is held to the outcome the attack wants: the alias page over the list."""
    import shutil

    from migrate import verify

    run(tmp_path, {})
    site = tmp_path / "site"
    plant_takeover(site, "/issues/")
    real_build = verify.build_site

    def alias_written_last(site_folder, public, base_url=None):
        real_build(site_folder, public, base_url)
        if (public / "issues" / "index.html").read_text().count("refresh") == 0:
            shutil.copy(public / "profile/x/issues/issue-1-501/index.html", public / "issues" / "index.html")

    monkeypatch.setattr(verify, "build_site", alias_written_last)
    report = verify_build(site)
    monkeypatch.undo()
    (taken,) = report.mismatches
    assert (taken.old_path, taken.problem) == ("/issues/", "page-taken") and not report.ok
    assert any("/issues, an old path of issue 501, is the list of /issues/" in clash for clash in redirect_map(site).clashes)
    assert not any(line.startswith("/issues ") for line in render_redirects(redirect_map(site), "netlify").splitlines())
    mended = run(tmp_path, {}, mode="sync")
    assert any("taken out of the aliases of content/issues/001.md" in n["warning"] for n in mended.notes)
    assert "/issues/" not in aliases_of(site, "001.md") and verify_build(site).ok and not redirect_map(site).clashes


def test_verify_over_http_catches_a_page_that_redirects_or_is_an_alias_page(tmp_path, faults):
    run(tmp_path, {})
    site = tmp_path / "site"
    for rule in redirect_map(site).redirects:
        faults.script(rule.old_path, ok(f'<meta http-equiv="refresh" content="0; url={rule.new_url}">'.encode()))
    faults.script("/issues/001/", ok(b"<html><body>One</body></html>"))
    faults.script("/issues/002/", ok(b'<html><head><meta http-equiv="refresh" content="0; url=/issues/001/"></head></html>'))
    faults.script("/issues/003/", ok(b"<html><body>Three</body></html>"))
    faults.script("/issues/", ok(b"<html><body>All issues</body></html>"))
    faults.script("/", ok(b"<html><body>Home</body></html>"))
    report = verify_http(site, faults.url, attempts=1)
    assert [(m.old_path, m.problem) for m in report.mismatches] == [("/issues/002/", "page-taken")]
    assert report.pages_checked == 5


def test_an_issue_whose_title_changed_is_still_the_owner_of_its_page_and_old_paths():
    """An owner is its platform and id: the title only names it, so a retitled issue neither
    takes its own page back nor keeps a second claim on its old paths."""
    from migrate.aliases import AliasGuard, Owner

    guard = AliasGuard()
    before, after = Owner("revue", "7", "Rain"), Owner("revue", "7", "Rain, revised")
    guard.add_page(before, "content/issues/007.md")
    guard.claim(before, ["/issue/7-rain"])
    guard.add_page(after, "content/issues/007.md")
    guard.claim(after, ["/issue/7-rain"])
    assert guard.what_is("/issues/007", after) is None
    assert guard.what_is("/issues/007", Owner("revue", "8", "Fog")) == "the page of issue 7 (Rain, revised)"
    guard.add_page(Owner("revue", "9", "Hail"), "content/issue/7-rain.md")
    assert [(taken.owner.source_id, taken.key) for taken in guard.taken_back] == [("7", "/issue/7-rain")]
