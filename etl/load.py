"""Loading the files programme managers bring: distributions, funding, targets, programmes.

``load_file`` is used by ``python -m etl load`` and by the dashboard's upload page.

1. Before the warehouse is touched: the file is read (etl/readers.py: format, encoding,
   separator, header row below title rows) and its columns matched to the kind's contract
   (etl/schemas.py). A file that cannot be read, or lacks a required column, is refused here.
   A file on disk is never held whole in memory: its content hash and its lines are taken
   by pieces, and DuckDB reads it from its path (a copy decoded by pieces when it is not
   UTF-8 or has empty lines).
2. With the warehouse held for writing: the ledger is checked (same content → « déjà
   chargé »), the rows are read by DuckDB (in parallel) into a temporary table that keeps
   only the contract's columns (personal-data columns only enter a hash used to tell
   duplicate rows apart), blank rows and a final « Total » row are set aside. DuckDB's
   memory is capped on this connection: past it, it spills to a private folder beside the
   warehouse, removed afterwards.
3. In one transaction: ``--replace`` retires the previous loads of the source, every rule is
   checked in SQL over the whole table (values are resolved once per distinct value, then
   joined back), valid rows are inserted and the others recorded in ``rejected_rows`` with
   their reasons. A crash or a kill before the commit leaves the warehouse as it was;
   nothing but the kept columns is ever written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import readers, schemas, summary, target_shares
from etl.db import connect
from etl.errors import EtlError, FileRefused
from etl.ledger import LoadRecord, find_active, record, update_counts

# Test-only hook: when set to a file path, the load creates that file once its rows are
# inserted, then waits inside the open transaction until the file is deleted (at most two
# minutes): tests use it to kill a load mid-transaction or to run two loads at once.
PAUSE_ENV = "OBSERVATOIRE_TEST_PAUSE_IN_LOAD"
MAX_VALUE_CHARS = 200  # longer offending values are cut in rejected_rows
# DuckDB's memory on the load connection: past it, its temporary tables and operators spill
# to a private folder beside the warehouse (removed after the load; one left by a killed load
# is removed by the next). With Python and the libraries, a load stays under 1 GiB.
MEMORY_LIMIT = "512MB"
TEMP_PREFIX = ".chargement-"
_SPACES = " \t\r\n\u00a0\u202f\u2009\u2007\ufeff"

KIND_LABELS = {
    "distributions": "distributions",
    "funding": "financements",
    "targets": "objectifs",
    "programmes": "programmes",
}


@dataclass
class LoadResult:
    kind: str
    file_name: str
    source_label: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    dropped_personal_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False
    replaced_loads: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    format: str = ""
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    header_row: int = 0


@dataclass
class _Columns:
    index: dict[str, int]  # field → column index in the file
    labels: dict[str, str]  # field → header as the user wrote it
    personal: list[tuple[str, str]]  # (header, what it holds)
    ignored: list[str]  # unknown columns
    doubled: list[str]  # second columns for a field already given
    messages: list[str]


# --- SQL helpers --------------------------------------------------------------------------

_MACROS = [
    f"""CREATE OR REPLACE TEMP MACRO obs_clean(x) AS nullif(trim(x, '{_SPACES}'), '')""",
    # Lower case, no accents, no parenthesised part, words separated by one space.
    r"""CREATE OR REPLACE TEMP MACRO obs_key(x) AS trim(regexp_replace(regexp_replace(
            lower(strip_accents(x)), '\([^)]*\)', ' ', 'g'), '[^a-z0-9]+', ' ', 'g'))""",
    # Place names: St/Ste → Saint/Sainte, s/ → sur, leading article dropped.
    r"""CREATE OR REPLACE TEMP MACRO obs_name(x) AS trim(regexp_replace(regexp_replace(
            regexp_replace(regexp_replace(' ' || obs_key(x) || ' ', ' st ', ' saint ', 'g'),
            ' ste ', ' sainte ', 'g'), ' s ', ' sur ', 'g'), '^ (le|la|les|l) ', ' '))""",
    # Item names: as obs_key, and a plural « s » dropped at the end of each word.
    r"""CREATE OR REPLACE TEMP MACRO obs_item(x) AS
            regexp_replace(obs_key(x), '([a-z])s( |$)', '\1\2', 'g')""",
    # EPT names: as obs_name, without a leading « EPT », « territoire » or the T of « T6 ».
    r"""CREATE OR REPLACE TEMP MACRO obs_ept(x) AS regexp_replace(obs_name(x),
            '^(ept |etablissement public territorial |territoire |t([0-9]))', '\2')""",
    f"""CREATE OR REPLACE TEMP MACRO obs_nospace(x) AS
            regexp_replace(x, '[{_SPACES}'']', '', 'g')""",
]


def _macros(con: duckdb.DuckDBPyConnection) -> None:
    for sql in _MACROS:
        con.execute(sql)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- columns ------------------------------------------------------------------------------


def match_columns(headers: list[str], contract: schemas.Contract, file_name: str) -> _Columns:
    """Map the file's headers to the contract; refuse the file if a required one is missing."""
    synonyms = schemas.synonyms_of(contract)
    cols = _Columns(index={}, labels={}, personal=[], ignored=[], doubled=[], messages=[])
    for i, header in enumerate(headers):
        key = schemas.header_key(header)
        if not key:
            continue
        name = synonyms.get(key)
        if name is not None:
            if name in cols.index:
                cols.messages.append(
                    f"La colonne « {header} » fait double emploi avec « {cols.labels[name]} » "
                    "(même information) : elle est ignorée."
                )
                cols.doubled.append(header)
                continue
            cols.index[name] = i
            cols.labels[name] = header
            continue
        personal = schemas.personal_data_kind(key)
        if personal is not None:
            cols.personal.append((header, personal))
        else:
            cols.ignored.append(header)
    for f in contract.fields:
        if f.required and f.name not in cols.index:
            raise readers.refuse(
                file_name,
                f"la colonne obligatoire « {f.synonyms[0]} » est absente (noms acceptés : "
                + ", ".join(f.synonyms)
                + ")",
            )
    for group in contract.required_any:
        if not any(name in cols.index for name in group):
            names = [s for name in group for s in contract.field(name).synonyms]
            raise readers.refuse(
                file_name,
                "aucune colonne n'indique la commune (noms acceptés : " + ", ".join(names) + ")",
            )
    return cols


# --- staging (temporary tables of the write connection) --------------------------------


@dataclass
class _Scan:
    sha256: str
    lines: int  # physical lines (a last one without its newline counts)


def _scan(source: readers.Source) -> _Scan:
    """The file's content hash and its number of lines, reading it once by pieces."""
    digest = hashlib.sha256()
    newlines, last = 0, b""
    for chunk in source.chunks():
        digest.update(chunk)
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
    return _Scan(digest.hexdigest(), newlines + (0 if last in (b"\n", b"") else 1))


