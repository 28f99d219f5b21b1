"""The questionnaire sections that refer to items: measures, weighting variables, platform mappings.

Each reader checks its section's structure and every reference it makes to the items and scales
already built (unknown items, codes outside a scale, a rate over an item without a positive set,
an index over unscored categories, ...), recording problems in the file's
:class:`~surveys.questionnaire.fields.Problems`.
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from surveys.questionnaire.fields import (
    Problems,
    describe,
    join_path,
    read_boolean,
    read_choice,
    read_integer,
    read_list,
    read_mapping,
    read_string,
    read_text,
)
from surveys.questionnaire.model import (
    MEASURE_BASES,
    MEASURE_KINDS,
    PLATFORMS,
    TARGET_COMPARISONS,
    Item,
    Measure,
    PlatformMapping,
    Scale,
    Target,
    Text,
    WeightingCategory,
    WeightingVariable,
)

__all__ = ["read_measures", "read_weighting", "read_platforms", "WJX_COLUMN"]

# A 问卷星 column key: the question number ("3"), or a matrix row by number or label ("13.2", "13_2", "13.外观").
WJX_COLUMN = re.compile(r"[1-9]\d*(?:[._].+)?")

_MEASURE_REQUIRED = ("id", "kind", "items", "label")
_MEASURE_OPTIONAL = ("headline", "target", "base", "satisfied_codes")
_WEIGHTING_REQUIRED = ("id", "item")


# --------------------------------------------------------------------------- measures

def _usable_item(item_id: Any, path: str, items: dict[str, Item], problems: Problems, expected: str) -> Item | None:
    """The item named ``item_id``, or None: reported as unknown unless the item's own problem already was."""
    if isinstance(item_id, str) and item_id in problems.broken_items:
        return None
    if not isinstance(item_id, str) or item_id not in items:
        problems.add(path, f"expected {expected}; found unknown item {item_id!r}")
        return None
    return items[item_id]


