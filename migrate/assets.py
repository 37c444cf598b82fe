"""Local copies of remote images: downloaded once per run, concurrently, stored by content hash.

A stored file is named by the SHA-256 of its bytes plus the extension of what those bytes really
are, so the same image reached from two URLs is stored once, two different images never share a
name, and a re-run produces the same names.
"""
from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

from typing import TYPE_CHECKING

from .files import atomic_write, inside, sha256_file
from .http import FetchError, HttpClient
from .local_images import LOCAL_PREFIX, LocalFiles
from .imageformats import ConversionError, browser_shows, describe, iso_media_format, to_browser_format
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
    (b"8BPS", "psd"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"),
    (b"\xff\x0a", "jxl"),
]


def sniff_image(data: bytes) -> str | None:
    """The extension for what these bytes are, or None when they are not an image at all.

    Some of these are formats browsers do not show (HEIC, TIFF ...): see imageformats."""
    for magic, ext in _SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    iso_media = iso_media_format(data)
    if iso_media:
        return iso_media
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
    note: str | None = None       # what the author should know of how it was obtained (a conversion)
    pending: bool = False         # a dry run's answer: stored under this name once downloaded again


REMEMBERED_IMAGES = 2048  # stored images the run keeps at hand (see ImageStore.fetch)


class ImageStore:
    """Downloads each image URL once per run and stores it under the site folder.

    With a state store, an image already stored by an earlier run (and still on disk, unchanged)
    is not asked for again, and every failure is recorded with its attempt count.
    """

    def __init__(self, site: Path, client: HttpClient, folder: str = "static/images",
                 url_prefix: str = "/images", concurrency: int = 8, max_bytes: int = 20 * 1024 * 1024,
                 state: "StateStore | None" = None, max_run_bytes: int | None = None, fallback=None,
                 local: LocalFiles | None = None, originals=None):
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
        # The run's own source, when it is a folder or zip: images its bodies name relatively.
        self.local = local
        # original(url) -> the upload an image CDN's rendition URL was made from, or None: asked
        # for when the CDN does not answer (see cleaners/image_cdn.py).
        self.originals = originals
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="image")
        self._futures: dict[str, Future] = {}
        # What finished: why each failure failed (for the whole run: it is not asked again), and
        # the most recent images stored (a picture several issues share is usually shared by
        # issues near each other). An image stored earlier in the run and no longer remembered
        # here is found in the state store and on disk, not downloaded again; so memory does
        # not grow with the archive.
        self._failed: dict[str, str] = {}
        self._stored: OrderedDict[str, StoredImage] = OrderedDict()
        self._lock = threading.Lock()
        self.downloaded = 0

    def fetch(self, url: str) -> Future:
        """A future of StoredImage for `url`; a URL asked for twice is fetched once.

        Finished downloads are remembered by their small result, not their Future, so a run of
        thousands of images does not keep thousands of futures (and their locks) alive.
        """
        with self._lock:
            if url in self._failed or url in self._stored:
                resolved: Future = Future()
                if url in self._failed:
                    resolved.set_exception(FetchError(self._failed[url]))
                else:
                    self._stored.move_to_end(url)
                    resolved.set_result(self._stored[url])
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
            if exc:
                self._failed[url] = str(exc) or type(exc).__name__
            else:
                self._stored[url] = future.result()
                if len(self._stored) > REMEMBERED_IMAGES:
                    self._stored.popitem(last=False)
            self._futures.pop(url, None)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self.local is not None:
            self.local.close()

    def _obtain(self, url: str) -> StoredImage:
        if url.startswith(LOCAL_PREFIX):
            # Read from the source itself each time (cheap, and never stale); nothing to remember.
            return self._download(url)[0]
        known = stored_copy(self.site, self.state, self.url_prefix, url)
        if known is not None:
            return known
        try:
            try:
                stored, headers = self._download(url)
            except FetchError as exc:
                stored, headers = self._from_original(url, exc)
        except FetchError as exc:
            if self.state is None or url.startswith("data:"):
                raise
            attempts = self.state.image_failed(url, str(exc))
            raise FetchError(f"{exc} (attempt {attempts})") from None
        if self.state is not None and not url.startswith("data:"):
            self.state.image_done(url, stored.file, stored.sha256, headers.get("ETag"), headers.get("Last-Modified"))
        return stored

    def _from_original(self, url: str, error: FetchError) -> tuple[StoredImage, dict]:
        """An image CDN's rendition that could not be had: its original upload instead (converted
        where browsers do not show it), else the archive's copy."""
        original = self.originals(url) if self.originals and not url.startswith("data:") else None
        if original is None:
            return self._from_archive(url, error)
        try:
            stored, headers = self._download(original)
        except FetchError as exc:
            return self._from_archive(original, FetchError(f"the image CDN's copy: {error}; the original: {exc}"))
        how = f"the original was used, {stored.note}" if stored.note else "the original was used"
        return replace(stored, note=f"the image CDN did not answer ({error}); {how}"), headers

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
        if url.startswith(("data:", LOCAL_PREFIX)):
            data = bytes_at_hand(url, self.local, self.max_bytes)
        else:
            if self.max_run_bytes is not None and self.downloaded_bytes >= self.max_run_bytes:
                raise FetchError(f"this run has downloaded {self.downloaded_bytes / 1048576:.0f} MB of images, its limit; "
                                 "raise max_images_run_mb or run `retry-failed` to fetch the rest")
            response = self.client.get(url, headers={"Accept": "image/*,*/*;q=0.5", **(extra_headers or {})},
                                       max_bytes=self.max_bytes)
            data, headers = response.body, response.headers
            with self._lock:
                self.downloaded_bytes += len(data)
        data, name, digest, note = browser_image(data)
        path = self.site / self.folder / name
        # Not fsynced: a stored image is reused only after its hash is checked, so one a power
        # cut damaged is fetched again; flushing each of thousands of images would halve the pace.
        written = atomic_write(path, data, durable=False)
        with self._lock:
            self.downloaded += 1
        return StoredImage(file=f"{self.folder}/{name}", url=f"{self.url_prefix}/{name}",
                           sha256=digest, written=written, note=note), headers


