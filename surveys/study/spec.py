"""The study spec (``analysis/<study>/study.yaml``): what to read, how to weight it, what to estimate and judge.

:func:`load_study` reads and checks a spec and returns a frozen :class:`Study`; :func:`surveys.study.pipeline.run_study`
runs it. The format is documented in ``analysis/README.md`` (section "Study spec"). In short::

    study:          {id, title: {zh, en}}
    wave:           the survey round (a label such as "2026"); inputs inherit it
    data:           folder the inputs and margin files are relative to (default: the spec's folder);
                    ``load_study(path, data_dir=...)`` / ``surveys run --data DIR`` override it
    questionnaires: [{id, version, file}]   file relative to the spec, else a bundled questionnaire
    inputs:         [{file, questionnaire, platform, mode, wave, variant, encoding, sheet, pair, copy_of, columns}]
                    ``file`` may be a glob pattern (platform downloads carry counts and dates in their
                    names); it must match exactly one file
    validation:     rules for :mod:`surveys.validate` (``ValidationRules.from_mapping``)
    margins:        [{file, population, variables, rows: {variable: [codes]}, questionnaires: [ids], total,
                      blank: error | skip}]
    weighting:      {method: rake | none, base_weight: population | equal, max_iterations, tolerance,
                     on_nonconvergence: raise | warn, min_category_respondents, collapse: {variable: {code: code}},
                     bounds: [lower, upper], trim: {lower, upper, strict}}
    measures:       [{questionnaire, measure, threshold, comparison, rule, census, threshold_source: plan | study}]
    domains:        [district, mode, ...]   domains of the measure tables
    design:         {strata: [mode, population], clusters: office, description: {zh, en}}  how the sample
                    was drawn (default: no strata, every respondent their own unit); ``population`` is the
                    margins population a respondent belongs to
    estimation:     {ci_method: logit, level: 0.95}
    robustness:     {trim: [0.2, 5.0]}   the alternatives every survey verdict is recomputed under (weights
                    trimmed to these multiples of the mean weight)
    analysis:       {groups: true, drivers: true, reliability: true}   what to improve, for every survey target:
                    group comparisons, drivers and the importance–performance map, scale reliability (default: all)
    targets:        targets register (relative to the spec), see "Targets register" in analysis/README.md
    report:         {lang: zh | en}

The spec is read and checked the way every spec is (:mod:`surveys.spec_file`: a key repeated in one mapping is an
error); every problem is collected and raised together as one :class:`~surveys.errors.StudyError` naming the
file and each key path, what was expected, what was found and what to do. Each section's keys are one tuple
below (``_TOP_KEYS``, ``_INPUT_KEYS``, ...): adding a key is adding it there and reading it in its section.
"""
from __future__ import annotations

import glob
import pathlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from surveys.columns import category_code
from surveys.errors import QuestionnaireError, StudyError
from surveys.estimation.ci import CI_METHODS
from surveys.indicators.targets import VERDICT_RULES
from surveys.questionnaire import Questionnaire, Text, load_questionnaire
from surveys.resources import questionnaire_dir
from surveys.spec_file import SpecReader, describe, read_yaml
from surveys.validate import ValidationRules

__all__ = [
    "Study",
    "StudyInput",
    "StudyMargins",
    "StudyMeasure",
    "WeightingSpec",
    "TrimSpec",
    "EstimationSpec",
    "SampleDesignSpec",
    "RobustnessSpec",
    "AnalysisSpec",
    "POPULATION_COLUMN",
    "load_study",
    "WEIGHTING_METHODS",
    "BASE_WEIGHTS",
]

# Raking on one variable is post-stratification, so "rake" covers both; "none" keeps the base weights.
WEIGHTING_METHODS = ("rake", "none")
# ``population``: a population's respondents start at N_p / n_p; ``equal``: everyone starts at 1. Raking gives the
# same final weights from both (see surveys.study.pipeline); they differ in what the diagnostics say.
BASE_WEIGHTS = ("population", "equal")
_PLATFORMS = ("wjx", "tencent", "paper", "jinshuju", "qualtrics", "spss", "generic")
_MODES = ("online", "paper")
_LANGS = ("zh", "en")
_COMPARISONS = (">=", ">")

