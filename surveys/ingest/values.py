"""Cell-level helpers shared by the readers: numbers, kinds, other-text and the answers frame.

Kinds are *inferred* only when the file does not state them (no type suffix, no dictionary): a
column of small non-negative integers (at most ``MAX_SCALE_CODE``) is a single choice (codes or a
0–10 scale), other numbers are a number, identifier-like digit strings (a leading zero, or 11 digits
and more: phone, ID and account numbers) are text, and labels that repeat (at most
``MAX_CHOICE_LABELS`` distinct ones, none ending like a sentence in 。！？) are a single choice;
anything else is text. The questionnaire
mapping decides in the end; the inferred kind only drafts it.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from surveys.ingest.raw import NOT_ASKED, ROW_COLUMN

__all__ = ["is_integer_text", "to_number", "quoted", "MAX_INTEGER_DIGITS", "identifier_like", "infer_kind", "split_other", "split_outside",
           "answers_frame", "MAX_SCALE_CODE", "MAX_CHOICE_LABELS", "dedupe_keys", "is_blank"]

MAX_SCALE_CODE = 30
MAX_CHOICE_LABELS = 30
# An integer of more digits is an identifier or noise, never a code or a count (and Python's int() refuses
# text of more than 4,300 digits with its own wording); such text is read as a label, a number or text.
MAX_INTEGER_DIGITS = 18
_INTEGER = re.compile(r"^[+-]?\d{1,%d}(\.0+)?$" % MAX_INTEGER_DIGITS)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_OTHER = re.compile(r"〖(.*?)〗", re.DOTALL)
_SENTENCE_ENDS = "。！？!?"  # an ASCII '.' ends abbreviations and numbers too often to count


def is_blank(text: str) -> bool:
    return text.strip() == ""


def is_integer_text(text: str) -> bool:
    return bool(_INTEGER.match(text.strip()))


def quoted(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters with its length when longer."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def to_number(text: str) -> int | float:
    """``int`` for integral text (``'3'``, ``'3.0'``, at most 18 digits), else a finite ``float``;
    ``ValueError`` (a message in the toolkit's words) otherwise."""
    value = text.strip()
    if _INTEGER.match(value):
        return int(value.split(".")[0])
    if _NUMBER.match(value):
        number = float(value)
        if math.isfinite(number):
            return number
        raise ValueError(f"expected a number, found {quoted(text)}, beyond the largest number a computer holds")
    raise ValueError(f"expected a number, found {quoted(text)}")


def identifier_like(texts: Iterable[str]) -> bool:
    """Digit strings that must stay text: any with a leading zero, or 11 digits and more."""
    for text in texts:
        value = text.strip()
        if value.isdigit() and ((len(value) > 1 and value[0] == "0") or len(value) >= 11):
            return True
    return False


def infer_kind(texts: Sequence[str], answered_count: int | None = None) -> str:
    """``single``, ``number`` or ``text`` for a column whose kind the file does not state. ``answered_count``: the
    column's answered cells when ``texts`` are its distinct values only (the kind depends on the values and on
    whether labels repeat)."""
    answered = [text.strip() for text in texts if text.strip() != ""]
    if not answered:
        return "text"
    if all(_NUMBER.match(text) for text in answered):
        if identifier_like(answered):
            return "text"
        if all(_INTEGER.match(text) for text in answered):
            codes = {int(text.split(".")[0]) for text in answered}
            if min(codes) >= 0 and max(codes) <= MAX_SCALE_CODE:
                return "single"
        return "number"
    distinct = set(answered)
    if any(text[-1] in _SENTENCE_ENDS for text in distinct):
        return "text"  # option labels are not sentences; free-text answers often are
    if len(distinct) <= MAX_CHOICE_LABELS and len(distinct) < (len(answered) if answered_count is None
                                                                 else answered_count):
        return "single"
    return "text"


def split_outside(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside 〖…〗 (respondents may type the separator in other-text)."""
    parts, current, depth = [], [], 0
    for char in text:
        if char == "〖":
            depth += 1
        elif char == "〗" and depth:
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def split_other(text: str) -> tuple[str, str | None]:
    """``('其他【请注明】', '柜台')`` from ``其他【请注明】〖柜台〗``; no 〖…〗 gives ``(text, None)``."""
    found = _OTHER.findall(text)
    if not found:
        return text, None
    return _OTHER.sub("", text).strip(), "；".join(part for part in found)


def dedupe_keys(keys: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """Unique keys: a repeat gets ``.1``, ``.2`` … (pandas' convention), never colliding with ``reserved``."""
    taken = set(reserved)
    unique = []
    for key in keys:
        candidate, counter = key, 0
        while candidate in taken:
            counter += 1
            candidate = f"{key}.{counter}"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def answers_frame(row_numbers: Sequence[int], meta: Mapping[str, pd.Series],
                  questions: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The answers DataFrame: ``row``, the meta columns, then one object column per question key."""
    columns: dict[str, Any] = {ROW_COLUMN: pd.Series(list(row_numbers), dtype="int64")}
    for name, series in meta.items():
        columns[name] = series.reset_index(drop=True)
    for key, values in questions.items():
        columns[key] = pd.Series(list(values), dtype=object)
    return pd.DataFrame(columns)


def missing_value(text: str, not_asked: Iterable[str] = (), blank: Iterable[str] = ()) -> Any:
    """``NOT_ASKED`` / ``None`` for the platform's sentinels and empty cells; the text otherwise."""
    value = text.strip()
    if value in not_asked:
        return NOT_ASKED
    if value == "" or value in blank:
        return None
    return text


