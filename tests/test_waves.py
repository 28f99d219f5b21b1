"""Waves: the change between independent samples by hand, its df, significance, and the trend table."""
from __future__ import annotations

import math

import pytest
from scipy import stats

from surveys.errors import EstimationError
from surveys.estimation.results import Estimate
from surveys.indicators.waves import compare_waves, trend_table


def rate(p: float, std_error: float, df: float, respondents: int = 1000) -> Estimate:
    q = stats.t.ppf(0.975, df)
    return Estimate(estimate=p, std_error=std_error, ci_low=p - q * std_error, ci_high=p + q * std_error, df=df,
                    respondents=respondents, statistic="proportion", extras={"design_df": df})


def test_change_by_hand():
    change = compare_waves(rate(0.76, 0.012, 1190), rate(0.81, 0.016, 480), label_a="2025", label_b="2026")
    se = math.sqrt(0.012**2 + 0.016**2)
    q = stats.t.ppf(0.975, 480)
    assert change.change == pytest.approx(0.05)
    assert change.std_error == pytest.approx(se)
    assert change.df == 480  # the smaller of the two designs' df
    assert (change.ci_low, change.ci_high) == pytest.approx((0.05 - q * se, 0.05 + q * se))
    assert change.p_value == pytest.approx(2 * stats.t.sf(0.05 / se, 480))
    assert change.significant and (change.label_a, change.label_b) == ("2025", "2026")


def test_overlapping_intervals_can_still_differ_significantly():
    a, b = rate(0.78, 0.010, 800), rate(0.81, 0.010, 800)
    assert a.ci_high > b.ci_low  # the two waves' intervals overlap …
    assert compare_waves(a, b).significant  # … yet the change is significant


def test_a_small_change_is_not_significant():
    change = compare_waves(rate(0.80, 0.02, 300), rate(0.81, 0.02, 300))
    assert not change.significant and change.ci_low < 0 < change.ci_high


def test_trend_table_against_previous_and_first():
    waves = {"2024": rate(0.74, 0.012, 900), "2025": rate(0.77, 0.012, 900), "2026": rate(0.81, 0.013, 900)}
    table = trend_table(waves)
    assert list(table["wave"]) == ["2024", "2025", "2026"]
    assert math.isnan(table["change"].iloc[0])
    assert table["change"].iloc[2] == pytest.approx(0.04)
    assert table["reference_wave"].iloc[2] == "2025"
    from_first = trend_table(waves, reference="first")
    assert from_first["change"].iloc[2] == pytest.approx(0.07)
    assert bool(from_first["change_significant"].iloc[2])


def test_errors():
    mean = Estimate(estimate=70.0, std_error=1.0, ci_low=68.0, ci_high=72.0, df=100, statistic="mean")
    with pytest.raises(EstimationError, match="same indicator"):
        compare_waves(rate(0.8, 0.01, 100), mean)
    with pytest.raises(EstimationError, match="reference"):
        trend_table({"2025": mean}, reference="last")
    with pytest.raises(EstimationError, match="degrees of freedom"):
        compare_waves(rate(0.8, 0.01, 100), Estimate(0.8, 0.01, 0.78, 0.82, df=0, statistic="proportion"))
