"""The map page's logic without Streamlit: the reader's choices and their URL form, the
mapped values (raw, per 1 000 inhabitants, % of the territory's share of a target), the
shapes (official contours or the schematic tile map), the Plotly figure, the accessible
table and the sentence that states the main reading.

The figure draws each territory as a filled polygon on a plain cartesian plot with equal
scales: no map tiles, no world topojson, so it renders offline in the browser and in
kaleido. One legend entry per class, with its French bounds and its number of territories,
and « pas de données » in hatched grey, never as zero.

Disclosure control: in public mode, small counts of people (and what is computed from them)
are masked before anything is drawn or tabulated: the view holds no masked number, only
the flag `masked`; masked territories have their own legend entry, « < 5 (effectif
masqué) », and no class.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import shapely

from core.settings import REFERENCE_DIR
from observatoire import charts, disclosure, fmt
from observatoire.charts import FONT, base_layout, series_marker
from observatoire.charts import targets as charts_targets
from observatoire.classify import (
    DEFAULT_CLASSES,
    MASKED,
    MAX_CLASSES,
    METHODS,
    MIN_CLASSES,
    Classes,
    classify,
    parse_thresholds,
)

TILES_FILE = REFERENCE_DIR / "tuiles-communes.csv"
LEVELS = {"commune": "Communes", "ept": "EPT"}
INDICATORS = {
    "quantite": "Quantités distribuées",
    "personnes": "Personnes touchées",
    "euros": "Euros engagés",
    "postes": "Postes de conseillers numériques",
    "objectif": "Avancement vers un objectif",
}
NORMALISATIONS = {
    "brut": "Nombre brut",
    "habitants": "Pour 1 000 habitants",
    "objectif": "% de la part de l'objectif",
}
NO_DATA = "pas de données"
NO_DATA_COLOUR = "#d9d9d9"
MASKED_NOTE = "effectif masqué"
# Masked territories: white, cross-hatched in purple, apart from the classes (yellow, green,
# blue) and from the grey hatching of « pas de données ».
MASKED_PATTERN = {"shape": "x", "fgcolor": "#762a83", "size": 10, "solidity": 0.15}
NO_DATA_PATTERN = {"shape": "/", "fgcolor": "#7f7f7f", "size": 7, "solidity": 0.25}
# Indicators that count people (or items handed to people): small counts are masked.
PEOPLE_INDICATORS = ("personnes", "quantite")
OUTLINE_COLOUR = "#222222"
# Latitude of the 93: one degree of longitude is cos(48.9°) ≈ 0.66 of a degree of latitude.
LON_SCALE = math.cos(math.radians(48.91))
# Which records make a target's « achieved »: a territory without any is « pas de données ».
TARGET_MEASURE = {
    "quantite": "quantite",
    "montant": "euros",
    "projets": "euros",
    "postes": "postes",
}
TARGET_FAMILY = ("programme_id", "indicator", "item", "public", "operator", "funder")


# The reader's choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class MapChoices:
    """Everything the map page lets the reader choose; lives in the URL query string."""

    level: str = "commune"
    indicator: str = "personnes"
    key: str | None = None  # item (quantite), funder (euros) or target key (objectif)
    norm: str = "brut"
    method: str = "quantiles"
    classes: int = DEFAULT_CLASSES
    thresholds: str = ""  # manual thresholds as typed, « 100 ; 500 »

    QUERY_KEYS = {
        "level": "niveau",
        "indicator": "indicateur",
        "key": "detail",
        "norm": "normalisation",
        "method": "classement",
        "classes": "classes",
        "thresholds": "seuils",
    }

    @property
    def normalisations(self) -> list[str]:
        """The normalisations that make sense for the indicator."""
        return ["objectif"] if self.indicator == "objectif" else ["brut", "habitants"]

    def checked(self) -> MapChoices:
        """Unknown or inconsistent values fall back to their defaults."""
        default = MapChoices()
        level = self.level if self.level in LEVELS else default.level
        indicator = self.indicator if self.indicator in INDICATORS else default.indicator
        fixed = replace(self, level=level, indicator=indicator)
        norm = self.norm if self.norm in fixed.normalisations else fixed.normalisations[0]
        method = self.method if self.method in METHODS else default.method
        try:
            classes = min(max(int(self.classes), MIN_CLASSES), MAX_CLASSES)
        except (TypeError, ValueError):
            classes = default.classes
        key = self.key if indicator in ("quantite", "euros", "objectif") else None
        return replace(fixed, norm=norm, method=method, classes=classes, key=key or None)

    def to_query(self) -> dict[str, str]:
        """Only what differs from the defaults, so that links stay short."""
        default = asdict(MapChoices())
        return {
            self.QUERY_KEYS[name]: str(value)
            for name, value in asdict(self).items()
            if value != default[name] and value not in (None, "")
        }

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MapChoices:
        values = {name: query[key] for name, key in cls.QUERY_KEYS.items() if query.get(key)}
        return cls(**values).checked()

    # The page's widgets hold these values under these session-state keys.
    KEY_WIDGETS = {"quantite": "m_item", "euros": "m_funder", "objectif": "m_target"}
    ALL = "tous"  # the « all items / all funders » option

    def widget_state(self) -> dict:
        state = {
            "m_level": self.level,
            "m_indicator": self.indicator,
            "m_norm": self.norm if self.norm != "objectif" else "brut",
            "m_method": self.method,
            "m_classes": self.classes,
            "m_thresholds": self.thresholds,
            "m_item": self.ALL,
            "m_funder": self.ALL,
        }
        if self.indicator in self.KEY_WIDGETS and self.key:
            state[self.KEY_WIDGETS[self.indicator]] = self.key
        return state

    @classmethod
    def from_widgets(cls, state: Mapping) -> MapChoices:
        indicator = state.get("m_indicator", "personnes")
        key = state.get(cls.KEY_WIDGETS[indicator]) if indicator in cls.KEY_WIDGETS else None
        return cls(
            level=state.get("m_level") or "commune",
            indicator=indicator,
            key=None if key == cls.ALL else key,
            norm="objectif" if indicator == "objectif" else state.get("m_norm", "brut"),
            method=state.get("m_method", "quantiles"),
            classes=state.get("m_classes", DEFAULT_CLASSES),
            thresholds=state.get("m_thresholds", ""),
        ).checked()


# Values -----------------------------------------------------------------------------------


def target_key(row: Mapping) -> str:
    """A short stable key for a target family, for the URL."""
    parts = "|".join("" if pd.isna(row.get(c)) else str(row.get(c)) for c in TARGET_FAMILY)
    return hashlib.sha1(parts.encode()).hexdigest()[:10]


def target_options(progress: pd.DataFrame) -> dict[str, str]:
    """Target key → « Programme – label (unit) » for the targets in a progress table."""
    if progress.empty:
        return {}
    families = progress.drop_duplicates(list(TARGET_FAMILY))
    return {
        target_key(row): f"{row['programme_name']} – {row['label']}"
        for _, row in families.iterrows()
    }


def progress_values(progress: pd.DataFrame, key: str, records: pd.DataFrame) -> pd.DataFrame:
    """The chosen target's rows as map values: value = achieved, target_share, share_rule.
    A territory without any record of the target's kind is « pas de données »."""
    keys = progress.apply(target_key, axis=1) if not progress.empty else pd.Series(dtype=str)
    rows = progress[keys == key]
    has_records = dict(zip(records["code"], records["records"] > 0, strict=True))
    frame = pd.DataFrame(
        {
            "code": rows["territory_code"],
            "name": rows["territory_name"],
            "ept_code": rows["ept_code"],
            "ept_name": rows["ept_name"],
            "population": rows["population"],
            "value": rows["achieved"].astype(float),
            "target_share": rows["target_share"].astype(float),
            "share_rule": rows["share_rule"],
            "has_demo": rows["has_demo"],
        }
    )
    frame.loc[~frame["code"].map(has_records).fillna(False).astype(bool), "value"] = np.nan
    return frame.reset_index(drop=True)


