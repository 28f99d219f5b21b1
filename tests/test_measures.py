"""Measures on a weighted design: both bases, skip logic, index and composites by hand, domains equal
subset(), NCHS reliability flags, the paper − online difference against a direct computation."""
from __future__ import annotations

import dataclasses
import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveys import SurveyDesign, Text, load_questionnaire
from surveys.errors import EstimationError
from surveys.estimation.results import Estimate
from surveys.indicators.measures import (
    NCHS_PROPORTION_STANDARD,
    assess_reliability,
    estimate_measure,
    measure_table,
    measure_values,
)
from surveys.indicators.modes import mode_difference
from surveys.questionnaire import Measure

QUESTIONNAIRES = pathlib.Path(__file__).resolve().parent.parent / "questionnaires"


@pytest.fixture(scope="module")
def market():
    return load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")


@pytest.fixture(scope="module")
def awareness():
    return load_questionnaire(QUESTIONNAIRES / "legal_awareness.yaml")


def synthetic_responses(questionnaire, rows: int, seed: int) -> pd.DataFrame:
    """Answer codes for every single-choice item (don't-know included), skip logic applied (NaN when not
    asked), a survey mode and positive weights."""
    rng = np.random.default_rng(seed)
    data = {}
    for item in questionnaire.items:
        if item.type != "single":
            continue
        scale = questionnaire.scale_of(item.id)
        shares = np.array([3.0 if c.satisfied else (0.6 if c.dont_know else 1.0) for c in scale.categories])
        data[item.id] = rng.choice(np.asarray(scale.codes, dtype=float), size=rows, p=shares / shares.sum())
    frame = pd.DataFrame(data)
    for item in questionnaire.items:
        if item.id in frame and item.asked_if:
            asked = np.ones(rows, dtype=bool)
            for condition in item.asked_if:
                trigger = frame[condition.item]
                matched = trigger.isin(condition.values).to_numpy()
                asked &= (~matched if condition.negate else matched) & trigger.notna().to_numpy()
            frame.loc[~asked, item.id] = np.nan
    frame["mode"] = rng.choice(["paper", "online"], size=rows)
    frame["weight"] = rng.uniform(1.0, 4.0, size=rows)
    return frame


@pytest.fixture(scope="module")
def frame(market):
    return synthetic_responses(market, 600, seed=7)


@pytest.fixture(scope="module")
def design(frame):
    return SurveyDesign(frame, weights="weight", strata="district")


@pytest.fixture(scope="module")
def table(design, market):
    return measure_table(design, market)


def weighted_share(frame: pd.DataFrame, positive: np.ndarray, base: np.ndarray) -> float:
    weights = frame["weight"].to_numpy()
    return float(np.sum(weights * positive * base) / np.sum(weights * base))


# --- bases ---------------------------------------------------------------------------------------
def test_both_bases_are_computed_and_differ_when_dont_know_exists(table, frame):
    overall = frame["overall"].to_numpy()
    all_base = table.find("overall_rate", base="all")
    excluding = table.find("overall_rate", base="exclude_dont_know")
    positive = np.isin(overall, [1, 2, 3])
    assert (overall == 9).any()
    assert all_base.estimate.estimate == pytest.approx(weighted_share(frame, positive, ~np.isnan(overall)), abs=1e-12)
    assert excluding.estimate.estimate == pytest.approx(
        weighted_share(frame, positive, ~np.isnan(overall) & (overall != 9)), abs=1e-12)
    assert excluding.estimate.estimate > all_base.estimate.estimate
    assert all_base.used_for_verdict and not excluding.used_for_verdict
    assert all_base.estimate.respondents == excluding.estimate.respondents + int((overall == 9).sum())
    # the measure whose own base excludes don't-know uses that base for the verdict
    assert table.find("overall_rate_excluding_dont_know").base == "exclude_dont_know"


def test_labels_say_the_positive_set_and_the_base(table):
    row = table.find("overall_rate", base="all")
    assert row.positive_set.zh == "非常满意、满意、基本满意"
    assert "不了解" in row.base_label.zh and "跳题" in row.base_label.zh
    assert "don't-know" in row.base_label.en
    strict = table.find("overall_rate_strict")
    assert strict.positive_set.zh == "非常满意、满意"
    index = table.find("satisfaction_index")
    assert "100" in index.positive_set.zh and "不含" in index.base_label.zh


