"""Proposal handling as a census: counts by hand, non-response bounds, domains from the register, A–D
classes, the verdict on the bounds, and properties (zero sampling error, bounds contain the rate)."""
from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys import load_questionnaire
from surveys.errors import EstimationError, TargetError
from surveys.indicators.census import census_check, proposal_census
from surveys.indicators.targets import VERDICTS

QUESTIONNAIRE = pathlib.Path(__file__).resolve().parent.parent / "questionnaires" / "proposal_handling.yaml"
DEPARTMENTS = ("市教育局", "市公安局", "市民政局")


@pytest.fixture(scope="module")
def proposals_q():
    return load_questionnaire(QUESTIONNAIRE)


def census_inputs(proposals: int, returned_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A register of every proposal and the returned forms (answer codes 1 满意 / 2 基本满意 / 3 不满意)."""
    rng = np.random.default_rng(seed)
    register = pd.DataFrame({
        "proposal_number": [f"J2026-{i:03d}" for i in range(proposals)],
        "handling_department": rng.choice(DEPARTMENTS, proposals),
        "deputy_type": rng.choice([1, 2], proposals),
        "result_class": rng.choice([1, 2, 3, 4], proposals, p=[0.55, 0.3, 0.1, 0.05]),
    })
    forms = register[rng.random(proposals) < returned_share].copy()
    for item in ("work_satisfaction", "result_satisfaction", "overall"):
        forms[item] = rng.choice([1.0, 2.0, 3.0], len(forms), p=[0.7, 0.2, 0.1])
    return register, forms.reset_index(drop=True)


@pytest.fixture(scope="module")
def inputs():
    return census_inputs(240, 0.9, seed=5)


@pytest.fixture(scope="module")
def census(inputs, proposals_q):
    register, forms = inputs
    forms = forms.copy()
    forms.loc[:2, "overall"] = np.nan  # three returned forms left the overall rating blank
    return proposal_census(forms, proposals_q, register=register, by=["handling_department", "deputy_type"],
                           result_class="result_class")


def test_counts_rates_and_bounds_by_hand(census, inputs):
    register, forms = inputs
    rate = census.find("overall_rate")
    answers = forms["overall"].to_numpy()[3:]
    positive = int(np.isin(answers, [1, 2]).sum())
    assert (rate.proposals, rate.forms_returned, rate.answered, rate.positive) == (240, len(forms), len(forms) - 3,
                                                                                  positive)
    assert rate.rate == positive / (len(forms) - 3)
    assert rate.lower_bound == positive / 240
    assert rate.upper_bound == (positive + 240 - (len(forms) - 3)) / 240
    assert rate.std_error == 0.0
    assert census.return_rate == len(forms) / 240
    strict = census.find("overall_rate_strict")
    assert strict.positive == int((answers == 1).sum()) and strict.positive_set.zh == "满意"


def test_work_and_result_are_separate_rates(census, inputs):
    _, forms = inputs
    for measure, item in (("work_rate", "work_satisfaction"), ("result_rate", "result_satisfaction")):
        rate = census.find(measure)
        assert rate.positive == int(forms[item].isin([1, 2]).sum())
        assert rate.answered == len(forms)
        # "without 基本满意": the same rate counting only the best category
        strict = census.find(measure, top_category=True)
        assert strict.positive == int((forms[item] == 1).sum()) and not strict.used_for_verdict
        assert strict.positive_set.zh == "满意" and "仅“满意”" in strict.label.zh


def test_domains_take_their_denominators_from_the_register(census, inputs):
    register, forms = inputs
    for department in DEPARTMENTS:
        rate = census.find("work_rate", domain_variable="handling_department", domain_value=department)
        assert rate.proposals == int((register["handling_department"] == department).sum())
        assert rate.forms_returned == int((forms["handling_department"] == department).sum())
    deputies = census.find("overall_rate", domain_variable="deputy_type", domain_value=1)
    assert deputies.domain_label.zh == "人大代表"
    frame = census.to_frame()
    assert {"proposals", "forms_returned", "rate", "lower_bound", "upper_bound", "std_error"} <= set(frame.columns)


def test_result_classes_are_counted_in_the_register(census, inputs):
    register, _ = inputs
    classes = census.classes_frame()
    assert list(classes["code"]) == [1, 2, 3, 4]
    assert classes["count"].sum() == len(register)
    assert classes["share"].sum() == pytest.approx(1.0)
    assert classes["label_zh"].iloc[0].startswith("A类")
    assert set(classes["counted_in"]) == {"register"}


def test_the_verdict_reads_the_bounds(census):
    rate = census.find("work_rate")
    assert census_check(rate, rate.lower_bound).verdict == "met"
    assert census_check(rate, (rate.lower_bound + rate.rate) / 2).verdict == "met_within_margin"
    assert census_check(rate, (rate.rate + rate.upper_bound) / 2).verdict == "not_met_within_margin"
    below = census_check(rate, min(rate.upper_bound + 0.01, 1.0))
    assert below.verdict == "not_met" and not below.target_met
    check = census_check(rate, 0.8)
    assert (check.std_error, check.margin_of_error, check.ci_method) == (0.0, 0.0, "nonresponse_bounds")
    assert (check.ci_low, check.ci_high) == (rate.lower_bound, rate.upper_bound)
    lenient = census_check(rate, (rate.lower_bound + rate.rate) / 2, rule="point_estimate")
    assert lenient.target_met and not census_check(rate, (rate.lower_bound + rate.rate) / 2).target_met


def test_input_errors(inputs, proposals_q):
    register, forms = inputs
    with pytest.raises(EstimationError, match="number of proposals"):
        proposal_census(forms, proposals_q)
    with pytest.raises(EstimationError, match="not in the register"):
        proposal_census(forms, proposals_q, register=register.iloc[5:])
    with pytest.raises(EstimationError, match="more than one returned form"):
        proposal_census(pd.concat([forms, forms.iloc[:1]]), proposals_q, register=register)
    with pytest.raises(EstimationError, match="need the register"):
        proposal_census(forms, proposals_q, proposals=300, by=["handling_department"])
    with pytest.raises(TargetError, match="share"):
        census_check(proposal_census(forms, proposals_q, proposals=300).find("overall_rate"), 80)


def test_without_a_register_the_count_of_proposals_gives_the_bounds(inputs, proposals_q):
    _, forms = inputs
    rate = proposal_census(forms, proposals_q, proposals=len(forms) + 20).find("overall_rate")
    assert rate.upper_bound - rate.lower_bound == pytest.approx(20 / (len(forms) + 20))


@settings(max_examples=60)
@given(proposals=st.integers(1, 60), returned=st.floats(0.05, 1.0), seed=st.integers(0, 10_000),
       threshold=st.floats(0.05, 1.0))
def test_census_rates_have_no_sampling_error_and_bounds_that_contain_the_rate(proposals_q, proposals, returned, seed,
                                                                               threshold):
    register, forms = census_inputs(proposals, returned, seed)
    if forms.empty:
        return
    census = proposal_census(forms, proposals_q, register=register, by=["handling_department"])
    for rate in census.rates:
        assert rate.std_error == 0.0
        if rate.answered == 0:
            assert math.isnan(rate.rate)
            continue
        assert rate.lower_bound <= rate.rate <= rate.upper_bound
        assert 0.0 <= rate.lower_bound and rate.upper_bound <= 1.0
        check = census_check(rate, threshold)
        assert check.verdict in VERDICTS and check.std_error == 0.0
        assert check.ci_low <= check.estimate <= check.ci_high
