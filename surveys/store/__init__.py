"""The response store (SQLite): every row read, accepted or rejected with its reasons, one transaction per
ingest, idempotent by file hash; the pseudonym key lives outside it (:mod:`surveys.ingest.pseudonym_key`)."""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "Store": "surveys.store.database",
    "BatchResult": "surveys.store.database",
    "ingest_files": "surveys.store.database",
    "export_workbook": "surveys.store.database",
})
