"""The registry of export readers: platform name → one function ``(path, options) -> RawExport``.

Adding a platform is adding a module with a reader and a line here (and, if its header signature
is distinctive, a test in :mod:`surveys.ingest.detect`).
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from surveys.errors import IngestError
from surveys.ingest.generic import read_generic
from surveys.ingest.jinshuju import read_jinshuju
from surveys.ingest.qualtrics import read_qualtrics
from surveys.ingest.raw import RawExport
from surveys.ingest.spss import read_spss
from surveys.ingest.table import SourceTable, load_table, read_bytes
from surveys.ingest.tencent import read_tencent
from surveys.ingest.wjx import read_wjx

__all__ = ["ReadOptions", "READERS", "Reader"]


@dataclass(frozen=True)
class ReadOptions:
    """Everything a reader may be told; each reader uses the options that apply to its platform.

    ``encoding``: force a text encoding (CSV) or the SPSS file encoding. ``sheet``: the workbook sheet
    (default: the first). ``coding``: 问卷星 ``"labels"`` / ``"codes"`` when detection should be
    overridden. ``header_rows`` / ``skip_rows`` / ``columns`` / ``not_asked`` / ``blank``: the generic
    reader's layout (``header_rows`` also overrides Qualtrics' 3/2). ``data``: the file's bytes when
    they were already read (so the file is read once and the sha256 is of what was parsed).
    """

    encoding: str | None = None
    sheet: str | None = None
    coding: str | None = None
    header_rows: int | None = None
    skip_rows: int = 0
    columns: Mapping[str, str] | None = None
    not_asked: Sequence[str] = ()
    blank: Sequence[str] = ()
    data: bytes | None = field(default=None, repr=False)
    source: SourceTable | None = field(default=None, repr=False)


Reader = Callable[[pathlib.Path, ReadOptions], RawExport]


def _table(path: pathlib.Path, options: ReadOptions) -> SourceTable:
    if options.source is not None:
        return options.source
    return load_table(path, encoding=options.encoding, sheet=options.sheet, data=options.data)


def _wjx(path: pathlib.Path, options: ReadOptions) -> RawExport:
    return read_wjx(_table(path, options), coding=options.coding)


def _tencent(path: pathlib.Path, options: ReadOptions) -> RawExport:
    return read_tencent(_table(path, options))


def _jinshuju(path: pathlib.Path, options: ReadOptions) -> RawExport:
    return read_jinshuju(_table(path, options))


def _qualtrics(path: pathlib.Path, options: ReadOptions) -> RawExport:
    return read_qualtrics(_table(path, options), header_rows=options.header_rows)


def _spss(path: pathlib.Path, options: ReadOptions) -> RawExport:
    data = read_bytes(path) if options.data is None else options.data
    return read_spss(path, data, encoding=options.encoding)


def _generic(path: pathlib.Path, options: ReadOptions) -> RawExport:
    if options.columns is not None and not isinstance(options.columns, Mapping):
        raise IngestError(f"{path.name}: columns must be a mapping {{file header: name}}; "
                          f"found {type(options.columns).__name__}")
    return read_generic(_table(path, options), header_rows=options.header_rows, columns=options.columns,
                        skip_rows=options.skip_rows, not_asked=options.not_asked, blank=options.blank)


READERS: Mapping[str, Reader] = MappingProxyType({
    "wjx": _wjx,
    "tencent": _tencent,
    "jinshuju": _jinshuju,
    "qualtrics": _qualtrics,
    "spss": _spss,
    "generic": _generic,
})
