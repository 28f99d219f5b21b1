"""Mapping a read export onto its questionnaire: item codes, asked/not-asked, meta and pseudonymised ids.

``map_export(raw, questionnaire)`` takes a :class:`~surveys.ingest.RawExport` (what the file says) and
returns a :class:`MappedExport` (what the questionnaire means), one row per data row of the file,
indexed by the reader's ``row`` number (1-based, header rows excluded), so no row is ever dropped here.

Representation (the contract every later stage relies on):

- ``codes``: one column per questionnaire item, in questionnaire order, named by the item id.
  ``single`` items hold the scale code (pandas ``Int64``); ``multiple`` items hold a ``tuple`` of the
  chosen codes in scale order (``()`` when the respondent ticked nothing); ``number`` items ``Float64``;
  ``text`` items ``str`` (scrubbed of phone, ID, e-mail and IP numbers). A cell without an answer is
  ``<NA>`` / ``None``.
- ``asked``: a boolean frame of the same shape. **NOT ASKED** (hidden by skip logic: 问卷星
  ``(跳过)``/``-3``, or the questionnaire's ``asked_if`` conditions not holding) is ``asked == False``;
  **MISSING** (shown but not answered) is ``asked == True`` with a missing code. Skip logic is
  re-evaluated from the questionnaire for every platform, because 腾讯问卷 and paper forms write a
  skipped item as an empty cell. A code present where ``asked`` is False is a skip violation: it is
  kept in ``codes`` so that validation can report it, and the store keeps the cell as not asked.
- ``meta``: ``record_id`` (the platform's answer number, or the paper form number), ``submitted_at``,
  ``started_at``, ``duration_seconds``, ``ip_location`` (the IP's 省-市, kept), ``mode``, ``wave``
  and the other non-identifying meta columns the file has.
- ``identifiers``: keyed-hash tokens (:mod:`surveys.ingest.privacy`) of the IP, user agent, OpenID, custom
  link parameter, phone numbers (also found inside text answers), names and e-mail. (The answer number with
  its submission time, which finds the same submission in two files, is not personal: the duplicate rule
  compares ``meta``'s ``record_id`` and ``submitted_at`` as they are, :func:`surveys.validate.record_key`.)

Values are turned into codes as follows. Text is looked up among the platform's value map (the
option texts, also without a ``A.`` letter prefix) and the scale's Chinese and English labels.
Integers are 1-based option *positions* in a 问卷星 按选项序号 export (``Questionnaire.position_code``)
and scale codes everywhere else (paper forms print the code, 腾讯问卷 writes numeric scales as
numbers). Paper multiple choice is keyed as codes joined by ``,`` (or ``，、;`` or spaces).
A value that is no option and no code of the scale is an ``out_of_scale`` problem and the cell is
missing; a number that does not parse is ``unparseable``. Structural mismatches (no mapping for
the platform, an expected question absent, question texts that do not match) raise
:class:`~surveys.errors.IngestError` naming the file, what was expected and what was found.

Validated by ``tests/test_responses.py`` (hand-made 问卷星 text/code, 腾讯问卷 and paper exports) and on
the demo city's exports (``tests/test_ingest_demo.py``).
"""
from __future__ import annotations

import difflib
import math
import pathlib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from surveys.columns import by_distinct
from surveys.errors import IngestError
from surveys.ingest import NOT_ASKED, RawExport
from surveys.ingest.chunks import STREAMED_PLATFORMS, read_chunks
from surveys.ingest.privacy import IDENTIFIER_KINDS, Pseudonymiser, find_phones
from surveys.ingest.reading import read_export
from surveys.ingest.values import MAX_INTEGER_DIGITS, quoted, to_number
from surveys.questionnaire import Item, Questionnaire

__all__ = ["Issue", "MappedExport", "map_export", "ISSUE_COLUMNS", "KEPT_META", "resolve_platform"]

