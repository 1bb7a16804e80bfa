"""What a territory fiche (the one-page PDF) says: the territory's content
(observatoire/territory.py, shared with the sheet page) turned into French text with the
sheet's disclosure rules already applied: for a lecteur (and for the CLI, which has no
identity, unless OBSERVATOIRE_INTERNAL_MODE=1) every count of people comes from the protected
tables (observatoire/protected.py), hidden ones read « < 5 » or « secret » exactly as on
screen, and no masked number is kept anywhere in the result.

No Streamlit here: the sheet's button and the `python -m observatoire.fiches` CLI both call
`gather`, then `render.render_pdf` (or `render.build` for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode, urlsplit

import pandas as pd

from observatoire import disclosure, fmt, protected, sheet, territory, warehouse
from observatoire.charts.masked import split_progress
from observatoire.charts.targets import DEPARTEMENT_STATUS, progress_text
from observatoire.fiche import locator
from observatoire.filters import Filters
from observatoire.sources import source_text
from observatoire.territory import DEPARTEMENT, KEY_FIGURES, Territory

TERRITORY_PAGE = "territoire"  # the sheet's url path (app.py)
DEFAULT_BASE_URL = "http://localhost:8501/"


@dataclass(frozen=True)
class TargetLine:
    """One target of the progress section; `progress` and `expected` are ratios (None when
    masked or unknown), the texts are already masked."""

    title: str
    programme: str
    figures: str  # « 44 sur 96 personnes équipées » or « < 5 sur 13 … »
    progress_text: str  # « 46 % » or « masqué »
    status: str
    progress: float | None
    expected: float | None
    # An action run at the département's scale (protected.departement_scale): PROGRESS,
    # PROGRESS_TEXT and FIGURES are the département's, never the territory's « 0 % ».
    departemental: bool = False


@dataclass(frozen=True)
class NeedLine:
    label: str
    value: float
    departement: float
    scale_min: float
    scale_max: float
    total: bool


@dataclass(frozen=True)
class Places:
    count: int
    per_10000: float | None
    departement_per_10000: float | None
    updated: str | None
    has_demo: bool = False


@dataclass(frozen=True)
class ProposedShare:
    """« Part proposée »: the share of an envelope a scenario of « Répartir une enveloppe »
    (observatoire/allocation.py) gives this commune, already written in French."""

    share: str  # « 38 tablettes »
    envelope: str  # « 400 tablettes »
    rule: str  # « prorata du besoin »
    method: str  # the rule's method, one sentence
    population_share: str | None  # the same envelope under the population prorata
    link: str  # the page's address, which reproduces the scenario
    excluded: bool = False

    def sentence(self) -> str:
        if self.excluded:
            return f"Exclue du scénario : 0 sur une enveloppe de {self.envelope}."
        sentence = f"{self.share} sur une enveloppe de {self.envelope}, règle « {self.rule} »"
        if self.population_share is not None and self.rule != "prorata de la population":
            sentence += f" (au prorata de la population : {self.population_share})"
        return sentence + "."


@dataclass
class Fiche:
    code: str
    name: str
    is_ept: bool
    subtitle: str
    filters_text: str
    tiles: list[tuple[str, str]]
    comparison_header: list[tuple[str, str]]  # (column name, its population)
    comparison_rows: list[list[str]]  # indicator, count, then one rate per column
    map: locator.LocatorMap
    targets: list[TargetLine]  # every headline target: the page shows those that fit
    share_rules: str
    funders: list[tuple[str, float]]
    funders_left: int
    funders_left_amount: float
    funders_total: float
    needs: list[NeedLine] = field(default_factory=list)
    needs_note: str = ""
    places: Places | None = None
    notes: list[str] = field(default_factory=list)
    source: str = ""
    has_demo: bool = False
    link: str = ""
    generated: str = ""
    proposed: ProposedShare | None = None  # « part proposée » of an envelope, when asked

    def file_name(self) -> str:
        return file_name(self.code, self.name)

    @property
    def title(self) -> str:
        return f"Fiche territoire – {self.name}"


def file_name(code: str, name: str) -> str:
    """« fiche-saint-denis-93066.pdf »."""
    from observatoire.exports import slug

    return f"fiche-{slug(name)}-{code}.pdf"


# The territory ---------------------------------------------------------------------------


def view_link(code: str, filters: Filters, base_url: str | None = None) -> str:
    """The territory sheet's address with the filters' query string, which reproduces the
    view. BASE_URL: the dashboard's address (any page of it; only its root is kept unless it
    already ends with the sheet's path)."""
    parts = urlsplit(base_url or DEFAULT_BASE_URL)
    path = parts.path.rstrip("/")
    if not path.endswith("/" + TERRITORY_PAGE):
        path = path.rsplit("/", 1)[0] if path.count("/") > 1 else ""
        path = f"{path}/{TERRITORY_PAGE}"
    query = urlencode({"code": code, **filters.to_query()})
    return parts._replace(path=path, query=query, fragment="").geturl()