_TOP_KEYS = ("study", "wave", "data", "questionnaires", "inputs", "validation", "margins", "weighting",
             "measures", "domains", "estimation", "targets", "report", "design", "robustness", "analysis")
_DESIGN_KEYS = ("strata", "clusters", "description")
_ROBUSTNESS_KEYS = ("trim",)
_ANALYSIS_KEYS = ("groups", "drivers", "reliability")
# The column the weighting stage gives every respondent: the name of the margins population they belong to.
POPULATION_COLUMN = "population"
# each section's keys: the required ones first
_QUESTIONNAIRE_KEYS = ("id", "version", "file")
_INPUT_KEYS = ("file", "questionnaire", "platform", "mode", "wave", "variant", "encoding", "sheet", "pair",
               "copy_of", "columns")
_MARGIN_KEYS = ("file", "population", "label", "variables", "rows", "questionnaires", "total", "blank")
_WEIGHTING_KEYS = ("method", "base_weight", "max_iterations", "tolerance", "on_nonconvergence",
                   "min_category_respondents", "collapse", "bounds", "trim")
_TRIM_KEYS = ("lower", "upper", "strict")
_MEASURE_KEYS = ("questionnaire", "measure", "threshold", "comparison", "rule", "census", "threshold_source")
_THRESHOLD_SOURCES = ("plan", "study")
_BLANK = ("error", "skip")
_ESTIMATION_KEYS = ("ci_method", "level")
_DEFAULT_DOMAINS = ("district", "mode", "respondent_type", "sex", "age_group")


@dataclass(frozen=True)
class StudyInput:
    """One export file. ``path`` is resolved; ``file`` is the text of the spec (a glob pattern is allowed)."""

    file: str
    path: pathlib.Path
    questionnaire: str
    platform: str
    mode: str
    wave: str
    variant: str = ""
    encoding: str | None = None
    sheet: str | None = None
    pair: pathlib.Path | None = None
    copy_of: pathlib.Path | None = None
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyMargins:
    """A population margin file and the respondents it weights.

    ``variables``: the margin tables to weight to (None: every table of the file whose columns the data
    have). ``rows``: variable → codes selecting the respondents this population describes (e.g. the
    respondent-type codes of residents); a questionnaire without that variable has all its rows in it.
    ``questionnaires``: the questionnaires it applies to (None: every survey questionnaire).
    """

    path: pathlib.Path
    population: str
    variables: tuple[str, ...] | None = None
    rows: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    questionnaires: tuple[str, ...] | None = None
    label: Text | None = None  # the population in words, for reports (default: its name)
    # the population's size, for files giving every margin as shares (None: taken from a table of counts)
    total: float | None = None
    # "skip": tables left blank (an unfilled template) are not weighted to, "error": they are a problem
    blank: str = "error"

    def applies_to(self, questionnaire_id: str) -> bool:
        return self.questionnaires is None or questionnaire_id in self.questionnaires

    def shown(self, lang: str = "zh") -> str:
        """The population as a report prints it: its label, else its name (else the file's stem)."""
        return self.label.get(lang) if self.label is not None else (self.population or self.path.stem)


@dataclass(frozen=True)
class WeightingSpec:
    method: str = "rake"
    base_weight: str = "population"
    max_iterations: int = 100
    tolerance: float = 1e-8
    on_nonconvergence: str = "raise"
    # margin categories with fewer respondents are merged with a neighbour before raking (empty ones always)
    min_category_respondents: int = 0
    # variable → {category: the category it is merged into}, before the sparse-category merging
    collapse: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # (lower, upper) bounds on the adjustment factors g = raked / base weight: bounded raking (calibration with
    # the raking distance, R calibrate(calfun="raking", bounds=)); None: plain raking
    bounds: tuple[float, float] | None = None
    # trimming after raking, in multiples of the mean weight: {lower, upper, strict} (R trimWeights)
    trim: "TrimSpec | None" = None


@dataclass(frozen=True)
class TrimSpec:
    """Weights trimmed to [lower, upper] × the mean weight after raking (``strict``: repeat until none is out)."""

    lower: float | None = None
    upper: float | None = None
    strict: bool = False


