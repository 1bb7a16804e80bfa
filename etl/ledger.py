"""The load ledger: one row per load in ``loads``, keyed by content (sha256)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from etl.errors import FileRefused


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class LoadRecord:
    kind: str
    file_name: str
    source_label: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0  # set aside without being errors (need-side kinds: outside the 93…)
    is_demo: bool = False
    loaded_by: str | None = None  # signed-in e-mail, 'cli'; None for built-in loads


def find_active(con: duckdb.DuckDBPyConnection, kind: str, sha256: str) -> int | None:
    """The load id of a live load of this kind with this exact content, if any (a replaced
    or removed load is not live: its file can be loaded again)."""
    row = con.execute(
        "SELECT load_id FROM loads WHERE kind = ? AND sha256 = ? AND replaced_at IS NULL "
        "AND removed_at IS NULL ORDER BY load_id DESC LIMIT 1",
        [kind, sha256],
    ).fetchone()
    return row[0] if row else None


def record(con: duckdb.DuckDBPyConnection, load: LoadRecord) -> int:
    """Insert the ledger row (inside the caller's transaction) and return its id: the next
    number, taken under the writer's lock (core.store.connect), which a DuckLake needs since
    it has no sequence."""
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    con.execute(
        "INSERT INTO loads (load_id, kind, file_name, source_label, sha256, rows_read, "
        "rows_loaded, rows_rejected, loaded_at, is_demo, loaded_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            load.kind,
            load.file_name,
            load.source_label,
            load.sha256,
            load.rows_read,
            load.rows_loaded,
            load.rows_rejected,
            datetime.now().replace(microsecond=0),
            load.is_demo,
            load.loaded_by,
        ],
    )
    return load_id


def update_counts(con: duckdb.DuckDBPyConnection, load_id: int, load: LoadRecord) -> None:
    con.execute(
        "UPDATE loads SET rows_read = ?, rows_loaded = ?, rows_rejected = ?, rows_skipped = ? "
        "WHERE load_id = ?",
        [load.rows_read, load.rows_loaded, load.rows_rejected, load.rows_skipped, load_id],
    )


def previous_loads_of_source(
    con: duckdb.DuckDBPyConnection, kind: str, label: str, *, what: str, replace: bool
) -> list[int]:
    """The live loads of this kind from the source LABEL, which a new file of it replaces.
    Without ``replace`` a second file of the same source is refused (WHAT: the kind's French
    name): correcting a file and adding another one must be told apart."""
    previous = [
        row[0]
        for row in con.execute(
            "SELECT load_id FROM loads WHERE kind = ? AND source_label = ? "
            "AND replaced_at IS NULL AND removed_at IS NULL ORDER BY load_id",
            [kind, label],
        ).fetchall()
    ]
    if previous and not replace:
        raise FileRefused(
            f"La source « {label} » a déjà un chargement de {what} "
            f"(n° {', '.join(map(str, previous))}) : pour corriger ce fichier, relancez "
            "avec --replace ; pour ajouter un autre fichier, donnez-lui une autre "
            "--source."
        )
    return previous
