"""Byte-reproducible writers for the demo's tables: xlsx workbooks and CSV files.

An :class:`ExportTable` is the in-memory truth of one file (its header and its rows, cell by cell);
the writers turn it into bytes. Workbooks carry a fixed creation time and fixed zip entry dates, so
the same seed gives the same sha256.
"""
from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["ExportTable", "xlsx_bytes", "csv_text", "FIXED_TIMESTAMP"]

# The moment every demo workbook claims to have been created and saved.
FIXED_TIMESTAMP = datetime.datetime(2026, 11, 9, 9, 0, 0)
_ZIP_DATE = (2026, 11, 9, 9, 0, 0)


@dataclass(frozen=True)
class ExportTable:
    """The cells of one sheet or CSV file: ``columns`` (the header row) and ``rows`` of cell values.

    A cell is ``None`` (an empty cell), an ``int``, a ``float`` or a ``str``; strings that look like
    numbers (phone numbers, times) stay strings, as the platforms write them.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sheet: str = "Sheet1"

    def column_values(self, column: str) -> list[Any]:
        index = self.columns.index(column)
        return [row[index] for row in self.rows]


def xlsx_bytes(tables: Sequence[ExportTable], *, creator: str = "surveys demo") -> bytes:
    """An .xlsx workbook with one sheet per table, byte-identical for identical tables.

    Written directly as SpreadsheetML (inline strings, numbers as numbers): many times faster than
    openpyxl for the demo's 150k cells, and reproducible by construction. The tests read every
    workbook back with openpyxl and python-calamine.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, text: str) -> None:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text.encode("utf-8"))

        add("[Content_Types].xml", _content_types(len(tables)))
        add("_rels/.rels", _ROOT_RELS)
        add("docProps/core.xml", _core(creator))
        add("docProps/app.xml", _APP)
        add("xl/workbook.xml", _workbook(tables))
        add("xl/_rels/workbook.xml.rels", _workbook_rels(len(tables)))
        add("xl/styles.xml", _STYLES)
        for index, table in enumerate(tables, start=1):
            add(f"xl/worksheets/sheet{index}.xml", _sheet(table))
    return buffer.getvalue()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_ROOT_RELS = (_XML + f'<Relationships xmlns="{_PKG}/relationships">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{_PKG}/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
              "</Relationships>")
_APP = (_XML + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>surveys</Application></Properties>")
_STYLES = (_XML + f'<styleSheet xmlns="{_MAIN}">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           "</styleSheet>")
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _content_types(sheets: int) -> str:
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SPREADSHEET}.worksheet+xml"/>'
                        for i in range(1, sheets + 1))
    return (_XML + f'<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_SPREADSHEET}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_SPREADSHEET}.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            + overrides + "</Types>")


def _core(creator: str) -> str:
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (_XML + f'<cp:coreProperties xmlns:cp="{_PKG}/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{_escape(creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


def _workbook(tables: Sequence[ExportTable]) -> str:
    sheets = "".join(f'<sheet name="{_escape(t.sheet)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, t in enumerate(tables, start=1))
    return _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'


def _workbook_rels(sheets: int) -> str:
    relations = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, sheets + 1))
    relations += f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return _XML + f'<Relationships xmlns="{_PKG}/relationships">{relations}</Relationships>'


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(reference: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{_escape(str(value))}</t></is></c>'


def _sheet(table: ExportTable) -> str:
    letters = [_column_letter(i) for i in range(len(table.columns))]
    parts = [_XML, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetData>']
    for row_number, row in enumerate((table.columns, *table.rows), start=1):
        cells = "".join(_cell(f"{letter}{row_number}", value) for letter, value in zip(letters, row))
        parts.append(f'<row r="{row_number}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def csv_text(table: ExportTable, *, quote_all: bool = False, trailing_comma: bool = False,
             line_terminator: str = "\n") -> str:
    """The CSV text of a table. ``quote_all`` and ``trailing_comma`` reproduce 腾讯问卷's layout."""
    lines = []
    for row in (table.columns, *table.rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                            lineterminator=line_terminator)
        writer.writerow(["" if value is None else str(value) for value in row])
        line = buffer.getvalue()
        if trailing_comma:
            line = line[: -len(line_terminator)] + "," + line_terminator
        lines.append(line)
    return "".join(lines)
