"""The response store: one SQLite file (stdlib ``sqlite3``) that keeps every row, accepted or rejected.

Tables (``Store.SCHEMA``):

- ``batches``: one per ingested file: file name, SHA-256 (and the label file's, for a 问卷星 pair),
  platform, reader, encoding, coding, mode, questionnaire id and version, wave, time, the row accounting
  (``rows_read = accepted + rejected``, ``flagged``; ``blank_rows``, the entirely blank rows, which are no
  respondents and are not in ``rows_read``) and the reasons (JSON ``{code: rows}``).
  ``UNIQUE(sha256, questionnaire_id)``: ingesting the same file twice adds nothing.
- ``responses``: one per data row of every batch (``status`` accepted / rejected, ``flagged``), with the
  record id, mode, wave, times, duration and the IP's 省-市; ``identifiers``: their keyed-hash tokens
  (kind, token), never the raw values. The HMAC key of the tokens is NOT in the store: it lives in a key
  file of its own (:mod:`surveys.ingest.pseudonym_key`); ``store_info`` keeps only its fingerprint.
- ``answers``: long format, one row per response and item: ``state`` is ``answered``, ``missing`` (asked,
  not answered) or ``not_asked`` (hidden by skip logic); the value is in ``code`` (single choice),
  ``codes`` (multiple choice, a JSON list in scale order, ``[]`` = none ticked), ``number`` or ``text``.
  Long, so instruments of any length and version share one table and the three states round-trip.
- ``batch_items``: each batch's items with their type and position (to rebuild typed columns).
- ``issues`` (views ``rejections`` and ``flags``): every validation issue with code, row, column, value
  (scrubbed of identifiers) and message.
- ``questionnaires``: the YAML text of each questionnaire version used (so exports have labels).
- ``reconciliation``: ready for double data entry (form, item, both keyings, agreed value, status).

Each batch is ONE transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), and so are the batches of one
:func:`ingest_files` call (``surveys ingest A B C`` stores all three files or none): an ingest killed or
interrupted halfway leaves the store as it was. The file is in WAL mode with a busy timeout, and a batch whose lock could not be had is
retried, so two ingests at once both complete. Duplicate detection inside the transaction sees every
response (accepted or rejected) of earlier batches of the same questionnaire and wave, as it sees every
earlier row of the same file.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import pathlib
import secrets
import sqlite3
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from surveys.errors import IngestError, StoreError
from surveys.ingest.mapping import MappedExport, map_export, read_for_questionnaire
from surveys.ingest.privacy import Pseudonymiser
from surveys.ingest.pseudonym_key import (
    KEY_FILE_VARIABLE,
    KeyFileWarning,
    check_key_place,
    fingerprint,
    key_file_path,
    load_key,
    save_key,
)
from surveys.questionnaire import Questionnaire, load_questionnaire
from surveys.spreadsheet_text import write_text_cell
from surveys.validate import ValidationReport, ValidationRules, validate_export

__all__ = ["Store", "BatchResult", "ingest_files", "export_workbook"]

SCHEMA_VERSION = "2"
_BUSY_TIMEOUT_SECONDS = 60.0
_ATTEMPTS = 8
_CHUNK = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questionnaires (
    questionnaire_id TEXT NOT NULL, version TEXT NOT NULL, file_name TEXT, definition TEXT NOT NULL,
    PRIMARY KEY (questionnaire_id, version));
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY, file_name TEXT NOT NULL, sha256 TEXT NOT NULL,
    label_file_name TEXT, label_sha256 TEXT, platform TEXT NOT NULL, reader TEXT NOT NULL,
    encoding TEXT NOT NULL, coding TEXT, mode TEXT NOT NULL, questionnaire_id TEXT NOT NULL,
    questionnaire_version TEXT NOT NULL, wave TEXT NOT NULL, ingested_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL, flagged INTEGER NOT NULL,
    reasons TEXT NOT NULL, rules TEXT NOT NULL, blank_rows INTEGER NOT NULL DEFAULT 0,
    CHECK (rows_read = accepted + rejected),
    UNIQUE (sha256, questionnaire_id));
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id INTEGER NOT NULL REFERENCES batches(batch_id), item_id TEXT NOT NULL, type TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (batch_id, item_id));
CREATE TABLE IF NOT EXISTS responses (
    response_id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES batches(batch_id), row INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')), flagged INTEGER NOT NULL,
    record_id TEXT, mode TEXT NOT NULL, wave TEXT NOT NULL, submitted_at TEXT, started_at TEXT,
    duration_seconds INTEGER, ip_location TEXT, meta TEXT NOT NULL,
    UNIQUE (batch_id, row));
CREATE TABLE IF NOT EXISTS identifiers (
    response_id INTEGER NOT NULL REFERENCES responses(response_id), kind TEXT NOT NULL, token TEXT NOT NULL,
    PRIMARY KEY (response_id, kind));
CREATE INDEX IF NOT EXISTS identifiers_token ON identifiers (kind, token);
CREATE TABLE IF NOT EXISTS answers (
    response_id INTEGER NOT NULL REFERENCES responses(response_id), item_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('answered', 'missing', 'not_asked')),
    code INTEGER, codes TEXT, number REAL, text TEXT,
    PRIMARY KEY (response_id, item_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS issues (
    issue_id INTEGER PRIMARY KEY, batch_id INTEGER NOT NULL REFERENCES batches(batch_id), response_id INTEGER,
    row INTEGER NOT NULL, code TEXT NOT NULL, action TEXT NOT NULL CHECK (action IN ('reject', 'flag')),
    column_name TEXT, value TEXT, message TEXT);
CREATE INDEX IF NOT EXISTS issues_batch ON issues (batch_id, row);
CREATE VIEW IF NOT EXISTS rejections AS
    SELECT issue_id, batch_id, response_id, row, code, column_name, value, message FROM issues WHERE action = 'reject';
CREATE VIEW IF NOT EXISTS flags AS
    SELECT issue_id, batch_id, response_id, row, code, column_name, value, message FROM issues WHERE action = 'flag';
CREATE TABLE IF NOT EXISTS reconciliation (
    reconciliation_id INTEGER PRIMARY KEY, questionnaire_id TEXT NOT NULL, wave TEXT NOT NULL,
    form_number TEXT NOT NULL, item_id TEXT NOT NULL,
    first_batch_id INTEGER REFERENCES batches(batch_id), second_batch_id INTEGER REFERENCES batches(batch_id),
    first_value TEXT, second_value TEXT, agreed_value TEXT,
    status TEXT NOT NULL CHECK (status IN ('differs', 'first_only', 'second_only', 'resolved')),
    resolved_by TEXT, resolved_at TEXT);
"""
_META_COLUMNS = ("record_id", "mode", "wave", "submitted_at", "started_at", "duration_seconds", "ip_location")


