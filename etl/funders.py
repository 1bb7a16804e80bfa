"""One funder, one name: after a funding load, spellings of a funder that differ only by case,
accents, Unicode form or spaces take one spelling (the rule of migration 080, run again)."""

from __future__ import annotations

import duckdb

from core import store

RULE = store.MIGRATIONS_DIR / "080_funder_names.sql"


def normalise(con: duckdb.DuckDBPyConnection) -> None:
    """Give every funder of the funding table its one spelling (in the caller's transaction)."""
    con.execute(RULE.read_text(encoding="utf-8"))
