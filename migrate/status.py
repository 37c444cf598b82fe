"""`newsletter-migrate status`: what the site holds compared with what the tool last wrote.

Read from the state store and the files alone; given the source as well, it also counts the
issues that changed there since (a dry sync that writes nothing).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .attention import ToDo
from .errors import UserError
from .settings import Settings
from .summary import attention_lines, command
from .files import sha256_file
from .runlock import holder as lock_holder
from .state import STATE_PATH, StateError, StateStore
from .writer import incoming_path


@dataclass
class SiteStatus:
    site: str
    last_run: str | None = None
    known: int = 0
    up_to_date: int = 0
    edited_locally: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed_images: list[dict] = field(default_factory=list)
    changed_at_source: list[str] | None = None  # None: the source was not consulted
    # Unchanged at the source, but the next sync writes them again: a failed image to fetch, a
    # changed setting or mapping, a missing file.
    to_redo: list[str] | None = None
    last_run_reason: str | None = None
    last_run_failures: dict = field(default_factory=dict)  # what the last run could not do, by kind
    # What needs the author (see attention.py): kept from run to run until resolved.
    attention: list[str] = field(default_factory=list)
    in_progress: str | None = None  # a run holding the site's lock right now: since when, which process


def _running_since(holder: dict) -> str:
    return f"since {holder.get('started', 'an unknown time')}, process {holder.get('pid', '?')}"


def site_status(site: Path, options=None) -> SiteStatus:
    try:
        state = StateStore.open_existing(site, read_only=True)
    except StateError:
        running = lock_holder(site)
        if running is None:
            raise
        # A run that has just started is creating the state store: nothing to count yet.
        return SiteStatus(str(site), last_run=None, last_run_reason=None,
                          in_progress=_running_since(running))
    if state is None:
        raise UserError(f"{Path(site) / STATE_PATH} does not exist; run `newsletter-migrate run` into this site first.")
    try:
        status = SiteStatus(str(site), last_run=state.meta("run_state"), last_run_reason=state.meta("run_state_reason") or None)
        running = lock_holder(site)
        if running is not None:
            status.in_progress = _running_since(running)
        try:
            status.last_run_failures = {k: v for k, v in json.loads(state.meta("last_run") or "{}").items() if v}
        except ValueError:
            pass
        rows = state.issues()
        as_written: list[str] = []  # files as the tool wrote them
        for row in rows:
            status.known += 1
            path = Path(site) / row.output_path
            digest = sha256_file(path)
            if row.incoming_hash and incoming_path(path).exists():
                status.conflicts.append(row.output_path)
            elif digest is None:
                status.missing.append(row.output_path)
            elif digest != row.output_hash:
                status.edited_locally.append(row.output_path)
            else:
                as_written.append(row.output_path)
        todo = ToDo.load(site, state)
        # The failed images an issue of the site still shows: the ones retry-failed can fetch.
        status.failed_images = [{"url": i.url, "attempts": i.attempts, "reason": i.reason} for i in todo.failed_images]
        config = options.config if options is not None else None
        if config is None:
            remembered = Settings.load(site)
            config = remembered.config if remembered else None
        status.attention = attention_lines(todo, Path(site), str(config) if config else None)
    finally:
        state.close()
    if options is not None:
        from .pipeline import Mode, run

        options.dry_run = True
        hashes = {(row.platform, row.source_id): row.source_hash for row in rows}
        redone: list = []
        run(options, Mode.SYNC, on_issue=lambda issue: issue is not None and redone.append(issue))
        changed = {id(issue) for issue in redone if hashes.get((issue.platform, issue.source_id)) != issue.source_hash}
        status.changed_at_source = sorted(issue.output_path or issue.source_id for issue in redone if id(issue) in changed)
        status.to_redo = sorted(issue.output_path or issue.source_id for issue in redone if id(issue) not in changed)
        # Their files as the tool last wrote them (a changed setting may give them new paths).
        written_at = {(row.platform, row.source_id): row.output_path for row in rows}
        stale = {written_at.get((issue.platform, issue.source_id)) for issue in redone}
    else:
        stale = set()
    # Up to date: as written, and (when the source was asked) nothing for the next sync to do.
    status.up_to_date = sum(1 for path in as_written if path not in stale)
    return status


def _last_run(status: SiteStatus) -> str:
    if status.in_progress:
        return f"still in progress ({status.in_progress}): these figures change as it goes"
    if status.last_run == "running":
        return "interrupted before it finished (the next sync completes it)"
    if status.last_run == "incomplete" and status.last_run_reason:
        return f"incomplete: {status.last_run_reason}"
    return status.last_run or "never finished"


def format_status(status: SiteStatus, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(asdict(status), indent=2, ensure_ascii=False)
    changed = (f"not checked ({command('status', '--site', status.site, '--compare')} asks the source)"
               if status.changed_at_source is None else str(len(status.changed_at_source)))
    failures = status.last_run_failures
    had = [f"{failures[key]} {what}" for key, what in (("issues_with_failures", "issue(s) with failures"),
                                                      ("images_failed", "image(s) failed"),
                                                      ("source_problems", "entr(y/ies) unreadable")) if failures.get(key)]
    lines = [
        f"{status.site}: {status.known} issue(s) known; the last run"
        + (f" ({failures['mode']})" if failures.get("mode") else "") + f" was {_last_run(status)}"
        + (f", with failures: {', '.join(had)}." if had else "."),
        f"  up to date:         {status.up_to_date}",
        f"  changed at source:  {changed}",
    ] + ([f"  to write again:     {len(status.to_redo)} (a failed image, a changed setting or a missing file)"]
         if status.to_redo else []) + [
        f"  edited locally:     {len(status.edited_locally)}",
        f"  conflicts:          {len(status.conflicts)}",
        f"  files missing:      {len(status.missing)}",
        f"  failed images:      {len(status.failed_images)}",
    ]
    lines += [f"  edited: {path}" for path in status.edited_locally]
    lines += [f"  conflict: {path} (new version in {path}.incoming)" for path in status.conflicts]
    lines += [f"  missing: {path} (the next sync writes it again)" for path in status.missing]
    lines += [f"  changed: {path}" for path in status.changed_at_source or []]
    if status.failed_images:
        lines.append(f"  {len(status.failed_images)} image(s) failed in earlier runs: {command('retry-failed', '--site', status.site)} "
                     "fetches them again.")
    if status.attention:
        lines += ["", "Needs attention:"] + status.attention
    elif status.known:
        lines += ["", "Nothing needs attention."]
    return "\n".join(lines)
