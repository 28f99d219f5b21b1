"""Drafting a questionnaire definition from an export: ``surveys questionnaire infer``.

An analyst handed an unfamiliar export starts from a file that loads, not from a blank page.
:func:`infer_questionnaire` reads what a :class:`~surveys.ingest.RawExport` says about its questions
and writes YAML in the schema of ``questionnaires/README.md``:

- one item per question (matrix rows included), id ``q<number>`` from the question number (``q13_2``
  for a matrix row), the title as the Chinese text and ``en: "TODO: translate"``;
- scales from the labels seen (or the code → label pairs the file states); a label set drawn from a
  known scale (:data:`KNOWN_SCALES`: the five-level satisfaction scale 非常满意…非常不满意 with 不了解 as
  code 9, the three-level 满意/基本满意/不满意) takes that scale's order, codes, satisfied set and
  scores; other sets become ordered categories (form order where the file states it, numeric order
  for labels that start with a number, else order of first appearance, marked TODO);
- roles guessed from the titles (demographic words, identifiers, attention checks "请选择…") and the
  types (free text), the satisfaction items from their scale, the **overall** item as the last
  overall-looking one (总体/整体…), a headline ``rate`` measure on it without a target (TODO);
- the platform mapping filled in (问卷星 question numbers, 腾讯问卷 ``Q<n>``; generic column headers and the
  Qualtrics / SPSS / 金数据 column keys go into the ``paper`` mapping, which maps items to column keys), with
  value maps where an option position differs from its code.

Everything uncertain carries a ``# TODO`` comment. Validated by loading the draft of every demo export
and of every real export the readers support with :func:`~surveys.questionnaire.load_questionnaire`
(tests/test_infer.py).
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import pandas as pd

from surveys.errors import QuestionnaireError
from surveys.ingest.raw import RawExport, RawQuestion

__all__ = ["KNOWN_SCALES", "KnownScale", "TodoMark", "infer_questionnaire", "is_placeholder_label", "todo_marks",
           "TODO_TRANSLATE"]

TODO_TRANSLATE = "TODO: translate"
_DONT_KNOW_LABELS = ("不了解", "说不清", "不清楚", "不知道", "不适用", "无法评价", "不好说")
_DEMOGRAPHIC_WORDS = ("性别", "年龄", "出生", "学历", "文化程度", "教育", "职业", "收入", "户籍", "民族", "婚姻",
                      "政治面貌", "居住地", "居住在", "居住年限", "区县", "所在区", "所在地", "街道", "乡镇", "身份", "gender", "sex", "age",
                      "income", "education", "occupation")
_IDENTIFIER_WORDS = ("编号", "电话", "手机号", "身份证", "邮箱", "姓名", "联系方式", "openid", "email", "phone", "id")
_OVERALL_WORDS = ("总体", "整体", "总的来说", "总的看", "综合", "总评", "overall")
_ATTENTION = re.compile(r"(本题|此题)?请(直接)?(选择|选)")
_QUOTED = re.compile(r"[\"“「『‘']([^\"”」』’']+)[\"”」』’']")
_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_MAX_CHOICE_OPTIONS = 60


@dataclass(frozen=True)
class KnownScale:
    """A standard answer scale recognised from its labels: levels in order, with their marks."""

    id: str
    levels: tuple[str, ...]
    english: tuple[str, ...]
    satisfied: tuple[str, ...]
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    dont_know_code: int = 9


# The conventions of the bundled instruments (questionnaires/README.md): codes 1..k in display order,
# don't-know code 9, satisfied = the levels down to 基本满意, scores 100/80/60/30/0 (docs/scoring.md §2.2).
KNOWN_SCALES: Mapping[str, KnownScale] = MappingProxyType({
    "satisfaction5": KnownScale(
        "satisfaction5", ("非常满意", "满意", "基本满意", "不满意", "非常不满意"),
        ("Very satisfied", "Satisfied", "Basically satisfied", "Dissatisfied", "Very dissatisfied"),
        ("非常满意", "满意", "基本满意"),
        MappingProxyType({"非常满意": 100, "满意": 80, "基本满意": 60, "不满意": 30, "非常不满意": 0})),
    "satisfaction3": KnownScale(
        "satisfaction3", ("满意", "基本满意", "不满意"), ("Satisfied", "Basically satisfied", "Dissatisfied"),
        ("满意", "基本满意")),
})


@dataclass(frozen=True)
class _Category:
    code: int
    zh: str
    en: str = TODO_TRANSLATE
    satisfied: bool = False
    dont_know: bool = False
    score: float | None = None
    placeholder: bool = False   # a label the file does not give (an option nobody chose, or codes only)


@dataclass
class _Draft:
    """One item being drafted (mutable while the draft is built; never leaves this module)."""

    id: str
    question: RawQuestion
    text: str
    type: str
    categories: tuple[_Category, ...] = ()
    known: str = ""
    order_note: str = ""
    value_map: tuple[tuple[str, int], ...] = ()
    role: str = "classification"
    role_note: str = ""
    correct_answer: int | None = None
    scale_id: str = ""


# ----------------------------------------------------------------------------- YAML scalars

def _quote(value: Any) -> str:
    """A YAML scalar: JSON strings are valid YAML double-quoted scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _english(text: str) -> str:
    """The text itself when it is already English (an English survey, SPSS labels), else a TODO."""
    return text if text.isascii() and re.search(r"[A-Za-z]", text) else TODO_TRANSLATE


