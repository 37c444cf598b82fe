"""Cleaners: an ordered chain, configured in mappings/cleaners.yaml, that each issue's parsed
body passes through before conversion. Each cleaner is one concern in one module."""
from __future__ import annotations

import logging

from ..errors import NotConfigured
from ..mappings import Mappings
from .base import CLEANERS, CleanContext, Cleaner, register
from . import blocks, chrome, crosslinks, images, malformed_urls, shortcodes, structure, tracking, unsafe  # noqa: F401  (they register)
from . import footnotes, image_cdn, platform_tracking, stubs, substack_embeds, template_tags  # noqa: F401
from . import click_trackers, mailchimp_layout, merge_tags  # noqa: F401  (Mailchimp's; no-ops for other platforms)
from . import link_cards  # noqa: F401

__all__ = ["CLEANERS", "CleanContext", "Cleaner", "register", "build_chain"]

log = logging.getLogger(__name__)


def build_chain(mappings: Mappings, context: CleanContext, switched_off: set[str] = frozenset()) -> list[Cleaner]:
    """The cleaners of mappings/cleaners.yaml, in order, minus those switched off."""
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
