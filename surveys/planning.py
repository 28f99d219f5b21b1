"""Sample-size planning for satisfaction surveys with a target (the preparation stage).

Two questions analysts ask before fieldwork:

* **How many respondents for a margin of error of ±e?**  The simple-random-sample size is
  ``n0 = z² p(1−p) / e²`` with ``z`` the two-sided normal quantile (Cochran 1977, eq. 4.2); it is multiplied
  by the design effect, reduced by the finite-population correction ``n = n' / (1 + (n' − 1)/N)`` (Cochran
  eq. 4.3) and divided by the expected response rate to give the number of invitations.
  Check: ±3 points at p = 0.8, 95 % → 683 (docs/scoring.md §4 quotes 246 / 683 / 1,537 for ±5 / ±3 / ±2).
* **How many respondents to show the rate is above the target?**  Planned with *the verdict's own rule*
  (:func:`surveys.indicators.targets.check_target`): the same interval (default logit, 95 %), so the same one-sided
  level α = (1 − level)/2 = 0.025, and the same refusals. For a simple random sample of n the verdict is ``met`` for
  k satisfied respondents exactly when k reaches a critical count k*(n) (found by bisection with
  ``check_target`` itself), so the power at a true rate p₁ is the binomial tail ``P(K ≥ k*(n))``, computed
  exactly. A discrete test's power saw-tooths with n (by about ±2 points at a few hundred respondents: one tooth
  each time the critical count steps up), so the plan is the smallest n **from which every larger sample** reaches
  the power (checked ten teeth ahead), never a lucky tooth that one respondent fewer or more would miss; the
  first n that reaches it and the normal approximation are kept in ``parameters``. The normal approximation is
  Fleiss, Levin & Paik (2003, eq. 2.5): ``n0 = ((z_{1−α} √(p0 q0) + z_{power} √(p1 q1)) / (p1 − p0))²``.
  Check: p0 = 0.80, p1 = 0.85, power 0.8 at the verdict's α = 0.025 → 488 (the approximation says 471; the
  power first reaches 80 % at 460 and dips below it again up to 487; the 368 of the textbook one-sided
  α = 0.05 reaches 69 % under the verdict). The design effect multiplies the simple-random-sample size (the effective
  size must reach it), the finite population correction and the response rate follow as for a margin.

:func:`allocate` spreads a total over districts (proportional, equal, Neyman, with a minimum per district so
district figures are publishable), and :func:`margin_table` prints the MOE-by-n table analysts paste into plans.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from surveys.errors import PlanningError
from surveys.estimation.ci import CI_METHODS, ProportionSummary, proportion_interval
from surveys.estimation.reliability import NCHS_PROPORTION_STANDARD
from surveys.estimation.results import Estimate
from surveys.indicators.targets import check_target

NCHS_MINIMUM_EFFECTIVE_SIZE = NCHS_PROPORTION_STANDARD["minimum_effective_size"]

__all__ = [
    "PlanningError",
    "SamplePlan",
    "plan_sample_size",
    "sample_size_for_margin",
    "sample_size_for_target",
    "verdict_power",
    "margin_of_error",
    "margin_table",
    "allocate",
    "ALLOCATION_METHODS",
]


# Floating-point slack before rounding up: 682.9999999999 must stay 683, 683.0000000001 must not become 684.
_CEIL_SLACK = 1e-9


def _ceil(value: float) -> int:
    return int(math.ceil(value - _CEIL_SLACK))


@dataclass(frozen=True)
class SamplePlan:
    """The answer to a planning question, with every step of the arithmetic kept for the plan document.

    ``respondents`` is the number of completed interviews needed (after the design effect and the finite
    population correction); ``invitations`` divides it by the expected response rate.
    """

    question: str
    respondents: int
    invitations: int
    simple_random_size: float
    with_design_effect: float
    design_effect: float
    population: float | None
    response_rate: float
    level: float
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        row = {
            "question": self.question,
            "respondents": self.respondents,
            "invitations": self.invitations,
            "simple_random_size": self.simple_random_size,
            "with_design_effect": self.with_design_effect,
            "design_effect": self.design_effect,
            "population": self.population,
            "response_rate": self.response_rate,
            "level": self.level,
        }
        row.update(self.parameters)
        return row


def _check_rate(name: str, value: float, *, closed: bool = False) -> float:
    value = float(value)
    inside = 0.0 <= value <= 1.0 if closed else 0.0 < value < 1.0
    if not inside:
        bounds = "[0, 1]" if closed else "(0, 1)"
        raise PlanningError(f"{name} must be a share in {bounds} (e.g. 0.8 for 80%); found {value!r}")
    return value


def _check_common(design_effect: float, population: float | None, response_rate: float) -> None:
    if not design_effect > 0 or not math.isfinite(design_effect):
        raise PlanningError(
            f"design_effect must be a positive number (1 for a simple random sample, typically 1.2–2.5 after "
            f"weighting); found {design_effect!r}"
        )
    if population is not None and not population >= 1:
        raise PlanningError(f"population must be a count of at least 1 (or omitted); found {population!r}")
    if not 0.0 < response_rate <= 1.0:
        raise PlanningError(f"response_rate must be in (0, 1] (e.g. 0.6 for 60%); found {response_rate!r}")


def _finish(
    question: str,
    simple_random_size: float,
    *,
    design_effect: float,
    population: float | None,
    response_rate: float,
    level: float,
    parameters: Mapping[str, Any],
) -> SamplePlan:
    with_deff = simple_random_size * design_effect
    needed = with_deff
    if population is not None:
        needed = with_deff / (1.0 + (with_deff - 1.0) / population)
        needed = min(needed, float(population))
    respondents = _ceil(needed)
    return SamplePlan(
        question=question,
        respondents=respondents,
        invitations=_ceil(respondents / response_rate),
        simple_random_size=simple_random_size,
        with_design_effect=with_deff,
        design_effect=design_effect,
        population=population,
        response_rate=response_rate,
        level=level,
        parameters=dict(parameters),
    )


def sample_size_for_margin(
    margin: float,
    *,
    p: float = 0.5,
    level: float = 0.95,
    design_effect: float = 1.0,
    population: float | None = None,
    response_rate: float = 1.0,
) -> SamplePlan:
    """Respondents needed so that the two-sided ``level`` interval of a rate near ``p`` is ±``margin``.

    ``margin`` and ``p`` are shares (0.03 = three percentage points). See the module docstring for the formula.
    """
    margin = float(margin)
    if not 0.0 < margin < 1.0:
        raise PlanningError(f"margin must be a share in (0, 1) (0.03 = ±3 points); found {margin!r}")
    p = _check_rate("p", p)
    level = _check_rate("level", level)
    _check_common(design_effect, population, response_rate)
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    n0 = z * z * p * (1.0 - p) / (margin * margin)
    return _finish(
        "margin",
        n0,
        design_effect=design_effect,
        population=population,
        response_rate=response_rate,
        level=level,
        parameters={"margin": margin, "p": p},
    )


def _verdict_estimate(satisfied: int, n: int, level: float, ci_method: str) -> Any:
    """The Estimate a simple random sample of ``n`` with ``satisfied`` satisfied respondents gives (SE² =
    p̂(1 − p̂)/(n − 1), df = n − 1), with its interval from the CI registry: what the verdict would judge."""

    p = satisfied / n
    se = math.sqrt(p * (1.0 - p) / (n - 1))
    df = float(n - 1)
    low, high = proportion_interval(ProportionSummary(estimate=p, std_error=se, df=df, level=level, design_df=df,
                                                      rows=n), ci_method)
    return Estimate(estimate=p, std_error=se, ci_low=low, ci_high=high, df=df, respondents=n, ci_method=ci_method,
                    level=level, statistic="proportion", extras={"design_df": df, "kish_effective_size": float(n)})


def _critical_count(n: int, threshold: float, level: float, ci_method: str) -> int | None:
    """The smallest number of satisfied respondents of ``n`` for which the verdict is ``met`` (None: none is)."""
    def met(satisfied: int) -> bool:
        estimate = _verdict_estimate(satisfied, n, level, ci_method)
        return check_target(estimate, threshold, level=level).verdict == "met"

    low, high = int(math.floor(threshold * n)), n - 1  # n of n is never judged (0 % or 100 %)
    if high <= low or not met(high):
        return None
    while high - low > 1:  # met(high) holds, met(low) does not (the estimate at low is below the threshold)
        middle = (low + high) // 2
        low, high = (low, middle) if met(middle) else (middle, high)
    return high


def verdict_power(n: int, threshold: float, true_rate: float, *, level: float = 0.95,
                  ci_method: str = "logit") -> float:
    """Exact probability that the verdict on a simple random sample of ``n`` is ``met`` when the true rate is
    ``true_rate``: ``P(K ≥ k*(n))`` for K ~ Binomial(n, true_rate) (see the module docstring)."""
    if n < 2:
        return 0.0
    critical = _critical_count(int(n), threshold, level, ci_method)
    return 0.0 if critical is None else float(stats.binom.sf(critical - 1, int(n), true_rate))


def sample_size_for_target(
    threshold: float,
    true_rate: float,
    *,
    power: float = 0.8,
    level: float = 0.95,
    ci_method: str = "logit",
    alpha: float | None = None,
    design_effect: float = 1.0,
    population: float | None = None,
    response_rate: float = 1.0,
) -> SamplePlan:
    """Respondents needed for the verdict of :func:`surveys.indicators.targets.check_target` (interval ``ci_method`` at
    ``level``, i.e. one-sided α = (1 − level)/2) to be ``met`` with probability ``power`` when the true rate is
    ``true_rate`` (> threshold). ``alpha`` (one-sided) may be given instead of ``level``. See the module
    docstring for the method; ``parameters`` keep the normal approximation and the exact power achieved."""
    p0 = _check_rate("threshold", threshold)
    p1 = _check_rate("true_rate", true_rate)
    if not p1 > p0:
        raise PlanningError(
            f"true_rate must exceed the threshold to demonstrate it is above the target; found true_rate={p1} "
            f"and threshold={p0} (a true rate at or below the target cannot be shown to be above it)"
        )
    power = _check_rate("power", power)
    if alpha is not None:
        level = 1.0 - 2.0 * _check_rate("alpha", alpha)
    level = _check_rate("level", level)
    if ci_method not in CI_METHODS or ci_method == "likelihood":
        raise PlanningError(f"ci_method must be an interval the verdict can use: one of "
                            f"{sorted(set(CI_METHODS) - {'likelihood'})}; found {ci_method!r}")
    _check_common(design_effect, population, response_rate)
    one_sided = (1.0 - level) / 2.0
    z_alpha = float(stats.norm.ppf(1.0 - one_sided))
    z_power = float(stats.norm.ppf(power))
    root = z_alpha * math.sqrt(p0 * (1.0 - p0)) + z_power * math.sqrt(p1 * (1.0 - p1))
    approximate = (root / (p1 - p0)) ** 2
    size, first, first_power = _exact_size(p0, p1, power, level, ci_method, approximate)
    return _finish(
        "target",
        float(size),
        design_effect=design_effect,
        population=population,
        response_rate=response_rate,
        level=level,
        parameters={"threshold": p0, "true_rate": p1, "power": power, "alpha": one_sided, "ci_method": ci_method,
                    "normal_approximation": approximate, "first_size_reaching_power": first,
                    "power_at_first_size": first_power,
                    "power_achieved": verdict_power(size, p0, p1, level=level, ci_method=ci_method)},
    )


_WINDOW = 60  # how far below the bisection's answer the first n reaching the power is looked for
_TEETH = 10  # how many saw-teeth ahead must all reach the power


def _exact_size(p0: float, p1: float, power: float, level: float, ci_method: str,
                approximate: float) -> tuple[int, int, float]:
    """(the smallest n from which every larger simple random sample reaches ``power``, looking ``_TEETH``
    saw-teeth ahead; the first n that reaches it; the power at the first) — see the module docstring."""
    powers: dict[int, float] = {}

    def power_at(n: int) -> float:
        if n not in powers:
            powers[n] = verdict_power(n, p0, p1, level=level, ci_method=ci_method)
        return powers[n]

    minimum = int(NCHS_MINIMUM_EFFECTIVE_SIZE)
    high = max(_ceil(approximate), minimum)
    while power_at(high) < power:
        high = high * 2
        if high > 10_000_000:
            raise PlanningError(f"no sample size up to 10,000,000 reaches power {power:g} for {p1:g} against "
                                f"{p0:g}; check the rates")
    low = minimum - 1
    if power_at(minimum) >= power:
        high = minimum
    while high - low > 1:  # treat power as increasing in n to get near the crossing
        middle = (low + high) // 2
        low, high = (low, middle) if power_at(middle) >= power else (middle, high)
    first = next(n for n in range(max(high - _WINDOW, minimum), high + 1) if power_at(n) >= power)
    # the critical count steps up once every 1/(1 − p0) respondents: one saw-tooth of the power curve
    ahead = _TEETH * math.ceil(1.0 / min(p0, 1.0 - p0))
    stable = first
    while True:
        short = [n for n in range(stable, stable + ahead + 1) if power_at(n) < power]
        if not short:
            return stable, first, power_at(first)
        stable = short[-1] + 1


def plan_sample_size(
    *,
    margin: float | None = None,
    threshold: float | None = None,
    true_rate: float | None = None,
    p: float = 0.8,
    level: float = 0.95,
    power: float = 0.8,
    alpha: float | None = None,
    ci_method: str = "logit",
    design_effect: float = 1.0,
    population: float | None = None,
    response_rate: float = 1.0,
) -> SamplePlan:
    """One entry point: give ``margin`` (for a margin of error) or ``threshold`` and ``true_rate`` (to show the
    rate is above the target, with the verdict's own interval and level: ``ci_method``, ``level``).
    See :func:`sample_size_for_margin` and :func:`sample_size_for_target`."""
    common: dict[str, Any] = dict(design_effect=design_effect, population=population, response_rate=response_rate)
    if margin is not None and threshold is None and true_rate is None:
        return sample_size_for_margin(margin, p=p, level=level, **common)
    if margin is None and threshold is not None and true_rate is not None:
        return sample_size_for_target(threshold, true_rate, power=power, level=level, alpha=alpha,
                                      ci_method=ci_method, **common)
    raise PlanningError(
        "give either margin= (respondents for a margin of error) or threshold= and true_rate= (respondents to "
        f"show the rate is above the target); found margin={margin!r}, threshold={threshold!r}, "
        f"true_rate={true_rate!r}"
    )


def margin_of_error(
    respondents: float | np.ndarray,
    *,
    p: float = 0.8,
    level: float = 0.95,
    design_effect: float = 1.0,
    population: float | None = None,
) -> np.ndarray:
    """Half-width of the normal interval of a rate ``p`` from ``respondents`` completes:
    ``z √(deff · p(1−p)/n · (1 − n/N))`` (the last factor only with a population size)."""
    p = _check_rate("p", p)
    level = _check_rate("level", level)
    _check_common(design_effect, population, 1.0)
    n = np.asarray(respondents, dtype=float)
    if np.any(n < 1):
        raise PlanningError(f"respondents must be at least 1; found {n[n < 1][:3].tolist()}")
    fpc = 1.0 if population is None else np.clip(1.0 - n / population, 0.0, 1.0)
    z = stats.norm.ppf(0.5 + level / 2.0)
    return z * np.sqrt(design_effect * p * (1.0 - p) / n * fpc)


def margin_table(
    sizes: Sequence[int] = (100, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000),
    *,
    rates: Sequence[float] = (0.8, 0.9, 0.5),
    level: float = 0.95,
    design_effect: float = 1.0,
    population: float | None = None,
) -> pd.DataFrame:
    """The MOE-by-n table: one row per sample size, one column per expected rate (margins as shares), and
    ``census``: True where the size reaches the population (every member asked: no sampling error)."""
    table = pd.DataFrame({"respondents": np.asarray(sizes, dtype=int)})
    for rate in rates:
        table[f"p={rate:g}"] = margin_of_error(
            table["respondents"].to_numpy(), p=rate, level=level, design_effect=design_effect, population=population
        )
    table["census"] = False if population is None else table["respondents"] >= population
    return table


# --- allocation across districts -------------------------------------------------------------------------


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``shares`` that sum to ``total`` (Hamilton's largest-remainder rule)."""
    exact = shares / shares.sum() * total
    whole = np.floor(exact).astype(int)
    short = total - int(whole.sum())
    if short > 0:
        order = np.argsort(-(exact - whole), kind="stable")
        whole[order[:short]] += 1
    return whole


def _proportional(populations: np.ndarray, rates: np.ndarray) -> np.ndarray:
    return populations


def _equal(populations: np.ndarray, rates: np.ndarray) -> np.ndarray:
    return np.ones_like(populations)


def _neyman(populations: np.ndarray, rates: np.ndarray) -> np.ndarray:
    # Neyman (1934): n_h ∝ N_h S_h with S_h = √(p_h(1−p_h)) for a rate.
    return populations * np.sqrt(rates * (1.0 - rates))


ALLOCATION_METHODS: Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "proportional": _proportional,
    "equal": _equal,
    "neyman": _neyman,
}


