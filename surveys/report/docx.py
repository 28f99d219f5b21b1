"""The Word report (report.docx): the acceptance material a city office edits, stamps and files.

Written from the same :class:`~surveys.report.model.ReportInput` as the workbook and the HTML report, and, where
a table is the same, from the same language-resolved tables (:func:`surveys.report.views.report_sections`), so
all three print one figure for one thing. The document reads:

* a **title page**: the study's title, the survey year (the wave), the units responsible for the survey and
  census targets, the date of the run, and the demonstration-data and unweighted notices (which the page
  header repeats on every other page);
* **一、调查概况**: the sample design, the inputs (rows read = accepted + rejected) and the samples of each survey;
* **二、主要结论**: the summary line, the overview (the workbook's 总览 columns, each row's 说明 — what the
  verdict depends on and its warnings — on a full-width line under it), the plan's full sentences, the targets
  chart, and the robustness and paper − online tables;
* **三、分项结果**: one part per indicator, written by the functions of :data:`INDICATOR_PARTS` in turn —
  the headline with its interval and verdict and a sentence that says only what the tables say
  (:mod:`surveys.report.narrative`), the measures and the groups on the verdict's base (rows the reliability
  rules flag marked ※), the indicator's charts, and for each of its survey targets what to improve (改进分析：
  <short name>: the group comparisons, the drivers with the importance–performance quadrant chart right under
  them, the reliability of the scales, each table followed by its findings and method in words); adding a part is
  adding a function to that tuple;
* **四、方法说明**: sample design, weighting and its margins, intervals, the decision rule, what each target
  counts, how the what-to-improve analyses were made, other notes;
* **附件**: data quality (every file's accounting, rejection and flag reasons), weights (diagnostics, margins
  before and after, their charts), the input files with their SHA-256, and any chart not placed above.

Page, fonts and table layout (Chinese official style, A4 portrait): :mod:`surveys.report.docx_layout`.
Checked by reopening the file with python-docx and converting it with LibreOffice (tests/test_report_docx.py).
"""
from __future__ import annotations

import dataclasses
import datetime as _datetime
import pathlib
import re
from typing import Callable, Sequence

import pandas as pd

from surveys.errors import ReportError
from surveys.indicators.register import scoreboard_summary
from surveys.report.docx_layout import Layout, cell_text
from surveys.report.labels import label
from surveys.report.model import ReportInput
from surveys.report.narrative import display_kind, indicator_sentence, value_text
from surveys.report.views import (
    Cell,
    ColumnView,
    Section,
    Table,
    chart_title,
    report_sections,
    unit_text,
    variable_label,
)

__all__ = ["write_docx", "INDICATOR_PARTS", "Indicator", "DocxWriter"]

_INGESTED_ROLES = ("", "ingested")
_WEIGHT_CHARTS = ("weight", "margin", "raking")
_OVERVIEW_CHARTS = ("target", "scoreboard")
_FLAGGED = ("review", "suppress")
_CHINESE_NUMERALS = "一二三四五六七八九"


@dataclasses.dataclass(frozen=True)
class Indicator:
    """One indicator part: the measures of one questionnaire (``key``), its targets (scoreboard rows), charts
    (name, file) and its targets' what-to-improve sections (:func:`surveys.report.views.report_sections`, key
    ``analysis``)."""

    key: str
    title: str
    targets: pd.DataFrame
    measures: pd.DataFrame
    charts: tuple[tuple[str, pathlib.Path], ...]
    analyses: tuple[Section, ...] = ()


# ------------------------------------------------------------------------------------------ helpers

def _text(row: pd.Series, name: str, lang: str) -> str:
    zh = row.get(f"{name}_zh", "")
    return (row.get(f"{name}_en", "") or zh) if lang == "en" else zh


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _chinese_number(number: int) -> str:
    if number <= 9:
        return _CHINESE_NUMERALS[number - 1]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else _CHINESE_NUMERALS[tens - 1]) + "十" + (_CHINESE_NUMERALS[ones - 1] if ones else "")


