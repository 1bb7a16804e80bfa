"""Shared machinery of the need-side loads: reading the rows of a file, French numbers and
dates, commune resolution, and the load itself (ledger, --replace, one transaction).

Each kind (indicators.py, places.py, conseillers.py) declares the header names it knows
(for the header-row search of etl/readers.py), recognises its layout from the header
(layouts.py), and parses the rows into a :class:`Parsed`: the rows to insert, the rejected
rows with their reasons, the rows skipped (not errors) and the messages. This module writes
a Parsed in one transaction, with the guarantees of etl/load/'s load_file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from core.store import connect
from etl import readers, scrub
from etl.errors import EtlError, FileRefused
from etl.ledger import LoadRecord, find_active, previous_loads_of_source, record, update_counts
from etl.schemas import header_key

# What a kind must repair once a --replace has retired its previous loads, registered by the
# kind's module (etl/need/indicators.py: the catalogue) so that this module imports none of
# them (no import cycle).
AFTER_REPLACE: dict[str, Callable[[duckdb.DuckDBPyConnection], None]] = {}

# INSEE and other producers mark a value they may not publish (statistical secrecy, not
# available, not significant, not concerned): never a number.
SECRET_MARKERS = {"s", "nd", "ns", "nc", "so", "-", "–", "n.d.", "secret"}
_SPACES = " \t\r\n\u00a0\u202f\u2009\u2007\ufeff"
MAX_LISTED_ROWS = 10


def clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip(_SPACES)
    return text or None


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Table:
    """The file's header (as written and normalised) and its non-blank data rows, each with
    the row number the user sees in the spreadsheet."""

    raw: readers.RawTable
    headers: list[str]
    keys: list[str]
    rows: list[tuple[int, list[str | None]]]

    def index(self, *keys: str) -> int | None:
        """Column index of the first of ``keys`` present in the header."""
        for key in keys:
            if key in self.keys:
                return self.keys.index(key)
        return None


def _sheet_names(data: bytes) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_table(
    source: readers.Source, file_name: str, synonyms: dict[str, str], sheet: str | None
) -> Table:
    """Read the whole file (need-side files are small: a national file of 35 000 communes is
    a few megabytes). Format, encoding, separator and header row come from etl/readers.py;
    an XLSX workbook whose first sheet is a metadata sheet is searched sheet by sheet."""
    try:
        raw = readers.read_table(source, file_name, synonyms, sheet)
    except FileRefused:
        if sheet is not None or source.head(4) != b"PK\x03\x04":
            raise
        raw = None
        data = source.read_all()
        with contextlib.suppress(Exception):
            for name in _sheet_names(data)[1:]:
                try:
                    raw = readers.read_table(source, file_name, synonyms, name)
                    break
                except FileRefused:
                    continue
        if raw is None:
            raise
    headers = raw.headers
    width = len(headers)
    rows: list[tuple[int, list[str | None]]] = []
    if raw.format == "XLSX":
        table = raw.arrow
        assert table is not None
        columns = [table.column(f"c{i}").to_pylist() for i in range(width)]
        numbers = table.column("_row").to_pylist()
        for j, number in enumerate(numbers):
            rows.append((number, [columns[i][j] for i in range(width)]))
    else:
        # etl/readers.py's encoding detection (private there; the integrator may make it
        # public): UTF-8, else Windows-1252, else Latin-1; UTF-16 with its BOM.
        codec, encoding, old_mac = readers._encoding(source, file_name)
        text = source.read_all().decode(codec)
        if text.startswith("\ufeff"):
            text = text[1:]
        if old_mac:
            text = text.replace("\r", "\n")
        raw.encoding = encoding
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=raw.separator or ";")
        for _cells in reader:
            if reader.line_num >= raw.skip_lines:
                break
        number = raw.header_row
        for cells in reader:
            number += 1
            rows.append((number, list(cells[:width]) + [None] * (width - len(cells))))
    kept = [(n, cells) for n, cells in rows if any(clean(c) for c in cells)]
    return Table(raw=raw, headers=headers, keys=[header_key(h) for h in headers], rows=kept)


# --- values ------------------------------------------------------------------------------------

OK, SECRET, BAD, EMPTY = "ok", "secret", "bad", "empty"


def parse_number(value: object) -> tuple[str, float | None]:
    """(status, number): French or plain notation (« 12,5 », « 1 234,5 », « 1.234,5 »,
    « 12.5 », « 12,5 % »); secret markers (s, nd, ns, nc, so, -) are never numbers."""
    text = clean(value)
    if text is None:
        return EMPTY, None
    if text.lower() in SECRET_MARKERS:
        return SECRET, None
    t = re.sub(f"[{_SPACES}]", "", text)
    t = re.sub(r"(%|€|eur|euros)$", "", t, flags=re.IGNORECASE)
    if re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+,\d+", t):
        t = t.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+\.\d+", t):
        t = t.replace(",", "")
    elif "," in t and "." not in t:
        t = t.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", t):
        return BAD, None
    return OK, float(t)


def parse_date(value: object) -> date | None:
    """ISO (2022-06-21, with or without a time), dd/mm/yyyy, or an Excel serial date."""
    text = clean(value)
    if text is None:
        return None
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        with contextlib.suppress(ValueError):
            return date(int(m[1]), int(m[2]), int(m[3]))
        return None
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if m:
        with contextlib.suppress(ValueError):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return None
    if re.fullmatch(r"\d{5}([.,]0+)?", text):
        return date(1899, 12, 30) + timedelta(days=int(text[:5]))
    return None


def year_in(value: object) -> int | None:
    text = clean(value)
    m = re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", text or "")
    return int(m[1]) if m else None


def split_list(value: object, pattern: str = r"\|") -> list[str]:
    text = clean(value)
    if text is None:
        return []
    items = [clean(part) for part in re.split(pattern, text)]
    return list(dict.fromkeys(i for i in items if i))


def code_of(value: object) -> str | None:
    """A commune code as written, « 1001 » (leading zero lost in a spreadsheet) → « 01001 »."""
    text = clean(value)
    if text is None:
        return None
    text = re.sub(r"\.0+$", "", text.replace(" ", ""))
    if re.fullmatch(r"\d{4}", text):
        return "0" + text
    return text.upper()


def rows_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED_ROWS])
    more = len(numbers) - MAX_LISTED_ROWS
    return shown + (f"… (et {more} autres)" if more > 0 else "")


def french_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


# --- communes ---------------------------------------------------------------------------------


def resolve_communes(
    con: duckdb.DuckDBPyConnection, values: list[str | None]
) -> dict[str, tuple[str | None, str | None]]:
    """value → (current code, None) or (None, French reason), for INSEE codes (current or
    former), postal codes and names of the 93's communes: the resolution of
    etl/load/resolve.py, called, not copied."""
    from etl.load.macros import create_macros
    from etl.load.resolve import reference_keys, resolve_commune

    distinct = sorted({v for v in values if clean(v)})
    temps = ["stg2", "r_commune", "d_commune", "k_commune", "k_postal", "k_ept", "k_programme"]
    temps += ["k_item", "k_indicator", "k_scope", "k_funder_type"]
    for name in temps:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    if not distinct:
        return {}
    create_macros(con)
    reference_keys(con)
    con.execute("CREATE TEMP TABLE stg2 AS SELECT unnest($v::VARCHAR[]) AS f", {"v": distinct})
    resolve_commune(con, "s.f")
    found = {
        raw: (code, err)
        for raw, code, err in con.execute("SELECT raw, code, err FROM r_commune").fetchall()
    }
    for name in temps:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return found


def populations_2024() -> dict[str, int]:
    """Population municipale 2022 of the 40 communes of the 2024 geography (weights of the
    former communes when their values are combined into the current one)."""
    from etl.reference import FILES

    with open(FILES["communes-2024"], encoding="utf-8") as handle:
        return {
            r["code_insee_2024"]: int(r["population_municipale"]) for r in csv.DictReader(handle)
        }


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Parsed:
    rows_read: int = 0
    tables: dict[str, list[dict]] = field(default_factory=dict)  # table → rows to insert
    rejects: list[tuple[int, str | None, str | None, str]] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)  # row numbers with no stored value
    skipped: int = 0
    loaded: int = 0
    messages: list[str] = field(default_factory=list)
    catalogue: list[dict] = field(default_factory=list)  # indicators only

    def reject(self, row: int, column: str | None, value: object, reason: str) -> None:
        text = scrub.reject_value(None if value is None else str(value)[:200])
        self.rejects.append((row, column, text, reason))
        self.rejected.add(row)


@dataclass
class Context:
    """What the user said besides the file, and where the parser may resolve communes."""

    con: duckdb.DuckDBPyConnection
    file_name: str
    source_label: str
    explicit_source: str | None  # --source as given (None: the file's name is the label)
    year: int | None  # --annee
    reference: bool = False  # a shipped reference file loaded by init


# Tables each kind fills (--replace removes the rows of the earlier loads from all of them).
TABLES = {
    "indicateurs": ("indicator_values", "indicators"),
    "lieux": ("lieux",),
    "conseillers": ("conseillers", "funding"),
}
LIST_COLUMNS = {"services", "programmes", "typologie"}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    arrays = {}
    for c in columns:
        values = [r[c] for r in rows]
        if c in LIST_COLUMNS:
            arrays[c] = pa.array(values, type=pa.list_(pa.string()))
        elif all(v is None for v in values):
            arrays[c] = pa.array(values, type=pa.string())
        else:
            arrays[c] = pa.array(values)
    con.register("need_rows", pa.table(arrays))
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        verb = "INSERT OR REPLACE" if table == "indicators" else "INSERT"
        con.execute(f"{verb} INTO {table} ({names}) SELECT {names} FROM need_rows")
    finally:
        con.unregister("need_rows")


def write(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    parsed: Parsed,
    meta: LoadRecord,
    previous: list[int],
) -> int:
    """Inside the caller's transaction: retire ``previous`` loads, record this one, insert its
    rows and its rejects. Returns the load id."""
    if previous:
        marks = ", ".join(str(int(i)) for i in previous)
        con.execute(f"UPDATE loads SET replaced_at = now() WHERE load_id IN ({marks})")
        for table in TABLES[kind]:
            con.execute(f"DELETE FROM {table} WHERE load_id IN ({marks})")
    meta.rows_read = parsed.rows_read
    meta.rows_loaded = parsed.loaded
    meta.rows_rejected = len(parsed.rejected)
    load_id = record(con, meta)
    update_counts(con, load_id, meta)
    con.execute("UPDATE loads SET rows_skipped = ? WHERE load_id = ?", [parsed.skipped, load_id])
    for table, rows in parsed.tables.items():
        for r in rows:
            r["load_id"] = load_id
        _insert(con, table, rows)
    for r in parsed.catalogue:
        r["load_id"] = load_id
    _insert(con, "indicators", parsed.catalogue)
    if previous and kind in AFTER_REPLACE:
        AFTER_REPLACE[kind](con)
    if parsed.rejects:
        con.executemany(
            'INSERT INTO rejected_rows (load_id, row_number, "column", value, reason) '
            "VALUES (?, ?, ?, ?, ?)",
            [
                (load_id, r, c, v, why)
                for r, c, v, why in sorted(parsed.rejects, key=lambda x: x[0])
            ],
        )
    return load_id


KIND_NAMES = {"indicateurs": "indicateurs", "lieux": "lieux", "conseillers": "conseillers"}


def load_need_file(
    db: Path,
    kind: str,
    path_or_bytes: Path | str | bytes,
    *,
    recognise: Callable[[Table, str], object],
    parse: Callable[[Table, object, Context], Parsed],
    synonyms: dict[str, str],
    file_name: str | None = None,
    source_label: str | None = None,
    replace: bool = False,
    sheet: str | None = None,
    year: int | None = None,
    timeout_s: float = 30.0,
    loaded_by: str | None = None,
):
    """Load one need-side file with the guarantees of etl/load/'s load_file: the file is
    read and its layout recognised before the warehouse is touched (a refusal leaves it as
    it was), same content → « déjà chargé », --replace, one transaction."""
    from etl.load.read import read_input
    from etl.load.result import LoadResult

    db = Path(db)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    source, name = read_input(path_or_bytes, file_name)
    explicit = (source_label or "").strip() or None
    label = explicit or name
    result = LoadResult(kind=kind, file_name=name, source_label=label)
    table = read_table(source, name, synonyms, sheet)
    raw = table.raw
    result.format, result.encoding, result.separator = raw.format, raw.encoding, raw.separator
    result.sheet, result.header_row = raw.sheet, raw.header_row
    layout = recognise(table, name)
    digest = (
        readers_digest(source) + (f":{sheet}" if sheet else "") + (f":annee={year}" if year else "")
    )
    con = connect(db, timeout_s=timeout_s)
    try:
        existing = find_active(con, kind, digest)
        if existing is not None:
            result.already_loaded = True
            result.load_id = existing
            result.messages.append(
                f"Ce fichier est déjà chargé (chargement n° {existing}) : rien n'a changé."
            )
            return result
        previous = previous_loads_of_source(
            con, kind, label, what=KIND_NAMES[kind], replace=replace
        )
        con.begin()
        try:
            ctx = Context(con, name, label, explicit, year)
            parsed = parse(table, layout, ctx)
            load_id = write(
                con,
                kind,
                parsed,
                LoadRecord(
                    kind=kind,
                    file_name=name,
                    source_label=label,
                    sha256=digest,
                    loaded_by=loaded_by,
                ),
                previous,
            )
            con.commit()
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            if isinstance(exc, duckdb.Error):
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise EtlError(
                    f"Le chargement de « {name} » a échoué et a été entièrement annulé : "
                    f"l'entrepôt est inchangé (détail technique : {detail})."
                ) from exc
            raise
    finally:
        con.close()
    result.load_id = load_id
    result.rows_read = parsed.rows_read
    result.rows_loaded = parsed.loaded
    result.rows_rejected = len(parsed.rejected)
    result.rows_skipped = parsed.skipped
    result.messages.extend(parsed.messages)
    if previous:
        result.replaced_loads = previous
        result.messages.append(
            "Chargement(s) remplacé(s) : n° "
            + ", ".join(map(str, previous))
            + " (leurs lignes ont été retirées)."
        )
    if result.rows_loaded == 0:
        result.messages.append("Aucune ligne n'est valide : rien n'a été ajouté aux données.")
    return result


def readers_digest(source: readers.Source) -> str:
    import hashlib

    digest = hashlib.sha256()
    for chunk in source.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def load_reference_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    label: str,
    *,
    recognise: Callable[[Table, str], object],
    parse: Callable[[Table, object, Context], Parsed],
    synonyms: dict[str, str],
) -> int | None:
    """A shipped reference file, inside init's transaction, through the same parser: reference
    data (is_demo false), its own ledger row; nothing done when the same content is loaded;
    a changed file replaces the earlier reference load of the same label."""
    source = readers.Source(path=path)
    digest = readers_digest(source)
    if find_active(con, kind, digest) is not None:
        return None
    table = read_table(source, path.name, synonyms, None)
    layout = recognise(table, path.name)
    previous = [
        row[0]
        for row in con.execute(
            "SELECT load_id FROM loads WHERE kind = ? AND source_label = ? "
            "AND replaced_at IS NULL AND removed_at IS NULL",
            [kind, label],
        ).fetchall()
    ]
    ctx = Context(con, path.name, label, None, None, reference=True)
    parsed = parse(table, layout, ctx)
    return write(
        con,
        kind,
        parsed,
        LoadRecord(
            kind=kind, file_name=f"data/reference/{path.name}", source_label=label, sha256=digest
        ),
        previous,
    )
