"""SurveyDesign: encoding, fpc by stage, multistage variance by hand, domains, lonely PSUs, errors."""
from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd
import pytest

import surveys
from surveys import DesignError, EstimationError, SurveyDesign

DATA = pathlib.Path(__file__).parent / "reference" / "r_survey" / "data"


# ----------------------------------------------------------------------------------------------
# synthetic designs and direct (loop) formulas to check the vectorised engine against
def two_stage_sample(seed: int = 3) -> pd.DataFrame:
    """2 strata × 4–5 PSUs (of N_h = 20/30), 1–4 SSUs per PSU (of M = 6..9), 1–3 rows per SSU."""
    rng = np.random.default_rng(seed)
    rows = []
    for stratum, (psus, population) in {"north": (4, 20), "south": (5, 30)}.items():
        for psu in range(psus):
            ssus = int(rng.integers(1, 5))
            size = int(rng.integers(max(ssus, 6), 10))
            for ssu in range(ssus):
                for _ in range(int(rng.integers(1, 4))):
                    rows.append({
                        "region": stratum, "village": f"v{psu}", "household": f"h{ssu}",
                        "villages": population, "households": size,
                        "income": float(rng.gamma(3.0, 10.0)), "happy": float(rng.random() < 0.6),
                        "persons": float(rng.integers(1, 6)),
                    })
    return pd.DataFrame(rows)


def direct_two_stage_variance(frame: pd.DataFrame, x: np.ndarray) -> float:
    """README formula, written as plain loops: stage-1 between-PSU term + (n_h/N_h)·V2 per PSU."""
    frame = frame.assign(x=x)
    total = 0.0
    for _, stratum in frame.groupby("region"):
        psu_totals = stratum.groupby("village")["x"].sum()
        n_h = len(psu_totals)
        big_n = stratum["villages"].iloc[0]
        f_h = 1 - n_h / big_n
        total += f_h * n_h / (n_h - 1) * ((psu_totals - psu_totals.mean()) ** 2).sum()
        for _, psu in stratum.groupby("village"):
            ssu_totals = psu.groupby("household")["x"].sum()
            m = len(ssu_totals)
            big_m = psu["households"].iloc[0]
            if m > 1:
                v2 = (1 - m / big_m) * m / (m - 1) * ((ssu_totals - ssu_totals.mean()) ** 2).sum()
            else:
                v2 = 0.0 if m == big_m else math.nan
            total += n_h / big_n * v2
    return total


def derived_weights(frame: pd.DataFrame) -> np.ndarray:
    n_h = frame.groupby("region")["village"].transform("nunique")
    m_hi = frame.groupby(["region", "village"])["household"].transform("nunique")
    return (frame["villages"] / n_h * frame["households"] / m_hi).to_numpy()


@pytest.fixture(scope="module")
def two_stage():
    frame = two_stage_sample()
    # no lonely second-stage unit unless it is a census (M = 1 is not generated, so force m ≥ 2)
    counts = frame.groupby(["region", "village"])["household"].transform("nunique")
    return frame[counts >= 2].reset_index(drop=True)


def test_two_stage_fpc_variance_equals_direct_double_sum(two_stage):
    design = SurveyDesign(two_stage, ids=["village", "household"], strata="region",
                          fpc=["villages", "households"], nest=True)
    np.testing.assert_allclose(design.weights, derived_weights(two_stage), rtol=1e-12)
    total = design.total("income")
    x = design.weights * two_stage["income"].to_numpy()
    assert total.std_error ** 2 == pytest.approx(direct_two_stage_variance(two_stage, x), rel=1e-12)
    mean = design.mean("income")
    w = design.weights
    ybar = np.sum(w * two_stage["income"]) / w.sum()
    x_mean = w * (two_stage["income"].to_numpy() - ybar) / w.sum()
    assert mean.std_error ** 2 == pytest.approx(direct_two_stage_variance(two_stage, x_mean), rel=1e-12)
    psus = two_stage.groupby("region")["village"].nunique()
    assert design.degrees_of_freedom == psus.sum() - len(psus)


