"""Tail probabilities of weighted sums of chi-squares, by the saddlepoint approximation (R survey's
``saddle``, ``pchisqsum`` and ``pFsum``, survey 4.1.1).

``Q = Σ_i λ_i χ²_1`` (independent), ``P(Q > x)`` by the Lugannani–Rice formula: with the cumulant
generating function ``K(ζ) = −½ Σ log(1 − 2ζλ_i)`` and ``ζ̂`` solving ``K'(ζ̂) = x``,
``w = sign(ζ̂)·√(2(ζ̂x − K(ζ̂)))``, ``v = ζ̂·√K''(ζ̂)``, ``P ≈ 1 − Φ(w + log(v/w)/w)``. Near the mean
(``|ζ̂| < 1e-4``) the formula is unstable and the Satterthwaite approximation is used instead, as R
does. The F version (``Σ δ_i χ²_1 / (χ²_ddf/ddf)``) is the chi-square sum
``Σ δ_i χ²_1 − (x/ddf)·χ²_ddf`` at 0, the χ²_ddf written as ``⌊ddf⌋`` unit chi-squares (R's ``rep``
truncates the non-integer ddf). Multiplicities are kept as counts, so a large ddf costs nothing.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

__all__ = ["chisq_sum_tail", "f_sum_tail"]


def _saddle(x: float, values: np.ndarray, counts: np.ndarray) -> float:
    """R's ``saddle(x, rep(values, counts))``: P(Σ λ χ²_1 > x), NaN where R returns NA."""
    scale = float(values.max())
    lam = values / scale
    x = x / scale
    total = float(counts.sum())

    def cumulant(zeta: float) -> float:
        return float(-0.5 * np.sum(counts * np.log1p(-2.0 * zeta * lam)))

    def first(zeta: float) -> float:
        return float(np.sum(counts * lam / (1.0 - 2.0 * zeta * lam)))

    def second(zeta: float) -> float:
        return float(2.0 * np.sum(counts * lam**2 / (1.0 - 2.0 * zeta * lam) ** 2))

    negative = lam < 0
    if negative.any():
        lower = float(np.max(1.0 / (2.0 * lam[negative]))) * 0.99999
    elif x > float(np.sum(counts * lam)):
        lower = -0.01
    else:
        lower = -total / (2.0 * x)
    upper = float(np.min(1.0 / (2.0 * lam[lam > 0]))) * 0.99999
    try:
        zeta = optimize.brentq(lambda z: first(z) - x, lower, upper, xtol=1e-14, rtol=4 * np.finfo(float).eps,
                               maxiter=500)
    except ValueError:
        return math.nan
    if abs(zeta) < 1e-4:
        return math.nan
    w = math.copysign(math.sqrt(max(2.0 * (zeta * x - cumulant(zeta)), 0.0)), zeta)
    v = zeta * math.sqrt(second(zeta))
    if w == 0 or v / w <= 0:
        return math.nan
    return float(stats.norm.sf(w + math.log(v / w) / w))


def _satterthwaite(values: np.ndarray) -> tuple[float, float]:
    """(scale, df) of the chi-square that matches the sum's first two moments (R's ``satterthwaite``)."""
    mean = float(values.mean())
    ratio = float((values**2).mean()) / mean**2
    return mean * ratio, len(values) / ratio


def chisq_sum_tail(x: float, weights: np.ndarray) -> float:
    """P(Σ_i weights_i χ²_1 > x) (R ``pchisqsum(x, 1, weights, lower.tail = FALSE, "saddlepoint")``)."""
    weights = np.asarray(weights, dtype=float)
    scale, df = _satterthwaite(weights)
    tail = _saddle(float(x), weights, np.ones(len(weights)))
    return float(stats.chi2.sf(x / scale, df)) if math.isnan(tail) else tail


def f_sum_tail(x: float, weights: np.ndarray, ddf: float) -> float:
    """P(Σ_i weights_i χ²_1 / (χ²_ddf/ddf) > x) (R ``pFsum(x, 1, weights, ddf, lower.tail = FALSE)``,
    saddlepoint method); an infinite ``ddf`` is :func:`chisq_sum_tail`."""
    weights = np.asarray(weights, dtype=float)
    if math.isinf(ddf):
        return chisq_sum_tail(x, weights)
    scale, ndf = _satterthwaite(weights)
    fallback = float(stats.f.sf(x / ndf / scale, ndf, ddf))
    copies = math.trunc(ddf)
    if copies < 1:
        return fallback
    values = np.append(weights, -x / ddf)
    counts = np.append(np.ones(len(weights)), float(copies))
    tail = _saddle(0.0, values, counts)
    return fallback if math.isnan(tail) else tail
