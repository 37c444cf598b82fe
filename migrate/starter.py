"""A site that builds on its own: a minimal Hugo configuration and layout for a site folder that
has none.

A migration writes content; Hugo needs a configuration and templates to turn it into pages. When
the site folder has no Hugo configuration of its own, a run writes the starter in
`migrate/hugo/starter/` (a `hugo.toml` and a small, readable layout: the issue list newest first,
each issue with its title, date and number, previous and next links, an RSS feed), so that plain
`hugo` in the folder builds a site a reader would accept. A site that has a configuration or a
theme is never touched; `newsletter-migrate starter` writes the starter into one on request,
writing no file that exists already.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_write, inside

HUGO_FILES = Path(__file__).resolve().parent / "hugo"
STARTER = HUGO_FILES / "starter"
# Every name Hugo reads its configuration from (and a config/ folder besides).
SITE_CONFIGS = tuple(f"{stem}.{ext}" for stem in ("hugo", "config") for ext in ("toml", "yaml", "yml", "json"))


def has_hugo_config(site: Path) -> bool:
    """Whether the site folder has a Hugo configuration of its own."""
    site = Path(site)
    return any((site / name).is_file() for name in SITE_CONFIGS) or (site / "config").is_dir()


def has_layouts(site: Path) -> bool:
    """Whether the site has templates of its own (a layout folder or a theme)."""
    site = Path(site)
    return (site / "layouts").is_dir() or (site / "themes").is_dir()


def starter_files() -> list[str]:
    """The starter's files, as paths relative to the site folder; the configuration last, as its
    presence is what tells a later run that the site has one (a run killed halfway through
    writing the starter leaves no configuration, so the next run finishes the starter)."""
    return sorted((p.relative_to(STARTER).as_posix() for p in STARTER.rglob("*") if p.is_file()), key=lambda name: (name == "hugo.toml", name))


@dataclass
class StarterOutcome:
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)   # already there: left as they are


def write_starter(site: Path) -> StarterOutcome:
    """Write every starter file the site does not have; an existing file is never changed, and a
    site with a configuration of its own (under any name Hugo reads) gets no hugo.toml, which
    Hugo would read before it."""
    outcome = StarterOutcome()
    configured = has_hugo_config(site)
    for name in starter_files():
        target = inside(Path(site), name)
        if target.exists() or target.is_symlink() or (name == "hugo.toml" and configured):
            outcome.kept.append(name)
            continue
        atomic_write(target, (STARTER / name).read_bytes())
        outcome.written.append(name)
    return outcome


def starter_for_run(site: Path) -> StarterOutcome | None:
    """The starter a migration writes: only into a site with no Hugo configuration of its own
    (None when it has one); a template the site has already is kept."""
    if has_hugo_config(site) or (Path(site) / "layouts").is_symlink():
        return None
    return write_starter(site)
