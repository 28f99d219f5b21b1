"""What ``surveys run`` and ``surveys demo`` write and print (see :mod:`surveys.cli.run` for the files): the CSV and
JSON tables, the charts, the report, the accounting and the scoreboard of one run."""
from __future__ import annotations

import json
import math
import pathlib
import re
import sys
from typing import Any, Callable, Mapping, TextIO

import pandas as pd

from surveys.display import display_width, wrap
from surveys.forks import run_forked
from surveys.progress import progress_printer, row_progress
from surveys.report.from_study import report_input_from_study
from surveys.report.labels import label
from surveys.report.views import analysis_chart_name, variable_label
from surveys.spreadsheet_text import csv_frame
from surveys.study.pipeline import OTHER_CATEGORY, run_study
from surveys.validate import reason_label

__all__ = ["run_to_folder", "write_outputs", "write_report", "write_charts", "report_chart_titles",
           "print_scoreboard", "print_accounting"]

_STORE_FILES = ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm")


# ------------------------------------------------------------------------------------------ files

def _write_csv(frame: pd.DataFrame, path: pathlib.Path) -> None:
    """UTF-8 with BOM (Excel shows Chinese); text cells spreadsheet-safe (:mod:`surveys.spreadsheet_text`)."""
    csv_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _json_value(value.item())
    return value


