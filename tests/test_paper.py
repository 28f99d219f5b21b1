"""Paper forms: the entry template, double-entry reconciliation, OMR sentinels and their CLI commands."""
from __future__ import annotations

import csv
import pathlib

import openpyxl
import pandas as pd
import pytest

import surveys.cli
from surveys import load_questionnaire
from surveys.errors import IngestError, SurveyError
from surveys.ingest import read_export
from surveys.paper import (
    CODEBOOK_SHEET,
    ENTRY_SHEET,
    FORM_COLUMN,
    INSTRUCTIONS_SHEET,
    OMR_CONVENTIONS,
    OmrSentinels,
    apply_omr_sentinels,
    canonical_values,
    read_entry_workbook,
    reconcile_entries,
    write_entry_template,
)
from surveys.resources import bundled_questionnaires

QUESTIONNAIRES = pathlib.Path(__file__).resolve().parent.parent / "questionnaires"
PAPER_INSTRUMENTS = ("social_stability", "market_supervision", "grassroots_governance")


def _questionnaire(name: str):
    return load_questionnaire(QUESTIONNAIRES / f"{name}.yaml")


@pytest.fixture(scope="module")
def demo(demo_city):
    return demo_city


# ----------------------------------------------------------------------------- template

@pytest.mark.parametrize("path", bundled_questionnaires(), ids=lambda path: path.stem)
def test_template_opens_with_validations_codebook_and_locked_header(tmp_path, path):
    questionnaire = load_questionnaire(path)
    written = write_entry_template(questionnaire, tmp_path / "entry.xlsx", forms=40)
    workbook = openpyxl.load_workbook(written)
    assert workbook.sheetnames == [ENTRY_SHEET, CODEBOOK_SHEET, INSTRUCTIONS_SHEET]
    sheet = workbook[ENTRY_SHEET]
    header = [cell.value for cell in sheet[1]]
    paper = questionnaire.platform("paper")
    mapped = [paper.column(item.id) for item in questionnaire.items if paper.column(item.id)]
    assert header[0] == FORM_COLUMN and header[-len(mapped):] == mapped
    assert sheet.freeze_panes == "B2" and sheet.protection.sheet
    assert sheet["A1"].protection.locked and not sheet["B2"].protection.locked
    assert sheet["A2"].number_format == "@"          # form numbers stay text
    validations = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    for index, column in enumerate(header, start=1):
        item_id = paper.item_for_column(column)
        if item_id is None:
            continue
        item, scale = questionnaire.item(item_id), questionnaire.scale_of(item_id)
        letter = sheet.cell(row=1, column=index).column_letter
        if item.type == "single":
            validation = validations[f"{letter}2"]
            assert validation.type == "list"
            assert validation.formula1 == '"' + ",".join(str(code) for code in scale.codes) + '"'
            assert scale.categories[0].label.zh in validation.prompt
            assert str(validation.sqref) == f"{letter}2:{letter}41"
        if item.type == "text":
            assert sheet[f"{letter}2"].number_format == "@"
            assert sheet.column_dimensions[letter].width >= 2 * len(column)
    codebook = list(workbook[CODEBOOK_SHEET].iter_rows(values_only=True))
    assert len(codebook) == len(mapped) + 1
    overall = next(row for row in codebook if row[1] == "overall")
    assert overall[2] == questionnaire.item("overall").text.zh and "=" in overall[4]


def test_codebook_states_skip_logic(tmp_path):
    questionnaire = _questionnaire("social_stability")
    workbook = openpyxl.load_workbook(write_entry_template(questionnaire, tmp_path / "entry.xlsx", forms=5))
    rows = {row[1]: row for row in workbook[CODEBOOK_SHEET].iter_rows(values_only=True)}
    assert rows["petition_handling"][5] == "仅当 Q10 为 1（是） 时填写，否则留空"
    assert rows["overall"][5] is None


def test_template_rejects_a_bad_row_count(tmp_path):
    with pytest.raises(SurveyError, match="forms must be a whole number"):
        write_entry_template(_questionnaire("social_stability"), tmp_path / "x.xlsx", forms=0)


