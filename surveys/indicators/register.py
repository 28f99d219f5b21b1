"""The targets register of a plan (``analysis/<study>/targets.yaml``) and its scoreboard.

Every quantitative target of the plan is one entry of the register (schema: ``analysis/README.md``,
"Targets register"): its id, the plan's words (zh/en), the responsible unit, the source of its value, the
threshold, the comparison and the verdict rule. The rule is data: nothing here knows a threshold.

Sources:

* ``survey`` — a measure of a questionnaire estimated on a weighted sample: judged by
  :func:`surveys.indicators.targets.check_target` on its confidence interval (four verdicts);
* ``census`` — a measure computed on every returned form (proposal handling): judged by
  :func:`surveys.indicators.census.census_check` on its non-response bounds (the same four verdicts);
* ``administrative`` — an exact figure from the responsible unit's records: a ``rate`` (numerator /
  denominator, e.g. petition cases closed / received), a ``count`` (e.g. legal lectures held) or a ``value``
  (e.g. GDP growth against the provincial average). Administrative figures are complete counts, not samples:
  they carry **no interval**, and their verdict is ``met`` or ``not_met`` (the scoreboard says "exact").

:func:`load_register` reads and checks a file, collecting every problem into one :class:`TargetError` that
names the file and each key path. :func:`evaluate_register` gives the :class:`Scoreboard`: every target with
its value, interval or bounds, verdict and responsible unit, also when a value is missing (``no_data``).
"""
from __future__ import annotations

import datetime
import math
import pathlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from surveys.errors import SurveyError, TargetError
from surveys.estimation.results import Estimate
from surveys.indicators.census import census_check
from surveys.indicators.measures import MeasureTable
from surveys.indicators.targets import (
    CENSUS_VERDICT_LABELS,
    VERDICT_LABELS,
    VERDICT_RULES,
    TargetCheck,
    check_target,
)
from surveys.questionnaire import Text
from surveys.spec_file import SpecReader, describe, read_yaml

__all__ = [
    "SOURCE_KINDS",
    "ADMINISTRATIVE_TYPES",
    "RegisterSource",
    "RegisterTarget",
    "TargetsRegister",
    "ScoreboardRow",
    "Scoreboard",
    "load_register",
    "parse_register",
    "evaluate_register",
    "scoreboard_summary",
    "short_name",
    "figure_unit",
    "SHORT_NAME_LIMIT",
]

SOURCE_KINDS = ("survey", "census", "administrative")
ADMINISTRATIVE_TYPES = ("rate", "count", "value")
THRESHOLD_SOURCES = ("plan", "study")
NO_DATA = "no_data"
_SAMPLE_COMPARISONS = (">=", ">")
_EXACT_COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    ">=": lambda value, threshold: value >= threshold,
    ">": lambda value, threshold: value > threshold,
    "<=": lambda value, threshold: value <= threshold,
    "<": lambda value, threshold: value < threshold,
    "==": lambda value, threshold: value == threshold,
}
_TOP_KEYS = ("study", "plan", "period", "demo_data", "note", "targets")
_TARGET_KEYS = ("id", "section", "text", "short", "responsible", "source", "threshold", "comparison", "rule",
                "threshold_source", "note")
SHORT_NAME_LIMIT = 16  # characters of a short name (charts, the console and the overview use it)
_SOURCE_KEYS = ("kind", "questionnaire", "measure", "type", "numerator", "denominator", "count", "value", "evidence",
                "demo")
_FIGURE_KEYS = ("label", "value")
_EVIDENCE_KEYS = ("document", "date")
_NO_DATA_LABEL = Text("无数据", "no data")
# The verdicts in the summary line, in words that fit surveys, censuses and exact figures alike.
_SUMMARY_WORDS = {
    "met": Text("达标", "met"),
    "met_within_margin": Text("达标但在误差范围内", "met within the margin of error"),
    "not_met_within_margin": Text("未达标但在误差范围内", "not met within the margin of error"),
    "not_met": Text("未达标", "not met"),
    "not_judged": Text("不作判定", "not judged"),
    NO_DATA: Text("无数据", "no data"),
}
_RULE_WORDS = {
    "ci_lower_bound": Text("置信区间下限须达到目标", "the interval's lower bound must reach the target"),
    "point_estimate": Text("点估计达到目标即可", "the estimate reaching the target suffices"),
    "ci_upper_bound": Text("置信区间上限达到目标即可", "the interval's upper bound reaching the target suffices"),
}
_EXACT_VERDICT_LABELS = {"met": Text("达标", "met"), "not_met": Text("未达标", "not met")}


