"""« Aide et besoins » (issue #13): does help go where the need is? The help per 1 000
inhabitants of each commune or EPT (a measure of the map: warehouse.map_values) against a
need indicator (warehouse.need_by_territory), their two medians, the « communes prioritaires »
(need beyond its median, help below its median) and the one-sentence reading.

Pure functions on data frames; the page (views/need.py) queries, this module computes,
observatoire/charts/need.py draws.

Counts of people (help measured in people or in items handed to people) come, for a lecteur,
from the protected tables (protected.map_values) and are masked exactly as on the map
(disclosure.mask_by_status): a masked territory is not
placed on the chart at all — neither at its value nor anywhere else — and is left out of the
medians and of the priority set; the reading and the table name it « aide masquée ». A
territory without any help record (« pas de données », as on the map) or without a value
of the need indicator is not placed either, and is named too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from observatoire import disclosure, fmt
from observatoire.url_state import LEVELS, UrlState, level_param, param

HELP_MEASURES = {
    "personnes": "Personnes touchées",
    "quantite": "Quantités distribuées",
    "euros": "Euros engagés",
    "postes": "Postes de conseillers numériques",
}
HELP_NOUNS = {
    "personnes": "personnes touchées",
    "quantite": "équipements",
    "euros": "€",
    "postes": "postes",
}
DEFAULT_INDICATOR = "ifn"


def known_indicator(indicator: str, indicators) -> str:
    """INDICATOR if the catalogue INDICATORS holds it (or is not known), else the IFN, else
    the catalogue's first: a link naming a missing indicator still shows one."""
    if indicators is None or indicator in indicators:
        return indicator
    return DEFAULT_INDICATOR if DEFAULT_INDICATOR in indicators or not indicators else indicators[0]


ALL = "tous"  # the « all items / all funders » option

# Why a territory is not on the chart.
PLACED = "placé"
MASKED = "aide masquée"
NO_HELP = "pas de données d'aide"
NO_NEED = "pas de valeur de besoin"
NEED_MASKED = "besoin masqué"  # a count of people on the need axis (Aidants Connect), hidden


# The reader's choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class NeedChoices(UrlState):
    """What the page lets the reader choose; lives in the URL query string (niveau, aide,
    detail, besoin). The detail (an item or a funder) is shown by the measure's own widget."""

    level: str = level_param("n_level")
    measure: str = param("aide", "personnes", widget="n_measure")
    key: str | None = param("detail", None)  # an item (quantite) or a funder (euros)
    indicator: str = param("besoin", DEFAULT_INDICATOR, widget="n_indicator")

    KEY_WIDGETS = {"quantite": "n_item", "euros": "n_funder"}

    def checked(self, indicators: list[str] | None = None) -> NeedChoices:
        """Unknown values fall back to their defaults (the indicator: to the IFN, or to the
        first of INDICATORS when the IFN is not loaded)."""
        default = NeedChoices()
        level = self.level if self.level in LEVELS else default.level
        measure = self.measure if self.measure in HELP_MEASURES else default.measure
        key = self.key if measure in self.KEY_WIDGETS and self.key not in ("", ALL) else None
        indicator = known_indicator(self.indicator, indicators)
        return replace(self, level=level, measure=measure, key=key, indicator=indicator)

    def widget_state(self) -> dict:
        state = super().widget_state() | {"n_item": ALL, "n_funder": ALL}
        if self.measure in self.KEY_WIDGETS and self.key:
            state[self.KEY_WIDGETS[self.measure]] = self.key
        return state

    @classmethod
    def from_widgets(cls, state: Mapping, indicators: list[str]) -> NeedChoices:
        values = cls.widget_values(state)
        key_widget = cls.KEY_WIDGETS.get(values.get("measure"))
        key = state.get(key_widget) if key_widget else None
        return cls(**values, key=None if key == ALL else key).checked(indicators)


