"""The "numpy floor": each workload as plain grouped sums in numpy, string encoding included.

Not a survey tool: a reference for how fast the arithmetic itself can be (the strings are encoded
with pandas' string hash table, everything after it is numpy). Conventions follow R ``survey``:

* proportion: p = sum(w y) / sum(w); influence z_i = w_i (y_i - p) / sum(w); PSU totals z_hj;
  V = sum_h n_h / (n_h - 1) * sum_j (z_hj - mean_h z)^2 (with-replacement at the PSU level);
* logit CI: expit(logit(p) -/+ t_{df} * se / (p (1 - p))), df = PSUs - strata (among rows with
  non-zero weight in the domain), as ``svyciprop(method="logit")``;
* domains: the same with the weights zeroed outside the domain (one pass over the rows for all);
* bootstrap: Rao-Wu rescaled bootstrap (n_h - 1 PSUs drawn with replacement per stratum),
  multipliers held as a replicates x PSUs matrix, SE^2 = sum_r (p_r - mean p_r)^2 / (R - 1);
* raking: respondents collapsed to the cells of the margin variables (the full 12 x 2 x 6 grid),
  iterative proportional fitting on the cell totals until every margin is within the relative
  tolerance (max |achieved - N| / N), then each row's weight times its cell's factor.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas._libs import hashtable
from scipy import special, stats


def version() -> str:
    return f"numpy {np.__version__}, pandas {pd.__version__}"


def _encode(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes in order of first appearance; strings go straight to pandas' C string hash table
    (about twice as fast as ``pd.factorize`` on object arrays), anything else to ``pd.factorize``."""
    if values.dtype == object:
        try:
            uniques, codes = hashtable.StringHashTable(min(len(values), 1 << 16)).factorize(values)
            if not (codes < 0).any():
                return codes.astype(np.int64), uniques
        except (TypeError, ValueError):
            pass
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), np.asarray(uniques)


def _design(frame: pd.DataFrame):
    strata, strata_labels = _encode(frame["district"].to_numpy())
    psu_raw, psu_labels = _encode(frame["psu"].to_numpy())
    # nest=True: a PSU is identified by (stratum, PSU id); renumber the pairs present 0..n_psus-1
    combined = strata * len(psu_labels) + psu_raw
    present = np.zeros(len(strata_labels) * len(psu_labels), dtype=bool)
    present[combined] = True
    psu = (np.cumsum(present) - 1)[combined]
    n_psus = int(present.sum())
    psu_stratum = np.empty(n_psus, dtype=np.int64)
    psu_stratum[psu] = strata
    return strata, len(strata_labels), psu, n_psus, psu_stratum


