"""The acceptance report of a study run: `surveys demo` writes report.xlsx and report.html with the charts; the
workbook has the sheets, numeric percentage cells and no formula; the HTML makes no external request and names
every target; the scoreboard rows carry their margin of error, positive set, base, df and rule; a one-respondent
domain is kept and suppressed by the NCHS rules instead of failing the run."""
from __future__ import annotations

import html
import math
import pathlib
import re
import struct
import zlib
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from surveys import SurveyDesign, load_questionnaire
from surveys.cli import main
from surveys.indicators.measures import measure_table
from surveys.indicators.targets import check_target
from surveys.report.from_study import report_input_from_study
from surveys.study.pipeline import run_study
from surveys.study.spec import load_study

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEMO_SPEC = REPOSITORY / "analysis" / "demo" / "study.yaml"
QUESTIONNAIRES = REPOSITORY / "questionnaires"
SCALE = "0.15"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`surveys demo` at a small sample scale, with charts and report (the one slow run of this file)."""
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--sample-scale", SCALE, "--svg"]) == 0
    return out, out / "results"


@pytest.fixture(scope="module")
def result(demo_run):
    out, _ = demo_run
    return run_study(load_study(DEMO_SPEC, data_dir=out))


# ------------------------------------------------------------------------------------------ workbook

def test_workbook_has_the_sheets_numbers_as_numbers_and_no_formula(demo_run, result):
    _, results = demo_run
    workbook = load_workbook(results / "report.xlsx")
    names = workbook.sheetnames
    assert names[0] == "总览"
    assert {"指标明细", "稳健性", "方法", "数据质量", "权重", "图表"} <= set(names)
    assert names[1:3] == ["指标明细", "稳健性"]  # every column of every target, then what each verdict depends on
    indicators = [n for n in names if n not in {"总览", "指标明细", "稳健性", "方法", "数据质量", "权重", "图表"}
                  and not n.startswith("改进·")]
    assert len(indicators) == len(set(result.measures_frame()["questionnaire"])) + len(result.censuses)
    # each survey target's what-to-improve sheet follows its questionnaire's sheet
    analyses = [n for n in names if n.startswith("改进·")]
    assert len(analyses) == len(set(result.group_comparisons) | set(result.drivers)) > 0
    assert all(names[names.index(sheet) - 1] in indicators for sheet in analyses[:1])
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    overview = workbook["总览"]
    header_row = next(r for r in range(1, 10) if overview.cell(r, 1).value == "序号")
    headers = {overview.cell(header_row, c).value: c for c in range(1, overview.max_column + 1)}
    value_column = headers["结果"]
    survey = [row for row in result.scoreboard if row.source_kind == "survey"]
    shown = [overview.cell(r, value_column) for r in range(header_row + 1, header_row + 1 + len(result.scoreboard))]
    percentages = [cell for cell in shown if isinstance(cell.value, float) and "%" in cell.number_format]
    assert len(percentages) >= len(survey)
    values = sorted(round(cell.value, 6) for cell in percentages)
    for row in survey:
        assert round(row.value, 6) in values


def _printed_scale(sheet) -> float:
    """The scale at which ``sheet`` fits its printable page width: Excel's column widths in characters of the
    default font (7 pixels each plus 5 of padding at 96 dpi) against A4 landscape less the side margins."""
    from openpyxl.utils import get_column_letter

    pixels = sum((sheet.column_dimensions[get_column_letter(c)].width or 8.43) * 7 + 5
                 for c in range(1, sheet.max_column + 1))
    page_mm = 297.0 - 25.4 * (sheet.page_margins.left + sheet.page_margins.right)
    return min(1.0, page_mm / (pixels * 25.4 / 96))


def test_the_overview_prints_on_a4_landscape_at_a_readable_scale(demo_run):
    _, results = demo_run
    sheet = load_workbook(results / "report.xlsx")["总览"]
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and str(setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert _printed_scale(sheet) >= 0.70
    assert sheet.print_title_rows and "&P" in sheet.oddFooter.center.text  # header repeated, pages numbered
    headers = [cell.value for cell in sheet[3]]
    assert headers[:3] == ["序号", "指标", "责任单位"] and len(headers) <= 12
    shorts = {row.short.zh for row in run_study(load_study(DEMO_SPEC, data_dir=demo_run[0])).scoreboard}
    shown = {str(cell.value).split("（")[0] for cell in [row[1] for row in sheet.iter_rows(min_row=4)] if cell.value}
    assert shorts <= shown  # short names, the plan's sentences are footnotes and on the detail sheet


def test_html_is_compact_and_every_chart_fits_a_page(demo_run):
    _, results = demo_run
    assert (results / "report.html").stat().st_size < 3_000_000
    from PIL import Image

    for png in (results / "charts").glob("*.png"):
        with Image.open(png) as image:
            assert image.height / image.info["dpi"][1] <= 10.5, png.name  # inches: an A4 page with a caption


# ------------------------------------------------------------------------------------------ html

class _Requests(HTMLParser):
    """Every src/href/srcset value and every url()/@import in style attributes and style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data") and value:
                self.links.append(value)
            if name == "style" and value:
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_html_makes_no_external_request_and_names_every_target(demo_run, result):
    _, results = demo_run
    text = (results / "report.html").read_text(encoding="utf-8")
    parser = _Requests()
    parser.feed(text)
    assert parser.links, "the charts are inline images"
    assert not [link for link in parser.links if not link.startswith(("data:", "#"))]
    css = "\n".join(parser.styles)
    assert not re.search(r"@import", css)
    assert all(url.strip("'\" ").startswith("data:") for url in re.findall(r"url\(([^)]*)\)", css))
    assert not re.search(r"<script", text, flags=re.IGNORECASE)
    for row in result.scoreboard:
        assert row.target_id in text or row.text.zh in text, row.target_id


