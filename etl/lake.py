"""Moving a warehouse, and keeping a DuckLake tidy: ``exporter``, ``importer``, ``entretien``.

An export is a folder of Parquet files, one per table, with DuckDB's EXPORT DATABASE layout
(schema.sql, load.sql, TABLE.parquet), taken from one snapshot. ``importer`` reads it, or
a folder written by DuckDB's own ``EXPORT DATABASE 'dir' (FORMAT parquet)`` (a warehouse file
of another DuckDB version), into a new warehouse, file or lake: it builds the schema the
export was made with (its schema_migrations), copies the rows by column name, then applies the
migrations that came after, so an older warehouse is upgraded on the way.

``entretien`` is the nightly maintenance: on a lake, DuckLake's functions (small files
merged, old snapshots expired, their files and a killed writer's orphan files deleted),
under the writers' lock; on a file, CHECKPOINT.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.settings import get_settings
from core.store import (
    KEYS,
    LAKE_NAME,
    Lake,
    Location,
    available,
    check_keys,
    connect,
    migrate,
    transaction,
    writer,
)
from etl.cli_common import EXIT_OK
from etl.errors import EtlError

MIGRATIONS_TABLE = "schema_migrations"
# load.sql lines: COPY "main"."t" FROM 'dir/t.parquet' (FORMAT 'parquet');
_COPY = re.compile(
    r"COPY\s+((?:\"[^\"]+\"|[\w]+)(?:\.(?:\"[^\"]+\"|[\w]+))*)\s+FROM\s+'([^']+)'", re.I
)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse's tables (its main schema), by name."""
    return [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema() AND NOT temporary ORDER BY table_name"
        ).fetchall()
    ]


# --- exporter -------------------------------------------------------------------------------


