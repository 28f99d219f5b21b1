"""The report's sections as language-resolved tables, shared by the workbook and the HTML report.

Both renderers print the same :class:`Section` objects, so the workbook and the HTML cannot disagree on a
number or a verdict. A :class:`Cell` keeps numbers as numbers with a display kind (``share`` → 0.0%,
``points`` → ±0.0%, ``index``, ``number``, ``count``); an interval column holds ``(low, high)`` and the
workbook splits it into two numeric columns. ``detail`` columns are shown in the workbook only.

Each survey target with analyses of what to improve gets a section of its own (key ``analysis``) after its
questionnaire's indicator section: the group comparisons, the drivers with the quadrant chart (a chart named
:func:`analysis_chart_name` goes there, after the drivers table) and the reliability of the questionnaire's scales.
"""
from __future__ import annotations

import dataclasses
import pathlib
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from surveys.indicators.register import scoreboard_summary
from surveys.indicators.targets import margin_text
from surveys.indicators.wording import QUADRANT_NAMES, say
from surveys.report.labels import LABELS, label, verdict_label
from surveys.report.model import SHARE_KINDS, ReportInput

__all__ = ["Cell", "ColumnView", "Table", "Section", "report_sections", "chart_title", "analysis_chart_name",
           "ANALYSIS_CHART_PREFIX"]

_INGESTED_ROLES = ("", "ingested")
# Where a chart goes, by the start of its name; anything else goes to the charts section.
_CHART_SECTIONS = (("target", "overview"), ("scoreboard", "overview"), ("weight", "weights"),
                   ("margin", "weights"), ("raking", "weights"))
# A chart named analysis:<target id>:<title> goes to that target's analysis section, under <title>.
ANALYSIS_CHART_PREFIX = "analysis:"


@dataclass(frozen=True)
class Cell:
    """One value with its display kind; ``verdict`` marks a verdict cell, ``muted`` an unreliable row, ``unit``
    follows a number (次, 人; the workbook keeps the number numeric with the unit in its format)."""

    value: Any
    kind: str = "text"
    verdict: str = ""
    muted: bool = False
    unit: str = ""


