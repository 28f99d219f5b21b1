"""The streamed reading of large xlsx sheets (``surveys/ingest/sheet_stream.py``) gives python-calamine's values.

Each workbook is read twice through :func:`surveys.ingest.workbook.open_sheet`: once with calamine (the route of
small sheets) and once streamed (``STREAM_FROM_BYTES`` and ``CALAMINE_AREA`` lowered to 0, the route of sheets of
more than 4M cells), and the rows must be identical, value by value and type by type: the demo's exports, a generated
workbook with shared strings, dates in several styles, booleans, formulas and rich text, and a list of cells
written as raw XML (entities, ``_xHHHH_`` escapes, line ends, odd numbers, errors). Then the bounds: a sheet
with a stray far cell or a compressed bomb is refused on the streamed route as on calamine's, a truncated
sheet or a bad shared-string index is a clean error, and an ingest reads the same respondents either way.
"""
from __future__ import annotations

import datetime
import io
import json
import math
import pathlib
import zipfile

import openpyxl
import pytest
from hostile_input import questionnaire_of, wjx_text, xlsx_with_far_cell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from surveys.cli import main
from surveys.errors import IngestError
from surveys.ingest import sheet_stream, workbook
from surveys.ingest.sheet_stream import _format_kind

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


@pytest.fixture(scope="module")
def city(demo_city):
    return demo_city.out_dir


def _route(monkeypatch, streamed: bool) -> None:
    """Every sheet streamed, or none."""
    monkeypatch.setattr(workbook, "STREAM_FROM_BYTES", 0 if streamed else 1 << 62)
    monkeypatch.setattr(workbook, "CALAMINE_AREA", 0)


def _read(data: bytes, streamed: bool, monkeypatch) -> list | str:
    _route(monkeypatch, streamed)
    path = pathlib.Path("book.xlsx")
    if streamed:
        chosen = workbook._choose(workbook._sheet_names(data, path), path, None, ())
        assert workbook._streamed(data, path, chosen) not in (None, workbook._CHECKED), "the sheet was not streamed"
    try:
        return list(workbook.open_sheet(data, path, "xlsx")[1])
    except IngestError as error:
        return f"error: {error}"


def _same(left, right) -> bool:
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left.startswith("error") and \
            right.startswith("error")
    if len(left) != len(right):
        return False
    for row, other in zip(left, right):
        if len(row) != len(other):
            return False
        for value, expected in zip(row, other):
            nan = isinstance(value, float) and isinstance(expected, float) and math.isnan(value) and math.isnan(expected)
            if type(value) is not type(expected) or (value != expected and not nan):
                return False
    return True


def _assert_same(data: bytes, monkeypatch) -> list:
    calamine, streamed = _read(data, False, monkeypatch), _read(data, True, monkeypatch)
    assert _same(streamed, calamine), f"streamed: {streamed!r:.600}\ncalamine: {calamine!r:.600}"
    return calamine


def test_the_demo_exports_read_the_same_streamed(city, monkeypatch):
    books = sorted(city.glob("online/wjx/*.xlsx")) + sorted(city.glob("paper/*.xlsx"))
    assert len(books) >= 4
    for book in books:
        rows = _assert_same(book.read_bytes(), monkeypatch)
        assert len(rows) > 10, book.name


def _generated_workbook() -> bytes:
    """Shared strings, numbers, identifiers, dates and times in several styles, booleans, formulas, rich text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "提交答卷时间", "日期", "时刻", "时长", "满意度", "是否", "公式", "长号码", "备注"])
    formats = ("yyyy-mm-dd hh:mm:ss", "yyyy/m/d", "h:mm", "[h]:mm:ss", '0.00 "元"', "mm:ss.0", "0%", '"d"0')
    for number in range(1, 1200):
        moment = datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=137 * number, milliseconds=number)
        sheet.append([number, moment, moment.date(), moment.time(), datetime.timedelta(seconds=number * 97),
                      ("非常满意", "满意", "一般", "不满意", "")[number % 5], number % 3 == 0, "=1+1",
                      10 ** 15 + number if number % 7 == 0 else f"1{number:017d}", f"第{number}位 & <受访者>\n换行"])
        sheet.cell(row=number + 1, column=6 if number % 11 else 3).number_format = formats[number % len(formats)]
    sheet.append([None] * 5 + [CellRichText(TextBlock(InlineFont(b=True), "很"), "满意")])
    sheet.append([0.1, 1e-300, -0.0, 2 ** 53 + 1, 59.5, 60.0, 61.25])
    for row in sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row):
        for cell in row:
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_generated_workbook_reads_the_same_streamed(monkeypatch):
    rows = _assert_same(_generated_workbook(), monkeypatch)
    assert len(rows) == 1202 and isinstance(rows[1][1], datetime.datetime)


def _book(cells: str, shared: str | None = None, styles: str | None = None, workbook_properties: str = "") -> bytes:
    """A minimal xlsx whose one sheet's ``<sheetData>`` holds ``cells`` (raw XML)."""
    relations = [f'<Relationship Id="rId1" Type="{_RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>']
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
                                        f'Type="{_RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONS}">{workbook_properties}'
                                            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        if shared is not None:
            relations.append(f'<Relationship Id="rId2" Type="{_RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>')
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_MAIN}">{shared}</sst>')
        if styles is not None:
            relations.append(f'<Relationship Id="rId3" Type="{_RELATIONS}/styles" Target="styles.xml"/>')
            archive.writestr("xl/styles.xml", f'<styleSheet xmlns="{_MAIN}">{styles}</styleSheet>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PACKAGE}">{"".join(relations)}'
                                                       "</Relationships>")
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}</sheetData>'
                                                     "</worksheet>")
    return buffer.getvalue()


