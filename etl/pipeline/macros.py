"""SQL macros and literals shared by the load's steps (on the load's write connection).

The obs_* macros clean and normalise text the same way wherever a value is matched
(communes, EPTs, programmes, items, keywords).
"""

from __future__ import annotations

import duckdb

SPACES = " \t\r\n\u00a0\u202f\u2009\u2007\ufeff"

MACROS = [
    f"""CREATE OR REPLACE TEMP MACRO obs_clean(x) AS nullif(trim(x, '{SPACES}'), '')""",
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
            regexp_replace(x, '[{SPACES}'']', '', 'g')""",
]


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    for sql in MACROS:
        con.execute(sql)


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def small_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]) -> None:
    """A temporary table of a few text rows from Python lists (``con.register`` would import
    pandas: ≈ 0,3 s of a command-line load)."""
    select = ", ".join(f"unnest(${c}::VARCHAR[]) AS {c}" for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}", columns)
