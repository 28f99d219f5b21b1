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
from surveys.results import Estimate
from surveys.targets import VERDICTS, check_target, check_targets

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


def test_additional_respondents_make_the_verdict_met():
    estimate = _proportion(0.83, 0.02, respondents=400)
    check = check_target(estimate)
    assert check.verdict == "met_within_margin"
    n = 400 + check.additional_respondents
    scaled = _proportion(0.83, 0.02 * math.sqrt(400 / n), respondents=n)
    assert check_target(scaled).verdict == "met"
    fewer = _proportion(0.83, 0.02 * math.sqrt(400 / (n - 1)), respondents=n - 1)
    assert check_target(fewer).verdict != "met"


@given(
    p=st.floats(0.5, 0.99), delta=st.floats(0.0, 0.2), se=st.floats(0.001, 0.08), widen=st.floats(1.0, 3.0)
)
@settings(max_examples=200, deadline=None)
def test_verdict_is_monotone_and_a_wider_interval_never_helps(p, delta, se, widen):
    order = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
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
