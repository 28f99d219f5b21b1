"""``surveys questionnaire infer``: drafts from exports load, and their guesses are the expected ones."""
from __future__ import annotations

import dataclasses
import pathlib
import re

import pandas as pd
import pytest

import surveys.cli
from surveys import load_questionnaire
from surveys.errors import IngestError, QuestionnaireError
from surveys.ingest import RawExport, RawQuestion, read_export, read_export_pair
from surveys.ingest.infer import TODO_TRANSLATE, infer_questionnaire

REAL_EXPORTS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-exports"
PAPER_INSTRUMENTS = ("social_stability", "market_supervision", "grassroots_governance")


@pytest.fixture(scope="module")
def demo(demo_city):
    return demo_city


def _draft(raw, tmp_path: pathlib.Path, **options):
    text = infer_questionnaire(raw, **options)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    return load_questionnaire(path), text


def _exports(demo, kind_prefix: str) -> list[str]:
    return [entry.path for entry in demo.files if entry.kind.startswith(kind_prefix)]


def test_every_demo_export_gives_a_draft_that_loads(demo, tmp_path):
    online = [entry for entry in demo.files if entry.mode == "online"]
    paper = [entry for entry in demo.files if entry.kind == "paper_entry"]
    assert len(online) >= 8 and len(paper) == 6
    for entry in online + paper:
        platform = "generic" if entry.mode == "paper" else None
        raw = read_export(demo.out_dir / entry.path, platform=platform)
        questionnaire, text = _draft(raw, tmp_path)
        assert len(questionnaire.items) == len(raw.questions), entry.path
        assert questionnaire.headline.kind == "rate" and questionnaire.headline.headline
        assert questionnaire.headline.target is None and "TODO: check the headline measure" in text
        mapping = {"wjx": "wjx", "tencent": "tencent", "generic": "paper"}[raw.platform]
        assert len(questionnaire.platform(mapping).columns) == len(raw.questions), entry.path


def test_label_export_detects_the_satisfaction_scale_roles_and_mapping(demo, tmp_path):
    path = next(p for p in _exports(demo, "wjx") if "_0_market_supervision" in p)
    questionnaire, text = _draft(read_export(demo.out_dir / path), tmp_path)
    assert questionnaire.id == "market_supervision"
    scale = questionnaire.scales["satisfaction5"]
    assert [c.label.zh for c in scale.categories] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意", "不了解"]
    assert scale.codes == (1, 2, 3, 4, 5, 9) and scale.satisfied_codes == (1, 2, 3) and scale.dont_know_codes == (9,)
    overall = questionnaire.items_with_role("overall")
    assert [item.text.zh for item in overall] == ["总体而言，您对本市经济调节和市场监管工作是否满意？"]
    assert questionnaire.headline.items == (overall[0].id,)
    assert len(questionnaire.items_with_role("satisfaction")) == 8
    attention = questionnaire.items_with_role("attention_check")
    assert len(attention) == 1 and attention[0].correct_answer == 3          # 请直接选择"基本满意"
    demographic = {item.text.zh for item in questionnaire.items_with_role("demographic")}
    assert {"您的性别是？", "您的年龄是？", "您（或贵单位）所在的区县是？"} <= demographic
    free_text = questionnaire.items_with_role("free_text")
    assert len(free_text) == 1 and not free_text[0].required
    wjx = questionnaire.platform("wjx")
    assert wjx.column("q1") == "1" and wjx.column("q15") == "15"
    assert questionnaire.position_code("wjx", "q15", 6) == 9                  # 不了解 is the sixth option
    assert all(item.text.en == TODO_TRANSLATE for item in questionnaire.items)


def test_code_export_with_its_label_file_keeps_the_form_order(demo, tmp_path):
    codes = next(p for p in _exports(demo, "wjx") if "_2_market_supervision" in p)
    labels = codes.replace("_2_market_supervision", "_0_market_supervision")
    raw = read_export_pair(demo.out_dir / codes, demo.out_dir / labels)
    questionnaire, text = _draft(raw, tmp_path)
    assert "option order assumed" not in text.split("satisfaction5:")[0].splitlines()[-1]
    # the paired file states the form order, so the age groups come in code order
    age = next(item for item in questionnaire.items if item.text.zh == "您的年龄是？")
    assert [c.label.zh for c in questionnaire.scale_of(age.id).categories][0] == "18–29岁"


def test_code_export_alone_gets_placeholder_labels_and_still_loads(demo, tmp_path):
    codes = next(p for p in _exports(demo, "wjx") if "_2_social" in p or "_2_market_supervision" in p)
    questionnaire, text = _draft(read_export(demo.out_dir / codes), tmp_path)
    assert "选项1" in text and "codes unverified" in text and "--labels TEXT_EXPORT" in text
    overall = questionnaire.items_with_role("overall")[0]
    assert overall.text.zh.startswith("总体而言")
    assert questionnaire.scale_of(overall.id).satisfied_codes == (1,) and "picked only so the draft loads" in text


