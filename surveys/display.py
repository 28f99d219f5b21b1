"""How wide text is on a terminal or in a spreadsheet cell, where Chinese characters take two columns.

:func:`display_width` counts East Asian wide and full-width characters (UAX #11) as 2, everything else as 1;
:func:`wrap` breaks text into lines of at most a given width, between words where there are spaces and
anywhere in Chinese text. The console tables, the workbook's column widths, the paper templates and the chart
labels all measure text with these.
"""
from __future__ import annotations

import unicodedata

__all__ = ["display_width", "is_wide", "wrap"]


def is_wide(character: str) -> bool:
    """Whether ``character`` takes two columns (East Asian wide or full-width)."""
    return unicodedata.east_asian_width(character) in ("W", "F")


def display_width(text: str) -> int:
    """Width of ``text`` in Latin character cells: wide and full-width characters count 2."""
    return sum(2 if is_wide(character) else 1 for character in str(text))


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (a single character wider than ``width`` gets its own line);
    breaks at spaces when a line has them, else between any two characters (Chinese needs no spaces)."""
    text = str(text)
    if width < 1 or display_width(text) <= width:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for character in text:
        size = 2 if is_wide(character) else 1
        if used + size > width and line:
            cut = line.rfind(" ")
            if cut > 0 and not is_wide(character) and character != " ":
                lines.append(line[:cut])
                line = line[cut + 1:]
            else:
                lines.append(line.rstrip())
                line = ""
            used = display_width(line)
            if character == " " and not line:
                continue
        line += character
        used += size
    if line:
        lines.append(line)
    return lines
