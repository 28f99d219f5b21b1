"""Reading keyed workbooks (:func:`read_entry_workbook`) and canonical cell values (:func:`canonical_values`)."""
from __future__ import annotations

import math
import pathlib
from typing import Any, Iterable, Sequence

import pandas as pd

from surveys.errors import IngestError
from surveys.ingest.table import container_of, load_table, read_bytes
from surveys.ingest.workbook import open_sheet
from surveys.paper.layout import ENTRY_SHEET, FORM_COLUMN, _paper_items
from surveys.questionnaire import Questionnaire

# Other headers a keyed workbook may use for the form number (checked after FORM_COLUMN).
_FORM_COLUMN_ALIASES = ("问卷编号", "表单号", "编号")


def _plain(value: Any) -> Any:
    """A workbook cell as keyed: integral floats as ints (xlsx stores every number as a double)."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _read_rows(path: pathlib.Path, sheet: str | None) -> list[list[Any]]:

    data = read_bytes(path)
    container = container_of(data, path)
    if container == "text":   # a CSV copy of an entry workbook: text cells, compared canonically
        return [list(row) for row in load_table(path, data=data).rows]
    if container != "xlsx" and container != "xls":
        raise IngestError(f"{path.name}: expected a data-entry workbook (.xlsx/.xls or CSV); found a {container} file")
    _, rows = open_sheet(data, path, container, sheet, preferred=(ENTRY_SHEET,))
    return [[_plain(value) for value in row] for row in rows]


def _header_index(rows: Sequence[Sequence[Any]], expected: Iterable[str], path: pathlib.Path) -> int:
    """The row holding the header: the first of the top 10 rows with a form-number header or most item columns."""
    wanted = set(expected)
    best, best_hits = None, 0
    for index, row in enumerate(rows[:10]):
        names = {str(cell).strip() for cell in row if cell is not None}
        if FORM_COLUMN in names:
            return index
        hits = len(names & wanted)
        if hits > best_hits:
            best, best_hits = index, hits
    if best is None or best_hits * 2 < len(wanted):
        raise IngestError(f"{path.name}: no header row found in the first 10 rows; expected '{FORM_COLUMN}' and the "
                          f"paper columns of the questionnaire ({sorted(wanted)[:12]}); key the forms into the "
                          "workbook made by `surveys template`")
    return best


def read_entry_workbook(path: str | pathlib.Path, questionnaire: Questionnaire, *, sheet: str | None = None,
                        form_column: str | None = None) -> tuple[pd.DataFrame, str]:
    """One keyed workbook as ``(frame, form column)``.

    The frame has a ``row`` column (1-based data row under the header, as in ``truth/flaws.csv``) and
    one column per header, with the cells as keyed (integral numbers as ints, blank strings as None).
    Title rows above the header are skipped; fully empty rows (the template's unused rows) are not
    data. Raises :class:`IngestError` naming the file when it cannot be read.
    """
    path = pathlib.Path(path)
    expected = [column for _, column in _paper_items(questionnaire)]
    rows = _read_rows(path, sheet)
    if not rows:
        raise IngestError(f"{path.name}: the sheet is empty; expected a header row with '{FORM_COLUMN}' and the "
                          "questionnaire's paper columns")
    start = _header_index(rows, expected, path)
    width = max(len(row) for row in rows)
    header = [str(cell).strip() if cell is not None else "" for cell in rows[start]] + [""] * width
    header = header[:width]
    keep = [index for index, name in enumerate(header) if name]
    names = [header[index] for index in keep]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise IngestError(f"{path.name}: the header repeats {repeated}; expected each column once; rename or "
                          "delete the extra columns")
    body = [[row[index] if index < len(row) else None for index in keep] for row in rows[start + 1:]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    frame.insert(0, "row", range(1, len(frame) + 1))
    chosen = form_column or next((name for name in (FORM_COLUMN, *_FORM_COLUMN_ALIASES) if name in names), None)
    if chosen is None:
        identifiers = [questionnaire.platform("paper").column(item.id)
                       for item in questionnaire.items_with_role("identifier")]
        chosen = next((name for name in identifiers if name in names), None)
    if chosen is None or chosen not in names:
        raise IngestError(f"{path.name}: no form-number column; expected '{form_column or FORM_COLUMN}' in the "
                          f"header; found {names[:20]}; pass form_column= (--form-column) to name it")
    filled = frame.drop(columns="row").notna().any(axis=1)
    return frame[filled].reset_index(drop=True), chosen


# ----------------------------------------------------------------------------- canonical values

def canonical_values(values: pd.Series) -> pd.Series:
    """Cells as comparable text: trimmed, NFKC-normalised, numbers written one way, empty as "".

    ``1``, ``1.0``, ``"1"``, ``" 1 "`` and full-width ``"１"`` all become ``"1"``; ``"1, 3"`` and
    ``"1，3"`` become ``"1,3"``; None, NaN and blank strings become ``""``. Text with a leading zero
    (``"007"``, a form number or phone number) stays text: its zeros are part of the value.
    Vectorised per column.
    """
    missing = values.isna()
    text = values.astype(str).str.normalize("NFKC").str.strip()
    text = text.str.replace(r"\s*,\s*", ",", regex=True)
    missing |= text.eq("")
    numbers = pd.to_numeric(text.where(text.str.fullmatch(r"[-+]?(0|[1-9]\d*)(\.\d*)?"), None),
                            errors="coerce")
    integral = numbers.notna() & (numbers.abs() < 2 ** 53) & (numbers == numbers.round())
    if integral.any():
        text = text.mask(integral, numbers[integral].map(lambda number: str(int(number))))
    decimal = numbers.notna() & ~integral
    if decimal.any():
        text = text.mask(decimal, numbers[decimal].map(repr))
    return text.mask(missing, "")

