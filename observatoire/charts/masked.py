"""Figures of counts of people with their small counts masked (observatoire/disclosure.py
decides what is hidden; this draws it): bars that lost their value carry the mask label,
charts left empty say why, and the charts and readings that pages share.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt
from observatoire.charts import items_bar, items_reading
from observatoire.charts import targets as charts_targets


def label_masked_bars(fig: go.Figure, label: str | Mapping[str, str] | None = None) -> go.Figure:
    """Write the mask label where a horizontal bar lost its value to masking (mask_people):
    LABEL, or LABEL[the bar's name] when a mapping (protected figures: one label each)."""
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
            text=[
                t if v is not None else label.get(y) if isinstance(label, Mapping) else label
                for v, t, y in zip(values, text, trace.y, strict=True)
            ],
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


def label_masked_progress(
    fig: go.Figure,
    progress: pd.DataFrame,
    progress_at: int | None = 3,
    labels: pd.Series | None = None,
) -> go.Figure:
    """Write « masqué » on the bars of a progress chart (charts.targets.progress_bars, or
    territory_bars with progress_at=None) that mask_progress emptied, and « < 5 » (or each
    row's LABELS, of protected figures) as their achieved count in the hover (customdata[0];
    the progress text at PROGRESS_AT)."""
    # The chart's bar order; an action at the département's scale has no progress of its
    # own, but nothing of it is masked.
    ordered = progress.iloc[::-1]
    departemental = ordered["status"].eq(charts_targets.DEPARTEMENT_STATUS)
    masked = (ordered["progress"].isna() & ~departemental).to_numpy()
    derived = disclosure.DERIVED_LABEL
    if labels is None:
        labels = pd.Series(disclosure.current_label(), index=progress.index)
    names = labels.reindex(progress.index).iloc[::-1].fillna(derived).to_numpy()
    beside = next((t for t in fig.data if t.name == charts_targets.BESIDE_LABELS), None)
    for trace in fig.data:
        if trace.type != "bar" or not masked.any():
            continue
        custom = [list(c) for c in trace.customdata]
        for row, hidden, label in zip(custom, masked, names, strict=True):
            if hidden:
                row[0] = label
                if progress_at is not None:
                    row[progress_at] = derived
        if beside is not None:
            # progress_bars wrote a narrow bar's text beside it: a masked bar's « masqué » is
            # written on the bar alone, never under the other text.
            hidden_y = {y for y, hidden in zip(trace.y, masked, strict=True) if hidden}
            beside.update(
                text=[
                    "" if y in hidden_y else t for y, t in zip(beside.y, beside.text, strict=True)
                ]
            )
        trace.update(
            text=[derived if m else t for m, t in zip(masked, trace.text, strict=True)],
            textposition=["outside" if m else "auto" for m in masked],
            customdata=custom,
        )
    return fig


def split_progress(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its export) of target progress rows: protected rows (from
    protected.target_rows, column achieved_text) already lack every hidden figure, and
    their export reads the label (« < 5 », « secret ») and « masqué » for what derives from
    it; other rows go through disclosure.mask_progress."""
    if "achieved_text" not in rows:
        return disclosure.mask_progress(rows)
    hidden = rows["achieved_text"].notna()
    if not hidden.any():
        return rows, rows
    derived = [c for c in ("progress", "remaining", "monthly_pace") if c in rows.columns]
    exported = rows.astype({c: object for c in ("achieved", *derived)})
    exported.loc[hidden, "achieved"] = rows.loc[hidden, "achieved_text"]
    exported.loc[hidden, derived] = disclosure.DERIVED_LABEL
    return rows, exported


def _reading(reading, rows: pd.DataFrame) -> str:
    """disclosure.reading_of_masked of progress rows, an action at the département's scale
    read with the département's progress (not as a masked value)."""
    scale = rows["status"].eq(charts_targets.DEPARTEMENT_STATUS)
    if scale.any():
        rows = rows.copy()
        rows.loc[scale, "progress"] = rows.loc[scale, "departement_progress"].fillna(0)
    return disclosure.reading_of_masked(reading, rows, "progress")


def masked_progress_chart(rows: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame, str]:
    """charts.targets.progress_bars of target rows with small counts masked: (figure, the
    rows for its export, its reading), for every page that shows target progress."""
    shown, exported = split_progress(rows)
    figure = label_masked_progress(
        charts_targets.progress_bars(shown), shown, labels=shown.get("achieved_text")
    )
    return (
        figure,
        charts_targets.rounded(exported),
        _reading(charts_targets.progress_reading, shown),
    )


def masked_territory_chart(rows: pd.DataFrame, title: str) -> tuple[go.Figure, pd.DataFrame, str]:
    """charts.targets.territory_bars of one target's territories with small counts masked:
    (figure, the rows for its export, its reading), for Objectifs."""
    shown, exported = split_progress(rows)
    figure = label_masked_progress(
        charts_targets.territory_bars(shown, title),
        shown,
        progress_at=None,
        labels=shown.get("achieved_text"),
    )
    return (
        figure,
        charts_targets.rounded(exported),
        _reading(charts_targets.territory_reading, shown),
    )


def mask_trajectory(row):
    """The target row for charts.targets.trajectory with its small cumulative counts (public
    mode, a target counting people) left out of the line: « < 5 » in its data export."""
    if row.indicator != "quantite":
        return row, charts_targets.monthly_table(row)
    if hasattr(row, "achieved_text"):  # protected.target_trajectory: None where masked
        exported = charts_targets.monthly_table(row)
        column = exported.columns[1]
        exported[column] = (
            exported[column]
            .astype(object)
            .where(exported[column].notna(), disclosure.SECONDARY_LABEL)
        )
        return row, disclosure.mark(exported, "protected")
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
    if getattr(row, "achieved_text", None) is not None and not pd.isna(row.achieved_text):
        return f"Réalisé masqué ({row.achieved_text}) : secret des petits effectifs."
    if hasattr(row, "achieved_text"):
        return charts_targets.trajectory_reading(row)
    if row.indicator == "quantite" and disclosure.is_small(row.achieved):
        return f"Petits effectifs masqués ({disclosure.current_label()})."
    return charts_targets.trajectory_reading(row)


# Protected figures (observatoire/protected.py): hidden figures arrive NaN for the chart and
# as their label in the export, one label each (« < 5 », « secret », « masqué »).


def items_chart(shown: pd.DataFrame, exported: pd.DataFrame) -> tuple[go.Figure, str]:
    """items_bar of protected quantities per item: (figure, its reading)."""
    hidden = shown["quantity"].isna()
    labels = dict(
        zip(
            shown.loc[hidden, "item"].map(fmt.item_label),
            exported.loc[hidden, "quantity"],
            strict=True,
        )
    )
    figure = label_masked_bars(items_bar(shown), labels)
    return figure, disclosure.reading_of_masked(items_reading, shown, "quantity")


def protected_progress_chart(
    rows: pd.DataFrame, achieved: pd.Series, progress: pd.Series
) -> tuple[go.Figure, pd.DataFrame, str]:
    """charts.targets.progress_bars of protected target rows (hidden achievements NaN) with
    ACHIEVED and PROGRESS, their French texts: (figure, the rows for its export, reading)."""
    hidden = rows["achieved"].isna() & (rows["indicator"] == "quantite")
    exported = rows.astype({"achieved": object, "progress": object})
    exported.loc[hidden, "achieved"] = achieved[hidden]
    exported.loc[hidden, "progress"] = progress[hidden]
    figure = label_masked_progress(
        charts_targets.progress_bars(rows), rows, labels=achieved.where(hidden)
    )
    return (
        figure,
        disclosure.mark(charts_targets.rounded(exported), "protected"),
        disclosure.reading_of_masked(charts_targets.progress_reading, rows, "progress"),
    )
