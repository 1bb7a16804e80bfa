"""AppTest on every page: no exception, French figures, the filters change the figures and
live in the URL."""

from __future__ import annotations

import pytest

EST_ENSEMBLE = "200057875"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_renders_key_figures(app):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Vue d'ensemble"
    metrics = _metrics(at)
    assert metrics["Équipements distribués"] == "28\u00a0471"
    assert metrics["Conseillers numériques"] == "62"
    assert metrics["Euros engagés"].endswith("\u00a0€")
    # The demonstration data is announced.
    assert any("Données de démonstration" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 3


def test_filters_change_figures_and_url(app):
    at = app.run()
    everything = _metrics(at)
    at.selectbox(key="f_ept").set_value(EST_ENSEMBLE).run()
    assert not at.exception
    est = _metrics(at)
    assert est["Équipements distribués"] != everything["Équipements distribués"]
    assert at.query_params["ept"] == EST_ENSEMBLE
    assert "Est Ensemble" in at.caption[0].value
    at.multiselect(key="f_communes").set_value(["93048"]).run()
    assert at.query_params["commune"] == "93048"
    assert "Montreuil" in at.caption[0].value
    at.toggle(key="f_demo").set_value(False).run()
    assert at.query_params["demo"] == "0"
    assert _metrics(at)["Équipements distribués"] == "0"
    assert not any("Données de démonstration" in w.value for w in at.warning)


def test_url_reproduces_the_view(app):
    app.query_params["ept"] = EST_ENSEMBLE
    app.query_params["programme"] = "emmaus-connect-2020"
    at = app.run()
    assert not at.exception
    assert at.selectbox(key="f_ept").value == EST_ENSEMBLE
    assert at.multiselect(key="f_programmes").value == ["emmaus-connect-2020"]


def test_bad_url_values_fall_back_to_defaults(app):
    app.query_params["ept"] = "<script>"
    app.query_params["du"] = "pas-une-date"
    app.query_params["commune"] = "99999"
    at = app.run()
    assert not at.exception
    assert at.selectbox(key="f_ept").value == "93"  # toute la Seine-Saint-Denis
    assert at.multiselect(key="f_communes").value == []


def test_programmes_page_cites_sources(app):
    at = app.run()
    at.switch_page("views/programmes.py").run()
    assert not at.exception
    assert at.title[0].value == "Programmes et sources"
    text = " ".join(m.value for m in at.markdown)
    assert "communiqué du 17/11/2020" in text
    assert "communiqué du 15/01/2021" in text
    assert len(at.dataframe) == 11
    # The achievement is written in the target's unit: « 20 000 € » beside « 20 000 € ».
    for frame in (d.value for d in at.dataframe):
        for target, achieved in zip(frame["Cible"], frame["Réalisé"], strict=True):
            if target.endswith(" €") and achieved[:1].isdigit():
                assert achieved.endswith(" €"), (target, achieved)


@pytest.mark.parametrize("programme", ["la-courneuve-dsil", "conseillers-numeriques"])
def test_programme_filter_narrows_programmes_page(app, programme):
    app.query_params["programme"] = programme
    at = app.run()
    at.switch_page("views/programmes.py").run()
    assert not at.exception
    assert len(at.subheader) == 1


def test_missing_warehouse_shows_french_error(app, use_db, tmp_path):
    use_db(tmp_path / "absent.duckdb")
    at = app.run()
    assert not at.exception
    assert "python -m etl init" in at.error[0].value


def test_outdated_warehouse_asks_for_migrate(app, demo_db):
    """A warehouse made by an earlier version (here: without the distribution summaries)
    gets a French instruction, not a missing-table error; `migrate` brings the pages back."""
    import duckdb

    from etl.cli import main

    con = duckdb.connect(str(demo_db))
    con.execute("DROP TABLE distribution_days")
    con.execute("DROP TABLE distribution_months")
    con.execute("DELETE FROM schema_migrations WHERE version = 20")
    con.close()
    at = app.run()
    assert not at.exception
    assert "python -m etl migrate" in at.error[0].value
    assert "020_distribution_summaries" in at.error[0].value
    assert main(["migrate", "--db", str(demo_db)]) == 0
    at = app.run()
    assert not at.exception and not at.error
    assert at.title[0].value


def test_chart_exports_carry_source_line_and_demo_mention(app):
    """What « Exporter » would render for each chart of the page (built lazily on click)."""
    at = app.run()
    kit = at.session_state["_press_kit_figures"]
    assert len(kit) == 3
    for figure, title, reading in kit:
        dressed = figure.dress()
        footer = dressed.layout.annotations[-1].text
        assert footer.startswith("Source : Département de la Seine-Saint-Denis, communiqués du")
        assert "Données de démonstration" in footer
        assert title in dressed.layout.title.text
        assert reading.endswith(".")
    at.toggle(key="f_demo").set_value(False).run()
    for figure, _, _ in at.session_state["_press_kit_figures"]:
        assert "Données de démonstration" not in figure.dress().layout.annotations[-1].text


def test_names_from_files_are_shown_as_text(app, demo_db, tmp_path):
    """A programme loaded from a user's file, named like markdown: shown, never rendered."""
    from etl.load import load_file
    from observatoire import warehouse

    hostile = "![pixel](http://example.invalid/p.png) **Programme** <b>test</b>"
    csv = tmp_path / "programmes.csv"
    csv.write_text(f"id;nom;operateur;debut\nprog-test;{hostile};Asso;2021-01-01\n", "utf-8")
    warehouse.READER.release()
    assert load_file(demo_db, "programmes", csv).rows_loaded == 1
    at = app.run()
    at.switch_page("views/programmes.py").run()
    assert not at.exception
    shown = [s.value for s in at.subheader if "pixel" in s.value]
    assert shown and "![" not in shown[0] and "**" not in shown[0] and "<b>" not in shown[0]


def test_names_from_files_cannot_add_markup_to_charts(app, demo_db):
    """A funder or scheme name from a file is drawn as text: Plotly's HTML subset would
    otherwise turn it into a link or a styled span, on screen and in exported images."""
    import json

    import duckdb

    con = duckdb.connect(str(demo_db))
    con.execute(
        "INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur, "
        "scheme, is_demo, load_id) VALUES ('2021-01-01', '<a href=\"https://exemple.org\">Mécène</a>', "
        "'emmaus-connect-2020', '93048', NULL, 9000000, "
        "'<span style=\"font-size:90px\">Dispositif</span>', false, 99)"
    )
    con.close()
    at = app.run()
    at.switch_page("views/funding.py").run()
    assert not at.exception
    drawn = json.dumps(
        [json.loads(c.proto.spec) for c in at.get("plotly_chart")], ensure_ascii=False
    )
    assert "Mécène" in drawn and "Dispositif" in drawn
    assert "<a href" not in drawn and "<span" not in drawn
    assert "&lt;a href" in drawn and "&lt;span" in drawn
