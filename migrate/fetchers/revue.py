"""What the three Revue forms share: Revue's URL forms, its slugs, its titles."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ..converters.paths import slugify
from ..mappings import PlatformMapping
from ..record import Issue
from ..urls import path_of

# Revue's issue paths: /issues/<slug>-<id> on a custom domain, /profile/<name>/issues/<slug>-<id>
# on getrevue.co, and the archive form /archive/<id> (also under /profile/<name>/).
_ISSUE_PATH = re.compile(r"^(?P<profile>/profile/(?P<name>[^/]+))?/issues/(?:(?P<slug>[^/]*)-)?(?P<id>\d+)/?$")
_ARCHIVE_PATH = re.compile(r"^(?P<profile>/profile/(?P<name>[^/]+))?/archive/(?P<id>\d+)/?$")
_NUMBER = re.compile(r"#\s?(\d{1,6})\b")


@dataclass(frozen=True)
class RevuePath:
    kind: str            # "issue" or "archive"
    issue_id: str
    slug: str | None
    profile: str | None
    path: str


def parse_revue_path(url_or_path: str) -> RevuePath | None:
    """Recognise a Revue issue or archive URL (or path) and take it apart."""
    path = path_of(url_or_path)
    for kind, pattern in (("issue", _ISSUE_PATH), ("archive", _ARCHIVE_PATH)):
        match = pattern.match(path)
        if match:
            return RevuePath(kind, match["id"], match.groupdict().get("slug"), match["name"], path.rstrip("/"))
    return None


def revue_slug(title: str) -> str:
    """The slug Revue gave an issue title (python-slugify reproduces Revue's)."""
    return slugify(title or "")


def number_from_text(text: str | None) -> int | None:
    """The issue number stated as `#N` in a title or an "Issue #N" line."""
    match = _NUMBER.search(text or "")
    return int(match.group(1)) if match else None


def clean_title(text: str | None, mapping: PlatformMapping, decode_entities: bool) -> str | None:
    """A title as it should read: entities decoded once, whitespace trimmed, no platform suffix.

    `decode_entities` is for titles read from JSON or CSV, which may hold HTML entities; a title
    read out of parsed HTML has had its entities decoded by the parser already.
    """
    if text is None:
        return None
    if decode_entities:
        text = html.unescape(text)
    text = " ".join(text.split())
    changed = True
    while changed:
        changed = False
        for suffix in mapping.title_suffixes:
            if suffix.strip() and text.endswith(suffix.strip()) and len(text) > len(suffix.strip()):
                text = text[: -len(suffix.strip())].rstrip(" |-–—")
                changed = True
    if text in mapping.generic_titles:
        return None
    return text or None


def add_paths_from_url(issue: Issue, url: str, inferred: bool = False) -> RevuePath | None:
    """Record the old path of a Revue issue URL (and the id it names) on the issue."""
    parsed = parse_revue_path(url)
    if parsed is None:
        return None
    issue.add_old_path(parsed.path, inferred)
    return parsed


def infer_issue_path(issue: Issue, profile: str | None = None) -> str | None:
    """Rebuild `/issues/<slug>-<id>` from the title, as Revue built it, when no URL stated it;
    returns the path, or None when there is no title or numeric id to build it from."""
    slug = revue_slug(issue.title) if issue.title else ""
    if not slug or not issue.source_id.isdigit():
        return None
    prefix = f"/profile/{profile}" if profile else ""
    path = f"{prefix}/issues/{slug}-{issue.source_id}"
    issue.add_old_path(path, inferred=True)
    issue.slug = issue.slug or slug
    return path


def revue_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The id and profile name a Revue issue or archive URL names."""
    if not url.startswith(("http://", "https://", "/")):
        return None
    parsed = parse_revue_path(url)
    return (parsed.issue_id, parsed.profile) if parsed else None
