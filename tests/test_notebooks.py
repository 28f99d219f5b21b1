"""The worked examples in notebooks/: committed without outputs, public API only, and they run.

Each notebook is executed with nbclient in a temporary working folder, on a kernel started from this
interpreter through a kernel spec written into that folder (nothing is registered with Jupyter; the kernel
talks over IPC sockets in that folder and its temporary files go there too). A cell error, a cell running
longer than ``CELL_TIMEOUT_SECONDS``, or anything a cell writes to stderr (a warning) fails the test. The
committed files are only read: execution works on an in-memory copy.
"""
from __future__ import annotations

import ast
import json
import os
import pathlib
import re
import sys

import pytest

import surveys
import surveys.charts

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = (
    "01_quickstart_demo_city.ipynb",
    "02_weighting_diagnostics.ipynb",
    "03_planning_next_year.ipynb",
    "04_unfamiliar_wjx_export.ipynb",
)
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_SECONDS = 180
# Modules a notebook may import besides the standard library: the toolkit's public API and display libraries.
ALLOWED_IMPORTS = frozenset({"surveys", "surveys.charts", "pandas", "numpy", "matplotlib", "matplotlib.pyplot"})


def _notebook(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _python(source: str) -> str:
    """The cell without IPython magics (``%matplotlib inline``), which are not Python syntax."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def output_problems(notebook: dict) -> list[str]:
    """Code cells that carry outputs or execution counts (a committed notebook must have neither)."""
    return [f"cell {index}" for index, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
            and (cell.get("outputs") or cell.get("execution_count") is not None)]


def api_problems(source: str) -> list[str]:
    """Imports outside the standard library and ``ALLOWED_IMPORTS``, and ``surveys.<name>`` /
    ``surveys.charts.<name>`` attributes missing from the package's ``__all__``."""
    problems = []
    for node in ast.walk(ast.parse(_python(source))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = ["." * node.level + (node.module or "")]
        else:
            continue
        problems += [f"imports {module}" for module in modules
                     if module not in ALLOWED_IMPORTS and module.split(".")[0] not in sys.stdlib_module_names]
    problems += [f"surveys.charts.{name} is not in surveys.charts.__all__"
                 for name in re.findall(r"\bsurveys\.charts\.(\w+)", source) if name not in surveys.charts.__all__]
    problems += [f"surveys.{name} is not in surveys.__all__"
                 for name in re.findall(r"\bsurveys\.(?!charts\b)(\w+)", source)
                 if name not in surveys.__all__ and name not in ("__version__", "__file__")]
    return problems


def test_every_notebook_is_there():
    assert [path.name for path in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    problems = output_problems(_notebook(path))
    assert not problems, (f"{path.name}: {problems} carry outputs or execution counts; clear them before "
                          "committing (Jupyter: Edit → Clear Outputs of All Cells)")


def test_output_check_finds_outputs():
    clean = {"cells": [{"cell_type": "code", "source": "1", "outputs": [], "execution_count": None}]}
    ran = {"cells": [{"cell_type": "markdown", "source": "x"},
                     {"cell_type": "code", "source": "1", "outputs": [{"output_type": "stream"}],
                      "execution_count": 3}]}
    assert output_problems(clean) == [] and output_problems(ran) == ["cell 1"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_uses_only_the_public_api(path):
    problems = [problem for cell in _notebook(path)["cells"] if cell["cell_type"] == "code"
                for problem in api_problems(_source(cell))]
    assert not problems, f"{path.name}: {problems}"


def test_api_check_finds_private_names():
    assert api_problems("%matplotlib inline\nimport pathlib\nimport surveys\nsurveys.rake\nsurveys.charts.target_chart") == []
    assert "imports surveys.planning" in api_problems("from surveys.planning import allocate")
    assert api_problems("import yaml") == ["imports yaml"]
    assert api_problems("surveys.resources.bundled_questionnaires()") == ["surveys.resources is not in surveys.__all__"]
    assert api_problems("surveys.charts.fonts") == ["surveys.charts.fonts is not in surveys.charts.__all__"]


def _kernel_manager(folder: pathlib.Path, context):
    """A kernel manager for this interpreter, its kernel spec kept inside ``folder``; the manager and its
    clients open their sockets in ``context``, which the caller destroys (jupyter_client otherwise leaves
    sockets to the garbage collector: a ResourceWarning under the suite's warnings-as-errors)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class Manager(AsyncKernelManager):
        def client(self, **kwargs):
            return super().client(context=self.context, **kwargs)

    spec_dir = folder / "kernels" / "surveys-notebook-test"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "surveys tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return Manager(kernel_name="surveys-notebook-test", kernel_spec_manager=specs, context=context,
                   transport="ipc", ip=str(folder / "kernel-ipc"), connection_file=str(folder / "connection.json"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    zmq_asyncio = pytest.importorskip("zmq.asyncio")
    committed = path.read_bytes()
    notebook = nbformat.reads(committed.decode("utf-8"), as_version=4)
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    context = zmq_asyncio.Context()
    client = nbclient.NotebookClient(notebook, km=_kernel_manager(tmp_path, context), timeout=CELL_TIMEOUT_SECONDS,
                                     resources={"metadata": {"path": str(work)}})
    environment = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython"), "TMPDIR": str(scratch),
                   "PYTHONWARNINGS": "default"}
    try:
        client.execute(env=environment, cleanup_kc=True)  # we made the manager: shut the kernel down too
    finally:
        context.destroy(linger=0)
    written = [(index, output.get("text", "")[:300]) for index, cell in enumerate(notebook.cells)
               for output in cell.get("outputs", [])
               if output.get("output_type") == "stream" and output.get("name") == "stderr"]
    assert not written, f"{path.name}: cells wrote to stderr (warnings?): {written}"
    assert path.read_bytes() == committed, f"{path.name} was changed by running it"
