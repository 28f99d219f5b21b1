"""The package reads as its data flow: stage folders without import cycles (function-level imports included),
public APIs only, and a light start (``import surveys`` and ``surveys --help`` load no scipy, matplotlib or
openpyxl)."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "surveys"
# what ``import surveys`` and the command line's parser must not load
HEAVY = ("scipy", "matplotlib", "openpyxl", "python_calamine", "pyreadstat")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for sub in ast.walk(node))
    return skipped


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports anywhere (functions included; TYPE_CHECKING blocks excluded).
    An import of a package's ``__init__`` counts as an edge to it."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_nodes(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(node, module, path.name == "__init__.py"):
                if target in modules and target != module and target != "surveys":
                    found.add(target)
        graph[module] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_module_imports_another_that_imports_it_back():
    assert _cycles(import_graph()) == []


def test_no_stage_folder_imports_a_stage_that_imports_it_back():
    stages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        for target in targets:
            if _stage(module) != _stage(target):
                stages.setdefault(_stage(module), set()).add(_stage(target))
    assert _cycles(stages) == []


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_tricks():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import ctypes" not in text and "pandas._libs" not in text, path


def _loaded_after(code: str) -> list[str]:
    found = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                           capture_output=True, text=True, check=True).stdout.split()
    return sorted({name.split(".")[0] for name in found if name.split(".")[0] in HEAVY})


def test_import_surveys_is_light():
    assert _loaded_after("import surveys") == []
    assert _loaded_after("import surveys; surveys.__version__") == []


def test_the_command_lines_parser_is_light():
    assert _loaded_after("from surveys.cli import build_parser; build_parser()") == []


def test_every_public_name_resolves():
    code = "import surveys\nfor name in surveys.__all__:\n    getattr(surveys, name)"
    subprocess.run([sys.executable, "-c", code], check=True)
