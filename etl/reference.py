"""Reference data (communes, EPTs, former codes and names, programmes and targets from the
press releases) loaded from the committed CSV files of data/reference/."""

from __future__ import annotations

import duckdb

from core.settings import REFERENCE_DIR
from etl.ledger import LoadRecord, find_active, record, sha256_of_files

FILES = {
    name: REFERENCE_DIR / f"{name}.csv"
    for name in (
        "communes",
        "epts",
        "passage-2024-2025",
        "communes-2024",
        "former_names",
        "sources",
        "programmes",
        "targets",
    )
}

REFERENCE_TABLES = ("sources", "epts", "communes", "commune_codes", "commune_former_names")


def _csv(name: str) -> str:
    return f"read_csv('{FILES[name].as_posix()}', all_varchar = true, header = true)"


def load_reference(con: duckdb.DuckDBPyConnection) -> int | None:
    """(Re)load every reference table inside the caller's transaction.

    Returns the new load id, or None when the same reference content is already loaded.
    """
    digest = sha256_of_files(list(FILES.values()))
    if find_active(con, "reference", digest) is not None:
        return None
    con.execute(
        "UPDATE loads SET replaced_at = now() WHERE kind = 'reference' AND replaced_at IS NULL"
    )
    for table in REFERENCE_TABLES:
        con.execute(f"DELETE FROM {table}")
    con.execute(
        "DELETE FROM targets WHERE load_id IN (SELECT load_id FROM loads WHERE kind = 'reference')"
    )
    con.execute(
        "DELETE FROM programmes WHERE load_id IN "
        "(SELECT load_id FROM loads WHERE kind = 'reference')"
    )
    load_id = record(
        con,
        LoadRecord(
            kind="reference",
            file_name="data/reference/*.csv",
            source_label="Référentiel (COG INSEE 2025, communiqués de presse)",
            sha256=digest,
        ),
    )
    con.execute(
        f"""INSERT INTO sources
            SELECT id, title, publisher, CAST(date AS DATE), seed_file FROM {_csv("sources")}"""
    )
    con.execute(f"INSERT INTO epts SELECT ept_siren, ept_nom FROM {_csv('epts')}")
    con.execute(
        f"""INSERT INTO communes
            SELECT code_insee, nom, ept_siren, CAST(population_municipale AS INTEGER),
                   CAST(population_millesime AS INTEGER), codes_postaux
            FROM {_csv("communes")}"""
    )
    # Every code in use since 2015 (2024 geography) plus the current ones, mapped to today's.
    con.execute(
        f"""INSERT INTO commune_codes
            SELECT code_insee, code_insee FROM {_csv("communes")}
            UNION
            SELECT code_insee_2024, code_insee_2025 FROM {_csv("communes-2024")}
            UNION
            SELECT code_ancien, code_nouveau FROM {_csv("passage-2024-2025")}"""
    )
    con.execute(
        f"""INSERT INTO commune_former_names
            SELECT name, code, current_code, CAST(valid_until AS DATE), source
            FROM {_csv("former_names")}"""
    )
    con.execute(
        f"""INSERT INTO programmes
            SELECT id, name, operator, CAST(start_date AS DATE), CAST(end_date AS DATE),
                   source, description, {load_id}
            FROM {_csv("programmes")}"""
    )
    con.execute(
        f"""INSERT INTO targets
            SELECT programme_id, indicator, item, CAST(target_value AS DOUBLE), unit, scope,
                   scope_code, CAST(deadline AS DATE), source, label, public, operator, funder,
                   {load_id}
            FROM {_csv("targets")}"""
    )
    rows = sum(
        con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in REFERENCE_TABLES
    )
    con.execute(
        "UPDATE loads SET rows_read = ?, rows_loaded = ? WHERE load_id = ?", [rows, rows, load_id]
    )
    return load_id
