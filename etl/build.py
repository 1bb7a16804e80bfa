"""Building and upgrading the warehouse: migrations, reference data, the committed commune
contours, demonstration data."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core.settings import REFERENCE_DIR
from core.store import Location, check_keys, migrate, transaction, writer
from etl import boundaries, demo, reference, target_shares
from etl.pipeline import shipped

# The commune contours committed with the project (data/reference/README.md), loaded when the
# warehouse has none so that the first run draws the real map. `python -m etl boundaries`
# replaces them with newer ones; they never replace contours a user loaded.
REFERENCE_CONTOURS = REFERENCE_DIR / "communes-93.geojson"
REFERENCE_CONTOURS_LABEL = (
    "IGN ADMIN EXPRESS COG édition 2018, simplifié ; géographie 2025 (Licence Ouverte)"
)


@dataclass
class InitReport:
    migrations: list[str] = field(default_factory=list)
    reference_load: int | None = None
    contours_load: int | None = None
    need_reference_loads: list[int] = field(default_factory=list)
    demo_load: int | None = None
    demo_removed: int = 0


def load_reference_contours(con: duckdb.DuckDBPyConnection) -> int | None:
    """Load the committed contours when the warehouse stores none; returns the load id, or
    None when contours are already there (the committed ones or a user's, left untouched)."""
    if con.execute("SELECT count(*) FROM boundaries").fetchone()[0]:
        return None
    return boundaries.load_file(con, REFERENCE_CONTOURS, source=REFERENCE_CONTOURS_LABEL).load_id


def init_warehouse(
    db: Location,
    *,
    with_demo: bool | None = True,
    seed: int = demo.DEFAULT_SEED,
    timeout_s: float = 30.0,
) -> InitReport:
    """Create or upgrade the warehouse; idempotent (a second run changes nothing).

    with_demo: True loads the demonstration records, False removes them, None leaves them
    as they are (an upgrade).
    """
    report = InitReport()
    with writer(db, timeout_s) as con:
        report.migrations = migrate(con)
        with transaction(con):
            report.reference_load = reference.load_reference(con)
            # Shipped need-side files (IFN, places): reference data, never demo data.
            report.need_reference_loads = shipped.load_shipped(con)
            if with_demo:
                report.demo_load = demo.load_demo(con, seed)
            elif with_demo is False:
                report.demo_removed = demo.remove_demo(con)
            if report.reference_load or report.migrations:  # new targets or communes
                target_shares.refresh(con)
            check_keys(con)  # the warehouse enforces no key (a DuckLake cannot)
        report.contours_load = load_reference_contours(con)  # one transaction of its own
        con.execute("CHECKPOINT")
    return report
