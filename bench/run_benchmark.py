"""Side-by-side benchmark of this toolkit against svy, samplics, balance, weightipy and R survey.

    .venv/bin/python bench/run_benchmark.py                    # sizes 10k,100k,1M (the full run)
    .venv/bin/python bench/run_benchmark.py --quick            # 10k only, every workload (smoke run)
    .venv/bin/python bench/run_benchmark.py --tools surveys,svy --workloads overall --sizes 100k

Run it with the project's Python (the one where ``import surveys`` works). The peers run in the
benchmark's own environments (``bash bench/setup_peers.sh``), R survey through ``Rscript`` when it
is installed; a tool that is missing is skipped and listed as such. Each tool x workload x size runs
in a fresh process (``bench/worker.py``, or ``bench/r/survey_bench.R``) that rebuilds the same
synthetic survey from its seed (``bench/synthetic.py``), so every tool starts from an identical
pandas DataFrame with string columns, and building the design is part of every timed call.

Output: the table (markdown) on stdout and in ``bench/results/latest.md``, the raw records in
``bench/results/latest.json``. For each workload and size: best wall time, peak memory, the ratio of
each tool's time to the fastest peer's, the toolkit's speed-up (fastest peer time / toolkit time)
against its goal, and the largest relative difference of each tool's estimate (and standard error,
interval, or raked weights) from the toolkit's. Peers may use other variance conventions (bootstrap
draws, degrees of freedom of domain intervals), so differences are reported, never failed on.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import json
import math
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

WORKLOADS = ("overall", "domains", "bootstrap", "rake", "rerake", "logistic", "chisq")
WORKLOAD_TITLES = {
    "overall": "overall proportion, Taylor SE, logit CI",
    "domains": "24 domains (district x mode), Taylor SE, logit CI",
    "bootstrap": "200 bootstrap replicates: build + SE",
    "rake": "raking 3 margins from the DataFrame, tol 1e-6",
    "rerake": "re-raking a built design, alternative margins",
    "logistic": "logistic regression, 10 predictors, design-based SE",
    "chisq": "Rao-Scott F test, district x satisfied (24 cells)",
}
# Sizes at which a workload runs (when asked for); otherwise it runs at the smallest size asked.
WORKLOAD_SIZES = {"bootstrap": {10_000, 100_000}, "rake": {100_000, 1_000_000}, "rerake": {100_000, 1_000_000},
                  "logistic": {100_000, 1_000_000}, "chisq": {100_000, 1_000_000}}
# Speed-up goals of issues 3 and 4; the model workloads (issue 16) report ratios without a goal.
GOALS = {"overall": 5.0, "domains": 10.0, "bootstrap": 8.0, "rake": 3.0, "rerake": 20.0, "logistic": None,
         "chisq": None}

OURS = "surveys"
FLOOR = "numpy_floor"
PYTHON_PEERS = ("svy", "samplics", "balance", "weightipy", "statsmodels")
R_TOOL = "R survey"
TOOLS = (OURS, FLOOR, *PYTHON_PEERS, R_TOOL)
PEERS = (*PYTHON_PEERS, R_TOOL)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- discovering the tools ------------------------------------------------------------------------

def tool_workloads(tool: str) -> tuple[str, ...]:
    """The workload names a peer module declares (read from its source: no import needed here)."""
    if tool == R_TOOL:
        return WORKLOADS
    tree = ast.parse((HERE / "peers" / f"{tool}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "WORKLOADS" for t in node.targets):
            return tuple(key.value for key in node.value.keys)
    return ()


def python_for(tool: str) -> str | None:
    if tool in (OURS, FLOOR):
        return sys.executable
    for name in (f".venv-{tool}", ".venv-peers"):
        candidate = HERE / name / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return None


def check_tool(tool: str) -> tuple[bool, str]:
    """Whether a tool can run here, and why not."""
    if tool == R_TOOL:
        rscript = shutil.which("Rscript")
        if not rscript:
            return False, "Rscript not found (bash bench/setup_peers.sh installs r-base-core and r-cran-survey)"
        probe = subprocess.run([rscript, "-e", "suppressMessages({library(survey); library(jsonlite)})"],
                               capture_output=True, text=True)
        return (probe.returncode == 0, probe.stderr.strip()[-300:] or "R survey / jsonlite missing")
    python = python_for(tool)
    if python is None:
        return False, f"no bench/.venv-{tool} or bench/.venv-peers (run bash bench/setup_peers.sh)"
    module = {FLOOR: "numpy"}.get(tool, tool)
    probe_code = f"import warnings; warnings.simplefilter('ignore'); import {module}"
    if tool == OURS:
        probe_code += "; surveys.SurveyDesign; from surveys import weighting; weighting.rake"
    probe = subprocess.run([python, "-c", probe_code], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, (probe.stderr.strip().splitlines() or ["import failed"])[-1][:300]
    return True, ""


# --- running one job ------------------------------------------------------------------------------

_SHARED: dict[tuple[int, str, bool], tuple[pathlib.Path, pathlib.Path, pathlib.Path, str]] = {}


def shared_files(rows: int, data_dir: pathlib.Path,
                 model: bool = False) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path, str]:
    """The survey (with the model covariates when ``model``) and its margins as CSV for R (written once per
    size; reading is not timed)."""
    key = (rows, str(data_dir), model)
    if key not in _SHARED:
        _SHARED[key] = _write_shared_files(rows, data_dir, model)
    return _SHARED[key]


def _write_shared_files(rows: int, data_dir: pathlib.Path,
                        model: bool = False) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path, str]:
    frame = synthetic.make_model_survey(rows) if model else synthetic.make_survey(rows)
    checksum = synthetic.frame_checksum(frame)
    data_dir.mkdir(parents=True, exist_ok=True)
    data = data_dir / f"{'model_' if model else ''}survey_{rows}_{checksum}.csv"
    margins = data_dir / f"margins_{rows}_{checksum}.csv"
    alternative = data_dir / f"margins_alternative_{rows}_{checksum}.csv"
    if not data.exists():
        synthetic.write_csv(frame, data)
    if not margins.exists():
        synthetic.write_margins_csv(synthetic.population_margins(frame), margins)
    if not alternative.exists():
        synthetic.write_margins_csv(synthetic.population_margins(frame, alternative=True), alternative)
    return data, margins, alternative, checksum


def run_job(tool: str, workload: str, rows: int, args, work_dir: pathlib.Path, strings: str = "object") -> dict:
    output = work_dir / f"{tool.replace(' ', '_')}_{workload}_{rows}_{strings}.json"
    output.unlink(missing_ok=True)
    if tool == R_TOOL:
        data, margins, alternative, checksum = shared_files(rows, work_dir / "data",
                                                            model=workload in synthetic.MODEL_WORKLOADS)
        command = [shutil.which("Rscript"), str(HERE / "r" / "survey_bench.R"), workload, str(data), str(margins),
                   str(alternative), str(args.repeats), str(output), str(args.replicates), str(args.budget)]
    else:
        checksum = None
        command = [python_for(tool), str(HERE / "worker.py"), "--tool", tool, "--workload", workload,
                   "--rows", str(rows), "--repeats", str(args.repeats), "--replicates", str(args.replicates),
                   "--budget", str(args.budget), "--output", str(output), "--strings", strings]
    started = time.perf_counter()
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "workload": workload, "rows": rows, "strings": strings, "status": "timeout",
                "error": f"no result within {args.timeout} s"}
    if not output.exists():
        return {"tool": tool, "workload": workload, "rows": rows, "strings": strings, "status": "error",
                "error": (finished.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    record = json.loads(output.read_text())
    record["tool"] = tool
    record["strings"] = strings
    record["wall_seconds_total"] = time.perf_counter() - started
    if checksum is not None:
        record["checksum"] = checksum
    return record


# --- agreement ------------------------------------------------------------------------------------

def _relative(a: float, b: float) -> float:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return math.nan
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def _load_weights(values: dict) -> np.ndarray | None:
    path = values.get("weights_file")
    if not path or not os.path.exists(path):
        return None
    if path.endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path, delimiter=",", skiprows=1)


def agreement(record: dict, reference: dict) -> dict:
    """Largest relative differences of a tool's values from the reference tool's."""
    values, ref = record.get("values") or {}, reference.get("values") or {}
    out: dict = {}
    if "domains" in values and "domains" in ref:
        index = {(row["district"], row["mode"]): row for row in ref["domains"]}
        for field in ("estimate", "std_error", "ci_low", "ci_high"):
            differences = [_relative(row.get(field), index[(row["district"], row["mode"])].get(field))
                           for row in values["domains"] if (row["district"], row["mode"]) in index]
            out[field] = max(differences) if differences else math.nan
        out["domains"] = len(values["domains"])
    elif "terms" in values and "terms" in ref:
        index = {row["term"]: row for row in ref["terms"]}
        for field in ("estimate", "std_error"):
            differences = [_relative(row[field], index[row["term"]][field]) for row in values["terms"]
                           if row["term"] in index]
            out[field] = max(differences) if differences else math.nan
        out["terms"] = sum(row["term"] in index for row in values["terms"])
    elif "statistic" in values and "statistic" in ref:
        # a test: the statistic (relative) in the estimate column, the p-value (absolute: a tiny p-value printed
        # as 0 is no disagreement) in the standard-error column
        out["estimate"] = _relative(values["statistic"], ref["statistic"])
        p, q = values.get("p_value"), ref.get("p_value")
        out["std_error"] = abs(p - q) if p is not None and q is not None else math.nan
    elif "weights_file" in values:
        mine, theirs = _load_weights(values), _load_weights(ref)
        if mine is not None and theirs is not None and mine.shape == theirs.shape:
            out["weights"] = float(np.max(np.abs(mine / theirs - 1.0)))
    else:
        for field in ("estimate", "std_error", "ci_low", "ci_high"):
            if field in values and field in ref:
                out[field] = _relative(values[field], ref[field])
    return out


# --- the table ------------------------------------------------------------------------------------

def _format_seconds(seconds) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _format_bytes(size) -> str:
    return "–" if size is None else f"{size / 2**20:.1f} MB"


def _format_difference(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1e}"


def _key(record: dict) -> tuple[str, int, str]:
    return record["workload"], record["rows"], record.get("strings", "object")


def _groups(records: list[dict]) -> list[tuple[str, int, str]]:
    """(workload, rows, string storage) in the table's order: workloads as listed, then sizes, object first."""
    return sorted({_key(r) for r in records},
                  key=lambda k: (WORKLOADS.index(k[0]), k[1], synthetic.STRINGS.index(k[2])))


