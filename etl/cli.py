"""``python -m etl``: the administrator's manual. Every command documents itself (--help)."""

from __future__ import annotations

import argparse
import sys

from core.settings import get_settings
from core.store import connect, transaction, writer
from etl import boundaries, lake, load_cli, summary, unload
from etl.build import init_warehouse
from etl.cli_common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, db_arg, db_of, existing_db
from etl.errors import EtlError

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "build_parser", "main"]


def _built(report) -> list[str]:
    """What init or migrate has just built, in a few French words each."""
    parts = []
    if report.migrations:
        parts.append(f"schéma ({len(report.migrations)} migration(s))")
    if report.reference_load:
        parts.append("référentiel (39 communes, 4 EPT, programmes et objectifs des communiqués)")
    if report.contours_load:
        parts.append("contours des communes (IGN ADMIN EXPRESS)")
    if report.need_reference_loads:
        parts.append("besoins de référence (IFN de La MedNum, lieux France Services et CNFS 2022)")
    return parts


def cmd_init(args: argparse.Namespace) -> int:
    db = db_of(args)
    report = init_warehouse(
        db,
        with_demo=not args.no_demo,
        seed=args.seed,
        timeout_s=get_settings().lock_timeout_s,
    )
    built = _built(report)
    if report.demo_load:
        built.append("données de démonstration (signalées comme telles sur chaque page)")
    if built:
        print(f"Entrepôt {db} prêt : " + ", ".join(built) + ".")
    else:
        print(f"Entrepôt {db} déjà à jour : rien à faire.")
    if report.demo_removed:
        print(f"Données de démonstration retirées : {report.demo_removed} lignes.")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    db = existing_db(args)
    report = init_warehouse(db, with_demo=None, timeout_s=get_settings().lock_timeout_s)
    built = _built(report)
    if built:
        print(f"Entrepôt {db} mis à jour : " + ", ".join(built) + ".")
    else:
        print(f"Entrepôt {db} déjà à jour.")
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
    db = existing_db(args)
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
        "charge le référentiel (communes, EPT, programmes et objectifs des communiqués), les "
        "contours des communes livrés avec le projet s'il n'y en a pas encore et, sauf "
        "--no-demo, les données de démonstration. Sans effet si tout est déjà à jour.",
    )
    db_arg(init)
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
        description="Applique les migrations en attente, recharge le référentiel s'il a "
        "changé et charge les contours des communes livrés avec le projet si l'entrepôt n'en "
        "a pas, sans toucher aux chargements, aux contours chargés ni aux données de "
        "démonstration.",
    )
    db_arg(migrate)
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
    db_arg(status)
    status.set_defaults(func=cmd_status)

    # Commands defined beside their code: `load`/`rejects` and `boundaries`.
    for register in (load_cli.register, unload.register, boundaries.register, lake.register):
        register(sub, db_arg, db_of)
    return parser


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