def _text(zh: str, en: str | None = None) -> str:
    return f"{{zh: {_quote(zh)}, en: {_quote(_english(zh) if en is None else en)}}}"


# ----------------------------------------------------------------------------- ids and titles

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _item_id(question: RawQuestion, index: int, taken: set[str]) -> str:
    key = question.key.strip()
    if re.fullmatch(r"\d+(_\d+)*", key):
        base = f"q{key}"
    else:
        slug = _slug(key) if key.isascii() else ""
        base = slug if slug and slug[0].isalpha() else (f"q{slug}" if slug else f"item_{index}")
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _title_from_file(stem: str) -> str:
    match = re.fullmatch(r"\d+_\d_(.+)_\d+_\d+", stem)   # 问卷星 <问卷ID>_<type>_<标题>_<n>_<n>
    return match.group(1) if match else stem


def _questionnaire_id(title: str) -> str:
    slug = re.sub(r"^[0-9_]+", "", _slug(title))
    return slug or "draft"


# ----------------------------------------------------------------------------- scales

def _int_label(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d+", text.strip()) else None


def _match_known(labels: Sequence[str]) -> tuple[KnownScale, str] | None:
    """The smallest known scale containing every non-don't-know label, and the don't-know label seen."""
    levels = [label for label in labels if label not in _DONT_KNOW_LABELS]
    dont_know = [label for label in labels if label in _DONT_KNOW_LABELS]
    if len(levels) < 2 or len(dont_know) > 1:
        return None
    fits = [known for known in KNOWN_SCALES.values() if set(levels) <= set(known.levels)]
    if not fits:
        return None
    known = min(fits, key=lambda scale: len(scale.levels))
    return known, (dont_know[0] if dont_know else "")


def _known_categories(known: KnownScale, dont_know: str) -> tuple[_Category, ...]:
    categories = [_Category(code, level, english, level in known.satisfied, False, known.scores.get(level))
                  for code, (level, english) in enumerate(zip(known.levels, known.english), start=1)]
    label = dont_know or "不了解"
    categories.append(_Category(known.dont_know_code, label, "Don't know", dont_know=True))
    return tuple(categories)


def _value_label_pairs(question: RawQuestion) -> list[tuple[int, str]]:
    """(code, label) pairs the file states (SPSS value labels, a 问卷星 pair, 0/1 option-column headers)."""
    pairs = []
    for code, label in question.value_labels.items():
        number = code if isinstance(code, int) else _int_label(str(code))
        if number is None and isinstance(code, float) and code == int(code):
            number = int(code)
        if number is not None and str(label).strip():
            pairs.append((number, str(label).strip()))
    return sorted(pairs)


def _seen_codes(question: RawQuestion) -> list[int]:
    return sorted({code for code in (_int_label(str(option)) for option in question.options) if code is not None})


def _labelled(question: RawQuestion, coding: str) -> tuple[list[tuple[int, str]], str]:
    """(code, label) pairs in form order where known, and a note when the order is a guess."""
    pairs = _value_label_pairs(question)
    if pairs:
        # a code seen in the data but given no label by the file keeps a placeholder; every other code its label
        labelled = {code for code, _ in pairs}
        unlabelled = [code for code in _seen_codes(question) if code not in labelled]
        if not unlabelled:
            return pairs, ""
        return sorted(pairs + [(code, f"代码{code}") for code in unlabelled]), (
            f"codes {unlabelled} are in the data but the file gives them no label: write their labels (代码N)")
    options = [str(option).strip() for option in question.options if str(option).strip()]
    options = list(dict.fromkeys(options))
    if options and all(_int_label(option) is not None for option in options):
        # numbers as values (paper keying, numeric exports): the numbers are the codes
        codes = sorted({_int_label(option) for option in options})
        return [(code, f"代码{code}") for code in codes], ("option labels unknown: the file holds codes only; "
                                                           "write each code's label (代码N) and add missing codes")
    if options and all(_LEADING_NUMBER.match(option) for option in options):
        ordered = sorted(options, key=lambda option: float(_LEADING_NUMBER.match(option).group(1)))
        return list(enumerate(ordered, start=1)), "" if ordered == options else "order: by the leading number"
    note = "" if question.declared_kind and len(options) < 2 else "order: as first seen in the file; put the " \
        "categories in form order"
    return list(enumerate(options, start=1)), note


def _draft_scale(draft: _Draft, coding: str) -> None:
    pairs, note = _labelled(draft.question, coding)
    labels = [label for _, label in pairs]
    match = _match_known(labels)
    if match is not None and draft.type == "single":
        known, dont_know = match
        draft.categories, draft.known = _known_categories(known, dont_know), known.id
        positions = [label for _, label in sorted(pairs)]
        in_form_order = positions == [c.zh for c in draft.categories if c.zh in positions]
        draft.order_note = "" if in_form_order and draft.question.value_labels else \
            "option order assumed to be the standard one; check it against the form"
        draft.value_map = tuple((category.zh, category.code) for category in draft.categories)
        return
    seen: set[str] = set()
    categories = []
    for code, label in pairs:
        if label in seen:
            continue
        seen.add(label)
        unnamed = label == f"代码{code}"   # the file gives this code no label (see _labelled)
        categories.append(_Category(code, label, f"Code {code}" if unnamed else _english(label), placeholder=unnamed))
    draft.categories, draft.order_note = tuple(categories), note


# A 问卷星 按选项序号 download writes each option's POSITION on the form. The draft codes every option by that
# position, so a gap in the data (an option nobody chose) stays a gap-free scale and no value map is needed.
_UNCHOSEN = ("选项{position}（无人选择）", "Option {position} (chosen by nobody)")
_UNKNOWN = ("选项{position}", "Option {position}")
_UNCHOSEN_LABEL = re.compile(r"选项\d+（无人选择）")


def is_placeholder_label(label: str) -> bool:
    """True for the label a draft gives an option nobody chose (``选项3（无人选择）``)."""
    return bool(_UNCHOSEN_LABEL.fullmatch(str(label).strip()))


def _standard_gaps(known: KnownScale, observed: Mapping[int, str], highest: int) -> dict[int, str]:
    """Positions nobody chose, named from the known scale when every level seen stands at its standard place."""
    levels = known.levels
    if any(label in levels and (position > len(levels) or levels[position - 1] != label)
           for position, label in observed.items()):
        return {}
    return {position: levels[position - 1] for position in range(1, min(highest, len(levels)) + 1)
            if position not in observed}


def _position_category(position: int, label: str, known: KnownScale | None) -> _Category:
    english = _english(label)
    if known is not None and label in known.levels:
        english = known.english[known.levels.index(label)]
    dont_know = label in _DONT_KNOW_LABELS
    if dont_know:
        english = "Don't know"
    satisfied = known is not None and label in known.satisfied
    score = None if known is None or dont_know else known.scores.get(label)
    return _Category(position, label, english, satisfied, dont_know, score)


def _draft_positions(draft: _Draft) -> None:
    """Categories of a 问卷星 按选项序号 question: code = the option's position on the form (see _UNCHOSEN)."""
    question = draft.question
    observed = dict(_value_label_pairs(question))
    highest = max([*observed, *_seen_codes(question), 1])
    if not observed:
        draft.categories = tuple(_Category(position, _UNKNOWN[0].format(position=position),
                                           _UNKNOWN[1].format(position=position), placeholder=True)
                                 for position in range(1, highest + 1))
        draft.order_note = ("codes unverified: a 按选项序号 download holds option positions only, so 选项N are "
                            "placeholders; infer again with --labels TEXT_EXPORT (the 按选项文本 download of the same "
                            "survey), or write the form's labels in the form's order")
        return
    match = _match_known(list(observed.values())) if draft.type == "single" else None
    known = match[0] if match is not None else None
    guessed = _standard_gaps(known, observed, highest) if known is not None else {}
    names = {**observed, **guessed}
    categories, unchosen, used = [], [], set()
    for position in range(1, highest + 1):
        label = names.get(position)
        if label is None:
            unchosen.append(position)
            zh, en = (text.format(position=position) for text in _UNCHOSEN)
            categories.append(_Category(position, zh, en, placeholder=True))
            continue
        if label in used:  # two options with the same text: keep both, told apart by position
            label = f"{label}（{position}）"
        used.add(label)
        categories.append(_position_category(position, label, known))
    notes = []
    if guessed:
        notes.append(f"options {sorted(guessed)} were chosen by nobody; named from the standard "
                     f"{known.id} order: check them against the form")
    if unchosen:
        notes.append(f"options {unchosen} were chosen by nobody in either download: write their labels from the "
                     "form (选项N（无人选择） is a placeholder)")
    draft.categories, draft.known, draft.order_note = tuple(categories), known.id if known else "", "; ".join(notes)


# ----------------------------------------------------------------------------- roles

def _has(words: Sequence[str], text: str) -> bool:
    """A word in the text: Chinese words anywhere, Latin ones as whole words ("age", not "page")."""
    lowered = text.lower()
    return any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered) if word.isascii() else word in lowered
               for word in words)


