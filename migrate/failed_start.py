"""What a failed start leaves behind: nothing it made.

A run that fails before it records anything (a wrong API key, an unreachable server, a source of
another platform's) should leave the disk as it found it, so that a mistyped command does not
leave a site folder with an empty state store in it. Only what the run itself added goes.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .runlock import LOCK_NAME
from .state import STATE_PATH, StateStore

log = logging.getLogger(__name__)


@dataclass
class StartingPoint:
    """What of a site existed before a run: all a failed start may take away is what it added."""
    site: Path
    created: Path | None  # the outermost folder on the way to the site that did not exist
    tool_folder_existed: bool
    state_existed: bool
    lock_existed: bool = True

    @classmethod
    def of(cls, site: Path) -> "StartingPoint":
        site = site.absolute()
        created = None
        for folder in [site, *site.parents]:
            if folder.exists() or folder.is_symlink():
                break
            created = folder
        state = site / STATE_PATH
        return cls(site, created, state.parent.exists(), state.exists(), (state.parent / LOCK_NAME).exists())

    def forget_failed_start(self) -> None:
        """Undo what a failed run made before it recorded anything (a wrong API key, an
        unreachable server): the state store it created, the tool's folder if it created that,
        and the empty folders it created on the way to the site. A store that records an issue
        or an image stays, as it describes files that are in place; nothing else is touched."""
        if self.state_existed or not self.site.is_dir():
            return
        try:
            self._forget()
        except (OSError, sqlite3.Error) as exc:  # the run's own error is the one to tell
            log.debug("could not undo the failed start in %s: %s", self.site, exc)

    def _forget(self) -> None:
        state = StateStore.open_existing(self.site)
        if state is not None:
            try:
                recorded = bool(state.issues() or state.images())
            finally:
                state.close()
            if recorded:
                return
        store = self.site / STATE_PATH
        for path in (store, *(store.with_name(store.name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
            path.unlink(missing_ok=True)
        if not self.lock_existed:
            (store.parent / LOCK_NAME).unlink(missing_ok=True)  # the run's lock: it holds it, and made it
        if not self.tool_folder_existed:
            _remove_empty_folders(store.parent)
        if self.created is not None:
            _remove_empty_folders(self.created)


def _remove_empty_folders(top: Path) -> None:
    """`top` and the folders under it, deepest first, each only if empty (links are not followed)."""
    if not top.is_dir() or top.is_symlink():
        return
    for folder, _, _ in os.walk(top, topdown=False, followlinks=False):
        try:
            os.rmdir(folder)
        except OSError:
            pass  # it holds something that was not the run's to remove
