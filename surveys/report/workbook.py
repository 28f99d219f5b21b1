"""The acceptance workbook (report.xlsx): 总览, one sheet per indicator, 方法, 数据质量, 权重 (and 图表).

Every sheet prints the sections of :mod:`surveys.report.views` (the same tables as the HTML report):

* numbers are stored as numbers with display formats (shares ``0.0%``, margins ``±0.0%``, counts
  ``#,##0``); an interval is two numeric columns (lower, upper);
* **no text cell can be a formula**: every text is written with ``data_type = "s"`` (openpyxl would
  otherwise store a text starting with ``=`` as a formula), texts starting with ``= + - @`` also get
  Excel's quote prefix so that editing the cell keeps it text, and control characters XML cannot hold
  are replaced (docs/needs.md §10: CSV/Excel formula injection from free-text answers);
* the verdict column is coloured by conditional-formatting rules (one per verdict, on the verdict's
  label), and the label itself says the verdict, so colour is never the only carrier;
* headers are frozen, column widths fitted to the text (East Asian wide characters count 2), sheet
  names valid (≤ 31 characters, none of ``[]:*?/\\``) and unique; pages print on A4 landscape, fitted
  to the width, with the header row repeated;
* chart PNGs are embedded (for an SVG chart its sibling ``.png``, when there is one).

Validated by re-opening the file with openpyxl (``tests/test_report_workbook.py``).
"""
from __future__ import annotations

import math
import pathlib
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from surveys.display import wrap
from surveys.errors import ReportError
from surveys.report.figures import natural_size
from surveys.report.labels import VERDICT_STYLES, label, verdict_label
from surveys.report.model import ReportInput
from surveys.report.text import (
    clean_text,
    display_width,
    format_value,
    unique_sheet_names,
)
from surveys.report.views import Cell, Section, Table, chart_title, report_sections
from surveys.spreadsheet_text import write_text_cell

__all__ = ["write_workbook", "NUMBER_FORMATS"]

NUMBER_FORMATS = {
    "share": "0.0%",
    "points": '"±"0.0%',
    "index": "0.0",
    "index_points": '"±"0.0',
    "number": "General",
    "count": "#,##0",
    "df": "General",
    "points_signed": "+0.0%;-0.0%;0.0%",
    "p_value": "0.000",
    "coefficient": "0.00",
    "correlation": "0.000",
}
_MAX_WIDTH = 48
_MIN_WIDTH = 6
_IMAGE_WIDTH = 760  # pixels; about 20 cm on screen
_IMAGE_HEIGHT = 640  # pixels; about 17 cm: a chart fits the height of a landscape A4 page
_ROW_PIXELS = 20
_DEFAULT_WIDTH = 8.43  # a column Excel has not been told the width of
_NOTE_MIN_WIDTH = 90  # a note wraps at no fewer than this many Latin cells
_NOTE_LINE_POINTS = 15  # the height of one line of an 11-point note, in points
_HEADER_FILL = PatternFill(start_color="FFE8ECF1", end_color="FFE8ECF1", fill_type="solid")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_MUTED = Font(italic=True, color="FF7F7F7F")
_NOTE = Font(italic=True, color="FF404040")
_WARNING = Font(bold=True, color="FFB42318")


def _number_format(kind: str, unit: str, value: float | None = None) -> str:
    """The display format of a number of ``kind``, followed by its unit (the cell stays a number): 3 → 3次.
    A plain ``number`` shows what the HTML shows (:func:`surveys.report.text.format_value`): whole numbers and
    numbers from 1,000 up without decimals, others to four significant digits (a design effect 1.147)."""
    base = NUMBER_FORMATS.get(kind, NUMBER_FORMATS["number"])
    if base == "General" and value is not None and math.isfinite(value):
        shown = format_value(value, "number")  # 1,113 / 1.147 / 0.052, as the HTML shows it
        if "e" not in shown:
            decimals = len(shown.partition(".")[2])
            base = "#,##0" if not decimals else "0." + "0" * decimals
    if not unit:
        return base
    if base == "General":
        base = "0.0##"
    return base + '"' + unit.replace('"', "") + '"'


