"""Linearization variance: influence values in, design variance out (R ``survey``'s ``svyrecvar``).

This is the only module that knows about strata, sampling units, finite population corrections and
lonely PSUs. Estimators hand it influence values ``x`` (one column per statistic, zero outside a
domain); it returns their design variance

    V = Σ_h f_h · n_h/(n_h−1) · Σ_i (t_hi − t̄_h)²                 t_hi = Σ_{rows of unit i} x
      + Σ_h Σ_i (n_h/N_h) · V2_hi + …                              (next stage, when its fpc is given)

with ``f_h = 1 − n_h/N_h`` (1 without fpc) and ``n_h`` the number of units the group (stratum at stage
1, parent unit below) has in the *full* sample: units without domain rows count with ``t = 0``.
A group whose ``f_h < 1e-7`` (a census) contributes 0. Lonely units (``n_h = 1``) follow R's
``options(survey.lonely.psu)`` rules (see :data:`LONELY_PSU_RULES`).

Everything is integer-coded numpy: unit totals are ``np.bincount`` over unit codes (for many domains
at once over combined ``domain × unit`` codes), group sums a second ``bincount``; there is no Python
loop over units or domains. Validated against R survey 4.1.1 (tests/reference/r_survey: svymean,
svytotal, svyby, subset domains, lonely-PSU cases) and, for several stages, against a direct double
sum (tests/test_design.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence, cast

import numpy as np

from surveys.columns import domain_pair_codes
from surveys.errors import DesignError

__all__ = ["LONELY_PSU_RULES", "CENSUS_FRACTION", "Stage", "VarianceLayout", "influence_variance"]

#: R's ``survey.lonely.psu`` options: ``fail`` (error naming the stratum), ``adjust`` (centre the
#: lonely unit's total at the grand mean, i.e. not at all), ``average`` (drop the stratum and scale
#: the rest by #strata / #strata with ≥ 2 units), ``certainty`` and ``remove`` (contribute 0).
LONELY_PSU_RULES = ("fail", "adjust", "average", "certainty", "remove")

#: A group with ``1 − n/N`` below this is a census (self-representing) and contributes no variance.
CENSUS_FRACTION = 1e-7


@dataclass(frozen=True)
class Stage:
    """One sampling stage, integer coded.

    ``unit`` gives each row's sampling unit at this stage (codes ``0..units−1``, unique across the
    design: stage-2 units are nested in stage-1 units); ``group_of_unit`` the stratum each unit was
    drawn in (stage 1: the design stratum; later stages: the parent unit). ``sampled`` is the number
    of units drawn per group in the full sample, ``fraction`` the sampling fraction ``n/N`` per group
    (``None`` without fpc), ``ancestor_fraction`` the product of the sampling fractions of the
    enclosing units (1 at stage 1), ``group_labels`` names for error messages.
    """

    unit: np.ndarray
    units: int
    group_of_unit: np.ndarray
    groups: int
    sampled: np.ndarray
    fraction: np.ndarray | None
    ancestor_fraction: np.ndarray
    group_labels: Sequence[str]
    number: int = 1


@dataclass(frozen=True)
class VarianceLayout:
    """The stages that enter the variance (stage 1 always; stage s+1 only when its fpc is given)."""

    stages: tuple[Stage, ...]
    lonely_psu: str = "fail"


def _unit_totals(stage: Stage, x: np.ndarray, domain: np.ndarray | None, domains: int) -> np.ndarray:
    """Σ x over the rows of each unit: (units × k) for a dense x, (units × domains) for coded x."""
    if domain is None:
        totals = np.empty((stage.units, x.shape[1]))
        for column in range(x.shape[1]):
            totals[:, column] = np.bincount(stage.unit, weights=x[:, column], minlength=stage.units)
        return totals
    if domains == 1:
        # rows outside the domain carry x = 0, so they can be summed into their unit as they are
        return np.bincount(stage.unit, weights=x, minlength=stage.units)[:, None]
    keys = domain_pair_codes(domain, stage.unit, stage.units)
    flat = np.bincount(keys, weights=x, minlength=(domains + 1) * stage.units)[stage.units:]
    return flat.reshape(domains, stage.units).T


def _group_sums(stage: Stage, totals: np.ndarray) -> np.ndarray:
    sums = np.empty((stage.groups, totals.shape[1]))
    for column in range(totals.shape[1]):
        sums[:, column] = np.bincount(stage.group_of_unit, weights=totals[:, column], minlength=stage.groups)
    return sums


def lonely_groups(stage: Stage) -> np.ndarray:
    """Boolean per group: a single sampled unit in a group that is not a census."""
    correction = np.ones(stage.groups) if stage.fraction is None else 1.0 - stage.fraction
    return (stage.sampled == 1) & (correction >= CENSUS_FRACTION)


def check_lonely(stage: Stage, rule: str) -> None:
    """Raise the ``fail`` rule's error naming every lonely stratum (R: "Stratum (x) has only one PSU")."""
    if rule != "fail":
        return
    lonely = np.flatnonzero(lonely_groups(stage))
    if lonely.size:
        names = ", ".join(repr(stage.group_labels[g]) for g in lonely[:10])
        more = f" and {lonely.size - 10} more" if lonely.size > 10 else ""
        kind = "stratum" if stage.number == 1 else "sampling unit"
        raise DesignError(
            f"expected at least 2 sampled units per {kind} at stage {stage.number}, found 1 in "
            f"{names}{more}; pass lonely_psu='adjust', 'average', 'certainty' or 'remove', or merge "
            f"the {kind} with a neighbouring one"
        )


