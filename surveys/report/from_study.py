"""A study run as the acceptance report: :func:`report_input_from_study` turns a
:class:`~surveys.study.pipeline.StudyResult` into a :class:`~surveys.report.model.ReportInput`.

Every number a reader sees is traced to where it was made:

* scoreboard rows take, from the target's :class:`~surveys.indicators.targets.TargetCheck`, the margin of error
  (``qt(1 − α/2, df) · std_error`` as :func:`surveys.indicators.targets.check_target` computes it), the interval method,
  level, design degrees of freedom, design effect and the respondents to add; and, from the measure row the
  verdict uses (survey: :class:`~surveys.indicators.measures.MeasureRow`; census: :class:`~surveys.indicators.census.CensusRate`),
  the positive set (满意率（含基本满意）: 非常满意、满意、基本满意) and the base (all valid answers, or
  don't-know excluded). Census rows carry no margin of error: their interval is the non-response bounds;
* the method section lists each margin file's variables with its ``source`` and ``as_of`` date (from the
  file's rows) and population (the file's first comment line), the SHA-256 of the study spec, the targets
  register, the questionnaires and the margin files (the exports' come from the accounting), the toolkit
  version and the run time;
* margin categories are shown with the labels of the questionnaire's weighting variables, not codes;
  questionnaires by their titles, survey modes by their labels, file notes and register notes in the report's
  language;
* a survey or census target's indicator text ends with what its rate counts (〔计入比率：…；基数：…〕), because
  the HTML overview shows the positive set and base columns in the workbook only.
* the what-to-improve tables are the run's analyses as they are (:mod:`surveys.study.analyses`): the group rates
  are the measure table's rows, the findings, 先改进 list and notes are worded by the analyses themselves (with the
  target's short name), and the reliability is the questionnaire's.

Checked on the demo city by tests/test_report_from_study.py (margins of error re-derived with check_target).
"""
from __future__ import annotations

import datetime as _datetime
import math
import pathlib
from typing import Any, Mapping

import pandas as pd

from surveys.columns import category_code
from surveys.errors import ReportError
from surveys.indicators.register import load_register
from surveys.report.labels import check_language
from surveys.report.model import ReportInput, ReportMethod
from surveys.study.pipeline import StudyResult, sha256_or_empty
from surveys.validate import reason_label
from surveys.weighting.margins import load_margins

__all__ = ["report_input_from_study"]

# categories the pipeline adds to a margin (surveys.study.pipeline.OTHER_CATEGORY / MISSING_CATEGORY), in words
_SPECIAL_CATEGORIES = {"(other)": {"zh": "（其他人群）", "en": "(other populations)"},
                       "(missing)": {"zh": "（未回答）", "en": "(not answered)"}}
_OUTCOMES = {"reject": "rejected", "flag": "flagged"}
# the pipeline's weighting stages (surveys.weighting.design_weight_summary) and base weights, in words
_STAGES = {"base": {"zh": "起始权重", "en": "base weights"}, "rake": {"zh": "迭代比例拟合（raking）", "en": "raking"}}
_BASE_WEIGHTS = {"population": {"zh": "各人群总体数÷样本数（N/n）", "en": "population size over respondents (N/n)"},
                 "equal": {"zh": "均为 1", "en": "1 for everyone"}}
_ALL_SURVEYS = {"zh": "全部调查问卷（{count} 项）", "en": "every survey questionnaire ({count})"}
# columns a sample design names, in words (surveys.study.SampleDesignSpec; others are shown as named)
_DESIGN_WORDS = {"mode": {"zh": "调查方式", "en": "survey mode"}, "population": {"zh": "人群", "en": "population"},
                 "district": {"zh": "区县", "en": "district"}}




def _text(text: Any, lang: str) -> str:
    return "" if text is None else text.get(lang)


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _title(result: Any, questionnaire_id: str, lang: str) -> str:
    questionnaire = result.study.questionnaires.get(questionnaire_id)
    return questionnaire.title.get(lang) if questionnaire is not None else questionnaire_id


