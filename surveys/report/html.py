"""The self-contained HTML report (report.html): one file, readable on screen and printable on A4.

It prints the sections of :mod:`surveys.report.views` (the same tables as the workbook, without the
workbook-only detail columns):

* **self-contained**: CSS inline, charts inline as ``data:`` URIs (PNG or SVG, base64), no script, no web
  font (a CJK-capable system font stack), no ``http(s)`` reference anywhere — opening it makes no request;
* **safe**: every text is escaped with :func:`html.escape` (labels, units, file names and example messages
  can come from respondents or files);
* **accessible**: a verdict is a coloured badge with a shape symbol *and* its label, never colour alone;
  ``lang`` is ``zh-CN`` (Chinese first) or ``en``;
* **printable**: ``@page { size: A4 }``, each section starts a new page, table headers repeat on every page
  and rows, figures and headings are not split across pages.

Validated by parsing the output with :mod:`html.parser` and, where Chromium exists, by rendering it
(``tests/test_report_html.py``).
"""
from __future__ import annotations

import base64
import html
import pathlib

from surveys.errors import ReportError
from surveys.forks import cores
from surveys.report.figures import natural_size, screen_png
from surveys.report.labels import VERDICT_STYLES, label
from surveys.report.model import ReportInput
from surveys.report.text import format_value
from surveys.report.views import Cell, Section, Table, chart_title, report_sections

__all__ = ["render_html", "write_html", "FONT_STACK"]

# System fonts with CJK glyphs, most common first (Linux Noto/Source Han, macOS, Windows, older Linux).
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "SimHei", '
              "sans-serif")
# English text reads better in a Latin face; Chinese names inside it still fall through to the CJK fonts.
LATIN_FIRST = '"Noto Sans", "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", '
_NUMERIC_HEADER = ' class="num"'
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}

