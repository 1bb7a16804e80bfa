"""Step 3 (in the warehouse transaction): every rule of a kind as SQL over the whole staged
table: the values resolved (etl/pipeline/resolve.py) joined back, one reason expression per
rule; Query then gives the SQL that sets the failing rows aside, records their reasons and
inserts the valid ones (etl/pipeline/write.py runs it).
"""

from __future__ import annotations

from etl import schemas
from etl.pipeline.macros import lit
from etl.pipeline.resolve import (
    resolve_amount,
    resolve_commune,
    resolve_date,
    resolve_ept,
    resolve_keyword,
    resolve_programme,
    resolve_quantity,
    resolve_text,
)

MAX_VALUE_CHARS = 200  # longer offending values are cut in rejected_rows


class Query:
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
        f = "NULL::VARCHAR" if field_name is None else lit(field_name)
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


_HAS_ID = "nullif(trim(s.f_record_id), '') IS NOT NULL"


def _duplicates(con, q: Query, key: str, has_id: str, id_value: str, id_field: str) -> None:
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


def _record_duplicates(con, q: Query, present: set[str]) -> None:
    if "record_id" in present:
        key = f"CASE WHEN {_HAS_ID} THEN 'i' || trim(s.f_record_id) ELSE 'h' || s._hash END"
        _duplicates(con, q, key, _HAS_ID, "trim(s.f_record_id)", "record_id")
    else:
        _duplicates(con, q, "s._hash", "false", "NULL", "record_id")


def _typed(q: Query, name: str, out: str | None, required: bool) -> None:
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


def _text(con, q: Query, name: str, required: bool = False, out: str | None = None) -> None:
    resolve_text(con, name)
    _typed(q, name, out or name, required)


_COMMUNE_FIELDS = ("commune_code", "postal_code", "commune_name")


def _commune_value(present: set[str]) -> tuple[str, str]:
    """(value, field) SQL of the first commune column given on the row."""
    fields = [f for f in _COMMUNE_FIELDS if f in present] or ["commune_name"]
    if len(fields) == 1:
        return f"s.f_{fields[0]}", lit(fields[0])
    value = "coalesce(" + ", ".join(f"nullif(trim(s.f_{f}), '')" for f in fields) + ")"
    which = "CASE " + " ".join(
        f"WHEN nullif(trim(s.f_{f}), '') IS NOT NULL THEN '{f}'" for f in fields
    )
    return value, which + f" ELSE '{fields[0]}' END"


def _commune_checks(con, q: Query, present: set[str], required: bool) -> None:
    value, which = _commune_value(present)
    resolve_commune(con, value)
    single = value.startswith("s.f_") and value[4:] in _COMMUNE_FIELDS
    key = q.key(value[4:]) if single else f"hash({value})"
    q.joins.append(f"LEFT JOIN r_commune rc ON rc.h = {key}")
    q.outputs["commune_code"] = "rc.code"
    missing = "'commune manquante'" if required else "NULL"
    q.checks.append((which, value, f"CASE WHEN rc.raw IS NULL THEN {missing} ELSE rc.err END"))


def _unknown(what: str, values) -> str:
    return f"{what} inconnu (attendu : " + ", ".join(values) + ")"


def validate(con, kind: str, present: set[str], contract: schemas.Contract):
    """Resolve the values; return the checks, the target table and its columns."""
    q = Query(hashed=kind in ("distributions", "funding"))
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
        resolve_date(con, "date", mode)
        _typed(q, "date", "date", True)
        _commune_checks(con, q, present, required=kind == "distributions")
        resolve_programme(con)
        _typed(q, "programme", "programme_id", True)
    if kind == "distributions":
        resolve_keyword(con, "item", "k_item", _unknown("équipement", schemas.ITEMS))
        _typed(q, "item", "item", True)
        resolve_quantity(con, "quantity")
        _typed(q, "quantity", "quantity", True)
        _text(con, q, "public")
        _text(con, q, "operator")
        _record_duplicates(con, q, present)
        columns = ["date", "commune_code", "programme_id", "item", "quantity", "public", "operator"]
    elif kind == "funding":
        _text(con, q, "funder", required=True)
        resolve_ept(con, "s.f_ept")
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
        resolve_amount(con, "amount", "montant")
        _typed(q, "amount", "amount_eur", True)
        _text(con, q, "scheme")
        unknown_type = _unknown("type de financeur", schemas.FUNDER_TYPES)
        resolve_keyword(con, "funder_type", "k_funder_type", unknown_type)
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


def _targets(con, q: Query, present: set[str]) -> None:
    resolve_programme(con)
    _typed(q, "programme", "programme_id", True)
    resolve_keyword(con, "indicator", "k_indicator", _unknown("indicateur", schemas.INDICATORS))
    _typed(q, "indicator", "indicator", True)
    resolve_keyword(con, "item", "k_item", _unknown("équipement", schemas.ITEMS))
    _typed(q, "item", "item", False)
    resolve_amount(con, "target_value", "objectif")
    _typed(q, "target_value", "target_value", True)
    units = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in schemas.DEFAULT_UNITS.items())
    q.outputs["unit"] = f"coalesce(s.f_unit, CASE r_indicator.val {units} END)"
    resolve_keyword(con, "scope", "k_scope", _unknown("périmètre", schemas.SCOPES))
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
    resolve_commune(con, cv)
    resolve_ept(con, ev)
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
    resolve_date(con, "deadline", schemas.DEADLINE)
    _typed(q, "deadline", "deadline", False)
    for name in ("label", "public", "operator", "funder"):
        _text(con, q, name)
    _record_duplicates(con, q, present)


def _programmes(con, q: Query) -> None:
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
        resolve_date(con, name, schemas.DEADLINE)
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
