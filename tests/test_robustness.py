"""What a survey verdict depends on: the robustness panel on constructed samples, the notes beside a verdict, the
scoreboard's summary line, and the sample design a study declares."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from surveys import SurveyDesign, load_questionnaire, questionnaire_dir
from surveys.errors import StudyError
from surveys.indicators.measures import measure_table
from surveys.indicators.register import Scoreboard, ScoreboardRow, scoreboard_summary
from surveys.indicators.robustness import robustness_panel, verdict_notes
from surveys.indicators.targets import check_target
from surveys.questionnaire import Text
from surveys.study.spec import load_study
from surveys.study.weighting import unweighted_design, weight_responses

GRASSROOTS = load_questionnaire(questionnaire_dir() / "grassroots_governance.yaml")


def _answers(size: int, rate: float, dont_know: float) -> np.ndarray:
    """Exactly round(rate·size) satisfied answers (codes 1–3), round(dont_know·size) don't-knows (9), the rest
    unsatisfied (4–5): the rate on the base of every answer is ``rate``."""
    satisfied, unknown = round(rate * size), round(dont_know * size)
    codes = np.concatenate([np.resize([1, 2, 3], satisfied), np.full(unknown, 9),
                            np.resize([4, 5], size - satisfied - unknown)])
    return np.random.default_rng(size).permutation(codes)


def _sample(*, paper: float, online: float, dont_know: float = 0.04, size: int = 800,
            clusters: int | None = None) -> pd.DataFrame:
    """Half paper, half online, with the given rates (every answer in the base) and weights 1."""
    half = size // 2
    frame = pd.DataFrame({
        "overall": np.concatenate([_answers(half, paper, dont_know),
                                   _answers(size - half, online, dont_know)]).astype(float),
        "mode": ["paper"] * half + ["online"] * (size - half),
        "weight": 1.0,
    })
    if clusters:
        frame["office"] = np.arange(size) % clusters
    return frame


def _panel(frame: pd.DataFrame, **options):
    design = SurveyDesign(frame, weights="weight")
    table = measure_table(design, GRASSROOTS, measures=["overall_rate"], domains=["mode"])
    unweighted = SurveyDesign(frame.assign(one=1.0), weights="one")
    return robustness_panel(design, GRASSROOTS, "overall_rate", table=table, threshold=0.8, unweighted=unweighted,
                            target_id="grassroots", **options)


def test_modes_on_either_side_of_the_target_make_the_verdict_depend_on_the_mode():
    panel = _panel(_sample(paper=0.86, online=0.72))
    codes = [a.code for a in panel.alternatives]
    assert codes[:4] == ["reported", "other_base", "unweighted", "trimmed"]
    assert set(codes[4:]) == {"mode:paper", "mode:online"}
    assert "mode" in panel.depends_on and not panel.robust
    assert "调查方式" in panel.summary().zh and "survey mode" in panel.summary().en
    assert panel.mode_difference is not None and panel.mode_difference.difference > 0.1
    # every alternative is judged by the same rule as the reported verdict
    reported = panel.reported.check
    assert all(a.check.threshold == reported.threshold and a.check.rule == reported.rule for a in panel.alternatives)
    frame = panel.to_frame()
    assert list(frame["alternative"]) == codes and bool(frame.loc[0, "agrees"])


def test_a_clearly_met_target_is_robust():
    panel = _panel(_sample(paper=0.92, online=0.91))
    assert panel.robust and panel.depends_on == () and panel.summary().zh == "结论稳健"
    assert all(a.check.verdict == "met" for a in panel.alternatives)


def test_a_precision_change_alone_is_not_a_disagreement():
    # the whole sample is met; each mode alone has half the respondents and is only met within the margin
    panel = _panel(_sample(paper=0.82, online=0.82, size=2400))
    assert panel.reported.check.verdict == "met"
    modes = [a for a in panel.alternatives if a.group == "mode"]
    assert any(a.check.verdict == "met_within_margin" for a in modes)
    assert "mode" not in panel.depends_on


def test_dont_know_answers_in_the_base_can_decide_a_verdict():
    # 10% don't-know: with them in the base the rate sits below 80%, without them above
    panel = _panel(_sample(paper=0.78, online=0.78, dont_know=0.10, size=1600))
    other = next(a for a in panel.alternatives if a.code == "other_base")
    assert "不了解" in other.label.zh
    assert panel.reported.check.estimate < 0.8 < other.check.estimate
    assert "base" in panel.depends_on


def test_the_trimmed_alternative_says_how_many_weights_were_trimmed():
    frame = _sample(paper=0.9, online=0.9)
    frame.loc[:9, "weight"] = 20.0  # ten weights far above 5 × the mean
    panel = _panel(frame, trim=(0.2, 5.0))
    trimmed = next(a for a in panel.alternatives if a.code == "trimmed")
    assert trimmed.note.zh == "10 个权重被截尾" and "0.2–5" in trimmed.label.zh


def test_an_unjudged_alternative_never_counts_as_disagreeing():
    frame = _sample(paper=1.0, online=0.9, dont_know=0.0, size=400)  # every paper respondent satisfied: 100%
    panel = _panel(frame)
    paper = next(a for a in panel.alternatives if a.code == "mode:paper")
    assert paper.check.verdict == "not_judged" and panel.agrees(paper) is None
    assert paper not in panel.disagreeing


def test_declared_clusters_add_an_alternative_without_them():
    frame = _sample(paper=0.83, online=0.83, clusters=20)
    clustered = SurveyDesign(frame, ids="office", weights="weight")
    table = measure_table(clustered, GRASSROOTS, measures=["overall_rate"], domains=["mode"])
    panel = robustness_panel(clustered, GRASSROOTS, "overall_rate", table=table, threshold=0.8,
                             without_clusters=SurveyDesign(frame, weights="weight"))
    alternative = next(a for a in panel.alternatives if a.code == "no_clusters")
    assert alternative.group == "design" and alternative.check.estimate == pytest.approx(panel.reported.check.estimate)
    assert alternative.check.df > panel.reported.check.df  # 799 rows against 19 clusters


def test_notes_beside_a_verdict_are_in_chinese_and_english():
    frame = pd.DataFrame({"y": [1.0] * 20 + [0.0] * 5, "w": 1.0})
    check = check_target(SurveyDesign(frame, weights="w").proportion("y"), 0.8)
    notes = verdict_notes(check, threshold_source="study")
    assert [n.code for n in notes] == ["study_threshold", "not_judged"]
    assert "不作判定" in notes[1].text.zh and "Kish" in notes[1].text.en
    assert verdict_notes(None, threshold_source="plan") == ()


def _row(verdict: str, target_met: bool | None, rule: str = "ci_lower_bound") -> ScoreboardRow:
    return ScoreboardRow(target_id=verdict, section="", text=Text("指标", "target"), responsible=Text("单位", "unit"),
                         source_kind="survey", source="q/m", value=0.8, ci_low=0.7, ci_high=0.9,
                         interval_kind="confidence_interval", threshold=0.8, comparison=">=", rule=rule,
                         verdict=verdict, target_met=target_met)


def test_the_summary_line_reconciles_with_the_rows():
    board = Scoreboard(rows=(_row("met", True), _row("met", True), _row("met_within_margin", False),
                             _row("not_met_within_margin", False), _row("not_met", False),
                             _row("not_met_within_margin", True, rule="ci_upper_bound"), _row("no_data", None)))
    summary = board.summary()
    assert summary.zh.startswith("7 项指标：达标 2 项，达标但在误差范围内 1 项，未达标但在误差范围内 2 项，未达标 1 项，无数据 1 项")
    assert "按各自判定规则计：达标 3 项，未达标 4 项" in summary.zh
    assert "“达标但在误差范围内”的 1 项按规则（置信区间下限须达到目标）计为未达标" in summary.zh
    assert "“未达标但在误差范围内”的 1 项按规则（置信区间上限达到目标即可）计为达标" in summary.zh
    assert "无数据的 1 项计为未达标" in summary.zh
    assert summary.en.startswith("7 targets: 2 met") and "Under their rules: 3 met, 4 not met" in summary.en
    assert scoreboard_summary(["met"], [True], ["ci_lower_bound"]).zh == "1 项指标：达标 1 项。按各自判定规则计：达标 1 项，未达标 0 项。"


def _design_study(tmp_path, design) -> object:
    (tmp_path / "export.csv").write_text("", encoding="utf-8")
    (tmp_path / "people.csv").write_text("variable,category,population,share,source,as_of\n"
                                         "district,1,600,,census,2025-12-31\ndistrict,2,400,,census,2025-12-31\n",
                                         encoding="utf-8")
    document = {"study": {"id": "d"}, "wave": "2026", "questionnaires": [{"id": "grassroots_governance"}],
                "inputs": [{"file": "export.csv", "questionnaire": "grassroots_governance", "platform": "tencent"}],
                "margins": [{"file": "people.csv", "population": "residents"}], "design": design}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_study(path)


def test_the_declared_design_is_the_designs_strata_and_clusters(tmp_path):
    study = _design_study(tmp_path, {"strata": ["mode", "population"], "clusters": "office"})
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"district": rng.choice([1, 2], 300), "mode": rng.choice(["paper", "online"], 300),
                         "overall": rng.choice([1, 2, 3, 4], 300).astype(float), "office": rng.integers(0, 12, 300)})
    weighted = weight_responses(data, "grassroots_governance", study)
    design = weighted.design
    offices = data.groupby("mode")["office"].nunique().sum()
    assert design.degrees_of_freedom == offices - 2  # clusters within the two strata
    assert set(design.data["population"]) == {"residents"}
    without = weight_responses(data, "grassroots_governance", study, clusters=False).design
    np.testing.assert_allclose(without.weights, design.weights)
    assert without.degrees_of_freedom == len(data) - 2
    assert set(unweighted_design(weighted, study).weights) == {1.0}


def test_a_design_naming_an_unknown_or_empty_column_is_refused(tmp_path):
    study = _design_study(tmp_path, {"strata": ["shift"]})
    data = pd.DataFrame({"district": [1, 2] * 20, "overall": [1.0] * 40, "mode": "paper"})
    with pytest.raises(StudyError, match="design.strata: the responses of 'grassroots_governance' have no column "
                                         "'shift'"):
        weight_responses(data, "grassroots_governance", study)
    study = _design_study(tmp_path, {"clusters": "office"})
    with pytest.raises(StudyError, match="'office' is empty for 1 of the 40 responses"):
        weight_responses(data.assign(office=[1.0] * 39 + [np.nan]), "grassroots_governance", study)
    with pytest.raises(StudyError, match="design.clusters: 'mode' is also a stratum"):
        _design_study(tmp_path, {"strata": ["mode"], "clusters": "mode"})