def _upgrade_from_1(connection: sqlite3.Connection) -> None:
    """Schema 1 → 2, inside the opening transaction: batches count their blank rows (0 for earlier batches,
    whose blank rows were counted as rejected respondents); the key moves out (:meth:`Store._move_key_out`)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(batches)")}
    if "blank_rows" not in columns:
        connection.execute("ALTER TABLE batches ADD COLUMN blank_rows INTEGER NOT NULL DEFAULT 0")
    connection.execute("UPDATE store_info SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))


@dataclass(frozen=True)
class BatchResult:
    """What one file's ingest did (``already_ingested``: the store had it; nothing was added).

    ``platform`` is the questionnaire mapping used (``wjx``, ``tencent``, ``paper``), ``reader`` the reader that
    read the file (``wjx``, ``spss``, ``qualtrics``, ``generic``…). ``role``: ``ingested``, or ``labels_for`` for
    the 按选项文本 half of a 问卷星 pair, whose rows are stored once, with the 按选项序号 file named in
    ``labels_for`` (its accepted/rejected counts are 0: the rows are counted there). ``labels``: the 按选项文本
    file a pair's code file took its labels from.
    """

    path: str
    sha256: str
    platform: str
    encoding: str
    rows_read: int
    accepted: int
    rejected: int
    flagged: int
    reasons: Mapping[str, int]
    batch_id: int
    questionnaire_id: str
    wave: str
    mode: str
    already_ingested: bool = False
    report: ValidationReport | None = field(default=None, compare=False, repr=False)
    reader: str = ""
    role: str = "ingested"
    labels: str = ""
    labels_for: str = ""
    blank_rows: int = 0

    def to_json(self) -> dict[str, Any]:
        """The CLI contract's per-file object (``platform``: the reader; ``mapping``: the questionnaire's mapping;
        ``blank_rows``: entirely blank rows, not counted in ``rows_read``)."""
        found = {"path": self.path, "sha256": self.sha256, "role": self.role, "platform": self.reader or self.platform,
                 "mapping": self.platform, "encoding": self.encoding, "rows_read": self.rows_read,
                 "accepted": self.accepted, "rejected": self.rejected, "flagged": self.flagged,
                 "reasons": dict(self.reasons), "blank_rows": self.blank_rows,
                 "already_ingested": self.already_ingested}
        if self.labels:
            found["labels"] = self.labels
        if self.labels_for:
            found["labels_for"] = self.labels_for
        return found

    def labelling(self, labels: Any) -> "BatchResult":
        """The result of the 按选项文本 export ``labels`` (a RawExport) read for this code file's labels."""
        return dataclasses.replace(self, path=str(labels.path), sha256=labels.sha256, encoding=labels.encoding,
                                   rows_read=labels.rows_read, accepted=0, rejected=0, flagged=0, reasons={},
                                   report=None, role="labels_for", labels="", labels_for=self.path, blank_rows=0)


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (pd.Timestamp, datetime.datetime)):
        return pd.Timestamp(value).isoformat(sep=" ")
    return str(value)