def summarise(records: list[dict]) -> list[dict]:
    """One line per workload x size: fastest peer, the toolkit's time, speed-up and goal."""
    lines = []
    for workload, rows, strings in _groups(records):
        group = [r for r in records if _key(r) == (workload, rows, strings) and r.get("status") == "ok"]
        peers = [r for r in group if r["tool"] in PEERS]
        ours = next((r for r in group if r["tool"] == OURS), None)
        floor = next((r for r in group if r["tool"] == FLOOR), None)
        fastest = min(peers, key=lambda r: r["best_seconds"]) if peers else None
        speedup = fastest["best_seconds"] / ours["best_seconds"] if fastest and ours else None
        goal = GOALS[workload]
        lines.append({
            "workload": workload, "rows": rows, "strings": strings,
            "fastest_peer": fastest["tool"] if fastest else None,
            "fastest_peer_seconds": fastest["best_seconds"] if fastest else None,
            "surveys_seconds": ours["best_seconds"] if ours else None,
            "floor_seconds": floor["best_seconds"] if floor else None,
            "speedup": speedup, "goal": goal,
            "met": (speedup >= goal) if speedup is not None and goal is not None else None,
        })
    return lines


def _bootstrap_memory_lines(records: list[dict], header: dict) -> list[str]:
    """How the toolkit's bootstrap memory grows, next to what a rows x replicates matrix would take."""
    ours = sorted((r for r in records if r["workload"] == "bootstrap" and r["tool"] == OURS
                   and r.get("status") == "ok" and r.get("peak_bytes") is not None
                   and r.get("strings", "object") == "object"), key=lambda r: r["rows"])
    if not ours:
        return []
    replicates = header["replicates"]
    psus = len(synthetic.DISTRICTS) * synthetic.PSUS_PER_DISTRICT
    parts = [f"{synthetic.size_label(r['rows'])} rows: {_format_bytes(r['peak_bytes'])} "
             f"(a rows x {replicates} float matrix: {_format_bytes(r['rows'] * replicates * 8)})" for r in ours]
    return ["", f"Bootstrap memory of surveys (peak, whole call): {'; '.join(parts)}; "
                f"PSUs x replicates = {psus} x {replicates} floats = {_format_bytes(psus * replicates * 8)}."]


