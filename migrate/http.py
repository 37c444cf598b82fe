"""The one HTTP client of a run: remaps, an address guard, bounded retries and timeouts.

Every request the tool makes goes through `HttpClient.get`, so each rule holds everywhere:
- only http and https are fetched;
- private, loopback, link-local and metadata addresses are refused unless the user allowed the
  host (by naming it as a source or as a remap target);
- transient failures (connection errors, truncated bodies, 429, 5xx) are retried with
  exponential backoff and jitter, honouring Retry-After, for a bounded number of attempts;
- a host whose name does not resolve is looked up once: every request to it then fails at once
  with the same reason, however many images it held;
- bodies are read with a size cap; headers that carry secrets are never logged, and never follow
  a redirect to another host or from https to http.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import functools
import heapq
import itertools
import ipaddress
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable
from urllib.parse import urljoin, urlsplit, urlunsplit


from . import __version__
from .errors import UserError
from .loading import loaded
from .urls import Remap, apply_remaps, without_credentials

if TYPE_CHECKING:  # requests, urllib3 and tenacity are imported when the first request is made:
    import requests  # a run over local files that downloads nothing never pays for them

log = logging.getLogger(__name__)


class _WithoutCredentials(logging.Filter):
    """urllib3's own debug lines name each request's path and query (`"GET /feed?api_key=..."`)
    and retried URLs: under -v they are shown with their credentials taken out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_credentials(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = " ".join(without_credentials(word) for word in record.msg.split(" "))
        return True


for _name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager", "urllib3.response", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(_WithoutCredentials())

RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
USER_AGENT = f"newsletter-migrate/{__version__} (+archive migration)"


class FetchError(Exception):
    """A request that failed for good; the message is one line fit for the run report."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class BlockedAddress(FetchError):
    """The URL's scheme or address is not one the tool may fetch."""


class TooLarge(FetchError):
    """The body exceeded the size cap."""


class DeadlineExceeded(FetchError):
    """The request took longer than its deadline in all (a server that trickles its answer)."""


class HostUnreachable(FetchError):
    """The host cannot be reached at all: its name does not resolve, or nothing accepts the
    connection. Unlike a timeout or a 5xx, asking again later is unlikely to help."""


class _RetryableStatus(FetchError):
    def __init__(self, status: int, retry_after: float | None, url: str):
        super().__init__(f"HTTP {status} from {_display(url)}", status)
        self.retry_after = retry_after


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


def _display(url: str) -> str:
    """A URL as messages may show it: no user info, no query (queries can carry tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header, given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now())


# ---------------------------------------------------------------------- the deadline of a request
#
# A read timeout bounds each wait for a byte, not the whole answer: a server that sends one byte
# every few seconds (headers or body) never trips it. So each request has a deadline in all; when
# it passes, the connection's socket is shut down, which ends any read in progress. One watchdog
# thread keeps every deadline of the process (a timer thread per request cost a thread's start and
# end on every request: eight an issue, most of the CPU the hardening added to a bulk run).

_current = threading.local()  # the deadline of the request this thread is making


class _Deadline:
    def __init__(self, at: float):
        self.at = at
        self.expired = False
        self.done = False       # cancelled: the watchdog forgets it
        self.watched = False    # handed to the watchdog
        self._sock = None
        self._lock = threading.Lock()

    def watch(self, sock) -> None:
        """The socket the request reads from: shut down when the deadline passes."""
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shut()
            first = not self.watched and not self.done
            self.watched = True
        if first:
            _watchdog.watch(self)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            try:  # the plain socket's shutdown, under any TLS layer: a read blocked in it returns at once
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        with self._lock:
            self._sock = None
            if self.done:
                return
            self.done = True
            in_heap = self.watched and not self.expired  # an expired one has left it
        if in_heap:
            _watchdog.forget()

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at


class _Watchdog:
    """The deadlines of every request in flight, in a heap by time, and one thread that sleeps
    until the earliest passes. A cancelled deadline stays in the heap until it comes up (or the
    heap is mostly cancelled ones, when it is rebuilt), so a cancel never searches the heap."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline) -> None:
        with self._ready:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:  # sooner than what the thread sleeps for
                self._ready.notify()

    def forget(self) -> None:
        with self._ready:
            self._cancelled += 1
            if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        while True:
            with self._ready:
                while True:
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                        self._cancelled = max(0, self._cancelled - 1)
                    if not self._heap:
                        self._ready.wait()
                        continue
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        break
                    self._ready.wait(delay)
                _, _, due = heapq.heappop(self._heap)
            try:
                due.expire()  # outside the heap's lock: a cancel takes the deadline's lock, then the heap's
            except Exception:  # noqa: BLE001 - one odd socket must not end every later request's deadline
                pass


_watchdog = _Watchdog()
# A forked child has the parent's heap and lock but not its thread: it starts its own.
os.register_at_fork(after_in_child=_watchdog.__init__)


@functools.cache
def _watched_adapter():
    """requests' adapter, with connections whose socket a request's deadline can shut down (made
    at the first request, when requests and urllib3 are imported)."""
    import urllib3.connection
    import urllib3.connectionpool
    from requests.adapters import HTTPAdapter

    class _WatchedConnection(urllib3.connection.HTTPConnection):
        def getresponse(self, *args, **kwargs):
            deadline = getattr(_current, "deadline", None)
            if deadline is not None and self.sock is not None:
                deadline.watch(self.sock)
            return super().getresponse(*args, **kwargs)


    class _WatchedTlsConnection(urllib3.connection.HTTPSConnection):
        getresponse = _WatchedConnection.getresponse


    class _WatchedPool(urllib3.connectionpool.HTTPConnectionPool):
        ConnectionCls = _WatchedConnection


    class _WatchedTlsPool(urllib3.connectionpool.HTTPSConnectionPool):
        ConnectionCls = _WatchedTlsConnection


    class _WatchedAdapter(HTTPAdapter):
        """requests' adapter, with connections whose socket a request's deadline can shut down."""

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTlsPool}

    return _WatchedAdapter


