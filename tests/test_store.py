"""The SQLite store: round trip, idempotence, no raw identifiers on disk, one transaction per batch
(killed mid-batch), two ingests at once, and the formula-safe xlsx export."""
from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import openpyxl
import pandas as pd
import pytest
from test_responses import (
    WJX_TEXT_ROWS,
    mini_questionnaire,
    tencent_file,
    wjx_text_file,
)

from surveys.errors import StoreError
from surveys.ingest import read_export
from surveys.ingest.mapping import map_export
from surveys.store.database import Store, export_workbook

IPS = ("1.2.3.4", "5.6.7.8", "9.9.9.9")
PHONE = "13812345678"


@pytest.fixture
def mini(tmp_path):
    return mini_questionnaire(tmp_path)


def _count(path, sql):
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchone()[0]


def _big_wjx(path, rows):
    answers = [(number, f"2026/10/{1 + number % 28} 10:{number % 60:02d}:00", 100 + number % 50,
                f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}(陕西-秦川)", "是",
                ("满意", "不满意")[number % 2], "满意", "满意", "电视┋报纸", ("满意", "不了解")[number % 3 == 0], "(空)")
               for number in range(1, rows + 1)]
    return wjx_text_file(path, answers)


def test_round_trip_of_codes_not_asked_missing_and_multiple_choice(tmp_path, mini):
    path = wjx_text_file(tmp_path / "w.csv", WJX_TEXT_ROWS)
    store = Store(tmp_path / "s.sqlite")
    result = store.ingest(path, mini, wave="2026")
    assert (result.rows_read, result.accepted + result.rejected) == (3, 3)
    mapped = map_export(read_export(path), mini, pseudonymiser=store.pseudonymiser())
    frame, asked = store.responses("mini"), store.asked("mini")
    accepted = [row for row in mapped.rows if row not in result.report.rejected]
    assert frame["row"].tolist() == accepted
    items = list(mapped.codes.columns)
    expected = mapped.codes.loc[accepted, items].where(mapped.asked.loc[accepted, items])
    for item_id in items:
        got, want = frame[item_id].tolist(), expected[item_id].tolist()
        assert [None if pd.isna(v) else v for v in got] == [None if v is None or pd.isna(v) else v for v in want], item_id
    assert asked.to_numpy().tolist() == mapped.asked.loc[accepted, items].to_numpy().tolist()
    assert frame["channels"].tolist()[:2] == [(1, 2), (3,)] and frame["overall"].dtype == "Int64"
    assert set(frame["mode"]) == {"online"} and set(frame["wave"]) == {"2026"} and set(frame["batch"]) == {1}
    for state in ("answered", "missing", "not_asked"):
        assert _count(store.path, f"SELECT COUNT(*) FROM answers WHERE state = '{state}'") > 0, state


_SCHEMA_2_ANSWERS = """CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses(response_id), item_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('answered', 'missing', 'not_asked')),
    code INTEGER, codes TEXT, number REAL, text TEXT,
    PRIMARY KEY (response_id, item_id)) WITHOUT ROWID"""


def test_a_schema_2_store_keeps_every_answer_when_its_long_table_becomes_columns(tmp_path, mini):
    store = Store(tmp_path / "s.sqlite")
    store.ingest(wjx_text_file(tmp_path / "w.csv", WJX_TEXT_ROWS), mini, wave="2026")
    store.ingest(_big_wjx(tmp_path / "big.csv", 700), mini, wave="2026")
    before, asked = store.responses("mini"), store.asked("mini")
    with contextlib.closing(sqlite3.connect(store.path)) as connection:   # as schema 2 kept them: one row per cell
        long = connection.execute("SELECT * FROM answers ORDER BY response_id, item_id").fetchall()
        connection.executescript(f"DROP VIEW answers; DELETE FROM answer_columns; {_SCHEMA_2_ANSWERS};"
                                 "CREATE INDEX identifiers_token ON identifiers (kind, token);"
                                 "UPDATE store_info SET value = '2' WHERE key = 'schema_version';")
        connection.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)", long)
        connection.commit()
    upgraded = Store(store.path)
    pd.testing.assert_frame_equal(upgraded.responses("mini"), before)
    pd.testing.assert_frame_equal(upgraded.asked("mini"), asked)
    with contextlib.closing(sqlite3.connect(store.path)) as connection:
        assert connection.execute("SELECT * FROM answers ORDER BY response_id, item_id").fetchall() == long
        assert connection.execute("SELECT value FROM store_info WHERE key = 'schema_version'").fetchone() == ("3",)
        assert connection.execute("SELECT name FROM sqlite_master WHERE name = 'identifiers_token'").fetchall() == []


