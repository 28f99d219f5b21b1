"""Chart 3: one measure by district (or any domain), with intervals and unreliable domains marked.

Reliability is read from the table (``surveys.indicators.measures.measure_table`` applies the NCHS Data
Presentation Standards for Proportions): ``ok`` rows are solid, ``review`` rows hollow, ``suppress``
rows hollow with a dashed grey interval, and a footnote lists the reasons found in the table.
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
    row_layout,
    select_rows,
    share_limits,
    target_line,
    threshold_from,
)
from surveys.charts.style import FONT_SIZES, SINGLE_COLOUR, UNRELIABLE_COLOUR
from surveys.charts.text import check_language, percent, phrase
from surveys.errors import ChartError

__all__ = ["domain_chart", "RELIABILITY_STATUSES"]

RELIABILITY_STATUSES = ("ok", "review", "suppress")
_STYLE = {
    "ok": {"face": SINGLE_COLOUR, "line": SINGLE_COLOUR, "linestyle": "-"},
    "review": {"face": "white", "line": SINGLE_COLOUR, "linestyle": "-"},
    "suppress": {"face": "white", "line": UNRELIABLE_COLOUR, "linestyle": (0, (3, 2))},
}


def domain_chart(
    table: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    measure_id: str | None = None,
    domain_variable: str | None = "district",
    label_column: str = "domain_label",
    reliability_column: str = "reliability",
    threshold: float | None = None,
    sort: bool = False,
    title: str | None = None,
) -> Figure:
    """Rates with intervals per domain (default: per district), unreliable domains hollow, with a footnote.

    ``table``: a tidy DataFrame (or a table with ``to_frame()``) with ``estimate``, ``ci_low``, ``ci_high``
    (shares), a domain label column (``domain_label_zh``/``_en`` of :func:`surveys.indicators.measures.measure_table`,
    or ``domain_label``, or ``label_column``), and optionally ``reliability`` (``ok`` / ``review`` /
    ``suppress``, or booleans where True means reliable), ``reliability_reasons_zh``/``_en``, ``respondents``,
    ``threshold``, ``level``. Rows are filtered by ``measure_id`` / ``domain_variable`` when the table has
    those columns, and to the verdict's base when it has ``used_for_verdict``. The target line comes from
    ``threshold`` or the table's ``threshold`` column (none drawn without either). Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(table, "domain_chart")
    frame = select_rows(frame, "domain_chart", measure_id=measure_id, domain_variable=domain_variable,
                        used_for_verdict=True if "used_for_verdict" in frame.columns else None)
    if "measure_id" in frame.columns and frame["measure_id"].nunique() > 1:
        raise ChartError(
            f"domain_chart draws one measure; the table has {sorted(frame['measure_id'].unique())}: pass measure_id="
        )
    require_columns(frame, ("estimate", "ci_low", "ci_high"), "domain_chart")
    labels_column = language_column(frame, label_column, lang, "domain_chart")
    if sort:
        frame = frame.sort_values("estimate", ascending=False).reset_index(drop=True)
    status = _statuses(frame, reliability_column)
    thresholds = threshold_from(frame, "threshold", threshold, "domain_chart")
    labels, positions, height = row_layout(frame[labels_column].astype(str).tolist(), lang, width=9.0)
    figure, ax, created = new_axes(ax, height + 2.4)
    y = np.asarray(positions)

    for name in RELIABILITY_STATUSES:
        rows = (status == name).to_numpy()
        if rows.any():
            style = _STYLE[name]
            ax.hlines(y[rows], frame["ci_low"][rows], frame["ci_high"][rows], color=style["line"], linewidth=2.2,
                      linestyles=[style["linestyle"]], zorder=2)
            ax.scatter(frame["estimate"][rows], y[rows], s=44, facecolors=style["face"], edgecolors=style["line"],
                       linewidths=1.4, zorder=3)
    if thresholds is not None and thresholds.notna().any():
        target_line(ax, float(thresholds.dropna().iloc[0]), lang)
    _annotate(ax, frame, y)
    ax.set_yticks(y, labels=labels, fontsize=FONT_SIZES["tick"], multialignment="right")
    ax.set_ylim(min(y) - 0.7, max(y) + 0.7)
    ax.set_xlim(*share_limits(frame["ci_low"], frame["ci_high"], frame["estimate"], thresholds))
    percent_axis(ax.xaxis)
    level = float(frame["level"].iloc[0]) if "level" in frame.columns else None
    ax.set_xlabel(phrase("rate_with_interval", lang, level=percent(level)) if level else phrase("rate", lang),
                  fontsize=FONT_SIZES["label"])
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)

    box = None
    flagged = status != "ok"
    if flagged.any():
        reasons = _reasons(frame[flagged], lang)
        footnote(ax, phrase("unreliable_note", lang, reasons=reasons).strip())
        shown = [name for name in RELIABILITY_STATUSES if (status == name).any()]
        handles = [Line2D([], [], color=_STYLE[n]["line"], linestyle=_STYLE[n]["linestyle"], marker="o",
                          markerfacecolor=_STYLE[n]["face"], markeredgecolor=_STYLE[n]["line"], linewidth=2.0)
                   for n in shown]
        names = [phrase({"ok": "reliable", "review": "review", "suppress": "unreliable"}[n], lang) for n in shown]
        box = legend(figure, ax, handles, names, created=created, columns=len(shown))
    default_title = phrase("domain_title", lang)
    if "label_zh" in frame.columns or "label" in frame.columns:
        measure_label = frame[language_column(frame, "label", lang, "domain_chart")].iloc[0]
        default_title = f"{measure_label}：{default_title}" if lang == "zh" else f"{measure_label}: {default_title}"
    return finish(figure, [ax], lang, title=title if title is not None else default_title, extra=[box])


def _statuses(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("ok", index=frame.index)
    values = frame[column]
    if values.dtype == bool:
        return values.map({True: "ok", False: "suppress"})
    unknown = sorted(set(values.astype(str)) - set(RELIABILITY_STATUSES))
    if unknown:
        raise ChartError(
            f"domain_chart: '{column}' must hold {list(RELIABILITY_STATUSES)} or booleans; found {unknown}"
        )
    return values.astype(str)


def _reasons(flagged: pd.DataFrame, lang: str) -> str:
    column = f"reliability_reasons_{lang}"
    if column not in flagged.columns:
        return ""
    separator = "；" if lang == "zh" else "; "
    parts: list[str] = []
    for text in flagged[column].dropna().astype(str):
        for reason in text.replace("；", ";").split(";"):
            reason = reason.strip()
            if reason and reason not in parts:
                parts.append(reason)
    if not parts:
        return ""
    return ("原因：" if lang == "zh" else "Reasons: ") + separator.join(parts) + ("。" if lang == "zh" else ".")


def _annotate(ax: Axes, frame: pd.DataFrame, y: np.ndarray) -> None:
    if "respondents" not in frame.columns:
        return
    for position, respondents in zip(y, frame["respondents"]):
        if pd.notna(respondents):
            ax.annotate(f"n={int(respondents)}", xy=(1.0, position), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=FONT_SIZES["annotation"], color="#333333")
