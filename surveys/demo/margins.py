"""Write population margins in the project's margin-file format.

Format (fixed by the lead; the weighting area reads it): CSV, UTF-8, one row per population cell, columns
``variable,category,population,share,source,as_of``. ``variable`` is a weighting-variable id, or several
joined by ``+`` for a cross-classified table; ``category`` is the category code, or the codes joined by
``|`` in the order of ``variable``; each variable block gives either counts (``population``) or 0–1
shares (``share``), never both. Lines starting with ``#`` are comments.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

import pandas as pd

__all__ = ["MARGIN_COLUMNS", "margin_rows", "margins_csv"]

MARGIN_COLUMNS = ("variable", "category", "population", "share", "source", "as_of")


def margin_rows(table: pd.DataFrame, variables: Sequence[str], count_column: str, source: str,
                as_of: str, *, as_share: bool = False) -> list[tuple]:
    """One margin block: the population of ``table`` summed by ``variables`` (joined by ``+``)."""
    totals = table.groupby(list(variables), sort=True)[count_column].sum()
    grand_total = float(totals.sum())
    rows = []
    for key, count in totals.items():
        codes = key if isinstance(key, tuple) else (key,)
        category = "|".join(str(int(code)) for code in codes)
        if as_share:
            rows.append(("+".join(variables), category, "", repr(round(count / grand_total, 12)), source, as_of))
        else:
            rows.append(("+".join(variables), category, str(int(count)), "", source, as_of))
    return rows


def margins_csv(blocks: Iterable[list[tuple]], comments: Sequence[str] = ()) -> str:
    """The text of a margin file: ``#`` comment lines, the header, then every block in order."""
    buffer = io.StringIO()
    for comment in comments:
        buffer.write(f"# {comment}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MARGIN_COLUMNS)
    for block in blocks:
        writer.writerows(block)
    return buffer.getvalue()
