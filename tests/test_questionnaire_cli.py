"""``surveys questionnaire check | show | list`` through ``surveys.cli.main``.

Only this command group is registered (the other groups are tested by their own areas), so these
tests do not depend on modules being written elsewhere in the tree.
"""
from __future__ import annotations

import pathlib

import pytest

import surveys.cli
from surveys.resources import bundled_questionnaires

QUESTIONNAIRES = pathlib.Path(__file__).resolve().parent.parent / "questionnaires"


@pytest.fixture(autouse=True)
def only_questionnaire_commands(monkeypatch):
    monkeypatch.setattr(surveys.cli, "_COMMAND_MODULES", ("surveys.cli.questionnaire",))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = surveys.cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_check_passes_for_every_bundled_instrument(capsys):
    paths = [str(path) for path in bundled_questionnaires()]
    status, out, err = _run(capsys, "questionnaire", "check", *paths)
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 6
    assert "ok market_supervision v1.0: 16 items, 6 measures" in lines
    assert all(line.startswith("ok ") for line in lines)


def test_check_reports_each_failing_file_and_exits_2(capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    text = (QUESTIONNAIRES / "social_stability.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("scale: safety5", "scale: safety6"), encoding="utf-8")
    good = QUESTIONNAIRES / "legal_awareness.yaml"
    status, out, err = _run(capsys, "questionnaire", "check", str(good), str(broken))
    assert status == 2
    assert out.startswith("ok legal_awareness v1.0:")
    assert str(broken) in err and "items[3].scale:" in err and "unknown scale 'safety6'" in err
    assert "1 of 2 questionnaire files failed" in err


@pytest.mark.parametrize("lang, expected", [
    ("zh", ["总体而言，您对本市经济调节和市场监管工作是否满意？", "非常满意", "✓ 计入满意率", "分值 100", "不了解/不适用",
            "跳题逻辑：仅当 respondent_type ∈ {2 企业, 3 个体工商户, 4 其他组织}", "overall_rate >= 80%",
            "ci_lower_bound", "中心区", "wjx", "6:不了解→9", "正确答案: 3 基本满意"]),
    ("en", ["Overall, how satisfied are you with the city's economic regulation and market supervision?",
            "Very satisfied", "✓ counts as satisfied", "score 100", "Asked only if respondent_type ∈ {2 Enterprise",
            "overall_rate >= 80%", "Zhongxin District", "from the frame", "correct answer: 3 Basically satisfied"]),
])
def test_show_prints_a_readable_codebook(capsys, lang, expected):
    status, out, err = _run(capsys, "questionnaire", "show", str(QUESTIONNAIRES / "market_supervision.yaml"),
                            "--lang", lang)
    assert status == 0, err
    for fragment in expected:
        assert fragment in out, fragment


def test_show_of_a_broken_file_is_an_error(capsys, tmp_path):
    status, out, err = _run(capsys, "questionnaire", "show", str(tmp_path / "absent.yaml"))
    assert status == 2 and out == ""
    assert err.startswith("error: ") and "absent.yaml" in err


def test_list_shows_the_bundled_instruments(capsys):
    status, out, err = _run(capsys, "questionnaire", "list")
    assert status == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [path.stem for path in bundled_questionnaires()]
    assert any("人大代表建议、政协委员提案办理情况征询意见表" in line for line in lines)


def test_questionnaire_without_a_subcommand_prints_help_and_exits_2(capsys):
    status, out, _ = _run(capsys, "questionnaire")
    assert status == 2 and "check" in out and "show" in out and "list" in out
