"""What a run knows about every issue of the archive, for links between issues.

The registry maps each issue's id to its new site URL, and knows the newsletter's old hosts (its
custom domain, the platform's own host) and profile names, so that it can tell a link to one of
this newsletter's issues from a link to someone else's. Issues are added as the run admits them,
in source order, and from the state of earlier runs, so a link to an issue the run has not
reached yet is recognised as such (pending) rather than mistaken for a foreign link.

A platform may also name hosts every newsletter on it shares, where an address names one issue
across the whole platform (Mailchimp's campaign archive, under any data center, and its short
links): the fetcher's `issue_hosts`, each matching its subdomains too. A link there is this
newsletter's when the run knows the issue it names, or when it names this newsletter's profile;
one that names neither may be an issue further on, or someone else's: the issue holding it waits
for the whole archive, and the link is left as it was, without a word, if no issue claims it.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from .state import IssueRow
from .urls import host_matches, host_of
from .writer import site_url

# A platform's parser: the issue id (and profile name, where the URL has one) a URL names.
IssueRef = Callable[[str], "tuple[str, str | None] | None"]


def _host(url: str) -> str:
    """A host as a newsletter's links name it, with or without www."""
    host = host_of(url)
    return host[4:] if host.startswith("www.") else host


class IssueRegistry:
    def __init__(self, issue_ref: IssueRef, issue_hosts: Iterable[str] = ()):
        self.issue_ref = issue_ref
        self.issue_hosts = tuple(h.lower() for h in issue_hosts)
        # issue id -> its output path (the string the run holds anyway for its file name), made
        # into the new URL when a link asks: not one more string per issue for the whole run.
        self._paths: dict[str, str] = {}
        self._hosts: set[str] = set()
        self._profiles: set[str] = set()
        self._lock = threading.Lock()

    def add(self, source_id: str, old_urls: list[str], output_path: str, old_paths: list[str] = ()) -> None:
        """Know an issue by its id and by every id its old URLs and paths name (a slug, where the
        platform's URLs carry no id), and its URLs' hosts as the newsletter's."""
        with self._lock:
            self._paths[source_id] = output_path
            for url in old_urls:
                self._hosts.add(_host(url))
            for old in [*old_urls, *old_paths]:
                ref = self.issue_ref(old)
                if ref:
                    self._paths[ref[0]] = output_path
                    if ref[1]:
                        self._profiles.add(ref[1])

    def add_hosts(self, hosts: list[str], profiles: list[str]) -> None:
        """Old hosts and profile names the configuration declares (an export states none)."""
        with self._lock:
            self._hosts.update(_host(h if "://" in h else f"https://{h}") for h in hosts)
            self._profiles.update(profiles)

    def add_rows(self, rows: list[IssueRow]) -> None:
        for row in rows:
            if not row.gone:
                self.add(row.source_id, row.old_urls, row.output_path, row.old_paths)

    def answer(self, hrefs: list[str]) -> tuple[dict[str, str], set[str]]:
        """For each link: the new URL when it points at a known issue of this newsletter; and
        the ids of this newsletter's issues the run has not reached yet."""
        answers, pending, _ = self._look_up(hrefs)
        return answers, pending

    def waits(self, hrefs: list[str]) -> bool:
        """Whether a link may name an issue the run has not reached yet: one of this newsletter's,
        or an address on the platform's shared hosts that no issue has claimed so far."""
        _, pending, unclaimed = self._look_up(hrefs)
        return bool(pending or unclaimed)

    def _look_up(self, hrefs: list[str]) -> tuple[dict[str, str], set[str], set[str]]:
        answers: dict[str, str] = {}
        pending: set[str] = set()
        unclaimed: set[str] = set()
        with self._lock:
            for href in hrefs:
                ref = self.issue_ref(href)
                if ref is None:
                    continue
                host = _host(href)
                shared = host_matches(host, self.issue_hosts)
                if not shared and host not in self._hosts:
                    continue
                issue_id, profile = ref
                if profile and profile not in self._profiles:
                    continue  # the same platform, another newsletter
                if issue_id in self._paths:
                    answers[href] = site_url(self._paths[issue_id])
                elif shared and not profile:
                    unclaimed.add(issue_id)  # unique across the platform, but nothing says whose
                else:
                    pending.add(issue_id)
        return answers, pending, unclaimed
