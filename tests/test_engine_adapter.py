"""The reference adapter on held-back-style cases (BRR/Fay multipliers in the data file, weights
derived from a two-stage fpc, svyratio), checked against formulas computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference.r_survey_adapter import run_case
from scipy import stats

HALF_SAMPLES = np.array([[1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1], [0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 1, 0]]).T


@pytest.fixture()
def scd_dir(tmp_path):
    frame = pd.DataFrame({
        "ESA": [1, 1, 2, 2, 3, 3], "ambulance": [1, 2, 1, 2, 1, 2],
        "arrests": [120.0, 78.0, 210.0, 350.0, 95.0, 160.0], "alive": [5.0, 7.0, 9.0, 25.0, 6.0, 11.0],
    })
    for r in range(4):
        frame[f"brr_{r + 1}"] = 2 * HALF_SAMPLES[:, r]
        frame[f"fay_{r + 1}"] = np.where(HALF_SAMPLES[:, r] == 1, 1.7, 0.3)
    frame.to_csv(tmp_path / "scd.csv", index=False)
    return tmp_path, frame


def _replicate_case(prefix: str, kind: str, estimator: dict, **design) -> dict:
    spec = {"kind": "replicate", "data": "scd.csv", "type": kind, "weights": None, "repweights_file": "scd.csv",
            "repweights_prefix": prefix, "combined_weights": False, "mse": False, "n_replicates": 4}
    spec.update(design)
    return {"id": "x", "group": "x", "design": spec, "estimator": estimator}


def test_brr_total_from_multipliers_in_the_data_file(scd_dir):
    data_dir, frame = scd_dir
    case = _replicate_case("brr_", "BRR", {"function": "svytotal", "variable": "arrests", "deff": "TRUE"}, scale=0.25,
                           rscales=[1, 1, 1, 1])
    result = run_case(case, data_dir)
    replicates = (2 * HALF_SAMPLES).T @ frame["arrests"].to_numpy()
    assert result["estimate"] == pytest.approx(frame["arrests"].sum())
    assert result["se"] ** 2 == pytest.approx(np.sum((replicates - replicates.mean()) ** 2) / 4, rel=1e-12)
    assert result["df"] == 3
    z = stats.norm.ppf(0.975)
    assert result["ci_low"] == pytest.approx(result["estimate"] - z * result["se"])


def test_fay_ratio_case(scd_dir):
    data_dir, frame = scd_dir
    case = _replicate_case("fay_", "Fay", {"function": "svyratio", "numerator": "arrests", "denominator": "alive"},
                           fay_rho=0.3, scale=1 / (4 * 0.7**2), rscales=[1, 1, 1, 1])
    result = run_case(case, data_dir)
    m = np.where(HALF_SAMPLES == 1, 1.7, 0.3)
    ratios = (m.T @ frame["arrests"].to_numpy()) / (m.T @ frame["alive"].to_numpy())
    assert result["estimate"] == pytest.approx(frame["arrests"].sum() / frame["alive"].sum())
    assert result["se"] ** 2 == pytest.approx(np.sum((ratios - ratios.mean()) ** 2) / (4 * 0.49), rel=1e-12)


def test_linearization_without_weights_and_nested_ids(scd_dir):
    data_dir, frame = scd_dir
    case = {"id": "x", "group": "x", "estimator": {"function": "svytotal", "variable": "arrests"},
            "design": {"kind": "linearization", "data": "scd.csv", "ids": ["ambulance"], "strata": "ESA",
                       "weights": None, "fpc": [], "fpc_type": None, "nest": True}}
    result = run_case(case, data_dir)
    y = frame["arrests"].to_numpy().reshape(3, 2)
    expected = np.sum(2 * ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1))
    assert result["se"] ** 2 == pytest.approx(expected, rel=1e-12)
    assert result["df"] == 3


def test_two_stage_weights_from_fpc_and_ratio(tmp_path):
    frame = pd.DataFrame({
        "id1": [1, 1, 1, 2, 2, 3, 3, 3], "id2": [1, 2, 3, 1, 2, 1, 2, 3],
        "n1": 10, "n2": [5, 5, 5, 4, 4, 6, 6, 6],
        "y": [3.0, 5.0, 4.0, 8.0, 6.0, 2.0, 1.0, 3.0], "z": [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 1.0, 2.0],
    })
    frame.to_csv(tmp_path / "mu.csv", index=False)
    design = {"kind": "linearization", "data": "mu.csv", "ids": ["id1", "id2"], "strata": None, "weights": None,
              "fpc": ["n1", "n2"], "fpc_type": "population_size", "nest": False}
    total = run_case({"id": "x", "design": design, "estimator": {"function": "svytotal", "variable": "y"}}, tmp_path)
    weights = 10 / 3 * frame["n2"] / frame.groupby("id1")["id2"].transform("count")
    assert total["estimate"] == pytest.approx(float((weights * frame["y"]).sum()))
    # between PSUs + (n/N) Σ within-PSU terms, by hand
    t = (weights * frame["y"]).groupby(frame["id1"]).sum().to_numpy()
    between = (1 - 3 / 10) * 3 / 2 * np.sum((t - t.mean()) ** 2)
    within = 0.0
    for _, psu in frame.assign(x=weights * frame["y"]).groupby("id1"):
        m, big_m = len(psu), psu["n2"].iloc[0]
        within += 3 / 10 * (1 - m / big_m) * m / (m - 1) * np.sum((psu["x"] - psu["x"].mean()) ** 2)
    assert total["se"] ** 2 == pytest.approx(between + within, rel=1e-12)
    ratio = run_case({"id": "x", "design": design, "estimator": {"function": "svyratio", "variable": "y/z",
                                                                  "deff": "TRUE"}}, tmp_path)
    assert ratio["estimate"] == pytest.approx(float((weights * frame["y"]).sum() / (weights * frame["z"]).sum()))
    assert math.isfinite(ratio["deff"]) and ratio["df"] == 2
