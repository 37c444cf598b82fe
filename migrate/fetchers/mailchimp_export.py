"""`mailchimp-export`: Mailchimp's account export, a folder or a zip.

The export holds `campaigns.csv` (one row per campaign: Title, Subject, Send Date, Unique Id,
...; read by header name) and the campaigns' sources as `<number>_<name>.html` (and `.txt` for
plain-text campaigns), beside it or in a `campaigns_content` folder. The file's number is not the
campaign's id and the file holds no subject or date when its merge tags are unrendered, so files
and rows are joined by what they share:

1. the file's name is the slug of the campaign's Title (or Subject): "Weekly News (copy 02)" ->
   `weekly-news-copy-02-`; a file whose <title> is a real subject is joined by that subject too;
2. when several files and rows share a name, they are paired in order (Mailchimp numbers files
   in the order campaigns were made, and the CSV dates say when each was sent), choosing the rows
   whose send dates fit between those of the files already paired around them.

A row without a file is reported (the export holds no content for it). A file without a row is
kept as a draft (no date: Hugo does not publish it), titled from the best evidence it holds (its
<title> or first heading, its preview text, its first line in a large font, else its file name),
with a warning saying how to set its title and date; only a file with no content is reported.
Neither is ever dropped silently.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bs4 import BeautifulSoup, Comment, SoupStrainer, UnicodeDammit
from slugify import slugify

from ..archives import ArchiveFiles
from ..cleaners.mailchimp_layout import first_heading_line
from ..cleaners.merge_tags import has_tags
from ..dom import parse_html
from ..errors import UserError
from ..mappings import parse_date
from ..record import Issue, SourceProblem, Unchanged
from ..urls import host_matches
from .base import Fetcher, register
from .csvrows import csv_text
from .mailchimp import (ARCHIVE_HOST_SUFFIXES, ISSUE_HOSTS, add_campaign_urls, campaign_slug, clean_subject, mailchimp_issue_ref,
                        text_body)

TITLE_MAX_CHARS = 120   # longer evidence (a preview that is a whole sentence) makes no title
CAMPAIGN_FILE = re.compile(r"^(\d+)_(.*)\.(html?|txt)$", re.IGNORECASE)
# campaigns.csv's columns, by the names Mailchimp gives them (and a few spellings of the same).
COLUMNS = {
    "title": ("title", "campaign title", "campaign name", "name"),
    "subject": ("subject", "subject line", "email subject"),
    "send date": ("send date", "send time", "sent", "sent date", "date sent"),
    "unique id": ("unique id", "campaign id", "id"),
}
SEND_DATE_FORMATS = ("%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%b %d, %Y %H:%M", "%B %d, %Y %H:%M",
                     "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M",
                     "%b %d, %Y", "%Y-%m-%d")


def _column(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


@dataclass
class Row:
    order: int
    line: int
    title: str | None
    subject: str | None
    sent: dt.datetime | None
    sent_text: str
    unique_id: str | None
    values: dict
    warning: str | None = None

    @property
    def keys(self) -> set[str]:
        return {k for k in (slugify(self.title or ""), slugify(self.subject or "")) if k}

    def label(self, csv_name: str) -> str:
        name = self.title or self.subject or "?"
        return f"{csv_name} row {self.line} ({name!r}, sent {self.sent_text or 'no date'})"


@dataclass
class CampaignFile:
    number: int
    slug: str
    name: str                    # the member to read: the .html, else the .txt
    plain: bool = False          # a .txt: plain text
    subject: str | None = None   # its <title>, when that is a real subject and not a merge tag
    preview: str | None = None   # its hidden preview text, when the export rendered it

    @property
    def key(self) -> str:
        return slugify(self.slug)


@dataclass
class Match:
    row: Row
    note: str | None = None


def parse_send_date(text: str, zone: dt.tzinfo) -> dt.datetime | None:
    """A campaigns.csv Send Date ("Jun 01, 2023 09:46 pm") in the account's time zone, as UTC."""
    text = " ".join((text or "").split())
    if not text:
        return None
    for pattern in SEND_DATE_FORMATS:
        try:
            local = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(dt.timezone.utc)
    parsed = parse_date(text)  # ISO 8601; raises ValueError when it is no date at all
    if isinstance(parsed, dt.datetime):
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone).astimezone(dt.timezone.utc)
    return dt.datetime.combine(parsed, dt.time(), zone).astimezone(dt.timezone.utc)


