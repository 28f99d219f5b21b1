"""Weighting against R survey 4.1.1: final weights, replicate weights, variances; errors; diagnostics.

The R reference (shared/reference/r_survey) exports R's final weights after every published
postStratify / rake / calibrate / trimWeights case (apiclus1_adjusted_weights.csv) and the adjusted
replicate weights of rclus1_ps / rclus1_rake / rclus1_cal (apiclus1_rep_adjusted.csv). The first
tests compare with them on a stand-in design (no variance engine needed); later tests run every
adjustment case through SurveyDesign / ReplicateDesign.
"""
from __future__ import annotations

import json
import math
import pathlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from surveys import ConvergenceError, WeightingError
from surveys.weighting import methods as weighting
from surveys.weighting.methods import WeightingConvergenceWarning
from surveys.weighting.raking import encode_cells

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE / "reference" / "r_survey"  # the repository's copy of shared/reference/r_survey
if not (REFERENCE / "cases.json").is_file():
    REFERENCE = HERE.parent.parent / "shared" / "reference" / "r_survey"
DATA = REFERENCE / "data"
CASES = json.loads((REFERENCE / "cases.json").read_text(encoding="utf-8"))
ADJUSTMENT_CASES = [case for case in CASES if case["design"].get("adjustments")]

APICLUS1 = pd.read_csv(DATA / "apiclus1.csv")
R_WEIGHTS = pd.read_csv(DATA / "apiclus1_adjusted_weights.csv")
R_REPLICATE = pd.read_csv(DATA / "apiclus1_rep_adjusted.csv")
JK1 = pd.read_csv(DATA / "apiclus1_jk1_repw.csv").filter(like="jk1_").to_numpy()

POP_TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
POP_SCHWIDE = pd.DataFrame({"sch.wide": ["No", "Yes"], "Freq": [1072, 5122]})
R_TOTALS = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}


@dataclass(frozen=True)
class StandIn:
    """The smallest object honouring the design contract (data, weights, adjustments, with_weights)."""

    data: pd.DataFrame
    weights: np.ndarray
    adjustments: tuple = ()

    def with_weights(self, new_weights, adjustment):
        return StandIn(self.data, new_weights, self.adjustments + ((adjustment,) if adjustment else ()))


@dataclass(frozen=True)
class ReplicateStandIn:
    data: pd.DataFrame
    weights: np.ndarray
    replicate_weights: np.ndarray
    adjustments: tuple = ()

    def with_weights(self, new_weights, new_replicate_weights, adjustment):
        return ReplicateStandIn(
            self.data, new_weights, new_replicate_weights, self.adjustments + ((adjustment,) if adjustment else ())
        )


def clus1(data: pd.DataFrame = APICLUS1) -> StandIn:
    return StandIn(data, data["pw"].to_numpy(dtype=float))


def apply_adjustments(design, adjustments):
    """Apply a case's adjustments (driven by the case fields only)."""
    for spec in adjustments:
        kind = spec["type"]
        if kind == "postStratify":
            design = weighting.poststratify(design, spec["by"], spec["population"])
        elif kind == "rake":
            control = spec.get("control", {})
            design = weighting.rake(
                design,
                {margin["by"]: margin["population"] for margin in spec["margins"]},
                max_iterations=int(control.get("maxit", 10)),
                epsilon=float(control.get("epsilon", 1)),
            )
        elif kind == "calibrate":
            bounds = spec.get("bounds")
            bounds = None if bounds is None else tuple(float(b) for b in bounds)
            design = weighting.calibrate(
                design, spec["population"], calfun=spec.get("calfun", "linear"), bounds=bounds, trim=spec.get("trim")
            )
        elif kind == "trimWeights":
            design = weighting.trim_weights(design, spec.get("lower"), spec.get("upper"), spec.get("strict", False))
        else:  # pragma: no cover - a new adjustment type in the reference
            raise AssertionError(f"unknown adjustment {kind}")
    return design


def relative_error(got, expected):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))


# ---------------------------------------------------------------------------------------------
# 1. R's final weights (pure: stand-in design)
# ---------------------------------------------------------------------------------------------

