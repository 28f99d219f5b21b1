"""The demo's study spec (``study.yaml``): a first draft of the ``analysis/<study>/study.yaml`` format."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import yaml

from surveys.demo import scenario
from surveys.demo.output import ManifestEntry

__all__ = ["study_yaml", "STUDY_HEADER"]

STUDY_HEADER = """\
# study.yaml — the demo survey season of 秦川市 (a draft of the analysis/<study>/study.yaml format)
#
# Keys
#   study:           id and bilingual title of the study
#   wave:            the survey round all inputs belong to (a label, e.g. the year)
#   questionnaires:  instruments used: id, version and the bundled file name (surveys.resources.questionnaire_dir())
#   inputs:          one entry per export file, paths relative to this file:
#                      file, questionnaire, platform (wjx | tencent | paper), mode (online | paper), wave,
#                      variant (wjx: text = 按选项文本, code = 按选项序号; paper: entry_A / entry_B = the two
#                      keyings of the same forms; proposals: feedback / register), encoding (CSV only),
#                      pair (the file holding the same rows in the other variant or keying),
#                      copy_of (the same export saved again in another encoding: ingest only one of them)
#   margins:         population margin files (format: variable,category,population,share,source,as_of) and the
#                    population they describe (residents | market_entities); frame: which rows they weight
#   measures:        the indicators and their targets, copied from each questionnaire's headline measure:
#                      questionnaire, measure, threshold, comparison, rule (verdict rule of surveys.targets),
#                      census (true when the indicator is a census of returned forms, not a sample)
"""


def _variant(entry: ManifestEntry) -> str:
    if entry.kind.startswith("wjx_"):
        return entry.kind.removeprefix("wjx_")
    if entry.kind == "paper_entry":
        return "entry_" + entry.path.rsplit("_", 1)[-1].split(".")[0]
    if entry.kind.startswith("tencent_csv"):
        return "csv"
    return entry.kind.removeprefix("proposal_")


def _pair(entry: ManifestEntry, entries: Sequence[ManifestEntry]) -> str | None:
    """The file holding the same rows in the other 问卷星 variant or the other clerk's keying."""
    for other in entries:
        if other is entry or other.questionnaire != entry.questionnaire:
            continue
        if {other.kind, entry.kind} == {"wjx_text", "wjx_code"} or other.kind == entry.kind == "paper_entry":
            return other.path
    return None


def _copy_of(entry: ManifestEntry, entries: Sequence[ManifestEntry]) -> str | None:
    """For the GB18030 re-save of a 腾讯问卷 CSV: the original (ingest one of the two, not both)."""
    if entry.kind != "tencent_csv_gb18030":
        return None
    return next((e.path for e in entries if e.questionnaire == entry.questionnaire and e.kind == "tencent_csv"), None)


def study_yaml(questionnaires: Mapping[str, Any], entries: Sequence[ManifestEntry], wave: str) -> str:
    used = [q for q_id, q in questionnaires.items() if q_id in scenario.INSTRUMENTS]
    inputs = []
    for entry in entries:
        if not entry.questionnaire:
            continue
        record: dict[str, Any] = {"file": entry.path, "questionnaire": entry.questionnaire,
                                  "platform": entry.platform, "mode": entry.mode, "wave": wave,
                                  "variant": _variant(entry)}
        if entry.encoding != "xlsx":
            record["encoding"] = entry.encoding
        pair, copy_of = _pair(entry, entries), _copy_of(entry, entries)
        if pair:
            record["pair"] = pair
        if copy_of:
            record["copy_of"] = copy_of
        inputs.append(record)
    measures = []
    for questionnaire in used:
        headline = questionnaire.headline
        target = headline.target
        measures.append({
            "questionnaire": questionnaire.id, "measure": headline.id,
            "threshold": target.threshold if target else None,
            "comparison": target.comparison if target else None,
            "rule": target.rule if target else None,
            "census": scenario.INSTRUMENTS[questionnaire.id].frame == "proposals",
        })
    document = {
        "study": {"id": "demo_qinchuan", "title": {"zh": f"{scenario.CITY['zh']}{wave}年度满意度调查（演示数据）",
                                                   "en": f"{scenario.CITY['en']} satisfaction surveys {wave} (demo data)"}},
        "wave": wave,
        "questionnaires": [{"id": q.id, "version": q.version, "file": q.source_path.name} for q in used],
        "inputs": inputs,
        "margins": [
            {"file": "margins/residents.csv", "population": "residents", "frame": "respondent_type 1 (residents)"},
            {"file": "margins/enterprises.csv", "population": "market_entities",
             "frame": "respondent_type 2–4 (enterprises, self-employed, other organisations)"},
        ],
        "measures": measures,
    }
    return STUDY_HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
