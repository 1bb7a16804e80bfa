"""`python -m etl boundaries`: import of official contours, checks, reprojection, download."""

from __future__ import annotations

import copy
import http.server
import json
import socket
import threading
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from core import store
from etl import boundaries
from etl.cli import build_parser, main
from etl.errors import FileRefused
from tests.conftest import SHARED_REFERENCE, drop_contours

CURRENT = SHARED_REFERENCE / "communes-93.geojson"
BEFORE_2025 = SHARED_REFERENCE / "communes-93-2024.geojson"


@pytest.fixture
def empty_db(empty_db):
    """No contours yet (init loads the committed ones): these tests load their own."""
    return drop_contours(empty_db)


def _features(path: Path = CURRENT) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, collection: dict, name: str = "contours.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def _load(db: Path, path: Path, **options) -> boundaries.BoundaryReport:
    con = duckdb.connect(str(db))
    try:
        store.migrate(con)
        return boundaries.load_file(con, path, **options)
    finally:
        con.close()


def _stored(db: Path) -> dict[tuple[str, str], shapely.Geometry]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT level, code, geojson FROM boundaries").fetchall()
    con.close()
    return {(level, code): shapely.from_geojson(text) for level, code, text in rows}


def test_good_file_loads_communes_and_dissolved_epts(empty_db):
    report = _load(empty_db, CURRENT)
    assert report.load_id is not None and (report.communes, report.epts) == (39, 4)
    assert report.former_codes == {} and report.reprojected_from is None
    stored = _stored(empty_db)
    communes = {c: g for (level, c), g in stored.items() if level == "commune"}
    epts = {c: g for (level, c), g in stored.items() if level == "ept"}
    assert len(communes) == 39 and len(epts) == 4
    assert all(shapely.is_valid(g) for g in stored.values())
    # The EPT outline covers its communes: Est Ensemble holds Montreuil's centre.
    assert epts["200057875"].contains(communes["93048"].point_on_surface())
    assert not epts["200057867"].contains(communes["93048"].point_on_surface())
    # WGS84 and simplified: inside the 93, fewer vertices, area kept within 1 %.
    xmin, ymin, xmax, ymax = shapely.total_bounds(list(communes.values()))
    assert 2.28 < xmin < xmax < 2.61 and 48.80 < ymin < ymax < 49.02
    original = {
        f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
        for f in _features()["features"]
    }
    assert abs(communes["93048"].area / original["93048"].area - 1) < 0.01
    con = duckdb.connect(str(empty_db), read_only=True)
    ledger = con.execute(
        "SELECT kind, rows_loaded, replaced_at FROM loads WHERE kind = 'boundaries'"
    ).fetchall()
    con.close()
    assert ledger == [("boundaries", 43, None)]


def test_same_file_again_changes_nothing_and_a_new_file_replaces(empty_db):
    first = _load(empty_db, CURRENT)
    assert _load(empty_db, CURRENT).load_id is None
    second = _load(empty_db, BEFORE_2025)
    assert second.load_id != first.load_id
    con = duckdb.connect(str(empty_db), read_only=True)
    live = con.execute(
        "SELECT load_id FROM loads WHERE kind = 'boundaries' AND replaced_at IS NULL"
    ).fetchall()
    loads_in_table = con.execute("SELECT DISTINCT load_id FROM boundaries").fetchall()
    con.close()
    assert live == loads_in_table == [(second.load_id,)]


def test_former_code_is_merged_into_the_current_commune(empty_db):
    report = _load(empty_db, BEFORE_2025, tolerance_m=0)
    assert report.former_codes == {"93059": "93066"}
    assert report.communes == 39
    old = {
        f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
        for f in _features(BEFORE_2025)["features"]
    }
    merged = _stored(empty_db)[("commune", "93066")]
    expected = shapely.union_all([old["93059"], old["93066"]])
    assert abs(merged.area / expected.area - 1) < 1e-3
    assert merged.contains(old["93059"].point_on_surface())


def test_missing_commune_is_refused_with_its_name(empty_db, tmp_path):
    collection = _features()
    collection["features"] = [
        f for f in collection["features"] if f["properties"]["code"] != "93048"
    ]
    with pytest.raises(FileRefused, match=r"Il manque 1 commune.*Montreuil \(93048\)"):
        _load(empty_db, _write(tmp_path, collection))
    assert _stored(empty_db) == {}


def _bowtie(collection: dict, code: str) -> dict:
    """Replace a commune's outline by a self-intersecting ring over its own box."""
    broken = copy.deepcopy(collection)
    for feature in broken["features"]:
        if feature["properties"]["code"] == code:
            x0, y0, x1, y1 = shapely.geometry.shape(feature["geometry"]).bounds
            feature["geometry"] = {
                "type": "Polygon",
                "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]],
            }
    return broken


def test_invalid_geometry_is_refused_unless_repair_is_asked(empty_db, tmp_path):
    path = _write(tmp_path, _bowtie(_features(), "93008"))
    with pytest.raises(FileRefused, match=r"Géométries invalides.*Bobigny \(93008\).*--reparer"):
        _load(empty_db, path)
    report = _load(empty_db, path, repair=True)
    assert report.repaired == ["93008"]
    assert shapely.is_valid(_stored(empty_db)[("commune", "93008")])


