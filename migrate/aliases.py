"""No old path may take over a page of the site.

Hugo writes an alias page at the alias's path, over whatever was there: an old path equal to
another issue's new page, to a section's list (`/issues/`), to the home page, or to a file Hugo
writes itself (a feed, the sitemap), turns that page into a redirect. Such an old path is
refused with a warning naming both sides, and the page stays what it is.

Pages are known in source order, so an issue may be written with an old path that a page found
later turns out to be. The guard notes it, and the run takes that alias back out of the earlier
issue's file once every page is known (see Migration.take_back_aliases).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .urls import BadOldPath, alias_form, old_path
from .writer import site_url

# Pages Hugo writes for every site, whatever it holds: the home page and its feed, the default
# taxonomies' lists, the sitemap, robots.txt and the 404 page.
HUGO_PAGES = {"/": "the home page", "/index.xml": "the site's feed", "/tags": "the list of tags",
              "/categories": "the list of categories", "/sitemap.xml": "the sitemap", "/robots.txt": "robots.txt",
              "/404.html": "the 404 page"}


def page_key(path: str) -> str:
    """The page a path leads to, as Hugo writes it: decoded, dot segments resolved, without a
    trailing slash or `index.html` (an alias `/x/index.html` is written over the page `/x/`)."""
    key = alias_form(old_path(path))
    if key.endswith("/index.html"):
        key = key[: -len("index.html")]
    return key.rstrip("/") or "/"


def list_of(page: str) -> str | None:
    """The section list a page is listed in (`/issues/018/` -> `/issues`), None for a top-level page."""
    parts = page_key(page).strip("/").split("/")
    return "/" + parts[0] if len(parts) > 1 else None


@dataclass(frozen=True, slots=True)
class Owner:
    """An issue, known by its platform and id; its title only names it in messages (an issue
    whose title changed is still the same owner)."""
    platform: str
    source_id: str
    title: str | None = field(compare=False)

    def named(self) -> str:
        return f"issue {self.source_id}" + (f" ({self.title})" if self.title else "")


def _several(kept) -> tuple:
    """What `_bare` kept, as a tuple again."""
    return kept if isinstance(kept, tuple) else (kept,)


def _bare(items: list):
    """One item as itself, any other number as a tuple (see AliasGuard)."""
    return items[0] if len(items) == 1 else tuple(items)


@dataclass(frozen=True)
class TakenBack:
    """An old path an issue was written with, that turned out to be another page of the site."""
    owner: Owner
    key: str
    page: str   # what the path is: "the page of issue ...", "the list of /issues/", ...


class AliasGuard:
    """Every page of the site and every old path an issue is written with, for the whole run.
    One issue claims a path, almost always, and one path is claimed by one issue: a lone claim
    is kept bare (the key itself, the owner itself), more than one in a tuple, never a set (a
    one-item tuple costs 48 bytes an issue, a set four times that), so the run's memory grows
    as little as it can per issue."""

    def __init__(self) -> None:
        self._pages: dict[str, Owner] = {}      # page key -> its issue
        # platform -> issue id -> its page key (and below, the keys of its claims): by the id itself,
        # not a (platform, id) tuple per issue.
        self._page_of: dict[str, dict[str, str]] = {}
        self._lists: set[str] = set()
        self._claims: dict[str, Owner | tuple[Owner, ...]] = {}  # alias key -> issues written with it
        self._claims_of: dict[str, dict[str, str | tuple[str, ...]]] = {}
        self.taken_back: list[TakenBack] = []
        self._lock = threading.Lock()

    def what_is(self, key: str, owner: Owner | None = None) -> str | None:
        """What page a key is, other than an alias of `owner`'s: None when it is no page."""
        if key in HUGO_PAGES:
            return HUGO_PAGES[key]
        if key in self._lists or any(key == hugo + "/index.xml" for hugo in self._lists):
            return f"the list of {key.split('/index.xml')[0]}/" + (" (its feed)" if key.endswith("/index.xml") else "")
        page = self._pages.get(key)
        if page is not None and page != owner:
            return f"the page of {page.named()}"
        return None

    def add_page(self, owner: Owner, output_path: str) -> None:
        """Know an issue's page (and its section's list); an issue written earlier with that
        path as an alias has it taken back."""
        key = page_key(site_url(output_path))
        with self._lock:
            pages_of = self._page_of.setdefault(owner.platform, {})
            earlier = pages_of.get(owner.source_id)
            if earlier and self._pages.get(earlier) == owner:
                del self._pages[earlier]
            self._pages[key] = owner
            pages_of[owner.source_id] = key
            section = list_of(site_url(output_path))
            new_keys = [key] + ([section, section + "/index.xml"] if section and section not in self._lists else [])
            if section:
                self._lists.add(section)
            for taken in new_keys:
                for claimant in _several(self._claims.pop(taken, ())):
                    if claimant != owner:
                        self.taken_back.append(TakenBack(claimant, taken, self.what_is(taken, claimant) or "a page"))
                        claims_of = self._claims_of.get(claimant.platform, {})
                        if claimant.source_id in claims_of:
                            claims_of[claimant.source_id] = _bare([k for k in _several(claims_of[claimant.source_id])
                                                                   if k != taken])

    def claim(self, owner: Owner, paths: list[str]) -> None:
        """Know the old paths an issue is written with (replacing those it had). One that is a
        page already (written by an earlier version of the tool) is taken back."""
        with self._lock:
            claims_of = self._claims_of.setdefault(owner.platform, {})
            for key in _several(claims_of.pop(owner.source_id, ())):
                if key in self._claims:
                    self._claims[key] = _bare([o for o in _several(self._claims[key]) if o != owner])
            keys: dict[str, None] = {}  # in order, once each
            for path in paths:
                try:
                    key = page_key(path)
                except BadOldPath:
                    continue
                what = self.what_is(key, owner)
                if what is None:
                    keys[key] = None
                else:
                    self.taken_back.append(TakenBack(owner, key, what))
            claims_of[owner.source_id] = _bare(list(keys))
            for key in keys:
                claimants = _several(self._claims.get(key, ()))
                if owner not in claimants:
                    self._claims[key] = _bare([*claimants, owner])

    def refuse_takeovers(self, owner: Owner, old_paths: list, previous_urls: list[str], warnings: list[str]) -> tuple[list, list[str]]:
        """The issue's old paths (OldPath records) and earlier site URLs without those that are
        a page of the site; each refused one is named in `warnings`."""
        kept_paths, kept_urls = [], []
        with self._lock:
            for items, kept, text in ((old_paths, kept_paths, lambda p: p.path), (previous_urls, kept_urls, lambda u: u)):
                for item in items:
                    try:
                        what = self.what_is(page_key(text(item)), owner)
                    except BadOldPath:
                        what = None
                    if what is None:
                        kept.append(item)
                    else:
                        warnings.append(f"its old path {text(item)} is {what}: it is not kept as an alias, so that page "
                                        "stays what it is")
        return kept_paths, kept_urls
