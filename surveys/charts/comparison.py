"""Chart 4: paired estimates per indicator — paper vs online, before vs after weighting, or any two groups."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from surveys.charts.canvas import (
    as_frame,
    finish,
    language_column,
    legend,
    new_axes,
    percent_axis,
    require_columns,
    row_layout,
    select_rows,
    share_limits,
    target_line,
    threshold_from,
)
from surveys.charts.style import FONT_SIZES, SERIES_COLOURS
from surveys.charts.text import PHRASES, check_language, percent, phrase
from surveys.errors import ChartError
from surveys.questionnaire import MODES

__all__ = ["paired_chart", "mode_chart", "weighting_chart"]

_MARKERS = ("o", "s", "D", "^", "v", "P")
# Group values with a standard wording (PHRASES keys); any other value is shown as it is.
_KNOWN_GROUPS = {"paper": "paper", "online": "online", "before": "before_weighting", "after": "after_weighting",
                 "unweighted": "before_weighting", "weighted": "after_weighting"}


def paired_chart(
    table: Any,
    *,
    group_column: str,
    ax: Axes | None = None,
    lang: str = "zh",
    label_column: str = "label",
    groups: Sequence[Any] | None = None,
    group_labels: Mapping[Any, str] | None = None,
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """Each indicator's estimate and interval in each group, the groups' points side by side on one row.

    ``table``: a tidy DataFrame, one row per indicator × group, with ``label`` (``label_zh``/``label_en``, or
    ``label_column``), ``group_column``, ``estimate``, ``ci_low``, ``ci_high`` (shares) and optionally
    ``respondents`` and ``threshold``. ``groups`` fixes which groups and in which order (default: order of
    first appearance); ``group_labels`` maps group values to legend text (default: the standard wording for
    paper/online/before/after, else the value). Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(table, "paired_chart")
    require_columns(frame, (group_column, "estimate", "ci_low", "ci_high"), "paired_chart")
    labels_column = language_column(frame, label_column, lang, "paired_chart")
    order = list(groups) if groups is not None else list(dict.fromkeys(frame[group_column]))
    if len(order) > len(_MARKERS):
        raise ChartError(f"paired_chart compares at most {len(_MARKERS)} groups; found {len(order)}: {order}")
    frame = frame[frame[group_column].isin(order)]
    if frame.empty:
        raise ChartError(f"paired_chart: no row has {group_column} in {order}")
    indicators = list(dict.fromkeys(frame[labels_column].astype(str)))
    labels, positions, height = row_layout(indicators, lang, width=11.0)
    figure, ax, created = new_axes(ax, height + 2.2)
    row_of = dict(zip(indicators, positions))
    spread = 0.5 / max(len(order), 1)

    handles, names = [], []
    for index, group in enumerate(order):
        rows = frame[frame[group_column] == group]
        # The first group on top of each row, as the legend reads.
        y = np.array([row_of[str(v)] for v in rows[labels_column]]) + ((len(order) - 1) / 2 - index) * spread
        colour, marker = SERIES_COLOURS[index], _MARKERS[index]
        ax.hlines(y, rows["ci_low"], rows["ci_high"], color=colour, linewidth=2.0, zorder=2)
        ax.scatter(rows["estimate"], y, color=colour, marker=marker, s=40, edgecolors="#222222", linewidths=0.5,
                   zorder=3)
        handles.append(Line2D([], [], color=colour, marker=marker, markeredgecolor="#222222", linewidth=2.0))
        names.append(_group_name(group, group_labels, lang))
    _connect(ax, frame, order, group_column, labels_column, row_of, spread)

    thresholds = threshold_from(frame, "threshold", threshold, "paired_chart")
    if thresholds is not None and thresholds.notna().any():
        target_line(ax, float(thresholds.dropna().iloc[0]), lang)
    y_all = np.asarray(positions)
    ax.set_yticks(y_all, labels=labels, fontsize=FONT_SIZES["tick"], multialignment="right")
    ax.set_ylim(min(y_all) - 0.7, max(y_all) + 0.7)
    ax.set_xlim(*share_limits(frame["ci_low"], frame["ci_high"], thresholds))
    percent_axis(ax.xaxis)
    level = float(frame["level"].iloc[0]) if "level" in frame.columns else None
    ax.set_xlabel(phrase("rate_with_interval", lang, level=percent(level)) if level else phrase("rate", lang),
                  fontsize=FONT_SIZES["label"])
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    box = legend(figure, ax, handles, names, created=created, columns=len(order))
    return finish(figure, [ax], lang, title=title if title is not None else phrase("paired_title", lang),
                  extra=[box])