ISSUE_COLUMNS = ("code", "row", "column", "value", "message")
# non-identifying meta columns carried into the responses (identifiers become tokens instead)
KEPT_META = ("submitted_at", "started_at", "duration_seconds", "ip_location", "source", "source_detail",
             "form_number", "interviewer", "status", "progress", "finished", "cleaning_result",
             "invalid_probability", "device", "operating_system", "browser", "language")
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d{1,%d}(\.0+)?\s*$" % MAX_INTEGER_DIGITS)
_LETTER_PREFIX = re.compile(r"^[A-Z][.．、]\s*")
_CODE_SEPARATORS = re.compile(r"[,，、;；|\s]+")
_TITLE_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# questions whose stem resembles the item text less than this are counted as mismatches
_TITLE_SIMILARITY = 0.5


@dataclass(frozen=True)
class Issue:
    """One problem found in one row (``row`` 0: the file or its header), with a stable ``code``."""

    code: str
    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True, eq=False)
class MappedExport:
    """A read export mapped onto a questionnaire (see the module docstring for the representation).

    ``problems`` are the mapping problems (``out_of_scale``, ``unparseable``) and the reader's parse
    problems (``unparseable``). Invariant: every frame has exactly ``rows_read`` rows, indexed by the
    reader's row numbers. ``blank_rows``: the file's entirely blank rows, which are no respondents.
    """

    questionnaire_id: str
    questionnaire_version: str
    platform: str
    reader_platform: str
    path: pathlib.Path
    sha256: str
    encoding: str
    coding: str
    mode: str
    wave: str
    codes: pd.DataFrame
    asked: pd.DataFrame
    meta: pd.DataFrame
    identifiers: pd.DataFrame
    problems: tuple[Issue, ...] = ()
    item_types: Mapping[str, str] = field(default_factory=dict)
    label_path: pathlib.Path | None = None
    label_sha256: str = ""
    blank_rows: int = 0

    @property
    def rows_read(self) -> int:
        return len(self.codes)

    @property
    def rows(self) -> pd.Index:
        return self.codes.index


def resolve_platform(raw: RawExport, questionnaire: Questionnaire, platform: str | None = None) -> str:
    """The questionnaire mapping to use: ``platform``, else the reader's platform.

    Readers without a mapping of their own in the questionnaire schema (generic, SPSS, Qualtrics, 金数据)
    use the ``paper`` mapping, whose keys are column headers / variable names and whose values are codes.
    """
    if platform is None:
        platform = raw.platform if raw.platform in questionnaire.platforms or raw.platform in ("wjx", "tencent") \
            else "paper"
    elif platform in _READ_THROUGH_PAPER:
        platform = "paper"   # a reader's name (spss, qualtrics, …): its columns are keyed in the paper mapping
    if platform not in questionnaire.platforms:
        raise IngestError(
            f"{raw.path.name}: read as a {raw.platform} export, but questionnaire '{questionnaire.id}' "
            f"({questionnaire.source_path.name}) has no '{platform}' mapping (it maps {sorted(questionnaire.platforms)}); "
            f"add platforms.{platform} to the questionnaire, or name the mapping to use (surveys ingest --platform, "
            "inputs[].platform in a study spec)")
    return platform


# readers without a mapping of their own in the questionnaire schema: their column keys go in the paper mapping
_READ_THROUGH_PAPER = ("generic", "spss", "qualtrics", "jinshuju")


def _raw_key(raw: RawExport, column: str) -> str | None:
    """The raw question a mapping column names: its key, ``Q3`` for ``3``, or a matrix row as ``13.2`` / ``13_2``
    (row number) or ``13.外观`` (row label)."""
    keys = {question.key for question in raw.questions}
    column = column.strip()
    if column in keys:
        return column
    match = re.fullmatch(r"[Qq]?(\d+)(?:[._](\d+))?", column)
    if match:
        key = match.group(1) if match.group(2) is None else f"{match.group(1)}_{match.group(2)}"
        return key if key in keys else None
    match = re.fullmatch(r"(\d+)[._](.+)", column)
    if match:
        rows = [question.key for question in raw.questions
                if question.matrix == match.group(1) and question.row_label.strip() == match.group(2).strip()]
        return rows[0] if len(rows) == 1 else None
    return None


