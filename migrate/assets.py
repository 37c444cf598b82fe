"""Local copies of remote images: downloaded once per run, concurrently, stored by content hash.

A stored file is named by the SHA-256 of its bytes plus the extension of what those bytes really
are, so the same image reached from two URLs is stored once, two different images never share a
name, and a re-run produces the same names.
"""
from __future__ import annotations

import base64
import hashlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

from typing import TYPE_CHECKING

from .files import atomic_write, inside, sha256_file
from .http import FetchError, HttpClient
from .svg import svg_problem

if TYPE_CHECKING:
    from .state import StateStore

HASH_CHARS = 32  # 128 bits of SHA-256: no collision in any archive, and short enough to read

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"II*\x00", "tif"),
    (b"MM\x00*", "tif"),
]


def sniff_image(data: bytes) -> str | None:
    """The extension for what these bytes are, or None when they are not an image we keep."""
    for magic, ext in _SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "avif"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return "svg"
    return None


@dataclass(frozen=True, slots=True)
class StoredImage:
    file: str        # path relative to the site folder
    url: str         # URL the site serves it at
    sha256: str
    written: bool    # False when an identical file was already there
    archived: str | None = None   # the archive's copy it came from, when its own host failed


class ImageStore:
    """Downloads each image URL once per run and stores it under the site folder.

    With a state store, an image already stored by an earlier run (and still on disk, unchanged)
    is not asked for again, and every failure is recorded with its attempt count.
    """

    def __init__(self, site: Path, client: HttpClient, folder: str = "static/images",
                 url_prefix: str = "/images", concurrency: int = 8, max_bytes: int = 20 * 1024 * 1024,
                 state: "StateStore | None" = None, max_run_bytes: int | None = None, fallback=None):
        self.site = Path(site)
        self.client = client
        self.folder = folder.strip("/")
        inside(self.site, self.folder)  # the images folder is the site's, nowhere else
        self.url_prefix = "/" + url_prefix.strip("/")
        self.max_bytes = max_bytes
        # Checked before each download, so a run overshoots by at most one image per download slot.
        self.max_run_bytes = max_run_bytes
        self.downloaded_bytes = 0
        self.state = state
        # Where to look for an image whose host failed for good (see wayback.ArchivedImages):
        # locate(url, error) -> URL of an archived copy or None, and the headers to ask it with.
        self.fallback = fallback
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="image")
        self._futures: dict[str, Future] = {}
        self._done: dict[str, StoredImage | str] = {}   # what finished: the image, or why it failed
        self._lock = threading.Lock()
        self.downloaded = 0

    def fetch(self, url: str) -> Future:
        """A future of StoredImage for `url`; a URL asked for twice is fetched once.

        Finished downloads are remembered by their small result, not their Future, so a run of
        thousands of images does not keep thousands of futures (and their locks) alive.
        """
        with self._lock:
            if url in self._done:
                resolved: Future = Future()
                result = self._done[url]
                resolved.set_exception(FetchError(result)) if isinstance(result, str) else resolved.set_result(result)
                return resolved
            future = self._futures.get(url)
            if future is not None:
                return future
            future = self._futures[url] = self._pool.submit(self._obtain, url)
        # Outside the lock: a download that already finished runs the callback right here, and
        # the callback takes the lock.
        future.add_done_callback(lambda done, url=url: self._settle(url, done))
        return future

    def _settle(self, url: str, future: Future) -> None:
        exc = future.exception()
        with self._lock:
            self._done[url] = (str(exc) or type(exc).__name__) if exc else future.result()
            self._futures.pop(url, None)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _obtain(self, url: str) -> StoredImage:
        known = self.state.image(url) if self.state else None
        if known and known.state == "done" and known.file and sha256_file(self.site / known.file) == known.sha256:
            return StoredImage(file=known.file, url=f"{self.url_prefix}/{known.file.rsplit('/', 1)[-1]}",
                               sha256=known.sha256, written=False)
        try:
            try:
                stored, headers = self._download(url)
            except FetchError as exc:
                stored, headers = self._from_archive(url, exc)
        except FetchError as exc:
            if self.state is None or url.startswith("data:"):
                raise
            attempts = self.state.image_failed(url, str(exc))
            raise FetchError(f"{exc} (attempt {attempts})") from None
        if self.state is not None and not url.startswith("data:"):
            self.state.image_done(url, stored.file, stored.sha256, headers.get("ETag"), headers.get("Last-Modified"))
        return stored

    def _from_archive(self, url: str, error: FetchError) -> tuple[StoredImage, dict]:
        """The archived copy of an image whose host failed for good; `error` again when the run
        has no fallback or the failure is not one an archive can mend."""
        if self.fallback is None or url.startswith("data:"):
            raise error
        try:
            where = self.fallback.locate(url, error)
            if where is None:
                raise error
            stored, headers = self._download(where, self.fallback.headers)
        except FetchError as exc:
            raise error if exc is error else FetchError(f"{error}; {exc}") from None
        return replace(stored, archived=where), headers

    def _download(self, url: str, extra_headers: dict | None = None) -> tuple[StoredImage, dict]:
        headers: dict = {}
        if url.startswith("data:"):
            data = _decode_data_url(url)
        else:
            if self.max_run_bytes is not None and self.downloaded_bytes >= self.max_run_bytes:
                raise FetchError(f"this run has downloaded {self.downloaded_bytes / 1048576:.0f} MB of images, its limit; "
                                 "raise max_images_run_mb or run `retry-failed` to fetch the rest")
            response = self.client.get(url, headers={"Accept": "image/*,*/*;q=0.5", **(extra_headers or {})},
                                       max_bytes=self.max_bytes)
            data, headers = response.body, response.headers
            with self._lock:
                self.downloaded_bytes += len(data)
        if not data:
            raise FetchError("the server returned an empty body")
        ext = sniff_image(data)
        if ext is None:
            kind = "an HTML page" if data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")) else "not an image"
            raise FetchError(f"what came back is {kind}, not an image")
        if ext == "svg":
            problem = svg_problem(data)
            if problem:
                raise FetchError(f"refused: {problem}")
        digest = hashlib.sha256(data).hexdigest()
        name = f"{digest[:HASH_CHARS]}.{ext}"
        path = self.site / self.folder / name
        # Not fsynced: a stored image is reused only after its hash is checked, so one a power
        # cut damaged is fetched again; flushing each of thousands of images would halve the pace.
        written = atomic_write(path, data, durable=False)
        with self._lock:
            self.downloaded += 1
        return StoredImage(file=f"{self.folder}/{name}", url=f"{self.url_prefix}/{name}",
                           sha256=digest, written=written), headers


def _decode_data_url(url: str) -> bytes:
    header, _, payload = url[5:].partition(",")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            raise FetchError("the data: URL is not valid base64") from None
    return unquote_to_bytes(payload)
