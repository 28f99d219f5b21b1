"""The answer model of the demo: which category a respondent picks, and the true population rates.

Every opinion item (role ``satisfaction`` or ``overall`` on a scale with a satisfied set) and every
``knowledge`` item has a latent ``z | cell ~ N(alpha_i + effect_cell, 1)`` (see
:class:`surveys.demo.scenario.SatisfactionModel`). The answer is a don't-know with probability
``dont_know`` (when the scale has one), otherwise the category whose threshold band holds ``z``.
Because ``z`` is normal given the cell, every category probability is a difference of normal CDFs,
so the true population value of every measure is exact:

    rate (base "all")            = Σ_c N_c (1 − d) P(z_c in positive bands) / Σ_c N_c
    rate (base "exclude_dont_know") = Σ_c N_c P(z_c in positive bands) / Σ_c N_c
    composite_rate               = mean of the items' rates
    index                        = Σ_c N_c Σ_k P_ck score_k / Σ_c N_c Σ_k P_ck   (k without a score excluded)
    correct_rate                 = Σ_c N_c (1 − d) Φ(mean_c) / Σ_c N_c

``alpha_i = shift + offset_i``: the offsets spread the items around the headline (or are the scenario's
:attr:`~surveys.demo.scenario.PlantedEffects.item_offsets`) and the common shift is solved (Brent's method) so
that the headline measure equals the scenario's truth.

An overall item with planted importances (:attr:`~surveys.demo.scenario.PlantedEffects.importance`, loadings
``λ_j`` on topic items ``j``) takes part of its own noise from theirs: with ``ρ`` the person share,
``e_rj ~ N(0, 1 − ρ)`` item j's own part, the overall's latent is
``z = mean + u_r + Σ_j λ_j e_rj + N(0, (1 − ρ)(1 − Σ_j λ_j²))``. Its variance is still 1 given the cell, so
every truth above holds as it is, while the overall answer follows some items more closely than others
(their driver importance).
Validated by simulation in ``tests/test_demo_model.py`` (the sampled share converges to it).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from surveys.demo.scenario import InstrumentPlan, SatisfactionModel
from surveys.errors import SurveyError

__all__ = ["ItemModel", "InstrumentModel", "build_instrument_model", "opinion_items", "best_first"]

_LATENT_ROLES = ("satisfaction", "overall", "knowledge")


@dataclass(frozen=True)
class ItemModel:
    """How one latent item turns ``z`` into a code.

    ``bands`` are ``(code, low, high)`` latent intervals (low exclusive); ``dont_know_code`` is picked
    with probability ``dont_know`` before ``z`` is looked at.
    """

    item_id: str
    alpha: float
    bands: tuple[tuple[int, float, float], ...]
    dont_know_code: int | None
    dont_know: float
    loadings: tuple[tuple[str, float], ...] = ()   # (item id, λ): the items this overall item follows

    @property
    def own_share(self) -> float:
        """Share of the item's own (non-person) variance left after its loadings: ``1 − Σ λ²``."""
        return 1.0 - sum(loading ** 2 for _, loading in self.loadings)

    def code_for(self, z: float, dont_know_draw: float) -> int:
        if self.dont_know_code is not None and dont_know_draw < self.dont_know:
            return self.dont_know_code
        for code, low, high in self.bands:
            if low < z <= high:
                return code
        return self.bands[-1][0]

    def probabilities(self, means: np.ndarray) -> dict[int, np.ndarray]:
        """Code → P(code | cell) for latent means per cell."""
        keep = 1.0 - (self.dont_know if self.dont_know_code is not None else 0.0)
        result = {code: keep * (ndtr(high - means) - ndtr(low - means)) for code, low, high in self.bands}
        if self.dont_know_code is not None:
            result[self.dont_know_code] = np.full_like(means, self.dont_know, dtype=float)
        return result


