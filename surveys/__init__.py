"""surveys: satisfaction surveys with targets.

Ingest paper and online exports, weight them to the population, estimate satisfaction rates with
design-based standard errors that match R's ``survey`` package, and say whether each target is met
with its margin of error.

The public API is re-exported here; everything else is internal.
"""
from __future__ import annotations

__version__ = "0.1.0"

from surveys.errors import (
    ChartError,
    ChartFontError,
    ConvergenceError,
    DesignError,
    EstimationError,
    IngestError,
    PlanningError,
    QuestionnaireError,
    ReportError,
    StoreError,
    StudyError,
    SurveyError,
    TargetError,
    ValidationError,
    WeightingError,
)

# Each area adds its public names below its own marker (imports) and to __all__ (names).
# --- questionnaire ---
from surveys.questionnaire import (
    Category,
    Condition,
    Item,
    Measure,
    PlatformMapping,
    Questionnaire,
    Scale,
    Target,
    Text,
    WeightingCategory,
    WeightingVariable,
    load_questionnaire,
)
from surveys.resources import bundled_questionnaires, questionnaire_dir
# --- design and estimation ---
from surveys.design import SurveyDesign
from surveys.estimate import Domains
from surveys.replicate import ReplicateDesign
# --- confidence intervals ---
from surveys.ci import CI_METHODS, ProportionSummary, proportion_interval
# --- weighting ---
from surveys.margins import MarginTable, Margins, load_margins, template_for
from surveys.weight_diagnostics import WeightingDiagnostics
from surveys.weighting import (
    WeightingConvergenceWarning,
    calibrate,
    design_weight_summary,
    poststratify,
    rake,
    trim_weights,
)
# --- measures and targets ---
from surveys.targets import TargetCheck, TargetTable, check_target, check_targets, margin_text
from surveys.planning import allocate, margin_table, plan_sample_size, verdict_power
from surveys.robustness import RobustnessPanel, robustness_panel, verdict_notes
from surveys.measures import (
    MeasureTable,
    ModeDifference,
    assess_reliability,
    estimate_measure,
    measure_table,
    measure_values,
    mode_difference,
)
from surveys.census import ProposalCensus, census_check, proposal_census
from surveys.register import Scoreboard, TargetsRegister, evaluate_register, load_register
from surveys.waves import WaveChange, compare_waves, trend_table
# --- demo ---
from surveys.demo import DemoManifest, generate_demo
# --- ingest ---
from surveys.ingest import RawExport, detect_platform, read_export
# --- paper and infer ---
from surveys.infer import infer_questionnaire
from surveys.paper import (
    OMR_CONVENTIONS,
    OmrResult,
    OmrSentinels,
    Reconciliation,
    apply_omr_sentinels,
    reconcile_entries,
    write_entry_template,
)
# --- ingestion pipeline ---
from surveys.privacy import Pseudonymiser
from surveys.responses import Issue, MappedExport, map_export, read_for_questionnaire
from surveys.store import BatchResult, Store, export_workbook, ingest_files
from surveys.validate import ValidationReport, ValidationRules, validate_export
# --- study pipeline ---
from surveys.pipeline import FileAccount, StudyResult, WeightedDesign, run_study
from surveys.study import Study, load_study
from surveys.study_draft import StudyDraft, draft_study
# --- charts ---
# Charts and the report load matplotlib and openpyxl; they are imported on first use (see __getattr__ below)
# so that `import surveys` and the command line stay light.
_LAZY_MODULES = {
    "category_sides": "surveys.charts",
    "diverging_chart": "surveys.charts",
    "domain_chart": "surveys.charts",
    "handling_chart": "surveys.charts",
    "margins_chart": "surveys.charts",
    "mode_chart": "surveys.charts",
    "paired_chart": "surveys.charts",
    "save_figure": "surveys.charts",
    "target_chart": "surveys.charts",
    "wave_chart": "surveys.charts",
    "weight_histogram": "surveys.charts",
    "weighting_chart": "surveys.charts",
# --- report ---
    "ReportInput": "surveys.report",
    "ReportMethod": "surveys.report",
    "describe_columns": "surveys.report",
    "render_html": "surveys.report",
    "write_html": "surveys.report",
    "write_workbook": "surveys.report",
    "write_docx": "surveys.report",
}

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
    "PlanningError",
    # --- questionnaire names ---
    "load_questionnaire",
    "bundled_questionnaires",
    "questionnaire_dir",
    "Questionnaire",
    "Text",
    "Category",
    "Scale",
    "Condition",
    "Item",
    "Target",
    "Measure",
    "WeightingCategory",
    "WeightingVariable",
    "PlatformMapping",
    # --- design and estimation names ---
    "SurveyDesign",
    "ReplicateDesign",
    "Domains",
    # --- confidence interval names ---
    "proportion_interval",
    "ProportionSummary",
    "CI_METHODS",
    # --- weighting names ---
    "poststratify",
    "rake",
    "calibrate",
    "trim_weights",
    "design_weight_summary",
    "WeightingDiagnostics",
    "WeightingConvergenceWarning",
    "Margins",
    "MarginTable",
    "load_margins",
    "template_for",
    # --- measures and targets names ---
    "check_target",
    "check_targets",
    "margin_text",
    "TargetCheck",
    "TargetTable",
    "robustness_panel",
    "verdict_notes",
    "RobustnessPanel",
    "plan_sample_size",
    "verdict_power",
    "allocate",
    "margin_table",
    "measure_table",
    "measure_values",
    "estimate_measure",
    "assess_reliability",
    "mode_difference",
    "MeasureTable",
    "ModeDifference",
    "proposal_census",
    "census_check",
    "ProposalCensus",
    "load_register",
    "evaluate_register",
    "TargetsRegister",
    "Scoreboard",
    "compare_waves",
    "trend_table",
    "WaveChange",
    # --- demo names ---
    "generate_demo",
    "DemoManifest",
    # --- ingest names ---
    "read_export",
    "detect_platform",
    "RawExport",
    # --- paper and infer names ---
    "write_entry_template",
    "reconcile_entries",
    "Reconciliation",
    "OmrSentinels",
    "OMR_CONVENTIONS",
    "OmrResult",
    "apply_omr_sentinels",
    "infer_questionnaire",
    # --- ingestion pipeline names ---
    "map_export",
    "read_for_questionnaire",
    "MappedExport",
    "Issue",
    "ValidationRules",
    "ValidationReport",
    "validate_export",
    "Pseudonymiser",
    "Store",
    "BatchResult",
    "ingest_files",
    "export_workbook",
    # --- study pipeline names ---
    "load_study",
    "Study",
    "run_study",
    "draft_study",
    "StudyDraft",
    "StudyResult",
    "FileAccount",
    "WeightedDesign",
    # --- charts names ---
    "target_chart",
    "diverging_chart",
    "category_sides",
    "domain_chart",
    "paired_chart",
    "mode_chart",
    "weighting_chart",
    "weight_histogram",
    "margins_chart",
    "wave_chart",
    "handling_chart",
    "save_figure",
    "ChartError",
    "ChartFontError",
    # --- report names ---
    "ReportInput",
    "ReportMethod",
    "ReportError",
    "describe_columns",
    "write_workbook",
    "write_html",
    "write_docx",
    "render_html",
]


def __getattr__(name: str):
    module = _LAZY_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'surveys' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES))
