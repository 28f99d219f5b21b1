"""Questionnaire definitions: the frozen model of one instrument and its loader.

A questionnaire (``questionnaires/<id>.yaml``, schema in ``questionnaires/README.md``) says what was
asked, on which scales, which answers count as satisfied (the positive set of the 满意率), which are
"don't know", which score each category carries for the 0–100 满意度 index, the skip logic, the
indicator's measures and target, the weighting variables, and how each platform's export columns
and option labels map onto item ids and codes.

Everything here is data: no item id, district name or threshold lives in code. Reading and checking
the YAML is in :mod:`surveys.questionnaire.schema`; this module holds the records every other stage
uses. All records are frozen and hold tuples or read-only mappings.
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from surveys.errors import QuestionnaireError
from surveys.wording import Text  # the zh/en text type, here where labels are defined

__all__ = [
    "Text",
    "Category",
    "Scale",
    "Condition",
    "Item",
    "Target",
    "Measure",
    "WeightingCategory",
    "WeightingVariable",
    "PlatformMapping",
    "Questionnaire",
    "ITEM_TYPES",
    "ITEM_ROLES",
    "MEASURE_KINDS",
    "MEASURE_BASES",
    "TARGET_COMPARISONS",
    "PLATFORMS",
    "MODES",
]

ITEM_TYPES = ("single", "multiple", "text", "number")
# "knowledge" (a quiz item scored against ``correct_answer``) and "classification" (a property of the
# unit that is not an opinion, e.g. a proposal's A–D result class) extend the roles of issue 2.
ITEM_ROLES = (
    "satisfaction",
    "overall",
    "demographic",
    "attention_check",
    "screener",
    "free_text",
    "identifier",
    "knowledge",
    "classification",
)
# "correct_rate" (share of knowledge answers equal to the item's correct answer) extends issue 2.
MEASURE_KINDS = ("rate", "composite_rate", "index", "correct_rate")
MEASURE_BASES = ("all", "exclude_dont_know")
TARGET_COMPARISONS = (">=", ">")
PLATFORMS = ("wjx", "tencent", "paper")
MODES = ("paper", "online")

Answer = Any  # an int code, None (not answered / not asked) or a collection of codes (multiple choice)


def _frozen_mapping(pairs: Mapping[Any, Any] | Iterable[tuple[Any, Any]]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(pairs))


@dataclass(frozen=True)
class Category:
    """One answer category of a scale.

    ``satisfied``: counts toward the 满意率 numerator (the positive set). ``dont_know``: a 不了解 /
    不适用 answer; never satisfied, carries no score, kept in the base unless a measure says
    ``base: exclude_dont_know``. ``score``: the 0–100 value used by ``index`` measures.
    """

    code: int
    label: Text
    satisfied: bool = False
    dont_know: bool = False
    score: float | None = None


@dataclass(frozen=True)
class Scale:
    """An ordered list of answer categories; ``multiple`` scales allow several answers."""

    id: str
    categories: tuple[Category, ...]
    multiple: bool = False

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(category.code for category in self.categories)

    @property
    def satisfied_codes(self) -> tuple[int, ...]:
        return tuple(category.code for category in self.categories if category.satisfied)

    @property
    def dont_know_codes(self) -> tuple[int, ...]:
        return tuple(category.code for category in self.categories if category.dont_know)

    @property
    def scores(self) -> Mapping[int, float]:
        """Code → score for the categories that carry one."""
        return _frozen_mapping((c.code, c.score) for c in self.categories if c.score is not None)

    def category(self, code: int) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise QuestionnaireError(
            f"scale '{self.id}' has no category with code {code!r}; its codes are {list(self.codes)}"
        )

    def label(self, code: int, lang: str = "zh") -> str:
        return self.category(code).label.get(lang)

    def code_of(self, label: str) -> int:
        """The code whose Chinese or English label is ``label`` (surrounding spaces ignored)."""
        wanted = label.strip()
        for category in self.categories:
            if wanted in (category.label.zh, category.label.en):
                return category.code
        raise QuestionnaireError(
            f"scale '{self.id}' has no category labelled {label!r}; "
            f"its labels are {[c.label.zh for c in self.categories]}"
        )


@dataclass(frozen=True)
class Condition:
    """Skip logic: the item is asked when the answer to ``item`` is in ``values`` (not in, if ``negate``).

    An unanswered controlling item (``None``) never satisfies a condition, negated or not: a
    follow-up whose trigger was not answered was not asked. For a multiple-choice answer (a
    collection of codes) the condition is "any chosen code is in ``values``".
    """

    item: str
    values: tuple[int, ...]
    negate: bool = False

    def holds(self, answer: Answer) -> bool:
        if answer is None:
            return False
        if isinstance(answer, (list, tuple, set, frozenset)):
            if not answer:
                return False
            matched = any(code in self.values for code in answer)
        else:
            matched = answer in self.values
        return matched != self.negate


@dataclass(frozen=True)
class Item:
    """One question. ``scale`` names a scale for ``single``/``multiple`` items and is None otherwise.

    ``asked_if`` conditions are all required (AND) and name earlier items only. ``correct_answer``
    is the expected code of an ``attention_check`` or ``knowledge`` item.
    """

    id: str
    text: Text
    type: str
    scale: str | None
    role: str
    required: bool = True
    asked_if: tuple[Condition, ...] = ()
    correct_answer: int | None = None
    note: Text | None = None
    short: Text | None = None  # a short name (减负, 村务公开) for tables and charts; the question stays in ``text``

    @property
    def name(self) -> Text:
        """The item's short name, or its question text when it has none."""
        return self.short if self.short is not None else self.text

    def is_asked(self, answers: Mapping[str, Answer]) -> bool:
        """Whether skip logic shows this item, given earlier answers (item id → answer)."""
        return all(condition.holds(answers.get(condition.item)) for condition in self.asked_if)


