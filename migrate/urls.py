"""URL work, always through urllib: tracking removal, remapping, resolving."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, quote, unquote, unquote_plus, urljoin, urlsplit, urlunsplit

from .errors import UserError

if TYPE_CHECKING:
    from .mappings import TrackingRules


def absolute(url: str, base: str | None = None) -> str:
    """Resolve relative URLs against `base`, and protocol-relative ones (`//host/path`) as https.

    Protocol-relative URLs come from email HTML, which has no page to take a scheme from; the
    archive may be read today from a mirror or a stand-in over http, but the image hosts it names
    answer over https, and remaps are written for those https addresses.
    """
    url = (url or "").strip()
    try:
        if url.startswith("//"):
            return urljoin("https:", url)
        if base:
            return urljoin(base, url)
    except ValueError:  # not a URL urllib can read (an unclosed IPv6 literal): left as it is
        return url
    return url


def strip_tracking(url: str, rules: "TrackingRules") -> tuple[str, int]:
    """Remove tracking parameters from a URL.

    Every other parameter keeps its order and its exact encoding, and the fragment is kept.
    Returns the new URL and how many parameters went; an untouched URL comes back unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, 0
    if not parts.query:
        return url, 0
    kept, removed = [], 0
    for pair in parts.query.split("&"):
        name = unquote_plus(pair.split("=", 1)[0])
        if pair and rules.is_tracking(name, parts.hostname):
            removed += 1
        else:
            kept.append(pair)
    if not removed:
        return url, 0
    return urlunsplit(parts._replace(query="&".join(p for p in kept if p))), removed


# Query parameters that carry a credential: by the words their names are made of (`api_key`,
# `access-token`, `X-Amz-Signature`, `client_secret`, `sig`), or by what a name run together
# holds (`accesstoken`, `apiKey`, `sessionid`), without taking `author` or `design` for one.
SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "passphrase", "pwd", "pass",
                          "signature", "sig", "credential", "credentials", "auth", "authorization", "session",
                          "sessionid", "sid", "jwt", "bearer", "otp"})
SECRET_PARTS = ("token", "secret", "passw", "apikey", "credential", "signature", "session")


def is_secret_parameter(name: str) -> bool:
    lowered = name.lower()
    return (any(word in SECRET_WORDS for word in re.split(r"[^a-z0-9]+", lowered) if word)
            or any(part in lowered for part in SECRET_PARTS))


def without_credentials(url: str) -> str:
    """A URL fit to store, log or show: no user name or password, and no query parameter whose
    name says it carries a credential (`api_key`, `token`, `X-Amz-Signature`...). Everything
    else keeps its order and its exact spelling; text that is not a URL comes back unchanged.

    A reference that starts with a URL and goes on in words ("https://... after entry 3") has its
    URL cleaned and its words kept. The tool still uses a URL as given for its requests; only
    what it keeps and says is cleaned."""
    head, space, rest = url.partition(" ")
    if space:
        return without_credentials(head) + space + rest
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        query = "&".join(pair for pair in query.split("&")
                         if pair and not is_secret_parameter(unquote_plus(pair.split("=", 1)[0])))
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


# ------------------------------------------------------------------ old paths

class BadOldPath(ValueError):
    """An old path no server can serve (a control character in it): the message says why."""


# What a path may hold as it is (RFC 3986 pchar and "/"): the rest is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")


