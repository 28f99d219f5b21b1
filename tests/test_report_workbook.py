"""The acceptance workbook: sheets, numbers as numbers, verdict formatting, widths, names, and no formulas."""
from __future__ import annotations

import math
import pathlib

import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.figure import Figure

from surveys.indicators.targets import JUDGED_VERDICTS, VERDICT_LABELS, VERDICTS
from surveys.report import (
    ReportError,
    ReportInput,
    ReportMethod,
    describe_columns,
    write_workbook,
)
from surveys.report.labels import VERDICT_STYLES
from surveys.report.text import display_width, sheet_name, unique_sheet_names

INJECTIONS = ('=HYPERLINK("http://example.invalid","点我")', "+1", "-2", "@SUM(A1)", "=1+1", "\t=2")


def _scoreboard() -> pd.DataFrame:
    rows = []
    for index, (verdict, estimate) in enumerate(zip(VERDICTS, (0.86, 0.81, 0.79, 0.70)), start=1):
        rows.append(dict(target_id=f"T{index}", label_zh=f"指标{index}满意率", label_en=f"Indicator {index}",
                         responsible_unit_zh="市市场监督管理局", responsible_unit_en="Market Supervision Bureau",
                         source_kind="census" if index == 4 else "survey", measure_id=f"m{index}",
                         estimate=estimate, ci_low=estimate - 0.03, ci_high=estimate + 0.03,
                         margin_of_error=math.nan if index == 4 else 0.03, threshold=0.8, comparison=">=",
                         rule="point_estimate", verdict=verdict, respondents=400 + index,
                         positive_set_zh="非常满意、满意、基本满意", base_label_zh="全部有效回答",
                         ci_method="logit", level=0.95, df=399 + index))
    return pd.DataFrame(rows)


def _measures(label_zh: str = "市场监管满意率") -> pd.DataFrame:
    rng = np.random.default_rng(20261126)
    rows = []
    for measure_id, label in (("m1", label_zh), ("m2", "平安建设满意率")):
        for variable, value, name in (("", "", ""), ("district", "d1", "东城区"), ("district", "d2", "西城区")):
            estimate = float(rng.uniform(0.7, 0.9))
            rows.append(dict(measure_id=measure_id, label_zh=label, label_en=f"{measure_id} rate",
                             domain_variable=variable, domain_value=value, domain_label_zh=name, estimate=estimate,
                             std_error=0.02, ci_low=estimate - 0.04, ci_high=estimate + 0.04, respondents=120,
                             effective_sample_size=96.5, reliability="suppress" if value == "d2" else "ok",
                             reliability_reasons_zh="有效样本量小于30" if value == "d2" else ""))
    return pd.DataFrame(rows)


def _report(*, lang: str = "zh", reasons: pd.DataFrame | None = None, measures: pd.DataFrame | None = None,
            charts: dict | None = None, accounting: pd.DataFrame | None = None) -> ReportInput:
    accounting = accounting if accounting is not None else pd.DataFrame([dict(
        path="exports/问卷星_2026.xlsx", sha256="ab" * 32, platform="wjx", encoding="utf-8", mode="online",
        rows_read=100, accepted=90, rejected=10, flagged=3, reasons="speeder: 10")])
    weights = pd.DataFrame([dict(design="resident", method="raking", respondents=90, kish_design_effect=1.4,
                                 effective_sample_size=64.3, top_share=0.03, iterations=6, converged=True,
                                 largest_margin_gap=1e-8)])
    margins = pd.DataFrame([dict(design="resident", variable="sex", category=c, respondents=45, target_share=t,
                                 share_before=0.5, share_after=t) for c, t in (("男", 0.48), ("女", 0.52))])
    method = ReportMethod(ci_method="logit", level=0.95, weighting_method="rake", run_time="2026-11-26T10:00:00",
                          margin_sources=pd.DataFrame([dict(variable="sex", source="margins.csv", sha256="cd" * 32)]),
                          files=pd.DataFrame([dict(role="study", path="study.yaml", sha256="ef" * 32)]))
    return ReportInput(title_zh="2026年度满意度调查", title_en="2026 satisfaction survey", scoreboard=_scoreboard(),
                       measures=_measures() if measures is None else measures, accounting=accounting,
                       reasons=reasons, weights=weights, margins=margins, method=method, charts=charts or {},
                       lang=lang)


