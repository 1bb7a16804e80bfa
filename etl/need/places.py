"""Kind ``lieux``: places of digital mediation into ``lieux``.

Layouts (etl/need/layouts.py): the national standard « lieux de médiation numérique » v1.0.x
(32 columns, multi-valued fields separated by « | »), the France services list of the ANCT,
and the 2022 places of the conseillers numériques (services separated by « , » or « ; »,
``labels_nationaux`` CNFS). Rules:

- the commune comes from the INSEE code when there is one (current or former), else from
  the commune's name, else from the postal code; a place outside the 93 is rejected with
  that reason;
- ``dispositif_programmes_nationaux`` (``labels_nationaux``) is normalised to the
  standard's 11 labels (CNFS → « Conseillers numériques »); other values are left out and
  named in the output; France services rows get « France Services »;
- ``QPV`` in ``autres_formations_labels`` → qpv true (otherwise unknown: NULL);
- coordinates are stored as given when they are valid, else NULL: never invented;
- an identifier given twice in one file: the second row is rejected;
- ``telephone``, ``courriels`` and every other contact column are never read.
"""

from __future__ import annotations

import re
import unicodedata

from etl.need import common, layouts
from etl.need.common import Context, Parsed, Table
from etl.need.layouts import Layout
from etl.schemas import CONTRACTS

PROGRAMMES = (
    "Aidants Connect",
    "Bibliothèques numérique de référence",
    "Certification PIX",
    "Conseillers numériques",
    "Emmaüs Connect",
    "France Services",
    "Grande école du numérique",
    "La Croix Rouge",
    "Point d'accès numérique CAF",
    "Promeneurs du net",
    "Relais numérique (Emmaüs Connect)",
)


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


PROGRAMME_KEYS: dict[str, str] = {_key(p): p for p in PROGRAMMES}
PROGRAMME_KEYS.update(
    {
        _key(a): p
        for p, names in {
            "Conseillers numériques": (
                "CNFS",
                "Conseiller numérique",
                "Conseiller numérique France Services",
                "Conseillers numériques France Services",
            ),
            "France Services": ("France service", "Maison France Services", "RFS"),
            "Aidants Connect": ("Aidant Connect",),
            "Bibliothèques numérique de référence": (
                "Bibliothèque numérique de référence",
                "BNR",
            ),
            "Certification PIX": ("PIX",),
            "La Croix Rouge": ("Croix Rouge", "Croix-Rouge française"),
            "Point d'accès numérique CAF": ("PAN CAF", "Point numérique CAF"),
            "Relais numérique (Emmaüs Connect)": ("Relais numérique",),
            "Grande école du numérique": ("GEN",),
            "Promeneurs du net": ("Promeneur du net",),
        }.items()
        for a in names
    }
)
SOURCES = {
    "france_services": "ANCT – France services",
    "aidants_connect": "ANCT – Aidants Connect (structures habilitées)",
}
_NO = {"false", "faux", "non", "no", "0", "f", "n"}


def _yes(value: str | None) -> bool | None:
    """A yes/no cell (True, Oui, 1…); None when empty."""
    if value is None:
        return None
    return value.strip().lower() not in _NO


def _coordinate(value: object, low: float, high: float) -> float | None:
    status, v = common.parse_number(value)
    return v if status == common.OK and low <= v <= high else None


def _outside(code: str | None, postal: str | None, dep: str | None) -> bool:
    """A row of a national file about a commune outside the 93 (code, département or postal
    code say so)."""
    for value in (code, dep, postal):
        if value:
            return not value.startswith("93")
    return False


