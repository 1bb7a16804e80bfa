"""Every file layout the loader recognises, declared once, as data: its kind, its required
columns (each with the header names that give it), whether it is a national file, an example
header and where it is documented. ``python -m etl formats`` lists them; a refused file's
explanation (etl/pipeline/mapping.py) names them, with the required columns missing and the
file's closest columns; the need-side layouts check their required columns here
(etl/need/layouts.py).

Required column names are written normalised (etl.schemas.header_key); the first accepted
name is the one ``--colonnes`` uses on its left (``nom=lib_fs``).
"""

from __future__ import annotations

from dataclasses import dataclass

from etl import schemas

# What a column's values look like, for the best guess of a mapping.
COMMUNE, POSTAL, NUMBER, DATE, TEXT, ANY = "commune", "postal", "number", "date", "text", "any"


@dataclass(frozen=True)
class Need:
    """A required column: its expected name, the header names that give it, its French
    label and what its values look like."""

    accepted: tuple[str, ...]
    label: str
    looks: str = ANY

    @property
    def name(self) -> str:
        return self.accepted[0]


@dataclass(frozen=True)
class Format:
    kind: str
    name: str  # layout name (etl/need/layouts.py), « standard » for the row kinds
    label: str  # said to the user
    required: tuple[Need, ...]
    example: str  # an example header line
    documentation: str  # where the layout is documented
    national: bool = False  # rows outside the département are ignored and counted
    # Header names whose presence says « this layout » (any of them); empty: the fallback.
    signature: tuple[str, ...] = ()


def _field_need(contract: schemas.Contract, name: str, looks: str) -> Need:
    field = contract.field(name)
    return Need(field.synonyms, field.label or field.name, looks)


def _commune_need(contract: schemas.Contract) -> Need:
    synonyms = tuple(s for name in contract.required_any[0] for s in contract.field(name).synonyms)
    return Need(synonyms, "commune (code INSEE, code postal ou nom)", COMMUNE)


_LOOKS = {
    schemas.DATE: DATE,
    schemas.DATE_OR_YEAR: DATE,
    schemas.QUANTITY: NUMBER,
    schemas.AMOUNT: NUMBER,
    schemas.NUMBER: NUMBER,
}


def _row_format(kind: str, example: str) -> Format:
    contract = schemas.CONTRACTS[kind]
    needs = [
        _field_need(contract, f.name, _LOOKS.get(f.type, TEXT))
        for f in contract.fields
        if f.required
    ]
    if contract.required_any:
        needs.append(_commune_need(contract))
    return Format(
        kind,
        "standard",
        f"fichier « {contract.label} » de l'observatoire",
        tuple(needs),
        example,
        "docs/chargement.md",
    )


CODE = Need(tuple(schemas.CODE_KEYS), "code INSEE de la commune", COMMUNE)
ARCEP_DOC = (
    "ARCEP, « Ma connexion internet », statistiques par commune (data.gouv.fr, jeu "
    "« Ma connexion internet » ; data.arcep.fr/fixe/maconnexioninternet/statistiques)"
)
AC_USERS = "nombre_d_usagers_uniques"  # « Question 110 → Nombre D'usagers Uniques »
AC_DEMARCHES = "nombre_de_demarche_par_structure"  # « Question 109 → … »
AC_DOC = (
    "Aidants Connect (ANCT), export Metabase des statistiques des structures habilitées "
    "(metabase.aidantsconnect.beta.gouv.fr ; en-têtes « Question NNN → … », booléens true/false)"
)
_AC_EXAMPLE = (
    "Name,ID,UUID,Is Active,City Insee Code,Address,Zip Code,Siret,France Services Label,"
    "City,Nombre d'aidants,Question 110 → Nombre D'usagers Uniques,Question 109 → Nombre De "
    "Demarche Par Structure,Question 99 → Nombre Demarche Argent,…"
)
_THD = ("elig_thd30", "elig_thd100", "elig_thd1g")

