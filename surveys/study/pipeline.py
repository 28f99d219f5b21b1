"""The study pipeline: every stage from export files to the scoreboard, as small functions.

:func:`run_study` runs a checked :class:`~surveys.study.Study` through the stages and returns a frozen
:class:`StudyResult` holding what each stage produced::

    ingest       each input file: read (问卷星 code/label pairs together), map onto its questionnaire,
                 validate and store (paper keyed twice: reconciled first, the agreed rows ingested)
                 → FileAccount per file: rows read = accepted + rejected, flags, reasons
    responses    Store.responses(questionnaire, wave): the accepted rows, one frame per questionnaire
    designs      SurveyDesign per survey questionnaire (one row per respondent), base weights (study_weighting)
    weighting    raked to the population margins of the spec (online and paper pooled, raked once)
    measures     measure_table: every measure × domain with CI, respondents, effective n, reliability
    census       proposal handling: the census of returned forms with non-response bounds
    scoreboard   every target of the register (or of the spec's measures) with value, interval, verdict
    robustness   every survey verdict recomputed under the alternatives a reviewer asks about
    analyses     what to improve, per survey target: group comparisons, drivers (四分图), scale reliability
                 (:mod:`surveys.study.analyses`, switched by the spec's ``analysis`` section)

The weighting stage (base weights, several populations in one questionnaire, the ``(other)`` and
``(missing)`` categories, sparse-category merging) lives in :mod:`surveys.study.weighting`; its public names
are re-exported here.
"""
from __future__ import annotations

import contextlib
import math
import pathlib
import tempfile
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

import pandas as pd

from surveys.checksum import sha256_file
from surveys.design.taylor import SurveyDesign
from surveys.errors import StoreError, StudyError
from surveys.indicators.census import proposal_census
from surveys.indicators.measures import estimate_measure, measure_table
from surveys.indicators.modes import mode_difference
from surveys.indicators.register import Scoreboard, evaluate_register, load_register, parse_register
from surveys.indicators.robustness import robustness_panel, verdict_notes
from surveys.ingest import read_export, read_export_pair
from surveys.ingest.mapping import map_export
from surveys.paper import reconcile_entries
from surveys.progress import Progress, quiet
from surveys.questionnaire import Questionnaire, Text
from surveys.store.database import Store
from surveys.study.analyses import indicator_analyses
from surveys.study.spec import Study, StudyInput, load_study
from surveys.study.weighting import (
    MISSING_CATEGORY,
    OTHER_CATEGORY,
    WeightedDesign,
    _is_missing,
    _plain_columns,
    unweighted_design,
    weight_responses,
)
from surveys.validate import ValidationRules
from surveys.weighting.margins import Margins, category_code
from surveys.weighting.methods import design_weight_summary

__all__ = [
    "FileAccount",
    "WeightedDesign",
    "StudyResult",
    "run_study",
    "weight_responses",
    "scoreboard_for",
    "OTHER_CATEGORY",
    "MISSING_CATEGORY",
]

_UNWEIGHTED_COLUMN = "unweighted"
_FEWEST_RESPONDENTS = 2



def sha256_or_empty(path: pathlib.Path | None) -> str:
    """SHA-256 of a file's bytes, or "" when there is no such file (an input the study names but lacks)."""
    return sha256_file(path) if path is not None and path.is_file() else ""


# ------------------------------------------------------------------------------------------ records

@dataclass(frozen=True)
class FileAccount:
    """What became of one input file. ``role``: ``ingested``, ``labels`` (the 按选项文本 half of a 问卷星 pair),
    ``second_keying`` (the other clerk's keying of paper forms), ``copy`` (the same export in another
    encoding, not ingested), ``census_forms`` / ``census_register`` (proposal handling).

    Invariant for ingested files: ``rows_read == accepted + rejected`` (flagged rows are accepted);
    ``blank_rows`` (entirely blank rows, no respondents) are reported beside it, so the rows under the
    file's header are ``rows_read + blank_rows``. For a
    paper pair, ``rows_read`` counts the first keying's rows and ``not_reconciled`` the rows that did not
    reach ingest (keying differences, forms keyed once, duplicates): they are rejected with reason
    ``keying_*`` so the invariant holds per file.
    """

    path: pathlib.Path
    questionnaire: str
    platform: str
    mode: str
    role: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    flagged: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)
    note: str = ""
    note_zh: str = ""  # the note in Chinese, for the report (empty: the note as written)
    sha256: str = ""  # the file's SHA-256 when it was accounted for (the provenance the methodology lists)
    blank_rows: int = 0  # entirely blank rows of the file: no respondents, not in rows_read

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", sha256_or_empty(self.path))

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path.name, "sha256": self.sha256, "questionnaire": self.questionnaire,
                "platform": self.platform,
                "mode": self.mode, "role": self.role, "rows_read": self.rows_read, "accepted": self.accepted,
                "rejected": self.rejected, "flagged": self.flagged,
                "reasons": "; ".join(f"{code}: {count}" for code, count in sorted(self.reasons.items())),
                "note": self.note, "note_zh": self.note_zh or self.note, "blank_rows": self.blank_rows}