def _fill(template: pathlib.Path, target: pathlib.Path, rows: list[list]) -> pathlib.Path:
    workbook = openpyxl.load_workbook(template)
    sheet = workbook[ENTRY_SHEET]
    for row_index, values in enumerate(rows, start=2):
        for column_index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_index, column=column_index, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"      # typed into a text cell: Excel keeps it as text
    workbook.save(target)
    return target


def test_template_round_trips_through_reconcile(tmp_path):
    questionnaire = _questionnaire("social_stability")
    template = write_entry_template(questionnaire, tmp_path / "entry.xlsx", forms=30)
    # 表单编号, 调查员, 调查日期, Q1..Q14
    base = [[f"SS-{n:03d}", "张明", "2026-10-20", 1, 2, 3, 1, 2, 2, 1, 1, 2, 2, None, 1, 2, "无"] for n in range(1, 7)]
    first = [list(row) for row in base]
    second = [list(row) for row in base]
    second[0][3] = "1"            # text "1" equals number 1
    second[1][4] = " 2 "          # surrounding spaces do not count
    second[2][5] = 3.0            # 3.0 equals 3
    second[3][6] = 9              # a real difference: Q4 1 keyed as 9
    second[4][13] = 4             # a cell keyed by B only (A left it blank)
    del second[5]                 # SS-006 keyed by A only
    second.append(["SS-007", "李娜", "2026-10-21", 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, None, 1, 1, None])
    second.append(["SS-007", "李娜", "2026-10-21", 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, None, 1, 1, None])
    a = _fill(template, tmp_path / "a.xlsx", first)
    b = _fill(template, tmp_path / "b.xlsx", second)
    result = reconcile_entries(a, b, questionnaire)
    assert result.rows_first == 6 and result.rows_second == 7      # the 30-row template's empty rows are not data
    differences = result.discrepancies
    assert list(zip(differences["form"], differences["item"])) == [("SS-004", "sense_of_safety"),
                                                                    ("SS-005", "petition_handling")]
    assert differences.iloc[0]["first_value"] == 1 and differences.iloc[0]["second_value"] == 9
    assert differences.iloc[1]["first_value"] is None and differences.iloc[1]["second_value"] == 4
    assert result.keyed_once.to_dict("records") == [{"form": "SS-006", "keyed_in": "first", "row": 6}]
    assert result.duplicates.to_dict("records") == [{"form": "SS-007", "file": "second", "rows": (6, 7)}]
    assert list(result.agreed[FORM_COLUMN]) == ["SS-001", "SS-002", "SS-003"]
    for name, counts in result.accounting().items():
        parts = sum(value for key, value in counts.items() if key != "rows_read")
        assert parts == counts["rows_read"], (name, counts)

    report = result.report_frame()
    assert report["kind"].value_counts().to_dict() == {"value_differs": 2, "keyed_once": 1, "duplicate_form": 1}
    assert "second file rows 6, 7" in report.loc[report["kind"] == "duplicate_form", "detail"].iloc[0]
    result.write_report(tmp_path / "diff.csv")

    agreed = result.write_agreed(tmp_path / "agreed.xlsx")
    frame, form_column = read_entry_workbook(agreed, questionnaire)
    assert form_column == FORM_COLUMN and list(frame[FORM_COLUMN]) == ["SS-001", "SS-002", "SS-003"]
    assert frame["Q1"].tolist() == [1, 1, 1]
    raw = read_export(agreed, platform="generic")                    # the ingest readers accept it
    assert raw.rows_read == 3 and "Q13" in [question.key for question in raw.questions]


def test_title_rows_and_form_number_aliases_are_handled(tmp_path):
    questionnaire = _questionnaire("proposal_handling")
    header = list(questionnaire.platform("paper").columns.values())
    rows_a = [["2026年建议提案办理征询意见表"], header] + [[f"J{n:03d}", 1, 2, "市交通局", 1, 1, 1, 1, 1, 1, None, None]
                                                          for n in range(1, 4)]
    rows_b = [header] + [[f"J{n:03d}", 1, 2, "市交通局", 1, 1, 1, 1, 2, 1, None, None] for n in range(1, 4)]
    paths = []
    for name, rows in (("a", rows_a), ("b", rows_b)):
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(tmp_path / f"{name}.xlsx")
        paths.append(tmp_path / f"{name}.xlsx")
    result = reconcile_entries(*paths, questionnaire)
    assert result.form_column == "建议编号"      # the identifier item's paper column
    assert len(result.discrepancies) == 3 and set(result.discrepancies["item"]) == {"result_satisfaction"}
    assert list(result.discrepancies["first_row"]) == [1, 2, 3]


