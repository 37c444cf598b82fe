"""Run one command and count every process it starts: `reaper.py OUT.json -- COMMAND...`.

This process makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so a process the
command leaves behind (a multiprocessing fork server, its workers) is re-parented here instead
of to init when its parent exits. It then waits for every descendant, not only the command: the
rusage of its children (RUSAGE_CHILDREN) is the CPU of the whole tree, each process counted
once, whoever started it. While it waits, a thread samples the memory of the tree (PSS, so a
page shared by several processes is split among them, not counted once each).

OUT.json gets: exit status, wall seconds, CPU seconds (user + system) of every descendant, the
largest single process's peak RSS, the tree's peak PSS, and how many processes were reaped.
This file stays small and imports only the standard library: its own start-up is not measured.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def tree_pss_kb(root: int) -> int:
    """PSS of `root`'s descendants, from /proc."""
    total, stack = 0, [root]
    while stack:
        current = stack.pop()
        try:
            if current != root:
                with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                    total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def main(argv: list[str]) -> int:
    out, separator, command = argv[0], argv[1], argv[2:]
    if separator != "--" or not command:
        print("usage: reaper.py OUT.json -- COMMAND...", file=sys.stderr)
        return 2
    become_subreaper()
    peak = {"kb": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak["kb"] = max(peak["kb"], tree_pss_kb(os.getpid()))

    started = time.perf_counter()
    child = subprocess.Popen(command)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status, reaped = None, 0
    while True:  # every descendant: the command, and whatever it left behind
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        reaped += 1
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(wait_status)
            child.returncode = status  # reaped here, so Popen must not wait for it
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {"status": status, "wall_seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "user_seconds": usage.ru_utime, "system_seconds": usage.ru_stime,
               "max_process_rss_mb": usage.ru_maxrss / 1024, "tree_peak_pss_mb": peak["kb"] / 1024,
               "processes_reaped": reaped}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