_SEX_LABELS = {"男", "女", "男性", "女性", "male", "female", "man", "woman", "men", "women"}
_AGE_LABEL = re.compile(r"\d+\s*(岁|周岁|years?\b)|^\s*(under|over|below|above)\s+\d+", re.IGNORECASE)
_EDUCATION_LABELS = {"小学", "初中", "高中", "中专", "大专", "本科", "研究生", "硕士", "博士", "primary school",
                     "secondary school", "high school", "bachelor", "master", "doctorate"}


def _demographic_labels(categories: Sequence[_Category]) -> bool:
    """Labels that say what kind of variable this is (sex, age groups, education), e.g. SPSS value labels
    Male/Female on a variable named "labeled"."""
    labels = [category.zh.strip().lower() for category in categories if not category.placeholder]
    if len(labels) < 2:
        return False
    if set(labels) <= _SEX_LABELS | {"其他", "other", "不愿说", "prefer not to say"} and set(labels) & _SEX_LABELS:
        return True
    if sum(bool(_AGE_LABEL.search(label)) for label in labels) * 2 > len(labels):
        return True
    return sum(any(word in label for word in _EDUCATION_LABELS) for label in labels) * 2 > len(labels)


def _guess_role(draft: _Draft) -> None:
    text = draft.text
    if draft.type == "text":
        identifier = _has(_IDENTIFIER_WORDS[:-1], text) or re.search(r"\bid\b", text.lower()) is not None
        draft.role = "identifier" if identifier else "free_text"
        return
    if draft.type == "single" and _ATTENTION.search(text):
        quoted = _QUOTED.search(text)
        wanted = quoted.group(1).strip() if quoted else ""
        codes = [category.code for category in draft.categories if category.zh == wanted]
        if codes:
            draft.role, draft.correct_answer = "attention_check", codes[0]
            return
        draft.role_note = "looks like an attention check, but its expected answer was not found in the text"
    if draft.type == "single" and any(category.satisfied for category in draft.categories) and not draft.role_note:
        draft.role = "satisfaction"
    elif _has(_DEMOGRAPHIC_WORDS, text) or (draft.type == "single" and _demographic_labels(draft.categories)):
        draft.role = "demographic"
    else:
        draft.role = "classification"
        draft.role_note = draft.role_note or "role guessed; choose satisfaction, demographic, screener, classification…"


