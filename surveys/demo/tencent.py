"""腾讯问卷 (wj.qq.com) CSV export (docs/formats.md §3).

Every field quoted and every line ending with a trailing comma; meta columns ``编号, 开始答题时间,
结束答题时间, 答题时长, 地理位置国家和地区, 地理位置省, 地理位置市, 自定义字段`` followed by the newer
``用户类型, 用户标识, 昵称, IP, UA``; question headers ``N.题干`` with N the 腾讯问卷 question number;
single choice as ``A.选项`` (letter = option position); multiple choice as one column per option
``N.题干:选项`` holding the option text when chosen; everything not answered or not asked is empty.
"""
from __future__ import annotations

import re
import string
from typing import Any, Sequence

from surveys.demo.files import ExportTable
from surveys.demo.online import Submission
from surveys.demo.respondents import NOT_ASKED
from surveys.demo.wjx import question_number

__all__ = ["META_COLUMNS", "tencent_table", "item_headers"]

META_COLUMNS = ("编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市",
                "自定义字段", "用户类型", "用户标识", "昵称", "IP", "UA")

_LETTERED = re.compile(r"^[A-Z]\.")


def _time_text(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _items(questionnaire) -> list:
    mapping = questionnaire.platform("tencent")
    items = [item for item in questionnaire.items if mapping.column(item.id) is not None]
    return sorted(items, key=lambda item: question_number(mapping.column(item.id)))


def _headers(questionnaire, item) -> list[str]:
    number = question_number(questionnaire.platform("tencent").column(item.id))
    if item.type == "multiple":
        return [f"{number}.{item.text.zh}:{text}" for text, _ in questionnaire.platform_options("tencent", item.id)]
    return [f"{number}.{item.text.zh}"]


def _cells(questionnaire, item, value: Any) -> list[Any]:
    options = questionnaire.platform_options("tencent", item.id) if item.scale is not None else ()
    if item.type == "multiple":
        if value is NOT_ASKED or value is None:
            return [""] * len(options)
        return [text if code in value else "" for text, code in options]
    if value is NOT_ASKED or value is None:
        return [""]
    if item.type == "single":
        position = next(index for index, (_, code) in enumerate(options) if code == value)
        text = options[position][0]
        # a value map may already carry the platform's letter prefix ("A.满意")
        return [text if _LETTERED.match(text) else f"{string.ascii_uppercase[position]}.{text}"]
    return [str(value)]


def item_headers(questionnaire) -> dict[str, list[str]]:
    """Item id → the export's column header(s) for it."""
    return {item.id: _headers(questionnaire, item) for item in _items(questionnaire)}


def tencent_table(questionnaire, submissions: Sequence[Submission]) -> ExportTable:
    """The export as cells (all strings, as a CSV holds them)."""
    items = _items(questionnaire)
    columns = list(META_COLUMNS)
    for item in items:
        columns += _headers(questionnaire, item)
    rows = []
    for number, submission in enumerate(submissions, start=1):
        province, city = submission.province_city
        row = [str(number), _time_text(submission.started_at), _time_text(submission.submitted_at),
               str(submission.seconds), "中国", province, city, "", "微信用户", submission.open_id,
               submission.nickname, submission.ip, submission.user_agent]
        for item in items:
            row += _cells(questionnaire, item, submission.respondent.answers[item.id])
        rows.append(tuple(row))
    return ExportTable(tuple(columns), tuple(rows))
