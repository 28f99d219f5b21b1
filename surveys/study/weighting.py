"""The weighting stage of the study pipeline: each survey questionnaire's accepted responses → a raked design.

:func:`weight_responses` starts every respondent at a base weight, rakes the design to the population margins
of the study spec (online and paper pooled, raked once) and returns a :class:`WeightedDesign`;
:func:`surveys.study.pipeline.run_study` calls it once per survey questionnaire.

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

The sample design. The study's ``design`` section says how the sample was drawn (:class:`surveys.study.spec.
SampleDesignSpec`): strata (combinations of columns sampled independently with fixed sizes, e.g. survey mode ×
population) and clusters (e.g. the office that collected the forms, numbered within strata). Every respondent
gets the column ``population`` (the margins population they belong to) so it can be a stratum. Without a design
section every respondent is their own unit in one stratum. :func:`weight_responses` can leave the clusters out
(``clusters=False``) and :func:`unweighted_design` gives the same sample design with every weight 1: the
alternatives of the robustness panel (:mod:`surveys.indicators.robustness`).
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.columns import by_distinct
from surveys.design.taylor import SurveyDesign
from surveys.errors import StudyError, WeightingError
from surveys.questionnaire import Text
from surveys.study.spec import POPULATION_COLUMN, Study, StudyMargins
from surveys.weighting.margins import (
    JOINT_CATEGORY_SEPARATOR,
    Margins,
    MarginTable,
    category_code,
    load_margins,
)

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
    """A questionnaire's design after weighting, with the populations it was raked to.

    ``method``: ``rake``, ``bounded_rake`` (raking with bounds on the factors) or ``none`` (every respondent
    weighs the same: no margins, or none filled in); ``notes``: what the reader of the results should know, in Chinese
    and English (margin tables left blank and skipped, respondents weighted as ``(missing)``, trimming).
    """

    questionnaire: str
    design: Any
    populations: tuple[str, ...]
    margin_files: tuple[pathlib.Path, ...]
    method: str
    notes: tuple[Text, ...] = ()

    @property
    def weighted(self) -> bool:
        return self.method != "none"

    @property
    def diagnostics(self) -> Any | None:
        """The raking's diagnostics, with the margins as the FINAL weights meet them (after any trimming)."""
        adjustments = getattr(self.design, "adjustments", ())
        if not adjustments:
            return None
        fit, last = adjustments[0], adjustments[-1]
        if last is fit:
            return fit.diagnostics
        final = np.asarray(last.new_weights, dtype=float)
        notes = (*fit.diagnostics.notes, *last.diagnostics.notes)
        changes = {"new_weights": final, "notes": notes}
        if getattr(fit, "final_totals", None) is not None:
            changes["final_totals"] = fit.encoding.totals(final)
        return dataclasses.replace(fit, **changes).diagnostics


def _frame_rows(data: pd.DataFrame, entry: StudyMargins) -> np.ndarray:
    """Rows of ``data`` this population describes (all rows when the data lack the selecting variable)."""
    inside = np.ones(len(data), dtype=bool)
    for variable, codes in entry.rows.items():
        if variable in data.columns:
            wanted = {category_code(code) for code in codes}
            chosen, _, _ = by_distinct(data[variable].to_numpy(dtype=object),
                                       lambda v, wanted=wanted: category_code(v) in wanted, missing=False)
            inside &= chosen.astype(bool)
    return inside


def _category_texts(values: pd.Series) -> pd.Series:
    """:func:`category_code` of every cell (missing cells: ""), computed once per distinct value."""
    texts, _, _ = by_distinct(values.to_numpy(dtype=object), category_code, missing="")
    return pd.Series(texts, index=values.index, dtype=object)


def _merged(values: pd.Series, merges: Mapping[Any, Any]) -> pd.Series:
    """``values`` with the categories ``merges`` names replaced by what they merge into (hash lookups, not a Python
    call per row)."""
    if not merges:
        return values
    return values.where(~values.isin(list(merges)), values.map(dict(merges)))


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _population_total(tables: Sequence[MarginTable], entry: StudyMargins, index: int, study: Study) -> float:
    counted = [table for table in tables if not table.is_share]
    if counted:
        return float(np.sum(counted[0].values()))
    if entry.total is not None:
        return entry.total
    raise WeightingError(f"{entry.path.name}: every margin weighted to ({', '.join(t.variable for t in tables)}) is "
                         "given as shares, so the run does not know the population's size; give population counts "
                         f"for at least one variable, or add `total: <population size>` to margins[{index}] in "
                         f"{study.path.name}")