def _choose_overall(drafts: list[_Draft]) -> tuple[_Draft | None, str]:
    rated = [d for d in drafts if d.role == "satisfaction"]
    looking = [d for d in rated if _has(_OVERALL_WORDS, d.text)]
    if looking or rated:
        chosen = (looking or rated)[-1]
        chosen.role = "overall"
        return chosen, "" if looking else "no overall-looking question; the last satisfaction item was taken"
    singles = [d for d in drafts if d.type == "single" and d.categories and d.role != "attention_check"]
    looking = [d for d in singles if _has(_OVERALL_WORDS, d.text)]
    candidates = looking or [d for d in singles if d.role != "demographic"] or singles
    if not candidates:
        return None, ""
    chosen = candidates[-1]
    chosen.role, chosen.role_note = "overall", ""
    # the first category the file names (a placeholder only when the file names none)
    first = next((category for category in chosen.categories if not category.placeholder), chosen.categories[0])
    chosen.categories = tuple(dataclasses.replace(category, satisfied=True) if category is first else category
                              for category in chosen.categories)
    return chosen, ("no satisfaction scale recognised: this item and its first category ('satisfied: true') were "
                    "picked only so the draft loads; choose the overall item and its satisfied categories")


# ----------------------------------------------------------------------------- assembling the draft

