"""Paper forms: the data-entry workbook, double-entry reconciliation and OMR sentinels (FORMATS.md §11).

Three stages of the paper route, each a function returning a new object:

- :func:`write_entry_template` turns a questionnaire into the workbook clerks key forms into: one row
  per form, ``表单编号`` first, one column per item named by the questionnaire's ``paper`` mapping, a
  drop-down of the allowed codes on each choice item (labels in the input message), a frozen and
  protected header, text-formatted identifier columns, a codebook sheet and a keying-instructions sheet.
- :func:`reconcile_entries` compares two independent keyings of the same forms (double data entry):
  every cell where they differ, the forms keyed only once, form numbers keyed twice within one file,
  and the agreed rows (keyed twice, no difference), which :meth:`Reconciliation.write_agreed` writes
  in the entry layout for ingest. Values are compared canonically (``1`` = ``"1"`` = ``1.0`` =
  ``" 1 "`` = full-width ``"１"``) and reported as keyed.
- :func:`apply_omr_sentinels` turns an OMR export's sentinel cells into missing answers and a
  ``multiple_marks`` / ``invalid_mark`` problem per cell, keeping every row.

Row accounting is an invariant of each stage: a reconciliation accounts for every data row of each
file (:meth:`Reconciliation.accounting`), and the OMR stage returns as many rows as it was given.
"""
from __future__ import annotations

import csv
import io
import math
import pathlib
import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from surveys.errors import IngestError, SurveyError
from surveys.questionnaire import Item, Questionnaire

__all__ = [
    "FORM_COLUMN",
    "ENTRY_META_COLUMNS",
    "ENTRY_SHEET",
    "write_entry_template",
    "read_entry_workbook",
    "canonical_values",
    "Reconciliation",
    "reconcile_entries",
    "OmrSentinels",
    "OMR_CONVENTIONS",
    "OmrResult",
    "apply_omr_sentinels",
]

FORM_COLUMN = "表单编号"
# Columns clerks key from the form's cover block besides the answers; kept as text.
ENTRY_META_COLUMNS = ("调查员", "调查日期")
ENTRY_SHEET = "录入"
CODEBOOK_SHEET = "编码表"
INSTRUCTIONS_SHEET = "录入说明"
# Other headers a keyed workbook may use for the form number (checked after FORM_COLUMN).
_FORM_COLUMN_ALIASES = ("问卷编号", "表单号", "编号")
# Words in an item's text or column that mark identifier-like answers Excel would mangle as numbers.
_TEXT_LIKE_WORDS = ("电话", "手机", "身份证", "编号", "号码", "联系方式", "邮编", "phone", "mobile")
_MAX_INLINE_LIST = 255   # Excel's limit on an inline list validation formula and on a prompt
_MAX_PROMPT_TITLE = 32


# ----------------------------------------------------------------------------- the entry template

def _paper_items(questionnaire: Questionnaire) -> list[tuple[Item, str]]:
    mapping = questionnaire.platform("paper")
    pairs = [(item, mapping.column(item.id)) for item in questionnaire.items]
    pairs = [(item, column) for item, column in pairs if column is not None]
    if not pairs:
        raise SurveyError(f"questionnaire '{questionnaire.id}' maps no item to a paper column; "
                          f"add platforms.paper.columns to {questionnaire.source_path.name}")
    return pairs


def _is_text_column(item: Item | None, column: str) -> bool:
    if item is None:
        return True
    if item.type == "text" or item.role == "identifier":
        return True
    words = f"{item.text.zh} {column}".lower()
    return item.type == "number" and any(word in words for word in _TEXT_LIKE_WORDS)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _code_labels(questionnaire: Questionnaire, item: Item) -> str:
    scale = questionnaire.scale_of(item.id)
    if scale is None:
        return ""
    return "；".join(f"{category.code}={category.label.zh}" for category in scale.categories)