def _write(tmp_path: pathlib.Path, report: ReportInput) -> openpyxl.Workbook:
    path = write_workbook(report, tmp_path / "out" / "report.xlsx")
    return openpyxl.load_workbook(path)


def _cells(workbook: openpyxl.Workbook):
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_sheets_in_chinese_and_english(tmp_path):
    chinese = _write(tmp_path, _report())
    assert chinese.sheetnames == ["总览", "指标明细", "市场监管满意率", "平安建设满意率", "方法", "数据质量", "权重"]
    english = _write(tmp_path, _report(lang="en"))
    assert english.sheetnames == ["Overview", "Targets in detail", "m1 rate", "m2 rate", "Method", "Data quality",
                                  "Weights"]
    headers = [cell.value for cell in english["Overview"][3]]
    assert english["Overview"].cell(row=4, column=headers.index("Verdict") + 1).value == VERDICT_LABELS["met"]["en"]


def test_numbers_are_numbers_with_percentage_formats(tmp_path):
    sheet = _write(tmp_path, _report())["总览"]
    headers = [cell.value for cell in sheet[3]]
    row = {header: sheet.cell(row=4, column=index) for index, header in enumerate(headers, start=1)}
    assert row["结果"].data_type == "n" and row["结果"].value == pytest.approx(0.86)
    assert row["结果"].number_format == "0.0%"
    assert row["区间下限"].value == pytest.approx(0.83) and row["区间上限"].value == pytest.approx(0.89)
    assert row["区间类型"].value == "95% 置信区间"
    # an interval's halves as they are: symmetric here (0.83–0.89 around 0.86), so one ±
    assert row["误差（下/上）"].value == "±3.0 个百分点"
    assert row["目标"].value == pytest.approx(0.8) and row["目标"].number_format == "0.0%"
    assert row["样本量"].value == 401 and row["样本量"].number_format == "#,##0"
    # the census row says why it has no margin of error instead of leaving a number out silently
    census = {header: sheet.cell(row=7, column=index).value for index, header in enumerate(headers, start=1)}
    assert census["误差（下/上）"] == "无抽样误差"


def test_verdict_column_has_a_conditional_format_per_verdict(tmp_path):
    sheet = _write(tmp_path, _report())["总览"]
    verdict_column = [cell.value for cell in sheet[3]].index("判定") + 1
    letter = openpyxl.utils.get_column_letter(verdict_column)
    ranges = {str(rule_range.sqref): rule_range.rules for rule_range in sheet.conditional_formatting}
    rules = ranges[f"{letter}4:{letter}7"]
    formulas = {rule.formula[0]: rule for rule in rules}
    for verdict in JUDGED_VERDICTS:
        rule = formulas[f'"{VERDICT_LABELS[verdict]["zh"]}"']
        assert rule.operator == "equal"
        assert rule.dxf.fill.fgColor.rgb.endswith(VERDICT_STYLES[verdict].fill[1:].upper()) or \
            rule.dxf.fill.bgColor.rgb.endswith(VERDICT_STYLES[verdict].fill[1:].upper())
    # the text carries the verdict too (colour is never the only carrier)
    assert [sheet.cell(row=r, column=verdict_column).value for r in range(4, 8)] == \
        [VERDICT_LABELS[v]["zh"] for v in JUDGED_VERDICTS]


def test_no_cell_from_a_respondent_or_a_file_is_a_formula(tmp_path):
    reasons = pd.DataFrame([dict(code="free_text", outcome="flagged", count=1, message=text) for text in INJECTIONS])
    accounting = pd.DataFrame([dict(path=text, sha256=text, platform=text, rows_read=1, accepted=1, rejected=0,
                                    reasons=text) for text in INJECTIONS])
    measures = _measures(label_zh="=HYPERLINK(\"http://example.invalid\")")
    workbook = _write(tmp_path, _report(reasons=reasons, accounting=accounting, measures=measures))
    cells = list(_cells(workbook))
    assert {cell.data_type for cell in cells} <= {"s", "n"}
    texts = [cell for cell in cells if isinstance(cell.value, str)]
    for injection in INJECTIONS:
        found = [cell for cell in texts if cell.value == injection]
        assert found, f"{injection!r} was not written as text"
        assert all(cell.quotePrefix for cell in found)


