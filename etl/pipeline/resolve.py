"""Step 3 (in the warehouse transaction): each column's distinct values resolved once to what
they mean (commune code, EPT, programme, item, date, quantity, amount…) with their error,
in tables r_<field> that the checks join back to the rows (etl/pipeline/validate.py).
"""

from __future__ import annotations

import duckdb

from etl import schemas
from etl.errors import EtlError
from etl.pipeline.macros import SPACES, create_macros, lit, small_table


def reference_keys(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TEMP TABLE k_commune AS "
        "SELECT obs_name(name) AS key, code, name AS label FROM communes "
        "UNION SELECT obs_name(f.name), f.current_code, c.name "
        "FROM commune_former_names f JOIN communes c ON c.code = f.current_code"
    )
    small_table(
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
    small_table(
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
        small_table(con, "syn", {"canon": [c for c, _ in pairs], "name": [s for _, s in pairs]})
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


def resolve_commune(con, expr: str) -> None:
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


def resolve_ept(con, expr: str) -> None:
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


def resolve_programme(con) -> None:
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


def resolve_keyword(con, name: str, table: str, unknown: str) -> None:
    norm = {"k_item": "obs_item"}.get(table, "obs_key")
    con.execute(
        f"""CREATE TEMP TABLE r_{name} AS
        WITH {_distinct(con, name, f"s.f_{name}")}
        SELECT d.raw, d.h, d.v, k.canon AS val,
               CASE WHEN k.canon IS NULL THEN {lit(unknown)} END AS err
        FROM d LEFT JOIN {table} k ON k.key = {norm}(d.v)"""
    )


def resolve_text(con, name: str) -> None:
    con.execute(
        f"""CREATE TEMP TABLE r_{name} AS WITH {_distinct(con, name, f"s.f_{name}")}
            SELECT raw, h, v, v AS val, NULL::VARCHAR AS err FROM d"""
    )


def resolve_date(con, name: str, mode: str) -> None:
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


def resolve_quantity(con, name: str) -> None:
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


def resolve_amount(con, name: str, what: str) -> None:
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


def resolve_communes(
    con: duckdb.DuckDBPyConnection, values: list[str | None]
) -> dict[str, tuple[str | None, str | None]]:
    """value → (current code, None) or (None, French reason), for INSEE codes (current or
    former), postal codes and names of the 93's communes: :func:`resolve_commune` over the
    distinct values, for the need-side parsers (etl/need/)."""
    distinct = sorted({v for v in values if v and v.strip(SPACES)})
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
