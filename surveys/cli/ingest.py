"""``surveys ingest`` and ``surveys export``: exports into the store, cleaned responses out of it.

``surveys ingest FILE... --questionnaire Q.yaml --store S.sqlite [--labels TEXT] [--mode paper|online] [--wave W]
[--key-file K] [--json]`` reads every file first (exit 2 with ``error: …`` when one cannot be read or does not
match the questionnaire; nothing is stored then), then stores each as one batch, all in one transaction (Ctrl-C:
``interrupted; the store is unchanged``, exit 130). The 问卷星 按选项序号 and 按选项文本 downloads of the same
responses (same 序号 and submission times), given together or with ``--labels``, are one set of respondents,
stored once. With ``--json`` it prints ONE JSON object ``{"files": [{"path", "sha256", "role" (ingested |
labels_for), "platform" (the reader), "mapping" (the questionnaire mapping used), "encoding", "rows_read",
"accepted", "rejected", "flagged", "reasons": {code: rows}, "blank_rows", "already_ingested", "labels" /
"labels_for"}], "store": path}`` (``blank_rows``: entirely blank rows, which are no respondents and not in
``rows_read``); without, a table. A ``labels_for`` file's rows are counted in its code file's entry (its
accepted and rejected are 0). Rejections are not failures (exit 0). ``--rules RULES.yaml`` takes the study's validation
rules (a mapping of rule → settings, or a study spec with a ``validation`` section); ``--area`` sets the surveyed area
of the ``outside_area`` rule.

``surveys export --store S --questionnaire ID -o out.xlsx [--wave W] [--lang zh|en]`` writes the accepted
responses with labels (:func:`surveys.store.export_workbook`).
"""
from __future__ import annotations

import argparse
import json
import pathlib
from typing import Any

from surveys.cli.options import add_key_file_option
from surveys.errors import StoreError, ValidationError
from surveys.progress import row_progress
from surveys.questionnaire import load_questionnaire
from surveys.spec_file import SpecReader, read_yaml

__all__ = ["register"]


def _rules(args: argparse.Namespace) -> Any:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.validate import (
        ValidationRules,  # deferred: loads pandas; `surveys --help` stays light
    )

    spec: Any = {}
    key = ""
    reader = None
    if args.rules:
        reader = SpecReader(args.rules, what="validation rules", error=ValidationError)
        document = read_yaml(args.rules, error=ValidationError, what="rules file (a YAML mapping of rule → settings)")
        if isinstance(document, dict) and "validation" in document:  # a study spec
            document, key = document["validation"], "validation"
        spec = {} if document is None else document
    if args.area and isinstance(spec, dict):
        area = spec.get("outside_area")
        settings = {"action": area} if isinstance(area, str) else dict(area) if isinstance(area, dict) else {}
        spec = {**spec, "outside_area": {**settings, "area": list(args.area)}}
    rules = ValidationRules.from_mapping(spec, reader=reader, key=key)
    if reader is not None:
        reader.fail()
    return rules


