"""The Word report: its parts and headings, numbered tables and figures, the overview's numbers as the scoreboard
formats them, a sentence per indicator that says only what the tables say, tables and figures that fit A4
portrait, Chinese fonts, no English codes in the Chinese report, and (where LibreOffice exists) a clean PDF
conversion. Checked on a synthetic ReportInput and on `surveys demo`."""
from __future__ import annotations

import json
import math
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor
from matplotlib.figure import Figure

from surveys.cli import main
from surveys.indicators.targets import VERDICT_LABELS
from surveys.report import ReportError, ReportInput, ReportMethod, write_docx
from surveys.report.docx_layout import PAGE
from surveys.report.docx_widths import column_widths, table_height, text_width
from surveys.report.labels import label
from surveys.report.narrative import indicator_sentence, value_text
from surveys.report.text import format_value
from surveys.validate import REASON_LABELS

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
SCALE = "0.15"
_TOLERANCE_MM = 0.5


# ------------------------------------------------------------------------------------------ a synthetic report

def _scoreboard() -> pd.DataFrame:
    common = dict(threshold=0.8, comparison=">=", rule="ci_lower_bound", level=0.95, ci_method="logit",
                  positive_set_zh="非常满意、满意、基本满意", base_label_zh="全部有效回答", demo_data=False)
    return pd.DataFrame([
        dict(common, target_id="T1", label_zh="开展市场监管满意度调查，满意度达到80%以上。", label_en="Market survey",
             short_zh="市场监管满意率", short_en="Market supervision satisfaction", responsible_unit_zh="市市场监管局",
             responsible_unit_en="Market Bureau", source_kind="survey", questionnaire="q1", measure_id="m1",
             estimate=0.815, ci_low=0.791, ci_high=0.837, verdict="met_within_margin", respondents=1402, df=1390,
             robustness_zh="取决于“不了解”是否计入基数", robustness_en="depends on whether don't-know answers are in "
             "the base", warnings_zh="权重差异大", warnings_en="very unequal weights"),
        dict(common, target_id="T2", label_zh="平安建设满意率达到80%以上。", label_en="Safety survey", short_zh="平安建设满意率",
             short_en="Safety satisfaction", responsible_unit_zh="市委政法委", responsible_unit_en="Political and Legal "
             "Affairs Commission", source_kind="survey", questionnaire="q1", measure_id="m2", estimate=0.70,
             ci_low=0.66, ci_high=0.74, verdict="not_met", respondents=600, df=590, robustness_zh="结论稳健",
             robustness_en="robust"),
        dict(common, target_id="T3", label_zh="代表建议办理满意率达到80%以上。", label_en="Proposals", short_zh="建议办理满意率",
             short_en="Proposal handling satisfaction", responsible_unit_zh="市政府督查室", responsible_unit_en="Inspection "
             "Office", source_kind="census", questionnaire="q2", measure_id="m1", estimate=0.983, ci_low=0.891,
             ci_high=0.984, verdict="met", respondents=348, verdict_zh="达标（未回收的全按不满意也达标）",
             verdict_en="met (even if every unreturned form were unsatisfied)"),
        dict(common, target_id="T4", label_zh="每年开展法制讲座不少于2次。", label_en="Lectures", short_zh="法制讲座次数",
             short_en="Law lectures", unit_zh="次", unit_en="times", responsible_unit_zh="市法制办",
             responsible_unit_en="Legal Affairs Office", source_kind="administrative", kind="count", estimate=3,
             ci_low=math.nan, ci_high=math.nan, threshold=2, verdict="met", verdict_zh="达标", verdict_en="met"),
    ])