def normalise(values: pd.DataFrame, norm: str) -> pd.DataFrame:
    """Add `shown`, the mapped number: the value, per 1 000 inhabitants, or the ratio of
    the value to the territory's share of the target (0.82 for 82 %)."""
    frame = values.copy()
    if norm == "habitants":
        frame["shown"] = frame["value"] * 1000 / frame["population"]
    elif norm == "objectif":
        share = frame["target_share"].where(frame["target_share"] > 0)
        frame["shown"] = frame["value"] / share
    else:
        frame["shown"] = frame["value"]
    return frame


@dataclass(frozen=True)
class Units:
    """How to write the mapped numbers in French."""

    indicator: str
    noun: str  # « ordinateurs », « personnes touchées », « postes », « € »
    singular: str = ""  # « ordinateur » (French: 0 and 1 take the singular)
    decimals: int = 1  # of the per-1 000 figures and the legend bounds, set by the data

    def raw(self, value: float) -> str:
        if pd.isna(value):
            return NO_DATA
        if self.noun == "€":
            return fmt.money(value)
        noun = self.singular if abs(value) < 2 and self.singular else self.noun
        return f"{fmt.number(value)} {noun}"

    def shown(self, value: float, norm: str) -> str:
        if pd.isna(value):
            return NO_DATA
        if norm == "habitants":
            return f"{fmt.number(value, self.decimals)} {self.noun} pour 1 000 habitants"
        if norm == "objectif":
            return f"{fmt.percent(value)} de sa part de l'objectif"
        return self.raw(value)

    def bound(self, value: float, norm: str) -> str:
        """A legend bound: short, French."""
        if norm == "objectif":
            return fmt.percent(value)
        if norm == "habitants":
            return fmt.number(value, self.decimals)
        return fmt.money(value) if self.noun == "€" else fmt.number(value)

    def fitted(self, classes: Classes, norm: str) -> Units:
        """Enough decimals for the per-1 000 figures that the class bounds differ."""
        if norm != "habitants":
            return self
        return replace(self, decimals=_decimals_for(classes.bounds))