def allocate(
    total: int,
    populations: Mapping[Any, float] | pd.Series,
    *,
    method: str = "proportional",
    minimum: int = 0,
    rates: Mapping[Any, float] | float = 0.8,
) -> pd.DataFrame:
    """Spread ``total`` respondents over strata (districts) and return one row per stratum.

    ``method`` is one of :data:`ALLOCATION_METHODS`; ``minimum`` raises every stratum to at least that many
    (never above its population), taking the difference from the others in proportion to their allocation,
    so district figures are publishable; ``rates`` are the expected rates per stratum (Neyman only).
    """
    populations = pd.Series(populations, dtype=float)
    if populations.empty or (populations <= 0).any() or populations.isna().any():
        raise PlanningError(
            "populations must give a positive population for every stratum; found "
            f"{populations[(populations <= 0) | populations.isna()].to_dict() or 'no strata'}"
        )
    if method not in ALLOCATION_METHODS:
        raise PlanningError(f"unknown allocation method {method!r}; expected one of {sorted(ALLOCATION_METHODS)}")
    total = int(total)
    capacity = populations.to_numpy()
    if total < 1 or total > capacity.sum():
        raise PlanningError(
            f"total must be between 1 and the population size {capacity.sum():.0f}; found {total}"
        )
    floor = np.minimum(int(minimum), np.floor(capacity)).astype(int)
    if floor.sum() > total:
        raise PlanningError(
            f"a minimum of {minimum} per stratum over {len(capacity)} strata needs {int(floor.sum())} respondents, "
            f"more than the total {total}; raise the total or lower the minimum"
        )
    if isinstance(rates, Mapping) or isinstance(rates, pd.Series):
        rate_values = pd.Series(rates, dtype=float).reindex(populations.index)
        if rate_values.isna().any():
            missing = rate_values[rate_values.isna()].index.tolist()
            raise PlanningError(f"rates has no expected rate for strata {missing}; give one for every stratum")
        rate_values = rate_values.to_numpy()
    else:
        rate_values = np.full(len(capacity), _check_rate("rates", rates))
    weights = ALLOCATION_METHODS[method](capacity, rate_values).astype(float)
    allocation = _capped_allocation(weights, floor, capacity, total)
    return pd.DataFrame(
        {
            "stratum": populations.index,
            "population": capacity,
            "respondents": allocation,
            "sampling_fraction": allocation / capacity,
        }
    )


def _capped_allocation(weights: np.ndarray, floor: np.ndarray, capacity: np.ndarray, total: int) -> np.ndarray:
    """Allocate in proportion to ``weights`` within [floor, capacity] per stratum, summing to ``total``.

    Strata pinned at a bound are fixed and the rest re-spread, until nothing moves (at most one pass per stratum).
    """
    fixed = np.zeros(len(weights), dtype=bool)
    result = np.zeros(len(weights))
    for _ in range(len(weights) + 1):
        free = ~fixed
        remaining = total - result[fixed].sum()
        share = weights[free] / weights[free].sum() if weights[free].sum() > 0 else np.full(free.sum(), 1 / free.sum())
        proposal = share * remaining
        low = proposal < floor[free]
        high = proposal > capacity[free]
        if not (low.any() or high.any()):
            result[free] = proposal
            break
        index = np.flatnonzero(free)
        result[index[low]] = floor[free][low]
        result[index[high]] = capacity[free][high]
        fixed[index[low | high]] = True
    whole = _largest_remainder(np.maximum(result, 1e-12), total)
    return np.clip(whole, floor, np.floor(capacity)).astype(int)
