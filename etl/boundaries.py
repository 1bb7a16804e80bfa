"""Official commune boundaries: downloaded from the official source or imported from a file
the user supplies, checked, reprojected to WGS84, simplified and stored in the warehouse.

``python -m etl boundaries`` downloads the current contours (IGN ADMIN EXPRESS, served by
geo.api.gouv.fr); ``python -m etl boundaries --from FILE`` imports a GeoJSON, GeoPackage,
Shapefile or zip. Either way the file must hold every current commune of the 93 (former
codes such as 93059 Pierrefitte-sur-Seine are merged into their current commune), with
valid polygons in a known projection. EPT outlines are dissolved from their communes.
A load is one transaction recorded in ``loads`` (kind ``boundaries``); loading the same
content again changes nothing.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from core.store import Location, check_keys, migrate, transaction, writer
from etl.errors import EtlError, FileRefused
from etl.ledger import LoadRecord, find_active, record, sha256_of

OFFICIAL_URL = "https://geo.api.gouv.fr/communes?codeDepartement=93&format=geojson&geometry=contour"
OFFICIAL_LABEL = "IGN ADMIN EXPRESS (geo.api.gouv.fr)"
DEPARTEMENT = "93"
SUPPORTED = (".geojson", ".json", ".gpkg", ".shp", ".zip")
# Columns that may carry the INSEE code, compared in lower case.
CODE_COLUMNS = (
    "code",
    "code_insee",
    "insee_com",
    "codgeo",
    "insee",
    "code_commune",
    "codecommune",
    "code_com",
    "com",
    "depcom",
    "codeinsee",
    "inseecom",
)
INSEE_CODE = re.compile(r"^\d[\dAB]\d{3}$")
LAMBERT_93 = "EPSG:2154"
WGS84 = "EPSG:4326"
# Every commune of the 93 lies inside this box (lon/lat, with a margin of about 2 km).
BBOX_93 = (2.25, 48.78, 2.64, 49.04)
DEFAULT_TOLERANCE_M = 12.0
DOWNLOAD_TIMEOUT_S = 30.0
# Part of the content key: a change in processing reloads the same file.
PROCESSING_VERSION = "v1"


class DownloadFailed(EtlError):
    """The official source could not be reached."""


@dataclass
class BoundaryReport:
    load_id: int | None  # None: the same contours were already loaded
    source: str
    communes: int = 0
    epts: int = 0
    former_codes: dict[str, str] = field(default_factory=dict)  # former code → current code
    repaired: list[str] = field(default_factory=list)  # codes whose geometry was repaired
    reprojected_from: str | None = None


# Reading ---------------------------------------------------------------------------------


def _dataset_path(path: Path) -> str:
    """The path GDAL opens: for a zip, the one boundary file inside it."""
    if not path.exists():
        raise FileRefused(f"Fichier introuvable : {path}.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise FileRefused(
            f"Format non pris en charge pour {path.name} : fournissez un GeoJSON, un "
            "GeoPackage (.gpkg), un Shapefile (.shp avec ses fichiers .dbf, .shx, .prj) ou un "
            "zip qui en contient un."
        )
    if suffix != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                name
                for name in archive.namelist()
                if Path(name).suffix.lower() in SUPPORTED[:-1] and not name.startswith("__MACOSX")
            ]
    except zipfile.BadZipFile as exc:
        raise FileRefused(f"Le fichier {path.name} n'est pas une archive zip lisible.") from exc
    if not members:
        raise FileRefused(
            f"L'archive {path.name} ne contient ni GeoJSON, ni GeoPackage, ni Shapefile."
        )
    return f"/vsizip/{path}/{_pick(members, key=lambda m: Path(m).stem)}"


def _pick(names: list[str], key=lambda n: n) -> str:
    """The commune layer among several (ADMIN EXPRESS ships COMMUNE and
    COMMUNE_ASSOCIEE_OU_DELEGUEE side by side): exactly « commune(s) » first, then a name
    containing « commune » but no « deleguee »/« associee », then the first one."""
    lowered = {n: key(n).lower() for n in names}
    for test in (
        lambda s: s in ("commune", "communes"),
        lambda s: "commune" in s and "delegu" not in s and "associ" not in s,
    ):
        found = [n for n in names if test(lowered[n])]
        if found:
            return sorted(found)[0]
    return names[0]


def read_file(path: Path) -> tuple[list[str], list[shapely.Geometry], str | None]:
    """Codes (as written in the file), geometries and declared CRS of the commune layer."""
    dataset = _dataset_path(path)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(dataset)]
        layer = _pick(layers) if len(layers) > 1 else None
        meta, _, wkb, values = pyogrio.raw.read(dataset, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise FileRefused(
            f"Le fichier {path.name} n'a pas pu être lu comme fichier géographique ({exc})."
        ) from exc
    if wkb is None or len(wkb) == 0:
        raise FileRefused(f"Le fichier {path.name} ne contient aucun contour.")
    fields = [str(f) for f in meta["fields"]]
    codes = _code_column(fields, values, path.name)
    geometries = list(shapely.from_wkb(wkb))
    return codes, geometries, meta.get("crs")


def _code_column(fields: list[str], values: list, file_name: str) -> list[str]:
    """The column holding INSEE codes: a known name first, otherwise the column whose values
    look like INSEE codes of the 93."""

    def as_codes(column) -> list[str]:
        return [_as_code(v) for v in column]

    by_name = {f.lower(): i for i, f in enumerate(fields)}
    for name in CODE_COLUMNS:
        if name in by_name:
            codes = as_codes(values[by_name[name]])
            if any(c.startswith(DEPARTEMENT) and INSEE_CODE.match(c) for c in codes):
                return codes
    for column in values:
        codes = as_codes(column)
        if sum(bool(INSEE_CODE.match(c)) and c.startswith(DEPARTEMENT) for c in codes) >= 10:
            return codes
    raise FileRefused(
        f"Aucune colonne de codes INSEE des communes de la Seine-Saint-Denis (93…) dans "
        f"{file_name} ; colonnes trouvées : {', '.join(fields) or 'aucune'}. Renommez la "
        "colonne des codes en « code_insee »."
    )


def _as_code(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):05d}"
    return str(value).strip()


# Checking and shaping --------------------------------------------------------------------


def _to_wgs84(
    geometries: list[shapely.Geometry], crs: str | None, file_name: str
) -> tuple[list[shapely.Geometry], str | None]:
    """Reproject to WGS84 when the file declares another CRS; refuse what cannot be placed."""
    reprojected = None
    if crs:
        try:
            source = CRS.from_user_input(crs)
        except CRSError as exc:
            raise FileRefused(f"Projection illisible dans {file_name} : {crs}.") from exc
        if not source.equals(CRS.from_user_input(WGS84), ignore_axis_order=True):
            transformer = Transformer.from_crs(source, WGS84, always_xy=True)
            geometries = [
                shapely.transform(g, lambda xy: np.column_stack(transformer.transform(*xy.T)))
                for g in geometries
            ]
            reprojected = source.to_string()
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
    lon_min, lat_min, lon_max, lat_max = BBOX_93
    if not (xmin >= lon_min and xmax <= lon_max and ymin >= lat_min and ymax <= lat_max):
        declared = f"la projection déclarée ({crs})" if crs else "aucune projection déclarée"
        raise FileRefused(
            f"Les contours de {file_name} ne tombent pas sur la Seine-Saint-Denis en "
            f"longitude/latitude WGS84 (emprise {xmin:.4g} ; {ymin:.4g} – {xmax:.4g} ; "
            f"{ymax:.4g}) avec {declared}. Le fichier est sans doute dans une autre projection "
            "(par exemple Lambert-93) sans la déclarer : exportez-le en GeoJSON WGS84 ou "
            "fournissez le fichier .prj du Shapefile."
        )
    return geometries, reprojected


def check_and_merge(
    codes: list[str],
    geometries: list[shapely.Geometry],
    communes: dict[str, str],
    code_map: dict[str, str],
    *,
    repair: bool = False,
) -> tuple[dict[str, shapely.Geometry], dict[str, str], list[str]]:
    """Keep the 93, map former codes, check the geometries, merge by current code.

    communes: current code → name; code_map: any known code → current code.
    Returns (current code → geometry, former code → current code, repaired codes).
    """
    kept = [(c, g) for c, g in zip(codes, geometries, strict=True) if c.startswith(DEPARTEMENT)]
    if not kept:
        raise FileRefused("Le fichier ne contient aucune commune de la Seine-Saint-Denis (93…).")
    unknown = sorted({c for c, _ in kept if c not in code_map})
    if unknown:
        raise FileRefused(
            "Codes de commune inconnus dans le fichier : " + ", ".join(unknown) + ". Les "
            "contours doivent suivre le code officiel géographique (COG) de l'INSEE."
        )
    not_polygons = sorted({c for c, g in kept if g is None or shapely.get_type_id(g) not in (3, 6)})
    if not_polygons:
        raise FileRefused(
            "Ces communes n'ont pas un contour (polygone) : " + ", ".join(not_polygons) + "."
        )
    invalid = [(c, g) for c, g in kept if not shapely.is_valid(g)]
    repaired: list[str] = []
    if invalid and not repair:
        details = "; ".join(
            f"{communes.get(code_map[c], c)} ({c}) : {shapely.is_valid_reason(g)}"
            for c, g in invalid[:5]
        )
        raise FileRefused(
            f"Géométries invalides ({details}). Corrigez le fichier dans un SIG ou relancez "
            "avec --reparer pour les réparer automatiquement."
        )
    if invalid:
        fixed = {id(g): _polygonal(shapely.make_valid(g)) for _, g in invalid}
        kept = [(c, fixed.get(id(g), g)) for c, g in kept]
        repaired = sorted(c for c, _ in invalid)
    former = {c: code_map[c] for c, _ in kept if code_map[c] != c}
    merged: dict[str, list[shapely.Geometry]] = {}
    for c, g in kept:
        merged.setdefault(code_map[c], []).append(g)
    missing = sorted(set(communes) - set(merged))
    if missing:
        names = ", ".join(f"{communes[c]} ({c})" for c in missing)
        raise FileRefused(
            f"Il manque {len(missing)} commune(s) sur {len(communes)} : {names}. Le fichier doit "
            "couvrir toute la Seine-Saint-Denis."
        )
    geometries_by_code = {
        code: parts[0] if len(parts) == 1 else _polygonal(shapely.union_all(parts))
        for code, parts in merged.items()
    }
    return geometries_by_code, former, repaired


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the polygons of a geometry (make_valid may add lines or points)."""
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def simplify(
    communes: dict[str, shapely.Geometry],
    ept_of: dict[str, str],
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> tuple[dict[str, shapely.Geometry], dict[str, shapely.Geometry]]:
    """Simplify in Lambert-93 (metres) keeping shared borders shared, dissolve EPTs,
    and return both in WGS84 with coordinates rounded to 6 decimals (≈ 10 cm)."""
    to_l93 = Transformer.from_crs(WGS84, LAMBERT_93, always_xy=True)
    to_wgs = Transformer.from_crs(LAMBERT_93, WGS84, always_xy=True)
    codes = sorted(communes)
    metric = np.array(
        [
            shapely.transform(communes[c], lambda xy: np.column_stack(to_l93.transform(*xy.T)))
            for c in codes
        ]
    )
    if tolerance_m > 0:
        if shapely.coverage_is_valid(metric, gap_width=0):
            metric = shapely.coverage_simplify(metric, tolerance_m)
        else:  # overlapping sources: simplify each shape on its own
            metric = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    by_ept: dict[str, list[shapely.Geometry]] = {}
    for code, geometry in zip(codes, metric, strict=True):
        by_ept.setdefault(ept_of[code], []).append(geometry)
    epts = {
        ept: _polygonal(shapely.union_all(parts, grid_size=0.01)) for ept, parts in by_ept.items()
    }

    def finish(geometry: shapely.Geometry) -> shapely.Geometry:
        back = shapely.transform(
            geometry, lambda xy: np.round(np.column_stack(to_wgs.transform(*xy.T)), 6)
        )
        if not shapely.is_valid(back):
            back = _polygonal(shapely.make_valid(back))
        return shapely.orient_polygons(back, exterior_cw=True)

    return (
        {c: finish(g) for c, g in zip(codes, metric, strict=True)},
        {e: finish(g) for e, g in epts.items()},
    )


# Loading ---------------------------------------------------------------------------------


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    source: str | None = None,
    repair: bool = False,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> BoundaryReport:
    """Check, shape and store the boundaries of PATH, in one transaction."""
    label = source or f"Fichier {path.name}"
    digest = sha256_of(_content(path) + f"|{PROCESSING_VERSION}|{repair}|{tolerance_m}".encode())
    if find_active(con, "boundaries", digest) is not None:
        return BoundaryReport(load_id=None, source=label)
    communes = dict(con.execute("SELECT code, name FROM communes").fetchall())
    if not communes:
        raise EtlError("Le référentiel des communes est vide : lancez « python -m etl init ».")
    code_map = dict(con.execute("SELECT code, current_code FROM commune_codes").fetchall())
    ept_of = dict(con.execute("SELECT code, ept_code FROM communes").fetchall())

    codes, geometries, crs = read_file(path)
    valid_input = [g is not None and not shapely.is_empty(g) for g in geometries]
    if not all(valid_input):
        empty = sorted({c for c, ok in zip(codes, valid_input, strict=True) if not ok})
        raise FileRefused("Contours vides pour : " + ", ".join(empty) + ".")
    geometries, reprojected = _to_wgs84(geometries, crs, path.name)
    merged, former, repaired = check_and_merge(codes, geometries, communes, code_map, repair=repair)
    commune_shapes, ept_shapes = simplify(merged, ept_of, tolerance_m)

    report = BoundaryReport(
        load_id=None,
        source=label,
        communes=len(commune_shapes),
        epts=len(ept_shapes),
        former_codes=former,
        repaired=repaired,
        reprojected_from=reprojected,
    )
    with transaction(con):
        con.execute(
            "UPDATE loads SET replaced_at = now() WHERE kind = 'boundaries' AND replaced_at IS NULL"
        )
        con.execute("DELETE FROM boundaries")
        rows = len(commune_shapes) + len(ept_shapes)
        load_id = record(
            con,
            LoadRecord(
                kind="boundaries",
                file_name=path.name,
                source_label=label,
                sha256=digest,
                rows_read=len(codes),
                rows_loaded=rows,
            ),
        )
        con.executemany(
            "INSERT INTO boundaries VALUES (?, ?, ?, ?, ?)",
            [
                (c, "commune", shapely.to_geojson(g), label, load_id)
                for c, g in commune_shapes.items()
            ]
            + [(e, "ept", shapely.to_geojson(g), label, load_id) for e, g in ept_shapes.items()],
        )
        check_keys(con, ("boundaries", "loads"))
    report.load_id = load_id
    return report


def _content(path: Path) -> bytes:
    """The bytes that define the file (a Shapefile with its sidecar files)."""
    if not path.exists():
        raise FileRefused(f"Fichier introuvable : {path}.")
    if path.suffix.lower() != ".shp":
        return path.read_bytes()
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(f"{path.stem}.*")))


