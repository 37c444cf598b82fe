"""Loading modules without the garbage collector walking them over and over.

A command's first moments are mostly imports (requests and urllib3, PyYAML, lxml, the tool's own
modules), and each import makes thousands of objects that live as long as the process. Python's
collector counts them as new and runs again and again while they are made, each older-generation
pass walking all of them: about a tenth of the CPU of a sync that finds nothing changed. So the
collector waits while the modules a command needs load the first time, and what they made is then
frozen (`gc.freeze`: out of the collector's sight; module objects are never freed anyway).
Everything a run makes after that is collected as before: no run goes on with the collector off.
Only a process's one thread does this: `gc.freeze` would also freeze what other threads hold at
that moment, and an issue tree one of them drops later would never be freed (bs4's trees are
cycles), so with other threads running a module loads as any import does.
"""
from __future__ import annotations

import gc
import sys
import threading
from importlib import import_module
from types import ModuleType


def loaded(*names: str) -> list[ModuleType]:
    """The named modules. Those not loaded yet are imported with the collector waiting (unless it
    is off already, or another thread is running), then frozen."""
    missing = [name for name in names if name not in sys.modules]
    if missing and gc.isenabled() and threading.active_count() == 1:
        gc.disable()
        try:
            for name in missing:
                import_module(name)
        finally:
            gc.freeze()
            gc.enable()
    return [import_module(name) for name in names]