def _similar(title: str, text: str) -> float:
    first, second = _TITLE_NOISE.sub("", title), _TITLE_NOISE.sub("", text)
    if not first or not second:
        return 1.0
    if first in second or second in first:
        return 1.0
    return difflib.SequenceMatcher(None, first, second).ratio()


def _match_columns(raw: RawExport, questionnaire: Questionnaire, platform: str) -> dict[str, str]:
    """Item id → raw question key; IngestError when an expected question is absent or the stems differ."""
    mapping = questionnaire.platform(platform)
    found, absent = {}, []
    for item in questionnaire.items:
        column = mapping.column(item.id)
        if column is None:
            continue
        key = _raw_key(raw, column)
        if key is None:
            absent.append(f"{column!r} for item '{item.id}'")
        else:
            found[item.id] = key
    if absent:
        raise IngestError(
            f"{raw.path.name}: expected the {platform} questions {', '.join(absent)} of questionnaire "
            f"'{questionnaire.id}' v{questionnaire.version}; found the questions "
            f"{[q.key for q in raw.questions][:40]}; check that the file is an export of this questionnaire "
            f"(and version), or correct platforms.{platform}.columns in {questionnaire.source_path.name}")
    compared, mismatched = 0, []
    for item_id, key in found.items():
        question = raw.question(key)
        if not question.title or question.title == key or question.title == mapping.column(item_id):
            continue  # paper workbooks and generic files have no question text to compare
        compared += 1
        if _similar(question.title, questionnaire.item(item_id).text.zh) < _TITLE_SIMILARITY:
            mismatched.append(f"{key}: {question.title[:30]!r} (item '{item_id}')")
    if compared and len(mismatched) * 2 > compared:
        raise IngestError(
            f"{raw.path.name}: the question texts do not match questionnaire '{questionnaire.id}' "
            f"({len(mismatched)} of {compared} differ, e.g. {mismatched[:3]}); expected an export of "
            f"{questionnaire.title.zh}; choose the right --questionnaire for this file")
    return found


# ------------------------------------------------------------------------------------------ values

@dataclass(frozen=True)
class _Choices:
    """How the cells of one choice item become codes."""

    item_id: str
    header: str
    codes: tuple[int, ...]
    labels: Mapping[str, int]
    options: tuple[tuple[str, int], ...]
    positions: bool

    def code(self, value: Any) -> tuple[int | None, str]:
        if isinstance(value, str):
            text = value.strip()
            for candidate in (text, _LETTER_PREFIX.sub("", text)):
                if candidate in self.labels:
                    return self.labels[candidate], ""
            if not _INTEGER_TEXT.match(text):
                return None, (f"{self.header}: {quoted(text)} is not an option of item '{self.item_id}'; "
                              f"its options are {list(self.labels)[:12]}; add it to the value map or correct the cell")
            value = int(text.split(".")[0])
        if isinstance(value, (bool, np.bool_)):
            return None, f"{self.header}: expected an option, found the truth value {value!r}"
        if isinstance(value, (float, np.floating)) and not float(value).is_integer():
            return None, f"{self.header}: expected an option code, found {value!r}"
        if not isinstance(value, (int, np.integer, float, np.floating)):
            return None, f"{self.header}: expected an option, found {type(value).__name__} {value!r}"
        if abs(value) >= 10 ** MAX_INTEGER_DIGITS:
            return None, f"{self.header}: expected an option code, found the number {quoted(str(value))}"
        number = int(value)
        if self.positions:
            if 1 <= number <= len(self.options):
                return self.options[number - 1][1], ""
            return None, (f"{self.header}: option position {number} does not exist; item '{self.item_id}' "
                          f"has {len(self.options)} options on the form")
        if number in self.codes:
            return number, ""
        return None, (f"{self.header}: code {number} is not in the scale of item '{self.item_id}'; "
                      f"its codes are {list(self.codes)}")