@dataclass(frozen=True)
class StudyMeasure:
    """An indicator to judge: a questionnaire's measure with its target (from the spec or the questionnaire)."""

    questionnaire: str
    measure: str
    threshold: float | None
    comparison: str = ">="
    rule: str = "ci_lower_bound"
    census: bool = False
    # "plan": the threshold is the plan's own number; "study": the plan gives none and the study chose it
    threshold_source: str = "plan"


@dataclass(frozen=True)
class EstimationSpec:
    ci_method: str = "logit"
    level: float = 0.95
    domains: tuple[str, ...] = _DEFAULT_DOMAINS


@dataclass(frozen=True)
class SampleDesignSpec:
    """How the sample was drawn, as the variance needs it: ``strata`` (columns whose combinations were sampled
    independently with fixed sizes, e.g. survey mode × population) and ``clusters`` (the column naming the unit
    respondents were collected in, e.g. the community office that handed out the paper forms). Empty: one
    stratum, every respondent their own unit (the with-replacement variance of a weighted sample)."""

    strata: tuple[str, ...] = ()
    clusters: str | None = None
    description: Text | None = None

    @property
    def declared(self) -> bool:
        return bool(self.strata or self.clusters)


@dataclass(frozen=True)
class RobustnessSpec:
    """The alternatives each survey verdict is recomputed under: ``trim`` = (lower, upper) multiples of the
    mean weight the trimmed-weights alternative holds the weights to."""

    trim: tuple[float, float] = (0.2, 5.0)


@dataclass(frozen=True)
class AnalysisSpec:
    """Which analyses of "what to improve" run for every survey target (:mod:`surveys.study.analyses`): ``groups``
    (the headline by district, mode, respondent type, sex and age group, with tests), ``drivers`` (importance and
    performance of the topic items, the 四分图) and ``reliability`` (Cronbach's α of the multi-item scales)."""

    groups: bool = True
    drivers: bool = True
    reliability: bool = True


@dataclass(frozen=True)
class Study:
    """A checked study spec; paths are absolute. ``questionnaires`` maps id → loaded :class:`Questionnaire`."""

    path: pathlib.Path
    id: str
    title: Text
    wave: str
    data_dir: pathlib.Path
    questionnaires: Mapping[str, Questionnaire]
    inputs: tuple[StudyInput, ...]
    margins: tuple[StudyMargins, ...]
    weighting: WeightingSpec
    measures: tuple[StudyMeasure, ...]
    estimation: EstimationSpec
    validation: Mapping[str, Any] = field(default_factory=dict)
    targets: pathlib.Path | None = None
    lang: str = "zh"
    design: SampleDesignSpec = SampleDesignSpec()
    robustness: RobustnessSpec = RobustnessSpec()
    analysis: AnalysisSpec = AnalysisSpec()

    def population_names(self, lang: str = "zh") -> dict[str, str]:
        """Population key (as the weighting stage names it) → the population in words (``margins[].label``)."""
        return {entry.population or entry.path.stem: entry.shown(lang) for entry in self.margins}

    def inputs_for(self, questionnaire_id: str) -> tuple[StudyInput, ...]:
        return tuple(entry for entry in self.inputs if entry.questionnaire == questionnaire_id)

    @property
    def survey_questionnaires(self) -> tuple[str, ...]:
        """Questionnaires estimated from a weighted sample (every one not judged as a census)."""
        census = {m.questionnaire for m in self.measures if m.census}
        return tuple(q for q in self.questionnaires if q not in census)

    @property
    def census_questionnaires(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.questionnaire for m in self.measures if m.census))


# ------------------------------------------------------------------------------------------ reading helpers

def _text(reader: SpecReader, value: Any, key: str) -> Text | None:
    """A text ``{zh, en}`` (the English may be left out: the Chinese stands in), or one text for both languages."""
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    text = reader.text(value, key, english=False)
    return None if text is None else Text(text.zh, text.en or text.zh)