def export_warehouse(db: Location, folder: Path, timeout_s: float = 30.0) -> dict[str, int]:
    """Write every table of DB to FOLDER (new or empty) as Parquet, from one snapshot;
    return the rows written per table."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise EtlError(f"Le dossier {folder} n'est pas vide : choisissez un dossier nouveau.")
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : rien à exporter.")
    folder.mkdir(parents=True, exist_ok=True)
    con = connect(db, read_only=True, timeout_s=timeout_s)
    counts: dict[str, int] = {}
    try:
        con.execute("BEGIN")  # one snapshot: a load committing meanwhile is not half in it
        schema, load = [], []
        for table in tables(con):
            path = folder / f"{table}.parquet"
            con.execute(f"COPY (SELECT * FROM {_ident(table)}) TO {_lit(path)} (FORMAT parquet)")
            counts[table] = con.execute(f"SELECT count(*) FROM {_ident(table)}").fetchone()[0]
            sql = con.execute(
                "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = current_schema() AND table_name = ?",
                [table],
            ).fetchone()[0]
            schema.append(sql.rstrip(";") + ";")
            load.append(f"COPY {_ident(table)} FROM {_lit(path.name)} (FORMAT 'parquet');")
        con.execute("COMMIT")
    finally:
        con.close()
    (folder / "schema.sql").write_text("\n".join(schema) + "\n", encoding="utf-8")
    (folder / "load.sql").write_text("\n".join(load) + "\n", encoding="utf-8")
    return counts


# --- importer -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: dict[str, int] = field(default_factory=dict)
    migrations_after: list[str] = field(default_factory=list)
    skipped_tables: list[str] = field(default_factory=list)


def exported_files(folder: Path) -> dict[str, Path]:
    """Table → Parquet file of an export folder, read from its load.sql (ours or DuckDB's
    EXPORT DATABASE: a path there may be absolute, or relative to where it ran)."""
    load_sql = Path(folder) / "load.sql"
    if not load_sql.exists():
        raise EtlError(
            f"{folder} n'est pas un export (pas de load.sql) : exportez avec « python -m etl "
            "exporter » ou EXPORT DATABASE '…' (FORMAT parquet)."
        )
    found = {}
    for target, file in _COPY.findall(load_sql.read_text(encoding="utf-8")):
        table = target.split(".")[-1].strip('"')
        path = Path(file)
        if not path.is_absolute() or not path.exists():
            path = Path(folder) / path.name
        if not path.exists():
            raise EtlError(f"Fichier de l'export introuvable : {path}.")
        found[table] = path
    return found


def _is_empty(db: Location) -> bool:
    if isinstance(db, Lake):
        if not db.exists():
            return True
        con = connect(db, read_only=True)
        try:
            return not tables(con)
        finally:
            con.close()
    return not db.exists()


def import_warehouse(db: Location, folder: Path, timeout_s: float = 30.0) -> ImportReport:
    """Fill the new warehouse DB from the export FOLDER (see the module docstring)."""
    files = exported_files(folder)
    if MIGRATIONS_TABLE not in files:
        raise EtlError(f"L'export {folder} n'a pas de table {MIGRATIONS_TABLE} : ce n'est pas "
                       "un entrepôt de l'Observatoire.")  # fmt: skip
    if not _is_empty(db):
        raise EtlError(
            f"L'entrepôt {db} existe déjà : importez dans un entrepôt nouveau (un autre "
            "fichier, ou une base PostgreSQL vide pour un DuckLake)."
        )
    versions = {
        int(row[0])
        for row in duckdb.sql(
            f"SELECT version FROM read_parquet({_lit(files[MIGRATIONS_TABLE])})"
        ).fetchall()
    }
    known = {version for version, _, _ in available()}
    if versions - known:
        raise EtlError(
            f"L'export vient d'une version plus récente de l'Observatoire (migrations "
            f"{', '.join(f'{v:03d}' for v in sorted(versions - known))} inconnues ici) : "
            "mettez ce code à jour avant d'importer."
        )
    report = ImportReport()
    with writer(db, timeout_s) as con:
        migrate(con, only=versions)  # the schema the rows were exported from
        present = set(tables(con))
        with transaction(con):
            for table, path in sorted(files.items()):
                if table == MIGRATIONS_TABLE:
                    continue
                if table not in present:
                    report.skipped_tables.append(table)
                    continue
                target = {r[0] for r in con.execute(f"DESCRIBE {_ident(table)}").fetchall()}
                source = [
                    r[0]
                    for r in con.execute(
                        f"DESCRIBE SELECT * FROM read_parquet({_lit(path)})"
                    ).fetchall()
                ]
                columns = ", ".join(_ident(c) for c in source if c in target)
                con.execute(f"DELETE FROM {_ident(table)}")  # what the migrations put there
                con.execute(
                    f"INSERT INTO {_ident(table)} ({columns}) "
                    f"SELECT {columns} FROM read_parquet({_lit(path)})"
                )
                report.rows[table] = con.execute(
                    f"SELECT count(*) FROM {_ident(table)}"
                ).fetchone()[0]
            check_keys(con, [t for t in report.rows if t in KEYS])
        report.migrations_after = migrate(con)  # an older export is upgraded here
    return report


# --- entretien ------------------------------------------------------------------------------


def maintain(db: Location, keep_days: int = 7, timeout_s: float = 30.0) -> list[str]:
    """The warehouse's maintenance; returns what was done, one French line each."""
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    done = []
    with writer(db, timeout_s) as con:  # no load half-written while files are deleted
        if not isinstance(db, Lake):
            con.execute("CHECKPOINT")
            return ["CHECKPOINT : le journal d'écriture est reversé dans le fichier."]
        lake = _lit(LAKE_NAME)
        older = f"now() - INTERVAL {int(keep_days)} DAY"
        steps = [
            ("données en ligne écrites en Parquet", f"ducklake_flush_inlined_data({lake})"),
            ("petits fichiers fusionnés", f"ducklake_merge_adjacent_files({lake})"),
            (
                f"instantanés de plus de {keep_days} jours expirés",
                f"ducklake_expire_snapshots({lake}, older_than => {older})",
            ),
            (
                "fichiers d'instantanés expirés supprimés",
                f"ducklake_cleanup_old_files({lake}, cleanup_all => true)",
            ),
            (
                "fichiers orphelins (écrivain interrompu) supprimés",
                f"ducklake_delete_orphaned_files({lake}, cleanup_all => true)",
            ),
        ]
        for label, call in steps:
            # Counted in SQL: their rows carry timestamps with time zone (no pytz here).
            count = con.execute(f"SELECT count(*) FROM {call}").fetchone()[0]
            done.append(f"{label} : {count}")
    return done


