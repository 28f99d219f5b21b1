"""OMR exports: sentinel cells become missing answers plus a problem per cell (:func:`apply_omr_sentinels`)."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import pandas as pd

from surveys.errors import IngestError
from surveys.paper.entry import canonical_values


def _as_tuple(value: str | int | Sequence[str | int]) -> tuple[str, ...]:
    values = (value,) if isinstance(value, (str, int)) else tuple(value)
    return tuple(canonical_values(pd.Series(list(values), dtype=object)))


@dataclass(frozen=True)
class OmrSentinels:
    """The special values an OMR (optical mark reader) export writes instead of an answer code.

    ``blank``: no mark (becomes a missing answer). ``multiple``: several marks on a single-choice
    item (missing, plus a ``multiple_marks`` problem). ``invalid``: a mark the scanner could not read
    (faint, erased; missing, plus an ``invalid_mark`` problem). Each takes one value or several;
    values compare canonically, so ``-1`` matches the cell ``"-1"``. Conventions seen in practice
    (docs/formats.md §11, :data:`OMR_CONVENTIONS`): an empty cell for no mark and ``*`` for a double mark
    (the default); ``-1`` = no answer and ``-9999`` = invalid mark (double or faint) in the export of
    the OMR service whose documentation docs/formats.md §11 describes.
    """

    blank: tuple[str, ...] = ("",)
    multiple: tuple[str, ...] = ("*",)
    invalid: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("blank", "multiple", "invalid"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))
        overlap = (set(self.blank) & set(self.multiple)) | (set(self.blank) & set(self.invalid)) | (
            set(self.multiple) & set(self.invalid))
        if overlap:
            raise IngestError(f"OMR sentinels must be distinct; found {sorted(overlap)} in more than one of "
                              "blank / multiple / invalid; give each meaning its own value")


OMR_CONVENTIONS: Mapping[str, OmrSentinels] = MappingProxyType({
    "blank_and_star": OmrSentinels(blank=("",), multiple=("*",)),
    "minus_one_and_9999": OmrSentinels(blank=("", "-1"), multiple=(), invalid=("-9999",)),
})


@dataclass(frozen=True, eq=False)
class OmrResult:
    """Answers with sentinels replaced by missing values, and one problem per sentinel cell that is not blank.

    ``problems`` columns: ``row``, ``column``, ``value`` (as exported), ``code`` (``multiple_marks`` or
    ``invalid_mark``). ``rows_read == len(answers)`` always: no row is dropped.
    """

    answers: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    blank_cells: int

    @property
    def rows_with_problems(self) -> int:
        return int(self.problems["row"].nunique())


def apply_omr_sentinels(frame: pd.DataFrame, sentinels: OmrSentinels = OmrSentinels(), *,
                        columns: Sequence[str] | None = None, row_column: str | None = "row") -> OmrResult:
    """Replace ``sentinels`` in ``columns`` (default: all but ``row_column``) with None; record the problems.

    ``row_column`` names the frame's row numbers (as in :class:`~surveys.ingest.RawExport` answers);
    when it is None or absent, rows are numbered from 1. Vectorised per column.
    """
    if not isinstance(sentinels, OmrSentinels):
        raise IngestError(f"sentinels must be an OmrSentinels; found {type(sentinels).__name__}; "
                          f"use one of OMR_CONVENTIONS {sorted(OMR_CONVENTIONS)} or OmrSentinels(blank=…, multiple=…)")
    chosen = list(columns) if columns is not None else [c for c in frame.columns if c != row_column]
    unknown = [column for column in chosen if column not in frame.columns]
    if unknown:
        raise IngestError(f"OMR columns {unknown} are not in the data; its columns are {list(frame.columns)[:30]}")
    rows = frame[row_column] if row_column in frame.columns else pd.Series(range(1, len(frame) + 1), index=frame.index)
    answers = frame.copy()
    found, blank_cells = [], 0
    for column in chosen:
        canonical = canonical_values(frame[column])
        blank = canonical.isin(sentinels.blank) & frame[column].notna()
        for code, values in (("multiple_marks", sentinels.multiple), ("invalid_mark", sentinels.invalid)):
            hit = canonical.isin(values)
            if hit.any():
                found.append(pd.DataFrame({"row": rows[hit], "column": column, "value": frame.loc[hit, column],
                                           "code": code}))
            blank |= hit
        blank_cells += int((canonical.isin(sentinels.blank)).sum())
        answers[column] = frame[column].astype(object).mask(blank, None)
    problems = (pd.concat(found, ignore_index=True).sort_values(["row", "column"], kind="stable").reset_index(drop=True)
                if found else pd.DataFrame(columns=["row", "column", "value", "code"]))
    return OmrResult(answers=answers, problems=problems, rows_read=len(frame), blank_cells=blank_cells)
