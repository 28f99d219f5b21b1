"""Respondent meta columns: found by name, parsed into one vocabulary for every platform.

Each platform module gives a map *header → normalised name* (``提交答卷时间 → submitted_at``,
``所用时间 → duration_seconds``, ``来自IP → ip``…); the columns are looked up by name, never by
position, because 问卷星's meta order changed between versions (docs/formats.md §2.2). Values are parsed
by the normalised name: ``*_at`` are string timestamps (``2023/9/8 12:24:22``, ``2021-02-02 20:26:58``,
``02-Feb-2021 20:26:58``), ``duration_seconds`` accepts ``137秒``, ``1分24秒``, ``38`` and ``0:02:17``,
``ip`` splits ``1.2.3.4(江苏-南京)`` into the address and ``ip_location``; scores, shares and
coordinates (:data:`NUMERIC_META`) are floats; everything else (ids, OpenIDs, channels) stays text. A value that does not parse
becomes missing with a :class:`ParseProblem`; the row stays.
"""
from __future__ import annotations

import datetime
import re
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.columns import by_distinct
from surveys.ingest.raw import ParseProblem
from surveys.ingest.values import quoted, to_number

__all__ = ["find_meta_columns", "parse_timestamp", "parse_duration", "MAX_DURATION_SECONDS", "split_ip", "meta_frame_columns", "NUMERIC_META",
           "META_VOCABULARY"]

