"""NHANES-like designs: nested PSU ids (1, 2, 3 in every stratum), missing values, na_rm, domains."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveys import DesignError, SurveyDesign


@pytest.fixture(scope="module")
def nested():
    rng = np.random.default_rng(2009)
    rows = []
    for stratum in range(75, 82):
        for psu in range(1, 3 + (stratum == 78)):
            for _ in range(int(rng.integers(8, 15))):
                rows.append({"stratum": stratum, "psu": psu, "weight": float(rng.uniform(2e3, 4e4)),
                             "race": int(rng.integers(1, 5)),
                             "high": float(rng.random() < 0.3) if rng.random() > 0.15 else np.nan})
    return pd.DataFrame(rows)


def test_nested_ids_and_degrees_of_freedom(nested):
    with pytest.raises(DesignError, match="nest=True"):
        SurveyDesign(nested, ids="psu", strata="stratum", weights="weight")
    design = SurveyDesign(nested, ids="psu", strata="stratum", weights="weight", nest=True)
    assert design.degrees_of_freedom == 15 - 7


def test_na_rm_is_a_domain_of_the_non_missing_rows(nested):
    design = SurveyDesign(nested, ids="psu", strata="stratum", weights="weight", nest=True)
    assert math.isnan(design.mean("high").estimate)
    kept = design.mean("high", na_rm=True, deff=True)
    domain = design.subset(nested["high"].notna()).mean("high", deff=True)
    assert (kept.estimate, kept.std_error, kept.design_effect) == pytest.approx(
        (domain.estimate, domain.std_error, domain.design_effect), rel=1e-12)
    assert kept.respondents == int(nested["high"].notna().sum())
    # the df stays that of the design as passed, even if a PSU had only missing values
    assert kept.extras["design_df"] == design.degrees_of_freedom


def test_proportion_with_missing_values_uses_all_rows_for_beta(nested):
    design = SurveyDesign(nested, ids="psu", strata="stratum", weights="weight", nest=True)
    proportion = design.proportion("high", na_rm=True, ci_method="beta")
    assert proportion.ci_low < proportion.estimate < proportion.ci_high
    # beta's n is nrow(design): NA rows included, so the interval depends on them
    complete = SurveyDesign(nested.dropna(subset=["high"]), ids="psu", strata="stratum", weights="weight", nest=True)
    assert complete.proportion("high", ci_method="beta").estimate == pytest.approx(proportion.estimate)


def test_by_with_missing_values_matches_subsets(nested):
    design = SurveyDesign(nested, ids="psu", strata="stratum", weights="weight", nest=True)
    table = design.by("race").mean("high", na_rm=True, deff=True)
    assert [row.domain["race"] for row in table] == [1, 2, 3, 4]
    for row in table:
        mask = (nested["race"] == row.domain["race"]).to_numpy()
        single = design.subset(mask).mean("high", na_rm=True, deff=True)
        assert (row.estimate, row.std_error, row.design_effect) == pytest.approx(
            (single.estimate, single.std_error, single.design_effect), rel=1e-12)
    without = design.by("race").mean("high")
    assert all(math.isnan(row.estimate) for row in without)


def test_missing_by_values_are_left_out(nested):
    frame = nested.assign(race=nested["race"].where(nested.index % 10 != 0))
    design = SurveyDesign(frame, ids="psu", strata="stratum", weights="weight", nest=True)
    table = design.by("race").total("weight")
    assert len(table) == 4
    assert sum(row.respondents for row in table) == int(frame["race"].notna().sum())


def test_quantile_with_missing_values_takes_t_on_the_rows_with_values(nested):
    # every row of one PSU missing: R's svyquantile drops them before degf(), svymean reports the design's df
    frame = nested.assign(high=np.where((nested["stratum"] == 75) & (nested["psu"] == 1), np.nan,
                                        nested["high"].fillna(0.0) + nested.index % 7))
    design = SurveyDesign(frame, ids="psu", strata="stratum", weights="weight", nest=True)
    median = design.quantile("high", 0.5, na_rm=True)
    assert median.extras["design_df"] == design.degrees_of_freedom == 8
    assert median.df == 7
    assert design.mean("high", na_rm=True).extras["design_df"] == 8
