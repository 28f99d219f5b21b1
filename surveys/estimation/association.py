"""Tests of association in a two-way table of a survey (R ``svychisq``, survey 4.1.1).

``association_test(design, "district", "satisfied")`` tests whether the row and column variables are
independent in the population. Rows with a missing value in either variable leave the cell
estimates (R's ``na.rm = TRUE``); cells are ordered as R orders them (the row variable varies
fastest); levels are sorted (R's ``factor``).

* ``p̂`` = the design means of the r·c cell indicators, ``V`` their design covariance (linearization
  through the variance engine, or replicate means); ``N`` = the rows of the design object (rows with
  missing values included); Pearson's ``X²`` on the weighted table scaled to total ``N``.
* ``Δ = (Cᵀ D⁻¹ C / N)⁻¹ (Cᵀ D⁻¹ V D⁻¹ C)`` with ``D = diag(p̂)`` and ``C`` the interaction columns of
  ``~rows*cols`` on the r × c grid residualised on ``~rows+cols``; its eigenvalues δ are the
  generalised design effects.
* ``"F"`` (default, Rao–Scott second-order): ``F = X²/tr Δ`` on ``d₀ = (tr Δ)²/tr Δ²`` and ``d₀·ν``
  degrees of freedom; ``"Chisq"`` (first-order): statistic X², ``p = P(χ²_k > X²/mean δ)``,
  ``k = (r−1)(c−1)``; ``"saddlepoint"``: statistic X², p from the saddlepoint approximation to
  ``Σ δ_i χ²_1 / (χ²_{d₀ν}/(d₀ν))`` (replicate designs: to ``Σ δ_i χ²_1``); ``"lincom"``: R's exact
  version of it needs the CompQuadForm package and falls back to the saddlepoint without it, as here;
  ``"Wald"``: the Wald statistic
  W of the interior deviations ``T_ij − T_i·T_·j/T`` of the cell totals (delta-method covariance),
  ``F = W/k`` on (k, ν); ``"adjWald"``: ``F = W(ν − k + 1)/(kν)`` on (k, ν − k + 1).
* ``ν`` = distinct stage-1 sampling units − distinct strata over the design's rows (linearization),
  the replicate design's degrees of freedom (replicate designs).

Validated against the published ``svychisq`` reference cases (tests/reference/r_survey_models).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from surveys.columns import require_columns
from surveys.errors import EstimationError
from surveys.estimation.formula import category_codes
from surveys.estimation.saddlepoint import chisq_sum_tail, f_sum_tail

__all__ = ["ASSOCIATION_STATISTICS", "AssociationTest", "association_test"]

#: statistic name → what it is (English; Chinese wording lives with the report's tables).
ASSOCIATION_STATISTICS: Mapping[str, str] = MappingProxyType({
    "F": "Rao-Scott second-order corrected F",
    "Chisq": "Rao-Scott first-order corrected chi-square",
    "Wald": "design-based Wald test (F form)",
    "adjWald": "design-based adjusted Wald test (F form)",
    "saddlepoint": "Pearson X2 with a saddlepoint approximation to its design-based distribution",
    # R computes "lincom" exactly with the CompQuadForm package; without it (as in the reference R, Debian's
    # r-cran-survey) survey 4.1.1 falls back to the saddlepoint approximation, which is what is computed here.
    "lincom": "Pearson X2, its design-based distribution by the saddlepoint approximation (R's fallback)",
})


@dataclass(frozen=True, eq=False)
class AssociationTest:
    """A design-based test of independence of two categorical variables.

    ``statistic`` is the F statistic (``F``, ``Wald``, ``adjWald``) or Pearson's X² (``Chisq``,
    ``saddlepoint``); ``ndf``/``ddf`` the F degrees of freedom, ``df`` the chi-square's (NaN where they do not
    apply). ``design_effects`` are the eigenvalues of Δ (empty for the Wald tests); ``proportions`` the
    estimated cell proportions (rows × columns); ``design_df`` is ν; ``rows`` R's N.
    """

    row_variable: str
    column_variable: str
    method: str
    statistic: float
    p_value: float
    ndf: float
    ddf: float
    df: float
    pearson_chi_square: float
    design_df: float
    rows: int
    respondents: int
    row_levels: tuple[str, ...]
    column_levels: tuple[str, ...]
    proportions: np.ndarray = field(repr=False)
    design_effects: tuple[float, ...] = ()

    @property
    def mean_design_effect(self) -> float:
        return float(np.mean(self.design_effects)) if self.design_effects else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_variable": self.row_variable, "column_variable": self.column_variable, "method": self.method,
            "statistic": self.statistic, "p_value": self.p_value, "ndf": self.ndf, "ddf": self.ddf, "df": self.df,
            "pearson_chi_square": self.pearson_chi_square, "design_df": self.design_df, "rows": self.rows,
            "respondents": self.respondents, "mean_design_effect": self.mean_design_effect,
        }

    def proportion_frame(self) -> pd.DataFrame:
        """The estimated cell proportions as a table (rows × columns, summing to 1)."""
        return pd.DataFrame(self.proportions, index=pd.Index(self.row_levels, name=self.row_variable),
                            columns=pd.Index(self.column_levels, name=self.column_variable))


def _pearson(table: np.ndarray, total: float) -> float:
    """Pearson's X² of a weighted table scaled to ``total`` (R ``chisq.test(svytable(..., Ntotal = N))``)."""
    observed = table * (total / table.sum())
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(((observed - expected) ** 2 / expected).sum())