def test_two_stage_without_second_fpc_uses_psu_totals_only(two_stage):
    weights = derived_weights(two_stage)
    frame = two_stage.assign(weight=weights)
    full = SurveyDesign(frame, ids=["village", "household"], strata="region", weights="weight",
                        fpc=["villages", "households"], nest=True)
    first_only = SurveyDesign(frame, ids=["village", "household"], strata="region", weights="weight",
                              fpc="villages", nest=True)
    one_stage = SurveyDesign(frame, ids="village", strata="region", weights="weight", fpc="villages", nest=True)
    assert first_only.total("income").std_error == pytest.approx(one_stage.total("income").std_error, rel=1e-13)
    assert full.total("income").std_error > first_only.total("income").std_error


def test_fpc_as_sampling_fraction_equals_population_size(two_stage):
    n_h = two_stage.groupby("region")["village"].transform("nunique")
    m_hi = two_stage.groupby(["region", "village"])["household"].transform("nunique")
    fractions = two_stage.assign(f1=n_h / two_stage["villages"], f2=m_hi / two_stage["households"])
    by_size = SurveyDesign(two_stage, ids=["village", "household"], strata="region",
                           fpc=["villages", "households"], nest=True)
    by_fraction = SurveyDesign(fractions, ids=["village", "household"], strata="region", fpc=["f1", "f2"], nest=True)
    a, b = by_size.mean("income", deff=True), by_fraction.mean("income", deff=True)
    assert (a.estimate, a.std_error) == pytest.approx((b.estimate, b.std_error), rel=1e-12)


def test_census_second_stage_unit_is_not_lonely():
    frame = pd.DataFrame({
        "psu": ["a", "a", "b", "b", "c"], "ssu": [1, 2, 1, 2, 1], "n1": 10, "n2": [4, 4, 5, 5, 1],
        "y": [1.0, 2.0, 3.0, 5.0, 8.0],
    })
    design = SurveyDesign(frame, ids=["psu", "ssu"], fpc=["n1", "n2"])  # psu c: 1 of 1 ssu = census
    assert math.isfinite(design.total("y").std_error)
    lonely = frame.assign(n2=[4, 4, 5, 5, 3])
    with pytest.raises(DesignError, match="stage 2"):  # as R: when the variance is computed
        SurveyDesign(lonely, ids=["psu", "ssu"], fpc=["n1", "n2"]).total("y")


def test_sampling_units_are_encoded_when_a_variance_needs_them():
    frame = pd.DataFrame({"s": list("aabbc"), "p": ["x", "y", "x", "y", "x"], "w": 2.0, "y": [1.0, 2.0, 4.0, 3.0, 5.0]})
    design = SurveyDesign(frame, ids="p", strata="s", weights="w", nest=True)  # stratum c has one PSU
    raked = design.rake({"s": pd.Series({"a": 4.0, "b": 4.0, "c": 2.0})})
    assert raked.weights.sum() == pytest.approx(10.0)  # weighting needs no sampling units
    with pytest.raises(DesignError, match="'c'"):
        raked.total("y")
    gap = SurveyDesign(frame.assign(p=["x", None, "x", "y", "x"]), ids="p", strata="s", weights="w", nest=True)
    with pytest.raises(DesignError, match="1 missing values"):  # a missing id: when the units are encoded
        gap.mean("y")
    assert "psus=?" in repr(gap)  # a repr never raises
    with pytest.raises(DesignError, match="repeat across strata"):  # as is an id in two strata without nest
        SurveyDesign(frame, ids="p", strata="s", weights="w")
    averaged = SurveyDesign(frame, ids="p", strata="s", weights="w", nest=True, lonely_psu="average")
    assert repr(averaged).startswith("SurveyDesign(rows=5, psus=5, strata=3")


