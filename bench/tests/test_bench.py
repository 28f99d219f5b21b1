"""Checks of the benchmark's own pieces (no timings): the generator, the numpy floor, agreement.

Run with ``.venv/bin/pytest bench/tests`` (outside the default test paths: the benchmark is not
part of the package). Each test uses frames of a few thousand rows and finishes in well under a
second.
"""
from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pandas as pd
import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import run_benchmark  # noqa: E402
import synthetic  # noqa: E402


def _floor():
    spec = importlib.util.spec_from_file_location("bench_floor", BENCH / "peers" / "numpy_floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spec(frame):
    return {"margins": synthetic.population_margins(frame),
            "alternative_margins": synthetic.population_margins(frame, alternative=True),
            "tolerance": 1e-6, "replicates": 20, "seed": 1, "level": 0.95}


def test_generator_is_deterministic_and_has_the_promised_design():
    frame = synthetic.make_survey(3_000)
    again = synthetic.make_survey(3_000)
    assert synthetic.frame_checksum(frame) == synthetic.frame_checksum(again)
    assert synthetic.frame_checksum(frame) != synthetic.frame_checksum(synthetic.make_survey(3_000, seed=7))
    assert list(frame.columns) == ["district", "psu", "mode", "sex", "age_group", "satisfied", "weight"]
    for column in ["district", "psu", "mode", "sex", "age_group"]:
        assert pd.api.types.is_string_dtype(frame[column]), column
        assert frame[column].dtype == synthetic.string_dtype(), column
    assert frame["district"].nunique() == 12
    assert frame["psu"].nunique() == 600
    assert (frame.groupby("district")["psu"].nunique() == 50).all()
    assert set(frame["mode"]) == {"paper", "online"}
    assert set(frame["satisfied"]) == {0, 1}
    assert (frame["weight"] > 0).all()


def test_margins_share_one_total_and_cover_every_category():
    frame = synthetic.make_survey(2_000)
    for alternative in (False, True):
        margins = synthetic.population_margins(frame, alternative=alternative)
        totals = [series.sum() for series in margins.values()]
        assert np.allclose(totals, frame["weight"].sum())
        for variable, series in margins.items():
            assert set(frame[variable]) == set(series.index)
    first, second = synthetic.population_margins(frame), synthetic.population_margins(frame, alternative=True)
    assert not np.allclose(first["sex"], second["sex"])


def test_sizes_parse_and_print():
    assert synthetic.parse_size("10k") == 10_000
    assert synthetic.parse_size("1M") == 1_000_000
    assert synthetic.parse_size("2500") == 2_500
    assert synthetic.size_label(100_000) == "100k"


def test_floor_rake_reproduces_every_margin():
    frame = synthetic.make_survey(2_000)
    spec = _spec(frame)
    for workload, margins in (("rake", spec["margins"]), ("rerake", spec["alternative_margins"])):
        run, _ = _floor().WORKLOADS[workload](frame, spec)
        weights = run()
        for variable, population in margins.items():
            achieved = pd.Series(weights).groupby(frame[variable].to_numpy()).sum().reindex(population.index)
            assert np.allclose(achieved.to_numpy(), population.to_numpy(), rtol=1e-6), variable


def test_floor_overall_matches_the_domain_of_everyone():
    frame = synthetic.make_survey(2_000)
    run, _ = _floor().overall(frame, _spec(frame))
    result = run()
    p = np.average(frame["satisfied"], weights=frame["weight"])
    assert result["estimate"] == pytest.approx(p, rel=1e-12)
    assert result["ci_low"] < result["estimate"] < result["ci_high"]
    assert 0 < result["std_error"] < 0.05


def test_floor_agrees_with_the_toolkit():
    surveys = pytest.importorskip("surveys")
    if not hasattr(surveys, "SurveyDesign"):
        pytest.skip("surveys.SurveyDesign not built yet")
    frame = synthetic.make_survey(2_000)
    floor = _floor()
    run, _ = floor.overall(frame, _spec(frame))
    mine = run()
    design = surveys.SurveyDesign(frame, ids="psu", strata="district", weights="weight", nest=True)
    theirs = design.proportion("satisfied", ci_method="logit")
    for field in ("estimate", "std_error", "ci_low", "ci_high"):
        assert mine[field] == pytest.approx(getattr(theirs, field), rel=1e-9), field
    run, extract = floor.domains(frame, _spec(frame))
    rows = {(row["district"], row["mode"]): row for row in extract(run())["domains"]}
    table = design.by(["district", "mode"]).proportion("satisfied", ci_method="logit")
    assert len(table) == len(rows) == 24
    for estimate in table:
        row = rows[(estimate.domain["district"], estimate.domain["mode"])]
        assert row["estimate"] == pytest.approx(estimate.estimate, rel=1e-9)
        assert row["std_error"] == pytest.approx(estimate.std_error, rel=1e-9)
        assert row["ci_low"] == pytest.approx(estimate.ci_low, rel=1e-9)


def test_agreement_reports_the_largest_relative_difference(tmp_path):
    reference = {"values": {"estimate": 0.8, "std_error": 0.01}}
    record = {"values": {"estimate": 0.8, "std_error": 0.0102}}
    assert run_benchmark.agreement(record, reference)["std_error"] == pytest.approx(0.02)
    domains_ref = {"values": {"domains": [{"district": "D01", "mode": "paper", "estimate": 0.5, "std_error": 0.1}]}}
    domains = {"values": {"domains": [{"district": "D01", "mode": "paper", "estimate": 0.55, "std_error": 0.1}]}}
    assert run_benchmark.agreement(domains, domains_ref)["estimate"] == pytest.approx(0.1)
    np.save(tmp_path / "a.npy", np.array([1.0, 2.0]))
    np.save(tmp_path / "b.npy", np.array([1.0, 2.002]))
    weights = run_benchmark.agreement({"values": {"weights_file": str(tmp_path / "b.npy")}},
                                      {"values": {"weights_file": str(tmp_path / "a.npy")}})
    assert weights["weights"] == pytest.approx(0.001)


def test_plan_runs_bootstrap_and_raking_at_their_sizes_or_the_smallest():
    assert ("bootstrap", 100_000) in run_benchmark.plan([10_000, 100_000, 1_000_000], ["bootstrap"])
    assert ("rake", 10_000) not in run_benchmark.plan([10_000, 100_000, 1_000_000], ["rake"])
    assert run_benchmark.plan([10_000], ["rake", "overall"]) == [("rake", 10_000), ("overall", 10_000)]


def test_measure_reports_the_result_of_the_first_full_size_call():
    calls = []

    def run():
        calls.append(1)
        return len(calls)

    measured = harness.measure(run, repeats=3, small_run=lambda: None)
    assert measured["result"] == 1
    assert len(calls) == 4 and len(measured["seconds"]) == 3
    assert measured["best_seconds"] == min(measured["seconds"])


def test_model_survey_adds_covariates_and_keeps_the_survey():
    frame = synthetic.make_survey(2_000)
    model = synthetic.make_model_survey(2_000)
    assert list(model.columns) == list(frame.columns) + synthetic.MODEL_COVARIATES
    assert synthetic.frame_checksum(model[frame.columns]) == synthetic.frame_checksum(frame)
    assert synthetic.frame_checksum(model) == synthetic.frame_checksum(synthetic.make_model_survey(2_000))
    assert model["trust"][model["satisfied"] == 1].mean() > model["trust"][model["satisfied"] == 0].mean()


def test_the_toolkit_runs_the_model_workloads_with_the_published_terms():
    surveys = pytest.importorskip("surveys")
    if not hasattr(surveys, "regression"):
        pytest.skip("surveys.regression not built yet")
    spec = importlib.util.spec_from_file_location("bench_surveys", BENCH / "peers" / "surveys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame = synthetic.make_model_survey(3_000)
    run, extract = module.WORKLOADS["logistic"](frame, _spec(frame))
    terms = extract(run())["terms"]
    assert [t["term"] for t in terms] == synthetic.MODEL_TERMS and len(terms) == 11
    assert all(t["std_error"] > 0 for t in terms)
    run, extract = module.WORKLOADS["chisq"](frame, _spec(frame))
    test = extract(run())
    assert test["statistic"] > 0 and 0 <= test["p_value"] <= 1 and test["ndf"] <= 11


def test_agreement_compares_coefficients_by_term_and_tests_by_statistic():
    reference = {"values": {"terms": [{"term": "a", "estimate": 1.0, "std_error": 0.1},
                                      {"term": "b", "estimate": 2.0, "std_error": 0.2}]}}
    record = {"values": {"terms": [{"term": "b", "estimate": 2.0, "std_error": 0.21},
                                   {"term": "a", "estimate": 1.01, "std_error": 0.1}]}}
    agreement = run_benchmark.agreement(record, reference)
    assert agreement["estimate"] == pytest.approx(0.01) and agreement["std_error"] == pytest.approx(0.05)
    assert agreement["terms"] == 2
    test = run_benchmark.agreement({"values": {"statistic": 3.3, "p_value": 0.011}},
                                   {"values": {"statistic": 3.0, "p_value": 0.01}})
    assert test["estimate"] == pytest.approx(0.1) and test["std_error"] == pytest.approx(0.001)


def test_model_workloads_run_at_their_sizes_without_a_goal():
    assert ("logistic", 1_000_000) in run_benchmark.plan([10_000, 100_000, 1_000_000], ["logistic"])
    assert ("chisq", 10_000) not in run_benchmark.plan([10_000, 1_000_000], ["chisq"])
    assert run_benchmark.GOALS["logistic"] is None and "statsmodels" in run_benchmark.PYTHON_PEERS
    assert set(run_benchmark.tool_workloads("statsmodels")) == {"logistic"}
    assert {"logistic", "chisq"} <= set(run_benchmark.tool_workloads("svy"))


def test_frames_are_compared_within_the_survey_and_the_model_survey_apart():
    def record(tool, workload, checksum, strings="object"):
        return {"tool": tool, "workload": workload, "rows": 10_000, "strings": strings, "checksum": checksum}

    model, survey = sorted(synthetic.MODEL_WORKLOADS)[0], "overall"
    same = [record("surveys", model, "a"), record("svy", model, "a"),
            record("surveys", survey, "b"), record("svy", survey, "b"),
            record("surveys", model, "c", strings="arrow")]
    assert run_benchmark.frames_identical(same)
    assert not run_benchmark.frames_identical(same + [record("samplics", model, "z")])
    assert not run_benchmark.frames_identical(same + [record("samplics", survey, "z")])


def test_the_ingestion_floor_is_the_fastest_pandas_read():
    import ingest_benchmark

    found = {"surveys": {"status": "ok", "best_seconds": 0.1},
             "pandas": {"status": "ok", "best_seconds": 6.0},
             "pandas_arrow": {"status": "ok", "best_seconds": 0.6},
             "pandas_default": {"status": "error", "error": "ImportError"},
             "calamine": {"status": "ok", "best_seconds": 0.2}}
    assert ingest_benchmark.fastest_floor(found) == ("pandas_arrow", 0.6)
    assert ingest_benchmark.fastest_floor({"surveys": {"status": "ok", "best_seconds": 1.0}}) == (None, None)
