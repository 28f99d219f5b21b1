"""Exports whose columns are one question each (金数据, Qualtrics, SPSS-like CSV, generic files).

The reader is told where the keys, titles and meta names are; each remaining column becomes a
question keyed by its header, its kind inferred from the values (:func:`values.infer_kind`), single
choices kept as codes (``int``) when the column holds small integers and as labels otherwise.
Columns with an empty header and no data (the trailing comma of 腾讯问卷 and Qualtrics CSVs) are
dropped; an empty header with data becomes ``column N``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from surveys.ingest.build import ColumnValues, assemble_export, data_rows
from surveys.ingest.meta import find_meta_columns
from surveys.ingest.raw import NOT_ASKED, ParseProblem, RawExport, RawQuestion
from surveys.ingest.table import SourceTable
from surveys.ingest.values import infer_kind, is_integer_text, to_number

__all__ = ["read_flat", "empty_columns", "coding_of"]


def empty_columns(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> set[int]:
    """Columns with no header text and no data."""
    return {index for index, header in enumerate(headers) if not header.strip()
            and not any(index < len(row) and row[index].strip() for row in rows)}


def coding_of(values: Sequence[Sequence[str]]) -> str:
    """``codes`` when nine in ten answered cells are integers, else ``labels``."""
    answered = [text for column in values for text in column if text.strip()]
    integers = sum(is_integer_text(text) for text in answered)
    return "codes" if answered and integers >= 0.9 * len(answered) else "labels"


def _column_values(key: str, title: str, header: str, cells: Sequence[str], first_row: int,
                   not_asked: Sequence[str], blank: Sequence[str], kind: str | None) -> ColumnValues:
    answered = [cell for cell in cells if cell.strip() and cell.strip() not in (*not_asked, *blank)]
    declared = kind is not None
    kind = kind or infer_kind(answered)
    values: list[Any] = []
    problems: list[ParseProblem] = []
    seen: dict[str, None] = {}
    for offset, raw in enumerate(cells):
        text = raw.strip()
        if text in not_asked:
            values.append(NOT_ASKED)
        elif text == "" or text in blank:
            values.append(None)
        elif kind == "number" or (kind == "single" and is_integer_text(text)):
            try:
                values.append(to_number(text))
            except ValueError as error:
                values.append(raw)
                problems.append(ParseProblem(first_row + offset, header, text, str(error)))
        else:
            values.append(raw if kind == "text" else text)
        if kind == "single" and text and text not in (*not_asked, *blank):
            seen.setdefault(text, None)
    options = tuple(seen)
    if options and all(is_integer_text(option) for option in options):
        options = tuple(sorted(options, key=lambda code: int(code.split(".")[0])))
    question = RawQuestion(key, title, kind, (header,), options, declared_kind=declared)
    return ColumnValues(question, values, problems)


def read_flat(source: SourceTable, *, platform: str, header_rows: int, keys: Sequence[str],
              titles: Sequence[str], meta_headers: Sequence[str], meta_names: Mapping[str, str],
              coding: str | None = None, not_asked: Sequence[str] = (), blank: Sequence[str] = (),
              kinds: Mapping[str, str] | None = None, renames: Mapping[int, str] | None = None) -> RawExport:
    """A table whose data starts after ``header_rows`` rows; see the module docstring.

    ``meta_headers`` are matched against ``meta_names`` (header → normalised name); ``renames``
    (column index → name) adds explicit meta columns. ``kinds`` (key → kind) overrides inference.
    """
    rows = data_rows(source, header_rows)
    found = find_meta_columns(meta_headers, meta_names)
    for index, name in (renames or {}).items():
        found[name] = index
    skip = set(found.values()) | empty_columns(meta_headers, rows)
    question_indexes = [index for index in range(len(meta_headers)) if index not in skip]
    cells_of = {index: [row[index] if index < len(row) else "" for row in rows] for index in question_indexes}
    columns = []
    for index in question_indexes:
        key = keys[index].strip() or titles[index].strip() or f"column {index + 1}"
        title = titles[index].strip() or key
        header = meta_headers[index].strip() or key
        columns.append(_column_values(key, title, header, cells_of[index], 1, not_asked, blank,
                                      (kinds or {}).get(key)))
    if coding is None:
        coding = coding_of([cells_of[index] for index in question_indexes])
    headers = [header.strip() or f"column {index + 1}" for index, header in enumerate(meta_headers)]
    return assemble_export(source, platform, coding, header_rows, headers, found, columns)
