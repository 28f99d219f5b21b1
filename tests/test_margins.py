"""The margin file format: loading, writing, checking, templates and the other margin forms."""
from __future__ import annotations

import argparse
import pathlib

import numpy as np
import pandas as pd
import pytest

from surveys import WeightingError
from surveys.questionnaire import load_questionnaire
from surveys.weighting.margins import (
    MARGIN_COLUMNS,
    Margins,
    MarginTable,
    as_margin_table,
    as_margin_tables,
    load_margins,
    template_for,
)

HERE = pathlib.Path(__file__).resolve().parent
QUESTIONNAIRES = HERE.parent / "questionnaires"

GOOD = """\ufeff# 秦川市 residents aged 18+, 第七次全国人口普查 2020
variable,category,population,share,source,as_of
district,1,310000,,第七次全国人口普查 2020,2020-11-01
district,2,290000,,第七次全国人口普查 2020,2020-11-01
sex,1,,0.51,census,2020-11-01
sex,2,,0.49,census,2020-11-01
# a joint table
district+sex,1|1,160000,,census,2020-11-01
district+sex,1|2,150000,,census,2020-11-01
district+sex,2|1,140000,,census,2020-11-01
district+sex,2|2,150000,,census,2020-11-01
"""


def write(tmp_path: pathlib.Path, text: str, name: str = "margins.csv") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_reads_counts_shares_joint_tables_bom_and_comments(tmp_path):
    margins = load_margins(write(tmp_path, GOOD))
    assert margins.variables == ("district", "sex", "district+sex")
    assert margins["district"].totals() == {"1": 310000.0, "2": 290000.0}
    assert margins["sex"].is_share and margins["sex"].totals(1000) == {"1": 510.0, "2": 490.0}
    joint = margins[("district", "sex")]
    assert joint.variables == ("district", "sex") and joint.category_parts("2|1") == ("2", "1")
    assert margins["district"].sources[0] == "第七次全国人口普查 2020"
    assert margins.comments[0].startswith("秦川市")


def test_write_then_load_round_trips(tmp_path):
    margins = load_margins(write(tmp_path, GOOD))
    again = load_margins(write(tmp_path, margins.write(), "again.csv"))
    assert again.tables == margins.tables
    lines = margins.write().splitlines()
    assert lines[len(margins.comments)] == ",".join(MARGIN_COLUMNS)


def test_every_problem_of_a_file_is_reported_with_its_line(tmp_path):
    text = (
        "variable,category,population,share,source,as_of\n"
        "district,1,100,,s,2020-11-01\n"
        "district,1,200,,s,2020-11-01\n"            # repeated category
        "sex,1,,0.6,s,2020-13-01\n"                 # bad date
        "sex,2,,0.6,s,2020-11-01\n"                 # shares sum to 1.2
        "age_group,1,abc,,s,\n"                     # not a number
        "mixed,1,10,,s,\n"
        "mixed,2,,0.5,s,\n"                         # mixes kinds
        "district+sex,1,10,,s,\n"                   # joint needs 2 codes
        "empty,1,,,s,\n"                            # neither
        "district,3,50,,s,\n"                       # second block
    )
    with pytest.raises(WeightingError) as raised:
        load_margins(write(tmp_path, text))
    message = str(raised.value)
    for fragment in [
        "line 3: 'district' category '1' repeats line 2",
        "line 4: as_of '2020-13-01' is not an ISO date",
        "the shares of 'sex' sum to 1.2, not 1",
        "line 6: population 'abc' is not a number",
        "'mixed' mixes populations (1 rows) and shares (1 rows)",
        "line 9: 'district+sex' is a table of 2 variable(s), so a category has 2 code(s)",
        "line 10: 'empty' '1' has neither a population nor a share; fill in one of them",
        "line 11: variable 'district' appears in two blocks",
    ]:
        assert fragment in message


def test_wrong_header_and_missing_file(tmp_path):
    with pytest.raises(WeightingError, match=r"line 1: expected the header variable,category,population,share,source,as_of"):
        load_margins(write(tmp_path, "variable,category,count\n"))
    with pytest.raises(WeightingError, match=r"does not exist"):
        load_margins(tmp_path / "nope.csv")


def test_unknown_variable_lookup_lists_the_margins(tmp_path):
    margins = load_margins(write(tmp_path, GOOD))
    with pytest.raises(WeightingError, match=r"no margin for 'age_group' in .*; the margins are \['district', 'sex', 'district\+sex'\]"):
        margins["age_group"]


def test_template_for_a_questionnaire_lists_every_weighting_variable(tmp_path):
    questionnaire = load_questionnaire(QUESTIONNAIRES / "market_supervision.yaml")
    template = template_for(questionnaire)
    assert template.variables == tuple(v.id for v in questionnaire.weighting)
    first = questionnaire.weighting[0]
    assert template.tables[0].categories == tuple(str(c.code) for c in first.categories)
    assert not template.tables[0].is_complete
    text = template.write(tmp_path / "template.csv")
    assert ",".join(MARGIN_COLUMNS) in text
    # an unfilled template is refused with the fix
    with pytest.raises(WeightingError, match="has neither a population nor a share"):
        load_margins(tmp_path / "template.csv")