_CSS = """
:root { --ink: #1d2430; --muted: #6b7280; --rule: #d5dbe3; --head: #e8ecf1; --accent: #0b4f7c; }
* { box-sizing: border-box; }
html { font-family: %(fonts)s; font-size: 15px; line-height: 1.55; color: var(--ink); background: #ffffff; }
body { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; color: var(--accent); }
.subtitle { font-size: 1.05rem; margin: 0; }
.meta { color: var(--muted); font-size: 0.85rem; margin: 4px 0 0; }
nav.contents { font-size: 0.9rem; margin: 12px 0 4px; }
nav.contents ol { margin: 4px 0; padding-left: 1.4em; columns: 2; }
nav.contents a { color: var(--accent); text-decoration: none; }
section.section { margin-top: 28px; }
h2 { font-size: 1.35rem; border-bottom: 1px solid var(--rule); padding-bottom: 4px; margin: 0 0 12px;
     color: var(--accent); }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
.table-wrap { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%%; font-size: 0.86rem; margin: 4px 0 6px; }
table.data th, table.data td { border-bottom: 1px solid var(--rule); padding: 5px 7px; text-align: left;
     vertical-align: top; }
table.data thead th { background: var(--head); font-weight: 600; border-bottom: 2px solid #b8c2cf; }
table.data tbody tr:nth-child(even) td { background: #f8fafc; }
th.num { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.data th { word-break: keep-all; }
td.code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.78rem; min-width: 11em;
     overflow-wrap: anywhere; word-break: break-all; }
tr.muted td { color: var(--muted); font-style: italic; }
.verdict { display: inline-block; padding: 1px 8px; border: 1.5px solid; border-radius: 4px; white-space: nowrap;
     font-weight: 600; }
.verdict .symbol { margin-right: 4px; }
%(verdicts)s
p.unweighted { background: #FDE2E1; border: 1px solid #B42318; padding: 6px 10px; font-weight: 600; margin: 10px 0; }
p.demo { background: #FFF4CE; border: 1px solid #C8A200; padding: 6px 10px; font-weight: 600; margin: 10px 0 0; }
p.note { color: #374151; font-size: 0.84rem; margin: 4px 0; }
p.empty { color: var(--muted); font-style: italic; }
div.footnotes { font-size: 0.8rem; color: #374151; }
div.footnotes ol { margin: 2px 0 8px; padding-left: 2.2em; }
figure { margin: 14px 0; text-align: center; }
figure img { max-width: 100%%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 0.88rem; color: var(--muted); margin-top: 4px; }
footer { margin-top: 36px; color: var(--muted); font-size: 0.8rem; border-top: 1px solid var(--rule);
     padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@page wide { size: A4 landscape; margin: 12mm 12mm 14mm; }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav.contents { display: none; }
  section.section { margin-top: 10mm; }
  section.section.new-page { break-before: page; margin-top: 0; }
  section.section.wide { page: wide; }
  h2, h3 { break-after: avoid; }
  .table-wrap { overflow: visible; }
  table.data { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, figure, .verdict, p.note { break-inside: avoid; }
  figure img { max-height: 230mm; object-fit: contain; border: none; }
}
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _verdict_css() -> str:
    return "\n".join(
        f".verdict.v-{verdict} {{ background: {style.fill}; border-color: {style.border}; color: {style.text}; }}"
        for verdict, style in VERDICT_STYLES.items()
    )


def _cell(cell: Cell, lang: str) -> str:
    if cell.kind == "verdict":
        style = VERDICT_STYLES[cell.verdict]
        badge = (f'<span class="verdict v-{_e(cell.verdict)}"><span class="symbol" aria-hidden="true">'
                 f"{_e(style.symbol)}</span>{_e(cell.value)}</span>")
        return f"<td>{badge}</td>"
    if isinstance(cell.value, tuple):
        if all(v is None for v in cell.value):
            return '<td class="num">–</td>'
        low, high = (format_value(v, cell.kind, lang) for v in cell.value)
        return f'<td class="num">{_e(low)} – {_e(high)}</td>'
    text = format_value(cell.value, cell.kind, lang)
    if cell.unit and text != "–":
        text += cell.unit if lang == "zh" or cell.unit == "%" else f" {cell.unit}"
    if cell.kind in ("text", "flag"):
        return f"<td>{_e(text)}</td>"
    if cell.kind == "code":
        return f'<td class="code">{_e(text)}</td>'
    return f'<td class="num">{_e(text)}</td>'


def _width(cells: int | None) -> str:
    """A column's width hint: the workbook's width in Latin cells, as em (a Chinese character is two cells)."""
    return f' style="min-width: {cells / 2:g}em"' if cells else ""


def _table(table: Table, lang: str, *, show_title: bool) -> str:
    shown = [i for i, column in enumerate(table.columns) if not column.detail]
    parts = [f"<h3>{_e(table.title)}</h3>"] if show_title else []
    if not table.rows:
        parts.append(f'<p class="empty">{_e(label("no_rows", lang))}</p>')
    else:
        numeric = [table.rows[0][i].kind not in ("text", "code", "verdict", "flag") for i in shown]
        head = "".join(f'<th scope="col"{_NUMERIC_HEADER if n else ""}{_width(table.columns[i].width)}>'
                       f"{_e(table.columns[i].header)}</th>" for i, n in zip(shown, numeric))
        body = []
        for index, row in enumerate(table.rows):
            if table.detail_rows and table.detail_rows[index]:
                continue
            muted = ' class="muted"' if any(cell.muted for cell in row) else ""
            body.append(f"<tr{muted}>" + "".join(_cell(row[i], lang) for i in shown) + "</tr>")
        parts.append(f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead>'
                     f"<tbody>{''.join(body)}</tbody></table></div>")
    parts += [f'<p class="note">{_e(note)}</p>' for note in (table.note, *table.notes) if note]
    return "\n".join(parts)


def _screen_pngs(sections) -> dict[pathlib.Path, bytes]:
    """The screen PNG of every chart of ``sections``, resampled in threads (Pillow releases the GIL while it
    decodes, resizes, quantises and encodes), so the cores share the report's heaviest step."""
    from concurrent.futures import ThreadPoolExecutor

    paths = list(dict.fromkeys(path for section in sections for _, path in section.charts
                               if _MIME.get(path.suffix.lower()) == "image/png"))
    if len(paths) < 2:
        return {}
    try:
        with ThreadPoolExecutor(max_workers=min(len(paths), cores())) as pool:
            return dict(zip(paths, pool.map(screen_png, paths)))
    except (OSError, ReportError):
        return {}   # _figure reads each chart again and reports the one that fails


