"""The monthly summary of distributions (table distribution_months).

The pages read sums by month, never single records (except a territory sheet's list), so
they read this summary: its size grows with communes × months × kinds of help, not with
the number of records (15 000 rows for 1 000 000 records). Whatever inserts or deletes
distributions calls `refresh` in the same transaction, for the loads it touched, so the
summary is never out of step with the records.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

_COLUMNS = "date, commune_code, programme_id, item, public, operator, is_demo, load_id"
# The summary of the records matching WHERE, as it should be stored.
_SUMMED = """SELECT date_trunc('month', date)::DATE AS date, commune_code, programme_id, item,
                    public, operator, is_demo, load_id,
                    sum(quantity) AS quantity, count(*) AS records
             FROM distributions WHERE {where} GROUP BY ALL"""


def refresh(
    con: duckdb.DuckDBPyConnection,
    *,
    loads: Iterable[int] = (),
    demo: bool = False,
    everything: bool = False,
) -> None:
    """Recompute the summary of these loads (and of every demonstration record if `demo`, of
    every record if `everything`) from the records as they now are: after an insert, a
    delete or both."""
    ids = sorted({int(i) for i in loads})
    conditions = ["true"] if everything else []
    if ids:
        conditions.append(f"load_id IN ({', '.join(map(str, ids))})")
    if demo:
        conditions.append("is_demo")
    if not conditions:
        return
    where = " OR ".join(conditions)
    con.execute(f"DELETE FROM distribution_months WHERE {where}")
    con.execute(
        f"INSERT INTO distribution_months ({_COLUMNS}, quantity, records) "
        + _SUMMED.format(where=where)
    )


def differences(con: duckdb.DuckDBPyConnection) -> int:
    """Rows on which the summary and the records disagree (0 when in step): for tests and
    `python -m etl status`."""
    return con.execute(
        f"""WITH fresh AS ({_SUMMED.format(where="true")}),
            kept AS (SELECT {_COLUMNS}, quantity, records FROM distribution_months)
            SELECT count(*) FROM (
                (SELECT * FROM fresh EXCEPT ALL SELECT * FROM kept)
                UNION ALL
                (SELECT * FROM kept EXCEPT ALL SELECT * FROM fresh)
            )"""
    ).fetchone()[0]


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(summary rows, records they sum)."""
    return con.execute(
        "SELECT count(*), coalesce(sum(records), 0) FROM distribution_months"
    ).fetchone()
