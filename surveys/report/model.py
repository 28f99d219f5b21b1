"""What the report is made of: a frozen :class:`ReportInput` of plain tidy tables and metadata.

The workbook and the HTML report read nothing else, so they can be tested on small synthetic tables and
the pipeline (or a notebook) only has to fill these tables. Every column is declared below with its kind
and meaning (:data:`TABLE_COLUMNS`); required columns must be present, optional ones get their default.
Column names follow the toolkit's vocabulary (``estimate, std_error, ci_low, ci_high, df, respondents,
ci_method, level``), :meth:`surveys.indicators.measures.MeasureRow.to_dict`, :meth:`WeightingDiagnostics.to_dict
<surveys.weighting.diagnostics.WeightingDiagnostics.to_dict>` and
:data:`~surveys.weighting.diagnostics.MARGIN_TABLE_COLUMNS`; a column's ``aliases`` accept the names other
stages use (the register's ``Scoreboard.to_frame()``: ``text_zh``, ``responsible_zh``, ``value``; the
pipeline's frames: ``file``, ``questionnaire``), so those frames can be passed as they are.

Shares are stored 0–1 (formatted as percentages only in output). A value column (``estimate``, ``ci_low``,
``ci_high``, ``threshold``) is a share for rate-like measures (``kind`` ``rate``, ``composite_rate``,
``correct_rate``) and a plain number for an ``index`` (满意度 on 0–100). Bilingual text comes as ``*_zh`` /
``*_en`` pairs; an empty English text falls back to the Chinese.
"""
from __future__ import annotations

import datetime as _datetime
import math
import pathlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from surveys import __version__
from surveys.errors import ReportError
from surveys.indicators.targets import VERDICT_RULES, VERDICTS, counts_as_met
from surveys.report.labels import check_language

__all__ = [
    "Column",
    "TABLE_COLUMNS",
    "SOURCE_KINDS",
    "SHARE_KINDS",
    "VALUE_KINDS",
    "INTERVAL_KINDS",
    "NO_DATA",
    "RELIABILITY_STATUSES",
    "CHART_SUFFIXES",
    "ReportMethod",
    "ReportInput",
    "describe_columns",
]

SOURCE_KINDS = ("survey", "census", "administrative")
SHARE_KINDS = ("rate", "composite_rate", "correct_rate")
VALUE_KINDS = SHARE_KINDS + ("index", "count", "value")
INTERVAL_KINDS = ("confidence_interval", "nonresponse_bounds", "exact")
NO_DATA = "no_data"
_INTERVAL_OF_SOURCE = {"survey": "confidence_interval", "census": "nonresponse_bounds", "administrative": "exact"}
RELIABILITY_STATUSES = ("ok", "review", "suppress", "census")
CHART_SUFFIXES = (".png", ".svg")
_NAN = math.nan


@dataclass(frozen=True)
class Column:
    """One column of a report table: ``kind`` is ``text``, ``number``, ``count``, ``share`` or ``flag``;
    ``choices`` restricts a code column; ``default`` fills an optional column that is absent."""

    name: str
    kind: str
    description: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def _c(name: str, kind: str, description: str, *, required: bool = False, default: Any = None,
       choices: tuple[str, ...] = (), aliases: tuple[str, ...] = ()) -> Column:
    if default is None and not required:
        default = {"text": "", "number": _NAN, "count": _NAN, "share": _NAN, "flag": None}[kind]
    return Column(name, kind, description, required, default, choices, aliases)


