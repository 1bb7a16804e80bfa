"""The map's accessible alternative and reading: the sortable table of its figures, the
sentence that states the main reading, and the notes the reader needs to read it right.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from observatoire import disclosure, fmt
from observatoire.classify import MASKED
from observatoire.disclosure import MASKED_NOTE
from observatoire.map.choices import NO_DATA, MapChoices, MapView, Units


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
    if choices.indicator == "besoin" and (need := choices.need) is not None:
        out.append(f"{need.label} : {need.source_text()}.")
        if need.is_score:
            out.append(
                f"Score de {fmt.number(need.scale[0])} à {fmt.number(need.scale[1])}"
                + (f", {need.direction_text}" if need.direction_text else "")
                + " ; classes par défaut : intervalles égaux sur cette échelle, les mêmes "
                "d'une carte à l'autre, sauf s'ils mettent la plupart des communes dans une "
                "même classe."
            )
        if choices.level == "ept":
            out.append(
                "Niveau EPT : somme des communes."
                if need.per_inhabitant
                else "Niveau EPT : moyenne des valeurs de ses communes pondérée par leur "
                "population municipale 2023 (INSEE)."
            )
        out.append(
            "Indicateur publié par son producteur, pas un effectif de personnes aidées : "
            "il n'est pas masqué."
        )
    if view.classes.note:
        out.append(view.classes.note)
    if choices.indicator == "lieux":
        programmes = ", ".join(choices.place_programmes) or "tous les dispositifs"
        out.append(
            f"Lieux de médiation numérique ({programmes}) comptés par commune, avec ou sans "
            "coordonnées"
            + (
                " ; pour 10 000 habitants : population municipale 2023 (INSEE)."
                if choices.norm == "dix_mille"
                else "."
            )
        )
    drawn = " ; sur la carte, ils ont leur propre motif (croisillons violets), hors des classes"
    if view.people:
        protected = view.counts == "protected"
        note_of = disclosure.protected_note if protected else disclosure.public_note
        if note := note_of(drawn):
            out.append(note)
    return out


def value_header(view: MapView) -> str:
    if view.choices.indicator == "besoin" and view.choices.need is not None:
        return view.choices.need.label
    return view.units.noun.capitalize() if view.units.noun != "€" else "Euros"


def source_text(view: MapView, records_source: str, places_source: str | None) -> str:
    """The map's source line (under it and in its exports): the indicator's producer and
    year for a published indicator, else the Département's records (RECORDS_SOURCE); then
    the places' sources when they are drawn or counted (PLACES_SOURCE)."""
    choices = view.choices
    if choices.indicator == "besoin" and choices.need is not None:
        text = f"Source : {choices.need.source_text()}"
    elif choices.indicator == "lieux":
        text = "Source : "
    else:
        text = records_source
    if places_source and (choices.places or choices.indicator == "lieux"):
        text += ("" if text.endswith(": ") else " ; ") + f"lieux : {places_source}"
    return text


def places_source_text(sources: pd.DataFrame) -> str | None:
    """« ANCT – France services 2020-2022, ANCT – lieux des conseillers numériques 2022 »
    (informations mises à jour jusqu'au 15/11/2022)."""
    if sources.empty:
        return None
    labels = [str(label).replace(" (référentiel)", "") for label in sources["source_label"]]
    last = sources["last_update"].max()
    text = ", ".join(labels)
    if not pd.isna(last):
        text += f" (informations mises à jour jusqu'au {fmt.french_date(last)})"
    return text


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
    out[value_header(view)] = disclosure.labelled(table["value"], masked, table["mask_text"])
    derived = disclosure.DERIVED_LABEL
    if choices.norm == "habitants":
        out["Pour 1 000 habitants"] = disclosure.labelled(table["shown"].round(1), masked, derived)
    if choices.norm == "dix_mille":
        out["Pour 10 000 habitants"] = table["shown"].round(2).to_numpy()
    if choices.indicator == "besoin" and "year" in table and table["year"].notna().any():
        out["Année"] = table["year"].to_numpy()
    if choices.norm == "objectif":
        out["Part de l'objectif"] = table["target_share"].round(1).to_numpy()
        out["Avancement (%)"] = disclosure.labelled(
            (table["shown"] * 100).round(1), masked, derived
        )
        out["Règle de partage"] = table["share_rule"].to_numpy()
    out["Population 2023"] = table["population"].to_numpy()
    out["Classe"] = [
        f"{text} ({MASKED_NOTE})" if i == MASKED else labels[i] if i >= 0 else NO_DATA
        for i, text in zip(classes.index, table["mask_text"], strict=True)
    ]
    return disclosure.mark(out, view.counts) if view.counts else out


def table_formats(view: MapView) -> dict:
    """How display_table's numbers are written on screen (French)."""
    one_decimal = lambda v: fmt.number(v, 1)  # noqa: E731
    value = fmt.money if view.units.noun == "€" else fmt.number
    if view.units.kind != "count":
        value = one_decimal
    return {
        value_header(view): value,
        "Pour 1 000 habitants": one_decimal,
        "Pour 10 000 habitants": lambda v: fmt.number(v, 2),
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
