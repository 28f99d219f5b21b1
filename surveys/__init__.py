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
from surveys.targets import TargetCheck, TargetTable, check_target, check_targets
from surveys.planning import allocate, margin_table, plan_sample_size
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
    "load_questionnaire",
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
    "TargetCheck",
    "TargetTable",
    "plan_sample_size",
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
]