@dataclass(frozen=True)
class Figure:
    """An administrative figure: its label and value (None until the unit reports it)."""

    label: Text
    value: float | None


@dataclass(frozen=True)
class RegisterSource:
    """Where a target's value comes from (see the module docstring)."""

    kind: str
    questionnaire: str = ""
    measure: str = ""
    type: str = ""
    numerator: Figure | None = None
    denominator: Figure | None = None
    figure: Figure | None = None  # the count or the value
    evidence_document: str = ""
    evidence_date: str = ""
    demo: bool = False

    def describe(self, lang: str = "zh") -> str:
        if self.kind in ("survey", "census"):
            return f"{self.questionnaire}/{self.measure}"
        if self.numerator is not None and self.denominator is not None:  # a rate
            return f"{self.numerator.label.get(lang)} / {self.denominator.label.get(lang)}"
        return self.figure.label.get(lang) if self.figure is not None else ""


@dataclass(frozen=True)
class RegisterTarget:
    """One target of the plan."""

    id: str
    text: Text
    responsible: Text
    source: RegisterSource
    threshold: float
    comparison: str = ">="
    rule: str = "ci_lower_bound"
    section: str = ""
    threshold_source: str = "plan"
    note: Text | None = None
    short: Text | None = None  # e.g. 维稳满意率; the plan's full sentence stays in ``text``

    @property
    def short_name(self) -> Text:
        """The short name, or the plan's words cut to :data:`SHORT_NAME_LIMIT` characters."""
        return self.short if self.short is not None else short_name(self.text)


_UNIT = re.compile(r"[（(]([^（）()]+)[）)]\s*$")


def figure_unit(label: Text | None) -> Text:
    """The unit of an administrative figure, from the end of its label: 年度法制讲座（次） → 次; a percentage
    (…（%）) → %. English says only %, a count reads as a plain number."""
    if label is None:
        return Text("", "")
    match = _UNIT.search(label.zh)
    unit = match.group(1).split("：")[0].split(":")[0].strip() if match else ""
    return Text(unit, "%" if unit == "%" else "")


def short_name(text: Text) -> Text:
    """``text`` cut to :data:`SHORT_NAME_LIMIT` characters (Chinese) / 40 (English), marked with … when cut."""
    def cut(words: str, limit: int) -> str:
        words = words.strip().rstrip("。.")
        return words if len(words) <= limit else words[:limit - 1] + "…"

    return Text(cut(text.zh, SHORT_NAME_LIMIT), cut(text.en or text.zh, 40))


@dataclass(frozen=True)
class TargetsRegister:
    """A loaded register: the plan, the study period and the targets in file order."""

    path: pathlib.Path | None
    study: str
    plan: Text
    period: str
    demo_data: bool
    targets: tuple[RegisterTarget, ...]

    def target(self, target_id: str) -> RegisterTarget:
        for target in self.targets:
            if target.id == target_id:
                return target
        raise TargetError(f"the register has no target '{target_id}'; its targets are {[t.id for t in self.targets]}")


# ----------------------------------------------------------------------------------------------------------
# loading and checking (the reader every spec uses: surveys.spec_file)
def _figure(value: Any, path: str, reader: SpecReader) -> Figure | None:
    if not isinstance(value, Mapping):
        reader.problem(path, f"expected {{label: {{zh, en}}, value: <number or null>}}, found {describe(value)}")
        return None
    reader.mapping(value, path, (), _FIGURE_KEYS, partial=True)
    label = reader.text(value.get("label"), f"{path}.label", english=False)
    number = reader.number(value.get("value"), f"{path}.value", None)
    if number is not None and number < 0:
        reader.problem(f"{path}.value", f"expected a count or amount of at least 0; found {number:g}")
    return Figure(label, number) if label else None


