"""`surveys plan` prints the numbers analysts paste into their survey plan."""
from __future__ import annotations

from surveys.cli import main


def test_plan_margin_with_allocation_and_table(tmp_path, capsys):
    populations = tmp_path / "districts.csv"
    populations.write_text("stratum,population\n中心区,520000\n东城区,310000\n青山县,42000\n石桥县,9000\n", encoding="utf-8")
    code = main(["plan", "--margin", "0.03", "--p", "0.8", "--allocate", str(populations), "--minimum", "100", "--table"])
    out = capsys.readouterr().out
    assert code == 0
    assert "completes needed                 683" in out
    assert "石桥县" in out and "margin of error" in out


def test_plan_target_power_uses_the_verdicts_rule(capsys):
    assert main(["plan", "--target", "0.8", "--true-rate", "0.85"]) == 0
    out = capsys.readouterr().out
    assert "completes needed                 488" in out and "one-sided α = 0.025" in out
    assert main(["plan", "--target", "0.8", "--true-rate", "0.85", "--alpha", "0.05"]) == 0
    assert "normal approximation           367.5" in capsys.readouterr().out


def test_plan_table_flags_a_census(capsys):
    assert main(["plan", "--margin", "0.05", "--population", "420", "--table"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip().startswith(("400", "600"))]
    assert "普查" not in lines[0] and "普查" in lines[1]


def test_plan_bad_question_is_an_error_not_a_traceback(capsys):
    assert main(["plan", "--margin", "3"]) == 2
    assert capsys.readouterr().err.startswith("error: margin must be a share")
