"""Any CSV/xlsx laid out as one row per respondent: paper data entry, OMR output, unsupported platforms.

The caller says how the file is laid out: ``skip_rows`` title rows above the header, ``header_rows``
header rows (joined into one header per column with `` / ``; a blank cell in the first header row
repeats the one to its left, as SurveyMonkey's merged question cells need) and ``columns``, an
explicit mapping *file header → name*: a name from the meta vocabulary (``respondent_id``,
``submitted_at``, ``duration_seconds``, ``ip``…, see :data:`surveys.ingest.meta.META_VOCABULARY`)
makes a meta column, any other name renames the question. Unmapped columns are kept as questions
keyed by their header; nothing is dropped. ``not_asked`` / ``blank`` list the file's sentinels
(e.g. OMR ``-1`` for no answer).
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

from surveys.errors import IngestError
from surveys.ingest.flat import read_flat
from surveys.ingest.meta import META_VOCABULARY
from surveys.ingest.raw import RawExport
from surveys.ingest.table import SourceTable

__all__ = ["read_generic", "joined_headers"]


def joined_headers(rows: Sequence[Sequence[str]], header_rows: int) -> list[str]:
    width = max((len(row) for row in rows[:header_rows]), default=0)
    block = [list(row) + [""] * (width - len(row)) for row in rows[:header_rows]]
    if header_rows > 1 and block:
        for index in range(1, width):
            if not block[0][index].strip():
                block[0][index] = block[0][index - 1]
    headers = []
    for index in range(width):
        parts = [line[index].strip() for line in block if line[index].strip()]
        parts = [part for position, part in enumerate(parts) if position == 0 or part != parts[position - 1]]
        headers.append(" / ".join(parts))
    return headers


def read_generic(source: SourceTable, *, header_rows: int | None = None, columns: Mapping[str, str] | None = None,
                 skip_rows: int = 0, not_asked: Sequence[str] = (), blank: Sequence[str] = ()) -> RawExport:
    header_rows = 1 if header_rows is None else header_rows
    if not isinstance(header_rows, int) or header_rows < 1 or not isinstance(skip_rows, int) or skip_rows < 0:
        raise IngestError(f"{source.path.name}: header_rows must be an integer ≥ 1 and skip_rows ≥ 0; found "
                          f"header_rows={header_rows!r}, skip_rows={skip_rows!r}")
    if len(source.rows) < skip_rows + header_rows:
        raise IngestError(f"{source.path.name}: expected {skip_rows} title row(s) and {header_rows} header row(s), "
                          f"found only {len(source.rows)} row(s); check skip_rows/header_rows or the file")
    shifted = tuple(dataclasses.replace(problem, row=problem.row - skip_rows) for problem in source.problems
                    if problem.row - skip_rows >= 1)
    source = dataclasses.replace(source, rows=source.rows[skip_rows:], problems=shifted)
    headers = joined_headers(source.rows, header_rows)
    mapping = dict(columns or {})
    unknown = [header for header in mapping if header not in headers]
    if unknown:
        raise IngestError(f"{source.path.name}: the column mapping names {unknown}, which the file does not have; "
                          f"its headers are {headers[:30]}; correct the mapping (headers are matched exactly)")
    renames = {headers.index(header): name for header, name in mapping.items() if name in META_VOCABULARY}
    keys = [mapping.get(header, header) if mapping.get(header) not in META_VOCABULARY else header
            for header in headers]
    return read_flat(source, platform="generic", header_rows=header_rows, keys=keys, titles=headers,
                     meta_headers=headers, meta_names={}, renames=renames, not_asked=tuple(not_asked),
                     blank=tuple(blank))