@dataclass(frozen=True)
class Target:
    """An indicator target: ``estimate <comparison> threshold`` judged by the verdict ``rule``.

    ``threshold`` is a share in (0, 1). ``rule`` names a verdict rule of the targets stage, e.g.
    ``ci_lower_bound`` (met only when the lower confidence bound clears the threshold).
    """

    threshold: float
    comparison: str = ">="
    rule: str = "ci_lower_bound"


@dataclass(frozen=True)
class Measure:
    """An indicator computed from items.

    ``rate``: share of answers in the positive set of one item's scale. ``composite_rate``: the
    mean of the items' rates (equal weights). ``index``: mean category score (0–100) over the
    items' answers. ``correct_rate``: share of ``knowledge`` answers equal to the item's correct
    answer. ``base`` says whether don't-know answers stay in the denominator ("all", the default)
    or are dropped ("exclude_dont_know"); not-asked items are never in the base.
    ``satisfied_codes`` overrides the scale's positive set (e.g. a strict rate without 基本满意).
    """

    id: str
    kind: str
    items: tuple[str, ...]
    label: Text
    headline: bool = False
    target: Target | None = None
    base: str = "all"
    satisfied_codes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class WeightingCategory:
    """A category of a weighting variable; ``key`` is the frame's value when it is not a code (mode)."""

    code: int
    label: Text
    key: str | None = None


@dataclass(frozen=True)
class WeightingVariable:
    """A variable the sample is weighted on. ``item`` is None when the value comes from the frame."""

    id: str
    item: str | None
    label: Text
    categories: tuple[WeightingCategory, ...]

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(category.code for category in self.categories)


@dataclass(frozen=True)
class PlatformMapping:
    """How one platform's export feeds the items.

    ``columns``: item id → the platform's column key (问卷星 question number such as "3" for header
    "3、…"; 腾讯问卷 question id such as "Q3"; the paper workbook's column header).
    ``value_maps``: item id → {option text as the platform writes it → scale code}. The entries are
    in the platform's option order, so for 问卷星 按选项序号 exports option position ``p`` (1-based)
    is the ``p``-th entry. Items without a value map use the scale's labels in scale order.
    """

    platform: str
    columns: Mapping[str, str]
    value_maps: Mapping[str, Mapping[str, int]] = field(default_factory=lambda: MappingProxyType({}))

    def column(self, item_id: str) -> str | None:
        return self.columns.get(item_id)

    def item_for_column(self, column_key: str) -> str | None:
        for item_id, key in self.columns.items():
            if key == column_key:
                return item_id
        return None


@dataclass(frozen=True)
class Questionnaire:
    """One instrument, as loaded and checked by :func:`load_questionnaire`."""

    id: str
    version: str
    title: Text
    unit: Text
    population: str
    population_label: Text
    modes: tuple[str, ...]
    scales: Mapping[str, Scale]
    items: tuple[Item, ...]
    measures: tuple[Measure, ...]
    weighting: tuple[WeightingVariable, ...]
    platforms: Mapping[str, PlatformMapping]
    source_path: pathlib.Path
    description: Text | None = None

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise QuestionnaireError(
            f"questionnaire '{self.id}' has no item '{item_id}'; its items are {[i.id for i in self.items]}"
        )

    def has_item(self, item_id: str) -> bool:
        return any(item.id == item_id for item in self.items)

    def scale_of(self, item_id: str) -> Scale | None:
        scale_id = self.item(item_id).scale
        return None if scale_id is None else self.scales[scale_id]

    def items_with_role(self, role: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.role == role)

    @property
    def headline(self) -> Measure:
        for measure in self.measures:
            if measure.headline:
                return measure
        raise QuestionnaireError(f"questionnaire '{self.id}' has no headline measure")  # loader forbids it

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise QuestionnaireError(
            f"questionnaire '{self.id}' has no measure '{measure_id}'; "
            f"its measures are {[m.id for m in self.measures]}"
        )

    def weighting_variable(self, variable_id: str) -> WeightingVariable:
        for variable in self.weighting:
            if variable.id == variable_id:
                return variable
        raise QuestionnaireError(
            f"questionnaire '{self.id}' has no weighting variable '{variable_id}'; "
            f"its variables are {[v.id for v in self.weighting]}"
        )

    def platform(self, name: str) -> PlatformMapping:
        if name not in self.platforms:
            raise QuestionnaireError(
                f"questionnaire '{self.id}' has no '{name}' platform mapping; "
                f"it maps {sorted(self.platforms)}; add a platforms.{name} section to {self.source_path.name}"
            )
        return self.platforms[name]

    def platform_options(self, platform: str, item_id: str) -> tuple[tuple[str, int], ...]:
        """(option text, code) pairs of a choice item in the platform's option order.

        Position ``p`` (1-based) of a 问卷星 按选项序号 export is entry ``p - 1``. Without a value map
        the options are the scale's Chinese labels in scale order.
        """
        mapping = self.platform(platform)
        value_map = mapping.value_maps.get(item_id)
        if value_map is not None:
            return tuple(value_map.items())
        scale = self.scale_of(item_id)
        if scale is None:
            return ()
        return tuple((category.label.zh, category.code) for category in scale.categories)

    def position_code(self, platform: str, item_id: str, position: int) -> int:
        """The scale code of the option at 1-based ``position`` on ``platform``."""
        options = self.platform_options(platform, item_id)
        if not 1 <= position <= len(options):
            raise QuestionnaireError(
                f"item '{item_id}' has {len(options)} options on {platform}; position {position} does not exist"
            )
        return options[position - 1][1]
