"""The query layer: the only home of SQL for the pages.

The dashboard reads through one read-only connection per process, let go whenever a load in
another process waits for the file (DuckDB allows one writer or several readers, never
both: see KeptReader); on a DuckLake it is simply kept. Results are cached in this process
(QueryCache, no Streamlit) on their query, parameters and the warehouse's version (the file's,
or the lake's latest snapshot), so the dashboard shows new data at its next refresh and never
half a load.
Distributions are read from their summaries by month and by day (see FACT_SOURCES).
"""

from __future__ import annotations

import atexit
import copy
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd

from core import store
from core.settings import get_settings
from core.store import Lake, Location, connect, writer_waiting
from observatoire import audience, disclosure
from observatoire.filters import Filters

SQL_DIR = Path(__file__).parent / "sql"
# {{NAME:alias}} (or {{NAME}}) expands observatoire/sql/_NAME.sql (filter clauses, shared
# sub-queries), templates inside a template included.
_TEMPLATE = re.compile(r"\{\{([a-z_]+)(?::([a-z_]+))?\}\}")
# Queries read distributions through {{distribution_facts}}: the summary by month
# (etl/summary.py), a few thousand rows whatever the number of records, when the period is
# made of whole months or open ("months"); otherwise the whole months from it and the other
# days from the summary by day ("cut"). "records" reads the records themselves: the
# reference the other two are tested and benchmarked against.
_DISTRIBUTION_FACTS = "{{distribution_facts}}"
FACT_SOURCES = {
    "months": "distribution_months",
    "cut": None,  # _distribution_facts_cut.sql
    "records": "(SELECT *, 1 AS records FROM distributions)",
}


class WarehouseMissing(RuntimeError):
    """No warehouse file: the pages say how to build one."""


class WarehouseOutdated(RuntimeError):
    """The warehouse lacks migrations this code needs (its message lists them): the pages
    ask for `python -m etl migrate` rather than fail on a missing table."""


