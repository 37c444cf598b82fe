"""Writing inside the site folder: atomically, and never outside it."""
from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

from .errors import UserError

# Windows refuses these names whatever the extension; a site may be built or edited there.
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 200


def atomic_write(path: Path, data: bytes) -> bool:
    """Write `data` to `path` through a temporary file and a rename.

    Returns False, and writes nothing, when the file already holds exactly these bytes, so re-runs
    leave untouched files untouched.
    """
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return True


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
        raise UserError(f"The output path {relative!r} would leave the site folder; change the path template in your config.")
    target = (root / Path(*rel.parts)).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UserError(f"The output path {relative!r} resolves outside the site folder; remove the symlink or change the path template.")
    return target
