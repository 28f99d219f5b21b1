"""Invariants of weighting, checked on generated samples (hypothesis, derandomized)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.weighting import methods as weighting

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class StandIn:
    data: pd.DataFrame
    weights: np.ndarray
    adjustments: tuple = ()

    def with_weights(self, new_weights, adjustment):
        return StandIn(self.data, new_weights, self.adjustments + ((adjustment,) if adjustment else ()))


@st.composite
def samples(draw, variables=2):
    """A sample holding every combination of categories (so that any margins can be met), extra
    random respondents, positive unequal weights, and population margins."""
    extra = draw(st.integers(min_value=0, max_value=100))
    seed = draw(st.integers(min_value=0, max_value=2**31 - 1))
    rng = np.random.default_rng(seed)
    levels = [draw(st.integers(min_value=2, max_value=4)) for _ in range(variables)]
    grid = np.stack(np.meshgrid(*[np.arange(k) for k in levels], indexing="ij"), -1).reshape(-1, variables)
    random_rows = np.column_stack([rng.integers(0, k, extra) for k in levels]) if extra else grid[:0]
    codes = np.concatenate([grid, random_rows])
    columns, margins = {}, {}
    for index, k in enumerate(levels):
        name = f"v{index}"
        columns[name] = codes[:, index] + 1
        shares = rng.dirichlet(np.full(k, 2.0)) * 0.9 + 0.1 / k
        margins[name] = {code + 1: float(share) * 10_000 for code, share in enumerate(shares)}
    weights = rng.uniform(0.5, 3.0, len(codes))
    return StandIn(pd.DataFrame(columns), weights), margins


def _achieved(design, variable, category):
    return design.weights[design.data[variable].to_numpy() == category].sum()


@SETTINGS
@given(samples(variables=3))
def test_raked_weights_reproduce_every_margin(sample):
    design, margins = sample
    raked = weighting.rake(design, margins, max_iterations=2000, tolerance=1e-10)
    for variable, population in margins.items():
        for category, target in population.items():
            assert abs(_achieved(raked, variable, category) - target) <= 1e-8 * target


@SETTINGS
@given(samples(variables=1))
def test_raking_on_one_variable_equals_poststratification(sample):
    design, margins = sample
    (variable, population), = margins.items()
    raked = weighting.rake(design, margins).weights
    stratified = weighting.poststratify(design, variable, population).weights
    np.testing.assert_allclose(raked, stratified, rtol=1e-12)


@SETTINGS
@given(samples(variables=1), st.floats(min_value=0.2, max_value=0.9), st.floats(min_value=1.1, max_value=3.0))
def test_trimming_respects_its_bounds_and_keeps_the_total(sample, low_fraction, high_fraction):
    design, _ = sample
    mean = design.weights.mean()
    lower, upper = low_fraction * mean, high_fraction * mean
    trimmed = weighting.trim_weights(design, lower, upper, strict=True).weights
    assert trimmed.min() >= lower * (1 - 1e-12) and trimmed.max() <= upper * (1 + 1e-12)
    assert abs(trimmed.sum() - design.weights.sum()) <= 1e-9 * design.weights.sum()


@SETTINGS
@given(samples(variables=2), st.sampled_from(["linear", "raking"]), st.integers(min_value=0, max_value=2**31 - 1))
def test_calibration_reproduces_its_totals(sample, calfun, seed):
    design, _ = sample
    rng = np.random.default_rng(seed)
    data = design.data.assign(size=rng.uniform(1.0, 2.0, len(design.data)))
    # totals of a positive weighting, so that every calibration function can meet them
    reachable = design.weights * np.exp(rng.normal(0.0, 0.3, len(data)))
    totals = {
        variable: {code: float(reachable[data[variable].to_numpy() == code].sum()) for code in np.unique(data[variable])}
        for variable in ("v0", "v1")
    }
    totals["size"] = float(np.sum(reachable * data["size"]))
    calibrated = weighting.calibrate(StandIn(data, design.weights), totals, calfun=calfun)
    for variable in ("v0", "v1"):
        for category, target in totals[variable].items():
            assert abs(_achieved(calibrated, variable, category) - target) <= 1e-6 * (1 + target)
    assert abs(np.sum(calibrated.weights * data["size"]) - totals["size"]) <= 1e-6 * (1 + totals["size"])
