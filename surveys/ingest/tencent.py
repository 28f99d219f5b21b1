"""腾讯问卷 (wj.qq.com) CSV/xlsx exports (docs/formats.md §3).

Every field quoted and a trailing comma on each line (the empty last column is dropped); meta
columns by name (``编号, 开始答题时间, 结束答题时间, 答题时长, 地理位置…, 自定义字段`` and the newer
``语言, 清洗数据结果, 智能清洗数据无效概率, 用户类型, 用户标识, 昵称, IP, UA, Referrer, …``);
question headers ``N.题干``. Single choices are written ``A.选项``: the letter gives the option's
position (``value_labels``) and the answer is the label without it. ``N.题干:选项`` columns are a
multiple choice when every non-empty cell repeats the option (or is a tick), else matrix rows;
``N.题干:_填空k`` / ``N.题干_填空k`` are the blanks of a multi-blank fill-in. Nothing distinguishes
skipped from unanswered: both are ``None``. Built from the layouts quoted in docs/formats.md §3 (no real
file was available) and tested on synthetic files.
"""
from __future__ import annotations

import dataclasses
import re
import string
from typing import Any, Sequence

import pandas as pd

from surveys.errors import IngestError
from surveys.ingest.build import ColumnValues, assemble_export, data_rows
from surveys.ingest.flat import empty_columns
from surveys.ingest.meta import find_meta_columns
from surveys.ingest.raw import RawExport, RawQuestion
from surveys.ingest.table import SourceTable
from surveys.ingest.values import infer_kind, is_integer_text, to_number

__all__ = ["META_NAMES", "read_tencent", "looks_like_tencent"]

META_NAMES = {
    "编号": "respondent_id", "开始答题时间": "started_at", "结束答题时间": "submitted_at", "答题时长": "duration_seconds",
    "地理位置国家和地区": "country", "地理位置省": "province", "地理位置市": "city", "自定义字段": "link_parameter",
    "语言": "language", "清洗数据结果": "cleaning_result", "智能清洗数据无效概率": "invalid_probability",
    "用户类型": "user_type", "用户标识": "open_id", "昵称": "nickname", "IP": "ip", "UA": "user_agent",
    "Referrer": "referrer", "中奖时间": "prize_at", "中奖金额": "prize_amount", "审核状态": "review_status",
}
_NUMBERED = re.compile(r"^\s*(\d+)\.(.*)$", re.DOTALL)
_BLANK = re.compile(r"^(.*?)[:：]?_填空(\d+)$", re.DOTALL)
_LETTERED = re.compile(r"^([A-Z])\.(.*)$", re.DOTALL)
_TICKS = ("1", "√", "是", "选中", "TRUE")


def looks_like_tencent(headers: Sequence[str]) -> bool:
    names = {header.strip() for header in headers}
    if {"开始答题时间", "答题时长"} <= names or {"结束答题时间", "答题时长"} <= names:
        return True
    return "编号" in names and sum(bool(_NUMBERED.match(h)) for h in headers) >= 1 and "提交答卷时间" not in names


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _groups(headers: Sequence[str], indexes: Sequence[int]) -> list[tuple[str, list[int]]]:
    """Consecutive question columns sharing the number ``N.``; unnumbered columns stand alone."""
    groups: list[tuple[str, list[int]]] = []
    for index in indexes:
        match = _NUMBERED.match(headers[index])
        number = match.group(1) if match else ""
        if number and groups and groups[-1][0] == number:
            groups[-1][1].append(index)
        else:
            groups.append((number, [index]))
    return groups


def _split_sub(rest: str) -> tuple[str, str]:
    stem, separator, sub = rest.rpartition(":")
    return (stem, sub) if separator else (rest, "")


def _single(key: str, title: str, header: str, cells: Sequence[str], kind: str | None = None) -> ColumnValues:
    answered = [cell for cell in cells if cell]
    lettered = bool(answered) and all(_LETTERED.match(cell) for cell in answered)
    labels: dict[int, str] = {}
    values: list[Any] = []
    if lettered:
        for cell in answered:
            letter, label = _LETTERED.match(cell).groups()
            labels[string.ascii_uppercase.index(letter) + 1] = label
        kind = kind or "single"
        values = [_LETTERED.match(cell).group(2) if cell else None for cell in cells]
    else:
        kind = kind or infer_kind(answered)
        for cell in cells:
            if not cell:
                values.append(None)
            elif kind == "number" or (kind == "single" and is_integer_text(cell)):
                values.append(to_number(cell) if _is_number(cell) else cell)
            else:
                values.append(cell)
    options = tuple(labels[position] for position in sorted(labels)) if labels else tuple(
        dict.fromkeys(cell for cell in answered)) if kind in ("single", "matrix_row") else ()
    question = RawQuestion(key, title, kind, (header,), options, value_labels=dict(sorted(labels.items())),
                           declared_kind=lettered)
    return ColumnValues(question, values)