def test_nest_makes_psu_identity_stratum_and_id():
    frame = pd.DataFrame({"s": list("aabb"), "p": [1, 2, 1, 2], "w": 1.0, "y": [1.0, 2.0, 4.0, 3.0]})
    with pytest.raises(DesignError, match="nest=True"):
        SurveyDesign(frame, ids="p", strata="s", weights="w")
    nested = SurveyDesign(frame, ids="p", strata="s", weights="w", nest=True)
    assert nested.degrees_of_freedom == 2
    # stratified SRS with 2 rows per stratum, no fpc: V(total) = Σ_h 2·Σ(t − t̄)² = 2·(0.5 + 0.5)
    assert nested.total("y").std_error ** 2 == pytest.approx(2 * 0.5 + 2 * 0.5)


# ----------------------------------------------------------------------------------------------
# domains
@pytest.fixture(scope="module")
def clus1():
    frame = pd.read_csv(DATA / "apiclus1.csv")
    return SurveyDesign(frame, ids="dnum", weights="pw", fpc="fpc")


def test_by_equals_subset_level_by_level(clus1):
    table = clus1.by("stype").mean("api00", deff=True)
    assert [row.domain["stype"] for row in table] == ["E", "H", "M"]
    for row in table:
        single = clus1.subset(clus1.data["stype"] == row.domain["stype"]).mean("api00", deff=True)
        assert (row.estimate, row.std_error, row.design_effect) == pytest.approx(
            (single.estimate, single.std_error, single.design_effect), rel=1e-12)
        assert row.extras["design_df"] == single.extras["design_df"]
    frame = table.to_frame()
    assert list(frame.columns[:3]) == ["stype", "statistic", "variable"]


def test_many_domains_at_once_match_a_loop_of_subsets():
    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({
        "district": rng.choice([f"d{i:02d}" for i in range(12)], n),
        "mode": rng.choice(["paper", "online"], n),
        "satisfied": (rng.random(n) < 0.7).astype(float),
        "weight": rng.uniform(0.5, 3.0, n),
    })
    frame["psu"] = frame["district"] + "-" + rng.integers(0, 8, n).astype(str)
    design = SurveyDesign(frame, ids="psu", strata="district", weights="weight", nest=True)
    table = design.by(["district", "mode"]).proportion("satisfied")
    assert len(table) == 24
    for row in table[::5]:
        mask = (frame["district"] == row.domain["district"]) & (frame["mode"] == row.domain["mode"])
        single = design.subset(mask).proportion("satisfied")
        assert (row.estimate, row.std_error, row.ci_low, row.ci_high, row.df) == pytest.approx(
            (single.estimate, single.std_error, single.ci_low, single.ci_high, single.df), rel=1e-12)


def test_subset_keeps_every_psu_unlike_filtering(clus1):
    high = clus1.subset(clus1.data["stype"] == "H")
    naive = SurveyDesign(clus1.data[clus1.data["stype"] == "H"], ids="dnum", weights="pw", fpc="fpc")
    assert high.total("enroll").estimate == pytest.approx(naive.total("enroll").estimate)
    assert high.total("enroll").std_error == pytest.approx(226716.6, rel=1e-6)
    assert naive.total("enroll").std_error == pytest.approx(190846.3, rel=1e-6)
    assert high.degrees_of_freedom == 7 and high.rows == 14
    assert (high.weights[clus1.data["stype"] != "H"] == 0).all()


def test_subset_by_boolean_column_and_nested_subsets(clus1):
    frame = clus1.data.assign(is_high=clus1.data["stype"] == "H")
    design = SurveyDesign(frame, ids="dnum", weights="pw", fpc="fpc")
    by_column = design.subset("is_high").mean("api00")
    by_mask = design.subset(frame["stype"] == "H").mean("api00")
    assert by_column.std_error == by_mask.std_error
    twice = design.subset(frame["stype"] != "E").subset(frame["stype"] != "M").mean("api00")
    assert twice.std_error == pytest.approx(by_mask.std_error, rel=1e-13)