def _choices(questionnaire: Questionnaire, platform: str, item: Item, header: str, positions: bool) -> _Choices:
    scale = questionnaire.scale_of(item.id)
    options = questionnaire.platform_options(platform, item.id)
    labels: dict[str, int] = {}
    for text, code in options:
        labels.setdefault(text.strip(), code)
        labels.setdefault(_LETTER_PREFIX.sub("", text.strip()), code)
    for category in scale.categories:
        labels.setdefault(category.label.zh, category.code)
        if category.label.en:
            labels.setdefault(category.label.en, category.code)
    return _Choices(item.id, header, scale.codes, labels, options, positions)


_BRACKETED = re.compile(r"[【〖\[(（][^】〗\])）]*[】〗\])）]")


def _option_words(text: str) -> str:
    """An option label as compared across files: no letter prefix, no bracketed note ("其他【请注明】" = "其他"),
    no spaces, lower case."""
    return _BRACKETED.sub("", _LETTER_PREFIX.sub("", str(text).strip())).replace(" ", "").lower()


def _position_mismatches(questionnaire: Questionnaire, platform: str, item: Item, raw: RawExport,
                         key: str) -> list[str]:
    """Where the questionnaire decodes a 问卷星 option position to another option than the file names.

    The file names positions through a 按选项文本 download read with it (``read_export_pair``) or through its
    0/1 option-column headers (``第6题(运动)``): ``RawQuestion.value_labels`` maps position → label.
    """
    question = raw.question(key)
    if not question.value_labels:
        return []
    choices = _choices(questionnaire, platform, item, key, positions=True)
    names: dict[int, set[str]] = {}
    for text, code in choices.options:
        names.setdefault(code, set()).add(_option_words(text))
    for category in questionnaire.scale_of(item.id).categories:
        names.setdefault(category.code, set()).update({_option_words(category.label.zh),
                                                       _option_words(category.label.en or "")})
    column = raw.answers[key]
    found = []
    labelled = [(int(position), label) for position, label in question.value_labels.items()
                if isinstance(position, (int, np.integer)) and isinstance(label, str)]
    for position, label in sorted(labelled):
        code, problem = choices.code(int(position))
        if problem or _option_words(label) in names.get(code, set()):
            continue   # a position beyond the options is an out_of_scale issue of its rows
        scale = questionnaire.scale_of(item.id)
        rows = int((column == position).sum()) if item.type == "single" else 0
        where = f" ({rows} rows)" if rows else ""
        found.append(f"item '{item.id}' (question {key}): option {position} decodes as code {code} "
                     f"{scale.label(code, 'zh')!r}, but the file says {label!r}{where}")
    return found


def _check_positions(questionnaire: Questionnaire, platform: str, raw: RawExport, keys: Mapping[str, str]) -> None:
    """Refuse to decode a 问卷星 按选项序号 export whose option positions the questionnaire reads as other options."""
    found = []
    for item in questionnaire.items:
        if item.id in keys and item.type in ("single", "multiple"):
            found += _position_mismatches(questionnaire, platform, item, raw, keys[item.id])
    if found:
        source = f"{raw.path.name} with {raw.label_path.name}" if raw.label_path else raw.path.name
        listing = "\n  ".join(found[:12]) + (f"\n  … {len(found) - 12} more" if len(found) > 12 else "")
        raise IngestError(
            f"{source}: questionnaire '{questionnaire.id}' ({questionnaire.source_path.name}) reads the 问卷星 option "
            f"positions as other options than the export names ({len(found)} mismatches):\n  {listing}\n"
            "A 按选项序号 download writes each option's position on the form; the scale (or "
            f"platforms.{platform}.value_maps) must list the options in the form's order. Draft the questionnaire "
            "again with `surveys questionnaire infer CODE_EXPORT --labels TEXT_EXPORT`, or correct the order")