_SCOREBOARD = (
    _c("target_id", "text", "id of the target in the study's targets register", required=True),
    _c("label_zh", "text", "indicator name (Chinese)", required=True, aliases=("text_zh",)),
    _c("label_en", "text", "indicator name (English; empty: the Chinese is shown)", aliases=("text_en",)),
    _c("short_zh", "text", "short name (≤ 16 characters, e.g. 维稳满意率) for the overview, charts and console; "
       "empty: the indicator name"),
    _c("short_en", "text", "the same in English"),
    _c("unit_zh", "text", "unit of an administrative count or value (次, 人, %); empty for shares"),
    _c("unit_en", "text", "the same in English"),
    _c("section", "text", "section of the plan the target belongs to"),
    _c("responsible_unit_zh", "text", "unit answerable for the target (责任单位)", aliases=("responsible_zh",)),
    _c("responsible_unit_en", "text", "the same in English", aliases=("responsible_en",)),
    _c("source_kind", "text", "survey (sampling error), census (proposal forms: bounds) or administrative",
       default="survey", choices=SOURCE_KINDS),
    _c("kind", "text", "how the value reads: rate, composite_rate, correct_rate (shares 0–1), index (0–100), "
       "count or value (administrative figures); absent: rate, except administrative rows without a "
       "denominator, which are values", default="rate", choices=VALUE_KINDS),
    _c("interval_kind", "text", "confidence_interval (survey), nonresponse_bounds (census) or exact "
       "(administrative: no interval); absent: from source_kind", choices=INTERVAL_KINDS),
    _c("measure_id", "text", "the measure behind the target (its indicator sheet)"),
    _c("questionnaire", "text", "questionnaire of that measure (the measures table's questionnaire); empty: the "
       "measure is found by measure_id alone"),
    _c("estimate", "number", "the value judged (share 0–1 for rates); NaN when there is no data yet",
       required=True, aliases=("value",)),
    _c("ci_low", "number", "lower end of the interval: confidence interval (survey) or non-response "
       "lower bound (census); NaN when there is none", required=True),
    _c("ci_high", "number", "upper end of the interval, as ci_low", required=True),
    _c("margin_of_error", "number", "the interval's larger half (TargetCheck.margin_of_error), same unit as "
       "estimate; none for census and exact figures"),
    _c("margin_below", "number", "estimate − ci_low: the interval's lower half (a logit interval is asymmetric); "
       "absent: derived from the interval"),
    _c("margin_above", "number", "ci_high − estimate: the interval's upper half; absent: derived from the interval"),
    _c("p_value", "number", "one-sided p-value of 'the rate is below the threshold', the test inverted from the "
       "same interval: met ⇔ p ≤ (1 − level)/2 (surveys.indicators.targets)"),
    _c("effective_size", "number", "Kish effective sample size of the respondents in the base"),
    _c("break_even_respondents", "count", "respondents at which the current estimate would just reach the bar"),
    _c("warnings_zh", "text", "what a reader must see beside the verdict (surveys.indicators.robustness.verdict_notes)"),
    _c("warnings_en", "text", "the same in English"),
    _c("robustness_zh", "text", "结论稳健, or what the verdict depends on (surveys.indicators.robustness)"),
    _c("robustness_en", "text", "the same in English"),
    _c("threshold", "number", "the target, same unit as estimate (from the register, never a default)",
       required=True),
    _c("comparison", "text", "how the value must reach the threshold: '>=' or '>' (and '<=', '<', '==' for "
       "administrative figures)", default=">=", choices=(">=", ">", "<=", "<", "==")),
    _c("rule", "text", "which verdicts count as met (surveys.indicators.targets.VERDICT_RULES)", required=True,
       choices=tuple(VERDICT_RULES)),
    _c("verdict", "text", "one of surveys.indicators.targets.VERDICTS, or no_data", required=True, choices=VERDICTS + (NO_DATA,)),
    _c("verdict_zh", "text", "the verdict in words (empty: surveys.indicators.targets.VERDICT_LABELS); the register words "
       "exact figures as 达标 / 未达标"),
    _c("verdict_en", "text", "the same in English"),
    _c("note", "text", "what the reader should know about the row (e.g. how the interval was made)"),
    _c("evidence", "text", "document and date behind an administrative figure"),
    _c("demo_data", "flag", "true when the figure is made-up demonstration data (the report says so)"),
    _c("target_met", "flag", "whether the verdict counts as met under the rule (derived when absent)"),
    _c("respondents", "count", "respondents in the base (census: forms with an answer)"),
    _c("positive_set_zh", "text", "answers counted as positive, e.g. 非常满意、满意、基本满意"),
    _c("positive_set_en", "text", "the same in English"),
    _c("base_label_zh", "text", "the base (denominator), e.g. 全部有效回答（含“不了解”）"),
    _c("base_label_en", "text", "the same in English"),
    _c("ci_method", "text", "interval method (surveys.estimation.ci registry name; 'bounds' for census)"),
    _c("level", "share", "confidence level, e.g. 0.95"),
    _c("df", "number", "design degrees of freedom used for the interval and the margin of error"),
    _c("design_effect", "number", "design effect of the estimate (NaN when not computed)"),
    _c("additional_respondents", "count", "respondents to add for the verdict to be 'met' with 80% probability if "
       "the true rate equals the estimate (surveys.indicators.targets)"),
)

