"""What a survey verdict depends on: the headline recomputed under the alternatives a reviewer asks about.

An acceptance committee that reads "市场监管满意率 81.5%，达标但在误差范围内" asks what the verdict rests on.
:func:`robustness_panel` recomputes the headline rate of one survey target, and judges it with the same
:func:`surveys.indicators.targets.check_target` (same threshold, comparison, rule, interval method and level), under:

============  ===================================================================================================
group         alternatives
============  ===================================================================================================
(reported)    the verdict as reported: final weights, the measure's own base, the study's sample design
``base``      the measure's other base: don't-know answers ("不了解") in or out of the denominator
``weighting`` unweighted (every respondent counted once); weights trimmed to ``trim`` multiples of the mean weight
              (R ``trimWeights(strict = TRUE)``: the excess spread over the other weights, the total kept)
``mode``      paper forms only and online answers only: each mode as a domain of the pooled, weighted design (the
              same figures as the mode table, with the paper − online difference and its interval beside them)
``design``    without the declared clusters (every respondent their own unit), when the study declares clusters
============  ===================================================================================================

An alternative on the whole sample **disagrees** with the reported verdict when it changes whether the target
counts as met under its rule (e.g. "达标但在误差范围内" → "达标（有统计把握）" when don't-know answers leave the
base) or puts the estimate on the other side of the threshold. A mode is a part of the sample, less precise by
construction, so it disagrees only when its estimate falls on the other side of the threshold (paper 85.9 % and
online 70.6 % around a reported 78.8 %): a half-sample that is "met within the margin" where the whole is "met"
shows precision, not a dependence on the mode.
The verdict is **robust** (结论稳健) when no alternative disagrees; otherwise the panel names the groups it
depends on (取决于调查方式 …). An alternative the sample cannot judge (e.g. a mode with fewer than 30 effective
respondents) is shown and never counts as disagreeing.

:func:`verdict_notes` collects, for one target, the warnings a reader must see beside its verdict: a threshold
the plan does not state, a refused verdict's reasons, weights that exploded (with the effective sample size).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveys.errors import EstimationError
from surveys.indicators.measures import estimate_measure
from surveys.indicators.modes import ModeDifference, mode_difference
from surveys.indicators.targets import TargetCheck, check_target
from surveys.questionnaire import MEASURE_BASES, Questionnaire, Text
from surveys.weighting.diagnostics import KISH_LIMIT, weight_statistics
from surveys.weighting.methods import trim_weights

__all__ = [
    "ROBUSTNESS_GROUPS",
    "Alternative",
    "RobustnessPanel",
    "VerdictNote",
    "robustness_panel",
    "verdict_notes",
]

# group → what the verdict depends on when an alternative of the group disagrees
ROBUSTNESS_GROUPS: dict[str, Text] = {
    "base": Text("取决于“不了解”是否计入基数", "depends on whether don't-know answers are in the base"),
    "weighting": Text("取决于加权方式", "depends on the weighting"),
    "mode": Text("取决于调查方式（纸质/网络）", "depends on the survey mode (paper/online)"),
    "design": Text("取决于是否考虑整群抽样", "depends on whether the clustering is accounted for"),
}
_ROBUST = Text("结论稳健", "robust")
_REPORTED = Text("报告口径（最终权重）", "as reported (final weights)")
_UNWEIGHTED = Text("不加权（每位受访者计一次）", "unweighted (every respondent counted once)")
_NO_CLUSTERS = Text("不考虑整群（每位受访者为独立单元）", "clustering ignored (every respondent their own unit)")


def _reaches(check: TargetCheck) -> bool:
    """Whether the estimate is on the target's side of the threshold."""
    if check.verdict == "not_judged":
        return check.estimate > check.threshold if check.comparison == ">" else check.estimate >= check.threshold
    return check.verdict in ("met", "met_within_margin")


def _trimmed_label(trim: tuple[float, float]) -> Text:
    return Text(f"权重截尾至平均权重的 {trim[0]:g}–{trim[1]:g} 倍", f"weights trimmed to {trim[0]:g}–{trim[1]:g} × "
                                                              "the mean weight")


