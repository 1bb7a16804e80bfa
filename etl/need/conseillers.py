"""Kind ``conseillers``: structures granted conseiller numérique posts, into ``conseillers``
(posts) and ``funding`` (the État's estimated investment).

Layouts (etl/need/layouts.py): the ANCT open-data file of structures validated by the
selection committee (COSELEC), and the 2021 posts file (``hors_93``). Rules:

- ``Code commune INSEE`` gives the commune (``Commune INSEE`` holds its name, used when the
  code is missing, then ``Code postal``); when code and postal code disagree, the code wins;
- a structure whose code is outside the 93 is rejected with that reason, even when
  ``Code département`` says 93; ``hors_93 = oui`` likewise;
- date = validation date (dd/mm/yyyy or ISO); posts a whole number ≥ 1; ``Type`` privée or
  publique;
- the estimated investment, when given, becomes a funding row: funder « État » (kind État),
  scheme « France Relance », programme ``conseillers-numeriques``, the commune and date.
"""

from __future__ import annotations

from datetime import date

from etl.need import common, layouts
from etl.need.common import Context, Parsed, Table, clean
from etl.need.layouts import Layout

PROGRAMME_ID = "conseillers-numeriques"  # data/reference/programmes.csv
TYPES = {"privee": "privée", "prive": "privée", "publique": "publique", "public": "publique"}


def _type(value: object) -> str | None:
    from etl.need.places import _key

    return TYPES.get(_key(clean(value) or "").replace(" ", ""))


def parse(table: Table, layout: Layout, ctx: Context) -> Parsed:
    p = Parsed(rows_read=len(table.rows))
    c = layout.columns
    cell, header = table.accessors(c)

    def code_cell(cells):
        code = common.code_of(cell(cells, "code"))
        if code is None:
            return common.code_of(cell(cells, "code_2024")), "code_2024"
        return code, "code"

    wanted = []
    for _, cells in table.rows:
        wanted += [code_cell(cells)[0], cell(cells, "commune_name"), cell(cells, "postal")]
    resolved = ctx.resolve_communes(wanted)

    disagree: list[int] = []
    untyped: list[int] = []
    without_amount = 0
    seen: dict[tuple, int] = {}
    conseillers, funding = [], []
    for number, cells in table.rows:
        if (cell(cells, "hors_93") or "").lower() == "oui":
            p.reject(
                number,
                header("hors_93"),
                cell(cells, "hors_93"),
                "structure hors de la Seine-Saint-Denis (hors_93 = oui)",
            )
            continue
        code, where = code_cell(cells)
        postal = cell(cells, "postal")
        if code:
            current, err = resolved.get(code, (None, "code INSEE illisible"))
            value = code
            if current and postal:
                pcode, _ = resolved.get(postal, (None, None))
                if (pcode is not None and pcode != current) or not postal.startswith("93"):
                    disagree.append(number)
        else:
            name = cell(cells, "commune_name")
            current, err = resolved.get(name, (None, None)) if name else (None, None)
            where, value = "commune_name", name
            if current is None and postal:
                pcode, perr = resolved.get(postal, (None, None))
                if pcode is not None:
                    current, err = pcode, None
                elif err is None or not postal.startswith("93"):
                    err, where, value = perr, "postal", postal
            if current is None and err is None:
                err = "commune manquante"
        if current is None:
            p.reject(number, header(where), value, err)
            continue
        status, posts = common.parse_number(cell(cells, "posts"))
        if status != common.OK or posts is None or posts != int(posts) or posts < 1:
            reason = (
                "nombre de conseillers manquant"
                if status == common.EMPTY
                else "nombre de conseillers illisible (nombre entier ≥ 1 attendu)"
            )
            p.reject(number, header("posts"), cell(cells, "posts"), reason)
            continue
        day = common.parse_date(cell(cells, "date"))
        if day is None or day < date(2000, 1, 1) or day > date.today():
            reason = (
                "date de validation manquante"
                if not cell(cells, "date")
                else "date de validation illisible ou impossible (attendu : JJ/MM/AAAA)"
            )
            p.reject(number, header("date"), cell(cells, "date"), reason)
            continue
        amount = None
        if "amount" in c:
            a_status, amount = common.parse_number(cell(cells, "amount"))
            if a_status == common.BAD or (a_status == common.OK and amount < 0):
                p.reject(
                    number,
                    header("amount"),
                    cell(cells, "amount"),
                    "montant de l'investissement de l'État illisible",
                )
                continue
            if a_status != common.OK or not amount:
                amount = None
        siret = cell(cells, "siret")
        siret = siret.replace(" ", "").replace("\u00a0", "") if siret else None
        structure = cell(cells, "structure")
        key = (structure, siret, current, day, int(posts))
        if key in seen:
            p.reject(
                number,
                header("structure") or header("posts"),
                structure,
                f"ligne en double (même structure, commune, date et postes que la ligne "
                f"{seen[key]})",
            )
            continue
        seen[key] = number
        kind = _type(cell(cells, "type"))
        if kind is None and cell(cells, "type"):
            untyped.append(number)
        conseillers.append(
            {
                "date": day,
                "commune_code": current,
                "programme_id": PROGRAMME_ID,
                "posts": int(posts),
                "structure_type": kind,
                "structure": structure,
                "siret": siret,
                "is_demo": False,
            }
        )
        if amount is not None:
            funding.append(
                {
                    "date": day,
                    "funder": "État",
                    "funder_type": "État",
                    "programme_id": PROGRAMME_ID,
                    "commune_code": current,
                    "amount_eur": round(amount, 2),
                    "scheme": "France Relance",
                    "is_demo": False,
                }
            )
        else:
            without_amount += 1
    p.tables["conseillers"] = conseillers
    p.tables["funding"] = funding
    p.loaded = len(conseillers)
    p.messages.append(f"Format reconnu : {layout.label}.")
    if disagree:
        p.messages.append(
            "Code postal différent de la commune du code INSEE (le code INSEE l'emporte) : "
            "lignes " + common.rows_list(disagree) + "."
        )
    if untyped:
        p.messages.append(
            "Type de structure ni « privée » ni « publique », laissé vide : lignes "
            + common.rows_list(untyped)
            + "."
        )
    p.messages.append(
        f"{len(conseillers)} structures ({sum(r['posts'] for r in conseillers)} postes) ; "
        f"{len(funding)} investissements de l'État enregistrés comme financements "
        f"(« État », France Relance)"
        + (f" ; {without_amount} sans montant" if without_amount else "")
        + "."
    )
    return p


STEPS = common.Steps(layouts.recognise_conseillers, parse)
