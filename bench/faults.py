"""Figures for the README's paragraph on network faults (a measurement, not a test):

    .venv/bin/python bench/faults.py

The runs tests/test_faults.py pins, timed, with what the stand-in counted: the bundled sample
through the API and through public pages with 30 % of requests failing (the tests' seeds), and
an image host that is down entirely, with `retries: 2`. Everything is on 127.0.0.1.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from migrate.config import RunOptions  # noqa: E402
from migrate.pipeline import Mode, run  # noqa: E402
from migrate.standin import Account, StandinServer  # noqa: E402
from migrate.urls import Remap  # noqa: E402

SAMPLE = ROOT / "samples" / "revue-demo"
TOKEN = "bench-faults"


def migrate(platform: str, source: str, remap: str, **options):
    with tempfile.TemporaryDirectory(prefix="nm-faults-") as site:
        start = time.perf_counter()
        report = run(RunOptions(platform=platform, source=source, site=Path(site), remaps=[Remap.parse(remap)],
                                progress=False, **options), Mode.RUN)
        return report, time.perf_counter() - start


def main() -> int:
    os.environ["REVUE_API_TOKEN"] = TOKEN
    for platform, seed in (("revue-api", 7), ("revue-pages", 11)):
        account = Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token=TOKEN,
                                     fault_rate=0.3, fault_seed=seed)
        server = StandinServer(account).start()
        try:
            source = server.url if platform == "revue-api" else f"{server.url}/profile/tidepool"
            report, took = migrate(platform, source, f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com")
        finally:
            server.stop()
        print(f"{platform}, 30 % failing: {sum(account.faults_sent.values())} of {sum(account.hits.values())} requests "
              f"failed; {len(report.issues)} issues, {report.summary()['images_local']} images local, "
              f"exit {'0' if report.ok else '1'}, {took:.1f} s")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    report, took = migrate("revue-api", str(SAMPLE / "issues.json"), f"https://s3.amazonaws.com=http://127.0.0.1:{dead}/s3",
                           attempts=2)
    failed = sum(1 for entry in report.issues for image in entry["images"] if image.get("error"))
    print(f"image host down, retries 2: {len(report.issues)} issues written, {failed} images failed, "
          f"exit {'0' if report.ok else '1'}, {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
