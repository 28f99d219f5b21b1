"""Survey designs, the hub of the toolkit: strata, sampling units, weights, finite population corrections and
their weighting record (:mod:`~surveys.design.taylor`, linearization; :mod:`~surveys.design.replicate`,
replicate weights), the variance engine (:mod:`~surveys.design.variance`), and the methods that call the
estimators and the weighting functions (:mod:`~surveys.design.base`)."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "SurveyDesign": "surveys.design.taylor",
    "ReplicateDesign": "surveys.design.replicate",
    "REPLICATE_TYPES": "surveys.design.replicate",
    "build_replicate_design": "surveys.design.replicate",
    "DesignMethods": "surveys.design.base",
})
