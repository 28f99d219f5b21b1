"""Decoding export bytes: BOM sniffing, then strict UTF-8, then GB18030 (docs/formats.md §2.5, docs/needs.md §2).

Chinese Excel saves CSV as GBK without a BOM, newer platforms write UTF-8 with or without a BOM, and
Qualtrics' TSV is UTF-16. The order is: a BOM decides (UTF-8, UTF-16 LE/BE, UTF-32); without one,
UTF-16 is recognised from its zero bytes (the byte order whose decoding gives separators and line
breaks); otherwise strict UTF-8, then strict GB18030 (a superset of
GBK and GB2312). The name of the codec that succeeded is returned so the batch can record it.
Validated against public real exports (UTF-8 with BOM; read in place by the conformance tests) and synthetic UTF-8,
GB18030 and UTF-16 files in ``tests/test_ingest_encoding.py``.
"""
from __future__ import annotations

import codecs
import pathlib

from surveys.errors import IngestError

__all__ = ["decode_bytes", "FALLBACK_ENCODINGS", "NUL_REPLACEMENT"]

FALLBACK_ENCODINGS = ("utf-8", "gb18030")
# what a NUL inside a cell becomes, in CSV and workbook cells alike (a NUL truncates text in C tools)
NUL_REPLACEMENT = "\ufffd"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_STRUCTURE = (",", "\t", "\n", '"')
# UTF-16 text: at least this share of zero bytes, and of separators, quotes and line breaks among its characters
_UTF16_ZEROS = 0.02
_UTF16_STRUCTURE = 0.01
# a text export may hold a stray NUL (a byte flipped in transit, a control character pasted into an answer);
# more than this share of NUL characters means a binary file, not text
_NUL_SHARE = 0.01


def _sniff_bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _sniff_utf16_without_bom(data: bytes) -> str | None:
    # UTF-8 and GB18030 text never holds a zero byte; UTF-16 text holds one in every ASCII character (a
    # separator, a quote, a digit). Decode a sample both ways: the right byte order gives separators and line
    # breaks, the wrong one a run of unrelated CJK and Hangul code points without any.
    sample = data[:4000]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4 or sample.count(0) < _UTF16_ZEROS * len(sample):
        return None  # no zero bytes, or a stray one (a flipped byte) in UTF-8/GB18030 text
    best, best_score = None, _UTF16_STRUCTURE * len(sample) / 2
    for candidate in ("utf-16-le", "utf-16-be"):
        text = sample.decode(candidate, errors="replace")
        score = sum(text.count(mark) for mark in _STRUCTURE) - 4 * (text.count("\x00") + text.count("\ufffd"))
        if score >= best_score:
            best, best_score = candidate, score
    return best


def sniff_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark (or UTF-16's zero bytes) names at the start of ``data``, if any."""
    return _sniff_bom(data) or _sniff_utf16_without_bom(data)


def decode_bytes(data: bytes, path: pathlib.Path, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding used)``; an explicit ``encoding`` is tried alone.

    A NUL character inside the text becomes U+FFFD (as in a workbook cell, :mod:`surveys.ingest.table`).
    Raises :class:`IngestError` naming the file when no candidate decodes it, or when more than 1% of the
    text is NUL characters (a binary file given as text).
    """
    if encoding is not None:
        candidates: tuple[str, ...] = (encoding,)
    else:
        sniffed = sniff_encoding(data)
        candidates = (sniffed,) if sniffed else FALLBACK_ENCODINGS
    failures = []
    for candidate in candidates:
        try:
            text = data.decode(candidate, errors="strict")
        except LookupError as error:
            raise IngestError(f"{path.name}: unknown encoding {candidate!r} ({error}); "
                              "pass one Python knows, e.g. 'utf-8' or 'gb18030'") from None
        except UnicodeDecodeError as error:
            failures.append(f"{candidate} fails at byte {error.start}")
            continue
        nuls = text.count("\x00")
        if nuls > _NUL_SHARE * len(text):
            raise IngestError(f"{path.name}: expected a text export (CSV), found binary content ({nuls} NUL "
                              f"characters in {len(text)} after decoding as {candidate}); check that the file is the "
                              "export itself, or give a workbook the .xlsx/.xls extension")
        return (text.replace("\x00", NUL_REPLACEMENT) if nuls else text), candidate
    raise IngestError(f"{path.name}: cannot decode the file as text ({'; '.join(failures)}); expected UTF-8 or "
                      "GB18030 (GBK); re-save it as UTF-8 or pass encoding='...'")
