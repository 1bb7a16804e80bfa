"""Doors found by trying to break the product as an outsider (issue « Statistical secrecy…,
and the other doors closed »): each test failed before its fix."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from core.store import connect
from etl.errors import FileRefused
from etl.load import load_file

ROOT = Path(__file__).resolve().parents[1]
HEADER = "date;commune;programme;item;quantite;public"
ROW = "2021-01-10;Bondy;emmaus-connect-2020;ordinateur;3;"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_warehouse_built_by_the_cli_is_readable_by_its_owner_only(tmp_path):
    db = tmp_path / "w.duckdb"
    subprocess.run(
        [sys.executable, "-m", "etl", "init", "--db", str(db), "--no-demo"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert _mode(db) == 0o600
    for other in tmp_path.iterdir():
        assert _mode(other) & 0o077 == 0, other


def test_an_older_world_readable_warehouse_is_made_owner_only_when_written(tmp_path):
    db = tmp_path / "old.duckdb"
    duckdb.connect(str(db)).close()
    db.chmod(0o644)
    connect(db).close()
    assert _mode(db) == 0o600


@pytest.mark.parametrize("where", ["header", "data"])
def test_a_cell_longer_than_the_csv_reader_accepts_is_refused_in_french(empty_db, tmp_path, where):
    long = "x" * 140_000
    lines = [HEADER, ROW + "usagers"] if where == "data" else [HEADER + long, ROW + "usagers"]
    if where == "data":
        lines.append(ROW + '"' + long)  # an unclosed quote: the rest of the file is one cell
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = duckdb.connect(str(empty_db), read_only=True)
    loads = before.execute("SELECT count(*) FROM loads").fetchone()[0]
    before.close()
    try:
        load_file(empty_db, "distributions", path)
    except FileRefused as exc:
        assert "refusé" in str(exc) and "Traceback" not in str(exc)
        con = duckdb.connect(str(empty_db), read_only=True)
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == loads
        con.close()
    # Loaded instead (DuckDB reads long cells): then nothing longer than a cell of a
    # spreadsheet was kept in a table.


def _bomb(path: Path, megabytes: int) -> None:
    """A valid workbook whose sheet XML is padded with whitespace to MEGABYTES once inflated,
    a few hundred kilobytes on disk."""
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(";"))
    book.active.append(ROW.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (megabytes << 20))
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)


def test_a_workbook_that_expands_to_hundreds_of_megabytes_is_refused_before_parsing(
    empty_db, tmp_path
):
    path = tmp_path / "bombe.xlsx"
    _bomb(path, 220)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(FileRefused, match="décompressé"):
        load_file(empty_db, "distributions", path)


def test_the_cli_prints_the_refusal_of_a_long_cell_without_a_traceback(empty_db, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "x" * 140_000 + "\n" + ROW + "usagers\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "etl", "load", "--db", str(empty_db), "distributions", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "une cellule dépasse" in done.stderr + done.stdout


def test_a_workbook_loaded_again_is_recognised_by_its_hash_before_it_is_parsed(
    empty_db, tmp_path, monkeypatch
):
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(";"))
    book.active.append((ROW + "usagers").split(";"))
    path = tmp_path / "classeur.xlsx"
    book.save(path)
    first = load_file(empty_db, "distributions", path)
    assert first.rows_loaded == 1

    def never(*args, **kwargs):
        raise AssertionError("the workbook was parsed again")

    monkeypatch.setattr("etl.readers.read_table", never)
    again = load_file(empty_db, "distributions", path)
    assert again.already_loaded and again.load_id == first.load_id