def _row(*cells: str, number: int = 1) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


_SHARED = "<si><t>零</t></si><si><r><t>a</t></r><r><rPr><b/></rPr><t>b_x0041_</t></r><rPh><t>P</t></rPh></si>" \
          "<si><t/></si><si><t>a\r\nb</t></si>"
_STYLES = ('<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
           '<numFmt numFmtId="165" formatCode="[h]:mm"/><numFmt numFmtId="166" formatCode="&quot;day&quot; 0.0"/>'
           '</numFmts><cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/>'
           '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="46"/></cellXfs>')
CELLS = {
    "numbers": _row(*(f'<c r="{chr(65 + i)}1"><v>{text}</v></c>' for i, text in enumerate(
        ["1", "1.", "-0", ".5", "+5", "1.5E+3", "00012", "1e400", "1e-400", "nan", "INF", "-inf", "Infinity", "1e",
         "1_0", "0x10", " 5", "5 ", "abc", "9" * 400]))),
    "typed numbers": _row('<c r="A1" t="n"><v>1.25</v></c><c r="B1" t="n"><v>12</v></c>'),
    "bad typed number": _row('<c r="A1" t="n"><v>1_0</v></c>'),
    "shared strings": _row(*(f'<c r="{chr(65 + i)}1" t="s"><v>{index}</v></c>' for i, index in
                             enumerate(["0", "1", "2", "3", "x", " 1"]))),
    "shared string past the table": _row('<c r="A1" t="s"><v>4</v></c>'),
    "empty shared index": _row('<c r="A1" t="s"><v></v></c><c r="B1"><v>1</v></c>'),
    "inline strings": _row('<c r="A1" t="inlineStr"><is><t>&#x4e2d;&#20013;&lt;&gt;&quot;&apos;&amp;</t></is></c>',
                           '<c r="B1" t="inlineStr"><is><t>a\r\nb\rc</t></is></c>',
                           '<c r="C1" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c>',
                           '<c r="D1" t="inlineStr"><is><r><t>ab</t></r><r><t> c</t></r><rPh><t>P</t></rPh></is></c>',
                           '<c r="E1" t="inlineStr"><is><t>_x0041__x00_ _x004a_ _X0041_ _x000D_</t></is></c>',
                           '<c r="F1" t="inlineStr"><is><t></t></is></c><c r="G1" t="inlineStr"><is></is></c>',
                           '<c r="H1" t="inlineStr"><v>9</v></c><c r="I1" t="inlineStr"></c>'),
    "unknown entity": _row('<c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c>'),
    "formula strings": _row('<c r="A1" t="str"><f>A2</f><v>a_x000D_b&amp;c</v></c>',
                            '<c r="B1" t="str"><v>a\r\nb</v></c><c r="C1"><f>1+1</f></c><c r="D1"><f>1+1</f><v>2</v></c>'),
    "booleans and errors": _row('<c r="A1" t="b"><v>0</v></c><c r="B1" t="b"><v>1</v></c>',
                                '<c r="C1" t="b"><v>true</v></c><c r="D1" t="e"><v>#DIV/0!</v></c>',
                                '<c r="E1" t="e"><v>#N/A</v></c><c r="F1"><v>1</v></c>'),
    "bad boolean": _row('<c r="A1" t="b"><v>2</v></c>'),
    "bad error": _row('<c r="A1" t="e"><v>#FOO</v></c>'),
    "unknown type": _row('<c r="A1" t="zz"><v>1</v></c>'),
    "iso dates": _row('<c r="A1" t="d"><v>2026-01-02T03:04:05</v></c><c r="B1" t="d"><v>2026-01-02</v></c>'),
    "styled dates": _row(*(f'<c r="{chr(65 + i)}1" s="{i % 7}"><v>{serial}</v></c>' for i, serial in enumerate(
        ["46024.127835648", "46024", "0.5", "1.75", "59", "60", "61", "0.0000001", "2958465.99", "30.000011574",
         "45000.123456789", "1.5", "3.999994", "0", "12.5", "100000", "46024.9999999"]))),
    "dates around the leap-year bug": _row(*(f'<c r="{chr(65 + i)}1" s="{1 + i % 2}"><v>{serial}</v></c>' for i, serial in
                                            enumerate(["1", "1.5", "59", "59.5", "60", "60.25", "61", "61.5", "-1",
                                                       "-0.5", "0", "2958465", "2958466", "1e20", "2958465.9999999"]))),
    "durations": _row(*(f'<c r="{chr(65 + i)}1" s="6"><v>{serial}</v></c>' for i, serial in
                        enumerate(["-1", "-0.5", "-1e-9", "2958466", "0.0000115740740", "1.99999999"]))),
    "empty cells at the edges": _row('<c r="A1" s="1"></c><c r="B1"><v>1</v></c><c r="C1"><v></v></c>',
                                     '<c r="D1" t="inlineStr"/>') + _row('<c r="B3"><v>2</v></c>', number=3),
    "cells after the sheet data": _row('<c r="A1"><v>1</v></c>') + '</sheetData><extLst><c r="Z9"><v>5</v></c></extLst>'
                                  '<sheetData>',
    "repeated cell": _row('<c r="A1"><v>1</v></c><c r="A1"><v>2</v></c>'),
    "gaps": _row('<c r="C2"><v>1</v></c>', number=2) + _row('<c r="E9" t="inlineStr"><is><t>x</t></is></c>', number=9),
}


