"""Kind ``indicateurs``: commune-level indicators of need (digital fragility, age, poverty,
fibre coverage…) into ``indicator_values`` and their catalogue ``indicators``.

Layouts (etl/need/layouts.py): La MedNum IFN, INSEE census by age and Filosofi (CODGEO),
ARCEP « Ma connexion internet », Observatoire des territoires (one indicator per column,
CSV or XLSX) and the plain long format. Rules:

- only the 93's communes are kept: rows whose code is outside the 93, or of another level
  (EPT, département, or ``division`` other than ``city``), are skipped and counted in one
  line each, never stored as rejects;
- a value under statistical secrecy (s, nd, ns, nc, so, -, empty) is never a number: it is
  skipped and counted; a value that is no number at all is rejected with its reason;
- values of former communes (93059 Pierrefitte-sur-Seine and 93066 Saint-Denis, 2024
  geography) are combined into the current commune: counts (measure ``effectif``) added,
  rates and scores weighted by each former commune's population (population municipale
  2022, data/reference/communes-2024.csv; for the census shares, by the file's own
  population, which gives the share of the summed counts); ``merged_from`` says so;
- an unknown numeric column is loaded under its normalised name, with a warning; its
  measure is ``taux`` (unit %, scale 0–100) when its unit says % or when all its values lie
  within 0–100 and its name speaks of a rate (part, taux, tx, pct, pourcentage, ratio,
  rate, percent, proportion), else ``effectif`` (unit nombre).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl import schemas
from etl.need import common, layouts
from etl.need.common import BAD, SECRET, Context, Parsed, Table, clean, code_of
from etl.need.layouts import Layout
from etl.schemas import header_key, personal_data_kind

MEDNUM = "La MedNum – Indice de fragilité numérique"
INSEE_RP = "INSEE – recensement"
INSEE_FILO = "INSEE – Filosofi"
ARCEP = "ARCEP – Ma connexion internet"
AIDANTS_CONNECT = "ANCT – Aidants Connect (statistiques des structures)"
HELP = "Aide apportée (Aidants Connect)"  # the group that marks a help measure
ARCEP_LAYOUTS = ("arcep", "arcep_debit", "arcep_debit_2019")
# ARCEP débit classes: in the 2019 beta layout exclusive (they add up to nbr), since then
# cumulative (each counts the premises at or above its speed).
DEBIT_2019 = (
    "inel_hd",
    "elig_hd05",
    "elig_hd3",
    "elig_hd8",
    "elig_thd30",
    "elig_thd100",
    "elig_thd1g",
)
DEBIT_COLUMNS = {"nbr", *DEBIT_2019, "elig_bhd8"}
# Aidants Connect: the three totals of a structure (themes are not loaded).
AC_COLUMNS = {
    "nombre_d_aidants": "aidants_connect_aidants",
    "nombre_d_usagers_uniques": "aidants_connect_usagers",
    "nombre_de_demarche_par_structure": "aidants_connect_demarches",
}

# The catalogue's counts of people under statistical secrecy (etl/protect_need.py protects
# them like the help records): the usagers Aidants Connect helped, and their démarches (each
# usager has at least one, so fewer than 5 démarches bound the people helped under 5). Not
# the aidants habilités: professionals of the structures, not the people helped, and counts
# the ANCT itself publishes structure by structure. Not the INSEE population counts (public).
# An unknown column loaded as an indicator is not protected: nothing says it counts people
# (README, « Secret statistique »).
PEOPLE_COUNTS = frozenset({"aidants_connect_usagers", "aidants_connect_demarches"})


def _entry(label, unit, direction, measure, grp, source, lo=None, hi=None):
    return {
        "label": label,
        "unit": unit,
        "scale_min": lo,
        "scale_max": hi,
        "direction": direction,
        "measure": measure,
        "grp": grp,
        "source": source,
    }


FN = "Fragilité numérique"
CATALOGUE: dict[str, dict] = {
    "ifn": _entry(
        "Indice de fragilité numérique (total)",
        "score",
        "fragile_haut",
        "score",
        FN,
        MEDNUM,
        0.0,
        10.0,
    ),
    "ifn_thd": _entry(
        "IFN – absence de couverture très haut débit",
        "score",
        "fragile_haut",
        "score",
        FN,
        MEDNUM,
        0.0,
        10.0,
    ),
    "ifn_4g": _entry(
        "IFN – absence de couverture 4G", "score", "fragile_haut", "score", FN, MEDNUM, 0.0, 10.0
    ),
    "ifn_pauvrete": _entry(
        "IFN – pauvreté", "score", "fragile_haut", "score", FN, MEDNUM, 0.0, 10.0
    ),
    "ifn_65_ans": _entry(
        "IFN – part des 65 ans et plus", "score", "fragile_haut", "score", FN, MEDNUM, 0.0, 10.0
    ),
    "ifn_peu_diplomes": _entry(
        "IFN – personnes peu ou pas diplômées",
        "score",
        "fragile_haut",
        "score",
        FN,
        MEDNUM,
        0.0,
        10.0,
    ),
    "part_60_ans_plus": _entry(
        "Part des 60 ans et plus", "%", "fragile_haut", "taux", "Population", INSEE_RP, 0.0, 100.0
    ),
    "part_75_ans_plus": _entry(
        "Part des 75 ans et plus", "%", "fragile_haut", "taux", "Population", INSEE_RP, 0.0, 100.0
    ),
    "taux_pauvrete": _entry(
        "Taux de pauvreté (seuil de 60 %)",
        "%",
        "fragile_haut",
        "taux",
        "Revenus",
        INSEE_FILO,
        0.0,
        100.0,
    ),
    "part_thd30": _entry(
        "Part des locaux éligibles au très haut débit (≥ 30 Mbit/s)",
        "%",
        "fragile_bas",
        "taux",
        "Couverture numérique",
        ARCEP,
        0.0,
        100.0,
    ),
    "aidants_connect_usagers": _entry(
        "Aidants Connect – usagers uniques accompagnés",
        "nombre",
        "neutre",
        "effectif",
        HELP,
        AIDANTS_CONNECT,
    ),
    "aidants_connect_demarches": _entry(
        "Aidants Connect – démarches réalisées",
        "nombre",
        "neutre",
        "effectif",
        HELP,
        AIDANTS_CONNECT,
    ),
    "aidants_connect_aidants": _entry(
        "Aidants Connect – aidants habilités", "nombre", "neutre", "effectif", HELP, AIDANTS_CONNECT
    ),
    "part_fibre": _entry(
        "Part des locaux éligibles à la fibre (FttH)",
        "%",
        "fragile_bas",
        "taux",
        "Couverture numérique",
        ARCEP,
        0.0,
        100.0,
    ),
}
IFN_VINTAGE = "2021-2023"
# Names under which a file (long format, a column of an Observatoire des territoires export)
# gives a known indicator; compared normalised (header_key).
ALIASES: dict[str, str] = {
    header_key(a): i
    for i, names in {
        "ifn": ("ifn", "indice de fragilité numérique", "indice fragilite numerique", "total"),
        "ifn_thd": ("ifn_thd", "no_thd_coverage_rate"),
        "ifn_4g": ("ifn_4g", "no_4g_coverage_rate"),
        "ifn_pauvrete": ("ifn_pauvrete", "poverty_rate"),
        "ifn_65_ans": ("ifn_65_ans", "older_65_rate"),
        "ifn_peu_diplomes": ("ifn_peu_diplomes", "nscol15p_rate"),
        "part_60_ans_plus": (
            "part_60_ans_plus",
            "part des 60 ans et plus",
            "part_60_ans",
            "part des 60 ans ou plus",
            "pop_60_ans_plus_pct",
        ),
        "part_75_ans_plus": (
            "part_75_ans_plus",
            "part des 75 ans et plus",
            "part_75_ans",
            "part des 75 ans ou plus",
        ),
        "taux_pauvrete": (
            "taux_pauvrete",
            "taux de pauvreté",
            "taux de pauvrete 60",
            "tx_pauvrete",
            "tx_pauvrete60",
            "tp60",
        ),
        "part_fibre": (
            "part_fibre",
            "part des locaux éligibles à la fibre",
            "taux_ftth",
            "couverture fibre",
            "part_ftth",
        ),
    }.items()
    for a in names
}
_RATE_HINT = re.compile(
    r"(^|_)(part|parts|taux|tx|pct|pourcentage|ratio|rate|percent|proportion|share)(_|$)"
)


@dataclass
class _Value:
    row: int
    column: str | None  # header as written (rejects)
    src: str  # the commune value as written (code or name)
    indicator: str
    year: int | None
    value: float
    weight: float | None = None  # overrides the former commune's population
    code: str | None = None  # current code, once resolved
    rows: tuple[int, ...] = ()  # further rows summed into this value (Aidants Connect)


def quarter_of(value: object) -> str | None:
    """« T3 2024 » from 2024-09-30, 30/09/2024, 2024T3, T3 2024 (ARCEP's vintages)."""
    text = clean(value) or ""
    m = re.search(r"(\d{4})\s*[_-]?\s*[tTqQ]([1-4])|[tTqQ]([1-4])\s*[_-]?\s*(\d{4})", text)
    if m:
        return f"T{m[2] or m[3]} {m[1] or m[4]}"
    d = common.parse_date(text)
    return f"T{(d.month - 1) // 3 + 1} {d.year}" if d else None


def _catalogue_unknown(ident: str, label: str, unit: str | None, values: list[float]) -> dict:
    u = (unit or "").strip().lower()
    if u in ("%", "pourcentage", "pourcent", "pct", "taux") or (
        values and all(0 <= v <= 100 for v in values) and _RATE_HINT.search(ident)
    ):
        return _entry(label, "%", "neutre", "taux", "Autres indicateurs", "", 0.0, 100.0)
    if u == "score":
        return _entry(label, "score", "neutre", "score", "Autres indicateurs", "")
    return _entry(label, "nombre", "neutre", "effectif", "Autres indicateurs", "")


def _debit_share(table, layout, cells, number, src, year, p, secret, values) -> None:
    """The share of premises with at least 30 Mbit/s from an ARCEP débit row."""
    classes = (
        DEBIT_2019
        if layout.name == "arcep_debit_2019"
        else ("elig_thd30", "elig_thd100", "elig_thd1g")
    )
    idx = {k: table.index(k) for k in ("nbr", *classes) if table.index(k) is not None}
    nums = {k: common.parse_number(cells[i]) for k, i in idx.items()}
    if any(s in (SECRET, common.EMPTY) for s, _ in nums.values()):
        secret.append((number, "part_thd30"))
        return
    bad = next((k for k, (s, _) in nums.items() if s == BAD), None)
    if bad is not None:
        p.reject(
            number, table.headers[idx[bad]], cells[idx[bad]], "valeur illisible (nombre attendu)"
        )
        return
    n = nums["nbr"][1]
    v = {k: x for k, (_, x) in nums.items()}
    if n <= 0:
        p.reject(
            number,
            table.headers[idx["nbr"]],
            cells[idx["nbr"]],
            "aucun local (nbr = 0) : part incalculable",
        )
        return
    if layout.name == "arcep_debit_2019":
        total = sum(v.get(k, 0) for k in DEBIT_2019)
        if len(idx) == len(DEBIT_2019) + 1 and abs(total - n) > 0.5:
            p.reject(
                number,
                table.headers[idx["nbr"]],
                cells[idx["nbr"]],
                f"les classes de débit font {total:g} locaux et non nbr = {n:g} : classes "
                "cumulées ? (le format bêta 2019 a des classes exclusives)",
            )
            return
        above = v["elig_thd30"] + v["elig_thd100"] + v["elig_thd1g"]
    else:
        steps = [v[k] for k in ("elig_thd30", "elig_thd100", "elig_thd1g") if k in v]
        if any(a < b for a, b in zip(steps, steps[1:], strict=False)):
            p.reject(
                number,
                table.headers[idx["elig_thd30"]],
                cells[idx["elig_thd30"]],
                "classes de débit non cumulées (elig_thd30 < elig_thd100) : fichier au format "
                "bêta 2019 ?",
            )
            return
        above = v["elig_thd30"]
    values.append(
        _Value(
            number,
            table.headers[idx["elig_thd30"]],
            src,
            "part_thd30",
            year,
            above / n * 100,
            weight=n,
        )
    )


def parse(table: Table, layout: Layout, ctx: Context) -> Parsed:
    p = Parsed(rows_read=len(table.rows))
    cols = layout.columns
    code_i, name_i = cols.get("code"), cols.get("name")
    division_i = table.index("division")
    year_i = table.index(*schemas.YEAR_KEYS) if layout.name != "long" else cols.get("year")
    outside: list[int] = []
    other_level: list[int] = []
    secret: list[tuple[int, str]] = []
    values: list[_Value] = []
    unknown: dict[str, dict] = {}  # id → {"label", "unit", "values"}
    consumed = {i for i in (code_i, name_i, division_i, year_i) if i is not None}
    text_columns: list[str] = []
    personal: list[str] = []
    set_aside: list[str] = []  # columns of a known layout that are not loaded
    quarters: set[str] = set()  # ARCEP: the quarters of the file (its vintage)
    date_i = table.index("date")

    # Columns of the wide layouts: direct indicators, derived ones, unknown numeric ones.
    direct: dict[int, tuple[str, int | None]] = {}
    census: dict[str, dict[str, int]] = {}  # "21" → {"pop": i, "6074": i, …}
    if layout.name != "long":
        for i, key in enumerate(table.keys):
            if i in consumed or not key:
                continue
            m_c, m_f = schemas.CENSUS.match(key), schemas.FILOSOFI.match(key)
            if layout.name == "aidants_connect":
                if key in AC_COLUMNS:
                    direct[i] = (AC_COLUMNS[key], None)
                elif key not in schemas.NOT_INDICATORS:
                    set_aside.append(table.headers[i])
            elif layout.name in ("arcep_debit", "arcep_debit_2019") and key in DEBIT_COLUMNS:
                pass
            elif layout.name == "ifn" and key in schemas.IFN_COLUMNS:
                direct[i] = (schemas.IFN_COLUMNS[key], None)
            elif m_c:
                census.setdefault(m_c[1], {})[m_c[2] or "pop"] = i
            elif m_f:
                direct[i] = ("taux_pauvrete", 2000 + int(m_f[1]))
            elif (
                (layout.name == "arcep" and key in ("nbr", "elig_ftth"))
                or key in schemas.NOT_INDICATORS
                or key in schemas.NAME_KEYS
            ):
                pass
            elif key not in ALIASES and personal_data_kind(key) is not None:
                personal.append(table.headers[i])  # never read, even when numeric
            elif key in ALIASES:
                direct[i] = (ALIASES[key], None)
            else:
                direct[i] = (key, None)
                unknown[key] = {
                    "label": table.headers[i],
                    "unit": None,
                    "values": [],
                    "candidate": True,
                }

    def commune_of(cells) -> str | None:
        v = code_of(cells[code_i]) if code_i is not None else None
        if v is None and name_i is not None:
            v = clean(cells[name_i])
        return v

    kept_rows: list[tuple[int, list, str]] = []
    for number, cells in table.rows:
        src = commune_of(cells)
        if division_i is not None and (clean(cells[division_i]) or "").lower() not in ("city", ""):
            other_level.append(number)
            continue
        if src is None:
            p.reject(
                number,
                table.headers[code_i if code_i is not None else name_i],
                None,
                "commune manquante",
            )
            continue
        if re.fullmatch(r"\d+|2[AB]\d{3}", src) and len(src) != 5:
            other_level.append(number)  # département (2 or 3 digits), EPT or EPCI (SIREN)
            continue
        if re.fullmatch(r"\d{5}|2[AB]\d{3}", src) and not src.startswith("93"):
            outside.append(number)  # the contract's rule: OUTSIDE_SKIPPED (national files)
            continue
        kept_rows.append((number, cells, src))

    for number, cells, src in kept_rows:
        row_year = common.year_in(cells[year_i]) if year_i is not None else None
        if layout.name == "long":
            ind_text = clean(cells[cols["indicator"]])
            if ind_text is None:
                p.reject(number, table.headers[cols["indicator"]], None, "indicateur manquant")
                continue
            key = header_key(ind_text)
            ident = ALIASES.get(key, key)
            status, v = common.parse_number(cells[cols["value"]])
            header = table.headers[cols["value"]]
            if status == SECRET or status == common.EMPTY:
                secret.append((number, header))
                continue
            if status == BAD:
                p.reject(number, header, cells[cols["value"]], "valeur illisible (nombre attendu)")
                continue
            if ident not in CATALOGUE:
                u = unknown.setdefault(ident, {"label": ind_text, "unit": None, "values": []})
                if "unit" in cols and clean(cells[cols["unit"]]):
                    u["unit"] = clean(cells[cols["unit"]])
                u["values"].append(v)
            values.append(_Value(number, header, src, ident, row_year or ctx.year, v))
            continue
        for i, (ident, year) in direct.items():
            status, v = common.parse_number(cells[i])
            if status in (SECRET, common.EMPTY):
                secret.append((number, table.headers[i]))
                continue
            if status == BAD:
                if ident in unknown:
                    unknown[ident]["candidate"] = False
                    continue
                p.reject(number, table.headers[i], cells[i], "valeur illisible (nombre attendu)")
                continue
            if ident in unknown:
                unknown[ident]["values"].append(v)
            values.append(
                _Value(number, table.headers[i], src, ident, year or row_year or ctx.year, v)
            )
        for yy, c in census.items():
            year = 2000 + int(yy)
            if "pop" not in c:
                continue
            nums = {}
            for part, i in c.items():
                status, v = common.parse_number(cells[i])
                nums[part] = (status, v, table.headers[i])
            st, pop, pop_header = nums["pop"]
            wanted = [
                ("part_60_ans_plus", ("6074", "7589", "90p")),
                ("part_75_ans_plus", ("7589", "90p")),
            ]
            for ident, parts in wanted:
                if not all(x in nums for x in parts):
                    continue
                states = [nums[x][0] for x in ("pop", *parts)]
                if any(s in (SECRET, common.EMPTY) for s in states):
                    secret.append((number, ident))
                    continue
                bad = [x for x in ("pop", *parts) if nums[x][0] == BAD]
                if bad:
                    _, _, h = nums[bad[0]]
                    p.reject(number, h, cells[c[bad[0]]], "valeur illisible (nombre attendu)")
                    continue
                if pop <= 0:
                    p.reject(
                        number, pop_header, cells[c["pop"]], "population nulle : part incalculable"
                    )
                    continue
                share = sum(nums[x][1] for x in parts) / pop * 100
                values.append(_Value(number, pop_header, src, ident, year, share, weight=pop))
        if layout.name in ARCEP_LAYOUTS and date_i is not None:
            q = quarter_of(cells[date_i])
            if q:
                quarters.add(q)
        if layout.name in ("arcep_debit", "arcep_debit_2019"):
            dated = common.year_in(cells[date_i]) if date_i is not None else None
            _debit_share(
                table, layout, cells, number, src, dated or row_year or ctx.year, p, secret, values
            )
        if layout.name == "arcep":
            i_n, i_f = table.index("nbr"), table.index("elig_ftth")
            s_n, n = common.parse_number(cells[i_n])
            s_f, f = common.parse_number(cells[i_f])
            year = (
                common.year_in(cells[table.index("date")])
                if table.index("date") is not None
                else None
            )
            if SECRET in (s_n, s_f) or common.EMPTY in (s_n, s_f):
                secret.append((number, "part_fibre"))
            elif BAD in (s_n, s_f):
                h = table.headers[i_n if s_n == BAD else i_f]
                p.reject(
                    number,
                    h,
                    cells[i_n if s_n == BAD else i_f],
                    "valeur illisible (nombre attendu)",
                )
            elif n <= 0:
                p.reject(
                    number,
                    table.headers[i_n],
                    cells[i_n],
                    "aucun local (nbr = 0) : part incalculable",
                )
            else:
                values.append(
                    _Value(
                        number,
                        table.headers[i_f],
                        src,
                        "part_fibre",
                        year or ctx.year,
                        f / n * 100,
                        weight=n,
                    )
                )

    # Unknown columns of wide layouts that are not numbers: ignored, not loaded.
    for ident, u in list(unknown.items()):
        if u.get("candidate") is False or (u.get("candidate") and not u["values"]):
            text_columns.append(u["label"])
            del unknown[ident]
            values = [v for v in values if v.indicator != ident]
            secret = [(n, h) for n, h in secret if h != u["label"]]

    if layout.name == "aidants_connect":  # several structures in a commune: their sum
        summed: dict[tuple, _Value] = {}
        for v in values:
            first = summed.get((v.src, v.indicator, v.year))
            if first is None:
                summed[(v.src, v.indicator, v.year)] = v
            else:
                first.value += v.value
                first.rows += (v.row,)
        values = list(summed.values())

    # Communes: one resolution for the distinct values.
    resolved = ctx.resolve_communes([v.src for v in values])
    good: list[_Value] = []
    commune_column = table.headers[code_i if code_i is not None else name_i]
    said: set[int] = set()
    for v in values:
        code, err = resolved.get(v.src, (None, "commune manquante"))
        if code is None:
            if v.row not in said:  # one reason per row, not one per value
                said.add(v.row)
                p.reject(v.row, commune_column, v.src, err)
            continue
        v.code = code
        good.append(v)

    measure = {i: CATALOGUE[i]["measure"] for i in CATALOGUE}
    for ident, u in unknown.items():
        measure[ident] = _catalogue_unknown(ident, u["label"], u["unit"], u["values"])["measure"]
    pops = common.populations_2024()
    groups: dict[tuple, list[_Value]] = {}
    for v in good:
        groups.setdefault((v.code, v.indicator, v.year), []).append(v)
    stored_rows: set[int] = set()
    out = []
    for (code, ident, year), vs in groups.items():
        by_src: dict[str, _Value] = {}
        for v in vs:
            if v.src in by_src:
                p.reject(
                    v.row,
                    v.column,
                    v.value,
                    f"valeur en double pour cette commune, cet indicateur et cette année "
                    f"(déjà donnée ligne {by_src[v.src].row})",
                )
                continue
            by_src[v.src] = v
        chosen = list(by_src.values())
        if len(chosen) == 1:
            value, merged = chosen[0].value, None
        elif measure[ident] == "effectif":
            value, merged = sum(v.value for v in chosen), " ".join(sorted(by_src))
        else:
            weights = [v.weight if v.weight is not None else pops.get(v.src, 0) for v in chosen]
            if sum(weights) <= 0:
                weights = [1.0] * len(chosen)
            value = sum(w * v.value for w, v in zip(weights, chosen, strict=True)) / sum(weights)
            merged = " ".join(sorted(by_src))
        stored_rows.update(v.row for v in chosen)
        stored_rows.update(r for v in chosen for r in v.rows)
        out.append(
            {
                "commune_code": code,
                "indicator": ident,
                "year": year,
                "value": value,
                "merged_from": merged,
                "is_demo": False,
            }
        )
    p.tables["indicator_values"] = out
    merges = sorted({o["merged_from"] for o in out if o["merged_from"]})

    # Row counts: loaded (at least one value stored), rejected (none, and a reason), skipped.
    p.rejected -= stored_rows
    p.loaded = len(stored_rows)
    p.skipped = p.rows_read - p.loaded - len(p.rejected)

    # Catalogue.
    used = sorted({o["indicator"] for o in out})
    for ident in used:
        years = sorted({o["year"] for o in out if o["indicator"] == ident and o["year"]})
        if ident in CATALOGUE:
            entry = dict(CATALOGUE[ident])
            if ctx.explicit_source:
                entry["source"] = ctx.explicit_source
        else:
            u = unknown[ident]
            entry = _catalogue_unknown(ident, u["label"], u["unit"], u["values"])
            entry["source"] = ctx.source_label
        if ident.startswith("ifn") and layout.name == "ifn" and not years:
            vintage = IFN_VINTAGE
        elif layout.name in ARCEP_LAYOUTS and quarters:
            vintage = ", ".join(sorted(quarters, key=lambda t: (t[3:], t[:2])))
        elif years:
            vintage = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
        else:
            vintage = None
        p.catalogue.append({"id": ident, **entry, "vintage": vintage})

    # Messages.
    p.messages.append(f"Format reconnu : {layout.label}.")
    if outside:
        p.messages.append(
            f"{common.french_int(len(outside))} lignes de communes hors de la Seine-Saint-Denis "
            "ignorées (non comptées comme rejets)."
        )
    if other_level:
        p.messages.append(
            f"{common.french_int(len(other_level))} lignes d'un autre niveau géographique que la "
            "commune (EPT, département, division ≠ city) ignorées."
        )
    if secret:
        rows = sorted({n for n, _ in secret})
        p.messages.append(
            f"{common.french_int(len(secret))} valeurs absentes ou couvertes par le secret "
            f"statistique (s, nd, ns, nc, so, -, vide) ignorées : lignes {common.rows_list(rows)}."
        )
    if merges:
        p.messages.append(
            "Valeurs des anciennes communes regroupées dans la commune actuelle (moyenne "
            "pondérée par la population pour les taux et scores, somme pour les effectifs) : "
            + ", ".join(merges)
            + "."
        )
    if unknown:
        p.messages.append(
            "Attention, colonnes ou indicateurs inconnus chargés sous leur propre nom : "
            + ", ".join(
                f"« {u['label']} » → {i} ({'taux, %' if measure[i] == 'taux' else measure[i]})"
                for i, u in unknown.items()
            )
            + " (voir docs/chargement.md)."
        )
    if personal:
        p.messages.append(
            "Colonnes de données personnelles supprimées avant tout enregistrement : "
            + common.quoted(personal)
            + "."
        )
    if text_columns:
        p.messages.append("Colonnes non numériques ignorées : " + common.quoted(text_columns) + ".")
    if set_aside:
        p.messages.append(
            "Colonnes de ce format non chargées (seuls les aidants, usagers uniques et "
            "démarches sont des indicateurs) : " + common.quoted(set_aside) + "."
        )
    if layout.name == "aidants_connect":
        p.messages.append(
            "Aidants Connect : aidants, usagers uniques et démarches additionnés par commune, "
            f"dans le groupe « {HELP} » des indicateurs (carte, « Aide et besoins », fiche)"
            + ("" if ctx.year else " ; sans millésime dans le fichier, précisez --annee")
            + "."
        )
    if layout.name == "arcep_debit_2019":
        p.messages.append(
            "Débits ARCEP (bêta 2019, classes exclusives) : part ≥ 30 Mbit/s = "
            "(elig_thd30 + elig_thd100 + elig_thd1g) / nbr."
        )
    elif layout.name == "arcep_debit":
        p.messages.append("Débits ARCEP (classes cumulées) : part ≥ 30 Mbit/s = elig_thd30 / nbr.")
    if layout.name == "ifn" and ctx.year is None:
        p.messages.append(
            f"Millésime : {IFN_VINTAGE} (valeurs de l'IFN calculées en 2021–2023 ; "
            "--annee le précise)."
        )
    return p


def repair_catalogue(con) -> None:
    """Every indicator with values keeps a catalogue row: when the load that last described
    it is replaced, the description goes back to the defaults (known indicators) or to a
    plain count (unknown ones), owned by the oldest load still holding values."""
    orphans = con.execute(
        """SELECT indicator, min(load_id), min(year), max(year) FROM indicator_values
           WHERE indicator NOT IN (SELECT id FROM indicators) GROUP BY indicator"""
    ).fetchall()
    for ident, load_id, low, high in orphans:
        entry = CATALOGUE.get(ident) or _catalogue_unknown(ident, ident, None, [])
        if not entry["source"]:
            entry = {**entry, "source": "fichier chargé"}
        vintage = None if low is None else (str(low) if low == high else f"{low}-{high}")
        if ident.startswith("ifn") and vintage is None:
            vintage = IFN_VINTAGE
        con.execute(
            "INSERT INTO indicators (id, label, unit, scale_min, scale_max, direction, measure, "
            "grp, source, vintage, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ident,
                entry["label"],
                entry["unit"],
                entry["scale_min"],
                entry["scale_max"],
                entry["direction"],
                entry["measure"],
                entry["grp"],
                entry["source"],
                vintage,
                load_id,
            ],
        )


STEPS = common.Steps(layouts.recognise_indicators, parse, after_replace=repair_catalogue)
