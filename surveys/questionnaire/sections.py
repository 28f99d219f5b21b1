"""The questionnaire sections that refer to items: measures, weighting variables, platform mappings.

Each reader checks its section's structure and every reference it makes to the items and scales
already built (unknown items, codes outside a scale, a rate over an item without a positive set,
an index over unscored categories, ...), recording problems in the file's
:class:`~surveys.spec_file.SpecReader`.
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

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
from surveys.spec_file import SpecReader, describe, join_path

__all__ = ["read_measures", "read_weighting", "read_platforms", "WJX_COLUMN"]

# A 问卷星 column key: the question number ("3"), or a matrix row by number or label ("13.2", "13_2", "13.外观").
WJX_COLUMN = re.compile(r"[1-9]\d*(?:[._].+)?")

_MEASURE_REQUIRED = ("id", "kind", "items", "label")
_MEASURE_OPTIONAL = ("headline", "target", "base", "satisfied_codes")
_WEIGHTING_REQUIRED = ("id", "item")


# --------------------------------------------------------------------------- measures

def _usable_item(item_id: Any, path: str, items: dict[str, Item], reader: SpecReader, expected: str) -> Item | None:
    """The item named ``item_id``, or None: reported as unknown unless the item's own problem already was."""
    if isinstance(item_id, str) and item_id in reader.broken_items:
        return None
    if not isinstance(item_id, str) or item_id not in items:
        reader.problem(path, f"expected {expected}; found unknown item {item_id!r}")
        return None
    return items[item_id]