def _measures() -> pd.DataFrame:
    rng = np.random.default_rng(20261126)
    rows = []
    for questionnaire, measure_id, name, source in (("q1", "m1", "市场监管满意率（含基本满意）", "survey"),
                                                    ("q1", "m2", "平安建设满意率", "survey"),
                                                    ("q1", "m3", "满意度指数", "survey"),
                                                    ("q2", "m1", "建议办理满意率", "census")):
        for variable, value, domain in (("", "", ""), ("district", "1", "东城区"), ("district", "2", "西城区"),
                                        ("mode", "paper", "纸质问卷")):
            estimate = float(rng.uniform(70, 90)) if measure_id == "m3" else float(rng.uniform(0.7, 0.95))
            half = 4.0 if measure_id == "m3" else 0.04
            rows.append(dict(
                questionnaire=questionnaire, measure_id=measure_id, label_zh=name, label_en=f"{measure_id} rate",
                kind="index" if measure_id == "m3" else "rate", source_kind=source, domain_variable=variable,
                domain_value=value, domain_label_zh=domain, estimate=estimate, std_error=0.02, ci_low=estimate - half,
                ci_high=estimate + half, respondents=120, effective_sample_size=math.nan if source == "census" else 96.5,
                reliability="census" if source == "census" else ("suppress" if value == "2" else "ok"),
                reliability_reasons_zh="有效样本量（Kish）小于30" if value == "2" else "",
                reliability_reasons_en="effective sample size below 30" if value == "2" else ""))
            if variable == "":  # the same measure on another base, which the verdict does not use
                rows.append(dict(rows[-1], base="exclude_dont_know", used_for_verdict=False, estimate=0.5))
    return pd.DataFrame(rows)


def _chart(path: pathlib.Path, height: float = 3.0) -> pathlib.Path:
    figure = Figure(figsize=(7.0, height))
    figure.add_subplot().plot([0, 1], [0, 1])
    figure.savefig(path, dpi=300)
    return path


