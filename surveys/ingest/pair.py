"""问卷星 code/label pairs: the 按选项序号 and 按选项文本 downloads of the same survey read together.

The code file gives the answers (option positions), the label file gives what each position means.
Rows are matched by position, after checking that both files hold the same 序号 and submission times
row by row (:func:`alignment_problem`; :func:`find_pairs` finds the pairs among several exports), and
questions by key. For a single
choice or matrix row, each (code, label) seen in the same row and question adds ``code → label`` to
``value_labels``; a code seen with two labels is a :class:`ParseProblem`. Option columns already name
their options. Other-text (``〖…〗``), which old code files lose, is taken from the label file, and so is
``NOT_ASKED`` where the code file has no answer (a skipped ranking is all ``-2`` there).
Validated on two public real pairs (800 and 4 rows; read in place by ``tests/test_wjx_pair_decoding.py``).
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import pandas as pd

from surveys.errors import IngestError
from surveys.ingest.raw import NOT_ASKED, ParseProblem, RawExport, RawQuestion

__all__ = ["pair_exports", "find_pairs", "alignment_problem"]


def _column(export: RawExport, name: str) -> list | None:
    if name not in export.answers:
        return None
    return ["" if value is None or value is pd.NaT or value != value else str(value)
            for value in export.answers[name].tolist()]


def alignment_problem(codes: RawExport, labels: RawExport) -> str:
    """Why ``codes`` and ``labels`` are not the 按选项序号 and 按选项文本 downloads of the same responses ("" when
    they are): both 问卷星, one of each coding, the same number of rows, most question numbers of the code export in the
    label export, and row by row
    the same 序号 and the same submission time."""
    if codes.platform != "wjx" or labels.platform != "wjx":
        return (f"a code/label pair must be two 问卷星 exports; found {codes.path.name} ({codes.platform}) and "
                f"{labels.path.name} ({labels.platform})")
    if codes.coding != "codes" or labels.coding != "labels":
        return (f"expected {codes.path.name} to be 按选项序号 (codes) and {labels.path.name} 按选项文本 (labels); "
                f"found {codes.coding} and {labels.coding}; swap the two files")
    if codes.rows_read != labels.rows_read:
        return (f"{codes.path.name} has {codes.rows_read} rows but {labels.path.name} has {labels.rows_read}; "
                "expected two downloads of the same responses; download both again")
    code_keys = {question.key for question in codes.questions}
    label_keys = {question.key for question in labels.questions}
    if len(code_keys & label_keys) * 2 < len(code_keys):
        differ = sorted(code_keys - label_keys)[:8]
        return (f"most questions of {codes.path.name} are not in {labels.path.name} (e.g. {differ}); "
                "expected two downloads of one survey")
    for name, words in (("respondent_id", "序号"), ("submitted_at", "提交答卷时间")):
        left, right = _column(codes, name), _column(labels, name)
        if left is None or right is None:
            continue
        for row, (one, other) in enumerate(zip(left, right), start=1):
            if one != other:
                return (f"row {row}: {words} {one!r} in {codes.path.name} but {other!r} in {labels.path.name}; "
                        "expected the same responses in the same order; download both files with the same filter "
                        "and sort")
    return ""


def _check_alignment(codes: RawExport, labels: RawExport) -> None:
    problem = alignment_problem(codes, labels)
    if problem:
        raise IngestError(problem)


def find_pairs(exports: Sequence[RawExport]) -> list[tuple[int, int]]:
    """(code export index, label export index) for every 按选项序号 export whose 按选项文本 twin is among
    ``exports`` (:func:`alignment_problem` finds nothing); each export is in at most one pair."""
    pairs, taken = [], set()
    for code_index, codes in enumerate(exports):
        if codes.platform != "wjx" or codes.coding != "codes":
            continue
        for label_index, labels in enumerate(exports):
            if label_index in taken or labels.coding != "labels" or label_index == code_index:
                continue
            if not alignment_problem(codes, labels):
                pairs.append((code_index, label_index))
                taken.add(label_index)
                break
    return pairs


def _value_labels(question: RawQuestion, codes: list, labels: list, problems: list) -> dict:
    mapping: dict = {}
    for row, (code, label) in enumerate(zip(codes, labels), start=1):
        if not isinstance(code, int) or code is NOT_ASKED or not isinstance(label, str):
            continue
        known = mapping.setdefault(code, label)
        if known != label:
            problems.append(ParseProblem(row, question.columns[0], f"{code}", f"code {code} is labelled "
                                         f"{known!r} in one row and {label!r} in another"))
    return dict(sorted(mapping.items()))


def pair_exports(codes: RawExport, labels: RawExport) -> RawExport:
    """The code export with ``value_labels`` (and titles, other-text) completed from the label export."""
    _check_alignment(codes, labels)
    by_key = {question.key: question for question in labels.questions}
    answers = codes.answers.copy()
    problems = list(codes.problems)
    questions = []
    for question in codes.questions:
        partner = by_key.get(question.key)
        if partner is None:
            problems.append(ParseProblem(0, question.columns[0], "", f"no question '{question.key}' in "
                                         f"{labels.path.name}; its codes have no labels"))
            questions.append(question)
            continue
        changes: dict = {}
        if not question.title:
            changes["title"] = partner.title
        code_values = answers[question.key].tolist()
        label_values = labels.answers[partner.key].tolist()
        if any(code is None and label is NOT_ASKED for code, label in zip(code_values, label_values)):
            # a ranking skipped as a whole is all -2 in the code file; the text file says (跳过)
            answers[question.key] = pd.Series([NOT_ASKED if code is None and label is NOT_ASKED else code
                                               for code, label in zip(code_values, label_values)], dtype=object)
        if question.kind in ("single", "matrix_row"):
            changes["value_labels"] = _value_labels(question, codes.answers[question.key].tolist(),
                                                    labels.answers[partner.key].tolist(), problems)
            changes["options"] = tuple(changes["value_labels"].values())
        if partner.other_column and not question.other_column:
            column = partner.other_column if partner.other_column not in answers else f"{question.key}.other_text"
            answers[column] = pd.Series(labels.answers[partner.other_column].tolist(), dtype=object)
            changes["other_column"] = column
        questions.append(dataclasses.replace(question, **changes))
    problems.sort(key=lambda problem: problem.row)
    return dataclasses.replace(codes, questions=tuple(questions), answers=answers, problems=tuple(problems),
                               label_path=labels.path, label_sha256=labels.sha256)
