"""The layout of the data-entry workbook shared by the paper stages: sheet and column names, text columns."""
from __future__ import annotations

from surveys.errors import SurveyError
from surveys.questionnaire import Item, Questionnaire

FORM_COLUMN = "表单编号"
# Columns clerks key from the form's cover block besides the answers; kept as text.
ENTRY_META_COLUMNS = ("调查员", "调查日期")
ENTRY_SHEET = "录入"
CODEBOOK_SHEET = "编码表"
INSTRUCTIONS_SHEET = "录入说明"
# Words in an item's text or column that mark identifier-like answers Excel would mangle as numbers.
_TEXT_LIKE_WORDS = ("电话", "手机", "身份证", "编号", "号码", "联系方式", "邮编", "phone", "mobile")


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


