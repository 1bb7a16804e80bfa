"""Removing a load: ``python -m etl unload N`` and the « Données » page's button.

In one transaction: every row stamped with the load's id is deleted, from every table that
has a ``load_id`` column (found in information_schema, so a table added later is covered
too), with the load's rejected rows; the summaries of the distributions and the target
shares are recomputed for what changed; the ledger line stays, marked ``removed_at`` /
``removed_by``, so that the history keeps it and the same file can be loaded again.
Reference, demonstration and boundaries loads are not removed this way (``init --no-demo``
and ``boundaries`` manage them).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import duckdb

from core.settings import get_settings
from core.store import Location, connect, location, transaction
from etl import summary, target_shares
from etl.cli_common import EXIT_OK
from etl.errors import EtlError

# Kinds whose loads are managed by their own commands, never removed by `unload`.
PROTECTED_KINDS = {
    "reference": "le référentiel se met à jour avec « python -m etl migrate »",
    "demo": "les données de démonstration se retirent avec « python -m etl init --no-demo »",
    "boundaries": "les contours se remplacent avec « python -m etl boundaries »",
}
# Not deleted row by row: recomputed from the records (etl/summary.py).
_SUMMARY_TABLES = set(summary.SUMMARIES)
_LEDGER_TABLES = {"loads", "rejected_rows"}


@dataclass
class UnloadResult:
    load_id: int
    kind: str
    source_label: str
    file_name: str
    removed_rows: dict[str, int] = field(default_factory=dict)  # table → rows deleted
    rejects_removed: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.removed_rows.values())


def tables_with_load_id(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table of the warehouse holding rows stamped with a load id, except the
    ledger, the rejects and the summaries (handled on their own)."""
    rows = con.execute(
        """SELECT c.table_name
           FROM information_schema.columns c
           JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name
           WHERE c.column_name = 'load_id' AND c.table_schema = current_schema()
             AND t.table_type = 'BASE TABLE'
           ORDER BY c.table_name"""
    ).fetchall()
    return [name for (name,) in rows if name not in _LEDGER_TABLES | _SUMMARY_TABLES]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _programmes_in_use(con: duckdb.DuckDBPyConnection, load_id: int, tables: list[str]) -> str:
    """« id (chargements n° …) » for the programmes of this load that rows of other loads
    still refer to; empty when none."""
    users: dict[str, set[int]] = {}
    for table in tables:
        columns = {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                [table],
            ).fetchall()
        }
        if "programme_id" not in columns:
            continue
        for programme, other in con.execute(
            f"""SELECT DISTINCT t.programme_id, t.load_id FROM {_quoted(table)} t
                JOIN programmes p ON p.id = t.programme_id
                WHERE p.load_id = ? AND t.load_id <> ?""",
            [load_id, load_id],
        ).fetchall():
            users.setdefault(programme, set()).add(other)
    return ", ".join(
        f"« {p} » (chargement{'s' if len(ids) > 1 else ''} n° {', '.join(map(str, sorted(ids)))})"
        for p, ids in sorted(users.items())
    )


