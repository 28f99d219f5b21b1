"""Drafting a whole study from unfamiliar exports: ``surveys init EXPORT... --out DIR``.

An analyst handed a 问卷星 download (or a Qualtrics CSV, an SPSS file…) gets a folder that runs as it is:

- ``DIR/questionnaire.yaml``: the questionnaire inferred from the export (:func:`surveys.infer_questionnaire`;
  a 问卷星 序号/文本 pair is read together, so the codes are the form's option positions), TODOs marked;
- ``DIR/margins.csv``: a margin template with the demographic items found, to fill with population counts (rows of
  options nobody chose are left out: there is nobody to weight);
- ``DIR/study.yaml``: the inputs (a pair named as such), validation rules that fit what the export records (no
  speeder rule without answer times…), weighting that starts once the margins are filled (``blank: skip``: until
  then the run is unweighted and the report says so on every page), the headline measure with an 80% target
  marked as the study's choice (``threshold_source: study``), domains by the demographic items;

and a checklist (:attr:`StudyDraft.checklist`, printed by the command). ``surveys run DIR/study.yaml --out OUT``
then writes the report at once. Validated on every public real response export the conformance tests read in
place (tests/test_init.py): init, then run, with every row accounted for.
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import re
from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from surveys.errors import IngestError, StudyError
from surveys.ingest import RawExport, find_pairs, pair_exports, read_export
from surveys.ingest.infer import infer_questionnaire, is_placeholder_label, todo_marks
from surveys.ingest.mapping import map_export
from surveys.questionnaire import Questionnaire, load_questionnaire
from surveys.weighting.margins import Margins, MarginTable, template_for

__all__ = ["StudyDraft", "draft_study", "DEFAULT_TARGET"]

# The target the draft writes until the analyst enters the plan's own: a placeholder the study chose, marked
# threshold_source: study in the spec (so the scoreboard says it is not a number of the plan).
DEFAULT_TARGET = 0.80
_FILES = ("questionnaire.yaml", "margins.csv", "study.yaml")
# categories with fewer respondents are merged with a neighbour before raking (small samples: 16–19 year-olds)
_MIN_CATEGORY_RESPONDENTS = 5


@dataclass(frozen=True)
class StudyDraft:
    """What ``surveys init`` wrote: the three files, the exports and pairs read, and the checklist."""

    out_dir: pathlib.Path
    study: pathlib.Path
    questionnaire: pathlib.Path
    margins: pathlib.Path | None
    exports: tuple[pathlib.Path, ...]
    pairs: tuple[tuple[pathlib.Path, pathlib.Path], ...]
    respondents: int
    weighting_variables: tuple[str, ...]
    todo: int
    checklist: tuple[str, ...]


def _yaml(value: Any) -> str:
    """A YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _spec_path(path: pathlib.Path, out_dir: pathlib.Path) -> str:
    """A path as the spec names it: relative to DIR when the export lies inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(out_dir.resolve()))
    except ValueError:
        return str(path.resolve())


def _read(paths: Sequence[pathlib.Path], platform: str | None) -> list[RawExport]:
    raws = []
    for path in paths:
        if not path.is_file():
            raise IngestError(f"{path}: no such file; expected a response export (xlsx, xls, csv, sav)")
        raws.append(read_export(path, platform=platform))
    return raws


def _wave(raws: Sequence[RawExport]) -> str:
    """The year of the submissions when they all fall in one year, else ""."""
    years: set[int] = set()
    for raw in raws:
        if "submitted_at" in raw.answers:
            moments = pd.to_datetime(raw.answers["submitted_at"], errors="coerce").dropna()
            years |= set(int(year) for year in moments.dt.year.unique())
    return str(years.pop()) if len(years) == 1 else ""


# ------------------------------------------------------------------------------------------ validation

def _filled(raw: RawExport, name: str) -> bool:
    return name in raw.answers and raw.answers[name].notna().any()


def _validation_lines(raws: Sequence[RawExport], questionnaire: Questionnaire) -> list[str]:
    """The rules that fit what the exports record; a rule whose evidence is absent is off, and says why."""
    def every(name: str) -> bool:
        return all(_filled(raw, name) for raw in raws)

    lines = ["validation:   # rules that fit what the export records (analysis/README.md, Study spec)"]
    if every("duration_seconds"):
        lines.append("  speeder: {action: reject, seconds_per_item: 2.5}   # the export records answer times")
    else:
        lines.append("  speeder: {action: 'off'}   # the export records no answer time (or left it empty)")
    lines.append("  duplicate_submission: {action: reject, window_minutes: 30}"
                 + ("" if any(_filled(raw, "ip") or _filled(raw, "open_id") for raw in raws)
                    else "   # answer numbers only: the export has no IP or OpenID"))
    if any(_filled(raw, "ip_location") for raw in raws):
        lines.append("  outside_area: {action: flag, area: []}   # TODO: the surveyed area, e.g. [陕西-秦川], to flag "
                     "respondents elsewhere (the export has IP locations)")
    else:
        lines.append("  outside_area: {action: 'off'}   # the export has no IP location")
    finished = any(_filled(raw, "finished") or _filled(raw, "progress") for raw in raws)
    lines.append("  incomplete: {action: reject, min_answered_share: 0.5}"
                 + ("   # the export says whether each response was finished" if finished else ""))
    if questionnaire.items_with_role("attention_check"):
        lines.append("  attention_check_failed: {action: reject}")
    rated = [item for item in questionnaire.items if item.role in ("satisfaction", "overall")]
    if len(rated) >= 5:
        lines.append("  straightline: {action: flag, min_items: 5}")
    else:
        lines.append("  straightline: {action: 'off'}   # fewer than 5 rated items")
    return lines


# ------------------------------------------------------------------------------------------ margins

def _margins(questionnaire: Questionnaire) -> Margins | None:
    """The margin template of the draft's weighting variables, without the options nobody chose."""
    if not questionnaire.weighting:
        return None
    template = template_for(questionnaire)
    tables = []
    for table in template:
        keep = [index for index, label in enumerate(table.category_labels)
                if not is_placeholder_label(label.split(" / ")[0])]
        tables.append(MarginTable(table.variable, tuple(table.categories[i] for i in keep),
                                  sources=tuple(table.sources[i] for i in keep),
                                  as_of=tuple(table.as_of[i] for i in keep), label=table.label,
                                  category_labels=tuple(table.category_labels[i] for i in keep)))
    comments = (*template.comments,
                "left blank, a variable is skipped (study.yaml: blank: skip); with none filled in, the run is "
                "unweighted and the report says so on every page",
                "options nobody chose in the export are not listed: nobody answered them, so nobody is weighted "
                "by them")
    return Margins(tuple(tables), "", comments)