def test_ingesting_the_same_file_twice_adds_nothing(tmp_path, mini):
    path = wjx_text_file(tmp_path / "w.csv", WJX_TEXT_ROWS)
    store = Store(tmp_path / "s.sqlite")
    first = store.ingest(path, mini, wave="2026")
    second = store.ingest(path, mini, wave="2026")
    assert second.already_ingested and second.batch_id == first.batch_id
    assert (second.rows_read, second.accepted, second.rejected) == (first.rows_read, first.accepted, first.rejected)
    assert len(store.batches()) == 1
    assert _count(store.path, "SELECT COUNT(*) FROM responses") == 3


@pytest.mark.parametrize("older_store", [False, True])
def test_a_record_exported_again_in_a_later_file_is_a_repeat_submission(tmp_path, mini, older_store):
    """The same 问卷星 answer number and submission time in a second file is the same submission (rank 1), found
    from the store's own columns; a store written by an earlier version, which also kept a keyed token of the
    record, finds it the same way."""
    store = Store(tmp_path / "s.sqlite")
    store.ingest(wjx_text_file(tmp_path / "first.csv", WJX_TEXT_ROWS[:2]), mini, wave="2026")
    if older_store:
        with contextlib.closing(sqlite3.connect(store.path)) as connection, connection:
            connection.execute("INSERT INTO identifiers SELECT response_id, 'record', 'old-token' || response_id "
                               "FROM responses")
            # a batch whose times had fractions of a second stores them in ISO 8601 beside whole seconds
            connection.execute("UPDATE responses SET submitted_at = submitted_at || '.250000' WHERE row = 2")
    later = [(1, "2026/10/3 10:00:00", 120, "7.7.7.7(陕西-秦川)", *WJX_TEXT_ROWS[0][4:]),   # row 1 again, other IP
             (1, "2026/10/3 10:05:00", 100, "8.8.8.8(陕西-秦川)", *WJX_TEXT_ROWS[0][4:]),   # same number, other time
             WJX_TEXT_ROWS[2]]
    result = store.ingest(wjx_text_file(tmp_path / "later.csv", later), mini, wave="2026")
    repeats = result.report.issues_of("duplicate_submission").set_index("row")
    assert list(repeats.index) == [1]
    assert "rank 1" in repeats.at[1, "message"] and "platform record" in repeats.at[1, "message"]
    assert "as batch 1 row 1" in repeats.at[1, "message"]
    assert 1 in result.report.rejected and result.rows_read == 3
    assert _count(store.path, "SELECT COUNT(*) FROM identifiers WHERE kind = 'record'") == (2 if older_store else 0)


def test_every_row_is_kept_and_rejections_have_reasons(tmp_path, mini):
    store = Store(tmp_path / "s.sqlite")
    result = store.ingest(_big_wjx(tmp_path / "w.csv", 40), mini)
    batch = store.batches().iloc[0]
    assert batch["rows_read"] == 40 == batch["accepted"] + batch["rejected"]
    assert _count(store.path, "SELECT COUNT(*) FROM responses") == 40
    assert _count(store.path, "SELECT COUNT(*) FROM responses WHERE status = 'rejected'") == result.rejected
    rejections = store.rejections()
    assert set(rejections["row"]) == set(result.report.rejected)
    assert set(rejections["code"]) <= {"duplicate_submission", "incomplete", "attention_check_failed", "speeder"}
    assert len(store.responses("mini")) == result.accepted


