"""Figures and tables of the « Objectifs » page: where each target stands, by territory and
over time. Pure functions of the small frames of warehouse.target_progress and
warehouse.target_territory_progress, testable without Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt
from observatoire.charts import PALETTE, TEXT_COLOUR, _wrap, base_layout

# From the most to the least worrying (status_rank in _target_status.sql).
STATUSES = ["en retard", "non commencé", "en cours", "en bonne voie", "atteint"]
STATUS_COLOURS = {
    "en retard": PALETTE[5],  # vermillion
    "non commencé": "#8c8c8c",
    "en cours": PALETTE[4],  # sky blue
    "en bonne voie": PALETTE[0],  # blue
    "atteint": PALETTE[2],  # bluish green
}
# A territory's share of an action run at the département's scale, given to no commune or
# EPT (protected.departement_scale): not a status of progress, ranked after them all.
DEPARTEMENT_STATUS = "action départementale, non répartie"
DEPARTEMENT_RANK = 5
DEPARTEMENT_HELP = (
    "Action menée à l'échelle du département : rien n'est attribué à une commune ni à un EPT. "
    "Son avancement est celui du département, indiqué à côté."
)
STATUS_COLOURS[DEPARTEMENT_STATUS] = "#C9D6E3"  # a pale blue-grey: not a progress colour
# A deadline passed with something left: the pace that would finish it in this many months.
CATCH_UP_MONTHS = 12
STATUS_HELP = {
    "atteint": "Réalisé au moins égal à l'objectif.",
    "en bonne voie": "Réalisé au moins égal à ce que la ligne droite du début à l'échéance "
    "prévoit à ce jour.",
    "en retard": "Réalisé inférieur à ce que la ligne droite du début à l'échéance prévoit "
    "à ce jour.",
    "non commencé": "Aucune réalisation enregistrée.",
    "en cours": "Réalisations enregistrées, objectif sans échéance : avancement seul.",
}


def progress_text(ratio) -> str:
    """'45 %'; just short of the target reads '99,9 %', never a rounded '100 %'."""
    if not pd.isna(ratio) and 0.995 <= ratio < 1:
        return fmt.percent(min(ratio, 0.999), 1)
    return fmt.percent(ratio)


def sort_rows(rows: pd.DataFrame, laggards_first: bool, default: list[str]) -> pd.DataFrame:
    """The laggards first (status, then gap to the straight line), or the default order."""
    if laggards_first:
        return rows.sort_values(["status_rank", "lag", *default], kind="stable")
    return rows.sort_values(default, kind="stable")


# The status of a target whose achieved count is hidden (observatoire/protected.py).
HIDDEN_STATUS = "masqué"
HIDDEN_HELP = (
    "Réalisé masqué (secret des petits effectifs) : ni avancement, ni reste à faire, ni "
    "statut ne sont publiés."
)


def status_counts(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(label, count, help) for each status, for a row of key figures; with the count of
    targets whose status is hidden, when there are some."""
    counts = rows["status"].value_counts()
    out = [
        (status.capitalize(), fmt.number(counts.get(status, 0)), STATUS_HELP[status])
        for status in reversed(STATUSES)
    ]
    if counts.get(HIDDEN_STATUS, 0):
        out.append(("Statut masqué", fmt.number(counts[HIDDEN_STATUS]), HIDDEN_HELP))
    if counts.get(DEPARTEMENT_STATUS, 0):
        out.append(
            ("Actions départementales", fmt.number(counts[DEPARTEMENT_STATUS]), DEPARTEMENT_HELP)
        )
    return out


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    """ROWS[NAME], or NaN everywhere when the rows do not carry it."""
    if name in rows:
        return rows[name]
    return pd.Series(np.nan, index=rows.index, dtype=float)


def _numbers(values: pd.Series) -> pd.Series:
    """VALUES as floats, masked labels (« masqué ») as NaN."""
    return pd.to_numeric(values, errors="coerce").astype(float)


