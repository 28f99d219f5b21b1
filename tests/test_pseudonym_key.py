"""The pseudonymisation key lives in a key file of its own, never in the store or the results (issue 12: the
HMAC key sat in the store's ``pseudonym_key`` table, and ``surveys run`` copies ``store.sqlite`` next to the
report, so whoever had the results could test any guessed IP or phone number against the tokens).

Every test here points the key file into a temporary folder (the suite-wide ``key_file`` fixture does the same
for all other tests): none writes to the user's real key file.
"""
from __future__ import annotations

import secrets
import sqlite3
import stat

import pytest
from hostile_input import TENCENT, copy_city, make_city, questionnaire_of

from surveys.cli import main
from surveys.errors import StoreError
from surveys.ingest.pseudonym_key import (
    KEY_FILE_VARIABLE,
    KeyFileWarning,
    default_key_file,
    fingerprint,
    key_file_path,
    load_key,
    save_key,
)
from surveys.questionnaire import load_questionnaire
from surveys.store.database import Store


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("keys") / "city")


def _key_of(path):
    return load_key(path)


def _tables(store):
    with sqlite3.connect(store) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _files_holding(folder, secret):
    return [path for path in folder.rglob("*") if path.is_file() and secret in path.read_bytes()]


def test_the_key_file_is_found_by_option_then_variable_then_per_user_default(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_FILE_VARIABLE, str(tmp_path / "from_variable.key"))
    assert key_file_path(tmp_path / "given.key") == tmp_path / "given.key"
    assert key_file_path() == tmp_path / "from_variable.key"
    monkeypatch.delenv(KEY_FILE_VARIABLE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert key_file_path() == default_key_file()
    assert str(default_key_file()).startswith(str(tmp_path)) and default_key_file().name == "pseudonym.key"


def test_a_new_key_file_is_owner_only_and_the_store_keeps_only_its_fingerprint(city, tmp_path):
    key_file = tmp_path / "private" / "survey.key"
    (tmp_path / "data").mkdir()
    store = Store(tmp_path / "data" / "s.sqlite", key_file=key_file)
    with pytest.warns(KeyFileWarning, match="created the pseudonymisation key file"):
        store.ingest(city / TENCENT, load_questionnaire(questionnaire_of(city / TENCENT)))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = _key_of(key_file)
    assert "pseudonym_key" not in _tables(store.path)
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("SELECT value FROM store_info WHERE key = 'key_fingerprint'").fetchone() == \
            (fingerprint(key),)
    assert _files_holding(store.path.parent, key) == [] and _files_holding(store.path.parent, key.hex().encode()) == []


def test_a_run_copies_no_key_into_its_results(city, tmp_path, key_file):
    folder = copy_city(city, tmp_path / "city")
    assert main(["run", str(folder / "study.yaml"), "--out", str(tmp_path / "results"), "--no-charts",
                 "--no-report"]) == 0
    key = _key_of(key_file)
    assert (tmp_path / "results" / "store.sqlite").is_file()
    assert "pseudonym_key" not in _tables(tmp_path / "results" / "store.sqlite")
    assert _files_holding(tmp_path / "results", key) == []
    assert _files_holding(tmp_path / "results", key.hex().encode()) == []


def test_a_key_file_beside_the_store_or_holding_another_key_is_refused(city, tmp_path):
    questionnaire = load_questionnaire(questionnaire_of(city / TENCENT))
    with pytest.raises(StoreError, match="is in the folder of the store"):
        Store(tmp_path / "s.sqlite", key_file=tmp_path / "beside.key").pseudonymiser()
    store = Store(tmp_path / "s.sqlite")
    store.ingest(city / TENCENT, questionnaire)
    other = tmp_path / "other" / "other.key"
    save_key(other, secrets.token_bytes(32))
    with pytest.raises(StoreError, match="made under another pseudonymisation key"):
        Store(tmp_path / "s.sqlite", key_file=other).ingest(city / TENCENT.replace(".csv", "_gb18030.csv"),
                                                             questionnaire)


def _as_schema_1(store_path, key):
    """Turn a store into what the earlier version wrote: schema 1, the key in a pseudonym_key table."""
    with sqlite3.connect(store_path) as connection:
        connection.execute("CREATE TABLE pseudonym_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL, "
                           "created_at TEXT NOT NULL)")
        connection.execute("INSERT INTO pseudonym_key VALUES (1, ?, '2026-01-01T00:00:00+00:00')", (key,))
        connection.execute("UPDATE store_info SET value = '1' WHERE key = 'schema_version'")
        connection.execute("DELETE FROM store_info WHERE key = 'key_fingerprint'")
        connection.execute("ALTER TABLE batches DROP COLUMN blank_rows")


def test_a_store_of_the_earlier_version_has_its_key_moved_out_with_a_message(city, tmp_path, capsys):
    questionnaire = load_questionnaire(questionnaire_of(city / TENCENT))
    old_key = secrets.token_bytes(32)
    save_key(tmp_path / "old" / "old.key", old_key)
    store = tmp_path / "data" / "s.sqlite"
    store.parent.mkdir()
    Store(store, key_file=tmp_path / "old" / "old.key").ingest(city / TENCENT, questionnaire)
    _as_schema_1(store, old_key)
    assert old_key in store.read_bytes() or any(old_key in path.read_bytes() for path in store.parent.iterdir())
    taken = tmp_path / "taken" / "taken.key"  # a key file that holds another key: the key cannot move there
    save_key(taken, secrets.token_bytes(32))
    status = main(["export", "--store", str(store), "--questionnaire", questionnaire.id, "-o",
                   str(tmp_path / "out.xlsx"), "--key-file", str(taken)])
    assert status == 2 and "holds another key, so it cannot be moved there" in capsys.readouterr().err
    assert "pseudonym_key" in _tables(store)
    moved = tmp_path / "moved" / "survey.key"
    status = main(["ingest", str(city / TENCENT.replace(".csv", "_gb18030.csv")), "--questionnaire",
                   str(questionnaire_of(city / TENCENT)), "--store", str(store), "--key-file", str(moved), "--json"])
    captured = capsys.readouterr()
    assert status == 0 and f"note: moved the pseudonymisation key of s.sqlite out of the store into the key file " \
                           f"{moved}" in captured.err
    assert _key_of(moved) == old_key and stat.S_IMODE(moved.stat().st_mode) == 0o600
    assert "pseudonym_key" not in _tables(store)
    assert _files_holding(store.parent, old_key) == []
    # the same submissions in the GB18030 copy are found again: the moved key still makes the same tokens
    assert '"duplicate_submission": 99' in captured.out
