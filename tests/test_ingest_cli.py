"""``surveys ingest`` / ``surveys export``: the JSON contract, the table, exit codes and messages."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from test_responses import (
    WJX_CODE_ROWS,
    WJX_TEXT_ROWS,
    mini_questionnaire,
    wjx_code_file,
    wjx_text_file,
)

from surveys.cli import main
from surveys.progress import row_progress
from surveys.store.database import Store

FILE_KEYS = {"path", "sha256", "role", "platform", "mapping", "encoding", "rows_read", "accepted", "rejected",
             "flagged", "reasons", "blank_rows", "already_ingested"}


@pytest.fixture
def files(tmp_path):
    mini_questionnaire(tmp_path)
    return (wjx_text_file(tmp_path / "text.csv", WJX_TEXT_ROWS), wjx_code_file(tmp_path / "codes.csv", WJX_CODE_ROWS),
            tmp_path / "mini.yaml", tmp_path / "s.sqlite")


def test_json_output_follows_the_contract(files, capsys):
    text, codes, questionnaire, store = files
    status = main(["ingest", str(text), str(codes), "--questionnaire", str(questionnaire), "--store", str(store),
                   "--wave", "2026", "--area", "陕西-秦川", "--json"])
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"files", "store"} and document["store"] == str(store)
    first, second = document["files"]
    # the two downloads of one survey are one set of respondents: the code file is stored with the text's labels
    assert set(first) == FILE_KEYS | {"labels_for"} and set(second) == FILE_KEYS | {"labels"}
    assert (first["path"], first["role"], first["labels_for"]) == (str(text), "labels_for", str(codes))
    assert (first["platform"], first["mapping"], first["encoding"]) == ("wjx", "wjx", "utf-8-sig")
    assert (first["accepted"], first["rejected"], first["rows_read"]) == (0, 0, 3)
    assert (second["path"], second["role"], second["labels"]) == (str(codes), "ingested", str(text))
    assert second["rows_read"] == 3 == second["accepted"] + second["rejected"]
    assert second["reasons"]["outside_area"] == 1 and "duplicate_submission" not in second["reasons"]
    assert not first["already_ingested"] and not second["already_ingested"]
    assert len(first["sha256"]) == 64 and first["sha256"] != second["sha256"]
    assert len(Store(store).responses("mini")) + second["rejected"] == 3
    main(["ingest", str(codes), "--labels", str(text), "--questionnaire", str(questionnaire), "--store", str(store),
          "--wave", "2026", "--json"])
    again = json.loads(capsys.readouterr().out)["files"]
    assert [entry["role"] for entry in again] == ["ingested", "labels_for"]
    assert all(entry["already_ingested"] for entry in again)


def test_downloads_of_other_respondents_stay_two_batches(files, tmp_path, capsys):
    text, _, questionnaire, store = files
    later = [(number + 10, moment.replace("10/3", "10/4"), *rest) for number, moment, *rest in WJX_CODE_ROWS]
    codes = wjx_code_file(tmp_path / "later_codes.csv", later)
    assert main(["ingest", str(text), str(codes), "--questionnaire", str(questionnaire), "--store", str(store),
                 "--json"]) == 0
    first, second = json.loads(capsys.readouterr().out)["files"]
    assert first["role"] == second["role"] == "ingested" and first["rows_read"] + second["rows_read"] == 6
    assert len(Store(store).batches()) == 2
    assert main(["ingest", str(codes), "--labels", str(text), "--questionnaire", str(questionnaire), "--store",
                 str(store)]) == 2
    assert "(--labels): not the 按选项文本 download" in capsys.readouterr().err


def test_the_table_shows_the_row_accounting(files, capsys):
    text, _, questionnaire, store = files
    assert main(["ingest", str(text), "--questionnaire", str(questionnaire), "--store", str(store)]) == 0
    output = capsys.readouterr().out
    assert "text.csv" in output and "accepted" in output and "rows read = accepted + rejected" in output
    assert main(["ingest", str(text), "--questionnaire", str(questionnaire), "--store", str(store)]) == 0
    assert "already in the store" in capsys.readouterr().out


def test_an_unreadable_file_exits_2_and_stores_nothing(files, tmp_path, capsys):
    text, _, questionnaire, store = files
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    status = main(["ingest", str(text), str(broken), "--questionnaire", str(questionnaire), "--store", str(store),
                   "--json"])
    assert status == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "broken.xlsx" in captured.err and captured.out == ""
    assert Store(store).batches().empty
    assert main(["ingest", str(tmp_path / "absent.csv"), "--questionnaire", str(questionnaire), "--store",
                 str(store)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_rules_file_and_its_errors(files, tmp_path, capsys):
    text, _, questionnaire, store = files
    rules = tmp_path / "study.yaml"
    rules.write_text("validation:\n  speeder: {seconds_per_item: 100, action: flag}\n", encoding="utf-8")
    assert main(["ingest", str(text), "--questionnaire", str(questionnaire), "--store", str(store), "--rules",
                 str(rules), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["files"][0]
    assert result["reasons"]["speeder"] == 3 and result["rejected"] == 1      # only the failed attention check
    rules.write_text("validation:\n  speedr: {action: flag}\n", encoding="utf-8")
    assert main(["ingest", str(text), "--questionnaire", str(questionnaire), "--store", str(store), "--rules",
                 str(rules)]) == 2
    assert "did you mean 'speeder'" in capsys.readouterr().err


def test_export_command(files, tmp_path, capsys):
    text, _, questionnaire, store = files
    main(["ingest", str(text), "--questionnaire", str(questionnaire), "--store", str(store)])
    out = tmp_path / "clean.xlsx"
    assert main(["export", "--store", str(store), "--questionnaire", "mini", "-o", str(out), "--lang", "en"]) == 0
    assert "accepted responses" in capsys.readouterr().out
    sheet = openpyxl.load_workbook(out)["responses"]
    header = [cell.value for cell in sheet[1]]
    assert "overall_label" in header and sheet.cell(row=2, column=header.index("overall_label") + 1).value == "Satisfied"
    assert main(["export", "--store", str(tmp_path / "none.sqlite"), "--questionnaire", "mini", "-o", str(out)]) == 2
    assert "no such store" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_of_rows_is_drawn_on_a_terminal_only_and_shows_every_row():
    assert row_progress(io.StringIO()) is None and row_progress(_Terminal(), enabled=False) is None
    terminal = _Terminal()
    bar = row_progress(terminal)
    bar.file("exports/a.csv")
    for done in range(500, 1201, 500):
        bar.rows(min(done, 1200), 1200)
    bar.rows(1200, 1200)
    bar.file("b.csv")
    bar.rows(500, 500)
    bar.rows(900, 900)   # a file read in chunks: the total grows, the line shows the count alone
    bar.file("c.csv")
    bar.rows(25_000, None)   # the first chunk of a streamed file: more to come, no bar that looks full
    bar.rows(40_000, 40_000)
    bar.close()
    lines = terminal.getvalue().split("\n")
    assert len(lines) == 4 and lines[3] == ""
    assert lines[0].split("\r")[-1].startswith("… a.csv  " + "█" * 24) and "1,200 rows" in lines[0]
    assert lines[1].split("\r")[-1] == "… b.csv  900 rows\x1b[K"
    assert "█" not in lines[2] and lines[2].split("\r")[-1] == "… c.csv  40,000 rows\x1b[K"


def test_a_pair_of_downloads_shows_the_rows_of_the_file_stored(files):
    """The 问卷星 pair is stored as its code file: the bar names it and reaches its rows (it showed nothing)."""
    from surveys.questionnaire import load_questionnaire
    from surveys.store.database import ingest_files

    text, codes, questionnaire, store = files
    calls: list = []
    results = ingest_files(Store(store), [text, codes], load_questionnaire(questionnaire), wave="2026",
                           progress=lambda done, total: calls.append((done, total)), file_progress=calls.append)
    assert calls[0] == codes and calls[-1] == (3, 3) and results[1].rows_read == 3
