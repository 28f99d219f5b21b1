"""Estimators: means, totals, ratios, proportions and quantiles, for a design or many domains at once.

Every estimator is a smooth function of weighted domain totals (R ``survey`` 4.1.1 conventions):

* total ``T(y) = Σ w y``; mean ``T(y)/T(1)`` (a "ratio mean": Σw is estimated, not N);
  ratio ``T(y)/T(z)``.
* Linearization designs: the estimator hands influence values to :mod:`surveys.design.variance` —
  total ``x_i = w_i y_i``, mean ``x_i = w_i (y_i − ȳ)/Σw``, ratio ``x_i = w_i (y_i − R̂ z_i)/Ẑ`` —
  with ``x = 0`` outside the domain (domains zero the weights, never drop rows).
* Replicate designs: the estimator is recomputed with each replicate's weights and
  ``V = scale · Σ_r rscale_r (θ_r − θ̄)²`` (see :mod:`surveys.design.replicate`).
* Design effect (``deff=True``): V / V_srs with s² = [Σ w (v − v̄)²/Σw]·n/(n−1) over the n rows of the
  domain with a non-zero weight and a value, N̂ = Σw; mean V_srs = s²(N̂ − n)/(N̂ n), total
  V_srs = s² N̂²(N̂ − n)/(N̂ n); ``deff="replace"`` drops (N̂ − n)/N̂. A ratio uses the total formula on
  v = (y − R̂ z)/Ẑ (R: ``deff(svytotal(r, design))``).
* Intervals: mean/total/ratio use the normal quantile (R's ``confint``) unless ``df=`` is given;
  proportions (CI registry :mod:`surveys.estimation.ci`) and quantiles (Woodruff) use t on the design's degrees
  of freedom (``degf`` of the domain) unless ``df=`` is given.

Many domains (``design.by(...)``) are computed in one grouped pass: domain totals are one
``np.bincount`` over domain codes, and the variance one ``bincount`` over (domain × PSU) codes.
Validated against R survey 4.1.1 (tests/reference/r_survey, 192 published cases).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from surveys.columns import combine_codes, float_values, require_columns
from surveys.errors import DesignError, EstimationError
from surveys.estimation.ci import CI_METHODS, ProportionSummary, proportion_interval
from surveys.estimation.quantile import QUANTILE_RULES
from surveys.estimation.results import Estimate, EstimateTable

__all__ = ["Domains", "DomainCodes", "whole_design", "estimate_mean", "estimate_total", "estimate_ratio",
           "estimate_proportion", "estimate_quantile", "check_level", "critical_value", "numeric_column"]


# ---------------------------------------------------------------------------------------------
# domains
@dataclass(frozen=True)
class DomainCodes:
    """Each row's domain (``-1`` = in none), the number of domains and their labels; ``rows`` the number of rows
    of each domain when known (None: count them)."""

    codes: np.ndarray
    count: int
    labels: tuple[Mapping[str, Any], ...]
    by: tuple[str, ...] = ()
    whole_design: bool = False  # one domain holding every row (the fast path)
    rows: np.ndarray | None = None


def whole_design(design: Any) -> DomainCodes:
    """The one domain of a design: every row (or the rows of its ``subset``)."""
    mask = design.domain_mask
    n = len(design.data)
    if mask is None:
        return DomainCodes(codes=np.zeros(n, dtype=np.int64), count=1, labels=({},), whole_design=True,
                           rows=np.array([n]))
    return DomainCodes(codes=np.where(mask, 0, -1).astype(np.int64), count=1, labels=({},))


# Up to this many possible combinations of the ``by`` values (or 4 per row) the domains are found with one
# bincount over the combination codes; beyond, pairs of columns are compacted one after the other.
_DENSE_COMBINATIONS = 1 << 22


def _domain_codes(design: Any, columns: Sequence[str]) -> DomainCodes:
    """One code per combination of the ``by`` columns present in the design (sorted order)."""
    require_columns(design.data, columns, "by")
    encoded = design.encode_columns(columns)
    sizes = [max(len(uniques), 1) for _, uniques in encoded]
    outside = None if design.domain_mask is None else ~design.domain_mask
    for codes, _ in encoded:
        if (codes < 0).any():
            outside = codes < 0 if outside is None else (outside | (codes < 0))
    space = math.prod(sizes)
    if space > max(_DENSE_COMBINATIONS, 4 * len(design.data)):
        return _sparse_domain_codes(encoded, columns, outside)
    # the combination's code in mixed radix (sorted order of the combinations); rows outside any domain get the
    # extra code ``space``; one bincount finds the combinations present and their rows
    combined = encoded[0][0]  # the design's codes: not to be changed; a new array once there is more to it
    for (codes, _), size in zip(encoded[1:], sizes[1:]):
        combined = combined * size
        combined += codes
    if outside is not None:
        combined = np.where(outside, space, combined)
    counts = np.bincount(combined, minlength=space + 1)[:space]
    present = np.flatnonzero(counts)
    if not len(present):
        raise DesignError(f"no rows have values of {list(columns)} inside this design; nothing to estimate by")
    if len(present) < space or outside is not None:
        lookup = np.full(space + 1, -1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        own = combined is not encoded[0][0] and combined.dtype == np.int64
        combined = np.take(lookup, combined, out=combined if own else None)
    positions: list[np.ndarray] = []
    remainder = present
    for size in reversed(sizes):
        remainder, position = np.divmod(remainder, size)
        positions.insert(0, position)
    return DomainCodes(codes=combined, count=len(present), labels=_labels(encoded, columns, positions),
                       by=tuple(columns), rows=counts[present])


def _sparse_domain_codes(encoded: list[tuple[np.ndarray, np.ndarray]], columns: Sequence[str],
                         outside: np.ndarray | None) -> DomainCodes:
    """:func:`_domain_codes` for combinations too many to count in one table: columns are combined pairwise."""
    combined, count = np.maximum(encoded[0][0], 0), max(len(encoded[0][1]), 1)
    for codes, uniques in encoded[1:]:
        combined, count = combine_codes(combined, count, np.maximum(codes, 0), max(len(uniques), 1))
    if outside is not None:
        combined = np.where(outside, -1, combined)
    present = _counts(combined, count) > 0
    if not present.any():
        raise DesignError(f"no rows have values of {list(columns)} inside this design; nothing to estimate by")
    if not present.all():
        lookup = np.concatenate(([-1], np.cumsum(present) - 1))
        combined = lookup[combined + 1]
    domains = int(present.sum())
    positions = []
    for codes, _ in encoded:
        of_domain = np.zeros(domains + 1, dtype=np.int64)
        of_domain[combined + 1] = codes
        positions.append(of_domain[1:])
    return DomainCodes(codes=combined, count=domains, labels=_labels(encoded, columns, positions), by=tuple(columns))


def _labels(encoded: list[tuple[np.ndarray, np.ndarray]], columns: Sequence[str],
            positions: list[np.ndarray]) -> tuple[Mapping[str, Any], ...]:
    """Each domain's values of the ``by`` columns, from the position of its value in each column's values."""
    values = [[_plain(uniques[p]) for p in position.tolist()] for (_, uniques), position in zip(encoded, positions)]
    return tuple(dict(zip(columns, combination)) for combination in zip(*values))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------------------------------------
# input checks
def numeric_column(design: Any, variable: str) -> np.ndarray:
    """The design's column ``variable`` as float64 (NaN = missing); an error names a non-numeric column."""
    require_columns(design.data, [variable], "variable")
    series = design.data[variable]
    try:
        return float_values(series)
    except (TypeError, ValueError):
        raise EstimationError(
            f"expected a numeric (or 0/1, boolean) column for {variable!r}, found dtype {series.dtype}; "
            f"recode it to numbers first"
        ) from None