def _indicator_covariance(design: Any, indicators: np.ndarray, complete: np.ndarray, kind: str) -> np.ndarray:
    """Design covariance of the means (``kind="mean"``) or totals of indicator columns on the complete rows."""
    weights = np.where(complete, design.weights, 0.0)
    if design.is_replicate:
        replicate = design.replicate_weights[complete]
        totals = replicate.T @ indicators[complete]
        full = weights @ indicators
        if kind == "mean":
            return design.replicate_covariance(totals / replicate.sum(axis=0)[:, None], full / weights.sum())
        return design.replicate_covariance(totals, full)
    # in place: the indicator matrix is the largest array here (rows × cells)
    influence = indicators.copy()
    if kind == "mean":
        total = weights.sum()
        influence -= (weights @ indicators) / total
        influence *= (weights / total)[:, None]
    else:
        influence *= weights[:, None]
    return design.influence_covariance(influence)


def _interaction_contrasts(rows: int, columns: int) -> np.ndarray:
    """R's ``Cmat``: the interaction columns of ``~rows*cols`` on the grid, residualised on ``~rows+cols``."""
    row_of = np.tile(np.arange(rows), columns)
    column_of = np.repeat(np.arange(columns), rows)
    row_dummies = (row_of[:, None] == np.arange(1, rows)[None, :]).astype(float)
    column_dummies = (column_of[:, None] == np.arange(1, columns)[None, :]).astype(float)
    main = np.column_stack([np.ones(rows * columns), row_dummies, column_dummies])
    interaction = np.column_stack([row_dummies[:, i] * column_dummies[:, j]
                                   for j in range(columns - 1) for i in range(rows - 1)])
    coefficients, *_ = np.linalg.lstsq(main, interaction, rcond=None)
    return interaction - main @ coefficients


def _wald(design: Any, cells: np.ndarray, row_codes: np.ndarray, column_codes: np.ndarray, complete: np.ndarray,
          rows: int, columns: int) -> float:
    """Koch's Wald statistic W of the interior deviations T_ij − T_i·T_·j/T (R's Jacobian of the totals)."""
    n = len(cells)
    indicators = np.zeros((n, rows * columns + rows + columns + 1))
    inside = np.flatnonzero(complete)
    indicators[inside, cells[inside]] = 1.0
    indicators[inside, rows * columns + row_codes[inside]] = 1.0
    indicators[inside, rows * columns + rows + column_codes[inside]] = 1.0
    indicators[inside, -1] = 1.0
    weights = np.where(complete, design.weights, 0.0)
    totals = weights @ indicators
    covariance = _indicator_covariance(design, indicators, complete, "total")
    cell_row = np.tile(np.arange(rows), columns)
    cell_column = np.repeat(np.arange(columns), rows)
    row_totals = totals[rows * columns:rows * columns + rows]
    column_totals = totals[rows * columns + rows:-1]
    grand = totals[-1]
    jacobian = np.hstack([
        np.eye(rows * columns),
        -(cell_row[:, None] == np.arange(rows)[None, :]).astype(float) * (column_totals[cell_column] / grand)[:, None],
        -(cell_column[:, None] == np.arange(columns)[None, :]).astype(float) * (row_totals[cell_row] / grand)[:, None],
        (row_totals[cell_row] * column_totals[cell_column] / grand**2)[:, None],
    ])
    deviations = totals[:rows * columns] - row_totals[cell_row] * column_totals[cell_column] / grand
    variance = jacobian @ covariance @ jacobian.T
    use = (cell_row > 0) & (cell_column > 0)
    try:
        return float(deviations[use] @ np.linalg.solve(variance[np.ix_(use, use)], deviations[use]))
    except np.linalg.LinAlgError:
        raise EstimationError(
            "the Wald test cannot be computed: the covariance of the table's cells is singular (a row or column "
            "of the table with no respondents, or too few sampling units); use statistic='F'"
        ) from None