def test_skipped_items_are_never_in_the_base(market, frame):
    # a stray answer on an enterprise-only item from a resident (not asked by skip logic) must be ignored
    stray = frame.copy()
    residents = np.flatnonzero(stray["respondent_type"].to_numpy() == 1)[:5]
    stray.loc[residents, "market_access"] = 1.0
    design = SurveyDesign(stray, weights="weight")
    measure = Measure("access_rate", "rate", ("market_access",), Text("准入", "access"))
    estimate = estimate_measure(design, market, measure)
    asked = frame["respondent_type"].isin([2, 3, 4]).to_numpy()
    answers = frame["market_access"].to_numpy()
    base = asked & ~np.isnan(answers)
    assert estimate.respondents == int(base.sum())
    assert estimate.estimate == pytest.approx(weighted_share(frame, np.isin(answers, [1, 2, 3]), base), abs=1e-12)


# --- index and composites by hand ----------------------------------------------------------------
def test_index_is_the_sum_of_shares_times_scores(market, frame, design):
    measure = Measure("overall_index", "index", ("overall",), Text("指数", "index"))
    estimate = estimate_measure(design, market, measure)
    answers = frame["overall"].to_numpy()
    weights = frame["weight"].to_numpy()
    scored = np.isin(answers, [1, 2, 3, 4, 5])
    shares = {code: weights[answers == code].sum() / weights[scored].sum() for code in (1, 2, 3, 4, 5)}
    by_hand = sum(shares[code] * score for code, score in zip((1, 2, 3, 4, 5), (100, 80, 60, 30, 0)))
    assert estimate.estimate == pytest.approx(by_hand, abs=1e-10)
    assert estimate.respondents == int(scored.sum())
    assert estimate.ci_method == "t"
    q = stats.t.ppf(0.975, design.degrees_of_freedom)
    assert estimate.ci_high - estimate.estimate == pytest.approx(q * estimate.std_error)


def test_composite_respondent_mean_and_pooled_by_hand(market, frame, design):
    measure = market.measure("supervision_composite_rate")
    scores = []
    for item_id in measure.items:
        answers = frame[item_id].to_numpy()
        scores.append(np.where(np.isnan(answers), np.nan, np.isin(answers, [1, 2, 3]).astype(float)))
    matrix = np.column_stack(scores)
    weights = frame["weight"].to_numpy()
    per_respondent = np.nanmean(matrix, axis=1)
    mean = estimate_measure(design, market, measure)
    assert mean.estimate == pytest.approx(np.sum(weights * per_respondent) / weights.sum(), abs=1e-12)
    pooled = estimate_measure(design, market, measure, composite="pooled")
    positives, counts = np.nansum(matrix, axis=1), (~np.isnan(matrix)).sum(axis=1)
    assert pooled.estimate == pytest.approx(np.sum(weights * positives) / np.sum(weights * counts), abs=1e-12)
    assert pooled.statistic == "ratio" and mean.statistic == "mean"


def test_correct_rate_counts_dont_know_as_not_correct(awareness):
    frame = synthetic_responses(awareness, 300, seed=3)
    design = SurveyDesign(frame, weights="weight")
    measure = awareness.measure("awareness_rate")
    keys = [awareness.item(item_id).correct_answer for item_id in measure.items]
    correct = np.column_stack([(frame[i].to_numpy() == k).astype(float) for i, k in zip(measure.items, keys)])
    weights = frame["weight"].to_numpy()
    estimate = estimate_measure(design, awareness, measure, base="all")
    assert estimate.estimate == pytest.approx(np.sum(weights * correct.mean(axis=1)) / weights.sum(), abs=1e-12)
    excluding = estimate_measure(design, awareness, measure, base="exclude_dont_know")
    assert excluding.estimate > estimate.estimate


# --- domains ---------------------------------------------------------------------------------------
def test_domain_rows_equal_subset_estimates(table, design, market, frame):
    for district in (1, 4, 10):
        row = table.find("overall_rate", domain_variable="district", domain_value=district)
        alone = estimate_measure(design.subset(frame["district"].to_numpy() == district), market, "overall_rate")
        for name in ("estimate", "std_error", "ci_low", "ci_high", "respondents"):
            assert getattr(row.estimate, name) == pytest.approx(getattr(alone, name), rel=1e-10), name
        assert row.domain_label.zh == market.scale_of("district").label(district)
    mode_row = table.find("satisfaction_index", domain_variable="mode", domain_value="paper")
    alone = estimate_measure(design.subset(frame["mode"].to_numpy() == "paper"), market, "satisfaction_index")
    assert mode_row.estimate.estimate == pytest.approx(alone.estimate, rel=1e-12)
    assert mode_row.estimate.std_error == pytest.approx(alone.std_error, rel=1e-10)
    assert mode_row.domain_label.zh == "纸质问卷"


