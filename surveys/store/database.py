"""The response store: one SQLite file (stdlib ``sqlite3``) that keeps every row, accepted or rejected.

Tables (``Store.SCHEMA``):

- ``batches``: one per ingested file: file name, SHA-256 (and the label file's, for a 问卷星 pair),
  platform, reader, encoding, coding, mode, questionnaire id and version, wave, time, the row accounting
  (``rows_read = accepted + rejected``, ``flagged``; ``blank_rows``, the entirely blank rows, which are no
  respondents and are not in ``rows_read``) and the reasons (JSON ``{code: rows}``).
  ``UNIQUE(sha256, questionnaire_id)``: ingesting the same file twice adds nothing.
- ``responses``: one per data row of every batch (``status`` accepted / rejected, ``flagged``), with the
  record id, mode, wave, times, duration and the IP's 省-市; ``identifiers``: the keyed-hash tokens of their
  personal identifiers (kind, token: IP, OpenID, phone, …), never the raw values (the record id and time are
  not personal: the duplicate rule compares them as stored). The HMAC key of the tokens is NOT in the store: it lives in a key
  file of its own (:mod:`surveys.ingest.pseudonym_key`); ``store_info`` keeps only its fingerprint.
- ``answers`` (a view): long format, one row per response and item: ``state`` is ``answered``, ``missing`` (asked,
  not answered) or ``not_asked`` (hidden by skip logic); the value is in ``code`` (single choice),
  ``codes`` (multiple choice, a JSON list in scale order, ``[]`` = none ticked), ``number`` or ``text``.
  Long, so instruments of any length and version share one table and the three states round-trip. The answers
  are stored by column (``answer_columns``, :mod:`surveys.store.answers`: one row per batch, item and chunk of
  responses), which the view unfolds: a million respondents are not sixteen million inserts.
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
import itertools
import json
import os
import pathlib
import secrets
import sqlite3
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from surveys.columns import by_distinct
from surveys.errors import IngestError, StoreError
from surveys.gc_pause import paused_collection
from surveys.ingest import alignment_problem, find_pairs, pair_exports, read_export
from surveys.ingest.background import in_background
from surveys.ingest.chunks import ChunkMismatch, read_chunks
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
from surveys.ingest.table import file_sha256
from surveys.questionnaire import Questionnaire, load_questionnaire
from surveys.spreadsheet_text import write_text_cell
from surveys.store.answers import ANSWER_SCHEMA, column_row, encode_item, read_item
from surveys.validate import (
    RECORD_KEY,
    ValidationReport,
    ValidationRules,
    duplicate_issues,
    duplicate_keys,
    record_key,
    validate_export,
)

__all__ = ["Store", "BatchResult", "ingest_files", "export_workbook"]

SCHEMA_VERSION = "3"
_BUSY_TIMEOUT_SECONDS = 60.0
_CACHE_KIB = 64 * 1024
# files at least this large are read in a second process while this one maps, validates and writes
# (surveys.ingest.background); below it a second process costs more than it saves
BACKGROUND_BYTES = 32 << 20
_ATTEMPTS = 8
# responses written per executemany (and per progress call); the answers of a chunk are one row per item
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
    PRIMARY KEY (response_id, kind)) WITHOUT ROWID;
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
""" + ANSWER_SCHEMA
_META_COLUMNS = ("record_id", "mode", "wave", "submitted_at", "started_at", "duration_seconds", "ip_location")


