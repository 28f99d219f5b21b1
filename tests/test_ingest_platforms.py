"""腾讯问卷, 金数据, Qualtrics, SPSS and generic readers on small hand-made exports."""
from __future__ import annotations

import builtins
import datetime
import pathlib

import openpyxl
import pytest

from surveys.errors import IngestError
from surveys.ingest import READERS, detect_platform, read_export


def write_xlsx(path: pathlib.Path, rows: list[list]) -> pathlib.Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def tencent_csv(path: pathlib.Path, rows: list[list], encoding: str = "utf-8-sig") -> pathlib.Path:
    lines = ["".join(f'"{cell}",' for cell in row) for row in rows]  # every field quoted, trailing comma
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


TENCENT_META = ["编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市",
                "自定义字段", "清洗数据结果", "智能清洗数据无效概率", "用户类型", "用户标识", "昵称", "IP", "UA"]


def tencent_rows() -> list[list]:
    headers = TENCENT_META + ["1.您的性别", "2.您使用过哪些服务？:办证", "2.您使用过哪些服务？:咨询",
                              "2.您使用过哪些服务？:投诉", "3.您对以下方面的评价:治安", "3.您对以下方面的评价:交通",
                              "4.您来自于：_填空1", "4.您来自于：_填空2", "5.总体打分"]
    meta = [["1", "02-Feb-2021 20:26:58", "02-Feb-2021 20:27:09", "11", "中国", "江苏", "南京", "src=a", "有效", "0.1",
             "微信用户", "oABC0123456789", "小王", "1.2.3.4", "Mozilla/5.0"],
            ["2", "2021-02-03 08:00:00", "2021-02-03 08:05:00", "300", "中国", "江苏", "", "", "无效", "0.9",
             "微信用户", "oXYZ", "", "5.6.7.8", "Mozilla/5.0 (iPhone)"]]
    answers = [["A.男", "办证", "", "投诉", "A.满意", "B.不满意", "江苏", "南京", "9"],
               ["B.女", "", "", "", "", "C.一般", "", "", "10"]]
    return [headers] + [m + a for m, a in zip(meta, answers)]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_tencent_csv(tmp_path, encoding):
    path = tencent_csv(tmp_path / "tencent.csv", tencent_rows(), encoding)
    assert detect_platform(path) == "tencent"
    export = read_export(path)
    assert (export.platform, export.encoding, export.rows_read) == ("tencent", encoding, 2)
    answers = export.answers
    assert answers["respondent_id"].tolist() == ["1", "2"]
    assert answers["submitted_at"].tolist() == [datetime.datetime(2021, 2, 2, 20, 27, 9),
                                                datetime.datetime(2021, 2, 3, 8, 5, 0)]
    assert answers["duration_seconds"].tolist() == [11, 300]
    assert answers["ip_location"].tolist() == ["江苏-南京", "江苏"]
    assert answers["open_id"].tolist() == ["oABC0123456789", "oXYZ"]
    assert answers["cleaning_result"].tolist() == ["有效", "无效"]
    assert answers["invalid_probability"].tolist() == [0.1, 0.9]
    assert answers["user_agent"].tolist()[1] == "Mozilla/5.0 (iPhone)"
    kinds = {q.key: q.kind for q in export.questions}
    assert kinds == {"1": "single", "2": "multiple", "3_1": "matrix_row", "3_2": "matrix_row", "4_1": "text",
                     "4_2": "text", "5": "single"}
    # 'A.选项' labels: the letter is the position, the answer is the label
    assert export.question("1").value_labels == {1: "男", 2: "女"}
    assert answers["1"].tolist() == ["男", "女"]
    assert answers["2"].tolist() == [("办证", "投诉"), None]
    assert export.question("2").options == ("办证", "咨询", "投诉")
    assert answers["3_2"].tolist() == ["不满意", "一般"]
    assert export.question("3_1").row_label == "治安"
    assert answers["5"].tolist() == [9, 10]
    assert not any(key.startswith("Unnamed") or key.startswith("column") for key in answers.columns)


def test_tencent_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "tencent.xlsx", tencent_rows())
    export = read_export(path)
    assert export.platform == "tencent" and export.rows_read == 2 and export.encoding == "xlsx"


def test_jinshuju_xlsx(tmp_path):
    headers = ["序号", "认知灵活性", "认知灵活性", "您的性别", "此题请选择5", "微信昵称", "微信OpenID", "提交时间", "测评时长",
               "填写设备", "填写地区", "IP"]
    rows = [headers,
            [1, 7, 3, "男", 5, "a", "oJ1", "2023-08-05 17:56:11", "1分", "手机", "中国 山西省 临汾市", "1.1.1.1"],
            [2, 10, 0, "女", 4, "b", "oJ1", "2023-08-05 18:00:00", "24秒", "电脑", "中国 山西省 临汾市", "2.2.2.2"],
            [3, 0, 0, "男", 5, "c", "oJ2", "2023-08-05 18:10:00", "2分3秒", "手机", "", ""]]
    path = write_xlsx(tmp_path / "jinshuju.xlsx", rows)
    assert detect_platform(path) == "jinshuju"
    export = read_export(path)
    assert export.rows_read == 3
    assert [q.key for q in export.questions] == ["认知灵活性", "认知灵活性.1", "您的性别", "此题请选择5"]
    assert export.answers["duration_seconds"].tolist() == [60, 24, 123]
    assert export.answers["open_id"].tolist() == ["oJ1", "oJ1", "oJ2"]
    assert export.answers["ip_location"].tolist() == ["中国 山西省 临汾市", "中国 山西省 临汾市", None]
    assert export.answers["认知灵活性"].tolist() == [7, 10, 0]
    assert export.question("认知灵活性").kind == "single"