_WEIGHT_CASES = {}
for _case in ADJUSTMENT_CASES:
    _ref = _case["design"].get("weights_ref")
    if _ref and _ref["file"] == "apiclus1_adjusted_weights.csv":
        _WEIGHT_CASES.setdefault(_ref["column"], _case)


def test_every_exported_weight_column_is_covered():
    columns = [c for c in R_WEIGHTS.columns if c != "snum"]
    assert sorted(_WEIGHT_CASES) == sorted(columns)


@pytest.mark.parametrize("column", sorted(_WEIGHT_CASES))
def test_final_weights_equal_r(column):
    case = _WEIGHT_CASES[column]
    design = apply_adjustments(clus1(), case["design"]["adjustments"])
    assert relative_error(design.weights, R_WEIGHTS[column]) < 1e-9
    results = case["results"]
    assert design.weights.sum() == pytest.approx(results["weights_sum"], rel=1e-9)
    assert design.weights.min() == pytest.approx(results["weights_min"], rel=1e-9)
    assert design.weights.max() == pytest.approx(results["weights_max"], rel=1e-9)


@pytest.mark.parametrize("prefix", ["ps_", "rake_", "cal_"])
def test_replicate_weights_equal_r(prefix):
    case = next(c for c in ADJUSTMENT_CASES if (c["design"].get("final_repweights_ref") or {}).get("prefix") == prefix)
    weights = APICLUS1["pw"].to_numpy(dtype=float)
    design = ReplicateStandIn(APICLUS1, weights, weights[:, None] * JK1)
    design = apply_adjustments(design, case["design"]["adjustments"])
    expected = R_REPLICATE[[f"{prefix}{r}" for r in range(1, JK1.shape[1] + 1)]].to_numpy()
    assert np.max(np.abs(design.replicate_weights - expected) / np.maximum(expected, 1.0)) < 1e-9


def test_friendly_totals_equal_r_style_totals():
    friendly = {"stype": {"E": 4421, "H": 755, "M": 1018}, "api99": 3914069}
    r_style = weighting.calibrate(clus1(), R_TOTALS).weights
    assert relative_error(weighting.calibrate(clus1(), friendly).weights, r_style) < 1e-12
    shares = {"stype": {"E": 4421 / 6194, "H": 755 / 6194, "M": 1018 / 6194}, "api99": 3914069}
    assert relative_error(weighting.calibrate(clus1(), shares, population_total=6194).weights, r_style) < 1e-12


def test_rake_reproduces_r_stopping_rule_and_default_converges_fully():
    margins = [POP_TYPES, POP_SCHWIDE]
    default_r = weighting.rake(clus1(), margins, max_iterations=10, epsilon=1)
    tight_r = weighting.rake(clus1(), margins, max_iterations=100, epsilon=1e-12)
    ours = weighting.rake(clus1(), margins)
    assert default_r.adjustments[-1].diagnostics.iterations == 4
    assert tight_r.adjustments[-1].diagnostics.iterations == 12
    # the fully converged default equals R's tight fit, and differs from R's default by up to 3e-5
    assert relative_error(ours.weights, R_WEIGHTS["w_rake_tight"]) < 1e-9
    assert 1e-6 < relative_error(ours.weights, R_WEIGHTS["w_rake_default"]) < 1e-4
    assert ours.adjustments[-1].diagnostics.largest_margin_gap < 1e-10


def test_raking_input_forms_agree():
    expected = weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE]).weights
    forms = [
        {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}},
        [("stype", POP_TYPES.set_index("stype")["Freq"]), ("sch.wide", {"No": 1072, "Yes": 5122})],
        {"stype": {"E": 4421 / 6194, "H": 755 / 6194, "M": 1018 / 6194}, "sch.wide": {"No": 1072, "Yes": 5122}},
    ]
    for form in forms:
        assert relative_error(weighting.rake(clus1(), form).weights, expected) < 1e-9


def test_shares_scale_to_the_design_total_or_a_given_total():
    shares = {"E": 0.7, "H": 0.1, "M": 0.2}
    design = clus1()
    total = design.weights.sum()
    by_design = weighting.poststratify(design, "stype", shares)
    assert by_design.weights.sum() == pytest.approx(total, rel=1e-12)
    given = weighting.poststratify(design, "stype", shares, population_total=1000)
    assert given.weights.sum() == pytest.approx(1000, rel=1e-12)
    high = given.weights[APICLUS1["stype"].to_numpy() == "H"].sum()
    assert high == pytest.approx(100, rel=1e-12)


