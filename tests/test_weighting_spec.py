"""The weighting the study spec can ask for, on small hand-made data (seeded): margins left blank, shares with a
total, a margin file naming the weighting variable instead of its item, categories the margins lack (also labels
written instead of codes), collapse, bounds and trimming — and the errors, in the spec's words."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from surveys.errors import StudyError, WeightingError
from surveys.study.pipeline import weight_responses
from surveys.study.spec import load_study

QUESTIONNAIRE = """
id: town
version: "1.0"
title: {zh: 小镇满意度, en: Town survey}
unit: {zh: 镇政府, en: Town office}
population: residents
modes: [paper]
scales:
  sex: {categories: [{code: 1, zh: 男, en: Male}, {code: 2, zh: 女, en: Female}]}
  age: {categories: [{code: 1, zh: 18-29岁, en: 18-29}, {code: 2, zh: 30-44岁, en: 30-44},
                     {code: 3, zh: 45-59岁, en: 45-59}, {code: 4, zh: 60岁及以上, en: 60+}]}
  satisfaction3:
    categories: [{code: 1, zh: 满意, en: Satisfied, satisfied: true}, {code: 2, zh: 基本满意, en: Basically,
                  satisfied: true}, {code: 3, zh: 不满意, en: Dissatisfied}]
items:
  - {id: q1, text: {zh: 您的性别, en: Sex}, type: single, scale: sex, role: demographic}
  - {id: q2, text: {zh: 您的年龄, en: Age}, type: single, scale: age, role: demographic}
  - {id: overall, text: {zh: 总体满意吗, en: Overall}, type: single, scale: satisfaction3, role: overall}
measures:
  - {id: overall_rate, kind: rate, items: [overall], label: {zh: 满意率, en: Satisfaction}, headline: true}
weighting:
  - {id: gender, item: q1}
  - {id: age_group, item: q2}
platforms:
  paper: {columns: {q1: Q1, q2: Q2, overall: Q3}}