def overdue(rows: pd.DataFrame) -> pd.Series:
    """The rows whose deadline has passed with something left to do."""
    return (
        rows["end_date"].notna()
        & _column(rows, "months_left").isna()
        & (_numbers(rows["remaining"]) > 0)
    )


def pace(rows: pd.DataFrame) -> pd.Series:
    """What to do per month now: before the deadline, what remains over the months left;
    once it has passed, what remains over CATCH_UP_MONTHS months (none when met, masked or
    without a deadline)."""
    catch_up = _numbers(rows["remaining"]) / CATCH_UP_MONTHS
    paces = rows["monthly_pace"]
    if not paces.map(lambda v: isinstance(v, str)).any():  # numbers, maybe Python ints
        paces = pd.to_numeric(paces, errors="coerce").astype(float)
    # Masked rows keep their label (« masqué »).
    return paces.where(paces.map(lambda v: isinstance(v, str)) | ~overdue(rows), catch_up)


def departement_text(row) -> str:
    """« action départementale, non répartie · département : 100 % »."""
    share = getattr(row, "departement_progress", None)
    if share is None or pd.isna(share):
        return DEPARTEMENT_STATUS
    return f"{DEPARTEMENT_STATUS} · département : {progress_text(share)}"


def bar_text(row) -> str:
    """The text beside a target's bar: « 45 % · en retard », « masqué », or the
    département's progress for an action at its scale."""
    if row.status == DEPARTEMENT_STATUS:  # « dép. »: short enough for a phone's width
        return departement_text(row).replace(" · département : ", " · dép. ")
    if pd.isna(row.progress):
        return HIDDEN_STATUS
    return f"{progress_text(row.progress)} · {row.status}"


def _end_text(rows: pd.DataFrame) -> list[str]:
    texts = []
    late = overdue(rows)
    for deadline, end, remaining, is_late in zip(
        rows["deadline"], rows["end_date"], rows["remaining"], late, strict=True
    ):
        if is_late:
            what = "échéance" if not pd.isna(deadline) else "fin du programme"
            texts.append(f"{what} passée le {fmt.french_date(end)}, reste {fmt.number(remaining)}")
        elif not pd.isna(deadline):
            texts.append(fmt.french_date(deadline))
        elif not pd.isna(end):
            texts.append(f"{fmt.french_date(end)} (fin du programme)")
        else:
            texts.append("sans échéance")
    return texts


def _count(values: pd.Series, units: pd.Series) -> pd.Series:
    """Counts of people, items, posts or projects as whole numbers, a share below 10 to one
    decimal (never « 0 » for a small share), euros to the euro: exports hold what a person
    reads, not « 399,2842289810106 » ordinateurs."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    small = numbers.abs().lt(10) & units.ne("€")
    rounded = numbers.round(0).where(~small, numbers.round(1))
    return _kept(rounded, values)


def _kept(rounded: pd.Series, values: pd.Series) -> pd.Series:
    """ROUNDED as numbers a CSV writes as a person reads them (« 1834 », « 0,7 »), the
    masked figures of VALUES (« < 5 », « masqué ») kept as their text."""
    text = rounded.isna() & values.notna()
    whole = rounded.dropna().eq(rounded.dropna().round(0)).all()
    if not text.any() and not whole:
        return rounded
    # Python integers (an object column): written « 1834 », read back as numbers.
    kept = [None if pd.isna(r) else int(r) if r == round(r) else r for r in rounded]
    return pd.Series(kept, index=values.index, dtype=object).where(~text, values)


def rounded(rows: pd.DataFrame) -> pd.DataFrame:
    """Target rows as an export holds them: counts whole (_count), progress ratios to a
    tenth of a percent, the département's progress column always there."""
    out = rows.copy()
    units = out["unit"].fillna("") if "unit" in out else pd.Series("", index=out.index)
    for column in ("achieved", "target_share", "remaining", "monthly_pace"):
        if column in out:
            out[column] = _count(out[column], units)
    for column in ("progress", "departement_progress", "elapsed"):
        if column in out:
            out[column] = _ratio(out[column])
    if "departement_progress" not in out:
        out["departement_progress"] = np.nan
    out.attrs = rows.attrs
    return out