# ------------------------------------------------------------------------------------------ the spec

def _input_lines(raws: Sequence[RawExport], pairs: dict[int, int], out_dir: pathlib.Path, questionnaire_id: str,
                 labelled: set[int]) -> list[str]:
    lines = ["inputs:"]
    for index, raw in enumerate(raws):
        lines += [f"  - file: {_yaml(_spec_path(raw.path, out_dir))}", f"    questionnaire: {questionnaire_id}",
                  f"    platform: {raw.platform}", f"    mode: {'paper' if raw.platform == 'generic' else 'online'}"]
        if index in pairs:
            lines += ["    variant: code", f"    pair: {_yaml(_spec_path(raws[pairs[index]].path, out_dir))}"]
        elif index in labelled:
            partner = next(code for code, label in pairs.items() if label == index)
            lines += ["    variant: text   # the 按选项文本 download of the same respondents: read for its labels",
                      f"    pair: {_yaml(_spec_path(raws[partner].path, out_dir))}"]
    return lines


def _study_text(*, study_id: str, title: str, wave: str, questionnaire: Questionnaire, inputs: list[str],
                validation: list[str], margins: bool, headline: str, checklist: Sequence[str]) -> str:
    domains = [variable.id for variable in questionnaire.weighting]
    lines = [
        f"# study.yaml drafted by `surveys init` on {datetime.date.today().isoformat()}. It runs as it is:",
        "#     surveys run study.yaml --out results",
        "# Until margins.csv is filled in, the estimates are UNWEIGHTED and every page of the report says so.",
        "# Format: analysis/README.md (Study spec). Checklist:",
        *(f"#   {line}" for line in checklist),
        "study:",
        f"  id: {study_id}",
        f"  title: {{zh: {_yaml(title)}, en: {_yaml(title)}}}   # TODO: the study's name in Chinese and English",
        *([f"wave: {_yaml(wave)}   # the year of the submissions"] if wave else []),
        "questionnaires:",
        f"  - {{id: {questionnaire.id}, version: {_yaml(questionnaire.version)}, file: questionnaire.yaml}}",
        *inputs,
        *validation,
    ]
    if margins:
        lines += [
            "margins:",
            "  - file: margins.csv",
            "    population: residents",
            "    blank: skip   # variables left blank are not weighted to; none filled in: unweighted (the report "
            "says so)",
            "    # total: 1234567   # the population's size, needed only if every variable is given as shares",
        ]
    lines += [
        "weighting:",
        "  method: rake",
        f"  min_category_respondents: {_MIN_CATEGORY_RESPONDENTS}   # smaller categories join a neighbour before "
        "raking",
        "  # collapse: {<variable>: {<code>: <code>}}   # merge categories yourself before raking",
        "  # bounds: [0.3, 3]                           # bounded raking: limits on each weight's adjustment factor",
        "  # trim: {upper: 5}                           # trim after raking, in multiples of the mean weight",
        "measures:",
        f"  - questionnaire: {questionnaire.id}",
        f"    measure: {headline}",
        f"    threshold: {DEFAULT_TARGET:.2f}   # TODO: the plan's target; 80% is this draft's placeholder",
        "    threshold_source: study   # the study chose this number, not the plan (the scoreboard says so)",
        '    comparison: ">="',
        "    rule: ci_lower_bound",
        f"domains: [{', '.join(domains)}]   # the measure tables by each demographic item",
        "estimation: {ci_method: logit, level: 0.95}",
        "report: {lang: zh}",
    ]
    return "\n".join(lines) + "\n"


