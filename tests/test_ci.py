"""Confidence intervals for proportions (surveys/ci.py) against R survey 4.1.1, textbook values and invariants.

Every published ``svyciprop``-type reference case (groups svyciprop, svyciprop_domain, svyciprop_replicate and
``svyby(..., svyciprop)``) is rebuilt here as a :class:`ProportionSummary` from the case itself (R's estimate and
SE, df, rows of the design object passed, y and weights from the reference CSVs) and its interval must match R's
``ci_low``/``ci_high`` at the case's tolerance (the rule of ``check_reference.py``).
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from surveys import CI_METHODS, EstimationError, ProportionSummary, proportion_interval
from surveys.estimation.likelihood_ci import (
    likelihood_scaling,
    profile_likelihood_interval,
)

HERE = Path(__file__).resolve().parent
# The repository copy (tests/reference/r_survey) when present, else the shared published reference next to
# the checkout (../shared/reference/r_survey relative to the repository root).
_REFERENCE_CANDIDATES = (HERE / "reference" / "r_survey", HERE.parents[1] / "shared" / "reference" / "r_survey")


def _reference_dir() -> Path | None:
    for candidate in _REFERENCE_CANDIDATES:
        if (candidate / "cases.json").is_file() and (candidate / "data" / "apiclus1_jk1_repw.csv").is_file():
            return candidate
    return None


REFERENCE = _reference_dir()
R_METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit")


def _is_ciprop_case(case: dict) -> bool:
    estimator = case["estimator"]
    if estimator["function"] == "svyciprop":
        return True
    return estimator["function"] == "svyby" and str(estimator.get("FUN", "")).startswith("svyciprop")


def _load_ciprop_cases() -> list[dict]:
    if REFERENCE is None:
        return []
    cases = json.loads((REFERENCE / "cases.json").read_text(encoding="utf-8"))
    return [case for case in cases if _is_ciprop_case(case)]


CIPROP_CASES = _load_ciprop_cases()


# --- the tolerance rule of check_reference.py ----------------------------------------------------------------


def _tolerance(case: dict, field: str) -> tuple[float, float]:
    tolerance = case.get("tolerance") or {}
    rel = float(tolerance.get("rel", 1e-6))
    absolute = float(tolerance.get("abs", 1e-10))
    field_tolerance = (tolerance.get("fields") or {}).get(field)
    if field_tolerance:
        rel = float(field_tolerance.get("rel", rel))
        absolute = float(field_tolerance.get("abs", absolute))
    return rel, absolute


def _matches(got: float, want: float, rel: float, absolute: float) -> bool:
    if math.isnan(got):
        return False
    if math.isinf(want) or math.isinf(got):
        return got == want
    return abs(got - want) <= max(absolute, rel * abs(want))


# --- building a ProportionSummary from a case ----------------------------------------------------------------

_CONDITION = re.compile(r"""^\s*([\w.]+)\s*==\s*(?:'([^']*)'|"([^"]*)"|([-+\w.]+))\s*$""")


def _condition_mask(data: pd.DataFrame, condition: str) -> np.ndarray:
    match = _CONDITION.match(condition)
    if match is None:
        raise ValueError(f"cannot parse the condition {condition!r}")
    column, single, double, bare = match.groups()
    value: object = single if single is not None else double
    if value is None:
        value = float(bare) if re.fullmatch(r"[-+]?\d+(\.\d*)?", bare) else bare
    return (data[column] == value).to_numpy()


def _degrees_of_freedom(design: dict, data: pd.DataFrame, weights: np.ndarray) -> int:
    """R's degf: distinct stage-1 PSUs minus distinct strata, among rows with a non-zero weight."""
    inside = weights != 0
    strata = data[design["strata"]].to_numpy()[inside] if design.get("strata") else np.zeros(inside.sum())
    if design.get("ids"):
        psu = data[design["ids"][0]].to_numpy()[inside]
    else:
        psu = np.arange(len(data))[inside]
    units = set(zip(strata, psu)) if design.get("nest") else set(psu)
    return len(units) - len(set(strata))