def check_level(level: float) -> float:
    """``level`` as a float in (0, 1), or an error."""
    if not (0.0 < float(level) < 1.0):
        raise EstimationError(f"expected a confidence level between 0 and 1 (e.g. 0.95), found {level!r}")
    return float(level)


def _check_deff(deff: Any) -> Any:
    if deff is None or deff is False:
        return False
    if deff is True or (isinstance(deff, str) and deff == "replace"):
        return deff
    raise EstimationError(f"expected deff=False, True or 'replace', found {deff!r}")


def critical_value(level: float, df: float | None) -> float:
    """``qt(1 − α/2, df)``: normal for ``df`` None or infinite, NaN without degrees of freedom."""
    tail = 1.0 - (1.0 - level) / 2.0
    if df is None or math.isinf(df):
        return float(stats.norm.ppf(tail))
    if not df > 0:
        return math.nan
    return float(stats.t.ppf(tail, df))


def _domain_name(spec: DomainCodes, index: int) -> str:
    label = spec.labels[index]
    return "the design" if not label else "domain " + ", ".join(f"{k}={v!r}" for k, v in label.items())


# ---------------------------------------------------------------------------------------------
# the shared core
@dataclass(frozen=True)
class _Sample:
    """Rows used by an estimator.

    ``use``: full-length domain codes (−1 = not used: outside every domain, or missing with
    ``na_rm``); ``rows``: positions of the used rows (``None`` = every row, the fast path);
    ``codes``: the domain code of each used row; ``domain_rows``: rows per domain before missing
    values are dropped; ``undefined``: domains with a missing value and ``na_rm=False`` (R: NA).
    """

    use: np.ndarray
    rows: np.ndarray | None
    codes: np.ndarray
    respondents: np.ndarray
    domain_rows: np.ndarray
    undefined: np.ndarray
    used_rows: np.ndarray  # rows with a value per domain, zero weights included (replicate deff's n)
    single: bool = False  # one domain, every row used: sums are plain sums

    def per_row(self, per_domain: np.ndarray) -> np.ndarray | float:
        """Each used row's value of a per-domain quantity."""
        return per_domain[0] if self.single else per_domain[self.codes]

    def take(self, values: np.ndarray) -> np.ndarray:
        return values if self.rows is None else values[self.rows]

    def full(self, values: np.ndarray) -> np.ndarray:
        if self.rows is None:
            return values
        out = np.zeros(len(self.use))
        out[self.rows] = values
        return out


