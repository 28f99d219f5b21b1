"""Raking (iterative proportional fitting) on cells, the cell encoding it runs on, and the matching
of population margins to the cells (:func:`resolve_margins`, which reports every mismatch).

Raking multiplies every weight by one factor per margin category, so two respondents with the same
categories on every margin variable ("a cell") always get the same factor. The fit therefore runs
on the cell totals of the weights — work per sweep = number of cells, not rows — and the row
weights are mapped back once at the end: ``w_new = w_old · t_final[cell] / t_start[cell]``.

Cells are the distinct combinations of the (raw) values of the margin variables. They are encoded
from the design's codes of each column (``encode_columns``: one ``pd.factorize`` per column and design, shared
with the strata, domains and other margins) and one combined integer code (compacted with a bincount when
the product of the category counts is small, a hash factorize otherwise), and cached per data
design and variable set, so re-raking a design with other margins (or other collapse maps) costs a
bincount, a gather and a multiply over the rows plus the sweeps over the cells. The margins are matched to
the categories of each variable (a few dozen texts), never cell by cell or row by row.

Stopping rules (one registry entry each):

* ``"relative_gap"`` (the default of :func:`surveys.weighting.rake`): stop when every margin total
  is within ``tolerance`` of its target, relatively: ``max |Σ_cat w − N_cat| / N_cat < tolerance``.
* ``"r_epsilon"``: R ``survey::rake``: after each sweep compare the joint table of weight sums over
  all margin variables (= the cell totals) with the table before the sweep (initially the starting
  weights) and stop when ``max |difference| < ε``; ε is ``epsilon`` when ``epsilon ≥ 1`` (weight
  units), else ``epsilon · Σw``. Validated: 4 sweeps and R's weights (1e-12 relative) on
  ``rake(dclus1, list(~stype, ~sch.wide), ...)``; 12 sweeps for ``epsilon = 1e-12``.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, cast

import numpy as np
import pandas as pd

from surveys.columns import factorize_columns
from surveys.errors import WeightingError
from surveys.weighting.margins import (
    JOINT_CATEGORY_SEPARATOR,
    MarginTable,
    category_code,
)

__all__ = [
    "CellEncoding",
    "encode_cells",
    "share_cell_cache",
    "ResolvedMargins",
    "resolve_margins",
    "RakingFit",
    "fit_cells",
    "replay_sweeps",
    "STOPPING_RULES",
    "group_sums",
]

# Count margins whose totals differ by more than this (relatively) describe different populations.
_TOTALS_AGREEMENT = 1e-6

# Below this many possible combinations the combined code is compacted with a bincount (O(n)),
# above it with a hash factorize.
_DENSE_COMBINATIONS_LIMIT = 1 << 24


@dataclass(frozen=True, eq=False)
class CellEncoding:
    """Respondents collapsed to the distinct combinations of ``variables``.

    ``cell_of_row`` (n,) gives each row's cell; ``positions[v]`` (cells,) each cell's category of variable ``v``
    as an index into ``texts[v]``, the canonical category codes (see :func:`surveys.weighting.margins.category_code`)
    of the variable's values, ``None`` for a missing value; ``respondents`` (cells,) the number of rows in each cell.
    """

    variables: tuple[str, ...]
    cell_of_row: np.ndarray
    positions: dict[str, np.ndarray]
    texts: dict[str, tuple[str | None, ...]]
    respondents: np.ndarray

    @property
    def cells(self) -> int:
        return len(self.respondents)

    @property
    def cell_values(self) -> dict[str, np.ndarray]:
        """Each cell's canonical category code of every variable (``None`` for a missing value)."""
        return {v: np.asarray(self.texts[v], dtype=object)[self.positions[v]] for v in self.variables}

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """Cell totals of ``weights`` ((n,) → (cells,), (n, R) → (cells, R))."""
        return group_sums(self.cell_of_row, weights, self.cells)


