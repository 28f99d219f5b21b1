"""``surveys margins``: population margin files.

``template QUESTIONNAIRE [-o FILE]`` writes an empty margin file (format in :mod:`surveys.weighting.margins`)
with one row per category of every weighting variable of the questionnaire — a YAML path or the id
of a bundled questionnaire — to FILE or to standard output. ``check FILE [--total N]`` loads a margin file and
prints one line per variable (``blank`` for one left unfilled), or every problem of the file; a file giving
every variable as shares passes only with the population's total (``--total``, as ``margins[].total`` gives it
to a run), since a run could not use it otherwise.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

from surveys.errors import QuestionnaireError, WeightingError
from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires, questionnaire_dir

__all__ = ["register"]


def _questionnaire_path(name: str) -> pathlib.Path:
    path = pathlib.Path(name)
    if path.is_file():
        return path
    bundled = questionnaire_dir() / f"{name}.yaml"
    if bundled.is_file():
        return bundled
    known = [p.stem for p in bundled_questionnaires()]
    raise QuestionnaireError(
        f"no questionnaire file '{name}' and no bundled questionnaire of that id; give a YAML path or one of {known}"
    )


def _template(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.weighting.margins import (
        template_for,  # deferred: loads pandas; `surveys --help` stays light
    )

    questionnaire = load_questionnaire(_questionnaire_path(args.questionnaire))
    margins = template_for(questionnaire)
    if args.output:
        margins.write(args.output)
        rows = sum(len(table.categories) for table in margins)
        print(f"wrote {args.output}: {len(margins)} variables, {rows} rows to fill in")
    else:
        sys.stdout.write(margins.write())
    return 0


def _check(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.weighting.margins import (
        load_margins,  # deferred: loads pandas; `surveys --help` stays light
    )

    margins = load_margins(args.path, blank="skip")
    filled = [table for table in margins if table.is_complete]
    counted = [table for table in filled if not table.is_share]
    for table in margins:
        if not table.is_complete:
            print(f"blank {table.variable}: {len(table.categories)} categories not filled in (a study with "
                  "margins[].blank: skip leaves it out; fill in the population counts to weight to it)")
            continue
        kind = "shares" if table.is_share else "counts"
        total = f", total {sum(table.population):,.0f}" if table.population is not None else ""
        print(f"ok {table.variable}: {len(table.categories)} categories ({kind}{total})")
    if filled and not counted:
        if args.total is None:
            raise WeightingError(
                f"{args.path}: every variable is given as shares, so a run would not know the population's size; "
                "give population counts for at least one variable, or set the total in the study spec "
                "(margins[].total) and check with --total N")
        print(f"the shares are of a population of {args.total:,.0f} (--total; margins[].total in the study spec)")
    elif counted and len(filled) > len(counted):
        print(f"the shares are of the population counted in {counted[0].variable} "
              f"({sum(counted[0].population or ()):,.0f})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "margins",
        help="write and check population margin files (总体边际分布)",
        description="Population margins for weighting: write an empty template for a questionnaire, check a file.",
    )
    commands = parser.add_subparsers(dest="margins_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])

    template = commands.add_parser("template",
                                   help="write an empty margin file for a questionnaire's weighting variables")
    template.add_argument("questionnaire", metavar="QUESTIONNAIRE", help="a questionnaire YAML file or a bundled id")
    template.add_argument("-o", "--output", metavar="FILE", help="where to write (default: standard output)")
    template.set_defaults(handler=_template)

    check = commands.add_parser("check", help="load a margin file and report every problem",
                                description="Load a margin file and report every problem. Shares are accepted only "
                                            "where a run can use them: with a variable given as counts, or with the "
                                            "population's total (--total; margins[].total in the study spec).")
    check.add_argument("path", metavar="FILE", help="a margin CSV file")
    check.add_argument("--total", type=float, default=None, metavar="N",
                       help="the population's size, for a file giving every variable as shares")
    check.set_defaults(handler=_check)