def _skip_text(questionnaire: Questionnaire, item: Item) -> str:
    parts = []
    for condition in item.asked_if:
        scale = questionnaire.scale_of(condition.item)
        column = questionnaire.platform("paper").column(condition.item) or condition.item
        codes = "、".join(f"{code}" + (f"（{scale.label(code)}）" if scale is not None else "")
                         for code in condition.values)
        parts.append(f"{column} {'不为' if condition.negate else '为'} {codes}")
    return ("仅当 " + " 且 ".join(parts) + " 时填写，否则留空") if parts else ""


def _validation(questionnaire: Questionnaire, item: Item, column: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    scale = questionnaire.scale_of(item.id)
    title = column[:_MAX_PROMPT_TITLE]
    if scale is not None and item.type == "single":
        codes = ",".join(str(code) for code in scale.codes)
        prompt = _code_labels(questionnaire, item)
        skip = _skip_text(questionnaire, item)
        prompt += f"\n{skip}" if skip else ""
        if len(codes) + 2 <= _MAX_INLINE_LIST:
            validation = DataValidation(type="list", formula1=f'"{codes}"', allow_blank=True)
        else:  # too many codes for an inline list: accept the whole numbers between the extremes
            validation = DataValidation(type="whole", operator="between", formula1=str(min(scale.codes)),
                                        formula2=str(max(scale.codes)), allow_blank=True)
        validation.error = f"请填写代码表中的代码：{codes}"[:_MAX_INLINE_LIST]
        validation.errorTitle = "代码无效"
    elif scale is not None:  # multiple choice: the ticked codes joined by ","; Excel cannot list them
        prompt = "多选：填写所选代码，用英文逗号分隔，如 1,3。" + _code_labels(questionnaire, item)
        validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="255", allow_blank=True)
    elif item.type == "number" and not _is_text_column(item, column):
        prompt = "填写整数"
        validation = DataValidation(type="whole", operator="between", formula1="-999999999", formula2="999999999",
                                    allow_blank=True)
        validation.error = "请填写整数"
    else:
        return None
    validation.promptTitle = title
    validation.prompt = prompt[:_MAX_INLINE_LIST]
    validation.showInputMessage = True
    validation.showErrorMessage = True
    return validation


def _codebook_rows(questionnaire: Questionnaire, pairs: Sequence[tuple[Item, str]]) -> list[list[str]]:
    rows = [["列名", "题目编号", "题目", "类型", "代码与标签", "跳题逻辑", "必答", "备注"]]
    for item, column in pairs:
        note = item.note.zh if item.note is not None else ""
        rows.append([column, item.id, item.text.zh, item.type, _code_labels(questionnaire, item),
                     _skip_text(questionnaire, item), "是" if item.required else "否", note])
    return rows


def _instruction_lines(questionnaire: Questionnaire, forms: int) -> list[str]:
    return [
        f"{questionnaire.title.zh}（{questionnaire.id} v{questionnaire.version}）数据录入说明",
        f"1. 每份问卷录入一行，共预留 {forms} 行；第一列「{FORM_COLUMN}」填写问卷上的编号，不可重复、不可留空。",
        "2. 选择题填写问卷上印刷的选项代码（数字），不要填写选项文字；选中单元格时会提示代码与标签。",
        "3. 多选题填写所有选中的代码，用英文逗号分隔，例如 1,3。",
        "4. 未作答、因跳题未询问的题目留空，不要填 0 或空格；字迹无法辨认或多选了单选题时留空并在备注中记录表单编号。",
        "5. 编号、电话等列已设为文本格式，请原样录入，不要改为数字。",
        "6. 表头已锁定，请勿修改、插入或删除列；如需更多行请另建一份录入表。",
        "7. 双录入：两名录入员各自独立录入同一批问卷，完成后运行 "
        "`surveys reconcile A.xlsx B.xlsx --questionnaire 问卷.yaml` 比对，按纸质问卷核对每处不一致。",
        f"8. 各列的题目、代码和跳题逻辑见「{CODEBOOK_SHEET}」工作表。",
    ]