def test_tencent_draft_maps_question_ids(demo, tmp_path):
    path = next(p for p in _exports(demo, "tencent_csv") if p.endswith("_tencent.csv"))
    questionnaire, _ = _draft(read_export(demo.out_dir / path), tmp_path, questionnaire_id="stability_draft")
    assert questionnaire.id == "stability_draft"
    tencent = questionnaire.platform("tencent")
    assert tencent.column("q1") == "Q1" and tencent.column("q14") == "Q14"
    safety = questionnaire.scale_of("q1")
    assert [c.label.zh for c in safety.categories][:3] == ["很安全", "安全", "基本安全"]   # form order, from A./B. letters
    assert questionnaire.item("q10").role == "overall"


def test_paper_entry_draft_maps_the_workbook_headers(demo, tmp_path):
    raw = read_export(demo.out_dir / "paper" / "social_stability_entry_A.xlsx", platform="generic")
    questionnaire, text = _draft(raw, tmp_path)
    paper = questionnaire.platform("paper")
    assert paper.item_for_column("Q13") == "q13" and paper.item_for_column("表单编号") is not None
    assert questionnaire.modes == ("paper",)
    form_item = questionnaire.item(paper.item_for_column("表单编号"))
    assert form_item.role == "identifier"
    assert "代码1" in text                    # keyed codes without labels: the labels are left to the analyst


def test_an_export_without_choice_questions_gets_a_placeholder_overall(tmp_path):
    answers = pd.DataFrame({"row": [1, 2], "1": ["很好", "一般"]})
    raw = RawExport(platform="wjx", path=tmp_path / "123_0_意见征集_2_2.xlsx", sha256="", encoding="xlsx", sheet=None,
                    coding="labels", header_rows=1, meta_columns={},
                    questions=(RawQuestion(key="1", title="您的意见", kind="text", columns=("1、您的意见",)),),
                    answers=answers)
    questionnaire, text = _draft(raw, tmp_path)
    assert questionnaire.id == "draft" and questionnaire.title.zh == "意见征集"
    assert questionnaire.item("q1").role == "free_text"
    assert questionnaire.items_with_role("overall")[0].id == "overall" and "placeholder" in text
    assert list(questionnaire.platform("wjx").columns) == ["q1"]


def test_a_bad_id_is_refused(demo):
    raw = read_export(demo.out_dir / _exports(demo, "tencent_csv")[0])
    with pytest.raises(QuestionnaireError, match="questionnaire id must be"):
        infer_questionnaire(raw, questionnaire_id="Bad-Id")


def _real_exports() -> list[pathlib.Path]:
    if not REAL_EXPORTS.is_dir():
        return []
    return sorted(path for path in REAL_EXPORTS.iterdir() if path.is_file() and path.suffix.lower() != ".md")


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="../shared/real-exports/ is not present")
@pytest.mark.parametrize("path", _real_exports(), ids=lambda path: path.name)
def test_real_exports_give_drafts_that_load(path, tmp_path):
    try:
        raw = read_export(path)
    except IngestError as error:
        pytest.skip(f"not a response export the readers support: {error}")
    questionnaire, _ = _draft(raw, tmp_path)      # read in place; the draft goes to tmp_path only
    assert len(questionnaire.items) >= len(raw.questions)
    assert questionnaire.headline.items[0] in {item.id for item in questionnaire.items}


# ----------------------------------------------------------------------------- CLI

@pytest.fixture
def only_questionnaire_commands(monkeypatch):
    monkeypatch.setattr(surveys.cli, "_COMMAND_MODULES", ("surveys.cli.questionnaire",))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = surveys.cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_infer_writes_a_draft_that_checks(only_questionnaire_commands, capsys, demo, tmp_path):
    path = demo.out_dir / next(p for p in _exports(demo, "tencent_csv") if p.endswith("_tencent.csv"))
    draft = tmp_path / "draft.yaml"
    status, out, err = _run(capsys, "questionnaire", "infer", str(path), "-o", str(draft), "--id", "stability")
    assert status == 0, err
    assert out.startswith(f"wrote {draft}: draft 'stability'") and "TODO marks to review" in out
    reviewed = int(re.search(r"(\d+) TODO marks to review", out).group(1))
    status, out, err = _run(capsys, "questionnaire", "check", str(draft))
    assert status == 0 and out.startswith("ok stability v0.1: 14 items, 1 measures")
    # the TODO marks left: how many (as infer said), where, decisions before translations; --strict fails on them
    count = int(re.search(r"(\d+) TODO marks left", out).group(1))
    assert count == reviewed > 0
    lines = out.splitlines()
    assert re.fullmatch(r"    line \d+ unit: .*TODO: 责任单位.*", lines[2])
    assert any(re.match(r"    line \d+ measures\[\w+\]: # TODO: check the headline measure", line) for line in lines)
    assert "English translations" in lines[1] and "--all-todos" in lines[-1]
    status, out, err = _run(capsys, "questionnaire", "check", "--all-todos", str(draft))
    assert len([line for line in out.splitlines() if line.startswith("    line ")]) == count
    status, out, err = _run(capsys, "questionnaire", "check", "--strict", str(draft))
    assert status == 2 and "still have TODO marks (--strict)" in err
    finished = tmp_path / "finished.yaml"
    finished.write_text("\n".join(line for line in draft.read_text(encoding="utf-8").splitlines()
                                  if "TODO" not in line or not line.lstrip().startswith("#")
                                  ).replace("TODO: ", ""), encoding="utf-8")
    status, out, err = _run(capsys, "questionnaire", "check", "--strict", str(finished))
    assert status == 0 and "TODO" not in out, out