def _pick(table: Table, headers: Sequence[str], *, title: str | None = None) -> Table:
    """``table`` with only the columns headed ``headers`` (``"interval"``: the interval column), in that order,
    all shown in the document (the workbook's detail marks do not apply)."""
    index = []
    for header in headers:
        found = [i for i, c in enumerate(table.columns) if (c.interval if header == "interval" else c.header == header)]
        index += found[:1]
    columns = tuple(dataclasses.replace(table.columns[i], detail=False) for i in index)
    rows = tuple(tuple(row[i] for i in index) for row in table.rows)
    return dataclasses.replace(table, columns=columns, rows=rows, title=title or table.title)


def _grouped(table: Table, header: str) -> Table:
    """``table`` with the column headed ``header`` printed once per run of equal values (a group's rows follow)."""
    index = next((i for i, c in enumerate(table.columns) if c.header == header), None)
    if index is None:
        return table
    rows, previous = [], None
    for row in table.rows:
        value = row[index].value
        rows.append(row if value != previous else row[:index] + (Cell(""),) + row[index + 1:])
        previous = value
    return dataclasses.replace(table, rows=tuple(rows))


def _column(table: Table, header: str, lang: str) -> list[str]:
    """The printed texts of the column headed ``header`` (empty texts where there is no such column)."""
    index = next((i for i, c in enumerate(table.columns) if c.header == header), None)
    return ["" if index is None else cell_text(row[index], lang) for row in table.rows]


