"""Replicate-weight designs (R ``svrepdesign`` / ``as.svrepdesign``, survey 4.1.1).

An estimator θ is recomputed with each replicate's analysis weights and

    V = scale · Σ_r rscale_r (θ_r − θ̄)²        θ̄ = mean of the θ_r, or θ̂ with ``mse=True``.

Default scales by type (R's): JK1 (R−1)/R; JKn 1 with per-replicate ``rscales`` required;
bootstrap 1/(R−1); BRR 1/R; Fay 1/(R(1−ρ)²); other 1. Degrees of freedom are R's: rank of the
analysis replicate-weight matrix (R's ``qr(tol = 1e-5)`` criterion, see :func:`replicate_rank`)
minus 1, on the rows of the design (a domain's rows only). Validated against R survey 4.1.1
(tests/reference/r_survey: JK1, JKn, bootstrap with the exported multipliers, mse, adjusted
replicate designs) and by hand on BRR/Fay designs (tests/test_replicate.py).

``SurveyDesign.to_replicate`` builds (R ``as.svrepdesign``):

* JK1 (unstratified): PSU j deleted in replicate j, others × n/(n−1); scale (n−1)/n·(1 − n/N) —
  the fpc is kept as R does.
* JKn: PSU j of stratum h deleted, the other PSUs of h × n_h/(n_h−1), other strata × 1; scale 1,
  rscale_j = (n_h−1)/n_h·(1 − n_h/N_h).
* bootstrap (Canty–Davison, R's ``bootweights``): per stratum n_h PSUs drawn with replacement
  (with an fpc: without replacement from the PSU list repeated to N_h); multiplier = times drawn;
  scale n̄/((n̄−1)(R−1)) with n̄ the harmonic mean of the n_h. Our RNG is numpy's, so the draws
  differ from R's; the exported R multipliers reproduce R's numbers exactly.

Multipliers built here are stored per PSU (PSUs × replicates): replicate totals are PSU totals of
w·y (one ``bincount``) times the multiplier matrix, so memory grows with PSUs × replicates, never
rows × replicates. User-supplied replicate weights (n × R) are used as given.
"""
from __future__ import annotations

from typing import Any, Sequence, cast

import numpy as np
import pandas as pd
from scipy import sparse

from surveys.columns import domain_pair_codes, numeric_values, require_columns, weight_values
from surveys.design.base import DesignMethods, own_rows
from surveys.design.variance import check_lonely
from surveys.errors import DesignError
from surveys.estimation.rank import gram_rank
from surveys.threads import one_blas_thread

__all__ = ["ReplicateDesign", "REPLICATE_TYPES", "build_replicate_design"]

REPLICATE_TYPES = ("JK1", "JKn", "bootstrap", "BRR", "Fay", "other")
BUILDABLE_TYPES = ("JK1", "JKn", "bootstrap")


