"""Quality rules over a mapped export: a report of every problem with a stable code, not the first exception.

Codes (each with row, column, value and message): ``out_of_scale``, ``unparseable``, ``required_missing``,
``skip_violation``, ``duplicate_submission``, ``speeder``, ``straightline``, ``attention_check_failed``,
``outside_area``, ``incomplete``. Each rule's action is ``reject`` (the row is kept in the store as a
rejection with its reasons), ``flag`` (accepted, with a flag) or ``off``; thresholds and actions are
study configuration (:class:`ValidationRules`, ``ValidationRules.from_mapping`` for the study spec).

**Row accounting is an invariant**: ``rows_read == accepted + rejected`` for every file; flagged rows are
accepted. Rules work on whole columns (pandas/numpy), never row by row.

Rules:

- ``speeder``: ``duration_seconds / answered items < seconds_per_item`` (answered = asked and not missing).
- ``straightline``: at least ``min_items`` answered single-choice ``satisfaction``/``overall`` items, all
  with the same code.
- ``attention_check_failed``: an answered ``attention_check`` item whose code is not its ``correct_answer``.
- ``outside_area``: ``ip_location`` (``省-市``) known and not within any of ``area`` (e.g. ``["陕西-秦川"]``:
  parts compared left to right, 省/市/自治区 suffixes ignored). Off when no area is configured.
- ``incomplete``: the platform says the response was not finished (``finished`` false, ``progress`` < 100),
  or fewer than ``min_answered_share`` of the asked required items are answered.
- ``duplicate_submission``: ranked evidence, first submission kept, later ones reported with the rank of the
  strongest evidence: (1) the same platform record (answer number and time), OpenID / UnionID or custom
  link parameter; (2) the same phone number; (3) the same IP **and** user agent within ``window_minutes``.
  These reject by default. (4) the same IP alone within the window only ever flags (mobile carriers and
  WeChat share addresses). Earlier batches of the store count as earlier submissions (``earlier=``).
- ``skip_violation``: an answer where the questionnaire's skip logic hides the item; ``required_missing``:
  an asked required item without answer; ``out_of_scale`` / ``unparseable`` come from the mapping and reader.

Validated on hand-made exports for every code (``tests/test_validate.py``) and on the demo city's planted
flaws (``tests/test_ingest_demo.py``, recall per flaw kind).
"""
from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.errors import ValidationError
from surveys.ingest.mapping import ISSUE_COLUMNS, Issue, MappedExport
from surveys.questionnaire import Questionnaire
from surveys.spec_file import SpecReader, describe, join_path
from surveys.wording import Text, Wording

__all__ = ["ValidationRules", "ValidationReport", "validate_export", "ISSUE_CODES", "ACTIONS", "REASON_LABELS",
           "reason_label", "Issue", "duplicate_keys", "duplicate_issues",
           "STRONG_EVIDENCE", "RECORD_KEY", "record_key"]

ISSUE_CODES = ("duplicate_submission", "incomplete", "attention_check_failed", "speeder", "straightline",
               "outside_area", "skip_violation", "required_missing", "out_of_scale", "unparseable")
