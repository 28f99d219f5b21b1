"""Waves: the same indicator in different years, the change and whether it is significant.

Two waves are independent samples (a new sample each year), so the covariance is zero and

    change = θ_b − θ_a,   SE = √(SE_a² + SE_b²),   CI = change ± t(df)·SE,

with ``df = min(df_a, df_b)`` of the two designs' degrees of freedom (``extras["design_df"]``, else ``df``).
The minimum is the conservative choice: the Welch–Satterthwaite degrees of freedom of a sum of two variance
estimates lie between the smaller df and the sum of both, so ``min`` never gives too narrow an interval (with
the hundreds of degrees of freedom of a city survey the difference is immaterial). A change is
``significant`` when its interval excludes zero (equivalently the two-sided p-value is below 1 − level).
Overlapping confidence intervals of the two waves do **not** mean "no significant change"; compare the change.
For a panel (the same respondents twice) this formula ignores the covariance and is wrong.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd
from scipy import stats

from surveys.errors import EstimationError
from surveys.estimation.results import Estimate

__all__ = ["WaveChange", "compare_waves", "trend_table"]


@dataclass(frozen=True)
class WaveChange:
    """The change of one indicator from wave ``label_a`` to wave ``label_b`` (``estimate_b − estimate_a``)."""

    label_a: str
    label_b: str
    estimate_a: float
    estimate_b: float
    change: float
    std_error: float
    ci_low: float
    ci_high: float
    df: float
    level: float
    t_statistic: float
    p_value: float
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _df(estimate: Estimate) -> float:
    return float(estimate.extras.get("design_df", estimate.df))


def compare_waves(estimate_a: Estimate, estimate_b: Estimate, *, level: float | None = None, label_a: str = "",
                  label_b: str = "") -> WaveChange:
    """The change from ``estimate_a`` (earlier wave) to ``estimate_b`` for independent samples (module docstring).

    ``level`` defaults to ``estimate_b.level``. Validated by hand in tests/test_waves.py.
    """
    level = estimate_b.level if level is None else float(level)
    if not 0.0 < level < 1.0:
        raise EstimationError(f"level must be in (0, 1) (0.95 for 95%); found {level!r}")
    if estimate_a.statistic != estimate_b.statistic:
        raise EstimationError(
            f"cannot compare a {estimate_a.statistic} with a {estimate_b.statistic}; compare the same indicator "
            "in both waves"
        )
    for name, estimate in (("estimate_a", estimate_a), ("estimate_b", estimate_b)):
        if not (math.isfinite(estimate.estimate) and math.isfinite(estimate.std_error)):
            raise EstimationError(f"{name} is not a finite estimate with a standard error: {estimate.estimate!r}")
    df = min(_df(estimate_a), _df(estimate_b))
    if not df > 0:
        raise EstimationError(f"a wave has no design degrees of freedom (df = {df}); the change has no interval")
    change = estimate_b.estimate - estimate_a.estimate
    std_error = math.hypot(estimate_a.std_error, estimate_b.std_error)
    q = float(stats.norm.ppf(0.5 + level / 2) if math.isinf(df) else stats.t.ppf(0.5 + level / 2, df))
    if std_error > 0:
        t_statistic = change / std_error
        p_value = float(2 * (stats.norm.sf(abs(t_statistic)) if math.isinf(df) else stats.t.sf(abs(t_statistic), df)))
    else:
        t_statistic, p_value = (math.nan, math.nan) if change == 0 else (math.copysign(math.inf, change), 0.0)
    low, high = change - q * std_error, change + q * std_error
    return WaveChange(label_a=label_a, label_b=label_b, estimate_a=estimate_a.estimate,
                      estimate_b=estimate_b.estimate, change=change, std_error=std_error, ci_low=low, ci_high=high,
                      df=df, level=level, t_statistic=t_statistic, p_value=p_value,
                      significant=bool(low > 0 or high < 0))


def trend_table(waves: Mapping[str, Estimate] | Sequence[tuple[str, Estimate]], *, level: float | None = None,
                reference: str = "previous") -> pd.DataFrame:
    """One row per wave (in the order given): the estimate and its interval, and the change from the
    ``previous`` wave (or the ``first``) with its interval and significance (:func:`compare_waves`)."""
    if reference not in ("previous", "first"):
        raise EstimationError(f"reference must be 'previous' or 'first'; found {reference!r}")
    pairs = list(waves.items()) if isinstance(waves, Mapping) else list(waves)
    if not pairs:
        raise EstimationError("trend_table needs at least one wave")
    rows = []
    for index, (label, estimate) in enumerate(pairs):
        row: dict[str, Any] = {"wave": label, "estimate": estimate.estimate, "std_error": estimate.std_error,
                               "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
                               "respondents": estimate.respondents, "reference_wave": None, "change": math.nan,
                               "change_std_error": math.nan, "change_ci_low": math.nan, "change_ci_high": math.nan,
                               "change_df": math.nan, "change_p_value": math.nan, "change_significant": None}
        if index > 0:
            base_label, base = pairs[index - 1] if reference == "previous" else pairs[0]
            change = compare_waves(base, estimate, level=level, label_a=str(base_label), label_b=str(label))
            row.update({"reference_wave": base_label, "change": change.change, "change_std_error": change.std_error,
                        "change_ci_low": change.ci_low, "change_ci_high": change.ci_high, "change_df": change.df,
                        "change_p_value": change.p_value, "change_significant": change.significant})
        rows.append(row)
    return pd.DataFrame.from_records(rows)
