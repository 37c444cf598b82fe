"""What the tool knows it wrote: an embedded SQLite store in `<site>/.migrate/state.sqlite`.

Per issue: its source id, a hash of what the source held, its old paths, its output path and a
hash of the file as written, so a re-sync knows what changed at the source, what changed by hand
and what is up to date. Per image: its URL, local file, content hash, state (new, done, failed
with reason and attempt count), ETag and Last-Modified. Per source document: the validators for
conditional requests.

A row is committed only after the file it describes is in place, so a crash leaves the store
describing files that exist; the next run adopts any file written after the last commit.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from .errors import UserError
from .urls import without_credentials

STATE_PATH = ".migrate/state.sqlite"
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issues (
    platform TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source TEXT NOT NULL,             -- the --source the issue came from (several may feed one site)
    source_ref TEXT NOT NULL,
    source_hash TEXT,
    render_key TEXT,                  -- the settings the file was rendered with
    title TEXT,
    old_paths TEXT NOT NULL,          -- JSON list of paths
    old_urls TEXT NOT NULL,           -- JSON list of URLs (override keys)
    previous_urls TEXT NOT NULL,      -- JSON list of site URLs the issue had before it moved
    output_path TEXT NOT NULL,
    output_hash TEXT,                 -- SHA-256 of the file as the tool last wrote it
    incoming_hash TEXT,               -- set while a newer version waits beside a hand-edited file
    images TEXT NOT NULL,             -- JSON list of the image URLs the issue uses
    gone INTEGER NOT NULL DEFAULT 0,  -- 1 once the source stopped listing it (the file is kept)
    PRIMARY KEY (platform, source_id)
);
CREATE TABLE IF NOT EXISTS images (
    url TEXT PRIMARY KEY,
    file TEXT,
    sha256 TEXT,
    state TEXT NOT NULL,              -- new | done | failed
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT
);
-- Per issue, the report entry of the run that last converted it: what the site's report and
-- to-do show of issues a later run found unchanged.
CREATE TABLE IF NOT EXISTS entries (
    platform TEXT NOT NULL,
    source_id TEXT NOT NULL,
    output_path TEXT,
    entry TEXT NOT NULL,              -- JSON, as in report.json
    PRIMARY KEY (platform, source_id)
);
CREATE TABLE IF NOT EXISTS sources (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT
);
"""


@dataclass
class IssueRow:
    platform: str
    source_id: str
    source: str
    source_ref: str
    source_hash: str | None
    render_key: str | None
    title: str | None
    old_paths: list[str]
    old_urls: list[str]
    previous_urls: list[str]
    output_path: str
    output_hash: str | None
    incoming_hash: str | None
    images: list[str] = field(default_factory=list)
    gone: bool = False


@dataclass
class ImageRow:
    url: str
    file: str | None
    sha256: str | None
    state: str
    reason: str | None
    attempts: int
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


class StateError(UserError):
    """The state database cannot be used (read-only, full, damaged): one sentence on what to do."""


