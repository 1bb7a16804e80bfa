"""Column mapping: a file whose columns are not named as expected loads once its columns are
matched to the expected ones, on the command line (``--colonnes attendu=colonne,…``) or in the
upload form (one choice per expected column, pre-filled with the best guesses). A mapping
that loaded a file is kept with its load (table ``column_mappings``, migration 060): the
ledger says which mapping each load used, and the next file of the same kind with the same
header loads with it without asking.

Also here: the explanation of a file refused for its columns (the layouts known, the columns
found, the required ones missing with the file's closest columns, another kind it looks
like, how to map), and the preview of the first rows as they would load.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass, field

import duckdb

from etl import formats, readers, schemas
from etl.errors import EtlError
from etl.formats import Format, Need
from etl.schemas import header_key

SAMPLE_ROWS = 20
PREVIEW_ROWS = 5


# --- the option ---------------------------------------------------------------------------


def parse_option(text: str | None) -> dict[str, str]:
    """``nom=lib_fs,code_postal=Code postal`` → {"nom": "lib_fs", "code_postal": "Code postal"}.
    A pair starts after a comma followed by ``name=``, so a column name may hold a comma."""
    if text is None or not text.strip():
        return {}
    pairs = re.split(r",(?=[^,=]+=)", text.strip())
    mapping: dict[str, str] = {}
    for pair in pairs:
        expected, sep, column = pair.partition("=")
        if not sep or not expected.strip() or not column.strip():
            raise EtlError(
                f"Option --colonnes illisible près de « {pair.strip()} » : écrivez "
                "attendu=colonne_du_fichier, séparés par des virgules (ex. --colonnes "
                "nom=lib_fs,code_postal=cp)."
            )
        mapping[header_key(expected)] = column.strip()
    return mapping


def as_text(mapping: dict[str, str]) -> str:
    """The mapping as ``--colonnes`` takes it (also how the ledger stores it)."""
    return ",".join(f"{k}={v}" for k, v in mapping.items())


# --- applying it ------------------------------------------------------------------------------


def _column_index(headers: list[str], column: str) -> int | None:
    for i, h in enumerate(headers):
        if h == column:
            return i
    key = header_key(column)
    for i, h in enumerate(headers):
        if header_key(h) == key:
            return i
    return None


def apply(kind: str, headers: list[str], mapping: dict[str, str], file_name: str) -> list[str]:
    """The normalised header names once MAPPING is applied: a mapped column takes the
    expected name; another column that had this name is set aside (empty key)."""
    allowed = formats.expected_names(kind)
    keys = [header_key(h) for h in headers]
    targets: dict[int, str] = {}
    for expected, column in mapping.items():
        if expected not in allowed:
            shown = sorted({n.name for f in formats.of_kind(kind) for n in f.required})
            raise readers.refuse(
                file_name,
                f"« {expected} » n'est pas une colonne attendue pour les "
                f"{schemas.CONTRACTS[kind].label} (à gauche de « = », donnez l'une de : "
                + ", ".join(shown)
                + " ; la liste complète : python -m etl formats)",
            )
        i = _column_index(headers, column)
        if i is None:
            raise readers.refuse(
                file_name,
                f"la colonne « {column} » donnée pour « {expected} » n'existe pas dans le "
                "fichier (colonnes trouvées : " + ", ".join(f"« {h} »" for h in headers if h) + ")",
            )
        targets[i] = expected
    taken = set(targets.values())
    for i, key in enumerate(keys):
        if i in targets:
            keys[i] = targets[i]
        elif key in taken:
            keys[i] = ""
    return keys


def synonyms_with(synonyms: dict[str, str], mapping: dict[str, str]) -> dict[str, str]:
    """The kind's synonyms plus the mapped columns (so that the header row is found)."""
    if not mapping:
        return synonyms
    extra = {header_key(col): synonyms.get(exp, exp) for exp, col in mapping.items()}
    return {**synonyms, **extra}


# --- what the file holds ----------------------------------------------------------------------


class _AnyHeader(dict):
    """Synonyms that know every non-empty name: the header row is the row with the most
    distinct names (for a file of unknown layout)."""

    def __contains__(self, key: object) -> bool:
        return bool(key)

    def __getitem__(self, key: str) -> str:
        return key


