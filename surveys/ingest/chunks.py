"""Reading a large export in chunks of rows, so that memory is bounded by the chunk, not the file.

:func:`read_chunks` streams a 问卷星 or 腾讯问卷 export (CSV decoded as it is read, or a workbook's rows as
python-calamine gives them) in chunks of :data:`CHUNK_ROWS` data rows. Each chunk is read by the platform's own
reader into a :class:`~surveys.ingest.raw.RawExport` whose rows keep their numbers in the file (the header is
repeated at the top of every chunk; ``row_offset`` counts the rows before it), so a chunk reads exactly as the
same rows of the whole file would.

A reader decides some things from the whole column: the kind of a question whose header does not state it
(labels joined by ``┋`` make a multiple choice), whether an option group holds a fill-in column, which columns are
empty, the 文本/序号 coding (from the first 2,000 rows). The first chunk decides; every later chunk is read with
the first chunk's coding and must come out with the same questions (keys, kinds, columns), or
:class:`ChunkMismatch` is raised and the caller reads the file whole, as it would have without chunks. A file
of at most one chunk is read exactly as :func:`surveys.ingest.read_export` reads it.

Files read whole instead (:func:`read_chunks` returns None): other platforms (their header blocks and options
vary), SPSS, text that does not decode as one encoding from start to end or that holds NUL characters, and
files whose first row is blank; those go through :func:`surveys.ingest.read_export`, which also gives their
errors.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import itertools
import pathlib
from dataclasses import dataclass
from typing import Any, Iterator

from surveys.checksum import sha256_bytes
from surveys.errors import IngestError
from surveys.ingest.detect import detect_from_table
from surveys.ingest.encoding import FALLBACK_ENCODINGS, sniff_encoding
from surveys.ingest.raw import RawExport
from surveys.ingest.readers import ReadOptions
from surveys.ingest.reading import read_with
from surveys.ingest.table import (
    MAX_COLUMNS,
    SourceTable,
    blank_as_empty,
    cell_text,
    container_of,
    delimiter_of,
    file_sha256,
    long_number_problems,
    read_bytes,
)
from surveys.ingest.workbook import open_sheet

__all__ = ["CHUNK_ROWS", "STREAMED_PLATFORMS", "ChunkMismatch", "ChunkedExport", "read_chunks"]

# 25,000 rows: large enough that the first chunk tells a column's kind as the whole file would, small enough
# that the reading process and this one together stay near 1 GB on a million rows (two chunks in flight each)
CHUNK_ROWS = 25_000
STREAMED_PLATFORMS = ("wjx", "tencent")
_BLOCK = 1 << 20


class ChunkMismatch(Exception):
    """A later chunk read with other questions than the first: the file must be read whole."""


@dataclass
class ChunkedExport:
    """The first chunk of a file (its provenance, questions and coding stand for the whole file) and an iterator
    over the later ones (each checked against the first; :class:`ChunkMismatch` when one differs)."""

    first: RawExport
    rest: Iterator[RawExport]
    bytes_total: int

    def chunks(self) -> Iterator[RawExport]:
        yield self.first
        yield from self.rest


def _decodes(path: pathlib.Path, encoding: str) -> bool:
    """The whole file decodes as ``encoding`` without a NUL character (read block by block)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                if "\x00" in decoder.decode(block):
                    return False
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _text_encoding(path: pathlib.Path, head: bytes, encoding: str | None) -> str | None:
    """The encoding the whole-file reader would choose (:func:`surveys.ingest.encoding.decode_bytes`: the one
    given, else the one a byte-order mark names, else UTF-8, then GB18030), when the file decodes as it from
    start to end without a NUL character; None otherwise."""
    candidates = (encoding,) if encoding is not None else (
        (sniff_encoding(head),) if sniff_encoding(head) else FALLBACK_ENCODINGS)
    return next((candidate for candidate in candidates if _decodes(path, candidate)), None)


def _text_rows(path: pathlib.Path, encoding: str, size: int, batch: int) -> Iterator[list[list[str]]]:
    """The CSV's rows as the csv module gives them (lists of text cells), ``batch`` rows at a time."""
    with open(path, encoding=encoding, newline="") as handle:
        first_line = handle.readline()
        handle.seek(0)
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, size + 1))
        try:
            reader = csv.reader(handle, delimiter=delimiter_of(first_line), strict=False)
            yield from iter(lambda: list(itertools.islice(reader, batch)), [])
        except csv.Error as error:
            raise IngestError(f"{path.name}: not a readable CSV ({error}); expected comma- or tab-separated text "
                              "as exported by the survey platform") from None
        finally:
            csv.field_size_limit(limit)


def _text_cells(path: pathlib.Path):
    """Rows of the csv module as a table's rows (a blank one as ``()``), refusing a line wider than a sheet."""
    def convert(rows: list, header: tuple, first_line: int) -> tuple[list[tuple[str, ...]], list]:
        if rows and max(map(len, rows)) > MAX_COLUMNS:
            offset, row = next((offset, row) for offset, row in enumerate(rows) if len(row) > MAX_COLUMNS)
            raise IngestError(f"{path.name}: line {first_line + offset} has {len(row):,} cells; the reader reads at "
                              f"most {MAX_COLUMNS:,} columns (a spreadsheet's limit); the separators may be unquoted "
                              "inside a text answer: export the file again, or correct that line")
        return [tuple(row) if "".join(row).strip() else () for row in rows], []
    return convert


