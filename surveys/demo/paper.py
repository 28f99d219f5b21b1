"""Paper forms keyed twice: the data-entry workbooks of two clerks (docs/formats.md §11).

One row per form: ``表单编号`` (form number), ``调查员`` (interviewer), ``调查日期`` (interview date),
then one column per item named by the questionnaire's paper mapping, holding the code printed on the
form (multiple choice: the ticked codes joined by ``,``; free text as written). Items not asked and
items left blank are empty cells.

What is on the form is keyed by clerk A and again by clerk B. Each clerk mis-keys a few cells
independently (a neighbouring code, two adjacent cells swapped, a missed cell), so the two workbooks
disagree on about ``FLAW_RATES.keying_error`` of the cells; some forms reach only one clerk. Codes
outside the scale (6 or 9 on a 1–5 scale: two ticks, an unreadable mark) are on the form itself, so
both clerks key them.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from surveys.demo import scenario
from surveys.demo.files import ExportTable
from surveys.demo.online import FlawNote, answer_flaws
from surveys.demo.respondents import NOT_ASKED, Respondent

__all__ = ["META_COLUMNS", "PaperForm", "paper_forms", "keyed_tables"]

META_COLUMNS = ("表单编号", "调查员", "调查日期")
_OUT_OF_RANGE = (6, 9, 0, 7, 66)
_INTERVIEWERS = ("张明", "李娜", "王强", "赵静", "刘洋", "陈磊", "杨帆", "黄丽")


@dataclass(frozen=True)
class PaperForm:
    """One completed paper form: its number, interviewer, date and the cells as written on it."""

    number: str
    interviewer: str
    date: str
    respondent: Respondent
    cells: tuple[Any, ...]          # one per paper item column, as written on the form


def _items(questionnaire) -> list:
    mapping = questionnaire.platform("paper")
    return [item for item in questionnaire.items if mapping.column(item.id) is not None]


def _cell(item, value: Any) -> Any:
    if value is NOT_ASKED or value is None:
        return None
    if item.type == "multiple":
        return ",".join(str(code) for code in value)
    return value


def paper_forms(questionnaire, respondents: Sequence[Respondent], rng: np.random.Generator,
                prefix: str) -> tuple[list[PaperForm], list[tuple[str, str, str, str]]]:
    """The forms as filled in, and (form number, kind, item, detail) notes for their flaws."""
    items = _items(questionnaire)
    start = datetime.date.fromisoformat(scenario.FIELD_PERIOD["start"])
    days = (datetime.date.fromisoformat(scenario.FIELD_PERIOD["end"]) - start).days
    forms, notes = [], []
    for index, respondent in enumerate(respondents, start=1):
        number = f"{prefix}-{index:04d}"
        cells, overridden = [], set()
        for item in items:
            value = _cell(item, respondent.answers[item.id])
            scale = questionnaire.scales.get(item.scale) if item.scale else None
            if (scale is not None and item.type == "single" and item.role in ("satisfaction", "overall")
                    and value is not None and rng.random() < scenario.FLAW_RATES.out_of_range):
                # two ticks or an unreadable mark: the interviewer wrote a code the scale does not have
                wrong = int(rng.choice([code for code in _OUT_OF_RANGE if code not in scale.codes]))
                notes.append((number, "out_of_range_code", item.id, f"{wrong} keyed; scale codes {list(scale.codes)}"))
                value = wrong
                overridden.add(item.id)
            elif value is not None and item.role != "free_text" and rng.random() < scenario.FLAW_RATES.paper_blank:
                # the respondent left the question out; the form shows nothing to key
                notes.append((number, "blank", item.id, "left blank on the form"))
                value = None
                overridden.add(item.id)
            cells.append(value)
        for kind, item_id in answer_flaws(questionnaire, respondent.answers):
            if item_id not in overridden:     # the form shows the answer the note describes
                notes.append((number, kind, item_id, ""))
        date = start + datetime.timedelta(days=int(rng.integers(0, days + 1)))
        forms.append(PaperForm(number, str(rng.choice(_INTERVIEWERS)), date.isoformat(), respondent, tuple(cells)))
    return forms, notes


def _mis_key(value: Any, rng: np.random.Generator) -> tuple[str, Any]:
    kinds = scenario.KEYING["error_kinds"]
    kind = str(rng.choice(list(kinds), p=np.asarray(list(kinds.values())) / sum(kinds.values())))
    if kind == "missed_cell" or not isinstance(value, int):
        return "missed_cell", None
    if kind == "swapped_digits" and value >= 10 and value % 10 != value // 10 % 10:
        text = str(value)
        return "swapped_digits", int(text[:-2] + text[-1] + text[-2])
    step = 1 if value <= 1 or rng.random() < 0.5 else -1
    return "neighbouring_code", value + step


def _keyed(forms: Sequence[PaperForm], rng: np.random.Generator) -> tuple[list[list[Any]], list[tuple[int, int, str, Any]]]:
    """One clerk's keying of ``forms``: the cells and (form index, column index, kind, form value) errors."""
    rate = scenario.FLAW_RATES.keying_error / 2
    keyed, errors = [], []
    for form_index, form in enumerate(forms):
        cells = list(form.cells)
        column = 0
        while column < len(cells):
            if cells[column] is not None and rng.random() < rate:
                nxt = column + 1
                if (rng.random() < 0.2 and nxt < len(cells) and isinstance(cells[column], int)
                        and isinstance(cells[nxt], int) and cells[column] != cells[nxt] and cells[column] < 10):
                    # two adjacent single-digit cells keyed in the wrong order (transposed digits)
                    errors.append((form_index, column, "swapped_digits", cells[column]))
                    errors.append((form_index, nxt, "swapped_digits", cells[nxt]))
                    cells[column], cells[nxt] = cells[nxt], cells[column]
                    column += 2
                    continue
                kind, wrong = _mis_key(cells[column], rng)
                errors.append((form_index, column, kind, cells[column]))
                cells[column] = wrong
            column += 1
        keyed.append(cells)
    return keyed, errors


