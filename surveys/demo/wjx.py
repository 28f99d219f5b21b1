"""问卷星 (wjx.cn) exports: 按选项文本 and 按选项序号 sheets of the same submissions (docs/formats.md §2).

Meta columns ``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP`` (2018+ order); question headers
``N、题干`` with N the questionnaire's 问卷星 question number; single choice as the option text or its
1-based position on the form; multiple choice as ``┋``-joined texts, or one 0/1 column per option
(``N、题干(选项1)``, then ``N、(选项k)``); ``(跳过)`` / ``-3`` for items hidden by skip logic and
``(空)`` / an empty cell for items shown but not answered. Times are text (``2026/10/3 19:05:07``)
and durations ``137秒``, as the platform writes them.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from surveys.demo.files import ExportTable
from surveys.demo.online import Submission
from surveys.demo.respondents import NOT_ASKED
from surveys.errors import SurveyError

__all__ = ["META_COLUMNS", "wjx_table", "item_headers", "wjx_filename", "question_number", "SKIPPED_TEXT", "BLANK_TEXT",
           "SKIPPED_CODE", "MULTIPLE_SEPARATOR"]

META_COLUMNS = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
SKIPPED_TEXT = "(跳过)"
BLANK_TEXT = "(空)"
SKIPPED_CODE = -3
MULTIPLE_SEPARATOR = "┋"


def question_number(key: str) -> int:
    match = re.search(r"\d+", str(key))
    if match is None:
        raise SurveyError(f"a 问卷星 column key must contain the question number (e.g. '3'); found {key!r}")
    return int(match.group())


def _mapped_items(questionnaire, platform: str) -> list:
    mapping = questionnaire.platform(platform)
    items = [item for item in questionnaire.items if mapping.column(item.id) is not None]
    return sorted(items, key=lambda item: question_number(mapping.column(item.id)))


def _time_text(moment) -> str:
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"


def _headers(questionnaire, item, by_code: bool) -> list[str]:
    number = question_number(questionnaire.platform("wjx").column(item.id))
    stem = item.text.zh
    if item.type == "multiple" and by_code:
        options = questionnaire.platform_options("wjx", item.id)
        return [f"{number}、{stem}({options[0][0]})"] + [f"{number}、({text})" for text, _ in options[1:]]
    return [f"{number}、{stem}"]


def _cells(questionnaire, item, value: Any, by_code: bool) -> list[Any]:
    options = questionnaire.platform_options("wjx", item.id) if item.scale is not None else ()
    if item.type == "multiple" and by_code:
        if value is NOT_ASKED:
            return [SKIPPED_CODE] * len(options)
        if value is None:
            return [None] * len(options)
        return [1 if code in value else 0 for _, code in options]
    if value is NOT_ASKED:
        return [SKIPPED_CODE if by_code else SKIPPED_TEXT]
    if value is None:
        return [None if by_code else BLANK_TEXT]
    if item.type == "single":
        position = next(index for index, (_, code) in enumerate(options, start=1) if code == value)
        return [position if by_code else options[position - 1][0]]
    if item.type == "multiple":
        return [MULTIPLE_SEPARATOR.join(text for text, code in options if code in value)]
    return [value]


def item_headers(questionnaire, *, by_code: bool) -> dict[str, list[str]]:
    """Item id → the export's column header(s) for it."""
    return {item.id: _headers(questionnaire, item, by_code) for item in _mapped_items(questionnaire, "wjx")}


def wjx_table(questionnaire, submissions: Sequence[Submission], *, by_code: bool,
              numbers: Sequence[int] | None = None) -> ExportTable:
    """The export sheet. ``numbers`` are the rows' 序号 (default 1, 2, …); real exports can start above 1
    and have gaps where test or invalid answers were deleted."""
    items = _mapped_items(questionnaire, "wjx")
    columns = list(META_COLUMNS)
    for item in items:
        columns += _headers(questionnaire, item, by_code)
    rows = []
    numbers = list(numbers) if numbers is not None else list(range(1, len(submissions) + 1))
    for number, submission in zip(numbers, submissions):
        row: list[Any] = [number, _time_text(submission.submitted_at), f"{submission.seconds}秒",
                          submission.channel, submission.channel_detail, f"{submission.ip}({submission.place})"]
        for item in items:
            row += _cells(questionnaire, item, submission.respondent.answers[item.id], by_code)
        rows.append(tuple(row))
    return ExportTable(tuple(columns), tuple(rows), sheet="Sheet1")


def wjx_filename(activity_id: int, questionnaire, count: int, *, by_code: bool) -> str:
    """问卷星's download name ``<问卷ID>_<query_type>_<标题>_<n>_<n>.xlsx`` (0 = 文本, 2 = 序号).

    The questionnaire id stands in for the title so that paths stay ASCII.
    """
    return f"{activity_id}_{2 if by_code else 0}_{questionnaire.id}_{count}_{count}.xlsx"
