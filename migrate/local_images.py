"""Images a local source holds itself: a relative `src` in a body read from a folder or zip.

A `buttondown pull` folder keeps its pictures in `media/` and its bodies point at them as
`../media/<file>`. Such an image is read from the source and stored like a downloaded one (the
same content checks, the same name from its bytes). It is read only from inside the source: a
path that climbs out of it is refused, and so is any path through a symbolic link, in the folder
or (already refused whole when the zip is opened) in a zip.

The images cleaner names such an image `source:<path inside the source>`; it refuses that form
when a body writes it itself, so only a relative `src` of a body read from a local source can
ever be one.
"""
from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from .archives import ArchiveFiles
from .errors import UserError
from .http import FetchError, TooLarge

LOCAL_PREFIX = "source:"


def is_relative_reference(src: str) -> bool:
    """Whether an image's src names a file relative to its page (no scheme, no host, no root)."""
    try:
        parts = urlsplit(src)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc and not src.startswith("/") and bool(parts.path)


def local_reference(src: str, body_file: str) -> str | None:
    """`source:<path>` for a relative src of the body at `body_file` (a path inside the source),
    or None when it climbs out of the source."""
    path = posixpath.normpath(posixpath.join(posixpath.dirname(body_file), unquote(urlsplit(src).path)))
    if path.startswith("../") or path in ("..", ".") or path.startswith("/"):
        return None
    return LOCAL_PREFIX + path


class LocalFiles:
    """Reads files from inside one local source (a folder or a zip), never from outside it."""

    def __init__(self, source: Path):
        self.source = Path(source)
        self._zip = ArchiveFiles(self.source, what="export") if self.source.is_file() else None
        self._root = self.source.resolve() if self._zip is None else None

    @classmethod
    def for_source(cls, source: str) -> "LocalFiles | None":
        """The reader of a run's source, when it is a folder or a zip (not a URL, not one file)."""
        path = Path(source)
        if source.startswith(("http://", "https://")) or not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")):
            return None
        try:
            return cls(path)
        except UserError:
            return None  # the fetcher says what is wrong with the source

    def read(self, reference: str, max_bytes: int) -> bytes:
        """The bytes of `source:<path>`; FetchError with the reason when it cannot be read."""
        path = reference[len(LOCAL_PREFIX):]
        parts = PurePosixPath(path).parts
        if not parts or ".." in parts or PurePosixPath(path).is_absolute():
            raise FetchError(f"{path} is outside the source folder; it is not read")
        if self._zip is not None:
            return self._read_member(path, max_bytes)
        return self._read_file(parts, max_bytes)

    def _read_member(self, path: str, max_bytes: int) -> bytes:
        if path not in self._zip.names:
            raise FetchError(f"{path} is not in {self.source.name}")
        try:
            with self._zip.open(path) as handle:
                data = handle.read(max_bytes + 1)
        except UserError as exc:
            raise FetchError(str(exc)) from None
        if len(data) > max_bytes:
            raise TooLarge(f"{path} is over the {max_bytes}-byte cap")
        return data

    def _read_file(self, parts: tuple[str, ...], max_bytes: int) -> bytes:
        current = self._root
        shown = "/".join(parts)
        for part in parts:
            current = current / part
            try:
                info = os.lstat(current)
            except OSError:
                raise FetchError(f"{shown} is not in the source folder") from None
            if stat.S_ISLNK(info.st_mode):
                raise FetchError(f"{shown} is reached through a symbolic link; it is not read")
        if not stat.S_ISREG(info.st_mode):
            raise FetchError(f"{shown} is not a file")
        # O_NOFOLLOW: a link swapped in since the check above is refused, not followed.
        try:
            descriptor = os.open(current, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise FetchError(f"{shown} could not be read ({exc.strerror or exc})") from None
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise TooLarge(f"{shown} is over the {max_bytes}-byte cap")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