def _target(value: Any, path: str, problems: Problems) -> Target | None:
    spec = read_mapping(value, path, ("threshold",), ("comparison", "rule"), problems)
    if spec is None:
        return None
    threshold = spec["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        hint = "; write a share (0.80, not 80)" if isinstance(threshold, (int, float)) and threshold >= 1 else ""
        problems.add(join_path(path, "threshold"), f"expected a share strictly between 0 and 1; found "
                     f"{describe(threshold)}{hint}")
        return None
    comparison = read_choice(spec.get("comparison", ">="), join_path(path, "comparison"), TARGET_COMPARISONS, problems)
    rule = read_string(spec.get("rule", "ci_lower_bound"), join_path(path, "rule"), problems, identifier=True)
    if comparison is None or rule is None:
        return None
    return Target(float(threshold), comparison, rule)


def _check_measure_items(measure_id: str, kind: str, item_ids: list[str], satisfied_override: tuple[int, ...] | None,
                         path: str, items: dict[str, Item], scales: dict[str, Scale], problems: Problems) -> None:
    if kind == "rate" and len(item_ids) != 1:
        problems.add(join_path(path, "items"), "expected exactly one item for a 'rate' measure; "
                     f"found {len(item_ids)}; use kind 'composite_rate' for several")
    for index, item_id in enumerate(item_ids):
        item_path = join_path(join_path(path, "items"), index)
        item = _usable_item(item_id, item_path, items, problems, "an item id of this questionnaire")
        if item is None:
            continue
        scale = scales.get(item.scale) if item.scale else None
        if kind == "correct_rate":
            if item.correct_answer is None:
                problems.add(item_path, f"expected an item with a correct_answer for a 'correct_rate' measure; "
                             f"found '{item_id}' (role {item.role}) without one")
            continue
        if scale is None or item.type != "single":
            problems.add(item_path, f"expected a single-choice item with a scale for a '{kind}' measure; "
                         f"found '{item_id}' of type {item.type}")
            continue
        if kind == "index":
            unscored = [c.code for c in scale.categories if c.score is None and not c.dont_know]
            if unscored:
                problems.add(item_path, f"expected every category of scale '{scale.id}' except don't-know to carry "
                             f"a score for an 'index' measure; found codes {unscored} without one")
            continue
        positive = satisfied_override if satisfied_override is not None else scale.satisfied_codes
        if not positive:
            problems.add(item_path, f"expected scale '{scale.id}' of item '{item_id}' to have a satisfied category "
                         f"for measure '{measure_id}'; found none")
        outside = [code for code in (satisfied_override or ()) if code not in scale.codes]
        if outside:
            problems.add(join_path(path, "satisfied_codes"), f"expected codes of scale '{scale.id}' "
                         f"(item '{item_id}'), one of {list(scale.codes)}; found {outside}")


def _measure(value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
             problems: Problems) -> Measure | None:
    spec = read_mapping(value, path, _MEASURE_REQUIRED, _MEASURE_OPTIONAL, problems)
    if spec is None:
        return None
    measure_id = read_string(spec["id"], join_path(path, "id"), problems, identifier=True)
    kind = read_choice(spec["kind"], join_path(path, "kind"), MEASURE_KINDS, problems)
    label = read_text(spec["label"], join_path(path, "label"), problems)
    headline = read_boolean(spec.get("headline"), join_path(path, "headline"), problems, False)
    base = read_choice(spec.get("base", "all"), join_path(path, "base"), MEASURE_BASES, problems)
    target = _target(spec["target"], join_path(path, "target"), problems) if spec.get("target") is not None else None
    raw_items = read_list(spec["items"], join_path(path, "items"), problems)
    items_path = join_path(path, "items")
    item_ids = [read_string(raw, join_path(items_path, i), problems) for i, raw in enumerate(raw_items or [])]
    satisfied_codes = None
    if spec.get("satisfied_codes") is not None:
        raw_codes = read_list(spec["satisfied_codes"], join_path(path, "satisfied_codes"), problems) or []
        codes_path = join_path(path, "satisfied_codes")
        codes = [read_integer(raw, join_path(codes_path, i), problems) for i, raw in enumerate(raw_codes)]
        satisfied_codes = tuple(code for code in codes if code is not None)
        if kind not in ("rate", "composite_rate", None):
            problems.add(join_path(path, "satisfied_codes"), f"expected satisfied_codes only on rate measures; "
                         f"found it on a '{kind}' measure")
    if target is not None and kind == "index":
        problems.add(join_path(path, "target"), "expected targets only on rates (shares between 0 and 1); found one "
                     "on an 'index' measure (0–100); put the target on a rate measure")
    if raw_items is None or None in item_ids or kind is None:
        return None
    _check_measure_items(str(measure_id), kind, item_ids, satisfied_codes, path, items, scales, problems)
    if None in (measure_id, label, base):
        return None
    return Measure(measure_id, kind, tuple(item_ids), label, headline, target, base, satisfied_codes)


def read_measures(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                  problems: Problems) -> tuple[Measure, ...]:
    """The ``measures`` section; exactly one measure must be the headline."""
    raw_measures = read_list(value, "measures", problems)
    if raw_measures is None:
        return ()
    measures: list[Measure] = []
    for index, raw in enumerate(raw_measures):
        path = join_path("measures", index)
        measure = _measure(raw, path, items, scales, problems)
        if measure is None:
            continue
        if any(existing.id == measure.id for existing in measures):
            problems.add(join_path(path, "id"), f"expected unique measure ids; found '{measure.id}' again")
            continue
        measures.append(measure)
    headlines = [measure.id for measure in measures if measure.headline]
    if len(headlines) != 1 and len(measures) == len(raw_measures):
        problems.add("measures", f"expected exactly one measure with headline: true (the indicator); "
                     f"found {len(headlines)} {headlines}")
    return tuple(measures)


# --------------------------------------------------------------------------- weighting

def _weighting_category(value: Any, path: str, problems: Problems) -> WeightingCategory | None:
    spec = read_mapping(value, path, ("code", "zh", "en"), ("key",), problems)
    if spec is None:
        return None
    code = read_integer(spec["code"], join_path(path, "code"), problems)
    zh = read_string(spec["zh"], join_path(path, "zh"), problems)
    en = read_string(spec["en"], join_path(path, "en"), problems)
    key = read_string(spec["key"], join_path(path, "key"), problems) if "key" in spec else None
    if None in (code, zh, en):
        return None
    return WeightingCategory(code, Text(zh, en), key)


def _weighting_variable(value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
                        problems: Problems) -> WeightingVariable | None:
    spec = read_mapping(value, path, _WEIGHTING_REQUIRED, ("label", "categories"), problems)
    if spec is None:
        return None
    variable_id = read_string(spec["id"], join_path(path, "id"), problems, identifier=True)
    item_id = spec["item"]
    if "label" in spec:
        label = read_text(spec["label"], join_path(path, "label"), problems)
    elif item_id in items:
        label = items[item_id].text   # the item's text names the variable
    else:
        label = None
        if item_id is None:
            problems.add(join_path(path, "label"), "required key is missing when item is null; give {zh, en}")
    scale = None
    if item_id is not None:
        if _usable_item(item_id, join_path(path, "item"), items, problems,
                        "an item id of this questionnaire (or null when the value comes from the frame)") is None:
            return None
        scale = scales.get(items[item_id].scale or "")
        if scale is None or items[item_id].type != "single":
            problems.add(join_path(path, "item"), f"expected a single-choice item; found '{item_id}' of type "
                         f"{items[item_id].type}")
            return None
    if "categories" in spec:
        raw_categories = read_list(spec["categories"], join_path(path, "categories"), problems) or []
        parsed = [_weighting_category(raw, join_path(join_path(path, "categories"), i), problems)
                  for i, raw in enumerate(raw_categories)]
        categories = [category for category in parsed if category is not None]
        codes = [category.code for category in categories]
        if len(set(codes)) != len(codes):
            problems.add(join_path(path, "categories"), f"expected unique codes; found {codes}")
        if scale is not None:
            outside = [code for code in codes if code not in scale.codes]
            if outside:
                problems.add(join_path(path, "categories"), f"expected codes of scale '{scale.id}' (item '{item_id}'), "
                             f"one of {list(scale.codes)}; found {outside}")
    elif scale is not None:
        categories = [WeightingCategory(c.code, c.label) for c in scale.categories if not c.dont_know]
    else:
        problems.add(join_path(path, "categories"), "required key is missing when item is null (the frame gives the "
                     "value); list the categories with code, zh, en and key")
        return None
    if None in (variable_id, label) or not categories:
        return None
    return WeightingVariable(variable_id, item_id, label, tuple(categories))


def read_weighting(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                   problems: Problems) -> tuple[WeightingVariable, ...]:
    """The ``weighting`` section (optional; an empty list is allowed)."""
    if value is None:
        return ()
    raw_variables = read_list(value, "weighting", problems, non_empty=False)
    variables: list[WeightingVariable] = []
    for index, raw in enumerate(raw_variables or []):
        path = join_path("weighting", index)
        variable = _weighting_variable(raw, path, items, scales, problems)
        if variable is None:
            continue
        if any(existing.id == variable.id for existing in variables):
            problems.add(join_path(path, "id"), f"expected unique weighting variable ids; found '{variable.id}' again")
            continue
        variables.append(variable)
    return tuple(variables)


# --------------------------------------------------------------------------- platforms

def _column_key(value: Any, path: str, problems: Problems) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return read_string(value, path, problems)


def _platform(name: str, value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
              problems: Problems) -> PlatformMapping | None:
    spec = read_mapping(value, path, ("columns",), ("value_maps",), problems)
    if spec is None:
        return None
    columns: dict[str, str] = {}
    raw_columns = spec["columns"]
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.add(join_path(path, "columns"),
                     f"expected a mapping of item id → column key; found {describe(raw_columns)}")
        raw_columns = {}
    seen: dict[str, str] = {}
    for item_id, raw_key in raw_columns.items():
        key_path = join_path(join_path(path, "columns"), str(item_id))
        if item_id not in items:
            if item_id not in problems.broken_items:
                problems.add(key_path, f"expected an item id of this questionnaire; found unknown item {item_id!r}")
            continue
        column = _column_key(raw_key, key_path, problems)
        if column is None:
            continue
        if name == "wjx" and not WJX_COLUMN.fullmatch(column):
            # 问卷星 headers are "N、题干"; the number is the only stable key; a matrix row is "N.row" (row number
            # or row label, e.g. "13.2" or "13.外观")
            problems.add(key_path, f"expected a 问卷星 question number such as \"3\" (header \"3、题干\"), or a "
                         f"matrix row such as \"13.2\" or \"13.外观\"; found {column!r}")
            continue
        if column in seen:
            problems.add(key_path, f"expected each column to feed one item; found column {column!r} also mapped to "
                         f"'{seen[column]}'")
            continue
        seen[column] = item_id
        columns[item_id] = column
    value_maps: dict[str, Any] = {}
    raw_maps = spec.get("value_maps") or {}
    if not isinstance(raw_maps, dict):
        problems.add(join_path(path, "value_maps"), f"expected a mapping of item id → {{option text: code}}; "
                     f"found {describe(raw_maps)}")
        raw_maps = {}
    for item_id, raw_map in raw_maps.items():
        map_path = join_path(join_path(path, "value_maps"), str(item_id))
        if _usable_item(item_id, map_path, items, problems, "an item id of this questionnaire") is None:
            continue
        scale = scales.get(items[item_id].scale or "")
        if scale is None:
            problems.add(map_path, f"expected a choice item (value maps translate option texts to codes); "
                         f"found '{item_id}' of type {items[item_id].type}")
            continue
        if not isinstance(raw_map, dict) or not raw_map:
            problems.add(map_path, f"expected a mapping of option text → code; found {describe(raw_map)}")
            continue
        entries: dict[str, int] = {}
        for raw_label, raw_code in raw_map.items():
            entry_path = join_path(map_path, str(raw_label))
            code = read_integer(raw_code, entry_path, problems)
            if code is not None and code not in scale.codes:
                problems.add(entry_path, f"expected a code of scale '{scale.id}', one of {list(scale.codes)}; "
                             f"found {code}")
                continue
            if code is not None:
                entries[str(raw_label)] = code
        if item_id not in columns and item_id in items:
            problems.add(map_path, f"expected item '{item_id}' to have a column in {join_path(path, 'columns')} "
                         "as well; found none")
        value_maps[item_id] = MappingProxyType(entries)
    return PlatformMapping(name, MappingProxyType(columns), MappingProxyType(value_maps))


def read_platforms(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                   problems: Problems) -> dict[str, PlatformMapping]:
    """The ``platforms`` section: platform name → its column keys and value maps."""
    platforms: dict[str, PlatformMapping] = {}
    if value is None:
        return platforms
    if not isinstance(value, dict):
        problems.add("platforms", f"expected a mapping of platform → mapping; found {describe(value)}")
        return platforms
    for name, raw in value.items():
        path = join_path("platforms", str(name))
        if read_choice(name, path, PLATFORMS, problems) is None:
            continue
        mapping = _platform(name, raw, path, items, scales, problems)
        if mapping is not None:
            platforms[name] = mapping
    return platforms