def _counts(codes: np.ndarray, count: int) -> np.ndarray:
    """Rows per domain code, −1 ignored, without compressing the array."""
    return np.bincount(codes + 1, minlength=count + 1)[1:]


def _sample(design: Any, spec: DomainCodes, arrays: Sequence[np.ndarray], na_rm: bool, what: str) -> _Sample:
    codes = spec.codes
    count = spec.count
    domain_rows = spec.rows if spec.rows is not None else _counts(codes, count)
    missing = None
    for array in arrays:
        flags = np.isnan(array)
        missing = flags if missing is None else (missing | flags)
    undefined = np.zeros(count, dtype=bool)
    if missing is not None and missing.any():
        use = np.where(missing, -1, codes)
        if not na_rm:
            undefined = _counts(np.where(missing, codes, -1), count) > 0
    else:
        use = codes
    weights = design.analysis_weights()
    if domain_rows.sum() == len(codes) and use is codes:
        rows = None
        used_codes = codes
        used_rows = domain_rows
        respondents = domain_rows if (weights != 0).all() else _counts(np.where(weights != 0, codes, -1), count)
    else:
        rows = np.flatnonzero(use >= 0)
        used_codes = use[rows]
        used_rows = np.bincount(used_codes, minlength=count)
        respondents = np.bincount(used_codes[weights[rows] != 0], minlength=count)
    empty = (respondents == 0) & ~undefined
    if empty.any():
        index = int(np.flatnonzero(empty)[0])
        raise DesignError(
            f"{_domain_name(spec, index)} has no respondents with a value of {what} (and a non-zero "
            f"weight); drop that domain or merge it with another"
        )
    return _Sample(use=use, rows=rows, codes=used_codes, respondents=respondents, domain_rows=domain_rows,
                   undefined=undefined, used_rows=used_rows, single=(rows is None and count == 1))