def _logit_interval(p, std_error, df, level=0.95):
    quantile = stats.t.ppf(0.5 + level / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = special.logit(p)
        half = quantile * std_error / (p * (1 - p))
        return special.expit(centre - half), special.expit(centre + half)


def _stratified_variance(psu_totals, psu_stratum, n_strata):
    """psu_totals: (PSUs,) or (PSUs, k). With-replacement variance of the column totals."""
    totals = psu_totals.reshape(len(psu_stratum), -1)
    counts = np.bincount(psu_stratum, minlength=n_strata).astype(float)
    sums = np.zeros((n_strata, totals.shape[1]))
    np.add.at(sums, psu_stratum, totals)
    deviations = totals - (sums / counts[:, None])[psu_stratum]
    squares = np.zeros((n_strata, totals.shape[1]))
    np.add.at(squares, psu_stratum, deviations**2)
    return ((counts / (counts - 1))[:, None] * squares).sum(axis=0)


def overall(frame, spec):
    def run():
        strata, n_strata, psu, n_psus, psu_stratum = _design(frame)
        y = frame["satisfied"].to_numpy(dtype=float)
        w = frame["weight"].to_numpy(dtype=float)
        total = w.sum()
        p = (w * y).sum() / total
        psu_totals = np.bincount(psu, weights=w * (y - p) / total, minlength=n_psus)
        std_error = float(np.sqrt(_stratified_variance(psu_totals, psu_stratum, n_strata)[0]))
        low, high = _logit_interval(p, std_error, n_psus - n_strata, spec["level"])
        return {"estimate": float(p), "std_error": std_error, "ci_low": float(low), "ci_high": float(high)}

    return run, lambda result: result


def domains(frame, spec):
    def run():
        strata, n_strata, psu, n_psus, psu_stratum = _design(frame)
        district, district_labels = _encode(frame["district"].to_numpy())
        mode, mode_labels = _encode(frame["mode"].to_numpy())
        domain = district * len(mode_labels) + mode
        n_domains = len(district_labels) * len(mode_labels)
        y = frame["satisfied"].to_numpy(dtype=float)
        w = frame["weight"].to_numpy(dtype=float)
        totals = np.bincount(domain, weights=w, minlength=n_domains)
        p = np.bincount(domain, weights=w * y, minlength=n_domains) / totals
        z = w * (y - p[domain]) / totals[domain]
        cell = psu * n_domains + domain
        psu_totals = np.bincount(cell, weights=z, minlength=n_psus * n_domains).reshape(n_psus, n_domains)
        std_error = np.sqrt(_stratified_variance(psu_totals, psu_stratum, n_strata))
        present = np.bincount(cell, minlength=n_psus * n_domains).reshape(n_psus, n_domains) > 0
        strata_present = np.zeros((n_strata, n_domains), dtype=bool)
        np.logical_or.at(strata_present, psu_stratum, present)
        df = present.sum(axis=0) - strata_present.sum(axis=0)
        low, high = _logit_interval(p, std_error, df, spec["level"])
        return district_labels, mode_labels, p, std_error, low, high

    def extract(result):
        district_labels, mode_labels, p, std_error, low, high = result
        rows = []
        for index in range(len(p)):
            rows.append(
                {
                    "district": str(district_labels[index // len(mode_labels)]),
                    "mode": str(mode_labels[index % len(mode_labels)]),
                    "estimate": float(p[index]),
                    "std_error": float(std_error[index]),
                    "ci_low": float(low[index]),
                    "ci_high": float(high[index]),
                }
            )
        return {"domains": rows}

    return run, extract


def bootstrap(frame, spec):
    replicates = spec["replicates"]

    def run():
        strata, n_strata, psu, n_psus, psu_stratum = _design(frame)
        y = frame["satisfied"].to_numpy(dtype=float)
        w = frame["weight"].to_numpy(dtype=float)
        psu_weight = np.bincount(psu, weights=w, minlength=n_psus)
        psu_weighted_y = np.bincount(psu, weights=w * y, minlength=n_psus)
        # PSUs ordered by stratum: stratum h owns positions start[h] .. start[h] + n_h - 1
        order = np.argsort(psu_stratum, kind="stable")
        counts = np.bincount(psu_stratum, minlength=n_strata)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        draw_stratum = np.repeat(np.arange(n_strata), counts - 1)
        rng = np.random.default_rng(spec["seed"])
        uniform = rng.random((replicates, len(draw_stratum)))
        picks = order[start[draw_stratum] + (uniform * counts[draw_stratum]).astype(np.int64)]
        flat = (np.arange(replicates)[:, None] * n_psus + picks).ravel()
        multiplicity = np.bincount(flat, minlength=replicates * n_psus).reshape(replicates, n_psus)
        multipliers = multiplicity * (counts / (counts - 1))[psu_stratum]
        estimates = (multipliers @ psu_weighted_y) / (multipliers @ psu_weight)
        p = psu_weighted_y.sum() / psu_weight.sum()
        std_error = float(np.sqrt(((estimates - estimates.mean()) ** 2).sum() / (replicates - 1)))
        return {"estimate": float(p), "std_error": std_error, "replicate_matrix_bytes": multipliers.nbytes}

    return run, lambda result: result


def _cells(frame, margins):
    """Encode the margin variables and give each row its cell of the full cross-classification."""
    variables = list(margins)
    row_cell = np.zeros(len(frame), dtype=np.int64)
    sizes = []
    for variable in variables:
        codes, uniques = _encode(frame[variable].to_numpy())
        position = margins[variable].index.get_indexer(uniques)
        if (position < 0).any():
            raise ValueError(f"{variable}: categories {list(uniques[position < 0])} have no margin")
        row_cell = row_cell * len(margins[variable]) + position[codes]
        sizes.append(len(margins[variable]))
    cell_codes = np.unravel_index(np.arange(int(np.prod(sizes))), sizes)
    return variables, row_cell, cell_codes, sizes


def _ipf(cell_weight, cell_codes, sizes, targets, tolerance, max_iterations=1000):
    adjusted = cell_weight.copy()
    for _ in range(max_iterations):
        for codes, size, target in zip(cell_codes, sizes, targets):
            achieved = np.bincount(codes, weights=adjusted, minlength=size)
            adjusted *= (target / achieved)[codes]
        misfit = max(
            np.max(np.abs(np.bincount(codes, weights=adjusted, minlength=size) - target) / target)
            for codes, size, target in zip(cell_codes, sizes, targets)
        )
        if misfit < tolerance:
            return adjusted
    raise RuntimeError(f"raking did not converge in {max_iterations} iterations (misfit {misfit:.3g})")


def _factors(adjusted, cell_weight):
    """Raking factor per cell (empty cells: 1, no row uses them)."""
    return np.divide(adjusted, cell_weight, out=np.ones_like(adjusted), where=cell_weight > 0)


def rake(frame, spec):
    margins = spec["margins"]

    def run():
        variables, row_cell, cell_codes, sizes = _cells(frame, margins)
        w = frame["weight"].to_numpy(dtype=float)
        cell_weight = np.bincount(row_cell, weights=w, minlength=len(cell_codes[0]))
        targets = [margins[variable].to_numpy(dtype=float) for variable in variables]
        adjusted = _ipf(cell_weight, cell_codes, sizes, targets, spec["tolerance"])
        return w * _factors(adjusted, cell_weight)[row_cell]

    return run, lambda weights: {"weights": weights}


def rerake(frame, spec):
    margins = spec["alternative_margins"]
    variables, row_cell, cell_codes, sizes = _cells(frame, spec["margins"])
    w = frame["weight"].to_numpy(dtype=float)
    cell_weight = np.bincount(row_cell, weights=w, minlength=len(cell_codes[0]))

    def run():
        targets = [margins[variable].to_numpy(dtype=float) for variable in variables]
        adjusted = _ipf(cell_weight, cell_codes, sizes, targets, spec["tolerance"])
        return w * _factors(adjusted, cell_weight)[row_cell]

    return run, lambda weights: {"weights": weights}


WORKLOADS = {"overall": overall, "domains": domains, "bootstrap": bootstrap, "rake": rake, "rerake": rerake}