@dataclass(frozen=True)
class ColumnView:
    """A column's header; ``interval`` holds (low, high); ``detail`` columns are workbook-only; ``width`` caps the
    workbook column (in Latin character cells; longer text wraps) so that a page prints at a readable scale."""

    header: str
    interval: bool = False
    detail: bool = False
    width: int | None = None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[ColumnView, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    detail_rows: tuple[bool, ...] = ()  # rows shown in the workbook only
    notes: tuple[str, ...] = ()  # further paragraphs under the table, after ``note``


@dataclass(frozen=True)
class Section:
    """A workbook sheet / an HTML section: ``key`` is overview, overview_detail, robustness, indicator, analysis,
    method, quality, weights or charts. ``footnotes`` follow the notes (numbered by the caller); ``workbook_only``
    sections are left out of the HTML (as ``detail`` columns are); ``charts_after`` names the table the charts
    follow (empty: at the end of the section); ``target_id`` names the target an ``analysis`` section is about
    (the Word report puts it in that target's indicator part)."""

    key: str
    title: str
    tables: tuple[Table, ...]
    charts: tuple[tuple[str, pathlib.Path], ...] = ()
    notes: tuple[str, ...] = ()
    footnotes: tuple[str, ...] = ()
    workbook_only: bool = False
    charts_after: str = ""
    sheet: str = ""  # the workbook sheet's name when the title is too long for one (31 characters)
    target_id: str = ""


def _text(row: pd.Series, name: str, lang: str) -> str:
    """The ``name_zh`` / ``name_en`` text of ``row`` in ``lang``, English falling back to Chinese."""
    zh = row.get(f"{name}_zh", "")
    return (row.get(f"{name}_en", "") or zh) if lang == "en" else zh


def unit_text(row: pd.Series, lang: str) -> str:
    """The unit of a scoreboard row in ``lang``, without falling back: an English count has none (3, not 3 次)."""
    return str(row.get(f"unit_{lang}", "") or "")


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _value_kinds(kind: str) -> tuple[str, str]:
    """(value kind, margin kind): shares are percentages, an index is on 0–100, figures as they are."""
    if kind in SHARE_KINDS:
        return "share", "points"
    if kind == "index":
        return "index", "index_points"
    return ("count", "number") if kind == "count" else ("number", "number")


def _margin_cell(row: pd.Series, value_kind: str, lang: str) -> Cell:
    """The interval's two halves as they are (−2.4/+2.2 个百分点: a logit interval is asymmetric), or why there
    are none (a census has bounds, an administrative figure is exact)."""
    if row["interval_kind"] == "nonresponse_bounds":
        return Cell(label("no_sampling_error", lang))
    if row["interval_kind"] == "exact":  # the interval column says "exact, no interval" already
        return Cell("–")
    return Cell(margin_text(row["margin_below"], row["margin_above"], percent=value_kind == "share", lang=lang))


def _verdict_cell(row: pd.Series, lang: str) -> Cell:
    words = _text(row, "verdict", lang) or verdict_label(row["verdict"], lang)
    return Cell(words, "verdict", verdict=row["verdict"])


def _flag(value: Any, lang: str) -> Cell:
    return Cell("" if value is None else label("yes" if value else "no", lang))


def _interval_header(level: float | None, lang: str) -> str:
    if level is None:
        return label("col_interval", lang).capitalize()
    return f"{level * 100:g}% {label('col_interval', lang)}"


# The overview prints on one A4 landscape page: the few columns a reader needs (the indicator by its short name,
# numbered for the footnote with the plan's full sentence). Everything else is on the workbook's detail sheet.
_OVERVIEW_COLUMNS = ("col_number", "col_indicator", "col_responsible_unit", "col_estimate", "interval",
                     "col_interval_kind", "col_margins", "col_threshold", "col_verdict", "col_respondents",
                     "col_notes")
_DETAIL_COLUMNS = ("col_number", "col_target_id", "col_section", "col_indicator", "col_plan_text",
                   "col_responsible_unit", "col_source_kind", "col_estimate", "interval", "col_interval_kind",
                   "col_margins", "col_p_value", "col_df", "col_threshold", "col_rule", "col_verdict",
                   "col_target_met", "col_respondents", "col_effective_size", "col_additional_respondents",
                   "col_break_even_respondents", "col_positive_set", "col_base", "col_robustness", "col_warnings",
                   "col_note", "col_evidence")


def _interval_kind(row: pd.Series, level: float | None, lang: str) -> str:
    if row["interval_kind"] == "nonresponse_bounds":
        return label("kind_bounds", lang)
    if row["interval_kind"] == "exact":
        return label("kind_exact", lang)
    if row["verdict"] == "no_data":
        return ""
    return _interval_header(_number(row["level"]) or level, lang)


def _notes_text(row: pd.Series, lang: str) -> str:
    """What the overview says beside a verdict: what it depends on, then its warnings."""
    parts = []
    robustness = _text(row, "robustness", lang)
    if robustness:
        parts.append(f"{label('col_robustness', lang)}：{robustness}" if lang == "zh"
                     else f"{label('col_robustness', lang)}: {robustness}")
    warnings = _text(row, "warnings", lang)
    if warnings:
        parts.append(warnings)
    return ("；" if lang == "zh" else "; ").join(parts)


def _overview_cells(row: pd.Series, number: int, lang: str, mark_demo: bool, level: float | None) -> dict[str, Cell]:
    value_kind, _ = _value_kinds(row["kind"])
    unit = unit_text(row, lang) if value_kind not in ("share",) else ""
    indicator = _text(row, "short", lang) or _text(row, "label", lang)
    if mark_demo and row["demo_data"]:
        mark = label("demo_mark", lang)
        indicator = f"{indicator}（{mark}）" if lang == "zh" else f"{indicator} ({mark})"
    return {
        "col_number": Cell(number, "count"),
        "col_indicator": Cell(indicator),
        "col_plan_text": Cell(_text(row, "label", lang)),
        "col_responsible_unit": Cell(_text(row, "responsible_unit", lang)),
        "col_estimate": Cell(_number(row["estimate"]), value_kind, unit=unit),
        "interval": Cell((_number(row["ci_low"]), _number(row["ci_high"])), value_kind),
        "col_interval_kind": Cell(_interval_kind(row, level, lang)),
        "col_margins": _margin_cell(row, value_kind, lang),
        "col_threshold": Cell(_number(row["threshold"]), value_kind, unit=unit),
        "col_verdict": _verdict_cell(row, lang),
        "col_notes": Cell(_notes_text(row, lang)),
        "col_robustness": Cell(_text(row, "robustness", lang)),
        "col_warnings": Cell(_text(row, "warnings", lang)),
        "col_target_met": _flag(row["target_met"], lang),
        "col_respondents": Cell(_number(row["respondents"]), "count"),
        "col_effective_size": Cell(_number(row["effective_size"]), "count"),
        "col_p_value": Cell(_number(row["p_value"]), "p_value"),
        "col_df": Cell(_number(row["df"]), "df"),
        "col_additional_respondents": Cell(_number(row["additional_respondents"]), "count"),
        "col_break_even_respondents": Cell(_number(row["break_even_respondents"]), "count"),
        "col_source_kind": Cell(label(f"source_{row['source_kind']}", lang)),
        "col_rule": Cell(f"{_comparison(row['comparison'])} · " + label(f"rule_short_{row['rule']}", lang)),
        "col_positive_set": Cell(_text(row, "positive_set", lang)),
        "col_base": Cell(_text(row, "base_label", lang)),
        "col_target_id": Cell(row["target_id"]),
        "col_section": Cell(row["section"]),
        "col_note": Cell(row["note"]),
        "col_evidence": Cell(row["evidence"]),
    }


def _overview_level(report: ReportInput) -> float | None:
    levels = report.scoreboard["level"].dropna().unique()
    return float(levels[0]) if len(levels) == 1 else (report.method.level if len(report.scoreboard) else None)


# widest column of the overview (Latin cells): with them the overview prints on A4 landscape at about 80 %
_OVERVIEW_WIDTHS = {"col_responsible_unit": 18, "col_notes": 38, "col_interval_kind": 18, "col_margins": 17,
                    "col_plan_text": 48, "col_indicator": 34, "col_verdict": 22}


def _overview_table(report: ReportInput, names: tuple[str, ...], key: str, title: str) -> Table:
    lang, frame = report.lang, report.scoreboard
    level = _overview_level(report)
    columns = tuple(ColumnView(label("col_interval_bounds", lang), interval=True) if name == "interval"
                    else ColumnView(label(name, lang), width=_OVERVIEW_WIDTHS.get(name)) for name in names)
    mark_demo = not bool(frame["demo_data"].eq(True).all())  # when every row is made up, the banner says it once
    rows = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        cells = _overview_cells(row, number, lang, mark_demo, level)
        rows.append(tuple(cells[name] for name in names))
    return Table(key, title, columns, tuple(rows))


def _footnotes(report: ReportInput) -> list[str]:
    """The plan's full sentence of every indicator, numbered as the overview's rows."""
    lang, frame = report.lang, report.scoreboard
    lines = [label("footnote_heading", lang)]
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        lines.append(f"{number}. {_text(row, 'label', lang)}")
    return lines


def _overview(report: ReportInput) -> Section:
    lang, frame = report.lang, report.scoreboard
    table = _overview_table(report, _OVERVIEW_COLUMNS, "scoreboard", label("overview", lang))
    summary = scoreboard_summary(list(frame["verdict"]), list(frame["target_met"]), list(frame["rule"]))
    notes = [summary.get(lang), label("overview_note", lang)]
    if frame["additional_respondents"].notna().any():
        notes.append(label("additional_note", lang))
    if (frame["interval_kind"] == "nonresponse_bounds").any():
        notes.append(label("census_note", lang))
    if (frame["interval_kind"] == "exact").any():
        notes.append(label("exact_note", lang))
    if frame["demo_data"].eq(True).any():
        notes.insert(0, label("demo_data", lang))
    return Section("overview", label("overview", lang), (table,), notes=tuple(notes),
                   footnotes=tuple(_footnotes(report)))


def _overview_detail(report: ReportInput) -> Section:
    """Every column of every target (the workbook's detail sheet; the HTML shows the overview only)."""
    lang = report.lang
    table = _overview_table(report, _DETAIL_COLUMNS, "scoreboard_detail", label("overview_detail", lang))
    return Section("overview_detail", label("overview_detail", lang), (table,), workbook_only=True)


def variable_label(variable: str, lang: str) -> str:
    """A domain or weighting variable in words: the toolkit's own variables are translated, others shown as named."""
    return label(f"variable_{variable}", lang) if f"variable_{variable}" in LABELS else variable


def _comparison(comparison: str) -> str:
    return {">=": "≥", ">": ">"}.get(comparison, comparison)


def _domain_label(row: pd.Series, lang: str) -> str:
    text = _text(row, "domain_label", lang)
    if text:
        return text
    return row["domain_value"] if row["domain_variable"] else label("overall", lang)


def _measure_table(frame: pd.DataFrame, lang: str, level: float) -> Table:
    """One measure, every domain and base; rows of a base the verdict does not use are workbook-only."""
    first = frame.iloc[0]
    several_bases = frame["base"].nunique() > 1
    names = ["col_domain_variable", "col_domain", "col_base", "col_estimate", "interval", "col_std_error",
             "col_respondents", "col_effective_sample_size", "col_design_effect", "col_reliability",
             "col_reliability_reasons", "col_used_for_verdict"]
    detail = {"col_std_error", "col_design_effect", "col_used_for_verdict", "col_base"}
    columns = tuple(
        ColumnView(_interval_header(level, lang), interval=True) if name == "interval"
        else ColumnView(label(name, lang), detail=name in detail) for name in names
    )
    rows, detail_rows = [], []
    for _, row in frame.iterrows():
        value_kind, _ = _value_kinds(row["kind"])
        muted = row["reliability"] == "suppress"
        cells = (
            Cell((_text(row, "domain_variable_label", lang) or variable_label(row["domain_variable"], lang))
                 if row["domain_variable"] else label("overall", lang)),
            Cell(_domain_label(row, lang)),
            Cell(_text(row, "base_label", lang) or row["base"]),
            Cell(_number(row["estimate"]), value_kind),
            Cell((_number(row["ci_low"]), _number(row["ci_high"])), value_kind),
            Cell(_number(row["std_error"]), value_kind),
            Cell(_number(row["respondents"]), "count"),
            Cell(_number(row["effective_sample_size"]), "number"),
            Cell(_number(row["design_effect"]), "number"),
            Cell(label(f"reliability_{row['reliability']}", lang)),
            Cell(_text(row, "reliability_reasons", lang)),
            _flag(row["used_for_verdict"], lang),
        )
        rows.append(tuple(Cell(c.value, c.kind, c.verdict, muted) for c in cells))
        detail_rows.append(several_bases and row["used_for_verdict"] is False)
    verdict_rows = frame[frame["used_for_verdict"].map(lambda v: v is not False)]
    shown = verdict_rows.iloc[0] if len(verdict_rows) else first
    facts = [(key, _text(shown, column, lang)) for key, column in (("col_positive_set", "positive_set"),
                                                                   ("col_base", "base_label"))]
    note = "；".join(f"{label(key, lang)}：{text}" for key, text in facts if text) if lang == "zh" else \
        "; ".join(f"{label(key, lang)}: {text}" for key, text in facts if text)
    return Table(f"measure:{first['measure_id']}", _text(first, "label", lang) or first["measure_id"], columns,
                 tuple(rows), note=note, detail_rows=tuple(detail_rows))


def _indicator(frame: pd.DataFrame, lang: str, level: float) -> Section:
    """One indicator: the measures of one questionnaire (or one measure without a questionnaire)."""
    tables = tuple(_measure_table(frame[frame["measure_id"] == measure_id], lang, level)
                   for measure_id in dict.fromkeys(frame["measure_id"]))
    kinds = set(frame["kind"])
    notes = [label("measure_note", lang)] if kinds & set(SHARE_KINDS) else []
    if "index" in kinds:
        notes.append(label("index_note", lang))
    if any(any(table.detail_rows) for table in tables):
        notes.append(label("other_bases_note", lang))
    return Section("indicator", tables[0].title, tables, notes=tuple(notes))


# a text column of a plain table wraps past this many Latin cells, so the sheet prints at a readable scale
_PLAIN_WIDTHS = {"text": 32, "code": 24}


def _plain_table(key: str, title: str, lang: str, frame: pd.DataFrame,
                 spec: Iterable[tuple[str, str, str | None]], detail: Iterable[str] = ()) -> Table:
    """A table straight from ``frame``: ``spec`` is (header key, column, kind) — kind None: a yes/no flag."""
    spec = list(spec)
    detail = set(detail)
    columns = tuple(ColumnView(label(h, lang), detail=h in detail, width=_PLAIN_WIDTHS.get(kind))
                    for h, _, kind in spec)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for _, column, kind in spec:
            value = row[column]
            if kind is None:
                cells.append(_flag(value, lang))
            elif kind in ("text", "code"):
                cells.append(Cell(value, kind))
            else:
                cells.append(Cell(_number(value), kind))
        rows.append(tuple(cells))
    return Table(key, title, columns, tuple(rows))


def _key_values(report: ReportInput) -> Table:
    lang, method = report.lang, report.method
    pairs = [("ci_method", method.ci_method), ("level", f"{method.level * 100:g}%"),
             ("decision_rule", label("decision_rule_text", lang, alpha=f"{(1 - method.level) / 2:g}")),
             ("sample_design", method.sample_design or label("sample_design_default", lang)),
             ("weighting_method", method.weighting_method), ("toolkit_version", method.toolkit_version),
             ("run_time", method.run_time)]
    if method.wave:
        pairs.insert(0, ("wave_item", method.wave))
    rows = tuple((Cell(label(key, lang)), Cell(str(value))) for key, value in pairs)
    columns = (ColumnView(label("item", lang)), ColumnView(label("value", lang)))
    return Table("estimation", label("method_estimation", lang), columns, rows, note=label("df_note", lang))


def _target_method(report: ReportInput) -> Table:
    lang, frame = report.lang, report.scoreboard
    widths = {"col_indicator": 28, "col_positive_set": 30, "col_base": 24}
    columns = tuple(ColumnView(label(k, lang), width=widths.get(k)) for k in (
        "col_indicator", "col_positive_set", "col_base", "col_ci_method", "col_level", "col_df", "col_threshold",
        "col_rule"))
    rows = []
    for _, row in frame.iterrows():
        value_kind, _ = _value_kinds(row["kind"])
        rows.append((
            Cell(_text(row, "short", lang) or _text(row, "label", lang)), Cell(_text(row, "positive_set", lang)),
            Cell(_text(row, "base_label", lang)), Cell(_interval_method(row, report)),
            Cell(_number(row["level"]), "share"), Cell(_number(row["df"]), "df"),
            Cell(_number(row["threshold"]), value_kind),
            Cell(f"{_comparison(row['comparison'])} · " + label("rule_short_" + row["rule"], lang)),
        ))
    return Table("targets_method", label("method_targets", lang), columns, tuple(rows))


def _interval_method(row: pd.Series, report: ReportInput) -> str:
    """The interval method of a target: the CI method for a survey, how bounds or exact figures were made."""
    if row["interval_kind"] == "exact":
        return label("exact_figure", report.lang)
    if row["interval_kind"] == "nonresponse_bounds":
        return label("bounds_method", report.lang)
    return row["ci_method"] or report.method.ci_method


def _rules(report: ReportInput) -> Table:
    lang = report.lang
    used = list(dict.fromkeys(report.scoreboard["rule"]))
    columns = (ColumnView(label("col_rule_name", lang)), ColumnView(label("col_rule_description", lang)))
    rows = tuple((Cell(label(f"rule_short_{rule}", lang)), Cell(label(f"rule_{rule}", lang))) for rule in used)
    return Table("rules", label("method_rules", lang), columns, rows, note=label("overview_note", lang))


def _files(report: ReportInput) -> pd.DataFrame:
    exports = report.accounting.assign(role="export")[["role", "path", "sha256"]]
    files = pd.concat([report.method.files[["role", "path", "sha256"]], exports], ignore_index=True)
    files = files.drop_duplicates(subset=["path", "sha256"]).reset_index(drop=True)
    return files.assign(role=[label(f"role_{r}", report.lang) for r in files["role"]])


def _method(report: ReportInput) -> Section:
    lang = report.lang
    analyses = _analysis_method(report)
    tables = (
        _target_method(report),
        _key_values(report),
        _rules(report),
        *([analyses] if analyses is not None else []),
        _plain_table("margin_sources", label("method_margins", lang), lang, report.method.margin_sources.assign(
                         variable=[variable_label(v, lang) for v in report.method.margin_sources["variable"]]),
                     [("col_design", "design", "text"), ("col_variable", "variable", "text"),
                      ("col_population", "population", "text"), ("col_source", "source", "code"),
                      ("col_sha256", "sha256", "code")]),
        _weight_table(report, compact=True),
        _plain_table("files", label("method_files", lang), lang, _files(report),
                     [("col_role", "role", "text"), ("col_path", "path", "code"), ("col_sha256", "sha256", "code")]),
    )
    return Section("method", label("method", lang), tables, notes=report.method.notes)


def _quality(report: ReportInput) -> Section:
    lang = report.lang
    frame = report.accounting
    # accepted + rejected = rows read holds for files whose rows were ingested (not for a label file or a copy)
    accounting = frame.assign(
        balanced=[None if role not in _INGESTED_ROLES or pd.isna(r) or pd.isna(a) or pd.isna(j) else bool(a + j == r)
                  for role, r, a, j in zip(frame["role"], frame["rows_read"], frame["accepted"], frame["rejected"])],
        role=[label(f"role_{role}", lang) if role else "" for role in frame["role"]])
    reasons = report.reasons.assign(outcome=[label(f"outcome_{o}", lang) for o in report.reasons["outcome"]])
    reason_columns = [("col_code", "code", "text"), ("col_outcome", "outcome", "text"), ("col_count", "count", "count")]
    if lang == "en":  # the validation messages are English: examples in the English report only
        reason_columns.append(("col_example", "message", "text"))
    tables = (
        _plain_table("accounting", label("quality_accounting", lang), lang, accounting,
                     [("col_path", "path", "code"), ("col_questionnaire", "questionnaire", "text"),
                      ("col_file_role", "role", "text"), ("col_platform", "platform", "text"),
                      ("col_encoding", "encoding", "text"), ("col_mode", "mode", "text"),
                      ("col_rows_read", "rows_read", "count"), ("col_accepted", "accepted", "count"),
                      ("col_rejected", "rejected", "count"), ("col_flagged", "flagged", "count"),
                      ("col_balanced", "balanced", None), ("col_reasons", "reasons", "text"),
                      ("col_note", "note", "text")],
                     detail={"col_encoding", "col_platform", "col_questionnaire", "col_file_role"}),
        _plain_table("reasons", label("quality_reasons", lang), lang, reasons, reason_columns),
    )
    return Section("quality", label("quality", lang), tables)


def _weight_table(report: ReportInput, *, compact: bool = False) -> Table:
    spec = [("col_design", "design", "text"), ("col_method", "method", "text"),
            ("col_respondents", "respondents", "count"),
            ("col_kish_design_effect_before", "kish_design_effect_before", "number"),
            ("col_kish_design_effect", "kish_design_effect", "number"),
            ("col_effective_sample_size_all", "effective_sample_size", "number"),
            ("col_weight_min", "weight_min", "number"), ("col_weight_max", "weight_max", "number"),
            ("col_weight_ratio", "weight_ratio", "number"), ("col_top_share", "top_share", "share"),
            ("col_iterations", "iterations", "count"), ("col_converged", "converged", None),
            ("col_largest_margin_gap", "largest_margin_gap", "share"),
            ("col_flags", "flags_zh" if report.lang == "zh" else "flags", "text")]
    if compact:
        keep = {"col_design", "col_method", "col_kish_design_effect", "col_effective_sample_size_all", "col_converged"}
        spec = [s for s in spec if s[0] in keep]
    frame = report.weights.assign(flags_zh=[zh or en for zh, en in zip(report.weights["flags_zh"],
                                                                       report.weights["flags"])])
    return _plain_table("weights", label("weights_diagnostics", report.lang), report.lang, frame, spec,
                        detail={"col_weight_min", "col_weight_max", "col_iterations", "col_kish_design_effect_before"})


def _weights(report: ReportInput) -> Section:
    lang = report.lang
    frame = report.margins.assign(variable=[variable_label(v, lang) for v in report.margins["variable"]])
    margins = _plain_table(
        "margins", label("weights_margins", lang), lang, frame,
        [("col_design", "design", "text"), ("col_variable", "variable", "text"),
         ("col_category", "category", "text"), ("col_respondents", "respondents", "count"),
         ("col_target_share", "target_share", "share"), ("col_share_before", "share_before", "share"),
         ("col_share_after", "share_after", "share"), ("col_target_total", "target_total", "number"),
         ("col_total_after", "total_after", "number")],
        detail={"col_target_total", "col_total_after"})
    return Section("weights", label("weights", lang), (_weight_table(report), margins))


def _agreement(value: Any, lang: str) -> Cell:
    return Cell(label("agrees_not_judged" if value is None else ("agrees_yes" if value else "agrees_no"), lang))


def short_indicator_names(report: ReportInput) -> dict[str, str]:
    """An indicator's full text (as the robustness and mode tables carry it) → its short name on the overview,
    so that every table names a target the same way (the plan's sentence is the overview's footnote)."""
    lang, board = report.lang, report.scoreboard
    short = {row["target_id"]: _text(row, "short", lang) for _, row in board.iterrows() if _text(row, "short", lang)}
    names = {_text(row, "label", lang): short[row["target_id"]] for _, row in board.iterrows()
             if row["target_id"] in short}
    for _, row in report.robustness.iterrows():
        if row["target_id"] in short and _text(row, "indicator", lang):
            names[_text(row, "indicator", lang)] = short[row["target_id"]]
    return names


def _robustness_table(report: ReportInput) -> Table:
    lang, frame = report.lang, report.robustness
    short = short_indicator_names(report)
    names = ["col_indicator", "col_alternative", "col_estimate", "interval", "col_verdict", "col_agrees",
             "col_respondents", "col_effective_size", "col_note"]
    widths = {"col_indicator": 24, "col_alternative": 30, "col_note": 40}
    columns = tuple(ColumnView(_interval_header(report.method.level, lang), interval=True) if name == "interval"
                    else ColumnView(label(name, lang), detail=name == "col_effective_size", width=widths.get(name))
                    for name in names)
    rows = []
    for _, row in frame.iterrows():
        rows.append((
            Cell(short.get(_text(row, "indicator", lang), _text(row, "indicator", lang))
                 if row["alternative"] == "reported" else ""),
            Cell(_text(row, "label", lang)),
            Cell(_number(row["estimate"]), "share"),
            Cell((_number(row["ci_low"]), _number(row["ci_high"])), "share"),
            Cell(_text(row, "verdict", lang) or verdict_label(row["verdict"], lang), "verdict", verdict=row["verdict"]),
            Cell("") if row["alternative"] == "reported" else _agreement(row["agrees"], lang),
            Cell(_number(row["respondents"]), "count"),
            Cell(_number(row["effective_size"]), "count"),
            Cell(_text(row, "note", lang)),
        ))
    return Table("robustness", label("robustness_alternatives", lang), columns, tuple(rows))


def _mode_table(report: ReportInput) -> Table:
    lang, frame = report.lang, report.mode_differences
    short = short_indicator_names(report)
    spec = [("col_indicator", None, "text"), ("col_first_mode", "first_estimate", "share"),
            ("col_second_mode", "second_estimate", "share"), ("col_difference", "difference", "points_signed"),
            ("interval", None, "points_signed"), ("col_p_value_two_sided", "p_value", "p_value"),
            ("col_significant", "significant", None), ("col_first_respondents", "first_respondents", "count"),
            ("col_second_respondents", "second_respondents", "count")]
    columns = tuple(ColumnView(_interval_header(report.method.level, lang), interval=True) if key == "interval"
                    else ColumnView(label(key, lang)) for key, _, _ in spec)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for key, column, kind in spec:
            if key == "col_indicator":
                cells.append(Cell(short.get(_text(row, "indicator", lang), _text(row, "indicator", lang))))
            elif key == "interval":
                cells.append(Cell((_number(row["ci_low"]), _number(row["ci_high"])), kind))
            elif kind is None:
                cells.append(_flag(row[column], lang))
            else:
                cells.append(Cell(_number(row[column]), kind))
        rows.append(tuple(cells))
    return Table("mode_differences", label("robustness_modes", lang), columns, tuple(rows),
                 note=label("mode_difference_note", lang))


def _robustness(report: ReportInput) -> Section | None:
    if report.robustness.empty:
        return None
    tables = [_robustness_table(report)]
    if not report.mode_differences.empty:
        tables.append(_mode_table(report))
    return Section("robustness", label("robustness", report.lang), tuple(tables),
                   notes=(label("robustness_note", report.lang),))


def analysis_chart_name(target_id: str, title: str) -> str:
    """The name under which a chart goes to ``target_id``'s analysis section, captioned ``title``."""
    return f"{ANALYSIS_CHART_PREFIX}{target_id}:{title}"


def chart_title(name: str, lang: str) -> str:
    """A chart's caption: its name in words (an analysis chart's own title)."""
    if name.startswith(ANALYSIS_CHART_PREFIX):
        return name[len(ANALYSIS_CHART_PREFIX):].partition(":")[2]
    return label(f"chart_{name}", lang)


def _chart_section(name: str) -> str:
    if name.startswith(ANALYSIS_CHART_PREFIX):
        return "analysis:" + name[len(ANALYSIS_CHART_PREFIX):].partition(":")[0]
    lowered = name.lower()
    return next((section for prefix, section in _CHART_SECTIONS if lowered.startswith(prefix)), "charts")


# ------------------------------------------------------------------------------------------ what to improve

def _heading(text: str) -> str:
    """A column heading from a phrase of the analyses' wording: its first Latin letter capitalised (English); a
    symbol stays as it is ("α if the item is deleted", not "Α …", a capital alpha that reads as an A)."""
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def _first_only(values: list[str]) -> list[str]:
    """Each value shown on the first of its rows only (a grouping column)."""
    return [value if index == 0 or value != values[index - 1] else "" for index, value in enumerate(values)]


def _group_table(frame: pd.DataFrame, lang: str, level: float) -> Table:
    value_kind, _ = _value_kinds(frame["kind"].iloc[0])
    difference_kind = "points_signed" if value_kind == "share" else "number"
    names = ("col_group_variable", "col_group", "col_estimate", "interval", "col_respondents", "col_difference_rest",
             "difference_interval", "col_p_value_raw", "col_p_value_adjusted", "col_rest_comparison",
             "col_reliability")
    detail = {"difference_interval", "col_p_value_raw", "col_reliability"}
    headers = {"interval": _interval_header(level, lang),
               "difference_interval": f"{label('col_difference_rest', lang)} · {_interval_header(level, lang)}"}
    columns = tuple(ColumnView(headers.get(name) or label(name, lang), interval=name in headers,
                               detail=name in detail) for name in names)
    variables = _first_only([_text(row, "variable_label", lang) or variable_label(row["variable"], lang)
                             for _, row in frame.iterrows()])
    rows = []
    for shown, (_, row) in zip(variables, frame.iterrows()):
        versus = ("rest_unreliable" if row["reliability"] == "suppress" else
                  "rest_below" if row["below"] else "rest_above" if row["above"] else "rest_none")
        cells = (Cell(shown), Cell(_text(row, "label", lang) or row["value"]),
                 Cell(_number(row["estimate"]), value_kind),
                 Cell((_number(row["ci_low"]), _number(row["ci_high"])), value_kind),
                 Cell(_number(row["respondents"]), "count"), Cell(_number(row["difference"]), difference_kind),
                 Cell((_number(row["difference_ci_low"]), _number(row["difference_ci_high"])), difference_kind),
                 Cell(_number(row["p_value"]), "p_value"), Cell(_number(row["adjusted_p_value"]), "p_value"),
                 Cell(label(versus, lang)), Cell(label(f"reliability_{row['reliability']}", lang)))
        muted = row["reliability"] == "suppress"
        rows.append(tuple(dataclasses.replace(cell, muted=muted) for cell in cells))
    findings = [text for text in dict.fromkeys(_text(row, "finding", lang) for _, row in frame.iterrows()) if text]
    notes = (*findings, _text(frame.iloc[0], "note", lang))
    return Table("groups", label("analysis_groups", lang), columns, tuple(rows), notes=tuple(n for n in notes if n))


def _drivers_table(frame: pd.DataFrame, lang: str, level: float) -> Table:
    first = frame.iloc[0]
    level = _number(first["level"]) or level
    shown_level = f"{level * 100:g}%"
    linear = first["family"] == "gaussian"
    names = ("col_number", "col_item", "col_performance", "performance_interval", "col_importance",
             "importance_interval", "col_odds_ratio", "col_p_value_two_sided", "col_no_answer_share", "col_quadrant",
             "col_priority")
    headers = {"col_performance": say("performance", lang),
               "col_importance": say("importance_linear" if linear else "importance_logit", lang),
               "performance_interval": label("col_performance_interval", lang, level=shown_level),
               "importance_interval": label("col_importance_interval", lang, level=shown_level)}
    detail = {"col_odds_ratio", "col_p_value_two_sided", "col_no_answer_share"}
    columns = tuple(ColumnView(headers.get(name) or label(name, lang), interval=name.endswith("_interval"),
                               detail=name in detail) for name in names)
    rows = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):  # numbered as the quadrant chart numbers them
        rows.append((
            Cell(number, "count"), Cell(_text(row, "label", lang)), Cell(_number(row["performance"]), "share"),
            Cell((_number(row["performance_ci_low"]), _number(row["performance_ci_high"])), "share"),
            Cell(_number(row["importance"]), "coefficient"),
            Cell((_number(row["importance_ci_low"]), _number(row["importance_ci_high"])), "coefficient"),
            Cell(_number(row["odds_ratio"]), "coefficient"), Cell(_number(row["importance_p_value"]), "p_value"),
            Cell(_number(row["no_answer_share"]), "share"), Cell(QUADRANT_NAMES[row["quadrant"]].get(lang)),
            Cell(_number(row["priority"]), "count"),
        ))
    notes = tuple(text for text in (_text(first, "cut_note", lang), _text(first, "method_note", lang)) if text)
    return Table("drivers", label("analysis_drivers", lang), columns, tuple(rows),
                 note=_text(first, "summary", lang), notes=notes)