def _projection(raw: readers.RawTable, cols: _Columns, contract) -> str:
    """What is kept of each row: a hash of every cell (personal ones included, so that two
    rows differing only by a dropped column are not duplicates), whether the row is blank,
    whether it looks like a « Total » row, extra cells, and the contract's columns. The
    dropped columns go no further than this expression."""
    everything = ", ".join([*(f"c{i}" for i in range(len(raw.headers))), "_extra"])
    cells = ", ".join(f"c{i}" for i in range(len(raw.headers)))
    fields = []
    for f in contract.fields:
        if f.name in cols.index:
            cell = f"c{cols.index[f.name]}"
            fields.append(f"{cell} AS f_{f.name}, hash({cell}) AS h_{f.name}")
        else:
            fields.append(f"NULL::VARCHAR AS f_{f.name}, NULL::UBIGINT AS h_{f.name}")
    cell_hashes = ", ".join(f"hash({c})" for c in everything.split(", "))
    return f"""hash({cell_hashes}) AS _hash, coalesce({everything}) IS NULL AS _blank,
        coalesce(coalesce({cells}) ILIKE 'total%' OR coalesce({cells}) ILIKE 'sous%total%',
                 false) AS _total,
        _extra, {", ".join(fields)}"""


def _read_csv_into(con, raw: readers.RawTable, path: str, projection: str, parallel: bool) -> None:
    width = len(raw.headers)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    delim = {"\t": "\\t"}.get(raw.separator, raw.separator)
    # With preserve_insertion_order (the default) the table keeps the file's order even when
    # the file is read in parallel: rowid gives the row number. DuckDB's parallel reader
    # refuses quoted line breaks with null_padding: such a file is read again on one thread.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE raw AS SELECT {projection}
            FROM read_csv($path, delim = '{delim}', quote = '"', escape = '"',
                header = false, skip = {raw.skip_lines},
                columns = {{{columns}, '_extra': 'VARCHAR'}}, null_padding = true,
                strict_mode = false, auto_detect = false, parallel = {str(parallel).lower()},
                max_line_size = 10000000)""",
        {"path": path},
    )


def _load_csv(con, raw: readers.RawTable, lines: int, file_name: str, projection: str):
    """Read the CSV into table ``raw``; fall back to decoding in Python (by pieces, into a
    temporary UTF-8 copy) when DuckDB finds it is not UTF-8, or when it skipped empty lines
    (the row numbers would then be wrong)."""
    source = raw.source
    assert source is not None
    with tempfile.TemporaryDirectory(prefix="observatoire-load-") as tmpdir:
        if raw.decode_first:
            readers.normalise_csv(raw, file_name, tmpdir)

        def path_of_text() -> str:
            if raw.normalised:
                return str(raw.csv_path)
            if source.path is not None:
                return str(source.path)
            target = os.path.join(tmpdir, "fichier.csv")
            with open(target, "wb") as handle:
                handle.write(source.data or b"")
            return target

        parallel = True
        for _attempt in range(4):
            try:
                _read_csv_into(con, raw, path_of_text(), projection, parallel)
            except duckdb.Error as exc:
                if parallel and "null_padding" in str(exc) and "parallel" in str(exc):
                    parallel = False
                    continue
                if "unicode" in str(exc).lower() and not raw.normalised:
                    readers.normalise_csv(raw, file_name, tmpdir, recode=True)
                    continue
                line = re.search(r"[Ll]ine:? (\d+)", str(exc))
                where = f" vers la ligne {line.group(1)}" if line else ""
                raise readers.refuse(
                    file_name,
                    f"il n'a pas pu être lu comme un tableau CSV{where} "
                    "(guillemet non fermé ou ligne trop longue ?)",
                ) from exc
            if raw.normalised:
                return
            records = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
            if records == lines - raw.skip_lines:
                return
            readers.normalise_csv(raw, file_name, tmpdir)
        raise AssertionError("unreachable")  # pragma: no cover


def _stage(con, raw: readers.RawTable, cols: _Columns, contract, lines: int, file_name: str):
    """Temp view ``stg``: _row, _hash, _extra, f_<field> (VARCHAR, as read), without blank
    rows nor a final « Total » row. Returns (rows read, number of the « Total » row)."""
    projection = _projection(raw, cols, contract)
    if raw.format == "CSV":
        _load_csv(con, raw, lines, file_name, projection)
        # Rows were appended in file order: rowid (which, inside a transaction, starts at a
        # large base) orders them; when contiguous, the row number is a mere offset.
        first = raw.header_row + 1
        low, high, count = con.execute(
            "SELECT min(rowid), max(rowid), count(*) FROM raw"
        ).fetchall()[0]
        if count and high - low + 1 == count:
            number = f"(rowid - {int(low)} + {first})::INTEGER"
        else:
            number = f"(row_number() OVER (ORDER BY rowid) - 1 + {first})::INTEGER"
        con.execute(f"CREATE TEMP VIEW src AS SELECT {number} AS _row, * FROM raw")
    else:
        con.register("xlsx_rows", raw.arrow)
        con.execute(f"CREATE TEMP TABLE raw AS SELECT _row, {projection} FROM xlsx_rows")
        con.unregister("xlsx_rows")
        con.execute("CREATE TEMP VIEW src AS SELECT * FROM raw")
    last = con.execute(
        "SELECT _row, _total FROM src WHERE NOT _blank ORDER BY _row DESC LIMIT 1"
    ).fetchall()
    total_row = last[0][0] if last and last[0][1] else None
    last_rowid = "(SELECT max(rowid) FROM raw WHERE NOT _blank)" if total_row else "NULL"
    con.execute(f"DELETE FROM raw WHERE _blank OR rowid = {last_rowid}")
    con.execute("CREATE TEMP VIEW stg AS SELECT * EXCLUDE (_blank, _total) FROM src")
    rows = con.execute("SELECT count(*) FROM stg").fetchall()[0][0]
    if rows == 0:
        raise readers.refuse(
            file_name, f"il n'a aucune ligne de données sous l'en-tête (ligne {raw.header_row})"
        )
    return rows, total_row


# --- validation (in the warehouse transaction) ------------------------------------------------


class _Query:
    """The checks of a kind as SQL over the staged rows ``stg2 s``: joins to the resolved
    values, output expressions, and one reason expression per rule (NULL when it holds).
    ``chk`` holds every row's resolved values and ``_ok``; the failing rows are set aside in
    ``bad`` and their reasons computed for them only; then the valid rows are inserted.
    ``direct`` (large files, whose checks do not read the table they fill): no ``chk``; the
    failing rows are selected into ``bad``, and the valid ones inserted straight from the
    joins, which saves writing and reading back a table as large as the file."""

    def __init__(self, hashed: bool) -> None:
        self.hashed = hashed  # stg2 carries h_<field> = hash(f_<field>), computed on reading
        self.direct = hashed
        self.joins: list[str] = []
        self.outputs: dict[str, str] = {}
        self.checks: list[tuple[str, str, str]] = []  # (field sql, value sql, reason sql)

    def key(self, name: str) -> str:
        return f"s.h_{name}" if self.hashed else f"hash(s.f_{name})"

    def check(self, field_name: str | None, value: str, reason: str) -> None:
        f = "NULL::VARCHAR" if field_name is None else _lit(field_name)
        self.checks.append((f, value, reason))

    def _ok(self) -> str:
        return " AND ".join(f"({r}) IS NULL" for _, _, r in self.checks)

    def _checked(self) -> str:
        """Each row's resolved values and whether it breaks no rule (one pass)."""
        outputs = ", ".join(f"{expr} AS {name}" for name, expr in self.outputs.items())
        return f"""SELECT s._row, {outputs}, {self._ok()} AS _ok
            FROM stg2 s {" ".join(self.joins)}"""

    def chk_sql(self) -> str | None:
        """``chk``: each row's resolved values and whether it breaks no rule."""
        return None if self.direct else f"CREATE TEMP TABLE chk AS {self._checked()}"

    def bad_sql(self) -> str:
        """``bad``: the staged rows that break a rule (their reasons are computed from it)."""
        if self.direct:
            return f"""CREATE TEMP TABLE bad AS SELECT s.* FROM stg2 s {" ".join(self.joins)}
                WHERE NOT ({self._ok()})"""
        return """CREATE TEMP TABLE bad AS SELECT s.* FROM stg2 s
            SEMI JOIN (SELECT _row FROM chk WHERE NOT _ok) k ON k._row = s._row"""

    def insert_sql(self, table: str, columns: list[str], extra: dict[str, str]) -> str:
        names = ", ".join([*columns, *extra])
        values = ", ".join([*columns, *extra.values()])
        if not self.direct:
            return f"INSERT INTO {table} ({names}) SELECT {values} FROM chk WHERE _ok"
        # The valid rows are those not in ``bad``: no rule evaluated a second time, and only
        # the joins that give a value (all LEFT JOINs on unique keys: one row each).
        outputs = ", ".join(f"{expr} AS {name}" for name, expr in self.outputs.items())
        joins = " ".join(j for j in self.joins if not j.startswith("LEFT JOIN dups "))
        return f"""INSERT INTO {table} ({names}) SELECT {values} FROM (
            SELECT {outputs} FROM stg2 s ANTI JOIN bad ON bad._row = s._row {joins})"""

    def rejects_sql(self) -> str:
        errors = ", ".join(
            f"{{'f': {f}, 'v': left(CAST({v} AS VARCHAR), {MAX_VALUE_CHARS}), 'r': {r}}}"
            for f, v, r in self.checks
        )
        return f"""INSERT INTO rejected_rows (load_id, row_number, "column", value, reason)
            SELECT $load, e._row, l.label, e.v, e.r FROM (
                SELECT s._row, unnest(list_filter([{errors}], lambda e: e.r IS NOT NULL),
                                      recursive := true)
                FROM bad s {" ".join(self.joins)}) e
            LEFT JOIN column_labels l ON l.f = e.f
            ORDER BY e._row"""