def _decimals_for(bounds: tuple[float, ...]) -> int:
    steps = [b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    if not steps:
        return 1
    return int(min(3, max(1, math.ceil(-math.log10(min(steps))) + 1)))


SINGULARS = {
    "personnes touchées": "personne touchée",
    "postes": "poste",
    "équipements": "équipement",
}


def units_for(choices: MapChoices, target_unit: str | None = None) -> Units:
    nouns = {
        "personnes": "personnes touchées",
        "euros": "€",
        "postes": "postes",
        "objectif": target_unit or "",
    }
    if choices.indicator == "quantite" and choices.key:
        noun = fmt.item_label(choices.key).lower().replace("sim", "SIM")
        singular = fmt.ITEM_LABELS_SINGULAR.get(choices.key, noun)
    else:
        noun = "équipements" if choices.indicator == "quantite" else nouns[choices.indicator]
        singular = SINGULARS.get(noun, "")
    return Units(choices.indicator, noun, singular)


def indicator_title(choices: MapChoices, detail: str | None = None) -> str:
    """« Ordinateurs distribués, pour 1 000 habitants, par commune »."""
    if choices.indicator == "quantite":
        what = (
            f"{fmt.item_label(choices.key)} distribués"
            if choices.key
            else ("Équipements distribués")
        )
        if choices.key in ("carte_sim", "recharge", "tablette"):
            what = f"{fmt.item_label(choices.key)} distribuées"
        if choices.key == "accompagnement":
            what = "Accompagnements réalisés"
    elif choices.indicator == "euros":
        what = "Euros engagés" + (f" par {detail or choices.key}" if choices.key else "")
    elif choices.indicator == "objectif":
        what = f"Avancement : {detail}" if detail else "Avancement vers un objectif"
    else:
        what = INDICATORS[choices.indicator]
    norm = {"brut": "", "habitants": ", pour 1 000 habitants", "objectif": ""}[choices.norm]
    where = ", par commune" if choices.level == "commune" else ", par EPT"
    return f"{what}{norm}{where}"


def classes_for(frame: pd.DataFrame, choices: MapChoices) -> Classes:
    thresholds: tuple[float, ...] = ()
    if choices.method == "manuel":
        thresholds = parse_thresholds(choices.thresholds)
        if choices.norm == "objectif":  # typed as percentages
            thresholds = tuple(t / 100 for t in thresholds)
    return classify(
        frame["shown"].tolist(),
        choices.method,
        choices.classes,
        thresholds,
        masked=frame["masked"].tolist() if "masked" in frame else (),
    )


@dataclass(frozen=True)
class MapView:
    """What the figure, the table and the sentence need, computed once."""

    choices: MapChoices
    # code, name, ept_name, population, value, shown, masked (+ target columns); value and
    # shown are NaN where masked.
    table: pd.DataFrame
    classes: Classes
    units: Units
    title: str
    people: bool = False  # the values count people: small counts are masked in public mode
    mask_label: str = "< 5"

    @property
    def masked(self) -> pd.Series:
        return self.table["masked"]


def counts_people(choices: MapChoices, target_indicator: str | None = None) -> bool:
    """Whether the mapped values count people or items handed to people (not euros, not
    posts); progress towards a target counts people when the target counts items."""
    if choices.indicator == "objectif":
        return target_indicator == "quantite"
    return choices.indicator in PEOPLE_INDICATORS


def prepare(
    values: pd.DataFrame,
    choices: MapChoices,
    *,
    target_label: str | None = None,
    target_unit: str | None = None,
    target_indicator: str | None = None,
) -> MapView:
    """The view of VALUES under CHOICES. In public mode, counts of people below the threshold
    (and a second one when a single one is) are masked here, once: their value and whatever
    is computed from it (per 1 000 inhabitants, % of the target) are dropped."""
    table = normalise(values, choices.norm).reset_index(drop=True)
    people = counts_people(choices, target_indicator)
    table["masked"] = disclosure.hidden(table["value"]) if people else False
    table["mask_text"] = disclosure.hidden_texts(table["value"]) if people else None
    table.loc[table["masked"], ["value", "shown"]] = np.nan
    classes = classes_for(table, choices)
    units = units_for(choices, target_unit).fitted(classes, choices.norm)
    return MapView(
        choices,
        table,
        classes,
        units,
        indicator_title(choices, target_label),
        people=people,
        # The legend's words for every masked territory: « < 5 », or « < 5 ou secret » when
        # a second count is hidden to protect a small one.
        mask_label=" ou ".join(
            text
            for text in (disclosure.current_label(), disclosure.SECONDARY_LABEL)
            if people and (table["mask_text"] == text).any()
        )
        or disclosure.current_label(),
    )


# Shapes -----------------------------------------------------------------------------------


def _scaled(geometry: shapely.Geometry) -> shapely.Geometry:
    """Longitude shrunk by cos(latitude) so that equal axis scales keep shapes true."""
    return shapely.transform(geometry, lambda xy: xy * np.array([LON_SCALE, 1.0]))


def boundary_shapes(boundaries: pd.DataFrame) -> dict[str, shapely.Geometry]:
    """Code → shape (scaled for drawing) from the stored GeoJSON contours."""
    return {
        code: _scaled(shapely.from_geojson(text))
        for code, text in zip(boundaries["code"], boundaries["geojson"], strict=True)
    }


@cache
def _tiles() -> pd.DataFrame:
    return pd.read_csv(TILES_FILE, dtype={"code": str, "row": int, "col": int, "abbr": str})


TILE_SIZE, TILE_GAP = 1.0, 0.08


def tile_shapes(territories: pd.DataFrame, level: str) -> dict[str, shapely.Geometry]:
    """The schematic map: one equal square per commune (positions in
    data/reference/tuiles-communes.csv); at EPT level, the union of its communes' tiles."""
    tiles = _tiles().merge(territories[["code", "ept_code"]], on="code")
    squares = {
        row.code: shapely.box(
            row.col * TILE_SIZE,
            -row.row * TILE_SIZE - (TILE_SIZE - TILE_GAP),
            row.col * TILE_SIZE + (TILE_SIZE - TILE_GAP),
            -row.row * TILE_SIZE,
        )
        for row in tiles.itertuples()
    }
    if level == "commune":
        return squares
    return _dissolve(squares, dict(zip(tiles["code"], tiles["ept_code"], strict=True)))


def tile_outlines(territories: pd.DataFrame) -> dict[str, shapely.Geometry]:
    """EPT outlines around their communes' tiles."""
    tiles = _tiles().merge(territories[["code", "ept_code"]], on="code")
    return _dissolve(
        tile_shapes(territories, "commune"),
        dict(zip(tiles["code"], tiles["ept_code"], strict=True)),
    )


def _dissolve(
    shapes: dict[str, shapely.Geometry], group_of: dict[str, str]
) -> dict[str, shapely.Geometry]:
    groups: dict[str, list[shapely.Geometry]] = {}
    for code, shape in shapes.items():
        groups.setdefault(group_of[code], []).append(
            shape.buffer(TILE_GAP / 2 + 1e-6, join_style=2)
        )
    return {
        group: shapely.union_all(parts).buffer(-TILE_GAP / 4, join_style=2)
        for group, parts in groups.items()
    }


def tile_labels(level: str) -> dict[str, str]:
    """Abbreviations drawn on the tiles (communes only)."""
    if level != "commune":
        return {}
    return dict(zip(_tiles()["code"], _tiles()["abbr"], strict=True))


def shapes_for(
    boundaries: pd.DataFrame,
    ept_boundaries: pd.DataFrame,
    table: pd.DataFrame,
    level: str,
    communes: pd.DataFrame,
) -> tuple[dict, dict, dict[str, str], bool]:
    """(shapes, EPT outlines, tile labels, schematic?) for the territories of TABLE: the
    official contours when loaded, otherwise the schematic tile map. COMMUNES: code and
    ept_code of every commune (the tiles of an EPT)."""
    epts = set(table["ept_code"])
    schematic = boundaries.empty or ept_boundaries.empty
    if schematic:
        communes = communes[communes["ept_code"].isin(epts)]
        if level == "commune":
            communes = communes[communes["code"].isin(table["code"])]
        shapes = tile_shapes(communes, level)
        outlines = tile_outlines(communes)
        labels = tile_labels(level)
    else:
        shapes = boundary_shapes(boundaries)
        outlines = boundary_shapes(ept_boundaries)
        labels = {}
    shapes = {c: g for c, g in shapes.items() if c in set(table["code"])}
    outlines = {c: g for c, g in outlines.items() if c in epts}
    return shapes, outlines, labels, schematic


def notes(view: MapView, key_figures: Mapping) -> list[str]:
    """What the reader must know to read the map right: the share rule, money that is on
    no territory, the population used."""
    out = []
    choices, table = view.choices, view.table
    if choices.indicator == "objectif" and "share_rule" in table:
        rules = table["share_rule"].value_counts()
        parts = [f"{rule} ({fmt.plural(n, 'territoire')})" for rule, n in rules.items()]
        out.append(
            "Part de l'objectif de chaque territoire : " + ", ".join(parts) + ". Un objectif "
            "explicite d'EPT ou de commune l'emporte ; sinon l'objectif départemental (moins "
            "les objectifs explicites) est réparti au prorata de la population municipale 2023."
        )
    if choices.indicator == "euros" and key_figures.get("euros_departement_wide"):
        out.append(
            f"{fmt.money(key_figures['euros_departement_wide'])} engagés à l'échelle du "
            "département ne sont rattachés à aucun territoire et ne figurent pas sur la carte."
        )
        if choices.level == "commune":
            out.append("Les financements versés à un EPT sont visibles au niveau EPT.")
    if choices.norm == "habitants":
        out.append("Pour 1 000 habitants : population municipale 2023 (INSEE).")
    drawn = " ; sur la carte, ils ont leur propre motif (croisillons violets), hors des classes"
    if view.people and (note := disclosure.public_note(drawn)):
        out.append(note)
    return out


# The figure -------------------------------------------------------------------------------


def class_colours(count: int) -> list[str]:
    """Sequential ColorBrewer YlGnBu (colour-blind safe), light to dark; the lightest step
    is skipped so no class can be mistaken for the grey of « pas de données »."""
    if count <= 0:
        return []
    if count == 1:
        return [plotly.colors.sample_colorscale("YlGnBu", [0.6])[0]]
    positions = [min(1.0, 0.2 + 0.8 * i / (count - 1)) for i in range(count)]
    return plotly.colors.sample_colorscale("YlGnBu", positions)


def _rings(geometry: shapely.Geometry) -> tuple[list[float | None], list[float | None]]:
    """x and y of every ring, separated by None (one filled shape each)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for polygon in shapely.get_parts(geometry):
        if shapely.get_type_id(polygon) != 3:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)
            xs.extend(coords[:, 0].tolist() + [None])
            ys.extend(coords[:, 1].tolist() + [None])
    return xs, ys


# Plotly draws text as HTML: the « < » of a mask label is written as an entity.
def territory_map(
    view: MapView,
    shapes: dict[str, shapely.Geometry],
    outlines: dict[str, shapely.Geometry],
    *,
    labels: Mapping[str, str] | None = None,
    schematic: bool = False,
    height: int = 640,
) -> go.Figure:
    """The choropleth of VIEW over SHAPES (code → shape), with the EPT OUTLINES drawn
    over it. A click anywhere on a territory selects one of its invisible points (see
    click_targets), whose customdata[0] is its code."""
    table, classes, units = view.table, view.classes, view.units
    norm, level = view.choices.norm, view.choices.level
    title = view.title + (" (carte schématique)" if schematic else "")
    colours = class_colours(classes.count)
    bound_labels = classes.labels(lambda v: units.bound(v, norm))
    word = "commune" if level == "commune" else "EPT"
    fig = go.Figure()
    rows = list(table.itertuples(index=False))
    fills = {MASKED: ("white", MASKED_PATTERN), -1: (NO_DATA_COLOUR, NO_DATA_PATTERN)}
    fills.update({klass: (colour, None) for klass, colour in enumerate(colours)})
    drawn: set[int] = set()
    for row, klass in zip(rows, classes.index, strict=True):
        shape = shapes.get(row.code)
        if shape is None:
            continue
        xs, ys = _rings(shape)
        colour, pattern = fills[klass]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            fillcolor=colour,
            fillpattern=pattern,
            line={"color": "white", "width": 1},
            hoveron="fills",
            hoverinfo="text",
            text=_hover(row, view),
            legendgroup=f"class{klass}",
            showlegend=False,
        )
        drawn.add(klass)
    # The legend: square swatches (legend-only bars, which show a fill pattern), every
    # class even when empty, then the masked territories and those without data if drawn.
    names = {
        klass: f"{label} ({fmt.plural(count, word, _plural(word))})"
        for klass, (label, count) in enumerate(zip(bound_labels, classes.counts, strict=True))
    }
    names[MASKED] = (
        f"{fmt.chart_text(view.mask_label)} ({MASKED_NOTE}, "
        f"{fmt.plural(classes.masked, word, _plural(word))})"
    )
    names[-1] = f"{NO_DATA} ({fmt.plural(classes.missing, word, _plural(word))})"
    for klass in [*range(classes.count), MASKED, -1]:
        if klass < 0 and klass not in drawn:
            continue
        colour, pattern = fills[klass]
        fig.add_bar(
            x=[None],
            y=[None],
            name=names[klass],
            marker={"color": colour, "pattern": pattern, "line": {"color": "#999", "width": 1}},
            legendgroup=f"class{klass}",
            legendrank=100 + (klass if klass >= 0 else MAX_CLASSES - klass),
            hoverinfo="skip",
        )
    for code, outline in outlines.items():
        xs, ys = _rings(outline)
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": OUTLINE_COLOUR, "width": 2.5},
            hoverinfo="skip",
            showlegend=False,
            name=f"EPT {code}",
        )
    _add_click_targets(fig, view, shapes)
    dark = {
        row.code
        for row, klass in zip(rows, classes.index, strict=True)
        if klass >= 0 and klass >= classes.count / 2
    }
    _add_markers(fig, view, shapes, labels or {}, dark)
    base_layout(fig, title, height=height)
    fig.update_layout(
        legend={
            "orientation": "v",
            "x": 1.0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
            "title": {"text": _legend_title(norm, units)},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        hovermode="closest",
        dragmode=False,
        clickmode="event+select",
    )
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1)
    return fig


def _plural(word: str) -> str:
    return "EPT" if word == "EPT" else word + "s"


def _legend_title(norm: str, units: Units) -> str:
    if norm == "objectif":
        return "% de la part de l'objectif"
    if norm == "habitants":
        return f"{units.noun} pour 1 000 hab."
    return units.noun if units.noun != "€" else "euros"


def _hover(row, view: MapView) -> str:
    units, norm = view.units, view.choices.norm
    lines = [f"<b>{row.name}</b>"]
    if getattr(row, "ept_name", None) and row.ept_name != row.name:
        lines.append(f"EPT {row.ept_name}")
    if row.masked:
        lines.append(f"{fmt.chart_text(row.mask_text)} {units.noun} ({MASKED_NOTE})")
    elif pd.isna(row.value):
        lines.append(NO_DATA.capitalize())
    else:
        lines.append(units.raw(row.value))
        if norm != "brut":
            lines.append(units.shown(row.shown, norm))
    share = getattr(row, "target_share", np.nan)
    if norm == "objectif" and not pd.isna(share) and (row.masked or not pd.isna(row.value)):
        lines.append(f"Part de l'objectif : {fmt.number(share)} {units.noun}")
    lines.append(f"Population 2023 : {fmt.number(row.population)} hab.")
    return "<br>".join(lines)


# Plotly selects points, never a filled shape: each territory is filled with invisible
# points, CLICK_GRID steps across the map's longer side (about 15 px on screen), so that a
# click anywhere on it lands within Plotly's hover distance (20 px) of one of them.
CLICK_GRID = 50


def click_targets(
    shapes: dict[str, shapely.Geometry], steps: int = CLICK_GRID
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Code → (x, y) of the points of one lattice that fall inside its shape, plus a point
    on its surface, so that even a territory smaller than a step has one."""
    if not shapes:
        return {}
    bounds = np.array([shape.bounds for shape in shapes.values()])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    step = max(maxx - minx, maxy - miny) / steps
    grid_x, grid_y = np.meshgrid(
        np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step)
    )
    grid_x, grid_y = grid_x.ravel(), grid_y.ravel()
    targets = {}
    for code, shape in shapes.items():
        inside = shapely.contains_xy(shape, grid_x, grid_y)
        anchor = shape.point_on_surface()
        targets[code] = (
            np.round(np.append(grid_x[inside], anchor.x), 6),
            np.round(np.append(grid_y[inside], anchor.y), 6),
        )
    return targets


