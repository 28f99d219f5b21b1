"""What the model and test estimators share: t quantiles and p-values, and the design R uses after rows
with missing values are dropped."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from surveys.estimation.estimators import check_level, critical_value

__all__ = ["check_level", "critical_value", "two_sided_p", "complete_design"]


def two_sided_p(statistic: np.ndarray | float, df: float) -> np.ndarray | float:
    """``2·P(T_df > |t|)`` (normal for an infinite df; NaN without degrees of freedom)."""
    if math.isinf(df):
        return 2.0 * stats.norm.sf(np.abs(statistic))
    if not df > 0:
        return np.full_like(np.asarray(statistic, dtype=float), np.nan)
    return 2.0 * stats.t.sf(np.abs(statistic), df)


def complete_design(design: Any, complete: np.ndarray) -> Any:
    """The design R's estimators use after dropping rows with missing values (``design[-nas, ]``):
    a domain of the rows with values, so every stratum keeps its full-sample sampling units (the same
    as giving the dropped rows zero influence) and the degrees of freedom count only the units left."""
    if complete.all():
        return design
    return design.subset(complete)