def _small_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]) -> None:
    """A temporary table of a few text rows from Python lists (``con.register`` would import
    pandas: ≈ 0,3 s of a command-line load)."""
    select = ", ".join(f"unnest(${c}::VARCHAR[]) AS {c}" for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}", columns)


def _reference_keys(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TEMP TABLE k_commune AS "
        "SELECT obs_name(name) AS key, code, name AS label FROM communes "
        "UNION SELECT obs_name(f.name), f.current_code, c.name "
        "FROM commune_former_names f JOIN communes c ON c.code = f.current_code"
    )
    _small_table(
        con,
        "commune_aliases",
        {
            "alias": list(schemas.COMMUNE_ALIASES),
            "code": list(schemas.COMMUNE_ALIASES.values()),
        },
    )
    con.execute(
        "INSERT INTO k_commune SELECT obs_name(a.alias), a.code, c.name "
        "FROM commune_aliases a JOIN communes c ON c.code = a.code"
    )
    con.execute("DROP TABLE commune_aliases")
    con.execute(
        "CREATE TEMP TABLE k_postal AS SELECT DISTINCT unnest(string_split(postal_codes, ' ')) "
        "AS postal, code, name AS label FROM communes WHERE postal_codes IS NOT NULL"
    )
    ept_aliases = [(code, alias) for code, names in schemas.EPT_ALIASES.items() for alias in names]
    _small_table(
        con,
        "ept_aliases",
        {"code": [c for c, _ in ept_aliases], "alias": [a for _, a in ept_aliases]},
    )
    con.execute(
        "CREATE TEMP TABLE k_ept AS SELECT obs_ept(name) AS key, code, name AS label FROM epts "
        "UNION SELECT obs_ept(a.alias), a.code, e.name FROM ept_aliases a "
        "JOIN epts e ON e.code = a.code"
    )
    con.execute("DROP TABLE ept_aliases")
    con.execute(
        "CREATE TEMP TABLE k_programme AS SELECT obs_name(id) AS key, id FROM programmes "
        "UNION SELECT obs_name(name), id FROM programmes"
    )

    def synonyms(table: str, mapping: dict[str, tuple[str, ...]], norm: str) -> None:
        pairs = [(canon, s) for canon, syns in mapping.items() for s in (canon, *syns)]
        _small_table(con, "syn", {"canon": [c for c, _ in pairs], "name": [s for _, s in pairs]})
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT DISTINCT {norm}(name) AS key, canon FROM syn"
        )
        con.execute("DROP TABLE syn")

    synonyms("k_item", schemas.ITEMS, "obs_item")
    synonyms("k_indicator", schemas.INDICATORS, "obs_key")
    synonyms("k_scope", schemas.SCOPES, "obs_key")
    synonyms("k_funder_type", schemas.FUNDER_TYPES, "obs_key")


def _distinct(con, name: str, expr: str) -> str:
    """CTE ``d(raw, v)`` over the distinct raw values of ``expr`` (on stg2), cleaned (trimmed
    of every kind of space); blank ones are left out, so a failed join means « missing ».

    The distinct values are materialised first, so that no condition on them can be pushed
    down to the scan of the whole file: the cleaning runs once per distinct value.
    """
    con.execute(
        f"""CREATE TEMP TABLE d_{name} AS SELECT raw, hash(raw) AS h, obs_clean(raw) AS v
            FROM (SELECT DISTINCT {expr} AS raw FROM stg2 s)"""
    )
    # Rows are joined back on the 64-bit hash of their value (much faster than on text);
    # two distinct values with the same hash (odds ~1e-8 for a million values) would mix
    # them up, so that case is refused rather than risked.
    if con.execute(f"SELECT count(DISTINCT h) <> count(*) FROM d_{name}").fetchall()[0][0]:
        raise EtlError(
            "Chargement interrompu : collision de hachage improbable sur la colonne "
            f"« {name} » ; signalez-le aux administrateurs de l'Observatoire."
        )
    return f"d AS (SELECT raw, h, v FROM d_{name} WHERE v IS NOT NULL)"


