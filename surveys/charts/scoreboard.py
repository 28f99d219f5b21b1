"""Chart 1, the target chart: every indicator's rate and interval against its target, coloured by verdict.

It reads either target checks (:class:`surveys.indicators.targets.TargetTable`, ``TargetCheck.to_dict()`` rows) or the
targets register's scoreboard (``surveys.indicators.register.Scoreboard.to_frame()``), whose rows are of three kinds:
``confidence_interval`` (a survey rate: interval and "±MOE · n"), ``nonresponse_bounds`` (a census rate:
the bounds, "census · n") and ``exact`` (an administrative figure: a point, no interval).
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
    row_layout,
    share_limits,
    target_line,
)
from surveys.charts.style import (
    FONT_SIZES,
    TARGET_LINE_COLOUR,
    VERDICT_COLOURS,
    VERDICT_MARKERS,
)
from surveys.charts.text import check_language, percent, phrase, verdict_label
from surveys.errors import ChartError
from surveys.indicators.targets import VERDICTS, margin_text

__all__ = ["target_chart", "INTERVAL_KINDS"]

# How a row's interval was obtained; the names of surveys.indicators.register.ScoreboardRow.interval_kind.
INTERVAL_KINDS = ("confidence_interval", "nonresponse_bounds", "exact")
_NO_DATA = "no_data"  # surveys.indicators.register: a target without a value


def target_chart(
    checks: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    label_column: str | None = None,
    title: str | None = None,
) -> Figure:
    """A horizontal forest plot of targets: one row per indicator, in the table's order.

    ``checks``: a :class:`~surveys.indicators.targets.TargetTable`, a register ``Scoreboard``, or a tidy DataFrame with
    the columns of either: a label (``label_column``, else ``label_<lang>``, ``label``, ``text_<lang>``,
    ``text``), ``estimate`` (or ``value``), ``ci_low``, ``ci_high``, ``threshold`` (shares 0–1), ``verdict``
    (one of :data:`surveys.indicators.targets.VERDICTS`, or ``no_data``), and optionally
    ``respondents``, ``level``, and ``interval_kind`` (:data:`INTERVAL_KINDS`) or ``ci_method``
    (``nonresponse_bounds`` marks a census row).

    Points are coloured and shaped by verdict (legend in ``lang``). The target is one dashed line when every
    row has the same threshold, else a dashed mark on each row. Survey rows are annotated with the interval's own
    halves and n ("−2.4/+2.2 个百分点 · n=1402", :func:`surveys.indicators.targets.margin_text`, as in the report's tables),
    census rows "census · n", exact rows
    "exact". Rows without data and rows that are not shares (counts such as lectures held, value or
    threshold outside 0–1, or an ``exact`` row without a ``denominator``) are left out and counted in a
    footnote. Returns the Figure.
    """
    check_language(lang)
    frame, left_out = _prepare(as_frame(checks, "target_chart"), lang, label_column)
    labels, positions, height = row_layout(frame["label"].astype(str).tolist(), lang)
    figure, ax, created = new_axes(ax, height + 2.2)
    y = np.asarray(positions)

    for verdict in VERDICTS:
        rows = frame["verdict"].to_numpy() == verdict
        if not rows.any():
            continue
        colour = VERDICT_COLOURS[verdict]
        with_interval = rows & frame["ci_low"].notna().to_numpy()
        ax.hlines(y[with_interval], frame["ci_low"][with_interval], frame["ci_high"][with_interval], color=colour,
                  linewidth=2.4, zorder=2)
        ax.scatter(frame["estimate"][rows], y[rows], s=46, color=colour, marker=VERDICT_MARKERS[verdict],
                   edgecolors="#222222", linewidths=0.6, zorder=3)

    _draw_targets(ax, frame["threshold"], y, lang)
    _annotate(ax, frame, y, lang)
    ax.set_yticks(y, labels=labels, fontsize=FONT_SIZES["tick"], multialignment="right")
    ax.set_ylim(min(y) - 0.7, max(y) + 0.7)
    ax.set_xlim(*share_limits(frame["ci_low"], frame["ci_high"], frame["estimate"], frame["threshold"]))
    percent_axis(ax.xaxis)
    ax.set_xlabel(_axis_label(frame, lang), fontsize=FONT_SIZES["label"])
    notes = _notes(frame, left_out, lang)
    if notes:
        footnote(ax, notes)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)

    # the four verdicts always (a reader learns the scale), a refused verdict only when a row has one
    shown = [v for v in VERDICTS if v != "not_judged" or (frame["verdict"] == v).any()]
    handles = [Line2D([], [], color=VERDICT_COLOURS[v], marker=VERDICT_MARKERS[v], markeredgecolor="#222222",
                      linewidth=2.4, markersize=7) for v in shown]
    names = [verdict_label(v, lang) for v in shown]
    box = legend(figure, ax, handles, names, created=created, columns=2)
    return finish(figure, [ax], lang, title=title if title is not None else phrase("target_chart_title", lang),
                  extra=[box])


def _first_column(frame: pd.DataFrame, candidates: tuple[str, ...], what: str) -> str:
    for column in candidates:
        if column in frame.columns:
            return column
    raise ChartError(
        f"target_chart needs {what}: one of the columns {list(candidates)} (found {list(frame.columns)})"
    )


def _prepare(frame: pd.DataFrame, lang: str, label_column: str | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows to draw with standard columns (label, estimate, kind, below, above, ...) and the counts left out."""
    label = _first_column(frame, (label_column,) if label_column else
                          (f"label_{lang}", "label", f"text_{lang}", "text"), "a label")
    estimate = _first_column(frame, ("estimate", "value"), "the rate")
    require_columns(frame, ("ci_low", "ci_high", "verdict", "threshold"), "target_chart")
    unknown = sorted(set(frame["verdict"].astype(str)) - set(VERDICTS) - {_NO_DATA})
    if unknown:
        raise ChartError(f"target_chart: unknown verdicts {unknown}; expected {list(VERDICTS)} or '{_NO_DATA}'")
    values = pd.to_numeric(frame[estimate], errors="coerce")
    thresholds = pd.to_numeric(frame["threshold"], errors="coerce")
    no_data = (frame["verdict"] == _NO_DATA) | values.isna()
    not_share = ~no_data & ~(values.between(0, 1) & thresholds.between(0, 1))
    if "interval_kind" in frame.columns and "denominator" in frame.columns:
        # An administrative figure is a rate only with a denominator (as the register formats it); else a count.
        not_share |= ~no_data & (frame["interval_kind"] == "exact") & frame["denominator"].isna()
    kept = frame[~no_data & ~not_share]
    if kept.empty:
        raise ChartError("target_chart: no row has a rate (a share in 0–1) with a verdict; nothing to draw")
    out = pd.DataFrame({
        "label": kept[label].astype(str), "estimate": values[kept.index].astype(float),
        "ci_low": pd.to_numeric(kept["ci_low"], errors="coerce"),
        "ci_high": pd.to_numeric(kept["ci_high"], errors="coerce"),
        "threshold": thresholds[kept.index].astype(float), "verdict": kept["verdict"].astype(str),
        "kind": _kinds(kept), "level": kept["level"] if "level" in kept.columns else np.nan,
        "respondents": kept["respondents"] if "respondents" in kept.columns else np.nan,
    })
    # the interval's own halves (a logit interval is asymmetric), as the report's tables print them
    out["below"] = out["estimate"] - out["ci_low"]
    out["above"] = out["ci_high"] - out["estimate"]
    return out.reset_index(drop=True), {"no_data": int(no_data.sum()), "not_share": int(not_share.sum())}


def _kinds(frame: pd.DataFrame) -> pd.Series:
    if "interval_kind" in frame.columns:
        kinds = frame["interval_kind"].fillna("").astype(str)
        bad = sorted(set(kinds) - set(INTERVAL_KINDS))
        if bad:
            raise ChartError(f"target_chart: unknown interval kinds {bad}; expected {list(INTERVAL_KINDS)}")
        return kinds
    if "ci_method" in frame.columns:
        return frame["ci_method"].map(lambda m: "nonresponse_bounds" if m == "nonresponse_bounds"
                                      else "confidence_interval")
    return pd.Series("confidence_interval", index=frame.index)


def _draw_targets(ax: Axes, thresholds: pd.Series, y: np.ndarray, lang: str) -> None:
    values = thresholds.dropna().unique()
    if len(values) == 1:
        target_line(ax, float(values[0]), lang)
        return
    for position, value in zip(y, thresholds):  # targets differ by row: one mark per row
        if pd.notna(value):
            ax.vlines(value, position - 0.4, position + 0.4, color=TARGET_LINE_COLOUR, linestyle="--",
                      linewidth=1.1, zorder=1)


def _axis_label(frame: pd.DataFrame, lang: str) -> str:
    levels = pd.to_numeric(frame.loc[frame["kind"] == "confidence_interval", "level"], errors="coerce")
    levels = levels.dropna().unique()
    if len(levels) != 1:
        return phrase("rate", lang)
    return phrase("rate_with_interval", lang, level=percent(float(levels[0])))


def _annotate(ax: Axes, frame: pd.DataFrame, y: np.ndarray, lang: str) -> None:
    for position, row in zip(y, frame.itertuples()):
        known = pd.notna(row.respondents)
        if row.kind == "exact":
            text = phrase("exact_value", lang)
        elif row.kind == "nonresponse_bounds":  # no sampling error: say so instead of "±0.0"
            text = phrase("census_respondents", lang, respondents=int(row.respondents)) if known else ""
        elif pd.notna(row.below) and pd.notna(row.above):
            text = margin_text(row.below, row.above, lang=lang)
            if known:
                text += f" · n={int(row.respondents)}"
        else:
            continue
        ax.annotate(text, xy=(1.0, position), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=FONT_SIZES["annotation"],
                    color="#333333")


def _notes(frame: pd.DataFrame, left_out: dict[str, int], lang: str) -> str:
    notes = []
    if (frame["kind"] == "nonresponse_bounds").any():
        notes.append(phrase("census_note", lang))
    if (frame["kind"] == "exact").any():
        notes.append(phrase("exact_note", lang))
    if left_out["no_data"] or left_out["not_share"]:
        notes.append(phrase("left_out_note", lang, no_data=left_out["no_data"], not_share=left_out["not_share"]))
    return " ".join(notes)
