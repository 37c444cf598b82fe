"""The tool waits for every process it starts: no worker, fork server or resource tracker is left
for init to reap (or for a benchmark to miss)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.render import IN_PROCESS_ISSUES

from .support import REVUE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's (prctl)")
def test_a_run_with_worker_processes_leaves_no_process_behind(tmp_path):
    template = json.loads((REVUE / "api-issues.json").read_text())[0]
    issues = [dict(template, id=920000 + n, url=template["url"].replace("900204", str(920000 + n)))
              for n in range(IN_PROCESS_ISSUES + 4)]
    (tmp_path / "issues.json").write_text(json.dumps(issues))
    figures = tmp_path / "figures.json"
    # bench/reaper.py makes itself a child subreaper: whatever the tool leaves behind when it
    # exits is re-parented to it, and it counts every process it had to wait for.
    subprocess.run([sys.executable, str(ROOT / "bench" / "reaper.py"), str(figures), "--",
                    sys.executable, "-m", "migrate", "run", "--platform", "revue-api", "--source", str(tmp_path / "issues.json"),
                    "--site", str(tmp_path / "site"), "--no-images", "--processes", "2", "--quiet"],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    result = json.loads(figures.read_text())
    assert result["status"] == 0
    assert len(list((tmp_path / "site" / "content" / "issues").glob("*.md"))) == len(issues)
    assert result["processes_reaped"] == 1  # the tool itself: it reaped its workers and their helpers