@dataclass(frozen=True)
class InstrumentModel:
    """The latent items of one instrument and the true value of each of its measures (per frame)."""

    questionnaire_id: str
    items: Mapping[str, ItemModel]
    shift: float
    truths: Mapping[str, Mapping[str, float]]   # frame → measure id → true population value


def best_first(questionnaire, item) -> tuple[list[int], list[int], int | None]:
    """(satisfied codes best first, other substantive codes best first, don't-know code)."""
    scale = questionnaire.scales[item.scale]
    substantive = [c for c in scale.categories if not c.dont_know]
    dont_know = next((c.code for c in scale.categories if c.dont_know), None)
    if substantive and all(c.score is not None for c in substantive):
        ordered = sorted(substantive, key=lambda c: -c.score)
    else:
        satisfied_positions = [i for i, c in enumerate(substantive) if c.satisfied]
        starts_best = bool(satisfied_positions) and satisfied_positions[0] == 0
        ordered = substantive if starts_best else list(reversed(substantive))
    return ([c.code for c in ordered if c.satisfied], [c.code for c in ordered if not c.satisfied], dont_know)


def opinion_items(questionnaire) -> list:
    """The items answered through the latent model, in questionnaire order."""
    chosen = []
    for item in questionnaire.items:
        if item.role not in _LATENT_ROLES or item.scale is None or item.type != "single":
            continue
        scale = questionnaire.scales[item.scale]
        if item.role == "knowledge" and item.correct_answer is not None:
            chosen.append(item)
        elif item.role != "knowledge" and scale.satisfied_codes:
            chosen.append(item)
    return chosen


def _bands(questionnaire, item, step: float) -> tuple[tuple[int, float, float], ...]:
    if item.role == "knowledge":
        scale = questionnaire.scales[item.scale]
        satisfied = [item.correct_answer]
        other = [c.code for c in scale.categories if not c.dont_know and c.code != item.correct_answer]
    else:
        satisfied, other, _ = best_first(questionnaire, item)
    bands = []
    for index, code in enumerate(satisfied):          # best first: top band open
        low = (len(satisfied) - 1 - index) * step
        high = np.inf if index == 0 else (len(satisfied) - index) * step
        bands.append((code, low, high))
    for index, code in enumerate(other):              # best unsatisfied just below 0
        high = -index * step
        low = -np.inf if index == len(other) - 1 else -(index + 1) * step
        bands.append((code, low, high))
    return tuple(bands)


def _offsets(items: Sequence, headline_items: Sequence[str], spread: float,
             planted: Mapping[str, float]) -> dict[str, float]:
    others = [item.id for item in items if item.id not in headline_items]
    offsets = {item_id: 0.0 for item_id in headline_items}
    if others:
        grid = np.linspace(-spread, spread, len(others))
        # interleave so neighbouring items are not monotone in satisfaction
        order = sorted(range(len(others)), key=lambda i: (i % 2, i))
        for position, index in enumerate(order):
            offsets[others[index]] = float(grid[position])
    offsets.update({item_id: float(offset) for item_id, offset in planted.items() if item_id in offsets})
    return offsets


def _loadings(questionnaire, latent: Sequence, importance: Mapping[str, float]) -> dict[str, tuple]:
    """Overall item id → its (topic item, λ) loadings, checked: topic items answered through the latent model,
    Σ λ² < 1 (the overall's own noise keeps a positive variance)."""
    if not importance:
        return {}
    latent_ids = {item.id for item in latent if item.role != "overall"}
    unknown = [item_id for item_id in importance if item_id not in latent_ids]
    total = sum(loading ** 2 for loading in importance.values())
    if unknown or not total < 1.0:
        raise SurveyError(
            f"the demo scenario plants importances {dict(importance)} for '{questionnaire.id}'; expected rated topic "
            f"items of the questionnaire (not {unknown}) with squared loadings summing to less than 1 (found "
            f"{total:.3f}); fix PlantedEffects.importance in surveys/demo/scenario.py")
    loadings = tuple((item_id, float(loading)) for item_id, loading in importance.items())
    return {item.id: loadings for item in latent if item.role == "overall"}