def _mode_label(result: Any, questionnaire_id: str, mode: str, lang: str) -> str:
    """A survey mode code (``paper``, ``online``) as the questionnaire's ``mode`` weighting category label."""
    questionnaire = result.study.questionnaires.get(questionnaire_id)
    for variable in getattr(questionnaire, "weighting", ()):
        for category in variable.categories:
            if variable.id == "mode" and category.key == mode:
                return category.label.get(lang)
    return mode


# ------------------------------------------------------------------------------------------ scoreboard

def _register_notes(study: Any) -> Mapping[str, Any]:
    """Target id → the register's own note (a Text), to print it in the report's language."""
    if not study.targets:
        return {}
    register = load_register(study.targets, questionnaires=study.questionnaires)
    return {target.id: target.note for target in register.targets if target.note is not None}


def _verdict_measure(result: Any, row: Any) -> Any | None:
    """The measure row behind a survey or census target: its overall row on the verdict's base."""
    questionnaire_id, _, measure_id = row.source.partition("/")
    if row.source_kind == "survey" and questionnaire_id in result.measures:
        return next((m for m in result.measures[questionnaire_id].rows
                     if m.measure_id == measure_id and not m.domain_variable and m.used_for_verdict), None)
    if row.source_kind == "census" and questionnaire_id in result.censuses:
        return next((m for m in result.censuses[questionnaire_id].rates
                     if m.measure_id == measure_id and not m.domain_variable and m.used_for_verdict), None)
    return None


def _value_kind(row: Any, measure: Any) -> str:
    if row.source_kind == "survey" and measure is not None:
        return measure.kind
    if row.source_kind == "census":
        return "rate"
    return "rate" if row.denominator is not None else "value"


def _count(value: int | None) -> float:
    return math.nan if value is None else float(value)


def _check_columns(row: Any) -> dict[str, Any]:
    """The interval's halves, p-value, df, level, CI method, design effect, effective size and respondents still
    needed of a survey target's check, all from its one TargetCheck (NaN otherwise)."""
    check = row.check
    if check is None or row.source_kind != "survey":
        method = "bounds" if row.source_kind == "census" and check is not None else ""
        return {"margin_of_error": math.nan, "margin_below": math.nan, "margin_above": math.nan,
                "p_value": math.nan, "df": math.nan, "level": math.nan, "ci_method": method,
                "design_effect": math.nan, "effective_size": math.nan, "additional_respondents": math.nan,
                "break_even_respondents": math.nan}
    return {"margin_of_error": _finite(check.margin_of_error), "margin_below": _finite(check.margin_below),
            "margin_above": _finite(check.margin_above), "p_value": _finite(check.p_value),
            "df": _finite(check.df), "level": check.level, "ci_method": check.ci_method,
            "design_effect": _finite(check.design_effect), "effective_size": _finite(check.effective_size),
            "additional_respondents": _count(check.additional_respondents),
            "break_even_respondents": _count(check.break_even_respondents)}


def _counted(measure: Any, lang: str) -> str:
    """What a rate counts, for the overview: its positive set and base (the base's first clause)."""
    if measure is None:
        return ""
    positive = _text(measure.positive_set, lang)
    base = _text(measure.base_label, lang).split("；")[0].split("; ")[0]
    if lang == "zh":
        return f"〔计入比率：{positive}；基数：{base}〕"
    return f" [counted as positive: {positive}; base: {base}]"