_ROBUSTNESS = (
    _c("target_id", "text", "the target (scoreboard row) the alternative belongs to", required=True),
    _c("indicator_zh", "text", "the indicator's name (Chinese)"),
    _c("indicator_en", "text", "the same in English"),
    _c("alternative", "text", "reported, other_base, unweighted, trimmed, mode:<value> or no_clusters", required=True),
    _c("group", "text", "'' (reported), base, weighting, mode or design"),
    _c("label_zh", "text", "the alternative in words (Chinese)", required=True),
    _c("label_en", "text", "the same in English"),
    _c("estimate", "number", "the headline under this alternative", required=True),
    _c("ci_low", "number", "lower end of its interval", required=True),
    _c("ci_high", "number", "upper end of its interval", required=True),
    _c("respondents", "count", "respondents in the base"),
    _c("effective_size", "number", "Kish effective sample size"),
    _c("verdict", "text", "the verdict under this alternative", required=True, choices=VERDICTS),
    _c("verdict_zh", "text", "the verdict in words"),
    _c("verdict_en", "text", "the same in English"),
    _c("target_met", "flag", "whether it counts as met under the target's rule"),
    _c("agrees", "flag", "whether it agrees with the reported verdict (empty: not judged)"),
    _c("note_zh", "text", "e.g. how many weights were trimmed"),
    _c("note_en", "text", "the same in English"),
)

_MODE_DIFFERENCES = (
    _c("indicator_zh", "text", "the indicator (Chinese)", required=True),
    _c("indicator_en", "text", "the same in English"),
    _c("first_label_zh", "text", "the first mode (paper)"),
    _c("first_label_en", "text", "the same in English"),
    _c("second_label_zh", "text", "the second mode (online)"),
    _c("second_label_en", "text", "the same in English"),
    _c("first_estimate", "number", "the headline among the first mode's respondents", required=True),
    _c("second_estimate", "number", "the headline among the second mode's respondents", required=True),
    _c("difference", "number", "first − second", required=True),
    _c("ci_low", "number", "lower end of the difference's interval", required=True),
    _c("ci_high", "number", "upper end of the difference's interval", required=True),
    _c("p_value", "number", "two-sided p-value of the difference"),
    _c("significant", "flag", "whether the interval excludes 0"),
    _c("first_respondents", "count", "respondents of the first mode"),
    _c("second_respondents", "count", "respondents of the second mode"),
)

# What to improve (surveys.study.analyses): one row per target × grouping variable × group, per target × topic item,
# per scale and per scale × item. Sentences the analyses word (findings, 先改进, notes) come with the rows as
# *_zh / *_en texts, repeated on every row of their variable or target.
_GROUP_COMPARISONS = (
    _c("target_id", "text", "the survey target (scoreboard row) compared", required=True),
    _c("questionnaire", "text", "the target's questionnaire id (its analysis section follows the questionnaire's)"),
    _c("indicator_zh", "text", "the indicator's short name (Chinese)"),
    _c("indicator_en", "text", "the same in English"),
    _c("kind", "text", "rate (shares 0–1) or index (0–100)", default="rate"),
    _c("variable", "text", "grouping variable (district, mode, respondent_type, sex, age_group)", required=True),
    _c("variable_label_zh", "text", "the grouping variable in words (empty: the report's own word for it)"),
    _c("variable_label_en", "text", "the same in English"),
    _c("value", "text", "group code or value", required=True),
    _c("label_zh", "text", "the group in words, e.g. 中心区"),
    _c("label_en", "text", "the same in English"),
    _c("estimate", "number", "the target's measure in the group", required=True),
    _c("ci_low", "number", "lower end of its confidence interval", required=True),
    _c("ci_high", "number", "upper end of its confidence interval", required=True),
    _c("level", "share", "confidence level"),
    _c("respondents", "count", "respondents of the group in the base"),
    _c("reliability", "text", "ok, review or suppress (NCHS rules)", default="ok", choices=RELIABILITY_STATUSES),
    _c("difference", "number", "the group − the other respondents (design-based t test, R svyttest)"),
    _c("difference_ci_low", "number", "lower end of the difference's interval"),
    _c("difference_ci_high", "number", "upper end of the difference's interval"),
    _c("p_value", "number", "two-sided p-value of the difference, unadjusted"),
    _c("adjusted_p_value", "number", "the p-value adjusted for the variable's groups (Holm by default)"),
    _c("below", "flag", "significantly below the other respondents (difference < 0, adjusted p < alpha)"),
    _c("above", "flag", "significantly above the other respondents"),
    _c("test_method", "text", "rao_scott_f (a rate) or wald_f (a mean): the test that the groups differ"),
    _c("test_statistic", "number", "its F statistic"),
    _c("test_ndf", "number", "its numerator degrees of freedom"),
    _c("test_ddf", "number", "its denominator degrees of freedom"),
    _c("test_p_value", "number", "its p-value"),
    _c("controlled_statistic", "number", "the variable's Wald F with the other grouping variables held fixed"),
    _c("controlled_p_value", "number", "its p-value (NaN: no such model)"),
    _c("finding_zh", "text", "the variable's finding in words: is there a difference, which groups are below"),
    _c("finding_en", "text", "the same in English"),
    _c("note_zh", "text", "how the groups were tested (multiplicity adjustment, level)"),
    _c("note_en", "text", "the same in English"),
)