def _sums(sample: _Sample, values: np.ndarray, count: int) -> np.ndarray:
    if sample.single:
        return np.array([np.sum(values)])
    return np.bincount(sample.codes, weights=values, minlength=count)


@dataclass(frozen=True)
class _Fit:
    estimate: np.ndarray
    variance: np.ndarray
    design_effect: np.ndarray
    replicates: np.ndarray | None
    sample: _Sample
    kish_effective_size: np.ndarray  # (Σw)² / Σw² over the respondents used, per domain


def _kish(sample: _Sample, weights: np.ndarray, count: int, total: np.ndarray | None = None) -> np.ndarray:
    """Kish's effective sample size ``(Σw)² / Σw²`` per domain over the rows with a value (the base); ``total``
    is Σw per domain when it is known."""
    total = _sums(sample, weights, count) if total is None else total
    squares = _sums(sample, weights * weights, count)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(squares > 0, total * total / squares, 0.0)


def _ratio_family(design: Any, statistic: str, y: np.ndarray, z: np.ndarray | None, spec: DomainCodes,
                  na_rm: bool, deff: Any, what: str) -> _Fit:
    """Totals, means and ratios per domain with their design variance (and deff)."""
    sample = _sample(design, spec, [y] if z is None else [y, z], na_rm, what)
    count = spec.count
    weights = sample.take(design.analysis_weights())
    ys = sample.take(y)
    zs = None if z is None else sample.take(z)
    total_y = _sums(sample, weights * ys, count)
    if statistic == "total":
        estimate, total_z = total_y, None
        linear = ys
    else:
        total_z = _sums(sample, weights if zs is None else weights * zs, count)
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = total_y / total_z
            linear = (ys - sample.per_row(estimate) * (1.0 if zs is None else zs)) / sample.per_row(total_z)
    replicates = None
    if design.is_replicate:
        rep_y = design.replicate_totals(sample.full(ys), sample.use, count)
        if statistic == "total":
            replicates = rep_y
        else:
            rep_z = design.replicate_totals(sample.full(np.ones_like(ys) if zs is None else zs), sample.use, count)
            with np.errstate(divide="ignore", invalid="ignore"):
                replicates = rep_y / rep_z
        variance = design.replicate_variance(replicates, estimate)
    else:
        variance = design.domain_variance(sample.full(weights * linear), sample.use, count)
    design_effect = np.full(count, np.nan)
    if deff:
        spread = ys if statistic in ("mean", "total") else linear
        with np.errstate(divide="ignore", invalid="ignore"):
            design_effect = variance / _srs_variance(sample, weights, spread, count, statistic, deff,
                                                     design.is_replicate)
    undefined = sample.undefined
    if undefined.any():
        estimate = np.where(undefined, np.nan, estimate)
        variance = np.where(undefined, np.nan, variance)
        design_effect = np.where(undefined, np.nan, design_effect)
    return _Fit(estimate=estimate, variance=variance, design_effect=design_effect, replicates=replicates, sample=sample,
                kish_effective_size=_kish(sample, weights, count, total_z if zs is None else None))


def _srs_variance(sample: _Sample, weights: np.ndarray, values: np.ndarray, count: int, statistic: str,
                  deff: Any, replicate: bool = False) -> np.ndarray:
    """Variance under simple random sampling of the same size (R's deff denominator).

    n counts the rows with a non-zero weight (linearization) or every row of the domain's design
    object (replicate designs, as R's ``svyvar.svyrep.design``).
    """
    n = (sample.used_rows if replicate else sample.respondents).astype(float)
    population = _sums(sample, weights, count)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = _sums(sample, weights * values, count) / population
        spread = _sums(sample, weights * (values - sample.per_row(centre)) ** 2, count) / population * n / (n - 1.0)
        if statistic == "mean":
            if deff == "replace":
                return spread / n
            srs = spread * (population - n) / (population * n)
            return np.where(population < n, np.nan, srs)
        if deff == "replace":
            return spread * population**2 / n
        return spread * population**2 * (population - n) / (population * n)


