"""Which groups are less satisfied, and is the difference real? The headline rate by group with a test.

:func:`group_comparisons` takes a weighted design, its questionnaire and a measure (default: the headline
满意率) and, for each grouping variable present (district, mode, respondent type, sex, age group by default):

* the measure in every group, with its interval and reliability — the rows of
  :func:`surveys.indicators.measures.measure_table`, so the numbers are the report's own (domain estimation, the
  measure's base and positive set);
* a test that the groups differ: for a rate the Rao–Scott second-order F test of the group × satisfied
  table (:func:`surveys.estimation.association_test`, R ``svychisq``); for a mean (index, composite) the
  design-based Wald F test of the group coefficients of ``value ~ group``
  (:meth:`surveys.estimation.Regression.term_test`, R ``regTermTest``);
* the same test with the other grouping variables held fixed: the design-based Wald F test of the variable's
  terms in one model of the measure on every grouping variable (logistic for a rate, linear for a mean; R
  ``regTermTest`` on a ``svyglm``), on the respondents with a value of every variable. A difference that stays
  significant is not only a difference in who the groups' respondents are (an online sample younger and more
  urban than the paper one); one that vanishes is;
* each group against the other respondents: the difference group − rest with its design-based t test
  (:func:`surveys.estimation.difference_test`, R ``svyttest``); the p-values of one variable's groups are
  adjusted for multiple comparisons (:data:`MULTIPLICITY_ADJUSTMENTS`, Holm by default, which keeps the
  family-wise error rate at ``alpha`` without assuming independent tests). A group is *below* the rest when
  its difference is negative and its adjusted p-value is below ``alpha``, unless its own estimate is too unreliable
  to publish (NCHS ``suppress``, e.g. 22 respondents all satisfied: a rate of 100% with no variance makes any
  difference look certain); such a group is never named below or above.

Rows outside the measure's base (not asked, don't-know with ``exclude_dont_know``) and rows without a value
of the grouping variable take no part (zero influence; never dropped from the design).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.errors import EstimationError
from surveys.estimation import association_test, difference_test, regression
from surveys.estimation.results import Estimate
from surveys.indicators.measures import (
    MEASURE_DOMAINS,
    MeasureRow,
    MeasureTable,
    measure_table,
    measure_values,
)
from surveys.indicators.wording import join, say
from surveys.questionnaire import Measure, Questionnaire, Text

__all__ = ["MULTIPLICITY_ADJUSTMENTS", "GroupRate", "GroupComparison", "GroupComparisons", "group_comparisons",
           "adjust_p_values"]

_VALUE = "__group_value__"
_IN_GROUP = "__in_group__"


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    m = len(p)
    adjusted = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1.0)
    result = np.empty(m)
    result[order] = adjusted
    return result


#: name → function(p-values) → adjusted p-values (NaN p-values are left out of the family).
MULTIPLICITY_ADJUSTMENTS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = MappingProxyType({
    "holm": _holm,
    "bonferroni": lambda p: np.minimum(p * len(p), 1.0),
    "none": lambda p: p.copy(),
})


def adjust_p_values(p_values: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values (R ``p.adjust``); NaN entries stay NaN and do not count in the family."""
    if method not in MULTIPLICITY_ADJUSTMENTS:
        raise EstimationError(f"unknown adjustment {method!r}; expected one of {', '.join(MULTIPLICITY_ADJUSTMENTS)}")
    p = np.asarray(p_values, dtype=float)
    result = np.full(len(p), np.nan)
    known = ~np.isnan(p)
    if known.any():
        result[known] = MULTIPLICITY_ADJUSTMENTS[method](p[known])
    return result


@dataclass(frozen=True)
class GroupRate:
    """The measure in one group, and the group against the other respondents."""

    variable: str
    value: Any
    label: Text
    estimate: Estimate
    reliability: str
    difference: float
    difference_std_error: float
    difference_ci_low: float
    difference_ci_high: float
    p_value: float
    adjusted_p_value: float
    below: bool
    above: bool


@dataclass(frozen=True)
class GroupComparison:
    """One grouping variable: the test that its groups differ and every group against the rest."""

    variable: str
    label: Text
    test_method: str          # "rao_scott_f" or "wald_f"
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    groups: tuple[GroupRate, ...]
    alpha: float
    # the test with the other grouping variables held fixed (NaN when there is none, or the model cannot be fitted)
    controlled_statistic: float = math.nan
    controlled_ndf: float = math.nan
    controlled_ddf: float = math.nan
    controlled_p_value: float = math.nan
    controlled_by: tuple[Text, ...] = ()

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    @property
    def below(self) -> tuple[GroupRate, ...]:
        """Groups significantly below the rest, lowest first."""
        return tuple(sorted((g for g in self.groups if g.below), key=lambda g: g.estimate.estimate))