def test_control_characters_do_not_break_the_workbook(tmp_path):
    reasons = pd.DataFrame([dict(code="free_text", count=1, message="第一行\x07响铃\x00空")])
    workbook = _write(tmp_path, _report(reasons=reasons, lang="en"))  # examples are printed in English reports
    messages = [cell.value for cell in _cells(workbook) if isinstance(cell.value, str) and "响铃" in cell.value]
    assert messages == ["第一行\ufffd响铃\ufffd空"]


def test_headers_frozen_and_widths_fitted_to_chinese(tmp_path):
    workbook = _write(tmp_path, _report())
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes is not None, sheet.title
    overview = workbook["总览"]
    assert overview.freeze_panes == "B4"
    indicator = [cell.value for cell in overview[3]].index("指标") + 1
    width = overview.column_dimensions[openpyxl.utils.get_column_letter(indicator)].width
    assert width >= display_width("指标1满意率") == 11


def test_display_width_counts_wide_characters_twice():
    assert display_width("满意率80%") == 9
    assert display_width("ＡＢ") == 4


def test_sheet_names_are_valid_and_unique():
    long = "市场监管工作群众满意率：含基本满意[全体]/分区县?*的结果与误差范围说明"
    name = sheet_name(long)
    assert len(name) <= 31 and not set("[]:*?/\\") & set(name)
    assert sheet_name("'quoted'") == "quoted"
    assert sheet_name("") == "Sheet"
    names = unique_sheet_names([long, long, "方法"], taken=["方法", "总览"])
    assert len({n.lower() for n in names} | {"方法", "总览"}) == 5
    assert all(len(n) <= 31 for n in names)


def test_indicator_sheets_with_clashing_names(tmp_path):
    measures = pd.concat([_measures(label_zh="方法"), _measures(label_zh="方法").assign(measure_id="m3")])
    workbook = _write(tmp_path, _report(measures=measures))
    assert len(set(workbook.sheetnames)) == len(workbook.sheetnames)
    assert "方法" in workbook.sheetnames and workbook["方法"]["A1"].value.endswith("方法")


def test_indicator_sheet_lists_every_domain_with_reliability(tmp_path):
    sheet = _write(tmp_path, _report())["市场监管满意率"]
    headers = [cell.value for cell in sheet[3]]
    for header in ("分组", "结果", "样本量", "有效样本量", "可靠性"):
        assert header in headers
    domains = [sheet.cell(row=r, column=headers.index("分组") + 1).value for r in range(4, 7)]
    assert domains == ["全体", "东城区", "西城区"]
    reliability = sheet.cell(row=6, column=headers.index("可靠性") + 1).value
    assert reliability == "不可靠（仅供参考）"
    assert sheet.cell(row=4, column=headers.index("有效样本量") + 1).value == pytest.approx(96.5)


def test_method_quality_and_weights_sheets(tmp_path):
    workbook = _write(tmp_path, _report())
    method = [c.value for c in _cells_of(workbook["方法"])]
    for expected in ("非常满意、满意、基本满意", "全部有效回答", "logit", "0.1.0", "ab" * 32, "cd" * 32, "ef" * 32):
        assert any(isinstance(v, str) and expected in v for v in method), expected
    quality = [c.value for c in _cells_of(workbook["数据质量"])]
    assert 100 in quality and 90 in quality and "是" in quality  # accepted + rejected = rows read
    weights = workbook["权重"]
    values = [c.value for c in _cells_of(weights)]
    assert 1.4 in values and "男" in values


def _cells_of(sheet):
    for row in sheet.iter_rows():
        yield from row


def test_charts_are_embedded(tmp_path):
    figure = Figure(figsize=(4, 2))
    figure.subplots().plot([0, 1], [0, 1])
    png = tmp_path / "target_chart.png"
    figure.savefig(png, dpi=200)
    svg_only = tmp_path / "likert.svg"
    figure.savefig(svg_only)
    workbook = _write(tmp_path, _report(charts={"target_chart": png, "likert": svg_only}))
    assert len(workbook["总览"]._images) == 1
    image = workbook["总览"]._images[0]
    # shown at the chart's physical size (4 in = 3,657,600 EMU), not at its 800-pixel width
    assert image.anchor.ext.width == pytest.approx(4 * 914400, rel=0.01)
    assert "图表" in workbook.sheetnames  # the SVG-only chart is named there, with its path


