"""`substack-export`: Substack's export (Settings > Exports), a zip or the folder it unpacks to.

The export holds `posts.csv` (one row per post: `post_id, post_date, is_published,
email_sent_at, inbox_sent_at, type, audience, title, subtitle, podcast_url`, read by header name)
and `posts/<post_id>.html`, each post's body as the editor saved it. A post_id is
`<number>.<slug>`: the number is the post's id, the slug its URL, `/p/<slug>`, on the publication's
`<name>.substack.com` host and on its custom domain.

The export names neither host. The `url` platform option gives them; without it, the host the
posts' own subscribe widgets and buttons point at is taken as the publication's. They make the old
URLs (override keys, the hosts links between posts are recognised on); the alias is the path.

Unpublished posts become drafts (or are skipped, with `drafts=skip`); a post for part of the
readers (`audience` only_paid, founding, only_free) keeps its audience in the front matter and is
written as a draft unless `publish_audiences` names it; a podcast post links its audio. A row without its HTML file, an
HTML file without its row, and a podcast without an audio URL are each reported.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterator
from urllib.parse import quote, urlsplit, urlunsplit

from ..archives import ArchiveFiles
from ..cleaners.substack_embeds import data_attrs
from ..dom import parse_html
from ..errors import UserError
from ..files import Utf8Stream
from ..mappings import Problems, _check_keys, _selector_list, parse_date, register_section
from ..record import Issue, SourceProblem, Unchanged
from ..urls import path_of
from .base import AUDIENCES_OPTION, DRAFTS_OPTION, Fetcher, hold_for_audience, keeps_drafts, published_audiences, register
from .csvrows import column_values, csv_reader, csv_rows

CSV_NAME = "posts.csv"
REQUIRED_COLUMNS = {"post_id", "post_date", "is_published", "title"}
_POST_PATH = re.compile(r"^/p/(?P<slug>[^/]+)/?$")
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
# A post's `audience` when it was not for everyone: paid subscribers, founding members, free ones.
AUDIENCES = ("only_paid", "founding", "only_free")


# ---------------------------------------------------------------------- the mapping's `export` section

@register_section("export")
def load_export_section(value: Any, where: str, problems: Problems) -> dict:
    """Where a post names its own publication, and the words of the link to a podcast's audio."""
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `publication_links:` and `podcast_link_text:`")
        return {}
    _check_keys(value, {"publication_links", "podcast_link_text"}, where, problems)
    text = value.get("podcast_link_text", "Listen to this episode")
    if not isinstance(text, str) or not text.strip():
        problems.add(f"{where} podcast_link_text", "must be non-empty text")
        text = "Listen to this episode"
    return {"publication_links": _selector_list(value.get("publication_links"), f"{where} publication_links", problems),
            "podcast_link_text": text.strip()}


# ---------------------------------------------------------------------- URLs

def substack_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The slug a Substack post URL (or path) names: `/p/<slug>` on any of the publication's hosts."""
    if not url.startswith(("http://", "https://", "/")):
        return None
    match = _POST_PATH.match(path_of(url))
    return (match["slug"], None) if match else None


def publication_base(text: str) -> str | None:
    """`https://host` (with any path prefix) of a publication address, or None when it is not one."""
    try:
        parts = urlsplit(text.strip() if "://" in text else f"https://{text.strip()}")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.hostname or ""):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def subscribe_base(target) -> str | None:
    """The publication address a subscribe link (`https://host/subscribe?...`) belongs to, or None."""
    if not isinstance(target, str) or not target.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    path = parts.path.rstrip("/")
    if not path.endswith("/subscribe"):
        return None
    return publication_base(urlunsplit((parts.scheme, parts.netloc, path[:-len("/subscribe")], "", "")))


def post_url(base: str, slug: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"{parts.path}/p/{quote(slug, safe='')}", "", ""))


def title_from_slug(slug: str) -> str:
    words = " ".join(slug.replace("-", " ").split())
    return words[:1].upper() + words[1:]


# ---------------------------------------------------------------------- the fetcher

