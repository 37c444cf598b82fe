"""`buttondown-export`: Buttondown's export, a zip or the folder it unpacks to, or a folder
written by `buttondown pull` (Buttondown's command-line tool).

The export (the Emails tab: select the emails, Export) lists the emails in `emails.csv` (id,
secondary_id, subject, publish_date, source, email_type, slug) or `emails.json` (an array of
email objects, or an object with `results`), and holds each body as `emails/<slug>.md` (or
`emails/<id>.md`), opening with the editor's mode sigil. A `buttondown pull` folder has no
listing: each `emails/<slug>.md` opens with YAML front matter holding the email's fields
(`editor_mode` among them), and its images are in `media/`, named `../media/<file>`, read from
the folder itself. Front matter also fills what a listing leaves out. A listed email without a body, and a body no row lists (and whose front matter does
not say what it is), are reported, never dropped silently.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath
from typing import IO, Iterator

import ijson
import yaml

from .. import yamldata
from ..archives import ArchiveFiles
from ..errors import UserError
from ..files import Utf8Stream
from ..record import Issue, SourceNote, SourceProblem, Unchanged
from .base import Fetcher, register
from .csvrows import csv_reader, csv_rows
from .buttondown import (LIST_SHAPE, NO_ARCHIVE_URL, PLATFORM_OPTIONS, buttondown_issue_ref, check_email_list, check_options,
                         email_issue, email_list, missing_archive_url, username_in, with_username)

INDEX_NAMES = ("emails.json", "emails.csv")
WHAT = "Buttondown export"


def _members(files: ArchiveFiles, source: str) -> tuple[str | None, dict[str, str]]:
    """The listing (emails.json before emails.csv) and the body files by their stem."""
    indexes = sorted((n for n in files.names if PurePosixPath(n).name.lower() in INDEX_NAMES),
                     key=lambda n: (len(PurePosixPath(n).parts), INDEX_NAMES.index(PurePosixPath(n).name.lower()), n))
    bodies: dict[str, str] = {}
    for name in sorted(files.names):
        path = PurePosixPath(name)
        if path.suffix.lower() == ".md" and len(path.parts) >= 2 and path.parts[-2].lower() == "emails" \
                and not path.name.startswith("."):
            bodies.setdefault(path.stem, name)
    if not indexes and not bodies:
        raise UserError(f"{source} holds no emails.json, emails.csv or emails/*.md; give --source the export zip "
                        "(Buttondown: the Emails tab, select the emails, Export), its unpacked folder, or a `buttondown pull` folder.")
    return (indexes[0] if indexes else None), bodies


def _front_matter(text: str) -> tuple[dict, str, str | None]:
    """A body file's YAML front matter (as fields), the body after it, and why the front matter
    could not be read (None when it could, or there is none)."""
    if not text.startswith(("---\n", "---\r\n")):
        return {}, text, None
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            head, body = "".join(lines[1:index]), "".join(lines[index + 1:])
            try:
                fields = yamldata.load(head)
            except yamldata.YamlRefused as exc:
                return {}, body, f"its front matter was not read: {exc}; it was left out"
            except yaml.YAMLError as exc:
                return {}, body, f"its front matter is not valid YAML ({getattr(exc, 'problem', exc)}); it was left out"
            if fields is None:
                return {}, body, None
            if not isinstance(fields, dict):
                return {}, body, "its front matter is not a mapping of fields; it was left out"
            return {str(k): v for k, v in fields.items()}, body, None
    return {}, text, None


@register
class ButtondownExportFetcher(Fetcher):
    name = "buttondown-export"
    listing = "archive"
    # The export's listing; a `buttondown pull` folder's own files (it writes them beside emails/).
    source_signs = {"files": ("emails.json", "emails.csv", ".buttondown-sync.json", "newsletter.json", "snippets.json")}
    platform = "buttondown"
    issue_ref = staticmethod(buttondown_issue_ref)
    platform_options = PLATFORM_OPTIONS
    help = "Buttondown export: the zip, or the folder with emails.json or emails.csv and emails/<slug>.md"

    @classmethod
    def check_source(cls, source: str) -> None:
        # A hostile zip is refused on opening, a damaged one on reading: both before anything is written.
        files = ArchiveFiles(Path(source), what=WHAT)
        try:
            index, bodies = _members(files, source)
            files.verify(([index] if index else []) + sorted(bodies.values()))
            if index:
                with files.open(index) as handle:
                    if index.lower().endswith(".csv"):
                        _csv_reader(handle, index)
                    else:
                        check_email_list(handle, _wrong_json(index))
        finally:
            files.close()

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        check_options(options)

    without_archive_url = 0  # public emails the export gives no archive address for

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        files = ArchiveFiles(Path(self.source), what=WHAT)
        try:
            index, bodies = _members(files, self.source)
            ref = str(Path(self.source).resolve())
            digest = files.digest(([index] if index else []) + sorted(bodies.values()))
            if self.context.unchanged_else_remember(ref, digest):
                yield Unchanged(ref, whole_source=True)
                return
            self.context.expect(lambda: _count(files, index, bodies))
            used: set[str] = set()
            usernames: set[str] = set()
            order = -1
            if index:
                with files.open(index) as handle:
                    rows = _index_rows(handle, index)
                    for order, (where, raw) in enumerate(rows):
                        if isinstance(raw, SourceProblem):
                            raw.order = order
                            yield raw
                            continue
                        usernames.update(filter(None, [username_in(raw)]))
                        if self.context.wants(where):
                            yield self._listed(files, bodies, used, raw, where, order)
                        else:
                            used.update(_body_names(bodies, raw))
            for stem, name in sorted(bodies.items()):
                if name in used:
                    continue
                order += 1
                if self.context.wants(name):
                    yield self._unlisted(files, name, stem, index, order, with_username(self.context.options, usernames))
            if self.without_archive_url:
                yield SourceNote(index or ref, NO_ARCHIVE_URL.format(count=self.without_archive_url))
            if order == -1:  # never a silent empty run
                yield SourceNote(index or ref, "lists no emails, and the export holds no emails/*.md: nothing was migrated; "
                                 "check that --source is the export of the newsletter to migrate")
        finally:
            files.close()

    # ------------------------------------------------------------------ one email
    def _listed(self, files, bodies, used, raw, where: str, order: int) -> Issue | SourceProblem:
        if not isinstance(raw, dict):
            return SourceProblem(where, "the entry is not an object with an email's fields", order)
        raw = dict(raw)
        names = _body_names(bodies, raw)
        email_id = str(raw.get("id") or raw.get("slug") or "").strip() or None
        if names:
            used.update(names)
            fields, body, trouble = self._read_body(files, names[0])
            for key, value in fields.items():
                if raw.get(key) in (None, ""):
                    raw[key] = value
        elif isinstance(raw.get("body"), str):
            body, trouble = raw.pop("body"), None
        else:
            looked = " or ".join(f"emails/{s}.md" for s in _stems(raw)) or "emails/<slug>.md"
            return SourceProblem(where, f"the email is listed but its body is not in the export (no {looked})", order, email_id)
        issue = email_issue(raw, body, mapping=self.mapping, options=self.context.options, where=where, order=order,
                            source_ref=where, offload=self.context.offload, local_file=names[0] if names else None)
        self.without_archive_url += missing_archive_url(issue)
        if isinstance(issue, Issue) and trouble:
            issue.warnings.append(f"{names[0]}: {trouble}")
        return issue

    def _unlisted(self, files, name: str, stem: str, index: str | None, order: int, options: dict) -> Issue | SourceProblem:
        fields, body, trouble = self._read_body(files, name)
        listing = index or "a listing"
        if not fields.get("subject") and not fields.get("id"):
            why = f" ({trouble})" if trouble else ""
            return SourceProblem(name, f"this body is in no row of {listing}, and has no front matter saying which email it is{why}", order)
        fields.setdefault("slug", stem)
        issue = email_issue(fields, body, mapping=self.mapping, options=options, where=name, order=order,
                            source_ref=name, offload=self.context.offload, local_file=name)
        self.without_archive_url += missing_archive_url(issue)
        if isinstance(issue, Issue) and index:
            issue.warnings.append(f"{name} is in no row of {index}; its own front matter was used")
        return issue

    @staticmethod
    def _read_body(files: ArchiveFiles, name: str) -> tuple[dict, str, str | None]:
        with files.open(name) as handle:
            stream = Utf8Stream(handle)
            text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", newline="").read()
        fields, body, trouble = _front_matter(text)
        if stream.replaced:
            trouble = "; ".join(filter(None, [trouble, "it had bytes that are not text in its encoding; they show as \ufffd"]))
        return fields, body, trouble


def _stems(raw: dict) -> list[str]:
    return [s for s in dict.fromkeys(str(raw.get(k) or "").strip() for k in ("slug", "id")) if s]


def _body_names(bodies: dict[str, str], raw) -> list[str]:
    return [bodies[s] for s in _stems(raw) if s in bodies] if isinstance(raw, dict) else []


def _count(files, index: str | None, bodies: dict[str, str]) -> int:
    """The entries the export gives: its listing's rows, and each body no row names."""
    rows, used = 0, set()
    if index:
        with files.open(index) as handle:
            for _, raw in _index_rows(handle, index):
                rows += 1
                used.update(_body_names(bodies, raw))
    return rows + len(set(bodies.values()) - used)


