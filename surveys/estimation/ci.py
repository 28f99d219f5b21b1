"""Confidence intervals for a proportion estimated from a complex survey design.

Every method takes one :class:`ProportionSummary` (the estimate, its design-based standard error, degrees of
freedom, level and the few design facts some methods need) and returns ``(ci_low, ci_high)``. The methods live
in the name → function registry :data:`CI_METHODS`; :func:`proportion_interval` validates the method name and
dispatches. Adding a method is adding a function and a line.

Notation: p̂ = estimate, SE = std_error, α = 1 − level, ``q = qt(1 − α/2, df)`` (the normal quantile when
``df`` is infinite), ``expit(x) = 1/(1 + e^−x)``.

R ``survey`` 4.1.1 ``svyciprop`` methods (validated case by case against the published reference cases, see
``tests/test_ci.py``): ``logit`` (default), ``likelihood``, ``asin``, ``beta``, ``mean``, ``xlogit``.

Methods for rates near 0 or 100 %, on the effective sample size ``n_eff = p̂(1 − p̂)/SE²`` (the Kish-style size
whose simple-random-sample variance equals the design variance), **capped at** ``rows``: a design cannot carry
more information than its rows, and the cap keeps an extremely small SE (e.g. a calibration margin) from
producing a zero-width interval. When p̂ is 0 or 1 (or SE is 0) ``n_eff = rows``: the interval is then the one a
simple random sample of that size would give, the convention of the NCHS standards for proportions (Parker et
al. 2017). ``wilson``, ``clopper_pearson`` and ``korn_graubard`` are validated against textbook values (98/100
and 100/100 successes) in ``tests/test_ci.py``.

Behaviour at p̂ = 0 or 1: ``logit``, ``xlogit``, ``asin`` and ``likelihood`` are undefined on the boundary (the
logit is infinite, the delta-method SE is 0/0); they return the degenerate interval ``(p̂, p̂)``, never NaN
(R's ``svyciprop`` gives degenerate or NaN limits there). ``mean`` gives ``p̂ ± q·SE`` (also ``(p̂, p̂)`` when SE = 0). Use
``wilson``, ``clopper_pearson``, ``korn_graubard`` or ``beta`` for an informative interval there.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np
from scipy import special

from surveys.errors import EstimationError
from surveys.estimation.likelihood_ci import (
    likelihood_scaling,
    profile_likelihood_interval,
)

__all__ = ["CI_METHODS", "ProportionSummary", "proportion_interval"]

# A weighted mean of 0/1 values can exceed 1 (or fall below 0) by rounding; tolerate that much and clip.
_ROUNDING_SLACK = 1e-9


@dataclass(frozen=True)
class ProportionSummary:
    """What an interval method needs to know about one estimated proportion.

    ``df`` is the degrees of freedom of the interval (``math.inf`` for the normal quantile); ``design_df`` is
    ``degf(design)``, which R's ``beta`` method always uses. ``rows`` is the number of rows of the design object
    the estimate came from (missing-value rows included; for a plain domain subset, the domain rows).
    ``y``/``weights`` are the 0/1 values and weights of those rows (zero weight outside the domain), used by the
    likelihood interval's dispersion. ``logit_std_error`` is, for replicate designs, the replicate SE of the
    per-replicate logits; ``None`` means ``SE/(p̂(1 − p̂))`` (linearization, where logit ≡ xlogit).
    """

    estimate: float
    std_error: float
    df: float
    level: float
    design_df: float
    rows: int
    y: np.ndarray | None = field(default=None, compare=False, repr=False)
    weights: np.ndarray | None = field(default=None, compare=False, repr=False)
    logit_std_error: float | None = None

    def __post_init__(self) -> None:
        level = _as_float("level", self.level)
        if not 0.0 < level < 1.0:
            raise EstimationError(
                f"the confidence level must lie strictly between 0 and 1, found {self.level!r}; "
                "pass e.g. 0.95 for a 95 % interval"
            )
        estimate = _as_float("estimate", self.estimate)
        if not -_ROUNDING_SLACK <= estimate <= 1.0 + _ROUNDING_SLACK:
            raise EstimationError(
                f"a proportion must lie in [0, 1], found estimate {self.estimate!r}; "
                "check that the variable is coded 0/1 and that missing values were removed"
            )
        std_error = _as_float("std_error", self.std_error)
        if std_error < 0.0:
            raise EstimationError(f"the standard error must be >= 0, found {self.std_error!r}")
        df = _as_float("df", self.df, allow_inf=True)
        if not df > 0.0:
            raise EstimationError(
                f"the degrees of freedom must be > 0 (math.inf for a normal interval), found {self.df!r}; "
                "a domain with a single PSU has none: pass df=math.inf or merge the domain"
            )
        design_df = _as_float("design_df", self.design_df, allow_inf=True, allow_nan=True)
        rows = self.rows
        if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
            raise EstimationError(f"rows must be a positive integer (rows of the design), found {self.rows!r}")
        logit_std_error = self.logit_std_error
        if logit_std_error is not None:
            logit_std_error = _as_float("logit_std_error", logit_std_error)
            if logit_std_error < 0.0:
                raise EstimationError(f"logit_std_error must be >= 0, found {self.logit_std_error!r}")
        if (self.y is None) != (self.weights is None) or (
            self.y is not None and self.weights is not None and np.shape(self.y) != np.shape(self.weights)
        ):
            raise EstimationError(
                "y and weights must be given together and have the same length, found "
                f"y {None if self.y is None else np.shape(self.y)} and "
                f"weights {None if self.weights is None else np.shape(self.weights)}"
            )
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "estimate", min(max(estimate, 0.0), 1.0))
        object.__setattr__(self, "std_error", std_error)
        object.__setattr__(self, "df", df)
        object.__setattr__(self, "design_df", design_df)
        object.__setattr__(self, "rows", int(rows))
        object.__setattr__(self, "logit_std_error", logit_std_error)


def _as_float(name: str, value: object, *, allow_inf: bool = False, allow_nan: bool = False) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EstimationError(f"{name} must be a number, found {value!r}") from None
    if math.isnan(number) and not allow_nan:
        raise EstimationError(
            f"{name} must be a number, found NaN; an estimate over missing values has no interval: "
            "remove the missing values (na_rm) first"
        )
    if math.isinf(number) and not allow_inf:
        raise EstimationError(f"{name} must be finite, found {value!r}")
    return number


# --- shared pieces -------------------------------------------------------------------------------------------


def _quantile(probability: float, df: float) -> float:
    """``qt(probability, df)``; the normal quantile when ``df`` is infinite."""
    # scipy.special directly: the same values as stats.t.ppf / stats.norm.ppf at a fortieth of the cost.
    if math.isinf(df):
        return float(special.ndtri(probability))
    return float(special.stdtrit(df, probability))


def _critical(summary: ProportionSummary) -> float:
    """``q = qt(1 − α/2, df)``."""
    return _quantile(1.0 - (1.0 - summary.level) / 2.0, summary.df)


def _on_boundary(summary: ProportionSummary) -> bool:
    return summary.estimate <= 0.0 or summary.estimate >= 1.0


def _variance_effective_size(summary: ProportionSummary) -> float:
    """``n_eff = min(p̂(1 − p̂)/SE², rows)``; ``rows`` when p̂ is 0 or 1 or SE is 0."""
    p, se = summary.estimate, summary.std_error
    variance_srs = p * (1.0 - p)
    if se == 0.0 or variance_srs == 0.0:
        return float(summary.rows)
    return min(variance_srs / se**2, float(summary.rows))


def _beta_limits(p: float, size: float, alpha: float) -> tuple[float, float]:
    """Clopper–Pearson limits for ``x = size·p`` successes of ``size`` trials (non-integer x allowed).

    ``(qbeta(α/2, x, size − x + 1), qbeta(1 − α/2, x + 1, size − x))``, with 0 (1) when x = 0 (x = size).
    """
    successes = size * p
    failures = size * (1.0 - p)
    low = 0.0 if successes <= 0.0 else float(special.betaincinv(successes, failures + 1.0, alpha / 2.0))
    high = 1.0 if failures <= 0.0 else float(special.betaincinv(successes + 1.0, failures, 1.0 - alpha / 2.0))
    return low, high


def _degrees_of_freedom_factor(rows: int, df: float, alpha: float, what: str) -> float:
    """Korn–Graubard's ``(qt(α/2, rows − 1)/qt(α/2, df))²``."""
    if rows < 2:
        raise EstimationError(
            f"the {what} interval needs at least 2 rows (it uses qt(α/2, rows − 1)), found {rows}; "
            "use method 'clopper_pearson' instead"
        )
    if math.isnan(df) or not df > 0.0:
        raise EstimationError(
            f"the {what} interval needs positive design degrees of freedom, found {df!r}; "
            "a domain with a single PSU has none: use method 'clopper_pearson' or 'wilson' with df=inf"
        )
    return (_quantile(alpha / 2.0, rows - 1.0) / _quantile(alpha / 2.0, df)) ** 2


