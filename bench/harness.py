"""Timing and peak-memory measurement, shared by every Python worker (stdlib only).

Protocol for one tool x workload x size, inside a fresh process:

1. the workload's ``prepare`` step (untimed: e.g. building the design for the re-raking workload);
2. a warm-up call on a small frame (untimed: lazy imports, compilation, first-use caches);
3. ``gc.collect()``, then the resident set size is read and the kernel's peak-RSS mark is reset
   (``/proc/self/clear_refs``, Linux); the first full-size call runs (the warm-up at full size,
   untimed), and its peak memory is the new peak-RSS mark minus the resident size before it. It
   counts every allocator (numpy, polars' Rust allocator, BLAS, R's), which tracemalloc would
   not. Freed heap is first returned to the kernel (``malloc_trim``) and the first full-size call
   is the one measured, so memory freed-but-retained from earlier work does not hide it;
4. ``repeats`` timed calls (fewer, at least one, when they would not fit the time budget: for
   the slowest peers at 1M rows); the reported time is the best (minimum) wall time among them.

When the peak-RSS mark cannot be reset, the peak memory is reported as ``None``.
"""
from __future__ import annotations

import ctypes
import gc
import time
from typing import Any, Callable

_PAGE_STATUS = "/proc/self/status"


def _status_kib(field: str) -> int | None:
    try:
        with open(_PAGE_STATUS) as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _release_free_heap() -> None:
    """Give freed heap pages back to the kernel (glibc), so the next allocation shows in the RSS."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def timed_runs(first_seconds: float, repeats: int, budget_seconds: float | None) -> int:
    """How many timed calls fit the budget, judging by the first full-size call (at least one)."""
    if budget_seconds is None or first_seconds * repeats <= budget_seconds:
        return max(1, repeats)
    return max(1, int(budget_seconds // max(first_seconds, 1e-9)))


def measure(run: Callable[[], Any], repeats: int = 3, small_run: Callable[[], Any] | None = None,
            budget_seconds: float | None = None) -> dict[str, Any]:
    """Peak memory of the first full-size call of ``run``, then the best of ``repeats`` timed calls.

    A tool so slow that ``repeats`` calls would exceed ``budget_seconds`` gets fewer timed calls
    (at least one; ``len(seconds)`` says how many). Returns ``{"result", "best_seconds",
    "seconds", "first_call_seconds", "peak_bytes"}``; ``result`` is the value of the first
    full-size call.
    """
    if small_run is not None:
        small_run()
    gc.collect()
    _release_free_heap()
    baseline = _status_kib("VmRSS")
    can_reset = _reset_peak() and baseline is not None
    start = time.perf_counter()
    result = run()
    first_seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM") if can_reset else None
    peak_bytes = max(0, (peak - baseline) * 1024) if peak is not None and baseline is not None else None
    seconds = []
    for _ in range(timed_runs(first_seconds, repeats, budget_seconds)):
        gc.collect()
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return {"result": result, "best_seconds": min(seconds), "seconds": seconds, "first_call_seconds": first_seconds,
            "peak_bytes": peak_bytes}
