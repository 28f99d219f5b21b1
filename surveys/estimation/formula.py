"""Model formulas as R writes them, and the model matrix R's ``model.matrix`` builds from them.

``parse_formula("api00 ~ ell * stype")`` reads the subset of R's formula language a survey analyst
uses: a response, ``~``, variables joined by ``+`` (add a term), ``:`` (interaction), ``*``
(``a*b = a + b + a:b``), ``-`` (remove a term), parentheses, ``1``/``0`` (keep / drop the intercept),
``factor(x)`` (a numeric column as categories) and backquoted names (`` `sch.wide` ``). Terms come in
R's order: the intercept, then every term by its degree (main effects, two-way interactions, …) and,
within a degree, in order of appearance; a term names its variables in order of first appearance.

:func:`model_frame` turns a parsed formula into numbers (R ``model.frame`` + ``model.matrix`` with
``contr.treatment``):

* a numeric column is one column named as written (``ell``);
* a categorical variable — a text, categorical or boolean column, or ``factor(x)`` — is coded by
  treatment contrasts: one 0/1 column per level except the first (the reference), named
  ``<variable><level>`` (``stypeH``, ``factor(race)2``, ``flagTRUE``). In an interaction whose margin
  (the term without that variable) is absent from the model, the variable is coded by all its levels,
  as R does; without an intercept the first categorical variable is coded by all its levels;
* an interaction column is the product of its variables' columns, the first variable varying
  fastest, named with ``:`` (``ell:stypeH``, ``stypeH:sch.wideYes``);
* levels are ordered as given in ``levels=`` (first = reference), else by a pandas categorical's
  order, else sorted (numbers numerically, text by code point: R's ``sort`` in the C locale);
  booleans are ``FALSE`` < ``TRUE``. Levels with no row in the fit are left out (R would keep them
  and report an aliased, NA coefficient);
* rows with a missing value in any variable of the formula are left out (R ``na.omit``).

Validated through the regression reference cases of tests/reference/r_survey_models (R names and
order of every coefficient) and by the unit tests of tests/test_estimation_formula.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.columns import category_code, factorize_sorted, float_values
from surveys.errors import EstimationError

__all__ = ["Variable", "Formula", "ModelFrame", "parse_formula", "formula_from_columns", "model_frame",
           "category_codes"]

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class Variable:
    """One variable of a formula: its label as R prints it and the data column it reads."""

    label: str
    column: str
    as_factor: bool = False


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the response (None for a one-sided formula), the variables of the right-hand
    side in order of first appearance, the terms (tuples of variable positions) in R's order."""

    text: str
    response: Variable | None
    variables: tuple[Variable, ...]
    terms: tuple[tuple[int, ...], ...]
    intercept: bool

    @property
    def term_labels(self) -> tuple[str, ...]:
        return tuple(":".join(self.variables[v].label for v in term) for term in self.terms)


# ------------------------------------------------------------------------------------------------
# parsing
_TOKEN = re.compile(r"\s*(?:(`[^`]*`)|([~+\-*:()])|([^\W\d][\w.]*|\.[^\W\d][\w.]*)|(\d+(?:\.\d*)?)|(\S))", re.UNICODE)
_FACTOR_FUNCTIONS = ("factor", "as.factor")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(text):
        quoted, operator, name, number, other = match.groups()
        if quoted is not None:
            tokens.append(("name", quoted[1:-1]))
        elif operator is not None:
            tokens.append(("op", operator))
        elif name is not None:
            tokens.append(("name", name))
        elif number is not None:
            tokens.append(("number", number))
        elif other is not None:
            raise EstimationError(
                f"cannot read the formula {text!r}: unexpected {other!r}; formulas use column names joined by "
                "+ : * - and parentheses, with factor(x) for categories (e.g. 'api00 ~ ell + factor(race)')"
            )
    return tokens


