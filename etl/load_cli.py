"""``python -m etl load`` and ``python -m etl rejects``: loading users' files, listing rejects."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from core.settings import get_settings
from core.store import connect
from etl.cli_common import EXIT_OK, EXIT_REFUSED
from etl.load import KIND_LABELS, load_file, neutralise_cell, rejects_of
from etl.mapping import parse_option
from etl.schemas import KINDS

_USER_KINDS = ", ".join(f"'{k}'" for k in KINDS)


def cmd_load(args: argparse.Namespace, db_of) -> int:
    db = db_of(args)
    result = load_file(
        db,
        args.kind,
        args.file,
        source_label=args.source,
        replace=args.replace,
        sheet=args.sheet,
        timeout_s=get_settings().lock_timeout_s,
        year=args.annee,
        loaded_by="cli",
        columns=parse_option(args.colonnes),
    )
    if result.already_loaded:
        print(
            f"{result.file_name} : déjà chargé (chargement n° {result.load_id}) ; rien n'a changé."
        )
        return EXIT_OK
    how = result.format
    if result.format == "CSV":
        sep = {";": "« ; »", ",": "« , »", "\t": "tabulation"}[result.separator or ";"]
        how += f", {result.encoding}, séparateur {sep}"
    else:
        how += f", feuille « {result.sheet} »"
    print(f"Fichier : {result.file_name} ({how}, en-tête ligne {result.header_row})")
    for message in result.messages:
        print(message)
    print(
        f"Chargement n° {result.load_id} ({KIND_LABELS[result.kind]}, source "
        f"« {result.source_label} ») : {result.rows_read} lignes lues, "
        f"{result.rows_loaded} chargées, {result.rows_rejected} rejetées"
        + (f", {result.rows_skipped} ignorées" if result.rows_skipped else "")
        + "."
    )
    if result.rows_rejected:
        print(
            f"Voir les lignes rejetées : python -m etl rejects {result.load_id} "
            f"(ajoutez --output rejets.csv pour les corriger dans un tableur, puis rechargez "
            f"le fichier corrigé avec --replace --source « {result.source_label} »)."
        )
    return EXIT_OK


def cmd_rejects(args: argparse.Namespace, db_of) -> int:
    db = db_of(args)
    if not db.exists():
        print(f"Aucun entrepôt à {db} : lancez « python -m etl init ».", file=sys.stderr)
        return EXIT_REFUSED
    con = connect(db, read_only=True, timeout_s=get_settings().lock_timeout_s)
    try:
        load_id = args.load_id
        if load_id is None:
            load_id = con.execute(
                f"SELECT max(load_id) FROM loads WHERE kind IN ({_USER_KINDS})"
            ).fetchall()[0][0]
            if load_id is None:
                print("Aucun fichier n'a encore été chargé.")
                return EXIT_OK
        found = con.execute(
            "SELECT file_name, source_label, rows_rejected FROM loads WHERE load_id = ?",
            [load_id],
        ).fetchall()
        load = found[0] if found else None
        if load is None:
            print(
                f"Aucun chargement n° {load_id} : « python -m etl status » les liste.",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        rows = rejects_of(con, load_id)
    finally:
        con.close()
    if args.output:
        with args.output.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["ligne", "colonne", "valeur", "motif"])
            for row in rows:
                writer.writerow([neutralise_cell(v) for v in row])
        print(
            f"{len(rows)} motifs de rejet ({load[2]} lignes) du chargement n° {load_id} "
            f"écrits dans {args.output}."
        )
        return EXIT_OK
    print(f"Chargement n° {load_id} ({load[0]}, source « {load[1]} ») : {load[2]} lignes rejetées.")
    if not rows:
        return EXIT_OK
    header = ("ligne", "colonne", "valeur", "motif")
    shown = [tuple("" if v is None else str(v) for v in row) for row in rows]
    widths = [min(max(len(r[i]) for r in [header, *shown]), 40) for i in range(3)]
    for row in [header, *shown]:
        cells = [row[i][:40].ljust(widths[i]) for i in range(3)]
        print("  ".join([*cells, row[3]]).replace("\n", " "))
    return EXIT_OK


def register(sub, db_arg, db_of) -> None:
    load = sub.add_parser(
        "load",
        help="charge un fichier CSV ou XLSX (distributions, financements, objectifs, "
        "programmes, indicateurs, lieux, conseillers)",
        description="Charge un fichier CSV (UTF-8 ou Windows-1252, séparateur , ; ou tabulation) "
        "ou XLSX. Les lignes valides sont chargées, les autres rejetées avec leur motif "
        "(voir « rejects »). Le même contenu chargé deux fois ne change rien. Colonnes, "
        "synonymes et règles : docs/chargement.md.",
    )
    load.add_argument(
        "kind",
        choices=KINDS,
        metavar="TYPE",
        help="type de fichier : distributions, funding (financements), targets (objectifs), "
        "programmes, indicateurs (IFN, INSEE, ARCEP…), lieux (lieux de médiation numérique) "
        "ou conseillers (structures de conseillers numériques, ANCT)",
    )
    load.add_argument("file", type=Path, metavar="FICHIER", help="fichier CSV ou XLSX à charger")
    db_arg(load)
    load.add_argument(
        "--source",
        default=None,
        metavar="LIBELLÉ",
        help="libellé de la source (défaut : le nom du fichier) ; sert à remplacer un fichier",
    )
    load.add_argument(
        "--replace",
        action="store_true",
        help="remplace, dans la même transaction, toutes les lignes chargées auparavant sous "
        "la même source (pour corriger un fichier)",
    )
    load.add_argument(
        "--sheet",
        default=None,
        metavar="FEUILLE",
        help="feuille du classeur XLSX à lire (défaut : la première)",
    )
    load.add_argument(
        "--annee",
        type=int,
        default=None,
        metavar="AAAA",
        help="indicateurs : millésime des valeurs quand le fichier ne le dit pas",
    )
    load.add_argument(
        "--colonnes",
        default=None,
        metavar="ATTENDU=COLONNE,…",
        help="fait correspondre des colonnes du fichier aux colonnes attendues, ex. "
        '--colonnes nom=lib_fs,code_postal="Code postal" (noms attendus : python -m etl '
        "formats) ; la correspondance qui a chargé le fichier est retenue pour les fichiers "
        "suivants de même en-tête",
    )
    load.set_defaults(func=lambda args: cmd_load(args, db_of))

    rejects = sub.add_parser(
        "rejects",
        help="liste les lignes rejetées d'un chargement",
        description="Liste les lignes rejetées d'un chargement (par défaut le dernier) : numéro "
        "de ligne tel qu'affiché dans le tableur, colonne, valeur et motif.",
    )
    rejects.add_argument(
        "load_id",
        nargs="?",
        metavar="N",
        type=int,
        default=None,
        help="numéro du chargement (voir « status » ; défaut : le dernier fichier chargé)",
    )
    db_arg(rejects)
    rejects.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FICHIER.csv",
        help="écrit les rejets dans ce fichier CSV (séparateur ;) à ouvrir dans un tableur",
    )
    rejects.set_defaults(func=lambda args: cmd_rejects(args, db_of))
