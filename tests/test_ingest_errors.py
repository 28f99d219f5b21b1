"""Bad inputs: every failure is an IngestError naming the file; every data row survives a read."""
from __future__ import annotations

import io
import pathlib
import random

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.errors import IngestError
from surveys.ingest import NOT_A_RESPONSE_EXPORT, detect_platform, read_export

HEADERS = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、性别", "2、爱好", "3、评价—治安", "交通",
           "4、满意度", "5、电话"]
ROWS = [["1", "2023/9/8 12:24:22", "137秒", "微信", "直接访问", "1.2.3.4(江苏-南京)", "男", "a┋b〖x〗", "满意", "(跳过)", "5分", "013912345678"],
        ["2", "2023/9/8 12:30:00", "5秒", "链接", "", "5.6.7.8", "(空)", "(跳过)", "不满意", "满意", "3分", "13912345678"],
        ["3", "", "", "", "", "", "女", "c", "(空)", "(空)", "(跳过)", "(空)"]]


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([headers, *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in [headers, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_or_ingest_error(path: pathlib.Path, **options):
    """The export, or None when an IngestError naming the file was raised; anything else fails the test."""
    try:
        return read_export(path, **options)
    except IngestError as error:
        assert path.name in str(error) or str(path) in str(error)
        return None


def test_truncated_xlsx_raises_ingest_error(tmp_path):
    data = xlsx_bytes(HEADERS, ROWS)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match=r"cut\.xlsx: cannot open the workbook"):
        read_export(path)


def test_wrong_extension_and_wrong_content(tmp_path):
    png = tmp_path / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(IngestError, match=r"photo\.xlsx: the extension says \.xlsx"):
        read_export(png)
    renamed = tmp_path / "really_a_workbook.csv"
    renamed.write_bytes(xlsx_bytes(HEADERS, ROWS))
    assert read_export(renamed).rows_read == 3  # the signature, not the extension, decides
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"abc\x00def\n" * 10)
    with pytest.raises(IngestError, match=r"binary\.csv"):
        read_export(binary)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        read_export(tmp_path / "nope.csv")
    with pytest.raises(IngestError, match="directory"):
        read_export(tmp_path)


def test_unknown_layout_suggests_generic(tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes(csv_bytes(["a", "b"], [["1", "2"]]))
    with pytest.raises(IngestError, match=r"other\.csv: unknown export layout.*platform='generic'"):
        detect_platform(path)
    assert read_export(path, platform="generic").rows_read == 1


def test_unknown_platform_name(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes(HEADERS, ROWS))
    with pytest.raises(IngestError, match="unknown platform 'surveymonkey'"):
        read_export(path, platform="surveymonkey")


@pytest.mark.parametrize("name, content", [
    ("form.lss", b'<?xml version="1.0" encoding="UTF-8"?>\n<document><LimeSurveyDocType>Survey</LimeSurveyDocType>'),
    ("form.json", b'{"content": {"survey": []}, "submissions": []}'),
])
def test_instrument_definitions_are_not_response_exports(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=NOT_A_RESPONSE_EXPORT):
        read_export(path)


def test_xlsform_is_not_a_response_export(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "survey"
    workbook.active.append(["type", "name", "label"])
    workbook.create_sheet("choices").append(["list_name", "name", "label"])
    workbook.save(tmp_path / "form.xlsx")
    with pytest.raises(IngestError, match=NOT_A_RESPONSE_EXPORT):
        detect_platform(tmp_path / "form.xlsx")


def test_ragged_rows_are_kept_with_a_note(tmp_path):
    text = csv_bytes(HEADERS, ROWS).decode() + "4,2023/9/9 10:00:00,10秒,微信\n5,,,,,,,,,,,,extra,cells\n"
    path = tmp_path / "ragged.csv"
    path.write_text(text, encoding="utf-8")
    export = read_export(path)
    assert export.rows_read == 5
    assert export.answers["respondent_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert export.problem_rows() == (4, 5)


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(csv_bytes(HEADERS, []))
    assert read_export(path).rows_read == 0
    (tmp_path / "nothing.csv").write_bytes(b"")
    with pytest.raises(IngestError, match=r"nothing\.csv: the file is empty"):
        read_export(tmp_path / "nothing.csv")


FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".sav", ".txt"]),
       platform=st.sampled_from([None, "wjx", "tencent", "jinshuju", "qualtrics", "generic"]))
def test_random_bytes_never_raise_anything_but_ingest_error(tmp_path, data, suffix, platform):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    export = read_or_ingest_error(path, platform=platform)
    if export is not None:
        rows = export.answers["row"].tolist()  # file positions: blank rows are counted, not read
        assert rows == sorted(set(rows)) and all(row >= 1 for row in rows)
        assert not rows or rows[-1] == export.rows_read + export.blank_rows


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000), container=st.sampled_from(["csv", "xlsx"]))
def test_truncated_exports_raise_ingest_error_or_keep_every_complete_row(tmp_path, cut, container):
    data = csv_bytes(HEADERS, ROWS) if container == "csv" else xlsx_bytes(HEADERS, ROWS)
    path = tmp_path / f"truncated.{container}"
    path.write_bytes(data[: cut % (len(data) + 1)])
    export = read_or_ingest_error(path)
    if export is not None and container == "csv":
        complete_lines = data[: cut % (len(data) + 1)].count(b"\r\n") - 1
        assert export.rows_read >= max(complete_lines, 0)
    if export is not None and cut % (len(data) + 1) == len(data):
        assert export.rows_read == len(ROWS)


@FUZZ
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), container=st.sampled_from(["csv", "xlsx"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_shuffled_headers_keep_every_row(tmp_path, seed, container, encoding):
    order = list(range(len(HEADERS)))
    random.Random(seed).shuffle(order)
    headers = [HEADERS[i] for i in order]
    rows = [[row[i] for i in order] for row in ROWS]
    path = tmp_path / f"shuffled.{container}"
    path.write_bytes(csv_bytes(headers, rows, encoding) if container == "csv" else xlsx_bytes(headers, rows))
    export = read_or_ingest_error(path)
    assert export is not None  # the meta columns alone identify a 问卷星 export
    assert export.rows_read == len(ROWS)
    assert export.answers["respondent_id"].tolist() == ["1", "2", "3"]
    assert export.answers["duration_seconds"].tolist()[:2] == [137, 5]


@FUZZ
@given(cells=st.lists(st.lists(st.text(max_size=12), min_size=12, max_size=12), min_size=1, max_size=6),
       container=st.sampled_from(["csv", "xlsx"]))
def test_wrongly_typed_cells_are_kept(tmp_path, cells, container):
    cells = [[cell.replace("\x00", "") for cell in row] for row in cells]
    if container == "xlsx":
        # characters Excel cannot store are not a reader concern
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        cells = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in cells]
    rows = [[str(i + 1)] + row[1:] for i, row in enumerate(cells)]
    path = tmp_path / f"typed.{container}"
    path.write_bytes(csv_bytes(HEADERS, rows) if container == "csv" else xlsx_bytes(HEADERS, rows))
    export = read_or_ingest_error(path)
    assert export is not None
    assert export.rows_read == len(rows)
    assert export.answers["respondent_id"].tolist() == [str(i + 1) for i in range(len(rows))]


def test_oversized_cell_is_read(tmp_path):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][6] = "很" * 200_000
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(HEADERS, rows))
    export = read_or_ingest_error(path)
    assert export is not None and export.rows_read == 2
