"""Reading YAML values with key paths: the primitives the questionnaire schema is checked with.

Each reader takes the value, its key path (``items[4].asked_if[0].item``) and the file's
:class:`Problems`; it returns the value it expected, or records what it expected and what it found
and returns None (or the default), so one pass over a file reports every problem.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Iterable

from surveys.questionnaire.model import Text

__all__ = [
    "IDENTIFIER",
    "Problems",
    "describe",
    "join_path",
    "read_mapping",
    "read_string",
    "read_integer",
    "read_boolean",
    "read_choice",
    "read_list",
    "read_text",
]

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class Problems:
    """The problems found in one file, each tied to a key path.

    ``broken_items`` holds the ids of items that had a problem of their own, so that sections
    referring to them do not repeat it as a second, derived problem.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.broken_items: set[str] = set()

    def add(self, key_path: str, message: str) -> None:
        self.messages.append(f"{key_path or '(top level)'}: {message}")


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return f"{type(value).__name__} {value!r}"


def join_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def read_mapping(value: Any, path: str, required: Iterable[str], optional: Iterable[str],
                 problems: Problems) -> dict | None:
    """``value`` if it is a mapping with every required key and no unknown key; else None (reported)."""
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping with keys {list(required)}; found {describe(value)}")
        return None
    allowed = tuple(required) + tuple(optional)
    complete = True
    for key in required:
        if key not in value:
            problems.add(join_path(path, key), "required key is missing; add it")
            complete = False
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed keys are {list(allowed)}"
            problems.add(join_path(path, str(key)), f"unknown key{hint}")
            complete = False
    return value if complete else None


def read_string(value: Any, path: str, problems: Problems, *, identifier: bool = False) -> str | None:
    if isinstance(value, str) and value.strip():
        if identifier and not IDENTIFIER.match(value):
            problems.add(path, "expected an id of lower-case letters, digits and '_' (e.g. 'overall'); "
                         f"found {value!r}")
            return None
        return value
    what = "an id of lower-case letters, digits and '_'" if identifier else "a non-empty text (quote numbers)"
    problems.add(path, f"expected {what}; found {describe(value)}")
    return None


def read_integer(value: Any, path: str, problems: Problems) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    problems.add(path, f"expected an integer code; found {describe(value)}")
    return None


def read_boolean(value: Any, path: str, problems: Problems, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    problems.add(path, f"expected true or false; found {describe(value)}")
    return default


def read_choice(value: Any, path: str, allowed: Iterable[str], problems: Problems) -> str | None:
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    close = difflib.get_close_matches(str(value), allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    problems.add(path, f"expected one of {list(allowed)}; found {describe(value)}{hint}")
    return None


def read_list(value: Any, path: str, problems: Problems, *, non_empty: bool = True) -> list | None:
    if isinstance(value, list) and (value or not non_empty):
        return value
    problems.add(path, f"expected a {'non-empty ' if non_empty else ''}list; found {describe(value)}")
    return None


def read_text(value: Any, path: str, problems: Problems) -> Text | None:
    spec = read_mapping(value, path, ("zh", "en"), (), problems)
    if spec is None:
        return None
    zh = read_string(spec["zh"], join_path(path, "zh"), problems)
    en = read_string(spec["en"], join_path(path, "en"), problems)
    return Text(zh, en) if zh is not None and en is not None else None
