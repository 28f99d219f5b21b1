"""信度: Cronbach's α of each multi-item scale of a questionnaire, weighted, with a design-based interval.

A *scale* is a measure over several items (``composite_rate`` or ``index``); scales with the same items are
one scale. Each item is scored with its scale's scores (满意度 index scores, e.g. 100/80/60/30/0), a
don't-know answer or an item not asked has no score; items on a scale without scores are scored 1 when
satisfied, 0 otherwise (α is then KR-20). α is computed over the respondents with a score on every item
of the scale (listwise), weighted by the design's weights so that it describes the population, with the
design-based interval of :func:`surveys.estimation.cronbach_alpha`; the item–rest correlations and α
with each item left out come with it. What α does and does not mean is worded in
``WORDS["alpha_method"]`` for the report's 方法 section (:meth:`ScaleReliabilities.method_note`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.errors import EstimationError
from surveys.estimation import CronbachAlpha, cronbach_alpha
from surveys.indicators.measures import measure_values
from surveys.indicators.wording import say
from surveys.questionnaire import Measure, Questionnaire, Text

__all__ = ["ScaleReliability", "ScaleReliabilities", "scale_reliability"]

_SCALE_KINDS = ("composite_rate", "index")


@dataclass(frozen=True)
class ScaleReliability:
    """Cronbach's α of one multi-item measure (``alpha``), with its item labels and how items were scored."""

    measure_id: str
    label: Text
    item_labels: tuple[Text, ...]
    scoring: str            # "scores" (the scale's scores) or "satisfied" (0/1)
    alpha: CronbachAlpha

    def summary(self, lang: str = "zh") -> str:
        a = self.alpha
        return say("alpha_summary", lang, label=self.label.get(lang), alpha=f"{a.estimate:.3f}",
                   level=f"{a.level * 100:g}%", low=f"{a.ci_low:.3f}", high=f"{a.ci_high:.3f}", items=len(a.items),
                   respondents=a.respondents)


@dataclass(frozen=True)
class ScaleReliabilities:
    """Every multi-item scale of a questionnaire (:func:`scale_reliability`)."""

    questionnaire_id: str
    scales: tuple[ScaleReliability, ...]

    def __iter__(self):
        return iter(self.scales)

    def __len__(self) -> int:
        return len(self.scales)

    def scale(self, measure_id: str) -> ScaleReliability:
        for scale in self.scales:
            if scale.measure_id == measure_id:
                return scale
        raise EstimationError(f"no multi-item scale {measure_id!r}; the scales are {[s.measure_id for s in self.scales]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: α, its standard error, interval, df, respondents, items and scoring."""
        return pd.DataFrame.from_records([{
            "measure_id": s.measure_id, "label_zh": s.label.zh, "label_en": s.label.get("en"),
            "alpha": s.alpha.estimate, "std_error": s.alpha.std_error, "ci_low": s.alpha.ci_low,
            "ci_high": s.alpha.ci_high, "df": s.alpha.df, "level": s.alpha.level, "respondents": s.alpha.respondents,
            "items": len(s.alpha.items), "scoring": s.scoring,
        } for s in self.scales])

    def item_frame(self) -> pd.DataFrame:
        """One row per scale and item: the item–rest correlation and α with the item left out."""
        return pd.DataFrame.from_records([{
            "measure_id": s.measure_id, "item_id": item, "label_zh": label.zh, "label_en": label.get("en"),
            "item_rest_correlation": correlation, "alpha_if_deleted": without,
        } for s in self.scales for item, label, correlation, without in
            zip(s.alpha.items, s.item_labels, s.alpha.item_rest_correlations, s.alpha.alpha_if_deleted)])

    def method_note(self, lang: str = "zh") -> str:
        return say("alpha_method", lang)


def _item_scores(design: Any, questionnaire: Questionnaire, item_id: str, scoring: str) -> np.ndarray:
    """The item's scale scores (``scoring="scores"``) or its 0/1 satisfied indicator; NaN where it has none."""
    label = questionnaire.item(item_id).text
    if scoring == "scores":
        measure = Measure(id=f"{item_id}__score", kind="index", items=(item_id,), label=label)
    else:
        measure = Measure(id=f"{item_id}__satisfied", kind="rate", items=(item_id,), label=label,
                          base="exclude_dont_know")
    return measure_values(design.data, questionnaire, measure).values


def scale_reliability(design: Any, questionnaire: Questionnaire, measures: Sequence[str] | None = None, *,
                      level: float = 0.95) -> ScaleReliabilities:
    """Cronbach's α of every multi-item scale (or of the measures named), see the module docstring.
    Scales with fewer than three respondents answering every item are left out."""
    if measures is None:
        chosen: list[Measure] = []
        for measure in questionnaire.measures:
            if measure.kind in _SCALE_KINDS and len(measure.items) > 1 and all(
                    set(measure.items) != set(other.items) for other in chosen):
                chosen.append(measure)
    else:
        chosen = [questionnaire.measure(m) for m in measures]
        short = [m.id for m in chosen if len(m.items) < 2]
        if short:
            raise EstimationError(f"measures {short} have a single item; Cronbach's alpha needs a multi-item scale")
    scales = []
    for measure in chosen:
        present = [item for item in measure.items if item in design.data.columns]
        if len(present) < 2:
            continue
        scored = all(questionnaire.scale_of(item) is not None and questionnaire.scale_of(item).scores
                     for item in present)
        scoring = "scores" if scored else "satisfied"
        matrix = np.column_stack([_item_scores(design, questionnaire, item, scoring) for item in present])
        try:
            alpha = cronbach_alpha(design, present, level=level, scores=matrix)
        except EstimationError:
            if measures is not None:
                raise
            continue
        scales.append(ScaleReliability(measure_id=measure.id, label=measure.label,
                                       item_labels=tuple(questionnaire.item(i).name for i in present),
                                       scoring=scoring, alpha=alpha))
    return ScaleReliabilities(questionnaire_id=questionnaire.id, scales=tuple(scales))

