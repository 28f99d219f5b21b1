"""Weighted quantile rules of R ``survey`` 4.1 (``qrule="math"`` and ``"hf7"``).

* ``math`` (R's ``qrule_math`` / ``qs``): sort by x, C_k = cumulative weights, T = Σw;
  pos = last k with C_k ≤ p·T (R: 1 when there is none); the quantile is x_pos when
  p − C_pos/T == 0 exactly, else x_{pos+1} (the smallest x with F(x) ≥ p). R accumulates ``cumsum``
  and ``sum`` in long double and stores doubles, so equal weights tie exactly (apisrs median
  x₍₁₀₀₎ = 658, not x₍₁₀₁₎); we accumulate in ``np.longdouble`` the same way.
* ``hf7`` (R's ``qrule_hf7``): p_k = (0, C_1, …, C_{n−1}) / C_{n−1}, linear interpolation of the
  sorted x at p, clamped to [x₁, x_n] (type 7 for equal weights).

Zero weights are dropped first. Probabilities outside [0, 1] give NaN (the Woodruff limits of
:func:`surveys.estimation.estimators.estimate_quantiles` use that). Validated against R survey 4.1.1 svyquantile
(tests/reference/r_survey: apisrs, apistrat, apiclus1, both rules).
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

__all__ = ["QUANTILE_RULES", "math_rule", "hf7_rule"]


def _prepared(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = weights != 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    return values[order], weights[order]


def _r_cumsum(weights: np.ndarray) -> np.ndarray:
    """R's cumsum: long-double accumulator, each partial sum stored as a double."""
    return np.cumsum(weights.astype(np.longdouble)).astype(np.float64)


def math_rule(values: np.ndarray, weights: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """R ``qrule_math`` for each probability (see the module docstring)."""
    x, w = _prepared(np.asarray(values, float), np.asarray(weights, float))
    p = np.atleast_1d(np.asarray(probabilities, dtype=float))
    result = np.full(p.shape, np.nan)
    if x.size == 0:
        return result
    cumulative = _r_cumsum(w)
    total = cumulative[-1]
    for index, probability in enumerate(p):
        if not (0.0 <= probability <= 1.0):
            continue
        below = np.flatnonzero(cumulative <= probability * total)
        position = int(below[-1]) if below.size else 0
        following = min(position + 1, x.size - 1)
        low_gap = probability - cumulative[position] / total
        result[index] = x[position] if low_gap == 0 else x[following]
    return result


def hf7_rule(values: np.ndarray, weights: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """R ``qrule_hf7`` for each probability (see the module docstring)."""
    x, w = _prepared(np.asarray(values, float), np.asarray(weights, float))
    p = np.atleast_1d(np.asarray(probabilities, dtype=float))
    result = np.full(p.shape, np.nan)
    if x.size == 0:
        return result
    if x.size == 1:
        result[(p >= 0) & (p <= 1)] = x[0]
        return result
    cumulative = _r_cumsum(w)
    positions = np.concatenate(([0.0], cumulative[:-1])) / cumulative[-2]
    inside = (p >= 0) & (p <= 1)
    result[inside] = np.interp(p[inside], positions, x)
    return result


#: name → rule(values, weights, probabilities) -> quantiles
QUANTILE_RULES: Mapping[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "math": math_rule,
    "hf7": hf7_rule,
}