def _state_error(path: Path, exc: sqlite3.Error) -> StateError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return StateError(f"{path} cannot be written (it, or the site folder, is read-only); make the site folder writable "
                          "(or run on a copy of it) and run again.")
    if "full" in text:
        return StateError(f"The disk holding {path} is full; free some space and run again.")
    if "locked" in text or "busy" in text:
        return StateError(f"{path} is in use by another program; close it and run again.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StateError(f"{path} is damaged ({exc}); move it aside to start the state afresh, and run again.")
    if "unable to open" in text:
        return StateError(f"{path} cannot be opened ({exc}); check that the site's .migrate folder can be read and written.")
    return StateError(f"The state in {path} could not be used ({exc}); check the site's .migrate folder and run again.")


class _Database:
    """sqlite3's connection, whose errors become one sentence that says what to do."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path, self._connection = path, connection

    def _call(self, method, *args):
        try:
            return method(*args)
        except sqlite3.Error as exc:
            raise _state_error(self.path, exc) from None

    def execute(self, *args):
        return self._call(self._connection.execute, *args)

    def executemany(self, *args):
        return self._call(self._connection.executemany, *args)

    def executescript(self, script: str):
        return self._call(self._connection.executescript, script)

    def cursor(self):
        return self._connection.cursor()

    def close(self) -> None:
        self._connection.close()


def _refuse_links(path: Path) -> None:
    """The state lives in the site's own .migrate folder: a link there, or in place of the
    database or its journals, would send every write somewhere else."""
    for candidate in (path.parent, path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if candidate.is_symlink():
            raise StateError(f"{candidate} is a symbolic link; the tool keeps its state only inside the site, so replace "
                             "the link with what it points to and run again.")


class StateStore:
    """A thread-safe handle on the state database; every write commits at once.

    `read_only` opens an existing store for commands that only read it (status, redirects,
    verify, check, a dry run): they work on a site that cannot be written."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        _refuse_links(self.path)
        self._lock = threading.RLock()
        try:
            if read_only:
                self._db = _Database(self.path, self._connect_read_only())
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = _Database(self.path, sqlite3.connect(self.path, check_same_thread=False, isolation_level=None))
        except sqlite3.Error as exc:
            raise _state_error(self.path, exc) from None
        except OSError as exc:
            raise StateError(f"{self.path.parent} cannot be created ({exc.strerror or exc}); make the site folder "
                             "writable (or run on a copy of it) and run again.") from None
        try:
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
            version = self.meta("schema_version")
            if version is None and not read_only:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
            elif version is not None and int(version) != SCHEMA_VERSION:
                raise StateError(f"{self.path} was written by another version of the tool; move it aside to start the state afresh.")
        except BaseException:
            self._db.close()
            raise

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that changes nothing. SQLite reads a database in WAL mode through files
        beside it (-wal, -shm), which it makes and, when it can, removes on closing; in a folder
        nobody may write, the database is read as it is on disk instead."""
        connection = None
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return connection
        except sqlite3.OperationalError:
            if connection is not None:
                connection.close()
            uri = "file:" + quote(str(self.path.resolve())) + "?immutable=1"
            return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)

    @classmethod
    def open_existing(cls, site: Path, read_only: bool = False) -> "StateStore | None":
        path = Path(site) / STATE_PATH
        _refuse_links(path)
        return cls(path, read_only=read_only) if path.is_file() else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ meta
    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------------ issues
    def issue(self, platform: str, source_id: str) -> IssueRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM issues WHERE platform = ? AND source_id = ?", (platform, source_id)).fetchone()
        return _issue_row(row) if row else None

    def issues(self, platform: str | None = None) -> list[IssueRow]:
        with self._lock:  # read whole while no other thread writes
            return list(self.each_issue(platform))

    def each_issue(self, platform: str | None = None) -> Iterator[IssueRow]:
        """The issues by output path, read one at a time: what reads every issue once (the to-do,
        the report page) holds one row, not the whole site."""
        if platform:
            return self._issue_rows("SELECT * FROM issues WHERE platform = ? ORDER BY output_path", (platform,))
        return self._issue_rows("SELECT * FROM issues ORDER BY output_path")

    def unreported_issues(self) -> Iterator[IssueRow]:
        """The issues still at their source that the store keeps no report entry for (converted
        by a version of the tool that kept none), by output path, read one at a time."""
        with self._lock:
            has_entries = self._has_entries()
        without_entry = (" AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.platform = i.platform AND e.source_id = i.source_id)"
                         if has_entries else "")
        return self._issue_rows(f"SELECT i.* FROM issues i WHERE coalesce(i.gone, 0) = 0{without_entry} ORDER BY i.output_path")

    def _issue_rows(self, query: str, parameters: tuple = ()) -> Iterator[IssueRow]:
        with self._lock:
            cursor = self._db.cursor()
            self._db._call(cursor.execute, query, parameters)
        return (_issue_row(row) for row in cursor)

    def put_issue(self, row: IssueRow) -> None:
        # A source (or a reference into one) may be a URL with credentials in it: never kept.
        row.source, row.source_ref = without_credentials(row.source), without_credentials(row.source_ref)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.platform, row.source_id, row.source, row.source_ref, row.source_hash, row.render_key, row.title, json.dumps(row.old_paths),
                 json.dumps(row.old_urls), json.dumps(row.previous_urls), row.output_path, row.output_hash,
                 row.incoming_hash, json.dumps(row.images), int(row.gone)))

    def set_source(self, platform: str, source_id: str, source: str) -> None:
        source = without_credentials(source)
        with self._lock:
            self._db.execute("UPDATE issues SET source = ? WHERE platform = ? AND source_id = ?", (source, platform, source_id))

    def set_gone(self, platform: str, source_id: str, gone: bool) -> None:
        with self._lock:
            self._db.execute("UPDATE issues SET gone = ? WHERE platform = ? AND source_id = ?", (int(gone), platform, source_id))

    # ------------------------------------------------------------------ images
    def image(self, url: str) -> ImageRow | None:
        # One indexed lookup per image asked about: holding every row of a large archive in
        # memory would grow the run by the archive's size.
        with self._lock:
            row = self._db.execute("SELECT * FROM images WHERE url = ?", (url,)).fetchone()
        return ImageRow(*row) if row else None

    def _put_image(self, row: ImageRow) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (row.url, row.file, row.sha256, row.state, row.reason, row.attempts, row.etag, row.last_modified))

    def images(self, state: str | None = None) -> list[ImageRow]:
        with self._lock:
            if state:
                rows = self._db.execute("SELECT * FROM images WHERE state = ? ORDER BY url", (state,)).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM images ORDER BY url").fetchall()
        return [ImageRow(*r) for r in rows]

    def image_done(self, url: str, file: str, sha256: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            attempts = (self.image(url) or ImageRow(url, None, None, "new", None, 0, None, None)).attempts
            self._put_image(ImageRow(url, file, sha256, "done", None, attempts + 1, etag, last_modified))

    def image_failed(self, url: str, reason: str) -> int:
        """Record a failed attempt; returns how many attempts there have been."""
        with self._lock:
            known = self.image(url)
            attempts = (known.attempts if known else 0) + 1
            self._put_image(ImageRow(url, None, None, "failed", reason, attempts,
                                     known.etag if known else None, known.last_modified if known else None))
            return attempts

    # ------------------------------------------------------------------ report entries
    def _has_entries(self) -> bool:
        """Whether the store has its entries table (one written before entries were kept, opened
        read-only, has none)."""
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries'").fetchone() is not None

    def put_entries(self, entries) -> None:
        """Keep each issue's latest report entry (in one transaction: a run's worth at once)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                                     ((e["platform"], e["id"], e["output"], json.dumps(e, ensure_ascii=False)) for e in entries))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def entry_keys(self) -> set[tuple[str, str]]:
        """The issues the store keeps a report entry for."""
        with self._lock:
            if not self._has_entries():
                return set()
            return set(self._db.execute("SELECT platform, source_id FROM entries").fetchall())

    def drop_entries(self, keys) -> None:
        """Forget the entries of issues no longer converted (skipped by an override now)."""
        with self._lock:
            self._db.executemany("DELETE FROM entries WHERE platform = ? AND source_id = ?", list(keys))

    def entries(self):
        """The kept entries of the issues still at their source, by output path, read one at a time."""
        with self._lock:
            # A store written before entries were kept, opened read-only, has no such table: no entries.
            if not self._has_entries():
                return
            cursor = self._db.cursor()
            self._db._call(cursor.execute,
                           "SELECT e.entry FROM entries e LEFT JOIN issues i ON i.platform = e.platform AND i.source_id = e.source_id "
                           "WHERE coalesce(i.gone, 0) = 0 ORDER BY e.output_path, e.platform, e.source_id")
        for (text,) in cursor:
            yield json.loads(text)

    # ------------------------------------------------------------------ sources
    # Validators are kept by the document's URL without its credentials (the same document).
    def validators(self, url: str) -> Validators:
        url = without_credentials(url)
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified, body_hash FROM sources WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else Validators()

    def set_validators(self, url: str, validators: Validators) -> None:
        url = without_credentials(url)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                             (url, validators.etag, validators.last_modified, validators.body_hash))


def _issue_row(row) -> IssueRow:
    (platform, source_id, source, source_ref, source_hash, render_key, title, old_paths, old_urls, previous_urls,
     output_path, output_hash, incoming_hash, images, gone) = row
    return IssueRow(platform, source_id, source, source_ref, source_hash, render_key, title, json.loads(old_paths), json.loads(old_urls),
                    json.loads(previous_urls), output_path, output_hash, incoming_hash, json.loads(images), bool(gone))
