"""Double data entry: comparing two keyings of the same forms (:func:`reconcile_entries`)."""
from __future__ import annotations

import csv
import io
import math
import pathlib
import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from surveys.errors import IngestError, SurveyError
from surveys.paper.entry import canonical_values, read_entry_workbook
from surveys.paper.layout import ENTRY_SHEET, _is_text_column
from surveys.questionnaire import Questionnaire
from surveys.spreadsheet_text import csv_cell, write_text_cell

_DISCREPANCY_COLUMNS = ("form", "item", "column", "first_row", "second_row", "first_value", "second_value")
_ONCE_COLUMNS = ("form", "keyed_in", "row")
_DUPLICATE_COLUMNS = ("form", "file", "rows")


@dataclass(frozen=True, eq=False)
class Reconciliation:
    """The comparison of two keyings of the same paper forms (double data entry).

    ``discrepancies``: one row per differing cell — ``form``, ``item`` (item id, "" for a non-item
    column), ``column`` (header), ``first_row`` / ``second_row`` (1-based data rows), ``first_value`` /
    ``second_value`` (as keyed). ``keyed_once``: forms in one file only (``keyed_in`` is "first" or
    "second"). ``duplicates``: form numbers keyed on several rows of one file (``rows`` lists them);
    such forms are neither compared nor agreed until the clerk resolves them. ``unnumbered``: data
    rows without a form number (``file``, ``row``). ``agreed``: the first file's rows of the forms
    keyed twice with no difference, in the entry layout. Frames are read-only by convention.
    """

    first_path: pathlib.Path
    second_path: pathlib.Path
    form_column: str
    compared_columns: tuple[str, ...]
    rows_first: int
    rows_second: int
    discrepancies: pd.DataFrame
    keyed_once: pd.DataFrame
    duplicates: pd.DataFrame
    unnumbered: pd.DataFrame
    agreed: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "row"]))
    text_columns: tuple[str, ...] = ()
    item_of_column: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def forms_differing(self) -> int:
        return int(self.discrepancies["form"].nunique())

    @property
    def forms_keyed_twice(self) -> int:
        return len(self.agreed) + self.forms_differing

    def accounting(self) -> dict[str, dict[str, int]]:
        """Per file: rows read = agreed + differing + keyed once + duplicated + unnumbered + other_file_duplicated.

        ``other_file_duplicated`` counts rows whose form number is repeated in the *other* file: they
        wait, uncompared, until that duplicate is resolved.
        """
        result = {}
        for name, total in (("first", self.rows_first), ("second", self.rows_second)):
            duplicated = self.duplicates[self.duplicates["file"] == name]["rows"].map(len).sum()
            result[name] = {
                "rows_read": total,
                "agreed": len(self.agreed),
                "differing": self.forms_differing,
                "keyed_once": int((self.keyed_once["keyed_in"] == name).sum()),
                "duplicated": int(duplicated),
                "unnumbered": int((self.unnumbered["file"] == name).sum()),
                "other_file_duplicated": int((self.set_aside["file"] == name).sum()),
            }
        return result

    def summary_lines(self) -> list[str]:
        once = self.keyed_once["keyed_in"].value_counts()
        return [
            f"first:  {self.first_path.name}: {self.rows_first} rows",
            f"second: {self.second_path.name}: {self.rows_second} rows",
            f"forms keyed twice: {self.forms_keyed_twice}; agreed: {len(self.agreed)}; "
            f"with differences: {self.forms_differing} ({len(self.discrepancies)} cells)",
            f"keyed once: {int(once.get('first', 0))} only in first, {int(once.get('second', 0))} only in second",
            f"form numbers repeated within a file: {len(self.duplicates)}; rows without a form number: "
            f"{len(self.unnumbered)}",
        ]

    def report_frame(self) -> pd.DataFrame:
        """Every finding in one table with a ``kind`` column: value_differs, keyed_once, duplicate_form,
        no_form_number."""
        differs = self.discrepancies.assign(kind="value_differs", detail="")
        once = pd.DataFrame({
            "kind": "keyed_once", "form": self.keyed_once["form"],
            "first_row": self.keyed_once["row"].where(self.keyed_once["keyed_in"] == "first"),
            "second_row": self.keyed_once["row"].where(self.keyed_once["keyed_in"] == "second"),
            "detail": "keyed only in the " + self.keyed_once["keyed_in"] + " file"})
        duplicates = pd.DataFrame({
            "kind": "duplicate_form", "form": self.duplicates["form"],
            "detail": [f"{file} file rows " + ", ".join(str(row) for row in rows)
                       for file, rows in zip(self.duplicates["file"], self.duplicates["rows"])]})
        detail = self.unnumbered["file"] + " file row " + self.unnumbered["row"].astype(str)
        unnumbered = pd.DataFrame({"kind": "no_form_number", "form": "", "detail": detail})
        columns = ["kind", *_DISCREPANCY_COLUMNS, "detail"]
        frames = [frame.reindex(columns=columns) for frame in (differs, once, duplicates, unnumbered) if len(frame)]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)

    def write_report(self, path: str | pathlib.Path) -> pathlib.Path:
        """The findings as CSV (UTF-8 with BOM, so Excel opens it; text that could run as a formula is quoted)."""
        frame = self.report_frame().astype(object).where(lambda f: f.notna(), "")
        frame["first_row"] = frame["first_row"].map(_row_text)
        frame["second_row"] = frame["second_row"].map(_row_text)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow([csv_cell(value) for value in row])
        return _write_bytes(pathlib.Path(path), buffer.getvalue().encode("utf-8-sig"), "report")

    def write_agreed(self, path: str | pathlib.Path) -> pathlib.Path:
        """The agreed rows as an xlsx in the entry layout (sheet ``录入``), text columns as text cells."""
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = ENTRY_SHEET
        columns = [column for column in self.agreed.columns if column != "row"]
        for column, name in enumerate(columns, start=1):
            write_text_cell(sheet.cell(row=1, column=column), name)
        text_columns = set(self.text_columns)
        for row, values in enumerate(self.agreed[columns].itertuples(index=False), start=2):
            for column, (value, name) in enumerate(zip(values, columns), start=1):
                value = _agreed_cell(value, name in text_columns)
                if isinstance(value, str):   # keyed text starting with "=" stays text, never a formula
                    write_text_cell(sheet.cell(row=row, column=column), value)
                elif value is not None:
                    sheet.cell(row=row, column=column, value=value)
        for index, column in enumerate(columns, start=1):
            if column in text_columns:
                for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cells[0].number_format = "@"
        sheet.freeze_panes = "B2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return _write_bytes(pathlib.Path(path), buffer.getvalue(), "agreed workbook")


