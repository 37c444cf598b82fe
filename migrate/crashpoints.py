"""Crash points: the places a run may die without losing anything, made reachable on purpose.

The crash-safety test runs the tool in a child process with NEWSLETTER_MIGRATE_CRASH_AT=N: the
N-th time the run passes a crash point (between writing a temporary file and renaming it, after
the rename, after a state commit) the process kills itself with SIGKILL, as a power cut or an
OOM killer would. With NEWSLETTER_MIGRATE_CRASH_AT=count:FILE it only counts, and writes the
total to FILE at exit, so the test knows the range to pick N from. Unset, a crash point costs
one comparison.
"""
from __future__ import annotations

import atexit
import os
import signal
import threading
from pathlib import Path

_SETTING = os.environ.get("NEWSLETTER_MIGRATE_CRASH_AT", "")
_COUNT_FILE = Path(_SETTING[len("count:"):]) if _SETTING.startswith("count:") else None
_TARGET = int(_SETTING) if _SETTING.isdigit() else 0
_ACTIVE = bool(_TARGET or _COUNT_FILE)
_passed = 0
_lock = threading.Lock()

if _COUNT_FILE is not None:
    atexit.register(lambda: _COUNT_FILE.write_text(str(_passed)))


def crash_point() -> None:
    global _passed
    if not _ACTIVE:
        return
    with _lock:
        _passed += 1
        if _passed == _TARGET:
            os.kill(os.getpid(), signal.SIGKILL)
