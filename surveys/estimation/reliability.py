"""Reliability of an estimate: the NCHS Data Presentation Standards for Proportions as data-driven rules.

The standard (Parker et al. 2017, Vital Health Stat 2(175)) is :data:`NCHS_PROPORTION_STANDARD` (thresholds) and
:data:`RELIABILITY_RULES` (one :class:`ReliabilityRule` per step); the rule sequence follows CDC's own
implementation in R ``surveytable`` (``.present_prop``). :func:`assess_reliability` applies them to one
estimate; :func:`surveys.indicators.measures.measure_table` attaches the result to every row.

**One effective sample size everywhere** (:func:`effective_sample_size`): Kish's ``(Σw)² / Σw²`` over the
final weights of the respondents in the estimate's base (and domain), which the estimators record in
``Estimate.extras["kish_effective_size"]``. The overview, the measure tables, the weights section, the verdict's
refusal rule (:mod:`surveys.indicators.targets`) and the NCHS step-1 rule below all use this one number. (NCHS define
the effective size as ``n / deff`` with the full design effect; Kish's counts the unequal weights only, which is what
the report can show consistently for every estimate. The clustering a design has still widens the Korn–Graubard
interval the width rules read.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from surveys.errors import EstimationError
from surveys.estimation.ci import ProportionSummary, proportion_interval
from surveys.estimation.results import Estimate
from surveys.questionnaire import Text

__all__ = [
    "NCHS_PROPORTION_STANDARD",
    "RELIABILITY_RULES",
    "ReliabilityRule",
    "Reliability",
    "assess_reliability",
    "effective_sample_size",
]

NCHS_PROPORTION_STANDARD: Mapping[str, float] = MappingProxyType({
    "minimum_effective_size": 30.0,     # Parker et al. 2017, step 1
    "small_width": 0.05,                # width at or below: presented (step 2)
    "maximum_width": 0.30,              # Korn–Graubard width at or above: suppressed (step 3)
    "maximum_relative_width": 1.30,     # width / p above: suppressed (step 4, width in (0.05, 0.30))
    "minimum_df": 8.0,                  # fewer design degrees of freedom: flagged for review
    "level": 0.95,                      # the standard's Korn–Graubard interval is 95 %
})


@dataclass(frozen=True)
class _ReliabilityFacts:
    """What the rules read: estimate, the Korn–Graubard width, effective size, df, and the kind of statistic."""

    estimate: float
    effective_size: float
    width: float
    df: float
    proportion: bool
    interval_available: bool


@dataclass(frozen=True)
class ReliabilityRule:
    """One rule: when ``applies(facts, thresholds)`` holds, the row gets ``action`` with ``code``/``reason``."""

    code: str
    action: str  # "suppress" or "review"
    reason: Text
    applies: Callable[[_ReliabilityFacts, Mapping[str, float]], bool] = field(repr=False)


def _presentable_width(facts: _ReliabilityFacts, limits: Mapping[str, float]) -> bool:
    return facts.interval_available and limits["small_width"] < facts.width < limits["maximum_width"]


RELIABILITY_RULES: tuple[ReliabilityRule, ...] = (
    ReliabilityRule("effective_size_below_minimum", "suppress",
                    Text("有效样本量（Kish）小于30", "effective sample size (Kish) below 30"),
                    lambda f, t: f.effective_size < t["minimum_effective_size"]),
    ReliabilityRule("no_interval", "suppress",
                    Text("无法计算Korn–Graubard置信区间（自由度不足）",
                         "no Korn–Graubard interval (no design degrees of freedom)"),
                    lambda f, t: f.proportion and not f.interval_available),
    ReliabilityRule("width_at_least_maximum", "suppress",
                    Text("置信区间宽度≥30个百分点", "confidence interval width of 0.30 or more"),
                    lambda f, t: f.proportion and f.interval_available and f.width >= t["maximum_width"]),
    ReliabilityRule("relative_width_above_maximum", "suppress",
                    Text("置信区间相对宽度>130%", "relative confidence interval width above 130%"),
                    lambda f, t: f.proportion and _presentable_width(f, t)
                    and (f.estimate <= 0 or f.width / f.estimate > t["maximum_relative_width"])),
    ReliabilityRule("complement_relative_width_above_maximum", "review",
                    Text("补集（1−p）的相对宽度>130%，需复核",
                         "relative width of the complement 1−p above 130%: review"),
                    lambda f, t: f.proportion and _presentable_width(f, t)
                    and (f.estimate >= 1 or f.width / (1 - f.estimate) > t["maximum_relative_width"])),
    ReliabilityRule("df_below_minimum", "review",
                    Text("设计自由度小于8，需复核", "fewer than 8 design degrees of freedom: review"),
                    lambda f, t: not f.df >= t["minimum_df"]),
    ReliabilityRule("zero_or_hundred_percent", "review",
                    Text("比例为0或100%，需复核", "a proportion of 0 or 100%: review"),
                    lambda f, t: f.proportion and (f.estimate <= 0 or f.estimate >= 1)),
)


@dataclass(frozen=True)
class Reliability:
    """Outcome of the reliability rules for one estimate: ``status`` ``ok`` / ``review`` / ``suppress``."""

    status: str
    codes: tuple[str, ...] = ()
    reasons: tuple[Text, ...] = ()
    effective_size: float = math.nan
    korn_graubard_low: float = math.nan
    korn_graubard_high: float = math.nan


def effective_sample_size(record: Estimate) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` of the respondents behind ``record`` (see the module
    docstring). An estimate made elsewhere, without the weights, gives ``respondents / design_effect`` when its
    design effect is known and its respondents otherwise."""
    kish = record.extras.get("kish_effective_size")
    if kish is not None and math.isfinite(float(kish)):
        return float(kish)
    n = float(record.respondents)
    deff = record.design_effect
    return n if not (deff > 0 and math.isfinite(deff)) else min(n / deff, n)


