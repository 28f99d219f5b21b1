"""Page, fonts, tables, figures and captions of the Word report, over python-docx (see :mod:`surveys.report.docx`).

The page follows the usual layout of Chinese government documents (GB/T 9704-2012): A4 portrait, margins
37 mm top, 35 mm bottom, 28 mm left, 26 mm right (a 156 × 225 mm type area), body text in 仿宋 三号 (16 pt) on a
28 pt line, headings in 黑体 (first level) and 楷体 (second level), the page number as “— 1 —” centred in the
footer (the title page carries none).

**Fonts.** Chinese text is set through the ``w:eastAsia`` font attribute, Latin text and digits in Times New
Roman: 仿宋 (FangSong) for the body and tables, 黑体 (SimHei) for headings, captions and table headers, 楷体
(KaiTi) for second-level headings — the fonts every Chinese Windows has had since Vista, under the names a
Chinese Word writes. The document's font table declares each with its English name (``w:altName``), the GB2312
character set and its family, so that where a font is missing the application substitutes: Word and WPS take the
alternative name, then a GB2312 font of the same family (usually 宋体); LibreOffice takes its replacement table
and the system's CJK fonts (on Linux Noto Serif/Sans CJK through fontconfig). An office that mandates
仿宋_GB2312 can change the style once in Word; every paragraph follows its style.

**Tables** fit the 156 mm type width: fixed layout, column widths from their content
(:mod:`surveys.report.docx_widths`: as few printed lines as the width allows, no number or Latin word broken),
type by the number of columns (小四 12 pt up to four, 五号 10.5 pt up to six, 小五 9 pt up to nine, 8 pt beyond),
the header row repeated on every page, no row split across pages, a table that fits on half a page kept on one,
and a row's long note (the overview's 说明) on a full-width line under it instead of in a narrow column. Each
Latin word or number is a run marked as Western text, so no application breaks "341" into "3" and "41" (as
LibreOffice does inside Chinese text). **Figures** are the charts' print-resolution PNGs at their natural size, scaled down to
the type width, and to the type height when taller. Tables and figures are numbered 表1…, 图1… by Word SEQ
fields whose numbers are written in as well, so the numbers read right before any field update.
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
from typing import Any, Iterable, Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from surveys.errors import ReportError
from surveys.report.docx_widths import column_widths, table_height, text_width
from surveys.report.figures import CSS_DPI, natural_size
from surveys.report.labels import VERDICT_STYLES, label
from surveys.report.text import clean_text, format_value
from surveys.report.views import Cell, Table

__all__ = ["FONTS", "PAGE", "Layout", "cell_text"]


@dataclasses.dataclass(frozen=True)
class _Page:
    width: float = 210.0  # mm, A4 portrait
    height: float = 297.0
    top: float = 37.0
    bottom: float = 35.0
    left: float = 28.0
    right: float = 26.0
    header: float = 15.0
    footer: float = 23.0

    @property
    def text_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom


PAGE = _Page()
# style role → (East Asian font, its English name for the font table, font family)
FONTS = {"body": ("仿宋", "FangSong", "modern"), "heading": ("黑体", "SimHei", "modern"),
         "subheading": ("楷体", "KaiTi", "modern")}
LATIN = "Times New Roman"
MONOSPACE = "Consolas"
_BODY_SIZE = 16.0  # 三号
_TITLE_SIZE = 22.0  # 二号
_CAPTION_SIZE = 12.0  # 小四
_NOTE_SIZE = 10.5  # 五号
_HEADER_SIZE = 9.0  # 小五
_PAGE_NUMBER_SIZE = 14.0  # 四号
_CELL_PADDING = 1.0  # mm each side
_MUTED = RGBColor(0x6B, 0x72, 0x80)
_WARNING = RGBColor(0xB4, 0x23, 0x18)
_HEADER_FILL = "E8ECF1"
_LINE_FACTOR = 1.25  # a single-spaced line is about 1.25 em
_CELL_VERTICAL_PADDING = 0.4  # mm above and below a cell's text
_FIGURE_ROOM = 18.0  # mm kept under a figure for its caption and a heading line
_FIGURE_SPACE = 6.0  # pt above a figure
_LATIN_RUN = re.compile(r"([!-~–−±×]+)")
# what follows w:shd in a cell's properties and w:tblCellMar in a table's (ECMA-376 CT_TcPr, CT_TblPr)
_AFTER_SHADING = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
_AFTER_CELL_MARGINS = ("w:tblLook", "w:tblCaption", "w:tblDescription")


def cell_text(cell: Cell, lang: str) -> str:
    """A view cell as the report prints it: numbers by :func:`format_value` with their unit, an interval as
    ``low–high``, a verdict after its symbol (● ◆ ■ ▼ ×, as the HTML badge), never colour alone."""
    if isinstance(cell.value, tuple):
        if all(v is None for v in cell.value):
            return "–"
        return "–".join(format_value(v, cell.kind, lang) for v in cell.value)
    text = format_value(cell.value, cell.kind, lang)
    if cell.unit and text != "–":
        text += cell.unit if lang == "zh" or cell.unit == "%" else f" {cell.unit}"
    if cell.kind == "verdict" and cell.verdict in VERDICT_STYLES and text:
        text = f"{VERDICT_STYLES[cell.verdict].symbol} {text}"
    return text


def _code_size(size: float) -> float:
    return min(size - 1.5, 8.0)


def _numeric(cell: Cell) -> bool:
    return cell.kind not in ("text", "code", "verdict", "flag")


def _table_size(columns: int) -> float:
    """小四 for a table of up to four columns, 五号 up to six, 小五 up to nine, 8 pt beyond."""
    return 12.0 if columns <= 4 else (10.5 if columns <= 6 else (9.0 if columns <= 9 else 8.0))


# ------------------------------------------------------------------------------------------ XML helpers

def _set_fonts(rpr: Any, east_asia: str, latin: str = LATIN) -> None:
    """Set the Latin and East Asian fonts of a run or style (dropping theme fonts, which would win)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        fonts.set(qn(attribute), name)


