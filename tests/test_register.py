"""The targets register: the demo register holds every quantitative target of the seed plan, the loader
reports every problem with file and key, and the scoreboard judges survey, census and administrative targets."""
from __future__ import annotations

import math
import pathlib
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from surveys import load_questionnaire
from surveys.errors import TargetError
from surveys.estimation.results import Estimate
from surveys.indicators.census import proposal_census
from surveys.indicators.register import evaluate_register, load_register, parse_register
from surveys.resources import bundled_questionnaires

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGISTER = ROOT / "analysis" / "demo" / "targets.yaml"
SEED = ROOT.parent / "shared" / "seed"

# The plan's numbers: a phrase of the plan, how many targets quote it, and their threshold.
PLAN_NUMBERS = [
    ("依法行政指标占总指标3%以上", 1, 0.03),
    ("正式人员12人以上", 1, 12),
    ("安排法制讲座不少于2次", 1, 2),
    ("政府常务会议学法每年不少于3次", 1, 3),
    ("市场主体的满意度达到80%以上", 1, 0.80),
    ("力争人民群众满意度达到80%以上", 1, 0.80),
    ("法律顾问与专家参与的各项重大行政决策每年不少于3次", 1, 3),
    ("充分保障基层群众各项权利方面满意度达到80%以上", 1, 0.80),
    ("从事复议工作的人员应达到2人以上", 1, 2),
    ("审理的所有行政复议案件均应由2名以上行政复议人员参加", 1, 1.0),
    ("出庭应诉率应达到80%", 1, 0.80),
    ("提案办理的满意率达到80%以上", 1, 0.80),
    ("信访案件办案结案率应达到80%以上", 1, 0.80),
    ("特邀行政执法监督员参加执法监督活动每年应不少于3次", 1, 3),
    ("全市GDP年增长率不低于全省平均水平", 1, None),
    ("尽量做到年度内不发生群体性突发事件", 1, 0),
    ("每年至少对行政执法人员进行一次培训", 1, 1.0),
    ("每年至少进行一次执法案卷评查工作", 1, 1.0),
    ("每年针对特定文件至少测评一次", 1, 1),
]
_HALF_WIDTH = str.maketrans({"，": ",", "（": "(", "）": ")", "：": ":", "；": ";"})


def normalised(text: str) -> str:
    return text.translate(_HALF_WIDTH).replace(" ", "")


@pytest.fixture(scope="module")
def questionnaires():
    return {q.id: q for q in map(load_questionnaire, bundled_questionnaires())}


@pytest.fixture(scope="module")
def register(questionnaires):
    return load_register(REGISTER, questionnaires=questionnaires)


# --- the demo register covers the plan ----------------------------------------------------------
@pytest.mark.parametrize("phrase, count, threshold", PLAN_NUMBERS)
def test_every_number_of_the_plan_is_a_target(register, phrase, count, threshold):
    found = [t for t in register.targets if phrase in normalised(t.text.zh)]
    assert len(found) == count, phrase
    if threshold is not None:
        assert found[0].threshold == pytest.approx(threshold)


@pytest.mark.skipif(not SEED.is_dir(), reason="the seed plan (../shared/seed) is not on this machine")
def test_every_numbered_clause_of_the_seed_plan_is_quoted(register):
    plan = normalised("".join(path.read_text(encoding="utf-8") for path in sorted(SEED.glob("000_*.txt"))))
    quoted = [normalised(t.text.zh) for t in register.targets]
    clauses = [c for sentence in re.split(r"[。\n]", plan) for c in sentence.split(",")]
    numbered = [c.strip() for c in clauses if re.search(r"\d+(%|人|次|名)", c)]
    assert len(numbered) >= 14
    missing = [clause for clause in numbered if not any(clause in text for text in quoted)]
    assert missing == []


def test_the_demo_register_has_every_source_kind_and_demo_marks(register, questionnaires):
    kinds = {t.source.kind for t in register.targets}
    assert kinds == {"survey", "census", "administrative"}
    assert register.demo_data
    survey = {(t.source.questionnaire, t.source.measure) for t in register.targets if t.source.kind == "survey"}
    assert {"market_supervision", "social_stability", "grassroots_governance"} <= {q for q, _ in survey}
    for target in register.targets:
        assert target.responsible.zh and target.text.en
        if target.source.kind == "administrative":
            assert "演示数据" in target.source.evidence_document and target.source.evidence_date


