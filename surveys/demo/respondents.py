"""Sampling respondents from the demo city and answering a questionnaire for each of them.

The generator is driven by the questionnaire: it walks ``questionnaire.items`` in order, applies the
skip logic (``Item.is_asked``), fills weighting-variable items from the respondent's population
cell, latent opinion and knowledge items from :mod:`surveys.demo.model`, and every other item by its
role and type. Which respondent lands in which mode follows the scenario's online skew.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd

from surveys.demo import scenario
from surveys.demo.model import InstrumentModel

__all__ = ["NOT_ASKED", "Respondent", "Frame", "resident_frame", "market_frame", "sample_cells",
           "answer_questionnaire", "visible_answers", "synthetic_name", "synthetic_phone"]


class _NotAsked:
    """The answer of an item hidden by skip logic (问卷星 ``(跳过)`` / ``-3``)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_ASKED"

    def __reduce__(self):
        return (_NotAsked, ())


NOT_ASKED = _NotAsked()


@dataclass(frozen=True)
class Respondent:
    """One completed questionnaire as the respondent gave it (before any export flaw).

    ``answers`` maps every item id to a code, a tuple of codes (multiple choice), a string, a number,
    ``None`` (shown but not answered) or :data:`NOT_ASKED`. ``profile`` holds the weighting-variable
    codes of the respondent's population cell.
    """

    respondent_id: str
    questionnaire_id: str
    mode: str
    frame: str
    profile: Mapping[str, int]
    answers: Mapping[str, Any]
    name: str = ""
    phone: str = ""
    notes: Mapping[str, Any] = field(default_factory=dict)

    def with_answers(self, changes: Mapping[str, Any], **notes) -> "Respondent":
        answers = dict(self.answers)
        answers.update(changes)
        return replace(self, answers=MappingProxyType(answers), notes=MappingProxyType({**self.notes, **notes}))


@dataclass(frozen=True)
class Frame:
    """A sampling frame: population cells with their profile codes, size and latent effect."""

    name: str
    cells: pd.DataFrame      # weighting-variable columns + population + urban
    effects: np.ndarray      # latent mean shift per cell

    @property
    def populations(self) -> np.ndarray:
        return self.cells["population"].to_numpy(dtype=float)


def _district_effects(cells: pd.DataFrame, planted: scenario.PlantedEffects) -> np.ndarray:
    """Each cell's planted district shift (0 for a district the scenario leaves alone)."""
    return cells["district"].map(lambda code: planted.district.get(int(code), 0.0)).to_numpy(dtype=float)


def resident_frame(residents: pd.DataFrame, model: scenario.SatisfactionModel,
                   planted: scenario.PlantedEffects = scenario.NO_EFFECTS) -> Frame:
    cells = residents[["district", "sex", "age_group", "urban", "population"]].reset_index(drop=True)
    age_effect = np.asarray(model.age_effect)[cells["age_group"].to_numpy() - 1]
    effects = age_effect + model.urban_effect * cells["urban"].to_numpy(dtype=float)
    if planted.district:
        effects = effects + _district_effects(cells, planted)
    return Frame("residents", cells, effects)


def market_frame(enterprises: pd.DataFrame, model: scenario.SatisfactionModel,
                 planted: scenario.PlantedEffects = scenario.NO_EFFECTS) -> Frame:
    urban = {district.code: district.urban for district in scenario.DISTRICTS}
    cells = enterprises.rename(columns={"entities": "population"})[
        ["district", "respondent_type", "enterprise_size", "population"]]
    cells = cells.assign(urban=cells["district"].map(urban)).reset_index(drop=True)
    effects = model.market_effect + model.urban_effect * cells["urban"].to_numpy(dtype=float)
    if planted.district:
        effects = effects + _district_effects(cells, planted)
    return Frame("market", cells, effects)


def sample_cells(rng: np.random.Generator, frame: Frame, size: int, mode: str) -> np.ndarray:
    """Indices of ``size`` sampled cells: proportional to population, tilted by the mode's skew.

    Market entities are first allotted to respondent types by ``MARKET_ENTITY_MIX`` (an over-sample of
    enterprises), then drawn in proportion to population within their type.
    """
    if size <= 0:
        return np.zeros(0, dtype=int)
    propensity = frame.populations.copy()
    skew = scenario.ONLINE_SKEW
    urban = frame.cells["urban"].to_numpy(dtype=bool)
    if "age_group" in frame.cells:
        ages = frame.cells["age_group"].to_numpy() - 1
        propensity *= np.asarray(skew.by_age if mode == "online" else skew.paper_by_age)[ages]
    if mode == "online":
        propensity *= np.where(urban, skew.urban, skew.county)
    if "respondent_type" in frame.cells:
        types = frame.cells["respondent_type"].to_numpy()
        for respondent_type in np.unique(types):
            chosen = types == respondent_type
            share = scenario.MARKET_ENTITY_MIX.get(int(respondent_type), 0.0)
            propensity[chosen] *= share / propensity[chosen].sum()
    return rng.choice(len(propensity), size=size, p=propensity / propensity.sum())


