"""Mapping read exports onto a questionnaire: codes, asked vs missing, multiple choice, identifiers, errors.

The helpers at the top (a small questionnaire and writers of 问卷星 / 腾讯问卷 / paper files) are shared
with test_validate.py, test_store.py and test_ingest_cli.py.
"""
from __future__ import annotations

import csv
import dataclasses
import pathlib
from types import MappingProxyType

import openpyxl
import pandas as pd
import pytest

from surveys.errors import IngestError
from surveys.ingest import read_export
from surveys.ingest.mapping import map_export, read_for_questionnaire
from surveys.ingest.privacy import Pseudonymiser
from surveys.questionnaire import load_questionnaire
from surveys.validate import duplicate_keys

MINI_YAML = """id: mini
version: "1.0"
title: {zh: 政务服务满意度迷你问卷, en: Mini service survey}
unit: {zh: 测试单位, en: Test unit}
population: residents
modes: [paper, online]
scales:
  sat:
    categories:
      - {code: 1, zh: 满意, en: Satisfied, satisfied: true, score: 100}
      - {code: 2, zh: 不满意, en: Dissatisfied, score: 0}
      - {code: 9, zh: 不了解, en: "Do not know", dont_know: true}
  yes_no:
    categories:
      - {code: 1, zh: 是, en: "Yes"}
      - {code: 2, zh: 否, en: "No"}
  channels:
    multiple: true
    categories:
      - {code: 1, zh: 电视, en: TV}
      - {code: 2, zh: 网络, en: Web}
      - {code: 3, zh: 报纸, en: Newspaper}
items:
  - {id: used, text: {zh: 您是否办理过政务服务事项？, en: "Used services"}, type: single, scale: yes_no, role: screener}
  - id: service
    text: {zh: 您对办事服务是否满意？, en: "Service"}
    type: single
    scale: sat
    role: satisfaction
    asked_if: [{item: used, in: [1]}]
  - {id: hotline, text: {zh: 您对热线服务是否满意？, en: "Hotline"}, type: single, scale: sat, role: satisfaction}
  - {id: attention, text: {zh: 本题请直接选择满意, en: Choose satisfied}, type: single, scale: sat, role: attention_check, correct_answer: 1}
  - {id: channels, text: {zh: 您通过哪些渠道了解政务信息？, en: "Channels"}, type: multiple, scale: channels, role: demographic}
  - {id: overall, text: {zh: 总体而言您是否满意？, en: "Overall"}, type: single, scale: sat, role: overall}
  - {id: comments, text: {zh: 您还有什么意见建议？, en: "Comments"}, type: text, role: free_text, required: false}
measures:
  - id: overall_rate
    kind: rate
    items: [overall]
    label: {zh: 满意率, en: Satisfaction rate}
    headline: true
    target: {threshold: 0.80, comparison: ">=", rule: ci_lower_bound}
platforms:
  wjx:
    columns: {used: "1", service: "2", hotline: "3", attention: "4", channels: "5", overall: "6", comments: "7"}
  tencent:
    columns: {used: Q1, service: Q2, hotline: Q3, attention: Q4, channels: Q5, overall: Q6, comments: Q7}
  paper:
    columns: {used: Q1, service: Q2, hotline: Q3, attention: Q4, channels: Q5, overall: Q6, comments: Q7}
"""

WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
WJX_TITLES = ["1、您是否办理过政务服务事项？", "2、您对办事服务是否满意？", "3、您对热线服务是否满意？",
              "4、本题请直接选择满意", "5、您通过哪些渠道了解政务信息？", "6、总体而言您是否满意？", "7、您还有什么意见建议？"]
TENCENT_META = ["编号", "开始答题时间", "结束答题时间", "答题时长", "用户标识", "IP", "UA"]
CHANNELS = ("电视", "网络", "报纸")


def mini_questionnaire(folder: pathlib.Path):
    path = folder / "mini.yaml"
    path.write_text(MINI_YAML, encoding="utf-8")
    return load_questionnaire(path)


def write_csv(path: pathlib.Path, header, rows, encoding="utf-8-sig") -> pathlib.Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def wjx_text_file(path: pathlib.Path, rows) -> pathlib.Path:
    """问卷星 按选项文本 CSV. Each row: (序号, time, seconds, ip, used, service, hotline, attention, channels, overall, comment)."""
    out = []
    for number, moment, seconds, ip, *answers in rows:
        out.append([number, moment, f"{seconds}秒", "微信", "微信", ip, *answers])
    return write_csv(path, WJX_META + WJX_TITLES, out)


def wjx_code_file(path: pathlib.Path, rows) -> pathlib.Path:
    """问卷星 按选项序号 CSV: positions; multiple choice as 0/1 option columns; -3 for skipped."""
    header = WJX_META + WJX_TITLES[:4] + [f"5、您通过哪些渠道了解政务信息？({CHANNELS[0]})"] + \
        [f"5、({label})" for label in CHANNELS[1:]] + WJX_TITLES[5:]
    out = []
    for number, moment, seconds, ip, used, service, hotline, attention, chosen, overall, comment in rows:
        flags = [-3] * 3 if chosen == -3 else [int(position in chosen) for position in (1, 2, 3)]
        out.append([number, moment, f"{seconds}秒", "微信", "微信", ip, used, service, hotline, attention, *flags,
                    overall, comment])
    return write_csv(path, header, out)