@dataclass(frozen=True)
class Alternative:
    """The headline under one alternative: ``code`` (reported, other_base, unweighted, trimmed, mode:<value>,
    no_clusters), its ``group`` ("" for the reported one), a label and the full :class:`TargetCheck`."""

    code: str
    group: str
    label: Text
    check: TargetCheck
    note: Text | None = None
    part: bool = False  # a part of the sample (a mode): compared on the side of the threshold only


@dataclass(frozen=True)
class RobustnessPanel:
    """The reported verdict of one survey target beside its alternatives (see the module docstring)."""

    target_id: str
    questionnaire: str
    measure_id: str
    alternatives: tuple[Alternative, ...]
    mode_difference: ModeDifference | None = None
    trim: tuple[float, float] = (0.2, 5.0)

    @property
    def reported(self) -> Alternative:
        return self.alternatives[0]

    def agrees(self, alternative: Alternative) -> bool | None:
        """Whether ``alternative`` agrees with the reported verdict (None: it was not judged)."""
        if not alternative.check.judged:
            return None
        reported = self.reported.check
        same_side = _reaches(alternative.check) == _reaches(reported)
        return bool(same_side if alternative.part else same_side and alternative.check.target_met == reported.target_met)

    @property
    def disagreeing(self) -> tuple[Alternative, ...]:
        """Judged alternatives that change the target-met or the side of the threshold (module docstring)."""
        return tuple(a for a in self.alternatives[1:] if self.agrees(a) is False)

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.group for a in self.disagreeing))

    @property
    def robust(self) -> bool:
        return not self.depends_on

    def summary(self) -> Text:
        """"结论稳健", or what the verdict depends on ("取决于调查方式（纸质/网络）；取决于加权方式")."""
        if self.robust:
            return _ROBUST
        texts = [ROBUSTNESS_GROUPS[group] for group in self.depends_on]
        return Text("；".join(t.zh for t in texts), "; ".join(t.en for t in texts))

    def to_frame(self) -> pd.DataFrame:
        """One row per alternative: target_id, alternative, group, label_zh/en, estimate, ci_low, ci_high,
        respondents, effective_size, verdict, target_met, agrees (with the reported), note_zh/en."""
        rows = []
        for alternative in self.alternatives:
            check = alternative.check
            rows.append({
                "target_id": self.target_id, "questionnaire": self.questionnaire, "measure_id": self.measure_id,
                "alternative": alternative.code, "group": alternative.group,
                "label_zh": alternative.label.zh, "label_en": alternative.label.en,
                "estimate": check.estimate, "ci_low": check.ci_low, "ci_high": check.ci_high,
                "respondents": check.respondents, "effective_size": check.effective_size, "verdict": check.verdict,
                "verdict_zh": check.verdict_label("zh"), "verdict_en": check.verdict_label("en"),
                "target_met": check.target_met,
                "agrees": self.agrees(alternative),
                "note_zh": alternative.note.zh if alternative.note else "",
                "note_en": alternative.note.en if alternative.note else "",
            })
        return pd.DataFrame(rows)


