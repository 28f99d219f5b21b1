"""The README's Python quickstart runs as written (it is the first code a newcomer copies)."""
from __future__ import annotations

import pathlib
import re
import runpy

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_python_quickstart_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README.md has no python block"
    script = tmp_path / "quickstart.py"
    script.write_text(blocks[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    # the interval and its two halves as they are (no symmetric ± that is not the interval)
    assert re.search(r"\d+\.\d%（\d+\.\d%–\d+\.\d%，(−\d+\.\d/\+\d+\.\d|±\d+\.\d) 个百分点）", printed)
    assert any(word in printed for word in ("达标", "未达标"))


def test_readme_commands_match_the_ci_script():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q -n auto" in text and "python -m pytest -q -n auto" in ci
    # lint and types run before the tests
    assert ci.index("ruff check") < ci.index("mypy") < ci.index("python -m pytest -q")
    assert "surveys demo --out demo-out" in text