def _design_df(design: Any, spec: DomainCodes) -> np.ndarray:
    if spec.whole_design:
        return np.array([design.degrees_of_freedom])
    return np.asarray(design.domain_degrees_of_freedom(spec.codes, spec.count), dtype=float)


def _wald_records(design: Any, spec: DomainCodes, fit: _Fit, statistic: str, variable: str, level: float,
                  df: float | None) -> list[Estimate]:
    design_df = _design_df(design, spec)
    used_df = math.inf if df is None else float(df)
    critical = critical_value(level, used_df)
    std_error = np.sqrt(fit.variance)
    records = []
    for index in range(spec.count):
        estimate, se = float(fit.estimate[index]), float(std_error[index])
        records.append(
            Estimate(
                estimate=estimate, std_error=se, ci_low=estimate - critical * se, ci_high=estimate + critical * se,
                df=used_df, design_effect=float(fit.design_effect[index]),
                respondents=int(fit.sample.respondents[index]), ci_method="wald", level=level,
                statistic=statistic, variable=variable, domain=dict(spec.labels[index]),
                extras={"design_df": float(design_df[index]),
                        "kish_effective_size": float(fit.kish_effective_size[index])},
            )
        )
    return records


# ---------------------------------------------------------------------------------------------
# public estimator functions (one row per domain)
def estimate_mean(design: Any, variable: str, spec: DomainCodes, *, deff: Any = False, na_rm: bool = False,
                  level: float = 0.95, df: float | None = None) -> list[Estimate]:
    level, deff = check_level(level), _check_deff(deff)
    fit = _ratio_family(design, "mean", numeric_column(design, variable), None, spec, na_rm, deff, repr(variable))
    return _wald_records(design, spec, fit, "mean", variable, level, df)


def estimate_total(design: Any, variable: str, spec: DomainCodes, *, deff: Any = False, na_rm: bool = False,
                   level: float = 0.95, df: float | None = None) -> list[Estimate]:
    level, deff = check_level(level), _check_deff(deff)
    fit = _ratio_family(design, "total", numeric_column(design, variable), None, spec, na_rm, deff, repr(variable))
    return _wald_records(design, spec, fit, "total", variable, level, df)


def estimate_ratio(design: Any, numerator: str, denominator: str, spec: DomainCodes, *, deff: Any = False,
                   na_rm: bool = False, level: float = 0.95, df: float | None = None) -> list[Estimate]:
    level, deff = check_level(level), _check_deff(deff)
    y, z = numeric_column(design, numerator), numeric_column(design, denominator)
    fit = _ratio_family(design, "ratio", y, z, spec, na_rm, deff, f"{numerator!r} and {denominator!r}")
    return _wald_records(design, spec, fit, "ratio", f"{numerator}/{denominator}", level, df)