def unload(db: Location, load_id: int, removed_by: str, timeout_s: float = 30.0) -> UnloadResult:
    """Remove load LOAD_ID (see the module docstring); REMOVED_BY is recorded in the ledger
    (signed-in e-mail, or « cli »). Raises EtlError, in French, when the load cannot be
    removed; the warehouse is then unchanged."""
    db = location(db)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    con = connect(db, timeout_s=timeout_s)
    try:
        with transaction(con):
            found = con.execute(
                """SELECT kind, source_label, file_name, replaced_at, removed_at,
                          strftime(removed_at, '%d/%m/%Y %H:%M'), removed_by
                   FROM loads WHERE load_id = ?""",
                [load_id],
            ).fetchall()
            if not found:
                raise EtlError(
                    f"Aucun chargement n° {load_id} : « python -m etl status » les liste."
                )
            kind, label, file_name, replaced_at, removed_at, removed_on, who = found[0]
            if kind in PROTECTED_KINDS:
                raise EtlError(
                    f"Le chargement n° {load_id} ne peut pas être retiré ainsi : "
                    f"{PROTECTED_KINDS[kind]}."
                )
            if removed_at is not None:
                raise EtlError(
                    f"Le chargement n° {load_id} est déjà retiré (le {removed_on}, par "
                    f"{who or '—'}) : rien n'a changé."
                )
            if replaced_at is not None:
                raise EtlError(
                    f"Le chargement n° {load_id} a déjà été remplacé par un chargement plus "
                    "récent de la même source, qui a retiré ses lignes : c'est ce dernier "
                    "qu'il faut retirer."
                )
            tables = tables_with_load_id(con)
            if kind == "programmes":
                in_use = _programmes_in_use(con, load_id, tables)
                if in_use:
                    raise EtlError(
                        f"Le chargement n° {load_id} ne peut pas être retiré : d'autres "
                        f"chargements utilisent ses programmes : {in_use}. Retirez-les "
                        "d'abord."
                    )
            result = UnloadResult(
                load_id=load_id, kind=kind, source_label=label, file_name=file_name
            )
            for table in tables:
                deleted = con.execute(
                    f"DELETE FROM {_quoted(table)} WHERE load_id = ?", [load_id]
                ).fetchone()[0]
                if deleted:
                    result.removed_rows[table] = int(deleted)
            result.rejects_removed = int(
                con.execute("DELETE FROM rejected_rows WHERE load_id = ?", [load_id]).fetchone()[0]
            )
            # Derived tables, kept in step in the same transaction.
            summary.refresh(con, loads=[load_id])
            if kind in ("targets", "programmes") or "targets" in result.removed_rows:
                target_shares.refresh(con)
            con.execute(
                "UPDATE loads SET removed_at = now()::TIMESTAMP, removed_by = ? WHERE load_id = ?",
                [removed_by, load_id],
            )
    except duckdb.Error as exc:  # disk full, damaged warehouse…: said in French
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EtlError(
            f"Le retrait du chargement n° {load_id} a échoué et a été entièrement annulé : "
            f"l'entrepôt est inchangé (détail technique : {detail})."
        ) from exc
    finally:
        con.close()
    return result


def describe(result: UnloadResult) -> str:
    """The French confirmation sentence, for the command line and the page."""
    parts = ", ".join(f"{table} : {n}" for table, n in sorted(result.removed_rows.items()))
    rows = f"{result.total_rows} ligne{'s' if result.total_rows > 1 else ''} supprimée"
    rows += "s" if result.total_rows > 1 else ""
    return (
        f"Chargement n° {result.load_id} retiré (source « {result.source_label} », fichier "
        f"« {result.file_name} ») : {rows}"
        + (f" ({parts})" if parts else "")
        + f", {result.rejects_removed} motif{'s' if result.rejects_removed > 1 else ''} de "
        "rejet effacé"
        + ("s" if result.rejects_removed > 1 else "")
        + ". Il reste dans l'historique, marqué « retiré » ; le même fichier peut être "
        "chargé à nouveau."
    )


def cmd_unload(args: argparse.Namespace, db_of) -> int:
    result = unload(
        db_of(args), args.load_id, removed_by="cli", timeout_s=get_settings().lock_timeout_s
    )
    print(describe(result))
    return EXIT_OK


def register(sub, db_arg, db_of) -> None:
    unload_cmd = sub.add_parser(
        "unload",
        help="retire un chargement (ses lignes et ses rejets), gardé dans l'historique",
        description="Retire un chargement de fichier, dans une seule transaction : ses lignes "
        "(dans toutes les tables), ses lignes rejetées, et remet à jour les résumés des "
        "distributions et les parts d'objectifs. La ligne de l'historique reste, marquée "
        "« retiré » ; le même fichier peut ensuite être chargé à nouveau. Le référentiel, "
        "les données de démonstration et les contours ne se retirent pas ainsi.",
    )
    unload_cmd.add_argument(
        "load_id", type=int, metavar="N", help="numéro du chargement (voir « status »)"
    )
    db_arg(unload_cmd)
    unload_cmd.set_defaults(func=lambda args: cmd_unload(args, db_of))