def write_entry_template(questionnaire: Questionnaire, path: str | pathlib.Path, *, forms: int = 500,
                         meta_columns: Sequence[str] = ENTRY_META_COLUMNS) -> pathlib.Path:
    """Write the data-entry workbook of ``questionnaire`` to ``path`` (xlsx) and return the path.

    Sheet ``录入``: header ``表单编号``, ``meta_columns``, then one column per item with a paper column
    (questionnaire order), ``forms`` empty data rows. Each single-choice column carries a list
    validation of the scale's codes (labels and skip logic in the input message; a whole-number range
    when the list would exceed Excel's 255 characters), number columns a whole-number validation.
    Form numbers, meta columns, text, identifier and phone-like columns are formatted as text (``@``).
    The header row and form-number column are frozen; the sheet is protected with the data area
    unlocked, so clerks cannot edit the header. Sheets ``编码表`` (column, item, question text, codes
    and labels, skip logic) and ``录入说明`` (keying instructions) follow.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    if isinstance(forms, bool) or not isinstance(forms, int) or not 1 <= forms <= 100_000:
        raise SurveyError(f"forms must be a whole number of rows between 1 and 100000; found {forms!r}")
    pairs = _paper_items(questionnaire)
    headers: list[tuple[Item | None, str]] = [(None, FORM_COLUMN)] + [(None, name) for name in meta_columns]
    headers += list(pairs)
    duplicated = sorted({name for _, name in headers if [n for _, n in headers].count(name) > 1})
    if duplicated:
        raise SurveyError(f"the entry workbook would repeat the column(s) {duplicated}; rename the paper columns "
                          f"in {questionnaire.source_path.name} or pass other meta_columns")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ENTRY_SHEET
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    unlocked = Protection(locked=False)
    for index, (item, name) in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
        letter = cell.column_letter
        as_text = item is None or _is_text_column(item, name)
        for row in range(2, forms + 2):
            data_cell = sheet.cell(row=row, column=index)
            data_cell.protection = unlocked
            if as_text:
                data_cell.number_format = "@"
        if item is not None:
            validation = _validation(questionnaire, item, name)
            if validation is not None:
                validation.add(f"{letter}2:{letter}{forms + 1}")
                sheet.add_data_validation(validation)
        width = max(_display_width(name), 8 if item is not None and item.type != "text" else 14)
        sheet.column_dimensions[letter].width = width + 2
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False   # False = allowed: clerks may widen columns
    sheet.protection.formatRows = False

    codebook = workbook.create_sheet(CODEBOOK_SHEET)
    rows = _codebook_rows(questionnaire, pairs)
    for row in rows:
        codebook.append(row)
    for cell in codebook[1]:
        cell.font, cell.fill = header_font, header_fill
    limits = (14, 24, 60, 10, 60, 40, 6, 30)
    for index, limit in enumerate(limits, start=1):
        widest = max(_display_width(str(row[index - 1])) for row in rows)
        codebook.column_dimensions[codebook.cell(row=1, column=index).column_letter].width = min(widest, limit) + 2
    codebook.freeze_panes = "A2"

    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    for line in _instruction_lines(questionnaire, forms):
        instructions.append([line])
    instructions["A1"].font = header_font
    instructions.column_dimensions["A"].width = 120
    workbook.properties.creator = "surveys"
    path = pathlib.Path(path)
    try:
        workbook.save(path)
    except OSError as error:
        raise SurveyError(f"cannot write the entry workbook '{path}' ({error.strerror or error}); "
                          "check that the folder exists and the file is not open in Excel") from None
    return path


# ----------------------------------------------------------------------------- reading keyed workbooks

def _plain(value: Any) -> Any:
    """A workbook cell as keyed: integral floats as ints (xlsx stores every number as a double)."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _read_rows(path: pathlib.Path, sheet: str | None) -> list[list[Any]]:
    from surveys.ingest.table import container_of, load_table, read_bytes

    data = read_bytes(path)
    container = container_of(data, path)
    if container == "text":   # a CSV copy of an entry workbook: text cells, compared canonically
        return [list(row) for row in load_table(path, data=data).rows]
    if container != "xlsx" and container != "xls":
        raise IngestError(f"{path.name}: expected a data-entry workbook (.xlsx/.xls or CSV); found a {container} file")
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        chosen = sheet if sheet is not None else (ENTRY_SHEET if ENTRY_SHEET in names else names[0])
        if chosen not in names:
            raise IngestError(f"{path.name}: no sheet {chosen!r}; the workbook has {names}")
        cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except IngestError:
        raise
    except Exception as error:  # calamine raises its own error types on corrupt files
        raise IngestError(f"{path.name}: cannot open the workbook ({type(error).__name__}: {error}); expected "
                          "a complete .xlsx or .xls data-entry workbook") from None
    return [[_plain(value) for value in row] for row in cells]


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