ACTIONS = ("reject", "flag", "off")
# Every reason a row is rejected or flagged, in words: the validation rules above, the mapping's problems and the
# double-entry reconciliation of paper forms (keying_*). Reports print these, never the codes; an unknown code (from a
# newer stage) is shown as it is.
REASON_LABELS = Wording({
    "duplicate_submission": Text("重复提交", "duplicate submission"),
    "incomplete": Text("作答不完整", "incomplete answers"),
    "attention_check_failed": Text("未通过注意力检测题", "failed the attention check"),
    "speeder": Text("答题时间过短", "answered too fast"),
    "straightline": Text("所有评价题选同一选项", "the same option on every rating item"),
    "outside_area": Text("IP 属地不在调查区域", "IP location outside the survey area"),
    "skip_violation": Text("违反跳题逻辑", "answer to a question that should have been skipped"),
    "required_missing": Text("必答题未答", "required question not answered"),
    "out_of_scale": Text("选项代码超出量表", "answer code outside the scale"),
    "unparseable": Text("无法识别的取值", "value that cannot be read"),
    "keying_differing": Text("两次录入不一致", "the two keyings differ"),
    "keying_keyed_once": Text("只录入了一次", "keyed only once"),
    "keying_duplicated": Text("同一问卷编号录入多次", "form number keyed more than once"),
    "keying_unnumbered": Text("缺问卷编号", "no form number"),
    "keying_other_file_duplicated": Text("另一份录入中编号重复", "form number repeated in the other keying"),
}, error=ValidationError, unknown=str)
# a row's platform record: the platform, its answer number (序号, record id) and its submission time; not personal
# data (the store keeps the number and time as they are), so compared as they are, not as keyed tokens
RECORD_KEY = ("record_platform", "record_id", "record_time")
# evidence of a repeat submission, strongest first: (token or key columns, rank, what the message calls it)
STRONG_EVIDENCE: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (RECORD_KEY, 1, "the same platform record (answer number and time)"),
    (("open_id",), 1, "the same OpenID"), (("union_id",), 1, "the same UnionID"),
    (("link_parameter",), 1, "the same custom link parameter"), (("phone",), 2, "the same phone number"))


def reason_label(code: str, lang: str = "zh") -> str:
    """A reason code in words (an unknown code — from a newer stage — is shown as it is)."""
    return REASON_LABELS.get(code, lang)


_DEFAULT_ACTIONS = MappingProxyType({
    "duplicate_submission": "reject", "incomplete": "reject", "attention_check_failed": "reject",
    "speeder": "reject", "straightline": "flag", "outside_area": "flag", "skip_violation": "flag",
    "required_missing": "flag", "out_of_scale": "flag", "unparseable": "flag",
})
_REPORT_COLUMNS = (*ISSUE_COLUMNS, "action")
_PLACE_SUFFIX = re.compile(r"(省|市|自治区|特别行政区|地区|盟|自治州)$")


@dataclass(frozen=True)
class ValidationRules:
    """The thresholds and actions of one study's rules (defaults in brackets).

    ``seconds_per_item`` [2.5]: speeder threshold. ``straightline_items`` [5]: least answered rating items for
    a straight line. ``area`` [()]: the surveyed area as ``省`` or ``省-市`` strings (empty: rule off).
    ``window_minutes`` [30]: IP (+ user agent) duplicate window. ``min_answered_share`` [0.5]: incomplete
    below it. ``actions``: rule code → ``reject`` / ``flag`` / ``off`` (defaults: duplicates, incomplete,
    attention checks and speeders reject; everything else flags). The IP-alone duplicate evidence only flags.
    """

    seconds_per_item: float = 2.5
    straightline_items: int = 5
    area: tuple[str, ...] = ()
    window_minutes: float = 30.0
    min_answered_share: float = 0.5
    actions: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_ACTIONS)

    def __post_init__(self) -> None:
        problems = _rule_problems({entry.name: getattr(self, entry.name) for entry in dataclasses.fields(self)})
        if problems:
            raise ValidationError("validation rules: " + "; ".join(f"{name} {message}" for name, message in problems))
        object.__setattr__(self, "actions", MappingProxyType({**_DEFAULT_ACTIONS, **self.actions}))
        area = (self.area,) if isinstance(self.area, str) else tuple(str(place) for place in self.area)
        object.__setattr__(self, "area", area)

    def action(self, code: str) -> str:
        return self.actions[code]

    def to_mapping(self) -> dict[str, Any]:
        """The rules as the study-spec mapping :meth:`from_mapping` reads (every rule, every setting)."""
        spec: dict[str, Any] = {code: {"action": action} for code, action in self.actions.items()}
        spec["speeder"]["seconds_per_item"] = self.seconds_per_item
        spec["straightline"]["min_items"] = self.straightline_items
        spec["outside_area"]["area"] = list(self.area)
        spec["duplicate_submission"]["window_minutes"] = self.window_minutes
        spec["incomplete"]["min_answered_share"] = self.min_answered_share
        return spec

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any] | None, *, reader: SpecReader | None = None,
                     key: str = "") -> "ValidationRules":
        """Rules from a study spec section, e.g. ``{"speeder": {"seconds_per_item": 2, "action": "flag"},
        "outside_area": {"area": ["陕西-秦川"]}, "duplicate_submission": {"window_minutes": 60}}``.

        Keys are rule codes; each value is a mapping with ``action`` and the rule's parameters (or just the
        action). Every problem (unknown rules or settings, values out of range) is collected with its key path:
        into ``reader`` under ``key`` when the rules are part of a spec being read (the default rules are returned
        then; the reader raises), else raised together as one :class:`~surveys.errors.ValidationError`.
        """
        own = reader is None
        if reader is None:
            reader = SpecReader(None, what="validation rules", error=ValidationError)
        before = len(reader.problems)
        values = _read_rules(spec, reader, key)
        if own:
            reader.fail()
        return cls() if len(reader.problems) > before else cls(**values)


