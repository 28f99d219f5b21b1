"""The proposal register and the returned feedback forms (征询意见表), a census rather than a sample.

Every proposal handled this year is in the register (number, kind, submitter, title, lead department,
result class A–D, reply date, whether the feedback form came back). Each returned form is one row of
the feedback workbook, with the paper mapping's columns plus the submitter's name. Satisfaction
depends on the result class (``PROPOSALS`` in the scenario): near 100% with the handling work, a
little lower with the result, as published figures are (docs/scoring.md §5). The base of the indicator
is the returned forms; the register shows which forms did not come back.
"""
from __future__ import annotations

import datetime
from typing import Any

import numpy as np

from surveys.demo import scenario
from surveys.demo.city import CityPopulation
from surveys.demo.files import ExportTable
from surveys.demo.online import FlawNote, answer_flaws
from surveys.demo.output import DemoOutput, FlawRecord
from surveys.demo.respondents import NOT_ASKED, synthetic_name, visible_answers
from surveys.demo.season import instrument_rng

__all__ = ["write_proposals", "REGISTER_COLUMNS"]

REGISTER_COLUMNS = ("编号", "类别", "提出人", "提出人身份", "标题", "主办单位", "办理结果", "答复日期", "征询意见表回收")
_RETURN_BY_CLASS = {"A": 1.0, "B": 1.0, "C": 0.85, "D": 0.85}  # relative chance a form comes back


