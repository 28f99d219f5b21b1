"""The records a reader returns: :class:`RawExport` (one file) and :class:`RawQuestion` (one question).

A reader turns a platform's file into these without knowing the questionnaire: the question keys,
titles, kinds and options are what the *file* says (or, where the file is silent, what its values
suggest). Mapping them onto a questionnaire, validation and storage are later stages.

Answer values in :attr:`RawExport.answers` follow one convention on every platform:

- ``NOT_ASKED``: the question was hidden by skip logic (问卷星 ``(跳过)`` / ``-3``);
- ``None``: shown but not answered (``(空)``, an empty cell, an SPSS user-missing code);
- single choice and matrix rows: the option label (label exports) or the option's 1-based
  position on the form as an ``int`` (code exports: a position, not a score);
- multiple choice: a ``tuple`` of labels or of positions, in form order (``()`` = none chosen);
- ranking: a ``tuple`` of labels or positions, first-ranked first;
- text: ``str``; number: ``int`` or ``float``.
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from surveys.errors import IngestError

__all__ = ["NOT_ASKED", "KINDS", "ROW_COLUMN", "RawQuestion", "RawExport", "ParseProblem"]

KINDS = ("single", "multiple", "matrix_row", "ranking", "text", "number")

# The answers column holding each data row's 1-based position in the file (header rows excluded).
ROW_COLUMN = "row"


class _NotAsked:
    """The marker for 'hidden by skip logic': excluded from the base, unlike a missing answer."""

    _instance: "_NotAsked | None" = None

    def __new__(cls) -> "_NotAsked":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_ASKED"

    def __reduce__(self) -> str:
        return "NOT_ASKED"

    def __bool__(self) -> bool:
        return False


NOT_ASKED = _NotAsked()


@dataclass(frozen=True)
class ParseProblem:
    """A cell or row the reader could not interpret; the row is kept and this note travels with it.

    ``row`` is the 1-based data row (0 for a problem with the header), ``column`` the header as
    written in the file.
    """

    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True)
class RawQuestion:
    """One question (or one row of a matrix question) as the export presents it.

    ``key`` is the platform's own key (问卷星 question number ``"6"``, matrix row ``"13_2"``;
    Qualtrics export tag ``"Q1"``; an SPSS variable name) and names the question's column in
    :attr:`RawExport.answers`. ``title`` is the stem without numbering or type suffixes.
    ``columns`` are the source headers it was read from. ``options`` are the option labels in form
    order when the file states them (headers of 0/1 option columns, ``A.``-lettered labels), else
    the labels or codes seen, in order of first appearance. ``value_labels`` maps codes to labels
    where they are known (SPSS value labels, a 问卷星 code/label pair). ``other_column`` names the
    answers column holding "other, please specify" text (问卷星 ``〖…〗``), if any.
    ``declared_kind`` is True when the file states the kind (a type suffix, an SPSS dictionary);
    otherwise ``kind`` was inferred from the values and the questionnaire mapping should decide.
    """

    key: str
    title: str
    kind: str
    columns: tuple[str, ...]
    options: tuple[str, ...] = ()
    value_labels: Mapping[Any, str] = field(default_factory=dict)
    matrix: str = ""
    row_label: str = ""
    other_column: str = ""
    missing_codes: tuple[Any, ...] = ()
    declared_kind: bool = False


@dataclass(frozen=True, eq=False)
class RawExport:
    """One export file read in full, before any questionnaire is applied.

    ``encoding`` is the text encoding used for CSV (``utf-8-sig``, ``utf-8``, ``gb18030``,
    ``utf-16``), or the container for workbooks and SPSS (``xlsx``, ``xls``, ``sav:<encoding>``).
    ``coding`` is ``"labels"`` (按选项文本, choice text) or ``"codes"`` (按选项序号, numeric values).
    ``meta_columns`` maps each normalised meta name (``respondent_id``, ``submitted_at``,
    ``duration_seconds``, ``source``, ``ip``, ``ip_location``, ``user_agent``, ``open_id``,
    ``link_parameter``, …) to the header it was found under — found by name, never by position.
    ``answers`` has one row per data row of the file, in file order: the ``row`` column (1-based
    position under the header, blank rows counted), the meta columns present, then one column per
    question key (and other-text columns). Invariant: ``rows_read == len(answers)``; rows that could
    not be parsed are kept and listed in ``problems``. ``blank_rows`` counts the entirely blank rows
    between the header and the last data row: they are not respondents and have no answers row (the
    rows under the header are ``rows_read + blank_rows``). The record is frozen; treat ``answers`` as read-only too (copy before changing it).
    ``label_path`` / ``label_sha256`` name the 按选项文本 file a code/label pair took its labels from.
    """

    platform: str
    path: pathlib.Path
    sha256: str
    encoding: str
    sheet: str | None
    coding: str
    header_rows: int
    meta_columns: Mapping[str, str]
    questions: tuple[RawQuestion, ...]
    answers: pd.DataFrame
    problems: tuple[ParseProblem, ...] = ()
    label_path: pathlib.Path | None = None
    label_sha256: str = ""
    blank_rows: int = 0

    @property
    def rows_read(self) -> int:
        return len(self.answers)

    def question(self, key: str) -> RawQuestion:
        """The question with this key; :class:`~surveys.errors.IngestError` if there is none."""
        for question in self.questions:
            if question.key == key:
                return question
        raise IngestError(f"{self.path.name} has no question '{key}'; its keys are "
                          f"{[q.key for q in self.questions][:40]}")

    def problem_rows(self) -> tuple[int, ...]:
        """The data rows with at least one parse problem (sorted)."""
        return tuple(sorted({problem.row for problem in self.problems if problem.row > 0}))
