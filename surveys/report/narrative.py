"""The sentence the Word report writes under each indicator: only what the indicator's row in the tables says.

:func:`indicator_sentence` words one scoreboard row (see :data:`surveys.report.model.TABLE_COLUMNS`) as::

    市场监管满意率为81.5%（95%置信区间79.1%–83.7%，样本量 1,402），点估计达到80.0%的目标，但区间下限低于目标，
    判定为“达标但在误差范围内”；按本指标的判定规则（下限达到目标）计为未达标。稳健性：取决于“不了解”是否计入基数。

The value, interval, target and respondents are formatted by :func:`surveys.report.text.format_value`, as the
overview prints them; the verdict is the row's own words, the clause before it is the verdict's definition
(read off the interval, as ``overview_note`` defines it), and the rule, robustness and warnings are the row's.
Nothing is computed here: a sentence can never say what the table does not.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from surveys.report.labels import label, verdict_label
from surveys.report.model import SHARE_KINDS
from surveys.report.text import format_value

__all__ = ["indicator_sentence", "value_text", "display_kind"]

_SYMBOLS = {">": ">", "<=": "≤", "<": "<", "==": "="}  # '>=' reads as the plain target ("达到80.0%的目标")
_TRAILING = "。；;.， "


def _words(row: pd.Series, name: str, lang: str) -> str:
    zh = row.get(f"{name}_zh", "")
    return (row.get(f"{name}_en", "") or zh) if lang == "en" else zh


def display_kind(kind: str) -> str:
    """How a value of a measure or target ``kind`` is formatted: shares as per cent, an index on 0–100, counts
    with thousands separators, other figures as they are (the overview's display kinds)."""
    if kind in SHARE_KINDS:
        return "share"
    return kind if kind in ("index", "count") else "number"


def value_text(value: Any, kind: str, unit: str, lang: str) -> str:
    """``value`` as the tables print it, its unit following (3次, 5.2%; '3 times' in English)."""
    text = format_value(None if pd.isna(value) else float(value), display_kind(kind), lang)
    if not unit or text == "–" or display_kind(kind) == "share":
        return text
    return text + unit if lang == "zh" or unit == "%" else f"{text} {unit}"


def _interval_name(row: pd.Series, lang: str, level: float | None) -> str:
    if row["interval_kind"] == "nonresponse_bounds":
        return label("kind_bounds", lang)
    level = row["level"] if not pd.isna(row["level"]) else level
    return label("narrative_ci", lang, level=f"{float(level) * 100:g}") if level is not None else ""


def _clause(row: pd.Series, target: str, lang: str) -> str:
    verdict = row["verdict"]
    if row["interval_kind"] == "exact":
        return label("narrative_exact_met" if verdict == "met" else "narrative_exact_not_met", lang, target=target)
    return label(f"narrative_{verdict}", lang, target=target)


def _clean(text: str) -> str:
    return text.strip().rstrip(_TRAILING)


def indicator_sentence(row: pd.Series, lang: str, level: float | None = None) -> str:
    """The narrative of one normalised scoreboard row in ``lang`` (``level``: the report's, when the row has
    none); see the module docstring."""
    name = _words(row, "short", lang) or _words(row, "label", lang)
    unit = str(row.get(f"unit_{lang}", "") or "")  # no fallback: an English count has no unit
    rule = label(f"rule_short_{row['rule']}", lang)
    rule_text = label("narrative_rule_met" if row["target_met"] else "narrative_rule_not_met", lang, rule=rule)
    if row["verdict"] == "no_data":
        sentence = label("narrative_sentence_no_data", lang, name=name, rule=rule_text)
    else:
        value = value_text(row["estimate"], row["kind"], unit, lang)
        if row["interval_kind"] == "exact":
            value_clause = label("narrative_value_exact", lang, name=name, value=value)
        else:
            low, high = (value_text(row[column], row["kind"], unit, lang) for column in ("ci_low", "ci_high"))
            value_clause = label("narrative_value", lang, name=name, value=value, low=low, high=high,
                                 interval=_interval_name(row, lang, level),
                                 respondents=format_value(row["respondents"], "count", lang))
        target = _SYMBOLS.get(row["comparison"], "") + value_text(row["threshold"], row["kind"], unit, lang)
        verdict = _words(row, "verdict", lang) or verdict_label(row["verdict"], lang)
        sentence = label("narrative_sentence", lang, value=value_clause, clause=_clause(row, target, lang),
                         verdict=verdict, rule=rule_text)
    extra = [label(key, lang, text=_clean(text)) for key, text in (
        ("narrative_robustness", _words(row, "robustness", lang)), ("narrative_warnings", _words(row, "warnings", lang)))
        if _clean(text)]
    return (" " if lang == "en" else "").join([sentence, *extra])
