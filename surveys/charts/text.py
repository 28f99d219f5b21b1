"""The charts' own wording in Chinese and English (axis titles, legends, notes).

Labels of indicators, districts, categories and departments are data and come with the tables; only the
chart furniture is worded here. Verdict names come from :data:`surveys.indicators.targets.VERDICT_LABELS`.
"""
from __future__ import annotations

from typing import Any, Mapping

from surveys.errors import ChartError
from surveys.indicators.targets import CENSUS_VERDICT_LABELS, VERDICT_LABELS
from surveys.wording import LANGUAGES, Wording

__all__ = ["LANGUAGES", "PHRASES", "CENSUS_VERDICT_LABELS", "phrase", "check_language", "verdict_label", "percent"]

PHRASES: Mapping[str, Mapping[str, str]] = {
    "rate_with_interval": {"zh": "比率及 {level} 置信区间", "en": "Rate with {level} confidence interval"},
    "rate": {"zh": "比率", "en": "Rate"},
    "target": {"zh": "目标 {value}", "en": "Target {value}"},
    "targets": {"zh": "目标值", "en": "Target"},
    "exact_value": {"zh": "行政数据（精确值）", "en": "administrative (exact)"},
    "exact_note": {
        "zh": "行政数据为精确值，无误差区间。",
        "en": "Administrative figures are exact: no interval.",
    },
    "left_out_note": {
        "zh": "未显示：无数据的指标 {no_data} 项，非比率指标（如次数、人数）{not_share} 项。",
        "en": "Not shown: {no_data} targets without data, {not_share} targets that are not rates (counts).",
    },
    "census_respondents": {"zh": "普查 · n={respondents}", "en": "census · n={respondents}"},
    "census_note": {
        "zh": "普查指标（如建议提案办理）无抽样误差，其区间为未回收意见表全按不满意 / 全按满意计的上下界。",
        "en": "Census indicators (e.g. proposal handling) have no sampling error; their range runs from every "
              "unreturned form unsatisfied to every one satisfied.",
    },
    "verdict": {"zh": "结论", "en": "Verdict"},
    "target_chart_title": {"zh": "各项指标与目标", "en": "Indicators against their targets"},
    "share_of_answers": {"zh": "回答占比", "en": "Share of answers"},
    "likert_title": {"zh": "各题回答分布", "en": "Distribution of answers by item"},
    "apart": {"zh": "单列", "en": "shown apart"},
    "domain_title": {"zh": "分区县结果", "en": "Results by district"},
    "reliable": {"zh": "可靠", "en": "reliable"},
    "unreliable": {"zh": "不可靠（仅供参考）", "en": "unreliable (interpret with care)"},
    "review": {"zh": "需复核", "en": "to review"},
    "unreliable_note": {
        "zh": "空心点：需复核；空心点加灰色虚线区间：估计不可靠，仅供参考。{reasons}",
        "en": "Hollow points: to review; hollow points with grey dashed intervals: unreliable, interpret with care. "
              "{reasons}",
    },
    "paired_title": {"zh": "分组比较", "en": "Comparison"},
    "mode_title": {"zh": "纸质问卷与网络问卷", "en": "Paper and online questionnaires"},
    "weighting_title": {"zh": "加权前后", "en": "Before and after weighting"},
    "weights_title": {"zh": "权重分布", "en": "Distribution of weights"},
    "weight": {"zh": "权重", "en": "Weight"},
    "respondent_count": {"zh": "受访者人数", "en": "Respondents"},
    "kish": {
        "zh": "Kish 设计效应 {design_effect}\n有效样本量 {effective} / {respondents} 人",
        "en": "Kish design effect {design_effect}\neffective sample size {effective} of {respondents}",
    },
    "kish_before": {"zh": "（加权前 {design_effect}）", "en": "(before weighting: {design_effect})"},
    "equal_before": {"zh": "加权前（均为 {weight}）", "en": "Before weighting (all {weight})"},
    "margins_title": {"zh": "加权前后的样本结构与总体结构", "en": "Sample, weighted and population shares"},
    "share": {"zh": "占比", "en": "Share"},
    "sample_share": {"zh": "样本（加权前）", "en": "Sample (before weighting)"},
    "weighted_share": {"zh": "加权后", "en": "Weighted"},
    "population_share": {"zh": "总体", "en": "Population"},
    "waves_title": {"zh": "历次调查趋势", "en": "Trend across survey waves"},
    "wave": {"zh": "调查波次", "en": "Survey wave"},
    "significant_note": {
        "zh": "* 与 {reference} 相比的变化在统计上显著（变化的置信区间不含 0）",
        "en": "* change against {reference} is statistically significant (its confidence interval excludes 0)",
    },
    "handling_title": {"zh": "各承办单位办理满意率", "en": "Satisfaction with proposal handling by department"},
    "returned_rate": {"zh": "已回收意见表中的满意率", "en": "Rate among returned forms"},
    "bounds": {
        "zh": "未回收意见表全按不满意 / 全按满意计的区间",
        "en": "Range if every unreturned form were unsatisfied / satisfied",
    },
    "returned": {"zh": "回收 {returned}/{total}", "en": "returned {returned}/{total}"},
    "change": {"zh": "{change}个百分点", "en": "{change} pp"},
    "before_weighting": {"zh": "加权前", "en": "Before weighting"},
    "after_weighting": {"zh": "加权后", "en": "After weighting"},
    "paper": {"zh": "纸质问卷", "en": "Paper"},
    "online": {"zh": "网络问卷", "en": "Online"},
}


_PHRASES = Wording(PHRASES, error=ChartError, subject="chart language")
check_language = _PHRASES.check_language


def phrase(key: str, lang: str, **values: Any) -> str:
    """The chart wording ``key`` in ``lang``, with ``values`` filled in."""
    return _PHRASES.get(key, lang, **values)


def verdict_label(verdict: str, lang: str, *, census: bool = False) -> str:
    """The verdict's name in ``lang`` (for a census, worded with the non-response bounds)."""
    try:
        return (CENSUS_VERDICT_LABELS if census else VERDICT_LABELS)[verdict][check_language(lang)]
    except KeyError:
        raise ChartError(
            f"unknown verdict {verdict!r}; expected one of {sorted(VERDICT_LABELS)} (from surveys.indicators.targets)"
        ) from None


def percent(share: float, decimals: int = 0) -> str:
    """A share in 0–1 as a percentage, ASCII minus (``0.8`` → ``"80%"``)."""
    return f"{share * 100:.{decimals}f}%"