def _escapes_normalised(path: str) -> str:
    """Percent escapes in one spelling: upper-case hex, unreserved characters decoded (`%7E` is
    `~`, `%2E` is `.`), and a `%` that starts no escape encoded itself."""
    out, i = [], 0
    while i < len(path):
        ch = path[i]
        if ch == "%":
            pair = path[i + 1:i + 3]
            if len(pair) == 2 and all(c in _HEX for c in pair):
                decoded = chr(int(pair, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + pair.upper())
                i += 3
                continue
            out.append("%25")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _without_dot_segments(path: str) -> str:
    """`.` and `..` segments resolved and empty ones dropped, as Hugo (path.Clean) and every
    server do; a trailing slash stays."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) and kept
    return "/" + "/".join(kept) + ("/" if trailing else "")


def old_path(raw: str) -> str:
    """The one spelling of an old path, fit for every redirect file and for Hugo: starting with
    `/`, percent-encoded wherever a URL path must be (whitespace, quotes, `?`, `#`, non-ASCII
    letters), its escapes in one spelling, and its dot segments resolved. A path holding a
    control character (a newline, a NUL, written or percent-encoded) is refused: BadOldPath.

    Every old path enters an issue through here (Issue.add_old_path), so no writer of rules ever
    sees a newline or a space that would split or add a rule."""
    text = (raw if isinstance(raw, str) else "").strip()
    if not text:
        raise BadOldPath("it is empty")
    for ch in text + unquote(text, errors="replace"):
        if unicodedata.category(ch) == "Cc":
            raise BadOldPath(f"it holds the control character {ch!r}")
    encoded = quote(text if text.startswith("/") else "/" + text, safe=_PATH_SAFE)
    return _without_dot_segments(_escapes_normalised(encoded))


def alias_form(path: str) -> str:
    """An old path as a Hugo alias: Hugo writes the alias page at the path as given, and servers
    decode a request's path before they look for the file, so the alias is the decoded path."""
    return unquote(path, errors="replace")


def without_fragment(url: str) -> str:
    try:
        return urlunsplit(urlsplit(url)._replace(fragment=""))
    except ValueError:
        return url


def url_key(url: str) -> str:
    """One spelling of a URL for looking it up: host in lower case, no fragment, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    return urlunsplit(parts._replace(netloc=parts.netloc.lower(), path=parts.path.rstrip("/"), fragment=""))


def without_secrets(url: str) -> tuple[str, bool]:
    """`url` without user info or query parameters that may hold a credential (see
    without_credentials), and whether any were there. Anything that is not an http(s) URL comes
    back as it is."""
    if not url.lower().startswith(("http://", "https://")) or " " in url:
        return url, False
    cleaned = without_credentials(url)
    return cleaned, cleaned != url


def query_names(url: str) -> list[str]:
    """The names of a URL's query parameters, decoded, in order."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [unquote_plus(pair.split("=", 1)[0]) for pair in query.split("&") if pair] if query else []


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def host_matches(host: str, suffixes) -> bool:
    host = (host or "").lower()
    return any(host == s or host.endswith("." + s) for s in suffixes)


def path_of(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return ""


@dataclass(frozen=True)
class Remap:
    """Send requests for URLs under `source` to `target` instead: `FROM=TO` on the command line."""

    source: SplitResult
    target: SplitResult
    text: str

    @classmethod
    def parse(cls, spec: str) -> "Remap":
        if "=" not in spec:
            raise UserError(f"--remap {spec!r} needs the form FROM=TO, for example https://s3.amazonaws.com=http://127.0.0.1:8765/s3.amazonaws.com.")
        source_text, target_text = (s.strip() for s in spec.split("=", 1))
        source, target = urlsplit(absolute(source_text)), urlsplit(target_text)
        for label, part in (("FROM", source), ("TO", target)):
            if part.scheme not in ("http", "https") or not part.hostname:
                raise UserError(f"--remap {spec!r}: {label} must be an http(s) URL with a host, such as https://s3.amazonaws.com.")
        return cls(source, target, spec)

    @property
    def target_host(self) -> str:
        return (self.target.hostname or "").lower()

    def apply(self, url: str) -> str | None:
        """The remapped URL, or None when `url` is not under this rule's FROM."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme != self.source.scheme or (parts.hostname or "").lower() != (self.source.hostname or "").lower():
            return None
        if parts.port != self.source.port:
            return None
        prefix = self.source.path.rstrip("/")
        if prefix and not (parts.path == prefix or parts.path.startswith(prefix + "/")):
            return None
        rest = parts.path[len(prefix):]
        path = self.target.path.rstrip("/") + rest
        return urlunsplit((self.target.scheme, self.target.netloc, path, parts.query, parts.fragment))


def apply_remaps(url: str, remaps: list[Remap]) -> str:
    for rule in remaps:
        mapped = rule.apply(url)
        if mapped is not None:
            return mapped
    return url


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset, as HTML reads it: each candidate is a URL (a run without spaces,
    which may hold commas, as image CDNs' do) and its descriptors, up to the next comma."""
    urls: list[str] = []
    i, size = 0, len(value)
    while i < size:
        while i < size and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < size and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")  # no descriptors: the comma ends the candidate
        else:
            while i < size and value[i] != ",":
                i += 1  # the descriptors
        if url:
            urls.append(url)
    return urls