@register
class SubstackExportFetcher(Fetcher):
    name = "substack-export"
    listing = "archive"
    source_signs = {"files": ("posts.csv",)}
    platform = "substack"
    issue_ref = staticmethod(substack_issue_ref)
    help = "Substack's export: the zip, or the folder with posts.csv and posts/"
    platform_options = {
        "drafts": DRAFTS_OPTION,
        "publish_audiences": AUDIENCES_OPTION.format(", ".join(AUDIENCES)),
        "url": "the publication's address(es), comma-separated (https://name.substack.com, your custom domain); "
               "default: the address the posts' subscribe buttons point at",
    }

    @classmethod
    def check_source(cls, source: str) -> None:
        files = ArchiveFiles(Path(source), what="Substack export")
        try:
            csv_name, posts = cls._members(files, source)
            with files.open(csv_name) as handle:
                cls._check_columns(csv_reader(handle), csv_name)
            files.verify([csv_name, *posts.values()])
        finally:
            files.close()

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        keeps_drafts(options)
        published_audiences(options, AUDIENCES)
        for address in filter(None, (a.strip() for a in options.get("url", "").split(","))):
            if publication_base(address) is None:
                raise UserError(f"--platform-option url={address} is not a web address; give one like https://name.substack.com.")

    @staticmethod
    def _members(files: ArchiveFiles, source: str) -> tuple[str, dict[str, str]]:
        """posts.csv and the post HTML files beside it, by post_id."""
        candidates = sorted((n for n in files.names if PurePosixPath(n).name.lower() == CSV_NAME),
                            key=lambda n: (len(PurePosixPath(n).parts), n))
        if not candidates:
            raise UserError(f"{source} has no posts.csv; give --source the zip Substack's export sends (Settings > Exports) "
                            "or the folder it unpacks to.")
        csv_name = candidates[0]
        folder = PurePosixPath(csv_name).parent / "posts"
        posts = {}
        for name in files.names:
            path = PurePosixPath(name)
            if path.parent == folder and path.suffix.lower() == ".html" and not path.name.startswith("."):
                posts[path.stem] = name
        return csv_name, posts

    @staticmethod
    def _check_columns(reader, csv_name: str) -> None:
        missing = REQUIRED_COLUMNS - {(f or "").strip() for f in reader.fieldnames or []}
        if missing:
            raise UserError(f"{csv_name} lacks the column(s) {', '.join(sorted(missing))}; give --source a Substack export, "
                            "whose posts.csv has them.")

    def __init__(self, source: str, context):
        super().__init__(source, context)
        self.check_options(context.options)
        self.keep_drafts = keeps_drafts(context.options)
        self.published = published_audiences(context.options, AUDIENCES)
        self.section = self.mapping.section("export", {}) or {}
        given = context.options.get("url") or ""
        self.bases = list(dict.fromkeys(filter(None, (publication_base(a) for a in given.split(",") if a.strip()))))

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        files = ArchiveFiles(Path(self.source), what="Substack export")
        try:
            csv_name, posts = self._members(files, self.source)
            ref = str(Path(self.source).resolve())
            digest = files.digest([csv_name, *sorted(posts.values())])
            if self.context.unchanged_else_remember(ref, digest):
                yield Unchanged(ref, whole_source=True)
                return
            self.context.expect(lambda: self._count(files, csv_name, posts))
            bases = self.bases or self._publication_from_posts(files, posts)
            yield from self._read_posts(files, csv_name, posts, bases)
        finally:
            files.close()

    # ------------------------------------------------------------------ the publication's address
    def _publication_from_posts(self, files: ArchiveFiles, posts: dict[str, str]) -> list[str]:
        """The address the posts' subscribe widgets and buttons point at most often, or none."""
        selectors = self.section.get("publication_links") or []
        if not selectors:
            return []
        seen: Counter = Counter()
        for name in sorted(posts.values()):
            with files.open(name) as handle:
                doc = parse_html(Utf8Stream(handle).read())
            for el in doc.select(", ".join(selectors)):
                base = subscribe_base(el.get("href") if el.name == "a" else data_attrs(el).get("url"))
                if base:
                    seen[base] += 1
        return [seen.most_common(1)[0][0]] if seen else []

    # ------------------------------------------------------------------ rows and files
    @staticmethod
    def _count(files: ArchiveFiles, csv_name: str, posts: dict[str, str]) -> int:
        """The entries the export gives: a row each, and each post file no row names."""
        with files.open(csv_name) as handle:
            post_ids = column_values(handle, "post_id")
        return len(post_ids) + len(set(posts) - set(post_ids))

    def _read_posts(self, files: ArchiveFiles, csv_name: str, posts: dict[str, str], bases: list[str]):
        unclaimed = dict(posts)
        order = -1
        with files.open(csv_name) as handle:
            reader = csv_reader(handle)
            self._check_columns(reader, csv_name)
            for order, row in enumerate(csv_rows(reader, csv_name)):
                if isinstance(row, SourceProblem):
                    yield row
                    break
                row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else v for k, v in row.items()}
                extra = row.pop("", None)
                post_id = row.get("post_id") or ""
                ref = f"{csv_name} row {order + 2}" + (f" ({post_id})" if post_id else "")
                if not post_id:
                    yield SourceProblem(ref, "the row has no post_id, so no post file can be found for it", order)
                    continue
                source_id = post_id.partition(".")[0] or post_id
                member = unclaimed.pop(post_id, None)
                try:
                    entry = self._post(files, row, post_id, member, bases, ref, order)
                except UserError:
                    raise
                except Exception as exc:  # one malformed row must not end the run
                    entry = SourceProblem(ref, f"could not be read ({type(exc).__name__}: {exc})", order, source_id)
                if isinstance(entry, Issue) and extra:
                    entry.warnings.append(f"its posts.csv row has {len(extra)} value(s) more than the header; they were ignored")
                yield entry
        for post_id, member in sorted(unclaimed.items()):
            order += 1
            yield SourceProblem(member, "has no row in posts.csv, so its title, date and status are unknown and it was not "
                                "converted; export again, or add its row to posts.csv", order, post_id.partition(".")[0] or post_id)

    def _post(self, files: ArchiveFiles, row: dict, post_id: str, member: str | None, bases: list[str],
              ref: str, order: int) -> Issue | SourceProblem:
        source_id, _, slug = post_id.partition(".")
        source_id = source_id or post_id
        published = (row.get("is_published") or "").lower() == "true"
        issue = Issue(platform=self.platform, source_id=source_id, html="", slug=slug or None, order=order,
                      source_ref=member or ref)
        for column in ("post_date", "email_sent_at"):
            value = row.get(column) or ""
            try:
                issue.date = parse_date(value)
            except ValueError:
                issue.warnings.append(f"{column} {value!r} is not a date")
            if issue.date is not None:
                break
        unsent = issue.draft = not published or issue.date is None
        if issue.draft and not self.keep_drafts:
            issue.skip_reason = "an unpublished draft; --platform-option drafts=skip leaves drafts out"
        audience = (row.get("audience") or "").strip()
        if audience and audience != "everyone":
            if audience not in AUDIENCES:
                issue.warnings.append(f"has the audience {audience!r}, which is not one Substack is known to write; "
                                      "it is written as a draft, as a post for part of the readers")
            hold_for_audience(issue, audience, self.published)
        if member is None:
            if unsent:
                issue.skip_reason = issue.skip_reason or f"an unpublished draft with no body in the export (no posts/{post_id}.html)"
            else:
                return SourceProblem(ref, f"the export has no posts/{post_id}.html, so the post has no body; "
                                     "download the export again, or copy the post's HTML there", order, source_id)
        self._fill_fields(issue, row, slug, bases)
        body = b""
        if member is not None and not issue.skip_reason:
            with files.open(member) as handle:
                stream = Utf8Stream(handle)
                body = stream.read()
            if stream.replaced:
                issue.warnings.append("its HTML had bytes that are not UTF-8 text; they show as \ufffd")
            issue.html = self._with_audio(body.decode("utf-8"), row)
            if (row.get("type") or "").lower() == "podcast" and not row.get("podcast_url"):
                issue.warnings.append("is a podcast post, but posts.csv gives no podcast_url: its audio is not in the "
                                      "export, so the page has no link to it; add one by hand")
        issue.source_hash = hashlib.sha256(json.dumps([sorted(row.items()), bases], default=str).encode()
                                           + b"\0" + body).hexdigest()
        return issue

    def _fill_fields(self, issue: Issue, row: dict, slug: str, bases: list[str]) -> None:
        title = " ".join(html.unescape(row.get("title") or "").split())
        if not title:
            title = title_from_slug(slug) if slug else f"Untitled post {issue.source_id}"
            issue.warnings.append(f"has no title in posts.csv; it was given {title!r}, made from its "
                                  f"{'slug' if slug else 'id'}: correct it with a `title:` override")
        issue.title = title
        subtitle = " ".join(html.unescape(row.get("subtitle") or "").split())
        issue.description = subtitle or None
        if not issue.draft:
            if slug:
                issue.add_old_path(f"/p/{slug}")
                issue.old_urls = [post_url(base, slug) for base in bases]
            else:
                issue.warnings.append("its post_id has no slug, so its old address /p/<slug> is unknown; add it with an `aliases:` override")

    def _with_audio(self, body: str, row: dict) -> str:
        """The body, with a link to the podcast's audio first when the row names one."""
        audio = row.get("podcast_url") or ""
        if (row.get("type") or "").lower() != "podcast" or not audio.startswith(("http://", "https://")):
            return body
        doc = parse_html(body)
        root = doc.body if doc.body is not None else doc
        paragraph = doc.new_tag("p")
        link = doc.new_tag("a", href=audio)
        link.string = self.section.get("podcast_link_text") or "Listen to this episode"
        paragraph.append(link)
        root.insert(0, paragraph)
        return root.decode_contents()
