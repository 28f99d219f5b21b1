"""Reading one export: recognise the platform from its header signature, decode it, and return a
:class:`~surveys.ingest.raw.RawExport` (see the package docstring)."""
from __future__ import annotations

import os
import pathlib
from typing import Mapping, Sequence

from surveys.errors import IngestError
from surveys.ingest.detect import detect_from_bytes
from surveys.ingest.pair import pair_exports
from surveys.ingest.raw import RawExport
from surveys.ingest.readers import READERS, ReadOptions
from surveys.ingest.table import read_bytes

__all__ = ["read_export", "read_export_pair", "detect_platform", "read_with"]


def detect_platform(path: str | os.PathLike, *, encoding: str | None = None, sheet: str | None = None) -> str:
    """The platform name (a key of :data:`READERS`) recognised from the file's header signature.

    Raises :class:`IngestError` naming the file and the signatures expected when none matches, and
    for questionnaire definitions (``.lss``, XLSForm, form JSON): "not a response export".
    """
    path = pathlib.Path(path)
    platform, _ = detect_from_bytes(path, read_bytes(path), encoding=encoding, sheet=sheet)
    return platform


def read_export(path: str | os.PathLike, *, platform: str | None = None, encoding: str | None = None,
                sheet: str | None = None, coding: str | None = None, header_rows: int | None = None,
                skip_rows: int = 0, columns: Mapping[str, str] | None = None, not_asked: Sequence[str] = (),
                blank: Sequence[str] = ()) -> RawExport:
    """Read one export file completely; see :class:`ReadOptions` for the options.

    ``platform=None`` detects it (:func:`detect_platform`). Row accounting: ``len(result.answers)`` is
    the number of data rows in the file (header rows and trailing empty rows excluded); unparseable
    cells are kept and listed in ``result.problems``.
    """
    path = pathlib.Path(path)
    data = read_bytes(path)
    source = None
    if platform is None:
        platform, source = detect_from_bytes(path, data, encoding=encoding, sheet=sheet)
    options = ReadOptions(encoding=encoding, sheet=sheet, coding=coding, header_rows=header_rows,
                          skip_rows=skip_rows, columns=columns, not_asked=tuple(not_asked), blank=tuple(blank),
                          data=data, source=source)
    return read_with(path, platform, options)


def read_with(path: pathlib.Path, platform: str, options: ReadOptions) -> RawExport:
    """The export read by the platform's reader with ``options`` (e.g. a loaded table in ``options.source``); a
    layout no reader anticipated is an :class:`IngestError` naming the file."""
    reader = READERS.get(platform)
    if reader is None:
        raise IngestError(f"{path.name}: unknown platform {platform!r}; expected one of {sorted(READERS)}")
    try:
        return reader(path, options)
    except IngestError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeError, RecursionError) as error:
        # a layout no reader anticipated: report it against the file rather than crash the caller
        raise IngestError(f"{path.name}: cannot read it as a {platform} export ({type(error).__name__}: {error}); "
                          "check the platform and the file, or read it as a generic table (--platform generic on the command "
                          "line, platform: generic in a study spec)") from error


def read_export_pair(code_file: str | os.PathLike, text_file: str | os.PathLike, *, encoding: str | None = None,
                     sheet: str | None = None) -> RawExport:
    """The 问卷星 按选项序号 file's answers (codes) with labels taken from the 按选项文本 file.

    Both must be downloads of the same responses (same rows, same 序号). Questions gain
    ``value_labels`` (code → label); other-text comes from the text file.
    """
    codes = read_export(code_file, platform="wjx", encoding=encoding, sheet=sheet)
    labels = read_export(text_file, platform="wjx", encoding=encoding, sheet=sheet)
    if (codes.coding, labels.coding) == ("labels", "codes"):
        raise IngestError(f"{codes.path.name} looks like 按选项文本 (labels) and {labels.path.name} like 按选项序号 "
                          "(codes); expected the code file first; swap the two arguments")
    if codes.coding != "codes":
        codes = read_export(code_file, platform="wjx", coding="codes", encoding=encoding, sheet=sheet)
    if labels.coding != "labels":
        labels = read_export(text_file, platform="wjx", coding="labels", encoding=encoding, sheet=sheet)
    return pair_exports(codes, labels)