def _item_type(question: RawQuestion) -> str:
    return {"single": "single", "matrix_row": "single", "multiple": "multiple", "ranking": "multiple",
            "text": "text", "number": "number"}.get(question.kind, "text")


def _with_data_codes(question: RawQuestion, raw: RawExport) -> RawQuestion:
    """A labelled question (SPSS value labels) with the codes its data hold added to its options, and its
    user-missing codes taken out of its labels (they mark missing answers, not options)."""
    if not question.value_labels or question.key not in raw.answers:
        return question
    values = pd.to_numeric(pd.Series([v for v in raw.answers[question.key] if isinstance(v, (int, float))],
                                     dtype=float), errors="coerce").dropna()
    codes = tuple(str(int(v)) for v in values.unique() if float(v).is_integer())
    missing = {_code_text(code) for code in question.missing_codes}
    labels = {code: label for code, label in question.value_labels.items() if _code_text(code) not in missing}
    return dataclasses.replace(question, options=tuple(dict.fromkeys((*labels.values(), *codes))),
                               value_labels=labels)


def _code_text(code: Any) -> str:
    return str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)


def _drafts(raw: RawExport) -> list[_Draft]:
    taken: set[str] = set()
    drafts = []
    # the rows of one matrix share its options: pool what was seen on every row
    pooled: dict[str, list[str]] = {}
    pooled_labels: dict[str, dict] = {}
    for question in raw.questions:
        if question.matrix:
            pooled.setdefault(question.matrix, []).extend(question.options)
            pooled_labels.setdefault(question.matrix, {}).update(question.value_labels)
    positional = raw.platform == "wjx" and raw.coding == "codes"
    for index, question in enumerate(raw.questions, start=1):
        title = question.title.strip() or (f"第{question.key}题" if question.key.isdigit() else question.key)
        if question.kind == "matrix_row" and question.row_label:
            title = f"{title}—{question.row_label}"
        draft = _Draft(_item_id(question, index, taken), question, title, _item_type(question))
        if draft.type in ("single", "multiple"):
            if question.matrix in pooled:
                draft.question = dataclasses.replace(question, options=tuple(dict.fromkeys(pooled[question.matrix])),
                                                     value_labels=pooled_labels[question.matrix])
            if positional:
                _draft_positions(draft)
            else:
                draft.question = _with_data_codes(draft.question, raw)
                _draft_scale(draft, raw.coding)
            draft.question = question
            if not draft.categories or (len(draft.categories) > _MAX_CHOICE_OPTIONS and not question.value_labels):
                draft.type, draft.categories = "text", ()
                draft.role_note = "read as a choice question with no usable option list; typed as text"
        _guess_role(draft)
        drafts.append(draft)
    return drafts


