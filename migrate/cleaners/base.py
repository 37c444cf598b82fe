"""What a cleaner is, and the registry the chain in mappings/cleaners.yaml is built from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from bs4 import BeautifulSoup

from ..mappings import Mappings, PlatformMapping
from ..record import Issue

if TYPE_CHECKING:
    from ..assets import ImageStore

CLEANERS: dict[str, type["Cleaner"]] = {}


def register(cls: type["Cleaner"]) -> type["Cleaner"]:
    CLEANERS[cls.name] = cls
    return cls


@dataclass
class CleanContext:
    """What cleaners may consult: the mappings, the platform's mapping and the run's options."""

    mappings: Mappings
    platform: PlatformMapping
    images: "ImageStore | None" = None
    embeds: str = "link"                      # "link" or "shortcode"
    options: dict = field(default_factory=dict)


class Cleaner:
    """One step of the chain. Subclasses set `name` and implement `clean`.

    `from_config` builds the cleaner from its options in mappings/cleaners.yaml and the run's
    context; it raises NotConfigured when the cleaner has nothing to do in this run.
    """

    name: ClassVar[str]

    def __init__(self, context: CleanContext, **options):
        self.context = context
        self.options = options

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Cleaner":
        return cls(context, **options)

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
