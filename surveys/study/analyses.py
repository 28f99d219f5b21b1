"""What to improve, for every survey target: the analyses stage of a study run.

:func:`indicator_analyses` runs once per survey target of the scoreboard (its questionnaire and measure), after
the verdicts, what the spec's ``analysis`` section asks for (all three by default):

    groups       the target's measure by each of the study's domains present (district, mode, respondent type,
                 sex, age group): rates with intervals read from the run's own measure table, the Rao–Scott test
                 across the groups, each group against the rest with Holm's adjustment
                 (:func:`surveys.indicators.group_comparisons`)
    drivers      performance and importance of every rated topic item, the 四分图 quadrants and the ranked
                 先改进 list (:func:`surveys.indicators.drivers`)
    reliability  Cronbach's α of each multi-item scale, once per questionnaire whatever the number of its targets
                 (:func:`surveys.indicators.scale_reliability`)

Every analysis uses the study's confidence level and interval method. An analysis with nothing to analyse (no
domain, fewer than two rated topic items, no multi-item scale) is not run; one the data cannot carry (a model the
answers separate, a scale nobody answered in full) is left out with a note saying why, and the run goes on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any, Callable, Mapping

from surveys.errors import DesignError, EstimationError
from surveys.indicators.groups import group_comparisons
from surveys.indicators.importance import drivers, topic_items
from surveys.indicators.scales import scale_reliability
from surveys.questionnaire import Text
from surveys.study.spec import Study

__all__ = ["IndicatorAnalyses", "indicator_analyses"]

# what each analysis is called in a note saying it was left out
_NAMES = {"groups": Text("分组比较", "group comparisons"), "drivers": Text("驱动因素分析", "driver analysis"),
          "reliability": Text("信度分析", "reliability analysis")}


@dataclass(frozen=True)
class IndicatorAnalyses:
    """The analyses of one run: ``groups`` and ``drivers`` by target id, ``reliability`` by questionnaire id, and
    a note for each analysis left out."""

    groups: Mapping[str, Any] = field(default_factory=dict)        # target id → GroupComparisons
    drivers: Mapping[str, Any] = field(default_factory=dict)       # target id → DriverAnalysis
    reliability: Mapping[str, Any] = field(default_factory=dict)   # questionnaire id → ScaleReliabilities
    notes: tuple[Text, ...] = ()


def _attempt(run: Callable[[], Any], kind: str, title: Text, notes: list[Text]) -> Any | None:
    """``run()``, or None with a note when the data cannot carry the analysis."""
    try:
        return run()
    except (EstimationError, DesignError) as error:
        name = _NAMES[kind]
        notes.append(Text(f"{title.zh}：未做{name.zh}（数据不足以完成模型或检验）",
                          f"{title.get('en')}: no {name.en} ({error})"))
        return None


def indicator_analyses(study: Study, scoreboard: Any, designs: Mapping[str, Any],
                       tables: Mapping[str, Any]) -> IndicatorAnalyses:
    """The analyses of every survey target of ``scoreboard`` (see the module docstring); ``designs`` maps a
    questionnaire id to its weighted design (:class:`~surveys.study.weighting.WeightedDesign`), ``tables`` to its
    measure table."""

    chosen = study.analysis
    level, ci_method = study.estimation.level, study.estimation.ci_method
    groups: dict[str, Any] = {}
    driver_analyses: dict[str, Any] = {}
    reliability: dict[str, Any] = {}
    notes: list[Text] = []
    for row in scoreboard:
        questionnaire_id, _, measure_id = row.source.partition("/")
        if row.source_kind != "survey" or row.check is None or questionnaire_id not in designs:
            continue
        design = designs[questionnaire_id].design
        questionnaire = study.questionnaires[questionnaire_id]
        title = questionnaire.title
        table = tables[questionnaire_id]
        by = list(dict.fromkeys(r.domain_variable for r in table if r.measure_id == measure_id and r.domain_variable))
        if chosen.groups and by:
            found = _attempt(partial(group_comparisons, design, questionnaire, measure_id, by=by, level=level,
                                     ci_method=ci_method, table=table), "groups", title, notes)
            if found is not None:
                groups[row.target_id] = found
        if chosen.drivers and len(topic_items(questionnaire, questionnaire.measure(measure_id))) >= 2:
            found = _attempt(partial(drivers, design, questionnaire, measure_id, level=level, ci_method=ci_method),
                             "drivers", title, notes)
            if found is not None:
                driver_analyses[row.target_id] = found
        if chosen.reliability and questionnaire_id not in reliability:
            found = _attempt(partial(scale_reliability, design, questionnaire, level=level), "reliability", title,
                             notes)
            if found is not None and len(found):
                reliability[questionnaire_id] = found
    return IndicatorAnalyses(groups=MappingProxyType(groups), drivers=MappingProxyType(driver_analyses),
                             reliability=MappingProxyType(reliability), notes=tuple(notes))
