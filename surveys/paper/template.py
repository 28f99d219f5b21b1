"""The data-entry workbook clerks key paper forms into (:func:`write_entry_template`)."""
from __future__ import annotations

import pathlib
from typing import Sequence

from surveys.display import display_width as _display_width
from surveys.errors import SurveyError
from surveys.paper.layout import (
    CODEBOOK_SHEET,
    ENTRY_META_COLUMNS,
    ENTRY_SHEET,
    FORM_COLUMN,
    INSTRUCTIONS_SHEET,
    _is_text_column,
    _paper_items,
)
from surveys.questionnaire import Item, Questionnaire
from surveys.spreadsheet_text import write_text_cell

_MAX_INLINE_LIST = 255   # Excel's limit on an inline list validation formula and on a prompt
_MAX_PROMPT_TITLE = 32


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
        cell = sheet.cell(row=1, column=index)
        write_text_cell(cell, name)
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
    for row_number, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells, start=1):
            write_text_cell(codebook.cell(row=row_number, column=column), value)
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

