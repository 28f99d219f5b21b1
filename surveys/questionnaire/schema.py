"""Read a questionnaire YAML file, check it against the schema and build the frozen records.

The schema is documented in ``questionnaires/README.md``. Checking collects every problem of a file
(each as ``<key path>: expected ...; found ...``) and raises one
:class:`~surveys.errors.QuestionnaireError` that names the file and lists them all, so an analyst
fixes a file in one pass. Structural problems of a section (wrong type, missing or unknown keys)
are reported and that section is skipped; cross-reference checks (skip logic, measures, weighting,
platform mappings) run on whatever was built.
"""
from __future__ import annotations

import difflib
import pathlib
from types import MappingProxyType
from typing import Any

import yaml

from surveys.errors import QuestionnaireError
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

def _category(value: Any, path: str, problems: Problems) -> Category | None:
    spec = read_mapping(value, path, _CATEGORY_REQUIRED, _CATEGORY_OPTIONAL, problems)
    if spec is None:
        return None
    code = read_integer(spec["code"], join_path(path, "code"), problems)
    zh = read_string(spec["zh"], join_path(path, "zh"), problems)
    en = read_string(spec["en"], join_path(path, "en"), problems)
    satisfied = read_boolean(spec.get("satisfied"), join_path(path, "satisfied"), problems, False)
    dont_know = read_boolean(spec.get("dont_know"), join_path(path, "dont_know"), problems, False)
    score = spec.get("score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
            problems.add(join_path(path, "score"),
                         f"expected a number from 0 to 100 (or no score); found {describe(score)}")
            score = None
        else:
            score = float(score)
    if satisfied and dont_know:
        problems.add(path, "expected a category to be satisfied or don't-know, not both; found both set to true")
    if dont_know and score is not None:
        problems.add(join_path(path, "score"), "expected no score on a don't-know category (it never enters "
                     f"the index); found {score:g}; remove it")
    if code is None or zh is None or en is None:
        return None
    return Category(code, Text(zh, en), satisfied, dont_know, score)


def _scale(scale_id: str, value: Any, path: str, problems: Problems) -> Scale | None:
    spec = read_mapping(value, path, ("categories",), ("multiple",), problems)
    if spec is None:
        return None
    multiple = read_boolean(spec.get("multiple"), join_path(path, "multiple"), problems, False)
    raw_categories = read_list(spec["categories"], join_path(path, "categories"), problems)
    if raw_categories is None:
        return None
    categories = []
    seen_codes: dict[int, int] = {}
    seen_labels: dict[str, int] = {}
    for index, raw in enumerate(raw_categories):
        category_path = join_path(join_path(path, "categories"), index)
        category = _category(raw, category_path, problems)
        if category is None:
            continue
        if category.code in seen_codes:
            problems.add(join_path(category_path, "code"), f"expected codes unique within scale '{scale_id}'; "
                         f"found {category.code} again (first at categories[{seen_codes[category.code]}])")
            continue
        if category.label.zh in seen_labels:
            problems.add(join_path(category_path, "zh"), f"expected labels unique within scale '{scale_id}'; "
                         f"found {category.label.zh!r} again (first at categories[{seen_labels[category.label.zh]}])")
        seen_codes[category.code] = index
        seen_labels.setdefault(category.label.zh, index)
        categories.append(category)
    if not categories:
        return None
    return Scale(scale_id, tuple(categories), multiple)


def _scales(value: Any, problems: Problems) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    if not isinstance(value, dict) or not value:
        problems.add("scales", f"expected a mapping of scale id → scale; found {describe(value)}")
        return scales
    for scale_id, raw in value.items():
        path = join_path("scales", str(scale_id))
        if read_string(scale_id, path, problems, identifier=True) is None:
            continue
        scale = _scale(scale_id, raw, path, problems)
        if scale is not None:
            scales[scale_id] = scale
    return scales


# --------------------------------------------------------------------------- items

def _condition(value: Any, path: str, item_id: str, earlier: dict[str, Item], positions: dict[str, int],
               scales: dict[str, Scale], problems: Problems) -> Condition | None:
    if isinstance(value, dict) and ("in" in value) == ("not_in" in value):
        problems.add(path, "expected exactly one of 'in' (asked when the answer is one of these codes) or "
                     f"'not_in'; found {'both' if 'in' in value else 'neither'}")
        return None
    spec = read_mapping(value, path, ("item",), ("in", "not_in"), problems)
    if spec is None:
        return None
    negate = "not_in" in spec
    values_key = "not_in" if negate else "in"
    controlling = read_string(spec["item"], join_path(path, "item"), problems)
    raw_values = read_list(spec[values_key], join_path(path, values_key), problems)
    if controlling is None or raw_values is None:
        return None
    if controlling in problems.broken_items and (controlling not in earlier or earlier[controlling].scale is None):
        return None  # the controlling item's own problem is already reported
    if controlling not in earlier:
        if controlling == item_id:
            found = "the item itself"
        elif controlling in positions:
            found = f"'{controlling}', which is items[{positions[controlling]}], after this item"
        else:
            found = f"'{controlling}', which is not an item of this questionnaire"
        problems.add(join_path(path, "item"), f"expected the id of an earlier item; found {found}; "
                     "skip logic can only depend on questions already answered")
        return None
    values_path = join_path(path, values_key)
    codes = [read_integer(raw, join_path(values_path, index), problems) for index, raw in enumerate(raw_values)]
    if any(code is None for code in codes):
        return None
    source = earlier[controlling]
    if source.scale is None:
        problems.add(join_path(path, "item"), f"expected a choice item (single or multiple) to branch on; "
                     f"found '{controlling}' of type {source.type}")
        return None
    if source.scale in scales:
        allowed = scales[source.scale].codes
        for index, code in enumerate(codes):
            if code not in allowed:
                problems.add(join_path(values_path, index), f"expected a code of scale '{source.scale}' "
                             f"(item '{controlling}'), one of {list(allowed)}; found {code}")
    return Condition(controlling, tuple(codes), negate)


def _item(value: Any, path: str, earlier: dict[str, Item], positions: dict[str, int],
          scales: dict[str, Scale], problems: Problems) -> Item | None:
    spec = read_mapping(value, path, _ITEM_REQUIRED, _ITEM_OPTIONAL, problems)
    if spec is None:
        return None
    item_id = read_string(spec["id"], join_path(path, "id"), problems, identifier=True)
    text = read_text(spec["text"], join_path(path, "text"), problems)
    item_type = read_choice(spec["type"], join_path(path, "type"), ITEM_TYPES, problems)
    role = read_choice(spec["role"], join_path(path, "role"), ITEM_ROLES, problems)
    required = read_boolean(spec.get("required"), join_path(path, "required"), problems, True)
    note = read_text(spec["note"], join_path(path, "note"), problems) if "note" in spec else None
    short = read_text(spec["short"], join_path(path, "short"), problems) if "short" in spec else None
    if short is not None and len(short.zh) > SHORT_ITEM_NAME_LIMIT:
        problems.add(join_path(path, "short"), f"expected a short name of at most {SHORT_ITEM_NAME_LIMIT} characters; "
                     f"found {len(short.zh)} ({short.zh!r}); shorten it (the question stays in text)")
    scale_id = spec.get("scale")
    scale = None
    if item_type in _CHOICE_TYPES:
        if scale_id is None:
            problems.add(join_path(path, "scale"), f"expected a scale id for a {item_type} item; found none; "
                         f"add one of {sorted(scales)}")
        elif not isinstance(scale_id, str) or scale_id not in scales:
            close = difflib.get_close_matches(str(scale_id), list(scales), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.add(join_path(path, "scale"), f"expected one of the scales {sorted(scales)}; "
                         f"found unknown scale {scale_id!r}{hint}")
        else:
            scale = scales[scale_id]
            if scale.multiple != (item_type == "multiple"):
                problems.add(join_path(path, "scale"), f"expected a scale with multiple: {item_type == 'multiple'} "
                             f"for a {item_type} item; found scale '{scale_id}' with multiple: {scale.multiple}")
    elif item_type is not None and scale_id is not None:
        problems.add(join_path(path, "scale"), f"expected no scale on a {item_type} item; found {scale_id!r}")
        scale_id = None
    if role in _RATED_ROLES and scale is not None:
        if item_type != "single":
            problems.add(join_path(path, "type"), f"expected a single-choice item for role '{role}'; found {item_type}")
        if not scale.satisfied_codes:
            problems.add(join_path(path, "scale"), f"expected scale '{scale.id}' of a {role} item to have at least one "
                         "category with satisfied: true (the positive set of the rate); found none")
    correct = spec.get("correct_answer")
    if role in _ANSWER_KEY_ROLES:
        if correct is None:
            problems.add(join_path(path, "correct_answer"), f"required key is missing for role '{role}'; "
                         "add the code of the correct answer")
        elif read_integer(correct, join_path(path, "correct_answer"), problems) is None:
            correct = None
        elif scale is not None and correct not in scale.codes:
            problems.add(join_path(path, "correct_answer"), f"expected a code of scale '{scale.id}', one of "
                         f"{list(scale.codes)}; found {correct}")
    elif correct is not None and role is not None:
        problems.add(join_path(path, "correct_answer"), f"expected no correct_answer on a '{role}' item "
                     f"(only on {list(_ANSWER_KEY_ROLES)}); found {correct!r}")
        correct = None
    conditions = []
    raw_conditions = spec.get("asked_if")
    if raw_conditions is not None:
        raw_conditions = read_list(raw_conditions, join_path(path, "asked_if"), problems) or []
        for index, raw in enumerate(raw_conditions):
            condition = _condition(raw, join_path(join_path(path, "asked_if"), index), str(item_id), earlier, positions,
                                   scales, problems)
            if condition is not None:
                conditions.append(condition)
    if None in (item_id, text, item_type, role):
        return None
    return Item(item_id, text, item_type, scale_id if scale is not None else None, role, required,
                tuple(conditions), correct, note, short)


def _items(value: Any, scales: dict[str, Scale], problems: Problems) -> tuple[Item, ...]:
    raw_items = read_list(value, "items", problems)
    if raw_items is None:
        return ()
    positions: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            item_id = raw["id"]
            if item_id in positions:
                problems.add(join_path(join_path("items", index), "id"), f"expected unique item ids; found '{item_id}' "
                             f"again (first at items[{positions[item_id]}])")
            else:
                positions[item_id] = index
    earlier: dict[str, Item] = {}
    for index, raw in enumerate(raw_items):
        reported = len(problems.messages)
        item = _item(raw, join_path("items", index), earlier, positions, scales, problems)
        if len(problems.messages) > reported and isinstance(raw, dict) and isinstance(raw.get("id"), str):
            problems.broken_items.add(raw["id"])
        if item is not None and item.id not in earlier:
            earlier[item.id] = item
    if earlier and not any(item.role == "overall" for item in earlier.values()):
        problems.add("items", "expected one item with role 'overall' (the overall satisfaction question the "
                     "headline measure is usually built on); found none")
    return tuple(earlier.values())


# --------------------------------------------------------------------------- the file

class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error.

    Plain PyYAML keeps the last of two equal keys, which would silently drop an item's column or
    a whole scale defined twice.
    """


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    first_lines: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in first_lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {key!r} (first at line {first_lines[key]}); keep one of them",
                    key_node.start_mark)
            first_lines[key] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key: let the ordinary constructor report it
            break
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _modes(value: Any, problems: Problems) -> tuple[str, ...]:
    raw_modes = read_list(value, "modes", problems) or []
    modes = [read_choice(raw, join_path("modes", index), MODES, problems) for index, raw in enumerate(raw_modes)]
    modes = [mode for mode in modes if mode is not None]
    if len(set(modes)) != len(modes):
        problems.add("modes", f"expected each mode once; found {modes}")
    return tuple(dict.fromkeys(modes))


def parse_questionnaire(document: Any, source_path: pathlib.Path) -> Questionnaire:
    """Build a :class:`Questionnaire` from a parsed YAML document, or raise with every problem found."""
    problems = Problems()
    spec = read_mapping(document, "", _TOP_REQUIRED, _TOP_OPTIONAL, problems)
    if spec is None:
        # Check what is there anyway so a file missing one key still gets the rest of its problems reported.
        spec = {key: document.get(key) for key in _TOP_REQUIRED + _TOP_OPTIONAL} if isinstance(document, dict) else {}
    questionnaire_id = read_string(spec.get("id"), "id", problems, identifier=True) if "id" in spec else None
    version = read_string(spec.get("version"), "version", problems) if spec.get("version") is not None else None
    title = read_text(spec.get("title"), "title", problems) if spec.get("title") is not None else None
    unit = read_text(spec.get("unit"), "unit", problems) if spec.get("unit") is not None else None
    population = (read_string(spec.get("population"), "population", problems, identifier=True)
                  if spec.get("population") is not None else None)
    population_label = (read_text(spec["population_label"], "population_label", problems)
                        if spec.get("population_label") is not None else None)
    description = (read_text(spec["description"], "description", problems)
                   if spec.get("description") is not None else None)
    modes = _modes(spec["modes"], problems) if spec.get("modes") is not None else ()
    scales = _scales(spec["scales"], problems) if spec.get("scales") is not None else {}
    items = _items(spec["items"], scales, problems) if spec.get("items") is not None else ()
    items_by_id = {item.id: item for item in items}
    measures = (read_measures(spec["measures"], items_by_id, scales, problems)
                if spec.get("measures") is not None else ())
    weighting = read_weighting(spec.get("weighting"), items_by_id, scales, problems)
    platforms = read_platforms(spec.get("platforms"), items_by_id, scales, problems)
    if problems.messages:
        count = len(problems.messages)
        listing = "\n".join(f"  - {message}" for message in problems.messages)
        raise QuestionnaireError(f"{source_path}: {count} problem{'s' if count > 1 else ''} in the questionnaire "
                                 f"definition; fix them and check again "
                                 f"(schema: questionnaires/README.md):\n{listing}")
    return Questionnaire(
        id=questionnaire_id,
        version=version,
        title=title,
        unit=unit,
        population=population,
        population_label=population_label or Text(population, population),
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
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise QuestionnaireError(f"{path}: cannot read the questionnaire file ({error.strerror or error}); "
                                 "check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise QuestionnaireError(
            f"{path}: expected a UTF-8 text file; found a byte that is not UTF-8 at offset {error.start} "
            "(saved as GBK/GB18030?); re-save the file as UTF-8"
        ) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(
            f"{path}: expected valid YAML; found a problem{where}: {problem} (inside {{...}} a text containing "
            "',', ':', '?' or '#' needs quotes)") from None
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