class _Parser:
    """Recursive descent over R's precedence: ``:`` binds tighter than ``*``, which binds tighter than
    ``+``/``-``. A value is a list of terms (frozensets of variable positions; the empty set is the
    intercept) and whether the expression removed the intercept."""

    def __init__(self, text: str, tokens: list[tuple[str, str]]) -> None:
        self.text, self.tokens, self.position = text, tokens, 0
        self.variables: list[Variable] = []

    def fail(self, what: str) -> EstimationError:
        return EstimationError(
            f"cannot read the formula {self.text!r}: {what}; write it as R does, e.g. 'y ~ a + b', 'y ~ a * b' "
            "or 'y ~ a + factor(b)'"
        )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.fail("it ends too early")
        self.position += 1
        return token

    def variable(self, label: str, column: str, as_factor: bool) -> int:
        for index, known in enumerate(self.variables):
            if known.label == label:
                return index
        self.variables.append(Variable(label, column, as_factor))
        return len(self.variables) - 1

    def sum(self) -> tuple[list[frozenset], bool]:
        terms: list[frozenset] = []
        dropped = False
        sign = "+"
        if self.peek() == ("op", "-"):
            self.take()
            sign = "-"
        while True:
            part, part_dropped = self.product()
            if sign == "+":
                dropped = dropped or part_dropped
                for term in part:
                    if term not in terms:
                        terms.append(term)
                if frozenset() in part:
                    dropped = False
            else:
                if frozenset() in part:
                    dropped = True
                terms = [term for term in terms if term not in part]
            token = self.peek()
            if token in (("op", "+"), ("op", "-")):
                sign = self.take()[1]
                continue
            return terms, dropped

    def product(self) -> tuple[list[frozenset], bool]:
        terms, dropped = self.interaction()
        while self.peek() == ("op", "*"):
            self.take()
            other, other_dropped = self.interaction()
            crossed = [a | b for a in terms for b in other]
            combined: list[frozenset] = []
            for term in terms + other + crossed:
                if term not in combined:
                    combined.append(term)
            terms, dropped = combined, dropped or other_dropped
        return terms, dropped

    def interaction(self) -> tuple[list[frozenset], bool]:
        terms, dropped = self.atom()
        while self.peek() == ("op", ":"):
            self.take()
            other, _ = self.atom()
            crossed: list[frozenset] = []
            for term in (a | b for a in terms for b in other):
                if term not in crossed:
                    crossed.append(term)
            terms = crossed
        return terms, dropped

    def atom(self) -> tuple[list[frozenset], bool]:
        kind, value = self.take()
        if kind == "op" and value == "(":
            inner = self.sum()
            if self.take() != ("op", ")"):
                raise self.fail("a parenthesis is not closed")
            return inner
        if kind == "number":
            if value in ("0", "0.", "0.0"):
                return [], True
            if value in ("1", "1.", "1.0"):
                return [frozenset()], False
            raise self.fail(f"the number {value} (only 1 and 0, for the intercept)")
        if kind == "name":
            if self.peek() == ("op", "("):
                if value not in _FACTOR_FUNCTIONS:
                    raise self.fail(f"the function {value}() (only factor() is understood)")
                self.take()
                inner_kind, column = self.take()
                if inner_kind != "name" or self.take() != ("op", ")"):
                    raise self.fail(f"{value}() takes one column name")
                return [frozenset({self.variable(f"{value}({column})", column, True)})], False
            return [frozenset({self.variable(value, value, False)})], False
        raise self.fail(f"unexpected {value!r}")