@dataclass
class Peek:
    headers: list[str]
    rows: list[list[str | None]] = field(default_factory=list)  # the first data rows

    @property
    def keys(self) -> list[str]:
        return [header_key(h) for h in self.headers]

    @property
    def signature(self) -> str:
        return "|".join(self.keys)


def peek(source: readers.Source, file_name: str, sheet: str | None) -> Peek | None:
    """The file's header and first rows, whatever its layout (None: not a table at all)."""
    try:
        raw = readers.read_table(source, file_name, _AnyHeader(), sheet)
    except EtlError:
        return None
    width = len(raw.headers)
    rows: list[list[str | None]] = []
    if raw.format == "XLSX" and raw.arrow is not None:
        table = raw.arrow.slice(0, SAMPLE_ROWS)
        columns = [table.column(f"c{i}").to_pylist() for i in range(width)]
        rows = [
            [readers.cell_text(columns[i][j]) for i in range(width)] for j in range(table.num_rows)
        ]
    else:
        try:
            codec, _, old_mac = readers._encoding(source, file_name)
            text = codecs.getincrementaldecoder(codec)().decode(source.head(1 << 20))
        except EtlError:
            return Peek(raw.headers)
        text = text.lstrip("\ufeff")
        if old_mac:
            text = text.replace("\r", "\n")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=raw.separator or ";")
        for number, cells in enumerate(reader, start=1):
            if number <= raw.skip_lines:
                continue
            if any(c.strip() for c in cells):
                rows.append((cells + [None] * width)[:width])
            if len(rows) >= SAMPLE_ROWS:
                break
    return Peek(raw.headers, rows)


# --- guesses ------------------------------------------------------------------------------------

_RE = {
    formats.COMMUNE: re.compile(r"^(93\d{3}|\d[\dAB]\d{3}|[A-Za-zÀ-ÿ' -]{3,})$"),
    formats.POSTAL: re.compile(r"^\d{5}$"),
    formats.NUMBER: re.compile(r"^[-+]?\d[\d  \u202f.,]*%?$"),
    formats.DATE: re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4})"),
}


def _looks_like(values: list[str], looks: str) -> float:
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return 0.0
    if looks == formats.TEXT:
        return sum(1 for v in values if not _RE[formats.NUMBER].match(v)) / len(values)
    if looks == formats.ANY:
        return 0.5
    hits = sum(1 for v in values if _RE[looks].match(v))
    if looks == formats.COMMUNE:  # the département's codes are the best sign
        hits += sum(1 for v in values if v.startswith("93") and len(v) == 5)
        return min(hits / len(values), 2.0) / 2
    return hits / len(values)


# Words that often name an expected column in other tools' exports (a guess, never a rule).
HINTS: dict[str, tuple[str, ...]] = {
    "nom": ("libelle", "lib", "name", "intitule", "denomination", "raison", "structure"),
    "code_insee": ("insee", "codgeo", "cog", "depcom"),
    "code_postal": ("cp", "postal", "zip", "postcode"),
    "quantite": ("nombre", "nb", "qte", "unites", "quantity", "volume"),
    "date": ("jour", "mois", "date", "le"),
    "programme": ("dispositif", "projet", "action", "operation"),
    "item": ("materiel", "equipement", "article", "produit", "remis"),
    "montant": ("euros", "eur", "somme", "subvention", "montant"),
    "financeur": ("financeur", "payeur", "bailleur", "organisme"),
}


def _name_score(key: str, need: Need) -> float:
    if not key:
        return 0.0
    best = 0.0
    words = set(key.split("_"))
    if words & set(HINTS.get(need.name, ())):
        best = 0.9
    for name in need.accepted:
        ratio = difflib.SequenceMatcher(None, key, name).ratio()
        overlap = len(words & set(name.split("_"))) / max(len(name.split("_")), 1)
        best = max(best, ratio, overlap)
    return best


def closest(
    need: Need, peeked: Peek, used: set[int] = frozenset(), known: set[str] = frozenset()
) -> list[tuple[float, int]]:
    """(score, column index) of the file's columns, best first, for a required column:
    names (similar spelling, shared words), then what the values look like. Columns the
    kind already knows under their own name (``known``) are not candidates."""
    scored = []
    for i, key in enumerate(peeked.keys):
        if i in used or not key or key in known:
            continue
        values = [r[i] for r in peeked.rows if i < len(r)]
        score = 0.65 * _name_score(key, need) + 0.35 * _looks_like(values, need.looks)
        scored.append((round(score, 3), i))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return scored