def _reliability_tables(scales: pd.DataFrame, items: pd.DataFrame, lang: str, level: float) -> tuple[Table, ...]:
    if scales.empty:
        return ()
    columns = tuple(ColumnView(_interval_header(level, lang), interval=True) if name == "interval"
                    else ColumnView(label(name, lang)) for name in
                    ("col_scale", "col_alpha", "interval", "col_items", "col_alpha_respondents", "col_scoring"))
    rows = tuple((Cell(_text(row, "label", lang)), Cell(_number(row["alpha"]), "correlation"),
                  Cell((_number(row["ci_low"]), _number(row["ci_high"])), "correlation"),
                  Cell(_number(row["items"]), "count"), Cell(_number(row["respondents"]), "count"),
                  Cell(label(f"scoring_{row['scoring']}", lang))) for _, row in scales.iterrows())
    tables = [Table("reliability", label("analysis_reliability", lang), columns, rows,
                    note=label("analysis_alpha_pointer", lang))]
    if not items.empty:
        names = dict(zip(scales["measure_id"], (_text(row, "label", lang) for _, row in scales.iterrows())))
        shown = _first_only([names.get(measure, measure) for measure in items["measure_id"]])
        columns = (ColumnView(label("col_scale", lang)), ColumnView(label("col_item", lang)),
                   ColumnView(_heading(say("item_rest", lang))), ColumnView(_heading(say("alpha_if_deleted", lang))))
        rows = tuple((Cell(scale), Cell(_text(row, "label", lang)),
                      Cell(_number(row["item_rest_correlation"]), "correlation"),
                      Cell(_number(row["alpha_if_deleted"]), "correlation"))
                     for scale, (_, row) in zip(shown, items.iterrows()))
        tables.append(Table("reliability_items", label("analysis_reliability_items", lang), columns, rows))
    return tuple(tables)


