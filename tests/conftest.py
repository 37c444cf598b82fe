"""Shared fixtures. No test sends a packet anywhere but 127.0.0.1: the guard below makes any
attempt fail loudly, name lookups included."""
from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys

import pytest

from migrate.mappings import load_mappings
from migrate.standin import Account, StandinServer

from .waybackserver import wayback  # noqa: F401  (a fixture: a loopback Wayback Machine)

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(host) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no lookups of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(address) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        raise ConnectionRefusedError(f"test network guard: no connections to {address[0]!r}")


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(scope="session")
def mappings():
    return load_mappings()


@pytest.fixture
def standin():
    """Start stand-in Revue servers for a test: standin(account) -> running server."""
    servers = []

    def start(account: Account) -> StandinServer:
        server = StandinServer(account).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def image_host(standin):
    """A loopback image host that answers any path with a small PNG made from the path."""
    return standin(Account(issues=lambda: []))


@pytest.fixture
def faults():
    """A loopback server whose answers the test scripts per path (see tests/faultserver.py)."""
    from .faultserver import FaultServer

    server = FaultServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def asset_server():
    """The shared image stand-in (../shared/tools/asset_server.py) on a free loopback port, for
    the tests that migrate the shared corpora (they skip where ../shared is absent)."""
    from .support import SHARED

    script = SHARED / "tools" / "asset_server.py"
    if not script.exists():
        pytest.skip("../shared/tools/asset_server.py is not on this machine")
    process = subprocess.Popen([sys.executable, str(script), "--port", "0", "--max-seconds", "600"],
                               stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline().split()[-1])
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
