"""The need-side reference files shipped in data/reference/, loaded by ``init`` (and by
``migrate`` when absent) through the same pipeline as users' files (etl/pipeline/kinds.py,
etl/pipeline/write.py), inside init's transaction: reference data (``is_demo`` false), one
ledger row each whose source label names the source and vintage. ``init --no-demo`` leaves
them alone (they are not demonstration data); a changed file replaces its earlier reference
load; the same content is never loaded twice.
"""

from __future__ import annotations

import duckdb

from etl import readers, schemas
from etl.ledger import LoadRecord, find_active, previous_loads_of_source
from etl.pipeline.kinds import Request, plan_for
from etl.pipeline.read import scan
from etl.pipeline.result import LoadResult
from etl.pipeline.write import write_rows
from etl.reference import FILES

_DIR = FILES["communes"].parent
SHIPPED = (
    ("indicateurs", "ifn-communes-93.csv", "La MedNum – IFN 2021-2023 (référentiel)"),
    (
        "lieux",
        "lieux-conseillers-numeriques-2022-93.csv",
        "ANCT – lieux des conseillers numériques 2022 (référentiel)",
    ),
    ("lieux", "france-services-93.csv", "ANCT – France services 2020-2022 (référentiel)"),
)


def load_shipped(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Inside the caller's transaction (after the communes): the new load ids."""
    done = []
    for kind, name, label in SHIPPED:
        source = readers.Source(path=_DIR / name)
        digest = scan(source).sha256
        if find_active(con, kind, digest) is not None:
            continue
        contract = schemas.CONTRACTS[kind]
        plan = plan_for(contract, Request(source, name, label, None, None, None))
        plan.prepare(LoadResult(kind=kind, file_name=name, source_label=label))
        # A changed reference file replaces the earlier one of its label, without asking.
        previous = previous_loads_of_source(con, kind, label, what=contract.label, replace=True)
        load_id, _ = write_rows(
            con,
            contract=contract,
            plan=plan,
            meta=LoadRecord(
                kind=kind,
                file_name=f"data/reference/{name}",
                source_label=label,
                sha256=digest,
            ),
            previous=previous,
        )
        done.append(load_id)
    return done
