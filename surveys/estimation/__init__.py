"""Design-based models and tests: regression (R ``svyglm``), tests of association in two-way tables
(``svychisq``), differences of two group means (``svyttest``) and contrasts of domain means
(``svyby(covmat = TRUE)`` + ``svycontrast``). Every estimator hands its influence values to the
design's one variance engine (linearization designs) or recomputes itself per replicate (replicate
designs); results are small frozen records with the toolkit's vocabulary."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "regression": "surveys.estimation.glm",
    "Regression": "surveys.estimation.glm",
    "Coefficient": "surveys.estimation.glm",
    "TermTest": "surveys.estimation.glm",
    "FAMILIES": "surveys.estimation.fitting",
    "Family": "surveys.estimation.fitting",
    "Formula": "surveys.estimation.formula",
    "ModelFrame": "surveys.estimation.formula",
    "parse_formula": "surveys.estimation.formula",
    "model_frame": "surveys.estimation.formula",
    "association_test": "surveys.estimation.association",
    "AssociationTest": "surveys.estimation.association",
    "ASSOCIATION_STATISTICS": "surveys.estimation.association",
    "difference_test": "surveys.estimation.contrasts",
    "GroupDifference": "surveys.estimation.contrasts",
    "domain_means": "surveys.estimation.contrasts",
    "DomainMeans": "surveys.estimation.contrasts",
    "Contrast": "surveys.estimation.contrasts",
    "cronbach_alpha": "surveys.estimation.alpha",
    "CronbachAlpha": "surveys.estimation.alpha",
})
