"""What needs the author's attention, kept from run to run until it is resolved.

A run's report says what that run saw; a sync that finds nothing changed sees nothing, but the
issue that had no date still has none. The state store keeps each issue's report entry from the
last run that converted it (warnings, failures, a missing title or date, old paths rebuilt from
the title); `SITE/.migrate/attention.json` keeps, per source, the entries that could not be read,
and the files that a decision waits on (an issue gone from the source, a file an override now
skips). A run replaces what it saw again and keeps the rest. What the site itself can tell is
read from it when needed: failed images and hand-edit conflicts come from the state store, so a
`retry-failed` that fetches an image, or a file that is deleted, clears its item at once.

Each run's report is also kept in `SITE/.migrate/reports/` (the newest RUNS_KEPT of them).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_write, atomic_write_stream
from .record import image_failure_text
from .state import StateStore
from .writer import incoming_path

ATTENTION_PATH = ".migrate/attention.json"
REPORTS_DIR = ".migrate/reports"
RUNS_KEPT = 20


def issue_key(platform: str, source_id: str) -> str:
    return f"{platform}/{source_id}"


@dataclass
class FailedImage:
    url: str
    reason: str
    attempts: int
    files: list[str]  # the issues' files that show it


@dataclass
class ToDo:
    """The cumulative to-do of a site."""

    issues: dict[str, dict] = field(default_factory=dict)        # issue key -> what its last conversion found (if anything)
    unreadable: dict[str, list[dict]] = field(default_factory=dict)  # source -> entries it could not read
    gone: dict[str, dict] = field(default_factory=dict)          # issue key -> {id, title, output}
    left_in_place: dict[str, dict] = field(default_factory=dict)  # issue key -> {id, output, reason}
    # Read from the state store, never kept in the file.
    failed_images: list[FailedImage] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    # ------------------------------------------------------------------ reading
    @classmethod
    def load(cls, site: Path, state: StateStore | None = None) -> "ToDo":
        """The site's to-do: the kept file, checked against the files and the state store."""
        todo = cls()
        path = Path(site) / ATTENTION_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}  # none yet, or damaged: the next run writes it afresh
        if isinstance(data, dict):
            for name in ("unreadable", "gone", "left_in_place"):
                if isinstance(data.get(name), dict):
                    setattr(todo, name, data[name])
        # A decision already taken on disk: the file is gone.
        for items in (todo.gone, todo.left_in_place):
            for key in [key for key, item in items.items() if not (Path(site) / str(item.get("output", ""))).is_file()]:
                del items[key]
        if state is not None:
            todo.read_state(state, site)
        return todo

    def read_state(self, state: StateStore, site: Path) -> None:
        """What the state store and the site's files tell: each issue's findings, the hand-edit
        conflicts still waiting, and the failed images that a present issue still shows."""
        for entry in state.entries():
            found = issue_findings(entry)
            if found:
                self.issues[issue_key(entry["platform"], entry["id"])] = found
        # Only the failed images' users are gathered, one issue row at a time: a site of thousands
        # of issues (and of images) costs no more memory here than its failures do.
        failed = state.images("failed")
        used_by: dict[str, list[str]] = {image.url: [] for image in failed}
        for row in state.each_issue():
            if row.gone:  # its file waits on a decision (see `gone`), not on its images
                continue
            if used_by:
                for url in row.images:
                    if url in used_by:
                        used_by[url].append(row.output_path)
            if row.incoming_hash:
                waiting = incoming_path(Path(site) / row.output_path)
                if waiting.exists():  # deleted by the author: the conflict is settled
                    self.conflicts.append({"id": row.source_id, "output": row.output_path,
                                           "incoming": waiting.relative_to(Path(site)).as_posix()})
        self.failed_images = [FailedImage(image.url, _without_attempt(image.reason or ""), image.attempts, sorted(set(used_by[image.url])))
                              for image in failed if used_by[image.url]]

    @property
    def empty(self) -> bool:
        return not (self.issues or self.unreadable or self.gone or self.left_in_place or self.failed_images or self.conflicts)

    # ------------------------------------------------------------------ a run's findings
    def record_run(self, report, source: str, source_read: bool, present: set[str] = frozenset()) -> None:
        """Take in what a run found: the issues it converted replace their earlier findings; a
        source it read whole replaces the list of its unreadable entries. `present`: the issues
        the run found at the source (converted or not): none of them is gone, and none waits on a
        decision about a skip any more unless the run skipped it again."""
        for key in present:
            self.gone.pop(key, None)
            self.left_in_place.pop(key, None)
        for entry in report.entries():
            key = issue_key(entry["platform"], entry["id"])
            self.gone.pop(key, None)
            self.left_in_place.pop(key, None)
            found = issue_findings(entry)
            if found:
                self.issues[key] = found
            else:
                self.issues.pop(key, None)
        for item in report.skipped:
            key = issue_key(item["platform"], item["id"])
            self.issues.pop(key, None)
            if item.get("left_in_place"):
                self.left_in_place[key] = {"id": item["id"], "output": item["left_in_place"], "reason": item["reason"]}
        for item in report.gone:
            self.gone[issue_key(item["platform"], item["id"])] = {"id": item["id"], "title": item["title"], "output": item["output"]}
        if source_read:
            problems = [{"entry": p["source"], "reason": p["reason"]} for p in sorted(report.problems, key=lambda p: p["order"])]
            if problems:
                self.unreadable[source] = problems
            else:
                self.unreadable.pop(source, None)

    def save(self, site: Path) -> None:
        data = {"unreadable": self.unreadable, "gone": self.gone, "left_in_place": self.left_in_place}
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        atomic_write(Path(site) / ATTENTION_PATH, text.encode("utf-8"))