def test_missing_values_with_and_without_na_rm():
    frame = pd.DataFrame({"p": [1, 1, 2, 2, 3, 3], "w": 2.0, "y": [1.0, np.nan, 3.0, 4.0, 5.0, 7.0]})
    design = SurveyDesign(frame, ids="p", weights="w")
    assert math.isnan(design.mean("y").estimate)
    kept = design.mean("y", na_rm=True)
    dropped = design.subset(frame["y"].notna()).mean("y")
    assert (kept.estimate, kept.std_error) == pytest.approx((dropped.estimate, dropped.std_error))
    assert kept.respondents == 5 and kept.extras["design_df"] == 2


def test_domain_without_respondents_is_an_error(clus1):
    with pytest.raises(DesignError, match="no rows"):
        clus1.subset(np.zeros(len(clus1.data), dtype=bool))
    frame = clus1.data.assign(score=np.where(clus1.data["stype"] == "H", np.nan, 1.0))
    design = SurveyDesign(frame, ids="dnum", weights="pw", fpc="fpc")
    with pytest.raises(DesignError, match="stype='H'.*no respondents"):
        design.by("stype").mean("score", na_rm=True)


# ----------------------------------------------------------------------------------------------
# lonely PSUs, by hand on a 3-stratum design (stratum c has one PSU)
@pytest.fixture(scope="module")
def lonely_frame():
    return pd.DataFrame({
        "s": ["a", "a", "a", "b", "b", "c"], "y": [2.0, 4.0, 9.0, 1.0, 5.0, 6.0], "w": [3.0] * 6,
        "N": [30, 30, 30, 20, 20, 10],
    })


def _stratum_term(t: np.ndarray, big_n: float) -> float:
    n = len(t)
    return (1 - n / big_n) * n / (n - 1) * np.sum((t - t.mean()) ** 2)


def test_lonely_psu_rules_by_hand(lonely_frame):
    t = lonely_frame["w"].to_numpy() * lonely_frame["y"].to_numpy()
    base = _stratum_term(t[:3], 30) + _stratum_term(t[3:5], 20)
    expected = {
        "certainty": base, "remove": base,
        "adjust": base + (1 - 1 / 10) * t[5] ** 2,
        "average": base * 3 / 2,
    }
    for rule, variance in expected.items():
        design = SurveyDesign(lonely_frame, strata="s", weights="w", fpc="N", lonely_psu=rule)
        assert design.total("y").std_error ** 2 == pytest.approx(variance, rel=1e-12), rule
    failing = SurveyDesign(lonely_frame, strata="s", weights="w", fpc="N")
    for estimate in (lambda: failing.total("y"), lambda: failing.to_replicate("bootstrap", replicates=10, seed=1)):
        with pytest.raises(DesignError, match="'c'"):  # as R: when a variance needs the strata, not before
            estimate()
    with pytest.raises(DesignError, match="lonely_psu"):
        SurveyDesign(lonely_frame, strata="s", weights="w", lonely_psu="ignore")