def _resolve_commune(con, expr: str) -> None:
    """r_commune(raw, v, code, err) for the distinct commune values of the file."""
    con.execute(
        rf"""CREATE TEMP TABLE r_commune AS
        WITH {_distinct(con, "commune", expr)},
        x AS (
            SELECT raw, h, v, obs_name(v) AS nk,
                   CASE WHEN regexp_matches(obs_nospace(v), '^[0-9]{{5}}([.,]0+)?$')
                        THEN left(obs_nospace(v), 5) END AS digits,
                   regexp_matches(upper(obs_nospace(v)), '^(2A|2B)[0-9]{{3}}$')
                       OR (regexp_matches(v, '^[0-9]{{5}}') AND NOT starts_with(v, '93'))
                       AS codelike
            FROM d),
        exact AS (
            SELECT x.raw, count(DISTINCT k.code) AS n, any_value(k.code) AS code,
                   array_to_string(list_sort(list_distinct(list(k.label || ' (' || k.code || ')'))),
                                   ' ou ') AS cands
            FROM x JOIN k_commune k ON k.key = x.nk GROUP BY x.raw),
        prefix AS (
            SELECT x.raw, count(DISTINCT k.code) AS n, any_value(k.code) AS code,
                   array_to_string(list_sort(list_distinct(list(k.label || ' (' || k.code || ')'))),
                                   ' ou ') AS cands
            FROM x JOIN k_commune k ON starts_with(k.key, x.nk || ' ')
            WHERE x.digits IS NULL AND x.nk <> '' GROUP BY x.raw),
        postal AS (
            SELECT x.raw, count(DISTINCT p.code) AS n, any_value(p.code) AS code,
                   array_to_string(list_sort(list_distinct(list(p.label || ' (' || p.code || ')'))),
                                   ' ou ') AS cands
            FROM x JOIN k_postal p ON p.postal = x.digits GROUP BY x.raw)
        SELECT x.raw, x.h, x.v,
            CASE WHEN x.digits IS NOT NULL
                     THEN coalesce(cc.current_code, CASE WHEN po.n = 1 THEN po.code END)
                 WHEN ex.n = 1 THEN ex.code
                 WHEN ex.n IS NULL AND pr.n = 1 THEN pr.code END AS code,
            CASE WHEN x.digits IS NOT NULL THEN
                     CASE WHEN cc.current_code IS NOT NULL OR po.n = 1 THEN NULL
                          WHEN po.n > 1 THEN 'code postal partagé par plusieurs communes : '
                              || po.cands || ' ; indiquez le code INSEE'
                          WHEN NOT starts_with(x.digits, '93')
                              THEN 'commune hors de la Seine-Saint-Denis (code ' || x.digits || ')'
                          ELSE 'code inconnu : ni code INSEE ni code postal d''une commune '
                              || 'de la Seine-Saint-Denis' END
                 WHEN ex.n = 1 THEN NULL
                 WHEN ex.n > 1 THEN 'nom de commune ambigu : ' || ex.cands
                 WHEN pr.n = 1 THEN NULL
                 WHEN pr.n > 1 THEN 'nom de commune ambigu : ' || pr.cands
                 WHEN regexp_matches(x.nk, '^paris( |$)') OR x.codelike
                     THEN 'commune hors de la Seine-Saint-Denis'
                 ELSE 'commune inconnue en Seine-Saint-Denis (vérifiez l''orthographe, '
                     || 'ou indiquez le code INSEE)' END AS err
        FROM x
        LEFT JOIN commune_codes cc ON cc.code = x.digits
        LEFT JOIN postal po ON po.raw = x.raw
        LEFT JOIN exact ex ON ex.raw = x.raw
        LEFT JOIN prefix pr ON pr.raw = x.raw"""
    )


def _resolve_ept(con, expr: str) -> None:
    """r_ept(raw, v, code, err): SIREN, official name, usual name or number (T6 … T9)."""
    con.execute(
        rf"""CREATE TEMP TABLE r_ept AS
        WITH {_distinct(con, "ept", expr)},
        x AS (SELECT raw, h, v, obs_ept(v) AS k, obs_nospace(v) AS digits FROM d),
        m AS (
            SELECT x.raw, count(DISTINCT e.code) AS n, any_value(e.code) AS code,
                   array_to_string(list_sort(list_distinct(list(e.label))), ' ou ') AS cands
            FROM x JOIN k_ept e ON x.k <> '' AND (e.key = x.k OR e.code = x.digits
                 OR (length(x.k) > 3 AND contains(e.key, x.k)))
            GROUP BY x.raw)
        SELECT x.raw, x.h, x.v, CASE WHEN m.n = 1 THEN m.code END AS code,
            CASE WHEN m.n = 1 THEN NULL
                 WHEN m.n > 1 THEN 'EPT ambigu : ' || m.cands
                 ELSE 'EPT inconnu (attendu : SIREN ou nom de l''un des quatre EPT : '
                     || (SELECT string_agg(name, ', ' ORDER BY name) FROM epts) || ')' END AS err
        FROM x LEFT JOIN m ON m.raw = x.raw"""
    )


def _resolve_programme(con) -> None:
    con.execute(
        f"""CREATE TEMP TABLE r_programme AS
        WITH {_distinct(con, "programme", "s.f_programme")},
        m AS (SELECT d.raw, count(DISTINCT k.id) AS n, any_value(k.id) AS id,
                     array_to_string(list_sort(list_distinct(list(k.id))), ' ou ') AS cands
              FROM d JOIN k_programme k ON k.key = obs_name(d.v) GROUP BY d.raw)
        SELECT d.raw, d.h, d.v, CASE WHEN m.n = 1 THEN m.id END AS val,
            CASE WHEN m.n = 1 THEN NULL
                 WHEN m.n > 1 THEN 'programme ambigu : ' || m.cands
                 ELSE 'programme inconnu ; programmes connus : '
                     || coalesce((SELECT string_agg(id, ', ' ORDER BY id) FROM programmes),
                                 'aucun (chargez d''abord un fichier de programmes)') END AS err
        FROM d LEFT JOIN m ON m.raw = d.raw"""
    )


def _resolve_keyword(con, name: str, table: str, unknown: str) -> None:
    norm = {"k_item": "obs_item"}.get(table, "obs_key")
    con.execute(
        f"""CREATE TEMP TABLE r_{name} AS
        WITH {_distinct(con, name, f"s.f_{name}")}
        SELECT d.raw, d.h, d.v, k.canon AS val,
               CASE WHEN k.canon IS NULL THEN {_lit(unknown)} END AS err
        FROM d LEFT JOIN {table} k ON k.key = {norm}(d.v)"""
    )


def _resolve_text(con, name: str) -> None:
    con.execute(
        f"""CREATE TEMP TABLE r_{name} AS WITH {_distinct(con, name, f"s.f_{name}")}
            SELECT raw, h, v, v AS val, NULL::VARCHAR AS err FROM d"""
    )


