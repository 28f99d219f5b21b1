"""One way to read a YAML spec: the loader and the key-by-key checks every spec reader uses.

The questionnaires (``questionnaires/*.yaml``), the study spec (``study.yaml``), the targets register
(``targets.yaml``) and the validation rules are all read the same way:

* :func:`read_yaml` reads a file as UTF-8 YAML in which a key repeated in one mapping is an error naming both
  lines (plain PyYAML keeps the last of two equal keys, silently dropping the first: an item's column or a whole
  scale defined twice). Any problem reading the file raises the reader's own error, naming the file.
* A :class:`SpecReader` checks the document: each read (:meth:`~SpecReader.mapping`, :meth:`~SpecReader.string`,
  :meth:`~SpecReader.choice`, :meth:`~SpecReader.number`, ...) returns the value it expected, or records
  ``<key path>: expected …, found …; what to do`` (the key path as the spec writes it, e.g.
  ``items[4].asked_if[0].item``) and returns a default, so one pass reports every problem of a file;
  :meth:`~SpecReader.fail` then raises them together as one error of the project's tree naming the file.

A schema library (pydantic) was considered: its messages are its own ("Input should be a valid string") rather
than the spec's words, and most checks here are references between sections (an item's scale, a measure's
items, a margin's questionnaire) that sit outside a model's field types, so it would add a translation layer
without making the readers shorter.
"""
from __future__ import annotations

import difflib
import pathlib
import re
from typing import Any, Iterable, Mapping, Sequence

import yaml

from surveys.errors import SurveyError
from surveys.wording import Text

__all__ = ["read_yaml", "SpecReader", "describe", "join_path", "IDENTIFIER", "REQUIRED"]

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: the default of a read whose value must be there (a missing value is a problem, not a default)
REQUIRED: Any = _Required()


# --------------------------------------------------------------------------------------------- the loader

