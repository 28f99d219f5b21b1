"""Chart 8: the importance–performance map (四分图) of a driver analysis.

Each topic item is a point: its weighted 满意率 (performance) across, its effect on overall satisfaction
(importance) up, both with their confidence intervals. The dashed cut lines split the plane into the four
quadrants, named in the corners (优势区 / 维持区 / 改进区 / 机会区; English with ``lang="en"``); points carry
the quadrant's colour and marker, so the map reads in greyscale too. Items are numbered on the chart and
named in the key under it (questions are long); ``label_column`` names short labels to print instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from surveys.charts.canvas import (
    as_frame,
    finish,
    footnote,
    language_column,
    legend,
    new_axes,
    percent_axis,
    require_columns,
    share_limits,
)
from surveys.charts.style import FIGURE_WIDTH, FONT_SIZES, NEUTRAL_COLOUR
from surveys.charts.text import check_language, percent
from surveys.errors import ChartError
from surveys.indicators.importance import QUADRANTS
from surveys.indicators.wording import QUADRANT_NAMES, say

__all__ = ["importance_performance_chart", "QUADRANT_COLOURS", "QUADRANT_MARKERS"]

# Okabe–Ito: the improve-first quadrant in vermillion, strengths in blue, the other two quieter.
QUADRANT_COLOURS = {"strength": "#0072B2", "maintain": "#009E73", "improve": "#D55E00", "opportunity": "#CC79A7"}
QUADRANT_MARKERS = {"strength": "o", "maintain": "s", "improve": "D", "opportunity": "^"}
# where each quadrant's name goes (axes fraction): performance runs right, importance up
_CORNERS = {"strength": (0.98, 0.98, "right", "top"), "improve": (0.02, 0.98, "left", "top"),
            "maintain": (0.98, 0.02, "right", "bottom"), "opportunity": (0.02, 0.02, "left", "bottom")}


def _quadrant(importance: float, performance: float, importance_cut: float, performance_cut: float) -> str:
    if importance >= importance_cut:
        return "strength" if performance >= performance_cut else "improve"
    return "maintain" if performance >= performance_cut else "opportunity"


def _cut(frame: pd.DataFrame, column: str, given: float | None, values: pd.Series) -> float:
    if given is not None:
        return float(given)
    if column in frame.columns and frame[column].notna().any():
        return float(frame[column].dropna().iloc[0])
    return float(values.mean())


def importance_performance_chart(
    table: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    label_column: str | None = None,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
    title: str | None = None,
) -> Figure:
    """The importance–performance map of ``table``: a :class:`surveys.indicators.DriverAnalysis` or its
    ``to_frame()`` — columns ``performance``, ``importance`` and, when present, ``performance_ci_low/high``,
    ``importance_ci_low/high``, ``label_zh``/``label_en``, ``quadrant``, ``importance_cut``,
    ``performance_cut``, ``family``, ``level``. Cuts default to the table's, else the items' means; the
    quadrant to the one the cuts give. Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(table, "importance_performance_chart")
    require_columns(frame, ("performance", "importance"), "importance_performance_chart")
    if not (np.isfinite(frame["performance"]).all() and np.isfinite(frame["importance"]).all()):
        raise ChartError("importance_performance_chart: every item needs a finite performance and importance")
    x_cut = _cut(frame, "performance_cut", performance_cut, frame["performance"])
    y_cut = _cut(frame, "importance_cut", importance_cut, frame["importance"])
    quadrants = [_quadrant(i, p, y_cut, x_cut) for i, p in zip(frame["importance"], frame["performance"])]
    names = frame[language_column(frame, "label", lang, "importance_performance_chart")].astype(str).tolist()
    shown = (frame[label_column].astype(str).tolist() if label_column is not None
             else [str(number) for number in range(1, len(frame) + 1)])
    figure, ax, created = new_axes(ax, FIGURE_WIDTH * 0.78, FIGURE_WIDTH)

    x, y = frame["performance"].to_numpy(float), frame["importance"].to_numpy(float)
    if {"performance_ci_low", "performance_ci_high"} <= set(frame.columns):
        ax.hlines(y, frame["performance_ci_low"], frame["performance_ci_high"], color=NEUTRAL_COLOUR, linewidth=1.4,
                  zorder=1)
    if {"importance_ci_low", "importance_ci_high"} <= set(frame.columns):
        ax.vlines(x, frame["importance_ci_low"], frame["importance_ci_high"], color=NEUTRAL_COLOUR, linewidth=1.4,
                  zorder=1)
    for quadrant in QUADRANTS:
        rows = np.array([q == quadrant for q in quadrants])
        if rows.any():
            ax.scatter(x[rows], y[rows], s=48, marker=QUADRANT_MARKERS[quadrant], color=QUADRANT_COLOURS[quadrant],
                       edgecolors="white", linewidths=0.6, zorder=3)
    for text, px, py in zip(shown, x, y):
        ax.annotate(text, xy=(px, py), xytext=(5, 4), textcoords="offset points", fontsize=FONT_SIZES["annotation"],
                    color="#222222", zorder=4)
    ax.axvline(x_cut, color="#555555", linestyle="--", linewidth=1.0, zorder=0)
    ax.axhline(y_cut, color="#555555", linestyle="--", linewidth=1.0, zorder=0)
    for quadrant, (fx, fy, ha, va) in _CORNERS.items():
        ax.annotate(QUADRANT_NAMES[quadrant].get(lang), xy=(fx, fy), xycoords="axes fraction", ha=ha, va=va,
                    fontsize=FONT_SIZES["label"], color=QUADRANT_COLOURS[quadrant], fontweight="bold")

    low_x = frame["performance_ci_low"] if "performance_ci_low" in frame.columns else None
    high_x = frame["performance_ci_high"] if "performance_ci_high" in frame.columns else None
    ax.set_xlim(*share_limits(frame["performance"], low_x, high_x, pd.Series([x_cut]), pad=0.12))
    percent_axis(ax.xaxis)
    y_values = [frame["importance"], pd.Series([y_cut])]
    y_values += [frame[c] for c in ("importance_ci_low", "importance_ci_high") if c in frame.columns]
    y_all = pd.concat(y_values, ignore_index=True).astype(float)
    y_all = y_all[np.isfinite(y_all)]
    span = max(float(y_all.max() - y_all.min()), 1e-9)
    ax.set_ylim(float(y_all.min()) - 0.12 * span, float(y_all.max()) + 0.16 * span)
    ax.set_xlabel(say("performance", lang), fontsize=FONT_SIZES["label"])
    linear = "family" in frame.columns and frame["family"].iloc[0] == "gaussian"
    ax.set_ylabel(say("importance_linear" if linear else "importance_logit", lang), fontsize=FONT_SIZES["label"])
    ax.grid(color="#EEEEEE", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)

    level = float(frame["level"].iloc[0]) if "level" in frame.columns else 0.95
    rule = str(frame["cut_rule"].iloc[0]) if "cut_rule" in frame.columns else "mean"
    note = say("cut_note", lang, rule=say(f"cut_{rule}", lang), importance=f"{y_cut:.2f}",
               performance=percent(x_cut, 1), level=percent(level))
    if label_column is None:
        separator = "；" if lang == "zh" else "; "
        note = separator.join(f"{number} {name}" for number, name in zip(shown, names)) + "\n" + note
    footnote(ax, note)
    present = [q for q in QUADRANTS if q in quadrants]
    handles = [Line2D([], [], linestyle="none", marker=QUADRANT_MARKERS[q], color=QUADRANT_COLOURS[q], markersize=7)
               for q in present]
    box = legend(figure, ax, handles, [QUADRANT_NAMES[q].get(lang) for q in present], created=created,
                 columns=len(present))
    return finish(figure, [ax], lang, title=title if title is not None else say("quadrant_title", lang), extra=[box])