def _resolve_date(con, name: str, mode: str) -> None:
    year = "regexp_matches(v, '^[0-9]{4}$')" if mode == schemas.DATE_OR_YEAR else "false"
    future = "false" if mode == schemas.DEADLINE else "d > current_date"
    expected = "AAAA-MM-JJ, JJ/MM/AAAA ou date Excel" + (
        ", ou une année" if mode == schemas.DATE_OR_YEAR else ""
    )
    con.execute(
        rf"""CREATE TEMP TABLE r_{name} AS
        WITH {_distinct(con, name, f"s.f_{name}")},
        p AS (SELECT raw, h, v,
            CASE WHEN regexp_matches(v, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}([ T].*)?$')
                     THEN 'iso'
                 WHEN regexp_matches(v, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-][0-9]{{4}}( .*)?$')
                     THEN 'fr'
                 WHEN regexp_matches(v, '^[0-9]{{5}}([.,][0-9]+)?$') THEN 'excel'
                 WHEN {year} THEN 'year' END AS form
            FROM d),
        q AS (SELECT raw, h, v, form,
            CASE form
                WHEN 'iso' THEN try_strptime(regexp_extract(v,
                    '^([0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}})', 1), '%Y-%m-%d')::DATE
                WHEN 'fr' THEN try_strptime(regexp_replace(regexp_extract(v,
                    '^([0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-][0-9]{{4}})', 1), '[.-]', '/', 'g'),
                    '%d/%m/%Y')::DATE
                WHEN 'excel' THEN DATE '1899-12-30'
                    + CAST(regexp_extract(v, '^([0-9]{{5}})', 1) AS INTEGER)
                WHEN 'year' THEN make_date(CAST(v AS INTEGER), 1, 1) END AS d
            FROM p)
        SELECT raw, h, v, CASE WHEN d >= DATE '2000-01-01' AND NOT ({future}) THEN d END AS val,
            CASE WHEN form IS NULL THEN 'date illisible (attendu : {expected})'
                 WHEN d IS NULL THEN 'date impossible'
                 WHEN d < DATE '2000-01-01' THEN 'date antérieure à 2000'
                 WHEN {future} THEN 'date dans le futur' END AS err
        FROM q"""
    )


def _resolve_quantity(con, name: str) -> None:
    con.execute(
        rf"""CREATE TEMP TABLE r_{name} AS
        WITH {_distinct(con, name, f"s.f_{name}")},
        s AS (SELECT raw, h, v, obs_nospace(v) AS s FROM d),
        q AS (SELECT raw, h, v, s,
            CASE WHEN regexp_matches(s, '^[0-9]{{1,3}}(\.[0-9]{{3}})+$')
                     THEN try_cast(replace(s, '.', '') AS HUGEINT)
                 WHEN regexp_matches(s, '^[0-9]+$') THEN try_cast(s AS HUGEINT)
                 WHEN regexp_matches(s, '^[0-9]+[.,]0+$')
                     THEN try_cast(regexp_extract(s, '^([0-9]+)', 1) AS HUGEINT) END AS n
            FROM s)
        SELECT raw, h, v, CASE WHEN n BETWEEN 1 AND 2147483647 THEN n::INTEGER END AS val,
            CASE WHEN regexp_matches(s, '^-[0-9]') THEN 'quantité négative'
                 WHEN regexp_matches(s, '^[0-9]+[.,][0-9]+$') AND n IS NULL
                     THEN 'quantité non entière'
                 WHEN n IS NULL THEN 'quantité illisible (nombre entier positif attendu)'
                 WHEN n = 0 THEN 'quantité nulle'
                 WHEN n > 2147483647 THEN 'quantité trop grande' END AS err
        FROM q"""
    )


def _resolve_amount(con, name: str, what: str) -> None:
    """Euros in French or plain notation: 500 000 €, 500000, 1.234,56, 12 500,50 €."""
    con.execute(
        rf"""CREATE TEMP TABLE r_{name} AS
        WITH {_distinct(con, name, f"s.f_{name}")},
        s AS (SELECT raw, h, v, obs_nospace(regexp_replace(v,
                  '^\s*(€|eur)\s*|\s*(€|eur|euros?)\s*$', '', 'gi')) AS s FROM d),
        q AS (SELECT raw, h, v, s,
            CASE WHEN regexp_matches(s, '^[0-9]{{1,3}}(\.[0-9]{{3}})+(,[0-9]+)?$')
                     THEN replace(replace(s, '.', ''), ',', '.')
                 WHEN regexp_matches(s, '^[0-9]{{1,3}}(,[0-9]{{3}}){{2,}}(\.[0-9]+)?$')
                   OR regexp_matches(s, '^[0-9]{{1,3}}(,[0-9]{{3}})+\.[0-9]+$')
                     THEN replace(s, ',', '')
                 WHEN regexp_matches(s, '^[0-9]+,[0-9]+$') THEN replace(s, ',', '.')
                 WHEN regexp_matches(s, '^[0-9]+(\.[0-9]+)?$') THEN s END AS t
            FROM s),
        n AS (SELECT raw, h, v, s, round(try_cast(t AS DOUBLE), 2) AS x FROM q)
        SELECT raw, h, v, CASE WHEN x > 0 AND x < 1e15 THEN x END AS val,
            CASE WHEN regexp_matches(s, '^-[0-9]') THEN '{what} négatif'
                 WHEN x IS NULL THEN '{what} illisible (nombre positif attendu, '
                     || 'par exemple 12 500,50 €)'
                 WHEN x = 0 THEN '{what} nul'
                 WHEN x >= 1e15 THEN '{what} trop grand' END AS err
        FROM n"""
    )


_HAS_ID = "nullif(trim(s.f_record_id), '') IS NOT NULL"


def _duplicates(con, q: _Query, key: str, has_id: str, id_value: str, id_field: str) -> None:
    """Rows sharing a key with an earlier row: ``dups`` holds only the keys seen twice."""
    con.execute(
        f"""CREATE TEMP TABLE dups AS
            WITH twice AS (SELECT {key} AS k FROM stg2 s GROUP BY 1 HAVING count(*) > 1)
            SELECT {key} AS k, min(_row) AS _first, arg_min(_hash, _row) AS _first_hash
            FROM stg2 s SEMI JOIN twice ON twice.k = {key} GROUP BY 1"""
    )
    q.joins.append(f"LEFT JOIN dups dup ON dup.k = {key}")
    later = "dup._first IS NOT NULL AND s._row > dup._first"
    q.check(
        id_field,
        id_value,
        f"""CASE WHEN {later} AND {has_id} AND s._hash <> dup._first_hash
                 THEN 'identifiant « ' || {id_value} || ' » déjà utilisé à la ligne '
                      || dup._first END""",
    )
    q.check(
        None,
        "NULL",
        f"""CASE WHEN {later} AND (NOT ({has_id}) OR s._hash = dup._first_hash)
                 THEN 'doublon : ligne identique à la ligne ' || dup._first END""",
    )
    q.check(
        None,
        "NULL",
        "CASE WHEN nullif(trim(s._extra), '') IS NOT NULL THEN 'la ligne a plus de cellules "
        "que l''en-tête n''a de colonnes (séparateur dans une valeur sans guillemets ?)' END",
    )