def parse(table: Table, layout: Layout, ctx: Context) -> Parsed:
    p = Parsed(rows_read=len(table.rows))
    c = layout.columns
    cell, header = table.accessors(c)

    # One resolution for every code, name and postal code of the file.
    wanted = []
    for _, cells in table.rows:
        wanted += [
            common.code_of(cell(cells, "code_insee")),
            common.code_of(cell(cells, "code_insee_2024")),
            cell(cells, "commune"),
            cell(cells, "code_postal"),
        ]
    resolved = ctx.resolve_communes(wanted)

    seen: dict[str, int] = {}
    outside: list[int] = []  # national files: rows outside the 93, ignored and counted
    inactive: list[int] = []
    unknown_programmes: set[str] = set()
    bad_coordinates: list[int] = []
    out = []
    for number, cells in table.rows:
        ident = cell(cells, "id")
        if layout.name == "france_services" and ident:
            ident = f"France-Services_{ident}"
        elif layout.name == "aidants_connect" and ident:
            ident = f"Aidants-Connect_{ident}"
            if _yes(cell(cells, "is_active")) is False:
                inactive.append(number)  # no longer a place where people get help
                continue
        nom = cell(cells, "nom")
        missing = [f for f in ("id", "nom") if not cell(cells, f)]
        if layout.name == "v1":
            missing += [
                f
                for f in ("pivot", "commune", "code_postal", "adresse", "date_maj")
                if not cell(cells, f)
            ]
        if missing:
            p.reject(
                number,
                header(missing[0]),
                None,
                f"valeur obligatoire manquante (« {header(missing[0])} »)",
            )
            continue
        # Commune: code, else name, else postal code.
        code = err = None
        given = common.code_of(cell(cells, "code_insee")) or common.code_of(
            cell(cells, "code_insee_2024")
        )
        postal = cell(cells, "code_postal")
        if given:
            code, err = resolved.get(given, (None, "code INSEE illisible"))
            where = "code_insee" if cell(cells, "code_insee") else "code_insee_2024"
            value = given
        else:
            name = cell(cells, "commune")
            code, err = resolved.get(name, (None, None)) if name else (None, None)
            where, value = "commune", name
            if code is None and postal:
                pcode, perr = resolved.get(postal, (None, None))
                if pcode is not None:
                    code, err = pcode, None
                elif not postal.startswith("93"):
                    err, where, value = (
                        f"lieu hors de la Seine-Saint-Denis (code postal {postal})",
                        "code_postal",
                        postal,
                    )
                elif err is None:
                    err, where, value = perr, "code_postal", postal
            if code is None and err is None:
                err = "commune manquante"
        if code is None and layout.national and _outside(given, postal, cell(cells, "insee_dep")):
            outside.append(number)  # the rule of national files: ignored and counted
            continue
        if code is None:
            p.reject(number, header(where), value, err)
            continue
        if ident in seen:
            p.reject(
                number,
                header("id"),
                ident,
                f"identifiant déjà donné ligne {seen[ident]} : doublon rejeté",
            )
            continue
        date_text = cell(cells, "date_maj") or cell(cells, "labellisation")
        date_maj = common.parse_date(re.sub(r"^[^0-9]*", "", date_text or ""))
        if date_text and date_maj is None and layout.name == "v1":
            p.reject(
                number,
                header("date_maj"),
                date_text,
                "date de mise à jour illisible (attendu : AAAA-MM-JJ)",
            )
            continue
        # Lists.
        if layout.name == "cnfs_2022":
            services = common.split_list(cell(cells, "services"), r";|,\s+")
        else:
            services = common.split_list(cell(cells, "services"))
        programmes = []
        given_programmes = common.split_list(cell(cells, "programmes"), r"\||;|,")
        for prog in given_programmes:
            label = PROGRAMME_KEYS.get(_key(prog))
            if label is None:
                unknown_programmes.add(prog)
            elif label not in programmes:
                programmes.append(label)
        if layout.name == "aidants_connect":
            programmes.insert(0, "Aidants Connect")
            if _yes(cell(cells, "france_services_label")):
                programmes.append("France Services")
        if layout.name == "france_services" and "France Services" not in programmes:
            programmes.append("France Services")
        labels = [_key(x) for x in common.split_list(cell(cells, "autres_formations_labels"))]
        lat = _coordinate(cells[c["latitude"]], -90, 90) if "latitude" in c else None
        lon = _coordinate(cells[c["longitude"]], -180, 180) if "longitude" in c else None
        if (lat is None) != (lon is None) or (
            lat is None and (cell(cells, "latitude") or cell(cells, "longitude"))
        ):
            bad_coordinates.append(number)
            lat = lon = None
        adresse = (
            ", ".join(x for x in (cell(cells, "adresse"), cell(cells, "complement_adresse")) if x)
            or None
        )
        seen[ident] = number
        out.append(
            {
                "id": ident,
                "nom": nom,
                "commune_code": code,
                "adresse": adresse,
                "code_postal": postal,
                "latitude": lat,
                "longitude": lon,
                "services": services,
                "programmes": programmes,
                "typologie": common.split_list(cell(cells, "typologie")),
                "qpv": True if "qpv" in labels else None,
                "date_maj": date_maj,
                "source": cell(cells, "source") or SOURCES.get(layout.name),
                "pivot": cell(cells, "pivot"),
                "is_demo": False,
            }
        )
    p.tables["lieux"] = out
    p.loaded = len(out)
    p.skipped = len(outside) + len(inactive)
    p.messages.append(f"Format reconnu : {layout.label}.")
    if outside:
        p.messages.append(
            f"{common.french_int(len(outside))} lieux hors de la Seine-Saint-Denis ignorés "
            "(fichier national : non comptés comme rejets)."
        )
    if inactive:
        p.messages.append(
            f"{common.french_int(len(inactive))} structures inactives (« Is Active » faux) "
            "ignorées."
        )
    if layout.name == "aidants_connect":
        p.messages.append(
            "Les usagers et les démarches de ces structures sont une mesure de l'aide : "
            "chargez aussi ce fichier comme indicateurs (python -m etl load indicateurs "
            "FICHIER) pour les voir par commune sur la carte, « Aide et besoins » et la fiche."
        )
    never = [
        h
        for h, k in zip(table.headers, table.keys, strict=True)
        if k in CONTRACTS["lieux"].never_read
    ]
    if never:
        p.messages.append(
            "Coordonnées de contact jamais enregistrées : " + common.quoted(never) + "."
        )
    if unknown_programmes:
        p.messages.append(
            "Programmes nationaux hors des 11 libellés du standard, non retenus : "
            + common.quoted(sorted(unknown_programmes))
            + "."
        )
    if bad_coordinates:
        p.messages.append(
            "Coordonnées absentes ou invalides laissées vides (jamais inventées) : lignes "
            + common.rows_list(bad_coordinates)
            + "."
        )
    return p


STEPS = common.Steps(layouts.recognise_places, parse)