def _replicate_logit_std_error(design: dict, data: pd.DataFrame, y: np.ndarray, weights: np.ndarray) -> float:
    """Replicate SE of the per-replicate logits (the intercept-only glm's MLE is the logit of the weighted mean)."""
    multipliers_file = pd.read_csv(REFERENCE / "data" / design["repweights_file"])
    key = "snum" if "snum" in data.columns else multipliers_file.columns[0]
    np.testing.assert_array_equal(multipliers_file[key].to_numpy(), data[key].to_numpy())
    columns = [c for c in multipliers_file.columns if c.startswith(design["repweights_prefix"])]
    assert len(columns) == design["n_replicates"]
    replicate_weights = weights[:, None] * multipliers_file[columns].to_numpy(dtype=float)
    replicate_logits = special.logit(y @ replicate_weights / replicate_weights.sum(axis=0))
    full_logit = special.logit(np.dot(weights, y) / weights.sum())
    centre = full_logit if design.get("mse") else replicate_logits.mean()
    rscales = np.asarray(design.get("rscales") or np.ones(len(columns)), dtype=float)
    return float(math.sqrt(design["scale"] * np.sum(rscales * (replicate_logits - centre) ** 2)))


def _case_method(case: dict) -> str:
    estimator = case["estimator"]
    if estimator.get("method"):
        return estimator["method"]
    match = re.search(r"svyciprop\((\w+)\)", str(estimator.get("FUN", "")))
    return match.group(1) if match else "logit"


def _case_summary(case: dict) -> ProportionSummary:
    design, estimator, results = case["design"], case["estimator"], case["results"]
    data = pd.read_csv(REFERENCE / "data" / design["data"])
    if design.get("row_filter"):
        data = data[_condition_mask(data, design["row_filter"])].reset_index(drop=True)
    if design.get("adjustments"):
        raise NotImplementedError("no svyciprop case on an adjusted design is published")
    y = data[estimator["variable"]].to_numpy(dtype=float)
    weights = data[design["weights"]].to_numpy(dtype=float) if design.get("weights") else np.ones(len(data))
    logit_std_error = None
    if design["kind"] == "replicate":
        logit_std_error = _replicate_logit_std_error(design, data, y, weights)
        df = float(design["degf"])
        rows = len(data)
    else:
        domain = design.get("domain")
        if estimator["function"] == "svyby":
            domain = f"{estimator['by']} == '{estimator['by_value']}'"
        if domain:
            # A plain subset() of an uncalibrated design keeps only the domain rows (nrow = domain rows) while
            # n_h and the fpc stay those of the full sample; the df counts the domain's PSUs.
            inside = _condition_mask(data, domain)
            df_weights = np.where(inside, weights, 0.0)
            y, weights = y[inside], weights[inside]
        else:
            df_weights = weights
        df = float(_degrees_of_freedom(design, data, df_weights))
        if estimator["function"] == "svyciprop":
            assert df == design["degf"], "the df helper disagrees with R's degf for this case"
        rows = len(y)
    return ProportionSummary(
        estimate=results["estimate"],
        std_error=results["se"],
        df=df,
        level=float(estimator.get("level", 0.95)),
        design_df=df,
        rows=rows,
        y=y,
        weights=weights,
        logit_std_error=logit_std_error,
    )


def test_reference_cases_are_found() -> None:
    assert REFERENCE is not None, f"no R reference found at any of {[str(p) for p in _REFERENCE_CANDIDATES]}"
    groups = {case["group"] for case in CIPROP_CASES}
    assert {"svyciprop", "svyciprop_domain", "svyciprop_replicate", "svyby"} <= groups
    assert {_case_method(case) for case in CIPROP_CASES} == set(R_METHODS)
    assert len(CIPROP_CASES) >= 28


@pytest.mark.parametrize("case", CIPROP_CASES, ids=[case["id"] for case in CIPROP_CASES])
def test_interval_matches_r(case: dict) -> None:
    summary = _case_summary(case)
    low, high = proportion_interval(summary, _case_method(case))
    for field, got in (("ci_low", low), ("ci_high", high)):
        want = case["results"][field]
        rel, absolute = _tolerance(case, field)
        assert _matches(got, want, rel, absolute), (
            f"{case['id']} {field}: got {got!r}, R {want!r} (rel err {abs(got - want) / abs(want):.3g}, "
            f"tol rel {rel:g} abs {absolute:g})"
        )


LIKELIHOOD_CASES = [case for case in CIPROP_CASES if _case_method(case) == "likelihood"]


