"""Satisfaction measures of a questionnaire on a weighted design: 满意率, 满意度 index, composites, domains.

Every measure of a questionnaire (``measures:`` in its YAML, schema in ``questionnaires/README.md``) becomes
per-respondent values, added to the design as derived columns (so every weighting adjustment is kept), and is
estimated by the design's estimators:

* **满意率** (``rate``): the design proportion of ``y = 1{answer in the positive set}`` — the scale's satisfied
  categories, or the measure's own ``satisfied_codes``. Two bases are always computed:
  ``all`` (every valid answer; don't-know stays in the denominator, docs/scoring.md §3 (a)) and
  ``exclude_dont_know`` (don't-know answers leave the base). The measure's ``base`` says which one the
  verdict uses (``used_for_verdict``). Items not asked because of skip logic (``asked_if`` does not hold, or
  the cell is empty / not-asked) are **never** in either base: they are domain rows with no value, so they
  carry zero influence (domain estimation, never row dropping). The interval is the engine's proportion
  interval (default ``logit`` on the design's degrees of freedom, R ``svyciprop``).
* **correct_rate**: as a rate, with ``y = 1{answer = the item's correct_answer}`` (don't-know counts as not
  correct in base ``all``).
* **满意度 index** (``index``): category scores (e.g. 100/80/60/30/0); don't-know answers have no score and are
  excluded from the index (its base is "answers with a score"). With one item the index is the design mean
  ``Σ_k share_k · score_k`` over the scored answers (tested by hand).
* **composites** (``composite_rate``, and ``index`` / ``correct_rate`` over several items): combined across
  items by a method of :data:`COMPOSITE_METHODS`:

  - ``respondent_mean`` (default): each respondent's mean of their item values over the items in the base,
    then the design mean over respondents with at least one item in the base. Every respondent counts once,
    however many items they answered, and the result is an ordinary design mean, so its standard error,
    design effect, domain estimates and ``subset()`` agreement come from the engine. When every respondent
    has every item in the base it equals the mean of the item rates (the schema's "mean of their rates").
  - ``pooled``: every answer counts once — the ratio of weighted totals
    ``Σ w·(positive answers) / Σ w·(answers in the base)`` (R ``svyratio``); respondents who answer more items
    weigh more, and items with more don't-knows weigh less.

  Composites and indices are means, not proportions: their interval is the symmetric t interval on the
  design's degrees of freedom (as :func:`surveys.indicators.targets.check_target` uses for them).

Design effects are the with-replacement ones (R ``deff = "replace"``: V / (s²/n)), which stay defined when the
weights are scaled to the sample size; the effective sample size is Kish's ``(Σw)²/Σw²`` over the respondents in
the base and domain (:func:`surveys.estimation.reliability.effective_sample_size`, the one definition the report uses).

:func:`measure_table` gives every measure overall and by each domain variable present in the data, with the
NCHS Data Presentation Standards for Proportions (Parker et al. 2017, Vital Health Stat 2(175)) as data-driven
reliability rules (:mod:`surveys.estimation.reliability`: :data:`RELIABILITY_RULES`, thresholds in
:data:`NCHS_PROPORTION_STANDARD`); the rule sequence follows CDC's own implementation in R ``surveytable``
(``.present_prop``). :func:`surveys.indicators.modes.mode_difference` gives the paper − online difference with
its linearization standard error.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from surveys.columns import by_distinct
from surveys.errors import EstimationError
from surveys.estimation.reliability import (
    NCHS_PROPORTION_STANDARD,
    RELIABILITY_RULES,
    Reliability,
    ReliabilityRule,
    assess_reliability,
)
from surveys.estimation.results import Estimate, EstimateTable
from surveys.questionnaire import MEASURE_BASES, Measure, Questionnaire, Scale, Text

__all__ = [
    "MEASURE_DOMAINS",
    "COMPOSITE_METHODS",
    "NCHS_PROPORTION_STANDARD",
    "RELIABILITY_RULES",
    "ReliabilityRule",
    "Reliability",
    "MeasureValues",
    "MeasureRow",
    "MeasureTable",
    "measure_values",
    "estimate_measure",
    "measure_table",
    "assess_reliability",
]

# The default domain columns of measure_table (issue 6); ``domains=None`` uses the questionnaire's weighting variables.
MEASURE_DOMAINS = ("district", "mode", "respondent_type", "sex", "age_group")
COLUMN_PREFIX = "__measure__"
_OVERALL = Text("全体", "overall")


# ----------------------------------------------------------------------------------------------------------
# answers of one item
def _codes(data: pd.DataFrame, questionnaire: Questionnaire, item_id: str, measure_id: str) -> np.ndarray:
    """The item's answer codes as floats, NaN where empty or not asked; out-of-scale codes are an error."""
    if item_id not in data.columns:
        shown = ", ".join(repr(str(c)) for c in list(data.columns)[:12])
        raise EstimationError(
            f"measure '{measure_id}' of questionnaire '{questionnaire.id}' needs the column '{item_id}' (one of its "
            f"items) in the data; found columns {shown}{', …' if len(data.columns) > 12 else ''}; "
            "map the export onto the questionnaire's item ids first"
        )
    series = data[item_id]
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    no_number = np.isnan(values)
    unread = np.zeros(len(values), dtype=bool)
    if no_number.any() and not pd.api.types.is_numeric_dtype(series.dtype):  # a number column's NaN is no answer
        present, _, _ = by_distinct(series.to_numpy(dtype=object)[no_number], _present, missing=False)
        unread[no_number] = present.astype(bool)
    if unread.any():
        first = int(np.flatnonzero(unread)[0])
        raise EstimationError(
            f"column '{item_id}' holds {int(unread.sum())} values that are not answer codes (first: row {first}, "
            f"{series.iloc[first]!r}); expected the codes of its scale; map option labels onto codes first"
        )
    scale = questionnaire.scale_of(item_id)
    if scale is not None:
        known = np.isin(values, np.asarray(scale.codes, dtype=float)) | np.isnan(values)
        if not known.all():
            bad = sorted({float(v) for v in values[~known]})[:5]
            raise EstimationError(
                f"column '{item_id}' has {int((~known).sum())} answers with codes {bad} outside its scale "
                f"'{scale.id}' {list(scale.codes)}; validation should have rejected them: fix or blank those cells"
            )
    return values


