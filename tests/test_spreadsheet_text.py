"""One spreadsheet-safe text rule for every CSV and xlsx the toolkit writes (formula injection, XML controls).

Regression of issue 12: ``results/issues.csv`` wrote a respondent's invalid answer ``=1+1`` raw into its ``value``
column, and ``surveys export`` crashed on a comment holding ``\\x0b``. Built from the demo's 腾讯问卷 export.
"""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from hostile_input import (
    TENCENT,
    column,
    copy_city,
    csv_bytes,
    csv_rows,
    make_city,
    with_cell,
)

from surveys.cli import main
from surveys.spreadsheet_text import (
    FORMULA_STARTS,
    clean_text,
    csv_cell,
    csv_frame,
    is_formula_like,
    write_text_cell,
)

ANSWER = "=1+1"
COMMENT = '=HYPERLINK("http://example.invalid","点我")\x0b\x00 谢谢'


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised_in_csv_and_xlsx(start):
    text = f"{start}SUM(A1:A9)"
    assert is_formula_like(text)
    assert csv_cell(text) == "'" + text
    cell = openpyxl.Workbook().active.cell(row=1, column=1)
    assert write_text_cell(cell, text) == text
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_plain_text_numbers_and_missing_values_are_left_alone():
    assert csv_cell("满意") == "满意" and csv_cell(3) == 3 and csv_cell(-2.5) == -2.5 and csv_cell(None) is None
    assert csv_cell("a=b") == "a=b" and not is_formula_like("1-2")
    frame = csv_frame(pd.DataFrame({"value": ["=1", "ok", None], "count": [-1, 2, 3]}))
    assert frame["value"].tolist()[:2] == ["'=1", "ok"] and pd.isna(frame["value"].iloc[2])
    assert frame["count"].tolist() == [-1, 2, 3]


def test_control_characters_xml_cannot_hold_are_replaced_everywhere():
    assert clean_text("a\x00b\x0bc\x1fd\ud800e\uffff") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffd"
    assert clean_text("line\nnext\tcol\r") == "line\nnext\tcol\r"
    assert csv_cell("\x0b=1") == "\ufffd=1"  # cleaned first: the control character is no formula start


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("spreadsheet") / "city")


@pytest.fixture(scope="module")
def run(city, tmp_path_factory):
    """The demo study run on a city whose 腾讯问卷 export holds a formula answer and a formula comment."""
    folder = copy_city(city, tmp_path_factory.mktemp("hostile") / "city")
    rows = csv_rows(folder / TENCENT)
    rows = with_cell(rows, 1, column(rows, "2."), ANSWER)
    rows = with_cell(rows, 2, column(rows, "11."), COMMENT)
    (folder / TENCENT).write_bytes(csv_bytes(rows))
    out = folder / "results"
    assert main(["run", str(folder / "study.yaml"), "--out", str(out), "--no-charts"]) == 0
    return folder, out


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_no_results_csv_holds_a_live_formula(run):
    _, out = run
    issues = pd.read_csv(out / "issues.csv", dtype=str, keep_default_na=False)
    values = issues.loc[issues["code"] == "out_of_scale", "value"].tolist()
    assert "'" + ANSWER in values and ANSWER not in values
    for name in ("issues.csv", "accounting.csv", "measures.csv", "scoreboard.csv", "keying.csv"):
        for row in _csv(out / name):
            assert all(_is_number(cell) for cell in row if cell.startswith(FORMULA_STARTS)), (name, row)


def test_the_report_workbook_and_the_export_write_text_never_formulas(run, tmp_path, capsys):
    folder, out = run
    workbook = openpyxl.load_workbook(out / "report.xlsx")
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    assert {cell.data_type for cell in cells} <= {"s", "n", "d"}
    assert all(cell.quotePrefix for cell in cells if isinstance(cell.value, str) and is_formula_like(cell.value))
    exported = tmp_path / "export.xlsx"
    assert main(["export", "--store", str(out / "store.sqlite"), "--questionnaire", "social_stability", "-o",
                 str(exported)]) == 0
    sheet = openpyxl.load_workbook(exported)["responses"]
    texts = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    comment = [cell for cell in texts if cell.value.startswith("=HYPERLINK")]
    assert len(comment) == 1 and comment[0].data_type == "s" and comment[0].quotePrefix
    assert comment[0].value == clean_text(COMMENT)