"""
PEOPLE = {"gender": {1: 5100, 2: 4900}, "age_group": {1: 2000, 2: 3000, 3: 3000, 4: 2000}}


def _csv(rows: dict[str, dict], shares: bool = False, blank: tuple[str, ...] = ()) -> str:
    lines = ["variable,category,population,share,source,as_of"]
    for variable, values in rows.items():
        total = sum(values.values())
        for category, value in values.items():
            population = "" if variable in blank or shares else str(value)
            share = "" if variable in blank or not shares else repr(value / total)
            lines.append(f"{variable},{category},{population},{share},bureau,")
    return "\n".join(lines) + "\n"


def _study(tmp_path, margins_text: str, weighting: dict | None = None, **entry):
    (tmp_path / "town.yaml").write_text(QUESTIONNAIRE, encoding="utf-8")
    (tmp_path / "forms.csv").write_text("Q1,Q2,Q3\n1,1,1\n", encoding="utf-8")   # only has to exist here
    (tmp_path / "margins.csv").write_text(margins_text, encoding="utf-8")
    document = {"study": {"id": "town"}, "questionnaires": [{"id": "town", "file": "town.yaml"}],
                "inputs": [{"file": "forms.csv", "questionnaire": "town", "platform": "paper"}],
                "margins": [{"file": "margins.csv", "population": "residents", **entry}],
                "weighting": {"method": "rake", **(weighting or {})}}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_study(path)


def _sample(size: int = 300, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"q1": rng.choice([1, 2], size=size, p=[0.35, 0.65]).astype(float),
                         "q2": rng.choice([1, 2, 3, 4], size=size, p=[0.1, 0.3, 0.4, 0.2]).astype(float),
                         "overall": rng.choice([1, 2, 3], size=size).astype(float)})


def _total(weighted, column: str, code: float) -> float:
    design = weighted.design
    return float(design.weights[design.data[column].to_numpy() == code].sum())


def test_a_margin_file_may_name_the_weighting_variable_instead_of_its_item(tmp_path):
    weighted = weight_responses(_sample(), "town", _study(tmp_path, _csv(PEOPLE)))
    assert weighted.method == "rake" and weighted.weighted and not weighted.notes
    assert math.isclose(_total(weighted, "q1", 1), 5100, rel_tol=1e-7)
    assert math.isclose(_total(weighted, "q2", 4), 2000, rel_tol=1e-7)


def test_blank_tables_are_skipped_and_with_none_filled_the_design_is_unweighted(tmp_path):
    data = _sample()
    weighted = weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE, blank=("age_group",)), blank="skip"))
    assert weighted.weighted and math.isclose(_total(weighted, "q1", 2), 4900, rel_tol=1e-7)
    assert any("age_group" in note.en and "left blank" in note.en and "尚未填写" in note.zh for note in weighted.notes)
    none = weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE, blank=("gender", "age_group")),
                                                 blank="skip"))
    assert none.method == "none" and not none.weighted and np.all(none.design.weights == 1.0)
    assert any(note.en.startswith("unweighted") for note in none.notes)
    with pytest.raises(WeightingError, match="'gender' '1' has neither a population nor a share"):
        weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE, blank=("gender",))))   # blank: error


def test_shares_need_the_population_total(tmp_path):
    with pytest.raises(WeightingError, match=r"every margin weighted to \(gender, age_group\) is given as shares.*"
                                             r"add `total: <population size>` to margins\[0\] in study.yaml"):
        weight_responses(_sample(), "town", _study(tmp_path, _csv(PEOPLE, shares=True)))
    weighted = weight_responses(_sample(), "town", _study(tmp_path, _csv(PEOPLE, shares=True), total=10000))
    assert math.isclose(float(weighted.design.weights.sum()), 10000, rel_tol=1e-9)
    assert math.isclose(_total(weighted, "q1", 1), 5100, rel_tol=1e-7)


def test_categories_the_margins_lack_are_named_with_the_files_numbers(tmp_path):
    labels = _csv({"gender": {"男": 5100, "女": 4900}, "age_group": PEOPLE["age_group"]})
    with pytest.raises(WeightingError) as error:
        weight_responses(_sample(), "town", _study(tmp_path, labels))
    message = str(error.value)
    assert "margins.csv: 'gender' has no row for '1' (男) (110 respondents), '2' (女)" in message
    assert "write the scale's codes instead" in message
    assert "weighting.collapse" in message and "collapse=" not in message and "1e+06" not in message
    missing_row = _csv({"gender": PEOPLE["gender"], "age_group": {1: 2000, 2: 3000, 3: 5000}})
    with pytest.raises(WeightingError, match=r"'age_group' has no row for '4' \(60岁及以上\) \(\d+ respondents\)"):
        weight_responses(_sample(), "town", _study(tmp_path, missing_row))
    # merged into a category the file has, the respondents of 60+ are weighted with the 45-59s
    weighted = weight_responses(_sample(), "town", _study(tmp_path, missing_row,
                                                          weighting={"collapse": {"age_group": {4: 3}}}))
    assert math.isclose(_total(weighted, "q2", 3) + _total(weighted, "q2", 4), 5000, rel_tol=1e-7)


def test_unanswered_or_out_of_scale_values_are_noted(tmp_path):
    data = _sample()
    data.loc[:4, "q1"] = np.nan    # e.g. a code 3 the mapping flagged out_of_scale and left missing
    weighted = weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE)))
    note = next(note for note in weighted.notes if "5 respondents" in note.en)
    assert "out_of_scale" in note.en and "(missing)" in note.en and note.en.startswith("Sex")
    assert "5 名受访者" in note.zh and "性别" in note.zh and "out_of_scale" not in note.zh  # Chinese words only


def test_collapse_is_recorded_with_the_sparse_merging(tmp_path):
    study = _study(tmp_path, _csv(PEOPLE), weighting={"collapse": {"age_group": {1: 2}}})
    weighted = weight_responses(_sample(), "town", study)
    assert weighted.diagnostics.collapsed["age_group@residents"] == {"1": "2"}
    assert math.isclose(_total(weighted, "q2", 1) + _total(weighted, "q2", 2), 5000, rel_tol=1e-7)
    with pytest.raises(StudyError, match="would join '9', which is not a category"):
        weight_responses(_sample(), "town", _study(tmp_path, _csv(PEOPLE), weighting={"collapse": {"age_group": {1: 9}}}))
    with pytest.raises(StudyError, match=r"weighting.collapse names \['agegroup'\]"):
        weight_responses(_sample(), "town", _study(tmp_path, _csv(PEOPLE), weighting={"collapse": {"agegroup": {1: 2}}}))


def test_bounds_limit_the_raking_factors_and_trim_the_weights(tmp_path):
    data = _sample()
    bounded = weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE), weighting={"bounds": [0.5, 2.0]}))
    assert bounded.method == "bounded_rake"
    factors = bounded.design.weights / bounded.design.adjustments[0].old_weights
    assert factors.min() >= 0.5 - 1e-9 and factors.max() <= 2.0 + 1e-9   # plain raking: 0.61–2.61
    assert math.isclose(_total(bounded, "q1", 1), 5100, rel_tol=1e-6)
    trimmed = weight_responses(data, "town", _study(tmp_path, _csv(PEOPLE),
                                                    weighting={"trim": {"upper": 1.5, "strict": True}}))
    weights = trimmed.design.weights
    assert weights.max() <= 1.5 * weights.mean() * (1 + 1e-9)
    assert math.isclose(float(weights.sum()), 10000, rel_tol=1e-9)
    assert any("trimmed" in note.en for note in trimmed.notes)
    # the margins of the report are those the trimmed weights meet, not the raking's exact ones
    margins = trimmed.diagnostics.margins
    after = margins.loc[margins["variable"] == "gender@residents", "share_after"].to_numpy()
    assert not np.allclose(after, [0.51, 0.49], atol=1e-9)
    assert np.isclose(after.sum(), 1.0)


def test_spec_keys_are_checked(tmp_path):
    with pytest.raises(StudyError) as error:
        _study(tmp_path, _csv(PEOPLE), weighting={"bounds": [2, 3], "trim": {"upper": 0.5}, "collapse": [1]},
               blank="maybe", total=-5)
    message = str(error.value)
    for key in ("weighting.bounds", "weighting.trim", "weighting.collapse", "margins[0].blank", "margins[0].total"):
        assert key in message