def assess_reliability(record: Estimate, *, thresholds: Mapping[str, float] = NCHS_PROPORTION_STANDARD,
                       rules: Sequence[ReliabilityRule] = RELIABILITY_RULES) -> Reliability:
    """Apply ``rules`` (default: the NCHS standard for proportions) to one estimate.

    The width rules use the 95 % Korn–Graubard interval (:mod:`surveys.estimation.ci`, ``korn_graubard``) on the
    design's degrees of freedom and the respondents, whatever interval the table shows. They apply to proportions only
    (the standard has no width rule for means); effective size and df apply to every statistic. Suppression
    outranks review; with no rule firing the status is ``ok``.
    """
    limits = {**NCHS_PROPORTION_STANDARD, **thresholds}
    df = float(record.extras.get("design_df", record.df))
    effective = effective_sample_size(record)
    low = high = math.nan
    proportion = record.statistic == "proportion"
    if proportion and math.isfinite(record.estimate):
        try:
            low, high = proportion_interval(ProportionSummary(
                estimate=min(max(record.estimate, 0.0), 1.0), std_error=record.std_error, df=df, level=limits["level"],
                design_df=df, rows=max(int(record.respondents), 1)), "korn_graubard")
        except EstimationError:
            low = high = math.nan
    facts = _ReliabilityFacts(estimate=record.estimate, effective_size=effective, width=high - low, df=df,
                              proportion=proportion, interval_available=not math.isnan(low))
    fired = [rule for rule in rules if rule.applies(facts, limits)]
    status = "suppress" if any(r.action == "suppress" for r in fired) else ("review" if fired else "ok")
    return Reliability(status=status, codes=tuple(r.code for r in fired), reasons=tuple(r.reason for r in fired),
                       effective_size=effective, korn_graubard_low=low, korn_graubard_high=high)