GUESS_THRESHOLD = 0.45


def _known(fmt: Format) -> set[str]:
    """Header names that already mean something to the kind."""
    names = set(schemas.synonyms_of(schemas.CONTRACTS[fmt.kind]))
    return names | {k for n in fmt.required for k in n.accepted}


def guesses(fmt: Format, peeked: Peek) -> dict[str, str | None]:
    """Expected name → the file's column guessed for it (or None), columns already named as
    expected first, then the best remaining guess per required column."""
    keys = peeked.keys
    chosen: dict[str, str | None] = {}
    used: set[int] = set()
    for need in fmt.required:
        i = next((keys.index(k) for k in need.accepted if k in keys), None)
        if i is not None:
            chosen[need.name] = peeked.headers[i]
            used.add(i)
    for need in fmt.required:
        if need.name in chosen:
            continue
        best = closest(need, peeked, used, _known(fmt))
        if best and best[0][0] >= GUESS_THRESHOLD:
            chosen[need.name] = peeked.headers[best[0][1]]
            used.add(best[0][1])
        else:
            chosen[need.name] = None
    return chosen


def preview(fmt: Format, peeked: Peek, chosen: dict[str, str | None]) -> dict[str, list]:
    """The first rows as they would load: one column per expected column (its French label
    and expected name), the values of the file's column chosen for it."""
    out: dict[str, list] = {}
    for need in fmt.required:
        column = chosen.get(need.name)
        i = _column_index(peeked.headers, column) if column else None
        out[f"{need.label} ({need.name})"] = [
            (r[i] if i is not None and i < len(r) else None) for r in peeked.rows[:PREVIEW_ROWS]
        ]
    return out


# --- explaining a refusal ---------------------------------------------------------------------


@dataclass
class Proposal:
    """What the upload form needs to offer a mapping."""

    kind: str
    format: Format
    headers: list[str]
    peek: Peek
    guesses: dict[str, str | None]

    def preview(self, chosen: dict[str, str | None]) -> dict[str, list]:
        return preview(self.format, self.peek, chosen)

    def mapping(self, chosen: dict[str, str | None]) -> dict[str, str]:
        """The form's choices as a mapping, without the columns already named as expected."""
        by_name = {n.name: n for n in self.format.required}
        return {
            name: column
            for name, column in chosen.items()
            if column and header_key(column) not in by_name[name].accepted
        }


def _coverage(fmt: Format, keys: set[str]) -> float:
    if not fmt.required:
        return 0.0
    found = len(fmt.required) - len(formats.missing(fmt, keys))
    signed = 0.5 if fmt.signature and keys & set(fmt.signature) else 0.0
    return found / len(fmt.required) + signed


def _best(kind: str, keys: set[str]) -> Format:
    return max(formats.of_kind(kind), key=lambda f: _coverage(f, keys))


def of(kind: str) -> str:
    """« de lieux », « d'indicateurs »."""
    label = schemas.CONTRACTS[kind].label
    return ("d'" if label[:1] in "aeiouyéèê" else "de ") + label


def another_kind_sentence(kind: str, other: Format) -> str:
    return (
        f"c'est un fichier {of(other.kind)} ({other.label}), pas un fichier {of(kind)} : "
        f"chargez-le comme « {other.kind} »"
    )


def _as_other_kinds(others: list[Format]) -> str:
    return " ; ".join(
        f"comme « {o.kind} » ({o.label} : python -m etl load {o.kind} FICHIER)" for o in others
    )


def other_kinds(kind: str, keys: set[str]) -> list[Format]:
    """Layouts of other kinds (one per kind) that this header fits whole: their required
    columns all present, and their signature when they have one."""
    # Aidants Connect numbers its questions (« Question 110 → … »): the end is the name.
    keys = keys | {
        e for k in keys for e in (formats.AC_USERS, formats.AC_DEMARCHES) if k.endswith(e)
    }
    found: dict[str, Format] = {}
    for fmt in formats.FORMATS:
        if fmt.kind == kind or fmt.kind in found or formats.missing(fmt, keys):
            continue
        if fmt.signature and not keys & set(fmt.signature):
            continue
        if not fmt.signature and len(fmt.required) < 2:
            continue  # « a code column » alone says nothing of the kind
        found[fmt.kind] = fmt
    return list(found.values())


