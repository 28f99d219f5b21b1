"""Target verdicts: the published R `target80_*` arithmetic, and the verdict's invariants."""
from __future__ import annotations

import json
import math
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from surveys.errors import TargetError
from surveys.estimation.results import Estimate
from surveys.indicators.targets import JUDGED_VERDICTS, check_target, check_targets

_CASES = pathlib.Path(__file__).parent / "reference" / "r_survey" / "cases.json"
_SHARED_CASES = pathlib.Path(__file__).resolve().parents[2] / "shared" / "reference" / "r_survey" / "cases.json"


def _target_cases():
    path = _CASES if _CASES.exists() else _SHARED_CASES
    if not path.exists():
        return []
    return [case for case in json.loads(path.read_text(encoding="utf-8")) if case["group"] == "target80"]


def _mean_estimate(estimate, se, df, *, level=0.95, respondents=200):
    q = stats.norm.ppf(0.5 + level / 2)
    return Estimate(
        estimate=estimate, std_error=se, ci_low=estimate - q * se, ci_high=estimate + q * se, df=math.inf,
        respondents=respondents, ci_method="wald", level=level, statistic="mean", variable="sw",
        extras={"design_df": df},
    )


@pytest.mark.parametrize("case", _target_cases(), ids=lambda case: case["id"])
def test_target80_arithmetic_matches_r(case):
    r = case["results"]
    check = check_target(_mean_estimate(r["estimate"], r["se"], r["df"]), r["target"])
    got = {
        "moe_t95": check.margin_of_error,
        "t_stat": check.t_statistic,
        "p_value_one_sided_greater_t": check.p_value,
        "ci_low_t": check.ci_low,
        "ci_high_t": check.ci_high,
    }
    for field, value in got.items():
        assert value == pytest.approx(r[field], rel=1e-9, abs=1e-12), field
    assert (check.estimate >= r["target"]) == r["estimate_meets_target"]
    assert (check.verdict == "met") == r["ci_low_t_above_target"]
    assert (check.verdict == "not_met") == r["ci_high_t_below_target"]


def test_target80_cases_give_three_verdicts():
    cases = _target_cases()
    if not cases:
        pytest.skip("reference cases not available")
    verdicts = {case["id"]: check_target(_mean_estimate(case["results"]["estimate"], case["results"]["se"],
                                                         case["results"]["df"])).verdict for case in cases}
    assert verdicts["target80_clus1_sw"] == "met"
    assert verdicts["target80_strat_sw"] == "met_within_margin"
    assert verdicts["target80_srs_sw"] == "met_within_margin"


def _proportion(p, se, df=50.0, *, respondents=400):
    q = stats.t.ppf(0.975, df)
    return Estimate(
        estimate=p, std_error=se, ci_low=max(p - q * se, 0.0), ci_high=min(p + q * se, 1.0), df=df,
        respondents=respondents, ci_method="mean", level=0.95, statistic="proportion",
        extras={"design_df": df, "rows": respondents},
    )


def test_four_verdicts_and_rules():
    assert check_target(_proportion(0.90, 0.02)).verdict == "met"
    assert check_target(_proportion(0.82, 0.02)).verdict == "met_within_margin"
    assert check_target(_proportion(0.78, 0.02)).verdict == "not_met_within_margin"
    assert check_target(_proportion(0.70, 0.02)).verdict == "not_met"
    within = _proportion(0.82, 0.02)
    assert not check_target(within, rule="ci_lower_bound").target_met
    assert check_target(within, rule="point_estimate").target_met
    assert check_target(_proportion(0.78, 0.02), rule="ci_upper_bound").target_met


def test_strict_comparison_at_the_boundary():
    exact = _proportion(0.80, 0.0)
    assert check_target(exact, comparison=">=").verdict == "met"
    assert check_target(exact, comparison=">").verdict == "not_met"