def test_joint_margin_equals_poststratification_on_the_cross_classification():
    joint = pd.DataFrame(
        {"stype": ["E", "E", "H", "H", "M", "M"], "sch.wide": ["No", "Yes"] * 3, "Freq": [500, 3921, 200, 555, 372, 646]}
    )
    by_cells = weighting.poststratify(clus1(), ["stype", "sch.wide"], joint)
    raked = weighting.rake(clus1(), [joint])
    assert relative_error(raked.weights, by_cells.weights) < 1e-12
    keyed = {("E", "No"): 500, ("E", "Yes"): 3921, ("H", "No"): 200, ("H", "Yes"): 555, ("M", "No"): 372, ("M", "Yes"): 646}
    assert relative_error(weighting.rake(clus1(), {"stype+sch.wide": keyed}).weights, by_cells.weights) < 1e-12


# ---------------------------------------------------------------------------------------------
# 2. Variance: residualization reproduces R's standard errors
# ---------------------------------------------------------------------------------------------


def _one_stage_cluster_se(x: np.ndarray, psu: np.ndarray, population_psus: float) -> float:
    codes, uniques = pd.factorize(psu)
    totals = np.bincount(codes, weights=x)
    n = len(uniques)
    return math.sqrt((1 - n / population_psus) * n / (n - 1) * np.sum((totals - totals.mean()) ** 2))


_LINEARIZATION_CASES = [c for c in ADJUSTMENT_CASES if c["design"]["kind"] == "linearization" and c["dataset"] == "apiclus1.csv"]


@pytest.mark.parametrize("case", _LINEARIZATION_CASES, ids=[c["id"] for c in _LINEARIZATION_CASES])
def test_residualized_influence_gives_r_standard_error(case):
    """Direct check of Adjustment.residualize with the dclus1 variance written out (fpc 757)."""
    design = apply_adjustments(clus1(), case["design"]["adjustments"])
    estimator = case["estimator"]
    y = APICLUS1[estimator["variable"]].to_numpy(dtype=float)
    w = design.weights
    if estimator["function"] == "svymean":
        estimate = np.sum(w * y) / np.sum(w)
        x = w * (y - estimate) / np.sum(w)
    else:
        estimate = np.sum(w * y)
        x = w * y
    for adjustment in design.adjustments:
        x = adjustment.residualize(x[:, None])[:, 0]
    std_error = _one_stage_cluster_se(x, APICLUS1["dnum"].to_numpy(), 757)
    results, tolerance = case["results"], case["tolerance"]
    se_tolerance = tolerance.get("fields", {}).get("se", {})
    assert estimate == pytest.approx(results["estimate"], rel=1e-9)
    assert abs(std_error - results["se"]) <= max(se_tolerance.get("abs", tolerance["abs"]), 1e-6 * abs(results["se"]))


def test_residualize_keeps_the_shape_of_a_vector_or_matrix():
    design = weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE])
    adjustment = design.adjustments[-1]
    x = np.arange(len(APICLUS1), dtype=float)
    assert adjustment.residualize(x).shape == x.shape
    assert adjustment.residualize(np.column_stack([x, x])).shape == (len(x), 2)


# ---------------------------------------------------------------------------------------------
# 3. Through the engine: every adjustment case, estimate / SE / CI / deff
# ---------------------------------------------------------------------------------------------


def _engine_design(case):
    from surveys import ReplicateDesign, SurveyDesign

    spec = case["design"]
    data = pd.read_csv(DATA / spec["data"])
    if spec["kind"] == "linearization":
        return SurveyDesign(data, ids=spec["ids"][0], weights=spec["weights"], fpc=spec["fpc"][0])
    multipliers = pd.read_csv(DATA / spec["repweights_file"]).filter(like=spec["repweights_prefix"]).to_numpy()
    return ReplicateDesign(
        data, weights=spec["weights"], replicate_weights=multipliers, type=spec["type"], scale=spec["scale"],
        rscales=spec["rscales"], mse=spec["mse"], combined_weights=spec["combined_weights"],
    )