def _joint_values(data: pd.DataFrame, table: MarginTable) -> tuple[pd.Series, np.ndarray]:
    """The data's category text of a (joint) margin, and which rows lack one of its variables."""
    columns = table.variables
    missing = np.zeros(len(data), dtype=bool)
    parts = []
    for column in columns:
        texts, codes, _ = by_distinct(data[column].to_numpy(dtype=object), category_code, missing="")
        missing |= codes < 0
        parts.append(pd.Series(texts, index=data.index, dtype=object))
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


def _weighting_names(questionnaire: Any) -> dict[str, str]:
    """Weighting-variable id → its item, where the two differ: margins may name either."""
    return {variable.id: variable.item for variable in getattr(questionnaire, "weighting", ())
            if variable.item and variable.id != variable.item}


def _populations(data: pd.DataFrame, questionnaire_id: str, study: Study,
                 cache: dict, notes: list[Text]) -> list[_Population]:
    populations = []
    questionnaire = study.questionnaires.get(questionnaire_id)
    for index, entry in enumerate(study.margins):
        if not entry.applies_to(questionnaire_id):
            continue
        margins = cache.setdefault((entry.path, entry.blank), load_margins(entry.path, blank=entry.blank))
        if entry.variables is not None:
            absent = [v for v in entry.variables if v not in margins]
            if absent:
                raise StudyError(f"{study.path}: margins '{entry.path.name}' has no table for {absent}; its tables "
                                 f"are {list(margins.variables)}; fix margins[{index}].variables")
            tables = tuple(margins[v] for v in entry.variables)
        else:
            tables = tuple(t for t in margins if all(v in data.columns for v in t.variables))
        blank = [t.variable for t in tables if not t.is_complete]
        if blank:
            names = ", ".join(blank)
            notes.append(Text(f"{entry.path.name}：{names} 尚未填写，未按其加权（填入总体人数后重新运行）",
                              f"{entry.path.name}: {names} left blank: not weighted to (fill in the population "
                              "counts and run again)"))
            tables = tuple(t for t in tables if t.is_complete)
        lacking = sorted({v for t in tables for v in t.variables if v not in data.columns})
        if lacking:
            known = sorted({*_weighting_names(questionnaire), *(i.id for i in questionnaire.items)}) \
                if questionnaire is not None else []
            raise WeightingError(
                f"questionnaire '{questionnaire_id}': margins '{entry.path.name}' weights to {lacking}, which is "
                f"neither an item nor a weighting variable of the questionnaire (they are {known[:30]}); name an "
                f"item id in the margin file, add the variable to the questionnaire's weighting section "
                f"({{id, item}}), or leave it out of margins[{index}].variables")
        rows = _frame_rows(data, entry)
        if tables and rows.any():
            populations.append(_Population(entry, margins, tables, rows,
                                           _population_total(tables, entry, index, study)))
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
    missing = int(data[column].isna().sum())
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
        joined = _category_texts(data[spec.strata[0]])
        for column in spec.strata[1:]:
            joined = joined + " × " + _category_texts(data[column])
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


def _user_merges(table: MarginTable, collapse: Any, path: pathlib.Path, seen: Sequence[str]) -> dict[str, str]:
    """The categories of ``table`` (and those ``seen`` in the data) that ``weighting.collapse`` merges, as
    {category: the category of the table it joins}."""
    merges = {}
    for category in dict.fromkeys((*table.categories, *seen)):
        parts = table.category_parts(category)
        merged = JOINT_CATEGORY_SEPARATOR.join(collapse.get(v, {}).get(p, p) for v, p in zip(table.variables, parts))
        if merged != category:
            merges[category] = merged
    for category, merged in merges.items():
        if merged not in table.categories:
            raise StudyError(f"weighting.collapse: '{table.variable}' category {category!r} would join {merged!r}, "
                             f"which is not a category of '{table.variable}' in {path.name} (its categories are "
                             f"{list(table.categories)[:20]}); merge it into one of those")
    return merges


def _scale_of(questionnaire: Any, variable: str) -> Any:
    """The scale of a margin variable: its item's, the variable being an item or a weighting variable of one."""
    if questionnaire is None:
        return None
    item = _weighting_names(questionnaire).get(variable, variable)
    return questionnaire.scale_of(item) if questionnaire.has_item(item) else None


def _code_words(questionnaire: Any, variable: str, code: str) -> str:
    """"1 (男)": a category code with its label, when the questionnaire knows it."""
    scale = _scale_of(questionnaire, variable)
    if scale is None:
        return repr(code)
    found = [category.label.zh for category in scale.categories if category_code(category.code) == code]
    return f"{code!r} ({found[0]})" if found else repr(code)