def test_no_raw_ip_phone_or_openid_is_in_the_store_file(tmp_path, mini):
    store = Store(tmp_path / "s.sqlite")
    store.ingest(wjx_text_file(tmp_path / "w.csv", WJX_TEXT_ROWS), mini)
    rows = [(1, "2026-10-03 10:00:00", "2026-10-03 10:02:00", 120, "oSECRETOPENID1", "11.22.33.44", "UA", "是",
             "满意", "满意", "满意", ("电视",), "满意", "座机0755-12345678, 手机 139-8765-4321, 身份证110101199003071234")]
    store.ingest(tencent_file(tmp_path / "t.csv", rows), mini)
    raw_values = [*IPS, PHONE, "11.22.33.44", "oSECRETOPENID1", "13987654321", "139-8765-4321", "12345678",
                  "110101199003071234"]
    contents = b"".join(path.read_bytes() for path in tmp_path.glob("s.sqlite*"))
    for value in raw_values:
        assert value.encode() not in contents, value
    assert "陕西-秦川".encode() in contents        # the IP's place is kept
    assert len(store.flags()) > 0


def test_a_failing_batch_leaves_nothing(tmp_path, mini):
    store = Store(tmp_path / "s.sqlite")

    def explode(done, total):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.ingest(_big_wjx(tmp_path / "w.csv", 1200), mini, progress=explode)
    assert store.batches().empty
    assert _count(store.path, "SELECT COUNT(*) FROM responses") == 0


_SCRIPT = textwrap.dedent("""
    import pathlib, sys, time
    from surveys.questionnaire import load_questionnaire
    from surveys.store.database import Store
    store_path, questionnaire_path, export_path, marker, pause = sys.argv[1:6]
    def progress(done, total):
        pathlib.Path(marker).write_text(f"{done}/{total}")
        time.sleep(float(pause))
    result = Store(store_path).ingest(export_path, load_questionnaire(questionnaire_path), progress=progress)
    print(result.rows_read, result.accepted + result.rejected)
""")


def _start(tmp_path, store, export, marker, pause):
    script = tmp_path / "ingest_one.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), str(store), str(tmp_path / "mini.yaml"), str(export),
                             str(marker), str(pause)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path, process, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the ingest ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the ingest never reached its first chunk")
        time.sleep(0.05)


def test_an_ingest_killed_mid_batch_leaves_the_store_consistent(tmp_path, mini):
    export, store_path, marker = _big_wjx(tmp_path / "big.csv", 1200), tmp_path / "s.sqlite", tmp_path / "marker"
    process = _start(tmp_path, store_path, export, marker, pause=600)
    _wait_for(marker, process)
    assert marker.read_text() == "500/1200"            # a chunk is written, inside the open transaction
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    store = Store(store_path)
    assert _count(store_path, "PRAGMA integrity_check") == "ok"
    assert store.batches().empty
    for table in ("responses", "answers", "identifiers", "issues", "batch_items"):
        assert _count(store_path, f"SELECT COUNT(*) FROM {table}") == 0, table
    result = store.ingest(export, mini)
    assert result.rows_read == 1200 == result.accepted + result.rejected and not result.already_ingested


def test_two_ingests_at_once_both_complete(tmp_path, mini):
    first, second = _big_wjx(tmp_path / "a.csv", 520), _big_wjx(tmp_path / "b.csv", 510)
    store_path = tmp_path / "s.sqlite"
    processes = [_start(tmp_path, store_path, export, tmp_path / f"marker{index}", pause=0.15)
                 for index, export in enumerate((first, second))]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sorted(out.split() for out, _ in outputs) == [["510", "510"], ["520", "520"]]
    batches = Store(store_path).batches()
    assert len(batches) == 2 and (batches["rows_read"] == batches["accepted"] + batches["rejected"]).all()
    assert _count(store_path, "SELECT COUNT(*) FROM responses") == 1030


