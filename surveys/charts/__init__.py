"""Charts of the acceptance report (matplotlib), Chinese labels by default, English with ``lang="en"``.

Every chart function takes tidy data (a DataFrame, or a table with ``to_frame()``; the columns are listed
in each docstring), draws on ``ax`` when given or on a new ``matplotlib.figure.Figure`` (never pyplot),
changes no global rcParams, and returns the Figure it drew on. :func:`save_figure` writes the PNG (≥ 200
dpi) and an SVG whose text is converted to paths.

==========================  ==========================================================================
chart                        function
==========================  ==========================================================================
1 target chart               :func:`target_chart` (TargetTable / ``TargetCheck.to_dict()`` rows)
2 diverging stacked bars     :func:`diverging_chart` (item × category shares; :func:`category_sides`)
3 by district                :func:`domain_chart` (``measure_table(...).to_frame()``)
4 paper vs online            :func:`mode_chart`; before vs after weighting :func:`weighting_chart`;
                             any groups :func:`paired_chart`
5 weights                    :func:`weight_histogram`, :func:`margins_chart` (``WeightingDiagnostics``)
6 waves                      :func:`wave_chart` (``trend_table(...)``)
7 proposal handling          :func:`handling_chart` (``ProposalCensus`` / ``proposal_census(...).to_frame()``)
8 importance–performance     :func:`importance_performance_chart` (``DriverAnalysis`` / ``drivers(...).to_frame()``)
==========================  ==========================================================================

The CJK font is found explicitly (:mod:`surveys.charts.fonts`): ``SURVEYS_CJK_FONT``, the PyPI package
``pylopdf-fonts-zh-cn`` (Noto Sans SC, SIL OFL 1.1), ``noto-cjk-sans-otc``, or well-known system files;
:class:`ChartFontError` says what to install when none is there.
"""
from __future__ import annotations

from surveys.charts.canvas import save_figure
from surveys.charts.comparison import mode_chart, paired_chart, weighting_chart
from surveys.charts.domains import domain_chart
from surveys.charts.drivers import importance_performance_chart
from surveys.errors import ChartError, ChartFontError
from surveys.charts.fonts import ChartFont, find_cjk_font
from surveys.charts.handling import handling_chart
from surveys.charts.likert import category_sides, diverging_chart
from surveys.charts.scoreboard import target_chart
from surveys.charts.waves import wave_chart
from surveys.charts.weights import margins_chart, weight_histogram

__all__ = [
    "target_chart",
    "diverging_chart",
    "category_sides",
    "domain_chart",
    "paired_chart",
    "mode_chart",
    "weighting_chart",
    "weight_histogram",
    "margins_chart",
    "wave_chart",
    "handling_chart",
    "importance_performance_chart",
    "save_figure",
    "find_cjk_font",
    "ChartFont",
    "ChartError",
    "ChartFontError",
]
