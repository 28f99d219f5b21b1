"""Every word the indicator analyses print, in Chinese and English, in one table.

Measure, item, district and category labels are data (questionnaire and margins); only the analyses' own
sentences, column headings, quadrant names and method notes are worded here (a
:class:`~surveys.wording.Wording` table). ``say(key, lang, **values)`` fills the placeholders.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from surveys.errors import EstimationError
from surveys.wording import Text, Wording

__all__ = ["WORDS", "QUADRANT_NAMES", "say", "join"]

_WORDS: dict[str, tuple[str, str]] = {
    # group comparisons
    "group_difference": (
        "按{variable}分组，{measure}的差异在统计上显著（{test}，p {p}）。",
        "{measure} differs significantly by {variable} ({test}, p {p}).",
    ),
    "group_no_difference": (
        "按{variable}分组，{measure}的差异在统计上不显著（{test}，p {p}）。",
        "{measure} does not differ significantly by {variable} ({test}, p {p}).",
    ),
    "group_below": (
        "显著低于其余受访者的：{groups}。",
        "Significantly below the other respondents: {groups}.",
    ),
    "group_none_below": (
        "没有显著低于其余受访者的组。",
        "No group is significantly below the other respondents.",
    ),
    "group_controlled": (
        "在{others}相同的受访者中，差异仍然显著（设计 Wald F = {statistic}，p {p}），不只是各组受访者构成不同。",
        "With {others} held fixed the difference remains (design-based Wald F = {statistic}, p {p}): it is not only "
        "a difference in who the groups' respondents are.",
    ),
    "group_not_controlled": (
        "在{others}相同的受访者中，差异不再显著（设计 Wald F = {statistic}，p {p}）：差异主要来自各组受访者构成不同。",
        "With {others} held fixed the difference is no longer significant (design-based Wald F = {statistic}, "
        "p {p}): it comes mainly from who the groups' respondents are.",
    ),
    "group_entry": ("{label}（{rate}，低 {gap} 个百分点）", "{label} ({rate}, {gap} points lower)"),
    "group_entry_mean": ("{label}（{rate}，低 {gap}）", "{label} ({rate}, {gap} lower)"),
    "rao_scott_f": ("Rao–Scott 校正 F = {statistic}", "Rao–Scott F = {statistic}"),
    "wald_f": ("设计 Wald F = {statistic}", "design-based Wald F = {statistic}"),
    "multiplicity_note": (
        "每组与其余受访者逐一比较（设计 t 检验），p 值按 {adjustment} 法校正多重比较，显著性水平 {alpha}；"
        "各组之间是否有差异的总体检验：{test_name}。",
        "Each group is compared with the other respondents (design-based t test); p-values are adjusted for "
        "multiple comparisons by the {adjustment} method at level {alpha}; the overall difference between the "
        "groups is tested by the {test_name}.",
    ),
    "adjustment_holm": ("Holm", "Holm"),
    "adjustment_bonferroni": ("Bonferroni", "Bonferroni"),
    "adjustment_none": ("不校正", "no"),
    "test_name_rao_scott_f": ("Rao–Scott 二阶校正 F 检验", "Rao–Scott second-order corrected F test"),
    "test_name_wald_f": ("设计 Wald F 检验", "design-based Wald F test"),
    # drivers
    "quadrant_strength": ("优势区", "strengths"),
    "quadrant_maintain": ("维持区", "maintain"),
    "quadrant_improve": ("改进区", "improve first"),
    "quadrant_opportunity": ("机会区", "opportunities"),
    "quadrant_strength_note": ("重要性高、满意率高：保持", "important and well rated: keep it up"),
    "quadrant_maintain_note": ("重要性低、满意率高：维持", "less important, well rated: maintain"),
    "quadrant_improve_note": ("重要性高、满意率低：优先改进", "important but poorly rated: improve first"),
    "quadrant_opportunity_note": ("重要性低、满意率低：择机改进", "less important, poorly rated: improve when possible"),
    "performance": ("满意率（表现）", "Satisfaction rate (performance)"),
    "importance_logit": ("对总体满意的影响（对数优势比）", "Effect on overall satisfaction (log odds ratio)"),
    "importance_linear": ("对总体满意度的影响（回归系数）", "Effect on overall satisfaction (coefficient)"),
    "quadrant_title": ("重要性–表现四分图", "Importance–performance map"),
    "cut_note": (
        "分界线：各分项重要性的{rule}（{importance}）与满意率的{rule}（{performance}）；误差线为 {level} 置信区间。",
        "Cut lines: the {rule} importance ({importance}) and the {rule} satisfaction rate ({performance}) of the "
        "items; bars are {level} confidence intervals.",
    ),
    "cut_mean": ("平均值", "mean"),
    "cut_median": ("中位数", "median"),
    "priorities": ("先改进：{items}。", "Improve first: {items}."),
    "no_priorities": ("没有落在改进区的分项。", "No item falls in the improve-first quadrant."),
    "drivers_method": (
        "表现 = 各分项的加权满意率；重要性 = 在同一个设计加权的 Logistic 回归（拟二项模型）中，"
        "对该分项满意对总体满意的影响（对数优势比，控制其他分项），标准误与置信区间按抽样设计与加权计算；"
        "跳题未问或未回答较多（≥ {minimum} 人）的分项以单独的“未回答”指标进入模型，这些受访者不被剔除；"
        "个别未回答的受访者不进入模型。重要性的置信区间包含 0 的分项，其影响在统计上不能确定。",
        "Performance = each item's weighted satisfaction rate; importance = the effect of being satisfied with "
        "the item on overall satisfaction (log odds ratio, the other items held fixed) in one design-weighted "
        "logistic regression (quasibinomial, R svyglm), with standard errors from the sampling design and the "
        "weighting; an item not asked (skip logic) or left unanswered by {minimum} or more respondents enters "
        "with a separate 'no answer' indicator, so those respondents stay in the model; the few respondents "
        "who left out an item answered by nearly everyone are left out of the model. An item whose importance "
        "interval contains 0 has no effect the sample can establish.",
    ),
    "drivers_method_linear": (
        "表现 = 各分项的加权满意率；重要性 = 在同一个设计加权的线性回归中，对该分项满意对总体指标的"
        "影响（控制其他分项），标准误与置信区间按抽样设计与加权计算；跳题未问或未回答较多（≥ {minimum} 人）的分项以单独的"
        "“未回答”指标进入模型，个别未回答的受访者不进入模型。重要性的置信区间包含 0 的分项，其影响在统计上不能确定。",
        "Performance = each item's weighted satisfaction rate; importance = the effect of being satisfied with "
        "the item on the overall measure (the other items held fixed) in one design-weighted linear regression "
        "(R svyglm), with standard errors from the sampling design and the weighting; an item not asked or "
        "left unanswered by {minimum} or more respondents enters with a separate 'no answer' indicator; the few "
        "respondents who left out an item answered by nearly everyone are left out of the model. An item whose "
        "importance interval contains 0 has no effect the sample can establish.",
    ),
    # reliability
    "alpha_summary": (
        "{label}：Cronbach α = {alpha}（{level} 置信区间 {low}–{high}，{items} 个分项，{respondents} 人）。",
        "{label}: Cronbach's α = {alpha} ({level} CI {low}–{high}, {items} items, {respondents} respondents).",
    ),
    "alpha_method": (
        "信度用 Cronbach α 衡量：各分项得分（量表分值，“不了解”不计分）的加权方差与总分加权方差之比，"
        "只用全部分项都有得分的受访者；置信区间按抽样设计线性化（或重复权重）计算。α 表示这些分项在多大程度上"
        "一起变动（内部一致性），α ≥ 0.7 通常视为可接受；α 不说明分项是否测量了想测的内容（效度），"
        "也不说明量表只测一个维度，分项越多 α 越高。",
        "Reliability is measured by Cronbach's α: the weighted variances of the item scores (the scale's scores; "
        "don't-know has none) against the weighted variance of their sum, over the respondents with a score on "
        "every item; its interval comes from the sampling design (linearization or replicate weights). α says "
        "how much the items move together (internal consistency); 0.7 or more is usually taken as acceptable. "
        "It does not say that the items measure what they are meant to (validity), nor that the scale measures "
        "one thing only, and it rises with the number of items.",
    ),
    "item_rest": ("分项–其余相关", "item–rest correlation"),
    "alpha_if_deleted": ("删除该项后的 α", "α if the item is deleted"),
}

WORDS = Wording(_WORDS, error=EstimationError)

#: quadrant code → its name (四分图: 优势区 / 维持区 / 改进区 / 机会区).
QUADRANT_NAMES: Mapping[str, Text] = MappingProxyType(
    {code: WORDS[f"quadrant_{code}"] for code in ("strength", "maintain", "improve", "opportunity")}
)


def say(key: str, lang: str, **values: Any) -> str:
    """The wording ``key`` in ``lang`` ("zh" or "en") with ``values`` filled in."""
    return WORDS.get(key, lang, **values)


def join(parts: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(parts)