def help_label(choices: NeedChoices) -> str:
    """« Personnes touchées pour 1 000 habitants », « Ordinateurs distribués pour 1 000
    habitants », « Euros engagés par l'État pour 1 000 habitants »."""
    if choices.measure == "quantite" and choices.key:
        what = f"{fmt.item_label(choices.key)} distribués"
        if choices.key in ("carte_sim", "recharge", "tablette"):
            what = f"{fmt.item_label(choices.key)} distribuées"
        if choices.key == "accompagnement":
            what = "Accompagnements réalisés"
    elif choices.measure == "quantite":
        what = "Équipements distribués"
    elif choices.measure == "euros" and choices.key:
        what = f"Euros engagés ({choices.key})"
    else:
        what = HELP_MEASURES[choices.measure]
    return f"{what} pour 1 000 habitants"


def territory_word(level: str, count: int) -> str:
    """« commune »/« communes », « EPT » (invariable)."""
    return "EPT" if level == "ept" else ("commune" if abs(count) < 2 else "communes")


def vintage_text(meta: Mapping) -> str:
    """« données 2021 » from the values' year, else « millésime 2021-2023 » from the
    catalogue."""
    year = meta.get("year")
    vintage = meta.get("vintage")
    if year is not None and not pd.isna(year):
        # ARCEP's vintage is a quarter of that year (« T4 2024 »): say the quarter.
        if isinstance(vintage, str) and vintage.endswith(f" {int(year)}") and vintage[:1] == "T":
            return f"données {vintage}"
        return f"données {int(year)}"
    return f"millésime {vintage}" if vintage and not pd.isna(vintage) else "millésime non précisé"


def need_source(meta: Mapping) -> str:
    """« Besoin : Indice de fragilité numérique (total) — La MedNum – …, millésime
    2021-2023. »"""
    return f"Besoin : {meta['label']} — {meta['source']}, {vintage_text(meta)}."


# The table the chart, its export and the reading share -------------------------------------


def scatter_table(help_values: pd.DataFrame, need: pd.DataFrame, people: bool) -> pd.DataFrame:
    """One row per territory of HELP_VALUES (warehouse.map_values: code, name, ept_code,
    ept_name, population, value, has_demo) with its need (NEED: warehouse.need_by_territory of
    one indicator at the same level; code, value): columns code, name, ept_code, ept_name,
    population, help (the raw count), help_rate (per 1 000 inhabitants), need, masked,
    mask_text, status (PLACED, MASKED, NO_HELP or NO_NEED), has_demo.

    PEOPLE: the help counts people (disclosure.counts_people). Read from the protected
    tables (a lecteur's: HELP_VALUES has mask_text), hidden figures are masked by
    disclosure.mask_by_status, as on the map; their help and help_rate are NaN. The frame is
    marked with where its counts come from (disclosure.mark).

    A need that counts people (Aidants Connect usagers, démarches) comes, for a lecteur, from
    its protected cells (NEED has mask_text): a hidden one is NaN, `need_masked`, and the
    territory is not placed (NEED_MASKED)."""
    protected = "mask_text" in help_values  # from protected.map_values: a lecteur's
    columns = ["code", "name", "ept_code", "ept_name", "population", "value", "has_demo"]
    table = help_values[columns + (["mask_text"] if protected else [])].copy()
    table["shown"] = table["value"] * 1000 / table["population"].where(table["population"] > 0)
    if protected:
        table, _ = disclosure.mask_by_status(table.reset_index(drop=True))
    else:
        table, _ = disclosure.mask_map_values(table.reset_index(drop=True), people)
    table = table.rename(columns={"value": "help", "shown": "help_rate"})
    needs = dict(zip(need["code"], need["value"], strict=True)) if not need.empty else {}
    table["need"] = table["code"].map(needs).astype(float)
    need_protected = "mask_text" in need  # warehouse.need_by_territory: a lecteur's cells
    hidden = set(need.loc[need["mask_text"].notna(), "code"]) if need_protected else set()
    table["need_masked"] = table["code"].isin(hidden)
    table["status"] = np.select(
        [table["masked"], table["need_masked"], table["help"].isna(), table["need"].isna()],
        [MASKED, NEED_MASKED, NO_HELP, NO_NEED],
        PLACED,
    )
    columns = ["code", "name", "ept_code", "ept_name", "population", "help", "help_rate"]
    out = table[[*columns, "need", "need_masked", "masked", "mask_text", "status", "has_demo"]]
    exact = people and disclosure.masking_active()  # a lecteur's exact counts: not exported
    origin = "protected" if protected or need_protected else "exact" if exact else None
    return disclosure.mark(out, origin)


