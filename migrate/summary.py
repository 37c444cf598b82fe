"""What a run says at its end, in plain words: what happened, what needs attention, what to do.

Findings are grouped so that a person reads them once: images that stayed remote by host and
reason, with the one command that mends them; identical warnings once, with the files they
concern; missing titles and dates as the override to paste. The same groups make `status`.
"""
from __future__ import annotations

import shlex
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from .attention import ToDo
from urllib.parse import urlsplit

SHOWN = 5  # names listed per group before "and N more"


@dataclass(frozen=True)
class ImageTrouble:
    """A kind of image failure, as the author can act on it."""

    what: str           # what happened, in plain words
    mend: tuple = ()    # (advice, extra retry-failed words) pairs; {host} is the host, {origin} scheme://host[:port]


_RETRY_LATER = ("if it is only down, retry later", ())
_MIRROR = ("if it is dead, point it at a copy", ("--remap", "{origin}=URL-OF-A-COPY"))
_ARCHIVE = ("the Wayback Machine may hold copies", ("--wayback-images",))

# Our own failure messages (migrate/http.py, migrate/assets.py) -> what the author can do. Each
# is pinned by a test that provokes the failure from a loopback server.
_TROUBLES: list[tuple[tuple[str, ...], ImageTrouble]] = [
    (("cannot resolve",), ImageTrouble("the host does not resolve", (_MIRROR, _RETRY_LATER))),
    (("cannot connect",), ImageTrouble("the host refuses connections", (_MIRROR, _RETRY_LATER))),
    (("HTTP 404 ", "HTTP 410 "), ImageTrouble("the host says the image is gone (404/410)", (_ARCHIVE,))),
    (("non-public address",), ImageTrouble("the host's address is private", (("if you trust it, allow it", ("--allow-host", "{host}")),))),
    (("timed out",), ImageTrouble("the host did not answer in time", (("retry later", ()),))),
    (("HTML page", "not an image"), ImageTrouble("what came back is not an image (the image is probably gone)", (_ARCHIVE,))),
    (("byte cap",), ImageTrouble("the image is larger than max_image_mb", (("raise max_image_mb in your config, then", ()),))),
    (("its limit",), ImageTrouble("the run reached max_images_run_mb", (("fetch the rest", ()),))),
    (("refused:",), ImageTrouble("an SVG with active content, refused on purpose: it stays remote")),
    (("HTTP 5", "HTTP 429"), ImageTrouble("the host failed to answer", (("retry later", ()),))),
]
_OTHER = ImageTrouble("it could not be fetched", (("retry later", ()),))


def image_trouble(reason: str) -> ImageTrouble:
    for needles, trouble in _TROUBLES:
        if any(needle in reason + " " for needle in needles):
            return trouble
    return _OTHER


def _origin(url: str) -> tuple[str, str]:
    """Where an image lives, as a person names it (the host, with its port if any) and as --remap
    matches it (scheme, host and port)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "", ""
    if not host:
        return "", ""
    named = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL spells it
    return named + port, f"{parts.scheme}://{named}{port}"


def _mend(trouble: ImageTrouble, host: str, origin: str, site: Path) -> str:
    hostname = urlsplit(origin).hostname or host
    steps = [f"{advice}: {command('retry-failed', '--site', site, *(w.format(host=hostname, origin=origin) for w in words))}"
             for advice, words in trouble.mend]
    return trouble.what + (": " + "; ".join(steps) if steps else "")


def command(*words) -> str:
    """A command line the author can paste, quoted for the shell, in backticks."""
    return "`newsletter-migrate " + " ".join(shlex.quote(str(w)) for w in words) + "`"


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _label(item: dict) -> str:
    """An issue as the author finds it: its file first, then the source's id."""
    return f"{item['output']} (id {item['id']})" if item.get("output") else f"id {item['id']}"