def _ratio(values: pd.Series) -> pd.Series:
    """A progress ratio to one decimal of a percent (0,701 for 70,1 %)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    rounded = numbers.round(3)
    text = numbers.isna() & values.notna()
    return rounded.astype(object).where(~text, values) if text.any() else rounded


def source_of(row) -> str:
    """« Title of the press release (17/11/2020) », or the file a target was loaded from."""
    if isinstance(row.source_title, str):
        return f"« {row.source_title} » ({fmt.french_date(row.source_date)})"
    return f"fichier « {row.source} »"


def monthly_table(row) -> pd.DataFrame:
    """The trajectory chart's data: cumulative achievement by month."""
    return pd.DataFrame(list(row.monthly), columns=["month", "achieved"]).rename(
        columns={"month": "Mois", "achieved": f"Réalisé cumulé ({row.unit})"}
    )


def _count_text(value) -> str:
    """« 1 234 », or « 0,4 » for a small share (as _count rounds it)."""
    small = not pd.isna(value) and abs(value) < 10 and value != round(value)
    return fmt.number(value, 1 if small else 0)


_NUMBER_FORMATS: dict[str, Callable] = {
    "Réalisé": fmt.number,
    "Objectif": _count_text,
    "Avancement": progress_text,
    "Reste à faire": _count_text,
    "Rythme nécessaire par mois": _count_text,
    "Population": fmt.number,
}


def progress_table(rows: pd.DataFrame, territorial: bool) -> tuple[pd.DataFrame, dict]:
    """The targets table (numbers kept as numbers) and its French display formats."""
    units = rows["unit"].fillna("")
    table = pd.DataFrame(
        {
            "Programme": rows["programme_name"],
            "Objectif annoncé": rows["label"],
            "Réalisé": _count(rows["achieved"], units),
            "Objectif": _count(rows["target_share"], units),
            "Unité": rows["unit"],
            "Avancement": _ratio(rows["progress"]),
            "Reste à faire": _count(rows["remaining"], units),
            "Échéance": _end_text(rows),
            "Rythme nécessaire par mois": _count(pace(rows), units),
            "Statut": rows["status"],
        }
    )
    _with_departement(table, rows)
    if territorial:
        table["Part de l'objectif"] = rows["share_rule"].to_numpy()
        table["Financements départementaux non ventilés (€)"] = rows[
            "departement_wide_not_shared"
        ].to_numpy()
    table["Source"] = [source_of(row) for row in rows.itertuples()]
    formats = dict(_NUMBER_FORMATS)
    formats[DEPARTEMENT_COLUMN] = progress_text
    formats["Financements départementaux non ventilés (€)"] = fmt.money
    return table, formats


DEPARTEMENT_COLUMN = "Avancement du département"


def _with_departement(table: pd.DataFrame, rows: pd.DataFrame) -> None:
    """The département's progress beside the actions run at its scale (when there are)."""
    scale = rows["status"].eq(DEPARTEMENT_STATUS)
    if scale.any():
        share = _ratio(_column(rows, "departement_progress").where(scale))
        table.insert(table.columns.get_loc("Avancement") + 1, DEPARTEMENT_COLUMN, share)


