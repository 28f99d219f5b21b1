"""Indicator analyses: group comparisons, drivers and the importance–performance map, scale reliability.

On the demo city at full sample size the analyses must find what the demo generator plants for grassroots
self-governance (the scenario's ``PlantedEffects`` in surveys/demo/scenario.py, the answer model of
surveys/demo/model.py, recorded in truth/truth.json): the two planted districts and no other below the rest,
online respondents below paper ones even with district, age group and sex held fixed (a real mode effect, not
only a younger and more urban online sample), the items the overall answer follows as the most important in the
order of their loadings, the two of them rated worst as the ranked 先改进 list, the items' satisfaction in the
order of their planted intercepts; besides, lower satisfaction in the urban districts than in the counties and a
rising age gradient. Plus the pieces on small seeded data: Holm's adjustment, α against a jackknife and the
textbook formula, and the errors."""
from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import surveys
from surveys.demo import generate_demo, scenario
from surveys.errors import EstimationError
from surveys.estimation import cronbach_alpha
from surveys.indicators import (
    QUADRANT_NAMES,
    QUADRANTS,
    adjust_p_values,
    drivers,
    group_comparisons,
    scale_reliability,
)
from surveys.indicators.measures import measure_values
from surveys.study.pipeline import run_study
from surveys.study.spec import load_study

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEMO_SPEC = REPOSITORY / "analysis" / "demo" / "study.yaml"
GRASSROOTS = "grassroots_governance"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_full")
    generate_demo(folder, sample_scale=1.0)
    return run_study(load_study(DEMO_SPEC, data_dir=folder)), folder


@pytest.fixture(scope="module")
def demo(run):
    result, folder = run
    truth = json.loads((folder / "truth" / "truth.json").read_text(encoding="utf-8"))["instruments"][GRASSROOTS]
    return result.designs[GRASSROOTS].design, result.study.questionnaires[GRASSROOTS], truth


# ------------------------------------------------------------------------------------------ the demo city
def test_group_comparisons_find_the_planted_age_gradient(demo):
    design, questionnaire, _ = demo
    result = group_comparisons(design, questionnaire)
    assert result.measure_id == questionnaire.headline.id
    assert [c.variable for c in result] == ["district", "mode", "sex", "age_group"]
    assert scenario.SATISFACTION_MODEL.age_effect == tuple(sorted(scenario.SATISFACTION_MODEL.age_effect))
    age = result.comparison("age_group")
    assert age.test_method == "rao_scott_f" and age.p_value < 1e-4
    below = {group.value for group in age.below}
    assert 1 in below and not below & {4, 5, 6}  # the youngest are below the rest, the oldest are not
    assert all(group.above for group in age.groups if group.value == 6) or age.groups[-1].adjusted_p_value > 0.05
    rates = [group.estimate.estimate for group in age.groups]
    assert stats.spearmanr(rates, range(len(rates))).statistic > 0.9
    frame = result.to_frame()
    assert len(frame) == sum(len(c.groups) for c in result) and set(frame["variable"]) == {"district", "mode", "sex",
                                                                                          "age_group"}
    assert (frame["adjusted_p_value"] >= frame["p_value"] - 1e-15).all()
    # a comparison by one variable alone has no other variable to hold fixed
    assert math.isnan(group_comparisons(design, questionnaire, by=["sex"]).comparison("sex").controlled_p_value)
    assert frame["controlled_p_value"].notna().all()
    # the group rates are the report's own numbers (the measure table's domain estimates)
    table = surveys.measure_table(design, questionnaire, domains=["age_group"], measures=[result.measure_id])
    youngest = table.find(result.measure_id, domain_variable="age_group", domain_value=1).estimate
    assert age.groups[0].estimate == youngest
    zh, en = result.findings("zh"), result.findings("en")
    assert len(zh) == len(en) == 4 and "18–29岁" in zh[3] and "18–29" in en[3]
    assert "Holm" in result.multiplicity_note("zh") and "Holm" in result.multiplicity_note("en")


def test_the_planted_district_effect_urban_below_the_counties(demo):
    design, questionnaire, _ = demo
    assert scenario.SATISFACTION_MODEL.urban_effect < 0
    urban_codes = [district.code for district in scenario.DISTRICTS if district.urban]
    satisfied = measure_values(design.data, questionnaire, questionnaire.headline).values
    district = design.data["district"]
    urban = np.where(district.isna(), np.nan, district.isin(urban_codes).astype(float))
    derived = design.with_columns(satisfied=satisfied, urban=urban)
    difference = surveys.difference_test(derived, "satisfied", "urban")
    assert difference.second == "1" and difference.difference < 0 and difference.ci_high < 0
    # and the counties' rates lie above the urban districts' in the group comparison
    comparison = group_comparisons(design, questionnaire, by=["district"]).comparison("district")
    county = [g.estimate.estimate for g in comparison.groups if g.value not in urban_codes]
    city = [g.estimate.estimate for g in comparison.groups if g.value in urban_codes]
    assert np.mean(county) > np.mean(city)