# ----------------------------------------------------------------------------- reconciliation

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
        """Every finding in one table with a ``kind`` column: value_differs, keyed_once, duplicate_form, no_form_number."""
        differs = self.discrepancies.assign(kind="value_differs", detail="")
        once = pd.DataFrame({
            "kind": "keyed_once", "form": self.keyed_once["form"],
            "first_row": self.keyed_once["row"].where(self.keyed_once["keyed_in"] == "first"),
            "second_row": self.keyed_once["row"].where(self.keyed_once["keyed_in"] == "second"),
            "detail": "keyed only in the " + self.keyed_once["keyed_in"] + " file"})
        duplicates = pd.DataFrame({
            "kind": "duplicate_form", "form": self.duplicates["form"],
            "detail": self.duplicates["file"] + " file rows " + self.duplicates["rows"].map(
                lambda rows: ", ".join(str(row) for row in rows))})
        unnumbered = pd.DataFrame({"kind": "no_form_number", "form": "",
                                   "detail": self.unnumbered["file"] + " file row " + self.unnumbered["row"].astype(str)})
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
            writer.writerow([_formula_safe(value) for value in row])
        return _write_bytes(pathlib.Path(path), buffer.getvalue().encode("utf-8-sig"), "report")

    def write_agreed(self, path: str | pathlib.Path) -> pathlib.Path:
        """The agreed rows as an xlsx in the entry layout (sheet ``录入``), text columns as text cells."""
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = ENTRY_SHEET
        columns = [column for column in self.agreed.columns if column != "row"]
        sheet.append(columns)
        text_columns = set(self.text_columns)
        for values in self.agreed[columns].itertuples(index=False):
            sheet.append([_agreed_cell(value, column in text_columns) for value, column in zip(values, columns)])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":   # keyed text starting with "=" stays text, never a formula
                    cell.data_type = "s"
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


def _formula_safe(value: Any) -> Any:
    # a cell starting with = + @ (or - followed by a non-number) is run as a formula by spreadsheet apps
    if isinstance(value, str) and value and (value[0] in "=+@\t\r" or (value[0] == "-" and not _is_number(value))):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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


# ----------------------------------------------------------------------------- OMR sentinels

def _as_tuple(value: str | int | Sequence[str | int]) -> tuple[str, ...]:
    values = (value,) if isinstance(value, (str, int)) else tuple(value)
    return tuple(canonical_values(pd.Series(list(values), dtype=object)))