# --- R svyciprop methods -------------------------------------------------------------------------------------


def logit_interval(summary: ProportionSummary) -> tuple[float, float]:
    """``expit(logit p̂ ± q·SE_β)``, R's default (``svyglm(y ~ 1, quasibinomial)``).

    ``SE_β`` = ``summary.logit_std_error`` (replicate designs: replicate SE of the per-replicate logits) or
    ``SE/(p̂(1 − p̂))`` (linearization, where this equals ``xlogit``). ``(p̂, p̂)`` at p̂ = 0 or 1.
    Validated against R survey 4.1.1 ``ciprop_*_logit_*``, ``ciprop_clus1[EH]_*``, ``by_clus1_sw_ciprop__*`` and
    ``rep_jk1_ciprop_sw_logit_95`` to 1e-6 relative.
    """
    p = summary.estimate
    if _on_boundary(summary):
        return p, p
    se_logit = summary.logit_std_error
    if se_logit is None:
        se_logit = summary.std_error / (p * (1.0 - p))
    half = _critical(summary) * se_logit
    centre = float(special.logit(p))
    return float(special.expit(centre - half)), float(special.expit(centre + half))


def xlogit_interval(summary: ProportionSummary) -> tuple[float, float]:
    """``expit(logit p̂ ± q·SE/(p̂(1 − p̂)))`` — the delta-method logit interval, also on replicate designs.

    ``(p̂, p̂)`` at p̂ = 0 or 1. Validated against R survey 4.1.1 ``ciprop_*_xlogit_*`` (linearization and JK1).
    """
    p = summary.estimate
    if _on_boundary(summary):
        return p, p
    half = _critical(summary) * summary.std_error / (p * (1.0 - p))
    centre = float(special.logit(p))
    return float(special.expit(centre - half)), float(special.expit(centre + half))


