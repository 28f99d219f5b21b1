"""weightipy (the RIM weighting of quantipy), raking only.

weightipy's public ``weightipy.weight(frame, scheme_from_dict({variable: {category: percent}}))``
always rakes from unit base weights (``Rim`` sets the starting weight to 1 for every row), which is
a different problem from raking design weights. So the benchmark follows ``weight()`` step by step
(copy the frame, make the margin columns categorical) and then runs the engine behind it,
``weightipy.internal.rim.Rake(frame, targets, weight_column_name=...)``, with the design weights
set as the starting weights before ``start()``. Targets are percentages (weightipy scales them to
the row count, so its weights sum to n; they are rescaled to the population total afterwards,
untimed); the starting weights are likewise scaled to mean 1, as weightipy's stopping rule
assumes (timed). Stopping rule, weightipy's own: iterate until the summed absolute weight change stops
falling by at least ``convcrit`` (1%) per sweep, i.e. to about machine precision here; it has no
tolerance on the margins.

Re-raking builds the categorical frame once (untimed) and times ``Rake(...).start()`` with the
alternative targets.
"""
from __future__ import annotations

import contextlib
import io
from importlib import metadata

import weightipy
from weightipy.internal.rim import Rake


def version() -> str:
    return f"weightipy {metadata.version('weightipy')}"


def _targets(margins):
    targets = []
    for variable, series in margins.items():
        total = float(series.sum())
        targets.append({variable: {str(k): 100.0 * float(v) / total for k, v in series.items()}})
    return targets


def _start(categorical, base_weights, targets):
    engine = Rake(categorical, targets, weight_column_name="__weight__", max_iterations=1000)
    # weightipy works on weights of mean 1 (its stopping rule compares absolute changes with 1e6)
    engine.dataframe["__weight__"] = base_weights * (len(base_weights) / base_weights.sum())
    with contextlib.redirect_stdout(io.StringIO()):  # weightipy prints its convergence notes
        engine.start()
    return engine.dataframe["__weight__"].to_numpy()


def _categorical(frame, variables):
    categorical = frame[variables].copy()
    for variable in variables:
        categorical[variable] = categorical[variable].astype("category")
    return categorical


def _extract(frame, margins):
    total = float(next(iter(margins.values())).sum())
    return lambda weights: {"weights": weights * total / weights.sum()}


def rake(frame, spec):
    margins = spec["margins"]
    targets = _targets(margins)
    base = frame["weight"].to_numpy()

    def run():
        return _start(_categorical(frame, list(margins)), base.copy(), targets)

    return run, _extract(frame, margins)


def rerake(frame, spec):
    categorical = _categorical(frame, list(spec["margins"]))
    base = frame["weight"].to_numpy()
    _start(categorical, base.copy(), _targets(spec["margins"]))
    targets = _targets(spec["alternative_margins"])
    return (lambda: _start(categorical, base.copy(), targets)), _extract(frame, spec["alternative_margins"])


WORKLOADS = {"rake": rake, "rerake": rerake}
