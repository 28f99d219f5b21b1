"""Read a questionnaire YAML file, check it against the schema and build the frozen records.

The schema is documented in ``questionnaires/README.md``. The file is read and checked the way every spec is
(:mod:`surveys.spec_file`): checking collects every problem of a file (each as ``<key path>: expected ...,
found ...``) and raises one :class:`~surveys.errors.QuestionnaireError` that names the file and lists them all,
so an analyst fixes a file in one pass. Structural problems of a section (wrong type, missing or unknown keys)
are reported and that section is skipped; cross-reference checks (skip logic, measures, weighting,
platform mappings) run on whatever was built.
"""
from __future__ import annotations

import difflib
import pathlib
from types import MappingProxyType
from typing import Any, cast

from surveys.errors import QuestionnaireError
from surveys.questionnaire.model import (
    ITEM_ROLES,
    ITEM_TYPES,
    MODES,
    Category,
    Condition,
    Item,
    Questionnaire,
    Scale,
    Text,
)
from surveys.questionnaire.sections import read_measures, read_platforms, read_weighting
from surveys.spec_file import SpecReader, describe, join_path, read_yaml

__all__ = ["load_questionnaire", "parse_questionnaire_file", "parse_questionnaire"]

_CHOICE_TYPES = ("single", "multiple")
_RATED_ROLES = ("satisfaction", "overall")
_ANSWER_KEY_ROLES = ("attention_check", "knowledge")

_TOP_REQUIRED = ("id", "version", "title", "unit", "population", "modes", "scales", "items", "measures")
_TOP_OPTIONAL = ("population_label", "description", "weighting", "platforms")
_CATEGORY_REQUIRED = ("code", "zh", "en")
_CATEGORY_OPTIONAL = ("satisfied", "dont_know", "score")
_ITEM_REQUIRED = ("id", "text", "type", "role")
_ITEM_OPTIONAL = ("scale", "required", "asked_if", "correct_answer", "note", "short")
SHORT_ITEM_NAME_LIMIT = 16  # characters of an item's short name (tables and charts)


# --------------------------------------------------------------------------- scales

