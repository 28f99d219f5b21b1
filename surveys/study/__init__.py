"""A study end to end: its spec (:mod:`spec`), the weighting stage (:mod:`weighting`), the pipeline that runs
every stage (:mod:`pipeline`) and the draft of a new study from exports (:mod:`draft`, ``surveys init``)."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "Study": "surveys.study.spec",
    "load_study": "surveys.study.spec",
    "run_study": "surveys.study.pipeline",
    "StudyResult": "surveys.study.pipeline",
    "FileAccount": "surveys.study.pipeline",
    "WeightedDesign": "surveys.study.weighting",
    "weight_responses": "surveys.study.weighting",
})
