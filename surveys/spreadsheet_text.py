"""Text that is safe in a spreadsheet: the one rule every CSV and xlsx writer of the toolkit follows.

Respondents type free text, and an export passes it on (issues, comments, keyed values). Two things can go
wrong when such text reaches a spreadsheet:

- **Formula injection.** Excel, LibreOffice and WPS run a cell that starts with ``=``, ``+``, ``-`` or
  ``@`` as a formula (a tab or carriage return first is trimmed and the rest run), so an answer such as
  ``=HYPERLINK("http://…")`` or ``-2+3+cmd|' /C calc'!A0`` would become live. Such a cell is
  *neutralised*: in a CSV it gets a leading apostrophe (``'=1+1``, the OWASP advice; Excel shows the
  text without it); in an xlsx it is written as an explicit string cell with Excel's quote prefix, so the
  stored text is exactly what the respondent typed and editing the cell keeps it text. The rule is the
  same for every text cell, a signed number written as text (``-2``) included; numbers stored as numbers
  are never touched.
- **Characters XML 1.0 cannot hold.** Control characters other than tab, line feed and carriage return
  (``\\x00``–``\\x08``, ``\\x0b``, ``\\x0c``, ``\\x0e``–``\\x1f``, ``\\x7f``), lone surrogates and
  U+FFFE/U+FFFF make openpyxl refuse the cell (or Excel the file). They become U+FFFD (�), in CSV too, so
  the same answer reads the same in every output.

:func:`csv_cell` / :func:`csv_frame` are for CSV writers, :func:`write_text_cell` for an openpyxl cell.
Validated by ``tests/test_spreadsheet_text.py`` (every writer: issues.csv, accounting.csv, measures.csv,
``surveys export``, the report workbook, the agreed workbook and keying report of double entry).
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "clean_text", "is_formula_like", "csv_cell", "csv_frame", "write_text_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these; openpyxl raises IllegalCharacterError on the control characters
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENT = "\ufffd"


def clean_text(value: Any) -> str:
    """``value`` as text (``None`` → ``""``) with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _ILLEGAL.sub(_REPLACEMENT, "" if value is None else str(value))


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would run ``text`` as a formula (see the module docstring)."""
    return text.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text cleaned and, when formula-like, prefixed with an apostrophe; other values unchanged."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if is_formula_like(text) else text


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (in object and string columns) went through :func:`csv_cell`."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].astype(object).map(csv_cell)
    return safe


def write_text_cell(cell: Any, value: Any) -> str:
    """Store ``value`` in the openpyxl ``cell`` as text: cleaned, an explicit string cell (never a formula),
    with the quote prefix when formula-like. Returns the text written."""
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
    return text