@dataclass(frozen=True)
class NeedView:
    """What the figure, the tables and the sentence need, computed once."""

    table: pd.DataFrame  # scatter_table, with `priority`
    level: str
    direction: str  # of the need indicator: 'fragile_haut', 'fragile_bas' or 'neutre'
    need_median: float
    help_median: float
    need_label: str
    help_label: str
    need_decimals: int = 1
    # The territories outside the scope of comparison (scatter_table rows, drawn in grey,
    # named on hover only, in no median) and the codes of the chosen ones (highlighted).
    context: pd.DataFrame | None = None
    chosen: frozenset[str] = frozenset()

    @property
    def placed(self) -> pd.DataFrame:
        return self.table[self.table["status"] == PLACED]

    @property
    def priority(self) -> pd.DataFrame:
        return self.table[self.table["priority"]]

    @property
    def high_need_below(self) -> bool:
        """Need is « high » below its median (an indicator where lower is more fragile)."""
        return self.direction == "fragile_bas"


def priority_mask(
    table: pd.DataFrame, need_median: float, help_median: float, direction: str
) -> pd.Series:
    """The « communes prioritaires »: placed, need above its median (below when the
    indicator is 'fragile_bas') and help below its median, both strictly."""
    placed = table["status"] == PLACED
    if direction == "fragile_bas":
        needy = table["need"] < need_median
    else:
        needy = table["need"] > need_median
    return (placed & needy & (table["help_rate"] < help_median)).astype(bool)


def analyse(
    table: pd.DataFrame,
    *,
    level: str,
    direction: str,
    need_label: str,
    help_label: str,
    need_decimals: int = 1,
    scope: set[str] | None = None,
    chosen: set[str] = frozenset(),
) -> NeedView:
    """The medians of the placed territories (masked ones and those without data left out)
    and the priority set of TABLE (scatter_table). SCOPE (codes; None: all): the territories
    compared, the others kept as context; CHOSEN: the territories the reader chose,
    highlighted among the others (scope_of)."""
    context = None
    if scope is not None:
        inside = table["code"].isin(scope)
        context = table[~inside & (table["status"] == PLACED)].reset_index(drop=True)
        table = disclosure.mark(table[inside].reset_index(drop=True), table.attrs.get("counts"))
    placed = table[table["status"] == PLACED]
    need_median = float(placed["need"].median()) if not placed.empty else float("nan")
    help_median = float(placed["help_rate"].median()) if not placed.empty else float("nan")
    table = table.copy()
    table["priority"] = priority_mask(table, need_median, help_median, direction)
    return NeedView(
        table,
        level,
        direction,
        need_median,
        help_median,
        need_label,
        help_label,
        need_decimals,
        context,
        frozenset(chosen),
    )


def whole(filters, level: str):
    """The filters without their territory: « Aide et besoins » places every territory and
    highlights the chosen ones (scope_of) rather than drawing them alone. At the EPT level,
    a choice of communes still narrows each EPT to them (an EPT is not « chosen » by one of
    its communes)."""
    if level == "ept" and filters.communes:
        return filters
    return filters.with_(ept=None, communes=())