def _resolve_file(reader: SpecReader, base: pathlib.Path, text: str, key: str) -> pathlib.Path | None:
    """``text`` relative to ``base``; a glob pattern must match exactly one file."""
    candidate = pathlib.Path(text).expanduser()
    full = candidate if candidate.is_absolute() else base / candidate
    if glob.has_magic(text):
        matches = sorted(pathlib.Path(p) for p in glob.glob(str(full)))
        if len(matches) != 1:
            found = "no file" if not matches else f"{len(matches)} files ({', '.join(m.name for m in matches[:4])})"
            reader.problem(key, f"expected the pattern {text!r} to match exactly one file in {base}, found {found}; "
                                "make the pattern more specific or check the folder")
            return None
        return matches[0].resolve()
    if not full.is_file():
        reader.problem(key, f"file {text!r} not found in {base}; expected an existing file; check the path "
                            "(inputs and margins are relative to the data folder, the rest to the spec)")
        return None
    return full.resolve()


# ------------------------------------------------------------------------------------------ sections

def _questionnaires(reader: SpecReader, document: Mapping, spec_dir: pathlib.Path) -> dict[str, Questionnaire]:
    entries = document.get("questionnaires")
    if not isinstance(entries, list) or not entries:
        reader.problem("questionnaires", f"expected a list of {{id, version, file}}, found {describe(entries)}")
        return {}
    loaded: dict[str, Questionnaire] = {}
    for index, entry in enumerate(entries):
        key = f"questionnaires[{index}]"
        entry = reader.mapping(entry, key, ("id",), _QUESTIONNAIRE_KEYS, partial=True)
        q_id = None if entry is None else reader.string(entry["id"], f"{key}.id", numbers=True)
        if entry is None or q_id is None:
            continue
        file_text = reader.string(entry.get("file"), f"{key}.file", f"{q_id}.yaml")
        local = spec_dir / file_text
        path = local if local.is_file() else questionnaire_dir() / file_text
        if not path.is_file():
            reader.problem(f"{key}.file", f"{file_text!r} found neither beside the spec ({spec_dir}) nor among "
                                          f"the bundled questionnaires ({questionnaire_dir()}); check the name")
            continue
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            reader.problem(f"{key}.file", f"the questionnaire does not load: {error}")
            continue
        if questionnaire.id != q_id:
            reader.problem(f"{key}.id", f"expected the id of {path.name}, {questionnaire.id!r}; found {q_id!r}")
        version = entry.get("version")
        if version is not None and str(version) != questionnaire.version:
            reader.problem(f"{key}.version", f"expected version {questionnaire.version!r} (the one in {path.name}), "
                                             f"found {str(version)!r}; update the spec or use the matching file")
        if q_id in loaded:
            reader.problem(f"{key}.id", f"questionnaire {q_id!r} is listed twice; keep one entry")
        loaded[q_id] = questionnaire
    return loaded


def _known_questionnaire(reader: SpecReader, value: Any, key: str, questionnaires: Mapping[str, Any]) -> str | None:
    q_id = reader.string(value, key, None, numbers=True)
    if q_id is not None and questionnaires and q_id not in questionnaires:
        reader.problem(key, f"expected one of the spec's questionnaires {sorted(questionnaires)}, found {q_id!r}; "
                            "add it under questionnaires or fix the id")
        return None
    return q_id