def _scoreboard_frame(result: Any) -> pd.DataFrame:
    notes = _register_notes(result.study)
    records = []
    for row in result.scoreboard:
        measure = _verdict_measure(result, row)
        record = row.to_dict()
        own_note = notes.get(row.target_id)
        record.update(_check_columns(row))
        record.update({
            "kind": _value_kind(row, measure),
            "measure_id": measure.measure_id if measure is not None else "",
            "questionnaire": row.source.partition("/")[0] if measure is not None else "",
            "positive_set_zh": _text(getattr(measure, "positive_set", None), "zh"),
            "positive_set_en": _text(getattr(measure, "positive_set", None), "en"),
            "base_label_zh": _text(getattr(measure, "base_label", None), "zh"),
            "base_label_en": _text(getattr(measure, "base_label", None), "en"),
            "note": _text(own_note, "zh"), "note_en": _text(own_note, "en"),
            "label_zh": row.text.zh + _counted(measure, "zh"),
            "label_en": (row.text.en or row.text.zh) + _counted(measure, "en"),
            "respondents": math.nan if row.respondents is None else float(row.respondents),
            "numerator": math.nan if row.numerator is None else row.numerator,
            "denominator": math.nan if row.denominator is None else row.denominator,
        })
        records.append(record)
    return pd.DataFrame.from_records(records)


# ------------------------------------------------------------------------------------------ robustness

def _indicator_names(result: Any) -> dict[str, tuple[str, str]]:
    return {row.target_id: (row.text.zh, row.text.en or row.text.zh) for row in result.scoreboard}


def _robustness_frame(result: Any) -> pd.DataFrame:
    """Every survey target × alternative with the target's name (surveys.indicators.robustness.RobustnessPanel.to_frame)."""
    frame = result.robustness_frame()
    if frame.empty:
        return frame
    names = _indicator_names(result)
    return frame.assign(indicator_zh=[names[t][0] for t in frame["target_id"]],
                        indicator_en=[names[t][1] for t in frame["target_id"]])


def _mode_differences_frame(result: Any) -> pd.DataFrame:
    """Each survey target's paper − online difference (from its robustness panel: the same figures)."""
    names = _indicator_names(result)
    rows = []
    for target_id, panel in result.robustness.items():
        difference = panel.mode_difference
        if difference is None:
            continue
        first = {lang: _mode_label(result, panel.questionnaire, difference.first, lang) for lang in ("zh", "en")}
        second = {lang: _mode_label(result, panel.questionnaire, difference.second, lang) for lang in ("zh", "en")}
        rows.append({"indicator_zh": names[target_id][0], "indicator_en": names[target_id][1],
                     "first_label_zh": first["zh"], "first_label_en": first["en"],
                     "second_label_zh": second["zh"], "second_label_en": second["en"],
                     **{key: value for key, value in difference.to_dict().items()
                        if key in ("first_estimate", "second_estimate", "difference", "ci_low", "ci_high", "p_value",
                                   "significant", "first_respondents", "second_respondents")}})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ what to improve

def _short_names(result: Any) -> dict[str, tuple[str, str]]:
    """Target id → its short name (the overview's), Chinese and English."""
    names = {}
    for row in result.scoreboard:
        short = row.short or row.text
        names[row.target_id] = (short.zh, short.get("en"))
    return names


def _group_comparisons_frame(result: Any) -> pd.DataFrame:
    """Every survey target × grouping variable × group, with the variable's finding and the test note in words."""
    names = _short_names(result)
    frame = result.group_comparisons_frame()
    if frame.empty:
        return frame
    extra = []
    for target_id, comparisons in result.group_comparisons.items():
        questionnaire = result.study.questionnaires[frame.loc[frame["target_id"] == target_id, "questionnaire"].iloc[0]]
        short = dict(zip(("zh", "en"), names[target_id]))
        findings = {lang: dict(zip([c.variable for c in comparisons], comparisons.findings(lang, short[lang])))
                    for lang in ("zh", "en")}
        for comparison in comparisons:
            extra.append({"target_id": target_id, "variable": comparison.variable,
                          "kind": questionnaire.measure(comparisons.measure_id).kind,
                          "indicator_zh": names[target_id][0], "indicator_en": names[target_id][1],
                          "finding_zh": findings["zh"][comparison.variable],
                          "finding_en": findings["en"][comparison.variable],
                          "note_zh": comparisons.multiplicity_note("zh"), "note_en": comparisons.multiplicity_note("en")})
    return frame.merge(pd.DataFrame(extra), on=["target_id", "variable"], how="left", validate="many_to_one")