QUALTRICS_3 = (
    'StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,Q1,Q2_1,Q2_2,Q3\n'
    'Start Date,End Date,Response Type,IP Address,Progress,Duration,Finished,Recorded Date,Response ID,'
    'How satisfied?,Rate - Police,Rate - Roads,Comments\n'
    '"{""ImportId"":""startDate"",""timeZone"":""Asia/Shanghai""}","{""ImportId"":""endDate""}",'
    '"{""ImportId"":""status""}","{""ImportId"":""ipAddress""}","{""ImportId"":""progress""}",'
    '"{""ImportId"":""duration""}","{""ImportId"":""finished""}","{""ImportId"":""recordedDate""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_1""}",'
    '"{""ImportId"":""QID2_2""}","{""ImportId"":""QID3_TEXT""}"\n'
    '2024-05-01 10:00:00,2024-05-01 10:05:00,IP Address,8.8.8.8,100,300,True,2024-05-01 10:05:01,R_1,4,5,3,"Good, thanks"\n'
    '2024-05-02 10:00:00,2024-05-02 10:01:00,Survey Preview,,50,60,False,2024-05-02 10:01:01,R_2,2,,1,\n'
)


def test_qualtrics_three_header_rows(tmp_path):
    path = tmp_path / "qualtrics.csv"
    path.write_text(QUALTRICS_3, encoding="utf-8")
    assert detect_platform(path) == "qualtrics"
    export = read_export(path)
    assert (export.header_rows, export.rows_read) == (3, 2)
    assert [q.key for q in export.questions] == ["Q1", "Q2_1", "Q2_2", "Q3"]
    assert export.question("Q2_1").title == "Rate - Police"
    assert export.answers["respondent_id"].tolist() == ["R_1", "R_2"]
    assert export.answers["duration_seconds"].tolist() == [300, 60]
    assert export.answers["status"].tolist() == ["IP Address", "Survey Preview"]
    assert export.answers["Q1"].tolist() == [4, 2]
    assert export.answers["Q3"].tolist() == ["Good, thanks", None]


def test_qualtrics_utf16_tab_separated(tmp_path):
    path = tmp_path / "qualtrics.tsv"
    text = QUALTRICS_3.replace('"Good, thanks"', "Good thanks").replace(",", "\t")
    path.write_bytes(text.encode("utf-16"))
    export = read_export(path)
    assert (export.platform, export.encoding, export.rows_read) == ("qualtrics", "utf-16", 2)
    assert export.answers["Q3"].tolist() == ["Good thanks", None]


