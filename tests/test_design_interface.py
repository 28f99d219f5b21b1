"""The design interface: both design classes offer every member of the Protocols the weighting and estimation
stages are typed with (mypy checks the signatures in CI; this keeps the names honest at run time), and the
weighting functions return the same kind of design they were given."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.design.replicate import ReplicateDesign
from surveys.design.taylor import SurveyDesign
from surveys.design_interface import Design, LinearizationDesign, ReplicateWeightsDesign
from surveys.weighting.methods import rake, trim_weights


def _members(protocol: type) -> set[str]:
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass in (object,) or not getattr(klass, "_is_protocol", False):
            continue
        names |= {name for name in vars(klass) if not name.startswith("_")}
    return names


@pytest.fixture(scope="module")
def designs():
    rng = np.random.default_rng(13)
    data = pd.DataFrame({"sex": rng.integers(1, 3, 200), "district": rng.integers(1, 4, 200),
                         "weight": rng.uniform(1, 3, 200)})
    taylor = SurveyDesign(data, weights="weight")
    return taylor, taylor.to_replicate("bootstrap", replicates=20, seed=13)


def test_both_designs_offer_the_whole_interface(designs):
    taylor, replicate = designs
    assert isinstance(replicate, ReplicateDesign)
    assert _members(Design) >= {"data", "weights", "adjustments", "with_weights", "column_codes", "is_replicate"}
    for name in _members(LinearizationDesign):
        assert hasattr(taylor, name), name
    for name in _members(ReplicateWeightsDesign):
        assert hasattr(replicate, name), name
    assert taylor.is_replicate is False and replicate.is_replicate is True


def test_weighting_returns_the_kind_of_design_it_was_given(designs):
    margins = {"sex": {1: 600, 2: 400}, "district": {1: 300, 2: 300, 3: 400}}
    for design in designs:
        raked = rake(design, margins)
        assert type(raked) is type(design) and len(raked.adjustments) == 1
        assert type(trim_weights(raked, upper=4.0)) is type(design)
        assert np.isclose(raked.weights.sum(), 1000)


def test_the_member_listing_can_fail():
    class Partial:
        data = None

    assert not all(hasattr(Partial(), name) for name in _members(Design))
