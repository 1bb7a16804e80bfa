"""Every territory fiche at once: one A4 PDF per commune and per EPT (39 + 4) in a ZIP.

    python -m observatoire.fiches --sortie fiches.zip [--ept CODE] [--programme ID …]
                                  [--du AAAA-MM-JJ] [--au AAAA-MM-JJ] [--sans-demo]
                                  [--adresse URL]

The same content as the « Fiche PDF (A4) » button of the territory sheet, under the same
filters, with small counts masked as on screen: the command has no identity, so its counts
of people come from the protected tables (as for a lecteur), unless
OBSERVATOIRE_INTERNAL_MODE=1. Runs without Streamlit: the query layer has its own cache.
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from observatoire import territory, warehouse
from observatoire.fiche import content, render
from observatoire.filters import Filters


def fiche_codes(ept: str | None = None) -> list[str]:
    """The territories to write: every commune then every EPT, or one EPT's communes and the
    EPT itself."""
    communes = warehouse.territories()
    if ept is not None:
        if ept not in set(communes["ept_code"]):
            known = ", ".join(
                f"{c} ({n})"
                for c, n in communes.drop_duplicates("ept_code")[["ept_code", "ept_name"]].values
            )
            raise ValueError(f"EPT inconnu : {ept}. EPT connus : {known}.")
        communes = communes[communes["ept_code"] == ept]
    return territory.territory_codes(communes)


def write_zip(
    target: Path,
    filters: Filters | None = None,
    *,
    ept: str | None = None,
    base_url: str | None = None,
    today: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[str]:
    """Write the fiches into the ZIP file TARGET (replaced if it exists, complete or absent:
    written beside it, then moved); returns the names of the PDFs, in order."""
    filters = filters or Filters()
    codes = fiche_codes(ept)
    names = []
    partial = target.with_name(target.name + ".partiel")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Keep the read-only connection open between two fiches (a writer waiting for the file
    # still makes it let go at once): reopening the file for each fiche costs more than
    # the queries themselves.
    reader = warehouse.READER
    own = vars(reader).get("IDLE_S")  # None: the class's value (which tests may change)
    reader.IDLE_S = max(reader.IDLE_S, 30.0)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for i, code in enumerate(codes, start=1):
                fiche = content.gather(code, filters, base_url=base_url, today=today)
                name = fiche.file_name()
                archive.writestr(name, render.render_pdf(fiche))
                names.append(name)
                if progress:
                    progress(i, len(codes), fiche.name)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
        if own is None:
            del reader.IDLE_S
        else:
            reader.IDLE_S = own
        reader.release()
    return names


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ : {text}") from error


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m observatoire.fiches",
        description="Écrit les fiches territoire (une page A4 en PDF par commune et par EPT, "
        "39 + 4) dans un fichier ZIP, sous les filtres choisis.",
    )
    parser.add_argument("--sortie", required=True, type=Path, help="fichier ZIP à écrire")
    parser.add_argument(
        "--ept", metavar="CODE", help="seulement cet EPT et ses communes (code SIREN de l'EPT)"
    )
    parser.add_argument(
        "--programme",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="seulement ce ou ces programmes (identifiants de la page « Programmes »)",
    )
    parser.add_argument("--du", type=_date, help="début de la période (AAAA-MM-JJ)")
    parser.add_argument("--au", type=_date, help="fin de la période (AAAA-MM-JJ)")
    parser.add_argument(
        "--sans-demo", action="store_true", help="sans les données de démonstration"
    )
    parser.add_argument(
        "--adresse",
        metavar="URL",
        default=content.DEFAULT_BASE_URL,
        help="adresse du tableau de bord, pour le lien de chaque fiche "
        f"(défaut : {content.DEFAULT_BASE_URL})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    filters = Filters(
        programmes=tuple(args.programme),
        date_from=args.du,
        date_to=args.au,
        include_demo=not args.sans_demo,
    )
    known = set(warehouse.programme_list()["id"]) if args.programme else set()
    unknown = [p for p in args.programme if p not in known]
    if unknown:
        print(f"Programme inconnu : {', '.join(unknown)}.", file=sys.stderr)
        return 2
    started = time.perf_counter()

    def progress(i: int, total: int, name: str) -> None:
        print(f"[{i}/{total}] {name}", file=sys.stderr, flush=True)

    try:
        names = write_zip(
            args.sortie, filters, ept=args.ept, base_url=args.adresse, progress=progress
        )
    except warehouse.WarehouseMissing as missing:
        print(
            f"Entrepôt introuvable ({missing}) : créez-le avec « python -m etl init ».",
            file=sys.stderr,
        )
        return 1
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    print(f"{len(names)} fiches écrites dans {args.sortie} en {seconds:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
