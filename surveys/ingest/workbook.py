"""Opening one sheet of a workbook with the work bounded by the cells it really holds.

python-calamine builds a sheet as a dense rectangle reaching from its first to its farthest cell holding a
value, before any row is read: one stray cell at ``XFD1048576`` (an 11 KB file) asks for 17 billion cells and
the process aborts; one at ``A1048576`` makes a million empty rows; a real million-row export takes 3.7 GB.
So an ``.xlsx`` takes one of two routes:

- **streamed**, when the chosen sheet's XML declares :data:`STREAM_FROM_BYTES` (16 MB) or more and its cells
  span more than :data:`CALAMINE_AREA` (4M cells, some 700 MB in calamine; 180,000 rows of a 22-column 问卷星
  export): :mod:`surveys.ingest.sheet_stream` reads it in two passes, the values identical to
  calamine's, holding the shared strings (at most :data:`MAX_SHARED_STRINGS_BYTES`, 256 MB, unpacked), one
  4 MB piece of XML and the caller's rows; each pass may unpack at most :data:`MAX_STREAMED_XML_BYTES` (4 GB:
  a million rows of some 60 columns as openpyxl writes them) of sheet XML. The first pass finds the cells holding a value; the sheet is
  streamed only when its rows are at most :data:`MAX_STREAMED_WIDTH` (1,024) columns wide (so that a chunk of
  25,000 rows stays within 26M cells) and it is not sparse (below); any other sheet (another XML layout, cells
  out of order, sparse or wider) takes calamine's route with its bounds; a sheet the first pass finds within
  :data:`CALAMINE_AREA` and 1 GB of XML is read by calamine (faster there) without a second scan;
- **calamine's**, for the others: the parts calamine reads (workbook, styles, shared strings, the chosen sheet)
  are decompressed as a stream and counted, never trusting the sizes the zip declares, up to
  :data:`MAX_XML_BYTES` (1 GB) in all; the chosen sheet's XML is scanned for its cells (their ``r``
  references, or their positions where a writer leaves them out, as calamine counts them): the rectangle
  calamine would build may hold :data:`FREE_AREA` cells whatever the sheet holds, and beyond that at most
  :data:`SPARSENESS` times the cells holding something, and never more than :data:`MAX_AREA` (20M).

On both routes every part is refused once it unpacks past :data:`MAX_RATIO` (100) times its compressed size
beyond its first :data:`FREE_XML_BYTES` (64 MB): real sheets pack 5 to 20 times (a million-row openpyxl export,
1.55 GB of XML in 108 MB: 14 times), a bomb of blank space over 200 times, so it is refused after a few hundred
MB at most, within seconds, before the caps above.

A sheet outside these bounds is refused with :class:`~surveys.errors.IngestError` naming the file, the
sheet, the farthest cell and the limit. A legacy ``.xls`` (BIFF8) cannot reach beyond 65,536 rows × 256
columns, so calamine's rectangle is bounded by the format; its rows are streamed like an xlsx sheet's.
Rows are handed over one at a time (``iter_rows``), so no second full copy of the sheet is made in Python.
Validated by ``tests/test_hostile_input.py`` (stray cells at ``XFD1048576`` and ``A1048576`` in a demo export),
the fuzz suite (``tests/test_fuzz_exports.py``) and ``tests/test_sheet_stream.py`` (both routes, the same values).
"""
from __future__ import annotations

import codecs
import collections
import copy
import io
import pathlib
import posixpath
import re
import zipfile
from typing import Any, Iterator, Sequence
from xml.etree import ElementTree

from surveys.errors import IngestError
from surveys.ingest.sheet_stream import (
    NotStreamable,
    SheetExtent,
    date_1904,
    read_shared_strings,
    read_styles,
    scan_extent,
    stream_rows,
)