def visible_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as skip logic sees them: not-asked items count as unanswered."""
    return {key: (None if value is NOT_ASKED else value) for key, value in answers.items()}


def synthetic_name(rng: np.random.Generator) -> str:
    return str(rng.choice(scenario.SURNAMES)) + str(rng.choice(scenario.GIVEN_NAMES))


def synthetic_phone(rng: np.random.Generator) -> str:
    # 1xx numbers that are not allocated prefixes' real subscribers: the 1xx pattern, random digits.
    prefix = str(rng.choice(["139", "138", "135", "186", "187", "158", "177", "199"]))
    return prefix + "".join(str(d) for d in rng.integers(0, 10, size=8))


def _latent_answer(item_model, rng: np.random.Generator, mean: float, person: float, person_share: float,
                   own_parts: dict[str, float]) -> int:
    """The item's code; its own part of the latent noise is kept in ``own_parts`` for an overall item that
    follows it (:attr:`surveys.demo.model.ItemModel.loadings`)."""
    own = rng.normal(0.0, np.sqrt((1.0 - person_share) * item_model.own_share))
    own_parts[item_model.item_id] = own
    followed = sum(loading * own_parts[item_id] for item_id, loading in item_model.loadings)
    return item_model.code_for(mean + person + followed + own, rng.random())


def _free_answer(questionnaire, item, rng: np.random.Generator) -> Any:
    if item.type == "text":
        if item.role == "identifier":
            return synthetic_phone(rng)
        if item.required or rng.random() < scenario.COMMENT_SHARE:
            return str(rng.choice(scenario.COMMENTS))
        return None
    if item.type == "number":
        low, high = scenario.NUMBER_RANGES.get(item.id, scenario.NUMBER_RANGES["default"])
        return int(rng.integers(low, high + 1))
    scale = questionnaire.scales[item.scale]
    substantive = [c.code for c in scale.categories if not c.dont_know] or list(scale.codes)
    if item.type == "multiple":
        count = int(min(len(substantive), rng.integers(1, 4)))
        return tuple(sorted(int(c) for c in rng.choice(substantive, size=count, replace=False)))
    if item.role in ("screener", "attention_check") and item.correct_answer is not None:
        return item.correct_answer
    return int(rng.choice(substantive))


def answer_questionnaire(questionnaire, instrument: InstrumentModel, frame: Frame, cell: int, profile: Mapping[str, int],
                         rng: np.random.Generator, model: scenario.SatisfactionModel,
                         overrides: Mapping[str, Mapping[int, float]], mode_shift: float = 0.0) -> dict[str, Any]:
    """Every item's answer for one respondent of ``frame`` cell ``cell``.

    ``overrides`` gives, for scenario-chosen items (e.g. a screener or a respondent-type branch),
    the distribution of codes to draw instead of the generic rule. ``mode_shift`` moves every latent mean
    (the planted effect of the respondent's survey mode, :attr:`surveys.demo.scenario.PlantedEffects.online`).
    """
    item_of_variable = {v.item: v.id for v in questionnaire.weighting if v.item is not None}
    person = rng.normal(0.0, np.sqrt(model.person_share))
    mean_shift = float(frame.effects[cell]) + mode_shift
    followed = {item_id for item in instrument.items.values() for item_id, _ in item.loadings}
    own_parts: dict[str, float] = {}
    answers: dict[str, Any] = {}
    for item in questionnaire.items:
        if not item.is_asked(visible_answers(answers)):
            answers[item.id] = NOT_ASKED
            if item.id in followed:  # not asked, but the person still has a view the overall answer follows
                own_parts[item.id] = rng.normal(0.0, np.sqrt(1.0 - model.person_share))
            continue
        variable = item_of_variable.get(item.id)
        if variable is not None and variable in profile:
            answers[item.id] = int(profile[variable])
        elif item.id in overrides:
            codes, weights = zip(*overrides[item.id].items())
            answers[item.id] = int(rng.choice(codes, p=np.asarray(weights) / sum(weights)))
        elif item.id in instrument.items:
            item_model = instrument.items[item.id]
            answers[item.id] = _latent_answer(item_model, rng, item_model.alpha + mean_shift, person, model.person_share,
                                              own_parts)
        else:
            answers[item.id] = _free_answer(questionnaire, item, rng)
        if (not item.required and answers[item.id] is not None and item.role not in ("identifier",)
                and rng.random() < scenario.FLAW_RATES.blank_optional):
            answers[item.id] = None
    return answers
