"""A migrated site a person can open: plain `hugo` builds it (the starter layout), `preview` serves
it, and it holds up under a sub-path baseURL and in its RSS feed. A site with its own
configuration is never touched."""
from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from migrate.cli import main
from migrate.settings import SETTINGS_PATH
from migrate.standin import Account
from migrate.starter import starter_files
from migrate.verify import hugo_binary

from .support import migrate, s3_remap
from .terminal import in_terminal, tool

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"


@pytest.fixture
def migrated(tmp_path, standin):
    """The bundled sample migrated into a fresh site folder."""
    server = standin(Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token="t"))
    site = tmp_path / "site"
    report = migrate("revue-api", SAMPLE / "issues.json", site, remaps=[s3_remap(server)])
    assert report.ok
    return site


def hugo(site: Path, *flags: str) -> subprocess.CompletedProcess:
    """Plain `hugo` in the site folder, as the author would type it."""
    result = subprocess.run([hugo_binary(), *flags], cwd=site, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / "public" / path).read_text(encoding="utf-8"), "lxml")


def test_plain_hugo_builds_the_migrated_site_with_no_warning(migrated):
    assert sorted(p.relative_to(migrated).as_posix() for p in migrated.rglob("*") if p.is_file()
                  and p.relative_to(migrated).parts[0] in ("hugo.toml", "layouts")) == sorted(starter_files())
    result = hugo(migrated, "--logLevel", "warn")
    assert "WARN" not in result.stdout + result.stderr and "found no layout file" not in result.stdout + result.stderr

    issue = page(migrated, "issues/004/index.html")
    assert issue.h1.get_text() == "Tidepool Dispatch #4: Nudibranch season"
    assert issue.find("time")["datetime"] == "2021-03-28" and "No. 4" in issue.find(class_="meta").get_text()
    (image,) = issue.article.find_all("img")
    assert image["src"].startswith("https://example.org/images/") and image["alt"]
    assert (migrated / "public" / image["src"].removeprefix("https://example.org/")).is_file()
    pager = {a["class"][0]: a["href"] for a in issue.select("nav.pager a")}
    assert pager == {"older": "/issues/003/", "newer": "/issues/005/"}

    home = page(migrated, "index.html")
    dates = [t["datetime"] for t in home.select("ul.issues time")]
    assert dates == sorted(dates, reverse=True) and len(home.select("ul.issues li")) == 11  # drafts are not published
    feed = BeautifulSoup((migrated / "public" / "index.xml").read_bytes(), "xml")
    assert len(feed.find_all("item")) == 11


def test_images_and_links_hold_under_a_sub_path_and_in_the_feed(migrated):
    base = "https://example.org/newsletter/"
    hugo(migrated, "--baseURL", base)
    for path in ("issues/004/index.html", "issues/007/index.html"):
        for image in page(migrated, path).article.find_all("img"):
            assert image["src"].startswith(base + "images/")
            assert (migrated / "public" / image["src"].removeprefix(base)).is_file()
    links = [a["href"] for a in page(migrated, "issues/007/index.html").article.find_all("a") if "/issues/" in a["href"]]
    assert links and all(href.startswith(base + "issues/") for href in links)
    feed = BeautifulSoup((migrated / "public" / "index.xml").read_bytes(), "xml")
    bodies = BeautifulSoup(" ".join(item.description.get_text() for item in feed.find_all("item")), "lxml")
    sources = [img["src"] for img in bodies.find_all("img")]
    assert sources and all(src.startswith(base + "images/") for src in sources)


@pytest.mark.parametrize("name, text", [
    ("hugo.toml", 'baseURL = "https://mine.example/"\ntheme = "paper"\n'),
    ("config.toml", 'baseURL = "https://mine.example/"\ntheme = "paper"\n'),
    ("hugo.yml", "baseURL: https://mine.example/\ntheme: paper\n"),
    ("config/_default/hugo.yaml", "baseURL: https://mine.example/\n"),
])
def test_a_site_with_its_own_configuration_is_never_touched(name, text, tmp_path):
    site = tmp_path / "site"
    (site / name).parent.mkdir(parents=True)
    (site / name).write_text(text)
    migrate("revue-api", SAMPLE / "issues.json", site, download_images=False)
    assert (site / name).read_text() == text
    assert not (site / "layouts").exists()
    assert name == "hugo.toml" or not (site / "hugo.toml").exists()


def test_the_starter_can_be_declined_and_the_site_remembers_it(tmp_path, capsys):
    site = tmp_path / "site"
    assert main(["run", "--platform", "revue-api", "--source", str(SAMPLE / "issues.json"), "--site", str(site),
                 "--no-images", "--no-starter", "--quiet"]) == 0
    assert not (site / "hugo.toml").exists() and not (site / "layouts").exists()
    assert "starter: false" in (site / SETTINGS_PATH).read_text()
    assert main(["sync", "--site", str(site), "--quiet"]) == 0
    assert not (site / "hugo.toml").exists()


def test_the_starter_command_writes_only_what_a_site_lacks(tmp_path, capsys):
    site = tmp_path / "site"
    (site / "layouts" / "partials").mkdir(parents=True)
    (site / "config.toml").write_text('title = "Mine"\n')  # Hugo would read a hugo.toml before it
    (site / "layouts" / "partials" / "style.html").write_text("<style>/* mine */</style>\n")
    assert main(["starter", "--site", str(site)]) == 0
    out = capsys.readouterr().out
    assert (site / "config.toml").read_text() == 'title = "Mine"\n' and not (site / "hugo.toml").exists()
    assert (site / "layouts" / "partials" / "style.html").read_text() == "<style>/* mine */</style>\n"
    assert (site / "layouts" / "_default" / "single.html").is_file()
    assert "wrote layouts/_default/single.html" in out and "2 file(s) were there already" in out


def test_preview_serves_the_site_on_loopback_and_ctrl_c_stops_it(migrated):
    seen = {}

    def look(screen: bytes) -> bool:
        """Once the address is shown, fetch the home page from it, then let Ctrl-C be typed."""
        if b"Ctrl-C stops it" not in screen or "home" in seen:
            return "home" in seen
        address = screen.decode().split("The site is at ", 1)[1].split(" ", 1)[0]
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        with direct.open(address, timeout=30) as answer:
            seen["home"] = (address, answer.status, answer.read().decode())
        return True

    session = in_terminal(tool("preview", "--site", str(migrated)), ctrl_c_when=look, timeout=120)
    assert session.status == 0 and "Traceback" not in session.screen, session.screen
    address, status, html = seen["home"]
    assert address.startswith("http://127.0.0.1:") and status == 200
    assert "Tidepool Dispatch #4: Nudibranch season" in html
    assert session.lines[-1].endswith("Preview stopped.")
    # It served from memory: nothing of the preview (its address, a draft) is left to be deployed.
    assert not (migrated / "public").exists() and not (migrated / ".hugo_build.lock").exists()