@pytest.mark.parametrize("case", ADJUSTMENT_CASES, ids=[c["id"] for c in ADJUSTMENT_CASES])
def test_adjustment_case_through_the_engine(case):
    design = apply_adjustments(_engine_design(case), case["design"]["adjustments"])
    estimator = case["estimator"]
    method = {"svymean": design.mean, "svytotal": design.total}[estimator["function"]]
    estimate = method(estimator["variable"], deff=True)
    results, tolerance = case["results"], case["tolerance"]
    got = {"estimate": estimate.estimate, "se": estimate.std_error, "ci_low": estimate.ci_low,
           "ci_high": estimate.ci_high, "deff": estimate.design_effect}
    for name, value in got.items():
        if results.get(name) is None:
            continue
        field_tolerance = tolerance.get("fields", {}).get(name, {})
        allowed = max(field_tolerance.get("abs", tolerance["abs"]), field_tolerance.get("rel", tolerance["rel"]) * abs(results[name]))
        assert abs(value - results[name]) <= allowed, (name, value, results[name])


def test_engine_designs_keep_the_adjustment_record():
    design = _engine_design(_LINEARIZATION_CASES[0])
    raked = design.rake([POP_TYPES, POP_SCHWIDE])
    assert isinstance(raked.adjustments[-1], weighting.Raking)
    assert design.adjustments == ()


# ---------------------------------------------------------------------------------------------
# 4. Real-data problems: errors that list every problem and say what to do
# ---------------------------------------------------------------------------------------------


def test_sample_categories_missing_from_the_margins_are_all_listed():
    with pytest.raises(WeightingError) as raised:
        weighting.rake(clus1(), {"stype": {"E": 4421}, "sch.wide": {"Yes": 5122}})
    message = str(raised.value)
    assert "'stype' has no margin row for category 'H' (found in 14 respondents)" in message
    assert "'stype' has no margin row for category 'M' (found in 25 respondents)" in message
    assert "'sch.wide' has no margin row for category 'No' (found in 23 respondents)" in message
    assert "collapse=" in message and "add it to the margins" in message


def test_margin_category_without_respondents_is_an_error_naming_it():
    population = {"E": 4421, "H": 755, "M": 1018, "X": 12}
    with pytest.raises(WeightingError, match=r"'stype' category 'X' has a population of 12 but no respondents; merge it"):
        weighting.poststratify(clus1(), "stype", population)


def test_zero_population_with_respondents_is_an_error():
    with pytest.raises(WeightingError, match=r"category 'H' has a population of 0 but 14 respondents"):
        weighting.poststratify(clus1(), "stype", {"E": 4421, "H": 0, "M": 1018})


def test_missing_values_in_a_weighting_variable_are_counted():
    data = APICLUS1.copy()
    data.loc[:4, "stype"] = None
    with pytest.raises(WeightingError, match=r"'stype' is missing for 5 respondents; impute it"):
        weighting.poststratify(clus1(data), "stype", POP_TYPES)


def test_margins_of_different_population_sizes_are_refused():
    with pytest.raises(WeightingError, match=r"populations of different sizes \('stype' 6194, 'sch.wide' 7000\)"):
        weighting.rake(clus1(), {"stype": POP_TYPES, "sch.wide": {"No": 1072, "Yes": 5928}})


def test_unknown_margin_column_is_an_error():
    with pytest.raises(WeightingError, match=r"the margins name \['region'\], which the data does not have"):
        weighting.rake(clus1(), {"region": {"1": 5}})


def test_collapse_merges_categories_in_data_and_margins_and_is_recorded():
    population = {"E": 4421, "H": 755, "M": 1018}
    collapsed = weighting.poststratify(clus1(), "stype", population, collapse={"stype": {"H": "M"}})
    expected = weighting.poststratify(clus1(APICLUS1.assign(stype=APICLUS1["stype"].replace("H", "M"))), "stype",
                                      {"E": 4421, "M": 1773})
    assert relative_error(collapsed.weights, expected.weights) < 1e-12
    diagnostics = collapsed.adjustments[-1].diagnostics
    assert diagnostics.collapsed == {"stype": {"H": "M"}}
    assert list(diagnostics.margins["category"]) == ["E", "M"]
    # a sample category absent from the margins can be collapsed into one that is present
    fixed = weighting.poststratify(clus1(), "stype", {"E": 4421, "M": 1773}, collapse={"stype": {"H": "M"}})
    assert relative_error(fixed.weights, expected.weights) < 1e-12
    with pytest.raises(WeightingError, match=r"collapse= names \['district'\]"):
        weighting.poststratify(clus1(), "stype", population, collapse={"district": {1: 2}})


