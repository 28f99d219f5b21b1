"""``surveys demo --out DIR [--seed N] [--sample-scale S] [--lang zh|en] [--no-charts] [--svg] [--no-report]``: write the
demo city's survey season, then run it end to end.

A thin layer over :func:`surveys.demo.generate_demo` and :func:`surveys.study.pipeline.run_study`. It prints one
line per file written (path, kind, data rows) and the true headline rates the scenario was built on, then
runs the bundled demo study spec (``analysis/demo/study.yaml``) with DIR as its data folder — its inputs and
margins are relative to the generated folder — writing the results into ``DIR/results`` (see ``surveys run``: report.xlsx, report.html, report.docx, charts, tables)
and printing the accounting table and the scoreboard.
"""
from __future__ import annotations

import argparse
import pathlib

from surveys.cli.options import add_key_file_option, add_output_options
from surveys.demo.scenario import DEFAULT_SEED

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    # deferred: generating and running the demo loads pandas, scipy, matplotlib and openpyxl
    from surveys.cli.results import run_to_folder
    from surveys.demo.generate import generate_demo
    from surveys.resources import analysis_dir
    from surveys.study.spec import load_study

    manifest = generate_demo(pathlib.Path(args.out), seed=args.seed, sample_scale=args.sample_scale)
    width = max(len(entry.path) for entry in manifest.files)
    print(f"demo city {manifest.truth['city']['zh']} ({manifest.truth['city']['en']}), seed {manifest.seed}: "
          f"{len(manifest.files) + 1} files in {manifest.out_dir}")
    print(f"{'file':<{width}}  {'kind':<20} {'rows':>6}")
    for entry in manifest.files:
        print(f"{entry.path:<{width}}  {entry.kind:<20} {entry.rows:>6}")
    print(f"{'manifest.json':<{width}}  {'manifest':<20} {'':>6}")
    print()
    print("true headline rates (truth/truth.json):")
    for instrument_id, truth in manifest.truth["instruments"].items():
        label = "census of returned forms" if truth.get("census") else f"aimed verdict {truth['intended_verdict']}"
        print(f"  {instrument_id:<26} {truth['headline_measure']:<14} {truth['headline_truth']:.3f}  ({label})")
    print()
    study = load_study(analysis_dir() / "demo" / "study.yaml", data_dir=manifest.out_dir)
    run_to_folder(study, manifest.out_dir / "results", lang=args.lang, show_accounting=True, charts=args.charts,
                  report=args.report, svg=args.svg, key_file=args.key_file)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="write the demo city's survey exports, margins and study spec, and run the study",
        description="Generate the synthetic city of 秦川市 (Qinchuan): population tables and margin files, "
                    "问卷星 / 腾讯问卷 / paper exports with realistic flaws, proposal feedback forms, the ground "
                    "truth and a study spec; then run analysis/demo/study.yaml on them (results in OUT/results).",
    )
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--sample-scale", type=float, default=1.0,
                        help="multiply every sample size (default 1.0; the intended verdicts hold at 1.0)")
    add_output_options(parser, "OUT/results")
    add_key_file_option(parser)
    parser.set_defaults(handler=_run)