def test_the_planted_districts_and_no_other_are_below_the_rest(demo):
    design, questionnaire, truth = demo
    planted = {int(code) for code, shift in truth["model"]["planted"]["district"].items() if shift < 0}
    assert planted == {code for code, shift in scenario.INSTRUMENTS[GRASSROOTS].effects.district.items() if shift < 0}
    comparison = group_comparisons(design, questionnaire, by=["district"]).comparison("district")
    assert comparison.significant and comparison.p_value < 1e-3
    assert {group.value for group in comparison.below} == planted
    lowest = sorted(comparison.groups, key=lambda group: group.estimate.estimate)[:len(planted)]
    assert {group.value for group in lowest} == planted


def test_the_planted_mode_effect_online_answers_are_more_critical(demo):
    design, questionnaire, truth = demo
    assert truth["model"]["planted"]["online"] < 0
    result = group_comparisons(design, questionnaire, by=["mode"])
    online = next(g for g in result.comparison("mode").groups if g.value == "online")
    assert online.below
    # the group comparisons say so themselves: with district, sex and age group held fixed the difference remains
    mode = group_comparisons(design, questionnaire).comparison("mode")
    assert mode.controlled_p_value < 0.01 and [name.zh for name in mode.controlled_by] == ["区县", "性别", "年龄组"]
    assert "在区县、性别、年龄组相同的受访者中，差异仍然显著" in group_comparisons(design, questionnaire).findings("zh")[1]
    # not only a younger, more urban sample: with district, age group and sex held fixed the gap remains
    satisfied = measure_values(design.data, questionnaire, questionnaire.headline).values
    derived = design.with_columns(satisfied=satisfied)
    model = surveys.regression(derived, "satisfied ~ factor(district) + factor(age_group) + sex + mode",
                               family="logistic")
    paper = model.coefficient("modepaper")
    assert paper.ci_low > 0 and paper.p_value < 0.01
    assert model.term_test("factor(age_group)").p_value < 1e-4


def test_drivers_find_the_planted_importances_and_rank_the_items_as_planted(demo):
    design, questionnaire, truth = demo
    analysis = drivers(design, questionnaire)
    planted = truth["model"]["alpha"]
    loadings = truth["model"]["planted"]["importance"]
    items = [item.item_id for item in analysis.items]
    assert "overall" not in items and set(items) <= set(planted)
    performance = [analysis.item(i).performance.estimate for i in items]
    assert stats.spearmanr(performance, [planted[i] for i in items]).statistic > 0.85
    lowest = min(items, key=lambda i: planted[i])
    assert analysis.item(lowest).performance.estimate == min(performance)
    # the items the overall answer follows are the most important, in the order of their loadings
    by_importance = sorted(analysis.items, key=lambda item: -item.importance)
    assert [item.item_id for item in by_importance[:len(loadings)]] == sorted(loadings, key=lambda i: -loadings[i])
    assert all(analysis.item(i).importance_ci_low > 0 for i in loadings)
    # 先改进: the followed items rated below the others, most important first
    mean_alpha = np.mean([planted[i] for i in items])
    rated_low = [i for i in sorted(loadings, key=lambda i: -loadings[i]) if planted[i] < mean_alpha]
    assert [item.item_id for item in analysis.priorities] == rated_low == ["workload_relief", "non_interference"]
    assert {item.quadrant for item in analysis.items} <= set(QUADRANTS)
    for item in analysis.items:
        important = item.importance >= analysis.importance_cut
        rated = item.performance.estimate >= analysis.performance_cut
        assert item.quadrant == {(True, True): "strength", (False, True): "maintain", (True, False): "improve",
                                 (False, False): "opportunity"}[(important, rated)]
    assert [item.priority for item in analysis.priorities] == list(range(1, len(analysis.priorities) + 1))
    assert all(item.quadrant == "improve" for item in analysis.priorities)
    frame = analysis.to_frame()
    assert list(frame["item_id"]) == items and frame["quadrant_zh"].isin([n.zh for n in QUADRANT_NAMES.values()]).all()
    assert analysis.summary("zh").startswith("先改进") and analysis.summary("en").startswith("Improve first")
    assert analysis.item("election_fairness").no_answer_share > 0.3  # asked of voters only: its own indicator
    assert "election_fairness__no_answer" in " ".join(analysis.model.terms)


