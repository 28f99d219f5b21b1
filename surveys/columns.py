"""Column helpers every stage shares: checking that columns exist, reading numbers, encoding categories.

* :func:`require_columns` names every missing column and a few that exist;
* :func:`numeric_values` reads numbers and refuses what only converts to numbers (truth values, numeric text);
* :func:`factorize_sorted`, :func:`factorize_columns`, :func:`encode_column` and :func:`combine_codes` turn categories
  into integer codes
  (the design's strata and units, domains, raking cells, model factors) with public pandas APIs that are fast
  for every storage users have (object, pandas string, Arrow-backed, categorical);
* :func:`distinct_values` and :func:`by_distinct` apply a per-value function once per distinct value of a column
  (values equal *and* of one type), which keeps reading, mapping and per-value checks linear in the distinct values;
* :func:`category_code` is the canonical text of a category code (``3``, ``3.0`` and ``"3"`` are ``"3"``), by
  which margins, data and questionnaires are matched.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.errors import DesignError
from surveys.forks import cores

__all__ = ["require_columns", "numeric_values", "float_values", "factorize", "factorize_sorted", "factorize_columns",
           "encode_column", "combine_codes", "domain_pair_codes", "category_code", "weight_values", "distinct_values",
           "by_distinct"]


def require_columns(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """Raise a DesignError naming every missing column and a few that exist."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        shown = ", ".join(repr(str(c)) for c in list(data.columns)[:12])
        more = ", …" if len(data.columns) > 12 else ""
        raise DesignError(
            f"{role} column {', '.join(repr(m) for m in missing)} not found in the data "
            f"(columns: {shown}{more}); check the spelling or add the column"
        )


_NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float", "decimal", "empty"})