@pytest.mark.parametrize("case", LIKELIHOOD_CASES, ids=[case["id"] for case in LIKELIHOOD_CASES])
def test_likelihood_internals_match_r(case: dict) -> None:
    """φ from y and weights equals R's; with R's own λ and φ the exact roots equal R's exact profile."""
    summary = _case_summary(case)
    results = case["results"]
    design_effect, dispersion = likelihood_scaling(
        summary.estimate, summary.std_error, summary.rows, summary.y, summary.weights
    )
    assert dispersion == pytest.approx(results["lik_dispersion"], rel=1e-8)
    # R's λ is evaluated at the penultimate IRLS iterate of glm (see surveys/likelihood_ci.py): close, not equal.
    assert design_effect == pytest.approx(results["lik_lambda"], rel=1e-4)
    quantile = stats.t.ppf(1 - (1 - summary.level) / 2, summary.df)
    assert quantile * math.sqrt(results["lik_lambda"]) == pytest.approx(results["lik_critical_z"], rel=1e-9)
    low, high = profile_likelihood_interval(
        summary.estimate, quantile, summary.rows, results["lik_lambda"], results["lik_dispersion"]
    )
    assert low == pytest.approx(results["ci_low_exact_profile"], rel=1e-8)
    assert high == pytest.approx(results["ci_high_exact_profile"], rel=1e-8)
    # For 0/1 data φ = n/(n − 1) exactly, so y and weights do not change the interval.
    without_data = ProportionSummary(
        summary.estimate, summary.std_error, summary.df, summary.level, summary.design_df, summary.rows
    )
    assert proportion_interval(without_data, "likelihood") == pytest.approx(
        proportion_interval(summary, "likelihood"), rel=1e-9
    )


def test_likelihood_accepts_domain_zeroed_weights() -> None:
    """Full-length y/weights with weight 0 (and even missing y) outside the domain = the domain rows alone."""
    case = next(c for c in CIPROP_CASES if c["id"] == "ciprop_clus1H_sw_beta_95")
    domain_only = _case_summary(case)
    data = pd.read_csv(REFERENCE / "data" / case["design"]["data"])
    inside = (data["stype"] == "H").to_numpy()
    y = np.where(inside, data["sw"].to_numpy(dtype=float), np.nan)
    weights = np.where(inside, data["pw"].to_numpy(dtype=float), 0.0)
    zeroed = ProportionSummary(
        domain_only.estimate, domain_only.std_error, 7.0, 0.95, 7.0, domain_only.rows, y=y, weights=weights
    )
    assert proportion_interval(zeroed, "likelihood") == pytest.approx(
        proportion_interval(domain_only, "likelihood"), rel=1e-12
    )
    with pytest.raises(EstimationError, match="missing"):
        bad = np.where(inside, np.nan, 0.0)
        proportion_interval(dataclasses.replace(zeroed, y=bad), "likelihood")


def test_replicate_logit_uses_the_replicate_logit_std_error() -> None:
    case = next(c for c in CIPROP_CASES if c["id"] == "rep_jk1_ciprop_sw_logit_95")
    summary = _case_summary(case)
    delta_method = summary.std_error / (summary.estimate * (1 - summary.estimate))
    assert summary.logit_std_error != pytest.approx(delta_method, rel=1e-3)
    assert proportion_interval(summary, "logit") != pytest.approx(proportion_interval(summary, "xlogit"), rel=1e-5)


# --- textbook values (docs/scoring.md §4) and independent implementations ---------------------------------------


def _srs(successes: int, n: int, level: float = 0.95) -> ProportionSummary:
    p = successes / n
    return ProportionSummary(p, math.sqrt(p * (1 - p) / n), math.inf, level, math.inf, n)


def _percent(interval: tuple[float, float]) -> tuple[float, float]:
    return round(100 * interval[0], 1), round(100 * interval[1], 1)


def test_textbook_values_near_100_percent() -> None:
    # The quoted values are rounded to 0.1 pp (Wilson's 99.45 is quoted as 99.5): compare at 0.06 pp.
    quoted = 0.0006
    assert proportion_interval(_srs(98, 100), "wilson") == pytest.approx((0.930, 0.995), abs=quoted)
    assert proportion_interval(_srs(98, 100), "clopper_pearson") == pytest.approx((0.930, 0.998), abs=quoted)
    assert proportion_interval(_srs(100, 100), "wilson") == pytest.approx((0.963, 1.0), abs=quoted)
    assert proportion_interval(_srs(100, 100), "wilson")[1] == 1.0
    low, high = proportion_interval(_srs(100, 100), "clopper_pearson")
    assert (low, high) == (pytest.approx(0.025 ** (1 / 100), rel=1e-12), 1.0)
    assert _percent(proportion_interval(_srs(0, 100), "wilson")) == (0.0, 3.7)