def _add_click_targets(fig: go.Figure, view: MapView, shapes: dict[str, shapely.Geometry]) -> None:
    targets = click_targets(shapes)
    for row in view.table.itertuples(index=False):
        if row.code not in targets:
            continue
        xs, ys = targets[row.code]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"size": 6, "color": "rgba(0,0,0,0)"},
            customdata=[[row.code]] * len(xs),
            hovertext=_hover(row, view),
            hoverinfo="text",
            showlegend=False,
            name=f"zone {row.code}",
            selected={"marker": {"opacity": 0}},
            unselected={"marker": {"opacity": 0}},
        )


def _add_markers(
    fig: go.Figure,
    view: MapView,
    shapes: dict[str, shapely.Geometry],
    labels: Mapping[str, str],
    dark: set[str],
) -> None:
    """One point per territory, with its label on the schematic map (invisible on the
    official contours). DARK: codes drawn in a dark colour, whose label is written in
    white."""
    rows = [row for row in view.table.itertuples(index=False) if row.code in shapes]
    points = [shapes[row.code].point_on_surface() for row in rows]
    fig.add_scatter(
        x=[p.x for p in points],
        y=[p.y for p in points],
        mode="markers+text" if labels else "markers",
        text=[labels.get(row.code, "") for row in rows] if labels else None,
        textfont={
            "family": FONT,
            "size": 11,
            "color": ["white" if row.code in dark else "#111" for row in rows],
        },
        marker={"size": 22 if labels else 9, "color": "rgba(255,255,255,0.01)"},
        customdata=[[row.code] for row in rows],
        hovertext=[_hover(row, view) for row in rows],
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
        name="territoires",
        selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 1}},
    )