def _evidence(value: Any, path: str, reader: SpecReader) -> tuple[str, str]:
    """(document, date) of an administrative figure's evidence."""
    if not isinstance(value, Mapping) or not value.get("document"):
        reader.problem(path, "expected {document: <the record the figure comes from>, date: YYYY-MM-DD}, found "
                             f"{describe(value)}")
        return "", ""
    reader.mapping(value, path, (), _EVIDENCE_KEYS, partial=True)
    raw_date = value.get("date")
    if isinstance(raw_date, (datetime.date, datetime.datetime)):
        return str(value["document"]), raw_date.isoformat()[:10]
    if isinstance(raw_date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
        return str(value["document"]), raw_date
    reader.problem(f"{path}.date", f"expected a date YYYY-MM-DD, found {describe(raw_date)}")
    return str(value["document"]), ""


def _source(value: Any, path: str, reader: SpecReader) -> RegisterSource | None:
    if not isinstance(value, Mapping):
        reader.problem(path, f"expected a mapping with kind: {' | '.join(SOURCE_KINDS)}, found {describe(value)}")
        return None
    reader.mapping(value, path, (), _SOURCE_KEYS, partial=True)
    kind = reader.choice(value.get("kind"), f"{path}.kind", SOURCE_KINDS)
    if kind is None:
        return None
    demo = reader.boolean(value.get("demo"), f"{path}.demo", False)
    if kind in ("survey", "census"):
        for key in ("questionnaire", "measure"):
            if not isinstance(value.get(key), str) or not value.get(key):
                reader.problem(f"{path}.{key}", f"a {kind} source names its {key} id; found {describe(value.get(key))}")
        return RegisterSource(kind=kind, questionnaire=str(value.get("questionnaire", "")),
                              measure=str(value.get("measure", "")), demo=demo)
    kind_type = value.get("type")
    if kind_type not in ADMINISTRATIVE_TYPES:
        reader.problem(f"{path}.type", f"an administrative source is one of {list(ADMINISTRATIVE_TYPES)}; "
                                       f"found {describe(kind_type)}")
        return None
    document, date = _evidence(value.get("evidence"), f"{path}.evidence", reader)
    common = dict(kind=kind, type=kind_type, evidence_document=document, evidence_date=date, demo=demo)
    if kind_type == "rate":
        numerator = _figure(value.get("numerator"), f"{path}.numerator", reader)
        denominator = _figure(value.get("denominator"), f"{path}.denominator", reader)
        if (numerator and denominator and numerator.value is not None and denominator.value is not None
                and numerator.value > denominator.value):
            reader.problem(f"{path}.numerator.value", f"the numerator {numerator.value:g} exceeds the denominator "
                                                      f"{denominator.value:g}; a rate is a part of its whole")
        return RegisterSource(numerator=numerator, denominator=denominator, **common)
    figure = _figure(value.get(kind_type), f"{path}.{kind_type}", reader)
    return RegisterSource(figure=figure, **common)


def _threshold(entry: Mapping[str, Any], source: RegisterSource | None, path: str, reader: SpecReader) -> float | None:
    threshold = reader.number(entry.get("threshold"), f"{path}.threshold")
    if threshold is None or source is None:
        return threshold
    is_share = source.kind in ("survey", "census") or source.type == "rate"
    if is_share and not 0.0 < threshold <= 1.0:
        reader.problem(f"{path}.threshold", f"expected a share in (0, 1] for a rate (0.80 for 80%); found "
                                            f"{threshold:g}" + ("; write a share (0.80, not 80)" if threshold > 1 else ""))
    if not is_share and threshold < 0:
        reader.problem(f"{path}.threshold", f"expected a count or value of at least 0; found {threshold:g}")
    return threshold


def _target(entry: Any, path: str, reader: SpecReader, seen: set[str]) -> RegisterTarget | None:
    if not isinstance(entry, Mapping):
        reader.problem(path, f"expected a mapping (one target), found {describe(entry)}")
        return None
    reader.mapping(entry, path, (), _TARGET_KEYS, partial=True)
    target_id = reader.string(entry.get("id"), f"{path}.id", identifier=True)
    if target_id in seen:
        reader.problem(f"{path}.id", f"the id '{target_id}' is used twice; ids are unique")
    elif target_id is not None:
        seen.add(target_id)
    text = reader.text(entry.get("text"), f"{path}.text", english=False)
    responsible = reader.text(entry.get("responsible"), f"{path}.responsible", english=False)
    source = _source(entry.get("source"), f"{path}.source", reader)
    threshold = _threshold(entry, source, path, reader)
    exact = source is None or source.kind == "administrative"
    comparison = reader.choice(entry.get("comparison"), f"{path}.comparison",
                               tuple(_EXACT_COMPARISONS) if exact else _SAMPLE_COMPARISONS, ">=")
    rule = entry.get("rule", "ci_lower_bound")
    if rule not in VERDICT_RULES:
        reader.problem(f"{path}.rule", f"expected a verdict rule of surveys.indicators.targets {sorted(VERDICT_RULES)}; "
                                       f"found {describe(rule)}")
    threshold_source = reader.choice(entry.get("threshold_source"), f"{path}.threshold_source", THRESHOLD_SOURCES,
                                     "plan")
    note = reader.text(entry["note"], f"{path}.note", english=False) if "note" in entry else None
    short = reader.text(entry["short"], f"{path}.short", english=False) if "short" in entry else None
    if short is not None and len(short.zh) > SHORT_NAME_LIMIT:
        reader.problem(f"{path}.short.zh", f"a short name has at most {SHORT_NAME_LIMIT} characters (charts and the "
                                           f"overview print it on one line); found {len(short.zh)}: {short.zh!r}")
    if text is None or responsible is None or source is None or threshold is None or target_id is None:
        return None
    return RegisterTarget(id=target_id, text=text, responsible=responsible, source=source, threshold=threshold,
                          comparison=str(comparison), rule=str(rule), section=str(entry.get("section", "")),
                          threshold_source=str(threshold_source), note=note, short=short)


def parse_register(document: Any, *, path: pathlib.Path | None = None,
                   questionnaires: Mapping[str, Any] | None = None) -> TargetsRegister:
    """Check a parsed register document (see :func:`load_register`)."""
    reader = SpecReader(path, what="targets register", error=TargetError,
                        schema="analysis/README.md, 'Targets register'")
    if not isinstance(document, Mapping):
        raise TargetError(f"{path or 'the register'}: expected a YAML mapping with a 'targets' list; found "
                          f"{describe(document)}")
    reader.mapping(document, "", (), _TOP_KEYS, partial=True)
    plan = reader.text(document.get("plan"), "plan", english=False)
    raw_targets = document.get("targets")
    targets: list[RegisterTarget] = []
    if not isinstance(raw_targets, list) or not raw_targets:
        reader.problem("targets", f"expected a non-empty list of targets, found {describe(raw_targets)}")
    else:
        seen: set[str] = set()
        for index, entry in enumerate(raw_targets):
            target = _target(entry, f"targets[{index}]", reader, seen)
            if target is not None:
                targets.append(target)
    if questionnaires is not None:
        for index, target in enumerate(targets):
            _check_measure(target, questionnaires, f"targets[{index}].source", reader)
    reader.fail()
    return TargetsRegister(path=path, study=str(document.get("study", "")), plan=plan,
                           period=str(document.get("period", "")),
                           demo_data=reader.boolean(document.get("demo_data"), "demo_data", False),
                           targets=tuple(targets))


def _check_measure(target: RegisterTarget, questionnaires: Mapping[str, Any], path: str, reader: SpecReader) -> None:
    source = target.source
    if source.kind == "administrative":
        return
    questionnaire = questionnaires.get(source.questionnaire)
    if questionnaire is None:
        reader.problem(f"{path}.questionnaire",
                       f"no questionnaire '{source.questionnaire}'; known: {sorted(questionnaires)}")
    elif not any(m.id == source.measure for m in questionnaire.measures):
        reader.problem(f"{path}.measure", f"questionnaire '{source.questionnaire}' has no measure '{source.measure}'; "
                                          f"its measures are {[m.id for m in questionnaire.measures]}")
    else:
        own = questionnaire.measure(source.measure).target
        if own is not None and (own.threshold, own.comparison) != (target.threshold, target.comparison):
            reader.problem(path.rsplit(".", 1)[0] + ".threshold",
                           f"{target.comparison} {target.threshold:g} differs from the target {own.comparison} "
                           f"{own.threshold:g} of {source.questionnaire}/{source.measure} in its questionnaire; "
                           "make the two agree")


def load_register(path: str | pathlib.Path, *, questionnaires: Mapping[str, Any] | None = None) -> TargetsRegister:
    """Read and check ``targets.yaml``; with ``questionnaires`` (id → Questionnaire) the survey and census
    sources are checked to name known measures. Every problem is reported at once in one TargetError."""
    path = pathlib.Path(path)
    document = read_yaml(path, error=TargetError, what="targets register",
                         missing="no such targets register; create it (schema: analysis/README.md)")
    return parse_register(document, path=path, questionnaires=questionnaires)


# ----------------------------------------------------------------------------------------------------------
# the scoreboard
@dataclass(frozen=True)
class ScoreboardRow:
    """One target on the scoreboard. ``interval_kind``: ``confidence_interval`` (survey),
    ``nonresponse_bounds`` (census) or ``exact`` (administrative: no interval)."""

    target_id: str
    section: str
    text: Text
    responsible: Text
    source_kind: str
    source: str
    value: float
    ci_low: float
    ci_high: float
    interval_kind: str
    threshold: float
    comparison: str
    rule: str
    verdict: str
    target_met: bool | None
    respondents: int | None = None
    numerator: float | None = None
    denominator: float | None = None
    evidence: str = ""
    demo_data: bool = False
    threshold_source: str = "plan"
    note: str = ""
    check: TargetCheck | None = field(default=None, repr=False)
    # what a reader must see beside the verdict (surveys.indicators.robustness.verdict_notes), and what it depends on
    warnings: tuple[Any, ...] = ()
    robustness: Text | None = None
    short: Text | None = None  # the short name (RegisterTarget.short_name)
    unit: Text = Text("", "")  # an administrative count or value's unit (次, 人, % of GDP growth …); shares: ""

    @property
    def verdict_label(self) -> Text:
        if self.interval_kind == "exact":  # no interval: "with statistical confidence" does not apply
            return _EXACT_VERDICT_LABELS[self.verdict]
        labels = (CENSUS_VERDICT_LABELS if self.interval_kind == "nonresponse_bounds" else VERDICT_LABELS).get(self.verdict)
        return Text(labels["zh"], labels["en"]) if labels else _NO_DATA_LABEL

    def to_dict(self) -> dict[str, Any]:
        label = self.verdict_label
        return {
            "target_id": self.target_id, "section": self.section, "text_zh": self.text.zh, "text_en": self.text.en,
            "short_zh": (self.short or short_name(self.text)).zh, "short_en": (self.short or short_name(self.text)).en,
            "unit_zh": self.unit.zh, "unit_en": self.unit.en,
            "responsible_zh": self.responsible.zh, "responsible_en": self.responsible.en,
            "source_kind": self.source_kind, "source": self.source, "value": self.value, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "interval_kind": self.interval_kind, "threshold": self.threshold,
            "comparison": self.comparison, "rule": self.rule, "verdict": self.verdict, "verdict_zh": label.zh,
            "verdict_en": label.en, "target_met": self.target_met, "respondents": self.respondents,
            "numerator": self.numerator, "denominator": self.denominator, "evidence": self.evidence,
            "demo_data": self.demo_data, "threshold_source": self.threshold_source, "note": self.note,
            "warning_codes": ";".join(w.code for w in self.warnings),
            "warnings_zh": "；".join(w.text.zh for w in self.warnings),
            "warnings_en": "; ".join(w.text.en for w in self.warnings),
            "robustness_zh": self.robustness.zh if self.robustness else "",
            "robustness_en": self.robustness.en if self.robustness else "",
        }


@dataclass(frozen=True)
class Scoreboard:
    """Every target of a register with its value, interval or bounds, verdict and responsible unit."""

    rows: tuple[ScoreboardRow, ...]
    period: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, target_id: str) -> ScoreboardRow:
        for row in self.rows:
            if row.target_id == target_id:
                return row
        raise TargetError(f"the scoreboard has no target '{target_id}'")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records([row.to_dict() for row in self.rows])

    def summary(self) -> Text:
        """The count line a reader can reconcile with the rows (:func:`scoreboard_summary`)."""
        return scoreboard_summary([row.verdict for row in self.rows], [row.target_met for row in self.rows],
                                  [row.rule for row in self.rows])

    def to_text(self, lang: str = "zh") -> str:
        """A plain-text scoreboard, one line per target: value, interval or bounds, target, verdict, unit."""
        lines = []
        for row in self.rows:
            share = row.source_kind != "administrative" or (row.denominator is not None)
            shown = _format(row.value, share)
            if row.interval_kind in ("confidence_interval", "nonresponse_bounds"):
                shown += f" [{_format(row.ci_low, share)}, {_format(row.ci_high, share)}]"
            elif row.interval_kind == "exact":
                shown += " (" + ("精确" if lang == "zh" else "exact") + ")"
            target = f"{row.comparison} {_format(row.threshold, share)}"
            lines.append(f"{row.target_id:<40} {shown:<28} {target:<10} {row.verdict_label.get(lang):<14} "
                         f"{row.responsible.get(lang)}")
        return "\n".join(lines)