def scope_of(filters, level: str, territories: pd.DataFrame) -> tuple[set[str] | None, set[str]]:
    """(the codes compared, None for all; the codes highlighted) under the territory filter
    of FILTERS, at LEVEL, TERRITORIES being warehouse.territories (code, ept_code).
    An EPT at the commune level: its communes compared, the others in grey; chosen
    communes: all compared, they highlighted; at the EPT level, every EPT compared and the
    chosen EPT highlighted (a choice of communes narrows each EPT instead: whole)."""
    if level == "ept":
        return None, ({filters.ept} if filters.ept and not filters.communes else set())
    if filters.communes:
        return None, set(filters.communes)
    if filters.ept:
        return set(territories.loc[territories["ept_code"] == filters.ept, "code"]), set()
    return None, set()


# A help rate beyond this many interquartile ranges above the third quartile, and more than
# OUTLIER_RATIO times the highest of the others, would flatten them: the axis stops short of
# it and it is drawn at the top edge, its value written.
OUTLIER_IQR = 3.0
OUTLIER_RATIO = 1.5


def help_axis(view: NeedView) -> tuple[float | None, pd.DataFrame]:
    """(the top of the help axis when outliers are set apart, else None; those outliers)."""
    placed = view.placed
    rates = placed["help_rate"].astype(float)
    if len(rates) < 5:
        return None, placed.iloc[0:0]
    q1, q3 = rates.quantile(0.25), rates.quantile(0.75)
    fence = q3 + OUTLIER_IQR * max(q3 - q1, 1e-9)
    outliers = placed[rates > fence]
    rest = rates[rates <= fence]
    if outliers.empty or rest.empty or outliers["help_rate"].min() < OUTLIER_RATIO * rest.max():
        return None, placed.iloc[0:0]
    return float(rest.max()) * 1.15, outliers.sort_values("help_rate", ascending=False)


def scale_note(view: NeedView) -> str | None:
    """What the chart says of an axis cut short: « Échelle coupée à 25 pour 1 000 … »."""
    top, outliers = help_axis(view)
    if top is None:
        return None
    listed = _names(
        outliers.assign(
            name=[
                f"{n} ({fmt.number(v, 1)})"
                for n, v in zip(outliers["name"], outliers["help_rate"], strict=True)
            ]
        )
    )
    return (
        f"Échelle de l'aide coupée à {fmt.number(top, 1)} pour que les autres territoires "
        f"restent lisibles : {listed}, au-delà, "
        + ("est placé" if len(outliers) == 1 else "sont placés")
        + " en haut du graphique (↑)."
    )


def _names(frame: pd.DataFrame) -> str:
    names = list(frame["name"])
    return ", ".join(names[:-1]) + " et " + names[-1] if len(names) > 1 else "".join(names)


def main_reading(view: NeedView) -> str:
    """« 7 communes sur 39 ont un besoin supérieur à la médiane et une aide inférieure à la
    médiane : A, B et C. » and, when some are not placed, which and why."""
    total = len(view.table)
    side = "inférieur" if view.high_need_below else "supérieur"
    what = f"un besoin {side} à la médiane et une aide inférieure à la médiane"
    count = int(view.table["priority"].sum())
    if view.placed.empty:
        sentence = (
            f"Aucun des {fmt.number(total)} territoires ne peut être placé : "
            "il faut à la fois une aide et une valeur de besoin."
        )
    elif count == 0:
        none = "Aucun EPT" if view.level == "ept" else "Aucune commune"
        sentence = f"{none} sur {fmt.number(total)} n'a {what}."
    else:
        verb = "a" if count == 1 else "ont"
        sentence = (
            f"{fmt.number(count)} {territory_word(view.level, count)} sur {fmt.number(total)} "
            f"{verb} {what} : {_names(view.priority.sort_values('name'))}."
        )
    if view.high_need_below:
        sentence += " Pour cet indicateur, une valeur basse signale une fragilité."
    elif view.direction == "neutre":
        sentence += " Cet indicateur n'a pas de sens de fragilité : « besoin » = au-dessus."
    unplaced = view.table[view.table["status"] != PLACED]
    if not unplaced.empty:
        parts = [
            f"{reason} : {_names(rows.sort_values('name'))}"
            for reason, rows in unplaced.groupby("status", sort=True)
        ]
        sentence += (
            f" Non {'placé' if len(unplaced) == 1 else 'placés'} "
            f"({fmt.number(len(unplaced))} sur {fmt.number(total)}, hors des médianes) : "
            + " ; ".join(parts)
            + "."
        )
    return sentence


