"""Writing inside the site folder: atomically, and never outside it."""
from __future__ import annotations

import codecs
import functools
import hashlib
import io
import os
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

from .crashpoints import crash_point
from .errors import UserError

# Windows refuses these names whatever the extension; a site may be built or edited there.
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 200


TEMP_PREFIX = ".nm-tmp-"
FILE_MODE = 0o666


@functools.cache
def _umask() -> int:
    """The process's umask, read once without changing it (Linux shows it in /proc); 0o022 elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write(path: Path, data: bytes, durable: bool = True) -> bool:
    """Write `data` to `path` through a temporary file and a rename.

    Returns False, and writes nothing, when the file already holds exactly these bytes, so re-runs
    leave untouched files untouched. A crash leaves either the old file or the new one, and at
    worst a `.nm-tmp-*` file that the next run sweeps away. `durable` also flushes the bytes to
    disk before the rename, so a power cut cannot leave an empty file under the new name; files
    that are checked against their content hash before every reuse (images) can skip it.
    """
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write_stream(path, [data], durable)
    return True


def atomic_write_stream(path: Path, chunks, durable: bool = True) -> None:
    """Write a file from an iterable of byte chunks, atomically (temporary file, then rename),
    without holding the whole file in memory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name[:40]}.", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a site's files are read by a web server and copied
        # by Hugo and rsync with their mode, so they get what a file made by hand gets.
        os.fchmod(fd, FILE_MODE & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        crash_point()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    crash_point()


def sweep_temporary_files(root: Path) -> int:
    """Remove the temporary files an interrupted run left behind; returns how many."""
    removed = 0
    if Path(root).is_dir():
        for leftover in Path(root).rglob(f"{TEMP_PREFIX}*"):
            if leftover.is_file():
                leftover.unlink()
                removed += 1
    return removed


def sha256_file(source) -> str | None:
    """SHA-256 of a file, by path (None if it does not exist) or open binary handle, read in chunks."""
    digest = hashlib.sha256()
    try:
        handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    except FileNotFoundError:
        return None
    try:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    finally:
        if isinstance(source, (str, Path)):
            handle.close()
    return digest.hexdigest()


def safe_component(text: str, fallback: str = "item") -> str:
    """Make one path component that cannot climb out of its folder or upset a file system."""
    text = unicodedata.normalize("NFC", text or "")
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch not in '/\\:*?"<>|\0')
    cleaned = cleaned.strip().strip(".")
    if not cleaned or cleaned.split(".")[0].lower() in _RESERVED_NAMES:
        cleaned = f"{fallback}-{cleaned}" if cleaned else fallback
    while len(cleaned.encode("utf-8")) > MAX_NAME_BYTES:
        cleaned = cleaned[:-1]
    return cleaned


def inside(root: Path, relative: str) -> Path:
    """Resolve a site-relative path, refusing anything that would land outside `root`."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or any(part in ("..", "") for part in rel.parts) or "\0" in relative:
        raise UserError(f"The path {relative!r} would leave the site folder; change it in your config to a path inside the site.")
    target = (root / Path(*rel.parts)).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UserError(f"The path {relative!r} resolves outside the site folder; remove the symlink, or change it in your config.")
    return target


def first_non_space(stream: io.BufferedReader) -> bytes:
    """The first byte after any leading whitespace, which is consumed; b"" for an empty stream."""
    while True:
        buffered = stream.peek(1)
        if not buffered:
            return b""
        stripped = buffered.lstrip()
        if stripped:
            stream.read(len(buffered) - len(stripped))
            return stripped[:1]
        stream.read(len(buffered))


class Utf8Stream(io.RawIOBase):
    """A byte stream re-encoded as valid UTF-8, whatever it was: a UTF-16 or UTF-8 byte order mark
    is honoured, and bytes that are not valid in the encoding become U+FFFD instead of an error
    that would lose everything after them. `replaced` tells whether any were."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self._decoder = None
        self._pending = b""
        self.replaced = False

    def readable(self) -> bool:
        return True

    def _start(self) -> None:
        head = self._raw.read(4)
        encoding = "utf-8"
        for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
            if head.startswith(bom):
                encoding = name
                break
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = self._convert(head, final=False)

    def _convert(self, data: bytes, final: bool) -> bytes:
        text = self._decoder.decode(data, final=final)
        if "\ufffd" in text:
            self.replaced = True
        return text.encode("utf-8")

    def readinto(self, buffer) -> int:
        if self._decoder is None:
            self._start()
        while len(self._pending) < len(buffer):
            chunk = self._raw.read(1 << 16)
            self._pending += self._convert(chunk, final=not chunk)
            if not chunk:
                break
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