def test_cli_margins_template_writes_a_file(tmp_path, capsys):
    from surveys.cli import margins as margins_cli

    parser = argparse.ArgumentParser()
    margins_cli.register(parser.add_subparsers())
    out = tmp_path / "t.csv"
    args = parser.parse_args(["margins", "template", "market_supervision", "-o", str(out)])
    assert args.handler(args) == 0
    assert "district" in out.read_text(encoding="utf-8")
    args = parser.parse_args(["margins", "template", str(QUESTIONNAIRES / "market_supervision.yaml")])
    assert args.handler(args) == 0
    assert capsys.readouterr().out.count("\n") > 10
    filled = write(tmp_path, GOOD)
    args = parser.parse_args(["margins", "check", str(filled)])
    assert args.handler(args) == 0
    assert "ok district: 2 categories (counts, total 600,000)" in capsys.readouterr().out


def test_cli_unknown_questionnaire_is_a_survey_error():
    from surveys import SurveyError
    from surveys.cli import margins as margins_cli

    parser = argparse.ArgumentParser()
    margins_cli.register(parser.add_subparsers())
    args = parser.parse_args(["margins", "template", "no_such_instrument"])
    with pytest.raises(SurveyError, match="no bundled questionnaire of that id"):
        args.handler(args)


def test_other_margin_forms():
    r_style = as_margin_table(pd.DataFrame({"stype": ["E", "H"], "Freq": [10, 20]}))
    assert r_style.variable == "stype" and r_style.totals() == {"E": 10.0, "H": 20.0}
    series = as_margin_table(pd.Series([1, 2], index=pd.Index([1.0, 2.0], name="sex")))
    assert series.variable == "sex" and series.categories == ("1", "2")
    shares = as_margin_table({1: 0.25, 2: 0.75}, "sex")
    assert shares.is_share
    joint = as_margin_table({(1, 2): 5, (2, 1): 6}, ["district", "sex"])
    assert joint.variable == "district+sex" and joint.categories == ("1|2", "2|1")
    tables = as_margin_tables([("sex", {1: 3, 2: 4}), r_style])
    assert [t.variable for t in tables] == ["sex", "stype"]
    frame = Margins((r_style,)).to_frame()
    assert list(frame.columns) == list(MARGIN_COLUMNS)
    assert as_margin_table(frame, "stype").totals() == r_style.totals()
    with pytest.raises(WeightingError, match="needs by="):
        as_margin_table({1: 2})
    with pytest.raises(WeightingError, match="negative or non-finite"):
        as_margin_table({1: -2}, "sex")
    with pytest.raises(WeightingError, match="is given as shares and no population total is known"):
        shares.totals()
    assert np.allclose(MarginTable("x", ("a",), population=(3.0,)).values(), [3.0])


def test_blank_tables_are_read_as_unfilled_only_when_asked(tmp_path):
    text = ("variable,category,population,share,source,as_of\n"
            "sex,1,510,,,\nsex,2,490,,,\nage,1,,,,\nage,2,,,,\n")
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WeightingError, match="'age' '1' has neither"):
        load_margins(path)
    margins = load_margins(path, blank="skip")
    assert margins["sex"].is_complete and not margins["age"].is_complete
    path.write_text(text.replace("age,1,,,,", "age,1,300,,,"), encoding="utf-8")  # filled in part: still a problem
    with pytest.raises(WeightingError, match="'age' '2' has neither"):
        load_margins(path, blank="skip")


def test_cli_check_accepts_shares_only_where_a_run_can_use_them(tmp_path, capsys):
    from surveys.cli import main

    shares = tmp_path / "shares.csv"
    shares.write_text("variable,category,population,share,source,as_of\nsex,1,,0.51,,\nsex,2,,0.49,,\n",
                      encoding="utf-8")
    assert main(["margins", "check", str(shares)]) == 2
    err = capsys.readouterr().err
    assert "every variable is given as shares" in err and "margins[].total" in err and "--total N" in err
    assert main(["margins", "check", str(shares), "--total", "1000000"]) == 0
    assert "a population of 1,000,000" in capsys.readouterr().out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(shares.read_text(encoding="utf-8") + "age,1,600000,,,\nage,2,400000,,,\n", encoding="utf-8")
    assert main(["margins", "check", str(mixed)]) == 0
    assert "counted in age (1,000,000)" in capsys.readouterr().out
    blank = tmp_path / "blank.csv"
    blank.write_text("variable,category,population,share,source,as_of\nsex,1,,,,\nsex,2,,,,\n", encoding="utf-8")
    assert main(["margins", "check", str(blank)]) == 0
    assert capsys.readouterr().out.startswith("blank sex: 2 categories not filled in")
