"""Target verdicts with margins of error: is the rate at or above the target, and how sure are we?

:func:`check_target` turns an :class:`~surveys.results.Estimate` into a :class:`TargetCheck`:

* the estimate and its interval (by default the estimate's own interval — for a proportion the estimation
  engine's logit interval with the design's degrees of freedom, as R's ``svyciprop``);
* the **margin of error** ``moe = qt(1 − α/2, df) · SE`` (the half-width of the symmetric t interval);
* the **margin to target**: lower bound − threshold;
* the t statistic ``(p̂ − p0) / SE`` and the one-sided p-value ``P(T_df > t)`` for "above the threshold"
  (R: ``svycontrast(m, quote(y - p0))``; validated against the published ``target80_*`` cases);
* a verdict in four levels, read off the interval:

  ==========================  ===========================================  ======================
  verdict                      condition                                    中文
  ==========================  ===========================================  ======================
  ``met``                      lower bound reaches the threshold            达标（有统计把握）
  ``met_within_margin``        estimate reaches it, lower bound does not    达标但在误差范围内
  ``not_met_within_margin``    estimate below, upper bound reaches it       未达标但在误差范围内
  ``not_met``                  upper bound below the threshold              未达标
  ==========================  ===========================================  ======================

  "Reaches" is ``>=`` or ``>`` as the target's comparison says. Which verdicts count as *target met* is the
  target's **rule** (data, from the study's targets register), one of :data:`VERDICT_RULES`.
* for ``met_within_margin``, how many more respondents would make the verdict ``met`` if the estimate and the
  design effect held (the standard error shrinks as 1/√n; found on the same interval method).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import pandas as pd
from scipy import optimize, stats

from surveys.errors import TargetError
from surveys.results import Estimate, EstimateTable

__all__ = [
    "VERDICTS",
    "VERDICT_LABELS",
    "CENSUS_VERDICT_LABELS",
    "VERDICT_RULES",
    "TargetCheck",
    "TargetTable",
    "check_target",
    "check_targets",
]

VERDICTS = ("met", "met_within_margin", "not_met_within_margin", "not_met")

VERDICT_LABELS: Mapping[str, Mapping[str, str]] = {
    "met": {"zh": "达标（有统计把握）", "en": "met"},
    "met_within_margin": {"zh": "达标但在误差范围内", "en": "met, within the margin of error"},
    "not_met_within_margin": {"zh": "未达标但在误差范围内", "en": "not met, within the margin of error"},
    "not_met": {"zh": "未达标", "en": "not met"},
}

# Census verdicts (surveys.census.census_check) use the four verdict names with the non-response bounds as the
# interval; "within the margin of error" reads "depends on the unreturned forms" there.
CENSUS_VERDICT_LABELS: Mapping[str, Mapping[str, str]] = {
    "met": {"zh": "达标（未回收的全按不满意也达标）", "en": "met (even if every unreturned form were unsatisfied)"},
    "met_within_margin": {"zh": "达标，但取决于未回收的意见表", "en": "met, but depends on the unreturned forms"},
    "not_met_within_margin": {"zh": "未达标，但取决于未回收的意见表",
                              "en": "not met, but depends on the unreturned forms"},
    "not_met": {"zh": "未达标（未回收的全按满意也未达标）", "en": "not met (even if every unreturned form were satisfied)"},
}

# Which verdicts count as "target met" under each rule. The rule is chosen in the study's targets register.
VERDICT_RULES: Mapping[str, frozenset[str]] = {
    # Met only when the whole interval is at or above the threshold: the statistically defensible reading.
    "ci_lower_bound": frozenset({"met"}),
    # Met when the point estimate reaches the threshold: how most published government figures are read.
    "point_estimate": frozenset({"met", "met_within_margin"}),
    # Met unless the whole interval is below the threshold: the benefit of the doubt.
    "ci_upper_bound": frozenset({"met", "met_within_margin", "not_met_within_margin"}),
}

_COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    ">=": lambda value, threshold: value >= threshold,
    ">": lambda value, threshold: value > threshold,
}


@dataclass(frozen=True)
class TargetCheck:
    """The verdict on one target, with everything needed to explain it."""

    threshold: float
    comparison: str
    rule: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    level: float
    df: float
    ci_method: str
    margin_of_error: float
    margin_to_target: float
    t_statistic: float
    p_value: float
    verdict: str
    target_met: bool
    respondents: int
    design_effect: float
    additional_respondents: int | None
    label: str = ""
    domain: Mapping[str, Any] = field(default_factory=dict)

    def verdict_label(self, lang: str = "zh") -> str:
        """The verdict in words; a census (interval = non-response bounds) is worded with its unreturned forms."""
        labels = CENSUS_VERDICT_LABELS if self.ci_method == "nonresponse_bounds" else VERDICT_LABELS
        return labels[self.verdict][lang]

    def to_dict(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "domain"}
        row.update({str(k): v for k, v in self.domain.items()})
        return row


@dataclass(frozen=True)
class TargetTable:
    """Target checks in order (e.g. one per indicator, or one per domain)."""

    rows: tuple[TargetCheck, ...]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> TargetCheck:
        return self.rows[index]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([row.to_dict() for row in self.rows])


def _critical_value(level: float, df: float) -> float:
    upper = 0.5 + level / 2.0
    return float(stats.norm.ppf(upper) if math.isinf(df) else stats.t.ppf(upper, df))


def _design_df(estimate: Estimate) -> float:
    """The design's degrees of freedom (R's degf), which t statistics and margins of error use."""
    return float(estimate.extras.get("design_df", estimate.df))


def _interval(estimate: Estimate, *, level: float, ci_method: str | None, std_error: float | None = None,
              respondents: float | None = None) -> tuple[float, float, str]:
    """The interval of ``estimate`` at ``level`` by ``ci_method`` (default: the estimate's own method),
    optionally with a hypothetical standard error and respondent count (for the sample-size question)."""
    method = ci_method or estimate.ci_method
    se = estimate.std_error if std_error is None else std_error
    if estimate.statistic != "proportion" or method in ("wald", "t"):
        # Means, indices and totals: the symmetric t interval on the design's degrees of freedom.
        q = _critical_value(level, _design_df(estimate))
        return estimate.estimate - q * se, estimate.estimate + q * se, "t"
    if method == estimate.ci_method and level == estimate.level and std_error is None:
        return estimate.ci_low, estimate.ci_high, method
    from surveys.ci import ProportionSummary, proportion_interval

    rows = estimate.extras.get("rows", estimate.respondents)
    if respondents is not None and estimate.respondents:
        rows = rows * respondents / estimate.respondents
    summary = ProportionSummary(
        estimate=estimate.estimate,
        std_error=se,
        df=estimate.df,
        level=level,
        design_df=_design_df(estimate),
        rows=int(round(rows)),
    )
    low, high = proportion_interval(summary, method)
    return low, high, method


def _verdict(estimate: float, low: float, high: float, threshold: float, reaches: Callable[[float, float], bool]) -> str:
    if reaches(low, threshold):
        return "met"
    if reaches(estimate, threshold):
        return "met_within_margin"
    if reaches(high, threshold):
        return "not_met_within_margin"
    return "not_met"


def _additional_respondents(
    estimate: Estimate, threshold: float, reaches: Callable[[float, float], bool], level: float, ci_method: str | None
) -> int | None:
    """Respondents to add so that the lower bound reaches the threshold, the estimate and design effect held.

    With n respondents and standard error SE, n·k respondents give SE/√k; the smallest k whose interval's lower
    bound reaches the threshold is found by root-finding on the same interval method.
    """
    n = estimate.respondents
    if n <= 0 or not estimate.std_error > 0 or not math.isfinite(estimate.std_error):
        return None

    def gap(k: float) -> float:
        low, _, _ = _interval(
            estimate, level=level, ci_method=ci_method, std_error=estimate.std_error / math.sqrt(k), respondents=n * k
        )
        return low - threshold

    if gap(1.0) >= 0:
        return 0
    upper = 2.0
    while gap(upper) < 0:
        upper *= 2.0
        if upper > 1e8:
            return None
    k = optimize.brentq(gap, upper / 2.0 if upper > 2.0 else 1.0, upper, xtol=1e-10)
    needed = math.ceil(n * k - 1e-9)
    while not reaches(_interval(estimate, level=level, ci_method=ci_method,
                                std_error=estimate.std_error * math.sqrt(n / needed), respondents=needed)[0], threshold):
        needed += 1
    return max(needed - n, 0)


def check_target(
    estimate: Estimate,
    threshold: float = 0.80,
    *,
    level: float | None = None,
    ci_method: str | None = None,
    rule: str = "ci_lower_bound",
    comparison: str = ">=",
    label: str = "",
) -> TargetCheck:
    """The verdict on ``estimate`` against ``threshold`` (see the module docstring for every field).

    ``level`` and ``ci_method`` default to the estimate's own; giving either recomputes the interval
    (proportions through the CI registry of :mod:`surveys.ci`, other statistics as a t interval).
    """
    if not 0.0 < float(threshold) < 1.0 and estimate.statistic == "proportion":
        raise TargetError(f"a rate target must be a share in (0, 1) (0.80 for 80%); found {threshold!r}")
    if rule not in VERDICT_RULES:
        raise TargetError(f"unknown verdict rule {rule!r}; expected one of {sorted(VERDICT_RULES)}")
    if comparison not in _COMPARISONS:
        raise TargetError(f"unknown comparison {comparison!r}; expected one of {sorted(_COMPARISONS)}")
    level = estimate.level if level is None else float(level)
    if not 0.0 < level < 1.0:
        raise TargetError(f"level must be in (0, 1) (0.95 for 95%); found {level!r}")
    if not math.isfinite(estimate.estimate):
        raise TargetError(
            f"cannot judge {label or 'the estimate'} against {threshold:g}: the estimate is {estimate.estimate} "
            "(no respondents in the base?)"
        )
    reaches = _COMPARISONS[comparison]
    low, high, method = _interval(estimate, level=level, ci_method=ci_method)
    df = _design_df(estimate)
    q = _critical_value(level, df)
    se = estimate.std_error
    if se > 0:
        t_statistic = (estimate.estimate - threshold) / se
        p_value = float(stats.norm.sf(t_statistic) if math.isinf(df) else stats.t.sf(t_statistic, df))
    else:
        t_statistic = math.copysign(math.inf, estimate.estimate - threshold) if estimate.estimate != threshold else 0.0
        p_value = 0.0 if estimate.estimate > threshold else 1.0
    verdict = _verdict(estimate.estimate, low, high, threshold, reaches)
    additional = (
        _additional_respondents(estimate, threshold, reaches, level, ci_method) if verdict == "met_within_margin" else
        (0 if verdict == "met" else None)
    )
    return TargetCheck(
        threshold=float(threshold),
        comparison=comparison,
        rule=rule,
        estimate=estimate.estimate,
        std_error=se,
        ci_low=low,
        ci_high=high,
        level=level,
        df=df,
        ci_method=method,
        margin_of_error=q * se,
        margin_to_target=low - threshold,
        t_statistic=t_statistic,
        p_value=p_value,
        verdict=verdict,
        target_met=verdict in VERDICT_RULES[rule],
        respondents=estimate.respondents,
        design_effect=estimate.design_effect,
        additional_respondents=additional,
        label=label or estimate.variable,
        domain=dict(estimate.domain),
    )


def check_targets(
    estimates: EstimateTable | Iterable[Estimate],
    threshold: float = 0.80,
    **options: Any,
) -> TargetTable:
    """:func:`check_target` for every row of a table (e.g. every domain), with the same threshold and options."""
    return TargetTable(tuple(check_target(row, threshold, **options) for row in estimates))