__all__ = ["open_sheet", "SheetExtent", "MAX_AREA", "FREE_AREA", "SPARSENESS", "MAX_XML_BYTES",
           "MAX_STREAMED_XML_BYTES", "MAX_SHARED_STRINGS_BYTES", "FREE_XML_BYTES", "MAX_RATIO", "STREAM_FROM_BYTES",
           "MAX_STREAMED_WIDTH", "CALAMINE_AREA"]

MAX_AREA = 20_000_000
FREE_AREA = 1_000_000
SPARSENESS = 8
MAX_XML_BYTES = 1 << 30
MAX_STREAMED_XML_BYTES = 4 << 30
MAX_SHARED_STRINGS_BYTES = 256 << 20
FREE_XML_BYTES = 64 << 20
MAX_RATIO = 100
STREAM_FROM_BYTES = 16 << 20
CALAMINE_AREA = 4_000_000
_CHECKED = object()   # the streamed route's first pass checked the sheet and calamine may read it
MAX_STREAMED_WIDTH = 1_024
_CHUNK = 1 << 22
_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
_REFERENCE = re.compile(r"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)(\d*)["']""")
_CELL_START = re.compile(rb"<c[\s>/]")
_CELL_REFERENCE = re.compile(rb"<c\s[^>]*?\br=\"([A-Z]{1,7})(\d{1,12})\"")
_PREFIXED_ROOT = re.compile(rb"<[A-Za-z_][\w.-]*:worksheet\b")
_FAR = 10 ** 9  # a row or column number past any spreadsheet's, standing for "absurdly far"
_MAIN_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml",
               "[Content_Types].xml")


def _column_letters(number: int) -> str:
    if number >= _FAR:
        return "?"
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _reference(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row if row < _FAR else '?'}"


def _column_number(letters: str) -> int:
    if len(letters) > 6:
        return _FAR
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


class _Budget:
    """Decompressed bytes left for the parts read (by calamine, or by the streaming reader)."""

    def __init__(self, path: pathlib.Path, limit: int = MAX_XML_BYTES) -> None:
        self.left = self.limit = limit
        self.path = path

    def take(self, size: int, part: str) -> None:
        self.left -= size
        if self.left < 0:
            raise IngestError(f"{self.path.name}: the workbook's XML ({part} and the parts before it) unpacks to "
                              f"more than {self.limit >> 20:,} MB; the reader reads at most that much, so that a "
                              "compressed bomb cannot exhaust the memory; export the data again, or split it")


def _ratio_refusal(path: pathlib.Path, name: str, unpacked: int, packed: int) -> IngestError:
    return IngestError(f"{path.name}: {name} unpacks to more than {unpacked >> 20:,} MB from {packed:,} compressed "
                       f"bytes (over {MAX_RATIO} times); the reader reads a part of more than {FREE_XML_BYTES >> 20} MB "
                       f"only up to {MAX_RATIO} times its compressed size, so that a compressed bomb cannot exhaust the "
                       "time or memory; export the data again")