_DRIVERS = (
    _c("target_id", "text", "the survey target whose overall measure the items drive", required=True),
    _c("questionnaire", "text", "the target's questionnaire id (its analysis section follows the questionnaire's)"),
    _c("indicator_zh", "text", "the indicator's short name (Chinese)"),
    _c("indicator_en", "text", "the same in English"),
    _c("item_id", "text", "topic item id", required=True),
    _c("label_zh", "text", "the item's short name (Chinese; its question when it has none)", required=True),
    _c("label_en", "text", "the same in English"),
    _c("question_zh", "text", "the item's question"),
    _c("question_en", "text", "the same in English"),
    _c("performance", "number", "the item's weighted 满意率 (share 0–1)", required=True),
    _c("performance_ci_low", "number", "lower end of its confidence interval"),
    _c("performance_ci_high", "number", "upper end of its confidence interval"),
    _c("respondents", "count", "respondents in the item's base"),
    _c("importance", "number", "the item's coefficient in the design-based model of the overall measure (a log odds "
       "ratio for a rate)", required=True),
    _c("importance_ci_low", "number", "lower end of its confidence interval"),
    _c("importance_ci_high", "number", "upper end of its confidence interval"),
    _c("importance_p_value", "number", "two-sided p-value of the coefficient"),
    _c("odds_ratio", "number", "exp(importance) for a logistic model"),
    _c("no_answer_share", "share", "weighted share of the base without an answer to the item"),
    _c("quadrant", "text", "strength (优势区), maintain (维持区), improve (改进区) or opportunity (机会区)", required=True,
       choices=("strength", "maintain", "improve", "opportunity")),
    _c("priority", "count", "rank in the 先改进 list (改进区 items, most important first); empty otherwise"),
    _c("importance_cut", "number", "the importance cut line of the quadrants"),
    _c("performance_cut", "number", "the performance cut line of the quadrants"),
    _c("family", "text", "quasibinomial (logistic, a rate) or gaussian (linear, an index)", default="quasibinomial"),
    _c("level", "share", "confidence level"),
    _c("summary_zh", "text", "the 先改进 sentence"),
    _c("summary_en", "text", "the same in English"),
    _c("cut_note_zh", "text", "where the cut lines are"),
    _c("cut_note_en", "text", "the same in English"),
    _c("method_note_zh", "text", "how performance and importance were measured, with their intervals"),
    _c("method_note_en", "text", "the same in English"),
)

_RELIABILITY = (
    _c("questionnaire", "text", "questionnaire id", required=True),
    _c("questionnaire_label_zh", "text", "the questionnaire's title"),
    _c("questionnaire_label_en", "text", "the same in English"),
    _c("measure_id", "text", "the multi-item measure (scale)", required=True),
    _c("label_zh", "text", "the scale in words", required=True),
    _c("label_en", "text", "the same in English"),
    _c("alpha", "number", "Cronbach's α, weighted", required=True),
    _c("ci_low", "number", "lower end of its design-based interval"),
    _c("ci_high", "number", "upper end of its design-based interval"),
    _c("level", "share", "confidence level"),
    _c("respondents", "count", "respondents with a score on every item (α is computed over them)"),
    _c("items", "count", "items of the scale"),
    _c("scoring", "text", "scores (the scale's category scores) or satisfied (1 satisfied, 0 otherwise: KR-20)",
       default="scores", choices=("scores", "satisfied")),
)

_RELIABILITY_ITEMS = (
    _c("questionnaire", "text", "questionnaire id", required=True),
    _c("measure_id", "text", "the scale the item belongs to", required=True),
    _c("item_id", "text", "item id", required=True),
    _c("label_zh", "text", "the item in words", required=True),
    _c("label_en", "text", "the same in English"),
    _c("item_rest_correlation", "number", "weighted correlation of the item with the sum of the other items"),
    _c("alpha_if_deleted", "number", "α of the scale without the item"),
)

