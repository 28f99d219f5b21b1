"""Recognising the platform of an export from its header signature (docs/formats.md §12).

``提交答卷时间`` + ``所用时间`` (or ``序号`` with ``N、`` / ``第N题(`` headers) → 问卷星;
``开始答题时间``/``结束答题时间`` + ``答题时长`` → 腾讯问卷; ``提交时间`` with ``填写设备`` / ``微信OpenID`` /
``修改时间`` / ``测评时长`` / ``填写地区`` → 金数据; a third row of ``{"ImportId":…}`` cells or the legacy
``V1…`` / ``ResponseID`` rows → Qualtrics; the SPSS signature → spss. Files that are questionnaire
*definitions* (LimeSurvey .lss, XLSForm workbooks, Kobo form JSON) and layouts the toolkit reads only
through the generic reader (腾讯文档收集表, SurveyMonkey, Kobo/ODK CSV) raise :class:`IngestError`
saying so.
"""
from __future__ import annotations

import pathlib
import re

from surveys.errors import IngestError
from surveys.ingest.jinshuju import looks_like_jinshuju
from surveys.ingest.qualtrics import qualtrics_header_rows
from surveys.ingest.table import SourceTable, container_of, load_table
from surveys.ingest.tencent import looks_like_tencent

__all__ = ["detect_from_bytes", "detect_from_table", "NOT_A_RESPONSE_EXPORT"]

NOT_A_RESPONSE_EXPORT = "not a response export"
_WJX_QUESTION = re.compile(r"^\s*(\d+、|第\d+题[(（])")
_GENERIC_HINT = ("read it as a generic table: --platform generic on the command line (one header row, the headers "
                 "as column keys), platform: generic in a study spec (with columns: {item: file header}), or "
                 "platform='generic', header_rows=…, columns={file header: name} in Python")


def _definition_error(path: pathlib.Path, what: str) -> IngestError:
    return IngestError(f"{path.name}: {NOT_A_RESPONSE_EXPORT}: this is {what}, a questionnaire definition without "
                       "responses; export the responses (CSV/xlsx) from the platform and read that file")


def _text_definition(data: bytes, path: pathlib.Path) -> None:
    head = data[:2000].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<document"):
        what = "a LimeSurvey survey structure (.lss)" if b"LimeSurvey" in data[:5000] else "an XML document"
        raise _definition_error(path, what)
    if head.startswith(b"{") or head.startswith(b"["):
        raise _definition_error(path, "a JSON document (e.g. a Kobo/ODK form with its submissions)")


def _workbook_definition(source: SourceTable, data: bytes) -> None:
    if source.container not in ("xlsx", "xls"):
        return
    import io

    from python_calamine import CalamineWorkbook

    try:
        names = {name.strip().lower() for name in CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names}
    except Exception:
        return
    if {"survey", "choices"} <= names or ("survey" in names and "settings" in names):
        raise _definition_error(source.path, "an XLSForm (sheets 'survey' and 'choices')")


def detect_from_table(source: SourceTable) -> str:
    """The platform whose header signature the table carries; :class:`IngestError` if none does."""
    rows = source.rows
    if not rows:
        raise IngestError(f"{source.path.name}: the file is empty; expected an export with a header row")
    if qualtrics_header_rows(rows) is not None:
        return "qualtrics"
    headers = [cell.strip() for cell in rows[0]]
    names = set(headers)
    if {"type", "name"} <= names and any(header.startswith("label") for header in headers):
        raise _definition_error(source.path, "an XLSForm 'survey' sheet (columns type, name, label)")
    if "提交答卷时间" in names and ("所用时间" in names or "序号" in names):
        return "wjx"
    if "序号" in names and sum(bool(_WJX_QUESTION.match(h)) for h in headers) >= 1:
        return "wjx"
    if looks_like_tencent(headers):
        return "tencent"
    if looks_like_jinshuju(headers):
        return "jinshuju"
    if any(header.startswith("提交者（自动）") or header.startswith("提交时间（自动）") for header in headers):
        known = "a 腾讯文档收集表 export"
    elif {"Respondent ID", "Collector ID"} <= names:
        known = "a SurveyMonkey export (2 header rows)"
    elif "_submission_time" in names or "_uuid" in names or "SubmissionDate" in names:
        known = "a KoboToolbox/ODK export"
    else:
        known = ""
    if known:
        raise IngestError(f"{source.path.name}: looks like {known}, which has no dedicated reader; {_GENERIC_HINT}")
    shown = ", ".join(repr(header) for header in headers[:8])
    raise IngestError(f"{source.path.name}: unknown export layout (first headers: {shown}); expected the header "
                      "signature of 问卷星 (序号, 提交答卷时间, 所用时间…), 腾讯问卷 (编号, 开始答题时间, 答题时长…), "
                      "金数据 (序号…提交时间, 填写设备…), Qualtrics (3 header rows with ImportId) or SPSS .sav; "
                      f"{_GENERIC_HINT}")


def detect_from_bytes(path: pathlib.Path, data: bytes, *, encoding: str | None = None,
                      sheet: str | None = None) -> tuple[str, SourceTable | None]:
    """``(platform, loaded table)``; the table is ``None`` for SPSS files."""
    container = container_of(data, path)
    if container == "sav":
        return "spss", None
    if container == "text":
        _text_definition(data, path)
    source = load_table(path, encoding=encoding, sheet=sheet, data=data)
    _workbook_definition(source, data)
    return detect_from_table(source), source
