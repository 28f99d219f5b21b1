"""The docs live in the repository: nothing the package ships (code, questionnaires, the demo study, the READMEs,
docs/) points to a file outside it, and every docs/ page the code cites exists."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = [*ROOT.glob("surveys/**/*.py"), *ROOT.glob("questionnaires/*"), *ROOT.glob("analysis/**/*.*"),
           *ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "pyproject.toml"]
# notes that live beside the project, not in it
OUTSIDE = re.compile(r"\.\./shared|shared/(real-exports|reference|seed|formats)|\b(FORMATS|PRACTICE|NEEDS|STYLE)\.md")
CITED = re.compile(r"docs/([a-z_]+\.md)")


def _texts():
    for path in SHIPPED:
        if path.is_file() and path.suffix in (".py", ".md", ".yaml", ".toml", ".csv"):
            yield path, path.read_text(encoding="utf-8")


def test_nothing_shipped_points_outside_the_repository():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path, text in _texts() for number, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not found, "\n".join(found)


def test_every_cited_docs_page_exists():
    cited = {name for _, text in _texts() for name in CITED.findall(text)}
    assert {"formats.md", "scoring.md", "needs.md", "plan.md"} <= cited
    assert sorted(name for name in cited if not (ROOT / "docs" / name).is_file()) == []


def test_the_outside_pattern_can_fail():
    assert OUTSIDE.search("see ../shared/real-exports") and OUTSIDE.search("(PRACTICE.md §3)")
    assert not OUTSIDE.search("docs/scoring.md §3") and not OUTSIDE.search("shared helpers")
