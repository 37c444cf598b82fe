"""verify: every old path the migration recorded must lead to its issue, checked on a real Hugo
build, a static server over the built site, and a real nginx with the generated rules."""
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from migrate.verify import build_site, verify_build, verify_http

from .faultserver import ok, redirect, status
from .nginx import free_port, needs_nginx, nginx_serving
from .support import REVUE, migrate

OLD_4 = "/profile/fieldrec/issues/field-recordings-4-rain-on-a-tin-roof-900204"
OLD_3 = "/profile/fieldrec/issues/field-recordings-3-birds-bells-900203"


@pytest.fixture
def site(tmp_path):
    migrate("revue-api", REVUE / "api-issues.json", tmp_path / "site", download_images=False)
    migrate("revue-pages", REVUE / "page-2016.html", tmp_path / "site", download_images=False)
    return tmp_path / "site"


def edit(site: Path, name: str, old: str, new: str) -> None:
    path = site / "content" / "issues" / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


class TestHugoBuild:
    def test_every_old_path_has_an_alias_page_pointing_at_its_issue(self, site):
        report = verify_build(site)
        assert report.ok and report.checked == 4
        assert report.old_hosts == ["letters.miraholm.example.net"] and report.platform_hosts == ["www.getrevue.co"]
        advice = report.lines()[-2:]
        assert advice[0].startswith("Old hosts to point at the new site") and advice[0].endswith(": letters.miraholm.example.net")
        assert advice[1].startswith("Old links on www.getrevue.co") and "cannot be redirected by you" in advice[1]

    def test_a_lost_alias_is_caught(self, site):
        edit(site, "004.md", f"  - {OLD_4}\n", "")
        (mismatch,) = verify_build(site).mismatches
        assert (mismatch.old_path, mismatch.problem) == (OLD_4, "missing")

    def test_an_alias_moved_to_the_wrong_issue_is_caught(self, site):
        edit(site, "003.md", f"  - {OLD_3}\n", "")
        edit(site, "004.md", "aliases:\n", f"aliases:\n  - {OLD_3}\n")
        (mismatch,) = verify_build(site).mismatches
        assert (mismatch.old_path, mismatch.problem) == (OLD_3, "wrong-target")

    def test_the_command_exits_non_zero_on_a_mismatch_and_writes_its_report(self, site, capsys):
        from migrate.cli import main

        assert main(["verify", "--site", str(site), "--build"]) == 0
        edit(site, "004.md", f"  - {OLD_4}\n", "")
        assert main(["verify", "--site", str(site), "--build"]) == 1
        assert f"MISMATCH {OLD_4} (missing)" in capsys.readouterr().out
        assert (site / ".migrate" / "verify.json").is_file()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_directory(root: Path, port: int):
    handler = functools.partial(_QuietFiles, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def test_the_built_site_served_over_http_passes(site, tmp_path):
    base = f"http://127.0.0.1:{free_port()}/"
    build_site(site, tmp_path / "public", base_url=base)
    server = serve_directory(tmp_path / "public", int(base.rsplit(":", 1)[1].strip("/")))
    try:
        report = verify_http(site, base)
    finally:
        server.shutdown()
    assert report.ok and report.checked == 4, report.lines()


class TestOverHttp:
    """A scripted server answers each old path the way a misconfigured host would."""

    @pytest.fixture
    def site(self, tmp_path):
        migrate("revue-api", REVUE / "api-issues.json", tmp_path / "site", download_images=False)
        return tmp_path / "site"

    def check(self, site, faults, answers_3, answers_4):
        faults.script(OLD_3, *answers_3)
        faults.script(OLD_4, *answers_4)
        faults.script("/issues/003/", ok(b"<html>three</html>"))
        faults.script("/issues/004/", ok(b"<html>four</html>"))
        return {m.old_path: m.problem for m in verify_http(site, faults.url, attempts=1).mismatches}

    def test_permanent_redirects_to_the_right_pages_pass(self, site, faults):
        assert self.check(site, faults, [redirect("/issues/003/", 301)], [redirect(f"{faults.url}/issues/004/", 308)]) == {}

    def test_each_kind_of_mismatch_is_named(self, site, faults):
        faults.script("/elsewhere/", redirect("/issues/004/", 301))
        found = self.check(site, faults, [redirect("/issues/003/", 302)], [redirect("/elsewhere/", 301)])
        assert found == {OLD_3: "not-permanent", OLD_4: "wrong-target"}

    def test_chains_loops_and_missing_pages_are_each_a_mismatch(self, site, faults):
        faults.script("/issues/004/", redirect("/issues/004/final/", 301))
        found = self.check(site, faults, [status(404)], [redirect(OLD_4, 301)])
        assert found == {OLD_3: "missing", OLD_4: "loop"}
        faults.script(OLD_4, redirect("/issues/004/", 301))
        faults.script("/issues/004/", redirect("/issues/004/final/", 301))
        assert {m.old_path: m.problem for m in verify_http(site, faults.url, attempts=1).mismatches}[OLD_4] == "chain"

    def test_a_target_that_does_not_answer_200_is_caught(self, site, faults):
        faults.script(OLD_3, redirect("/issues/003/", 301))
        faults.script(OLD_4, redirect("/issues/004/", 301))
        faults.script("/issues/003/", ok(b"<html>three</html>"))
        faults.script("/issues/004/", status(404))
        assert {m.old_path: m.problem for m in verify_http(site, faults.url, attempts=1).mismatches} == {OLD_4: "target-missing"}


@needs_nginx
def test_the_generated_nginx_rules_answer_301_in_a_real_nginx(site, tmp_path):
    with nginx_serving(site, tmp_path) as base:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        report = verify_http(site, f"http://127.0.0.1:{port}/")
        assert report.ok and report.checked == 4, report.lines()
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", OLD_4 + "/")
        answer = connection.getresponse()
        assert answer.status == 301 and answer.getheader("Location").endswith("/issues/004/")
