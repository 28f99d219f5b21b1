"""The demo generator: every export parses back to the generated rows, runs are reproducible, the
planted flaws are in the files, the margin files follow the format, and the CLI writes every kind."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re

import openpyxl
import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook

from surveys.cli import main
from surveys.demo import generate_demo
from surveys.demo.margins import MARGIN_COLUMNS
from surveys.demo.wjx import BLANK_TEXT, SKIPPED_CODE, SKIPPED_TEXT
from surveys.errors import SurveyError
from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires

SCALE = 0.15   # a quarter of the default sample sizes keeps the module fast
EXPORT_KINDS = {"wjx_text", "wjx_code", "tencent_csv", "tencent_csv_gb18030", "paper_entry",
                "proposal_feedback", "proposal_register"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("demo"), seed=11, sample_scale=SCALE)


@pytest.fixture(scope="module")
def questionnaires():
    return {q.id: q for q in map(load_questionnaire, bundled_questionnaires())}


# ------------------------------------------------------------------------------------------- reading back

def _normalise(value):
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_openpyxl(path, width):
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(_normalise(v) for v in row) + (None,) * (width - len(row))
            for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def _read_calamine(path, width):
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [tuple(_normalise(v) for v in row) + (None,) * (width - len(row)) for row in sheet]


def _expected(table):
    return [tuple(_normalise(v) for v in table.columns)] + [tuple(_normalise(v) for v in row) for row in table.rows]


def _read_tencent(path, encoding):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    assert frame.columns[-1].startswith("Unnamed"), "the trailing comma makes an unnamed last column"
    frame = frame.iloc[:, :-1]
    return frame


def test_every_workbook_reads_back_to_the_generated_rows(demo):
    workbooks = [entry for entry in demo.files if entry.encoding == "xlsx"]
    assert {entry.kind for entry in workbooks} >= {"wjx_text", "wjx_code", "paper_entry", "proposal_feedback"}
    for entry in workbooks:
        table = demo.tables[entry.path]
        expected = _expected(table)
        path = demo.out_dir / entry.path
        assert _read_openpyxl(path, len(table.columns)) == expected, entry.path
        assert _read_calamine(path, len(table.columns)) == expected, entry.path
        assert len(expected) - 1 == entry.rows


def test_pandas_reads_the_wjx_pair_with_the_same_rows(demo):
    text_entry, code_entry = demo.of_kind("wjx_text")[0], demo.of_kind("wjx_code")[0]
    text = pd.read_excel(demo.out_dir / text_entry.path, engine="calamine", keep_default_na=False)
    code = pd.read_excel(demo.out_dir / code_entry.path, engine="calamine", keep_default_na=False)
    assert len(text) == len(code) == text_entry.rows
    assert text["序号"].tolist() == code["序号"].tolist()
    assert text["来自IP"].tolist() == code["来自IP"].tolist()
    assert all(re.fullmatch(r"\d+秒", value) for value in text["所用时间"])
    assert all(re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{2}:\d{2}:\d{2}", value) for value in text["提交答卷时间"])
    assert all(re.fullmatch(r"[\d.]+\([^()]+-[^()]+\)", value) for value in text["来自IP"])
    assert all(re.match(r"^\d+、", column) for column in text.columns[6:])


def test_tencent_csv_and_its_gb18030_copy(demo):
    utf8_entry, gb_entry = demo.of_kind("tencent_csv")[0], demo.of_kind("tencent_csv_gb18030")[0]
    raw_utf8 = (demo.out_dir / utf8_entry.path).read_bytes()
    raw_gb = (demo.out_dir / gb_entry.path).read_bytes()
    assert raw_utf8.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw_gb.decode("utf-8")
    assert raw_gb.decode("gb18030") == raw_utf8.decode("utf-8-sig")
    lines = raw_utf8.decode("utf-8-sig").split("\r\n")[:-1]
    assert all(line.endswith('",') for line in lines), "every field quoted, every line ending in a comma"
    table = demo.tables[utf8_entry.path]
    for path, encoding in ((utf8_entry.path, "utf-8-sig"), (gb_entry.path, "gb18030")):
        frame = _read_tencent(demo.out_dir / path, encoding)
        assert tuple(frame.columns) == table.columns
        assert [tuple(row) for row in frame.itertuples(index=False)] == [
            tuple("" if v is None else str(v) for v in row) for row in table.rows]
    answers = [v for row in table.rows for v in row[13:] if v]
    assert any(re.match(r"^[A-F]\.", v) for v in answers), "options are exported as A.选项"


def test_population_tables_read_back(demo):
    for entry in demo.of_kind("population"):
        frame = pd.read_csv(demo.out_dir / entry.path)
        table = demo.tables[entry.path]
        assert tuple(frame.columns) == table.columns
        assert [tuple(r) for r in frame.itertuples(index=False)] == [tuple(r) for r in table.rows]
    residents = pd.read_csv(demo.out_dir / "population/residents.csv")
    assert 2_000_000 <= residents["population"].sum() <= 3_000_000
    assert residents["district"].nunique() == 10
    enterprises = pd.read_csv(demo.out_dir / "population/enterprises.csv")
    assert 60_000 <= enterprises.loc[enterprises["respondent_type"] == 2, "entities"].sum() <= 80_000
    proposals = pd.read_csv(demo.out_dir / "population/proposals.csv")
    assert 300 <= proposals["proposals"].sum() <= 450


# ------------------------------------------------------------------------------------------- reproducible

def test_same_seed_gives_identical_files_and_another_seed_other_data(demo, tmp_path):
    again = generate_demo(tmp_path / "again", seed=11, sample_scale=SCALE)
    assert [(e.path, e.sha256) for e in again.files] == [(e.path, e.sha256) for e in demo.files]
    for entry in demo.files:
        assert hashlib.sha256((tmp_path / "again" / entry.path).read_bytes()).hexdigest() == entry.sha256
    other = generate_demo(tmp_path / "other", seed=12, sample_scale=SCALE)
    exports = [e.path for e in demo.files if e.kind in EXPORT_KINDS - {"proposal_register"}]
    assert all(other.tables[p].rows != demo.tables[p].rows for p in exports if p in other.tables)
    assert other.tables["population/residents.csv"] == demo.tables["population/residents.csv"]


def test_manifest_lists_every_file_with_its_hash(demo):
    manifest = json.loads((demo.out_dir / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {str(p.relative_to(demo.out_dir)) for p in demo.out_dir.rglob("*") if p.is_file()}
    assert on_disk == set(listed) | {"manifest.json"}
    for path, entry in listed.items():
        assert hashlib.sha256((demo.out_dir / path).read_bytes()).hexdigest() == entry["sha256"]
        assert {"kind", "platform", "encoding", "rows", "sha256"} <= set(entry)


def test_study_spec_names_the_inputs_margins_and_targets(demo, questionnaires):
    text = (demo.out_dir / "study.yaml").read_text(encoding="utf-8")
    assert text.startswith("#") and "# Keys" in text
    study = yaml.safe_load(text)
    files = {entry.path for entry in demo.files}
    assert {i["file"] for i in study["inputs"]} == {e.path for e in demo.files if e.kind in EXPORT_KINDS}
    assert all(i["file"] in files and i["platform"] in ("wjx", "tencent", "paper") for i in study["inputs"])
    assert {m["file"] for m in study["margins"]} == {e.path for e in demo.of_kind("margins")}
    for measure in study["measures"]:
        headline = questionnaires[measure["questionnaire"]].headline
        assert measure["measure"] == headline.id and measure["threshold"] == headline.target.threshold


# ------------------------------------------------------------------------------------------- margins

def _margin_rows(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_margin_files_follow_the_format_and_match_the_population(demo, questionnaires):
    residents = pd.read_csv(demo.out_dir / "population/residents.csv")
    market = pd.read_csv(demo.out_dir / "population/enterprises.csv")
    weighting_codes = {v.id: set(v.codes) for q in questionnaires.values() for v in q.weighting}
    for relative, population, count in (("margins/residents.csv", residents, "population"),
                                        ("margins/enterprises.csv", market, "entities")):
        path = demo.out_dir / relative
        header = next(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        assert tuple(header.split(",")) == MARGIN_COLUMNS
        rows = _margin_rows(path)
        for variable in dict.fromkeys(row["variable"] for row in rows):
            block = [row for row in rows if row["variable"] == variable]
            names = variable.split("+")
            with_counts = [row["population"] != "" for row in block]
            assert all(with_counts) or not any(with_counts), variable
            assert all((row["share"] == "") == has for row, has in zip(block, with_counts)), variable
            for row in block:
                codes = [int(code) for code in row["category"].split("|")]
                assert len(codes) == len(names)
                assert all(code in weighting_codes[name] for code, name in zip(codes, names))
                assert row["source"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["as_of"])
            expected = population.groupby(names)[count].sum()
            if all(with_counts):
                found = {tuple(int(c) for c in row["category"].split("|")): int(row["population"]) for row in block}
                assert found == {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in expected.items()}
            else:
                shares = {tuple(int(c) for c in row["category"].split("|")): float(row["share"]) for row in block}
                assert math.isclose(sum(shares.values()), 1.0, abs_tol=1e-6)
                for key, value in expected.items():
                    assert math.isclose(shares[(key,)], value / expected.sum(), abs_tol=1e-9)
    blocks = {row["variable"] for row in _margin_rows(demo.out_dir / "margins/residents.csv")}
    assert blocks == {"district", "sex", "age_group", "district+sex"}


def test_margin_files_load_with_the_weighting_loader(demo):
    margins = pytest.importorskip("surveys.weighting.margins")
    for relative in ("margins/residents.csv", "margins/enterprises.csv"):
        loaded = margins.load_margins(demo.out_dir / relative)
        written = {row["variable"] for row in _margin_rows(demo.out_dir / relative)}
        assert {table.variable for table in loaded} == written


# ------------------------------------------------------------------------------------------- CLI

def test_cli_writes_every_export_kind(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "cli"), "--sample-scale", "0.1", "--seed", "3", "--no-charts",
                 "--no-report"]) == 0  # charts and report: tests/test_report_from_study.py
    printed = capsys.readouterr().out
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text(encoding="utf-8"))
    kinds = {entry["kind"] for entry in manifest["files"]}
    assert kinds >= EXPORT_KINDS | {"population", "margins", "truth", "truth_flaws", "study"}
    for entry in manifest["files"]:
        assert entry["path"] in printed
    assert "not yet available" not in printed


def test_cli_reports_bad_arguments_as_errors(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "x"), "--sample-scale", "0"]) == 2
    assert "sample_scale" in capsys.readouterr().err
    with pytest.raises(SurveyError, match="no instrument"):
        generate_demo(tmp_path / "y", instruments=["no_such_survey"])
    assert main(["demo", "--out", str(tmp_path / "z"), "--seed", "-1"]) == 2
    (tmp_path / "file").write_text("not a folder")
    assert main(["demo", "--out", str(tmp_path / "file")]) == 2
    assert "cannot create the demo folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- planted flaws

def _parsed(demo, entry):
    if entry.kind.startswith("tencent"):
        frame = _read_tencent(demo.out_dir / entry.path, entry.encoding)
        return list(frame.columns), [tuple(None if v == "" else v for v in row) for row in frame.itertuples(index=False)]
    rows = _read_calamine(demo.out_dir / entry.path, len(demo.tables[entry.path].columns))
    return list(rows[0]), rows[1:]


def _code(entry, questionnaire, item_id, cell):
    """The scale code behind one cell of an export, or None when the cell holds no answer."""
    if cell in (None, SKIPPED_TEXT, BLANK_TEXT, SKIPPED_CODE):
        return None
    platform = {"wjx_text": "wjx", "wjx_code": "wjx"}.get(entry.kind, "tencent" if "tencent" in entry.kind else "paper")
    if entry.kind == "wjx_code":
        return questionnaire.position_code("wjx", item_id, int(cell))
    if entry.kind == "wjx_text" or platform == "tencent":
        label = re.sub(r"^[A-Z]\.", "", str(cell)) if platform == "tencent" else str(cell)
        return dict(questionnaire.platform_options(platform, item_id))[label]
    return int(cell)


def headers_of(entry, questionnaire, item_id):
    from surveys.demo import tencent, wjx

    if entry.kind.startswith("wjx"):
        return wjx.item_headers(questionnaire, by_code=entry.kind == "wjx_code")[item_id][0]
    return tencent.item_headers(questionnaire)[item_id][0]


def _seconds(entry, columns, row):
    if entry.kind.startswith("wjx"):
        return int(row[columns.index("所用时间")].rstrip("秒"))
    return int(row[columns.index("答题时长")])


def test_planted_flaws_are_in_the_files(demo, questionnaires):
    flaws = pd.read_csv(demo.out_dir / "truth/flaws.csv", dtype=str, keep_default_na=False)
    assert list(flaws.columns[:4]) == ["export", "row", "record", "kind"]
    assert len(flaws) == len(demo.flaws)
    entries = {entry.path: entry for entry in demo.files}
    parsed = {path: _parsed(demo, entries[path]) for path in flaws["export"].unique()}
    checked = set()
    # a clerk may mis-key a cell that holds a form-level flaw: the form is the truth, the cell differs
    mis_keyed = {(f.export, f.row, f.item) for f in flaws.itertuples(index=False) if f.kind.startswith("keying_")}
    for flaw in flaws.itertuples(index=False):
        if not flaw.kind.startswith("keying_") and (flaw.export, flaw.row, flaw.item) in mis_keyed:
            continue
        entry = entries[flaw.export]
        questionnaire = questionnaires[entry.questionnaire]
        columns, rows = parsed[flaw.export]
        row = rows[int(flaw.row) - 1]
        assert str(row[0]) == flaw.record, flaw
        cell = row[columns.index(flaw.column)] if flaw.column else None
        kind = flaw.kind
        if kind == "skipped":
            assert cell == {"wjx_text": SKIPPED_TEXT, "wjx_code": SKIPPED_CODE}.get(entry.kind), flaw
        elif kind == "blank":
            assert cell == (BLANK_TEXT if entry.kind == "wjx_text" else None), flaw
        elif kind == "dont_know":
            assert _code(entry, questionnaire, flaw.item, cell) in questionnaire.scale_of(flaw.item).dont_know_codes
        elif kind == "attention_check_failed":
            assert _code(entry, questionnaire, flaw.item, cell) != questionnaire.item(flaw.item).correct_answer
        elif kind == "speeder":
            typical = sorted(_seconds(entry, columns, other) for other in rows)[len(rows) // 2]
            assert _seconds(entry, columns, row) < typical / 2.5, flaw
        elif kind == "straight_liner":
            rating = [i.id for i in questionnaire.items if i.role in ("satisfaction", "overall")]
            headers = {item_id: headers_of(entry, questionnaire, item_id) for item_id in rating}
            codes = {_code(entry, questionnaire, item_id, row[columns.index(header)])
                     for item_id, header in headers.items()} - {None}
            assert len(codes) == 1, flaw
        elif kind == "duplicate_submission":
            first = rows[int(re.match(r"repeats row (\d+)", flaw.detail).group(1)) - 1]
            ip_column = "来自IP" if entry.kind.startswith("wjx") else "IP"
            assert first[columns.index(ip_column)] == row[columns.index(ip_column)]
            if "tencent" in entry.kind:
                assert first[columns.index("用户标识")] == row[columns.index("用户标识")]
                assert first[columns.index("UA")] == row[columns.index("UA")]
            time_column = "提交答卷时间" if entry.kind.startswith("wjx") else "结束答题时间"
            gap = pd.Timestamp(row[columns.index(time_column)]) - pd.Timestamp(first[columns.index(time_column)])
            assert pd.Timedelta(0) < gap <= pd.Timedelta(minutes=10)
        elif kind == "outside_city":
            place = (re.search(r"\((.+)\)$", row[columns.index("来自IP")]).group(1) if entry.kind.startswith("wjx")
                     else f"{row[columns.index('地理位置省')]}-{row[columns.index('地理位置市')]}")
            assert place == flaw.detail and place != "陕西-秦川"
        elif kind == "out_of_range_code":
            assert cell is not None and int(cell) not in questionnaire.scale_of(flaw.item).codes
        elif kind.startswith("keying_"):
            form_value = re.match(r"form has (.+)$", flaw.detail).group(1)
            assert str(cell) != form_value.strip("'")
            if kind == "keying_missed_cell":
                assert cell is None
        elif kind == "keyed_once":
            other = flaw.export.replace("_entry_A", "_entry_X").replace("_entry_B", "_entry_A").replace("_entry_X", "_entry_B")
            assert flaw.record not in {str(r[0]) for r in parsed.get(other, _parsed(demo, entries[other]))[1]}
        else:
            pytest.fail(f"unexpected flaw kind {kind}")
        checked.add(kind)
    assert checked >= {"skipped", "blank", "dont_know", "attention_check_failed", "speeder", "straight_liner",
                       "duplicate_submission", "outside_city", "out_of_range_code", "keyed_once",
                       "keying_neighbouring_code", "keying_missed_cell"}


def test_paper_keyings_disagree_on_about_half_a_percent_of_cells(demo):
    cells = differing = keyed_once = 0
    for entry in demo.of_kind("paper_entry"):
        if not entry.path.endswith("_entry_A.xlsx"):
            continue
        a = demo.tables[entry.path]
        b = demo.tables[entry.path.replace("_entry_A", "_entry_B")]
        b_rows = {row[0]: row for row in b.rows}
        shared = [(row, b_rows[row[0]]) for row in a.rows if row[0] in b_rows]
        keyed_once += len(a.rows) + len(b.rows) - 2 * len(shared)
        cells += sum(len(row) - 3 for row, _ in shared)
        differing += sum(x != y for row, other in shared for x, y in zip(row[3:], other[3:]))
    assert keyed_once > 0, "some forms are keyed only once"
    assert 0.001 < differing / cells < 0.015


def test_wjx_code_export_holds_option_positions(demo, questionnaires):
    text_entry = next(e for e in demo.of_kind("wjx_text") if e.questionnaire == "market_supervision")
    code_entry = next(e for e in demo.of_kind("wjx_code") if e.questionnaire == "market_supervision")
    questionnaire = questionnaires["market_supervision"]
    text, code = demo.tables[text_entry.path], demo.tables[code_entry.path]
    compared = 0
    for item_id in questionnaire.platform("wjx").value_maps:
        column = next(i for i, c in enumerate(text.columns) if c.startswith(questionnaire.platform("wjx").column(item_id) + "、"))
        for text_row, code_row in zip(text.rows, code.rows):
            if text_row[column] in (SKIPPED_TEXT, BLANK_TEXT):
                continue
            assert _code(text_entry, questionnaire, item_id, text_row[column]) == _code(
                code_entry, questionnaire, item_id, code_row[column])
            compared += 1
    positions = {row[column] for row in code.rows}
    assert max(positions) <= len(questionnaire.platform_options("wjx", item_id)), "positions, not codes (9)"
    assert compared > 100


def test_proposal_register_shows_unreturned_forms(demo):
    register = demo.tables["proposals/register.xlsx"]
    forms = demo.tables["proposals/feedback_forms.xlsx"]
    population = pd.read_csv(demo.out_dir / "population/proposals.csv")
    assert len(register.rows) == population["proposals"].sum()
    returned = {row[0] for row in register.rows if row[-1] == "是"}
    assert {row[0] for row in forms.rows} == returned
    assert 0.85 <= len(returned) / len(register.rows) <= 0.95
    truth = demo.truth["instruments"]["proposal_handling"]
    assert truth["census"] and truth["forms_returned"] == len(forms.rows)


# ------------------------------------------------------------------------------------------- writers on a toy form

_TOY = """
id: toy
version: "0.1"
title: {zh: 测试问卷, en: Toy}
unit: {zh: 测试, en: Test}
population: residents
modes: [online]
scales:
  sat: {categories: [{code: 1, zh: 满意, en: Satisfied, satisfied: true}, {code: 2, zh: 不满意, en: Dissatisfied},
                     {code: 9, zh: 不了解, en: DK, dont_know: true}]}
  channels: {multiple: true, categories: [{code: 1, zh: 电视, en: TV}, {code: 2, zh: 网络, en: Web},
                                          {code: 3, zh: 报纸, en: Paper}]}