def scoreboard_summary(verdicts: Sequence[str], target_met: Sequence[bool | None], rules: Sequence[str]) -> Text:
    """The count line of a scoreboard: how many rows read each verdict, how many count as met under their rules,
    and which rows a rule counts differently from what their words suggest (e.g. "达标但在误差范围内" counted as not
    met under the lower-bound rule), so a reader can reconcile the line with the rows."""
    rows = list(zip(verdicts, target_met, rules))
    counts = {verdict: sum(v == verdict for v, _, _ in rows) for verdict in _SUMMARY_WORDS}
    shown = [(verdict, count) for verdict, count in counts.items() if count]
    met = sum(m is True for _, m, _ in rows)
    total = len(rows)
    zh = f"{total} 项指标：" + "，".join(f"{_SUMMARY_WORDS[v].zh} {c} 项" for v, c in shown)
    en = f"{total} targets: " + ", ".join(f"{c} {_SUMMARY_WORDS[v].en}" for v, c in shown)
    zh += f"。按各自判定规则计：达标 {met} 项，未达标 {total - met} 项"
    en += f". Under their rules: {met} met, {total - met} not met"
    explained = []
    for verdict, word in _SUMMARY_WORDS.items():
        if verdict in ("not_met", NO_DATA):
            continue
        suggests_met = verdict in ("met", "met_within_margin")
        against = [(m, rule) for v, m, rule in rows if v == verdict and (m is True) != suggests_met]
        if not against:
            continue
        counted_met = bool(against[0][0])
        rule_names = sorted({rule for _, rule in against})
        explained.append(Text(
            f"“{word.zh}”的 {len(against)} 项按规则（{'、'.join(_RULE_WORDS[r].zh for r in rule_names)}）计为"
            f"{'达标' if counted_met else '未达标'}",
            f"{len(against)} '{word.en}' counted as {'met' if counted_met else 'not met'} under the rule "
            f"({', '.join(_RULE_WORDS[r].en for r in rule_names)})"))
    if counts.get(NO_DATA):
        explained.append(Text(f"无数据的 {counts[NO_DATA]} 项计为未达标",
                              f"{counts[NO_DATA]} without data counted as not met"))
    if explained:
        zh += "（" + "；".join(t.zh for t in explained) + "）"
        en += " (" + "; ".join(t.en for t in explained) + ")"
    return Text(zh + "。", en + ".")