def _is_number(text: str) -> bool:
    try:
        to_number(text)
    except ValueError:
        return False
    return True


def _option_group(number: str, stem: str, subs: list[str], indexes: list[int], headers, rows) -> list[ColumnValues]:
    is_multiple = all(not _cell(row, index) or _cell(row, index) in (sub, *_TICKS)
                      for index, sub in zip(indexes, subs) for row in rows)
    if is_multiple:
        values = []
        for row in rows:
            chosen = tuple(sub for index, sub in zip(indexes, subs) if _cell(row, index))
            values.append(chosen if chosen else None)
        question = RawQuestion(number, stem, "multiple", tuple(headers[i] for i in indexes), tuple(subs),
                               value_labels={position: sub for position, sub in enumerate(subs, start=1)},
                               declared_kind=True)
        return [ColumnValues(question, values)]
    columns = []
    for position, (index, sub) in enumerate(zip(indexes, subs), start=1):
        column = _single(f"{number}_{position}", stem, headers[index], [_cell(row, index) for row in rows],
                         kind=None)
        kind = "matrix_row" if column.question.kind == "single" else column.question.kind
        column.question = dataclasses.replace(column.question, kind=kind, matrix=number, row_label=sub)
        columns.append(column)
    return columns


def _question_columns(headers, rows, indexes) -> list[ColumnValues]:
    columns: list[ColumnValues] = []
    for number, members in _groups(headers, indexes):
        if not number:
            header = headers[members[0]].strip() or f"column {members[0] + 1}"
            columns.append(_single(header, header, header, [_cell(row, members[0]) for row in rows]))
            continue
        rests = [_NUMBERED.match(headers[index]).group(2) for index in members]
        blanks = [_BLANK.match(rest) for rest in rests]
        if all(blanks):
            for index, match in zip(members, blanks):
                columns.append(_single(f"{number}_{match.group(2)}", match.group(1).strip(), headers[index],
                                       [_cell(row, index) for row in rows], kind="text"))
            continue
        split = [_split_sub(rest) for rest in rests]
        stems = {stem for stem, _ in split}
        if len(members) > 1 and len(stems) == 1 and all(sub for _, sub in split):
            columns += _option_group(number, split[0][0].strip(), [sub.strip() for _, sub in split], members,
                                     headers, rows)
            continue
        for position, index in enumerate(members):
            key = number if position == 0 else f"{number}.{position}"
            columns.append(_single(key, rests[position].strip(), headers[index], [_cell(row, index) for row in rows]))
    return columns


def _with_place(export: RawExport) -> RawExport:
    """``ip_location`` as ``省-市`` from the geo columns (the way 问卷星 writes it) where the IP gave none."""
    geo = [name for name in ("province", "city") if name in export.meta_columns]
    if not geo:
        return export
    places = ["-".join(str(value) for value in values if value) or None
              for values in zip(*(export.answers[name] for name in geo))]
    answers = export.answers.copy()
    if "ip_location" in answers:
        existing = answers["ip_location"].tolist()
        answers["ip_location"] = pd.Series([old or new for old, new in zip(existing, places)], dtype=object)
    else:
        answers.insert(answers.columns.get_loc(geo[-1]) + 1, "ip_location", pd.Series(places, dtype=object))
    source = "+".join(export.meta_columns[name] for name in geo)
    return dataclasses.replace(export, answers=answers, meta_columns={**export.meta_columns, "ip_location": source})


def read_tencent(source: SourceTable) -> RawExport:
    if not source.rows:
        raise IngestError(f"{source.path.name}: the file is empty; expected a 腾讯问卷 export with a header row")
    headers = [cell.strip() for cell in source.rows[0]]
    rows = data_rows(source, 1)
    found = find_meta_columns(headers, META_NAMES)
    skip = set(found.values()) | empty_columns(headers, rows)
    indexes = [index for index in range(len(headers)) if index not in skip]
    columns = _question_columns(headers, rows, indexes)
    named = [header or f"column {index + 1}" for index, header in enumerate(headers)]
    return _with_place(assemble_export(source, "tencent", "labels", 1, named, found, columns))
