"""``surveys init EXPORT... --out DIR [--id ID] [--platform P] [--force]``: draft a study that runs as it is.

A thin layer over :func:`surveys.study.draft.draft_study`: writes ``DIR/questionnaire.yaml``, ``DIR/margins.csv``
and ``DIR/study.yaml``, and prints what it read and the checklist. ``surveys run DIR/study.yaml --out OUT`` then
writes the report (unweighted, and saying so, until margins.csv is filled in). Exit 0; 2 with ``error: …`` when
an export cannot be read (questionnaire definitions such as .lss or XLSForm are not response exports) or DIR
already holds a draft (``--force`` replaces it).
"""
from __future__ import annotations

import argparse
import pathlib

__all__ = ["register"]


def _init(args: argparse.Namespace) -> int:
    # deferred: pandas and the stage modules load only when this command runs, not for `surveys --help`
    from surveys.study.draft import draft_study

    draft = draft_study(args.exports, args.out, study_id=args.id, platform=args.platform, overwrite=args.force)
    paired = {text for _, text in draft.pairs}
    for code, text in draft.pairs:
        print(f"read {code.name} with {text.name}: the 按选项序号 and 按选项文本 downloads of the same respondents "
              "(codes decoded from the text download)")
    for path in draft.exports:
        if path not in paired and all(path != code for code, _ in draft.pairs):
            print(f"read {path.name}")
    print(f"wrote {draft.questionnaire}: the questionnaire drafted from the export ({draft.todo} TODO marks)")
    if draft.margins is not None:
        print(f"wrote {draft.margins}: population margins to fill in for {', '.join(draft.weighting_variables)}")
    print(f"wrote {draft.study}: {draft.respondents} respondents' exports, validation, weighting, the headline "
          "measure with the study's placeholder target of 80%")
    print("checklist:")
    for line in draft.checklist:
        print(f"  {line}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init", help="draft a study from exports: questionnaire, margins template and a study spec that runs",
        description="Draft a study folder from the exports of one survey (a 问卷星 按选项序号/按选项文本 pair is "
                    "read together): questionnaire.yaml, margins.csv (to fill with population counts) and "
                    "study.yaml, which `surveys run DIR/study.yaml --out OUT` runs as it is (unweighted until the "
                    "margins are filled in). Prints a checklist of what to review.")
    parser.add_argument("exports", nargs="+", metavar="EXPORT", help="response exports of one survey (xlsx, xls, csv, "
                                                                     "sav)")
    parser.add_argument("--out", required=True, metavar="DIR", type=pathlib.Path, help="the study folder to write")
    parser.add_argument("--id", default=None, help="the questionnaire id (default: from the file name)")
    parser.add_argument("--platform", default=None,
                        choices=("wjx", "tencent", "jinshuju", "qualtrics", "spss", "generic"),
                        help="the exports' platform (default: detected from the header); 'generic' for a plain table")
    parser.add_argument("--force", action="store_true", help="replace the draft files already in DIR")
    parser.set_defaults(handler=_init)
