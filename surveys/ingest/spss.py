"""SPSS ``.sav`` files (docs/formats.md §9) through the optional ``pyreadstat`` package.

What statistics-bureau CATI centres and commissioned third parties hand over, and what 问卷星
exports as SAV. The dictionary is used as is: the variable label is the title, value labels become
``value_labels`` (and make the variable a single choice kept as codes), user-missing values and
ranges become ``None`` with the codes recorded in ``missing_codes``, and dichotomy multiple-response
sets become one multiple-choice question whose answer is the tuple of positions counted. Meta
variables are found by name (问卷星 and generic names). Validated against pyreadstat's public test
files (value labels, user-missing values and ranges, an MR set; read in place by the conformance tests).
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import pathlib
from typing import Any, Mapping

import pandas as pd

from surveys.checksum import sha256_bytes
from surveys.errors import IngestError
from surveys.ingest.build import ColumnValues
from surveys.ingest.meta import META_VOCABULARY, meta_frame_columns
from surveys.ingest.raw import RawExport, RawQuestion
from surveys.ingest.values import answers_frame, dedupe_keys
from surveys.ingest.wjx import META_NAMES as WJX

__all__ = ["read_spss", "INSTALL_HINT"]

INSTALL_HINT = "pip install pyreadstat"


def _pyreadstat(path: pathlib.Path):
    try:
        import pyreadstat
    except ImportError:
        raise IngestError(f"{path.name}: reading SPSS .sav files needs the optional package pyreadstat, which is "
                          f"not installed; run `{INSTALL_HINT}` (or export the data as xlsx/CSV instead)") from None
    return pyreadstat


def _in_ranges(value: Any, ranges) -> bool:
    for span in ranges:
        try:
            if span["lo"] <= value <= span["hi"]:
                return True
        except TypeError:
            continue
    return False


def _is_missing(value: Any, ranges) -> bool:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return _in_ranges(value, ranges)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime):
        return value
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def read_spss(path: pathlib.Path, data: bytes, *, encoding: str | None = None) -> RawExport:
    """The .sav file's cases, one answers row per case."""
    pyreadstat = _pyreadstat(path)
    try:
        frame, dictionary = pyreadstat.read_sav(str(path), user_missing=True, encoding=encoding)
    except Exception as error:  # pyreadstat raises ReadstatError, PyreadstatError and OSError variants
        raise IngestError(f"{path.name}: cannot read the SPSS file ({type(error).__name__}: {error}); expected a "
                          "complete .sav; download it again, or pass encoding='gbk' for old Chinese files") from None
    labels: Mapping[str, str | None] = dictionary.column_names_to_labels or {}
    value_labels: Mapping[str, Mapping] = dictionary.variable_value_labels or {}
    missing: Mapping[str, list] = dictionary.missing_ranges or {}
    mr_sets = {name: spec for name, spec in (getattr(dictionary, "mr_sets", None) or {}).items()
               if spec.get("is_dichotomy")}
    in_sets = {variable for spec in mr_sets.values() for variable in spec["variable_list"]}
    meta_found = {}
    for index, name in enumerate(frame.columns):
        normalised = _META_BY_NAME.get(str(name)) or _META_BY_NAME.get(str(labels.get(name) or ""))
        if normalised and normalised not in meta_found:
            meta_found[normalised] = index
    text_rows = [[_text(_plain(value)) for value in row] for row in frame.itertuples(index=False, name=None)]
    meta_values, problems = meta_frame_columns(text_rows, [str(c) for c in frame.columns], meta_found)
    columns: list[ColumnValues] = []
    meta_indexes = set(meta_found.values())
    for index, name in enumerate(frame.columns):
        if index in meta_indexes or name in in_sets:
            continue
        columns.append(_variable(str(name), labels.get(name), value_labels.get(name, {}), missing.get(name, []),
                                 frame[name].tolist(), str(dictionary.variable_measure.get(name, ""))))
    for set_name, spec in mr_sets.items():
        columns.append(_dichotomy_set(set_name, spec, frame, labels))
    keys = dedupe_keys([column.question.key for column in columns], reserved=("row", *meta_values))
    questions = tuple(dataclasses.replace(column.question, key=key) for column, key in zip(columns, keys))
    answers = answers_frame(range(1, len(frame) + 1), meta_values, {key: column.values for key, column in zip(keys, columns)})
    meta_columns = {name: str(frame.columns[index]) for name, index in meta_found.items()}
    return RawExport(platform="spss", path=path, sha256=sha256_bytes(data),
                     encoding=f"sav:{dictionary.file_encoding or 'unknown'}", sheet=None,
                     coding="codes" if value_labels else "labels", header_rows=0, meta_columns=meta_columns,
                     questions=questions, answers=answers, problems=tuple(problems))


def _variable(name: str, label: str | None, labels: Mapping, ranges: list, values: list, measure: str) -> ColumnValues:
    codes = [None if _is_missing(value, ranges) else _plain(value) for value in values]
    if labels:
        kind = "single"
    elif any(isinstance(value, str) for value in codes if value is not None):
        kind = "text"
    elif all(value is None or isinstance(value, (int, float)) for value in codes):
        kind = "number"
    else:
        kind = "text"  # dates and times stay as Python objects
    missing_codes = tuple(sorted({_plain(value) for value in values
                                  if not _is_missing(value, ()) and _in_ranges(value, ranges)}, key=str))
    question = RawQuestion(name, label or name, kind, (name,),
                           options=tuple(str(text) for text in labels.values()),
                           value_labels={_plain(code): str(text) for code, text in labels.items()},
                           missing_codes=missing_codes, declared_kind=bool(labels) or measure == "scale")
    return ColumnValues(question, codes)


def _dichotomy_set(set_name: str, spec: Mapping, frame, labels: Mapping) -> ColumnValues:
    variables = list(spec["variable_list"])
    counted = spec.get("counted_value")
    answers = []
    for row in frame[variables].itertuples(index=False, name=None):
        if all(value is None or (isinstance(value, float) and math.isnan(value)) for value in row):
            answers.append(None)
        else:
            answers.append(tuple(position for position, value in enumerate(row, start=1)
                                 if value is not None and _plain(value) == _plain(counted)))
    options = tuple(str(labels.get(variable) or variable) for variable in variables)
    question = RawQuestion(set_name, str(spec.get("label") or set_name), "multiple", tuple(variables), options,
                           value_labels={position: option for position, option in enumerate(options, start=1)},
                           declared_kind=True)
    return ColumnValues(question, answers)


def _meta_names() -> dict[str, str]:
    names = dict(WJX)
    names.update({name: name for name in META_VOCABULARY})
    return names


_META_BY_NAME = _meta_names()
