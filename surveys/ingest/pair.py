"""问卷星 code/label pairs: the 按选项序号 and 按选项文本 downloads of the same survey read together.

The code file gives the answers (option positions), the label file gives what each position means.
Rows are matched by 序号 (or by position when 序号 is absent) and questions by key. For a single
choice or matrix row, each (code, label) seen in the same row and question adds ``code → label`` to
``value_labels``; a code seen with two labels is a :class:`ParseProblem`. Option columns already name
their options. Other-text (``〖…〗``), which old code files lose, is taken from the label file, and so is
``NOT_ASKED`` where the code file has no answer (a skipped ranking is all ``-2`` there).
Validated on the two real pairs in ``shared/real-exports`` (800 and 4 rows).
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from surveys.errors import IngestError
from surveys.ingest.raw import NOT_ASKED, ParseProblem, RawExport, RawQuestion

__all__ = ["pair_exports"]


def _check_alignment(codes: RawExport, labels: RawExport) -> None:
    if codes.platform != "wjx" or labels.platform != "wjx":
        raise IngestError(f"a code/label pair must be two 问卷星 exports; found {codes.path.name} ({codes.platform}) "
                          f"and {labels.path.name} ({labels.platform})")
    if codes.coding != "codes" or labels.coding != "labels":
        raise IngestError(f"expected {codes.path.name} to be 按选项序号 (codes) and {labels.path.name} 按选项文本 "
                          f"(labels); found {codes.coding} and {labels.coding}; swap the two arguments")
    if codes.rows_read != labels.rows_read:
        raise IngestError(f"{codes.path.name} has {codes.rows_read} rows but {labels.path.name} has "
                          f"{labels.rows_read}; expected two downloads of the same responses; download both again")
    if "respondent_id" in codes.answers and "respondent_id" in labels.answers:
        left = codes.answers["respondent_id"].tolist()
        right = labels.answers["respondent_id"].tolist()
        for row, (one, other) in enumerate(zip(left, right), start=1):
            if one != other:
                raise IngestError(f"row {row}: 序号 {one!r} in {codes.path.name} but {other!r} in "
                                  f"{labels.path.name}; expected the same responses in the same order; "
                                  "download both files with the same filter and sort")


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