def filters_text(filters: Filters) -> str:
    """« Tous les programmes · toute la période · données de démonstration incluses »."""
    if filters.programmes:
        names = dict(
            zip(
                warehouse.programme_list()["id"],
                warehouse.programme_list()["name"],
                strict=True,
            )
        )
        chosen = [names.get(p, p) for p in filters.programmes]
        shown = ", ".join(f"« {n} »" for n in chosen[:2])
        if len(chosen) > 2:
            shown += f" et {len(chosen) - 2} autres"
        programmes = ("Programme " if len(chosen) == 1 else "Programmes ") + shown
    else:
        programmes = "Tous les programmes"
    start, end = filters.date_from, filters.date_to
    if start and end:
        period = f"du {fmt.french_date(start)} au {fmt.french_date(end)}"
    elif start:
        period = f"depuis le {fmt.french_date(start)}"
    elif end:
        period = f"jusqu'au {fmt.french_date(end)}"
    else:
        period = "toute la période"
    demo = (
        "données de démonstration incluses"
        if filters.include_demo
        else "sans les données de démonstration"
    )
    return f"{programmes} · {period} · {demo}"


# The sections ----------------------------------------------------------------------------


def _rate_text(key: str, value) -> str:
    if isinstance(value, str):  # « masqué »
        return value
    if value is None or pd.isna(value):
        return "–"
    # Two decimals as on the sheet (sheet.comparison_formats); euros to the euro.
    return fmt.money(value) if key == "euros_committed" else fmt.number(value, 2)


