"""``generate_demo``: write the demo city's population, margins, exports, truth and study spec."""
from __future__ import annotations

import json
import pathlib
import zlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from surveys.demo import scenario, tencent, wjx
from surveys.demo.city import CityPopulation, build_city
from surveys.demo.files import ExportTable
from surveys.demo.margins import margin_rows, margins_csv
from surveys.demo.online import FlawNote, simulate_submissions
from surveys.demo.output import DemoOutput, FlawRecord, ManifestEntry
from surveys.demo.paper import keyed_tables, paper_forms
from surveys.demo.proposals import write_proposals
from surveys.demo.season import FieldedInstrument, field_instrument, instrument_rng
from surveys.demo.study import study_yaml
from surveys.errors import SurveyError
from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires

__all__ = ["DemoManifest", "generate_demo", "DEFAULT_SEED"]

DEFAULT_SEED = scenario.DEFAULT_SEED
_FLAW_COLUMNS = ("export", "row", "record", "kind", "item", "column", "detail")


@dataclass(frozen=True)
class DemoManifest:
    """What :func:`generate_demo` wrote.

    ``files``: every file with its kind, platform, encoding, data rows and sha256 (``manifest.json``
    holds the same list). ``tables``: the in-memory cells of every tabular file, by relative path —
    what a reader of that file must get back. ``flaws``: the planted flaws (``truth/flaws.csv``).
    ``truth``: the true population values and sample sizes (``truth/truth.json``).
    """

    out_dir: pathlib.Path
    seed: int
    sample_scale: float
    files: tuple[ManifestEntry, ...]
    tables: Mapping[str, ExportTable]
    flaws: tuple[FlawRecord, ...]
    truth: Mapping[str, Any]

    def file(self, path: str) -> ManifestEntry:
        for entry in self.files:
            if entry.path == path:
                return entry
        raise SurveyError(f"the demo wrote no file '{path}'; it wrote {[e.path for e in self.files]}")

    def of_kind(self, kind: str) -> tuple[ManifestEntry, ...]:
        return tuple(entry for entry in self.files if entry.kind == kind)


def _load_questionnaires() -> dict[str, Any]:

    return {q.id: q for q in (load_questionnaire(path) for path in bundled_questionnaires())}


# ----------------------------------------------------------------------------------------- population

def _write_population(output: DemoOutput, city: CityPopulation) -> None:
    source, as_of = scenario.MARGIN_SOURCES["residents"]
    residents = city.residents[["district", "district_name", "sex", "age_group", "population"]]
    output.csv("population/residents.csv", _frame_table(residents), kind="population", platform="")
    output.csv("population/enterprises.csv", _frame_table(city.enterprises), kind="population", platform="")
    output.csv("population/proposals.csv", _frame_table(city.proposals), kind="population", platform="")
    resident_blocks = [
        margin_rows(city.residents, ["district"], "population", source, as_of),
        margin_rows(city.residents, ["sex"], "population", source, as_of),
        margin_rows(city.residents, ["age_group"], "population", source, as_of),
        margin_rows(city.residents, ["district", "sex"], "population", source, as_of),
    ]
    _write_margins(output, "margins/residents.csv", resident_blocks, [
        f"{scenario.CITY['zh']}常住人口（18岁及以上）, 区县 × 性别 × 年龄组（演示数据，虚构）",
        "format: variable,category,population,share,source,as_of (see surveys.demo.margins)",
    ])
    source, as_of = scenario.MARGIN_SOURCES["enterprises"]
    market = city.enterprises
    enterprise_blocks = [
        margin_rows(market, ["respondent_type"], "entities", source, as_of),
        margin_rows(market, ["district"], "entities", source, as_of),
        margin_rows(market, ["enterprise_size"], "entities", source, as_of, as_share=True),
        margin_rows(market, ["district", "respondent_type"], "entities", source, as_of),
    ]
    _write_margins(output, "margins/enterprises.csv", enterprise_blocks, [
        f"{scenario.CITY['zh']}市场主体（企业、个体工商户、其他组织）, 区县 × 类型 × 规模（演示数据，虚构）",
        "enterprise_size is given as shares (0–1), the other variables as counts",
    ])


def _write_margins(output: DemoOutput, relative: str, blocks, comments) -> None:
    rows = sum(len(block) for block in blocks)
    output.text(relative, margins_csv(blocks, comments), kind="margins", rows=rows)


def _frame_table(frame) -> ExportTable:
    rows = tuple(tuple(value.item() if hasattr(value, "item") else value for value in row)
                 for row in frame.itertuples(index=False, name=None))
    return ExportTable(tuple(str(c) for c in frame.columns), rows)


# ----------------------------------------------------------------------------------------- exports

