"""Helpers the tests share: where fixtures are, and how to run a migration in one call."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from migrate.config import RunOptions
from migrate.pipeline import Mode, run
from migrate.standin import StandinServer
from migrate.urls import Remap

FIXTURES = Path(__file__).parent / "fixtures"
REVUE = FIXTURES / "revue"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def s3_remap(server: StandinServer) -> Remap:
    return Remap.parse(f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com")


def migrate(platform: str, source, site: Path, mode: str = "run", force: bool = False, **overrides):
    """Run the library's migration (run, sync or retry-failed) with test-friendly defaults."""
    options = RunOptions(platform=platform, source=str(source), site=Path(site), progress=False, **overrides)
    return run(options, Mode(mode), force=force)


def site_tree(root: Path) -> dict:
    """Every file of a site and its bytes, but the state database (its layout is SQLite's)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*"))
            if p.is_file() and not p.name.startswith("state.sqlite")}


def read_issue(site: Path, name: str) -> str:
    return (Path(site) / "content" / "issues" / name).read_text(encoding="utf-8")


def report_of(site: Path) -> dict:
    return json.loads((Path(site) / ".migrate" / "report.json").read_text(encoding="utf-8"))


def zipped(tmp_path: Path, members: dict) -> str:
    """An export zip holding `members` (name: text or bytes)."""
    path = Path(tmp_path) / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)