_MEASURES = (
    _c("questionnaire", "text", "questionnaire the measure belongs to (measure ids are unique within one)"),
    _c("measure_id", "text", "measure id of the questionnaire (one indicator sheet per questionnaire and id)",
       required=True),
    _c("label_zh", "text", "measure name (Chinese)", required=True),
    _c("label_en", "text", "measure name (English)"),
    _c("kind", "text", "rate, composite_rate, correct_rate (shares) or index (0–100)", default="rate"),
    _c("source_kind", "text", "survey or census", default="survey", choices=SOURCE_KINDS),
    _c("positive_set_zh", "text", "answers counted as positive"),
    _c("positive_set_en", "text", "the same in English"),
    _c("base", "text", "base code: all or exclude_dont_know", default="all"),
    _c("base_label_zh", "text", "the base in words"),
    _c("base_label_en", "text", "the same in English"),
    _c("used_for_verdict", "flag", "whether this base is the one the verdict uses", default=True),
    _c("domain_variable", "text", "domain variable ('' for the whole population)"),
    _c("domain_variable_label_zh", "text", "the domain variable in words, e.g. 主办单位 (empty: the report's own words "
       "for the toolkit's variables such as district, else the variable as named)"),
    _c("domain_variable_label_en", "text", "the same in English"),
    _c("domain_value", "text", "domain code or value ('' overall)"),
    _c("domain_label_zh", "text", "domain name (Chinese; empty: domain_value, or 全体 overall)"),
    _c("domain_label_en", "text", "domain name (English)"),
    _c("estimate", "number", "the estimate (share 0–1 for rates; census: rate among answered forms)",
       required=True),
    _c("std_error", "number", "design-based standard error (0 for census)"),
    _c("ci_low", "number", "lower confidence limit (census: non-response lower bound)", required=True),
    _c("ci_high", "number", "upper confidence limit (census: non-response upper bound)", required=True),
    _c("ci_method", "text", "interval method"),
    _c("level", "share", "confidence level"),
    _c("df", "number", "design degrees of freedom"),
    _c("design_effect", "number", "design effect"),
    _c("respondents", "count", "respondents in the base (census: answered forms)", required=True),
    _c("effective_sample_size", "number", "effective sample size: Kish (Σw)² / Σw² over the respondents in the base and domain (surveys.estimation.reliability.effective_sample_size)"),
    _c("reliability", "text", "ok, review, suppress (NCHS rules) or census", default="ok",
       choices=RELIABILITY_STATUSES),
    _c("reliability_reasons_zh", "text", "why the row is flagged"),
    _c("reliability_reasons_en", "text", "the same in English"),
)

_ACCOUNTING = (
    _c("path", "text", "export file as named in the study spec", required=True, aliases=("file",)),
    _c("questionnaire", "text", "questionnaire the file was read for"),
    _c("role", "text", "what the file was for (ingested, labels, copy, ...); '' or ingested: its rows were "
       "ingested and accepted + rejected = rows_read is checked"),
    _c("sha256", "text", "SHA-256 of the bytes read (empty when not recorded)"),
    _c("platform", "text", "reader platform (wjx, tencent, paper, ...)"),
    _c("encoding", "text", "text encoding detected or given"),
    _c("mode", "text", "paper or online"),
    _c("rows_read", "count", "data rows read from the file", required=True),
    _c("accepted", "count", "rows accepted into the analysis", required=True),
    _c("rejected", "count", "rows rejected by validation", required=True),
    _c("flagged", "count", "accepted rows carrying a quality flag", default=0),
    _c("reasons", "text", "reason codes with counts, e.g. 'speeder: 3; duplicate_submission: 1'"),
    _c("note", "text", "anything else about the file"),
)

_REASONS = (
    _c("code", "text", "stable reason code (surveys.validate)", required=True),
    _c("outcome", "text", "rejected or flagged", default="rejected", choices=("rejected", "flagged")),
    _c("count", "count", "rows with this reason", required=True),
    _c("message", "text", "one example message (may quote a respondent: always written as text)"),
)