def _run_fonts(run: Any, east_asia: str, latin: str = LATIN) -> None:
    _set_fonts(run._element.get_or_add_rPr(), east_asia, latin)


def _field(paragraph: Paragraph, instruction: str, shown: str, size: float | None = None) -> None:
    """A Word field (PAGE, SEQ …) with ``shown`` as its current result, so it reads right before any update."""
    def run(child: Any) -> None:
        element = paragraph.add_run()
        if size:
            element.font.size = Pt(size)
        element._element.append(child)

    begin, separate, end = (OxmlElement("w:fldChar") for _ in range(3))
    begin.set(qn("w:fldCharType"), "begin")
    separate.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run(begin)
    run(code)
    run(separate)
    result = paragraph.add_run(shown)
    if size:
        result.font.size = Pt(size)
    run(end)


def _write(paragraph: Paragraph, text: str, *, size: float | None = None, colour: RGBColor | None = None,
           bold: bool | None = None, east_asia: str | None = None, latin: str = LATIN) -> None:
    """Add ``text`` to ``paragraph``; each run of Latin letters, digits and signs (5,640, 65.4%–72.9%) is a run of
    its own marked as Western text, so that no application breaks a number across lines as it may break
    between Chinese characters (LibreOffice does, when the number's language is Chinese)."""
    for part in _LATIN_RUN.split(clean_text(text)):
        if not part:
            continue
        run = paragraph.add_run(part)
        if _LATIN_RUN.fullmatch(part):
            tag = OxmlElement("w:lang")
            tag.set(qn("w:val"), "en-US")
            tag.set(qn("w:eastAsia"), "en-US")
            run._element.get_or_add_rPr().append(tag)
        if size is not None:
            run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = colour
        if bold is not None:
            run.bold = bold
        if east_asia is not None:
            _run_fonts(run, east_asia, latin)


def _insert(parent: Any, child: Any, successors: Sequence[str]) -> None:
    """Put ``child`` into ``parent`` before the first of ``successors``: WordprocessingML fixes the order of a
    properties element's children, and Word offers to repair a file that breaks it."""
    for name in successors:
        found = parent.find(qn(name))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill.lstrip("#"))
    _insert(cell._tc.get_or_add_tcPr(), shading, _AFTER_SHADING)


def _row_flags(row: Any, *, header: bool = False) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def _cell_margins(table: Any) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", _CELL_VERTICAL_PADDING), ("left", _CELL_PADDING), ("bottom", _CELL_VERTICAL_PADDING),
                        ("right", _CELL_PADDING)):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(value * 56.7)))  # mm → twentieths of a point
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _insert(table._tbl.tblPr, margins, _AFTER_CELL_MARGINS)


