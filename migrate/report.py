"""The run report: a JSON file in the site folder, and the summary printed at the end."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .files import atomic_write
from .record import Issue, SourceProblem

REPORT_PATH = ".migrate/report.json"


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


@dataclass
class RunReport:
    platform: str
    source: str
    site: str
    dry_run: bool = False
    mode: str = "run"
    issues: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    gone: list[dict] = field(default_factory=list)
    images_downloaded: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    up_to_date: int = 0
    temporary_files_removed: int = 0

    # ------------------------------------------------------------------ recording
    def add_issue(self, issue: Issue, outcome=None) -> None:
        """Record a processed issue and what the writer did with it (None: it failed before)."""
        action = outcome.action if outcome else None
        self.issues.append({
            "order": issue.order,
            "id": issue.source_id,
            "title": issue.title,
            "number": issue.number,
            "date": _date(issue.date),
            "draft": issue.draft,
            "source": issue.source_ref,
            "output": issue.output_path,
            "action": action,
            "incoming": outcome.incoming if outcome else None,
            "moved_from": (outcome.removed_old or outcome.kept_old) if outcome else None,
            "old_paths": [{"path": p.path, "inferred": p.inferred} for p in issue.old_paths],
            "images": [{k: v for k, v in (("url", i.url), ("local", i.local), ("file", i.file), ("error", i.error)) if v}
                       for i in issue.images],
            "tracking_parameters_removed": issue.tracking_removed,
            "warnings": list(issue.warnings),
            "failures": list(issue.failures),
        })
        if action == "written":
            self.files_written += 1
        elif action == "unchanged":
            self.files_unchanged += 1

    def add_gone(self, row) -> None:
        """An issue the last run wrote that the source no longer has: reported, never deleted."""
        self.gone.append({"id": row.source_id, "title": row.title, "output": row.output_path})

    def add_problem(self, problem: SourceProblem) -> None:
        self.problems.append({"order": problem.order, "source": problem.source_ref, "reason": problem.reason})

    def add_skipped(self, issue: Issue) -> None:
        self.skipped.append({"order": issue.order, "id": issue.source_id, "title": issue.title,
                             "source": issue.source_ref, "reason": issue.skip_reason})

    # ------------------------------------------------------------------ reading
    @property
    def failed_issues(self) -> list[dict]:
        return [i for i in self.issues if i["failures"]]

    @property
    def unconverted(self) -> list[dict]:
        """Issues that failed before their file could be written (as against a failed image)."""
        return [i for i in self.issues if i["action"] is None]

    @property
    def conflicts(self) -> list[dict]:
        return [i for i in self.issues if i["action"] == "conflict"]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed_issues

    def summary(self) -> dict:
        images = [img for i in self.issues for img in i["images"]]
        return {
            "issues_found": len(self.issues) + len(self.skipped) + len(self.problems) + self.up_to_date,
            "issues_written": sum(1 for i in self.issues if i["action"] in ("written", "unchanged", "would-write")),
            "files_changed": self.files_written,
            "files_unchanged": self.files_unchanged,
            "up_to_date": self.up_to_date,
            "conflicts": len(self.conflicts),
            "gone_from_source": len(self.gone),
            "issues_skipped": len(self.skipped),
            "issues_with_failures": len(self.failed_issues),
            "source_problems": len(self.problems),
            "images": len(images),
            "images_local": sum(1 for img in images if img.get("local")),
            "images_downloaded": self.images_downloaded,
            "images_failed": sum(1 for img in images if img.get("error")),
            "tracking_parameters_removed": sum(i["tracking_parameters_removed"] for i in self.issues),
            "inferred_old_paths": sum(1 for i in self.issues for p in i["old_paths"] if p["inferred"]),
            "warnings": sum(len(i["warnings"]) for i in self.issues),
        }

    def to_json(self) -> str:
        data = {
            "tool": f"newsletter-migrate {__version__}",
            "platform": self.platform,
            "source": self.source,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "issues": sorted(self.issues, key=lambda i: i["order"]),
            "skipped": sorted(self.skipped, key=lambda i: i["order"]),
            "problems": sorted(self.problems, key=lambda i: i["order"]),
            "gone_from_source": self.gone,
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def write(self, site: Path) -> Path:
        path = Path(site) / REPORT_PATH
        atomic_write(path, self.to_json().encode("utf-8"))
        return path

    def lines(self) -> list[str]:
        """The human summary: counts first, then every failure and warning by issue."""
        s = self.summary()
        verb = "would be written" if self.dry_run else "written"
        out = [
            f"{s['issues_found']} issue(s) found: {s['issues_written']} {verb}"
            + ("" if self.dry_run else f" ({s['files_changed']} changed, {s['files_unchanged']} unchanged)")
            + (f", {s['conflicts']} kept as edited by hand" if s["conflicts"] else "")
            + (f", {s['up_to_date']} up to date" if self.mode != "run" else "")
            + f", {s['issues_skipped']} skipped, {s['issues_with_failures']} with failures, {s['source_problems']} unreadable.",
            f"Images: {s['images_local']} of {s['images']} local ({s['images_downloaded']} downloaded this run), {s['images_failed']} failed.",
            f"Tracking parameters removed: {s['tracking_parameters_removed']}.",
        ]
        if self.dry_run:
            out[1] = f"Images: {s['images']} would be downloaded."
            for issue in sorted(self.issues, key=lambda i: i["order"]):
                out.append(f"would write {issue['output']} ({len(issue['images'])} image(s), {len(issue['old_paths'])} alias(es))")
        if s["inferred_old_paths"]:
            out.append(f"Old paths rebuilt from titles (check them): {s['inferred_old_paths']}.")
        if self.temporary_files_removed:
            out.append(f"Removed {self.temporary_files_removed} temporary file(s) an interrupted run left behind.")
        for issue in self.conflicts:
            out.append(f"CONFLICT {issue['output']}: edited by hand; the new version is in {issue['incoming']} (--force overwrites)")
        for item in self.gone:
            out.append(f"GONE id {item['id']} ({item['output']}): no longer at the source; the file is kept")
        for problem in sorted(self.problems, key=lambda p: p["order"]):
            out.append(f"UNREADABLE {problem['source']}: {problem['reason']}")
        for item in sorted(self.skipped, key=lambda i: i["order"]):
            out.append(f"SKIPPED id {item['id']}: {item['reason']}")
        for issue in sorted(self.issues, key=lambda i: i["order"]):
            label = f"#{issue['number']}" if issue["number"] is not None else f"id {issue['id']}"
            for failure in issue["failures"]:
                out.append(f"FAILED {label}: {failure}")
            for warning in issue["warnings"]:
                if not warning.startswith("was edited by hand"):  # already listed as a CONFLICT
                    out.append(f"WARNING {label}: {warning}")
        return out
