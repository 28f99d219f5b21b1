"""Large 问卷星 exports for the ingestion benchmark: the demo city's market-supervision export, repeated.

    .venv/bin/python bench/exports.py --rows 100000 --format csv --out bench/results/exports

The template is the demo's 按选项文本 (or ``--coding codes``: 按选项序号) download of the market-supervision
survey (915 respondents, 16 questions, 22 columns). Copy ``c`` of the template gets 序号 ``c * 915 + i``
(unique), submission times shifted by ``c`` minutes and an IP address made from the row number (so the
copies are distinct respondents, not duplicate submissions; the IP's 省-市 is kept). The rows are
written as they are generated (CSV through :mod:`csv`, xlsx through openpyxl's write-only workbook), so
generating 1M rows holds one template in memory, not the file. Files are cached by name in ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import pathlib
import sys
import tempfile
from typing import Iterator, Sequence

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATE_INSTRUMENT = "market_supervision"
_CODINGS = {"labels": "_0_", "codes": "_2_"}


def template(coding: str = "labels") -> tuple[list[str], list[list[object]]]:
    """The header and data rows of the demo's market-supervision 问卷星 export (generated, not stored)."""
    from python_calamine import CalamineWorkbook

    from surveys.demo import generate_demo

    with tempfile.TemporaryDirectory() as folder:
        manifest = generate_demo(pathlib.Path(folder) / "city", instruments=[TEMPLATE_INSTRUMENT])
        found = sorted(manifest.out_dir.glob(f"online/wjx/*{_CODINGS[coding]}{TEMPLATE_INSTRUMENT}_*.xlsx"))
        rows = CalamineWorkbook.from_path(str(found[0])).get_sheet_by_index(0).to_python()
    return [str(cell) for cell in rows[0]], [list(row) for row in rows[1:]]


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def rows(header: Sequence[str], body: Sequence[Sequence[object]], count: int) -> Iterator[list[str]]:
    """``count`` data rows as text cells: the template repeated with unique 序号, times and IPs."""
    number, submitted, ip = header.index("序号"), header.index("提交答卷时间"), header.index("来自IP")
    for row_number in range(count):
        copy, line = divmod(row_number, len(body))
        cells = [_text(cell) for cell in body[line]]
        cells[number] = str(row_number + 1)
        when = datetime.datetime.strptime(cells[submitted], "%Y/%m/%d %H:%M:%S") + datetime.timedelta(minutes=copy)
        cells[submitted] = when.strftime("%Y/%m/%d %H:%M:%S")
        place = cells[ip][cells[ip].find("("):] if "(" in cells[ip] else ""
        cells[ip] = f"10.{row_number >> 16 & 255}.{row_number >> 8 & 255}.{row_number & 255}{place}"
        yield cells


def write_csv(path: pathlib.Path, header: Sequence[str], body, count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows(header, body, count))


def write_xlsx(path: pathlib.Path, header: Sequence[str], body, count: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(list(header))
    for cells in rows(header, body, count):
        sheet.append([int(cell) if cell.isdigit() and len(cell) < 15 else cell for cell in cells])
    workbook.save(path)


def export(rows_wanted: int, fmt: str, out: pathlib.Path, coding: str = "labels") -> pathlib.Path:
    """The path of a ``rows_wanted``-row export in ``fmt`` (``csv`` or ``xlsx``), generated once into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"wjx_{TEMPLATE_INSTRUMENT}_{coding}_{rows_wanted}.{fmt}"
    if path.exists():
        return path
    header, body = template(coding)
    partial = path.with_suffix(f".partial.{fmt}")
    (write_csv if fmt == "csv" else write_xlsx)(partial, header, body, rows_wanted)
    partial.rename(path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--coding", choices=tuple(_CODINGS), default="labels")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "results" / "exports")
    args = parser.parse_args(argv)
    print(export(args.rows, args.format, args.out, args.coding))
    return 0


if __name__ == "__main__":
    sys.exit(main())
