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

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "target_chart": "surveys.charts.scoreboard",
    "diverging_chart": "surveys.charts.likert",
    "category_sides": "surveys.charts.likert",
    "domain_chart": "surveys.charts.domains",
    "paired_chart": "surveys.charts.comparison",
    "mode_chart": "surveys.charts.comparison",
    "weighting_chart": "surveys.charts.comparison",
    "weight_histogram": "surveys.charts.weights",
    "margins_chart": "surveys.charts.weights",
    "wave_chart": "surveys.charts.waves",
    "handling_chart": "surveys.charts.handling",
    "importance_performance_chart": "surveys.charts.drivers",
    "save_figure": "surveys.charts.canvas",
    "find_cjk_font": "surveys.charts.fonts",
    "ChartFont": "surveys.charts.fonts",
    "ChartError": "surveys.errors",
    "ChartFontError": "surveys.errors",
})
