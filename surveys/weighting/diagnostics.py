"""Adjustment records — what a weighting step did, how the variance must account for it, and its
diagnostics.

Each weighting function of :mod:`surveys.weighting.methods` appends one record to the design's
``adjustments``: :class:`PostStratification`, :class:`Raking`, :class:`Calibration` or
:class:`Trimming`. A record keeps the weights before and after and the arrays its
``residualize(x)`` needs (R's variance recipe for that adjustment, applied by the variance engine
to the influence values), and computes its :class:`WeightingDiagnostics` on first access.

For weights w of the respondents with a positive weight (n of them):

* Kish design effect of unequal weighting ``1 + CV² = n Σw² / (Σw)²`` (CV with the population
  variance), effective sample size ``n / (1 + CV²) = (Σw)² / Σw²``;
* ``weight_ratio`` = max w / min w; ``top_share`` = share of Σw held by the ⌈1 %·n⌉ largest weights;
* ``adjustment_factor_min/max`` = range of (w_new / w_old) / (Σw_new / Σw_old) over respondents with
  w_old > 0: how unevenly the adjustment moved the weights, whatever the scale of the base weights
  (an unweighted sample raked to population counts has an overall factor N/n, not a problem);
* ``largest_margin_gap`` = max over margin categories of |Σ w_new − target| / target.

Weights "explode" when an adjustment factor leaves [1/``FACTOR_LIMIT``, ``FACTOR_LIMIT``] or the
Kish design effect passes ``KISH_LIMIT``; such adjustments carry a flag saying so (and what to do).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.questionnaire import Text
from surveys.weighting.calibration import INTERCEPT
from surveys.weighting.raking import CellEncoding, ResolvedMargins, group_sums

__all__ = [
    "Adjustment",
    "PostStratification",
    "Raking",
    "Calibration",
    "Trimming",
    "WeightingDiagnostics",
    "weight_statistics",
    "explosion_flags",
    "margin_table",
    "MARGIN_TABLE_COLUMNS",
    "FACTOR_LIMIT",
    "KISH_LIMIT",
    "TOP_FRACTION",
]

FACTOR_LIMIT = 5.0
KISH_LIMIT = 3.0
TOP_FRACTION = 0.01
_RAKING_VARIANCE_SWEEPS = 10  # R's svyrecvar back-fits raking residuals with 10 sweeps

MARGIN_TABLE_COLUMNS = [
    "variable",
    "category",
    "respondents",
    "target_total",
    "total_before",
    "total_after",
    "target_share",
    "share_before",
    "share_after",
]


def weight_statistics(weights: np.ndarray) -> dict[str, float]:
    """Kish design effect, effective sample size, min/max/ratio and top-1 % share of positive weights."""
    positive = np.asarray(weights, dtype=float)
    positive = positive[positive > 0]
    n = len(positive)
    if n == 0:
        return {
            "respondents": 0, "total_weight": 0.0, "kish_design_effect": math.nan, "effective_sample_size": 0.0,
            "weight_min": math.nan, "weight_max": math.nan, "weight_ratio": math.nan, "top_share": math.nan,
        }
    total = float(positive.sum())
    squares = float(np.dot(positive, positive))
    top = max(1, math.ceil(TOP_FRACTION * n))
    largest = np.partition(positive, n - top)[n - top:] if top < n else positive
    low, high = float(positive.min()), float(positive.max())
    return {
        "respondents": n,
        "total_weight": total,
        "kish_design_effect": n * squares / total**2,
        "effective_sample_size": total**2 / squares,
        "weight_min": low,
        "weight_max": high,
        "weight_ratio": high / low,
        "top_share": float(largest.sum()) / total,
    }


def explosion_flags(statistics: Mapping[str, float], factor_min: float, factor_max: float) -> tuple[Text, ...]:
    """The exploding-weight warnings of one adjustment, in Chinese and English."""
    flags = []
    if factor_max > FACTOR_LIMIT or (factor_min > 0 and factor_min < 1.0 / FACTOR_LIMIT):
        flags.append(Text(
            f"权重离散过大：调整系数范围 {factor_min:.3g}–{factor_max:.3g}"
            f"（界限 1/{FACTOR_LIMIT:g}–{FACTOR_LIMIT:g}）；可合并稀疏类别、限定调整系数上下界或截尾"
            "（研究设定中的 weighting.collapse、weighting.bounds、weighting.trim）",
            f"weights exploded: adjustment factors range {factor_min:.3g}–{factor_max:.3g} (limit "
            f"1/{FACTOR_LIMIT:g}–{FACTOR_LIMIT:g}); collapse sparse categories, bound the factors or trim the "
            "weights (weighting.collapse, weighting.bounds, weighting.trim in a study spec)"))
    kish = statistics.get("kish_design_effect", math.nan)
    if kish > KISH_LIMIT:
        effective, respondents = statistics["effective_sample_size"], statistics["respondents"]
        flags.append(Text(
            f"权重离散过大：Kish 设计效应 {kish:.3g} > {KISH_LIMIT:g}"
            f"（有效样本量 {effective:.1f}，受访者 {respondents}）；"
            "可合并稀疏类别或截尾（weighting.collapse、weighting.trim）",
            f"weights exploded: Kish design effect {kish:.3g} > {KISH_LIMIT:g} (effective n {effective:.1f} of "
            f"{respondents}); collapse sparse categories or trim the weights"))
    return tuple(flags)


def margin_table(
    rows: Sequence[tuple[str, str, int, float, float, float]], denominators: Mapping[str, tuple[float, float, float]]
) -> pd.DataFrame:
    """The before/after table: rows (variable, category, respondents, target, before, after); shares
    divide by the variable's (target, before, after) totals in ``denominators`` (NaN when absent)."""
    records = []
    for variable, category, respondents, target, before, after in rows:
        target_total, before_total, after_total = denominators.get(variable, (math.nan,) * 3)
        records.append(
            (variable, category, respondents, target, before, after,
             target / target_total, before / before_total, after / after_total)
        )
    return pd.DataFrame.from_records(records, columns=MARGIN_TABLE_COLUMNS)