def _analysis_targets(report: ReportInput) -> dict[str, str]:
    """Target id → questionnaire of every target with an analysis, in scoreboard order."""
    found = dict(zip(report.group_comparisons["target_id"], report.group_comparisons["questionnaire"]))
    found.update(zip(report.drivers["target_id"], report.drivers["questionnaire"]))
    return {target: found[target] for target in report.scoreboard["target_id"] if target in found}


def _analysis(report: ReportInput, target_id: str, questionnaire: str) -> Section:
    lang, level = report.lang, report.method.level
    groups = report.group_comparisons[report.group_comparisons["target_id"] == target_id]
    drivers = report.drivers[report.drivers["target_id"] == target_id]
    row = report.scoreboard[report.scoreboard["target_id"] == target_id].iloc[0]
    indicator = _text(row, "short", lang) or _text(row, "label", lang)
    tables = []
    if not groups.empty:
        tables.append(_group_table(groups, lang, level))
    if not drivers.empty:
        tables.append(_drivers_table(drivers, lang, level))
    scales = report.reliability[report.reliability["questionnaire"] == questionnaire] if questionnaire else \
        report.reliability.iloc[0:0]
    items = report.reliability_items[report.reliability_items["questionnaire"] == questionnaire]
    tables += _reliability_tables(scales, items, lang, level)
    return Section("analysis", label("analysis_title", lang, indicator=indicator), tuple(tables),
                   charts_after="drivers" if not drivers.empty else "",
                   sheet=label("analysis_sheet", lang, indicator=indicator), target_id=target_id)