def _figure(name: str, path: pathlib.Path, lang: str, screens: dict[pathlib.Path, bytes] | None = None) -> str:
    mime = _MIME[path.suffix.lower()]
    try:
        content = (screens or {}).get(path) or (screen_png(path) if mime == "image/png" else path.read_bytes())
    except OSError as error:
        raise ReportError(f"cannot read chart '{name}' from {str(path)!r}: {error}") from error
    data = base64.b64encode(content).decode("ascii")
    title = chart_title(name, lang)
    size = natural_size(path)
    style = f' style="width: {size[0]:.0f}px"' if size else ""
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{_e(title)}"{style}>'
            f"<figcaption>{_e(title)}</figcaption></figure>")


def _section(section: Section, anchor: str, lang: str, *, new_page: bool, banner: str = "",
             screens: dict[pathlib.Path, bytes] | None = None) -> str:
    classes = ("section new-page" if new_page else "section") + (" wide" if section.key == "overview" else "")
    parts = [f'<section class="{classes}" id="{_e(anchor)}">', f"<h2>{_e(section.title)}</h2>", banner]
    figures = [_figure(name, path, lang, screens) for name, path in section.charts]
    for table in section.tables:
        parts.append(_table(table, lang, show_title=len(section.tables) > 1 or table.title != section.title))
        if table.key == section.charts_after:
            parts += figures
            figures = []
    parts += [f'<p class="note">{_e(note)}</p>' for note in section.notes]
    if section.footnotes:
        parts.append(f'<div class="footnotes"><p class="note">{_e(section.footnotes[0])}</p><ol>'
                     + "".join(f"<li>{_e(line.split('. ', 1)[-1])}</li>" for line in section.footnotes[1:])
                     + "</ol></div>")
    parts += figures
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: ReportInput) -> str:
    """The report as one HTML document (a string); see the module docstring for what it guarantees."""
    if not isinstance(report, ReportInput):
        raise ReportError(f"render_html needs a ReportInput; found {type(report).__name__}")
    lang, method = report.lang, report.method
    sections = tuple(section for section in report_sections(report) if not section.workbook_only)
    anchors = [f"s{index}-{section.key}" for index, section in enumerate(sections, start=1)]
    contents = "".join(f'<li><a href="#{_e(a)}">{_e(s.title)}</a></li>' for a, s in zip(anchors, sections))
    generated = label("generated", lang, run_time=method.run_time, version=method.toolkit_version)
    wave = f'<p class="meta">{_e(label("wave", lang, wave=method.wave))}</p>' if method.wave else ""
    demo = (f'<p class="demo">{_e(label("demo_data", lang))}</p>'
            if report.scoreboard["demo_data"].eq(True).any() else "")
    css = _CSS % {"fonts": (LATIN_FIRST if lang == "en" else "") + FONT_STACK, "verdicts": _verdict_css()}
    # On paper every part starts a page, except the overview, which follows the title.
    new_pages = [section.key != "overview" for section in sections]
    # unweighted estimates: said at the top and again on every page (each section starts one on paper)
    unweighted = f'<p class="unweighted">{_e(label("unweighted", lang))}</p>' if report.unweighted else ""
    screens = _screen_pngs(sections)
    body = "\n".join(_section(s, a, lang, new_page=n, banner=unweighted, screens=screens)
                     for s, a, n in zip(sections, anchors, new_pages))
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="surveys {_e(method.toolkit_version)}">
<title>{_e(report.title or label("report_title", lang))}</title>
<style>{css}</style>
</head>
<body>
<header class="report">
<h1>{_e(report.title or label("report_title", lang))}</h1>
<p class="subtitle">{_e(label("report_title", lang))}</p>
<p class="meta">{_e(generated)}</p>
{wave}
{demo}
{unweighted}
</header>
<nav class="contents"><strong>{_e(label("contents", lang))}</strong><ol>{contents}</ol></nav>
{body}
<footer>{_e(generated)}</footer>
</body>
</html>
"""


def write_html(report: ReportInput, path: str | pathlib.Path) -> pathlib.Path:
    """Write :func:`render_html` of ``report`` to ``path`` as UTF-8 (folders are created); returns the path."""
    path = pathlib.Path(path)
    document = render_html(report)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot write the HTML report to {str(path)!r}: {error}; choose a writable folder") from error
    return path