def _workbook_cells(rows: list, header: tuple, first_line: int) -> tuple[list[tuple[str, ...]], list]:
    """Workbook rows (calamine values) as text cells, with the notes on long numbers (numbered in the table)."""
    cells, problems = [], []
    for offset, values in enumerate(rows):
        row = blank_as_empty(tuple(map(cell_text, values)))
        cells.append(row)
        if row and header:
            problems += long_number_problems(values, header, offset + 1)
    return cells, problems


def _batches(rows: Iterator[Any], size: int) -> Iterator[list]:
    return iter(lambda: list(itertools.islice(rows, size)), [])


def _chunk_tables(batches: Iterator[list], convert, path: pathlib.Path, digest: str, encoding: str,
                  sheet: str | None, container: str, chunk_rows: int) -> Iterator[SourceTable]:
    """SourceTables of the header and ``chunk_rows`` rows each (the last one up to 1.5 times that: a short tail
    is joined to the chunk before it, so that no chunk judges a column on a handful of rows); blank rows between
    data rows are kept, those after the last data row are not (as :func:`surveys.ingest.table.load_table` drops
    them). ``batches`` give the raw rows ``chunk_rows`` at a time; ``convert(raw rows, header, first line)``
    gives them as text cells and their notes (numbered from 1 under the header)."""
    rows = itertools.chain.from_iterable(batches)
    first = next(rows, None)
    if first is None:
        return
    header = convert([first], (), 1)[0][0]
    if not header:
        raise ChunkMismatch("the first row is blank")

    def table(cells: list, problems: list, offset: int) -> SourceTable:
        return SourceTable(path, digest, encoding, sheet, container, (header, *cells), tuple(problems), offset)

    held: tuple[list, list] | None = None   # the last full chunk, kept until the next one shows it is not the last
    offset, line = 0, 2
    while True:
        raw = list(itertools.islice(rows, chunk_rows))
        cells, problems = convert(raw, header, line)
        line += len(raw)
        if len(raw) < chunk_rows:   # the end of the file
            while cells and not cells[-1]:
                cells.pop()
            if held is not None and sum(map(bool, cells)) < chunk_rows // 2:
                shift = len(held[0])
                cells = held[0] + cells
                problems = held[1] + [dataclasses.replace(p, row=p.row + shift) for p in problems]
            elif held is not None:
                yield table(*held, offset)
                offset += len(held[0])
            if cells or not offset:
                yield table(cells, problems, offset)
            return
        if held is not None:
            yield table(*held, offset)
            offset += len(held[0])
        held = (cells, problems)


def _tables(path: pathlib.Path, head: bytes, encoding: str | None, sheet: str | None,
            chunk_rows: int) -> tuple[Iterator[SourceTable], int] | None:
    container = container_of(head, path)
    if container == "sav":
        return None
    size = path.stat().st_size
    if container == "text":
        stripped = head[:2000].lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith((b"<", b"{", b"[")):
            return None   # a definition file: read whole, which names it
        used = _text_encoding(path, head, encoding)
        if used is None:
            return None
        digest = file_sha256(path)
        return _chunk_tables(_text_rows(path, used, size, chunk_rows), _text_cells(path), path, digest, used, None,
                             "text", chunk_rows), size
    data = read_bytes(path)
    chosen, rows = open_sheet(data, path, container, sheet)
    digest = sha256_bytes(data)
    return _chunk_tables(_batches(rows, chunk_rows), _workbook_cells, path, digest, container, chosen, container,
                         chunk_rows), size


def _shape(raw: RawExport) -> tuple:
    """What must agree between chunks: the coding, the meta columns and the questions (their options aside:
    the labels a chunk happens to show)."""
    return (raw.coding, tuple(raw.meta_columns.items()),
            tuple(dataclasses.replace(question, options=()) for question in raw.questions))


def read_chunks(path: str | pathlib.Path, *, platform: str | None = None, encoding: str | None = None,
                sheet: str | None = None, coding: str | None = None,
                chunk_rows: int | None = None) -> ChunkedExport | None:
    """The export at ``path`` in chunks of ``chunk_rows`` data rows (default :data:`CHUNK_ROWS`), or None when it
    is read whole (see the module docstring). ``platform`` forces the reader (else the header signature decides)."""
    path = pathlib.Path(path)
    chunk_rows = chunk_rows or CHUNK_ROWS
    if platform is not None and platform not in STREAMED_PLATFORMS:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return None   # read whole, which words the error
    found = _tables(path, head, encoding, sheet, chunk_rows)
    if found is None:
        return None
    tables, size = found
    try:
        first_table = next(tables)
    except (ChunkMismatch, StopIteration):
        return None   # an empty file or a blank first row: read whole, which words it
    chosen = platform or _platform_of(first_table)
    if chosen not in STREAMED_PLATFORMS:
        return None
    options = ReadOptions(encoding=encoding, sheet=sheet, coding=coding)
    first = read_with(path, chosen, dataclasses.replace(options, source=first_table))
    shape = _shape(first)

    def rest() -> Iterator[RawExport]:
        later = dataclasses.replace(options, coding=first.coding)
        for table in tables:
            chunk = read_with(path, chosen, dataclasses.replace(later, source=table))
            if _shape(chunk) != shape:
                raise ChunkMismatch(f"{path.name}: rows from {table.row_offset + 1} read with other questions")
            yield chunk

    return ChunkedExport(first, rest(), size)


def _platform_of(table: SourceTable) -> str | None:
    try:
        return detect_from_table(table)
    except IngestError:
        return None   # read whole: the generic reader may take it, or the error is worded there