def attention_lines(todo: ToDo, site: Path, config: str | None = None) -> list[str]:
    """The to-do, grouped, each group with what to do."""
    out: list[str] = []

    if todo.failed_images:
        groups: dict[tuple[str, ImageTrouble], list] = defaultdict(list)
        for image in todo.failed_images:
            groups[(*_origin(image.url), image_trouble(image.reason))].append(image)
        files = {f for image in todo.failed_images for f in image.files}
        out.append(f"- {len(todo.failed_images)} image(s) stayed remote, in {len(files)} file(s) (their old address is kept):")
        for (host, origin, trouble), images in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0][0], g[0][2].what)):
            out.append(f"    {len(images)} on {host or 'no host (inline data: images)'}: {_mend(trouble, host, origin, site)}.")

    failing = [(item, failure) for item in todo.issues.values() for failure in item.get("failures", [])]
    if failing:
        out.append(f"- {len(failing)} issue(s) could not be converted (the tool's fault, not yours: the full error is in the report):")
        out += [f"    {_label(item)}: {failure}" for item, failure in failing]

    unreadable = [problem for problems in todo.unreadable.values() for problem in problems]
    if unreadable:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for problem in unreadable:
            by_reason[problem["reason"]].append(problem["entry"])
        out.append(f"- {len(unreadable)} entr(y/ies) of the source could not be read:")
        for reason, entries in by_reason.items():
            out.append(f"    {reason}: {_names(entries)}" if len(entries) > 1 else f"    {entries[0]}: {reason}")

    needing = [item for item in todo.issues.values() if item.get("needs")]
    if needing:
        out += _override_lines(needing, site, config)

    inferred = [item for item in todo.issues.values() if item.get("inferred")]
    if inferred:
        count = sum(len(item["inferred"]) for item in inferred)
        out.append(f"- {count} old path(s) were rebuilt from titles, not stated by the source; check them (an override's "
                   "`aliases:` that lists a path confirms it):")
        out += [f"    {item['output']}: {', '.join(item['inferred'])}" for item in inferred[:SHOWN]]
        if len(inferred) > SHOWN:
            out.append(f"    and {len(inferred) - SHOWN} more file(s): see {Path(site) / '.migrate' / 'report.html'}")

    warned: dict[str, list[str]] = defaultdict(list)
    for item in todo.issues.values():
        for warning in item.get("warnings", []):
            warned[warning].append(_label(item))
    for warning, labels in warned.items():
        if len(labels) == 1:
            out.append(f"- {labels[0]}: {warning}")
        else:
            out.append(f"- {len(labels)} issues: {warning}")
            out.append(f"    {_names(labels)}")

    if todo.conflicts:
        out.append(f"- {len(todo.conflicts)} file(s) were edited by hand; the new version waits beside each: merge them, or "
                   f"overwrite them with {command('sync', '--site', site, '--force')}:")
        out.append(f"    {_names([c['incoming'] for c in todo.conflicts])}")
    if todo.gone:
        out.append(f"- {len(todo.gone)} issue(s) are no longer at the source; their files are kept (delete them if they should go):")
        out.append(f"    {_names([_label(item) for item in todo.gone.values()])}")
    if todo.left_in_place:
        out.append(f"- {len(todo.left_in_place)} file(s) an override now skips were written before and are left in place; "
                   "delete them if they should go:")
        out.append(f"    {_names([_label(item) for item in todo.left_in_place.values()])}")
    return out


# What an override to paste says in place of the value the author must supply.
PLACEHOLDERS = {"title": "TITLE", "date": "YYYY-MM-DD"}


def _override_lines(needing: list[dict], site: Path, config: str | None) -> list[str]:
    """Issues that need a title or a date: the overrides to paste, and where."""
    fields = sorted({name for item in needing for name in item["needs"]})
    snippet = {"overrides": {str(item["id"]): {name: PLACEHOLDERS.get(name, "...") for name in sorted(item["needs"])}
                             for item in needing}}
    where = (f"add these under `overrides:` in {config}, fill them in, then {command('sync', '--site', site)}" if config else
             f"save these as migrate.yaml, fill them in, then {command('run', '--site', site, '--config', 'migrate.yaml')} "
             "(the site remembers the file)")
    out = [f"- {len(needing)} issue(s) need a {' and a '.join(fields)}; {where}:"]
    out += ["    " + line for line in yaml.safe_dump(snippet, sort_keys=False, allow_unicode=True).splitlines()]
    for item in needing:
        hints = "; ".join(f"{name}: {hint}" for name, hint in sorted(item["needs"].items()))
        out.append(f"    # {item['id']} is {item.get('output') or 'not written'}"
                   + (f" ({item['title']!r})" if item.get("title") else "") + f" — {hints}")
    return out


def next_lines(site: Path, dry_run: bool) -> list[str]:
    if dry_run:
        return [f"Nothing was written (a dry run). Without --dry-run the site goes to {site}/."]
    return [f"The site is in {site}/; look at it with {command('preview', '--site', site)}, and at this run's report "
            f"in {Path(site) / '.migrate' / 'report.html'}.",
            f"Next: {command('check', '--site', site)} before you publish; {command('sync', '--site', site)} "
            "picks up what is new or changed at the source."]
