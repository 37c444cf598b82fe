"""The one HTTP client: bounded retries with backoff, Retry-After, caps, and an address guard.
Every server here is on 127.0.0.1; the guard's refusals are tested with loopback addresses
and a stubbed resolver."""
import socket
import time
from email.utils import formatdate

import pytest

from migrate.http import BlockedAddress, FetchError, HttpClient, HttpSettings, TooLarge, parse_retry_after

from .faultserver import ok, redirect, reset, slow, status, truncate


def client_for(server, sleeps=None, **settings):
    """A client that may reach the fault server, recording the waits instead of sleeping them."""
    sleeps = sleeps if sleeps is not None else []
    defaults = dict(attempts=4, backoff_initial=0.01, backoff_max=0.05, timeout_read=2)
    defaults.update(settings)
    return HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(**defaults), sleep=sleeps.append)


def test_a_503_is_retried_until_it_succeeds(faults):
    url = faults.script("/a", status(503), status(503), ok(b"fine"))
    assert client_for(faults).get(url).body == b"fine"
    assert faults.hits("/a") == 3


def test_retry_after_in_seconds_is_honoured(faults):
    sleeps = []
    url = faults.script("/a", status(429, Retry_After="7"), ok(b"fine"))
    assert client_for(faults, sleeps).get(url).body == b"fine"
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured():
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=lambda: now) == pytest.approx(30, abs=1)
    assert parse_retry_after("soon") is None


def test_retry_after_is_capped(faults):
    sleeps = []
    url = faults.script("/a", status(503, Retry_After="86400"), ok(b"x"))
    client_for(faults, sleeps, retry_after_max=5).get(url)
    assert sleeps == [5]


def test_backoff_grows_and_is_bounded(faults):
    sleeps = []
    url = faults.script("/a", status(500))
    with pytest.raises(FetchError, match="HTTP 500"):
        client_for(faults, sleeps, attempts=5, backoff_initial=1, backoff_max=3).get(url)
    assert len(sleeps) == 4 and all(0 <= s <= 3 for s in sleeps)
    assert faults.hits("/a") == 5


def test_connection_resets_and_truncated_bodies_are_retried(faults):
    url = faults.script("/a", reset(), truncate(b"half"), ok(b"whole body"))
    assert client_for(faults).get(url).body == b"whole body"
    assert faults.hits("/a") == 3


def test_a_404_is_not_retried(faults):
    url = faults.script("/a", status(404))
    with pytest.raises(FetchError, match="HTTP 404"):
        client_for(faults).get(url)
    assert faults.hits("/a") == 1


def test_a_slow_answer_times_out_and_is_reported(faults):
    url = faults.script("/a", slow(b"late", 1))
    with pytest.raises(FetchError, match="timed out"):
        client_for(faults, attempts=1, timeout_read=0.2).get(url)


def test_a_body_over_the_cap_is_refused(faults):
    url = faults.script("/a", ok(b"x" * 5000))
    with pytest.raises(TooLarge):
        client_for(faults).get(url, max_bytes=1000)


def test_redirect_loops_end(faults):
    faults.script("/a", redirect("/b"))
    url = faults.script("/b", redirect("/a"))
    with pytest.raises(FetchError, match="redirect"):
        client_for(faults).get(url)


def test_a_redirect_to_a_refused_address_is_not_followed(faults):
    url = faults.script("/a", redirect("http://127.0.0.2:9/x"))
    with pytest.raises(BlockedAddress):
        client_for(faults).get(url)


def test_errors_never_show_the_query_which_may_carry_a_token(faults):
    url = faults.script("/a", status(403))
    with pytest.raises(FetchError) as caught:
        client_for(faults).get(url + "?token=SECRET123")
    assert "SECRET123" not in str(caught.value)


def test_the_authorization_header_is_sent(faults):
    url = faults.script("/a", ok(b"x"))
    client_for(faults).get(url, headers={"Authorization": "Token abc"})
    assert faults.requests[-1][1]["Authorization"] == "Token abc"


