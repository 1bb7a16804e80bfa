"""The file loader on messy real-world files: encodings, separators, title rows, every rule,
exact loaded totals and exact rejects, refused files, idempotence and --replace."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from etl.errors import FileRefused
from etl.load import load_file

DATA = Path(__file__).parent / "data" / "load"


def load(db: Path, kind: str, name: str, **kwargs):
    return load_file(db, kind, DATA / name, **kwargs)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def rejects(db: Path, load_id: int) -> list[tuple]:
    return query(
        db,
        'SELECT row_number, "column", value, reason FROM rejected_rows WHERE load_id = ? '
        "ORDER BY row_number, rowid",
        [load_id],
    )


def snapshot(db: Path) -> dict[str, list]:
    tables = (
        "loads",
        "distributions",
        "distribution_months",
        "distribution_days",
        "target_families",
        "target_shares",
        "funding",
        "targets",
        "programmes",
        "rejected_rows",
    )
    return {t: sorted(query(db, f"SELECT * FROM {t}"), key=repr) for t in tables}


def test_windows_1252_with_title_rows_blank_line_and_total_row(empty_db):
    result = load(empty_db, "distributions", "distributions_cp1252.csv")
    assert (result.format, result.encoding, result.separator) == ("CSV", "Windows-1252", ";")
    assert result.header_row == 4
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 4, 0)
    assert any("ligne 9 (total)" in m for m in result.messages)
    rows = query(
        empty_db,
        "SELECT date, commune_code, programme_id, item, quantity, public, operator, is_demo "
        "FROM distributions WHERE load_id = ? ORDER BY date",
        [result.load_id],
    )
    assert [r[1:5] for r in rows] == [
        ("93031", "emmaus-connect-2020", "ordinateur", 12),  # Épinay-sur-Seine
        ("93070", "emmaus-connect-2020", "carte_sim", 1200),  # St Ouen, 1 200 with U+00A0
        ("93039", "emmaus-connect-2020", "tablette", 3),  # l'ile saint denis, « tablettes »
        ("93066", "emmaus-connect-2020", "ordinateur", 5),  # Pierrefitte → Saint-Denis
    ]
    assert str(rows[0][0]) == "2020-12-14"
    assert rows[0][5:] == ("allocataires RSA", "Emmaüs Connect", False)
    assert rows[2][5:7] == (None, None)


def test_utf8_bom_comma_quotes_and_postal_codes(empty_db):
    result = load(empty_db, "distributions", "distributions_bom_comma.csv")
    assert (result.encoding, result.separator, result.rows_loaded) == ("UTF-8", ",", 4)
    rows = query(
        empty_db,
        "SELECT commune_code, item, quantity, public, operator FROM distributions ORDER BY date",
    )
    assert rows == [
        ("93048", "smartphone", 4, "jeunes, ASE", "Emmaüs Connect"),
        ("93066", "recharge", 2, None, "Emmaüs Connect, antenne de Saint-Denis"),  # 93200
        ("93066", "accompagnement", 1, None, None),  # 93210
        ("93066", "accompagnement", 1, None, None),  # 93380, « formation »
    ]


def test_tab_separated_with_record_identifier(empty_db):
    result = load(empty_db, "distributions", "distributions_tab.txt")
    assert result.separator == "\t"
    # A2 repeats A1's content under another identifier: both are records.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert query(empty_db, "SELECT sum(quantity) FROM distributions") == [(4,)]
    assert rejects(empty_db, result.load_id) == [
        (4, "Référence", "A1", "identifiant « A1 » déjà utilisé à la ligne 2")
    ]


RULES = [
    (3, "commune", "Neuilly", "nom de commune ambigu : Neuilly-Plaisance (93049) ou "
     "Neuilly-sur-Marne (93050)"),
    (4, "commune", "Paris 19e", "commune hors de la Seine-Saint-Denis"),
    (5, "commune", "75119", "commune hors de la Seine-Saint-Denis (code 75119)"),
    (6, "commune", "94000", "commune hors de la Seine-Saint-Denis (code 94000)"),
    (7, "commune", "Gotham", "commune inconnue en Seine-Saint-Denis (vérifiez l'orthographe, "
     "ou indiquez le code INSEE)"),
    (8, "commune", "93999", "code inconnu : ni code INSEE ni code postal d'une commune de la "
     "Seine-Saint-Denis"),
    (9, "programme", "programme-fantome", "programme inconnu ; programmes connus : "
     "confinement-2020-ordinateurs, confinement-2020-sim, confinement-2020-tablettes, "
     "conseillers-numeriques, emmaus-connect-2020, etat-2020-cartographie, "
     "etat-2020-equipement, etat-2020-essaimage, etat-2020-reconditionnement, "
     "la-courneuve-dsil, quartiers-solidaires-2020"),
    (10, "item", "vélo", "équipement inconnu (attendu : tablette, ordinateur, smartphone, "
     "carte_sim, recharge, accompagnement)"),
    (11, "quantite", "0", "quantité nulle"),
    (12, "quantite", "-4", "quantité négative"),
    (13, "quantite", "2,5", "quantité non entière"),
    (14, "quantite", "beaucoup", "quantité illisible (nombre entier positif attendu)"),
    (15, "date", "31/02/2021", "date impossible"),
    (16, "date", "1999-12-31", "date antérieure à 2000"),
    (17, "date", "2099-01-01", "date dans le futur"),
    (18, "date", "hier", "date illisible (attendu : AAAA-MM-JJ, JJ/MM/AAAA ou date Excel)"),
    (19, "date", None, "valeur manquante"),
    (20, "commune", None, "commune manquante"),
    (21, None, None, "doublon : ligne identique à la ligne 2"),
    (22, None, None, "la ligne a plus de cellules que l'en-tête n'a de colonnes (séparateur "
     "dans une valeur sans guillemets ?)"),
]  # fmt: skip


def test_each_broken_rule_rejects_its_row_with_its_reason(empty_db):
    result = load(empty_db, "distributions", "distributions_rules.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (22, 2, 20)
    assert rejects(empty_db, result.load_id) == RULES
    assert query(empty_db, "SELECT commune_code, quantity FROM distributions ORDER BY date") == [
        ("93008", 1),
        ("93048", 1000),
    ]
    ledger = query(
        empty_db,
        "SELECT kind, file_name, source_label, rows_read, rows_loaded, rows_rejected, is_demo "
        "FROM loads WHERE load_id = ?",
        [result.load_id],
    )
    assert ledger == [
        ("distributions", "distributions_rules.csv", "distributions_rules.csv", 22, 2, 20, False)
    ]


def test_funding_amounts_years_and_epts(empty_db):
    result = load(empty_db, "funding", "funding_mixed.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (11, 6, 5)
    rows = query(
        empty_db,
        "SELECT strftime(date, '%Y-%m-%d'), funder, programme_id, commune_code, ept_code, "
        "amount_eur::VARCHAR, scheme FROM funding ORDER BY date",
    )
    assert rows == [
        ("2021-01-01", "État", "conseillers-numeriques", "93008", None, "50000.00",
         "France Relance"),
        ("2021-03-15", "CAF", "emmaus-connect-2020", None, None, "1234.56", "Plan exceptionnel"),
        ("2021-04-01", "Département", "emmaus-connect-2020", None, "200057867", "12500.50", None),
        ("2021-04-02", "Département", "emmaus-connect-2020", None, "200057875", "500000.00", None),
        ("2021-04-03", "Département", "emmaus-connect-2020", None, "200058790", "10000.00", None),
        ("2021-04-05", "Région", "emmaus-connect-2020", None, "200058097", "200.00", None),
    ]  # fmt: skip
    assert query(empty_db, "SELECT sum(amount_eur)::VARCHAR FROM funding") == [("573935.06",)]
    assert rejects(empty_db, result.load_id) == [
        (7, "EPT", "Plaine Commune", "la commune Bobigny n'appartient pas à cet EPT"),
        (9, "Financeur", None, "valeur manquante"),
        (10, "Montant (€)", "gratuit",
         "montant illisible (nombre positif attendu, par exemple 12 500,50 €)"),
        (11, "Montant (€)", "-50", "montant négatif"),
        (12, "Année", "2031", "date dans le futur"),
    ]  # fmt: skip


def test_funder_type_column_says_the_kind_of_funder(empty_db, use_db):
    """Without the column the kind is read from the name: « Mairie de Bondy » would pass for a
    private partner, « Région » too. With it, the file's word (or a synonym) wins."""
    from observatoire import warehouse
    from observatoire.filters import Filters

    data = (
        "date;financeur;programme;commune;montant;type_financeur\n"
        "2021-02-01;Mairie de Bondy;emmaus-connect-2020;Bondy;1 000;ville\n"
        "2021-02-02;Fondation Orange;emmaus-connect-2020;Bobigny;2 000;Fondation\n"
        "2021-02-03;Région Île-de-France;emmaus-connect-2020;Bobigny;3 000;\n"
        "2021-02-04;Crédit local;emmaus-connect-2020;Bobigny;4 000;banque\n"
        "2021-02-05;Préfecture;emmaus-connect-2020;Bobigny;5 000;etat\n"
    ).encode()
    result = load_file(empty_db, "funding", data, file_name="types.csv")
    assert (result.rows_loaded, result.rows_rejected) == (4, 1)
    assert query(empty_db, "SELECT funder, funder_type FROM funding ORDER BY date") == [
        ("Mairie de Bondy", "Commune"),
        ("Fondation Orange", "Partenaire privé"),
        ("Région Île-de-France", None),
        ("Préfecture", "État"),
    ]
    assert rejects(empty_db, result.load_id) == [
        (5, "type_financeur", "banque",
         "type de financeur inconnu (attendu : État, Département, CAF, EPT, Commune, "
         "Partenaire privé)"),
    ]  # fmt: skip
    use_db(empty_db)
    kinds = warehouse.funding_by_funder(Filters()).set_index("funder")["funder_type"]
    assert kinds.to_dict() == {
        "Mairie de Bondy": "Commune",  # from the file; its name alone would say private
        "Fondation Orange": "Partenaire privé",
        "Région Île-de-France": "Partenaire privé",  # no type given: read from the name
        "Préfecture": "État",
    }