@pytest.mark.parametrize("successes,n", [(0, 10), (1, 10), (7, 10), (10, 10), (98, 100), (412, 500), (3, 1000)])
@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_srs_intervals_equal_scipy_binomtest(successes: int, n: int, level: float) -> None:
    """With an SRS standard error and df = inf, n_eff = n: the textbook Wilson and exact intervals."""
    summary = _srs(successes, n, level)
    reference = stats.binomtest(successes, n)
    for method, scipy_method in (("wilson", "wilson"), ("clopper_pearson", "exact")):
        want = reference.proportion_ci(confidence_level=level, method=scipy_method)
        got = proportion_interval(summary, method)
        assert got == pytest.approx((want.low, want.high), rel=1e-9, abs=1e-12), method


def test_wilson_uses_the_t_quantile() -> None:
    base = _srs(45, 60)
    with_df = ProportionSummary(base.estimate, base.std_error, 9.0, 0.95, 9.0, 60)
    assert _width(proportion_interval(with_df, "wilson")) > _width(proportion_interval(base, "wilson"))


def test_effective_size_is_capped_at_rows() -> None:
    """A tiny SE (e.g. a calibration margin) cannot make the interval narrower than an SRS of all rows."""
    capped = ProportionSummary(0.83, 1e-12, math.inf, 0.95, math.inf, 200)
    srs = _srs(166, 200)
    for method in ("wilson", "clopper_pearson"):
        assert proportion_interval(capped, method) == pytest.approx(proportion_interval(srs, method), rel=1e-12)


def test_korn_graubard_equals_r_beta_below_the_cap_and_df_adjusts() -> None:
    # n_eff = 0.2·0.8/0.04² = 100 ≤ 400 rows: no cap, so Korn–Graubard is R's beta.
    summary = ProportionSummary(0.2, 0.04, 11.0, 0.95, 11.0, 400)
    assert proportion_interval(summary, "korn_graubard") == pytest.approx(
        proportion_interval(summary, "beta"), rel=1e-12
    )
    # Few degrees of freedom shrink the effective size: wider than Clopper–Pearson on n_eff.
    assert _width(proportion_interval(summary, "korn_graubard")) > _width(
        proportion_interval(summary, "clopper_pearson")
    )


def test_beta_always_uses_the_design_df() -> None:
    design = ProportionSummary(0.874, 0.0204, 14.0, 0.95, 14.0, 183)
    asked_normal = ProportionSummary(0.874, 0.0204, math.inf, 0.95, 14.0, 183)
    assert proportion_interval(asked_normal, "beta") == proportion_interval(design, "beta")
    assert proportion_interval(asked_normal, "logit") != proportion_interval(design, "logit")


def test_logit_equals_xlogit_without_a_replicate_logit_std_error() -> None:
    summary = ProportionSummary(0.874, 0.0204, 14.0, 0.95, 14.0, 183)
    assert proportion_interval(summary, "logit") == pytest.approx(proportion_interval(summary, "xlogit"), rel=1e-14)
    assert proportion_interval(summary) == proportion_interval(summary, "logit")


def test_infinite_df_means_the_normal_quantile() -> None:
    summary = ProportionSummary(0.5, 0.1, math.inf, 0.95, math.inf, 100)
    low, high = proportion_interval(summary, "mean")
    assert (high - low) / 2 == pytest.approx(stats.norm.ppf(0.975) * 0.1, rel=1e-14)


# --- edge cases and errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("estimate", [0.0, 1.0])
def test_boundary_estimates_give_sensible_intervals(estimate: float) -> None:
    summary = ProportionSummary(estimate, 0.0, 14.0, 0.95, 14.0, 183)
    for method in ("wilson", "clopper_pearson", "korn_graubard", "beta"):
        low, high = proportion_interval(summary, method)
        assert not (math.isnan(low) or math.isnan(high)), method
        if estimate == 0.0:
            assert low == 0.0 and 0.0 < high < 0.1, method
        else:
            assert high == 1.0 and 0.9 < low < 1.0, method
    for method in ("logit", "xlogit", "asin", "likelihood", "mean"):
        assert proportion_interval(summary, method) == (estimate, estimate), method


def test_zero_se_inside_the_unit_interval() -> None:
    summary = ProportionSummary(0.83, 0.0, 14.0, 0.95, 14.0, 183)
    for method in ("logit", "xlogit", "asin", "likelihood", "mean"):
        assert proportion_interval(summary, method) == pytest.approx((0.83, 0.83), rel=1e-15), method
    for method in ("wilson", "clopper_pearson", "korn_graubard", "beta"):
        low, high = proportion_interval(summary, method)
        assert 0.7 < low < 0.83 < high < 0.9, method


