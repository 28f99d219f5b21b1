"""What every chart does around its drawing: take a table, get axes, set the font, format axes, save.

Charts never touch pyplot or global rcParams: a new chart draws on a ``matplotlib.figure.Figure``
created here (with constrained layout, a per-figure setting), an existing ``ax`` is drawn on as given,
and the font reaches each text through a FontProperties (see :mod:`surveys.charts.fonts`).
"""
from __future__ import annotations

import math
import pathlib
from typing import Any, Iterable, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

from surveys.charts.fonts import ChartFont, font_for
from surveys.charts.style import (
    FIGURE_WIDTH,
    FONT_SIZES,
    MINIMUM_DPI,
    PRINT_DPI,
    ROW_HEIGHT,
    TARGET_LINE_COLOUR,
    wrap_label,
)
from surveys.charts.text import check_language, percent, phrase
from surveys.errors import ChartError

__all__ = [
    "as_frame",
    "require_columns",
    "language_column",
    "select_rows",
    "new_axes",
    "row_layout",
    "legend",
    "finish",
    "percent_axis",
    "share_limits",
    "target_line",
    "footnote",
    "save_figure",
    "threshold_from",
]


def as_frame(data: Any, chart: str) -> pd.DataFrame:
    """A DataFrame from a DataFrame or any table with ``to_frame()`` (EstimateTable, TargetTable, ...)."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif hasattr(data, "to_frame"):
        frame = data.to_frame()
    else:
        raise ChartError(
            f"{chart} needs a tidy DataFrame (or a table with to_frame()); found {type(data).__name__}"
        )
    if frame.empty:
        raise ChartError(f"{chart} got an empty table; nothing to draw")
    return frame.reset_index(drop=True)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ChartError(
            f"{chart} needs the columns {missing} (found {list(frame.columns)}); rename them or pass the "
            "*_column arguments"
        )


def language_column(frame: pd.DataFrame, column: str, lang: str, chart: str) -> str:
    """``<column>_<lang>`` when the table has it (e.g. ``label_zh`` of a measure table), else ``column``."""
    for candidate in (f"{column}_{lang}", column):
        if candidate in frame.columns:
            return candidate
    raise ChartError(
        f"{chart} needs a column '{column}' or '{column}_{lang}' (found {list(frame.columns)}); rename it or "
        "pass the *_column argument"
    )


def select_rows(frame: pd.DataFrame, chart: str, **wanted: Any) -> pd.DataFrame:
    """The rows whose columns equal ``wanted`` (None = no filter; columns the table lacks are ignored)."""
    for column, value in wanted.items():
        if value is None or column not in frame.columns:
            continue
        frame = frame[frame[column] == value]
        if frame.empty:
            raise ChartError(f"{chart}: no row has {column} == {value!r}; check the table or the argument")
    return frame.reset_index(drop=True)


def new_axes(ax: Axes | None, height: float, width: float = FIGURE_WIDTH) -> tuple[Figure, Axes, bool]:
    """``(figure, ax, created)``: the caller's ``ax`` and its figure, or a new Figure (not registered with
    pyplot, constrained layout) of the given size with one axes, and whether it was created here."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise ChartError(f"ax must be a matplotlib Axes; found {type(ax).__name__}")
        try:
            return ax.get_figure(root=True), ax, False  # matplotlib >= 3.10: the top figure of subfigures
        except TypeError:
            return ax.figure, ax, False
    figure = Figure(figsize=(width, max(height, 2.0)), layout="constrained")
    return figure, figure.add_subplot(), True


def row_layout(labels: Sequence[str], lang: str, width: float = 13.0,
               sizes: Sequence[float] | None = None) -> tuple[list[str], list[float], float]:
    """Wrapped row labels, their y positions (first row on top) and the axes height in inches they need;
    ``sizes`` shrinks or grows single rows (e.g. 0.6 for a group heading)."""
    wrapped = [wrap_label(str(label), width) for label in labels]
    sizes = list(sizes) if sizes is not None else [1.0] * len(wrapped)
    heights = [max(ROW_HEIGHT * size, 0.16 * (label.count("\n") + 1) + 0.14) for label, size in zip(wrapped, sizes)]
    positions, top = [], 0.0
    for height in heights:
        positions.append(-(top + height / 2))
        top += height
    scale = 1.0 / ROW_HEIGHT  # y units: one standard row = 1
    return wrapped, [p * scale for p in positions], top


def legend(figure: Figure, ax: Axes, handles: Sequence[Any], labels: Sequence[str], *, created: bool,
           columns: int = 2, title: str | None = None) -> Any:
    """A legend under the chart for a figure made here, inside the axes for a caller's ``ax``."""
    if created:
        return figure.legend(handles, labels, loc="outside lower center", ncol=columns, frameon=False,
                             fontsize=FONT_SIZES["annotation"], title=title,
                             title_fontsize=FONT_SIZES["annotation"])
    return ax.legend(handles, labels, loc="best", fontsize=FONT_SIZES["annotation"], title=title,
                     title_fontsize=FONT_SIZES["annotation"], framealpha=0.9)


def _texts(artists: Sequence[Any]) -> list[Text]:
    found: dict[int, Text] = {}
    for artist in artists:
        for text in artist.findobj(Text):
            found.setdefault(id(text), text)
    return list(found.values())


