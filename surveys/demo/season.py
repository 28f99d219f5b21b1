"""Fielding one instrument: calibrate its answer model, sample respondents per mode, answer it.

Resident respondents come from the resident frame (district × sex × age group); for an instrument
whose scenario frame is ``residents+market`` a share of each mode comes from the enterprise frame
(district × size) with a respondent type drawn from ``MARKET_ENTITY_MIX``. The online sample is
tilted young and urban (``ONLINE_SKEW``); the paper sample is close to proportional. The instrument's
:class:`~surveys.demo.scenario.PlantedEffects` shift the districts' cells and the online answers.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from surveys.demo import scenario
from surveys.demo.city import CityPopulation
from surveys.demo.model import InstrumentModel, build_instrument_model
from surveys.demo.respondents import (
    Frame,
    Respondent,
    answer_questionnaire,
    market_frame,
    resident_frame,
    sample_cells,
    synthetic_name,
    synthetic_phone,
)

__all__ = ["FieldedInstrument", "field_instrument", "instrument_rng", "sample_sizes"]


@dataclass(frozen=True)
class FieldedInstrument:
    """One instrument's respondents by mode, with the model that answered for them."""

    questionnaire: object
    plan: scenario.InstrumentPlan
    model: InstrumentModel
    online: tuple[Respondent, ...]
    paper: tuple[Respondent, ...]
    sizes: Mapping[str, int]


def instrument_rng(seed: int, instrument_id: str, stream: str = "") -> np.random.Generator:
    """An independent random stream per instrument (and purpose), stable across runs and platforms."""
    return np.random.default_rng([int(seed), zlib.crc32(f"{instrument_id}/{stream}".encode())])


def sample_sizes(plan: scenario.InstrumentPlan, sample_scale: float) -> dict[str, int]:
    """Completed interviews per mode and frame, scaled for quick runs (at least a handful each)."""
    def scaled(count: int) -> int:
        return 0 if count == 0 else max(8, int(round(count * sample_scale)))

    market_online, market_paper = scaled(plan.market_online), scaled(plan.market_paper)
    return {
        "online_residents": scaled(plan.online) - market_online if plan.online else 0,
        "online_market": market_online,
        "paper_residents": scaled(plan.paper) - market_paper if plan.paper else 0,
        "paper_market": market_paper,
    }


def _mode_code(questionnaire, mode: str) -> dict[str, int]:
    for variable in questionnaire.weighting:
        if variable.item is None:
            for category in variable.categories:
                if category.key == mode:
                    return {variable.id: category.code}
    return {}


def _resident_profile(frame: Frame, cell: int) -> dict[str, int]:
    row = frame.cells.iloc[cell]
    return {"district": int(row["district"]), "sex": int(row["sex"]), "age_group": int(row["age_group"]),
            "respondent_type": 1}


def _market_profile(frame: Frame, cell: int, rng: np.random.Generator) -> dict[str, int]:
    row = frame.cells.iloc[cell]
    # the person answering for a market entity: a manager or owner, mostly of working age
    return {"district": int(row["district"]), "enterprise_size": int(row["enterprise_size"]),
            "respondent_type": int(row["respondent_type"]), "sex": int(rng.choice([1, 2], p=[0.62, 0.38])),
            "age_group": int(rng.choice([1, 2, 3, 4, 5], p=[0.12, 0.33, 0.32, 0.18, 0.05]))}


def _in_mode_mix(frame: Frame, plan: scenario.InstrumentPlan) -> tuple[np.ndarray, np.ndarray]:
    """(cell effects, cell populations) the truth is computed over: the frame's cells, or — with a planted mode
    effect — each cell twice, answering online (shifted) and on paper, weighted by the instrument's planned share of
    online interviews in the frame (the population's answer in the survey's mix of modes)."""
    online, paper = ((plan.market_online, plan.market_paper) if frame.name == "market"
                     else (plan.online - plan.market_online, plan.paper - plan.market_paper))
    if not plan.effects.online or not online or not paper:
        return frame.effects, frame.populations
    share = online / (online + paper)
    return (np.concatenate([frame.effects + plan.effects.online, frame.effects]),
            np.concatenate([share * frame.populations, (1.0 - share) * frame.populations]))


def field_instrument(questionnaire, plan: scenario.InstrumentPlan, city: CityPopulation, seed: int,
                     sample_scale: float = 1.0) -> FieldedInstrument:
    model_parameters = scenario.SATISFACTION_MODEL
    frames = {"residents": resident_frame(city.residents, model_parameters, plan.effects)}
    if "market" in plan.frame:
        frames["market"] = market_frame(city.enterprises, model_parameters, plan.effects)
    truth_frames = {name: _in_mode_mix(frame, plan) for name, frame in frames.items()}
    if len(frames) > 1:
        # the pooled population: every resident and every market entity counted once
        truth_frames["all"] = (np.concatenate([effects for effects, _ in truth_frames.values()]),
                               np.concatenate([populations for _, populations in truth_frames.values()]))
    model = build_instrument_model(questionnaire, plan, model_parameters, truth_frames,
                                   calibration_frame="all" if len(frames) > 1 else "residents")
    sizes = sample_sizes(plan, sample_scale)
    overrides = scenario.ITEM_OVERRIDES.get(questionnaire.id, {})
    variable_ids = {variable.id for variable in questionnaire.weighting}
    by_mode: dict[str, list[Respondent]] = {"online": [], "paper": []}
    for mode in ("online", "paper"):
        rng = instrument_rng(seed, questionnaire.id, mode)
        for frame_name in ("residents", "market"):
            count = sizes[f"{mode}_{frame_name}"]
            if count == 0:
                continue
            frame = frames[frame_name]
            for number, cell in enumerate(sample_cells(rng, frame, count, mode)):
                # each respondent answers from its own stream, so a change in how one respondent's
                # answers are drawn does not reshuffle everyone after it
                person_rng = np.random.default_rng([int(seed), zlib.crc32(f"{questionnaire.id}/{mode}/{frame_name}".encode()),
                                                    number])
                profile = (_resident_profile(frame, cell) if frame_name == "residents"
                           else _market_profile(frame, cell, person_rng))
                profile = {key: value for key, value in profile.items() if key in variable_ids}
                profile.update(_mode_code(questionnaire, mode))
                answers = answer_questionnaire(questionnaire, model, frame, int(cell), profile, person_rng,
                                               model_parameters, overrides.get(frame_name, {}),
                                               mode_shift=plan.effects.online if mode == "online" else 0.0)
                index = len(by_mode[mode]) + 1
                by_mode[mode].append(Respondent(
                    respondent_id=f"{questionnaire.id}/{mode}/{index:04d}", questionnaire_id=questionnaire.id,
                    mode=mode, frame=frame_name, profile=MappingProxyType(profile),
                    answers=MappingProxyType(answers), name=synthetic_name(person_rng),
                    phone=synthetic_phone(person_rng),
                ))
        # interleave frames so that market entities are not all at the end of the fieldwork
        order = rng.permutation(len(by_mode[mode]))
        by_mode[mode] = [by_mode[mode][i] for i in order]
    return FieldedInstrument(questionnaire, plan, model, tuple(by_mode["online"]), tuple(by_mode["paper"]),
                             MappingProxyType(sizes))