def _stage_variance(stage: Stage, totals: np.ndarray, rule: str, covariance: bool) -> np.ndarray:
    correction = np.ones(stage.groups) if stage.fraction is None else 1.0 - stage.fraction
    sampled = stage.sampled.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(stage.sampled > 1, correction * sampled / (sampled - 1.0), correction)
    census = correction < CENSUS_FRACTION
    lonely = (stage.sampled == 1) & ~census
    scale = np.where(census, 0.0, scale) * stage.ancestor_fraction
    means = _group_sums(stage, totals) / np.maximum(sampled, 1.0)[:, None]
    centred = totals - means[stage.group_of_unit]
    factor = 1.0
    if lonely.any():
        check_lonely(stage, rule)
        if rule in ("certainty", "remove"):
            scale = np.where(lonely, 0.0, scale)
        elif rule == "adjust":
            # R does not centre a lonely unit's total: it is compared with the grand mean (0 for
            # influence values of means, the raw total for totals).
            lonely_unit = lonely[stage.group_of_unit]
            centred[lonely_unit] = totals[lonely_unit]
        elif rule == "average":
            scale = np.where(lonely, 0.0, scale)
            ok_groups = stage.groups - int(lonely.sum())
            # Below stage 1 each parent unit is its own call in R, so a lonely unit there has no
            # other group to average over and R's result is NaN; we reproduce that.
            factor = stage.groups / ok_groups if (stage.number == 1 and ok_groups > 0) else np.nan
    weighted = centred * np.sqrt(scale[stage.group_of_unit])[:, None]
    if covariance:
        return factor * (weighted.T @ weighted)
    return factor * np.einsum("ij,ij->j", weighted, weighted)


def influence_variance(
    layout: VarianceLayout,
    x: np.ndarray,
    *,
    domain: np.ndarray | None = None,
    domains: int = 1,
    adjustments: Iterable[Any] = (),
    covariance: bool = False,
) -> np.ndarray:
    """Design variance of the totals of influence values.

    ``x`` is either a full-length ``(n, k)`` matrix (rows outside a domain are 0), or a vector of
    length n together with ``domain`` codes (``-1`` = outside every domain, else ``0..domains−1``),
    which stands for the ``(n × domains)`` matrix whose column d holds x on the rows of domain d
    (x must be 0 on rows coded −1).
    ``adjustments`` (weighting records with a ``residualize(x)`` method) are applied in order to the
    full-length matrix before the units are aggregated. Returns the variances (k or domains values),
    or the covariance matrix when ``covariance=True``.
    """
    x = np.asarray(x, dtype=float)
    adjustments = tuple(a for a in adjustments if a is not None)
    if domain is not None and adjustments:
        dense = np.zeros((x.shape[0], domains))
        inside = np.flatnonzero(domain >= 0)
        dense[inside, domain[inside]] = x[inside]
        x, domain = dense, None
    if domain is None and x.ndim == 1:
        x = x[:, None]
    for adjustment in adjustments:
        x = np.asarray(adjustment.residualize(x), dtype=float)
        if x.ndim == 1:
            x = x[:, None]
    result = None
    for stage in layout.stages:
        totals = _unit_totals(stage, x, domain, domains)
        part = _stage_variance(stage, totals, layout.lonely_psu, covariance)
        result = part if result is None else result + part
    return cast(np.ndarray, result)  # a layout has at least one stage
