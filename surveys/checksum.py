"""SHA-256 fingerprints: the one digest the store, the demo manifest and the report's file list compare.

A file is hashed in blocks of 1 MiB, so a million-row export is fingerprinted without being held in memory;
bytes already read (a workbook, an SPSS file) are hashed as they are. Both give the lowercase hex digest
that ``sha256sum`` prints, so an analyst can check a reported file by hand.
"""
from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_bytes", "sha256_file"]

_BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes as lowercase hex, read in blocks (``OSError`` if it cannot be read)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
