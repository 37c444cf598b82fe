"""What a person at the command line is told when a run cannot go on.

Expected conditions (the disk is full or read-only, another program holds the state store, Ctrl-C)
are one sentence each that says what to do; nothing written so far is lost, as every write is
atomic and the state records only what is in place. Anything else is a bug in the tool: the
person gets one line naming the file that holds the whole traceback, never the traceback itself.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import re
import sqlite3
import tempfile
import traceback
from pathlib import Path

from . import __version__
from .files import atomic_write
from .urls import without_credentials

EXIT_INTERRUPTED = 130
EXIT_BUG = 3

# Environment variables whose values must never reach a file (tokens, keys, passwords).
_SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|AUTHORIZATION|CREDENTIAL", re.IGNORECASE)


_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def about_the_machine(exc: BaseException) -> bool:
    """Whether `exc` is the disk's or the state store's doing (full, read-only, busy) rather than
    one issue's: it ends the run, as every issue after it would meet it too."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    return isinstance(exc, OSError) and exc.errno in _DISK_ERRORS


# C0 controls but tab and newline, DEL and C1 controls. A title or a warning comes from the
# source, and an escape sequence in it would rewrite the reader's terminal; shown as U+FFFD.
_UNPRINTABLE = {code: "\ufffd" for code in [*range(0, 9), *range(11, 32), 0x7F, *range(0x80, 0xA0)]}


def shown(text: str) -> str:
    """`text` as it may be printed: no control character from a source reaches the terminal."""
    return text.translate(_UNPRINTABLE)


class PrintableStream:
    """A text stream that writes only what `shown` lets through."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(shown(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def explain(exc: BaseException, site: Path | None, resume: str | None) -> str | None:
    """The one sentence for an expected condition, or None when `exc` is not one. `resume` is
    the command that finishes the work (for a run that stopped part-way)."""
    then = f"; then {resume} finishes the run, and nothing written so far is lost" if resume else ""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        store = f"{site}/.migrate/state.sqlite" if site else "the state store"
        if "locked" in text or "busy" in text:
            return f"{store} is in use by another program (another newsletter-migrate run?); wait for it to finish and try again."
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return f"{store} cannot be written (the site folder is read-only?); make {site or 'the site folder'} writable{then}."
        if "full" in text:
            return f"the disk is full; free some space{then}."
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"the disk is full{where}; free some space{then}."
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            what = "is on a read-only disk" if exc.errno == errno.EROFS else "cannot be written (permission denied)"
            return f"{exc.filename or 'the site folder'} {what}; give --site a folder you can write to, or make it writable{then}."
        return f"{exc.strerror or exc}{where}; check that the site folder is writable and the disk has room{then}."
    return None


def interrupted(resume: str | None) -> str:
    if resume:
        return f"Interrupted. Every file written so far is kept; {resume} finishes the run."
    return "Interrupted."


def write_traceback(site: Path | None, exc: BaseException, argv: list[str]) -> Path:
    """Keep the whole traceback of a bug in `SITE/.migrate/` (or the temporary folder when the
    site cannot take it), with secrets from the environment blanked out; returns its path."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = (f"newsletter-migrate {__version__}\ncommand: newsletter-migrate {' '.join(argv)}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    data = _without_secrets(text).encode("utf-8")
    folder = Path(site) / ".migrate" if site else None
    if folder is not None and folder.is_dir() and not folder.is_symlink():
        try:
            path = folder / f"crash-{stamp}.txt"
            atomic_write(path, data)
            return path
        except OSError:
            pass  # the site cannot take it: the temporary folder can
    fd, name = tempfile.mkstemp(prefix=f"newsletter-migrate-crash-{stamp}-", suffix=".txt")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


def _without_secrets(text: str) -> str:
    """`text` with the values of secret environment variables blanked, and every URL in it
    without user info or credential-like query parameters (a --source may carry them)."""
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value.strip()) >= 4:
            text = text.replace(value.strip(), "***")
    return "".join(_public_word(word) for word in _WORDS.split(text))


_WORDS = re.compile(r"(\s+)")  # splits text into words and the spaces between them, keeping both
_URL_STARTS = ("http://", "https://")


def public_text(text: str) -> str:
    """What of a message may be shown or kept: see _without_secrets."""
    return _without_secrets(text)


def _public_word(word: str) -> str:
    """A word with each URL in it (`--source=URL`, a remap's FROM=TO) stripped of credentials."""
    starts = [i for i in range(len(word)) if word.startswith(_URL_STARTS, i)]
    if not starts:
        return word
    pieces, last = [word[:starts[0]]], len(word)
    for begin, end in zip(starts, starts[1:] + [last]):
        url = word[begin:end]
        tail = "=" if end != last and url.endswith("=") else ""  # FROM=TO: the = belongs between them
        pieces.append(without_credentials(url[:len(url) - len(tail)]) + tail)
    return "".join(pieces)