def _share_scales(drafts: list[_Draft]) -> dict[str, tuple[bool, tuple[_Category, ...], str]]:
    scales: dict[str, tuple[bool, tuple[_Category, ...], str]] = {}
    by_content: dict[tuple, str] = {}
    for draft in drafts:
        if draft.type not in ("single", "multiple"):
            continue
        multiple = draft.type == "multiple"
        content = (multiple, draft.categories)
        if content in by_content:
            draft.scale_id = by_content[content]
            continue
        base = draft.known or f"{draft.id}_options"
        scale_id, suffix = base, 2
        while scale_id in scales:
            scale_id, suffix = f"{base}_{suffix}", suffix + 1
        by_content[content] = draft.scale_id = scale_id
        scales[scale_id] = (multiple, draft.categories, draft.order_note)
    return scales


def _scale_lines(scales: Mapping[str, tuple[bool, tuple[_Category, ...], str]]) -> list[str]:
    lines = ["scales:"]
    for scale_id, (multiple, categories, note) in scales.items():
        if note:
            lines.append(f"  # TODO: {note}")
        lines.append(f"  {scale_id}:")
        if multiple:
            lines.append("    multiple: true")
        lines.append("    categories:")
        for category in categories:
            parts = [f"code: {category.code}", f"zh: {_quote(category.zh)}", f"en: {_quote(category.en)}"]
            if category.satisfied:
                parts.append("satisfied: true")
            if category.dont_know:
                parts.append("dont_know: true")
            if category.score is not None:
                parts.append(f"score: {_quote(category.score)}")
            lines.append(f"      - {{{', '.join(parts)}}}")
    return lines


def _item_lines(drafts: Sequence[_Draft]) -> list[str]:
    lines = ["items:"]
    for draft in drafts:
        if draft.role_note:
            lines.append(f"  # TODO: {draft.role_note}")
        if draft.question.kind == "ranking":
            lines.append("  # TODO: a ranking question, drafted as multiple choice (the order of the ranks is not kept)")
        lines += [f"  - id: {draft.id}", f"    text: {_text(draft.text)}", f"    type: {draft.type}"]
        if draft.scale_id:
            lines.append(f"    scale: {draft.scale_id}")
        lines.append(f"    role: {draft.role}")
        if draft.type == "text" or draft.role == "free_text":
            lines.append("    required: false")
        if draft.correct_answer is not None:
            lines.append(f"    correct_answer: {draft.correct_answer}")
    return lines


def _measure_lines(overall: _Draft, note: str) -> list[str]:
    return [
        "measures:",
        "  # TODO: check the headline measure and add its target, e.g.",
        "  #   target: {threshold: <share, e.g. 0.8>, comparison: \">=\", rule: ci_lower_bound}",
        *([f"  # TODO: {note}"] if note else []),
        f"  - id: {overall.id}_rate",
        "    kind: rate",
        f"    items: [{overall.id}]",
        f"    label: {_text(overall.text[:40] + '（满意率）')}",
        "    headline: true",
    ]


def _weighting_lines(drafts: Sequence[_Draft]) -> list[str]:
    """The demographic single-choice items as weighting variables (margins: ``surveys margins template``)."""
    chosen = [draft for draft in drafts if draft.role == "demographic" and draft.type == "single"
              and sum(not category.placeholder for category in draft.categories) >= 2]
    if not chosen:
        return []
    return ["weighting:   # TODO: keep the variables the population margins give (surveys margins template)",
            *(f"  - {{id: {draft.id}, item: {draft.id}}}" for draft in chosen), ""]