@dataclass(frozen=True, eq=False)
class WeightingDiagnostics:
    """What one adjustment did to the weights (see the module docstring for the formulas).

    ``convergence_trace``: the largest relative margin gap after each sweep (raking), the largest
    ``|misfit|/(1+|T|)`` after each Newton step (calibration), empty for closed forms.
    ``margins``: the before/after table (:data:`MARGIN_TABLE_COLUMNS`), one row per margin category
    (calibration: one row per model-matrix column; numeric auxiliaries have NaN shares).
    ``collapsed``: the collapse map that was applied; ``flags`` / ``flags_zh``: exploding-weight warnings in
    English / Chinese;
    ``notes``: anything else the caller should know (e.g. R quirks reproduced).
    """

    method: str
    iterations: int
    converged: bool
    convergence_trace: tuple[float, ...]
    largest_margin_gap: float
    respondents: int
    total_weight: float
    kish_design_effect: float
    effective_sample_size: float
    weight_min: float
    weight_max: float
    weight_ratio: float
    top_share: float
    adjustment_factor_min: float
    adjustment_factor_max: float
    margins: pd.DataFrame = field(repr=False)
    collapsed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    kish_design_effect_before: float = math.nan
    flags_zh: tuple[str, ...] = ()

    @property
    def exploded(self) -> bool:
        return bool(self.flags)

    def to_dict(self) -> dict[str, Any]:
        """The scalar fields (without the margins table)."""
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name != "margins"
        }


