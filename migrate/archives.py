"""The files of an export: a folder, or a zip read in place (nothing is ever extracted).

An export comes from a platform that is closing, often through several hands; it is read as
hostile until shown otherwise. A zip is refused whole when any entry names a path outside the
archive (`../`, an absolute or drive path, a backslash or NUL), is a symbolic link, or would
inflate beyond what any export does (a zip bomb); and every member is read through a counter
that stops at its declared size, so a lying header cannot inflate either. A folder is refused
when a symbolic link in it leads outside it.
"""
from __future__ import annotations

import hashlib
import io
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from .errors import UserError

MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200          # inflating more than this (for members over 10 MB) is a bomb, not an export
MAX_ENTRIES = 200_000
# What zipfile raises for a member it cannot inflate: a bad CRC, broken deflate data, a member
# cut short, encryption, or a compression method Python lacks.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError)


def unsafe_member_name(name: str) -> str | None:
    """Why a zip entry's name could reach outside the archive, or None when it cannot."""
    if "\0" in name:
        return "holds a NUL byte"
    if "\\" in name:
        return "uses a backslash"
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if ".." in path.parts:
        return "climbs out with '..'"
    return None


class _Capped(io.RawIOBase):
    """A member's stream that refuses to yield more bytes than the member declared."""

    def __init__(self, handle: IO[bytes], limit: int, label: str):
        super().__init__()
        self._handle, self._left, self._label = handle, limit, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._handle.read(len(buffer))
        except _DAMAGED as exc:
            raise UserError(f"{self._label} is damaged ({exc or type(exc).__name__}); download the export again, "
                            "or unpack what can be read into a folder and give --source that folder.") from None
        self._left -= len(data)
        if self._left < 0:
            raise UserError(f"{self._label} inflates beyond the size its zip entry declares; the zip is damaged or hostile, so it is refused.")
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


class ArchiveFiles:
    def __init__(self, source: Path, what: str = "export"):
        self.source = Path(source)
        self._zip: zipfile.ZipFile | None = None
        if self.source.is_file():
            self._open_zip(what)
        elif self.source.is_dir():
            self._list_folder()
        else:
            raise UserError(f"{self.source} does not exist; give --source the {what} zip or the folder it unpacks to.")

    def _open_zip(self, what: str) -> None:
        try:
            self._zip = zipfile.ZipFile(self.source)
        except (zipfile.BadZipFile, OSError):
            raise UserError(f"{self.source} is not a readable zip file; give --source the {what} zip or the folder it unpacks to.") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise UserError(f"{self.source} holds {len(infos):,} entries, more than any {what}; it is refused.")
        total = 0
        for info in infos:
            reason = unsafe_member_name(info.filename)
            if reason:
                raise UserError(f"{self.source} has an entry that {reason} ({info.filename[:80]!r}); the zip is refused, as it could write outside any folder.")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UserError(f"{self.source} has a symbolic link ({info.filename[:80]!r}); the zip is refused, as it could point outside itself.")
            if info.file_size > MAX_MEMBER_BYTES or (info.compress_size and info.file_size > 10 * 1024 * 1024
                                                      and info.file_size / info.compress_size > MAX_RATIO):
                raise UserError(f"{self.source}: {info.filename[:80]} would inflate to {info.file_size:,} bytes, which no {what} does; the zip is refused.")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UserError(f"{self.source} would inflate to {total:,} bytes in all, which no {what} does; the zip is refused.")
        self.names = [info.filename for info in infos if not info.is_dir()]

    def _list_folder(self) -> None:
        root = self.source.resolve()
        names = []
        for path in sorted(self.source.rglob("*")):
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):  # a loop, or a link to nothing
                    raise UserError(f"{path} is a symbolic link that leads nowhere (or to itself); remove it and run again.") from None
                if not target.is_relative_to(root):
                    raise UserError(f"{path} is a symbolic link that leads outside {self.source}; remove it and run again.")
            if path.is_file():
                names.append(str(path.relative_to(self.source)))
        self.names = names

    def verify(self, names: list[str]) -> None:
        """Read the named members through to their end, so a damaged zip is refused before the run
        writes anything rather than halfway through it (zipfile checks each CRC at the end)."""
        for name in names:
            with self.open(name) as handle:
                while handle.read(1 << 20):
                    pass

    def find(self, prefix: str, suffix: str) -> str | None:
        """The first file (by name) whose file name starts with `prefix` and ends with `suffix`."""
        matches = sorted(n for n in self.names
                         if PurePosixPath(n).name.lower().startswith(prefix) and n.lower().endswith(suffix)
                         and not PurePosixPath(n).name.startswith("."))
        return matches[0] if matches else None

    def open(self, name: str) -> IO[bytes]:
        if self._zip is None:
            return open(self.source / name, "rb")
        info = self._zip.getinfo(name)
        label = f"{self.source}: {name}"
        try:
            member = self._zip.open(info)
        except _DAMAGED as exc:
            why = "it is encrypted" if "encrypt" in str(exc) else str(exc) or type(exc).__name__
            raise UserError(f"{label} cannot be opened ({why}); download the export again, without a password.") from None
        return io.BufferedReader(_Capped(member, info.file_size, label))

    def digest(self, names: list[str]) -> str:
        """One SHA-256 over the named files, to tell whether the export changed since last time."""
        digest = hashlib.sha256()
        for name in names:
            digest.update(name.encode("utf-8") + b"\0")
            with self.open(name) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
