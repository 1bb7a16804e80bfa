"""What the need-side kinds share: reading the rows of a file, French numbers and dates,
and the :class:`Steps` each kind plugs into the one loading pipeline of etl/pipeline/.

Each kind (indicators.py, places.py, conseillers.py) has its header names declared in its
contract (etl/schemas.py), recognises its layout from the header (layouts.py), and parses
the rows into a :class:`Parsed`: the rows to insert, the rejected rows with their reasons,
the rows skipped (not errors) and the messages. etl/pipeline/ reads the file, holds the ledger
and the transaction, and inserts a Parsed (:func:`insert_parsed`); this package imports
nothing of etl/pipeline/ (communes are resolved through ``Context.resolve_communes``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pyarrow as pa

from etl import readers, scrub
from etl.errors import FileRefused
from etl.schemas import header_key

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

    def accessors(self, columns: dict[str, int]):
        """(cell, header) for a layout's ``columns``: ``cell(cells, field)`` the cleaned
        value of a row's field, ``header(field)`` its header as written (None if absent)."""

        def cell(cells, f):
            return clean(cells[columns[f]]) if f in columns else None

        def header(f):
            return self.headers[columns[f]] if f in columns else None

        return cell, header

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


def quoted(names) -> str:
    """« a », « b » (column names, values) for a message."""
    return ", ".join(f"« {n} »" for n in names)


def rows_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED_ROWS])
    more = len(numbers) - MAX_LISTED_ROWS
    return shown + (f"… (et {more} autres)" if more > 0 else "")


def french_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


# --- communes ---------------------------------------------------------------------------------


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
    """What the user said besides the file, and how the parser resolves communes."""

    # value → (current code, None) or (None, French reason), for INSEE codes (current or
    # former), postal codes and names of the 93's communes (etl/pipeline/resolve.py).
    resolve_communes: Callable[[list[str | None]], dict[str, tuple[str | None, str | None]]]
    file_name: str
    source_label: str
    explicit_source: str | None  # --source as given (None: the file's name is the label)
    year: int | None  # --annee


@dataclass(frozen=True)
class Steps:
    """What a need-side kind plugs into the pipeline: its layout recognised from the header
    (before the warehouse is touched), its rows parsed (inside the load's transaction), and
    what to repair once a --replace has retired its previous loads."""

    recognise: Callable[[Table, str], object]
    parse: Callable[[Table, object, Context], Parsed]
    after_replace: Callable[[duckdb.DuckDBPyConnection], None] | None = None


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
        if table == "indicators":  # the catalogue: a new description replaces the old one
            con.execute("DELETE FROM indicators WHERE id IN (SELECT id FROM need_rows)")
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM need_rows")
    finally:
        con.unregister("need_rows")


def insert_parsed(con: duckdb.DuckDBPyConnection, parsed: Parsed, load_id: int) -> None:
    """Inside the load's transaction: the parsed rows, the catalogue and the rejects."""
    for table, rows in parsed.tables.items():
        for r in rows:
            r["load_id"] = load_id
        _insert(con, table, rows)
    for r in parsed.catalogue:
        r["load_id"] = load_id
    _insert(con, "indicators", parsed.catalogue)
    if parsed.rejects:
        con.executemany(
            'INSERT INTO rejected_rows (load_id, row_number, "column", value, reason) '
            "VALUES (?, ?, ?, ?, ?)",
            [
                (load_id, r, c, v, why)
                for r, c, v, why in sorted(parsed.rejects, key=lambda x: x[0])
            ],
        )