# Which questionnaire mapping an export's platform fills in. Exports whose columns are named by the survey's own
# keys (Qualtrics export tags, SPSS variable names, 金数据 headers) use the ``paper`` mapping, which maps items to
# column keys: surveys.ingest.mapping.resolve_platform reads them through it.
_KEYED_BY_NAME = ("qualtrics", "spss", "jinshuju")
_SCHEMA_PLATFORM = {"wjx": "wjx", "tencent": "tencent", "generic": "paper", **{name: "paper" for name in _KEYED_BY_NAME}}


def _platform_key(platform: str, question: RawQuestion) -> str | None:
    key = question.key.strip()
    if platform == "wjx":
        if question.kind == "matrix_row" and re.fullmatch(r"[1-9]\d*_\d+", key):
            return key.replace("_", ".")   # matrix row "13.2": question 13, row 2
        return key if key.isascii() and key.isdigit() and int(key) > 0 else None
    if platform == "tencent":
        return f"Q{key}" if key.isascii() and key.isdigit() else None
    if platform == "generic":
        return question.columns[0].strip() if question.columns and question.columns[0].strip() else None
    if platform in _KEYED_BY_NAME:
        return key or None
    return None


def _platform_lines(raw: RawExport, drafts: Sequence[_Draft]) -> list[str]:
    schema_platform = _SCHEMA_PLATFORM.get(raw.platform)
    if schema_platform is None:
        listing = ", ".join(f"{d.question.key} → {d.id}" for d in drafts)
        return ["# TODO: the questionnaire schema has no mapping for the "
                f"'{raw.platform}' platform yet (only wjx, tencent, paper); columns: {listing}"]
    columns, unmapped, used = [], [], set()
    for draft in drafts:
        key = _platform_key(raw.platform, draft.question)
        if key is None or key in used:
            unmapped.append(draft.question.key)
            continue
        used.add(key)
        columns.append((draft, key))
    lines = ["platforms:", f"  # Filled in from {raw.path.name} ({raw.platform}, {raw.coding} export)."]
    if unmapped:
        lines.append(f"  # TODO: not mapped (the {schema_platform} mapping keys question numbers or headers only): "
                     + ", ".join(unmapped))
    if not columns:
        return [f"# TODO: no column of {raw.path.name} could be mapped onto the {schema_platform} mapping"]
    if raw.platform == "wjx" and raw.coding == "labels":
        lines.append("  # TODO: option positions unverified: a 按选项文本 download shows labels, not the form's option "
                     "order, so the codes here are guesses; before ingesting a 按选项序号 download, infer again from "
                     "it with --labels " + raw.path.name)
    lines += [f"  {schema_platform}:", "    columns:"]
    lines += [f"      {draft.id}: {_quote(key)}" + (f"   # {draft.question.row_label}" if draft.question.row_label
                                                     and "." in key else "") for draft, key in columns]
    maps = [(draft, draft.value_map) for draft, _ in columns
            if draft.value_map and [code for _, code in draft.value_map] != list(range(1, len(draft.value_map) + 1))]
    if maps:
        lines.append("    value_maps:   # option text → code, in the platform's option order")
        for draft, value_map in maps:
            entries = ", ".join(f"{_quote(label)}: {code}" for label, code in value_map)
            lines.append(f"      {draft.id}: {{{entries}}}")
    return lines


def _options_note(raw: RawExport) -> str:
    if raw.platform == "wjx" and raw.coding == "codes":
        return ("Codes are the options' positions on the form (问卷星 按选项序号); options nobody chose\n# are "
                "placeholders 选项N（无人选择）, and options after the last one chosen are not listed: add them.")
    return "Scales list only the options seen in the file: add those nobody chose."