def other_kind(kind: str, keys: set[str]) -> Format | None:
    found = other_kinds(kind, keys)
    return found[0] if found else None


def explain(
    kind: str, peeked: Peek | None, chosen: Format | None = None
) -> tuple[list[str], Proposal | None]:
    """French lines that say what the file holds and how to load it, and what the form needs."""
    label = schemas.CONTRACTS[kind].label
    known = "; ".join(f.label for f in formats.of_kind(kind))
    lines: list[str] = []
    if peeked is None or not any(peeked.headers):
        lines.append(f"Formats connus pour les {label} : {known}.")
        lines.append(
            "Que faire : vérifiez que c'est le bon fichier et qu'il a une ligne d'en-tête "
            "(les noms des colonnes) au-dessus des données ; si ses colonnes portent d'autres "
            "noms que ceux attendus (python -m etl formats), chargez-le avec --colonnes "
            "attendu=colonne_du_fichier ou le tableau de correspondance du formulaire."
        )
        return lines, None
    keys = set(peeked.keys)
    lines.append(
        "Colonnes trouvées dans le fichier : "
        + ", ".join(f"« {h} »" for h in peeked.headers if h)
        + "."
    )
    others = other_kinds(kind, keys)
    other = others[0] if others else None
    if others:
        lines.append(
            "Ce fichier est d'un autre type : chargez-le "
            + _as_other_kinds(others)
            + ", ou choisissez ce type dans le formulaire de la page Données."
        )
    fmt = chosen or _best(kind, keys)
    miss = formats.missing(fmt, keys)
    if miss:
        parts = []
        for need in miss:
            near = [
                peeked.headers[i]
                for s, i in closest(need, peeked, known=_known(fmt))[:2]
                if s >= 0.3
            ]
            parts.append(
                f"« {need.name} » ({need.label})"
                + (
                    " — colonnes proches : " + ", ".join(f"« {h} »" for h in near)
                    if near
                    else " — aucune colonne proche"
                )
            )
        lines.append(
            f"Format le plus proche : {fmt.label} ; colonnes obligatoires absentes : "
            + " ; ".join(parts)
            + "."
        )
    lines.append(f"Formats connus pour les {label} : {known} (tous : python -m etl formats).")
    guess = guesses(fmt, peeked)
    if other is not None:
        return lines, Proposal(kind, fmt, peeked.headers, peeked, guess)
    example = {n.name: guess.get(n.name) or "COLONNE" for n in miss} or {
        n.name: guess.get(n.name) or "COLONNE" for n in fmt.required[:1]
    }
    lines.append(
        "Pour faire correspondre les colonnes du fichier aux colonnes attendues : en ligne de "
        f"commande, --colonnes {as_text(example)!s} ; dans le formulaire de la page Données, "
        "choisissez une colonne du fichier pour chaque colonne attendue. La correspondance "
        "est retenue pour les fichiers suivants de même en-tête."
    )
    return lines, Proposal(kind, fmt, peeked.headers, peeked, guess)


# --- memory (the ledger's column_mappings) ----------------------------------------------------


def recall(con: duckdb.DuckDBPyConnection, kind: str, signature: str, source_label: str):
    """The mapping of the latest live load of this kind with this exact header (the same
    source first), or None. A warehouse without the table (older schema) remembers nothing."""
    try:
        row = con.execute(
            """SELECT m.mapping FROM column_mappings m JOIN loads l USING (load_id)
               WHERE m.kind = ? AND m.header_keys = ? AND l.removed_at IS NULL
               ORDER BY (m.source_label = ?) DESC, m.load_id DESC LIMIT 1""",
            [kind, signature, source_label],
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return parse_option(row[0]) if row else None


def record(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    kind: str,
    source_label: str,
    signature: str,
    layout: str | None,
    mapping: dict[str, str],
    remembered: bool,
) -> None:
    con.execute(
        "INSERT INTO column_mappings (load_id, kind, source_label, header_keys, layout, "
        "mapping, remembered) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [load_id, kind, source_label, signature, layout, as_text(mapping), remembered],
    )