def _analysis_method(report: ReportInput) -> Table | None:
    """How the analyses of what to improve were made, and what α means and does not mean (the 方法 section)."""
    lang = report.lang
    rows = []
    if not report.group_comparisons.empty:
        rows.append(("method_analysis_groups", _text(report.group_comparisons.iloc[0], "note", lang)))
    if not report.drivers.empty:
        rows.append(("method_analysis_drivers", _text(report.drivers.iloc[0], "method_note", lang)))
    if not report.reliability.empty:
        rows.append(("method_analysis_reliability", say("alpha_method", lang)))
    if not rows:
        return None
    columns = (ColumnView(label("item", lang)), ColumnView(label("value", lang), width=90))
    return Table("analyses_method", label("method_analyses", lang), columns,
                 tuple((Cell(label(key, lang)), Cell(text)) for key, text in rows))


def report_sections(report: ReportInput) -> tuple[Section, ...]:
    """The sections in print order: overview, one per indicator, charts, method, data quality, weights."""
    placed: dict[str, list[tuple[str, pathlib.Path]]] = {}
    for name, path in report.charts.items():
        placed.setdefault(_chart_section(name), []).append((name, path))

    def with_charts(section: Section) -> Section:
        return dataclasses.replace(section, charts=tuple(placed.get(section.key, ())))

    measures = report.measures
    keys = [questionnaire or f"measure:{measure_id}"
            for questionnaire, measure_id in zip(measures["questionnaire"], measures["measure_id"])]
    analyses = _analysis_targets(report)
    indicators = []
    for key in dict.fromkeys(keys):  # each questionnaire's indicator section, then its targets' analyses
        indicators.append(_indicator(measures[[k == key for k in keys]], report.lang, report.method.level))
        indicators += [dataclasses.replace(_analysis(report, target, questionnaire),
                                           charts=tuple(placed.get(f"analysis:{target}", ())))
                       for target, questionnaire in analyses.items() if questionnaire == key]
    shown = {questionnaire for questionnaire in keys}
    indicators += [dataclasses.replace(_analysis(report, target, questionnaire),
                                       charts=tuple(placed.get(f"analysis:{target}", ())))
                   for target, questionnaire in analyses.items() if questionnaire not in shown]
    robustness = _robustness(report)
    sections = [with_charts(_overview(report)), _overview_detail(report), *([robustness] if robustness else []),
                *indicators]
    if placed.get("charts"):
        sections.append(Section("charts", label("charts", report.lang), (), tuple(placed["charts"])))
    sections += [_method(report), _quality(report), with_charts(_weights(report))]
    return tuple(sections)