def parse_formula(text: str) -> Formula:
    """Parse ``"y ~ a + b * c"`` (or a one-sided ``"~ a + b"``) into a :class:`Formula`."""
    if not isinstance(text, str) or "~" not in text:
        raise EstimationError(
            f"expected a model formula such as 'api00 ~ ell + stype', found {text!r}; put the response left of ~"
        )
    left, right = text.split("~", 1)
    response = None
    if left.strip():
        left_tokens = _tokens(left)
        if left_tokens and left_tokens[0] == ("name", "factor"):
            raise EstimationError(f"the response of {text!r} must be a numeric (or 0/1) column, not factor()")
        if len(left_tokens) != 1 or left_tokens[0][0] != "name":
            raise EstimationError(
                f"cannot read the response of the formula {text!r}: expected one column name left of ~, found "
                f"{left.strip()!r}; derive the variable as a column first"
            )
        response = Variable(left_tokens[0][1], left_tokens[0][1])
    parser = _Parser(text, _tokens(right))
    if parser.peek() is None:
        raise parser.fail("nothing right of ~")
    terms, dropped = parser.sum()
    left_over = parser.peek()
    if left_over is not None:
        raise parser.fail(f"unexpected {left_over[1]!r}")
    appearance = {term: index for index, term in enumerate(terms)}
    ordered = sorted((term for term in terms if term), key=lambda term: (len(term), appearance[term]))
    return Formula(text=text.strip(), response=response, variables=tuple(parser.variables),
                   terms=tuple(tuple(sorted(term)) for term in ordered), intercept=not dropped)


def formula_from_columns(response: str | None, predictors: Sequence[str], factors: Sequence[str] = ()) -> Formula:
    """The formula ``response ~ p1 + p2 + …`` of a column list; columns named in ``factors`` are
    categorical even when numeric (``factor(p)``)."""
    if isinstance(predictors, str):
        predictors = [predictors]
    unknown = [f for f in factors if f not in predictors]
    if unknown:
        raise EstimationError(f"factors {unknown} are not among the predictors {list(predictors)}; list them there too")
    variables = tuple(Variable(f"factor({p})" if p in factors else p, p, p in factors) for p in predictors)
    if len({v.label for v in variables}) != len(variables):
        raise EstimationError(f"the predictors {list(predictors)} name a column twice; list each once")
    text = f"{response or ''} ~ " + (" + ".join(v.label for v in variables) if variables else "1")
    return Formula(text=text.strip(), response=Variable(response, response) if response else None,
                   variables=variables, terms=tuple((index,) for index in range(len(variables))), intercept=True)


# ------------------------------------------------------------------------------------------------
# the model matrix
@dataclass(frozen=True, eq=False)
class ModelFrame:
    """The numbers of a formula on the rows it uses.

    ``rows``: positions (in the data) of the complete rows; ``matrix`` (len(rows) × p) with R's column
    ``names``; ``response`` on those rows (None for a one-sided formula); ``complete`` the full-length
    mask of complete rows; ``levels`` each categorical variable's levels in use (reference first);
    ``assign`` the term of each column (0 = intercept, as R's ``assign`` attribute).
    """

    formula: Formula
    matrix: np.ndarray
    names: tuple[str, ...]
    response: np.ndarray | None
    rows: np.ndarray
    complete: np.ndarray
    levels: Mapping[str, tuple[str, ...]]
    assign: tuple[int, ...]


def _is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    return not pd.api.types.is_numeric_dtype(dtype)


def _level_text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    return category_code(value)


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (bool, np.bool_)):
        return (0, float(value), "")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _numbers(series: pd.Series, label: str) -> np.ndarray:
    try:
        return float_values(series)
    except (TypeError, ValueError):
        raise EstimationError(
            f"expected a numeric column for {label!r}, found dtype {series.dtype}; recode it to numbers or "
            f"write factor({label}) for categories"
        ) from None


