"""Invariants of the estimation engine on random stratified cluster samples (hypothesis)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys import SurveyDesign


@st.composite
def samples(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    strata = draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    rows = []
    for stratum in range(strata):
        for psu in range(int(rng.integers(2, 5))):
            for _ in range(int(rng.integers(1, 6))):
                rows.append({"stratum": f"s{stratum}", "psu": f"p{psu}", "weight": float(rng.uniform(1, 20)),
                             "group": str(rng.choice(["a", "b", "c"])), "y": float(rng.normal(50, 10)),
                             "flag": float(rng.random() < 0.5)})
    return pd.DataFrame(rows), seed


def _design(frame: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(frame, ids="psu", strata="stratum", weights="weight", nest=True)


def _direct_total_variance(frame: pd.DataFrame, x: np.ndarray) -> float:
    variance = 0.0
    for _, stratum in frame.assign(x=x).groupby("stratum"):
        t = stratum.groupby("psu")["x"].sum().to_numpy()
        variance += len(t) / (len(t) - 1) * np.sum((t - t.mean()) ** 2)
    return variance


@settings(max_examples=25, deadline=None)
@given(samples())
def test_total_variance_equals_the_textbook_formula(sample):
    frame, _ = sample
    design = _design(frame)
    x = frame["weight"].to_numpy() * frame["y"].to_numpy()
    assert design.total("y").std_error ** 2 == pytest.approx(_direct_total_variance(frame, x), rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(samples())
def test_by_equals_subset_and_totals_add_up(sample):
    frame, _ = sample
    design = _design(frame)
    table = design.by("group").total("y")
    for row in table:
        single = design.subset(frame["group"] == row.domain["group"]).total("y")
        assert (row.estimate, row.std_error) == pytest.approx((single.estimate, single.std_error), rel=1e-10, abs=1e-9)
    assert sum(row.estimate for row in table) == pytest.approx(design.total("y").estimate, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(samples())
def test_row_order_does_not_matter(sample):
    frame, seed = sample
    shuffled = frame.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)
    a, b = _design(frame).proportion("flag", ci_method="mean"), _design(shuffled).proportion("flag", ci_method="mean")
    assert (a.estimate, a.std_error, a.ci_low, a.df) == pytest.approx((b.estimate, b.std_error, b.ci_low, b.df),
                                                                     rel=1e-10, abs=1e-12)
