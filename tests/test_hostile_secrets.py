"""Credentials written into --source (`http://user:pass@host/feed?api_key=...`) are used for the
requests and nowhere else: not in the state store, the report, the site, or a line of `-v` output
(urllib3's own debug line included)."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.standin import Account
from migrate.urls import without_credentials

from .platform_servers import FeedHost
from .support import FIXTURES, migrate

PASSWORD = "pa55-" + "w0rd"
KEY = "k3y-" + "b1ab"


@pytest.mark.parametrize("url, clean", [
    ("https://alice:secret@feeds.example/rss?api_key=K&format=rss", "https://feeds.example/rss?format=rss"),
    ("https://alice@feeds.example/rss", "https://feeds.example/rss"),
    ("https://feeds.example/rss?token=T&page=2&access-token=A&X-Amz-Signature=S#top", "https://feeds.example/rss?page=2#top"),
    ("https://feeds.example/rss?client_secret=C&sid=1&author=me", "https://feeds.example/rss?author=me"),
    ("https://feeds.example/rss?accesstoken=A&apiKey=K&design=2&keyword=x", "https://feeds.example/rss?design=2&keyword=x"),
    ("https://feeds.example/rss?page=2&q=a%20b", "https://feeds.example/rss?page=2&q=a%20b"),  # nothing to take: as it was
    ("https://u:p@feeds.example/x?apikey=K after entry 3", "https://feeds.example/x after entry 3"),
    ("issues.json[4]", "issues.json[4]"),
])
def test_user_info_and_secret_parameters_leave_a_url_and_nothing_else_does(url, clean):
    assert without_credentials(url) == clean


def leaks(root: Path) -> list[str]:
    """Every file under `root` that holds the password or the key, in any byte."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if PASSWORD.encode() in data or KEY.encode() in data:
                found.append(str(path.relative_to(root)))
    return found


@pytest.fixture
def feed_host():
    host = FeedHost((FIXTURES / "rss" / "rss2.xml").read_bytes())
    yield host
    host.stop()


def secret_source(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://alice:{PASSWORD}@{rest}/feed.xml?api_key={KEY}&format=rss"


def test_a_feed_read_with_credentials_keeps_them_in_no_file(tmp_path, feed_host, caplog):
    caplog.set_level(logging.DEBUG)
    site = tmp_path / "site"
    report = migrate("rss", secret_source(feed_host.url), site, download_images=False)
    assert report.issues and feed_host.requests[0][0].endswith(f"api_key={KEY}&format=rss")  # the request used them
    assert any(headers.get("Authorization", "").startswith("Basic ") for _, headers in feed_host.requests)
    assert leaks(site) == []
    assert PASSWORD not in caplog.text and KEY not in caplog.text
    # A second run knows the source as the same one, so nothing counts as gone or new.
    again = migrate("rss", secret_source(feed_host.url), site, mode="sync", download_images=False)
    assert not again.gone and leaks(site) == []


def test_a_revue_api_base_with_a_key_in_its_query_keeps_it_in_no_file(tmp_path, standin, monkeypatch):
    sample = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"
    server = standin(Account.from_files(sample / "issues.json", sample / "images", profile="tidepool", token="tok-1"))
    monkeypatch.setenv("REVUE_API_TOKEN", "tok-1")
    site = tmp_path / "site"
    # (User info would be sent as Basic authentication in place of the token.)
    report = migrate("revue-api", f"{server.url}/api/v2/issues?api_key={KEY}&password={PASSWORD}", site, download_images=False)
    assert len(report.issues) == 12 and leaks(site) == []


def test_debug_output_of_the_command_line_shows_no_credential(tmp_path, feed_host):
    """`-v` turns on urllib3's own debug line, which names the request's path and query."""
    result = subprocess.run([sys.executable, "-m", "migrate", "-v", "run", "--platform", "rss", "--source",
                             secret_source(feed_host.url), "--site", str(tmp_path / "site"), "--no-images", "--quiet"],
                            capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"GET /feed.xml?format=rss HTTP/1.1" 200' in result.stderr  # urllib3's line, cleaned, not dropped
    assert PASSWORD not in result.stdout + result.stderr and KEY not in result.stdout + result.stderr
    assert leaks(tmp_path) == []
