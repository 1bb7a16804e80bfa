"""Loading the files programme managers bring, every kind through one pipeline:
distributions, funding, targets, programmes (row kinds) and the need-side indicateurs,
lieux, conseillers.

``load_file`` is used by ``python -m etl load`` and by the dashboard's upload page. Each kind
is a contract (etl/schemas.py: columns and synonyms, types, personal columns, how rows
outside the département are treated) and a plan (etl/pipeline/kinds.py) whose steps run here,
in the same order for every kind:

1. Before the warehouse is touched: the file is read (etl/pipeline/read.py, etl/readers.py:
   format, encoding, separator, header row below title rows) and matched to the contract
   (row kinds: columns, etl/pipeline/columns.py; need-side kinds: the layout recognised from
   the header, etl/need/layouts.py). A file that cannot be read, or lacks a required
   column, is refused here. A file on disk is never held whole in memory by the row kinds:
   its content hash and its lines are taken by pieces, and DuckDB reads it from its path.
2. With the warehouse held for writing: the ledger is checked (same content → « déjà
   chargé »; a second file of the same source needs --replace, etl/ledger.py), the rows of
   the row kinds are read by DuckDB (in parallel) into a temporary table that keeps only
   the contract's columns (etl/pipeline/stage.py; personal-data columns only enter a hash used
   to tell duplicate rows apart). DuckDB's memory is capped on this connection: past it, it
   spills to a private folder beside the warehouse, removed afterwards.
3. In one transaction (etl/pipeline/write.py): ``--replace`` retires the previous loads of the
   source, the load enters the ledger with who loaded it, the plan checks every rule
   (row kinds: in SQL over the whole table, etl/pipeline/validate.py, values resolved once per
   distinct value, etl/pipeline/resolve.py; need-side kinds: their parser of etl/need/), valid
   rows are inserted and the others recorded in ``rejected_rows`` with their reasons. A
   crash or a kill before the commit leaves the warehouse as it was; nothing but the kept
   columns is ever written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.store import Location, connect, location
from etl import schemas
from etl.errors import EtlError
from etl.ledger import LoadRecord, find_active, previous_loads_of_source
from etl.pipeline.columns import match_columns
from etl.pipeline.kinds import Request, plan_for
from etl.pipeline.macros import create_macros
from etl.pipeline.read import read_input, scan
from etl.pipeline.rejects import neutralise_cell, rejects_of
from etl.pipeline.result import KIND_LABELS, LoadResult
from etl.pipeline.stage import bound_memory, spill_folder
from etl.pipeline.write import PAUSE_ENV, write_load

__all__ = [
    "KIND_LABELS",
    "PAUSE_ENV",
    "LoadResult",
    "load_file",
    "match_columns",
    "neutralise_cell",
    "rejects_of",
]


def load_file(
    db: Location,
    kind: str,
    path_or_bytes: Path | str | bytes,
    file_name: str | None = None,
    source_label: str | None = None,
    replace: bool = False,
    sheet: str | None = None,
    timeout_s: float = 30.0,
    year: int | None = None,
    loaded_by: str | None = None,
) -> LoadResult:
    """Load one file into the warehouse, in one transaction; see the module docstring.

    Raises FileRefused (one French sentence) when the whole file is refused; the warehouse is
    then left exactly as it was. Rows breaking a rule are recorded in ``rejected_rows``.
    ``year`` (--annee): the vintage of need-side indicators when the file does not say it.
    ``loaded_by``: who loads it, recorded in the ledger (signed-in e-mail, or « cli »).
    """
    contract = schemas.CONTRACTS.get(kind)
    if contract is None:
        raise EtlError(
            f"Type de fichier inconnu : « {kind} » (attendu : {', '.join(KIND_LABELS)})."
        )
    db = location(db)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    source, name = read_input(path_or_bytes, file_name)
    explicit = (source_label or "").strip() or None
    label = explicit or name
    result = LoadResult(kind=kind, file_name=name, source_label=label)
    plan = plan_for(contract, Request(source, name, label, explicit, sheet, year))
    scanned = scan(source)
    digest = scanned.sha256 + (f":{sheet}" if sheet else "")
    if contract.takes_year and year:
        digest += f":annee={year}"
    # A file already loaded is recognised by its hash before it is parsed (a large workbook
    # takes long to read); the check is made again below, under the writer's lock.
    peek = connect(db, read_only=True, timeout_s=timeout_s)
    try:
        existing = find_active(peek, kind, digest)
    finally:
        peek.close()
    if existing is not None:
        return _already_loaded(result, existing)
    plan.prepare(result)

    con = connect(db, timeout_s=timeout_s)  # waits for other holders, then WarehouseBusy
    spill = spill_folder(db)
    try:
        bound_memory(con, spill)
        create_macros(con)
        # This connection holds the warehouse file for writing: no other process can change
        # it until we close, so what is read here still holds inside the transaction below.
        existing = find_active(con, kind, digest)
        if existing is not None:
            return _already_loaded(result, existing)
        previous = previous_loads_of_source(con, kind, label, what=contract.label, replace=replace)
        plan.stage(con, scanned, result)
        meta = LoadRecord(
            kind=kind, file_name=name, source_label=label, sha256=digest, loaded_by=loaded_by
        )
        result.load_id, written = write_load(
            con, contract=contract, plan=plan, meta=meta, previous=previous
        )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    result.rows_read, result.rows_loaded = written.rows_read, written.rows_loaded
    result.rows_rejected, result.rows_skipped = written.rows_rejected, written.rows_skipped
    result.messages.extend(written.messages)
    result.replaced_loads = previous
    if previous:
        result.messages.append(
            "Chargement(s) remplacé(s) : n° "
            + ", ".join(map(str, previous))
            + " (leurs lignes ont été retirées)."
        )
    if result.rows_loaded == 0:
        result.messages.append("Aucune ligne n'est valide : rien n'a été ajouté aux données.")
    return result


def _already_loaded(result: LoadResult, existing: int) -> LoadResult:
    result.already_loaded = True
    result.load_id = existing
    result.rows_read = 0
    result.messages.append(
        f"Ce fichier est déjà chargé (chargement n° {existing}) : rien n'a changé."
    )
    return result