def _chunks(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Iterator[bytes]:
    """A member's decompressed bytes, counted against the budget as they come (the declared size is ignored:
    the stream is read to its real end) and refused past :data:`MAX_RATIO` times its compressed size (beyond
    :data:`FREE_XML_BYTES`; zipfile reads no more compressed bytes than the member declares)."""
    unbounded = copy.copy(archive.getinfo(name))
    unbounded.file_size = budget.limit + 1
    ceiling = max(FREE_XML_BYTES, MAX_RATIO * unbounded.compress_size)
    unpacked = 0
    with archive.open(unbounded) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return
            budget.take(len(chunk), name)
            unpacked += len(chunk)
            if unpacked > ceiling:
                raise _ratio_refusal(budget.path, name, unpacked, unbounded.compress_size)
            yield chunk


def _text_chunks(chunks: Iterator[bytes]) -> Iterator[str]:
    """XML text from its bytes: UTF-8, or UTF-16 when it starts with a byte-order mark or a zero byte."""
    decoder = None
    for chunk in chunks:
        if decoder is None:
            utf16 = chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in chunk[:4]
            decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8")(errors="replace")
        yield decoder.decode(chunk)
    if decoder is not None:
        yield decoder.decode(b"", final=True)


class _Extent:
    """The running extent of the cells holding something, while a sheet's XML is scanned."""

    def __init__(self) -> None:
        self.cells = 0
        self.first_row = self.first_column = _FAR + 1
        self.last_row = self.last_column = 0
        self.in_last_row = self.in_last_column = (0, 0)

    def add(self, cells: int, rows: Sequence[int], columns: Sequence[int]) -> None:
        if cells:
            self.cells += cells
            self.first_row, self.last_row = min(self.first_row, *rows), max(self.last_row, *rows)
            self.first_column, self.last_column = min(self.first_column, *columns), max(self.last_column, *columns)

    def add_cell(self, row: int, column: int) -> None:
        if row > self.last_row or (row == self.last_row and column > self.in_last_row[1]):
            self.in_last_row = (row, column)
        if column > self.last_column or (column == self.last_column and row > self.in_last_column[0]):
            self.in_last_column = (row, column)
        self.add(1, (row,), (column,))

    def result(self, located: bool = False) -> SheetExtent:
        if not self.cells:
            return SheetExtent()
        farthest = tuple(dict.fromkeys(_reference(*cell) for cell in (self.in_last_row, self.in_last_column))) \
            if located else ()
        return SheetExtent(self.cells, self.first_row, self.first_column, self.last_row, self.last_column, farthest)


def _number(digits: str | bytes) -> int:
    return int(digits) if len(digits) < 10 else _FAR


def _pieces(chunks: Iterator[Any], opening: Any) -> Iterator[Any]:
    """The chunks re-cut so that no tag is split between two pieces (a piece ends before an unclosed tag)."""
    carry = opening[:0]
    closing = b">" if isinstance(opening, bytes) else ">"
    for chunk in chunks:
        text = carry + chunk
        cut = text.rfind(opening)
        if cut >= 0 and text.find(closing, cut) < 0:
            text, carry = text[:cut], text[cut:]
        else:
            carry = opening[:0]
        yield text
    if carry:
        yield carry


def _self_closing_cells(piece: bytes) -> list[tuple[bytes, bytes]]:
    """The references of the self-closing ``<c …/>`` elements of a piece (few: located from each ``/>``)."""
    found, end = [], piece.find(b"/>")
    while end >= 0:
        start = piece.rfind(b"<", 0, end)
        match = _CELL_REFERENCE.match(piece, start) if start >= 0 else None
        if match is not None and match.end() <= end:
            found.append(match.groups())
        end = piece.find(b"/>", end + 2)
    return found


def _scan_referenced(chunks: Iterator[bytes]) -> SheetExtent | None:
    """The fast scan, for the common layout: UTF-8 XML without namespace prefixes in which every ``<c>`` has its
    ``r`` reference. ``None`` when the sheet does not have that layout (the sequential scan then decides)."""
    extent, letters_seen = _Extent(), {}
    first = True
    for piece in _pieces(chunks, b"<"):
        if first and (piece[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in piece[:4]
                      or _PREFIXED_ROOT.search(piece[:4096])):
            return None
        first = False
        references = _CELL_REFERENCE.findall(piece)
        if len(references) != len(_CELL_START.findall(piece)):
            return None  # a cell without its reference: positions must be counted in order
        empty = _self_closing_cells(piece)
        if empty:  # formatted cells without a value: calamine does not place them
            references = list((collections.Counter(references) - collections.Counter(empty)).elements())
        columns = {letters_seen.setdefault(letters, _column_number(letters.decode("ascii")))
                   for letters in {letters for letters, _ in references}}
        extent.add(len(references), {_number(digits) for digits in {digits for _, digits in references}}, columns)
    return extent.result()


def scan_sheet(chunks: Iterator[str]) -> SheetExtent:
    """The extent of a worksheet's cells holding something, from its XML text (in chunks), element by element.

    A ``<c>`` element that is not self-closing counts as holding something; rows and cells without an ``r``
    reference take the next position, as calamine places them. Comments and CDATA are not told apart from
    elements, which can only make the extent larger, never hide a cell.
    """
    extent, letters_seen = _Extent(), {}
    row = column = 0
    for piece in _pieces(chunks, "<"):
        for match in _TAG.finditer(piece):
            kind, attributes = match.group(1), match.group(2)
            reference = _REFERENCE.search(attributes)
            if kind == "row":
                digits = reference.group(2) if reference else ""
                row, column = (_number(digits) if digits else row + 1), 0
                continue
            if reference is not None and reference.group(1):
                letters = reference.group(1)
                column = letters_seen.get(letters) or letters_seen.setdefault(letters, _column_number(letters))
                if reference.group(2):
                    row = _number(reference.group(2))
            else:
                column += 1
            if not attributes.rstrip().endswith("/"):  # an empty, formatted cell: calamine does not place it
                extent.add_cell(row, column)
    return extent.result(located=True)


def _within_bounds(extent: SheetExtent) -> bool:
    area = extent.area
    return area <= FREE_AREA or (area <= SPARSENESS * extent.cells and area <= MAX_AREA)


def _check_extent(extent: SheetExtent, path: pathlib.Path, sheet: str) -> None:
    if _within_bounds(extent):
        return
    area = extent.area
    span = f"{_reference(extent.first_row, extent.first_column)}:{_reference(extent.last_row, extent.last_column)}"
    if area <= SPARSENESS * extent.cells:
        raise IngestError(f"{path.name}: sheet {sheet!r} holds {extent.cells:,} cells ({span}); the reader reads at "
                          f"most {MAX_AREA:,} cells a sheet; split the export (e.g. by date) and ingest the parts")
    raise IngestError(
        f"{path.name}: sheet {sheet!r} spans {span} ({area:,} cells) but only {extent.cells:,} cells hold something; "
        f"the reader reads a sheet whose span is at most {FREE_AREA:,} cells, or {SPARSENESS} times the cells "
        f"holding something, so that a stray cell far from the data cannot exhaust the memory; the farthest "
        f"{'cell is ' + extent.farthest[0] if len(extent.farthest) == 1 else 'cells are ' + ' and '.join(extent.farthest)}: "
        "delete what lies far from the data (or the rows and columns between), save the file and ingest it again, "
        "or export it again from the platform")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(archive: zipfile.ZipFile, name: str, budget: _Budget) -> ElementTree.Element:
    return ElementTree.fromstring(b"".join(_chunks(archive, name, budget)))


def _sheet_parts(archive: zipfile.ZipFile, budget: _Budget) -> dict[str, str]:
    """Sheet name → its part in the zip, from the workbook and its relationships (empty when unreadable)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    targets = {}
    for element in _xml(archive, "xl/_rels/workbook.xml.rels", budget).iter():
        if _local(element.tag) == "Relationship" and element.get("Id") and element.get("Target"):
            target = element.get("Target")
            targets[element.get("Id")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    parts = {}
    for element in _xml(archive, "xl/workbook.xml", budget).iter():
        if _local(element.tag) != "sheet":
            continue
        relation = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        if element.get("name") is not None and targets.get(relation) in names:
            parts[element.get("name")] = targets[relation]
    return parts


def _check_xlsx(data: bytes, path: pathlib.Path, wanted: str) -> None:
    """Refuse, before calamine opens it, an xlsx whose parts unpack too far or whose sheet ``wanted`` is sparse."""
    budget = _Budget(path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            kind = ("an Excel binary workbook (.xlsb)" if "xl/workbook.bin" in names else
                    "an OpenDocument spreadsheet (.ods)" if "content.xml" in names else "a zip archive")
            raise IngestError(f"{path.name}: expected an .xlsx workbook, found {kind}; save it as .xlsx (Excel "
                              "Workbook) and ingest that file")
        for name in _MAIN_PARTS:
            if name in names:
                for _ in _chunks(archive, name, budget):
                    pass
        parts = _sheet_parts(archive, budget)
        scanned = [parts[wanted]] if wanted in parts else sorted(
            name for name in names if name.startswith("xl/worksheets/") and name.endswith(".xml"))
        for part in scanned:
            extent = _scan_referenced(_chunks(archive, part, budget))
            if extent is None or not (_within_bounds(extent) or extent.area <= SPARSENESS * extent.cells):
                # the element-by-element scan: for the layouts the fast one does not read, and to name the
                # stray cells of a sheet that is refused (the same bytes again: they were counted once)
                extent = scan_sheet(_text_chunks(_chunks(archive, part, _Budget(path))))
            _check_extent(extent, path, wanted)


def _sheet_names(data: bytes, path: pathlib.Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        budget = _Budget(path)
        if "xl/workbook.xml" not in archive.namelist():
            return []
        return [element.get("name") for element in _xml(archive, "xl/workbook.xml", budget).iter()
                if _local(element.tag) == "sheet" and element.get("name") is not None]


def _choose(names: Sequence[str], path: pathlib.Path, sheet: str | None, preferred: Sequence[str]) -> str:
    if not names:
        raise IngestError(f"{path.name}: the workbook has no sheets; expected the export on its first sheet")
    if sheet is not None:
        if sheet not in names:
            raise IngestError(f"{path.name}: no sheet {sheet!r}; the workbook has {list(names)}")
        return sheet
    return next((name for name in preferred if name in names), names[0])


def open_sheet(data: bytes, path: pathlib.Path, container: str, sheet: str | None = None,
               preferred: Sequence[str] = ()) -> tuple[str, Iterator[list[Any]]]:
    """``(sheet name, its rows)`` of an ``xlsx`` or ``xls`` workbook's bytes: ``sheet``, else the first of
    ``preferred`` the workbook has, else its first sheet. Rows come one at a time as lists of calamine values,
    from the sheet's first row holding something (earlier empty rows are not given), each as wide as the
    sheet's used columns. Raises :class:`IngestError` for an unreadable workbook or one outside the bounds
    of the module docstring."""
    from python_calamine import CalamineWorkbook

    try:
        if container == "xlsx":
            chosen = _choose(_sheet_names(data, path), path, sheet, preferred)
            streamed = _streamed(data, path, chosen)
            if streamed is None:
                _check_xlsx(data, path, chosen)
            elif streamed is not _CHECKED:
                return chosen, _from_first_filled(streamed, path)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        chosen = _choose(names, path, sheet, preferred)
        calamine_sheet = workbook.get_sheet_by_name(chosen)
        if calamine_sheet.height * calamine_sheet.width > MAX_AREA:
            raise IngestError(f"{path.name}: sheet {chosen!r} spans {calamine_sheet.height:,} rows × "
                              f"{calamine_sheet.width:,} columns; the reader reads at most {MAX_AREA:,} cells a "
                              "sheet; delete the stray cells far from the data, or split the export")
        rows = calamine_sheet.iter_rows()
    except IngestError:
        raise
    except Exception as error:  # calamine, zipfile and expat raise their own error types on corrupt files
        raise IngestError(f"{path.name}: cannot open the workbook ({container}; {type(error).__name__}: {error}); "
                          "expected a complete .xlsx or BIFF .xls file; download the export again") from None
    return chosen, _from_first_filled(rows, path)


def _filled(row: list[Any]) -> bool:
    return any(value != "" and value is not None for value in row)


def _from_first_filled(rows: Iterator[list[Any]], path: pathlib.Path) -> Iterator[list[Any]]:
    try:
        for row in rows:
            if _filled(row):
                yield row
                break
        yield from rows
    except (IngestError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as error:  # noqa: BLE001  a cell calamine cannot turn into a Python value; where its Rust
        # code panics (a date style on a number past chrono's range, e.g. -1e20) pyo3 raises a BaseException
        raise IngestError(f"{path.name}: cannot read a row of the workbook ({type(error).__name__}: {error}); "
                          "download the export again") from None


# ------------------------------------------------------------------------------------------ the streamed route

def _related(archive: zipfile.ZipFile, budget: _Budget, kind: str) -> str | None:
    """The workbook's part of relationship type ``kind`` (``sharedStrings``, ``styles``), if any."""
    if "xl/_rels/workbook.xml.rels" not in archive.namelist():
        return None
    for element in _xml(archive, "xl/_rels/workbook.xml.rels", budget).iter():
        if _local(element.tag) == "Relationship" and (element.get("Type") or "").endswith("/" + kind):
            target = element.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def _streamable(extent: SheetExtent) -> bool:
    return (extent.last_column - extent.first_column < MAX_STREAMED_WIDTH
            and (extent.area <= FREE_AREA or extent.area <= SPARSENESS * extent.cells))


def _streamed(data: bytes, path: pathlib.Path, wanted: str) -> Any:
    """The rows of sheet ``wanted`` read by :mod:`surveys.ingest.sheet_stream` when its XML is large
    (:data:`STREAM_FROM_BYTES` declared), has the layout streamed and spans more than :data:`CALAMINE_AREA`
    cells; :data:`_CHECKED` when the first pass found it within calamine's bounds (calamine reads it, faster,
    without the scan of :func:`_check_xlsx`); None to read it with calamine after that scan (a small sheet,
    another layout, a sparse or wider sheet)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        budget = _Budget(path, MAX_STREAMED_XML_BYTES)
        part = _sheet_parts(archive, budget).get(wanted)
        if part is None or archive.getinfo(part).file_size < STREAM_FROM_BYTES:
            return None
        names = set(archive.namelist())
        for name in ("[Content_Types].xml", "docProps/app.xml"):   # read by calamine too
            for _ in _chunks(archive, name, budget) if name in names else ():
                pass
        related = {kind: _related(archive, budget, kind) for kind in ("sharedStrings", "styles")}
        if any(name is not None and name not in names for name in related.values()):
            return None
        styles = read_styles(b"".join(_chunks(archive, related["styles"], budget)) if related["styles"] else None)
        from_1904 = date_1904(b"".join(_chunks(archive, "xl/workbook.xml", budget)))
        shared_budget = _Budget(path, MAX_SHARED_STRINGS_BYTES)
        strings = read_shared_strings(_chunks(archive, related["sharedStrings"], shared_budget)) \
            if related["sharedStrings"] else []

        def refused(message: str) -> IngestError:
            return IngestError(f"{path.name}: cannot open the workbook (xlsx; {message}); expected a complete .xlsx "
                               "or BIFF .xls file; download the export again")
        sheet_budget = _Budget(path, MAX_STREAMED_XML_BYTES)
        try:
            extent = scan_extent(_chunks(archive, part, sheet_budget), strings, styles, from_1904, refused)
        except NotStreamable:
            return None
    if not _streamable(extent):
        return None
    unpacked = sum(limit.limit - limit.left for limit in (budget, shared_budget, sheet_budget))
    if extent.area <= CALAMINE_AREA and unpacked <= MAX_XML_BYTES:
        return _CHECKED
    return _stream(data, path, part, extent, (strings, styles, from_1904), refused)


def _stream(data: bytes, path: pathlib.Path, part: str, extent: SheetExtent, workbook: tuple,
            refused: Any) -> Iterator[list[Any]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        yield from stream_rows(_chunks(archive, part, _Budget(path, MAX_STREAMED_XML_BYTES)), extent, *workbook,
                               refused)
