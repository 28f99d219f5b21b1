"""Issue 12's findings, each reproduced on a demo export and checked through ``surveys ingest``: exit 0 with
every row accounted for, or exit 2 with ``error:`` naming the file; never a traceback, a hang or a native abort.
"""
from __future__ import annotations

import json
import sqlite3

import pytest

from hostile_input import TENCENT, column, csv_bytes, csv_rows, make_city, questionnaire_of, with_cell, \
    wjx_text, xlsx_headers, xlsx_with_cell
from surveys.cli import main

COMMENT_ITEM = "15、"  # the free-text question of the grassroots-governance 问卷星 export


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("hostile") / "city")


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
