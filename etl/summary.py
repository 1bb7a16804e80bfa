"""The summaries of distributions that the pages read instead of the records.

The pages show sums, never single records (except a territory sheet's list), so they read
summaries whose size grows with communes × kinds of help × time, not with the number of
records: by month (distribution_months: 19 595 rows for 10 000 000 records) and by day
(distribution_days: 328 099 rows, read only for the days of a period that cuts a month).
Whatever inserts or deletes distributions calls `refresh` in the same transaction, for the
loads it touched, so the summaries are never out of step with the records.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from etl import protect, protect_need

# Summary table → the date it sums the records by.
SUMMARIES = {
    "distribution_months": "date_trunc('month', date)::DATE",
    "distribution_days": "date",
}
_COLUMNS = "date, commune_code, programme_id, item, public, operator, is_demo, load_id"
# A summary of the records matching WHERE, as it should be stored.
_SUMMED = """SELECT {period} AS date, commune_code, programme_id, item, public, operator,
                    is_demo, load_id, sum(quantity) AS quantity, count(*) AS records
             FROM distributions WHERE {where} GROUP BY ALL"""


def refresh(
    con: duckdb.DuckDBPyConnection,
    *,
    loads: Iterable[int] = (),
    demo: bool = False,
    everything: bool = False,
) -> None:
    """Recompute the summaries of these loads (and of every demonstration record if `demo`,
    of every record if `everything`) from the records as they now are: after an insert, a
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
    for table, period in SUMMARIES.items():
        con.execute(f"DELETE FROM {table} WHERE {where}")
        con.execute(
            f"INSERT INTO {table} ({_COLUMNS}, quantity, records) "
            + _SUMMED.format(period=period, where=where)
        )
    # The protected tables follow the summary in the same transaction: every new warehouse
    # version gets both the help's and the need side's counts of people.
    protect.refresh(con)
    protect_need.refresh(con)


def differences(con: duckdb.DuckDBPyConnection) -> int:
    """Rows on which the summaries and the records disagree (0 when in step): for tests and
    `python -m etl status`."""
    found = 0
    for table, period in SUMMARIES.items():
        found += con.execute(
            f"""WITH fresh AS ({_SUMMED.format(period=period, where="true")}),
                kept AS (SELECT {_COLUMNS}, quantity, records FROM {table})
                SELECT count(*) FROM (
                    (SELECT * FROM fresh EXCEPT ALL SELECT * FROM kept)
                    UNION ALL
                    (SELECT * FROM kept EXCEPT ALL SELECT * FROM fresh)
                )"""
        ).fetchone()[0]
    return found


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(rows by month, rows by day, records they sum)."""
    return con.execute(
        """SELECT (SELECT count(*) FROM distribution_months),
                  (SELECT count(*) FROM distribution_days),
                  (SELECT coalesce(sum(records), 0) FROM distribution_months)"""
    ).fetchone()