def _report(tmp_path: pathlib.Path, *, lang: str = "zh", unweighted: bool = False, demo: bool = False) -> ReportInput:
    charts_dir = tmp_path / "charts"
    charts_dir.mkdir(exist_ok=True)
    # chart name (its title in the report's language) → file; the file name says where it goes
    names = (("targets", "分区县结果 · 问卷一", "很长的图", "建议办理", "权重分布 · 问卷一", "其他") if lang == "zh" else
             ("targets", "By district · Q1", "A tall chart", "Proposals", "Weights · Q1", "Other"))
    files = (("targets.png", 3.0), ("district_q1.png", 3.0), ("items_q1.png", 30.0),  # taller than a page
             ("handling_q2_department.png", 3.0), ("weights_q1.png", 3.0), ("something.png", 3.0))
    charts = {name: _chart(charts_dir / file, height) for name, (file, height) in zip(names, files)}
    accounting = pd.DataFrame([
        dict(path="exports/问卷星_2026.xlsx", questionnaire="问卷一", mode="网络问卷", role="ingested", rows_read=100,
             accepted=90, rejected=10, flagged=3, reasons="答题时间过短 10"),
        dict(path="exports/问卷星_选项文本.xlsx", questionnaire="问卷一", mode="网络问卷", role="labels", rows_read=100,
             accepted=0, rejected=0, flagged=0, note="选项文字")])
    reasons = pd.DataFrame([dict(code="答题时间过短", outcome="rejected", count=10)])
    weights = pd.DataFrame([dict(design="问卷一", method="raking", respondents=90, kish_design_effect=1.4,
                                 effective_sample_size=64.3, weight_ratio=12.0, converged=True,
                                 flags="weights exploded: factors 0.2-6", flags_zh="权重离散过大")])
    margins = pd.DataFrame([dict(design="问卷一", variable="sex", category=c, respondents=45, target_share=t,
                                 share_before=0.5, share_after=t) for c, t in (("男", 0.48), ("女", 0.52))])
    method = ReportMethod(ci_method="logit", level=0.95, weighting_method="raking", run_time="2026-11-26T10:00:00",
                          wave="2026", margin_sources=pd.DataFrame([dict(variable="sex", source="margins.csv",
                                                                         sha256="cd" * 32)]),
                          files=pd.DataFrame([dict(role="study", path="study.yaml", sha256="ef" * 32)]),
                          notes=("一条说明",) if lang == "zh" else ("a note",))
    robustness = pd.DataFrame([
        dict(target_id="T1", indicator_zh="开展市场监管满意度调查，满意度达到80%以上。", indicator_en="Market survey",
             alternative=alternative, label_zh=words, label_en=alternative, estimate=estimate, ci_low=estimate - 0.02,
             ci_high=estimate + 0.02, respondents=1402, verdict=verdict, agrees=agrees)
        for alternative, words, estimate, verdict, agrees in (
            ("reported", "报告口径", 0.815, "met_within_margin", None),
            ("other_base", "基数：剔除“不了解”", 0.84, "met", False))])
    scoreboard = _scoreboard().assign(demo_data=demo)
    return ReportInput(title_zh="秦川市2026年度满意度调查", title_en="Qinchuan 2026 survey", scoreboard=scoreboard,
                       measures=_measures(), accounting=accounting, reasons=reasons, weights=weights, margins=margins,
                       robustness=robustness, method=method, charts=charts, lang=lang, unweighted=unweighted)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The synthetic report in Chinese (demonstration data, unweighted) and in English, written once."""
    folder = tmp_path_factory.mktemp("docx")
    chinese = write_docx(_report(folder, unweighted=True, demo=True), folder / "out" / "report.docx")
    english = write_docx(_report(folder, lang="en"), folder / "out" / "report_en.docx")
    return chinese, english


# ------------------------------------------------------------------------------------------ reading a docx

def _body_texts(document) -> list[str]:
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def _all_text(document) -> str:
    section = document.sections[0]
    header = [p.text for p in (*section.header.paragraphs, *section.footer.paragraphs)]
    return "\n".join(_body_texts(document) + header)


def _captions(document, prefix: str) -> list[tuple[int, str]]:
    found = []
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Caption":
            match = re.match(rf"{prefix}\s?(\d+)\s+(.*)", paragraph.text)
            if match:
                found.append((int(match.group(1)), match.group(2)))
    return found


def _headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _table_after(document, caption: str):
    """The Word table that follows the caption paragraph containing ``caption``."""
    body = document.element.body
    for index, child in enumerate(body):
        if child.tag == qn("w:p") and caption in "".join(t.text or "" for t in child.iter(qn("w:t"))):
            following = body[index + 1]
            assert following.tag == qn("w:tbl"), caption
            return next(t for t in document.tables if t._tbl is following)
    raise AssertionError(f"no caption {caption!r}")


def _rows(table) -> list[dict[str, str]]:
    headers = [cell.text for cell in table.rows[0].cells]
    rows = []
    for row in table.rows[1:]:
        cells = row.cells
        if len({id(c._tc) for c in cells}) == 1 and len(cells) > 1:  # a full-width note under the row
            continue
        rows.append(dict(zip(headers, (cell.text for cell in cells))))
    return rows


# ------------------------------------------------------------------------------------------ synthetic

def test_the_parts_in_order_with_numbered_headings(written):
    chinese, english = written
    document = Document(str(chinese))
    assert _headings(document, 1) == ["一、调查概况", "二、主要结论", "三、分项结果", "四、方法说明", "附件1　数据质量",
                                      "附件2　权重", "附件3　输入文件及其哈希值", "附件4　其他图表"]
    second = _headings(document, 2)
    assert "（一）抽样设计" in second and "（一）总体情况" in second and "（二）稳健性" in second
    # one part per questionnaire: its targets by their short names; the census questionnaire has its own
    assert "（一）市场监管满意率、平安建设满意率" in second and "（二）建议办理满意率" in second
    assert {"1．结果与判定", "2．各项测量结果", "3．分组结果", "4．图表"} <= set(_headings(document, 3))
    title = next(p.text for p in document.paragraphs if p.style.name == "Title")
    assert title == "秦川市2026年度满意度调查"
    assert _headings(Document(str(english)), 1)[:4] == ["1. The survey", "2. Main findings", "3. Results by indicator",
                                                         "4. Method"]


def test_tables_and_figures_are_numbered_consecutively_and_all_there(written):
    chinese, _ = written
    document = Document(str(chinese))
    tables, figures = _captions(document, "表"), _captions(document, "图")
    assert [n for n, _ in tables] == list(range(1, len(document.tables) + 1))
    assert [n for n, _ in figures] == list(range(1, len(document.inline_shapes) + 1))
    assert len(figures) == 6  # every chart once: targets, two of q1, one of q2, weights, the other one
    titles = [t for _, t in figures]
    assert titles[0] == "各项指标与目标" and "其他" == titles[-1]
    # the number is a SEQ field (Word renumbers after edits) with its result written in
    xml = document.element.xml
    assert xml.count("SEQ Table") == len(tables) and xml.count("SEQ Figure") == len(figures)


def test_title_page_header_and_footer(written):
    chinese, _ = written
    document = Document(str(chinese))
    first = "\n".join(p.text for p in document.paragraphs[:14])
    assert "调查年度：2026" in first and "报告日期：2026年11月26日" in first
    # responsible units of the survey and census targets (not of the administrative figures)
    assert "责任单位：市市场监管局；市委政法委；市政府督查室" in first
    section = document.sections[0]
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert "未加权" in header and "演示用的虚构数据" in header and "未加权" in first
    assert section.different_first_page_header_footer  # the title page has neither
    assert "PAGE" in section.footer._element.xml


def test_overview_numbers_are_the_scoreboards_formatted_numbers(written):
    chinese, english = written
    for path, lang in ((chinese, "zh"), (english, "en")):
        document = Document(str(path))
        caption = "各项指标的结果与判定" if lang == "zh" else "Every target: result and verdict"
        rows = _rows(_table_after(document, caption))
        board = _report(path.parent.parent, lang=lang).scoreboard
        assert len(rows) == len(board)
        result, verdict = ("结果", "判定") if lang == "zh" else ("Result", "Verdict")
        for row, (_, target) in zip(rows, board.iterrows()):
            unit = target[f"unit_{lang}"]
            assert row[result] == value_text(target["estimate"], target["kind"], unit, lang)
            words = target[f"verdict_{lang}"] or VERDICT_LABELS[target["verdict"]][lang]
            assert row[verdict].endswith(words)
        assert rows[0][result] == "81.5%" and rows[3][result] == ("3次" if lang == "zh" else "3 times")
    document = Document(str(chinese))
    rows = _rows(_table_after(document, "各项指标的结果与判定"))
    assert rows[0]["区间"] == "79.1%–83.7%" and rows[0]["误差（下/上）"] == "−2.4/+2.2 个百分点"
    # what the verdict depends on, and its warnings, on a full-width line under the row
    assert any("稳健性：取决于“不了解”是否计入基数；权重差异大" in t for t in _body_texts(document))


def test_the_sentence_per_indicator_states_only_the_tables_numbers(written):
    chinese, _ = written
    text = "\n".join(p.text for p in Document(str(chinese)).paragraphs)
    assert ("市场监管满意率为81.5%（95%置信区间79.1%–83.7%，样本量 1,402），点估计达到80.0%的目标，但区间下限低于目标，"
            "判定为“达标但在误差范围内”；按本指标的判定规则（下限达到目标）计为未达标。稳健性：取决于“不了解”是否计入基数。"
            "提示：权重差异大。") in text
    assert "建议办理满意率为98.3%（未回收意见表界限89.1%–98.4%，样本量 348）" in text
    board = _report(chinese.parent.parent).scoreboard
    for _, row in board.iterrows():
        sentence = indicator_sentence(row, "zh", 0.95)
        allowed = {format_value(row[c], "share") for c in ("estimate", "ci_low", "ci_high", "threshold")
                   if row["kind"] == "rate"} | {format_value(row["respondents"], "count"), "95%"}
        numbers = set(re.findall(r"\d[\d,.]*%?", sentence))
        assert numbers <= allowed | {str(int(row["estimate"])), str(int(row["threshold"]))} if row["kind"] == "count" \
            else numbers <= allowed, (sentence, numbers - allowed)


@pytest.mark.parametrize("verdict, clause", [
    ("met", "区间下限达到80.0%的目标"), ("met_within_margin", "点估计达到80.0%的目标，但区间下限低于目标"),
    ("not_met_within_margin", "点估计低于80.0%的目标，但区间上限达到目标"), ("not_met", "区间上限低于80.0%的目标"),
    ("not_judged", "样本不足以对80.0%的目标作出判定")])
def test_each_verdict_is_worded_by_its_definition(tmp_path, verdict, clause):
    row = _report(tmp_path).scoreboard.iloc[0].copy()
    row["verdict"], row["verdict_zh"] = verdict, ""
    sentence = indicator_sentence(row, "zh", 0.95)
    assert clause in sentence and f"判定为“{VERDICT_LABELS[verdict]['zh']}”" in sentence


def test_items_and_groups_on_the_verdict_base_with_flagged_rows_marked(written):
    chinese, _ = written
    document = Document(str(chinese))
    items = _rows(_table_after(document, "市场监管满意率、平安建设满意率 · 各项测量结果"))
    assert [row["指标"] for row in items] == ["市场监管满意率（含基本满意）", "平安建设满意率", "满意度指数"]
    assert "50.0%" not in {row["结果"] for row in items}  # the other base (0.5) is not the verdict's
    assert "%" not in items[2]["结果"]  # an index is on 0–100
    groups = _rows(_table_after(document, "市场监管满意率（含基本满意） · 分组结果"))
    assert [row["分组"] for row in groups] == ["东城区", "※西城区", "纸质问卷"]
    assert [row["分组变量"] for row in groups] == ["区县", "", "调查方式"]
    assert groups[1]["可靠性"] == "不可靠（仅供参考）"
    assert any(t.startswith("※ 西城区：有效样本量（Kish）小于30") for t in _body_texts(document))
    census = _rows(_table_after(document, "建议办理满意率 · 分组结果"))
    assert "未回收意见表界限" in census[0] and "有效样本量" not in census[0]


def test_tables_fit_a4_portrait_and_repeat_their_header(written):
    for path in written:
        document = Document(str(path))
        section = document.sections[0]
        assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
        text_width = section.page_width - section.left_margin - section.right_margin
        assert abs(text_width - Mm(PAGE.text_width)) < Mm(0.1)
        for table in document.tables:
            widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
            assert sum(widths) * 635 <= text_width + Mm(_TOLERANCE_MM)  # twips → EMU
            assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
            first = table.rows[0]._tr.trPr
            assert first is not None and first.find(qn("w:tblHeader")) is not None
        text_height = section.page_height - section.top_margin - section.bottom_margin
        for shape in document.inline_shapes:
            assert shape.width <= text_width + Mm(_TOLERANCE_MM) and shape.height <= text_height


def test_the_tall_chart_is_scaled_to_the_page(written):
    chinese, _ = written
    document = Document(str(chinese))
    heights = sorted(shape.height for shape in document.inline_shapes)
    assert heights[-1] < Mm(PAGE.text_height) and heights[-1] > Mm(150)  # 30 inches tall, fitted to the page
    widths = {round(shape.width / Mm(1)) for shape in document.inline_shapes}
    assert max(widths) <= PAGE.text_width


def test_chinese_fonts_on_the_styles(written):
    chinese, _ = written
    document = Document(str(chinese))

    def east_asia(style: str) -> str:
        return document.styles[style].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asia("Normal") == "仿宋" and east_asia("Body Text") == "仿宋"
    assert east_asia("Heading 1") == "黑体" and east_asia("Heading 2") == "楷体" and east_asia("Caption") == "黑体"
    assert document.styles["Normal"].font.size.pt == 16
    fonts = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob
    assert "FangSong".encode() in fonts and "SimHei".encode() in fonts  # the fallback names


def test_english_report_has_no_chinese_furniture(written):
    _, english = written
    document = Document(str(english))
    furniture = [p.text for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2", "Heading 3",
                                                                         "Caption")]
    furniture += [cell.text for table in document.tables for cell in table.rows[0].cells]
    data = {"问卷一", "男", "女"}  # names given only in Chinese are data, not furniture
    for text in furniture:
        for name in data:
            text = text.replace(name, "")
        assert not re.search(r"[\u4e00-\u9fff]", text), text
    text = _all_text(document)
    assert "Market supervision satisfaction is 81.5% (95% confidence interval 79.1%–83.7%; 1,402 respondents)" in text


def test_no_english_codes_in_the_chinese_synthetic_report(written):
    chinese, _ = written
    text = _all_text(Document(str(chinese)))
    assert "weights exploded" not in text and "权重离散过大" in text
    assert not re.search(r"\b(ci_lower_bound|met_within_margin|exclude_dont_know|ingested|labels)\b", text)


# The order ECMA-376 fixes for the children of the properties elements the writer touches (Word offers to repair a
# file that breaks it; LibreOffice and python-docx do not mind, so they cannot catch it).
_ORDER = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
           "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
           "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
           "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
           "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl "
           "cs em lang eastAsianLayout specVanish oMath",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
             "tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark",
}


def test_properties_are_in_the_order_word_requires(written):
    for path in written:
        document = Document(str(path))
        section = document.sections[0]
        for root in (document.element, document.styles.element, section.header._element, section.footer._element):
            for parent, order in _ORDER.items():
                names = order.split()
                for element in root.iter(qn(f"w:{parent}")):
                    positions = [names.index(child.tag.split("}")[1]) for child in element
                                 if child.tag.split("}")[1] in names]
                    assert positions == sorted(positions), (parent, [c.tag.split("}")[1] for c in element])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_report_with_one_figure_and_nothing_else(tmp_path, lang):
    board = pd.DataFrame([dict(target_id="T", label_zh="讲座", label_en="Lectures", source_kind="administrative",
                               kind="count", estimate=3, ci_low=math.nan, ci_high=math.nan, threshold=2,
                               rule="ci_lower_bound", verdict="met")])
    report = ReportInput(title_zh="", scoreboard=board, method=ReportMethod(ci_method="logit", level=0.95), lang=lang)
    document = Document(str(write_docx(report, tmp_path / "report.docx")))
    assert len(_headings(document, 1)) == 6 and not document.inline_shapes  # no indicator part, no charts
    titles = [p.text for p in document.paragraphs if p.style.name in ("Title", "Subtitle")]
    assert titles == ["满意度调查验收报告" if lang == "zh" else "Satisfaction survey acceptance report"]
    rows = _rows(_table_after(document, "各项指标的结果与判定" if lang == "zh" else "Every target: result and verdict"))
    assert [r["结果" if lang == "zh" else "Result"] for r in rows] == ["3"]


def test_bad_arguments_raise_report_errors(tmp_path):
    with pytest.raises(ReportError, match="needs a ReportInput"):
        write_docx("report", tmp_path / "report.docx")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    with pytest.raises(ReportError, match="cannot write the Word report"):
        write_docx(_report(tmp_path), blocked / "report.docx")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_it_to_pdf(written, tmp_path):
    chinese, _ = written
    completed = subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(chinese)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    pdf = tmp_path / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


# ------------------------------------------------------------------------------------------ widths

def test_widths_fill_the_type_width_and_keep_numbers_whole():
    headers = ["指标", "结果", "区间"]
    rows = [["市场监管满意率（含基本满意）", "81.5%", "79.1%–83.7%"], ["维稳满意率", "91.1%", "89.5%–92.5%"]]
    widths = column_widths(headers, rows, 60.0)
    assert sum(widths) == pytest.approx(60.0)
    assert widths[2] >= text_width("79.1%–83.7%") and widths[1] >= text_width("81.5%")
    # not enough room: every column shrinks in proportion, and the sum still fits
    assert sum(column_widths(headers, rows, 10.0)) == pytest.approx(10.0)


def test_widths_count_the_quarter_em_between_chinese_and_latin():
    # Word and LibreOffice space "70" from "岁": a column exactly as wide as the characters wraps "70岁及以上"
    assert text_width("70岁及以上") == 10.0
    assert table_height(["组"], [["70岁及以上"]], [], [10.0]) == 1 + 2
    assert table_height(["组"], [["70岁及以上"]], [], [10.5]) == 1 + 1
    assert table_height(["组"], [["70 岁及以上"]], [], [10.6]) == 1 + 1  # a real space, not two
    assert table_height(["组"], [["（0–100）"]], [], [text_width("（0–100）")]) == 1 + 1  # none beside punctuation


def test_widths_prefer_two_lines_everywhere_to_one_here_and_three_there():
    hashes = [["问卷导出文件", f"very_long_file_name_{i}.xlsx", "ab" * 32] for i in range(5)]
    headers = ["用途", "文件", "SHA-256"]
    widths = column_widths(headers, hashes, 100.0, code=[False, True, True], code_scale=0.8)
    assert table_height(headers, hashes, [], widths, code=[False, True, True], code_scale=0.8) <= 2 + 5 * 2


# ------------------------------------------------------------------------------------------ the demo

@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    """`surveys demo` at a small sample scale, with charts and report (the one slow run of this file)."""
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--sample-scale", SCALE]) == 0
    return out / "results"


def _demo_codes() -> set[str]:
    """Codes a reader of the Chinese report must never see: reason codes, file roles, populations, verdicts,
    rules, bases, questionnaire and measure ids of the demo study."""
    codes = set(REASON_LABELS) | {"ingested", "labels", "second_keying", "census_register", "census_forms",
                                  "residents", "market_entities", "met_within_margin", "not_met_within_margin",
                                  "not_judged", "ci_lower_bound", "point_estimate", "exclude_dont_know",
                                  "overall_rate"}
    codes |= {path.stem for path in (REPOSITORY / "questionnaires").glob("*.yaml")}
    return codes


def test_demo_writes_the_word_report_with_every_chart_and_the_scoreboards_numbers(demo_results):
    path = demo_results / "report.docx"
    document = Document(str(path))
    assert _headings(document, 1)[:4] == ["一、调查概况", "二、主要结论", "三、分项结果", "四、方法说明"]
    pngs = list((demo_results / "charts").glob("*.png"))
    assert len(document.inline_shapes) == len(pngs) >= 10
    tables, figures = _captions(document, "表"), _captions(document, "图")
    assert [n for n, _ in tables] == list(range(1, len(document.tables) + 1))
    assert [n for n, _ in figures] == list(range(1, len(pngs) + 1))
    board = json.loads((demo_results / "scoreboard.json").read_text(encoding="utf-8"))["targets"]
    rows = _rows(_table_after(document, "各项指标的结果与判定"))
    assert len(rows) == len(board)
    for row, target in zip(rows, board):
        share = target["source_kind"] != "administrative" or target["denominator"] is not None
        expected = value_text(target["value"], "rate" if share else "value", "" if share else target["unit_zh"], "zh")
        assert row["结果"] == expected, target["target_id"]
        assert row["判定"].endswith(target["verdict_zh"])
        if target["interval_kind"] == "confidence_interval":
            low, high = (format_value(target[c], "share") for c in ("ci_low", "ci_high"))
            assert row["区间"] == f"{low}–{high}"
    # the indicators' sentences carry the same figures
    text = "\n".join(p.text for p in document.paragraphs)
    for target in board:
        if target["source_kind"] == "survey":
            assert f"{target['short_zh']}为{format_value(target['value'], 'share')}" in text


def _part_text(document, heading: str) -> str:
    """The text of the part under the first-level heading ``heading`` (paragraphs and tables, in order)."""
    texts, inside = [], False
    for child in document.element.body:
        words = "".join(t.text or "" for t in child.iter(qn("w:t")))
        if child.tag == qn("w:p") and child.pPr is not None and child.pPr.pStyle is not None \
                and child.pPr.pStyle.val == "Heading1":
            inside = words == heading
            continue
        if inside:
            texts.append(words)
    return "\n".join(texts)


# names of methods and people a Chinese report writes as they are
_NAMES = {"Kish", "logit", "GDP", "Korn", "Graubard", "Holm", "Rao", "Scott", "Cronbach", "Logistic", "Wald", "KR"}


def test_demo_chinese_findings_and_indicators_have_no_english(demo_results):
    document = Document(str(demo_results / "report.docx"))
    for part in ("二、主要结论", "三、分项结果"):
        text = _part_text(document, part)
        assert len(text) > 1000, part
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - _NAMES
        assert not words, (part, sorted(words))


def test_demo_chinese_word_report_has_no_english_codes(demo_results):
    text = _all_text(Document(str(demo_results / "report.docx")))
    text = re.sub(r"[\w.-]+\.(xlsx|xls|csv|yaml|sav|txt|json)\b", " ", text)  # file names are the user's own
    text = re.sub(r"\b[0-9a-f]{64}\b", " ", text)  # hashes
    found = {code for code in _demo_codes() if re.search(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text)}
    assert not found, sorted(found)
    assert "weights exploded" not in text
    snake = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text))
    assert not snake, sorted(snake)


def _words(element) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _style_id(element) -> str:
    properties = element.pPr if element.tag == qn("w:p") else None
    return properties.pStyle.val if properties is not None and properties.pStyle is not None else ""


def _under_heading(document, pattern: str) -> tuple[list[str], list]:
    """The headings above the third-level heading matching ``pattern`` (its chapter and its indicator), and the body
    elements under it up to the next heading."""
    above, found, children = ["", ""], False, []
    for child in document.element.body:
        style = _style_id(child)
        if style in ("Heading1", "Heading2", "Heading3"):
            if found:
                break
            if style != "Heading3":
                above[int(style[-1]) - 1] = _words(child)
            found = style == "Heading3" and re.fullmatch(pattern, _words(child)) is not None
            continue
        if found:
            children.append(child)
    assert found, pattern
    return above, children


def _pieces(children) -> list[tuple[str, str]]:
    """The part as (kind, text): ``table`` (with its caption), ``figure`` (with its caption) and ``note``."""
    pieces, caption = [], ""
    for child in children:
        if child.tag == qn("w:tbl"):
            pieces.append(("table", caption))
        elif child.find(".//" + qn("w:drawing")) is not None:
            pieces.append(("figure", ""))
        elif _style_id(child) == "Caption":
            caption = re.sub(r"^[表图]\s?\d+\s+", "", _words(child))
            if pieces and pieces[-1] == ("figure", ""):
                pieces[-1] = ("figure", caption)
        elif _style_id(child) == "TableNote":
            pieces.append(("note", _words(child)))
    return pieces


def _muted(table) -> list[bool]:
    """Whether each body row of ``table`` is printed grey (every run with text in the muted colour)."""
    flags = []
    for row in table.rows[1:]:
        runs = [run for cell in row.cells for paragraph in cell.paragraphs for run in paragraph.runs if run.text.strip()]
        flags.append(all(run.font.color.rgb == RGBColor(0x6B, 0x72, 0x80) for run in runs))
    return flags


def test_demo_word_report_says_what_to_improve_for_every_survey_target(demo_results):
    document = Document(str(demo_results / "report.docx"))
    board = json.loads((demo_results / "scoreboard.json").read_text(encoding="utf-8"))["targets"]
    groups = pd.read_csv(demo_results / "group_comparisons.csv", encoding="utf-8-sig", dtype={"value": str})
    drivers = pd.read_csv(demo_results / "drivers.csv", encoding="utf-8-sig")
    surveyed = [target for target in board if target["source_kind"] == "survey"]
    assert len(surveyed) == 5 and set(groups["target_id"]) == {target["target_id"] for target in surveyed}
    tables = [label(key, "zh") for key in ("analysis_groups", "analysis_drivers", "analysis_reliability",
                                           "analysis_reliability_items")]
    for target in surveyed:
        short, target_id = target["short_zh"], target["target_id"]
        # in the results chapter, the last part of the indicator that holds the target
        (chapter, indicator), children = _under_heading(document, rf"\d+．改进分析：{re.escape(short)}")
        assert chapter == "三、分项结果" and short in indicator, (chapter, indicator)
        pieces = _pieces(children)
        assert [text for kind, text in pieces if kind == "table"] == [f"{short} · {title}" for title in tables]
        # the quadrant chart right after the drivers table, before the table's notes, with its numbered caption
        after = pieces.index(("table", f"{short} · {tables[1]}")) + 1
        assert pieces[after][0] == "figure" and pieces[after][1].startswith(label("chart_drivers", "zh"))
        assert pieces[after + 1][0] == "note"
        # each grouping variable's finding in words, after the group table
        own = groups[groups["target_id"] == target_id]
        notes = [text for kind, text in pieces[:after] if kind == "note"]
        for variable in dict.fromkeys(own["variable_label_zh"]):
            assert any(note.startswith(f"按{variable}分组，{short}") for note in notes), variable
        # the numbers are the analysis's numbers; groups too small to publish are printed grey
        word_tables = {caption: _table_after(document, caption) for caption in (f"{short} · {tables[0]}",
                                                                               f"{short} · {tables[1]}")}
        rows = _rows(word_tables[f"{short} · {tables[1]}"])
        items = drivers[drivers["target_id"] == target_id]
        assert [row["分项"] for row in rows] == list(items["label_zh"])
        assert [row["满意率（表现）"] for row in rows] == [format_value(v, "share") for v in items["performance"]]
        assert [row["四分图区域"] for row in rows] == list(items["quadrant_zh"])
        assert _muted(word_tables[f"{short} · {tables[0]}"]) == list(own["reliability"] == "suppress")
        # Chinese words only, but for the names of methods
        text = "\n".join(_words(child) for child in children)
        assert not set(re.findall(r"[A-Za-z]{2,}", text)) - _NAMES
        assert not re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)
    # how they were made, in the method chapter (the caption, not the heading of the same words)
    method = _rows(_table_after(document, "　" + label("method_analyses", "zh")))
    assert [row["项目"] for row in method] == [label(key, "zh") for key in (
        "method_analysis_groups", "method_analysis_drivers", "method_analysis_reliability")]
    assert label("method_analysis_drivers", "zh") in _part_text(document, "四、方法说明")
