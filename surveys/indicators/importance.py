"""Which aspects to fix first: drivers of overall satisfaction and the importance–performance map (四分图).

:func:`drivers` takes a weighted design, its questionnaire and the overall measure (default: the headline
满意率) and, for every rated topic item (role ``satisfaction``, default: all of them but the measure's own):

* **performance** — the item's weighted 满意率 on the measure's base (:func:`surveys.indicators.measures.estimate_measure`
  on a one-item rate: the same positive set, don't-know rule and interval as the report's rates);
* **importance** — the item's effect on the overall measure in ONE design-based regression of the overall
  indicator on every item's satisfied indicator (:func:`surveys.estimation.glm`, R ``svyglm``):
  logistic (quasibinomial) for a rate, so the importance is a log odds ratio (the odds ratio is reported
  too), linear for an index. Coefficients are partial effects — the item's own contribution with the other
  items held fixed — and their intervals come from the design (strata, clusters, weighting). When at least
  :data:`NO_ANSWER_MINIMUM` respondents of the base did not answer an item (not asked by skip logic, left
  blank, or don't-know outside the base), it enters as 0 for them with a separate "no answer" indicator, so
  they stay in the model and the item's effect is estimated among those who answered it (items left unanswered
  by exactly the same respondents — asked under the same skip condition — share one indicator, which would
  otherwise repeat the same column); fewer
  non-answers would make that indicator unestimable (it would separate), so those few respondents leave
  the model instead (R's ``na.omit``; ``model.rows_dropped`` counts them).
  Standardised or correlation-based importances were not chosen: they mix the item's effect with how
  its answers are spread, and the 0/1 satisfied indicators already share one scale;
* the quadrant, cutting importance and performance at the items' mean (``cut="mean"``, the usual
  四分图) or median: 优势区 ``strength`` (important, above the performance cut), 维持区 ``maintain`` (less
  important, above), 改进区 ``improve`` (important, below), 机会区 ``opportunity`` (less important, below);
  an item on a cut line counts as important / well rated;
* the "先改进" list: the 改进区 items, most important first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.errors import EstimationError
from surveys.estimation import Regression, regression
from surveys.estimation.results import Estimate
from surveys.indicators.measures import estimate_measure, measure_values
from surveys.indicators.wording import QUADRANT_NAMES, join, say
from surveys.questionnaire import Measure, Questionnaire, Text

__all__ = ["QUADRANTS", "CUT_RULES", "NO_ANSWER_MINIMUM", "DriverItem", "DriverAnalysis", "drivers", "topic_items"]

#: quadrant codes in reading order (四分图: 优势区, 维持区, 改进区, 机会区).
QUADRANTS = ("strength", "maintain", "improve", "opportunity")
#: how the cut lines are placed: name → function of the items' values.
CUT_RULES: Mapping[str, Callable[[np.ndarray], float]] = MappingProxyType({
    "mean": lambda values: float(np.mean(values)),
    "median": lambda values: float(np.median(values)),
})
_PREFIX = "__driver__"
#: Respondents without an answer to an item needed before they get their own "no answer" indicator.
NO_ANSWER_MINIMUM = 30


@dataclass(frozen=True)
class DriverItem:
    """One topic item: its performance (weighted 满意率), its importance (model coefficient) and quadrant.
    ``label`` is the item's short name (its question when it has none), ``question`` the question."""

    item_id: str
    label: Text
    performance: Estimate
    importance: float
    importance_std_error: float
    importance_ci_low: float
    importance_ci_high: float
    importance_p_value: float
    odds_ratio: float
    no_answer_share: float
    quadrant: str
    priority: int | None
    question: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        p = self.performance
        return {
            "item_id": self.item_id, "label_zh": self.label.zh, "label_en": self.label.get("en"),
            "question_zh": (self.question or self.label).zh, "question_en": (self.question or self.label).get("en"),
            "performance": p.estimate, "performance_std_error": p.std_error, "performance_ci_low": p.ci_low,
            "performance_ci_high": p.ci_high, "respondents": p.respondents, "importance": self.importance,
            "importance_std_error": self.importance_std_error, "importance_ci_low": self.importance_ci_low,
            "importance_ci_high": self.importance_ci_high, "importance_p_value": self.importance_p_value,
            "odds_ratio": self.odds_ratio, "no_answer_share": self.no_answer_share, "quadrant": self.quadrant,
            "quadrant_zh": QUADRANT_NAMES[self.quadrant].zh, "quadrant_en": QUADRANT_NAMES[self.quadrant].en,
            "priority": self.priority,
        }


