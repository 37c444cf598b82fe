"""The run report: a JSON file in the site folder, and the summary printed at the end.

Each issue's entry goes to a spool on disk as soon as the issue is done (a temporary SQLite
file), and only counts stay in memory; the report is then written from the spool in source
order, one entry at a time. A 10,000-issue run costs no more memory than a 100-issue one.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

from . import __version__
from .files import atomic_write_stream
from .record import DATA_URL_SHOWN, Issue, SourceNote, SourceProblem
from .urls import without_credentials

REPORT_PATH = ".migrate/report.json"


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def issue_entry(issue: Issue, outcome=None) -> dict:
    """What the report says about one processed issue and what the writer did with it."""
    return {
        "order": issue.order,
        "platform": issue.platform,
        "id": issue.source_id,
        "title": issue.title,
        "number": issue.number,
        "date": _date(issue.date),
        "draft": issue.draft,
        "held_for": issue.held_for,
        "source": without_credentials(issue.source_ref),
        "output": issue.output_path,
        "action": outcome.action if outcome else None,
        "incoming": outcome.incoming if outcome else None,
        "moved_from": (outcome.removed_old or outcome.kept_old) if outcome else None,
        "old_paths": [{"path": p.path, "inferred": p.inferred} for p in issue.old_paths],
        "old_urls": list(issue.old_urls),
        "images": [{k: v for k, v in (("url", i.url), ("local", i.local), ("file", i.file), ("error", i.error),
                                      ("archive", i.archive)) if v}
                   for i in issue.images],
        "tracking_parameters_removed": issue.tracking_removed,
        "links_rewritten": issue.links_rewritten,
        "warnings": list(issue.warnings),
        "failures": list(issue.failures),
        "needs": dict(issue.needs),
    }


class _Spool:
    """Issue entries on disk, read back in source order."""

    def __init__(self) -> None:
        # SQLite's private temporary database (the empty name): on disk once it outgrows the page
        # cache, and deleted by SQLite itself, so nothing is left behind however the run ends.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE entries (position INTEGER, entry TEXT)")
        self._lock = threading.Lock()

    def add(self, position: int, entry: dict) -> None:
        with self._lock:
            self._db.execute("INSERT INTO entries VALUES (?, ?)", (position, json.dumps(entry, ensure_ascii=False)))

    def __iter__(self) -> Iterator[dict]:
        # A cursor of its own: entries stream from disk one at a time, however many there are.
        cursor = self._db.cursor()
        for (text,) in cursor.execute("SELECT entry FROM entries ORDER BY position, rowid"):
            yield json.loads(text)


class RunReport:
    def __init__(self, platform: str, source: str, site: str, dry_run: bool = False, mode: str = "run"):
        self.platform, self.source, self.site = platform, source, site
        self.dry_run, self.mode = dry_run, mode
        self.problems: list[dict] = []
        self.skipped: list[dict] = []
        self.gone: list[dict] = []
        self.notes: list[dict] = []   # warnings about the source as a whole
        self.images_downloaded = 0
        self.up_to_date = 0
        self.temporary_files_removed = 0
        self.todo = None     # the site's cumulative to-do, once the run has recorded its findings
        self.starter = None  # what the run wrote of the starter Hugo site (a StarterOutcome), if anything
        self.config: str | None = None  # the config file the run read, where overrides go
        self._images_to_download: set[str] = set()  # a dry run: the distinct images it would fetch
        self._spool = _Spool()
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ recording
    def add_issue(self, issue: Issue, outcome=None) -> None:
        """Record a processed issue and what the writer did with it (None: it failed before)."""
        entry = issue_entry(issue, outcome)
        self._spool.add(issue.order, entry)
        images = entry["images"]
        with self._lock:
            self._counts["issues"] += 1
            self._counts[f"action:{entry['action']}"] += 1
            self._counts["with_failures"] += bool(entry["failures"])
            self._counts["images"] += len(images)
            self._counts["images_local"] += sum(1 for image in images if image.get("local"))
            self._counts["images_failed"] += sum(1 for image in images if image.get("error"))
            self._counts["images_archived"] += sum(1 for image in images if image.get("archive"))
            self._counts["tracking"] += entry["tracking_parameters_removed"]
            self._counts["links"] += entry["links_rewritten"]
            self._counts["inferred"] += sum(1 for p in entry["old_paths"] if p["inferred"])
            self._counts["warnings"] += len(entry["warnings"])
            self._counts["needs"] += bool(entry["needs"])
            if self.dry_run:
                self._images_to_download.update(image["url"] for image in images
                                                if not image.get("local") and not image.get("error") and image["url"] != DATA_URL_SHOWN)
            if entry["held_for"]:
                self._counts["held"] += 1
                self._counts[f"held:{entry['held_for']}"] += 1

    def add_gone(self, row) -> None:
        """An issue the last run wrote that the source no longer has: reported, never deleted."""
        self.gone.append({"platform": row.platform, "id": row.source_id, "title": row.title, "output": row.output_path})

    def add_problem(self, problem: SourceProblem) -> None:
        self.problems.append({"order": problem.order, "source": without_credentials(problem.source_ref), "reason": problem.reason})

    def add_note(self, note: SourceNote) -> None:
        self.notes.append({"source": without_credentials(note.source_ref), "warning": note.message})

    def add_skipped(self, issue: Issue, left_in_place: str | None = None) -> None:
        """An issue not converted, and why; `left_in_place`: its file from an earlier run, which stays."""
        self.skipped.append({"order": issue.order, "platform": issue.platform, "id": issue.source_id, "title": issue.title,
                             "source": without_credentials(issue.source_ref), "reason": issue.skip_reason,
                             "left_in_place": left_in_place})

    # ------------------------------------------------------------------ reading
    def entries(self) -> Iterator[dict]:
        """The processed issues' entries, in source order, read back from the spool."""
        return iter(self._spool)

    @property
    def issues(self) -> list[dict]:
        return list(self.entries())

    @property
    def files_written(self) -> int:
        return self._counts["action:written"]

    @property
    def files_unchanged(self) -> int:
        return self._counts["action:unchanged"]

    @property
    def unconverted(self) -> int:
        """Issues that failed before their file could be written (as against a failed image)."""
        return self._counts["action:None"]

    @property
    def conflicts(self) -> list[dict]:
        return [entry for entry in self.entries() if entry["action"] == "conflict"] if self._counts["action:conflict"] else []

    @property
    def ok(self) -> bool:
        return not self.problems and not self._counts["with_failures"]

    def summary(self) -> dict:
        c = self._counts
        return {
            "issues_found": c["issues"] + len(self.skipped) + len(self.problems) + self.up_to_date,
            "issues_written": sum(c[f"action:{a}"] for a in ("written", "unchanged", "would-write")),
            "files_changed": c["action:written"],
            "files_unchanged": c["action:unchanged"],
            "files_would_change": c["action:would-write"],
            "up_to_date": self.up_to_date,
            "conflicts": c["action:conflict"],
            "gone_from_source": len(self.gone),
            "issues_skipped": len(self.skipped),
            "issues_with_failures": c["with_failures"],
            "source_problems": len(self.problems),
            "images": c["images"],
            "images_local": c["images_local"],
            "images_downloaded": self.images_downloaded,
            "images_failed": c["images_failed"],
            "images_from_archive": c["images_archived"],
            "images_to_download": len(self._images_to_download),
            "issues_needing_fields": c["needs"],
            "tracking_parameters_removed": c["tracking"],
            "links_between_issues_rewritten": c["links"],
            "inferred_old_paths": c["inferred"],
            "drafts_for_part_of_the_readers": c["held"],
            "warnings": c["warnings"] + len(self.notes),
        }

    # ------------------------------------------------------------------ writing
    def chunks(self) -> Iterator[str]:
        """The report's JSON, piece by piece: the same text as one json.dumps, never held whole."""
        head = {"tool": f"newsletter-migrate {__version__}", "platform": self.platform, "source": self.source,
                "mode": self.mode, "dry_run": self.dry_run, "summary": self.summary()}
        yield json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "issues": ['
        for n, entry in enumerate(self.entries()):
            text = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            yield ("," if n else "") + "\n    " + text
        yield ("\n  ]" if self._counts["issues"] else "]") + ",\n"
        tail = {"skipped": sorted(self.skipped, key=lambda i: i["order"]),
                "problems": sorted(self.problems, key=lambda i: i["order"]),
                "gone_from_source": self.gone, "source_warnings": self.notes}
        yield json.dumps(tail, indent=2, ensure_ascii=False)[2:] + "\n"

    def write(self, site: Path) -> Path:
        path = Path(site) / REPORT_PATH
        atomic_write_stream(path, (chunk.encode("utf-8") for chunk in self.chunks()))
        return path

    def lines(self) -> list[str]:
        """The summary a person reads: what this run did, what needs attention (this run's
        findings and what earlier runs left unresolved), and what to do next."""
        from .attention import ToDo
        from .summary import attention_lines, next_lines

        s = self.summary()
        # An issue converted to the very file already on disk leaves that file untouched: say so,
        # rather than count it as "written" and "unchanged" at once.
        out = [
            f"{s['issues_found']} issue(s) found: "
            + (f"{s['issues_written']} would be written ({s['files_would_change']} file(s) new or changed, "
               f"{s['files_unchanged']} already identical)" if self.dry_run else
               f"{s['issues_written']} converted ({s['files_changed']} file(s) new or changed, "
               f"{s['files_unchanged']} already identical and left untouched)")
            + (f", {s['conflicts']} kept as edited by hand" if s["conflicts"] else "")
            + (f", {s['up_to_date']} up to date (unchanged at the source, not converted again)" if self.mode != "run" else "")
            + f", {s['issues_skipped']} skipped, {s['issues_with_failures']} with failures, {s['source_problems']} unreadable.",
            (f"Images: {s['images_to_download']} would be downloaded, {s['images_local']} already local." if self.dry_run else
             f"Images: {s['images_local']} of {s['images']} local ({s['images_downloaded']} downloaded this run), {s['images_failed']} failed."),
            f"Tracking parameters removed: {s['tracking_parameters_removed']}."
            + (f" Links between issues pointed at their new pages: {s['links_between_issues_rewritten']}."
               if s["links_between_issues_rewritten"] else ""),
        ]
        if s["images_from_archive"]:
            out.append(f"Images taken from the Wayback Machine because their host failed: {s['images_from_archive']} "
                       "(each has `archive` in the report).")
        if s["drafts_for_part_of_the_readers"]:
            kinds = sorted(key.split(":", 1)[1] for key in self._counts if key.startswith("held:"))
            by_kind = ", ".join(f"{kind}: {self._counts['held:' + kind]}" for kind in kinds)
            out.append(f"Written as drafts because they were only for part of the readers: {s['drafts_for_part_of_the_readers']} "
                       f"({by_kind}); publish them on purpose with --platform-option publish_audiences={','.join(kinds)}.")
        if self.starter is not None and self.starter.written:
            out.append("Wrote a starter Hugo site (hugo.toml and layouts/), as the site folder had no Hugo configuration: "
                       "plain `hugo` in it now builds the site. Edit hugo.toml (baseURL, title); the tool never touches it again.")
        if self.temporary_files_removed:
            out.append(f"Removed {self.temporary_files_removed} temporary file(s) an interrupted run left behind.")
        for note in self.notes:
            out.append(f"Note on {note['source']}: {note['warning']}")
        skipped: dict[str, list[str]] = {}
        for item in sorted(self.skipped, key=lambda i: i["order"]):
            if not item.get("left_in_place"):  # those are in the to-do
                skipped.setdefault(item["reason"], []).append(f"id {item['id']}")
        for reason, ids in skipped.items():
            out.append(f"Skipped {', '.join(ids)}: {reason}.")
        todo = self.todo
        if todo is None:  # a dry run, or a report read without its site: this run's findings alone
            todo = ToDo()
            todo.record_run(self, self.source, source_read=True)
        findings = attention_lines(todo, Path(self.site), self.config)
        if findings:
            out.append("")
            out.append("What would need attention:" if self.dry_run else
                       "Needs attention (kept until resolved; `newsletter-migrate status` shows it again):")
            out += findings
        out.append("")
        out += next_lines(Path(self.site), self.dry_run)
        return out
