"""The demo's answer model and scenario: the closed-form truths match simulation, the default season
lands the four headline indicators one in each verdict, and the online sample is skewed so that
weighting changes the answer."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveys.demo import scenario
from surveys.demo.city import build_city, largest_remainder
from surveys.demo.generate import DEFAULT_SEED
from surveys.demo.respondents import NOT_ASKED, answer_questionnaire, resident_frame
from surveys.demo.season import field_instrument
from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires


@pytest.fixture(scope="module")
def questionnaires():
    return {q.id: q for q in map(load_questionnaire, bundled_questionnaires())}


@pytest.fixture(scope="module")
def city():
    return build_city()


@pytest.fixture(scope="module")
def seasons(questionnaires, city):
    """Every sampled instrument fielded at the default seed and sample sizes (no files written)."""
    return {instrument_id: field_instrument(questionnaires[instrument_id], plan, city, DEFAULT_SEED)
            for instrument_id, plan in scenario.INSTRUMENTS.items() if plan.frame != "proposals"}


def _rake(profiles: pd.DataFrame, margins: dict[str, pd.Series], sweeps: int = 60) -> np.ndarray:
    """Plain iterative proportional fitting (a test oracle, independent of the weighting module)."""
    weights = np.ones(len(profiles))
    for _ in range(sweeps):
        for variable, target in margins.items():
            codes = profiles[variable].to_numpy()
            current = pd.Series(weights).groupby(codes).sum()
            wanted = target / target.sum() * weights.sum()
            weights = weights * (wanted.reindex(codes).to_numpy() / current.reindex(codes).to_numpy())
    return weights


def _verdict(estimate: float, low: float, high: float, threshold: float) -> str:
    if low >= threshold:
        return "met"
    if estimate >= threshold:
        return "met_within_margin"
    return "not_met_within_margin" if high >= threshold else "not_met"


def test_largest_remainder_keeps_totals():
    counts = largest_remainder(1000, [0.333, 0.333, 0.334])
    assert counts.sum() == 1000 and set(counts) <= {333, 334}


def test_scenario_districts_match_the_questionnaires(questionnaires):
    for questionnaire in questionnaires.values():
        for variable in questionnaire.weighting:
            if variable.id == "district":
                labels = {category.code: category.label.zh for category in variable.categories}
                assert labels == {district.code: district.name for district in scenario.DISTRICTS}


def test_closed_form_truth_matches_simulation(questionnaires, city):
    """Grassroots governance carries every planted effect (districts, online answers, an overall item following some
    topic items): the closed-form truths still hold, over the population answering in the planned mix of modes."""
    questionnaire = questionnaires["grassroots_governance"]
    plan = scenario.INSTRUMENTS["grassroots_governance"]
    assert plan.effects.district and plan.effects.online and plan.effects.importance
    season = field_instrument(questionnaire, plan, city, 1, 0.05)
    frame = resident_frame(city.residents, scenario.SATISFACTION_MODEL, plan.effects)
    rng = np.random.default_rng(2024)
    draws = 6000
    cells = rng.choice(len(frame.cells), size=draws, p=frame.populations / frame.populations.sum())
    online = rng.random(draws) < plan.online / (plan.online + plan.paper)
    headline = questionnaire.headline
    item_id = headline.items[0]
    satisfied = questionnaire.scale_of(item_id).satisfied_codes
    answers = []
    for cell, by_phone in zip(cells, online):
        row = frame.cells.iloc[cell]
        profile = {"district": int(row["district"]), "sex": int(row["sex"]), "age_group": int(row["age_group"])}
        answers.append(answer_questionnaire(questionnaire, season.model, frame, int(cell), profile, rng,
                                            scenario.SATISFACTION_MODEL, {},
                                            mode_shift=plan.effects.online if by_phone else 0.0))
    simulated = np.mean([answer[item_id] in satisfied for answer in answers])
    truth = season.model.truths["residents"][headline.id]
    assert truth == pytest.approx(plan.headline_truth, abs=1e-9)
    assert simulated == pytest.approx(truth, abs=0.02)   # 6000 draws: standard error about 0.5 points
    # a topic item the overall follows keeps its own truth too (don't-know answers in the base)
    followed = max(plan.effects.importance, key=plan.effects.importance.get)
    share = np.mean([answer[followed] in satisfied for answer in answers])
    item_truth = season.model.items[followed].probabilities(
        np.array([season.model.items[followed].alpha + frame.effects[c] + (plan.effects.online if o else 0.0)
                  for c, o in zip(cells, online)]))
    assert share == pytest.approx(np.mean([sum(item_truth[code][i] for code in satisfied) for i in range(draws)]),
                                  abs=0.02)


def test_the_planted_loadings_make_the_overall_follow_its_drivers(questionnaires, city):
    """The overall answer goes with the items it loads on more closely than with the others (φ correlation of the
    satisfied indicators: every item shares the person effect, the loaded ones their own part too)."""
    plan = scenario.INSTRUMENTS["grassroots_governance"]
    season = field_instrument(questionnaires["grassroots_governance"], plan, city, DEFAULT_SEED)
    rows = [r.answers for r in season.online + season.paper]
    satisfied = questionnaires["grassroots_governance"].scale_of("overall").satisfied_codes

    def agreement(item_id: str) -> float:
        pairs = [(a["overall"] in satisfied, a[item_id] in satisfied) for a in rows
                 if a[item_id] not in (None, 9) and a[item_id] is not NOT_ASKED and a["overall"] not in (None, 9)]
        return float(np.corrcoef(np.array(pairs, dtype=float).T)[0, 1])

    strongest = max(plan.effects.importance, key=plan.effects.importance.get)
    others = [item for item in ("affairs_openness", "democratic_decision", "democratic_supervision")
              if item not in plan.effects.importance]
    assert others and all(agreement(strongest) > agreement(item) + 0.1 for item in others)


def test_default_season_lands_one_headline_in_each_verdict(questionnaires, city, seasons):
    """Raked (district, sex, age group) rate with a Kish-effective-size Wald interval, residents only."""
    residents = city.residents
    margins = {v: residents.groupby(v)["population"].sum() for v in ("district", "sex", "age_group")}
    verdicts = {}
    for instrument_id, season in seasons.items():
        questionnaire = questionnaires[instrument_id]
        item_id = questionnaire.headline.items[0]
        rows = [r for r in season.online + season.paper if r.frame == "residents"]
        profiles = pd.DataFrame([dict(r.profile) for r in rows])
        satisfied = np.array([r.answers[item_id] in questionnaire.scale_of(item_id).satisfied_codes for r in rows],
                             dtype=float)
        weights = _rake(profiles, margins)
        estimate = float(np.sum(weights * satisfied) / weights.sum())
        effective = weights.sum() ** 2 / np.sum(weights ** 2)
        half = 1.96 * math.sqrt(estimate * (1 - estimate) / effective)
        threshold = questionnaire.headline.target.threshold
        verdicts[instrument_id] = _verdict(estimate, estimate - half, estimate + half, threshold)
        assert verdicts[instrument_id] == scenario.INSTRUMENTS[instrument_id].verdict, (instrument_id, estimate, half)
    assert {"met", "met_within_margin", "not_met_within_margin", "not_met"} <= set(verdicts.values())


def test_online_sample_is_young_and_urban_and_weighting_moves_the_rate(questionnaires, city, seasons):
    residents = city.residents
    population_young = residents.loc[residents["age_group"] <= 2, "population"].sum() / residents["population"].sum()
    urban_codes = {d.code for d in scenario.DISTRICTS if d.urban}
    population_urban = residents.loc[residents["district"].isin(urban_codes), "population"].sum() / residents["population"].sum()
    season = seasons["law_based_administration"]
    online = [r for r in season.online if r.frame == "residents"]
    young = np.mean([r.profile["age_group"] <= 2 for r in online])
    urban = np.mean([r.profile["district"] in urban_codes for r in online])
    assert young > population_young + 0.10 and urban > population_urban + 0.05
    questionnaire = questionnaires["law_based_administration"]
    item_id = questionnaire.headline.items[0]
    satisfied = np.array([r.answers[item_id] in questionnaire.scale_of(item_id).satisfied_codes for r in online],
                         dtype=float)
    margins = {v: residents.groupby(v)["population"].sum() for v in ("district", "sex", "age_group")}
    weights = _rake(pd.DataFrame([dict(r.profile) for r in online]), margins)
    weighted = np.sum(weights * satisfied) / weights.sum()
    assert weighted - satisfied.mean() > 0.02, "the skew understates satisfaction until weighted"


def test_skip_logic_and_branches_follow_the_questionnaire(questionnaires, seasons):
    questionnaire = questionnaires["market_supervision"]
    season = seasons["market_supervision"]
    for respondent in season.online + season.paper:
        for item in questionnaire.items:
            shown = item.is_asked({k: (None if v is NOT_ASKED else v) for k, v in respondent.answers.items()})
            assert (respondent.answers[item.id] is NOT_ASKED) == (not shown)
    market = [r for r in season.online + season.paper if r.frame == "market"]
    assert market and all(r.profile["respondent_type"] in (2, 3, 4) for r in market)
    assert season.model.truths["market"]["overall_rate"] > season.model.truths["residents"]["overall_rate"]