_WEIGHTS = (
    _c("design", "text", "which design (questionnaire id or population)", required=True, aliases=("questionnaire",)),
    _c("stage", "text", "order of the weighting step within the design (0: base weights)"),
    _c("method", "text", "raking, poststratification, calibration, trimming"),
    _c("respondents", "count", "respondents with a positive weight"),
    _c("kish_design_effect", "number", "1 + CV² = n Σw² / (Σw)²", required=True),
    _c("kish_design_effect_before", "number", "the same before the adjustment"),
    _c("effective_sample_size", "number", "(Σw)² / Σw²", required=True),
    _c("weight_min", "number", "smallest positive weight"),
    _c("weight_max", "number", "largest weight"),
    _c("weight_ratio", "number", "largest / smallest weight"),
    _c("top_share", "share", "share of Σw held by the largest 1 % of weights"),
    _c("iterations", "count", "iterations of the adjustment (raking sweeps)"),
    _c("converged", "flag", "whether the adjustment converged"),
    _c("largest_margin_gap", "share", "max |Σw − target| / target over margin categories"),
    _c("flags", "text", "exploding-weight warnings, joined"),
    _c("flags_zh", "text", "the same in Chinese (empty: none, or only the English was given)"),
)

_MARGINS = (
    _c("design", "text", "which design the margin belongs to", required=True, aliases=("questionnaire",)),
    _c("variable", "text", "weighting variable", required=True),
    _c("category", "text", "category (label or code)", required=True),
    _c("respondents", "count", "respondents in the category"),
    _c("target_total", "number", "population total"),
    _c("total_before", "number", "weighted total before the adjustment"),
    _c("total_after", "number", "weighted total after the adjustment"),
    _c("target_share", "share", "population share", required=True),
    _c("share_before", "share", "sample share before weighting", required=True),
    _c("share_after", "share", "weighted share after weighting", required=True),
)

_MARGIN_SOURCES = (
    _c("design", "text", "which design uses the margin"),
    _c("variable", "text", "weighting variable", required=True),
    _c("population", "text", "population the margins describe (e.g. 常住人口 18+)"),
    _c("source", "text", "margin file or publication", required=True),
    _c("sha256", "text", "SHA-256 of the margin file"),
)

_FILES = (
    _c("role", "text", "export, margins, targets, questionnaire, study or register", required=True),
    _c("path", "text", "file path as given", required=True),
    _c("sha256", "text", "SHA-256 of the file", required=True),
)

TABLE_COLUMNS: Mapping[str, tuple[Column, ...]] = MappingProxyType({
    "scoreboard": _SCOREBOARD,
    "measures": _MEASURES,
    "accounting": _ACCOUNTING,
    "reasons": _REASONS,
    "weights": _WEIGHTS,
    "margins": _MARGINS,
    "margin_sources": _MARGIN_SOURCES,
    "files": _FILES,
    "robustness": _ROBUSTNESS,
    "mode_differences": _MODE_DIFFERENCES,
    "group_comparisons": _GROUP_COMPARISONS,
    "drivers": _DRIVERS,
    "reliability": _RELIABILITY,
    "reliability_items": _RELIABILITY_ITEMS,
})


def describe_columns(table: str) -> pd.DataFrame:
    """The declared columns of ``table`` (name, kind, required, default, aliases, description) as a DataFrame."""
    if table not in TABLE_COLUMNS:
        raise ReportError(f"unknown report table {table!r}; expected one of {sorted(TABLE_COLUMNS)}")
    return pd.DataFrame.from_records(
        [(c.name, c.kind, c.required, c.default, ", ".join(c.aliases), c.description) for c in TABLE_COLUMNS[table]],
        columns=["name", "kind", "required", "default", "aliases", "description"],
    )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text_column(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if _is_missing(v) else str(v)).astype(object)


def _numeric_column(series: pd.Series, table: str, column: Column) -> pd.Series:
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & ~series.map(_is_missing)
    if bad.any():
        first = series[bad].iloc[0]
        raise ReportError(
            f"report table '{table}' column '{column.name}' ({column.description}) must hold numbers; found "
            f"{int(bad.sum())} non-numeric values (first: {first!r}); convert them or leave the cells empty"
        )
    return converted.astype(float)


_TRUE_TEXTS = ("true", "yes", "1", "是")
_FALSE_TEXTS = ("false", "no", "0", "否", "")


def _flag(value: Any, table: str, column: Column) -> bool | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):  # a flag read back from a CSV file: bool("False") would be True
        text = value.strip().lower()
        if text in _TRUE_TEXTS or text in _FALSE_TEXTS:
            return text in _TRUE_TEXTS
        raise ReportError(f"report table '{table}' column '{column.name}' ({column.description}) must hold true or "
                          f"false; found {value!r}")
    return bool(value)