def _upgrade_from_1(connection: sqlite3.Connection) -> None:
    """Schema 1 → 2, inside the opening transaction: batches count their blank rows (0 for earlier batches,
    whose blank rows were counted as rejected respondents); the key moves out (:meth:`Store._move_key_out`)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(batches)")}
    if "blank_rows" not in columns:
        connection.execute("ALTER TABLE batches ADD COLUMN blank_rows INTEGER NOT NULL DEFAULT 0")
    _upgrade_from_2(connection)


def _upgrade_from_2(connection: sqlite3.Connection) -> None:
    """Schema 2 → 3, inside the opening transaction: the long ``answers`` table becomes ``answer_columns`` (one row
    per batch, item and chunk of responses; :mod:`surveys.store.answers`) and the view ``answers`` over them; the
    index of identifier tokens goes."""
    kinds = dict(connection.execute("SELECT name, type FROM sqlite_master WHERE name = 'answers'").fetchall())
    if kinds.get("answers") == "table":
        long = pd.read_sql_query("SELECT a.*, r.batch_id, bi.type FROM answers a JOIN responses r ON r.response_id = "
                                 "a.response_id JOIN batch_items bi ON bi.batch_id = r.batch_id AND bi.item_id = "
                                 "a.item_id", connection)
        for (batch_id, item_id, kind), cells in long.groupby(["batch_id", "item_id", "type"], sort=False):
            ids = connection.execute("SELECT response_id FROM responses WHERE batch_id = ? ORDER BY response_id",
                                     (int(batch_id),)).fetchall()
            index = pd.Index([row[0] for row in ids])
            cells = cells.set_index("response_id").reindex(index)
            value = {"single": "code", "multiple": "codes", "number": "number"}.get(kind, "text")
            column = cells[value] if kind != "multiple" else cells["codes"].map(
                lambda text: tuple(json.loads(text)) if isinstance(text, str) else None)
            if kind == "single":
                column = column.astype("Int64")
            asked = cells["state"].isin(["answered", "missing"]).to_numpy()
            connection.execute("INSERT INTO answer_columns VALUES (?, ?, ?, ?, ?, ?)",
                               column_row(int(batch_id), item_id, kind, int(index[0]), *encode_item(kind, column, asked)))
        connection.execute("DROP TABLE answers")
        for statement in ANSWER_SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
    # the index of tokens served no query of the toolkit and cost most of the time of inserting them
    connection.execute("DROP INDEX IF EXISTS identifiers_token")
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


_BATCH_FIELDS = ("batch_id, file_name, sha256, platform, encoding, rows_read, accepted, rejected, flagged, reasons, "
                 "questionnaire_id, wave, mode, reader, blank_rows")


def _stored_result(row: tuple, path) -> BatchResult:
    """The result of a file the store already holds, from its ``batches`` row (:data:`_BATCH_FIELDS` first)."""
    return BatchResult(path=str(path), sha256=row[2], platform=row[3], encoding=row[4], rows_read=row[5],
                       accepted=row[6], rejected=row[7], flagged=row[8], reasons=json.loads(row[9]), batch_id=row[0],
                       questionnaire_id=row[10], wave=row[11], mode=row[12], already_ingested=True, reader=row[13],
                       blank_rows=row[14])


def _read(path: pathlib.Path, questionnaire: Questionnaire, platform, read_options: Mapping[str, Any]):
    """The chunks of ``path`` as read (run in the reading process of :func:`surveys.ingest.background.in_background`;
    the mapping, which holds the pseudonymisation key, stays in this process)."""
    return read_for_questionnaire(path, questionnaire, platform=platform, in_chunks=True, **read_options)


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
        # a page cache of up to 64 MB (the default is 2 MB): the pages a large batch writes stay in memory
        connection.execute(f"PRAGMA cache_size = {-_CACHE_KIB}")
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
        elif found[0] == "2":
            _upgrade_from_2(connection)
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
               progress: Callable[[int, int | None], None] | None = None, **read_options: Any) -> BatchResult:
        """Read, map, validate and store one file as one batch; see :meth:`add`. A file the store holds (same SHA-256
        and questionnaire) is not read: its stored counts come back with ``already_ingested=True``."""
        stored = self.stored_files([pathlib.Path(path)], questionnaire.id)
        if stored:
            return stored[0]
        return self.ingest_streamed([pathlib.Path(path)], questionnaire, rules=rules, platform=platform, mode=mode,
                                    wave=wave, progress=progress, **read_options)[0]

    def ingest_streamed(self, paths: "list[pathlib.Path]", questionnaire: Questionnaire, *,
                        rules: ValidationRules | None = None, platform: str | None = None, mode: str | None = None,
                        wave: str | None = None, progress: Callable[[int, int | None], None] | None = None,
                        file_progress: Callable[[pathlib.Path], None] | None = None,
                        **read_options: Any) -> list[BatchResult]:
        """Read, map, validate and store ``paths`` in ONE transaction, each file as one batch, in chunks of rows
        (:mod:`surveys.ingest.chunks`: memory bounded by the chunk) where its platform allows, else whole. A file
        the store holds (same SHA-256) is not read. ``file_progress(path)`` is called as each file starts."""
        rules = rules or ValidationRules()
        pseudonymiser = self.pseudonymiser()

        def work(connection):
            connection.execute("BEGIN IMMEDIATE")
            results = []
            for path in paths:
                if file_progress is not None:
                    file_progress(path)
                results.append(self._stream_one(connection, path, questionnaire, rules, progress, pseudonymiser,
                                                platform, mode, wave, read_options))
            connection.execute("COMMIT")
            return results

        with paused_collection():   # millions of cells and no cycles among them (see surveys.gc_pause)
            return self._retry(work)

    def _stream_one(self, connection, path: pathlib.Path, questionnaire: Questionnaire, rules: ValidationRules,
                    progress, pseudonymiser: Pseudonymiser, platform, mode, wave, read_options) -> BatchResult:
        stored = connection.execute(f"SELECT {_BATCH_FIELDS} FROM batches WHERE sha256 = ? AND questionnaire_id = ?",
                                    (file_sha256(path), questionnaire.id)).fetchone()
        if stored is not None:
            return _stored_result(stored, path)

        def mapped(raws):
            return (map_export(raw, questionnaire, platform=platform, pseudonymiser=pseudonymiser, mode=mode,
                               wave=wave) for raw in raws)

        if path.stat().st_size >= BACKGROUND_BYTES:   # a large file: read beside the mapping and writing
            chunks = mapped(in_background(_read, path, questionnaire, platform, read_options))
        else:
            chunks = mapped(read_for_questionnaire(path, questionnaire, platform=platform, in_chunks=True,
                                                   **read_options))
        connection.execute("SAVEPOINT chunked")
        try:
            result = self._write(connection, chunks, questionnaire, rules, progress)
        except ChunkMismatch:   # a later chunk read otherwise than the first: read the file whole instead
            connection.execute("ROLLBACK TO chunked")
            whole = read_for_questionnaire(path, questionnaire, platform=platform, **read_options)
            result = self._write(connection, mapped([whole]), questionnaire, rules, progress)
        connection.execute("RELEASE chunked")
        return result

    def add(self, mapped: MappedExport, questionnaire: Questionnaire, *, rules: ValidationRules | None = None,
            progress: Callable[[int, int | None], None] | None = None) -> BatchResult:
        """Validate ``mapped`` against the store's earlier submissions and write it as ONE transaction.

        A file already in the store (same SHA-256 and questionnaire) adds nothing: its stored counts are
        returned with ``already_ingested=True``. ``progress(done, total)`` is called after each chunk of
        responses written, inside the transaction; ``total`` is the file's rows, or None while a file read in chunks
        has more to come.
        """
        return self.add_all([mapped], questionnaire, rules=rules, progress=progress)[0]

    def add_all(self, mapped: "list[MappedExport]", questionnaire: Questionnaire, *,
                rules: ValidationRules | None = None,
                progress: Callable[[int, int | None], None] | None = None,
                file_progress: Callable[[pathlib.Path], None] | None = None) -> list[BatchResult]:
        """:meth:`add` for several files in ONE transaction: all are stored, or (an error, an interruption)
        none; each is validated against the earlier ones as if added one after the other.
        ``file_progress(path)`` is called as each file's rows start to be written."""
        rules = rules or ValidationRules()
        return self._retry(lambda connection: self._write_all(connection, mapped, questionnaire, rules, progress,
                                                              file_progress))

    def stored_files(self, paths: "list[pathlib.Path]", questionnaire_id: str,
                     labels: "list[pathlib.Path]" = ()) -> list[BatchResult] | None:
        """The stored results of ``paths`` (and the 按选项文本 files ``labels``) when the store holds every one of them
        for ``questionnaire_id`` — as a batch, or as the labels of a stored 问卷星 pair — found by SHA-256 before
        anything is parsed; None when any file is new (it must be read, with the files it may pair with)."""
        digests = [file_sha256(path) for path in (*paths, *labels)]

        def work(connection):
            found = {}
            for digest in digests:
                row = connection.execute(
                    f"SELECT {_BATCH_FIELDS}, label_sha256, NULL FROM batches WHERE sha256 = ? AND questionnaire_id = ? "
                    f"UNION ALL SELECT {_BATCH_FIELDS}, label_sha256, 1 FROM batches WHERE label_sha256 = ? AND "
                    "questionnaire_id = ? LIMIT 1", (digest, questionnaire_id, digest, questionnaire_id)).fetchone()
                if row is None:
                    return None
                found[digest] = row
            return found

        found = self._retry(work)
        if found is None:
            return None
        for position, digest in enumerate(digests):
            pair_label = bool(found[digest][-1])
            if pair_label and found[digest][2] not in digests or position >= len(paths) and not pair_label:
                return None   # a label file without its code file, or a --labels file stored as a batch: read them
        given = dict(zip(digests, (*paths, *labels)))
        results = []
        for path, digest in zip((*paths, *labels), digests):
            row = found[digest]
            result = _stored_result(row, path)
            if row[-1]:   # the 按选项文本 half of a stored pair
                code_path = next((str(other) for other, sha in zip((*paths, *labels), digests) if sha == row[2]), "")
                result = dataclasses.replace(result, sha256=digest, encoding="", accepted=0, rejected=0, flagged=0,
                                             reasons={}, role="labels_for", labels="", labels_for=code_path,
                                             blank_rows=0)
            elif row[-2]:
                result = dataclasses.replace(result, labels=str(given.get(row[-2], "")))
            results.append(result)
        return results

    def _existing(self, connection, mapped: MappedExport) -> BatchResult | None:
        row = connection.execute(f"SELECT {_BATCH_FIELDS} FROM batches WHERE sha256 = ? AND questionnaire_id = ?",
                                 (mapped.sha256, mapped.questionnaire_id)).fetchone()
        if row is None:
            return None
        return dataclasses.replace(_stored_result(row, mapped.path),
                                   labels=str(mapped.label_path) if mapped.label_path else "")

    def _earlier(self, connection, questionnaire_id: str, wave: str) -> pd.DataFrame:
        """The earlier submissions of ``questionnaire_id`` and ``wave``: their identifier tokens, record key and
        submission time, and ``where`` they are (``batch 3 row 7``), by submission time."""
        responses = connection.execute(
            "SELECT r.response_id, r.batch_id, r.row, r.submitted_at, r.record_id, b.platform FROM responses r "
            "JOIN batches b ON b.batch_id = r.batch_id WHERE b.questionnaire_id = ? AND r.wave = ? "
            "ORDER BY r.response_id", (questionnaire_id, wave)).fetchall()
        if not responses:
            return pd.DataFrame()
        first = pd.DataFrame(responses, columns=["response_id", "batch_id", "row", "submitted_at", "record_id",
                                                 "platform"]).set_index("response_id")
        # batches stored by earlier versions also hold a keyed token of the record (kind 'record'): the key is
        # built from the response's own columns instead, for them as for the current file
        tokens = connection.execute(
            "SELECT i.response_id, i.kind, i.token FROM identifiers i JOIN responses r ON r.response_id = "
            "i.response_id JOIN batches b ON b.batch_id = r.batch_id WHERE b.questionnaire_id = ? AND r.wave = ? "
            "AND i.kind != 'record'", (questionnaire_id, wave)).fetchall()
        long = pd.DataFrame(tokens, columns=["response_id", "kind", "token"])
        wide = long.pivot(index="response_id", columns="kind", values="token").reindex(first.index) if tokens \
            else pd.DataFrame(index=first.index)
        # the stored texts: whole seconds, or ISO 8601 with a fraction where a batch's times had one
        wide["submitted_at"] = pd.to_datetime(first["submitted_at"], format="ISO8601", errors="coerce")
        wide[list(RECORD_KEY)] = record_key(first["platform"], first["record_id"], wide["submitted_at"])
        wide["where"] = "batch " + first["batch_id"].astype(str) + " row " + first["row"].astype(str)
        return wide.sort_values("submitted_at", kind="stable").reset_index(drop=True)

    def _write_all(self, connection, mapped: "list[MappedExport]", questionnaire: Questionnaire,
                   rules: ValidationRules, progress, file_progress=None) -> list[BatchResult]:
        connection.execute("BEGIN IMMEDIATE")
        results = []
        for one in mapped:
            if file_progress is not None:
                file_progress(one.path)
            results.append(self._write(connection, [one], questionnaire, rules, progress))
        connection.execute("COMMIT")
        return results

    def _write(self, connection, chunks: "Iterable[MappedExport]", questionnaire: Questionnaire,
               rules: ValidationRules, progress) -> BatchResult:
        """One file as one batch, from its mapped chunks in file order (a file read whole is one chunk): the
        row rules per chunk, the duplicate rule once over the keys of every chunk and the earlier batches."""
        chunks = iter(chunks)
        first = next(chunks)
        existing = self._existing(connection, first)
        if existing is not None:
            return existing
        earlier = self._earlier(connection, first.questionnaire_id, first.wave)
        batch_id = self._insert_batch(connection, first, questionnaire, rules)
        written = _Written()
        # one chunk is read ahead, so that the last is known as it is written: until then the file's total is not
        # known and the progress says so (None), rather than a total of the rows read so far that looks final
        for mapped, last in _with_last(itertools.chain([first], chunks)):
            report = validate_export(mapped, questionnaire, rules, duplicates=False)
            done = written.rows_read

            def chunk_progress(count: int, total: int, done: int = done, last: bool = last) -> None:
                if progress is not None:
                    progress(done + count, done + total if last else None)

            ids = self._insert_rows(connection, batch_id, mapped, report, chunk_progress)
            written.add(mapped, report, ids)
        report, changes = written.finish(first.path.name, duplicate_issues(written.keys(), rules, earlier))
        connection.executemany("UPDATE responses SET status = ?, flagged = ? WHERE response_id = ?", changes)
        self._insert_issues(connection, batch_id, report, written)
        connection.execute(
            "UPDATE batches SET rows_read = ?, accepted = ?, rejected = ?, flagged = ?, reasons = ?, blank_rows = ? "
            "WHERE batch_id = ?", (report.rows_read, report.accepted, len(report.rejected), len(report.flagged),
                                   json.dumps(report.reasons, ensure_ascii=False), written.blank_rows, batch_id))
        return BatchResult(path=str(first.path), sha256=first.sha256, platform=first.platform,
                           encoding=first.encoding, rows_read=report.rows_read, accepted=report.accepted,
                           rejected=len(report.rejected), flagged=len(report.flagged), reasons=report.reasons,
                           batch_id=batch_id, questionnaire_id=first.questionnaire_id, wave=first.wave,
                           mode=first.mode, report=report, reader=first.reader_platform, blank_rows=written.blank_rows,
                           labels=str(first.label_path) if first.label_path else "")

    def _insert_batch(self, connection, mapped, questionnaire, rules) -> int:
        """The batch's row (its counts are set when its last chunk is written) and its items."""
        definition = questionnaire.source_path.read_text(encoding="utf-8") if questionnaire.source_path.exists() else ""
        connection.execute("INSERT OR IGNORE INTO questionnaires VALUES (?, ?, ?, ?)",
                           (questionnaire.id, questionnaire.version, questionnaire.source_path.name, definition))
        rules_json = json.dumps(rules.to_mapping(), ensure_ascii=False)
        cursor = connection.execute(
            "INSERT INTO batches (file_name, sha256, label_file_name, label_sha256, platform, reader, encoding, coding, "
            "mode, questionnaire_id, questionnaire_version, wave, ingested_at, rows_read, accepted, rejected, flagged, "
            "reasons, rules, blank_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, '{}', ?, 0)",
            (mapped.path.name, mapped.sha256, mapped.label_path.name if mapped.label_path else None,
             mapped.label_sha256 or None, mapped.platform, mapped.reader_platform, mapped.encoding, mapped.coding,
             mapped.mode, mapped.questionnaire_id, mapped.questionnaire_version, mapped.wave,
             datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), rules_json))
        batch_id = int(cursor.lastrowid)
        connection.executemany("INSERT INTO batch_items VALUES (?, ?, ?, ?)",
                               [(batch_id, item_id, kind, position)
                                for position, (item_id, kind) in enumerate(mapped.item_types.items())])
        return batch_id

    def _insert_issues(self, connection, batch_id: int, report: ValidationReport, written: "_Written") -> None:
        issues = report.issues
        ids = written.response_ids(issues["row"].to_numpy(dtype=np.int64))
        connection.executemany(
            "INSERT INTO issues (batch_id, response_id, row, code, action, column_name, value, message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(batch_id, response_id, int(row), code, action, where, value, message)
             for response_id, (code, row, where, value, message, action)
             in zip(ids, issues.itertuples(index=False, name=None))])

    def _insert_rows(self, connection, batch_id: int, mapped: MappedExport, report: ValidationReport,
                     progress) -> np.ndarray:
        """The responses, their identifiers and answers, in slices of :data:`_CHUNK` (columnwise); returns the
        response ids given to the rows."""
        first_id = connection.execute("SELECT COALESCE(MAX(response_id), 0) + 1 FROM responses").fetchone()[0]
        size = mapped.rows_read
        ids = np.arange(first_id, first_id + size, dtype=np.int64)
        rows = mapped.rows.to_numpy(dtype=np.int64)
        status = np.where(np.isin(rows, np.asarray(report.rejected, dtype=np.int64)), "rejected", "accepted")
        flagged = np.isin(rows, np.asarray(report.flagged, dtype=np.int64)).astype(int)
        meta = _meta_columns(mapped.meta)
        encoded = {item_id: encode_item(mapped.item_types[item_id], mapped.codes[item_id],
                                        mapped.asked[item_id].to_numpy(dtype=bool)) for item_id in mapped.codes.columns}
        tokens = {kind: (mapped.identifiers[kind].notna().to_numpy(), mapped.identifiers[kind].to_numpy(dtype=object))
                  for kind in mapped.identifiers.columns}
        for start in range(0, size, _CHUNK):
            stop = min(start + _CHUNK, size)
            part = slice(start, stop)
            connection.executemany(
                "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                zip(ids[part].tolist(), [batch_id] * (stop - start), rows[part].tolist(), status[part].tolist(),
                    flagged[part].tolist(), meta["record_id"][part], [mapped.mode] * (stop - start),
                    [mapped.wave] * (stop - start), meta["submitted_at"][part], meta["started_at"][part],
                    meta["duration_seconds"][part], meta["ip_location"][part], meta["extra"][part]))
            for kind, (present, values) in tokens.items():
                # one statement per kind and slice: SQLite unfolds the JSON array of tokens (null where the
                # response has none) itself, 2 million identifiers 2.6 s -> 1.5 s against a row per token
                connection.execute("INSERT INTO identifiers SELECT ? + key, ?, value FROM json_each(?) "
                                   "WHERE value IS NOT NULL",
                                   (int(ids[start]), kind, json.dumps(np.where(present[part], values[part],
                                                                               None).tolist())))
            connection.executemany("INSERT INTO answer_columns VALUES (?, ?, ?, ?, ?, ?)", [
                column_row(batch_id, item_id, mapped.item_types[item_id], int(ids[start]), states[part], values[part])
                for item_id, (states, values) in encoded.items()])
            progress(stop, size)
        return ids

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

    def _accepted(self, questionnaire_id: str, wave: str | None) -> tuple[pd.DataFrame, dict, list, dict]:
        """The accepted responses (one row each), and per item its response ids, states and values over every batch
        of ``questionnaire_id`` (all responses: :meth:`responses` keeps the accepted ones)."""
        where, parameters = "b.questionnaire_id = ? AND r.status = 'accepted'", [questionnaire_id]
        if wave is not None:
            where += " AND r.wave = ?"
            parameters.append(str(wave))
        responses = self._query(
            "SELECT r.response_id, r.batch_id AS batch, r.row, r.record_id, r.mode, r.wave, r.submitted_at, "
            "r.started_at, r.duration_seconds, r.ip_location, r.flagged FROM responses r "
            f"JOIN batches b ON b.batch_id = r.batch_id WHERE {where} ORDER BY r.response_id", tuple(parameters))
        items = self._query(
            "SELECT bi.item_id, bi.type, MIN(bi.position) AS position FROM batch_items bi JOIN batches b "
            "ON b.batch_id = bi.batch_id WHERE b.questionnaire_id = ? GROUP BY bi.item_id, bi.type ORDER BY position",
            (questionnaire_id,))
        if items.empty:
            raise StoreError(f"{self.path} has no batches of questionnaire '{questionnaire_id}'; ingest its exports "
                             "first (surveys ingest FILE --questionnaire Q.yaml --store ...)")

        def work(connection):
            cursor = connection.execute(
                "SELECT c.item_id, c.first_response, c.states, c.answer_values FROM answer_columns c JOIN batches b "
                "ON b.batch_id = c.batch_id WHERE b.questionnaire_id = ? ORDER BY c.item_id, c.first_response",
                (questionnaire_id,))
            chunks: dict[str, list] = {}
            for item_id, first, states, values in cursor:
                chunks.setdefault(item_id, []).append((first, states, values))
            return chunks

        chunks = self._retry(work)
        answers = {item_id: read_item(chunks.get(item_id, ())) for item_id in items["item_id"]}
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
        columns = {}
        for item_id in items:
            kind = types[item_id]
            ids, states, values = answers[item_id]
            cells = np.fromiter(values, dtype=object, count=len(values))
            cells[states != b"a"] = None
            if kind == "single":
                column = pd.Series(cells, index=ids).astype("Float64").astype("Int64")
            elif kind == "multiple":
                answered = states == b"a"
                cells[answered] = np.fromiter((tuple(codes) for codes in cells[answered]), dtype=object,
                                              count=int(answered.sum()))
                column = pd.Series(cells, index=ids, dtype=object)
            elif kind == "number":
                column = pd.Series(cells, index=ids).astype("Float64")
            else:
                column = pd.Series(cells, index=ids, dtype=object)
            column = column.reindex(frame.index)
            if kind == "multiple" or kind == "text":
                column = column.astype(object).where(column.notna(), None)
            columns[item_id] = column
        return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1) if columns else frame

    def asked(self, questionnaire_id: str, wave: str | None = None) -> pd.DataFrame:
        """Booleans aligned with :meth:`responses`' item columns: False where the item was not asked."""
        responses, answers, items, _ = self._accepted(questionnaire_id, wave)
        index = pd.Index(responses["response_id"], name="response_id")
        asked = {item_id: pd.Series(answers[item_id][1] != b"n", index=answers[item_id][0]).reindex(
                 index, fill_value=False) for item_id in items}
        return pd.DataFrame(asked, index=index, columns=pd.Index(items, name="item_id"))


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


