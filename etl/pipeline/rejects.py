"""A load's rejected rows read back (``python -m etl rejects``), and made safe for a
spreadsheet."""

from __future__ import annotations

import duckdb


def rejects_of(con: duckdb.DuckDBPyConnection, load_id: int) -> list[tuple]:
    """(row number, column, value, reason) of a load's rejected rows, in file order."""
    return con.execute(
        """SELECT row_number, "column", value, reason FROM rejected_rows
           WHERE load_id = ? ORDER BY row_number, rowid""",
        [load_id],
    ).fetchall()


def neutralise_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
