"""The HTML report: one self-contained file with no external request, escaped text, verdicts in words and
colours, printable on A4; rendered with headless Chromium when it is installed."""
from __future__ import annotations

import html.parser
import pathlib
import re
import subprocess

import pandas as pd
import pytest
from matplotlib.figure import Figure

from surveys.indicators.targets import JUDGED_VERDICTS, VERDICT_LABELS, VERDICTS
from surveys.report import ReportInput, ReportMethod, render_html, write_html

CHROMIUM = pathlib.Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script><img src="http://example.invalid/a.png">'
_URL_IN_CSS = re.compile(r"url\(|@import", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*(https?:|//|ftp:|file:)", re.IGNORECASE)


def _report(*, lang: str = "zh", charts: dict | None = None, label_zh: str = "市场监管工作群众满意率") -> ReportInput:
    scoreboard = pd.DataFrame([
        dict(target_id=f"T{i}", label_zh=label_zh if i == 1 else f"指标{i}", label_en=f"Indicator {i}",
             responsible_unit_zh="市市场监督管理局", estimate=e, ci_low=e - 0.03, ci_high=e + 0.03,
             margin_of_error=0.03, threshold=0.8, rule="ci_lower_bound", verdict=v, respondents=500 + i,
             positive_set_zh="非常满意、满意、基本满意", base_label_zh="全部有效回答", ci_method="logit", level=0.95,
             df=500 + i, measure_id="m1")
        for i, (v, e) in enumerate(zip(VERDICTS, (0.86, 0.81, 0.79, 0.70)), start=1)])
    measures = pd.DataFrame([
        dict(measure_id="m1", label_zh=label_zh, domain_variable=var, domain_value=val, domain_label_zh=name,
             estimate=0.82, ci_low=0.78, ci_high=0.86, respondents=300, effective_sample_size=250.0,
             reliability=status)
        for var, val, name, status in (("", "", "", "ok"), ("district", "d1", "东城区", "ok"),
                                       ("district", "d2", "西城区", "suppress"))])
    reasons = pd.DataFrame([dict(code="free_text", outcome="flagged", count=1, message=HOSTILE)])
    accounting = pd.DataFrame([dict(path="exports/wjx_2026.xlsx", sha256="ab" * 32, rows_read=10, accepted=9,
                                    rejected=1)])
    method = ReportMethod(ci_method="logit", level=0.95, weighting_method="rake", run_time="2026-11-26T10:00:00",
                          wave="2026", files=pd.DataFrame([dict(role="margins", path="margins.csv", sha256="cd" * 32)]))
    return ReportInput(title_zh="2026年度满意度调查", title_en="2026 survey", scoreboard=scoreboard, measures=measures,
                       accounting=accounting, reasons=reasons, method=method, charts=charts or {}, lang=lang)


class _Resources(html.parser.HTMLParser):
    """Collects every tag, every URL-bearing attribute and every style text of a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.html_lang = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        for name in ("src", "href", "srcset", "poster", "data", "action", "background"):
            if attributes.get(name) is not None:
                self.urls.append(attributes[name])
        if attributes.get("style"):
            self.styles.append(attributes["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parse(document: str) -> _Resources:
    parser = _Resources()
    parser.feed(document)
    parser.close()
    return parser


def _chart(tmp_path: pathlib.Path, name: str, suffix: str) -> pathlib.Path:
    figure = Figure(figsize=(5, 2.5))
    figure.subplots().plot([0, 1, 2], [0.7, 0.8, 0.85])
    path = tmp_path / f"{name}.{suffix}"
    figure.savefig(path, dpi=200)
    return path


def test_the_report_makes_no_external_request(tmp_path):
    charts = {"target_chart": _chart(tmp_path, "target_chart", "png"), "likert": _chart(tmp_path, "likert", "svg")}
    document = write_html(_report(charts=charts), tmp_path / "report.html").read_text(encoding="utf-8")
    parsed = _parse(document)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "iframe" not in parsed.tags
    external = [url for url in parsed.urls if _EXTERNAL.match(url)]
    assert external == []
    images = [url for url in parsed.urls if url.startswith("data:")]
    assert len(images) == 2 and {u.split(";")[0] for u in images} == {"data:image/png", "data:image/svg+xml"}
    assert all(url.startswith(("data:", "#")) for url in parsed.urls)
    assert not any(_URL_IN_CSS.search(style) for style in parsed.styles)
    assert "@font-face" not in document
    assert "@page { size: A4" in document and "break-before: page" in document


def test_every_text_is_escaped(tmp_path):
    document = render_html(_report(label_zh=HOSTILE))
    parsed = _parse(document)
    assert "script" not in parsed.tags
    assert not any(_EXTERNAL.match(url) for url in parsed.urls)
    assert html.escape(HOSTILE, quote=True) in document


def test_scoreboard_shows_verdicts_in_words_and_colours(tmp_path):
    document = render_html(_report())
    for verdict in JUDGED_VERDICTS:
        badge = re.search(rf'<span class="verdict v-{verdict}">.*?</span>(.*?)</span>', document)
        assert badge is not None, verdict
        assert badge.group(1) == VERDICT_LABELS[verdict]["zh"]  # the words, not only the colour
        assert f".verdict.v-{verdict} {{ background:" in document
    assert "86.0%" in document and "83.0% – 89.0%" in document  # shares printed as percentages
    assert "±3.0 个百分点" in document


def test_sections_language_and_methodology(tmp_path):
    chinese = _parse(render_html(_report()))
    assert chinese.html_lang == "zh-CN"
    document = render_html(_report())
    for heading in ("总览", "市场监管工作群众满意率", "方法", "数据质量", "权重"):
        assert f"<h2>{heading}</h2>" in document
    for method in ("非常满意、满意、基本满意", "全部有效回答", "logit", "95%", "ab" * 32, "cd" * 32, "0.1.0"):
        assert method in document
    assert '<tr class="muted">' in document  # the unreliable domain is marked
    english = render_html(_report(lang="en"))
    assert _parse(english).html_lang == "en"
    assert "<h2>Overview</h2>" in english and VERDICT_LABELS["not_met"]["en"] in english
    assert "<title>2026 survey</title>" in english


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed at /usr/bin/chromium")
def test_renders_in_headless_chromium(tmp_path):
    charts = {"target_chart": _chart(tmp_path, "target_chart", "png")}
    page = write_html(_report(charts=charts), tmp_path / "report.html")
    screenshot = tmp_path / "report.png"
    completed = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")[-2000:]
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.size == (1200, 1600)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text and a chart were drawn, not a blank page


def test_demo_data_exact_figures_and_other_bases():
    report = _report()
    scoreboard = report.scoreboard.assign(demo_data=True)
    scoreboard.loc[3, ["source_kind", "interval_kind", "estimate", "threshold", "verdict", "verdict_zh"]] = \
        ["administrative", "exact", 12.0, 10.0, "met", "达标"]
    scoreboard.loc[3, ["ci_low", "ci_high", "kind"]] = [float("nan"), float("nan"), "value"]
    measures = pd.concat([report.measures, report.measures.iloc[:1].assign(
        base="exclude_dont_know", used_for_verdict=False, estimate=0.9512)], ignore_index=True)
    document = render_html(ReportInput(title_zh="x", scoreboard=scoreboard, measures=measures,
                                       method=report.method))
    assert '<p class="demo">' in document  # made-up data is announced at the top
    assert '<span class="symbol" aria-hidden="true">●</span>达标</span>' in document
    assert "精确值" in document and ">12<" in document  # an exact count, not 1200.0%
    assert "95.1%" not in document  # the base the verdict does not use is left to the workbook
    assert "网页版只列判定所用基数的结果" in document


def test_a_signed_difference_that_rounds_to_zero_reads_zero_not_minus_zero():
    from surveys.report.text import format_value

    assert format_value(-0.0004, "points_signed") == "0.0 个百分点"
    assert format_value(0.0004, "points_signed", "en") == "0.0 pp"
    assert format_value(-0.154, "points_signed") == "−15.4 个百分点"  # a minus sign, not a hyphen
    assert format_value(0.03, "points_signed", "en") == "+3.0 pp"


def test_screen_png_is_a_small_faithful_copy_of_the_print_chart(tmp_path):
    """The HTML's copy of a 200-dpi chart: 144 dpi at the same physical size, at most 128 colours, every pixel
    close to the resampled print chart; a chart already at screen resolution is embedded as it is."""
    import io

    import numpy as np
    from PIL import Image

    from surveys.report.figures import SCREEN_COLOURS, SCREEN_DPI, screen_png

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for offset, colour in enumerate(("#1f3b73", "#c0392b", "#7f8c8d", "#f1c40f", "#27ae60")):
        axes.barh(offset, 0.5 + offset / 10, color=colour)
        axes.text(0.1, offset, f"share {offset}", color="white")
    print_path = tmp_path / "chart.png"
    figure.savefig(print_path, dpi=200, facecolor="white")
    with Image.open(io.BytesIO(screen_png(print_path))) as screen, Image.open(print_path) as printed:
        assert screen.size == (round(printed.width * 0.72), round(printed.height * 0.72))
        assert round(screen.info["dpi"][0]) == SCREEN_DPI
        assert len(screen.getcolors(maxcolors=1 << 16)) <= SCREEN_COLOURS
        resampled = np.asarray(printed.convert("RGB").resize(screen.size, Image.LANCZOS), dtype=int)
        error = np.abs(np.asarray(screen.convert("RGB"), dtype=int) - resampled).max(axis=2)
        assert error.mean() < 3 and error.max() <= 32
        assert screen.convert("RGB").getpixel((0, 0)) == (255, 255, 255)   # the page's white, not a near-white
    small = tmp_path / "small.png"
    figure.savefig(small, dpi=100)
    assert screen_png(small) == small.read_bytes()