def territory_table(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One target's breakdown by territory (numbers kept as numbers) and its formats."""
    units = rows["unit"].fillna("")
    table = pd.DataFrame(
        {
            "Territoire": rows["territory_name"],
            "Code": rows["territory_code"],
            "EPT": rows["ept_name"],
            "Population": rows["population"],
            "Objectif": _count(rows["target_share"], units),
            "Règle de répartition": rows["share_rule"],
            "Réalisé": _count(rows["achieved"], units),
            "Avancement": _ratio(rows["progress"]),
            "Reste à faire": _count(rows["remaining"], units),
            "Rythme nécessaire par mois": _count(pace(rows), units),
            "Statut": rows["status"],
        }
    )
    _with_departement(table, rows)
    if (rows["level"] == "ept").all():
        table = table.drop(columns=["EPT"])
    return table, dict(_NUMBER_FORMATS) | {DEPARTEMENT_COLUMN: progress_text}


def target_title(row) -> str:
    return f"{row.programme_name} – {row.label}"


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two « #rrggbb » colours (1 to 21)."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on BACKGROUND (every status colour gives at
    least 4.5:1 with one of them; white on the green or the orange gives only 3.5:1)."""
    return max(("#000000", "#FFFFFF"), key=lambda c: contrast(c, background))


# A bar at least this wide (in % of the axis) holds its text; a narrower one has it beside.
_INSIDE_AT = 0.3
_LINE_HEIGHT = 17  # px per line of a wrapped target title
# On a phone, webapp/page.js writes each label above its bar, in LABEL_PX type wrapped to
# the chart's width, with the bar's text after it (never inside a thin bar, where Plotly
# would shrink it): rows are made tall enough for that here, since the page keeps the
# server's height. The geometry of page.js's fit, handed to it from here (webapp/ui.py):
# the label's type size and line spacing, the bar under it and the gap to the bar above.
PHONE_LABELS = {"LABEL_PX": 11, "LINE": 1.3, "BAR_PX": 10, "GAP_PX": 8}
# A 390 px phone leaves a 358 px chart: lines of (358 - 24) / (11 × 0.6) characters.
_PHONE_CHARS = 50
_PHONE_LINE = PHONE_LABELS["LABEL_PX"] * PHONE_LABELS["LINE"]
# The label's box padding (4), the bar, the gap, and the label's shift off its bar (2).
_PHONE_BAR_AND_GAP = 4 + PHONE_LABELS["BAR_PX"] + PHONE_LABELS["GAP_PX"] + 2
_MARGIN_TOP, _MARGIN_BOTTOM = 60, 80  # the title above; the axis and the legend below


def _phone_lines(text: str) -> list[str]:
    """TEXT (« <br> » breaks ignored) wrapped at _PHONE_CHARS as page.js wraps it: on
    single spaces only (a no-break space holds its words together)."""
    lines, current = [], ""
    for word in text.replace("<br>", " ").split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(candidate) > _PHONE_CHARS:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current]


def phone_label_lines(label: str, text: str) -> int:
    """The lines of a bar's label and, after it, its text on a phone (page.js: the text
    goes on the label's last line when it fits there, else on lines of its own)."""
    lines = _phone_lines(label)
    if not text:
        return len(lines)
    if len(f"{lines[-1]} · {text}") <= _PHONE_CHARS:
        return len(lines)
    return len(lines) + len(_phone_lines(text))


