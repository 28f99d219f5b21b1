"""Independent pieces of work shared among forked processes, one per core.

Drawing forty charts or writing three report files is work in pure Python (matplotlib's layout, python-docx's
XML) that threads cannot share out. :func:`run_forked` runs zero-argument tasks in worker processes forked from
this one, so they see everything this process has built (the study's results, the fonts matplotlib resolved)
without pickling it; only each task's result travels back, pickled. The workers take the tasks in the order
given, one at a time as each finishes the last, so putting the longest first balances them. A task's exception
is raised here as it would have been in this process. Where ``fork`` is not available (Windows, macOS'
default), with one core or one task, or when a worker process dies, the tasks run here, one after the other.
"""
from __future__ import annotations

import concurrent.futures
import gc
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

__all__ = ["run_forked", "cores"]

_TASKS: Sequence[Callable[[], Any]] = ()   # the tasks of the current call, inherited by the forked workers


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def _call(index: int) -> Any:
    return _TASKS[index]()


def run_forked(tasks: Sequence[Callable[[], Any]], *, workers: int | None = None) -> list[Any]:
    """``[task() for task in tasks]``, the tasks run by up to ``workers`` (default: one per core) forked
    processes. The tasks must not depend on each other's side effects in this process: each runs in a copy."""
    global _TASKS
    tasks = list(tasks)
    workers = min(workers or cores(), len(tasks))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [task() for task in tasks]
    _TASKS = tasks
    # the objects built so far kept out of the collector's sight while the workers run: a worker's collection
    # would otherwise write to every inherited object's header and copy the whole heap page by page
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_call, range(len(tasks))))
    except BrokenProcessPool:   # a worker was killed (out of memory, a signal): do the work here instead
        return [task() for task in tasks]
    finally:
        gc.unfreeze()
        _TASKS = ()
