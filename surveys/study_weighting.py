"""The weighting stage of the study pipeline: each survey questionnaire's accepted responses → a raked design.

:func:`weight_responses` starts every respondent at a base weight, rakes the design to the population margins
of the study spec (online and paper pooled, raked once) and returns a :class:`WeightedDesign`;
:func:`surveys.pipeline.run_study` calls it once per survey questionnaire.

Base weights. Municipal samples are quota or self-selected (online links, paper forms handed out by district
offices): there are no selection probabilities. ``base_weight: population`` (the default) starts every
respondent of a population at N_p / n_p (the population's size over its respondents); ``equal`` starts everyone
at 1. Both give the SAME final weights — raking fits each population's total, and the raked weights minimise
Σ w·log(w / start) under the margins, so a start that is constant within each population only adds a constant —
but the diagnostics read differently: with ``population`` the adjustment factors measure the raking within
each population (how far the sample's mix was from the margins), and the base stage's Kish design effect shows
what combining populations sampled at different rates costs; with ``equal`` the factors also carry the
populations' different sampling rates, so mixed residents/enterprise samples always look "exploded".
(tests/test_pipeline.py checks that the two give the same weights.)

Several populations in one questionnaire. A margins entry of the spec weights the rows its ``rows`` condition
selects (e.g. residents by respondent type 1; enterprises by 2–4). Every row must fall in exactly one
population. With one population the design is raked to its tables directly. With several, the design is raked
ONCE on frame-specific copies of the variables: ``district@residents`` holds the district of residents and
``(other)`` for every other row, whose target is the other populations' total; so each population is raked to
its own margins, the populations keep their totals, and one raking record carries the calibration into the
variance (it is plain raking of recoded variables, so :func:`surveys.weighting.rake`'s R validation carries
over; tests/test_pipeline.py checks every population's total and margins on hand-made data). Missing values of a
weighting variable within a population (an unanswered age question) form the category ``(missing)``, whose
target keeps those respondents' base-weight share; the others are raked to the population distribution.
Margin categories without respondents, or with fewer than ``min_category_respondents``, are merged with a
neighbour first (:func:`_sparse_categories`; recorded in the diagnostics' ``collapsed``).

The sample design. The study's ``design`` section says how the sample was drawn (:class:`surveys.study.
SampleDesignSpec`): strata (combinations of columns sampled independently with fixed sizes, e.g. survey mode ×
population) and clusters (e.g. the office that collected the forms, numbered within strata). Every respondent
gets the column ``population`` (the margins population they belong to) so it can be a stratum. Without a design
section every respondent is their own unit in one stratum. :func:`weight_responses` can leave the clusters out
(``clusters=False``) and :func:`unweighted_design` gives the same sample design with every weight 1: the
alternatives of the robustness panel (:mod:`surveys.robustness`).
"""
from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.design import SurveyDesign
from surveys.errors import StudyError, WeightingError
from surveys.margins import MarginTable, Margins, category_code, load_margins
from surveys.study import POPULATION_COLUMN, Study, StudyMargins

__all__ = [
    "WeightedDesign",
    "weight_responses",
    "unweighted_design",
    "OTHER_CATEGORY",
    "MISSING_CATEGORY",
]

OTHER_CATEGORY = "(other)"
MISSING_CATEGORY = "(missing)"
BASE_WEIGHT_COLUMN = "base_weight"
_STRATA_COLUMN = "__design_strata__"
_UNWEIGHTED_COLUMN = "__unweighted__"
_ALL = "all"


@dataclass(frozen=True, eq=False)
class WeightedDesign:
    """A questionnaire's design after weighting, with the populations it was raked to."""

    questionnaire: str
    design: Any
    populations: tuple[str, ...]
    margin_files: tuple[pathlib.Path, ...]
    method: str

    @property
    def diagnostics(self) -> Any | None:
        adjustments = getattr(self.design, "adjustments", ())
        return adjustments[-1].diagnostics if adjustments else None


def _frame_rows(data: pd.DataFrame, entry: StudyMargins) -> np.ndarray:
    """Rows of ``data`` this population describes (all rows when the data lack the selecting variable)."""
    inside = np.ones(len(data), dtype=bool)
    for variable, codes in entry.rows.items():
        if variable in data.columns:
            wanted = {category_code(code) for code in codes}
            inside &= data[variable].map(lambda v: not _is_missing(v) and category_code(v) in wanted).to_numpy(bool)
    return inside


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _population_total(tables: Sequence[MarginTable], path: pathlib.Path) -> float:
    counted = [table for table in tables if not table.is_share]
    if not counted:
        raise WeightingError(f"{path.name}: every margin chosen ({[t.variable for t in tables]}) is given as shares; "
                             "expected at least one with population counts to fix the population's size; add counts")
    return float(np.sum(counted[0].values()))