def render(records: list[dict], summary: list[dict], header: dict) -> str:
    out = [f"# Benchmark: surveys vs Python peers and R survey ({header['date']})", ""]
    out.append(f"Machine: {header['machine']}. Repeats: best of {header['repeats']} after a warm-up "
               f"(fewer, noted, when a tool needs more than {header['budget']:g} s for them); "
               f"peak memory = peak RSS of the first full-size call minus RSS before it, in a fresh process.")
    load = header.get("load_average") or {}
    out.append(f"Load average (1 min) at start / end of the run: {load.get('start')} / {load.get('end')} "
               f"on {os.cpu_count()} cores (above the core count, other work competed for the CPU: treat times as rough).")
    out.append("Versions: " + "; ".join(f"{tool}: {version}" for tool, version in header["versions"].items()) + ".")
    if header["skipped"]:
        out.append("Skipped: " + "; ".join(f"{tool} ({why})" for tool, why in header["skipped"].items()) + ".")
    out += ["", "## Speed-up of surveys over the fastest peer", "",
            "| workload | rows | strings | fastest peer | peer time | surveys time | speed-up | goal | met | numpy floor |",
            "|---|---:|---|---|---:|---:|---:|---:|:---:|---:|"]
    for line in summary:
        speedup = "–" if line["speedup"] is None else f"{line['speedup']:.1f}×"
        met = {True: "yes", False: "no", None: "–"}[line["met"]]
        goal = "–" if line["goal"] is None else f"≥ {line['goal']:g}×"
        out.append(f"| {line['workload']} | {synthetic.size_label(line['rows'])} | {line['strings']} | "
                   f"{line['fastest_peer'] or '–'} | "
                   f"{_format_seconds(line['fastest_peer_seconds'])} | {_format_seconds(line['surveys_seconds'])} | "
                   f"{speedup} | {goal} | {met} | {_format_seconds(line['floor_seconds'])} |")
    out += _bootstrap_memory_lines(records, header)
    out += ["", "## All tools", "",
            "Ratio = tool time / fastest peer time (below 1: faster than every peer). Δ = largest relative "
            "difference from surveys (estimate; standard error; raked weights), over the 24 domains where "
            "there are domains, over the coefficients of the logistic regression; for the Rao-Scott test the "
            "estimate column compares the F statistic and the standard-error column gives the absolute "
            "difference of the p-values.", ""]
    for workload, rows, strings in _groups(records):
        group = [r for r in records if _key(r) == (workload, rows, strings)]
        line = next(s for s in summary if (s["workload"], s["rows"], s["strings"]) == (workload, rows, strings))
        out += [f"### {WORKLOAD_TITLES[workload]} — {synthetic.size_label(rows)} rows, {strings} strings", "",
                "| tool | time | peak memory | ratio to fastest peer | Δ estimate | Δ std. error | Δ weights | note |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for record in sorted(group, key=lambda r: TOOLS.index(r["tool"])):
            if record.get("status") != "ok":
                out.append(f"| {record['tool']} | – | – | – | – | – | – | {record.get('status')}: "
                           f"{str(record.get('error', ''))[:120].replace('|', '/')} |")
                continue
            ratio = (record["best_seconds"] / line["fastest_peer_seconds"]) if line["fastest_peer_seconds"] else None
            agree = record.get("agreement", {})
            note = ""
            if record["tool"] == OURS and line["speedup"]:
                note = f"speed-up {line['speedup']:.1f}×"
            elif record["tool"] == FLOOR:
                note = "reference, not a peer"
            if len(record.get("seconds", [])) < header["repeats"]:
                note = (note + "; " if note else "") + f"best of {len(record['seconds'])} (slow: time budget)"
            out.append(
                f"| {record['tool']} | {_format_seconds(record['best_seconds'])} | "
                f"{_format_bytes(record.get('peak_bytes'))} | "
                f"{'–' if ratio is None else f'{ratio:.2f}'} | {_format_difference(agree.get('estimate'))} | "
                f"{_format_difference(agree.get('std_error'))} | {_format_difference(agree.get('weights'))} | {note} |"
            )
        out.append("")
    out.append("Data check: " + ("every Python tool rebuilt an identical frame (same checksum per frame, size and storage)"
                                 if header["frames_identical"] else "FRAMES DIFFER between tools: see latest.json")
               + "; R read the same frame from a CSV written once per size.")
    return "\n".join(out) + "\n"


def frames_identical(records: list[dict]) -> bool:
    """Whether every Python tool rebuilt the same frame: one checksum per frame (the survey, or the survey with
    the model covariates), size and storage."""
    checksums: dict[tuple, set[str]] = {}
    for record in records:
        if record.get("checksum") and record["tool"] != R_TOOL:
            frame = "model" if record["workload"] in synthetic.MODEL_WORKLOADS else "survey"
            key = (frame, record["rows"], record.get("strings", "object"))
            checksums.setdefault(key, set()).add(record["checksum"])
    return all(len(found) == 1 for found in checksums.values())


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine_description() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(pathlib.Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# --- main -----------------------------------------------------------------------------------------

def plan(sizes: list[int], workloads: list[str]) -> list[tuple[str, int]]:
    jobs = []
    for workload in workloads:
        wanted = WORKLOAD_SIZES.get(workload)
        chosen = [s for s in sizes if wanted is None or s in wanted] or [min(sizes)]
        jobs += [(workload, rows) for rows in chosen]
    return jobs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated sizes (10k, 100k, 1M, or a number)")
    parser.add_argument("--quick", action="store_true", help="10k rows only, every workload (a smoke run)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of: " + ", ".join(TOOLS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset of: " + ", ".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3, help="timed calls after the warm-up (best is reported)")
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds for a job's timed calls: a tool slower than budget/repeats gets fewer (≥ 1)")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds allowed per tool x workload x size")
    parser.add_argument("--output-dir", default=str(HERE / "results"))
    parser.add_argument("--strings", default="object",
                        help="storages of the string columns, comma-separated: object (Python strings), arrow "
                             "(Arrow-backed, pandas' default with pyarrow); e.g. --strings object,arrow")
    args = parser.parse_args(argv)

    sizes = [10_000] if args.quick else [synthetic.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [t for t in tools if t not in TOOLS] + [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown tool or workload: {', '.join(unknown)}")
    output_dir = pathlib.Path(args.output_dir)
    work_dir = output_dir / "runs"
    work_dir.mkdir(parents=True, exist_ok=True)

    load_before = _load_average()
    available, skipped = [], {}
    for tool in tools:
        ok, why = check_tool(tool)
        (available.append(tool) if ok else skipped.__setitem__(tool, why))
        log(f"tool {tool}: {'ready' if ok else 'skipped: ' + why}")

    storages = [s.strip() for s in args.strings.split(",") if s.strip()]
    if [s for s in storages if s not in synthetic.STRINGS]:
        parser.error(f"--strings takes {', '.join(synthetic.STRINGS)}; found {args.strings}")
    records = []
    for workload, rows in plan(sizes, workloads):
        read_by_r = None
        for strings in storages:
            for tool in available:
                if workload not in tool_workloads(tool):
                    continue
                if tool == R_TOOL and read_by_r is not None:   # R reads the same CSV whatever the storage
                    records.append(dict(read_by_r, strings=strings))
                    continue
                log(f"{workload:9s} {synthetic.size_label(rows):>5s} {strings:6s} {tool:12s} ...")
                record = run_job(tool, workload, rows, args, work_dir, strings)
                log(f"{'':35s}{record.get('status')}: {_format_seconds(record.get('best_seconds'))}"
                    f" (job {record.get('wall_seconds_total', 0):.0f} s)"
                    + (f" ({record.get('error')})" if record.get("status") != "ok" else ""))
                records.append(record)
                if tool == R_TOOL:
                    read_by_r = record

    for key in {_key(r) for r in records}:
        group = [r for r in records if _key(r) == key and r.get("status") == "ok"]
        reference = next((r for r in group if r["tool"] == OURS), None) or next((r for r in group if r["tool"] == FLOOR), None)
        for record in group:
            if reference is not None:
                record["agreement"] = agreement(record, reference)
                record["agreement_reference"] = reference["tool"]

    header = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "repeats": args.repeats,
        "budget": args.budget,
        "replicates": args.replicates,
        "versions": {r["tool"]: r.get("version") for r in records if r.get("version")},
        "skipped": skipped,
        "frames_identical": frames_identical(records),
        "load_average": {"start": load_before, "end": _load_average()},
    }
    summary = summarise(records)
    text = render(records, summary, header)
    print(text)
    (output_dir / "latest.md").write_text(text)
    (output_dir / "latest.json").write_text(
        json.dumps({"header": header, "summary": summary, "records": records}, indent=1, default=float)
    )
    log(f"written: {output_dir / 'latest.md'} and latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