def test_export_writes_labels_and_never_a_formula(tmp_path, mini):
    rows = [(1, "2026/10/3 10:00:00", 120, "1.2.3.4(陕西-秦川)", "否", "(跳过)", "满意", "满意", "电视┋网络", "满意",
             '=HYPERLINK("http://x","点我")'),
            (2, "2026/10/3 11:00:00", 120, "1.2.3.5(陕西-秦川)", "是", "满意", "满意", "满意", "报纸", "不满意", "+1 好评"),
            (3, "2026/10/3 12:00:00", 120, "1.2.3.6(陕西-秦川)", "是", "不满意", "满意", "满意", "报纸", "满意", "@SUM(A1)")]
    store = Store(tmp_path / "s.sqlite")
    store.ingest(wjx_text_file(tmp_path / "w.csv", rows), mini)
    out = tmp_path / "out.xlsx"
    assert export_workbook(store, "mini", out) == 3
    sheet = openpyxl.load_workbook(out)["responses"]
    header = [cell.value for cell in sheet[1]]
    comments = [sheet.cell(row=r, column=header.index("comments") + 1) for r in (2, 3, 4)]
    assert [cell.value for cell in comments] == ['=HYPERLINK("http://x","点我")', "+1 好评", "@SUM(A1)"]
    assert all(cell.data_type == "s" for cell in comments)
    labels = [sheet.cell(row=r, column=header.index("service_label") + 1).value for r in (2, 3, 4)]
    assert labels == ["(跳过)", "满意", "不满意"]
    assert sheet.cell(row=2, column=header.index("channels_label") + 1).value == "电视、网络"
    assert "codebook" in openpyxl.load_workbook(out).sheetnames
    with pytest.raises(StoreError, match="holds no questionnaire"):
        export_workbook(store, "nothing_here", tmp_path / "x.xlsx")


REAL_EXPORTS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-exports"


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="the real exports are not on this machine")
def test_real_wjx_exports_ingest_with_every_row_accounted_for_and_no_raw_ip(tmp_path):
    from surveys.ingest.infer import infer_questionnaire
    from surveys.questionnaire import load_questionnaire

    store = Store(tmp_path / "s.sqlite")
    exports = sorted(REAL_EXPORTS.glob("wjx_*.xls*"))
    assert exports, "expected the 问卷星 samples in shared/real-exports"
    raw_ips = set()
    for number, path in enumerate(exports):                 # read in place, never copied
        raw = read_export(path)
        definition = tmp_path / f"{path.stem}.yaml"
        definition.write_text(infer_questionnaire(raw, questionnaire_id=f"real_export_{number}"), encoding="utf-8")
        result = store.ingest(path, load_questionnaire(definition))
        assert result.rows_read == raw.rows_read == result.accepted + result.rejected, path.name
        if "ip" in raw.answers:
            raw_ips |= {ip for ip in raw.answers["ip"].dropna() if ip}
    assert raw_ips, "expected IP addresses in the 问卷星 samples"
    contents = b"".join(path.read_bytes() for path in tmp_path.glob("s.sqlite*"))
    assert all(ip.encode() not in contents for ip in raw_ips)


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="the real exports are not on this machine")
def test_every_real_response_export_ingests_from_its_inferred_questionnaire(tmp_path):
    """Each real export the readers support (问卷星, Qualtrics, SPSS, …): infer a questionnaire, ingest, and
    account for every row. Files that are questionnaire definitions, not responses, are refused by the reader."""
    from surveys.errors import IngestError
    from surveys.ingest.infer import infer_questionnaire
    from surveys.questionnaire import load_questionnaire

    store = Store(tmp_path / "s.sqlite")
    ingested = []
    for number, path in enumerate(sorted(p for p in REAL_EXPORTS.iterdir() if p.suffix != ".md")):
        if path.suffix == ".sav":
            pytest.importorskip("pyreadstat")
        try:
            raw = read_export(path)                                  # read in place, never copied
        except IngestError as error:
            assert "not a response export" in str(error), path.name
            continue
        definition = tmp_path / f"{path.stem}.yaml"
        definition.write_text(infer_questionnaire(raw, questionnaire_id=f"real_{number}"), encoding="utf-8")
        result = store.ingest(path, load_questionnaire(definition))
        assert result.rows_read == raw.rows_read == result.accepted + result.rejected, path.name
        ingested.append(raw.platform)
    assert {"wjx", "qualtrics"} <= set(ingested)