@dataclass
class HttpSettings:
    timeout_connect: float = 10.0
    timeout_read: float = 30.0
    attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    retry_after_max: float = 60.0
    deadline: float = 180.0          # per request in all: connecting, every retry, every byte of the answer
    max_bytes: int = 50 * 1024 * 1024
    pool_size: int = 16
    per_host: int = 8                # requests in flight to one host at a time, at most


def origin_of(url: str) -> tuple[str, str, int] | None:
    """A URL's scheme, host and port (the default port when none is written), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    return (parts.scheme.lower(), host, port) if host else None


@dataclass
class HttpClient:
    """`allowed_hosts` may be reached at any address and port (--allow-host names a host); a
    server the user named as a source or a remap target is allowed at exactly its scheme, host
    and port (`allow`), so naming one port of a machine opens no other."""

    remaps: list[Remap] = field(default_factory=list)
    allowed_hosts: set[str] = field(default_factory=set)
    settings: HttpSettings = field(default_factory=HttpSettings)
    resolver: Callable | None = None   # socket.getaddrinfo unless a test stubs it
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.allowed_hosts = {h.lower() for h in self.allowed_hosts}
        self.allowed_origins: set[tuple[str, str, int]] = {origin for origin in (origin_of(urlunsplit(r.target)) for r in self.remaps)
                                                           if origin}
        self._local = threading.local()
        self._guard_cache: dict[tuple[str, int], tuple[type[FetchError], str] | None] = {}
        self._guard_lock = threading.Lock()
        self._lookups: dict[tuple[str, int], threading.Lock] = {}   # one lookup of a name at a time
        # Hosts whose name did not resolve when a request was made: every later request to them
        # fails at once with the same reason, instead of each waiting out its own retries.
        self._unresolved: dict[str, str] = {}
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}

    # ------------------------------------------------------------------ session per thread
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            adapter = _watched_adapter()(pool_connections=self.settings.pool_size, pool_maxsize=self.settings.pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            session.trust_env = False  # proxies from the environment could route around the guard
            self._local.session = session
        return session

    # ------------------------------------------------------------------ address guard
    def allow(self, url: str) -> None:
        """Allow the server the user named (a source, an archive): its scheme, host and port."""
        origin = origin_of(url)
        if origin:
            self.allowed_origins.add(origin)

    def check_address(self, url: str) -> None:
        """Refuse schemes other than http(s), and private addresses of hosts not allowed."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise BlockedAddress(f"{url[:80]!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}")
        host = (parts.hostname or "").lower()
        if not host:
            raise BlockedAddress(f"{_display(url)} has no host")
        if host in self.allowed_hosts or (parts.scheme, host, port) in self.allowed_origins:
            return
        key = (host, port)
        with self._guard_lock:
            lookup = self._lookups.setdefault(key, threading.Lock())
        with lookup:  # requests to a host that arrive together wait for its one lookup
            with self._guard_lock:
                cached = self._guard_cache.get(key, False)
            if cached is False:
                cached = self._refusal(host, port)
                with self._guard_lock:
                    self._guard_cache[key] = cached
        if cached:
            kind, message = cached
            raise kind(message)

    def _refusal(self, host: str, port: int) -> tuple[type[FetchError], str] | None:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = (self.resolver or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                return HostUnreachable, f"cannot resolve {host} ({exc.strerror or exc})"
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                    or address.is_reserved or address.is_unspecified
                    or (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped
                        and not address.ipv4_mapped.is_global)):
                return BlockedAddress, (f"{host}:{port} resolves to the non-public address {address}; "
                                        f"allow it with --remap or --allow-host {host} if you trust it")
        return None

    # ------------------------------------------------------------------ requests
    def target(self, url: str) -> str:
        return apply_remaps(url, self.remaps)

    def get(self, url: str, headers: dict[str, str] | None = None, max_bytes: int | None = None,
            sink=None, follow_redirects: bool = True) -> Response:
        """GET with remap, guard and retries; raises FetchError when it fails for good.

        With `sink` (a binary file), the body is written there instead of held in memory, and each
        retry starts the file over. Without `follow_redirects`, a redirect is returned as it came
        (status and Location), which is what a redirect check needs.
        """
        requests, tenacity = loaded("requests", "tenacity")  # at the first request (see loading.py)

        target = self.target(url)
        self.check_address(target)
        host = (urlsplit(target).hostname or "").lower()
        started = time.monotonic()
        deadline_at = started + self.settings.deadline

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
                return min(exc.retry_after, self.settings.retry_after_max)
            return tenacity.wait_random_exponential(multiplier=self.settings.backoff_initial,
                                                    max=self.settings.backoff_max)(state)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.settings.attempts) | tenacity.stop_after_delay(self.settings.deadline),
            wait=wait,
            retry=tenacity.retry_if_exception(_is_transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(target, headers or {}, max_bytes or self.settings.max_bytes, sink, follow_redirects,
                                          deadline_at)
        except FetchError:
            raise
        except requests.exceptions.Timeout:
            raise FetchError(f"timed out fetching {_display(target)} after {time.monotonic() - started:.1f}s") from None
        except requests.exceptions.TooManyRedirects:
            raise FetchError(f"too many redirects from {_display(target)}") from None
        except (requests.exceptions.RequestException, OSError) as exc:
            if _cannot_connect(exc):
                why = _why_unreachable(exc, target)
                failed_host = _failed_host(exc)
                if _name_unresolved(exc) and failed_host == host:  # not a host a redirect led to
                    with self._guard_lock:
                        self._unresolved.setdefault(host, why)
                raise HostUnreachable(why) from None
            raise FetchError(f"could not fetch {_display(target)}: {type(exc).__name__}") from None
        raise FetchError(f"could not fetch {_display(target)}")  # pragma: no cover - tenacity always returns or raises

    def limit(self, url: str, at_most: int) -> None:
        """At most `at_most` requests in flight to this URL's host, whatever part of the run
        makes them (a service that rate-limits, such as the Wayback Machine)."""
        host = (urlsplit(self.target(url)).netloc or "").lower()
        with self._guard_lock:
            self._host_slots[host] = threading.BoundedSemaphore(max(1, at_most))

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        """The semaphore that keeps this run polite: at most `per_host` requests to a host."""
        host = (urlsplit(url).netloc or "").lower()
        with self._guard_lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = self._host_slots[host] = threading.BoundedSemaphore(max(1, self.settings.per_host))
            return slot

    def _get_once(self, url: str, headers: dict[str, str], max_bytes: int, sink=None, follow: bool = True,
                  deadline_at: float | None = None) -> Response:
        with self._host_slot(url):
            # Asked here, in the host's slot: requests that queued for it while its name failed
            # fail at once too, rather than each looking it up again.
            with self._guard_lock:
                unresolved = self._unresolved.get((urlsplit(url).hostname or "").lower())
            if unresolved:
                raise HostUnreachable(unresolved)
            deadline = _Deadline(deadline_at if deadline_at is not None else time.monotonic() + self.settings.deadline)
            if deadline.passed():
                raise DeadlineExceeded(f"{_display(url)} took longer than {self.settings.deadline:g}s in all, the deadline of a request")
            _current.deadline = deadline
            try:
                response = self._get_in_slot(url, headers, max_bytes, sink, follow, deadline)
                if deadline.expired:  # an answer the deadline cut short, not one the server ended
                    raise DeadlineExceeded(f"{_display(url)} took longer than {self.settings.deadline:g}s")
                return response
            except Exception:
                if deadline.passed():
                    raise DeadlineExceeded(f"{_display(url)} took longer than {self.settings.deadline:g}s in all, "
                                           "the deadline of a request (a server that answers a byte at a time)") from None
                raise
            finally:
                deadline.cancel()
                _current.deadline = None

    def _get_in_slot(self, url: str, headers: dict[str, str], max_bytes: int, sink=None, follow: bool = True,
                     deadline: _Deadline | None = None) -> Response:
        log.debug("GET %s", _display(url))
        session = self._session()
        current = url
        for _hop in range(6):
            resp = session.get(current, headers=headers, stream=True, allow_redirects=False,
                               timeout=(self.settings.timeout_connect, self.settings.timeout_read))
            if resp.is_redirect and resp.headers.get("Location"):
                if not follow:
                    resp.close()
                    return Response(current, resp.status_code, dict(resp.headers), b"")
                nxt = urljoin(current, resp.headers["Location"])
                resp.close()
                self.check_address(nxt)  # a redirect must not lead around the guard
                headers = _headers_for_hop(current, nxt, headers)
                current = nxt
                continue
            break
        else:
            resp.close()
            raise FetchError(f"too many redirects from {_display(url)}")
        with resp:
            if resp.status_code in RETRY_STATUSES:
                raise _RetryableStatus(resp.status_code, parse_retry_after(resp.headers.get("Retry-After")), current)
            if resp.status_code == 304:
                return Response(current, 304, dict(resp.headers), b"")
            if resp.status_code >= 400:
                raise FetchError(f"HTTP {resp.status_code} from {_display(current)}", resp.status_code)
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"{_display(current)} is {int(declared)} bytes, over the {max_bytes}-byte cap")
            if sink is not None:
                sink.seek(0)
                sink.truncate()
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"{_display(current)} is over the {max_bytes}-byte cap")
                if deadline is not None and deadline.passed():
                    raise DeadlineExceeded(f"{_display(current)} took longer than {self.settings.deadline:g}s in all")
                if sink is not None:
                    sink.write(chunk)
                else:
                    chunks.append(chunk)
            if deadline is not None:
                deadline.cancel()  # before the connection goes back to the pool for another request
            return Response(current, resp.status_code, dict(resp.headers), b"".join(chunks))


SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie"}


def _headers_for_hop(here: str, there: str, headers: dict[str, str]) -> dict[str, str]:
    """The headers to send on after a redirect: credentials stay with the host they were meant
    for, and never go from https down to http."""
    a, b = urlsplit(here), urlsplit(there)
    if (a.hostname, a.port) == (b.hostname, b.port) and not (a.scheme == "https" and b.scheme != "https"):
        return headers
    return {key: value for key, value in headers.items() if key.lower() not in SECRET_HEADERS}


def answered_elsewhere(asked: str, response: Response) -> str | None:
    """The server that answered, when a redirect took the request to another one (the
    credentials were not sent there: see _headers_for_hop); None when the one asked answered."""
    a, b = urlsplit(asked), urlsplit(response.url)
    if (a.hostname, a.port) == (b.hostname, b.port) and not (a.scheme == "https" and b.scheme != "https"):
        return None
    return _display(response.url)


def _cannot_connect(exc: BaseException) -> bool:
    """Whether the connection itself failed: refused, or the name did not resolve."""
    import requests
    import urllib3

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.exceptions.ConnectionError) and isinstance(reason, urllib3.exceptions.NewConnectionError)


def _name_unresolved(exc: BaseException) -> bool:
    """Whether a failed connection failed on its name: asking again within the run would only
    wait for the same answer (a run over an archive whose image host is gone asks thousands of times)."""
    if not _cannot_connect(exc):
        return False
    reason = exc.args[0].reason
    return isinstance(reason.__cause__ or reason.__context__, socket.gaierror)


