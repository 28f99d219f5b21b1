"""Fuzzing ``surveys ingest`` with hostile variants of the demo city's exports (issue 12).

The corpus is fixed: a seeded list of mutations (truncations, byte flips, far cells, huge cells, encodings,
formula text, blank rows, control characters, repeated headers, junk), each applied at test time to one of the
demo's exports (腾讯问卷 CSV, 问卷星 text and code xlsx, a paper data-entry workbook). Every case must end in one
of two ways, within its watchdog:

- exit 0 with the accounting right: for each file ``rows_read = accepted + rejected``, the store holding
  exactly those rows, and, where the mutation keeps every respondent (blank rows, encodings, formula text,
  huge or control-character cells), the same respondents as the original file;
- exit 2 with ``error: `` naming the file, and nothing stored;

never a traceback, a hang or a native abort (cases that could abort run in a child process with a memory
limit). The first case of each kind and source runs in the fast suite, each as its own test; the rest of the
corpus is one ``slow`` test, which prints its outcome table (:func:`outcome_table`). Another ``slow`` test reads
the fast cases again in chunks of seven rows by a forked reading process (issue 15's path for large files) and
requires the same outcome as the file read whole.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import io
import json
import pathlib
import random
import re
import sqlite3
import traceback
import zipfile

import openpyxl
import pytest
from hostile_input import (
    PAPER,
    TENCENT,
    Hang,
    csv_bytes,
    csv_rows,
    questionnaire_of,
    surveys_process,
    watchdog,
    with_cell,
    wjx_text,
    xlsx_with_far_cell,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.cli import main

SEED = 20261012
WATCHDOG_SECONDS = 60  # a case takes well under a second; only a hang reaches this
SOURCES = ("tencent", "wjx", "wjx_code", "paper")
FORMULAS = ("=1+1", '=HYPERLINK("http://example.invalid","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1", "\r=1")
CONTROLS = ("\x00", "\x0b", "\x1b[31m", "\x7f", "\ud7ff\ufffe", "\u202e")
# what XML 1.0 cannot hold (openpyxl with lxml refuses U+FFFE too); Excel writes each as _xHHHH_
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclasses.dataclass(frozen=True)
class Case:
    """One mutation of one demo export; ``keeps``: it keeps every respondent (the accounting must match the
    original's), ``refused``: it must be refused, ``child``: run it in a child process (it could abort)."""

    kind: str
    source: str
    detail: tuple = ()
    keeps: bool = False
    refused: bool = False
    child: bool = False

    @property
    def id(self) -> str:
        return "-".join([self.kind, self.source, *(str(part)[:12] for part in self.detail)])


def _corpus(seed: int = SEED) -> list[Case]:
    chooser = random.Random(seed)
    cases = []
    for source in SOURCES:
        for fraction in (0.0, 0.05, 0.31, 0.5, 0.77, 0.999):
            cases.append(Case("truncate", source, (fraction,)))
        for flips in (1, 3, 30):
            cases += [Case("flip", source, (flips, chooser.randrange(1 << 30))) for _ in range(2)]
        for count, style in ((1, "empty"), (3, "commas"), (2, "spaces")):
            cases.append(Case("blank_rows", source, (count, style, chooser.randrange(1 << 30)), keeps=True))
        for text in FORMULAS:
            cases.append(Case("formula", source, (text,), keeps=True))
        for control in CONTROLS:
            cases.append(Case("control", source, (control,), keeps=True))
        for target, size in (("text", 1_000_000), ("choice", 5_000), ("choice", 309), ("meta", 24), ("meta", 100_000)):
            cases.append(Case("huge_cell", source, (target, size), keeps=True))
        cases.append(Case("repeated_header", source, ("same",), keeps=True))
        cases.append(Case("repeated_header", source, ("conflicting",), refused=True))
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-8", "gb18030", "utf-32"):
        cases.append(Case("encoding", "tencent", (codec,), keeps=True))
    for line_end in ("\n", "\r"):
        cases.append(Case("line_ends", "tencent", (repr(line_end),), keeps=True))
    for source in ("wjx", "paper"):
        for reference in ("XFD1048576", "A1048576", "XFD1", "AAA50000"):
            cases.append(Case("far_cell", source, (reference,), refused=True, child=True))
        cases.append(Case("far_cell", source, ("A5000",), child=True))  # within the bounds: blank rows then a row
        cases.append(Case("bare_cells", source, (), keeps=True))
    for junk in ("empty", "header_only", "random", "png_as_xlsx", "zip_not_xlsx", "sheet_bomb"):
        cases.append(Case("junk", "tencent" if junk in ("empty", "header_only", "random") else "wjx", (junk,),
                          refused=junk != "header_only", child=junk == "sheet_bomb"))
    return cases


CORPUS = _corpus()
# the fast suite: a few cases of every kind (the first of each kind and source)
FAST = [case for index, case in enumerate(CORPUS)
        if index == next(i for i, other in enumerate(CORPUS) if (other.kind, other.source) == (case.kind, case.source))]


# ------------------------------------------------------------------------------------------ making a case

def _source_path(city: pathlib.Path, source: str) -> pathlib.Path:
    if source == "tencent":
        return city / TENCENT
    if source == "paper":
        return city / PAPER
    return wjx_text(city) if source == "wjx" else next(city.glob("online/wjx/*_2_grassroots_governance_*.xlsx"))


def _rows(path: pathlib.Path) -> list[list]:
    if path.suffix == ".csv":
        return csv_rows(path)
    workbook = openpyxl.load_workbook(path)
    return [[cell for cell in row] for row in workbook.active.iter_rows(values_only=True)]


def _write_rows(rows: list[list], source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    if source.suffix == ".csv":
        target.write_bytes(csv_bytes([["" if cell is None else str(cell) for cell in row] for row in rows]))
        return target
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if isinstance(value, str):  # characters XML cannot hold, as Excel escapes them (_x000B_, _xFFFE_)
                value = _XML_ILLEGAL.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
            if value is not None and value != "":
                sheet.cell(row=row_number, column=column_number).value = value
    for cell in (cell for line in sheet.iter_rows() for cell in line if isinstance(cell.value, str)):
        cell.data_type = "s"  # text stays text (a formula answer included), as platforms write it
    workbook.save(target)
    return target


def _column_of(rows: list[list], target: str, source: str) -> int:
    headers = [str(header or "") for header in rows[0]]
    if target == "meta":
        names = ("答题时长", "所用时间", "调查日期")
        return next(index for index, header in enumerate(headers) if header in names)
    if target == "text":
        marks = ("11.", "15、", "Q15") if source != "paper" else ("Q15", "Q14")
        found = [index for index, header in enumerate(headers) if header.startswith(marks)]
        return found[0] if found else len(headers) - 1
    choice = {"tencent": "2.", "wjx": "6、", "wjx_code": "6、", "paper": "Q6"}[source]
    return next(index for index, header in enumerate(headers) if header.startswith(choice))


def _zip_with_sheet(source: pathlib.Path, target: pathlib.Path, sheet: bytes) -> pathlib.Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as changed:
        for item in original.infolist():
            changed.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else original.read(item.filename))
    return target


def _junk(case: Case, city: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    kind = case.detail[0]
    source = _source_path(city, case.source)
    target = folder / f"junk_{kind}{source.suffix}"
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "header_only":
        target.write_bytes(csv_bytes(csv_rows(source)[:1]))
    elif kind == "random":
        target.write_bytes(random.Random(SEED).randbytes(20_000))
    elif kind == "png_as_xlsx":
        target.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    elif kind == "zip_not_xlsx":
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("readme.txt", "not a workbook")
    else:  # a sheet whose XML unpacks to more than the reader reads (a compressed bomb of blank space)
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                                                                  compresslevel=1) as changed:
            for item in original.infolist():
                if item.filename == "xl/worksheets/sheet1.xml":
                    with changed.open(item.filename, "w") as stream:
                        stream.write(original.read(item.filename).replace(b"</sheetData>", b"", 1)[:-len(b"</worksheet>")])
                        block = b" " * (1 << 24)
                        for _ in range((1 << 30) // len(block) + 2):
                            stream.write(block)
                        stream.write(b"</sheetData></worksheet>")
                else:
                    changed.writestr(item, original.read(item.filename))
    return target


def make_case(case: Case, city: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """Write the mutated file of ``case`` into ``folder``; returns its path."""
    source = _source_path(city, case.source)
    target = folder / f"{case.kind}_{source.name}"
    data = source.read_bytes()
    if case.kind == "truncate":
        target.write_bytes(data[: int(len(data) * case.detail[0])])
    elif case.kind == "flip":
        flips, seed = case.detail
        changed = bytearray(data)
        chooser = random.Random(seed)
        for _ in range(flips):
            changed[chooser.randrange(len(changed))] ^= 1 << chooser.randrange(8)
        target.write_bytes(bytes(changed))
    elif case.kind == "blank_rows":
        count, style, seed = case.detail
        rows = _rows(source)
        width = len(rows[0])
        blank = {"empty": [None] * width, "commas": [""] * width, "spaces": [" "] * width}[style]
        at = random.Random(seed).randrange(2, len(rows))
        _write_rows(rows[:at] + [list(blank) for _ in range(count)] + rows[at:], source, target)
    elif case.kind in ("formula", "control", "huge_cell"):
        rows = _rows(source)
        if case.kind == "huge_cell":
            target_column, size = case.detail
            value = ("很" * size if target_column == "text" else "9" * size)
            index = _column_of(rows, target_column, case.source)
        else:
            value = case.detail[0] if case.kind == "formula" else f"好{case.detail[0]}评"
            index = _column_of(rows, "text" if case.kind == "control" else "choice", case.source)
        changed = [list(row) for row in rows]
        changed[1][index] = value
        changed[2][index] = value
        _write_rows(changed, source, target)
    elif case.kind == "repeated_header":
        rows = _rows(source)
        index = _column_of(rows, "choice", case.source)
        changed = [list(row) + [row[index]] for row in rows]
        if case.detail[0] == "conflicting":
            labels = [value for value in (row[index] for row in rows[1:]) if value not in (None, "")]
            other = next(value for value in labels if value != changed[1][-1])
            changed[1][-1] = other
        _write_rows(changed, source, target)
    elif case.kind == "encoding":
        target.write_bytes(source.read_text(encoding="utf-8-sig").encode(case.detail[0]))
    elif case.kind == "line_ends":
        text = source.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        target.write_bytes(text.replace("\n", eval(case.detail[0])).encode("utf-8-sig"))
    elif case.kind == "far_cell":
        xlsx_with_far_cell(source, target, case.detail[0])
    elif case.kind == "bare_cells":
        with zipfile.ZipFile(source) as original:
            sheet = original.read("xl/worksheets/sheet1.xml").decode("utf-8")
        _zip_with_sheet(source, target, re.sub(r'<c r="[A-Z]+\d+"', "<c", sheet).encode("utf-8"))
    elif case.kind == "junk":
        return _junk(case, city, folder)
    return target


# ------------------------------------------------------------------------------------------ running a case

@dataclasses.dataclass
class Outcome:
    case: Case
    status: str  # accepted, clean_error, traceback, hang, wrong
    detail: str = ""


def _accounting_problem(store: pathlib.Path, files: list[dict]) -> str:
    with sqlite3.connect(store) as connection:
        for result in files:
            if result["rows_read"] != result["accepted"] + result["rejected"]:
                return f"rows_read {result['rows_read']} != accepted + rejected in {result}"
            stored = connection.execute(
                "SELECT b.rows_read, COUNT(r.response_id), SUM(r.status = 'accepted') FROM batches b LEFT JOIN "
                "responses r ON r.batch_id = b.batch_id WHERE b.sha256 = ? GROUP BY b.batch_id",
                (result["sha256"],)).fetchone()
            if stored is None or stored[0] != stored[1] or (stored[1] and stored[2] != result["accepted"]):
                return f"the store disagrees with the report: {stored} for {result}"
    return ""


def _ingest(path: pathlib.Path, questionnaire: pathlib.Path, store: pathlib.Path, capsys) -> tuple[int, str, str]:
    status = main(["ingest", str(path), "--questionnaire", str(questionnaire), "--store", str(store), "--json"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_case(case: Case, city: pathlib.Path, folder: pathlib.Path, capsys, originals: dict) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    questionnaire = questionnaire_of(_source_path(city, case.source))
    store = folder / "store" / "s.sqlite"
    store.parent.mkdir(exist_ok=True)
    path = make_case(case, city, folder)
    try:
        with watchdog(WATCHDOG_SECONDS):
            if case.child:
                code, err = surveys_process("ingest", path, "--questionnaire", questionnaire, "--store", store,
                                            "--json", seconds=WATCHDOG_SECONDS)
                out = ""
            else:
                code, out, err = _ingest(path, questionnaire, store, capsys)
    except Hang as error:
        return Outcome(case, "hang", str(error))
    except Exception:  # anything escaping main() would be a traceback on the command line
        return Outcome(case, "traceback", traceback.format_exc(limit=-3))
    if "Traceback" in err or code not in (0, 2):
        return Outcome(case, "traceback", f"exit {code}: {err[-600:]}")
    if code == 2:
        if not err.startswith("error: ") or path.name not in err:
            return Outcome(case, "wrong", f"exit 2 without 'error: {path.name}': {err[:300]}")
        if store.exists():
            with sqlite3.connect(store) as connection:
                if connection.execute("SELECT COUNT(*) FROM batches").fetchone()[0]:
                    return Outcome(case, "wrong", "refused, yet a batch was stored")
        if case.keeps:
            return Outcome(case, "wrong", f"a file that keeps every respondent was refused: {err[:300]}")
        return Outcome(case, "clean_error", err.strip()[:200])
    if case.refused:
        return Outcome(case, "wrong", "a file that must be refused was accepted")
    if case.child:
        return Outcome(case, "accepted")
    files = json.loads(out)["files"]
    problem = _accounting_problem(store, files)
    if not problem and case.keeps:
        original = originals[case.source]
        (result,) = files
        if result["rows_read"] != original["rows_read"]:
            problem = f"rows_read {result['rows_read']}, the original file has {original['rows_read']}"
        elif case.kind == "blank_rows" and result["blank_rows"] != case.detail[0]:
            problem = f"blank_rows {result['blank_rows']}, {case.detail[0]} were inserted"
    return Outcome(case, "wrong" if problem else "accepted", problem)


# ------------------------------------------------------------------------------------------ the tests

@pytest.fixture(scope="module")
def city(demo_city):
    return demo_city.out_dir


@pytest.fixture(scope="module")
def originals(city, tmp_path_factory):
    """What each unmutated source ingests to (the accounting a respondent-keeping mutation must match)."""
    found = {}
    folder = tmp_path_factory.mktemp("originals")
    for source in SOURCES:
        path = _source_path(city, source)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            status = main(["ingest", str(path), "--questionnaire", str(questionnaire_of(path)), "--store",
                           str(folder / f"{source}.sqlite"), "--json"])
        assert status == 0
        found[source] = json.loads(buffer.getvalue())["files"][0]
    return found


@pytest.mark.parametrize("case", FAST, ids=[case.id for case in FAST])
def test_a_hostile_export_is_accepted_with_its_accounting_or_refused_cleanly(case, city, originals, tmp_path,
                                                                           capsys):
    outcome = run_case(case, city, tmp_path / "case", capsys, originals)
    assert outcome.status in ("accepted", "clean_error"), f"{case.id}: {outcome.status}: {outcome.detail}"


def outcome_table(outcomes: list[Outcome]) -> str:
    """The fuzz outcome table: cases, clean errors, accepted, tracebacks, hangs, wrong outcomes; then by kind."""
    counts = collections.Counter(outcome.status for outcome in outcomes)
    lines = [f"{len(outcomes)} cases, {counts['clean_error']} clean errors, {counts['accepted']} accepted, "
             f"{counts['traceback']} tracebacks, {counts['hang']} hangs, {counts['wrong']} wrong outcomes"]
    by_kind = collections.Counter((outcome.case.kind, outcome.status) for outcome in outcomes)
    lines += [f"  {kind:<16} {status:<12} {count}" for (kind, status), count in sorted(by_kind.items())]
    return "\n".join(lines)


@pytest.mark.slow
def test_the_whole_corpus_ends_cleanly(city, originals, tmp_path, capsys):
    """The cases the fast suite leaves out (the fast ones run as their own tests above)."""
    outcomes = [run_case(case, city, tmp_path / f"case{index}", capsys, originals)
                for index, case in enumerate(CORPUS) if case not in FAST]
    with capsys.disabled():
        print(f"\nfuzz corpus (seed {SEED}), beyond the fast cases: " + outcome_table(outcomes))
    bad = [f"{outcome.case.id}: {outcome.status}: {outcome.detail}" for outcome in outcomes
           if outcome.status not in ("accepted", "clean_error")]
    assert not bad, "\n".join(bad)


@pytest.mark.slow
def test_hostile_exports_read_in_chunks_and_in_a_reading_process_end_as_read_whole(city, tmp_path, capsys,
                                                                                 monkeypatch):
    """Issue 15's streamed path (chunks of 7 rows, read by a forked process) ends every case of the fast corpus
    the way reading the file whole does: the same exit, the same error, the same accounting and reasons."""
    import surveys.ingest.chunks
    import surveys.store.database

    def ingest(path, questionnaire, store, chunk_rows, background_bytes):
        monkeypatch.setattr(surveys.ingest.chunks, "CHUNK_ROWS", chunk_rows)
        monkeypatch.setattr(surveys.store.database, "BACKGROUND_BYTES", background_bytes)
        with watchdog(WATCHDOG_SECONDS):
            code, out, err = _ingest(path, questionnaire, store, capsys)
        if code != 0:
            return code, err.replace(str(store.parent), "")
        return code, [{key: value for key, value in result.items() if key not in ("path", "batch_id")}
                      for result in json.loads(out)["files"]]

    cases = [case for case in FAST if not case.child and case.source != "paper"]   # paper is always read whole
    differ = []
    for index, case in enumerate(cases):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        path = make_case(case, city, folder)
        questionnaire = questionnaire_of(_source_path(city, case.source))
        whole = ingest(path, questionnaire, folder / "whole.sqlite", 10 ** 9, 1 << 40)
        streamed = ingest(path, questionnaire, folder / "streamed.sqlite", 7, 0)
        if whole != streamed:
            differ.append(f"{case.id}: whole {str(whole)[:300]} / streamed {str(streamed)[:300]}")
    assert len(cases) > 20 and not differ, "\n".join(differ)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40), row=st.integers(min_value=1, max_value=20),
       target=st.sampled_from(["choice", "text", "meta"]))
def test_any_text_in_any_cell_keeps_every_respondent(city, originals, tmp_path_factory, capsys, text, row,
                                                      target):
    rows = csv_rows(city / TENCENT)
    index = _column_of(rows, target, "tencent")
    folder = tmp_path_factory.mktemp("text")
    path = folder / "social_stability_text.csv"
    path.write_bytes(csv_bytes(with_cell(rows, row, index, text.replace("\r", " ").replace("\n", " "))))
    with watchdog(WATCHDOG_SECONDS):
        status, out, err = _ingest(path, questionnaire_of(city / TENCENT), folder / "s.sqlite", capsys)
    assert status == 0, err
    (result,) = json.loads(out)["files"]
    assert result["rows_read"] == originals["tencent"]["rows_read"] - (1 if not text.strip() and
                                                                               _blank_row(rows, row, index) else 0)
    assert not _accounting_problem(folder / "s.sqlite", [result])


def _blank_row(rows, row, index):
    return not any(str(cell).strip() for position, cell in enumerate(rows[row]) if position != index)