@dataclass(frozen=True)
class OmrSentinels:
    """The special values an OMR (optical mark reader) export writes instead of an answer code.

    ``blank``: no mark (becomes a missing answer). ``multiple``: several marks on a single-choice
    item (missing, plus a ``multiple_marks`` problem). ``invalid``: a mark the scanner could not read
    (faint, erased; missing, plus an ``invalid_mark`` problem). Each takes one value or several;
    values compare canonically, so ``-1`` matches the cell ``"-1"``. Conventions seen in practice
    (FORMATS.md §11, :data:`OMR_CONVENTIONS`): an empty cell for no mark and ``*`` for a double mark
    (the default); ``-1`` = no answer and ``-9999`` = invalid mark (double or faint) in the export of
    the Japanese service cited in FORMATS.md §11 [D].
    """

    blank: tuple[str, ...] = ("",)
    multiple: tuple[str, ...] = ("*",)
    invalid: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("blank", "multiple", "invalid"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))
        overlap = (set(self.blank) & set(self.multiple)) | (set(self.blank) & set(self.invalid)) | (
            set(self.multiple) & set(self.invalid))
        if overlap:
            raise IngestError(f"OMR sentinels must be distinct; found {sorted(overlap)} in more than one of "
                              "blank / multiple / invalid; give each meaning its own value")


OMR_CONVENTIONS: Mapping[str, OmrSentinels] = MappingProxyType({
    "blank_and_star": OmrSentinels(blank="", multiple="*"),
    "minus_one_and_9999": OmrSentinels(blank=("", "-1"), multiple=(), invalid="-9999"),
})


@dataclass(frozen=True, eq=False)
class OmrResult:
    """Answers with sentinels replaced by missing values, and one problem per sentinel cell that is not blank.

    ``problems`` columns: ``row``, ``column``, ``value`` (as exported), ``code`` (``multiple_marks`` or
    ``invalid_mark``). ``rows_read == len(answers)`` always: no row is dropped.
    """

    answers: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    blank_cells: int

    @property
    def rows_with_problems(self) -> int:
        return int(self.problems["row"].nunique())


def apply_omr_sentinels(frame: pd.DataFrame, sentinels: OmrSentinels = OmrSentinels(), *,
                        columns: Sequence[str] | None = None, row_column: str | None = "row") -> OmrResult:
    """Replace ``sentinels`` in ``columns`` (default: all but ``row_column``) with None; record the problems.

    ``row_column`` names the frame's row numbers (as in :class:`~surveys.ingest.RawExport` answers);
    when it is None or absent, rows are numbered from 1. Vectorised per column.
    """
    if not isinstance(sentinels, OmrSentinels):
        raise IngestError(f"sentinels must be an OmrSentinels; found {type(sentinels).__name__}; "
                          f"use one of OMR_CONVENTIONS {sorted(OMR_CONVENTIONS)} or OmrSentinels(blank=…, multiple=…)")
    chosen = list(columns) if columns is not None else [c for c in frame.columns if c != row_column]
    unknown = [column for column in chosen if column not in frame.columns]
    if unknown:
        raise IngestError(f"OMR columns {unknown} are not in the data; its columns are {list(frame.columns)[:30]}")
    rows = frame[row_column] if row_column in frame.columns else pd.Series(range(1, len(frame) + 1), index=frame.index)
    answers = frame.copy()
    found, blank_cells = [], 0
    for column in chosen:
        canonical = canonical_values(frame[column])
        blank = canonical.isin(sentinels.blank) & frame[column].notna()
        for code, values in (("multiple_marks", sentinels.multiple), ("invalid_mark", sentinels.invalid)):
            hit = canonical.isin(values)
            if hit.any():
                found.append(pd.DataFrame({"row": rows[hit], "column": column, "value": frame.loc[hit, column],
                                           "code": code}))
            blank |= hit
        blank_cells += int((canonical.isin(sentinels.blank)).sum())
        answers[column] = frame[column].astype(object).mask(blank, None)
    problems = (pd.concat(found, ignore_index=True).sort_values(["row", "column"], kind="stable").reset_index(drop=True)
                if found else pd.DataFrame(columns=["row", "column", "value", "code"]))
    return OmrResult(answers=answers, problems=problems, rows_read=len(frame), blank_cells=blank_cells)
