"""``surveys template`` and ``surveys reconcile`` (paper forms), and ``surveys questionnaire infer``.

``template QUESTIONNAIRE -o entry.xlsx [--forms N]`` writes the data-entry workbook.
``reconcile FIRST SECOND --questionnaire Q [-o agreed.xlsx] [--report diff.csv]`` compares two keyings
of the same forms, prints the counts and every differing cell, and writes the agreed rows and the
findings. Exit 0 when both files were read (differences are findings, not failures); exit 2 with
``error: ...`` when a file cannot be read or written.
``questionnaire infer EXPORT -o draft.yaml [--platform P] [--id ID] [--labels TEXT_EXPORT]`` drafts a
questionnaire from an export (registered under ``surveys questionnaire`` by
:mod:`surveys.cli.questionnaire`).
"""
from __future__ import annotations

import argparse
import pathlib

__all__ = ["register", "register_infer"]

_SHOWN_DIFFERENCES = 200


def _template(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.paper import write_entry_template
    from surveys.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(args.questionnaire)
    path = write_entry_template(questionnaire, args.output, forms=args.forms)
    columns = len(questionnaire.platform("paper").columns)
    print(f"wrote {path}: {columns} item columns, {args.forms} form rows, sheets 录入 / 编码表 / 录入说明")
    return 0


def _value(value: object) -> str:
    return "(空)" if value is None or value != value else repr(value) if isinstance(value, str) else str(value)


def _reconcile(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.paper import reconcile_entries
    from surveys.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(args.questionnaire)
    result = reconcile_entries(args.first, args.second, questionnaire, sheet=args.sheet,
                               form_column=args.form_column)
    for line in result.summary_lines():
        print(line)
    differences = result.discrepancies
    if len(differences):
        print("differing cells (form, column, first row: value, second row: value):")
        for row in differences.head(_SHOWN_DIFFERENCES).itertuples(index=False):
            print(f"  {row.form}  {row.column}  first row {row.first_row}: {_value(row.first_value)}  "
                  f"second row {row.second_row}: {_value(row.second_value)}")
        if len(differences) > _SHOWN_DIFFERENCES:
            print(f"  … {len(differences) - _SHOWN_DIFFERENCES} more; see --report")
    for row in result.keyed_once.itertuples(index=False):
        print(f"  keyed once: {row.form} (only in the {row.keyed_in} file, row {row.row})")
    for row in result.duplicates.itertuples(index=False):
        print(f"  repeated form number: {row.form} in the {row.file} file, rows {', '.join(map(str, row.rows))}")
    if args.output:
        print(f"wrote {result.write_agreed(args.output)}: {len(result.agreed)} agreed rows")
    if args.report:
        print(f"wrote {result.write_report(args.report)}: {len(result.report_frame())} findings")
    return 0


def _infer(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.ingest import read_export, read_export_pair
    from surveys.ingest.infer import infer_questionnaire, todo_marks
    from surveys.questionnaire import load_questionnaire

    if args.labels:
        raw = read_export_pair(args.export, args.labels)
    else:
        raw = read_export(args.export, platform=args.platform)
    text = infer_questionnaire(raw, questionnaire_id=args.id)
    output = pathlib.Path(args.output)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
        from surveys.errors import SurveyError

        raise SurveyError(f"cannot write the draft '{output}' ({error.strerror or error}); check the folder") from None
    questionnaire = load_questionnaire(output)
    todo = len(todo_marks(text))
    print(f"wrote {output}: draft '{questionnaire.id}' from {raw.path.name} ({raw.platform}, {raw.coding}): "
          f"{len(questionnaire.items)} items, {len(questionnaire.scales)} scales, headline on "
          f"{questionnaire.headline.items[0]}; {todo} TODO marks to review "
          f"(surveys questionnaire check {output} lists them)")
    return 0


def register_infer(commands: argparse._SubParsersAction) -> None:
    """Add ``infer`` to the ``surveys questionnaire`` subcommands."""
    infer = commands.add_parser("infer", help="draft a questionnaire definition from an export file",
                                description="Draft a questionnaire (YAML) from any supported export: items, "
                                            "scales, roles and the platform mapping, with TODO marks to review.")
    infer.add_argument("export", metavar="EXPORT", help="an export file (问卷星, 腾讯问卷, 金数据, Qualtrics, SPSS…)")
    infer.add_argument("-o", "--output", required=True, metavar="DRAFT.yaml", help="where to write the draft")
    infer.add_argument("--platform", default=None,
                       help="the export's platform (default: detected from the header); 'generic' for paper entry")
    infer.add_argument("--id", default=None, help="the questionnaire id (default: from the file name)")
    infer.add_argument("--labels", default=None, metavar="TEXT_EXPORT",
                       help="问卷星 按选项文本 download of the same survey, when EXPORT is the 按选项序号 one")
    infer.set_defaults(handler=_infer)


def register(subparsers: argparse._SubParsersAction) -> None:
    template = subparsers.add_parser("template", help="write a paper data-entry workbook for a questionnaire",
                                     description="Write the data-entry workbook (xlsx) clerks key paper forms into.")
    template.add_argument("questionnaire", metavar="QUESTIONNAIRE", help="a questionnaire YAML file")
    template.add_argument("-o", "--output", required=True, metavar="ENTRY.xlsx", help="the workbook to write")
    template.add_argument("--forms", type=int, default=500, help="number of form rows (default 500)")
    template.set_defaults(handler=_template)

    reconcile = subparsers.add_parser("reconcile", help="compare two keyings of the same paper forms",
                                      description="Double data entry: list every cell where two keyings differ, "
                                                  "the forms keyed once, and write the agreed rows.")
    reconcile.add_argument("first", metavar="FIRST.xlsx", help="the first clerk's workbook")
    reconcile.add_argument("second", metavar="SECOND.xlsx", help="the second clerk's workbook")
    reconcile.add_argument("--questionnaire", required=True, metavar="Q.yaml", help="the questionnaire YAML file")
    reconcile.add_argument("-o", "--output", default=None, metavar="AGREED.xlsx",
                           help="write the forms keyed twice with no difference (entry layout)")
    reconcile.add_argument("--report", default=None, metavar="DIFF.csv", help="write every finding as CSV")
    reconcile.add_argument("--sheet", default=None, help="the sheet to read (default 录入, else the first)")
    reconcile.add_argument("--form-column", default=None, help="the form-number header (default 表单编号)")
    reconcile.set_defaults(handler=_reconcile)