def test_programmes_then_targets_and_distributions_that_use_them(empty_db):
    programmes = load(empty_db, "programmes", "programmes.csv", source_label="Tableau DSI 2022")
    assert (programmes.rows_loaded, programmes.rows_rejected) == (2, 2)
    assert rejects(empty_db, programmes.load_id) == [
        (4, "id", "emmaus-connect-2020", "le programme « emmaus-connect-2020 » existe déjà "
         "(source « cp-2020-11-17-emmaus-connect ») ; pour le corriger, rechargez son fichier "
         "avec --replace"),
        (5, "fin", "2022-01-01", "fin antérieure au début"),
    ]  # fmt: skip
    assert query(
        empty_db,
        "SELECT id, name, operator, start_date::VARCHAR, end_date::VARCHAR, source FROM programmes "
        "WHERE load_id = ? ORDER BY id",
        [programmes.load_id],
    ) == [
        ("ateliers-seniors-connectes", "Ateliers seniors connectés", "CCAS", "2022-03-01", None,
         "Tableau DSI 2022"),
        ("pass-numerique-93", "Pass numérique 93", "Département de la Seine-Saint-Denis",
         "2022-01-01", "2023-12-31", "Tableau DSI 2022"),
    ]  # fmt: skip

    targets = load(empty_db, "targets", "targets.csv")
    assert (targets.rows_loaded, targets.rows_rejected) == (4, 2)
    assert query(
        empty_db,
        "SELECT indicator, item, target_value, unit, scope, scope_code, deadline::VARCHAR, "
        "source FROM targets WHERE load_id = ? ORDER BY target_value",
        [targets.load_id],
    ) == [
        ("postes", None, 3.0, "postes", "commune", "93066", None, "targets.csv"),
        ("quantite", "tablette", 200.0, "unités", "commune", "93008", None, "targets.csv"),
        ("quantite", "ordinateur", 1000.0, "ordinateurs", "departement", "93", "2027-12-31",
         "targets.csv"),
        ("montant", None, 50000.0, "€", "ept", "200057867", None, "targets.csv"),
    ]  # fmt: skip
    assert [r[3] for r in rejects(empty_db, targets.load_id)] == [
        "indicateur inconnu (attendu : quantite, montant, postes, projets)",
        "périmètre inconnu (attendu : departement, ept, commune)",
    ]

    # A programme loaded from a file is known by its name, insensitively.
    data = (
        "date;commune;programme;item;quantite\n"
        "2022-05-02;Sevran;PASS NUMÉRIQUE 93;accompagnement;3\n"
        "2022-05-03;Sevran;ateliers-seniors-connectes;accompagnement;4\n"
    ).encode()
    result = load_file(empty_db, "distributions", data, file_name="pass.csv")
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert query(
        empty_db, "SELECT programme_id, quantity FROM distributions ORDER BY quantity"
    ) == [("pass-numerique-93", 3), ("ateliers-seniors-connectes", 4)]


