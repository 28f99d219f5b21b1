"""Reading exports in chunks of rows (surveys/ingest/chunks.py): a file ingested in chunks is stored exactly as the
same file read whole — every row with its number, status, flags, answers, tokens and issues, duplicates found
across chunks — and a file whose later rows would change what the first chunk decided is read whole instead."""
from __future__ import annotations

import sqlite3

import pytest
from hostile_input import csv_bytes, questionnaire_of, wjx_text, xlsx_rows

import surveys.ingest.chunks
from surveys.errors import IngestError
from surveys.ingest.table import cell_text
from surveys.questionnaire import load_questionnaire
from surveys.store.database import Store, ingest_files
from surveys.validate import ValidationRules

RULES = ValidationRules(area=("陕西-秦川",))
_TABLES = {
    "batches": "SELECT file_name, sha256, platform, reader, encoding, coding, rows_read, accepted, rejected, flagged, "
               "reasons, blank_rows FROM batches ORDER BY batch_id",
    "responses": "SELECT batch_id, row, status, flagged, record_id, submitted_at, started_at, duration_seconds, "
                 "ip_location, meta FROM responses ORDER BY response_id",
    "answers": "SELECT response_id, item_id, state, code, codes, number, text FROM answers "
               "ORDER BY response_id, item_id",
    "identifiers": "SELECT response_id, kind, token FROM identifiers ORDER BY response_id, kind",
    "issues": "SELECT response_id, row, code, action, column_name, value, message FROM issues "
              "ORDER BY row, code, column_name, message",
}


def _snapshot(store_path) -> dict[str, list]:
    with sqlite3.connect(store_path) as connection:
        return {table: connection.execute(sql).fetchall() for table, sql in _TABLES.items()}


def _answer_chunks(store_path) -> int:
    with sqlite3.connect(store_path) as connection:
        return connection.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM answer_columns GROUP BY item_id)"
                                   ).fetchone()[0]


def _ingest(monkeypatch, store_path, paths, questionnaire, chunk_rows):
    monkeypatch.setattr(surveys.ingest.chunks, "CHUNK_ROWS", chunk_rows)
    return ingest_files(Store(store_path), paths, questionnaire, rules=RULES, wave="2026")


def _codes(city):
    """The 问卷星 按选项序号 export of the grassroots-governance survey (its kinds are stated by its numbers)."""
    return next(city.glob("online/wjx/*_2_grassroots_governance_*.xlsx"))


def _with_repeats(city, tmp_path):
    """That export as CSV with blank rows inside and after the data, and its first respondents submitting again at
    the end (duplicates found across chunks)."""
    rows = [[cell_text(value) for value in row] for row in xlsx_rows(_codes(city))]
    blank = [""] * len(rows[0])
    changed = [*rows[:20], blank, *rows[20:], *[list(row) for row in rows[1:4]], blank, blank]
    path = tmp_path / "grassroots_governance_repeats.csv"
    path.write_bytes(csv_bytes(changed))
    return path


@pytest.mark.parametrize("export", ["wjx_codes", "wjx_codes_repeats"])
def test_a_file_read_in_chunks_is_stored_as_read_whole(demo_city, tmp_path, monkeypatch, export):
    city = demo_city.out_dir
    path = _codes(city) if export == "wjx_codes" else _with_repeats(city, tmp_path)
    questionnaire = load_questionnaire(questionnaire_of(path))
    whole = _ingest(monkeypatch, tmp_path / "whole.sqlite", [path], questionnaire, 10 ** 9)
    chunked = _ingest(monkeypatch, tmp_path / "chunked.sqlite", [path], questionnaire, 7)
    assert _answer_chunks(tmp_path / "whole.sqlite") == 1 and _answer_chunks(tmp_path / "chunked.sqlite") > 5
    assert _snapshot(tmp_path / "whole.sqlite") == _snapshot(tmp_path / "chunked.sqlite")
    assert [result.to_json() for result in whole] == [result.to_json() for result in chunked]
    assert chunked[0].rows_read == chunked[0].accepted + chunked[0].rejected > 7 * 5
    if export == "wjx_codes_repeats":
        assert chunked[0].blank_rows == 1 and chunked[0].reasons["duplicate_submission"] >= 3
        assert whole[0].report.issues_of("duplicate_submission")["row"].max() == chunked[0].rows_read + 1