# --- loader errors -------------------------------------------------------------------------------
def write(tmp_path, document) -> pathlib.Path:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def minimal_target(**changes):
    target = {
        "id": "petitions", "text": {"zh": "信访案件办案结案率应达到80%以上", "en": "petitions closed"},
        "responsible": {"zh": "市信访局", "en": "Petitions Bureau"},
        "source": {"kind": "administrative", "type": "rate",
                   "numerator": {"label": {"zh": "办结", "en": "closed"}, "value": 8},
                   "denominator": {"label": {"zh": "受理", "en": "received"}, "value": 10},
                   "evidence": {"document": "年报", "date": "2026-12-31"}},
        "threshold": 0.8,
    }
    target.update(changes)
    return target


def test_loader_collects_every_problem_with_file_and_key(tmp_path, questionnaires):
    survey = {"kind": "survey", "questionnaire": "market_supervision", "measure": "no_such_measure"}
    broken_rate = minimal_target(id="petitions_b")
    broken_rate["source"] = dict(broken_rate["source"], numerator={"label": {"zh": "办结"}, "value": 12})
    del broken_rate["source"]["evidence"]
    path = write(tmp_path, {"plan": {"zh": "方案", "en": "plan"}, "targets": [
        minimal_target(threshold=80, colour="red"),
        minimal_target(source=survey, comparison="<="),
        broken_rate,
        minimal_target(id="Bad Id", rule="majority"),
    ]})
    with pytest.raises(TargetError) as raised:
        load_register(path, questionnaires=questionnaires)
    message = str(raised.value)
    assert str(path) in message
    for expected in (
        "targets[0].threshold: expected a share in (0, 1]", "write a share (0.80, not 80)",
        "targets[0].colour: unknown key",
        "targets[1].id: the id 'petitions' is used twice",
        "targets[1].comparison: expected one of ['>=', '>']",
        "targets[1].source.measure: questionnaire 'market_supervision' has no measure 'no_such_measure'",
        "targets[2].source.evidence", "targets[2].source.numerator.value: the numerator 12 exceeds the denominator 10",
        "targets[3].id: expected an id", "targets[3].rule: expected a verdict rule",
    ):
        assert expected in message, expected


def test_survey_threshold_must_agree_with_the_questionnaire(tmp_path, questionnaires):
    survey = {"kind": "survey", "questionnaire": "market_supervision", "measure": "overall_rate"}
    path = write(tmp_path, {"plan": {"zh": "方案", "en": "plan"}, "targets": [minimal_target(source=survey,
                                                                                        threshold=0.85)]})
    with pytest.raises(TargetError, match=r"targets\[0\]\.threshold: >= 0.85 differs from the target >= 0.8"):
        load_register(path, questionnaires=questionnaires)
    assert load_register(path).targets[0].threshold == 0.85  # without questionnaires nothing to compare


