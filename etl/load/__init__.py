"""Loading the files programme managers bring: distributions, funding, targets, programmes.

``load_file`` is used by ``python -m etl load`` and by the dashboard's upload page. It runs
three steps, each in its own module:

1. Before the warehouse is touched: the file is read (etl/load/read.py, etl/readers.py:
   format, encoding, separator, header row below title rows) and its columns matched to the
   kind's contract (etl/load/columns.py, etl/schemas.py). A file that cannot be read, or
   lacks a required column, is refused here. A file on disk is never held whole in memory:
   its content hash and its lines are taken by pieces, and DuckDB reads it from its path (a
   copy decoded by pieces when it is not UTF-8 or has empty lines).
2. With the warehouse held for writing: the ledger is checked (same content → « déjà
   chargé »), the rows are read by DuckDB (in parallel) into a temporary table that keeps
   only the contract's columns (etl/load/stage.py; personal-data columns only enter a hash
   used to tell duplicate rows apart), blank rows and a final « Total » row are set aside.
   DuckDB's memory is capped on this connection: past it, it spills to a private folder
   beside the warehouse, removed afterwards.
3. In one transaction (etl/load/write.py): ``--replace`` retires the previous loads of the
   source, every rule is checked in SQL over the whole table (etl/load/validate.py; values
   are resolved once per distinct value, etl/load/resolve.py, then joined back), valid rows
   are inserted and the others recorded in ``rejected_rows`` with their reasons. A crash or
   a kill before the commit leaves the warehouse as it was; nothing but the kept columns is
   ever written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.store import connect
from etl import readers, schemas
from etl.errors import EtlError
from etl.ledger import find_active, previous_loads_of_source
from etl.load.columns import match_columns
from etl.load.macros import create_macros
from etl.load.read import read_input, scan
from etl.load.rejects import neutralise_cell, rejects_of
from etl.load.result import KIND_LABELS, LoadResult
from etl.load.stage import bound_memory, spill_folder, stage
from etl.load.write import PAUSE_ENV, write_load

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
    db: Path,
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
    from etl import need  # the need-side kinds (issue #13) have their own loaders

    if kind in need.KINDS:
        return need.load_need_file(
            db,
            kind,
            path_or_bytes,
            file_name=file_name,
            source_label=source_label,
            replace=replace,
            sheet=sheet,
            year=year,
            timeout_s=timeout_s,
            loaded_by=loaded_by,
        )
    if kind not in schemas.CONTRACTS:
        raise EtlError(
            f"Type de fichier inconnu : « {kind} » (attendu : {', '.join(KIND_LABELS)})."
        )
    db = Path(db)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    source, name = read_input(path_or_bytes, file_name)
    label = (source_label or "").strip() or name
    contract = schemas.CONTRACTS[kind]
    result = LoadResult(kind=kind, file_name=name, source_label=label)

    raw = readers.read_table(source, name, schemas.synonyms_of(contract), sheet)
    result.format, result.encoding, result.separator = raw.format, raw.encoding, raw.separator
    result.sheet, result.header_row = raw.sheet, raw.header_row
    cols = match_columns(raw.headers, contract, name)
    result.dropped_personal_columns = [header for header, _ in cols.personal]
    result.ignored_columns = [*cols.ignored, *cols.doubled]
    result.messages.extend(cols.messages)
    if cols.personal:
        result.messages.append(
            "Colonnes de données personnelles supprimées avant tout enregistrement : "
            + ", ".join(f"« {h} » ({what})" for h, what in cols.personal)
            + "."
        )
    if cols.ignored:
        result.messages.append(
            "Colonnes inconnues ignorées : " + ", ".join(f"« {h} »" for h in cols.ignored) + "."
        )
    result.encoding = raw.encoding

    scanned = scan(source)
    digest = scanned.sha256 + (f":{sheet}" if sheet else "")
    con = connect(db, timeout_s=timeout_s)  # waits for other holders, then WarehouseBusy
    spill = spill_folder(db)
    try:
        bound_memory(con, spill)
        create_macros(con)
        # This connection holds the warehouse file for writing: no other process can change
        # it until we close, so what is read here still holds inside the transaction below.
        existing = find_active(con, kind, digest)
        if existing is not None:
            result.already_loaded = True
            result.load_id = existing
            result.rows_read = 0
            result.messages.append(
                f"Ce fichier est déjà chargé (chargement n° {existing}) : rien n'a changé."
            )
            return result
        previous = previous_loads_of_source(
            con, kind, label, what=KIND_LABELS[kind], replace=replace
        )
        # The rows are read into temporary tables (never written to the warehouse file)
        # before the transaction: a failed attempt (not UTF-8 after all…) can be retried.
        result.rows_read, total_row = stage(con, raw, cols, contract, scanned.lines, name)
        raw.arrow = source.data = None  # read: free the file's bytes (memory peak)
        if total_row is not None:
            result.messages.append(
                f"La ligne {total_row} (total) n'est pas comptée comme une donnée."
            )
        result.encoding = raw.encoding
        result.load_id, result.rows_rejected = write_load(
            con,
            kind=kind,
            contract=contract,
            cols=cols,
            name=name,
            label=label,
            digest=digest,
            rows_read=result.rows_read,
            previous=previous,
            loaded_by=loaded_by,
        )
        result.rows_loaded = result.rows_read - result.rows_rejected
        result.replaced_loads = previous
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    if result.replaced_loads:
        result.messages.append(
            "Chargement(s) remplacé(s) : n° "
            + ", ".join(map(str, result.replaced_loads))
            + " (leurs lignes ont été retirées)."
        )
    if result.rows_loaded == 0:
        result.messages.append("Aucune ligne n'est valide : rien n'a été ajouté aux données.")
    return result
