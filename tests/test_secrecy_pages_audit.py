"""End-to-end attacker test of small counts: everything a lecteur can read on the pages
(AppTest, links with every kind of filter) is turned into linear statements over the base
cells, and the linear-programming audit of tests/secrecy_audit.py checks that no small
count is pinned narrower than its label (« < 5 ») already says.

The unknowns are commune × programme × item × day segment × (public, operator): the day
windows asked for cut the months into segments, so a figure of a day window is a sum of
segments, and a figure coarsened to whole months (the caption says which) a sum of months.
A hidden figure says what its label says: « < 5 » in [1, T−1], « secret » at least T,
« masqué » nothing.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatoire.protected import coarsen
from tests.conftest import ROOT
from tests.secrecy_audit import OTHER, P1, Base, Statements, audit, fill_small_warehouse
from tests.small_counts import MONTREUIL
from webapp import ui

T = 5
# Cut days: the day windows below start or end on them, so a window is a union of segments.
CUTS = {"2020-12": (1, 13), "2021-01": (1, 12)}
WINDOWS = [
    {},
    {"du": "2021-01-01", "au": "2021-01-31"},  # a whole month
    {"du": "2020-12-01", "au": "2020-12-31"},
    {"du": "2021-01-01", "au": "2021-01-11"},  # day windows inside a month
    {"du": "2021-01-12", "au": "2021-01-31"},
    {"du": "2020-12-01", "au": "2020-12-12"},
    {"du": "2020-12-13", "au": "2021-01-11"},  # across two months
]
SHEET_MEASURES = {"Personnes touchées": "personnes", "Équipements distribués": "equipements"}
HIDDEN = re.compile(r"^<\s*\d+$")
DAY = r"(\d\d/\d\d/\d{4})"
COARSENED = re.compile(
    rf"mois\s+entiers\s*:\s*(?:du {DAY} au {DAY}|depuis le {DAY}|jusqu.au {DAY})"
)


def _segments(month: str) -> list[tuple[date, date]]:
    year, mon = int(month[:4]), int(month[5:7])
    first = date(year, mon, 1)
    end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    starts = [first.replace(day=d) for d in CUTS.get(month, (1,))]
    return [
        (s, (starts[i + 1] - timedelta(days=1)) if i + 1 < len(starts) else end)
        for i, s in enumerate(starts)
    ]


def day_base(con) -> Base:
    """Base cells by day segment (the `month` column keeps its 'YYYY-MM' prefix)."""
    facts = con.execute(
        """SELECT d.commune_code AS commune, c.ept_code AS ept, d.programme_id AS programme,
                  d.item, d.date AS day, coalesce(d.public, '') AS public,
                  coalesce(d.operator, '') AS operator,
                  sum(d.quantity) FILTER (WHERE NOT d.is_demo) AS real,
                  sum(d.quantity) FILTER (WHERE d.is_demo) AS demo
           FROM distributions d JOIN communes c ON c.code = d.commune_code GROUP BY ALL"""
    ).df()
    facts["day"] = pd.to_datetime(facts["day"]).dt.date
    segments = [
        (f"{m}/{s.day:02d}", s, e)
        for m in sorted({d.strftime("%Y-%m") for d in facts["day"]} | set(CUTS))
        for s, e in _segments(m)
    ]
    facts["month"] = [next(n for n, s, e in segments if s <= d <= e) for d in facts["day"]]
    keys = ["commune", "ept", "programme", "item", "month", "public", "operator"]
    facts = facts.groupby(keys, as_index=False)[["real", "demo"]].sum()
    communes = con.execute("SELECT code AS commune, ept_code AS ept FROM communes").df()
    items = con.execute(
        "SELECT DISTINCT item FROM distributions UNION SELECT DISTINCT item FROM targets "
        "WHERE item IS NOT NULL"
    ).df()
    classes = pd.concat(
        [
            facts[["public", "operator"]].drop_duplicates(),
            pd.DataFrame({"public": [OTHER], "operator": [OTHER]}),
        ]
    )
    grid = (
        communes.merge(con.execute("SELECT id AS programme FROM programmes").df(), how="cross")
        .merge(items, how="cross")
        .merge(pd.DataFrame({"month": [n for n, _, _ in segments]}), how="cross")
        .merge(classes, how="cross")
        .merge(facts, on=keys, how="left")
        .fillna({"real": 0, "demo": 0})
    )
    period = {n: (s, e) for n, s, e in segments}
    cells = grid[keys].reset_index(drop=True)
    cells["start"] = [period[m][0] for m in cells["month"]]
    cells["end"] = [period[m][1] for m in cells["month"]]
    return Base(cells, grid["real"].to_numpy(float), grid["demo"].to_numpy(float))


@pytest.fixture(scope="module")
def warehouse_db(tmp_path_factory, _empty_template):
    import shutil

    db = tmp_path_factory.mktemp("pages_audit") / "observatoire.duckdb"
    shutil.copy(_empty_template, db)
    con = duckdb.connect(str(db))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
        communes = fill_small_warehouse(con)
    base = day_base(con)
    names = dict(
        con.execute(
            "SELECT name, code FROM communes UNION ALL SELECT name, code FROM epts"
        ).fetchall()
    )
    names.update({f"EPT {n}": c for n, c in list(names.items())})
    names["Seine-Saint-Denis"] = "93"
    programmes = dict(con.execute("SELECT name, id FROM programmes").fetchall())
    targets = con.execute(
        "SELECT label, programme_id, item, public, operator FROM targets "
        "WHERE indicator = 'quantite'"
    ).df()
    ept = con.execute("SELECT ept_code FROM communes WHERE code = ?", [communes[0]]).fetchone()
    con.close()
    return db, communes, ept[0], base, names, programmes, targets


class Collector:
    """Turns what a page shows into statements over the base cells."""

    def __init__(self, base: Base, names, programmes, targets):
        self.base, self.names, self.programmes = base, names, programmes
        self.targets = targets.set_index("label")
        self.statements = Statements(base)
        self.mismatches: list[str] = []
        items = base.cells["item"]
        self.measures = {
            "personnes": (items != "recharge").to_numpy(),
            "equipements": (items != "accompagnement").to_numpy(),
        }

    # What a figure covers --------------------------------------------------------------
    def territory(self, query: dict, code: str | None = None) -> np.ndarray:
        b = self.base
        mask = b.where()
        if query.get("commune"):
            mask &= b.where(commune=set(query["commune"].split(",")))
        if query.get("ept"):
            mask &= b.where(ept=query["ept"])
        if code and code != "93":
            mask &= b.where(commune=code) if len(code) == 5 else b.where(ept=code)
        return mask

    def period(self, start: date | None, end: date | None) -> np.ndarray:
        cells = self.base.cells
        mask = np.ones(len(cells), dtype=bool)
        if start:
            mask &= (cells["start"] >= start).to_numpy()
            assert not ((cells["start"] < start) & (cells["end"] >= start)).any(), start
        if end:
            mask &= (cells["end"] <= end).to_numpy()
            assert not ((cells["start"] <= end) & (cells["end"] > end)).any(), end
        return mask

    def periods(self, query: dict, captions: list[str]) -> list[np.ndarray]:
        """What the figures may cover, in this order: the whole months a caption names, the
        dates chosen, their whole months, everything (pages that ignore the dates)."""
        out = []
        for text in captions:
            found = COARSENED.search(text)
            if found:
                start, end, since, until = (
                    pd.to_datetime(d, dayfirst=True).date() if d else None for d in found.groups()
                )
                out.append(self.period(start or since, end or until))
        du = date.fromisoformat(query["du"]) if query.get("du") else None
        au = date.fromisoformat(query["au"]) if query.get("au") else None
        out.append(self.period(du, au))
        out.append(self.period(*coarsen(du, au)))  # the whole months, as the README says
        out.append(self.period(None, None))
        return out

    def family(self, label: str) -> np.ndarray | None:
        if label not in self.targets.index:
            return None
        row = self.targets.loc[label]
        row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
        mask = self.base.where(programme=row.programme_id)
        for column in ("item", "public", "operator"):
            if row[column] is not None and not pd.isna(row[column]):
                mask &= self.base.where(**{column: row[column]})
        return mask

    # What a figure says ----------------------------------------------------------------
    def add(self, name: str, shown, candidates: list[np.ndarray], demo: bool) -> None:
        """SHOWN (a number, or a label) is the sum over one of the CANDIDATES masks: the
        first whose true value matches, for a number."""
        b = self.base
        kind, value = _parse(shown)
        if kind is None:
            return
        if kind == "value":
            for mask in candidates:
                true = b.real[mask].sum() + (b.demo[mask].sum() if demo else 0)
                if abs(true - value) < 0.5:
                    self.statements.value(mask, value, with_demo=demo)
                    return
            self.mismatches.append(f"{name}: {shown}")
            return
        # A label says what it says of the real count over what the figure covers: the first
        # candidate it holds for (labels that say nothing are left out).
        for mask in candidates:
            true = b.real[mask].sum()
            if kind in ("small", "hidden") and 0 < true < T:
                self.statements.small(name, mask, T)
                return
            if kind == "secret" and not demo and true >= T:  # with demo, « secret » may be
                self.statements.bounds(mask, T)  # a small real count plus demonstration
                return


def _parse(shown):
    """('value', v) | ('small', None) | ('secret', None) | ('hidden', None) | (None, None)."""
    if shown is None:
        return None, None
    if isinstance(shown, str):
        text = shown.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
        if HIDDEN.match(text) or text.startswith("<"):
            return "small", None
        if text.lower().startswith("secret"):
            return "secret", None
        if re.fullmatch(r"\d+", text):
            return "value", float(text)
        return None, None  # « masqué », « – », text
    value = float(shown)
    if np.isnan(value) or value == np.inf:
        return None, None
    if value <= ui.STAND_IN:  # the tables' sort key of a hidden figure
        return "hidden", None
    return "value", value


COST_COLUMNS = {
    "Personnes touchées": "€ par personne touchée",
    "Équipements distribués": "€ par équipement",
}


def _per_euro(row, column: str):
    """A count of the cost table, or, when it is hidden, what euros / euros per unit say."""
    shown = row[column]
    kind, _ = _parse(shown)
    if kind in ("value", "small", "secret"):
        return shown
    euros, rate = row.get("Financements (€)"), row.get(COST_COLUMNS[column])
    if _parse(euros)[0] == "value" and _parse(rate)[0] == "value" and float(rate) > 0:
        return float(round(float(euros) / float(rate)))
    return shown


def _label(row, column: str, columns) -> object:
    """A table's figure, or the label its map class gives when it is hidden."""
    shown = row[column]
    if _parse(shown)[0] == "hidden" and "Classe" in columns:
        return row["Classe"]
    return shown


