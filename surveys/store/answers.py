"""The answers of a batch, stored by column: one ``answer_columns`` row per item and chunk of responses.

A long table with one row per response and item (what SQL users query) costs one B-tree insert per cell:
a million respondents of a 16-item questionnaire were 16 million inserts, most of an ingest's time. The
store keeps instead, per batch, item and chunk of consecutive responses (their ids are consecutive within
a batch): ``states``, one letter per response (``a`` answered, ``m`` missing: asked and not answered,
``n`` not asked), and ``answer_values``, a JSON array with one entry per response (the code, the list of
codes, the number or the text; ``null`` where not answered). The view ``answers`` unfolds them with
SQLite's ``json_each`` into the long form (``response_id, item_id, state, code, codes, number, text``), so
a query of ``answers`` reads as before; :func:`read_item` decodes a column without the view.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np
import pandas as pd

__all__ = ["ANSWER_SCHEMA", "STATES", "encode_item", "column_row", "read_item", "states_of"]

STATES = {"a": "answered", "m": "missing", "n": "not_asked"}
ANSWER_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_columns (
    batch_id INTEGER NOT NULL REFERENCES batches(batch_id), item_id TEXT NOT NULL, type TEXT NOT NULL,
    first_response INTEGER NOT NULL, states TEXT NOT NULL, answer_values TEXT NOT NULL,
    PRIMARY KEY (batch_id, item_id, first_response)) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS answers AS
    SELECT c.first_response + v.key AS response_id, c.item_id,
        CASE substr(c.states, v.key + 1, 1) WHEN 'a' THEN 'answered' WHEN 'm' THEN 'missing' ELSE 'not_asked' END
            AS state,
        CASE WHEN c.type = 'single' THEN v.value END AS code,
        CASE WHEN c.type = 'multiple' THEN v.value END AS codes,
        CASE WHEN c.type = 'number' THEN v.value END AS number,
        CASE WHEN c.type NOT IN ('single', 'multiple', 'number') THEN v.value END AS text
    FROM answer_columns c, json_each(c.answer_values) v
"""


def _values(kind: str, column: pd.Series, answered: np.ndarray) -> list[Any]:
    """The column as JSON-ready Python values, ``None`` where not answered."""
    if kind == "single":
        values = np.asarray(column.to_numpy(dtype="float64", na_value=np.nan))
        out = np.asarray(np.nan_to_num(values, nan=0).astype(np.int64).tolist(), dtype=object)
    elif kind == "number":
        out = np.asarray(column.to_numpy(dtype="float64", na_value=np.nan).tolist(), dtype=object)
    elif kind == "multiple":
        out = np.fromiter((list(map(int, value)) if isinstance(value, tuple) else None for value in column.tolist()),
                          dtype=object, count=len(column))
    else:
        out = column.to_numpy(dtype=object).copy()
    out[~answered] = None
    return out.tolist()


def encode_item(kind: str, column: pd.Series, asked: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """``(states, values)`` of one item's column: one state letter (``S1``) and one JSON-ready value per response."""
    if kind == "multiple":
        present = np.fromiter((isinstance(value, tuple) for value in column.tolist()), dtype=bool, count=len(column))
    else:
        present = column.notna().to_numpy(dtype=bool)
    states = np.where(~asked, b"n", np.where(present, b"a", b"m")).astype("S1")
    return states, _values(kind, column, asked & present)


def column_row(batch_id: int, item_id: str, kind: str, first_response: int, states: np.ndarray,
               values: list[Any]) -> tuple:
    """The ``answer_columns`` row of one item over consecutive responses from ``first_response``."""
    return (batch_id, item_id, kind, int(first_response), states.tobytes().decode("ascii"),
            json.dumps(values, ensure_ascii=False, separators=(",", ":")))


def states_of(text: str) -> np.ndarray:
    """The one-letter states of a stored column as a numpy array of ``b'a'``/``b'm'``/``b'n'``."""
    return np.frombuffer(text.encode("ascii"), dtype="S1")


def read_item(chunks: Iterable[tuple[int, str, str]]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``(response ids, states, values)`` of one item from its stored chunks ``(first_response, states,
    answer_values)``."""
    ids, states, values = [], [], []
    for first, letters, encoded in chunks:
        found = states_of(letters)
        ids.append(np.arange(first, first + len(found), dtype=np.int64))
        states.append(found)
        values.extend(json.loads(encoded))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="S1"), []
    return np.concatenate(ids), np.concatenate(states), values
