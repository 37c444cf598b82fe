"""Cleaners: an ordered chain, configured in mappings/cleaners.yaml, that each issue's parsed
body passes through before conversion. Each cleaner is one concern in one module."""
from __future__ import annotations

import logging

from ..errors import ConfigError, NotConfigured, did_you_mean
from ..mappings import SECTIONS, Mappings, Problems, load_mappings
from .base import CLEANERS, CleanContext, Cleaner, register
from . import blocks, chrome, crosslinks, images, malformed_urls, shortcodes, structure, tracking, unsafe  # noqa: F401  (they register)
from . import footnotes, image_cdn, platform_tracking, stubs, substack_embeds, template_tags  # noqa: F401
from . import click_trackers, mailchimp_layout, merge_tags  # noqa: F401  (Mailchimp's; no-ops for other platforms)
from . import link_cards  # noqa: F401

__all__ = ["CLEANERS", "CleanContext", "Cleaner", "register", "build_chain", "check_mappings", "load_checked"]

log = logging.getLogger(__name__)


def _unknown_cleaners(mappings: Mappings) -> list[tuple[str, str]]:
    """Each name in the chain that is no registered cleaner: where it is, and what to say."""
    found = []
    for entry in mappings.chain:
        if entry.name not in CLEANERS:
            hint = did_you_mean(entry.name, CLEANERS)
            found.append((entry.where or "cleaners.yaml", f"unknown cleaner {entry.name!r}{'; ' + hint if hint else ''} "
                                                          f"(known: {', '.join(sorted(CLEANERS))})"))
    return found


def check_mappings(mappings: Mappings, platforms: list[str], problems: Problems) -> None:
    """What only the registries can judge: every name in the chain is a registered cleaner, and
    every section of these platforms' mappings is one a module reads, and reads without fault.
    The cleaners' modules (imported with this package) and the run's own fetcher define most
    sections; every fetcher module is imported only when a key is one none of those reads."""
    for where, problem in _unknown_cleaners(mappings):
        problems.add(where, problem)
    for name in platforms:
        try:
            mapping = mappings.platform(name)
        except ConfigError as exc:
            problems.items.extend(exc.problems)
            continue
        if any(key not in SECTIONS for key in mapping.raw_sections):
            from ..fetchers import platform_names

            platform_names()  # every fetcher module imported: the sections they define are known
        mapping.check_sections(problems)


def load_checked(root=None, platforms: list[str] | None = None) -> Mappings:
    """The mappings a run cleans with, every problem in them reported at once (ConfigError):
    what mappings.py reads, and what the cleaners' and fetchers' registries judge."""
    return load_mappings(root, platforms, check=lambda mappings, problems: check_mappings(
        mappings, list(mappings.platforms) if platforms is None else platforms, problems))


def build_chain(mappings: Mappings, context: CleanContext, switched_off: set[str] = frozenset()) -> list[Cleaner]:
    """The cleaners of mappings/cleaners.yaml, in order, minus those switched off."""
    unknown = _unknown_cleaners(mappings)
    if unknown:
        raise ConfigError(f"The mappings folder {mappings.root}", [f"{where}: {problem}" for where, problem in unknown])
    chain = []
    for entry in mappings.chain:
        if not entry.enabled or entry.name in switched_off:
            log.debug("cleaner %s: off", entry.name)
            continue
        try:
            chain.append(CLEANERS[entry.name].from_config(entry.options, context))
            log.debug("cleaner %s: on", entry.name)
        except NotConfigured as reason:
            log.debug("cleaner %s: not configured (%s)", entry.name, reason)
    return chain
