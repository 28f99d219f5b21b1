"""The study spec: the bundled demo spec loads against generated files, paths resolve relative to the right
folder, defaults come from the questionnaires, and every malformed spec raises one StudyError naming the file,
the key path, what was expected and what was found."""
from __future__ import annotations

import pathlib

import pytest
import yaml

from surveys.errors import StudyError
from surveys.study.spec import AnalysisSpec, Study, load_study

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
DEMO_SPEC = REPOSITORY / "analysis" / "demo" / "study.yaml"


def _touch(folder: pathlib.Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def _spec(tmp_path: pathlib.Path, document: dict, name: str = "study.yaml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _minimal(**changes) -> dict:
    document = {
        "study": {"id": "tiny", "title": {"zh": "小研究", "en": "tiny study"}},
        "wave": "2026",
        "questionnaires": [{"id": "social_stability", "version": "1.0"}],
        "inputs": [{"file": "paper/a.xlsx", "questionnaire": "social_stability", "platform": "paper",
                    "variant": "entry_A", "pair": "paper/b.xlsx"},
                   {"file": "paper/b.xlsx", "questionnaire": "social_stability", "platform": "paper",
                    "variant": "entry_B", "pair": "paper/a.xlsx"},
                   {"file": "online/*_export.csv", "questionnaire": "social_stability", "platform": "tencent"}],
        "margins": [{"file": "margins/residents.csv", "population": "residents",
                     "variables": ["district", "sex"], "rows": {"respondent_type": [1]}}],
    }
    document.update(changes)
    return document


@pytest.fixture()
def data(tmp_path):
    folder = tmp_path / "data"
    _touch(folder, "paper/a.xlsx", "paper/b.xlsx", "online/7_export.csv", "margins/residents.csv")
    return folder


def test_a_minimal_spec_resolves_paths_pairs_globs_and_defaults(tmp_path, data):
    study = load_study(_spec(tmp_path, _minimal(data="data")))
    assert isinstance(study, Study) and study.id == "tiny" and study.title.en == "tiny study"
    assert study.data_dir == data.resolve()
    first, second, online = study.inputs
    assert first.path == (data / "paper/a.xlsx").resolve() and first.pair == second.path and second.pair == first.path
    assert first.mode == "paper" and online.mode == "online" and online.wave == "2026"
    assert online.path.name == "7_export.csv"  # the glob matched its one file
    assert study.margins[0].rows == {"respondent_type": (1,)} and study.margins[0].variables == ("district", "sex")
    assert study.margins[0].applies_to("social_stability")
    # no measures section: the questionnaire's headline measure with its own target
    (measure,) = study.measures
    headline = study.questionnaires["social_stability"].headline
    assert (measure.measure, measure.threshold, measure.rule) == (headline.id, headline.target.threshold,
                                                                  headline.target.rule)
    assert study.survey_questionnaires == ("social_stability",) and study.census_questionnaires == ()
    assert study.weighting.method == "rake" and study.estimation.ci_method == "logit" and study.lang == "zh"


def test_the_analyses_run_by_default_and_each_can_be_switched_off(tmp_path, data):
    assert load_study(_spec(tmp_path, _minimal(data="data"))).analysis == AnalysisSpec(True, True, True)
    study = load_study(_spec(tmp_path, _minimal(data="data", analysis={"drivers": False})))
    assert (study.analysis.groups, study.analysis.drivers, study.analysis.reliability) == (True, False, True)


def test_data_dir_argument_overrides_the_spec(tmp_path, data):
    (tmp_path / "elsewhere").mkdir()
    spec = _spec(tmp_path / "elsewhere", _minimal())
    study = load_study(spec, data_dir=data)
    assert study.inputs[0].path.parent.parent == data.resolve()
    with pytest.raises(StudyError, match=r"inputs\[0\]\.file: file 'paper/a.xlsx' not found"):
        load_study(spec)  # relative to the spec's folder, where nothing was generated


def test_the_bundled_demo_spec_loads_against_generated_files(tmp_path):
    from surveys.demo import generate_demo

    manifest = generate_demo(tmp_path, sample_scale=0.05)
    study = load_study(DEMO_SPEC, data_dir=tmp_path)
    exports = {entry.path for entry in manifest.files if entry.questionnaire}
    assert {str(entry.path.relative_to(tmp_path.resolve())) for entry in study.inputs} == exports
    assert study.targets == (DEMO_SPEC.parent / "targets.yaml").resolve()
    assert study.census_questionnaires == ("proposal_handling",)
    # the generator's own spec (no register) loads too
    own = load_study(tmp_path / "study.yaml")
    assert own.targets is None and len(own.inputs) == len(study.inputs)


@pytest.mark.parametrize("changes, key, expected", [
    ({"extra": 1}, "extra", "unknown section"),
    ({"wave": ["2026"]}, "wave", "expected a text value"),
    ({"questionnaires": [{"id": "social_stability", "version": "9.9"}]}, "questionnaires[0].version",
     "expected version '1.0'"),
    ({"questionnaires": [{"id": "no_such_survey"}]}, "questionnaires[0].file", "found neither beside the spec"),
    ({"weighting": {"method": "ipf"}}, "weighting.method", "expected one of ['rake', 'none'], found 'ipf'"),
    ({"weighting": {"max_iterations": 0}}, "weighting.max_iterations", "expected a whole number ≥ 1"),
    ({"estimation": {"ci_method": "magic"}}, "estimation.ci_method", "expected one of"),
    ({"estimation": {"level": 95}}, "estimation.level", "expected a number in [0.5, 0.999]"),
    ({"report": {"lang": "fr"}}, "report.lang", "expected one of ['zh', 'en'], found 'fr'"),
    ({"measures": [{"questionnaire": "social_stability", "measure": "nope"}]}, "measures[0].measure",
     "expected a measure of social_stability"),
    ({"measures": [{"questionnaire": "social_stability", "rule": "vibes"}]}, "measures[0].rule",
     "expected a verdict rule"),
    ({"margins": [{"file": "margins/residents.csv", "rows": {"respondent_type": ["one"]}}]},
     "margins[0].rows.respondent_type", "expected a list of whole-number codes"),
    ({"targets": "targets.yaml"}, "targets", "file 'targets.yaml' not found"),
    ({"validation": {"speedr": {"seconds_per_item": 2}}}, "validation", "unknown rule 'speedr'"),
    ({"analysis": {"groups": "yes"}}, "analysis.groups", "expected true or false, found 'yes'"),
    ({"analysis": {"quadrants": True}}, "analysis.quadrants", "unknown key; 'analysis' takes ['groups', 'drivers', "
                                                              "'reliability']"),
    ({"analysis": [True]}, "analysis", "expected a mapping"),
])
def test_each_problem_names_the_file_and_key(tmp_path, data, changes, key, expected):
    spec = _spec(tmp_path, _minimal(data="data", **changes))
    with pytest.raises(StudyError) as caught:
        load_study(spec)
    message = str(caught.value)
    assert str(spec) in message
    assert f"{key}: " in message and expected in message


def test_input_problems_are_collected_together(tmp_path, data):
    inputs = [{"file": "online/*.xlsx", "questionnaire": "social_stability", "platform": "wjx"},
              {"file": "paper/a.xlsx", "questionnaire": "market_supervision", "platform": "paper"},
              {"file": "paper/b.xlsx", "questionnaire": "social_stability", "platform": "fax"},
              {"file": "paper/a.xlsx", "questionnaire": "social_stability", "platform": "paper",
               "pair": "paper/zzz.xlsx", "colour": "red"}]
    with pytest.raises(StudyError) as caught:
        load_study(_spec(tmp_path, _minimal(data="data", inputs=inputs)))
    message = str(caught.value)
    assert "problem(s) in the study spec" in message
    assert "inputs[0].file: expected the pattern 'online/*.xlsx' to match exactly one file" in message
    assert "inputs[1].questionnaire: expected one of the spec's questionnaires ['social_stability']" in message
    assert "inputs[2].platform: expected one of" in message and "found 'fax'" in message
    assert "inputs[3].colour: unknown key" in message
    assert "inputs[3].pair: expected the file of another input, found 'paper/zzz.xlsx'" in message


def test_unreadable_specs(tmp_path):
    with pytest.raises(StudyError, match="study spec not found"):
        load_study(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [unclosed\n", encoding="utf-8")
    with pytest.raises(StudyError, match="not valid YAML"):
        load_study(bad)
    bad.write_bytes("study: 研究".encode("gb18030"))
    with pytest.raises(StudyError, match="expected UTF-8"):
        load_study(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(StudyError, match="expected a mapping of sections"):
        load_study(bad)


def test_a_survey_questionnaire_without_inputs_is_a_problem(tmp_path, data):
    document = _minimal(data="data", questionnaires=[{"id": "social_stability"}, {"id": "legal_awareness"}])
    with pytest.raises(StudyError, match="questionnaire 'legal_awareness' has no input file"):
        load_study(_spec(tmp_path, document))
