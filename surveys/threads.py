"""Dense linear algebra on small matrices, on one BLAS thread.

OpenBLAS splits a matrix product or factorisation over every core once it exceeds a few hundred thousand
multiply-adds. For the replicate designs' matrices (PSUs × replicates, replicates × replicates: a few hundred
rows and columns) that gains nothing on an idle machine, and when other work keeps the cores busy its threads
wait for each other: on two shared cores the rank of 200 bootstrap replicates took 110–150 ms instead of
1 ms. :func:`one_blas_thread` runs a block with one BLAS thread; threadpoolctl sets the thread count of the
BLAS libraries loaded in the process and restores it on leaving the block.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Iterator

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded in the process, looked up on first use (not on import)."""
    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread (for products and factorisations of small matrices)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