def _checklist(out_dir: pathlib.Path, questionnaire: Questionnaire, margins: Margins | None, todo: int,
               headline_note: str, validation: Sequence[str]) -> tuple[str, ...]:
    headline = questionnaire.headline
    item = questionnaire.item(headline.items[0])
    lines = [f"[ ] run it now: surveys run {out_dir / 'study.yaml'} --out {out_dir / 'results'} "
             "(unweighted until margins.csv is filled in)",
             f"[ ] check the headline measure {headline.id} on {item.id} ({item.text.zh[:30]}) and its satisfied "
             f"categories in questionnaire.yaml{headline_note}",
             "[ ] replace the 80% target with the plan's own (study.yaml measures[0].threshold; then "
             "threshold_source: plan)"]
    if margins is not None:
        variables = ", ".join(f"{table.variable} ({table.label.split(' / ')[0]})" for table in margins)
        lines.append(f"[ ] fill margins.csv with population counts: {variables}; a variable left blank is skipped")
    else:
        lines.append("[ ] no demographic item was found to weight by: add a weighting section to questionnaire.yaml "
                     "and a margins entry to study.yaml, or keep the study unweighted")
    lines.append(f"[ ] resolve the {todo} TODO marks: surveys questionnaire check --strict "
                 f"{out_dir / 'questionnaire.yaml'} lists them")
    if any("TODO" in line for line in validation):
        lines.append("[ ] set validation.outside_area.area in study.yaml to flag respondents outside the surveyed "
                     "area")
    return tuple(lines)