def _failed_host(exc: BaseException) -> str | None:
    """The host whose connection failed, as urllib3 tells it."""
    connection = getattr(exc.args[0].reason, "conn", None) if exc.args and hasattr(exc.args[0], "reason") else None
    host = getattr(connection, "host", None)
    return host.lower() if isinstance(host, str) else None


def _why_unreachable(exc: BaseException, url: str) -> str:
    """What a failed connection means, as the address guard words it: the name did not resolve,
    or nothing at the address accepted the connection."""
    reason = exc.args[0].reason
    cause = reason.__cause__ or reason.__context__  # the socket's own error, under urllib3's
    parts = urlsplit(url)
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve {parts.hostname} ({cause.strerror or cause})"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    why = getattr(cause, "strerror", None) or cause or "refused"
    return f"cannot connect to {parts.hostname}:{port} ({why})"


def source_error(what: str, exc: FetchError, fix: str) -> UserError:
    """The one sentence for a source that could not be fetched: `what` failed, why, and `fix`;
    a host that cannot be reached at all gets the fix for that instead."""
    if isinstance(exc, HostUnreachable):
        return UserError(f"Could not fetch {what}: {exc}; check the address in --source, or --remap its host to a server that has the archive.")
    return UserError(f"Could not fetch {what} ({exc}); {fix}")


def _is_transient(exc: BaseException) -> bool:
    import requests

    if isinstance(exc, _RetryableStatus):
        return True
    if isinstance(exc, FetchError) or _name_unresolved(exc):
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError))