def _section_text(document: str, title: str) -> str:
    """The visible text of the HTML section headed ``title`` (tags dropped)."""
    match = re.search(rf'<section[^>]*>\s*<h2>{re.escape(title)}</h2>(.*?)</section>', document, flags=re.S)
    assert match, title
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", match.group(1))))


# words a Chinese reader meets as names, not as English: the statistician Kish, the logit scale, and GDP as the
# plan itself writes it (全市GDP年增长率)
_NAMES = {"Kish", "logit", "GDP"}


def test_the_chinese_overview_and_robustness_sections_have_no_english(demo_run, result):
    _, results = demo_run
    document = (results / "report.html").read_text(encoding="utf-8")
    for title in ("总览", "稳健性"):
        words = set(re.findall(r"[A-Za-z]{2,}", _section_text(document, title))) - _NAMES
        assert not words, (title, sorted(words))
    robustness = _section_text(document, "稳健性")
    assert "各调查指标在不同口径下的结果" in robustness and "纸质问卷与网络问卷的差异" in robustness
    overview = _section_text(document, "总览")
    assert re.search(r"\d+ 项指标：达标 \d+ 项", overview)  # the summary line that reconciles with the rows
    for row in result.scoreboard:
        if row.robustness is not None:
            assert row.robustness.zh in overview


def _english_codes(result) -> set[str]:
    """Every code the toolkit could print instead of words: reason codes, file roles, population keys, verdict and
    rule names, the weight warning's English."""
    from surveys.indicators.targets import VERDICT_RULES, VERDICTS
    from surveys.validate import REASON_LABELS

    roles = {"ingested", "labels", "second_keying", "copy", "census_forms", "census_register"}
    populations = {entry.population for entry in result.study.margins if entry.population}
    return set(REASON_LABELS) | roles | populations | set(VERDICTS) | set(VERDICT_RULES) | {"weights exploded"}