def browser_image(data: bytes) -> tuple[bytes, str, str, str | None]:
    """What of an image's bytes is stored: the bytes (converted when browsers cannot show their
    format), the file name they are stored under, their SHA-256, and a note on any conversion.
    FetchError, saying why, for bytes that are no image a browser may be given."""
    if not data:
        raise FetchError("the server returned an empty body")
    ext = sniff_image(data)
    if ext is None:
        html = data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
        raise FetchError(f"what came back is {'an HTML page, not an image' if html else 'not an image'}")
    note = None
    if not browser_shows(ext):
        try:
            data, shown = to_browser_format(data, ext)
        except ConversionError as exc:
            raise FetchError(f"what came back is {describe(ext)}, which most browsers cannot show, "
                             f"and it could not be converted: {exc}") from None
        note = f"it was {describe(ext)}, which most browsers cannot show, converted to {'JPEG' if shown == 'jpg' else 'PNG'}"
        ext = shown
    if ext == "svg":
        problem = svg_problem(data)
        if problem:
            raise FetchError(f"refused: {problem}")
    digest = hashlib.sha256(data).hexdigest()
    return data, f"{digest[:HASH_CHARS]}.{ext}", digest, note


def stored_copy(site: Path, state: "StateStore | None", url_prefix: str, url: str) -> StoredImage | None:
    """The copy of `url` an earlier run stored, when it is still on disk as it was written."""
    known = state.image(url) if state else None
    if known and known.state == "done" and known.file and sha256_file(Path(site) / known.file) == known.sha256:
        return StoredImage(file=known.file, url=f"{url_prefix}/{known.file.rsplit('/', 1)[-1]}", sha256=known.sha256, written=False)
    return None


class KnownImages:
    """A dry run's stand-in for the ImageStore: it answers with the copies earlier runs stored and
    fetches nothing, so a dry run converts an issue to exactly the text the real run writes when
    its images are already local, and counts the others as images to download."""

    downloaded = 0

    def __init__(self, site: Path, state: "StateStore | None", folder: str = "static/images", url_prefix: str = "/images",
                 local: LocalFiles | None = None, max_bytes: int = 20 * 1024 * 1024):
        self.site, self.state, self.local, self.max_bytes = Path(site), state, local, max_bytes
        self.folder = folder.strip("/")
        self.url_prefix = "/" + url_prefix.strip("/")

    def fetch(self, url: str) -> Future:
        known: Future = Future()
        try:
            if url.startswith(("data:", LOCAL_PREFIX)):
                known.set_result(self._at_hand(url))
            else:
                known.set_result(stored_copy(self.site, self.state, self.url_prefix, url) or self._to_fetch_again(url))
        except FetchError as exc:  # an inline image the real run would refuse too
            known.set_exception(exc)
        return known

    def _to_fetch_again(self, url: str) -> StoredImage | None:
        """An image an earlier run stored whose file has gone: the real run fetches it again and,
        its name coming from its bytes, stores it under the same name."""
        known = self.state.image(url) if self.state else None
        if not (known and known.state == "done" and known.file):
            return None
        return StoredImage(file=known.file, url=f"{self.url_prefix}/{known.file.rsplit('/', 1)[-1]}", sha256=known.sha256 or "",
                           written=False, pending=True)

    def _at_hand(self, url: str) -> StoredImage:
        """An inline image, or one in the source folder, needs no download: its stored name is
        known from its bytes."""
        _, name, digest, note = browser_image(bytes_at_hand(url, self.local, self.max_bytes))
        return StoredImage(file=f"{self.folder}/{name}", url=f"{self.url_prefix}/{name}", sha256=digest, written=False, note=note)

    def close(self) -> None:
        if self.local is not None:
            self.local.close()


def bytes_at_hand(url: str, local: LocalFiles | None, max_bytes: int) -> bytes:
    """The bytes of an inline (data:) image, or of one the source folder holds itself."""
    if not url.startswith(LOCAL_PREFIX):
        return _decode_data_url(url)
    if local is None:
        raise FetchError("the source is not a folder or zip, so a relative image cannot be read from it")
    return local.read(url, max_bytes)


def _decode_data_url(url: str) -> bytes:
    header, _, payload = url[5:].partition(",")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            raise FetchError("the data: URL is not valid base64") from None
    return unquote_to_bytes(payload)