def _is_missing(value: Any) -> bool:
    if value is None or value is NOT_ASKED:
        return True
    if isinstance(value, (tuple, list)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _single_cell(choices: _Choices, value: Any) -> tuple[Any, str]:
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return choices.code(value[0])
        return None, f"{choices.header}: expected one answer for item '{choices.item_id}', found {list(value)}"
    return choices.code(value)


def _multiple_cell(choices: _Choices, value: Any) -> tuple[Any, str]:
    if isinstance(value, str) and value.strip() not in choices.labels:
        parts = [part for part in _CODE_SEPARATORS.split(value.strip()) if part]
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        parts = [value]
    chosen, problems = set(), []
    for part in parts:
        code, problem = choices.code(part)
        if problem:
            problems.append(problem)
        else:
            chosen.add(code)
    ordered = tuple(code for code in choices.codes if code in chosen)
    return ordered, "; ".join(problems)


def _number_cell(header: str, value: Any) -> tuple[Any, str]:
    try:
        number = float(to_number(value.strip().rstrip("%"))) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if math.isfinite(number):
        return number, ""
    return None, f"{header}: expected a number, found {quoted(str(value))}"


def _text_cell(value: Any) -> tuple[Any, str]:
    if isinstance(value, (tuple, list)):
        return "；".join(str(part) for part in value), ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), ""
    return str(value), ""


def _map_column(values: pd.Series, convert, problem_code: str, item_id: str,
                dtype: Any = object) -> tuple[Any, list[Issue]]:
    """Converted cells and their issues, in row order; each distinct value is converted once. ``dtype="Int64"``:
    the codes as a masked integer array, built from the distinct codes (no object array in between)."""
    def converted(value: Any) -> tuple[Any, str]:
        return (None, "") if _is_missing(value) else convert(value)

    _, codes, results = by_distinct(values.to_numpy(dtype=object), converted, missing=(None, ""))
    table = np.empty(len(results) + 1, dtype=object)
    table[:len(results)] = [result for result, _ in results]
    table[len(results)] = None
    troubled = [code for code, (_, problem) in enumerate(results) if problem]
    issues = []
    if troubled:
        rows = values.index.to_numpy()
        for position in np.flatnonzero(np.isin(codes, troubled)):
            issues.append(Issue(problem_code, int(rows[position]), item_id, str(values.iloc[position]),
                                results[codes[position]][1]))
    if dtype == "Int64":
        known = np.array([result is not None for result, _ in results] + [False])
        numbers = np.array([result if result is not None else 0 for result, _ in results] + [0], dtype=np.int64)
        return pd.arrays.IntegerArray(numbers[codes], ~known[codes]), issues
    return table[codes], issues


def _map_item(questionnaire: Questionnaire, platform: str, item: Item, raw: RawExport, key: str,
              positions: bool) -> tuple[pd.Series, pd.Series, list[Issue]]:
    column = raw.answers[key]
    index = pd.Index(raw.answers["row"].astype(int), name="row")
    header = raw.question(key).columns[0] if raw.question(key).columns else key
    values = pd.Series(column.to_numpy(dtype=object), index=index, dtype=object)
    shown = pd.Series(values.to_numpy() != NOT_ASKED, index=index, dtype=bool)
    if item.type in ("single", "multiple"):
        choices = _choices(questionnaire, platform, item, header, positions)
        convert = (lambda value: _single_cell(choices, value)) if item.type == "single" else (
            lambda value: _multiple_cell(choices, value))
        dtype = "Int64" if item.type == "single" else object
        converted, issues = _map_column(values, convert, "out_of_scale", item.id, dtype)
    elif item.type == "number":
        converted, issues = _map_column(values, lambda value: _number_cell(header, value), "unparseable", item.id)
        dtype = "Float64"
    else:
        converted, issues = _map_column(values, _text_cell, "unparseable", item.id)
        dtype = object
    return pd.Series(converted, index=index, dtype=dtype), shown, issues


def _copies(raw: RawExport, key: str) -> list[str]:
    """The keys of the other questions read from the same header as ``key`` (a repeated column: the reader
    keys the copies ``2.1``, ``2.2``…)."""
    columns = raw.question(key).columns
    return [question.key for question in raw.questions if question.columns == columns and question.key != key]