def _format(value: float, share: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.1f}%" if share else f"{value:g}"


_INTERVAL_NOTES = {
    "confidence_interval": Text("抽样调查：置信区间", "sample survey: confidence interval"),
    "nonresponse_bounds": Text("普查（征询意见表）：无抽样误差，区间为未回收表的上下界",
                               "census of forms: no sampling error; the interval is the non-response bounds"),
    "exact": Text("行政记录：精确数字，无抽样误差、无区间", "administrative record: exact figure, no sampling error, no interval"),
}


def _survey_estimate(results: Mapping[str, Any], source: RegisterSource) -> Estimate | None:
    found = results.get(source.questionnaire)
    if found is None:
        return None
    if isinstance(found, MeasureTable):
        try:
            return found.estimate(source.measure)
        except SurveyError:
            return None
    return found.get(source.measure) if isinstance(found, Mapping) else None


def _base_row(target: RegisterTarget, register: TargetsRegister, **values: Any) -> ScoreboardRow:
    source = target.source
    note = _INTERVAL_NOTES.get(values.get("interval_kind", ""), Text("", ""))
    extra = f"；{target.note.zh}" if target.note else ""
    share = source.kind in ("survey", "census") or source.type == "rate"
    defaults = dict(target_id=target.id, section=target.section, text=target.text, short=target.short_name,
                    unit=Text("", "") if share else figure_unit(source.figure.label if source.figure else None),
                    responsible=target.responsible,
                    source_kind=source.kind, source=source.describe(), value=math.nan, ci_low=math.nan,
                    ci_high=math.nan, interval_kind="", threshold=target.threshold, comparison=target.comparison,
                    rule=target.rule, verdict=NO_DATA, target_met=None,
                    evidence=" ".join(p for p in (source.evidence_document, source.evidence_date) if p),
                    demo_data=register.demo_data or source.demo, threshold_source=target.threshold_source,
                    note=note.zh + extra)
    defaults.update(values)
    if defaults["verdict"] == NO_DATA:
        defaults["note"] = "尚无数值（未提供结果或行政数字）" + extra
    return ScoreboardRow(**defaults)