def float_values(series: pd.Series) -> np.ndarray:
    """A column as float64, missing values as NaN (not to be written to: a float64 column gives its own values);
    ``TypeError``/``ValueError`` when it does not convert. A column stored as numpy booleans, integers or other
    floats has no missing marker other than NaN, so it is converted directly: pandas' ``na_value=`` path would
    look for missing values in it first."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_values(values: Any, what: str) -> np.ndarray:
    """``values`` (a column, an array or a sequence) as float64, refusing what only converts to numbers:
    truth values (``True`` would count as a weight of 1) and text (``"1.5"``), which hide a mistake upstream."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values).ravel())
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.infer_dtype(series, skipna=True) == "boolean":
        raise DesignError(f"{what} must be numbers; found truth values (True/False); a True/False column marks "
                          "rows, it is not a weight or a size: convert it deliberately, or use it as a domain")
    if not pd.api.types.is_numeric_dtype(series.dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in _NUMBER_KINDS:
            example = next((value for value in series if not isinstance(value, (int, float, np.number))), None)
            raise DesignError(f"{what} must be numbers; found {kind} values of dtype {series.dtype} (e.g. "
                              f"{example!r}); convert the column with pd.to_numeric(...) first, so that text that "
                              "is no number is seen")
    try:
        return float_values(series)
    except (TypeError, ValueError):
        raise DesignError(f"{what} must be numbers; found dtype {series.dtype}; convert it to numbers") from None


def factorize_sorted(series: pd.Series, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..K−1 numbered in sorted order of the values (−1 = missing), and the values
    (``sort=False``: numbered in order of appearance, which is all sampling-unit ids need).

    ``pd.factorize`` on the column as it is stored: object, pandas string, Arrow-backed (dictionary-encoded by
    pyarrow) or categorical — never converted to Python objects first.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        codes = series.cat.codes.to_numpy(dtype=np.int64)
        if sort and not series.cat.ordered and not categories.is_monotonic_increasing:
            order = np.argsort(categories.to_numpy(), kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            codes = np.where(codes < 0, -1, rank[np.maximum(codes, 0)])
            categories = categories[order]
        return codes, np.asarray(categories)
    codes, uniques = factorize(series)
    codes = codes.astype(np.int64, copy=False)
    if not sort or len(uniques) < 2:
        return codes, np.asarray(uniques)
    try:
        order = np.argsort(np.asarray(uniques), kind="stable")
    except TypeError:  # values that do not compare (3 and "3"): pandas' own order for mixed values
        codes, uniques = factorize(series, sort=True)
        return codes.astype(np.int64, copy=False), np.asarray(uniques)
    if (order[1:] > order[:-1]).all():
        return codes, np.asarray(uniques)
    # renumber in sorted order through a table of the few values, whose last entry (−1, reached by wrapping)
    # keeps missing values missing: one gather over the rows, in place (no second array of codes to allocate)
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    if not codes.flags.writeable:
        codes = codes.copy()
    np.take(rank, codes, out=codes, mode="wrap")
    return codes, np.asarray(uniques)[order]


#: Rows from which Arrow-backed columns are encoded on threads at once (below it a thread costs more than it saves).
PARALLEL_ROWS = 100_000


def _arrow_backed(dtype: Any) -> bool:
    return isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")


def factorize_columns(data: pd.DataFrame, columns: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`factorize_sorted` of each of ``columns``. Arrow-backed columns of a large frame are encoded on
    threads at once: pyarrow's dictionary encoding releases the GIL, so on two cores four columns cost about two.
    Columns of Python objects are encoded one after the other (hashing Python objects holds the GIL)."""
    parallel = [c for c in dict.fromkeys(columns) if _arrow_backed(data[c].dtype)]
    workers = min(len(parallel), cores())
    if len(data) < PARALLEL_ROWS or workers < 2:
        return [factorize_sorted(data[c]) for c in columns]
    series = [data[c] for c in parallel]  # taken here: the threads only encode
    with ThreadPoolExecutor(max_workers=workers) as pool:
        encoded = dict(zip(parallel, pool.map(factorize_sorted, series)))
    return [encoded[c] if c in encoded else factorize_sorted(data[c]) for c in columns]


def factorize(series: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` of a column as it is stored, by the fastest public path for its storage: pandas strings
    with Python storage are factorized as their object array (free to take; pandas' ``StringArray.factorize``
    is about twice as slow on the same values), everything else as it is (Arrow-backed strings are
    dictionary-encoded by pyarrow, never turned into Python objects). Missing values get the code -1."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "python":
        return pd.factorize(series.to_numpy(dtype=object), sort=sort, use_na_sentinel=True)
    return pd.factorize(series, sort=sort, use_na_sentinel=True)


def encode_column(series: pd.Series, role: str, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..K−1 (in sorted order of the values unless ``sort=False``) and the values;
    a missing value is an error."""
    codes, uniques = factorize_sorted(series, sort=sort)
    if (codes < 0).any():
        first = int(np.flatnonzero(codes < 0)[0])
        raise DesignError(
            f"{role} column {series.name!r} has {int((codes < 0).sum())} missing values (first at row "
            f"{first}); expected every row to have a value: fill them or drop those rows first"
        )
    return codes, uniques


def combine_codes(first: np.ndarray, first_count: int, second: np.ndarray, second_count: int) -> tuple[np.ndarray, int]:
    """Codes of the pairs (first, second), numbered in lexicographic order of the pairs present."""
    keys = first.astype(np.int64, copy=False) * second_count
    keys += second
    space = first_count * second_count
    if space <= max(4 * len(keys), 1 << 22):
        present = np.bincount(keys, minlength=space) > 0
        if present.all():
            return keys, space
        lookup = np.cumsum(present) - 1
        return np.take(lookup, keys, out=keys), int(present.sum())  # in place: no second array over the rows
    uniques, codes = np.unique(keys, return_inverse=True)
    return codes.astype(np.int64), len(uniques)


def domain_pair_codes(domain: np.ndarray, codes: np.ndarray, count: int) -> np.ndarray:
    """``(domain + 1) · count + codes``: one code per (domain, code) pair, domain −1 (outside every domain) in the
    first block of ``count`` codes; computed in place in one new array over the rows."""
    keys = domain.astype(np.int64)  # a copy
    keys += 1
    keys *= count
    keys += codes
    return keys


def category_code(value: Any) -> str:
    """The canonical text of a category code: ``3``, ``3.0`` and ``"3"`` are all ``"3"``.

    Margins and data are matched on this text, so a margin file's ``3`` finds the integer code 3 of
    a data column (also when a missing value turned the column into floats).
    """
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return str(value).strip()


def weight_values(series: pd.Series) -> np.ndarray:
    """A weights column as float64: numbers ≥ 0 and finite, at least one positive (zero weights are allowed)."""
    values = numeric_values(series, f"weights column {series.name!r}")
    # Zero weights are allowed, as in R: such rows (e.g. NHANES respondents interviewed but not examined)
    # keep their PSU in the design and act like rows outside a domain; they are not counted in degf.
    # A finite sum and a minimum ≥ 0 mean every weight is fine (a NaN or an infinity makes the sum NaN or
    # infinite): two reductions, and the mask of bad rows only when there are some.
    if not (len(values) and math.isfinite(float(values.sum())) and values.min() >= 0):
        bad = ~(values >= 0) | ~np.isfinite(values)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise DesignError(
                f"weights column {series.name!r} must be non-negative and finite; found {int(bad.sum())} rows "
                f"that are not (first: row {first}, value {values[first]!r}); drop those rows or fix the weights"
            )
    if len(values) and not values.any():
        raise DesignError(
            f"weights column {series.name!r} is zero in every row; expected at least one positive weight"
        )
    return values


def distinct_values(cells: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """``(codes, distinct)``: each cell's position among the distinct values, in order of first appearance.

    Values are equal when they are equal *and* of the same type (``1``, ``1.0`` and ``True`` stay apart, as
    their messages differ); missing cells (``None``, NaN, ``pd.NA``) get code -1. Hashing whole columns
    (pandas' factorize) instead of converting cell by cell is what makes reading and mapping linear in the
    distinct values: a survey column has a handful of them.
    """
    if isinstance(cells, pd.Series):
        cells = cells.to_numpy(dtype=object)
    array = cells if isinstance(cells, np.ndarray) and cells.dtype == object and cells.ndim == 1 else np.fromiter(
        cells, dtype=object, count=len(cells))   # fromiter: a list of tuples stays one cell per element
    codes, distinct = pd.factorize(array)
    if all(type(value) is str for value in distinct):
        # text and missing cells: every cell equal to one of these strings is a string (a str subclass at most),
        # so hashing alone kept the types apart; checked on the few distinct values, not on every cell
        return codes, list(distinct)
    kinds = np.fromiter(map(type, array), dtype=object, count=len(array))
    kind_codes, kind_values = pd.factorize(kinds)
    if len(kind_values) > 1 and len(distinct):
        joined = np.where(codes >= 0, codes.astype(np.int64) * len(kind_values) + kind_codes, -1)
        codes, _ = pd.factorize(joined, use_na_sentinel=False)
        missing = joined < 0
        if missing.any():   # the -1 of the missing cells became a code of its own: give it back -1
            sentinel = codes[np.flatnonzero(missing)[0]]
            codes = np.where(missing, -1, np.where(codes > sentinel, codes - 1, codes))
        present = codes >= 0
        _, first = np.unique(codes[present], return_index=True)
        return codes, list(array[np.flatnonzero(present)[first]])
    return codes, list(distinct)


def by_distinct(cells: Sequence[Any], convert, missing: Any = None) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``convert`` applied once per distinct value of ``cells``: ``(results per cell, codes, results per distinct
    value)``; a missing cell gets ``missing``. The per-cell results share the distinct results' objects."""
    codes, distinct = distinct_values(cells)
    results = [convert(value) for value in distinct]
    table = np.empty(len(results) + 1, dtype=object)
    table[:len(results)] = results
    table[len(results)] = missing
    return table[codes], codes, results
