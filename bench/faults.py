"""Figures for the README's paragraph on network faults (a measurement, not a test):

    .venv/bin/python bench/faults.py

The runs tests/test_faults.py pins, timed, with what the stand-in counted: the bundled sample
through the API and through public pages with 30 % of requests failing (the tests' seeds), an
image host that is down entirely, with `retries: 2`, and a Buttondown listing whose image host's
name does not resolve (240 images; the name's lookups go to a stub that counts them and fails,
so nothing is asked of any DNS server). Everything else is on 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import resource
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
    unresolved_image_host()
    return 0


def unresolved_image_host(emails: int = 60, images: int = 4) -> None:
    """A Buttondown listing whose images are remapped to a name that does not resolve."""
    lookups = []
    real = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "stand-in.invalid":
            lookups.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    listing = [{"id": f"e{n}", "slug": f"issue-{n}", "subject": f"Issue {n}", "status": "sent", "secondary_id": n + 1,
                "publish_date": "2024-01-01T00:00:00Z", "absolute_url": f"https://buttondown.com/bench/archive/issue-{n}/",
                "body": "\n\n".join(f"![picture {k}](https://assets.buttondown.email/images/{n}-{k}.png)" for k in range(images))}
               for n in range(emails)]
    with tempfile.TemporaryDirectory(prefix="nm-unresolved-") as folder:
        source = Path(folder) / "emails.json"
        source.write_text(json.dumps(listing))
        socket.getaddrinfo = lookup
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            report, took = migrate("buttondown-api", str(source), "https://assets.buttondown.email=http://stand-in.invalid:8765/assets",
                                   processes=0)
        finally:
            socket.getaddrinfo = real
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    failed = sum(1 for entry in report.issues for image in entry["images"] if image.get("error"))
    print(f"image host name unresolved: {len(report.issues)} issues, {failed} images failed, {len(lookups)} lookup(s), "
          f"{took:.1f} s wall, {cpu:.1f} s CPU")


if __name__ == "__main__":
    sys.exit(main())
