"""Reading a large export in a second process, while this one maps, validates and stores.

Ingesting a large file is two halves of about equal cost: reading its chunks of rows (CSV parsing, the
reader's per-column work) and mapping, validating and writing them (keyed hashes, SQLite).
:func:`in_background` runs the first half in a forked child process that hands the chunks over a queue of
at most two, so
on a machine with two cores both halves run at once and memory stays bounded by a few chunks. Everything the
child does is read-only: the pseudonymisation, the store, its transaction and every write stay in this
process, and an error in the
child (an unreadable file, a chunk that reads otherwise than the first) is raised here as it would have been
without the child. Where ``fork`` is not available (Windows, macOS' default), the work runs in this process.
"""
from __future__ import annotations

import multiprocessing
import queue as queues
from typing import Any, Callable, Iterator

from surveys.gc_pause import paused_collection

__all__ = ["in_background"]

_WAITING = 2   # chunks the child may have ready before it waits for this process


def _produce(channel: Any, produce: Callable[..., Iterator[Any]], arguments: tuple) -> None:
    try:
        with paused_collection():   # rows hold no cycles: the collector would only traverse them (see gc_pause)
            for item in produce(*arguments):
                channel.put(("item", item))
        channel.put(("done", None))
    except BaseException as error:  # every error, Ctrl-C included, is raised in the parent  # noqa: BLE001
        channel.put(("error", error))


def in_background(produce: Callable[..., Iterator[Any]], *arguments: Any) -> Iterator[Any]:
    """The items of ``produce(*arguments)``, made in a forked child process (in this one without ``fork``)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from produce(*arguments)
        return
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=_WAITING)
    child = context.Process(target=_produce, args=(channel, produce, arguments), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, value = channel.get(timeout=1.0)
            except queues.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the reading process ended without a result (exit code {child.exitcode})"
                                       ) from None
                continue
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()
