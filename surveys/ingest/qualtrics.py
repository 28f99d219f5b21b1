"""Qualtrics CSV/TSV/xlsx exports (docs/formats.md §5): three header rows, or two in the legacy layout.

Current layout: row 1 export tags (``StartDate, …, ResponseId, Q1, Q2``), row 2 the question text
(localised), row 3 ``{"ImportId":"QID1"}`` JSON. Legacy (before 2017): row 1 ``V1…V10, Q1, Q2``,
row 2 ``ResponseID, ResponseSet, …, <question text>``, a BOM and trailing commas. Meta columns are
found by name (row 1, or row 2 in the legacy layout); questions are keyed by their export tag and
titled by row 2. Validated against ``qualtrics_sample_3header.csv`` and
``qualtrics_sample_legacy_2header.csv`` from ropensci/qualtRics.
"""
from __future__ import annotations

from typing import Sequence

from surveys.errors import IngestError
from surveys.ingest.flat import read_flat
from surveys.ingest.raw import RawExport
from surveys.ingest.table import SourceTable

__all__ = ["META_NAMES", "read_qualtrics", "qualtrics_header_rows"]

META_NAMES = {
    "StartDate": "started_at", "EndDate": "ended_at", "RecordedDate": "submitted_at", "Status": "status",
    "IPAddress": "ip", "Progress": "progress", "Duration (in seconds)": "duration_seconds", "Finished": "finished",
    "ResponseId": "respondent_id", "ResponseID": "respondent_id", "ResponseSet": "response_set",
    "RecipientLastName": "recipient_last_name", "RecipientFirstName": "recipient_first_name",
    "RecipientEmail": "email", "EmailAddress": "email", "Name": "name",
    "ExternalReference": "link_parameter", "ExternalDataReference": "link_parameter",
    "LocationLatitude": "location_latitude", "LocationLongitude": "location_longitude",
    "LocationAccuracy": "location_accuracy", "DistributionChannel": "distribution_channel",
    "UserLanguage": "language",
}


def _is_import_row(row: Sequence[str]) -> bool:
    cells = [cell.strip() for cell in row if cell.strip()]
    return bool(cells) and sum(cell.startswith('{"ImportId"') for cell in cells) >= 0.5 * len(cells)


def _is_legacy(rows: Sequence[Sequence[str]]) -> bool:
    return (len(rows) >= 2 and bool(rows[0]) and rows[0][0].strip() == "V1"
            and any(cell.strip() == "ResponseID" for cell in rows[1]))


def qualtrics_header_rows(rows: Sequence[Sequence[str]]) -> int | None:
    """3 (current layout), 2 (legacy) or ``None`` when the rows do not look like Qualtrics."""
    if len(rows) >= 3 and _is_import_row(rows[2]):
        return 3
    if _is_legacy(rows):
        return 2
    return None


def read_qualtrics(source: SourceTable, *, header_rows: int | None = None) -> RawExport:
    rows = source.rows
    detected = qualtrics_header_rows(rows)
    header_rows = header_rows or detected
    if header_rows not in (2, 3):
        raise IngestError(f"{source.path.name}: expected a Qualtrics export (3 header rows ending in "
                          "'{\"ImportId\":…}' cells, or the legacy 2 rows 'V1,V2,…' / 'ResponseID,…'); found "
                          f"{len(rows)} row(s) without that layout; export again as CSV with 'Use legacy format' "
                          "off, or read it as a generic table (--platform generic on the command line, "
                          "platform='generic' with header_rows= in Python)")
    if len(rows) < header_rows:
        raise IngestError(f"{source.path.name}: expected {header_rows} header rows, found {len(rows)}; "
                          "the file is truncated")
    width = max(len(row) for row in rows[:header_rows])
    tags = list(rows[0]) + [""] * (width - len(rows[0]))
    texts = list(rows[1]) + [""] * (width - len(rows[1]))
    legacy = header_rows == 2 and _is_legacy(rows)
    meta_headers = texts if legacy else tags
    keys = [tag if not (legacy and tag.strip().startswith("V") and tag.strip()[1:].isdigit()) else text
            for tag, text in zip(tags, texts)]
    return read_flat(source, platform="qualtrics", header_rows=header_rows, keys=keys, titles=texts,
                     meta_headers=meta_headers, meta_names=META_NAMES)
