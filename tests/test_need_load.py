"""Need-side loads (issue #13): indicateurs, lieux, conseillers, on the real files of
../shared/reference/indicateurs/ and on messy variants in tests/data/need/."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.build import init_warehouse
from etl.errors import FileRefused
from etl.load import load_file

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "need"
SHARED = ROOT.parent / "shared" / "reference" / "indicateurs"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/reference absent")

POP_PIERREFITTE, POP_SAINT_DENIS = 33670, 115237  # population municipale 2022


def q(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(db: Path) -> dict:
    tables = (
        "loads",
        "indicators",
        "indicator_values",
        "lieux",
        "conseillers",
        "funding",
        "rejected_rows",
    )
    return {t: sorted(map(str, q(db, f"SELECT * FROM {t}"))) for t in tables}


# --- shipped reference data -------------------------------------------------------------------


def test_init_loads_shipped_reference_ifn_and_places(empty_db):
    loads = q(
        empty_db,
        "SELECT kind, source_label, is_demo, rows_loaded FROM loads "
        "WHERE kind IN ('indicateurs', 'lieux') ORDER BY load_id",
    )
    assert loads == [
        ("indicateurs", "La MedNum – IFN 2021-2023 (référentiel)", False, 40),
        ("lieux", "ANCT – lieux des conseillers numériques 2022 (référentiel)", False, 44),
        ("lieux", "ANCT – France services 2020-2022 (référentiel)", False, 26),
    ]
    # 39 current communes: Pierrefitte merged into Saint-Denis.
    assert q(
        empty_db,
        "SELECT count(DISTINCT commune_code) FROM indicator_values WHERE indicator = 'ifn'",
    ) == [(39,)]
    assert q(empty_db, "SELECT count(*) FROM indicator_values WHERE commune_code = '93059'") == [
        (0,)
    ]
    assert q(empty_db, "SELECT count(*), bool_or(is_demo) FROM lieux") == [(70, False)]
    # 26 France services sites, and 8 places of conseillers numériques labelled both.
    assert q(empty_db, "SELECT count(*) FROM lieux WHERE 'France Services' = ANY(programmes)") == [
        (34,)
    ]
    assert q(
        empty_db, "SELECT count(*) FROM lieux WHERE 'Conseillers numériques' = ANY(programmes)"
    ) == [(44,)]
    ifn = q(
        empty_db,
        "SELECT unit, scale_min, scale_max, direction, measure, grp, vintage "
        "FROM indicators WHERE id = 'ifn'",
    )
    assert ifn == [
        ("score", 0.0, 10.0, "fragile_haut", "score", "Fragilité numérique", "2021-2023")
    ]


def test_reference_survives_no_demo_and_a_second_init(demo_db):
    before = q(demo_db, "SELECT count(*) FROM indicator_values")
    init_warehouse(demo_db, with_demo=False)
    init_warehouse(demo_db, with_demo=None)
    assert q(demo_db, "SELECT count(*) FROM indicator_values") == before
    assert q(demo_db, "SELECT count(*) FROM lieux") == [(70,)]
    assert q(demo_db, "SELECT count(*) FROM loads WHERE kind IN ('indicateurs', 'lieux')") == [(3,)]


def test_pierrefitte_merged_into_saint_denis_weighted_by_population(empty_db):
    # ifn-communes-93.csv: total 5.732442252790034 (93059) and 5.218461016828167 (93066).
    expected = (POP_PIERREFITTE * 5.732442252790034 + POP_SAINT_DENIS * 5.218461016828167) / (
        POP_PIERREFITTE + POP_SAINT_DENIS
    )
    assert expected == pytest.approx(5.33467951706547)
    value, merged = q(
        empty_db,
        "SELECT value, merged_from FROM indicator_values "
        "WHERE commune_code = '93066' AND indicator = 'ifn'",
    )[0]
    assert value == pytest.approx(expected, abs=1e-12)
    assert merged == "93059 93066"


# --- indicateurs ---------------------------------------------------------------------------------


def test_national_ifn_file_keeps_the_93_and_skips_the_rest_in_one_line(empty_db, tmp_path):
    rng = random.Random(13)
    lines = [
        "name,division,code,no_thd_coverage_rate,no_4g_coverage_rate,poverty_rate,"
        "older_65_rate,nscol15p_rate,total"
    ]
    ours = (
        (SHARED / "ifn-communes-93.csv").read_text(encoding="utf-8").splitlines()[1:]
        if (SHARED.exists())
        else []
    )
    deps = [d for d in range(1, 96) if d not in (20, 93)]
    for i in range(35000 - len(ours) - 20):
        dep = deps[i % len(deps)]
        code = f"{dep}{i % 900 + 1:03d}"  # Ain etc. lose their leading zero, as in a spreadsheet
        scores = [round(rng.uniform(0, 10), 3) for _ in range(5)]
        lines.append(f"Commune {i},city,{code},{','.join(map(str, scores))},{sum(scores) / 5}")
    for i in range(20):
        lines.append(f"EPCI {i},epci,2000{i:05d},1,1,1,1,1,1")
    lines[1:1] = ours
    path = tmp_path / "ifn-city-all-variation.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_file(empty_db, "indicateurs", path, source_label="IFN national")
    assert result.rows_read == 35000
    outside = [m for m in result.messages if "hors de la Seine-Saint-Denis" in m]
    assert len(outside) == 1 and "34" in outside[0]
    assert result.rows_rejected == 0
    assert result.rows_loaded == len(ours)
    assert result.rows_skipped == 35000 - len(ours)
    assert q(
        empty_db, "SELECT count(*) FROM rejected_rows WHERE load_id = ?", [result.load_id]
    ) == [(0,)]
    assert q(empty_db, "SELECT rows_skipped FROM loads WHERE load_id = ?", [result.load_id]) == [
        (35000 - len(ours),)
    ]
    if ours:
        assert q(
            empty_db,
            "SELECT count(DISTINCT commune_code) FROM indicator_values WHERE load_id = ?",
            [result.load_id],
        ) == [(39,)]


def test_insee_census_title_rows_decimal_commas_secret_markers(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "insee_pop_age_2021.csv")
    assert result.header_row == 3
    values = dict(
        ((c, i), (v, y, m))
        for c, i, v, y, m in q(
            empty_db,
            "SELECT commune_code, indicator, value, year, merged_from FROM indicator_values "
            "WHERE load_id = ?",
            [result.load_id],
        )
    )
    v, year, merged = values[("93001", "part_60_ans_plus")]
    assert year == 2021 and merged is None
    assert v == pytest.approx((7240 + 3522.5 + 301) / 88374 * 100)
    # Bagnolet: « 36 150 » and « 3100,5 ».
    assert values[("93006", "part_75_ans_plus")][0] == pytest.approx((1807 + 188) / 36150 * 100)
    # Pierrefitte + Saint-Denis: the share of the summed counts.
    v, _, merged = values[("93066", "part_60_ans_plus")]
    assert merged == "93059 93066"
    assert v == pytest.approx((2915 + 1506 + 98 + 8904 + 4286 + 386) / (32080 + 113134) * 100)
    assert ("93005", "part_60_ans_plus") not in values  # s, nd, ns: never numbers
    assert not any(c.startswith("75") for c, _ in values)
    assert result.rows_skipped == 2  # Paris, Aulnay (secret)
    rejects = q(
        empty_db,
        "SELECT row_number, value, reason FROM rejected_rows WHERE load_id = ?",
        [result.load_id],
    )
    assert [(r, v) for r, v, _ in rejects] == [(10, "93999")]
    assert any("secret" in m for m in result.messages)


def test_filosofi_windows_1252(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "filosofi_tp60_2021_cp1252.csv")
    assert result.encoding == "Windows-1252"
    rows = dict(
        q(
            empty_db,
            "SELECT commune_code, value FROM indicator_values WHERE load_id = ? "
            "AND indicator = 'taux_pauvrete' AND year = 2021",
            [result.load_id],
        )
    )
    assert rows["93001"] == 37.5
    expected = (POP_PIERREFITTE * 30.1 + POP_SAINT_DENIS * 36.9) / (
        POP_PIERREFITTE + POP_SAINT_DENIS
    )
    assert rows["93066"] == pytest.approx(expected)
    assert "93031" not in rows and "93064" not in rows
    assert q(
        empty_db, "SELECT row_number, reason FROM rejected_rows WHERE load_id = ?", [result.load_id]
    ) == [(8, "valeur illisible (nombre attendu)")]
    assert q(
        empty_db, "SELECT source, vintage, unit FROM indicators WHERE id = 'taux_pauvrete'"
    ) == [("INSEE – Filosofi", "2021", "%")]


def test_arcep_fibre_share(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "arcep_commune_debit_filaire.csv")
    rows = dict(
        q(
            empty_db,
            "SELECT commune_code, value FROM indicator_values WHERE load_id = ? "
            "AND indicator = 'part_fibre' AND year = 2024",
            [result.load_id],
        )
    )
    assert rows["93001"] == pytest.approx(43650 / 45000 * 100)
    # Premises-weighted: the share of the summed premises.
    assert rows["93066"] == pytest.approx((13300 + 55440) / (14000 + 56000) * 100)
    assert "93048" not in rows  # nbr = 0: rejected value
    assert q(empty_db, "SELECT direction, grp FROM indicators WHERE id = 'part_fibre'") == [
        ("fragile_bas", "Couverture numérique")
    ]
    # Unknown numeric columns load under their own name, with a warning.
    assert q(empty_db, "SELECT measure, unit, grp FROM indicators WHERE id = 'elig_coax'") == [
        ("effectif", "nombre", "Autres indicateurs")
    ]
    assert any("elig_coax" in m for m in result.messages)


def test_observatoire_des_territoires_csv_columns_in_another_order(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "odt_part_75_ans.csv")
    rows = {
        (c, i): (v, m)
        for c, i, v, m in q(
            empty_db,
            "SELECT commune_code, indicator, value, merged_from FROM indicator_values "
            "WHERE load_id = ?",
            [result.load_id],
        )
    }
    assert rows[("93001", "part_75_ans_plus")] == (4.3, None)
    assert rows[("93048", "part_75_ans_plus")][0] == 5.9  # name only: Montreuil-sous-Bois
    # A count is added.
    assert rows[("93066", "nombre_de_colleges")] == (12.0, "93059 93066")
    assert result.rows_skipped == 2  # département and EPT rows


def test_observatoire_des_territoires_xlsx_with_metadata_sheet(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "odt_taux_pauvrete_2021.xlsx", year=2021)
    assert (result.format, result.sheet, result.header_row) == ("XLSX", "Données", 4)
    rows = dict(
        q(
            empty_db,
            "SELECT commune_code || ' ' || indicator, value FROM indicator_values "
            "WHERE load_id = ? AND year = 2021",
            [result.load_id],
        )
    )
    assert rows["93001 taux_pauvrete"] == 37.5
    assert rows["93001 tx_chomage_15_64"] == 18.2
    assert rows["93008 tx_chomage_15_64"] == 15.1
    assert "93008 taux_pauvrete" not in rows  # « s »
    assert q(
        empty_db, "SELECT measure, unit, scale_max FROM indicators WHERE id = 'tx_chomage_15_64'"
    ) == [("taux", "%", 100.0)]


def test_long_format(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "indicateurs_long.csv", year=2020)
    rows = {
        (c, i, y): (v, m)
        for c, i, y, v, m in q(
            empty_db,
            "SELECT commune_code, indicator, year, value, merged_from FROM indicator_values "
            "WHERE load_id = ?",
            [result.load_id],
        )
    }
    assert rows[("93001", "part_60_ans_plus", 2021)] == (12.5, None)
    assert rows[("93005", "taux_pauvrete", 2020)] == (24.3, None)  # --annee fills the gap
    assert rows[("93066", "allocataires_rsa", 2022)] == (11600.0, "93059 93066")
    reasons = q(
        empty_db,
        "SELECT row_number, reason FROM rejected_rows WHERE load_id = ? ORDER BY row_number",
        [result.load_id],
    )
    assert reasons[0][0] == 9 and "double" in reasons[0][1]
    assert reasons[1] == (10, "valeur illisible (nombre attendu)")


def test_missing_required_column_refused_whole_warehouse_unchanged(empty_db):
    before = snapshot(empty_db)
    with pytest.raises(FileRefused, match="colonne obligatoire « code » est absente"):
        load_file(empty_db, "indicateurs", DATA / "ifn_sans_code.csv")
    with pytest.raises(FileRefused, match="« adresse » est absente"):
        load_file(empty_db, "lieux", DATA / "lieux_sans_adresse.csv")
    assert snapshot(empty_db) == before


def test_same_file_twice_counts_once_and_replace(empty_db):
    first = load_file(empty_db, "indicateurs", DATA / "insee_pop_age_2021.csv", source_label="RP")
    again = load_file(empty_db, "indicateurs", DATA / "insee_pop_age_2021.csv", source_label="X")
    assert again.already_loaded and again.load_id == first.load_id
    count = q(empty_db, "SELECT count(*) FROM indicator_values WHERE load_id = ?", [first.load_id])
    with pytest.raises(FileRefused, match="--replace"):
        load_file(empty_db, "indicateurs", DATA / "odt_part_75_ans.csv", source_label="RP")
    second = load_file(
        empty_db,
        "indicateurs",
        DATA / "insee_pop_age_2021.csv",
        source_label="RP",
        replace=True,
        year=2021,
    )  # other digest (--annee)
    assert second.replaced_loads == [first.load_id]
    assert q(
        empty_db, "SELECT count(*) FROM indicator_values WHERE load_id = ?", [first.load_id]
    ) == [(0,)]
    assert (
        q(empty_db, "SELECT count(*) FROM indicator_values WHERE load_id = ?", [second.load_id])
        == count
    )


# --- lieux ---------------------------------------------------------------------------------------


@needs_shared
def test_official_example_in_reims_is_rejected_as_outside_the_93(empty_db):
    result = load_file(empty_db, "lieux", SHARED / "lieux-mediation-numerique-exemple-officiel.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 0, 1)
    assert q(empty_db, "SELECT reason FROM rejected_rows WHERE load_id = ?", [result.load_id]) == [
        ("commune hors de la Seine-Saint-Denis (code 51454)",)
    ]


@needs_shared
def test_v1_places_of_the_93(empty_db):
    result = load_file(empty_db, "lieux", SHARED / "lieux-mediation-numerique-93-v1-derive.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (94, 94, 0)
    assert q(
        empty_db,
        "SELECT count(*) FROM lieux WHERE load_id = ? AND latitude IS NULL",
        [result.load_id],
    ) == [(2,)]
    gagny = q(
        empty_db,
        "SELECT commune_code, programmes, typologie, services[1] FROM lieux "
        "WHERE id = 'France-Services_temp_141'",
    )
    assert gagny == [("93032", ["France Services"], ["RFS"], "Aide aux démarches administratives")]


def test_messy_v1_places(empty_db):
    result = load_file(empty_db, "lieux", DATA / "lieux_v1_desordre.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 3, 4)
    rows = {
        r[0]: r[1:]
        for r in q(
            empty_db,
            "SELECT id, commune_code, programmes, qpv, latitude, adresse, date_maj::VARCHAR "
            "FROM lieux WHERE load_id = ?",
            [result.load_id],
        )
    }
    assert rows["mediatheque-1"][:3] == (
        "93070",
        ["Conseillers numériques", "Aidants Connect"],
        True,
    )
    assert rows["pierrefitte-1"][0] == "93066"  # former code
    assert rows["pierrefitte-1"][3] is None  # no coordinates: none invented
    assert rows["tiers-1"][0] == "93048"  # from the name
    assert rows["tiers-1"][1] == ["Conseillers numériques"]  # CNFS
    assert rows["tiers-1"][4:] == ("10 rue de Paris, Bâtiment B", "2024-02-05")
    reasons = dict(
        q(
            empty_db,
            "SELECT row_number, reason FROM rejected_rows WHERE load_id = ?",
            [result.load_id],
        )
    )
    assert "doublon" in reasons[5]
    assert reasons[6] == "commune hors de la Seine-Saint-Denis (code 51454)"
    assert "hors de la Seine-Saint-Denis" in reasons[7]
    # Contacts never stored: no column for them, and no value of them anywhere.
    columns = [c[0] for c in q(empty_db, "DESCRIBE lieux")]
    assert "telephone" not in columns and "courriels" not in columns
    assert "accueil@example.org" not in str(snapshot(empty_db))


@needs_shared
def test_older_place_layouts(empty_db):
    # Shipped at init: loading them again is « déjà chargé ».
    again = load_file(empty_db, "lieux", SHARED / "france-services-93.csv")
    assert again.already_loaded
    rows = q(
        empty_db,
        "SELECT id, services, date_maj::VARCHAR FROM lieux WHERE id IN "
        "('France-Services_2919', '62b1a656dd51e705b1807478') ORDER BY id",
    )
    assert rows[0] == (
        "62b1a656dd51e705b1807478",
        [
            "Prendre en main un smartphone ou une tablette",
            "Prendre en main un ordinateur",
            "Utiliser le numérique au quotidien",
            "Approfondir ma culture numérique",
        ],
        "2022-06-21",
    )
    assert rows[1] == ("France-Services_2919", [], "2022-11-15")


# --- conseillers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anct_coselec.csv", "anct_coselec_cp1252.csv"])
def test_anct_coselec_file(empty_db, name):
    result = load_file(empty_db, "conseillers", DATA / name)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 5, 3)
    if "cp1252" in name:
        assert result.encoding == "Windows-1252"
    rows = {
        r[0]: r[1:]
        for r in q(
            empty_db,
            "SELECT structure, commune_code, date::VARCHAR, posts, structure_type, siret, "
            "programme_id FROM conseillers WHERE load_id = ?",
            [result.load_id],
        )
    }
    assert rows["COMMUNE D'AUBERVILLIERS"] == (
        "93001",
        "2021-04-28",
        2,
        "publique",
        "21930001900011",
        "conseillers-numeriques",
    )
    assert rows["CCAS DE PIERREFITTE SUR SEINE"][0] == "93066"
    assert rows["REGIE DE QUARTIER DE MONTREUIL"][0] == "93048"  # code wins over 93140
    assert rows["CENTRE SOCIAL DE STAINS"][3] is None
    funding = q(
        empty_db,
        "SELECT funder, funder_type, scheme, programme_id, commune_code, amount_eur::DOUBLE "
        "FROM funding WHERE load_id = ? ORDER BY commune_code",
        [result.load_id],
    )
    assert funding[0] == (
        "État",
        "État",
        "France Relance",
        "conseillers-numeriques",
        "93001",
        110858.0,
    )
    assert len(funding) == 4  # Stains gives no amount
    reasons = dict(
        q(
            empty_db,
            "SELECT row_number, reason FROM rejected_rows WHERE load_id = ?",
            [result.load_id],
        )
    )
    assert reasons[3] == "commune hors de la Seine-Saint-Denis (code 75119)"  # dép. 93 said
    assert "nombre de conseillers" in reasons[7]
    assert "date" in reasons[8]
    assert any("le code INSEE l'emporte" in m and "6" in m for m in result.messages)
    assert q(empty_db, "SELECT count(*) FROM programmes WHERE id = 'conseillers-numeriques'") == [
        (1,)
    ]


@needs_shared
def test_conseillers_posts_2021_layout(empty_db):
    result = load_file(
        empty_db, "conseillers", SHARED / "conseillers-numeriques-postes-2021-93.csv"
    )
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (34, 33, 1)
    assert q(
        empty_db, "SELECT sum(posts) FROM conseillers WHERE load_id = ?", [result.load_id]
    ) == [(48,)]
    assert q(empty_db, "SELECT reason FROM rejected_rows WHERE load_id = ?", [result.load_id]) == [
        ("structure hors de la Seine-Saint-Denis (hors_93 = oui)",)
    ]
    replaced = load_file(
        empty_db,
        "conseillers",
        DATA / "anct_coselec.csv",
        source_label="conseillers-numeriques-postes-2021-93.csv",
        replace=True,
    )
    assert replaced.replaced_loads == [result.load_id]
    for table in ("conseillers", "funding"):
        assert q(empty_db, f"SELECT count(*) FROM {table} WHERE load_id = ?", [result.load_id]) == [
            (0,)
        ]


def test_cli_load_indicateurs_prints_summary_and_exit_codes(empty_db):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "etl", *args, "--db", str(empty_db)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    ok = run(
        "load",
        "indicateurs",
        str(DATA / "filosofi_tp60_2021_cp1252.csv"),
        "--annee",
        "2021",
        "--source",
        "Filosofi 2021",
    )
    assert ok.returncode == 0, ok.stderr
    assert "8 lignes lues, 4 chargées, 1 rejetées, 3 ignorées." in ok.stdout
    assert "hors de la Seine-Saint-Denis ignorées" in ok.stdout
    again = run(
        "load", "indicateurs", str(DATA / "filosofi_tp60_2021_cp1252.csv"), "--annee", "2021"
    )
    assert again.returncode == 0 and "déjà chargé" in again.stdout
    refused = run("load", "lieux", str(DATA / "lieux_sans_adresse.csv"))
    assert refused.returncode == 1 and "est refusé" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert run("load", "indicateurs").returncode == 2


def test_catalogue_kept_when_the_load_that_described_it_is_replaced(empty_db, tmp_path):
    path = tmp_path / "ifn.csv"
    path.write_text("name,division,code,total\nAubervilliers,city,93001,5.2\n", encoding="utf-8")
    first = load_file(empty_db, "indicateurs", path, source_label="IFN", year=2023)
    assert q(empty_db, "SELECT load_id FROM indicators WHERE id = 'ifn'") == [(first.load_id,)]
    load_file(
        empty_db,
        "indicateurs",
        DATA / "filosofi_tp60_2021_cp1252.csv",
        source_label="IFN",
        replace=True,
    )
    # The shipped IFN still has values: its catalogue row is back, with the defaults.
    assert q(empty_db, "SELECT label, unit, source FROM indicators WHERE id = 'ifn'") == [
        (
            "Indice de fragilité numérique (total)",
            "score",
            "La MedNum – Indice de fragilité numérique",
        )
    ]


def test_personal_data_columns_never_loaded_as_indicators(empty_db):
    data = "codgeo;libgeo;telephone_referent;part_fibre\n93001;Aubervilliers;0601020304;97\n"
    result = load_file(empty_db, "indicateurs", data.encode(), file_name="odt.csv")
    assert q(
        empty_db,
        "SELECT DISTINCT indicator FROM indicator_values WHERE load_id = ?",
        [result.load_id],
    ) == [("part_fibre",)]
    assert any("telephone_referent" in m and "personnelles" in m for m in result.messages)
    assert "0601020304" not in str(snapshot(empty_db))