def _check_copies(raw: RawExport, item_id: str, key: str, codes: pd.Series, copies: dict[str, pd.Series]) -> None:
    """Every copy of a repeated question must give the same codes, or which is the respondent's answer cannot
    be told: the file is refused naming the header and the first row that differs."""
    for other, values in copies.items():
        differ = [(row, one, two) for row, one, two in zip(codes.index, codes.tolist(), values.tolist())
                  if not (_is_missing(one) and _is_missing(two)) and (_is_missing(one) or _is_missing(two)
                                                                       or one != two)]
        if differ:
            row, one, two = differ[0]
            header = raw.question(key).columns[0] if raw.question(key).columns else key
            raise IngestError(
                f"{raw.path.name}: the question {quoted(header)} (item '{item_id}') appears {len(copies) + 1} times in "
                f"the header, with different answers in {len(differ)} row(s) (first: row {row}: "
                f"{quoted(str(raw.answers.loc[raw.answers['row'] == row, key].iloc[0]), 30)} and "
                f"{quoted(str(raw.answers.loc[raw.answers['row'] == row, other].iloc[0]), 30)}); expected each "
                "question once, so which answer is the respondent's cannot be told; delete the wrong column (or "
                "give it its own header) and ingest the file again")


# ------------------------------------------------------------------------------------------ skip logic

def _condition_holds(condition, trigger: pd.Series) -> pd.Series:
    if trigger.dtype == object:  # multiple choice: any chosen code in the list
        matched = trigger.map(lambda codes: None if not isinstance(codes, tuple) or not codes
                              else any(code in condition.values for code in codes))
        answered = matched.notna()
        matched = matched.fillna(False).astype(bool)
    else:
        answered = trigger.notna()
        matched = trigger.isin(condition.values).fillna(False).astype(bool)
    return answered & (matched != condition.negate)


