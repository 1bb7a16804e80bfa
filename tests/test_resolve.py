"""Resolution of each kind of value: communes (codes, former codes, postal codes, names),
quantities, amounts, dates, items. Each table of cases is one file loaded once; the case
number travels in the « public » (or « dispositif ») column to find the resolved value."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from etl.load import load_file

COMMUNES = [
    ("93001", "93001"),
    ("93001.0", "93001"),
    ("93 001", "93001"),
    ("93059", "93066"),  # Pierrefitte-sur-Seine, merged into Saint-Denis in 2025
    ("93200", "93066"),  # postal codes of Saint-Denis
    ("93210", "93066"),
    ("93380", "93066"),  # postal code of Pierrefitte
    ("93000", "93008"),  # Bobigny
    ("93100", "93048"),  # Montreuil
    ("Saint-Denis", "93066"),
    ("SAINT DENIS", "93066"),
    ("st-denis", "93066"),
    ("Saint Ouen", "93070"),  # former name
    ("St Ouen sur Seine", "93070"),
    ("Pierrefitte-sur-Seine", "93066"),
    ("Pierrefitte", "93066"),
    ("Blanc-Mesnil", "93007"),  # article missing
    ("le blanc mesnil", "93007"),
    ("Courneuve", "93027"),
    ("L'Île-Saint-Denis", "93039"),
    ("l’ile st denis", "93039"),
    ("EPINAY-SUR-SEINE", "93031"),
    ("Le Pré St Gervais", "93061"),
    ("Ste-Marie-des-Lilas", "unknown"),
    ("Lilas", "93045"),
    ("Tremblay-lès-Gonesse", "93073"),
    ("Tremblay", "93073"),
    ("Montreuil-sous-Bois", "93048"),
    ("Neuilly s/ Marne", "93050"),
    ("Bobigny (93)", "93008"),
    ("Noisy", "nom de commune ambigu : Noisy-le-Grand (93051) ou Noisy-le-Sec (93053)"),
    ("Neuilly", "nom de commune ambigu : Neuilly-Plaisance (93049) ou Neuilly-sur-Marne (93050)"),
    ("75119", "commune hors de la Seine-Saint-Denis (code 75119)"),
    ("94000", "commune hors de la Seine-Saint-Denis (code 94000)"),
    ("2A004", "commune hors de la Seine-Saint-Denis"),
    ("Paris 19e", "commune hors de la Seine-Saint-Denis"),
    ("Paris", "commune hors de la Seine-Saint-Denis"),
    ("Vincennes", "unknown"),
    ("93999", "code inconnu : ni code INSEE ni code postal d'une commune de la Seine-Saint-Denis"),
]
UNKNOWN = (
    "commune inconnue en Seine-Saint-Denis (vérifiez l'orthographe, ou indiquez le code INSEE)"
)

QUANTITIES = [
    ("7", 7),
    ("1 200", 1200),
    ("1\u00a0200", 1200),
    ("1\u202f200", 1200),
    ("1.200", 1200),
    ("12.0", 12),
    ("12,00", 12),
    (" 5 ", 5),
    ("0", "quantité nulle"),
    ("-3", "quantité négative"),
    ("2,5", "quantité non entière"),
    ("1.5", "quantité non entière"),
    ("douze", "quantité illisible (nombre entier positif attendu)"),
    ("99999999999", "quantité trop grande"),
]

ITEMS = [
    ("tablette", "tablette"),
    ("Tablettes", "tablette"),
    ("iPad", "tablette"),
    ("PC portable reconditionné", "ordinateur"),
    ("ordinateurs portables", "ordinateur"),
    ("Carte SIM prépayée", "carte_sim"),
    ("cartes SIM", "carte_sim"),
    ("carte_sim", "carte_sim"),
    ("Smartphone reconditionné", "smartphone"),
    ("Recharge data", "recharge"),
    ("Formation", "accompagnement"),
    ("accompagnement", "accompagnement"),
    ("vélo", "équipement inconnu (attendu : tablette, ordinateur, smartphone, carte_sim, "
     "recharge, accompagnement)"),
]  # fmt: skip

DATES = [
    ("2021-03-04", "2021-03-04"),
    ("2021-3-4", "2021-03-04"),
    ("04/03/2021", "2021-03-04"),
    ("4/3/2021", "2021-03-04"),
    ("04.03.2021", "2021-03-04"),
    ("04-03-2021", "2021-03-04"),
    ("2021-03-04 10:30:00", "2021-03-04"),
    ("2021-03-04T10:30:00", "2021-03-04"),
    ("44259", "2021-03-04"),  # Excel serial date
    ("29/02/2020", "2020-02-29"),
    ("29/02/2021", "date impossible"),
    ("13/13/2021", "date impossible"),
    ("1999-12-31", "date antérieure à 2000"),
    ("2099-01-01", "date dans le futur"),
    ("2021", "date illisible (attendu : AAAA-MM-JJ, JJ/MM/AAAA ou date Excel)"),
    ("mars 2021", "date illisible (attendu : AAAA-MM-JJ, JJ/MM/AAAA ou date Excel)"),
]

AMOUNTS = [
    ("500 000 €", "500000.00"),
    ("500000", "500000.00"),
    ("1.234,56", "1234.56"),
    ("12 500,50 €", "12500.50"),
    ("€ 300", "300.00"),
    ("1,234,567.89", "1234567.89"),
    ("1 234,5 EUR", "1234.50"),
    ("12.50", "12.50"),
    ("100.000", "100000.00"),
    ("0", "montant nul"),
    ("-5", "montant négatif"),
    ("beaucoup", "montant illisible (nombre positif attendu, par exemple 12 500,50 €)"),
]

FUNDING_DATES = [
    ("2021", "2021-01-01"),
    ("15/06/2021", "2021-06-15"),
    ("2999", "date dans le futur"),
    ("1998", "date antérieure à 2000"),
]


@pytest.fixture(scope="module")
def warehouse(_empty_template, tmp_path_factory):
    db = tmp_path_factory.mktemp("resolve") / "observatoire.duckdb"
    shutil.copy(_empty_template, db)
    return db


def _outcomes(db, kind, header, rows, value_sql, case_column):
    """Load the rows (case number in ``case_column``); {case: resolved value or reason}."""
    text = ";".join(header) + "\n" + "".join(";".join(r) + "\n" for r in rows)
    result = load_file(db, kind, text.encode(), file_name=f"{kind}-{len(rows)}-{header[0]}.csv")
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = dict(
            con.execute(
                f"SELECT {case_column}::INTEGER, {value_sql} FROM {kind} WHERE load_id = ?",
                [result.load_id],
            ).fetchall()
        )
        for row_number, reason in con.execute(
            "SELECT row_number, reason FROM rejected_rows WHERE load_id = ?", [result.load_id]
        ).fetchall():
            found[row_number - 2] = reason
    finally:
        con.close()
    return found


def _distributions(db, column, values):
    base = {
        "date": "2021-05-03",
        "commune": "Bondy",
        "programme": "emmaus-connect-2020",
        "item": "tablette",
        "quantite": "1",
    }
    header = [*base, "public"]
    rows = []
    for i, value in enumerate(values):
        row = dict(base, **{column: value})
        rows.append([row[h] for h in base] + [str(i)])
    return header, rows


@pytest.mark.parametrize(
    ("column", "cases", "value_sql"),
    [
        ("commune", COMMUNES, "commune_code"),
        ("quantite", QUANTITIES, "quantity"),
        ("item", ITEMS, "item"),
        ("date", DATES, "strftime(date, '%Y-%m-%d')"),
    ],
    ids=["communes", "quantities", "items", "dates"],
)
def test_distribution_values(warehouse, column, cases, value_sql):
    header, rows = _distributions(warehouse, column, [value for value, _ in cases])
    found = _outcomes(warehouse, "distributions", header, rows, value_sql, "public")
    expected = {i: (UNKNOWN if want == "unknown" else want) for i, (_, want) in enumerate(cases)}
    assert {cases[i][0]: found.get(i) for i in expected} == {
        cases[i][0]: want for i, want in expected.items()
    }


@pytest.mark.parametrize(
    ("column", "cases", "value_sql"),
    [
        ("montant", AMOUNTS, "amount_eur::VARCHAR"),
        ("date", FUNDING_DATES, "strftime(date, '%Y-%m-%d')"),
    ],
    ids=["amounts", "years"],
)
def test_funding_values(warehouse, column, cases, value_sql):
    base = {"date": "2021-05-03", "financeur": "État", "programme": "conseillers-numeriques",
            "montant": "10"}  # fmt: skip
    header = [*base, "dispositif"]
    rows = [
        [dict(base, **{column: value})[h] for h in base] + [str(i)]
        for i, (value, _) in enumerate(cases)
    ]
    found = _outcomes(warehouse, "funding", header, rows, value_sql, "scheme")
    assert {value: found.get(i) for i, (value, _) in enumerate(cases)} == dict(cases)