def _row_text(value: Any) -> str:
    if value == "" or value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value))


def _agreed_cell(value: Any, as_text: bool) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if as_text:
        return str(value).strip()
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return text
    return value


def _write_bytes(path: pathlib.Path, data: bytes, what: str) -> pathlib.Path:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise SurveyError(f"cannot write the {what} '{path}' ({error.strerror or error}); check that the folder "
                          "exists and the file is not open in Excel") from None
    return path


def _split_duplicates(frame: pd.DataFrame, form: pd.Series, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    repeated = form.duplicated(keep=False) & form.ne("")
    groups = frame.loc[repeated, "row"].groupby(form[repeated], sort=True).agg(tuple)
    duplicates = pd.DataFrame({"form": groups.index, "file": name, "rows": groups.values})
    return duplicates.reindex(columns=_DUPLICATE_COLUMNS), repeated


def reconcile_entries(first_path: str | pathlib.Path, second_path: str | pathlib.Path, questionnaire: Questionnaire,
                      *, sheet: str | None = None, form_column: str | None = None) -> Reconciliation:
    """Compare two keyings of the same forms, aligned on the form number (vectorised with pandas).

    Compared: every column both files share except the form number (the paper item columns and
    meta columns such as 调查员). A cell differs when the canonical values (:func:`canonical_values`)
    differ; the raw keyed values are reported. Forms in one file only are ``keyed_once``; a form
    number on several rows of one file is a ``duplicate`` (not compared); rows without a number are
    ``unnumbered``. Validated on the demo city's paper pairs, whose planted keying errors and
    single-keyed forms (``truth/flaws.csv``) are all found (tests/test_paper.py).
    """
    first_path, second_path = pathlib.Path(first_path), pathlib.Path(second_path)
    first, first_form = read_entry_workbook(first_path, questionnaire, sheet=sheet, form_column=form_column)
    second, second_form = read_entry_workbook(second_path, questionnaire, sheet=sheet, form_column=form_column)
    if first_form != second_form:
        raise IngestError(f"{second_path.name}: the form number is in column '{second_form}' but "
                          f"{first_path.name} has it in '{first_form}'; pass form_column= to choose one")
    paper = questionnaire.platform("paper")
    item_of_column = {column: item_id for item_id, column in paper.columns.items()}
    compared = [column for column in first.columns if column not in ("row", first_form) and column in second.columns]
    parts, forms = {}, {}
    unnumbered, duplicates = [], []
    for name, frame in (("first", first), ("second", second)):
        form = canonical_values(frame[first_form])
        unnumbered.append(pd.DataFrame({"file": name, "row": frame.loc[form.eq(""), "row"]}))
        found, repeated = _split_duplicates(frame, form, name)
        duplicates.append(found)
        keep = form.ne("") & ~repeated
        parts[name] = frame[keep].assign(_form=form[keep]).set_index("_form")
        forms[name] = set(form[repeated])
    excluded = forms["first"] | forms["second"]
    in_first = parts["first"].index.difference(parts["second"].index.union(pd.Index(sorted(forms["second"]))))
    in_second = parts["second"].index.difference(parts["first"].index.union(pd.Index(sorted(forms["first"]))))
    keyed_once = pd.concat([
        pd.DataFrame({"form": parts["first"].loc[in_first, first_form].astype(str), "keyed_in": "first",
                      "row": parts["first"].loc[in_first, "row"]}),
        pd.DataFrame({"form": parts["second"].loc[in_second, first_form].astype(str), "keyed_in": "second",
                      "row": parts["second"].loc[in_second, "row"]}),
    ], ignore_index=True).reindex(columns=_ONCE_COLUMNS)
    both = parts["first"].index.intersection(parts["second"].index).difference(pd.Index(sorted(excluded)))
    set_aside = pd.concat([
        pd.DataFrame({"file": name, "row": parts[name].loc[parts[name].index.isin(sorted(forms[other])), "row"]})
        for name, other in (("first", "second"), ("second", "first"))], ignore_index=True)
    a, b = parts["first"].loc[both], parts["second"].loc[both]
    canonical_a = a[compared].apply(canonical_values) if compared else a[compared]
    canonical_b = b[compared].apply(canonical_values) if compared else b[compared]
    differs = canonical_a.ne(canonical_b)
    cells = differs.stack()
    cells = cells[cells]
    forms_index = cells.index.get_level_values(0)
    columns_index = cells.index.get_level_values(1)
    discrepancies = pd.DataFrame({
        "form": a.loc[forms_index, first_form].astype(str).to_numpy(),
        "item": [item_of_column.get(column, "") for column in columns_index],
        "column": columns_index.to_numpy(),
        "first_row": a.loc[forms_index, "row"].to_numpy(),
        "second_row": b.loc[forms_index, "row"].to_numpy(),
        "first_value": a[compared].stack(future_stack=True).loc[cells.index].to_numpy() if len(cells) else [],
        "second_value": b[compared].stack(future_stack=True).loc[cells.index].to_numpy() if len(cells) else [],
    }, columns=list(_DISCREPANCY_COLUMNS))
    discrepancies = discrepancies.sort_values(["first_row", "column"], kind="stable").reset_index(drop=True)
    agreed_forms = both[~differs.any(axis=1).to_numpy()] if len(both) else both
    agreed = parts["first"].loc[agreed_forms].sort_values("row").reset_index(drop=True)
    items = {column: paper.item_for_column(column) for column in first.columns}
    text_columns = tuple(column for column in first.columns if column != "row" and _is_text_column(
        questionnaire.item(items[column]) if items.get(column) else None, column))
    return Reconciliation(
        first_path=first_path, second_path=second_path, form_column=first_form, compared_columns=tuple(compared),
        rows_first=len(first), rows_second=len(second), discrepancies=discrepancies, keyed_once=keyed_once,
        duplicates=pd.concat(duplicates, ignore_index=True), unnumbered=pd.concat(unnumbered, ignore_index=True),
        agreed=agreed, set_aside=set_aside, text_columns=text_columns, item_of_column=MappingProxyType(item_of_column))

