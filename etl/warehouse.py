"""Building and upgrading the warehouse: migrations, reference data, demonstration data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.store import migrate, transaction, writer
from etl import demo, reference, target_shares
from etl.need import reference as need_reference


@dataclass
class InitReport:
    migrations: list[str] = field(default_factory=list)
    reference_load: int | None = None
    need_reference_loads: list[int] = field(default_factory=list)
    demo_load: int | None = None
    demo_removed: int = 0


def init_warehouse(
    db: Path,
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
            report.need_reference_loads = need_reference.load_shipped(con)
            if with_demo:
                report.demo_load = demo.load_demo(con, seed)
            elif with_demo is False:
                report.demo_removed = demo.remove_demo(con)
            if report.reference_load or report.migrations:  # new targets or communes
                target_shares.refresh(con)
        con.execute("CHECKPOINT")
    return report