# --- command line ---------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, db_of) -> int:
    db = db_of(args)
    counts = export_warehouse(db, args.dossier, get_settings().lock_timeout_s)
    print(
        f"Entrepôt {db} exporté dans {args.dossier} : {len(counts)} tables, "
        f"{sum(counts.values())} lignes (Parquet)."
    )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, db_of) -> int:
    db = db_of(args)
    report = import_warehouse(db, args.dossier, get_settings().lock_timeout_s)
    print(
        f"Export {args.dossier} importé dans {db} : {len(report.rows)} tables, "
        f"{sum(report.rows.values())} lignes."
    )
    if report.migrations_after:
        print("Migrations appliquées ensuite : " + ", ".join(report.migrations_after) + ".")
    if report.skipped_tables:
        print("Tables de l'export ignorées : " + ", ".join(report.skipped_tables) + ".")
    return EXIT_OK


def cmd_maintain(args: argparse.Namespace, db_of) -> int:
    db = db_of(args)
    for line in maintain(db, args.garder_jours, get_settings().lock_timeout_s):
        print(line)
    print(f"Entretien de {db} terminé.")
    return EXIT_OK


def register(sub, db_arg, db_of) -> None:
    export = sub.add_parser(
        "exporter",
        help="exporte l'entrepôt (fichier ou DuckLake) en Parquet dans un dossier",
        description="Écrit chaque table de l'entrepôt dans DOSSIER (nouveau ou vide) en "
        "Parquet, depuis un même instantané, au format d'EXPORT DATABASE de DuckDB "
        "(schema.sql, load.sql, une table par fichier). « importer » le relit dans un autre "
        "entrepôt : fichier → DuckLake, DuckLake → fichier, ou vers une autre version.",
    )
    export.add_argument(
        "dossier", type=Path, metavar="DOSSIER", help="dossier de l'export (nouveau ou vide)"
    )
    db_arg(export)
    export.set_defaults(func=lambda args: cmd_export(args, db_of))

    imp = sub.add_parser(
        "importer",
        help="remplit un entrepôt nouveau depuis un export Parquet",
        description="Lit un dossier écrit par « exporter » ou par EXPORT DATABASE '…' "
        "(FORMAT parquet) de DuckDB (un fichier d'une autre version de DuckDB) dans un "
        "entrepôt nouveau (fichier absent, ou base PostgreSQL vide pour un DuckLake) : "
        "schéma de l'export, lignes copiées par nom de colonne, puis migrations venues après.",
    )
    imp.add_argument(
        "dossier",
        type=Path,
        metavar="DOSSIER",
        help="dossier écrit par exporter ou EXPORT DATABASE",
    )
    db_arg(imp)
    imp.set_defaults(func=lambda args: cmd_import(args, db_of))

    maint = sub.add_parser(
        "entretien",
        help="maintenance de l'entrepôt, à lancer chaque nuit (DuckLake : fichiers, instantanés)",
        description="Sur un DuckLake : fusionne les petits fichiers Parquet, expire les "
        "instantanés plus anciens que --garder-jours, supprime leurs fichiers et les "
        "fichiers orphelins qu'un chargement interrompu a laissés ; attend qu'aucun "
        "chargement ne soit en cours. Sur un fichier : CHECKPOINT. À lancer chaque nuit "
        "(cron, timer systemd).",
    )
    maint.add_argument(
        "--garder-jours",
        type=int,
        default=7,
        metavar="N",
        help="jours d'instantanés gardés (retour dans le temps possible) ; défaut 7",
    )
    db_arg(maint)
    maint.set_defaults(func=lambda args: cmd_maintain(args, db_of))