def infer_questionnaire(raw_export: RawExport, *, questionnaire_id: str | None = None,
                        title: str | None = None) -> str:
    """A draft questionnaire definition (YAML text) for the export ``raw_export``.

    ``questionnaire_id`` defaults to a slug of the file's title (the 问卷星 file name carries the
    survey title), ``title`` to that title. The result loads with
    :func:`~surveys.questionnaire.load_questionnaire`; every guess is marked ``# TODO``. When no
    question is a choice question, a placeholder overall item is added so that the draft still loads.
    """
    draft_title = title or _title_from_file(raw_export.path.stem)
    draft_id = questionnaire_id or _questionnaire_id(draft_title)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", draft_id):
        raise QuestionnaireError(f"questionnaire id must be lower-case letters, digits and '_' starting with a "
                                 f"letter; found {draft_id!r}; pass another id (--id)")
    drafts = _drafts(raw_export)
    overall, overall_note = _choose_overall(drafts)
    if overall is None:
        placeholder = RawQuestion(key="overall", title="总体满意度", kind="single", columns=())
        overall = _Draft("overall" if "overall" not in {d.id for d in drafts} else "overall_placeholder",
                         placeholder, "总体而言，您是否满意？", "single", known="satisfaction3",
                         categories=_known_categories(KNOWN_SCALES["satisfaction3"], ""), role="overall",
                         role_note="placeholder: the export has no choice question; replace or remove")
        drafts.append(overall)
    scales = _share_scales(drafts)
    mode = "paper" if raw_export.platform == "generic" else "online"
    lines = [
        f"# Draft questionnaire inferred by `surveys questionnaire infer` from {raw_export.path.name}",
        f"# ({raw_export.platform}, {raw_export.coding} export, {raw_export.rows_read} rows, "
        f"{len(raw_export.questions)} questions).",
        "# The marked lines need a person: translations, roles, scale orders, the headline measure and its",
        f"# target (`surveys questionnaire check` lists them). {_options_note(raw_export)}",
        "# Schema: questionnaires/README.md.",
        f"id: {draft_id}",
        'version: "0.1"',
        f"title: {_text(draft_title)}",
        f"unit: {_text('TODO: 责任单位', 'TODO: responsible unit')}",
        "population: residents   # TODO: the population key (residents, deputies_and_members, …)",
        f"modes: [{mode}]",
        "",
        *_scale_lines(scales),
        "",
        *_item_lines(drafts),
        "",
        *_measure_lines(overall, overall_note),
        "",
        *_weighting_lines(drafts),
        *_platform_lines(raw_export, [d for d in drafts if d.question.columns]),
    ]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- what a draft leaves to a person

@dataclass(frozen=True)
class TodoMark:
    """One ``TODO`` left in a questionnaire file: its line, where it is (``items[q4]``, ``scales.q4_options``,
    ``measures[q2_rate]``, ``platforms.wjx``, or the top-level key) and the line's text."""

    line: int
    where: str
    text: str


_TOP_KEY = re.compile(r"^([A-Za-z_][\w]*)\s*:")
_LIST_ID = re.compile(r"^\s*-\s*(?:\{\s*)?id:\s*([\w.-]+)")
_NESTED_KEY = re.compile(r"^  ([A-Za-z_][\w]*)\s*:")


def todo_marks(text: str) -> tuple[TodoMark, ...]:
    """Every line of a questionnaire file (YAML text) that still says ``TODO``, with where it is.

    A comment ``# TODO`` above an entry belongs to that entry (the draft writes them so).
    """
    lines = text.splitlines()
    section, entry = "", ""
    places: list[str] = []
    for line in lines:
        top = _TOP_KEY.match(line)
        if top:
            section, entry = top.group(1), ""
        elif section in ("items", "measures", "weighting") and _LIST_ID.match(line):
            entry = f"[{_LIST_ID.match(line).group(1)}]"
        elif section in ("scales", "platforms") and _NESTED_KEY.match(line):
            entry = f".{_NESTED_KEY.match(line).group(1)}"
        places.append(section + entry if section else "header")
    marks = []
    for index, line in enumerate(lines):
        if "TODO" not in line:
            continue
        where = places[index]
        if line.lstrip().startswith("#"):   # a comment names the entry that follows it
            following = next((places[after] for after in range(index + 1, len(lines))
                              if lines[after].strip() and not lines[after].lstrip().startswith("#")), where)
            where = following if following.split("[")[0].split(".")[0] == where.split("[")[0].split(".")[0] \
                or where == "header" else where
        marks.append(TodoMark(index + 1, where, line.strip()))
    return tuple(marks)
