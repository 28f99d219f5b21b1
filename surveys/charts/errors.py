"""The charts' branch of the toolkit's exception tree (both derive from :class:`surveys.SurveyError`)."""
from __future__ import annotations

from surveys.errors import SurveyError

__all__ = ["ChartError", "ChartFontError"]


class ChartError(SurveyError):
    """A chart cannot be drawn from the data as given (a missing column, an unknown language, ...)."""


class ChartFontError(ChartError):
    """No font with glyphs for every character of the chart's labels could be found."""
