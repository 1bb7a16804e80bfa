"""Recognised layouts (etl/formats.py) and column mapping (etl/mapping.py): the France services
national list, Aidants Connect structures and the ARCEP débit layouts load from files written
from their documentation (tests/data/formats/); a file with renamed columns loads once mapped
(command line and upload form) and the next file of the same header loads without asking; a
refused file says what is missing and how to map it, and leaves the warehouse unchanged."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl import formats
from etl.cli import main
from etl.errors import ColumnsMissing, FileRefused
from etl.load import load_file

DATA = Path(__file__).parent / "data" / "formats"


def q(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(db: Path) -> dict:
    tables = ("loads", "indicators", "indicator_values", "lieux", "distributions")
    tables += ("rejected_rows", "column_mappings")
    return {t: sorted(map(str, q(db, f"SELECT * FROM {t}"))) for t in tables}


# --- the layouts ---------------------------------------------------------------------------------


def test_france_services_national_list_2022_12_loads_as_places(empty_db):
    result = load_file(empty_db, "lieux", DATA / "france_services_2022_12.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 4, 0)
    assert result.rows_skipped == 2  # national file: Paris and Créteil ignored, counted
    rows = q(
        empty_db,
        "SELECT id, nom, commune_code, adresse, latitude, programmes, source FROM lieux "
        "WHERE load_id = ? ORDER BY id",
        [result.load_id],
    )
    assert [r[0] for r in rows] == [
        "France-Services_2919",
        "France-Services_3101",
        "France-Services_3205",
        "France-Services_3301",
    ]
    bobigny = rows[1]
    assert bobigny[1:4] == (
        "France services Bobigny",
        "93008",
        "1 place de l'Hôtel de Ville, Bâtiment A",
    )
    assert bobigny[5] == ["France Services"] and bobigny[6] == "ANCT – France services"
    assert rows[3][4] is None  # no coordinates given: none invented
    # The desk's mail and telephone: the places table has no column for them, never read.
    assert any("« mail », « telephone »" in m for m in result.messages)
    assert not q(empty_db, "SELECT * FROM rejected_rows WHERE load_id = ?", [result.load_id])


def test_aidants_connect_structures_load_as_places_and_as_help_measures(empty_db):
    places = load_file(empty_db, "lieux", DATA / "aidants_connect_structures.csv")
    assert (places.rows_loaded, places.rows_rejected, places.rows_skipped) == (3, 0, 3)
    rows = dict(
        q(
            empty_db,
            "SELECT id, programmes FROM lieux WHERE load_id = ?",
            [places.load_id],
        )
    )
    assert rows == {
        "Aidants-Connect_101": ["Aidants Connect"],
        "Aidants-Connect_102": ["Aidants Connect", "France Services"],
        "Aidants-Connect_103": ["Aidants Connect", "France Services"],
    }  # 104 is no longer active; 201 and 202 are outside the 93
    assert any("comme indicateurs" in m for m in places.messages)

    help_ = load_file(empty_db, "indicateurs", DATA / "aidants_connect_structures.csv", year=2024)
    assert help_.rows_skipped == 2 and help_.rows_rejected == 0
    values = {
        (c, i): v
        for c, i, v in q(
            empty_db,
            "SELECT commune_code, indicator, value FROM indicator_values WHERE load_id = ?",
            [help_.load_id],
        )
    }
    # Two structures in Aubervilliers: their counts added.
    assert values[("93001", "aidants_connect_usagers")] == 150
    assert values[("93001", "aidants_connect_demarches")] == 355
    assert values[("93008", "aidants_connect_aidants")] == 3
    assert {i for _, i in values} == {
        "aidants_connect_aidants",
        "aidants_connect_usagers",
        "aidants_connect_demarches",
    }  # the themes, the identifiers and the SIRET are no indicators
    catalogue = q(
        empty_db,
        "SELECT id, grp, measure, source, vintage FROM indicators "
        "WHERE id LIKE 'aidants_connect%' ORDER BY id",
    )
    assert [r[1:] for r in catalogue] == [
        (
            "Aide apportée (Aidants Connect)",
            "effectif",
            "ANCT – Aidants Connect (statistiques des structures)",
            "2024",
        )
    ] * 3


def test_arcep_debit_2019_beta_exclusive_classes(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "arcep_commune_debit_2019.csv")
    rows = dict(
        q(
            empty_db,
            "SELECT commune_code, value FROM indicator_values WHERE load_id = ? "
            "AND indicator = 'part_thd30' AND year = 2019",
            [result.load_id],
        )
    )
    assert rows["93001"] == pytest.approx((3000 + 10000 + 30000) / 45000 * 100)
    # Pierrefitte and Saint-Denis: premises-weighted.
    assert rows["93066"] == pytest.approx((13000 + 53000) / (14000 + 56000) * 100)
    assert result.rows_skipped == 2  # Paris, Marseille
    # Montreuil's classes do not add up to nbr: rejected with the reason.
    (reason,) = q(empty_db, "SELECT reason FROM rejected_rows WHERE load_id = ?", [result.load_id])
    assert "ne" not in rows and "classes exclusives" in reason[0]
    assert q(empty_db, "SELECT vintage, source FROM indicators WHERE id = 'part_thd30'") == [
        ("T2 2019", "ARCEP – Ma connexion internet")
    ]
    assert not q(empty_db, "SELECT * FROM indicators WHERE id LIKE 'elig%' OR id = 'nbr'")


def test_arcep_debit_current_cumulative_classes(empty_db):
    result = load_file(empty_db, "indicateurs", DATA / "arcep_commune_debit_2024t4.csv")
    rows = dict(
        q(
            empty_db,
            "SELECT commune_code, value FROM indicator_values WHERE load_id = ? "
            "AND indicator = 'part_thd30'",
            [result.load_id],
        )
    )
    assert rows == pytest.approx(
        {"93001": 44100 / 45000 * 100, "93008": 26500 / 27000 * 100, "93066": 68600 / 70000 * 100}
    )
    assert (result.rows_rejected, result.rows_skipped) == (0, 2)
    assert q(empty_db, "SELECT vintage FROM indicators WHERE id = 'part_thd30'") == [("T4 2024",)]


def test_arcep_techno_layout_has_its_quarter_as_vintage(empty_db):
    load_file(empty_db, "indicateurs", DATA.parent / "need" / "arcep_commune_debit_filaire.csv")
    assert q(empty_db, "SELECT vintage FROM indicators WHERE id = 'part_fibre'") == [("T3 2024",)]


def test_formats_command_lists_every_layout(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for fmt in formats.FORMATS:
        assert fmt.label in out and fmt.example in out
    assert "--colonnes" in out and "lib_fs" in out


# --- column mapping ------------------------------------------------------------------------------


def test_renamed_columns_load_after_mapping_on_the_command_line(empty_db, capsys):
    first = DATA / "distributions_renommees_janvier.csv"
    assert main(["load", "distributions", str(first), "--db", str(empty_db)]) == 1
    said = capsys.readouterr()
    assert "« programme » est absente" in said.err and len(said.err.strip().splitlines()) == 1
    assert "--colonnes programme=Dispositif" in said.out
    mapping = "programme=Dispositif,item=Matériel remis,quantite=Unités"
    code = main(["load", "distributions", str(first), "--db", str(empty_db), "--colonnes", mapping])
    assert code == 0, capsys.readouterr().err
    assert "Correspondance des colonnes appliquée" in capsys.readouterr().out
    # The next file of the same layout loads without asking.
    second = DATA / "distributions_renommees_fevrier.csv"
    assert main(["load", "distributions", str(second), "--db", str(empty_db)]) == 0
    assert "Correspondance retenue" in capsys.readouterr().out
    assert q(
        empty_db,
        "SELECT l.file_name, m.mapping, m.remembered FROM column_mappings m JOIN loads l "
        "USING (load_id) ORDER BY load_id",
    ) == [
        ("distributions_renommees_janvier.csv", mapping, False),
        ("distributions_renommees_fevrier.csv", mapping, True),
    ]
    assert q(empty_db, "SELECT commune_code, item, quantity FROM distributions ORDER BY date") == [
        ("93008", "tablette", 3),
        ("93048", "ordinateur", 2),
        ("93066", "smartphone", 5),
    ]
    assert main(["status", "--db", str(empty_db)]) == 0
    assert "correspondance des colonnes" in capsys.readouterr().out


def test_need_side_file_with_renamed_columns_loads_after_mapping(empty_db):
    data = (DATA / "france_services_2022_12.csv").read_bytes().replace(b"lib_fs", b"Libelle")
    with pytest.raises(ColumnsMissing) as refused:
        load_file(empty_db, "lieux", data, file_name="fs.csv")
    text = refused.value.full_text()
    assert "« nom » est absente" in text and "--colonnes nom=Libelle" in text
    result = load_file(empty_db, "lieux", data, file_name="fs.csv", columns={"nom": "Libelle"})
    assert result.rows_loaded == 4 and result.mapping == {"nom": "Libelle"}


def test_unknown_file_names_what_is_missing_and_how_to_map(empty_db):
    before = snapshot(empty_db)
    with pytest.raises(ColumnsMissing) as refused:
        load_file(empty_db, "distributions", DATA / "inconnu.csv")
    lines = refused.value.explanation
    assert "« Structure », « Ville », « Nb personnes reçues », « Mois »" in lines[0]
    assert any(
        "colonnes obligatoires absentes" in line and "« quantite »" in line for line in lines
    )
    assert any("--colonnes" in line and "formulaire" in line for line in lines)
    assert any("python -m etl formats" in line for line in lines)
    assert snapshot(empty_db) == before


def test_a_file_of_another_kind_is_recognised(empty_db):
    before = snapshot(empty_db)
    with pytest.raises(ColumnsMissing, match="chargez-le comme « lieux »") as refused:
        load_file(empty_db, "indicateurs", DATA / "france_services_2022_12.csv")
    assert any("python -m etl load lieux" in line for line in refused.value.explanation)
    with pytest.raises(
        FileRefused, match="pas un fichier d'indicateurs : chargez-le comme « lieux »"
    ):
        load_file(
            empty_db,
            "indicateurs",
            DATA / "france_services_2022_12.csv",
            columns={"code": "insee_com"},
        )
    assert snapshot(empty_db) == before


def test_a_wrong_mapping_is_refused_with_what_to_do(empty_db):
    before = snapshot(empty_db)
    with pytest.raises(FileRefused, match="n'existe pas dans le fichier"):
        load_file(
            empty_db, "lieux", DATA / "france_services_2022_12.csv", columns={"nom": "absente"}
        )
    with pytest.raises(FileRefused, match="n'est pas une colonne attendue"):
        load_file(
            empty_db, "lieux", DATA / "france_services_2022_12.csv", columns={"xyz": "lib_fs"}
        )
    assert snapshot(empty_db) == before


# --- the upload form ------------------------------------------------------------------------------


def test_upload_form_offers_the_mapping_then_remembers_it(app, monkeypatch, demo_db):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")
    at = app.run()
    at.switch_page("views/data.py").run()
    next(s for s in at.selectbox if s.label == "Type de fichier").set_value("distributions")
    name = "distributions_renommees_janvier.csv"
    at.file_uploader[0].set_value((name, (DATA / name).read_bytes(), "text/csv"))
    at.text_input(key="upload_password").input("secret")
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception
    assert "« programme » est absente" in at.error[0].value
    # One choice per expected column, pre-filled with the best guesses; a preview of the rows.
    choices = {s.label: s.value for s in at.selectbox if s.label != "Type de fichier"}
    assert choices["programme (programme)"] == "Dispositif"
    assert choices["quantité (quantite)"] == "Unités"
    assert choices["équipement (item)"] == "Matériel remis"
    preview = at.dataframe[-1].value
    assert list(preview["équipement (item)"]) == ["tablette", "ordinateur"]
    at.text_input(key="map_password").input("secret")
    next(b for b in at.button if b.label == "Charger avec ces correspondances").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Chargement n°" in at.success[0].value
    # The next file of the same layout loads without asking.
    name = "distributions_renommees_fevrier.csv"
    at.file_uploader[0].set_value((name, (DATA / name).read_bytes(), "text/csv"))
    at.text_input(key="upload_password").input("secret")
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Chargement n°" in at.success[0].value
    assert q(demo_db, "SELECT mapping, remembered FROM column_mappings ORDER BY load_id") == [
        ("programme=Dispositif,item=Matériel remis,quantite=Unités", False),
        ("programme=Dispositif,item=Matériel remis,quantite=Unités", True),
    ]
    # The loads table says how each file's columns were matched.
    at.switch_page("views/data.py").run()
    loads = at.dataframe[0].value
    assert list(loads["Colonnes associées"].head(2)) == [
        "programme=Dispositif,item=Matériel remis,quantite=Unités (reprise)",
        "programme=Dispositif,item=Matériel remis,quantite=Unités",
    ]
    assert set(loads["Colonnes associées"].iloc[2:]) == {"–"}  # files read as they were


# --- on screen ------------------------------------------------------------------------------------


def test_help_measure_and_thd_share_show_with_their_source_and_vintage(app, demo_db):
    from observatoire import warehouse

    load_file(demo_db, "indicateurs", DATA / "aidants_connect_structures.csv", year=2024)
    load_file(demo_db, "indicateurs", DATA / "arcep_commune_debit_2024t4.csv")
    warehouse._cached.clear()
    warehouse.READER.release()
    at = app.run()
    at.switch_page("views/need.py")
    at.query_params.update(besoin="aidants_connect_usagers")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="n_indicator").value == "aidants_connect_usagers"
    shown = " ".join(c.value for c in [*at.caption, *at.markdown])
    assert "ANCT – Aidants Connect (statistiques des structures)" in shown and "2024" in shown
    at.selectbox(key="n_indicator").set_value("part_thd30").run()
    assert at.selectbox(key="n_indicator").value == "part_thd30"
    shown = " ".join(c.value for c in [*at.caption, *at.markdown])
    assert "ARCEP – Ma connexion internet" in shown and "T4 2024" in shown


@pytest.mark.parametrize(
    "name",
    [
        "empty.csv",
        "header_only.csv",
        "image.png",
        "old_excel.xls",
        "corrupt.xlsx",
        "missing_quantity.csv",
        "no_header.csv",
    ],
)
def test_every_refusal_says_what_to_do(empty_db, name, capsys):
    path = DATA.parent / "load" / name
    with pytest.raises(FileRefused) as refused:
        load_file(empty_db, "distributions", path)
    text = " ".join([str(refused.value), *refused.value.explanation])
    assert any(w in text for w in ("Que faire", "--colonnes", "enregistrez-le")), text
    assert main(["load", "distributions", str(path), "--db", str(empty_db)]) == 1
    said = capsys.readouterr()
    assert len(said.err.strip().splitlines()) == 1  # the sentence; what to do follows
    assert any(w in said.err + said.out for w in ("Que faire", "--colonnes", "enregistrez-le"))


def test_upload_form_explains_an_unknown_file_and_can_drop_it(app, monkeypatch, demo_db):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")
    at = app.run()
    at.switch_page("views/data.py").run()
    before = q(demo_db, "SELECT count(*) FROM loads")
    at.file_uploader[0].set_value(("inconnu.csv", (DATA / "inconnu.csv").read_bytes(), "text/csv"))
    at.text_input(key="upload_password").input("secret")
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Fichier refusé : ")
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "colonnes obligatoires absentes" in said and "--colonnes" in said
    assert any(s.label == "quantité (quantite)" for s in at.selectbox)
    next(b for b in at.button if b.label == "Abandonner ce fichier").click().run()
    assert not at.exception and not at.error
    assert not any(s.label == "quantité (quantite)" for s in at.selectbox)
    assert q(demo_db, "SELECT count(*) FROM loads") == before
