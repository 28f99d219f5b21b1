"""Reading one large ``.xlsx`` sheet as a stream of rows, with the values python-calamine gives for it.

python-calamine builds the whole sheet in memory before the first row is read (about 170 bytes a cell:
3.7 GB for a million 问卷星 rows of 22 columns). For a large sheet :mod:`surveys.ingest.workbook` uses this
module instead: the sheet's XML is decompressed from the zip in blocks and cut after its last complete
``</row>``; the cells of each piece are found by one regular expression and turned into the values calamine
gives (shared strings, inline and formula strings, numbers, booleans, errors as ``""``, dates and durations by
their cell style), row by row. What is held is the shared-strings table, one piece of XML (4 MB and the row
it cuts; a row of more than 256 MB is not streamed) and a bounded cache of decoded texts; the caller holds
the rows it keeps.

Two passes over the XML: :func:`scan_extent` finds the cells holding a value (the rectangle calamine would
build: its first and last column set every row's width) and checks the layout this reader reads: every
``<c>`` has its ``r`` reference, rows and cells come in order, no comments or CDATA sections. A sheet of
another layout is not streamed (:class:`NotStreamable`; the caller reads it with calamine within the bounds
it has). :func:`stream_rows` then gives the rows from the first row holding a value.

The values are those of python-calamine 0.9 (``tests/test_sheet_stream.py`` compares both readers, cell by
cell, on the demo exports, a generated workbook and a list of edge cases); an XML error or a value calamine
refuses (an unknown entity, a shared-string index past the table, a number that does not parse, XML that ends
early) raises the caller's error (``on_error``: :mod:`surveys.ingest.workbook` words it against the file).
Where calamine itself aborts (a date style on a number past chrono's range, e.g. ``-1e20``), this reader
keeps the number.
"""
from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence
from xml.etree import ElementTree

__all__ = ["NotStreamable", "SheetStyles", "SheetExtent", "read_styles", "read_shared_strings", "scan_extent",
           "stream_rows", "date_1904"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# a cell in the layout streamed: its reference first, then plain attributes; its content up to ``</c>``
_ATTRIBUTES = rb'((?:\s+[\w:]+="[^"<>]*")*)\s*'
# a cell in the layout streamed: its reference first, then plain attributes; then a plain value (<v>), a plain
# inline string (<is><t>), or any other content up to ``</c>``
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES +
                   rb'(?:/>|><v>([^<]+)</v></c>|>(<is><t>[^<]*</t></is>)</c>|>(.*?)</c>)', re.S)
_ANY_CELL = re.compile(rb"<c[\s/>]")
_COLUMN_OF_CELL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_ROW_OF_CELL = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"(?:\s+[\w:]+="[^"<>]*")*\s*/?>')
_TYPE = re.compile(rb'\st="([^"]*)"')
_STYLE = re.compile(rb'\ss="([^"]*)"')
_ROW_END = b"</row>"
_DATA_END = b"</sheetData>"
_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);|&")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_WHITE = " \t\r\n"
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_REFUSED = (ValueError, ElementTree.ParseError, UnicodeDecodeError, OverflowError)
_NUMBER, _SHARED = 1, 2   # how a cell holding digits reads (see _Cells.plan)
_LONGEST_ROW = 1 << 28   # 256 MB: 1,024 columns of Excel's longest text (32,767 characters) fit in it
_CACHE_LIMIT = 200_000   # decoded texts kept for reuse (answer labels repeat across rows)
_BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_BUILTIN_DURATIONS = {46}
_EPOCH = datetime.datetime(1899, 12, 30)
_EPOCH_1904 = datetime.datetime(1904, 1, 1)
_MS_A_DAY = 86_400_000


class NotStreamable(Exception):
    """The sheet's XML has a layout this reader does not stream (it is read with calamine, or refused)."""


@dataclass(frozen=True)
class SheetExtent:
    """The cells of one sheet holding something, and the rectangle (1-based, inclusive) that spans them."""

    cells: int = 0
    first_row: int = 0
    first_column: int = 0
    last_row: int = 0
    last_column: int = 0
    farthest: tuple[str, ...] = ()  # the cells in the last row and the last column (known after a full scan)

    @property
    def area(self) -> int:
        if not self.cells:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