# Tables ------------------------------------------------------------------------------------

HELP_RATE_COLUMN = "Aide pour 1 000 habitants"


def display_table(view: NeedView, mask_label: str | None = None) -> pd.DataFrame:
    """Every territory (the chart's data, for its export and the sortable table): masked
    help reads « < 5 » (or « secret ») and its rate « masqué », as does a hidden need (a
    count of people per 1 000 inhabitants, Aidants Connect)."""
    t = view.table
    if view.chosen:  # figures of the chosen territories only, as every page's tables hold
        t = t[t["code"].isin(view.chosen)]
    label = t["mask_text"].fillna(mask_label or disclosure.current_label())
    frame = pd.DataFrame(
        {
            "Territoire": t["name"],
            "EPT": t["ept_name"],
            "Population": t["population"],
            view.need_label: disclosure.labelled(
                t["need"].round(2), _need_masked(t), disclosure.DERIVED_LABEL
            ),
            "Aide (nombre)": disclosure.labelled(t["help"], t["masked"], label),
            HELP_RATE_COLUMN: disclosure.labelled(
                t["help_rate"].round(2), t["masked"], disclosure.DERIVED_LABEL
            ),
            "Prioritaire": np.where(t["priority"], "oui", "non"),
            "Sur le graphique": np.where(t["status"] == PLACED, "oui", "non – " + t["status"]),
        }
    )
    if view.level == "ept":
        frame = frame.drop(columns="EPT")
    return _marked(frame, view)


def _need_masked(table: pd.DataFrame) -> pd.Series:
    """Whether each need is a hidden count of people (False for tables built without it)."""
    if "need_masked" in table:
        return table["need_masked"].astype(bool)
    return pd.Series(False, index=table.index)


def _marked(frame: pd.DataFrame, view: NeedView) -> pd.DataFrame:
    """FRAME marked as VIEW's table is (protected or exact counts), for the exports."""
    origin = view.table.attrs.get(disclosure.COUNTS)
    return disclosure.mark(frame, origin) if origin else frame


def priority_table(view: NeedView) -> pd.DataFrame:
    """The « communes prioritaires », the neediest first (the medians, the same on every row,
    are said once above the table: priority_rule)."""
    rows = view.priority.sort_values("need", ascending=view.high_need_below)
    frame = pd.DataFrame(
        {
            "Territoire": rows["name"],
            "EPT": rows["ept_name"],
            view.need_label: rows["need"].round(2),
            HELP_RATE_COLUMN: rows["help_rate"].round(2),
            "Population": rows["population"],
        }
    )
    if view.level == "ept":
        frame = frame.drop(columns="EPT")
    return _marked(frame.reset_index(drop=True), view)


def priority_rule(view: NeedView) -> str:
    """What makes a territory a priority, with the medians' values."""
    side = "inférieur" if view.high_need_below else "supérieur"
    need = fmt.number(view.need_median, view.need_decimals)
    return (
        f"Besoin {side} à la médiane ({need}) et aide inférieure à la médiane "
        f"({fmt.number(view.help_median, 1)} pour 1 000 habitants)."
    )


def table_formats(view: NeedView) -> dict:
    decimals = view.need_decimals
    return {
        "Population": fmt.number,
        view.need_label: lambda v: fmt.number(v, decimals),
        "Médiane du besoin": lambda v: fmt.number(v, decimals),
        "Aide (nombre)": fmt.number,
        HELP_RATE_COLUMN: lambda v: fmt.number(v, 1),
        "Médiane de l'aide": lambda v: fmt.number(v, 1),
    }
