"""Design-based regression: linear (gaussian) and logistic (quasibinomial) models, R ``svyglm``.

``regression(design, "api00 ~ ell + stype")`` (or ``response=`` and ``predictors=`` lists) fits the
model with the design's weights and gives every coefficient with its design-based standard error,
t statistic, p-value and Wald interval, and for a logistic model the odds ratios (survey 4.1.1
conventions, validated against the published ``svyglm_gaussian``/``svyglm_quasibinomial`` reference
cases of tests/reference/r_survey_models):

* **Fit**: the score equations ``Σ w (y − μ) x = 0`` with the sampling weights (final weights after
  calibration; zero outside a domain), solved by :func:`surveys.estimation.fitting.fit`. Model
  matrix, term names and treatment contrasts as R's (:mod:`surveys.estimation.formula`).
* **Linearization variance**: with ``A = Σ w (dμ/dη)²/V · x xᵀ`` the influence values are
  ``u_i = w_i (y_i − μ_i)(dμ/dη)_i/V_i · x_iᵀ A⁻¹`` (for both canonical links ``w (y − μ) xᵀA⁻¹``), and
  ``vcov = svyrecvar(u)`` through the design's one variance engine
  (:meth:`~surveys.design.SurveyDesign.influence_covariance`): strata, clusters, fpc at every stage,
  lonely units, domain zeros, calibration / post-stratification / raking residualization.
* **Replicate designs**: the model is refitted with every replicate's analysis weights, starting
  from the full-sample coefficients, and ``V = scale Σ_r rscale_r (β_r − β̄)(β_r − β̄)ᵀ``
  (β̂ as the centre with ``mse``). A calibrated replicate design carries replicate columns that were
  calibrated one by one.
* **Missing values** (R ``na.omit``): rows with a missing value in any model variable leave the fit
  and carry zero influence; every stratum keeps its full-sample sampling units and fpc (R's
  ``design[-nas, ]``). ``design_df_used`` is ``degf`` of the rows left (units with only missing rows
  are lost); ``design_df`` that of the design passed.
* **Degrees of freedom**: ``df = design_df_used + 1 − p`` (replicate designs: ``design_df + 1 − p``, as
  survey 4.1.1 computes it before dropping missing rows); t statistics, p-values (two-sided Student t)
  and intervals ``β ∓ qt(1 − α/2, df)·SE`` use it; without degrees of freedom they are NaN, as R's.
* ``dispersion`` (informational, R ``summary()$dispersion``, not for replicate designs): the design
  variance ``Σw(r − r̄)²/Σw · n/(n − 1)`` (n = rows with a non-zero weight) of the Pearson residuals
  ``(y − μ)/√V(μ)``, scaled as survey 4.1.1 scales them when rows were dropped. It enters no standard error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from surveys.errors import EstimationError
from surveys.estimation.common import (
    check_level,
    complete_design,
    critical_value,
    two_sided_p,
)
from surveys.estimation.fitting import Family, Fit, family_named, fit, weighted_gram
from surveys.estimation.formula import (
    Formula,
    ModelFrame,
    formula_from_columns,
    model_frame,
    parse_formula,
)
from surveys.estimation.rank import gram_pivots

__all__ = ["Coefficient", "Regression", "TermTest", "regression"]

# A column whose part orthogonal to the earlier ones is below this share of its length is aliased.
ALIASING_TOLERANCE = 1e-7

_COEFFICIENT_COLUMNS = ["term", "estimate", "std_error", "t_statistic", "p_value", "ci_low", "ci_high", "df",
                        "level", "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high"]


@dataclass(frozen=True)
class Coefficient:
    """One coefficient with its design-based standard error, t test and Wald interval (odds ratios
    ``exp(estimate)``, ``exp(ci_low)``, ``exp(ci_high)`` for a logit link, else NaN)."""

    term: str
    estimate: float
    std_error: float
    t_statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    df: float
    level: float
    odds_ratio: float = math.nan
    odds_ratio_ci_low: float = math.nan
    odds_ratio_ci_high: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _COEFFICIENT_COLUMNS}


@dataclass(frozen=True, eq=False)
class Regression:
    """A fitted design-based regression (see the module docstring for every convention).

    ``respondents`` counts the rows in the fit with a positive weight; ``rows_used`` R's number of
    complete rows in the design object; ``rows_dropped`` the design's rows left out for a missing value.
    """

    formula: str
    family: str
    link: str
    coefficients: tuple[Coefficient, ...]
    covariance: np.ndarray = field(repr=False)
    df: float
    design_df: float
    design_df_used: float
    respondents: int
    rows_used: int
    rows_dropped: int
    dispersion: float
    level: float
    variance_method: str
    iterations: int
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    term_labels: tuple[str, ...] = ()
    assign: tuple[int, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(c.term for c in self.coefficients)

    def coefficient(self, term: str) -> Coefficient:
        for coefficient in self.coefficients:
            if coefficient.term == term:
                return coefficient
        raise EstimationError(f"the model has no coefficient {term!r}; its terms are {list(self.terms)}")

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: term, estimate, std_error, t_statistic, p_value, ci_low, ci_high, df,
        level and the odds ratio columns (NaN unless the link is logit)."""
        return pd.DataFrame.from_records([c.to_dict() for c in self.coefficients], columns=_COEFFICIENT_COLUMNS)

    def term_test(self, terms: str | Sequence[str]) -> "TermTest":
        """Design-based Wald test that every coefficient of the model terms ``terms`` (labels as in the
        formula: ``"stype"``, ``"factor(race)"``, ``"ell:stype"``) is zero (R ``regTermTest``, method
        ``"Wald"``): ``F = β̂ᵀV⁻¹β̂ / k`` on ``(k, df)`` degrees of freedom, k the number of coefficients."""
        wanted = [terms] if isinstance(terms, str) else list(terms)
        unknown = [t for t in wanted if t not in self.term_labels]
        if unknown:
            raise EstimationError(f"the model has no term {unknown}; its terms are {list(self.term_labels)}")
        positions = {self.term_labels.index(t) + 1 for t in wanted}
        index = [j for j, term in enumerate(self.assign) if term in positions]
        beta = np.array([self.coefficients[j].estimate for j in index])
        covariance = self.covariance[np.ix_(index, index)]
        try:
            chi_square = float(beta @ np.linalg.solve(covariance, beta))
        except np.linalg.LinAlgError:
            raise EstimationError(f"the covariance of the coefficients of {wanted} is singular; the terms cannot "
                                  "be tested together (too few sampling units for so many coefficients?)") from None
        k = len(index)
        if math.isinf(self.df):
            p_value = float(stats.chi2.sf(chi_square, k))
        else:
            p_value = float(stats.f.sf(chi_square / k, k, self.df)) if self.df > 0 else math.nan
        return TermTest(terms=tuple(wanted), statistic=chi_square / k, ndf=float(k), ddf=self.df,
                        chi_square=chi_square, p_value=p_value)