def _joint_values(data: pd.DataFrame, table: MarginTable) -> tuple[pd.Series, np.ndarray]:
    """The data's category text of a (joint) margin, and which rows lack one of its variables."""
    columns = table.variables
    missing = np.zeros(len(data), dtype=bool)
    parts = []
    for column in columns:
        values = data[column]
        missing |= values.map(_is_missing).to_numpy(bool)
        parts.append(values.map(lambda v: "" if _is_missing(v) else category_code(v)))
    text = parts[0]
    for part in parts[1:]:
        text = text + "|" + part
    return text, missing


@dataclass(frozen=True)
class _Population:
    entry: StudyMargins
    margins: Margins
    tables: tuple[MarginTable, ...]
    rows: np.ndarray
    total: float


def _populations(data: pd.DataFrame, questionnaire_id: str, study: Study,
                 cache: dict[pathlib.Path, Margins]) -> list[_Population]:
    populations = []
    for entry in study.margins:
        if not entry.applies_to(questionnaire_id):
            continue
        margins = cache.setdefault(entry.path, load_margins(entry.path))
        if entry.variables is not None:
            absent = [v for v in entry.variables if v not in margins]
            if absent:
                raise StudyError(f"{study.path}: margins '{entry.path.name}' has no table for {absent}; its tables "
                                 f"are {list(margins.variables)}; fix margins[].variables")
            tables = tuple(margins[v] for v in entry.variables)
        else:
            tables = tuple(t for t in margins if all(v in data.columns for v in t.variables))
        lacking = sorted({v for t in tables for v in t.variables if v not in data.columns})
        if lacking:
            raise WeightingError(f"questionnaire '{questionnaire_id}': the responses have no column {lacking} to "
                                 f"weight to {entry.path.name}; drop the variable from margins[].variables")
        rows = _frame_rows(data, entry)
        if tables and rows.any():
            populations.append(_Population(entry, margins, tables, rows,
                                           _population_total(tables, entry.path)))
    return populations


def _check_coverage(populations: Sequence[_Population], questionnaire_id: str, rows: int) -> None:
    covered = np.zeros(rows, dtype=int)
    for population in populations:
        covered += population.rows
    if (covered > 1).any():
        names = [p.entry.population or p.entry.path.name for p in populations]
        raise StudyError(f"questionnaire '{questionnaire_id}': {int((covered > 1).sum())} respondents fall in more "
                         f"than one population ({names}); expected disjoint margins[].rows conditions; fix them")
    if (covered == 0).any():
        raise WeightingError(f"questionnaire '{questionnaire_id}': {int((covered == 0).sum())} respondents belong "
                             "to no population of the margins (their margins[].rows variable is missing or has "
                             "another code); add a margins entry for them or reject those rows in validation")


def _frame_margin(data: pd.DataFrame, population: _Population, table: MarginTable, others_total: float,
                  base: np.ndarray) -> tuple[str, pd.Series, MarginTable]:
    """The frame-specific copy of one margin: its data column and its population table."""
    name = f"{table.variable}@{population.entry.population or population.entry.path.stem}"
    values, missing = _joint_values(data, table)
    inside = population.rows
    missing_inside = inside & missing
    frame_weight = float(base[inside].sum())
    missing_share = float(base[missing_inside].sum()) / frame_weight if frame_weight else 0.0
    totals = table.totals(population.total)
    scale = population.total / sum(totals.values())  # counts that do not add to the frame total are rescaled
    categories = [str(c) for c in totals]
    population_values = [value * scale * (1.0 - missing_share) for value in totals.values()]
    column = values.where(inside & ~missing, OTHER_CATEGORY)
    column = column.where(~missing_inside, MISSING_CATEGORY)
    if missing_share > 0:
        categories.append(MISSING_CATEGORY)
        population_values.append(missing_share * population.total)
    if others_total > 0:
        categories.append(OTHER_CATEGORY)
        population_values.append(others_total)
    return name, column, MarginTable(name, tuple(categories), population=tuple(population_values),
                                     label=f"{table.variable} ({population.entry.population})")


def _sparse_categories(column: pd.Series, table: MarginTable, minimum: int) -> dict[str, str]:
    """Margin categories with fewer than ``minimum`` respondents (at least 1) merged into their neighbours.

    A population category no respondent falls in cannot be raked to (there is no weight to scale), and one
    with a handful of respondents can make the margins unreachable together (a lone respondent aged 70+ in
    a small district). Repeatedly, the smallest group is merged with its smaller neighbour in file order,
    until every group has ``minimum`` respondents or one group is left. The merge keeps the population
    total, maps every merged category to the group's first one, and is recorded in the diagnostics
    (``collapsed``). Returns {category: the category it is merged into}.
    """
    counts = column.value_counts()
    categories = [c for c in table.categories if c not in (OTHER_CATEGORY, MISSING_CATEGORY)]
    groups = [[c] for c in categories]
    size = [int(counts.get(c, 0)) for c in categories]
    minimum = max(int(minimum), 1)
    while len(groups) > 1 and min(size) < minimum:
        index = min(range(len(groups)), key=lambda i: (size[i], i))
        neighbours = [j for j in (index - 1, index + 1) if 0 <= j < len(groups)]
        other = min(neighbours, key=lambda j: (size[j], j))
        low, high = sorted((index, other))
        groups[low:high + 1] = [groups[low] + groups[high]]
        size[low:high + 1] = [size[low] + size[high]]
    return {category: group[0] for group in groups for category in group[1:]} if len(groups) < len(categories) \
        else {}


