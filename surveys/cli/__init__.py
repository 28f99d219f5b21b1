"""The ``surveys`` command line: a thin layer over the library.

Each command group lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``handler`` (a function ``args -> int``) as the parser default.
:class:`~surveys.errors.SurveyError` becomes ``error: <message>`` on stderr and exit status 2;
Ctrl-C becomes ``interrupted`` (with what the command's ``interrupted`` default says it leaves, e.g.
``the store is unchanged``) and exit status 130; any other exception is a bug and propagates with its
traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from typing import Sequence

from surveys import __version__
from surveys.errors import SurveyError
from surveys.ingest.pseudonym_key import KeyFileWarning

__all__ = ["main", "build_parser", "INTERRUPTED"]

# the exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it)
INTERRUPTED = 130

# Command modules, in the order their commands appear in ``surveys --help``.
_COMMAND_MODULES = (
    "surveys.cli.init",
    "surveys.cli.questionnaire",
    "surveys.cli.demo",
    "surveys.cli.run",
    "surveys.cli.plan",
    "surveys.cli.margins",
    "surveys.cli.paper",
    "surveys.cli.ingest",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surveys",
        description="满意度调查工具 · satisfaction surveys with targets: ingest, weight, estimate, verdicts.",
    )
    parser.add_argument("--version", action="version", version=f"surveys {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _shown_as_note(show):
    """Key-file notices (created, moved out of a store) as ``note: …`` lines on stderr; other warnings as usual."""
    def note(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, KeyFileWarning):
            print(f"note: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)
    return note


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", KeyFileWarning)
            warnings.showwarning = _shown_as_note(warnings.showwarning)
            return int(handler(args) or 0)
    except SurveyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: no traceback; the command says what its interruption leaves (``interrupted`` default)
        note = getattr(args, "interrupted", "")
        print(f"interrupted{'; ' + note if note else ''}", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