@pytest.mark.parametrize("name", list(CELLS))
def test_edge_cells_read_the_same_streamed(name, monkeypatch):
    _assert_same(_book(CELLS[name], shared=_SHARED, styles=_STYLES), monkeypatch)


def test_dates_count_from_1904_when_the_workbook_says_so(monkeypatch):
    rows = _assert_same(_book(CELLS["styled dates"], styles=_STYLES, workbook_properties='<workbookPr date1904="1"/>'),
                        monkeypatch)
    assert rows[0][1] == datetime.date(2030, 1, 3)


@pytest.mark.parametrize("code, kind", [("yyyy-mm-dd", "date"), ("[h]:mm:ss", "duration"), ('0.00 "days"', ""),
                                        ("General", ""), (r"0\d", ""), ("[Red]0.00", ""), ("[$-409]d-mmm", "date"),
                                        ("0;[Red]-0", "")])
def test_number_formats_are_told_as_calamine_tells_them(code, kind):
    assert _format_kind(code) == kind


def test_a_layout_that_is_not_streamed_is_read_by_calamine(monkeypatch):
    unordered = _row('<c r="A2"><v>1</v></c>', number=2) + _row('<c r="A1"><v>2</v></c>')
    for cells in (unordered, "<row><c><v>1</v></c></row>", _row('<c r="A1"><v>1</v></c><!-- a comment -->')):
        data = _book(cells)
        _route(monkeypatch, True)
        assert workbook._streamed(data, pathlib.Path("book.xlsx"), "S") is None
        assert _read(data, False, monkeypatch) == list(workbook.open_sheet(data, pathlib.Path("b.xlsx"), "xlsx")[1])


def test_a_date_past_calamine_s_range_is_a_clean_error_not_a_panic(monkeypatch):
    data = _book(_row('<c r="A1" s="1"><v>-1e20</v></c><c r="B1"><v>1</v></c>'), styles=_STYLES)
    assert _read(data, True, monkeypatch) == [[-1e20, 1.0]]   # streamed: the number kept
    refused = _read(data, False, monkeypatch)   # calamine's Rust code panics: worded as a row it cannot read
    assert refused.startswith("error: book.xlsx: cannot read a row of the workbook (PanicException")


