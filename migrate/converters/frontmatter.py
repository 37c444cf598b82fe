"""Front matter, written by PyYAML and never by string formatting."""
from __future__ import annotations

import datetime as dt

import yaml

from ..record import Issue
from ..urls import alias_form


class FrontMatterDumper(yaml.SafeDumper):
    """SafeDumper with list items indented under their key, as the reference site writes them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_datetime(dumper: yaml.SafeDumper, value: dt.datetime):
    value = value.astimezone(dt.timezone.utc).replace(microsecond=0)
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.strftime("%Y-%m-%dT%H:%M:%SZ"))


FrontMatterDumper.add_representer(dt.datetime, _represent_datetime)


def front_matter_fields(issue: Issue, date_format: str = "date") -> dict:
    """The fields, in the order a reader expects them."""
    fields: dict = {}
    if issue.title:
        fields["title"] = issue.title
    if issue.date is not None:
        date = issue.date
        if date_format == "date" and isinstance(date, dt.datetime):
            date = date.astimezone(dt.timezone.utc).date()
        fields["date"] = date
    if issue.number is not None:
        fields["number"] = issue.number
    # An alias is where Hugo writes the redirect page: the path decoded, as a server looks it up.
    aliases = [alias_form(p.path) for p in issue.old_paths]
    aliases += [url for url in issue.previous_urls if url not in aliases]
    if aliases:
        fields["aliases"] = aliases
    if issue.description:
        fields["description"] = issue.description
    if issue.draft:
        fields["draft"] = True
    for name, value in issue.params.items():
        fields.setdefault(name, value)
    return fields


def render_front_matter(fields: dict) -> str:
    return yaml.dump(fields, Dumper=FrontMatterDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1_000_000)


def render_document(fields: dict, markdown: str) -> str:
    """A content file: YAML front matter between `---` lines, a blank line, then the body."""
    head = render_front_matter(fields) if fields else ""
    return "---\n" + head + "---\n" + ("\n" + markdown if markdown else "")


def without_aliases(document: str, keep) -> str | None:
    """A content file the tool wrote, with the aliases `keep(alias)` refuses taken out of its
    front matter (and the field with them, when none is left); None when it has none to take.
    The front matter is read and written again by the YAML library, the body left as it is."""
    from ..yamldata import load

    if not document.startswith("---\n"):
        return None
    end = document.find("\n---\n", 3)
    if end < 0:
        return None
    fields = load(document[4:end + 1], aliases=True)
    aliases = fields.get("aliases") if isinstance(fields, dict) else None
    if not isinstance(aliases, list):
        return None
    kept = [alias for alias in aliases if keep(alias)]
    if len(kept) == len(aliases):
        return None
    if kept:
        fields["aliases"] = kept
    else:
        del fields["aliases"]
    return "---\n" + render_front_matter(fields) + document[end + 1:]
