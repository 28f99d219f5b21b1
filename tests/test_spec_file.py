"""One way to read a YAML spec: every reader (questionnaire, study spec, targets register, validation rules)
refuses a key given twice in one mapping, naming both lines, and reports every problem with the file, the key
path, what was expected and what was found, in one error of the project's tree."""
from __future__ import annotations

import pathlib

import pytest

from surveys.cli import main
from surveys.errors import QuestionnaireError, StudyError, SurveyError, TargetError, ValidationError
from surveys.indicators.register import load_register
from surveys.questionnaire import Text, load_questionnaire
from surveys.resources import questionnaire_dir
from surveys.spec_file import SpecReader, describe, join_path, read_yaml
from surveys.study.spec import load_study

STUDY = """\
study: {id: tiny}
wave: "2026"
questionnaires:
  - id: social_stability
weighting:
  method: rake
  method: none
"""

REGISTER = """\
plan: {zh: 方案, en: plan}
targets:
  - id: petitions
    id: petitions_again
"""

RULES = """\
speeder: {action: flag}
straightline: {action: off}
speeder: {action: reject}
"""


def _write(folder: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _duplicate_named(message: str, key: str, first: int, second: int) -> None:
    assert f"duplicate key '{key}' (first at line {first})" in message, message
    assert f"at line {second}," in message, message


def test_a_questionnaire_key_given_twice_names_both_lines(tmp_path):
    text = (questionnaire_dir() / "social_stability.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, "q.yaml", text + "title: {zh: 再来, en: again}\n")
    first = next(number for number, line in enumerate(text.splitlines(), 1) if line.startswith("title:"))
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert str(path) in str(raised.value)
    _duplicate_named(str(raised.value), "title", first, len(text.splitlines()) + 1)


def test_a_study_spec_key_given_twice_names_both_lines(tmp_path):
    path = _write(tmp_path, "study.yaml", STUDY)
    with pytest.raises(StudyError) as raised:
        load_study(path)
    assert str(path) in str(raised.value)
    _duplicate_named(str(raised.value), "method", 6, 7)


def test_a_register_key_given_twice_names_both_lines(tmp_path):
    path = _write(tmp_path, "targets.yaml", REGISTER)
    with pytest.raises(TargetError) as raised:
        load_register(path)
    _duplicate_named(str(raised.value), "id", 3, 4)


def test_a_rules_file_key_given_twice_is_an_error_of_the_command(tmp_path, capsys):
    rules = _write(tmp_path, "rules.yaml", RULES)
    assert main(["ingest", str(tmp_path / "none.csv"), "--questionnaire",
                 str(questionnaire_dir() / "social_stability.yaml"), "--store", str(tmp_path / "s.sqlite"),
                 "--rules", str(rules)]) == 2
    error = capsys.readouterr().err
    assert str(rules) in error
    _duplicate_named(error, "speeder", 1, 3)


def test_every_problem_of_a_rules_file_is_reported_with_its_key_path(tmp_path, capsys):
    rules = _write(tmp_path, "rules.yaml", "validation:\n  speedr: {action: flag}\n  speeder: {seconds: 2}\n"
                                           "  incomplete: {min_answered_share: 50}\n")
    assert main(["ingest", str(tmp_path / "none.csv"), "--questionnaire",
                 str(questionnaire_dir() / "social_stability.yaml"), "--store", str(tmp_path / "s.sqlite"),
                 "--rules", str(rules)]) == 2
    error = capsys.readouterr().err
    assert f"{rules}: 3 problems in the validation rules" in error
    assert "validation: unknown rule 'speedr' (did you mean 'speeder'?)" in error
    assert "validation.speeder.seconds: not a setting (did you mean 'seconds_per_item'?)" in error
    assert "validation.incomplete.min_answered_share: is a share in [0, 1]; found 50 (write 0.5, not 50)" in error


@pytest.mark.parametrize("content, expected", [
    (b"key: [unclosed\n", "not valid YAML at line 2"),
    ("名称: 研究".encode("gb18030"), "expected UTF-8 text; found a byte that is not UTF-8 at offset"),
    (b"a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
])
def test_the_loader_raises_the_readers_error_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(StudyError) as raised:
        read_yaml(path, error=StudyError, what="study spec")
    assert str(raised.value).startswith(f"{path}: ") and expected in str(raised.value)


def test_the_loader_reads_a_byte_order_mark_and_merge_keys(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes("\ufeffbase: &base {a: 1}\nother:\n  <<: *base\n  b: 2\n".encode("utf-8"))
    assert read_yaml(path, error=SurveyError, what="spec") == {"base": {"a": 1}, "other": {"a": 1, "b": 2}}


def test_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(TargetError, match="no such targets register; create it"):
        read_yaml(tmp_path / "absent.yaml", error=TargetError, what="targets register",
                  missing="no such targets register; create it")
    with pytest.raises(ValidationError, match="cannot read the rules file"):
        read_yaml(tmp_path / "absent.yaml", error=ValidationError, what="rules file")


def test_the_reader_collects_every_problem_and_raises_them_together():
    reader = SpecReader("spec.yaml", what="study spec", error=StudyError, schema="analysis/README.md")
    assert reader.mapping({"methd": 1, "tolerance": 0.1}, "weighting", (), ("method", "tolerance")) is None
    assert reader.mapping({"methd": 1}, "weighting", (), ("method",), partial=True) == {"methd": 1}
    assert reader.mapping([1], "design", ("strata",)) is None
    assert reader.choice("ipf", "weighting.method", ("rake", "none"), "rake") == "rake"
    assert reader.number(95, "estimation.level", 0.95, low=0.5, high=0.999) == 0.95
    assert reader.integer(True, "weighting.max_iterations", 100, minimum=1) == 100
    assert reader.string(2026, "wave", "", numbers=True) == "2026"
    assert reader.string(1.0, "version") is None
    assert reader.text({"zh": "标题"}, "study.title", english=False) == Text("标题", "")
    assert reader.text({"zh": "标题"}, "title") is None
    with pytest.raises(StudyError) as raised:
        reader.fail()
    message = str(raised.value)
    assert message.startswith("spec.yaml: 8 problems in the study spec; fix them and load it again (schema: "
                              "analysis/README.md):\n")
    for line in (
        "weighting.methd: unknown key; did you mean 'method'?",
        "design: expected a mapping with keys ['strata'], found a list",
        "weighting.method: expected one of ['rake', 'none'], found 'ipf'",
        "estimation.level: expected a number in [0.5, 0.999], found int 95",
        "weighting.max_iterations: expected a whole number ≥ 1, found the boolean True",
        "version: expected a text value (quote numbers), found float 1.0",
        "title.en: required key is missing; add it",
    ):
        assert f"  - {line}" in message, line


def test_a_reader_without_problems_does_not_raise():
    reader = SpecReader(None, what="validation rules", error=ValidationError)
    assert reader.mapping({"a": 1}, "", ("a",)) == {"a": 1}
    reader.fail()


def test_key_paths_and_descriptions():
    assert join_path("", "items") == "items" and join_path("items", 4) == "items[4]"
    assert join_path("items[4]", "asked_if") == "items[4].asked_if"
    assert describe(None) == "nothing (null)" and describe("  ") == "an empty text" and describe(80) == "int 80"
    assert describe("x" * 100).endswith("…") and describe({"a": 1}) == "a mapping"