# ----------------------------------------------------------------------------- the demo's keyed pairs

@pytest.mark.parametrize("instrument", PAPER_INSTRUMENTS)
def test_reconciliation_finds_every_planted_keying_flaw(demo, instrument):
    questionnaire = _questionnaire(instrument)
    first = f"paper/{instrument}_entry_A.xlsx"
    second = f"paper/{instrument}_entry_B.xlsx"
    result = reconcile_entries(demo.out_dir / first, demo.out_dir / second, questionnaire)
    flaws = pd.read_csv(demo.out_dir / "truth" / "flaws.csv", dtype=str, keep_default_na=False)
    flaws = flaws[flaws["export"].isin([first, second])]
    keying = flaws[flaws["kind"].str.startswith("keying_")]
    once = flaws[flaws["kind"] == "keyed_once"]
    assert len(keying) > 0 and len(once) > 0            # the demo plants both kinds
    found = set(zip(result.discrepancies["form"], result.discrepancies["item"]))
    single = dict(zip(result.keyed_once["form"], result.keyed_once["keyed_in"]))
    for flaw in keying.itertuples(index=False):
        # a mis-keyed cell shows as a difference, unless its form reached only one clerk
        assert (flaw.record, flaw.item) in found or flaw.record in single, flaw
    for flaw in once.itertuples(index=False):
        assert single.get(flaw.record) == ("first" if flaw.export == first else "second"), flaw
    assert set(single) == set(once["record"])
    planted = set(zip(keying["record"], keying["item"]))
    assert found <= planted                             # no difference the demo did not plant
    assert result.duplicates.empty and result.unnumbered.empty
    counts = result.accounting()
    for name in ("first", "second"):
        assert sum(v for k, v in counts[name].items() if k != "rows_read") == counts[name]["rows_read"]


# ----------------------------------------------------------------------------- canonical values

def test_canonical_values_equal_the_same_answer_keyed_differently():
    values = pd.Series([1, "1", 1.0, " 1 ", "１", "1, 3", "1，3", None, float("nan"), "  ", "007", 2.5, "-1", "无"],
                       dtype=object)
    assert canonical_values(values).tolist() == ["1", "1", "1", "1", "1", "1,3", "1,3", "", "", "", "007", "2.5",
                                                 "-1", "无"]


# ----------------------------------------------------------------------------- OMR sentinels

def test_omr_sentinels_become_missing_with_a_problem_per_cell():
    frame = pd.DataFrame({"row": [1, 2, 3, 4], "Q1": [1, "*", None, 2], "Q2": ["*", 3, "", 9]}, dtype=object)
    result = apply_omr_sentinels(frame, OmrSentinels(blank="", multiple="*"))
    assert result.rows_read == len(result.answers) == 4
    assert result.answers["Q1"].tolist() == [1, None, None, 2]
    assert result.answers["Q2"].tolist() == [None, 3, None, 9]
    assert result.problems[["row", "column", "code"]].values.tolist() == [[1, "Q2", "multiple_marks"],
                                                                          [2, "Q1", "multiple_marks"]]
    assert result.rows_with_problems == 2 and result.blank_cells == 2
    assert frame.loc[1, "Q1"] == "*"                        # the input is not changed


def test_omr_numeric_convention_and_invalid_marks():
    frame = pd.DataFrame({"Q1": [-1, "-9999", 3, "-1"], "Q2": [2, 2, -9999.0, None]}, dtype=object)
    result = apply_omr_sentinels(frame, OMR_CONVENTIONS["minus_one_and_9999"], row_column=None)
    assert result.answers["Q1"].tolist() == [None, None, 3, None]
    assert result.problems[["row", "column", "code"]].values.tolist() == [[2, "Q1", "invalid_mark"],
                                                                          [3, "Q2", "invalid_mark"]]


