"""Survey designs: strata, multistage sampling units, weights and finite population corrections.

``SurveyDesign`` mirrors R ``survey``'s ``svydesign()`` (survey 4.1.1):

* ``ids``: ``None`` (every row is its own PSU), a column, or one column per stage. Units of stage s
  are always nested in the units of stage s−1; with ``nest=True`` PSU identity is (stratum, PSU id),
  otherwise a PSU id found in two strata is an error (R: "clusters not nested in strata").
* ``fpc``: one column per stage holding population sizes (stage 1: PSUs in the stratum, stage 2:
  units in the PSU), or sampling fractions when every value of the column is ≤ 1 (R sets
  N = n / fraction). Without ``weights`` the weight is Π over stages of N/n (1 without fpc).
* Variance (see :mod:`surveys.design.variance`): stage 1 always; stage s+1 only when the fpc of every stage
  up to s+1 is given (otherwise "ultimate cluster": PSU totals only, with replacement).
* ``degrees_of_freedom`` is R's ``degf``: distinct PSUs minus distinct strata among rows with a
  non-zero weight (so it shrinks for a domain).
* ``lonely_psu``: what a stratum with a single sampled PSU does to the variance (R's ``survey.lonely.psu``);
  with ``"fail"`` the error comes when a variance is first computed, as in R, so such a design can still be
  weighted.

Strings are encoded once with ``pd.factorize``; everything after is integer-coded numpy. The sampling units are
encoded the first time a variance, degrees of freedom or replicate weights need them (raking needs none), so a
missing unit id is reported then too; with an fpc, or ids not nested in strata, they are encoded (and checked)
when the design is built.
Domains (``subset``) zero the weights of the other rows and keep every PSU and stratum.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.columns import (
    combine_codes,
    domain_pair_codes,
    encode_column,
    numeric_values,
    require_columns,
    weight_values,
)
from surveys.design.base import DesignMethods, own_rows
from surveys.design.replicate import build_replicate_design
from surveys.design.variance import (
    LONELY_PSU_RULES,
    Stage,
    VarianceLayout,
    influence_variance,
)
from surveys.errors import DesignError

__all__ = ["SurveyDesign"]


def _as_columns(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [] if value in ("1", "") else [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    raise DesignError(f"expected {what} as a column name or a list of column names, found {value!r}")


def _group_constant(values: np.ndarray, group: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The value of each group (taken from its rows) and a mask of groups where the rows disagree."""
    per_group = np.full(groups, np.nan)
    per_group[group] = values
    mismatch = ~np.isclose(values, per_group[group], rtol=1e-9, atol=0.0)
    varies = np.zeros(groups, dtype=bool)
    varies[group[mismatch]] = True
    return per_group, varies


@dataclass
class _StageCodes:
    """Integer codes of every stage: each row's unit, each unit's group (stratum at stage 1, parent
    unit below), each row's group, the number of groups, units sampled per group, group labels."""

    units: list[np.ndarray]
    counts: list[int]
    groups_of_units: list[np.ndarray]
    row_groups: list[np.ndarray]
    group_counts: list[int]
    sampled: list[np.ndarray]
    labels: list[Sequence[str]]


def _encode_stages(data: pd.DataFrame, id_columns: Sequence[str], strata: str | None, strata_codes: np.ndarray,
                   strata_count: int, nest: bool) -> _StageCodes:
    """Units of each stage, nested in the units of the stage above (and in strata with ``nest``)."""
    n = len(data)
    units: list[np.ndarray] = []
    counts: list[int] = []
    if not id_columns:
        units.append(np.arange(n, dtype=np.int64))
        counts.append(n)
    for stage_index, column in enumerate(id_columns):
        codes, values = encode_column(data[column], "ids", sort=False)
        if stage_index > 0:
            codes, count = combine_codes(units[-1], counts[-1], codes, len(values))
        elif nest:
            codes, count = combine_codes(strata_codes, strata_count, codes, len(values))
        else:
            count = len(values)
            _, pairs = combine_codes(codes, count, strata_codes, strata_count)
            if pairs > count:
                raise DesignError(
                    f"PSU ids in {column!r} repeat across strata of {strata!r} (found {pairs} stratum-PSU "
                    f"pairs for {count} ids); pass nest=True if ids are only unique within a stratum"
                )
        units.append(codes)
        counts.append(count)
    stages = _StageCodes(units, counts, [], [], [], [], [])
    for stage_index, (unit, count) in enumerate(zip(units, counts)):
        row_group = strata_codes if stage_index == 0 else units[stage_index - 1]
        group_count = strata_count if stage_index == 0 else counts[stage_index - 1]
        of_unit = np.zeros(count, dtype=np.int64)
        of_unit[unit] = row_group
        stages.groups_of_units.append(of_unit)
        stages.row_groups.append(row_group)
        stages.group_counts.append(group_count)
        stages.sampled.append(np.bincount(of_unit, minlength=group_count))
        stages.labels.append(
            [] if stage_index == 0 else _UnitLabels(data, id_columns[:stage_index], units[stage_index - 1])
        )
    return stages