def test_rake_nonconvergence_raises_with_iterations_and_gap():
    with pytest.raises(ConvergenceError, match=r"raking did not converge in 2 sweeps: largest relative margin gap [0-9.e-]+ \(tolerance 1e-10\)"):
        weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE], max_iterations=2)
    with pytest.raises(ConvergenceError, match=r"largest change of a cell total 50 \(epsilon 1e-06 × Σw = 0.006194\)"):
        weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE], max_iterations=2, epsilon=1e-6)


def test_rake_nonconvergence_warns_when_asked_and_keeps_the_last_weights():
    with pytest.warns(WeightingConvergenceWarning, match="raking did not converge in 2 sweeps"):
        design = weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE], max_iterations=2, on_nonconvergence="warn")
    diagnostics = design.adjustments[-1].diagnostics
    assert not diagnostics.converged and diagnostics.iterations == 2 and len(diagnostics.convergence_trace) == 2
    assert issubclass(WeightingConvergenceWarning, RuntimeWarning)


def test_calibration_nonconvergence_raises():
    with pytest.raises(ConvergenceError, match=r"calibration \(raking\) did not converge in \d+ iterations"):
        weighting.calibrate(clus1(), R_TOTALS, calfun="raking", max_iterations=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weighting.calibrate(clus1(), R_TOTALS, calfun="raking", max_iterations=1, on_nonconvergence="warn")
    assert any(issubclass(w.category, WeightingConvergenceWarning) for w in caught)


@pytest.mark.parametrize(
    "totals, kwargs, message",
    [
        ({"(Intercept)": 6194, "stypeQ": 5}, {}, r"calibration total 'stypeQ' names neither a data column nor a level"),
        ({"(Intercept)": 6194, "stype": 755}, {}, r"'stype' is categorical, so it needs one total per category"),
        ({"(Intercept)": 6194, "stypeH": 755}, {}, r"must leave out exactly one level \(the reference\)"),
        ({"api99": 3914069}, {}, r"calibration needs the population size"),
        ({"stype": {"E": 4421, "H": 755}}, {}, r"'stype' has no total for 'M' \(25 respondents\)"),
        ({"stype": {"E": 4421, "H": 755, "M": 1018}, "(Intercept)": 7000}, {}, r"the counts of 'stype' sum to 6194 but the population size is 7000"),
        ({"stype": {"E": 4421, "H": 755, "M": 1000, "X": 18}}, {}, r"'stype' has totals for categories without respondents: 'X' \(total 18\)"),
        ({"stype": {"E": 4421, "H": 755, "M": 1018}, "stypeH": 755}, {}, r"'stype' is given both as R-style dummies and as a table"),
        (R_TOTALS, {"calfun": "raking", "trim": (1.0, 1.0001)}, r"trim=\(1, 1.0001\) clips every g-factor"),
        (R_TOTALS, {"calfun": "raking", "trim": (1.5, 0.5)}, r"trim must have lower < upper"),
        (R_TOTALS, {"calfun": "logit"}, r"calfun='logit' needs finite bounds"),
        (R_TOTALS, {"bounds": (1.2, 2)}, r"bounds on g must contain 1"),
        (R_TOTALS, {"calfun": "cubic"}, r"calfun must be one of \['linear', 'raking', 'logit'\]"),
        (R_TOTALS, {"on_nonconvergence": "ignore"}, r"on_nonconvergence must be one of"),
    ],
)
def test_calibration_errors(totals, kwargs, message):
    with pytest.raises(WeightingError, match=message):
        weighting.calibrate(clus1(), totals, **kwargs)


def test_missing_auxiliary_values_are_counted():
    data = APICLUS1.assign(api99=APICLUS1["api99"].where(APICLUS1.index >= 3))
    with pytest.raises(WeightingError, match=r"'api99' is missing for 3 respondents"):
        weighting.calibrate(clus1(data), R_TOTALS)


def test_calibration_accepts_margins_objects():
    from surveys.weighting.margins import Margins, as_margin_table

    margins = Margins((as_margin_table(POP_TYPES),))
    expected = weighting.poststratify(clus1(), "stype", POP_TYPES).weights
    assert relative_error(weighting.calibrate(clus1(), margins).weights, expected) < 1e-12


def test_collinear_auxiliaries_are_an_error():
    with pytest.raises(WeightingError, match=r"collinear"):
        weighting.calibrate(clus1(APICLUS1.assign(api99b=APICLUS1["api99"] * 2)), {**R_TOTALS, "api99b": 2 * 3914069})


def test_trim_errors():
    with pytest.raises(WeightingError, match=r"needs lower < upper"):
        weighting.trim_weights(clus1(), 50, 40)
    with pytest.raises(WeightingError, match=r"strict trimming to \[0, 30\] is impossible"):
        weighting.trim_weights(clus1(), 0, 30, strict=True)


def test_trim_leaves_untouched_weights_alone_and_keeps_zero_weights_out():
    design = clus1()
    assert np.array_equal(weighting.trim_weights(design, 10, 100).weights, design.weights)
    weights = design.weights.copy()
    weights[:3] = 0.0
    weights[3] = 400.0
    trimmed = weighting.trim_weights(StandIn(APICLUS1, weights), 20, 45, strict=True).weights
    assert np.all(trimmed[:3] == 0) and trimmed.max() <= 45 + 1e-9
    assert trimmed.sum() == pytest.approx(weights.sum(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 5. Diagnostics and speed structure
# ---------------------------------------------------------------------------------------------


def test_diagnostics_travel_with_the_design():
    design = weighting.rake(clus1(), [POP_TYPES, POP_SCHWIDE], max_iterations=10, epsilon=1)
    diagnostics = design.adjustments[-1].diagnostics
    w = design.weights
    assert diagnostics.method == "rake" and diagnostics.converged
    assert diagnostics.kish_design_effect == pytest.approx(len(w) * np.sum(w**2) / np.sum(w) ** 2)
    assert diagnostics.effective_sample_size == pytest.approx(np.sum(w) ** 2 / np.sum(w**2))
    assert diagnostics.weight_ratio == pytest.approx(w.max() / w.min())
    assert diagnostics.top_share == pytest.approx(np.sort(w)[-2:].sum() / w.sum())  # ceil(1% of 183) = 2
    assert diagnostics.largest_margin_gap == pytest.approx(diagnostics.convergence_trace[-1])
    table = diagnostics.margins
    assert list(table["variable"]) == ["stype"] * 3 + ["sch.wide"] * 2
    assert table["respondents"].tolist() == [144, 14, 25, 23, 160]
    assert table.loc[1, "share_before"] == pytest.approx(14 / 183)
    assert table.loc[1, "target_share"] == pytest.approx(755 / 6194)
    assert diagnostics.flags == () and not diagnostics.exploded


def test_exploding_weights_are_flagged():
    # two schools stand for a third of the population
    data = APICLUS1.assign(group=np.where(np.arange(len(APICLUS1)) < 2, "rare", "common"))
    design = weighting.poststratify(clus1(data), "group", {"rare": 2000, "common": 4194})
    diagnostics = design.adjustments[-1].diagnostics
    assert diagnostics.exploded
    assert any("adjustment factors range" in flag for flag in diagnostics.flags)
    assert any("Kish design effect" in flag for flag in diagnostics.flags)


def test_calibration_diagnostics_and_trim_quirk_note():
    design = weighting.calibrate(clus1(), R_TOTALS, trim=(0.6, 1.5))
    diagnostics = design.adjustments[-1].diagnostics
    assert any("trim= ignored" in note for note in diagnostics.notes)
    table = diagnostics.margins.set_index(["variable", "category"])
    assert table.loc[("stype", "H"), "total_after"] == pytest.approx(755)
    assert table.loc[("api99", ""), "total_after"] == pytest.approx(3914069)
    assert math.isnan(table.loc[("api99", ""), "share_after"])
    trimmed = weighting.calibrate(clus1(), R_TOTALS, calfun="raking", trim=(0.6, 1.5)).adjustments[-1].diagnostics
    assert any("g-factor(s) trimmed" in note for note in trimmed.notes) and trimmed.largest_margin_gap > 1e-4


def test_design_weight_summary_has_a_row_per_stage():
    design = weighting.trim_weights(weighting.calibrate(clus1(), R_TOTALS), 20, 45)
    summary = weighting.design_weight_summary(design)
    assert summary["method"].tolist() == ["base", "calibrate", "trim_weights"]
    assert summary.loc[2, "weight_min"] == pytest.approx(20)
    assert summary.loc[0, "kish_design_effect"] == pytest.approx(1.0)


def test_cells_are_encoded_once_per_design_and_reused_for_other_margins():
    design = clus1()
    first = weighting.rake(design, [POP_TYPES, POP_SCHWIDE]).adjustments[-1].encoding
    alternative = {"stype": {"E": 0.6, "H": 0.2, "M": 0.2}, "sch.wide": {"No": 0.3, "Yes": 0.7}}
    other = weighting.rake(design, alternative)
    assert other.adjustments[-1].encoding is first and first.cells == 6
    # a design derived by weighting shares the encodings; a design built anew does not
    again = weighting.rake(other, [POP_TYPES, POP_SCHWIDE])
    assert again.adjustments[-1].encoding is first
    assert weighting.rake(clus1(), alternative).adjustments[-1].encoding is not first
    assert encode_cells(design.data, ["stype", "sch.wide"]) is not first  # no owner, no cache


def test_cell_encoding_agrees_across_column_types():
    """Shared string objects (factorized by identity), per-row string objects, categoricals and
    integer codes of the same categories give the same cells and the same raked weights."""
    rng = np.random.default_rng(7)
    n = 3000
    codes = rng.integers(1, 4, n)
    labels = np.array(["aa", "bb", "cc"], dtype=object)
    weights = rng.uniform(1, 2, n)
    population = {"aa": 100.0, "bb": 200.0, "cc": 300.0}
    per_row = pd.Series([(labels[c - 1] + "x")[:-1] for c in codes], dtype=object)
    assert len({id(s) for s in per_row}) > 1000  # distinct objects per row
    variants = {
        "shared objects": pd.Series(labels[codes - 1], dtype=object),
        "per-row objects": per_row,
        "categorical": pd.Series(pd.Categorical(labels[codes - 1])),
        "string dtype": pd.Series(labels[codes - 1], dtype="string"),
    }
    results = [
        weighting.poststratify(StandIn(pd.DataFrame({"g": column}), weights), "g", population).weights
        for column in variants.values()
    ]
    for other in results[1:]:
        assert relative_error(other, results[0]) < 1e-12
    numeric = weighting.poststratify(StandIn(pd.DataFrame({"g": codes}), weights), "g", {1: 100, 2: 200, 3: 300}).weights
    assert relative_error(numeric, results[0]) < 1e-12


def test_mixed_codes_and_missing_objects_in_one_column():
    values = pd.Series([3, "3", 4.0, None, float("nan"), "4"] * 5, dtype=object)
    design = StandIn(pd.DataFrame({"g": values}), np.ones(len(values)))
    with pytest.raises(WeightingError, match=r"'g' is missing for 10 respondents"):
        weighting.poststratify(design, "g", {3: 10, 4: 10})
    clean = StandIn(pd.DataFrame({"g": values[values.notna()].reset_index(drop=True)}), np.ones(20))
    result = weighting.poststratify(clean, "g", {"3": 10, "4": 30})
    assert result.weights.sum() == pytest.approx(40)
    assert encode_cells(clean.data, ["g"]).cells == 2


def test_a_domain_is_weighted_on_its_own_rows_only():
    from surveys import SurveyDesign

    design = SurveyDesign(APICLUS1, ids="dnum", weights="pw", fpc="fpc")
    elementary = design.subset(APICLUS1["stype"].to_numpy() == "E")
    # 'stype' H and M occur only outside the domain: no error for lacking their margin rows
    adjusted = elementary.poststratify("stype", {"E": 4421})
    inside = APICLUS1["stype"].to_numpy() == "E"
    assert np.all(adjusted.weights[~inside] == 0)
    assert adjusted.weights[inside].sum() == pytest.approx(4421)
    raked = elementary.rake({"stype": {"E": 4421}, "sch.wide": {"No": 1000, "Yes": 3421}})
    assert raked.weights[inside & (APICLUS1["sch.wide"].to_numpy() == "No")].sum() == pytest.approx(1000)
    assert np.isfinite(raked.mean("api00").std_error)


def test_replicate_that_cannot_be_calibrated_names_the_replicate():
    # a replicate that deletes the only cluster holding a category cannot be calibrated on it
    data = APICLUS1.assign(flag=np.where(APICLUS1["dnum"] == APICLUS1["dnum"].iloc[0], "rare", "common"))
    weights = data["pw"].to_numpy(dtype=float)
    design = ReplicateStandIn(data, weights, weights[:, None] * JK1)
    with pytest.raises(WeightingError, match=r"replicate 1: the calibration auxiliaries are collinear"):
        weighting.calibrate(design, {"flag": {"common": 5000, "rare": 1194}})


def test_scaling_unit_weights_to_population_counts_is_not_an_explosion():
    design = StandIn(APICLUS1, np.ones(len(APICLUS1)))
    raked = weighting.rake(design, [POP_TYPES, POP_SCHWIDE])
    diagnostics = raked.adjustments[-1].diagnostics
    assert not diagnostics.exploded
    assert diagnostics.adjustment_factor_max == pytest.approx(raked.weights.max() / raked.weights.mean())


def _row_by_row_raking_residuals(adjustment, x):
    """R's svyrecvar back-fitting for a raking, sweep by sweep over the rows (what the cell-level computation of
    ``Raking.residualize`` must reproduce)."""
    old, cells = adjustment.old_weights, adjustment.encoding.cell_of_row
    matrix = x.reshape(len(x), -1).copy()
    carries = (old > 0).astype(float)
    codes = [c[cells] for c in adjustment.margins.codes]
    counts = [np.bincount(c, weights=carries, minlength=len(t)) for c, t in zip(codes, adjustment.margins.targets)]
    steps = []
    for totals in adjustment.step_totals:
        factor = np.divide(totals, adjustment.start_totals, out=np.ones_like(totals), where=adjustment.start_totals > 0)
        steps.append(old * factor[cells])
    for _ in range(10):
        for weights, group, count in zip(steps, codes, counts):
            safe = np.where(weights != 0, weights, 1.0)
            ratio = np.where((weights != 0)[:, None], matrix / safe[:, None], 0.0)
            sums = np.stack([np.bincount(group, weights=ratio[:, j], minlength=len(count))
                             for j in range(ratio.shape[1])], axis=1)
            matrix -= weights[:, None] * (sums / np.maximum(count, 1)[:, None])[group]
    return matrix.reshape(x.shape)


def test_raking_residuals_on_cells_equal_the_row_by_row_sweeps():
    import surveys

    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n), "b": rng.choice(["p", "q"], n),
                          "c": rng.choice(["1", "2", "3", "4"], n), "w": rng.uniform(0.5, 3.0, n)})
    frame.loc[rng.choice(n, 200, replace=False), "w"] = 0.0  # rows that carry no weight
    margins = {"a": pd.Series({"x": 3000.0, "y": 2500.0, "z": 2000.0}), "b": pd.Series({"p": 4000.0, "q": 3500.0}),
               "c": pd.Series({"1": 2000.0, "2": 1800.0, "3": 2200.0, "4": 1500.0})}
    raked = surveys.SurveyDesign(frame, weights="w").rake(margins)
    adjustment = raked.adjustments[-1]
    weighted = frame["w"].to_numpy() != 0
    for x in (rng.normal(size=n), rng.normal(size=(n, 5)), rng.normal(size=(n, 2)) * weighted[:, None]):
        assert np.allclose(adjustment.residualize(x), _row_by_row_raking_residuals(adjustment, x),
                           rtol=1e-10, atol=1e-12)