def _drivers_frame(result: Any) -> pd.DataFrame:
    """Every survey target × topic item, with the 先改进 sentence, the cut lines and the method in words."""
    names = _short_names(result)
    frame = result.drivers_frame()
    if frame.empty:
        return frame
    texts = pd.DataFrame([{"target_id": target_id, "indicator_zh": names[target_id][0],
                           "indicator_en": names[target_id][1],
                           **{f"{key}_{lang}": getattr(analysis, method)(lang) for lang in ("zh", "en")
                              for key, method in (("summary", "summary"), ("cut_note", "cut_note"),
                                                  ("method_note", "method_note"))}}
                          for target_id, analysis in result.drivers.items()])
    return frame.drop(columns=["quadrant_zh", "quadrant_en"]).merge(texts, on="target_id", how="left",
                                                                  validate="many_to_one")


def _reliability_frame(result: Any) -> pd.DataFrame:
    frame = result.reliability_frame()
    if frame.empty:
        return frame
    return frame.assign(questionnaire_label_zh=[_title(result, q, "zh") for q in frame["questionnaire"]],
                        questionnaire_label_en=[_title(result, q, "en") for q in frame["questionnaire"]])


# ------------------------------------------------------------------------------------------ measures

def _measures_frame(result: Any) -> pd.DataFrame:
    """Every survey measure × domain, and every census rate with its non-response bounds; each domain variable
    in words (a census register's classifications, e.g. 主办单位, are the questionnaire's)."""
    frames = [result.measures_frame()]
    for questionnaire_id, census in result.censuses.items():
        frame = census.to_frame()
        if frame.empty:
            continue
        frames.append(frame.assign(
            questionnaire=questionnaire_id, kind="rate", source_kind="census", reliability="census",
            estimate=frame["rate"], ci_low=frame["lower_bound"], ci_high=frame["upper_bound"],
            respondents=frame["answered"], ci_method="bounds"))
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    names = {(q, v): {lang: _variable_name(result, q, v, lang) for lang in ("zh", "en")}
             for q, v in set(zip(frame["questionnaire"], frame["domain_variable"]))}
    pairs = list(zip(frame["questionnaire"], frame["domain_variable"]))
    return frame.assign(domain_variable_label_zh=[names[p]["zh"] for p in pairs],
                        domain_variable_label_en=[names[p]["en"] for p in pairs])


def _variable_name(result: Any, questionnaire_id: str, variable: Any, lang: str) -> str:
    """A domain variable by the questionnaire's words for it (its weighting label, else its item's text without
    a note in brackets), or '' when the questionnaire has none."""
    questionnaire = result.study.questionnaires.get(questionnaire_id)
    if questionnaire is None or not isinstance(variable, str) or not variable:
        return ""
    name, _ = _weighting_labels(questionnaire, variable, lang)
    return "" if name == variable else name.split("（")[0].split(" (")[0]


# ------------------------------------------------------------------------------------------ weighting

def _weighting_labels(questionnaire: Any, variable: str, lang: str) -> tuple[str, Mapping[str, str]]:
    """A weighting variable's name and its categories' labels (code text → label) in ``lang``."""
    known = next((w for w in questionnaire.weighting if w.id == variable), None)
    if known is not None:
        return known.label.get(lang), {category_code(c.code): c.label.get(lang) for c in known.categories}
    if questionnaire.has_item(variable):
        scale = questionnaire.scale_of(variable)
        categories = {category_code(c.code): c.label.get(lang) for c in scale.categories} if scale else {}
        return questionnaire.item(variable).text.get(lang), categories
    return variable, {}


