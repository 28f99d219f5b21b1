"""Charts: every chart renders in Chinese and English with warnings as errors (a missing glyph fails),
print-quality PNG and SVG, the font covers every label, existing axes are used, global state is untouched,
and the tables of the library's own modules (targets, measures, census, waves, weighting) draw as they are."""
from __future__ import annotations

import io
import json
import pathlib
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ElementTree

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from surveys import SurveyDesign, charts, load_questionnaire, rake
from surveys.charts import fonts, style
from surveys.charts import text as chart_text
from surveys.errors import ChartError, ChartFontError
from surveys.indicators.targets import (
    JUDGED_VERDICTS,
    VERDICT_LABELS,
    VERDICTS,
    check_targets,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUESTIONNAIRES = ROOT / "questionnaires"
DISTRICTS = (("中心区", "Zhongxin District"), ("东城区", "Dongcheng District"), ("西城区", "Xicheng District"),
             ("南湖区", "Nanhu District"), ("高新区", "Gaoxin District"), ("青山县", "Qingshan County"))
INDICATORS = (("市场监管满意率（含基本满意）", "Market supervision (incl. basically satisfied)"),
              ("社会治安满意率", "Public security"), ("基层群众自治满意率", "Grassroots self-government"),
              ("人大代表建议办理满意率", "Handling of deputies' proposals"))
LANGS = ("zh", "en")


# --- synthetic tidy inputs (seeded) ------------------------------------------------------------------------

def target_rows(lang: str, threshold: float = 0.8, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = {"met": threshold + 0.08, "met_within_margin": threshold + 0.015,
              "not_met_within_margin": threshold - 0.015, "not_met": threshold - 0.08}
    rows = []
    for (zh, en), verdict in zip(INDICATORS, VERDICTS):
        moe = float(rng.uniform(0.025, 0.045))
        estimate = centre[verdict]
        rows.append({"label": zh if lang == "zh" else en, "estimate": estimate, "ci_low": estimate - moe,
                     "ci_high": estimate + moe, "verdict": verdict, "threshold": threshold, "margin_of_error": moe,
                     "respondents": int(rng.integers(300, 700)), "level": 0.95})
    return pd.DataFrame(rows)


def likert_rows(lang: str, seed: int = 3) -> pd.DataFrame:
    market = load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")
    categories = charts.category_sides(market.scales["satisfaction5"], lang=lang)
    rng = np.random.default_rng(seed)
    rows = []
    for zh, en in INDICATORS[:3]:
        shares = rng.dirichlet(np.full(len(categories), 2.0))
        for (_, category), share in zip(categories.iterrows(), shares):
            rows.append({"item": zh if lang == "zh" else en, "category": category["category"], "side": category["side"],
                         "category_order": category["category_order"], "share": share, "respondents": 500})
    return pd.DataFrame(rows)


def district_rows(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for index, (zh, en) in enumerate(DISTRICTS):
        respondents = (420, 380, 300, 260, 24, 90)[index]
        estimate = float(rng.uniform(0.74, 0.9))
        moe = 2.4 * np.sqrt(estimate * (1 - estimate) / respondents)
        status = "suppress" if respondents < 30 else ("review" if respondents < 100 else "ok")
        rows.append({"measure_id": "overall_rate", "label_zh": "市场监管满意率", "label_en": "Market supervision",
                     "used_for_verdict": True, "domain_variable": "district", "domain_value": index + 1,
                     "domain_label_zh": zh, "domain_label_en": en, "estimate": estimate,
                     "ci_low": max(estimate - moe, 0.0), "ci_high": min(estimate + moe, 1.0), "level": 0.95,
                     "respondents": respondents, "reliability": status,
                     "reliability_reasons_zh": {"suppress": "有效样本量小于30", "review": "设计自由度小于8，需复核"}
                     .get(status, ""),
                     "reliability_reasons_en": {"suppress": "effective sample size below 30",
                                                "review": "fewer than 8 design degrees of freedom: review"}
                     .get(status, "")})
    return pd.DataFrame(rows)


def mode_rows(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for zh, en in INDICATORS[:3]:
        for mode, mode_zh, mode_en in (("paper", "纸质问卷", "Paper"), ("online", "网络问卷", "Online")):
            estimate = float(rng.uniform(0.75, 0.9))
            rows.append({"measure_id": en, "label_zh": zh, "label_en": en, "used_for_verdict": True,
                         "domain_variable": "mode", "domain_value": mode, "domain_label_zh": mode_zh,
                         "domain_label_en": mode_en, "estimate": estimate, "ci_low": estimate - 0.035,
                         "ci_high": estimate + 0.035, "level": 0.95})
    return pd.DataFrame(rows)


def weighting_rows(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for zh, en in INDICATORS[:2]:
        for stage, moe in (("before", 0.03), ("after", 0.038)):
            estimate = float(rng.uniform(0.75, 0.9))
            rows.append({"label_zh": zh, "label_en": en, "weighting": stage, "estimate": estimate,
                         "ci_low": estimate - moe, "ci_high": estimate + moe})
    return pd.DataFrame(rows)


def margin_rows() -> pd.DataFrame:
    rows = []
    for variable, (variable_zh, variable_en), categories in (
        ("sex", ("性别", "Sex"), (("1", "男", "Male", 0.40, 0.49), ("2", "女", "Female", 0.60, 0.51))),
        ("age_group", ("年龄组", "Age group"), (("1", "18–29岁", "18–29", 0.15, 0.22), ("2", "30–59岁", "30–59", 0.55, 0.50),
                                               ("3", "60岁及以上", "60 and over", 0.30, 0.28))),
    ):
        for code, zh, en, before, target in categories:
            rows.append({"variable": variable, "category": code, "respondents": int(before * 600),
                         "target_total": target * 1e6, "total_before": before * 9e5, "total_after": target * 1e6,
                         "target_share": target, "share_before": before, "share_after": target,
                         "category_label_zh": zh, "category_label_en": en, "variable_label_zh": variable_zh,
                         "variable_label_en": variable_en})
    return pd.DataFrame(rows)


def wave_rows(indicators: int = 1, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for zh, en in INDICATORS[:indicators]:
        first = None
        for wave in ("2023年", "2024年", "2025年"):
            estimate = float(rng.uniform(0.74, 0.88))
            change = np.nan if first is None else estimate - first
            rows.append({"label_zh": zh, "label_en": en, "wave": wave, "estimate": estimate,
                         "ci_low": estimate - 0.03, "ci_high": estimate + 0.03, "threshold": 0.8,
                         "reference_wave": None if first is None else "2023年", "change": change,
                         "change_significant": None if first is None else bool(abs(change) > 0.03)})
            first = estimate if first is None else first
    return pd.DataFrame(rows)


def handling_rows(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for zh, en in (("市市场监督管理局", "Market Supervision Administration"), ("市公安局", "Public Security Bureau"),
                   ("市住房和城乡建设局", "Housing and Construction Bureau")):
        proposals = int(rng.integers(20, 60))
        returned = int(proposals * rng.uniform(0.7, 1.0))
        positive = int(returned * rng.uniform(0.7, 0.98))
        rate, low = positive / returned, positive / proposals
        high = (positive + proposals - returned) / proposals
        verdict = ("met" if low >= 0.8 else "met_within_margin" if rate >= 0.8 else
                   "not_met_within_margin" if high >= 0.8 else "not_met")
        rows.append({"measure_id": "work_rate", "label_zh": "对办理工作的满意率", "label_en": "Handling work",
                     "used_for_verdict": True, "domain_variable": "handling_department", "domain_label_zh": zh,
                     "domain_label_en": en, "proposals": proposals, "forms_returned": returned, "answered": returned,
                     "positive": positive, "rate": rate, "lower_bound": low, "upper_bound": high, "threshold": 0.8,
                     "verdict": verdict})
    return pd.DataFrame(rows)


def driver_rows(seed: int = 9) -> pd.DataFrame:
    """A driver analysis' table (surveys.indicators.importance(...).to_frame()): one item in each quadrant and more."""
    rng = np.random.default_rng(seed)
    items = (("您对村务公开情况是否满意？", "Openness of village affairs"), ("您对民主决策是否满意？", "Democratic decisions"),
             ("您对民主监督是否满意？", "Democratic supervision"), ("您对减负情况是否满意？", "Relief of duties"),
             ("您对选举公平是否满意？", "Fair elections"))
    performance = np.array([0.84, 0.70, 0.82, 0.72, 0.77])
    importance = np.array([0.9, 0.8, 0.3, 0.2, 0.55])
    rows = []
    for (zh, en), p, i in zip(items, performance, importance):
        p_moe, i_moe = float(rng.uniform(0.02, 0.04)), float(rng.uniform(0.2, 0.4))
        rows.append({"item_id": en.lower().replace(" ", "_"), "label_zh": zh, "label_en": en, "performance": p,
                     "performance_ci_low": p - p_moe, "performance_ci_high": p + p_moe, "importance": i,
                     "importance_ci_low": i - i_moe, "importance_ci_high": i + i_moe, "level": 0.95,
                     "cut_rule": "mean", "family": "quasibinomial"})
    return pd.DataFrame(rows)


def weights(seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    before = np.full(400, 1500.0)
    return before, before * rng.lognormal(0.0, 0.35, 400)


# Every chart: name → function(lang, ax) drawing it from the synthetic tables.
CHARTS = {
    "target": lambda lang, ax=None: charts.target_chart(target_rows(lang), lang=lang, ax=ax),
    "diverging": lambda lang, ax=None: charts.diverging_chart(likert_rows(lang), lang=lang, ax=ax),
    "district": lambda lang, ax=None: charts.domain_chart(district_rows(), lang=lang, threshold=0.8, ax=ax),
    "mode": lambda lang, ax=None: charts.mode_chart(mode_rows(), lang=lang, threshold=0.8, ax=ax),
    "weighting": lambda lang, ax=None: charts.weighting_chart(weighting_rows(), lang=lang, ax=ax),
    "weights": lambda lang, ax=None: charts.weight_histogram(weights()[1], before=weights()[0], lang=lang, ax=ax),
    "margins": lambda lang, ax=None: charts.margins_chart(margin_rows(), lang=lang, ax=ax),
    "waves": lambda lang, ax=None: charts.wave_chart(wave_rows(), lang=lang, ax=ax),
    "waves_several": lambda lang, ax=None: charts.wave_chart(wave_rows(indicators=2), lang=lang, ax=ax),
    "handling": lambda lang, ax=None: charts.handling_chart(handling_rows(), lang=lang, ax=ax),
    "importance_performance": lambda lang, ax=None: charts.importance_performance_chart(driver_rows(), lang=lang,
                                                                                        ax=ax),
}


def png_dpi(path: pathlib.Path) -> tuple[float, tuple[int, int]]:
    """(dots per inch from the pHYs chunk, (width, height) in pixels) of a PNG file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, dpi, size = 8, None, None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"pHYs":
            x_per_metre, y_per_metre, unit = struct.unpack(">IIB", body)
            assert unit == 1 and x_per_metre == y_per_metre
            dpi = x_per_metre * 0.0254
        position += 12 + length
    assert dpi is not None and size is not None
    return dpi, size


def render(figure: Figure) -> bytes:
    """Draw ``figure`` with Agg, as saving does (a bare Figure's ``canvas.draw()`` draws nothing); missing
    glyphs are reported as warnings during this draw."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def all_texts(figure: Figure) -> str:
    return "".join(t.get_text() for t in figure.findobj(Text))


# --- rendering -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_renders_with_warnings_as_errors(name, lang):
    settings = {key: repr(value) for key, value in matplotlib.rcParams.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would fail here (pytest config does too)
        figure = CHARTS[name](lang)
        render(figure)  # the Agg draw is where missing glyphs are reported
    assert isinstance(figure, Figure)
    assert {key: repr(value) for key, value in matplotlib.rcParams.items()} == settings, "global rcParams changed"
    drawn = all_texts(figure)
    if lang == "zh":
        assert any("\u4e00" <= c <= "\u9fff" for c in drawn), "the Chinese chart has no Chinese text"
    font = fonts.find_cjk_font()
    assert not font.missing(drawn)
    if name != "weights":  # the weights histogram has weights and counts, no shares
        assert "%" in drawn  # share axes are formatted as percentages


def test_the_harness_fails_on_a_missing_glyph():
    figure = Figure()
    figure.text(0.5, 0.5, "满意率", fontproperties=fonts.fallback_latin_font().properties())
    with pytest.warns(UserWarning, match="missing from font"):
        render(figure)


def test_save_figure_writes_print_quality_png_and_svg_with_text_as_paths(tmp_path):
    figure = CHARTS["target"]("zh")
    settings = {key: repr(value) for key, value in matplotlib.rcParams.items()}
    png, svg = charts.save_figure(figure, tmp_path / "charts" / "target")
    assert {key: repr(value) for key, value in matplotlib.rcParams.items()} == settings  # svg.fonttype was local
    dpi, (width, height) = png_dpi(png)
    assert dpi >= 200 and abs(dpi - style.PRINT_DPI) < 1
    expected = figure.get_size_inches() * style.PRINT_DPI
    assert abs(width - expected[0]) <= 2 and abs(height - expected[1]) <= 2
    low_png, _ = charts.save_figure(figure, tmp_path / "low", dpi=200)
    assert round(png_dpi(low_png)[0]) == 200
    tree = ElementTree.parse(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    assert not list(tree.iter(namespace + "text")), "SVG text must be paths so it renders without the font"
    assert len(list(tree.iter(namespace + "path"))) > 50
    with pytest.raises(ChartError, match="dpi >= 200"):
        charts.save_figure(figure, tmp_path / "draft", dpi=100)


def test_charts_draw_on_an_existing_ax_and_leave_the_other_axes_alone():
    for name, draw in CHARTS.items():
        figure = Figure(figsize=(12, 5))
        left, right = figure.subplots(1, 2)
        left.plot([0, 1], [0, 1])
        before = list(left.get_children())
        returned = draw("zh", ax=right)
        assert returned is figure, name
        assert right.has_data() or right.patches or right.collections, name
        assert list(left.get_children()) == before, name
        render(figure)


def test_chart_modules_use_no_pyplot_and_no_global_settings():
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "surveys" / "charts").glob("*.py"))
    assert "matplotlib.pyplot" not in sources and "import pyplot" not in sources
    assert "matplotlib.use(" not in sources and "rcParams[" not in sources and "rcParams.update" not in sources


def test_importing_and_drawing_loads_no_pyplot_in_a_fresh_interpreter():
    script = (
        "import io, sys, json, matplotlib\n"
        "import surveys, surveys.charts as charts\n"
        "loaded = 'matplotlib.pyplot' in sys.modules\n"
        "import pandas as pd\n"
        "frame = pd.DataFrame({'label': ['满意率'], 'estimate': [0.85], 'ci_low': [0.8], 'ci_high': [0.9],"
        " 'verdict': ['met'], 'threshold': [0.8]})\n"
        "charts.target_chart(frame).savefig(io.BytesIO(), format='png')\n"
        "print(json.dumps([loaded, 'matplotlib.pyplot' in sys.modules, matplotlib.get_backend()]))\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    import_loaded, draw_loaded, _backend = json.loads(result.stdout.strip().splitlines()[-1])
    assert not import_loaded and not draw_loaded


# --- the font ----------------------------------------------------------------------------------------------

def chart_wording() -> str:
    """Every fixed string a chart can draw, in both languages, plus the synthetic labels."""
    parts = [text for phrases in chart_text.PHRASES.values() for text in phrases.values()]
    parts += [text for labels in VERDICT_LABELS.values() for text in labels.values()]
    parts += [text for labels in chart_text.CENSUS_VERDICT_LABELS.values() for text in labels.values()]
    parts += [zh + en for zh, en in DISTRICTS + INDICATORS]
    parts += ["0123456789.%−+±*·/()"]
    return "".join(parts)


def test_the_font_is_found_explicitly_registered_and_covers_every_label():
    font = fonts.find_cjk_font()
    assert pathlib.Path(font.path).is_file()
    assert font.source != "matplotlib"
    registered = {pathlib.Path(entry.fname).resolve() for entry in matplotlib.font_manager.fontManager.ttflist}
    assert pathlib.Path(font.path).resolve() in registered
    by_family = matplotlib.font_manager.FontProperties(family=font.family)
    for properties in (font.properties(), by_family) if font.latin is None else (by_family,):
        found = matplotlib.font_manager.fontManager.findfont(properties, fallback_to_default=False)
        assert pathlib.Path(str(found)).resolve() == pathlib.Path(font.path).resolve()
    faces = [font] + ([font.latin] if font.latin is not None else [])
    charmap: set[int] = set()
    for face in faces:
        charmap |= set((FT2Font(face.path) if face.face_index == 0 else
                        FT2Font(face.path, face_index=face.face_index)).get_charmap())
    wording = {c for c in chart_wording() if not c.isspace()}
    missing = sorted(c for c in wording if ord(c) not in charmap)
    assert not missing, f"{font.family} lacks glyphs for {missing}"
    ttlib = pytest.importorskip("fontTools.ttLib")
    cmap: set[int] = set()
    for face in faces:
        cmap |= set(ttlib.TTFont(face.path, fontNumber=face.face_index).getBestCmap())
    assert not sorted(c for c in wording if ord(c) not in cmap)


def test_the_declared_font_package_comes_first_when_installed():
    pytest.importorskip("pylopdf_fonts_zh_cn")
    font = fonts.find_cjk_font()
    assert font.source == "package pylopdf_fonts_zh_cn" and font.family == "Noto Sans SC"
    assert "OFL" in font.licence


def test_a_cjk_only_system_font_is_paired_with_dejavu_for_latin_letters(monkeypatch):
    droid = pathlib.Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
    if not droid.is_file():
        pytest.skip("fonts-droid-fallback is not installed")
    monkeypatch.setattr(fonts, "FONT_SOURCES", {"system": lambda: [fonts.FontCandidate(str(droid), "system", "Apache-2.0")]})
    fonts.find_cjk_font.cache_clear()
    try:
        font = fonts.find_cjk_font()
        assert font.family == "Droid Sans Fallback" and font.latin is not None and font.latin.family == "DejaVu Sans"
        assert not font.missing(chart_wording())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            render(CHARTS["target"]("zh"))
    finally:
        fonts.find_cjk_font.cache_clear()


def test_a_character_the_font_lacks_is_an_error_not_tofu():
    frame = target_rows("zh")
    frame.loc[0, "label"] = "满意率\ue000"  # a private-use character: no font has a glyph for it
    with pytest.raises(ChartFontError, match="no glyph"):
        charts.target_chart(frame)


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "FONT_SOURCES", {})
    fonts.find_cjk_font.cache_clear()
    yield
    fonts.find_cjk_font.cache_clear()


def test_without_any_cjk_font_chinese_charts_say_what_to_install(no_cjk_font):
    with pytest.raises(ChartFontError, match="pip install pylopdf-fonts-zh-cn"):
        charts.target_chart(target_rows("zh"))
    with pytest.raises(ChartFontError, match="cannot draw"):
        charts.target_chart(target_rows("zh"), lang="en")  # English furniture, Chinese data labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = charts.target_chart(target_rows("en"), lang="en")  # DejaVu Sans is enough
        render(figure)


def test_an_environment_font_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setenv(fonts.FONT_ENVIRONMENT_VARIABLE, "/nonexistent/font.otf")
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(ChartFontError, match="does not exist"):
            fonts.find_cjk_font()
    finally:
        monkeypatch.delenv(fonts.FONT_ENVIRONMENT_VARIABLE)
        fonts.find_cjk_font.cache_clear()


# --- what the charts show ------------------------------------------------------------------------------------

def test_target_chart_colours_each_point_by_its_verdict_and_draws_the_target_from_the_data():
    frame = target_rows("zh", threshold=0.85)
    figure = charts.target_chart(frame)
    ax = figure.axes[0]
    colours = {mcolors.to_hex(c.get_facecolors()[0]) for c in ax.collections if len(c.get_offsets())
               and c.get_facecolors().size}
    assert {mcolors.to_hex(style.VERDICT_COLOURS[v]) for v in JUDGED_VERDICTS} <= colours
    assert len({mcolors.to_hex(c) for c in style.VERDICT_COLOURS.values()}) == len(VERDICTS)
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert vertical == [pytest.approx(0.85)]
    drawn = all_texts(figure)
    assert "目标 85%" in drawn and "个百分点" in drawn
    legend_text = "".join(t.get_text() for t in figure.legends[0].get_texts())
    assert all(VERDICT_LABELS[v]["zh"] in legend_text for v in JUDGED_VERDICTS)
    assert VERDICT_LABELS["not_judged"]["zh"] not in legend_text  # listed only when a row has it
    english = "".join(t.get_text() for t in charts.target_chart(target_rows("en"), lang="en").legends[0].get_texts())
    assert all(VERDICT_LABELS[v]["en"] in english for v in JUDGED_VERDICTS)


# Machado, Oliveira & Fernandes (2009) simulation matrices for full dichromacy (severity 1.0), on linear RGB.
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab(colour: str, matrix) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour as seen through ``matrix``."""
    srgb = np.asarray(mcolors.to_rgb(colour))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(matrix) @ linear, 0.0, 1.0)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("deficiency", sorted(DICHROMACY))
def test_verdict_colours_stay_distinct_for_colour_blind_readers(deficiency):
    seen = {v: _lab(c, DICHROMACY[deficiency]) for v, c in style.VERDICT_COLOURS.items()}
    closest = min(float(np.linalg.norm(seen[a] - seen[b])) for i, a in enumerate(VERDICTS) for b in VERDICTS[i + 1:])
    assert closest > 15.0  # CIE76 ΔE; about 2.3 is a just-noticeable difference
    assert len(set(style.VERDICT_MARKERS.values())) == len(VERDICTS)  # and the shapes differ, for greyscale print


def test_a_neutral_category_straddles_zero():
    market = load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")
    sides = charts.category_sides(market.scales["satisfaction5"], neutral=[3])
    assert sides.set_index("category").loc["基本满意", "side"] == "neutral"
    shares = likert_rows("zh").drop(columns="side").merge(sides[["category", "side"]], on="category")
    figure = charts.diverging_chart(shares)
    neutral = [p for p in figure.axes[0].patches if np.allclose(p.get_facecolor()[:3], mcolors.to_rgb(style.NEUTRAL_COLOUR))]
    assert neutral and all(p.get_x() == pytest.approx(-p.get_width() / 2) for p in neutral)


def test_diverging_bars_put_negative_categories_left_and_dont_know_apart():
    frame = likert_rows("zh")
    figure = charts.diverging_chart(frame)
    main = figure.axes[0]
    negative = set(frame.loc[frame["side"] == "negative", "category"])
    colours = {label: handle.get_facecolor() for handle, label in
               zip(figure.legends[0].legend_handles, [t.get_text() for t in figure.legends[0].get_texts()])}
    assert negative <= set(colours) and "不了解" not in colours
    for patch in main.patches:
        x, width = patch.get_x(), patch.get_width()
        left_of_zero = x + width <= 1e-9
        is_negative = any(np.allclose(patch.get_facecolor(), colours[name]) for name in negative)
        if width > 1e-9:
            assert left_of_zero == is_negative
    panel = main.child_axes[0]
    dont_know = frame[frame["side"] == "dont_know"].groupby("item", sort=False)["share"].sum().to_numpy()
    assert sorted(p.get_width() for p in panel.patches) == pytest.approx(sorted(dont_know))
    assert panel.get_title() == "不了解"


def test_domain_chart_marks_unreliable_domains_hollow_with_a_footnote():
    figure = charts.domain_chart(district_rows(), threshold=0.8)
    ax = figure.axes[0]
    hollow = [c for c in ax.collections if len(c.get_offsets()) and c.get_facecolors().size
              and np.allclose(c.get_facecolors()[0][:3], 1.0)]
    assert sum(len(c.get_offsets()) for c in hollow) == 2  # one "review", one "suppress"
    drawn = all_texts(figure)
    assert "有效样本量小于30" in drawn and "不可靠" in drawn


def test_handling_chart_draws_the_non_response_range_and_returned_counts():
    frame = handling_rows()
    figure = charts.handling_chart(frame)
    bars = sorted(figure.axes[0].patches, key=lambda p: p.get_x())
    drawn = sorted((p.get_x(), p.get_x() + p.get_width()) for p in bars)
    expected = sorted(zip(frame["lower_bound"], frame["upper_bound"]))
    assert np.allclose(drawn, expected)
    assert "回收" in all_texts(figure)


def test_wrap_label_breaks_chinese_between_characters_but_never_splits_words():
    wrapped = style.wrap_label("对市场监管部门执法公正性的满意率（含基本满意）", 8)
    lines = wrapped.split("\n")
    assert "".join(lines) == "对市场监管部门执法公正性的满意率（含基本满意）"
    assert all(len(line) <= 8 for line in lines) and len(lines) >= 3
    assert not any(line[0] in "）。，、" for line in lines)
    english = style.wrap_label("City Market Supervision Administration", 5)
    assert set(english.split()) == {"City", "Market", "Supervision", "Administration"}


def test_input_errors_say_what_is_missing():
    with pytest.raises(ChartError, match="ci_high"):
        charts.target_chart(target_rows("zh").drop(columns="ci_high"))
    with pytest.raises(ChartError, match="unknown verdicts"):
        charts.target_chart(target_rows("zh").assign(verdict="passed"))
    with pytest.raises(ChartError, match="language"):
        charts.target_chart(target_rows("zh"), lang="fr")
    with pytest.raises(ChartError, match="empty"):
        charts.domain_chart(district_rows().iloc[0:0])
    with pytest.raises(ChartError, match="one measure"):
        charts.domain_chart(pd.concat([district_rows(), district_rows().assign(measure_id="other")]))
    with pytest.raises(ChartError, match="side"):
        charts.diverging_chart(likert_rows("zh").assign(side="up"))


# --- the library's own tables draw as they are ---------------------------------------------------------------

def test_tables_from_targets_weighting_measures_census_and_waves_draw_directly():
    from surveys.indicators.census import census_check, proposal_census
    from surveys.indicators.measures import measure_table
    from surveys.indicators.waves import trend_table

    rng = np.random.default_rng(11)
    rows = 400
    data = pd.DataFrame({"district": rng.choice([d for d, _ in DISTRICTS[:4]], rows, p=[0.4, 0.3, 0.25, 0.05]),
                         "sex": rng.choice(["1", "2"], rows, p=[0.4, 0.6]),
                         "satisfied": rng.binomial(1, 0.82, rows).astype(float), "w": 1000.0})
    design = SurveyDesign(data, weights="w")
    raked = rake(design, {"sex": {"1": 2e5, "2": 2e5},
                          "district": dict(zip([d for d, _ in DISTRICTS[:4]], [1.5e5, 1.2e5, 1e5, 3e4]))})
    estimate = raked.proportion("satisfied")
    checks = check_targets([estimate], 0.8, label="市场监管满意率")

    market = load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")
    answers = {}
    for item in market.items:
        if item.type == "single":
            scale = market.scale_of(item.id)
            shares = np.array([3.0 if c.satisfied else (0.6 if c.dont_know else 1.0) for c in scale.categories])
            answers[item.id] = rng.choice(np.asarray(scale.codes, dtype=float), size=rows, p=shares / shares.sum())
    responses = pd.DataFrame(answers).assign(mode=rng.choice(["paper", "online"], rows), weight=rng.uniform(1, 4, rows))
    measures = measure_table(SurveyDesign(responses, weights="weight"), market, domains=("district", "mode"))

    proposals = load_questionnaire(QUESTIONNAIRES / "proposal_handling.yaml")
    register = pd.DataFrame({"proposal_number": [f"J{i:03d}" for i in range(90)],
                             "handling_department": rng.choice([1, 2, 3], 90)})
    forms = register[rng.random(90) < 0.85].reset_index(drop=True)
    for item in ("work_satisfaction", "result_satisfaction", "overall"):
        forms[item] = rng.choice([1.0, 2.0, 3.0], len(forms), p=[0.7, 0.2, 0.1])
    census = proposal_census(forms, proposals, register=register, by=["handling_department"])
    census_target = census_check(census.find("work_rate"), 0.8, label="建议办理工作满意率")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in LANGS:
            scoreboard = pd.concat([checks.to_frame(), pd.DataFrame([census_target.to_dict()])], ignore_index=True)
            drawn = [
                charts.target_chart(scoreboard, lang=lang),
                charts.domain_chart(raked.by("district").proportion("satisfied"), label_column="district", lang=lang,
                                    threshold=0.8),
                charts.domain_chart(measures, measure_id="overall_rate", lang=lang, threshold=0.8),
                charts.mode_chart(measures, measure_id="overall_rate", lang=lang),
                charts.margins_chart(raked.adjustments[-1].diagnostics, lang=lang),
                charts.weight_histogram(raked, before=design, lang=lang),
                charts.wave_chart(trend_table([("2024年", design.proportion("satisfied")), ("2025年", estimate)]),
                                  threshold=0.8, lang=lang),
                charts.handling_chart(census, measure_id="work_rate", lang=lang, threshold=0.8),
            ]
            for figure in drawn:
                render(figure)
    assert "普查" in all_texts(charts.target_chart(scoreboard))


def test_the_registers_scoreboard_draws_rates_and_leaves_out_counts():
    from surveys.estimation.results import Estimate
    from surveys.indicators.register import evaluate_register, load_register

    path = ROOT / "analysis" / "demo" / "targets.yaml"
    if not path.is_file():
        pytest.skip("the demo targets register is not there")
    register = load_register(path)
    rng = np.random.default_rng(12)
    survey: dict = {}
    for target in register.targets:
        if target.source.kind == "survey":
            rate = float(rng.uniform(0.76, 0.9))
            survey.setdefault(target.source.questionnaire, {})[target.source.measure] = Estimate(
                rate, 0.018, rate - 0.035, rate + 0.035, 400.0, respondents=500, statistic="proportion")
    board = evaluate_register(register, survey)
    frame = board.to_frame()
    rates = frame[(frame["verdict"] != "no_data") & ((frame["interval_kind"] != "exact") | frame["denominator"].notna())
                  & frame["value"].between(0, 1) & frame["threshold"].between(0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in LANGS:
            figure = charts.target_chart(board, lang=lang)
            render(figure)
            assert len(figure.axes[0].get_yticks()) == len(rates)
    drawn = all_texts(charts.target_chart(board))
    assert "行政数据" in drawn and "未显示" in drawn


@pytest.mark.parametrize("lang", LANGS)
def test_importance_performance_map_names_its_quadrants_and_colours_points_by_quadrant(lang):
    from surveys.charts.drivers import QUADRANT_COLOURS
    from surveys.indicators import QUADRANT_NAMES

    frame = driver_rows()
    figure = charts.importance_performance_chart(frame, lang=lang)
    render(figure)
    drawn = all_texts(figure)
    for name in QUADRANT_NAMES.values():
        assert name.get(lang) in drawn
    assert ("优势区" in drawn) == (lang == "zh") and ("strengths" in drawn) == (lang == "en")
    # cuts at the items' means: (0.77, 0.55); the improve quadrant holds the important, poorly rated item
    ax = figure.axes[0]
    colours = {mcolors.to_hex(c.get_facecolors()[0]): len(c.get_offsets()) for c in ax.collections
               if len(c.get_offsets()) and c.get_facecolors().size}
    counts = {quadrant: colours.get(colour.lower(), 0) for quadrant, colour in QUADRANT_COLOURS.items()}
    assert counts == {"strength": 2, "maintain": 1, "improve": 1, "opportunity": 1}  # an item on both cuts: strength
    assert frame["label_zh" if lang == "zh" else "label_en"].iloc[0] in drawn  # the numbered key under the map
    with pytest.raises(ChartError, match="importance"):
        charts.importance_performance_chart(frame.drop(columns="importance"), lang=lang)