def mean_interval(summary: ProportionSummary) -> tuple[float, float]:
    """``p̂ ± q·SE`` (Wald with t quantiles). Not clipped to [0, 1], as in R.

    Validated against R survey 4.1.1 ``ciprop_*_mean_*`` (linearization and JK1).
    """
    half = _critical(summary) * summary.std_error
    return summary.estimate - half, summary.estimate + half


def asin_interval(summary: ProportionSummary) -> tuple[float, float]:
    """``sin²(asin √p̂ ± q·SE/(2√(p̂(1 − p̂))))``, the angle clipped to [0, π/2].

    R does not clip: where its angle leaves [0, π/2] its interval folds back; clipping gives 0 or 1 there
    instead (and never changes an interval that stays inside). ``(p̂, p̂)`` at p̂ = 0 or 1. Validated against
    R survey 4.1.1 ``ciprop_*_asin_*`` (linearization and JK1).
    """
    p = summary.estimate
    if _on_boundary(summary) or summary.std_error == 0.0:
        return p, p
    half = _critical(summary) * summary.std_error / (2.0 * math.sqrt(p * (1.0 - p)))
    angle = math.asin(math.sqrt(p))
    low = max(angle - half, 0.0)
    high = min(angle + half, math.pi / 2.0)
    return math.sin(low) ** 2, math.sin(high) ** 2


def beta_interval(summary: ProportionSummary) -> tuple[float, float]:
    """R's Korn–Graubard-type ``beta`` interval.

    ``n_eff = p̂(1 − p̂)/SE² · (qt(α/2, rows − 1)/qt(α/2, design_df))²`` (not capped, as in R; ``design_df`` is
    used even when another ``df`` was asked for), then ``(qbeta(α/2, n_eff p̂, n_eff(1 − p̂) + 1),
    qbeta(1 − α/2, n_eff p̂ + 1, n_eff(1 − p̂)))``. Where R has no answer (p̂ = 0 or 1, or SE = 0: 0/0 or
    infinite size) the base size is ``rows``, giving e.g. ``[0, upper]`` at p̂ = 0. Validated against R survey
    4.1.1 ``ciprop_*_beta_*`` (linearization, domain with rows = domain rows, and JK1) to 1e-6.
    """
    p, se = summary.estimate, summary.std_error
    alpha = 1.0 - summary.level
    variance_srs = p * (1.0 - p)
    base = float(summary.rows) if se == 0.0 or variance_srs == 0.0 else variance_srs / se**2
    size = base * _degrees_of_freedom_factor(summary.rows, summary.design_df, alpha, "beta")
    return _beta_limits(p, size, alpha)