def estimate_proportion(design: Any, variable: str, spec: DomainCodes, *, ci_method: str = "logit",
                        level: float = 0.95, df: float | None = None, na_rm: bool = False,
                        deff: Any = False) -> list[Estimate]:
    """Weighted share of a 0/1 (or boolean) variable; interval from :data:`surveys.estimation.ci.CI_METHODS`."""
    level, deff = check_level(level), _check_deff(deff)
    if ci_method not in CI_METHODS:
        raise EstimationError(
            f"unknown ci_method {ci_method!r}; expected one of {', '.join(CI_METHODS)}"
        )
    y = numeric_column(design, variable)
    # y(y − 1) is 0 for 0 and 1 only (NaN for a missing value): one product to check, the mask only when needed
    bad = ~np.isnan(y) & (y != 0) & (y != 1) if np.count_nonzero(y * (y - 1.0)) else None
    if bad is not None and bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise EstimationError(
            f"expected a 0/1 or boolean column for the proportion of {variable!r}, found {y[first]!r} at row "
            f"{first}; recode it (e.g. satisfied = answer >= 4) first"
        )
    fit = _ratio_family(design, "mean", y, None, spec, na_rm, deff, repr(variable))
    design_df = _design_df(design, spec)
    rows = design.domain_rows(fit.sample.domain_rows)
    std_error = np.sqrt(fit.variance)
    logit_se = _replicate_logit_std_error(design, fit) if design.is_replicate else None
    records = []
    for index in range(spec.count):
        p, se = float(fit.estimate[index]), float(std_error[index])
        used_df = float(design_df[index]) if df is None else float(df)
        y_used = weights_used = None
        if ci_method == "likelihood":
            y_used, weights_used = _likelihood_rows(design, spec, fit.sample, y, index)
        if math.isnan(p):
            low = high = math.nan
        else:
            summary = ProportionSummary(
                estimate=p, std_error=se, df=used_df, level=level, design_df=float(design_df[index]),
                rows=int(rows[index]), y=y_used, weights=weights_used,
                logit_std_error=None if logit_se is None else float(logit_se[index]),
            )
            low, high = proportion_interval(summary, ci_method)
        records.append(
            Estimate(
                estimate=p, std_error=se, ci_low=float(low), ci_high=float(high), df=used_df,
                design_effect=float(fit.design_effect[index]), respondents=int(fit.sample.respondents[index]),
                ci_method=ci_method, level=level, statistic="proportion", variable=variable,
                domain=dict(spec.labels[index]), extras={"design_df": float(design_df[index]),
                                                         "kish_effective_size": float(fit.kish_effective_size[index])},
            )
        )
    return records