def test_loading_the_same_content_twice_changes_nothing(empty_db):
    first = load(empty_db, "distributions", "distributions_rules.csv")
    before = snapshot(empty_db)
    again = load(empty_db, "distributions", "distributions_rules.csv", source_label="autre")
    assert again.already_loaded and again.load_id == first.load_id
    assert any("déjà chargé" in m for m in again.messages)
    assert snapshot(empty_db) == before


def test_replace_swaps_the_rows_of_a_source_in_one_go(empty_db, tmp_path):
    v1 = tmp_path / "v1.csv"
    v1.write_text("date;commune;programme;item;quantite\n2021-01-04;Bondy;emmaus-connect-2020;"
                  "tablette;10\n2021-01-05;Bondy;emmaus-connect-2020;tablette;15\n")  # fmt: skip
    v2 = tmp_path / "v2.csv"
    v2.write_text("date;commune;programme;item;quantite\n2021-01-04;Bondy;emmaus-connect-2020;"
                  "tablette;12\n")  # fmt: skip
    first = load_file(empty_db, "distributions", v1, source_label="Bondy janvier")
    before = snapshot(empty_db)
    # A corrected file under the same source without --replace would double count: refused.
    with pytest.raises(FileRefused, match="--replace"):
        load_file(empty_db, "distributions", v2, source_label="Bondy janvier")
    assert snapshot(empty_db) == before
    second = load_file(empty_db, "distributions", v2, source_label="Bondy janvier", replace=True)
    assert second.replaced_loads == [first.load_id]
    assert query(empty_db, "SELECT sum(quantity), count(*) FROM distributions") == [(12, 1)]
    assert query(
        empty_db,
        "SELECT load_id, replaced_at IS NOT NULL FROM loads WHERE source_label = 'Bondy janvier' "
        "ORDER BY load_id",
    ) == [(first.load_id, True), (second.load_id, False)]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.csv", "Le fichier « empty.csv » est refusé : il est vide."),
        (
            "header_only.csv",
            "Le fichier « header_only.csv » est refusé : il n'a aucune ligne de données sous "
            "l'en-tête (ligne 1).",
        ),
        (
            "missing_quantity.csv",
            "Le fichier « missing_quantity.csv » est refusé : la colonne obligatoire « quantite » "
            "est absente (noms acceptés : quantite, qte, nombre, nb, quantite_distribuee, "
            "nombre_equipements).",
        ),
        (
            "no_header.csv",
            "Le fichier « no_header.csv » est refusé : aucune ligne d'en-tête reconnue dans les "
            "30 premières lignes (au moins deux colonnes attendues parmi : date, code_insee, "
            "code_postal, commune, programme, item, quantite, public, operateur, id ; voir "
            "docs/chargement.md).",
        ),
        (
            "image.png",
            "Le fichier « image.png » est refusé : ce n'est ni un fichier CSV ni un classeur XLSX.",
        ),
        (
            "old_excel.xls",
            "Le fichier « old_excel.xls » est refusé : c'est un classeur Excel 97-2003 (.xls), "
            "non pris en charge ; enregistrez-le au format .xlsx ou CSV.",
        ),
        (
            "corrupt.xlsx",
            "Le fichier « corrupt.xlsx » est refusé : ce classeur XLSX est illisible (fichier "
            "endommagé ?).",
        ),
    ],
)
def test_refused_files_leave_the_warehouse_exactly_as_it_was(empty_db, name, reason):
    before = hashlib.sha256(empty_db.read_bytes()).hexdigest()
    with pytest.raises(FileRefused) as refused:
        load(empty_db, "distributions", name)
    assert str(refused.value) == reason
    assert hashlib.sha256(empty_db.read_bytes()).hexdigest() == before


