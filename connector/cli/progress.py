"""A one-line progress display for the commands that follow long work.

On a terminal the line is redrawn in place with a bar; into a file or a pipe (a CI
log, a runbook's output) a line is written only when the figures change, so the
log shows each step once and no control characters.
"""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    """Shows ``done`` of ``total`` and a short status text."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self._last = None

    def show(self, done: int, status: str) -> None:
        line = f"{done}/{self.total} {status}"
        if line == self._last:
            return
        self._last = line
        if self.live:
            filled = BAR_WIDTH * done // self.total if self.total else BAR_WIDTH
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            # \x1b[K clears what a longer previous line left behind.
            self.stream.write(f"\r[{bar}] {line}\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line, so what is printed next starts on its own."""
        if self.live and self._last is not None:
            self.stream.write("\n")
            self.stream.flush()