def test_census_stratum_contributes_nothing(lonely_frame):
    census = lonely_frame.assign(N=[3, 3, 3, 20, 20, 1])
    design = SurveyDesign(census, strata="s", weights="w", fpc="N")
    t = census["w"].to_numpy() * census["y"].to_numpy()
    assert design.total("y").std_error ** 2 == pytest.approx(_stratum_term(t[3:5], 20), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# estimators
def test_ratio_matches_its_influence_formula_and_deff(clus1):
    frame = clus1.data
    w = clus1.weights
    ratio = clus1.ratio("api00", "enroll", deff=True)
    estimate = np.sum(w * frame["api00"]) / np.sum(w * frame["enroll"])
    assert ratio.estimate == pytest.approx(estimate, rel=1e-13)
    r = (frame["api00"] - estimate * frame["enroll"]).to_numpy() / np.sum(w * frame["enroll"])
    helper = SurveyDesign(frame.assign(r=r), ids="dnum", weights="pw", fpc="fpc").total("r", deff=True)
    assert ratio.std_error == pytest.approx(helper.std_error, rel=1e-12)
    assert ratio.design_effect == pytest.approx(helper.design_effect, rel=1e-12)
    assert ratio.statistic == "ratio" and ratio.variable == "api00/enroll"


def test_interval_conventions(clus1):
    normal = clus1.mean("api00")
    t = clus1.mean("api00", df=14)
    assert normal.df == math.inf and t.df == 14
    assert t.ci_high - t.ci_low > normal.ci_high - normal.ci_low
    proportion = clus1.proportion("sw")
    assert proportion.df == 14 and proportion.extras["design_df"] == 14 and proportion.ci_method == "logit"
    ninety = clus1.proportion("sw", level=0.9, ci_method="mean")
    assert ninety.ci_high - ninety.ci_low < proportion.ci_high - proportion.ci_low


def test_proportion_checks_its_variable(clus1):
    with pytest.raises(EstimationError, match="0/1"):
        clus1.proportion("api00")
    with pytest.raises(EstimationError, match="ci_method"):
        clus1.proportion("sw", ci_method="bayes")
    with pytest.raises(EstimationError, match="level"):
        clus1.mean("api00", level=95)


def test_quantile_tie_rule_uses_extended_precision():
    frame = pd.read_csv(DATA / "apisrs.csv")
    design = SurveyDesign(frame, weights="pw", fpc="fpc")
    assert design.quantile("api00", 0.5).estimate == 658.0
    equal = SurveyDesign(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "w": 0.1}), weights="w")
    assert equal.quantile("x", 0.5).estimate == 2.0  # C_2 = p·T exactly: the lower value
    assert equal.quantile("x", 0.5, rule="hf7").estimate == pytest.approx(2.5)


# ----------------------------------------------------------------------------------------------
# weighting hooks
class _RecordingAdjustment:
    """Residualizes by removing the weighted mean of x/w (like post-stratification on one cell)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = weights
        self.calls = 0

    def residualize(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        z = x / self.weights[:, None]
        return (z - (self.weights[:, None] * z).sum(axis=0) / self.weights.sum()) * self.weights[:, None]


def test_with_weights_appends_adjustment_and_subset_keeps_it(clus1):
    adjustment = _RecordingAdjustment(clus1.weights)
    adjusted = clus1.with_weights(clus1.weights * 1.0, adjustment)
    assert adjusted.adjustments == (adjustment,) and clus1.adjustments == ()
    total = adjusted.total("enroll")
    assert adjustment.calls == 1
    # one post-stratum with the same weights: the total's SE becomes the SE of N̂·mean
    mean = clus1.mean("enroll")
    assert total.std_error == pytest.approx(mean.std_error * clus1.weights.sum(), rel=1e-10)
    domain = adjusted.subset(clus1.data["stype"] == "H")
    assert domain.adjustments == (adjustment,) and domain.rows == len(clus1.data)
    assert clus1.with_weights(clus1.weights, None).adjustments == ()
    with pytest.raises(DesignError):
        clus1.with_weights(np.ones(3), None)


# ----------------------------------------------------------------------------------------------
# errors name the column, the value and the fix
def test_error_messages():
    frame = pd.DataFrame({"p": [1, 2, 3, 4], "w": [1.0, 2.0, -1.0, 1.0], "N": [10, 10, 0.5, 10],
                          "s": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DesignError, match="'weight' not found"):
        SurveyDesign(frame, weights="weight")
    with pytest.raises(DesignError, match="'w' must be non-negative.*row 2"):
        SurveyDesign(frame, weights="w")
    with pytest.raises(DesignError, match="zero in every row"):
        SurveyDesign(frame.assign(w=0.0), weights="w")
    with pytest.raises(DesignError, match="'N'.*sampling fractions"):
        SurveyDesign(frame, fpc="N")
    with pytest.raises(DesignError, match="population size 1 for stratum 'b'.*2 units"):
        SurveyDesign(frame.assign(N=[10, 10, 1, 1]), strata="s", fpc="N")
    with pytest.raises(DesignError, match="varies"):
        SurveyDesign(frame.assign(N=[10, 11, 10, 10]), strata="s", fpc="N")
    with pytest.raises(DesignError, match="missing"):
        SurveyDesign(frame.assign(s=["a", None, "b", "b"]), strata="s")
    with pytest.raises(DesignError, match="DataFrame"):
        SurveyDesign(frame.to_numpy())


def test_public_names_exported():
    assert {"SurveyDesign", "ReplicateDesign", "Domains"} <= set(surveys.__all__)


def test_zero_weights_act_like_rows_outside_a_domain():
    """R accepts zero weights: the rows keep their PSUs (n_h, fpc) but add nothing, and degf ignores them."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "stratum": np.repeat(["a", "b", "c"], 40),
        "psu": np.repeat(np.arange(24), 5),
        "w": rng.uniform(1.0, 3.0, 120),
        "y": rng.normal(size=120),
    })
    examined = rng.uniform(size=120) > 0.3
    zeroed = SurveyDesign(frame.assign(w=np.where(examined, frame["w"], 0.0)), ids="psu", strata="stratum",
                          weights="w")
    domain = SurveyDesign(frame, ids="psu", strata="stratum", weights="w").subset(examined)
    for name in ("mean", "total"):
        got, expected = getattr(zeroed, name)("y"), getattr(domain, name)("y")
        assert got.estimate == pytest.approx(expected.estimate, rel=1e-12)
        assert got.std_error == pytest.approx(expected.std_error, rel=1e-12)
    assert zeroed.degrees_of_freedom == domain.degrees_of_freedom