def _inputs(reader: SpecReader, document: Mapping, data_dir: pathlib.Path, wave: str,
            questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyInput, ...]:
    entries = document.get("inputs")
    if not isinstance(entries, list) or not entries:
        reader.problem("inputs", f"expected a list of export files, found {describe(entries)}; list the exports")
        return ()
    raw: list[tuple[str, dict]] = []
    for index, entry in enumerate(entries):
        key = f"inputs[{index}]"
        entry = reader.mapping(entry, key, ("file", "questionnaire", "platform"), _INPUT_KEYS, partial=True)
        if entry is not None:
            raw.append((key, entry))
    resolved = {key: _resolve_file(reader, data_dir, str(entry["file"]), f"{key}.file")
                for key, entry in raw if entry.get("file")}
    by_text = {str(entry.get("file")): resolved.get(key) for key, entry in raw}

    def reference(value: Any, key: str) -> pathlib.Path | None:
        if value in (None, ""):
            return None
        if str(value) in by_text:
            return by_text[str(value)]
        reader.problem(key, f"expected the file of another input, found {str(value)!r}; use that input's file text")
        return None

    inputs = []
    for key, entry in raw:
        q_id = _known_questionnaire(reader, entry.get("questionnaire"), f"{key}.questionnaire", questionnaires)
        platform = reader.choice(entry.get("platform"), f"{key}.platform", _PLATFORMS)
        default_mode = "paper" if platform == "paper" else "online"
        mode = reader.choice(entry.get("mode"), f"{key}.mode", _MODES, default_mode)
        path = resolved.get(key)
        if q_id is None or platform is None or path is None:
            continue
        inputs.append(StudyInput(
            file=str(entry["file"]), path=path, questionnaire=q_id, platform=platform, mode=mode or default_mode,
            wave=reader.string(entry.get("wave"), f"{key}.wave", wave, numbers=True) or wave,
            variant=reader.string(entry.get("variant"), f"{key}.variant", "", numbers=True) or "",
            encoding=reader.string(entry.get("encoding"), f"{key}.encoding", None),
            sheet=reader.string(entry.get("sheet"), f"{key}.sheet", None, numbers=True),
            pair=reference(entry.get("pair"), f"{key}.pair"),
            copy_of=reference(entry.get("copy_of"), f"{key}.copy_of"),
            columns=MappingProxyType(_columns(reader, entry.get("columns"), f"{key}.columns")),
        ))
    seen: dict[pathlib.Path, str] = {}
    for entry in inputs:
        if entry.path in seen:
            reader.problem("inputs", f"{entry.path.name} is listed twice ({seen[entry.path]!r} and {entry.file!r}); "
                                     "list each export once")
        seen[entry.path] = entry.file
    return tuple(inputs)


