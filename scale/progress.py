"""A progress bar on stderr, written by hand (one line redrawn on a terminal; a line every 10 % otherwise)."""

import sys
import time


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class Progress:
    WIDTH = 30

    def __init__(self, total: int, *, label: str, stream=None):
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.done = 0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_tenth = -1

    def advance(self, count: int, *, note: str = "") -> None:
        self.done = min(self.done + count, self.total)
        share = self.done / self.total
        elapsed = time.monotonic() - self.started
        left = elapsed / share - elapsed if share else 0
        filled = int(share * self.WIDTH)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} "
            f"{self.done:,}/{self.total:,} {_clock(elapsed)} elapsed, {_clock(left)} left {note}"
        ).rstrip()
        if self.tty:
            self.stream.write("\r" + line.ljust(120))
            if self.done == self.total:
                self.stream.write("\n")
        elif int(share * 10) != self._last_tenth or self.done == self.total:
            self._last_tenth = int(share * 10)
            self.stream.write(line + "\n")
        self.stream.flush()

    def say(self, message: str) -> None:
        """A line of its own (a phase starting or ending), with the time since the start."""
        if self.tty and 0 < self.done < self.total:
            self.stream.write("\n")
        self.stream.write(f"[{_clock(time.monotonic() - self.started)}] {message}\n")
        self.stream.flush()