FORMATS: tuple[Format, ...] = (
    _row_format("distributions", "date;code_insee;programme;item;quantite;public;operateur"),
    _row_format("funding", "date;financeur;programme;code_insee;montant;dispositif"),
    _row_format("targets", "programme;indicateur;item;objectif;perimetre;code;echeance"),
    _row_format("programmes", "id;nom;operateur;debut;fin;description"),
    Format(
        "indicateurs",
        "ifn",
        "La MedNum – Indice de fragilité numérique",
        (Need(("code",), "code INSEE de la commune", COMMUNE),),
        "code,name,division,total,no_thd_coverage_rate,no_4g_coverage_rate,poverty_rate,…",
        "fragilite-numerique.fr (fichier ifn-city-all-variation.csv)",
        national=True,
        signature=(*(k for k in schemas.IFN_COLUMNS if k != "total"), "division"),
    ),
    Format(
        "indicateurs",
        "arcep_debit_2019",
        "ARCEP – Ma connexion internet, débits par commune (bêta 2019, classes exclusives)",
        (
            CODE,
            Need(("nbr",), "nombre de locaux", NUMBER),
            *(Need((k,), f"locaux de la classe {k}", NUMBER) for k in _THD),
        ),
        "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_hd8;"
        "elig_thd30;elig_thd100;elig_thd1g;date",
        ARCEP_DOC,
        national=True,
        signature=("elig_hd8",),
    ),
    Format(
        "indicateurs",
        "arcep_debit",
        "ARCEP – Ma connexion internet, débits par commune (classes cumulées)",
        (
            CODE,
            Need(("nbr",), "nombre de locaux", NUMBER),
            Need(("elig_thd30",), "locaux ≥ 30 Mbit/s", NUMBER),
        ),
        "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;"
        "elig_thd30;elig_thd100;elig_thd1g;date",
        ARCEP_DOC,
        national=True,
        signature=("elig_bhd8", "elig_thd30"),
    ),
    Format(
        "indicateurs",
        "arcep",
        "ARCEP – Ma connexion internet, meilleure technologie par commune",
        (
            CODE,
            Need(("nbr",), "nombre de locaux", NUMBER),
            Need(("elig_ftth",), "locaux éligibles à la fibre", NUMBER),
        ),
        "code_insee;nom_com;code_dep;code_reg;nbr;type;elig_ftth;elig_coax;elig_cu_30;elig_cu_8;"
        "elig_thdr;elig_4gf;elig_hdr;elig_sat;date",
        ARCEP_DOC,
        national=True,
        signature=("elig_ftth",),
    ),
    Format(
        "indicateurs",
        "aidants_connect",
        "Aidants Connect – statistiques des structures (usagers et démarches par commune)",
        (
            Need(("city_insee_code", *schemas.CODE_KEYS), "code INSEE de la commune", COMMUNE),
            Need((AC_USERS,), "nombre d'usagers uniques", NUMBER),
            Need((AC_DEMARCHES,), "nombre de démarches", NUMBER),
        ),
        _AC_EXAMPLE,
        AC_DOC,
        national=True,
        signature=(AC_USERS, AC_DEMARCHES, "nombre_d_aidants"),
    ),
    Format(
        "indicateurs",
        "long",
        "format long (code_insee ; indicateur ; annee ; valeur)",
        (
            CODE,
            Need(("indicateur", "indicator", "variable"), "indicateur", TEXT),
            Need(("valeur", "value"), "valeur", NUMBER),
        ),
        "code_insee;indicateur;annee;valeur;unite;source",
        "docs/chargement.md",
        national=True,
        signature=("valeur", "value", "indicateur", "indicator"),
    ),
    Format(
        "indicateurs",
        "insee",
        "INSEE (recensement, Filosofi) par CODGEO",
        (CODE,),
        "CODGEO;LIBGEO;P21_POP;P21_POP6074;P21_POP7589;P21_POP90P (ou TP6021)",
        "insee.fr (bases du recensement, Filosofi)",
        national=True,
    ),
    Format(
        "indicateurs",
        "wide",
        "un indicateur par colonne (Observatoire des territoires…)",
        (Need((*schemas.CODE_KEYS, *schemas.NAME_KEYS), "commune (code INSEE ou nom)", COMMUNE),),
        "codgeo;libgeo;an;part_75_ans_plus",
        "observatoire-des-territoires.gouv.fr",
        national=True,
    ),
    Format(
        "lieux",
        "v1",
        "standard « lieux de médiation numérique » v1",
        tuple(
            Need(
                (k,), k, {"commune": COMMUNE, "code_postal": POSTAL, "date_maj": DATE}.get(k, TEXT)
            )
            for k in schemas.V1_REQUIRED
        ),
        "id,pivot,nom,commune,code_postal,code_insee,adresse,…,services,…,date_maj",
        "schema.data.gouv.fr/LaMednum/standard-mediation-num",
    ),
    Format(
        "lieux",
        "france_services",
        "liste des France services (ANCT)",
        (
            Need(("id_fs",), "identifiant France services", TEXT),
            Need(("nom", "lib_fs"), "nom", TEXT),
            Need(("code_postal",), "code postal", POSTAL),
            Need(
                (
                    "code_insee",
                    "insee_com",
                    "code_insee_2025",
                    "code_insee_2024",
                    "commune",
                    "lib_com",
                ),
                "commune (code INSEE ou nom)",
                COMMUNE,
            ),
        ),
        "id_fs,insee_dep,lib_fs,adresse,complement_adresse,insee_com,code_postal,lib_com,"
        "latitude,longitude,mail,telephone,h_lundi,…,h_samedi,commentaire,itinerance,format_fs,"
        "groupe,labellisation",
        "data.gouv.fr, « Liste des France services » (ANCT), fichier national 2022-12",
        national=True,
        signature=("id_fs",),
    ),
    Format(
        "lieux",
        "cnfs_2022",
        "lieux des conseillers numériques (2022)",
        (
            Need(("id",), "identifiant", TEXT),
            Need(("nom",), "nom", TEXT),
            Need(("code_postal",), "code postal", POSTAL),
            Need(
                ("commune_declaree", "commune", "code_insee_2025", "code_insee"), "commune", COMMUNE
            ),
        ),
        "id,nom,adresse,code_postal,commune_declaree,code_insee_2024,code_insee_2025,…,"
        "labels_nationaux,pivot_siret,source,date_maj",
        "ANCT, cartographie nationale des lieux (2022)",
        signature=("labels_nationaux", "commune_declaree", "pivot_siret"),
    ),
    Format(
        "lieux",
        "aidants_connect",
        "Aidants Connect – structures habilitées (lieux)",
        (
            Need(("id",), "identifiant", TEXT),
            Need(("name", "nom"), "nom", TEXT),
            Need(("city_insee_code", "code_insee", "zip_code", "code_postal"), "commune", COMMUNE),
        ),
        _AC_EXAMPLE,
        AC_DOC,
        national=True,
        signature=("city_insee_code", AC_USERS, "france_services_label"),
    ),
    Format(
        "conseillers",
        "anct",
        "structures validées par le comité de sélection (ANCT)",
        (
            Need(schemas.CONSEILLER_FIELDS["posts"], "nombre de postes", NUMBER),
            Need(schemas.CONSEILLER_FIELDS["date"], "date de validation", DATE),
            Need(
                (
                    *schemas.CONSEILLER_FIELDS["code"],
                    *schemas.CONSEILLER_FIELDS["commune_name"],
                    "code_postal",
                ),
                "commune",
                COMMUNE,
            ),
        ),
        "Raison sociale;Commune INSEE;Code commune INSEE;Nombre de conseillers validés par le "
        "COSELEC;Date de validation en comité de sélection;SIRET;…",
        "data.gouv.fr, « Conseillers numériques : structures validées » (ANCT)",
    ),
    Format(
        "conseillers",
        "postes_2021",
        "postes de conseillers numériques 2021 (ANCT)",
        (
            Need(schemas.CONSEILLER_FIELDS["posts"], "nombre de postes", NUMBER),
            Need(schemas.CONSEILLER_FIELDS["date"], "date de validation", DATE),
        ),
        "structure;code_postal;commune;nb_postes_cnfs;date_validation_comite;hors_93",
        "ANCT, postes de conseillers numériques 2021",
        signature=("nb_postes_cnfs", "hors_93"),
    ),
)


