"""Step 3, for every kind: in one transaction, ``--replace`` retires the previous loads of
the source (their rows leave every table the kind fills), the load is recorded in the
ledger, the kind's plan fills its tables (rows checked, rejects recorded with their
reasons, etl/pipeline/kinds.py), what a replace must repair is repaired, and the ledger's counts
written. A crash or a kill before the commit leaves the warehouse as it was; nothing but
the kept columns is ever written.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import duckdb

from core.store import check_keys
from etl import schemas
from etl.errors import EtlError
from etl.ledger import LoadRecord, record, update_counts

# Test-only hook: when set to a file path, the load creates that file once its rows are
# inserted, then waits inside the open transaction until the file is deleted (at most two
# minutes): tests use it to kill a load mid-transaction or to run two loads at once.
PAUSE_ENV = "OBSERVATOIRE_TEST_PAUSE_IN_LOAD"


def write_load(
    con: duckdb.DuckDBPyConnection,
    *,
    contract: schemas.Contract,
    plan,
    meta: LoadRecord,
    previous: list[int],
):
    """:func:`write_rows` in one transaction; return (load id, what was written). A DuckDB
    failure (disk full, damaged warehouse…) is rolled back and said in French."""
    con.begin()
    try:
        load_id, written = write_rows(
            con, contract=contract, plan=plan, meta=meta, previous=previous
        )
        _test_pause()
        con.commit()
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        if isinstance(exc, duckdb.Error):  # disk full, damaged warehouse…: said in French
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise EtlError(
                f"Le chargement de « {meta.file_name} » a échoué et a été entièrement annulé : "
                f"l'entrepôt est inchangé (détail technique : {detail})."
            ) from exc
        raise
    return load_id, written


def write_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    contract: schemas.Contract,
    plan,
    meta: LoadRecord,
    previous: list[int],
):
    """Inside the caller's transaction (the load's own, or init's for the shipped reference
    files): retire ``previous``, record the load, let ``plan`` fill the tables, repair after
    a replace, write the counts. Returns (load id, what the plan wrote)."""
    if previous:
        marks = ", ".join(str(int(i)) for i in previous)
        con.execute(f"UPDATE loads SET replaced_at = now() WHERE load_id IN ({marks})")
        for table in contract.tables:
            con.execute(f"DELETE FROM {table} WHERE load_id IN ({marks})")
    load_id = record(con, meta)
    written = plan.fill(con, load_id, previous)
    if previous and plan.after_replace is not None:
        plan.after_replace(con)
    meta.rows_read, meta.rows_loaded = written.rows_read, written.rows_loaded
    meta.rows_rejected, meta.rows_skipped = written.rows_rejected, written.rows_skipped
    update_counts(con, load_id, meta)
    check_keys(con)  # the warehouse enforces no key (a DuckLake cannot)
    return load_id, written


def _test_pause() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        path = Path(marker)
        path.write_text("in transaction\n", encoding="utf-8")
        deadline = time.monotonic() + 120
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
