"""Census indicators: proposal handling judged on every returned feedback form, with non-response bounds.

Deputies' and members' satisfaction with the handling of their proposals is not a sample: every proposal
handled this year gets a feedback form (征询意见表), and the indicator is computed on the forms that came back
(docs/scoring.md §5; the base is the returned forms, e.g. Ningbo 2011: 526 of 527 returned forms satisfied with the
handling work = 99.8 %). There is no sampling error (``std_error`` is 0). What is uncertain is the forms that
did not come back, so instead of a margin of error every rate carries **non-response bounds**:

* ``rate = positive / answered`` (answered: returned forms with a valid answer in the base);
* ``lower_bound = positive / proposals`` — every missing answer (form not returned, or returned with the item
  blank) unsatisfied;
* ``upper_bound = (positive + proposals − answered) / proposals`` — every missing answer satisfied.

``lower ≤ rate ≤ upper`` always holds (``(answered − positive)(proposals − answered) ≥ 0``). The rates are
given for each rate measure of the questionnaire (the overall rating, the handling WORK and the RESULT, with
and without 基本满意 as the measures define), overall and by any classification (handling department, deputy
type, result class), with the A–D result-class distribution alongside.

:func:`census_check` turns a census rate into a :class:`~surveys.indicators.targets.TargetCheck` using the bounds as
the interval, so the four verdicts of :mod:`surveys.indicators.targets` read the same way:

============================  =============================================================================
verdict                       census condition
============================  =============================================================================
``met``                       the lower bound reaches the target (met even if no missing form were satisfied)
``met_within_margin``         the rate reaches it, the lower bound does not (within the non-response margin)
``not_met_within_margin``     the rate is below, the upper bound reaches it (within the non-response margin)
``not_met``                   the upper bound is below (not met even if every missing form were satisfied)
============================  =============================================================================
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from surveys.errors import EstimationError, QuestionnaireError, TargetError
from surveys.indicators.measures import measure_values
from surveys.indicators.targets import VERDICT_RULES, TargetCheck
from surveys.questionnaire import MEASURE_BASES, Measure, Questionnaire, Text

__all__ = ["CensusRate", "ResultClassShare", "ProposalCensus", "proposal_census", "census_check"]

_OVERALL = Text("全体", "overall")
_COMPARISONS = {">=": lambda value, threshold: value >= threshold, ">": lambda value, threshold: value > threshold}


@dataclass(frozen=True)
class CensusRate:
    """One census rate with its counts and non-response bounds (no sampling error: ``std_error`` is 0)."""

    measure_id: str
    label: Text
    positive_set: Text
    base: str
    base_label: Text
    used_for_verdict: bool
    domain_variable: str
    domain_value: Any
    domain_label: Text
    proposals: int
    forms_returned: int
    answered: int
    positive: int
    rate: float
    lower_bound: float
    upper_bound: float
    std_error: float = 0.0
    top_category: bool = False  # the positive set cut to the scale's best category (e.g. 满意 without 基本满意)

    @property
    def return_rate(self) -> float:
        """Forms returned / proposals."""
        return self.forms_returned / self.proposals if self.proposals else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure_id": self.measure_id, "label_zh": self.label.zh, "label_en": self.label.en,
            "positive_set_zh": self.positive_set.zh, "positive_set_en": self.positive_set.en, "base": self.base,
            "base_label_zh": self.base_label.zh, "base_label_en": self.base_label.en,
            "used_for_verdict": self.used_for_verdict, "domain_variable": self.domain_variable,
            "domain_value": self.domain_value, "domain_label_zh": self.domain_label.zh,
            "domain_label_en": self.domain_label.en, "proposals": self.proposals,
            "forms_returned": self.forms_returned, "return_rate": self.return_rate, "answered": self.answered,
            "positive": self.positive, "rate": self.rate, "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound, "std_error": self.std_error, "top_category": self.top_category,
        }


@dataclass(frozen=True)
class ResultClassShare:
    """Proposals in one result class (A–D), counted in the register (or, without one, the returned forms)."""

    code: Any
    label: Text
    count: int
    share: float
    counted_in: str  # "register" or "forms"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label_zh": self.label.zh, "label_en": self.label.en, "count": self.count,
                "share": self.share, "counted_in": self.counted_in}


@dataclass(frozen=True)
class ProposalCensus:
    """The census of proposal feedback forms: rates with bounds and the result-class distribution."""

    questionnaire_id: str
    proposals: int
    forms_returned: int
    rates: tuple[CensusRate, ...]
    classes: tuple[ResultClassShare, ...] = ()

    @property
    def return_rate(self) -> float:
        return self.forms_returned / self.proposals if self.proposals else math.nan

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([rate.to_dict() for rate in self.rates])

    def _base_of(self, rate: CensusRate) -> str:
        """The verdict base of ``rate``'s measure (the base of its ``used_for_verdict`` rows)."""
        for other in self.rates:
            if other.measure_id == rate.measure_id and other.used_for_verdict:
                return other.base
        return rate.base

    def classes_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([share.to_dict() for share in self.classes],
                                         columns=["code", "label_zh", "label_en", "count", "share", "counted_in"])

    def find(self, measure_id: str, *, base: str | None = None, domain_variable: str = "",
             domain_value: Any = None, top_category: bool = False) -> CensusRate:
        """The rate of ``measure_id`` (on its verdict base unless ``base`` is given), overall by default;
        ``top_category=True`` for its variant counting only the scale's best category."""
        for rate in self.rates:
            if (rate.measure_id == measure_id and rate.top_category == top_category
                    and (rate.base == base if base else rate.base == self._base_of(rate))
                    and rate.domain_variable == domain_variable
                    and (not domain_variable or rate.domain_value == domain_value)):
                return rate
        raise EstimationError(
            f"the census of '{self.questionnaire_id}' has no rate for measure '{measure_id}' (domain "
            f"{domain_variable or 'overall'} {domain_value!r}); its measures are "
            f"{sorted({r.measure_id for r in self.rates})}"
        )


