"""Hostile variants of the demo city's exports, for the regression and fuzz tests of malformed input, and a
watchdog that turns a hang into a test failure.

Every variant starts from a file the demo generator wrote (``generate_demo``), so a test shows the finding on
an export of the kind a city office really receives: a 腾讯问卷 CSV, a 问卷星 xlsx, a paper data-entry workbook.
CSV variants are edited as rows of text cells; xlsx variants either through openpyxl (a changed cell value) or
by editing the worksheet XML inside the zip (a cell far outside the data, which openpyxl would not write).
"""
from __future__ import annotations

import contextlib
import csv
import io
import pathlib
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from typing import Iterator, Sequence

import openpyxl

from surveys.demo import generate_demo

SCALE = 0.15
TENCENT = "online/tencent/social_stability_tencent.csv"
PAPER = "paper/grassroots_governance_entry_A.xlsx"
QUESTIONNAIRES = pathlib.Path(__file__).resolve().parents[1] / "questionnaires"


def make_city(folder: pathlib.Path) -> pathlib.Path:
    """The demo city's exports (small sample) in ``folder``; returns the folder."""
    generate_demo(folder, sample_scale=SCALE)
    return folder


def copy_city(city: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """A private copy of a generated city (tests that change its files must not share them)."""
    shutil.copytree(city, folder)
    return folder


def wjx_text(city: pathlib.Path) -> pathlib.Path:
    """The 问卷星 按选项文本 export of the grassroots-governance survey."""
    return next(city.glob("online/wjx/*_0_grassroots_governance_*.xlsx"))


def questionnaire_of(path: pathlib.Path) -> pathlib.Path:
    """The bundled questionnaire a demo export belongs to (by its file name)."""
    for candidate in sorted(QUESTIONNAIRES.glob("*.yaml")):
        if candidate.stem in path.name:
            return candidate
    raise LookupError(path.name)


class Hang(Exception):
    """A case ran past its watchdog: a hang, reported as a failure instead of stalling the suite."""


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the block when it runs longer than ``seconds`` (SIGALRM; the main thread only).

    Not a speed test: the limit is two orders of magnitude above what the block needs, so only a hang
    (quadratic work, an endless loop) trips it.
    """
    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def surveys_process(*arguments, memory: int = 4 << 30, seconds: float = 300) -> tuple[int, str]:
    """``python -m surveys ARGS`` in a child process with an address-space limit (a native abort or a runaway
    allocation must not take the test run with it): (exit status, stderr)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    done = subprocess.run([sys.executable, "-m", "surveys", *map(str, arguments)], capture_output=True, text=True,
                          timeout=seconds, preexec_fn=limit)
    return done.returncode, done.stderr


# ------------------------------------------------------------------------------------------ CSV

def csv_rows(path: pathlib.Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    return [list(row) for row in csv.reader(io.StringIO(path.read_text(encoding=encoding), newline=""))]


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def column(rows: Sequence[Sequence[str]], starts: str) -> int:
    """The index of the first header starting with ``starts`` (question numbers: ``"2."``)."""
    return next(index for index, header in enumerate(rows[0]) if header.startswith(starts))


def with_cell(rows: Sequence[Sequence[str]], row: int, index: int, value: str) -> list[list[str]]:
    """A copy of ``rows`` with data row ``row`` (1 = first under the header) changed at column ``index``."""
    changed = [list(line) for line in rows]
    changed[row][index] = value
    return changed


# ------------------------------------------------------------------------------------------ xlsx

def xlsx_with_cell(source: pathlib.Path, target: pathlib.Path, row: int, column_index: int, value) -> pathlib.Path:
    """``source`` saved as ``target`` with the cell at (1-based sheet ``row``, ``column_index``) set to ``value``."""
    workbook = openpyxl.load_workbook(source)
    workbook.active.cell(row=row, column=column_index).value = value
    workbook.save(target)
    return target


def xlsx_rows(path: pathlib.Path) -> list[tuple]:
    """The values of every row of the first sheet (header included)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(cell.value for cell in row) for row in workbook.active.iter_rows()]
    workbook.close()
    return rows


def xlsx_headers(path: pathlib.Path) -> list[str]:
    return [str(value or "") for value in xlsx_rows(path)[0]]


def xlsx_with_far_cell(source: pathlib.Path, target: pathlib.Path, reference: str, value: str = "x", *,
                       dimension: str | None = None) -> pathlib.Path:
    """``source`` with one inline-string cell added at ``reference`` (e.g. ``XFD1048576``) by editing the sheet
    XML, and optionally a ``<dimension ref=…>`` claiming an area: a file of ~the same size as the original."""
    row = re.fullmatch(r"[A-Z]+(\d+)", reference).group(1)
    cell = f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c></row>'
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r"<dimension [^>]*/>", "", data.decode("utf-8"))
                if dimension:
                    text = text.replace("<sheetData>", f'<dimension ref="{dimension}"/><sheetData>', 1)
                data = text.replace("</sheetData>", cell + "</sheetData>").encode("utf-8")
            changed.writestr(item, data)
    return target
