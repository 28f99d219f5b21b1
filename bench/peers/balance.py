"""balance (Meta), raking only: its bare rake function, the fastest peer path for raking.

``balance.weighting_methods.rake.rake(sample_df, sample_weights, target_df, target_weights,
variables=[...], transformations=None, convergence_rate=1e-6, rate_tolerance=0.0,
max_iteration=1000)``:
balance collapses the sample to the full cross-classification of the margin variables (a dense
12 x 2 x 6 table), runs IPF on it and merges the cell factors back onto the rows. Its
``convergence_rate`` is the largest relative misfit |achieved / target - 1| over all margin
categories, the same rule as the toolkit's tolerance; ``rate_tolerance=0`` stops it from ending
early on a slow step. ``transformations=None`` keeps the string categories as they are (the
default would bin and lump). The returned weights sum to the target total.

Re-raking calls the same function with the alternative margins on frames already sliced to the
margin variables (balance has no design object to keep between calls).
"""
from __future__ import annotations

import logging
from importlib import metadata

import balance
import numpy as np
import pandas as pd
from balance.weighting_methods.rake import rake as balance_rake

logging.getLogger("balance").setLevel(logging.ERROR)


def version() -> str:
    return f"balance {metadata.version('balance')}"


def _margins(margins):
    """The margins as a target frame: the full cross-classification, weighted so its margins match."""
    variables = list(margins)
    grids = np.meshgrid(*[np.arange(len(margins[v])) for v in variables], indexing="ij")
    total = float(margins[variables[0]].sum())
    frame = pd.DataFrame({v: margins[v].index.to_numpy()[g.ravel()] for v, g in zip(variables, grids)})
    weight = np.full(len(frame), total)
    for v, g in zip(variables, grids):
        weight *= (margins[v].to_numpy() / total)[g.ravel()]
    return frame, pd.Series(weight)


def _rake(sample, weights, margins, tolerance):
    target, target_weights = margins
    return balance_rake(
        sample, weights, target, target_weights, variables=list(target.columns),
        transformations=None, convergence_rate=tolerance, rate_tolerance=0.0, max_iteration=1000,
    )


def rake(frame, spec):
    margins = _margins(spec["margins"])

    def run():
        return _rake(frame[list(spec["margins"])], frame["weight"], margins, spec["tolerance"])

    return run, lambda result: {"weights": result["weight"].sort_index().to_numpy()}


def rerake(frame, spec):
    sample = frame[list(spec["margins"])].copy()
    weights = frame["weight"].copy()
    _rake(sample, weights, _margins(spec["margins"]), spec["tolerance"])
    margins = _margins(spec["alternative_margins"])
    return (lambda: _rake(sample, weights, margins, spec["tolerance"])), (
        lambda result: {"weights": result["weight"].sort_index().to_numpy()}
    )


WORKLOADS = {"rake": rake, "rerake": rerake}