def test_with_columns_keeps_weighting_and_domain():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"psu": np.repeat(np.arange(20), 5), "g": rng.choice(["a", "b"], 100),
                          "y": rng.integers(1, 6, 100).astype(float)})
    design = SurveyDesign(frame, ids="psu").poststratify("g", {"a": 600.0, "b": 400.0})
    derived = design.with_columns(satisfied=(frame["y"] <= 3).astype(float))
    rebuilt = design.with_columns(y3=frame["y"]).with_columns(satisfied=(design.data["y"] <= 3).astype(float))
    assert derived.adjustments == design.adjustments
    assert derived.mean("satisfied").std_error == pytest.approx(rebuilt.mean("satisfied").std_error, rel=1e-12)
    ignoring = SurveyDesign(frame.assign(satisfied=(frame["y"] <= 3).astype(float)), ids="psu",
                            weights=None).mean("satisfied")
    assert derived.mean("satisfied").std_error != pytest.approx(ignoring.std_error, rel=1e-6)
    with pytest.raises(DesignError, match="expected one per row"):
        design.with_columns(short=np.ones(3))


def test_editing_the_data_after_building_the_design_changes_nothing_it_computes():
    """The design keeps its own rows (as R's svydesign does): an in-place edit of the caller's frame after the
    design is built and raked once must not mix new values with the codes the design already keeps."""
    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame({"district": rng.choice(["东城区", "西城区"], n), "sex": rng.choice(["女", "男"], n),
                          "satisfied": rng.integers(0, 2, n).astype(float), "weight": rng.uniform(1, 3, n)})
    margins = {"sex": pd.Series({"女": 600.0, "男": 400.0})}

    def results(design):
        raked = design.rake(margins)
        by_sex = raked.by("sex").proportion("satisfied")
        return raked.weights, raked.proportion("satisfied").estimate, by_sex

    design = SurveyDesign(frame, strata="district", weights="weight")
    weights, overall, by_sex = results(design)
    frame.loc[frame.index[:150], "sex"] = "男"          # the caller recodes in place …
    frame.loc[frame.index[:150], "satisfied"] = 1.0     # … and edits an outcome
    frame["weight"] *= 2.0
    again_weights, again_overall, again_by_sex = results(design)
    np.testing.assert_allclose(again_weights, weights, rtol=1e-12)
    assert again_overall == pytest.approx(overall, rel=1e-12)
    pd.testing.assert_frame_equal(again_by_sex.to_frame(), by_sex.to_frame())