def test_scale_reliability_of_the_demo_scales(demo):
    design, questionnaire, _ = demo
    result = scale_reliability(design, questionnaire)
    assert [s.measure_id for s in result] == ["self_governance_composite_rate", "satisfaction_index"]
    for scale in result:
        alpha = scale.alpha
        assert 0.8 < alpha.ci_low < alpha.estimate < alpha.ci_high < 1.0  # correlated items (person effect)
        assert all(0.4 < r < 1 for r in alpha.item_rest_correlations)
        assert scale.scoring == "scores"
    assert len(result.item_frame()) == 7 + 8
    assert "Cronbach" in result.scale("satisfaction_index").summary("en")
    assert "效度" in result.method_note("zh") and "validity" in result.method_note("en")


def test_the_chart_draws_the_demo_drivers(demo):
    design, questionnaire, _ = demo
    from surveys.charts import importance_performance_chart

    figure = importance_performance_chart(drivers(design, questionnaire), lang="en")
    assert figure.axes[0].get_xlabel().startswith("Satisfaction rate")


def test_answers_that_separate_a_model_give_no_certain_looking_number(demo):
    """A group where everyone is satisfied separates a logistic model: the coefficient runs off and its linearized
    variance collapses. The controlled test leaves such a variable out; the driver analysis refuses."""
    design, questionnaire, _ = demo
    county = design.data["district"] == 10
    everyone = design.with_columns(overall=design.data["overall"].where(~county, 1))  # 非常满意 in 石桥县
    comparisons = group_comparisons(everyone, questionnaire)
    assert math.isnan(comparisons.comparison("district").controlled_p_value)
    mode = comparisons.comparison("mode")
    assert math.isfinite(mode.controlled_p_value) and "区县" not in [name.zh for name in mode.controlled_by]
    relief = design.data["workload_relief"]
    follows = design.with_columns(overall=design.data["overall"].where(~relief.isin([1, 2, 3]), 2))
    with pytest.raises(EstimationError, match="separate the driver model.*'workload_relief'"):
        drivers(follows, questionnaire)


# ------------------------------------------------------------------------------------------ the run's stage
def _target(result, questionnaire_id):
    return next(row for row in result.scoreboard if row.source.startswith(questionnaire_id + "/"))


def test_the_run_keeps_each_analysis_once_per_survey_target(run, tmp_path):
    result, _ = run
    survey = [row for row in result.scoreboard if row.source_kind == "survey"]
    assert list(result.group_comparisons) == list(result.drivers) == [row.target_id for row in survey]
    assert list(result.reliability) == [row.source.partition("/")[0] for row in survey]
    row = _target(result, GRASSROOTS)
    groups = result.group_comparisons[row.target_id]
    # the group rates are the run's measure-table rows, not computed again
    table = result.measures[GRASSROOTS]
    for comparison in groups:
        for group in comparison.groups:
            assert group.estimate is table.find(groups.measure_id, domain_variable=comparison.variable,
                                                domain_value=group.value).estimate
    # the same figures as the analyses run on their own
    design, questionnaire = result.designs[GRASSROOTS].design, result.study.questionnaires[GRASSROOTS]
    alone = group_comparisons(design, questionnaire, by=[c.variable for c in groups])
    assert [c.p_value for c in alone] == pytest.approx([c.p_value for c in groups], rel=1e-12)
    assert [g.adjusted_p_value for c in alone for g in c.groups] == pytest.approx(
        [g.adjusted_p_value for c in groups for g in c.groups], rel=1e-12)
    assert drivers(design, questionnaire).to_frame().equals(result.drivers[row.target_id].to_frame())
    # market supervision: two items asked of market entities only share one "no answer" indicator
    market = result.drivers[_target(result, "market_supervision").target_id]
    assert market.item("inspection_fairness").no_answer_share > 0.3
    assert sum(term.endswith("__no_answer") for term in market.model.terms) == 1
    frames = {"group_comparisons.csv": result.group_comparisons_frame(), "drivers.csv": result.drivers_frame(),
              "reliability.csv": result.reliability_frame(), "reliability_items.csv": result.reliability_items_frame()}
    assert len(frames["group_comparisons.csv"]) == sum(len(c.groups) for g in result.group_comparisons.values()
                                                       for c in g)
    assert list(frames["drivers.csv"].columns[:3]) == ["target_id", "questionnaire", "measure_id"]
    from surveys.cli.results import write_outputs

    written = {path.name: path for path in write_outputs(result, tmp_path)}
    for name, frame in frames.items():
        assert len(pd.read_csv(written[name], encoding="utf-8-sig")) == len(frame) > 0


