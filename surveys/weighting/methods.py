"""Weighting: post-stratification, raking, calibration and trimming of a survey design.

Each function takes a design (:class:`~surveys.design.SurveyDesign` or
:class:`~surveys.design.ReplicateDesign`; typed as the interface of :mod:`surveys.design_interface`, since the
weighting stage imports no design class) and returns a NEW design of the same kind whose weights are adjusted and
whose ``adjustments`` end with a record of what was done. The record serves two purposes:

* variance: the engine passes the influence values of every estimator through
  ``adjustment.residualize(x)`` (R's recipes, see each class), so standard errors account for the
  weighting; replicate designs are instead adjusted replicate by replicate (the same adjustment is
  redone on every replicate column);
* diagnostics: ``adjustment.diagnostics`` (:class:`~surveys.weighting.diagnostics.WeightingDiagnostics`,
  computed on first access) and :func:`design_weight_summary`.

Everything is validated against R survey 4.1.1 (``postStratify``, ``rake``, ``calibrate``,
``trimWeights`` on ``dclus1`` and on ``as.svrepdesign(dclus1)``; the reference cases of
``tests/reference/r_survey``): the final weights match R's exported weights at 1e-9 relative.

Population margins are data (:mod:`surveys.weighting.margins`): pass a :class:`~surveys.weighting.margins.Margins`
loaded from a margin file, a pandas Series/DataFrame as in R (``stype``, ``Freq``) or a mapping.
Shares are scaled to ``population_total`` when given, else to the counts of another margin, else to
the design's total weight. Problems of real data get one error listing all of them: a category
found in the sample but absent from the margins, a margin category without respondents, a missing
value — each with its count and the fix; ``collapse={variable: {from_code: to_code}}`` merges
categories (in the data and in the margins) and is recorded in the diagnostics.

Paper and online respondents
----------------------------
Paper (interviewer, district quotas) and online (self-selected, younger, more urban) respondents
can be weighted (a) together, pooling both modes and raking the pooled sample to the population
margins, or (b) separately, raking each mode to the full population and combining the two with
factors λ and 1 − λ (e.g. proportional to each mode's effective sample size). The demo pools the
modes and rakes once (a): the population margins (district, sex, age group, district × sex) are
the only population information there is, the population has no "mode" total (the questionnaires
list ``mode`` among their weighting variables so that it can be used as a weighting class, but its
shares would be a choice, not a census figure), and a single raking keeps one adjustment record
whose residualization the variance engine understands. Pooling assumes that, within the margin
cells, the two modes answer alike; check it by comparing the weighted estimates by mode
(``design.by("mode")``). Mode as a weighting class (a ``mode`` margin with chosen shares) or (b)
fit when the modes cover different populations (e.g. an online panel reaching only the young).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.design_interface import Design, DesignT
from surveys.errors import ConvergenceError, WeightingError
from surveys.weighting.calibration import (
    CALIBRATION_FUNCTIONS,
    calibration_factors,
    model_matrix,
    trim_factors,
)
from surveys.weighting.diagnostics import (
    Adjustment,
    Calibration,
    PostStratification,
    Raking,
    Trimming,
    WeightingDiagnostics,
    weight_statistics,
)
from surveys.weighting.margins import as_margin_table, as_margin_tables
from surveys.weighting.raking import (
    CellEncoding,
    fit_cells,
    replay_sweeps,
    resolve_margins,
    share_cell_cache,
)

__all__ = [
    "poststratify",
    "rake",
    "calibrate",
    "trim_weights",
    "design_weight_summary",
    "Adjustment",
    "PostStratification",
    "Raking",
    "Calibration",
    "Trimming",
    "WeightingDiagnostics",
    "WeightingConvergenceWarning",
]

_ON_NONCONVERGENCE = ("raise", "warn")


class WeightingConvergenceWarning(RuntimeWarning):
    """An iterative weighting method stopped before converging (``on_nonconvergence="warn"``)."""


# ------------------------------------------------------------------------------------------
# Design plumbing
# ------------------------------------------------------------------------------------------


def _replicates(design: Design) -> np.ndarray | None:
    """The (n × R) replicate analysis weights of a replicate design, None for other designs."""
    if getattr(design, "is_replicate", True) is False:
        return None
    replicate = getattr(design, "replicate_weights", None)
    return None if replicate is None else np.asarray(replicate, dtype=float)


def _finish(design: DesignT, weights: np.ndarray, replicate: np.ndarray | None,
            adjustment: Adjustment | None) -> DesignT:
    """The new design; ``replicate`` is the adjusted replicate matrix of a replicate design."""
    if replicate is not None:
        result = design.with_weights(weights, replicate, adjustment)
    else:
        result = design.with_weights(weights, adjustment)
    share_cell_cache(design, result)
    return result


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise WeightingError(f"{name} must be one of {list(choices)}; found {value!r}")


def _nonconvergence(message: str, on_nonconvergence: str) -> None:
    if on_nonconvergence == "raise":
        raise ConvergenceError(message + "; or pass on_nonconvergence='warn' to keep the last weights")
    warnings.warn(WeightingConvergenceWarning(message), stacklevel=3)


def _map_back(weights: np.ndarray, encoding: CellEncoding, start: np.ndarray, final: np.ndarray) -> np.ndarray:
    factor = np.divide(final, start, out=np.ones_like(final), where=start > 0)
    adjusted = factor[encoding.cell_of_row]  # each row's factor, times its weight in place: one array over the rows
    adjusted *= weights
    return adjusted


# ------------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------------


def poststratify(
    design: DesignT,
    by: str | Sequence[str],
    population: Any,
    *,
    collapse: Mapping[str, Mapping[Any, Any]] | None = None,
    population_total: float | None = None,
) -> DesignT:
    """Post-stratify: ``w ← w · N_g / N̂_g`` in every post-stratum g of ``by`` (one variable, or a
    list for their cross-classification), as R ``postStratify(design, ~by, population)``.

    ``population``: counts or shares per category in any form of
    :func:`surveys.weighting.margins.as_margin_table` (R's ``data.frame(stype=..., Freq=...)`` included).
    Replicate designs post-stratify every replicate column too (a replicate that holds no weight in
    a post-stratum, its PSUs all deleted, leaves it at zero). Validated: R's weights of
    ``postStratify(dclus1, ~stype, pop.types)`` and of ``postStratify(rclus1, ...)`` (1e-12).
    """
    table = as_margin_table(population, by)
    weights = np.asarray(design.weights, dtype=float)
    encoding, margins, start = resolve_margins(
        design.data, weights, [table], collapse=collapse, population_total=population_total, owner=design
    )
    achieved = np.bincount(margins.codes[0], weights=start, minlength=len(margins.targets[0]))
    factor = margins.targets[0] / achieved
    final = start * factor[margins.codes[0]]
    new_weights = _map_back(weights, encoding, start, final)
    replicate = _replicates(design)
    new_replicate = None
    if replicate is not None:
        cells = encoding.totals(replicate)
        new_replicate = _map_back(replicate, encoding, cells, replay_sweeps(cells, margins.codes, margins.targets, 1))
    adjustment = PostStratification(
        old_weights=weights, new_weights=new_weights, encoding=encoding, margins=margins,
        start_totals=start, final_totals=final,
    )
    return _finish(design, new_weights, new_replicate, adjustment)


def rake(
    design: DesignT,
    margins: Any,
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
    epsilon: float | None = None,
    collapse: Mapping[str, Mapping[Any, Any]] | None = None,
    population_total: float | None = None,
    on_nonconvergence: str = "raise",
) -> DesignT:
    """Rake (iterative proportional fitting) to several margins; R ``rake()``.

    ``margins``: :class:`~surveys.weighting.margins.Margins`, a mapping variable → population, or a list of
    margin tables / R-style DataFrames / ``(by, population)`` pairs; joint tables (``"a+b"``) are
    allowed. Each sweep post-stratifies on every margin in order; the fit runs on cell totals
    (:mod:`surveys.weighting.raking`).

    Stopping: by default when the largest relative margin gap ``max |Σ w − N| / N`` is below
    ``tolerance`` (fully converged). With ``epsilon=`` R's rule instead: stop when the joint table of
    weight sums changes by less than ε in a sweep, ε = epsilon if ≥ 1 else epsilon · Σw — with
    ``max_iterations=10, epsilon=1`` this reproduces R's default weights exactly (4 sweeps on
    dclus1). Not converged after ``max_iterations`` sweeps: :class:`~surveys.errors.ConvergenceError`
    (or :class:`WeightingConvergenceWarning` and the last weights with
    ``on_nonconvergence="warn"``, R's behaviour). Replicate designs rake every replicate column
    with the number of sweeps the full sample needed (R).
    """
    _check_choice("on_nonconvergence", on_nonconvergence, _ON_NONCONVERGENCE)
    if not (isinstance(max_iterations, (int, np.integer)) and max_iterations >= 1):
        raise WeightingError(f"max_iterations must be a whole number ≥ 1; found {max_iterations!r}")
    tables = as_margin_tables(margins)
    if not tables:
        raise WeightingError("rake() needs at least one margin")
    weights = np.asarray(design.weights, dtype=float)
    encoding, resolved, start = resolve_margins(
        design.data, weights, tables, collapse=collapse, population_total=population_total, owner=design
    )
    if epsilon is None:
        if not tolerance > 0:
            raise WeightingError(f"tolerance must be > 0; found {tolerance!r}")
        rule, threshold = "relative_gap", float(tolerance)
    else:
        if not epsilon > 0:
            raise WeightingError(f"epsilon must be > 0; found {epsilon!r}")
        rule = "r_epsilon"
        threshold = float(epsilon) if epsilon >= 1 else float(epsilon) * float(weights.sum())
    fit = fit_cells(start, resolved.codes, resolved.targets, rule=rule, threshold=threshold,
                    max_iterations=int(max_iterations))
    notes = []
    if not fit.converged:
        criterion = (
            f"largest relative margin gap {fit.largest_gap:.3g} (tolerance {threshold:g})"
            if rule == "relative_gap"
            else f"largest change of a cell total {fit.change_trace[-1]:.3g} (epsilon {epsilon:g}"
            + ("" if epsilon is None or epsilon >= 1 else f" × Σw = {threshold:.4g}")
            + f"); largest relative margin gap {fit.largest_gap:.3g}"
        )
        message = (
            f"raking did not converge in {fit.sweeps} sweeps: {criterion}; raise max_iterations, collapse "
            "sparse categories, or check that the margins are consistent"
        )
        notes.append(message)
        _nonconvergence(message, on_nonconvergence)
    new_weights = _map_back(weights, encoding, start, fit.cell_totals)
    replicate = _replicates(design)
    new_replicate = None
    if replicate is not None:
        cells = encoding.totals(replicate)
        new_replicate = _map_back(replicate, encoding, cells,
                                  replay_sweeps(cells, resolved.codes, resolved.targets, fit.sweeps))
    adjustment = Raking(
        old_weights=weights, new_weights=new_weights, encoding=encoding, margins=resolved,
        start_totals=start, final_totals=fit.cell_totals, iterations=fit.sweeps, converged=fit.converged,
        trace=fit.gap_trace, notes=tuple(notes), step_totals=fit.step_totals,
    )
    return _finish(design, new_weights, new_replicate, adjustment)


def _check_bounds(name: str, bounds: Any, default: tuple[float, float]) -> tuple[float, float]:
    if bounds is None:
        return default
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise WeightingError(f"{name} must be a pair (lower, upper); found {bounds!r}") from None
    if not low < high:
        raise WeightingError(f"{name} must have lower < upper; found {bounds!r}")
    return low, high


def calibrate(
    design: DesignT,
    totals: Any,
    *,
    calfun: str = "linear",
    bounds: tuple[float, float] | None = None,
    trim: tuple[float, float] | None = None,
    max_iterations: int = 50,
    tolerance: float = 1e-7,
    population_total: float | None = None,
    on_nonconvergence: str = "raise",
) -> DesignT:
    """Calibrate the weights to population ``totals``; R ``calibrate(design, formula, population)``.

    ``totals``: R's named vector as a mapping (``{"(Intercept)": 6194, "stypeH": 755, "stypeM":
    1018, "api99": 3914069}``) or per variable (``{"stype": {"E": 4421, "H": 755, "M": 1018},
    "api99": 3914069}``; categorical variables get treatment-contrast dummies and an intercept).
    ``calfun``: a key of :data:`surveys.weighting.calibration.CALIBRATION_FUNCTIONS` ("linear", "raking",
    "logit"); ``bounds`` on g = w_new / w_old (logit needs finite bounds); ``trim=(a, b)`` clips g and
    spreads the trimmed weight proportionally over the other units. As in R, ``trim`` is ignored by
    linear calibration without bounds (R's closed-form path drops it; the diagnostics note it).
    Not converged in ``max_iterations`` Newton steps (every |misfit|/(1+|T|) < ``tolerance``):
    :class:`~surveys.errors.ConvergenceError` (a warning with ``on_nonconvergence="warn"``).
    Replicate designs calibrate every replicate column with the same totals.
    """
    _check_choice("calfun", calfun, tuple(CALIBRATION_FUNCTIONS))
    _check_choice("on_nonconvergence", on_nonconvergence, _ON_NONCONVERGENCE)
    bounds = _check_bounds("bounds", bounds, (-math.inf, math.inf))
    trim = None if trim is None else _check_bounds("trim", trim, (-math.inf, math.inf))
    if CALIBRATION_FUNCTIONS[calfun].needs_finite_bounds and not all(map(math.isfinite, bounds)):
        raise WeightingError(f"calfun='{calfun}' needs finite bounds=(lower, upper) with lower < 1 < upper; "
                             f"found {bounds}")
    if not bounds[0] <= 1 <= bounds[1]:
        raise WeightingError(f"bounds on g must contain 1 (no change); found {bounds}")
    weights = np.asarray(design.weights, dtype=float)
    model = model_matrix(design.data, totals, population_total=population_total)
    closed_form = calfun == "linear" and bounds == (-math.inf, math.inf)
    notes = []
    if trim is not None and closed_form:
        notes.append("trim= ignored: linear calibration without bounds has a closed form that drops trim (as R)")

    def factors(column_weights: np.ndarray, what: str):
        try:
            fit = calibration_factors(
                model.matrix, column_weights, model.targets, calfun=calfun, bounds=bounds,
                max_iterations=max_iterations, tolerance=tolerance,
            )
        except WeightingError as error:
            if not what:
                raise
            raise WeightingError(f"{what.lstrip(', ')}: {error}") from None
        g = fit.factors
        if not fit.converged:
            message = (
                f"calibration ({calfun}{what}) did not converge in {fit.iterations} iterations: largest "
                f"|misfit|/(1+|T|) {fit.misfit_trace[-1]:.3g} (tolerance {tolerance:g}); widen bounds, drop or "
                "collapse auxiliaries, or raise max_iterations"
            )
            notes.append(message)
            _nonconvergence(message, on_nonconvergence)
        if trim is not None and not closed_form:
            g, clipped = trim_factors(g, column_weights, trim)
            if clipped and not what:
                notes.append(f"{clipped} g-factor(s) trimmed to [{trim[0]:g}, {trim[1]:g}]; the totals are no "
                             "longer met exactly")
        return fit, g

    fit, g = factors(weights, "")
    new_weights = weights * g
    replicate = _replicates(design)
    new_replicate = None
    if replicate is not None:
        new_replicate = np.empty_like(replicate)
        for column in range(replicate.shape[1]):
            new_replicate[:, column] = (replicate[:, column]
                                        * factors(replicate[:, column], f", replicate {column + 1}")[1])
    adjustment = Calibration(
        old_weights=weights, new_weights=new_weights, model=model, calfun=calfun, bounds=bounds, trim=trim,
        iterations=fit.iterations, converged=fit.converged, trace=fit.misfit_trace, notes=tuple(notes),
    )
    return _finish(design, new_weights, new_replicate, adjustment)


def _trim_once(weights: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, int]:
    """R trimWeights: clip, then add the trimmed total equally to every unclipped unit."""
    positive = weights > 0
    outside = positive & ((weights < lower) | (weights > upper))
    if not outside.any():
        return weights, 0
    clipped = np.where(outside, np.clip(weights, lower, upper), weights)
    inside = positive & ~outside
    if not inside.any():
        raise WeightingError(
            f"every weight lies outside [{lower:g}, {upper:g}], so nothing can take the trimmed weight; widen the "
            "bounds"
        )
    clipped[inside] += float(np.sum(weights - clipped)) / int(inside.sum())
    return clipped, int(outside.sum())


def _trim_column(weights: np.ndarray, lower: float, upper: float, strict: bool) -> tuple[np.ndarray, int, int]:
    positive = int(np.count_nonzero(weights > 0))
    total = float(weights.sum())
    if strict and (upper * positive < total * (1 - 1e-12) or lower * positive > total * (1 + 1e-12)):
        raise WeightingError(
            f"strict trimming to [{lower:g}, {upper:g}] is impossible: {positive} weights cannot keep the total "
            f"{total:.10g} within those bounds; widen them"
        )
    new, trimmed = _trim_once(weights, lower, upper)
    rounds = 1
    while strict and trimmed and (((new > 0) & ((new < lower) | (new > upper))).any()):
        if rounds >= 1000:
            raise ConvergenceError(f"strict trimming did not settle in {rounds} rounds; widen the bounds")
        new, more = _trim_once(new, lower, upper)
        trimmed += more
        rounds += 1
    return new, trimmed, rounds


def trim_weights(design: DesignT, lower: float | None = None, upper: float | None = None,
                 strict: bool = False) -> DesignT:
    """Trim weights to [lower, upper]; R ``trimWeights(design, upper, lower, strict)``.

    Weights outside are set to the bound; the total trimmed amount is added EQUALLY (additively)
    to every weight inside, so the total is kept. The result may again leave the bounds;
    ``strict=True`` repeats until no weight does. Zero weights (rows outside the design's domain)
    are neither trimmed nor given any of the redistributed weight (a deliberate difference: R
    would lift them to ``lower``). Replicate columns are trimmed the same way, each on its own.
    Validated: R's ``trimWeights(dclus1_cal, 20, 45)`` weights, with and without ``strict``.
    """
    low = -math.inf if lower is None else float(lower)
    high = math.inf if upper is None else float(upper)
    if not low < high:
        raise WeightingError(f"trim_weights needs lower < upper; found lower={lower!r}, upper={upper!r}")
    weights = np.asarray(design.weights, dtype=float)
    new_weights, trimmed, rounds = _trim_column(weights, low, high, strict)
    replicate = _replicates(design)
    new_replicate = None
    if replicate is not None:
        new_replicate = np.column_stack(
            [_trim_column(replicate[:, r], low, high, strict)[0] for r in range(replicate.shape[1])]
        ) if replicate.shape[1] else replicate.copy()
    adjustment = Trimming(
        old_weights=weights, new_weights=new_weights, lower=low, upper=high, strict=bool(strict),
        rounds=rounds, trimmed=trimmed,
    )
    return _finish(design, new_weights, new_replicate, adjustment)


def design_weight_summary(design: Design) -> pd.DataFrame:
    """One row per weighting stage of ``design``: the starting weights, then each adjustment.

    Columns: stage, method, respondents, total_weight, kish_design_effect, effective_sample_size,
    weight_min, weight_max, weight_ratio, top_share, iterations, converged, largest_margin_gap,
    flags, flags_zh (formulas in :mod:`surveys.weighting.diagnostics`).
    """
    adjustments = [a for a in getattr(design, "adjustments", ()) if isinstance(a, Adjustment)]
    rows = []
    base = adjustments[0].old_weights if adjustments else np.asarray(design.weights, dtype=float)
    rows.append({"stage": 0, "method": "base", **weight_statistics(base), "iterations": 0,
                 "converged": True, "largest_margin_gap": math.nan, "flags": "", "flags_zh": ""})
    for stage, adjustment in enumerate(adjustments, start=1):
        d = adjustment.diagnostics
        rows.append({
            "stage": stage, "method": d.method, **weight_statistics(adjustment.new_weights),
            "iterations": d.iterations, "converged": d.converged, "largest_margin_gap": d.largest_margin_gap,
            "flags": "; ".join(d.flags), "flags_zh": "；".join(d.flags_zh),
        })
    return pd.DataFrame(rows)
