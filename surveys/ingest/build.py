"""Assembling a :class:`RawExport` from a loaded table: row accounting, meta columns, unique keys.

Every reader hands over its questions as :class:`ColumnValues` (one list of values per data row);
this module checks the row accounting (one answers row per data row of the file, in order, numbered by
its position under the header), notes ragged rows instead of dropping them, and gives every question a
unique column key. Entirely blank rows are not respondents: they get no answers row and are counted in
``RawExport.blank_rows`` (rows under the header = ``rows_read + blank_rows``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from surveys.errors import IngestError
from surveys.ingest.meta import meta_frame_columns
from surveys.ingest.raw import ROW_COLUMN, ParseProblem, RawExport, RawQuestion
from surveys.ingest.table import SourceTable
from surveys.ingest.values import answers_frame, dedupe_keys

__all__ = ["ColumnValues", "data_rows", "assemble_export", "ragged_problems", "empty_check", "OTHER_SUFFIX"]

OTHER_SUFFIX = ".other"


@dataclass
class ColumnValues:
    """One answers column made by a reader: a question's values, or (``other_of``) its other-text."""

    question: RawQuestion | None
    values: list
    problems: list = field(default_factory=list)
    other_of: str = ""


def data_rows(source: SourceTable, header_rows: int) -> tuple[tuple[str, ...], ...]:
    """The rows under the header block that hold something: an entirely blank row (``()`` in a loaded
    table) is not a respondent; :func:`assemble_export` counts it in ``blank_rows``."""
    return tuple(row for row in source.rows[header_rows:] if row)


def _row_numbers(source: SourceTable, header_rows: int) -> list[int]:
    """The 1-based position under the header block of each row :func:`data_rows` gives (blank rows counted, so a
    number still points at the file's row)."""
    return [number for number, row in enumerate(source.rows[header_rows:], start=1 + source.row_offset) if row]


def _at_file_rows(problems: Sequence[ParseProblem], numbers: Sequence[int]) -> list[ParseProblem]:
    """Problems numbered by position among the rows holding something, renumbered to the file's rows."""
    return [dataclasses.replace(problem, row=numbers[problem.row - 1]) if 0 < problem.row <= len(numbers)
            else problem for problem in problems]


def ragged_problems(rows: Sequence[Sequence[str]], width: int, first_row: int = 1) -> list[ParseProblem]:
    """A note for each row with more non-empty cells than header columns, or fewer cells (truncation)."""
    problems = []
    for offset, row in enumerate(rows):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            problems.append(ParseProblem(first_row + offset, "", "|".join(row[width:])[:200],
                                         f"the row has {len(row)} cells but the header has {width}; "
                                         "the extra cells were ignored (an unquoted separator?)"))
        elif 0 < len(row) < width:
            problems.append(ParseProblem(first_row + offset, "", "",
                                         f"the row has {len(row)} cells but the header has {width}; the missing "
                                         "cells were read as empty (a truncated file?)"))
    return problems


def _renumbered(problems: Sequence[ParseProblem], header_rows: int, offset: int = 0) -> list[ParseProblem]:
    # load-time notes count rows after the first line; shift them to data rows after the header block (and after
    # the rows of the earlier chunks)
    shifted = []
    for problem in problems:
        row = problem.row - (header_rows - 1)
        if row >= 1:
            shifted.append(dataclasses.replace(problem, row=row + offset))
    return shifted


def assemble_export(source: SourceTable, platform: str, coding: str, header_rows: int, headers: Sequence[str],
                    meta_found: Mapping[str, int], columns: Sequence[ColumnValues], *,
                    extra_problems: Sequence[ParseProblem] = (),
                    cells: Sequence[Sequence[str]] | None = None) -> RawExport:
    """The RawExport of a reader's columns; ``cells``: the data rows transposed, when the reader holds them."""
    rows = data_rows(source, header_rows)
    numbers = _row_numbers(source, header_rows)
    meta, meta_problems = meta_frame_columns(rows, headers, meta_found, columns=cells)
    reader_problems = ragged_problems(rows, len(headers)) + meta_problems + list(extra_problems)
    question_columns = [column for column in columns if column.question is not None]
    keys = dedupe_keys([column.question.key for column in question_columns], reserved=(ROW_COLUMN, *meta))
    renamed = {id(column): key for column, key in zip(question_columns, keys)}
    key_of_original: dict[str, str] = {}
    for column, key in zip(question_columns, keys):
        key_of_original.setdefault(column.question.key, key)
    values: dict[str, list] = {}
    questions: list[RawQuestion] = []
    for column in columns:
        if len(column.values) != len(rows):
            raise IngestError(f"{source.path.name}: internal row accounting failed for "
                              f"{column.question.key if column.question else column.other_of!r} "
                              f"({len(column.values)} values for {len(rows)} rows); please report this file")
        reader_problems += column.problems
        if column.question is not None:
            key = renamed[id(column)]
            values[key] = column.values
            questions.append(dataclasses.replace(column.question, key=key))
    for column in columns:
        if column.question is None:
            owner = key_of_original.get(column.other_of, column.other_of)
            other_key = dedupe_keys([owner + OTHER_SUFFIX], reserved=(ROW_COLUMN, *meta, *values))[0]
            values[other_key] = column.values
            questions = [dataclasses.replace(q, other_column=other_key) if q.key == owner else q for q in questions]
    answers = answers_frame(numbers, meta, values)
    problems = _renumbered(source.problems, header_rows, source.row_offset) + _at_file_rows(reader_problems, numbers)
    meta_columns = {name: headers[index] for name, index in meta_found.items()}
    if "ip" in meta_found and "ip_location" not in meta_found:
        meta_columns["ip_location"] = headers[meta_found["ip"]]
    problems.sort(key=lambda problem: problem.row)
    return RawExport(platform=platform, path=source.path, sha256=source.sha256, encoding=source.encoding,
                     sheet=source.sheet, coding=coding, header_rows=header_rows, meta_columns=meta_columns,
                     questions=tuple(questions), answers=answers, problems=tuple(problems),
                     blank_rows=max(len(source.rows) - header_rows, 0) - len(rows))


def empty_check(source: SourceTable, header_rows: int, platform_name: str) -> None:
    if len(source.rows) < header_rows:
        raise IngestError(f"{source.path.name}: expected {header_rows} header row(s) of a {platform_name} export, "
                          f"found {len(source.rows)} row(s); the file may be empty or truncated")


