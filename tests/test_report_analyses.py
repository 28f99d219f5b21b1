"""The report's what-to-improve sections on small synthetic tables: one section per survey target after its
questionnaire's indicator section, the group comparisons with their findings, the drivers with the quadrant chart
right after them, the reliability of the questionnaire's scales, the same tables in the workbook and the HTML."""
from __future__ import annotations

import pathlib
import re

import openpyxl
import pandas as pd
import pytest
from docx import Document
from matplotlib.figure import Figure

from surveys.errors import ReportError
from surveys.report import ReportInput, ReportMethod, render_html, write_docx, write_workbook
from surveys.report.views import analysis_chart_name, chart_title, report_sections

QUADRANTS = ("improve", "strength", "maintain", "opportunity")


def _chart(tmp_path: pathlib.Path) -> pathlib.Path:
    figure = Figure(figsize=(3, 3))
    figure.add_subplot().plot([0, 1], [0, 1])
    path = tmp_path / "drivers_q1.png"
    figure.savefig(path, dpi=100)
    return path


def _report(tmp_path: pathlib.Path, *, lang: str = "zh", drivers: bool = True) -> ReportInput:
    scoreboard = pd.DataFrame([dict(target_id="T1", label_zh="人民群众对基层群众自治工作的满意率", short_zh="基层自治满意率",
                                    short_en="Grassroots satisfaction", estimate=0.788, ci_low=0.765, ci_high=0.81,
                                    threshold=0.8, rule="ci_lower_bound", verdict="not_met_within_margin",
                                    measure_id="overall_rate")])
    measures = pd.DataFrame([dict(questionnaire="q1", measure_id="overall_rate", label_zh="满意率", estimate=0.788,
                                  ci_low=0.765, ci_high=0.81, respondents=1107)])
    groups = pd.DataFrame([
        dict(target_id="T1", questionnaire="q1", variable="district", value=str(code), label_zh=name,
             label_en=f"District {code}", estimate=rate, ci_low=rate - 0.05, ci_high=rate + 0.05, respondents=150,
             difference=gap, difference_ci_low=gap - 0.07, difference_ci_high=gap + 0.07, p_value=p, adjusted_p_value=q,
             below=below, above=False, reliability="ok" if code < 3 else "suppress",
             finding_zh="按区县分组，满意率的差异在统计上显著。显著低于其余受访者的：中心区。",
             finding_en="The rate differs significantly by district. Significantly below the rest: Zhongxin.",
             note_zh="p 值按 Holm 法校正。", note_en="p-values adjusted by Holm's method.")
        for code, name, rate, gap, p, q, below in ((1, "中心区", 0.65, -0.154, 0.00002, 0.0002, True),
                                                    (2, "东城区", 0.82, 0.036, 0.26, 0.77, False),
                                                    (3, "石桥县", 0.88, 0.10, 0.2, 0.77, False))])
    driver_rows = pd.DataFrame([
        dict(target_id="T1", questionnaire="q1", item_id=f"i{n}", label_zh=name, label_en=f"Item {n}",
             performance=perf, performance_ci_low=perf - 0.03, performance_ci_high=perf + 0.03, importance=imp,
             importance_ci_low=imp - 0.4, importance_ci_high=imp + 0.4, importance_p_value=0.01,
             odds_ratio=2.71828 ** imp, quadrant=quadrant, priority=1 if quadrant == "improve" else None,
             importance_cut=0.9, performance_cut=0.77, family="quasibinomial", level=0.95,
             summary_zh="先改进：减负（71.7%）。", summary_en="Improve first: Workload relief (71.7%).",
             cut_note_zh="分界线：平均值。", cut_note_en="Cut lines: the means.",
             method_note_zh="重要性 = 对数优势比。", method_note_en="Importance = log odds ratio.")
        for n, (name, perf, imp, quadrant) in enumerate((("减负", 0.717, 2.2087, "improve"),
                                                          ("权利保障", 0.813, 1.1641, "strength"),
                                                          ("村务公开", 0.823, 0.4164, "maintain"),
                                                          ("民主决策", 0.739, 0.1367, "opportunity")), start=1)])
    reliability = pd.DataFrame([dict(questionnaire="q1", measure_id="index", label_zh="满意度指数", label_en="Index",
                                     alpha=0.93654, ci_low=0.927, ci_high=0.945, level=0.95, respondents=437, items=8,
                                     scoring="scores")])
    items = pd.DataFrame([dict(questionnaire="q1", measure_id="index", item_id=f"i{n}", label_zh=name,
                               item_rest_correlation=0.7512, alpha_if_deleted=0.929) for n, name in
                          enumerate(("减负", "权利保障"), start=1)])
    method = ReportMethod(ci_method="logit", level=0.95, run_time="2026-11-26T10:00:00")
    charts = {analysis_chart_name("T1", "重要性–表现四分图 · 基层问卷"): _chart(tmp_path)}
    return ReportInput(title_zh="演示", scoreboard=scoreboard, measures=measures, method=method, lang=lang,
                       group_comparisons=groups, drivers=driver_rows if drivers else None, reliability=reliability,
                       reliability_items=items, charts=charts)