def write_outputs(result: Any, out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write the run's tables into ``out_dir`` (see the module docstring); returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scoreboard = result.scoreboard_frame()
    written = []
    for name, frame in (("scoreboard.csv", scoreboard), ("measures.csv", result.measures_frame()),
                        ("accounting.csv", result.accounting_frame()), ("weights.csv", result.weights_frame()),
                        ("weight_margins.csv", result.margins_frame()),
                        ("weighting_effect.csv", result.weighting_effect_frame()),
                        ("mode_differences.csv", result.mode_difference_frame()),
                        ("robustness.csv", result.robustness_frame()),
                        ("group_comparisons.csv", result.group_comparisons_frame()),
                        ("drivers.csv", result.drivers_frame()), ("reliability.csv", result.reliability_frame()),
                        ("reliability_items.csv", result.reliability_items_frame()),
                        ("issues.csv", result.issues), ("keying.csv", result.keying_frame())):
        _write_csv(frame, out_dir / name)
        written.append(out_dir / name)
    document = {"study": result.study.id, "period": result.scoreboard.period,
                "targets": [{key: _json_value(value) for key, value in row.items()}
                            for row in scoreboard.to_dict(orient="records")],
                "notes": list(result.notes)}
    (out_dir / "scoreboard.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    written.append(out_dir / "scoreboard.json")
    return written


# ------------------------------------------------------------------------------------------ printing

def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns (CJK characters take two) and padded to it."""
    out, used = "", 0
    for ch in text:
        size = display_width(ch)
        if used + size > width - (1 if display_width(text) > width else 0):
            out += "…"
            used += 1
            break
        out += ch
        used += size
    return out + " " * max(width - used, 0)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _is_share(row: Any) -> bool:
    return row.source_kind in ("survey", "census") or row.denominator is not None


def _number(value: float, share: bool, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if share:
        return f"{value:.1%}"
    return f"{value:g}{unit}"


_INTERVALS = {"confidence_interval": {"zh": "置信区间", "en": "CI"},
              "nonresponse_bounds": {"zh": "未回收界限", "en": "bounds"},
              "exact": {"zh": "精确值", "en": "exact"}}
_RULES = {"ci_lower_bound": {"zh": "下限达到目标", "en": "lower bound"},
          "point_estimate": {"zh": "点估计达到目标", "en": "estimate"},
          "ci_upper_bound": {"zh": "上限达到目标", "en": "upper bound"}}
_SECTION = re.compile(r"^([一二三四五六七八九十]+[(（][一二三四五六七八九十]+[)）])")
_SCOREBOARD_HEADERS = {"zh": ("指标", "数值", "区间", "目标", "判定", "判定规则", "责任单位"),
                       "en": ("target", "value", "interval", "target", "verdict", "rule", "responsible unit")}
_SCOREBOARD_WIDTHS = {"zh": (26, 8, 20, 9, 22, 14, 26), "en": (30, 8, 20, 9, 26, 12, 28)}
_COMPARISON_SIGNS = {">=": "≥", "<=": "≤", "==": "="}


def _interval(row: Any, lang: str) -> str:
    kind = _INTERVALS.get(row.interval_kind)
    if kind is None:
        return ""
    if row.interval_kind == "exact":
        return kind[lang]
    share = _is_share(row)
    return f"{_number(row.ci_low, share)}–{_number(row.ci_high, share)}" + (
        f"（{kind[lang]}）" if row.interval_kind != "confidence_interval" and lang == "zh" else
        (f" ({kind[lang]})" if row.interval_kind != "confidence_interval" else ""))


def _wrapped_row(cells: tuple[str, ...], widths: tuple[int, ...]) -> list[str]:
    """One table row as terminal lines: each cell wrapped to its column (never cut)."""
    columns = [wrap(cell, width) for cell, width in zip(cells, widths)]
    height = max(len(lines) for lines in columns)
    return ["  ".join(_pad(lines[i] if i < len(lines) else "", width) for lines, width in zip(columns, widths)).rstrip()
            for i in range(height)]


def _section_of(row: Any) -> str:
    match = _SECTION.match(row.section)
    return match.group(1) if match else row.section


def print_scoreboard(result: Any, lang: str, file: TextIO) -> None:
    """Every target, grouped by the plan's section: short name, value with its unit, interval or bounds, target,
    verdict, rule and responsible unit (long cells wrap); under a survey verdict what it depends on and its
    warnings; then the summary line that reconciles with the rows."""
    title = result.study.title.get(lang)
    widths = _SCOREBOARD_WIDTHS[lang]
    total = sum(widths) + 2 * (len(widths) - 1)
    print(f"{'考核指标记分表' if lang == 'zh' else 'Scoreboard'} · {title}", file=file)
    print("\n".join(_wrapped_row(_SCOREBOARD_HEADERS[lang], widths)), file=file)
    current = None
    for row in result.scoreboard:
        section = _section_of(row)
        if section != current:
            current = section
            heading = (f"方案{section}" if lang == "zh" else f"plan {section}") if section else ""
            print(f"── {heading} " + "─" * max(total - display_width(heading) - 4, 0), file=file)
        share = _is_share(row)
        unit = (row.unit.en if lang == "en" else row.unit.zh) if not share else ""  # English counts: no unit
        rule = _RULES.get(row.rule, {}).get(lang, row.rule) if row.interval_kind != "exact" else "—"
        short = (row.short or row.text).get(lang)
        cells = (short, _number(row.value, share, unit), _interval(row, lang),
                 f"{_COMPARISON_SIGNS.get(row.comparison, row.comparison)}{_number(row.threshold, share, unit)}",
                 row.verdict_label.get(lang), rule,
                 row.responsible.get(lang))
        print("\n".join(_wrapped_row(cells, widths)), file=file)
        # what the verdict depends on and the warnings beside it, indented under the row
        notes = []
        if row.robustness is not None:
            notes.append(f"{'稳健性' if lang == 'zh' else 'robustness'}: {row.robustness.get(lang)}")
        notes += [f"{'提示' if lang == 'zh' else 'note'}: {warning.text.get(lang)}" for warning in row.warnings]
        for note in notes:
            for line in wrap(note, total - 4):
                print(f"    {line}", file=file)
    print("\n".join(wrap(result.scoreboard.summary().get(lang), total)), file=file)
    for note in (getattr(result, "notes_zh", ()) or result.notes) if lang == "zh" else result.notes:
        print(f"{'注' if lang == 'zh' else 'note'}: {note}", file=file)


def print_accounting(result: Any, lang: str, file: TextIO) -> None:
    """One line per input file: rows read, accepted, rejected, flagged, and what happened to it."""
    headers = {"zh": ("文件", "角色", "读入", "接受", "剔除", "标记", "原因"),
               "en": ("file", "role", "read", "accepted", "rejected", "flagged", "reasons")}[lang]
    widths = (46, 15, 8, 8, 8, 8, 0)
    print("  ".join(_fit(h, w) if w else h for h, w in zip(headers, widths)), file=file)
    separator = "，" if lang == "zh" else ", "
    for account in result.files:
        reasons = separator.join(f"{reason_label(code, lang)} {count}" for code, count in sorted(account.reasons.items()))
        cells = (account.path.name, label(f"role_{account.role}", lang), str(account.rows_read), str(account.accepted),
                 str(account.rejected), str(account.flagged),
                 reasons or (account.note_zh if lang == "zh" and account.note_zh else account.note))
        print("  ".join(_fit(c, w) if w else c for c, w in zip(cells, widths)).rstrip(), file=file)


# ------------------------------------------------------------------------------------------ command

def write_report(result: Any, out_dir: pathlib.Path, lang: str, chart_files: list[pathlib.Path] | tuple[pathlib.Path, ...] = ()
                 ) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    """``out_dir/report.xlsx``, ``out_dir/report.html`` and ``out_dir/report.docx`` of the run, with the PNG charts
    of ``chart_files`` embedded under their titles (:func:`report_chart_titles`); returns the three paths."""
    # deferred: python-docx and openpyxl, loaded only when a report is written
    from surveys.report import write_docx, write_html, write_workbook

    titles = report_chart_titles(result, lang)
    charts = {titles.get(path.stem, path.stem): path for path in chart_files if path.suffix == ".png"}
    report = report_input_from_study(result, lang=lang, charts=charts)
    # three independent files, the longest first: the Word report in one process, the workbook and the HTML
    # (whose charts are resampled on threads) in the other
    docx, workbook, page = run_forked([lambda: write_docx(report, out_dir / "report.docx"),
                                       lambda: write_workbook(report, out_dir / "report.xlsx"),
                                       lambda: write_html(report, out_dir / "report.html")])
    return workbook, page, docx


def run_to_folder(study: Any, out_dir: pathlib.Path, *, lang: str | None = None, show_accounting: bool = False,
                  charts: bool = True, report: bool = True, svg: bool = False, file: TextIO | None = None,
                  key_file: str | pathlib.Path | None = None) -> Any:
    """Run ``study`` (a loaded Study), write its outputs (charts, report) into ``out_dir`` and print the results."""
    file = file or sys.stdout
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in _STORE_FILES:  # the run's store is an output of this run: start it afresh
        (out_dir / name).unlink(missing_ok=True)
    result = run_study(study, store=out_dir / "store.sqlite", work_dir=out_dir / "work",
                       progress=progress_printer(), key_file=key_file, rows=row_progress())
    write_outputs(result, out_dir)
    lang = lang or result.study.lang
    progress = progress_printer()
    chart_files: list[pathlib.Path] = []
    if charts:
        if progress:
            progress("charts")
        chart_files, chart_notes = write_charts(result, out_dir, lang, svg=svg)
        for note in chart_notes:
            print(f"note: {note}", file=sys.stderr)
    if report:
        if progress:
            progress("report")
        write_report(result, out_dir, lang, chart_files)
    if show_accounting:
        print_accounting(result, lang, file)
        print(file=file)
    print_scoreboard(result, lang, file)
    print(f"{'结果已写入' if lang == 'zh' else 'results written to'} {out_dir}", file=file)
    return result


# ------------------------------------------------------------------------------------------ charts

def item_shares(design: Any, questionnaire: Any, lang: str) -> pd.DataFrame:
    """Weighted share of each category of every satisfaction item among those asked and answering (for the
    diverging bars): columns item, category, share, side, category_order, respondents."""
    from surveys.charts import category_sides  # deferred: matplotlib, loaded only when charts are drawn

    weights = design.weights
    frames = []
    for item in questionnaire.items:
        scale = questionnaire.scale_of(item.id) if item.role in ("satisfaction", "overall") else None
        if scale is None or item.id not in design.data.columns:
            continue
        codes = pd.to_numeric(design.data[item.id], errors="coerce").to_numpy()
        answered = ~pd.isna(codes) & (weights > 0)
        if not answered.any():
            continue
        sides = category_sides(scale, lang=lang)
        total = weights[answered].sum()
        sides["share"] = [weights[answered & (codes == code)].sum() / total for code in sides["code"]]
        sides["item"] = item.name.get(lang)  # its short name (the questions are in the item tables)
        sides["respondents"] = int(answered.sum())
        frames.append(sides)
    return pd.concat(frames, ignore_index=True)


def _weighting_effect_chart(result: Any, lang: str) -> Any:
    from surveys import charts  # deferred: matplotlib, loaded only when charts are drawn

    frame = result.weighting_effect_frame()
    thresholds = frame["threshold"].dropna().unique()
    if len(thresholds) == 1:  # one target line for all, not one per row
        return charts.weighting_chart(frame.drop(columns="threshold"), lang=lang, threshold=float(thresholds[0]))
    return charts.weighting_chart(frame, lang=lang)


def _margin_labels(questionnaire: Any, margins: pd.DataFrame, lang: str,
                   populations: Mapping[str, str] | None = None) -> tuple[dict, dict]:
    """Readable names for the raked variables (``district@residents`` → "区县 · 常住居民") and their codes."""
    variables, categories = {}, {}
    for name in dict.fromkeys(margins["variable"]):
        base, _, population = str(name).partition("@")
        population = (populations or {}).get(population, population)
        if "+" in base or not questionnaire.has_item(base):
            continue
        known = [w for w in questionnaire.weighting if w.id == base]
        label = known[0].label.get(lang) if known else questionnaire.item(base).text.get(lang)
        variables[name] = f"{label} · {population}" if population else label
        scale = questionnaire.scale_of(base)
        categories[name] = {str(c.code): c.label.get(lang) for c in scale.categories} if scale is not None else {}
        categories[name].update(_SPECIAL_CATEGORIES[lang])
    return variables, categories


# categories the pipeline adds to a frame-specific margin (surveys.study.pipeline.MISSING_CATEGORY), in words
_SPECIAL_CATEGORIES = {"zh": {"(missing)": "（未回答）"}, "en": {"(missing)": "(not answered)"}}


def _within_population(margins: pd.DataFrame) -> pd.DataFrame:
    """The margins of each population as shares WITHIN it: the ``(other)`` row of a frame-specific margin (the
    other populations' total, e.g. 91% residents on the enterprises' district margin) is left out and the
    remaining shares rescaled to sum to 1, so each population's structure is readable."""
    frames = []
    for _, frame in margins.groupby("variable", sort=False):
        other = frame[frame["category"].astype(str) == OTHER_CATEGORY]
        kept = frame[frame["category"].astype(str) != OTHER_CATEGORY].copy()
        for column in ("share_before", "share_after", "target_share"):
            inside = 1.0 - (float(other[column].sum()) if len(other) else 0.0)
            kept[column] = kept[column] / inside if inside > 0 else kept[column]
        frames.append(kept)
    return pd.concat(frames, ignore_index=True) if frames else margins


# A chart fits one printed page: a margins chart with more rows is drawn as several (whole variables per page).
_MARGIN_ROWS_PER_PAGE = 18


def _margin_pages(margins: pd.DataFrame) -> list[pd.DataFrame]:
    """The margins table in pages of whole variables, each at most _MARGIN_ROWS_PER_PAGE rows (a heading counts)."""
    pages: list[list[pd.DataFrame]] = [[]]
    rows = 0
    for _, frame in margins.groupby("variable", sort=False):
        size = len(frame) + 1
        if pages[-1] and rows + size > _MARGIN_ROWS_PER_PAGE:
            pages.append([])
            rows = 0
        pages[-1].append(frame)
        rows += size
    return [pd.concat(page, ignore_index=True) for page in pages if page]


def _titled(kind: str, questionnaire: Any, lang: str, page: str = "") -> str:
    """A chart's title: what it shows and the survey it belongs to (分区县结果 · 市场监管满意度调查问卷)."""
    from surveys.charts.text import phrase  # deferred: matplotlib, loaded only when charts are drawn

    return f"{phrase(kind, lang)} · {questionnaire.title.get(lang)}{page}"


def _chart_jobs(result: Any, lang: str) -> list[tuple[str, Callable[[], Any]]]:
    """(file stem, drawing function) for every chart of the run (see :mod:`surveys.charts`)."""
    from surveys import charts  # deferred: matplotlib, loaded only when charts are drawn

    # The target chart shows the survey and census indicators (rates with an interval or bounds), by their short
    # names; the exact administrative figures (counts, staff numbers, rates of records) stay in the tables.
    board = result.scoreboard.to_frame()
    sampled = board[board["source_kind"].isin(["survey", "census"])]
    jobs: list[tuple[str, Callable[[], Any]]] = [
        ("targets", lambda: charts.target_chart(sampled, lang=lang, label_column=f"short_{lang}"))]
    for questionnaire_id, table in result.measures.items():
        questionnaire = result.study.questionnaires[questionnaire_id]
        headline = questionnaire.headline.id
        threshold = next((m.threshold for m in result.study.measures
                          if m.questionnaire == questionnaire_id and m.measure == headline), None)
        frame = table.to_frame()
        if (frame["domain_variable"] == "district").any():
            jobs.append((f"district_{questionnaire_id}", lambda f=frame, h=headline, t=threshold,
                         name=_titled("domain_title", questionnaire, lang): charts.domain_chart(
                             f, lang=lang, measure_id=h, threshold=t, title=name)))
        modes = frame.loc[(frame["measure_id"] == headline) & (frame["domain_variable"] == "mode"), "domain_value"]
        if modes.nunique() > 1:
            jobs.append((f"mode_{questionnaire_id}", lambda f=frame, h=headline, t=threshold,
                         name=_titled("mode_title", questionnaire, lang): charts.mode_chart(
                             f, lang=lang, measure_id=h, threshold=t, title=name)))
    if result.designs:
        jobs.append(("weighting_effect", lambda: _weighting_effect_chart(result, lang)))
    for questionnaire_id, weighted in result.designs.items():
        questionnaire = result.study.questionnaires[questionnaire_id]
        jobs.append((f"items_{questionnaire_id}", lambda w=weighted, q=questionnaire: charts.diverging_chart(
            item_shares(w.design, q, lang), lang=lang, title=_titled("likert_title", q, lang))))
        if weighted.diagnostics is None:
            continue
        jobs.append((f"weights_{questionnaire_id}", lambda w=weighted, q=questionnaire: charts.weight_histogram(
            w.design, lang=lang, before=w.design.adjustments[-1].old_weights, title=_titled("weights_title", q, lang))))
        variables, categories = _margin_labels(questionnaire, weighted.diagnostics.margins, lang,
                                               result.study.population_names(lang))
        pages = _margin_pages(_within_population(weighted.diagnostics.margins))
        for number, page in enumerate(pages, start=1):
            stem = f"margins_{questionnaire_id}" + (f"_{number}" if len(pages) > 1 else "")
            part = f"（{number}/{len(pages)}）" if len(pages) > 1 and lang == "zh" else (
                f" ({number}/{len(pages)})" if len(pages) > 1 else "")
            jobs.append((stem, lambda m=page, v=variables, c=categories, name=_titled("margins_title", questionnaire,
                                                                                       lang, part):
                         charts.margins_chart(m, lang=lang, variable_labels=v, category_labels=c, title=name)))
    for stem, target_id in _driver_charts(result).items():
        questionnaire = result.study.questionnaires[result.questionnaire_of(target_id)]
        title = _driver_title(questionnaire, lang)
        jobs.append((stem, lambda a=result.drivers[target_id], name=title:
                     charts.importance_performance_chart(a, lang=lang, title=name)))
    for questionnaire_id, census in result.censuses.items():
        headline = result.study.questionnaires[questionnaire_id].headline.id
        by = [v for v in dict.fromkeys(census.to_frame()["domain_variable"]) if v]
        for variable in by:  # each classification of the register (handling department, deputy type, ...)
            jobs.append((f"handling_{questionnaire_id}_{variable}", lambda c=census, h=headline, v=variable:
                         charts.handling_chart(c, lang=lang, measure_id=h, domain_variable=v)))
    return jobs


def _driver_charts(result: Any) -> dict[str, str]:
    """Chart file stem → target id of every driver analysis: ``drivers_<questionnaire>`` (with the measure id when a
    questionnaire has several analysed targets)."""
    questionnaires = {target_id: result.questionnaire_of(target_id) for target_id in result.drivers}
    counts = pd.Series(list(questionnaires.values()), dtype=object).value_counts()
    return {(f"drivers_{questionnaire}" if counts[questionnaire] == 1
             else f"drivers_{questionnaire}_{result.drivers[target_id].measure_id}"): target_id
            for target_id, questionnaire in questionnaires.items()}


def _driver_title(questionnaire: Any, lang: str) -> str:
    """The quadrant chart's title: 重要性–表现四分图 · the survey's title."""
    return f"{label('chart_drivers', lang)} · {questionnaire.title.get(lang)}"


def write_charts(result: Any, out_dir: pathlib.Path, lang: str, *,
                 svg: bool = False) -> tuple[list[pathlib.Path], list[str]]:
    """Every chart of the run, drawn once, as ``out_dir/charts/<name>.png`` at :data:`REPORT_DPI` (and ``.svg``
    with ``svg``); returns the files and, for a chart that could not be drawn (e.g. no CJK font on the machine), a
    note instead of failing the run's tables."""
    from surveys.charts import ChartError, save_figure  # deferred: matplotlib, loaded only when charts are drawn
    from surveys.charts.style import REPORT_DPI  # deferred: matplotlib, loaded only when charts are drawn

    formats = ("png", "svg") if svg else ("png",)

    def job(stem: str, draw: Callable[[], Any]) -> Callable[[], tuple[tuple[pathlib.Path, ...], str]]:
        def drawn() -> tuple[tuple[pathlib.Path, ...], str]:
            try:
                return save_figure(draw(), out_dir / "charts" / stem, dpi=REPORT_DPI, formats=formats), ""
            except ChartError as error:
                return (), f"chart {stem} not drawn: {error}"
        return drawn

    # the charts are independent: drawn by one process per core (40 charts of the demo: 7.7 s of CPU)
    drawn = run_forked([job(stem, draw) for stem, draw in _chart_jobs(result, lang)])
    return [path for paths, _ in drawn for path in paths], [note for _, note in drawn if note]


# the report's words for each kind of chart (surveys.report.labels), by file-stem prefix of _chart_jobs
_CHART_KINDS = (("targets", "chart_targets"), ("district_", "chart_domains"), ("mode_", "chart_mode"),
                ("weighting_effect", "chart_weighting"), ("items_", "chart_likert"), ("weights_", "chart_weights"),
                ("margins_", "chart_margins"), ("handling_", "chart_proposals"))


def report_chart_titles(result: Any, lang: str) -> dict[str, str]:
    """Chart file stem → its title in the report: the kind of chart and the questionnaire it shows
    (``district_market_supervision`` → "分区县结果 · 市场监管满意度调查"); ``targets`` keeps its name, so the report
    puts it on the overview."""
    titles = {"targets": "targets"}
    for stem, _ in _chart_jobs(result, lang):  # the drawing functions are built, not called
        kind = next((key for prefix, key in _CHART_KINDS if stem.startswith(prefix)), None)
        if kind is None or stem == "targets":
            continue
        rest = stem.split("_", 1)[1] if "_" in stem and kind != "chart_weighting" else ""
        found = next(((q, stem_rest) for q in result.study.questionnaires
                      for stem_rest in (rest[len(q):].lstrip("_"),) if rest.startswith(q)), None)
        words = [label(kind, lang)]
        if found is not None:
            questionnaire_id, variable = found
            questionnaire = result.study.questionnaires[questionnaire_id]
            words.append(questionnaire.title.get(lang))
            if variable.isdigit():  # one page of a chart drawn in several
                words[-1] += f"（{variable}）" if lang == "zh" else f" ({variable})"
            elif variable:  # a census by one classification of its register: name the classification
                words[0] = _classification_words(questionnaire, variable, lang)
        titles[stem] = " · ".join(words)
    for stem, target_id in _driver_charts(result).items():  # each in its target's analysis section
        questionnaire = result.study.questionnaires[result.questionnaire_of(target_id)]
        titles[stem] = analysis_chart_name(target_id, _driver_title(questionnaire, lang))
    return titles


def _classification_words(questionnaire: Any, variable: str, lang: str) -> str:
    """"按主办单位" / "by 主办单位": a register classification by its weighting label, else its item's text."""
    known = [w.label.get(lang) for w in questionnaire.weighting if w.id == variable]
    if known:
        name = known[0]
    elif questionnaire.has_item(variable):
        name = questionnaire.item(variable).text.get(lang)
    else:
        name = variable_label(variable, lang)
    name = name.split("（")[0].split(" (")[0]  # "办理结果类别（按答复函填写）": the name without its note
    return f"满意率（按{name}）" if lang == "zh" else f"Satisfaction by {name[:1].lower()}{name[1:]}"

