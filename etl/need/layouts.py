"""The real layouts of the need-side files, recognised from their header.

Header names are compared normalised (etl.schemas.header_key: lower case, no accents, runs
of other characters → « _ »). Each kind declares the names it knows (used to find the
header row below title rows); each layout, its required columns (etl/formats.py, which
``python -m etl formats`` lists): a file lacking one is refused whole, with one French
sentence (and an explanation of how to map its columns, etl/mapping.py), before the
warehouse is touched. docs/chargement.md documents the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from etl import formats, readers
from etl.errors import ColumnsMissing
from etl.mapping import another_kind_sentence, other_kind
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
    YEAR_KEYS,
)


@dataclass
class Layout:
    # ifn | insee | arcep | arcep_debit | arcep_debit_2019 | aidants_connect | long | wide
    # (indicateurs); v1 | france_services | cnfs_2022 | aidants_connect (lieux);
    # anct | postes_2021 (conseillers)
    name: str
    label: str  # said to the user
    columns: dict[str, int] = field(default_factory=dict)  # field → column index
    national: bool = False  # rows outside the département: ignored and counted


def _refuse_missing(file_name: str, layout: str, names: list[str], kind=None, name=None):
    return ColumnsMissing(
        str(
            readers.refuse(
                file_name,
                f"il ressemble au format {layout} mais la colonne obligatoire « {names[0]} » "
                "est absente"
                + (f" (noms acceptés : {', '.join(names)})" if len(names) > 1 else ""),
            )
        ),
        kind,
        name,
    )


def _layout(kind: str, name: str, table: Table, file_name: str) -> Layout:
    """The layout NAME of KIND, its required columns checked (etl/formats.py)."""
    fmt = formats.get(kind, name)
    for need in formats.missing(fmt, set(table.keys)):
        raise _refuse_missing(file_name, fmt.label, list(need.accepted), kind, name)
    return Layout(fmt.name, fmt.label, national=fmt.national)


def _aidants_connect_keys(table: Table) -> bool:
    """Aidants Connect's statistics name their columns « Question 110 → Nombre D'usagers
    Uniques »: the question number varies, the end does not."""
    found = False
    for i, key in enumerate(table.keys):
        for end in (formats.AC_USERS, formats.AC_DEMARCHES):
            if key.endswith(end):
                table.keys[i] = end
                found = True
    return found or "nombre_d_aidants" in table.keys


# --- indicateurs --------------------------------------------------------------------------------


def recognise_indicators(table: Table, file_name: str) -> Layout:
    keys = set(table.keys)
    code = table.index(*CODE_KEYS)
    name = table.index(*NAME_KEYS)
    if keys & set(IFN_COLUMNS) - {"total"} or {"division", "total"} <= keys:
        layout = Layout("ifn", "La MedNum – Indice de fragilité numérique", national=True)
        if code is None:
            raise _refuse_missing(file_name, layout.label, ["code"], "indicateurs", "ifn")
    elif "elig_hd8" in keys:
        layout = _layout("indicateurs", "arcep_debit_2019", table, file_name)
    elif "elig_bhd8" in keys or "elig_thd30" in keys:
        layout = _layout("indicateurs", "arcep_debit", table, file_name)
    elif "elig_ftth" in keys or ("nbr" in keys and "code_insee" in keys):
        layout = _layout("indicateurs", "arcep", table, file_name)
    elif _aidants_connect_keys(table):
        layout = _layout("indicateurs", "aidants_connect", table, file_name)
        code = table.index("city_insee_code", *CODE_KEYS)
    elif "valeur" in keys or "value" in keys or "indicateur" in keys or "indicator" in keys:
        layout = Layout(
            "long", "format long (code_insee ; indicateur ; annee ; valeur)", national=True
        )
        for needed in (("indicateur", "indicator", "variable"), ("valeur", "value")):
            if table.index(*needed) is None:
                raise _refuse_missing(file_name, layout.label, list(needed), "indicateurs", "long")
        layout.columns["indicator"] = table.index("indicateur", "indicator", "variable")
        layout.columns["value"] = table.index("valeur", "value")
        for f, ks in (("year", YEAR_KEYS), ("unit", ("unite", "unit")), ("source", ("source",))):
            i = table.index(*ks)
            if i is not None:
                layout.columns[f] = i
    elif any(CENSUS.match(k) or FILOSOFI.match(k) for k in keys):
        layout = Layout("insee", "INSEE (recensement, Filosofi) par CODGEO", national=True)
        pops = [k for k in keys if CENSUS.match(k) and CENSUS.match(k)[2] is not None]
        if pops:
            for y in sorted({CENSUS.match(k)[1] for k in pops}):
                if f"p{y}_pop" not in keys:
                    raise _refuse_missing(
                        file_name, layout.label, [f"P{y}_POP"], "indicateurs", "insee"
                    )
    else:
        other = other_kind("indicateurs", keys)
        if other is not None:  # a file of another kind: its columns are no indicators
            raise ColumnsMissing(
                str(readers.refuse(file_name, another_kind_sentence("indicateurs", other))),
                "indicateurs",
                None,
            )
        layout = Layout(
            "wide", "un indicateur par colonne (Observatoire des territoires…)", national=True
        )
    if code is None and name is None:
        raise ColumnsMissing(
            str(
                readers.refuse(
                    file_name,
                    f"il ressemble au format {layout.label} mais aucune colonne n'indique la "
                    "commune (noms acceptés : " + ", ".join(CODE_KEYS + NAME_KEYS) + ")",
                )
            ),
            "indicateurs",
            layout.name,
        )
    if code is not None:
        layout.columns["code"] = code
    if name is not None and layout.name != "aidants_connect":  # « Name »: the structure's
        layout.columns["name"] = name
    return layout


# --- lieux ---------------------------------------------------------------------------------------


def recognise_places(table: Table, file_name: str) -> Layout:
    keys = set(table.keys)
    if "id_fs" in keys:
        name = "france_services"
    elif "labels_nationaux" in keys or "commune_declaree" in keys or "pivot_siret" in keys:
        name = "cnfs_2022"
    elif _aidants_connect_keys(table) or "city_insee_code" in keys:
        name = "aidants_connect"
    else:
        name = "v1"
    layout = _layout("lieux", name, table, file_name)
    # The national France services list (insee_dep): a national file. The lists of the 93
    # (data/reference/france-services-93.csv) keep the rule of files about the département.
    layout.national = layout.national and (name != "france_services" or "insee_dep" in keys)
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
            raise _refuse_missing(
                file_name, layout.label, list(CONSEILLER_FIELDS[f]), "conseillers", layout.name
            )
    if not {"code", "commune_name", "postal"} & set(layout.columns):
        raise ColumnsMissing(
            str(
                readers.refuse(
                    file_name,
                    "aucune colonne n'indique la commune (noms acceptés : Code commune INSEE, "
                    "code_insee_2025, Commune INSEE, Code postal)",
                )
            ),
            "conseillers",
            layout.name,
        )
    return layout