def _from_check(target: RegisterTarget, register: TargetsRegister, check: TargetCheck, kind: str) -> ScoreboardRow:
    return _base_row(target, register, value=check.estimate, ci_low=check.ci_low, ci_high=check.ci_high,
                     interval_kind=kind, verdict=check.verdict, target_met=check.target_met,
                     respondents=check.respondents, check=check)


def _administrative(target: RegisterTarget, register: TargetsRegister, override: Any) -> ScoreboardRow:
    source = target.source
    numerator = source.numerator.value if source.numerator else None
    denominator = source.denominator.value if source.denominator else None
    figure = source.figure.value if source.figure else None
    if override is not None:
        if source.type == "rate":
            if not isinstance(override, Mapping) or not {"numerator", "denominator"} <= set(override):
                raise TargetError(f"administrative value for '{target.id}' (a rate): expected "
                                  f"{{'numerator': …, 'denominator': …}}; found {override!r}")
            numerator, denominator = float(override["numerator"]), float(override["denominator"])
        else:
            figure = float(override["value"] if isinstance(override, Mapping) else override)
    if source.type == "rate":
        if numerator is None or denominator is None:
            return _base_row(target, register, numerator=numerator, denominator=denominator)
        if denominator <= 0 or numerator > denominator or numerator < 0:
            raise TargetError(f"administrative rate of '{target.id}': expected 0 ≤ numerator ≤ denominator and a "
                              f"positive denominator; found {numerator:g} / {denominator:g}")
        value = numerator / denominator
    elif figure is None:
        return _base_row(target, register)
    else:
        value = figure
    met = _EXACT_COMPARISONS[target.comparison](value, target.threshold)
    return _base_row(target, register, value=value, interval_kind="exact", verdict="met" if met else "not_met",
                     target_met=met, numerator=numerator, denominator=denominator)