def test_break_even_respondents_just_reach_the_bar():
    estimate = _proportion(0.83, 0.02, respondents=400)
    check = check_target(estimate)
    assert check.verdict == "met_within_margin"
    n = check.break_even_respondents
    scaled = _proportion(0.83, 0.02 * math.sqrt(400 / n), respondents=n)
    assert check_target(scaled).verdict == "met"
    fewer = _proportion(0.83, 0.02 * math.sqrt(400 / (n - 1)), respondents=n - 1)
    assert check_target(fewer).verdict != "met"
    # "still needed" asks for 80 % power, not a coin toss: more than the break-even figure
    assert 400 + check.additional_respondents > n


@given(
    p=st.floats(0.5, 0.99), delta=st.floats(0.0, 0.2), se=st.floats(0.001, 0.08), widen=st.floats(1.0, 3.0)
)
@settings(max_examples=200, deadline=None)
def test_verdict_is_monotone_and_a_wider_interval_never_helps(p, delta, se, widen):
    order = {verdict: rank for rank, verdict in enumerate(JUDGED_VERDICTS)}
    lower = check_target(_proportion(p, se)).verdict
    higher = check_target(_proportion(min(p + delta, 0.999), se)).verdict
    assert order[higher] <= order[lower]
    narrow = check_target(_proportion(p, se)).verdict
    wide = check_target(_proportion(p, se * widen)).verdict
    if narrow == "not_met":
        assert wide != "met"
    if wide == "met":
        assert narrow == "met"


def test_check_targets_over_a_table():
    table = check_targets([_proportion(0.9, 0.01), _proportion(0.7, 0.01)])
    assert [row.verdict for row in table] == ["met", "not_met"]
    assert list(table.to_frame()["verdict"]) == ["met", "not_met"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"threshold": 80}, "share in"), ({"rule": "majority"}, "unknown verdict rule"),
     ({"comparison": "=>"}, "unknown comparison"), ({"level": 95}, "level must be in")],
)
def test_bad_targets_are_rejected(kwargs, fragment):
    with pytest.raises(TargetError, match=fragment):
        check_target(_proportion(0.8, 0.02), **kwargs)


# ---------------------------------------------------------------------------------------------------------
# one interval decides everything: verdict ⇔ p-value ⇔ lower bound, on real designs


def _srs_rate(satisfied: int, n: int, ci_method: str = "logit", weights=None):
    import numpy as np
    import pandas as pd

    from surveys.design.taylor import SurveyDesign

    frame = pd.DataFrame({"y": [1.0] * satisfied + [0.0] * (n - satisfied),
                          "w": np.ones(n) if weights is None else weights})
    return SurveyDesign(frame, weights="w").proportion("y", ci_method=ci_method)


@pytest.mark.parametrize("n", [200, 1000])
@pytest.mark.parametrize("ci_method", ["logit", "xlogit", "mean", "asin", "beta", "korn_graubard",
                                       "clopper_pearson", "wilson"])