def _columns(reader: SpecReader, value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, (str, int)) for v in value.values()):
        reader.problem(key, f"expected a mapping item id → the file's column header, found {describe(value)}")
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _rows(reader: SpecReader, value: Any, key: str) -> dict[str, tuple[int, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        reader.problem(key, f"expected a mapping variable → list of codes, found {describe(value)}")
        return {}
    rows = {}
    for variable, codes in value.items():
        codes = codes if isinstance(codes, list) else [codes]
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
            reader.problem(f"{key}.{variable}", f"expected a list of whole-number codes, found {describe(codes)}")
            continue
        rows[str(variable)] = tuple(codes)
    return rows


def _margins(reader: SpecReader, document: Mapping, data_dir: pathlib.Path,
             questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyMargins, ...]:
    entries = document.get("margins") or []
    if not isinstance(entries, list):
        reader.problem("margins", f"expected a list of margin files, found {describe(entries)}")
        return ()
    margins = []
    for index, entry in enumerate(entries):
        key = f"margins[{index}]"
        entry = reader.mapping(entry, key, ("file",), _MARGIN_KEYS, partial=True)
        if entry is None or not entry.get("file"):
            continue
        path = _resolve_file(reader, data_dir, str(entry["file"]), f"{key}.file")
        applies = reader.names(entry.get("questionnaires"), f"{key}.questionnaires")
        for q_id in applies or ():
            _known_questionnaire(reader, q_id, f"{key}.questionnaires", questionnaires)
        if path is None:
            continue
        label = None if entry.get("label") is None else _text(reader, entry["label"], f"{key}.label")
        total = entry.get("total")
        if total is not None and (isinstance(total, bool) or not isinstance(total, (int, float)) or total <= 0):
            reader.problem(f"{key}.total", f"expected the population's size (a number > 0), found {describe(total)}")
            total = None
        margins.append(StudyMargins(
            label=label,
            path=path, population=reader.string(entry.get("population"), f"{key}.population", "", numbers=True) or "",
            variables=reader.names(entry.get("variables"), f"{key}.variables"),
            rows=MappingProxyType(_rows(reader, entry.get("rows"), f"{key}.rows")), questionnaires=applies,
            total=None if total is None else float(total),
            blank=reader.choice(entry.get("blank"), f"{key}.blank", _BLANK, "error") or "error",
        ))
    return tuple(margins)


def _weighting(reader: SpecReader, document: Mapping) -> WeightingSpec:
    value = document.get("weighting")
    if value is None:
        return WeightingSpec()
    entry = reader.mapping(value, "weighting", (), _WEIGHTING_KEYS, partial=True)
    if entry is None:
        return WeightingSpec()
    default = WeightingSpec()
    iterations = reader.integer(entry.get("max_iterations"), "weighting.max_iterations", default.max_iterations,
                                minimum=1)
    minimum = reader.integer(entry.get("min_category_respondents"), "weighting.min_category_respondents",
                             default.min_category_respondents, minimum=0)
    return WeightingSpec(
        min_category_respondents=minimum, collapse=MappingProxyType(_collapse(reader, entry.get("collapse"))),
        bounds=_bounds(reader, entry.get("bounds")), trim=_trim(reader, entry.get("trim")),
        method=reader.choice(entry.get("method"), "weighting.method", WEIGHTING_METHODS, default.method),
        base_weight=reader.choice(entry.get("base_weight"), "weighting.base_weight", BASE_WEIGHTS,
                                  default.base_weight),
        max_iterations=iterations,
        tolerance=reader.number(entry.get("tolerance"), "weighting.tolerance", default.tolerance, low=1e-15, high=0.1),
        on_nonconvergence=reader.choice(entry.get("on_nonconvergence"), "weighting.on_nonconvergence",
                                        ("raise", "warn"), default.on_nonconvergence),
    )


def _collapse(reader: SpecReader, value: Any) -> dict[str, Mapping[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(merge, Mapping) for merge in value.values()):
        reader.problem("weighting.collapse", f"expected variable → {{category: the category it joins}}, e.g. "
                                             f"{{age_group: {{6: 5}}}}; found {describe(value)}")
        return {}
    return {str(variable): MappingProxyType({category_code(old): category_code(new) for old, new in merge.items()})
            for variable, merge in value.items()}


def _bounds(reader: SpecReader, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                              for v in value) or not 0 <= value[0] < 1 < value[1]):
        reader.problem("weighting.bounds", f"expected [lower, upper] bounds on the raking factors with 0 ≤ lower < 1 "
                                           f"< upper, e.g. [0.3, 3]; found {describe(value)}")
        return None
    return float(value[0]), float(value[1])


def _trim(reader: SpecReader, value: Any) -> TrimSpec | None:
    if value is None:
        return None
    entry = reader.mapping(value, "weighting.trim", (), _TRIM_KEYS, partial=True)
    if entry is None:
        return None
    found = {}
    for name in ("lower", "upper"):
        number = entry.get(name)
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0):
            reader.problem(f"weighting.trim.{name}", f"expected a multiple of the mean weight (a number ≥ 0, e.g. "
                                                     f"{'0.3' if name == 'lower' else '3'}); found {describe(number)}")
            number = None
        found[name] = None if number is None else float(number)
    if found["lower"] is None and found["upper"] is None:
        reader.problem("weighting.trim", "expected lower, upper or both (multiples of the mean weight)")
        return None
    if (found["lower"] is not None and found["lower"] >= 1) or (found["upper"] is not None and found["upper"] <= 1):
        reader.problem("weighting.trim", f"expected lower < 1 < upper (multiples of the mean weight: the mean "
                                         f"weight itself must stay inside); found lower {found['lower']}, upper "
                                         f"{found['upper']}")
        return None
    strict = entry.get("strict", False)
    if not isinstance(strict, bool):
        reader.problem("weighting.trim.strict", f"expected true or false, found {describe(strict)}")
        strict = False
    return TrimSpec(found["lower"], found["upper"], strict)


def _measures(reader: SpecReader, document: Mapping,
              questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyMeasure, ...]:
    entries = document.get("measures")
    if entries is None:  # default: every questionnaire's headline measure with its own target
        return tuple(_from_questionnaire(q, q.headline.id, {}) for q in questionnaires.values())
    if not isinstance(entries, list):
        reader.problem("measures", f"expected a list of {{questionnaire, measure, ...}}, found {describe(entries)}")
        return ()
    measures = []
    for index, entry in enumerate(entries):
        key = f"measures[{index}]"
        entry = reader.mapping(entry, key, ("questionnaire",), _MEASURE_KEYS, partial=True)
        if entry is None:
            continue
        q_id = _known_questionnaire(reader, entry.get("questionnaire"), f"{key}.questionnaire", questionnaires)
        if q_id is None or q_id not in questionnaires:
            continue
        questionnaire = questionnaires[q_id]
        measure_id = reader.string(entry.get("measure"), f"{key}.measure", questionnaire.headline.id)
        if measure_id not in {m.id for m in questionnaire.measures}:
            reader.problem(f"{key}.measure", f"expected a measure of {q_id} "
                                             f"{[m.id for m in questionnaire.measures]}, found {measure_id!r}")
            continue
        measures.append(_from_questionnaire(questionnaire, measure_id, entry, reader, key))
    return tuple(measures)


def _from_questionnaire(questionnaire: Questionnaire, measure_id: str, entry: Mapping,
                        reader: SpecReader | None = None, key: str = "") -> StudyMeasure:
    """The spec's target for a measure; keys it leaves out come from the questionnaire's own target."""
    target = questionnaire.measure(measure_id).target
    threshold = entry.get("threshold", target.threshold if target else None)
    comparison = str(entry.get("comparison") or (target.comparison if target else ">="))
    rule = str(entry.get("rule") or (target.rule if target else "ci_lower_bound"))
    census = entry.get("census", False)
    threshold_source = str(entry.get("threshold_source") or "plan")
    if reader is not None:
        if threshold_source not in _THRESHOLD_SOURCES:
            reader.problem(f"{key}.threshold_source", f"expected one of {list(_THRESHOLD_SOURCES)} (the plan's own "
                                                      f"number, or one the study chose), found {threshold_source!r}")
            threshold_source = "plan"
        if threshold is not None:
            threshold = reader.number(threshold, f"{key}.threshold", 0.0, low=0.0, high=1.0)
        if comparison not in _COMPARISONS:
            reader.problem(f"{key}.comparison", f"expected one of {list(_COMPARISONS)}, found {comparison!r}")
        if rule not in VERDICT_RULES:
            reader.problem(f"{key}.rule", f"expected a verdict rule {sorted(VERDICT_RULES)}, found {rule!r}")
        if not isinstance(census, bool):
            reader.problem(f"{key}.census", f"expected true or false, found {describe(census)}")
            census = False
    return StudyMeasure(questionnaire.id, measure_id, None if threshold is None else float(threshold), comparison,
                        rule, bool(census), threshold_source)


def _validation(reader: SpecReader, value: Any) -> Mapping[str, Any]:
    """The quality rules, checked now (``ValidationRules.from_mapping``) so a typo is reported with the spec."""
    before = len(reader.problems)
    ValidationRules.from_mapping(value, reader=reader, key="validation")
    return value if len(reader.problems) == before and isinstance(value, Mapping) else {}


def _estimation(reader: SpecReader, document: Mapping) -> EstimationSpec:
    entry = reader.mapping(document.get("estimation") or {}, "estimation", (), _ESTIMATION_KEYS, partial=True) or {}
    domains = reader.names(document.get("domains"), "domains")
    method = reader.string(entry.get("ci_method"), "estimation.ci_method", "logit")
    usable = sorted(set(CI_METHODS) - {"likelihood"})
    if method == "likelihood":
        reader.problem("estimation.ci_method", "the likelihood interval cannot decide a target (a verdict inverts "
                                               f"its interval into a test, which needs the respondent data); use "
                                               f"one of {usable} (logit is R's default)")
        method = "logit"
    elif method not in CI_METHODS:
        reader.problem("estimation.ci_method", f"expected one of {usable}, found {method!r}")
        method = "logit"
    level = reader.number(entry.get("level"), "estimation.level", 0.95, low=0.5, high=0.999)
    return EstimationSpec(ci_method=method, level=level, domains=_DEFAULT_DOMAINS if domains is None else domains)


def _design(reader: SpecReader, document: Mapping) -> SampleDesignSpec:
    value = document.get("design")
    if value is None:
        return SampleDesignSpec()
    entry = reader.mapping(value, "design", (), _DESIGN_KEYS, partial=True)
    if entry is None:
        return SampleDesignSpec()
    strata = reader.names(entry.get("strata"), "design.strata") or ()
    clusters = reader.string(entry.get("clusters"), "design.clusters", None, numbers=True) or None
    description = entry.get("description")
    text = None if description is None else _text(reader, description, "design.description")
    if clusters is not None and clusters in strata:
        reader.problem("design.clusters", f"'{clusters}' is also a stratum; a column is either one or the other")
    return SampleDesignSpec(strata=strata, clusters=clusters, description=text)


def _robustness(reader: SpecReader, document: Mapping) -> RobustnessSpec:
    value = document.get("robustness")
    if value is None:
        return RobustnessSpec()
    entry = reader.mapping(value, "robustness", (), _ROBUSTNESS_KEYS, partial=True) or {}
    trim = entry.get("trim", list(RobustnessSpec().trim))
    if (not isinstance(trim, list) or len(trim) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                            for v in trim) or not 0 <= trim[0] < 1 < trim[1]):
        reader.problem("robustness.trim", f"expected [lower, upper] multiples of the mean weight with lower < 1 < "
                                          f"upper (e.g. [0.2, 5.0]), found {describe(trim)}")
        return RobustnessSpec()
    return RobustnessSpec(trim=(float(trim[0]), float(trim[1])))


