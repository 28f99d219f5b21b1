"""surveys: satisfaction surveys with targets.

Ingest paper and online exports, weight them to the population, estimate satisfaction rates with
design-based standard errors that match R's ``survey`` package, and say whether each target is met
with its margin of error.

The public API is re-exported here; everything else is internal.
"""
from __future__ import annotations

__version__ = "0.1.0"

from surveys.errors import (
    ConvergenceError,
    DesignError,
    EstimationError,
    IngestError,
    QuestionnaireError,
    StoreError,
    StudyError,
    SurveyError,
    TargetError,
    ValidationError,
    WeightingError,
)

__all__ = [
    "__version__",
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
]