def _identifier(questionnaire: Questionnaire, identifier: str | None) -> str | None:
    if identifier is not None:
        return identifier
    found = questionnaire.items_with_role("identifier")
    return found[0].id if len(found) == 1 else None


def _returned_ids(forms: pd.DataFrame, register: pd.DataFrame, identifier: str | None) -> None:
    """Check that every form matches one proposal of the register (and no proposal has two forms)."""
    if identifier is None or identifier not in forms.columns or identifier not in register.columns:
        raise EstimationError(
            f"matching forms to the register needs the identifier column {identifier!r} in both; "
            "give identifier= (the proposal number) and rename the register's column to it"
        )
    duplicated = forms[identifier][forms[identifier].duplicated()].tolist()
    if duplicated:
        raise EstimationError(
            f"{len(duplicated)} proposals have more than one returned form (e.g. {duplicated[:3]}); keep one "
            "form per proposal (the latest) before computing the census"
        )
    unknown = sorted(set(forms[identifier]) - set(register[identifier]), key=str)
    if unknown:
        raise EstimationError(
            f"{len(unknown)} returned forms are for proposals not in the register (e.g. {unknown[:3]}); "
            "add them to the register or correct the proposal numbers"
        )


def _domain_label(questionnaire: Questionnaire, variable: str, value: Any) -> Text:
    if questionnaire.has_item(variable):
        scale = questionnaire.scale_of(variable)
        if scale is not None:
            try:
                return scale.category(int(value)).label
            except (TypeError, ValueError, QuestionnaireError):
                pass  # a value outside the scale keeps its own text
    return Text(str(value), str(value))


def _rate(measure: Measure, values, *, proposals: int, forms_returned: int, inside: np.ndarray,
          domain: tuple[str, Any, Text], top_category: bool = False) -> CensusRate:
    chosen = values.values[inside]
    answered = int((~np.isnan(chosen)).sum())
    positive = int(np.nansum(chosen))
    if proposals < answered:
        raise EstimationError(
            f"{answered} answered forms but only {proposals} proposals for {domain[0] or 'the census'} "
            f"{domain[1]!r}; the register must list every proposal with a form"
        )
    missing = proposals - answered
    return CensusRate(
        measure_id=measure.id, label=values.measure.label, positive_set=values.positive_set, base=values.base,
        base_label=values.base_label, used_for_verdict=values.base == measure.base and not top_category,
        top_category=top_category, domain_variable=domain[0],
        domain_value=domain[1], domain_label=domain[2], proposals=proposals, forms_returned=int(inside.sum()),
        answered=answered, positive=positive, rate=positive / answered if answered else math.nan,
        lower_bound=positive / proposals if proposals else math.nan,
        upper_bound=(positive + missing) / proposals if proposals else math.nan,
    )


