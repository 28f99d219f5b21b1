"""``surveys init EXPORT... --out DIR`` then ``surveys run DIR/study.yaml``: from a real export to a report, no
YAML written by hand.

One test per platform of ``shared/real-exports`` (skipped when the folder is absent; the files are read in place):
the drafted study runs as it is, writes report.xlsx and report.html, accounts for every row (rows read = accepted
+ rejected; a 按选项文本 file read for its labels counts its rows in its code file), and, while margins.csv is
blank, says on every page of the report that the estimates are unweighted. Questionnaire definitions (.lss,
XLSForm, Kobo JSON) are refused. Filling margins.csv (by a test, as an analyst would) turns the weighting on.
"""
from __future__ import annotations

import csv
import pathlib

import openpyxl
import pandas as pd
import pytest

from surveys.cli import main
from surveys.ingest import read_export
from surveys.report.labels import label

REAL_EXPORTS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-exports"
pytestmark = pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="../shared/real-exports/ is absent")

PLATFORMS = {
    "wjx_pair_2018": ("wjx_reportgen_800_800_2_code.xls", "wjx_reportgen_800_800_0_text.xls"),
    "wjx_pair_2016": ("wjx_zte_All_Data_Original_code.xls", "wjx_zte_All_Data_Readable_text.xls"),
    "wjx_text": ("wjx_reportgen_800_800_0_text.xls",),
    "qualtrics": ("qualtrics_sample_3header.csv",),
    "qualtrics_legacy": ("qualtrics_sample_legacy_2header.csv",),
    "spss": ("spss_pyreadstat_sample.sav",),
    "spss_missing": ("spss_pyreadstat_missing_test.sav",),
    "spss_multiple_response": ("spss_pyreadstat_multiple_response_simple_alltypes.sav",),
}
DEFINITIONS = ("limesurvey_survey-one-question-two-languages.lss", "xlsform_UCL_Biomass_Plot_Form.xlsx",
               "xlsform_pyxform_group.xlsx", "kobo_formpack_customer_satisfaction_v1.json")


def _init_and_run(files: tuple[str, ...], tmp_path: pathlib.Path, capsys, *charts: str) -> tuple[pathlib.Path, str]:
    study_dir, out = tmp_path / "study", tmp_path / "results"
    assert main(["init", *(str(REAL_EXPORTS / name) for name in files), "--out", str(study_dir)]) == 0
    printed = capsys.readouterr().out
    assert "checklist:" in printed and "surveys run" in printed
    assert main(["run", str(study_dir / "study.yaml"), "--out", str(out), *charts]) == 0
    capsys.readouterr()
    return out, printed


def _assert_every_row_accounted_for(out: pathlib.Path, files: tuple[str, ...]) -> pd.DataFrame:
    accounting = pd.read_csv(out / "accounting.csv", encoding="utf-8-sig")
    assert sorted(accounting["file"]) == sorted(files)
    ingested = accounting[accounting["role"] == "ingested"]
    assert (ingested["rows_read"] == ingested["accepted"] + ingested["rejected"]).all()
    for row in accounting.itertuples():
        assert row.rows_read == read_export(REAL_EXPORTS / row.file).rows_read
    labels = accounting[accounting["role"] == "labels"]
    assert len(ingested) + len(labels) == len(files) and len(ingested) == 1
    assert (labels["accepted"] == 0).all() and (labels["rows_read"] == ingested["rows_read"].iloc[0]).all()
    return accounting