def robustness_panel(design: Any, questionnaire: Questionnaire, measure_id: str, *, table: Any,
                     threshold: float, comparison: str = ">=", rule: str = "ci_lower_bound", level: float = 0.95,
                     ci_method: str = "logit", trim: tuple[float, float] = (0.2, 5.0),
                     unweighted: Any | None = None, without_clusters: Any | None = None, target_id: str = "",
                     mode_column: str = "mode") -> RobustnessPanel:
    """The panel of one survey target (see the module docstring).

    ``design``: the final (weighted) design; ``table``: its :class:`~surveys.indicators.measures.MeasureTable` (the reported,
    other-base and mode rows are read from it, so the panel shows the report's own figures); ``unweighted`` and
    ``without_clusters``: the same responses as designs with every weight 1 / without the clusters (omitted:
    that alternative is left out).
    """

    def judged(estimate: Any) -> TargetCheck:
        return check_target(estimate, threshold, comparison=comparison, rule=rule, level=level, label=target_id)

    def measured(other_design: Any) -> TargetCheck:
        return judged(estimate_measure(other_design, questionnaire, measure_id, level=level, ci_method=ci_method))

    reported = table.find(measure_id)
    alternatives = [Alternative("reported", "", _REPORTED, judged(reported.estimate))]
    for base in MEASURE_BASES:
        if base == reported.base:
            continue
        try:
            other = table.find(measure_id, base=base)
        except EstimationError:
            continue  # one base only (an index never counts don't-know)
        alternatives.append(Alternative("other_base", "base", Text(f"基数：{other.base_label.zh}",
                                                                   f"base: {other.base_label.en}"),
                                        judged(other.estimate)))
    if unweighted is not None:
        alternatives.append(Alternative("unweighted", "weighting", _UNWEIGHTED, measured(unweighted)))
    weights = np.asarray(design.weights, dtype=float)
    mean = float(weights[weights > 0].mean())
    lower, upper = trim[0] * mean, trim[1] * mean
    trimmed = trim_weights(design, lower=lower, upper=upper, strict=True)
    moved = int(np.count_nonzero((weights > 0) & ((weights < lower) | (weights > upper))))
    note = Text(f"{moved} 个权重被截尾", f"{moved} weights trimmed") if moved else \
        Text("没有权重超出界限", "no weight outside the bounds")
    alternatives.append(Alternative("trimmed", "weighting", _trimmed_label(trim), measured(trimmed), note))
    modes = [row for row in table.rows if row.measure_id == measure_id and row.used_for_verdict
             and row.domain_variable == mode_column]
    difference = None
    if len(modes) >= 2:
        for row in modes:
            alternatives.append(Alternative(f"mode:{row.domain_value}", "mode",
                                            Text(f"仅{row.domain_label.zh}", f"{row.domain_label.en} only"),
                                            judged(row.estimate), part=True))
        try:
            difference = mode_difference(design, questionnaire, measure_id, level=level, mode_column=mode_column)
        except EstimationError:
            difference = None
    if without_clusters is not None:
        alternatives.append(Alternative("no_clusters", "design", _NO_CLUSTERS, measured(without_clusters)))
    return RobustnessPanel(target_id=target_id, questionnaire=questionnaire.id, measure_id=measure_id,
                           alternatives=tuple(alternatives), mode_difference=difference, trim=tuple(trim))


# ----------------------------------------------------------------------------------------------------------
# what a reader must see beside a verdict

@dataclass(frozen=True)
class VerdictNote:
    """One warning beside a verdict: ``code`` (study_threshold, not_judged, weights) and its words."""

    code: str
    text: Text


def _weights_note(design: Any, check: TargetCheck) -> VerdictNote | None:
    """Exploded weights of the final design, with the effective sample size of the respondents in the base."""
    adjustments = getattr(design, "adjustments", ())
    flags_zh = tuple(getattr(adjustments[-1].diagnostics, "flags_zh", ())) if adjustments else ()
    statistics = weight_statistics(np.asarray(design.weights, dtype=float))
    kish = statistics["kish_design_effect"]
    if not flags_zh and not kish > KISH_LIMIT:
        return None
    ratio = statistics["weight_ratio"]
    return VerdictNote("weights", Text(
        f"权重差异大（最大/最小 {ratio:.0f} 倍，Kish 设计效应 {kish:.1f}）：有效样本量 {check.effective_size:.0f}"
        f"（基数内受访者 {check.respondents}）",
        f"very unequal weights (largest/smallest {ratio:.0f}×, Kish design effect {kish:.1f}): effective sample "
        f"size {check.effective_size:.0f} of {check.respondents} respondents in the base"))


def verdict_notes(check: TargetCheck | None, *, threshold_source: str = "plan",
                  design: Any | None = None) -> tuple[VerdictNote, ...]:
    """The warnings a reader must see beside one verdict, in order (see the module docstring; what the verdict
    depends on is the panel's :meth:`RobustnessPanel.summary`, shown beside it too); ``check`` is a survey
    target's check (None for census and administrative figures: only the threshold's source applies)."""
    notes = []
    if threshold_source == "study":
        notes.append(VerdictNote("study_threshold", Text("目标值由本研究设定（方案未给出数值）",
                                                         "threshold set by the study (the plan gives no number)")))
    if check is None:
        return tuple(notes)
    if not check.judged:
        notes.append(VerdictNote("not_judged", Text("不作判定：" + "；".join(check.reasons("zh")),
                                                    "not judged: " + "; ".join(check.reasons("en")))))
    if design is not None:
        note = _weights_note(design, check)
        if note is not None:
            notes.append(note)
    return tuple(notes)