@dataclass(frozen=True, eq=False)
class StudyResult:
    """Every stage's output of one run (frames are read-only by convention)."""

    study: Study
    files: tuple[FileAccount, ...]
    responses: Mapping[str, pd.DataFrame]
    designs: Mapping[str, WeightedDesign]
    measures: Mapping[str, Any]
    censuses: Mapping[str, Any]
    scoreboard: Any  # surveys.indicators.register.Scoreboard
    store_path: pathlib.Path | None = None
    notes: tuple[str, ...] = ()
    issues: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    notes_zh: tuple[str, ...] = ()  # the notes in Chinese, for the report
    reconciliations: Mapping[str, Any] = field(default_factory=dict, repr=False)
    robustness: Mapping[str, Any] = field(default_factory=dict, repr=False)  # target id → RobustnessPanel
    group_comparisons: Mapping[str, Any] = field(default_factory=dict, repr=False)  # target id → GroupComparisons
    drivers: Mapping[str, Any] = field(default_factory=dict, repr=False)  # target id → DriverAnalysis
    reliability: Mapping[str, Any] = field(default_factory=dict, repr=False)  # questionnaire id → ScaleReliabilities

    def robustness_frame(self) -> pd.DataFrame:
        """Every survey target × alternative (surveys.indicators.robustness.RobustnessPanel.to_frame), targets in order."""
        frames = [panel.to_frame() for panel in self.robustness.values()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def group_comparisons_frame(self) -> pd.DataFrame:
        """Every survey target × grouping variable × group (surveys.indicators.GroupComparisons.to_frame), with the
        target and questionnaire in front."""
        return _by_key(self.group_comparisons, "target_id", self.questionnaire_of)

    def drivers_frame(self) -> pd.DataFrame:
        """Every survey target × topic item: performance, importance, quadrant, priority
        (surveys.indicators.DriverAnalysis.to_frame), with the target and questionnaire in front."""
        return _by_key(self.drivers, "target_id", self.questionnaire_of)

    def reliability_frame(self) -> pd.DataFrame:
        """Every multi-item scale of every survey questionnaire: Cronbach's α with its interval."""
        return _by_key(self.reliability, "questionnaire")

    def reliability_items_frame(self) -> pd.DataFrame:
        """Every scale × item: the item–rest correlation and α with the item left out."""
        return _by_key(self.reliability, "questionnaire", frame=lambda scales: scales.item_frame())

    def questionnaire_of(self, target_id: str) -> str:
        """The questionnaire id of a target of the scoreboard ('' for a target without one)."""
        return next((row.source.partition("/")[0] for row in self.scoreboard if row.target_id == target_id), "")

    def keying_frame(self) -> pd.DataFrame:
        """Every finding of the double-entry reconciliations (value differs, keyed once, duplicate form number,
        no form number), with the first keying's file name."""
        frames = [reconciliation.report_frame().assign(file=name) for name, reconciliation in
                  self.reconciliations.items()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def targets_not_met(self) -> tuple[str, ...]:
        """Ids of the targets not met under their rule (a target without data counts as not met)."""
        return tuple(row.target_id for row in self.scoreboard if row.target_met is not True)

    def accounting_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([account.to_dict() for account in self.files],
                                         columns=["file", "sha256", "questionnaire", "platform", "mode", "role",
                                                  "rows_read",
                                          "accepted", "rejected", "flagged", "reasons", "note", "note_zh",
                                                  "blank_rows"])

    def scoreboard_frame(self) -> pd.DataFrame:
        return self.scoreboard.to_frame()

    def measures_frame(self) -> pd.DataFrame:
        frames = []
        for questionnaire_id, table in self.measures.items():
            frame = table.to_frame()
            frame.insert(0, "questionnaire", questionnaire_id)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def weights_frame(self) -> pd.DataFrame:
        """One row per questionnaire and weighting stage (base, then raking): Kish deff, effective n, range."""
        frames = []
        for questionnaire_id, weighted in self.designs.items():
            frame = design_weight_summary(weighted.design)
            frame.insert(0, "questionnaire", questionnaire_id)
            frame["populations"] = ", ".join(weighted.populations)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def weighting_effect_frame(self) -> pd.DataFrame:
        """Each survey questionnaire's headline before weighting (every respondent counted once) and after:
        columns questionnaire, measure_id, label_zh, label_en, weighting (before/after), estimate, ci_low,
        ci_high, respondents, threshold."""
        rows = []
        for questionnaire_id, weighted in self.designs.items():
            questionnaire = self.study.questionnaires[questionnaire_id]
            headline = questionnaire.headline
            data = weighted.design.data.assign(**{_UNWEIGHTED_COLUMN: 1.0})
            stages = (("before", SurveyDesign(data, weights=_UNWEIGHTED_COLUMN)), ("after", weighted.design))
            threshold = next((m.threshold for m in self.study.measures
                              if m.questionnaire == questionnaire_id and m.measure == headline.id), None)
            for stage, design in stages:
                record = estimate_measure(design, questionnaire, headline, level=self.study.estimation.level,
                                          ci_method=self.study.estimation.ci_method)
                rows.append({"questionnaire": questionnaire_id, "measure_id": headline.id,
                             "label_zh": questionnaire.title.zh, "label_en": questionnaire.title.en,
                             "weighting": stage, "estimate": record.estimate, "ci_low": record.ci_low,
                             "ci_high": record.ci_high, "respondents": record.respondents, "threshold": threshold})
        return pd.DataFrame(rows)

    def mode_difference_frame(self) -> pd.DataFrame:
        """Paper − online difference of each survey questionnaire's headline, with its CI (questionnaires
        fielded in both modes only); columns of :class:`surveys.indicators.measures.ModeDifference` plus questionnaire."""
        rows = []
        for questionnaire_id, weighted in self.designs.items():
            if weighted.design.data["mode"].nunique() < 2:
                continue
            questionnaire = self.study.questionnaires[questionnaire_id]
            difference = mode_difference(weighted.design, questionnaire, questionnaire.headline,
                                         level=self.study.estimation.level)
            rows.append({"questionnaire": questionnaire_id, **difference.to_dict()})
        return pd.DataFrame(rows)

    def margins_frame(self) -> pd.DataFrame:
        """Before/after margins of every raking (sample share, weighted share, population share per category)."""
        frames = []
        for questionnaire_id, weighted in self.designs.items():
            diagnostics = weighted.diagnostics
            if diagnostics is not None:
                frame = diagnostics.margins.copy()
                frame.insert(0, "questionnaire", questionnaire_id)
                frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _by_key(results: Mapping[str, Any], key: str, questionnaire_of: Any = None,
            frame: Any = lambda result: result.to_frame()) -> pd.DataFrame:
    """The frames of ``results`` (key → result) stacked, each with its key (and its questionnaire) in front."""
    frames = []
    for name, result in results.items():
        part = frame(result)
        if questionnaire_of is not None:
            part.insert(0, "questionnaire", questionnaire_of(name))
        part.insert(0, key, name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ------------------------------------------------------------------------------------------ measures

def _measure_table(design: Any, questionnaire: Questionnaire, study: Study) -> Any:
    """Every measure overall and by the study's domains. A domain too small for an interval (one respondent: no
    degrees of freedom) is kept and suppressed by the NCHS rules (:func:`surveys.indicators.measures.measure_table`)."""
    return measure_table(design, questionnaire, domains=study.estimation.domains, level=study.estimation.level,
                         ci_method=study.estimation.ci_method)


# ------------------------------------------------------------------------------------------ ingest

class _IngestContext:
    """What the ingest stage shares across the files of a run: the study, its rules, the store, a work folder."""

    def __init__(self, study: Study, store: Any, work_dir: pathlib.Path, progress: Progress,
                 rows: Any = None) -> None:
        self.study = study
        self.store = store
        self.work_dir = work_dir
        self.progress = progress
        self.rows = rows  # a surveys.progress.RowProgress, or None
        self.rules = ValidationRules.from_mapping(dict(study.validation))
        self.pseudonymiser = store.pseudonymiser()
        self.reconciliations: dict[str, Any] = {}  # first keying's file name → surveys.paper.Reconciliation
        self.register_notes: dict[str, str] = {}  # questionnaire (and '<id>:zh') → what its register lacked


def _store_raw(context: _IngestContext, raw: Any, entry: StudyInput, *, path: pathlib.Path | None = None,
               extra_rejected: Mapping[str, int] | None = None, note: str = "", note_zh: str = "") -> FileAccount:
    """Map one read export onto its questionnaire, validate it against the store's earlier submissions and
    store it as one batch (:mod:`surveys.ingest.mapping`, :mod:`surveys.validate`, :mod:`surveys.store.database`)."""
    questionnaire = context.study.questionnaires[entry.questionnaire]
    mapped = map_export(raw, questionnaire, platform=entry.platform, pseudonymiser=context.pseudonymiser,
                        mode=entry.mode, wave=entry.wave)
    with _file_bar(context, path or entry.path) as progress:
        batch = context.store.add(mapped, questionnaire, rules=context.rules, progress=progress)
    return _account(batch, entry, path=path, extra_rejected=extra_rejected, note=note, note_zh=note_zh)


def _store_file(context: _IngestContext, entry: StudyInput) -> FileAccount:
    """A 问卷星 or 腾讯问卷 export stored as one batch, read in chunks of rows (:meth:`Store.ingest`: memory bounded by
    the chunk, the same rows and verdicts as a whole read), with the bar of rows read on a terminal."""
    questionnaire = context.study.questionnaires[entry.questionnaire]
    options = {name: value for name, value in (("encoding", entry.encoding), ("sheet", entry.sheet)) if value}
    with _file_bar(context, entry.path) as progress:
        batch = context.store.ingest(entry.path, questionnaire, rules=context.rules, platform=entry.platform,
                                     mode=entry.mode, wave=entry.wave, progress=progress, **options)
    return _account(batch, entry)


@contextlib.contextmanager
def _file_bar(context: _IngestContext, path: pathlib.Path) -> Iterator[Callable[[int, int | None], None] | None]:
    """The terminal's bar of rows for ``path`` (None without a terminal): its ``progress(done, total)`` callback,
    the line ended when the block ends."""
    if context.rows is None:
        yield None
        return
    context.rows.file(path)
    try:
        yield context.rows.rows
    finally:
        context.rows.close()


def _account(batch: Any, entry: StudyInput, *, path: pathlib.Path | None = None,
             extra_rejected: Mapping[str, int] | None = None, note: str = "", note_zh: str = "") -> FileAccount:
    """The accounting line of a stored batch (with the rows held back before it, ``extra_rejected``)."""
    extra = {code: count for code, count in dict(extra_rejected or {}).items() if count}
    held_back = sum(extra.values())
    if batch.already_ingested:
        note = "; ".join(part for part in (note, f"already in the store (batch {batch.batch_id}): nothing added") if part)
        note_zh = "；".join(part for part in (note_zh, f"已在数据库中（批次 {batch.batch_id}）：未重复导入") if part)
    return FileAccount(
        path=path or entry.path, questionnaire=entry.questionnaire, platform=entry.platform, mode=entry.mode,
        role="ingested", rows_read=batch.rows_read + held_back, accepted=batch.accepted,
        rejected=batch.rejected + held_back, flagged=batch.flagged, reasons={**dict(batch.reasons), **extra},
        note=note, note_zh=note_zh, blank_rows=batch.blank_rows)


def _read(entry: StudyInput, path: pathlib.Path | None = None) -> Any:
    platform = "generic" if entry.platform == "paper" else entry.platform
    return read_export(path or entry.path, platform=platform, encoding=entry.encoding, sheet=entry.sheet)


def _wjx_pair(context: _IngestContext, entry: StudyInput, partner: StudyInput) -> list[FileAccount]:
    code, text = (entry, partner) if entry.variant != "text" else (partner, entry)
    raw = read_export_pair(code.path, text.path, encoding=code.encoding, sheet=code.sheet)
    ingested = _store_raw(context, raw, code, note=f"labels from {text.path.name}",
                          note_zh=f"选项文字取自 {text.path.name}")
    labels = FileAccount(path=text.path, questionnaire=text.questionnaire, platform=text.platform, mode=text.mode,
                         role="labels", rows_read=raw.rows_read,
                         note=f"the choice-text download (按选项文本) of {code.path.name}: read for its labels, rows counted there",
                         note_zh=f"{code.path.name} 的按选项文本导出：只读取选项文字，行数计在该文件")
    return [ingested, labels]


def _paper_pair(context: _IngestContext, entry: StudyInput, partner: StudyInput) -> list[FileAccount]:
    """Double-entered paper forms: reconcile the two keyings, ingest the agreed rows."""
    first, second = (entry, partner) if entry.variant <= partner.variant else (partner, entry)
    questionnaire = context.study.questionnaires[entry.questionnaire]
    reconciliation = reconcile_entries(first.path, second.path, questionnaire, sheet=first.sheet)
    agreed = context.work_dir / "agreed" / f"{first.path.stem}_agreed.xlsx"
    agreed.parent.mkdir(parents=True, exist_ok=True)
    reconciliation.write_agreed(agreed)
    context.reconciliations[first.path.name] = reconciliation
    counts = reconciliation.accounting()
    held_back = {f"keying_{name}": counts["first"][name] for name in
                 ("differing", "keyed_once", "duplicated", "unnumbered", "other_file_duplicated")}
    discrepancies = len(reconciliation.discrepancies)
    ingested = _store_raw(context, _read(first, agreed), first, path=first.path, extra_rejected=held_back,
                           note=f"reconciled with {second.path.name}: {len(reconciliation.agreed)} forms agreed, "
                                f"{reconciliation.forms_differing} differ ({discrepancies} cells)",
                           note_zh=f"与 {second.path.name} 核对：{len(reconciliation.agreed)} 份一致，"
                                   f"{reconciliation.forms_differing} 份不一致（{discrepancies} 个单元格）")
    second_counts = counts["second"]
    other = FileAccount(path=second.path, questionnaire=second.questionnaire, platform=second.platform,
                        mode=second.mode, role="second_keying", rows_read=second_counts["rows_read"],
                        reasons={f"keying_{k}": v for k, v in second_counts.items()
                                 if k not in ("rows_read", "agreed") and v},
                        note=f"second keying of {first.path.name}: compared, its agreed forms counted there",
                        note_zh=f"{first.path.name} 的第二次录入：已逐格比对，一致的问卷计在该文件")
    return [ingested, other]


def _copy_account(entry: StudyInput, original_entry: StudyInput | None) -> FileAccount:
    """A re-save of another input (e.g. the GB18030 copy of a CSV): read to count its rows, not ingested."""
    copy = _read(entry).rows_read
    original = _read(original_entry).rows_read if original_entry is not None else copy
    same = "the same" if copy == original else f"NOT the same ({original} there)"
    same_zh = "行数相同" if copy == original else f"行数不同（原文件 {original} 行）"
    return FileAccount(path=entry.path, questionnaire=entry.questionnaire, platform=entry.platform, mode=entry.mode,
                       role="copy", rows_read=copy,
                       note=f"another save of {entry.copy_of.name}, {same} number of rows: not ingested twice",
                       note_zh=f"{entry.copy_of.name} 的另存副本，{same_zh}：不重复导入")


def _ingest_questionnaire(context: _IngestContext, questionnaire_id: str) -> list[FileAccount]:
    """Every input of one questionnaire: pairs read together, copies skipped, registers left to the census."""
    by_path = {entry.path: entry for entry in context.study.inputs}
    done: set[pathlib.Path] = set()
    results: list[FileAccount] = []
    for entry in context.study.inputs_for(questionnaire_id):
        if entry.path in done:
            continue
        done.add(entry.path)
        context.progress(f"ingest {entry.path.name}")
        partner = by_path.get(entry.pair) if entry.pair else None
        if entry.copy_of is not None:
            results.append(_copy_account(entry, by_path.get(entry.copy_of)))
        elif entry.variant == "register":
            continue  # read by the census stage
        elif partner is not None and entry.platform == "wjx":
            done.add(partner.path)
            results += _wjx_pair(context, entry, partner)
        elif partner is not None and entry.platform == "paper":
            done.add(partner.path)
            results += _paper_pair(context, entry, partner)
        elif entry.platform in ("wjx", "tencent"):
            results.append(_store_file(context, entry))
        else:
            results.append(_store_raw(context, _read(entry), entry))
    return results


# ------------------------------------------------------------------------------------------ census

def _category_of(scale: Any, value: Any) -> Any:
    """A register's label (``人大代表``, ``B类``) as the scale code: exact label, else the unique label it starts."""
    if _is_missing(value):
        return math.nan
    text = str(value).strip()
    if text in {category_code(code) for code in scale.codes}:
        return float(text)
    exact = [c.code for c in scale.categories if text in (c.label.zh, c.label.en)]
    prefix = [c.code for c in scale.categories if c.label.zh.startswith(text) or text.startswith(c.label.zh)]
    found = exact or prefix
    return float(found[0]) if len(found) == 1 else math.nan


def _read_register(entry: StudyInput, questionnaire: Questionnaire) -> tuple[pd.DataFrame, dict[str, int]]:
    """The register of every proposal handled: one row per proposal, columns renamed to item ids; and, per item,
    how many labels matched no category of its scale (left empty)."""
    raw = _read(entry)
    headers = {question.key: question for question in raw.questions}
    titles = {question.title: question.key for question in raw.questions if getattr(question, "title", "")}
    paper = questionnaire.platforms.get("paper")
    frame = pd.DataFrame(index=range(raw.rows_read))
    unrecognised: dict[str, int] = {}
    for item in questionnaire.items:
        wanted = [entry_column for entry_column in (
            entry.columns.get(item.id) if entry.columns else None,
            paper.column(item.id) if paper else None, item.text.zh) if entry_column]
        key = next((titles.get(name, name) for name in wanted if titles.get(name, name) in headers), None)
        if key is None:
            continue
        values = raw.answers[key].tolist()
        scale = questionnaire.scale_of(item.id)
        frame[item.id] = [_category_of(scale, v) for v in values] if scale is not None else [
            None if _is_missing(v) else str(v).strip() for v in values]
        lost = sum(1 for v, code in zip(values, frame[item.id]) if not _is_missing(v) and _is_missing(code))
        if lost:
            unrecognised[item.id] = lost
    return frame, unrecognised


def _census(context: _IngestContext, questionnaire_id: str, forms: pd.DataFrame) -> Any:
    questionnaire = context.study.questionnaires[questionnaire_id]
    registers = [e for e in context.study.inputs_for(questionnaire_id) if e.variant == "register"]
    register = None
    if registers:
        register, unrecognised = _read_register(registers[0], questionnaire)
        context.register_notes[questionnaire_id] = "".join(
            f"; {count} '{item}' labels matched no category (left empty)" for item, count in unrecognised.items())
        context.register_notes[f"{questionnaire_id}:zh"] = "".join(
            f"；'{item}' 有 {count} 个标签无法对应类别（留空）" for item, count in unrecognised.items())
    identifier = next((item.id for item in questionnaire.items_with_role("identifier")), None)
    by = () if register is None else tuple(
        item.id for item in questionnaire.items
        if item.id in register.columns and item.id != identifier and item.role in ("classification", "demographic")
        and register[item.id].notna().any())
    return proposal_census(_plain_columns(forms), questionnaire, register=register, by=by, identifier=identifier,
                           proposals=None if register is not None else len(forms))


def _register_accounts(context: _IngestContext, censuses: Mapping[str, Any]) -> list[FileAccount]:
    accounts = []
    for questionnaire_id, census in censuses.items():
        for entry in context.study.inputs_for(questionnaire_id):
            if entry.variant == "register":
                accounts.append(FileAccount(path=entry.path, questionnaire=questionnaire_id, platform=entry.platform,
                                            mode=entry.mode, role="census_register", rows_read=census.proposals,
                                            note=f"{census.proposals} proposals, {census.forms_returned} forms "
                                                 f"returned ({census.return_rate:.1%})"
                                                 + context.register_notes.get(questionnaire_id, ""),
                                            note_zh=f"共 {census.proposals} 件建议提案，回收意见表 "
                                                    f"{census.forms_returned} 份（{census.return_rate:.1%}）"
                                                    + context.register_notes.get(f"{questionnaire_id}:zh", "")))
    return accounts


# ------------------------------------------------------------------------------------------ scoreboard

_STUDY_CHOSEN = {"zh": "目标值由本研究设定，并非计划规定的数值", "en": "threshold chosen by the study, not a number of the plan"}


def _register_from_measures(study: Study) -> Any:
    """Without a targets register: one target per measure of the spec, with its questionnaire's unit."""
    targets = []
    for measure in study.measures:
        if measure.threshold is None:
            continue
        questionnaire = study.questionnaires[measure.questionnaire]
        label = questionnaire.measure(measure.measure).label
        targets.append({
            "id": f"{measure.questionnaire}_{measure.measure}".lower(),
            "text": {"zh": label.zh, "en": label.en},
            "responsible": {"zh": questionnaire.unit.zh, "en": questionnaire.unit.en},
            "source": {"kind": "census" if measure.census else "survey", "questionnaire": measure.questionnaire,
                       "measure": measure.measure},
            "threshold": measure.threshold, "comparison": measure.comparison, "rule": measure.rule,
            "threshold_source": measure.threshold_source,
            **({"note": _STUDY_CHOSEN} if measure.threshold_source == "study" else {}),
        })
    if not targets:
        raise StudyError(f"{study.path}: no target to judge: expected a targets register (targets:) or measures "
                         "with a threshold; add one")
    return parse_register({"study": study.id, "plan": {"zh": study.title.zh, "en": study.title.en},
                           "period": study.wave, "targets": targets}, path=study.path)


def scoreboard_for(study: Study, measures: Mapping[str, Any], censuses: Mapping[str, Any]) -> Any:
    """Every target of the study's register (or of its measures) judged on this run's results."""
    register = (load_register(study.targets, questionnaires=study.questionnaires) if study.targets
                else _register_from_measures(study))
    return evaluate_register(register, survey_results=measures, census_results=censuses)


def _robustness(study: Study, scoreboard: Any, designs: Mapping[str, WeightedDesign], tables: Mapping[str, Any],
                responses: Mapping[str, pd.DataFrame], cache: dict[pathlib.Path, Margins]) -> dict[str, Any]:
    """The robustness panel of every survey target (surveys.indicators.robustness.robustness_panel)."""
    panels: dict[str, Any] = {}
    alternatives: dict[str, tuple[Any, Any]] = {}
    for row in scoreboard:
        questionnaire_id, _, measure_id = row.source.partition("/")
        if row.source_kind != "survey" or row.check is None or questionnaire_id not in designs:
            continue
        weighted = designs[questionnaire_id]
        if questionnaire_id not in alternatives:
            without = (weight_responses(responses[questionnaire_id], questionnaire_id, study, cache,
                                        clusters=False).design if study.design.clusters else None)
            alternatives[questionnaire_id] = (unweighted_design(weighted, study), without)
        unweighted, without = alternatives[questionnaire_id]
        panels[row.target_id] = robustness_panel(
            weighted.design, study.questionnaires[questionnaire_id], measure_id, table=tables[questionnaire_id],
            threshold=row.threshold, comparison=row.comparison, rule=row.rule, level=study.estimation.level,
            ci_method=study.estimation.ci_method, trim=study.robustness.trim, unweighted=unweighted,
            without_clusters=without, target_id=row.target_id)
    return panels


def _with_notes(scoreboard: Any, designs: Mapping[str, WeightedDesign], panels: Mapping[str, Any]) -> Any:
    """The scoreboard with every row's notes beside its verdict (surveys.indicators.robustness.verdict_notes)."""
    import dataclasses


    rows = []
    for row in scoreboard:
        panel = panels.get(row.target_id)
        survey = row.source_kind == "survey"
        weighted = designs.get(row.source.partition("/")[0]) if survey else None
        notes = verdict_notes(row.check if survey else None, threshold_source=row.threshold_source,
                              design=weighted.design if weighted else None)
        rows.append(dataclasses.replace(row, warnings=notes, robustness=panel.summary() if panel else None))
    return Scoreboard(rows=tuple(rows), period=scoreboard.period)


# ------------------------------------------------------------------------------------------ the run

def _issues(store: Any) -> pd.DataFrame:
    """Every validation issue of the run's store: rejecting ones (the row was rejected) and flags."""
    frames = [store.rejections().assign(action="reject"), store.flags().assign(action="flag")]
    return pd.concat(frames, ignore_index=True).sort_values(["batch_id", "row", "code"], kind="stable",
                                                           ignore_index=True)


def _responses(store: Any, study: Study, questionnaire_id: str) -> pd.DataFrame | None:
    try:
        return store.responses(questionnaire_id, wave=study.wave or None)
    except StoreError:
        return None  # nothing of this questionnaire was ingested


def run_study(study: Study | str | pathlib.Path, *, store: str | pathlib.Path | None = None,
              work_dir: str | pathlib.Path | None = None, progress: Progress | None = None,
              key_file: str | pathlib.Path | None = None, rows: Any = None) -> StudyResult:
    """Run every stage of ``study`` (a :class:`Study` or the path of a spec) and return what each produced.

    ``store``: the SQLite response store the exports are ingested into (created if missing; a file already in
    it is not added twice); by default a store in a temporary folder, dropped after the run. ``work_dir``
    receives intermediate files (the agreed rows of double-keyed paper forms); a temporary folder by default.
    ``progress`` is called with one line per step (the CLI prints them on a terminal only); ``rows``, a
    :class:`surveys.progress.RowProgress`, shows the rows read of each file. ``key_file``: the
    pseudonymisation key file (:class:`~surveys.store.Store`; never inside the store).
    """
    if not isinstance(study, Study):
        study = load_study(study)
    progress = progress or quiet
    with tempfile.TemporaryDirectory(prefix="surveys-run-") as scratch:
        scratch_dir = pathlib.Path(scratch)
        store_path = pathlib.Path(store) if store is not None else scratch_dir / "store.sqlite"
        response_store = Store(store_path, key_file=key_file)
        context = _IngestContext(study, response_store, pathlib.Path(work_dir) if work_dir else scratch_dir,
                                 progress, rows)
        accounts: list[FileAccount] = []
        responses: dict[str, pd.DataFrame] = {}
        for questionnaire_id in study.questionnaires:
            accounts += _ingest_questionnaire(context, questionnaire_id)
            frame = _responses(response_store, study, questionnaire_id)
            if frame is not None:
                responses[questionnaire_id] = frame
        designs: dict[str, WeightedDesign] = {}
        tables: dict[str, Any] = {}
        notes: list[Text] = []
        cache: dict[tuple[pathlib.Path, str], Margins] = {}
        for questionnaire_id in study.survey_questionnaires:
            if questionnaire_id not in responses:
                continue
            accepted = len(responses[questionnaire_id])
            if accepted < _FEWEST_RESPONDENTS:   # a design needs two sampled units: say so, estimate nothing
                notes.append(Text(f"{study.questionnaires[questionnaire_id].title.zh}：仅 {accepted} 名有效受访者，无法估计（至少需要 "
                                  f"{_FEWEST_RESPONDENTS} 名）；其指标记为无数据",
                                  f"{questionnaire_id}: {accepted} accepted respondent(s): too few to estimate (a "
                                  f"design needs {_FEWEST_RESPONDENTS}); its targets have no data"))
                continue
            progress(f"weight {questionnaire_id}")
            designs[questionnaire_id] = weight_responses(responses[questionnaire_id], questionnaire_id, study, cache)
            title = study.questionnaires[questionnaire_id].title
            notes += [Text(f"{title.zh}：{note.zh}", f"{title.get('en')}: {note.en}")
                      for note in designs[questionnaire_id].notes]
            progress(f"estimate {questionnaire_id}")
            tables[questionnaire_id] = _measure_table(designs[questionnaire_id].design,
                                                      study.questionnaires[questionnaire_id], study)
        censuses = {}
        for questionnaire_id in study.census_questionnaires:
            progress(f"census {questionnaire_id}")
            censuses[questionnaire_id] = _census(context, questionnaire_id,
                                                 responses.get(questionnaire_id, pd.DataFrame()))
        accounts += _register_accounts(context, censuses)
        issues = _issues(response_store)
    progress("scoreboard")
    scoreboard = scoreboard_for(study, tables, censuses)
    progress("robustness")
    panels = _robustness(study, scoreboard, designs, tables, responses, cache)
    scoreboard = _with_notes(scoreboard, designs, panels)
    progress("analyses")
    analyses = indicator_analyses(study, scoreboard, designs, tables)
    notes += analyses.notes
    return StudyResult(study=study, files=tuple(accounts), responses=MappingProxyType(responses),
                       designs=MappingProxyType(designs), measures=MappingProxyType(tables),
                       censuses=MappingProxyType(censuses), scoreboard=scoreboard,
                       notes=tuple(note.en for note in notes), notes_zh=tuple(note.zh for note in notes),
                       store_path=pathlib.Path(store) if store is not None else None, issues=issues,
                       reconciliations=MappingProxyType(dict(context.reconciliations)),
                       robustness=MappingProxyType(panels), group_comparisons=analyses.groups,
                       drivers=analyses.drivers, reliability=analyses.reliability)