items:
  - {id: heard, text: {zh: 您从哪些渠道了解过？, en: "Channels?"}, type: multiple, scale: channels, role: demographic}
  - {id: rating, text: {zh: 您是否满意？, en: "Satisfied?"}, type: single, scale: sat, role: overall}
  - {id: years, text: {zh: 您在本市居住了几年？, en: "Years?"}, type: number, role: demographic, required: false}
measures:
  - {id: rate, kind: rate, items: [rating], label: {zh: 满意率, en: Rate}, headline: true}
weighting: []
platforms:
  wjx: {columns: {heard: "1", rating: "2", years: "3"}, value_maps: {rating: {不了解: 9, 满意: 1, 不满意: 2}}}
  tencent: {columns: {heard: Q1, rating: Q2, years: Q3}}
"""


def test_writers_render_multiple_choice_positions_and_missing_values(tmp_path):
    import datetime
    from types import MappingProxyType

    from surveys.demo import tencent, wjx
    from surveys.demo.online import Submission
    from surveys.demo.respondents import NOT_ASKED, Respondent

    path = tmp_path / "toy.yaml"
    path.write_text(_TOY, encoding="utf-8")
    questionnaire = load_questionnaire(path)

    def submission(answers):
        respondent = Respondent("toy/1", "toy", "online", "residents", MappingProxyType({}), MappingProxyType(answers))
        return Submission(respondent, datetime.datetime(2026, 3, 4, 5, 6, 7), 95, "微信", "微信", "1.2.3.4",
                          "陕西-秦川", "UA", "oID", "nick")

    rows = [submission({"heard": (1, 3), "rating": 9, "years": 12}),
            submission({"heard": None, "rating": 1, "years": NOT_ASKED})]
    text = wjx.wjx_table(questionnaire, rows, by_code=False)
    code = wjx.wjx_table(questionnaire, rows, by_code=True)
    assert text.columns[6:] == ("1、您从哪些渠道了解过？", "2、您是否满意？", "3、您在本市居住了几年？")
    assert text.rows[0][1:3] == ("2026/3/4 05:06:07", "95秒")
    assert text.rows[0][6:] == ("电视┋报纸", "不了解", 12)
    assert text.rows[1][6:] == ("(空)", "满意", "(跳过)")
    assert code.columns[6:9] == ("1、您从哪些渠道了解过？(电视)", "1、(网络)", "1、(报纸)")
    assert code.rows[0][6:] == (1, 0, 1, 1, 12), "不了解 is the FIRST option of this form, so position 1"
    assert code.rows[1][6:] == (None, None, None, 2, -3)
    qq = tencent.tencent_table(questionnaire, rows)
    assert qq.columns[13:16] == ("1.您从哪些渠道了解过？:电视", "1.您从哪些渠道了解过？:网络", "1.您从哪些渠道了解过？:报纸")
    assert qq.rows[0][13:] == ("电视", "", "报纸", "C.不了解", "12")
    assert qq.rows[1][13:] == ("", "", "", "A.满意", "")