@dataclass(frozen=True)
class TermTest:
    """A design-based Wald test of model terms: ``statistic`` = F = χ²/ndf on (ndf, ddf) degrees of freedom."""

    terms: tuple[str, ...]
    statistic: float
    ndf: float
    ddf: float
    chi_square: float
    p_value: float


def _formula(formula: str | Formula | None, response: str | None, predictors: Sequence[str] | None,
             factors: Sequence[str]) -> Formula:
    if formula is not None:
        if response is not None or predictors is not None:
            raise EstimationError("give either a formula or response= and predictors=, not both")
        parsed = formula if isinstance(formula, Formula) else parse_formula(formula)
    else:
        if response is None:
            raise EstimationError("expected a formula such as 'api00 ~ ell + stype', or response= and predictors=")
        parsed = formula_from_columns(response, list(predictors or []), factors)
    if parsed.response is None:
        raise EstimationError(f"the formula {parsed.text!r} has no response; write 'y ~ ...'")
    return parsed


def _check_aliasing(frame: ModelFrame, weights: np.ndarray) -> None:
    kept = gram_pivots(weighted_gram(frame.matrix, weights)[0], ALIASING_TOLERANCE)
    if not kept.all():
        aliased = [name for name, keep in zip(frame.names, kept) if not keep]
        raise EstimationError(
            f"the columns {aliased} of {frame.formula.text!r} are linear combinations of the other columns on the "
            "rows with a positive weight (R would report NA for them); drop or merge the predictors involved"
        )


def _linearization(design: Any, frame: ModelFrame, weights: np.ndarray, full: Fit, family: Family) -> np.ndarray:
    """svyrecvar of the influence values ``u = w (y − μ)(dμ/dη)/V · xᵀA⁻¹``.

    The variance engine is linear in the influence columns (totals, residualization and the stage sums are
    linear maps), so ``svyrecvar(sA⁻¹) = A⁻¹ svyrecvar(s) A⁻¹`` with the score contributions
    ``s = w (y − μ)(dμ/dη)/V · xᵀ``: the rows × p × p product is never formed. The fit's information A uses
    the weights scaled to mean 1 over the positive ones; the inverse is scaled back by the same factor."""
    matrix, y = frame.matrix, frame.response
    beta, mu = full.coefficients[0], full.fitted[:, 0]
    derivative = family.derivative(matrix @ beta)
    variance = family.variance(mu)
    scale = (weights > 0).sum() / weights.sum()
    inverse = np.linalg.inv(full.information[0]) * scale
    contributions = (weights * (y - mu) * derivative / variance)[:, None]
    if len(frame.rows) == len(design.data):
        scores = matrix * contributions
    else:
        scores = np.zeros((len(design.data), matrix.shape[1]))
        scores[frame.rows] = matrix * contributions
    return inverse.T @ design.influence_covariance(scores) @ inverse


