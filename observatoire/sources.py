"""The source line under the figures: what they rest on and the period the data cover (no
Streamlit: the pages show it as a caption, exports print it, the PDF fiche prints it). The
date of the last load is not a property of the data: it stays on the Données page."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from observatoire import fmt, warehouse
from observatoire.filters import Filters
from observatoire.need import vintage_text

# The kinds of records a figure may rest on (loads.kind); a figure names those it uses.
RECORDS = ("distributions", "funding", "conseillers")
# The records behind each measure of the map and of « Aide et besoins » (indicator ids).
MEASURE_RECORDS = {
    "quantite": ("distributions",),
    "personnes": ("distributions",),
    "euros": ("funding",),
    "postes": ("conseillers",),
    "objectif": RECORDS,
}
PRODUCER = "Département de la Seine-Saint-Denis"
_FILE_SUFFIX = re.compile(r"\.(csv|xlsx|xls|txt|json|geojson)$", re.IGNORECASE)


def short_name(label: str) -> str:
    """A load's label as a reader would write it: « ANCT – France services 2020-2022 » for
    « ANCT – France services 2020-2022 (référentiel) », « distributions mars 2021 » for
    « distributions_mars_2021.xlsx »."""
    text = _FILE_SUFFIX.sub("", str(label).replace(" (référentiel)", "")).strip()
    if " " not in text:  # a raw file name: its separators become spaces
        text = re.sub(r"[_]+", " ", text).strip()
    return text or str(label)


def period_text(first, last) -> str | None:
    """« données du 16/03/2020 au 15/12/2021 » (« données du 04/04/2020 » for one day)."""
    if first is None or pd.isna(first):
        return None
    if last is None or pd.isna(last) or pd.Timestamp(first) == pd.Timestamp(last):
        return f"données du {fmt.french_date(first)}"
    return f"données du {fmt.french_date(first)} au {fmt.french_date(last)}"


def source_text(filters: Filters, uses: Iterable[str] = RECORDS) -> str:
    """« Source : Département de la Seine-Saint-Denis, communiqués du 17/11/2020 et du
    15/01/2021 ; données de démonstration — données du 16/03/2020 au 15/12/2021 » for the
    figures under the filters that rest on the records of kinds USES (RECORDS: all of them):
    the press releases of the programmes in view, the files of those kinds by their short
    names, and the period their records cover under the filters."""
    uses = tuple(uses)
    sources = warehouse.sources_in_view(filters)
    parts = []
    releases = sources[sources["kind"] == "communique"]
    if not releases.empty:
        dates = " et du ".join(fmt.french_date(d) for d in releases["date"])
        word = "communiqué" if len(releases) == 1 else "communiqués"
        parts.append(f"{word} du {dates}")
    files = sources[(sources["kind"] == "fichier") & sources["records"].isin(uses)]
    names = list(dict.fromkeys(short_name(label) for label in files["label"]))
    if names:
        parts.append(
            ("fichier " if len(names) == 1 else "fichiers ")
            + ", ".join(f"« {name} »" for name in names)
        )
    if (sources["kind"] == "demo").any():
        parts.append("données de démonstration")
    text = f"Source : {PRODUCER}, " + " ; ".join(parts)
    if period := period_text(*records_period(filters, uses)):
        text += f" — {period}"
    return text


def indicator_source(rows: pd.DataFrame) -> str:
    """« Source : La MedNum – Indice de fragilité numérique, millésime 2021-2023 » for the
    published indicators of ROWS (columns source, vintage, year), each source once."""
    parts = [f"{row['source']}, {vintage_text(row)}" for _, row in rows.iterrows()]
    return "Source : " + " ; ".join(dict.fromkeys(parts))


def measure_records(measure: str) -> tuple[str, ...]:
    """The kinds of records a map or « Aide et besoins » measure rests on (none for a
    published indicator or the places, which carry their own source)."""
    return MEASURE_RECORDS.get(measure, ())


def records_period(filters: Filters, uses: Iterable[str] = RECORDS) -> tuple:
    """First and last dates of the records of kinds USES under the filters (None when none)."""
    periods = warehouse.sources_period(filters)
    periods = periods[periods["kind"].isin(tuple(uses))].dropna(subset=["first_date"])
    if periods.empty:
        return None, None
    return periods["first_date"].min(), periods["last_date"].max()