def _study_id(questionnaire_id: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", questionnaire_id.lower()) or "study"


def _check_same_survey(raws: Sequence[RawExport], first: int, questionnaire: Questionnaire,
                       pairs: dict[int, int], labelled: set[int]) -> None:
    for index, raw in enumerate(raws):
        if index == first or index in labelled:
            continue
        try:
            map_export(pair_exports(raw, raws[pairs[index]]) if index in pairs else raw, questionnaire)
        except IngestError as error:
            raise StudyError(f"{raw.path.name} is not an export of the same survey as {raws[first].path.name} ("
                             f"{error}); run `surveys init` once per survey") from None


def draft_study(exports: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *, study_id: str | None = None,
                platform: str | None = None, overwrite: bool = False) -> StudyDraft:
    """Write ``questionnaire.yaml``, ``margins.csv`` and ``study.yaml`` into ``out_dir`` for ``exports`` (one survey:
    its downloads, e.g. a 问卷星 序号/文本 pair) and return what was written with the checklist (module docstring).

    ``platform`` forces the reader (e.g. ``generic`` for a table without a platform signature). Files already in
    ``out_dir`` are kept unless ``overwrite`` (a filled-in margins.csv is not lost by running init again).
    """
    paths = [pathlib.Path(path) for path in exports]
    if not paths:
        raise StudyError("no export given; expected at least one response export (surveys init EXPORT... --out DIR)")
    out_dir = pathlib.Path(out_dir)
    existing = [name for name in _FILES if (out_dir / name).exists()]
    if existing and not overwrite:
        raise StudyError(f"{out_dir} already holds {', '.join(existing)}; choose another --out folder, or pass "
                         "--force to replace them (a filled-in margins.csv would be lost)")
    raws = _read(paths, platform)
    pairs = dict(find_pairs(raws))
    labelled = set(pairs.values())
    first = next(index for index in range(len(raws)) if index not in labelled)
    primary = pair_exports(raws[first], raws[pairs[first]]) if first in pairs else raws[first]
    text = infer_questionnaire(primary, questionnaire_id=study_id)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        questionnaire_path = out_dir / "questionnaire.yaml"
        questionnaire_path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise StudyError(f"cannot write into {out_dir} ({error.strerror or error}); choose a writable --out folder") \
            from None
    questionnaire = load_questionnaire(questionnaire_path)
    _check_same_survey(raws, first, questionnaire, pairs, labelled)
    margins = _margins(questionnaire)
    margins_path = None
    if margins is not None:
        margins_path = out_dir / "margins.csv"
        margins.write(margins_path)
    validation = _validation_lines(raws, questionnaire)
    todo = len(todo_marks(text))
    headline_note = (": no satisfaction scale was recognised, so it is a placeholder" if "picked only so the draft "
                     "loads" in text else "")
    checklist = _checklist(out_dir, questionnaire, margins, todo, headline_note, validation)
    study_path = out_dir / "study.yaml"
    title = questionnaire.title.zh
    study_path.write_text(_study_text(
        study_id=_study_id(questionnaire.id), title=title, wave=_wave(raws), questionnaire=questionnaire,
        inputs=_input_lines(raws, pairs, out_dir, questionnaire.id, labelled), validation=validation,
        margins=margins is not None, headline=questionnaire.headline.id, checklist=checklist), encoding="utf-8")
    respondents = sum(raw.rows_read for index, raw in enumerate(raws) if index not in labelled)
    return StudyDraft(out_dir=out_dir, study=study_path, questionnaire=questionnaire_path, margins=margins_path,
                      exports=tuple(paths), pairs=tuple((raws[c].path, raws[t].path) for c, t in pairs.items()),
                      respondents=respondents, weighting_variables=tuple(v.id for v in questionnaire.weighting),
                      todo=todo, checklist=checklist)
