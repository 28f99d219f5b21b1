"""Indicator-level analyses for the report: which groups are less satisfied (group comparisons with tests),
what drives overall satisfaction (drivers and the importance–performance map) and how consistent the
multi-item scales are (Cronbach's α). Each works on a weighted design, its questionnaire and a measure, as
:func:`surveys.measures.estimate_measure` does, and returns small frozen records with ``to_frame()``."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "group_comparisons": "surveys.indicators.groups",
    "GroupComparisons": "surveys.indicators.groups",
    "GroupComparison": "surveys.indicators.groups",
    "GroupRate": "surveys.indicators.groups",
    "MULTIPLICITY_ADJUSTMENTS": "surveys.indicators.groups",
    "adjust_p_values": "surveys.indicators.groups",
    "drivers": "surveys.indicators.importance",
    "DriverAnalysis": "surveys.indicators.importance",
    "DriverItem": "surveys.indicators.importance",
    "QUADRANTS": "surveys.indicators.importance",
    "CUT_RULES": "surveys.indicators.importance",
    "scale_reliability": "surveys.indicators.scales",
    "ScaleReliabilities": "surveys.indicators.scales",
    "ScaleReliability": "surveys.indicators.scales",
    "WORDS": "surveys.indicators.wording",
    "QUADRANT_NAMES": "surveys.indicators.wording",
    "say": "surveys.indicators.wording",
})