@dataclass(frozen=True)
class SheetStyles:
    """For each cell style (its ``s`` index): ``"date"``, ``"duration"`` or ``""`` (a number stays a number)."""

    kinds: tuple[str, ...] = ()

    def kind(self, style: int | None) -> str:
        if style is None or style >= len(self.kinds):
            return ""
        return self.kinds[style]


# --------------------------------------------------------------------------------------------- workbook parts

def _format_kind(code: str) -> str:
    """``date``, ``duration`` or ``""`` for a custom number format, as calamine classifies it: a date or time
    letter (d, m, y, h, s) outside quotes, escapes and brackets; ``[h]``, ``[m]``, ``[s]`` make a duration."""
    plain, inside, quoted, escaped, bracket = [], False, False, False, ""
    for character in code:
        if escaped:
            escaped = False
        elif quoted:
            quoted = character != '"'
        elif inside:
            if character == "]":
                inside = False
                if bracket.lower() in ("h", "hh", "m", "mm", "s", "ss"):
                    return "duration"
            else:
                bracket += character
        elif character == '"':
            quoted = True
        elif character == "\\":
            escaped = True
        elif character == "[":
            inside, bracket = True, ""
        elif character == ";":
            break
        else:
            plain.append(character.lower())
    text = "".join(plain)
    if text == "general":
        return ""
    return "date" if any(letter in text for letter in "dmyhs") else ""


def read_styles(xml: bytes | None) -> SheetStyles:
    """The date and duration styles of ``xl/styles.xml`` (``None``: no styles part)."""
    if not xml:
        return SheetStyles()
    root = ElementTree.fromstring(xml)
    custom = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "numFmt" and element.get("numFmtId", "").isdigit():
            custom[int(element.get("numFmtId", "0"))] = _format_kind(element.get("formatCode", ""))
    kinds = []
    for holder in root.iter():
        if holder.tag.rsplit("}", 1)[-1] != "cellXfs":
            continue
        for xf in holder:
            identifier = xf.get("numFmtId", "0")
            number = int(identifier) if identifier.isdigit() else 0
            kinds.append(custom[number] if number in custom else
                         "date" if number in _BUILTIN_DATES else "duration" if number in _BUILTIN_DURATIONS else "")
        break
    return SheetStyles(tuple(kinds))


def date_1904(xml: bytes | None) -> bool:
    """Whether ``xl/workbook.xml`` counts dates from 1904."""
    if not xml:
        return False
    for element in ElementTree.fromstring(xml).iter():
        if element.tag.rsplit("}", 1)[-1] == "workbookPr":
            return element.get("date1904", "").lower() in ("1", "true")
    return False


def _unescaped(text: str) -> str:
    """``_xHHHH_`` escapes (Excel's way to store control characters) as the characters they stand for."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text) if "_x" in text else text


def _t_text(element: ElementTree.Element) -> str:
    """A ``<t>``'s text as calamine reads it: white space at its ends dropped unless ``xml:space="preserve"``."""
    text = element.text or ""
    return text if element.get(_SPACE) == "preserve" else text.strip(_WHITE)


def _string_of(element: ElementTree.Element) -> str:
    """The text of a shared or inline string: its ``<t>``, or its rich-text runs' ``<t>`` joined (phonetic
    ``<rPh>`` runs left out)."""
    parts = []
    for child in element:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "t":
            parts.append(_t_text(child))
        elif name == "r":
            parts += [_t_text(grandchild) for grandchild in child if grandchild.tag.rsplit("}", 1)[-1] == "t"]
    return _unescaped("".join(parts))


def read_shared_strings(chunks: Iterator[bytes]) -> list[str]:
    """The shared-strings table, parsed as its XML comes (one ``<si>`` element at a time)."""
    parser = ElementTree.XMLPullParser(events=("end",))
    strings = []
    for chunk in chunks:
        parser.feed(chunk)
        for _, element in parser.read_events():
            if element.tag == f"{_MAIN}si" or element.tag == "si":
                strings.append(_string_of(element))
                element.clear()
    parser.close()
    for _, element in parser.read_events():
        if element.tag.rsplit("}", 1)[-1] == "si":
            strings.append(_string_of(element))
    return strings


