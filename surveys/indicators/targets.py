"""Target verdicts with margins of error: is the rate at or above the target, and how sure are we?

**One interval decides everything.** :func:`check_target` takes an :class:`~surveys.estimation.results.Estimate` and one
interval — by default the estimate's own (for a proportion the engine's logit interval on the design's degrees
of freedom, as R's ``svyciprop``; for a mean or an index the t interval) — and reads every figure it reports
off that interval and the one-sided test it inverts to:

* the **verdict** (``ci_low`` and ``ci_high`` against the threshold):

  ==========================  ===========================================  ======================
  verdict                      condition                                    中文
  ==========================  ===========================================  ======================
  ``met``                      lower bound reaches the threshold            达标（有统计把握）
  ``met_within_margin``        estimate reaches it, lower bound does not    达标但在误差范围内
  ``not_met_within_margin``    estimate below, upper bound reaches it       未达标但在误差范围内
  ``not_met``                  upper bound below the threshold              未达标
  ``not_judged``               the sample cannot carry a verdict (below)    不作判定
  ==========================  ===========================================  ======================

* the **one-sided p-value** of H0 "the rate is below the threshold" is the test *inverted from the same
  interval*: on the interval's own scale ``g`` (logit for ``logit``/``xlogit``, identity for the t / ``mean``
  intervals, ``asin √p`` for ``asin``) the statistic is ``t = (g(p̂) − g(p0)) / SE_g`` with ``SE_g`` the
  interval's half-width on that scale over ``q = qt(1 − α/2, df)``, and ``p = P(T_df > t)``; for the intervals
  without a transformation (``beta``, ``korn_graubard``, ``clopper_pearson``, ``wilson``) ``p`` is the α at
  which the one-sided lower bound equals the threshold (found on the interval itself). So, for every judged
  verdict::

      verdict == "met"   ⇔   p ≤ (1 − level)/2   ⇔   ci_low ≥ threshold     (">": strictly)

* the **margins shown to a reader** are the interval's own two halves, ``margin_below = p̂ − ci_low`` and
  ``margin_above = ci_high − p̂`` (a logit interval is asymmetric: "81.5%（79.1%–83.7%）", or −2.4/+2.2 个百分点,
  never a symmetric ± that is not the interval); ``margin_of_error`` is the larger of the two; the **margin to
  target** is ``ci_low − threshold``.

**Honest edge cases.** A verdict needs a sample that can carry one. The check refuses a verdict
(``not_judged``, with the reason in Chinese and English) when the estimate is 0 % or 100 % (the design-based
variance is then zero and the sampling error cannot be estimated from the sample), when the effective sample
size (Kish, :func:`surveys.estimation.reliability.effective_sample_size`) is below 30, or when the design has fewer than 8
degrees of freedom — the NCHS Data Presentation Standards' thresholds (:mod:`surveys.estimation.reliability`). Thirty
respondents who are all satisfied are "not judged", never "met with statistical confidence".

**Respondents still needed** (``additional_respondents``): how many more respondents would make the verdict
``met`` with 80 % probability *if the true rate equals the current estimate* and the design effect holds
(``n·((q + z₀.₈)/t)²``, the test statistic growing as √n). ``break_even_respondents`` is the smaller number at
which the current estimate would just reach the bar (``n·(q/t)²``): with that many, the verdict is ``met`` only
half the time.

Which verdicts count as *target met* is the target's **rule** (data, from the study's targets register), one of
:data:`VERDICT_RULES`; a ``not_judged`` verdict is met under ``point_estimate`` when the estimate reaches the
threshold, under ``ci_upper_bound`` always (the benefit of the doubt), under ``ci_lower_bound`` never.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import pandas as pd
from scipy import optimize, special

from surveys.errors import EstimationError, TargetError
from surveys.estimation.ci import ProportionSummary, proportion_interval
from surveys.estimation.reliability import (
    NCHS_PROPORTION_STANDARD,
    effective_sample_size,
)
from surveys.estimation.results import Estimate, EstimateTable
from surveys.questionnaire import Text

__all__ = [
    "VERDICTS",
    "JUDGED_VERDICTS",
    "VERDICT_LABELS",
    "CENSUS_VERDICT_LABELS",
    "VERDICT_RULES",
    "NOT_JUDGED_REASONS",
    "POWER_FOR_RESPONDENTS_NEEDED",
    "TargetCheck",
    "TargetTable",
    "check_target",
    "check_targets",
    "counts_as_met",
    "margin_text",
]

JUDGED_VERDICTS = ("met", "met_within_margin", "not_met_within_margin", "not_met")
VERDICTS = JUDGED_VERDICTS + ("not_judged",)

VERDICT_LABELS: Mapping[str, Mapping[str, str]] = {
    "met": {"zh": "达标（有统计把握）", "en": "met"},
    "met_within_margin": {"zh": "达标但在误差范围内", "en": "met, within the margin of error"},
    "not_met_within_margin": {"zh": "未达标但在误差范围内", "en": "not met, within the margin of error"},
    "not_met": {"zh": "未达标", "en": "not met"},
    "not_judged": {"zh": "不作判定（样本不足以判断）", "en": "not judged (the sample cannot carry a verdict)"},
}

# Census verdicts (surveys.indicators.census.census_check) use the verdict names with the non-response bounds as the
# interval; "within the margin of error" reads "depends on the unreturned forms" there.
CENSUS_VERDICT_LABELS: Mapping[str, Mapping[str, str]] = {
    "met": {"zh": "达标（未回收的全按不满意也达标）", "en": "met (even if every unreturned form were unsatisfied)"},
    "met_within_margin": {"zh": "达标，但取决于未回收的意见表", "en": "met, but depends on the unreturned forms"},
    "not_met_within_margin": {"zh": "未达标，但取决于未回收的意见表",
                              "en": "not met, but depends on the unreturned forms"},
    "not_met": {"zh": "未达标（未回收的全按满意也未达标）", "en": "not met (even if every unreturned form were satisfied)"},
    "not_judged": {"zh": "不作判定（无回收的意见表）", "en": "not judged (no form returned)"},
}

# Which verdicts count as "target met" under each rule. The rule is chosen in the study's targets register.
VERDICT_RULES: Mapping[str, frozenset[str]] = {
    # Met only when the whole interval is at or above the threshold: the statistically defensible reading.
    "ci_lower_bound": frozenset({"met"}),
    # Met when the point estimate reaches the threshold: how most published government figures are read.
    "point_estimate": frozenset({"met", "met_within_margin"}),
    # Met unless the whole interval is below the threshold: the benefit of the doubt.
    "ci_upper_bound": frozenset({"met", "met_within_margin", "not_met_within_margin", "not_judged"}),
}

# Why a verdict is refused, in the order they are checked (codes of surveys.estimation.reliability where they share one).
NOT_JUDGED_REASONS: Mapping[str, Text] = {
    "boundary": Text("满意率为0或100%，样本内没有差异，抽样误差无法从样本估计",
                     "the rate is 0% or 100%: with no variation in the sample its sampling error cannot be estimated"),
    "effective_size_below_minimum": Text("有效样本量（Kish）不足30", "effective sample size (Kish) below 30"),
    "df_below_minimum": Text("设计自由度小于8", "fewer than 8 design degrees of freedom"),
}

# The power behind "respondents still needed".
POWER_FOR_RESPONDENTS_NEEDED = 0.8

_COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    ">=": lambda value, threshold: value >= threshold,
    ">": lambda value, threshold: value > threshold,
}

# Interval method → (name of the test scale, its transformation). Methods not listed are inverted numerically.
_SCALES: Mapping[str, tuple[str, Callable[[float], float]]] = {
    "logit": ("logit", lambda p: float(special.logit(p))),
    "xlogit": ("logit", lambda p: float(special.logit(p))),
    "mean": ("linear", float),
    "wald": ("linear", float),
    "t": ("linear", float),
    "asin": ("arcsine", lambda p: math.asin(math.sqrt(p))),
}
# Methods whose interval cannot be recomputed from the estimate alone (the profile likelihood needs the data).
_NOT_INVERTIBLE = ("likelihood",)


@dataclass(frozen=True)
class TargetCheck:
    """The verdict on one target, with everything needed to explain it (see the module docstring)."""

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
    margin_below: float = math.nan
    margin_above: float = math.nan
    test_scale: str = "linear"
    effective_size: float = math.nan
    break_even_respondents: int | None = None
    not_judged_reasons: tuple[str, ...] = ()

    @property
    def alpha(self) -> float:
        """The one-sided level of the verdict: ``met`` ⇔ ``p_value ≤ alpha`` (0.025 at 95 %)."""
        return (1.0 - self.level) / 2.0

    @property
    def judged(self) -> bool:
        return self.verdict != "not_judged"

    def reasons(self, lang: str = "zh") -> tuple[str, ...]:
        """Why the verdict was refused, in words (empty when it was given)."""
        return tuple(NOT_JUDGED_REASONS[code].get(lang) for code in self.not_judged_reasons)

    def verdict_label(self, lang: str = "zh") -> str:
        """The verdict in words; a census (interval = non-response bounds) is worded with its unreturned forms."""
        labels = CENSUS_VERDICT_LABELS if self.ci_method == "nonresponse_bounds" else VERDICT_LABELS
        return labels[self.verdict][lang]

    def to_dict(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "domain"}
        row["not_judged_reasons"] = ";".join(self.not_judged_reasons)
        row["alpha"] = self.alpha
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


# ----------------------------------------------------------------------------------------------------------
# the interval and the test inverted from it

def _quantile(probability: float, df: float) -> float:
    return float(special.ndtri(probability) if math.isinf(df) else special.stdtrit(df, probability))


def _upper_tail(statistic: float, df: float) -> float:
    return float(special.ndtr(-statistic) if math.isinf(df) else special.stdtr(df, -statistic))


def _design_df(estimate: Estimate) -> float:
    """The design's degrees of freedom (R's degf), which t intervals of means and the reliability rules use."""
    return float(estimate.extras.get("design_df", estimate.df))


def _method(estimate: Estimate, ci_method: str | None) -> str:
    if estimate.statistic != "proportion":
        return "t"  # means, indices and totals: the symmetric t interval on the design's degrees of freedom
    method = ci_method or estimate.ci_method
    return "t" if method == "wald" else method


def _interval_df(estimate: Estimate, method: str) -> float:
    return _design_df(estimate) if method == "t" else float(estimate.df)


def _interval(estimate: Estimate, *, level: float, method: str) -> tuple[float, float]:
    """The interval of ``estimate`` at ``level`` by ``method`` (the estimate's own when nothing changes)."""
    if method == "t":
        q = _quantile(0.5 + level / 2.0, _design_df(estimate))
        return estimate.estimate - q * estimate.std_error, estimate.estimate + q * estimate.std_error
    if method == estimate.ci_method and level == estimate.level:
        return estimate.ci_low, estimate.ci_high
    summary = ProportionSummary(estimate=estimate.estimate, std_error=estimate.std_error, df=estimate.df,
                                level=level, design_df=_design_df(estimate),
                                rows=max(int(round(estimate.extras.get("rows", estimate.respondents))), 1))
    return proportion_interval(summary, method)


def _scale_std_error(estimate: Estimate, method: str, low: float, high: float, q: float) -> float:
    """``SE_g``: the interval's half-width on its own scale over the critical value (0 for a degenerate one)."""
    name, transform = _SCALES[method]
    if name == "linear":
        return estimate.std_error
    p = estimate.estimate
    if name == "arcsine":
        return estimate.std_error / (2.0 * math.sqrt(p * (1.0 - p)))
    # logit: read off the interval itself, so replicate designs' logit standard errors are respected
    if not low < high:
        return 0.0
    return (transform(high) - transform(low)) / (2.0 * q)


def _numeric_test(estimate: Estimate, threshold: float, method: str) -> float:
    """One-sided p-value of "rate ≤ threshold" for an interval without a transformation: the α at which the
    one-sided (1 − α) lower bound (= the two-sided 1 − 2α interval's lower end) equals the threshold."""
    p = estimate.estimate

    def lower(a: float) -> float:
        return _interval(estimate, level=1.0 - 2.0 * a, method=method)[0] - threshold

    def upper(a: float) -> float:
        return _interval(estimate, level=1.0 - 2.0 * a, method=method)[1] - threshold

    tiny, half = 1e-15, 0.5 - 1e-12
    if threshold < p:
        if lower(tiny) >= 0:
            return 0.0
        if lower(half) < 0:
            return 0.5
        return float(optimize.brentq(lower, tiny, half, xtol=1e-14, rtol=1e-12))
    if threshold > p:
        if upper(tiny) <= 0:
            return 1.0
        if upper(half) > 0:
            return 0.5
        return 1.0 - float(optimize.brentq(upper, tiny, half, xtol=1e-14, rtol=1e-12))
    return 0.5


def _test(estimate: Estimate, threshold: float, method: str, level: float, low: float, high: float,
          reaches: Callable[[float, float], bool]) -> tuple[float, float, str]:
    """(statistic on the test scale, one-sided p-value, scale name), inverted from the interval."""
    df = _interval_df(estimate, method)
    if method in _SCALES:
        q = _quantile(0.5 + level / 2.0, df)
        scale, transform = _SCALES[method]
        if scale != "linear" and not 0.0 < threshold < 1.0:
            raise TargetError(f"a threshold of {threshold!r} has no {scale} value; a rate target is a share in (0, 1)")
        se = _scale_std_error(estimate, method, low, high, q) if 0.0 < estimate.estimate < 1.0 or scale == "linear" \
            else 0.0
        if se > 0 and math.isfinite(se):
            statistic = (transform(estimate.estimate) - transform(threshold)) / se
            return statistic, _upper_tail(statistic, df), scale
        met = reaches(estimate.estimate, threshold)
        return math.copysign(math.inf, 1.0 if met else -1.0), 0.0 if met else 1.0, scale
    p_value = _numeric_test(estimate, threshold, method)
    statistic = -_quantile(p_value, df) if 0.0 < p_value < 1.0 else math.copysign(math.inf, 0.5 - p_value)
    return statistic, p_value, "exact"


def _verdict(estimate: float, low: float, high: float, threshold: float, reaches: Callable[[float, float], bool]) -> str:
    if reaches(low, threshold):
        return "met"
    if reaches(estimate, threshold):
        return "met_within_margin"
    if reaches(high, threshold):
        return "not_met_within_margin"
    return "not_met"


def _refusals(estimate: Estimate) -> tuple[str, ...]:
    """Why the sample cannot carry a verdict (empty when it can); thresholds of the NCHS standard."""
    reasons = []
    if estimate.statistic == "proportion" and (estimate.estimate <= 0.0 or estimate.estimate >= 1.0):
        reasons.append("boundary")
    if effective_sample_size(estimate) < NCHS_PROPORTION_STANDARD["minimum_effective_size"]:
        reasons.append("effective_size_below_minimum")
    if not _design_df(estimate) >= NCHS_PROPORTION_STANDARD["minimum_df"]:
        reasons.append("df_below_minimum")
    return tuple(reasons)


def margin_text(below: Any, above: Any, *, percent: bool = True, lang: str = "zh") -> str:
    """An interval's two halves as every output prints them: ``−2.4/+2.2 个百分点`` for a share's interval (in
    percentage points), ``±2.3 个百分点`` only when both halves print the same; ``percent=False`` for an index
    (its own points); "–" when either half is missing."""
    try:
        low, high = float(below), float(above)
    except (TypeError, ValueError):
        return "–"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    scale = 100.0 if percent else 1.0
    low_text, high_text = f"{low * scale:.1f}", f"{high * scale:.1f}"
    unit = (" 个百分点" if lang == "zh" else " pp") if percent else ""
    return f"±{low_text}{unit}" if low_text == high_text else f"−{low_text}/+{high_text}{unit}"


def counts_as_met(rule: str, verdict: str, estimate_reaches: bool) -> bool:
    """Whether ``verdict`` counts as the target met under ``rule`` (a refused verdict: see the module docstring)."""
    if verdict == "not_judged" and rule == "point_estimate":
        return estimate_reaches
    return verdict in VERDICT_RULES[rule]


def _respondents_needed(n: int, statistic: float, q: float) -> tuple[int | None, int | None]:
    """(additional respondents for 80 % power, total respondents at break-even) if the estimate is the truth."""
    if n <= 0 or not statistic > 0 or not math.isfinite(statistic):
        return None, None
    z_power = float(special.ndtri(POWER_FOR_RESPONDENTS_NEEDED))
    powered = math.ceil(n * ((q + z_power) / statistic) ** 2 - 1e-9)
    break_even = math.ceil(n * (q / statistic) ** 2 - 1e-9)
    return max(powered - n, 0), break_even


# ----------------------------------------------------------------------------------------------------------
# input checks

def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TargetError(f"{what} must be a number; found {type(value).__name__} {value!r}")
    return float(value)


def _checked(estimate: Any, threshold: Any, level: Any, label: str) -> tuple[float, float]:
    if not isinstance(estimate, Estimate):
        raise TargetError(f"check_target needs an Estimate (from the estimators or surveys.estimate_measure); found "
                          f"{type(estimate).__name__} {estimate!r}; for a number and its interval build "
                          "surveys.Estimate(estimate=…, std_error=…, ci_low=…, ci_high=…, df=…)")
    name = label or estimate.variable or "the estimate"
    threshold = _number(threshold, "the threshold")
    if estimate.statistic == "proportion" and not 0.0 < threshold < 1.0:
        raise TargetError(f"a rate target must be a share in (0, 1) (0.80 for 80%); found {threshold!r}")
    level = estimate.level if level is None else _number(level, "the level")
    if not 0.0 < level < 1.0:
        raise TargetError(f"level must be in (0, 1) (0.95 for 95%); found {level!r}")
    for attribute in ("estimate", "std_error", "ci_low", "ci_high"):
        _number(getattr(estimate, attribute), f"{attribute} of {name}")
    if not math.isfinite(estimate.estimate):
        raise TargetError(f"cannot judge {name} against {threshold:g}: the estimate is {estimate.estimate} "
                          "(no respondents in the base?)")
    if estimate.statistic == "proportion" and not 0.0 <= estimate.estimate <= 1.0:
        raise TargetError(f"{name} is a proportion, so its estimate must lie in [0, 1]; found {estimate.estimate!r}; "
                          "give rates as shares (0.85 for 85%)")
    if not (estimate.std_error >= 0 and math.isfinite(estimate.std_error)):
        raise TargetError(f"the standard error of {name} must be a finite number ≥ 0; found {estimate.std_error!r}")
    if estimate.ci_low > estimate.ci_high:
        raise TargetError(f"the interval of {name} is reversed: ci_low {estimate.ci_low!r} > ci_high "
                          f"{estimate.ci_high!r}; give the lower limit first")
    if not estimate.ci_low <= estimate.estimate <= estimate.ci_high and not math.isnan(estimate.ci_low):
        raise TargetError(f"the interval [{estimate.ci_low!r}, {estimate.ci_high!r}] of {name} does not contain its "
                          f"estimate {estimate.estimate!r}; check which numbers were passed")
    return threshold, level


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
    (proportions through the CI registry of :mod:`surveys.estimation.ci`, other statistics as a t interval) and the verdict,
    the p-value and the margins all follow the recomputed interval.
    """
    threshold, level = _checked(estimate, threshold, level, label)
    if rule not in VERDICT_RULES:
        raise TargetError(f"unknown verdict rule {rule!r}; expected one of {sorted(VERDICT_RULES)}")
    if comparison not in _COMPARISONS:
        raise TargetError(f"unknown comparison {comparison!r}; expected one of {sorted(_COMPARISONS)}")
    method = _method(estimate, ci_method)
    if method in _NOT_INVERTIBLE:
        raise TargetError(f"a verdict needs an interval it can invert into a test; the {method} interval needs the "
                          "respondent data: judge with ci_method 'logit' (the default), 'beta' or 'korn_graubard'")
    reaches = _COMPARISONS[comparison]
    try:
        low, high = _interval(estimate, level=level, method=method)
        statistic, p_value, scale = _test(estimate, threshold, method, level, low, high, reaches)
    except EstimationError as error:
        raise TargetError(f"cannot judge {label or estimate.variable or 'the estimate'}: {error}") from None
    refusals = _refusals(estimate)
    verdict = "not_judged" if refusals else _verdict(estimate.estimate, low, high, threshold, reaches)
    q = _quantile(0.5 + level / 2.0, _interval_df(estimate, method))
    additional, break_even = _respondents_needed(estimate.respondents, statistic, q)
    if verdict == "met":
        additional = 0
    elif not reaches(estimate.estimate, threshold):
        additional = break_even = None
    return TargetCheck(
        threshold=threshold,
        comparison=comparison,
        rule=rule,
        estimate=estimate.estimate,
        std_error=estimate.std_error,
        ci_low=low,
        ci_high=high,
        level=level,
        df=_interval_df(estimate, method),
        ci_method=method,
        margin_of_error=max(estimate.estimate - low, high - estimate.estimate),
        margin_to_target=low - threshold,
        t_statistic=statistic,
        p_value=p_value,
        verdict=verdict,
        target_met=counts_as_met(rule, verdict, reaches(estimate.estimate, threshold)),
        respondents=estimate.respondents,
        design_effect=estimate.design_effect,
        additional_respondents=additional,
        label=label or estimate.variable,
        domain=dict(estimate.domain),
        margin_below=estimate.estimate - low,
        margin_above=high - estimate.estimate,
        test_scale=scale,
        effective_size=effective_sample_size(estimate),
        break_even_respondents=break_even,
        not_judged_reasons=refusals,
    )


def check_targets(
    estimates: EstimateTable | Iterable[Estimate],
    threshold: float = 0.80,
    **options: Any,
) -> TargetTable:
    """:func:`check_target` for every row of a table (e.g. every domain), with the same threshold and options."""
    return TargetTable(tuple(check_target(row, threshold, **options) for row in estimates))