def test_table_has_the_tidy_columns_and_leaves_out_empty_domains(table, frame):
    result = table.to_frame()
    for column in ("measure_id", "label_zh", "label_en", "positive_set_zh", "base", "domain_variable", "domain_value",
                   "domain_label_zh", "estimate", "std_error", "ci_low", "ci_high", "df", "design_effect",
                   "respondents", "effective_sample_size", "reliability", "reliability_codes"):
        assert column in result.columns, column
    # enterprise-only items have no row for residents' sex or age domains (nobody in the base there)
    enterprise = result[result["measure_id"] == "enterprise_composite_rate"]
    assert not enterprise["domain_variable"].isin(["sex", "age_group"]).any()
    assert set(result["domain_variable"]) == {"", "district", "mode", "respondent_type", "sex", "age_group"}


def test_calibrated_design_keeps_its_adjustment(market, frame):
    population = {code: 1000.0 * code for code in range(1, 11)}
    with_column = frame.assign(y=np.where(frame["overall"].notna(), frame["overall"].isin([1, 2, 3]), np.nan))
    calibrated = SurveyDesign(with_column, weights="weight").poststratify("district", population)
    direct = calibrated.proportion("y", na_rm=True)
    derived = estimate_measure(SurveyDesign(frame, weights="weight").poststratify("district", population), market,
                               "overall_rate")
    assert derived.estimate == pytest.approx(direct.estimate, rel=1e-12)
    assert derived.std_error == pytest.approx(direct.std_error, rel=1e-10)


# --- reliability ---------------------------------------------------------------------------------
def test_a_tiny_domain_is_suppressed(market, frame):
    tiny = frame.copy()
    tiny.loc[tiny.index[:6], "district"] = 99.0  # six respondents in an extra domain
    table = measure_table(SurveyDesign(tiny, weights="weight"), market, measures=["overall_rate"], domains=["district"])
    row = table.find("overall_rate", domain_variable="district", domain_value=99)
    assert row.reliability.status == "suppress"
    assert "effective_size_below_minimum" in row.reliability.codes
    assert row.domain_label.zh == "99"  # a value outside the scale keeps its own text
    overall = table.find("overall_rate")
    assert overall.reliability.status == "ok" and overall.reliability.codes == ()


def proportion(p: float, std_error: float, respondents: int, df: float, kish: float | None = None) -> Estimate:
    extras = {"design_df": df} if kish is None else {"design_df": df, "kish_effective_size": kish}
    return Estimate(estimate=p, std_error=std_error, ci_low=math.nan, ci_high=math.nan, df=df,
                    respondents=respondents, statistic="proportion", extras=extras)


@pytest.mark.parametrize("record, status, code", [
    (proportion(0.5, 0.12, 200, 100, kish=17.0), "suppress", "effective_size_below_minimum"),  # Kish n_eff 17
    (proportion(0.5, 0.085, 200, 100), "suppress", "width_at_least_maximum"),        # n_eff ≈ 35, KG width > 0.30
    (proportion(0.06, 0.02, 400, 300), "suppress", "relative_width_above_maximum"),  # width ≈ 0.09 > 1.3 · 0.06
    (proportion(0.94, 0.02, 400, 300), "review", "complement_relative_width_above_maximum"),
    (proportion(0.8, 0.02, 400, 5), "review", "df_below_minimum"),
    (proportion(1.0, 0.0, 400, 300), "review", "zero_or_hundred_percent"),
    (proportion(0.8, 0.02, 400, 300), "ok", None),
])
def test_nchs_rules(record, status, code):
    result = assess_reliability(record)
    assert result.status == status
    if code:
        assert code in result.codes
    else:
        assert result.codes == ()


def test_reliability_thresholds_are_data():
    record = proportion(0.8, 0.04, 400, 300, kish=100.0)  # Kish n_eff = 100
    assert assess_reliability(record).status == "ok"
    stricter = {**NCHS_PROPORTION_STANDARD, "minimum_effective_size": 150.0}
    assert assess_reliability(record, thresholds=stricter).codes == ("effective_size_below_minimum",)


