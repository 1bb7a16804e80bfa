"""Schema contracts of the files users load, declared once, as data.

For each kind of file: the fields the loader knows, the column names (synonyms) that carry
them, their type, whether they are required, and what happens to other columns. The
canonical items and their synonyms and the patterns of personal-data columns live here too.
docs/chargement.md documents the same facts for users: keep both in step (a test checks
that every synonym listed here appears in the documentation).

Header names are compared after normalisation (:func:`header_key`): lower case, accents
removed, every run of other characters turned into one ``_``, e.g. « Quantité (u.) » →
``quantite_u``. Synonyms are written here already normalised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Field types, each checked by one SQL rule in etl/pipeline/ (resolve.py, validate.py).
TEXT = "text"  # free text, stored as given (trimmed)
COMMUNE = "commune"  # INSEE code (current or former), postal code or name of a 93 commune
EPT = "ept"  # SIREN or name of one of the four EPT
PROGRAMME = "programme"  # id or name of a known programme
ITEM = "item"  # one of ITEMS, or a synonym
QUANTITY = "quantity"  # positive whole number
AMOUNT = "amount"  # positive number of euros, French or plain notation
NUMBER = "number"  # positive number (target values)
DATE = "date"  # ISO, dd/mm/yyyy or Excel date; 2000 ≤ date ≤ today
DATE_OR_YEAR = "date_or_year"  # as DATE, or a year alone (→ 1 January)
DEADLINE = "deadline"  # as DATE, future allowed
INDICATOR = "indicator"  # quantite | montant | postes | projets
SCOPE = "scope"  # departement | ept | commune
FUNDER_TYPE = "funder_type"  # one of FUNDER_TYPES, or a synonym
RECORD_ID = "record_id"  # identifier of the record in the user's tool: the duplicate key


@dataclass(frozen=True)
class Field:
    name: str  # internal name
    type: str
    synonyms: tuple[str, ...]  # normalised header names, the first one is the documented name
    required: bool = False
    label: str = ""  # French name shown to users


# How a row about a commune outside the Seine-Saint-Denis is treated, per kind.
OUTSIDE_REJECTED = "rejected"  # a file about the 93: the row is rejected, with its reason
OUTSIDE_SKIPPED = "skipped"  # a national file: the row is counted as skipped, not a reject


@dataclass(frozen=True)
class Contract:
    kind: str
    label: str  # the kind's French name (KIND_LABELS, messages)
    table: str
    # Columns the loader knows, each with its synonyms and type (row kinds: checked in SQL by
    # etl/pipeline/validate.py). Need-side kinds declare ``headers`` instead, and their layouts
    # are recognised from them (etl/need/layouts.py).
    fields: tuple[Field, ...] = ()
    # Groups of fields of which at least one column must be present (e.g. some commune column).
    required_any: tuple[tuple[str, ...], ...] = ()
    unknown_columns: str = "ignore_with_warning"  # the only policy: never stored, named in output
    # Columns matching PERSONAL_DATA_PATTERNS are never stored, whatever the kind, and named in
    # the output; ``never_read`` lists further columns not even read (contact details).
    never_read: tuple[str, ...] = ()
    outside: str = OUTSIDE_REJECTED
    # Other tables the kind fills besides ``table`` (--replace retires its rows from all).
    also_fills: tuple[str, ...] = ()
    headers: dict[str, str] | None = None  # need-side kinds: normalised header → field
    # Need-side kinds: --annee is part of the ledger's content key (the same file given
    # with another year is another load).
    takes_year: bool = False
    rules: tuple[str, ...] = ()  # need-side kinds: the rules their parser applies

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *self.also_fills)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


_ID = Field(
    "record_id",
    RECORD_ID,
    ("id", "identifiant", "reference", "ref", "id_ligne", "numero_ligne", "num_ligne"),
    label="identifiant",
)
_COMMUNE_CODE = Field(
    "commune_code",
    COMMUNE,
    (
        "code_insee",
        "codgeo",
        "insee",
        "code_commune",
        "code_insee_commune",
        "depcom",
        "insee_com",
        "cog",
    ),
    label="code INSEE",
)
_POSTAL_CODE = Field(
    "postal_code", COMMUNE, ("code_postal", "cp", "codepostal", "postal"), label="code postal"
)
_COMMUNE_NAME = Field(
    "commune_name",
    COMMUNE,
    ("commune", "ville", "nom_commune", "libelle_commune", "localite", "municipalite"),
    label="commune",
)
_EPT = Field(
    "ept",
    EPT,
    (
        "ept",
        "code_ept",
        "siren_ept",
        "nom_ept",
        "territoire",
        "etablissement_public_territorial",
    ),
    label="EPT",
)
_PROGRAMME = Field(
    "programme",
    PROGRAMME,
    ("programme", "programme_id", "id_programme", "code_programme", "nom_programme", "projet"),
    required=True,
    label="programme",
)
_PUBLIC = Field(
    "public", TEXT, ("public", "public_cible", "type_public", "categorie_public"), label="public"
)
_OPERATOR = Field(
    "operator",
    TEXT,
    ("operateur", "operator", "structure", "association", "distributeur", "porteur"),
    label="opérateur",
)

_ROW_CONTRACTS: dict[str, Contract] = {
    "distributions": Contract(
        kind="distributions",
        label="distributions",
        table="distributions",
        fields=(
            Field(
                "date",
                DATE,
                ("date", "date_distribution", "date_remise", "date_livraison", "date_don", "jour"),
                required=True,
                label="date",
            ),
            _COMMUNE_CODE,
            _POSTAL_CODE,
            _COMMUNE_NAME,
            _PROGRAMME,
            Field(
                "item",
                ITEM,
                (
                    "item",
                    "equipement",
                    "materiel",
                    "type_equipement",
                    "type_d_equipement",
                    "type_materiel",
                    "type_de_materiel",
                    "article",
                    "produit",
                    "designation",
                ),
                required=True,
                label="équipement",
            ),
            Field(
                "quantity",
                QUANTITY,
                ("quantite", "qte", "nombre", "nb", "quantite_distribuee", "nombre_equipements"),
                required=True,
                label="quantité",
            ),
            _PUBLIC,
            _OPERATOR,
            _ID,
        ),
        required_any=(("commune_code", "postal_code", "commune_name"),),
    ),
    "funding": Contract(
        kind="funding",
        label="financements",
        table="funding",
        fields=(
            Field(
                "date",
                DATE_OR_YEAR,
                (
                    "date",
                    "date_versement",
                    "date_paiement",
                    "date_attribution",
                    "date_decision",
                    "date_convention",
                    "annee",
                    "exercice",
                ),
                required=True,
                label="date",
            ),
            Field(
                "funder",
                TEXT,
                ("financeur", "bailleur", "payeur", "organisme_financeur", "source_financement"),
                required=True,
                label="financeur",
            ),
            _PROGRAMME,
            _COMMUNE_CODE,
            _POSTAL_CODE,
            _COMMUNE_NAME,
            _EPT,
            Field(
                "amount",
                AMOUNT,
                (
                    "montant",
                    "montant_eur",
                    "montant_euros",
                    "montant_en_euros",
                    "montant_verse",
                    "montant_attribue",
                    "somme",
                    "subvention",
                ),
                required=True,
                label="montant",
            ),
            Field(
                "scheme",
                TEXT,
                ("dispositif", "scheme", "type_financement", "ligne_budgetaire", "fonds"),
                label="dispositif",
            ),
            Field(
                "funder_type",
                FUNDER_TYPE,
                (
                    "type_financeur",
                    "type_de_financeur",
                    "categorie_financeur",
                    "nature_financeur",
                    "funder_type",
                ),
                label="type de financeur",
            ),
            _ID,
        ),
    ),
    "targets": Contract(
        kind="targets",
        label="objectifs",
        table="targets",
        fields=(
            _PROGRAMME,
            Field(
                "indicator",
                INDICATOR,
                ("indicateur", "indicator", "type_objectif", "mesure"),
                required=True,
                label="indicateur",
            ),
            Field(
                "item",
                ITEM,
                ("item", "equipement", "materiel", "type_equipement"),
                label="équipement",
            ),
            Field(
                "target_value",
                NUMBER,
                ("objectif", "valeur", "valeur_cible", "cible", "target_value", "target"),
                required=True,
                label="objectif",
            ),
            Field("unit", TEXT, ("unite", "unit", "unites"), label="unité"),
            Field("scope", SCOPE, ("perimetre", "scope", "niveau", "echelle"), label="périmètre"),
            Field(
                "scope_code",
                TEXT,
                ("code", "code_perimetre", "scope_code", "code_territoire"),
                label="code du périmètre",
            ),
            _COMMUNE_CODE,
            _POSTAL_CODE,
            _COMMUNE_NAME,
            _EPT,
            Field(
                "deadline",
                DEADLINE,
                ("echeance", "deadline", "date_limite", "date_cible", "date_echeance"),
                label="échéance",
            ),
            Field("label", TEXT, ("label", "libelle", "intitule"), label="libellé"),
            _PUBLIC,
            _OPERATOR,
            Field("funder", TEXT, ("financeur", "bailleur", "funder"), label="financeur"),
            _ID,
        ),
    ),
    "programmes": Contract(
        kind="programmes",
        label="programmes",
        table="programmes",
        fields=(
            Field("id", TEXT, ("id", "identifiant", "code", "id_programme"), label="identifiant"),
            Field(
                "name",
                TEXT,
                ("nom", "name", "intitule", "libelle", "nom_programme", "programme"),
                required=True,
                label="nom",
            ),
            Field("operator", TEXT, ("operateur", "operator", "porteur"), label="opérateur"),
            Field(
                "start_date",
                DEADLINE,
                ("debut", "date_debut", "start_date", "lancement"),
                label="début",
            ),
            Field("end_date", DEADLINE, ("fin", "date_fin", "end_date"), label="fin"),
            Field(
                "description", TEXT, ("description", "commentaire", "objet"), label="description"
            ),
        ),
    ),
}

# --- Need-side kinds: real layouts recognised from their header (etl/need/layouts.py) ------

# indicateurs
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
    "city_insee_code",  # Aidants Connect
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
    # ARCEP « Ma connexion internet », débits (2019 beta: exclusive classes; since: cumulative)
    **{k: k for k in ("elig_hd8", "elig_bhd8", "elig_thd30", "elig_thd100", "elig_thd1g")},
    # Aidants Connect, statistics of the structures (the question numbers vary)
    "nombre_d_aidants": "ac_aidants",
    "nombre_d_usagers_uniques": "ac_usagers",
    "question_110_nombre_d_usagers_uniques": "ac_usagers",
    "nombre_de_demarche_par_structure": "ac_demarches",
    "question_109_nombre_de_demarche_par_structure": "ac_demarches",
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


# lieux
V1_REQUIRED = ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
PLACE_HEADERS: dict[str, str] = {
    "id": "id",
    "id_fs": "id",
    "pivot": "pivot",
    "pivot_siret": "pivot",
    "nom": "nom",
    "lib_fs": "nom",  # France services, national list 2022-12
    "name": "nom",  # Aidants Connect
    "commune": "commune",
    "commune_declaree": "commune",
    "lib_com": "commune",
    "city": "commune",
    "code_postal": "code_postal",
    "zip_code": "code_postal",
    "code_insee": "code_insee",
    "insee_com": "code_insee",
    "city_insee_code": "code_insee",
    "code_insee_2025": "code_insee",
    "code_insee_2024": "code_insee_2024",
    "adresse": "adresse",
    "address": "adresse",
    "complement_adresse": "complement_adresse",
    "siret": "pivot",
    "is_active": "is_active",
    "france_services_label": "france_services_label",
    "insee_dep": "insee_dep",
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

# conseillers
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

_NEED_CONTRACTS: dict[str, Contract] = {
    "indicateurs": Contract(
        kind="indicateurs",
        label="indicateurs",
        table="indicator_values",
        also_fills=("indicators",),
        headers=INDICATOR_HEADERS,
        # National files: only the 93's communes are kept.
        outside=OUTSIDE_SKIPPED,
        takes_year=True,
        rules=(
            "rows of another level (EPT, département, division other than city) are skipped",
            "a value under statistical secrecy (s, nd, ns, nc, so, -, empty) is skipped",
            "a value that is no number is rejected with its reason",
            "values of former communes are combined into the current commune",
            "an unknown numeric column is loaded under its normalised name, with a warning",
        ),
    ),
    "lieux": Contract(
        kind="lieux",
        label="lieux",
        table="lieux",
        headers=PLACE_HEADERS,
        # A service desk's contact is no person's, but the places table has no column for
        # it: never read.
        never_read=("telephone", "courriels", "courriel", "email", "e_mail", "tel", "mail"),
        outside=OUTSIDE_REJECTED,
        takes_year=True,
        rules=(
            "the commune comes from the INSEE code, else the commune's name, else the postal code",
            "national programmes are normalised to the standard's 11 labels",
            "coordinates are stored when valid, else left empty: never invented",
            "an identifier given twice in one file: the second row is rejected",
        ),
    ),
    "conseillers": Contract(
        kind="conseillers",
        label="conseillers",
        table="conseillers",
        also_fills=("funding",),
        headers=CONSEILLER_HEADERS,
        outside=OUTSIDE_REJECTED,
        takes_year=True,
        rules=(
            "the INSEE code gives the commune (then its name, then the postal code)",
            "posts a whole number of at least 1; validation date between 2000 and today",
            "the État's estimated investment, when given, becomes a funding row",
            "a row given twice (structure, commune, date, posts) is rejected",
        ),
    ),
}

# Every kind of file, in the order the CLI and the pages list them.
CONTRACTS: dict[str, Contract] = {**_ROW_CONTRACTS, **_NEED_CONTRACTS}
KINDS = tuple(CONTRACTS)

# The six canonical items and the names users give them. Matching ignores case, accents,
# punctuation and a plural « s » at the end of each word.
ITEMS: dict[str, tuple[str, ...]] = {
    "tablette": (
        "tablette",
        "tablette numérique",
        "tablette tactile",
        "tablette reconditionnée",
        "iPad",
    ),
    "ordinateur": (
        "ordinateur",
        "ordinateur portable",
        "ordinateur fixe",
        "ordinateur reconditionné",
        "ordinateur portable reconditionné",
        "PC",
        "PC portable",
        "PC fixe",
        "PC reconditionné",
        "PC portable reconditionné",
        "laptop",
        "Chromebook",
    ),
    "smartphone": (
        "smartphone",
        "smartphone reconditionné",
        "téléphone",
        "téléphone portable",
        "téléphone mobile",
    ),
    "carte_sim": (
        "carte SIM",
        "carte SIM prépayée",
        "SIM",
        "puce",
        "clé 4G",
        "box 4G",
    ),
    "recharge": (
        "recharge",
        "recharge prépayée",
        "recharge téléphonique",
        "recharge de données",
        "recharge data",
        "crédit téléphonique",
        "forfait",
    ),
    "accompagnement": (
        "accompagnement",
        "accompagnement numérique",
        "formation",
        "formation numérique",
        "atelier",
        "atelier numérique",
    ),
}

INDICATORS: dict[str, tuple[str, ...]] = {
    "quantite": ("quantite", "quantité", "nombre", "volume"),
    "montant": ("montant", "montant eur", "euros", "budget"),
    "postes": ("postes", "poste", "nombre de postes"),
    "projets": ("projets", "projet", "nombre de projets"),
}
DEFAULT_UNITS = {"quantite": "unités", "montant": "€", "postes": "postes", "projets": "projets"}

# Kinds of funders (the funding charts' colours); without this column a funder's kind is
# read from its name (observatoire/sql/_funding_funder_type.sql).
FUNDER_TYPES: dict[str, tuple[str, ...]] = {
    "État": ("etat", "état", "Etat", "préfecture", "prefecture", "ministère", "ministere"),
    "Département": ("departement", "département", "conseil départemental", "CD93"),
    "CAF": ("caf", "caisse d'allocations familiales"),
    "EPT": ("ept", "territoire", "établissement public territorial"),
    "Commune": ("commune", "ville", "mairie", "CCAS"),
    "Partenaire privé": (
        "partenaire privé",
        "prive",
        "privé",
        "fondation",
        "entreprise",
        "association",
        "mécénat",
        "mecenat",
    ),
}

SCOPES: dict[str, tuple[str, ...]] = {
    "departement": ("departement", "département", "dep", "93", "Seine-Saint-Denis"),
    "ept": ("ept", "territoire", "établissement public territorial"),
    "commune": ("commune", "ville"),
}

# Usual names of the four EPT besides their official name (« T6 » … are their numbers
# in the Métropole du Grand Paris).
EPT_ALIASES: dict[str, tuple[str, ...]] = {
    "200057867": ("T6", "EPT 6"),
    "200058097": ("T7", "EPT 7"),
    "200057875": ("T8", "EPT 8"),
    "200058790": ("T9", "EPT 9", "GPGE"),
}

# Common names that are not the official one.
COMMUNE_ALIASES: dict[str, str] = {
    "Montreuil-sous-Bois": "93048",
    "Tremblay": "93073",
}

# Columns holding personal data: dropped before anything is written, named in the output.
# Regular expressions on the normalised header (see header_key); a column whose header is
# one of the contract's synonyms is never treated as personal.
PERSONAL_DATA_PATTERNS: dict[str, str] = {
    "nom ou prénom": r"(^|_)(nom|noms|prenom|prenoms|patronyme|nom_de_famille|civilite|"
    r"beneficiaire|beneficiaires|usager|usagers|identite|signature)(_|$)",
    "adresse électronique": r"(^|_)(e_?mail|mail|courriel|adresse_electronique)(_|$)",
    "téléphone": r"(^|_)(tel|telephone|tel_portable|portable|mobile|gsm)(_|$)",
    "date de naissance": r"(^|_)(naissance|date_de_naissance|ddn|ne_le|nee_le|birth|"
    r"birthdate|date_naiss)(_|$)",
    "adresse": r"(^|_)(adresse|address|rue|voie|domicile|residence|complement_adresse)(_|$)",
    "numéro de sécurité sociale": r"(^|_)(nir|secu|securite_sociale|num_ss|numero_ss|"
    r"n_ss|ssn|numero_allocataire|num_allocataire|matricule)(_|$)",
}
_PERSONAL = [(label, re.compile(rx)) for label, rx in PERSONAL_DATA_PATTERNS.items()]


def header_key(header: object) -> str:
    """Normalised header name: « Quantité (u.) » → ``quantite_u``, « N° » → ``n``."""
    text = unicodedata.normalize("NFKD", str(header or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("°", "").replace("€", "eur").replace("œ", "oe")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def personal_data_kind(key: str) -> str | None:
    """What personal data a (normalised) header suggests, or None."""
    for label, pattern in _PERSONAL:
        if pattern.search(key):
            return label
    return None


def synonyms_of(contract: Contract) -> dict[str, str]:
    """Normalised header → field name (the first field declaring a synonym wins)."""
    if contract.headers is not None:
        return contract.headers
    mapping: dict[str, str] = {}
    for field in contract.fields:
        for synonym in field.synonyms:
            mapping.setdefault(synonym, field.name)
    return mapping