def issue_findings(entry: dict) -> dict:
    """What of a report entry needs the author: empty when nothing does."""
    # Images fetched from a host are followed in the state store; the others stay issue failures.
    image_failures = {image_failure_text(image["url"], image["error"]) for image in entry["images"]
                      if image.get("error") and image["url"].startswith(("http://", "https://"))}
    found = {
        "id": entry["id"], "title": entry["title"], "output": entry["output"],
        "needs": entry.get("needs") or {},
        "inferred": [p["path"] for p in entry["old_paths"] if p["inferred"]],
        "warnings": [w for w in entry["warnings"] if not w.startswith("was edited by hand")],  # a conflict, listed as one
        "failures": [f for f in entry["failures"] if f not in image_failures],  # images are read from the state
    }
    return found if any(found[name] for name in ("needs", "inferred", "warnings", "failures")) else {}


def _without_attempt(reason: str) -> str:
    """A failure's reason without the attempt count the state store appends."""
    head, sep, tail = reason.rpartition(" (attempt ")
    return head if sep and tail.rstrip(")").isdigit() else reason


# ---------------------------------------------------------------------- the reports of earlier runs

def keep_report(site: Path, report_path: Path, mode: str) -> Path | None:
    """Keep a copy of the run's report under `.migrate/reports/`, numbered in run order, and
    drop the oldest past RUNS_KEPT. The copy is a hard link where the disk allows (reports are
    written by rename, so the link keeps this run's version)."""
    folder = Path(site) / REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    numbered = sorted((int(p.name.split("-", 1)[0]), p) for p in folder.glob("*.json") if p.name.split("-", 1)[0].isdigit())
    numbers = [number for number, _ in numbered]
    kept = folder / f"{(numbers[-1] + 1) if numbers else 1:04d}-{mode}.json"
    try:
        os.link(report_path, kept)
    except OSError:  # a disk without hard links: an atomic copy
        with open(report_path, "rb") as handle:
            atomic_write_stream(kept, iter(lambda: handle.read(1 << 16), b""))
    for _, old in numbered[:max(0, len(numbered) + 1 - RUNS_KEPT)]:  # by number, not name: run 10000 sorts after 9999
        old.unlink(missing_ok=True)
    return kept
