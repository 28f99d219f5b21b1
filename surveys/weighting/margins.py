"""Population margins as data: the margin file, ``Margins`` objects and their templates.

A margin file is a UTF-8 CSV (a BOM is allowed) with the columns, in this order::

    variable,category,population,share,source,as_of

one row per population cell. ``variable`` is a questionnaire weighting-variable id, or several ids
joined by ``+`` for a joint (cross-classified) table (``district+sex``); ``category`` is the category
code, for a joint table the codes joined by ``|`` in the order of ``variable`` (``3|2``);
``population`` is a count OR empty and ``share`` a 0–1 share OR empty: per variable either every row
has a population or every row has a share, and the shares of a variable sum to 1 (within 1e-6).
``source`` says where the number comes from, ``as_of`` is an ISO date. Lines starting with ``#`` are
comments. Several variables live in one file, one block of rows per variable.

:func:`load_margins` reads a file into a :class:`Margins` (a tuple of :class:`MarginTable`, one per
variable) and reports every problem of the file at once; :meth:`Margins.write` writes the same
format back; :func:`template_for` builds the empty rows for a questionnaire's weighting variables
(``surveys margins template QUESTIONNAIRE``). The weighting functions accept ``Margins`` and
``MarginTable`` objects wherever they take population margins, as well as the R-style forms
(a pandas Series, a DataFrame with the variable columns and ``Freq``, or a plain mapping), which
:func:`as_margin_table` turns into a :class:`MarginTable`.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import pathlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence, cast

import numpy as np
import pandas as pd

from surveys.columns import category_code
from surveys.errors import WeightingError

__all__ = [
    "MARGIN_COLUMNS",
    "MarginTable",
    "Margins",
    "load_margins",
    "template_for",
    "as_margin_table",
    "as_margin_tables",
    "category_code",
]

MARGIN_COLUMNS = ("variable", "category", "population", "share", "source", "as_of")
JOINT_VARIABLE_SEPARATOR = "+"
JOINT_CATEGORY_SEPARATOR = "|"
SHARE_SUM_TOLERANCE = 1e-6


def _joint_code(value: Any) -> str:
    if isinstance(value, tuple):
        return JOINT_CATEGORY_SEPARATOR.join(category_code(part) for part in value)
    return category_code(value)


@dataclass(frozen=True)
class MarginTable:
    """The population distribution of one weighting variable (or of a joint table of several).

    Exactly one of ``population`` (counts) and ``share`` (0–1, summing to 1) is given; the other is
    None. ``sources``/``as_of`` hold the file's per-row provenance; ``label`` and
    ``category_labels`` are only used to annotate written files. In a template (see
    :func:`template_for`) both are None: nothing to weight with yet.
    """

    variable: str
    categories: tuple[str, ...]
    population: tuple[float, ...] | None = None
    share: tuple[float, ...] | None = None
    sources: tuple[str, ...] = ()
    as_of: tuple[str, ...] = ()
    label: str = ""
    category_labels: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """The data columns of the table (several for a joint table ``a+b``)."""
        return tuple(part.strip() for part in self.variable.split(JOINT_VARIABLE_SEPARATOR))

    @property
    def is_share(self) -> bool:
        return self.population is None and self.share is not None

    @property
    def is_complete(self) -> bool:
        return self.population is not None or self.share is not None

    def category_parts(self, category: str) -> tuple[str, ...]:
        """The per-variable codes of a (joint) category: ``"3|2"`` → ``("3", "2")``."""
        return tuple(part.strip() for part in category.split(JOINT_CATEGORY_SEPARATOR))

    def values(self) -> np.ndarray:
        """The counts, or the shares when the table is given as shares."""
        if self.population is not None:
            return np.asarray(self.population, dtype=float)
        if self.share is not None:
            return np.asarray(self.share, dtype=float)
        raise WeightingError(
            f"margin '{self.variable}' has neither populations nor shares (an unfilled template); "
            "fill in the population or share column"
        )

    def totals(self, total: float | None = None) -> dict[str, float]:
        """Category → population count; shares are multiplied by ``total`` (required for shares)."""
        values = self.values()
        if self.is_share:
            if total is None:
                raise WeightingError(
                    f"margin '{self.variable}' is given as shares and no population total is known; "
                    "give counts, or the population's total (margins[].total in a study spec, population_total= in "
                    "Python)"
                )
            values = values * float(total)
        return dict(zip(self.categories, values.tolist()))

    def to_frame(self) -> pd.DataFrame:
        """Rows in the margin-file layout (the columns of :data:`MARGIN_COLUMNS`)."""
        n = len(self.categories)
        blank = [math.nan] * n
        return pd.DataFrame(
            {
                "variable": [self.variable] * n,
                "category": list(self.categories),
                "population": list(self.population) if self.population is not None else blank,
                "share": list(self.share) if self.share is not None else blank,
                "source": list(self.sources) if self.sources else [""] * n,
                "as_of": list(self.as_of) if self.as_of else [""] * n,
            },
            columns=list(MARGIN_COLUMNS),
        )


@dataclass(frozen=True)
class Margins:
    """The margin tables of one margin file, in file order; index by variable id."""

    tables: tuple[MarginTable, ...]
    path: str = ""
    comments: tuple[str, ...] = field(default=(), compare=False)

    def __iter__(self) -> Iterator[MarginTable]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __contains__(self, variable: object) -> bool:
        return any(table.variable == variable for table in self.tables)

    def __getitem__(self, variable: str) -> MarginTable:
        key = JOINT_VARIABLE_SEPARATOR.join(variable) if isinstance(variable, (tuple, list)) else variable
        for table in self.tables:
            if table.variable == key:
                return table
        where = f" in {self.path}" if self.path else ""
        raise WeightingError(
            f"no margin for '{key}'{where}; the margins are {list(self.variables)}; add its rows to the margin file"
        )

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(table.variable for table in self.tables)

    def select(self, variables: Iterable[str]) -> "Margins":
        """The tables for ``variables`` only, in the order given."""
        return Margins(tuple(self[v] for v in variables), self.path, self.comments)

    def to_frame(self) -> pd.DataFrame:
        frames = [table.to_frame() for table in self.tables]
        if not frames:
            return pd.DataFrame(columns=list(MARGIN_COLUMNS))
        return pd.concat(frames, ignore_index=True)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, path: str = "") -> "Margins":
        """Margins from a DataFrame in the margin-file layout (checked like a file)."""
        missing = [c for c in MARGIN_COLUMNS if c not in frame.columns]
        if missing:
            raise WeightingError(
                f"a margin table needs the columns {list(MARGIN_COLUMNS)}; {missing} are missing"
            )
        rows = [
            (index + 2, [_cell_text(row[c]) for c in MARGIN_COLUMNS])
            for index, (_, row) in enumerate(frame.iterrows())
        ]
        return _margins_from_rows(rows, path or "<DataFrame>", comments=())

    def write(self, path: str | pathlib.Path | None = None) -> str:
        """Write the margin file (UTF-8, no BOM); returns its text. ``path=None`` only returns it.

        A comment line names each variable with its label and category labels when they are known
        (templates carry them); values of an unfilled template are left empty.
        """
        buffer = io.StringIO()
        for comment in self.comments:
            buffer.write(f"# {comment}\n")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(MARGIN_COLUMNS)
        for table in self.tables:
            if table.label or table.category_labels:
                labels = ", ".join(
                    f"{code}={label}" for code, label in zip(table.categories, table.category_labels)
                )
                note = f"{table.variable}: {table.label}" + (f" ({labels})" if labels else "")
                buffer.write(f"# {note}\n")
            for index, category in enumerate(table.categories):
                writer.writerow(
                    [
                        table.variable,
                        category,
                        _number_text(table.population[index]) if table.population is not None else "",
                        _number_text(table.share[index]) if table.share is not None else "",
                        table.sources[index] if table.sources else "",
                        table.as_of[index] if table.as_of else "",
                    ]
                )
        text = buffer.getvalue()
        if path is not None:
            pathlib.Path(path).write_text(text, encoding="utf-8")
        return text


def _number_text(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return _number_text(float(value))
    return str(value)


def load_margins(path: str | pathlib.Path, *, blank: str = "error") -> Margins:
    """Read a margin file (format in the module docstring) into :class:`Margins`.

    ``blank="skip"`` accepts a variable whose rows are ALL left blank (an unfilled template): its table has
    neither populations nor shares (``MarginTable.is_complete`` is False) and the caller decides what to do with
    it; a variable filled in part is still a problem. Every problem (wrong header, a row with the wrong number of
    fields, a number that is not a number or is negative, a variable mixing populations and shares, shares not summing
    to 1, a joint category with the wrong number of codes, a repeated category, a date that is not ISO, a
    variable split into several blocks) is collected and raised together as one
    :class:`~surveys.errors.WeightingError` naming the file and line.
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise WeightingError(f"margin file {path} does not exist; give the path of a margin CSV") from None
    except UnicodeDecodeError as error:
        raise WeightingError(
            f"margin file {path} is not UTF-8 ({error.reason} at byte {error.start}); save it as UTF-8"
        ) from None
    comments: list[str] = []
    data_lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            comments.append(line.lstrip()[1:].strip())
        elif line.strip():
            data_lines.append((number, line))
    if not data_lines:
        raise WeightingError(f"margin file {path} has no header and no rows; expected the header "
                             f"{','.join(MARGIN_COLUMNS)}")
    parsed = [(number, row) for number, line in data_lines for row in csv.reader([line])]
    header_line, header = parsed[0]
    header = [h.strip() for h in header]
    if tuple(header) != MARGIN_COLUMNS:
        raise WeightingError(
            f"{path} line {header_line}: expected the header {','.join(MARGIN_COLUMNS)}; found {','.join(header)}"
        )
    if blank not in ("error", "skip"):
        raise WeightingError(f"blank must be 'error' or 'skip'; found {blank!r}")
    return _margins_from_rows(parsed[1:], str(path), comments=tuple(comments), blank=blank)