def of_kind(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def get(kind: str, name: str) -> Format:
    return next(f for f in FORMATS if f.kind == kind and f.name == name)


def present(need: Need, keys: set[str]) -> bool:
    return any(k in keys for k in need.accepted)


def missing(fmt: Format, keys: set[str]) -> list[Need]:
    return [n for n in fmt.required if not present(n, keys)]


def expected_names(kind: str) -> set[str]:
    """Every name ``--colonnes`` accepts on its left for this kind."""
    names = set(schemas.synonyms_of(schemas.CONTRACTS[kind]))
    for fmt in of_kind(kind):
        for need in fmt.required:
            names.update(need.accepted)
    return names


def describe() -> list[str]:
    """``python -m etl formats``: every recognised layout, kind by kind."""
    lines: list[str] = []
    for kind, contract in schemas.CONTRACTS.items():
        lines.append(f"{kind} ({contract.label})")
        for fmt in of_kind(kind):
            scope = (
                "fichier national : lignes hors du département ignorées et comptées"
                if fmt.national
                else "fichier du département : lignes hors du département rejetées avec leur motif"
            )
            lines.append(f"  - {fmt.label} [{fmt.name}] ; {scope}")
            lines.append(
                "    colonnes obligatoires : "
                + " ; ".join(
                    f"{n.name}"
                    + (
                        f" (ou {', '.join(n.accepted[1:4])}{'…' if len(n.accepted) > 4 else ''})"
                        if len(n.accepted) > 1
                        else ""
                    )
                    for n in fmt.required
                )
            )
            lines.append(f"    exemple : {fmt.example}")
            lines.append(f"    documentation : {fmt.documentation}")
        lines.append("")
    lines.append(
        "Colonnes renommées : --colonnes attendu=colonne_du_fichier,… (ex. --colonnes "
        "nom=lib_fs) ; la correspondance est retenue pour les fichiers suivants de même en-tête."
    )
    return lines