def _asked_by_rules(questionnaire: Questionnaire, codes: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """Shown by the platform AND allowed by the questionnaire's asked_if conditions (earlier items only)."""
    asked = shown.copy()
    for item in questionnaire.items:
        if item.id not in codes or not item.asked_if:
            continue
        rule = pd.Series(True, index=codes.index)
        for condition in item.asked_if:
            trigger = codes[condition.item].where(asked[condition.item]) if condition.item in codes else \
                pd.Series(pd.NA, index=codes.index, dtype="Int64")
            rule &= _condition_holds(condition, trigger)
        asked[item.id] = asked[item.id] & rule
    return asked


# ------------------------------------------------------------------------------------------ meta and ids

def _paper_meta(raw: RawExport, answers: pd.DataFrame) -> pd.DataFrame:
    """A generic read without a column mapping keeps the workbook's 表单编号/调查员/调查日期 as questions:
    take them as meta here (values parsed like the readers' meta columns)."""
    if raw.platform != "generic":
        return answers
    found = {}
    for header, name in PAPER_META_HEADERS.items():
        if header in answers.columns and name not in answers.columns and name not in found:
            found[name] = answers[header].map(lambda value: None if _is_missing(value) else str(value).strip())
    if "submitted_at" in found:
        found["submitted_at"] = pd.to_datetime(found["submitted_at"], errors="coerce")
    return answers.assign(**found) if found else answers


def _record_ids(record: Any, index: pd.Index) -> pd.Series:
    """The record ids as stripped text (None where missing)."""
    if record is None:
        return pd.Series(None, index=index, dtype=object)
    values = pd.Series(record, index=index, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) == "string":   # the readers' meta text: strip it columnwise
        return values.str.strip().where(values.notna(), None).astype(object)
    return values.map(lambda value: None if _is_missing(value) else str(value).strip())


def _meta(raw: RawExport, index: pd.Index, record_items: list[pd.Series], mode: str, wave: str) -> pd.DataFrame:
    answers = _paper_meta(raw, raw.answers.set_axis(index, axis=0))
    meta = pd.DataFrame(index=index)
    record = None
    for name in ("respondent_id", "form_number"):
        if name in answers:
            record = answers[name]
            break
    if record is None and record_items:
        record = record_items[0]
    meta["record_id"] = _record_ids(record, index)
    for name in KEPT_META:
        if name in answers:
            meta[name] = answers[name]
    if "submitted_at" not in meta and "ended_at" in answers:
        meta["submitted_at"] = answers["ended_at"]
    if "duration_seconds" not in meta and {"submitted_at", "started_at"} <= set(meta):
        seconds = (pd.to_datetime(meta["submitted_at"]) - pd.to_datetime(meta["started_at"])).dt.total_seconds()
        meta["duration_seconds"] = seconds.round().astype("Int64")
    meta["mode"] = mode
    meta["wave"] = wave
    return meta


def _identifiers(raw: RawExport, meta: pd.DataFrame, texts: list[pd.Series], pseudonymiser: Pseudonymiser
                 ) -> pd.DataFrame:
    answers = raw.answers.set_axis(meta.index, axis=0)
    tokens = pd.DataFrame(index=meta.index)
    for kind in IDENTIFIER_KINDS:
        if kind in answers:
            tokens[kind] = pseudonymiser.column(kind, answers[kind])
    phones = pd.Series(None, index=meta.index, dtype=object)
    for text in texts:
        found = text.map(lambda value: (find_phones(value) or (None,))[0] if isinstance(value, str) else None)
        phones = phones.where(phones.notna(), found)
    if phones.notna().any():
        found_tokens = pseudonymiser.column("phone", phones)
        tokens["phone"] = tokens["phone"].where(tokens["phone"].notna(), found_tokens) if "phone" in tokens \
            else found_tokens
    return tokens


def _parse_problems(raw: RawExport, pseudonymiser: Pseudonymiser) -> list[Issue]:
    return [Issue("unparseable", int(problem.row), problem.column, str(pseudonymiser.scrub(problem.value)),
                  str(pseudonymiser.scrub(problem.message))) for problem in raw.problems]


def map_export(raw: RawExport, questionnaire: Questionnaire, *, platform: str | None = None,
               pseudonymiser: Pseudonymiser | None = None, mode: str | None = None,
               wave: str | None = None) -> MappedExport:
    """Map ``raw`` onto ``questionnaire`` (see the module docstring).

    ``platform`` names the questionnaire's mapping (``wjx``, ``tencent``, ``paper``; default: the
    reader's platform; see :func:`resolve_platform`). ``mode`` defaults to ``paper`` for files read
    by the generic reader (data-entry workbooks) and ``online`` otherwise. ``pseudonymiser`` defaults
    to one with a random key (tokens are then comparable only within this result; a store passes its own).
    """
    platform = resolve_platform(raw, questionnaire, platform)
    mode = mode or ("paper" if raw.platform == "generic" else "online")
    if mode not in questionnaire.modes:
        raise IngestError(f"{raw.path.name}: mode {mode!r} is not a mode of questionnaire '{questionnaire.id}' "
                          f"(its modes are {list(questionnaire.modes)}); give one of them (--mode on the "
                          "command line, inputs[].mode in a study spec)")
    pseudonymiser = pseudonymiser or Pseudonymiser.random()
    keys = _match_columns(raw, questionnaire, platform)
    positions = raw.coding == "codes" and platform == "wjx"
    if positions:
        _check_positions(questionnaire, platform, raw, keys)
    index = pd.Index(raw.answers["row"].astype(int), name="row")
    codes, shown, problems = {}, {}, _parse_problems(raw, pseudonymiser)
    item_types = {}
    for item in questionnaire.items:
        if item.id not in keys:
            continue
        codes[item.id], shown[item.id], issues = _map_item(questionnaire, platform, item, raw, keys[item.id],
                                                           positions)
        copies = {other: _map_item(questionnaire, platform, item, raw, other, positions)[0]
                  for other in _copies(raw, keys[item.id])}
        _check_copies(raw, item.id, keys[item.id], codes[item.id], copies)
        problems += issues
        item_types[item.id] = item.type
    codes_frame = pd.DataFrame(codes, index=index)
    text_items = [item_id for item_id, kind in item_types.items() if kind == "text"]
    raw_texts = [codes_frame[item_id] for item_id in text_items]
    for item_id in text_items:
        codes_frame[item_id] = pseudonymiser.scrub_column(codes_frame[item_id])
    asked = _asked_by_rules(questionnaire, codes_frame, pd.DataFrame(shown, index=index, dtype=bool))
    record_items = [codes_frame[item.id] for item in questionnaire.items_with_role("identifier")
                    if item.id in codes_frame]
    meta = _meta(raw, index, record_items, mode, "" if wave is None else str(wave))
    identifiers = _identifiers(raw, meta, raw_texts, pseudonymiser)
    problems = [Issue(p.code, p.row, p.column, str(pseudonymiser.scrub(p.value)), str(pseudonymiser.scrub(p.message)))
                for p in problems]
    return MappedExport(
        questionnaire_id=questionnaire.id, questionnaire_version=questionnaire.version, platform=platform,
        reader_platform=raw.platform, path=raw.path, sha256=raw.sha256, encoding=raw.encoding, coding=raw.coding,
        mode=mode, wave="" if wave is None else str(wave), codes=codes_frame, asked=asked, meta=meta,
        identifiers=identifiers, problems=tuple(problems), item_types=item_types, label_path=raw.label_path,
        label_sha256=raw.label_sha256, blank_rows=raw.blank_rows)


# ------------------------------------------------------------------------------------------ reading

# Meta headers of the paper data-entry workbook (the demo's and ``surveys template``'s layout); read as
# the generic reader's meta vocabulary when a file has no platform signature.
PAPER_META_HEADERS = {"表单编号": "form_number", "问卷编号": "form_number", "调查员": "interviewer",
                      "访问员": "interviewer", "调查日期": "submitted_at", "访问日期": "submitted_at"}


def read_for_questionnaire(path, questionnaire: Questionnaire, *, platform: str | None = None,
                           in_chunks: bool = False, **read_options: Any) -> Any:
    """Read an export for ``questionnaire``: the platform is detected from the header signature; a file
    without one (a paper data-entry workbook, OMR output) is read with the generic reader when the
    questionnaire has a ``paper`` mapping whose columns the file has. ``platform`` (a questionnaire
    mapping name) forces the reader: ``paper`` → generic, ``wjx``/``tencent`` → that reader.

    ``in_chunks``: an iterator of RawExports, the file's chunks of rows where :mod:`surveys.ingest.chunks` reads
    it so (a later chunk that reads otherwise raises ``ChunkMismatch``), else the whole file as one."""
    path = pathlib.Path(path)
    if in_chunks:
        streamable = set(read_options) <= {"encoding", "sheet", "coding"} and platform in (None, *STREAMED_PLATFORMS)
        chunked = read_chunks(path, platform=platform, **read_options) if streamable else None
        return chunked.chunks() if chunked is not None else iter(
            [read_for_questionnaire(path, questionnaire, platform=platform, **read_options)])
    if platform == "paper" or read_options.get("columns") is not None:
        return _read_paper(path, read_options)
    if platform is not None:
        return read_export(path, platform=platform, **read_options)
    try:
        return read_export(path, **read_options)
    except IngestError as error:
        if "paper" not in questionnaire.platforms or path.suffix.lower() not in (".xlsx", ".xls", ".csv", ".xlsm"):
            raise
        try:
            raw = _read_paper(path, read_options)
        except IngestError:
            raise error from None
        wanted = set(questionnaire.platform("paper").columns.values())
        if not wanted & {question.key for question in raw.questions}:
            raise error from None
        return raw


def _read_paper(path: pathlib.Path, read_options: Mapping[str, Any]) -> RawExport:
    options = dict(read_options)
    if options.get("columns") is None:
        probe = read_export(path, platform="generic", **{k: v for k, v in options.items() if k != "columns"})
        headers = {question.key for question in probe.questions}
        taken: set[str] = set()
        columns = {}
        for header, name in PAPER_META_HEADERS.items():
            if header in headers and name not in taken:
                columns[header] = name
                taken.add(name)
        if not columns:
            return probe
        options["columns"] = columns
    return read_export(path, platform="generic", **options)
