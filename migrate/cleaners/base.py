"""What a cleaner is, and the registry the chain in mappings/cleaners.yaml is built from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bs4 import BeautifulSoup, NavigableString, Tag

from ..errors import NotConfigured
from ..mappings import Mappings, PlatformMapping
from ..record import Issue
from .walk import Plan, Walk

CLEANERS: dict[str, type["Cleaner"]] = {}


def register(cls: type["Cleaner"]) -> type["Cleaner"]:
    CLEANERS[cls.name] = cls
    return cls


@dataclass
class CleanContext:
    """What cleaners may consult: the mappings, the platform's mapping and the run's options."""

    mappings: Mappings
    platform: PlatformMapping
    download_images: bool = True
    embeds: str = "link"                      # "link" or "shortcode"
    options: dict = field(default_factory=dict)


class Cleaner:
    """One step of the chain. Subclasses set `name` and say what the chain's walk hands them
    (`tags`, `ids`, `classes`, `texts`, `leave_tags`; see walk.py) and implement `visit`,
    `visit_text` or `leave` for it, with `start`/`finish` around the walk for what they keep per
    issue. A cleaner about the whole document sets `is_document` and implements `clean` instead.

    `from_config` builds the cleaner from its options in mappings/cleaners.yaml and the run's
    context; it raises NotConfigured when the cleaner has nothing to do in this run.

    A cleaner that needs what only the run knows (downloaded images, the other issues' new
    paths) sets `answers_key` and implements `asks(doc, issue)`: the run answers those questions
    before the cleaner runs and puts the answers in `issue.answers[answers_key]`.
    """

    name: ClassVar[str]
    # What the walk hands this cleaner: elements by tag name ("*": every element), by id, by class;
    # text nodes; and elements again once their content was walked.
    tags: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    texts: bool = False
    leave_tags: frozenset[str] = frozenset()
    is_document: ClassVar[bool] = False
    answers_key: ClassVar[str | None] = None
    # The platform mapping's section this cleaner works from: without it, the cleaner is off.
    platform_section: ClassVar[str | None] = None

    def asks(self, doc: BeautifulSoup, issue: Issue) -> list:  # pragma: no cover - only for answers_key cleaners
        return []

    def __init__(self, context: CleanContext, **options):
        self.context = context
        self.options = options

    def hand_over(self, *rules, tags: frozenset[str] = frozenset()) -> None:
        """Be handed the elements any of these SelectorRules could select (by their tag, id or
        class; every element when a rule's subject is any element), and those of `tags`."""
        self.tags = frozenset(tags.union(*(r.tags for r in rules)) | ({"*"} if any(r.any for r in rules) else set()))
        self.classes = frozenset().union(*(r.classes for r in rules))
        self.ids = frozenset().union(*(r.ids for r in rules))

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Cleaner":
        if cls.platform_section and not context.platform.section(cls.platform_section):
            raise NotConfigured(f"the {context.platform.name} mapping has no `{cls.platform_section}:` section")
        return cls(context, **options)

    def start(self, walk: Walk) -> None:
        """Before the walk over one issue."""

    def visit(self, el: Tag, walk: Walk) -> Tag | NavigableString | list | None:
        """An element the cleaner registered for; returns the node (or nodes) that replaced it, if any."""
        return None

    def visit_text(self, node: NavigableString, walk: Walk) -> list | None:
        """A text node (with `texts`); returns the nodes that replaced it, if any."""
        return None

    def leave(self, el: Tag, walk: Walk) -> None:
        """An element of `leave_tags`, once its content was walked."""

    def finish(self, walk: Walk) -> None:
        """After the walk over one issue."""

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        """This cleaner alone over a document (the chain runs it in its shared walk)."""
        Plan([self]).run(doc, issue)
