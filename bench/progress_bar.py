"""What the progress bar costs: the same run in a pseudo-terminal with the bar and with --quiet.

    python bench/progress_bar.py [--issues 300] [--repeat 3]

A synthetic archive (bench/synthetic.py) saved as a Revue API response is migrated without images
and without worker processes (so the one process measured is the whole run), alternately with the
bar and with --quiet, each in a pseudo-terminal as a person runs it. CPU seconds are the child's
own (user + system, from wait4). Prints the least and the median of each and their ratios: the
least is the figure load on a shared machine disturbs least.
"""
from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synthetic  # noqa: E402


def cpu_in_terminal(argv: list[str]) -> float:
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    while True:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                if not os.read(fd, 1 << 16):
                    break
            except OSError:
                break
    _, status, usage = os.wait4(pid, 0)
    os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nm-bar-"))
    try:
        source = work / "issues.json"
        source.write_text(json.dumps(list(synthetic.archive(args.issues))))
        times: dict[str, list[float]] = {"bar": [], "quiet": []}
        for n in range(args.repeat):
            for kind in ("bar", "quiet"):
                site = work / f"site-{kind}-{n}"
                argv = [sys.executable, "-m", "migrate", "run", "--platform", "revue-api", "--source", str(source),
                        "--site", str(site), "--no-images", "--processes", "0"] + (["--quiet"] if kind == "quiet" else [])
                times[kind].append(cpu_in_terminal(argv))
        for name, pick in (("least", min), ("median", statistics.median)):
            bar, quiet = pick(times["bar"]), pick(times["quiet"])
            print(f"{args.issues} issues in a pseudo-terminal, {name} of {args.repeat}: with the bar {bar:.2f} s CPU, "
                  f"--quiet {quiet:.2f} s CPU, ratio {bar / quiet:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