def _index_rows(handle: IO[bytes], name: str) -> Iterator[tuple[str, dict | SourceProblem]]:
    return _json_rows(handle, name) if name.lower().endswith(".json") else _csv_rows(handle, name)


# ---------------------------------------------------------------------- the listing

def _wrong_json(name: str) -> str:
    return f"{name} is not a list of emails ({LIST_SHAPE}); give --source the export from Buttondown's Emails tab (select the emails, Export)."


def _json_rows(handle: IO[bytes], name: str) -> Iterator[tuple[str, dict | SourceProblem]]:
    position = 0
    try:
        for position, raw in enumerate(email_list(handle, _wrong_json(name))):
            yield f"{name}[{position}]", raw
    except ijson.JSONError as exc:
        yield name, SourceProblem(f"{name} after entry {position}", f"the JSON is broken ({exc}); the emails after this point could not be read")


def _csv_reader(handle: IO[bytes], name: str) -> csv.DictReader:
    reader = csv_reader(handle)
    if not {"id", "slug"} & set(reader.fieldnames or []):
        raise UserError(f"{name} has neither an id nor a slug column; give --source a Buttondown export, whose emails.csv has them.")
    return reader


def _csv_rows(handle: IO[bytes], name: str) -> Iterator[tuple[str, dict | SourceProblem]]:
    reader = _csv_reader(handle, name)
    for row in csv_rows(reader, name):
        if isinstance(row, SourceProblem):
            yield name, row
            return
        row.pop(None, None)  # values beyond the header
        yield f"{name} row {reader.line_num}", {k: v for k, v in row.items() if k is not None}
