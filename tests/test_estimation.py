"""The model and test engine beyond the R reference cases: R's formula rules, invariants that tie the new
estimators to the existing ones (a two-group regression is a difference of domain means, a replicate fit is a
loop of weighted fits), and the errors bad input gets."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import surveys
from surveys.errors import EstimationError
from surveys.estimation import model_frame, parse_formula
from surveys.estimation.saddlepoint import chisq_sum_tail, f_sum_tail


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(16)
    n = 400
    frame = pd.DataFrame({
        "stratum": np.repeat(["a", "b", "c", "d"], n // 4),
        "psu": np.repeat(np.arange(40), n // 40),
        "weight": rng.uniform(5, 50, n),
        "x": rng.normal(size=n),
        "group": rng.choice(["北", "南", "中"], n),
        "flag": rng.random(n) < 0.4,
        "code": rng.integers(1, 4, n),
    })
    eta = -0.3 + 0.8 * frame["x"] + np.where(frame["group"] == "南", -0.7, 0.2) + 0.5 * frame["flag"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["score"] = 60 + 8 * frame["x"] + rng.normal(scale=5, size=n)
    return frame


@pytest.fixture(scope="module")
def design(sample):
    return surveys.SurveyDesign(sample, ids="psu", strata="stratum", weights="weight", nest=True)


# ------------------------------------------------------------------------------------------ formulas
def test_terms_come_in_r_order():
    formula = parse_formula("y ~ b:a + a * c + b")
    assert formula.term_labels == ("a", "c", "b", "b:a", "a:c")
    assert formula.intercept
    assert not parse_formula("y ~ x - 1").intercept and not parse_formula("y ~ 0 + x").intercept
    assert parse_formula("y ~ (a + b)^1".replace("^1", "")).term_labels == ("a", "b")
    assert parse_formula("y ~ `sch.wide` + factor(race)").term_labels == ("sch.wide", "factor(race)")


@pytest.mark.parametrize("text", ["y ~", "~ a +", "y ~ log(x)", "y ~ a ^ 2", "y + z ~ a", "y ~ (a + b", "a + b"])
def test_malformed_formulas_are_explained(text):
    with pytest.raises(EstimationError, match="formula|response"):
        parse_formula(text)


def test_model_matrix_names_and_columns_follow_r(sample):
    frame = model_frame("y ~ x * group + flag", sample)
    assert frame.names == ("(Intercept)", "x", "group北", "group南", "flagTRUE", "x:group北", "x:group南")
    column = frame.names.index("x:group南")
    assert np.array_equal(frame.matrix[:, column], sample["x"].to_numpy() * (sample["group"] == "南").to_numpy())
    chosen = model_frame("y ~ group", sample, levels={"group": ["南", "北", "中"]})
    assert chosen.names == ("(Intercept)", "group北", "group中")
    numeric = model_frame("y ~ factor(code)", sample)
    assert numeric.names == ("(Intercept)", "factor(code)2", "factor(code)3")


def test_interaction_without_its_margin_takes_every_level(sample):
    frame = model_frame("y ~ x:group", sample)
    assert frame.names == ("(Intercept)", "x:group中", "x:group北", "x:group南")
    no_intercept = model_frame("y ~ group + x - 1", sample)
    assert no_intercept.names == ("group中", "group北", "group南", "x")


def test_missing_values_leave_the_frame_and_empty_levels_go(sample):
    data = sample.copy()
    data.loc[:9, "x"] = np.nan
    data.loc[10:14, "group"] = None
    frame = model_frame("y ~ x + group", data)
    assert len(frame.rows) == len(data) - 15 and not frame.complete[:15].any()
    weights = np.where(data["group"] == "中", 0.0, 1.0)
    assert model_frame("y ~ x + group", data, weights=weights).levels["group"] == ("北", "南")


# ------------------------------------------------------------------------------------------ regression
def test_linear_regression_is_weighted_least_squares(sample, design):
    model = surveys.regression(design, "score ~ x + group")
    frame = model_frame("score ~ x + group", sample)
    root = np.sqrt(sample["weight"].to_numpy())
    expected, *_ = np.linalg.lstsq(frame.matrix * root[:, None], frame.response * root, rcond=None)
    assert np.allclose([c.estimate for c in model.coefficients], expected, rtol=1e-12, atol=1e-12)
    assert model.df == design.degrees_of_freedom + 1 - 4
    table = model.to_frame()
    assert list(table["term"]) == ["(Intercept)", "x", "group北", "group南"] and table["odds_ratio"].isna().all()
    same = surveys.regression(design, response="score", predictors=["x", "group"])
    assert np.allclose(same.covariance, model.covariance, rtol=1e-12)


def test_logistic_coefficients_solve_the_weighted_score_equations(sample, design):
    model = surveys.regression(design, "y ~ x + group + flag", family="logistic")
    frame = model_frame("y ~ x + group + flag", sample)
    beta = np.array([c.estimate for c in model.coefficients])
    mu = 1 / (1 + np.exp(-frame.matrix @ beta))
    score = frame.matrix.T @ (sample["weight"].to_numpy() * (frame.response - mu))
    assert np.abs(score).max() < 1e-8 * sample["weight"].sum()
    odds = model.coefficient("x")
    assert odds.odds_ratio == pytest.approx(math.exp(odds.estimate))
    assert odds.odds_ratio_ci_low == pytest.approx(math.exp(odds.ci_low))
    assert model.coefficient("group南").estimate < 0 < model.coefficient("x").estimate


def test_two_group_regression_is_the_difference_of_domain_means(sample, design):
    difference = surveys.difference_test(design, "score", "flag")
    means = surveys.domain_means(design, "score", "flag")
    contrast = means.difference("TRUE", "FALSE")
    assert difference.difference == pytest.approx(contrast.estimate, rel=1e-10)
    assert difference.std_error == pytest.approx(contrast.std_error, rel=1e-10)
    by = design.by("flag").mean("score")
    assert np.allclose(means.estimates, [row.estimate for row in by], rtol=1e-12)
    assert np.allclose(means.std_errors, [row.std_error for row in by], rtol=1e-10)
    assert difference.df == design.degrees_of_freedom - 1
    low, high = difference.ci_low, difference.ci_high
    assert high - low == pytest.approx(2 * stats.t.ppf(0.975, difference.df) * difference.std_error)


def test_a_domain_regression_keeps_the_design(sample, design):
    domain = design.subset(sample["group"] != "中")
    model = surveys.regression(domain, "score ~ x")
    filtered = surveys.SurveyDesign(sample[sample["group"] != "中"], ids="psu", strata="stratum", weights="weight",
                                    nest=True)
    naive = surveys.regression(filtered, "score ~ x")
    assert model.coefficient("x").estimate == pytest.approx(naive.coefficient("x").estimate, rel=1e-12)
    assert model.respondents == int((sample["group"] != "中").sum())


def test_replicate_regression_refits_each_replicate(sample, design):
    replicate = design.to_replicate("JKn")
    model = surveys.regression(replicate, "score ~ x")
    frame = model_frame("score ~ x", sample)
    betas = []
    for column in replicate.replicate_weights.T:
        root = np.sqrt(column)
        betas.append(np.linalg.lstsq(frame.matrix * root[:, None], frame.response * root, rcond=None)[0])
    betas = np.array(betas)
    expected = replicate.scale * ((betas - betas.mean(axis=0)) ** 2 * replicate.rscales[:, None]).sum(axis=0)
    assert np.allclose(np.diag(model.covariance), expected, rtol=1e-9)
    assert model.variance_method == "replicate" and math.isnan(model.dispersion)


def test_regression_errors_say_what_to_do(sample, design):
    data = sample.assign(twice=2 * sample["x"], rate=sample["score"] / 10, only=1.0)
    bad = surveys.SurveyDesign(data, ids="psu", strata="stratum", weights="weight", nest=True)
    with pytest.raises(EstimationError, match="linear combinations"):
        surveys.regression(bad, "score ~ x + twice")
    with pytest.raises(EstimationError, match="between 0 and 1"):
        surveys.regression(bad, "rate ~ x", family="quasibinomial")
    with pytest.raises(EstimationError, match="unknown family"):
        surveys.regression(bad, "score ~ x", family="poisson")
    with pytest.raises(EstimationError, match="not in the data"):
        surveys.regression(bad, "score ~ nothing")
    with pytest.raises(EstimationError, match="either a formula"):
        surveys.regression(bad, "score ~ x", response="score")
    separated = data.assign(y=(data["x"] > 0).astype(float))
    with pytest.raises(EstimationError, match="separates"):
        surveys.regression(surveys.SurveyDesign(separated, weights="weight"), "y ~ x", family="logistic")


# ------------------------------------------------------------------------------------------ tables and tests
def test_pearson_statistic_is_the_scaled_weighted_table(sample, design):
    test = surveys.association_test(design, "group", "flag")
    table = pd.crosstab(sample["group"], sample["flag"], values=sample["weight"], aggfunc="sum").to_numpy()
    scaled = table * len(sample) / table.sum()
    expected = stats.chi2_contingency(scaled, correction=False)[0]
    assert test.pearson_chi_square == pytest.approx(expected, rel=1e-12)
    assert test.statistic == pytest.approx(expected / sum(test.design_effects), rel=1e-10)
    assert test.proportion_frame().to_numpy().sum() == pytest.approx(1.0)
    assert test.row_levels == ("中", "北", "南") and test.column_levels == ("FALSE", "TRUE")
    for statistic in ("Chisq", "Wald", "adjWald", "saddlepoint"):
        other = surveys.association_test(design, "group", "flag", statistic=statistic)
        assert 0.0 <= other.p_value <= 1.0
    with pytest.raises(EstimationError, match="unknown statistic"):
        surveys.association_test(design, "group", "flag", statistic="likelihood_ratio")
    lincom = surveys.association_test(design, "group", "flag", statistic="lincom")
    saddle = surveys.association_test(design, "group", "flag", statistic="saddlepoint")
    assert lincom.p_value == saddle.p_value and lincom.method == "lincom"


def test_saddlepoint_tail_is_close_to_the_exact_chi_square():
    for x, k in [(3.0, 1), (12.0, 4), (30.0, 10)]:
        assert chisq_sum_tail(x, np.ones(k)) == pytest.approx(stats.chi2.sf(x, k), rel=0.05)
    # near the mean R falls back on the Satterthwaite approximation, so do we
    assert chisq_sum_tail(4.0, np.ones(4)) == pytest.approx(stats.chi2.sf(4.0, 4), rel=1e-12)
    assert f_sum_tail(10.0, np.ones(2), math.inf) == chisq_sum_tail(10.0, np.ones(2))
    assert f_sum_tail(20.0, np.ones(2), 1e6) == pytest.approx(chisq_sum_tail(20.0, np.ones(2)), rel=1e-3)


def test_contrasts_of_domain_means(sample, design):
    means = surveys.domain_means(design, "score", "group")
    a = np.array([1.0, -0.5, -0.5])
    contrast = means.contrast(dict(zip(means.levels, a)))
    assert contrast.estimate == pytest.approx(a @ means.estimates)
    assert contrast.std_error == pytest.approx(math.sqrt(a @ means.covariance @ a))
    assert contrast.df == math.inf and contrast.ci_high - contrast.estimate == pytest.approx(
        stats.norm.ppf(0.975) * contrast.std_error)
    ratio = means.ratio("北", "南")
    assert ratio.estimate == pytest.approx(means.estimates[1] / means.estimates[2])
    with pytest.raises(EstimationError, match="no level"):
        means.ratio("东", "南")
    with pytest.raises(EstimationError, match="exactly two groups"):
        surveys.difference_test(design, "score", "group")