def test_files_in_chunks_are_validated_against_each_other_in_one_transaction(demo_city, tmp_path, monkeypatch):
    city = demo_city.out_dir
    first, again = _codes(city), _with_repeats(city, tmp_path)
    questionnaire = load_questionnaire(questionnaire_of(first))
    whole = _ingest(monkeypatch, tmp_path / "whole.sqlite", [first, again], questionnaire, 10 ** 9)
    chunked = _ingest(monkeypatch, tmp_path / "chunked.sqlite", [first, again], questionnaire, 11)
    assert _snapshot(tmp_path / "whole.sqlite") == _snapshot(tmp_path / "chunked.sqlite")
    assert chunked[1].reasons["duplicate_submission"] == whole[1].reasons["duplicate_submission"] > 50


def test_a_later_chunk_that_reads_otherwise_sends_the_file_to_the_whole_reader(demo_city, tmp_path, monkeypatch):
    """A 问卷星 按选项文本 column without a type in its header is a single choice until a '┋' shows a multiple choice:
    the first chunks cannot know, so the file is read whole (and the cell is an out-of-scale answer there)."""
    rows = [[cell_text(value) for value in row] for row in xlsx_rows(wjx_text(demo_city.out_dir))]
    late = len(rows) - 3
    rows[late][6] = f"{rows[1][6]}┋{rows[2][6]}"
    path = tmp_path / "grassroots_governance_labels.csv"
    path.write_bytes(csv_bytes(rows))
    questionnaire = load_questionnaire(questionnaire_of(wjx_text(demo_city.out_dir)))
    whole = _ingest(monkeypatch, tmp_path / "whole.sqlite", [path], questionnaire, 10 ** 9)
    chunked = _ingest(monkeypatch, tmp_path / "chunked.sqlite", [path], questionnaire, 10)
    assert _answer_chunks(tmp_path / "chunked.sqlite") == 1   # read whole after all
    assert _snapshot(tmp_path / "whole.sqlite") == _snapshot(tmp_path / "chunked.sqlite")
    assert whole[0].report.issues_of("out_of_scale")["row"].tolist() == [late]
    assert [result.to_json() for result in whole] == [result.to_json() for result in chunked]


def test_a_file_read_in_a_second_process_is_stored_as_read_here(demo_city, tmp_path, monkeypatch):
    """Large files are read by a forked process while this one maps and writes (surveys/ingest/background.py):
    the same store, and an error of the reading process is raised here with its message."""
    import surveys.store.database

    path = _with_repeats(demo_city.out_dir, tmp_path)
    questionnaire = load_questionnaire(questionnaire_of(path))
    here = _ingest(monkeypatch, tmp_path / "here.sqlite", [path], questionnaire, 9)
    monkeypatch.setattr(surveys.store.database, "BACKGROUND_BYTES", 0)
    beside = _ingest(monkeypatch, tmp_path / "beside.sqlite", [path], questionnaire, 9)
    assert _snapshot(tmp_path / "here.sqlite") == _snapshot(tmp_path / "beside.sqlite")
    assert [result.to_json() for result in here] == [result.to_json() for result in beside]
    broken = tmp_path / "grassroots_governance_broken.csv"
    broken.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n" + b"x," * 20000, 1))
    with pytest.raises(IngestError, match="line 2 has 20,0"):
        _ingest(monkeypatch, tmp_path / "broken.sqlite", [broken], questionnaire, 9)
    assert Store(tmp_path / "broken.sqlite").batches().empty


def test_the_progress_of_a_file_in_chunks_gives_its_total_only_with_the_last_chunk(demo_city, tmp_path, monkeypatch):
    """While more chunks may follow, the total is None (a bar of the rows read so far would look complete); the
    calls of the last chunk give the file's rows; a file read whole gives its total from the start."""
    path = _codes(demo_city.out_dir)
    questionnaire = load_questionnaire(questionnaire_of(path))
    for chunk_rows, store in ((7, "chunked.sqlite"), (10 ** 9, "whole.sqlite")):
        monkeypatch.setattr(surveys.ingest.chunks, "CHUNK_ROWS", chunk_rows)
        calls: list[tuple[int, int | None]] = []
        result = Store(tmp_path / store).ingest(path, questionnaire, rules=RULES, wave="2026",
                                                progress=lambda done, total, calls=calls: calls.append((done, total)))
        dones = [done for done, _ in calls]
        assert dones == sorted(dones) and dones[-1] == result.rows_read
        known = [total for _, total in calls if total is not None]
        assert known and set(known) == {result.rows_read} and calls[-1] == (result.rows_read, result.rows_read)
        unknown = [done for done, total in calls if total is None]
        if chunk_rows == 7:   # every call before the last chunk's
            assert unknown and max(unknown) < min(done for done, total in calls if total is not None)
        else:
            assert not unknown
