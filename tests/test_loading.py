"""Modules load with the garbage collector waiting, and the collector is on again after: a run
that went on with it off would grow by every cycle it made (bs4's trees are full of them)."""
import gc
import subprocess
import sys

import pytest

from migrate.loading import loaded


@pytest.fixture
def module_on_path(tmp_path, monkeypatch):
    """A module of our own, not loaded yet, that records whether the collector ran while it loaded."""
    (tmp_path / "nm_loading_probe.py").write_text(
        "import gc\n"
        "COLLECTING = gc.isenabled()\n"
        "CYCLE = []\n"
        "CYCLE.append(CYCLE)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "nm_loading_probe"
    sys.modules.pop("nm_loading_probe", None)


@pytest.fixture
def collector_restored():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def in_a_process_of_its_own(code: str, path) -> str:
    """What `code` prints, run by a fresh interpreter with `path` first on its module path: a
    process with one thread, as a command is when its modules load (the suite's own process may
    hold threads other tests left to end on their own)."""
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(path), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_module_loads_with_the_collector_waiting_and_is_frozen_after(module_on_path, tmp_path):
    printed = in_a_process_of_its_own(
        "import gc\n"
        "from migrate.loading import loaded\n"
        "frozen = gc.get_freeze_count()\n"
        f"probe, = loaded({module_on_path!r})\n"
        "print(probe.COLLECTING, gc.isenabled(), gc.get_freeze_count() > frozen)\n", tmp_path)
    # collecting while it loaded; on again after; what it made out of the collector's sight
    assert printed == "False True True"


def test_a_module_already_loaded_freezes_nothing_more(module_on_path, collector_restored):
    gc.enable()
    first, = loaded(module_on_path)
    frozen = gc.get_freeze_count()
    again, = loaded(module_on_path)
    assert again is first and gc.get_freeze_count() == frozen and gc.isenabled()


def test_with_another_thread_running_a_module_loads_as_any_import_does(module_on_path, collector_restored):
    """What another thread holds at that moment is not frozen: a tree it drops later is freed."""
    import threading

    gc.enable()
    frozen = gc.get_freeze_count()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        probe, = loaded(module_on_path)
    finally:
        stop.set()
        other.join()
    assert probe.COLLECTING is True and gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_collector_turned_off_by_the_caller_stays_off(module_on_path, collector_restored):
    gc.disable()
    frozen = gc.get_freeze_count()
    loaded(module_on_path)
    assert not gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_failing_import_still_turns_the_collector_back_on(tmp_path):
    (tmp_path / "nm_loading_broken.py").write_text("import gc\nprint('collecting while it loads:', gc.isenabled())\n"
                                                   "raise RuntimeError('broken on purpose')\n")
    printed = in_a_process_of_its_own(
        "import gc\n"
        "from migrate.loading import loaded\n"
        "try:\n"
        "    loaded('nm_loading_broken')\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
        "print('collecting after:', gc.isenabled())\n", tmp_path)
    assert printed.splitlines() == ["collecting while it loads: False", "broken on purpose", "collecting after: True"]


def test_the_command_runs_its_work_with_the_collector_on(tmp_path):
    # In a process of its own, as a user runs it: the modules of `run` load, then the collector
    # is on for the run itself (a local folder with nothing in it: no network).
    code = ("import gc, sys\n"
            "import migrate.pipeline as pipeline\n"
            "real = pipeline.Migration.run\n"
            "def run(self, *a, **k):\n"
            "    print('collecting during the run:', gc.isenabled())\n"
            "    return real(self, *a, **k)\n"
            "pipeline.Migration.run = run\n"
            "from migrate.__main__ import main\n"
            "sys.exit(main())\n")
    (tmp_path / "pages").mkdir()
    done = subprocess.run([sys.executable, "-c", code, "run", "--platform", "revue-pages", "--source", str(tmp_path / "pages"),
                           "--site", str(tmp_path / "site"), "--quiet"], capture_output=True, text=True, timeout=120)
    assert "collecting during the run: True" in done.stdout, done.stdout + done.stderr