class TestAddressGuard:
    def test_loopback_is_refused_unless_allowed(self, faults):
        url = faults.script("/a", ok(b"x"))
        with pytest.raises(BlockedAddress, match="non-public"):
            HttpClient().get(url)
        assert faults.hits("/a") == 0

    def test_a_remap_target_is_allowed_by_that_choice(self, faults):
        from migrate.urls import Remap

        faults.script("/mirror/a.png", ok(b"x"))
        client = HttpClient(remaps=[Remap.parse(f"https://img.example={faults.url}/mirror")])
        assert client.get("https://img.example/a.png").body == b"x"

    @pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "/relative"])
    def test_only_http_and_https_are_fetched(self, url):
        with pytest.raises(BlockedAddress):
            HttpClient().check_address(url)

    @pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1"])
    def test_names_resolving_to_private_or_metadata_addresses_are_refused(self, address):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        stub = lambda host, port, **kw: [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        with pytest.raises(BlockedAddress, match="non-public"):
            HttpClient(resolver=stub).check_address("https://images.example/a.png")

    def test_a_public_address_passes(self):
        stub = lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        HttpClient(resolver=stub).check_address("https://images.example/a.png")

    def test_a_host_allowed_by_name_skips_the_lookup(self):
        def refuse(*a, **k):
            raise AssertionError("no lookup expected")
        HttpClient(allowed_hosts={"images.example"}, resolver=refuse).check_address("https://images.example/a.png")


def test_credentials_stay_with_their_host_across_redirects(faults):
    port = faults.url.rsplit(":", 1)[1]
    faults.script("/same", redirect("/landing"))
    faults.script("/away", redirect(f"http://localhost:{port}/landing"))
    faults.script("/landing", ok(b"x"))
    client = HttpClient(allowed_hosts={"127.0.0.1", "localhost"})
    client.get(faults.url + "/same", headers={"Authorization": "Token s3cret", "Accept": "text/html"})
    assert faults.requests[-1][1].get("Authorization") == "Token s3cret"
    client.get(faults.url + "/away", headers={"Authorization": "Token s3cret", "Accept": "text/html"})
    landed = faults.requests[-1][1]
    assert "Authorization" not in landed and landed["Accept"] == "text/html"


class TestNamesThatDoNotResolve:
    """A host whose name does not resolve fails every request to it at once: one lookup, no retries.
    Every lookup goes to a stub; nothing is sent anywhere."""

    @staticmethod
    def failing_lookups(calls: list):
        def lookup(host, *args, **kwargs):
            calls.append(host)
            time.sleep(0.05)  # long enough for requests that arrive together to meet at the lookup
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return lookup

    def test_a_remapped_host_that_does_not_resolve_is_looked_up_once_and_never_retried(self, monkeypatch):
        from concurrent.futures import ThreadPoolExecutor

        from migrate.http import HostUnreachable
        from migrate.urls import Remap

        calls, sleeps = [], []
        monkeypatch.setattr(socket, "getaddrinfo", self.failing_lookups(calls))  # what requests resolves with
        client = HttpClient(remaps=[Remap.parse("https://assets.buttondown.email=http://stand-in.invalid:8765/assets")],
                            settings=HttpSettings(attempts=4, per_host=2), sleep=sleeps.append)
        urls = [f"https://assets.buttondown.email/images/{n}.png" for n in range(40)]
        with ThreadPoolExecutor(8) as pool:
            errors = list(pool.map(lambda url: pytest.raises(HostUnreachable, client.get, url).value, urls))
        assert {str(e) for e in errors} == {"cannot resolve stand-in.invalid (Name or service not known)"}
        assert len(calls) <= 2 and not sleeps  # at most the requests already in flight; no backoff at all

    def test_requests_to_a_guarded_host_that_arrive_together_wait_for_its_one_lookup(self):
        from concurrent.futures import ThreadPoolExecutor

        calls = []
        client = HttpClient(resolver=self.failing_lookups(calls))
        with ThreadPoolExecutor(8) as pool:
            errors = list(pool.map(lambda n: pytest.raises(FetchError, client.get, f"https://gone.example/{n}.png").value, range(16)))
        assert calls == ["gone.example"]
        assert {str(e) for e in errors} == {"cannot resolve gone.example (Name or service not known)"}
