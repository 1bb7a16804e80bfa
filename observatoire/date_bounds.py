"""The period a link may ask for: the sidebar's date inputs accept dates from DATE_MIN to
today only, and Streamlit raises (for the rest of the session) when a widget is given a value
outside its bounds. A date from the URL is brought back inside them first, with a French
notice that says so."""

from __future__ import annotations

from datetime import date

DATE_MIN = date(2000, 1, 1)


def date_max() -> date:
    """The date inputs' upper bound: today."""
    return date.today()


def _shown(value: date) -> str:
    # Not fmt.french_date: strftime writes year 1 as « 1 », not « 0001 ».
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def clamp_period(
    date_from: date | None,
    date_to: date | None,
    lowest: date = DATE_MIN,
    highest: date | None = None,
) -> tuple[date | None, date | None, str | None]:
    """(date_from, date_to) brought inside [LOWEST, HIGHEST] (HIGHEST: today), and the
    French notice to show when one was moved (None otherwise). None stays None."""
    highest = highest or date_max()
    moved = []
    clamped = []
    for label, value in (("début", date_from), ("fin", date_to)):
        if value is not None and not lowest <= value <= highest:
            new = min(max(value, lowest), highest)
            moved.append(f"{label} {_shown(value)} ramenée au {_shown(new)}")
            value = new
        clamped.append(value)
    notice = None
    if moved:
        notice = (
            f"Le lien demandait une période hors des dates possibles (du {_shown(lowest)} au "
            f"{_shown(highest)}) : " + ", ".join(moved) + "."
        )
    return clamped[0], clamped[1], notice


def notice_for_query(query: dict) -> str | None:
    """The notice for a link whose `du` or `au` lies outside the inputs' bounds (None when
    both are inside, absent or unreadable: an unreadable date is ignored)."""

    def read(key: str) -> date | None:
        try:
            return date.fromisoformat(str(query.get(key) or ""))
        except ValueError:
            return None

    return clamp_period(read("du"), read("au"))[2]