def _joined(parts: Sequence[str], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(part for part in parts if part)


def _labelled(key: str, text: str, lang: str) -> str:
    return f"{label(key, lang)}{'：' if lang == 'zh' else ': '}{text}" if text else ""


def _run_date(run_time: str, lang: str) -> str:
    try:
        moment = _datetime.datetime.fromisoformat(run_time)
    except ValueError:
        return run_time
    return f"{moment.year}年{moment.month}月{moment.day}日" if lang == "zh" else moment.date().isoformat()


def _chart_owner(path: pathlib.Path, keys: Sequence[str]) -> str:
    """The indicator key (questionnaire id) a chart's file name holds (district_market_supervision), or ''."""
    stem = path.stem.lower()
    owners = [key for key in keys if re.search(rf"(^|_){re.escape(key.lower())}(_|$)", stem)]
    return max(owners, key=len) if owners else ""


def _chart_home(name: str, path: pathlib.Path, keys: Sequence[str]) -> str:
    """Where a chart goes: ``weights`` (weights, margins), an indicator key (:func:`_chart_owner`), ``overview``
    (targets) or ``other``."""
    stem, lowered = path.stem.lower(), name.lower()
    if stem.startswith(_WEIGHT_CHARTS) or lowered.startswith(_WEIGHT_CHARTS):
        return "weights"
    if _chart_owner(path, keys):
        return _chart_owner(path, keys)
    if stem.startswith(_OVERVIEW_CHARTS) or lowered.startswith(_OVERVIEW_CHARTS):
        return "overview"
    return "other"


# ------------------------------------------------------------------------------------------ the writer

class DocxWriter:
    """Writes the report's parts in order: ``report`` and ``lang`` are what it writes, ``layout``
    (:class:`~surveys.report.docx_layout.Layout`) writes paragraphs, numbered tables (any
    :class:`~surveys.report.views.Table`) and figures, and :meth:`heading` numbers the headings
    (一、（一）1． / 1. 1.1 1.1.1)."""

    def __init__(self, report: ReportInput) -> None:
        self.report = report
        self.lang = report.lang
        self.sections = report_sections(report)
        self.level = report.method.level
        notes = []
        if report.scoreboard["demo_data"].eq(True).any():
            notes.append(label("demo_data", self.lang))
        if report.unweighted:
            notes.insert(0, label("unweighted", self.lang))
        self.header_notes = tuple(notes)
        self.layout = Layout(self.lang, report.title or label("report_title", self.lang), header_notes=notes,
                             author=f"surveys {report.method.toolkit_version}")
        self.counters = [0, 0, 0]
        self.indicators, self.chart_homes, self.loose_analyses = self._indicators()

    # -- structure
    def heading(self, text: str, level: int, *, new_page: bool = False) -> None:
        self.counters[level - 1] += 1
        for deeper in range(level, len(self.counters)):
            self.counters[deeper] = 0
        number = self.counters[level - 1]
        if self.lang == "zh":
            prefix = (f"{_chinese_number(number)}、", f"（{_chinese_number(number)}）", f"{number}．")[level - 1]
        else:
            prefix = ".".join(str(n) for n in self.counters[:level]) + (". " if level == 1 else " ")
        self.layout.heading(prefix + text, level, new_page=new_page)

    def annex(self, number: int, title: str) -> None:
        self.counters = [0, 0, 0]
        heading = label("doc_annex", self.lang, number=number)
        self.layout.heading(f"{heading}{'　' if self.lang == 'zh' else ': '}{title}", 1, new_page=True)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def view(self, section_key: str, table_key: str) -> Table | None:
        section = self.section(section_key)
        return next((t for t in section.tables if t.key == table_key), None) if section else None

    def paragraphs(self, texts: Sequence[str], style: str = "Body Text") -> None:
        for text in texts:
            if text:
                self.layout.paragraph(text, style)

    # -- indicators and charts
    def _owners(self, keys: pd.Series) -> pd.Series:
        """The indicator key of each target: its questionnaire's (or its measure's when it names no questionnaire
        and one questionnaire has that measure); '' for administrative figures and targets without measures."""
        board, measures = self.report.scoreboard, self.report.measures
        known = set(keys)
        owners = []
        for questionnaire, measure_id, source in zip(board["questionnaire"], board["measure_id"], board["source_kind"]):
            key = questionnaire or f"measure:{measure_id}"
            having = set(keys[measures["measure_id"] == measure_id])
            if source == "administrative" or not measure_id:
                owners.append("")
            else:
                owners.append(key if key in known else (next(iter(having)) if len(having) == 1 else ""))
        return pd.Series(owners, index=board.index, dtype=object)

    def _indicators(self) -> tuple[list[Indicator], dict[str, list[tuple[str, pathlib.Path]]], tuple[Section, ...]]:
        """The indicator parts, in the plan's order of their targets (then measures no target names), where each
        chart goes (an indicator key, overview, weights or other; an analysis's charts stay in its section), and
        the analysis sections of targets no indicator part holds."""
        report, lang = self.report, self.lang
        measures, board = report.measures, report.scoreboard
        keys = pd.Series([q or f"measure:{m}" for q, m in zip(measures["questionnaire"], measures["measure_id"])],
                         index=measures.index, dtype=object)
        owners = self._owners(keys)
        order = list(dict.fromkeys([key for key in owners if key] + list(keys)))
        analyses = {section.target_id: section for section in self.sections if section.key == "analysis"}
        placed = {name for section in analyses.values() for name, _ in section.charts}
        homes: dict[str, list[tuple[str, pathlib.Path]]] = {}
        for name, path in report.charts.items():
            if name not in placed:
                homes.setdefault(_chart_home(name, path, order), []).append((name, path))
        # the weights annex shows each survey's charts together, in the indicators' order; the rest after them
        rank = {key: index for index, key in enumerate(order)}
        homes["weights"] = sorted(homes.get("weights", ()),
                                  key=lambda chart: rank.get(_chart_owner(chart[1], order), len(rank)))
        indicators = []
        for key in order:
            targets, own = board[owners == key], measures[keys == key]
            names = [_text(row, "short", lang) or _text(row, "label", lang) for _, row in targets.iterrows()]
            title = ("、" if lang == "zh" else "; ").join(names) or _text(own.iloc[0], "label", lang) \
                or own.iloc[0]["measure_id"]
            indicators.append(Indicator(key, title, targets, own, tuple(homes.get(key, ())),
                                        tuple(analyses.pop(t) for t in targets["target_id"] if t in analyses)))
        return indicators, homes, tuple(analyses.values())

    def target_name(self, target_id: str) -> str:
        """A target's short name (its plan text when it has none), as the overview names it."""
        rows = self.report.scoreboard[self.report.scoreboard["target_id"] == target_id]
        return next((_text(row, "short", self.lang) or _text(row, "label", self.lang) for _, row in rows.iterrows()),
                    "")

    def figures(self, charts: Sequence[tuple[str, pathlib.Path]]) -> None:
        for name, path in charts:
            self.layout.figure(path, chart_title(name, self.lang))


# ------------------------------------------------------------------------------------------ title page

def _title_page(writer: DocxWriter) -> None:
    report, lang, layout = writer.report, writer.lang, writer.layout
    for _ in range(3):
        layout.paragraph("", "Normal")
    layout.paragraph(report.title or label("report_title", lang), "Title")
    if report.title:
        layout.paragraph(label("report_title", lang), "Subtitle")
    board = report.scoreboard
    units = list(dict.fromkeys(_text(row, "responsible_unit", lang) for _, row in board.iterrows()
                               if row["source_kind"] != "administrative" and _text(row, "responsible_unit", lang)))
    lines = [("doc_survey_year", dict(wave=report.method.wave), report.method.wave),
             ("doc_units", dict(units=_joined(units, lang)), units),
             ("doc_date", dict(date=_run_date(report.method.run_time, lang)), report.method.run_time)]
    for key, values, shown in lines:
        if shown:  # a long list of units continues under itself, not under 责任单位
            lead = label(key, lang, **{name: "\0" for name in values}).partition("\0")[0]
            layout.paragraph(label(key, lang, **values), "Normal", hanging=lead)
    layout.paragraph("", "Normal")
    for note in writer.header_notes:
        layout.notice(note, warning=True)
    layout.paragraph(label("generated", lang, run_time=report.method.run_time, version=report.method.toolkit_version),
                     "Table Note")


# ------------------------------------------------------------------------------------------ 一、调查概况

def _ingested(report: ReportInput) -> pd.DataFrame:
    frame = report.accounting
    return frame[frame["role"].isin(_INGESTED_ROLES)]


def _balanced(frame: pd.DataFrame) -> pd.Series:
    return (frame["accepted"] + frame["rejected"]).eq(frame["rows_read"])


def _samples_table(report: ReportInput) -> Table:
    """Rows read, accepted, rejected and flagged of each survey and mode (its ingested files summed)."""
    lang = report.lang
    frame = _ingested(report).assign(balanced=lambda f: _balanced(f))
    grouped = frame.groupby(["questionnaire", "mode"], sort=False, dropna=False).agg(
        rows_read=("rows_read", "sum"), accepted=("accepted", "sum"), rejected=("rejected", "sum"),
        flagged=("flagged", "sum"), balanced=("balanced", "all")).reset_index()
    total = pd.DataFrame([{"questionnaire": label("doc_total", lang), "mode": "",
                           **{c: grouped[c].sum() for c in ("rows_read", "accepted", "rejected", "flagged")},
                           "balanced": bool(grouped["balanced"].all())}])
    grouped = pd.concat([grouped, total], ignore_index=True) if len(grouped) > 1 else grouped
    columns = tuple(ColumnView(label(key, lang)) for key in (
        "col_questionnaire", "col_mode", "col_rows_read", "col_accepted", "col_rejected", "col_flagged", "col_balanced"))
    rows = tuple((Cell(row["questionnaire"]), Cell(row["mode"]),
                  *(Cell(_number(row[c]), "count") for c in ("rows_read", "accepted", "rejected", "flagged")),
                  Cell(label("yes" if row["balanced"] else "no", lang))) for _, row in grouped.iterrows())
    return Table("samples", label("doc_samples_table", lang), columns, rows)


def _survey(writer: DocxWriter) -> None:
    report, lang, layout = writer.report, writer.lang, writer.layout
    method = report.method
    writer.heading(label("doc_part_survey", lang), 1, new_page=True)
    writer.heading(label("sample_design", lang), 2)
    writer.paragraphs([_labelled("wave_item", method.wave, lang),
                       _labelled("sample_design", method.sample_design or label("sample_design_default", lang), lang),
                       _labelled("weighting_method", method.weighting_method, lang)])
    writer.heading(label("doc_fieldwork", lang), 2)
    files = _ingested(report)
    if len(files):
        unbalanced = int((~_balanced(files)).sum())
        balance = (label("doc_balanced_all", lang) if not unbalanced
                   else label("doc_balanced_not", lang, count=unbalanced))
        counts = {c: value_text(files[c].sum(), "count", "", lang)
                  for c in ("rows_read", "accepted", "rejected", "flagged")}
        layout.paragraph(label("doc_fieldwork_text", lang, files=len(files), balance=balance,
                               annex=label("doc_annex", lang, number=1), **counts))
    writer.heading(label("doc_samples", lang), 2)
    layout.table(_samples_table(report))


# ------------------------------------------------------------------------------------------ 二、主要结论

def _findings(writer: DocxWriter) -> None:
    report, lang, layout = writer.report, writer.lang, writer.layout
    overview = writer.section("overview")
    writer.heading(label("doc_part_findings", lang), 1, new_page=True)
    writer.heading(label("doc_overall", lang), 2)
    board = report.scoreboard
    summary = scoreboard_summary(list(board["verdict"]), list(board["target_met"]), list(board["rule"])).get(lang)
    layout.paragraph(summary)
    table = overview.tables[0]
    notes_header = label("col_notes", lang)
    row_notes = _column(table, notes_header, lang)  # they start with 稳健性：…; the warnings follow
    shown = _pick(table, [c.header if not c.interval else "interval" for c in table.columns
                          if c.header != notes_header], title=label("doc_overview_table", lang))
    # the summary is above, the demonstration notice on the title page and every header, the rule in 方法说明,
    # and the respondents still needed are not a column here
    skip = {summary, label("demo_data", lang), label("overview_note", lang), label("additional_note", lang)}
    layout.table(shown, row_notes=row_notes, notes=[n for n in overview.notes if n not in skip])
    for line in overview.footnotes:
        layout.note(line)
    writer.figures(writer.chart_homes.get("overview", ()))
    robustness = writer.section("robustness")
    if robustness is not None:
        writer.heading(label("robustness", lang), 2)
        writer.paragraphs(robustness.notes)
        for table in robustness.tables:
            layout.table(table)


# ------------------------------------------------------------------------------------------ 三、分项结果

def _interval_header(frame: pd.DataFrame, level: float, lang: str) -> str:
    if (frame["source_kind"] == "census").all():
        return label("kind_bounds", lang)
    return f"{level * 100:g}% {label('col_interval', lang)}"


def _measure_table(frame: pd.DataFrame, headers: Sequence[str], names: Sequence[Sequence[str]], key: str,
                   title: str, lang: str, level: float) -> tuple[Table, list[str]]:
    """One row per row of ``frame`` (a measure × domain): its ``names`` under ``headers``, then the value, interval,
    respondents, effective sample size (none for a census) and reliability. A row the reliability rules flag is
    marked ※ (greyed when unreliable); why, is returned as the table's notes."""
    census = frame["effective_sample_size"].isna().all()
    columns = [*(ColumnView(h) for h in headers), ColumnView(label("col_estimate", lang)),
               ColumnView(_interval_header(frame, level, lang), interval=True), ColumnView(label("col_respondents", lang)),
               *([] if census else [ColumnView(label("col_effective_sample_size", lang))]),
               ColumnView(label("col_reliability", lang))]
    rows, notes = [], []
    mark = label("doc_flagged_mark", lang)
    for (_, row), (*groups, name) in zip(frame.iterrows(), names):
        kind = display_kind(row["kind"])
        if row["reliability"] in _FLAGGED:
            reasons = _text(row, "reliability_reasons", lang)
            notes.append(f"{mark} {name}{'：' if lang == 'zh' else ': '}{reasons}")
            name = mark + name
        cells = [*(Cell(g) for g in groups), Cell(name), Cell(_number(row["estimate"]), kind),
                 Cell((_number(row["ci_low"]), _number(row["ci_high"])), kind),
                 Cell(_number(row["respondents"]), "count"),
                 *([] if census else [Cell(_number(row["effective_sample_size"]), "number")]),
                 Cell(label(f"reliability_{row['reliability']}", lang))]
        muted = row["reliability"] == "suppress"
        rows.append(tuple(dataclasses.replace(cell, muted=muted) for cell in cells))
    if notes:
        notes.insert(0, label("doc_flagged_note", lang))
    return Table(key, title, tuple(columns), tuple(rows)), notes


def _verdict_base(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["used_for_verdict"].map(lambda v: v is not False)]


def _headline(writer: DocxWriter, indicator: Indicator) -> None:
    lang, layout = writer.lang, writer.layout
    if indicator.targets.empty:
        return
    writer.heading(label("doc_headline", lang), 3)
    for _, row in indicator.targets.iterrows():
        layout.paragraph(indicator_sentence(row, lang, writer.level))


def _items(writer: DocxWriter, indicator: Indicator) -> None:
    lang = writer.lang
    frame = _verdict_base(indicator.measures)
    frame = frame[frame["domain_variable"] == ""].drop_duplicates("measure_id")
    if frame.empty:
        return
    writer.heading(label("doc_items", lang), 3)
    names = [[_text(row, "label", lang) or row["measure_id"]] for _, row in frame.iterrows()]
    table, notes = _measure_table(frame, [label("col_indicator", lang)], names, "items",
                                  f"{indicator.title} · {label('doc_items', lang)}", lang, writer.level)
    writer.layout.table(table, notes=[label("doc_items_note", lang), *notes])


def _domains(writer: DocxWriter, indicator: Indicator) -> None:
    lang = writer.lang
    measure_ids = [m for m in indicator.targets["measure_id"] if m] or list(indicator.measures["measure_id"][:1])
    frames = []
    for measure_id in dict.fromkeys(measure_ids):
        frame = _verdict_base(indicator.measures[indicator.measures["measure_id"] == measure_id])
        frame = frame[frame["domain_variable"] != ""]
        if len(frame):
            frames.append(frame)
    if not frames:
        return
    writer.heading(label("doc_domains", lang), 3)
    for frame in frames:
        names, previous = [], None
        for _, row in frame.iterrows():  # the variable once, above its groups
            variable = row["domain_variable"]
            shown = (_text(row, "domain_variable_label", lang) or variable_label(variable, lang)
                     if variable != previous else "")
            names.append([shown, _text(row, "domain_label", lang) or row["domain_value"]])
            previous = variable
        title = f"{_text(frame.iloc[0], 'label', lang)} · {label('doc_domains', lang)}"
        table, notes = _measure_table(frame, [label("col_domain_variable", lang), label("col_domain", lang)],
                                      names, "domains", title, lang, writer.level)
        writer.layout.table(table, notes=notes)


def _charts(writer: DocxWriter, indicator: Indicator) -> None:
    if indicator.charts:
        writer.heading(label("charts", writer.lang), 3)
        writer.figures(indicator.charts)


def _analysis_content(writer: DocxWriter, section: Section) -> None:
    """An analysis section's tables (group comparisons, drivers, reliability), each captioned with its target's
    name and followed by its notes (findings in words, what to improve first, cut lines, method) as paragraphs.
    The section's charts go right after the table ``charts_after`` names, before that table's notes, so that the
    quadrant chart stands by the drivers table whose numbers label its points; without one, at the end."""
    name, charts = writer.target_name(section.target_id), section.charts
    for table in section.tables:
        title = f"{name} · {table.title}" if name else table.title
        if table.key != section.charts_after:
            writer.layout.table(table, title=title)
            continue
        writer.layout.table(dataclasses.replace(table, note="", notes=()), title=title)
        writer.figures(charts)
        charts = ()
        for note in (table.note, *table.notes):
            if note:
                writer.layout.note(note)
    writer.figures(charts)


def _analyses(writer: DocxWriter, indicator: Indicator) -> None:
    """What to improve, one part per target of the indicator (改进分析：<short name>), after the indicator's results."""
    for section in indicator.analyses:
        writer.heading(section.title, 3)
        _analysis_content(writer, section)


# The parts of each indicator, in order. A part is a function (writer, indicator) that writes its own third-level
# heading (writer.heading(title, 3)) and content (writer.layout.table(...), .paragraph(...), writer.figures(...))
# when it has something to show; a new analysis is one more function here.
INDICATOR_PARTS: tuple[Callable[[DocxWriter, Indicator], None], ...] = (_headline, _items, _domains, _charts,
                                                                          _analyses)


def _indicator_parts(writer: DocxWriter) -> None:
    if not writer.indicators and not writer.loose_analyses:
        return
    writer.heading(label("doc_part_indicators", writer.lang), 1, new_page=True)
    for number, indicator in enumerate(writer.indicators):
        writer.heading(indicator.title, 2, new_page=number > 0)
        for part in INDICATOR_PARTS:
            part(writer, indicator)
    for section in writer.loose_analyses:  # a target no indicator part holds: its analysis as a part of its own
        writer.heading(section.title, 2, new_page=True)
        _analysis_content(writer, section)


# ------------------------------------------------------------------------------------------ 四、方法说明

def _rules_table(report: ReportInput) -> Table:
    lang = report.lang
    rules = list(dict.fromkeys(report.scoreboard["rule"]))
    columns = (ColumnView(label("col_rule_name", lang)), ColumnView(label("col_rule_description", lang)))
    rows = tuple((Cell(label(f"rule_short_{rule}", lang)), Cell(label(f"rule_{rule}", lang))) for rule in rules)
    return Table("rules", label("method_rules", lang), columns, rows)


def _targets_method(report: ReportInput) -> Table:
    """What each survey and census target counts: positive set, base, interval, df, target and rule."""
    lang = report.lang
    frame = report.scoreboard[report.scoreboard["source_kind"] != "administrative"]
    keys = ("col_indicator", "col_positive_set", "col_base", "col_ci_method", "col_df", "col_threshold", "col_rule")
    rows = []
    for _, row in frame.iterrows():
        method = (label("bounds_method", lang) if row["interval_kind"] == "nonresponse_bounds"
                  else row["ci_method"] or report.method.ci_method)
        rows.append((Cell(_text(row, "short", lang) or _text(row, "label", lang)), Cell(_text(row, "positive_set", lang)),
                     Cell(_text(row, "base_label", lang)), Cell(method), Cell(_number(row["df"]), "df"),
                     Cell(value_text(row["threshold"], row["kind"], unit_text(row, lang), lang)),
                     Cell(label(f"rule_short_{row['rule']}", lang))))
    return Table("targets_method", label("method_targets", lang), tuple(ColumnView(label(k, lang)) for k in keys),
                 tuple(rows))


def _method(writer: DocxWriter) -> None:
    report, lang, layout = writer.report, writer.lang, writer.layout
    method = report.method
    writer.heading(label("doc_part_method", lang), 1, new_page=True)
    writer.heading(label("doc_weighting", lang), 2)
    writer.paragraphs([_labelled("sample_design", method.sample_design or label("sample_design_default", lang), lang),
                       _labelled("weighting_method", method.weighting_method, lang)])
    sources = writer.view("method", "margin_sources")
    if sources is not None and sources.rows:
        layout.table(_pick(sources, [label(k, lang) for k in ("col_design", "col_variable", "col_population",
                                                               "col_source")]))
    writer.heading(label("doc_intervals", lang), 2)
    writer.paragraphs([_joined([_labelled("ci_method", method.ci_method, lang),
                                _labelled("level", f"{method.level * 100:g}%", lang)], lang), label("df_note", lang)])
    writer.heading(label("decision_rule", lang), 2)
    writer.paragraphs([label("decision_rule_text", lang, alpha=f"{(1 - method.level) / 2:g}"),
                       label("overview_note", lang)])
    layout.table(_rules_table(report))
    if (report.scoreboard["source_kind"] != "administrative").any():
        writer.heading(label("method_targets", lang), 2)
        layout.table(_targets_method(report), notes=[label("doc_targets_method_note", lang)]
                     if (report.scoreboard["source_kind"] == "administrative").any() else [])
    analyses = writer.view("method", "analyses_method")
    if analyses is not None:
        writer.heading(analyses.title, 2)
        layout.table(analyses)
    if method.notes:
        writer.heading(label("doc_notes", lang), 2)
        for note in method.notes:
            layout.note(note)
    writer.heading(label("doc_run", lang), 2)
    layout.paragraph(label("generated", lang, run_time=method.run_time, version=method.toolkit_version))


# ------------------------------------------------------------------------------------------ 附件

def _quality_annex(writer: DocxWriter, number: int) -> None:
    report, lang, layout = writer.report, writer.lang, writer.layout
    writer.annex(number, label("quality", lang))
    accounting = writer.view("quality", "accounting")
    if accounting is not None:
        questionnaires = [_labelled("col_questionnaire", q, lang) for q in report.accounting["questionnaire"]]
        reasons = [_labelled("col_reasons", t, lang) for t in _column(accounting, label("col_reasons", lang), lang)]
        notes = [_labelled("col_note", t, lang) for t in _column(accounting, label("col_note", lang), lang)]
        row_notes = [_joined(parts, lang) for parts in zip(questionnaires, reasons, notes)]
        layout.table(_pick(accounting, [label(k, lang) for k in (
            "col_path", "col_file_role", "col_mode", "col_rows_read", "col_accepted", "col_rejected", "col_flagged",
            "col_balanced")]), row_notes=row_notes)
    reasons_table = writer.view("quality", "reasons")
    if reasons_table is not None:
        layout.table(reasons_table)


def _weights_annex(writer: DocxWriter, number: int) -> None:
    lang, layout = writer.lang, writer.layout
    writer.annex(number, label("weights", lang))
    weights = writer.view("weights", "weights")
    if weights is not None:
        warnings = [_labelled("col_flags", t, lang) for t in _column(weights, label("col_flags", lang), lang)]
        layout.table(_pick(weights, [label(k, lang) for k in (
            "col_design", "col_method", "col_respondents", "col_kish_design_effect", "col_effective_sample_size_all",
            "col_weight_ratio", "col_converged")], title=label("doc_weights_table", lang)), row_notes=warnings)
    margins = writer.view("weights", "margins")
    if margins is not None and margins.rows:
        designs = [str(row[0].value) for row in margins.rows]
        for design in dict.fromkeys(designs):
            rows = tuple(row for row, d in zip(margins.rows, designs) if d == design)
            part = dataclasses.replace(margins, rows=rows, detail_rows=())
            part = _pick(part, [label(k, lang) for k in ("col_variable", "col_category", "col_respondents",
                                                         "col_target_share", "col_share_before", "col_share_after")],
                         title=label("doc_margins_of", lang, design=design))
            layout.table(_grouped(part, label("col_variable", lang)))
    writer.figures(writer.chart_homes.get("weights", ()))


def _files_annex(writer: DocxWriter, number: int) -> None:
    writer.annex(number, label("method_files", writer.lang))
    files = writer.view("method", "files")
    if files is not None:
        writer.layout.table(files)


def _charts_annex(writer: DocxWriter, number: int) -> None:
    writer.annex(number, label("doc_annex_charts", writer.lang))
    writer.figures(writer.chart_homes.get("other", ()))


def write_docx(report: ReportInput, path: str | pathlib.Path) -> pathlib.Path:
    """Write the Word report of ``report`` to ``path`` (folders are created); returns the path."""
    if not isinstance(report, ReportInput):
        raise ReportError(f"write_docx needs a ReportInput; found {type(report).__name__}")
    writer = DocxWriter(report)
    _title_page(writer)
    _survey(writer)
    _findings(writer)
    _indicator_parts(writer)
    _method(writer)
    annexes = [_quality_annex, _weights_annex, _files_annex]
    if writer.chart_homes.get("other"):
        annexes.append(_charts_annex)
    for number, annex in enumerate(annexes, start=1):
        annex(writer, number)
    return writer.layout.save(pathlib.Path(path))