def test_one_section_per_target_after_its_questionnaire_with_the_chart_after_the_drivers(tmp_path):
    sections = report_sections(_report(tmp_path))
    keys = [section.key for section in sections]
    assert keys.index("analysis") == keys.index("indicator") + 1
    analysis = sections[keys.index("analysis")]
    assert analysis.title == "改进分析：基层自治满意率" and analysis.sheet == "改进·基层自治满意率"
    assert [table.key for table in analysis.tables] == ["groups", "drivers", "reliability", "reliability_items"]
    assert analysis.charts_after == "drivers" and len(analysis.charts) == 1
    assert chart_title(analysis.charts[0][0], "zh") == "重要性–表现四分图 · 基层问卷"
    assert not any(section.key == "charts" for section in sections)  # the analysis chart is not a loose chart
    groups, drivers = analysis.tables[:2]
    assert groups.notes[0].startswith("按区县分组") and groups.notes[-1] == "p 值按 Holm 法校正。"
    assert [row[0].value for row in groups.rows] == ["区县", "", ""]  # the variable on its first row only
    assert [row[-2].value for row in groups.rows] == ["显著偏低", "差异不显著", "样本不足，不作比较"]
    assert [cell.muted for cell in groups.rows[2]] == [True] * len(groups.rows[2])  # an unreliable group
    assert drivers.note == "先改进：减负（71.7%）。" and drivers.notes == ("分界线：平均值。", "重要性 = 对数优势比。")
    assert [row[0].value for row in drivers.rows] == [1, 2, 3, 4]  # numbered as the chart numbers the items
    assert [row[-2].value for row in drivers.rows] == ["改进区", "优势区", "维持区", "机会区"]
    method = sections[keys.index("method")]
    analyses = next(table for table in method.tables if table.key == "analyses_method")
    assert "效度" in analyses.rows[-1][1].value  # what α means and does not mean


def test_html_prints_the_tables_the_findings_and_the_chart_in_place(tmp_path):
    document = render_html(_report(tmp_path))
    section = re.search(r"<h2>改进分析：基层自治满意率</h2>(.*?)</section>", document, flags=re.S).group(1)
    order = [section.index(text) for text in ("哪些群体满意率偏低", "按区县分组", "先改进什么", "先改进：减负",
                                              "<figure>", "量表信度", "量表各分项")]
    assert order == sorted(order)
    assert "2.21" in section and "1.77 – 2.65" not in section and "1.81 – 2.61" in section  # coefficients: 2 decimals
    assert "0.937" in section and "0.927 – 0.945" in section  # α: 3 decimals
    assert "−15.4 个百分点" in section and "&lt;0.001" in section
    english = render_html(_report(tmp_path, lang="en"))
    assert "What to improve: Grassroots satisfaction" in english and "Improve first: Workload relief" in english
    assert "Item–rest correlation" in english and "improve first" in english
    assert "α if the item is deleted" in english  # not "Α …", a capital alpha that reads as an A