_FONT_TABLE_ENTRY = (
    '<w:font xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:name="{name}">'
    '<w:altName w:val="{alternative}"/><w:charset w:val="86"/><w:family w:val="{family}"/>'
    '<w:pitch w:val="fixed"/></w:font>')


def _declare_fonts(document: DocumentObject) -> None:
    """Name the Chinese fonts in the font table with their English names and the GB2312 character set (what
    Word and LibreOffice substitute by when a font is missing; see the module docstring)."""
    from lxml import etree

    part = next((p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None:
        return
    root = etree.fromstring(part.blob)
    for name, alternative, family in FONTS.values():
        root.append(etree.fromstring(_FONT_TABLE_ENTRY.format(name=name, alternative=alternative, family=family)))
    # the generic part keeps its bytes; python-docx has no font-table API
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ------------------------------------------------------------------------------------------ styles

def _style(document: DocumentObject, name: str, *, base: str | None = None, font: str = "body",
           size: float = _BODY_SIZE, align: Any = None, line: float | None = None, before: float = 0,
           after: float = 0, indent: bool = False, keep_next: bool = False) -> Any:
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = styles[base]
    _set_fonts(style.element.get_or_add_rPr(), FONTS[font][0])
    style.font.size = Pt(size)
    style.font.bold = False
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    paragraph = style.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if line is None:
        paragraph.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        paragraph.line_spacing, paragraph.line_spacing_rule = Pt(line), WD_LINE_SPACING.EXACTLY
    paragraph.space_before, paragraph.space_after = Pt(before), Pt(after)
    paragraph.first_line_indent = Pt(2 * size) if indent else Pt(0)
    paragraph.keep_with_next = keep_next
    # the template's Title and headings carry a border and theme colours: drop them
    properties = style.element.get_or_add_pPr()
    for child in properties.findall(qn("w:pBdr")):
        properties.remove(child)
    return style


def _styles(document: DocumentObject, lang: str) -> None:
    body_line = 28.0
    # document defaults, which every style inherits: the fonts (not the template's theme fonts) and the language
    # (Chinese text is zh-CN, so applications pick Simplified Chinese glyphs and line-breaking rules)
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, FONTS["body"][0])
    language = defaults.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        defaults.append(language)
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")
    _style(document, "Normal", size=_BODY_SIZE, line=body_line)
    _style(document, "Body Text", base="Normal", size=_BODY_SIZE, line=body_line, indent=True,
           align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(document, "Title", font="heading", size=_TITLE_SIZE, line=40, align=WD_ALIGN_PARAGRAPH.CENTER,
           after=12)
    _style(document, "Subtitle", font="subheading", size=_BODY_SIZE, line=body_line,
           align=WD_ALIGN_PARAGRAPH.CENTER, after=24)
    _style(document, "Heading 1", font="heading", size=_BODY_SIZE, line=body_line, before=12, after=6,
           keep_next=True)
    _style(document, "Heading 2", font="subheading", size=_BODY_SIZE, line=body_line, before=6, after=0,
           keep_next=True)
    _style(document, "Heading 3", font="body", size=_BODY_SIZE, line=body_line, keep_next=True)
    document.styles["Heading 3"].font.bold = True
    _style(document, "Caption", font="heading", size=_CAPTION_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, before=6,
           after=4)
    _style(document, "Table Text", size=9.0)
    _style(document, "Table Note", size=_NOTE_SIZE, line=16, after=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(document, "Notice", font="heading", size=_NOTE_SIZE, line=16, after=4)
    _style(document, "Header", size=_HEADER_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(document, "Footer", size=_PAGE_NUMBER_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title", "Subtitle"):
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    if lang == "en":  # 黑体 and 楷体 carry the weight of a Chinese heading; Latin headings need bold
        for name in ("Heading 1", "Heading 2"):
            document.styles[name].font.bold = True


# ------------------------------------------------------------------------------------------ the document

class Layout:
    """A Word document being written top to bottom: headings, paragraphs, numbered tables and figures."""

    def __init__(self, lang: str, title: str, *, header_notes: Sequence[str] = (), author: str = "") -> None:
        self.lang = lang
        self.document = Document()
        self.tables = 0
        self.figures = 0
        _styles(self.document, lang)
        _declare_fonts(self.document)
        self._table_style = self.document.styles["Table Text"].style_id
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE.width), Mm(PAGE.height)
        section.top_margin, section.bottom_margin = Mm(PAGE.top), Mm(PAGE.bottom)
        section.left_margin, section.right_margin = Mm(PAGE.left), Mm(PAGE.right)
        section.header_distance, section.footer_distance = Mm(PAGE.header), Mm(PAGE.footer)
        section.different_first_page_header_footer = True  # the title page carries no header or number
        self._header(section, header_notes)
        self._page_number(section)
        properties = self.document.core_properties
        properties.title = clean_text(title)
        properties.author = author
        properties.language = "zh-CN" if lang == "zh" else "en-US"

    # -- furniture
    def _header(self, section: Any, notes: Sequence[str]) -> None:
        paragraph = section.header.paragraphs[0]
        paragraph.style = self.document.styles["Header"]
        for index, note in enumerate(notes):
            if index:
                paragraph.add_run().add_break()
            _write(paragraph, note, colour=_WARNING)

    def _page_number(self, section: Any) -> None:
        paragraph = section.footer.paragraphs[0]
        paragraph.style = self.document.styles["Footer"]
        paragraph.add_run("— ")
        _field(paragraph, "PAGE", "1")
        paragraph.add_run(" —")
        for run in paragraph.runs:
            _run_fonts(run, "宋体")

    # -- text
    def heading(self, text: str, level: int, *, new_page: bool = False) -> Paragraph:
        paragraph = self.document.add_heading(clean_text(text), level)
        paragraph.paragraph_format.page_break_before = new_page
        return paragraph

    def paragraph(self, text: str, style: str = "Body Text", *, bold: bool = False, colour: RGBColor | None = None,
                  align: Any = None, hanging: str = "") -> Paragraph:
        """A paragraph of ``text``; ``hanging``: its lead (责任单位：), under whose end the following lines start."""
        paragraph = self.document.add_paragraph(style=style)
        _write(paragraph, text, bold=bold or None, colour=colour)
        if align is not None:
            paragraph.alignment = align
        if hanging:
            size = self.document.styles[style].font.size or Pt(_BODY_SIZE)
            indent = Pt(text_width(hanging) / 2 * size.pt)
            paragraph.paragraph_format.left_indent, paragraph.paragraph_format.first_line_indent = indent, -indent
        return paragraph

    def notice(self, text: str, *, warning: bool = False) -> Paragraph:
        return self.paragraph(text, "Notice", colour=_WARNING if warning else None)

    def note(self, text: str) -> Paragraph:
        return self.paragraph(text, "Table Note")

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _caption(self, key: str, sequence: str, number: int, title: str, *, keep_next: bool = False) -> Paragraph:
        prefix, _, suffix = label(key, self.lang, number="\0").partition("\0")
        paragraph = self.document.add_paragraph(style="Caption")
        paragraph.paragraph_format.keep_with_next = keep_next
        paragraph.add_run(prefix)
        _field(paragraph, f"SEQ {sequence} \\* ARABIC", str(number))
        paragraph.add_run(suffix + ("　" if self.lang == "zh" else "  ") + clean_text(title))
        return paragraph

    # -- tables
    def table(self, table: Table, *, title: str | None = None, row_notes: Sequence[str] = (),
              notes: Iterable[str] = (), size: float | None = None) -> Any:
        """Write ``table`` (its columns and rows that are not workbook-only) under a numbered caption, each of
        ``row_notes`` on a full-width line under its row, then its note, its further notes and ``notes``, a
        paragraph each; returns the Word table."""
        shown = [i for i, column in enumerate(table.columns) if not column.detail]
        keep = [i for i in range(len(table.rows)) if not (table.detail_rows and table.detail_rows[i])]
        headers = [clean_text(table.columns[i].header) for i in shown]
        texts = [[clean_text(cell_text(table.rows[r][i], self.lang)) for i in shown] for r in keep]
        spans = [clean_text(row_notes[r]) if r < len(row_notes) else "" for r in keep]
        self.tables += 1
        self._caption("doc_table", "Table", self.tables, table.title if title is None else title, keep_next=True)
        if not texts:
            self.note(label("no_rows", self.lang))
            return None
        size = size or _table_size(len(headers))
        unit = size / 2 * 0.3528  # mm of half an em
        available = (PAGE.text_width - 2 * _CELL_PADDING * len(headers)) / unit
        code = [any(table.rows[r][i].kind == "code" for r in keep) for i in shown]  # file names, hashes
        units = column_widths(headers, texts, available, code=code, code_scale=_code_size(size) / size)
        widths = [w * unit + 2 * _CELL_PADDING for w in units]
        # a table that fits on half a page is kept on one page
        lines = table_height(headers, texts, spans, units, code=code, code_scale=_code_size(size) / size)
        together = lines * (size * _LINE_FACTOR * 0.3528 + 2 * _CELL_VERTICAL_PADDING) <= PAGE.text_height / 2
        word = self.document.add_table(rows=0, cols=len(headers))
        word.style = self.document.styles["Table Grid"]
        word.alignment = WD_TABLE_ALIGNMENT.CENTER
        word.autofit = False
        _cell_margins(word)
        for column, width in zip(word.columns, widths):
            column.width = Mm(width)
        self._row(word, headers, widths, size, header=True)
        for position, (r, row_texts, span) in enumerate(zip(keep, texts, spans)):
            cells = [table.rows[r][i] for i in shown]
            last = position == len(texts) - 1
            self._row(word, row_texts, widths, size, cells=cells, keep_next=bool(span) or (together and not last))
            if span:
                self._span_row(word, span, widths, size, keep_next=together and not last)
        for text in (table.note, *table.notes, *notes):
            if text:
                self.note(text)
        return word

    def _row(self, word: Any, texts: Sequence[str], widths: Sequence[float], size: float, *,
             cells: Sequence[Cell] | None = None, header: bool = False, keep_next: bool = False) -> None:
        row = word.add_row()
        _row_flags(row, header=header)
        for index, (cell, text, width) in enumerate(zip(row.cells, texts, widths)):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph._p.style = self._table_style  # by id: python-docx looks a style object up on every set
            paragraph.paragraph_format.keep_with_next = keep_next or header
            if header:
                _write(paragraph, text, size=size, east_asia=FONTS["heading"][0])
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _shade(cell, _HEADER_FILL)
                continue
            view = cells[index]
            if _numeric(view):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if view.kind == "verdict" and view.verdict in VERDICT_STYLES:
                _shade(cell, VERDICT_STYLES[view.verdict].fill)
            code = view.kind == "code"
            _write(paragraph, text, size=_code_size(size) if code else size,
                   colour=_MUTED if view.muted else None, east_asia=FONTS["body"][0] if code else None,
                   latin=MONOSPACE if code else LATIN)

    def _span_row(self, word: Any, text: str, widths: Sequence[float], size: float, *, keep_next: bool) -> None:
        row = word.add_row()
        _row_flags(row)
        cells = row.cells
        for cell, width in zip(cells, widths):
            cell.width = Mm(width)
        merged = cells[0].merge(cells[-1]) if len(cells) > 1 else cells[0]
        paragraph = merged.paragraphs[0]
        paragraph._p.style = self._table_style
        paragraph.paragraph_format.keep_with_next = keep_next
        _write(paragraph, text, size=max(size - 0.5, 7.5))

    # -- figures
    def figure(self, path: pathlib.Path, title: str) -> None:
        """The chart at ``path`` (a PNG) at its natural size, no wider than the type area and no taller than a
        page, centred, with its numbered caption under it."""
        if path.suffix.lower() != ".png":
            sibling = path.with_suffix(".png")
            if not sibling.is_file():
                self.note(label("chart_svg_only", self.lang, name=title, path=path.name))
                return
            path = sibling
        size = natural_size(path)
        width, height = ((size[0] / CSS_DPI * 25.4, size[1] / CSS_DPI * 25.4) if size else
                         (PAGE.text_width, PAGE.text_width * 0.6))
        scale = min(1.0, PAGE.text_width / width, (PAGE.text_height - _FIGURE_ROOM) / height)
        paragraph = self.document.add_paragraph(style="Table Text")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.space_before = Pt(_FIGURE_SPACE)  # apart from a table right above it
        try:
            paragraph.add_run().add_picture(str(path), width=Mm(width * scale), height=Mm(height * scale))
        except (OSError, UnrecognizedImageError) as error:
            raise ReportError(f"cannot embed the chart {str(path)!r} in the Word report: {error}") from error
        self.figures += 1
        self._caption("doc_figure", "Figure", self.figures, title)

    def save(self, path: pathlib.Path) -> pathlib.Path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.document.save(str(path))
        except OSError as error:
            raise ReportError(f"cannot write the Word report to {str(path)!r}: {error}; choose a writable folder "
                              "(and close the file if Word has it open)") from error
        return path
