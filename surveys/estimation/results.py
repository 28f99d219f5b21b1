"""Results are small frozen records with one vocabulary; tables of them become tidy DataFrames.

Every estimator of the toolkit (design-based means, totals, proportions, ratios, quantiles, and the
measures built on them) returns an :class:`Estimate` or an :class:`EstimateTable`. The field names
are the project's vocabulary and never change: ``estimate, std_error, ci_low, ci_high, df,
design_effect, respondents, ci_method, level``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Iterator, Mapping, Sequence

import pandas as pd

__all__ = ["Estimate", "EstimateTable"]


@dataclass(frozen=True)
class Estimate:
    """One design-based estimate.

    ``df`` is the degrees of freedom used for the interval (``math.inf`` for a normal interval);
    ``design_effect`` is ``nan`` unless it was asked for; ``respondents`` counts the rows with a
    non-missing value inside the domain (and a non-zero weight). ``domain`` maps domain variables to
    their value (empty for the whole population).
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    df: float
    design_effect: float = math.nan
    respondents: int = 0
    ci_method: str = "wald"
    level: float = 0.95
    statistic: str = "mean"
    variable: str = ""
    domain: Mapping[str, Any] = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def margin_of_error(self) -> float:
        """Half the width of the interval (for asymmetric intervals: the larger half)."""
        return max(self.estimate - self.ci_low, self.ci_high - self.estimate)

    def to_dict(self) -> dict[str, Any]:
        """A flat dict: the fixed columns, then one column per domain variable and per extra."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("domain", "extras")}
        row.update({str(k): v for k, v in self.domain.items()})
        row.update({str(k): v for k, v in self.extras.items()})
        return row


_FIXED_COLUMNS = [
    "statistic",
    "variable",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "df",
    "design_effect",
    "respondents",
    "ci_method",
    "level",
]


@dataclass(frozen=True)
class EstimateTable(Sequence[Estimate]):
    """An ordered, immutable collection of :class:`Estimate` records (e.g. one per domain)."""

    rows: tuple[Estimate, ...]
    by: tuple[str, ...] = ()

    def __init__(self, rows: Iterable[Estimate], by: Sequence[str] = ()) -> None:
        object.__setattr__(self, "rows", tuple(rows))
        object.__setattr__(self, "by", tuple(by))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Estimate]:
        return iter(self.rows)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return EstimateTable(self.rows[index], self.by)
        return self.rows[index]

    def to_frame(self) -> pd.DataFrame:
        """A tidy DataFrame: the domain columns first, then the fixed columns, then any extras."""
        records = [row.to_dict() for row in self.rows]
        domain_columns = list(self.by) or sorted({k for row in self.rows for k in row.domain})
        extra_columns = sorted({str(k) for row in self.rows for k in row.extras})
        columns = domain_columns + _FIXED_COLUMNS + [c for c in extra_columns if c not in domain_columns]
        return pd.DataFrame.from_records(records, columns=columns)