def _records(export: str, table: ExportTable, key_column: str, notes: Sequence[FlawNote],
             headers: Mapping[str, Sequence[str]]) -> list[FlawRecord]:
    keys = table.column_values(key_column)
    return [FlawRecord(export, note.row + 1, str(keys[note.row]), note.kind, note.item,
                       headers.get(note.item, [""])[0] if note.item else "", note.detail) for note in notes]


def _activity_id(questionnaire_id: str) -> int:
    return 200_000_000 + zlib.crc32(questionnaire_id.encode()) % 100_000_000


def _write_online(output: DemoOutput, fielded: FieldedInstrument, seed: int) -> tuple[list[FlawRecord], list[str]]:
    questionnaire, plan = fielded.questionnaire, fielded.plan
    rng = instrument_rng(seed, questionnaire.id, "online-flaws")
    submissions, notes = simulate_submissions(questionnaire, fielded.online, rng)
    records, paths = [], []
    if plan.online_platform == "wjx":
        # 序号 as the platform numbers answers: the first few were test runs and a few invalid answers
        # were deleted before download, so the numbers start above 1 and have gaps
        steps = 1 + (rng.random(len(submissions)) < 0.01)
        numbers = (int(rng.integers(1, 6)) + steps.cumsum()).tolist()
        for by_code in (False, True):
            table = wjx.wjx_table(questionnaire, submissions, by_code=by_code, numbers=numbers)
            name = wjx.wjx_filename(_activity_id(questionnaire.id), questionnaire, len(submissions), by_code=by_code)
            relative = f"online/wjx/{name}"
            output.xlsx(relative, [table], kind="wjx_code" if by_code else "wjx_text", platform="wjx",
                        questionnaire=questionnaire.id, mode="online")
            records += _records(relative, table, "序号", notes, wjx.item_headers(questionnaire, by_code=by_code))
            paths.append(relative)
    elif plan.online_platform == "tencent":
        table = tencent.tencent_table(questionnaire, submissions)
        layout = dict(quote_all=True, trailing_comma=True, line_terminator="\r\n")
        for relative, encoding, kind in (
                (f"online/tencent/{questionnaire.id}_tencent.csv", "utf-8-sig", "tencent_csv"),
                (f"online/tencent/{questionnaire.id}_tencent_gb18030.csv", "gb18030", "tencent_csv_gb18030")):
            output.csv(relative, table, kind=kind, platform="tencent", encoding=encoding,
                       questionnaire=questionnaire.id, mode="online", **layout)
            records += _records(relative, table, "编号", notes, tencent.item_headers(questionnaire))
            paths.append(relative)
    else:
        raise SurveyError(f"scenario: online platform of '{questionnaire.id}' must be 'wjx' or 'tencent'; "
                          f"found {plan.online_platform!r}")
    return records, paths


def _write_paper(output: DemoOutput, fielded: FieldedInstrument, seed: int) -> tuple[list[FlawRecord], list[str]]:
    questionnaire = fielded.questionnaire
    rng = instrument_rng(seed, questionnaire.id, "paper")
    prefix = "".join(word[0] for word in questionnaire.id.split("_")).upper()
    forms, form_notes = paper_forms(questionnaire, fielded.paper, rng, prefix)
    entry_a, entry_b, notes_a, notes_b = keyed_tables(questionnaire, forms, rng)
    paper_mapping = questionnaire.platform("paper")
    headers = {item_id: [column] for item_id, column in paper_mapping.columns.items()}
    records, paths = [], []
    for clerk, table, clerk_notes in (("A", entry_a, notes_a), ("B", entry_b, notes_b)):
        relative = f"paper/{questionnaire.id}_entry_{clerk}.xlsx"
        output.xlsx(relative, [table], kind="paper_entry", platform="paper", questionnaire=questionnaire.id,
                    mode="paper")
        row_of = {number: row for row, number in enumerate(table.column_values("表单编号"))}
        notes = [FlawNote(row_of[number], kind, item_id, detail)
                 for number, kind, item_id, detail in form_notes if number in row_of]
        records += _records(relative, table, "表单编号", sorted(notes + clerk_notes, key=lambda n: n.row), headers)
        paths.append(relative)
    return records, paths


# ----------------------------------------------------------------------------------------- entry point