def selected_code(event) -> str | None:
    """The territory code of a click on the map (st.plotly_chart's selection)."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points:
        data = point.get("customdata")
        if data:
            return data[0] if isinstance(data, list) else data
    return None


# The accessible alternative ---------------------------------------------------------------


def _labelled(values: pd.Series, masked: pd.Series, label: str | pd.Series) -> np.ndarray:
    """VALUES with LABEL (text, or one text per row) where MASKED; numbers stay numbers when
    nothing is."""
    if not masked.any():
        return values.to_numpy()
    out = values.astype(object).to_numpy(copy=True)
    where = masked.to_numpy(dtype=bool)
    out[where] = label.to_numpy()[where] if isinstance(label, pd.Series) else label
    return out


def value_header(view: MapView) -> str:
    return view.units.noun.capitalize() if view.units.noun != "€" else "Euros"


def display_table(view: MapView) -> pd.DataFrame:
    """The figures of the map as a sortable table with French headers (numbers stay
    numbers so that sorting works); the class column repeats the legend. Masked counts read
    « < 5 » and what is computed from them « masqué »."""
    table, classes, choices, units = view.table, view.classes, view.choices, view.units
    masked = view.masked
    labels = classes.labels(lambda v: units.bound(v, choices.norm))
    name = "Commune" if choices.level == "commune" else "EPT"
    out = pd.DataFrame({name: table["name"]})
    if choices.level == "commune":
        out["EPT"] = table["ept_name"].to_numpy()
    out[value_header(view)] = _labelled(table["value"], masked, table["mask_text"])
    derived = disclosure.DERIVED_LABEL
    if choices.norm == "habitants":
        out["Pour 1 000 habitants"] = _labelled(table["shown"].round(1), masked, derived)
    if choices.norm == "objectif":
        out["Part de l'objectif"] = table["target_share"].round(1).to_numpy()
        out["Avancement (%)"] = _labelled((table["shown"] * 100).round(1), masked, derived)
        out["Règle de partage"] = table["share_rule"].to_numpy()
    out["Population 2023"] = table["population"].to_numpy()
    out["Classe"] = [
        f"{text} ({MASKED_NOTE})" if i == MASKED else labels[i] if i >= 0 else NO_DATA
        for i, text in zip(classes.index, table["mask_text"], strict=True)
    ]
    return out


def table_formats(view: MapView) -> dict:
    """How display_table's numbers are written on screen (French)."""
    one_decimal = lambda v: fmt.number(v, 1)  # noqa: E731
    return {
        value_header(view): fmt.money if view.units.noun == "€" else fmt.number,
        "Pour 1 000 habitants": one_decimal,
        "Part de l'objectif": one_decimal,
        "Avancement (%)": one_decimal,
        "Population 2023": fmt.number,
    }


