"""问卷星 readers on small hand-made exports in the platform's layouts (docs/formats.md §2)."""
from __future__ import annotations

import datetime
import pathlib

import openpyxl
import pytest

from surveys.errors import IngestError
from surveys.ingest import NOT_ASKED, detect_platform, read_export, read_export_pair

NEW_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
OLD_META = ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情"]


def write_xlsx(path: pathlib.Path, rows: list[list]) -> pathlib.Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: pathlib.Path, rows: list[list], encoding: str = "utf-8") -> pathlib.Path:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["" if cell is None else cell for cell in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def meta(order: list[str], number: int, seconds: str = "137秒", ip: str = "114.222.205.156(江苏-南京)") -> list:
    values = {"序号": number, "提交答卷时间": f"2023/9/{number} 12:24:22", "所用时间": seconds, "来源": "微信",
              "来源详情": "直接访问", "来自IP": ip}
    return [values[name] for name in order]


TEXT_HEADERS = ["1、您的性别 (单选题 *必答)", "2、您关注哪些方面？【多选题】", "3、请排序", "4、您对以下方面满意吗—治安",
                "交通", "5、您的手机号 (填空题 *必答)", "6、您的评分"]


def text_rows(order: list[str]) -> list[list]:
    return [
        order + TEXT_HEADERS,
        meta(order, 1) + ["男", "治安┋交通┋其他〖噪音┋扰民〗", "治安→交通→教育", "满意", "不满意", "013912345678", "3分"],
        meta(order, 2, "1分24秒", "1.2.3.4") + ["女", "(跳过)", "(跳过)", "(空)", "基本满意", "(空)", "5分"],
        meta(order, 3, "5秒") + ["其他〖不愿说〗", "教育", "交通→治安", "不满意", "满意", "13800000000", "3分"],
    ]


@pytest.mark.parametrize("order", [NEW_META, OLD_META], ids=["2018+", "2016"])
def test_text_export_meta_by_name_and_values(tmp_path, order):
    path = write_xlsx(tmp_path / "123_0_survey_3_3.xlsx", text_rows(order))
    assert detect_platform(path) == "wjx"
    export = read_export(path)
    assert (export.platform, export.coding, export.encoding, export.rows_read) == ("wjx", "labels", "xlsx", 3)
    answers = export.answers
    assert answers["row"].tolist() == [1, 2, 3]
    assert answers["respondent_id"].tolist() == ["1", "2", "3"]
    assert answers["submitted_at"].iloc[0] == datetime.datetime(2023, 9, 1, 12, 24, 22)
    assert answers["duration_seconds"].tolist() == [137, 84, 5]
    assert answers["ip"].tolist() == ["114.222.205.156", "1.2.3.4", "114.222.205.156"]
    assert answers["ip_location"].tolist() == ["江苏-南京", None, "江苏-南京"]
    assert export.meta_columns["ip"] == "来自IP"
    kinds = {q.key: q.kind for q in export.questions}
    assert kinds == {"1": "single", "2": "multiple", "3": "ranking", "4_1": "matrix_row", "4_2": "matrix_row",
                     "5": "text", "6": "single"}
    assert export.question("1").title == "您的性别" and export.question("1").declared_kind
    assert export.question("2").title == "您关注哪些方面？"
    # multi-select, with other-text holding the separator itself
    assert answers["2"].tolist() == [("治安", "交通", "其他"), NOT_ASKED, ("教育",)]
    assert answers[export.question("2").other_column].tolist() == ["噪音┋扰民", None, None]
    assert answers["1"].tolist() == ["男", "女", "其他"]
    assert answers["1.other"].tolist() == [None, None, "不愿说"]
    assert answers["3"].tolist() == [("治安", "交通", "教育"), NOT_ASKED, ("交通", "治安")]
    assert answers["4_1"].tolist() == ["满意", None, "不满意"]
    matrix_row = export.question("4_2")
    assert (matrix_row.matrix, matrix_row.row_label, matrix_row.title) == ("4", "交通", "您对以下方面满意吗")
    # an identifier-like fill-in keeps its leading zero and is never a float
    assert answers["5"].tolist() == ["013912345678", None, "13800000000"]
    assert export.problems == ()


def code_rows(style: str) -> list[list]:
    if style == "old":
        option_headers = ["第2题(治安)", "第2题(交通)", "第2题(其他)", "第3题(治安)", "第3题(交通)", "第3题(教育)"]
    else:
        option_headers = ["2、您关注哪些方面？(治安)", "2、(交通)", "2、(其他)", "2、(其他（请补充）:)",
                          "3、请排序(治安)", "3、(交通)", "3、(教育)"]
    headers = NEW_META + ["1、您的性别"] + option_headers + ["4、您对以下方面满意吗—治安", "交通", "5、您的手机号"]
    other = [[], ["噪音"], [""], [""]] if style == "new" else [[], [], [], []]
    return [
        headers,
        meta(NEW_META, 1) + [1, 1, 1, 1] + other[1] + [1, 2, 3, 2, 3, 13912345678],
        meta(NEW_META, 2) + [2, -3, -3, -3] + ([-3] if style == "new" else []) + [-2, -2, -2, -3, 1, None],
        meta(NEW_META, 3) + [None, 0, 0, 0] + other[3] + [2, 1, -2, 3, None, "13800000000"],
    ]


@pytest.mark.parametrize("style", ["old", "new"], ids=["第N题(选项)", "N、(选项)"])
def test_code_export_option_columns(tmp_path, style):
    path = write_xlsx(tmp_path / "codes.xlsx", code_rows(style))
    export = read_export(path)
    assert (export.coding, export.rows_read) == ("codes", 3)
    kinds = {q.key: q.kind for q in export.questions}
    assert kinds == {"1": "single", "2": "multiple", "3": "ranking", "4_1": "matrix_row", "4_2": "matrix_row",
                     "5": "text"}
    multiple = export.question("2")
    assert multiple.options == ("治安", "交通", "其他")
    assert export.answers["2"].tolist() == [(1, 2, 3), NOT_ASKED, ()]
    # codes are the option's position; -2 = not ranked; all -2 = no ranking
    assert export.answers["3"].tolist() == [(1, 2, 3), None, (2, 1)]
    assert export.answers["1"].tolist() == [1, 2, None]
    assert export.answers["4_1"].tolist() == [2, NOT_ASKED, 3]
    assert export.answers["5"].tolist() == ["13912345678", None, "13800000000"]
    if style == "new":
        assert multiple.title == "您关注哪些方面？"
        assert export.answers[multiple.other_column].tolist() == ["噪音", None, None]


def test_code_and_text_files_read_as_a_pair(tmp_path):
    text = write_xlsx(tmp_path / "1_0_s_3_3.xlsx", text_rows(NEW_META))
    code_table = [NEW_META + ["1、您的性别", "第2题(治安)", "第2题(交通)", "第2题(教育)", "第2题(其他)",
                              "4、您对以下方面满意吗—治安", "交通"],
                  meta(NEW_META, 1) + [1, 1, 1, 0, 1, 2, 1],
                  meta(NEW_META, 2) + [2, -3, -3, -3, -3, None, 3],
                  meta(NEW_META, 3) + [3, 0, 0, 1, 0, 1, 2]]
    codes = write_xlsx(tmp_path / "1_2_s_3_3.xlsx", code_table)
    pair = read_export_pair(codes, text)
    assert pair.coding == "codes" and pair.label_path == text and pair.rows_read == 3
    assert pair.question("1").value_labels == {1: "男", 2: "女", 3: "其他"}
    assert pair.question("4_1").value_labels == {1: "不满意", 2: "满意"}
    assert pair.question("4_2").value_labels == {1: "不满意", 2: "满意", 3: "基本满意"}
    assert pair.question("2").value_labels[4] == "其他"
    assert pair.question("2").title == "您关注哪些方面？"
    assert pair.answers["1"].tolist() == [1, 2, 3]
    assert pair.answers[pair.question("2").other_column].tolist() == ["噪音┋扰民", None, None]
    with pytest.raises(IngestError, match="swap"):
        read_export_pair(text, codes)


def test_pair_with_different_rows_is_refused(tmp_path):
    text = write_xlsx(tmp_path / "text.xlsx", text_rows(NEW_META))
    codes = write_xlsx(tmp_path / "codes.xlsx", [NEW_META + ["1、您的性别"], meta(NEW_META, 1) + [1],
                                                  meta(NEW_META, 5) + [2], meta(NEW_META, 3) + [1]])
    with pytest.raises(IngestError, match=r"row 2: 序号 '5'"):
        read_export_pair(codes, text)


def test_csv_export_with_multiline_text_and_gbk(tmp_path):
    rows = [NEW_META + ["1、您的建议", "2、性别"],
            meta(NEW_META, 7) + ["第一行\n第二行", "男"],
            meta(NEW_META, 9) + ["(空)", "女"]]
    for encoding, expected in (("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030")):
        path = write_csv(tmp_path / f"wjx_{encoding}.csv", rows, encoding)
        export = read_export(path)
        assert (export.platform, export.encoding, export.rows_read) == ("wjx", expected, 2)
        assert export.answers["1"].tolist() == ["第一行\n第二行", None]
        assert export.answers["respondent_id"].tolist() == ["7", "9"]


def test_score_column_and_unparseable_meta_keep_the_row(tmp_path):
    rows = [NEW_META + ["1、性别", "总分"],
            meta(NEW_META, 1) + ["男", 12],
            meta(NEW_META, 2, seconds="很久") + ["女", 15]]
    rows[2][1] = "昨天下午"
    export = read_export(write_xlsx(tmp_path / "scored.xlsx", rows))
    assert export.rows_read == 2
    assert export.answers["total_score"].tolist() == [12.0, 15.0]
    assert export.answers["duration_seconds"].isna().tolist() == [False, True]
    assert export.answers["submitted_at"].isna().tolist() == [False, True]
    assert export.problem_rows() == (2,)
    assert {p.column for p in export.problems} == {"所用时间", "提交答卷时间"}


def test_repeated_numbered_matrix_and_multi_blank_headers(tmp_path):
    rows = [NEW_META + ["5、您的住址—省份", "5、城市", "3、(1)您的入学年份___", "3、(2)您的专业___", "请选择省份城市与地区:"],
            meta(NEW_META, 1) + ["江苏", "南京", "2020", "数学", "山西-晋城"]]
    export = read_export(write_xlsx(tmp_path / "blanks.xlsx", rows))
    keys = [q.key for q in export.questions]
    assert keys == ["5_1", "5_2", "3_1", "3_2", "请选择省份城市与地区:"]
    assert export.question("5_2").row_label == "城市"
    assert export.question("3_1").title == "您的入学年份___" and export.question("3_1").kind == "text"
    assert export.answers["3_1"].tolist() == ["2020"]


def test_modern_text_csv_without_meta_times(tmp_path):
    """The 2026 layout of docs/formats.md §2.6: 所用时间/来源/IP deleted, fill-in options, multi-blank items."""
    rows = [["序号", "提交答卷时间", "1、你的培养层次是？", "2、宿舍情况", "3、(1)你的入学年份___", "3、(2)年入学，专业为___"],
            ["1", "2026-3-1 10:00:00", "本科〖大一〗", "上床下桌〖独卫〗┋上下铺┋四人间", "2024", "数学"],
            ["2", "2026-3-1 11:00:00", "(跳过)", "(空)", "(空)", "(空)"]]
    path = write_csv(tmp_path / "v2.csv", rows)
    export = read_export(path)
    assert (export.platform, export.coding, export.rows_read) == ("wjx", "labels", 2)
    assert export.answers["1"].tolist() == ["本科", NOT_ASKED]
    assert export.answers["1.other"].tolist() == ["大一", None]
    assert export.answers["2"].tolist() == [("上床下桌", "上下铺", "四人间"), None]
    assert export.answers["2.other"].tolist() == ["独卫", None]
    assert export.answers["3_1"].tolist() == ["2024", None]
    assert "duration_seconds" not in export.answers and "ip" not in export.answers


def test_coding_can_be_forced(tmp_path):
    rows = [NEW_META + ["1、您的年龄段"], meta(NEW_META, 1) + ["1"], meta(NEW_META, 2) + ["3"]]
    path = write_xlsx(tmp_path / "ambiguous.xlsx", rows)
    assert read_export(path).coding == "codes"
    forced = read_export(path, coding="labels")
    assert forced.coding == "labels" and forced.answers["1"].tolist() == ["1", "3"]
    with pytest.raises(IngestError, match="coding must be"):
        read_export(path, coding="scores")


def test_em_dashes_inside_a_stem_do_not_make_a_matrix(tmp_path):
    rows = [NEW_META + ["1、您对“放管服”改革——简政放权的评价", "2、您的看法—如实填写", "3、评价—治安", "交通"],
            meta(NEW_META, 1) + ["满意", "很好", "满意", "不满意"]]
    export = read_export(write_xlsx(tmp_path / "dashes.xlsx", rows))
    assert [q.key for q in export.questions] == ["1", "2", "3_1", "3_2"]
    assert export.question("1").title == "您对“放管服”改革——简政放权的评价"
    assert export.question("2").title == "您的看法—如实填写"