def _record_duplicates(con, q: _Query, present: set[str]) -> None:
    if "record_id" in present:
        key = f"CASE WHEN {_HAS_ID} THEN 'i' || trim(s.f_record_id) ELSE 'h' || s._hash END"
        _duplicates(con, q, key, _HAS_ID, "trim(s.f_record_id)", "record_id")
    else:
        _duplicates(con, q, "s._hash", "false", "NULL", "record_id")


def _typed(q: _Query, name: str, out: str | None, required: bool) -> None:
    """Join r_<name>; add its value as ``out`` and its error (or « valeur manquante »)."""
    q.joins.append(f"LEFT JOIN r_{name} ON r_{name}.h = {q.key(name)}")
    if out:
        q.outputs[out] = f"r_{name}.val"
    missing = "'valeur manquante'" if required else "NULL"
    q.check(
        name,
        f"s.f_{name}",
        f"CASE WHEN r_{name}.raw IS NULL THEN {missing} ELSE r_{name}.err END",
    )


def _text(con, q: _Query, name: str, required: bool = False, out: str | None = None) -> None:
    _resolve_text(con, name)
    _typed(q, name, out or name, required)


_COMMUNE_FIELDS = ("commune_code", "postal_code", "commune_name")


def _commune_value(present: set[str]) -> tuple[str, str]:
    """(value, field) SQL of the first commune column given on the row."""
    fields = [f for f in _COMMUNE_FIELDS if f in present] or ["commune_name"]
    if len(fields) == 1:
        return f"s.f_{fields[0]}", _lit(fields[0])
    value = "coalesce(" + ", ".join(f"nullif(trim(s.f_{f}), '')" for f in fields) + ")"
    which = "CASE " + " ".join(
        f"WHEN nullif(trim(s.f_{f}), '') IS NOT NULL THEN '{f}'" for f in fields
    )
    return value, which + f" ELSE '{fields[0]}' END"


def _commune_checks(con, q: _Query, present: set[str], required: bool) -> None:
    value, which = _commune_value(present)
    _resolve_commune(con, value)
    single = value.startswith("s.f_") and value[4:] in _COMMUNE_FIELDS
    key = q.key(value[4:]) if single else f"hash({value})"
    q.joins.append(f"LEFT JOIN r_commune rc ON rc.h = {key}")
    q.outputs["commune_code"] = "rc.code"
    missing = "'commune manquante'" if required else "NULL"
    q.checks.append((which, value, f"CASE WHEN rc.raw IS NULL THEN {missing} ELSE rc.err END"))


def _unknown(what: str, values) -> str:
    return f"{what} inconnu (attendu : " + ", ".join(values) + ")"


def _validate(con, kind: str, present: set[str], contract: schemas.Contract):
    """Resolve the values; return the checks, the target table and its columns."""
    q = _Query(hashed=kind in ("distributions", "funding"))
    if kind in ("targets", "programmes"):  # small files: clean every value once, per row
        cleaned = ", ".join(f"obs_clean(f_{f.name}) AS f_{f.name}" for f in contract.fields)
        extra = ""
        if kind == "programmes":
            slug = (
                "trim(regexp_replace(lower(strip_accents(obs_clean(f_name))), '[^a-z0-9]+', "
                "'-', 'g'), '-')"
            )
            extra = f", coalesce(obs_clean(f_id), {slug}) AS f_pid"
        con.execute(
            f"CREATE TEMP TABLE stg2 AS SELECT _row, _hash, _extra, {cleaned}{extra} FROM stg"
        )
    else:
        con.execute("CREATE TEMP VIEW stg2 AS SELECT * FROM stg")
    if kind in ("distributions", "funding"):
        mode = schemas.DATE if kind == "distributions" else schemas.DATE_OR_YEAR
        _resolve_date(con, "date", mode)
        _typed(q, "date", "date", True)
        _commune_checks(con, q, present, required=kind == "distributions")
        _resolve_programme(con)
        _typed(q, "programme", "programme_id", True)
    if kind == "distributions":
        _resolve_keyword(con, "item", "k_item", _unknown("équipement", schemas.ITEMS))
        _typed(q, "item", "item", True)
        _resolve_quantity(con, "quantity")
        _typed(q, "quantity", "quantity", True)
        _text(con, q, "public")
        _text(con, q, "operator")
        _record_duplicates(con, q, present)
        columns = ["date", "commune_code", "programme_id", "item", "quantity", "public", "operator"]
    elif kind == "funding":
        _text(con, q, "funder", required=True)
        _resolve_ept(con, "s.f_ept")
        _typed(q, "ept", None, False)
        q.joins.append("LEFT JOIN communes cm ON cm.code = rc.code")
        q.check(
            "ept",
            "s.f_ept",
            """CASE WHEN rc.code IS NOT NULL AND r_ept.code IS NOT NULL
                         AND cm.ept_code <> r_ept.code
                    THEN 'la commune ' || cm.name || ' n''appartient pas à cet EPT' END""",
        )
        q.outputs["ept_code"] = "CASE WHEN rc.code IS NULL THEN r_ept.code END"
        _resolve_amount(con, "amount", "montant")
        _typed(q, "amount", "amount_eur", True)
        _text(con, q, "scheme")
        unknown_type = _unknown("type de financeur", schemas.FUNDER_TYPES)
        _resolve_keyword(con, "funder_type", "k_funder_type", unknown_type)
        _typed(q, "funder_type", "funder_type", False)
        _record_duplicates(con, q, present)
        columns = [
            "date", "funder", "programme_id", "commune_code", "ept_code", "amount_eur", "scheme",
            "funder_type",
        ]  # fmt: skip
    elif kind == "targets":
        _targets(con, q, present)
        columns = [
            "programme_id", "indicator", "item", "target_value", "unit", "scope", "scope_code",
            "deadline", "label", "public", "operator", "funder",
        ]  # fmt: skip
    elif kind == "programmes":
        _programmes(con, q)
        columns = ["id", "name", "operator", "start_date", "end_date", "description"]
    else:  # pragma: no cover - kinds are checked by load_file
        raise ValueError(kind)
    return q, contract.table, columns


