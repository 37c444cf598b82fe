"""Which platform a local source plainly belongs to, so a wrong --platform is one sentence before
anything is written, not a run of unreadable entries or advice that fits another platform.

The signs are each fetcher's `source_signs`: file names a folder or zip holds (any of them, `*`
as a wildcard), or keys every object of a saved JSON listing has (all of them: an array of
objects, or an object whose `results` is one). Only a source some other fetcher's signs plainly fit while
the chosen fetcher's do not is refused; a fetcher without signs (public pages, the Wayback
Machine) never claims a source, and a URL is never judged here.
"""
from __future__ import annotations

import io
import zipfile
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from .errors import UserError
from .fetchers import FETCHERS, platform_names
from .files import Utf8Stream, first_non_space

def _file_names(path: Path) -> set[str]:
    """The file names (lower case) a folder holds at its top, or a zip at its top or in one folder
    (an export zipped with its folder): a folder of pages beside an export is not that export."""
    if path.is_dir():
        return {child.name.lower() for child in path.iterdir()}
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return {PurePosixPath(name).name.lower() for name in archive.namelist() if len(PurePosixPath(name).parts) <= 2}
    return set()


def _json_keys(path: Path) -> set[str] | None:
    """The keys of the first object of a saved JSON listing, or None when the file is no such
    listing. Only that first entry is read, streamed: the fetcher reads the rest."""
    import ijson  # here: a run from a URL reads no saved listing

    from . import jsondata

    if not path.is_file() or path.suffix.lower() != ".json":
        return None
    try:
        with open(path, "rb") as handle:
            stream = io.BufferedReader(Utf8Stream(handle))
            first = first_non_space(stream)
            if first not in (b"[", b"{"):
                return None
            entry = next(jsondata.array_entries(stream, None if first == b"[" else "results"), None)
    except (ijson.JSONError, UserError):
        return None  # not a listing this check can judge: the fetcher's own reading says what is wrong
    return set(entry) if isinstance(entry, dict) else None


def _fits(signs: dict[str, tuple[str, ...]], names: set[str], keys: set[str] | None) -> str | None:
    """How a source fits these signs (for the sentence), or None."""
    for pattern in signs.get("files", []):
        found = sorted(name for name in names if fnmatch(name, pattern))
        if found:
            return f"it holds {found[0]}"
    wanted = signs.get("json_keys")
    if wanted and keys is not None and set(wanted) <= keys:
        return f"its entries have the keys {', '.join(wanted)}"
    return None


def check_platform_fits(platform: str, source: str) -> None:
    """Refuse (UserError) a local source that plainly belongs to another registered platform."""
    if source.startswith(("http://", "https://")):
        return
    path = Path(source)
    try:
        names, keys = _file_names(path), _json_keys(path)
    except (OSError, zipfile.BadZipFile):
        return  # the fetcher's own check says what is wrong with it
    if _fits(FETCHERS[platform].source_signs, names, keys):
        return
    # A run imports only its own platform's module: the others are asked only now, when the source
    # is not plainly this platform's.
    others = [(name, why) for name in platform_names() if name != platform
              for why in [_fits(FETCHERS[name].source_signs, names, keys)] if why]
    if len(others) == 1:
        other, why = others[0]
        raise UserError(f"{source} is a {other} source ({why}), not {platform}; run again with --platform {other}.")
