"""Cronbach's α of a set of item scores on a survey design, with a design-based interval.

``α = k/(k − 1) · (1 − Σ_i V_i / V_S)`` with ``V_i`` the weighted variance of item i and ``V_S`` that of
the sum score, over the respondents with a score on every item (listwise, as R survey's ``svycralpha`` with
``na.rm = TRUE`` and SPSS's RELIABILITY). Weighted: it estimates the population's α, not the sample's
(validated against ``svycralpha``, whose point estimate it reproduces; tests/reference/r_survey_models_extra).

Interval: α is a smooth function of weighted totals, so its influence values are
``u = −k/(k − 1) · (u_A·V_S − A·u_S)/V_S²`` with ``A = Σ_i V_i``, ``u_A = w[Σ_i (y_i − m_i)² − A]/N̂`` and
``u_S = w[(S − m_S)² − V_S]/N̂``; the design's variance engine turns them into a standard error (strata,
clusters, fpc, weighting adjustments), replicate designs recompute α per replicate. The interval is
``α ± qt(1 − α_level/2, df)·SE`` on the degrees of freedom of the respondents used. Unlike Feldt's
interval it assumes neither equal weights nor independent respondents nor normal items; it is checked
against a jackknife in tests/test_indicators.py.

Item–rest correlations (each item with the sum of the others, weighted Pearson) and α with each item left
out come with it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.columns import require_columns
from surveys.errors import EstimationError
from surveys.estimation.common import check_level, complete_design, critical_value
from surveys.estimation.estimators import numeric_column

__all__ = ["CronbachAlpha", "cronbach_alpha"]


@dataclass(frozen=True)
class CronbachAlpha:
    """Cronbach's α with its design-based interval, and per item the item–rest correlation and α without it."""

    items: tuple[str, ...]
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    df: float
    level: float
    respondents: int
    item_rest_correlations: tuple[float, ...]
    alpha_if_deleted: tuple[float, ...]

    def item_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"item": self.items, "item_rest_correlation": self.item_rest_correlations,
                             "alpha_if_deleted": self.alpha_if_deleted})


def _alpha(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """α for each weight column (scores: rows × k; weights: rows × fits)."""
    k = scores.shape[1]
    total = weights.sum(axis=0)
    means = (weights.T @ scores) / total[:, None]
    squares = (weights.T @ scores**2) / total[:, None] - means**2
    sums = scores.sum(axis=1)
    sum_mean = (weights.T @ sums) / total
    sum_variance = (weights.T @ sums**2) / total - sum_mean**2
    return k / (k - 1.0) * (1.0 - squares.sum(axis=1) / sum_variance)


def _weighted_correlation(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    dx = x - (weights @ x) / total
    dy = y - (weights @ y) / total
    denominator = math.sqrt((weights @ dx**2) * (weights @ dy**2))
    return float((weights @ (dx * dy)) / denominator) if denominator > 0 else math.nan


def cronbach_alpha(design: Any, items: Sequence[str], *, level: float = 0.95,
                   scores: np.ndarray | None = None) -> CronbachAlpha:
    """Weighted Cronbach's α of the numeric columns ``items`` (at least two) with a design-based interval
    (see the module docstring). ``scores`` (rows × k) replaces the columns' values when given (e.g. scale
    scores derived from answer codes); NaN marks a missing score."""
    level = check_level(level)
    items = [items] if isinstance(items, str) else list(items)
    if len(items) < 2:
        raise EstimationError(f"Cronbach's alpha needs at least two items; found {items}")
    if scores is None:
        require_columns(design.data, items, "item")
        scores = np.column_stack([numeric_column(design, item) for item in items])
    scores = np.asarray(scores, dtype=float)
    weights_full = np.asarray(design.weights, dtype=float)
    complete = ~np.isnan(scores).any(axis=1) & design.rows_in_design
    used = complete & (weights_full > 0)
    if used.sum() < 3:
        raise EstimationError(f"only {int(used.sum())} respondents have a score on every item of {items}; "
                              "Cronbach's alpha needs more")
    weights = np.where(complete, weights_full, 0.0)
    # shifted by the weighted item means (variances do not change) so the one-pass moments do not cancel
    centre = (weights[used] @ scores[used]) / weights[used].sum()
    filled = np.where(complete[:, None], scores - centre[None, :], 0.0)
    k = len(items)
    alpha = float(_alpha(filled[used], weights[used][:, None])[0])
    if design.is_replicate:
        replicate = np.where(complete[:, None], design.replicate_weights, 0.0)
        keep = replicate.sum(axis=1) > 0
        replicates = _alpha(filled[keep], replicate[keep])
        variance = float(design.replicate_covariance(replicates[:, None], np.array([alpha]))[0, 0])
    else:
        total = weights.sum()
        means = (weights @ filled) / total
        deviations = filled - means[None, :]
        item_variance = (weights @ deviations**2) / total
        spread = item_variance.sum()
        sums = filled.sum(axis=1)
        sum_deviation = sums - (weights @ sums) / total
        sum_variance = (weights @ sum_deviation**2) / total
        influence_items = weights * ((deviations**2).sum(axis=1) - spread) / total
        influence_sum = weights * (sum_deviation**2 - sum_variance) / total
        influence = -k / (k - 1.0) * (influence_items * sum_variance - spread * influence_sum) / sum_variance**2
        variance = float(design.influence_covariance(influence)[0, 0])
    df = float(complete_design(design, complete).degrees_of_freedom)
    std_error = math.sqrt(max(variance, 0.0))
    q = critical_value(level, df)
    rest = filled[used].sum(axis=1)[:, None] - filled[used]
    correlations = tuple(_weighted_correlation(filled[used][:, i], rest[:, i], weights[used]) for i in range(k))
    if k > 2:
        without = tuple(float(_alpha(np.delete(filled[used], i, axis=1), weights[used][:, None])[0]) for i in range(k))
    else:
        without = (math.nan,) * k
    return CronbachAlpha(items=tuple(items), estimate=alpha, std_error=std_error, ci_low=alpha - q * std_error,
                         ci_high=alpha + q * std_error, df=df, level=level, respondents=int(used.sum()),
                         item_rest_correlations=correlations, alpha_if_deleted=without)
