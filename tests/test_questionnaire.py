"""Questionnaire model, loader checks and the six bundled instruments.

Broken definitions are built by mutating a small valid one and written to ``tmp_path``; each must
raise QuestionnaireError naming the file and the key path of the problem.
"""
from __future__ import annotations

import copy
import dataclasses
import pathlib
from typing import Any, Callable

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import surveys
from surveys import Condition, QuestionnaireError, Text, load_questionnaire
from surveys.resources import bundled_questionnaires

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
QUESTIONNAIRES = REPOSITORY / "questionnaires"


def _category(code: int, zh: str, en: str, **flags: Any) -> dict[str, Any]:
    return {"code": code, "zh": zh, "en": en, **flags}


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _minimal() -> dict[str, Any]:
    return {
        "id": "mini",
        "version": "1",
        "title": _text("小问卷", "Mini questionnaire"),
        "unit": _text("某单位", "Some unit"),
        "population": "residents",
        "modes": ["paper", "online"],
        "scales": {
            "satisfaction": {"categories": [
                _category(1, "满意", "Satisfied", satisfied=True, score=100),
                _category(2, "不满意", "Dissatisfied", score=0),
                _category(9, "不了解", "Don't know", dont_know=True),
            ]},
            "yes_no": {"categories": [_category(1, "是", "Yes"), _category(2, "否", "No")]},
        },
        "items": [
            {"id": "contacted", "text": _text("办过事吗？", "Contacted?"), "type": "single", "scale": "yes_no",
             "role": "screener"},
            {"id": "service", "text": _text("服务满意吗？", "Service?"), "type": "single", "scale": "satisfaction",
             "role": "satisfaction", "asked_if": [{"item": "contacted", "in": [1]}]},
            {"id": "attention", "text": _text("请选满意", "Choose satisfied"), "type": "single",
             "scale": "satisfaction", "role": "attention_check", "correct_answer": 1},
            {"id": "overall", "text": _text("总体满意吗？", "Overall?"), "type": "single", "scale": "satisfaction",
             "role": "overall"},
            {"id": "comments", "text": _text("意见", "Comments"), "type": "text", "role": "free_text",
             "required": False},
        ],
        "measures": [
            {"id": "overall_rate", "kind": "rate", "items": ["overall"], "label": _text("满意率", "Rate"),
             "headline": True, "target": {"threshold": 0.8, "comparison": ">=", "rule": "ci_lower_bound"}},
            {"id": "index", "kind": "index", "items": ["service", "overall"], "label": _text("指数", "Index")},
        ],
        "weighting": [
            {"id": "mode", "item": None, "label": _text("方式", "Mode"), "categories": [
                {"code": 1, "key": "paper", "zh": "纸质问卷", "en": "Paper"},
                {"code": 2, "key": "online", "zh": "网络问卷", "en": "Online"},
            ]},
        ],
        "platforms": {
            "wjx": {
                "columns": {"contacted": "1", "service": "2", "attention": "3", "overall": "4", "comments": "5"},
                "value_maps": {"overall": {"满意": 1, "不满意": 2, "不了解": 9}},
            },
        },
    }