def _ingest(args: argparse.Namespace) -> int:
    # deferred: reading and storing load pandas; `surveys --help` stays light
    from surveys.store.database import Store, ingest_files

    questionnaire = load_questionnaire(args.questionnaire)
    rules = _rules(args)
    store = Store(args.store, key_file=args.key_file)
    bar = row_progress(enabled=not args.json)
    try:
        results = ingest_files(store, args.files, questionnaire, labels=args.labels or (), rules=rules,
                               mode=args.mode, wave=args.wave, platform=args.platform,
                               progress=bar.rows if bar else None, file_progress=bar.file if bar else None)
    finally:
        if bar:
            bar.close()
    args.interrupted = "the files were stored; only this report of them was cut short"
    if args.json:
        print(json.dumps({"files": [result.to_json() for result in results], "store": str(args.store)},
                         ensure_ascii=False))
        return 0
    width = max(len(pathlib.Path(result.path).name) for result in results)
    print(f"{'file':<{width}}  {'platform':<9} {'read':>6} {'accepted':>8} {'rejected':>8} {'flagged':>7}  reasons")
    totals = [0, 0, 0, 0]
    for result in results:
        platform = result.reader or result.platform
        if result.role == "labels_for":
            print(f"{pathlib.Path(result.path).name:<{width}}  {platform:<9} {result.rows_read:>6} {'':>8} {'':>8} "
                  f"{'':>7}  labels for {pathlib.Path(result.labels_for).name} (the same respondents: counted there)")
            continue
        reasons = ", ".join(f"{code} {count}" for code, count in result.reasons.items()) or "-"
        note = "  (already in the store: nothing added)" if result.already_ingested else ""
        note += f"  ({result.blank_rows} blank rows: no respondents)" if result.blank_rows else ""
        print(f"{pathlib.Path(result.path).name:<{width}}  {platform:<9} {result.rows_read:>6} "
              f"{result.accepted:>8} {result.rejected:>8} {result.flagged:>7}  {reasons}{note}")
        for index, value in enumerate((result.rows_read, result.accepted, result.rejected, result.flagged)):
            totals[index] += value
    print(f"{'total':<{width}}  {'':<9} {totals[0]:>6} {totals[1]:>8} {totals[2]:>8} {totals[3]:>7}")
    print(f"store: {args.store}  (rows read = accepted + rejected; flagged rows are accepted)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from surveys.store.database import (  # deferred: loads pandas and openpyxl
        Store,
        export_workbook,
    )

    if not pathlib.Path(args.store).is_file():
        raise StoreError(f"{args.store}: no such store; expected the file written by surveys ingest --store")
    store = Store(args.store, key_file=args.key_file)
    rows = export_workbook(store, args.questionnaire, args.output, wave=args.wave, lang=args.lang)
    print(f"wrote {rows} accepted responses of '{args.questionnaire}' to {args.output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    ingest = subparsers.add_parser(
        "ingest", help="read exports, validate them and store every row (accepted or rejected with reasons)",
        description="Read 问卷星 / 腾讯问卷 / paper exports, map them onto a questionnaire, validate, pseudonymise "
                    "identifiers and store each file as one batch. Exit 0 when the files were read.")
    ingest.add_argument("files", nargs="+", metavar="FILE", help="export files (xlsx, xls, csv, sav)")
    ingest.add_argument("--labels", action="append", default=None, metavar="TEXT_EXPORT",
                        help="问卷星 按选项文本 download of the same responses as a 按选项序号 FILE (repeatable); "
                             "a pair given among the FILEs is found without it")
    ingest.add_argument("--questionnaire", required=True, metavar="Q.yaml", help="the questionnaire definition")
    ingest.add_argument("--store", required=True, metavar="S.sqlite", help="the store file (created if missing)")
    ingest.add_argument("--mode", choices=("paper", "online"), default=None,
                        help="mode of collection (default: paper for paper workbooks, online otherwise)")
    ingest.add_argument("--wave", default=None, help="the survey round, e.g. 2026")
    ingest.add_argument("--platform", choices=("wjx", "tencent", "paper"), default=None,
                        help="the questionnaire's platform mapping to use (default: detected)")
    ingest.add_argument("--rules", default=None, metavar="RULES.yaml",
                        help="validation rules (rule → settings), or a study spec with a 'validation' section")
    ingest.add_argument("--area", action="append", default=None, metavar="省-市",
                        help="surveyed area for the outside_area rule, e.g. 陕西-秦川 (repeatable)")
    ingest.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_key_file_option(ingest)
    ingest.set_defaults(handler=_ingest, interrupted="the store is unchanged")

    export = subparsers.add_parser(
        "export", help="write the cleaned responses of one questionnaire, with labels, to xlsx",
        description="Write the accepted responses of a questionnaire from the store to an xlsx workbook with a "
                    "codebook sheet; free text is written as text, never as a formula.")
    export.add_argument("--store", required=True, metavar="S.sqlite", help="the store file")
    export.add_argument("--questionnaire", required=True, metavar="ID", help="the questionnaire id")
    export.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", help="the workbook to write")
    export.add_argument("--wave", default=None, help="only this survey round")
    export.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels (default zh)")
    add_key_file_option(export)
    export.set_defaults(handler=_export)
