"""The rank of a matrix as R's limited-pivoting QR counts it (LINPACK ``dqrdc2``): the degrees of freedom of
replicate weights, and the aliased columns of a regression's model matrix."""
from __future__ import annotations

import numpy as np

from surveys.threads import one_blas_thread

__all__ = ["RANK_TOLERANCE", "replicate_rank", "gram_rank", "gram_pivots"]

RANK_TOLERANCE = 1e-5


def replicate_rank(matrix: np.ndarray, tolerance: float = RANK_TOLERANCE) -> int:
    """Rank as R's ``qr(x, tol)$rank`` (LINPACK dqrdc2, limited pivoting): column j counts when the
    norm of its part orthogonal to the columns accepted before it is at least ``tolerance`` × its
    own norm; a column that does not is set aside.

    Computed from the Gram matrix xᵀx by a pivoted Cholesky sweep in column order (the squared
    orthogonal norms are the Schur-complement diagonals), so only one matrix product touches the
    rows; the test ``d_j ≥ tolerance² ‖x_j‖²`` is far above the rounding of the Gram matrix.
    """
    matrix = np.asarray(matrix, dtype=float)
    return gram_rank(matrix.T @ matrix, tolerance)


def gram_rank(gram: np.ndarray, tolerance: float = RANK_TOLERANCE) -> int:
    """:func:`replicate_rank` of a matrix given by its Gram matrix ``xᵀx``."""
    return int(gram_pivots(gram, tolerance).sum())


def gram_pivots(gram: np.ndarray, tolerance: float = RANK_TOLERANCE) -> np.ndarray:
    """Which columns R's limited-pivoting QR keeps (see :func:`replicate_rank`), from the Gram matrix:
    column j is kept when its part orthogonal to the kept columns before it has at least
    ``tolerance`` × its own norm. Used for the rank of replicate weights and for aliased
    regression columns."""
    if _keeps_every_column(gram, tolerance):
        return np.ones(gram.shape[0], dtype=bool)
    schur = np.array(gram, dtype=float, copy=True)
    lengths = np.diag(schur).copy()
    kept = np.zeros(schur.shape[0], dtype=bool)
    for column in range(schur.shape[0]):
        pivot = schur[column, column]
        if lengths[column] <= 0 or pivot < tolerance**2 * lengths[column]:
            continue
        kept[column] = True
        direction = schur[column, column + 1:] / np.sqrt(pivot)
        schur[column + 1:, column + 1:] -= np.outer(direction, direction)
    return kept


def _keeps_every_column(gram: np.ndarray, tolerance: float) -> bool:
    """Whether the sweep of :func:`gram_pivots` keeps every column, in one LAPACK call: while no column is set
    aside the sweep is the Cholesky factorisation in column order, whose squared diagonal holds the pivots
    (the usual case of replicate weights: a full-rank matrix, 200 replicates in 0.1 ms instead of 4 ms)."""
    lengths = np.diag(gram)
    if gram.shape[0] == 0 or not (lengths > 0).all():
        return False
    try:
        with one_blas_thread():  # a few hundred columns at most
            factor = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:  # not positive definite: some column goes, the sweep says which
        return False
    return bool((np.diag(factor) ** 2 >= tolerance**2 * lengths).all())