def generate_demo(out_dir: str | pathlib.Path, *, seed: int = DEFAULT_SEED, sample_scale: float = 1.0,
                  questionnaires: Mapping[str, Any] | None = None,
                  instruments: Sequence[str] | None = None) -> DemoManifest:
    """Write the demo city's survey season into ``out_dir`` and return what was written.

    Deterministic: the same ``seed`` gives byte-identical files (workbook timestamps are fixed).
    ``sample_scale`` multiplies every sample size (e.g. 0.2 for quick tests; the verdict pattern the
    scenario aims for holds only at 1.0). ``questionnaires`` (id → Questionnaire) defaults to the
    bundled instruments; ``instruments`` limits the run to some of the scenario's instruments.
    """
    if not 0 < sample_scale <= 10:
        raise SurveyError(f"sample_scale must be in (0, 10]; found {sample_scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SurveyError(f"seed must be a non-negative integer; found {seed!r}")
    out_dir = pathlib.Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SurveyError(f"cannot create the demo folder '{out_dir}' ({error.strerror or error}); "
                          "choose another --out") from None
    questionnaires = dict(questionnaires) if questionnaires is not None else _load_questionnaires()
    chosen = list(scenario.INSTRUMENTS) if instruments is None else list(instruments)
    unknown = [plan_id for plan_id in chosen if plan_id not in scenario.INSTRUMENTS]
    if unknown:
        raise SurveyError(f"the demo scenario has no instrument {unknown}; it has {list(scenario.INSTRUMENTS)}")
    missing = [plan_id for plan_id in chosen if plan_id not in questionnaires]
    if missing:
        raise SurveyError(f"the demo needs the questionnaires {missing}; found only {sorted(questionnaires)}; "
                          "check questionnaires/*.yaml")
    output = DemoOutput(out_dir)
    city = build_city()
    _write_population(output, city)
    flaws: list[FlawRecord] = []
    instruments: dict[str, Any] = {}
    for instrument_id in chosen:
        plan = scenario.INSTRUMENTS[instrument_id]
        questionnaire = questionnaires[instrument_id]
        if plan.frame == "proposals":
            records, paths, summary = write_proposals(output, questionnaire, city, seed)
            flaws += records
            instruments[instrument_id] = {**summary, "exports": paths}
            continue
        fielded = field_instrument(questionnaire, plan, city, seed, sample_scale)
        paths: list[str] = []
        if fielded.online:
            records, written = _write_online(output, fielded, seed)
            flaws += records
            paths += written
        if fielded.paper:
            records, written = _write_paper(output, fielded, seed)
            flaws += records
            paths += written
        instruments[instrument_id] = _instrument_truth(fielded, output, paths)
    truth = {"seed": seed, "sample_scale": sample_scale, "city": dict(scenario.CITY),
             "adults": city.adults, "instruments": instruments}
    output.csv("truth/flaws.csv", ExportTable(_FLAW_COLUMNS, tuple(
        (r.export, r.row, r.record, r.kind, r.item, r.column, r.detail) for r in flaws)), kind="truth_flaws", platform="")
    output.text("truth/truth.json", json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
                kind="truth")
    used = {q_id: questionnaires[q_id] for q_id in chosen}
    output.text("study.yaml", study_yaml(used, output.entries, scenario.FIELD_PERIOD["wave"]), kind="study")
    manifest = {"seed": seed, "sample_scale": sample_scale, "files": [entry.to_dict() for entry in output.entries]}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return DemoManifest(out_dir, seed, sample_scale, tuple(output.entries), MappingProxyType(dict(output.tables)),
                        tuple(flaws), MappingProxyType(truth))


def _instrument_truth(fielded: FieldedInstrument, output: DemoOutput, paths: list[str]) -> dict[str, Any]:
    questionnaire, plan, model = fielded.questionnaire, fielded.plan, fielded.model
    headline = questionnaire.headline
    calibration = "all" if "all" in model.truths else "residents"
    rows = {path: output.by_path()[path].rows for path in paths}
    return {
        "questionnaire_version": questionnaire.version,
        "population": questionnaire.population,
        "headline_measure": headline.id,
        "threshold": headline.target.threshold if headline.target else None,
        "intended_verdict": plan.verdict,
        "headline_truth": model.truths[calibration][headline.id],
        "truth_population": calibration,
        "true_values": {frame: dict(values) for frame, values in model.truths.items()},
        "sample_sizes": dict(fielded.sizes),
        "completed_interviews": {"online": len(fielded.online), "paper": len(fielded.paper)},
        "exports": rows,
        "model": {"shift": model.shift, "alpha": {item_id: item.alpha for item_id, item in model.items.items()},
                  "dont_know": plan.dont_know, "planted": _planted(plan.effects)},
    }


def _planted(effects: scenario.PlantedEffects) -> dict[str, Any]:
    """The instrument's planted effects as truth.json records them (district codes as text, as JSON keys are)."""
    return {"district": {str(code): shift for code, shift in effects.district.items()}, "online": effects.online,
            "importance": dict(effects.importance), "item_offsets": dict(effects.item_offsets)}
