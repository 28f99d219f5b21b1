"""问卷星 (wjx.cn) exports: xlsx, BIFF .xls and CSV, 按选项文本 and 按选项序号 (docs/formats.md §2).

Meta columns are found by name in either order (2016: ``序号, 提交答卷时间, 所用时间, 来自IP, 来源,
来源详情``; 2018+: ``…, 来源, 来源详情, 来自IP``), plus ``总分`` and custom parameters when present.
Question headers follow :mod:`surveys.ingest.wjx_headers`. Values:

- 按选项文本 (``coding="labels"``): ``(跳过)`` → ``NOT_ASKED``; ``(空)`` / empty → ``None``; multiple
  choice ``a┋b`` → ``('a', 'b')``; ranking ``a→b`` → ``('a', 'b')``; ``其他〖text〗`` → the label,
  and ``text`` in the question's other-text column;
- 按选项序号 (``coding="codes"``): ``-3`` → ``NOT_ASKED``; a single choice stays the option's 1-based
  *position* (an ``int``); 0/1 option columns → the tuple of chosen positions; rank columns (``-2`` =
  not ranked) → positions, first-ranked first; a text cell inside an option group is other-text.

Validated against four public real 问卷星 exports (both layouts, both codings, 800 and 4 rows; read in place by
``tests/test_ingest_conformance.py``, not part of the repository) and synthetic files in ``tests/test_ingest_wjx.py``.
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from surveys.columns import distinct_values
from surveys.errors import IngestError
from surveys.ingest.build import ColumnValues, assemble_export, data_rows
from surveys.ingest.meta import find_meta_columns
from surveys.ingest.raw import NOT_ASKED, ParseProblem, RawExport, RawQuestion
from surveys.ingest.table import SourceTable
from surveys.ingest.values import (
    infer_kind,
    is_integer_text,
    split_other,
    split_outside,
    to_number,
)
from surveys.ingest.wjx_headers import HeaderLayout, parse_headers

__all__ = ["META_NAMES", "read_wjx", "SKIPPED_TEXT", "BLANK_TEXT", "SKIPPED_CODE", "NOT_RANKED_CODE",
           "MULTIPLE_SEPARATOR", "RANKING_SEPARATOR", "detect_coding"]

META_NAMES = {
    "序号": "respondent_id", "答卷编号": "respondent_id", "提交答卷时间": "submitted_at", "开始答卷时间": "started_at",
    "所用时间": "duration_seconds", "来源": "source", "来源详情": "source_detail", "来自IP": "ip", "总分": "total_score",
    "自定义字段": "link_parameter", "自定义参数": "link_parameter", "sojumpparm": "link_parameter",
    "OpenID": "open_id", "微信OpenID": "open_id", "用户标识": "open_id", "昵称": "nickname", "微信昵称": "nickname",
    "UA": "user_agent", "浏览器信息": "user_agent",
}
SKIPPED_TEXT = "(跳过)"
BLANK_TEXT = "(空)"
SKIPPED_CODE = "-3"
NOT_RANKED_CODE = "-2"
MULTIPLE_SEPARATOR = "┋"
RANKING_SEPARATOR = "→"
_LABEL_MARKS = (MULTIPLE_SEPARATOR, RANKING_SEPARATOR, "〖")
_CODING_SAMPLE_ROWS = 2000  # the coding shows in any few rows; large files need not be scanned twice


def detect_coding(layouts: Sequence[HeaderLayout], rows: Sequence[Sequence[str]]) -> str:
    """``"codes"`` (按选项序号) or ``"labels"`` (按选项文本), from the headers and the values.

    Option columns, or nine in ten answered cells being integers, mean codes; ``(跳过)``, ``(空)``,
    ``┋``, ``→`` or ``〖`` mean labels. The first 2000 rows are enough to tell.
    """
    if any(layout.option_group for layout in layouts):
        return "codes"
    answered = integers = 0
    for layout in layouts:
        for row in rows[:_CODING_SAMPLE_ROWS]:
            for index in layout.columns:
                text = row[index].strip() if index < len(row) else ""
                if text in (SKIPPED_TEXT, BLANK_TEXT) or any(mark in text for mark in _LABEL_MARKS):
                    return "labels"
                if text:
                    answered += 1
                    integers += is_integer_text(text)
    return "codes" if answered and integers >= 0.9 * answered else "labels"


def _integer(text: str) -> int:
    # only called on text that passed is_integer_text ('3', '-3', '3.0')
    return int(text.strip().split(".")[0])


def _code_order(code: str) -> tuple:
    return (0, _integer(code), "") if is_integer_text(code) else (1, 0, code)


def _cell(row: Sequence[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _group_values(layout: HeaderLayout, rows, headers, first_row: int, coding: str) -> tuple[ColumnValues, ...]:
    """Multiple choice or ranking from one column per option; a text column in the group is other-text."""
    text_columns = [index for index in layout.columns
                    if any(_cell(row, index).strip() and not is_integer_text(_cell(row, index)) for row in rows)]
    option_columns = [index for index in layout.columns if index not in text_columns]
    options = tuple(label for index, label in zip(layout.columns, layout.options) if index in option_columns)
    codes = {_integer(_cell(row, index)) for row in rows for index in option_columns if _cell(row, index).strip()}
    ranking = bool(codes - {0, 1, int(SKIPPED_CODE)}) or layout.kind == "ranking"
    kind = "ranking" if ranking else "multiple"
    answers, others, problems = [], [], []
    for offset, row in enumerate(rows):
        number = first_row + offset
        cells = [_cell(row, index).strip() for index in option_columns]
        other = "；".join(_cell(row, index).strip() for index in text_columns
                         if _cell(row, index).strip() not in ("", SKIPPED_CODE)) or None
        others.append(other)
        answered = [cell for cell in cells if cell not in ("", SKIPPED_CODE)]
        if cells and all(cell == SKIPPED_CODE for cell in cells):
            answers.append(NOT_ASKED)
        elif not answered or (ranking and all(cell == NOT_RANKED_CODE for cell in answered)):
            answers.append(None)
        else:
            value, problem = (_ranks if ranking else _flags)(cells, options, coding)
            answers.append(value)
            if problem:
                problems.append(ParseProblem(number, headers[layout.columns[0]], "|".join(cells), problem))
    question = RawQuestion(layout.key, layout.title, kind, tuple(headers[i] for i in layout.columns), options,
                           value_labels={position: label for position, label in enumerate(options, start=1)},
                           declared_kind=True)
    result = [ColumnValues(question, answers, problems)]
    if text_columns:
        result.append(ColumnValues(None, others, [], other_of=layout.key))
    return tuple(result)


def _choice(position: int, options: Sequence[str], coding: str) -> Any:
    return position if coding == "codes" else options[position - 1]


def _flags(cells: Sequence[str], options: Sequence[str], coding: str) -> tuple[tuple, str]:
    chosen, bad = [], []
    for position, cell in enumerate(cells, start=1):
        if cell == "1" or cell == "1.0":
            chosen.append(_choice(position, options, coding))
        elif cell not in ("0", "0.0", "", SKIPPED_CODE):
            bad.append(cell)
    problem = f"expected 0/1 option flags, found {bad}" if bad else ""
    return tuple(chosen), problem


def _ranks(cells: Sequence[str], options: Sequence[str], coding: str) -> tuple[tuple, str]:
    ranked = []
    for position, cell in enumerate(cells, start=1):
        if cell and cell not in (NOT_RANKED_CODE, SKIPPED_CODE):
            rank = _integer(cell)
            if rank >= 1:
                ranked.append((rank, position))
    ranks = [rank for rank, _ in ranked]
    problem = f"ranks repeat: {sorted(ranks)}" if len(set(ranks)) != len(ranks) else ""
    return tuple(_choice(position, options, coding) for _, position in sorted(ranked)), problem


def _label_value(kind: str, text: str) -> tuple[Any, str | None, str]:
    """(value, other text, problem) for one 按选项文本 cell that is answered."""
    if kind == "multiple":
        labels, others = [], []
        for part in split_outside(text, MULTIPLE_SEPARATOR):
            label, other = split_other(part)
            labels.append(label)
            if other is not None:
                others.append(other)
        return tuple(labels), ("；".join(others) if others else None), ""
    if kind == "ranking":
        return tuple(part.strip() for part in text.split(RANKING_SEPARATOR)), None, ""
    if kind in ("single", "matrix_row"):
        label, other = split_other(text)
        return label, other, ""
    if kind == "number":
        try:
            return to_number(text), None, ""
        except ValueError as error:
            return text, None, str(error)
    return text, None, ""


def _code_value(kind: str, text: str) -> tuple[Any, str | None, str]:
    """(value, other text, problem) for one 按选项序号 cell that is answered."""
    if kind in ("single", "matrix_row"):
        if is_integer_text(text):
            return _integer(text), None, ""
        return text, None, f"expected the option's number (按选项序号), found {text!r}"
    if kind == "number":
        try:
            return to_number(text), None, ""
        except ValueError as error:
            return text, None, str(error)
    return text, None, ""


def _plain_kind(layout: HeaderLayout, codes: np.ndarray, coding: str, distinct: Sequence[str]) -> str:
    """The kind of an undeclared column, judged on its distinct cells (``codes``: each cell's position among them;
    :func:`infer_kind` also counts the answered cells)."""
    if layout.kind:
        return layout.kind
    chosen = [position for position, cell in enumerate(distinct)
              if cell.strip() not in ("", SKIPPED_TEXT, BLANK_TEXT, SKIPPED_CODE)]
    answered = [distinct[position] for position in chosen]
    if coding == "labels":
        if any(MULTIPLE_SEPARATOR in cell for cell in answered):
            return "multiple"
        if any(RANKING_SEPARATOR in cell for cell in answered):
            return "ranking"
        if any("〖" in cell for cell in answered):
            return "single"  # a choice with a fill-in option (其他〖…〗)
    elif any(not is_integer_text(cell) for cell in answered):
        return "text"  # a 按选项序号 choice is always an option number
    return infer_kind(answered, answered_count=int(np.isin(codes, chosen).sum()))


def _columns_of(rows: Sequence[Sequence[str]], width: int) -> list[Sequence[str]]:
    """The data rows as columns (at least ``width``; a short row's missing cells are empty), transposed once."""
    columns = list(itertools.zip_longest(*rows, fillvalue="")) if rows else []
    return columns + [("",) * len(rows)] * (width - len(columns))


def _plain_values(layout: HeaderLayout, columns: Sequence[Sequence[str]], headers, first_row: int,
                  coding: str) -> tuple[ColumnValues, ...]:
    index = layout.columns[0]
    cells = list(columns[index])
    codes, distinct = distinct_values(cells)
    kind = _plain_kind(layout, codes, coding, distinct)
    not_asked, blank = ((SKIPPED_TEXT,), (BLANK_TEXT,)) if coding == "labels" else ((SKIPPED_CODE,), ())
    parse = _label_value if coding == "labels" else _code_value

    def value_of(raw: str) -> tuple[Any, str | None, str]:
        text = raw.strip()
        if text in not_asked or text == "" or text in blank:
            return (NOT_ASKED if text in not_asked else None), None, ""
        return parse(kind, raw if kind == "text" else text)

    parsed = [value_of(raw) for raw in distinct]   # each distinct cell parsed once, in order of first appearance
    seen: dict[str, None] = {}
    for (value, _, _), raw in zip(parsed, distinct):
        text = raw.strip()
        if text in not_asked or text == "" or text in blank:
            continue
        for label in (value if isinstance(value, tuple) else (value,)):
            seen.setdefault(str(label), None)
    answers, others = _taken(codes, [value for value, _, _ in parsed]), _taken(codes, [other for _, other, _ in parsed])
    troubled = [code for code, (_, _, problem) in enumerate(parsed) if problem]
    problems = [ParseProblem(first_row + int(offset), headers[index], distinct[codes[offset]].strip(),
                             parsed[codes[offset]][2]) for offset in np.flatnonzero(np.isin(codes, troubled))]
    options = tuple(seen) if kind in ("single", "matrix_row", "multiple", "ranking") else ()
    if coding == "codes" and kind in ("single", "matrix_row"):
        options = tuple(sorted(options, key=_code_order))
    question = RawQuestion(layout.key, layout.title, kind, (headers[index],), options, matrix=layout.matrix,
                           row_label=layout.row_label, declared_kind=bool(layout.kind))
    result = [ColumnValues(question, answers, problems)]
    if any(other is not None for _, other, _ in parsed):
        result.append(ColumnValues(None, others, [], other_of=layout.key))
    return tuple(result)


def _taken(codes: np.ndarray, values: list) -> list:
    """The per-cell list of ``values`` (one per distinct cell) for the distinct-cell ``codes``."""
    return np.fromiter(values, dtype=object, count=len(values))[codes].tolist()


def read_wjx(source: SourceTable, *, coding: str | None = None) -> RawExport:
    """A 问卷星 export read from its loaded table; ``coding`` overrides the detected 文本/序号 mode."""
    if not source.rows:
        raise IngestError(f"{source.path.name}: the file is empty; expected a 问卷星 export with a header row")
    headers = [cell.strip() for cell in source.rows[0]]
    rows = data_rows(source, 1)
    found = find_meta_columns(headers, META_NAMES)
    question_columns = [index for index in range(len(headers)) if index not in found.values()]
    layouts = parse_headers(headers, question_columns)
    if coding is None:
        coding = detect_coding(layouts, rows)
    elif coding not in ("labels", "codes"):
        raise IngestError(f"{source.path.name}: coding must be 'labels' (按选项文本) or 'codes' (按选项序号); "
                          f"found {coding!r}")
    columns: list[ColumnValues] = []
    cells = _columns_of(rows, len(headers))
    for layout in layouts:
        if layout.option_group:
            columns.extend(_group_values(layout, rows, headers, 1, coding))
        else:
            columns.extend(_plain_values(layout, cells, headers, 1, coding))
    return assemble_export(source, "wjx", coding, 1, headers, found, columns, cells=cells)
