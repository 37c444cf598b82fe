"""Crash safety: the tool is killed with SIGKILL at many points of a run (after the n-th write,
n drawn from a seed); a sync afterwards must leave the site byte-identical to an uninterrupted
run, with nothing lost and no temporary file left behind, in the site or in the system's
temporary folder (where a killed process could never clean up after itself)."""
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.standin import Account, StandinServer

from .conftest import NETGUARD

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "revue-demo"
SEEDS = range(8)


@pytest.fixture(scope="module")
def image_server():
    server = StandinServer(Account.from_files(SAMPLE / "issues.json", SAMPLE / "images")).start()
    yield server
    server.stop()


def tool(command: str, source: Path, site: Path, server, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_MIGRATE_CRASH_AT"}
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(ROOT)])  # the network guard, and this checkout
    env["TMPDIR"] = str(system_temporary(site))
    if crash_at:
        env["NEWSLETTER_MIGRATE_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "migrate", command, "--platform", "revue-api", "--source", str(source),
                           "--site", str(site), "--remap", f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com",
                           "--concurrency", "3", "--quiet"], env=env, capture_output=True, text=True, timeout=120)


def published(site: Path) -> dict:
    """The site as Hugo would read it: everything but the tool's own .migrate folder."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and ".migrate" not in p.relative_to(site).parts}


def leftovers(site: Path) -> list[str]:
    """Temporary files the tool left: in the site, and in the system's temporary folder."""
    return [str(p) for p in site.rglob(".nm-tmp-*")] + [str(p) for p in system_temporary(site).iterdir()]


def system_temporary(site: Path) -> Path:
    """The temporary folder the tool is given for this site (TMPDIR), empty unless it leaks."""
    folder = site.parent / f"tmp-{site.name}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reference(tmp_path: Path, source: Path, server) -> tuple[dict, int]:
    count_file = tmp_path / "points.txt"
    result = tool("run", source, tmp_path / "reference", server, crash_at=f"count:{count_file}")
    assert result.returncode == 0, result.stderr
    return published(tmp_path / "reference"), int(count_file.read_text())


def test_a_run_killed_anywhere_then_synced_equals_an_uninterrupted_run(tmp_path, image_server):
    source = SAMPLE / "issues.json"
    expected, points = reference(tmp_path, source, image_server)
    assert points > 40  # images, issues and state commits: enough places to die in
    for seed in SEEDS:
        crash_at = random.Random(seed).randint(1, points)
        site = tmp_path / f"crashed-{seed}"
        killed = tool("run", source, site, image_server, crash_at=str(crash_at))
        assert killed.returncode == -signal.SIGKILL, (seed, crash_at, killed.stderr)
        assert list(system_temporary(site).iterdir()) == [], (seed, crash_at)  # a killed run cleans nothing up
        recovered = tool("sync", source, site, image_server)
        assert recovered.returncode == 0, (seed, crash_at, recovered.stdout, recovered.stderr)
        assert published(site) == expected, (seed, crash_at)
        assert leftovers(site) == [], (seed, crash_at)


def test_a_sync_killed_midway_then_synced_again_equals_a_fresh_run(tmp_path, image_server):
    issues = json.loads((SAMPLE / "issues.json").read_text())
    changed = tmp_path / "changed.json"
    for issue in issues[:4]:
        issue["html"] = issue["html"].replace("</h2>", " (revised)</h2>", 1)
    changed.write_text(json.dumps(issues))
    expected, points = reference(tmp_path, changed, image_server)
    for seed in SEEDS[:4]:
        site = tmp_path / f"site-{seed}"
        assert tool("run", SAMPLE / "issues.json", site, image_server).returncode == 0
        killed = tool("sync", changed, site, image_server, crash_at=str(random.Random(seed).randint(1, 12)))
        assert killed.returncode == -signal.SIGKILL, (seed, killed.stderr)
        assert tool("sync", changed, site, image_server).returncode == 0
        assert published(site) == expected, seed
        assert leftovers(site) == []