# --------------------------------------------------------------------------------------------- cells

def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name is None:
        raise ValueError("a bare '&' in a cell's text")
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in _NAMED:
        return _NAMED[name]
    raise ValueError(f"unrecognized entity &{name};")


def _text(raw: bytes) -> str:
    """XML character data as text: UTF-8, line ends normalised (a literal CR, CR LF → LF), entities resolved."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def _serial_date(serial: float, kind: str, base: datetime.datetime) -> Any:
    """An Excel serial number in a date or duration style as python-calamine gives it: a time of day below 1,
    a date when whole, else a date and time (to the millisecond); a duration as a timedelta; a date past the
    year 9999 stays a number."""
    milliseconds = math.floor(serial * _MS_A_DAY + 0.5) if serial >= 0 else -math.floor(-serial * _MS_A_DAY + 0.5)
    if kind == "duration":
        return datetime.timedelta(milliseconds=milliseconds)
    if base is _EPOCH and serial < 60:   # Excel's 1900 leap-year bug: serials before 1 March 1900 are a day off
        milliseconds += _MS_A_DAY
    try:
        moment = base + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:
        return serial
    if serial < 1:
        return moment.time()
    if serial == int(serial):
        return moment.date()
    return moment


class _Cells:
    """Turns a cell's type, style and XML content into calamine's value (``None`` standing for an empty cell)."""

    def __init__(self, strings: Sequence[str], styles: SheetStyles, from_1904: bool) -> None:
        self.strings = strings
        self.styles = styles
        self.base = _EPOCH_1904 if from_1904 else _EPOCH
        self.texts: dict[bytes, str] = {}
        self.inlines: dict[bytes, str] = {}   # keyed by the whole <is><t>…</t></is>
        self.plans: dict[bytes, int] = {}
        self.attributes: dict[bytes, tuple[bytes | None, int | None]] = {}

    def text(self, raw: bytes) -> str:
        found = self.texts.get(raw)
        if found is None:
            if len(self.texts) >= _CACHE_LIMIT:
                self.texts.clear()
            found = self.texts[raw] = _text(raw)
        return found

    def inline(self, raw: bytes) -> str:
        """An inline string's text (its ``<t>`` without attributes: white space at its ends dropped)."""
        found = self.inlines.get(raw)
        if found is None:
            if len(self.inlines) >= _CACHE_LIMIT:
                self.inlines.clear()
            found = self.inlines[raw] = _unescaped(_text(raw[7:-9]).strip(_WHITE))
        return found

    def plan(self, attributes: bytes) -> int:
        """How a cell of these attributes holding digits reads: :data:`_NUMBER` (a number as it stands, no date),
        :data:`_SHARED` (a shared string's index), else 0 (:meth:`value` decides)."""
        found = self.plans.get(attributes)
        if found is None:
            kind, style = self.kind_of(attributes)
            found = self.plans[attributes] = (_NUMBER if kind in (b"n", None) and not self.styles.kind(style) else
                                              _SHARED if kind == b"s" else 0)
        return found

    def kind_of(self, attributes: bytes) -> tuple[bytes | None, int | None]:
        found = self.attributes.get(attributes)
        if found is None:
            kind, style = _TYPE.search(attributes), _STYLE.search(attributes)
            digits = style.group(1) if style else None
            found = (kind.group(1) if kind else None,
                     (int(digits) if digits.isdigit() else 0) if digits is not None else None)
            if len(self.attributes) < 10_000:
                self.attributes[attributes] = found
        return found

    def value(self, attributes: bytes, plain: bytes, inline: bytes, other: bytes) -> Any:
        """The value of a cell from the groups of :data:`_CELL` (``None``: empty)."""
        if plain:
            kind, style = self.kind_of(attributes)
            if kind == b"s" and plain.isdigit():
                index = int(plain)
                if index < len(self.strings):
                    return self.strings[index]
            elif kind in (b"inlineStr", b"is"):
                return None
            elif plain.isdigit() and kind in (b"n", None) and not self.styles.kind(style):
                return float(plain)
            return self._from_v(plain, kind, style)
        if inline:
            return self.inline(inline)
        if other:
            kind, style = self.kind_of(attributes)
            return self._general(kind, style, other)
        return None

    def _general(self, kind: bytes | None, style: int | None, content: bytes) -> Any:
        """Any other content (a formula with its cached value, rich text, ``xml:space``...), through ElementTree."""
        element = ElementTree.fromstring(b"<c>" + content + b"</c>")
        value = None
        for child in element:
            name = child.tag
            if name == "is":
                value = _string_of(child)
            elif name == "v" and kind not in (b"inlineStr", b"is"):
                raw = (child.text or "").encode("utf-8")
                value = None if not raw else self._from_text(child.text or "", kind, style)
            elif name not in ("f", "v"):
                raise ValueError(f"unexpected <{name}> in a cell")
        return value

    def _from_v(self, raw: bytes, kind: bytes | None, style: int | None) -> Any:
        if not raw:
            return None
        if kind == b"s":
            index = int(raw) if raw.isdigit() else 0
            if index >= len(self.strings):
                raise ValueError(f"shared string {index} is past the table's {len(self.strings):,} strings")
            return self.strings[index]
        return self._from_text(self.text(raw), kind, style)

    def _from_text(self, text: str, kind: bytes | None, style: int | None) -> Any:
        if kind in (b"n", None):
            if _FLOAT.fullmatch(text) is None:
                if kind is None:
                    return text
                raise ValueError(f"a number cell holds {text[:40]!r}")
            number = float(text)
            date_kind = self.styles.kind(style)
            if date_kind and math.isfinite(number):
                return _serial_date(number, date_kind, self.base)
            return number
        if kind == b"s":
            return self._from_v(text.encode("utf-8"), kind, style)
        if kind == b"str":
            return _unescaped(text)
        if kind == b"b":
            truth = text.strip().lower()
            if truth not in ("0", "1", "true", "false"):
                raise ValueError(f"a boolean cell holds {text[:40]!r}")
            return truth in ("1", "true")
        if kind == b"e":
            if text not in ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA"):
                raise ValueError(f"an error cell holds {text[:40]!r}")
            return ""
        if kind == b"d":
            return _iso_date(text)
        raise ValueError(f"unknown cell type t={kind.decode('ascii', 'replace')!r}")