def progress_bars(rows: pd.DataFrame, title: str = "Avancement des objectifs") -> go.Figure:
    """One bar per target (% achieved, coloured by status) and, where there is an end date,
    a mark at what the straight line from start to end expects today. Each bar's text is
    written once: inside a wide bar (black or white, whichever contrasts), else just right of
    the bar's end; rows are as tall as their wrapped titles, on a laptop and on a phone."""
    data = rows.iloc[::-1]
    labels = [_wrap(target_title(row), 70) for row in data.itertuples()]
    pct = (data["progress"].fillna(0) * 100).clip(upper=150)
    top = max(105, float(pct.max() or 0) + 5)
    colours = [STATUS_COLOURS.get(s, PALETTE[-1]) for s in data["status"]]
    texts = [bar_text(row) for row in data.itertuples()]
    inside = (pct >= _INSIDE_AT * top).to_numpy()
    custom = [
        [fmt.number(a), fmt.number(t), unit or "", progress_text(p), status]
        for a, t, unit, p, status in zip(
            data["achieved"],
            data["target_share"],
            data["unit"],
            data["progress"],
            data["status"],
            strict=True,
        )
    ]
    fig = go.Figure(
        go.Bar(
            x=pct,
            y=labels,
            orientation="h",
            name="Réalisé",
            marker_color=colours,
            text=[t if i else "" for t, i in zip(texts, inside, strict=True)],
            textposition="inside",
            insidetextanchor="start",  # clear of the « expected » mark near 100 %
            insidetextfont={"color": [text_colour(c) for c in colours]},
            customdata=custom,
            hovertemplate="%{y}<br>%{customdata[0]} sur %{customdata[1]} %{customdata[2]}"
            " (%{customdata[3]}) – %{customdata[4]}<extra></extra>",
            showlegend=False,
        )
    )
    beside = ~inside
    if beside.any():
        fig.add_scatter(
            x=pct[beside],
            y=[label for label, b in zip(labels, beside, strict=True) if b],
            mode="text",
            text=[t for t, b in zip(texts, beside, strict=True) if b],
            textposition="middle right",
            textfont={"color": TEXT_COLOUR},
            name=BESIDE_LABELS,
            showlegend=False,
            hoverinfo="skip",
        )
    expected = data["elapsed"] * 100
    if expected.notna().any():
        fig.add_scatter(
            x=expected,
            y=labels,
            mode="markers",
            name="Attendu à ce jour (ligne droite)",
            marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3}, "color": "#222"},
            hovertemplate="Attendu à ce jour : %{x:.0f} %<extra></extra>",
        )
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(ticksuffix=f"{fmt.NBSP}%", range=[0, top], title=None)
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    phone = max(
        (phone_label_lines(label, text) for label, text in zip(labels, texts, strict=True)),
        default=1,
    )
    row_height = max(44, _LINE_HEIGHT * lines + 16, round(_PHONE_LINE * phone + _PHONE_BAR_AND_GAP))
    height = max(280, _MARGIN_TOP + _MARGIN_BOTTOM + row_height * len(data))
    base_layout(fig, title, height=height)
    # The legend below the axis labels, whatever the height, inside the bottom margin (a
    # legend outside it would push the margin and shorten the rows sized above). On a wide
    # screen, webapp/page.js draws the bars BAR_PX thick however tall the rows (meta: not
    # drawn, and exported images keep Plotly's own bar widths).
    plot = height - _MARGIN_TOP - _MARGIN_BOTTOM
    fig.update_layout(
        legend={"y": -45 / plot},
        margin={"t": _MARGIN_TOP, "b": _MARGIN_BOTTOM},
        meta={"barPx": BAR_PX},
    )
    return fig


# The name of the text trace that writes a narrow bar's text beside it.
BESIDE_LABELS = "Libellés"
BAR_PX = 40  # a bar's thickness on a wide screen


# Statuses whose participle agrees with a plural count (« 5 atteints »).
_AGREEING = {"atteint": "atteints", "non commencé": "non commencés"}


def status_count(count: int, status: str) -> str:
    """« 1 atteint », « 5 atteints », « 3 en retard »."""
    return fmt.plural(count, status, _AGREEING.get(status, status))


def progress_reading(rows: pd.DataFrame) -> str:
    counts = rows["status"].value_counts()
    parts = [status_count(counts[s], s) for s in reversed(STATUSES) if s in counts]
    if counts.get(DEPARTEMENT_STATUS, 0):
        parts.append(
            fmt.plural(
                counts[DEPARTEMENT_STATUS],
                "action départementale non répartie",
                "actions départementales non réparties",
            )
        )
    text = f"{fmt.plural(len(rows), 'objectif')} : " + ", ".join(parts) + "."
    late = rows[rows["status"] == "en retard"]
    if not late.empty:
        worst = late.sort_values("lag").iloc[0]
        text += f" Le plus en retard : {worst['label']} ({progress_text(worst['progress'])})."
    return text