def test_qualtrics_legacy_two_header_rows(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("\ufeffV1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q1,Q2,\n"
                     "ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,StartDate,"
                     "EndDate,Finished,How satisfied?,Comments,\n"
                     "R_1,Default,Anonymous,,,1.2.3.4,0,2017-07-18 08:28:09,2017-07-18 08:28:48,1,2,Hi,\n"
                     .encode("utf-8"))
    export = read_export(path)
    assert (export.platform, export.header_rows, export.rows_read, export.encoding) == ("qualtrics", 2, 1, "utf-8-sig")
    assert [q.key for q in export.questions] == ["Q1", "Q2"]
    assert export.answers["ip"].tolist() == ["1.2.3.4"]
    assert export.answers["started_at"].tolist() == [datetime.datetime(2017, 7, 18, 8, 28, 9)]


def test_generic_with_title_row_two_headers_and_mapping(tmp_path):
    rows = [["2026年秋季入户调查 录入表"],
            ["表单编号", "调查员", "Q1 满意度", "", "电话"],
            ["", "", "治安", "交通", ""],
            ["F001", "张三", 1, 2, "013900001111"],
            ["F002", "李四", -1, 3, "13900002222"],
            [None, None, None, None, None],
            ["F003", "张三", 2, 2, "13900003333"]]
    path = write_xlsx(tmp_path / "paper.xlsx", rows)
    with pytest.raises(IngestError, match="unknown export layout"):
        detect_platform(path)
    export = read_export(path, platform="generic", skip_rows=1, header_rows=2, blank=["-1"],
                         columns={"表单编号": "respondent_id", "调查员": "interviewer", "Q1 满意度 / 治安": "q1_police"})
    # the empty row inside the data is no respondent: counted as blank, the others keep their row numbers
    assert (export.rows_read, export.blank_rows) == (3, 1)
    assert export.answers["row"].tolist() == [1, 2, 4]
    assert export.answers["respondent_id"].tolist() == ["F001", "F002", "F003"]
    assert [q.key for q in export.questions] == ["q1_police", "Q1 满意度 / 交通", "电话"]
    assert export.answers["q1_police"].tolist() == [1, None, 2]
    assert export.answers["电话"].tolist() == ["013900001111", "13900002222", "13900003333"]
    assert export.problem_rows() == ()
    with pytest.raises(IngestError, match="does not have"):
        read_export(path, platform="generic", skip_rows=1, header_rows=2, columns={"编号": "respondent_id"})


def test_long_numbers_in_workbooks_are_flagged_not_floated(tmp_path):
    rows = [["序号", "姓名", "身份证号"], [1, "甲", 110101199003071234], [2, "乙", "110101199003071234"]]
    export = read_export(write_xlsx(tmp_path / "ids.xlsx", rows), platform="generic")
    values = export.answers["身份证号"].tolist()
    assert all(isinstance(value, str) for value in values)
    assert values[1] == "110101199003071234"
    assert [p.row for p in export.problems] == [1] and "15th" in export.problems[0].message


def test_spss_without_pyreadstat_says_how_to_install(tmp_path, monkeypatch):
    path = tmp_path / "survey.sav"
    path.write_bytes(b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 200)
    assert detect_platform(path) == "spss"
    real_import = builtins.__import__

    def no_pyreadstat(name, *args, **kwargs):
        if name == "pyreadstat":
            raise ImportError("No module named 'pyreadstat'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyreadstat)
    with pytest.raises(IngestError, match="pip install pyreadstat"):
        read_export(path)


def test_spss_round_trip_when_pyreadstat_is_installed(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    import pandas as pd

    frame = pd.DataFrame({"序号": ["1", "2", "3"], "q1": [1.0, 2.0, 99.0], "q2": ["好", "", "差"]})
    path = tmp_path / "bureau.sav"
    pyreadstat.write_sav(frame, str(path), column_labels={"q1": "满意度"},
                         variable_value_labels={"q1": {1.0: "满意", 2.0: "不满意", 99.0: "拒答"}},
                         missing_ranges={"q1": [99.0]})
    export = read_export(path)
    assert (export.platform, export.rows_read) == ("spss", 3)
    q1 = export.question("q1")
    assert (q1.kind, q1.title, q1.value_labels, q1.missing_codes) == ("single", "满意度", {1: "满意", 2: "不满意", 99: "拒答"}, (99,))
    assert export.answers["q1"].tolist() == [1, 2, None]
    assert export.answers["respondent_id"].tolist() == ["1", "2", "3"]
    assert export.answers["q2"].tolist() == ["好", None, "差"]


def test_registry_names_every_platform():
    assert set(READERS) == {"wjx", "tencent", "jinshuju", "qualtrics", "spss", "generic"}


def test_tencent_2016_layout_without_duration(tmp_path):
    rows = [["编号", "开始答题时间", "结束答题时间", "自定义字段", "1.您使用过xx网吗？", "2.您的性别", "3.打分"],
            ["1", "2016-04-27 19:26:45", "2016-04-27 19:30:00", "", "A.使用过", "A.男", "3"],
            ["2", "2016-04-27 20:00:00", "2016-04-27 20:01:00", "", "B.没用过", "B.女", "5"]]
    path = tencent_csv(tmp_path / "465864_seg_1.csv", rows)
    assert detect_platform(path) == "tencent"
    export = read_export(path)
    assert export.answers["1"].tolist() == ["使用过", "没用过"]
    assert export.question("2").value_labels == {1: "男", 2: "女"}
    assert "duration_seconds" not in export.answers


@pytest.mark.parametrize("headers, platform_named", [
    (["提交者（自动）", "提交时间（自动）", "您的年级"], "腾讯文档收集表"),
    (["Respondent ID", "Collector ID", "Start Date", "End Date", "Q1"], "SurveyMonkey"),
    (["start", "end", "q1", "_id", "_uuid", "_submission_time"], "KoboToolbox"),
])
def test_layouts_without_a_reader_point_to_generic(tmp_path, headers, platform_named):
    path = write_xlsx(tmp_path / "export.xlsx", [headers, ["x"] * len(headers)])
    with pytest.raises(IngestError, match=f"export.xlsx: looks like .*{platform_named}.*platform='generic'"):
        detect_platform(path)


def test_named_sheet_is_read_and_recorded(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本文件由问卷星导出"])
    data = workbook.create_sheet("Sheet1")
    for row in [["序号", "提交答卷时间", "所用时间", "1、性别"], [1, "2023/9/8 12:24:22", "137秒", "男"]]:
        data.append(row)
    workbook.save(tmp_path / "two_sheets.xlsx")
    export = read_export(tmp_path / "two_sheets.xlsx", sheet="Sheet1")
    assert (export.platform, export.sheet, export.rows_read) == ("wjx", "Sheet1", 1)
    with pytest.raises(IngestError, match="no sheet 'Data'"):
        read_export(tmp_path / "two_sheets.xlsx", sheet="Data")
