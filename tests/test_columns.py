"""Encoding categories (surveys/columns.py) on every storage users have: object columns, pandas strings with
Python storage and Arrow-backed strings (pandas' default when pyarrow is installed; skipped without it), and
categoricals — the same codes, and the same estimates and raked weights from each."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveys
from surveys.columns import factorize, factorize_sorted, float_values

_VALUES = ["南湖区", "北塬区", None, "南湖区", "东城区", "北塬区", "南湖区"]


def _storages():
    found = [pytest.param(object, id="object"), pytest.param(pd.StringDtype("python"), id="python-strings"),
             pytest.param("category", id="categorical")]
    try:
        import pyarrow  # noqa: F401
        found.append(pytest.param(pd.StringDtype("pyarrow"), id="arrow-strings"))
    except ImportError:
        found.append(pytest.param(None, id="arrow-strings", marks=pytest.mark.skip(reason="pyarrow not installed")))
    return found


@pytest.mark.parametrize("dtype", _storages())
def test_every_storage_factorizes_to_the_same_codes(dtype):
    series = pd.Series(_VALUES, dtype=dtype)
    codes, uniques = factorize_sorted(series)
    order = sorted(value for value in set(_VALUES) if value is not None)   # 东城区, 北塬区, 南湖区 (code points)
    assert list(uniques) == order
    assert codes.tolist() == [order.index(value) if value is not None else -1 for value in _VALUES]
    if dtype != "category":
        first, seen = factorize(series)
        assert first.tolist() == [0, 1, -1, 0, 2, 1, 0] and list(seen) == ["南湖区", "北塬区", "东城区"]


@pytest.mark.parametrize("dtype", _storages())
def test_estimates_and_raked_weights_do_not_depend_on_the_storage(dtype):
    rng = np.random.default_rng(7)
    size = 600
    frame = pd.DataFrame({
        "district": rng.choice(["南湖区", "北塬区", "东城区"], size),
        "psu": [f"p{number % 40}" for number in range(size)],
        "sex": rng.choice(["女", "男"], size),
        "satisfied": rng.integers(0, 2, size),
        "weight": rng.uniform(10, 30, size),
    })
    stored = frame.astype({name: dtype for name in ("district", "psu", "sex")})
    margins = {"district": pd.Series({"南湖区": 4000.0, "北塬区": 3500.0, "东城区": 2500.0}),
               "sex": pd.Series({"女": 5100.0, "男": 4900.0})}

    def run(data):
        design = surveys.SurveyDesign(data, ids="psu", strata="district", weights="weight", nest=True)
        by = design.by(["district", "sex"]).proportion("satisfied")
        return design.proportion("satisfied"), [row.estimate for row in by], design.rake(margins).weights

    (overall, domains, weights), (expected, expected_domains, expected_weights) = run(stored), run(frame)
    assert (overall.estimate, overall.std_error) == pytest.approx((expected.estimate, expected.std_error), rel=1e-12)
    assert domains == pytest.approx(expected_domains, rel=1e-12)
    assert np.allclose(weights, expected_weights, rtol=1e-12)


@pytest.mark.parametrize("dtype", _storages())
def test_columns_encoded_together_equal_one_by_one(dtype, monkeypatch):
    """factorize_columns takes the threaded path (Arrow-backed columns) whatever the frame's size here."""
    import surveys.columns as columns

    monkeypatch.setattr(columns, "PARALLEL_ROWS", 0)
    frame = pd.DataFrame({"a": _VALUES, "b": list(reversed(_VALUES)), "c": _VALUES[1:] + _VALUES[:1]}).astype(dtype)
    together = columns.factorize_columns(frame, ["c", "a", "b", "a"])
    for (codes, uniques), name in zip(together, ["c", "a", "b", "a"]):
        expected_codes, expected_uniques = factorize_sorted(frame[name])
        assert codes.tolist() == expected_codes.tolist() and list(uniques) == list(expected_uniques)
    design = surveys.SurveyDesign(frame.assign(w=1.0), weights="w")
    assert [codes.tolist() for codes, _ in design.encode_columns(["b", "a"])] == \
        [together[2][0].tolist(), together[1][0].tolist()]
    assert design.column_codes("a")[0] is design.encode_columns(["a"])[0][0]  # encoded once per design


def test_distinct_values_are_equal_values_of_one_type_in_order_of_first_appearance():
    from surveys.columns import distinct_values

    def check(cells, codes, distinct):
        found_codes, found = distinct_values(cells)
        assert found_codes.tolist() == codes and found == distinct
        assert [type(value) for value in found] == [type(value) for value in distinct]

    check(["满意", None, "不满意", "满意", float("nan")], [0, -1, 1, 0, -1], ["满意", "不满意"])
    check([1, 1.0, True, "1", None, 1], [0, 1, 2, 3, -1, 0], [1, 1.0, True, "1"])   # one message each
    check(["a", np.str_("b"), "b"], [0, 1, 2], ["a", np.str_("b"), "b"])
    check([("电视", "网络"), None, ("电视", "网络")], [0, -1, 0], [("电视", "网络")])
    check([None, pd.NA], [-1, -1], [])


def test_float_values_converts_numpy_columns_without_copying_floats():
    weights = pd.Series([1.5, np.nan, 2.0])
    assert np.shares_memory(float_values(weights), weights.to_numpy())   # a million weights: no 8 MB copy per design
    assert float_values(pd.Series([1, 0, 3])).tolist() == [1.0, 0.0, 3.0]
    assert float_values(pd.Series([True, False])).tolist() == [1.0, 0.0]
    masked = float_values(pd.Series([1, None], dtype="Int64"))
    assert masked[0] == 1.0 and np.isnan(masked[1])
    with pytest.raises(ValueError):
        float_values(pd.Series(["1", "x"], dtype=object))
