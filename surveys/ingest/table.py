"""Loading any tabular export into rows of text cells, the one shape every reader parses.

The container is recognised from the file's first bytes, not its extension (a workbook renamed to
``.csv`` still opens): ``PK`` → xlsx (python-calamine), the OLE signature → legacy BIFF ``.xls``
(python-calamine), ``$FL2``/``$FL3`` → SPSS (not tabular here), anything else → delimited text.
Every cell becomes a string, as ``pandas.read_csv(dtype=str)`` would give, so identifier-like
values (phone and ID numbers, OpenIDs, 序号) are never floats: a workbook number that is integral
is written without ``.0``; one of 16 digits or more is flagged, since Excel keeps only 15.
"""
from __future__ import annotations

import csv
import datetime
import io
import math
import pathlib
from dataclasses import dataclass

from surveys.checksum import sha256_bytes, sha256_file
from surveys.errors import IngestError
from surveys.ingest.encoding import NUL_REPLACEMENT, decode_bytes
from surveys.ingest.raw import ParseProblem
from surveys.ingest.workbook import open_sheet

__all__ = ["SourceTable", "load_table", "read_bytes", "file_sha256", "container_of", "MAX_COLUMNS", "cell_text",
           "blank_as_empty", "long_number_problems", "delimiter_of"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAV_MAGICS = (b"$FL2", b"$FL3")
# Excel stores numbers as doubles: beyond 15 significant digits the last digits are lost.
_EXCEL_DIGITS = 15
# a spreadsheet's column limit (XFD): a text line with more cells is not a survey export
MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class SourceTable:
    """All rows of one sheet or CSV file as text cells (header rows included), with provenance; an entirely
    blank row is the empty tuple ``()``.

    ``problems`` are cell notes made while loading (data row numbers assume one header row; readers
    renumber them when they know the header height). ``row_offset``: for one chunk of a file read in chunks
    (:mod:`surveys.ingest.chunks`), the rows under the header that came before this chunk's rows (the header
    rows are repeated at the top of every chunk).
    """

    path: pathlib.Path
    sha256: str
    encoding: str
    sheet: str | None
    container: str
    rows: tuple[tuple[str, ...], ...]
    problems: tuple[ParseProblem, ...] = ()
    row_offset: int = 0


def _readable(path: pathlib.Path, read):
    """``read(path)``, with the file's absence or unreadability as an :class:`IngestError`."""
    try:
        return read(path)
    except FileNotFoundError:
        raise IngestError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise IngestError(f"{path}: is a directory; expected an export file") from None
    except OSError as error:
        raise IngestError(f"{path}: cannot be read ({error.strerror or error})") from None


def read_bytes(path: pathlib.Path) -> bytes:
    return _readable(path, pathlib.Path.read_bytes)


def file_sha256(path: pathlib.Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in blocks: what a store compares before parsing anything."""
    return _readable(path, sha256_file)


def container_of(data: bytes, path: pathlib.Path) -> str:
    """``xlsx``, ``xls``, ``sav`` or ``text`` from the file's signature (falling back on the extension)."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if data.startswith(_SAV_MAGICS):
        return "sav"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".sav", ".zsav"):
        # the extension promises a binary container the bytes do not have: truncated or mislabelled
        raise IngestError(f"{path.name}: the extension says {suffix} but the content is not one "
                          "(no workbook/SPSS signature; the file may be truncated, or another format renamed); "
                          "download the export again")
    return "text"


def _number_text(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def cell_text(value: object) -> str:
    if type(value) is str:   # most cells: before the checks of every other type
        return value.replace("\x00", NUL_REPLACEMENT) if "\x00" in value else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(int(value.total_seconds()))
    text = str(value)
    return text.replace("\x00", NUL_REPLACEMENT) if "\x00" in text else text


def long_number_problems(row: list[object], header: tuple[str, ...], index: int) -> list[ParseProblem]:
    problems = []
    for position, value in enumerate(row):
        if isinstance(value, float) and math.isfinite(value) and abs(value) >= 10 ** _EXCEL_DIGITS:
            column = header[position] if position < len(header) else f"column {position + 1}"
            problems.append(ParseProblem(index, column, _number_text(value),
                                         "an identifier stored as a number in the workbook: digits beyond the "
                                         "15th may have been lost; ask for the export with the column as text"))
    return problems


def blank_as_empty(row: tuple[str, ...]) -> tuple[str, ...]:
    """An entirely blank row (every cell empty or white space) as ``()``, so later stages tell it at a glance."""
    return row if "".join(row).strip() else ()


def _load_workbook(data: bytes, path: pathlib.Path, container: str, sheet: str | None):
    chosen, sheet_rows = open_sheet(data, path, container, sheet)
    rows: list[tuple[str, ...]] = []
    problems: list[ParseProblem] = []
    for index, row in enumerate(sheet_rows):
        texts = tuple(cell_text(value) for value in row)
        if index:
            problems += long_number_problems(row, rows[0], index)
        rows.append(blank_as_empty(texts))
    return tuple(rows), chosen, problems


def delimiter_of(first_line: str) -> str:
    if first_line.count("\t") > first_line.count(","):
        return "\t"
    return ","


def _load_text(data: bytes, path: pathlib.Path, encoding: str | None):
    text, used = decode_bytes(data, path, encoding)
    first_line = text.split("\n", 1)[0]
    # free-text answers can exceed the csv module's default 128 KiB field limit; allow the whole file
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(first_line), strict=False)
        rows = tuple(blank_as_empty(tuple(row)) for row in reader)
    except csv.Error as error:
        raise IngestError(f"{path.name}: not a readable CSV ({error}); expected comma- or tab-separated text "
                          "as exported by the survey platform") from None
    finally:
        csv.field_size_limit(limit)
    widest = max(map(len, rows), default=0)
    if widest > MAX_COLUMNS:
        row = next(number for number, cells in enumerate(rows, start=1) if len(cells) == widest)
        raise IngestError(f"{path.name}: line {row} has {widest:,} cells; the reader reads at most {MAX_COLUMNS:,} "
                          "columns (a spreadsheet's limit); the separators may be unquoted inside a text answer: "
                          "export the file again, or correct that line")
    return rows, used


def _without_trailing_empty(rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    end = len(rows)
    while end > 0 and not rows[end - 1]:
        end -= 1
    return rows[:end]


def load_table(path: pathlib.Path, *, encoding: str | None = None, sheet: str | None = None,
               data: bytes | None = None) -> SourceTable:
    """Every row of the export as text cells; an entirely blank row is ``()``. Trailing blank rows are not
    data and are dropped; a workbook is read within the bounds of :mod:`surveys.ingest.workbook`, a text
    file up to :data:`MAX_COLUMNS` columns."""
    data = read_bytes(path) if data is None else data
    digest = sha256_bytes(data)
    container = container_of(data, path)
    if container == "sav":
        raise IngestError(f"{path.name}: an SPSS file is not a table of text cells; read it with platform='spss'")
    if container in ("xlsx", "xls"):
        rows, chosen, problems = _load_workbook(data, path, container, sheet)
        return SourceTable(path, digest, container, chosen, "xlsx" if container == "xlsx" else "xls",
                           _without_trailing_empty(rows), tuple(problems))
    rows, used = _load_text(data, path, encoding)
    return SourceTable(path, digest, used, None, "text", _without_trailing_empty(rows))