def test_the_workbook_sheet_keeps_numbers_as_numbers_and_embeds_the_chart(tmp_path):
    path = write_workbook(_report(tmp_path), tmp_path / "report.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["改进·基层自治满意率"]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert cells[2.2087].number_format == "0.00" and cells[0.93654].number_format == "0.000"
    assert cells[0.717].number_format == "0.0%" and cells[0.0002].number_format == "0.000"
    assert cells[-0.154].number_format.startswith("+0.0%")
    assert len(sheet._images) == 1
    assert not sheet.print_title_rows  # tables of different columns: no header repeated above the others
    assert "先改进：减负（71.7%）。" in cells


def test_a_target_without_drivers_has_no_chart_place_and_missing_columns_are_named(tmp_path):
    sections = report_sections(_report(tmp_path, drivers=False))
    analysis = next(section for section in sections if section.key == "analysis")
    assert [table.key for table in analysis.tables] == ["groups", "reliability", "reliability_items"]
    assert analysis.charts_after == ""
    report = _report(tmp_path)
    with pytest.raises(ReportError, match="'drivers' lacks the required columns \\['quadrant'\\]"):
        ReportInput(title_zh="x", scoreboard=report.scoreboard, method=report.method,
                    drivers=report.drivers.drop(columns="quadrant"))


def _outline(path: pathlib.Path) -> list[tuple[str, str]]:
    """The Word report as (style, text) of its headings, captions and notes, and ("Figure", "") for a picture."""
    lines = []
    for paragraph in Document(str(path)).paragraphs:
        if paragraph._p.xpath(".//w:drawing"):
            lines.append(("Figure", ""))
        elif paragraph.style.name.startswith("Heading") or paragraph.style.name in ("Caption", "Table Note"):
            lines.append((paragraph.style.name, paragraph.text))
    return lines


@pytest.mark.parametrize("lang, part, first, header", [
    ("zh", "3．改进分析：基层自治满意率", "先改进：减负（71.7%）。", "删除该项后的 α"),
    ("en", "3.1.3 What to improve: Grassroots satisfaction", "Improve first: Workload relief (71.7%).",
     "α if the item is deleted")])
def test_the_word_report_ends_the_indicators_part_with_what_to_improve(tmp_path, lang, part, first, header):
    lines = _outline(write_docx(_report(tmp_path, lang=lang), tmp_path / "report.docx"))
    start = lines.index(("Heading 3", part))
    indicator = next(text for style, text in reversed(lines[:start]) if style == "Heading 2")
    assert indicator.endswith(part.rpartition("：" if lang == "zh" else ": ")[2])  # its target's indicator
    end = next(i for i, (style, _) in enumerate(lines) if i > start and style.startswith("Heading"))
    assert lines[end][0] == "Heading 1"  # the indicator's last part
    inside = lines[start + 1:end]
    captions = [text for style, text in inside if style == "Caption"]
    assert len(captions) == 5 and captions[2].split(maxsplit=1)[0] in ("图1", "Figure")
    # the drivers table, the quadrant chart with its caption, then the drivers' notes
    chart = inside.index(("Figure", ""))
    assert inside[chart - 1][0] == "Caption" and inside[chart + 1][0] == "Caption"
    assert inside[chart + 2] == ("Table Note", first)
    assert inside[1][1].startswith("按区县分组" if lang == "zh" else "The rate differs")  # the finding, in words
    items = [[cell.text for cell in table.rows[0].cells] for table in Document(str(tmp_path / "report.docx")).tables
             if [cell.text for cell in table.rows[0].cells][1:2] in (["分项"], ["Item"])]
    assert items[-1][-1] == header


def test_a_target_no_indicator_part_holds_gets_a_part_of_its_own(tmp_path):
    report = _report(tmp_path)
    loose = ReportInput(title_zh="演示", scoreboard=report.scoreboard.assign(measure_id="elsewhere"),
                        measures=report.measures, method=report.method, group_comparisons=report.group_comparisons,
                        drivers=report.drivers, reliability=report.reliability,
                        reliability_items=report.reliability_items, charts=dict(report.charts))
    lines = _outline(write_docx(loose, tmp_path / "report.docx"))
    headings = [text for style, text in lines if style in ("Heading 1", "Heading 2")]
    assert headings[headings.index("三、分项结果") + 1:headings.index("四、方法说明")] == [
        "（一）满意率", "（二）改进分析：基层自治满意率"]
    assert lines.count(("Figure", "")) == 1  # the chart once, in the analysis
