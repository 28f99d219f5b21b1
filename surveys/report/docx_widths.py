"""Column widths of the Word report's tables: each table fits the A4 type width and prints in as few lines as it can.

Widths are measured in half-em units of the table's type (a Chinese character is 2, a digit 1): Latin letters
by rough Times New Roman widths (i, l, t narrow; m, w, %, capitals wide), code (file names, hashes) by its
monospaced face at its smaller size. A cell's text breaks as Word and LibreOffice break it: between any two
Chinese characters, at spaces between Latin words and numbers, never after an opening bracket or before closing
punctuation, and a word wider than its column anywhere; where a Chinese character meets a Latin letter or digit
("70岁"), both applications add a quarter em (their Asian/Latin spacing), which counts too. :func:`column_widths`
starts every column at its narrowest, then gives what is left, step by step, to the widening that saves the most
lines per unit (a row is as tall as its tallest cell; widening a column by several units at once counts, so a hash
goes from three lines to two before a file name goes from two to one) — a browser's automatic table layout, tuned
for print.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

__all__ = ["column_widths", "table_height", "text_width"]

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u25a0-\u25ff\u2605\u203b]")
_TOKENS = re.compile(_CJK.pattern + r"|[^\s" + _CJK.pattern[1:-1] + r"]+|\s+")
_NO_LINE_START = set("）〕」』】》〉、。，．；：？！％”’)]}%,.;:?!")
_NO_LINE_END = set("（〔「『【《〈“‘([{")
# Times New Roman advance widths in half-em units (a digit is 1)
_NARROW = dict.fromkeys("ijlftrI.,:;'|!()[]/- ", 0.6)
_WIDE = dict.fromkeys("mwMW%@", 1.7)
_MONOSPACE = 1.2  # 0.6 em
_TOKEN_CAP = 24.0  # a longer word (a file name, a hash) wraps inside its cell rather than widen the column
_CJK_MIN = 8.0  # a column with Chinese text keeps four characters a line
_IDEOGRAPH = re.compile(r"[\u3040-\u9fff\uf900-\ufaff]")  # kana and Han: spaced from Latin, unlike punctuation
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")
_ASIAN_LATIN_SPACE = 0.5  # a quarter em
_CELL_LINE_WEIGHT = 0.1  # besides row heights, every cell line saved counts a little

Token = tuple[float, float]  # (width, space before it)


def text_width(text: str, *, mono: bool = False) -> float:
    """The width of ``text`` in half-em units of its type (see the module docstring)."""
    if mono:
        return sum(2.0 if _CJK.match(c) else _MONOSPACE for c in text)
    total = 0.0
    for character in text:
        if _CJK.match(character):
            total += 2.0
        elif character in _NARROW or character in _WIDE:
            total += _NARROW.get(character) or _WIDE[character]
        elif "A" <= character <= "Z":
            total += 1.4
        else:
            total += 1.0
    return total


def _mixed(before: str, after: str) -> bool:
    """Whether the applications space ``after`` from ``before``: a Han character or kana next to a Latin letter
    or digit, either way round."""
    pair = (before[-1:], after[:1])
    return any(_IDEOGRAPH.match(first) is not None and _ALPHANUMERIC.match(second) is not None
               for first, second in (pair, pair[::-1]))


def _tokens(text: str, scale: float = 1.0, mono: bool = False) -> tuple[Token, ...]:
    """``text`` as (width, space before) tokens: each Chinese character alone, each Latin word or number whole;
    an opening bracket stays with what follows it and closing punctuation with what precedes it."""
    tokens: list[list[float]] = []
    space, opening = 0.0, 0.0
    gap = text_width(" ", mono=mono) * scale
    previous = ""
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token.isspace():
            space, previous = gap, ""
            continue
        width = text_width(token, mono=mono) * scale
        if _mixed(previous, token):
            width += _ASIAN_LATIN_SPACE * scale
        previous = token
        if token in _NO_LINE_END:
            opening, space = opening + width + space, 0.0
            continue
        if token in _NO_LINE_START and tokens and not space:
            tokens[-1][0] += width
            continue
        tokens.append([width + opening, space])
        space, opening = 0.0, 0.0
    if opening:
        tokens.append([opening, space])
    return tuple((width, before) for width, before in tokens)


def _lines(tokens: tuple[Token, ...], width: float) -> int:
    """How many lines the tokens take in a column ``width`` units wide (a word wider than it breaks anywhere)."""
    lines, used = 1, 0.0
    for size, space in tokens:
        if size > width:
            pieces = int(-(-size // width))
            lines += (1 if used else 0) + pieces - 1
            used = size - (pieces - 1) * width
            continue
        step = size + (space if used else 0.0)
        if used + step <= width + 1e-9:
            used += step
        else:
            lines, used = lines + 1, size
    return lines


def _narrowest(tokens: tuple[Token, ...], text: str) -> float:
    """The narrowest a column can be for a cell: its longest number or Latin word (capped: a file name or hash
    breaks), and four Chinese characters where it has Chinese."""
    widest = max((size for size, _ in tokens), default=0.0)
    chinese = min(_CJK_MIN, sum(size for size, _ in tokens)) if _CJK.search(text) else 0.0
    return max(min(widest, _TOKEN_CAP), chinese)


class _Grid:
    """The header row and the rows as tokens, with the lines of a cell at a width remembered."""

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[str]], code: Sequence[bool],
                 code_scale: float) -> None:
        self.texts = [list(headers), *map(list, rows)]
        self.columns = len(headers)
        code = list(code) or [False] * self.columns
        self.tokens = [[_tokens(text) for text in headers]] + [
            [_tokens(text, code_scale, True) if is_code else _tokens(text) for text, is_code in zip(row, code)]
            for row in rows]

    def narrowest(self) -> list[float]:
        return [max(_narrowest(self.tokens[r][c], self.texts[r][c]) for r in range(len(self.texts))) + 1.0
                for c in range(self.columns)]

    def lines(self, column: int, widths: Sequence[float]) -> np.ndarray:
        """The lines of every cell of ``column`` at each of ``widths``: an array (widths × rows)."""
        return np.array([[_lines(self.tokens[r][column], width) for r in range(len(self.texts))] for width in widths],
                        dtype=float)


def _greedy(grid: _Grid, widths: list[float], available: float) -> list[float]:
    """Give the space left to the columns, each time the widening (by any number of units) that saves the most
    lines per unit: rows (as tall as their tallest cell) first, and a little for every cell line."""
    spare = int(available - sum(widths))
    if spare <= 0:
        return widths
    # lines of every cell at every width the column can reach: columns × (spare + 1) × rows
    lines = np.stack([grid.lines(c, [widths[c] + step for step in range(spare + 1)]) for c in range(grid.columns)])
    steps = np.arange(1, spare + 1, dtype=float)
    position = [0] * grid.columns
    while spare > 0:
        heights = np.stack([lines[c, position[c]] for c in range(grid.columns)], axis=1)  # rows × columns
        tallest = heights.max(axis=1)
        best = None
        for c in range(grid.columns):
            reach = min(spare, lines.shape[1] - 1 - position[c])
            if reach <= 0:
                continue
            others = np.delete(heights, c, axis=1).max(axis=1) if grid.columns > 1 else np.zeros(len(tallest))
            candidate = lines[c, position[c] + 1: position[c] + 1 + reach]  # steps × rows
            saved = (tallest - np.maximum(others, candidate)).sum(axis=1)
            saved += _CELL_LINE_WEIGHT * (heights[:, c] - candidate).sum(axis=1)
            ratio = saved / steps[:reach]
            step = int(np.argmax(ratio))
            if ratio[step] > 0 and (best is None or ratio[step] > best[0]):
                best = (ratio[step], c, step + 1)
        if best is None:
            break
        _, column, step = best
        position[column] += step
        widths[column] += step
        spare -= step
    return widths


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], available: float, *,
                  code: Sequence[bool] = (), code_scale: float = 1.0) -> list[float]:
    """Column widths (half-em units of the table's type) adding up to ``available`` (see the module docstring);
    ``code`` marks the columns printed monospaced at ``code_scale`` times the table's type size."""
    grid = _Grid(headers, rows, code, code_scale)
    widths = grid.narrowest()
    if sum(widths) >= available:
        return [w * available / sum(widths) for w in widths]
    widths = _greedy(grid, widths, available)
    left = available - sum(widths)
    return [w + left * w / sum(widths) for w in widths]


def table_height(headers: Sequence[str], rows: Sequence[Sequence[str]], spans: Sequence[str],
                 widths: Sequence[float], *, code: Sequence[bool] = (), code_scale: float = 1.0) -> int:
    """How many lines the table prints with these widths, each of ``spans`` across the whole width."""
    grid = _Grid(headers, rows, code, code_scale)
    heights = np.stack([grid.lines(c, [width])[0] for c, width in enumerate(widths)], axis=1)
    return int(heights.max(axis=1).sum()) + sum(_lines(_tokens(span), sum(widths)) for span in spans if span)
