"""The demo's study spec (``study.yaml``): a first draft of the ``analysis/<study>/study.yaml`` format."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import yaml

from surveys.demo import scenario
from surveys.demo.output import ManifestEntry

__all__ = ["study_yaml", "STUDY_HEADER"]

STUDY_HEADER = """\
# study.yaml — the demo survey season of 秦川市 (format: analysis/README.md, "Study spec"; run it with
# `surveys run study.yaml --out DIR`, or `surveys demo --out DIR`, which runs analysis/demo/study.yaml on the
# generated files)
#
# Keys
#   study / wave:    id and bilingual title; the survey round the inputs belong to
#   questionnaires:  instruments used: id, version and the bundled file name
#   inputs:          one entry per export file, relative to this file: questionnaire, platform, mode, wave,
#                    variant (wjx: text = 按选项文本, code = 按选项序号; paper: entry_A / entry_B = the two keyings
#                    of the same forms; proposals: feedback / register), encoding (CSV only), pair (the other
#                    variant or keying: read together), copy_of (the same export in another encoding: ingested once),
#                    columns (item id → the file's header, for the proposal register)
#   validation:      quality rules (surveys.validate.ValidationRules.from_mapping)
#   margins:         population margin files, the tables to rake to (variables), the respondents they describe
#                    (rows) and the questionnaires they weight
#   weighting:       raking settings; measures: the indicators judged, with their targets
#   design:          how the sample was drawn (what the generator does: each mode × population sampled on its own
#                    with a fixed number of completes, respondents drawn one by one, no clusters)
#   robustness:      the alternatives every survey verdict is recomputed under (weights trimmed to 0.2–5 × mean)
#   analysis:        what to improve, for every survey target: group comparisons, drivers (四分图), reliability
"""

# What the generator does (surveys.demo.season): paper and online samples, and within them residents and market
# entities, are drawn separately with fixed sizes; respondents are drawn one by one (no clusters).
DESIGN = {
    "strata": ["mode", "population"],
    "description": {
        "zh": "纸质问卷与网络问卷分别收集，居民与市场主体的样本量按调查方式事先确定：按“调查方式 × 人群”分层；"
              "受访者逐一抽取，无整群（演示数据的生成方式）",
        "en": "paper and online samples collected separately, with fixed numbers of residents and market entities "
              "in each: strata are survey mode × population; respondents drawn one by one, no clusters (how the "
              "demo data are generated)",
    },
}


# the register's headers for the items it shares with the feedback form (surveys.demo.proposals.REGISTER_COLUMNS)
_REGISTER_COLUMNS = {"proposal_number": "编号", "deputy_type": "提出人身份", "handling_department": "主办单位",
                     "result_class": "办理结果"}


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
        if entry.kind == "proposal_register":
            record["columns"] = _REGISTER_COLUMNS
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
    sample_ids = [q.id for q in used if scenario.INSTRUMENTS[q.id].frame != "proposals"]
    market_ids = [q.id for q in used if scenario.INSTRUMENTS[q.id].frame == "residents+market"]
    margins = [{"file": "margins/residents.csv", "population": "residents",
                "label": {"zh": "常住居民（18岁及以上）", "en": "residents aged 18 and over"},
                "variables": ["district", "sex", "age_group"], "rows": {"respondent_type": [1]},
                "questionnaires": sample_ids}]
    if market_ids:
        margins.append({"file": "margins/enterprises.csv", "population": "market_entities",
                        "label": {"zh": "市场主体", "en": "market entities"},
                        "variables": ["respondent_type", "district", "enterprise_size"],
                        "rows": {"respondent_type": sorted(scenario.MARKET_ENTITY_MIX)},
                        "questionnaires": market_ids})
    document = {
        "study": {"id": "demo_qinchuan", "title": {"zh": f"{scenario.CITY['zh']}{wave}年度满意度调查（演示数据）",
                                                   "en": f"{scenario.CITY['en']} satisfaction surveys {wave} (demo data)"}},
        "wave": wave,
        "questionnaires": [{"id": q.id, "version": q.version, "file": q.source_path.name} for q in used],
        "inputs": inputs,
        "validation": {"outside_area": {"area": [scenario.PROVINCE]}},
        "margins": margins,
        "weighting": {"method": "rake", "base_weight": "population", "max_iterations": 100,
                      "on_nonconvergence": "raise", "min_category_respondents": 10},
        "measures": measures,
        "domains": ["district", "mode", "respondent_type", "sex", "age_group"],
        "design": DESIGN,
        "estimation": {"ci_method": "logit", "level": 0.95},
        "robustness": {"trim": [0.2, 5.0]},
        "analysis": {"groups": True, "drivers": True, "reliability": True},
        "report": {"lang": "zh"},
    }
    return STUDY_HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
