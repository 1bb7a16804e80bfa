"""One commune or EPT, as the territory sheet (the page, views/territory.py) and its fiche (the
one-page PDF, observatoire/fiche/) both show it, without Streamlit: the territory and the
filters narrowed to it, its key figures beside its EPT and the département, its headline
targets, its funders, its needs and its places of digital mediation. The page draws this
with Streamlit, the fiche with WeasyPrint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from observatoire import disclosure, fmt, protected, warehouse
from observatoire.filters import Filters

DEPARTEMENT = "Seine-Saint-Denis"
# The key figures of the tiles and of the comparison, in order.
KEY_FIGURES = (
    ("items_distributed", "Équipements distribués"),
    ("people_reached", "Personnes touchées"),
    ("euros_committed", "Euros engagés"),
    ("conseiller_posts", "Postes de conseillers numériques"),
)
DEPARTEMENT_WIDE_NOTE = (
    "Financements rattachés au territoire ; ceux du département entier n'y figurent pas."
)


@dataclass(frozen=True)
class Territory:
    """A commune or an EPT (code), under the page's FILTERS; SCOPED: the filters narrowed
    to it."""

    code: str
    is_ept: bool
    commune_name: str  # the commune's name; on an EPT, its first commune's (unused)
    ept_code: str
    ept_name: str
    communes: int  # an EPT's communes (1 for a commune)
    population: float
    filters: Filters
    scoped: Filters

    @property
    def name(self) -> str:
        """« EPT Plaine Commune » or « Saint-Denis »."""
        return f"EPT {self.ept_name}" if self.is_ept else self.commune_name

    @property
    def short_name(self) -> str:
        """« Plaine Commune » or « Saint-Denis »: the column of the sheet's comparison."""
        return self.ept_name if self.is_ept else self.commune_name

    @property
    def kind_text(self) -> str:
        """« 9 communes » or « Commune de l'EPT Plaine Commune »."""
        if self.is_ept:
            return fmt.plural(self.communes, "commune")
        return f"Commune de l'EPT {self.ept_name}"

    @property
    def population_text(self) -> str:
        return f" · {fmt.number(self.population)} habitants (population municipale 2023)"


def territory_codes(communes: pd.DataFrame) -> list[str]:
    """Every territory: the 39 communes (by name) then the 4 EPTs (by name)."""
    epts = communes.drop_duplicates("ept_code").sort_values("ept_name")["ept_code"]
    return [*communes.sort_values("name")["code"], *epts]


def scope(code: str, filters: Filters, communes: pd.DataFrame | None = None) -> Territory:
    """The territory CODE (a commune or an EPT) under FILTERS; ValueError when unknown."""
    communes = warehouse.territories() if communes is None else communes
    is_ept = code in set(communes["ept_code"])
    rows = communes[communes["ept_code" if is_ept else "code"] == code]
    if rows.empty:
        raise ValueError(f"territoire inconnu : {code}")
    row = rows.iloc[0]
    scoped = (
        filters.with_(ept=code, communes=())
        if is_ept
        else filters.with_(ept=None, communes=(code,))
    )
    return Territory(
        code=code,
        is_ept=is_ept,
        commune_name=str(row["name"]),
        ept_code=str(row["ept_code"]),
        ept_name=str(row["ept_name"]),
        communes=len(rows),
        population=rows["population"].sum(),
        filters=filters,
        scoped=scoped,
    )


def key_figures(territory: Territory) -> dict:
    """The territory's key figures: for a lecteur, its counts of people from the protected
    cells (protected.sheet_key_figures)."""
    return protected.sheet_key_figures(territory.scoped)


def figure_text(figures: dict, key: str) -> str:
    """A key figure of sheet_key_figures in French: the label of a hidden count of people
    (« < 5 », « secret »), else its number."""
    if f"{key}_status" in figures:
        return figures.get(f"{key}_label") or fmt.number(figures[key])
    return disclosure.figure_text(figures, key)


def records_note() -> str | None:
    """Why a lecteur gets monthly figures instead of the records (None for an interne)."""
    if protected.exact():
        return None
    return (
        "La liste des enregistrements, avec leurs quantités, est réservée aux utilisateurs "
        "internes : un enregistrement isolé peut permettre de reconnaître des personnes. "
        "Voici à la place les quantités distribuées par mois et par programme, tirées des "
        "tableaux protégés (petits effectifs masqués)."
    )


def compared(territory: Territory, figures: dict, own_column: str) -> list[tuple[str, dict]]:
    """(column, key figures) of the territory (FIGURES, under OWN_COLUMN), of its EPT (for a
    commune) and of the département, under the page's filters: sheet.comparison_table's
    input."""
    filters = territory.filters
    columns = [(own_column, figures)]
    if not territory.is_ept:
        columns.append(
            (
                f"EPT {territory.ept_name}",
                protected.sheet_key_figures(filters.with_(ept=territory.ept_code, communes=())),
            )
        )
    everywhere = filters.with_(ept=None, communes=())
    columns.append((DEPARTEMENT, protected.sheet_key_figures(everywhere)))
    return columns


def headline_targets(
    territory: Territory, today: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(every target's progress, the headline targets, the rules that gave the territory its
    share of them: « pro rata de la population, … »)."""
    progress = protected.target_rows(territory.scoped, today=today)
    headline = progress[progress["headline"]].reset_index(drop=True)
    rules = ", ".join(sorted(set(headline["share_rule"].dropna()))) if len(headline) else ""
    return progress, headline, rules


def funders(territory: Territory) -> pd.DataFrame:
    """The money given to the territory, by funder (funder, amount_eur, has_demo)."""
    return warehouse.territory_funding_by_funder(territory.scoped)


@dataclass(frozen=True)
class Needs:
    """The need indicators (warehouse.need_by_territory rows: indicator, label, unit,
    scale_min, scale_max, direction, measure, grp, source, vintage, year, value, population,
    communes, merged_from, has_demo) of the territory, of its EPT (None on an EPT) and of the
    département. OWN is empty when no indicator is loaded for the territory."""

    own: pd.DataFrame
    ept: pd.DataFrame | None
    departement: pd.DataFrame


def needs(territory: Territory) -> Needs:
    """The territory's needs beside its EPT and the département: an EPT's or the
    département's value is the population-weighted mean of its communes' values."""

    def rows(level: str, code: str) -> pd.DataFrame:
        frame = warehouse.need_by_territory(level, include_demo=territory.filters.include_demo)
        return frame[frame["code"] == code].reset_index(drop=True)

    own = rows("ept" if territory.is_ept else "commune", territory.code)
    ept = None if territory.is_ept else rows("ept", territory.ept_code)
    return Needs(own, ept, rows("departement", "93"))


def places(territory: Territory, limits: tuple[date, date], *, departement: bool = False) -> dict:
    """The places of digital mediation of the territory (or, DEPARTEMENT, of the whole
    département) under the page's filters, with LIMITS (sheet.state_limits) for their
    states: warehouse.territory_places_summary (places, oldest, newest, to_update, to_check,
    undated, sources, has_demo)."""
    filters = territory.filters.with_(ept=None, communes=()) if departement else territory.scoped
    return warehouse.territory_places_summary(filters, *limits)