def comparison(place: Territory, figures: dict) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The key figures of the territory (count, per 1 000 inhabitants) beside its EPT and the
    département (per 1 000 inhabitants), masked by sheet.comparison_table as on the sheet."""
    compared = territory.compared(place, figures, place.name)
    table = sheet.comparison_table(compared)
    header = [(column, fmt.number(fig.get("population"))) for column, fig in compared]
    rows = []
    for (key, _), (_, line) in zip(KEY_FIGURES, table.iterrows(), strict=False):
        count = line[place.name]
        count_text = (
            count
            if isinstance(count, str)
            else (fmt.money(count) if key == "euros_committed" else fmt.number(count))
        )
        rates = [_rate_text(key, line[column + sheet.PER_THOUSAND]) for column, _ in compared]
        rows.append([line["Indicateur"], count_text, *rates])
    return header, rows


def target_lines(headline: pd.DataFrame) -> list[TargetLine]:
    """The headline targets with hidden achieved counts masked as the sheet's chart and its
    export do (charts.masked.split_progress): the bar loses its length, the text reads
    « < 5 » or « secret »."""
    if headline.empty:
        return []
    shown, exported = split_progress(headline)
    lines = []
    for drawn, text in zip(shown.itertuples(), exported.itertuples(), strict=True):
        if drawn.status == DEPARTEMENT_STATUS:
            lines.append(_departement_line(drawn))
            continue
        masked = isinstance(text.achieved, str)
        unit = drawn.unit or ""
        if unit == "€":
            target = fmt.money(drawn.target_share)
            achieved = text.achieved if masked else fmt.money(drawn.achieved)
            figures = f"{achieved} sur {target}"
        else:
            achieved = text.achieved if masked else fmt.number(drawn.achieved)
            figures = f"{achieved} sur {_share_text(drawn.target_share)} {unit}".rstrip()
        progress = None if pd.isna(drawn.progress) else float(drawn.progress)
        expected = getattr(drawn, "elapsed", None)
        lines.append(
            TargetLine(
                title=str(drawn.label),
                programme=str(drawn.programme_name),
                figures=figures,
                progress_text=disclosure.DERIVED_LABEL if masked else progress_text(progress),
                status=str(drawn.status),
                progress=progress,
                expected=None if expected is None or pd.isna(expected) else float(expected),
            )
        )
    return lines


def _departement_line(row) -> TargetLine:
    """A territory's share of an action run at the département's scale: the département's
    progress and figures, said to be the département's."""
    share = getattr(row, "departement_progress", None)
    share = None if share is None or pd.isna(share) else float(share)
    whole = float(row.target_value)
    unit = row.unit or ""
    if share is None:
        figures = "rien d'enregistré dans le département"
    elif unit == "€":
        figures = f"département : {fmt.money(share * whole)} sur {fmt.money(whole)}"
    else:
        figures = f"département : {fmt.number(share * whole)} sur {fmt.number(whole)} {unit}"
    return TargetLine(
        title=str(row.label),
        programme=str(row.programme_name),
        figures=figures.rstrip(),
        progress_text="département : " + progress_text(share),
        status=DEPARTEMENT_STATUS,
        progress=share,
        expected=None,
        departemental=True,
    )


def _share_text(share: float) -> str:
    """A territory's share of a target: a small pro rata share keeps one decimal (« 0,4 »),
    never « 0 »."""
    if pd.isna(share):
        return "–"
    return fmt.number(share, 1) if share < 10 and share != round(share) else fmt.number(share)


def score_needs(needs: territory.Needs) -> pd.DataFrame:
    """The territory's scores (indicators of measure 'score': the IFN total and its
    sub-scores), each with the département's value (`departement`); the total first, then by
    label."""
    own = needs.own[needs.own["measure"] == "score"]
    departement = needs.departement.set_index("indicator")["value"]
    scores = own.assign(
        departement=own["indicator"].map(departement),
        total=own["indicator"] == sheet.IFN_TOTAL,
    )
    return scores.sort_values(["total", "label"], ascending=[False, True]).reset_index(drop=True)


def need_lines(needs: pd.DataFrame) -> tuple[list[NeedLine], str]:
    """The scores (score_needs) and the sentence that says how to read them."""
    lines = [
        NeedLine(
            label=_need_label(row.label, row.indicator),
            value=float(row.value),
            departement=float(row.departement),
            scale_min=float(0 if pd.isna(row.scale_min) else row.scale_min),
            scale_max=float(10 if pd.isna(row.scale_max) else row.scale_max),
            total=bool(row.total),
        )
        for row in needs.itertuples()
    ]
    if not lines:
        return [], ""
    first = needs.iloc[0]
    low, high = lines[0].scale_min, lines[0].scale_max
    direction = sheet.FRAGILE_ENDS.get(str(first["direction"]), "")
    vintage = f", {first['vintage']}" if isinstance(first["vintage"], str) else ""
    note = (
        f"Scores de {fmt.number(low)} à {fmt.number(high)}"
        + (f", {direction}" if direction else "")
        + f" ; trait vertical : {DEPARTEMENT} (moyenne des communes pondérée par la population)."
        + f" Source : {first['source']}{vintage}."
    )
    return lines, note


def _need_label(label: str, ident: str) -> str:
    return "Indice total" if ident == "ifn" else sheet.subscore_label(label)


