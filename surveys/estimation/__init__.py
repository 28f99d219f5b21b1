"""Design-based models and tests: regression (R ``svyglm``), tests of association in two-way tables
(``svychisq``), differences of two group means (``svyttest``) and contrasts of domain means
(``svyby(covmat = TRUE)`` + ``svycontrast``). Every estimator hands its influence values to the
design's one variance engine (linearization designs) or recomputes itself per replicate (replicate
designs); results are small frozen records with the toolkit's vocabulary."""
from __future__ import annotations

from surveys.estimation.alpha import CronbachAlpha, cronbach_alpha
from surveys.estimation.association import ASSOCIATION_STATISTICS, AssociationTest, association_test
from surveys.estimation.contrasts import Contrast, DomainMeans, GroupDifference, difference_test, domain_means
from surveys.estimation.fitting import FAMILIES, Family
from surveys.estimation.formula import Formula, ModelFrame, model_frame, parse_formula
from surveys.estimation.regression import Coefficient, Regression, TermTest, regression

__all__ = [
    "regression",
    "Regression",
    "Coefficient",
    "TermTest",
    "FAMILIES",
    "Family",
    "Formula",
    "ModelFrame",
    "parse_formula",
    "model_frame",
    "association_test",
    "AssociationTest",
    "ASSOCIATION_STATISTICS",
    "difference_test",
    "GroupDifference",
    "domain_means",
    "DomainMeans",
    "Contrast",
    "cronbach_alpha",
    "CronbachAlpha",
]
