"""`SITE/.migrate/report.html`: the migration as a page a person looks at.

One self-contained file (inline CSS, no script, nothing fetched from anywhere): the site's totals,
what needs attention first (grouped as at the end of a run), then a row for every issue: number,
title, date, its new page, its old URLs (each marked stated or inferred), small thumbnails of its
local images, the tracking parameters removed, and its warnings with the override to paste.

Every run, sync and retry-failed writes it anew from the state store, so it shows every issue of
the site, not only those the last run converted. Rows are made one at a time as lxml elements
(lxml escapes every text and attribute as it serialises them) and streamed to the file, so a
10,000-issue site costs no more memory than a small one. Links are relative to the page's own
folder: a new page points into `public/`, where plain `hugo` in the site folder builds it; images
point into `static/`.
"""
from __future__ import annotations

import re

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import Iterator

import yaml
from lxml import etree

from . import __version__
from .attention import ToDo
from .files import atomic_write_stream
from .settings import Settings
from .state import StateStore
from .summary import PLACEHOLDERS, attention_lines
from .writer import site_url

REPORT_PAGE = ".migrate/report.html"
THUMBNAILS = 3  # per issue; the count says how many there are in all

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem; color: #1d1d1d; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.sub { color: #5f5f5f; margin: 0 0 1rem; }
.totals { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; }
.totals li { border: 1px solid #ddd; border-radius: 6px; padding: .4rem .7rem; }
.totals b { display: block; font-size: 1.2rem; }
.todo > li { margin: .4rem 0; } .todo pre { margin: .25rem 0 0; white-space: pre-wrap; font-size: 13px; background: #f6f6f6; padding: .5rem; }
.none { color: #2d6a2d; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45rem .5rem; border-bottom: 1px solid #e3e3e3; }
th { font-size: 13px; color: #5f5f5f; position: sticky; top: 0; background: #fff; }
td.num { white-space: nowrap; } td ul { margin: 0; padding-left: 1rem; }
.badge { font-size: 11px; border-radius: 4px; padding: 0 .3rem; margin-left: .25rem; background: #e8f0fe; color: #1a4a9c; }
.badge.inferred { background: #fff1d6; color: #7a4b00; }
.badge.draft { background: #eee; color: #444; }
img.thumb { width: 48px; height: 48px; object-fit: cover; border-radius: 3px; margin: 0 .2rem .2rem 0; vertical-align: middle; }
.warn { color: #7a4b00; }
.fail { color: #a31515; }
@media (max-width: 720px) {
  table, tbody, tr, td { display: block; width: auto; }
  thead { display: none; }
  tr { border: 1px solid #e3e3e3; border-radius: 6px; margin: .6rem 0; padding: .3rem; }
  td { border: 0; padding: .2rem .3rem; }
  td::before { content: attr(data-label) ": "; font-size: 12px; color: #5f5f5f; }
}
"""

_COLUMNS = ("#", "Issue", "Date", "New page", "Old URLs", "Images", "Tracking removed", "Notes")


def write_report_page(site: Path, state: StateStore) -> Path:
    """Write the page for the site as the state store has it, headed by what the last run said."""
    site = Path(site)
    path = site / REPORT_PAGE
    todo = ToDo.load(site, state)
    # Issues the store keeps no entry for (converted by a version of the tool that kept none):
    # shown with what the store knows, until the next sync converts them again.
    unreported = list(state.unreported_issues())
    totals = _site_totals(state, len(unreported))
    try:
        last_run = json.loads(state.meta("last_run") or "{}")
    except ValueError:
        last_run = {}
    remembered = Settings.load(site)
    config = remembered.config if remembered else None
    atomic_write_stream(path, (chunk.encode("utf-8") for chunk in _page(site, state, todo, totals, last_run, unreported, config)))
    return path


def _site_totals(state: StateStore, unreported: int) -> dict:
    totals = {"issues": unreported, "drafts": 0, "images": 0, "images_local": 0, "tracking": 0, "stated": 0, "inferred": 0}
    for entry in state.entries():
        totals["issues"] += 1
        totals["drafts"] += bool(entry.get("draft"))
        totals["images"] += len(entry["images"])
        totals["images_local"] += sum(1 for image in entry["images"] if image.get("local"))
        totals["tracking"] += entry["tracking_parameters_removed"]
        totals["stated"] += sum(1 for p in entry["old_paths"] if not p["inferred"])
        totals["inferred"] += sum(1 for p in entry["old_paths"] if p["inferred"])
    return totals


def _element(tag: str, *children, **attributes):
    """An element as lxml's HTML builder (`lxml.html.builder.E`) makes it, from the same arguments:
    keyword and dict arguments are attributes, a string is text after what came before, an element
    a child. Plain lxml elements: the builder's HTML element classes cost a lookup per element,
    and its module's import, on every run, for the same serialised page."""
    element = etree.Element(tag, attributes) if attributes else etree.Element(tag)
    last = None
    for child in children:
        if isinstance(child, str):
            if last is None:
                element.text = child if element.text is None else element.text + child
            else:
                last.tail = child if last.tail is None else last.tail + child
        elif isinstance(child, dict):
            for name, value in child.items():
                element.set(name, value)
        else:
            element.append(child)
            last = child
    return element


class _Builder:
    """`E.TD(...)`, `E.CLASS("x")`: the builder's spelling, over `_element`."""

    def __getattr__(self, tag: str):
        make = partial(_element, tag.lower())
        setattr(self, tag, make)  # looked up once per tag
        return make

    @staticmethod
    def CLASS(name: str) -> dict:
        return {"class": name}


E = _Builder()


def _html(element) -> str:
    # What lxml.html.tostring gives for these elements (its one change, dropping a
    # <meta http-equiv="Content-Type">, finds nothing here: the page writes none, and text and
    # attributes come out escaped).
    return etree.tostring(element, method="html", encoding="unicode")


def _page(site: Path, state: StateStore, todo: ToDo, totals: dict, last_run: dict, unreported: list,
          config: str | None) -> Iterator[str]:
    title = "Migration report"  # not the folder's name: the same input gives the same page wherever it is
    yield "<!DOCTYPE html>\n<html lang=\"en\">\n"
    yield _html(E.HEAD(E.META(charset="utf-8"), E.META(name="viewport", content="width=device-width, initial-scale=1"),
                       E.TITLE(title), E.STYLE(_STYLE))) + "\n<body>\n"
    last = (f"the last run: {last_run['mode']} of {last_run['platform']} from {last_run['source']}"
            if last_run.get("platform") else "no run recorded yet")
    yield _html(E.HEADER(E.H1(title), E.P(E.CLASS("sub"), f"newsletter-migrate {__version__}; {last}."))) + "\n"
    counts = ((totals["issues"], "issues"), (totals["drafts"], "drafts"),
              (f"{totals['images_local']} / {totals['images']}", "images local"), (len(todo.failed_images), "images remote"),
              (totals["tracking"], "tracking parameters removed"), (totals["stated"], "old paths stated"),
              (totals["inferred"], "old paths inferred"))
    section = E.SECTION(E.H2("Totals"), E.UL(E.CLASS("totals"), *[E.LI(E.B(str(value)), label) for value, label in counts]))
    if last_run.get("said"):
        section.append(E.P(E.CLASS("sub"), "The last run: " + " ".join(last_run["said"])))
    yield _html(section) + "\n"
    yield _html(_attention(todo, config)) + "\n"
    yield ('<section><h2>Every issue</h2><p class="sub">A new page opens once the site is built (plain <code>hugo</code> in '
           'the site folder builds it into <code>public/</code>); the file link opens its Markdown.</p>\n'
           '<div class="scroll"><table id="issues">\n')
    yield _html(E.THEAD(E.TR(*[E.TH(name) for name in _COLUMNS]))) + "\n<tbody>\n"
    findings = todo.issues
    for entry in state.entries():
        yield _html(_row(_printable(entry), _printable(findings.get(f"{entry['platform']}/{entry['id']}", {})))) + "\n"
    for row in unreported:
        yield _html(_unreported_row(row)) + "\n"
    yield "</tbody></table></div></section>\n</body>\n</html>\n"


def _unreported_row(row):
    """What the state store knows of an issue it keeps no entry for: its title, file and old paths."""
    title, output = _printable(row.title or f"(no title) id {row.source_id}"), _printable(row.output_path)
    later = "known after the next sync"
    cells = [E.TD({"class": "num", "data-label": "#"}, ""), E.TD({"data-label": "Issue"}, title),
             E.TD({"class": "num", "data-label": "Date"}, ""),
             E.TD({"data-label": "New page"}, E.SPAN(f"{site_url(output)} ({later})"), E.BR(),
                  E.A(output, href=f"../{output}", **{"class": "file"})),
             E.TD({"data-label": "Old URLs"}, E.UL(*[E.LI(_printable(path), E.SPAN(E.CLASS("badge"), "recorded"))
                                                     for path in row.old_paths])),
             E.TD({"data-label": "Images"}, str(len(row.images))), E.TD({"class": "num", "data-label": "Tracking removed"}, ""),
             E.TD({"data-label": "Notes"}, E.UL(E.LI(f"converted by an earlier version of the tool: its details are {later}")))]
    return E.TR({"class": "issue", "id": f"issue-{row.platform}-{row.source_id}"}, *cells)


def _attention(todo: ToDo, config: str | None):
    # Commands name the site as `.`: the page is the same wherever the site folder is.
    lines = _printable(attention_lines(todo, Path("."), config))
    section = E.SECTION(E.H2("Needs attention"))
    if not lines:
        section.append(E.P(E.CLASS("none"), "Nothing: every issue converted, every image local, nothing waits on a decision."))
        return section
    items = E.UL(E.CLASS("todo"))
    for line in lines:
        if line.startswith("- "):
            items.append(E.LI(line[2:]))
        else:  # the details of the group above: keep their layout (an overrides block to paste)
            item = items[-1]
            block = item.find("pre")
            if block is None:
                block = E.PRE()
                item.append(block)
            block.text = (block.text or "") + line[4:] + "\n"
    section.append(E.P(E.CLASS("sub"), "Run the commands shown here in the site folder."))
    section.append(items)
    return section


def _row(entry: dict, found: dict):
    output = entry.get("output")
    page = site_url(output) if output else None
    number = entry.get("number")
    cells = [
        E.TD({"class": "num", "data-label": "#"}, str(number) if number is not None else ""),
        E.TD({"data-label": "Issue"}, entry.get("title") or f"(no title) id {entry['id']}",
             *([E.SPAN(E.CLASS("badge draft"), "draft")] if entry.get("draft") else []),
             *([E.SPAN(E.CLASS("badge draft"), f"for {entry['held_for']} readers")] if entry.get("held_for") else [])),
        E.TD({"class": "num", "data-label": "Date"}, _date(entry.get("date"))),
        E.TD({"data-label": "New page"}, *(_page_links(page, output, entry.get("draft")) if output else ["not written"])),
        E.TD({"data-label": "Old URLs"}, E.UL(*[E.LI(p["path"], E.SPAN(E.CLASS("badge inferred" if p["inferred"] else "badge"),
                                                                         "inferred" if p["inferred"] else "stated"))
                                               for p in entry["old_paths"]])),
        E.TD({"data-label": "Images"}, str(len(entry["images"])), " ",
             *[E.IMG(src=f"../{image['file']}", alt="", loading="lazy", **{"class": "thumb"})
               for image in [i for i in entry["images"] if i.get("file")][:THUMBNAILS]]),
        E.TD({"class": "num", "data-label": "Tracking removed"}, str(entry["tracking_parameters_removed"])),
        E.TD({"data-label": "Notes"}, _notes(entry, found)),
    ]
    return E.TR({"class": "issue", "id": f"issue-{entry['platform']}-{entry['id']}"}, *cells)


def _page_links(page: str, output: str, draft: bool) -> list:
    """The built page (a draft has none: Hugo leaves drafts out) and the Markdown file."""
    built = (E.SPAN(page, " (a draft: not built)") if draft else E.A(page, href=f"../public{page}index.html", **{"class": "page"}))
    return [built, E.BR(), E.A(output, href=f"../{output}", **{"class": "file"})]


def _notes(entry: dict, found: dict):
    notes = E.UL()
    for failure in entry["failures"]:
        notes.append(E.LI(E.CLASS("fail"), failure))
    for warning in found.get("warnings", []):
        notes.append(E.LI(E.CLASS("warn"), warning))
    needs = found.get("needs") or {}
    if needs:
        paste = yaml.safe_dump({str(entry["id"]): {name: PLACEHOLDERS.get(name, "...") for name in sorted(needs)}}, sort_keys=False)
        notes.append(E.LI(E.CLASS("warn"), f"needs a {' and a '.join(sorted(needs))} ("
                          + "; ".join(f"{name}: {hint}" for name, hint in sorted(needs.items())) + "); under overrides:", E.PRE(paste)))
    return notes


# What XML (and so lxml) cannot hold in text: control characters but tab and line ends. A hostile
# title keeps everything else; these show as U+FFFD.
_NOT_XML = {code: "\ufffd" for code in [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF]}


# A character that may need replacing: a control character, or one from U+D800 up (a surrogate,
# U+FFFE, U+FFFF); one search in C, so most text (which holds none) is passed over at once.
_SUSPECT = re.compile("[\x00-\x1f\ud800-\U0010ffff]")


def _printable(value):
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value.translate(_NOT_XML)) \
            if _SUSPECT.search(value) else value
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


def _date(value) -> str:
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return str(value)