class _Coded:
    """A variable on the data: its missing mask and, for a categorical one, level codes."""

    def __init__(self, variable: Variable, series: pd.Series, order: Sequence[Any] | None) -> None:
        self.variable = variable
        self.categorical = variable.as_factor or _is_categorical(series)
        if not self.categorical:
            self.values = _numbers(series, variable.label)
            self.missing = ~np.isfinite(self.values)
            if np.isinf(self.values).any():
                raise EstimationError(f"column {variable.column!r} holds infinite values; replace them")
            return
        if isinstance(series.dtype, pd.CategoricalDtype) and order is None:
            raw_levels = list(series.cat.categories)
            codes = series.cat.codes.to_numpy().astype(np.int64)
        else:
            # strings go through the design's C string hash table (numbered in order of appearance)
            codes, uniques = factorize_sorted(series, sort=False)
            raw_levels = list(uniques)
            if order is None:
                permutation = sorted(range(len(raw_levels)), key=lambda i: _sort_key(raw_levels[i]))
            else:
                texts = {_level_text(level): position for position, level in enumerate(order)}
                found = [_level_text(level) for level in raw_levels]
                extra = [text for text in found if text not in texts]
                if extra:
                    raise EstimationError(
                        f"levels= for {variable.label!r} lists {list(texts)} but the data also hold {extra}; "
                        "list every level (the first is the reference)"
                    )
                permutation = sorted(range(len(raw_levels)), key=lambda i: texts[found[i]])
            rank = np.empty(len(raw_levels), dtype=np.int64)
            rank[permutation] = np.arange(len(raw_levels))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1) if raw_levels else codes
            raw_levels = [raw_levels[i] for i in permutation]
        self.codes = codes
        self.missing = codes < 0  # factorize codes a missing value −1
        self.level_texts = [_level_text(level) for level in raw_levels]

    def restrict(self, used: np.ndarray) -> None:
        """Keep the levels present in the rows ``used`` (R would keep the others as aliased columns)."""
        if not self.categorical:
            return
        present = np.bincount(self.codes[used], minlength=len(self.level_texts)) > 0
        lookup = np.cumsum(present) - 1
        self.level_texts = [text for text, keep in zip(self.level_texts, present) if keep]
        safe = np.maximum(self.codes, 0)
        # a level seen only on rows outside the fit (zero weight) gets no column
        self.codes = np.where((self.codes >= 0) & present[safe], lookup[safe], -1)
        if len(self.level_texts) < 2:
            raise EstimationError(
                f"{self.variable.label!r} has {len(self.level_texts)} level(s) among the rows used "
                f"({self.level_texts}); a categorical variable needs at least two here: drop it or use a larger domain"
            )

    def names(self, full: bool) -> list[str]:
        if not self.categorical:
            return [self.variable.label]
        first = 0 if full else 1
        return [self.variable.label + text for text in self.level_texts[first:]]

    def fill(self, out: np.ndarray, rows: np.ndarray, full: bool) -> None:
        """Write the variable's columns for ``rows`` into ``out`` (len(rows) × len(names))."""
        if not self.categorical:
            out[:, 0] = self.values[rows]
            return
        codes = self.codes[rows]
        first = 0 if full else 1
        for column, level in enumerate(range(first, len(self.level_texts))):
            np.equal(codes, level, out=out[:, column], casting="unsafe")


