"""``python -m etl``: the administrator's manual. Every command documents itself (--help)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl import summary
from etl.db import connect, transaction, writer
from etl.errors import EtlError
from etl.warehouse import init_warehouse
from observatoire.settings import get_settings

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="fichier DuckDB de l'entrepôt (défaut : $OBSERVATOIRE_DB ou data/observatoire.duckdb)",
    )


def _db(args: argparse.Namespace) -> Path:
    return args.db or get_settings().db


def _existing_db(args: argparse.Namespace) -> Path:
    db = _db(args)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    return db


def cmd_init(args: argparse.Namespace) -> int:
    report = init_warehouse(
        _db(args),
        with_demo=not args.no_demo,
        seed=args.seed,
        timeout_s=get_settings().lock_timeout_s,
    )
    print(f"Entrepôt : {_db(args)}")
    if report.migrations:
        print("Migrations appliquées : " + ", ".join(report.migrations))
    else:
        print("Schéma à jour.")
    print(
        "Référentiel chargé." if report.reference_load else "Référentiel déjà à jour (déjà chargé)."
    )
    if args.no_demo:
        print(f"Données de démonstration retirées : {report.demo_removed} lignes.")
    elif report.demo_load:
        print("Données de démonstration chargées (signalées comme telles partout).")
    else:
        print("Données de démonstration déjà chargées.")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    db = _existing_db(args)
    report = init_warehouse(db, with_demo=None, timeout_s=get_settings().lock_timeout_s)
    applied = ", ".join(report.migrations) or "aucune"
    reference = "mis à jour" if report.reference_load else "déjà à jour"
    print(f"Entrepôt : {db} — migrations appliquées : {applied} ; référentiel {reference}.")
    if args.rebuild_summaries:
        with writer(db, get_settings().lock_timeout_s) as con, transaction(con):
            summary.refresh(con, everything=True)
            by_month, by_day, records = summary.counts(con)
        print(
            f"Résumés des distributions recalculés : {by_month} lignes par mois, {by_day} "
            f"par jour, pour {records} enregistrements."
        )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    db = _existing_db(args)
    con = connect(db, read_only=True, timeout_s=get_settings().lock_timeout_s)
    try:
        rows = con.execute(
            """SELECT load_id, kind, source_label, file_name, strftime(loaded_at, '%d/%m/%Y %H:%M'),
                      rows_read, rows_loaded, rows_rejected,
                      CASE WHEN removed_at IS NOT NULL THEN 'retiré'
                           WHEN replaced_at IS NOT NULL THEN 'remplacé' ELSE '' END
               FROM loads ORDER BY load_id"""
        ).fetchall()
        by_month, by_day, summed = summary.counts(con)
        out_of_step = summary.differences(con)
    finally:
        con.close()
    header = ("id", "type", "source", "fichier", "chargé le", "lues", "chargées", "rejetées", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print(
        f"Résumés des distributions (lus par les pages) : {by_month} lignes par mois, "
        f"{by_day} par jour, pour {summed} enregistrements."
    )
    if out_of_step:
        print(
            f"Erreur : les résumés diffèrent des enregistrements sur {out_of_step} lignes ; "
            "« python -m etl migrate --rebuild-summaries » les recalcule.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m etl",
        description="Alimente l'entrepôt DuckDB de l'Observatoire de l'inclusion numérique "
        "de la Seine-Saint-Denis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)

    init = sub.add_parser(
        "init",
        help="crée ou met à jour l'entrepôt (migrations, référentiel, démonstration)",
        description="Crée l'entrepôt s'il n'existe pas, applique les migrations en attente, "
        "charge le référentiel (communes, EPT, programmes et objectifs des communiqués) et, "
        "sauf --no-demo, les données de démonstration. Sans effet si tout est déjà à jour.",
    )
    _db_arg(init)
    init.add_argument(
        "--no-demo",
        action="store_true",
        help="sans données de démonstration (les retire si présentes)",
    )
    init.add_argument("--seed", type=int, default=93, help="graine du générateur de démonstration")
    init.set_defaults(func=cmd_init)

    migrate = sub.add_parser(
        "migrate",
        help="met à jour le schéma et le référentiel d'un entrepôt existant",
        description="Applique les migrations en attente et recharge le référentiel s'il a "
        "changé, sans toucher aux chargements ni aux données de démonstration.",
    )
    _db_arg(migrate)
    migrate.add_argument(
        "--rebuild-summaries",
        action="store_true",
        help="recalcule aussi les résumés des distributions (par mois, par jour) que lisent "
        "les pages, si « status » les dit en décalage",
    )
    migrate.set_defaults(func=cmd_migrate)

    status = sub.add_parser(
        "status",
        help="liste les chargements",
        description="Liste les chargements : type, source, date, lignes lues, chargées "
        "et rejetées ; vérifie que les résumés des distributions suivent les "
        "enregistrements.",
    )
    _db_arg(status)
    status.set_defaults(func=cmd_status)

    for register in _command_registrations():
        register(sub, _db_arg, _db)
    return parser


def _command_registrations():
    """Commands defined beside their code: `load`/`rejects`, `unload` and `boundaries`.
    Imported here, when the parser is built, because those modules import this one."""
    from etl import boundaries, load_cli, unload

    return (load_cli.register, unload.register, boundaries.register)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return args.func(args)
    except EtlError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_REFUSED
