"""Every word the workbook and the HTML report print, in Chinese and English, in one table.

Indicator names, units, districts, positive sets and bases are data and come with the report's tables;
only the report's own furniture is worded here (a :class:`~surveys.wording.Wording` table). Verdict names come from
:data:`surveys.indicators.targets.VERDICT_LABELS` so that the charts, the workbook and the HTML say the same thing.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from surveys.errors import ReportError
from surveys.indicators.targets import VERDICT_LABELS
from surveys.wording import LANGUAGES, Wording

__all__ = ["LANGUAGES", "LABELS", "VERDICT_STYLES", "VerdictStyle", "label", "verdict_label", "check_language"]

_LABELS: dict[str, tuple[str, str]] = {
    # sheets and sections
    "overview": ("总览", "Overview"),
    "indicators": ("分项结果", "Results by indicator"),
    "charts": ("图表", "Charts"),
    "method": ("方法", "Method"),
    "quality": ("数据质量", "Data quality"),
    "weights": ("权重", "Weights"),
    "contents": ("目录", "Contents"),
    # report furniture
    "report_title": ("满意度调查验收报告", "Satisfaction survey acceptance report"),
    "generated": ("生成时间 {run_time} · surveys {version}", "Generated {run_time} · surveys {version}"),
    "wave": ("调查波次：{wave}", "Survey wave: {wave}"),
    "wave_item": ("调查波次", "Survey wave"),
    "overview_note": (
        "判定读自置信区间：下限达到目标为“达标（有统计把握）”；点估计达到而下限未达到为“达标但在误差范围内”；"
        "点估计未达到而上限达到为“未达标但在误差范围内”；上限未达到为“未达标”；样本不足以判断时“不作判定”（比例为0或100%、"
        "有效样本量不足30或设计自由度小于8）。判定、单侧 p 值与“误差（下/上）”来自同一区间：下限达到目标 ⇔ 单侧 p ≤ 0.025。"
        "是否计为达标由各指标的判定规则决定。",
        "Verdicts are read off the confidence interval: lower bound at the target — met; estimate at the target but "
        "not the lower bound — met, within the margin of error; estimate below but upper bound at the target — not met, "
        "within the margin of error; upper bound below — not met; not judged when the sample cannot carry a verdict "
        "(a rate of 0% or 100%, an effective sample below 30, or fewer than 8 design degrees of freedom). The "
        "verdict, the one-sided p-value and the margins (below/above) come from the same interval: lower bound at "
        "the target ⇔ one-sided p ≤ 0.025. Whether a verdict counts as met is the target's rule.",
    ),
    "additional_note": (
        "“达标尚需增加样本”：若真实满意率等于当前估计值、设计效应不变，再增加这么多受访者，判定为“达标（有统计把握）”的"
        "把握为80%；“刚好达标所需样本”是当前估计值恰好使区间下限达到目标的样本量，此时判定达标的把握只有约一半。",
        "'Respondents still needed': if the true rate equals the current estimate and the design effect holds, this "
        "many more respondents give an 80% chance that the verdict is 'met'; 'respondents at break-even' is the "
        "size at which the current estimate would just reach the bar, which gives 'met' only about half the time.",
    ),
    "robustness": ("稳健性", "Robustness"),
    "robustness_alternatives": ("各调查指标在不同口径下的结果", "Each survey indicator under other choices"),
    "robustness_modes": ("纸质问卷与网络问卷的差异", "Paper − online difference"),
    "robustness_note": (
        "同一指标按验收审查常问的口径重算，并用同一判定规则判定：基数是否计入“不了解”；不加权与权重截尾；仅纸质问卷、"
        "仅网络问卷（为合并加权设计中的分组估计）；研究设定整群时，不考虑整群。基于全部样本的口径改变“是否计为达标”或使点估计落到"
        "目标另一侧，记为“不一致”；单一调查方式只是部分样本、精度较低，仅当其点估计落到目标另一侧时记为“不一致”。总览中的"
        "“稳健性”据此写明结论取决于什么。",
        "Each survey indicator recomputed under the choices an acceptance review asks about, and judged by the same "
        "rule: don't-know answers in or out of the base; unweighted and with trimmed weights; paper only and online "
        "only (domains of the pooled weighted design); without the clusters where the study declares them. A choice "
        "on the whole sample disagrees when it changes whether the target counts as met or puts the estimate on "
        "the other side of the target; a single mode, a less precise part of the sample, disagrees only when its "
        "estimate falls on the other side. The overview's robustness column names what disagrees.",
    ),
    "mode_difference_note": (
        "差值 = 纸质 − 网络（个百分点），区间与 p 值为设计基础的（考虑加权与分层）；两种方式的受访者构成不同，差异不全是方式效应。",
        "Difference = paper − online (points); interval and p-value are design-based (weights and strata); the two "
        "modes reach different people, so the difference is not only a mode effect.",
    ),
    "agrees_yes": ("一致", "agrees"),
    "agrees_no": ("不一致", "disagrees"),
    "agrees_not_judged": ("不作判定", "not judged"),
    "col_alternative": ("口径", "Choice"),
    "col_agrees": ("与报告口径", "Against the reported"),
    "col_first_mode": ("纸质问卷", "Paper"),
    "col_second_mode": ("网络问卷", "Online"),
    "col_difference": ("差值（纸质−网络）", "Difference (paper − online)"),
    "col_p_value_two_sided": ("p 值（双侧）", "p-value (two-sided)"),
    "col_significant": ("差异显著", "Significant"),
    "col_first_respondents": ("纸质样本量", "Paper respondents"),
    "col_second_respondents": ("网络样本量", "Online respondents"),
    "col_margins": ("误差（下/上）", "Margin (below/above)"),
    "col_number": ("序号", "No."),
    "col_interval_kind": ("区间类型", "Interval"),
    "col_interval_bounds": ("区间", "interval"),
    "col_notes": ("说明", "Notes"),
    "col_plan_text": ("方案原文", "The plan's words"),
    "kind_bounds": ("未回收意见表界限", "non-response bounds"),
    "kind_exact": ("精确值（无区间）", "exact (no interval)"),
    "overview_detail": ("指标明细", "Targets in detail"),
    "footnote_heading": ("指标全称（方案原文）：", "The targets in the plan's words:"),
    "page_footer": ("第 &P 页，共 &N 页", "Page &P of &N"),
    "col_robustness": ("稳健性", "Robustness"),
    "col_warnings": ("提示", "Warnings"),
    "col_effective_size": ("有效样本量（Kish）", "Effective sample size (Kish)"),
    "col_p_value": ("单侧 p 值", "One-sided p-value"),
    "col_break_even_respondents": ("刚好达标所需样本", "Respondents at break-even"),
    "decision_rule": ("判定规则", "Decision rule"),
    "decision_rule_text": (
        "判定、单侧 p 值和误差都来自同一置信区间：下限达到目标 ⇔ 由该区间反推的单侧检验 p ≤ {alpha}（logit 区间在 logit "
        "尺度上检验）；比例为0或100%、有效样本量（Kish）不足30或设计自由度小于8时不作判定",
        "verdict, one-sided p-value and margins all come from one interval: lower bound at the target ⇔ the one-sided "
        "test inverted from it gives p ≤ {alpha} (on the logit scale for the logit interval); not judged at 0% or "
        "100%, with an effective sample (Kish) below 30 or fewer than 8 design degrees of freedom",
    ),
    "sample_design": ("抽样设计", "Sample design"),
    "sample_design_default": ("未声明分层或整群：每位受访者为独立单元（加权样本的有放回方差）",
                              "no strata or clusters declared: every respondent their own unit (with-replacement "
                              "variance of a weighted sample)"),
    "col_effective_sample_size_all": ("有效样本量（全部受访者）", "Effective sample size (all respondents)"),
    "exact_note": (
        "行政记录类指标为精确数字：无抽样误差，也无区间，判定只有“达标”与“未达标”。",
        "Administrative figures are exact: no sampling error and no interval; their verdict is met or not met.",
    ),
    "census_note": (
        "普查类指标（如代表建议办理满意率）无抽样误差，区间为未回收意见表全按不满意/全按满意计算的上下界。",
        "Census indicators (e.g. proposal handling) have no sampling error: their interval is the range obtained "
        "by counting every unreturned form as unsatisfied / satisfied.",
    ),
    "other_bases_note": (
        "网页版只列判定所用基数的结果；其他基数（如剔除“不了解”）的结果见工作簿。",
        "This page lists the base each verdict uses; results on the other bases (e.g. without don't-know) are in "
        "the workbook.",
    ),
    "index_note": (
        "满意度指数为各等级得分（0–100）的加权平均，“不了解”不计分。",
        "The satisfaction index is the weighted mean of the category scores (0–100); don't-know answers carry no score.",
    ),
    "measure_note": (
        "满意率为含基本满意在内的正面回答占比（见“满意的口径”）；可靠性按 NCHS 比例数据发布标准判断。",
        "Rates are the share of positive answers (see “positive set”); reliability follows the NCHS data "
        "presentation standards for proportions.",
    ),
    "no_rows": ("（无数据）", "(none)"),
    "no_charts": ("未提供图表。", "No charts were given."),
    "chart_svg_only": ("图表 {name} 仅有 SVG 格式：{path}", "Chart {name} is available as SVG only: {path}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "lower_of": ("{header}下限", "{header}: lower"),
    "upper_of": ("{header}上限", "{header}: upper"),
    "no_sampling_error": ("无抽样误差", "no sampling error"),
    "exact_figure": ("精确值", "exact"),
    "bounds_method": ("未回收表上下界", "non-response bounds"),
    "no_data": ("无数据", "no data"),
    "unweighted": (
        "未加权：总体边际表尚未填写（或未提供），各项估计按样本原样计算，每位受访者权重相同，不代表总体结构；"
        "填写边际表后重新运行即加权。",
        "Unweighted: the population margins are not filled in (or not given), so every estimate counts each "
        "respondent alike and does not reflect the population's make-up; fill in the margins and run again to "
        "weight.",
    ),
    "demo_data": (
        "注意：本报告含演示用的虚构数据（标有“演示数据”的行），不能作为验收依据。",
        "Note: this report contains made-up demonstration data (rows marked “demo data”); it is not evidence "
        "for acceptance.",
    ),
    "demo_mark": ("演示数据", "demo data"),
    "col_section": ("部分", "Section"),
    "col_note": ("说明", "Note"),
    "col_evidence": ("依据", "Evidence"),
    "col_questionnaire": ("问卷", "Questionnaire"),
    "col_file_role": ("用途", "Role"),
    "overall": ("全体", "overall"),
    "suppressed_mark": ("不可靠", "unreliable"),
    # overview columns
    "col_target_id": ("编号", "ID"),
    "col_indicator": ("指标", "Indicator"),
    "col_responsible_unit": ("责任单位", "Responsible unit"),
    "col_source_kind": ("数据来源", "Source"),
    "col_estimate": ("结果", "Result"),
    "col_interval": ("置信区间", "confidence interval"),
    "col_margin_of_error": ("误差幅度（较大一侧）", "Margin of error (larger half)"),
    "col_threshold": ("目标", "Target"),
    "col_verdict": ("判定", "Verdict"),
    "col_target_met": ("计为达标", "Counted as met"),
    "col_rule": ("判定规则", "Verdict rule"),
    "col_respondents": ("样本量", "Respondents"),
    "col_positive_set": ("满意的口径", "Positive set"),
    "col_base": ("基数", "Base"),
    "col_ci_method": ("区间方法", "Interval method"),
    "col_level": ("置信水平", "Confidence level"),
    "col_df": ("自由度", "Degrees of freedom"),
    "col_design_effect": ("设计效应", "Design effect"),
    "col_additional_respondents": ("达标尚需增加样本（80%把握）", "Respondents still needed (80% chance)"),
    # indicator sheets
    "col_domain_variable": ("分组变量", "Domain variable"),
    "col_domain": ("分组", "Domain"),
    "col_std_error": ("标准误", "Standard error"),
    "col_effective_sample_size": ("有效样本量", "Effective sample size"),
    "col_reliability": ("可靠性", "Reliability"),
    "col_reliability_reasons": ("可靠性说明", "Reliability notes"),
    "col_used_for_verdict": ("用于判定", "Used for the verdict"),
    # method
    "method_targets": ("各指标的口径", "What each indicator counts"),
    "method_estimation": ("估计方法", "Estimation"),
    "method_rules": ("判定规则", "Verdict rules"),
    "method_margins": ("加权所用的总体结构", "Weighting margins and their sources"),
    "method_files": ("输入文件及其哈希值", "Input files and their hashes"),
    "method_notes": ("说明", "Notes"),
    "item": ("项目", "Item"),
    "value": ("内容", "Value"),
    "ci_method": ("置信区间方法", "Confidence interval method"),
    "level": ("置信水平", "Confidence level"),
    "weighting_method": ("加权方法", "Weighting method"),
    "toolkit_version": ("工具包版本", "Toolkit version"),
    "run_time": ("运行时间", "Run time"),
    "df_note": (
        "自由度为设计自由度（PSU 数减层数），各指标见上表。比率的区间默认为 logit 区间：在 logit 尺度上取 ±t(1−α/2, df) × "
        "标准误再变换回比例，因此上下不对称，报告给出下、上两侧的误差，而不是一个“±”。",
        "Degrees of freedom are the design's (PSUs minus strata), per indicator above. A rate's interval is by "
        "default the logit interval: ±t(1−α/2, df) × standard error on the logit scale, transformed back, so it is "
        "asymmetric and the report gives both halves rather than one ±.",
    ),
    "col_rule_name": ("规则", "Rule"),
    "col_rule_description": ("何时计为达标", "When a target counts as met"),
    "col_design": ("设计", "Design"),
    "col_variable": ("变量", "Variable"),
    "col_population": ("总体", "Population"),
    "col_source": ("来源文件", "Source file"),
    "col_role": ("用途", "Role"),
    "col_path": ("文件", "File"),
    "col_sha256": ("SHA-256", "SHA-256"),
    # data quality
    "quality_accounting": ("各文件的行数核对", "Row accounting per file"),
    "quality_reasons": ("剔除与标记原因", "Rejection and flag reasons"),
    "col_platform": ("平台", "Platform"),
    "col_encoding": ("编码", "Encoding"),
    "col_mode": ("方式", "Mode"),
    "col_rows_read": ("读入行数", "Rows read"),
    "col_accepted": ("接受", "Accepted"),
    "col_rejected": ("剔除", "Rejected"),
    "col_flagged": ("标记", "Flagged"),
    "col_balanced": ("接受+剔除=读入", "Accepted + rejected = read"),
    "col_reasons": ("原因", "Reasons"),
    "col_code": ("原因", "Reason"),
    "col_outcome": ("处理", "Outcome"),
    "col_count": ("行数", "Rows"),
    "col_example": ("示例", "Example"),
    # weights
    "weights_diagnostics": ("权重诊断", "Weight diagnostics"),
    "weights_margins": ("加权前后的样本结构", "Margins before and after weighting"),
    "col_method": ("方法", "Method"),
    "col_kish_design_effect": ("Kish 设计效应", "Kish design effect"),
    "col_kish_design_effect_before": ("加权前 Kish 设计效应", "Kish design effect before"),
    "col_weight_min": ("最小权重", "Smallest weight"),
    "col_weight_max": ("最大权重", "Largest weight"),
    "col_weight_ratio": ("最大/最小", "Largest / smallest"),
    "col_top_share": ("前1%权重占比", "Share of the top 1% weights"),
    "col_iterations": ("迭代次数", "Iterations"),
    "col_converged": ("已收敛", "Converged"),
    "col_largest_margin_gap": ("最大边际偏差", "Largest margin gap"),
    "col_flags": ("警示", "Warnings"),
    "col_category": ("类别", "Category"),
    "col_target_share": ("总体占比", "Population share"),
    "col_share_before": ("加权前占比", "Share before"),
    "col_share_after": ("加权后占比", "Share after"),
    "col_target_total": ("总体数", "Population total"),
    "col_total_after": ("加权后合计", "Weighted total"),
    # vocabularies
    "source_survey": ("抽样调查", "sample survey"),
    "source_census": ("普查（意见表）", "census (feedback forms)"),
    "source_administrative": ("行政记录", "administrative records"),
    "reliability_ok": ("可靠", "reliable"),
    "reliability_review": ("需复核", "to review"),
    "reliability_suppress": ("不可靠（仅供参考）", "unreliable (interpret with care)"),
    "reliability_census": ("普查，无抽样误差", "census, no sampling error"),
    "outcome_rejected": ("剔除", "rejected"),
    "outcome_flagged": ("标记", "flagged"),
    "rule_ci_lower_bound": (
        "区间下限达到目标（仅“达标（有统计把握）”计为达标）",
        "the lower bound reaches the target (only “met” counts)",
    ),
    "rule_point_estimate": (
        "点估计达到目标（“达标”与“达标但在误差范围内”计为达标）",
        "the estimate reaches the target (“met” and “met, within the margin of error” count)",
    ),
    "rule_ci_upper_bound": (
        "区间上限达到目标（除“未达标”外均计为达标）",
        "the upper bound reaches the target (everything but “not met” counts)",
    ),
    "rule_short_ci_lower_bound": ("下限达到目标", "lower bound"),
    "rule_short_point_estimate": ("点估计达到目标", "point estimate"),
    "rule_short_ci_upper_bound": ("上限达到目标", "upper bound"),
    "chart_target_chart": ("各项指标与目标", "Indicators against their targets"),
    "chart_targets": ("各项指标与目标", "Indicators against their targets"),
    "chart_likert": ("各题回答分布", "Distribution of answers by item"),
    "chart_domains": ("分区县结果", "Results by district"),
    "chart_mode": ("纸质问卷与网络问卷", "Paper and online questionnaires"),
    "chart_weighting": ("加权前后", "Before and after weighting"),
    "chart_weights": ("权重分布", "Distribution of weights"),
    "chart_margins": ("加权前后的样本结构与总体结构", "Sample, weighted and population shares"),
    "chart_waves": ("历次调查趋势", "Trend across survey waves"),
    "chart_proposals": ("各承办单位办理满意率", "Satisfaction with proposal handling by department"),
    # the toolkit's domain and weighting variables (surveys.indicators.measures.MEASURE_DOMAINS); others print as named
    "variable_district": ("区县", "district"),
    "variable_mode": ("调查方式", "survey mode"),
    "variable_respondent_type": ("受访者类型", "respondent type"),
    "variable_sex": ("性别", "sex"),
    "variable_age_group": ("年龄组", "age group"),
    "variable_wave": ("调查波次", "wave"),
    "variable_department": ("承办单位", "handling department"),
    # what to improve (one section per survey target)
    "analysis_title": ("改进分析：{indicator}", "What to improve: {indicator}"),
    "analysis_sheet": ("改进·{indicator}", "Improve · {indicator}"),
    "analysis_groups": ("哪些群体满意率偏低：分组比较", "Which groups are less satisfied: comparison by group"),
    "analysis_drivers": ("先改进什么：驱动因素与重要性–表现四分图", "What to improve first: drivers and the "
                         "importance–performance map"),
    "analysis_reliability": ("量表信度（Cronbach α）", "Reliability of the scales (Cronbach's α)"),
    "analysis_reliability_items": ("量表各分项", "Items of the scales"),
    "analysis_alpha_pointer": (
        "α 的含义与局限见“方法”部分。计算 α 只用全部分项都有得分的受访者，样本量因此少于全部受访者。",
        "What α means and does not mean: see the Method section. α uses the respondents with a score on every "
        "item, fewer than all respondents.",
    ),
    "col_group_variable": ("分组变量", "Grouped by"),
    "col_group": ("组别", "Group"),
    "col_difference_rest": ("与其余受访者之差", "Difference from the rest"),
    "col_p_value_adjusted": ("校正后 p 值", "Adjusted p-value"),
    "col_p_value_raw": ("未校正 p 值", "Unadjusted p-value"),
    "col_rest_comparison": ("与其余受访者相比", "Against the rest"),
    "rest_below": ("显著偏低", "significantly lower"),
    "rest_above": ("显著偏高", "significantly higher"),
    "rest_none": ("差异不显著", "not significant"),
    "rest_unreliable": ("样本不足，不作比较", "too few to compare"),
    "col_item": ("分项", "Item"),
    "col_importance_interval": ("重要性 {level} 置信区间", "Importance, {level} CI"),
    "col_performance_interval": ("满意率 {level} 置信区间", "Satisfaction rate, {level} CI"),
    "col_odds_ratio": ("优势比", "Odds ratio"),
    "col_no_answer_share": ("未回答占比", "Share without an answer"),
    "col_quadrant": ("四分图区域", "Quadrant"),
    "col_priority": ("先改进顺序", "Improve-first rank"),
    "col_scale": ("量表", "Scale"),
    "col_alpha": ("Cronbach α", "Cronbach's α"),
    "col_items": ("分项数", "Items"),
    "col_alpha_respondents": ("计算所用样本量", "Respondents used"),
    "col_scoring": ("计分方式", "Scoring"),
    "scoring_scores": ("各等级得分（量表分值）", "the scale's category scores"),
    "scoring_satisfied": ("满意计 1、其他计 0（KR-20）", "1 if satisfied, else 0 (KR-20)"),
    "method_analyses": ("改进分析的方法", "How the what-to-improve analyses were made"),
    "method_analysis_groups": ("分组比较", "Group comparisons"),
    "method_analysis_drivers": ("驱动因素与四分图", "Drivers and the quadrant map"),
    "method_analysis_reliability": ("信度（α）", "Reliability (α)"),
    "chart_drivers": ("重要性–表现四分图", "Importance–performance map"),
    "role_export": ("问卷导出文件", "survey export"),
    "role_margins": ("总体结构", "population margins"),
    "role_targets": ("指标登记表", "targets register"),
    "role_questionnaire": ("问卷定义", "questionnaire"),
    "role_study": ("研究设定", "study spec"),
    "role_register": ("意见表登记", "proposal register"),
    "role_ingested": ("已导入", "ingested"),
    "role_labels": ("选项文本导出", "option-text export"),
    "role_second_keying": ("第二次录入", "second keying"),
    "role_copy": ("另存副本", "copy"),
    "role_census_forms": ("意见表", "feedback forms"),
    "role_census_register": ("建议提案登记表", "proposal register"),
}

# The Word report (report.docx): its parts, title page, captions and the sentence written for each indicator.
_DOCUMENT_LABELS: dict[str, tuple[str, str]] = {
    "doc_part_survey": ("调查概况", "The survey"),
    "doc_part_findings": ("主要结论", "Main findings"),
    "doc_part_indicators": ("分项结果", "Results by indicator"),
    "doc_part_method": ("方法说明", "Method"),
    "doc_annex": ("附件{number}", "Annex {number}"),
    "doc_annex_charts": ("其他图表", "Other charts"),
    "doc_fieldwork": ("数据来源与回收", "Inputs and returns"),
    "doc_samples": ("样本", "Samples"),
    "doc_samples_table": ("各项调查的读入、接受与剔除", "Rows read, accepted and rejected by survey"),
    "doc_fieldwork_text": (
        "本次共读入 {files} 个数据文件 {rows_read} 行：接受 {accepted} 行，剔除 {rejected} 行，另标记 {flagged} 行"
        "（标记的行保留在样本中）。{balance}各文件的明细与剔除原因见{annex}。",
        "{files} data files with {rows_read} rows were read: {accepted} accepted and {rejected} rejected, and "
        "{flagged} flagged (flagged rows stay in the sample). {balance}Each file and the reasons are in {annex}.",
    ),
    "doc_balanced_all": ("每个文件均满足“接受 + 剔除 = 读入”。", "Every file satisfies accepted + rejected = read. "),
    "doc_balanced_not": ("有 {count} 个文件不满足“接受 + 剔除 = 读入”，须核查。",
                         "{count} files do not satisfy accepted + rejected = read and must be checked. "),
    "doc_total": ("合计", "Total"),
    "doc_overall": ("总体情况", "Overall"),
    "doc_overview_table": ("各项指标的结果与判定", "Every target: result and verdict"),
    "doc_headline": ("结果与判定", "Result and verdict"),
    "doc_items": ("各项测量结果", "Measures"),
    "doc_domains": ("分组结果", "By group"),
    "doc_items_note": ("均为判定所用基数上的结果。", "All on the base the verdict uses."),
    "doc_flagged_mark": ("※", "*"),
    "doc_flagged_note": ("标“※”的行需复核或不可靠，仅供参考：", "Rows marked * are to be reviewed or unreliable; "
                         "interpret with care:"),
    "doc_intervals": ("区间估计", "Intervals"),
    "doc_weighting": ("抽样设计与加权", "Sample design and weighting"),
    "doc_run": ("运行信息", "This run"),
    "doc_notes": ("其他说明", "Other notes"),
    "doc_survey_year": ("调查年度：{wave}", "Survey year: {wave}"),
    "doc_units": ("责任单位：{units}", "Responsible units: {units}"),
    "doc_date": ("报告日期：{date}", "Date of the run: {date}"),
    "doc_table": ("表{number}", "Table {number}"),
    "doc_figure": ("图{number}", "Figure {number}"),
    "doc_note": ("注：{text}", "Note: {text}"),
    "doc_file_details": ("问卷：{questionnaire}", "Questionnaire: {questionnaire}"),
    "doc_weights_table": ("权重诊断（各调查、各加权步骤）", "Weight diagnostics (each survey and weighting step)"),
    "doc_margins_of": ("加权前后的样本结构：{design}", "Margins before and after weighting: {design}"),
    "doc_targets_method_note": ("行政记录类指标为精确数字，不在此表。", "Administrative figures are exact and not in "
                                "this table."),
    # the sentence written for each survey or census indicator: only what its row in the tables says
    "narrative_value": ("{name}为{value}（{interval}{low}–{high}，样本量 {respondents}）",
                        "{name} is {value} ({interval} {low}–{high}; {respondents} respondents)"),
    "narrative_value_exact": ("{name}为{value}（精确值）", "{name} is {value} (exact)"),
    "narrative_ci": ("{level}%置信区间", "{level}% confidence interval"),
    "narrative_met": ("区间下限达到{target}的目标", "the lower end of the interval reaches the target of {target}"),
    "narrative_met_within_margin": ("点估计达到{target}的目标，但区间下限低于目标",
                                    "the estimate reaches the target of {target} but the lower end of the interval "
                                    "does not"),
    "narrative_not_met_within_margin": ("点估计低于{target}的目标，但区间上限达到目标",
                                        "the estimate is below the target of {target} but the upper end of the "
                                        "interval reaches it"),
    "narrative_not_met": ("区间上限低于{target}的目标", "the upper end of the interval is below the target of {target}"),
    "narrative_not_judged": ("样本不足以对{target}的目标作出判定", "the sample cannot carry a verdict on the target of "
                             "{target}"),
    "narrative_exact_met": ("达到{target}的目标", "it reaches the target of {target}"),
    "narrative_exact_not_met": ("未达到{target}的目标", "it does not reach the target of {target}"),
    "narrative_sentence": ("{value}，{clause}，判定为“{verdict}”；{rule}。", "{value}: {clause}; the verdict is "
                           "“{verdict}”; {rule}."),
    "narrative_sentence_no_data": ("{name}尚无数据；{rule}。", "{name} has no data yet; {rule}."),
    "narrative_rule_met": ("按本指标的判定规则（{rule}）计为达标", "under its rule ({rule}) it counts as met"),
    "narrative_rule_not_met": ("按本指标的判定规则（{rule}）计为未达标", "under its rule ({rule}) it counts as not met"),
    "narrative_robustness": ("稳健性：{text}。", "Robustness: {text}."),
    "narrative_warnings": ("提示：{text}。", "Note: {text}."),
}
_LABELS.update(_DOCUMENT_LABELS)

LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {key: MappingProxyType({"zh": zh, "en": en}) for key, (zh, en) in _LABELS.items()}
)


def _code_as_shown(key: str) -> str:
    """An unknown vocabulary code (``role_x``, ``variable_x``) is shown as the code itself: a new code from another
    stage must never break the report."""
    return key.split("_", 1)[-1] if "_" in key else key


_WORDING = Wording(_LABELS, error=ReportError, subject="report language", unknown=_code_as_shown)
check_language = _WORDING.check_language
_VERDICTS = Wording(VERDICT_LABELS, error=ReportError, subject="report language")


def label(key: str, lang: str, **values: Any) -> str:
    """The report wording ``key`` in ``lang`` with ``values`` filled in; an unknown vocabulary code is
    shown as the code itself."""
    return _WORDING.get(key, lang, **values)


def verdict_label(verdict: str, lang: str) -> str:
    """The words of ``verdict`` (surveys.indicators.targets.VERDICT_LABELS; ``no_data``: 无数据)."""
    return _VERDICTS.get(verdict, lang) if verdict in _VERDICTS else label(verdict, lang)


class VerdictStyle:
    """How a verdict is marked: a light fill behind dark text, a border in the charts' colour, and a
    symbol with the charts' marker shape, so the verdict never depends on colour alone."""

    __slots__ = ("fill", "border", "text", "symbol")

    def __init__(self, fill: str, border: str, text: str, symbol: str) -> None:
        self.fill, self.border, self.text, self.symbol = fill, border, text, symbol


# Hues of surveys.charts.style.VERDICT_COLOURS (Okabe–Ito, colour-blind safe); symbols follow its markers.
VERDICT_STYLES: Mapping[str, VerdictStyle] = MappingProxyType({
    "no_data": VerdictStyle(fill="#EEEEEE", border="#9E9E9E", text="#3A3A3A", symbol="○"),
    "met": VerdictStyle(fill="#C9E1F2", border="#0072B2", text="#0B2F4A", symbol="●"),
    "met_within_margin": VerdictStyle(fill="#E3F3FC", border="#56B4E9", text="#123B52", symbol="◆"),
    "not_met_within_margin": VerdictStyle(fill="#FCE8C4", border="#E69F00", text="#4D3500", symbol="■"),
    "not_met": VerdictStyle(fill="#F7D3C0", border="#D55E00", text="#4F1F00", symbol="▼"),
    "not_judged": VerdictStyle(fill="#E6E6E6", border="#7F7F7F", text="#262626", symbol="×"),
})