def finish(figure: Figure, axes: Sequence[Axes], lang: str, *, title: str | None = None,
           extra: Sequence[Any] = ()) -> Figure:
    """Check that the chosen font has a glyph for every character of the texts of ``axes`` and of the
    ``extra`` artists (a figure legend), then give each text that font (keeping its size); set the title.
    Returns ``figure``."""
    check_language(lang)
    main = axes[0]
    if title:
        main.set_title(wrap_label(title, 34.0), fontsize=FONT_SIZES["title"], loc="left", pad=16)
    for ax in axes:
        ax.tick_params(labelsize=FONT_SIZES["tick"])
    texts = _texts(list(axes) + [artist for artist in extra if artist is not None])
    font = font_for("".join(t.get_text() for t in texts) + "0123456789.%-−", lang)
    _apply(font, texts)
    return figure


def _apply(font: ChartFont, texts: Iterable[Text]) -> None:
    for text in texts:
        text.set_fontproperties(font.properties(size=text.get_fontsize()))


def percent_axis(axis: Any, *, absolute: bool = False) -> None:
    """Format an axis of shares (0–1) as percentages on round steps (1, 2, 5 × 10ᵏ percent), with as
    few decimals as the ticks need; ``absolute`` drops the sign (the left half of diverging bars)."""

    def format_share(value: float, _position: int) -> str:
        if not absolute and not -1e-9 <= value <= 1 + 1e-9:
            return ""  # the padding around 0 % and 100 % carries no label
        value = abs(value) if absolute else value
        text = f"{value * 100:.1f}"
        text = text[:-2] if text.endswith(".0") else text
        return ("0" if text in ("-0", "0") else text.replace("-", "−")) + "%"

    axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(format_share))


def threshold_from(frame: pd.DataFrame, column: str, threshold: float | None, chart: str) -> pd.Series | None:
    """The target per row: the ``threshold`` argument for every row, else the table's ``column``, else None."""
    if threshold is not None:
        value = float(threshold)
        if not math.isfinite(value):
            raise ChartError(f"{chart}: threshold must be a finite share (0.8 for 80%); found {threshold!r}")
        return pd.Series(value, index=frame.index)
    if column in frame.columns:
        return pd.to_numeric(frame[column], errors="coerce")
    return None


def share_limits(*series: Any, pad: float = 0.06) -> tuple[float, float]:
    """Axis limits around every finite value of ``series`` (shares), padded; at most a small overshoot past
    0 and 1 so that markers at 0 % or 100 % are drawn whole."""
    values = pd.concat([pd.Series(s, dtype=float) for s in series if s is not None], ignore_index=True)
    values = values[np.isfinite(values)]
    if values.empty:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = max(0.02, pad * (high - low))
    return max(-0.025, low - margin), min(1.025, high + margin)


def target_line(ax: Axes, value: float, lang: str, *, vertical: bool = True, decimals: int = 0) -> None:
    """The target as a dashed line across the axes, labelled "目标 80%" / "Target 80%" at its end."""
    label = phrase("target", lang, value=percent(value, decimals))
    if vertical:
        ax.axvline(value, color=TARGET_LINE_COLOUR, linestyle="--", linewidth=1.1, zorder=1)
        ax.annotate(label, xy=(value, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=FONT_SIZES["annotation"],
                    color=TARGET_LINE_COLOUR)
    else:
        ax.axhline(value, color=TARGET_LINE_COLOUR, linestyle="--", linewidth=1.1, zorder=1)
        ax.annotate(label, xy=(1.0, value), xycoords=("axes fraction", "data"), xytext=(-2, 2),
                    textcoords="offset points", ha="right", va="bottom", fontsize=FONT_SIZES["annotation"],
                    color=TARGET_LINE_COLOUR)


def footnote(ax: Axes, text: str) -> None:
    """A note under the axes' x label (kept inside the figure by constrained layout); each line of ``text``
    is a paragraph, wrapped on its own."""
    wrapped = "\n".join(wrap_label(paragraph, 52.0) for paragraph in text.split("\n"))
    ax.annotate(wrapped, xy=(0.0, 0.0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -6),
                textcoords="offset points", ha="left", va="top", fontsize=FONT_SIZES["footnote"],
                color="#444444", wrap=False)


def save_figure(figure: Figure, path_stem: str | pathlib.Path, *, dpi: int = PRINT_DPI,
                formats: Sequence[str] = ("png", "svg")) -> tuple[pathlib.Path, ...]:
    """Write ``figure`` as ``<path_stem>.png`` (``dpi`` ≥ 200, recorded in the PNG's pHYs chunk) and
    ``<path_stem>.svg`` with text converted to paths (``svg.fonttype = "path"``, set for this call only via
    ``rc_context``), so the SVG shows the same glyphs on a machine without the font. Returns the paths."""
    if dpi < MINIMUM_DPI:
        raise ChartError(f"print-quality PNGs need dpi >= {MINIMUM_DPI}; found {dpi}")
    unknown = [f for f in formats if f not in ("png", "svg")]
    if unknown:
        raise ChartError(f"save_figure writes 'png' and 'svg'; found {unknown}")
    stem = pathlib.Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    settings = {"svg.fonttype": "path", "svg.hashsalt": "surveys"}
    with matplotlib.rc_context(settings):
        for extension in formats:
            path = stem.with_name(stem.name + "." + extension)
            metadata = {"Date": None} if extension == "svg" else {"Software": "surveys (matplotlib)"}
            figure.savefig(path, format=extension, dpi=dpi, metadata=metadata, facecolor="white")
            written.append(path)
    return tuple(written)
