"""Questionnaires: the instrument definitions (YAML) as checked records.

``model`` holds the records (:class:`Questionnaire`, items, scales, measures, targets, the platform mappings),
``sections`` reads the parts of a definition that refer to items, ``schema`` reads and checks a whole file
(:func:`load_questionnaire`, with the spec reader every YAML spec uses: :mod:`surveys.spec_file`), ``codebook``
prints one for a reader.
"""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "Text": "surveys.questionnaire.model",
    "Category": "surveys.questionnaire.model",
    "Scale": "surveys.questionnaire.model",
    "Condition": "surveys.questionnaire.model",
    "Item": "surveys.questionnaire.model",
    "Target": "surveys.questionnaire.model",
    "Measure": "surveys.questionnaire.model",
    "WeightingCategory": "surveys.questionnaire.model",
    "WeightingVariable": "surveys.questionnaire.model",
    "PlatformMapping": "surveys.questionnaire.model",
    "Questionnaire": "surveys.questionnaire.model",
    "load_questionnaire": "surveys.questionnaire.schema",
    "parse_questionnaire": "surveys.questionnaire.schema",
    "parse_questionnaire_file": "surveys.questionnaire.schema",
    "ITEM_TYPES": "surveys.questionnaire.model",
    "ITEM_ROLES": "surveys.questionnaire.model",
    "MEASURE_KINDS": "surveys.questionnaire.model",
    "MEASURE_BASES": "surveys.questionnaire.model",
    "TARGET_COMPARISONS": "surveys.questionnaire.model",
    "PLATFORMS": "surveys.questionnaire.model",
    "MODES": "surveys.questionnaire.model",
})