def build_diagnostics(
    *,
    method: str,
    old_weights: np.ndarray,
    new_weights: np.ndarray,
    iterations: int,
    converged: bool,
    trace: Sequence[float],
    largest_gap: float,
    margins: pd.DataFrame,
    collapsed: Mapping[str, Mapping[str, str]] | None = None,
    notes: Sequence[str] = (),
) -> WeightingDiagnostics:
    statistics = weight_statistics(new_weights)
    before = weight_statistics(old_weights)
    mask = old_weights > 0
    scale = float(new_weights[mask].sum()) / float(old_weights[mask].sum()) if mask.any() else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = new_weights[mask] / old_weights[mask] / scale
    factor_min = float(factors.min()) if factors.size else math.nan
    factor_max = float(factors.max()) if factors.size else math.nan
    flags = explosion_flags(statistics, factor_min, factor_max)
    return WeightingDiagnostics(
        method=method,
        iterations=iterations,
        converged=converged,
        convergence_trace=tuple(float(t) for t in trace),
        largest_margin_gap=float(largest_gap),
        respondents=int(statistics["respondents"]),
        total_weight=statistics["total_weight"],
        kish_design_effect=statistics["kish_design_effect"],
        effective_sample_size=statistics["effective_sample_size"],
        weight_min=statistics["weight_min"],
        weight_max=statistics["weight_max"],
        weight_ratio=statistics["weight_ratio"],
        top_share=statistics["top_share"],
        adjustment_factor_min=factor_min,
        adjustment_factor_max=factor_max,
        margins=margins,
        collapsed={k: dict(v) for k, v in (collapsed or {}).items()},
        flags=tuple(flag.en for flag in flags),
        notes=tuple(notes),
        kish_design_effect_before=before["kish_design_effect"],
        flags_zh=tuple(flag.zh for flag in flags),
    )


# ------------------------------------------------------------------------------------------
# Adjustment records
# ------------------------------------------------------------------------------------------


