"""`make demo`: migrate the bundled sample archive, served from loopback, into output/.

The sample is a Revue account of twelve issues (samples/revue-demo/issues.json, in the shape of
Revue's API) with its images. A stand-in server plays Revue and its S3 image bucket on
127.0.0.1; the tool fetches from it exactly as it would from the real thing, through --remap.
Then `check` lints the result. The server is stopped whatever happens.
"""
from __future__ import annotations

import os
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
    sample = HERE / "revue-demo"
    account = Account.from_files(sample / "issues.json", sample / "images", profile="tidepool", token=TOKEN)
    with StandinServer(account) as server:
        print(f"Stand-in Revue and image host listening on {server.url}")
        command = [sys.executable, "-m", "migrate", "run", "--platform", "revue-api", "--source", server.url,
                   "--site", str(site), "--remap", f"https://s3.amazonaws.com={server.url}/s3.amazonaws.com"]
        print("$ REVUE_API_TOKEN=… " + " ".join(command[1:]).replace(sys.executable, "python"), flush=True)
        status = subprocess.call(command, env={**os.environ, "REVUE_API_TOKEN": TOKEN}, cwd=ROOT)
    print(flush=True)
    check = [sys.executable, "-m", "migrate", "check", str(site)]
    print("$ " + " ".join(check[1:]).replace(sys.executable, "python"), flush=True)
    check_status = subprocess.call(check, cwd=ROOT)
    print(f"\nThe Hugo-ready site is in {site}/ (content/issues/*.md, static/images/).")
    return status or check_status


if __name__ == "__main__":
    sys.exit(main())
