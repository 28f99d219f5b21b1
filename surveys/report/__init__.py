"""The acceptance report: a workbook (report.xlsx), a self-contained HTML report (report.html) and a Word
report (report.docx).

All three are written from one :class:`ReportInput` of plain tidy tables (see :mod:`surveys.report.model` for
every column), so the pipeline, a notebook or a test can fill it without running a study::

    report = ReportInput(title_zh="2026年度满意度调查", scoreboard=..., measures=..., method=ReportMethod(...))
    write_workbook(report, "out/report.xlsx")
    write_html(report, "out/report.html")
    write_docx(report, "out/report.docx")
"""
from __future__ import annotations

from surveys.errors import ReportError
from surveys.report.docx import write_docx
from surveys.report.html import render_html, write_html
from surveys.report.model import TABLE_COLUMNS, ReportInput, ReportMethod, describe_columns
from surveys.report.workbook import write_workbook

__all__ = [
    "ReportInput",
    "ReportMethod",
    "ReportError",
    "TABLE_COLUMNS",
    "describe_columns",
    "write_workbook",
    "write_html",
    "write_docx",
    "render_html",
]
