"""One exception tree for the toolkit.

Every error a user can cause derives from :class:`SurveyError`; the CLI catches it, prints
``error: <message>`` and exits 2. Any other exception escaping the toolkit is a bug.

Messages follow one pattern: what was expected, what was found, and what to do about it, e.g.
``'district' in margins.csv has no row for '新城区' (found in 37 responses); add it or merge it with
another category``.
"""
from __future__ import annotations

__all__ = [
    "SurveyError",
    "QuestionnaireError",
    "IngestError",
    "ValidationError",
    "StoreError",
    "DesignError",
    "WeightingError",
    "ConvergenceError",
    "EstimationError",
    "TargetError",
    "StudyError",
    "PlanningError",
    "ChartError",
    "ChartFontError",
    "ReportError",
]


class SurveyError(Exception):
    """Base of every error the toolkit raises on purpose."""


class QuestionnaireError(SurveyError):
    """A questionnaire definition is malformed or inconsistent."""


class IngestError(SurveyError):
    """An export file cannot be read or mapped onto its questionnaire."""


class ValidationError(SurveyError):
    """Validation rules are misconfigured (invalid responses are reported, not raised)."""


class StoreError(SurveyError):
    """The response store cannot be opened, written or queried."""


class DesignError(SurveyError):
    """A survey design specification does not fit the data."""


class WeightingError(SurveyError):
    """Weights cannot be adjusted to the population margins as asked."""


class ConvergenceError(WeightingError):
    """An iterative weighting method did not converge."""


class EstimationError(SurveyError):
    """An estimate cannot be computed from the design as asked."""


class TargetError(SurveyError):
    """A target or its verdict rule is malformed."""


class StudyError(SurveyError):
    """A study specification (analysis/<study>/study.yaml) is malformed."""


class PlanningError(SurveyError):
    """A planning question is malformed (a rate outside (0, 1), a negative margin, ...)."""


class ChartError(SurveyError):
    """A chart cannot be drawn from the data as given (a missing column, an unknown language, ...)."""


class ChartFontError(ChartError):
    """No font with glyphs for every character of the chart's labels could be found."""


class ReportError(SurveyError):
    """The report's input tables do not have the columns or values the report needs, or a file cannot be written."""