def main_reading(view: MapView) -> str:
    """One French sentence for the main reading: the first territory, then the last, and
    how many are masked or have no data. « Montreuil : 1 240 ordinateurs, 82 % de sa part
    de l'objectif — le plus haut des 39 communes ; … »."""
    table, choices, units = view.table, view.choices, view.units
    single, word = ("commune", "communes") if choices.level == "commune" else ("EPT", "EPT")
    known = table.dropna(subset=["shown"]).sort_values("shown", ascending=False)
    masked = int(view.masked.sum())
    missing = len(table) - len(known) - masked
    apart = []
    if masked:
        apart.append(f"{fmt.plural(masked, single, word)} à effectif masqué ({view.mask_label})")
    if missing:
        apart.append(f"{fmt.plural(missing, single, word)} sans données")
    if known.empty:
        if not masked:
            return f"Aucune donnée pour les {len(table)} {word} sous les filtres choisis."
        return f"Aucune valeur affichable : {' ; '.join(apart)}."
    top, bottom = known.iloc[0], known.iloc[-1]
    sentence = f"{top['name']} : {_reading_value(top, choices, units)}"
    if len(known) > 1:
        sentence += (
            f" — la valeur la plus haute des {len(known)} {word} avec des données ; la plus "
            f"basse : {bottom['name']} ({_reading_value(bottom, choices, units)})"
        )
    return sentence + "".join(f" ; {part}" for part in apart) + "."


def _reading_value(row: pd.Series, choices: MapChoices, units: Units) -> str:
    text = units.raw(row["value"])
    if choices.norm != "brut":
        text += ", " + units.shown(row["shown"], choices.norm)
    return text


# The territory sheet ----------------------------------------------------------------------

COMPARED = (
    ("items_distributed", "Équipements distribués"),
    ("people_reached", "Personnes touchées"),
    ("euros_committed", "Euros engagés"),
    ("conseiller_posts", "Postes de conseillers numériques"),
)
# Key figures that count people (or items handed to people): masked when small.
PEOPLE_FIGURES = ("items_distributed", "people_reached")
PER_THOUSAND = " (pour 1 000 hab.)"


def figure_text(figures: Mapping, key: str) -> str:
    """A key figure in French, « < 5 » when it is a small count of people (public mode)."""
    value = figures.get(key)
    if key in PEOPLE_FIGURES and disclosure.is_small(value):
        return disclosure.current_label()
    return fmt.money(value) if key == "euros_committed" else fmt.number(value)