# rule → {setting in the spec: ValidationRules field}
_SETTINGS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "speeder": {"seconds_per_item": "seconds_per_item"}, "straightline": {"min_items": "straightline_items"},
    "outside_area": {"area": "area"}, "duplicate_submission": {"window_minutes": "window_minutes"},
    "incomplete": {"min_answered_share": "min_answered_share"}})
_SETTING_PATHS = {name: f"{code}.{setting}" for code, settings in _SETTINGS.items()
                  for setting, name in settings.items()}


def _read_rules(spec: Any, reader: SpecReader, key: str) -> dict[str, Any]:
    """The :class:`ValidationRules` fields a rules mapping sets (problems recorded in ``reader``)."""
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        reader.problem(key, f"expected a mapping of rule → settings, found {describe(spec)}")
        return {}
    values: dict[str, Any] = {}
    actions: dict[str, Any] = {}
    for code, settings in spec.items():
        if code not in _DEFAULT_ACTIONS:
            reader.problem(key, f"unknown rule {code!r}{_hint(code, _DEFAULT_ACTIONS)}; the rules are "
                                f"{list(ISSUE_CODES)}")
            continue
        if isinstance(settings, str):
            settings = {"action": settings}
        if not isinstance(settings, Mapping):
            reader.problem(join_path(key, code), "expected a mapping (action, parameters) or an action, found "
                                                 f"{describe(settings)}")
            continue
        for name, value in settings.items():
            if name == "action":
                actions[code] = value
            elif name in _SETTINGS.get(code, {}):
                values[_SETTINGS[code][name]] = value
            else:
                allowed = ["action", *_SETTINGS.get(code, {})]
                reader.problem(join_path(join_path(key, code), str(name)),
                               f"not a setting{_hint(name, allowed)}; {code} takes {allowed}")
    values["actions"] = actions
    for name, message in _rule_problems(values):
        reader.problem(join_path(key, _SETTING_PATHS.get(name, name)), message)
    return values


