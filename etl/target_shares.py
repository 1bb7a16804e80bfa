"""Target families and each territory's share of them (tables target_families and
target_shares), computed by etl/sql/target_families.sql and etl/sql/target_shares.sql (THE
territorial share rule).

They depend only on the targets and on the communes' populations, so they are stored
whenever those change (a targets load or its replacement, the reference data, init and
migrate), in the same transaction, instead of being recomputed by every page query: this
saves the pages a third of the planning and running time of the target queries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl import protect

SQL = Path(__file__).parent / "sql"


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute both tables from the targets and communes as they now are."""
    families = (SQL / "target_families.sql").read_text(encoding="utf-8")
    shares = (SQL / "target_shares.sql").read_text(encoding="utf-8")
    con.execute("DELETE FROM target_families")
    con.execute(
        f"""INSERT INTO target_families BY NAME
            SELECT * FROM (
{families}
)"""
    )
    con.execute("DELETE FROM target_shares")
    con.execute(
        f"""INSERT INTO target_shares BY NAME
            SELECT s.*, f.programme_id FROM (
{shares}
) s JOIN target_families f USING (family)"""
    )
    protect.refresh(con)  # target families are measures of the protected tables
