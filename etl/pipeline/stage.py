"""Step 2 (the warehouse held for writing, before the transaction): the rows read by DuckDB
(in parallel) into temporary tables of the write connection that keep only the contract's
columns; personal-data columns only enter a hash used to tell duplicate rows apart; blank
rows and a final « Total » row are set aside. DuckDB's memory is capped on this connection:
past it, it spills to a private folder beside the warehouse, removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from core.store import Lake
from etl import readers
from etl.pipeline.columns import Columns
from etl.pipeline.macros import lit

# DuckDB's memory on the load connection: past it, its temporary tables and operators spill
# to a private folder beside the warehouse (removed after the load; one left by a killed load
# is removed by the next). With Python and the libraries, a load stays under 1 GiB.
MEMORY_LIMIT = "512MB"
TEMP_PREFIX = ".chargement-"


def spill_folder(db: Path | Lake) -> str:
    """A private folder beside the warehouse file (for a lake, in the temporary folder) where
    DuckDB spills; those of loads that were killed (their process is gone) are removed."""
    parent = Path(tempfile.gettempdir()) if isinstance(db, Lake) else db.parent
    for old in parent.glob(f"{TEMP_PREFIX}*"):
        try:
            pid = int(old.name[len(TEMP_PREFIX) :].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, PermissionError):
            continue
    return tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=parent)


def bound_memory(con: duckdb.DuckDBPyConnection, folder: str) -> None:
    """Spill instead of growing. Settings of the database instance, which this write
    connection normally has to itself (another connection of this process to the same
    file in write mode would keep the settings it has)."""
    with contextlib.suppress(duckdb.Error):  # already used by that other connection
        con.execute(f"SET temp_directory = {lit(folder)}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")


def _projection(raw: readers.RawTable, cols: Columns, contract) -> str:
    """What is kept of each row: a hash of every cell (personal ones included, so that two
    rows differing only by a dropped column are not duplicates), whether the row is blank,
    whether it looks like a « Total » row, extra cells, and the contract's columns. The
    dropped columns go no further than this expression."""
    everything = ", ".join([*(f"c{i}" for i in range(len(raw.headers))), "_extra"])
    cells = ", ".join(f"c{i}" for i in range(len(raw.headers)))
    fields = []
    for f in contract.fields:
        if f.name in cols.index:
            cell = f"c{cols.index[f.name]}"
            fields.append(f"{cell} AS f_{f.name}, hash({cell}) AS h_{f.name}")
        else:
            fields.append(f"NULL::VARCHAR AS f_{f.name}, NULL::UBIGINT AS h_{f.name}")
    cell_hashes = ", ".join(f"hash({c})" for c in everything.split(", "))
    return f"""hash({cell_hashes}) AS _hash, coalesce({everything}) IS NULL AS _blank,
        coalesce(coalesce({cells}) ILIKE 'total%' OR coalesce({cells}) ILIKE 'sous%total%',
                 false) AS _total,
        _extra, {", ".join(fields)}"""


def _read_csv_into(con, raw: readers.RawTable, path: str, projection: str, parallel: bool) -> None:
    width = len(raw.headers)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    delim = {"\t": "\\t"}.get(raw.separator, raw.separator)
    # With preserve_insertion_order (the default) the table keeps the file's order even when
    # the file is read in parallel: rowid gives the row number. DuckDB's parallel reader
    # refuses quoted line breaks with null_padding: such a file is read again on one thread.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE raw AS SELECT {projection}
            FROM read_csv($path, delim = '{delim}', quote = '"', escape = '"',
                header = false, skip = {raw.skip_lines},
                columns = {{{columns}, '_extra': 'VARCHAR'}}, null_padding = true,
                strict_mode = false, auto_detect = false, parallel = {str(parallel).lower()},
                max_line_size = 10000000)""",
        {"path": path},
    )