def _check_categories(values: pd.Series, answered: np.ndarray, table: MarginTable, merges: Mapping[str, str],
                      path: pathlib.Path, questionnaire: Any) -> None:
    """Every category the respondents have must be a row of the margin file (or merged into one): said with the
    file's own numbers and the spec's words, before any rescaling."""
    counts = values[answered].value_counts()
    known = set(table.categories)
    absent = sorted((code, int(people)) for code, people in counts.items() if code not in known and code not in merges)
    if not absent:
        return
    scale = _scale_of(questionnaire, table.variables[0]) if len(table.variables) == 1 else None
    labels_given = scale is not None and bool(known & {c.label.zh for c in scale.categories})
    listing = ", ".join(f"{_code_words(questionnaire, table.variable, code)} ({people} respondents)"
                        for code, people in absent[:12])
    hint = (f"; the file names categories by their labels ({sorted(known)[:6]}): write the scale's codes instead "
            f"({', '.join(_code_words(questionnaire, table.variable, c) for c in counts.index[:6])})"
            if labels_given else "")
    raise WeightingError(
        f"{path.name}: '{table.variable}' has no row for {listing}{hint}; add the rows (population counts), or merge "
        f"the categories with others in the study spec (weighting.collapse: {{{table.variable}: {{code: code}}}})")


def _variable_words(questionnaire: Any, variable: str) -> Text:
    """A margin variable in words: the questionnaire's weighting variable or item label, else its name."""
    if questionnaire is not None:
        for weighting in questionnaire.weighting:
            if weighting.id == variable:
                return weighting.label
    return Text(variable, variable)


def _missing_note(data: pd.DataFrame, population: _Population, table: MarginTable, questionnaire: Any) -> Text | None:
    _, missing = _joint_values(data, table)
    count = int((missing & population.rows).sum())
    if not count:
        return None
    entry = population.entry
    words = Text(" × ".join(_variable_words(questionnaire, v).zh for v in table.variables) + f" · {entry.shown('zh')}",
                 " × ".join(_variable_words(questionnaire, v).en for v in table.variables) + f" · {entry.shown('en')}")
    return Text(f"{words.zh}：{count} 名受访者未作答（或所填代码不在量表内），作为“未回答”类别加权，保持其比例",
                f"{words.en}: {count} respondents without an answer (or with a code outside its scale, flagged "
                f"out_of_scale) are weighted as the category {MISSING_CATEGORY}, which keeps their share")


def _merged_table(margin: MarginTable, merges: Mapping[str, str]) -> MarginTable:
    return MarginTable(margin.variable, tuple(dict.fromkeys(merges.get(c, c) for c in margin.categories)))


def _bounded(design: Any, tables: Sequence[MarginTable], collapse: Mapping[str, Mapping[str, str]],
             weighting: Any, study: Study, questionnaire_id: str, clusters: bool) -> Any:
    """Raking with bounds on the factors: calibration with the raking distance (R ``calibrate(calfun="raking",
    bounds=)``) to the same (merged) margins; the merged categories are recoded in the data first."""
    data = design.data.copy()
    totals: dict[str, MarginTable] = {}
    for table in tables:
        merges = collapse.get(table.variable, {})
        data[table.variable] = _merged(data[table.variable], merges)
        summed: dict[str, float] = {}
        for category, value in zip(table.categories, table.values()):
            key = merges.get(category, category)
            summed[key] = summed.get(key, 0.0) + float(value)
        kept = {key: value for key, value in summed.items() if value > 0}
        totals[table.variable] = MarginTable(table.variable, tuple(kept), population=tuple(kept.values()))
    return _sample_design(data, questionnaire_id, study, BASE_WEIGHT_COLUMN, clusters=clusters).calibrate(
        totals, calfun="raking", bounds=weighting.bounds, max_iterations=weighting.max_iterations,
        tolerance=max(weighting.tolerance, 1e-10), on_nonconvergence=weighting.on_nonconvergence)


def _trimmed(design: Any, trim: Any) -> tuple[Any, Text]:
    weights = np.asarray(design.weights, dtype=float)
    mean = float(weights[weights > 0].mean())
    lower = None if trim.lower is None else trim.lower * mean
    upper = None if trim.upper is None else trim.upper * mean
    trimmed = design.trim_weights(lower=lower, upper=upper, strict=trim.strict)
    low, high = trim.lower if trim.lower is not None else 0, trim.upper if trim.upper is not None else math.inf
    bounds = f"[{low:g}, {high:g}]"
    changed = trimmed.adjustments[-1].trimmed
    return trimmed, Text(f"权重截尾至平均权重的 {bounds} 倍（{changed} 个权重被调整）；"
                         "截尾后各边际只近似达到（见边际表）",
                         f"weights trimmed to {bounds} × the mean weight ({changed} weights changed); the margins "
                         "are then met only approximately (see the margins table)")


