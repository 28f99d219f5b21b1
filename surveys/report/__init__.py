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

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "ReportInput": "surveys.report.model",
    "ReportMethod": "surveys.report.model",
    "ReportError": "surveys.errors",
    "TABLE_COLUMNS": "surveys.report.model",
    "describe_columns": "surveys.report.model",
    "write_workbook": "surveys.report.workbook",
    "write_html": "surveys.report.html",
    "render_html": "surveys.report.html",
    "write_docx": "surveys.report.docx",
})
