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


# ---------------------------------------------------------------------- item 7: every download has a deadline

class Trickle:
    """A loopback server that answers one byte at a time, every `every` seconds, forever: in its
    body (`/body`, 5 KB declared) or in its headers (`/headers`). Each answer runs in a thread of
    its own; `stop` ends them."""

    def __init__(self, every: float = 0.1):
        self.every = every
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.served = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = conn.recv(65536).decode("latin-1")
            self.served += 1
            if " /headers" in request.split("\r\n", 1)[0]:
                head, rest = b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 100000
            else:
                head, rest = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n\r\n" + PNG[:8], PNG[8:] + b"\0" * 5000
            try:
                conn.sendall(head)
                for byte in rest:
                    if self.stopped.wait(self.every):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def trickle():
    server = Trickle()
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_trickling_answer_ends_at_the_deadline_and_is_not_asked_again(trickle, path):
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(deadline=1.0, timeout_read=30, attempts=3))
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1s in all"):
        client.get(trickle.url + path)
    assert time.monotonic() - started < 10  # a read timeout of 30 s never tripped: the deadline did
    assert trickle.served == 1


def test_a_deadline_that_fails_to_shut_its_connection_does_not_end_the_deadlines_after_it(trickle):
    """One thread keeps every request's deadline: a socket it cannot shut down (here not a socket
    at all) is that request's loss alone."""
    from migrate.http import _Deadline

    odd = _Deadline(time.monotonic() + 0.05)
    odd.watch(object())
    time.sleep(0.3)
    assert odd.expired
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(deadline=1.0, timeout_read=30, attempts=1))
    failures = []

    def fetch():
        with pytest.raises(FetchError, match="took longer than 1s in all") as failure:
            client.get(trickle.url + "/body")
        failures.append(failure.value)

    request = threading.Thread(target=fetch, daemon=True)  # a request no deadline ends would trickle for minutes
    request.start()
    request.join(10)
    assert failures, "the trickling request was still running 10 s after its 1 s deadline"


def test_the_deadline_covers_retries_too(faults):
    from .faultserver import status

    faults.script("/busy", status(503, Retry_After="1"))
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(deadline=1.5, attempts=10, backoff_initial=0.01))
    started = time.monotonic()
    with pytest.raises(FetchError):
        client.get(faults.url + "/busy")
    assert time.monotonic() - started < 10 and faults.hits("/busy") <= 3


def test_a_trickling_image_fails_and_the_run_goes_on(tmp_path, trickle, faults):
    faults.script("/fine.png", ok(PNG))
    html = f'<p><img src="{trickle.url}/body" alt="slow"></p><p><img src="{faults.url}/fine.png" alt="fine"></p><p>Text.</p>'
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Slow", "html": html, "sent_at": "2022-01-02T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/slow-1"},
                                  {"id": 2, "title": "Next", "html": "<p>Next issue.</p>", "sent_at": "2022-01-09T08:00:00.000Z",
                                   "url": "https://www.getrevue.co/profile/x/issues/next-2"}]))
    report = migrate("revue-api", source, tmp_path / "site", allow_hosts=["127.0.0.1"], deadline=1.0, attempts=2)
    assert [entry["id"] for entry in report.issues] == ["1", "2"] and not report.ok
    images = {image["url"]: image for image in report.issues[0]["images"]}
    assert "took longer than 1s in all" in images[f"{trickle.url}/body"]["error"]
    assert images[f"{faults.url}/fine.png"].get("local")


def test_a_deadline_in_the_config_is_a_positive_number(tmp_path):
    from migrate.config import RunOptions, load_config

    config = tmp_path / "migrate.yaml"
    config.write_text("deadline: 0\n")
    with pytest.raises(UserError, match="deadline"):
        load_config(config, RunOptions())
    config.write_text("deadline: 45\n")
    options = RunOptions()
    load_config(config, options)
    assert options.deadline == 45


# ---------------------------------------------------------------------- item 16: a stranger's empty answer is no archive

@pytest.fixture
def stranger():
    """Another server, where the API's address redirects: it is not sent the credentials."""
    server = FaultServer()
    yield server
    server.stop()


API_CASES = {
    # platform: (environment variable, path asked, the stranger's empty answer)
    "revue-api": ("REVUE_API_TOKEN", "/api/v2/issues", b"[]"),
    "buttondown-api": ("BUTTONDOWN_API_KEY", "/v1/emails", b'{"count": 0, "next": null, "previous": null, "results": []}'),
    "mailchimp-api": ("MAILCHIMP_API_KEY", "/3.0/campaigns", b'{"campaigns": [], "total_items": 0}'),
}


def api_source(platform: str, server) -> str:
    return server.url + ("/3.0" if platform == "mailchimp-api" else "/v1" if platform == "buttondown-api" else "")


@pytest.mark.parametrize("platform", list(API_CASES))
def test_an_empty_answer_from_the_server_a_redirect_led_to_is_an_error(tmp_path, faults, stranger, monkeypatch, platform):
    variable, path, empty = API_CASES[platform]
    monkeypatch.setenv(variable, "secret-key-us6")
    faults.script(path, redirect(stranger.url + path))
    stranger.script(path, ok(empty, **{"Content-Type": "application/json"}))
    site = tmp_path / "site"
    with pytest.raises(UserError, match=r"redirected to http://127\.0\.0\.1:\d+/.*, another server, which was not sent the "
                                        r"(token|key) and answered with no (issues|emails|campaigns); give --source"):
        migrate(platform, api_source(platform, faults), site, allow_hosts=["127.0.0.1"], download_images=False)
    assert not site.exists()
    assert stranger.requests and all("Authorization" not in headers for _, headers in stranger.requests)


def test_issues_from_the_server_a_redirect_led_to_are_read_and_the_token_stays_home(tmp_path, faults, stranger, monkeypatch):
    monkeypatch.setenv("REVUE_API_TOKEN", "secret-token")
    faults.script("/api/v2/issues", redirect(stranger.url + "/api/v2/issues"))
    body = json.dumps([{"id": 1, "title": "Moved", "html": "<p>Body.</p>", "sent_at": "2022-01-02T08:00:00.000Z",
                        "url": "https://www.getrevue.co/profile/x/issues/moved-1"}]).encode()
    stranger.script("/api/v2/issues", ok(body, **{"Content-Type": "application/json"}))
    report = migrate("revue-api", faults.url, tmp_path / "site", allow_hosts=["127.0.0.1"], download_images=False)
    assert [entry["title"] for entry in report.issues] == ["Moved"]
    assert "Authorization" not in stranger.requests[0][1] and faults.requests[0][1]["Authorization"] == "Token secret-token"


def test_an_empty_archive_from_the_server_named_is_no_error(tmp_path, faults, monkeypatch):
    monkeypatch.setenv("REVUE_API_TOKEN", "secret-token")
    faults.script("/api/v2/issues", redirect("/api/v2/issues/all"))
    faults.script("/api/v2/issues/all", ok(b"[]", **{"Content-Type": "application/json"}))
    report = migrate("revue-api", faults.url, tmp_path / "site", download_images=False)
    assert report.issues == []