def test_omr_sentinels_must_be_distinct():
    with pytest.raises(IngestError, match="distinct"):
        OmrSentinels(blank="-1", multiple="-1")


# ----------------------------------------------------------------------------- CLI

@pytest.fixture
def only_paper_commands(monkeypatch):
    monkeypatch.setattr(surveys.cli, "_COMMAND_MODULES", ("surveys.cli.paper",))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = surveys.cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_template_and_reconcile(only_paper_commands, capsys, tmp_path, demo):
    questionnaire = str(QUESTIONNAIRES / "grassroots_governance.yaml")
    status, out, err = _run(capsys, "template", questionnaire, "-o", str(tmp_path / "entry.xlsx"), "--forms", "20")
    assert status == 0, err
    assert out.startswith("wrote ") and "20 form rows" in out and (tmp_path / "entry.xlsx").exists()
    first = str(demo.out_dir / "paper" / "grassroots_governance_entry_A.xlsx")
    second = str(demo.out_dir / "paper" / "grassroots_governance_entry_B.xlsx")
    status, out, err = _run(capsys, "reconcile", first, second, "--questionnaire", questionnaire,
                            "-o", str(tmp_path / "agreed.xlsx"), "--report", str(tmp_path / "diff.csv"))
    assert status == 0, err
    expected = reconcile_entries(first, second, load_questionnaire(questionnaire))
    assert f"agreed: {len(expected.agreed)}" in out
    assert f"with differences: {expected.forms_differing} ({len(expected.discrepancies)} cells)" in out
    assert out.count("keyed once:") == 1 + len(expected.keyed_once)
    with open(tmp_path / "diff.csv", encoding="utf-8-sig", newline="") as handle:
        report = list(csv.DictReader(handle))
    assert sum(row["kind"] == "value_differs" for row in report) == len(expected.discrepancies)
    assert sum(row["kind"] == "keyed_once" for row in report) == len(expected.keyed_once)
    assert openpyxl.load_workbook(tmp_path / "agreed.xlsx")[ENTRY_SHEET].max_row == len(expected.agreed) + 1


def test_cli_reconcile_exits_2_on_an_unreadable_file(only_paper_commands, capsys, tmp_path):
    questionnaire = str(QUESTIONNAIRES / "social_stability.yaml")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    status, out, err = _run(capsys, "reconcile", str(broken), str(broken), "--questionnaire", questionnaire)
    assert status == 2 and err.startswith("error: broken.xlsx: cannot open the workbook")
    status, out, err = _run(capsys, "reconcile", str(tmp_path / "missing.xlsx"), str(broken),
                            "--questionnaire", questionnaire)
    assert status == 2 and err.startswith("error: ") and "no such file" in err
    status, out, err = _run(capsys, "template", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "e.xlsx"))
    assert status == 2 and err.startswith("error: ")


def test_cli_reconcile_reports_a_workbook_without_form_numbers(only_paper_commands, capsys, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "地址"])
    workbook.active.append(["x", "y"])
    workbook.save(tmp_path / "other.xlsx")
    status, out, err = _run(capsys, "reconcile", str(tmp_path / "other.xlsx"), str(tmp_path / "other.xlsx"),
                            "--questionnaire", str(QUESTIONNAIRES / "social_stability.yaml"))
    assert status == 2 and "no header row found" in err


def test_report_quotes_text_that_would_run_as_a_formula(tmp_path):
    questionnaire = _questionnaire("social_stability")
    template = write_entry_template(questionnaire, tmp_path / "entry.xlsx", forms=3)
    row = ["SS-001", "张明", "2026-10-20", 1, 2, 3, 1, 2, 2, 1, 1, 2, 2, None, 1, 2, "=HYPERLINK(\"x\")"]
    a = _fill(template, tmp_path / "a.xlsx", [row])
    b = _fill(template, tmp_path / "b.xlsx", [row[:-1] + ["无"]])
    report = reconcile_entries(a, b, questionnaire).write_report(tmp_path / "diff.csv")
    text = report.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    agreed = reconcile_entries(a, a, questionnaire).write_agreed(tmp_path / "agreed.xlsx")
    cell = openpyxl.load_workbook(agreed)[ENTRY_SHEET]["Q2"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"      # text, not a formula