def territory_bars(rows: pd.DataFrame, title: str) -> go.Figure:
    """A target's progress in each territory, coloured by status."""
    data = rows.iloc[::-1]
    pct = (data["progress"].fillna(0) * 100).clip(upper=200)
    colours = [STATUS_COLOURS.get(s, PALETTE[-1]) for s in data["status"]]
    fig = go.Figure(
        go.Bar(
            x=pct,
            y=data["territory_name"],
            orientation="h",
            marker_color=colours,
            text=[
                departement_text(row)
                if row.status == DEPARTEMENT_STATUS
                else progress_text(row.progress)
                for row in data.itertuples()
            ],
            textposition="auto",
            insidetextfont={"color": [text_colour(c) for c in colours]},
            outsidetextfont={"color": TEXT_COLOUR},
            customdata=[
                [fmt.number(a), fmt.number(t), s, r]
                for a, t, s, r in zip(
                    data["achieved"],
                    data["target_share"],
                    data["status"],
                    data["share_rule"],
                    strict=True,
                )
            ],
            hovertemplate="%{y} : %{customdata[0]} sur %{customdata[1]} – %{customdata[2]}"
            "<br>Objectif : %{customdata[3]}<extra></extra>",
        )
    )
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    expected = data["elapsed"].dropna()
    if not expected.empty:
        fig.add_vline(
            x=float(expected.iloc[0]) * 100,
            line_dash="dot",
            line_color="#222",
            annotation_text="attendu à ce jour",
            annotation_position="top",
        )
    fig.update_xaxes(ticksuffix=f"{fmt.NBSP}%", title=None)
    # Rows thick enough for their text inside the bar (Plotly shrinks it to fit) even under
    # a long target title wrapped on a phone's width.
    return base_layout(fig, title, height=max(320, 150 + 30 * len(data)))


