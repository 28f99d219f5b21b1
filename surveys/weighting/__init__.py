"""Weighting: post-stratification, raking, calibration and trimming of a design's weights (:mod:`methods`),
on raked cells (:mod:`raking`) or calibration equations (:mod:`calibration`), to population margins given as
data (:mod:`margins`), each recorded with its diagnostics and variance recipe (:mod:`diagnostics`)."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "poststratify": "surveys.weighting.methods",
    "rake": "surveys.weighting.methods",
    "calibrate": "surveys.weighting.methods",
    "trim_weights": "surveys.weighting.methods",
    "design_weight_summary": "surveys.weighting.methods",
    "WeightingDiagnostics": "surveys.weighting.diagnostics",
    "WeightingConvergenceWarning": "surveys.weighting.methods",
    "weight_statistics": "surveys.weighting.diagnostics",
    "Margins": "surveys.weighting.margins",
    "MarginTable": "surveys.weighting.margins",
    "load_margins": "surveys.weighting.margins",
    "template_for": "surveys.weighting.margins",
})
