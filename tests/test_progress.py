"""The progress bar's total comes from the source wherever the source says how much it holds, and
matches the entries the run then reports (issues, skipped, unreadable alike)."""
from __future__ import annotations

import pytest

from migrate.config import RunOptions
from migrate.pipeline import Mode, run
from migrate.progress import RunProgress

from .support import FIXTURES, REVUE


@pytest.mark.parametrize("platform, source", [
    ("revue-api", REVUE / "api-issues.json"),
    ("revue-pages", REVUE),
    ("revue-export", REVUE / "export"),
    ("substack-export", FIXTURES / "substack" / "export"),
    ("mailchimp-export", FIXTURES / "mailchimp" / "export"),
    ("buttondown-export", FIXTURES / "buttondown" / "export"),
    ("buttondown-api", FIXTURES / "buttondown" / "api-emails.json"),
    ("rss", FIXTURES / "rss" / "rss2.xml"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_the_total_is_known_before_the_first_entry_and_is_what_the_run_meets(platform, source, tmp_path):
    totals, done = [], []
    options = RunOptions(platform=platform, source=str(source), site=tmp_path / "site", download_images=False)
    run(options, Mode.RUN, on_issue=done.append, on_total=lambda total: totals.append((total, len(done))))
    assert totals, "the source said nothing of its size"
    (total, done_before), = totals
    assert done_before == 0 and total == len(done) > 0


def test_a_bar_that_is_not_shown_counts_all_the_same():
    with RunProgress(enabled=False) as progress:
        progress.expect(2)
        for images in (1, 0, 3):
            progress.entry_done(images)
    assert (progress.done, progress.total, progress.images) == (3, 3, 4)  # a source that said too little: the total grows