def _measure_value(questionnaire, measure, items: Mapping[str, ItemModel], means: Mapping[str, np.ndarray],
                   weights: np.ndarray) -> float | None:
    total = weights.sum()

    def rate(item_id: str) -> float | None:
        if item_id not in items:
            return None
        probabilities = items[item_id].probabilities(means[item_id])
        item = questionnaire.item(item_id)
        if measure.kind == "correct_rate":
            positive = (item.correct_answer,)
        else:
            positive = measure.satisfied_codes or questionnaire.scales[item.scale].satisfied_codes
        numerator = sum((probabilities[c] * weights).sum() for c in positive if c in probabilities)
        denominator = total
        if measure.base == "exclude_dont_know" and items[item_id].dont_know_code is not None:
            denominator = total - (probabilities[items[item_id].dont_know_code] * weights).sum()
        return float(numerator / denominator)

    if measure.kind in ("rate", "composite_rate", "correct_rate"):
        rates = [rate(item_id) for item_id in measure.items]
        if any(value is None for value in rates):
            return None
        return float(np.mean(rates))
    if measure.kind == "index":
        scored, counted = 0.0, 0.0
        for item_id in measure.items:
            if item_id not in items:
                return None
            scores = questionnaire.scales[questionnaire.item(item_id).scale].scores
            for code, probability in items[item_id].probabilities(means[item_id]).items():
                if code in scores:
                    scored += scores[code] * (probability * weights).sum()
                    counted += (probability * weights).sum()
        return float(scored / counted) if counted else None
    return None


def build_instrument_model(questionnaire, plan: InstrumentPlan, model: SatisfactionModel,
                           frames: Mapping[str, tuple[np.ndarray, np.ndarray]],
                           calibration_frame: str) -> InstrumentModel:
    """Solve the common shift so the headline measure equals ``plan.headline_truth`` in ``calibration_frame``.

    ``frames`` maps a frame name to ``(cell effects, cell populations)``.
    """
    latent = opinion_items(questionnaire)
    headline = questionnaire.headline
    offsets = _offsets(latent, headline.items, plan.item_spread, plan.effects.item_offsets)
    loadings = _loadings(questionnaire, latent, plan.effects.importance)

    def models_for(shift: float) -> dict[str, ItemModel]:
        built = {}
        for item in latent:
            _, _, dont_know_code = best_first(questionnaire, item)
            built[item.id] = ItemModel(item.id, shift + offsets[item.id], _bands(questionnaire, item, model.category_step),
                                       dont_know_code, plan.dont_know, loadings.get(item.id, ()))
        return built

    def value(shift: float, frame: str, measure) -> float | None:
        items = models_for(shift)
        effects, weights = frames[frame]
        means = {item_id: item.alpha + effects for item_id, item in items.items()}
        return _measure_value(questionnaire, measure, items, means, weights)

    if value(0.0, calibration_frame, headline) is None:
        raise SurveyError(
            f"the demo cannot model the headline measure '{headline.id}' of '{questionnaire.id}' "
            f"(kind {headline.kind}, items {list(headline.items)}); expected single-choice items on a scale "
            "with a satisfied set or knowledge items with a correct answer"
        )
    shift = brentq(lambda s: value(s, calibration_frame, headline) - plan.headline_truth, -8.0, 8.0, xtol=1e-12)
    items = models_for(shift)
    truths = {}
    for frame in frames:
        values = {}
        for measure in questionnaire.measures:
            result = value(shift, frame, measure)
            if result is not None:
                values[measure.id] = result
        truths[frame] = MappingProxyType(values)
    return InstrumentModel(questionnaire.id, MappingProxyType(items), float(shift), MappingProxyType(truths))
