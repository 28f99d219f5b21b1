"""Progress of long work (ingesting, weighting, charts): one line per step on a terminal, nothing when the output
is piped or read by a program (``--json``)."""
from __future__ import annotations

import sys
from typing import Callable, TextIO

__all__ = ["Progress", "progress_printer", "quiet"]

# a progress callback: called with one short line per step
Progress = Callable[[str], None]


def quiet(message: str) -> None:
    """The progress callback that says nothing."""
    return None


def progress_printer(stream: TextIO | None = None) -> Callable[[str], None] | None:
    """Progress lines on ``stream`` (default: stderr) when it is a terminal; None (quiet) otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    return lambda message: print(f"… {message}", file=stream, flush=True)
