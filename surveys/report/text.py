"""Text helpers shared by the workbook and the HTML: display width, clean text, sheet names, number display."""
from __future__ import annotations

import math
import re
from typing import Any, Iterable

from surveys.display import display_width
from surveys.spreadsheet_text import clean_text

__all__ = [
    "display_width",
    "clean_text",
    "sheet_name",
    "unique_sheet_names",
    "format_value",
    "is_number",
    "SHEET_NAME_LIMIT",
]

SHEET_NAME_LIMIT = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")




def sheet_name(text: str, fallback: str = "Sheet") -> str:
    """A valid Excel sheet name: no ``[]:*?/\\``, no leading/trailing apostrophe, 1–31 characters."""
    name = _SHEET_FORBIDDEN.sub("_", clean_text(text)).strip().strip("'").strip()
    name = name[:SHEET_NAME_LIMIT].strip() or fallback[:SHEET_NAME_LIMIT]
    return "_History" if name.lower() == "history" else name  # 'History' is reserved by Excel


def unique_sheet_names(texts: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid sheet names for ``texts``, unique among themselves and ``taken`` (Excel ignores case):
    a repeated name gets ``~2``, ``~3`` … within the 31-character limit."""
    used = {name.lower() for name in taken}
    names = []
    for text in texts:
        base = sheet_name(text)
        name, counter = base, 1
        while name.lower() in used:
            counter += 1
            suffix = f"~{counter}"
            name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        used.add(name.lower())
        names.append(name)
    return names


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: Any, kind: str, lang: str = "zh") -> str:
    """How a cell reads in the HTML (and in a text column): ``share`` 82.4%, ``points`` ±3.2 个百分点,
    ``number`` 1.23, ``count`` 1,234, ``coefficient`` (a model coefficient, an odds ratio) 2.21, ``correlation``
    (Cronbach's α, a correlation) 0.874; a missing number is an en dash."""
    if kind in ("text", "code", "verdict", "flag"):
        return clean_text(value)
    return _number_text(value, kind, lang).replace("-", "−")  # a minus sign, as typeset (−1.7, −0.60–0.70)


def _number_text(value: Any, kind: str, lang: str) -> str:
    if kind == "df" and isinstance(value, float) and math.isinf(value):
        return "∞"
    if not is_number(value):
        return "–"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "points":
        return f"±{value * 100:.1f} 个百分点" if lang == "zh" else f"±{value * 100:.1f} pp"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "df":
        return "∞" if math.isinf(value) else (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}")
    if kind == "index":
        return f"{value:.1f}"
    if kind == "index_points":
        return f"±{value:.1f}"
    if kind == "points_signed":
        points = round(value * 100, 1) or 0.0  # −0.04 points reads 0.0, not −0.0
        shown = f"{points:+.1f}" if points else "0.0"
        return f"{shown} 个百分点" if lang == "zh" else f"{shown} pp"
    if kind == "p_value":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if kind == "coefficient":
        return f"{value:.2f}"
    if kind == "correlation":
        return f"{value:.3f}"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"  # 0.052 stays 0.052 (against a target of 0.054), 1.1465 reads 1.147