def comparison_table(figures: list[tuple[str, Mapping]]) -> pd.DataFrame:
    """Key figures of a territory beside its EPT and the département: each indicator as a
    count and per 1 000 inhabitants. FIGURES: (column name, key_figures dict), in order.
    Small counts of people read « < 5 » and their rate « masqué » (public mode); the
    population has no rate."""
    rows = []
    for key, label in COMPARED:
        row = {"Indicateur": label}
        for name, fig in figures:
            value = float(fig.get(key) or 0)
            rate = value * 1000 / fig["population"] if fig.get("population") else math.nan
            if key in PEOPLE_FIGURES and disclosure.is_small(value):
                value, rate = disclosure.current_label(), disclosure.DERIVED_LABEL
            row[name] = value
            row[name + PER_THOUSAND] = rate if isinstance(rate, str) else round(rate, 2)
        rows.append(row)
    population = {"Indicateur": "Population municipale 2023"}
    for name, fig in figures:
        population[name] = float(fig.get("population") or 0)
        population[name + PER_THOUSAND] = math.nan
    rows.append(population)
    return pd.DataFrame(rows)


def comparison_formats(table: pd.DataFrame) -> dict:
    return {
        column: (lambda v: fmt.number(v, 2)) if column.endswith(PER_THOUSAND) else fmt.number
        for column in table.columns[1:]
    }


# Distribution records: their quantity counts people (items handed to people).
RECORDS_SHOWN = 1000


def public_records(records: pd.DataFrame) -> pd.DataFrame:
    """The sheet's records with the small quantities of distributions (people) masked in
    public mode; money and posts are not counts of people and stay exact."""
    return disclosure.mask_rows(records, "Quantité", records["Type"] == "Distribution")


RECORDS_FORMATS = {
    "Date": fmt.french_date,
    "Quantité": fmt.number,
    "Montant (€)": fmt.money,
    "Démonstration": lambda v: "oui" if v else "non",
}
# The data behind the sheet's progress chart (its export).
PROGRESS_COLUMNS = (
    "programme_name",
    "label",
    "achieved",
    "target_share",
    "unit",
    "progress",
    "share_rule",
    "source_title",
)