def _flag_column(series: pd.Series, table: str, column: Column) -> pd.Series:
    return series.map(lambda v: _flag(v, table, column)).astype(object)


def _normalise(frame: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """A copy of ``frame`` with every declared column, typed, and checked; extra columns are kept."""
    columns = TABLE_COLUMNS[table]
    if frame is None:
        frame = pd.DataFrame(columns=[c.name for c in columns if c.required])
    if not isinstance(frame, pd.DataFrame):
        raise ReportError(f"report table '{table}' must be a pandas DataFrame; found {type(frame).__name__}")
    missing = [c.name for c in columns
               if c.required and c.name not in frame.columns and not set(c.aliases) & set(frame.columns)]
    if missing:
        raise ReportError(
            f"report table '{table}' lacks the required columns {missing}; found {list(map(str, frame.columns))}; "
            f"see surveys.report.describe_columns({table!r}) for every column"
        )
    result = frame.reset_index(drop=True).copy()
    for column in columns:
        alias = next((a for a in column.aliases if a in result.columns), None)
        if column.name not in result.columns and alias is not None:
            result[column.name] = result[alias]
        if column.name not in result.columns:
            result[column.name] = [column.default] * len(result)
        if column.kind == "text":
            result[column.name] = _text_column(result[column.name])
        elif column.kind == "flag":
            result[column.name] = _flag_column(result[column.name], table, column)
        else:
            result[column.name] = _numeric_column(result[column.name], table, column)
        if column.choices:
            unknown = sorted(set(result[column.name]) - set(column.choices) - {""})
            if unknown:
                raise ReportError(
                    f"report table '{table}' column '{column.name}' has unknown values {unknown}; "
                    f"expected one of {list(column.choices)}"
                )
            fill = column.default or ""
            result[column.name] = result[column.name].map(lambda v, fill=fill: v or fill).astype(object)
            if column.required and (result[column.name] == "").any():
                raise ReportError(
                    f"report table '{table}' column '{column.name}' is empty in "
                    f"{int((result[column.name] == '').sum())} rows; expected one of {list(column.choices)} in every row"
                )
    return result


def _scoreboard(frame: pd.DataFrame | None) -> pd.DataFrame:
    result = _normalise(frame, "scoreboard")
    if frame is not None and "kind" not in frame.columns and "denominator" in frame.columns:
        # the register's administrative counts and values have no denominator: they are not shares
        figures = (result["source_kind"] == "administrative") & pd.to_numeric(frame["denominator"].reset_index(
            drop=True), errors="coerce").isna()
        result.loc[figures, "kind"] = "value"
    result["interval_kind"] = [given or _INTERVAL_OF_SOURCE[source]
                               for given, source in zip(result["interval_kind"], result["source_kind"])]
    # a confidence interval's halves and larger half, from the interval when not given
    interval = result["interval_kind"] == "confidence_interval"
    for column, half in (("margin_below", result["estimate"] - result["ci_low"]),
                         ("margin_above", result["ci_high"] - result["estimate"])):
        missing = result[column].isna() & interval
        result.loc[missing, column] = half[missing]
    missing = result["margin_of_error"].isna() & interval
    halves = pd.concat([result["margin_below"], result["margin_above"]], axis=1)
    result.loc[missing, "margin_of_error"] = halves[missing].max(axis=1, skipna=False)
    derived = [counts_as_met(rule, verdict, bool(estimate >= threshold)) if verdict in VERDICTS else False
               for verdict, rule, estimate, threshold in zip(result["verdict"], result["rule"], result["estimate"],
                                                             result["threshold"])]
    # a target without data counts as not met (as the pipeline's --fail-on-target reads it)
    result["target_met"] = [d if given is None else given for given, d in zip(result["target_met"], derived)]
    return result


@dataclass(frozen=True)
class ReportMethod:
    """How the numbers were made: printed on the 方法 sheet and in the report's methodology section.

    ``margin_sources`` and ``files`` are tables (see :data:`TABLE_COLUMNS`); ``run_time`` is an ISO 8601
    text or a datetime; ``toolkit_version`` defaults to ``surveys.__version__``; ``notes`` are printed
    as given (already in the report's language).
    """

    ci_method: str
    level: float
    weighting_method: str = ""
    run_time: str | _datetime.datetime = ""
    toolkit_version: str = ""
    wave: str = ""
    sample_design: str = ""
    margin_sources: pd.DataFrame | None = field(default=None, repr=False)
    files: pd.DataFrame | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 < float(self.level) < 1.0:
            raise ReportError(f"the confidence level must be in (0, 1) (0.95 for 95%); found {self.level!r}")
        if not self.toolkit_version:
            object.__setattr__(self, "toolkit_version", __version__)
        run_time = self.run_time
        if isinstance(run_time, _datetime.datetime):
            run_time = run_time.isoformat(timespec="seconds")
        object.__setattr__(self, "run_time", str(run_time))
        object.__setattr__(self, "level", float(self.level))
        object.__setattr__(self, "margin_sources", _normalise(self.margin_sources, "margin_sources"))
        object.__setattr__(self, "files", _normalise(self.files, "files"))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))