def test_cli_infer_exits_2_on_an_unreadable_file(only_questionnaire_commands, capsys, tmp_path):
    garbage = tmp_path / "export.xlsx"
    garbage.write_bytes(b"not a workbook")
    status, out, err = _run(capsys, "questionnaire", "infer", str(garbage), "-o", str(tmp_path / "d.yaml"))
    assert status == 2 and err.startswith("error: export.xlsx:")
    assert not (tmp_path / "d.yaml").exists()


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="../shared/real-exports/ is not present")
def test_spss_value_labels_give_roles_labels_and_codes(tmp_path):
    questionnaire, text = _draft(read_export(REAL_EXPORTS / "spss_pyreadstat_sample.sav"), tmp_path)
    sex = questionnaire.item("mylabl")                        # titled "labeled": Male/Female say what it is
    assert sex.role == "demographic" and [w.item for w in questionnaire.weighting] == ["mylabl"]
    assert [c.label.en for c in questionnaire.scale_of("mylabl").categories] == ["Male", "Female"]
    labelled, _ = _draft(read_export(REAL_EXPORTS / "spss_pyreadstat_multiple_response_simple_alltypes.sav"),
                         tmp_path)
    scale = labelled.scale_of("x")                            # labels where the file has them, 代码N only where not
    assert [(c.code, c.label.zh) for c in scale.categories] == [(1, "red"), (2, "green"), (3, "blue"),
                                                                (4, "代码4"), (9, "代码9")]
    missing, _ = _draft(read_export(REAL_EXPORTS / "spss_pyreadstat_missing_test.sav"), tmp_path)
    # code 1 is a user-missing value ('missing'), not an option; code 2 is in the data without a label
    assert [(c.code, c.label.zh) for c in missing.scale_of("var1").categories] == [(2, "代码2")]


@pytest.mark.skipif(not REAL_EXPORTS.is_dir(), reason="../shared/real-exports/ is not present")
def test_wjx_matrix_rows_are_mapped_by_row(tmp_path):
    from surveys.ingest.mapping import map_export

    raw = read_export_pair(REAL_EXPORTS / "wjx_zte_All_Data_Original_code.xls",
                           REAL_EXPORTS / "wjx_zte_All_Data_Readable_text.xls")
    questionnaire, text = _draft(raw, tmp_path)
    wjx = questionnaire.platform("wjx")
    assert wjx.column("q13_2") == "13.2" and '"13.2"   # 界面美观度' in text
    mapped = map_export(raw, questionnaire)
    assert mapped.codes["q13_2"].tolist()[1] == 4 and not [p for p in mapped.problems if p.code == "out_of_scale"]
    # a row may also be named by its label
    by_label = tmp_path / "by_label.yaml"
    by_label.write_text(text.replace('q13_2: "13.2"', 'q13_2: "13.界面美观度"'), encoding="utf-8")
    relabelled = map_export(raw, load_questionnaire(by_label))
    assert relabelled.codes["q13_2"].tolist() == mapped.codes["q13_2"].tolist()


def test_a_code_export_without_labels_and_one_with_gaps(tmp_path):
    answers = pd.DataFrame({"row": [1, 2, 3], "1": [2, 4, 2]})
    question = RawQuestion(key="1", title="您的年龄", kind="single", columns=("1、您的年龄",), options=("2", "4"))
    raw = RawExport(platform="wjx", path=tmp_path / "1_2_s_3_3.xlsx", sha256="", encoding="xlsx", sheet=None,
                    coding="codes", header_rows=1, meta_columns={}, questions=(question,), answers=answers)
    alone, text = _draft(raw, tmp_path)
    assert [c.label.zh for c in alone.scale_of("q1").categories] == ["选项1", "选项2", "选项3", "选项4"]
    assert "codes unverified" in text
    paired = dataclasses.replace(raw, questions=(dataclasses.replace(question, value_labels={2: "20-29岁", 4: "40-49岁"}),))
    drafted, text = _draft(paired, tmp_path)
    scale = drafted.scale_of("q1")
    assert [(c.code, c.label.zh) for c in scale.categories] == [(1, "选项1（无人选择）"), (2, "20-29岁"),
                                                                (3, "选项3（无人选择）"), (4, "40-49岁")]
    assert "options [1, 3] were chosen by nobody" in text
    # the only choice question stands in as the overall item: its first NAMED option is marked, not a placeholder
    assert scale.satisfied_codes == (2,)
    assert drafted.position_code("wjx", "q1", 4) == 4                     # no value map: position = code
