"""Where each issue's file goes: `content/<section>/<NNN>.md` unless configured otherwise."""
from __future__ import annotations

import string
from dataclasses import dataclass

from ..errors import UserError
from ..files import safe_component
from ..record import Issue


def slugify(text: str) -> str:
    """python-slugify's slug of a text, its module imported at the first slug: a sync that finds
    nothing changed names no new file, and never pays for it."""
    from slugify import slugify as make_slug

    return make_slug(text)


TEMPLATE_FIELDS = {"section", "name", "number", "slug", "id", "year", "month"}
DEFAULT_TEMPLATE = "content/{section}/{name}.md"


def check_template(template: str) -> None:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise UserError(f"The path template {template!r} is malformed ({exc}); use fields like {{section}}/{{name}}.md.") from None
    unknown = names - TEMPLATE_FIELDS
    if unknown:
        raise UserError(f"The path template uses unknown field(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(TEMPLATE_FIELDS))}.")
    if not template.endswith(".md"):
        raise UserError(f"The path template {template!r} must end in .md so Hugo reads the files.")


@dataclass
class PathLayout:
    section: str = "issues"
    template: str = DEFAULT_TEMPLATE
    number_width: int = 3

    def __post_init__(self) -> None:
        check_template(self.template)
        # platform -> path -> the id of the issue holding it: two platforms migrated into one site
        # may both have an issue "3". By platform, not a (platform, id) tuple per issue, for the
        # run's memory (a site holds one platform, or a few).
        self._claimed: dict[str, dict[str, str]] = {}

    def claim(self, path: str, platform: str, source_id: str) -> None:
        """Mark a path as taken (by an issue an earlier run wrote), so no other issue takes it."""
        if self._holder(path) is None:
            self._claimed.setdefault(platform, {})[path] = source_id

    def _holder(self, path: str) -> tuple[str, str] | None:
        """The issue holding a path, as (platform, id)."""
        for platform, paths in self._claimed.items():
            if path in paths:
                return platform, paths[path]
        return None

    def name_of(self, issue: Issue) -> str:
        if issue.number is not None:
            return f"{issue.number:0{self.number_width}d}"
        return slugify(issue.slug or "") or slugify(issue.title or "") or f"issue-{issue.source_id}"

    def path_for(self, issue: Issue) -> str:
        """The site-relative path for an issue; a path another issue already took gets the id added."""
        date = issue.date
        values = {
            "section": self.section,
            "name": self.name_of(issue),
            "number": f"{issue.number:0{self.number_width}d}" if issue.number is not None else "",
            "slug": slugify(issue.slug or issue.title or "") or issue.source_id,
            "id": issue.source_id,
            "year": f"{date.year:04d}" if date else "undated",
            "month": f"{date.month:02d}" if date else "undated",
        }
        safe = {key: safe_component(value, fallback=issue.source_id or "issue") for key, value in values.items()}
        path = "/".join(part for part in self.template.format(**safe).split("/") if part)
        me = (issue.platform, issue.source_id)
        owner = self._holder(path)
        if owner is not None and owner != me:
            stem = f"{path[:-3]}-{safe_component(issue.source_id)}"
            path, copy = f"{stem}.md", 2
            while (self._holder(path) or me) != me:
                path, copy = f"{stem}-{copy}.md", copy + 1
            taken_by = owner[1] if owner[0] == issue.platform else f"{owner[1]} of {owner[0]}"
            issue.warnings.append(f"its file name was taken by issue {taken_by}, so it is written to {path}")
        if self._holder(path) is None:
            self._claimed.setdefault(issue.platform, {})[path] = issue.source_id
        return path
