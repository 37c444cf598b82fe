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
    issues: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    images_downloaded: int = 0
    files_written: int = 0
    files_unchanged: int = 0

    # ------------------------------------------------------------------ recording
    def add_issue(self, issue: Issue, written: bool | None) -> None:
        self.issues.append({
            "order": issue.order,
            "id": issue.source_id,
            "title": issue.title,
            "number": issue.number,
            "date": _date(issue.date),
            "draft": issue.draft,
            "source": issue.source_ref,
            "output": issue.output_path,
            "written": written,
            "old_paths": [{"path": p.path, "inferred": p.inferred} for p in issue.old_paths],
            "images": [{k: v for k, v in (("url", i.url), ("local", i.local), ("file", i.file), ("error", i.error)) if v}
                       for i in issue.images],
            "tracking_parameters_removed": issue.tracking_removed,
            "warnings": list(issue.warnings),
            "failures": list(issue.failures),
        })
        if written:
            self.files_written += 1
        elif written is False:
            self.files_unchanged += 1

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
    def ok(self) -> bool:
        return not self.problems and not self.failed_issues

    def summary(self) -> dict:
        images = [img for i in self.issues for img in i["images"]]
        return {
            "issues_found": len(self.issues) + len(self.skipped) + len(self.problems),
            "issues_written": sum(1 for i in self.issues if i["output"] and not any(f.startswith("could not") for f in i["failures"])),
            "files_changed": self.files_written,
            "files_unchanged": self.files_unchanged,
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
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "issues": sorted(self.issues, key=lambda i: i["order"]),
            "skipped": sorted(self.skipped, key=lambda i: i["order"]),
            "problems": sorted(self.problems, key=lambda i: i["order"]),
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
        for problem in sorted(self.problems, key=lambda p: p["order"]):
            out.append(f"UNREADABLE {problem['source']}: {problem['reason']}")
        for item in sorted(self.skipped, key=lambda i: i["order"]):
            out.append(f"SKIPPED id {item['id']}: {item['reason']}")
        for issue in sorted(self.issues, key=lambda i: i["order"]):
            label = f"#{issue['number']}" if issue["number"] is not None else f"id {issue['id']}"
            for failure in issue["failures"]:
                out.append(f"FAILED {label}: {failure}")
            for warning in issue["warnings"]:
                out.append(f"WARNING {label}: {warning}")
        return out
