"""surveys: satisfaction surveys with targets.

Ingest paper and online exports, weight them to the population, estimate satisfaction rates with
design-based standard errors that match R's ``survey`` package, and say whether each target is met
with its margin of error.

The public API is listed here (``__all__``); everything else is internal. Importing the package loads
nothing but this list and the version: each name is imported on first use, so ``import surveys`` and the
command line start as fast as pandas does (a test keeps scipy, matplotlib and openpyxl out of a bare import).
"""
from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any

try:
    __version__ = metadata.version("surveys")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

# public name → the module that defines it
_PUBLIC: dict[str, str] = {
    "SurveyError": "surveys.errors",
    "QuestionnaireError": "surveys.errors",
    "IngestError": "surveys.errors",
    "ValidationError": "surveys.errors",
    "StoreError": "surveys.errors",
    "DesignError": "surveys.errors",
    "WeightingError": "surveys.errors",
    "ConvergenceError": "surveys.errors",
    "EstimationError": "surveys.errors",
    "TargetError": "surveys.errors",
    "StudyError": "surveys.errors",
    "PlanningError": "surveys.errors",
    "ChartError": "surveys.errors",
    "ChartFontError": "surveys.errors",
    "ReportError": "surveys.errors",
    "load_questionnaire": "surveys.questionnaire",
    "Questionnaire": "surveys.questionnaire",
    "Text": "surveys.questionnaire",
    "Category": "surveys.questionnaire",
    "Scale": "surveys.questionnaire",
    "Condition": "surveys.questionnaire",
    "Item": "surveys.questionnaire",
    "Target": "surveys.questionnaire",
    "Measure": "surveys.questionnaire",
    "WeightingCategory": "surveys.questionnaire",
    "WeightingVariable": "surveys.questionnaire",
    "PlatformMapping": "surveys.questionnaire",
    "bundled_questionnaires": "surveys.resources",
    "questionnaire_dir": "surveys.resources",
    "SurveyDesign": "surveys.design.taylor",
    "ReplicateDesign": "surveys.design.replicate",
    "Domains": "surveys.estimation.estimators",
    "regression": "surveys.estimation",
    "Regression": "surveys.estimation",
    "Coefficient": "surveys.estimation",
    "association_test": "surveys.estimation",
    "AssociationTest": "surveys.estimation",
    "difference_test": "surveys.estimation",
    "GroupDifference": "surveys.estimation",
    "domain_means": "surveys.estimation",
    "DomainMeans": "surveys.estimation",
    "Contrast": "surveys.estimation",
    "TermTest": "surveys.estimation",
    "cronbach_alpha": "surveys.estimation",
    "CronbachAlpha": "surveys.estimation",
    "proportion_interval": "surveys.estimation.ci",
    "ProportionSummary": "surveys.estimation.ci",
    "CI_METHODS": "surveys.estimation.ci",
    "poststratify": "surveys.weighting.methods",
    "rake": "surveys.weighting.methods",
    "calibrate": "surveys.weighting.methods",
    "trim_weights": "surveys.weighting.methods",
    "design_weight_summary": "surveys.weighting.methods",
    "WeightingConvergenceWarning": "surveys.weighting.methods",
    "WeightingDiagnostics": "surveys.weighting.diagnostics",
    "Margins": "surveys.weighting.margins",
    "MarginTable": "surveys.weighting.margins",
    "load_margins": "surveys.weighting.margins",
    "template_for": "surveys.weighting.margins",
    "check_target": "surveys.indicators.targets",
    "check_targets": "surveys.indicators.targets",
    "margin_text": "surveys.indicators.targets",
    "TargetCheck": "surveys.indicators.targets",
    "TargetTable": "surveys.indicators.targets",
    "robustness_panel": "surveys.indicators.robustness",
    "verdict_notes": "surveys.indicators.robustness",
    "RobustnessPanel": "surveys.indicators.robustness",
    "plan_sample_size": "surveys.planning",
    "verdict_power": "surveys.planning",
    "allocate": "surveys.planning",
    "margin_table": "surveys.planning",
    "measure_table": "surveys.indicators.measures",
    "measure_values": "surveys.indicators.measures",
    "estimate_measure": "surveys.indicators.measures",
    "assess_reliability": "surveys.indicators.measures",
    "mode_difference": "surveys.indicators.modes",
    "MeasureTable": "surveys.indicators.measures",
    "ModeDifference": "surveys.indicators.modes",
    "proposal_census": "surveys.indicators.census",
    "census_check": "surveys.indicators.census",
    "ProposalCensus": "surveys.indicators.census",
    "load_register": "surveys.indicators.register",
    "evaluate_register": "surveys.indicators.register",
    "TargetsRegister": "surveys.indicators.register",
    "Scoreboard": "surveys.indicators.register",
    "compare_waves": "surveys.indicators.waves",
    "trend_table": "surveys.indicators.waves",
    "WaveChange": "surveys.indicators.waves",
    "group_comparisons": "surveys.indicators",
    "GroupComparisons": "surveys.indicators",
    "drivers": "surveys.indicators",
    "DriverAnalysis": "surveys.indicators",
    "scale_reliability": "surveys.indicators",
    "ScaleReliabilities": "surveys.indicators",
    "generate_demo": "surveys.demo",
    "DemoManifest": "surveys.demo",
    "read_export": "surveys.ingest",
    "detect_platform": "surveys.ingest",
    "RawExport": "surveys.ingest",
    "write_entry_template": "surveys.paper",
    "reconcile_entries": "surveys.paper",
    "Reconciliation": "surveys.paper",
    "OmrSentinels": "surveys.paper",
    "OMR_CONVENTIONS": "surveys.paper",
    "OmrResult": "surveys.paper",
    "apply_omr_sentinels": "surveys.paper",
    "infer_questionnaire": "surveys.ingest.infer",
    "map_export": "surveys.ingest.mapping",
    "read_for_questionnaire": "surveys.ingest.mapping",
    "MappedExport": "surveys.ingest.mapping",
    "Issue": "surveys.ingest.mapping",
    "ValidationRules": "surveys.validate",
    "ValidationReport": "surveys.validate",
    "validate_export": "surveys.validate",
    "Pseudonymiser": "surveys.ingest.privacy",
    "Store": "surveys.store.database",
    "BatchResult": "surveys.store.database",
    "ingest_files": "surveys.store.database",
    "export_workbook": "surveys.store.database",
    "load_study": "surveys.study.spec",
    "Study": "surveys.study.spec",
    "run_study": "surveys.study.pipeline",
    "StudyResult": "surveys.study.pipeline",
    "FileAccount": "surveys.study.pipeline",
    "WeightedDesign": "surveys.study.pipeline",
    "draft_study": "surveys.study.draft",
    "StudyDraft": "surveys.study.draft",
    "target_chart": "surveys.charts",
    "diverging_chart": "surveys.charts",
    "category_sides": "surveys.charts",
    "domain_chart": "surveys.charts",
    "paired_chart": "surveys.charts",
    "mode_chart": "surveys.charts",
    "weighting_chart": "surveys.charts",
    "weight_histogram": "surveys.charts",
    "margins_chart": "surveys.charts",
    "wave_chart": "surveys.charts",
    "handling_chart": "surveys.charts",
    "importance_performance_chart": "surveys.charts",
    "save_figure": "surveys.charts",
    "ReportInput": "surveys.report",
    "ReportMethod": "surveys.report",
    "describe_columns": "surveys.report",
    "write_workbook": "surveys.report",
    "write_html": "surveys.report",
    "write_docx": "surveys.report",
    "render_html": "surveys.report",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'surveys' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
