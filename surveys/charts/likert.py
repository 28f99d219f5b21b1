"""Chart 2: diverging stacked bars of each satisfaction item's answer categories, don't-know apart.

Negative categories extend left of zero and positive ones right (the mildest next to zero), a neutral
category is split half and half across zero, and don't-know / not-applicable answers are drawn in a
separate grey panel on the right so they neither push the bars nor vanish (docs/needs.md §8; Robbins &
Heiberger 2011, "Plotting Likert and other rating scales").
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
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
    DONT_KNOW_COLOUR,
    FONT_SIZES,
    NEUTRAL_COLOUR,
    diverging_colours,
)
from surveys.charts.text import check_language, percent, phrase
from surveys.errors import ChartError

__all__ = ["diverging_chart", "category_sides", "SIDES"]

SIDES = ("negative", "neutral", "positive", "dont_know")
_MIN_LABELLED_SHARE = 0.06  # segments narrower than this carry no percentage label


def category_sides(scale: Any, *, lang: str = "zh", neutral: Iterable[int] = ()) -> pd.DataFrame:
    """The category table of a questionnaire ``Scale`` for :func:`diverging_chart`: columns ``code``,
    ``category`` (label in ``lang``), ``side`` and ``category_order``.

    Satisfied categories are ``positive``, don't-know ones ``dont_know``, the rest ``negative``; codes in
    ``neutral`` (e.g. 基本满意, when the report treats it as the middle) become ``neutral``.
    """
    check_language(lang)
    neutral = set(neutral)
    rows = []
    for order, category in enumerate(scale.categories):
        side = ("dont_know" if category.dont_know else "neutral" if category.code in neutral
                else "positive" if category.satisfied else "negative")
        rows.append({"code": category.code, "category": category.label.get(lang), "side": side,
                     "category_order": order})
    return pd.DataFrame(rows)


def diverging_chart(
    shares: Any,
    *,
    ax: Axes | None = None,
    lang: str = "zh",
    item_column: str = "item",
    category_column: str = "category",
    share_column: str = "share",
    side_column: str = "side",
    title: str | None = None,
) -> Figure:
    """Diverging stacked bars, one row per item (in order of first appearance).

    ``shares``: a tidy DataFrame, one row per item × category, with ``item`` (the item's label), ``category``
    (the category's label), ``share`` (0–1; an item's shares normally sum to 1), ``side`` (one of
    :data:`SIDES`; :func:`category_sides` derives it from a scale) and optionally ``category_order``
    (the scale order, most positive or most negative first; default: order of first appearance) and
    ``respondents`` (per item, shown as "n=…" in the don't-know panel). Returns the Figure.
    """
    check_language(lang)
    frame = as_frame(shares, "diverging_chart")
    require_columns(frame, (item_column, category_column, share_column, side_column), "diverging_chart")
    bad = sorted(set(frame[side_column]) - set(SIDES))
    if bad:
        raise ChartError(f"diverging_chart: unknown sides {bad}; expected {list(SIDES)}")
    categories = _category_table(frame, category_column, side_column)
    table = frame.pivot_table(index=item_column, columns=category_column, values=share_column,
                              aggfunc="sum", sort=False).fillna(0.0)
    items = list(dict.fromkeys(frame[item_column]))
    table = table.reindex(index=items, columns=categories.index, fill_value=0.0)
    labels, positions, height = row_layout([str(i) for i in items], lang, width=11.0)
    figure, ax, created = new_axes(ax, height + 2.4)
    y = np.asarray(positions)

    handles, names = _draw_bars(ax, table, categories, y)
    dont_know = categories.index[categories["side"] == "dont_know"]
    panel = None
    if len(dont_know):
        heading = ("、" if lang == "zh" else " / ").join(str(name) for name in dont_know)
        panel = _draw_dont_know(ax, table[dont_know].sum(axis=1).to_numpy(), y, frame, item_column, heading)

    ax.axvline(0.0, color="#333333", linewidth=0.9, zorder=3)
    ax.set_yticks(y, labels=labels, fontsize=FONT_SIZES["tick"], multialignment="right")
    ax.set_ylim(min(y) - 0.7, max(y) + 0.7)
    percent_axis(ax.xaxis, absolute=True)
    ax.set_xlabel(phrase("share_of_answers", lang), fontsize=FONT_SIZES["label"])
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    box = legend(figure, ax, handles, names, created=created, columns=min(len(names), 6))
    axes = [ax] + ([panel] if panel is not None else [])
    return finish(figure, axes, lang, title=title if title is not None else phrase("likert_title", lang),
                  extra=[box])


def _category_table(frame: pd.DataFrame, category_column: str, side_column: str) -> pd.DataFrame:
    """One row per category (index: its label): side and order, checked for consistency."""
    columns = [category_column, side_column] + (["category_order"] if "category_order" in frame.columns else [])
    table = frame[columns].drop_duplicates()
    if table[category_column].duplicated().any():
        clash = table[category_column][table[category_column].duplicated()].tolist()
        raise ChartError(f"diverging_chart: categories {clash} have more than one side or order; give each one")
    if "category_order" not in table.columns:
        table = table.assign(category_order=range(len(table)))
    table = table.sort_values("category_order").set_index(category_column)
    return table.rename(columns={side_column: "side"})


def _innermost_first(names: list[str], order: Mapping[str, int], towards: float) -> list[str]:
    """``names`` sorted so the category nearest the other side of the scale comes first."""
    return sorted(names, key=lambda name: abs(order[name] - towards))


def _draw_bars(ax: Axes, table: pd.DataFrame, categories: pd.DataFrame, y: np.ndarray):
    order = categories["category_order"].to_dict()
    by_side = {side: categories.index[categories["side"] == side].tolist() for side in SIDES}
    negative_centre = np.mean([order[c] for c in by_side["negative"]]) if by_side["negative"] else 0.0
    positive_centre = np.mean([order[c] for c in by_side["positive"]]) if by_side["positive"] else 0.0
    negatives = _innermost_first(by_side["negative"], order, positive_centre)
    positives = _innermost_first(by_side["positive"], order, negative_centre)
    negative_colours, positive_colours = diverging_colours(len(negatives), len(positives))
    colours = dict(zip(negatives, negative_colours)) | dict(zip(positives, positive_colours))
    colours |= {name: NEUTRAL_COLOUR for name in by_side["neutral"]}

    neutral = table[by_side["neutral"]].sum(axis=1).to_numpy() if by_side["neutral"] else np.zeros(len(y))
    left, right = -neutral / 2.0, neutral / 2.0
    for name in by_side["neutral"]:  # split across zero
        share = table[name].to_numpy()
        _segment(ax, y, share, -share / 2.0, colours[name])
    for name in negatives:
        share = table[name].to_numpy()
        _segment(ax, y, share, left - share, colours[name])
        left = left - share
    for name in positives:
        share = table[name].to_numpy()
        _segment(ax, y, share, right, colours[name])
        right = right + share
    # Asymmetric limits: satisfaction data are mostly positive, a symmetric axis would waste half the width.
    ax.set_xlim(-float(np.max(-left)) * 1.05 - 0.03, float(np.max(right)) * 1.05 + 0.03)
    legend_order = list(reversed(negatives)) + by_side["neutral"] + positives  # left to right, as drawn
    return [Patch(facecolor=colours[name]) for name in legend_order], list(legend_order)


def _segment(ax: Axes, y: np.ndarray, share: np.ndarray, start: np.ndarray, colour: str) -> None:
    ax.barh(y, share, left=start, height=0.62, color=colour, edgecolor="white", linewidth=0.6, zorder=2)
    dark = _is_dark(colour)
    for position, value, begin in zip(y, share, start):
        if value >= _MIN_LABELLED_SHARE:
            ax.text(begin + value / 2.0, position, percent(value), ha="center", va="center",
                    fontsize=FONT_SIZES["annotation"] - 0.5, color="white" if dark else "#222222", zorder=4)


def _is_dark(colour: str) -> bool:
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 0.55


def _draw_dont_know(ax: Axes, shares: np.ndarray, y: np.ndarray, frame: pd.DataFrame, item_column: str,
                    heading: str) -> Axes:
    """The don't-know shares in their own small panel to the right of the bars, sharing the rows."""
    panel = ax.inset_axes([1.04, 0.0, 0.14, 1.0], sharey=ax)
    panel.barh(y, shares, height=0.62, color=DONT_KNOW_COLOUR, zorder=2)
    reach = max(float(shares.max()), 0.05) * 1.9
    panel.set_xlim(0.0, reach)
    respondents = frame.groupby(item_column, sort=False)["respondents"].first() if "respondents" in frame else None
    for index, (position, value) in enumerate(zip(y, shares)):
        text = percent(value)
        if respondents is not None:
            text += f"\nn={int(respondents.iloc[index])}"
        panel.text(value + reach * 0.04, position, text, va="center", ha="left",
                   fontsize=FONT_SIZES["annotation"] - 0.5, color="#333333")
    panel.tick_params(axis="y", left=False, labelleft=False)
    panel.set_xticks([])
    panel.spines[["top", "right", "bottom"]].set_visible(False)
    panel.set_title(heading, fontsize=FONT_SIZES["annotation"], color="#555555")
    return panel