def likelihood_interval(summary: ProportionSummary) -> tuple[float, float]:
    """Rao–Scott-scaled profile likelihood, ``expit{β : (D(β) − D(β̂))/φ ≤ (q·√λ)²}``.

    Formulas and validation: :mod:`surveys.estimation.likelihood_ci`. ``(p̂, p̂)`` at p̂ = 0 or 1 or when SE = 0.
    """
    p = summary.estimate
    if _on_boundary(summary) or summary.std_error == 0.0:
        return p, p
    design_effect, dispersion = likelihood_scaling(p, summary.std_error, summary.rows, summary.y, summary.weights)
    return profile_likelihood_interval(p, _critical(summary), summary.rows, design_effect, dispersion)


# --- methods on the effective sample size --------------------------------------------------------------------


def wilson_interval(summary: ProportionSummary) -> tuple[float, float]:
    """Wilson score interval on ``n = n_eff`` (capped at rows) with ``z = q = qt(1 − α/2, df)``.

    ``(p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``. Validated against textbook values: 98/100
    → [0.930, 0.995], 100/100 → [0.963, 1] (SRS SE, df = inf).
    """
    p = summary.estimate
    size = _variance_effective_size(summary)
    z = _critical(summary)
    z2n = z * z / size
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / size + z2n / (4.0 * size))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def clopper_pearson_interval(summary: ProportionSummary) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for ``n_eff·p̂`` successes of ``n_eff`` (capped at rows).

    ``(qbeta(α/2, x, n − x + 1), qbeta(1 − α/2, x + 1, n − x))``; no df adjustment (see ``korn_graubard``).
    Validated against textbook values: 98/100 → [0.930, 0.998]; 100/100 → [(α/2)^(1/100), 1].
    """
    return _beta_limits(summary.estimate, _variance_effective_size(summary), 1.0 - summary.level)


def korn_graubard_interval(summary: ProportionSummary) -> tuple[float, float]:
    """Korn & Graubard (1998), the NCHS standard: Clopper–Pearson on the df-adjusted effective size.

    ``n* = n_eff · (qt(α/2, rows − 1)/qt(α/2, df))²`` with ``n_eff`` capped at rows and ``df`` the interval's
    degrees of freedom. Equals R's ``beta`` whenever ``p̂(1 − p̂)/SE² ≤ rows`` and ``df = design_df``
    (tested), and ``clopper_pearson`` on ``rows − 1`` vs ``df`` quantiles otherwise.
    """
    alpha = 1.0 - summary.level
    size = _variance_effective_size(summary) * _degrees_of_freedom_factor(
        summary.rows, summary.df, alpha, "korn_graubard"
    )
    return _beta_limits(summary.estimate, size, alpha)


CI_METHODS: Mapping[str, Callable[[ProportionSummary], tuple[float, float]]] = MappingProxyType(
    {
        "logit": logit_interval,
        "likelihood": likelihood_interval,
        "asin": asin_interval,
        "beta": beta_interval,
        "mean": mean_interval,
        "xlogit": xlogit_interval,
        "wilson": wilson_interval,
        "clopper_pearson": clopper_pearson_interval,
        "korn_graubard": korn_graubard_interval,
    }
)


def proportion_interval(summary: ProportionSummary, method: str = "logit") -> tuple[float, float]:
    """The ``level`` confidence interval ``(ci_low, ci_high)`` of a proportion by the named method.

    ``method`` is a key of :data:`CI_METHODS` (default ``"logit"``, as R's ``svyciprop``).
    """
    interval = CI_METHODS.get(method) if isinstance(method, str) else None
    if interval is None:
        raise EstimationError(
            f"unknown confidence-interval method {method!r}; expected one of: {', '.join(CI_METHODS)}"
        )
    low, high = interval(summary)
    return float(low), float(high)
