"""Options several commands share: where results go and in which language (``surveys run``, ``surveys demo``),
and where the pseudonymisation key lives (``--key-file``). Light: defining them loads nothing heavy."""
from __future__ import annotations

import argparse

from surveys.ingest.pseudonym_key import KEY_FILE_VARIABLE, default_key_file

__all__ = ["add_output_options", "add_key_file_option"]


def add_output_options(parser: argparse.ArgumentParser, folder: str) -> None:
    """--lang, --no-charts, --svg and --no-report, shared by `surveys run` and `surveys demo` (results in
    ``folder``)."""
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of the printed tables, the charts and the report (default: the spec's "
                             "report.lang, Chinese)")
    parser.add_argument("--no-charts", dest="charts", action="store_false",
                        help=f"skip the charts ({folder}/charts/*.png), e.g. for quick checks")
    parser.add_argument("--svg", action="store_true",
                        help=f"also write every chart as SVG ({folder}/charts/*.svg, text as paths), for editing or "
                             "print shops")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help=f"skip the acceptance report ({folder}/report.xlsx, report.html and report.docx)")


def add_key_file_option(parser: argparse.ArgumentParser) -> None:
    """``--key-file``: where the pseudonymisation key lives (never in the store;
    :mod:`surveys.ingest.pseudonym_key`)."""
    parser.add_argument("--key-file", default=None, metavar="KEY",
                        help=f"the pseudonymisation key file (default: ${KEY_FILE_VARIABLE}, else "
                             f"{default_key_file()}; created if missing, kept out of the store and the results)")