def test_verdict_p_value_and_lower_bound_agree_near_the_threshold(n, ci_method):
    alpha = 0.025
    centre = int(0.8 * n)
    span = range(centre - n // 20, centre + n // 10)
    outcomes = set()
    for satisfied in span:
        check = check_target(_srs_rate(satisfied, n, ci_method), 0.8)
        met = check.verdict == "met"
        assert met == (check.p_value <= alpha) == (check.ci_low >= 0.8), (satisfied, check)
        assert check.margin_below == pytest.approx(check.estimate - check.ci_low)
        assert check.margin_above == pytest.approx(check.ci_high - check.estimate)
        outcomes.add(met)
    assert outcomes == {True, False}  # the range crosses the decision boundary


def test_the_logit_verdict_tests_on_the_logit_scale():
    # 824 of 1000: a linear Wald test would say p = 0.023 (< 0.025) while the logit interval's lower bound is
    # below 80%: now the p-value is the logit interval's own, and both say "within the margin"
    check = check_target(_srs_rate(824, 1000), 0.8)
    assert check.test_scale == "logit"
    assert check.verdict == "met_within_margin" and check.p_value > 0.025 and check.ci_low < 0.8
    # 170 of 200 is not "85.0% ±5.0": the interval is asymmetric and its halves are shown as they are
    check = check_target(_srs_rate(170, 200), 0.8)
    assert check.margin_below > check.margin_above
    assert check.margin_of_error == pytest.approx(check.margin_below)
    assert check.ci_low == pytest.approx(check.estimate - check.margin_below)


@pytest.mark.parametrize("n", [3, 5, 30, 100])
@pytest.mark.parametrize("everyone", [True, False])
def test_all_or_none_satisfied_is_never_a_confident_verdict(n, everyone):
    check = check_target(_srs_rate(n if everyone else 0, n), 0.8)
    assert check.verdict == "not_judged" and "boundary" in check.not_judged_reasons
    assert not check.target_met
    assert check.reasons("zh") and all(check.reasons("en"))
    assert check_target(_srs_rate(n if everyone else 0, n), 0.8, rule="point_estimate").target_met is everyone


def test_a_small_effective_sample_is_not_judged():
    check = check_target(_srs_rate(20, 25), 0.8)
    assert check.verdict == "not_judged" and check.not_judged_reasons == ("effective_size_below_minimum",)
    # unequal weights shrink the effective size below the respondents (Kish)
    import numpy as np

    weights = np.where(np.arange(60) < 10, 30.0, 1.0)
    check = check_target(_srs_rate(50, 60, weights=weights), 0.8)
    assert check.effective_size == pytest.approx(weights.sum() ** 2 / (weights ** 2).sum())
    assert check.effective_size < 30 and check.verdict == "not_judged"


def test_respondents_still_needed_give_80_percent_power_if_the_estimate_is_true():
    from scipy import stats as sps

    n, satisfied = 400, 332  # 83.0 %: within the margin
    check = check_target(_srs_rate(satisfied, n), 0.8)
    assert check.verdict == "met_within_margin"
    total = n + check.additional_respondents
    p = satisfied / n
    # exact power at the new size when the true rate is the estimate: every outcome k judged by check_target
    met = [k for k in range(int(0.78 * total), total + 1) if check_target(_srs_rate(k, total), 0.8).verdict == "met"]
    power = float(sps.binom.sf(min(met) - 1, total, p))
    assert 0.77 <= power <= 0.84
    break_even = check.break_even_respondents
    assert float(sps.binom.sf(min(k for k in range(int(0.78 * break_even), break_even + 1)
                                  if check_target(_srs_rate(k, break_even), 0.8).verdict == "met") - 1,
                              break_even, p)) == pytest.approx(0.5, abs=0.06)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [({"estimate": 1.7, "ci_high": 1.8}, "must lie in \\[0, 1\\]"),
     ({"ci_low": 0.9, "ci_high": 0.7}, "reversed"),
     ({"std_error": float("nan")}, "standard error"),
     ({"ci_low": 0.83}, "does not contain")],
)
def test_impossible_estimates_are_refused(change, fragment):
    import dataclasses

    with pytest.raises(TargetError, match=fragment):
        check_target(dataclasses.replace(_proportion(0.8, 0.02), **change))


@pytest.mark.parametrize("threshold", ["0.8", None, True])
def test_a_threshold_must_be_a_number(threshold):
    with pytest.raises(TargetError, match="threshold must be a number"):
        check_target(_proportion(0.8, 0.02), threshold)


def test_only_an_estimate_can_be_judged():
    with pytest.raises(TargetError, match="needs an Estimate"):
        check_target(0.85, 0.8)


def test_the_likelihood_interval_cannot_decide():
    import dataclasses

    with pytest.raises(TargetError, match="ci_method 'logit'"):
        check_target(dataclasses.replace(_proportion(0.85, 0.02), ci_method="likelihood"))
