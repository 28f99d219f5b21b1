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

import pandas as pd

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


def meta_frame_columns(rows: Sequence[Sequence[str]], headers: Sequence[str], found: Mapping[str, int],
                       first_row: int = 1) -> tuple[dict[str, pd.Series], list[ParseProblem]]:
    """Parsed meta columns for the answers frame, and the cells that did not parse.

    ``rows`` are the data rows (``first_row`` is the 1-based number of the first one). ``ip`` also
    fills ``ip_location`` when the file has no separate location column.
    """
    values: dict[str, list] = {name: [] for name in found}
    locations: list = []
    problems: list[ParseProblem] = []
    for offset, row in enumerate(rows):
        for name, index in found.items():
            text = row[index].strip() if index < len(row) else ""
            if text == "" or text.upper() == "N/A":
                values[name].append(None)
                if name == "ip":
                    locations.append(None)
                continue
            if name == "ip":
                address, place = split_ip(text)
                values[name].append(address)
                locations.append(place)
                continue
            try:
                values[name].append(_parse_one(name, text))
            except ValueError as error:
                values[name].append(None)
                problems.append(ParseProblem(first_row + offset, headers[index], text, str(error)))
    columns: dict[str, pd.Series] = {}
    for name, column in values.items():
        columns[name] = _typed(name, column)
    if "ip" in found and "ip_location" not in found:
        columns["ip_location"] = pd.Series(locations, dtype=object)
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