def _targets(con, q: _Query, present: set[str]) -> None:
    _resolve_programme(con)
    _typed(q, "programme", "programme_id", True)
    _resolve_keyword(con, "indicator", "k_indicator", _unknown("indicateur", schemas.INDICATORS))
    _typed(q, "indicator", "indicator", True)
    _resolve_keyword(con, "item", "k_item", _unknown("équipement", schemas.ITEMS))
    _typed(q, "item", "item", False)
    _resolve_amount(con, "target_value", "objectif")
    _typed(q, "target_value", "target_value", True)
    units = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in schemas.DEFAULT_UNITS.items())
    q.outputs["unit"] = f"coalesce(s.f_unit, CASE r_indicator.val {units} END)"
    _resolve_keyword(con, "scope", "k_scope", _unknown("périmètre", schemas.SCOPES))
    commune_value, commune_field = _commune_value(present)
    scope = f"""coalesce(r_scope.val, CASE
        WHEN s.f_scope IS NOT NULL THEN NULL
        WHEN {commune_value} IS NOT NULL THEN 'commune'
        WHEN s.f_ept IS NOT NULL THEN 'ept'
        WHEN regexp_matches(obs_nospace(coalesce(s.f_scope_code, '')), '^[0-9]{{9}}$') THEN 'ept'
        WHEN regexp_matches(obs_nospace(coalesce(s.f_scope_code, '')), '^[0-9]{{5}}')
            THEN 'commune'
        ELSE 'departement' END)"""
    con.execute(
        f"""CREATE TEMP TABLE stg3 AS SELECT s.*, {scope} AS _scope FROM stg2 s
            LEFT JOIN r_scope ON r_scope.h = hash(s.f_scope)"""
    )
    con.execute("DROP TABLE stg2")
    con.execute("ALTER TABLE stg3 RENAME TO stg2")
    _typed(q, "scope", None, False)
    cv = f"CASE WHEN s._scope = 'commune' THEN coalesce({commune_value}, s.f_scope_code) END"
    ev = "CASE WHEN s._scope = 'ept' THEN coalesce(s.f_ept, s.f_scope_code) END"
    _resolve_commune(con, cv)
    _resolve_ept(con, ev)
    q.joins.append(f"LEFT JOIN r_commune rc ON rc.h = hash({cv})")
    q.joins.append(f"LEFT JOIN r_ept re ON re.h = hash({ev})")
    which = f"CASE WHEN {commune_value} IS NOT NULL THEN {commune_field} ELSE 'scope_code' END"
    q.checks.append(
        (
            which,
            cv,
            """CASE WHEN s._scope = 'commune' AND rc.raw IS NULL
                    THEN 'commune manquante pour un objectif communal'
                    WHEN s._scope = 'commune' THEN rc.err END""",
        )
    )
    q.checks.append(
        (
            "CASE WHEN s.f_ept IS NOT NULL THEN 'ept' ELSE 'scope_code' END",
            ev,
            """CASE WHEN s._scope = 'ept' AND re.raw IS NULL
                    THEN 'EPT manquant pour un objectif d''EPT'
                    WHEN s._scope = 'ept' THEN re.err END""",
        )
    )
    q.check(
        "scope_code",
        "s.f_scope_code",
        """CASE WHEN s._scope = 'departement' AND s.f_scope_code IS NOT NULL
                     AND obs_nospace(s.f_scope_code) NOT IN ('93', '93.0')
                THEN 'code incohérent avec le périmètre département (93 attendu)' END""",
    )
    q.outputs["scope"] = "s._scope"
    q.outputs["scope_code"] = (
        "CASE s._scope WHEN 'departement' THEN '93' WHEN 'commune' THEN rc.code "
        "WHEN 'ept' THEN re.code END"
    )
    _resolve_date(con, "deadline", schemas.DEADLINE)
    _typed(q, "deadline", "deadline", False)
    for name in ("label", "public", "operator", "funder"):
        _text(con, q, name)
    _record_duplicates(con, q, present)


def _programmes(con, q: _Query) -> None:
    q.outputs["id"] = "s.f_pid"
    q.check(
        "id",
        "s.f_id",
        """CASE WHEN s.f_pid IS NULL OR s.f_pid = '' THEN 'identifiant manquant'
                WHEN NOT regexp_matches(s.f_pid, '^[A-Za-z0-9][A-Za-z0-9_.-]*$')
                THEN 'identifiant invalide (lettres sans accents, chiffres, - _ . seulement)'
                END""",
    )
    _text(con, q, "name", required=True)
    _text(con, q, "operator")
    _text(con, q, "description")
    for name in ("start_date", "end_date"):
        _resolve_date(con, name, schemas.DEADLINE)
        _typed(q, name, name, False)
    q.check(
        "end_date",
        "s.f_end_date",
        "CASE WHEN r_end_date.val < r_start_date.val THEN 'fin antérieure au début' END",
    )
    q.joins.append(
        "LEFT JOIN (SELECT lower(id) AS key, any_value(id) AS id, any_value(source) AS source "
        "FROM programmes GROUP BY 1) p_id ON p_id.key = lower(s.f_pid)"
    )
    q.check(
        "id",
        "s.f_pid",
        """CASE WHEN p_id.id IS NOT NULL THEN 'le programme « ' || p_id.id
                || ' » existe déjà (source « ' || p_id.source || ' ») ; pour le corriger, '
                || 'rechargez son fichier avec --replace' END""",
    )
    q.joins.append(
        "LEFT JOIN (SELECT obs_name(name) AS key, any_value(id) AS id FROM programmes "
        "GROUP BY 1) p_name ON p_name.key = obs_name(s.f_name)"
    )
    q.check(
        "name",
        "s.f_name",
        """CASE WHEN p_id.id IS NULL AND p_name.id IS NOT NULL
                THEN 'un programme de même nom existe déjà : ' || p_name.id END""",
    )
    has_id = "s.f_pid IS NOT NULL"
    _duplicates(con, q, "s.f_pid", has_id, "s.f_pid", "id")


# --- the load -------------------------------------------------------------------------------


