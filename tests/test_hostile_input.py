"""Issue 12's findings, each reproduced on a demo export and checked through ``surveys ingest``: exit 0 with
every row accounted for, or exit 2 with ``error:`` naming the file; never a traceback, a hang or a native abort.
"""
from __future__ import annotations

import json
import pathlib
import re
import sqlite3
import zipfile

import openpyxl
import pandas as pd
import pytest
from hostile_input import (
    TENCENT,
    column,
    csv_bytes,
    csv_rows,
    questionnaire_of,
    surveys_process,
    with_cell,
    wjx_text,
    xlsx_headers,
    xlsx_rows,
    xlsx_with_cell,
    xlsx_with_far_cell,
)

from surveys.cli import main

COMMENT_ITEM = "15、"  # the free-text question of the grassroots-governance 问卷星 export


@pytest.fixture(scope="module")
def city(demo_city):
    return demo_city.out_dir


def ingest(capsys, store, *files, questionnaire=None):
    """``surveys ingest FILES --json``: (exit status, the per-file JSON objects or the stderr text)."""
    questionnaire = questionnaire or questionnaire_of(files[0])
    status = main(["ingest", *map(str, files), "--questionnaire", str(questionnaire), "--store", str(store),
                   "--json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if status == 0:
        return status, json.loads(captured.out)["files"]
    assert status == 2 and captured.err.startswith("error: "), captured.err
    return status, captured.err


def stored_texts(store, item_id):
    with sqlite3.connect(store) as connection:
        return [text for (text,) in connection.execute("SELECT text FROM answers WHERE item_id = ? AND text IS NOT "
                                                        "NULL", (item_id,))]


# ------------------------------------------------------------------------------------------ encodings, NUL, folders

def test_a_nul_in_a_cell_is_kept_as_a_replacement_character_in_csv_as_in_xlsx(city, tmp_path, capsys):
    rows = csv_rows(city / TENCENT)
    nul_csv = tmp_path / "social_stability_nul.csv"
    nul_csv.write_bytes(csv_bytes(with_cell(rows, 1, column(rows, "11."), "好\x00评")))
    status, (result,) = ingest(capsys, tmp_path / "csv.sqlite", nul_csv)
    assert status == 0 and result["rows_read"] == len(rows) - 1 == result["accepted"] + result["rejected"]
    assert "好\ufffd评" in stored_texts(tmp_path / "csv.sqlite", "suggestions")
    source = wjx_text(city)
    comment = next(index for index, header in enumerate(xlsx_headers(source), 1) if header.startswith(COMMENT_ITEM))
    nul_xlsx = xlsx_with_cell(source, tmp_path / f"nul_{source.name}", 2, comment, "好_x0000_评")  # NUL, escaped
    status, (result,) = ingest(capsys, tmp_path / "xlsx.sqlite", nul_xlsx, questionnaire=questionnaire_of(source))
    assert status == 0 and result["rows_read"] == result["accepted"] + result["rejected"]
    assert any("好\ufffd评" == text for text in stored_texts(tmp_path / "xlsx.sqlite", "suggestions"))


def test_a_binary_file_named_csv_is_still_refused(tmp_path, capsys):
    binary = tmp_path / "social_stability_binary.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    status, error = ingest(capsys, tmp_path / "s.sqlite", binary)
    assert status == 2 and "social_stability_binary.csv" in error


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_detected(city, tmp_path, capsys, codec):
    text = (city / TENCENT).read_text(encoding="utf-8-sig")
    path = tmp_path / f"social_stability_{codec}.csv"
    path.write_bytes(text.encode(codec))
    status, (result,) = ingest(capsys, tmp_path / "s.sqlite", path)
    assert status == 0 and result["encoding"] == codec
    assert result["rows_read"] == len(csv_rows(city / TENCENT)) - 1


def test_a_folder_given_as_file_says_it_is_a_folder(city, tmp_path, capsys):
    status, error = ingest(capsys, tmp_path / "s.sqlite", city / "online", questionnaire=questionnaire_of(city / TENCENT))
    assert status == 2 and "is a folder" in error and "no such file" not in error


# ------------------------------------------------------------------------------------------ numbers

def _issues(store):
    with sqlite3.connect(store) as connection:
        return connection.execute("SELECT code, row, column_name, message FROM issues").fetchall()


@pytest.mark.parametrize("digits", [309, 5000])
def test_a_choice_cell_of_hundreds_of_digits_is_one_out_of_scale_cell(city, tmp_path, capsys, digits):
    rows = csv_rows(city / TENCENT)
    path = tmp_path / "social_stability_digits.csv"
    path.write_bytes(csv_bytes(with_cell(rows, 1, column(rows, "2."), "9" * digits)))
    status, (result,) = ingest(capsys, tmp_path / "s.sqlite", path)
    assert status == 0 and result["rows_read"] == len(rows) - 1 == result["accepted"] + result["rejected"]
    found = [issue for issue in _issues(tmp_path / "s.sqlite") if issue[:3] == ("out_of_scale", 1, "public_order")]
    assert len(found) == 1 and f"({digits:,} characters)" in found[0][3]
    for source in (wjx_text(city), city / "paper" / "grassroots_governance_entry_A.xlsx"):  # as text, in workbooks
        changed = xlsx_with_cell(source, tmp_path / f"digits_{source.name}", 2, 12 if "wjx" in str(source) else 6,
                                 "9" * digits)
        status, (result,) = ingest(capsys, tmp_path / f"{source.stem}.sqlite", changed,
                                   questionnaire=questionnaire_of(source))
        assert status == 0 and result["reasons"]["out_of_scale"] >= 1


def test_a_24_digit_duration_is_one_unparseable_cell_not_a_rejected_file(city, tmp_path, capsys):
    rows = csv_rows(city / TENCENT)
    path = tmp_path / "social_stability_duration.csv"
    path.write_bytes(csv_bytes(with_cell(rows, 1, column(rows, "答题时长"), "9" * 24)))
    status, (result,) = ingest(capsys, tmp_path / "s.sqlite", path)
    assert status == 0 and result["rows_read"] == len(rows) - 1
    found = [issue for issue in _issues(tmp_path / "s.sqlite") if issue[0] == "unparseable"]
    assert [issue[1:3] for issue in found] == [(1, "答题时长")]
    assert "expected a duration of at most" in found[0][3] and "Python" not in found[0][3]


# ------------------------------------------------------------------------------------------ bounds and blank rows

@pytest.mark.parametrize("reference, span, farthest", [
    ("XFD1048576", "A1:XFD1048576", "cell is XFD1048576"), ("A1048576", "A1:U1048576", "cells are A1048576 and U88"),
    ("XFD1", "A1:XFD88", "cells are U88 and XFD1")])
def test_a_stray_cell_far_from_the_data_is_refused_naming_the_sheet_and_the_limit(city, tmp_path, reference, span,
                                                                                    farthest):
    source = wjx_text(city)
    far = xlsx_with_far_cell(source, tmp_path / f"far_{reference}.xlsx", reference)
    assert far.stat().st_size < 2 * source.stat().st_size  # an 11 KB file, as in the finding
    status, error = surveys_process("ingest", far, "--questionnaire", questionnaire_of(source), "--store",
                             tmp_path / "s.sqlite", "--json")
    assert status == 2 and error.startswith(f"error: {far.name}: ") and "Traceback" not in error
    assert f"sheet 'Sheet1' spans {span}" in error and "1,000,000 cells" in error
    assert f"the farthest {farthest}" in error


def test_a_declared_dimension_alone_does_not_refuse_a_sheet(city, tmp_path, capsys):
    source = wjx_text(city)
    claimed = xlsx_with_far_cell(source, tmp_path / "claims.xlsx", "U88", value="", dimension="A1:XFD1048576")
    status, (result,) = ingest(capsys, tmp_path / "s.sqlite", claimed, questionnaire=questionnaire_of(source))
    assert status == 0 and result["rows_read"] == len(xlsx_rows(source)) - 1


def test_blank_rows_are_counted_apart_not_rejected_as_respondents(city, tmp_path, capsys):
    rows = csv_rows(city / TENCENT)
    status, (original,) = ingest(capsys, tmp_path / "original.sqlite", city / TENCENT)
    blank = [""] * len(rows[0])
    path = tmp_path / "social_stability_blank.csv"
    path.write_bytes(csv_bytes(rows[:3] + [blank, [" "] * len(rows[0]), blank] + rows[3:]))
    status, (result,) = ingest(capsys, tmp_path / "s.sqlite", path)
    assert status == 0 and result["blank_rows"] == 3 and original["blank_rows"] == 0
    for key in ("rows_read", "accepted", "rejected", "flagged", "reasons"):
        assert result[key] == original[key], key
    assert result["rows_read"] + result["blank_rows"] == len(rows) - 1 + 3
    with sqlite3.connect(tmp_path / "s.sqlite") as connection:  # rows keep their position in the file
        numbers = [row for (row,) in connection.execute("SELECT row FROM responses ORDER BY row")]
        assert numbers == [1, 2] + list(range(6, len(rows) + 3)) and connection.execute(
            "SELECT blank_rows FROM batches").fetchone() == (3,)
    source = wjx_text(city)  # and in a workbook
    workbook = openpyxl.load_workbook(source)
    workbook.active.insert_rows(5, amount=2)
    workbook.save(tmp_path / source.name)
    status, (result,) = ingest(capsys, tmp_path / "x.sqlite", tmp_path / source.name, questionnaire=questionnaire_of(source))
    assert status == 0 and result["blank_rows"] == 2 and result["rows_read"] == len(xlsx_rows(source)) - 1
    assert "rejected" in result and "incomplete" not in result["reasons"]


def test_the_run_accounting_reports_blank_rows_beside_rows_read(city, tmp_path):
    from hostile_input import copy_city

    folder = copy_city(city, tmp_path / "city")
    rows = csv_rows(folder / TENCENT)
    (folder / TENCENT).write_bytes(csv_bytes(rows[:2] + [[""] * len(rows[0])] * 2 + rows[2:]))
    status, error = surveys_process("run", folder / "study.yaml", "--out", tmp_path / "out", "--no-charts", "--no-report")
    assert status == 0, error
    accounting = pd.read_csv(tmp_path / "out" / "accounting.csv")
    tencent = accounting[accounting["file"] == pathlib.Path(TENCENT).name].iloc[0]
    assert (tencent["blank_rows"], tencent["rows_read"]) == (2, len(rows) - 1)
    assert tencent["rows_read"] == tencent["accepted"] + tencent["rejected"]


def _sheet_xml_edited(source, target, edit):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in original.infolist():
            data = original.read(item.filename)
            changed.writestr(item, edit(data.decode("utf-8")).encode("utf-8") if
                             item.filename == "xl/worksheets/sheet1.xml" else data)
    return target


def test_cells_without_references_are_placed_in_order_and_bounded_too(city, tmp_path, capsys):
    source = wjx_text(city)
    bare = _sheet_xml_edited(source, tmp_path / "bare.xlsx", lambda text: re.sub(r'<c r="[A-Z]+\d+"', "<c", text))
    status, (result,) = ingest(capsys, tmp_path / "bare.sqlite", bare, questionnaire=questionnaire_of(source))
    status, (original,) = ingest(capsys, tmp_path / "original.sqlite", source, questionnaire=questionnaire_of(source))
    assert status == 0 and {key: result[key] for key in ("rows_read", "accepted", "reasons")} == \
        {key: original[key] for key in ("rows_read", "accepted", "reasons")}
    far_row = _sheet_xml_edited(source, tmp_path / "far_row.xlsx", lambda text: re.sub(
        r'<c r="[A-Z]+\d+"', "<c", text).replace("</sheetData>", '<row r="1048576"><c t="inlineStr"><is><t>x</t>'
                                                                  "</is></c></row></sheetData>"))
    status, error = surveys_process("ingest", far_row, "--questionnaire", questionnaire_of(source), "--store",
                             tmp_path / "s.sqlite")
    assert status == 2 and "the farthest cells are A1048576 and U88" in error


# ------------------------------------------------------------------------------------------ repeated headers

def test_a_repeated_question_with_conflicting_answers_is_refused_naming_it(city, tmp_path, capsys):
    rows = csv_rows(city / TENCENT)
    index = column(rows, "2.")
    copied = [row + [row[index]] for row in rows]
    same = tmp_path / "social_stability_same.csv"
    same.write_bytes(csv_bytes(copied))
    status, (result,) = ingest(capsys, tmp_path / "same.sqlite", same)  # an identical copy decides nothing
    assert status == 0 and result["rows_read"] == len(rows) - 1
    conflicting = tmp_path / "social_stability_conflict.csv"
    answer = copied[1][index]
    conflicting.write_bytes(csv_bytes(with_cell(copied, 1, len(copied[0]) - 1, "很不满意" if answer != "很不满意" else "满意")))
    status, error = ingest(capsys, tmp_path / "conflict.sqlite", conflicting)
    assert status == 2 and "social_stability_conflict.csv" in error and "item 'public_order'" in error
    assert "appears 2 times" in error and "different answers in 1 row(s) (first: row 1:" in error
    with sqlite3.connect(tmp_path / "conflict.sqlite") as connection:  # nothing stored
        assert connection.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)


# ------------------------------------------------------------------------------------------ public inputs

@pytest.mark.parametrize("weights, found", [
    (lambda n: [str(1.5 + i % 3) for i in range(n)], "string values"),
    (lambda n: [i % 2 == 0 for i in range(n)], "truth values"),
    (lambda n: pd.array([i % 2 == 0 for i in range(n)], dtype="boolean"), "truth values"),
])
def test_numeric_text_and_truth_values_are_not_weights(city, tmp_path, weights, found):
    from surveys import SurveyDesign
    from surveys.design.replicate import ReplicateDesign
    from surveys.errors import DesignError
    from surveys.questionnaire import load_questionnaire
    from surveys.store.database import Store

    store = Store(tmp_path / "s.sqlite")
    questionnaire = load_questionnaire(questionnaire_of(city / TENCENT))
    store.ingest(city / TENCENT, questionnaire)
    respondents = store.responses(questionnaire.id)
    respondents = respondents.assign(weight=weights(len(respondents)))
    with pytest.raises(DesignError, match=f"weights column 'weight' must be numbers; found {found}"):
        SurveyDesign(respondents, weights="weight")
    with pytest.raises(DesignError, match=f"must be numbers; found {found}"):
        ReplicateDesign(respondents.assign(r1=1.0, r2=1.0), weights=list(respondents["weight"]),
                        replicate_weights=["r1", "r2"], type="JK1")
    assert SurveyDesign(respondents.assign(weight=1.0), weights="weight").weights.sum() == len(respondents)


# ------------------------------------------------------------------------------------------ Ctrl-C

@pytest.mark.parametrize("stage", ["reading", "writing"])
def test_ctrl_c_mid_ingest_leaves_the_store_unchanged_and_exits_130(city, tmp_path, capsys, monkeypatch, stage):
    import surveys.store.database

    files = [city / TENCENT, city / TENCENT.replace(".csv", "_gb18030.csv")]
    store = tmp_path / "s.sqlite"
    assert ingest(capsys, store, wjx_text(city))[0] == 0  # an earlier batch of another survey stays as it is
    calls = []

    def interrupt(original):
        def wrapped(*arguments, **options):
            calls.append(1)
            if len(calls) == 2:  # the second file: the first is read (or written) already
                raise KeyboardInterrupt
            return original(*arguments, **options)
        return wrapped

    target = "read_for_questionnaire" if stage == "reading" else "validate_export"
    monkeypatch.setattr(surveys.store.database, target, interrupt(getattr(surveys.store.database, target)))
    status = main(["ingest", *map(str, files), "--questionnaire", str(questionnaire_of(files[0])), "--store",
                   str(store), "--json"])
    captured = capsys.readouterr()
    assert status == 130 and captured.err == "interrupted; the store is unchanged\n" and captured.out == ""
    with sqlite3.connect(store) as connection:
        assert connection.execute("SELECT COUNT(*), SUM(rows_read) FROM batches").fetchone() == \
            (1, len(xlsx_rows(wjx_text(city))) - 1)
        assert connection.execute("SELECT COUNT(*) FROM responses WHERE batch_id > 1").fetchone() == (0,)
