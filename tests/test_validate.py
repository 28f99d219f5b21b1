"""Validation rules: every issue code on small hand-made exports, rule configuration and row accounting."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_responses import mini_questionnaire, paper_file, tencent_file, wjx_text_file

from surveys.errors import ValidationError
from surveys.ingest import read_export
from surveys.ingest.mapping import map_export, read_for_questionnaire
from surveys.ingest.privacy import Pseudonymiser
from surveys.validate import ISSUE_CODES, ValidationRules, validate_export

AREA = ValidationRules(area=("陕西-秦川",), straightline_items=3)


@pytest.fixture
def mini(tmp_path):
    return mini_questionnaire(tmp_path)


def _rows_with(report, code):
    return sorted(set(report.issues_of(code)["row"]))


def _wjx_rows():
    base = "2026/10/3 1{}:00:00"
    here = "1.2.3.{}(陕西-秦川)"
    return [
        (1, base.format(0), 120, here.format(1), "是", "满意", "不满意", "满意", "电视", "不了解", "(空)"),   # clean
        (2, base.format(1), 5, here.format(2), "是", "满意", "不满意", "满意", "电视", "满意", "(空)"),       # speeder
        (3, base.format(2), 120, here.format(3), "是", "满意", "不满意", "不满意", "电视", "满意", "(空)"),   # attention
        (4, base.format(3), 120, "8.8.8.8(广东-深圳)", "是", "满意", "不满意", "满意", "电视", "不满意", "(空)"),
        (5, base.format(4), 120, here.format(5), "是", "(空)", "(空)", "满意", "(空)", "(空)", "(空)"),  # incomplete
        (6, base.format(5), 120, here.format(6), "是", "满意", "满意", "满意", "网络", "满意", "(空)"),  # straight line
        (7, base.format(6), "很久", here.format(7), "否", "(跳过)", "不满意", "满意", "电视", "满意", "(空)"),
        (8, base.format(7), 120, here.format(8), "否", "(跳过)", "满意", "满意", "报纸", "(空)", "(空)"),  # overall blank
    ]


def test_every_row_level_rule_reports_its_code(tmp_path, mini):
    mapped = map_export(read_export(wjx_text_file(tmp_path / "w.csv", _wjx_rows())), mini)
    report = validate_export(mapped, mini, AREA)
    assert _rows_with(report, "speeder") == [2]
    assert _rows_with(report, "attention_check_failed") == [3]
    assert _rows_with(report, "outside_area") == [4]
    assert _rows_with(report, "incomplete") == [5]
    assert _rows_with(report, "straightline") == [6]
    assert _rows_with(report, "unparseable") == [7]
    assert _rows_with(report, "required_missing") == [5, 8]
    assert report.rejected == (2, 3, 5)
    assert report.flagged == (4, 6, 7, 8)
    assert report.rows_read == 8 == report.accepted + len(report.rejected)
    speeder = report.issues_of("speeder").iloc[0]
    assert speeder["column"] == "duration_seconds" and speeder["value"] == "5" and "seconds per item" in speeder["message"]
    assert set(report.issues.columns) == {"code", "row", "column", "value", "message", "action"}
    assert report.reasons["required_missing"] == 2


def test_skip_violation_and_out_of_scale_on_paper(tmp_path, mini):
    rows = [("F-1", "张明", "2026-10-05", 2, 1, 1, 1, "1", 1, None),      # used = 否 but service answered
            ("F-2", "张明", "2026-10-05", 1, 1, 7, 1, "1", 1, None)]      # 7 is not a code of the scale
    mapped = map_export(read_for_questionnaire(paper_file(tmp_path / "p.xlsx", rows), mini), mini)
    report = validate_export(mapped, mini)
    violation = report.issues_of("skip_violation").iloc[0]
    assert (violation["row"], violation["column"], violation["value"]) == (1, "service", "1")
    assert "used in [1]" in violation["message"]
    scale = report.issues_of("out_of_scale").iloc[0]
    assert (scale["row"], scale["column"], scale["value"]) == (2, "hotline", "7")
    assert report.rejected == () and report.flagged == (1, 2)


def _tencent_rows():
    def row(number, moment, open_id, ip, ua, comment=""):
        return (number, moment, moment, 200, open_id, ip, ua, "是", "满意", "不满意", "满意", ("电视",), "满意", comment)
    return [
        row(1, "2026-10-03 10:00:00", "oA", "10.0.0.1", "UA-1"),
        row(2, "2026-10-04 10:00:00", "oA", "10.0.0.2", "UA-2"),           # same OpenID a day later: rank 1
        row(3, "2026-10-03 12:00:00", "oC", "10.0.0.3", "UA-X"),
        row(4, "2026-10-03 12:05:00", "oD", "10.0.0.3", "UA-X"),           # same IP + UA within 30 min: rank 3
        row(5, "2026-10-03 14:00:00", "oE", "10.0.0.5", "UA-1"),
        row(6, "2026-10-03 14:10:00", "oF", "10.0.0.5", "UA-2"),           # same IP alone: flag only
        row(7, "2026-10-05 14:10:00", "oG", "10.0.0.5", "UA-3"),           # same IP two days later: nothing
        row(8, "2026-10-03 16:00:00", "oH", "10.0.0.8", "UA-8", "电话 138 1234 5678"),
        row(9, "2026-10-06 16:00:00", "oI", "10.0.0.9", "UA-9", "我的手机+86 13812345678"),  # same phone: rank 2
    ]


def test_duplicate_submissions_by_ranked_evidence(tmp_path, mini):
    mapped = map_export(read_export(tencent_file(tmp_path / "t.csv", _tencent_rows())), mini)
    report = validate_export(mapped, mini)
    duplicates = report.issues_of("duplicate_submission").set_index("row")
    assert sorted(duplicates.index) == [2, 4, 6, 9]
    assert "rank 1" in duplicates.at[2, "message"] and "OpenID" in duplicates.at[2, "message"]
    assert "as row 1" in duplicates.at[2, "message"]
    assert "rank 3" in duplicates.at[4, "message"] and duplicates.at[4, "action"] == "reject"
    assert "rank 4" in duplicates.at[6, "message"] and duplicates.at[6, "action"] == "flag"
    assert "rank 2" in duplicates.at[9, "message"] and "as row 8" in duplicates.at[9, "message"]
    assert report.rejected == (2, 4, 9) and report.flagged == (6,)
    assert "oA" not in report.issues.to_string() and "10.0.0" not in report.issues.to_string()


def test_earlier_batches_count_as_earlier_submissions(tmp_path, mini):
    key = Pseudonymiser(b"s" * 32)
    mapped = map_export(read_export(tencent_file(tmp_path / "t.csv", _tencent_rows()[:1])), mini, pseudonymiser=key)
    earlier = pd.DataFrame({"open_id": [key.token("open_id", "oA")], "submitted_at": [pd.Timestamp("2026-10-01")],
                            "where": ["batch 1 row 3"]})
    report = validate_export(mapped, mini, earlier=earlier)
    assert report.rejected == (1,)
    assert "as batch 1 row 3" in report.issues_of("duplicate_submission").iloc[0]["message"]


def test_actions_are_configurable_per_rule(tmp_path, mini):
    mapped = map_export(read_export(wjx_text_file(tmp_path / "w.csv", _wjx_rows())), mini)
    rules = ValidationRules.from_mapping({"speeder": {"seconds_per_item": 1, "action": "flag"},
                                          "attention_check_failed": "off", "incomplete": {"action": "flag"},
                                          "outside_area": {"area": ["陕西"], "action": "reject"}})
    report = validate_export(mapped, mini, rules)
    assert _rows_with(report, "speeder") == [2]          # 5 seconds for 6 answered items
    assert 2 in report.flagged and 5 in report.flagged
    assert "attention_check_failed" not in set(report.issues["code"])
    assert report.rejected == (4,)
    assert report.accepted + len(report.rejected) == report.rows_read


def test_rules_from_a_study_spec_and_their_errors():
    rules = ValidationRules.from_mapping({"straightline": {"min_items": 4}, "duplicate_submission": {"window_minutes": 60}})
    assert rules.straightline_items == 4 and rules.window_minutes == 60 and rules.action("speeder") == "reject"
    assert ValidationRules.from_mapping(rules.to_mapping()) == rules
    assert set(rules.actions) == set(ISSUE_CODES)
    with pytest.raises(ValidationError, match="did you mean 'speeder'"):
        ValidationRules.from_mapping({"speeders": {"action": "flag"}})
    with pytest.raises(ValidationError, match="takes"):
        ValidationRules.from_mapping({"speeder": {"seconds": 2}})
    with pytest.raises(ValidationError, match="must be one of"):
        ValidationRules.from_mapping({"speeder": "delete"})
    with pytest.raises(ValidationError, match="0.5, not 50"):
        ValidationRules(min_answered_share=50)


_LABELS = ("满意", "不满意", "不了解", "(空)", "很好")          # 很好 is no option: out_of_scale
_PLACES = ("陕西-秦川", "陕西-西安", "广东-深圳", "")


@settings(max_examples=25)
@given(rows=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3), st.integers(0, 3),
                               st.sampled_from(("是", "否", "(空)")), st.lists(st.sampled_from(_LABELS), min_size=4,
                                                                              max_size=4)),
                     min_size=1, max_size=12),
       actions=st.dictionaries(st.sampled_from(ISSUE_CODES), st.sampled_from(("reject", "flag", "off"))))
def test_rows_read_equal_accepted_plus_rejected_whatever_the_rules(tmp_path_factory, rows, actions):
    folder = tmp_path_factory.mktemp("property")
    mini = mini_questionnaire(folder)
    exported = []
    for number, (seconds, ip, place, used, labels) in enumerate(rows, start=1):
        service = labels[0] if used == "是" else "(跳过)"
        location = f"10.0.0.{ip}({_PLACES[place]})" if _PLACES[place] else f"10.0.0.{ip}"
        exported.append((number, f"2026/10/3 10:{number:02d}:00", seconds, location, used, service, labels[1],
                         labels[2], "电视", labels[3], "(空)"))
    mapped = map_export(read_export(wjx_text_file(folder / "w.csv", exported)), mini)
    report = validate_export(mapped, mini, ValidationRules(area=("陕西-秦川",), straightline_items=2,
                                                           actions=actions))
    assert report.rows_read == len(rows) == report.accepted + len(report.rejected)
    assert not set(report.rejected) & set(report.flagged)
    assert set(report.rejected) | set(report.accepted_rows) == set(range(1, len(rows) + 1))
    assert set(report.issues["action"]) <= {"reject", "flag"}
    for code, action in actions.items():
        if action == "off":
            assert code not in set(report.issues["code"])
