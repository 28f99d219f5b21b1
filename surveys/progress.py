"""Progress of long work (ingesting, weighting, charts): one line per step, and a bar of the rows read per file, on
a terminal; nothing when the output is piped or read by a program (``--json``)."""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, TextIO

__all__ = ["Progress", "RowProgress", "progress_printer", "row_progress", "quiet"]

# a progress callback: called with one short line per step
Progress = Callable[[str], None]
# the bar is redrawn at most this often (seconds): a terminal is slower than the rows
_REDRAW = 0.2
_BAR = 24


def quiet(message: str) -> None:
    """The progress callback that says nothing."""
    return None


def progress_printer(stream: TextIO | None = None) -> Callable[[str], None] | None:
    """Progress lines on ``stream`` (default: stderr) when it is a terminal; None (quiet) otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    return lambda message: print(f"… {message}", file=stream, flush=True)


class RowProgress:
    """A one-line bar of the rows read of each file, redrawn in place: ``… 问卷.csv  ███████░░░  420,000 rows``.

    :meth:`file` starts a file (the line of the previous one stays); :meth:`rows` is the ``progress(done,
    total)`` callback of :meth:`surveys.store.database.Store.ingest` (``total``: the file's rows, or None while a
    file read in chunks has more to come: its line then shows the count alone, to the end, and so does a file
    whose total grows); :meth:`close` ends the line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._name = ""
        self._shown = 0.0
        self._open = False
        self._total = 0
        self._growing = False
        self._last = self._drawn = (0, 0)

    def file(self, path: "os.PathLike | str") -> None:
        self.close()
        self._name = os.path.basename(os.fspath(path))
        self._total, self._growing, self._last = 0, False, (0, 0)
        self._draw(0, 0, force=True)

    def rows(self, done: int, total: int | None) -> None:
        self._growing = self._growing or total is None or bool(self._total and total > self._total)
        known = done if total is None else total
        self._total = known
        self._last = (done, known)
        self._draw(done, known, force=done >= known and not self._growing)

    def _draw(self, done: int, total: int, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._shown < _REDRAW:
            return
        self._shown, self._drawn = now, (done, total)
        filled = round(_BAR * done / total) if total else 0
        bar = "" if self._growing or not total else "█" * filled + "░" * (_BAR - filled) + "  "
        self._stream.write(f"\r… {self._name}  {bar}{done:,} rows\x1b[K")
        self._stream.flush()
        self._open = True

    def close(self) -> None:
        if self._open and self._drawn != self._last:
            self._draw(*self._last, force=True)   # the last count, which the redraw interval held back
        if self._open:
            self._stream.write("\n")
            self._stream.flush()
            self._open = False


def row_progress(stream: TextIO | None = None, *, enabled: bool = True) -> RowProgress | None:
    """A :class:`RowProgress` on ``stream`` (default: stderr) when it is a terminal and ``enabled`` (``--json``
    turns it off); None (quiet) otherwise."""
    stream = stream or sys.stderr
    if not enabled or not stream.isatty():
        return None
    return RowProgress(stream)
