"""Helpers the tests share: where fixtures are, and how to run a migration in one call."""
from __future__ import annotations

import json
from pathlib import Path

from migrate.config import RunOptions
from migrate.pipeline import Migration
from migrate.standin import StandinServer
from migrate.urls import Remap

FIXTURES = Path(__file__).parent / "fixtures"
REVUE = FIXTURES / "revue"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def s3_remap(server: StandinServer) -> Remap:
    return Remap.parse(f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com")


def migrate(platform: str, source, site: Path, **overrides):
    """Run the library's bulk migration with test-friendly defaults; returns the report."""
    options = RunOptions(platform=platform, source=str(source), site=Path(site), progress=False, **overrides)
    return Migration.prepare(options).run()


def read_issue(site: Path, name: str) -> str:
    return (Path(site) / "content" / "issues" / name).read_text(encoding="utf-8")


def report_of(site: Path) -> dict:
    return json.loads((Path(site) / ".migrate" / "report.json").read_text(encoding="utf-8"))
