"""The real layouts of the need-side files, recognised from their header.

Header names are compared normalised (etl.schemas.header_key: lower case, no accents, runs
of other characters → « _ »). Each kind declares the names it knows (used to find the
header row below title rows) and, per layout, the columns that must be present: a file
lacking one is refused whole, with one French sentence, before the warehouse is touched.
docs/chargement.md documents the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from etl import readers
from etl.need.common import Table

# The header names of each layout are declared with the kinds' contracts.
from etl.schemas import (
    CENSUS,
    CODE_KEYS,
    CONSEILLER_FIELDS,
    FILOSOFI,
    IFN_COLUMNS,
    NAME_KEYS,
    PLACE_HEADERS,
    V1_REQUIRED,
    YEAR_KEYS,
)


@dataclass
class Layout:
    # ifn | insee | arcep | long | wide (indicateurs); v1 | france_services | cnfs_2022
    # (lieux); anct | postes_2021 (conseillers)
    name: str
    label: str  # said to the user
    columns: dict[str, int] = field(default_factory=dict)  # field → column index


def _refuse_missing(file_name: str, layout: str, names: list[str]):
    return readers.refuse(
        file_name,
        f"il ressemble au format {layout} mais la colonne obligatoire « {names[0]} » est "
        "absente" + (f" (noms acceptés : {', '.join(names)})" if len(names) > 1 else ""),
    )


# --- indicateurs --------------------------------------------------------------------------------


def recognise_indicators(table: Table, file_name: str) -> Layout:
    keys = set(table.keys)
    code = table.index(*CODE_KEYS)
    name = table.index(*NAME_KEYS)
    if keys & set(IFN_COLUMNS) - {"total"} or {"division", "total"} <= keys:
        layout = Layout("ifn", "La MedNum – Indice de fragilité numérique")
        if code is None:
            raise _refuse_missing(file_name, layout.label, ["code"])
    elif "elig_ftth" in keys or ("nbr" in keys and "code_insee" in keys):
        layout = Layout("arcep", "ARCEP – Ma connexion internet (communes)")
        for needed in ("nbr", "elig_ftth"):
            if needed not in keys:
                raise _refuse_missing(file_name, layout.label, [needed])
    elif "valeur" in keys or "value" in keys or "indicateur" in keys or "indicator" in keys:
        layout = Layout("long", "format long (code_insee ; indicateur ; annee ; valeur)")
        for needed in (("indicateur", "indicator", "variable"), ("valeur", "value")):
            if table.index(*needed) is None:
                raise _refuse_missing(file_name, layout.label, list(needed))
        layout.columns["indicator"] = table.index("indicateur", "indicator", "variable")
        layout.columns["value"] = table.index("valeur", "value")
        for f, ks in (("year", YEAR_KEYS), ("unit", ("unite", "unit")), ("source", ("source",))):
            i = table.index(*ks)
            if i is not None:
                layout.columns[f] = i
    elif any(CENSUS.match(k) or FILOSOFI.match(k) for k in keys):
        layout = Layout("insee", "INSEE (recensement, Filosofi) par CODGEO")
        pops = [k for k in keys if CENSUS.match(k) and CENSUS.match(k)[2] is not None]
        if pops:
            for y in sorted({CENSUS.match(k)[1] for k in pops}):
                if f"p{y}_pop" not in keys:
                    raise _refuse_missing(file_name, layout.label, [f"P{y}_POP"])
    else:
        layout = Layout("wide", "un indicateur par colonne (Observatoire des territoires…)")
    if code is None and name is None:
        raise readers.refuse(
            file_name,
            f"il ressemble au format {layout.label} mais aucune colonne n'indique la commune "
            "(noms acceptés : " + ", ".join(CODE_KEYS + NAME_KEYS) + ")",
        )
    if code is not None:
        layout.columns["code"] = code
    if name is not None:
        layout.columns["name"] = name
    return layout


# --- lieux ---------------------------------------------------------------------------------------


def recognise_places(table: Table, file_name: str) -> Layout:
    keys = set(table.keys)
    if "id_fs" in keys:
        layout = Layout("france_services", "liste des France services (ANCT)")
        required: tuple[str, ...] = ("id_fs", "nom", "code_postal")
    elif "labels_nationaux" in keys or "commune_declaree" in keys or "pivot_siret" in keys:
        layout = Layout("cnfs_2022", "lieux des conseillers numériques (2022)")
        required = ("id", "nom", "code_postal")
    else:
        layout = Layout("v1", "standard « lieux de médiation numérique » v1")
        required = V1_REQUIRED
    for needed in required:
        if needed not in keys:
            raise _refuse_missing(file_name, layout.label, [needed])
    if layout.name != "v1" and not keys & {
        "commune",
        "commune_declaree",
        "code_insee",
        "code_insee_2025",
        "code_insee_2024",
    }:
        raise _refuse_missing(file_name, layout.label, ["commune", "code_insee"])
    for i, key in enumerate(table.keys):
        f = PLACE_HEADERS.get(key)
        if f is not None and f not in layout.columns:
            layout.columns[f] = i
    return layout


# --- conseillers ---------------------------------------------------------------------------------


def recognise_conseillers(table: Table, file_name: str) -> Layout:
    keys = set(table.keys)
    if "nb_postes_cnfs" in keys or "hors_93" in keys:
        layout = Layout("postes_2021", "postes de conseillers numériques 2021 (ANCT)")
    else:
        layout = Layout("anct", "structures validées par le comité de sélection (ANCT)")
    for f, ks in CONSEILLER_FIELDS.items():
        i = table.index(*ks)
        if i is not None:
            layout.columns[f] = i
    for f in ("posts", "date"):
        if f not in layout.columns:
            raise _refuse_missing(file_name, layout.label, list(CONSEILLER_FIELDS[f]))
    if not {"code", "commune_name", "postal"} & set(layout.columns):
        raise readers.refuse(
            file_name,
            "aucune colonne n'indique la commune (noms acceptés : Code commune INSEE, "
            "code_insee_2025, Commune INSEE, Code postal)",
        )
    return layout