def archive_prefix(value: str) -> tuple[str, str]:
    """The host and account id (`u=`) of a campaign-archive URL given as an option."""
    try:
        parts = urlsplit(value.strip())
        account = (parse_qs(parts.query).get("u") or [""])[0].strip()
    except ValueError:
        parts, account = None, ""
    if parts is None or parts.scheme not in ("http", "https") or not account or \
            not host_matches(parts.hostname or "", ARCHIVE_HOST_SUFFIXES):
        raise UserError(f"--platform-option archive_url={value} is not a campaign-archive URL with the account's u=; copy one "
                        "from any campaign's archive page, such as https://us6.campaign-archive.com/?u=0123456789abcdef01234567&id=0123456789.")
    return parts.hostname.lower(), account


# ---------------------------------------------------------------------- joining files and rows

def join(files: list[CampaignFile], rows: list[Row]) -> dict[int, Match]:
    """Which row each file is (by index into `files`): by name, then by send order."""
    candidates: dict[int, set[int]] = {}
    for f, file in enumerate(files):
        by_name = {r for r, row in enumerate(rows) if file.key in row.keys}
        if file.subject:
            by_subject = {r for r, row in enumerate(rows) if (row.subject or "").casefold() == file.subject.casefold()}
            by_name = (by_name & by_subject) or by_subject or by_name
        candidates[f] = by_name
    groups = _components(candidates)
    # Pairs that only one file and one row share a name in are sure; their dates frame the rest.
    anchors = sorted((files[next(iter(fs))].number, rows[next(iter(rs))].sent) for fs, rs in groups
                     if len(fs) == 1 and len(rs) == 1 and rows[next(iter(rs))].sent is not None)
    matches: dict[int, Match] = {}
    for file_ids, row_ids in groups:
        ordered_files = sorted(file_ids, key=lambda f: files[f].number)
        ordered_rows = sorted(row_ids, key=lambda r: (rows[r].sent is None, rows[r].sent or dt.datetime.min.replace(tzinfo=dt.timezone.utc), rows[r].order))
        pairs = _align(ordered_files, ordered_rows, files, rows, candidates, anchors)
        # Equal numbers of files and rows whose dates all fit pair up one way only; otherwise say so.
        unsure = len(ordered_files) != len(ordered_rows) or not all(fits for _, _, fits in pairs)
        for f, r, fits in pairs:
            note = None
            if unsure:
                name = rows[r].title or rows[r].subject
                note = (f"joined to its campaigns.csv row by name and send order: {len(ordered_files)} file(s) and "
                        f"{len(ordered_rows)} row(s) share the name {name!r}")
                if not fits:
                    note += "; its send date is out of step with the files numbered around it, so check its date"
            matches[f] = Match(rows[r], note)
    return matches


def _components(candidates: dict[int, set[int]]) -> list[tuple[set[int], set[int]]]:
    """Files and rows linked by a shared name, as connected groups."""
    row_files: dict[int, set[int]] = {}
    for f, rs in candidates.items():
        for r in rs:
            row_files.setdefault(r, set()).add(f)
    seen: set[int] = set()
    groups = []
    for start in candidates:
        if start in seen or not candidates[start]:
            continue
        files, rows, todo = set(), set(), [start]
        while todo:
            f = todo.pop()
            if f in files:
                continue
            files.add(f)
            for r in candidates[f]:
                if r not in rows:
                    rows.add(r)
                    todo.extend(row_files[r] - files)
        seen |= files
        groups.append((files, rows))
    return groups


def _fits(number: int, sent: dt.datetime | None, anchors: list[tuple[int, dt.datetime]]) -> bool:
    """Whether a send date lies between those of the nearest files paired for sure around it."""
    if sent is None:
        return True
    before = [s for n, s in anchors if n < number]
    after = [s for n, s in anchors if n > number]
    return (not before or sent >= before[-1]) and (not after or sent <= after[0])