def category_codes(series: pd.Series, label: str, *, levels: Sequence[Any] | None = None,
                   within: np.ndarray | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """A column as categories the way R's ``factor()`` sees it: integer codes (−1 = missing, or a level
    not present in the rows ``within``) and the level texts in order (``levels`` first, else sorted)."""
    coded = _Coded(Variable(label, str(series.name), True), series, levels)
    coded.restrict(~coded.missing if within is None else (~coded.missing & within))
    return coded.codes, tuple(coded.level_texts)


def _codings(formula: Formula, coded: Sequence[_Coded]) -> list[list[bool]]:
    """Per term, per variable: coded by all levels (True) or by contrasts (R's TermCode rule)."""
    seen: list[frozenset] = [frozenset()] if formula.intercept else []
    result = []
    for term in formula.terms:
        flags = []
        for variable in term:
            margin = frozenset(term) - {variable}
            full = coded[variable].categorical and margin and not any(margin <= earlier for earlier in seen)
            flags.append(bool(full))
        result.append(flags)
        seen.append(frozenset(term))
    if not formula.intercept:
        for term_index, term in enumerate(formula.terms):
            first = next((position for position, v in enumerate(term) if coded[v].categorical), None)
            if first is not None:
                result[term_index][first] = True
                break
    return result


def model_frame(formula: Formula | str, data: pd.DataFrame, *, weights: np.ndarray | None = None,
                levels: Mapping[str, Sequence[Any]] | None = None, within: np.ndarray | None = None) -> ModelFrame:
    """The model matrix of ``formula`` on the complete rows of ``data`` (see the module docstring).

    ``weights`` (optional, full length): levels are kept only when some complete row with a positive
    weight has them, so a domain (weights zero elsewhere) never produces an empty column.
    ``within`` (optional boolean mask): only these rows are considered at all.
    """
    if isinstance(formula, str):
        formula = parse_formula(formula)
    levels = dict(levels or {})
    needed = [v.column for v in formula.variables] + ([formula.response.column] if formula.response else [])
    missing_columns = sorted({c for c in needed if c not in data.columns})
    if missing_columns:
        shown = ", ".join(repr(str(c)) for c in list(data.columns)[:12])
        raise EstimationError(
            f"the formula {formula.text!r} names {', '.join(repr(c) for c in missing_columns)}, not in the data "
            f"(columns: {shown}{', …' if len(data.columns) > 12 else ''}); check the spelling"
        )
    coded = [
        _Coded(variable, data[variable.column], levels.get(variable.label, levels.get(variable.column)))
        for variable in formula.variables
    ]
    n = len(data)
    complete = np.ones(n, dtype=bool) if within is None else np.asarray(within, dtype=bool).copy()
    for item in coded:
        complete &= ~item.missing
    response = None
    if formula.response is not None:
        response_values = _response(data[formula.response.column], formula.response.label)
        complete &= ~np.isnan(response_values)
    used = complete if weights is None else (complete & (np.asarray(weights) > 0))
    if not used.any():
        raise EstimationError(
            f"no row has a value for every variable of {formula.text!r} (and a positive weight); "
            "check the columns for missing values"
        )
    for item in coded:
        item.restrict(used)
    rows = np.flatnonzero(complete)
    codings = _codings(formula, coded)
    names: list[str] = [INTERCEPT] if formula.intercept else []
    assign: list[int] = [0] if formula.intercept else []
    for term_index, (term, flags) in enumerate(zip(formula.terms, codings), start=1):
        term_names: list[str] = []
        for variable, full in zip(term, flags):  # the earlier variables vary fastest
            own = coded[variable].names(full)
            term_names = own if not term_names else [f"{a}:{b}" for b in own for a in term_names]
        names.extend(term_names)
        assign.extend([term_index] * len(term_names))
    matrix = np.empty((len(rows), len(names)))
    if formula.intercept:
        matrix[:, 0] = 1.0
    position = 1 if formula.intercept else 0
    for term, flags in zip(formula.terms, codings):
        width = int(np.prod([len(coded[v].names(full)) for v, full in zip(term, flags)]))
        target = matrix[:, position:position + width]
        if len(term) == 1:
            coded[term[0]].fill(target, rows, flags[0])
        else:
            block = None
            for variable, full in zip(term, flags):
                columns = np.empty((len(rows), len(coded[variable].names(full))))
                coded[variable].fill(columns, rows, full)
                # column j·a + i = earlier_i · this_j
                block = columns if block is None else (columns[:, :, None] * block[:, None, :]).reshape(len(rows), -1)
            target[:] = block
        position += width
    if formula.response is not None:
        response = response_values[rows]
    return ModelFrame(
        formula=formula, matrix=matrix, names=tuple(names), response=response, rows=rows, complete=complete,
        levels={item.variable.label: tuple(item.level_texts) for item in coded if item.categorical},
        assign=tuple(assign),
    )


def _response(series: pd.Series, label: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        if series.isna().any():
            return series.astype("float64").to_numpy(na_value=np.nan)
        return series.to_numpy(dtype=float)
    if _is_categorical(series) and not pd.api.types.is_object_dtype(series.dtype):
        raise EstimationError(
            f"the response {label!r} is categorical ({series.dtype}); recode it to numbers "
            "(e.g. 1 = satisfied, 0 = not)"
        )
    values = _numbers(series, label)
    if np.isinf(values).any():
        raise EstimationError(f"the response {label!r} holds infinite values; replace them")
    return values