def programme_months_bars(frame: pd.DataFrame, title: str) -> go.Figure:
    """Monthly quantities, one colour per programme (stacked)."""
    fig = go.Figure()
    for i, (name, rows) in enumerate(frame.groupby("programme_name", sort=True)):
        fig.add_bar(
            x=rows["month"],
            y=rows["quantity"],
            name=name,
            marker=series_marker(i),
            hovertemplate=f"{name} – %{{x|%m/%Y}} : %{{y:,.0f}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    # A short period: one tick per month (else Plotly repeats a month between two ticks).
    monthly = "M1" if frame["month"].nunique() <= 12 else None
    fig.update_xaxes(tickformat="%m/%Y", title=None, dtick=monthly)
    fig.update_yaxes(tickformat=",.0f", title=None)
    fig = base_layout(fig, title, height=420)
    fig.update_layout(legend={"y": -0.45})
    return fig


def funders_bars(frame: pd.DataFrame, title: str) -> go.Figure:
    data = frame.sort_values("amount_eur")
    fig = go.Figure(
        go.Bar(
            x=data["amount_eur"],
            y=data["funder"],
            orientation="h",
            marker_color="#0072B2",
            text=[fmt.money(v) for v in data["amount_eur"]],
            textposition="auto",
            hovertemplate="%{y} : %{x:,.0f} €<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=",.0f", ticksuffix=" €", title=None)
    return base_layout(fig, title, height=max(220, 80 + 40 * len(data)))


def programme_months_reading(frame: pd.DataFrame) -> str:
    """« Mois le plus actif : 11/2020 (1 240 distributions, dont 1 000 pour Emmaüs
    Connect) ; 3 programmes, 5 400 distributions au total. »"""
    if frame.empty:
        return "Aucune distribution enregistrée."
    per_month = frame.groupby("month")["quantity"].sum()
    peak = per_month.idxmax()
    in_peak = frame[frame["month"] == peak].sort_values("quantity", ascending=False).iloc[0]
    programmes = frame["programme_name"].nunique()
    return (
        f"Mois le plus actif : {pd.Timestamp(peak):%m/%Y} ({fmt.number(per_month.max())} "
        f"distributions, dont {fmt.number(in_peak['quantity'])} pour "
        f"{in_peak['programme_name']}) ; {fmt.plural(programmes, 'programme')}, "
        f"{fmt.number(per_month.sum())} distributions au total."
    )


def funders_reading(frame: pd.DataFrame) -> str:
    """« État : 300 000 €, premier des 3 financeurs ; 450 000 € au total. »"""
    if frame.empty:
        return "Aucun financement."
    top = frame.sort_values("amount_eur", ascending=False).iloc[0]
    if len(frame) == 1:
        return f"{top['funder']}, seul financeur : {fmt.money(top['amount_eur'])}."
    return (
        f"{top['funder']} : {fmt.money(top['amount_eur'])}, premier des {len(frame)} "
        f"financeurs ; {fmt.money(frame['amount_eur'].sum())} au total."
    )


# The sheet's charts of counts of people (public mode) -------------------------------------


def mask_people(
    frame: pd.DataFrame, column: str, by: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its data export) of a chart of counts of people: small counts
    (and a second one when a single one is, within each BY group) are NaN for the chart, so
    that no bar betrays them, and « < 5 » in the export. Unchanged in internal mode."""
    if frame.empty:
        return frame, frame
    groups = [rows for _, rows in frame.groupby(by, sort=False)] if by else [frame]
    texts = pd.concat([disclosure.hidden_texts(rows[column]) for rows in groups])
    texts = texts.reindex(frame.index)
    masked = texts.notna()
    if not masked.any():
        return frame, frame
    chart = frame.copy()
    chart[column] = chart[column].astype(float).mask(masked)
    export = frame.copy()
    export[column] = export[column].astype(object)
    export.loc[masked, column] = texts[masked]
    return chart, export


def label_masked_bars(fig: go.Figure, label: str | None = None) -> go.Figure:
    """Write the mask label where a horizontal bar lost its value to masking (mask_people)."""
    label = label or disclosure.current_label()
    for trace in fig.data:
        if trace.type != "bar" or trace.orientation != "h":
            continue
        values = [None if v is None or pd.isna(v) else v for v in trace.x]
        if all(v is not None for v in values):
            continue
        text = list(trace.text) if trace.text is not None else [""] * len(values)
        trace.update(
            x=[0 if v is None else v for v in values],
            text=[label if v is None else t for v, t in zip(values, text, strict=True)],
            textposition=["outside" if v is None else "auto" for v in values],
        )
        if not any(values):  # every bar masked: no scale to read
            fig.update_xaxes(range=[0, 1], showticklabels=False)
    return fig


def annotate_masked(fig: go.Figure, frame: pd.DataFrame, column: str) -> go.Figure:
    """Say it in the middle of a chart whose every value is masked (else it looks empty)."""
    if not frame.empty and frame[column].isna().all():
        fig.add_annotation(
            text=f"Petits effectifs masqués ({disclosure.current_label()})",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 15, "color": "#555"},
        )
    return fig


def mask_progress(progress: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its export) of target progress rows (targets, or a target's
    territories): where the achieved count of a target that counts people is small, it and
    what derives from it (progress, what remains, the monthly pace) are dropped from the
    chart (written « masqué ») and read « < 5 » / « masqué » in the export."""
    small = (progress["indicator"] == "quantite") & progress["achieved"].map(disclosure.is_small)
    if not small.any():
        return progress, progress
    derived = [c for c in ("progress", "remaining", "monthly_pace") if c in progress.columns]
    chart = progress.copy()
    chart.loc[small, ["achieved", *derived]] = np.nan
    export = progress.copy().astype({c: object for c in ("achieved", *derived)})
    export.loc[small, "achieved"] = disclosure.current_label()
    export.loc[small, derived] = disclosure.DERIVED_LABEL
    return chart, export


def label_masked_progress(
    fig: go.Figure, progress: pd.DataFrame, progress_at: int | None = 3
) -> go.Figure:
    """Write « masqué » on the bars of a progress chart (charts.targets.progress_bars, or
    territory_bars with progress_at=None) that mask_progress emptied, and « < 5 » as their
    achieved count in the hover (customdata[0]; the progress text at PROGRESS_AT)."""
    masked = progress.iloc[::-1]["progress"].isna().to_numpy()  # the chart's bar order
    label, derived = disclosure.current_label(), disclosure.DERIVED_LABEL
    for trace in fig.data:
        if trace.type != "bar" or not masked.any():
            continue
        custom = [list(c) for c in trace.customdata]
        for row, hidden in zip(custom, masked, strict=True):
            if hidden:
                row[0] = label
                if progress_at is not None:
                    row[progress_at] = derived
        trace.update(
            text=[derived if m else t for m, t in zip(masked, trace.text, strict=True)],
            textposition=["outside" if m else "auto" for m in masked],
            customdata=custom,
        )
    return fig


def masked_progress_chart(rows: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame, str]:
    """charts.targets.progress_bars of target rows with small counts masked: (figure, the
    rows for its export, its reading), for every page that shows target progress."""
    shown, exported = mask_progress(rows)
    figure = label_masked_progress(charts_targets.progress_bars(shown), shown)
    return figure, exported, reading_of_masked(charts_targets.progress_reading, shown, "progress")


def masked_items_chart(by_item: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame, str]:
    """charts.items_bar of quantities per item with small counts masked: (figure, its export,
    its reading), for the overview and the territory sheet."""
    shown, exported = mask_people(by_item, "quantity")
    figure = label_masked_bars(charts.items_bar(shown))
    return figure, exported, reading_of_masked(charts.items_reading, shown, "quantity")


def mask_trajectory(row):
    """The target row for charts.targets.trajectory with its small cumulative counts (public
    mode, a target counting people) left out of the line: « < 5 » in its data export."""
    if row.indicator != "quantite":
        return row, charts_targets.monthly_table(row)
    shown = [
        {**point, "achieved": None if disclosure.is_small(point["achieved"]) else point["achieved"]}
        for point in row.monthly
    ]
    exported = charts_targets.monthly_table(row)
    column = exported.columns[1]
    small = exported[column].map(disclosure.is_small)
    if small.any():
        exported[column] = exported[column].astype(object)
        exported.loc[small, column] = disclosure.current_label()
    return row._replace(monthly=shown), exported


def trajectory_reading(row) -> str:
    """charts.targets.trajectory_reading, unless the achieved count is masked."""
    if row.indicator == "quantite" and disclosure.is_small(row.achieved):
        return f"Petits effectifs masqués ({disclosure.current_label()})."
    return charts_targets.trajectory_reading(row)


def reading_of_masked(reading, frame: pd.DataFrame, column: str) -> str:
    """READING(frame) on the values left visible by masking, saying how many are masked."""
    visible = frame.dropna(subset=[column])
    hidden = len(frame) - len(visible)
    label = disclosure.current_label()
    if not hidden:
        return reading(frame)
    if visible.empty:
        return f"Toutes les valeurs sont de petits effectifs masqués ({label})."
    masked = fmt.plural(hidden, "valeur masquée", "valeurs masquées")
    return f"{reading(visible).rstrip('.')} ; {masked} ({label})."