def tencent_file(path: pathlib.Path, rows) -> pathlib.Path:
    """腾讯问卷 CSV: each row (编号, start, end, seconds, openid, ip, ua, used, service, hotline, attention,
    channels (tuple of labels), overall, comment); single choices as A.-lettered labels."""
    letters = {"是": "A.是", "否": "B.否", "满意": "A.满意", "不满意": "B.不满意", "不了解": "C.不了解", "": ""}
    header = TENCENT_META + ["1.您是否办理过政务服务事项？", "2.您对办事服务是否满意？", "3.您对热线服务是否满意？",
                             "4.本题请直接选择满意"] + [f"5.您通过哪些渠道了解政务信息？:{label}" for label in CHANNELS] + \
        ["6.总体而言您是否满意？", "7.您还有什么意见建议？"]
    out = []
    for number, start, end, seconds, open_id, ip, ua, used, service, hotline, attention, chosen, overall, comment in rows:
        out.append([number, start, end, seconds, open_id, ip, ua, letters[used], letters[service], letters[hotline],
                    letters[attention], *[label if label in chosen else "" for label in CHANNELS], letters[overall],
                    comment])
    return write_csv(path, header, out)


def paper_file(path: pathlib.Path, rows) -> pathlib.Path:
    """Paper data-entry workbook: 表单编号, 调查员, 调查日期, Q1..Q7 holding the keyed codes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["表单编号", "调查员", "调查日期", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


WJX_TEXT_ROWS = [
    (1, "2026/10/3 10:00:00", 120, "1.2.3.4(陕西-秦川)", "是", "满意", "不了解", "满意", "电视┋网络", "满意", "(空)"),
    (2, "2026/10/3 11:00:00", 95, "5.6.7.8(陕西-秦川)", "否", "(跳过)", "不满意", "满意", "报纸", "不满意",
     "请打13812345678联系我"),
    (3, "2026/10/3 12:00:00", 80, "9.9.9.9(广东-深圳)", "是", "(空)", "满意", "不满意", "网络", "满意", "(空)"),
]
WJX_CODE_ROWS = [
    (1, "2026/10/3 10:00:00", 120, "1.2.3.4(陕西-秦川)", 1, 1, 3, 1, (1, 2), 1, ""),
    (2, "2026/10/3 11:00:00", 95, "5.6.7.8(陕西-秦川)", 2, -3, 2, 1, (3,), 2, "请打13812345678联系我"),
    (3, "2026/10/3 12:00:00", 80, "9.9.9.9(广东-深圳)", 1, "", 1, 2, (2,), 1, ""),
]


@pytest.fixture
def mini(tmp_path):
    return mini_questionnaire(tmp_path)


def test_label_and_code_exports_map_to_the_same_codes(tmp_path, mini):
    text = map_export(read_export(wjx_text_file(tmp_path / "text.csv", WJX_TEXT_ROWS)), mini)
    codes = map_export(read_export(wjx_code_file(tmp_path / "codes.csv", WJX_CODE_ROWS)), mini)
    assert text.platform == codes.platform == "wjx" and codes.coding == "codes"
    for mapped in (text, codes):
        assert list(mapped.codes.index) == [1, 2, 3]
        assert mapped.codes["hotline"].tolist() == [9, 2, 1]          # position 3 → code 9 (不了解)
        assert mapped.codes["channels"].tolist() == [(1, 2), (3,), (2,)]
        assert mapped.codes["overall"].tolist() == [1, 2, 1]
        assert mapped.codes["overall"].dtype == "Int64"
        assert not mapped.problems
    pd.testing.assert_frame_equal(text.codes.drop(columns="comments"), codes.codes.drop(columns="comments"))
    pd.testing.assert_frame_equal(text.asked, codes.asked)


def test_not_asked_is_distinct_from_missing(tmp_path, mini):
    mapped = map_export(read_export(wjx_text_file(tmp_path / "text.csv", WJX_TEXT_ROWS)), mini)
    # row 2 skipped the service question ((跳过)); row 3 was asked and left it blank ((空))
    assert not mapped.asked.at[2, "service"] and pd.isna(mapped.codes.at[2, "service"])
    assert mapped.asked.at[3, "service"] and pd.isna(mapped.codes.at[3, "service"])
    assert mapped.asked.at[1, "service"] and mapped.codes.at[1, "service"] == 1


def test_skip_logic_applies_where_the_platform_writes_empty_cells(tmp_path, mini):
    rows = [(1, "2026-10-03 10:00:00", "2026-10-03 10:02:00", 120, "oA", "1.1.1.1", "UA1", "否", "", "满意", "满意",
             ("电视",), "满意", ""),
            (2, "2026-10-03 11:00:00", "2026-10-03 11:02:00", 120, "oB", "1.1.1.2", "UA1", "是", "", "满意", "满意",
             (), "满意", "")]
    mapped = map_export(read_export(tencent_file(tmp_path / "t.csv", rows)), mini)
    assert mapped.platform == "tencent"
    assert not mapped.asked.at[1, "service"]                      # 否 → service hidden
    assert mapped.asked.at[2, "service"] and pd.isna(mapped.codes.at[2, "service"])   # 是 but blank → missing
    assert mapped.codes.at[1, "used"] == 2 and mapped.codes.at[1, "channels"] == (1,)
    assert mapped.meta.at[1, "duration_seconds"] == 120


def test_paper_codes_multiple_choice_and_cells_that_cannot_be_mapped(tmp_path, mini):
    rows = [("F-001", "张明", "2026-10-05", 1, 1, 2, 1, "1,3", 1, "好"),
            ("F-002", "张明", "2026-10-05", 2, None, 6, 1, "2", "满意", None),      # 6: not in the scale
            ("F-003", "李娜", "2026-10-06", 1, "还行", 1, 1, "2、4", 2, None)]       # 还行: no such option
    raw = read_for_questionnaire(paper_file(tmp_path / "entry.xlsx", rows), mini)
    mapped = map_export(raw, mini)
    assert mapped.platform == "paper" and mapped.mode == "paper"
    assert mapped.codes["channels"].tolist() == [(1, 3), (2,), (2,)]
    assert mapped.codes["overall"].tolist() == [1, 1, 2]            # a label keyed as text is mapped too
    assert pd.isna(mapped.codes.at[2, "hotline"]) and pd.isna(mapped.codes.at[3, "service"])
    assert mapped.meta["record_id"].tolist() == ["F-001", "F-002", "F-003"]
    problems = {(p.code, p.row, p.column) for p in mapped.problems}
    assert problems == {("out_of_scale", 2, "hotline"), ("out_of_scale", 3, "service"), ("out_of_scale", 3, "channels")}
    assert not mapped.asked.at[2, "service"]                       # used = 否: not asked, not missing


def test_identifiers_are_pseudonymised_and_the_place_is_kept(tmp_path, mini):
    key = Pseudonymiser(b"k" * 32)
    mapped = map_export(read_export(wjx_text_file(tmp_path / "text.csv", WJX_TEXT_ROWS)), mini, pseudonymiser=key)
    assert mapped.meta["ip_location"].tolist() == ["陕西-秦川", "陕西-秦川", "广东-深圳"]
    assert mapped.identifiers.at[1, "ip"] == key.token("ip", "1.2.3.4")
    assert "1.2.3.4" not in mapped.identifiers.to_string()
    assert "13812345678" not in mapped.codes.at[2, "comments"] and "〔phone:" in mapped.codes.at[2, "comments"]
    assert mapped.identifiers.at[2, "phone"] == key.token("phone", "13812345678")
    assert "ip" not in mapped.meta


def test_an_absent_question_names_file_expectation_and_finding(tmp_path, mini):
    header = WJX_META + WJX_TITLES[:6]            # question 7 missing
    path = write_csv(tmp_path / "short.csv", header, [[1, "2026/10/3 10:00:00", "60秒", "微信", "微信", "1.1.1.1",
                                                      "是", "满意", "满意", "满意", "电视", "满意"]])
    with pytest.raises(IngestError) as error:
        map_export(read_export(path), mini)
    message = str(error.value)
    assert "short.csv" in message and "'7' for item 'comments'" in message and "found the questions" in message


def test_a_missing_platform_mapping_or_another_questionnaire_is_an_error(tmp_path, mini):
    raw = read_export(wjx_text_file(tmp_path / "text.csv", WJX_TEXT_ROWS))
    without = dataclasses.replace(mini, platforms=MappingProxyType({"paper": mini.platform("paper")}))
    with pytest.raises(IngestError, match="has no 'wjx' mapping"):
        map_export(raw, without)
    other = load_questionnaire(pathlib.Path(__file__).parents[1] / "questionnaires" / "social_stability.yaml")
    with pytest.raises(IngestError, match="text.csv"):
        map_export(raw, other)


def test_a_generic_read_of_a_paper_workbook_keeps_form_numbers_as_meta(tmp_path, mini):
    rows = [("F-001", "张明", "2026-10-05", 1, 1, 2, 1, "1", 1, None),
            ("F-001", "李娜", "2026-10-06", 1, 2, 2, 1, "2", 2, None)]
    raw = read_export(paper_file(tmp_path / "entry.xlsx", rows), platform="generic")
    mapped = map_export(raw, mini, platform="paper")
    assert mapped.meta["record_id"].tolist() == ["F-001", "F-001"]
    assert mapped.meta["interviewer"].tolist() == ["张明", "李娜"]
    assert str(mapped.meta["submitted_at"].iloc[0].date()) == "2026-10-05"
    assert "record" not in mapped.identifiers   # the form number is not personal: compared as it is
    assert duplicate_keys(mapped)[["record_platform", "record_id"]].notna().all(axis=None)