_TIMESTAMP_FORMATS = (
    "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M",
    "%d-%b-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d",
)
_DURATION_UNITS = {"小时": 3600, "时": 3600, "分钟": 60, "分": 60, "秒": 1, "h": 3600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(小时|时|分钟|分|秒|h|m|s)", re.IGNORECASE)
# no questionnaire takes a year; a longer "duration" is a corrupted cell (and would not fit the store's integers)
MAX_DURATION_SECONDS = 366 * 24 * 3600
_DURATION_LENGTH = 40
_ADDRESS_CHARACTERS = "0123456789abcdefABCDEF:."
_IP_WITH_PLACE = re.compile(r"^\s*([0-9A-Fa-f:.]+)\s*[(（]\s*(.*?)\s*[)）]\s*$")


def parse_timestamp(text: str) -> datetime.datetime:
    """A platform timestamp string; ``ValueError`` when no known layout fits."""
    value = text.strip()
    if "." in value and value.count(":") == 2:
        value = value.split(".", 1)[0]  # drop fractional seconds
    for layout in _TIMESTAMP_FORMATS:
        try:
            return datetime.datetime.strptime(value, layout)
        except ValueError:
            continue
    raise ValueError(f"expected a timestamp such as '2023/9/8 12:24:22' or '2021-02-02 20:26:58', found {quoted(text)}")


def parse_duration(text: str) -> int:
    """Seconds from ``137秒``, ``1分24秒``, ``2小时``, ``38``, ``38.0`` or ``0:02:17`` (at most
    :data:`MAX_DURATION_SECONDS`); ``ValueError`` otherwise."""
    value = text.strip()
    if len(value) > _DURATION_LENGTH:
        raise ValueError(f"expected a duration such as '137秒', '1分24秒' or '137', found {quoted(text)}")
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    elif re.fullmatch(r"\d+:\d{1,2}(:\d{1,2})?", value):
        seconds = 0
        for part in value.split(":"):
            seconds = seconds * 60 + int(part)
    else:
        parts = _DURATION_PART.findall(value)
        if not parts or _DURATION_PART.sub("", value).strip() != "":
            raise ValueError(f"expected a duration such as '137秒', '1分24秒' or '137', found {quoted(text)}")
        seconds = sum(float(amount) * _DURATION_UNITS[unit.lower()] for amount, unit in parts)
    if not seconds <= MAX_DURATION_SECONDS:
        raise ValueError(f"expected a duration of at most {MAX_DURATION_SECONDS:,} seconds (a year), found "
                         f"{quoted(text)}")
    return int(round(seconds))


def split_ip(text: str) -> tuple[str, str | None]:
    """``('1.2.3.4', '江苏-南京')`` from ``1.2.3.4(江苏-南京)``; a bare address gives ``(address, None)``."""
    head, bracket, place = text.partition("(")
    address = head.strip()
    if bracket and place.endswith(")") and address and not address.strip(_ADDRESS_CHARACTERS) \
            and "（" not in place and "）" not in place[-2:]:
        return address, (place[:-1].strip() or None)   # the usual 1.2.3.4(江苏-南京), without the pattern
    match = _IP_WITH_PLACE.match(text)
    if match:
        return match.group(1), (match.group(2) or None)
    return text.strip(), None


def _header_key(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


def find_meta_columns(headers: Sequence[str], names: Mapping[str, str]) -> dict[str, int]:
    """Normalised name → column index, matching headers by name (whitespace and Latin case ignored).

    The first column with a given name wins; a header matching no name is a question.
    """
    wanted = {_header_key(header): name for header, name in names.items()}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = wanted.get(_header_key(header))
        if name is not None and name not in found:
            found[name] = index
    return found


# meta columns that hold numbers (scores, shares, coordinates); all others stay text
NUMERIC_META = frozenset({"total_score", "invalid_probability", "progress", "prize_amount", "location_latitude",
                          "location_longitude", "location_accuracy"})


def _parse_number(text: str) -> float:
    return float(to_number(text.strip().rstrip("%")))


def _parse_one(name: str, text: str):
    if name.endswith("_at"):
        return parse_timestamp(text)
    if name == "duration_seconds":
        return parse_duration(text)
    if name in NUMERIC_META:
        return _parse_number(text)
    return text.strip()


def _meta_cell(name: str, text: str) -> tuple[object, str]:
    """``(value, problem)`` of one meta cell (stripped text) that is parsed."""
    if text == "" or text.upper() == "N/A":
        return None, ""
    try:
        return _parse_one(name, text), ""
    except ValueError as error:
        return None, str(error)


# The common timestamp layouts, parsed for a whole column at once; other cells go through parse_timestamp.
_PLAIN_TIMESTAMP = re.compile(r"^\d{4}([/-])\d{1,2}\1\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}$")


def _timestamps(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Timestamps of a column of stripped texts parsed columnwise where the layout is plain (``2023/9/8 12:24:22``,
    ``2023-09-08 12:24:22``): ``(parsed, plain)``; cells outside ``plain`` are left to :func:`parse_timestamp`."""
    plain = texts.str.match(_PLAIN_TIMESTAMP).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    if plain.any():
        unified = texts[plain].str.replace("-", "/", regex=False)
        parsed[plain] = pd.to_datetime(unified, format="%Y/%m/%d %H:%M:%S", errors="coerce").astype("datetime64[us]")
    return parsed, plain & parsed.notna()


def _parsed(name: str) -> bool:
    """Whether the meta column ``name`` holds values parsed from its text (times, durations, numbers)."""
    return name.endswith("_at") or name == "duration_seconds" or name in NUMERIC_META


def _text_meta(name: str, texts: pd.Series, with_location: bool) -> dict[str, pd.Series]:
    """A meta column kept as text (empty and ``N/A`` missing), or the IP split into the address and its place
    (``ip_location`` when ``with_location``): one pass over the cells, most of which are distinct."""
    missing = [text == "" or text.upper() == "N/A" for text in texts.tolist()]
    if name != "ip":
        return {name: pd.Series(np.where(missing, None, texts.to_numpy(dtype=object)), dtype=object)}
    parts = [(None, None) if gone else split_ip(text) for text, gone in zip(texts.tolist(), missing)]
    found = {name: pd.Series([address for address, _ in parts], dtype=object)}
    if with_location:
        found["ip_location"] = pd.Series([place for _, place in parts], dtype=object)
    return found


def meta_frame_columns(rows: Sequence[Sequence[str]], headers: Sequence[str], found: Mapping[str, int],
                       first_row: int = 1, columns: Sequence[Sequence[str]] | None = None,
                       ) -> tuple[dict[str, pd.Series], list[ParseProblem]]:
    """Parsed meta columns for the answers frame, and the cells that did not parse.

    ``rows`` are the data rows (``first_row`` is the 1-based number of the first one). ``ip`` also
    fills ``ip_location`` when the file has no separate location column. Each column is parsed once per
    distinct value (and plain timestamps columnwise): a column of a million rows is not a million calls.
    ``columns``: the rows already transposed (as a reader may hold them), read instead of ``rows``.
    """
    cells_of = columns
    columns: dict[str, pd.Series] = {}
    problems: list[ParseProblem] = []
    location = None
    for name, index in found.items():
        texts = pd.Series([cell.strip() for cell in cells_of[index]] if cells_of is not None else
                          [row[index].strip() if index < len(row) else "" for row in rows], dtype=object)
        cells = texts
        parsed = plain = None
        if name == "ip" or not _parsed(name):   # text kept as it is (ids, channels) or split (IP): no parse to share
            found_columns = _text_meta(name, texts, "ip_location" not in found)
            location = found_columns.pop("ip_location", location)
            columns.update(found_columns)
            continue
        if name.endswith("_at") and len(texts):
            parsed, plain = _timestamps(texts)
            cells = texts.where(~plain, "")
        results, codes, distinct = by_distinct(cells.to_numpy(dtype=object),
                                               lambda text, name=name: _meta_cell(name, text),
                                               missing=(None, ""))
        troubled = [code for code, (_, problem) in enumerate(distinct) if problem]
        for position in np.flatnonzero(np.isin(codes, troubled)):
            problems.append(ParseProblem(first_row + int(position), headers[index], cells.iloc[position],
                                         distinct[codes[position]][1]))
        values = [result[0] for result in results]
        if parsed is not None:
            column = _typed(name, values)
            columns[name] = column.where(~plain, parsed)
        else:
            columns[name] = _typed(name, values)
    if location is not None:
        columns["ip_location"] = location
    if problems:
        problems.sort(key=lambda problem: problem.row)
    return columns, problems


def _typed(name: str, column: list) -> pd.Series:
    if name.endswith("_at"):
        return pd.Series(pd.to_datetime(pd.Series(column, dtype=object)), dtype="datetime64[us]")
    if name == "duration_seconds":
        return pd.Series(column, dtype="Int64")
    if name in NUMERIC_META:
        return pd.Series(column, dtype="Float64")
    return pd.Series(column, dtype=object)


# The normalised meta names of every platform; a generic mapping onto one of these makes a meta column.
META_VOCABULARY = frozenset({
    "respondent_id", "started_at", "ended_at", "submitted_at", "modified_at", "name", "duration_seconds", "source", "source_detail",
    "ip", "ip_location", "country", "province", "city", "user_agent", "open_id", "union_id", "nickname",
    "link_parameter", "total_score", "status", "progress", "finished", "cleaning_result", "invalid_probability",
    "language", "device", "operating_system", "browser", "referrer", "user_type", "review_status",
    "prize_at", "prize_amount", "email", "recipient_first_name", "recipient_last_name", "response_set",
    "location_latitude", "location_longitude", "location_accuracy", "distribution_channel", "interviewer",
    "form_number",
})