def _write(tmp_path: pathlib.Path, document: Any, name: str = "broken.yaml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _load_error(path: pathlib.Path) -> str:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    return str(caught.value)


# --------------------------------------------------------------------------- the valid minimal file

def test_minimal_definition_loads_into_frozen_records(tmp_path):
    questionnaire = load_questionnaire(_write(tmp_path, _minimal(), "mini.yaml"))
    assert questionnaire.id == "mini"
    assert questionnaire.source_path == tmp_path / "mini.yaml"
    assert [item.id for item in questionnaire.items] == ["contacted", "service", "attention", "overall", "comments"]
    assert questionnaire.headline.id == "overall_rate"
    assert questionnaire.headline.target == surveys.Target(0.8, ">=", "ci_lower_bound")
    assert questionnaire.scale_of("overall").satisfied_codes == (1,)
    assert questionnaire.scale_of("comments") is None
    assert questionnaire.item("service").asked_if == (Condition("contacted", (1,)),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        questionnaire.scales["new"] = questionnaire.scales["yes_no"]  # type: ignore[index]
    with pytest.raises(TypeError):
        questionnaire.platforms["wjx"].columns["overall"] = "9"  # type: ignore[index]


def test_an_item_short_name_is_its_name_in_tables_and_charts(tmp_path):
    document = _minimal()
    document["items"][1]["short"] = _text("服务", "Service")
    questionnaire = load_questionnaire(_write(tmp_path, document, "mini.yaml"))
    assert questionnaire.item("service").name == surveys.Text("服务", "Service")
    assert questionnaire.item("overall").name == questionnaire.item("overall").text  # none: the question


def test_platform_options_follow_the_value_map_order_or_the_scale(tmp_path):
    questionnaire = load_questionnaire(_write(tmp_path, _minimal(), "mini.yaml"))
    assert questionnaire.position_code("wjx", "overall", 3) == 9  # 不了解 is the third option, code 9
    assert questionnaire.platform_options("wjx", "contacted") == (("是", 1), ("否", 2))
    with pytest.raises(QuestionnaireError, match="position 4"):
        questionnaire.position_code("wjx", "overall", 4)
    with pytest.raises(QuestionnaireError, match="no 'tencent' platform mapping"):
        questionnaire.platform("tencent")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(_minimal(), allow_unicode=True).encode("utf-8"))
    assert load_questionnaire(path).id == "mini"


# --------------------------------------------------------------------------- each error kind

def _set(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        target: Any = document
        keys = path.split("/")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        target[int(last) if isinstance(target, list) else last] = value
    return mutate


def _delete(path: str) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        target: Any = document
        keys = path.split("/")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[keys[-1]]
    return mutate


def _duplicate_item(document: dict) -> None:
    document["items"][2]["id"] = "service"


def _duplicate_code(document: dict) -> None:
    document["scales"]["satisfaction"]["categories"][1]["code"] = 1


def _no_satisfied_category(document: dict) -> None:
    document["scales"]["satisfaction"]["categories"][0]["satisfied"] = False


def _second_headline(document: dict) -> None:
    document["measures"][1]["headline"] = True


ERROR_CASES = [
    # (case id, mutation, key path the message must name, a fragment of what was expected or found)
    ("unknown scale", _set("items/1/scale", "satisfaction5"), "items[1].scale", "unknown scale 'satisfaction5'"),
    ("duplicate item id", _duplicate_item, "items[2].id", "found 'service' again"),
    ("duplicate code in a scale", _duplicate_code, "scales.satisfaction.categories[1].code", "unique"),
    ("scale without satisfied category", _no_satisfied_category, "items[1].scale", "satisfied: true"),
    ("asked_if names a later item", _set("items/1/asked_if", [{"item": "overall", "in": [1]}]),
     "items[1].asked_if[0].item", "after this item"),
    ("asked_if names an unknown item", _set("items/1/asked_if", [{"item": "contact", "in": [1]}]),
     "items[1].asked_if[0].item", "not an item of this questionnaire"),
    ("asked_if value outside the scale", _set("items/1/asked_if", [{"item": "contacted", "in": [3]}]),
     "items[1].asked_if[0].in[0]", "one of [1, 2]; found 3"),
    ("asked_if with both in and not_in", _set("items/1/asked_if", [{"item": "contacted", "in": [1], "not_in": [2]}]),
     "items[1].asked_if[0]", "exactly one of 'in'"),
    ("mapping to an unknown item", _set("platforms/wjx/columns/overal", "6"), "platforms.wjx.columns.overal",
     "unknown item 'overal'"),
    ("value map to a code outside the scale", _set("platforms/wjx/value_maps/overall", {"满意": 1, "很满意": 5}),
     "platforms.wjx.value_maps.overall.很满意", "found 5"),
    ("value map on a text item", _set("platforms/wjx/value_maps/comments", {"无": 1}),
     "platforms.wjx.value_maps.comments", "choice item"),
    ("问卷星 column that is not a question number", _set("platforms/wjx/columns/overall", "Q4"),
     "platforms.wjx.columns.overall", "question number"),
    ("two items fed by one column", _set("platforms/wjx/columns/overall", "3"), "platforms.wjx.columns.overall",
     "also mapped to 'attention'"),
    ("unknown platform", _set("platforms/wjxx", {"columns": {"overall": "1"}}), "platforms.wjxx",
     "did you mean 'wjx'"),
    ("measure over an unknown item", _set("measures/0/items", ["overal"]), "measures[0].items[0]",
     "unknown item 'overal'"),
    ("index over unscored categories", _set("measures/1/items", ["contacted"]), "measures[1].items[0]",
     "carry a score"),
    ("threshold given in percent", _set("measures/0/target/threshold", 80), "measures[0].target.threshold",
     "0.80, not 80"),
    ("threshold of zero", _set("measures/0/target/threshold", 0), "measures[0].target.threshold",
     "strictly between 0 and 1"),
    ("threshold of one", _set("measures/0/target/threshold", 1.0), "measures[0].target.threshold",
     "strictly between 0 and 1"),
    ("target on an index", _set("measures/1/target", {"threshold": 0.8}), "measures[1].target",
     "expected targets only on rates"),
    ("unknown comparison", _set("measures/0/target/comparison", "=>"), "measures[0].target.comparison",
     "expected one of ['>=', '>']"),
    ("two headline measures", _second_headline, "measures", "exactly one measure with headline: true"),
    ("unknown role", _set("items/3/role", "overal"), "items[3].role", "did you mean 'overall'"),
    ("unknown type", _set("items/3/type", "singel"), "items[3].type", "did you mean 'single'"),
    ("missing required item key", _delete("items/3/text"), "items[3].text", "required key is missing"),
    ("missing top-level key", _delete("measures"), "measures", "required key is missing"),
    ("unknown key (typo)", _set("items/1/asked_iff", []), "items[1].asked_iff", "did you mean 'asked_if'"),
    ("unknown category key", _set("scales/satisfaction/categories/0/satisfed", True),
     "scales.satisfaction.categories[0].satisfed", "did you mean 'satisfied'"),
    ("attention check without its answer", _delete("items/2/correct_answer"), "items[2].correct_answer",
     "required key is missing"),
    ("correct answer outside the scale", _set("items/2/correct_answer", 4), "items[2].correct_answer",
     "found 4"),
    ("scale on a text item", _set("items/4/scale", "yes_no"), "items[4].scale", "expected no scale"),
    ("version as a number", _set("version", 1.0), "version", "quote numbers"),
    ("unknown mode", _set("modes", ["paper", "telephone"]), "modes[1]", "expected one of ['paper', 'online']"),
    ("weighting on an unknown item", _set("weighting/0/item", "districts"), "weighting[0].item",
     "unknown item 'districts'"),
    ("don't-know category with a score", _set("scales/satisfaction/categories/2/score", 50),
     "scales.satisfaction.categories[2].score", "no score on a don't-know category"),
    ("short name too long", _set("items/1/short", _text("您对本单位提供的各项公共服务的总体情况是否满意", "Service")),
     "items[1].short", "at most 16 characters"),
]


@pytest.mark.parametrize("mutate, key_path, fragment",
                         [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES])
def test_each_schema_error_names_file_key_path_and_what_was_found(tmp_path, mutate, key_path, fragment):
    document = copy.deepcopy(_minimal())
    mutate(document)
    path = _write(tmp_path, document)
    message = _load_error(path)
    assert str(path) in message
    assert f"{key_path}:" in message
    assert fragment in message


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    document = copy.deepcopy(_minimal())
    document["items"][1]["scale"] = "nope"
    document["measures"][0]["target"]["threshold"] = 1.5
    document["platforms"]["wjx"]["columns"]["ghost"] = "9"
    message = _load_error(_write(tmp_path, document))
    assert "3 problems" in message
    for key_path in ("items[1].scale:", "measures[0].target.threshold:", "platforms.wjx.columns.ghost:"):
        assert key_path in message


def test_a_non_utf8_file_is_an_error(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(yaml.safe_dump(_minimal(), allow_unicode=True).encode("gb18030"))
    message = _load_error(path)
    assert str(path) in message and "UTF-8" in message


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("id: mini\nitems: [unclosed\n", encoding="utf-8")
    message = _load_error(path)
    assert str(path) in message and "line" in message


def test_a_key_repeated_in_one_mapping_is_an_error(tmp_path):
    path = tmp_path / "repeated.yaml"
    text = yaml.safe_dump(_minimal(), allow_unicode=True, sort_keys=False)
    path.write_text(text.replace("      overall: '4'\n", "      overall: '4'\n      overall: '6'\n"), encoding="utf-8")
    assert "overall: '6'" in path.read_text(encoding="utf-8")
    message = _load_error(path)
    assert str(path) in message and "duplicate key 'overall'" in message and "line" in message


def test_a_missing_file_is_an_error(tmp_path):
    message = _load_error(tmp_path / "absent.yaml")
    assert "absent.yaml" in message and "cannot read" in message


def test_a_file_that_is_not_a_mapping_is_an_error(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert "expected a YAML mapping" in _load_error(path)


# --------------------------------------------------------------------------- conditions and scales

@pytest.mark.parametrize("condition, answer, expected", [
    (Condition("type", (2, 3, 4)), 2, True),
    (Condition("type", (2, 3, 4)), 1, False),
    (Condition("type", (2, 3, 4), negate=True), 1, True),
    (Condition("type", (2, 3, 4), negate=True), 3, False),
    (Condition("type", (2, 3, 4)), None, False),
    (Condition("type", (2, 3, 4), negate=True), None, False),  # an unanswered trigger never opens a branch
    (Condition("channels", (1,)), (2, 1), True),  # multiple choice: any chosen code
    (Condition("channels", (1,)), [2, 3], False),
    (Condition("channels", (1,), negate=True), [2, 3], True),
    (Condition("channels", (1,)), [], False),
])
def test_condition_holds(condition, answer, expected):
    assert condition.holds(answer) is expected


@settings(derandomize=True, max_examples=200, deadline=None)
@given(values=st.frozensets(st.integers(1, 9), min_size=1), answer=st.one_of(
    st.integers(0, 10), st.lists(st.integers(0, 10), min_size=1, max_size=4)))
def test_a_negated_condition_is_the_complement_for_any_answer(values, answer):
    condition = Condition("trigger", tuple(sorted(values)))
    negated = Condition("trigger", tuple(sorted(values)), negate=True)
    assert condition.holds(answer) != negated.holds(answer)


def test_item_is_asked_only_when_every_condition_holds():
    item = surveys.Item("follow_up", Text("追问", "Follow-up"), "single", "s", "satisfaction",
                        asked_if=(Condition("a", (1,)), Condition("b", (2,), negate=True)))
    assert item.is_asked({"a": 1, "b": 1})
    assert not item.is_asked({"a": 1, "b": 2})
    assert not item.is_asked({"a": 2, "b": 1})
    assert not item.is_asked({})


def test_scale_helpers(tmp_path):
    scale = load_questionnaire(_write(tmp_path, _minimal(), "mini.yaml")).scales["satisfaction"]
    assert scale.codes == (1, 2, 9)
    assert scale.satisfied_codes == (1,)
    assert scale.dont_know_codes == (9,)
    assert dict(scale.scores) == {1: 100.0, 2: 0.0}
    assert scale.label(9) == "不了解" and scale.label(9, "en") == "Don't know"
    assert scale.code_of(" 不满意 ") == 2 and scale.code_of("Satisfied") == 1
    with pytest.raises(QuestionnaireError, match="no category with code 5"):
        scale.category(5)
    with pytest.raises(QuestionnaireError, match="no category labelled"):
        scale.code_of("很满意")


def test_text_get():
    text = Text("满意", "Satisfied")
    assert text.get() == "满意" and text.get("en") == "Satisfied"
    assert Text("满意", "").get("en") == "满意"
    with pytest.raises(QuestionnaireError, match="'zh' or 'en'"):
        text.get("fr")


# --------------------------------------------------------------------------- the bundled instruments

EXPECTED_IDS = {"market_supervision", "social_stability", "grassroots_governance", "proposal_handling",
                "law_based_administration", "legal_awareness"}
ONLINE_RESIDENT_IDS = {"market_supervision", "social_stability", "law_based_administration", "legal_awareness"}
DISTRICTS = [(1, "中心区", "Zhongxin District"), (2, "东城区", "Dongcheng District"), (3, "西城区", "Xicheng District"),
             (4, "南湖区", "Nanhu District"), (5, "北塬区", "Beiyuan District"), (6, "高新区", "Gaoxin District"),
             (7, "青山县", "Qingshan County"), (8, "河川县", "Hechuan County"), (9, "柳林县", "Liulin County"),
             (10, "石桥县", "Shiqiao County")]
AGE_GROUPS = [(1, "18–29岁", "18–29"), (2, "30–39岁", "30–39"), (3, "40–49岁", "40–49"), (4, "50–59岁", "50–59"),
              (5, "60–69岁", "60–69"), (6, "70岁及以上", "70 and over")]


def _weighting_categories(questionnaire, variable_id):
    variable = questionnaire.weighting_variable(variable_id)
    return [(c.code, c.label.zh, c.label.en) for c in variable.categories]


def test_six_instruments_are_bundled_in_the_repository():
    paths = bundled_questionnaires()
    assert {path.stem for path in paths} == EXPECTED_IDS
    assert all(path.parent == QUESTIONNAIRES for path in paths)


@pytest.fixture(scope="module")
def bundled():
    return {path.stem: load_questionnaire(path) for path in bundled_questionnaires()}


@pytest.mark.parametrize("instrument_id", sorted(EXPECTED_IDS))
def test_bundled_instrument_meets_the_indicator_conventions(bundled, instrument_id):
    questionnaire = bundled[instrument_id]
    assert questionnaire.id == instrument_id
    assert 8 <= len(questionnaire.items) <= 20
    assert questionnaire.items_with_role("overall")
    headline = questionnaire.headline
    assert headline.kind == "rate"
    assert headline.target == surveys.Target(0.80, ">=", "ci_lower_bound")
    assert all(questionnaire.item(item_id).role == "overall" for item_id in headline.items)
    for item in questionnaire.items:
        assert item.text.zh and item.text.en
    assert _weighting_categories(questionnaire, "mode") == [(1, "纸质问卷", "Paper questionnaire"),
                                                            (2, "网络问卷", "Online questionnaire")]
    assert questionnaire.weighting_variable("mode").item is None
    assert [c.key for c in questionnaire.weighting_variable("mode").categories] == ["paper", "online"]
    assert set(questionnaire.modes) == {"paper", "online"}


@pytest.mark.parametrize("instrument_id", sorted(EXPECTED_IDS - {"proposal_handling"}))
def test_resident_instruments_use_the_shared_scale_and_weighting_variables(bundled, instrument_id):
    questionnaire = bundled[instrument_id]
    assert _weighting_categories(questionnaire, "district") == DISTRICTS
    assert _weighting_categories(questionnaire, "sex") == [(1, "男", "Male"), (2, "女", "Female")]
    assert _weighting_categories(questionnaire, "age_group") == AGE_GROUPS
    scale = questionnaire.scale_of("overall")
    assert [c.label.zh for c in scale.categories] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意", "不了解"]
    assert [c.label.zh for c in scale.categories if c.satisfied] == ["非常满意", "满意", "基本满意"]
    assert [c.label.zh for c in scale.categories if c.dont_know] == ["不了解"]
    assert [c.score for c in scale.categories] == [100, 80, 60, 30, 0, None]
    checks = questionnaire.items_with_role("attention_check")
    assert checks and all(item.correct_answer in questionnaire.scale_of(item.id).codes for item in checks)


@pytest.mark.parametrize("instrument_id", sorted(EXPECTED_IDS))
def test_bundled_platform_mappings_cover_every_item_and_every_code(bundled, instrument_id):
    questionnaire = bundled[instrument_id]
    expected_platforms = {"wjx", "paper"} | ({"tencent"} if instrument_id in ONLINE_RESIDENT_IDS else set())
    assert set(questionnaire.platforms) == expected_platforms
    item_ids = [item.id for item in questionnaire.items]
    for name, mapping in questionnaire.platforms.items():
        assert sorted(mapping.columns) == sorted(item_ids), name
    # 问卷星 numbers questions 1, 2, ... in form order.
    assert [questionnaire.platform("wjx").column(item_id) for item_id in item_ids] == \
        [str(number) for number in range(1, len(item_ids) + 1)]
    for item in questionnaire.items:
        if item.scale is None:
            continue
        scale = questionnaire.scales[item.scale]
        options = questionnaire.platform_options("wjx", item.id)
        # Every category is reachable, and a value map exists whenever a position differs from its code.
        assert sorted(code for _, code in options) == sorted(scale.codes), item.id
        if any(position != code for position, (_, code) in enumerate(options, 1)):
            assert item.id in questionnaire.platform("wjx").value_maps, item.id


def test_market_supervision_branches_residents_and_enterprises(bundled):
    questionnaire = bundled["market_supervision"]
    assert questionnaire.item("respondent_type").role == "screener"
    assert _weighting_categories(questionnaire, "respondent_type") == [
        (1, "居民", "Resident"), (2, "企业", "Enterprise"), (3, "个体工商户", "Self-employed business"),
        (4, "其他组织", "Other organisation")]
    assert _weighting_categories(questionnaire, "enterprise_size") == [
        (1, "大型", "Large"), (2, "中型", "Medium"), (3, "小型", "Small"), (4, "微型", "Micro")]
    resident, enterprise = {"respondent_type": 1}, {"respondent_type": 2}
    for item_id in ("enterprise_size", "market_access", "inspection_fairness"):
        assert not questionnaire.item(item_id).is_asked(resident)
        assert questionnaire.item(item_id).is_asked(enterprise)
    assert questionnaire.item("sex").is_asked(resident) and not questionnaire.item("sex").is_asked(enterprise)
    assert questionnaire.item("overall").is_asked(resident) and questionnaire.item("overall").is_asked(enterprise)


def test_proposal_form_rates_work_and_result_per_proposal(bundled):
    questionnaire = bundled["proposal_handling"]
    assert questionnaire.item("proposal_number").role == "identifier"
    assert _weighting_categories(questionnaire, "deputy_type") == [(1, "人大代表", "NPC deputy"),
                                                                   (2, "政协委员", "CPPCC member")]
    for item_id in ("work_satisfaction", "result_satisfaction", "overall"):
        scale = questionnaire.scale_of(item_id)
        assert [c.label.zh for c in scale.categories] == ["满意", "基本满意", "不满意"]
        assert scale.satisfied_codes == (1, 2)
    assert [c.label.zh[0] for c in questionnaire.scale_of("result_class").categories] == ["A", "B", "C", "D"]
    assert {m.id for m in questionnaire.measures} >= {"work_rate", "result_rate"}
    assert not questionnaire.item("dissatisfaction_reason").is_asked({"overall": 1})
    assert questionnaire.item("dissatisfaction_reason").is_asked({"overall": 3})


def test_legal_awareness_scores_knowledge_items_against_their_keys(bundled):
    questionnaire = bundled["legal_awareness"]
    knowledge = questionnaire.items_with_role("knowledge")
    assert len(knowledge) >= 5
    assert all(item.correct_answer in questionnaire.scale_of(item.id).codes for item in knowledge)
    assert {item.correct_answer for item in knowledge} == {1, 2}  # both true and false statements
    awareness = questionnaire.measure("awareness_rate")
    assert awareness.kind == "correct_rate" and set(awareness.items) == {item.id for item in knowledge}
    assert questionnaire.headline.kind == "rate"
    channels = questionnaire.item("publicity_channels")
    assert channels.type == "multiple" and questionnaire.scale_of(channels.id).multiple


def test_a_broken_item_is_reported_once_not_again_where_it_is_referenced(tmp_path):
    document = copy.deepcopy(_minimal())
    del document["items"][0]["text"]  # 'contacted' is then unusable; 'service' branches on it, wjx maps it
    document["items"][3]["scale"] = "nope"  # 'overall' keeps no scale; measures and value maps use it
    message = _load_error(_write(tmp_path, document))
    assert "2 problems" in message, message
    assert "items[0].text:" in message and "items[3].scale:" in message


def test_weighting_section_is_optional(tmp_path):
    import yaml

    from surveys import load_questionnaire
    from surveys.resources import questionnaire_dir

    spec = yaml.safe_load((questionnaire_dir() / "social_stability.yaml").read_text(encoding="utf-8"))
    spec.pop("weighting")
    path = tmp_path / "no_weighting.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert load_questionnaire(path).weighting == ()
