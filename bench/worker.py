"""Run one tool on one workload at one size, in a fresh process, and write the measurement as JSON.

    python bench/worker.py --tool svy --workload overall --rows 100000 --repeats 3 --output out.json

Run by ``run_benchmark.py`` with the Python of the tool's own environment (the project's .venv for
``surveys`` and ``numpy``, ``bench/.venv-peers`` for the peers). The tool module is
``bench/peers/<tool>.py``; it maps workload names to ``prepare(frame, spec) -> (run, extract)``:
``run()`` is what is timed, ``extract(result)`` turns its value into plain numbers (untimed).
The frame is regenerated here from the seed (untimed) and its checksum reported, so the runner
can confirm that every tool started from the same data.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import sys
import traceback
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import harness  # noqa: E402
import synthetic  # noqa: E402

SMALL_ROWS = 2_000  # the warm-up frame


def load_tool(name: str):
    path = HERE / "peers" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_tool_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_spec(frame, args) -> dict:
    return {
        "margins": synthetic.population_margins(frame),
        "alternative_margins": synthetic.population_margins(frame, alternative=True),
        "tolerance": 1e-6,
        "replicates": args.replicates,
        "seed": 1,
        "level": 0.95,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--budget", type=float, default=None, help="seconds for the timed calls (fewer if slow)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--strings", default="object", choices=synthetic.STRINGS,
                        help="storage of the string columns (object: Python strings; arrow: Arrow-backed)")
    args = parser.parse_args(argv)
    output = pathlib.Path(args.output)
    record: dict = {"tool": args.tool, "workload": args.workload, "rows": args.rows, "strings": args.strings}
    try:
        warnings.simplefilter("ignore")
        tool = load_tool(args.tool)
        record["version"] = tool.version()
        if args.workload not in tool.WORKLOADS:
            record["status"] = "unsupported"
        else:
            make = synthetic.make_model_survey if args.workload in synthetic.MODEL_WORKLOADS else synthetic.make_survey
            frame = make(args.rows, strings=args.strings)
            record["checksum"] = synthetic.frame_checksum(frame)
            prepare = tool.WORKLOADS[args.workload]
            small = make(SMALL_ROWS, seed=synthetic.SEED + 1, strings=args.strings)
            small_run, _ = prepare(small, make_spec(small, args))
            run, extract = prepare(frame, make_spec(frame, args))
            measured = harness.measure(run, repeats=args.repeats, small_run=small_run, budget_seconds=args.budget)
            values = extract(measured.pop("result"))
            if "weights" in values:
                weights = np.asarray(values.pop("weights"), dtype=float)
                weights_path = output.with_suffix(".weights.npy")
                np.save(weights_path, weights)
                values["weights_file"] = str(weights_path)
                values["weight_total"] = float(weights.sum())
            record.update(measured)
            record["values"] = values
            record["status"] = "ok"
    except Exception as error:  # a peer failing is a result to report, not a crash of the run
        record["status"] = "error"
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc(limit=8)
    output.write_text(json.dumps(record, default=float, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