def _margins_from_rows(
    rows: Sequence[tuple[int, list[str]]], where: str, *, comments: tuple[str, ...], blank: str = "error"
) -> Margins:
    problems: list[str] = []
    blocks: dict[str, list[tuple[int, list[str]]]] = {}
    order: list[str] = []
    previous = None
    for number, fields in rows:
        if len(fields) != len(MARGIN_COLUMNS):
            problems.append(
                f"line {number}: expected {len(MARGIN_COLUMNS)} fields ({','.join(MARGIN_COLUMNS)}); "
                f"found {len(fields)}"
            )
            continue
        variable = fields[0].strip()
        if not variable:
            problems.append(f"line {number}: the variable is empty; name a weighting variable")
            continue
        if variable in blocks and previous != variable:
            problems.append(
                f"line {number}: variable '{variable}' appears in two blocks; keep its rows together"
            )
        if variable not in blocks:
            blocks[variable] = []
            order.append(variable)
        blocks[variable].append((number, [f.strip() for f in fields]))
        previous = variable
    tables = []
    for variable in order:
        if blank == "skip" and all(fields[2] == fields[3] == "" for _, fields in blocks[variable]):
            tables.append(MarginTable(variable, tuple(fields[1] for _, fields in blocks[variable])))
            continue
        table, table_problems = _table_from_block(variable, blocks[variable])
        problems.extend(table_problems)
        if table is not None:
            tables.append(table)
    if problems:
        raise WeightingError(f"margin file {where} has {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return Margins(tuple(tables), where, comments)


def _parse_number(text: str, what: str, number: int, problems: list[str]) -> float | None:
    if text == "":
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        problems.append(f"line {number}: {what} {text!r} is not a number; write digits, e.g. 12345 or 0.25")
        return None
    if not math.isfinite(value) or value < 0:
        problems.append(f"line {number}: {what} {text!r} must be a finite number ≥ 0")
        return None
    return value


def _table_from_block(variable: str, block: list[tuple[int, list[str]]]) -> tuple[MarginTable | None, list[str]]:
    problems: list[str] = []
    parts = len(variable.split(JOINT_VARIABLE_SEPARATOR))
    categories, populations, shares, sources, dates = [], [], [], [], []
    seen: dict[str, int] = {}
    for number, (_, category, population, share, source, as_of) in block:
        if not category:
            problems.append(f"line {number}: '{variable}' has an empty category; give the category code")
        elif len(category.split(JOINT_CATEGORY_SEPARATOR)) != parts:
            problems.append(
                f"line {number}: '{variable}' is a table of {parts} variable(s), so a category has {parts} "
                f"code(s) joined by '{JOINT_CATEGORY_SEPARATOR}'; found {category!r}"
            )
        key = JOINT_CATEGORY_SEPARATOR.join(p.strip() for p in category.split(JOINT_CATEGORY_SEPARATOR))
        if key in seen:
            problems.append(f"line {number}: '{variable}' category {key!r} repeats line {seen[key]}; keep one row")
        seen[key] = number
        pop = _parse_number(population, "population", number, problems)
        shr = _parse_number(share, "share", number, problems)
        if pop is not None and shr is not None:
            problems.append(f"line {number}: '{variable}' {key!r} has both a population and a share; keep one")
        if pop is None and shr is None and population == "" and share == "":
            problems.append(
                f"line {number}: '{variable}' {key!r} has neither a population nor a share; fill in one of them"
            )
        if shr is not None and shr > 1:
            problems.append(f"line {number}: share {share} of '{variable}' {key!r} is above 1; write shares as 0–1")
        if as_of:
            try:
                _dt.date.fromisoformat(as_of)
            except ValueError:
                problems.append(f"line {number}: as_of {as_of!r} is not an ISO date; write YYYY-MM-DD")
        categories.append(key)
        populations.append(pop)
        shares.append(shr)
        sources.append(source)
        dates.append(as_of)
    has_population = [p is not None for p in populations]
    has_share = [s is not None for s in shares]
    first_line = block[0][0]
    population_tuple = share_tuple = None
    if all(has_population):
        population_tuple = tuple(cast("list[float]", populations))
    elif all(has_share):
        share_tuple = tuple(cast("list[float]", shares))
        total = sum(share_tuple)
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            problems.append(
                f"line {first_line}: the shares of '{variable}' sum to {total:.8g}, not 1 (tolerance "
                f"{SHARE_SUM_TOLERANCE:g}); correct them or give population counts"
            )
    elif any(has_population) and any(has_share):
        problems.append(
            f"line {first_line}: '{variable}' mixes populations ({sum(has_population)} rows) and shares "
            f"({sum(has_share)} rows); give every row of a variable the same kind"
        )
    if problems:
        return None, problems
    return (
        MarginTable(variable, tuple(categories), population_tuple, share_tuple, tuple(sources), tuple(dates)),
        problems,
    )


def template_for(questionnaire: Any, *, source: str = "", as_of: str = "") -> Margins:
    """Empty margin rows for every weighting variable of ``questionnaire`` (``questionnaire.weighting``).

    One block per variable with one row per category code; population and share are left empty
    for the analyst to fill in (the loader refuses a row with neither). ``questionnaire`` is a
    :class:`~surveys.questionnaire.Questionnaire` (or anything with ``weighting`` variables having
    ``id``, ``label`` and ``categories`` with ``code`` and ``label``).
    """
    variables = getattr(questionnaire, "weighting", None)
    if not variables:
        name = getattr(questionnaire, "id", "the questionnaire")
        raise WeightingError(
            f"questionnaire '{name}' declares no weighting variables; add a 'weighting' section to it first"
        )
    tables = []
    for variable in variables:
        codes = tuple(category_code(c.code) for c in variable.categories)
        labels = tuple(_label_text(c.label) + (f" [{c.key}]" if getattr(c, "key", None) else "")
                       for c in variable.categories)
        tables.append(
            MarginTable(
                variable.id,
                codes,
                sources=(source,) * len(codes),
                as_of=(as_of,) * len(codes),
                label=_label_text(variable.label),
                category_labels=labels,
            )
        )
    name = getattr(questionnaire, "id", "")
    comments = (
        f"margins for questionnaire '{name}': fill in the population count of every row (0 for a category "
        "without people); shares (0-1) only when the study spec gives the population's total (margins[].total) "
        "or another variable has counts",
        "columns: variable, category (code; joint tables 'a+b' use 'code|code'), population, share, source, "
        "as_of (YYYY-MM-DD)",
    )
    return Margins(tuple(tables), "", comments)


def _label_text(label: Any) -> str:
    if label is None:
        return ""
    zh, en = getattr(label, "zh", None), getattr(label, "en", None)
    if zh is not None:
        return f"{zh} / {en}" if en and en != zh and not str(en).startswith("TODO") else str(zh)
    return str(label)


# --------------------------------------------------------------------------------------------
# Coercion of the many forms callers pass population margins in
# --------------------------------------------------------------------------------------------

_VALUE_COLUMNS = ("Freq", "population", "share")


def as_margin_table(population: Any, by: str | Sequence[str] | None = None) -> MarginTable:
    """One :class:`MarginTable` from any supported form.

    ``population`` may be a :class:`MarginTable`; :class:`Margins` (``by`` picks the table); a
    pandas Series indexed by category (a MultiIndex for a joint table); a DataFrame in R's layout
    (the variable columns and a ``Freq``, ``population`` or ``share`` column) or in the margin-file
    layout; or a mapping category → count (tuples or ``"a|b"`` keys for a joint table). A plain
    mapping or Series whose values are all ≤ 1 and sum to 1 (within 1e-6) is read as shares.
    ``by`` is the variable (``"a+b"`` or a list for a joint table).
    """
    by_name = by if by is None or isinstance(by, str) else JOINT_VARIABLE_SEPARATOR.join(by)
    if isinstance(population, MarginTable):
        if by_name is not None and population.variable != by_name:
            raise WeightingError(
                f"the margin given for '{by_name}' is the margin of '{population.variable}'; pass the matching table"
            )
        return population
    if isinstance(population, Margins):
        if by_name is None:
            if len(population) == 1:
                return population.tables[0]
            raise WeightingError(
                f"these margins hold {list(population.variables)}; say which one with by="
            )
        return population[by_name]
    if isinstance(population, pd.DataFrame):
        if "variable" in population.columns and "category" in population.columns:
            return as_margin_table(Margins.from_frame(population), by_name)
        value_columns = [c for c in _VALUE_COLUMNS if c in population.columns]
        if len(value_columns) != 1:
            raise WeightingError(
                "a population DataFrame needs the variable column(s) and exactly one of "
                f"{list(_VALUE_COLUMNS)}; found columns {list(population.columns)}"
            )
        value_column = value_columns[0]
        variables = [c for c in population.columns if c != value_column]
        if by_name is not None:
            wanted = by_name.split(JOINT_VARIABLE_SEPARATOR)
            absent = [v for v in wanted if v not in variables]
            if absent:
                raise WeightingError(
                    f"the population DataFrame for '{by_name}' has no column {absent}; its columns are "
                    f"{list(population.columns)}"
                )
            variables = wanted
        keys = [
            JOINT_CATEGORY_SEPARATOR.join(category_code(v) for v in row)
            for row in population[variables].itertuples(index=False, name=None)
        ]
        values = tuple(float(v) for v in population[value_column])
        name = JOINT_VARIABLE_SEPARATOR.join(variables)
        if value_column == "share":
            return MarginTable(name, tuple(keys), share=values)
        return MarginTable(name, tuple(keys), population=values)
    if isinstance(population, pd.Series):
        if by_name is None:
            names = [n for n in population.index.names if n is not None]
            by_name = JOINT_VARIABLE_SEPARATOR.join(str(n) for n in names) if names else population.name
        if by_name is None:
            raise WeightingError("a population Series needs named index levels or by= to say which variable it is")
        # the index as a list first: iterating an index of Arrow-backed strings converts value by value
        return _table_from_mapping(str(by_name), dict(zip(population.index.tolist(), population.to_numpy())))
    if isinstance(population, Mapping):
        if by_name is None:
            raise WeightingError("a population mapping needs by= to say which variable it describes")
        return _table_from_mapping(by_name, population)
    raise WeightingError(
        "population margins must be a MarginTable, Margins, pandas Series/DataFrame or mapping; found "
        f"{type(population).__name__}"
    )


def _table_from_mapping(variable: str, mapping: Mapping[Any, Any]) -> MarginTable:
    keys = tuple(_joint_code(k) for k in mapping)
    try:
        values = tuple(float(v) for v in mapping.values())
    except (TypeError, ValueError):
        raise WeightingError(
            f"the population of '{variable}' must map categories to numbers; found {dict(mapping)!r}"
        ) from None
    bad = [k for k, v in zip(keys, values) if not math.isfinite(v) or v < 0]
    if bad:
        raise WeightingError(f"the population of '{variable}' has negative or non-finite values for {bad}")
    if values and max(values) <= 1.0 and abs(sum(values) - 1.0) <= SHARE_SUM_TOLERANCE:
        return MarginTable(variable, keys, share=values)
    return MarginTable(variable, keys, population=values)


def as_margin_tables(margins: Any) -> tuple[MarginTable, ...]:
    """Several margins (for raking): :class:`Margins`; a mapping variable → population (any form
    :func:`as_margin_table` accepts; ``"a+b"`` or tuple keys for joint tables); or a sequence of
    MarginTables, R-style DataFrames or ``(by, population)`` pairs."""
    if isinstance(margins, Margins):
        return margins.tables
    if isinstance(margins, MarginTable):
        return (margins,)
    if isinstance(margins, Mapping):
        return tuple(as_margin_table(population, by) for by, population in margins.items())
    if isinstance(margins, (list, tuple)):
        tables = []
        for item in margins:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], (str, list, tuple)):
                tables.append(as_margin_table(item[1], item[0]))
            else:
                tables.append(as_margin_table(item))
        return tuple(tables)
    raise WeightingError(
        "margins must be Margins, a mapping variable → population, or a list of margin tables; "
        f"found {type(margins).__name__}"
    )