def _texts(column: pd.Series) -> list:
    """A meta column as the store's text (``_text`` of each value, computed once per distinct value)."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        return column.where(column.notna(), None).tolist()   # text already: _text is the identity
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        whole = column.dt.microsecond.eq(0) & column.dt.nanosecond.eq(0)
        if bool(whole.all()):
            text = column.dt.strftime("%Y-%m-%d %H:%M:%S")
            return text.astype(object).where(column.notna(), None).tolist()
    texts, _, _ = by_distinct(column.to_numpy(dtype=object), _text)
    return texts.tolist()


def _meta_columns(meta: pd.DataFrame) -> dict[str, list]:
    """The meta values of the ``responses`` table, one list per column; ``extra``: the other meta columns as one
    JSON object per response (names in column order, missing values left out)."""
    size = len(meta)

    def column(name: str) -> pd.Series:
        return meta[name] if name in meta else pd.Series(None, index=meta.index, dtype=object)

    found = {name: _texts(column(name)) for name in ("record_id", "submitted_at", "started_at", "ip_location")}
    durations = pd.to_numeric(column("duration_seconds"), errors="coerce")
    found["duration_seconds"] = np.asarray(durations.to_numpy(dtype="float64", na_value=np.nan).tolist(),
                                           dtype=object)
    found["duration_seconds"][durations.isna().to_numpy()] = None
    found["duration_seconds"] = [None if value is None else int(value) for value in found["duration_seconds"]]
    parts = []
    for name in [name for name in meta.columns if name not in _META_COLUMNS]:
        prefix = json.dumps(name, ensure_ascii=False) + ": "
        texts, _, _ = by_distinct(meta[name].to_numpy(dtype=object),
                                  lambda value, prefix=prefix: "" if _text(value) is None else
                                  prefix + json.dumps(_text(value), ensure_ascii=False), missing="")
        parts.append(texts)
    found["extra"] = ["{" + ", ".join(filter(None, cells)) + "}" for cells in zip(*parts)] if parts else ["{}"] * size
    return found


def _with_last(items: Iterable[Any]) -> Iterator[tuple[Any, bool]]:
    """``(item, is_last)`` pairs, the next item taken before the current one is handed out."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


