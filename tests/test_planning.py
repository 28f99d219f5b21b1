"""Sample-size planning: the known values analysts quote, and the arithmetic's invariants."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.planning import (
    PlanningError,
    allocate,
    margin_of_error,
    margin_table,
    plan_sample_size,
    sample_size_for_margin,
    sample_size_for_target,
    verdict_power,
)


def test_margin_three_points_at_eighty_percent_needs_683():
    assert sample_size_for_margin(0.03, p=0.8).respondents == 683


@pytest.mark.parametrize(("margin", "expected"), [(0.05, 246), (0.03, 683), (0.02, 1537)])
def test_margin_sizes_quoted_in_practice_notes(margin, expected):
    assert plan_sample_size(margin=margin, p=0.8).respondents == expected


def test_the_textbook_normal_approximation_is_kept_with_the_plan():
    # Fleiss et al. eq. 2.5 at one-sided α = 0.05: 368; at the verdict's 0.025: 471
    assert math.ceil(sample_size_for_target(0.80, 0.85, alpha=0.05).parameters["normal_approximation"]) == 368
    plan = plan_sample_size(threshold=0.80, true_rate=0.85)
    assert math.ceil(plan.parameters["normal_approximation"]) == 471
    assert plan.parameters["alpha"] == pytest.approx(0.025)


def test_the_plan_for_a_target_uses_the_verdicts_own_rule():
    plan = plan_sample_size(threshold=0.80, true_rate=0.85)
    assert plan.respondents == 488
    # exact power of check_target's verdict on a simple random sample: at least 80 % at 488 and every size after
    assert all(verdict_power(n, 0.8, 0.85) >= 0.8 for n in range(488, 560))
    assert verdict_power(487, 0.8, 0.85) < 0.8
    # the textbook size (one-sided α = 0.05) leaves the default verdict well short of 80 %
    assert verdict_power(368, 0.8, 0.85) < 0.72


def test_a_seeded_simulation_of_the_verdict_confirms_the_planned_power():
    import pandas as pd

    from surveys.design.taylor import SurveyDesign
    from surveys.indicators.targets import check_target

    n = plan_sample_size(threshold=0.80, true_rate=0.85).respondents
    rng = np.random.default_rng(20261202)
    runs, met = 400, 0
    for _ in range(runs):
        frame = pd.DataFrame({"y": (rng.random(n) < 0.85).astype(float), "w": 1.0})
        rate = SurveyDesign(frame, weights="w").proportion("y")
        met += check_target(rate, 0.8).verdict == "met"
    assert 0.76 <= met / runs <= 0.90  # 82.3 % exactly; ±4 points is two simulation standard errors


def test_margin_table_flags_sizes_that_reach_the_population():
    table = margin_table([100, 400, 420, 600], population=420)
    assert table["census"].tolist() == [False, False, True, True]
    assert (table.loc[table["census"], "p=0.8"] == 0).all()


def test_design_effect_fpc_and_response_rate_compose():
    plan = sample_size_for_margin(0.05, p=0.8, design_effect=1.5, population=400, response_rate=0.5)
    n_deff = 1.959963984540054**2 * 0.16 / 0.0025 * 1.5
    assert plan.with_design_effect == pytest.approx(n_deff)
    assert plan.respondents == math.ceil(n_deff / (1 + (n_deff - 1) / 400))
    assert plan.invitations == math.ceil(plan.respondents / 0.5)


def test_census_cannot_exceed_population():
    assert sample_size_for_margin(0.001, p=0.5, population=300).respondents == 300


def test_margin_table_matches_practice_notes():
    table = margin_table([100, 400, 1000], rates=[0.8, 0.5])
    assert np.round(table["p=0.8"].to_numpy() * 100, 1).tolist() == [7.8, 3.9, 2.5]
    assert np.round(table["p=0.5"].to_numpy() * 100, 1).tolist() == [9.8, 4.9, 3.1]


@given(margin=st.floats(0.005, 0.2), p=st.floats(0.05, 0.95))
@settings(max_examples=60, deadline=None)
def test_the_planned_size_achieves_the_margin(margin, p):
    plan = sample_size_for_margin(margin, p=p)
    assert margin_of_error(plan.respondents, p=p) <= margin + 1e-12
    if plan.respondents > 1:
        assert margin_of_error(plan.respondents - 1, p=p) > margin - 1e-12


def test_allocation_methods_sum_to_total_and_respect_the_minimum():
    populations = {"中心区": 520_000, "东城区": 310_000, "青山县": 42_000, "石桥县": 9_000}
    for method in ("proportional", "equal", "neyman"):
        plan = allocate(1200, populations, method=method, minimum=100)
        assert plan["respondents"].sum() == 1200
        assert (plan["respondents"] >= 100).all()
    proportional = allocate(1000, populations).set_index("stratum")["respondents"]
    assert proportional["中心区"] > proportional["东城区"] > proportional["青山县"]


def test_allocation_never_exceeds_a_stratum_population():
    plan = allocate(500, {"a": 10_000, "b": 40}, minimum=100)
    assert plan.set_index("stratum").loc["b", "respondents"] == 40
    assert plan["respondents"].sum() == 500


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: sample_size_for_margin(3, p=0.8), "0.03 = ±3 points"),
        (lambda: sample_size_for_margin(0.03, p=80), "share in (0, 1)"),
        (lambda: sample_size_for_target(0.8, 0.78), "must exceed the threshold"),
        (lambda: plan_sample_size(), "give either margin="),
        (lambda: allocate(100, {"a": 1000, "b": 2000}, minimum=60), "raise the total or lower the minimum"),
        (lambda: allocate(100, {"a": 1000}, method="optimal"), "unknown allocation method"),
    ],
)
def test_bad_planning_questions_say_what_to_do(call, fragment):
    with pytest.raises(PlanningError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        call()