def _sampling_fractions(data: pd.DataFrame, fpc_columns: Sequence[str], stages: _StageCodes) -> list[np.ndarray]:
    """n/N per group for every stage with an fpc column (R ``as.fpc``: population sizes unless every
    fpc value is ≤ 1, in which case they are the fractions)."""
    fpc_values = [SurveyDesign._fpc_values(data[column]) for column in fpc_columns]
    population_sizes = any((values > 1).any() for values in fpc_values)
    if population_sizes:
        for column, values in zip(fpc_columns, fpc_values):
            if (values < 1).any():
                raise DesignError(
                    f"fpc column {column!r} holds sampling fractions (< 1, {int((values < 1).sum())} rows) "
                    f"while the fpc also holds population sizes (> 1); use one kind for every fpc column"
                )
    return [
        SurveyDesign._stage_fraction(values, column, population_sizes, stages.row_groups[index],
                                     stages.group_counts[index], stages.sampled[index], stages.labels[index],
                                     index + 1)
        for index, (column, values) in enumerate(zip(fpc_columns, fpc_values))
    ]


def _variance_layout(stages: _StageCodes, fractions: list[np.ndarray], lonely_psu: str) -> VarianceLayout:
    """Stage 1 always; stage s+1 only while every stage down to it has an fpc (R's svyrecvar)."""
    result: list[Stage] = []
    ancestor = np.ones(stages.group_counts[0])
    for index in range(len(stages.units)):
        if index > 0:
            if index >= len(fractions):
                break
            parent_fraction = ancestor * fractions[index - 1]
            ancestor = parent_fraction[stages.groups_of_units[index - 1]]
        result.append(
            Stage(
                unit=stages.units[index], units=stages.counts[index], group_of_unit=stages.groups_of_units[index],
                groups=stages.group_counts[index], sampled=stages.sampled[index],
                fraction=fractions[index] if index < len(fractions) else None, ancestor_fraction=ancestor,
                group_labels=stages.labels[index], number=index + 1,
            )
        )
    return VarianceLayout(stages=tuple(result), lonely_psu=lonely_psu)


class _Structure:
    """The sampling units of every stage, the sampling fractions and the variance layout of a design, built
    the first time a variance, degrees of freedom or replicate weights need them and shared by the designs derived
    from it. Weighting needs none of it, so raking a design built from a DataFrame never encodes its PSU ids."""

    def __init__(self, data: pd.DataFrame, id_columns: Sequence[str], strata: str | None, strata_codes: np.ndarray,
                 strata_labels: Sequence[str], fpc_columns: Sequence[str], nest: bool, lonely_psu: str) -> None:
        self._inputs: tuple[Any, ...] | None = (data, id_columns, strata, strata_codes, strata_labels, fpc_columns,
                                                 nest, lonely_psu)
        self._built: tuple[_StageCodes, list[np.ndarray], VarianceLayout] | None = None

    def get(self) -> tuple[_StageCodes, list[np.ndarray], VarianceLayout]:
        if self._built is None:
            assert self._inputs is not None
            data, id_columns, strata, strata_codes, strata_labels, fpc_columns, nest, lonely_psu = self._inputs
            stages = _encode_stages(data, id_columns, strata, strata_codes, len(strata_labels), nest)
            stages.labels[0] = strata_labels
            fractions = _sampling_fractions(data, fpc_columns, stages)
            self._built = (stages, fractions, _variance_layout(stages, fractions, lonely_psu))
            self._inputs = None
        return self._built


