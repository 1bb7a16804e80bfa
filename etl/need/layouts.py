"""The real layouts of the need-side files, recognised from their header.

Header names are compared normalised (etl.schemas.header_key: lower case, no accents, runs
of other characters → « _ »). Each kind declares the names it knows (used to find the
header row below title rows) and, per layout, the columns that must be present: a file
lacking one is refused whole, with one French sentence, before the warehouse is touched.
docs/chargement.md documents the same facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl import readers
from etl.need.common import Table

# --- indicateurs --------------------------------------------------------------------------------

CODE_KEYS = (
    "code",
    "codgeo",
    "code_insee",
    "code_commune",
    "insee",
    "insee_com",
    "depcom",
    "com",
    "code_geo",
    "code_commune_insee",
)
NAME_KEYS = ("name", "libgeo", "nom_com", "nom", "libelle", "commune", "nom_commune")
YEAR_KEYS = ("annee", "an", "year", "millesime")
# La MedNum IFN: column → indicator id.
IFN_COLUMNS = {
    "total": "ifn",
    "no_thd_coverage_rate": "ifn_thd",
    "no_4g_coverage_rate": "ifn_4g",
    "poverty_rate": "ifn_pauvrete",
    "older_65_rate": "ifn_65_ans",
    "nscol15p_rate": "ifn_peu_diplomes",
}
CENSUS = re.compile(r"^p(\d\d)_pop(6074|7589|90p)?$")  # P21_POP, P21_POP6074…
FILOSOFI = re.compile(r"^tp60(\d\d)$")  # TP6021: poverty rate, vintage 2021
# Columns that are never indicators (codes of wider areas, labels, dates).
NOT_INDICATORS = {
    "reg",
    "dep",
    "code_dep",
    "code_reg",
    "code_departement",
    "code_region",
    "libreg",
    "libdep",
    "arr",
    "epci",
    "libepci",
    "ept",
    "cv",
    "type",
    "date",
    "division",
    "unite",
    "unit",
    "source",
    "code_postal",
    "nom_dep",
    "nom_reg",
}
_YEARS = range(6, 41)
INDICATOR_HEADERS: dict[str, str] = {
    **{k: "code" for k in CODE_KEYS},
    **{k: "name" for k in NAME_KEYS},
    **{k: "year" for k in YEAR_KEYS},
    "division": "division",
    **{k: k for k in IFN_COLUMNS},
    **{f"p{y:02d}_pop": "census_pop" for y in _YEARS},
    **{f"p{y:02d}_pop6074": "census_6074" for y in _YEARS},
    **{f"p{y:02d}_pop7589": "census_7589" for y in _YEARS},
    **{f"p{y:02d}_pop90p": "census_90p" for y in _YEARS},
    **{f"tp60{y:02d}": "filosofi" for y in _YEARS},
    "nbr": "nbr",
    "elig_ftth": "elig_ftth",
    "code_dep": "code_dep",
    "indicateur": "indicator",
    "indicator": "indicator",
    "variable": "indicator",
    "valeur": "value",
    "value": "value",
    "unite": "unit",
    "unit": "unit",
    "source": "source",
}


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

V1_REQUIRED = ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
PLACE_HEADERS: dict[str, str] = {
    "id": "id",
    "id_fs": "id",
    "pivot": "pivot",
    "pivot_siret": "pivot",
    "nom": "nom",
    "commune": "commune",
    "commune_declaree": "commune",
    "code_postal": "code_postal",
    "code_insee": "code_insee",
    "code_insee_2025": "code_insee",
    "code_insee_2024": "code_insee_2024",
    "adresse": "adresse",
    "complement_adresse": "complement_adresse",
    "latitude": "latitude",
    "longitude": "longitude",
    "typologie": "typologie",
    "services": "services",
    "dispositif_programmes_nationaux": "programmes",
    "labels_nationaux": "programmes",
    "autres_formations_labels": "autres_formations_labels",
    "date_maj": "date_maj",
    "labellisation": "labellisation",
    "source": "source",
}


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

CONSEILLER_FIELDS: dict[str, tuple[str, ...]] = {
    "structure": ("raison_sociale", "structure", "nom_structure"),
    "commune_name": ("commune_insee", "commune", "nom_commune"),
    "code": ("code_commune_insee", "code_insee_2025", "code_insee", "code_insee_2024"),
    "code_2024": ("code_insee_2024",),
    "posts": (
        "nombre_de_conseillers_valides_par_le_coselec",
        "nb_postes_cnfs",
        "nombre_de_postes",
        "postes",
    ),
    "date": ("date_de_validation_en_comite_de_selection", "date_validation_comite", "date"),
    "type": ("type", "type_structure"),
    "siret": ("siret",),
    "postal": ("code_postal",),
    "amount": (
        "investissement_financier_estimatif_total_de_l_etat",
        "investissement_etat_estime_eur",
    ),
    "hors_93": ("hors_93",),
    "departement": ("code_departement",),
}
CONSEILLER_HEADERS: dict[str, str] = {
    k: f for f, ks in CONSEILLER_FIELDS.items() for k in ks if f != "code_2024"
}


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
