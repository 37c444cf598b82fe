"""`make demo`: migrate the bundled sample archive, served from loopback, into output/.

The sample is a Revue account of twelve issues (samples/revue-demo/issues.json, in the shape of
Revue's API) with its images. A stand-in server plays Revue and its S3 image bucket on
127.0.0.1; the tool fetches from it exactly as it would from the real thing, through --remap.
Then `check` lints the result and `verify --build` builds it with Hugo and checks that every old
path leads to its issue. The server is stopped whatever happens.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from migrate.standin import Account, StandinServer  # noqa: E402

TOKEN = "demo-token-not-a-secret"


def main() -> int:
    site = Path(os.environ.get("DEMO_SITE", ROOT / "output"))
    # Each demo is a fresh migration: what an earlier demo generated goes first.
    for generated in ("content", "static", ".migrate"):
        shutil.rmtree(site / generated, ignore_errors=True)
    sample = HERE / "revue-demo"
    account = Account.from_files(sample / "issues.json", sample / "images", profile="tidepool", token=TOKEN)
    with StandinServer(account) as server:
        print(f"Stand-in Revue and image host listening on {server.url}")
        command = [sys.executable, "-m", "migrate", "run", "--platform", "revue-api", "--source", server.url,
                   "--site", str(site), "--remap", f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com"]
        print("$ REVUE_API_TOKEN=… " + " ".join(command[1:]).replace(sys.executable, "python"), flush=True)
        status = subprocess.call(command, env={**os.environ, "REVUE_API_TOKEN": TOKEN}, cwd=ROOT)
    statuses = [status]
    for command in (["check", str(site)], ["verify", "--site", str(site), "--build"]):
        print("\n$ python -m migrate " + " ".join(command), flush=True)
        statuses.append(subprocess.call([sys.executable, "-m", "migrate", *command], cwd=ROOT))
    shown = os.path.relpath(site, ROOT) if site.is_relative_to(ROOT) else str(site)
    print(f"\nThe site is in {shown}/. Look at it: .venv/bin/newsletter-migrate preview --site {shown}")
    print(f"Its report: {shown}/.migrate/report.html (or .venv/bin/newsletter-migrate report --site {shown} --open)")
    return next((s for s in statuses if s), 0)


if __name__ == "__main__":
    sys.exit(main())