def download(url: str = OFFICIAL_URL, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """The official contours, or a French error telling the user to import a file instead."""
    request = urllib.request.Request(url, headers={"User-Agent": "observatoire-93"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadFailed(
            f"Téléchargement des contours officiels impossible depuis {url} ({reason}). "
            "Cette machine n'a sans doute pas accès à internet : téléchargez les contours des "
            "communes de la Seine-Saint-Denis depuis un poste connecté (IGN ADMIN EXPRESS ou "
            f"{OFFICIAL_URL}) puis importez le fichier avec « python -m etl boundaries "
            "--from FICHIER »."
        ) from exc


def load_download(
    con: duckdb.DuckDBPyConnection, url: str = OFFICIAL_URL, **options
) -> BoundaryReport:
    data = download(url)
    suffix = ".zip" if data[:2] == b"PK" else ".geojson"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"contours-communes-93{suffix}"
        path.write_bytes(data)
        label = f"{OFFICIAL_LABEL if url == OFFICIAL_URL else url}, téléchargé le " + (
            date.today().strftime("%d/%m/%Y")
        )
        return load_file(con, path, source=label, **options)


# Command line ----------------------------------------------------------------------------


def cmd_boundaries(args: argparse.Namespace, db: Location) -> int:
    from core.settings import get_settings

    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez d'abord « python -m etl init ».")
    options = {"repair": args.reparer, "tolerance_m": args.tolerance}
    with writer(db, get_settings().lock_timeout_s) as con:
        migrate(con)  # a warehouse built before the boundaries table
        if args.from_file:
            report = load_file(con, args.from_file, **options)
        else:
            report = load_download(con, args.url, **options)
    if report.load_id is None:
        print(f"Contours déjà chargés ({report.source}) : rien à faire.")
        return 0
    print(
        f"Contours chargés : {report.communes} communes et {report.epts} EPT "
        f"(source : {report.source})."
    )
    if report.reprojected_from:
        print(f"Reprojetés de {report.reprojected_from} en WGS84.")
    for former, current in sorted(report.former_codes.items()):
        print(f"Ancien code {former} rattaché à la commune actuelle {current}.")
    if report.repaired:
        print("Géométries réparées : " + ", ".join(report.repaired) + ".")
    return 0


def register(sub, db_arg, db_of) -> None:
    """Add `boundaries` to `python -m etl` (called by etl/cli.py)."""
    parser = sub.add_parser(
        "boundaries",
        help="charge les contours officiels des communes (téléchargement ou fichier)",
        description="Télécharge les contours actuels des communes de la Seine-Saint-Denis "
        "depuis la source officielle (IGN ADMIN EXPRESS via geo.api.gouv.fr) ou, avec --from, "
        "importe un fichier GeoJSON, GeoPackage, Shapefile ou zip. Vérifie que les 39 "
        "communes actuelles sont présentes (les anciens codes, comme 93059 Pierrefitte-sur-"
        "Seine, sont rattachés à leur commune actuelle) et que les géométries sont valides, "
        "reprojette en WGS84, simplifie, et en déduit les contours des 4 EPT. Sans contours, "
        "la carte du tableau de bord est schématique.",
    )
    db_arg(parser)
    parser.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        default=None,
        metavar="FICHIER",
        help="importe ce fichier (GeoJSON, GeoPackage, Shapefile ou zip) au lieu de télécharger",
    )
    parser.add_argument(
        "--url",
        default=OFFICIAL_URL,
        help="adresse de téléchargement des contours (défaut : geo.api.gouv.fr)",
    )
    parser.add_argument(
        "--reparer",
        action="store_true",
        help="répare les géométries invalides au lieu de refuser le fichier",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE_M,
        metavar="METRES",
        help=f"tolérance de simplification en mètres (défaut : {DEFAULT_TOLERANCE_M:g} ; 0 "
        "pour garder le tracé d'origine)",
    )
    parser.set_defaults(func=lambda args: cmd_boundaries(args, db_of(args)))
