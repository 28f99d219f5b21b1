"""Where the demo's files go: every write is recorded with its kind, rows and sha256 for the manifest."""
from __future__ import annotations

import pathlib
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from surveys.checksum import sha256_bytes
from surveys.demo.files import ExportTable, csv_text, xlsx_bytes

__all__ = ["ManifestEntry", "FlawRecord", "DemoOutput"]


@dataclass(frozen=True)
class ManifestEntry:
    """One written file. ``rows`` counts data rows (header excluded; for JSON/YAML: 0)."""

    path: str
    kind: str
    platform: str
    encoding: str
    rows: int
    sha256: str
    questionnaire: str = ""
    mode: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FlawRecord:
    """A flaw planted in an export: ``row`` is the 1-based data row (the header is row 0).

    ``record`` is the row's own key (问卷星 序号, 腾讯问卷 编号, paper 表单编号, proposal number);
    ``item`` the questionnaire item and ``column`` that file's header for it, when the flaw is a cell.
    """

    export: str
    row: int
    record: str
    kind: str
    item: str = ""
    column: str = ""
    detail: str = ""


class DemoOutput:
    """Writes files under ``out_dir`` and remembers each one (and the in-memory table it came from)."""

    def __init__(self, out_dir: pathlib.Path) -> None:
        self.out_dir = out_dir
        self.entries: list[ManifestEntry] = []
        self.tables: dict[str, ExportTable] = {}

    def _store(self, relative: str, data: bytes, **fields) -> ManifestEntry:
        path = self.out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entry = ManifestEntry(path=relative, sha256=sha256_bytes(data), **fields)
        self.entries.append(entry)
        return entry

    def xlsx(self, relative: str, tables: Sequence[ExportTable], *, kind: str, platform: str,
             questionnaire: str = "", mode: str = "") -> ManifestEntry:
        self.tables[relative] = tables[0]
        return self._store(relative, xlsx_bytes(tables), kind=kind, platform=platform, encoding="xlsx",
                           rows=len(tables[0].rows), questionnaire=questionnaire, mode=mode)

    def csv(self, relative: str, table: ExportTable, *, kind: str, platform: str, encoding: str = "utf-8",
            questionnaire: str = "", mode: str = "", comments: Sequence[str] = (), **layout) -> ManifestEntry:
        self.tables[relative] = table
        text = "".join(f"# {line}\n" for line in comments) + csv_text(table, **layout)
        return self._store(relative, text.encode(encoding), kind=kind, platform=platform, encoding=encoding,
                           rows=len(table.rows), questionnaire=questionnaire, mode=mode)

    def text(self, relative: str, text: str, *, kind: str, rows: int = 0, encoding: str = "utf-8") -> ManifestEntry:
        return self._store(relative, text.encode(encoding), kind=kind, platform="", encoding=encoding, rows=rows)

    def by_path(self) -> Mapping[str, ManifestEntry]:
        return {entry.path: entry for entry in self.entries}
