"""Step 3: in one transaction, ``--replace`` retires the previous loads of the source, the
load is recorded in the ledger, every rule is checked (etl/load/validate.py), the failing
rows are recorded in ``rejected_rows`` with their reasons, the valid ones inserted, the
summaries that follow the table refreshed and the ledger's counts written. A crash or a kill
before the commit leaves the warehouse as it was; nothing but the kept columns is ever
written.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import duckdb

from etl import schemas, scrub, summary, target_shares
from etl.errors import EtlError
from etl.ledger import LoadRecord, record, update_counts
from etl.load.columns import Columns
from etl.load.macros import small_table
from etl.load.resolve import reference_keys
from etl.load.validate import validate

# Test-only hook: when set to a file path, the load creates that file once its rows are
# inserted, then waits inside the open transaction until the file is deleted (at most two
# minutes): tests use it to kill a load mid-transaction or to run two loads at once.
PAUSE_ENV = "OBSERVATOIRE_TEST_PAUSE_IN_LOAD"


def write_load(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    contract: schemas.Contract,
    cols: Columns,
    name: str,
    label: str,
    digest: str,
    rows_read: int,
    previous: list[int],
    loaded_by: str | None = None,
) -> tuple[int, int]:
    """Write the staged rows (view ``stg``) in one transaction; return (load id, rows
    rejected). A DuckDB failure (disk full, damaged warehouse…) is rolled back and said in
    French."""
    con.begin()
    try:
        if previous:
            marks = ", ".join(str(int(i)) for i in previous)
            con.execute(f"UPDATE loads SET replaced_at = now() WHERE load_id IN ({marks})")
            con.execute(f"DELETE FROM {contract.table} WHERE load_id IN ({marks})")
        load_id = record(
            con,
            LoadRecord(
                kind=kind, file_name=name, source_label=label, sha256=digest, loaded_by=loaded_by
            ),
        )
        # Lookups, distinct values and per-row checks are all keyed by row number: the
        # order in which their rows are stored does not matter (less memory, parallel).
        con.execute("SET preserve_insertion_order = false")
        reference_keys(con)
        query, table, columns = validate(con, kind, set(cols.index), contract)
        extra = {"load_id": str(int(load_id))}
        if kind in ("distributions", "funding"):
            extra["is_demo"] = "false"
        if kind in ("targets", "programmes"):
            extra["source"] = "$label"
        # Checked before anything is inserted: checks against existing rows (programmes)
        # must not see this load's own rows.
        chk = query.chk_sql()
        if chk is not None:
            con.execute(chk)
        con.execute("RESET preserve_insertion_order")  # rejects: in file order
        con.execute(query.bad_sql())
        small_table(
            con,
            "column_labels",
            {"f": list(cols.labels), "label": list(cols.labels.values())},
        )
        con.execute(query.rejects_sql(), {"load": load_id})
        scrub.scrub_stored_rejects(con, load_id)  # no personal data in rejected_rows
        con.execute("DROP TABLE column_labels")
        # The order of the inserted rows does not matter: let DuckDB insert in parallel.
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            query.insert_sql(table, columns, extra),
            {"label": label} if "source" in extra else None,
        )
        if table == "distributions":  # its summaries move with it
            summary.refresh(con, loads=[*previous, load_id])
        elif table == "targets":
            target_shares.refresh(con)
        con.execute("RESET preserve_insertion_order")
        rejected = con.execute("SELECT count(*) FROM bad").fetchall()[0][0]
        update_counts(
            con,
            load_id,
            LoadRecord(
                kind=kind,
                file_name=name,
                source_label=label,
                sha256=digest,
                rows_read=rows_read,
                rows_loaded=rows_read - rejected,
                rows_rejected=rejected,
            ),
        )
        _test_pause()
        con.commit()
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        if isinstance(exc, duckdb.Error):  # disk full, damaged warehouse…: said in French
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise EtlError(
                f"Le chargement de « {name} » a échoué et a été entièrement annulé : "
                f"l'entrepôt est inchangé (détail technique : {detail})."
            ) from exc
        raise
    return load_id, rejected


def _test_pause() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        path = Path(marker)
        path.write_text("in transaction\n", encoding="utf-8")
        deadline = time.monotonic() + 120
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
