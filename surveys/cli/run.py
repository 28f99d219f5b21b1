"""``surveys run STUDY.yaml --out DIR [--data DIR] [--fail-on-target] [--lang zh|en] [--no-charts] [--no-report]``:
run a study.

A thin layer over :func:`surveys.study.pipeline.run_study`. It writes into DIR:

* ``scoreboard.csv`` (UTF-8 with BOM, so Excel shows Chinese) and ``scoreboard.json``: every target with its
  value, interval or bounds, verdict and responsible unit;
* ``measures.csv``: every measure × domain with CI, respondents, effective sample size, reliability flag;
* ``accounting.csv``: rows read / accepted / rejected / flagged per input file, with the reasons;
* ``weights.csv`` (one row per questionnaire and weighting stage) and ``weight_margins.csv`` (each margin
  category before and after raking); ``weighting_effect.csv`` (each headline unweighted and weighted),
  ``mode_differences.csv`` (paper − online difference of each headline with its CI) and ``robustness.csv``
  (each survey verdict recomputed under every alternative of :mod:`surveys.indicators.robustness`);
* ``group_comparisons.csv``, ``drivers.csv``, ``reliability.csv`` and ``reliability_items.csv``: what to improve
  for each survey target (:mod:`surveys.study.analyses`: the groups below the rest, the drivers and their
  quadrants, Cronbach's α of the scales; the spec's ``analysis`` section switches each off);
* ``issues.csv``: every validation issue (rejecting or flag) by file and row, and ``keying.csv``: every finding
  of the double-entry reconciliations;
* ``store.sqlite``: the response store of this run (replaced on each run), every row with its fate (its
  identifiers as keyed tokens; the key stays in the key file, ``--key-file``, never in DIR), and
  ``work/agreed/*.xlsx``: the agreed rows of double-keyed paper forms, as ingested;
* ``charts/*.png`` (and ``*.svg`` with ``--svg``; :mod:`surveys.charts`): the targets, each headline by district
  and by mode, the weights and margins of each raking, the importance–performance map of each driver analysis,
  and the census by each classification of its register
  (``--no-charts`` skips them; a chart that cannot be drawn, e.g. without a CJK font, is a note on stderr);
* ``report.xlsx``, ``report.html`` and ``report.docx`` (:mod:`surveys.report`, filled by
  :func:`surveys.report.from_study.report_input_from_study`): the acceptance workbook, the self-contained
  HTML report and the Word report an office edits and files, with the charts embedded, in the language of ``--lang`` (``--no-report`` skips them);

and prints the scoreboard. Exit status: 0; 1 with ``--fail-on-target`` when a target is not met under its
rule (a target without data counts as not met); 2 with ``error: ...`` for a data error (any
:class:`~surveys.errors.SurveyError`). Progress lines go to stderr, and only when it is a terminal.
"""
from __future__ import annotations

import argparse
import pathlib

from surveys.cli.options import add_key_file_option, add_output_options

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    # deferred: a run loads pandas, scipy, matplotlib and openpyxl; `surveys --help` loads none of them
    from surveys.cli.results import run_to_folder
    from surveys.study.spec import load_study

    study = load_study(args.study, data_dir=args.data)
    result = run_to_folder(study, pathlib.Path(args.out), lang=args.lang, charts=args.charts, report=args.report,
                           svg=args.svg, key_file=args.key_file)
    if args.fail_on_target and result.targets_not_met:
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a study spec end to end: ingest, weight, estimate, judge the targets",
        description="Run every stage of a study (analysis/<study>/study.yaml): ingest and validate the exports "
                    "into a store, weight to the population margins, estimate every measure by domain, and judge "
                    "every target of the register. Writes report.xlsx, report.html, report.docx, charts/*.png|svg, "
                    "scoreboard.csv/.json, measures.csv, accounting.csv, weights.csv and store.sqlite into --out "
                    "and prints the scoreboard.",
    )
    parser.add_argument("study", help="the study spec (study.yaml)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--data", default=None,
                        help="folder the inputs and margins are relative to (default: the spec's data key, "
                             "else its folder)")
    parser.add_argument("--fail-on-target", action="store_true",
                        help="exit 1 when any target is not met under its rule (for scheduled runs)")
    add_output_options(parser, "DIR")
    add_key_file_option(parser)
    parser.set_defaults(handler=_run, interrupted="the results in --out are incomplete; run again")
