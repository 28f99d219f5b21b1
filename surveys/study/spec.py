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

Every problem of a spec is collected and raised together as one :class:`~surveys.errors.StudyError` naming the
file and each key path, what was expected, what was found and what to do.
"""
from __future__ import annotations

import glob
import pathlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from surveys.errors import QuestionnaireError, StudyError
from surveys.questionnaire import Questionnaire, Text, load_questionnaire
from surveys.resources import questionnaire_dir

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

_TOP_KEYS = {"study", "wave", "data", "questionnaires", "inputs", "validation", "margins", "weighting",
             "measures", "domains", "estimation", "targets", "report", "design", "robustness", "analysis"}
_DESIGN_KEYS = {"strata", "clusters", "description"}
_ROBUSTNESS_KEYS = {"trim"}
_ANALYSIS_KEYS = ("groups", "drivers", "reliability")
# The column the weighting stage gives every respondent: the name of the margins population they belong to.
POPULATION_COLUMN = "population"
_INPUT_KEYS = {"file", "questionnaire", "platform", "mode", "wave", "variant", "encoding", "sheet", "pair",
               "copy_of", "columns"}
_MARGIN_KEYS = {"file", "population", "label", "variables", "rows", "questionnaires", "total", "blank"}
_WEIGHTING_KEYS = {"method", "base_weight", "max_iterations", "tolerance", "on_nonconvergence",
                   "min_category_respondents", "collapse", "bounds", "trim"}
_TRIM_KEYS = {"lower", "upper", "strict"}
_MEASURE_KEYS = {"questionnaire", "measure", "threshold", "comparison", "rule", "census", "threshold_source"}
_THRESHOLD_SOURCES = ("plan", "study")
_BLANK = ("error", "skip")
_ESTIMATION_KEYS = {"ci_method", "level"}
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

class _Reader:
    """Collects the problems of one spec, each as ``key path: expected ...; found ...; what to do``."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str, allowed: set[str], required: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, Mapping):
            self.problem(key, f"expected a mapping, found {_describe(value)}")
            return None
        for name in sorted(set(value) - allowed):
            self.problem(f"{key}.{name}", f"unknown key; expected one of {sorted(allowed)}; remove or rename it")
        for name in required:
            if value.get(name) in (None, ""):
                self.problem(f"{key}.{name}", "required key is missing; add it")
        return dict(value)

    def string(self, value: Any, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(key, f"expected a text value, found {_describe(value)}")
            return default
        text = str(value).strip()
        if choices and text not in choices:
            self.problem(key, f"expected one of {list(choices)}, found {text!r}")
            return default
        return text

    def number(self, value: Any, key: str, default: float, low: float, high: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= float(value) <= high:
            self.problem(key, f"expected a number in [{low:g}, {high:g}], found {_describe(value)}")
            return default
        return float(value)

    def strings(self, value: Any, key: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                  for v in value):
            self.problem(key, f"expected a list of names, found {_describe(value)}")
            return None
        return tuple(str(v) for v in value)

    def fail(self) -> None:
        if self.problems:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            raise StudyError(f"{self.path}: {len(self.problems)} problem(s) in the study spec:\n{lines}")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


def _read_document(path: pathlib.Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise StudyError(f"{path}: study spec not found; expected a study.yaml file; check the path") from None
    except OSError as error:
        raise StudyError(f"{path}: cannot read the study spec ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise StudyError(f"{path}: expected UTF-8 text, found an undecodable byte at {error.start}; "
                         "save the file as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StudyError(f"{path}: not valid YAML ({error}); fix the line it names") from None


def _resolve_file(reader: _Reader, base: pathlib.Path, text: str, key: str) -> pathlib.Path | None:
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

def _questionnaires(reader: _Reader, document: Mapping, spec_dir: pathlib.Path) -> dict[str, Questionnaire]:
    entries = document.get("questionnaires")
    if not isinstance(entries, list) or not entries:
        reader.problem("questionnaires", f"expected a list of {{id, version, file}}, found {_describe(entries)}")
        return {}
    loaded: dict[str, Questionnaire] = {}
    for index, entry in enumerate(entries):
        key = f"questionnaires[{index}]"
        entry = reader.mapping(entry, key, {"id", "version", "file"}, ("id",))
        if entry is None or not entry.get("id"):
            continue
        q_id = str(entry["id"])
        file_text = str(entry.get("file") or f"{q_id}.yaml")
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


def _known_questionnaire(reader: _Reader, value: Any, key: str, questionnaires: Mapping[str, Any]) -> str | None:
    q_id = reader.string(value, key)
    if q_id is not None and questionnaires and q_id not in questionnaires:
        reader.problem(key, f"expected one of the spec's questionnaires {sorted(questionnaires)}, found {q_id!r}; "
                            "add it under questionnaires or fix the id")
        return None
    return q_id


def _inputs(reader: _Reader, document: Mapping, data_dir: pathlib.Path, wave: str,
            questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyInput, ...]:
    entries = document.get("inputs")
    if not isinstance(entries, list) or not entries:
        reader.problem("inputs", f"expected a list of export files, found {_describe(entries)}; list the exports")
        return ()
    raw: list[tuple[str, dict]] = []
    for index, entry in enumerate(entries):
        key = f"inputs[{index}]"
        entry = reader.mapping(entry, key, _INPUT_KEYS, ("file", "questionnaire", "platform"))
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
        platform = reader.string(entry.get("platform"), f"{key}.platform", choices=_PLATFORMS)
        default_mode = "paper" if platform == "paper" else "online"
        mode = reader.string(entry.get("mode"), f"{key}.mode", default_mode, _MODES)
        path = resolved.get(key)
        if q_id is None or platform is None or path is None:
            continue
        inputs.append(StudyInput(
            file=str(entry["file"]), path=path, questionnaire=q_id, platform=platform, mode=mode or default_mode,
            wave=reader.string(entry.get("wave"), f"{key}.wave", wave) or wave,
            variant=reader.string(entry.get("variant"), f"{key}.variant", "") or "",
            encoding=reader.string(entry.get("encoding"), f"{key}.encoding"),
            sheet=reader.string(entry.get("sheet"), f"{key}.sheet"),
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


def _columns(reader: _Reader, value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, (str, int)) for v in value.values()):
        reader.problem(key, f"expected a mapping item id → the file's column header, found {_describe(value)}")
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _rows(reader: _Reader, value: Any, key: str) -> dict[str, tuple[int, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        reader.problem(key, f"expected a mapping variable → list of codes, found {_describe(value)}")
        return {}
    rows = {}
    for variable, codes in value.items():
        codes = codes if isinstance(codes, list) else [codes]
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
            reader.problem(f"{key}.{variable}", f"expected a list of whole-number codes, found {_describe(codes)}")
            continue
        rows[str(variable)] = tuple(codes)
    return rows


def _margins(reader: _Reader, document: Mapping, data_dir: pathlib.Path,
             questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyMargins, ...]:
    entries = document.get("margins") or []
    if not isinstance(entries, list):
        reader.problem("margins", f"expected a list of margin files, found {_describe(entries)}")
        return ()
    margins = []
    for index, entry in enumerate(entries):
        key = f"margins[{index}]"
        entry = reader.mapping(entry, key, _MARGIN_KEYS, ("file",))
        if entry is None or not entry.get("file"):
            continue
        path = _resolve_file(reader, data_dir, str(entry["file"]), f"{key}.file")
        applies = reader.strings(entry.get("questionnaires"), f"{key}.questionnaires")
        for q_id in applies or ():
            _known_questionnaire(reader, q_id, f"{key}.questionnaires", questionnaires)
        if path is None:
            continue
        label = entry.get("label")
        if label is not None and not (isinstance(label, Mapping) and isinstance(label.get("zh"), str)):
            reader.problem(f"{key}.label", f"expected the population in words {{zh: …, en: …}}, found {_describe(label)}")
            label = None
        total = entry.get("total")
        if total is not None and (isinstance(total, bool) or not isinstance(total, (int, float)) or total <= 0):
            reader.problem(f"{key}.total", f"expected the population's size (a number > 0), found {_describe(total)}")
            total = None
        margins.append(StudyMargins(
            label=Text(label["zh"], str(label.get("en") or label["zh"])) if label else None,
            path=path, population=reader.string(entry.get("population"), f"{key}.population", "") or "",
            variables=reader.strings(entry.get("variables"), f"{key}.variables"),
            rows=MappingProxyType(_rows(reader, entry.get("rows"), f"{key}.rows")), questionnaires=applies,
            total=None if total is None else float(total),
            blank=reader.string(entry.get("blank"), f"{key}.blank", "error", _BLANK) or "error",
        ))
    return tuple(margins)


def _weighting(reader: _Reader, document: Mapping) -> WeightingSpec:
    value = document.get("weighting")
    if value is None:
        return WeightingSpec()
    entry = reader.mapping(value, "weighting", _WEIGHTING_KEYS)
    if entry is None:
        return WeightingSpec()
    default = WeightingSpec()
    iterations = entry.get("max_iterations", default.max_iterations)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        reader.problem("weighting.max_iterations", f"expected a whole number ≥ 1, found {_describe(iterations)}")
        iterations = default.max_iterations
    minimum = entry.get("min_category_respondents", default.min_category_respondents)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        reader.problem("weighting.min_category_respondents", f"expected a whole number ≥ 0, found {_describe(minimum)}")
        minimum = default.min_category_respondents
    return WeightingSpec(
        min_category_respondents=minimum, collapse=MappingProxyType(_collapse(reader, entry.get("collapse"))),
        bounds=_bounds(reader, entry.get("bounds")), trim=_trim(reader, entry.get("trim")),
        method=reader.string(entry.get("method"), "weighting.method", default.method, WEIGHTING_METHODS),
        base_weight=reader.string(entry.get("base_weight"), "weighting.base_weight", default.base_weight,
                                  BASE_WEIGHTS),
        max_iterations=iterations,
        tolerance=reader.number(entry.get("tolerance"), "weighting.tolerance", default.tolerance, 1e-15, 0.1),
        on_nonconvergence=reader.string(entry.get("on_nonconvergence"), "weighting.on_nonconvergence",
                                        default.on_nonconvergence, ("raise", "warn")),
    )


def _collapse(reader: _Reader, value: Any) -> dict[str, Mapping[str, str]]:
    from surveys.columns import category_code

    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(merge, Mapping) for merge in value.values()):
        reader.problem("weighting.collapse", f"expected variable → {{category: the category it joins}}, e.g. "
                                             f"{{age_group: {{6: 5}}}}; found {_describe(value)}")
        return {}
    return {str(variable): MappingProxyType({category_code(old): category_code(new) for old, new in merge.items()})
            for variable, merge in value.items()}


def _bounds(reader: _Reader, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                              for v in value) or not 0 <= value[0] < 1 < value[1]):
        reader.problem("weighting.bounds", f"expected [lower, upper] bounds on the raking factors with 0 ≤ lower < 1 "
                                           f"< upper, e.g. [0.3, 3]; found {_describe(value)}")
        return None
    return float(value[0]), float(value[1])


def _trim(reader: _Reader, value: Any) -> TrimSpec | None:
    if value is None:
        return None
    entry = reader.mapping(value, "weighting.trim", _TRIM_KEYS)
    if entry is None:
        return None
    found = {}
    for name in ("lower", "upper"):
        number = entry.get(name)
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0):
            reader.problem(f"weighting.trim.{name}", f"expected a multiple of the mean weight (a number ≥ 0, e.g. "
                                                     f"{'0.3' if name == 'lower' else '3'}); found {_describe(number)}")
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
        reader.problem("weighting.trim.strict", f"expected true or false, found {_describe(strict)}")
        strict = False
    return TrimSpec(found["lower"], found["upper"], strict)


def _measures(reader: _Reader, document: Mapping, questionnaires: Mapping[str, Questionnaire]) -> tuple[StudyMeasure, ...]:
    entries = document.get("measures")
    if entries is None:  # default: every questionnaire's headline measure with its own target
        return tuple(_from_questionnaire(q, q.headline.id, {}) for q in questionnaires.values())
    if not isinstance(entries, list):
        reader.problem("measures", f"expected a list of {{questionnaire, measure, ...}}, found {_describe(entries)}")
        return ()
    measures = []
    for index, entry in enumerate(entries):
        key = f"measures[{index}]"
        entry = reader.mapping(entry, key, _MEASURE_KEYS, ("questionnaire",))
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
                        reader: _Reader | None = None, key: str = "") -> StudyMeasure:
    """The spec's target for a measure; keys it leaves out come from the questionnaire's own target."""
    from surveys.indicators.targets import VERDICT_RULES

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
            threshold = reader.number(threshold, f"{key}.threshold", 0.0, 0.0, 1.0)
        if comparison not in _COMPARISONS:
            reader.problem(f"{key}.comparison", f"expected one of {list(_COMPARISONS)}, found {comparison!r}")
        if rule not in VERDICT_RULES:
            reader.problem(f"{key}.rule", f"expected a verdict rule {sorted(VERDICT_RULES)}, found {rule!r}")
        if not isinstance(census, bool):
            reader.problem(f"{key}.census", f"expected true or false, found {_describe(census)}")
            census = False
    return StudyMeasure(questionnaire.id, measure_id, None if threshold is None else float(threshold), comparison,
                        rule, bool(census), threshold_source)


def _validation(reader: _Reader, value: Any) -> Mapping[str, Any]:
    """The quality rules, checked now (``ValidationRules.from_mapping``) so a typo is reported with the spec."""
    from surveys.errors import ValidationError
    from surveys.validate import ValidationRules

    if not isinstance(value, Mapping):
        reader.problem("validation", f"expected a mapping of rule settings, found {_describe(value)}")
        return {}
    try:
        ValidationRules.from_mapping(dict(value))
    except ValidationError as error:
        reader.problem("validation", str(error))
        return {}
    return value


def _estimation(reader: _Reader, document: Mapping) -> EstimationSpec:
    from surveys.estimation.ci import CI_METHODS

    entry = reader.mapping(document.get("estimation") or {}, "estimation", _ESTIMATION_KEYS) or {}
    domains = reader.strings(document.get("domains"), "domains")
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
    return EstimationSpec(ci_method=method, level=reader.number(entry.get("level"), "estimation.level", 0.95, 0.5,
                                                                 0.999),
                          domains=_DEFAULT_DOMAINS if domains is None else domains)


def _design(reader: _Reader, document: Mapping) -> SampleDesignSpec:
    value = document.get("design")
    if value is None:
        return SampleDesignSpec()
    entry = reader.mapping(value, "design", _DESIGN_KEYS)
    if entry is None:
        return SampleDesignSpec()
    strata = reader.strings(entry.get("strata"), "design.strata") or ()
    clusters = reader.string(entry.get("clusters"), "design.clusters") or None
    description = entry.get("description")
    text = None
    if isinstance(description, Mapping) and isinstance(description.get("zh"), str):
        text = Text(description["zh"], str(description.get("en") or description["zh"]))
    elif description is not None:
        reader.problem("design.description", f"expected {{zh: …, en: …}}, found {_describe(description)}")
    if clusters is not None and clusters in strata:
        reader.problem("design.clusters", f"'{clusters}' is also a stratum; a column is either one or the other")
    return SampleDesignSpec(strata=strata, clusters=clusters, description=text)


def _robustness(reader: _Reader, document: Mapping) -> RobustnessSpec:
    value = document.get("robustness")
    if value is None:
        return RobustnessSpec()
    entry = reader.mapping(value, "robustness", _ROBUSTNESS_KEYS) or {}
    trim = entry.get("trim", list(RobustnessSpec().trim))
    if (not isinstance(trim, list) or len(trim) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                            for v in trim) or not 0 <= trim[0] < 1 < trim[1]):
        reader.problem("robustness.trim", f"expected [lower, upper] multiples of the mean weight with lower < 1 < "
                                          f"upper (e.g. [0.2, 5.0]), found {_describe(trim)}")
        return RobustnessSpec()
    return RobustnessSpec(trim=(float(trim[0]), float(trim[1])))


def _analysis(reader: _Reader, document: Mapping) -> AnalysisSpec:
    value = document.get("analysis")
    if value is None:
        return AnalysisSpec()
    entry = reader.mapping(value, "analysis", set(_ANALYSIS_KEYS)) or {}
    chosen = {}
    for key in _ANALYSIS_KEYS:
        flag = entry.get(key, True)
        if not isinstance(flag, bool):
            reader.problem(f"analysis.{key}", f"expected true or false, found {_describe(flag)}")
            flag = True
        chosen[key] = flag
    return AnalysisSpec(**chosen)


# ------------------------------------------------------------------------------------------ entry point

def load_study(path: str | pathlib.Path, *, data_dir: str | pathlib.Path | None = None) -> Study:
    """Read and check a study spec; every problem is raised together as one :class:`StudyError`.

    Inputs and margin files are resolved against ``data_dir`` when given, else against the spec's ``data`` key
    (relative to the spec), else against the spec's folder; questionnaires and the targets register against the
    spec's folder (questionnaires fall back to the bundled ones).
    """
    path = pathlib.Path(path).expanduser().resolve()
    document = _read_document(path)
    reader = _Reader(path)
    if not isinstance(document, Mapping):
        raise StudyError(f"{path}: expected a mapping of sections (study, inputs, ...), found {_describe(document)}")
    for name in sorted(set(document) - _TOP_KEYS, key=str):
        reader.problem(str(name), f"unknown section; expected one of {sorted(_TOP_KEYS)}; remove or rename it")
    spec_dir = path.parent
    header = reader.mapping(document.get("study") or {}, "study", {"id", "title"}, ("id",)) or {}
    title = header.get("title") or {}
    if isinstance(title, str):
        title = {"zh": title, "en": title}
    if not isinstance(title, Mapping):
        reader.problem("study.title", f"expected {{zh, en}}, found {_describe(title)}")
        title = {}
    wave = reader.string(document.get("wave"), "wave", "") or ""
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
    report = reader.mapping(document.get("report") or {}, "report", {"lang"}) or {}
    targets = None
    if document.get("targets"):
        targets = _resolve_file(reader, spec_dir, str(document["targets"]), "targets")
    study = Study(
        path=path, id=str(header.get("id") or path.parent.name),
        title=Text(str(title.get("zh", "")), str(title.get("en", title.get("zh", "")))), wave=wave,
        data_dir=data, questionnaires=MappingProxyType(questionnaires), inputs=inputs, margins=margins,
        weighting=_weighting(reader, document), measures=_measures(reader, document, questionnaires),
        estimation=_estimation(reader, document), validation=MappingProxyType(dict(validation)),
        targets=targets, lang=reader.string(report.get("lang"), "report.lang", "zh", _LANGS) or "zh",
        design=_design(reader, document), robustness=_robustness(reader, document),
        analysis=_analysis(reader, document),
    )
    for q_id in study.survey_questionnaires:
        if not study.inputs_for(q_id):
            reader.problem("inputs", f"questionnaire {q_id!r} has no input file; add its exports or remove it")
    reader.fail()
    return study
