"""Conformance: every real export in shared/real-exports and every demo export is read with every row.

The real files are read in place (never copied; nothing of their content is asserted beyond
structure and counts). Row counts are checked against an independent count: the sheet height from
python-calamine, or the CSV records from the csv module, minus the header rows.
"""
from __future__ import annotations

import csv
import io
import pathlib

import pytest

from surveys.errors import IngestError
from surveys.ingest import (
    NOT_A_RESPONSE_EXPORT,
    NOT_ASKED,
    detect_platform,
    read_export,
    read_export_pair,
)

REAL = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-exports"
DEFINITIONS = (".lss", ".json")
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-exports is not present")


def independent_rows(path: pathlib.Path, header_rows: int) -> int:
    if path.suffix in (".xls", ".xlsx"):
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python()
    else:
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    while rows and not any(str(cell).strip() for cell in rows[-1]):
        rows.pop()
    return len(rows) - header_rows


def real_files(*suffixes: str) -> list[pathlib.Path]:
    if not REAL.is_dir():
        return []
    return sorted(path for path in REAL.iterdir() if path.suffix in suffixes)


@needs_real
@pytest.mark.parametrize("path", real_files(".xls", ".xlsx", ".csv"), ids=lambda p: p.name)
def test_every_real_tabular_export_is_read_with_every_row(path):
    if path.name.startswith("xlsform_"):
        with pytest.raises(IngestError, match=NOT_A_RESPONSE_EXPORT):
            read_export(path)
        return
    export = read_export(path)
    assert export.platform == detect_platform(path) == path.name.split("_")[0]
    assert export.rows_read == independent_rows(path, export.header_rows) > 0
    assert export.answers["row"].tolist() == list(range(1, export.rows_read + 1))
    assert export.answers["respondent_id"].notna().all()
    assert export.problems == ()
    assert all(q.kind in ("single", "multiple", "matrix_row", "ranking", "text", "number") for q in export.questions)


@needs_real
@pytest.mark.parametrize("path", real_files(*DEFINITIONS), ids=lambda p: p.name)
def test_instrument_definitions_are_recognised(path):
    with pytest.raises(IngestError, match=NOT_A_RESPONSE_EXPORT):
        read_export(path)


@needs_real
@pytest.mark.parametrize("path", real_files(".sav"), ids=lambda p: p.name)
def test_real_spss_files(path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, _ = pyreadstat.read_sav(str(path))
    export = read_export(path)
    assert export.platform == "spss" and export.rows_read == len(frame) > 0


@needs_real
@pytest.mark.parametrize("stem", ["wjx_reportgen_800_800", "wjx_zte_All_Data"])
def test_real_code_and_text_pairs(stem):
    code = next(REAL.glob(f"{stem}*code*.xls"))
    text = next(REAL.glob(f"{stem}*text*.xls"))
    pair = read_export_pair(code, text)
    labels = read_export(text)
    assert pair.rows_read == labels.rows_read
    assert pair.problems == ()
    by_key = {q.key: q for q in labels.questions}
    for question in pair.questions:
        if question.kind not in ("single", "matrix_row"):
            continue
        # every code is labelled, and decoding the codes reproduces the text export cell for cell
        decoded = [question.value_labels.get(code, code) if isinstance(code, int) else code
                   for code in pair.answers[question.key]]
        assert decoded == labels.answers[by_key[question.key].key].tolist(), question.key
    skipped_text = sum(value is NOT_ASKED for column in labels.answers for value in labels.answers[column])
    skipped_code = sum(value is NOT_ASKED for column in pair.answers for value in pair.answers[column])
    assert skipped_text == skipped_code


@pytest.fixture(scope="module")
def demo(demo_city):
    return demo_city


def test_every_demo_export_is_read_back_with_every_row(demo):
    checked = 0
    for entry in demo.files:
        if entry.platform not in ("wjx", "tencent", "paper"):
            continue
        path = demo.out_dir / entry.path
        if entry.platform == "paper":
            export = read_export(path, platform="generic")
        else:
            assert detect_platform(path) == entry.platform
            export = read_export(path)
            assert export.encoding == entry.encoding
        table = demo.tables[entry.path]
        assert export.rows_read == entry.rows == len(table.rows), entry.path
        assert export.sha256 == entry.sha256
        key = table.columns[0]
        expected_ids = [str(value) for value in table.column_values(key)]
        actual = export.answers["respondent_id"] if "respondent_id" in export.answers else export.answers[key]
        assert [str(value) for value in actual] == expected_ids, entry.path
        if entry.platform == "wjx":
            sentinel = -3 if export.coding == "codes" else "(跳过)"
            skipped_cells = sum(row.count(sentinel) for row in table.rows)
            skipped_answers = sum(value is NOT_ASKED for column in export.answers for value in export.answers[column])
            assert skipped_answers <= skipped_cells  # option columns of one question share one NOT_ASKED
            assert (skipped_answers == 0) == (skipped_cells == 0)
        checked += 1
    assert checked >= 10


def test_demo_wjx_pairs_label_every_code(demo):
    texts = [entry for entry in demo.files if entry.kind == "wjx_text"]
    assert texts
    for text in texts:
        code = next(entry for entry in demo.files if entry.kind == "wjx_code" and entry.questionnaire == text.questionnaire)
        pair = read_export_pair(demo.out_dir / code.path, demo.out_dir / text.path)
        assert pair.rows_read == text.rows and pair.problems == ()
        for question in pair.questions:
            if question.kind == "single":
                codes = {value for value in pair.answers[question.key] if isinstance(value, int)}
                assert codes <= set(question.value_labels), question.key
