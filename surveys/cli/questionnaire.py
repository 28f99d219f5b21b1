"""``surveys questionnaire``: check, show and list questionnaire definitions.

``check PATH...`` prints ``ok <id> v<version>: N items, M measures`` per valid file and the error
of each invalid one (on stderr), and exits 2 when any file fails. ``show PATH [--lang zh|en]``
prints a codebook. ``list`` prints the bundled instruments.
"""
from __future__ import annotations

import argparse
import sys

from surveys.codebook import render_codebook
from surveys.errors import QuestionnaireError
from surveys.questionnaire import load_questionnaire
from surveys.resources import bundled_questionnaires

__all__ = ["register"]


def _check(args: argparse.Namespace) -> int:
    failures = 0
    for path in args.paths:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
            continue
        print(f"ok {questionnaire.id} v{questionnaire.version}: {len(questionnaire.items)} items, "
              f"{len(questionnaire.measures)} measures")
    if failures:
        print(f"{failures} of {len(args.paths)} questionnaire files failed the check", file=sys.stderr)
        return 2
    return 0


def _show(args: argparse.Namespace) -> int:
    questionnaire = load_questionnaire(args.path)
    sys.stdout.write(render_codebook(questionnaire, lang=args.lang))
    return 0


def _list(args: argparse.Namespace) -> int:
    paths = bundled_questionnaires()
    if not paths:
        print("error: no bundled questionnaires found; the installation is incomplete", file=sys.stderr)
        return 2
    failures = 0
    for path in paths:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
            continue
        print(f"{questionnaire.id:<26} v{questionnaire.version:<8} {len(questionnaire.items):>2} items  "
              f"{questionnaire.title.get(args.lang)}  ({path})")
    return 2 if failures else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "questionnaire",
        help="check, show and list questionnaire definitions (问卷定义)",
        description="Check questionnaire definitions (YAML), print their codebooks, list the bundled ones.",
    )
    commands = parser.add_subparsers(dest="questionnaire_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: (parser.print_help(), 2)[1])

    check = commands.add_parser("check", help="check one or more questionnaire files; exit 2 if any fails")
    check.add_argument("paths", nargs="+", metavar="PATH", help="questionnaire YAML files")
    check.set_defaults(handler=_check)

    show = commands.add_parser("show", help="print a readable codebook of one questionnaire")
    show.add_argument("path", metavar="PATH", help="a questionnaire YAML file")
    show.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels (default zh)")
    show.set_defaults(handler=_show)

    listing = commands.add_parser("list", help="list the bundled questionnaires")
    listing.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the titles (default zh)")
    listing.set_defaults(handler=_list)

    from surveys.cli.paper import register_infer  # `infer`: draft a questionnaire from an export

    register_infer(commands)
