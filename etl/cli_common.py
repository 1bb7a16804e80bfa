"""What every ``python -m etl`` command shares: exit codes and the --db option."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.settings import get_settings
from core.store import Location
from etl.errors import EtlError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="fichier DuckDB de l'entrepôt (défaut : le DuckLake de "
        "$OBSERVATOIRE_LAKE_CATALOG s'il est défini, sinon $OBSERVATOIRE_DB ou "
        "data/observatoire.duckdb)",
    )


def db_of(args: argparse.Namespace) -> Location:
    return args.db or get_settings().warehouse


def existing_db(args: argparse.Namespace) -> Location:
    db = db_of(args)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    return db