class _Written:
    """What the chunks of one batch wrote, for the duplicate rule and the batch's counts at the end."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.rejected: list[np.ndarray] = []
        self.flagged: list[np.ndarray] = []
        self.issues: list[pd.DataFrame] = []
        self.key_frames: list[pd.DataFrame] = []
        self.rows_read = 0
        self.blank_rows = 0

    def add(self, mapped: MappedExport, report: ValidationReport, ids: np.ndarray) -> None:
        rows = mapped.rows.to_numpy(dtype=np.int64)
        self.rows.append(rows)
        self.ids.append(ids)
        self.rejected.append(np.isin(rows, np.asarray(report.rejected, dtype=np.int64)))
        self.flagged.append(np.isin(rows, np.asarray(report.flagged, dtype=np.int64)))
        self.issues.append(report.issues)
        self.key_frames.append(duplicate_keys(mapped))
        self.rows_read += mapped.rows_read
        self.blank_rows += mapped.blank_rows

    def keys(self) -> pd.DataFrame:
        return pd.concat(self.key_frames, ignore_index=True) if len(self.key_frames) > 1 else self.key_frames[0]

    def response_ids(self, rows: np.ndarray) -> list:
        """The response id of each row number (None for a file-level issue, row 0)."""
        all_rows, all_ids = np.concatenate(self.rows), np.concatenate(self.ids)
        found = np.searchsorted(all_rows, rows).clip(0, max(len(all_rows) - 1, 0))
        hit = (rows > 0) & (len(all_rows) > 0) & (all_rows[found] == rows) if len(all_rows) else np.zeros(len(rows), bool)
        return [int(all_ids[position]) if ok else None for position, ok in zip(found, hit)]

    def finish(self, name: str, duplicates: pd.DataFrame) -> tuple[ValidationReport, list[tuple]]:
        """The file's report (the chunks' issues and the duplicates, by row and code) and the ``(status, flagged,
        response_id)`` of the rows the duplicate rule changed."""
        rows, ids = np.concatenate(self.rows), np.concatenate(self.ids)
        rejected, flagged = np.concatenate(self.rejected), np.concatenate(self.flagged)
        found = duplicates[duplicates["row"] > 0]
        now_rejected = rejected | np.isin(rows, found.loc[found["action"] == "reject", "row"].to_numpy(dtype=np.int64))
        now_flagged = (flagged | np.isin(rows, found.loc[found["action"] == "flag", "row"].to_numpy(dtype=np.int64))) \
            & ~now_rejected
        changed = np.flatnonzero((now_rejected != rejected) | (now_flagged != flagged))
        changes = [("rejected" if now_rejected[i] else "accepted", int(now_flagged[i]), int(ids[i])) for i in changed]
        issues = pd.concat([*self.issues, duplicates], ignore_index=True).astype({"row": "int64"})
        issues["value"] = issues["value"].fillna("").astype(str)
        issues = issues.sort_values(["row", "code"], kind="stable").reset_index(drop=True)
        report = ValidationReport(path=name, rows_read=self.rows_read, rows=tuple(rows.tolist()),
                                  rejected=tuple(rows[now_rejected].tolist()), flagged=tuple(rows[now_flagged].tolist()),
                                  issues=issues[list(issues.columns)])
        return report, changes


def _paired(raws: list, labels: list) -> tuple[dict[int, Any], dict[int, int]]:
    """Which 问卷星 按选项序号 exports take their labels from which 按选项文本 export: ``labels`` (given as such) must
    each pair with one of ``raws``; among ``raws`` the pairs of the same responses are found
    (:func:`surveys.ingest.find_pairs`). Returns {code index: label export} and {label index in raws: code index}."""
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


def _may_pair(paths: "list[pathlib.Path]", platform: str | None) -> bool:
    """Whether two of ``paths`` may be the 按选项序号 and 按选项文本 downloads of one 问卷星 survey (they are then read
    whole and paired, :func:`ingest_files`): their first rows tell each file's reader and coding."""
    if len(paths) < 2 or platform not in (None, "wjx"):
        return False
    codings = set()
    for path in paths:
        probe = read_chunks(path, platform=platform, chunk_rows=2_000)
        if probe is None:
            return True   # read whole: its reader is known only then
        if probe.first.platform == "wjx":
            codings.add(probe.first.coding)
    return len(codings) > 1