class SurveyDesign(DesignMethods):
    """A probability sample described the way R's ``svydesign()`` does (see the module docstring).

    Public attributes: ``data`` (the DataFrame), ``weights`` (float64, full length, zero outside a
    domain), ``degrees_of_freedom`` (R ``degf``), ``rows`` (R ``nrow`` of the design object: the
    domain rows for a ``subset()`` of an unadjusted design, all rows otherwise), ``adjustments``
    (weighting records, applied to influence values before PSU aggregation), ``lonely_psu``.
    """

    is_replicate = False

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        ids: str | Sequence[str] | None = None,
        strata: str | None = None,
        weights: str | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: str = "fail",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"expected a pandas DataFrame as data, found {type(data).__name__}; wrap it with pd.DataFrame")
        data = own_rows(data)
        if lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(
                f"unknown lonely_psu rule {lonely_psu!r}; expected one of {', '.join(LONELY_PSU_RULES)}"
            )
        n = len(data)
        if n == 0:
            raise DesignError("the data have no rows; a design needs at least one sampled unit")
        id_columns = _as_columns(ids, "ids")
        fpc_columns = _as_columns(fpc, "fpc")
        if strata is not None and not isinstance(strata, str):
            raise DesignError(f"expected strata as one column name, found {strata!r}; combine the columns into one first")
        require_columns(data, id_columns, "ids")
        require_columns(data, [strata] if strata else [], "strata")
        require_columns(data, [weights] if weights else [], "weights")
        require_columns(data, fpc_columns, "fpc")
        stage_count = max(len(id_columns), 1)
        if len(fpc_columns) > stage_count:
            raise DesignError(
                f"expected at most one fpc column per stage ({stage_count} stage(s) from ids), found "
                f"{len(fpc_columns)}: {fpc_columns}; give ids for every stage that has an fpc"
            )

        if strata:
            strata_codes, strata_values = encode_column(data[strata], "strata")
        else:
            strata_codes, strata_values = np.zeros(n, dtype=np.int64), np.array(["(whole sample)"], dtype=object)
        structure = _Structure(data, id_columns, strata, strata_codes, [str(v) for v in strata_values], fpc_columns,
                               nest, lonely_psu)
        if fpc_columns or (strata and id_columns and not nest):
            structure.get()  # the fpc values and PSUs nested in strata are checked on the units: report them now
        if weights:
            analysis_weights = weight_values(data[weights])
        elif fpc_columns:  # R: weight = Π over stages of N/n
            stages, fractions, _ = structure.get()
            probability = np.ones(n)
            for stage_index, fraction in enumerate(fractions):
                probability = probability * fraction[stages.row_groups[stage_index]]
            analysis_weights = 1.0 / probability
        else:  # R: weight 1 without fpc
            analysis_weights = np.ones(n)

        self._data = data
        self._base_weights = np.asarray(analysis_weights, dtype=np.float64)
        self._strata = strata_codes
        self._strata_count = len(strata_values)
        self._structure = structure
        self._mask: np.ndarray | None = None
        self._adjustments: tuple[Any, ...] = ()
        self._lonely_psu = lonely_psu
        self._spec = {"ids": id_columns, "strata": strata, "weights": weights, "fpc": fpc_columns, "nest": nest}
        self._column_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._df_cache: float | None = None
        if strata:
            self._column_cache[strata] = (strata_codes, strata_values)

    @property
    def _layout(self) -> VarianceLayout:
        """The sampling units of every stage and how they enter the variance (built on first use)."""
        return self._structure.get()[2]

    # -- construction helpers -------------------------------------------------------------------
    @staticmethod
    def _fpc_values(series: pd.Series) -> np.ndarray:
        values = numeric_values(series, f"fpc column {series.name!r}")
        if np.isnan(values).any() or (values <= 0).any():
            bad = int(np.flatnonzero(np.isnan(values) | (values <= 0))[0])
            raise DesignError(
                f"fpc column {series.name!r} must hold positive population sizes or sampling fractions; "
                f"found {values[bad]!r} at row {bad}; fill or fix it"
            )
        return values

    @staticmethod
    def _stage_fraction(values: np.ndarray, column: str, population_sizes: bool, row_group: np.ndarray,
                        groups: int, sampled: np.ndarray, labels: Sequence[str], stage: int) -> np.ndarray:
        """Sampling fraction n/N per group; fpc values are population sizes N unless every fpc value
        of the design is ≤ 1 (then they are the fractions themselves, R: N = n / fraction)."""
        per_group, varies = _group_constant(values, row_group, groups)
        kind = "stratum" if stage == 1 else "sampling unit"
        if varies.any():
            where = labels[int(np.flatnonzero(varies)[0])]
            raise DesignError(
                f"fpc column {column!r} must be constant within each {kind} at stage {stage}; it varies in "
                f"{where!r}; give one population size per {kind}"
            )
        if not population_sizes:
            return per_group
        too_small = per_group < sampled
        if too_small.any():
            g = int(np.flatnonzero(too_small)[0])
            raise DesignError(
                f"fpc column {column!r} gives population size {per_group[g]:g} for {kind} {labels[g]!r} at "
                f"stage {stage}, smaller than the {int(sampled[g])} units sampled there; fix the population "
                f"size (or give sampling fractions ≤ 1)"
            )
        return sampled / per_group

    # -- public attributes (data, weights, adjustments: see DesignMethods) -------------------------------
    @property
    def lonely_psu(self) -> str:
        return self._lonely_psu

    @property
    def rows(self) -> int:
        """R's ``nrow(design)``: domain rows for a subset of an unadjusted design, else all rows."""
        if self._mask is None or self._adjustments:
            return len(self._data)
        return int(self._mask.sum())

    @property
    def rows_in_design(self) -> np.ndarray:
        """Boolean per data row: whether R's design object holds it (``subset()`` of an unadjusted design
        drops the other rows; an adjusted design keeps every row, with weight 0 outside the domain).
        :attr:`rows` is its sum."""
        if self._mask is None or self._adjustments:
            return np.ones(len(self._data), dtype=bool)
        return self._mask.copy()

    @property
    def sampled_degrees_of_freedom(self) -> float:
        """Distinct stage-1 sampling units minus distinct strata over the rows of R's design object
        (:attr:`rows_in_design`), zero weights included: the ν of R's ``svychisq``. Equals
        :attr:`degrees_of_freedom` unless rows in the design have a zero weight."""
        codes = np.where(self.rows_in_design, 0, -1).astype(np.int64)
        stage = self._layout.stages[0]
        psus = _count_distinct(codes, stage.unit, 1, stage.units)
        strata = _count_distinct(codes, self._strata, 1, self._strata_count)
        return float(psus[0] - strata[0])

    def influence_covariance(self, influence: np.ndarray) -> np.ndarray:
        """Design covariance matrix of the totals of the influence columns (R ``svyrecvar``).

        ``influence`` is (rows × k), full length, zero on rows that do not take part (outside a domain,
        missing values). The weighting adjustments' residualization is applied first, then strata,
        sampling units, fpc and lonely-unit rules (:func:`surveys.design.variance.influence_variance`).
        Estimators that are not totals, means or ratios (regression coefficients, contrasts,
        reliability coefficients) hand their influence values here.
        """
        x = np.asarray(influence, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[0] != len(self._data):
            raise DesignError(f"expected influence values for the {len(self._data)} rows of the design, found {x.shape[0]}")
        return influence_variance(self._layout, x, adjustments=self._adjustments, covariance=True)

    @property
    def degrees_of_freedom(self) -> float:
        """R ``degf``: distinct PSUs − distinct strata among rows with a non-zero weight."""
        if self._df_cache is None:
            codes = np.zeros(len(self._data), dtype=np.int64) if self._mask is None else np.where(self._mask, 0, -1)
            self._df_cache = float(self.domain_degrees_of_freedom(codes, 1)[0])
        return self._df_cache

    def __repr__(self) -> str:
        spec = self._spec
        try:
            units = f"psus={self._layout.stages[0].units}, "
            degrees = f"degrees_of_freedom={self.degrees_of_freedom:g}, "
        except DesignError:  # units not encodable (a missing id): the first estimate says why; a repr never raises
            units, degrees = "psus=?, ", "degrees_of_freedom=?, "
        return (
            f"SurveyDesign(rows={len(self._data)}, {units}strata={self._strata_count}, "
            f"ids={spec['ids'] or None}, strata_column={spec['strata']!r}, fpc={spec['fpc'] or None}, "
            f"{degrees}adjustments={len(self._adjustments)})"
        )

    # -- hooks for weighting ----------------------------------------------------------------------
    def with_weights(self, new_weights: np.ndarray, adjustment: Any) -> "SurveyDesign":
        """A design sharing this structure with new weights and ``adjustment`` appended (if not None)."""
        new_weights = np.asarray(new_weights, dtype=np.float64)
        if new_weights.shape != (len(self._data),):
            raise DesignError(
                f"expected {len(self._data)} new weights (one per row), found shape {new_weights.shape}"
            )
        adjustments = self._adjustments + ((adjustment,) if adjustment is not None else ())
        return self._derive(_base_weights=new_weights, _adjustments=adjustments)

    # -- backend used by surveys.estimation.estimators ---------------------------------------------------------
    def analysis_weights(self) -> np.ndarray:
        return self._base_weights

    def domain_variance(self, x: np.ndarray, domain: np.ndarray, domains: int) -> np.ndarray:
        return influence_variance(self._layout, x, domain=domain, domains=domains, adjustments=self._adjustments)

    def domain_degrees_of_freedom(self, domain: np.ndarray, domains: int) -> np.ndarray:
        """Distinct PSUs minus distinct strata among each domain's rows with a non-zero weight."""
        codes = domain if (self._base_weights != 0).all() else np.where(self._base_weights != 0, domain, -1)
        stage = self._layout.stages[0]
        present = _presence(codes, stage.unit, domains, stage.units)
        if present is None:
            psus = _count_distinct(codes, stage.unit, domains, stage.units)
            strata = _count_distinct(codes, self._strata, domains, self._strata_count)
            return (psus - strata).astype(float)
        strata = np.zeros((domains, self._strata_count), dtype=bool)
        domain_index, unit_index = np.nonzero(present)
        strata[domain_index, stage.group_of_unit[unit_index]] = True
        return (present.sum(axis=1) - strata.sum(axis=1)).astype(float)

    def domain_rows(self, domain_rows: np.ndarray) -> np.ndarray:
        """R's nrow of each domain's design object (all rows once the design is adjusted)."""
        if self._adjustments:
            return np.full(len(domain_rows), len(self._data))
        return domain_rows

    # -- conversion ------------------------------------------------------------------------------
    def to_replicate(self, type: str = "JK1", replicates: int | None = None, seed: int | None = None,
                     mse: bool = False):
        """Replicate-weight version of this design (R ``as.svrepdesign``): JK1, JKn or bootstrap.

        Multipliers are kept per PSU (PSUs × replicates memory), see :mod:`surveys.design.replicate`.
        """
        return build_replicate_design(self, type=type, replicates=replicates, seed=seed, mse=mse)


class _UnitLabels(Sequence[str]):
    """Lazy labels of the units of one stage (used only in error messages)."""

    def __init__(self, data: pd.DataFrame, columns: Sequence[str], unit: np.ndarray) -> None:
        self._data, self._columns, self._unit = data, list(columns), unit

    def __len__(self) -> int:
        return int(self._unit.max()) + 1

    def __getitem__(self, index):  # type: ignore[override]
        row = int(np.flatnonzero(self._unit == index)[0])
        return "/".join(f"{c}={self._data[c].iloc[row]}" for c in self._columns)


def _presence(domain: np.ndarray, codes: np.ndarray, domains: int, count: int) -> np.ndarray | None:
    """(domains × count) booleans: which codes occur in each domain (None when that table is too big)."""
    if domains * count > max(4 * len(codes), 1 << 22):
        return None
    keys = domain_pair_codes(domain, codes, count)
    return (np.bincount(keys, minlength=(domains + 1) * count)[count:] > 0).reshape(domains, count)


def _count_distinct(domain: np.ndarray, codes: np.ndarray, domains: int, count: int) -> np.ndarray:
    """Number of distinct codes per domain (−1 = outside every domain)."""
    present = _presence(domain, codes, domains, count)
    if present is not None:
        return present.sum(axis=1)
    inside = domain >= 0
    unique_keys = np.unique(domain[inside].astype(np.int64) * count + codes[inside])
    return np.bincount(unique_keys // count, minlength=domains)