def test_lambert93_without_declared_projection_is_refused(empty_db, tmp_path):
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    collection = _features()
    for feature in collection["features"]:
        geometry = shapely.geometry.shape(feature["geometry"])
        moved = shapely.transform(geometry, lambda xy: np.column_stack(to_l93.transform(*xy.T)))
        feature["geometry"] = json.loads(shapely.to_geojson(moved))
    with pytest.raises(FileRefused, match="ne tombent pas sur la Seine-Saint-Denis"):
        _load(empty_db, _write(tmp_path, collection))


def _write_layer(
    path: Path, driver: str, crs: str, layer: str | None = None, keep: int | None = None
) -> None:
    """The reference communes (the first KEEP ones) written with pyogrio in another format
    and projection."""
    collection = _features()
    collection["features"] = collection["features"][:keep]
    geometries = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
    if crs != "EPSG:4326":
        transformer = Transformer.from_crs(4326, crs, always_xy=True)
        geometries = [
            shapely.transform(g, lambda xy: np.column_stack(transformer.transform(*xy.T)))
            for g in geometries
        ]
    codes = np.array([f["properties"]["code"] for f in collection["features"]], dtype=object)
    names = np.array([f["properties"]["nom"] for f in collection["features"]], dtype=object)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(geometries, dtype=object)),
        [codes, names],
        ["INSEE_COM", "NOM"],
        driver=driver,
        geometry_type="MultiPolygon",
        crs=crs,
        layer=layer,
        promote_to_multi=True,
    )


def test_geopackage_in_lambert93_is_reprojected(empty_db, tmp_path):
    path = tmp_path / "communes.gpkg"
    _write_layer(path, "GPKG", "EPSG:2154", layer="commune")
    report = _load(empty_db, path)
    assert report.reprojected_from == "EPSG:2154"
    montreuil = _stored(empty_db)[("commune", "93048")].centroid
    assert montreuil.x == pytest.approx(2.4483, abs=0.002)
    assert montreuil.y == pytest.approx(48.8634, abs=0.002)


def test_zipped_shapefile_picks_the_commune_layer(empty_db, tmp_path):
    folder = tmp_path / "ADMIN-EXPRESS"
    folder.mkdir()
    _write_layer(folder / "COMMUNE.shp", "ESRI Shapefile", "EPSG:2154")
    # A layer of the same archive that must not be picked (it lacks most communes).
    _write_layer(folder / "COMMUNE_ASSOCIEE_OU_DELEGUEE.shp", "ESRI Shapefile", "EPSG:2154", keep=2)
    archive = tmp_path / "admin-express.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in sorted(folder.iterdir(), reverse=True):
            z.write(part, f"ADMIN-EXPRESS/1_DONNEES/{part.name}")
    report = _load(empty_db, archive)
    assert report.communes == 39 and report.reprojected_from == "EPSG:2154"


def test_other_departements_are_ignored(empty_db, tmp_path):
    collection = _features()
    paris = copy.deepcopy(collection["features"][0])
    paris["properties"]["code"] = "75056"
    collection["features"].append(paris)
    assert _load(empty_db, _write(tmp_path, collection)).communes == 39


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("contours.csv", "code\n93048\n", "Format non pris en charge"),
        ("contours.geojson", "{pas du json", "n'a pas pu être lu"),
        ("contours.zip", "pas un zip", "archive zip lisible"),
    ],
)
def test_unreadable_files_are_refused(empty_db, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileRefused, match=message):
        _load(empty_db, path)


def test_file_without_code_column_is_refused(empty_db, tmp_path):
    collection = _features()
    for feature in collection["features"]:
        feature["properties"] = {"nom": feature["properties"]["nom"]}
    with pytest.raises(FileRefused, match="Aucune colonne de codes INSEE"):
        _load(empty_db, _write(tmp_path, collection))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_download_failure_says_to_use_from_file(empty_db, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/communes"
    code = main(["boundaries", "--db", str(empty_db), "--url", url])
    err = capsys.readouterr().err
    assert code == 1
    assert "Téléchargement des contours officiels impossible" in err
    assert "python -m etl boundaries --from FICHIER" in err
    assert "Traceback" not in err


def test_download_from_a_local_server(empty_db, capsys):
    payload = CURRENT.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/communes"
        code = main(["boundaries", "--db", str(empty_db), "--url", url])
    finally:
        server.shutdown()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Contours chargés : 39 communes et 4 EPT" in out
    con = duckdb.connect(str(empty_db), read_only=True)
    sources = con.execute("SELECT DISTINCT source FROM boundaries").fetchall()
    con.close()
    assert sources[0][0].startswith(url) and "téléchargé le" in sources[0][0]


def test_cli_reports_former_codes_and_refusals(empty_db, tmp_path, capsys):
    assert main(["boundaries", "--db", str(empty_db), "--from", str(BEFORE_2025)]) == 0
    assert "Ancien code 93059 rattaché à la commune actuelle 93066" in capsys.readouterr().out
    missing = tmp_path / "absent.geojson"
    assert main(["boundaries", "--db", str(empty_db), "--from", str(missing)]) == 1
    assert "Fichier introuvable" in capsys.readouterr().err


def test_boundaries_command_is_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "boundaries" in sub.choices
    for action in sub.choices["boundaries"]._actions:
        assert action.help, action.dest
