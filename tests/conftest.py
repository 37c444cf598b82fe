"""Shared fixtures. No test sends a packet anywhere but 127.0.0.1: the guard in netguard/ makes
any attempt fail loudly, name lookups included, in this process and in every Python process a
test starts."""
from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.mappings import load_mappings
from migrate.standin import Account, StandinServer

from .waybackserver import wayback  # noqa: F401  (a fixture: a loopback Wayback Machine)

NETGUARD = Path(__file__).parent / "netguard"
# Every Python process a test starts loads the guard as its sitecustomize (see netguard/).
os.environ["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(Path(__file__).parents[1]),
                                            *filter(None, [os.environ.get("PYTHONPATH")])])
# This process: the guard installs itself as the module runs.
_spec = importlib.util.spec_from_file_location("netguard", NETGUARD / "sitecustomize.py")
netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netguard)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Each test starts with the guarded resolver, whatever a test before it stubbed."""
    monkeypatch.setattr(socket, "getaddrinfo", netguard.guarded_getaddrinfo)


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