def _pick(rng: np.random.Generator, distribution) -> Any:
    keys = list(distribution)
    weights = np.asarray([distribution[key] for key in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _rating(rng: np.random.Generator, satisfied: bool, codes: dict[str, int]) -> int:
    if not satisfied:
        return codes["unsatisfied"]
    return codes["top"] if rng.random() < scenario.PROPOSALS["top_category_share"] else codes["basic"]


def _rating_codes(questionnaire, item_id: str) -> dict[str, int]:
    scale = questionnaire.scale_of(item_id)
    satisfied = [c.code for c in scale.categories if c.satisfied]
    other = [c.code for c in scale.categories if not c.satisfied and not c.dont_know]
    return {"top": satisfied[0], "basic": satisfied[-1], "unsatisfied": other[0]}


def _proposals(questionnaire, city: CityPopulation, rng: np.random.Generator) -> list[dict[str, Any]]:
    items = scenario.PROPOSAL_ITEMS
    class_codes = [c.code for c in questionnaire.scale_of(items["result_class"]).categories]
    letters = {code: "ABCD"[index] for index, code in enumerate(class_codes)}
    kind_scale = questionnaire.scale_of(items["kind"])
    deputy_scale = questionnaire.scale_of(items["deputy_type"])
    proposals = []
    counters = {1: 0, 2: 0}
    for row in city.proposals.itertuples(index=False):
        for _ in range(int(row.proposals)):
            counters[row.deputy_type] += 1
            prefix = "J" if row.deputy_type == 1 else "T"
            letter = _pick(rng, scenario.PROPOSALS["result_class_shares"])
            code = next(code for code, value in letters.items() if value == letter)
            reply = datetime.date(2026, 4, 20) + datetime.timedelta(days=int(rng.integers(0, 120)))
            proposals.append({
                "number": f"{prefix}2026-{counters[row.deputy_type]:03d}",
                "deputy_type": int(row.deputy_type), "department": row.department,
                "kind": int(_pick(rng, scenario.PROPOSAL_KINDS[int(row.deputy_type)])),
                "submitter": synthetic_name(rng), "title": str(rng.choice(scenario.PROPOSAL_TOPICS)) + ("的建议" if row.deputy_type == 1 else "的提案"),
                "class_letter": letter, "class_code": code, "reply": reply.isoformat(),
            })
    order = rng.permutation(len(proposals))
    proposals = [proposals[i] for i in order]
    proposals.sort(key=lambda p: p["number"])
    for proposal in proposals:
        proposal["kind_label"] = kind_scale.label(proposal["kind"])
        proposal["deputy_label"] = deputy_scale.label(proposal["deputy_type"])
    return proposals


def _answers(questionnaire, proposal: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    items = scenario.PROPOSAL_ITEMS
    shares = scenario.PROPOSALS
    letter = proposal["class_letter"]
    work = rng.random() < shares["work_satisfied_by_class"][letter]
    result = rng.random() < shares["result_satisfied_by_class"][letter]
    overall = result or (work and rng.random() < 0.5)
    fixed = {
        items["number"]: proposal["number"], items["deputy_type"]: proposal["deputy_type"],
        items["kind"]: proposal["kind"], items["department"]: proposal["department"],
        items["result_class"]: proposal["class_code"],
        items["on_time"]: 1 if rng.random() < 0.96 else 2, items["contacted"]: 1 if rng.random() < 0.9 else 2,
        items["work"]: _rating(rng, work, _rating_codes(questionnaire, items["work"])),
        items["result"]: _rating(rng, result, _rating_codes(questionnaire, items["result"])),
        items["overall"]: _rating(rng, overall, _rating_codes(questionnaire, items["overall"])),
    }
    answers: dict[str, Any] = {}
    for item in questionnaire.items:
        if not item.is_asked(visible_answers(answers)):
            answers[item.id] = NOT_ASKED
        elif item.id in fixed:
            answers[item.id] = fixed[item.id]
        elif item.type == "text":
            wanted = item.required or item.asked_if or rng.random() < shares["comment_share"]
            answers[item.id] = str(rng.choice(scenario.COMMENTS)) if wanted else None
        else:
            answers[item.id] = None
    return answers


def write_proposals(output: DemoOutput, questionnaire, city: CityPopulation, seed: int):
    """Write ``proposals/register.xlsx`` and ``proposals/feedback_forms.xlsx``; return flaw records,
    paths and the census summary for ``truth.json``."""
    rng = instrument_rng(seed, questionnaire.id, "census")
    proposals = _proposals(questionnaire, city, rng)
    returned_share = scenario.PROPOSALS["returned_share"]
    mean_return = np.mean([_RETURN_BY_CLASS[p["class_letter"]] for p in proposals])
    paper = questionnaire.platform("paper")
    mapped = [item for item in questionnaire.items if paper.column(item.id) is not None]
    number_column = paper.column(scenario.PROPOSAL_ITEMS["number"])
    columns = (number_column, "提出人") + tuple(paper.column(item.id) for item in mapped
                                              if item.id != scenario.PROPOSAL_ITEMS["number"])
    register_rows, form_rows, all_answers, returned_answers = [], [], [], []
    notes: list[FlawNote] = []
    for proposal in proposals:
        answers = _answers(questionnaire, proposal, rng)
        all_answers.append(answers)
        came_back = rng.random() < returned_share * _RETURN_BY_CLASS[proposal["class_letter"]] / mean_return
        register_rows.append((proposal["number"], proposal["kind_label"], proposal["submitter"],
                              proposal["deputy_label"], proposal["title"], proposal["department"],
                              f"{proposal['class_letter']}类", proposal["reply"], "是" if came_back else "否"))
        if not came_back:
            continue
        cells = [None if answers[item.id] is NOT_ASKED else answers[item.id] for item in mapped
                 if item.id != scenario.PROPOSAL_ITEMS["number"]]
        for kind, item_id in answer_flaws(questionnaire, answers):
            notes.append(FlawNote(len(form_rows), kind, item_id))
        form_rows.append((proposal["number"], proposal["submitter"], *cells))
        returned_answers.append(answers)
    register = ExportTable(REGISTER_COLUMNS, tuple(register_rows), sheet="建议提案登记")
    forms = ExportTable(columns, tuple(form_rows), sheet="征询意见表")
    output.xlsx("proposals/register.xlsx", [register], kind="proposal_register", platform="paper",
                questionnaire=questionnaire.id, mode="paper")
    output.xlsx("proposals/feedback_forms.xlsx", [forms], kind="proposal_feedback", platform="paper",
                questionnaire=questionnaire.id, mode="paper")
    headers = {item.id: [paper.column(item.id)] for item in mapped}
    records = [FlawRecord("proposals/feedback_forms.xlsx", note.row + 1, str(forms.rows[note.row][0]), note.kind,
                          note.item, headers[note.item][0], note.detail) for note in notes]
    return records, ["proposals/register.xlsx", "proposals/feedback_forms.xlsx"], _census_summary(
        questionnaire, all_answers, returned_answers)


def _census_summary(questionnaire, all_answers, returned_answers) -> dict[str, Any]:
    def rate(answers, measure) -> float:
        positive = measure.satisfied_codes or questionnaire.scale_of(measure.items[0]).satisfied_codes
        values = [a[measure.items[0]] for a in answers if isinstance(a[measure.items[0]], int)]
        return float(np.mean([value in positive for value in values])) if values else float("nan")

    measures = [m for m in questionnaire.measures if m.kind == "rate"]
    headline = questionnaire.headline
    return {
        "questionnaire_version": questionnaire.version,
        "population": questionnaire.population,
        "headline_measure": headline.id,
        "threshold": headline.target.threshold if headline.target else None,
        "intended_verdict": "met",
        "census": True,
        "note": ("a census of the returned feedback forms: the rate among returned forms is the indicator "
                 "(docs/scoring.md §5) and carries no sampling error; the rate had every form come back is given "
                 "for comparison (non-response)."),
        "proposals": len(all_answers),
        "forms_returned": len(returned_answers),
        "returned_share": len(returned_answers) / len(all_answers),
        "values_returned_forms": {m.id: rate(returned_answers, m) for m in measures},
        "values_all_proposals": {m.id: rate(all_answers, m) for m in measures},
        "headline_truth": rate(returned_answers, headline),
    }
