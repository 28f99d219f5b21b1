"""Chart 7: proposal handling by department — census rates with their non-response bounds.

A census has no sampling error; what is unknown is the forms that did not come back. Each department's
row shows the rate among the returned forms (a point) inside a range bar from the lower non-response bound
(every missing form unsatisfied) to the upper one (every missing form satisfied), as computed by
:func:`surveys.indicators.census.proposal_census`, with the target line and "returned k/n".
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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
from surveys.charts.style import (
    FONT_SIZES,
    SINGLE_COLOUR,
    VERDICT_COLOURS,
    VERDICT_MARKERS,
)
from surveys.charts.text import check_language, phrase, verdict_label
from surveys.errors import ChartError
from surveys.indicators.targets import VERDICTS

__all__ = ["handling_chart", "HANDLING_CHART_COLUMNS"]

HANDLING_CHART_COLUMNS = ("rate", "lower_bound", "upper_bound")
_RANGE_COLOUR = "#C6DBEF"


def handling_chart(
    census: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    measure_id: str | None = None,
    domain_variable: str | None = "handling_department",
    label_column: str = "domain_label",
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """Census rates by handling department with non-response range bars and the target line.

    ``census``: a :class:`surveys.indicators.census.ProposalCensus` or a tidy DataFrame with its columns: a label
    column (``domain_label_zh``/``_en``, ``domain_label`` or ``label_column``), ``rate``, ``lower_bound``,
    ``upper_bound`` (shares), and optionally ``forms_returned`` and ``proposals`` (annotated), ``threshold``
    and ``verdict`` (points coloured by verdict when present). Rows are filtered by ``measure_id`` and
    ``domain_variable`` (and to the verdict's base) when the table has those columns. Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(census, "handling_chart")
    frame = select_rows(frame, "handling_chart", measure_id=measure_id, domain_variable=domain_variable,
                        used_for_verdict=True if "used_for_verdict" in frame.columns else None)
    if "measure_id" in frame.columns and frame["measure_id"].nunique() > 1:
        raise ChartError(
            f"handling_chart draws one measure; the table has {sorted(frame['measure_id'].unique())}: pass measure_id="
        )
    require_columns(frame, HANDLING_CHART_COLUMNS, "handling_chart")
    labels_column = language_column(frame, label_column, lang, "handling_chart")
    thresholds = threshold_from(frame, "threshold", threshold, "handling_chart")
    labels, positions, height = row_layout(frame[labels_column].astype(str).tolist(), lang, width=10.0)
    figure, ax, created = new_axes(ax, height + 2.4)
    y = np.asarray(positions)

    ax.barh(y, frame["upper_bound"] - frame["lower_bound"], left=frame["lower_bound"], height=0.5,
            color=_RANGE_COLOUR, edgecolor="#6B8FB5", linewidth=0.6, zorder=2)
    handles: list[Any] = [Patch(facecolor=_RANGE_COLOUR, edgecolor="#6B8FB5")]
    names = [phrase("bounds", lang)]
    if "verdict" in frame.columns:
        unknown = sorted(set(frame["verdict"]) - set(VERDICTS))
        if unknown:
            raise ChartError(f"handling_chart: unknown verdicts {unknown}; expected {list(VERDICTS)}")
        for verdict in VERDICTS:
            rows = (frame["verdict"] == verdict).to_numpy()
            if rows.any():
                ax.scatter(frame["rate"][rows], y[rows], s=46, color=VERDICT_COLOURS[verdict],
                           marker=VERDICT_MARKERS[verdict], edgecolors="#222222", linewidths=0.6, zorder=3)
                handles.append(Line2D([], [], color=VERDICT_COLOURS[verdict], marker=VERDICT_MARKERS[verdict],
                                      markeredgecolor="#222222", linestyle="none"))
                names.append(verdict_label(verdict, lang, census=True))
    else:
        ax.scatter(frame["rate"], y, s=46, color=SINGLE_COLOUR, edgecolors="#222222", linewidths=0.6, zorder=3)
        handles.append(Line2D([], [], color=SINGLE_COLOUR, marker="o", markeredgecolor="#222222",
                              linestyle="none"))
        names.append(phrase("returned_rate", lang))
    if thresholds is not None and thresholds.notna().any():
        target_line(ax, float(thresholds.dropna().iloc[0]), lang)
    _annotate(ax, frame, y, lang)

    ax.set_yticks(y, labels=labels, fontsize=FONT_SIZES["tick"], multialignment="right")
    ax.set_ylim(min(y) - 0.7, max(y) + 0.7)
    ax.set_xlim(*share_limits(frame["lower_bound"], frame["upper_bound"], thresholds))
    percent_axis(ax.xaxis)
    ax.set_xlabel(phrase("rate", lang), fontsize=FONT_SIZES["label"])
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    box = legend(figure, ax, handles, names, created=created, columns=1 if len(names) > 2 else 2,
                 title=phrase("returned_rate", lang) if "verdict" in frame.columns else None)
    default_title = phrase("handling_title", lang)
    if "label_zh" in frame.columns or "label" in frame.columns:
        measure_label = frame[language_column(frame, "label", lang, "handling_chart")].iloc[0]
        default_title = f"{default_title}（{measure_label}）" if lang == "zh" else f"{default_title} ({measure_label})"
    return finish(figure, [ax], lang, title=title if title is not None else default_title, extra=[box])


def _annotate(ax: Axes, frame: pd.DataFrame, y: np.ndarray, lang: str) -> None:
    if "forms_returned" not in frame.columns or "proposals" not in frame.columns:
        return
    for position, returned, total in zip(y, frame["forms_returned"], frame["proposals"]):
        ax.annotate(phrase("returned", lang, returned=int(returned), total=int(total)), xy=(1.0, position),
                    xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points", va="center",
                    ha="left", fontsize=FONT_SIZES["annotation"], color="#333333")
