"""The grammar of 问卷星 question headers (docs/formats.md §2.3–2.4), turned into one layout per question.

Headers seen in real exports:

- ``N、题干`` with an optional type suffix ``(单选题 *必答)`` / ``【多选题】``: one question, key ``N``;
- ``第N题(选项)`` (≤2018) or ``N、题干(选项1)`` followed by ``N、(选项k)`` (newer): one column per
  option of a multiple-choice or ranking question, key ``N`` (0/1 flags or ranks, decided by values);
- ``N、题干—行1`` (em dash) followed by bare row labels, or by ``N、行k`` repeating the number: a
  matrix, one question per row, keys ``N_1``, ``N_2`` …;
- ``N、(k)…`` : the k-th blank of a multi-blank fill-in, key ``N_k``;
- a bare header that follows no matrix (e.g. a cascading-select label): a question keyed by its text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

__all__ = ["HeaderLayout", "parse_headers", "strip_type_suffix", "SUFFIX_KINDS"]

_NUMBERED = re.compile(r"^\s*(\d+)、(.*)$", re.DOTALL)
_OLD_OPTION = re.compile(r"^\s*第(\d+)题\s*[(（](.*)[)）]\s*$", re.DOTALL)
_BLANK_ITEM = re.compile(r"^[(（](\d+)[)）](.+)$", re.DOTALL)
_MATRIX_DASH = "—"
_SUFFIX = re.compile(r"\s*(?:[(（]\s*([^()（）]*?(?:题|滑动条))\s*(?:\*?\s*必答)?\s*[)）]|【([^【】]*?题)】)\s*$", re.DOTALL)

# type suffix → kind (OpenAPI question types, docs/formats.md §2.1)
SUFFIX_KINDS = {
    "单选题": "single", "下拉框题": "single", "量表题": "single", "评分题": "single", "NPS量表题": "single",
    "判断题": "single", "多选题": "multiple", "排序题": "ranking", "填空题": "text", "多项填空题": "text",
    "简答题": "text", "矩阵单选题": "matrix_row", "矩阵量表题": "matrix_row", "矩阵评分题": "matrix_row",
    "矩阵填空题": "text", "比重题": "number", "滑动条": "number", "数字填空题": "number",
}


@dataclass(frozen=True)
class HeaderLayout:
    """One question's place in the file: its key, title, columns (indexes) and what the headers say.

    ``option_group``: the columns are one per option (labels in ``options``), decided later to be
    multiple choice or ranking from the values. ``kind``: the kind the headers state, or ``""``.
    """

    key: str
    title: str
    columns: tuple[int, ...]
    kind: str = ""
    options: tuple[str, ...] = ()
    option_group: bool = False
    matrix: str = ""
    row_label: str = ""


def strip_type_suffix(text: str) -> tuple[str, str]:
    """``(stem, kind)`` with a trailing ``(单选题 *必答)`` / ``【多选题】`` removed; kind ``""`` if none."""
    match = _SUFFIX.search(text)
    if not match:
        return text.strip(), ""
    label = (match.group(1) or match.group(2) or "").strip()
    return text[: match.start()].strip(), SUFFIX_KINDS.get(label, "")


def _trailing_group(text: str) -> tuple[str, str] | None:
    """``(before, inside)`` for text ending in a balanced ``(…)``; nested parentheses are kept inside."""
    stripped = text.rstrip()
    if not stripped or stripped[-1] not in ")）":
        return None
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        char = stripped[index]
        if char in ")）":
            depth += 1
        elif char in "(（":
            depth -= 1
            if depth == 0:
                return stripped[:index], stripped[index + 1: -1]
    return None


def _is_matrix_start(number: str, rest: str, following: str) -> bool:
    """``N、题干—行1`` starts a matrix when a row follows (a bare label, or ``N、行2``) or a 矩阵 suffix says so.

    A single em dash only: ``——`` is ordinary Chinese punctuation inside a stem.
    """
    if _MATRIX_DASH not in rest.replace(_MATRIX_DASH * 2, ""):
        return False
    stem_part = rest.rsplit(_MATRIX_DASH, 1)[0]
    if stem_part.endswith(_MATRIX_DASH):
        return False
    if strip_type_suffix(stem_part)[1] == "matrix_row":
        return True
    if not following.strip():
        return False
    numbered = _NUMBERED.match(following)
    if numbered is None:
        return _OLD_OPTION.match(following) is None
    return numbered.group(1) == number


@dataclass
class _Group:
    number: str
    title: str
    columns: list
    options: list


def _option_column(number: str, rest: str) -> str | None:
    """The option label if ``N、rest`` is an option column ``N、(选项)``."""
    group = _trailing_group(rest)
    if group is not None and group[0].strip() == "":
        return group[1]
    return None


def parse_headers(headers: Sequence[str], question_columns: Sequence[int]) -> list[HeaderLayout]:
    """Layouts of the question columns, in file order of each question's first column."""
    entries: list = []  # HeaderLayout or _Group, in order of appearance
    groups: dict[str, _Group] = {}
    matrix: dict | None = None
    positions = list(question_columns)

    def next_header(position: int) -> str:
        later = positions.index(position) + 1
        return headers[positions[later]] if later < len(positions) else ""

    def add_option(number: str, title: str, index: int, label: str) -> None:
        group = groups.get(number)
        if group is None:
            group = groups[number] = _Group(number, title, [], [])
            entries.append(group)
        if title and not group.title:
            group.title = title
        group.columns.append(index)
        group.options.append(label)

    for index in positions:
        header = headers[index]
        old = _OLD_OPTION.match(header)
        if old:
            matrix = None
            add_option(old.group(1), "", index, old.group(2).strip())
            continue
        numbered = _NUMBERED.match(header)
        if numbered is None:
            if matrix is not None:
                matrix["rows"] += 1
                entries.append(HeaderLayout(f"{matrix['number']}_{matrix['rows']}", matrix["title"], (index,),
                                            matrix["kind"], matrix=matrix["number"], row_label=header.strip()))
            else:
                entries.append(HeaderLayout(header.strip(), header.strip(), (index,)))
            continue
        number, rest = numbered.group(1), numbered.group(2)
        label = _option_column(number, rest)
        if label is not None:
            matrix = None
            add_option(number, "", index, label.strip())
            continue
        blank = _BLANK_ITEM.match(rest.strip())
        if blank:
            matrix = None
            stem, kind = strip_type_suffix(blank.group(2))
            entries.append(HeaderLayout(f"{number}_{blank.group(1)}", stem, (index,), kind or "text"))
            continue
        if _is_matrix_start(number, rest, next_header(index)):
            stem_part, row = rest.rsplit(_MATRIX_DASH, 1)
            stem, kind = strip_type_suffix(stem_part)
            row, row_kind = strip_type_suffix(row)
            kind = kind or row_kind
            matrix = {"number": number, "title": stem, "kind": "text" if kind == "text" else "matrix_row", "rows": 1}
            entries.append(HeaderLayout(f"{number}_1", stem, (index,), matrix["kind"], matrix=number,
                                        row_label=row.strip()))
            continue
        if matrix is not None and matrix["number"] == number:
            matrix["rows"] += 1
            row, _ = strip_type_suffix(rest)
            entries.append(HeaderLayout(f"{number}_{matrix['rows']}", matrix["title"], (index,), matrix["kind"],
                                        matrix=number, row_label=row.strip()))
            continue
        matrix = None
        stem, kind = strip_type_suffix(rest)
        follower = _NUMBERED.match(next_header(index))
        trailing = _trailing_group(stem)
        if (trailing is not None and follower is not None and follower.group(1) == number
                and _option_column(number, follower.group(2)) is not None):
            add_option(number, trailing[0].strip(), index, trailing[1].strip())
            continue
        entries.append(HeaderLayout(number, stem, (index,), kind))
    layouts = []
    for entry in entries:
        if isinstance(entry, _Group):
            layouts.append(HeaderLayout(entry.number, entry.title, tuple(entry.columns), "",
                                        tuple(entry.options), option_group=True))
        else:
            layouts.append(entry)
    return layouts
