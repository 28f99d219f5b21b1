"""The report's branch of the toolkit's exception tree (derives from :class:`surveys.SurveyError`)."""
from __future__ import annotations

from surveys.errors import SurveyError

__all__ = ["ReportError"]


class ReportError(SurveyError):
    """The report's input tables do not have the columns or values the report needs, or a file cannot be written."""
