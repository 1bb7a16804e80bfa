"""The territory fiche (issue #14): one A4 page per commune or EPT, real text read back with a
PDF text extractor (pypdf), small counts masked as on the sheet, the need scores and places
when the tables of issue #13 hold rows, and every fiche in a ZIP with the CLI."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import duckdb
import pypdf
import pytest

from observatoire import fiches, fmt, warehouse
from observatoire.fiche import content as fiche_content
from observatoire.fiche import render as fiche_render
from observatoire.filters import Filters
from tests.conftest import SHARED_REFERENCE, drop_contours
from webapp import ui

SAINT_DENIS, COUBRON, MONTREUIL = "93066", "93015", "93048"
PLAINE_COMMUNE, GPGE = "200057867", "200058790"
A4_POINTS = (595.28, 841.89)
TODAY = date(2026, 12, 1)


def _read(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _one_a4_page(reader: pypdf.PdfReader) -> None:
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_POINTS


def _plain(text: str) -> str:
    """Extracted text with French no-break spaces as plain spaces, for readable asserts."""
    return text.replace(fmt.NBSP, " ").replace("\u202f", " ")


@pytest.fixture
def demo(demo_db, use_db, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    return use_db(demo_db)


def test_commune_fiche_is_one_a4_page_of_real_text(demo):
    pdf = fiche_render.build(SAINT_DENIS, today=TODAY, base_url="https://obs.example/territoire")
    reader, text = _read(pdf)
    _one_a4_page(reader)
    assert reader.metadata.title == "Fiche territoire – Saint-Denis"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    plain = _plain(text)
    assert "Saint-Denis" in plain and "Commune de l'EPT Plaine Commune" in plain
    assert "149 077 habitants" in plain
    figures = warehouse.key_figures(Filters(communes=(SAINT_DENIS,)))
    assert _plain(fmt.number(figures["items_distributed"])) in plain
    assert _plain(fmt.money(figures["euros_committed"])) in plain
    # Beside its EPT and the département.
    assert "EPT Plaine" in plain and "Seine-Saint-" in plain and "1 704 316 hab." in plain
    # The source line with the date of the data, the demonstration mention, the link and
    # the date of generation.
    source = _plain(ui.source_text(Filters(communes=(SAINT_DENIS,))))
    assert source.split(" — ")[0][:60] in " ".join(plain.split("\n"))
    assert "données au" in plain
    assert "Données de démonstration" in plain
    assert "https://obs.example/territoire?code=93066" in plain
    assert "Fiche générée le 01/12/2026" in plain
    # Saint-Denis has 18 headline targets: the first ones, then how many are left out.
    assert re.search(r"et \d+ autres objectifs", plain)
    # French formats: « € » with no-break spaces, percentages « 46 % ».
    assert re.search("\\d\u00a0%", text) and "\u00a0€" in text


def test_ept_fiche(demo):
    reader, text = _read(fiche_render.build(PLAINE_COMMUNE, today=TODAY))
    _one_a4_page(reader)
    plain = _plain(text)
    assert "EPT Plaine Commune" in plain and "8 communes" in plain
    assert "453 671 habitants" in plain
    assert "Contours" in plain  # the committed contours, loaded by init
    assert "Part du territoire dans chaque objectif" in plain


def test_small_counts_masked_as_on_the_sheet(demo):
    # Coubron, demonstration data: 2 « collégiens connectés » and 3 « ordinateurs ».
    progress = warehouse.target_progress(Filters(communes=(COUBRON,)), today=TODAY)
    small = progress[progress["headline"] & progress["achieved"].between(1, 4)]
    assert {"Collégiens connectés (cartes SIM prépayées ou recharges)"} <= set(small["label"])
    _, text = _read(fiche_render.build(COUBRON, today=TODAY))
    plain = _plain(text)
    line = next(li for li in plain.splitlines() if "collégiens connectés" in li and " sur " in li)
    # The protected tables publish a count made of demonstration records only (their
    # generator is public): the fiche shows what the protected cell says, as the sheet does.
    # Real small counts are hidden on the fiche in tests/test_protected_sheet.py.
    assert re.search(r"(^|\s)2 sur", line) and "< 5" not in line
    assert "Petits effectifs masqués" in plain


def test_internal_mode_shows_exact_counts(demo, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
    _, text = _read(fiche_render.build(COUBRON, today=TODAY))
    plain = _plain(text)
    line = next(li for li in plain.splitlines() if "collégiens connectés" in li and " sur " in li)
    assert re.search(r"(^|\s)2 sur", line) and "< 5" not in plain
    assert "Petits effectifs masqués" not in plain


def test_key_figures_masked_on_a_tiny_warehouse(small_db):  # noqa: F811
    # Coubron: 3 ordinateurs (3 people); 900 € and one post are never masked.
    _, text = _read(fiche_render.build(COUBRON, today=TODAY))
    plain = _plain(text)
    tiles = plain.split("Comparaison")[0]
    assert "< 5\nÉquipements distribués" in tiles and "< 5\nPersonnes touchées" in tiles
    assert "\n3\n" not in tiles
    assert "900 €" in plain and "masqué" in plain  # the rate of a masked count
    assert "Données de démonstration" not in plain


def test_filters_show_in_the_text_and_the_link(demo):
    filters = Filters(
        programmes=("emmaus-connect-2020",),
        date_from=date(2021, 1, 1),
        date_to=date(2021, 12, 31),
    )
    _, text = _read(
        fiche_render.build(MONTREUIL, filters, base_url="http://h:8501/carte", today=TODAY)
    )
    plain = _plain(text)
    assert "du 01/01/2021 au 31/12/2021" in plain
    assert "Programme « " in plain
    link = fiche_content.view_link(MONTREUIL, filters, "http://h:8501/carte")
    assert link == (
        "http://h:8501/territoire?code=93048&programme=emmaus-connect-2020"
        "&du=2021-01-01&au=2021-12-31"
    )
    assert link in plain.replace("\n", "")


def test_view_link_keeps_the_sheet_path_and_drops_the_old_query():
    filters = Filters(include_demo=False)
    assert fiche_content.view_link("93001", filters, "https://x.fr/territoire") == (
        "https://x.fr/territoire?code=93001&demo=0"
    )
    assert fiche_content.view_link("93001", Filters(), "https://x.fr/") == (
        "https://x.fr/territoire?code=93001"
    )
    assert fiche_content.view_link("93001", Filters(), None).startswith(
        "http://localhost:8501/territoire"
    )


def test_without_demo_no_demonstration_mention(demo):
    _, text = _read(fiche_render.build(MONTREUIL, Filters(include_demo=False), today=TODAY))
    plain = _plain(text)
    assert "Données de démonstration" not in plain
    assert "sans les données de démonstration" in " ".join(plain.split())


def _add_funders(db, code: str, count: int) -> None:
    con = duckdb.connect(str(db))
    for i in range(count):
        con.execute(
            "INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, "
            "amount_eur, scheme, is_demo, load_id) VALUES "
            "('2021-03-01', ?, 'emmaus-connect-2020', ?, NULL, ?, 'X', false, 99)",
            [f"Financeur {i:02d}", code, 1000 + i],
        )
    con.close()


def test_long_lists_are_cut_with_how_many_are_left(demo):
    _add_funders(demo, MONTREUIL, 9)
    warehouse._cached.clear()
    reader, text = _read(fiche_render.build(MONTREUIL, today=TODAY))
    _one_a4_page(reader)
    plain = _plain(text)
    assert re.search(r"et \d+ autres financeurs \(", plain)
    assert "Total rattaché au territoire" in plain


# Contours and need-side tables ------------------------------------------------------------


def _load_contours(db) -> None:
    from etl import boundaries

    drop_contours(db)  # init loaded the committed ones: load a user's file instead
    con = duckdb.connect(str(db))
    boundaries.load_file(con, SHARED_REFERENCE / "communes-93.geojson")
    con.close()
    warehouse._cached.clear()


def test_locator_map_from_stored_contours(demo):
    _load_contours(demo)
    content = fiche_content.gather(SAINT_DENIS, today=TODAY)
    assert not content.map.schematic and len(content.map.communes) == 39
    assert content.map.highlighted == {SAINT_DENIS}
    assert "93001" in content.map.same_ept  # Aubervilliers, also in Plaine Commune
    _, text = _read(fiche_render.render_pdf(content))
    assert "Contours : Fichier communes-93.geojson" in _plain(text)
    ept = fiche_content.gather(PLAINE_COMMUNE, today=TODAY)
    assert len(ept.map.highlighted) == 8 and not ept.map.same_ept


# The tables of issue #13 (created by migration 041, filled at init with the shipped IFN and
# places): emptied, then filled by hand.
NEED_RESET = """
DELETE FROM indicator_values; DELETE FROM indicators; DELETE FROM lieux;
"""
IFN = [
    ("ifn", "Indice de fragilité numérique (total)"),
    ("ifn_thd", "IFN – absence de couverture très haut débit"),
    ("ifn_4g", "IFN – absence de couverture 4G"),
    ("ifn_pauvrete", "IFN – pauvreté"),
    ("ifn_65_ans", "IFN – part des 65 ans et plus"),
    ("ifn_peu_diplomes", "IFN – personnes peu ou pas diplômées"),
]


def _need_tables(db, *, rows: bool = True) -> None:
    con = duckdb.connect(str(db))
    con.execute(NEED_RESET)
    if rows:
        for ident, label in IFN:
            con.execute(
                "INSERT INTO indicators VALUES (?, ?, 'score', 0, 10, 'fragile_haut', 'score', "
                "'Fragilité numérique', 'La MedNum (IFN)', '2021-2023', 7)",
                [ident, label],
            )
        values = {SAINT_DENIS: 5.26, COUBRON: 2.5, "93001": 5.2}
        for code, total in values.items():
            for ident, _ in IFN:
                value = total if ident == "ifn" else (9.5 if ident == "ifn_pauvrete" else 4.0)
                con.execute(
                    "INSERT INTO indicator_values VALUES (?, ?, 2023, ?, NULL, false, 7)",
                    [code, ident, value],
                )
        con.execute(
            "INSERT INTO lieux (id, nom, commune_code, date_maj, is_demo, load_id) VALUES "
            "('a', 'Médiathèque', '93066', '2022-12-01', false, 8), "
            "('b', 'France services', '93066', '2023-01-15', false, 8), "
            "('c', 'Espace public numérique', '93001', '2022-11-01', false, 8)"
        )
    con.close()
    warehouse._cached.clear()


def test_needs_and_places_when_the_tables_hold_rows(demo):
    _need_tables(demo)
    content = fiche_content.gather(SAINT_DENIS, today=TODAY)
    assert [n.label for n in content.needs][0] == "Indice total"
    assert len(content.needs) == 6 and content.needs[0].value == pytest.approx(5.26)
    assert content.places.count == 2
    reader, text = _read(fiche_render.render_pdf(content))
    _one_a4_page(reader)
    plain = _plain(text)
    assert "Besoins" in plain and "Indice total" in plain and "5,3/10" in plain
    assert "Pauvreté" in plain and "plus haut = plus fragile" in plain
    assert "2 lieux de médiation numérique recensés" in plain
    assert "15/01/2023" in plain
    # An EPT: the population-weighted mean of its communes that have a value.
    ept = fiche_content.gather(PLAINE_COMMUNE, today=TODAY)
    assert 5.2 < ept.needs[0].value < 5.26 and ept.places.count == 3
    assert "(2 sur 8)" in ept.needs_note
    # A commune without values: no « Besoins », but the places count (0).
    montreuil = fiche_content.gather(MONTREUIL, today=TODAY)
    assert montreuil.needs == [] and montreuil.places.count == 0


def test_no_needs_section_without_rows(demo):
    _need_tables(demo, rows=False)
    content = fiche_content.gather(SAINT_DENIS, today=TODAY)
    assert content.needs == [] and content.places is None
    _, text = _read(fiche_render.render_pdf(content))
    assert "Besoins" not in text and "lieux de médiation" not in text


# Every fiche at once ------------------------------------------------------------------------


def test_cli_writes_43_one_page_fiches(demo, tmp_path, capsys):
    _need_tables(demo)
    target = tmp_path / "fiches.zip"
    assert fiches.main(["--sortie", str(target)]) == 0
    assert "43 fiches écrites" in capsys.readouterr().out
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == 43 and all(n.endswith(".pdf") for n in names)
        assert "fiche-saint-denis-93066.pdf" in names
        assert "fiche-ept-plaine-commune-200057867.pdf" in names
        for name in names:
            reader, text = _read(archive.read(name))
            _one_a4_page(reader)
            assert "Source : " in text


def test_cli_leaves_the_reader_as_it_was(demo, tmp_path):
    """The batch keeps the connection open between fiches, then gives the reader back its
    own idle delay (the class's, which other code may set)."""
    assert "IDLE_S" not in vars(warehouse.READER)
    fiches.write_zip(tmp_path / "one.zip", ept=PLAINE_COMMUNE)
    assert "IDLE_S" not in vars(warehouse.READER)
    assert not warehouse.READER.is_open


def test_cli_one_ept_and_filters(demo, tmp_path):
    target = tmp_path / "gpge.zip"
    code = fiches.main(
        ["--sortie", str(target), "--ept", GPGE, "--programme", "emmaus-connect-2020",
         "--sans-demo"]
    )  # fmt: skip
    assert code == 0
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == 15  # 14 communes and the EPT
        _, text = _read(archive.read(names[0]))
    assert "sans les données de démonstration" in " ".join(_plain(text).split())
    assert "demo=0" in text.replace("\n", "")


def test_cli_refuses_unknown_codes(demo, tmp_path, capsys):
    assert fiches.main(["--sortie", str(tmp_path / "x.zip"), "--ept", "123"]) == 2
    assert "EPT inconnu" in capsys.readouterr().err
    assert fiches.main(["--sortie", str(tmp_path / "x.zip"), "--programme", "nope"]) == 2
    assert not (tmp_path / "x.zip").exists()


# The sheet's button ---------------------------------------------------------------------------


def test_sheet_shows_the_pdf_button(app):
    at = app.run()
    at.switch_page("views/territory.py")
    at.query_params["code"] = SAINT_DENIS
    at.run()
    assert not at.exception, at.exception
    buttons = [b for b in at.get("download_button") if b.proto.label == "Fiche PDF (A4)"]
    assert len(buttons) == 1