@dataclass(frozen=True, eq=False)
class DriverAnalysis:
    """Drivers of one overall measure (:func:`drivers`); ``model`` is the fitted design-based regression."""

    measure_id: str
    measure_label: Text
    base: str
    items: tuple[DriverItem, ...]
    importance_cut: float
    performance_cut: float
    cut_rule: str
    family: str
    level: float
    model: Regression = field(repr=False)

    def __iter__(self):
        return iter(self.items)

    def item(self, item_id: str) -> DriverItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise EstimationError(f"no driver item {item_id!r}; the items are {[i.item_id for i in self.items]}")

    @property
    def priorities(self) -> tuple[DriverItem, ...]:
        """The "先改进" list: items of the improve quadrant, most important first."""
        ranked = [item for item in self.items if item.priority is not None]
        return tuple(sorted(ranked, key=lambda item: item.priority))

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame.from_records([item.to_dict() for item in self.items])
        frame.insert(0, "measure_id", self.measure_id)
        frame["importance_cut"] = self.importance_cut
        frame["performance_cut"] = self.performance_cut
        frame["cut_rule"] = self.cut_rule
        frame["family"] = self.family
        frame["level"] = self.level
        return frame

    def summary(self, lang: str = "zh") -> str:
        """The "先改进" sentence."""
        if not self.priorities:
            return say("no_priorities", lang)
        entries = [f"{item.label.get(lang)}（{item.performance.estimate * 100:.1f}%）" if lang == "zh"
                   else f"{item.label.get(lang)} ({item.performance.estimate * 100:.1f}%)" for item in self.priorities]
        return say("priorities", lang, items=join(entries, lang))

    def method_note(self, lang: str = "zh") -> str:
        return say("drivers_method" if self.family == "quasibinomial" else "drivers_method_linear", lang,
                   minimum=NO_ANSWER_MINIMUM)

    def cut_note(self, lang: str = "zh") -> str:
        importance = f"{self.importance_cut:.2f}"
        return say("cut_note", lang, rule=say(f"cut_{self.cut_rule}", lang), importance=importance,
                   performance=f"{self.performance_cut * 100:.1f}%", level=f"{self.level * 100:g}%")


def _quadrant(importance: float, performance: float, importance_cut: float, performance_cut: float) -> str:
    important = importance >= importance_cut
    rated = performance >= performance_cut
    if important:
        return "strength" if rated else "improve"
    return "maintain" if rated else "opportunity"


def topic_items(questionnaire: Questionnaire, measure: Measure) -> list[str]:
    """The rated topic items a driver analysis of ``measure`` uses by default: every ``satisfaction`` item but the
    measure's own (at least two are needed)."""
    return [item.id for item in questionnaire.items_with_role("satisfaction") if item.id not in measure.items]


def _topic_items(questionnaire: Questionnaire, measure: Measure, items: Sequence[str] | None) -> list[str]:
    if items is not None:
        chosen = list(items)
        for item_id in chosen:
            scale = questionnaire.scale_of(item_id) if questionnaire.has_item(item_id) else None
            if scale is None or not scale.satisfied_codes:
                raise EstimationError(f"driver item {item_id!r} is not a rated item of '{questionnaire.id}' (an item "
                                      "on a scale with satisfied categories); check the id")
        return chosen
    chosen = topic_items(questionnaire, measure)
    if len(chosen) < 2:
        raise EstimationError(f"'{questionnaire.id}' has {len(chosen)} rated topic items besides the overall measure; "
                              "a driver analysis needs at least two")
    return chosen


def _check_separation(columns: Mapping[str, np.ndarray], predictors: Sequence[str], in_base: np.ndarray,
                      questionnaire: Questionnaire) -> None:
    """Refuse a logistic model that the answers separate: when everyone satisfied with an item (or everyone not,
    or everyone without an answer) has the same overall answer, the item's log odds ratio runs off to infinity and
    its linearized variance collapses, an importance that would look the most certain of all."""
    outcome = columns[f"{_PREFIX}outcome"]
    for predictor in predictors:
        values = columns[predictor]
        rows = in_base & ~np.isnan(values)
        for level in (0.0, 1.0):
            answers = outcome[rows & (values == level)]
            if len(answers) and (answers.min() == answers.max()):
                item_id = predictor[len(_PREFIX):].removesuffix("__no_answer")
                raise EstimationError(
                    f"the answers separate the driver model of '{questionnaire.id}': every respondent with "
                    f"{predictor[len(_PREFIX):]} = {level:g} gives the same overall answer, so the importance of "
                    f"'{item_id}' would be infinite; a driver analysis needs more respondents (or leave the item out "
                    "with items=)")