class _PsuMultipliers:
    """Replicate multipliers per PSU: analysis weight of row i in replicate r = w_i · M[psu_i, r]."""

    def __init__(self, psu: np.ndarray, count: int, multipliers: np.ndarray) -> None:
        self.psu, self.count, self.multipliers = psu, count, np.asarray(multipliers, dtype=float)

    @property
    def replicates(self) -> int:
        return self.multipliers.shape[1]

    def totals(self, weights: np.ndarray, values: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray:
        keys = domain_pair_codes(domain, self.psu, self.count)
        psu_totals = np.bincount(keys, weights=weights * values, minlength=(domains + 1) * self.count)[self.count:]
        with one_blas_thread():  # domains × PSUs times PSUs × replicates: small matrices
            return psu_totals.reshape(domains, self.count) @ self.multipliers

    def analysis_weights(self, weights: np.ndarray) -> np.ndarray:
        return weights[:, None] * self.multipliers[self.psu]

    def gram(self, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gram matrix WᵀW of the rows' analysis weights, W_ir = w_i M[psu_i, r], from PSU sums of w²."""
        squares = np.bincount(self.psu[rows], weights=weights[rows] ** 2, minlength=self.count)
        present = squares > 0
        if present.all():  # the usual case: no PSU × replicates copy to select the PSUs
            scaled = self.multipliers * np.sqrt(squares)[:, None]
        else:
            scaled = self.multipliers[present] * np.sqrt(squares[present])[:, None]
        with one_blas_thread():  # replicates × PSUs times PSUs × replicates: small matrices
            return scaled.T @ scaled  # numpy computes AᵀA by a symmetric rank update (half the products)


class _AnalysisWeights:
    """Replicate analysis weights given row by row (n × R)."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = np.asarray(matrix, dtype=float)

    @property
    def replicates(self) -> int:
        return self.matrix.shape[1]

    def totals(self, weights: np.ndarray, values: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray:
        if domains == 1:  # values are 0 outside the domain
            return (values @ self.matrix)[None, :]
        inside = np.flatnonzero(domain >= 0)
        indicator = sparse.csr_matrix((values[inside], (domain[inside], inside)), shape=(domains, len(domain)))
        return np.asarray(indicator @ self.matrix)

    def analysis_weights(self, weights: np.ndarray) -> np.ndarray:
        return self.matrix

    def gram(self, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Gram matrix of the rows' analysis weights; rows that are multiples w_i·m of one multiplier
        pattern m (as in every JK/BRR/bootstrap design) are pooled first: Σ w_i² m mᵀ."""
        block = self.matrix[rows]
        if block.shape[0] <= 4 * block.shape[1]:
            return block.T @ block
        base = weights[rows]
        scaled = np.divide(block, base[:, None], out=np.zeros_like(block), where=base[:, None] != 0)
        uniques, inverse = np.unique(scaled, axis=0, return_inverse=True)
        squares = np.bincount(inverse.ravel(), weights=base**2, minlength=len(uniques))
        return (uniques * squares[:, None]).T @ uniques


def _default_scale(type: str, replicates: int, fay_rho: float | None) -> float:
    if type == "JK1":
        return (replicates - 1) / replicates
    if type == "bootstrap":
        return 1.0 / (replicates - 1)
    if type == "BRR":
        return 1.0 / replicates
    if type == "Fay":
        return 1.0 / (replicates * (1.0 - cast(float, fay_rho)) ** 2)  # Fay's rho is checked given
    return 1.0


class ReplicateDesign(DesignMethods):
    """A design whose variance comes from replicate weights (R ``svrepdesign``).

    ``replicate_weights`` are column names or an (n × R) array; with ``combined_weights=False`` they
    are multipliers of ``weights`` (R's ``combined.weights=FALSE``), otherwise full analysis weights.
    ``weights=None`` means weight 1 for every row.
    """

    is_replicate = True

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        weights: str | np.ndarray | None,
        replicate_weights: Sequence[str] | np.ndarray,
        type: str,
        scale: float | None = None,
        rscales: Sequence[float] | np.ndarray | None = None,
        fay_rho: float | None = None,
        mse: bool = False,
        combined_weights: bool = True,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"expected a pandas DataFrame as data, found {_type_name(data)}")
        data = own_rows(data)
        n = len(data)
        if isinstance(weights, str):
            require_columns(data, [weights], "weights")
            base = weight_values(data[weights])
        elif weights is None:
            base = np.ones(n)
        else:
            base = numeric_values(weights, "weights") if np.ndim(weights) == 1 else np.asarray(weights, dtype=float)
            if base.shape != (n,) or not np.all(np.isfinite(base)) or (base < 0).any():
                raise DesignError(f"expected {n} finite non-negative weights, found shape {base.shape}")
        if isinstance(replicate_weights, (list, tuple)) and all(isinstance(c, str) for c in replicate_weights):
            require_columns(data, list(replicate_weights), "replicate weights")
            matrix = np.column_stack([numeric_values(data[column], f"replicate weights column {column!r}")
                                      for column in replicate_weights])
        else:
            given = np.asarray(replicate_weights)
            matrix = numeric_values(given.ravel(), "replicate weights").reshape(given.shape)
        if matrix.ndim != 2 or matrix.shape[0] != n or matrix.shape[1] < 2:
            raise DesignError(
                f"expected replicate weights with one row per data row ({n}) and at least 2 replicates, "
                f"found shape {matrix.shape}"
            )
        if not np.isfinite(matrix).all():
            raise DesignError("replicate weights contain missing or infinite values; fill or drop those rows")
        if type == "Fay" and (fay_rho is None or not (0.0 <= float(fay_rho) < 1.0)):
            raise DesignError(f"type='Fay' needs fay_rho in [0, 1), found {fay_rho!r}")
        analysis = matrix if combined_weights else base[:, None] * matrix
        self._setup(data, base, _AnalysisWeights(analysis), type, scale, rscales, fay_rho, mse)

    @classmethod
    def _from_psu_multipliers(cls, data: pd.DataFrame, weights: np.ndarray, psu: np.ndarray, psu_count: int,
                              multipliers: np.ndarray, type: str, scale: float, rscales: np.ndarray, mse: bool,
                              mask: np.ndarray | None) -> "ReplicateDesign":
        design = cls.__new__(cls)
        design._setup(data, weights, _PsuMultipliers(psu, psu_count, multipliers), type, scale, rscales, None, mse)
        design._mask = mask
        return design

    def _setup(self, data, base, storage, type, scale, rscales, fay_rho, mse) -> None:
        if type not in REPLICATE_TYPES:
            raise DesignError(f"unknown replicate type {type!r}; expected one of {', '.join(REPLICATE_TYPES)}")
        count = storage.replicates
        if rscales is None:
            if type == "JKn":
                raise DesignError(
                    "type='JKn' needs rscales ((n_h − 1)/n_h per replicate, times 1 − n_h/N_h with an fpc); "
                    "pass rscales or build the design with SurveyDesign.to_replicate('JKn')"
                )
            rscales = np.ones(count)
        rscales = np.asarray(rscales, dtype=float)
        if rscales.shape != (count,):
            raise DesignError(f"expected {count} rscales (one per replicate), found {rscales.shape[0] if rscales.ndim else 1}")
        self._data = data
        self._base_weights = np.asarray(base, dtype=float)
        self._storage = storage
        self._type = type
        self._scale = float(_default_scale(type, count, fay_rho) if scale is None else scale)
        self._rscales = rscales
        self._fay_rho = fay_rho
        self._mse = bool(mse)
        self._mask: np.ndarray | None = None
        self._adjustments: tuple[Any, ...] = ()
        self._column_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._df_cache: float | None = None

    # -- public attributes --------------------------------------------------------------------------
    @property
    def replicate_weights(self) -> np.ndarray:
        """Full analysis weights of every replicate (n × R; zero outside a domain). Materialised on use."""
        matrix = self._storage.analysis_weights(self._base_weights)
        return matrix if self._mask is None else np.where(self._mask[:, None], matrix, 0.0)

    @property
    def type(self) -> str:
        return self._type

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def rscales(self) -> np.ndarray:
        return self._rscales

    @property
    def mse(self) -> bool:
        return self._mse

    @property
    def replicates(self) -> int:
        return self._storage.replicates

    @property
    def rows(self) -> int:
        """R's ``nrow``: a subset of a replicate design keeps only the domain's rows."""
        return len(self._data) if self._mask is None else int(self._mask.sum())

    @property
    def rows_in_design(self) -> np.ndarray:
        """Boolean per data row: whether R's design object holds it (a subset keeps the domain's rows)."""
        return np.ones(len(self._data), dtype=bool) if self._mask is None else self._mask.copy()

    @property
    def degrees_of_freedom(self) -> float:
        """Rank of the analysis replicate weights (rows of the design) minus 1 (R ``degf``)."""
        if self._df_cache is None:
            codes = np.zeros(len(self._data), dtype=np.int64) if self._mask is None else np.where(self._mask, 0, -1)
            self._df_cache = float(self.domain_degrees_of_freedom(codes, 1)[0])
        return self._df_cache

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(rows={len(self._data)}, type={self._type!r}, replicates={self.replicates}, "
            f"scale={self._scale:g}, mse={self._mse}, adjustments={len(self._adjustments)})"
        )

    # -- hooks for weighting ----------------------------------------------------------------------
    def with_weights(self, new_weights: np.ndarray, new_replicate_weights: np.ndarray, adjustment: Any) -> "ReplicateDesign":
        """Same replicate recipe with new full-sample weights and new (n × R) analysis replicate weights."""
        new_weights = np.asarray(new_weights, dtype=float)
        matrix = np.asarray(new_replicate_weights, dtype=float)
        n = len(self._data)
        if new_weights.shape != (n,) or matrix.shape != (n, self.replicates):
            raise DesignError(
                f"expected {n} weights and an ({n} × {self.replicates}) replicate matrix, found "
                f"{new_weights.shape} and {matrix.shape}"
            )
        adjustments = self._adjustments + ((adjustment,) if adjustment is not None else ())
        return self._derive(_base_weights=new_weights, _storage=_AnalysisWeights(matrix), _adjustments=adjustments)

    # -- backend used by surveys.estimation.estimators ---------------------------------------------------------
    def analysis_weights(self) -> np.ndarray:
        return self._base_weights

    def replicate_totals(self, values: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray:
        return self._storage.totals(self._base_weights, values, domain, domains)

    def replicate_covariance(self, replicates: np.ndarray, estimate: np.ndarray) -> np.ndarray:
        """Covariance matrix ``scale · Σ_r rscale_r (θ_r − θ̄)(θ_r − θ̄)ᵀ`` of k statistics.

        ``replicates`` is (R × k): the statistics recomputed with each replicate's analysis weights
        (:attr:`replicate_weights`); ``estimate`` (k) the full-sample values, the centre when ``mse``.
        Estimators that refit per replicate (regression, contrasts, reliability) use this.
        """
        replicates = np.asarray(replicates, dtype=float)
        if replicates.ndim == 1:
            replicates = replicates[:, None]
        if replicates.shape[0] != self.replicates:
            raise DesignError(f"expected one row per replicate ({self.replicates}), found {replicates.shape[0]}")
        centre = np.asarray(estimate, dtype=float)[None, :] if self._mse else replicates.mean(axis=0, keepdims=True)
        deviations = replicates - centre
        return self._scale * (deviations.T * self._rscales) @ deviations

    def replicate_variance(self, replicates: np.ndarray, estimate: np.ndarray) -> np.ndarray:
        centre = estimate[:, None] if self._mse else replicates.mean(axis=1, keepdims=True)
        return self._scale * ((replicates - centre) ** 2 @ self._rscales)

    def domain_degrees_of_freedom(self, domain: np.ndarray, domains: int) -> np.ndarray:
        nonzero = self._base_weights != 0
        if domains == 1 and (domain >= 0).all():
            rows = np.flatnonzero(nonzero)
            return np.array([gram_rank(self._storage.gram(self._base_weights, rows)) - 1.0])
        order = np.argsort(domain, kind="stable")
        counts = np.bincount(domain[domain >= 0], minlength=domains)
        start = int((domain < 0).sum())
        result = np.empty(domains)
        for index in range(domains):  # a rank per domain (R recomputes degf on each subset)
            rows = order[start:start + counts[index]]
            start += counts[index]
            rows = rows[nonzero[rows]]
            result[index] = gram_rank(self._storage.gram(self._base_weights, rows)) - 1
        return result

    def domain_rows(self, domain_rows: np.ndarray) -> np.ndarray:
        """R's nrow of each domain's design object: a replicate subset keeps the domain's rows."""
        return domain_rows


def _type_name(value: Any) -> str:
    return type(value).__name__


def build_replicate_design(design: Any, *, type: str, replicates: int | None = None, seed: int | None = None,
                           mse: bool = False) -> ReplicateDesign:
    """JK1 / JKn / bootstrap replicate design from a linearization design (see the module docstring)."""
    if type not in BUILDABLE_TYPES:
        raise DesignError(f"unknown replicate type {type!r} for to_replicate; expected one of {', '.join(BUILDABLE_TYPES)}")
    if design.adjustments:
        raise DesignError(
            "to_replicate needs an unadjusted design (the adjustment would not be redone per replicate); "
            "convert first, then poststratify/rake/calibrate the replicate design"
        )
    stage = design._layout.stages[0]
    check_lonely(stage, design.lonely_psu)  # the linearization variance would refuse these strata: so do replicates
    psu, count, group = stage.unit, stage.units, stage.group_of_unit
    sampled = stage.sampled.astype(float)
    correction = np.ones(stage.groups) if stage.fraction is None else 1.0 - stage.fraction
    if count < 2:
        raise DesignError(f"expected at least 2 PSUs to build replicates, found {count}")
    if type == "JK1":
        if stage.groups > 1:
            raise DesignError(
                f"JK1 ignores strata but this design has {stage.groups}; use type='JKn' for a stratified design"
            )
        multipliers = np.full((count, count), count / (count - 1.0))
        np.fill_diagonal(multipliers, 0.0)
        scale = (count - 1.0) / count * float(correction[0])
        rscales = np.ones(count)
    elif type == "JKn":
        lonely = np.flatnonzero(stage.sampled == 1)
        if lonely.size:
            raise DesignError(
                f"JKn needs at least 2 PSUs per stratum; stratum {stage.group_labels[int(lonely[0])]!r} has 1; "
                f"merge it with another stratum"
            )
        factor = (sampled / (sampled - 1.0))[group]
        multipliers = np.where(group[:, None] == group[None, :], factor[None, :], 1.0)
        np.fill_diagonal(multipliers, 0.0)
        scale = 1.0
        rscales = ((sampled - 1.0) / sampled * correction)[group]
    else:
        count_replicates = 50 if replicates is None else int(replicates)
        if count_replicates < 2:
            raise DesignError(f"expected at least 2 bootstrap replicates, found {count_replicates}")
        multipliers = _bootstrap_multipliers(stage, count_replicates, np.random.default_rng(seed))
        harmonic = stage.groups / float(np.sum(1.0 / sampled))
        if harmonic <= 1:
            raise DesignError("bootstrap needs strata with at least 2 PSUs on average (harmonic mean n̄ > 1)")
        scale = harmonic / ((harmonic - 1.0) * (count_replicates - 1.0))
        rscales = np.ones(count_replicates)
    return ReplicateDesign._from_psu_multipliers(
        design.data, design.analysis_weights(), psu, count, multipliers, type, scale, rscales, mse, design.domain_mask
    )


#: Draws per block of bootstrap replicates (8,192 draws: 64 KB per temporary array).
_DRAW_BLOCK = 8192


def _bootstrap_multipliers(stage: Any, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Times each PSU is drawn: n_h draws per stratum, with replacement (or, with an fpc, without
    replacement from the stratum's PSUs repeated to N_h)."""
    order = np.argsort(stage.group_of_unit, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(stage.sampled)))
    if stage.fraction is None:
        # every draw slot belongs to a stratum; a draw picks one of that stratum's PSUs uniformly. The draws are
        # made a block of replicates at a time (the same random stream as one replicates × PSUs array), so that the
        # temporaries stay small enough to be reused from block to block instead of taking fresh memory pages.
        slot_group = stage.group_of_unit[order]
        start, size = bounds[slot_group], stage.sampled[slot_group]
        last = size - 1
        multipliers = np.empty((stage.units, replicates))
        block = max(1, min(replicates, _DRAW_BLOCK // stage.units))
        for first in range(0, replicates, block):
            count = min(block, replicates - first)
            draws = rng.random((count, stage.units))
            draws *= size
            picks = draws.astype(np.int64)
            np.minimum(picks, last, out=picks)
            picks += start
            keys = order[picks]
            keys *= count
            keys += np.arange(count)[:, None]
            multipliers[:, first:first + count] = np.bincount(keys.ravel(), minlength=stage.units * count).reshape(
                stage.units, count)
        return multipliers
    multipliers = np.zeros((stage.units, replicates))
    for group in range(stage.groups):  # one draw per stratum (not per PSU)
        members = order[bounds[group]:bounds[group + 1]]
        size = len(members)
        population = int(round(size / stage.fraction[group]))
        colors = np.full(size, population // size, dtype=np.int64)
        colors[: population % size] += 1
        multipliers[members] = rng.multivariate_hypergeometric(colors, size, size=replicates).T
    return multipliers
