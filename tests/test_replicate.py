"""ReplicateDesign: BRR/Fay/JK by hand, to_replicate builders against R, rank-based df, domains."""
from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest

from surveys import DesignError, ReplicateDesign, SurveyDesign
from surveys.estimation.rank import gram_pivots, replicate_rank

REFERENCE = pathlib.Path(__file__).parent / "reference" / "r_survey"
DATA = REFERENCE / "data"
CASES = {c["id"]: c for c in json.loads((REFERENCE / "cases.json").read_text(encoding="utf-8"))}

# Levy & Lemeshow's BRR half-samples for 3 strata × 2 PSUs (R: ?scd)
HALF_SAMPLES = 2 * np.array([[1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1], [0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 1, 0]]).T


@pytest.fixture(scope="module")
def six_rows():
    return pd.DataFrame({
        "stratum": ["a", "a", "b", "b", "c", "c"], "unit": [1, 2, 1, 2, 1, 2],
        "arrests": [120.0, 78.0, 210.0, 350.0, 95.0, 160.0], "alive": [1.0, 0.0, 1.0, 1.0, 0.0, 1.0],
    })


def test_brr_on_six_rows_by_hand(six_rows):
    design = ReplicateDesign(six_rows, weights=None, replicate_weights=HALF_SAMPLES, type="BRR",
                             combined_weights=False)
    y = six_rows["arrests"].to_numpy()
    replicates = HALF_SAMPLES.T @ y
    expected = np.sum((replicates - replicates.mean()) ** 2) / 4
    total = design.total("arrests")
    assert total.estimate == pytest.approx(y.sum())
    assert total.std_error ** 2 == pytest.approx(expected, rel=1e-12)
    assert design.scale == 0.25 and design.degrees_of_freedom == 3
    mean = design.mean("alive")
    means = (HALF_SAMPLES.T @ six_rows["alive"].to_numpy()) / HALF_SAMPLES.sum(axis=0)
    assert mean.std_error ** 2 == pytest.approx(np.sum((means - means.mean()) ** 2) / 4, rel=1e-12)


def test_fay_scale_and_variance(six_rows):
    rho = 0.3
    multipliers = np.where(HALF_SAMPLES == 2, 2 - rho, rho)
    design = ReplicateDesign(six_rows, weights=None, replicate_weights=multipliers, type="Fay", fay_rho=rho,
                             combined_weights=False)
    assert design.scale == pytest.approx(1 / (4 * (1 - rho) ** 2))
    replicates = multipliers.T @ six_rows["arrests"].to_numpy()
    expected = np.sum((replicates - replicates.mean()) ** 2) / (4 * (1 - rho) ** 2)
    assert design.total("arrests").std_error ** 2 == pytest.approx(expected, rel=1e-12)
    with pytest.raises(DesignError, match="fay_rho"):
        ReplicateDesign(six_rows, weights=None, replicate_weights=multipliers, type="Fay")


def test_combined_and_multiplier_forms_agree_and_mse(six_rows):
    weights = np.array([2.0, 3.0, 1.5, 2.5, 4.0, 1.0])
    frame = six_rows.assign(w=weights)
    multipliers = HALF_SAMPLES.astype(float)
    a = ReplicateDesign(frame, weights="w", replicate_weights=multipliers, type="BRR", combined_weights=False)
    b = ReplicateDesign(frame, weights="w", replicate_weights=weights[:, None] * multipliers, type="BRR")
    assert a.mean("arrests").std_error == pytest.approx(b.mean("arrests").std_error, rel=1e-13)
    c = ReplicateDesign(frame, weights="w", replicate_weights=multipliers, type="BRR", combined_weights=False, mse=True)
    y = frame["arrests"].to_numpy()
    replicates = (weights[:, None] * multipliers).T @ y / ((weights[:, None] * multipliers).sum(axis=0))
    full = np.sum(weights * y) / weights.sum()
    assert c.mean("arrests").std_error ** 2 == pytest.approx(np.mean((replicates - full) ** 2), rel=1e-12)


def test_replicate_design_errors(six_rows):
    with pytest.raises(DesignError, match="unknown replicate type"):
        ReplicateDesign(six_rows, weights=None, replicate_weights=HALF_SAMPLES, type="SDR")
    with pytest.raises(DesignError, match="rscales"):
        ReplicateDesign(six_rows, weights=None, replicate_weights=HALF_SAMPLES, type="JKn")
    with pytest.raises(DesignError, match="one row per data row"):
        ReplicateDesign(six_rows, weights=None, replicate_weights=HALF_SAMPLES[:3], type="BRR")