class _Sheet:
    """A worksheet being written top to bottom, remembering the widest text of each column."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 1
        self.widths: dict[int, int] = {}
        self.caps: dict[int, int] = {}  # column → widest it may be (ColumnView.width); longer text wraps
        self.frozen = False
        self.first_table_row = 1  # rows above (the sheet's title) span the page and never wrap
        self.notes: list[int] = []  # rows holding a note: spread over the table's width and wrapped when fitted

    def text(self, row: int, column: int, value: Any, *, font: Font | None = None, measure: bool = True) -> None:
        """Write ``value`` as a text cell (never a formula), fitting the column to it when ``measure``."""
        text = clean_text(value)
        if not text:  # an empty text cell would be stored as an empty inline string: leave the cell blank
            return
        cell = self.sheet.cell(row=row, column=column)
        write_text_cell(cell, text)
        if font is not None:
            cell.font = font
        if measure:
            self._measure(column, text)

    def number(self, row: int, column: int, value: float | None, kind: str, lang: str, muted: bool,
               unit: str = "") -> None:
        if value is None:
            return
        if not math.isfinite(value):  # an infinite df (normal interval): Excel has no infinity, so say it
            self.text(row, column, format_value(value, kind, lang), font=_MUTED if muted else None)
            return
        cell = self.sheet.cell(row=row, column=column, value=float(value))
        cell.number_format = _number_format(kind, unit, float(value))
        if muted:
            cell.font = _MUTED
        self._measure(column, format_value(value, kind, lang) + unit)

    def note(self, text: str) -> None:
        """A note on a row of its own. It wraps within the width of the tables above it: a long line left to
        overflow would widen the printed page, and every table on the sheet would print smaller."""
        self.text(self.row, 1, text, font=_NOTE, measure=False)
        self.notes.append(self.row)
        self.row += 1

    def _measure(self, column: int, text: str) -> None:
        longest = max((display_width(line) for line in text.splitlines() or [""]), default=0)
        self.widths[column] = max(self.widths.get(column, 0), longest)

    def fit_columns(self) -> None:
        for column, width in self.widths.items():
            widest = min(self.caps.get(column, _MAX_WIDTH), _MAX_WIDTH)
            fitted = min(max(width + 2, _MIN_WIDTH), widest)
            self.sheet.column_dimensions[get_column_letter(column)].width = fitted
            if width + 2 > widest:
                for (cell,) in self.sheet.iter_rows(min_row=self.first_table_row, min_col=column, max_col=column):
                    if isinstance(cell.value, str) and display_width(cell.value) > widest - 2 \
                            and cell.row not in self.notes:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        self._fit_row_heights()
        self._spread_notes()

    def _fit_row_heights(self) -> None:
        """A row whose wrapped text takes several lines is made that tall: LibreOffice and WPS keep the stored
        height of a row on opening a workbook, so a wrapped cell would otherwise be cut to its first line."""
        for row in self.sheet.iter_rows(min_row=self.first_table_row):
            lines = 1
            for cell in row:
                if not (isinstance(cell.value, str) and cell.alignment is not None and cell.alignment.wrap_text):
                    continue
                width = int(self.sheet.column_dimensions[get_column_letter(cell.column)].width or _DEFAULT_WIDTH)
                lines = max(lines, sum(len(wrap(line, width)) for line in cell.value.splitlines() or [""]))
            if lines > 1:
                self.sheet.row_dimensions[row[0].row].height = _NOTE_LINE_POINTS * lines
                for cell in row:  # every cell of a tall row starts at its top, as the wrapped ones do
                    if cell.value is not None and cell.alignment.vertical != "top":
                        cell.alignment = Alignment(horizontal=cell.alignment.horizontal,
                                                   wrap_text=cell.alignment.wrap_text, vertical="top")

    def _spread_notes(self) -> None:
        last = max(self.widths, default=1)
        total = sum(self.sheet.column_dimensions[get_column_letter(c)].width or _DEFAULT_WIDTH
                    for c in range(1, last + 1))
        while total < _NOTE_MIN_WIDTH:  # beside a narrow table (or a chart) a note may use blank columns
            last += 1
            total += self.sheet.column_dimensions[get_column_letter(last)].width or _DEFAULT_WIDTH
        for row in self.notes:
            cell = self.sheet.cell(row=row, column=1)
            lines = sum(max(1, math.ceil(display_width(line) / max(total - 2, 1)))
                        for line in str(cell.value or "").splitlines() or [""])
            if last > 1:
                self.sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if lines > 1:
                self.sheet.row_dimensions[row].height = _NOTE_LINE_POINTS * lines


def _expanded_headers(table: Table, lang: str, workbook_columns: list[int]) -> list[str]:
    headers = []
    for index in workbook_columns:
        column = table.columns[index]
        if column.interval:
            headers += [label("lower_of", lang, header=column.header), label("upper_of", lang, header=column.header)]
        else:
            headers.append(column.header)
    return headers


def _write_cell(sheet: _Sheet, row: int, column: int, cell: Cell, lang: str) -> int:
    """Write one view cell at (row, column); returns how many workbook columns it took."""
    if isinstance(cell.value, tuple):
        for offset, value in enumerate(cell.value):
            sheet.number(row, column + offset, value, cell.kind, lang, cell.muted)
        return len(cell.value)
    if cell.kind in ("text", "code", "verdict", "flag"):
        sheet.text(row, column, cell.value, font=_MUTED if cell.muted else None)
    else:
        sheet.number(row, column, cell.value, cell.kind, lang, cell.muted, cell.unit)
    return 1


def _verdict_rules(sheet: _Sheet, words: dict[str, str], first_row: int, last_row: int, column: int) -> None:
    """Conditional formatting on the verdict column: one rule per verdict wording present (the standard
    labels and any other wording the table uses, e.g. 达标 for an exact administrative figure)."""
    if last_row < first_row:
        return
    letter = get_column_letter(column)
    cells = f"{letter}{first_row}:{letter}{last_row}"
    for text, verdict in words.items():
        style = VERDICT_STYLES[verdict]
        text = text.replace('"', '""')
        fill = PatternFill(start_color="FF" + style.fill[1:], end_color="FF" + style.fill[1:], fill_type="solid")
        font = Font(color="FF" + style.text[1:], bold=verdict in ("met", "not_met"))
        sheet.sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=[f'"{text}"'],
                                                                   fill=fill, font=font))


def _write_table(sheet: _Sheet, table: Table, lang: str, *, show_title: bool, freeze: bool,
                 repeat_header: bool = True) -> None:
    if show_title:
        sheet.text(sheet.row, 1, table.title, font=_BOLD, measure=False)
        sheet.row += 1
    header_row = sheet.row
    headers = _expanded_headers(table, lang, list(range(len(table.columns))))
    position = 1
    for view in table.columns:
        if view.width is not None:
            sheet.caps[position] = min(sheet.caps.get(position, view.width), view.width)
        position += 2 if view.interval else 1
    for column, header in enumerate(headers, start=1):
        sheet.text(header_row, column, header, font=_BOLD, measure=False)
        cell = sheet.sheet.cell(row=header_row, column=column)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        # headers wrap, so they only need to fit their longest word (Chinese: two characters at least)
        sheet.widths[column] = max(sheet.widths.get(column, 0), min(display_width(header), 16))
    verdict_column, verdict_words = None, {verdict_label(v, lang): v for v in VERDICT_STYLES}
    row = header_row
    for row_cells in table.rows:
        row += 1
        column = 1
        for cell in row_cells:
            if cell.kind == "verdict":
                verdict_column = column
                verdict_words[clean_text(cell.value)] = cell.verdict
            column += _write_cell(sheet, row, column, cell, lang)
    if not table.rows:
        row += 1
        sheet.text(row, 1, label("no_rows", lang), font=_NOTE, measure=False)
    if verdict_column is not None:
        _verdict_rules(sheet, verdict_words, header_row + 1, row, verdict_column)
    if freeze and not sheet.frozen:
        sheet.sheet.freeze_panes = sheet.sheet.cell(row=header_row + 1, column=2 if len(headers) > 3 else 1)
        if repeat_header:  # not above other tables' rows on a sheet of several tables
            sheet.sheet.print_title_rows = f"{header_row}:{header_row}"
        if table.rows:
            sheet.sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{row}"
        sheet.frozen = True
    sheet.row = row + 1
    for note in (table.note, *table.notes):
        if note:
            sheet.note(note)
    sheet.row += 1


def _png_for(path: pathlib.Path) -> pathlib.Path | None:
    if path.suffix.lower() == ".png":
        return path
    sibling = path.with_suffix(".png")
    return sibling if sibling.is_file() else None


def _embed_charts(sheet: _Sheet, section: Section, lang: str) -> None:
    """Each chart on a page of its own (a page break before its title), no taller than a landscape A4 page."""
    for name, path in section.charts:
        if sheet.row > 3:
            sheet.sheet.row_breaks.append(Break(id=sheet.row - 1))
        sheet.text(sheet.row, 1, chart_title(name, lang), font=_BOLD, measure=False)
        sheet.row += 1
        png = _png_for(path)
        if png is None:
            sheet.text(sheet.row, 1, label("chart_svg_only", lang, name=name, path=path), font=_NOTE, measure=False)
            sheet.row += 2
            continue
        image = Image(str(png))
        size = natural_size(png)
        if size:
            image.width, image.height = round(size[0]), round(size[1])
        scale = min(1.0, _IMAGE_WIDTH / image.width, _IMAGE_HEIGHT / image.height)
        image.width, image.height = round(image.width * scale), round(image.height * scale)
        sheet.sheet.add_image(image, f"A{sheet.row}")
        sheet.row += image.height // _ROW_PIXELS + 2


def _write_section(sheet: _Sheet, section: Section, report: ReportInput) -> None:
    lang = report.lang
    sheet.text(1, 1, f"{report.title} · {section.title}" if report.title else section.title, font=_TITLE_FONT,
               measure=False)
    if report.unweighted:  # on every sheet, and in the header of every printed page
        sheet.text(2, 1, label("unweighted", lang), font=_WARNING, measure=False)
        sheet.sheet.oddHeader.center.text = label("unweighted", lang)
    sheet.row = 3
    sheet.first_table_row = 3
    charts_written = False
    for table in section.tables:
        _write_table(sheet, table, lang, show_title=len(section.tables) > 1 or table.title != section.title,
                     freeze=True, repeat_header=section.key != "analysis")
        if table.key == section.charts_after:
            _embed_charts(sheet, section, lang)
            charts_written = True
    for note in (*section.notes, *section.footnotes):
        sheet.note(note)
    if section.notes or section.footnotes:
        sheet.row += 1
    if not charts_written:
        _embed_charts(sheet, section, lang)
    sheet.fit_columns()
    setup = sheet.sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.sheet.print_options.horizontalCentered = True
    sheet.sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.sheet.oddFooter.center.text = label("page_footer", lang)
    sheet.sheet.oddFooter.left.text = clean_text(report.title)


def _sheet_titles(sections: tuple[Section, ...]) -> list[str]:
    """Fixed sheets keep their names; indicator and analysis sheets take what is left, made unique."""
    varying = ("indicator", "analysis")
    fixed = [s.title for s in sections if s.key not in varying]
    fixed_names = unique_sheet_names(fixed)
    wanted = iter(unique_sheet_names([s.sheet or s.title for s in sections if s.key in varying], taken=fixed_names))
    fixed_iter = iter(fixed_names)
    return [next(wanted) if s.key in varying else next(fixed_iter) for s in sections]


def write_workbook(report: ReportInput, path: str | pathlib.Path) -> pathlib.Path:
    """Write the acceptance workbook for ``report`` to ``path`` (folders are created); returns the path."""
    if not isinstance(report, ReportInput):
        raise ReportError(f"write_workbook needs a ReportInput; found {type(report).__name__}")
    path = pathlib.Path(path)
    sections = report_sections(report)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section, title in zip(sections, _sheet_titles(sections)):
        _write_section(_Sheet(workbook.create_sheet(title)), section, report)
    workbook.properties.title = clean_text(report.title)
    workbook.properties.creator = f"surveys {report.method.toolkit_version}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
    except OSError as error:
        raise ReportError(f"cannot write the workbook to {str(path)!r}: {error}; choose a writable folder "
                          "(and close the file if Excel has it open)") from error
    return path
