"""`wayback_images`: an image whose host failed for good is tried once more from the Wayback
Machine (a loopback stand-in), off by default, and the report says which images came from it."""
from __future__ import annotations

import json
import socket

import pytest

from migrate.config import RunOptions, load_config
from migrate.http import FetchError, HostUnreachable, HttpClient, HttpSettings
from migrate.standin import tiny_png
from migrate.urls import Remap
from migrate.wayback import gone_for_good

from .faultserver import status
from .support import migrate, report_of
from .test_fetch_wayback import PREFIX

S3 = "https://s3.amazonaws.com/revue"
ARCHIVED_404 = f"{S3}/items/images/011/222/333/mail/sleeper-berth.png?1615000000"   # its host says 404
ARCHIVED_410 = f"{S3}/items/images/011/222/666/mail/coast-couchette.jpg?1649500000"  # 410; its first capture a 404
NO_NAME = "https://images.gone-host.example/harbour.png"                            # the name no longer resolves
REFUSED = "https://old-cdn.example/tides.png"                                       # nothing listens any more
FORBIDDEN = f"{S3}/items/private/locked.png"                                         # 403: the host is alive
NEVER_ARCHIVED = f"{S3}/items/images/999/never.png"                                 # 404, and no capture of it


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def saved_body(tmp_path, images: list[str]):
    body = "".join(f'<p><img src="{url}" alt="picture {n}"></p>' for n, url in enumerate(images))
    issue = {"id": 880001, "title": "Harbour Log #1: Pictures", "description": None, "html": f"<p>Pictures.</p>{body}",
             "sent_at": "2021-06-01T08:00:00.000Z", "url": "https://www.getrevue.co/profile/harbourlog/issues/harbour-log-1-pictures-880001",
             "active": False}
    path = tmp_path / "issues.json"
    path.write_text(json.dumps([issue]))
    return path


@pytest.fixture
def dead_hosts(faults, wayback):  # noqa: F811
    """The image hosts, dead in their several ways, and an archive holding some of their images."""
    faults.script("/s3/items/images/011/222/333/mail/sleeper-berth.png", status(404))
    faults.script("/s3/items/images/011/222/666/mail/coast-couchette.jpg", status(410))
    faults.script("/s3/items/private/locked.png", status(403))
    faults.script("/s3/items/images/999/never.png", status(404))
    server = wayback()
    server.archive.add(NO_NAME, "20190101000000", tiny_png(b"harbour"), mimetype="image/png")
    server.archive.add(REFUSED, "20190101000000", tiny_png(b"tides"), mimetype="image/png")
    remaps = [Remap.parse(f"{S3}={faults.url}/s3"), Remap.parse(f"https://old-cdn.example=http://127.0.0.1:{closed_port()}"),
              Remap.parse(f"https://web.archive.org={server.url}")]
    return server, remaps


def images_of(site) -> dict[str, dict]:
    (entry,) = report_of(site)["issues"]
    return {image["url"]: image for image in entry["images"]}


def test_images_whose_host_is_gone_come_from_the_archive_and_the_report_says_so(tmp_path, dead_hosts):
    server, remaps = dead_hosts
    source = saved_body(tmp_path, [ARCHIVED_404, ARCHIVED_410, NO_NAME, REFUSED, FORBIDDEN, NEVER_ARCHIVED])
    report = migrate("revue-api", source, tmp_path / "site", remaps=remaps, wayback_images=True, attempts=1)
    images = images_of(tmp_path / "site")
    for url in (ARCHIVED_404, ARCHIVED_410, NO_NAME, REFUSED):
        assert images[url]["local"].startswith("/images/") and "im_/" + url in images[url]["archive"], url
    assert images[ARCHIVED_410]["archive"].startswith("https://web.archive.org/web/20220410070002im_/")  # its 200, not its 404
    assert report.summary()["images_from_archive"] == 4
    assert any("Images taken from the Wayback Machine because their host failed: 4" in line for line in report.lines())
    # A host that is alive but refuses is not the archive's business; an image it never kept stays failed.
    assert "HTTP 403" in images[FORBIDDEN]["error"] and "archive" not in images[FORBIDDEN]
    assert not any("locked.png" in path for path in server.archive.hits)
    assert "HTTP 404" in images[NEVER_ARCHIVED]["error"] and "no copy either" in images[NEVER_ARCHIVED]["error"]
    assert not report.ok


def test_the_archive_is_not_asked_unless_the_run_says_so(tmp_path, dead_hosts):
    server, remaps = dead_hosts
    source = saved_body(tmp_path, [ARCHIVED_404, NO_NAME])
    migrate("revue-api", source, tmp_path / "site", remaps=remaps, attempts=1)
    images = images_of(tmp_path / "site")
    assert "HTTP 404" in images[ARCHIVED_404]["error"] and "cannot resolve" in images[NO_NAME]["error"]
    assert not server.archive.hits