def places_line(place: Territory, today: date, departement_population: float) -> Places | None:
    """The territory's count of places beside the département's, per 10 000 inhabitants
    (None when the warehouse holds no place under the filters)."""
    limits = sheet.state_limits(today)  # states unused here; the sheet's, to share its cache
    everywhere = territory.places(place, limits, departement=True)
    if not everywhere["places"]:
        return None
    own = territory.places(place, limits)
    return Places(
        count=int(own["places"]),
        per_10000=_per_10000(own["places"], place.population),
        departement_per_10000=_per_10000(everywhere["places"], departement_population),
        updated=None if pd.isna(own["newest"]) else fmt.french_date(own["newest"]),
        has_demo=bool(own["has_demo"]),
    )


def _per_10000(count, population) -> float | None:
    return count * 10_000 / population if population else None


# Everything ------------------------------------------------------------------------------


def gather(
    code: str,
    filters: Filters | None = None,
    *,
    base_url: str | None = None,
    today: date | None = None,
    funder_limit: int = 5,
    proposed: ProposedShare | None = None,
) -> Fiche:
    """The fiche of commune or EPT CODE under FILTERS (the sheet's global filters), with the
    « part proposée » PROPOSED of a scenario of « Répartir une enveloppe » when given."""
    filters = filters or Filters()
    today = today or date.today()
    communes = warehouse.territories()
    place = territory.scope(code, filters, communes)
    scoped = place.scoped
    subtitle = (
        "Établissement public territorial · " if place.is_ept else ""
    ) + f"{place.kind_text}{place.population_text}"

    figures = territory.key_figures(place)
    tiles = [(label, territory.figure_text(figures, key)) for key, label in KEY_FIGURES]
    header, rows = comparison(place, figures)

    progress, headline, rules = territory.headline_targets(place, today)
    targets = target_lines(headline)

    funders = territory.funders(place)
    funders = funders.sort_values(["amount_eur", "funder"], ascending=[False, True])
    kept = funders.head(funder_limit)
    rest = funders.iloc[funder_limit:]

    scores = score_needs(territory.needs(place))
    needs, needs_note = need_lines(scores)
    if needs and place.is_ept:
        known = int(scores["communes"].max())
        needs_note = (
            f"EPT : moyenne de ses communes renseignées ({known} sur {place.communes}), pondérée "
            "par la population. " + needs_note
        )
    places = places_line(place, today, communes["population"].sum())
    has_demo = any(
        [
            bool(figures.get("has_demo")),
            bool(progress["has_demo"].any()),
            bool(funders["has_demo"].any()),
            bool(scores["has_demo"].any()),
            places is not None and places.has_demo,
        ]
    )

    notes = []
    if note := disclosure.public_note():
        notes.append(note)
    if note := protected.dates_note(filters):
        notes.append(note)
    if proposed is not None:
        notes.append(
            f"Part proposée : le scénario de répartition se reproduit à l'adresse {proposed.link}"
        )
    if figures.get("euros_departement_wide"):
        wide = territory.DEPARTEMENT_WIDE_NOTE
        notes.append(f"Euros engagés : {wide[:1].lower()}{wide[1:]}")

    return Fiche(
        code=code,
        name=place.name,
        is_ept=place.is_ept,
        subtitle=subtitle,
        filters_text=filters_text(filters),
        tiles=tiles,
        comparison_header=header,
        comparison_rows=rows,
        map=locator.locator_map(code, place.is_ept, communes),
        targets=targets,
        share_rules=rules,
        funders=list(zip(kept["funder"], kept["amount_eur"].astype(float), strict=True)),
        funders_left=len(rest),
        funders_left_amount=float(rest["amount_eur"].sum()),
        funders_total=float(funders["amount_eur"].sum()),
        needs=needs,
        needs_note=needs_note,
        places=places,
        notes=notes,
        source=source_text(scoped),
        has_demo=has_demo,
        link=view_link(code, filters, base_url),
        generated=fmt.french_date(today),
        proposed=proposed,
    )
