"""Assembling a :class:`RawExport` from a loaded table: row accounting, meta columns, unique keys.

Every reader hands over its questions as :class:`ColumnValues` (one list of values per data row);
this module checks the row accounting (one answers row per data row of the file, in order, numbered
from 1), notes ragged rows instead of dropping them, and gives every question a unique column key.
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
    return source.rows[header_rows:]


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
        elif not any(cell.strip() for cell in row):
            problems.append(ParseProblem(first_row + offset, "", "", "an empty row inside the data"))
    return problems


def _renumbered(problems: Sequence[ParseProblem], header_rows: int) -> list[ParseProblem]:
    # load-time notes count rows after the first line; shift them to data rows after the header block
    shifted = []
    for problem in problems:
        row = problem.row - (header_rows - 1)
        if row >= 1:
            shifted.append(dataclasses.replace(problem, row=row))
    return shifted


def assemble_export(source: SourceTable, platform: str, coding: str, header_rows: int, headers: Sequence[str],
                    meta_found: Mapping[str, int], columns: Sequence[ColumnValues], *,
                    extra_problems: Sequence[ParseProblem] = ()) -> RawExport:
    rows = data_rows(source, header_rows)
    meta, meta_problems = meta_frame_columns(rows, headers, meta_found)
    problems = _renumbered(source.problems, header_rows) + ragged_problems(rows, len(headers))
    problems += meta_problems + list(extra_problems)
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
        problems += column.problems
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
    answers = answers_frame(range(1, len(rows) + 1), meta, values)
    meta_columns = {name: headers[index] for name, index in meta_found.items()}
    if "ip" in meta_found and "ip_location" not in meta_found:
        meta_columns["ip_location"] = headers[meta_found["ip"]]
    problems.sort(key=lambda problem: problem.row)
    return RawExport(platform=platform, path=source.path, sha256=source.sha256, encoding=source.encoding,
                     sheet=source.sheet, coding=coding, header_rows=header_rows, meta_columns=meta_columns,
                     questions=tuple(questions), answers=answers, problems=tuple(problems))


def empty_check(source: SourceTable, header_rows: int, platform_name: str) -> None:
    if len(source.rows) < header_rows:
        raise IngestError(f"{source.path.name}: expected {header_rows} header row(s) of a {platform_name} export, "
                          f"found {len(source.rows)} row(s); the file may be empty or truncated")


