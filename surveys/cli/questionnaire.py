"""``surveys questionnaire``: check, show and list questionnaire definitions.

``check PATH... [--strict] [--all-todos]`` prints ``ok <id> v<version>: N items, M measures`` per valid file,
then the TODO marks it still has (count by section, and line and place of each), and the error of each invalid
one (on stderr); exits 2 when any file fails, and with ``--strict`` also while TODO marks are left.
``show PATH [--lang zh|en]`` prints a codebook. ``list`` prints the bundled instruments.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

from surveys.errors import QuestionnaireError
from surveys.questionnaire import load_questionnaire
from surveys.questionnaire.codebook import render_codebook
from surveys.resources import bundled_questionnaires

__all__ = ["register"]


_SHOWN_TODOS = 20


def _todos(path: str) -> tuple:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.ingest.infer import todo_marks

    try:
        return todo_marks(pathlib.Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return ()


def _print_todos(marks: tuple, shown: int) -> None:
    """The count by section, then each mark (decisions first, translations last)."""
    translations = [mark for mark in marks if "TODO: translate" in mark.text]
    decisions = [mark for mark in marks if "TODO: translate" not in mark.text]
    counts: dict[str, int] = {}
    for mark in decisions:
        section = mark.where.split("[")[0].split(".")[0]
        counts[section] = counts.get(section, 0) + 1
    summary = ", ".join([f"{section} {count}" for section, count in counts.items()]
                        + ([f"{len(translations)} English translations"] if translations else []))
    print(f"  {len(marks)} TODO marks left ({summary}):")
    marks = (*decisions, *translations)
    for mark in marks[:shown]:
        print(f"    line {mark.line} {mark.where}: {mark.text[:100]}")
    if len(marks) > shown:
        print(f"    … {len(marks) - shown} more (--all-todos lists every one)")


def _check(args: argparse.Namespace) -> int:
    failures = unfinished = 0
    for path in args.paths:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
            continue
        marks = _todos(path)
        print(f"ok {questionnaire.id} v{questionnaire.version}: {len(questionnaire.items)} items, "
              f"{len(questionnaire.measures)} measures")
        if marks:
            unfinished += 1
            _print_todos(marks, len(marks) if args.all_todos else _SHOWN_TODOS)
    if failures:
        print(f"{failures} of {len(args.paths)} questionnaire files failed the check", file=sys.stderr)
        return 2
    if unfinished and args.strict:
        print(f"error: {unfinished} of {len(args.paths)} questionnaire files still have TODO marks (--strict); "
              "resolve them, then check again", file=sys.stderr)
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

    check = commands.add_parser("check", help="check one or more questionnaire files; exit 2 if any fails",
                                description="Check questionnaire files: every problem of each, and the TODO marks a "
                                            "draft still has (how many, and where). Exit 2 when a file fails, or with "
                                            "--strict when TODO marks are left.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="questionnaire YAML files")
    check.add_argument("--strict", action="store_true", help="exit 2 while any TODO mark is left")
    check.add_argument("--all-todos", action="store_true", help=f"list every TODO mark (default: the first "
                                                                 f"{_SHOWN_TODOS})")
    check.set_defaults(handler=_check)

    show = commands.add_parser("show", help="print a readable codebook of one questionnaire")
    show.add_argument("path", metavar="PATH", help="a questionnaire YAML file")
    show.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels (default zh)")
    show.set_defaults(handler=_show)

    listing = commands.add_parser("list", help="list the bundled questionnaires")
    listing.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the titles (default zh)")
    listing.set_defaults(handler=_list)

    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.cli.paper import (
        register_infer,  # `infer`: draft a questionnaire from an export
    )

    register_infer(commands)