def _template(name: str) -> str:
    """observatoire/sql/_NAME.sql without its comment lines."""
    text = (SQL_DIR / f"_{name}.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def _expand(text: str) -> str:
    def one(m: re.Match) -> str:
        if m.group(0) == _DISTRIBUTION_FACTS:
            return m.group(0)
        return "(" + _expand(_template(m.group(1)).replace("ALIAS", m.group(2) or "")) + ")"

    return _TEMPLATE.sub(one, text)


@cache
def load_sql(name: str, facts: str = "months") -> str:
    """Read observatoire/sql/NAME.sql and expand its templates: {{…:alias}} clauses, and
    {{distribution_facts}} from the FACT_SOURCES entry `facts`."""
    text = _expand((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"))
    source = FACT_SOURCES[facts] or f"({_template('distribution_facts_cut')})"
    return text.replace(_DISTRIBUTION_FACTS, source)


def fact_source(params: dict) -> str:
    """Where a query reads distributions under these parameters: the monthly summary alone
    ("months") when the period starts on a 1st and ends on a month's last day (either may be
    open), "cut" otherwise."""
    start, end = params.get("date_from"), params.get("date_to")
    whole = (start is None or start.day == 1) and (
        end is None or (end + timedelta(days=1)).day == 1
    )
    return "months" if whole else "cut"


def whole_months(params: dict) -> dict:
    """The whole months inside the period, from months_from to before months_until (None:
    open), for the "cut" source: their records are read from the summary."""
    start, end = params.get("date_from"), params.get("date_to")
    months_from = start
    if start is not None and start.day != 1:
        months_from = (start.replace(day=1) + timedelta(days=31)).replace(day=1)
    months_until = None if end is None else end + timedelta(days=1)
    if months_until is not None and months_until.day != 1:
        months_until = months_until.replace(day=1)
    return {"months_from": months_from, "months_until": months_until}


def db_path() -> Location:
    """The warehouse: its file, or its DuckLake (core/settings.py)."""
    return get_settings().warehouse


def db_version(path: Location | None = None) -> tuple[Location, int, int, int]:
    """Changes whenever a load commits (the file or its write-ahead log; the lake's latest
    snapshot): part of every cache key, so that the next refresh shows the new data."""
    path = path or db_path()
    if isinstance(path, Lake):
        if not path.exists():
            raise WarehouseMissing(str(path))
        return (path, path.snapshot(), 0, 0)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise WarehouseMissing(str(path)) from exc
    wal = path.with_name(path.name + ".wal")
    wal_mtime = wal.stat().st_mtime_ns if wal.exists() else 0
    return (path, stat.st_mtime_ns, stat.st_size, wal_mtime)


class KeptReader:
    """One read-only DuckDB connection per process, kept between queries: its buffer pool
    stays warm and no query pays for opening the file. Each query gets its own cursor (safe
    across Streamlit's session threads).

    A writer in another process cannot start while it is open, so it is let go after
    IDLE_S seconds without queries, and at once when a writer announces it is waiting
    (core.store.writer_waiting); meanwhile queries use short-lived connections, which wait for
    the writer to commit. A load thus never shows half-done, and the dashboard shows it at
    its next refresh.

    On a DuckLake writers never wait for readers: the connection is kept (opening one loads
    the extensions and attaches the catalog) and every query reads the latest snapshot.
    """

    IDLE_S = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con = None
        self._version = None
        self._active = 0
        self._timer: threading.Timer | None = None
        self.opened = 0  # how many times the file was opened (tests, benchmarks)

    @contextmanager
    def cursor(self, path: Location):
        timeout = get_settings().lock_timeout_s
        file = not isinstance(path, Lake)
        if writer_waiting(path):
            self.release()
            con = connect(path, read_only=True, timeout_s=timeout)
            try:
                yield con
            finally:
                con.close()
            return
        with self._lock:
            version = db_version(path) if file else (path,)
            if self._con is not None and self._version != version and self._active == 0:
                self._close_locked()
            if self._con is None:
                self._con = connect(path, read_only=True, timeout_s=timeout)
                self._version = version
                self.opened += 1
            self._active += 1
            cursor = store.cursor(self._con, path)
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._active -= 1
                if file:
                    self._schedule_release_locked()

    def _schedule_release_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.IDLE_S, self.release)
        self._timer.daemon = True
        self._timer.start()

    def release(self) -> None:
        """Close the kept connection once no query uses it (a writer may then start)."""
        with self._lock:
            if self._active == 0:
                self._close_locked()

    def _close_locked(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            self._version = None

    @property
    def is_open(self) -> bool:
        return self._con is not None


READER = KeptReader()
atexit.register(READER.release)


def run(
    name: str, params: dict | None = None, path: Location | None = None, facts: str | None = None
) -> pd.DataFrame:
    """Run a named query on the kept read-only connection (uncached). `facts` forces where
    distributions are read (FACT_SOURCES; default: fact_source(params))."""
    path = path or db_path()
    if not path.exists():
        raise WarehouseMissing(str(path))
    params = params or {}
    facts = facts or fact_source(params)
    sql = load_sql(name, facts)
    if facts == "cut":
        params = params | whole_months(params)
    if "$demo_" in sql:
        params = params | demo_flags(params, path)
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    with READER.cursor(path) as con:
        return con.execute(sql, used).df()


# The kinds of record the demonstration generates, in French (demo_note).
DEMO_KINDS = {
    "distributions": "distributions",
    "funding": "financements",
    "conseillers": "postes de conseillers numériques",
}


def _superseded(path: Path) -> list[str]:
    rows = run("demo_kinds", path=path)
    return list(rows.loc[rows["has_real"] & rows["has_demo"], "kind"])


def demo_flags(params: dict, path: Path | None = None) -> dict:
    """$demo_<kind> of the SQL: whether the demonstration records of each kind count under
    PARAMS (include_demo, demo_with_real). Once real records of a kind are loaded, its
    demonstration records leave the figures, unless demo_with_real asks for both: real and
    fictitious records never add up unnoticed."""
    include = bool(params.get("include_demo", True))
    superseded = set() if params.get("demo_with_real") else set(_superseded(path or db_path()))
    return {f"demo_{kind}": include and kind not in superseded for kind in DEMO_KINDS}


def demo_superseded() -> list[str]:
    """The kinds (DEMO_KINDS) whose demonstration records real records of theirs replace."""
    rows = query("demo_kinds")
    return list(rows.loc[rows["has_real"] & rows["has_demo"], "kind"])


def demo_counts(filters: Filters, kind: str) -> bool:
    """Whether the demonstration records of KIND count in the figures under FILTERS."""
    return demo_flags(filters.params())[f"demo_{kind}"]


def demo_note(filters: Filters) -> str | None:
    """What the page says when real records replace demonstration records in the figures
    (or are added to them, when the reader asked for both); None otherwise."""
    kinds = demo_superseded() if filters.include_demo else []
    if not kinds:
        return None
    names = [DEMO_KINDS[k] for k in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
    if filters.demo_with_real:
        return (
            f"Données réelles et de démonstration additionnées ({listed}) : les chiffres "
            "mêlent des enregistrements réels et fictifs."
        )
    return (
        f"Des données réelles sont chargées ({listed}) : les enregistrements de démonstration "
        "de ce type sont écartés des chiffres, pour ne pas s'ajouter aux réels. « Additionner "
        "réel et démonstration », dans le panneau latéral, les remet."
    )


class QueryCache:
    """A process-wide, thread-safe LRU cache of FUNCTION's results, keyed on its (hashable)
    arguments, keeping at most MAX_ENTRIES of them. Each caller gets its own copy, so no caller
    can change what the next one reads. It lives outside Streamlit: no client message can empty
    it, and scripts and tests use it as the pages do."""

    def __init__(self, function: Callable, max_entries: int) -> None:
        self.function, self.max_entries = function, max_entries
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple, threading.Lock] = {}  # one lock per key being computed

    def _hit(self, key: tuple):
        """(True, the entry) when KEY is cached, else (False, None); called under _lock."""
        if key not in self._entries:
            return False, None
        self._entries.move_to_end(key)
        return True, self._entries[key]

    def __call__(self, *key):
        with self._lock:
            found, value = self._hit(key)
            if not found:
                computing = self._computing.setdefault(key, threading.Lock())
        if found:
            return copy.deepcopy(value)
        # Sessions asking for the same result wait for one computation; other keys do not
        # wait at all (the slow part runs outside the cache's own lock).
        with computing:
            with self._lock:
                found, value = self._hit(key)
            if not found:
                try:
                    value = self.function(*key)
                    with self._lock:
                        self._entries[key] = value
                        while len(self._entries) > self.max_entries:
                            self._entries.popitem(last=False)
                finally:
                    with self._lock:
                        self._computing.pop(key, None)
        return copy.deepcopy(value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _run_keyed(name: str, params_key: tuple, version: tuple) -> pd.DataFrame:
    return run(name, dict(params_key), version[0])


# Keyed on (query name, parameters, warehouse version).
_cached = QueryCache(_run_keyed, max_entries=512)


# The queries that read the records of distributions: their counts of people are exact, for
# internes only (observatoire/disclosure.py: exports refuse them for anyone else; a lecteur's
# figures come from the protected tables, observatoire/protected.py).
EXACT_COUNT_QUERIES = frozenset(
    {
        "distributions_by_commune",
        "distributions_by_item",
        "distributions_by_month",
        "funding_costs",
        "key_figures",
        "map_values",
        "target_progress",
        "target_territory_progress",
        "territory_programme_months",
        "territory_record_counts",
        "territory_records",
    }
)


def query(name: str, filters: Filters | None = None, **extra) -> pd.DataFrame:
    """Cached named query under the global filters (and extra named parameters)."""
    params = (filters or Filters()).params() | extra
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    result = _cached(name, key, db_version())
    if name in EXACT_COUNT_QUERIES:
        disclosure.mark(result, "exact")
    return result


def require_current_schema() -> None:
    """Raise WarehouseOutdated if migrations of core/migrations are not applied yet."""
    pending = _pending_migrations(db_version())
    if pending:
        raise WarehouseOutdated(", ".join(pending))


def _find_pending_migrations(version: tuple) -> list[str]:
    import duckdb

    try:
        applied = set(run("schema_versions", path=version[0])["version"])
    except duckdb.CatalogException:  # not even the migrations table
        applied = set()
    return store.pending(applied)


_pending_migrations = QueryCache(_find_pending_migrations, max_entries=4)


# Named queries the pages call -------------------------------------------------------------


def territories() -> pd.DataFrame:
    return query("territories")


def programme_list() -> pd.DataFrame:
    return query("programme_list")


def data_extent() -> dict:
    return query("data_extent").iloc[0].to_dict()


def sources_in_view(filters: Filters) -> pd.DataFrame:
    return query("sources_in_view", filters)


def sources_period(filters: Filters) -> pd.DataFrame:
    """First and last dates of each kind of record under the filters (source lines)."""
    return query("sources_period", filters)


def key_figures(filters: Filters) -> dict:
    return query("key_figures", filters).iloc[0].to_dict()


def distributions_by_item(filters: Filters) -> pd.DataFrame:
    return query("distributions_by_item", filters)


def distributions_by_month(filters: Filters) -> pd.DataFrame:
    return query("distributions_by_month", filters)


def distributions_by_commune(filters: Filters) -> pd.DataFrame:
    return query("distributions_by_commune", filters)


def target_progress(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """Achieved against target per target (per target family under a territory filter), with
    its status on `today` (default: today) and its cumulative achievement by month."""
    return query("target_progress", filters, today=today or date.today())


# Objectifs et financements (issue 5) ------------------------------------------------------


def target_territory_progress(
    filters: Filters, level: str, today: date | None = None
) -> pd.DataFrame:
    """Each target's share and achievement per territory of `level` ('commune' or 'ept').

    The one home of the territorial share rule (etl/sql/target_shares.sql): an
    explicit EPT or commune target wins, otherwise what remains of the target above is shared
    pro rata of population. The territory filter chooses the rows; pass
    ``filters.with_(ept=None, communes=())`` for every territory. `today` (default: today)
    sets the time elapsed behind each row's status.
    """
    if level not in ("commune", "ept"):
        raise ValueError(f"level must be 'commune' or 'ept', not {level!r}")
    return query("target_territory_progress", filters, level=level, today=today or date.today())


def funding_summary(filters: Filters) -> dict:
    """Total funding under the filters, split by where it was given (communes, EPTs only, the
    whole département), with has_demo and the population of the selection."""
    return query("funding_summary", filters).iloc[0].to_dict()


def funding_by_funder(filters: Filters) -> pd.DataFrame:
    return query("funding_by_funder", filters)


def funding_by_programme(filters: Filters) -> pd.DataFrame:
    """Amounts by programme and scheme."""
    return query("funding_by_programme", filters)


def funding_by_territory(filters: Filters, level: str) -> pd.DataFrame:
    """Amounts per commune or EPT, with the pro rata shares of the money not attributed to it
    (given to its EPT, or to the whole département) for an optional, stated allocation."""
    if level not in ("commune", "ept"):
        raise ValueError(f"level must be 'commune' or 'ept', not {level!r}")
    return query("funding_by_territory", filters, level=level)


def funding_flows(filters: Filters) -> pd.DataFrame:
    """Links funder → programme (stage 1) and programme → territory (stage 2)."""
    return query("funding_flows", filters)


def funding_costs(filters: Filters) -> pd.DataFrame:
    """Euros per item distributed, per person reached and per conseiller post, by programme."""
    return query("funding_costs", filters)


# Carte et fiches territoire (issue 4) ----------------------------------------------------

MAP_MEASURES = ("quantite", "personnes", "euros", "postes")


def map_values(filters: Filters, level: str, measure: str, key: str | None = None) -> pd.DataFrame:
    """One row per commune or EPT under the filters: code, name, ept_code, ept_name,
    population, value (NULL: no record, « pas de données »), records, has_demo.
    key narrows the measure: an item for 'quantite', a funder for 'euros'."""
    if level not in ("commune", "ept"):
        raise ValueError(f"level must be 'commune' or 'ept', not {level!r}")
    if measure not in MAP_MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    return query("map_values", filters, level=level, measure=measure, key=key)


def map_funders(filters: Filters) -> pd.DataFrame:
    """Funders with money attributed to a commune or an EPT under the filters."""
    return query("map_funders", filters)


def map_boundaries(level: str) -> pd.DataFrame:
    """Official contours (code, geojson, source, loaded_at); empty before
    `python -m etl boundaries`, or on a warehouse not yet migrated."""
    import duckdb

    try:
        return query("map_boundaries", level=level)
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["code", "geojson", "source", "loaded_at"])


def territory_programme_months(filters: Filters) -> pd.DataFrame:
    return query("territory_programme_months", filters)


def territory_funding_by_funder(filters: Filters) -> pd.DataFrame:
    return query("territory_funding_by_funder", filters)


def territory_record_counts(filters: Filters) -> pd.DataFrame:
    """Records behind a territory sheet by Type and Programme (column records)."""
    return query("territory_record_counts", filters)


def territory_records(
    filters: Filters,
    kinds: tuple[str, ...] = (),
    programme_names: tuple[str, ...] = (),
    limit: int | None = None,
) -> pd.DataFrame:
    """The records behind a territory sheet, newest first: the `limit` newest (cached, for the
    screen), or all of them (limit None: not cached, for a download on click)."""
    narrowed = {"kinds": list(kinds), "programme_names": list(programme_names)}
    if limit is None:
        return run("territory_records", filters.params() | narrowed | {"limit": None})
    return query("territory_records", filters, **narrowed, limit=int(limit))


# Aide et besoins, besoins de la fiche territoire (issue #13) -----------------------------

NEED_LEVELS = ("commune", "ept", "departement")


def _need_figures(
    frame: pd.DataFrame, status: str, text: str, demo: str = "has_demo"
) -> pd.DataFrame:
    """A need-side frame as this reader may see it: counts of people loaded as indicators
    (Aidants Connect) come, for a reader who is not interne, from their protected cells, with
    a STATUS per row (sql/_published_indicator.sql); TEXT gets what to show instead of a
    hidden one (« < 5 », « secret », worded by the DEMO column) and the frame is marked
    "protected". Without any such row, the status column is dropped: the frame is as it
    always was."""
    frame = frame.copy()
    if frame[status].isna().all():
        return frame.drop(columns=status)
    statuses = frame[status].where(frame[status].notna(), None)
    frame[text] = [
        disclosure.status_text(s, not is_demo) if s is not None else None
        for s, is_demo in zip(statuses, frame[demo], strict=True)
    ]
    return disclosure.mark(frame, "protected")


def need_indicators(include_demo: bool = True) -> pd.DataFrame:
    """The need indicators with values: id, label, unit, scale_min, scale_max, direction,
    measure, grp, source, vintage, year_min, year_max, year (the latest, used everywhere),
    has_demo; the IFN group first."""
    return query("need_indicators", include_demo=include_demo)


def need_by_territory(
    level: str, indicator: str | None = None, include_demo: bool = True
) -> pd.DataFrame:
    """Need indicators by commune, EPT or for the département (level): code, name,
    indicator, label, unit, scale_min, scale_max, direction, measure, grp, source, vintage,
    year, value, population, communes, merged_from, has_demo. An EPT's or the département's
    value is the population-weighted mean of its communes' values (counts: per 1 000
    inhabitants). All indicators, or only `indicator`."""
    if level not in NEED_LEVELS:
        raise ValueError(f"level must be one of {NEED_LEVELS}, not {level!r}")
    frame = query(
        "need_by_territory",
        level=level,
        indicator=indicator,
        include_demo=include_demo,
        exact=audience.exact_counts(),
    )
    return _need_figures(frame, "status", "mask_text")


def territory_places(filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """The places of digital mediation of the filters' territory, the most recently updated
    first: name, commune, address, programmes, services, date_maj, source, is_demo. The
    `limit` first (cached, for the screen), or all of them (limit None: not cached, for a
    download on click)."""
    if limit is None:
        return run("territory_places", filters.params() | {"limit": None})
    return query("territory_places", filters, limit=int(limit))


def territory_places_summary(filters: Filters, check_before: date, update_before: date) -> dict:
    """places, oldest, newest, to_update (updated before update_before), to_check (before
    check_before, not to_update), undated, sources, has_demo — over every place of the
    territory."""
    return (
        query(
            "territory_places_summary",
            filters,
            check_before=check_before,
            update_before=update_before,
        )
        .iloc[0]
        .to_dict()
    )


# Données page ------------------------------------------------------------------------------


def loads_list() -> pd.DataFrame:
    return query("loads_list")


def load_rejects(load_id: int) -> pd.DataFrame:
    return query("load_rejects", load_id=int(load_id))


# Besoins : indicateurs et lieux sur la carte (issue 13) ------------------------------------


def need_values(filters: Filters, level: str, indicator: str) -> pd.DataFrame:
    """One row per commune or EPT (map_values' columns, plus year): the value of the
    need-side INDICATOR; at EPT level the sum of a count, the population-weighted mean of
    a score or a rate."""
    if level not in ("commune", "ept"):
        raise ValueError(f"level must be 'commune' or 'ept', not {level!r}")
    frame = query(
        "need_values", filters, level=level, indicator=indicator, exact=audience.exact_counts()
    )
    return _need_figures(frame, "status", "mask_text")


def _place_params(programmes: tuple[str, ...], services: tuple[str, ...]) -> dict:
    return {"place_programmes": list(programmes), "place_services": list(services)}


def place_counts(
    filters: Filters, level: str, programmes: tuple[str, ...] = (), services: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Places of digital mediation per commune or EPT (map_values' columns), narrowed to
    national PROGRAMMES and SERVICES (empty: all)."""
    if level not in ("commune", "ept"):
        raise ValueError(f"level must be 'commune' or 'ept', not {level!r}")
    return query("place_counts", filters, level=level, **_place_params(programmes, services))


PLACES_LIMIT = 200_000  # far above the country's ~20 000 places: a guard, not a sample


def map_places(
    filters: Filters,
    bounds: tuple[float, float, float, float],
    programmes: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The places with coordinates inside BOUNDS (lon_min, lat_min, lon_max, lat_max, WGS84)
    under the filters: nom, adresse, code_postal, commune, latitude, longitude, services,
    programmes (text), date_maj."""
    lon_min, lat_min, lon_max, lat_max = (float(b) for b in bounds)
    return query(
        "map_places",
        filters,
        lat_min=lat_min,
        lat_max=lat_max,
        lon_min=lon_min,
        lon_max=lon_max,
        limit=PLACES_LIMIT,
        **_place_params(programmes, services),
    )


def place_totals(
    filters: Filters, programmes: tuple[str, ...] = (), services: tuple[str, ...] = ()
) -> dict:
    """places, unplaced (without coordinates), has_demo under the filters."""
    return query("place_totals", filters, **_place_params(programmes, services)).iloc[0].to_dict()


def place_options(filters: Filters) -> pd.DataFrame:
    """kind ('programme' | 'service'), value, places: the options of the places' filters."""
    import duckdb

    try:
        return query("place_options", filters.with_(programmes=()))
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["kind", "value", "places"])


def place_sources(filters: Filters) -> pd.DataFrame:
    """source_label, last_update of the loaded places."""
    return query("place_sources", filters.with_(programmes=()))


# Répartir une enveloppe (issue #23) --------------------------------------------------------


def allocation_need(filters: Filters, indicator: str) -> pd.DataFrame:
    """The communes of the filters' territory: code, name, ept_code, ept_name, population,
    need (the indicator turned so that more need weighs more; NULL without a value),
    indicator_value, need_is_demo (sql/allocation_need.sql)."""
    return query(
        "allocation_need",
        Filters(ept=filters.ept, communes=filters.communes, include_demo=filters.include_demo),
        indicator=indicator,
        exact=audience.exact_counts(),
    ).pipe(_need_figures, "need_status", "need_mask_text", demo="need_is_demo")