def _assert_unweighted_on_every_page(out: pathlib.Path) -> None:
    notice = label("unweighted", "zh")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count(notice) == html.count("<section") + 1         # the title page and every section
    book = openpyxl.load_workbook(out / "report.xlsx")
    for sheet in book.worksheets:
        assert sheet["A2"].value == notice and notice in sheet.oddHeader.center.text, sheet.title


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_init_then_run_writes_a_report_with_every_row_accounted_for(platform, tmp_path, capsys):
    files = PLATFORMS[platform]
    charts = () if platform == "wjx_pair_2018" else ("--no-charts",)
    out, printed = _init_and_run(files, tmp_path, capsys, *charts)
    assert (out / "report.xlsx").is_file() and (out / "report.html").is_file()
    accounting = _assert_every_row_accounted_for(out, files)
    study = (tmp_path / "study" / "study.yaml").read_text(encoding="utf-8")
    assert "threshold_source: study" in study and "threshold: 0.80" in study
    scoreboard = pd.read_csv(out / "scoreboard.csv", encoding="utf-8-sig")
    assert scoreboard["threshold_source"].tolist() == ["study"] and scoreboard["threshold"].tolist() == [0.8]
    if accounting["accepted"].sum() >= 2:    # something to estimate: unweighted until the margins are filled
        assert (tmp_path / "study" / "margins.csv").is_file() or "no demographic item" in printed
        _assert_unweighted_on_every_page(out)
        assert scoreboard["verdict"].iloc[0] != "no_data"
    else:
        assert scoreboard["verdict"].tolist() == ["no_data"]
    if platform.startswith("wjx_pair"):
        assert "variant: code" in study and "pair:" in study and "按选项序号 and 按选项文本" in printed


@pytest.mark.parametrize("name", DEFINITIONS)
def test_questionnaire_definitions_are_refused(name, tmp_path, capsys):
    assert main(["init", str(REAL_EXPORTS / name), "--out", str(tmp_path / "study")]) == 2
    assert "not a response export" in capsys.readouterr().err
    assert not (tmp_path / "study" / "study.yaml").exists()


def _fill(margins: pathlib.Path, variables: dict[str, dict[str, int]]) -> None:
    """Fill the population column of the template's rows for ``variables`` (as an analyst would in Excel)."""
    lines = margins.read_text(encoding="utf-8").splitlines()
    rows = []
    for line in lines:
        if line.startswith("#") or line.startswith("variable,"):
            rows.append(line)
            continue
        fields = next(csv.reader([line]))
        if fields[0] in variables:
            fields[2] = str(variables[fields[0]][fields[1]])
        rows.append(",".join(fields))
    margins.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_filling_the_margins_turns_the_weighting_on(tmp_path, capsys):
    files = PLATFORMS["wjx_pair_2018"]
    _init_and_run(files, tmp_path, capsys, "--no-charts", "--no-report")
    study_dir = tmp_path / "study"
    assert main(["init", *(str(REAL_EXPORTS / name) for name in files), "--out", str(study_dir)]) == 2
    assert "--force" in capsys.readouterr().err            # a filled-in margins.csv is not overwritten by accident
    sex = {"1": 510_000, "2": 490_000}
    age = {str(code): count for code, count in zip(range(2, 10), (40_000, 80_000, 120_000, 140_000, 150_000,
                                                                 200_000, 150_000, 120_000))}
    _fill(study_dir / "margins.csv", {"q3": sex, "q4": age})
    out = tmp_path / "weighted"
    assert main(["run", str(study_dir / "study.yaml"), "--out", str(out), "--no-charts"]) == 0
    printed = capsys.readouterr().out
    assert "q5, q7" in printed                              # the tables left blank are named, not weighted to
    html = (out / "report.html").read_text(encoding="utf-8")
    assert label("unweighted", "zh") not in html
    margins = pd.read_csv(out / "weight_margins.csv", encoding="utf-8-sig")
    margins["category"] = margins["category"].astype(str)
    sex_rows = margins[margins["variable"].str.startswith("q3@")].set_index("category")
    assert sex_rows.loc["1", "share_after"] == pytest.approx(0.51, abs=1e-6)
    # 16–19 (1 respondent) was merged with 20–24 (62) before raking (min_category_respondents: 5)
    age_rows = margins[margins["variable"].str.startswith("q4@")].set_index("category")
    assert len(age_rows) == 7 and age_rows.loc["2", "respondents"] == 63
    assert age_rows.loc["2", "target_total"] == 40_000 + 80_000
