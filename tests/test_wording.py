"""The zh/en wording: one table type and one language check behind every stage's words."""
from __future__ import annotations

import pytest

from surveys.charts import text as chart_text
from surveys.errors import ChartError, EstimationError, QuestionnaireError, ReportError, SurveyError, ValidationError
from surveys.indicators import wording as indicator_wording
from surveys.report import labels as report_labels
from surveys.validate import reason_label
from surveys.wording import Text, Wording, check_language

TABLE = Wording({"wave": ("调查波次：{wave}", "Survey wave: {wave}"), "rate": {"zh": "比率", "en": "Rate"},
                 "only_zh": Text("只有中文", "")}, error=ReportError, subject="report language")


def test_get_picks_the_language_and_fills_the_placeholders():
    assert TABLE.get("wave", "zh", wave="2026") == "调查波次：2026"
    assert TABLE.get("wave", "en", wave="2026") == "Survey wave: 2026"
    assert TABLE.get("rate", "en") == "Rate" and TABLE["rate"] == Text("比率", "Rate")
    assert TABLE.get("only_zh", "en") == "只有中文"  # an empty English text reads as the Chinese
    assert "rate" in TABLE and len(TABLE) == 3 and list(TABLE) == ["wave", "rate", "only_zh"]


def test_an_unknown_key_is_a_bug_unless_the_table_shows_it():
    with pytest.raises(KeyError):
        TABLE.get("nope", "zh")
    shown = Wording({}, unknown=lambda key: key.upper())
    assert shown.get("new_code", "en") == "NEW_CODE"


@pytest.mark.parametrize("check, error", [
    (lambda lang: TABLE.get("rate", lang), ReportError),
    (lambda lang: report_labels.label("overview", lang), ReportError),
    (lambda lang: chart_text.phrase("rate", lang), ChartError),
    (lambda lang: indicator_wording.say("cut_mean", lang), EstimationError),
    (lambda lang: reason_label("speeder", lang), ValidationError),
    (lambda lang: Text("满意", "Satisfied").get(lang), QuestionnaireError),
    (lambda lang: check_language(lang), SurveyError),
])
def test_one_language_check_in_each_stages_terms(check, error):
    with pytest.raises(error, match="must be 'zh' or 'en'; found 'fr'"):
        check("fr")


def test_the_stages_tables_say_what_they_said():
    assert report_labels.label("overview", "zh") == "总览" and report_labels.label("role_new_kind", "en") == "new_kind"
    assert report_labels.verdict_label("met", "zh") == "达标（有统计把握）"
    assert report_labels.verdict_label("no_data", "en") == "no data"
    assert chart_text.phrase("target", "en", value="80%") == "Target 80%"
    assert indicator_wording.say("priorities", "zh", items="办事效率") == "先改进：办事效率。"
    assert reason_label("speeder", "en") == "answered too fast" and reason_label("from_a_newer_stage") == \
        "from_a_newer_stage"