def test_missing_file_is_refused(empty_db, tmp_path):
    with pytest.raises(FileRefused, match="introuvable"):
        load_file(empty_db, "distributions", tmp_path / "absent.csv")


def test_unknown_columns_are_ignored_with_a_warning(empty_db):
    data = (
        "Date;Commune;Programme;Item;Quantité;Commentaire;Couleur préférée\n"
        "2021-06-01;Stains;emmaus-connect-2020;tablette;2;RAS;bleu\n"
    ).encode()
    result = load_file(empty_db, "distributions", data, file_name="extra.csv")
    assert result.ignored_columns == ["Commentaire", "Couleur préférée"]
    assert "Colonnes inconnues ignorées : « Commentaire », « Couleur préférée »." in result.messages
    assert result.rows_loaded == 1


def test_bytes_input_and_empty_lines_keep_spreadsheet_row_numbers(empty_db):
    data = (
        b"\n"
        b"date;commune;programme;item;quantite\n"
        b"2021-06-01;Stains;emmaus-connect-2020;tablette;2\n"
        b"\n"
        b"\r\n"
        b"2021-06-02;Atlantis;emmaus-connect-2020;tablette;2\n"
        b"\n"
    )
    result = load_file(empty_db, "distributions", data, file_name="trous.csv")
    assert (result.header_row, result.rows_read, result.rows_loaded) == (2, 2, 1)
    assert [r[0] for r in rejects(empty_db, result.load_id)] == [6]