def _margin_names(questionnaire: Any, variable: str, category: str, lang: str,
                  populations: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``district@residents``, ``3`` → ("区县 · 常住居民", "西城区") (the population by its label); joint
    variables ``a+b`` with codes ``x|y`` → names and labels joined by ×."""
    base, _, population = str(variable).partition("@")
    population = (populations or {}).get(population, population)
    if category in _SPECIAL_CATEGORIES:
        shown_category = _SPECIAL_CATEGORIES[category][lang]
    else:
        shown_category = None
    names, labels = [], []
    parts = str(category).split("|")
    for position, part in enumerate(base.split("+")):
        name, categories = _weighting_labels(questionnaire, part, lang)
        names.append(name)
        if position < len(parts):
            labels.append(categories.get(parts[position], parts[position]))
    shown_variable = " × ".join(names) + (f" · {population}" if population else "")
    return shown_variable, shown_category or " × ".join(labels)


def _margins_frame(result: Any, lang: str) -> pd.DataFrame:
    frame = result.margins_frame()
    if frame.empty:
        return frame
    populations = result.study.population_names(lang)
    named = [_margin_names(result.study.questionnaires[q], v, str(c), lang, populations)
             for q, v, c in zip(frame["questionnaire"], frame["variable"], frame["category"])]
    return frame.assign(variable=[n[0] for n in named], category=[n[1] for n in named],
                        design=[_title(result, q, lang) for q in frame["questionnaire"]])


def _weights_frame(result: Any, lang: str) -> pd.DataFrame:
    """One row per questionnaire and weighting stage, with the Kish design effect of the stage before."""
    frame = result.weights_frame()
    if frame.empty:
        return frame
    frame = frame.sort_values(["questionnaire", "stage"], kind="stable").copy()
    frame["kish_design_effect_before"] = frame.groupby("questionnaire", sort=False)["kish_design_effect"].shift(1)
    frame["flags"] = frame["flags"].fillna("").astype(str)
    frame["flags_zh"] = frame["flags_zh"].fillna("").astype(str)
    order = list(result.designs)
    frame = frame.sort_values("questionnaire", key=lambda s: s.map(order.index), kind="stable").reset_index(drop=True)
    return frame.assign(design=[_title(result, q, lang) for q in frame["questionnaire"]],
                        method=[_STAGES.get(m, {}).get(lang, m) for m in frame["method"]])


def _margin_file_header(path: pathlib.Path) -> str:
    """The first comment line of a margin file (its population, e.g. 常住人口（18岁及以上）), or ''."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return first.lstrip("#").strip() if first.startswith("#") else ""


def _margin_sources(result: Any, lang: str) -> pd.DataFrame:
    """Each margin file × variable used: design(s), population, source with its as-of date, SHA-256."""
    rows = []
    for entry in result.study.margins:
        designs = [q for q, weighted in result.designs.items() if entry.path in weighted.margin_files]
        if not designs or not entry.path.is_file():
            continue
        margins = load_margins(entry.path, blank=getattr(entry, "blank", "error"))
        questionnaire = result.study.questionnaires[designs[0]]
        digest = sha256_or_empty(entry.path)
        header = _margin_file_header(entry.path)
        population = f"{entry.shown(lang)}：{header}" if header and lang == "zh" else (
            f"{entry.shown(lang)}: {header}" if header else entry.shown(lang))
        for table in margins:
            if (entry.variables is not None and table.variable not in entry.variables) or not table.is_complete:
                continue  # not weighted to: not chosen, or left blank
            if not any(table.variable in set(result.designs[q].design.data.columns) or "+" in table.variable
                       for q in designs):
                continue
            sources = " / ".join(dict.fromkeys(s for s in table.sources if s)) or entry.path.name
            dates = ", ".join(dict.fromkeys(d for d in table.as_of if d))
            as_of = (f"（截至 {dates}）" if lang == "zh" else f" (as of {dates})") if dates else ""
            name = " × ".join(_weighting_labels(questionnaire, part, lang)[0] for part in table.variable.split("+"))
            every = len(designs) > 1 and set(designs) == set(result.designs)
            shown = (_ALL_SURVEYS[lang].format(count=len(designs)) if every
                     else "、".join(_title(result, q, lang) for q in designs))
            rows.append({"design": shown, "variable": name, "population": population,
                         "source": f"{sources}{as_of} · {entry.path.name}", "as_of": dates, "sha256": digest})
    return pd.DataFrame(rows, columns=["design", "variable", "population", "source", "as_of", "sha256"])


# ------------------------------------------------------------------------------------------ quality

def _reasons_frame(result: Any, lang: str) -> pd.DataFrame:
    """Every rejection and flag reason in words with its count and (English report) one example message; keying
    findings of double-entered paper forms (held back before validation) as rejections. The validation messages
    are written in English, so the Chinese report gives the reason's words only."""
    rows = []
    issues = result.issues
    if not issues.empty:
        for (code, action), group in issues.groupby(["code", "action"], sort=True):
            rows.append({"code": reason_label(code, lang), "outcome": _OUTCOMES.get(action, "rejected"),
                         "count": int(group["response_id"].nunique()) if "response_id" in group else len(group),
                         "message": str(group["message"].iloc[0]) if lang == "en" else ""})
    keying: dict[str, int] = {}
    for account in result.files:
        if account.role == "ingested":
            for code, count in account.reasons.items():
                if code.startswith("keying_"):
                    keying[code] = keying.get(code, 0) + int(count)
    rows += [{"code": reason_label(code, lang), "outcome": "rejected", "count": count, "message": ""}
             for code, count in keying.items()]
    return pd.DataFrame(rows, columns=["code", "outcome", "count", "message"])


def _accounting_frame(result: Any, lang: str) -> pd.DataFrame:
    """The accounting with each file's questionnaire, mode, reasons and note in words of ``lang`` (the role stays a
    code: the report words it)."""
    frame = result.accounting_frame()
    separator = "；" if lang == "zh" else "; "
    reasons = [separator.join(f"{reason_label(code, lang)} {count}" for code, count in sorted(account.reasons.items()))
               for account in result.files]
    frame = frame.assign(mode=[_mode_label(result, q, m, lang) for q, m in zip(frame["questionnaire"], frame["mode"])],
                         questionnaire=[_title(result, q, lang) for q in frame["questionnaire"]], reasons=reasons)
    if lang == "zh":
        frame["note"] = [zh or note for zh, note in zip(frame["note_zh"], frame["note"])]
    return frame.drop(columns=["note_zh"])


def _files_frame(result: Any) -> pd.DataFrame:
    """The study spec, targets register, questionnaires and margin files with their SHA-256."""
    study = result.study
    entries = [("study", study.path)]
    if study.targets:
        entries.append(("targets", study.targets))
    entries += [("questionnaire", q.source_path) for q in study.questionnaires.values()]
    entries += [("margins", entry.path) for entry in study.margins]
    rows = [{"role": role, "path": pathlib.Path(path).name, "sha256": sha256_or_empty(pathlib.Path(path))}
            for role, path in dict.fromkeys(entries)]
    return pd.DataFrame(rows, columns=["role", "path", "sha256"])


# ------------------------------------------------------------------------------------------ the report

def _method(result: Any, lang: str, run_time: Any) -> ReportMethod:
    study = result.study
    weighted = [w for w in result.designs.values() if w.method != "none"]
    base = _BASE_WEIGHTS.get(study.weighting.base_weight, {}).get(lang, study.weighting.base_weight)
    minimum = study.weighting.min_category_respondents
    if not weighted:
        description = "不加权" if lang == "zh" else "none"
    elif lang == "zh":
        description = f"迭代比例拟合（raking），起始权重：{base}；少于 {minimum} 名受访者的类别与相邻类别合并"
    else:
        description = (f"raking (base weights: {base}; categories with fewer than {minimum} respondents merged with "
                       "a neighbour)")
    notes = tuple(result.notes_zh or result.notes) if lang == "zh" else tuple(result.notes)
    return ReportMethod(ci_method=study.estimation.ci_method, level=study.estimation.level,
                        weighting_method=description, run_time=run_time, wave=study.wave,
                        sample_design=_sample_design(study, lang),
                        margin_sources=_margin_sources(result, lang), files=_files_frame(result), notes=notes)


def _sample_design(study: Any, lang: str) -> str:
    """The study's declared sample design in words (empty: none declared, the report says the default)."""
    design = study.design
    if not design.declared:
        return ""
    strata = " × ".join(_DESIGN_WORDS.get(column, {}).get(lang, column) for column in design.strata)
    parts = []
    if strata:
        parts.append(("分层：" if lang == "zh" else "strata: ") + strata)
    clusters = design.clusters
    parts.append(("整群：" + _DESIGN_WORDS.get(clusters, {}).get(lang, clusters) if clusters else "无整群")
                 if lang == "zh" else ("clusters: " + (clusters or "none")))
    shown = ("；" if lang == "zh" else "; ").join(parts)
    if design.description is not None:
        shown += ("（" + design.description.zh + "）") if lang == "zh" else (" (" + design.description.en + ")")
    return shown


def _translated_notes(scoreboard: pd.DataFrame, lang: str) -> pd.DataFrame:
    if lang == "en":
        scoreboard = scoreboard.assign(note=[en or zh for zh, en in zip(scoreboard["note"], scoreboard["note_en"])])
    return scoreboard.drop(columns=["note_en"])


def _table(frame: pd.DataFrame) -> pd.DataFrame | None:
    """None for a table the run left empty (nothing weighted, nothing estimated): the report prints it empty."""
    return None if frame.empty else frame


def report_input_from_study(result: Any, *, lang: str | None = None,
                            charts: Mapping[str, str | pathlib.Path] | None = None,
                            run_time: str | _datetime.datetime | None = None) -> ReportInput:
    """The acceptance report of one run (see the module docstring for where each number comes from).

    ``lang``: ``zh`` or ``en`` (default: the spec's ``report.lang``); ``charts``: chart name → PNG or SVG file
    (as written by ``surveys run``; names are shown as chart titles, ``targets*`` goes to the overview);
    ``run_time``: when the run happened (default: now, UTC).
    """
    if not isinstance(result, StudyResult):
        raise ReportError(f"report_input_from_study needs a StudyResult (surveys.study.pipeline.run_study); found "
                          f"{type(result).__name__}")
    lang = check_language(lang or result.study.lang)
    if run_time is None:
        run_time = _datetime.datetime.now(_datetime.timezone.utc).replace(microsecond=0)
    return ReportInput(
        title_zh=result.study.title.zh, title_en=result.study.title.en, lang=lang,
        scoreboard=_translated_notes(_scoreboard_frame(result), lang),
        measures=_table(_measures_frame(result)), accounting=_accounting_frame(result, lang),
        reasons=_table(_reasons_frame(result, lang)), weights=_table(_weights_frame(result, lang)),
        margins=_table(_margins_frame(result, lang)),
        robustness=_table(_robustness_frame(result)), mode_differences=_table(_mode_differences_frame(result)),
        group_comparisons=_table(_group_comparisons_frame(result)), drivers=_table(_drivers_frame(result)),
        reliability=_table(_reliability_frame(result)), reliability_items=_table(result.reliability_items_frame()),
        method=_method(result, lang, run_time), charts=dict(charts or {}),
        unweighted=any(not weighted.weighted for weighted in result.designs.values()))