def weight_responses(data: pd.DataFrame, questionnaire_id: str, study: Study,
                     cache: dict | None = None, *, clusters: bool = True) -> WeightedDesign:
    """The design of one questionnaire's accepted responses, raked as the study says (see the module docstring);
    ``clusters=False`` leaves the study's clusters out of the sample design (the weights do not change)."""
    cache = {} if cache is None else cache
    questionnaire = study.questionnaires.get(questionnaire_id)
    data = _plain_columns(data.reset_index(drop=True))
    for name, item in _weighting_names(questionnaire).items():
        if name not in data.columns and item in data.columns:
            data[name] = data[item]    # a margin file may name the weighting variable instead of its item
    data[BASE_WEIGHT_COLUMN] = 1.0
    weighting = study.weighting
    notes: list[Text] = []
    populations = _populations(data, questionnaire_id, study, cache, notes) if weighting.method != "none" else []
    data[POPULATION_COLUMN] = _ALL
    for population in populations:
        data.loc[population.rows, POPULATION_COLUMN] = population.entry.population or population.entry.path.stem
    if not populations:
        if notes:   # margins were planned but none is filled in yet
            notes.append(Text("未加权：各项估计按样本原样计算，每位受访者权重相同",
                              "unweighted: every respondent counts alike in the estimates"))
        design = _sample_design(data, questionnaire_id, study, BASE_WEIGHT_COLUMN, clusters=clusters)
        return WeightedDesign(questionnaire_id, design, (), (), "none", tuple(notes))
    _check_coverage(populations, questionnaire_id, len(data))
    if weighting.base_weight == "population":
        for population in populations:  # N_p / n_p: each population's expansion weight
            data.loc[population.rows, BASE_WEIGHT_COLUMN] = population.total / int(population.rows.sum())
    base = data[BASE_WEIGHT_COLUMN].to_numpy(float)
    grand_total = sum(p.total for p in populations)
    known = {v for entry in study.margins for t in cache.setdefault((entry.path, entry.blank), load_margins(
        entry.path, blank=entry.blank)) for v in t.variables}
    unknown = sorted(set(weighting.collapse) - known)
    if unknown:
        raise StudyError(f"{study.path.name}: weighting.collapse names {unknown}, which no margin file weights to "
                         f"(the margin variables are {sorted(known)}); fix the variable names")
    tables, collapse = [], {}
    for population in populations:
        for table in population.tables:
            name, column, margin = _frame_margin(data, population, table, grand_total - population.total, base)
            values, missing = _joint_values(data, table)
            merges = _user_merges(table, weighting.collapse, population.entry.path,
                                  [str(v) for v in pd.unique(values[population.rows & ~missing])])
            _check_categories(values, population.rows & ~missing, table, merges, population.entry.path,
                              questionnaire)
            notes += [note for note in (_missing_note(data, population, table, questionnaire),) if note is not None]
            data[name] = column.to_numpy(object)
            tables.append(margin)
            sparse = _sparse_categories(_merged(data[name], merges),
                                        _merged_table(margin, merges), weighting.min_category_respondents)
            merged = {category: sparse.get(merges.get(category, category), merges.get(category, category))
                      for category in dict.fromkeys((*margin.categories, *merges))}
            merged = {category: into for category, into in merged.items() if into != category}
            if merged:
                collapse[name] = merged
    design = _sample_design(data, questionnaire_id, study, BASE_WEIGHT_COLUMN, clusters=clusters)
    if weighting.bounds is not None:
        weighted = _bounded(design, tables, collapse, weighting, study, questionnaire_id, clusters)
        method = "bounded_rake"
    else:
        weighted, method = design.rake(tables, max_iterations=weighting.max_iterations, tolerance=weighting.tolerance,
                                       on_nonconvergence=weighting.on_nonconvergence, collapse=collapse or None), "rake"
    if weighting.trim is not None:
        weighted, note = _trimmed(weighted, weighting.trim)
        notes.append(note)
    return WeightedDesign(questionnaire_id, weighted, tuple(p.entry.population for p in populations),
                          tuple(p.entry.path for p in populations), method, tuple(notes))

