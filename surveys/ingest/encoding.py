"""Decoding export bytes: BOM sniffing, then strict UTF-8, then GB18030 (FORMATS.md §2.5, NEEDS.md §2).

Chinese Excel saves CSV as GBK without a BOM, newer platforms write UTF-8 with or without a BOM, and
Qualtrics' TSV is UTF-16. The order is: a BOM decides (UTF-8, UTF-16 LE/BE, UTF-32); without one,
UTF-16 is recognised from its zero bytes; otherwise strict UTF-8, then strict GB18030 (a superset of
GBK and GB2312). The name of the codec that succeeded is returned so the batch can record it.
Validated against the real exports in ``shared/real-exports`` (UTF-8 with BOM) and synthetic UTF-8,
GB18030 and UTF-16 files in ``tests/test_ingest_encoding.py``.
"""
from __future__ import annotations

import codecs
import pathlib

from surveys.errors import IngestError

__all__ = ["decode_bytes", "FALLBACK_ENCODINGS"]

FALLBACK_ENCODINGS = ("utf-8", "gb18030")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _sniff_bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _sniff_utf16_without_bom(data: bytes) -> str | None:
    # ASCII-heavy UTF-16 text has a zero in every other byte; GB18030/UTF-8 text never contains zeros.
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.3 * half and even_zeros == 0:
        return "utf-16-le"
    if even_zeros > 0.3 * half and odd_zeros == 0:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: pathlib.Path, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding used)``; an explicit ``encoding`` is tried alone.

    Raises :class:`IngestError` naming the file when no candidate decodes it, or when the text holds
    NUL characters (a binary file given as text).
    """
    if encoding is not None:
        candidates: tuple[str, ...] = (encoding,)
    else:
        sniffed = _sniff_bom(data) or _sniff_utf16_without_bom(data)
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
        if "\x00" in text:
            raise IngestError(f"{path.name}: expected a text export (CSV), found binary content (NUL characters "
                              f"after decoding as {candidate}); check that the file is the export itself, or give "
                              "a workbook the .xlsx/.xls extension")
        return text, candidate
    raise IngestError(f"{path.name}: cannot decode the file as text ({'; '.join(failures)}); expected UTF-8 or "
                      "GB18030 (GBK); re-save it as UTF-8 or pass encoding='...'")
