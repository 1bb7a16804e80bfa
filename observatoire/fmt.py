"""French formatting of numbers, money, percentages and dates, in one place.

Thousands are separated by a no-break space (U+00A0) so that « 1 234 » never wraps.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

NBSP = "\u00a0"
# Plotly's `separators`: decimal mark, then thousands separator.
PLOTLY_SEPARATORS = "," + NBSP

ITEM_LABELS = {
    "tablette": "Tablettes",
    "ordinateur": "Ordinateurs",
    "smartphone": "Smartphones",
    "carte_sim": "Cartes SIM",
    "recharge": "Recharges",
    "accompagnement": "Accompagnements",
}
ITEM_LABELS_SINGULAR = {
    "tablette": "tablette",
    "ordinateur": "ordinateur",
    "smartphone": "smartphone",
    "carte_sim": "carte SIM",
    "recharge": "recharge",
    "accompagnement": "accompagnement",
}


def _missing(value) -> bool:
    """None, NaN, NaT and pandas.NA all mean "no value"."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes are values
        return False


def number(value, decimals: int = 0) -> str:
    """1234.5 → '1 234' (or '1 234,5' with decimals=1); None/NaN → '–'."""
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def money(value, decimals: int = 0) -> str:
    """500000 → '500 000 €'."""
    return "–" if _missing(value) else f"{number(value, decimals)}{NBSP}€"


def percent(ratio, decimals: int = 0) -> str:
    """0.452 → '45 %'."""
    return "–" if _missing(ratio) else f"{number(ratio * 100, decimals)}{NBSP}%"


def french_date(value) -> str:
    """date(2020, 11, 17) → '17/11/2020'."""
    if _missing(value):
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime().date()
    return value.strftime("%d/%m/%Y")


def french_datetime(value) -> str:
    """datetime(2026, 12, 1, 19, 12) → '01/12/2026 à 19:12'."""
    if _missing(value):
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    return value.strftime("%d/%m/%Y à %H:%M")


def item_label(item: str) -> str:
    return ITEM_LABELS.get(item, item)


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """French plural: 0 and 1 take the singular."""
    word = singular if abs(count) < 2 else (plural_form or singular + "s")
    return f"{number(count)} {word}"


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text) -> str:
    """Text from a file, safe inside Streamlit markdown: every markdown and HTML special
    character is escaped, so a name can never become a link, an image or markup."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", "" if _missing(text) else str(text))


# Plotly renders a small HTML subset in chart text (titles, labels, hovers): these tags are
# formatting only (<extra> frames a hover's secondary box); any other tag (a link, a styled
# span…) coming from a file is escaped.
_CHART_TAGS = {
    *(f"<{tag}>" for tag in ("br", "b", "i", "sub", "sup", "extra")),
    *(f"</{tag}>" for tag in ("b", "i", "sub", "sup", "extra")),
}
_CHART_MARKUP = re.compile(r"<[^<>]*>|[<>]")


def chart_text(text: str) -> str:
    """Text safe in a Plotly figure: formatting tags kept, every other < and > escaped (so a
    programme or funder name from a file can never become a link). Idempotent."""
    return _CHART_MARKUP.sub(
        lambda m: (
            m.group()
            if m.group() in _CHART_TAGS
            else m.group().replace("<", "&lt;").replace(">", "&gt;")
        ),
        text,
    )