def _dispersion(design: Any, used: Any, frame: ModelFrame, mu: np.ndarray, family: Family) -> float:
    """survey 4.1.1's ``svyvar`` of the Pearson residuals on the design after missing rows are dropped."""
    scale = (used.weights.sum() / used.rows) / (design.weights.sum() / design.rows)
    residuals = np.zeros(len(design.data))
    residuals[frame.rows] = (frame.response - mu) / np.sqrt(family.variance(mu)) * math.sqrt(scale)
    weights = used.weights
    total = weights.sum()
    centre = (weights * residuals).sum() / total
    n = int((weights != 0).sum())  # survey 4.1.1's svyvar: rows with a non-zero weight
    return float((weights * (residuals - centre) ** 2).sum() / total * n / (n - 1.0)) if n > 1 else math.nan


def regression(design: Any, formula: str | Formula | None = None, *, response: str | None = None,
               predictors: Sequence[str] | None = None, factors: Sequence[str] = (),
               family: str | Family = "gaussian", level: float = 0.95,
               levels: Mapping[str, Sequence[Any]] | None = None) -> Regression:
    """Fit a design-based regression (R ``svyglm``); see the module docstring.

    ``formula`` is R's (``"api00 ~ ell + meals + stype"``, ``"y ~ a * b"``, ``"y ~ factor(x)"``); or give
    ``response=`` and ``predictors=`` (text/categorical/boolean columns become categories, numeric
    ones numbers unless listed in ``factors=``). ``family``: ``"gaussian"`` (linear regression) or
    ``"quasibinomial"`` / ``"logistic"`` (a 0/1 or 0–1 response). ``levels`` orders a categorical
    variable's levels, the first being the reference (default: sorted, R's).
    """
    level = check_level(level)
    chosen = family_named(family)
    parsed = _formula(formula, response, predictors, factors)
    weights_full = np.asarray(design.weights, dtype=float)
    frame = model_frame(parsed, design.data, weights=weights_full, levels=levels, within=design.rows_in_design)
    weights = weights_full[frame.rows]
    chosen.check(frame.response[weights > 0], parsed.response.label)
    _check_aliasing(frame, weights)
    full = fit(frame.matrix, frame.response, weights, chosen)
    beta = full.coefficients[0]
    if design.is_replicate:
        replicate_weights = design.replicate_weights[frame.rows]
        replicates = fit(frame.matrix, frame.response, replicate_weights, chosen, start=beta)
        covariance = design.replicate_covariance(replicates.coefficients, beta)
    else:
        covariance = _linearization(design, frame, weights, full, chosen)
    used = complete_design(design, frame.complete)
    design_df = float(design.degrees_of_freedom)
    design_df_used = float(used.degrees_of_freedom)
    p = len(beta)
    df = (design_df if design.is_replicate else design_df_used) + 1.0 - p
    dispersion = math.nan if design.is_replicate else _dispersion(design, used, frame, full.fitted[:, 0], chosen)
    variances = np.diag(covariance)
    # a negative variance is a numerical breakdown (e.g. a coefficient running off under separation): no standard
    # error rather than a warning and a made-up one
    std_error = np.sqrt(np.where(variances >= 0, variances, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_statistic = beta / std_error
    p_value = two_sided_p(t_statistic, df)
    q = critical_value(level, df)
    low, high = beta - q * std_error, beta + q * std_error
    logit = chosen.link == "logit"
    with np.errstate(over="ignore"):  # a coefficient running off (separation) has an infinite odds ratio
        odds = [np.exp(values) if logit else np.full(len(beta), math.nan) for values in (beta, low, high)]
    coefficients = tuple(
        Coefficient(
            term=name, estimate=float(beta[j]), std_error=float(std_error[j]), t_statistic=float(t_statistic[j]),
            p_value=float(p_value[j]), ci_low=float(low[j]), ci_high=float(high[j]), df=df, level=level,
            odds_ratio=float(odds[0][j]), odds_ratio_ci_low=float(odds[1][j]), odds_ratio_ci_high=float(odds[2][j]),
        )
        for j, name in enumerate(frame.names)
    )
    in_design = design.rows_in_design
    return Regression(
        formula=parsed.text, family=chosen.name, link=chosen.link, coefficients=coefficients, covariance=covariance,
        df=df, design_df=design_df, design_df_used=design_df_used, respondents=int((weights > 0).sum()),
        rows_used=int(frame.complete[in_design].sum()), rows_dropped=int((~frame.complete[in_design]).sum()),
        dispersion=dispersion, level=level, variance_method="replicate" if design.is_replicate else "linearization",
        iterations=full.iterations, levels=dict(frame.levels), term_labels=parsed.term_labels, assign=frame.assign,
    )
