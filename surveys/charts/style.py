"""Colours, markers, sizes and print settings shared by every chart, and the label wrapper.

Colours come from the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), chosen to stay
distinguishable under protanopia, deuteranopia and tritanopia. Verdicts use blue for "met" and orange /
vermillion for "not met" (never red against green), light for "within the margin of error", and each
verdict also has its own marker shape, so the chart reads in greyscale print too.
"""
from __future__ import annotations

import re
import textwrap
from typing import Mapping

from matplotlib import colormaps

from surveys.display import is_wide as _is_wide

__all__ = [
    "VERDICT_COLOURS",
    "VERDICT_MARKERS",
    "SERIES_COLOURS",
    "SINGLE_COLOUR",
    "SECOND_COLOUR",
    "NEUTRAL_COLOUR",
    "DONT_KNOW_COLOUR",
    "TARGET_LINE_COLOUR",
    "UNRELIABLE_COLOUR",
    "PRINT_DPI",
    "MINIMUM_DPI",
    "REPORT_DPI",
    "FIGURE_WIDTH",
    "ROW_HEIGHT",
    "FONT_SIZES",
    "diverging_colours",
    "wrap_label",
]

VERDICT_COLOURS: Mapping[str, str] = {
    "met": "#0072B2",  # blue
    "met_within_margin": "#56B4E9",  # sky blue
    "not_met_within_margin": "#E69F00",  # orange
    "not_met": "#D55E00",  # vermillion
    "not_judged": "#7F7F7F",  # grey: the sample cannot carry a verdict
}
VERDICT_MARKERS: Mapping[str, str] = {
    "met": "o",
    "met_within_margin": "D",
    "not_met_within_margin": "s",
    "not_met": "v",
    "not_judged": "X",
}
# Okabe–Ito without yellow (too light on white paper), for series that carry no verdict: the verdicts' blue and
# orange come last, so groups (paper/online, indicators) are not read as verdicts next to the target chart.
SERIES_COLOURS = ("#009E73", "#CC79A7", "#000000", "#56B4E9", "#E69F00", "#0072B2", "#D55E00")
SINGLE_COLOUR = "#2F4B7C"  # one series without a verdict (districts, weights)
SECOND_COLOUR = "#CC79A7"  # its comparison (weights before the adjustment)
NEUTRAL_COLOUR = "#D9D9D9"
DONT_KNOW_COLOUR = "#9E9E9E"
TARGET_LINE_COLOUR = "#333333"
UNRELIABLE_COLOUR = "#7F7F7F"

PRINT_DPI = 300  # PNG resolution for print; save_figure refuses anything below MINIMUM_DPI
MINIMUM_DPI = 200
# The charts of a run's report (surveys run / demo): print quality on A4 at 4/9 of the pixels of PRINT_DPI, which
# the PNG encoder and the HTML report's resampling pay for per pixel.
REPORT_DPI = 200
FIGURE_WIDTH = 7.0  # inches: fits the text width of an A4 page with 2 cm margins
ROW_HEIGHT = 0.42  # inches per indicator/district row of a horizontal chart
FONT_SIZES: Mapping[str, float] = {"title": 11.5, "label": 9.5, "tick": 9.0, "annotation": 8.0, "footnote": 7.5}


def diverging_colours(negative: int, positive: int) -> tuple[list[str], list[str]]:
    """Colours for the negative categories (innermost first) and the positive ones (innermost first):
    oranges to the left of zero, blues to the right, darker further from zero (ColorBrewer-like ramps)."""

    def ramp(name: str, count: int) -> list[str]:
        if count == 0:
            return []
        cmap = colormaps[name]
        steps = [0.35 + 0.5 * i / max(count - 1, 1) for i in range(count)] if count > 1 else [0.55]
        return [_hex(cmap(step)) for step in steps]

    return ramp("Oranges", negative), ramp("Blues", positive)


def _hex(rgba: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(channel * 255):02X}" for channel in rgba[:3])


# A line may not start with these (closing punctuation) nor end with the opening ones.
_NO_LINE_START = set("）)】」』》，。、：；！？%％,.;:!?")
_NO_LINE_END = set("（(【「『《")


def wrap_label(text: str, width: float = 12.0) -> str:
    """Wrap ``text`` into lines of at most ``width`` full-width characters (a Latin letter counts half),
    balanced so the last line is not an orphan: the lines are re-wrapped at the narrowest width that
    still needs no more lines (Chinese breaks between characters, see :func:`_wrap_greedy`)."""
    first = _wrap_greedy(text, width)
    lines = first.count("\n") + 1
    if lines == 1:
        return first
    narrow = width
    while narrow > 1.0 and _wrap_greedy(text, narrow - 0.5).count("\n") + 1 == lines:
        narrow -= 0.5
    return _wrap_greedy(text, narrow)


def _wrap_greedy(text: str, width: float) -> str:
    """Wrap ``text`` into lines of at most ``width`` full-width characters (a Latin letter counts half).

    Chinese has no spaces, so lines break between any two wide characters (never before closing or after
    opening punctuation) and at spaces; a run of Latin letters or digits is never split. Text without
    wide characters wraps at spaces (``textwrap``).
    """
    text = str(text)
    if not any(_is_wide(c) for c in text):
        return "\n".join(textwrap.wrap(text, width=max(int(width * 2), 1), break_long_words=False)) or text
    tokens = re.findall(r"\s+|[^\s]", text)
    merged: list[str] = []
    for token in tokens:  # glue runs of narrow non-space characters into one unbreakable token
        if merged and not token.isspace() and not _is_wide(token) and not merged[-1].isspace() \
                and not any(_is_wide(c) for c in merged[-1]):
            merged[-1] += token
        else:
            merged.append(token)
    lines: list[str] = []
    line, used = "", 0.0
    for token in merged:
        size = sum(1.0 if _is_wide(c) else 0.5 for c in token)
        breakable = line and token[0] not in _NO_LINE_START and line[-1] not in _NO_LINE_END
        if breakable and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0.0
            if token.isspace():
                continue
        line += token
        used += size
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)