def _iso_date(text: str) -> Any:
    moment = datetime.datetime.fromisoformat(text.rstrip("Z"))
    return moment.date() if "T" not in text and " " not in text else moment


# --------------------------------------------------------------------------------------------- the sheet

def _sheet_data(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The sheet's XML from its ``<sheetData>`` to its ``</sheetData>`` (what follows is not read), in pieces that
    each end after a ``</row>`` (or at the end), so that no cell is cut. The end tags are looked for only in
    what came since the last look, and a row longer than :data:`_LONGEST_ROW` is not streamed, so a row
    without end neither grows without bound nor makes the search quadratic."""
    carry, started = b"", False
    for chunk in chunks:
        text = carry + chunk
        seen = max(0, len(carry) - len(_DATA_END) + 1)   # the carry holds no end tag: look after it
        if not started:
            if text[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in text[:4]:
                raise NotStreamable("UTF-16 XML")
            at = text.find(b"<sheetData")
            if at < 0:
                carry = text[-64:]
                if re.search(rb"<[A-Za-z_][\w.-]*:worksheet\b", text):
                    raise NotStreamable("namespace prefixes")
                continue
            started, text, seen = True, text[at:], 0
            if text.startswith(b"<sheetData/>"):
                return
        end = text.find(_DATA_END, seen)
        if end >= 0:
            yield text[:end]
            return
        cut = text.rfind(_ROW_END, seen)
        if cut < 0:
            if len(text) > _LONGEST_ROW:
                raise NotStreamable(f"a row of more than {_LONGEST_ROW >> 20} MB of XML")
            carry = text
            continue
        cut += len(_ROW_END)
        carry = text[cut:]
        yield text[:cut]
    raise ValueError("the sheet's XML ends before its </sheetData>")


def _all_valued(piece: bytes, cells: int) -> bool:
    """Whether every cell of ``piece`` surely holds a value, told from substring counts alone: each cell ends
    with a value or an inline string, none is self-closing or a bare formula, each inline cell has its ``<is>``."""
    return (b"/>" not in piece and b"<v></v>" not in piece and b"<f" not in piece and b't="is"' not in piece
            and piece.count(b"</v></c>") + piece.count(b"</is></c>") == cells
            and piece.count(b't="inlineStr"') == piece.count(b"<is>"))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def scan_extent(chunks: Iterator[bytes], strings: Sequence[str], styles: SheetStyles, from_1904: bool,
                on_error: Callable[[str], Exception]) -> SheetExtent:
    """The rectangle of the cells holding a value, checking the streamed layout (:class:`NotStreamable`);
    ``on_error(message)`` is raised for a cell calamine refuses, or XML that ends early."""
    cells = _Cells(strings, styles, from_1904)
    columns: dict[bytes, int] = {}
    count, first_row, last_row, first_column, last_column, previous_row = 0, 0, 0, 1 << 30, 0, 0
    try:
        for piece in _sheet_data(chunks):
            if b"<!" in piece or b"<?" in piece:
                raise NotStreamable("comments, CDATA or processing instructions")
            digits = _ROW_OF_CELL.findall(piece)
            if len(digits) != len(_ANY_CELL.findall(piece)):
                raise NotStreamable("cells without their reference first, or with other attributes")
            if not digits:
                continue
            rows = list(map(int, digits))
            if rows != sorted(rows) or rows[0] < previous_row:
                raise NotStreamable("rows out of order")
            previous_row = rows[-1]
            if _all_valued(piece, len(rows)):
                valued = set(_COLUMN_OF_CELL.findall(piece))   # the common case, without a look at each cell
            else:
                valued, rows, found_cells = set(), [], _CELL.findall(piece)
                if len(found_cells) != len(digits):
                    raise NotStreamable("a cell that is not closed")
                for found in found_cells:
                    if cells.value(*found[2:]) is not None:
                        valued.add(found[0])
                        rows.append(int(found[1]))
                if not rows:
                    continue
            count += len(rows)
            first_row = first_row or rows[0]
            last_row = rows[-1]
            numbers = [columns.get(name) or columns.setdefault(name, _column_number(name)) for name in valued]
            first_column, last_column = min(first_column, *numbers), max(last_column, *numbers)
    except _REFUSED as error:
        raise on_error(str(error)) from None
    if not count:
        return SheetExtent()
    return SheetExtent(count, first_row, first_column, last_row, last_column)


def stream_rows(chunks: Iterator[bytes], extent: SheetExtent, strings: Sequence[str], styles: SheetStyles,
                from_1904: bool, on_error: Callable[[str], Exception]) -> Iterator[list[Any]]:
    """The rows of the sheet from its first row holding a value to its last, each as wide as ``extent``'s
    columns, empty cells as ``""`` (python-calamine's rows); ``on_error(message)`` is raised for a cell
    calamine refuses."""
    if not extent.cells:
        return
    cells = _Cells(strings, styles, from_1904)
    columns: dict[bytes, int] = {}
    offset, width = extent.first_column, extent.last_column - extent.first_column + 1
    blank = [""] * width
    row_number, current = extent.first_row, list(blank)
    value_of, inlines, plans, shared = cells.value, cells.inlines, cells.plans, len(strings)
    try:
        for piece in _sheet_data(chunks):
            for letters, digits, attributes, plain, inline, other in _CELL.findall(piece):
                if inline:
                    value = inlines.get(inline)
                    if value is None:
                        value = cells.inline(inline)
                elif plain and plain.isdigit() and (plans.get(attributes) or cells.plan(attributes)) == _NUMBER:
                    value = float(plain)
                elif plain and plans.get(attributes) == _SHARED and plain.isdigit() and int(plain) < shared:
                    value = strings[int(plain)]
                else:
                    value = value_of(attributes, plain, inline, other)
                    if value is None:
                        continue
                row = int(digits)
                if row != row_number:
                    if row < extent.first_row or row > extent.last_row:
                        continue
                    yield current
                    for _ in range(row_number + 1, row):
                        yield list(blank)
                    row_number, current = row, list(blank)
                column = columns.get(letters) or columns.setdefault(letters, _column_number(letters))
                current[column - offset] = value
    except _REFUSED as error:
        raise on_error(str(error)) from None
    yield current