def _present(cell: Any) -> bool:
    """Whether a non-numeric cell holds something: None, NaN, pd.NA, '' and ingest's ``NOT_ASKED`` (falsy) do not."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
        return False
    return bool(cell)


def _asked(data: pd.DataFrame, questionnaire: Questionnaire, item_id: str) -> np.ndarray:
    """Rows where skip logic shows the item (every ``asked_if`` condition holds; an empty trigger never does).

    A condition whose controlling item is not in the data cannot be checked and is left out.
    """
    asked = np.ones(len(data), dtype=bool)
    for condition in questionnaire.item(item_id).asked_if:
        if condition.item not in data.columns:
            continue
        column = data[condition.item]
        if column.dtype == object and column.map(lambda cell: isinstance(cell, (list, tuple, set, frozenset))).any():
            # a multiple-choice trigger: the condition's own rule ("any chosen code is in the list")
            asked &= column.map(lambda cell: condition.holds(cell if _present(cell) else None)).to_numpy(dtype=bool)
            continue
        trigger = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        matched = np.isin(trigger, np.asarray(condition.values, dtype=float))
        holds = (~matched if condition.negate else matched) & ~np.isnan(trigger)
        asked &= holds
    return asked


# ----------------------------------------------------------------------------------------------------------
# per-respondent values of one measure
@dataclass(frozen=True)
class MeasureValues:
    """Per-respondent values of one measure on one base, ready for the design's estimators.

    ``values`` is NaN outside the base (not asked, empty, or don't-know with ``exclude_dont_know``).
    ``denominator`` is set for the ``pooled`` composite: ``values`` then counts the positive answers and
    ``denominator`` the answers in the base (a ratio of totals). ``statistic`` is ``proportion``, ``mean`` or
    ``ratio``.
    """

    measure: Measure
    base: str
    values: np.ndarray = field(repr=False)
    denominator: np.ndarray | None = field(default=None, repr=False)
    statistic: str = "proportion"
    positive_set: Text = Text("", "")
    base_label: Text = Text("", "")
    composite: str = ""


def _positive_codes(questionnaire: Questionnaire, measure: Measure, item_id: str) -> tuple[int, ...]:
    if measure.kind == "correct_rate":
        return (questionnaire.item(item_id).correct_answer,)
    if measure.satisfied_codes:
        return tuple(measure.satisfied_codes)
    return questionnaire.scale_of(item_id).satisfied_codes


def _item_values(data: pd.DataFrame, questionnaire: Questionnaire, measure: Measure, item_id: str,
                 base: str) -> np.ndarray:
    """One item's values for the measure's kind, NaN outside the base."""
    codes = _codes(data, questionnaire, item_id, measure.id)
    codes = np.where(_asked(data, questionnaire, item_id), codes, np.nan)
    scale = questionnaire.scale_of(item_id)
    dont_know = np.isin(codes, np.asarray(scale.dont_know_codes, dtype=float))
    if measure.kind == "index":
        scored = np.full(len(codes), np.nan)
        for code, score in scale.scores.items():
            scored[codes == code] = score
        return scored
    positive = np.isin(codes, np.asarray(_positive_codes(questionnaire, measure, item_id), dtype=float))
    values = np.where(np.isnan(codes), np.nan, positive.astype(float))
    if base == "exclude_dont_know":
        values = np.where(dont_know, np.nan, values)
    return values


def _respondent_mean(matrix: np.ndarray) -> tuple[np.ndarray, None]:
    answered = (~np.isnan(matrix)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(answered > 0, np.nansum(matrix, axis=1) / np.maximum(answered, 1), np.nan)
    return mean, None


def _pooled(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    answered = (~np.isnan(matrix)).sum(axis=1).astype(float)
    total = np.nansum(matrix, axis=1)
    return np.where(answered > 0, total, np.nan), np.where(answered > 0, answered, np.nan)


# How several items combine into one value per respondent: name → function(items matrix) →
# (values, denominator or None). See the module docstring for why respondent_mean is the default.
COMPOSITE_METHODS: Mapping[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]] = MappingProxyType({
    "respondent_mean": _respondent_mean,
    "pooled": _pooled,
})


def _join(labels: Iterable[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(labels)


def _positive_set(questionnaire: Questionnaire, measure: Measure) -> Text:
    item_id = measure.items[0]
    scale = questionnaire.scale_of(item_id)
    if measure.kind == "index":
        pairs = [(c.label, c.score) for c in scale.categories if c.score is not None]
        return Text("得分：" + _join((f"{label.zh}={score:g}" for label, score in pairs), "zh"),
                    "scores: " + _join((f"{label.get('en')}={score:g}" for label, score in pairs), "en"))
    if measure.kind == "correct_rate":
        return Text("回答正确", "correct answer")
    codes = _positive_codes(questionnaire, measure, item_id)
    labels = [scale.category(code).label for code in codes]
    return Text(_join((label.zh for label in labels), "zh"), _join((label.get("en") for label in labels), "en"))


def _base_label(questionnaire: Questionnaire, measure: Measure, base: str) -> Text:
    dont_know = []
    for item_id in measure.items:
        for code in questionnaire.scale_of(item_id).dont_know_codes:
            label = questionnaire.scale_of(item_id).category(code).label
            if label not in dont_know:
                dont_know.append(label)
    zh_dk = "、".join(f"“{label.zh}”" for label in dont_know)
    en_dk = ", ".join(f'"{label.get("en")}"' for label in dont_know)
    skipped = Text("；跳题未问者不计入", "; items not asked (skip logic) are never in the base")
    if measure.kind == "index":
        text = Text(f"有评分的回答（不含{zh_dk}）" if dont_know else "有评分的回答",
                    f"answers with a score (don't-know {en_dk} excluded from the index)" if dont_know
                    else "answers with a score")
    elif base == "all":
        text = Text(f"全部有效回答（含{zh_dk}）" if dont_know else "全部有效回答",
                    f"all valid answers (don't-know {en_dk} kept in the base)" if dont_know else "all valid answers")
    else:
        text = Text(f"剔除{zh_dk}后的有效回答" if dont_know else "全部有效回答（无“不了解”选项）",
                    f"valid answers excluding don't-know {en_dk}" if dont_know
                    else "all valid answers (the scale has no don't-know option)")
    return Text(text.zh + skipped.zh, text.en + skipped.en)


def measure_values(data: pd.DataFrame, questionnaire: Questionnaire, measure: Measure | str, *,
                   base: str | None = None, composite: str = "respondent_mean") -> MeasureValues:
    """Per-respondent values of ``measure`` on ``base`` (default: the measure's own) from a responses frame.

    ``data`` has one column per item id holding answer codes (empty / not-asked cells as NaN or None).
    """
    if isinstance(measure, str):
        measure = questionnaire.measure(measure)
    base = measure.base if base is None else base
    if base not in MEASURE_BASES:
        raise EstimationError(f"unknown base {base!r}; expected one of {list(MEASURE_BASES)}")
    if composite not in COMPOSITE_METHODS:
        raise EstimationError(f"unknown composite method {composite!r}; expected one of {sorted(COMPOSITE_METHODS)}")
    matrix = np.column_stack([_item_values(data, questionnaire, measure, item_id, base) for item_id in measure.items])
    denominator = None
    if matrix.shape[1] == 1:
        values = matrix[:, 0]
        statistic = "mean" if measure.kind == "index" else "proportion"
        method = ""
    else:
        values, denominator = COMPOSITE_METHODS[composite](matrix)
        statistic = "mean" if denominator is None else "ratio"
        method = composite
    return MeasureValues(measure=measure, base=base, values=values, denominator=denominator, statistic=statistic,
                         positive_set=_positive_set(questionnaire, measure),
                         base_label=_base_label(questionnaire, measure, base), composite=method)


# ----------------------------------------------------------------------------------------------------------
# estimation
def _column_names(values: MeasureValues) -> tuple[str, str]:
    stem = f"{COLUMN_PREFIX}{values.measure.id}__{values.base}"
    return stem, stem + "__denominator"


def _design_with_values(design: Any, values: MeasureValues) -> Any:
    name, denominator = _column_names(values)
    columns = {name: values.values}
    if values.denominator is not None:
        columns[denominator] = values.denominator
    return design.with_columns(**columns)


def _t_interval(record: Estimate, level: float) -> Estimate:
    """Means and ratios: the symmetric t interval on the design's degrees of freedom (as for the rates)."""
    df = float(record.extras.get("design_df", record.df))
    q = float(stats.t.ppf(0.5 + level / 2.0, df)) if df > 0 else math.nan
    return dataclasses.replace(record, ci_low=record.estimate - q * record.std_error,
                               ci_high=record.estimate + q * record.std_error, df=df, ci_method="t")


def _estimate(target: Any, values: MeasureValues, *, level: float, ci_method: str) -> Any:
    """``target`` is a design or ``design.by(...)``; returns an Estimate or an EstimateTable."""
    name, denominator = _column_names(values)
    options = dict(level=level, na_rm=True, deff="replace")
    if values.statistic == "proportion":
        return target.proportion(name, ci_method=ci_method, **options)
    if values.statistic == "mean":
        result = target.mean(name, **options)
    else:
        result = target.ratio(name, denominator, **options)
    if isinstance(result, Estimate):
        return _t_interval(result, level)
    return EstimateTable([_t_interval(row, level) for row in result], by=result.by)


def _labelled(record: Estimate, values: MeasureValues) -> Estimate:
    return dataclasses.replace(record, variable=values.measure.id,
                               extras={**record.extras, "measure": values.measure.id, "base": values.base})


def estimate_measure(design: Any, questionnaire: Questionnaire, measure: Measure | str, *, base: str | None = None,
                     level: float = 0.95, ci_method: str = "logit", composite: str = "respondent_mean") -> Estimate:
    """The overall estimate of one measure on ``base`` (default: the measure's own base), as an Estimate.

    ``variable`` is the measure id; ``extras`` add ``measure`` and ``base``.
    """
    values = measure_values(design.data, questionnaire, measure, base=base, composite=composite)
    _require_respondents(design, values, questionnaire)
    return _labelled(_estimate(_design_with_values(design, values), values, level=level, ci_method=ci_method),
                     values)


def _require_respondents(design: Any, values: MeasureValues, questionnaire: Questionnaire) -> None:
    if not (~np.isnan(values.values) & (design.weights > 0)).any():
        raise EstimationError(
            f"measure '{values.measure.id}' of questionnaire '{questionnaire.id}' has no respondent in its base "
            f"({values.base_label.en}) inside this design; check the item columns or leave the measure out"
        )


# ----------------------------------------------------------------------------------------------------------
# the measure table
@dataclass(frozen=True)
class MeasureRow:
    """One measure on one base, overall (``domain_variable == ""``) or in one domain."""

    measure_id: str
    kind: str
    label: Text
    positive_set: Text
    base: str
    base_label: Text
    used_for_verdict: bool
    domain_variable: str
    domain_value: Any
    domain_label: Text
    estimate: Estimate
    reliability: Reliability
    composite: str = ""

    @property
    def display_label(self) -> Text:
        """The label to print next to the number: the measure's label and its base."""
        return Text(f"{self.label.zh}，基数：{self.base_label.zh}", f"{self.label.en}, base: {self.base_label.en}")

    def to_dict(self) -> dict[str, Any]:
        e, r = self.estimate, self.reliability
        return {
            "measure_id": self.measure_id, "kind": self.kind, "label_zh": self.label.zh, "label_en": self.label.en,
            "positive_set_zh": self.positive_set.zh, "positive_set_en": self.positive_set.en, "base": self.base,
            "base_label_zh": self.base_label.zh, "base_label_en": self.base_label.en,
            "display_label_zh": self.display_label.zh, "display_label_en": self.display_label.en,
            "used_for_verdict": self.used_for_verdict, "domain_variable": self.domain_variable,
            "domain_value": self.domain_value, "domain_label_zh": self.domain_label.zh,
            "domain_label_en": self.domain_label.en, "statistic": e.statistic, "estimate": e.estimate,
            "std_error": e.std_error, "ci_low": e.ci_low, "ci_high": e.ci_high, "ci_method": e.ci_method,
            "level": e.level, "df": float(e.extras.get("design_df", e.df)), "design_effect": e.design_effect,
            "respondents": e.respondents, "effective_sample_size": r.effective_size, "reliability": r.status,
            "reliability_codes": ";".join(r.codes), "reliability_reasons_zh": "；".join(t.zh for t in r.reasons),
            "reliability_reasons_en": "; ".join(t.en for t in r.reasons), "composite": self.composite,
        }


@dataclass(frozen=True)
class MeasureTable:
    """Every measure overall and by domain; :meth:`to_frame` gives the tidy table."""

    questionnaire_id: str
    rows: tuple[MeasureRow, ...]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([row.to_dict() for row in self.rows])

    def find(self, measure_id: str, *, base: str | None = None, domain_variable: str = "",
             domain_value: Any = None) -> MeasureRow:
        """The row of ``measure_id`` (on its verdict base unless ``base`` is given), overall by default."""
        for row in self.rows:
            if (row.measure_id == measure_id and (row.base == base if base else row.used_for_verdict)
                    and row.domain_variable == domain_variable
                    and (not domain_variable or row.domain_value == domain_value)):
                return row
        raise EstimationError(
            f"the measure table of '{self.questionnaire_id}' has no row for measure '{measure_id}' "
            f"(base {base or 'of the verdict'}, domain {domain_variable or 'overall'} {domain_value!r}); "
            "its measures are "
            f"{sorted({r.measure_id for r in self.rows})}"
        )

    def estimate(self, measure_id: str, **where: Any) -> Estimate:
        return self.find(measure_id, **where).estimate

    def estimates(self, measure_id: str, *, base: str | None = None, domain_variable: str = "") -> EstimateTable:
        """Every row of one measure and domain variable as an EstimateTable (e.g. for ``check_targets``)."""
        rows = [r.estimate for r in self.rows if r.measure_id == measure_id and r.domain_variable == domain_variable
                and (r.base == base if base else r.used_for_verdict)]
        return EstimateTable(rows, by=(domain_variable,) if domain_variable else ())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _domain_label(questionnaire: Questionnaire, variable: str, value: Any) -> Text:
    """The label of a domain value: the item's scale category, or the weighting variable's category."""
    value = _plain(value)
    if questionnaire.has_item(variable):
        scale: Scale | None = questionnaire.scale_of(variable)
        if scale is not None and isinstance(value, int) and value in scale.codes:
            return scale.category(value).label
    for weighting in questionnaire.weighting:
        if weighting.id == variable:
            for category in weighting.categories:
                if value == category.code or (category.key is not None and value == category.key):
                    return category.label
    return Text(str(value), str(value))


def _without_interval(record: Estimate) -> Estimate:
    """A domain estimate whose interval is undefined (no design degrees of freedom): estimate and standard error
    kept, interval NaN, df the design's (0), so the reliability rules suppress it (``no_interval``)."""
    design_df = float(record.extras.get("design_df", record.df))
    return dataclasses.replace(record, ci_low=math.nan, ci_high=math.nan, df=design_df)


def _domain_estimates(derived: Any, column: pd.Series, present: Any, name: str, values: MeasureValues, *,
                      level: float, ci_method: str) -> list[Estimate]:
    """One estimate per domain value of ``column`` (restricted to ``present``), by domain estimation.

    A domain with no design degrees of freedom (e.g. a single respondent in an unstratified design: df = PSUs −
    strata = 0) has no t-based interval and the engine refuses it. Its row is kept: the point estimate and
    standard error come from a first pass with a normal reference (``df=inf``), its interval is left undefined
    (:func:`_without_interval`), and the other domains are estimated again with only those domain values, so
    their intervals are exactly those of the plain call (domain estimation: the left-out rows keep zero
    influence, never dropped). tests/test_report_from_study.py checks a one-respondent district this way.
    """
    def by(values_kept: Any, **options: Any) -> list[Estimate]:
        target = derived.with_columns(**{name: column.where(column.isin(values_kept)).to_numpy()})
        if options and values.statistic == "proportion":
            return list(target.by(name).proportion(_column_names(values)[0], ci_method=ci_method, level=level,
                                                   na_rm=True, deff="replace", **options))
        return list(_estimate(target.by(name), values, level=level, ci_method=ci_method))

    try:
        return by(present)
    except EstimationError:
        if values.statistic != "proportion":
            raise
    probe = by(present, df=math.inf)
    undefined = [record for record in probe if not float(record.extras.get("design_df", record.df)) > 0]
    if not undefined:
        raise EstimationError(f"measure '{values.measure.id}' by domain could not be estimated although every "
                              "domain has design degrees of freedom; report this with the data")
    lost = {record.domain[name] for record in undefined}
    kept = [value for value in present if _plain(value) not in {_plain(v) for v in lost}]
    defined = by(kept) if kept else []
    by_value = {_plain(r.domain[name]): r for r in defined}
    by_value.update({_plain(r.domain[name]): _without_interval(r) for r in undefined})
    return [by_value[_plain(r.domain[name])] for r in probe if _plain(r.domain[name]) in by_value]


def _rows_for(design: Any, questionnaire: Questionnaire, values: MeasureValues, domains: Sequence[str], *,
              level: float, ci_method: str, thresholds: Mapping[str, float]) -> list[MeasureRow]:
    measure = values.measure
    derived = _design_with_values(design, values)
    common = dict(measure_id=measure.id, kind=measure.kind, label=measure.label, positive_set=values.positive_set,
                  base=values.base, base_label=values.base_label,
                  used_for_verdict=(values.base == measure.base), composite=values.composite)
    overall = _labelled(_estimate(derived, values, level=level, ci_method=ci_method), values)
    rows = [MeasureRow(domain_variable="", domain_value="", domain_label=_OVERALL, estimate=overall,
                       reliability=assess_reliability(overall, thresholds=thresholds), **common)]
    has_value = ~np.isnan(values.values) & (derived.weights > 0)
    for variable in domains:
        column = derived.data[variable]
        present = pd.unique(column[has_value & column.notna().to_numpy()])
        if len(present) == 0:
            continue
        # a domain value with no respondent in this measure's base has nothing to estimate: leave it out
        name = f"{COLUMN_PREFIX}domain__{variable}"
        for record in _domain_estimates(derived, column, present, name, values, level=level, ci_method=ci_method):
            value = _plain(record.domain[name])
            record = dataclasses.replace(_labelled(record, values), domain={variable: value})
            rows.append(MeasureRow(domain_variable=variable, domain_value=value,
                                   domain_label=_domain_label(questionnaire, variable, value), estimate=record,
                                   reliability=assess_reliability(record, thresholds=thresholds), **common))
    return rows


def _bases_of(measure: Measure) -> tuple[str, ...]:
    if measure.kind == "index":  # the index never counts don't-know: one base
        return ("exclude_dont_know",) if measure.base == "exclude_dont_know" else ("all",)
    return (measure.base,) + tuple(base for base in MEASURE_BASES if base != measure.base)


def measure_table(design: Any, questionnaire: Questionnaire, *, domains: Sequence[str] | None = MEASURE_DOMAINS,
                  measures: Sequence[str] | None = None, level: float = 0.95, ci_method: str = "logit",
                  composite: str = "respondent_mean",
                  thresholds: Mapping[str, float] = NCHS_PROPORTION_STANDARD) -> MeasureTable:
    """Every measure (or those in ``measures``) overall and by each domain variable present in the data.

    Rates and correct rates are given on both bases (the measure's own first, ``used_for_verdict``); an index
    on its one base (don't-know excluded). Measures with no respondent in their base (e.g. enterprise-only
    items in a residents-only sample), domain variables absent from the data, and domain values with no
    respondent in a measure's base are left out. Each row carries its reliability (:func:`assess_reliability`).
    ``domains=None`` takes the questionnaire's weighting variables as the domains.
    """
    if domains is None:
        domains = [variable.id for variable in questionnaire.weighting]
    chosen = questionnaire.measures if measures is None else tuple(questionnaire.measure(m) for m in measures)
    present_domains = [d for d in domains if d in design.data.columns and design.data[d].notna().any()]
    rows: list[MeasureRow] = []
    for measure in chosen:
        for base in _bases_of(measure):
            values = measure_values(design.data, questionnaire, measure, base=base, composite=composite)
            if not (~np.isnan(values.values) & (design.weights > 0)).any():
                continue  # e.g. enterprise-only items in a residents-only sample
            rows.extend(_rows_for(design, questionnaire, values, present_domains, level=level, ci_method=ci_method,
                                  thresholds=thresholds))
    return MeasureTable(questionnaire_id=questionnaire.id, rows=tuple(rows))