def test_missing_columns_and_unknown_verdicts_are_reported():
    with pytest.raises(ReportError, match=r"lacks the required columns \['verdict'\]"):
        ReportInput(title_zh="x", scoreboard=_scoreboard().drop(columns="verdict"),
                    method=ReportMethod(ci_method="logit", level=0.95))
    with pytest.raises(ReportError, match="unknown values \\['passed'\\]"):
        ReportInput(title_zh="x", scoreboard=_scoreboard().assign(verdict="passed"),
                    method=ReportMethod(ci_method="logit", level=0.95))
    with pytest.raises(ReportError, match="must hold numbers"):
        ReportInput(title_zh="x", scoreboard=_scoreboard().assign(estimate="85%"),
                    method=ReportMethod(ci_method="logit", level=0.95))
    with pytest.raises(ReportError, match="language"):
        ReportInput(title_zh="x", scoreboard=_scoreboard(), method=ReportMethod(ci_method="logit", level=0.95),
                    lang="fr")


def test_input_is_copied_and_target_met_derived_from_the_rule():
    scoreboard = _scoreboard()
    report = ReportInput(title_zh="x", scoreboard=scoreboard, method=ReportMethod(ci_method="logit", level=0.95))
    scoreboard.loc[0, "estimate"] = 0.0
    assert report.scoreboard.loc[0, "estimate"] == pytest.approx(0.86)
    assert list(report.scoreboard["target_met"]) == [True, True, False, False]  # point_estimate rule
    assert report.method.toolkit_version  # surveys.__version__ by default
    assert set(describe_columns("scoreboard")["name"]) >= {"target_id", "estimate", "verdict", "rule"}


def test_verdict_styles_cover_every_verdict():
    assert set(VERDICT_STYLES) == set(VERDICTS) | {"no_data"}
    assert len({style.symbol for style in VERDICT_STYLES.values()}) == len(VERDICT_STYLES)


def test_the_register_scoreboard_frame_is_accepted_as_it_is(tmp_path):
    """Scoreboard.to_frame() (surveys.indicators.register) feeds the report without renaming: exact administrative
    figures, census bounds and targets without data included."""
    from surveys.indicators.register import Scoreboard, ScoreboardRow
    from surveys.questionnaire import Text

    def row(target_id, source_kind, value, low, high, interval_kind, verdict, target_met, **extra):
        return ScoreboardRow(target_id=target_id, section="一", text=Text(f"目标{target_id}", f"Target {target_id}"),
                             responsible=Text("市司法局", "Justice Bureau"), source_kind=source_kind, source="",
                             value=value, ci_low=low, ci_high=high, interval_kind=interval_kind, threshold=extra.pop(
                                 "threshold", 0.8), comparison=">=", rule="ci_lower_bound", verdict=verdict,
                             target_met=target_met, **extra)

    board = Scoreboard(rows=(
        row("a", "survey", 0.84, 0.81, 0.87, "confidence_interval", "met", True, respondents=600),
        row("b", "census", 0.9, 0.85, 0.93, "nonresponse_bounds", "met", True, respondents=120),
        row("c", "administrative", 12.0, math.nan, math.nan, "exact", "met", True, threshold=10.0,
            evidence="司法局年报 2026-01"),
        row("d", "administrative", 0.95, math.nan, math.nan, "exact", "met", True, numerator=95.0, denominator=100.0),
        row("e", "survey", math.nan, math.nan, math.nan, "", "no_data", None),
    ))
    report = ReportInput(title_zh="x", scoreboard=board.to_frame(), method=ReportMethod(ci_method="logit", level=0.95))
    assert list(report.scoreboard["kind"]) == ["rate", "rate", "value", "rate", "rate"]
    sheet = _write(tmp_path, report)["指标明细"]
    headers = [cell.value for cell in sheet[3]]
    column = {name: headers.index(name) + 1 for name in headers}
    values = {sheet.cell(row=r, column=column["编号"]).value: r for r in range(4, 9)}
    exact = values["c"]
    assert sheet.cell(row=exact, column=column["结果"]).value == 12
    assert "%" not in sheet.cell(row=exact, column=column["结果"]).number_format  # a count, not 1200%
    assert sheet.cell(row=exact, column=column["判定"]).value == "达标"  # the register's words for exact figures
    assert sheet.cell(row=exact, column=column["区间类型"]).value == "精确值（无区间）"
    assert sheet.cell(row=exact, column=column["误差（下/上）"]).value == "–"  # an exact figure has no margin
    assert sheet.cell(row=values["d"], column=column["结果"]).number_format == "0.0%"
    assert sheet.cell(row=values["e"], column=column["判定"]).value == "无数据"
    assert sheet.cell(row=values["e"], column=column["计为达标"]).value == "否"
    formulas = {rule.formula[0] for rules in sheet.conditional_formatting for rule in rules.rules}
    assert {'"达标"', '"无数据"', '"达标（有统计把握）"'} <= formulas