def test_the_chinese_report_prints_no_code_where_a_word_belongs(demo_run, result):
    _, results = demo_run
    text = re.sub(r'src="data:[^"]*"', "", (results / "report.html").read_text(encoding="utf-8"))
    text = re.sub(r'<td class="code">[^<]*</td>', "", text)  # file names and hashes are names, not words
    visible = re.sub(r"<[^>]+>", " ", text.split("<body>", 1)[1])
    words = set(re.findall(r"[A-Za-z_]+(?: [a-z]+)?", visible))
    codes = _english_codes(result)
    assert codes & {w for w in words} == set(), sorted(codes & words)
    workbook = load_workbook(results / "report.xlsx", read_only=True)
    try:
        for sheet in workbook.worksheets:
            cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)
                     and not v.endswith((".csv", ".xlsx", ".yaml", ".xls"))}
            assert not cells & codes, (sheet.title, sorted(cells & codes))
            assert not any("weights exploded" in cell for cell in cells), sheet.title
    finally:
        workbook.close()


def test_each_survey_target_has_a_chinese_what_to_improve_section_with_its_quadrant_chart(demo_run, result):
    _, results = demo_run
    document = (results / "report.html").read_text(encoding="utf-8")
    # names a Chinese reader meets as names: the statisticians behind the tests and α, the Logistic model
    names = _NAMES | {"Rao", "Scott", "Wald", "Holm", "Cronbach", "Logistic", "KR"}
    for row in result.scoreboard:
        if row.target_id not in result.drivers:
            continue
        title = f"改进分析：{row.short.zh}"
        section = _section_text(document, title)
        assert not set(re.findall(r"[A-Za-z]{2,}", section)) - names, (title, sorted(set(re.findall(r"[A-Za-z]{2,}",
                                                                                             section)) - names))
        assert "哪些群体满意率偏低" in section and "先改进什么" in section and "Holm" in section
        assert "重要性–表现四分图" in section  # the chart's caption, right after the drivers table
        drivers = result.drivers[row.target_id]
        assert drivers.summary("zh") in section
        match = re.search(rf'<section[^>]*>\s*<h2>{re.escape(title)}</h2>(.*?)</section>', document, flags=re.S)
        assert match.group(1).count("<img") == 1
    method = _section_text(document, "方法")
    assert "改进分析的方法" in method and "效度" in method  # what α means and does not mean
    # a group too small to publish is never named below or above the rest, however small its p-value
    groups = [group for comparisons in result.group_comparisons.values() for comparison in comparisons
              for group in comparison.groups]
    unreliable = [group for group in groups if group.reliability == "suppress"]
    assert unreliable and not any(group.below or group.above for group in unreliable)
    assert any(group.adjusted_p_value < 0.05 for group in unreliable)  # the case the rule is for


def test_the_quadrant_charts_are_drawn_for_every_driver_analysis_and_titled_with_their_survey(demo_run, result):
    from surveys.cli.results import report_chart_titles

    _, results = demo_run
    titles = report_chart_titles(result, "zh")
    stems = [stem for stem in titles if stem.startswith("drivers_")]
    assert len(stems) == len(result.drivers) > 0
    for stem in stems:
        assert (results / "charts" / f"{stem}.png").is_file()
        questionnaire = result.study.questionnaires[stem.removeprefix("drivers_")]
        assert titles[stem].endswith(f"重要性–表现四分图 · {questionnaire.title.zh}")


# ------------------------------------------------------------------------------------------ charts

def _png_dpi(path: pathlib.Path) -> float:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position = 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"pHYs":
            per_metre, _, unit = struct.unpack(">IIB", data[position + 8:position + 17])
            return per_metre * 0.0254 if unit == 1 else math.nan
        position += 12 + length
    return math.nan


def test_every_chart_is_a_print_quality_png_and_an_svg(demo_run):
    _, results = demo_run
    pngs = sorted((results / "charts").glob("*.png"))
    svgs = {path.stem for path in (results / "charts").glob("*.svg")}
    assert len(pngs) >= 10 and {p.stem for p in pngs} == svgs
    for png in pngs:
        assert _png_dpi(png) >= 199.5, png.name
        assert zlib.crc32(png.read_bytes()) and png.stat().st_size > 1000


# ------------------------------------------------------------------------------------------ traceability