def _rule_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field or ``rule.action``, what is wrong) for every value of ``values`` (ValidationRules fields) out of range."""
    problems = []
    for code, action in dict(values.get("actions") or {}).items():
        if code not in _DEFAULT_ACTIONS:
            problems.append(("actions", f"has an unknown rule {code!r}{_hint(code, _DEFAULT_ACTIONS)}; the rules are "
                                        f"{list(ISSUE_CODES)}"))
        elif action not in ACTIONS:
            problems.append((f"{code}.action", f"must be one of {list(ACTIONS)}; found {action!r}"))
    for name in ("seconds_per_item", "window_minutes", "min_answered_share"):
        value = values.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append((name, f"must be a number ≥ 0; found {value!r}"))
        elif name == "min_answered_share" and value > 1:
            problems.append((name, f"is a share in [0, 1]; found {value!r} (write 0.5, not 50)"))
    items = values.get("straightline_items", 2)
    if isinstance(items, bool) or not isinstance(items, int) or items < 2:
        problems.append(("straightline_items", f"must be an integer ≥ 2; found {items!r}"))
    return problems


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Every issue of one mapped export and the fate of each row.

    ``issues``: DataFrame with ``code, row, column, value, message, action``. ``rejected`` / ``flagged``:
    the row numbers (flagged rows are accepted). ``reasons``: code → number of rows with that code
    (rejecting or flagging). Invariant checked on construction: ``rows_read == accepted + rejected``.
    """

    path: str
    rows_read: int
    rows: tuple[int, ...]
    rejected: tuple[int, ...]
    flagged: tuple[int, ...]
    issues: pd.DataFrame

    def __post_init__(self) -> None:
        if self.accepted + len(self.rejected) != self.rows_read or not set(self.rejected) <= set(self.rows):
            raise ValidationError(f"{self.path}: row accounting failed: {self.rows_read} rows read, "
                                  f"{self.accepted} accepted, {len(self.rejected)} rejected; please report this")

    @property
    def accepted(self) -> int:
        return len(self.rows) - len(self.rejected)

    @property
    def accepted_rows(self) -> tuple[int, ...]:
        rejected = set(self.rejected)
        return tuple(row for row in self.rows if row not in rejected)

    @property
    def reasons(self) -> dict[str, int]:
        counted = self.issues[self.issues["row"] > 0].drop_duplicates(["code", "row"])["code"].value_counts()
        return {code: int(counted[code]) for code in ISSUE_CODES if code in counted.index}

    def issues_of(self, code: str) -> pd.DataFrame:
        return self.issues[self.issues["code"] == code]


# ------------------------------------------------------------------------------------------ rules

def _frame(code: str, rows: pd.Index, column: Any, value: Any, message: Any) -> pd.DataFrame:
    size = len(rows)

    def spread(part):
        return part.to_numpy(dtype=object) if isinstance(part, pd.Series) else np.full(size, part, dtype=object)

    return pd.DataFrame({"code": code, "row": np.asarray(rows, dtype=np.int64), "column": spread(column),
                         "value": spread(value), "message": spread(message)})


def _answered(mapped: MappedExport) -> pd.DataFrame:
    return mapped.asked & mapped.codes.notna()


