"""What each kind plugs into the one pipeline of etl/pipeline/: a plan with the same four
steps for every kind, run by load_file (etl/pipeline/__init__.py) and, for the shipped
reference files, by etl/pipeline/shipped.py.

- ``prepare`` (step 1, before the warehouse is touched): the file read and matched to the
  kind's contract (etl/schemas.py); a file that cannot be, or lacks a required column, is
  refused here;
- ``stage`` (step 2, the warehouse held, before the transaction): rows read into temporary
  tables;
- ``fill`` (step 3, inside the transaction of etl/pipeline/write.py, once the load is in the
  ledger): the rules checked, valid rows inserted, rejects recorded with their reasons;
  returns a :class:`Written`;
- ``after_replace`` (or None): what a --replace must repair once the previous loads left.

Two families: the row kinds (distributions, funding, targets, programmes), whose columns
are the contract's fields, staged by DuckDB and checked in SQL (columns.py, stage.py,
validate.py); the need-side kinds (indicateurs, lieux, conseillers), whose layout is
recognised from the header and whose rows are parsed by their module of etl/need/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import duckdb

from etl import (
    formats,
    funders,
    mapping,
    protect_need,
    readers,
    schemas,
    scrub,
    summary,
    target_shares,
)
from etl.errors import ColumnsMissing, NoHeader
from etl.need import common, conseillers, indicators, places
from etl.pipeline.columns import match_columns
from etl.pipeline.macros import small_table
from etl.pipeline.read import Scan
from etl.pipeline.resolve import reference_keys, resolve_communes
from etl.pipeline.result import LoadResult
from etl.pipeline.stage import stage
from etl.pipeline.validate import validate

NEED_STEPS: dict[str, common.Steps] = {
    "indicateurs": indicators.STEPS,
    "lieux": places.STEPS,
    "conseillers": conseillers.STEPS,
}


@dataclass
class Written:
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int = 0
    messages: list[str] = field(default_factory=list)


@dataclass
class Request:
    """The file given and what the user said besides it."""

    source: readers.Source
    name: str
    label: str
    explicit_source: str | None  # --source as given (None: the file's name is the label)
    sheet: str | None
    year: int | None  # --annee
    mapping: dict[str, str] = field(default_factory=dict)  # --colonnes (expected → column)
    # The mapping remembered for a file of this kind and header (etl/mapping.py), if any.
    recall: Callable[[str], dict[str, str] | None] | None = None


class Mapped:
    """What both families share about column mapping: ``prepare`` reads the file with the
    mapping given (--colonnes, the form); a file refused for its columns is tried again with
    the mapping remembered for its header, else refused with the explanation of how to map
    it; ``fill`` records the mapping used with the load."""

    contract: schemas.Contract
    request: Request

    def prepare(self, result: LoadResult) -> None:
        req = self.request
        used, remembered = req.mapping, False
        try:
            self._prepare(result, used)
        except ColumnsMissing as refused:
            peeked = mapping.peek(req.source, req.name, req.sheet)
            again = None
            if not used and peeked is not None and req.recall is not None:
                again = req.recall(peeked.signature)
            if again:
                try:
                    self._prepare(result, again)
                except ColumnsMissing:
                    again = None
            if not again:
                chosen = None
                if refused.kind == self.contract.kind and refused.layout:
                    chosen = formats.get(refused.kind, refused.layout)
                kind = self.contract.kind
                other = mapping.other_kind(kind, set(peeked.keys)) if peeked else None
                if other is not None and isinstance(refused, NoHeader):
                    # Not a broken file: a file of another kind, said in the sentence itself.
                    refused = ColumnsMissing(
                        str(readers.refuse(req.name, mapping.another_kind_sentence(kind, other))),
                        kind,
                    )
                refused.explanation, refused.proposal = mapping.explain(kind, peeked, chosen)
                raise refused from None
            used, remembered = again, True
        self.used_mapping, self.remembered = used, remembered
        if used:
            peeked = mapping.peek(req.source, req.name, req.sheet)
            self.signature = peeked.signature if peeked else ""
            result.mapping = dict(used)
            result.messages.append(
                (
                    "Correspondance retenue pour cet en-tête appliquée : "
                    if remembered
                    else "Correspondance des colonnes appliquée : "
                )
                + ", ".join(f"{k} ← « {v} »" for k, v in used.items())
                + "."
            )

    def record_mapping(self, con: duckdb.DuckDBPyConnection, load_id: int, layout) -> None:
        if self.used_mapping:
            mapping.record(
                con,
                load_id,
                self.contract.kind,
                self.request.label,
                self.signature,
                layout,
                self.used_mapping,
                self.remembered,
            )


def plan_for(contract: schemas.Contract, request: Request):
    if contract.kind in NEED_STEPS:
        return NeedPlan(contract, request, NEED_STEPS[contract.kind])
    return RowPlan(contract, request)


def _say_format(result: LoadResult, raw: readers.RawTable) -> None:
    result.format, result.encoding, result.separator = raw.format, raw.encoding, raw.separator
    result.sheet, result.header_row = raw.sheet, raw.header_row


class RowPlan(Mapped):
    """distributions, funding, targets, programmes: set-based SQL over a staged table."""

    after_replace = None

    def __init__(self, contract: schemas.Contract, request: Request) -> None:
        self.contract, self.request = contract, request

    def _prepare(self, result: LoadResult, used: dict[str, str]) -> None:
        req = self.request
        synonyms = mapping.synonyms_with(schemas.synonyms_of(self.contract), used)
        raw = readers.read_table(req.source, req.name, synonyms, req.sheet)
        _say_format(result, raw)
        keys = mapping.apply(self.contract.kind, raw.headers, used, req.name) if used else None
        cols = match_columns(raw.headers, self.contract, req.name, keys)
        result.dropped_personal_columns = [header for header, _ in cols.personal]
        result.ignored_columns = [*cols.ignored, *cols.doubled]
        result.messages.extend(cols.messages)
        if cols.personal:
            result.messages.append(
                "Colonnes de données personnelles supprimées avant tout enregistrement : "
                + ", ".join(f"« {h} » ({what})" for h, what in cols.personal)
                + "."
            )
        if cols.ignored:
            result.messages.append(
                "Colonnes inconnues ignorées : " + ", ".join(f"« {h} »" for h in cols.ignored) + "."
            )
        result.encoding = raw.encoding
        self.raw, self.cols = raw, cols

    def stage(self, con: duckdb.DuckDBPyConnection, scanned: Scan, result: LoadResult) -> None:
        # The rows are read into temporary tables (never written to the warehouse file)
        # before the transaction: a failed attempt (not UTF-8 after all…) can be retried.
        result.rows_read, total_row = stage(
            con, self.raw, self.cols, self.contract, scanned.lines, self.request.name
        )
        self.raw.arrow = self.request.source.data = None  # read: free the file's bytes
        if total_row is not None:
            result.messages.append(
                f"La ligne {total_row} (total) n'est pas comptée comme une donnée."
            )
        result.encoding = self.raw.encoding
        self.rows_read = result.rows_read

    def fill(self, con: duckdb.DuckDBPyConnection, load_id: int, previous: list[int]) -> Written:
        kind, cols = self.contract.kind, self.cols
        # Lookups, distinct values and per-row checks are all keyed by row number: the
        # order in which their rows are stored does not matter (less memory, parallel).
        con.execute("SET preserve_insertion_order = false")
        reference_keys(con)
        query, table, columns = validate(con, kind, set(cols.index), self.contract)
        extra = {"load_id": str(int(load_id))}
        if kind in ("distributions", "funding"):
            extra["is_demo"] = "false"
        if kind in ("targets", "programmes"):
            extra["source"] = "$label"
        # Checked before anything is inserted: checks against existing rows (programmes)
        # must not see this load's own rows.
        chk = query.chk_sql()
        if chk is not None:
            con.execute(chk)
        con.execute("RESET preserve_insertion_order")  # rejects: in file order
        con.execute(query.bad_sql())
        small_table(
            con,
            "column_labels",
            {"f": list(cols.labels), "label": list(cols.labels.values())},
        )
        con.execute(query.rejects_sql(), {"load": load_id})
        scrub.scrub_stored_rejects(con, load_id)  # no personal data kept in a reject
        con.execute("DROP TABLE column_labels")
        # The order of the inserted rows does not matter: let DuckDB insert in parallel.
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            query.insert_sql(table, columns, extra),
            {"label": self.request.label} if "source" in extra else None,
        )
        if table == "distributions":  # its summaries move with it
            summary.refresh(con, loads=[*previous, load_id])
        elif table == "targets":
            target_shares.refresh(con)
        elif table == "funding":  # one funder, one name (« Etat » and « État »)
            funders.normalise(con)
        con.execute("RESET preserve_insertion_order")
        rejected = con.execute("SELECT count(*) FROM bad").fetchall()[0][0]
        self.record_mapping(con, load_id, None)
        return Written(self.rows_read, self.rows_read - rejected, rejected)


class NeedPlan(Mapped):
    """indicateurs, lieux, conseillers: the layout recognised from the header, the rows
    parsed by the kind's module of etl/need/ (which resolves communes through resolve.py)."""

    def __init__(self, contract: schemas.Contract, request: Request, steps: common.Steps):
        self.contract, self.request, self.steps = contract, request, steps
        self.after_replace = steps.after_replace

    def _prepare(self, result: LoadResult, used: dict[str, str]) -> None:
        req = self.request
        synonyms = mapping.synonyms_with(schemas.synonyms_of(self.contract), used)
        self.table = common.read_table(req.source, req.name, synonyms, req.sheet)
        if used:
            self.table.keys = mapping.apply(self.contract.kind, self.table.headers, used, req.name)
        _say_format(result, self.table.raw)
        self.layout = self.steps.recognise(self.table, req.name)

    def stage(self, con: duckdb.DuckDBPyConnection, scanned: Scan, result: LoadResult) -> None:
        """Need-side files are small: their rows were read whole by ``prepare``."""

    def fill(self, con: duckdb.DuckDBPyConnection, load_id: int, previous: list[int]) -> Written:
        req = self.request
        ctx = common.Context(
            partial(resolve_communes, con), req.name, req.label, req.explicit_source, req.year
        )
        parsed = self.steps.parse(self.table, self.layout, ctx)
        common.insert_parsed(con, parsed, load_id)
        if "indicator_values" in parsed.tables:  # counts of people among them: protected
            protect_need.refresh(con)
        self.record_mapping(con, load_id, getattr(self.layout, "name", None))
        return Written(
            parsed.rows_read, parsed.loaded, len(parsed.rejected), parsed.skipped, parsed.messages
        )
