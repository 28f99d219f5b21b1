"""The acceptance report: a workbook (report.xlsx) and a self-contained HTML report (report.html).

Both are written from one :class:`ReportInput` of plain tidy tables (see :mod:`surveys.report.model` for
every column), so the pipeline, a notebook or a test can fill it without running a study::

    report = ReportInput(title_zh="2026年度满意度调查", scoreboard=..., measures=..., method=ReportMethod(...))
    write_workbook(report, "out/report.xlsx")
    write_html(report, "out/report.html")
"""
from __future__ import annotations

from surveys.errors import ReportError
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
    "render_html",
]
