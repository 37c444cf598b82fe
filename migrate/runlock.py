"""One run at a time in a site, and the tool's folder in it never a way out.

Two runs writing one site undo each other's work: the second one's start-up sweep deletes the
first one's temporary files, and each records what the other wrote as conflicts. So a run that
writes takes `.migrate/lock` first, an advisory lock (`flock`) on a file that names the run
holding it. A second run refuses at once, naming the first and when it started. The kernel drops
the lock when its process ends, however it ends: a lock left by a run that was killed is not held
by anyone, and the next run takes it over (and says so) without any guess about stale processes.

`.migrate` itself must be a folder of the site: a symbolic link there would send the state store,
the report and the lock somewhere else, so it is refused, as every other link out of the site is.
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

TOOL_FOLDER = ".migrate"
LOCK_NAME = "lock"


def tool_folder(site: Path, create: bool = False) -> Path:
    """`SITE/.migrate`, refused when it is a symbolic link or not a folder; created when asked."""
    site = Path(site)
    folder = site / TOOL_FOLDER
    if site.exists() and not site.is_dir():
        raise UserError(f"--site {site} is a file; give it a folder (it is created when missing).")
    if folder.is_symlink():
        raise UserError(f"{folder} is a symbolic link; the tool writes its state only inside the site, so replace the "
                        "link with the folder it points to (move it into the site) and run again.")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file, where the tool keeps its state folder; move it aside and run again.")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise not_writable(site, exc) from None
    return folder


def not_writable(site: Path, exc: OSError) -> UserError:
    """The one sentence for a site the run cannot write."""
    why = exc.strerror or str(exc)
    return UserError(f"{site} cannot be written ({why}); a run writes its issues and its .migrate folder there: "
                     "make the site folder writable (or migrate into a copy of it) and run again.")


def _describe(holder: dict) -> str:
    started = holder.get("started") or "an unknown time"
    where = f"process {holder.get('pid', '?')}" + (f" on {holder['host']}" if holder.get("host") else "")
    command = f" ({holder['command']})" if holder.get("command") else ""
    return f"since {started}, {where}{command}"


def _read(handle) -> dict:
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        data = os.read(handle, 4096)
        holder = json.loads(data.decode("utf-8")) if data.strip() else {}
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


@dataclass
class RunLock:
    """The lock of one site, held by this run from `acquire` to `release`."""

    site: Path
    path: Path
    handle: int
    # What the file said when this run took it over from a run that ended without releasing it
    # (killed, or the machine stopped): shown in the run's report. None when it was free.
    previous: dict | None = field(default=None)

    @classmethod
    def acquire(cls, site: Path, command: str = "") -> "RunLock":
        site = Path(site)
        folder = tool_folder(site, create=True)
        path = folder / LOCK_NAME
        tries = 0
        while True:
            try:
                handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UserError(f"{path} is a symbolic link; remove it and run again.") from None
                raise not_writable(site, exc) from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(handle)
                os.close(handle)
                tries += 1
                if tries < 5:  # perhaps a `status` looking for a moment, not a run: ask again shortly
                    time.sleep(0.1)
                    continue
                raise UserError(f"Another run is in progress in {site} {_describe(holder)}; wait for it to finish "
                                "(or stop it) and run again.") from None
            except OSError as exc:
                os.close(handle)
                raise not_writable(site, exc) from None
            # The file may have been removed and made again between our open and our lock (a
            # failed start cleaning up): the lock is only ours if it is on the file at the path.
            try:
                same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(handle).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(handle)
        previous = _read(handle) or None
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "started": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        data = (json.dumps(me) + "\n").encode("utf-8")
        try:
            os.ftruncate(handle, 0)
            os.pwrite(handle, data, 0)
        except OSError as exc:
            os.close(handle)
            raise not_writable(site, exc) from None
        return cls(site, path, handle, previous)

    def taken_over(self) -> str | None:
        """What to tell of a lock this run took over from a run that ended without releasing it."""
        if not self.previous:
            return None
        return (f"the run {_describe(self.previous)} ended without finishing (it was stopped, or the machine was); "
                "this run took over its lock and completes what it left")

    def release(self, remove: bool = False) -> None:
        """Let the next run in; with `remove`, the lock file goes too (a failed start leaves no trace)."""
        if self.handle < 0:
            return
        try:
            if remove:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(self.handle, 0)  # an empty lock file: no run holds it, none was cut short
        except OSError:
            pass
        finally:
            os.close(self.handle)
            self.handle = -1


def holder(site: Path) -> dict | None:
    """Who holds the site's lock right now (what its file says), or None when no run does."""
    path = Path(site) / TOOL_FOLDER / LOCK_NAME
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read(handle) or {"pid": "?"}
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None
    finally:
        os.close(handle)