def _load_csv(con, raw: readers.RawTable, lines: int, file_name: str, projection: str):
    """Read the CSV into table ``raw``; fall back to decoding in Python (by pieces, into a
    temporary UTF-8 copy) when DuckDB finds it is not UTF-8, or when it skipped empty lines
    (the row numbers would then be wrong)."""
    source = raw.source
    assert source is not None
    with tempfile.TemporaryDirectory(prefix="observatoire-load-") as tmpdir:
        if raw.decode_first:
            readers.normalise_csv(raw, file_name, tmpdir)

        def path_of_text() -> str:
            if raw.normalised:
                return str(raw.csv_path)
            if source.path is not None:
                return str(source.path)
            target = os.path.join(tmpdir, "fichier.csv")
            with open(target, "wb") as handle:
                handle.write(source.data or b"")
            return target

        parallel = True
        for _attempt in range(4):
            try:
                _read_csv_into(con, raw, path_of_text(), projection, parallel)
            except duckdb.Error as exc:
                if parallel and "null_padding" in str(exc) and "parallel" in str(exc):
                    parallel = False
                    continue
                if "unicode" in str(exc).lower() and not raw.normalised:
                    readers.normalise_csv(raw, file_name, tmpdir, recode=True)
                    continue
                line = re.search(r"[Ll]ine:? (\d+)", str(exc))
                where = f" vers la ligne {line.group(1)}" if line else ""
                raise readers.refuse(
                    file_name,
                    f"il n'a pas pu être lu comme un tableau CSV{where} "
                    "(guillemet non fermé ou ligne trop longue ?)",
                ) from exc
            if raw.normalised:
                return
            records = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
            if records == lines - raw.skip_lines:
                return
            readers.normalise_csv(raw, file_name, tmpdir)
        raise AssertionError("unreachable")  # pragma: no cover


def stage(con, raw: readers.RawTable, cols: Columns, contract, lines: int, file_name: str):
    """Temp view ``stg``: _row, _hash, _extra, f_<field> (VARCHAR, as read), without blank
    rows nor a final « Total » row. Returns (rows read, number of the « Total » row)."""
    projection = _projection(raw, cols, contract)
    if raw.format == "CSV":
        _load_csv(con, raw, lines, file_name, projection)
        # Rows were appended in file order: rowid (which, inside a transaction, starts at a
        # large base) orders them; when contiguous, the row number is a mere offset.
        first = raw.header_row + 1
        low, high, count = con.execute(
            "SELECT min(rowid), max(rowid), count(*) FROM raw"
        ).fetchall()[0]
        if count and high - low + 1 == count:
            number = f"(rowid - {int(low)} + {first})::INTEGER"
        else:
            number = f"(row_number() OVER (ORDER BY rowid) - 1 + {first})::INTEGER"
        con.execute(f"CREATE TEMP VIEW src AS SELECT {number} AS _row, * FROM raw")
    else:
        con.register("xlsx_rows", raw.arrow)
        con.execute(f"CREATE TEMP TABLE raw AS SELECT _row, {projection} FROM xlsx_rows")
        con.unregister("xlsx_rows")
        con.execute("CREATE TEMP VIEW src AS SELECT * FROM raw")
    last = con.execute(
        "SELECT _row, _total FROM src WHERE NOT _blank ORDER BY _row DESC LIMIT 1"
    ).fetchall()
    total_row = last[0][0] if last and last[0][1] else None
    last_rowid = "(SELECT max(rowid) FROM raw WHERE NOT _blank)" if total_row else "NULL"
    con.execute(f"DELETE FROM raw WHERE _blank OR rowid = {last_rowid}")
    con.execute("CREATE TEMP VIEW stg AS SELECT * EXCLUDE (_blank, _total) FROM src")
    rows = con.execute("SELECT count(*) FROM stg").fetchall()[0][0]
    if rows == 0:
        raise readers.refuse(
            file_name, f"il n'a aucune ligne de données sous l'en-tête (ligne {raw.header_row})"
        )
    return rows, total_row