def _required_missing(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    required = [item.id for item in questionnaire.items if item.required and item.id in mapped.codes]
    if not required:
        return []
    missing = (mapped.asked[required] & mapped.codes[required].isna()).stack()
    missing = missing[missing]
    rows, columns = missing.index.get_level_values(0), pd.Series(missing.index.get_level_values(1))
    return [_frame("required_missing", rows, columns, "", "a required item was asked but not answered: " + columns)]


def _skip_violation(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    hidden = (~mapped.asked & mapped.codes.notna()).stack()
    hidden = hidden[hidden]
    if hidden.empty:
        return []
    rows, columns = hidden.index.get_level_values(0), pd.Series(hidden.index.get_level_values(1))
    values = pd.Series([mapped.codes.at[row, column] for row, column in hidden.index], dtype=object).astype(str)
    conditions = {item.id: " and ".join(f"{c.item} {'not in' if c.negate else 'in'} {list(c.values)}"
                                        for c in item.asked_if) for item in questionnaire.items}
    reason = columns.map(lambda column: conditions.get(column) or "the platform marked it as skipped")
    return [_frame("skip_violation", rows, columns, values,
                   "answered although skip logic hides " + columns + " (asked only if " + reason + ")")]


def _speeder(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    if "duration_seconds" not in mapped.meta:
        return []
    seconds = pd.to_numeric(mapped.meta["duration_seconds"], errors="coerce").astype(float)
    answered = _answered(mapped).sum(axis=1).astype(float)
    per_item = seconds / answered.where(answered > 0)
    hit = per_item < rules.seconds_per_item
    hit = hit.fillna(False).astype(bool)
    rows = mapped.rows[hit.to_numpy()]
    message = (seconds[hit].astype(int).astype(str) + " seconds for " + answered[hit].astype(int).astype(str)
               + f" answered items (below {rules.seconds_per_item:g} seconds per item)")
    return [_frame("speeder", rows, "duration_seconds", seconds[hit].astype(int).astype(str), message)]


def _straightline(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    items = [item.id for item in questionnaire.items if item.role in ("satisfaction", "overall")
             and item.type == "single" and item.id in mapped.codes]
    if len(items) < rules.straightline_items:
        return []
    # one code on every answered item: the row's smallest and largest answered code are equal (two columnwise
    # reductions; a per-row nunique runs pd.unique once per respondent)
    values = mapped.codes[items].where(mapped.asked[items]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    answered = ~np.isnan(values)
    count = answered.sum(axis=1)
    low = np.where(answered, values, np.inf).min(axis=1, initial=np.inf)
    high = np.where(answered, values, -np.inf).max(axis=1, initial=-np.inf)
    hit = (count >= rules.straightline_items) & (low == high)
    rows = mapped.rows[hit]
    value = pd.Series(low[hit].astype(np.int64), dtype=object).astype(str)
    return [_frame("straightline", rows, "", value, "the same answer " + value + " on all "
                   + pd.Series(count[hit], dtype=object).astype(str) + " rating items")]


def _attention(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    frames = []
    for item in questionnaire.items_with_role("attention_check"):
        if item.id not in mapped.codes or item.correct_answer is None:
            continue
        codes = mapped.codes[item.id].where(mapped.asked[item.id])
        hit = (codes.notna() & (codes != item.correct_answer)).fillna(False).astype(bool)
        values = codes[hit].astype(str)
        frames.append(_frame("attention_check_failed", mapped.rows[hit.to_numpy()], item.id, values,
                             f"{item.id}: expected code {item.correct_answer}, found " + values))
    return frames


def _place_parts(place: str) -> list[str]:
    return [_PLACE_SUFFIX.sub("", part) for part in re.split(r"[-\s·/]+", place.strip()) if part]


def _outside_area(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    if not rules.area or "ip_location" not in mapped.meta:
        return []
    areas = [_place_parts(area) for area in rules.area]
    locations = mapped.meta["ip_location"]
    distinct = {place: any(_place_parts(place)[:len(area)] == area for area in areas)
                for place in locations.dropna().unique() if isinstance(place, str) and place.strip()}
    inside = locations.map(lambda place: distinct.get(place, True))
    hit = ~inside.astype(bool)
    values = locations[hit].astype(str)
    return [_frame("outside_area", mapped.rows[hit.to_numpy()], "ip_location", values,
                   "the IP is located in " + values + f", outside the surveyed area {list(rules.area)}")]


def _incomplete(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    required = [item.id for item in questionnaire.items if item.required and item.id in mapped.codes]
    asked = mapped.asked[required].sum(axis=1)
    answered = _answered(mapped)[required].sum(axis=1)
    share = answered / asked.where(asked > 0)
    low = (share < rules.min_answered_share).fillna(False).astype(bool)
    unfinished = pd.Series(False, index=mapped.rows)
    if "finished" in mapped.meta:
        unfinished |= mapped.meta["finished"].astype(str).str.strip().str.lower().isin(["0", "false", "否", "no"])
    if "progress" in mapped.meta:
        unfinished |= (pd.to_numeric(mapped.meta["progress"], errors="coerce") < 100).fillna(False).astype(bool)
    hit = low | unfinished
    message = np.where(unfinished[hit], "the platform marks the response as not finished",
                       answered[hit].astype(str) + " of " + asked[hit].astype(str)
                       + f" asked required items answered (below {rules.min_answered_share:.0%})")
    return [_frame("incomplete", mapped.rows[hit.to_numpy()], "", share[hit].round(2).astype(str),
                   pd.Series(message, dtype=object))]


def _unparseable_and_scale(mapped: MappedExport, questionnaire: Questionnaire, rules) -> list[pd.DataFrame]:
    if not mapped.problems:
        return []
    frame = pd.DataFrame([dataclasses.astuple(problem) for problem in mapped.problems], columns=list(ISSUE_COLUMNS))
    return [frame]


# ------------------------------------------------------------------------------------------ duplicates

def record_key(platform: str | pd.Series, record_ids: pd.Series, submitted: pd.Series) -> pd.DataFrame:
    """The :data:`RECORD_KEY` columns of rows with these record ids (None where missing: no key) and submission
    times (the time in microseconds, a value of its own where the time is missing)."""
    times = pd.to_datetime(submitted)
    if isinstance(times.dtype, pd.DatetimeTZDtype):   # an offset in the text: compared in UTC
        times = times.dt.tz_convert(None)
    times = times.astype("datetime64[us]")
    return pd.DataFrame({"record_platform": platform, "record_id": record_ids.to_numpy(dtype=object),
                         "record_time": times.to_numpy().view(np.int64)}, index=record_ids.index)


def duplicate_keys(mapped: MappedExport) -> pd.DataFrame:
    """What the duplicate rule compares of each row: its identifier tokens, its :func:`record_key`, submission time,
    ``where`` (``row N``) and ``current_row``. The keys of a file read in chunks are the chunks' keys one after
    the other."""
    current = mapped.identifiers.copy()
    submitted = pd.to_datetime(mapped.meta["submitted_at"]) if "submitted_at" in mapped.meta else \
        pd.Series(pd.NaT, index=mapped.meta.index, dtype="datetime64[us]")
    current["submitted_at"] = submitted
    current[list(RECORD_KEY)] = record_key(mapped.platform, mapped.meta["record_id"], submitted).set_axis(
        current.index, axis=0)
    current["where"] = "row " + mapped.rows.astype(str)
    current["current_row"] = mapped.rows.to_numpy()
    return current.reset_index(drop=True)


def _labelled(current: pd.DataFrame, earlier: pd.DataFrame | None) -> pd.DataFrame:
    """Current rows after the earlier batches' rows, with identifier tokens and submission times."""
    if earlier is None or earlier.empty:
        return current
    previous = earlier.copy()
    previous["submitted_at"] = pd.to_datetime(previous.get("submitted_at"))
    previous["current_row"] = 0
    return pd.concat([previous, current], ignore_index=True, sort=False)


def _first_of(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """For each row, where the first row with the same tokens is (None when it is itself the first)."""
    complete = frame[list(columns)].notna().all(axis=1)
    keyed = frame[complete]
    first = keyed.groupby(list(columns), sort=False)["where"].transform("first")
    repeat = keyed.duplicated(list(columns), keep="first")
    return first.where(repeat).reindex(frame.index)


def _within_window(frame: pd.DataFrame, columns: Sequence[str], window: pd.Timedelta) -> pd.Series:
    """Where the previous row with the same tokens was, when it came at most ``window`` earlier."""
    complete = frame[list(columns)].notna().all(axis=1) & frame["submitted_at"].notna()
    keyed = frame[complete].sort_values("submitted_at", kind="stable")
    grouped = keyed.groupby(list(columns), sort=False)
    gap = grouped["submitted_at"].diff()
    previous = grouped["where"].shift()
    return previous.where(gap <= window).reindex(frame.index)


def duplicate_issues(keys: pd.DataFrame, rules: ValidationRules, earlier: pd.DataFrame | None) -> pd.DataFrame:
    """The ``duplicate_submission`` issues (with their action) of the rows whose :func:`duplicate_keys` are
    ``keys``, against each other and the ``earlier`` submissions (see the module docstring for the evidence)."""
    found = _duplicates(keys, rules, earlier) if rules.action("duplicate_submission") != "off" else []
    return found[0] if found else pd.DataFrame(columns=list(_REPORT_COLUMNS))


def _duplicates(keys: pd.DataFrame, rules, earlier: pd.DataFrame | None) -> list[pd.DataFrame]:
    frame = _labelled(keys, earlier)
    found = pd.Series(None, index=frame.index, dtype=object)
    action = pd.Series(None, index=frame.index, dtype=object)
    evidence = list(STRONG_EVIDENCE)
    window = pd.Timedelta(minutes=rules.window_minutes)
    strong_action = rules.action("duplicate_submission")
    for columns, rank, label in evidence:
        if not set(columns) <= set(frame):
            continue
        where = _first_of(frame, columns)
        new = where.notna() & found.isna()
        found[new] = f"rank {rank}: {label} as " + where[new]
        action[new] = strong_action
    for columns, rank, label, how in ((("ip", "user_agent"), 3, "the same IP and user agent within "
                                       f"{rules.window_minutes:g} minutes", strong_action),
                                      (("ip",), 4, f"the same IP within {rules.window_minutes:g} minutes "
                                       "(IP alone only flags: carriers share addresses)", "flag")):
        if not set(columns) <= set(frame) or how == "off" or strong_action == "off":
            continue
        where = _within_window(frame, columns, window)
        new = where.notna() & found.isna()
        found[new] = f"rank {rank}: {label} as " + where[new]
        action[new] = how
    hit = found.notna() & (frame["current_row"] > 0)
    if not hit.any():
        return []
    result = _frame("duplicate_submission", pd.Index(frame.loc[hit, "current_row"]), "",
                    found[hit].str.slice(0, 6), "a repeat submission: " + found[hit])
    result["action"] = action[hit].to_numpy()
    return [result]


# ------------------------------------------------------------------------------------------ report

_RULES = (("unparseable", _unparseable_and_scale), ("required_missing", _required_missing),
          ("skip_violation", _skip_violation), ("speeder", _speeder), ("straightline", _straightline),
          ("attention_check_failed", _attention), ("outside_area", _outside_area), ("incomplete", _incomplete))


def validate_export(mapped: MappedExport, questionnaire: Questionnaire, rules: ValidationRules | None = None, *,
                    earlier: pd.DataFrame | None = None, duplicates: bool = True) -> ValidationReport:
    """Apply every rule to ``mapped`` and decide each row: rejected, or accepted (possibly flagged).

    ``earlier``: identifier tokens of the submissions already in the store (columns as
    ``mapped.identifiers`` plus ``submitted_at`` and ``where``, e.g. ``"batch 3 row 7"``), so that a
    repeat of an earlier batch's submission is a duplicate too. Only rows of ``mapped`` are reported.
    ``duplicates=False`` leaves the duplicate rule out (a file read in chunks applies it once, to the keys of
    all its chunks: :func:`duplicate_issues`).
    """
    rules = rules or ValidationRules()
    if questionnaire.id != mapped.questionnaire_id:
        raise ValidationError(f"{mapped.path.name} was mapped onto '{mapped.questionnaire_id}', not "
                              f"'{questionnaire.id}'; validate it with the questionnaire it was mapped onto")
    frames: list[pd.DataFrame] = []
    for _, rule in _RULES:
        frames += rule(mapped, questionnaire, rules)
    issues = pd.concat([frame for frame in frames if not frame.empty] or [pd.DataFrame(columns=list(ISSUE_COLUMNS))],
                       ignore_index=True)
    issues["action"] = issues["code"].map(lambda code: rules.action(code))
    found = _duplicates(duplicate_keys(mapped), rules, earlier) \
        if duplicates and rules.action("duplicate_submission") != "off" else []
    issues = pd.concat([issues, *found], ignore_index=True)
    issues = issues[issues["action"] != "off"].astype({"row": "int64"})
    issues["value"] = issues["value"].fillna("").astype(str)
    issues = issues.sort_values(["row", "code"], kind="stable").reset_index(drop=True)[list(_REPORT_COLUMNS)]
    row_issues = issues[issues["row"] > 0]
    rejected = tuple(sorted(set(row_issues.loc[row_issues["action"] == "reject", "row"].tolist())))
    flagged = tuple(sorted(set(row_issues.loc[row_issues["action"] == "flag", "row"].tolist()) - set(rejected)))
    return ValidationReport(path=mapped.path.name, rows_read=mapped.rows_read, rows=tuple(int(r) for r in mapped.rows),
                            rejected=rejected, flagged=flagged, issues=issues)