def drivers(design: Any, questionnaire: Questionnaire, measure: Measure | str | None = None, *,
            items: Sequence[str] | None = None, base: str | None = None, cut: str = "mean", level: float = 0.95,
            ci_method: str = "logit") -> DriverAnalysis:
    """Performance, importance, quadrant and priority of every topic item (see the module docstring)."""
    if cut not in CUT_RULES:
        raise EstimationError(f"unknown cut rule {cut!r}; expected one of {', '.join(CUT_RULES)}")
    measure = questionnaire.headline if measure is None else (
        questionnaire.measure(measure) if isinstance(measure, str) else measure)
    data = design.data
    outcome = measure_values(data, questionnaire, measure, base=base)
    if outcome.statistic == "ratio":
        raise EstimationError(f"measure '{measure.id}' is a pooled ratio; choose a rate or an index as the outcome")
    base = outcome.base
    chosen = _topic_items(questionnaire, measure, items)
    columns: dict[str, np.ndarray] = {f"{_PREFIX}outcome": outcome.values}
    predictors: list[str] = []
    performances: dict[str, Estimate] = {}
    no_answer: dict[str, float] = {}
    in_base = ~np.isnan(outcome.values) & (design.weights > 0)
    no_answer_patterns: set[bytes] = set()
    for item_id in chosen:
        rate = Measure(id=f"{item_id}__rate", kind="rate", items=(item_id,), label=questionnaire.item(item_id).text,
                       base=base)
        performances[item_id] = estimate_measure(design, questionnaire, rate, level=level, ci_method=ci_method)
        values = measure_values(data, questionnaire, rate).values
        missing = np.isnan(values)
        no_answer[item_id] = float(design.weights[in_base & missing].sum() / design.weights[in_base].sum())
        predictors.append(f"{_PREFIX}{item_id}")
        if (missing & in_base).sum() >= NO_ANSWER_MINIMUM:
            columns[f"{_PREFIX}{item_id}"] = np.where(missing, 0.0, values)
            pattern = (missing & in_base).tobytes()
            if pattern not in no_answer_patterns:  # the same respondents as an earlier item's: one indicator
                no_answer_patterns.add(pattern)
                columns[f"{_PREFIX}{item_id}__no_answer"] = missing.astype(float)
                predictors.append(f"{_PREFIX}{item_id}__no_answer")
        else:
            columns[f"{_PREFIX}{item_id}"] = values
    family = "quasibinomial" if outcome.statistic == "proportion" else "gaussian"
    if family == "quasibinomial":
        _check_separation(columns, predictors, in_base, questionnaire)
    model = regression(design.with_columns(**columns), response=f"{_PREFIX}outcome", predictors=predictors,
                       family=family, level=level)
    importance = {item_id: model.coefficient(f"{_PREFIX}{item_id}") for item_id in chosen}
    importance_cut = CUT_RULES[cut](np.array([c.estimate for c in importance.values()]))
    performance_cut = CUT_RULES[cut](np.array([e.estimate for e in performances.values()]))
    quadrants = {item_id: _quadrant(importance[item_id].estimate, performances[item_id].estimate, importance_cut,
                                    performance_cut) for item_id in chosen}
    improve = sorted((i for i in chosen if quadrants[i] == "improve"),
                     key=lambda i: (-importance[i].estimate, performances[i].estimate))
    priority = {item_id: rank for rank, item_id in enumerate(improve, start=1)}
    records = tuple(
        DriverItem(
            item_id=item_id, label=questionnaire.item(item_id).name, question=questionnaire.item(item_id).text,
            performance=performances[item_id],
            importance=importance[item_id].estimate, importance_std_error=importance[item_id].std_error,
            importance_ci_low=importance[item_id].ci_low, importance_ci_high=importance[item_id].ci_high,
            importance_p_value=importance[item_id].p_value, odds_ratio=importance[item_id].odds_ratio,
            no_answer_share=no_answer[item_id], quadrant=quadrants[item_id], priority=priority.get(item_id),
        )
        for item_id in chosen
    )
    return DriverAnalysis(measure_id=measure.id, measure_label=measure.label, base=base, items=records,
                          importance_cut=importance_cut, performance_cut=performance_cut, cut_rule=cut,
                          family=family, level=level, model=model)