def _visit(c: Collector, query: dict, pages: list[tuple[str, dict]]) -> None:
    """A reader's session: the link opens the home page (the overview), then PAGES (each
    with its own URL keys), everything read."""
    CHART_DATA.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, (query, at.exception)
    _collect(c, at, "views/overview.py", {k: v for k, v in query.items() if k != "code"})
    for page, extra in pages:
        CHART_DATA.clear()
        at.switch_page(page)
        at.query_params.clear()
        at.query_params.update({**query, **extra})
        at.run()
        assert not at.exception, (page, query, extra, at.exception)
        _collect(c, at, page, {**query, **extra})


def _frames(at) -> list[pd.DataFrame]:
    """The tables shown (their CSV and XLSX downloads hold exactly them) and the data of
    every chart's export."""
    return [d.value for d in at.dataframe] + list(CHART_DATA)


CHART_DATA: list[pd.DataFrame] = []


@pytest.fixture
def chart_exports(monkeypatch):
    """Keep the data each page hands to ui.chart for its CSV/XLSX export."""
    from webapp import ui

    chart = ui.chart

    def recording(*args, **kwargs):
        data = kwargs.get("data")
        if isinstance(data, pd.DataFrame):
            CHART_DATA.append(data.copy())
        return chart(*args, **kwargs)

    monkeypatch.setattr(ui, "chart", recording)