def test_the_spec_switches_each_analysis_off(tmp_path):
    import dataclasses

    from surveys.study.spec import AnalysisSpec

    generate_demo(tmp_path, sample_scale=0.4, instruments=[GRASSROOTS])
    study = load_study(tmp_path / "study.yaml")
    result = run_study(dataclasses.replace(study, analysis=AnalysisSpec(groups=True, drivers=False,
                                                                         reliability=False)))
    assert len(result.group_comparisons) == 1 and not result.drivers and not result.reliability
    assert result.drivers_frame().empty and result.reliability_items_frame().empty
    result = run_study(dataclasses.replace(study, analysis=AnalysisSpec(False, False, False)))
    assert not result.group_comparisons and result.group_comparisons_frame().empty


# ------------------------------------------------------------------------------------------ pieces
def test_holm_and_bonferroni_match_r_p_adjust():
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert np.allclose(adjust_p_values(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    assert np.allclose(adjust_p_values(p, "bonferroni"), [0.05, 0.1, 0.15, 0.2, 0.25])
    shuffled = adjust_p_values([0.04, math.nan, 0.01, 0.3], "holm")
    assert math.isnan(shuffled[1]) and np.allclose(shuffled[[0, 2, 3]], [0.08, 0.03, 0.3])
    with pytest.raises(EstimationError, match="unknown adjustment"):
        adjust_p_values(p, "fdr")


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(5)
    n = 300
    person = rng.normal(size=n)
    frame = pd.DataFrame({f"q{i}": np.round(3 + person + rng.normal(scale=0.9, size=n)) for i in range(1, 5)})
    frame["psu"] = np.repeat(np.arange(30), 10)
    frame["weight"] = rng.uniform(1, 4, n)
    return frame


def test_alpha_with_equal_weights_is_the_textbook_formula(scores):
    items = ["q1", "q2", "q3", "q4"]
    alpha = cronbach_alpha(surveys.SurveyDesign(scores), items)
    values = scores[items].to_numpy()
    k = len(items)
    textbook = k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / values.sum(axis=1).var(ddof=1))
    assert alpha.estimate == pytest.approx(textbook, rel=1e-12)
    rest = values.sum(axis=1)[:, None] - values
    assert alpha.item_rest_correlations[0] == pytest.approx(np.corrcoef(values[:, 0], rest[:, 0])[0, 1], rel=1e-10)
    assert alpha.df == len(scores) - 1


def test_alpha_interval_agrees_with_the_jackknife(scores):
    items = ["q1", "q2", "q3", "q4"]
    design = surveys.SurveyDesign(scores, ids="psu", weights="weight")
    linear = cronbach_alpha(design, items)
    jackknife = cronbach_alpha(design.to_replicate("JK1"), items)
    assert jackknife.estimate == pytest.approx(linear.estimate, rel=1e-12)
    assert jackknife.std_error == pytest.approx(linear.std_error, rel=0.15)
    assert linear.df == 29 and linear.ci_low < linear.estimate < linear.ci_high
    with pytest.raises(EstimationError, match="at least two items"):
        cronbach_alpha(design, ["q1"])


def test_group_comparisons_of_an_index_use_the_wald_test_and_errors_are_explained(demo):
    design, questionnaire, _ = demo
    result = group_comparisons(design, questionnaire, "satisfaction_index", by=["sex"])
    assert result.statistic == "mean" and result.comparison("sex").test_method == "wald_f"
    with pytest.raises(EstimationError, match="not in the data"):
        group_comparisons(design, questionnaire, by=["no_such_column"])
    with pytest.raises(EstimationError, match="unknown adjustment"):
        group_comparisons(design, questionnaire, adjustment="fdr")
    with pytest.raises(EstimationError, match="not a rated item"):
        drivers(design, questionnaire, items=["district", "sex"])


def test_scales_without_scores_use_the_satisfied_indicator_and_an_index_outcome_is_linear(demo):
    import dataclasses

    design, questionnaire, _ = demo
    unscored = {scale_id: dataclasses.replace(scale, categories=tuple(dataclasses.replace(c, score=None)
                                                                      for c in scale.categories))
                for scale_id, scale in questionnaire.scales.items()}
    plain = dataclasses.replace(questionnaire, scales=unscored)
    scale = scale_reliability(design, plain, ["self_governance_composite_rate"]).scale("self_governance_composite_rate")
    assert scale.scoring == "satisfied"
    items = list(questionnaire.measure("self_governance_composite_rate").items)
    codes = design.data[items].to_numpy(dtype=float)
    satisfied = np.where(np.isnan(codes) | (codes == 9), np.nan, (codes <= 3).astype(float))  # KR-20 on 0/1
    assert scale.alpha.estimate == pytest.approx(cronbach_alpha(design, items, scores=satisfied).estimate, rel=1e-12)
    index = drivers(design, questionnaire, "satisfaction_index",
                    items=["affairs_openness", "democratic_decision", "workload_relief"])
    assert index.family == "gaussian" and "linear" in index.method_note("en")
    assert all(item.importance > 0 for item in index.items)