def _census_measures(questionnaire: Questionnaire, measures: Sequence[str] | None) -> list[Measure]:
    chosen = questionnaire.measures if measures is None else [questionnaire.measure(m) for m in measures]
    return [m for m in chosen if m.kind in ("rate", "correct_rate") and len(m.items) == 1]


def _bases(questionnaire: Questionnaire, measure: Measure) -> tuple[str, ...]:
    has_dont_know = bool(questionnaire.scale_of(measure.items[0]).dont_know_codes)
    others = tuple(b for b in MEASURE_BASES if b != measure.base) if has_dont_know else ()
    return (measure.base,) + others


def _class_shares(questionnaire: Questionnaire, result_class: str, forms: pd.DataFrame,
                  register: pd.DataFrame | None) -> tuple[ResultClassShare, ...]:
    source, counted_in = ((register, "register") if register is not None and result_class in register.columns
                          else (forms, "forms"))
    if result_class not in source.columns:
        raise EstimationError(f"the result class column '{result_class}' is in neither the register nor the forms")
    values = pd.to_numeric(source[result_class], errors="coerce")
    total = int(values.notna().sum())
    scale = questionnaire.scale_of(result_class)
    codes = scale.codes if scale is not None else sorted(values.dropna().unique())
    shares = []
    for code in codes:
        count = int((values == code).sum())
        shares.append(ResultClassShare(code=code, label=_domain_label(questionnaire, result_class, code), count=count,
                                       share=count / total if total else math.nan, counted_in=counted_in))
    return tuple(shares)


def proposal_census(forms: pd.DataFrame, questionnaire: Questionnaire, *, register: pd.DataFrame | None = None,
                    proposals: int | None = None, by: Sequence[str] = (), result_class: str | None = None,
                    identifier: str | None = None, measures: Sequence[str] | None = None,
                    top_category: bool = True) -> ProposalCensus:
    """The census of returned feedback forms (one row per returned form, columns = item ids, answer codes).

    The number of proposals comes from ``register`` (one row per proposal handled, columns named by item ids;
    required for rates by domain) or ``proposals``. ``by`` lists classification columns (e.g. the handling
    department and the deputy type; their values come from the register when it has the column, matched on
    ``identifier`` — default: the questionnaire's single ``identifier`` item). ``result_class`` names the A–D
    class column for the distribution. Rates are computed for every single-item rate measure (or those in
    ``measures``), on the measure's base and, when the scale has a don't-know option, on the other base too;
    with ``top_category`` each rate whose positive set has several categories is also given counting only the
    best one (with and without 基本满意, for the handling work and the result alike).
    """
    if register is not None:
        total = len(register)
        if proposals is not None and proposals != total:
            raise EstimationError(f"proposals={proposals} but the register lists {total}; give one or the other")
    elif proposals is not None:
        total = int(proposals)
    else:
        raise EstimationError(
            "the census needs the number of proposals handled: give register= (one row per proposal) or proposals="
        )
    if total < len(forms):
        raise EstimationError(f"{len(forms)} returned forms but only {total} proposals; check the register")
    identifier = _identifier(questionnaire, identifier)
    if register is not None:
        _returned_ids(forms, register, identifier)
    rates: list[CensusRate] = []
    everyone = np.ones(len(forms), dtype=bool)
    for measure in _census_measures(questionnaire, measures):
        for base in _bases(questionnaire, measure):
            for variant, top in _variants(questionnaire, measure, top_category):
                values = measure_values(forms, questionnaire, variant, base=base)
                rates.append(_rate(measure, values, proposals=total, forms_returned=len(forms), inside=everyone,
                                   domain=("", "", _OVERALL), top_category=top))
                for variable in by:
                    rates.extend(_domain_rates(questionnaire, measure, values, forms, register, variable, identifier,
                                               top))
    classes = _class_shares(questionnaire, result_class, forms, register) if result_class else ()
    return ProposalCensus(questionnaire_id=questionnaire.id, proposals=total, forms_returned=len(forms),
                          rates=tuple(rates), classes=classes)