def keyed_tables(questionnaire, forms: Sequence[PaperForm], rng: np.random.Generator,
                 ) -> tuple[ExportTable, ExportTable, list[FlawNote], list[FlawNote]]:
    """Clerk A's and clerk B's workbooks (as tables) and the flaw notes of each."""
    items = _items(questionnaire)
    paper = questionnaire.platform("paper")
    columns = tuple(META_COLUMNS) + tuple(paper.column(item.id) for item in items)
    once = rng.random(len(forms)) < scenario.FLAW_RATES.keyed_once
    only_a = [i for i in np.flatnonzero(once) if rng.random() < 0.7]
    only_b = [i for i in np.flatnonzero(once) if i not in only_a]
    tables, notes = [], []
    for clerk, skip in (("A", set(int(i) for i in only_b)), ("B", set(int(i) for i in only_a))):
        kept = [index for index in range(len(forms)) if index not in skip]
        chosen = [forms[index] for index in kept]
        keyed, errors = _keyed(chosen, rng)
        rows = [(form.number, form.interviewer, form.date, *cells) for form, cells in zip(chosen, keyed)]
        clerk_notes = []
        by_row: dict[int, list[FlawNote]] = {}
        for form_index, column, kind, form_value in errors:
            by_row.setdefault(form_index, []).append(FlawNote(form_index, f"keying_{kind}", items[column].id,
                                                              f"form has {form_value!r}"))
        single = set(int(i) for i in np.flatnonzero(once))
        for row, original in enumerate(kept):
            if original in single:
                clerk_notes.append(FlawNote(row, "keyed_once", "", f"form {forms[original].number} keyed by clerk {clerk} only"))
            clerk_notes.extend(by_row.get(row, []))
        tables.append(ExportTable(columns, tuple(tuple(row) for row in rows), sheet="录入"))
        notes.append(clerk_notes)
    return tables[0], tables[1], notes[0], notes[1]