def evaluate_register(register: TargetsRegister, survey_results: Mapping[str, Any] | None = None,
                      census_results: Mapping[str, Any] | None = None,
                      administrative_values: Mapping[str, Any] | None = None, *,
                      level: float | None = None) -> Scoreboard:
    """The scoreboard of ``register``.

    ``survey_results``: questionnaire id → a :class:`~surveys.indicators.measures.MeasureTable` (its overall row on the
    measure's verdict base is used) or a mapping measure id → :class:`~surveys.estimation.results.Estimate`.
    ``census_results``: questionnaire id → a :class:`~surveys.indicators.census.ProposalCensus`.
    ``administrative_values``: target id → a number (count / value) or ``{numerator, denominator}`` (rate),
    replacing the figures written in the register. A target without a value gets the verdict ``no_data``.
    """
    survey_results = survey_results or {}
    census_results = census_results or {}
    administrative_values = administrative_values or {}
    unknown = sorted(set(administrative_values) - {t.id for t in register.targets})
    if unknown:
        raise TargetError(f"administrative values given for targets not in the register: {unknown}")
    rows = []
    for target in register.targets:
        source = target.source
        if source.kind == "survey":
            estimate = _survey_estimate(survey_results, source)
            rows.append(_base_row(target, register) if estimate is None else _from_check(
                target, register, check_target(estimate, target.threshold, level=level, rule=target.rule,
                                               comparison=target.comparison, label=target.id),
                "confidence_interval"))
        elif source.kind == "census":
            census = census_results.get(source.questionnaire)
            rows.append(_base_row(target, register) if census is None else _from_check(
                target, register, census_check(census.find(source.measure), target.threshold,
                                               comparison=target.comparison, rule=target.rule, label=target.id),
                "nonresponse_bounds"))
        else:
            rows.append(_administrative(target, register, administrative_values.get(target.id)))
    return Scoreboard(rows=tuple(rows), period=register.period)