class Store:
    """An SQLite response store at ``path`` (created on first use)."""

    def __init__(self, path: str | os.PathLike, *, key_file: str | os.PathLike | None = None) -> None:
        """``key_file``: the pseudonymisation key file (default: ``$SURVEYS_KEY_FILE``, else the per-user key
        file; :func:`surveys.ingest.pseudonym_key.key_file_path`)."""
        self._key_file = key_file
        self.path = pathlib.Path(path)
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; expected a store file such as survey.sqlite")
        if not self.path.parent.exists():
            raise StoreError(f"cannot create the store {self.path}: the folder {self.path.parent} does not exist")
        self._retry(self._initialise)

    # ----------------------------------------------------------------------------------- connection
    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the store {self.path} ({error}); check the path and permissions") from None
        connection.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_SECONDS * 1000)}")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def _retry(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        for attempt in range(_ATTEMPTS):
            connection = self._connect()
            try:
                return work(connection)
            except sqlite3.OperationalError as error:
                if connection.in_transaction:
                    connection.rollback()
                if not _locked(error) or attempt == _ATTEMPTS - 1:
                    raise StoreError(f"{self.path}: {error}; another process may hold the store; try again") from None
                time.sleep(0.05 * 2 ** attempt + secrets.randbelow(50) / 1000)
            except sqlite3.DatabaseError as error:
                if connection.in_transaction:
                    connection.rollback()
                raise StoreError(f"{self.path} is not a usable response store ({error}); "
                                 "check that it is a store file made by surveys ingest") from None
            except BaseException:
                if connection.in_transaction:
                    connection.rollback()
                raise
            finally:
                connection.close()
        raise StoreError(f"{self.path}: could not get the write lock")  # pragma: no cover

    def _initialise(self, connection: sqlite3.Connection) -> None:
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the store to WAL mode (got {mode}); "
                             "put the store on a local disk")
        connection.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        found = connection.execute("SELECT value FROM store_info WHERE key = 'schema_version'").fetchone()
        if found is None:
            connection.execute("INSERT INTO store_info VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif found[0] == "1":
            _upgrade_from_1(connection)
        elif found[0] != SCHEMA_VERSION:
            connection.rollback()
            raise StoreError(f"{self.path} has store schema {found[0]}; this version of surveys reads schema "
                             f"{SCHEMA_VERSION}; use a matching version or a new store")
        moved = self._move_key_out(connection)
        scrub = connection.execute("SELECT 1 FROM store_info WHERE key = 'key_scrub_pending'").fetchone()
        connection.execute("COMMIT")
        if scrub is not None:
            # the deleted key's bytes may linger in free pages and in the write-ahead log: rewrite both
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("DELETE FROM store_info WHERE key = 'key_scrub_pending'")
        if moved is not None:
            warnings.warn(KeyFileWarning(
                f"moved the pseudonymisation key of {self.path.name} out of the store into the key file {moved} "
                "(an earlier version kept it inside the store, so whoever had the store could test guessed phone "
                "numbers or IPs against its tokens); keep the key file private and backed up, apart from the "
                "data"), stacklevel=4)

    def _move_key_out(self, connection: sqlite3.Connection) -> pathlib.Path | None:
        """A store made by an earlier version keeps its key in a ``pseudonym_key`` table: write the key to the
        key file (created, or checked to hold the same key), record its fingerprint, drop the table. Returns
        the key file when a key was moved."""
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pseudonym_key'"
                              ).fetchone() is None:
            return None
        row = connection.execute("SELECT key FROM pseudonym_key WHERE id = 1").fetchone()
        path = key_file_path(self._key_file)
        if row is not None:
            key = bytes(row[0])
            check_key_place(path, self.path)
            if not save_key(path, key) and load_key(path) != key:
                connection.rollback()
                raise StoreError(
                    f"{self.path} keeps its own pseudonymisation key (an earlier version of surveys stored it inside "
                    f"the store), and the key file {path} holds another key, so it cannot be moved there; pass "
                    f"--key-file (or {KEY_FILE_VARIABLE}) with a new file for this store's key")
            connection.execute("INSERT OR REPLACE INTO store_info VALUES ('key_fingerprint', ?)", (fingerprint(key),))
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("DELETE FROM pseudonym_key")
        connection.execute("DROP TABLE pseudonym_key")
        connection.execute("INSERT OR REPLACE INTO store_info VALUES ('key_scrub_pending', '1')")
        return path if row is not None else None

    def pseudonymiser(self) -> Pseudonymiser:
        """The keyed hash of this store's tokens, under the key of the key file (created on first use).

        The store records the key's fingerprint the first time; a key file holding another key is refused
        (tokens under two keys cannot be compared)."""
        path = key_file_path(self._key_file)
        key = load_key(path, store=self.path)
        found = fingerprint(key)

        def record(connection: sqlite3.Connection) -> str:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT OR IGNORE INTO store_info VALUES ('key_fingerprint', ?)", (found,))
            value = connection.execute("SELECT value FROM store_info WHERE key = 'key_fingerprint'").fetchone()[0]
            connection.execute("COMMIT")
            return value

        recorded = self._retry(record)
        if recorded != found:
            raise StoreError(f"{self.path}'s tokens were made under another pseudonymisation key (fingerprint "
                             f"{recorded}) than the one in the key file {path} (fingerprint {found}); point "
                             f"--key-file (or {KEY_FILE_VARIABLE}) to the key file used for this store")
        return Pseudonymiser(key)

    # ----------------------------------------------------------------------------------- writing
    def prepare(self, path: str | os.PathLike, questionnaire: Questionnaire, *, platform: str | None = None,
                mode: str | None = None, wave: str | None = None, **read_options: Any) -> MappedExport:
        """Read ``path`` and map it onto ``questionnaire`` with the store's pseudonymiser (nothing written)."""
        raw = read_for_questionnaire(path, questionnaire, platform=platform, **read_options)
        return map_export(raw, questionnaire, platform=platform, pseudonymiser=self.pseudonymiser(), mode=mode,
                          wave=wave)

    def ingest(self, path: str | os.PathLike, questionnaire: Questionnaire, *, rules: ValidationRules | None = None,
               platform: str | None = None, mode: str | None = None, wave: str | None = None,
               progress: Callable[[int, int], None] | None = None, **read_options: Any) -> BatchResult:
        """Read, map, validate and store one file as one batch; see :meth:`add`."""
        mapped = self.prepare(path, questionnaire, platform=platform, mode=mode, wave=wave, **read_options)
        return self.add(mapped, questionnaire, rules=rules, progress=progress)

    def add(self, mapped: MappedExport, questionnaire: Questionnaire, *, rules: ValidationRules | None = None,
            progress: Callable[[int, int], None] | None = None) -> BatchResult:
        """Validate ``mapped`` against the store's earlier submissions and write it as ONE transaction.

        A file already in the store (same SHA-256 and questionnaire) adds nothing: its stored counts are
        returned with ``already_ingested=True``. ``progress(done, total)`` is called after each chunk of
        responses written, inside the transaction.
        """
        return self.add_all([mapped], questionnaire, rules=rules, progress=progress)[0]

    def add_all(self, mapped: "list[MappedExport]", questionnaire: Questionnaire, *,
                rules: ValidationRules | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[BatchResult]:
        """:meth:`add` for several files in ONE transaction: all are stored, or (an error, an interruption)
        none; each is validated against the earlier ones as if added one after the other."""
        rules = rules or ValidationRules()
        return self._retry(lambda connection: self._write_all(connection, mapped, questionnaire, rules, progress))

    def _existing(self, connection, mapped: MappedExport) -> BatchResult | None:
        row = connection.execute(
            "SELECT batch_id, file_name, sha256, platform, encoding, rows_read, accepted, rejected, flagged, reasons, "
            "questionnaire_id, wave, mode, reader, blank_rows FROM batches WHERE sha256 = ? AND questionnaire_id = ?",
            (mapped.sha256, mapped.questionnaire_id)).fetchone()
        if row is None:
            return None
        return BatchResult(path=str(mapped.path), sha256=row[2], platform=row[3], encoding=row[4], rows_read=row[5],
                           accepted=row[6], rejected=row[7], flagged=row[8], reasons=json.loads(row[9]),
                           batch_id=row[0], questionnaire_id=row[10], wave=row[11], mode=row[12],
                           already_ingested=True, reader=row[13], blank_rows=row[14],
                           labels=str(mapped.label_path) if mapped.label_path else "")

    def _earlier(self, connection, questionnaire_id: str, wave: str) -> pd.DataFrame:
        rows = connection.execute(
            "SELECT r.response_id, r.batch_id, r.row, r.submitted_at, i.kind, i.token FROM responses r "
            "JOIN batches b ON b.batch_id = r.batch_id JOIN identifiers i ON i.response_id = r.response_id "
            "WHERE b.questionnaire_id = ? AND r.wave = ?", (questionnaire_id, wave)).fetchall()
        if not rows:
            return pd.DataFrame()
        long = pd.DataFrame(rows, columns=["response_id", "batch_id", "row", "submitted_at", "kind", "token"])
        wide = long.pivot(index="response_id", columns="kind", values="token")
        first = long.drop_duplicates("response_id").set_index("response_id")
        wide["submitted_at"] = pd.to_datetime(first["submitted_at"])
        wide["where"] = "batch " + first["batch_id"].astype(str) + " row " + first["row"].astype(str)
        return wide.sort_values("submitted_at", kind="stable").reset_index(drop=True)

    def _write_all(self, connection, mapped: "list[MappedExport]", questionnaire: Questionnaire,
                   rules: ValidationRules, progress) -> list[BatchResult]:
        connection.execute("BEGIN IMMEDIATE")
        results = [self._write(connection, one, questionnaire, rules, progress) for one in mapped]
        connection.execute("COMMIT")
        return results

    def _write(self, connection, mapped: MappedExport, questionnaire: Questionnaire, rules: ValidationRules,
               progress) -> BatchResult:
        existing = self._existing(connection, mapped)
        if existing is not None:
            return existing
        report = validate_export(mapped, questionnaire, rules, earlier=self._earlier(
            connection, mapped.questionnaire_id, mapped.wave))
        batch_id = self._insert_batch(connection, mapped, questionnaire, report, rules)
        self._insert_rows(connection, batch_id, mapped, report, progress)
        return BatchResult(path=str(mapped.path), sha256=mapped.sha256, platform=mapped.platform,
                           encoding=mapped.encoding, rows_read=report.rows_read, accepted=report.accepted,
                           rejected=len(report.rejected), flagged=len(report.flagged), reasons=report.reasons,
                           batch_id=batch_id, questionnaire_id=mapped.questionnaire_id, wave=mapped.wave,
                           mode=mapped.mode, report=report, reader=mapped.reader_platform, blank_rows=mapped.blank_rows,
                           labels=str(mapped.label_path) if mapped.label_path else "")

    def _insert_batch(self, connection, mapped, questionnaire, report, rules) -> int:
        definition = questionnaire.source_path.read_text(encoding="utf-8") if questionnaire.source_path.exists() else ""
        connection.execute("INSERT OR IGNORE INTO questionnaires VALUES (?, ?, ?, ?)",
                           (questionnaire.id, questionnaire.version, questionnaire.source_path.name, definition))
        rules_json = json.dumps(rules.to_mapping(), ensure_ascii=False)
        cursor = connection.execute(
            "INSERT INTO batches (file_name, sha256, label_file_name, label_sha256, platform, reader, encoding, coding, "
            "mode, questionnaire_id, questionnaire_version, wave, ingested_at, rows_read, accepted, rejected, flagged, "
            "reasons, rules, blank_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (mapped.path.name, mapped.sha256, mapped.label_path.name if mapped.label_path else None,
             mapped.label_sha256 or None, mapped.platform, mapped.reader_platform, mapped.encoding, mapped.coding,
             mapped.mode, mapped.questionnaire_id, mapped.questionnaire_version, mapped.wave,
             datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), report.rows_read,
             report.accepted, len(report.rejected), len(report.flagged),
             json.dumps(report.reasons, ensure_ascii=False), rules_json, mapped.blank_rows))
        batch_id = int(cursor.lastrowid)
        connection.executemany("INSERT INTO batch_items VALUES (?, ?, ?, ?)",
                               [(batch_id, item_id, kind, position)
                                for position, (item_id, kind) in enumerate(mapped.item_types.items())])
        return batch_id

    def _insert_rows(self, connection, batch_id: int, mapped: MappedExport, report: ValidationReport, progress) -> None:
        first_id = connection.execute("SELECT COALESCE(MAX(response_id), 0) + 1 FROM responses").fetchone()[0]
        response_ids = pd.Series(range(first_id, first_id + mapped.rows_read), index=mapped.rows)
        rejected, flagged = set(report.rejected), set(report.flagged)
        meta = mapped.meta
        extra = [name for name in meta.columns if name not in _META_COLUMNS]

        def column(name: str) -> pd.Series:
            return meta[name] if name in meta else pd.Series(None, index=meta.index, dtype=object)

        durations = pd.to_numeric(column("duration_seconds"), errors="coerce")
        extras = [json.dumps({name: _text(value) for name, value in zip(extra, values) if _text(value) is not None},
                             ensure_ascii=False) for values in meta[extra].itertuples(index=False, name=None)] \
            if extra else ["{}"] * len(meta)
        responses = list(zip(
            (int(i) for i in response_ids), [batch_id] * len(meta), (int(row) for row in mapped.rows),
            ("rejected" if row in rejected else "accepted" for row in mapped.rows),
            (int(row in flagged) for row in mapped.rows), map(_text, column("record_id")),
            [mapped.mode] * len(meta), [mapped.wave] * len(meta), map(_text, column("submitted_at")),
            map(_text, column("started_at")), (None if pd.isna(value) else int(value) for value in durations),
            map(_text, column("ip_location")), extras))
        identifiers = mapped.identifiers.stack().dropna()
        identifier_rows = [(int(response_ids[row]), kind, str(token)) for (row, kind), token in identifiers.items()]
        answers = _answer_rows(mapped, response_ids)
        issues = report.issues
        issue_rows = [(batch_id, int(response_ids[row]) if row in response_ids.index else None, int(row), code, action,
                       where, value, message)
                      for code, row, where, value, message, action in issues.itertuples(index=False, name=None)]
        per_response = len(mapped.codes.columns)
        for start in range(0, len(responses), _CHUNK):
            chunk = responses[start:start + _CHUNK]
            connection.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
            connection.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   answers[start * per_response:(start + len(chunk)) * per_response])
            if progress is not None:
                progress(start + len(chunk), len(responses))
        connection.executemany("INSERT INTO identifiers VALUES (?, ?, ?)", identifier_rows)
        connection.executemany("INSERT INTO issues (batch_id, response_id, row, code, action, column_name, value, "
                               "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", issue_rows)

    # ----------------------------------------------------------------------------------- reading
    def _query(self, sql: str, parameters: tuple = ()) -> pd.DataFrame:
        def work(connection):
            cursor = connection.execute(sql, parameters)
            return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        return self._retry(work)

    def batches(self) -> pd.DataFrame:
        """Every batch with its provenance and row accounting (``reasons`` decoded to a dict)."""
        frame = self._query("SELECT * FROM batches ORDER BY batch_id")
        frame["reasons"] = frame["reasons"].map(json.loads)
        return frame.drop(columns=["rules"])

    def rejections(self, batch_id: int | None = None) -> pd.DataFrame:
        """Every rejecting issue (a rejected row may have several), with the batch's file name."""
        return self._issues("rejections", batch_id)

    def flags(self, batch_id: int | None = None) -> pd.DataFrame:
        return self._issues("flags", batch_id)

    def _issues(self, view: str, batch_id: int | None) -> pd.DataFrame:
        sql = (f"SELECT v.batch_id, b.file_name, v.row, v.response_id, v.code, v.column_name AS column, v.value, "
               f"v.message FROM {view} v JOIN batches b ON b.batch_id = v.batch_id")
        if batch_id is None:
            return self._query(sql + " ORDER BY v.batch_id, v.row, v.code")
        return self._query(sql + " WHERE v.batch_id = ? ORDER BY v.row, v.code", (int(batch_id),))

    def questionnaire(self, questionnaire_id: str, version: str | None = None) -> Questionnaire:
        """The questionnaire definition stored with the batches (the latest version unless ``version``)."""
        found = self._query("SELECT version, file_name, definition FROM questionnaires WHERE questionnaire_id = ? "
                            "ORDER BY rowid DESC", (questionnaire_id,))
        if version is not None:
            found = found[found["version"] == version]
        if found.empty:
            known = self._query("SELECT DISTINCT questionnaire_id FROM questionnaires")["questionnaire_id"].tolist()
            raise StoreError(f"{self.path} holds no questionnaire '{questionnaire_id}'"
                             f"{'' if version is None else ' v' + version}; it holds {known}")
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / (found.iloc[0]["file_name"] or f"{questionnaire_id}.yaml")
            path.write_text(found.iloc[0]["definition"], encoding="utf-8")
            return load_questionnaire(path)

    def _accepted(self, questionnaire_id: str, wave: str | None) -> tuple[pd.DataFrame, pd.DataFrame, list, dict]:
        where, parameters = "b.questionnaire_id = ? AND r.status = 'accepted'", [questionnaire_id]
        if wave is not None:
            where += " AND r.wave = ?"
            parameters.append(str(wave))
        responses = self._query(
            "SELECT r.response_id, r.batch_id AS batch, r.row, r.record_id, r.mode, r.wave, r.submitted_at, "
            "r.started_at, r.duration_seconds, r.ip_location, r.flagged FROM responses r "
            f"JOIN batches b ON b.batch_id = r.batch_id WHERE {where} ORDER BY r.response_id", tuple(parameters))
        answers = self._query(
            "SELECT a.response_id, a.item_id, a.state, a.code, a.codes, a.number, a.text FROM answers a "
            "JOIN responses r ON r.response_id = a.response_id JOIN batches b ON b.batch_id = r.batch_id "
            f"WHERE {where}", tuple(parameters))
        items = self._query(
            "SELECT bi.item_id, bi.type, MIN(bi.position) AS position FROM batch_items bi JOIN batches b "
            "ON b.batch_id = bi.batch_id WHERE b.questionnaire_id = ? GROUP BY bi.item_id, bi.type ORDER BY position",
            (questionnaire_id,))
        if items.empty:
            raise StoreError(f"{self.path} has no batches of questionnaire '{questionnaire_id}'; ingest its exports "
                             "first (surveys ingest FILE --questionnaire Q.yaml --store ...)")
        return responses, answers, list(items["item_id"]), dict(zip(items["item_id"], items["type"]))

    def responses(self, questionnaire_id: str, wave: str | None = None) -> pd.DataFrame:
        """One row per accepted response, ready for a design, indexed by ``response_id``.

        Columns: ``batch``, ``row``, ``record_id``, ``mode`` (``paper``/``online``, the key of the ``mode``
        weighting variable), ``wave``, ``submitted_at``, ``started_at``, ``duration_seconds``,
        ``ip_location``, ``flagged``, then one column per item as in :class:`~surveys.ingest.mapping.MappedExport`
        (``Int64`` codes, tuples for multiple choice, ``Float64`` numbers, text). Not asked and missing
        are both missing here; :meth:`asked` tells them apart.
        """
        responses, answers, items, types = self._accepted(questionnaire_id, wave)
        frame = responses.set_index("response_id")
        frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
        frame["started_at"] = pd.to_datetime(frame["started_at"])
        frame["duration_seconds"] = frame["duration_seconds"].astype("Int64")
        frame["flagged"] = frame["flagged"].astype(bool)
        answered = answers[answers["state"] == "answered"].set_index(["response_id", "item_id"])
        for item_id in items:
            kind = types[item_id]
            try:
                cells = answered.xs(item_id, level="item_id")
            except KeyError:
                cells = answered.iloc[0:0].droplevel("item_id")
            if kind == "single":
                values = cells["code"].astype("Int64")
            elif kind == "multiple":
                values = cells["codes"].map(lambda text: tuple(json.loads(text)))
            elif kind == "number":
                values = cells["number"].astype("Float64")
            else:
                values = cells["text"].astype(object)
            column = values.reindex(frame.index)
            if kind == "multiple" or kind == "text":
                column = column.astype(object).where(column.notna(), None)
            frame[item_id] = column
        return frame

    def asked(self, questionnaire_id: str, wave: str | None = None) -> pd.DataFrame:
        """Booleans aligned with :meth:`responses`' item columns: False where the item was not asked."""
        responses, answers, items, _ = self._accepted(questionnaire_id, wave)
        states = answers.pivot(index="response_id", columns="item_id", values="state")
        states = states.reindex(index=responses["response_id"], columns=items)
        return states.ne("not_asked") & states.notna()


