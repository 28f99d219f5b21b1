"""``surveys margins``: population margin files.

``template QUESTIONNAIRE [-o FILE]`` writes an empty margin file (format in :mod:`surveys.margins`)
with one row per category of every weighting variable of the questionnaire — a YAML path or the id
of a bundled questionnaire — to FILE or to standard output. ``check FILE`` loads a margin file and
prints one line per variable, or every problem of the file.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

from surveys.errors import QuestionnaireError
from surveys.margins import load_margins, template_for
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
    margins = load_margins(args.path)
    for table in margins:
        kind = "shares" if table.is_share else "counts"
        total = f", total {sum(table.population):,.0f}" if table.population is not None else ""
        print(f"ok {table.variable}: {len(table.categories)} categories ({kind}{total})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "margins",
        help="write and check population margin files (总体边际分布)",
        description="Population margins for weighting: write an empty template for a questionnaire, check a file.",
    )
    commands = parser.add_subparsers(dest="margins_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])

    template = commands.add_parser("template", help="write an empty margin file for a questionnaire's weighting variables")
    template.add_argument("questionnaire", metavar="QUESTIONNAIRE", help="a questionnaire YAML file or a bundled id")
    template.add_argument("-o", "--output", metavar="FILE", help="where to write (default: standard output)")
    template.set_defaults(handler=_template)

    check = commands.add_parser("check", help="load a margin file and report every problem")
    check.add_argument("path", metavar="FILE", help="a margin CSV file")
    check.set_defaults(handler=_check)
