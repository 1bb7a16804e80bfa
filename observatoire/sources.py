"""The source line under the figures: where they come from and how fresh they are (no
Streamlit: the pages show it as a caption, the PDF fiche prints it)."""

from __future__ import annotations

from observatoire import fmt, warehouse
from observatoire.filters import Filters


def source_text(filters: Filters) -> str:
    """« Source : Département de la Seine-Saint-Denis, communiqués du 17/11/2020 et du
    15/01/2021, fichier « X » — données au 22/11/2026 » for the figures under the filters."""
    sources = warehouse.sources_in_view(filters)
    parts = []
    releases = sources[sources["kind"] == "communique"]
    if not releases.empty:
        dates = " et du ".join(fmt.french_date(d) for d in releases["date"])
        word = "communiqué" if len(releases) == 1 else "communiqués"
        parts.append(f"{word} du {dates}")
    files = sources[sources["kind"] == "fichier"]["label"].tolist()
    if files:
        parts.append(
            ("fichier " if len(files) == 1 else "fichiers ")
            + ", ".join(f"« {name} »" for name in files)
        )
    if (sources["kind"] == "demo").any():
        parts.append("données de démonstration")
    loaded = fmt.french_date(warehouse.data_extent().get("last_load"))
    return (
        "Source : Département de la Seine-Saint-Denis, "
        + " ; ".join(parts)
        + (f" — données au {loaded}")
    )