# --- paper − online --------------------------------------------------------------------------------
def test_mode_difference_matches_a_direct_computation(market, frame):
    design = SurveyDesign(frame, weights="weight")  # every row its own PSU, with replacement
    result = mode_difference(design, market, "overall_rate")
    answers, weights, mode = frame["overall"].to_numpy(), frame["weight"].to_numpy(), frame["mode"].to_numpy()
    y = np.isin(answers, [1, 2, 3]).astype(float)
    pieces = []
    for value in ("paper", "online"):
        inside = (mode == value) & ~np.isnan(answers)
        total = weights[inside].sum()
        p = np.sum(weights[inside] * y[inside]) / total
        pieces.append((p, np.where(inside, (y - p) / total, 0.0)))
    (p1, v1), (p2, v2) = pieces
    x = weights * (v1 - v2)
    n = len(x)
    variance = n / (n - 1) * np.sum((x - x.mean()) ** 2)
    assert result.difference == pytest.approx(p1 - p2, abs=1e-12)
    assert result.std_error == pytest.approx(math.sqrt(variance), rel=1e-10)
    q = stats.t.ppf(0.975, n - 1)
    assert result.ci_low == pytest.approx(p1 - p2 - q * result.std_error, rel=1e-10)


def test_mode_difference_with_mode_strata_is_the_root_sum_of_squares(market, frame):
    design = SurveyDesign(frame, weights="weight", strata="mode")
    result = mode_difference(design, market, "overall_rate", base="exclude_dont_know")
    values = measure_values(frame, market, "overall_rate", base="exclude_dont_know")
    by_mode = design.subset(~np.isnan(values.values))
    paper = estimate_measure(by_mode.subset(frame["mode"].to_numpy() == "paper"), market, "overall_rate",
                             base="exclude_dont_know")
    online = estimate_measure(by_mode.subset(frame["mode"].to_numpy() == "online"), market, "overall_rate",
                              base="exclude_dont_know")
    assert result.difference == pytest.approx(paper.estimate - online.estimate, abs=1e-12)
    assert result.std_error == pytest.approx(math.hypot(paper.std_error, online.std_error), rel=1e-10)
    assert result.first_respondents == paper.respondents


def test_mode_codes_are_resolved_through_the_weighting_variable(market, frame):
    coded = frame.assign(mode=frame["mode"].map({"paper": 1, "online": 2}))
    by_code = mode_difference(SurveyDesign(coded, weights="weight"), market, "overall_rate")
    by_key = mode_difference(SurveyDesign(frame, weights="weight"), market, "overall_rate")
    assert by_code.difference == pytest.approx(by_key.difference, abs=1e-12)
    assert dataclasses.asdict(by_code)["std_error"] == pytest.approx(by_key.std_error, rel=1e-12)


# --- errors ---------------------------------------------------------------------------------------
def test_missing_column_and_out_of_scale_codes_are_errors(market, frame):
    with pytest.raises(EstimationError, match="needs the column 'overall'"):
        estimate_measure(SurveyDesign(frame.drop(columns="overall"), weights="weight"), market, "overall_rate")
    broken = frame.copy()
    broken.loc[broken.index[0], "overall"] = 7.0
    with pytest.raises(EstimationError, match="outside its scale"):
        estimate_measure(SurveyDesign(broken, weights="weight"), market, "overall_rate")
    with pytest.raises(EstimationError, match="unknown base"):
        measure_values(frame, market, "overall_rate", base="everyone")


def test_a_multiple_choice_trigger_follows_the_any_code_rule():
    questionnaire = load_questionnaire(QUESTIONNAIRES / "social_stability.yaml")
    frame = pd.DataFrame({"contacted_authorities": [(1,), (2,), (), None, (1, 2)],
                          "petition_handling": [1.0, 1.0, 1.0, 1.0, 4.0], "weight": 1.0})
    values = measure_values(frame, questionnaire, Measure("petitions", "rate", ("petition_handling",),
                                                          Text("信访", "petitions")))
    assert np.isnan(values.values).tolist() == [False, True, True, True, False]
    assert np.nansum(values.values) == 1.0


def test_domains_default_to_the_weighting_variables_when_none(design, market):
    table = measure_table(design, market, measures=["overall_rate"], domains=None)
    assert {row.domain_variable for row in table} == {"", *(v.id for v in market.weighting)}