def _put(sheet, row: int, column: int, value: Any) -> None:
    """One cell; text goes through :func:`surveys.spreadsheet_text.write_text_cell` (an explicit string cell,
    quote prefix when it looks like a formula, characters XML cannot hold replaced), so no cell is a formula."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, (bool, int, float)) and not isinstance(value, str):
        cell.value = value
        return
    if isinstance(value, (pd.Timestamp, datetime.datetime)):
        cell.value = pd.Timestamp(value).to_pydatetime()
        return
    write_text_cell(cell, value)


def export_workbook(store: "Store", questionnaire_id: str, path: str | os.PathLike, *, wave: str | None = None,
                    lang: str = "zh") -> int:
    """Write the accepted responses of one questionnaire to ``path`` (xlsx); return the rows written.

    Sheet ``responses``: the meta columns, then per item its code(s) and, for choice items, a ``<item>_label``
    column (multiple choice: codes joined by ``,``, labels by ``、``; not asked: empty code, label ``(跳过)``
    / ``(not asked)``). Sheet ``codebook``: every item with its text and categories. Free text is written
    as explicit string cells (see :func:`_put`), so a comment such as ``=HYPERLINK(...)`` stays text.
    """
    import openpyxl

    questionnaire = store.questionnaire(questionnaire_id)
    frame = store.responses(questionnaire_id, wave=wave)
    asked = store.asked(questionnaire_id, wave=wave)
    not_asked = "(跳过)" if lang == "zh" else "(not asked)"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "responses"
    meta = ["batch", "row", "record_id", "mode", "wave", "submitted_at", "duration_seconds", "ip_location", "flagged"]
    headers: list[str] = ["response_id", *meta]
    items = [column for column in asked.columns]
    for item_id in items:
        headers.append(item_id)
        if questionnaire.has_item(item_id) and questionnaire.scale_of(item_id) is not None:
            headers.append(f"{item_id}_label")
    for column, header in enumerate(headers, start=1):
        _put(sheet, 1, column, header)
    for offset, (response_id, record) in enumerate(frame.iterrows(), start=2):
        cells: list[Any] = [int(response_id), *[record[name] for name in meta]]
        for item_id in items:
            value = record[item_id]
            scale = questionnaire.scale_of(item_id) if questionnaire.has_item(item_id) else None
            shown = bool(asked.at[response_id, item_id])
            if isinstance(value, tuple):
                cells.append(",".join(str(code) for code in value))
                labels = "、".join(scale.label(code, lang) for code in value) if scale is not None else None
            else:
                cells.append(None if value is None or value is pd.NA else (int(value) if scale is not None else value))
                labels = scale.label(int(value), lang) if scale is not None and value is not None \
                    and value is not pd.NA else None
            if scale is not None:
                cells.append(labels if shown else not_asked)
        for column, value in enumerate(cells, start=1):
            _put(sheet, offset, column, value)
    codebook = workbook.create_sheet("codebook")
    for column, header in enumerate(("item", "text", "type", "code", "label"), start=1):
        _put(codebook, 1, column, header)
    line = 2
    for item in questionnaire.items:
        scale = questionnaire.scale_of(item.id)
        categories = scale.categories if scale is not None else (None,)
        for category in categories:
            values = (item.id, item.text.get(lang), item.type, category.code if category else None,
                      category.label.get(lang) if category else None)
            for column, value in enumerate(values, start=1):
                _put(codebook, line, column, value)
            line += 1
    try:
        workbook.save(path)
    except OSError as error:
        raise StoreError(f"cannot write {path} ({error.strerror or error}); choose another -o path") from None
    return len(frame)


def _objects(values, convert) -> np.ndarray:
    """An object array of Python values (``convert`` applied) with None where missing: what sqlite3 binds."""
    out = np.full(len(values), None, dtype=object)
    for index, value in enumerate(values):
        if value is not None and value is not pd.NA and not (isinstance(value, float) and value != value):
            out[index] = convert(value)
    return out


def _answer_rows(mapped: MappedExport, response_ids: pd.Series) -> list[tuple]:
    """Long answer rows in response order (items inner), with the state of each cell; built column by column."""
    size, ids = mapped.rows_read, response_ids.to_numpy(dtype=object)
    parts = []
    for position, item_id in enumerate(mapped.codes.columns):
        kind, column = mapped.item_types[item_id], mapped.codes[item_id]
        asked = mapped.asked[item_id].to_numpy(dtype=bool)
        if kind == "multiple":
            present = column.map(lambda value: isinstance(value, tuple)).to_numpy(dtype=bool)
        else:
            present = column.notna().to_numpy(dtype=bool)
        answered = asked & present
        values = np.where(answered, column.to_numpy(dtype=object), None)
        empty = np.full(size, None, dtype=object)
        part = {"response_id": ids, "item_id": item_id,
                "state": np.where(~asked, "not_asked", np.where(present, "answered", "missing")).astype(object),
                "code": _objects(values, int) if kind == "single" else empty,
                "codes": _objects(values, lambda codes: json.dumps([int(c) for c in codes])) if kind == "multiple"
                else empty,
                "number": _objects(values, float) if kind == "number" else empty,
                "text": _objects(values, str) if kind == "text" else empty,
                "position": position}
        parts.append(pd.DataFrame(part))
    if not parts:
        return []
    long = pd.concat(parts, ignore_index=True).sort_values(["response_id", "position"], kind="stable")
    return list(long.drop(columns="position").astype(object).itertuples(index=False, name=None))


def _paired(raws: list, labels: list) -> tuple[dict[int, Any], dict[int, int]]:
    """Which 问卷星 按选项序号 exports take their labels from which 按选项文本 export: ``labels`` (given as such) must
    each pair with one of ``raws``; among ``raws`` the pairs of the same responses are found
    (:func:`surveys.ingest.find_pairs`). Returns {code index: label export} and {label index in raws: code index}."""
    from surveys.ingest import alignment_problem, find_pairs

    partners: dict[int, Any] = {}
    for label in labels:
        codes = [index for index, raw in enumerate(raws) if index not in partners and raw.coding == "codes"]
        fitting = [index for index in codes if not alignment_problem(raws[index], label)]
        if not fitting:
            why = alignment_problem(raws[codes[0]], label) if codes else "no 按选项序号 (codes) export was given"
            raise IngestError(f"{label.path.name} (--labels): not the 按选项文本 download of the exports given: {why}")
        partners[fitting[0]] = label
    labelling: dict[int, int] = {}
    free = [index for index in range(len(raws)) if index not in partners]
    for code_index, label_index in find_pairs([raws[index] for index in free]):
        partners[free[code_index]] = raws[free[label_index]]
        labelling[free[label_index]] = free[code_index]
    return partners, labelling


def ingest_files(store: Store, paths, questionnaire: Questionnaire, *, labels=(), rules: ValidationRules | None = None,
                 platform: str | None = None, mode: str | None = None, wave: str | None = None) -> list[BatchResult]:
    """Read and map every file first (an unreadable file raises before anything is written), then store them all
    in one transaction (an error or an interruption while writing leaves the store as it was).

    The 问卷星 按选项序号 and 按选项文本 downloads of the same responses (same 序号 and submission times, row by
    row) are one set of respondents: they are read together (codes decoded, labels cross-checked) and stored
    once; the 按选项文本 file's result has ``role="labels_for"``. ``labels``: 按选项文本 files given as such (each
    must pair with one of ``paths``). Exports of different surveys stay separate batches. Results are in the
    order of ``paths``, then ``labels``.
    """
    from surveys.ingest import pair_exports, read_export

    paths, labels = [pathlib.Path(path) for path in paths], [pathlib.Path(path) for path in labels]
    for path in (*paths, *labels):
        if path.is_dir():
            raise IngestError(f"{path}: is a folder; expected an export file (xlsx, xls, csv, sav); name the files "
                              f"in it, e.g. {path / '*.xlsx'}")
        if not path.is_file():
            raise IngestError(f"{path}: no such file; expected an export file (xlsx, xls, csv, sav)")
    raws = [read_for_questionnaire(path, questionnaire, platform=platform) for path in paths]
    label_raws = [read_export(path, platform="wjx", coding="labels") for path in labels]
    partners, labelling = _paired(raws, label_raws)
    pseudonymiser = store.pseudonymiser()
    order = [index for index in range(len(raws)) if index not in labelling]
    prepared = [map_export(pair_exports(raws[index], partners[index]) if index in partners else raws[index],
                           questionnaire, platform=platform, pseudonymiser=pseudonymiser, mode=mode, wave=wave)
                for index in order]
    stored = dict(zip(order, store.add_all(prepared, questionnaire, rules=rules)))
    results = [stored[labelling[index]].labelling(raws[index]) if index in labelling else stored[index]
               for index in range(len(raws))]
    by_label = {id(label): code_index for code_index, label in partners.items()}
    return results + [stored[by_label[id(label)]].labelling(label) for label in label_raws]