def _align(file_ids, row_ids, files, rows, candidates, anchors) -> list[tuple[int, int, bool]]:
    """Pair files and rows in order, as many as can be, with as few dates out of step as can be;
    among equals, the earliest rows. Returns (file, row, whether its date fits)."""
    m, n = len(file_ids), len(row_ids)
    # What pairing file i with row j scores: None where their names differ, else whether the date fits.
    fits = [[_fits(files[f].number, rows[r].sent, anchors) if r in candidates[f] else None for r in row_ids] for f in file_ids]
    best = [[(0, 0)] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            options = [best[i - 1][j], best[i][j - 1]]
            if fits[i - 1][j - 1] is not None:
                matched, fitting = best[i - 1][j - 1]
                options.append((matched + 1, fitting + fits[i - 1][j - 1]))
            best[i][j] = max(options)
    pairs = []
    i, j = m, n
    while i and j:
        fit = fits[i - 1][j - 1]
        if best[i][j] == best[i][j - 1]:
            j -= 1  # leave the later row out, so the earlier ones are paired
        elif fit is not None and best[i][j] == (best[i - 1][j - 1][0] + 1, best[i - 1][j - 1][1] + fit):
            pairs.append((file_ids[i - 1], row_ids[j - 1], fit))
            i, j = i - 1, j - 1
        else:
            i -= 1
    return list(reversed(pairs))


# ---------------------------------------------------------------------- the fetcher

@register
class MailchimpExportFetcher(Fetcher):
    name = "mailchimp-export"
    listing = "archive"
    source_signs = {"files": ("campaigns*.csv",)}
    platform = "mailchimp"
    issue_ref = staticmethod(mailchimp_issue_ref)
    issue_hosts = ISSUE_HOSTS
    help = "Mailchimp account export: the zip, or the folder with campaigns.csv and the <number>_<name>.html campaign files"
    platform_options = {
        "timezone": "the time zone campaigns.csv's Send Date is in (your Mailchimp account's, such as America/New_York; default UTC)",
        "archive_url": "any campaign-archive URL of the account (https://usX.campaign-archive.com/?u=ACCOUNT&id=...): each "
                       "campaign's archive URL is rebuilt from it and its Unique Id",
    }

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        _zone(options)
        if options.get("archive_url"):
            archive_prefix(options["archive_url"])

    @classmethod
    def check_source(cls, source: str) -> None:
        # A hostile zip is refused on opening, a damaged one on reading: both before anything is written.
        files = ArchiveFiles(Path(source), what="Mailchimp export")
        try:
            csv_name, members = cls._members(files, source)
            files.verify([csv_name, *members])
            with files.open(csv_name) as handle:
                _positions(_header(handle), csv_name)
        finally:
            files.close()

    @staticmethod
    def _members(files: ArchiveFiles, source: str) -> tuple[str, list[str]]:
        csv_name = files.find("campaigns", ".csv")
        if csv_name is None:
            raise UserError(f"{source} has no campaigns.csv; give --source the zip or folder of a Mailchimp account export "
                            "(Mailchimp: Account > Settings > Manage my data > Export data).")
        members = sorted(name for name in files.names if _campaign_member(name))
        if not members:
            raise UserError(f"{source} has campaigns.csv but no campaign files (<number>_<name>.html); give --source the "
                            "whole export, with its campaigns_content folder.")
        return csv_name, members

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        zone = _zone(self.context.options)
        archive = archive_prefix(self.context.options["archive_url"]) if self.context.options.get("archive_url") else None
        files = ArchiveFiles(Path(self.source), what="Mailchimp export")
        try:
            csv_name, members = self._members(files, self.source)
            ref = str(Path(self.source).resolve())
            digest = files.digest([csv_name, *members])
            if self.context.unchanged_else_remember(ref, digest):
                yield Unchanged(ref, whole_source=True)
                return
            with files.open(csv_name) as handle:
                rows, problems = self._rows(handle, csv_name, zone)
            campaign_files = self._campaign_files(files, members)
            matches = join(campaign_files, rows)
            by_row = {id(match.row): (f, match) for f, match in matches.items()}
            self.context.expect(len(problems) + len(rows) + len(campaign_files) - len(matches))
            yield from problems
            for row in rows:
                found = by_row.get(id(row))
                if found is None:
                    yield SourceProblem(row.label(csv_name), "no campaign file in the export has its name (Title or Subject) and send "
                                        "order; the export holds no content for this campaign", row.order, _row_id(row))
                    continue
                file_index, match = found
                yield self._issue(files, campaign_files[file_index], row, match.note, csv_name, archive)
            after = len(rows)
            for f, campaign_file in enumerate(campaign_files):
                if f not in matches:
                    yield self._unmatched(files, campaign_file, after + f, csv_name)
        finally:
            files.close()

    # ------------------------------------------------------------------ reading
    def _rows(self, handle: IO[bytes], name: str, zone: dt.tzinfo) -> tuple[list[Row], list[SourceProblem]]:
        reader = csv.reader(csv_text(handle))
        problems: list[SourceProblem] = []
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise UserError(f"{name} cannot be read as CSV ({exc}); export the account again.") from None
        where = _positions(header or [], name)
        rows: list[Row] = []
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(SourceProblem(f"{name} line {reader.line_num}", f"the CSV cannot be read from here on ({exc}); "
                                              "the rows after it are missing: repair the file and run again", len(rows)))
                break
            if not any(v.strip() for v in values):
                continue

            def cell(key: str) -> str:
                index = where[key]
                return values[index].strip() if index is not None and index < len(values) else ""

            sent_text = cell("send date")
            row = Row(len(rows), reader.line_num, cell("title") or None, cell("subject") or None, None, sent_text,
                      cell("unique id") or None, dict(zip(header, values)))
            try:
                row.sent = parse_send_date(sent_text, zone)
            except ValueError:
                row.warning = f"its Send Date {sent_text!r} is not a date; the issue has no date"
            rows.append(row)
        return rows, problems

    def _campaign_files(self, files: ArchiveFiles, members: list[str]) -> list[CampaignFile]:
        found: dict[tuple[int, str], CampaignFile] = {}
        for name in members:
            match = CAMPAIGN_FILE.match(PurePosixPath(name).name)
            key = (int(match.group(1)), match.group(2))
            plain = match.group(3).lower() == "txt"
            if key in found and plain:
                continue  # the .html of a campaign is its body; the .txt is the plain-text twin
            found[key] = CampaignFile(key[0], key[1], name, plain)
        wanted = SoupStrainer(["title", "span"])  # the preview text is a span
        for campaign_file in found.values():
            if not campaign_file.plain:
                with files.open(campaign_file.name) as handle:
                    head = BeautifulSoup(handle.read(), "lxml", parse_only=wanted)
                campaign_file.subject = _rendered(head.find("title"), self.mapping)
                campaign_file.preview = _rendered(head.find(class_="mcnPreviewText"), self.mapping)
        return sorted(found.values(), key=lambda c: (c.number, c.slug))

    def _body(self, files: ArchiveFiles, campaign_file: CampaignFile) -> tuple[str, bytes, list[str]]:
        with files.open(campaign_file.name) as handle:
            data = handle.read()
        warnings = []
        if campaign_file.plain:
            text = data.decode("utf-8-sig", errors="replace")
            html_text = text_body(text, self.mapping)
        else:
            html_text = UnicodeDammit(data, ["utf-8"], is_html=True).unicode_markup or ""
            text = html_text
        if "\ufffd" in text:
            warnings.append("its file had bytes that are not text in its encoding; they show as \ufffd")
        return html_text, data, warnings

    def _issue(self, files: ArchiveFiles, campaign_file: CampaignFile, row: Row, note: str | None, csv_name: str,
               archive: tuple[str, str] | None) -> Issue | SourceProblem:
        ref = f"{campaign_file.name} ({csv_name} row {row.line})"
        try:
            html_text, data, warnings = self._body(files, campaign_file)
        except (OSError, UserError) as exc:
            return SourceProblem(ref, f"could not be read ({exc})", row.order, _row_id(row))
        digest = hashlib.sha256(repr(sorted(row.values.items())).encode("utf-8") + data).hexdigest()
        issue = Issue(platform=self.platform, source_id=_row_id(row) or f"file-{campaign_file.number}", html=html_text,
                      source_ref=ref, order=row.order, source_hash=digest, warnings=warnings)
        issue.title = clean_subject(row.subject, self.mapping, decode_entities=True) or clean_subject(row.title, self.mapping, decode_entities=True)
        issue.date = row.sent
        issue.draft = issue.date is None
        if row.warning:
            issue.warnings.append(row.warning)
        if note:
            issue.warnings.append(note)
        issue.description = campaign_file.preview
        issue.slug = campaign_slug(issue.date, issue.title)
        if archive and row.unique_id:
            host, account = archive
            url = urlunsplit(("https", host, "/", urlencode({"u": account, "id": row.unique_id}), ""))
            add_campaign_urls(issue, url)
            issue.warnings.append(f"campaign-archive URL rebuilt from archive_url and the Unique Id, not stated by the export: {url}")
        return issue

    def _unmatched(self, files: ArchiveFiles, campaign_file: CampaignFile, order: int, csv_name: str) -> Issue | SourceProblem:
        source_id = f"file-{campaign_file.number}"
        try:
            html_text, data, warnings = self._body(files, campaign_file)
        except (OSError, UserError) as exc:
            return SourceProblem(campaign_file.name, f"could not be read ({exc})", order, source_id)
        doc = parse_html(html_text)
        if not _has_content(doc):
            return SourceProblem(campaign_file.name, f"no {csv_name} row has its name ({campaign_file.slug!r}) and it has no "
                                 "content (no text but merge tags, no picture); add its row to the CSV, or remove the file", order, source_id)
        title, evidence = self._best_title(campaign_file, doc)
        issue = Issue(platform=self.platform, source_id=source_id, html=html_text, source_ref=campaign_file.name, order=order,
                      source_hash=hashlib.sha256(data).hexdigest(), warnings=warnings, title=title, draft=True)
        issue.description = campaign_file.preview
        issue.slug = campaign_slug(None, title)
        issue.warnings.append(f"no {csv_name} row has its name ({campaign_file.slug!r}), so it is kept as a draft without a date, "
                              f"titled from {evidence}; to set its title and date and publish it, add `title:`, `date:` and "
                              f"`draft: false` under \"{source_id}\" in an overrides file")
        return issue

    def _best_title(self, campaign_file: CampaignFile, doc: BeautifulSoup) -> tuple[str, str]:
        """A title for a campaign no CSV row names, and the evidence it came from, best first: its
        <title> or first heading, its preview text, its first line in a heading's large font (or,
        as plain text, its first short line), else its file name."""
        if campaign_file.plain:
            first = next((line.strip() for line in doc.get_text("\n").splitlines() if line.strip()), "")
            found = clean_subject(first, self.mapping) if len(first) <= TITLE_MAX_CHARS and not has_tags(first) else None
            if found:
                return found, "its first line"
        else:
            found = _title_of(doc, self.mapping)
            if found:
                return found, "its <title> or first heading"
            preview = campaign_file.preview
            if preview and len(preview) <= TITLE_MAX_CHARS:
                return preview, "its preview text"
            line = first_heading_line(doc, self.mapping.section("template"))
            found = clean_subject(line, self.mapping) if line and not has_tags(line) else None
            if found:
                return found, "its first line in a large font"
        words = " ".join(campaign_file.slug.replace("-", " ").replace("_", " ").split())
        return (words[:1].upper() + words[1:]) if words else f"Campaign {campaign_file.number}", "its file name"


def _positions(header: list[str], name: str) -> dict[str, int | None]:
    """Where each column the join needs is, by its name; UserError when Send Date or both Title
    and Subject are missing."""
    columns = {_column(h): i for i, h in reversed(list(enumerate(header)))}
    where = {key: next((columns[s] for s in spellings if s in columns), None) for key, spellings in COLUMNS.items()}
    if where["send date"] is None or (where["title"] is None and where["subject"] is None):
        raise UserError(f"{name} lacks the column(s) Send Date and Title or Subject; give --source a Mailchimp account "
                        "export, whose campaigns.csv has them.")
    return where


def _header(handle: IO[bytes]) -> list[str]:
    reader = csv.reader(csv_text(handle))
    try:
        return next(reader, None) or []
    except csv.Error:
        return []


def _zone(options: dict) -> dt.tzinfo:
    name = options.get("timezone")
    if not name:
        return dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--platform-option timezone={name} is not a time zone; use a name such as America/New_York or Europe/Berlin.") from None


def _campaign_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (CAMPAIGN_FILE.match(path.name) is not None and not path.name.startswith(".")
            and not any(part.lower().startswith("template") or part.startswith(".") for part in path.parts[:-1]))


def _row_id(row: Row) -> str | None:
    return row.unique_id or None


def _title_of(doc: BeautifulSoup, mapping) -> str | None:
    """A title from a campaign's own HTML: its <title> unless a merge tag, else its first heading."""
    for selector in mapping.field_selectors("title"):
        for el in doc.select(selector.select):
            text = clean_subject(el.get_text(" "), mapping)
            if text:
                return text
    return None


def _has_content(doc: BeautifulSoup) -> bool:
    """Whether a campaign holds anything a reader would see: a picture, or text that is not only
    merge tags."""
    body = doc.body or doc
    if body.find("img") is not None:
        return True
    for text in body.find_all(string=True):
        if isinstance(text, Comment) or text.parent.name in ("script", "style", "title", "head"):
            continue
        if any(not has_tags(word) for word in text.split()):
            return True
    return False


def _rendered(el, mapping) -> str | None:
    """An element's text, when the export rendered it (an unrendered one is a merge tag)."""
    text = " ".join(el.get_text(" ").split()) if el is not None else ""
    return clean_subject(text, mapping) if text and not has_tags(text) else None