def group_sums(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Σ values by group code, for a vector or column by column for a matrix."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=groups)
    out = np.empty((groups, values.shape[1]))
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(codes, weights=values[:, column], minlength=groups)
    return out


#: The integer codes (−1 = missing) and the values of each of some columns: ``factorize_columns`` of the data, or the
#: codes a design keeps for its columns (``encode_columns``), so that a column it has encoded already is not encoded
#: again.
ColumnCodes = Callable[[Sequence[str]], "list[tuple[np.ndarray, Any]]"]


def _category_codes(codes: np.ndarray, uniques: Any) -> tuple[np.ndarray, list[str | None]]:
    """Integer codes (missing → its own last code) and the canonical text of each code."""
    texts: list[str | None] = [category_code(u) for u in uniques]
    if len(set(texts)) < len(texts):  # e.g. 3 and "3" in one column: one category
        order = list(dict.fromkeys(texts))
        renumber = np.array([order.index(text) for text in texts], dtype=np.int64)
        codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
        texts = order
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
        texts.append(None)
    return codes, texts


def _encode(variables: tuple[str, ...], column_codes: ColumnCodes) -> CellEncoding:
    factorized = [_category_codes(*encoded) for encoded in column_codes(variables)]
    sizes = [max(len(texts), 1) for _, texts in factorized]
    combined = factorized[0][0].astype(np.int64)  # a copy: the design's codes stay as they are
    for (codes, _), size in zip(factorized[1:], sizes[1:]):
        combined *= size
        combined += codes
    possible = int(np.prod(sizes, dtype=np.float64))
    if possible <= max(_DENSE_COMBINATIONS_LIMIT, 4 * len(combined)):
        counts = np.bincount(combined, minlength=possible)
        present = np.flatnonzero(counts)
        index_of_combination = np.full(possible, -1, dtype=np.int64)
        index_of_combination[present] = np.arange(len(present))
        cell_of_row = np.take(index_of_combination, combined, out=combined)  # in place: one array over the rows
        respondents = counts[present]
        combinations = present
    else:
        cell_of_row, combinations = pd.factorize(combined, sort=True)
        respondents = np.bincount(cell_of_row, minlength=len(combinations))
    positions: dict[str, np.ndarray] = {}
    remainder = np.asarray(combinations, dtype=np.int64)
    for variable, size in reversed(list(zip(variables, sizes))):
        remainder, positions[variable] = np.divmod(remainder, size)
    texts = {variable: tuple(category_texts) for variable, (_, category_texts) in zip(variables, factorized)}
    return CellEncoding(variables, cell_of_row.astype(np.intp, copy=False), positions, texts, respondents)


# Encodings are cached per design (by identity; an entry goes when its design is garbage-collected)
# and variable set. A design derived by weighting shares its parent's entry (same rows, same
# data), so re-raking the original design or a weighted one with other margins skips the encoding;
# a design newly built from a DataFrame starts empty.
_CACHE: dict[int, tuple[weakref.ref, dict]] = {}


def _owner_cache(owner: object, shared: dict | None = None) -> dict | None:
    key = id(owner)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is owner:
        return entry[1]
    try:
        reference = weakref.ref(owner, lambda _, key=key: _CACHE.pop(key, None))
    except TypeError:  # cannot be weakly referenced: no caching
        return None
    per_owner: dict = shared if shared is not None else {}
    _CACHE[key] = (reference, per_owner)
    return per_owner


def encode_cells(data: pd.DataFrame, variables: Sequence[str], *, owner: object | None = None) -> CellEncoding:
    """The :class:`CellEncoding` of ``data`` on ``variables``, cached on ``owner`` (a design) if given; the
    columns are encoded by the owner's ``encode_columns`` when it has one (a design encodes each column once, and
    its strata may be a margin variable)."""
    key = (tuple(dict.fromkeys(variables)), len(data))
    column_codes: ColumnCodes = getattr(owner, "encode_columns", None) or (lambda vs: factorize_columns(data, vs))
    cache = _owner_cache(owner) if owner is not None else None
    if cache is None:
        return _encode(key[0], column_codes)
    encoding = cache.get(key)
    if encoding is None:
        encoding = cache[key] = _encode(key[0], column_codes)
    return encoding


def share_cell_cache(parent: object, child: object) -> None:
    """Let ``child`` (a design derived from ``parent`` with the same data) use ``parent``'s encodings."""
    entry = _CACHE.get(id(parent))
    if entry is not None and entry[0]() is parent and child is not parent:
        _owner_cache(child, shared=entry[1])


# ------------------------------------------------------------------------------------------
# Margins resolved on the respondents' cells
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResolvedMargins:
    """For each margin: its name, category keys, population targets (all > 0) and each cell's
    category index (``codes[k]``, shape (cells,))."""

    names: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    targets: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    collapsed: Mapping[str, Mapping[str, str]]

    def before_after(self, respondents, start, final):
        rows, denominators, gap = [], {}, 0.0
        for name, categories, target, codes in zip(self.names, self.categories, self.targets, self.codes):
            count = len(target)
            people = np.bincount(codes, weights=respondents, minlength=count)
            before = np.bincount(codes, weights=start, minlength=count)
            after = np.bincount(codes, weights=final, minlength=count)
            denominators[name] = (float(target.sum()), float(before.sum()), float(after.sum()))
            gap = max(gap, float(np.max(np.abs(after - target) / target)))
            rows.extend(
                (name, c, int(p), float(t), float(b), float(a))
                for c, p, t, b, a in zip(categories, people, target, before, after)
            )
        return rows, denominators, gap


def _normalise_collapse(collapse: Mapping[str, Mapping[Any, Any]] | None) -> dict[str, dict[str, str]]:
    if not collapse:
        return {}
    if not isinstance(collapse, Mapping) or not all(isinstance(m, Mapping) for m in collapse.values()):
        raise WeightingError("collapse must map a variable to {from_code: to_code}, e.g. {'district': {7: 8}}")
    return {str(v): {category_code(a): category_code(b) for a, b in m.items()} for v, m in collapse.items()}


def _collapse_table(table: MarginTable, collapse: dict[str, dict[str, str]]) -> tuple[list[str], np.ndarray, bool]:
    values = table.values()
    merged: dict[str, float] = {}
    for category, value in zip(table.categories, values):
        parts = table.category_parts(category)
        parts = [collapse.get(v, {}).get(p, p) for v, p in zip(table.variables, parts)]
        key = JOINT_CATEGORY_SEPARATOR.join(parts)
        merged[key] = merged.get(key, 0.0) + float(value)
    return list(merged), np.asarray(list(merged.values())), table.is_share


def _match_cells(encoding: CellEncoding, variables: Sequence[str], texts: Mapping[str, list[str | None]],
                 keys: Sequence[str], present: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Each cell's index among a margin's ``keys`` (−1: the margin has no row for it, −2: a value is missing),
    and the categories without a margin row with their respondents (cells holding weight only).

    The texts are joined and looked up once per distinct combination of the margin's variables present in
    the cells (for a one-variable margin: once per category), then gathered to the cells."""
    combination = np.zeros(encoding.cells, dtype=np.int64)
    space = 1
    for variable in variables:
        combination = combination * len(texts[variable]) + encoding.positions[variable]
        space *= len(texts[variable])
    if space <= 4 * encoding.cells + 64:  # few possible combinations (always for one variable): mark them
        seen = np.zeros(space, dtype=bool)
        seen[combination] = True
        distinct = np.flatnonzero(seen)
        inverse = (np.cumsum(seen) - 1)[combination]
    else:
        distinct, inverse = np.unique(combination, return_inverse=True)
    parts: list[list[int]] = []
    remainder = distinct
    for variable in reversed(variables):
        remainder, position = np.divmod(remainder, len(texts[variable]))
        parts.insert(0, position.tolist())
    index = {key: i for i, key in enumerate(keys)}
    combination_keys: list[str | None] = []
    for combo in zip(*parts):
        values = [texts[variable][position] for variable, position in zip(variables, combo)]
        combination_keys.append(None if None in values else JOINT_CATEGORY_SEPARATOR.join(cast("list[str]", values)))
    combination_codes = np.array([-2 if key is None else index.get(key, -1) for key in combination_keys],
                                 dtype=np.int64)
    people = np.bincount(inverse.ravel(), weights=np.where(present, encoding.respondents, 0),
                         minlength=len(distinct))
    unmatched: dict[str, int] = {}
    for position in np.flatnonzero((combination_codes == -1) & (people > 0)):
        key = cast(str, combination_keys[position])
        unmatched[key] = unmatched.get(key, 0) + int(people[position])
    return combination_codes[inverse.ravel()], unmatched


def resolve_margins(
    data: pd.DataFrame,
    weights: np.ndarray,
    tables: Sequence[MarginTable],
    *,
    collapse: Mapping[str, Mapping[Any, Any]] | None,
    population_total: float | None,
    owner: object | None = None,
) -> tuple[CellEncoding, ResolvedMargins, np.ndarray]:
    """Encode the respondents' cells, match every margin category to them, and collect EVERY
    problem (unknown column, missing values, sample categories without a margin row, margin
    categories without respondents, totals that disagree) into one WeightingError."""
    collapse_map = _normalise_collapse(collapse)
    variables = list(dict.fromkeys(v for table in tables for v in table.variables))
    absent = [v for v in variables if v not in data.columns]
    if absent:
        raise WeightingError(
            f"the margins name {absent}, which the data does not have; its columns are {list(data.columns)}"
        )
    unknown = [v for v in collapse_map if v not in variables]
    if unknown:
        raise WeightingError(f"collapse= names {unknown}, which are not margin variables {variables}")
    total = float(weights.sum())  # not finite when a weight is not
    if not (math.isfinite(total) and total > 0) or weights.min(initial=0.0) < 0:
        raise WeightingError("the design's weights must be finite, non-negative and not all zero to be adjusted")
    encoding = encode_cells(data, variables, owner=owner)
    start = encoding.totals(weights)
    present = start > 0  # cells holding weight; zero-weight rows (outside a domain) are not checked
    problems: list[str] = []
    texts: dict[str, list[str | None]] = {}  # each variable's categories after collapsing (None: missing)
    for variable in variables:
        raw = encoding.texts[variable]
        if None in raw:
            missing = (encoding.positions[variable] == raw.index(None)) & present
            if missing.any():
                problems.append(
                    f"'{variable}' is missing for {int(encoding.respondents[missing].sum())} respondents; "
                    "impute it, give it its own category, or drop those respondents"
                )
        mapping = collapse_map.get(variable, {})
        texts[variable] = [mapping.get(v, v) if v is not None else None for v in raw]
    count_totals = [(t.variable, float(t.values().sum())) for t in tables if not t.is_share]
    share_total = population_total if population_total is not None else (
        count_totals[0][1] if count_totals else float(weights.sum())
    )
    if population_total is not None:
        count_totals.append(("population_total=", float(population_total)))
    names, categories, targets, codes = [], [], [], []
    for table in tables:
        keys, table_values, is_share = _collapse_table(table, collapse_map)
        if is_share:
            table_values = table_values * share_total
        cell_codes, unmatched = _match_cells(encoding, table.variables, texts, keys, present)
        for key, people in unmatched.items():
            problems.append(
                f"'{table.variable}' has no margin row for category '{key}' (found in {people} respondents); "
                f"add it to the margins or merge it with another category (weighting.collapse in a study spec, "
                f"collapse={{'{table.variable}': {{'{key}': ...}}}} in Python)"
            )
        weight_in = np.bincount(cell_codes[cell_codes >= 0], weights=start[cell_codes >= 0], minlength=len(keys))
        matched = (cell_codes >= 0) & present
        people_in = np.bincount(cell_codes[matched], weights=encoding.respondents[matched], minlength=len(keys))
        keep = []
        for i, key in enumerate(keys):
            if table_values[i] > 0 and weight_in[i] <= 0:
                problems.append(
                    f"'{table.variable}' category '{key}' has a population of {table_values[i]:.10g} but no "
                    "respondents; merge it with another category (weighting.collapse in a study spec, collapse= in "
                    "Python) or drop it from the margins"
                )
            elif table_values[i] <= 0 and people_in[i] > 0:
                problems.append(
                    f"'{table.variable}' category '{key}' has a population of 0 but {int(people_in[i])} respondents; "
                    "correct the margin or merge the category with another"
                )
            elif table_values[i] > 0:
                keep.append(i)
        renumber = np.full(len(keys) + 2, -1, dtype=np.int64)
        renumber[np.asarray(keep, dtype=np.int64)] = np.arange(len(keep))
        names.append(table.variable)
        categories.append(tuple(keys[i] for i in keep))
        targets.append(table_values[keep])
        # cells without weight may match no kept category: any code will do, they carry nothing
        codes.append(np.maximum(np.where(cell_codes >= 0, renumber[np.maximum(cell_codes, 0)], 0), 0))
    sizes = [total for _, total in count_totals]
    if sizes and max(sizes) - min(sizes) > _TOTALS_AGREEMENT * max(sizes):
        listing = ", ".join(f"'{name}' {total:.10g}" for name, total in count_totals)
        problems.append(
            f"the margins describe populations of different sizes ({listing}); the weights cannot meet them all — "
            "correct the counts or give shares"
        )
    if problems:
        raise WeightingError(f"cannot weight to these margins ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))
    resolved = ResolvedMargins(tuple(names), tuple(categories), tuple(targets), tuple(codes), collapse_map)
    return encoding, resolved, start


# ------------------------------------------------------------------------------------------
# Iterative proportional fitting on cell totals
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RakingFit:
    """The result of :func:`fit_cells`.

    ``cell_totals`` are the fitted cell totals; ``step_totals[k]`` the cell totals right after
    margin k of the LAST sweep (R's raking variance uses them); ``gap_trace`` the largest relative
    margin gap after each sweep; ``change_trace`` the largest absolute change of a cell total in
    each sweep (R's criterion).
    """

    cell_totals: np.ndarray
    step_totals: tuple[np.ndarray, ...]
    sweeps: int
    converged: bool
    gap_trace: tuple[float, ...]
    change_trace: tuple[float, ...]

    @property
    def largest_gap(self) -> float:
        return self.gap_trace[-1] if self.gap_trace else float("nan")


def _largest_gap(totals: np.ndarray, margin_codes: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> float:
    gap = 0.0
    for codes, target in zip(margin_codes, targets):
        achieved = np.bincount(codes, weights=totals, minlength=len(target))
        gap = max(gap, float(np.max(np.abs(achieved - target) / target)))
    return gap


# A stopping rule: (gap after the sweep, largest cell change in the sweep, threshold) -> stop?
STOPPING_RULES: dict[str, Callable[[float, float, float], bool]] = {
    "relative_gap": lambda gap, change, threshold: gap < threshold,
    "r_epsilon": lambda gap, change, threshold: change < threshold,
}


def _sweep(totals: np.ndarray, margin_codes, targets, keep_steps: bool):
    steps = []
    for codes, target in zip(margin_codes, targets):
        achieved = group_sums(codes, totals, len(target))
        if totals.ndim == 1:
            factor = np.divide(target, achieved, out=np.ones_like(achieved), where=achieved > 0)
        else:
            factor = np.divide(target[:, None], achieved, out=np.ones_like(achieved), where=achieved > 0)
        totals = totals * factor[codes]
        if keep_steps:
            steps.append(totals)
    return totals, steps


def fit_cells(
    cell_totals: np.ndarray,
    margin_codes: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    *,
    rule: str,
    threshold: float,
    max_iterations: int,
) -> RakingFit:
    """Rake cell totals to the margin ``targets``.

    ``margin_codes[k]`` (cells,) is each cell's category index in margin k, ``targets[k]`` the
    population count of each category (all > 0). Each sweep post-stratifies on every margin in
    order: ``t ← t · N_kc / Σ_{cells in c} t``. ``rule`` names a :data:`STOPPING_RULES` entry.
    """
    start = np.asarray(cell_totals, dtype=float)
    totals = start
    previous = start
    gaps: list[float] = []
    changes: list[float] = []
    steps: list[np.ndarray] = []
    stop = STOPPING_RULES[rule]
    converged = False
    sweeps = 0
    while sweeps < max_iterations:
        totals, steps = _sweep(totals, margin_codes, targets, keep_steps=True)
        sweeps += 1
        gaps.append(_largest_gap(totals, margin_codes, targets))
        changes.append(float(np.max(np.abs(totals - previous))) if len(totals) else 0.0)
        previous = totals
        if stop(gaps[-1], changes[-1], threshold):
            converged = True
            break
    return RakingFit(totals, tuple(steps), sweeps, converged, tuple(gaps), tuple(changes))


def replay_sweeps(
    cell_totals: np.ndarray, margin_codes: Sequence[np.ndarray], targets: Sequence[np.ndarray], sweeps: int
) -> np.ndarray:
    """Apply exactly ``sweeps`` sweeps to cell totals (one column per replicate): R rakes every
    replicate for as many sweeps as the full sample needed."""
    totals = np.asarray(cell_totals, dtype=float)
    for _ in range(sweeps):
        totals, _ = _sweep(totals, margin_codes, targets, keep_steps=False)
    return totals