def ingest_files(store: Store, paths, questionnaire: Questionnaire, *, labels=(), rules: ValidationRules | None = None,
                 platform: str | None = None, mode: str | None = None, wave: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None,
                 file_progress: Callable[[pathlib.Path], None] | None = None) -> list[BatchResult]:
    """Store every file in one transaction (an unreadable file, another error or an interruption leaves the store
    as it was); each file is read, mapped, validated and written in chunks of rows where its platform allows
    (:meth:`Store.ingest_streamed`). Files the store holds are found by SHA-256 and not read.

    The 问卷星 按选项序号 and 按选项文本 downloads of the same responses (same 序号 and submission times, row by
    row) are one set of respondents: they are read together (codes decoded, labels cross-checked) and stored
    once; the 按选项文本 file's result has ``role="labels_for"``. ``labels``: 按选项文本 files given as such (each
    must pair with one of ``paths``). Exports of different surveys stay separate batches. Results are in the
    order of ``paths``, then ``labels``.
    """
    paths, labels = [pathlib.Path(path) for path in paths], [pathlib.Path(path) for path in labels]
    for path in (*paths, *labels):
        if path.is_dir():
            raise IngestError(f"{path}: is a folder; expected an export file (xlsx, xls, csv, sav); name the files "
                              f"in it, e.g. {path / '*.xlsx'}")
        if not path.is_file():
            raise IngestError(f"{path}: no such file; expected an export file (xlsx, xls, csv, sav)")
    stored = store.stored_files(paths, questionnaire.id, labels)
    if stored is not None:
        return stored   # every file is in the store: nothing is read or mapped
    if not labels and not _may_pair(paths, platform):
        return store.ingest_streamed(paths, questionnaire, rules=rules, platform=platform, mode=mode, wave=wave,
                                     progress=progress, file_progress=file_progress)
    raws = [read_for_questionnaire(path, questionnaire, platform=platform) for path in paths]
    label_raws = [read_export(path, platform="wjx", coding="labels") for path in labels]
    partners, labelling = _paired(raws, label_raws)
    pseudonymiser = store.pseudonymiser()
    order = [index for index in range(len(raws)) if index not in labelling]
    prepared = [map_export(pair_exports(raws[index], partners[index]) if index in partners else raws[index],
                           questionnaire, platform=platform, pseudonymiser=pseudonymiser, mode=mode, wave=wave)
                for index in order]
    stored = dict(zip(order, store.add_all(prepared, questionnaire, rules=rules, progress=progress,
                                           file_progress=file_progress)))
    results = [stored[labelling[index]].labelling(raws[index]) if index in labelling else stored[index]
               for index in range(len(raws))]
    by_label = {id(label): code_index for code_index, label in partners.items()}
    return results + [stored[by_label[id(label)]].labelling(label) for label in label_raws]