def test_asin_is_clipped_instead_of_folding_back() -> None:
    summary = ProportionSummary(0.97, 0.08, 5.0, 0.95, 5.0, 30)
    low, high = proportion_interval(summary, "asin")
    assert high == 1.0 and low < 0.97


def test_unknown_method_lists_the_known_ones() -> None:
    summary = ProportionSummary(0.5, 0.1, 10.0, 0.95, 10.0, 50)
    with pytest.raises(EstimationError, match="unknown confidence-interval method 'agresti'") as error:
        proportion_interval(summary, "agresti")
    for name in CI_METHODS:
        assert name in str(error.value)
    with pytest.raises(EstimationError):
        proportion_interval(summary, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.2, 95, math.nan])
def test_level_outside_the_unit_interval_is_an_error(level: float) -> None:
    with pytest.raises(EstimationError, match="level"):
        ProportionSummary(0.5, 0.1, 10.0, level, 10.0, 50)


@pytest.mark.parametrize(
    "changes",
    [
        {"estimate": 1.2},
        {"estimate": math.nan},
        {"std_error": -0.1},
        {"std_error": math.inf},
        {"df": 0.0},
        {"df": math.nan},
        {"rows": 0},
        {"rows": 2.5},
        {"logit_std_error": -1.0},
        {"y": np.zeros(3), "weights": np.ones(4)},
        {"y": np.zeros(3)},
    ],
)
def test_invalid_summaries_are_errors(changes: dict) -> None:
    arguments = dict(estimate=0.5, std_error=0.1, df=10.0, level=0.95, design_df=10.0, rows=50)
    arguments.update(changes)
    with pytest.raises(EstimationError):
        ProportionSummary(**arguments)


def test_methods_needing_rows_minus_one_explain_themselves() -> None:
    summary = ProportionSummary(0.5, 0.1, 10.0, 0.95, 0.0, 1)
    with pytest.raises(EstimationError, match="at least 2 rows"):
        proportion_interval(summary, "korn_graubard")
    with pytest.raises(EstimationError, match="degrees of freedom"):
        proportion_interval(ProportionSummary(0.5, 0.1, 10.0, 0.95, 0.0, 50), "beta")


def test_registry_is_read_only_and_complete() -> None:
    assert set(CI_METHODS) == set(R_METHODS) | {"wilson", "clopper_pearson", "korn_graubard"}
    with pytest.raises(TypeError):
        CI_METHODS["mine"] = CI_METHODS["mean"]  # type: ignore[index]


def test_rounding_above_one_is_clipped() -> None:
    summary = ProportionSummary(1.0 + 1e-13, 0.0, 10.0, 0.95, 10.0, 50)
    assert summary.estimate == 1.0


# --- invariants ----------------------------------------------------------------------------------------------


def _width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


_SLACK = 1e-9


@st.composite
def _summaries(draw):
    p = draw(st.floats(0.01, 0.99))
    # SE between 1/1000 and 1 times the Bernoulli SD: effective sizes from 1 to 10^6.
    relative_se = draw(st.floats(1e-3, 1.0))
    std_error = relative_se * math.sqrt(p * (1 - p))
    df = draw(st.one_of(st.just(math.inf), st.floats(1.0, 500.0)))
    rows = draw(st.integers(2, 5000))
    level = draw(st.floats(0.5, 0.995))
    return ProportionSummary(p, std_error, df, level, df, rows)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(summary=_summaries(), higher=st.floats(0.0, 0.999), smaller=st.floats(0.05, 1.0))
def test_intervals_contain_the_estimate_widen_with_level_and_narrow_with_se(summary, higher, smaller) -> None:
    wider_level = summary.level + (0.999 - summary.level) * higher
    more_confident = ProportionSummary(
        summary.estimate, summary.std_error, summary.df, wider_level, summary.design_df, summary.rows
    )
    more_precise = ProportionSummary(
        summary.estimate, summary.std_error * smaller, summary.df, summary.level, summary.design_df, summary.rows
    )
    for method in CI_METHODS:
        low, high = proportion_interval(summary, method)
        assert low - _SLACK <= summary.estimate <= high + _SLACK, method
        if method != "mean":
            assert -_SLACK <= low and high <= 1 + _SLACK, method
        wide_low, wide_high = proportion_interval(more_confident, method)
        assert wide_low <= low + _SLACK and wide_high >= high - _SLACK, method
        assert _width(proportion_interval(more_precise, method)) <= high - low + _SLACK, method