def test_one_sheet_per_questionnaire_indicator_with_every_measure_and_base(tmp_path):
    """Measure ids repeat across questionnaires: each questionnaire's measures share one indicator sheet,
    named after its first measure; rows on a base the verdict does not use stay in the workbook."""
    first = _measures(label_zh="维稳满意率").assign(questionnaire="stability")
    other_base = first[first["measure_id"] == "m1"].assign(base="exclude_dont_know", used_for_verdict=False,
                                                           base_label_zh="剔除“不了解”")
    second = _measures(label_zh="市场监管满意率").assign(questionnaire="market")
    measures = pd.concat([first, other_base, second], ignore_index=True)
    workbook = _write(tmp_path, _report(measures=measures))
    assert workbook.sheetnames[2:4] == ["维稳满意率", "市场监管满意率"]
    texts = [c.value for c in _cells_of(workbook["维稳满意率"]) if isinstance(c.value, str)]
    assert "平安建设满意率" in texts  # the questionnaire's second measure, as its own table
    assert "剔除“不了解”" in texts  # the other base is in the workbook


def test_pipeline_frames_are_accepted_as_they_are(tmp_path):
    """StudyResult.accounting_frame() and the weights/margins frames name the design 'questionnaire' and the
    file 'file': the report takes them without renaming."""
    from types import SimpleNamespace

    from surveys.study.pipeline import FileAccount, StudyResult

    accounts = (FileAccount(path=pathlib.Path("wjx.xlsx"), questionnaire="market", platform="wjx", mode="online",
                            role="ingested", rows_read=10, accepted=8, rejected=2, reasons={"speeder": 2}),
                FileAccount(path=pathlib.Path("wjx_gbk.csv"), questionnaire="market", platform="wjx", mode="online",
                            role="copy", note="the same export in another encoding"))
    accounting = StudyResult.accounting_frame(SimpleNamespace(files=accounts))
    weights = pd.DataFrame([dict(questionnaire="market", stage=1, method="rake", kish_design_effect=1.2,
                                 effective_sample_size=7.0)])
    margins = pd.DataFrame([dict(questionnaire="market", variable="district@residents", category="1",
                                 target_share=0.4, share_before=0.5, share_after=0.4)])
    report = ReportInput(title_zh="x", scoreboard=_scoreboard(), accounting=accounting, weights=weights,
                         margins=margins, method=ReportMethod(ci_method="logit", level=0.95))
    assert list(report.accounting["path"]) == ["wjx.xlsx", "wjx_gbk.csv"]
    assert list(report.weights["design"]) == ["market"] and list(report.margins["design"]) == ["market"]
    sheet = _write(tmp_path, report)["数据质量"]
    header_row = next(r for r in range(1, 10) if sheet.cell(row=r, column=1).value == "文件")
    headers = [c.value for c in sheet[header_row]]
    balanced = [sheet.cell(row=header_row + offset, column=headers.index("接受+剔除=读入") + 1).value
                for offset in (1, 2)]
    assert balanced == ["是", None]  # checked for the ingested file, not for the copy