def _target(value: Any, path: str, reader: SpecReader) -> Target | None:
    spec = reader.mapping(value, path, ("threshold",), ("comparison", "rule"))
    if spec is None:
        return None
    threshold = spec["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        hint = "; write a share (0.80, not 80)" if isinstance(threshold, (int, float)) and threshold >= 1 else ""
        reader.problem(join_path(path, "threshold"), f"expected a share strictly between 0 and 1; found "
                       f"{describe(threshold)}{hint}")
        return None
    comparison = reader.choice(spec.get("comparison", ">="), join_path(path, "comparison"), TARGET_COMPARISONS)
    rule = reader.string(spec.get("rule", "ci_lower_bound"), join_path(path, "rule"), identifier=True)
    if comparison is None or rule is None:
        return None
    return Target(float(threshold), comparison, rule)


def _check_measure_items(measure_id: str, kind: str, item_ids: list[str], satisfied_override: tuple[int, ...] | None,
                         path: str, items: dict[str, Item], scales: dict[str, Scale], reader: SpecReader) -> None:
    if kind == "rate" and len(item_ids) != 1:
        reader.problem(join_path(path, "items"), "expected exactly one item for a 'rate' measure; "
                       f"found {len(item_ids)}; use kind 'composite_rate' for several")
    for index, item_id in enumerate(item_ids):
        item_path = join_path(join_path(path, "items"), index)
        item = _usable_item(item_id, item_path, items, reader, "an item id of this questionnaire")
        if item is None:
            continue
        scale = scales.get(item.scale) if item.scale else None
        if kind == "correct_rate":
            if item.correct_answer is None:
                reader.problem(item_path, f"expected an item with a correct_answer for a 'correct_rate' measure; "
                               f"found '{item_id}' (role {item.role}) without one")
            continue
        if scale is None or item.type != "single":
            reader.problem(item_path, f"expected a single-choice item with a scale for a '{kind}' measure; "
                           f"found '{item_id}' of type {item.type}")
            continue
        if kind == "index":
            unscored = [c.code for c in scale.categories if c.score is None and not c.dont_know]
            if unscored:
                reader.problem(item_path, f"expected every category of scale '{scale.id}' except don't-know to carry "
                               f"a score for an 'index' measure; found codes {unscored} without one")
            continue
        positive = satisfied_override if satisfied_override is not None else scale.satisfied_codes
        if not positive:
            reader.problem(item_path, f"expected scale '{scale.id}' of item '{item_id}' to have a satisfied category "
                           f"for measure '{measure_id}'; found none")
        outside = [code for code in (satisfied_override or ()) if code not in scale.codes]
        if outside:
            reader.problem(join_path(path, "satisfied_codes"), f"expected codes of scale '{scale.id}' "
                           f"(item '{item_id}'), one of {list(scale.codes)}; found {outside}")


def _measure(value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
             reader: SpecReader) -> Measure | None:
    spec = reader.mapping(value, path, _MEASURE_REQUIRED, _MEASURE_OPTIONAL)
    if spec is None:
        return None
    measure_id = reader.string(spec["id"], join_path(path, "id"), identifier=True)
    kind = reader.choice(spec["kind"], join_path(path, "kind"), MEASURE_KINDS)
    label = reader.text(spec["label"], join_path(path, "label"))
    headline = reader.boolean(spec.get("headline"), join_path(path, "headline"), False)
    base = reader.choice(spec.get("base", "all"), join_path(path, "base"), MEASURE_BASES)
    target = _target(spec["target"], join_path(path, "target"), reader) if spec.get("target") is not None else None
    raw_items = reader.sequence(spec["items"], join_path(path, "items"))
    items_path = join_path(path, "items")
    item_ids = [reader.string(raw, join_path(items_path, i)) for i, raw in enumerate(raw_items or [])]
    satisfied_codes = None
    if spec.get("satisfied_codes") is not None:
        raw_codes = reader.sequence(spec["satisfied_codes"], join_path(path, "satisfied_codes")) or []
        codes_path = join_path(path, "satisfied_codes")
        codes = [reader.integer(raw, join_path(codes_path, i)) for i, raw in enumerate(raw_codes)]
        satisfied_codes = tuple(code for code in codes if code is not None)
        if kind not in ("rate", "composite_rate", None):
            reader.problem(join_path(path, "satisfied_codes"), f"expected satisfied_codes only on rate measures; "
                           f"found it on a '{kind}' measure")
    if target is not None and kind == "index":
        reader.problem(join_path(path, "target"), "expected targets only on rates (shares between 0 and 1); found one "
                       "on an 'index' measure (0–100); put the target on a rate measure")
    if raw_items is None or None in item_ids or kind is None:
        return None
    _check_measure_items(str(measure_id), kind, item_ids, satisfied_codes, path, items, scales, reader)
    if measure_id is None or label is None or base is None:
        return None
    return Measure(measure_id, kind, tuple(item_ids), label, headline, target, base, satisfied_codes)


def read_measures(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                  reader: SpecReader) -> tuple[Measure, ...]:
    """The ``measures`` section; exactly one measure must be the headline."""
    raw_measures = reader.sequence(value, "measures")
    if raw_measures is None:
        return ()
    measures: list[Measure] = []
    for index, raw in enumerate(raw_measures):
        path = join_path("measures", index)
        measure = _measure(raw, path, items, scales, reader)
        if measure is None:
            continue
        if any(existing.id == measure.id for existing in measures):
            reader.problem(join_path(path, "id"), f"expected unique measure ids; found '{measure.id}' again")
            continue
        measures.append(measure)
    headlines = [measure.id for measure in measures if measure.headline]
    if len(headlines) != 1 and len(measures) == len(raw_measures):
        reader.problem("measures", f"expected exactly one measure with headline: true (the indicator); "
                       f"found {len(headlines)} {headlines}")
    return tuple(measures)


# --------------------------------------------------------------------------- weighting

def _weighting_category(value: Any, path: str, reader: SpecReader) -> WeightingCategory | None:
    spec = reader.mapping(value, path, ("code", "zh", "en"), ("key",))
    if spec is None:
        return None
    code = reader.integer(spec["code"], join_path(path, "code"))
    zh = reader.string(spec["zh"], join_path(path, "zh"))
    en = reader.string(spec["en"], join_path(path, "en"))
    key = reader.string(spec["key"], join_path(path, "key")) if "key" in spec else None
    if None in (code, zh, en):
        return None
    return WeightingCategory(code, Text(zh, en), key)


def _weighting_variable(value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
                        reader: SpecReader) -> WeightingVariable | None:
    spec = reader.mapping(value, path, _WEIGHTING_REQUIRED, ("label", "categories"))
    if spec is None:
        return None
    variable_id = reader.string(spec["id"], join_path(path, "id"), identifier=True)
    item_id = spec["item"]
    if "label" in spec:
        label = reader.text(spec["label"], join_path(path, "label"))
    elif item_id in items:
        label = items[item_id].text   # the item's text names the variable
    else:
        label = None
        if item_id is None:
            reader.problem(join_path(path, "label"), "required key is missing when item is null; give {zh, en}")
    scale = None
    if item_id is not None:
        if _usable_item(item_id, join_path(path, "item"), items, reader,
                        "an item id of this questionnaire (or null when the value comes from the frame)") is None:
            return None
        scale = scales.get(items[item_id].scale or "")
        if scale is None or items[item_id].type != "single":
            reader.problem(join_path(path, "item"), f"expected a single-choice item; found '{item_id}' of type "
                           f"{items[item_id].type}")
            return None
    if "categories" in spec:
        raw_categories = reader.sequence(spec["categories"], join_path(path, "categories")) or []
        parsed = [_weighting_category(raw, join_path(join_path(path, "categories"), i), reader)
                  for i, raw in enumerate(raw_categories)]
        categories = [category for category in parsed if category is not None]
        codes = [category.code for category in categories]
        if len(set(codes)) != len(codes):
            reader.problem(join_path(path, "categories"), f"expected unique codes; found {codes}")
        if scale is not None:
            outside = [code for code in codes if code not in scale.codes]
            if outside:
                reader.problem(join_path(path, "categories"), f"expected codes of scale '{scale.id}' (item "
                               f"'{item_id}'), one of {list(scale.codes)}; found {outside}")
    elif scale is not None:
        categories = [WeightingCategory(c.code, c.label) for c in scale.categories if not c.dont_know]
    else:
        reader.problem(join_path(path, "categories"), "required key is missing when item is null (the frame gives the "
                       "value); list the categories with code, zh, en and key")
        return None
    if variable_id is None or label is None or not categories:
        return None
    return WeightingVariable(variable_id, item_id, label, tuple(categories))


def read_weighting(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                   reader: SpecReader) -> tuple[WeightingVariable, ...]:
    """The ``weighting`` section (optional; an empty list is allowed)."""
    if value is None:
        return ()
    raw_variables = reader.sequence(value, "weighting", non_empty=False)
    variables: list[WeightingVariable] = []
    for index, raw in enumerate(raw_variables or []):
        path = join_path("weighting", index)
        variable = _weighting_variable(raw, path, items, scales, reader)
        if variable is None:
            continue
        if any(existing.id == variable.id for existing in variables):
            reader.problem(join_path(path, "id"),
                           f"expected unique weighting variable ids; found '{variable.id}' again")
            continue
        variables.append(variable)
    return tuple(variables)


# --------------------------------------------------------------------------- platforms

def _column_key(value: Any, path: str, reader: SpecReader) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return reader.string(value, path)


def _platform(name: str, value: Any, path: str, items: dict[str, Item], scales: dict[str, Scale],
              reader: SpecReader) -> PlatformMapping | None:
    spec = reader.mapping(value, path, ("columns",), ("value_maps",))
    if spec is None:
        return None
    columns: dict[str, str] = {}
    raw_columns = spec["columns"]
    if not isinstance(raw_columns, dict) or not raw_columns:
        reader.problem(join_path(path, "columns"),
                       f"expected a mapping of item id → column key; found {describe(raw_columns)}")
        raw_columns = {}
    seen: dict[str, str] = {}
    for item_id, raw_key in raw_columns.items():
        key_path = join_path(join_path(path, "columns"), str(item_id))
        if item_id not in items:
            if item_id not in reader.broken_items:
                reader.problem(key_path, f"expected an item id of this questionnaire; found unknown item {item_id!r}")
            continue
        column = _column_key(raw_key, key_path, reader)
        if column is None:
            continue
        if name == "wjx" and not WJX_COLUMN.fullmatch(column):
            # 问卷星 headers are "N、题干"; the number is the only stable key; a matrix row is "N.row" (row number
            # or row label, e.g. "13.2" or "13.外观")
            reader.problem(key_path, f"expected a 问卷星 question number such as \"3\" (header \"3、题干\"), or a "
                           f"matrix row such as \"13.2\" or \"13.外观\"; found {column!r}")
            continue
        if column in seen:
            reader.problem(key_path, f"expected each column to feed one item; found column {column!r} also mapped to "
                           f"'{seen[column]}'")
            continue
        seen[column] = item_id
        columns[item_id] = column
    value_maps: dict[str, Any] = {}
    raw_maps = spec.get("value_maps") or {}
    if not isinstance(raw_maps, dict):
        reader.problem(join_path(path, "value_maps"), f"expected a mapping of item id → {{option text: code}}; "
                       f"found {describe(raw_maps)}")
        raw_maps = {}
    for item_id, raw_map in raw_maps.items():
        map_path = join_path(join_path(path, "value_maps"), str(item_id))
        if _usable_item(item_id, map_path, items, reader, "an item id of this questionnaire") is None:
            continue
        scale = scales.get(items[item_id].scale or "")
        if scale is None:
            reader.problem(map_path, f"expected a choice item (value maps translate option texts to codes); "
                           f"found '{item_id}' of type {items[item_id].type}")
            continue
        if not isinstance(raw_map, dict) or not raw_map:
            reader.problem(map_path, f"expected a mapping of option text → code; found {describe(raw_map)}")
            continue
        entries: dict[str, int] = {}
        for raw_label, raw_code in raw_map.items():
            entry_path = join_path(map_path, str(raw_label))
            code = reader.integer(raw_code, entry_path)
            if code is not None and code not in scale.codes:
                reader.problem(entry_path, f"expected a code of scale '{scale.id}', one of {list(scale.codes)}; "
                               f"found {code}")
                continue
            if code is not None:
                entries[str(raw_label)] = code
        if item_id not in columns and item_id in items:
            reader.problem(map_path, f"expected item '{item_id}' to have a column in {join_path(path, 'columns')} "
                           "as well; found none")
        value_maps[item_id] = MappingProxyType(entries)
    return PlatformMapping(name, MappingProxyType(columns), MappingProxyType(value_maps))


def read_platforms(value: Any, items: dict[str, Item], scales: dict[str, Scale],
                   reader: SpecReader) -> dict[str, PlatformMapping]:
    """The ``platforms`` section: platform name → its column keys and value maps."""
    platforms: dict[str, PlatformMapping] = {}
    if value is None:
        return platforms
    if not isinstance(value, dict):
        reader.problem("platforms", f"expected a mapping of platform → mapping; found {describe(value)}")
        return platforms
    for name, raw in value.items():
        path = join_path("platforms", str(name))
        if reader.choice(name, path, PLATFORMS) is None:
            continue
        mapping = _platform(name, raw, path, items, scales, reader)
        if mapping is not None:
            platforms[name] = mapping
    return platforms
