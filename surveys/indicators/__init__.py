"""Indicator-level analyses for the report: which groups are less satisfied (group comparisons with tests),
what drives overall satisfaction (drivers and the importance–performance map) and how consistent the
multi-item scales are (Cronbach's α). Each works on a weighted design, its questionnaire and a measure, as
:func:`surveys.measures.estimate_measure` does, and returns small frozen records with ``to_frame()``."""
from __future__ import annotations

from surveys.indicators.groups import (
    MULTIPLICITY_ADJUSTMENTS,
    GroupComparison,
    GroupComparisons,
    GroupRate,
    adjust_p_values,
    group_comparisons,
)
from surveys.indicators.drivers import CUT_RULES, QUADRANTS, DriverAnalysis, DriverItem, drivers
from surveys.indicators.scales import ScaleReliabilities, ScaleReliability, scale_reliability
from surveys.indicators.wording import QUADRANT_NAMES, WORDS, say

__all__ = [
    "group_comparisons",
    "GroupComparisons",
    "GroupComparison",
    "GroupRate",
    "MULTIPLICITY_ADJUSTMENTS",
    "adjust_p_values",
    "drivers",
    "DriverAnalysis",
    "DriverItem",
    "QUADRANTS",
    "CUT_RULES",
    "scale_reliability",
    "ScaleReliabilities",
    "ScaleReliability",
    "WORDS",
    "QUADRANT_NAMES",
    "say",
]