def territory_reading(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "Aucun territoire."
    if rows["status"].eq(DEPARTEMENT_STATUS).all():
        return (
            "Action menée à l'échelle du département, répartie entre aucun territoire : "
            + departement_text(rows.iloc[0])
            + "."
        )
    ordered = rows.sort_values("progress")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    reached = int((rows["status"] == "atteint").sum())
    return (
        f"{fmt.number(reached)} territoire{'s' if reached > 1 else ''} sur {len(rows)} "
        f"ont atteint leur part ; de {progress_text(low['progress'])} ({low['territory_name']}) "
        f"à {progress_text(high['progress'])} ({high['territory_name']})."
    )


def trajectory(row, today: date) -> go.Figure:
    """Cumulative achievement at the end of each month against the straight line from the
    programme start (0) to the end date (the target); the target alone without an end date."""
    monthly = pd.DataFrame(list(row.monthly), columns=["month", "achieved"])
    fig = go.Figure()
    if not pd.isna(row.start_date) and not pd.isna(row.end_date):
        fig.add_scatter(
            x=[row.start_date, row.end_date],
            y=[0, row.target_share],
            mode="lines",
            name="Trajectoire vers l'objectif (ligne droite)",
            line={"color": "#555", "dash": "dash"},
            hovertemplate="%{x|%d/%m/%Y} : %{y:,.0f}<extra>trajectoire</extra>",
        )
    else:
        fig.add_hline(
            y=row.target_share,
            line_dash="dash",
            line_color="#555",
            annotation_text="objectif (sans échéance)",
            annotation_position="top left",
        )
    if not monthly.empty:
        # Each month's cumulative total stands at the end of the month.
        points_x = [pd.Timestamp(m) + pd.offsets.MonthEnd(0) for m in monthly["month"]]
        points_y = list(monthly["achieved"])
        if not pd.isna(row.start_date) and pd.Timestamp(row.start_date) < points_x[0]:
            points_x, points_y = [pd.Timestamp(row.start_date), *points_x], [0, *points_y]
        fig.add_scatter(
            x=points_x,
            y=points_y,
            mode="lines+markers",
            name="Réalisé cumulé",
            line={"color": STATUS_COLOURS.get(row.status, PALETTE[0]), "width": 3},
            hovertemplate="fin %{x|%m/%Y} : %{y:,.0f}<extra>réalisé cumulé</extra>",
        )
    last = max(
        [pd.Timestamp(d) for d in (row.end_date, *monthly["month"]) if not pd.isna(d)],
        default=None,
    )
    if last is not None and pd.Timestamp(today) <= last + pd.DateOffset(months=3):
        fig.add_vline(x=pd.Timestamp(today).timestamp() * 1000, line_dash="dot", line_color="#999")
    span = [pd.Timestamp(d) for d in (row.start_date, row.end_date, last) if not pd.isna(d)]
    short = len(span) > 1 and (max(span) - min(span)).days < 120
    fig.update_xaxes(tickformat="%d/%m/%Y" if short else "%m/%Y", title=None)
    fig.update_yaxes(tickformat=",.0f", title=row.unit, rangemode="tozero")
    return base_layout(fig, _wrap(target_title(row), 90), height=420)


def trajectory_reading(row) -> str:
    text = (
        f"{fmt.number(row.achieved)} {row.unit} sur {fmt.number(row.target_share)} "
        f"({progress_text(row.progress)}), {row.status}"
    )
    if not pd.isna(row.elapsed):
        text += f" ; la ligne droite en attendait {fmt.percent(row.elapsed)} à ce jour"
    return text + "."


METHOD = """
**Réalisé.** Quantités distribuées (restreintes au type d'aide, au public et à l'opérateur de
l'objectif quand il les précise), euros versés (du financeur de l'objectif s'il est précisé),
projets financés (une ligne de financement par projet) ou postes de conseillers numériques,
sous les filtres choisis (programmes, période, données de démonstration).

**Statut, à la date du jour.** La *ligne droite* va de 0 au début du programme jusqu'à
l'objectif à l'échéance ; sans échéance annoncée, la fin du programme sert d'échéance.
- **atteint** : réalisé ≥ objectif ;
- **non commencé** : rien n'est enregistré (réalisé nul), quelle que soit l'échéance ;
- **en cours** : des réalisations, mais ni échéance ni fin de programme : avancement seul ;
- **en bonne voie** : réalisé ≥ objectif × part du temps écoulé entre le début et l'échéance ;
- **en retard** : en dessous de cette ligne droite.

**Reste à faire** : objectif moins réalisé (jamais négatif). **Rythme nécessaire** : reste à
faire divisé par le nombre de mois (30,44 jours) jusqu'à l'échéance ; une fois l'échéance
passée, l'échéance se lit « échéance passée le …, reste … » et le rythme est celui qui
finirait en 12 mois à partir d'aujourd'hui ; vide l'objectif atteint, ou sans échéance.
Personnes, équipements, postes et projets sont des nombres entiers (une part inférieure à 10
garde une décimale), l'avancement est arrondi au dixième de pour cent.

**Action départementale, non répartie** : un financement accordé au département entier,
dont rien n'est attribué à une commune ni à un EPT. Pour un territoire, il ne se lit ni
« 0 % » ni « non commencé » : son avancement est celui du département, indiqué à côté.

**Les plus en retard d'abord** : tri par statut (en retard, non commencé, en cours, en bonne
voie, atteint), puis par écart à la ligne droite (avancement moins part du temps écoulé).

**Part d'un territoire.** Un objectif explicite d'un EPT ou d'une commune (même programme,
indicateur, type d'aide, public, opérateur et financeur) l'emporte. Sinon, le territoire
reçoit une part de l'objectif de l'échelon au-dessus (son EPT s'il en a un, sinon le
département) : ce qui reste une fois retirés les objectifs explicites, réparti au prorata de
la population municipale 2023 des territoires sans objectif propre. Un objectif propre à une
seule commune ne concerne que cette commune. Avec un filtre de territoire, l'objectif
affiché est la part du territoire choisi (somme des parts des communes choisies).

**Argent.** Les financements accordés à l'échelle du département ne sont attribués à aucun
territoire : avec un filtre de territoire, ils sont indiqués à part (« non ventilés ») et
ne comptent pas dans le réalisé. Les sommes versées à un EPT comptent pour l'EPT, pas pour
ses communes.

**Secret des petits effectifs.** Sauf pour les utilisateurs internes, le réalisé d'un objectif
qui compte des personnes vient des tableaux protégés : il porte sur des mois entiers, et il
est masqué (« < 5 », ou « secret » quand il protège un autre chiffre) dès qu'il pourrait
révéler un petit effectif, même par différence avec d'autres chiffres publiés ; son
avancement, son reste à faire, son rythme et son statut sont alors masqués aussi.
"""
