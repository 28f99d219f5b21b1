"""Domain means with their joint covariance, their contrasts (R ``svyby(..., covmat = TRUE)`` +
``svycontrast``) and the difference of two group means (R ``svyttest``), survey 4.1.1.

* :func:`domain_means`: the ratio means ``ȳ_d = Σ_d w y / Σ_d w`` of every level d of ``by`` on the
  full design (domains zero the weights, never drop rows) and their joint covariance — linearization:
  the variance engine on the influence columns ``w_i 1{i ∈ d}(y_i − ȳ_d)/N̂_d`` (so calibration
  residualization applies too, which survey 4.1.1's ``svyby`` refuses); replicate designs: the
  replicate domain means.
* :meth:`DomainMeans.contrast`: a linear contrast ``aᵀȳ`` with SE ``√(aᵀVa)``;
  :meth:`DomainMeans.ratio`: ``ȳ_a/ȳ_b`` by the delta method (gradient ``(1/ȳ_b, −ȳ_a/ȳ_b²)``) on the
  joint covariance, for replicate designs too (as R's ``svycontrast`` of a ``svyby(covmat = TRUE)``).
  Intervals are normal (R's ``confint`` of a ``svycontrast``) unless ``df=`` is given.
* :func:`difference_test`: ``svyglm(y ~ group)`` (gaussian): the difference second − first level,
  its SE, ``t``, two-sided p on ``df = design df − 1`` and the interval on that df.

Validated against the published ``svycontrast`` and ``svyttest`` reference cases
(tests/reference/r_survey_models).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from surveys.columns import category_code, require_columns
from surveys.errors import EstimationError
from surveys.estimation.common import check_level, critical_value, two_sided_p
from surveys.estimation.estimators import numeric_column
from surveys.estimation.formula import category_codes
from surveys.estimation.glm import regression

__all__ = ["DomainMeans", "Contrast", "GroupDifference", "domain_means", "difference_test"]


@dataclass(frozen=True)
class Contrast:
    """A contrast of domain means with its standard error and interval (``df`` inf = normal)."""

    label: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    df: float
    level: float
    t_statistic: float
    p_value: float
    coefficients: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "estimate": self.estimate, "std_error": self.std_error, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "df": self.df, "level": self.level, "t_statistic": self.t_statistic,
                "p_value": self.p_value}


@dataclass(frozen=True, eq=False)
class DomainMeans:
    """The mean of ``variable`` in every level of ``by`` with their joint covariance."""

    variable: str
    by: str
    levels: tuple[str, ...]
    estimates: np.ndarray
    covariance: np.ndarray
    respondents: tuple[int, ...]
    design_df: float

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def index(self, level: Any) -> int:
        text = category_code(level)
        if text not in self.levels:
            raise EstimationError(f"{self.by!r} has no level {level!r} among the respondents; its levels are "
                                  f"{list(self.levels)}")
        return self.levels.index(text)

    def _weights(self, coefficients: Mapping[Any, float] | Sequence[float]) -> np.ndarray:
        if isinstance(coefficients, Mapping):
            vector = np.zeros(len(self.levels))
            for level, value in coefficients.items():
                vector[self.index(level)] += float(value)
            return vector
        vector = np.asarray(coefficients, dtype=float)
        if vector.shape != (len(self.levels),):
            raise EstimationError(f"expected one coefficient per level of {self.by!r} {list(self.levels)}, found "
                                  f"{vector.shape[0] if vector.ndim else 1}")
        return vector

    def _record(self, label: str, estimate: float, variance: float, level: float, df: float | None,
                coefficients: Mapping[str, float]) -> Contrast:
        level = check_level(level)
        used_df = math.inf if df is None else float(df)
        std_error = math.sqrt(variance) if variance >= 0 else math.nan
        q = critical_value(level, used_df)
        t = estimate / std_error if std_error > 0 else math.nan
        return Contrast(label=label, estimate=estimate, std_error=std_error, ci_low=estimate - q * std_error,
                        ci_high=estimate + q * std_error, df=used_df, level=level, t_statistic=t,
                        p_value=float(two_sided_p(t, used_df)), coefficients=dict(coefficients))

    def contrast(self, coefficients: Mapping[Any, float] | Sequence[float], *, level: float = 0.95,
                 df: float | None = None) -> Contrast:
        """``Σ a_d ȳ_d`` (e.g. ``{"E": 1, "M": -1}``) with SE ``√(aᵀVa)``."""
        a = self._weights(coefficients)
        terms = [f"{value:+g}·{name}" for name, value in zip(self.levels, a) if value != 0]
        label = " ".join(terms).lstrip("+").replace("1·", "") if terms else "0"
        return self._record(label, float(a @ self.estimates), float(a @ self.covariance @ a), level, df,
                            {name: float(value) for name, value in zip(self.levels, a) if value != 0})

    def difference(self, first: Any, second: Any, *, level: float = 0.95, df: float | None = None) -> Contrast:
        """``ȳ_first − ȳ_second``."""
        return self.contrast({first: 1.0, second: -1.0}, level=level, df=df)

    def ratio(self, numerator: Any, denominator: Any, *, level: float = 0.95, df: float | None = None) -> Contrast:
        """``ȳ_numerator / ȳ_denominator`` by the delta method on the joint covariance (replicate designs too:
        R's ``svycontrast`` of a ``svyby(covmat = TRUE)`` object uses its covariance matrix)."""
        i, j = self.index(numerator), self.index(denominator)
        estimate = float(self.estimates[i] / self.estimates[j])
        gradient = np.zeros(len(self.levels))
        gradient[i] = 1.0 / self.estimates[j]
        gradient[j] = -self.estimates[i] / self.estimates[j] ** 2
        variance = float(gradient @ self.covariance @ gradient)
        return self._record(f"{self.levels[i]}/{self.levels[j]}", estimate, variance, level, df,
                            {self.levels[i]: 1.0, self.levels[j]: -1.0})


def domain_means(design: Any, variable: str, by: str, *, na_rm: bool = False) -> DomainMeans:
    """The mean of ``variable`` in each level of ``by`` with their joint covariance (see the module docstring).

    Levels are those with a respondent (positive weight), sorted as R's ``svyby``. With ``na_rm`` rows missing
    ``variable`` leave their domain; without it a missing value in a domain is an error.
    """
    data = design.data
    require_columns(data, [by], "by")
    y = numeric_column(design, variable)
    weights = np.asarray(design.weights, dtype=float)
    codes, levels = category_codes(data[by], by, within=weights > 0)
    missing = np.isnan(y) & (codes >= 0) & (weights > 0)
    if missing.any() and not na_rm:
        raise EstimationError(f"{variable!r} is missing for {int(missing.sum())} respondents; pass na_rm=True to "
                              "leave them out of their domain")
    use = (codes >= 0) & ~np.isnan(y) & (weights > 0)
    count = len(levels)
    indicator = np.zeros((len(y), count))
    indicator[np.flatnonzero(use), codes[use]] = 1.0
    values = np.where(use, y, 0.0)
    totals = (weights * values) @ indicator
    sizes = weights @ indicator
    if (sizes == 0).any():
        empty = [levels[k] for k in np.flatnonzero(sizes == 0)]
        raise EstimationError(f"levels {empty} of {by!r} have no respondent with a value of {variable!r}")
    estimates = totals / sizes
    if design.is_replicate:
        replicate_weights = design.replicate_weights
        replicates = (replicate_weights.T @ (values[:, None] * indicator)) / (replicate_weights.T @ indicator)
        covariance = design.replicate_covariance(replicates, estimates)
    else:
        influence = weights[:, None] * indicator * (values[:, None] - estimates[None, :]) / sizes[None, :]
        covariance = design.influence_covariance(influence)
    respondents = tuple(int(v) for v in np.bincount(codes[use], minlength=count))
    return DomainMeans(variable=variable, by=by, levels=levels, estimates=estimates, covariance=covariance,
                       respondents=respondents, design_df=float(design.degrees_of_freedom))


@dataclass(frozen=True)
class GroupDifference:
    """``second − first`` group mean (or proportion) of ``variable`` with its design-based t test."""

    variable: str
    group: str
    first: str
    second: str
    difference: float
    std_error: float
    t_statistic: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    first_estimate: float
    second_estimate: float
    respondents: int

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["significant"] = self.significant
        return row


def difference_test(design: Any, variable: str, group: str, *, level: float = 0.95,
                    levels: Sequence[Any] | None = None) -> GroupDifference:
    """The difference of the means of ``variable`` between the two levels of ``group`` (R ``svyttest``):
    second level − first (``levels`` gives the order), by ``svyglm(variable ~ group)``."""
    require_columns(design.data, [variable, group], "variable")
    model = regression(design, response=variable, predictors=[group], factors=[group], level=level,
                       levels={group: levels} if levels is not None else None)
    names = model.levels.get(f"factor({group})")
    if names is None or len(names) != 2:
        raise EstimationError(f"{group!r} must have exactly two groups among the respondents to compare; found "
                              f"{list(names or [])}")
    intercept, slope = model.coefficients[0], model.coefficients[1]
    return GroupDifference(
        variable=variable, group=group, first=names[0], second=names[1], difference=slope.estimate,
        std_error=slope.std_error, t_statistic=slope.t_statistic, df=slope.df, p_value=slope.p_value,
        ci_low=slope.ci_low, ci_high=slope.ci_high, level=level, first_estimate=intercept.estimate,
        second_estimate=intercept.estimate + slope.estimate, respondents=model.respondents,
    )
