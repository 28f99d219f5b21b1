"""Chart 6: the trend of each indicator across survey waves, with intervals and the target line.

Reads :func:`surveys.indicators.waves.trend_table` output (one indicator; several are concatenated with a ``label``
column). With one indicator, each change against the reference wave is written next to its point, with
"*" when :func:`surveys.indicators.waves.compare_waves` found it significant (its interval excludes zero).
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
    legend,
    new_axes,
    percent_axis,
    require_columns,
    share_limits,
    target_line,
    threshold_from,
)
from surveys.charts.style import FIGURE_WIDTH, FONT_SIZES, SERIES_COLOURS, wrap_label
from surveys.charts.text import check_language, phrase
from surveys.errors import ChartError

__all__ = ["wave_chart"]

_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def wave_chart(
    trend: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    wave_column: str = "wave",
    label_column: str = "label",
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """Estimates with intervals per wave (x: waves in order of first appearance), one line per indicator.

    ``trend``: a tidy DataFrame with ``wave`` (or ``wave_column``), ``estimate``, ``ci_low``, ``ci_high``
    (shares), and for several indicators a label column (``label_zh``/``label_en``, ``label`` or
    ``label_column``); optionally ``change`` and ``change_significant`` (from ``trend_table``) and
    ``threshold``. The target line comes from ``threshold`` or the ``threshold`` column. Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(trend, "wave_chart")
    require_columns(frame, (wave_column, "estimate", "ci_low", "ci_high"), "wave_chart")
    labels_column = next((c for c in (f"{label_column}_{lang}", label_column) if c in frame.columns), None)
    indicators = list(dict.fromkeys(frame[labels_column].astype(str))) if labels_column else [""]
    if len(indicators) > len(_MARKERS):
        raise ChartError(f"wave_chart draws at most {len(_MARKERS)} indicators on one axes; found {len(indicators)}")
    waves = list(dict.fromkeys(frame[wave_column]))
    figure, ax, created = new_axes(ax, 3.8, width=min(FIGURE_WIDTH, 3.0 + 0.9 * len(waves)) + 1.5)
    x_of = {wave: index for index, wave in enumerate(waves)}
    spread = 0.12 if len(indicators) > 1 else 0.0

    handles, names = [], []
    footnote_text = ""
    for index, indicator in enumerate(indicators):
        rows = frame if not labels_column else frame[frame[labels_column].astype(str) == indicator]
        x = np.array([x_of[w] for w in rows[wave_column]], dtype=float) + (index - (len(indicators) - 1) / 2) * spread
        colour, marker = SERIES_COLOURS[index % len(SERIES_COLOURS)], _MARKERS[index]
        estimate = rows["estimate"].to_numpy(dtype=float)
        errors = np.vstack([estimate - rows["ci_low"].to_numpy(dtype=float),
                            rows["ci_high"].to_numpy(dtype=float) - estimate])
        ax.errorbar(x, estimate, yerr=errors, color=colour, marker=marker, markersize=6, capsize=3, linewidth=1.6,
                    markeredgecolor="#222222", markeredgewidth=0.5, zorder=3)
        handles.append(Line2D([], [], color=colour, marker=marker, markeredgecolor="#222222", linewidth=1.6))
        names.append(wrap_label(indicator, 16.0))
        if len(indicators) == 1 and _annotate_changes(ax, rows, x, lang):
            reference = rows["reference_wave"].dropna() if "reference_wave" in rows.columns else pd.Series([])
            footnote_text = phrase("significant_note", lang,
                                   reference=str(reference.iloc[0]) if len(reference) else waves[0])

    thresholds = threshold_from(frame, "threshold", threshold, "wave_chart")
    if thresholds is not None and thresholds.notna().any():
        target_line(ax, float(thresholds.dropna().iloc[0]), lang, vertical=False)
    ax.set_xticks(range(len(waves)), labels=[wrap_label(str(w), 6.0) for w in waves])
    ax.set_xlim(-0.5, len(waves) - 0.5)
    low, high = share_limits(frame["ci_low"], frame["ci_high"], thresholds)
    ax.set_ylim(low, high + 0.02)
    percent_axis(ax.yaxis)
    ax.set_xlabel(phrase("wave", lang), fontsize=FONT_SIZES["label"])
    ax.set_ylabel(phrase("rate", lang), fontsize=FONT_SIZES["label"])
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    if footnote_text:
        footnote(ax, footnote_text)
    box = None
    if labels_column and len(indicators) > 1:
        box = legend(figure, ax, handles, names, created=created, columns=min(len(names), 2))
    default_title = phrase("waves_title", lang)
    if labels_column and len(indicators) == 1:
        default_title = f"{indicators[0]}：{default_title}" if lang == "zh" else f"{indicators[0]}: {default_title}"
    return finish(figure, [ax], lang, title=title if title is not None else default_title, extra=[box])


def _annotate_changes(ax: Axes, rows: pd.DataFrame, x: np.ndarray, lang: str) -> bool:
    """"+3.1个百分点*" above each wave's interval that has a change against the reference wave (``*`` = significant);
    whether any change was significant."""
    if "change" not in rows.columns:
        return False
    any_significant = False
    significant = rows["change_significant"] if "change_significant" in rows.columns else pd.Series(False, rows.index)
    for position, high, change, flag in zip(x, rows["ci_high"], rows["change"], significant):
        if pd.isna(change):
            continue
        marked = bool(flag) if pd.notna(flag) else False
        any_significant |= marked
        amount = f"{change * 100:+.1f}".replace("-", "−")
        text = phrase("change", lang, change=amount) + ("*" if marked else "")
        ax.annotate(text, xy=(position, float(high)), xytext=(0, 4), textcoords="offset points", ha="center",
                    va="bottom", fontsize=FONT_SIZES["annotation"], color="#333333")
    return any_significant