def association_test(design: Any, row: str, column: str, *, statistic: str = "F") -> AssociationTest:
    """Test the independence of ``row`` and ``column`` in the population (R ``svychisq``); see the
    module docstring for each ``statistic`` (``"F"``, ``"Chisq"``, ``"Wald"``, ``"adjWald"``,
    ``"saddlepoint"``)."""
    if statistic not in ASSOCIATION_STATISTICS:
        raise EstimationError(
            f"unknown statistic {statistic!r}; expected one of {', '.join(ASSOCIATION_STATISTICS)}"
        )
    if row == column:
        raise EstimationError(f"expected two different variables, found {row!r} twice")
    data = design.data
    require_columns(data, [row, column], "table")
    in_design = design.rows_in_design
    row_codes, row_levels = category_codes(data[row], row, within=in_design)
    column_codes, column_levels = category_codes(data[column], column, within=in_design)
    complete = in_design & (row_codes >= 0) & (column_codes >= 0)
    nr, nc = len(row_levels), len(column_levels)
    cells = np.where(complete, row_codes + nr * column_codes, -1)
    weights = np.where(complete, design.weights, 0.0)
    if not (weights > 0).any():
        raise EstimationError(f"no respondent has values of both {row!r} and {column!r}; nothing to test")
    table = np.bincount(cells[complete], weights=weights[complete], minlength=nr * nc)
    proportions = table / table.sum()
    total_rows = int(design.rows)
    pearson = _pearson(table.reshape(nc, nr).T, float(total_rows))
    design_df = float(design.degrees_of_freedom if design.is_replicate else design.sampled_degrees_of_freedom)
    k = (nr - 1) * (nc - 1)
    common = dict(row_variable=row, column_variable=column, method=statistic, pearson_chi_square=pearson,
                  design_df=design_df, rows=total_rows, respondents=int((weights > 0).sum()), row_levels=row_levels,
                  column_levels=column_levels, proportions=proportions.reshape(nc, nr).T)
    if statistic in ("Wald", "adjWald"):
        wald = _wald(design, cells, row_codes, column_codes, complete, nr, nc)
        if statistic == "Wald":
            value, ndf, ddf = wald / k, float(k), design_df
        else:
            ddf = design_df - k + 1.0
            value, ndf = wald * ddf / (k * design_df), float(k)
        return AssociationTest(statistic=float(value), p_value=float(stats.f.sf(value, ndf, ddf)), ndf=ndf, ddf=ddf,
                               df=math.nan, **common)
    indicators = np.zeros((len(cells), nr * nc))
    inside = np.flatnonzero(complete)
    indicators[inside, cells[inside]] = 1.0
    covariance = _indicator_covariance(design, indicators, complete, "mean")
    contrasts = _interaction_contrasts(nr, nc)
    inverse = np.where(proportions == 0, 0.0, 1.0 / np.where(proportions == 0, 1.0, proportions))
    denominator = contrasts.T @ (inverse[:, None] / total_rows * contrasts)
    numerator = contrasts.T @ (inverse[:, None] * covariance * inverse[None, :]) @ contrasts
    try:
        delta = np.linalg.solve(denominator, numerator)
    except np.linalg.LinAlgError:
        raise EstimationError(
            f"the table of {row!r} by {column!r} has an empty row or column among the respondents; "
            "merge or drop that category"
        ) from None
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    effects = tuple(float(v) for v in np.sort(np.linalg.eigvals(delta).real)[::-1])
    if statistic == "F":
        value = pearson / trace
        return AssociationTest(statistic=value, p_value=float(stats.f.sf(value, d0, d0 * design_df)), ndf=d0,
                               ddf=d0 * design_df, df=math.nan, design_effects=effects, **common)
    if statistic == "Chisq":
        p_value = float(stats.chi2.sf(pearson / (trace / k), k))
        return AssociationTest(statistic=pearson, p_value=p_value, ndf=math.nan, ddf=math.nan, df=float(k),
                               design_effects=effects, **common)
    if design.is_replicate:
        p_value = chisq_sum_tail(pearson, np.array(effects))
    else:
        p_value = f_sum_tail(pearson, np.array(effects), d0 * design_df)
    return AssociationTest(statistic=pearson, p_value=p_value, ndf=math.nan, ddf=math.nan, df=math.nan,
                           design_effects=effects, **common)