def _plain_columns(data: pd.DataFrame) -> pd.DataFrame:
    """A copy with nullable integer/float columns as float64 (NaN for missing): the engine works on numpy."""
    data = data.copy()
    for column in data.columns:
        if isinstance(data[column].dtype, (pd.Int64Dtype, pd.Float64Dtype)) or str(data[column].dtype) in (
                "Int8", "Int16", "Int32", "Int64", "Float32", "Float64"):
            data[column] = data[column].astype("float64")
    return data


def _design_column(data: pd.DataFrame, column: str, key: str, questionnaire_id: str) -> None:
    if column not in data.columns:
        raise StudyError(f"design.{key}: the responses of '{questionnaire_id}' have no column '{column}'; expected an "
                         f"item or weighting variable of the questionnaire, 'mode' or '{POPULATION_COLUMN}'; fix "
                         f"design.{key}")
    missing = int(data[column].map(_is_missing).sum())
    if missing:
        raise StudyError(f"design.{key}: '{column}' is empty for {missing} of the {len(data)} responses of "
                         f"'{questionnaire_id}'; every respondent needs one to be placed in the sample design; fill "
                         "it in or reject those rows in validation")


def _sample_design(data: pd.DataFrame, questionnaire_id: str, study: Study, weights: str, *,
                   clusters: bool = True) -> SurveyDesign:
    """``data`` as a design with the study's strata and (unless ``clusters=False``) clusters."""
    spec = study.design
    for column in spec.strata:
        _design_column(data, column, "strata", questionnaire_id)
    strata = None
    if spec.strata:
        joined = data[spec.strata[0]].map(category_code)
        for column in spec.strata[1:]:
            joined = joined + " × " + data[column].map(category_code)
        data[_STRATA_COLUMN] = joined.to_numpy(object)
        strata = _STRATA_COLUMN
    ids = spec.clusters if clusters else None
    if ids is not None:
        _design_column(data, ids, "clusters", questionnaire_id)
    return SurveyDesign(data, ids=ids, strata=strata, weights=weights, nest=ids is not None and strata is not None)


def unweighted_design(weighted: WeightedDesign, study: Study) -> SurveyDesign:
    """The same responses and sample design with every weight 1 (each respondent counted once)."""
    data = weighted.design.data.assign(**{_UNWEIGHTED_COLUMN: 1.0})
    return _sample_design(data, weighted.questionnaire, study, _UNWEIGHTED_COLUMN)


def weight_responses(data: pd.DataFrame, questionnaire_id: str, study: Study,
                     cache: dict[pathlib.Path, Margins] | None = None, *, clusters: bool = True) -> WeightedDesign:
    """The design of one questionnaire's accepted responses, raked as the study says (see the module docstring);
    ``clusters=False`` leaves the study's clusters out of the sample design (the weights do not change)."""
    cache = {} if cache is None else cache
    data = _plain_columns(data.reset_index(drop=True))
    data[BASE_WEIGHT_COLUMN] = 1.0
    method = study.weighting.method
    populations = _populations(data, questionnaire_id, study, cache) if method != "none" else []
    data[POPULATION_COLUMN] = _ALL
    for population in populations:
        data.loc[population.rows, POPULATION_COLUMN] = population.entry.population or population.entry.path.stem
    if not populations:
        design = _sample_design(data, questionnaire_id, study, BASE_WEIGHT_COLUMN, clusters=clusters)
        return WeightedDesign(questionnaire_id, design, (), (), "none")
    _check_coverage(populations, questionnaire_id, len(data))
    if study.weighting.base_weight == "population":
        for population in populations:  # N_p / n_p: each population's expansion weight
            data.loc[population.rows, BASE_WEIGHT_COLUMN] = population.total / int(population.rows.sum())
    base = data[BASE_WEIGHT_COLUMN].to_numpy(float)
    grand_total = sum(p.total for p in populations)
    tables, collapse = [], {}
    weighting = study.weighting
    for population in populations:
        for table in population.tables:
            name, column, margin = _frame_margin(data, population, table, grand_total - population.total, base)
            data[name] = column.to_numpy(object)
            tables.append(margin)
            merged = _sparse_categories(data[name], margin, weighting.min_category_respondents)
            if merged:
                collapse[name] = merged
    design = _sample_design(data, questionnaire_id, study, BASE_WEIGHT_COLUMN, clusters=clusters)
    raked = design.rake(tables, max_iterations=weighting.max_iterations, tolerance=weighting.tolerance,
                        on_nonconvergence=weighting.on_nonconvergence, collapse=collapse or None)
    return WeightedDesign(questionnaire_id, raked, tuple(p.entry.population for p in populations),
                          tuple(p.entry.path for p in populations), "rake")

