"""The progress bar of a long run: on stderr, and only when stderr is a terminal.

A person at a terminal sees how far the run is (issues done of the source's total, once the
source has said it), how many images were stored, the rate and the time left. Anything else
(a pipe, `| tee`, CI) gets no bar at all, so logs hold only the summary.
"""
from __future__ import annotations

import os
import sys
import threading
import time


class RunProgress:
    """Counts entries and images as a run reports them; draws a tqdm bar on a terminal."""

    def __init__(self, stream=None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.done = 0
        self.images = 0
        self.total: int | None = None
        self._bar = None
        self._postfix_at = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> "RunProgress":
        if self.enabled:
            from tqdm import tqdm

            # No `if bar:` anywhere: tqdm refuses bool() on a bar that has no total yet.
            # A terminal that says it has no width (`script` run without one) still gets a bar.
            width = {"dynamic_ncols": True} if _columns(self.stream) else {"ncols": 80, "nrows": 24}
            self._bar = tqdm(desc="issues", unit=" issue", file=self.stream, postfix={"images": 0}, leave=True, **width)
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self._bar is None:
            return
        if exc_type is None:
            self._bar.close()
        else:
            # Stopped early (Ctrl-C, an error): leave the bar as it stood and end its line, so
            # the sentence that follows starts on its own line (tqdm's close may draw nothing).
            with self._lock:
                self._bar.refresh()
                self.stream.write("\n")
                self.stream.flush()
                self._bar.disable = True
        self._bar = None

    def expect(self, total: int) -> None:
        """The source has said how many entries it holds."""
        with self._lock:
            self.total = max(total, self.done)
            if self._bar is not None:
                self._bar.total = self.total
                self._bar.refresh()

    def entry_done(self, images: int = 0) -> None:
        """One entry of the source is finished (an issue written, skipped, unchanged or unreadable)."""
        with self._lock:
            self.done += 1
            self.images += images
            if self.total is not None and self.done > self.total:
                # A source that said less than it held: grow the bar rather than run past its end.
                self.total = self.done
                if self._bar is not None:
                    self._bar.total = self.total
            if self._bar is None:
                return
            # The image count is formatted only as often as the bar is drawn, not for every entry.
            now = time.monotonic()
            if now - self._postfix_at >= self._bar.mininterval or self.done == self.total:
                self._bar.set_postfix(images=self.images, refresh=False)
                self._postfix_at = now
            self._bar.update(1)


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False
