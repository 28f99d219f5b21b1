"""Reading the exports analysts receive: one reader per platform, chosen from the header signature.

``read_export(path)`` recognises the platform (问卷星, 腾讯问卷, 金数据, Qualtrics, SPSS; or
``platform="generic"`` with a layout and a column mapping), decodes the file (BOM, UTF-8, GB18030),
and returns a :class:`RawExport`: provenance (sha256, encoding, sheet), meta columns normalised by
name, the questions as the file presents them, and one answers row per data row of the file.
``read_export_pair(code_file, text_file)`` reads the 问卷星 按选项序号 and 按选项文本 downloads of one
survey together. Every failure is an :class:`~surveys.errors.IngestError` naming the file.
"""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "read_export": "surveys.ingest.reading",
    "read_export_pair": "surveys.ingest.reading",
    "detect_platform": "surveys.ingest.reading",
    "find_pairs": "surveys.ingest.pair",
    "alignment_problem": "surveys.ingest.pair",
    "pair_exports": "surveys.ingest.pair",
    "READERS": "surveys.ingest.readers",
    "ReadOptions": "surveys.ingest.readers",
    "RawExport": "surveys.ingest.raw",
    "RawQuestion": "surveys.ingest.raw",
    "ParseProblem": "surveys.ingest.raw",
    "NOT_ASKED": "surveys.ingest.raw",
    "KINDS": "surveys.ingest.raw",
    "NOT_A_RESPONSE_EXPORT": "surveys.ingest.detect",
})