def _charts(charts: Mapping[str, Any] | None) -> Mapping[str, pathlib.Path]:
    resolved: dict[str, pathlib.Path] = {}
    for name, path in (charts or {}).items():
        path = pathlib.Path(path)
        if path.suffix.lower() not in CHART_SUFFIXES:
            raise ReportError(f"chart '{name}' must be a PNG or SVG file; found {path.name!r}")
        if not path.is_file():
            raise ReportError(f"chart '{name}' points to {str(path)!r}, which does not exist; save the chart first "
                              "or leave it out of the report's charts")
        resolved[str(name)] = path
    return MappingProxyType(resolved)


@dataclass(frozen=True)
class ReportInput:
    """Everything the workbook and the HTML report show (see :data:`TABLE_COLUMNS` for each table).

    ``scoreboard``: one row per target; ``measures``: every measure × domain (one indicator sheet per
    ``measure_id``); ``accounting``: one row per export file; ``reasons``: rejection and flag reasons;
    ``weights``: one row of diagnostics per design; ``margins``: margins before/after weighting;
    ``robustness``: every survey target × alternative (surveys.indicators.robustness); ``mode_differences``: the
    paper − online difference of each headline; ``group_comparisons``, ``drivers``, ``reliability`` and
    ``reliability_items``: what to improve for each survey target (surveys.study.analyses; one section per target);
    ``method``: how the numbers were made; ``charts``: chart name → PNG or SVG file (optional; a name
    starting with ``target`` or ``scoreboard`` goes to the overview, with ``weight``, ``margin`` or ``raking``
    to the weights, ``analysis:<target id>:<title>`` (:func:`surveys.report.views.analysis_chart_name`) to that
    target's what-to-improve section, any other to a charts section; the workbook embeds PNGs, or an SVG's
    sibling PNG);
    ``lang``: ``zh`` or ``en``; ``unweighted``: the estimates were not weighted to population margins (every page
    says so). Tables are copied, typed and checked on construction (missing optional
    tables are empty), so a ReportInput that exists is one the report can print.
    """

    title_zh: str
    scoreboard: pd.DataFrame = field(repr=False)
    method: ReportMethod
    measures: pd.DataFrame | None = field(default=None, repr=False)
    accounting: pd.DataFrame | None = field(default=None, repr=False)
    reasons: pd.DataFrame | None = field(default=None, repr=False)
    weights: pd.DataFrame | None = field(default=None, repr=False)
    margins: pd.DataFrame | None = field(default=None, repr=False)
    robustness: pd.DataFrame | None = field(default=None, repr=False)
    mode_differences: pd.DataFrame | None = field(default=None, repr=False)
    group_comparisons: pd.DataFrame | None = field(default=None, repr=False)
    drivers: pd.DataFrame | None = field(default=None, repr=False)
    reliability: pd.DataFrame | None = field(default=None, repr=False)
    reliability_items: pd.DataFrame | None = field(default=None, repr=False)
    charts: Mapping[str, pathlib.Path] = field(default_factory=dict)
    lang: str = "zh"
    title_en: str = ""
    unweighted: bool = False

    def __post_init__(self) -> None:
        check_language(self.lang)
        if not isinstance(self.method, ReportMethod):
            raise ReportError(f"method must be a ReportMethod; found {type(self.method).__name__}")
        object.__setattr__(self, "scoreboard", _scoreboard(self.scoreboard))
        for table in ("measures", "accounting", "reasons", "weights", "margins", "robustness", "mode_differences",
                      "group_comparisons", "drivers", "reliability", "reliability_items"):
            object.__setattr__(self, table, _normalise(getattr(self, table), table))
        object.__setattr__(self, "charts", _charts(self.charts))

    @property
    def title(self) -> str:
        """The title in the report's language (English falls back to Chinese)."""
        return (self.title_en or self.title_zh) if self.lang == "en" else self.title_zh