def test_real_file_conseillers_numeriques_2021(empty_db, tmp_path):
    """The ANCT file of 2021 posts, as a funding file: the Paris 19e structure is rejected."""
    source = (
        Path(__file__).resolve().parents[2]
        / "shared"
        / "reference"
        / "indicateurs"
        / "conseillers-numeriques-postes-2021-93.csv"
    )
    if not source.exists():
        pytest.skip("../shared/reference absent")
    lines = source.read_text(encoding="utf-8").splitlines()
    header = (
        lines[0]
        .replace("code_insee_2024", "code_insee")
        .replace("date_validation_comite", "date_attribution")
        .replace("investissement_etat_estime_eur", "montant_eur")
    )
    text = "\n".join(
        [header + ",financeur,programme"]
        + [line + ",État,conseillers-numeriques" for line in lines[1:]]
    )
    path = tmp_path / "cnfs.csv"
    path.write_text(text, encoding="utf-8")
    result = load_file(empty_db, "funding", path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (34, 33, 1)
    assert rejects(empty_db, result.load_id) == [
        (2, "code_insee", "75119", "commune hors de la Seine-Saint-Denis (code 75119)")
    ]
    # The two Noisy-le-Grand structures differ only by columns that are not kept: both count.
    assert query(empty_db, "SELECT count(*) FROM funding WHERE commune_code = '93051'") == [(2,)]
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = sum(int(r["investissement_etat_estime_eur"]) for r in rows if r["hors_93"] == "non")
    assert query(empty_db, "SELECT sum(amount_eur)::BIGINT FROM funding") == [(total,)]


def test_windows_1252_found_after_a_long_ascii_beginning(empty_db, tmp_path):
    """The encoding is guessed from the beginning; DuckDB finds the rest is not UTF-8."""
    rows = ["date;commune;programme;item;quantite"]
    rows += [
        f"2021-06-{1 + i % 28:02d};Bondy;emmaus-connect-2020;tablette;{1 + i}" for i in range(6000)
    ]
    rows += ["2021-06-30;Épinay-sur-Seine;emmaus-connect-2020;tablette;5"]
    path = tmp_path / "long.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    assert path.stat().st_size > 262144
    result = load_file(empty_db, "distributions", path)
    assert (result.encoding, result.rows_read, result.rows_loaded) == ("Windows-1252", 6001, 6001)
    assert query(empty_db, "SELECT quantity FROM distributions WHERE commune_code = '93031'") == [
        (5,)
    ]