def test_a_truncated_sheet_is_a_clean_error_when_streamed(monkeypatch):
    data = _book(_row('<c r="A1"><v>1</v></c>') * 3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(buffer, "w") as changed:
        for item in original.infolist():
            content = original.read(item.filename)
            changed.writestr(item, content[:content.index(b"</sheetData>")] if "sheet1" in item.filename else content)
    _route(monkeypatch, True)
    with pytest.raises(IngestError, match="book.xlsx: cannot open the workbook .*ends before its </sheetData>"):
        workbook.open_sheet(buffer.getvalue(), pathlib.Path("book.xlsx"), "xlsx")


def test_a_stray_far_cell_is_refused_on_the_streamed_route_as_on_calamine_s(city, tmp_path, monkeypatch):
    source = wjx_text(city)
    far = xlsx_with_far_cell(source, tmp_path / "far.xlsx", "A1048576")
    messages = []
    for streamed in (False, True):
        _route(monkeypatch, streamed)
        with pytest.raises(IngestError) as refused:
            list(workbook.open_sheet(far.read_bytes(), far, "xlsx")[1])
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "the farthest cells are A1048576 and U88" in messages[0]


@pytest.mark.parametrize("streamed", [False, True])
def test_a_compressed_bomb_is_refused_by_its_ratio_on_both_routes(streamed, monkeypatch):
    _route(monkeypatch, streamed)
    monkeypatch.setattr(workbook, "FREE_XML_BYTES", 1 << 20)
    spaces = " " * (8 << 20)  # 8 MB of blank space packs into ~35 KB: a ratio over 200
    data = _book(_row('<c r="A1"><v>1</v></c>') + spaces + _row('<c r="A2"><v>2</v></c>', number=2))
    with pytest.raises(IngestError, match=r"sheet1.xml unpacks to more than .* MB from .* compressed bytes \(over 100 "):
        list(workbook.open_sheet(data, pathlib.Path("bomb.xlsx"), "xlsx")[1])


def test_a_sheet_the_first_pass_checked_goes_to_calamine_without_a_second_scan(city, monkeypatch):
    monkeypatch.setattr(workbook, "STREAM_FROM_BYTES", 0)
    data = wjx_text(city).read_bytes()
    assert workbook._streamed(data, pathlib.Path("book.xlsx"), "Sheet1") is workbook._CHECKED
    monkeypatch.setattr(workbook, "_check_xlsx", None)   # not called
    _, rows = workbook.open_sheet(data, pathlib.Path("book.xlsx"), "xlsx")
    assert len(list(rows)) > 10


def test_an_export_ingests_the_same_respondents_when_streamed(city, tmp_path, capsys, monkeypatch):
    source = wjx_text(city)
    results = []
    for streamed in (False, True):
        _route(monkeypatch, streamed)
        status = main(["ingest", str(source), "--questionnaire", str(questionnaire_of(source)), "--store",
                       str(tmp_path / f"store{streamed}.sqlite"), "--json"])
        assert status == 0
        results.append(json.loads(capsys.readouterr().out)["files"][0])
    keys = ("rows_read", "accepted", "rejected", "flagged", "reasons", "blank_rows")
    assert {key: results[1].get(key) for key in keys} == {key: results[0].get(key) for key in keys}
    assert results[0]["rows_read"] > 10


def test_pieces_cut_anywhere_read_the_same_streamed(monkeypatch):
    """The sheet's XML arrives in pieces of a few bytes, so that every end tag straddles two of them."""
    cells = "".join(_row(f'<c r="A{number}"><v>{number}</v></c><c r="B{number}" t="inlineStr"><is><t>第{number}行</t></is></c>',
                         number=number) for number in range(1, 40))
    data = _book(cells)
    expected = _read(data, False, monkeypatch)
    for size in (5, 7, 13):
        monkeypatch.setattr(workbook, "_CHUNK", size)
        assert _same(_read(data, True, monkeypatch), expected)


def test_a_row_longer_than_the_bound_is_not_streamed(monkeypatch):
    """A row without its end within the bound is read by calamine's route (within its own bounds), so a
    sheet that never closes a row cannot grow the streamed reader's memory."""
    data = _book(_row('<c r="A1" t="inlineStr"><is><t>' + "满意" * 400 + '</t></is></c>') + _row('<c r="A2"><v>1</v></c>', number=2))
    monkeypatch.setattr(workbook, "_CHUNK", 64)
    monkeypatch.setattr(sheet_stream, "_LONGEST_ROW", 512)
    _route(monkeypatch, True)
    assert workbook._streamed(data, pathlib.Path("book.xlsx"), "S") is None
    assert _read(data, False, monkeypatch)[0][0] == "满意" * 400