def _replicate_logit_std_error(design: Any, fit: _Fit) -> np.ndarray:
    """SE of logit(p̂) from the replicate refits (the intercept-only glm's MLE is logit of the mean)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        replicate_logits = np.log(fit.replicates / (1.0 - fit.replicates))
        full_logit = np.log(fit.estimate / (1.0 - fit.estimate))
    return np.sqrt(design.replicate_variance(replicate_logits, full_logit))


def _likelihood_rows(design: Any, spec: DomainCodes, sample: _Sample, y: np.ndarray, index: int):
    """y and weights of the rows of R's design object for domain ``index`` (missing values dropped).

    R keeps every row of an adjusted (calibrated) linearization design, with zero weights outside
    the domain; otherwise a domain's design object holds only the domain's rows.
    """
    weights = design.analysis_weights()
    in_domain = sample.use == index
    if not design.is_replicate and design.adjustments:
        keep = ~np.isnan(y)
        return y[keep], np.where(in_domain, weights, 0.0)[keep]
    return y[in_domain], weights[in_domain]


def estimate_quantile(design: Any, variable: str, quantile: float, spec: DomainCodes, *, rule: str = "math",
                      level: float = 0.95, na_rm: bool = False, df: float | None = None) -> list[Estimate]:
    """Weighted quantile with a Woodruff interval (R ``svyquantile(..., ci=TRUE)``, survey ≥ 4.1).

    p̃ = mean of I(x ≤ q̂) with its design SE; (a, b) = p̃ ∓ t·SE with t on the design df (or ``df``);
    interval = (Q(a), Q(b)) by the same rule; std_error = (upper − lower) / (2 t). With ``na_rm``
    the t quantile uses the df of the rows with a value (R drops them from the design first);
    ``extras["design_df"]`` stays the df of the design as passed.
    """
    level = check_level(level)
    if rule not in QUANTILE_RULES:
        raise EstimationError(f"unknown quantile rule {rule!r}; expected one of {', '.join(QUANTILE_RULES)}")
    if not (0.0 <= float(quantile) <= 1.0):
        raise EstimationError(f"expected a quantile between 0 and 1 (e.g. 0.5 for the median), found {quantile!r}")
    rule_function = QUANTILE_RULES[rule]
    y = numeric_column(design, variable)
    sample = _sample(design, spec, [y], na_rm, repr(variable))
    weights = design.analysis_weights()
    positions = np.arange(len(y)) if sample.rows is None else sample.rows
    order = positions[np.argsort(sample.codes, kind="stable")]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(sample.codes, minlength=spec.count))))
    estimates = np.full(spec.count, np.nan)
    for index in range(spec.count):
        if sample.undefined[index]:
            continue
        rows = order[bounds[index]:bounds[index + 1]]
        estimates[index] = rule_function(y[rows], weights[rows], np.array([quantile]))[0]
    below = np.where(np.isnan(y), np.nan, (y <= estimates[np.maximum(sample.use, 0)]).astype(float))
    fit = _ratio_family(design, "mean", below, None, spec, True, False, repr(variable))
    design_df = _design_df(design, spec)
    # R's svyquantile drops the missing rows from the design before it takes degf() for t
    interval_df = design_df if sample.use is spec.codes else np.asarray(
        design.domain_degrees_of_freedom(sample.use, spec.count), dtype=float)
    records = []
    for index in range(spec.count):
        used_df = float(interval_df[index]) if df is None else float(df)
        critical = critical_value(level, used_df)
        share, se = float(fit.estimate[index]), float(np.sqrt(fit.variance[index]))
        low = high = math.nan
        if not math.isnan(estimates[index]):
            rows = order[bounds[index]:bounds[index + 1]]
            low, high = rule_function(y[rows], weights[rows], np.array([share - critical * se, share + critical * se]))
        records.append(
            Estimate(
                estimate=float(estimates[index]), std_error=float((high - low) / (2.0 * critical)),
                ci_low=float(low), ci_high=float(high), df=used_df,
                respondents=int(sample.respondents[index]), ci_method="woodruff", level=level,
                statistic="quantile", variable=variable, domain=dict(spec.labels[index]),
                extras={"design_df": float(design_df[index]), "quantile": float(quantile), "rule": rule},
            )
        )
    return records


class Domains:
    """Estimators per domain of a design; each method returns one :class:`EstimateTable` row per domain.

    Identical to ``design.subset(...)`` level by level, computed in one grouped pass.
    """

    def __init__(self, design: Any, by: str | Sequence[str]) -> None:
        columns = [by] if isinstance(by, str) else [str(c) for c in by]
        if not columns:
            raise DesignError("expected at least one column to estimate by, found none")
        self._design = design
        self._spec = _domain_codes(design, columns)

    @property
    def by(self) -> tuple[str, ...]:
        return self._spec.by

    @property
    def labels(self) -> tuple[Mapping[str, Any], ...]:
        return self._spec.labels

    def __len__(self) -> int:
        return self._spec.count

    def _table(self, records: list[Estimate]) -> EstimateTable:
        return EstimateTable(records, by=self._spec.by)

    def mean(self, variable: str, **kw: Any) -> EstimateTable:
        return self._table(estimate_mean(self._design, variable, self._spec, **kw))

    def total(self, variable: str, **kw: Any) -> EstimateTable:
        return self._table(estimate_total(self._design, variable, self._spec, **kw))

    def ratio(self, numerator: str, denominator: str, **kw: Any) -> EstimateTable:
        return self._table(estimate_ratio(self._design, numerator, denominator, self._spec, **kw))

    def proportion(self, variable: str, **kw: Any) -> EstimateTable:
        return self._table(estimate_proportion(self._design, variable, self._spec, **kw))

    def quantile(self, variable: str, quantile: float, **kw: Any) -> EstimateTable:
        return self._table(estimate_quantile(self._design, variable, quantile, self._spec, **kw))
