"""Ingestion and the end-to-end study run on large 问卷星 exports, beside the floor of reading the same file.

    .venv/bin/python bench/ingest_benchmark.py                           # 10k,100k,1M rows; csv and xlsx
    .venv/bin/python bench/ingest_benchmark.py --sizes 10k,100k --formats csv --tools surveys,pandas

Each tool x format x size runs in a fresh process (``--worker``) with the protocol of ``bench/harness.py``: the
peak resident memory of the first full call, then the best wall time of ``--repeats`` calls (one for files of
100k rows and more). For surveys, a file of 32 MB or more is read by a forked child process (``+ N`` in the
memory column: the child's peak resident size, pages shared with the parent included). The exports are the demo city's market-supervision download repeated
(``bench/exports.py``, cached in ``--output-dir``/exports).

Tools:

* ``surveys``: ``Store(new).ingest(file, questionnaire)``: SHA-256, read, map, validate, pseudonymise, store
  (every row accepted or rejected with its reasons), in chunks of 25,000 rows;
* ``surveys_run``: ``run_study`` of the demo study cut down to market supervision with the export as its only
  input (ingest, raking to the enterprise margins, every estimate and verdict; no charts, no report);
* ``pandas``: ``pandas.read_csv(dtype=str, keep_default_na=False)`` (every cell as text, as it is stored, with
  pandas' C parser) / ``pandas.read_excel(engine="calamine", dtype=str)``;
* ``pandas_arrow``: ``pandas.read_csv(dtype=str, keep_default_na=False, engine="pyarrow")``: the same text frame
  (checked equal on these exports) read by pyarrow's multithreaded parser (CSV only; pyarrow needed);
* ``pandas_default``: ``pandas.read_csv(path)`` with nothing else: types inferred, so numbers lose their leading
  zeros and empty cells become missing (CSV only);
* ``calamine``: python-calamine's own read of the sheet into Python rows (xlsx only);
* ``R``: ``utils::read.csv`` / ``readxl::read_excel``, then ``survey::svydesign`` and ``svymean`` of the share
  satisfied overall (``bench/r/ingest_bench.R``; memory from ``/usr/bin/time``), where Rscript is installed.

The floor of a format is the fastest pandas read measured for it (the ``× floor`` column): on pandas 3.1 the C
parser asked for text (``dtype=str``) is about ten times slower than the same read by pyarrow or than the default
read, so a ratio against it alone would flatter the toolkit.

Output: the markdown table on stdout and in ``results/ingest.md``; the records in ``results/ingest.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPOSITORY = HERE.parent
sys.path.insert(0, str(HERE))

import exports  # noqa: E402
import harness  # noqa: E402

TOOLS = ("surveys", "surveys_run", "pandas", "pandas_arrow", "pandas_default", "calamine", "R")
#: The pandas reads whose fastest is the floor of a format; the others run on CSV only.
FLOORS = ("pandas", "pandas_arrow", "pandas_default")
CSV_ONLY = ("pandas_arrow", "pandas_default")
FORMATS = ("csv", "xlsx")
GOAL_ROWS_PER_SECOND = 30_000   # issue 15: a 1M-row 问卷星 CSV
GOAL_MEMORY = 1.5e9
QUESTIONNAIRE = REPOSITORY / "questionnaires" / f"{exports.TEMPLATE_INSTRUMENT}.yaml"


def _size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * {"k": 1_000, "m": 1_000_000}[text[-1]]) if text[-1] in "km" else int(text)


def _label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1_000}k"


# --- the work each tool does (run inside the worker process) --------------------------------------------------

def _stores(scratch: pathlib.Path) -> pathlib.Path:
    """A folder for the stores apart from the key file (a store refuses a key in its own folder)."""
    folder = scratch / "stores"
    folder.mkdir(exist_ok=True)
    return folder


def _surveys(path: pathlib.Path, scratch: pathlib.Path):
    from surveys.questionnaire import load_questionnaire
    from surveys.store.database import Store

    questionnaire = load_questionnaire(QUESTIONNAIRE)
    counter = iter(range(10 ** 6))

    def run():
        store = Store(_stores(scratch) / f"store{next(counter)}.sqlite", key_file=scratch / "key")
        result = store.ingest(path, questionnaire)
        return {"rows_read": result.rows_read, "accepted": result.accepted, "rejected": result.rejected}
    return run


def study_spec(path: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """The demo study cut down to market supervision, its one input the export at ``path`` (margins from a demo
    city generated into ``folder``)."""
    import yaml

    from surveys.demo import generate_demo

    city = folder / "city"
    if not (city / "margins").is_dir():
        generate_demo(city, instruments=[exports.TEMPLATE_INSTRUMENT])
    spec = REPOSITORY / "analysis" / "demo" / "study.yaml"
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    keep = exports.TEMPLATE_INSTRUMENT
    document["questionnaires"] = [q for q in document["questionnaires"] if q["id"] == keep]
    document["inputs"] = [{"file": str(path), "questionnaire": keep, "platform": "wjx", "mode": "online",
                           "wave": "2026"}]
    document["measures"] = [m for m in document["measures"] if m["questionnaire"] == keep]
    document["margins"] = [dict(m, questionnaires=[keep], file=str(city / m["file"])) for m in document["margins"]
                           if keep in m["questionnaires"]]
    register = yaml.safe_load((spec.parent / document["targets"]).read_text(encoding="utf-8"))
    register["targets"] = [target for target in register["targets"]
                           if (target.get("source") or {}).get("questionnaire") == keep]
    (folder / "targets.yaml").write_text(yaml.safe_dump(register, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    document["targets"] = str(folder / "targets.yaml")
    out = folder / f"study_{path.stem}.yaml"
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _surveys_run(path: pathlib.Path, scratch: pathlib.Path):
    from surveys.study.pipeline import run_study
    from surveys.study.spec import load_study

    spec = study_spec(path, scratch)
    counter = iter(range(10 ** 6))
    os.environ.setdefault("SURVEYS_KEY_FILE", str(scratch / "key"))

    def run():
        result = run_study(load_study(spec, data_dir=scratch / "city"),
                           store=_stores(scratch) / f"run{next(counter)}.sqlite")
        return {"rows_read": sum(account.rows_read for account in result.files),
                "targets": len(result.scoreboard)}
    return run


def _pandas(path: pathlib.Path, scratch: pathlib.Path):
    import pandas as pd

    if path.suffix == ".csv":
        return lambda: {"rows_read": len(pd.read_csv(path, dtype=str, keep_default_na=False))}
    return lambda: {"rows_read": len(pd.read_excel(path, engine="calamine", dtype=str))}


def _pandas_arrow(path: pathlib.Path, scratch: pathlib.Path):
    import pandas as pd

    return lambda: {"rows_read": len(pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow"))}


def _pandas_default(path: pathlib.Path, scratch: pathlib.Path):
    import pandas as pd

    return lambda: {"rows_read": len(pd.read_csv(path))}


def _calamine(path: pathlib.Path, scratch: pathlib.Path):
    from python_calamine import CalamineWorkbook

    return lambda: {"rows_read": len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()) - 1}


WORK = {"surveys": _surveys, "surveys_run": _surveys_run, "pandas": _pandas, "pandas_arrow": _pandas_arrow,
        "pandas_default": _pandas_default, "calamine": _calamine}


def worker(tool: str, path: pathlib.Path, repeats: int, output: pathlib.Path) -> int:
    record: dict = {"tool": tool, "file": str(path)}
    with tempfile.TemporaryDirectory(prefix="surveys-bench-") as folder:
        scratch = pathlib.Path(folder)
        try:
            run = WORK[tool](path, scratch)
            measured = harness.measure(run, repeats=repeats)
            # a large file is read by a forked process (surveys.ingest.background): its peak counts too
            child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            record.update(measured, values=measured.pop("result"), status="ok", child_peak_bytes=child)
        except Exception as error:   # a tool failing is a result to report
            record.update(status="error", error=f"{type(error).__name__}: {error}")
    output.write_text(json.dumps(record, default=float, indent=1))
    return 0


# --- the runner ----------------------------------------------------------------------------------------------

def _run_python(tool: str, path: pathlib.Path, repeats: int, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = pathlib.Path(handle.name)
    command = [sys.executable, str(pathlib.Path(__file__)), "--worker", tool, "--file", str(path),
               "--repeats", str(repeats), "--record", str(output)]
    try:
        subprocess.run(command, timeout=timeout, check=False, cwd=REPOSITORY)
        return json.loads(output.read_text())
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        return {"tool": tool, "status": "error", "error": type(error).__name__}
    finally:
        output.unlink(missing_ok=True)


def _run_r(path: pathlib.Path, timeout: float) -> dict:
    script = HERE / "r" / "ingest_bench.R"
    timer = shutil.which("time") or "/usr/bin/time"
    if shutil.which("Rscript") is None or not pathlib.Path(timer).exists():
        return {"tool": "R", "status": "skipped", "error": "Rscript or /usr/bin/time not installed"}
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as handle:
        memory_file = pathlib.Path(handle.name)
    try:
        done = subprocess.run([timer, "-f", "%M", "-o", str(memory_file), "Rscript", str(script), str(path)],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            return {"tool": "R", "status": "error", "error": done.stderr.strip().splitlines()[-1:]}
        values = json.loads(done.stdout.strip().splitlines()[-1])
        peak = int(memory_file.read_text().strip().splitlines()[-1]) * 1024
        return {"tool": "R", "status": "ok", "best_seconds": values["seconds"], "peak_bytes": peak,
                "values": values, "peak_note": "max RSS of Rscript (R's own ~60 MB included)"}
    except (subprocess.TimeoutExpired, json.JSONDecodeError, ValueError, IndexError) as error:
        return {"tool": "R", "status": "error", "error": type(error).__name__}
    finally:
        memory_file.unlink(missing_ok=True)


def _row(record: dict, rows: int, floor: float | None) -> str:
    if record.get("status") != "ok":
        return f"| {record['tool']} | – | – | – | – | {record.get('status')}: {record.get('error', '')} |"
    seconds, peak = record["best_seconds"], record.get("peak_bytes")
    child = record.get("child_peak_bytes") or 0
    memory = (f"{peak / 1e6:,.0f}" + (f" + {child / 1e6:,.0f}" if child else "")) if peak else "–"
    ratio = f"{seconds / floor:.1f}×" if floor else "–"
    return f"| {record['tool']} | {seconds:,.2f} | {rows / seconds:,.0f} | {memory} | {ratio} | |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=3, help="timed calls below 100k rows (one from 100k)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--output-dir", type=pathlib.Path, default=HERE / "results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=pathlib.Path, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.file, args.repeats, args.record)
    sizes = [_size(size) for size in args.sizes.split(",")]
    tools = [tool for tool in args.tools.split(",") if tool in TOOLS]
    records, lines = [], ["| tool | seconds | rows/s | peak MB | × floor | note |", "|---|---:|---:|---:|---:|---|"]
    table = []
    for fmt in args.formats.split(","):
        for rows in sizes:
            started = time.perf_counter()
            path = exports.export(rows, fmt, args.output_dir / "exports")
            print(f"{fmt} {_label(rows)}: {path.name} ({time.perf_counter() - started:.0f} s to make or find)",
                  file=sys.stderr, flush=True)
            found = {}
            for tool in tools:
                if (tool == "calamine" and fmt == "csv") or (tool in CSV_ONLY and fmt != "csv"):
                    continue
                repeats = args.repeats if rows < 100_000 else 1
                record = _run_r(path, args.timeout) if tool == "R" else _run_python(tool, path, repeats, args.timeout)
                record.update(format=fmt, rows=rows)
                found[tool] = record
                records.append(record)
                print(f"  {tool}: {record.get('best_seconds', record.get('error'))}", file=sys.stderr, flush=True)
            floor_tool, floor = fastest_floor(found)
            table.append(f"\n**{fmt}, {_label(rows)} rows** (floor: {floor_tool or 'none measured'}, the fastest "
                         "pandas read of the file)\n")
            table += lines + [_row(record, rows, floor) for record in found.values()]
    growth = _growth(records)
    text = "\n".join(table + ["", *growth])
    print(text)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "ingest.md").write_text(text + "\n", encoding="utf-8")
    (args.output_dir / "ingest.json").write_text(json.dumps(records, default=float, indent=1), encoding="utf-8")
    return 0


def fastest_floor(found: dict[str, dict]) -> tuple[str | None, float | None]:
    """The fastest successful pandas read among ``found`` (tool → record): its tool and seconds."""
    timed = [(record["best_seconds"], tool) for tool, record in found.items()
             if tool in FLOORS and record.get("status") == "ok" and record.get("best_seconds")]
    if not timed:
        return None, None
    seconds, tool = min(timed)
    return tool, seconds


def _growth(records: list[dict]) -> list[str]:
    """Time and memory from 100k to 1M rows (linear time, flat memory is the goal)."""
    lines = []
    by = {(r["tool"], r["format"], r["rows"]): r for r in records if r.get("status") == "ok"}
    for (tool, fmt, rows), record in sorted(by.items()):
        small = by.get((tool, fmt, 100_000))
        if rows != 1_000_000 or small is None:
            continue
        time_ratio = record["best_seconds"] / small["best_seconds"]
        memory = (record.get("peak_bytes") or 0) / max(small.get("peak_bytes") or 1, 1)
        lines.append(f"* {tool}, {fmt}, 100k → 1M: time ×{time_ratio:.1f}, peak memory ×{memory:.1f}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