@pytest.fixture(scope="module")
def clus1():
    return SurveyDesign(pd.read_csv(DATA / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="module")
def strat():
    return SurveyDesign(pd.read_csv(DATA / "apistrat.csv"), strata="stype", weights="pw", fpc="fpc")


def test_jk1_builder_reproduces_r_multipliers_and_results(clus1):
    replicate = clus1.to_replicate("JK1")
    ours = replicate.replicate_weights / clus1.weights[:, None]
    exported = pd.read_csv(DATA / "apiclus1_jk1_repw.csv")
    theirs = exported[[f"jk1_{i}" for i in range(1, 16)]].to_numpy()
    as_set = lambda m: sorted(map(tuple, np.round(m.T, 12)))  # noqa: E731 (column order may differ)
    assert as_set(ours) == as_set(theirs)
    case = CASES["rep_jk1_mean_api00"]
    assert replicate.scale == pytest.approx(case["design"]["scale"], rel=1e-12)
    result = replicate.mean("api00", deff=True)
    assert result.std_error == pytest.approx(case["results"]["se"], rel=1e-9)
    assert result.design_effect == pytest.approx(case["results"]["deff"], rel=1e-9)
    assert replicate.degrees_of_freedom == 14


def test_jkn_builder_matches_r(strat):
    replicate = strat.to_replicate("JKn")
    case = CASES["rep_jkn_mean_api00"]
    assert sorted(replicate.rscales) == pytest.approx(sorted(case["design"]["rscales"]), rel=1e-12)
    assert replicate.mean("api00").std_error == pytest.approx(case["results"]["se"], rel=1e-9)
    assert replicate.degrees_of_freedom == 197
    with pytest.raises(DesignError, match="use type='JKn'"):
        strat.to_replicate("JK1")


def test_bootstrap_builder_structure(strat, clus1):
    replicate = strat.to_replicate("bootstrap", replicates=40, seed=7)
    storage = replicate._storage
    assert storage.multipliers.shape == (200, 40)  # PSUs × replicates, never rows × replicates
    groups = strat._layout.stages[0].group_of_unit
    sums = np.array([storage.multipliers[groups == g].sum(axis=0) for g in range(3)])
    assert (sums == np.array([[100], [50], [50]])).all()  # n_h draws per stratum
    assert replicate.scale == pytest.approx(CASES["rep_boot_mean_api00"]["design"]["scale"] * 49 / 39, rel=1e-12)
    assert replicate.degrees_of_freedom == 39
    again = strat.to_replicate("bootstrap", replicates=40, seed=7)
    assert again.mean("api00").std_error == replicate.mean("api00").std_error
    # with an fpc the draw is without replacement from the list repeated to N_h: a census stratum never varies
    census = SurveyDesign(strat.data.assign(fpc=np.where(strat.data["stype"] == "E", 100, strat.data["fpc"])),
                          strata="stype", weights="pw", fpc="fpc").to_replicate("bootstrap", replicates=20, seed=1)
    rows_e = census._storage.multipliers[groups == 0]
    assert (rows_e == 1).all()
    clustered = clus1.to_replicate("bootstrap", replicates=100, seed=2)
    assert clustered.degrees_of_freedom == 14  # rank ≤ #PSUs (R: 14 for rclus1_boot)


def test_bootstrap_draws_are_one_stream_whatever_the_blocks(strat, monkeypatch):
    """The draws are made a block of replicates at a time; the counts are those of one replicates × PSUs array of
    uniform draws from the same generator (a seed gives the same replicates as before blocking, and as any block)."""
    from surveys.design import replicate as module

    stage = SurveyDesign(strat.data, strata="stype", weights="pw")._layout.stages[0]  # no fpc: with replacement
    assert stage.fraction is None
    draws = np.random.default_rng(11).random((30, stage.units))
    expected = np.zeros((stage.units, 30))
    order = np.argsort(stage.group_of_unit, kind="stable")
    members = [order[stage.group_of_unit[order] == g] for g in range(stage.groups)]
    slot = np.concatenate(members)  # draw slot j belongs to the stratum of the j-th PSU in stratum order
    for r in range(30):
        for j, unit in enumerate(slot):
            stratum = members[stage.group_of_unit[unit]]
            expected[stratum[min(int(draws[r, j] * len(stratum)), len(stratum) - 1)], r] += 1
    for block in (1, 7 * stage.units, module._DRAW_BLOCK, 10**9):
        monkeypatch.setattr(module, "_DRAW_BLOCK", block)
        assert np.array_equal(module._bootstrap_multipliers(stage, 30, np.random.default_rng(11)), expected)


def test_exported_bootstrap_reproduces_r(strat):
    exported = pd.read_csv(DATA / "apistrat_boot50_repw.csv")
    frame = pd.concat([strat.data, exported.drop(columns="snum")], axis=1)
    design = ReplicateDesign(frame, weights="pw", replicate_weights=[f"boot_{i}" for i in range(1, 51)],
                             type="bootstrap", scale=CASES["rep_boot_mean_api00"]["design"]["scale"],
                             combined_weights=False)
    assert design.mean("api00").std_error == pytest.approx(CASES["rep_boot_mean_api00"]["results"]["se"], rel=1e-9)
    assert design.degrees_of_freedom == 49


def test_rank_matches_numpy_on_low_rank_matrices():
    rng = np.random.default_rng(5)
    for rank in (1, 4, 9):
        matrix = rng.normal(size=(30, rank)) @ rng.normal(size=(rank, 12))
        assert replicate_rank(matrix) == rank == np.linalg.matrix_rank(matrix)
    assert replicate_rank(np.zeros((4, 3))) == 0


def test_rank_sets_aside_a_column_within_the_tolerance_of_the_columns_before_it():
    """A positive definite Gram matrix whose column 3 is column 0 up to 1e-7 of its norm: R's qr(tol = 1e-5)
    sets it aside (rank 5 of 6), numpy's rank counts it; a full-rank matrix keeps every column."""
    rng = np.random.default_rng(11)
    matrix = rng.normal(size=(40, 6))
    assert gram_pivots(matrix.T @ matrix).all() and replicate_rank(matrix) == 6
    matrix[:, 3] = matrix[:, 0] + 1e-7 * rng.normal(size=40)
    assert np.linalg.matrix_rank(matrix) == 6
    assert gram_pivots(matrix.T @ matrix).tolist() == [True, True, True, False, True, True]
    assert replicate_rank(matrix) == 5


def test_replicate_domains_match_subsets_and_logit(clus1):
    replicate = clus1.to_replicate("JK1")
    table = replicate.by("stype").proportion("sw", ci_method="logit")
    for row in table:
        single = replicate.subset(clus1.data["stype"] == row.domain["stype"]).proportion("sw")
        assert (row.estimate, row.std_error, row.ci_low, row.ci_high, row.df) == pytest.approx(
            (single.estimate, single.std_error, single.ci_low, single.ci_high, single.df), rel=1e-12)
    case = CASES["rep_jk1_ciprop_sw_logit_95"]
    whole = replicate.proportion("sw")
    assert (whole.ci_low, whole.ci_high) == pytest.approx((case["results"]["ci_low"], case["results"]["ci_high"]), rel=1e-6)
    xlogit = replicate.proportion("sw", ci_method="xlogit")
    assert not math.isclose(xlogit.ci_low, whole.ci_low, rel_tol=1e-6)


def test_to_replicate_rejects_adjusted_designs_and_unknown_types(clus1):
    class Identity:
        def residualize(self, x):
            return x

    with pytest.raises(DesignError, match="unadjusted"):
        clus1.with_weights(clus1.weights, Identity()).to_replicate("JK1")
    with pytest.raises(DesignError, match="unknown replicate type"):
        clus1.to_replicate("BRR")


def test_replicate_with_weights_hook(clus1):
    replicate = clus1.to_replicate("JK1")
    doubled = replicate.with_weights(replicate.weights * 2, replicate.replicate_weights * 2, None)
    assert doubled.total("enroll").estimate == pytest.approx(2 * replicate.total("enroll").estimate)
    assert doubled.total("enroll").std_error == pytest.approx(2 * replicate.total("enroll").std_error)
    assert doubled.mean("enroll").std_error == pytest.approx(replicate.mean("enroll").std_error)