def _read_input(path_or_bytes, file_name: str | None) -> tuple[readers.Source, str]:
    """The file given, not read yet: a path is read by pieces, never whole."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return readers.Source(data=bytes(path_or_bytes)), file_name or "fichier"
    path = Path(path_or_bytes)
    name = file_name or path.name
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise FileRefused(f"Le fichier « {path} » est introuvable.") from exc
    except IsADirectoryError as exc:
        raise FileRefused(f"« {path} » est un dossier, pas un fichier.") from exc
    except OSError as exc:
        raise FileRefused(f"Le fichier « {path} » ne peut pas être lu ({exc.strerror}).") from exc
    return readers.Source(path=path), name


def _spill_folder(db: Path) -> str:
    """A private folder beside the warehouse where DuckDB spills; those of loads that were
    killed (their process is gone) are removed."""
    for old in db.parent.glob(f"{TEMP_PREFIX}*"):
        try:
            pid = int(old.name[len(TEMP_PREFIX) :].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, PermissionError):
            continue
    return tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=db.parent)


def _bound_memory(con: duckdb.DuckDBPyConnection, folder: str) -> None:
    """Spill instead of growing. Settings of the database instance, which this write
    connection normally has to itself (another connection of this process to the same
    file in write mode would keep the settings it has)."""
    with contextlib.suppress(duckdb.Error):  # already used by that other connection
        con.execute(f"SET temp_directory = {_lit(folder)}")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")


def load_file(
    db: Path,
    kind: str,
    path_or_bytes: Path | str | bytes,
    file_name: str | None = None,
    source_label: str | None = None,
    replace: bool = False,
    sheet: str | None = None,
    timeout_s: float = 30.0,
    loaded_by: str | None = None,
) -> LoadResult:
    """Load one file into the warehouse, in one transaction; see the module docstring.
    LOADED_BY: who loads it, recorded in the ledger (signed-in e-mail, or « cli »).

    Raises FileRefused (one French sentence) when the whole file is refused; the warehouse is
    then left exactly as it was. Rows breaking a rule are recorded in ``rejected_rows``.
    """
    if kind not in schemas.CONTRACTS:
        raise EtlError(
            f"Type de fichier inconnu : « {kind} » (attendu : {', '.join(schemas.KINDS)})."
        )
    db = Path(db)
    if not db.exists():
        raise EtlError(f"Aucun entrepôt à {db} : lancez « python -m etl init ».")
    source, name = _read_input(path_or_bytes, file_name)
    label = (source_label or "").strip() or name
    contract = schemas.CONTRACTS[kind]
    result = LoadResult(kind=kind, file_name=name, source_label=label)

    raw = readers.read_table(source, name, schemas.synonyms_of(contract), sheet)
    result.format, result.encoding, result.separator = raw.format, raw.encoding, raw.separator
    result.sheet, result.header_row = raw.sheet, raw.header_row
    cols = match_columns(raw.headers, contract, name)
    result.dropped_personal_columns = [header for header, _ in cols.personal]
    result.ignored_columns = [*cols.ignored, *cols.doubled]
    result.messages.extend(cols.messages)
    if cols.personal:
        result.messages.append(
            "Colonnes de données personnelles supprimées avant tout enregistrement : "
            + ", ".join(f"« {h} » ({what})" for h, what in cols.personal)
            + "."
        )
    if cols.ignored:
        result.messages.append(
            "Colonnes inconnues ignorées : " + ", ".join(f"« {h} »" for h in cols.ignored) + "."
        )
    result.encoding = raw.encoding

    scan = _scan(source)
    digest = scan.sha256 + (f":{sheet}" if sheet else "")
    con = connect(db, timeout_s=timeout_s)  # waits for other holders, then WarehouseBusy
    spill = _spill_folder(db)
    try:
        _bound_memory(con, spill)
        _macros(con)
        # This connection holds the warehouse file for writing: no other process can change
        # it until we close, so what is read here still holds inside the transaction below.
        existing = find_active(con, kind, digest)
        if existing is not None:
            result.already_loaded = True
            result.load_id = existing
            result.rows_read = 0
            result.messages.append(
                f"Ce fichier est déjà chargé (chargement n° {existing}) : rien n'a changé."
            )
            return result
        previous = [
            row[0]
            for row in con.execute(
                "SELECT load_id FROM loads WHERE kind = ? AND source_label = ? "
                "AND replaced_at IS NULL AND removed_at IS NULL ORDER BY load_id",
                [kind, label],
            ).fetchall()
        ]
        if previous and not replace:
            raise FileRefused(
                f"La source « {label} » a déjà un chargement de {KIND_LABELS[kind]} "
                f"(n° {', '.join(map(str, previous))}) : pour corriger ce fichier, relancez "
                "avec --replace ; pour ajouter un autre fichier, donnez-lui une autre "
                "--source."
            )
        # The rows are read into temporary tables (never written to the warehouse file)
        # before the transaction: a failed attempt (not UTF-8 after all…) can be retried.
        result.rows_read, total_row = _stage(con, raw, cols, contract, scan.lines, name)
        raw.arrow = source.data = None  # read: free the file's bytes (memory peak)
        if total_row is not None:
            result.messages.append(
                f"La ligne {total_row} (total) n'est pas comptée comme une donnée."
            )
        result.encoding = raw.encoding
        con.begin()
        try:
            if previous:
                marks = ", ".join(str(int(i)) for i in previous)
                con.execute(f"UPDATE loads SET replaced_at = now() WHERE load_id IN ({marks})")
                con.execute(f"DELETE FROM {contract.table} WHERE load_id IN ({marks})")
                result.replaced_loads = previous
            load_id = record(
                con,
                LoadRecord(
                    kind=kind,
                    file_name=name,
                    source_label=label,
                    sha256=digest,
                    loaded_by=loaded_by,
                ),
            )
            # Lookups, distinct values and per-row checks are all keyed by row number: the
            # order in which their rows are stored does not matter (less memory, parallel).
            con.execute("SET preserve_insertion_order = false")
            _reference_keys(con)
            query, table, columns = _validate(con, kind, set(cols.index), contract)
            extra = {"load_id": str(int(load_id))}
            if kind in ("distributions", "funding"):
                extra["is_demo"] = "false"
            if kind in ("targets", "programmes"):
                extra["source"] = "$label"
            # Checked before anything is inserted: checks against existing rows (programmes)
            # must not see this load's own rows.
            chk = query.chk_sql()
            if chk is not None:
                con.execute(chk)
            con.execute("RESET preserve_insertion_order")  # rejects: in file order
            con.execute(query.bad_sql())
            _small_table(
                con,
                "column_labels",
                {"f": list(cols.labels), "label": list(cols.labels.values())},
            )
            con.execute(query.rejects_sql(), {"load": load_id})
            con.execute("DROP TABLE column_labels")
            # The order of the inserted rows does not matter: let DuckDB insert in parallel.
            con.execute("SET preserve_insertion_order = false")
            con.execute(
                query.insert_sql(table, columns, extra),
                {"label": label} if "source" in extra else None,
            )
            if table == "distributions":  # its summaries move with it
                summary.refresh(con, loads=[*previous, load_id])
            elif table == "targets":
                target_shares.refresh(con)
            con.execute("RESET preserve_insertion_order")
            rejected = con.execute("SELECT count(*) FROM bad").fetchall()[0][0]
            loaded = result.rows_read - rejected
            result.load_id, result.rows_loaded, result.rows_rejected = load_id, loaded, rejected
            update_counts(
                con,
                load_id,
                LoadRecord(
                    kind=kind,
                    file_name=name,
                    source_label=label,
                    sha256=digest,
                    rows_read=result.rows_read,
                    rows_loaded=loaded,
                    rows_rejected=rejected,
                ),
            )
            _test_pause()
            con.commit()
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            if isinstance(exc, duckdb.Error):  # disk full, damaged warehouse…: said in French
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise EtlError(
                    f"Le chargement de « {name} » a échoué et a été entièrement annulé : "
                    f"l'entrepôt est inchangé (détail technique : {detail})."
                ) from exc
            raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    if result.replaced_loads:
        result.messages.append(
            "Chargement(s) remplacé(s) : n° "
            + ", ".join(map(str, result.replaced_loads))
            + " (leurs lignes ont été retirées)."
        )
    if result.rows_loaded == 0:
        result.messages.append("Aucune ligne n'est valide : rien n'a été ajouté aux données.")
    return result


def _test_pause() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        path = Path(marker)
        path.write_text("in transaction\n", encoding="utf-8")
        deadline = time.monotonic() + 120
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def rejects_of(con: duckdb.DuckDBPyConnection, load_id: int) -> list[tuple]:
    """(row number, column, value, reason) of a load's rejected rows, in file order."""
    return con.execute(
        """SELECT row_number, "column", value, reason FROM rejected_rows
           WHERE load_id = ? ORDER BY row_number, rowid""",
        [load_id],
    ).fetchall()


def neutralise_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