@dataclass(frozen=True)
class GroupComparisons:
    """Every grouping variable's comparison of one measure (:func:`group_comparisons`)."""

    measure_id: str
    measure_label: Text
    statistic: str            # "proportion" or "mean"
    base: str
    overall: Estimate
    comparisons: tuple[GroupComparison, ...]
    adjustment: str
    alpha: float
    level: float
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.comparisons)

    def comparison(self, variable: str) -> GroupComparison:
        for comparison in self.comparisons:
            if comparison.variable == variable:
                return comparison
        raise EstimationError(f"no comparison by {variable!r}; compared by {[c.variable for c in self.comparisons]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the group's estimate and interval, its difference from the rest with raw and
        adjusted p-values, ``below``/``above``, and the variable's test."""
        records = []
        for comparison in self.comparisons:
            for group in comparison.groups:
                e = group.estimate
                records.append({
                    "measure_id": self.measure_id, "base": self.base, "variable": comparison.variable,
                    "variable_label_zh": comparison.label.zh, "variable_label_en": comparison.label.get("en"),
                    "value": group.value, "label_zh": group.label.zh, "label_en": group.label.get("en"),
                    "estimate": e.estimate, "std_error": e.std_error, "ci_low": e.ci_low, "ci_high": e.ci_high,
                    "df": float(e.extras.get("design_df", e.df)), "level": e.level, "respondents": e.respondents,
                    "reliability": group.reliability, "difference": group.difference,
                    "difference_std_error": group.difference_std_error,
                    "difference_ci_low": group.difference_ci_low, "difference_ci_high": group.difference_ci_high,
                    "p_value": group.p_value, "adjusted_p_value": group.adjusted_p_value, "below": group.below,
                    "above": group.above, "test_method": comparison.test_method,
                    "test_statistic": comparison.statistic, "test_ndf": comparison.ndf,
                    "test_ddf": comparison.ddf, "test_p_value": comparison.p_value,
                    "controlled_statistic": comparison.controlled_statistic,
                    "controlled_ndf": comparison.controlled_ndf, "controlled_ddf": comparison.controlled_ddf,
                    "controlled_p_value": comparison.controlled_p_value,
                    "adjustment": self.adjustment, "alpha": self.alpha,
                })
        return pd.DataFrame.from_records(records)

    def findings(self, lang: str = "zh", measure: str | None = None) -> list[str]:
        """One sentence pair per grouping variable: is there a difference, and which groups are below. ``measure``
        names the measure in the sentences (default: its label; a report may use the indicator's short name)."""
        sentences = []
        measure = measure or self.measure_label.get(lang)
        for comparison in self.comparisons:
            test = say(comparison.test_method, lang, statistic=_number(comparison.statistic))
            key = "group_difference" if comparison.significant else "group_no_difference"
            variable = comparison.label.get(lang)
            if lang == "en":  # "differs by age group", mid-sentence
                variable = variable[:1].lower() + variable[1:]
            text = say(key, lang, variable=variable, measure=measure, test=test, p=_p(comparison.p_value))
            below = comparison.below
            if below:
                entries = [self._entry(group, lang) for group in below]
                text += (" " if lang == "en" else "") + say("group_below", lang, groups=join(entries, lang))
            else:
                text += (" " if lang == "en" else "") + say("group_none_below", lang)
            if comparison.significant and math.isfinite(comparison.controlled_p_value):
                kept = comparison.controlled_p_value < comparison.alpha
                others = join([name.get(lang) if lang == "zh" else name.get(lang)[:1].lower() + name.get(lang)[1:]
                               for name in comparison.controlled_by], lang)
                text += (" " if lang == "en" else "") + say(
                    "group_controlled" if kept else "group_not_controlled", lang, others=others,
                    statistic=_number(comparison.controlled_statistic), p=_p(comparison.controlled_p_value))
            sentences.append(text)
        return sentences

    def multiplicity_note(self, lang: str = "zh") -> str:
        tests = {c.test_method for c in self.comparisons} or {"rao_scott_f"}
        test_name = join([say(f"test_name_{t}", lang) for t in sorted(tests)], lang)
        return say("multiplicity_note", lang, adjustment=say(f"adjustment_{self.adjustment}", lang),
                   alpha=_number(self.alpha), test_name=test_name)

    def _entry(self, group: GroupRate, lang: str) -> str:
        if self.statistic == "proportion":
            return say("group_entry", lang, label=group.label.get(lang), rate=f"{group.estimate.estimate * 100:.1f}%",
                       gap=f"{-group.difference * 100:.1f}")
        return say("group_entry_mean", lang, label=group.label.get(lang), rate=_number(group.estimate.estimate),
                   gap=_number(-group.difference))


def _number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "NA"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _p(value: float) -> str:
    """``= 0.264`` or ``< 0.001`` (the sentence says "p {p}")."""
    if not math.isfinite(value):
        return "= NA"
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def _variable_label(questionnaire: Questionnaire, variable: str) -> Text:
    for weighting in questionnaire.weighting:
        if weighting.id == variable:
            return weighting.label
    if questionnaire.has_item(variable):
        return questionnaire.item(variable).text
    return Text(variable, variable)


def _group_test(derived: Any, variable: str, statistic: str) -> tuple[str, float, float, float, float]:
    if statistic == "proportion":
        test = association_test(derived, variable, _VALUE)
        return "rao_scott_f", test.statistic, test.ndf, test.ddf, test.p_value
    model = regression(derived, response=_VALUE, predictors=[variable], factors=[variable])
    test = model.term_test(f"factor({variable})")
    return "wald_f", test.statistic, test.ndf, test.ddf, test.p_value


def _against_rest(derived: Any, column: pd.Series, value: Any, level: float):
    inside = np.where(column.isna().to_numpy(), np.nan, (column == value).to_numpy(dtype=float))
    try:
        return difference_test(derived.with_columns(**{_IN_GROUP: inside}), _VALUE, _IN_GROUP, level=level,
                               levels=[0.0, 1.0])
    except EstimationError:
        return None


def _controlled(derived: Any, variables: Sequence[str], statistic: str) -> dict[str, tuple[float, float, float, float]]:
    """Variable → (F, ndf, ddf, p) of its terms in one model on every grouping variable that varies among the
    respondents with a value of all of them (e.g. not respondent type when only residents were asked their age)
    and, for a rate, has no group where everyone (or no one) is satisfied: such a group separates the logistic
    model, its coefficient runs off and its linearized variance collapses to 0, which would make any difference
    look certain. {} without such a model."""
    data = derived.data
    complete = data[_VALUE].notna().to_numpy() & (derived.weights > 0)
    for variable in variables:
        complete &= data[variable].notna().to_numpy()
    rows = data.loc[complete]
    varying = [v for v in variables if rows[v].nunique() > 1]
    if statistic == "proportion":
        varying = [v for v in varying if rows.groupby(v, observed=True)[_VALUE].agg(["min", "max"]).pipe(
            lambda bounds: bool((bounds["min"] < bounds["max"]).all()))]
    if len(varying) < 2:
        return {}
    family = "quasibinomial" if statistic == "proportion" else "gaussian"
    try:
        model = regression(derived, response=_VALUE, predictors=varying, factors=varying, family=family)
    except EstimationError:
        return {}
    if not all(math.isfinite(c.std_error) and c.std_error > 0 for c in model.coefficients):
        return {}  # a group all satisfied (or none) separates the model: its coefficients carry no test
    tests = {}
    for variable in varying:
        try:
            test = model.term_test(f"factor({variable})")
        except EstimationError:
            continue
        tests[variable] = (test.statistic, test.ndf, test.ddf, test.p_value)
    return tests


def _comparison(design: Any, questionnaire: Questionnaire, rows: list[MeasureRow], variable: str, statistic: str,
                derived: Any, *, level: float, alpha: float, adjustment: str) -> GroupComparison:
    try:
        method, value, ndf, ddf, p_value = _group_test(derived, variable, statistic)
    except EstimationError:
        method, value, ndf, ddf, p_value = ("rao_scott_f" if statistic == "proportion" else "wald_f",
                                            math.nan, math.nan, math.nan, math.nan)
    column = derived.data[variable]
    differences = [_against_rest(derived, column, row.domain_value, level) for row in rows]
    raw = np.array([d.p_value if d is not None else math.nan for d in differences])
    adjusted = adjust_p_values(raw, adjustment)
    groups = []
    for row, difference, p_raw, p_adjusted in zip(rows, differences, raw, adjusted):
        gap = difference.difference if difference is not None else math.nan
        significant = bool(np.isfinite(p_adjusted) and p_adjusted < alpha) and row.reliability.status != "suppress"
        groups.append(GroupRate(
            variable=variable, value=row.domain_value, label=row.domain_label, estimate=row.estimate,
            reliability=row.reliability.status, difference=gap,
            difference_std_error=difference.std_error if difference is not None else math.nan,
            difference_ci_low=difference.ci_low if difference is not None else math.nan,
            difference_ci_high=difference.ci_high if difference is not None else math.nan,
            p_value=float(p_raw), adjusted_p_value=float(p_adjusted), below=significant and gap < 0,
            above=significant and gap > 0,
        ))
    return GroupComparison(variable=variable, label=_variable_label(questionnaire, variable), test_method=method,
                           statistic=float(value), ndf=float(ndf), ddf=float(ddf), p_value=float(p_value),
                           groups=tuple(groups), alpha=alpha)


def _check_table(table: MeasureTable, measure_id: str, base: str, variables: Sequence[str], data: pd.DataFrame) -> None:
    """A measure table passed in must hold the measure's rows by every grouping variable with respondents."""
    held = {row.domain_variable for row in table if row.measure_id == measure_id and row.base == base}
    lacking = [v for v in variables if v not in held and data[v].notna().any()]
    if "" not in held or lacking:
        raise EstimationError(f"the measure table given has no rows of '{measure_id}' (base {base}) "
                              f"{'overall' if '' not in held else 'by ' + ', '.join(lacking)}; make it with "
                              f"measure_table(..., domains={list(variables)}) or leave table out")


def group_comparisons(design: Any, questionnaire: Questionnaire, measure: Measure | str | None = None, *,
                      by: Sequence[str] | None = None, base: str | None = None, level: float = 0.95,
                      alpha: float = 0.05, adjustment: str = "holm", ci_method: str = "logit",
                      composite: str = "respondent_mean", table: MeasureTable | None = None) -> GroupComparisons:
    """The measure (default: the questionnaire's headline) by each grouping variable, with a test across the
    groups and the groups significantly below the rest (see the module docstring).

    ``by`` defaults to :data:`surveys.indicators.measures.MEASURE_DOMAINS` present in the data; a variable named in ``by``
    but absent is an error. ``base`` defaults to the measure's own. ``table``: the measure table the group rates
    are read from (a study's own, made with the same ``level``, ``ci_method`` and ``composite``, so that every rate
    is computed once); default: computed here.
    """
    if adjustment not in MULTIPLICITY_ADJUSTMENTS:
        raise EstimationError(f"unknown adjustment {adjustment!r}; expected one of {', '.join(MULTIPLICITY_ADJUSTMENTS)}")
    if not 0.0 < alpha < 1.0:
        raise EstimationError(f"alpha must be between 0 and 1 (e.g. 0.05); found {alpha!r}")
    measure = questionnaire.headline if measure is None else (
        questionnaire.measure(measure) if isinstance(measure, str) else measure)
    data = design.data
    if by is None:
        variables = [v for v in MEASURE_DOMAINS if v in data.columns and data[v].notna().any()]
    else:
        variables = [by] if isinstance(by, str) else list(by)
        missing = [v for v in variables if v not in data.columns]
        if missing:
            raise EstimationError(f"grouping variables {missing} are not in the data (columns: "
                                  f"{', '.join(map(str, list(data.columns)[:12]))}…); check the names")
    values = measure_values(data, questionnaire, measure, base=base, composite=composite)
    if values.statistic == "ratio":
        raise EstimationError(f"measure '{measure.id}' is a pooled ratio; compare groups on composite='respondent_mean'")
    if table is None:
        table = measure_table(design, questionnaire, domains=variables, measures=[measure.id], level=level,
                              ci_method=ci_method, composite=composite)
    else:
        _check_table(table, measure.id, values.base, variables, design.data)
    overall = table.find(measure.id, base=values.base).estimate
    derived = design.with_columns(**{_VALUE: values.values})
    compared = {}
    for variable in variables:
        rows = [row for row in table if row.measure_id == measure.id and row.base == values.base
                and row.domain_variable == variable]
        if len(rows) >= 2:
            compared[variable] = rows
    controlled = _controlled(derived, list(compared), values.statistic)
    comparisons = []
    for variable, rows in compared.items():
        comparison = _comparison(design, questionnaire, rows, variable, values.statistic, derived, level=level,
                                 alpha=alpha, adjustment=adjustment)
        if variable in controlled:
            statistic, ndf, ddf, p_value = controlled[variable]
            others = tuple(_variable_label(questionnaire, other) for other in controlled if other != variable)
            comparison = dataclasses.replace(comparison, controlled_statistic=float(statistic),
                                             controlled_ndf=float(ndf), controlled_ddf=float(ddf),
                                             controlled_p_value=float(p_value), controlled_by=others)
        comparisons.append(comparison)
    return GroupComparisons(measure_id=measure.id, measure_label=measure.label, statistic=values.statistic,
                            base=values.base, overall=overall, comparisons=tuple(comparisons),
                            adjustment=adjustment, alpha=alpha, level=level)