def _collect(c: Collector, at: AppTest, page: str, query: dict) -> None:
    demo = query.get("demo") != "0"
    caps = [x.value for x in at.caption]
    periods = c.periods(query, caps)
    where = f"{page} {query}"
    chosen = [p for p in query.get("programme", "").split(",") if p]
    programme = c.base.where(programme=set(chosen)) if chosen else c.base.where()
    selection = c.territory(query) & programme
    if page in ("views/overview.py", "views/territory.py"):
        scope = c.territory({}, query["code"]) & programme if "code" in query else selection
        for label, measure in (
            ("Personnes touchées", "personnes"),
            ("Équipements distribués", "equipements"),
        ):
            for m in at.metric:
                if m.label == label:
                    c.add(
                        f"{where} {label}",
                        m.value,
                        [scope & c.measures[measure] & p for p in periods],
                        demo,
                    )
    for frame in _frames(at):
        columns = set(frame.columns)
        if page == "views/territory.py" and "Indicateur" in columns:
            for _, row in frame.iterrows():
                measure = SHEET_MEASURES.get(row["Indicateur"])
                for column in frame.columns[1:] if measure else ():
                    code = c.names.get(column)
                    if code:
                        mask = c.territory({}, code) & programme & c.measures[measure]
                        c.add(
                            f"{where} {column} {row['Indicateur']}",
                            row[column],
                            [mask & p for p in periods],
                            demo,
                        )
        people = next((k for k in ("Personnes touchées", "Aide (nombre)") if k in columns), None)
        territory = next((k for k in ("Commune", "Territoire", "EPT") if k in columns), None)
        if people and territory:
            for _, row in frame.iterrows():
                code = c.names.get(row[territory])
                if code:
                    mask = c.territory(query, code) & programme & c.measures["personnes"]
                    c.add(
                        f"{where} {row[territory]}",
                        _label(row, people, columns),
                        [mask & p for p in periods],
                        demo,
                    )
        if people and "Programme" in columns and territory is None:  # costs by programme
            for _, row in frame.iterrows():
                pid = c.programmes.get(row["Programme"])
                if pid:
                    for col, measure in (
                        ("Personnes touchées", "personnes"),
                        ("Équipements distribués", "equipements"),
                    ):
                        if col in columns:
                            mask = selection & c.base.where(programme=pid) & c.measures[measure]
                            c.add(
                                f"{where} {row['Programme']} {col}",
                                _per_euro(row, col),
                                [mask & p for p in periods],
                                demo,
                            )
        allotted = next((k for k in frame.columns if str(k).startswith("Aide actuelle (")), None)
        if page == "views/allocation.py" and allotted and "Commune" in columns:
            item = query.get("detail", "tablette")  # the envelope's type of aid
            for _, row in frame.iterrows():
                code = c.names.get(row["Commune"])
                if code:
                    mask = c.territory(query, code) & programme & c.base.where(item=item)
                    c.add(
                        f"{where} {row['Commune']} {item}",
                        row[allotted],
                        [mask & p for p in periods],
                        demo,
                    )
        label = next((k for k in ("Objectif annoncé", "Objectif") if k in columns), None)
        if label and "Réalisé" in columns:
            everywhere = c.base.where()
            for _, row in frame.iterrows():
                family = c.family(row[label])
                if family is not None:
                    c.add(
                        f"{where} {row[label]}",
                        row["Réalisé"],
                        [s & family & p for s in (selection, everywhere) for p in periods],
                        demo,
                    )
        if "Réalisé" in columns and "Code" in columns:  # a target's territories
            box = at.selectbox(key="reparti")
            title = box.options[box.index]
            family = c.family(max((t for t in c.targets.index if t in title), key=len, default=""))
            for _, row in frame.iterrows() if family is not None else ():
                mask = c.territory(query, row["Code"]) & family
                c.add(
                    f"{where} {row['Code']} réalisé",
                    row["Réalisé"],
                    [mask & p for p in periods],
                    demo,
                )