def _group_name(group: Any, group_labels: Mapping[Any, str] | None, lang: str) -> str:
    if group_labels and group in group_labels:
        return str(group_labels[group])
    key = _KNOWN_GROUPS.get(str(group))
    return PHRASES[key][lang] if key else str(group)


def _connect(ax: Axes, frame: pd.DataFrame, order: list[Any], group_column: str, labels_column: str,
             row_of: Mapping[str, float], spread: float) -> None:
    """A thin grey line joining an indicator's estimates across groups, so the shift reads at a glance."""
    for label, rows in frame.groupby(labels_column, sort=False):
        rows = rows.set_index(group_column).reindex(order)
        present = rows["estimate"].notna().to_numpy()
        if present.sum() < 2:
            continue
        offsets = ((len(order) - 1) / 2 - np.arange(len(order))) * spread + row_of[str(label)]
        ax.plot(rows["estimate"].to_numpy()[present], offsets[present], color="#9E9E9E", linewidth=0.8, zorder=1)


def mode_chart(table: Any, *, ax: Axes | None = None, lang: str = "zh", mode_column: str = "mode",
               measure_id: str | None = None, threshold: float | None = None, title: str | None = None) -> Figure:
    """Paper vs online: :func:`paired_chart` by survey mode.

    Takes a table with a ``mode`` column (``mode_column``), or a measure table
    (:func:`surveys.indicators.measures.measure_table`), whose rows with ``domain_variable == "mode"`` are used with
    their domain labels. Returns the Figure.
    """
    frame = as_frame(table, "mode_chart")
    group_column = mode_column
    if mode_column not in frame.columns and "domain_variable" in frame.columns:
        frame = select_rows(frame, "mode_chart", domain_variable=mode_column, measure_id=measure_id,
                            used_for_verdict=True if "used_for_verdict" in frame.columns else None)
        group_column = language_column(frame, "domain_label", check_language(lang), "mode_chart")
    else:
        frame = select_rows(frame, "mode_chart", measure_id=measure_id)
    value_column = "domain_value" if "domain_value" in frame.columns else group_column
    rank = {mode: position for position, mode in enumerate(MODES)}  # paper first, as the questionnaires list them
    ordered = frame.assign(_rank=frame[value_column].map(lambda v: rank.get(v, len(rank))))
    groups = list(dict.fromkeys(ordered.sort_values("_rank", kind="stable")[group_column]))
    return paired_chart(frame, group_column=group_column, groups=groups, ax=ax, lang=lang, threshold=threshold,
                        title=title if title is not None else phrase("mode_title", lang))


def weighting_chart(table: Any, *, ax: Axes | None = None, lang: str = "zh", stage_column: str = "weighting",
                    stages: Sequence[Any] | None = None, threshold: float | None = None,
                    title: str | None = None) -> Figure:
    """Before vs after weighting: :func:`paired_chart` by ``stage_column`` (values such as ``before`` /
    ``after``, or ``unweighted`` / ``weighted``, worded in ``lang``). Returns the Figure."""
    return paired_chart(table, group_column=stage_column, ax=ax, lang=lang, groups=stages, threshold=threshold,
                        title=title if title is not None else phrase("weighting_title", lang))