def _category(value: Any, path: str, reader: SpecReader) -> Category | None:
    spec = reader.mapping(value, path, _CATEGORY_REQUIRED, _CATEGORY_OPTIONAL)
    if spec is None:
        return None
    code = reader.integer(spec["code"], join_path(path, "code"))
    zh = reader.string(spec["zh"], join_path(path, "zh"))
    en = reader.string(spec["en"], join_path(path, "en"))
    satisfied = reader.boolean(spec.get("satisfied"), join_path(path, "satisfied"), False)
    dont_know = reader.boolean(spec.get("dont_know"), join_path(path, "dont_know"), False)
    score = spec.get("score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
            reader.problem(join_path(path, "score"),
                           f"expected a number from 0 to 100 (or no score); found {describe(score)}")
            score = None
        else:
            score = float(score)
    if satisfied and dont_know:
        reader.problem(path, "expected a category to be satisfied or don't-know, not both; found both set to true")
    if dont_know and score is not None:
        reader.problem(join_path(path, "score"), "expected no score on a don't-know category (it never enters "
                       f"the index); found {score:g}; remove it")
    if code is None or zh is None or en is None:
        return None
    return Category(code, Text(zh, en), satisfied, dont_know, score)


def _scale(scale_id: str, value: Any, path: str, reader: SpecReader) -> Scale | None:
    spec = reader.mapping(value, path, ("categories",), ("multiple",))
    if spec is None:
        return None
    multiple = reader.boolean(spec.get("multiple"), join_path(path, "multiple"), False)
    raw_categories = reader.sequence(spec["categories"], join_path(path, "categories"))
    if raw_categories is None:
        return None
    categories = []
    seen_codes: dict[int, int] = {}
    seen_labels: dict[str, int] = {}
    for index, raw in enumerate(raw_categories):
        category_path = join_path(join_path(path, "categories"), index)
        category = _category(raw, category_path, reader)
        if category is None:
            continue
        if category.code in seen_codes:
            reader.problem(join_path(category_path, "code"), f"expected codes unique within scale '{scale_id}'; "
                           f"found {category.code} again (first at categories[{seen_codes[category.code]}])")
            continue
        if category.label.zh in seen_labels:
            reader.problem(join_path(category_path, "zh"), f"expected labels unique within scale '{scale_id}'; "
                           f"found {category.label.zh!r} again (first at categories[{seen_labels[category.label.zh]}])")
        seen_codes[category.code] = index
        seen_labels.setdefault(category.label.zh, index)
        categories.append(category)
    if not categories:
        return None
    return Scale(scale_id, tuple(categories), multiple)


def _scales(value: Any, reader: SpecReader) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    if not isinstance(value, dict) or not value:
        reader.problem("scales", f"expected a mapping of scale id → scale; found {describe(value)}")
        return scales
    for scale_id, raw in value.items():
        path = join_path("scales", str(scale_id))
        if reader.string(scale_id, path, identifier=True) is None:
            continue
        scale = _scale(scale_id, raw, path, reader)
        if scale is not None:
            scales[scale_id] = scale
    return scales


# --------------------------------------------------------------------------- items

def _condition(value: Any, path: str, item_id: str, earlier: dict[str, Item], positions: dict[str, int],
               scales: dict[str, Scale], reader: SpecReader) -> Condition | None:
    if isinstance(value, dict) and ("in" in value) == ("not_in" in value):
        reader.problem(path, "expected exactly one of 'in' (asked when the answer is one of these codes) or "
                       f"'not_in'; found {'both' if 'in' in value else 'neither'}")
        return None
    spec = reader.mapping(value, path, ("item",), ("in", "not_in"))
    if spec is None:
        return None
    negate = "not_in" in spec
    values_key = "not_in" if negate else "in"
    controlling = reader.string(spec["item"], join_path(path, "item"))
    raw_values = reader.sequence(spec[values_key], join_path(path, values_key))
    if controlling is None or raw_values is None:
        return None
    if controlling in reader.broken_items and (controlling not in earlier or earlier[controlling].scale is None):
        return None  # the controlling item's own problem is already reported
    if controlling not in earlier:
        if controlling == item_id:
            found = "the item itself"
        elif controlling in positions:
            found = f"'{controlling}', which is items[{positions[controlling]}], after this item"
        else:
            found = f"'{controlling}', which is not an item of this questionnaire"
        reader.problem(join_path(path, "item"), f"expected the id of an earlier item; found {found}; "
                       "skip logic can only depend on questions already answered")
        return None
    values_path = join_path(path, values_key)
    codes = [reader.integer(raw, join_path(values_path, index)) for index, raw in enumerate(raw_values)]
    if any(code is None for code in codes):
        return None
    source = earlier[controlling]
    if source.scale is None:
        reader.problem(join_path(path, "item"), f"expected a choice item (single or multiple) to branch on; "
                       f"found '{controlling}' of type {source.type}")
        return None
    if source.scale in scales:
        allowed = scales[source.scale].codes
        for index, code in enumerate(codes):
            if code not in allowed:
                reader.problem(join_path(values_path, index), f"expected a code of scale '{source.scale}' "
                               f"(item '{controlling}'), one of {list(allowed)}; found {code}")
    return Condition(controlling, tuple(codes), negate)


def _item(value: Any, path: str, earlier: dict[str, Item], positions: dict[str, int],
          scales: dict[str, Scale], reader: SpecReader) -> Item | None:
    spec = reader.mapping(value, path, _ITEM_REQUIRED, _ITEM_OPTIONAL)
    if spec is None:
        return None
    item_id = reader.string(spec["id"], join_path(path, "id"), identifier=True)
    text = reader.text(spec["text"], join_path(path, "text"))
    item_type = reader.choice(spec["type"], join_path(path, "type"), ITEM_TYPES)
    role = reader.choice(spec["role"], join_path(path, "role"), ITEM_ROLES)
    required = reader.boolean(spec.get("required"), join_path(path, "required"), True)
    note = reader.text(spec["note"], join_path(path, "note")) if "note" in spec else None
    short = reader.text(spec["short"], join_path(path, "short")) if "short" in spec else None
    if short is not None and len(short.zh) > SHORT_ITEM_NAME_LIMIT:
        reader.problem(join_path(path, "short"), f"expected a short name of at most {SHORT_ITEM_NAME_LIMIT} "
                       f"characters, found {len(short.zh)} ({short.zh!r}); shorten it (the question stays in text)")
    scale_id = spec.get("scale")
    scale = None
    if item_type in _CHOICE_TYPES:
        if scale_id is None:
            reader.problem(join_path(path, "scale"), f"expected a scale id for a {item_type} item; found none; "
                           f"add one of {sorted(scales)}")
        elif not isinstance(scale_id, str) or scale_id not in scales:
            close = difflib.get_close_matches(str(scale_id), list(scales), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            reader.problem(join_path(path, "scale"), f"expected one of the scales {sorted(scales)}; "
                           f"found unknown scale {scale_id!r}{hint}")
        else:
            scale = scales[scale_id]
            if scale.multiple != (item_type == "multiple"):
                reader.problem(join_path(path, "scale"), f"expected a scale with multiple: {item_type == 'multiple'} "
                               f"for a {item_type} item; found scale '{scale_id}' with multiple: {scale.multiple}")
    elif item_type is not None and scale_id is not None:
        reader.problem(join_path(path, "scale"), f"expected no scale on a {item_type} item; found {scale_id!r}")
        scale_id = None
    if role in _RATED_ROLES and scale is not None:
        if item_type != "single":
            reader.problem(join_path(path, "type"),
                           f"expected a single-choice item for role '{role}'; found {item_type}")
        if not scale.satisfied_codes:
            reader.problem(join_path(path, "scale"), f"expected scale '{scale.id}' of a {role} item to have at least "
                           "one category with satisfied: true (the positive set of the rate); found none")
    correct = spec.get("correct_answer")
    if role in _ANSWER_KEY_ROLES:
        if correct is None:
            reader.problem(join_path(path, "correct_answer"), f"required key is missing for role '{role}'; "
                           "add the code of the correct answer")
        elif reader.integer(correct, join_path(path, "correct_answer")) is None:
            correct = None
        elif scale is not None and correct not in scale.codes:
            reader.problem(join_path(path, "correct_answer"), f"expected a code of scale '{scale.id}', one of "
                           f"{list(scale.codes)}; found {correct}")
    elif correct is not None and role is not None:
        reader.problem(join_path(path, "correct_answer"), f"expected no correct_answer on a '{role}' item "
                       f"(only on {list(_ANSWER_KEY_ROLES)}); found {correct!r}")
        correct = None
    conditions = []
    raw_conditions = spec.get("asked_if")
    if raw_conditions is not None:
        raw_conditions = reader.sequence(raw_conditions, join_path(path, "asked_if")) or []
        for index, raw in enumerate(raw_conditions):
            condition = _condition(raw, join_path(join_path(path, "asked_if"), index), str(item_id), earlier, positions,
                                   scales, reader)
            if condition is not None:
                conditions.append(condition)
    if item_id is None or text is None or item_type is None or role is None:
        return None
    return Item(item_id, text, item_type, scale_id if scale is not None else None, role, required,
                tuple(conditions), correct, note, short)


def _items(value: Any, scales: dict[str, Scale], reader: SpecReader) -> tuple[Item, ...]:
    raw_items = reader.sequence(value, "items")
    if raw_items is None:
        return ()
    positions: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            item_id = raw["id"]
            if item_id in positions:
                reader.problem(join_path(join_path("items", index), "id"), f"expected unique item ids; found "
                               f"'{item_id}' again (first at items[{positions[item_id]}])")
            else:
                positions[item_id] = index
    earlier: dict[str, Item] = {}
    for index, raw in enumerate(raw_items):
        reported = len(reader.problems)
        item = _item(raw, join_path("items", index), earlier, positions, scales, reader)
        if len(reader.problems) > reported and isinstance(raw, dict) and isinstance(raw.get("id"), str):
            reader.broken_items.add(raw["id"])
        if item is not None and item.id not in earlier:
            earlier[item.id] = item
    if earlier and not any(item.role == "overall" for item in earlier.values()):
        reader.problem("items", "expected one item with role 'overall' (the overall satisfaction question the "
                       "headline measure is usually built on); found none")
    return tuple(earlier.values())


# --------------------------------------------------------------------------- the file

def _modes(value: Any, reader: SpecReader) -> tuple[str, ...]:
    raw_modes = reader.sequence(value, "modes") or []
    modes = [reader.choice(raw, join_path("modes", index), MODES) for index, raw in enumerate(raw_modes)]
    modes = [mode for mode in modes if mode is not None]
    if len(set(modes)) != len(modes):
        reader.problem("modes", f"expected each mode once; found {modes}")
    return tuple(dict.fromkeys(modes))


def parse_questionnaire(document: Any, source_path: pathlib.Path) -> Questionnaire:
    """Build a :class:`Questionnaire` from a parsed YAML document, or raise with every problem found."""
    reader = SpecReader(source_path, what="questionnaire definition", error=QuestionnaireError,
                        schema="questionnaires/README.md")
    spec = reader.mapping(document, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    if spec is None:
        # Check what is there anyway so a file missing one key still gets the rest of its problems reported.
        spec = {key: document[key] for key in _TOP_REQUIRED + _TOP_OPTIONAL if key in document}
    questionnaire_id = reader.string(spec["id"], "id", identifier=True) if "id" in spec else None
    version = reader.string(spec["version"], "version") if "version" in spec else None
    title = reader.text(spec["title"], "title") if "title" in spec else None
    unit = reader.text(spec["unit"], "unit") if "unit" in spec else None
    population = reader.string(spec["population"], "population", identifier=True) if "population" in spec else None
    population_label = (reader.text(spec["population_label"], "population_label")
                        if spec.get("population_label") is not None else None)
    description = (reader.text(spec["description"], "description")
                   if spec.get("description") is not None else None)
    modes = _modes(spec["modes"], reader) if "modes" in spec else ()
    scales = _scales(spec["scales"], reader) if "scales" in spec else {}
    items = _items(spec["items"], scales, reader) if "items" in spec else ()
    items_by_id = {item.id: item for item in items}
    measures = read_measures(spec["measures"], items_by_id, scales, reader) if "measures" in spec else ()
    weighting = read_weighting(spec.get("weighting"), items_by_id, scales, reader)
    platforms = read_platforms(spec.get("platforms"), items_by_id, scales, reader)
    reader.fail()  # from here on every required value was read (else fail() raised)
    return Questionnaire(
        id=cast(str, questionnaire_id),
        version=cast(str, version),
        title=cast(Text, title),
        unit=cast(Text, unit),
        population=cast(str, population),
        population_label=population_label or Text(cast(str, population), cast(str, population)),
        modes=modes,
        scales=MappingProxyType(dict(scales)),
        items=items,
        measures=measures,
        weighting=weighting,
        platforms=MappingProxyType(dict(platforms)),
        source_path=source_path,
        description=description,
    )


def parse_questionnaire_file(path: pathlib.Path) -> Questionnaire:
    """Read ``path`` as UTF-8 YAML and build its :class:`Questionnaire` (see :func:`parse_questionnaire`)."""
    document = read_yaml(path, error=QuestionnaireError, what="questionnaire file")
    if not isinstance(document, dict):
        raise QuestionnaireError(f"{path}: expected a YAML mapping with keys {list(_TOP_REQUIRED)}; "
                                 f"found {describe(document)}")
    return parse_questionnaire(document, path)


def load_questionnaire(path: str | pathlib.Path) -> Questionnaire:
    """Read and check one questionnaire definition (UTF-8 YAML).

    Every problem in the file (unknown or missing keys, unknown scales, roles or types, duplicate
    ids or codes, skip logic naming later items, measures or mappings naming unknown items, a
    threshold outside (0, 1), ...) is collected and raised together as one
    :class:`~surveys.errors.QuestionnaireError` naming the file and each key path.
    """
    return parse_questionnaire_file(pathlib.Path(path))
