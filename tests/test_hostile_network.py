"""What a hostile server, or a hostile issue pointing at one, can make the tool do on the network:
reach only the servers the user named (each at its own scheme, host and port), spend a bounded
time on any download, and take no stranger's answer for the archive."""
import json
import socket
import threading
import time

import pytest

from migrate.errors import UserError
from migrate.http import BlockedAddress, FetchError, HttpClient, HttpSettings
from migrate.standin import tiny_png
from migrate.urls import Remap

from .faultserver import FaultServer, ok, redirect
from .support import migrate

PNG = tiny_png(b"hostile-network")


@pytest.fixture
def other_port():
    """A second loopback server: an internal service on another port of the same machine."""
    server = FaultServer()
    server.script("/internal-admin/secret.png", ok(PNG))
    yield server
    server.stop()


# ---------------------------------------------------------------------- item 6: a remap opens its origin only

def remapped_client(faults) -> HttpClient:
    return HttpClient(remaps=[Remap.parse(f"https://s3.amazonaws.com={faults.url}/s3.amazonaws.com")],
                      settings=HttpSettings(attempts=1))


def test_a_remap_target_is_reached_and_nothing_else_on_its_host(faults, other_port):
    faults.script("/s3.amazonaws.com/revue/a.png", ok(PNG))
    client = remapped_client(faults)
    assert client.get("https://s3.amazonaws.com/revue/a.png").body == PNG
    with pytest.raises(BlockedAddress, match="non-public"):
        client.get(f"{other_port.url}/internal-admin/secret.png")
    assert other_port.hits("/internal-admin/secret.png") == 0


def test_a_redirect_from_the_remap_target_to_another_port_is_refused(faults, other_port):
    faults.script("/s3.amazonaws.com/revue/a.png", redirect(f"{other_port.url}/internal-admin/secret.png"))
    with pytest.raises(BlockedAddress):
        remapped_client(faults).get("https://s3.amazonaws.com/revue/a.png")
    assert other_port.hits("/internal-admin/secret.png") == 0


def test_a_remap_target_allows_its_scheme_only(faults):
    client = remapped_client(faults)
    with pytest.raises(BlockedAddress):
        client.check_address(faults.url.replace("http://", "https://") + "/s3.amazonaws.com/a.png")


def test_a_source_server_allows_its_own_origin_only(faults, other_port):
    client = HttpClient(settings=HttpSettings(attempts=1))
    client.allow(f"{faults.url}/api/v2/issues")
    client.check_address(f"{faults.url}/anything/else")
    with pytest.raises(BlockedAddress):
        client.check_address(f"{other_port.url}/internal-admin/secret.png")


def test_allow_host_still_names_a_whole_host(faults, other_port):
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=1))
    assert client.get(f"{other_port.url}/internal-admin/secret.png").body == PNG


def test_an_issue_image_on_another_port_of_the_remap_host_stays_remote(tmp_path, faults, other_port):
    faults.script("/s3.amazonaws.com/revue/a.png", ok(PNG))
    html = (f'<p><img src="https://s3.amazonaws.com/revue/a.png" alt="ok"></p>'
            f'<p><img src="{other_port.url}/internal-admin/secret.png" alt="internal"></p>')
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Pictures", "html": html, "sent_at": "2022-01-02T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/pictures-1"}]))
    report = migrate("revue-api", source, tmp_path / "site", remaps=[Remap.parse(f"https://s3.amazonaws.com={faults.url}/s3.amazonaws.com")])
    images = {image["url"]: image for image in report.issues[0]["images"]}
    assert images["https://s3.amazonaws.com/revue/a.png"].get("local")
    assert "non-public" in images[f"{other_port.url}/internal-admin/secret.png"]["error"]
    assert other_port.hits("/internal-admin/secret.png") == 0