def _analysis(reader: SpecReader, document: Mapping) -> AnalysisSpec:
    value = document.get("analysis")
    if value is None:
        return AnalysisSpec()
    entry = reader.mapping(value, "analysis", (), _ANALYSIS_KEYS, partial=True) or {}
    return AnalysisSpec(**{key: reader.boolean(entry.get(key), f"analysis.{key}", True) for key in _ANALYSIS_KEYS})


# ------------------------------------------------------------------------------------------ entry point

def load_study(path: str | pathlib.Path, *, data_dir: str | pathlib.Path | None = None) -> Study:
    """Read and check a study spec; every problem is raised together as one :class:`StudyError`.

    Inputs and margin files are resolved against ``data_dir`` when given, else against the spec's ``data`` key
    (relative to the spec), else against the spec's folder; questionnaires and the targets register against the
    spec's folder (questionnaires fall back to the bundled ones).
    """
    path = pathlib.Path(path).expanduser().resolve()
    document = read_yaml(path, error=StudyError, what="study spec",
                         missing="study spec not found; expected a study.yaml file; check the path")
    reader = SpecReader(path, what="study spec", error=StudyError, schema="analysis/README.md, 'Study spec'",
                        heading="{count} problem(s) in the {what}; fix them and load it again")
    if not isinstance(document, Mapping):
        raise StudyError(f"{path}: expected a mapping of sections (study, inputs, ...), found {describe(document)}")
    reader.mapping(document, "", (), _TOP_KEYS, partial=True, noun="section")
    spec_dir = path.parent
    header = reader.mapping(document.get("study") or {}, "study", ("id",), ("title",), partial=True) or {}
    study_id = reader.string(header.get("id"), "study.id", None, numbers=True)
    title = _text(reader, header.get("title"), "study.title") if header.get("title") else None
    wave = reader.string(document.get("wave"), "wave", "", numbers=True) or ""
    if data_dir is not None:
        data = pathlib.Path(data_dir).expanduser().resolve()
    else:
        data = (spec_dir / str(document.get("data") or ".")).resolve()
    if not data.is_dir():
        reader.problem("data", f"expected a folder holding the inputs, found no folder {data}; "
                               "pass --data DIR or fix the data key")
    questionnaires = _questionnaires(reader, document, spec_dir)
    inputs = _inputs(reader, document, data, wave, questionnaires) if data.is_dir() else ()
    margins = _margins(reader, document, data, questionnaires) if data.is_dir() else ()
    validation = _validation(reader, document.get("validation") or {})
    report = reader.mapping(document.get("report") or {}, "report", (), ("lang",), partial=True) or {}
    targets = None
    if document.get("targets"):
        targets = _resolve_file(reader, spec_dir, str(document["targets"]), "targets")
    study = Study(
        path=path, id=study_id or path.parent.name, title=title or Text("", ""), wave=wave,
        data_dir=data, questionnaires=MappingProxyType(questionnaires), inputs=inputs, margins=margins,
        weighting=_weighting(reader, document), measures=_measures(reader, document, questionnaires),
        estimation=_estimation(reader, document), validation=MappingProxyType(dict(validation)),
        targets=targets, lang=reader.choice(report.get("lang"), "report.lang", _LANGS, "zh") or "zh",
        design=_design(reader, document), robustness=_robustness(reader, document),
        analysis=_analysis(reader, document),
    )
    for q_id in study.survey_questionnaires:
        if not study.inputs_for(q_id):
            reader.problem("inputs", f"questionnaire {q_id!r} has no input file; add its exports or remove it")
    reader.fail()
    return study