def test_a_wayback_run_asks_its_own_archive_for_dead_images(tmp_path, faults, wayback):  # noqa: F811
    server = wayback()
    report = migrate("wayback", PREFIX, tmp_path, platform_options=server.options(), wayback_images=True,
                     remaps=[Remap.parse(f"{S3}={faults.url}/s3")], attempts=1)  # every image's own host says 404
    archived = {image["url"] for entry in report_of(tmp_path)["issues"] for image in entry["images"] if image.get("archive")}
    assert archived == {ARCHIVED_404, ARCHIVED_410} and report.summary()["images_from_archive"] == 2
    lookups = [path for path in server.archive.hits if path.startswith("/cdx/") and "matchType=prefix" not in path]
    assert lookups and all("filter=statuscode%3A200" in path for path in lookups)


class TestGoneForGood:
    def test_a_name_that_does_not_resolve(self):
        with pytest.raises(HostUnreachable) as caught:
            HttpClient().get(NO_NAME)
        assert gone_for_good(caught.value)

    def test_a_port_nothing_listens_on(self):
        client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=1))
        with pytest.raises(HostUnreachable) as caught:
            client.get(f"http://127.0.0.1:{closed_port()}/x.png")
        assert gone_for_good(caught.value)

    @pytest.mark.parametrize("code, gone", [(404, True), (410, True), (403, False), (500, False), (503, False)])
    def test_answers_that_say_the_image_is_gone(self, faults, code, gone):
        url = faults.script("/x.png", status(code))
        client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=1))
        with pytest.raises(FetchError) as caught:
            client.get(url)
        assert gone_for_good(caught.value) is gone


class TestTheArchivesAuthorization:
    """WAYBACK_AUTHORIZATION goes to an archive the user named for images, never to the public one."""

    SECRET = "Bearer private-archive-secret-4e7a"

    @pytest.mark.parametrize("wayback_images", [True, False])
    def test_a_run_that_names_no_archive_sends_the_public_one_no_header(self, tmp_path, dead_hosts, monkeypatch, wayback_images):
        public, remaps = dead_hosts   # the stand-in for web.archive.org
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        source = saved_body(tmp_path, [ARCHIVED_404, NO_NAME])
        report = migrate("revue-api", source, tmp_path / "site", remaps=remaps, wayback_images=wayback_images, attempts=1)
        assert report.summary()["images_from_archive"] == (2 if wayback_images else 0)
        assert bool(public.archive.requests) is wayback_images
        assert not any("Authorization" in headers for _, headers in public.archive.requests)

    @pytest.mark.parametrize("wayback_images", [True, False])
    def test_the_archive_named_in_the_config_gets_the_header_and_the_public_one_nothing(self, tmp_path, dead_hosts, wayback,
                                                                                       monkeypatch, wayback_images):
        public, remaps = dead_hosts
        named = wayback(authorization=self.SECRET)   # answers 401 to any request without the header
        named.archive.add(NO_NAME, "20190101000000", tiny_png(b"harbour"), mimetype="image/png")
        monkeypatch.setenv("WAYBACK_AUTHORIZATION", self.SECRET)
        config = tmp_path / "migrate.yaml"
        config.write_text(f"wayback_cdx: {named.cdx}\nwayback_captures: {named.captures}\n")
        options = RunOptions()
        load_config(config, options)
        source = saved_body(tmp_path, [ARCHIVED_404, NO_NAME])
        report = migrate("revue-api", source, tmp_path / "site", remaps=remaps, wayback_images=wayback_images, attempts=1,
                         wayback_cdx=options.wayback_cdx, wayback_captures=options.wayback_captures)
        assert report.summary()["images_from_archive"] == (2 if wayback_images else 0)
        assert bool(named.archive.requests) is wayback_images
        assert all(headers.get("Authorization") == self.SECRET for _, headers in named.archive.requests)
        # Both the index lookups and the archived images themselves were asked for with it.
        assert sum("im_/" in path for path, _ in named.archive.requests) == (2 if wayback_images else 0)
        assert not public.archive.requests

    def test_an_archive_named_in_the_config_must_be_an_http_url(self, tmp_path, capsys):
        from migrate.cli import main

        config = tmp_path / "migrate.yaml"
        config.write_text("wayback_cdx: ftp://archive.example/cdx\n")
        source = saved_body(tmp_path, [NO_NAME])
        code = main(["run", "--platform", "revue-api", "--source", str(source), "--site", str(tmp_path / "site"),
                     "--config", str(config), "--wayback-images", "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and "wayback_cdx" in err and "http(s) URL" in err
        assert not (tmp_path / "site").exists()