FICHE_TILE = re.compile(r"^(.+)\n(Équipements distribués|Personnes touchées)$", re.M)
FICHE_TARGET = re.compile(r"(< ?\d+|secret|masqué|\d[\d\u00a0\u202f ]*) sur \S")


def _collect_fiche(c: Collector, code: str, query: dict) -> None:
    """The PDF fiche of CODE: its tiles and its targets' achieved counts (pypdf's text)."""
    from pypdf import PdfReader

    from observatoire.fiche import render
    from observatoire.filters import Filters

    filters = Filters(
        date_from=date.fromisoformat(query["du"]) if query.get("du") else None,
        date_to=date.fromisoformat(query["au"]) if query.get("au") else None,
        include_demo=query.get("demo") != "0",
    )
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render.build(code, filters))).pages
    )
    demo = filters.include_demo
    periods = c.periods(query, [text])
    where = f"fiche {code} {query}"
    scope = c.territory({}, code)
    for shown, label in FICHE_TILE.findall(text):
        measure = SHEET_MEASURES[label]
        c.add(f"{where} {label}", shown, [scope & c.measures[measure] & p for p in periods], demo)
    family = None
    for line in text.splitlines():
        prefix = line.rstrip("…")
        found = [
            t for t in c.targets.index if t == line or (line.endswith("…") and t.startswith(prefix))
        ]
        if found:
            family = c.family(found[0])
            continue
        achieved = FICHE_TARGET.search(line)
        if achieved and family is not None:
            c.add(f"{where} {line}", achieved.group(1), [scope & family & p for p in periods], demo)
            family = None