def test_scoreboard_rows_carry_the_margin_of_error_positive_set_base_and_df(result):
    report = report_input_from_study(result, lang="zh", run_time="2026-11-26T12:00:00+00:00")
    board = report.scoreboard.set_index("target_id")
    for row in result.scoreboard:
        shown = board.loc[row.target_id]
        if row.source_kind == "survey" and row.check is not None:
            estimate = result.measures[row.source.split("/")[0]].estimate(row.source.split("/")[1])
            again = check_target(estimate, row.threshold, rule=row.rule, comparison=row.comparison)
            assert shown["margin_of_error"] == pytest.approx(again.margin_of_error)
            assert shown["df"] == pytest.approx(again.df) and shown["level"] == pytest.approx(again.level)
            assert shown["positive_set_zh"] and shown["base_label_zh"] and shown["ci_method"] == again.ci_method
        elif row.source_kind == "census" and row.check is not None:
            assert math.isnan(shown["margin_of_error"]) and shown["positive_set_zh"] and shown["base_label_zh"]
    assert report.method.run_time == "2026-11-26T12:00:00+00:00" and report.method.toolkit_version
    sources = report.method.margin_sources
    assert len(sources) and sources["source"].str.contains("2025-12-31").any()
    assert all(len(digest) == 64 for digest in sources["sha256"])
    copies = report.accounting[report.accounting["role"] == "copy"]
    assert len(copies) and copies["note"].str.contains("不重复导入").all()  # the file notes in the report's language
    roles = set(report.method.files["role"])
    assert {"study", "targets", "questionnaire", "margins"} <= roles
    assert all(len(digest) == 64 for digest in report.method.files["sha256"])


def test_margin_categories_are_shown_by_label_and_english_is_english(result):
    english = report_input_from_study(result, lang="en")
    district = english.margins[english.margins["variable"].str.startswith("District")]
    questionnaire = result.study.questionnaires["social_stability"]
    labels = {c.label.en for w in questionnaire.weighting if w.id == "district" for c in w.categories}
    assert len(district) and set(district["category"]) - {"(not answered)", "(other populations)"} <= labels
    assert english.lang == "en" and english.title == result.study.title.en
    for note in english.scoreboard["note"]:
        assert not re.search(r"[\u4e00-\u9fff]", note), note
    # an English count has no unit rather than a Chinese one: the overview reads "1", not "1 次"
    from surveys.report.views import report_sections

    overview = next(section for section in report_sections(english) if section.key == "overview")
    units = {cell.unit for table in overview.tables for row in table.rows for cell in row}
    assert units <= {"", "%"}, units


# ------------------------------------------------------------------------------------------ small domains

def test_a_one_respondent_domain_is_kept_and_suppressed():
    questionnaire = load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")
    rng = np.random.default_rng(5)
    rows = 300
    data = {}
    for item in questionnaire.items:
        item_scale = questionnaire.scale_of(item.id)
        if item.type == "single" and item_scale is not None and not item.asked_if:
            data[item.id] = rng.choice(np.asarray(item_scale.codes, dtype=float), size=rows)
    frame = pd.DataFrame(data)
    frame["district"] = rng.choice([1.0, 2.0, 3.0], size=rows)
    frame.loc[0, "district"] = 4.0  # a district with a single respondent: no degrees of freedom
    frame["weight"] = rng.uniform(1.0, 3.0, size=rows)
    headline = [questionnaire.headline.id]
    table = measure_table(SurveyDesign(frame, weights="weight"), questionnaire, domains=["district"], measures=headline)
    lonely = [row for row in table.rows if row.domain_variable == "district" and row.domain_value == 4]
    assert lonely, "the small domain is kept"
    for row in lonely:
        assert row.reliability.status == "suppress"
        assert row.estimate.respondents == 1 and math.isnan(row.estimate.ci_low)
        assert row.reliability.reasons
    others = table.find(questionnaire.headline.id, domain_variable="district", domain_value=1)
    alone = measure_table(SurveyDesign(frame.assign(district=frame["district"].where(frame["district"] != 4)),
                                       weights="weight"), questionnaire, domains=["district"], measures=headline)
    same = alone.find(questionnaire.headline.id, domain_variable="district", domain_value=1)
    assert others.estimate.ci_low == pytest.approx(same.estimate.ci_low)  # the other domains are unchanged
