"""问卷星 序号/文本 pairs are decoded from what the platform means: the stored labels are the text download's.

On the real 2018 pair (800 respondents; nobody chose the first age option, so the data's age codes start at 2),
``surveys questionnaire infer CODE --labels TEXT`` then ``surveys ingest CODE TEXT`` must store every respondent
once, with each answer's label equal to the 按选项文本 download's cell, row for row — also after every respondent
of one option is removed from both files (copies built in tmp_path), which opens a gap in the positions seen.
The real files are read in place and never copied into the repository.
"""
from __future__ import annotations

import json
import pathlib
from collections import Counter

import openpyxl
import pandas as pd
import pytest

from surveys.cli import main
from surveys.errors import IngestError
from surveys.ingest import read_export
from surveys.questionnaire import load_questionnaire
from surveys.store.database import Store, ingest_files

REAL_EXPORTS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-exports"
CODE = REAL_EXPORTS / "wjx_reportgen_800_800_2_code.xls"
TEXT = REAL_EXPORTS / "wjx_reportgen_800_800_0_text.xls"

pytestmark = pytest.mark.skipif(not CODE.is_file() or not TEXT.is_file(), reason="../shared/real-exports/ is absent")


def _infer_and_ingest(code: pathlib.Path, text: pathlib.Path, folder: pathlib.Path, capsys) -> tuple:
    draft, store = folder / "draft.yaml", folder / "store.sqlite"
    assert main(["questionnaire", "infer", str(code), "--labels", str(text), "-o", str(draft)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(code), str(text), "--questionnaire", str(draft), "--store", str(store), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    return load_questionnaire(draft), Store(store), files


def _stored_labels(store: Store, questionnaire, item_id: str) -> pd.Series:
    """Each respondent's stored answer as the questionnaire's labels (a frozenset for multiple choice)."""
    frame = store.responses(questionnaire.id).set_index("record_id")
    scale = questionnaire.scale_of(item_id)

    def label(value):
        if isinstance(value, tuple):
            return frozenset(scale.label(code, "zh") for code in value)
        return None if value is None or value is pd.NA else scale.label(int(value), "zh")
    return frame[item_id].map(label)


def _text_labels(text: pathlib.Path, key: str) -> pd.Series:
    """Each respondent's answer as the 按选项文本 download writes it."""
    raw = read_export(text)
    values = raw.answers[key].map(lambda value: frozenset(value) if isinstance(value, tuple)
                                  else (value if isinstance(value, str) else None))
    return pd.Series(values.to_numpy(), index=raw.answers["respondent_id"].astype(str))


def _assert_labels_match(questionnaire, store: Store, text: pathlib.Path, rows: int) -> None:
    columns = questionnaire.platform("wjx").columns
    choice_items = [item for item in questionnaire.items if item.type in ("single", "multiple")]
    assert len(choice_items) == 8
    for item in choice_items:
        stored = _stored_labels(store, questionnaire, item.id)
        expected = _text_labels(text, columns[item.id])
        assert len(stored) == rows == len(expected)
        joined = pd.DataFrame({"stored": stored, "text": expected.reindex(stored.index)})
        differ = joined[joined["stored"] != joined["text"]]
        assert differ.empty, f"{item.id}: {len(differ)} respondents stored with another label, e.g. {differ.head(3)}"
        # and so the counts agree, label by label
        if item.type == "single":
            assert Counter(stored) == Counter(expected)


def test_the_real_pair_is_stored_once_with_the_text_downloads_labels(tmp_path, capsys):
    questionnaire, store, files = _infer_and_ingest(CODE, TEXT, tmp_path, capsys)
    assert len(store.responses(questionnaire.id)) == 800 and len(store.batches()) == 1
    assert [entry["role"] for entry in files] == ["ingested", "labels_for"]
    assert files[0]["accepted"] + files[0]["rejected"] == 800 and files[0]["reasons"] == {}
    age = questionnaire.scale_of("q4")
    # nobody chose the first age option: it keeps its code 1 (a placeholder to name), 16~19岁 keeps code 2
    assert age.codes[:2] == (1, 2) and age.label(2, "zh") == "16~19岁" and age.label(9, "zh") == "60岁以上"
    assert age.categories[0].label.zh == "选项1（无人选择）"
    _assert_labels_match(questionnaire, store, TEXT, 800)


def _without(source: pathlib.Path, target: pathlib.Path, respondents: set[str]) -> pathlib.Path:
    """A copy of a 问卷星 download (as xlsx) without the rows of ``respondents`` (序号 in the first column)."""
    table = pd.read_excel(source, header=None, dtype=object, engine="calamine")
    kept = table[[index == 0 or str(value).removesuffix(".0") not in respondents
                  for index, value in zip(table.index, table[0])]]
    book = openpyxl.Workbook()
    for row in kept.itertuples(index=False, name=None):
        book.active.append([None if value is None or value != value else value for value in row])
    book.save(target)
    return target


@pytest.mark.parametrize("key, label", [("1", "1部"), ("4", "20~24岁"), ("5", "不知道/拒绝回答")],
                         ids=["first option", "middle option", "last option"])
def test_labels_still_match_with_an_option_nobody_chose(tmp_path, capsys, key, label):
    text_answers = read_export(TEXT).answers
    chose = set(text_answers.loc[text_answers[key] == label, "respondent_id"].astype(str))
    assert chose
    code = _without(CODE, tmp_path / "800_2.xlsx", chose)
    text = _without(TEXT, tmp_path / "800_0.xlsx", chose)
    questionnaire, store, files = _infer_and_ingest(code, text, tmp_path, capsys)
    rows = 800 - len(chose)
    assert len(store.responses(questionnaire.id)) == rows and files[1]["role"] == "labels_for"
    item = next(item_id for item_id, column in questionnaire.platform("wjx").columns.items() if column == key)
    assert label not in [c.label.zh for c in questionnaire.scale_of(item).categories]
    _assert_labels_match(questionnaire, store, text, rows)


def test_a_draft_with_another_option_order_is_refused(tmp_path, capsys):
    """A draft from the text download alone guesses the positions; the pair shows they are wrong, and ingest stops."""
    draft = tmp_path / "from_text.yaml"
    assert main(["questionnaire", "infer", str(TEXT), "-o", str(draft)]) == 0
    assert "option positions unverified" in draft.read_text(encoding="utf-8")
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(IngestError, match=r"reads the 问卷星 option positions as other options") as error:
        ingest_files(store, [CODE, TEXT], load_questionnaire(draft))
    assert "16~19岁" in str(error.value) and "--labels TEXT_EXPORT" in str(error.value)
    assert store.batches().empty