def test_loader_errors_for_files(tmp_path):
    with pytest.raises(TargetError, match="no such targets register"):
        load_register(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [\n", encoding="utf-8")
    with pytest.raises(TargetError, match="not valid YAML"):
        load_register(bad)
    with pytest.raises(TargetError, match="non-empty list of targets"):
        parse_register({"plan": {"zh": "方案", "en": "plan"}, "targets": []})


# --- the scoreboard --------------------------------------------------------------------------------
def estimate(p: float, std_error: float, respondents: int = 1200) -> Estimate:
    from surveys.estimation.ci import ProportionSummary, proportion_interval

    summary = ProportionSummary(estimate=p, std_error=std_error, df=1190, level=0.95, design_df=1190,
                                rows=respondents)
    low, high = proportion_interval(summary, "logit")
    return Estimate(estimate=p, std_error=std_error, ci_low=low, ci_high=high, df=1190, respondents=respondents,
                    ci_method="logit", statistic="proportion", variable="overall_rate", extras={"design_df": 1190})


@pytest.fixture(scope="module")
def census(questionnaires):
    rng = np.random.default_rng(2)
    register = pd.DataFrame({"proposal_number": [f"T{i:03d}" for i in range(384)]})
    forms = register.sample(frac=0.9, random_state=4).reset_index(drop=True)
    forms["overall"] = rng.choice([1.0, 2.0, 3.0], len(forms), p=[0.8, 0.17, 0.03])
    return proposal_census(forms, questionnaires["proposal_handling"], register=register,
                           measures=["overall_rate", "overall_rate_strict"])


@pytest.fixture(scope="module")
def board(register, census):
    survey_results = {
        "social_stability": {"overall_rate": estimate(0.905, 0.010)},
        "market_supervision": {"overall_rate": estimate(0.817, 0.011)},
        "grassroots_governance": {"overall_rate": estimate(0.785, 0.013)},
        "law_based_administration": {"overall_rate": estimate(0.715, 0.015)},
    }
    return evaluate_register(register, survey_results, {"proposal_handling": census},
                             {"petition_closure_rate": {"numerator": 1100, "denominator": 1400}})


def test_scoreboard_lists_every_target(board, register):
    frame = board.to_frame()
    assert list(frame["target_id"]) == [t.id for t in register.targets]
    for column in ("value", "ci_low", "ci_high", "interval_kind", "verdict", "verdict_zh", "responsible_zh",
                   "threshold", "evidence", "demo_data"):
        assert column in frame.columns


def test_the_four_survey_indicators_land_in_different_verdicts(board):
    verdicts = [board.row(target_id).verdict for target_id in (
        "social_stability_satisfaction", "market_supervision_satisfaction", "grassroots_governance_satisfaction",
        "law_based_administration_satisfaction")]
    assert verdicts == ["met", "met_within_margin", "not_met_within_margin", "not_met"]
    row = board.row("market_supervision_satisfaction")
    assert row.interval_kind == "confidence_interval" and row.ci_low < 0.80 <= row.value
    assert row.check.margin_of_error > 0


def test_census_and_administrative_rows(board, census):
    proposals = board.row("proposal_handling_satisfaction")
    rate = census.find("overall_rate")
    assert proposals.interval_kind == "nonresponse_bounds" and proposals.verdict == "met"
    assert (proposals.ci_low, proposals.value, proposals.ci_high) == (rate.lower_bound, rate.rate, rate.upper_bound)
    court = board.row("officials_in_court")  # 31 / 42 in the register
    assert court.interval_kind == "exact" and math.isnan(court.ci_low) and court.value == pytest.approx(31 / 42)
    assert court.verdict == "not_met" and court.verdict_label.zh == "未达标"
    petitions = board.row("petition_closure_rate")  # the override replaces the register's figures
    assert petitions.value == pytest.approx(1100 / 1400) and petitions.verdict == "not_met"
    incidents = board.row("no_mass_incidents")
    assert incidents.verdict == "met" and incidents.verdict_label.en == "met"
    assert "exact" in board.to_frame().set_index("target_id").loc["legal_lectures", "interval_kind"]


def test_a_measure_table_feeds_the_scoreboard(register, questionnaires):
    from surveys import SurveyDesign, measure_table

    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"overall": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, 9.0], 500, p=[.3, .3, .25, .08, .02, .05]),
                          "weight": rng.uniform(1, 3, 500)})
    table = measure_table(SurveyDesign(frame, weights="weight"), questionnaires["market_supervision"],
                          measures=["overall_rate"])
    row = evaluate_register(register, {"market_supervision": table}).row("market_supervision_satisfaction")
    assert row.value == table.estimate("overall_rate").estimate and row.interval_kind == "confidence_interval"
    assert row.verdict in ("met", "met_within_margin", "not_met_within_margin", "not_met")


def test_text_scoreboard(board):
    lines = board.to_text().splitlines()
    assert len(lines) == len(board)
    court = next(line for line in lines if line.startswith("officials_in_court"))
    assert "73.8% (精确)" in court and "未达标" in court and "市法制办" in court
    market = next(line for line in board.to_text("en").splitlines() if line.startswith("market_supervision"))
    assert "81.7% [" in market and "met, within the margin of error" in market


def test_missing_results_are_no_data_and_unknown_overrides_are_errors(register):
    board = evaluate_register(register)
    row = board.row("market_supervision_satisfaction")
    assert row.verdict == "no_data" and row.target_met is None and row.verdict_label.zh == "无数据"
    with pytest.raises(TargetError, match="not in the register"):
        evaluate_register(register, administrative_values={"no_such_target": 3})
    with pytest.raises(TargetError, match="numerator"):
        evaluate_register(register, administrative_values={"petition_closure_rate": 0.9})