def _ratio(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """x / w row-wise, 0 where w is 0 (rows that carry no weight carry no influence)."""
    safe = np.where(weights != 0, weights, 1.0)
    return np.where((weights != 0)[:, None], x / safe[:, None], 0.0)


@dataclass(frozen=True, eq=False)
class Adjustment:
    """One weighting step: the weights before and after, how the variance must account for it
    (:meth:`residualize`), and its :attr:`diagnostics` (computed on first access)."""

    method: ClassVar[str] = "adjustment"
    old_weights: np.ndarray = field(repr=False)
    new_weights: np.ndarray = field(repr=False)

    def residualize(self, x: np.ndarray) -> np.ndarray:
        """Influence values (n × k) after the adjustment; the identity by default."""
        return x

    @cached_property
    def diagnostics(self) -> WeightingDiagnostics:
        return self._diagnose()

    def _diagnose(self) -> WeightingDiagnostics:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class _CellAdjustment(Adjustment):
    """Shared by post-stratification and raking: margins resolved on the respondents' cells."""

    encoding: CellEncoding = field(repr=False, default=None)
    margins: "ResolvedMargins" = field(repr=False, default=None)
    start_totals: np.ndarray = field(repr=False, default=None)
    final_totals: np.ndarray = field(repr=False, default=None)
    iterations: int = 1
    converged: bool = True
    trace: tuple[float, ...] = ()
    notes: tuple[str, ...] = ()

    def _row_codes(self, margin: int) -> np.ndarray:
        return self.margins.codes[margin][self.encoding.cell_of_row]

    def _diagnose(self) -> WeightingDiagnostics:
        rows, denominators, gap = self.margins.before_after(
            self.encoding.respondents, self.start_totals, self.final_totals
        )
        return build_diagnostics(
            method=self.method, old_weights=self.old_weights, new_weights=self.new_weights,
            iterations=self.iterations, converged=self.converged, trace=self.trace, largest_gap=gap,
            margins=margin_table(rows, denominators), collapsed=self.margins.collapsed, notes=self.notes,
        )


@dataclass(frozen=True, eq=False)
class PostStratification(_CellAdjustment):
    """``w ← w · N_g / N̂_g`` within post-strata g.

    Variance (R ``svyrecvar``): ``z = x / w_new``; ``z ← z − Σ_g w_old z / Σ_g w_old`` within each
    post-stratum; ``x = w_new · z``.
    """

    method: ClassVar[str] = "poststratify"

    def residualize(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        matrix = x.reshape(len(x), -1)
        groups = self._row_codes(0)
        count = len(self.margins.targets[0])
        z = _ratio(matrix, self.new_weights)
        weighted = group_sums(groups, z * self.old_weights[:, None], count)
        base = np.bincount(groups, weights=self.old_weights, minlength=count)
        means = np.divide(weighted, base[:, None], out=np.zeros_like(weighted), where=base[:, None] > 0)
        return (self.new_weights[:, None] * (z - means[groups])).reshape(x.shape)


@dataclass(frozen=True, eq=False)
class Raking(_CellAdjustment):
    """Iterative proportional fitting to several margins (see :mod:`surveys.weighting.raking`).

    Variance (R ``svyrecvar``): 10 back-fitting sweeps over the margins of
    ``x ← x − w_k · ave(x / w_k | margin-k category)`` with unweighted category means and ``w_k`` the
    weights right after margin k in the last raking sweep — the residuals of an unweighted
    least-squares projection of x/w on the margin dummies.
    """

    method: ClassVar[str] = "rake"
    step_totals: tuple[np.ndarray, ...] = field(repr=False, default=())

    @cached_property
    def _step_factors(self) -> list[np.ndarray]:
        """Each cell's weight factor right after margin k of the last raking sweep (cells,): ``w_k = w_old · f_k``."""
        start = self.start_totals
        return [np.divide(totals, start, out=np.ones_like(totals), where=start > 0) for totals in self.step_totals]

    def residualize(self, x: np.ndarray) -> np.ndarray:
        """R's back-fitting, computed on the cells: every step's weight is ``w_old · f_k(cell)``, so with
        ``z = x / w_old`` one step subtracts ``f_k(cell) · mean`` from the z of every row of a cell alike. The sweeps
        therefore run on the cell totals of z and one shift per cell (cells × k numbers, not rows × k), and the rows
        are touched twice: z's cell totals, then ``x − w_old · shift(cell)``. The same arithmetic as the row-by-row
        sweeps, up to rounding; the cost no longer grows with rows × sweeps × margins."""
        x = np.asarray(x, dtype=float)
        matrix = x.reshape(len(x), -1)
        old, cells = self.old_weights, self.encoding.cell_of_row
        count = self.encoding.cells
        z_totals = group_sums(cells, _ratio(matrix, old), count)
        # rows whose ratio counts (w_old ≠ 0) and rows in the unweighted means (w_old > 0), per cell
        counted = np.bincount(cells, weights=(old != 0).astype(float), minlength=count)
        carries = np.bincount(cells, weights=(old > 0).astype(float), minlength=count)
        codes = self.margins.codes
        sizes = [np.bincount(c, weights=carries, minlength=len(t)) for c, t in zip(codes, self.margins.targets)]
        inverses = [np.divide(1.0, f, out=np.zeros_like(f), where=f != 0) for f in self._step_factors]
        shift = np.zeros_like(z_totals)
        for _ in range(_RAKING_VARIANCE_SWEEPS):
            for factor, inverse, group, size in zip(self._step_factors, inverses, codes, sizes):
                ratio_totals = (z_totals - counted[:, None] * shift) * inverse[:, None]
                means = group_sums(group, ratio_totals, len(size)) / np.maximum(size, 1)[:, None]
                shift += factor[:, None] * means[group]
        return (matrix - old[:, None] * shift[cells]).reshape(x.shape)


@dataclass(frozen=True, eq=False)
class Calibration(Adjustment):
    """``w_new = g · w_old`` calibrated to totals (see :mod:`surveys.weighting.calibration`).

    Variance (R ``svyrecvar``, greg_calibration): ``x ← w_new · (z − X β̂)`` with ``z = x / w_new``
    and β̂ the least-squares regression of z on X weighted by ``w_old``.
    """

    method: ClassVar[str] = "calibrate"
    model: Any = field(repr=False, default=None)
    calfun: str = "linear"
    bounds: tuple[float, float] = (-math.inf, math.inf)
    trim: tuple[float, float] | None = None
    iterations: int = 0
    converged: bool = True
    trace: tuple[float, ...] = ()
    notes: tuple[str, ...] = ()

    @cached_property
    def _basis(self) -> np.ndarray:
        """Orthonormal basis of the columns of √w_old · X (rank-revealing pivoted QR)."""
        from scipy.linalg import qr

        scaled = self.model.matrix * np.sqrt(self.old_weights)[:, None]
        q, r, _ = qr(scaled, mode="economic", pivoting=True)
        diagonal = np.abs(np.diag(r))
        rank = int(np.sum(diagonal > diagonal.max() * 1e-7)) if diagonal.size else 0
        return q[:, :rank]

    def residualize(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        matrix = x.reshape(len(x), -1)
        root = np.sqrt(self.old_weights)
        # R: qr.resid(qr(X·√w_old), x / (g·√w_old)) · g·√w_old, with g·√w_old = w_new / √w_old
        scale = np.divide(self.new_weights, root, out=np.zeros_like(root), where=root > 0)
        y = _ratio(matrix, scale)
        residual = y - self._basis @ (self._basis.T @ y)
        return (scale[:, None] * residual).reshape(x.shape)

    def _diagnose(self) -> WeightingDiagnostics:
        matrix, targets, names = self.model.matrix, self.model.targets, self.model.names
        before = matrix.T @ self.old_weights
        after = matrix.T @ self.new_weights
        rows = []
        denominators = {}
        size_index = names.index(INTERCEPT) if INTERCEPT in names else None
        for index, name in enumerate(names):
            variable, category = name, ""
            for candidate, levels in self.model.categorical.items():
                if name.startswith(candidate) and name[len(candidate):] in levels:
                    variable, category = candidate, name[len(candidate):]
            if size_index is not None and (variable in self.model.categorical or name == INTERCEPT):
                denominators[variable] = (targets[size_index], before[size_index], after[size_index])
            respondents = int(np.count_nonzero(matrix[:, index]))
            rows.append((variable, category, respondents, targets[index], before[index], after[index]))
        with np.errstate(divide="ignore", invalid="ignore"):
            gaps = np.abs(after - targets) / np.where(targets != 0, np.abs(targets), 1.0)
        return build_diagnostics(
            method=self.method, old_weights=self.old_weights, new_weights=self.new_weights,
            iterations=self.iterations, converged=self.converged, trace=self.trace,
            largest_gap=float(np.max(gaps)) if gaps.size else 0.0,
            margins=margin_table(rows, denominators), notes=self.notes,
        )


@dataclass(frozen=True, eq=False)
class Trimming(Adjustment):
    """Weights clipped to [lower, upper], the trimmed amount spread equally over the others.

    Variance: no residualization of its own — as R, an earlier calibration's residualization (with
    its own g) still applies.
    """

    method: ClassVar[str] = "trim_weights"
    lower: float = -math.inf
    upper: float = math.inf
    strict: bool = False
    rounds: int = 1
    trimmed: int = 0

    def _diagnose(self) -> WeightingDiagnostics:
        notes = (f"{self.trimmed} weight(s) trimmed to [{self.lower:g}, {self.upper:g}] in {self.rounds} round(s)",)
        # Trimming has no margins of its own: the gap is not applicable (NaN), not zero. Margins an earlier
        # raking met may no longer hold after trimming; check them against that adjustment's targets.
        return build_diagnostics(
            method=self.method, old_weights=self.old_weights, new_weights=self.new_weights,
            iterations=self.rounds, converged=True, trace=(), largest_gap=math.nan,
            margins=pd.DataFrame(columns=MARGIN_TABLE_COLUMNS), notes=notes,
        )