def _variants(questionnaire: Questionnaire, measure: Measure, top_category: bool) -> list[tuple[Measure, bool]]:
    """The measure itself and, when asked and its positive set has several categories, the same rate counting
    only the scale's first (best) satisfied category — "without 基本满意" on a 满意/基本满意/不满意 scale."""
    variants = [(measure, False)]
    scale = questionnaire.scale_of(measure.items[0])
    positive = measure.satisfied_codes or scale.satisfied_codes
    if top_category and measure.kind == "rate" and len(positive) > 1:
        best = scale.category(next(code for code in scale.codes if code in positive)).label
        label = Text(f"{measure.label.zh}（仅“{best.zh}”）", f'{measure.label.en} (only "{best.get("en")}")')
        variants.append((dataclasses.replace(measure, satisfied_codes=(scale.code_of(best.zh),), label=label), True))
    return variants


def _domain_rates(questionnaire: Questionnaire, measure: Measure, values, forms: pd.DataFrame,
                  register: pd.DataFrame | None, variable: str, identifier: str | None,
                  top_category: bool) -> list[CensusRate]:
    if register is None or variable not in register.columns:
        raise EstimationError(
            f"rates by '{variable}' need the register with a '{variable}' column: the proposals per "
            f"{variable} (the denominators of the non-response bounds) come from the register"
        )
    lookup = dict(zip(register[identifier], register[variable]))
    form_values = forms[identifier].map(lookup).to_numpy()
    rows = []
    for value in sorted(pd.unique(register[variable].dropna()), key=str):
        inside = form_values == value
        proposals = int((register[variable] == value).sum())
        label = _domain_label(questionnaire, variable, value)
        plain = value.item() if isinstance(value, np.generic) else value
        rows.append(_rate(measure, values, proposals=proposals, forms_returned=int(inside.sum()), inside=inside,
                          domain=(variable, plain, label), top_category=top_category))
    return rows


def census_check(rate: CensusRate, threshold: float, *, comparison: str = ">=", rule: str = "ci_lower_bound",
                 label: str = "") -> TargetCheck:
    """The verdict on a census rate, with the non-response bounds in place of a confidence interval.

    The returned :class:`~surveys.indicators.targets.TargetCheck` has ``std_error = margin_of_error = 0`` (no sampling
    error), ``ci_low``/``ci_high`` = the bounds, ``ci_method = "nonresponse_bounds"``, ``level = 1`` (the bounds
    hold with certainty), ``df = inf``, no t statistic or p-value (NaN), ``respondents`` = answered forms, and
    ``margin_to_target = lower bound − threshold``. The verdict mapping is in the module docstring.
    """
    if not 0.0 < float(threshold) <= 1.0:
        raise TargetError(f"a census rate target must be a share in (0, 1] (0.80 for 80%); found {threshold!r}")
    if comparison not in _COMPARISONS:
        raise TargetError(f"unknown comparison {comparison!r}; expected one of {sorted(_COMPARISONS)}")
    if rule not in VERDICT_RULES:
        raise TargetError(f"unknown verdict rule {rule!r}; expected one of {sorted(VERDICT_RULES)}")
    if math.isnan(rate.rate):
        raise TargetError(f"cannot judge '{rate.measure_id}': no returned form has an answer")
    reaches = _COMPARISONS[comparison]
    if reaches(rate.lower_bound, threshold):
        verdict = "met"
    elif reaches(rate.rate, threshold):
        verdict = "met_within_margin"
    elif reaches(rate.upper_bound, threshold):
        verdict = "not_met_within_margin"
    else:
        verdict = "not_met"
    domain = {rate.domain_variable: rate.domain_value} if rate.domain_variable else {}
    return TargetCheck(
        threshold=float(threshold), comparison=comparison, rule=rule, estimate=rate.rate, std_error=0.0,
        ci_low=rate.lower_bound, ci_high=rate.upper_bound, level=1.0, df=math.inf, ci_method="nonresponse_bounds",
        margin_of_error=0.0, margin_to_target=rate.lower_bound - float(threshold), t_statistic=math.nan,
        p_value=math.nan, verdict=verdict, target_met=verdict in VERDICT_RULES[rule], respondents=rate.answered,
        design_effect=math.nan, additional_respondents=None, label=label or rate.measure_id, domain=domain,
    )
