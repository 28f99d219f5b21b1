"""Chart 5: the weights — their distribution (with the Kish design effect), and the margins before/after.

Kish design effect of unequal weighting ``1 + CV² = n Σw² / (Σw)²`` and effective sample size
``(Σw)² / Σw²`` come from :func:`surveys.weighting.diagnostics.weight_statistics` (the same numbers as the
weighting diagnostics). The margin chart reads the before/after table of
:class:`surveys.weighting.diagnostics.WeightingDiagnostics` (``MARGIN_TABLE_COLUMNS``).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from surveys.charts.canvas import (
    as_frame,
    finish,
    legend,
    new_axes,
    percent_axis,
    require_columns,
    row_layout,
)
from surveys.charts.style import (
    FONT_SIZES,
    SECOND_COLOUR,
    SINGLE_COLOUR,
    TARGET_LINE_COLOUR,
)
from surveys.charts.text import check_language, phrase
from surveys.errors import ChartError
from surveys.weighting.diagnostics import weight_statistics

__all__ = ["weight_histogram", "margins_chart", "MARGINS_CHART_COLUMNS"]

MARGINS_CHART_COLUMNS = ("variable", "category", "share_before", "share_after", "target_share")
_BEFORE_COLOUR = "#B8C4D6"


def _weights_array(weights: Any, what: str) -> np.ndarray:
    values = getattr(weights, "weights", weights)  # a design, or the weights themselves
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ChartError(f"{what} must be numbers (or a design with .weights); found {type(weights).__name__}") \
            from None
    array = array[np.isfinite(array) & (array > 0)]
    if array.size == 0:
        raise ChartError(f"{what} has no positive finite weight; nothing to draw")
    return array


def weight_histogram(
    weights: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    before: Any = None,
    bins: int | str = "auto",
    title: str | None = None,
) -> Figure:
    """Histogram of the final weights (respondents per weight bin), annotated with the Kish design effect
    and the effective sample size; ``before`` (the weights before the adjustment) is drawn as an outline
    for comparison.

    ``weights``: a 1-D array / Series of weights, or a design with ``.weights`` (rows with zero weight,
    i.e. outside the sample, are left out, as in the diagnostics). Returns the Figure.
    """
    check_language(lang)
    final = _weights_array(weights, "weights")
    start = None if before is None else _weights_array(before, "before")
    figure, ax, created = new_axes(ax, 3.6)
    # Equal starting weights (a self-weighting sample) would be one spike dwarfing the histogram: a line instead.
    equal_start = start is not None and np.ptp(start) <= 1e-9 * float(np.max(start))
    spread = final if start is None or equal_start else np.concatenate([final, start])
    edges = np.histogram_bin_edges(spread, bins=bins)
    ax.hist(final, bins=edges, color=SINGLE_COLOUR, edgecolor="white", linewidth=0.5, zorder=2)
    handles: list[Any] = [Patch(facecolor=SINGLE_COLOUR)]
    names = [phrase("after_weighting", lang)]
    if start is not None:
        if equal_start:
            ax.axvline(float(start[0]), color=SECOND_COLOUR, linewidth=1.6, linestyle="--", zorder=3)
            handles.append(Line2D([], [], color=SECOND_COLOUR, linewidth=1.6, linestyle="--"))
            names.append(phrase("equal_before", lang, weight=f"{float(start[0]):.4g}"))
        else:
            ax.hist(start, bins=edges, histtype="step", color=SECOND_COLOUR, linewidth=1.4, zorder=3)
            handles.append(Line2D([], [], color=SECOND_COLOUR, linewidth=1.4))
            names.append(phrase("before_weighting", lang))
    statistics = weight_statistics(final)
    text = phrase("kish", lang, design_effect=f"{statistics['kish_design_effect']:.2f}",
                  effective=f"{statistics['effective_sample_size']:.0f}", respondents=int(statistics["respondents"]))
    if start is not None:
        text += "\n" + phrase("kish_before", lang, design_effect=f"{weight_statistics(start)['kish_design_effect']:.2f}")
    ax.text(0.98, 0.95, text, transform=ax.transAxes, ha="right", va="top", fontsize=FONT_SIZES["annotation"],
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "#BBBBBB"}, zorder=4)
    ax.set_xlabel(phrase("weight", lang), fontsize=FONT_SIZES["label"])
    ax.set_ylabel(phrase("respondent_count", lang), fontsize=FONT_SIZES["label"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6, zorder=0)
    box = legend(figure, ax, handles, names, created=created, columns=len(names)) if before is not None else None
    return finish(figure, [ax], lang, title=title if title is not None else phrase("weights_title", lang),
                  extra=[box])


def margins_chart(
    margins: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    variable_labels: Mapping[str, str] | None = None,
    category_labels: Mapping[str, Mapping[str, str]] | None = None,
    title: str | None = None,
) -> Figure:
    """Sample share (before weighting), weighted share and population share of every margin category.

    ``margins``: the before/after table of a weighting adjustment (``WeightingDiagnostics.margins``, or the
    diagnostics object itself), a tidy DataFrame with ``variable``, ``category``, ``share_before``,
    ``share_after``, ``target_share`` (0–1). Category text comes from ``category_labels[variable][category]``,
    else a ``category_label_<lang>`` / ``category_label`` column, else the category code; variable headings
    from ``variable_labels``, else a ``variable_label_<lang>`` / ``variable_label`` column, else the variable id.
    Rows without shares (numeric calibration totals) are left out. ``share_before`` is the share under the
    weights before the adjustment: the unweighted sample share when those weights are equal (a
    self-weighting sample), the design-weighted share otherwise. Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(getattr(margins, "margins", margins), "margins_chart")
    require_columns(frame, MARGINS_CHART_COLUMNS, "margins_chart")
    frame = frame.dropna(subset=["share_before", "share_after", "target_share"]).reset_index(drop=True)
    if frame.empty:
        raise ChartError("margins_chart: no margin row has shares (numeric calibration totals cannot be drawn)")
    rows = _rows(frame, lang, variable_labels or {}, category_labels or {})
    labels, positions, height = row_layout([text for text, _, _ in rows], lang, width=10.0,
                                           sizes=[0.6 if kind == "heading" else 1.0 for _, kind, _ in rows])
    figure, ax, created = new_axes(ax, height + 2.2)
    y = np.asarray(positions)
    bar = 0.34
    for number, (position, (_, kind, record)) in enumerate(zip(y, rows)):
        if kind == "heading":
            if number:
                ax.axhline(position + 0.4, color="#BBBBBB", linewidth=0.6, zorder=1)
            continue
        ax.barh(position + bar / 2, record["share_before"], height=bar, color=_BEFORE_COLOUR, zorder=2)
        ax.barh(position - bar / 2, record["share_after"], height=bar, color=SINGLE_COLOUR, zorder=2)
        ax.vlines(record["target_share"], position - bar - 0.08, position + bar + 0.08, color=TARGET_LINE_COLOUR,
                  linewidth=2.0, zorder=3)
    ax.set_yticks(y, labels=labels, multialignment="right")
    for tick, (_, kind, _) in zip(ax.get_yticklabels(), rows):
        if kind == "heading":
            tick.set_fontsize(FONT_SIZES["label"])
            tick.set_color("#000000")
        else:
            tick.set_color("#333333")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(min(y) - 0.7, max(y) + 0.7)
    high = float(frame[["share_before", "share_after", "target_share"]].max().max())
    ax.set_xlim(0.0, min(1.0, high * 1.1 + 0.02))
    percent_axis(ax.xaxis)
    ax.set_xlabel(phrase("share", lang), fontsize=FONT_SIZES["label"])
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Patch(facecolor=_BEFORE_COLOUR), Patch(facecolor=SINGLE_COLOUR),
               Line2D([], [], color=TARGET_LINE_COLOUR, linewidth=2.0, marker="|", markersize=10, linestyle="none")]
    names = [phrase("sample_share", lang), phrase("weighted_share", lang), phrase("population_share", lang)]
    box = legend(figure, ax, handles, names, created=created, columns=3)
    return finish(figure, [ax], lang, title=title if title is not None else phrase("margins_title", lang),
                  extra=[box])


def _label(frame: pd.DataFrame, index: int, base: str, lang: str, fallback: Any) -> str:
    for column in (f"{base}_{lang}", base):
        if column in frame.columns and pd.notna(frame.at[index, column]) and str(frame.at[index, column]):
            return str(frame.at[index, column])
    return str(fallback)


def _rows(frame: pd.DataFrame, lang: str, variable_labels: Mapping[str, str],
          category_labels: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str, Any]]:
    """Display rows in table order: a heading per variable, then its categories."""
    rows: list[tuple[str, str, Any]] = []
    for variable, group in frame.groupby("variable", sort=False):
        first = group.index[0]
        heading = variable_labels.get(variable) or _label(frame, first, "variable_label", lang, variable)
        rows.append((heading, "heading", None))
        for index, record in group.iterrows():
            category = str(record["category"])
            text = category_labels.get(variable, {}).get(category) or _label(frame, index, "category_label", lang,
                                                                            category)
            rows.append((text, "category", record))
    return rows