class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    first_lines: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in first_lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {first_lines[key]}); keep one of them",
                    key_node.start_mark)
            first_lines[key] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key: let the ordinary constructor report it
            break
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: str | pathlib.Path, *, error: type[SurveyError], what: str, missing: str | None = None) -> Any:
    """The YAML document of ``path`` (UTF-8, a byte-order mark allowed; a repeated key is an error).

    Every problem raises ``error`` naming the file: ``missing`` (what to say when there is no such file; default:
    cannot read the ``what``), a byte that is not UTF-8, a YAML syntax error or a duplicate key with its line.
    """
    try:
        raw = pathlib.Path(path).read_bytes()
    except FileNotFoundError as problem:
        if missing is not None:
            raise error(f"{path}: {missing}") from None
        raise error(f"{path}: cannot read the {what} ({problem.strerror or problem}); check the path") from None
    except OSError as problem:
        raise error(f"{path}: cannot read the {what} ({problem.strerror or problem}); check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise error(f"{path}: expected UTF-8 text; found a byte that is not UTF-8 at offset {problem.start} (saved "
                    "as GBK/GB18030?); re-save the file as UTF-8") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        found = getattr(problem, "problem", None) or str(problem)
        if not isinstance(problem, yaml.constructor.ConstructorError):  # a syntax error
            found += "; fix that line (inside {...} or [...] a text containing ',', ':', '?' or '#' needs quotes)"
        raise error(f"{path}: not valid YAML{where}: {found}") from None


# --------------------------------------------------------------------------------------------- key paths

def describe(value: Any) -> str:
    """``value`` as a problem message shows what was found."""
    if isinstance(value, bool):
        return f"the boolean {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "an empty text" if not value.strip() else _shortened(repr(value))
    return f"{type(value).__name__} {_shortened(repr(value))}"


def _shortened(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "…"


def join_path(path: str, key: str | int) -> str:
    """``items`` + 4 → ``items[4]``; ``items[4]`` + ``text`` → ``items[4].text``; ``""`` + ``id`` → ``id``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


# --------------------------------------------------------------------------------------------- the reader

class SpecReader:
    """The problems of one spec, and the reads that find them.

    ``source``: the file (or None for a document given in memory); ``what``: the spec in words ("study spec");
    ``error``: the exception :meth:`fail` raises; ``schema``: where the format is documented; ``heading``: the
    words after the file name in the error's first line (default: ``{count} problem(s) in the {what}``, with
    ``{count}`` and ``{what}`` filled in). ``broken_items`` holds the ids of entries that had a problem of their
    own, so that checks referring to them do not repeat it as a second, derived problem.
    """

    def __init__(self, source: str | pathlib.Path | None, *, what: str, error: type[SurveyError],
                 schema: str = "", heading: str | None = None) -> None:
        self.source = source
        self.what = what
        self.error = error
        self.schema = schema
        self.heading = heading
        self.problems: list[str] = []
        self.broken_items: set[str] = set()

    # ---- collecting
    def problem(self, key_path: str, message: str) -> None:
        """Record ``message`` (expected …, found …; what to do) at ``key_path``."""
        self.problems.append(f"{key_path or '(top level)'}: {message}")

    def fail(self) -> None:
        """Raise every recorded problem together, if there is any."""
        if not self.problems:
            return
        count = len(self.problems)
        if self.heading is not None:
            heading = self.heading.format(count=count, what=self.what)
        else:
            heading = (f"{count} problem{'s' if count > 1 else ''} in the {self.what}; fix "
                       f"{'them' if count > 1 else 'it'} and load it again")
        schema = f" (schema: {self.schema})" if self.schema else ""
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        prefix = f"{self.source}: " if self.source is not None else ""
        raise self.error(f"{prefix}{heading}{schema}:\n{listing}")

    # ---- reads
    def mapping(self, value: Any, key: str, required: Iterable[str] = (), optional: Iterable[str] = (), *,
                partial: bool = False, noun: str = "key") -> dict | None:
        """``value`` as a dict if it is a mapping with every ``required`` key and no key outside ``required`` and
        ``optional`` (which may repeat the required ones); else None (the problems recorded). ``partial``: an unknown
        key is recorded but the mapping is still returned (None only when it is no mapping or lacks a required key).
        ``noun``: what a key is called in the message ("section", "rule")."""
        required, optional = tuple(required), tuple(optional)
        if not isinstance(value, Mapping):
            keys = f" with keys {list(required)}" if required else ""
            self.problem(key, f"expected a mapping{keys}, found {describe(value)}")
            return None
        allowed = tuple(dict.fromkeys(required + optional))
        complete = True
        for name in required:
            if name not in value:
                self.problem(join_path(key, name), "required key is missing; add it")
                complete = False
        unknown = [name for name in value if name not in allowed]
        for name in unknown:
            close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1)
            owner = f"'{key}'" if key else f"a {self.what}"
            hint = f"did you mean '{close[0]}'?" if close else f"{owner} takes {list(allowed)}; remove or rename it"
            self.problem(join_path(key, str(name)), f"unknown {noun}; {hint}")
        if not complete or (unknown and not partial):
            return None
        return dict(value)

    def string(self, value: Any, key: str, default: Any = REQUIRED, *, identifier: bool = False,
               numbers: bool = False) -> Any:
        """A non-empty text (stripped of surrounding blanks); None: ``default`` (or a problem when required).
        ``identifier``: lower-case letters, digits and ``_``; ``numbers``: a number is taken as its text
        (``wave: 2026``)."""
        if value is None and default is not REQUIRED:
            return default
        if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            if identifier:
                expected = "an id of lower-case letters, digits and '_'"
            else:
                expected = "a text value" + ("" if numbers else " (quote numbers)")
            self.problem(key, f"expected {expected}, found {describe(value)}")
            return None if default is REQUIRED else default
        if identifier and not IDENTIFIER.match(value):
            self.problem(key, f"expected an id of lower-case letters, digits and '_' (e.g. 'overall'), found "
                              f"{value!r}")
            return None if default is REQUIRED else default
        return value.strip()

    def choice(self, value: Any, key: str, allowed: Sequence[str], default: Any = REQUIRED) -> Any:
        """One of ``allowed``; None: ``default`` (or a problem when required)."""
        if value is None and default is not REQUIRED:
            return default
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        close = difflib.get_close_matches(str(value), list(allowed), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.problem(key, f"expected one of {list(allowed)}, found {describe(value)}{hint}")
        return None if default is REQUIRED else default

    def integer(self, value: Any, key: str, default: Any = REQUIRED, *, minimum: int | None = None,
                expected: str = "a whole number") -> Any:
        """A whole number (not a boolean), at least ``minimum``; None: ``default`` (or a problem when required)."""
        if value is None and default is not REQUIRED:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and (minimum is None or value >= minimum):
            return value
        at_least = f" ≥ {minimum}" if minimum is not None else ""
        self.problem(key, f"expected {expected}{at_least}, found {describe(value)}")
        return None if default is REQUIRED else default

    def number(self, value: Any, key: str, default: Any = REQUIRED, *, low: float | None = None,
               high: float | None = None) -> Any:
        """A finite number (not a boolean) in [``low``, ``high``], as a float; None: ``default`` (or a problem
        when required)."""
        if value is None and default is not REQUIRED:
            return default
        if (not isinstance(value, bool) and isinstance(value, (int, float)) and value == value
                and abs(value) != float("inf") and (low is None or value >= low) and (high is None or value <= high)):
            return float(value)
        if low is not None and high is not None:
            expected = f"a number in [{low:g}, {high:g}]"
        elif low is not None:
            expected = f"a number ≥ {low:g}"
        else:
            expected = "a number" if high is None else f"a number ≤ {high:g}"
        self.problem(key, f"expected {expected}, found {describe(value)}")
        return None if default is REQUIRED else default

    def boolean(self, value: Any, key: str, default: bool) -> bool:
        """true or false; None: ``default``."""
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.problem(key, f"expected true or false, found {describe(value)}")
        return default

    def sequence(self, value: Any, key: str, *, non_empty: bool = True) -> list | None:
        """``value`` if it is a list (with at least one entry when ``non_empty``); else None (recorded)."""
        if isinstance(value, list) and (value or not non_empty):
            return value
        self.problem(key, f"expected a {'non-empty ' if non_empty else ''}list, found {describe(value)}")
        return None

    def names(self, value: Any, key: str) -> tuple[str, ...] | None:
        """A list of names (a single name is a list of one; numbers are taken as their text); None: None."""
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                  for v in value):
            self.problem(key, f"expected a list of names, found {describe(value)}")
            return None
        return tuple(str(v) for v in value)

    def text(self, value: Any, key: str, *, english: bool = True) -> Text | None:
        """A text in both languages ``{zh: …, en: …}``; with ``english=False`` the English may be left out (an
        empty English text reads as the Chinese)."""
        if not isinstance(value, Mapping):
            self.problem(key, f"expected a text in Chinese and English {{zh: …, en: …}}, found {describe(value)}")
            return None
        entry = self.mapping(value, key, ("zh", "en") if english else ("zh",), () if english else ("en",))
        if entry is None:
            return None
        zh = self.string(entry["zh"], join_path(key, "zh"))
        if english or entry.get("en"):
            en = self.string(entry["en"], join_path(key, "en"))
        else:
            en = ""
        return Text(zh, en) if zh is not None and en is not None else None
