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

# Each area adds its public names below its own marker (imports) and to __all__ (names).
# --- questionnaire ---
# --- design and estimation ---
# --- confidence intervals ---
# --- weighting ---
# --- demo ---

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
    # --- questionnaire names ---
    # --- design and estimation names ---
    # --- confidence interval names ---
    # --- weighting names ---
    # --- demo names ---
]