def _queries(a, b, d, ept):
    """Links a reader can share: territories × programmes × windows, sampled so that every
    page sees every kind of filter and the known attacks are all there."""
    territories = [
        {},
        {"commune": a},
        {"commune": f"{a},{b}"},
        {"commune": b},
        {"commune": d},
        {"commune": f"{a},{MONTREUIL}"},
        {"ept": ept},
    ]
    out = []
    for i, territory in enumerate(territories):
        for j, window in enumerate(WINDOWS):
            if (i + j) % 3 and window and territory:
                continue  # a third of the dated combinations: every window meets every kind
            out.append({**territory, **window, "demo": "0"})
    out += [
        {"commune": a},
        {"ept": ept, "programme": P1, "demo": "0"},
        {"commune": f"{a},{b}", "programme": P1, "demo": "0"},
    ]
    return out


# Every link opens the overview (the home page) and the map; the other pages take turns.
MAP_LEVELS = [{}, {"niveau": "ept"}]
TURNS = {
    "views/need.py": [{}, {"niveau": "ept"}],
    "views/targets.py": [{"niveau": "commune"}, {}],
    "views/funding.py": [{}],
}
# « Répartir une enveloppe » joins every third link: its current help per commune, one item.
ALLOCATIONS = [
    {},
    {"detail": "ordinateur", "regle": "rattrapage", "cible": "1"},
    {"detail": "ordinateur", "regle": "population", "exclure": MONTREUIL},
]


@pytest.mark.slow  # about 70 s of CPU: some hundred page runs
def test_no_figure_of_any_page_narrows_a_small_count(
    warehouse_db, use_db, monkeypatch, chart_exports
):
    db, (a, b, _, d, _), ept, base, names, programmes, targets = warehouse_db
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    use_db(db)
    c = Collector(base, names, programmes, targets)
    for k, query in enumerate(_queries(a, b, d, ept)):
        turn = list(TURNS)[k % len(TURNS)]
        pages = [
            ("views/map.py", MAP_LEVELS[k % 2]),
            (turn, TURNS[turn][(k // len(TURNS)) % len(TURNS[turn])]),
        ]
        if k % 4 == 0:
            pages.append(("views/programmes.py", {}))
        if k % 3 == 1:
            pages.append(("views/allocation.py", ALLOCATIONS[(k // 3) % len(ALLOCATIONS)]))
        _visit(c, query, pages)
    for code in (a, d, ept):
        for window in (WINDOWS[0], WINDOWS[3]):
            _visit(c, {"code": code, **window, "demo": "0"}, [("views/territory.py", {})])
    for code in (a, ept):
        for window in (WINDOWS[0], WINDOWS[3]):
            _collect_fiche(c, code, {**window, "demo": "0"})
    assert c.statements.targets, "the pages show no small count: nothing was audited"
    assert not c.mismatches, c.mismatches[:10]
    findings = audit(c.statements, T)
    assert findings == [], "\n".join(
        f"{f.name}: pinned to [{f.low:g}, {f.high:g}] (true {f.true:g})" for f in findings
    )
