"""Reading the files users bring: CSV (UTF-8 with or without BOM, UTF-16, Windows-1252;
separator ``,`` ``;`` or tab) and XLSX (openpyxl), with title rows above the header.

The result is a :class:`RawTable`: the header as the user wrote it, the spreadsheet row
number of the header, and how to read the data rows in DuckDB as VARCHAR columns
``c0 … cN`` plus ``_extra`` (anything beyond the header's width) and ``_row`` (the row
number the user sees in the spreadsheet). Nothing is interpreted here; etl/pipeline/
decides which columns are kept and checks every value.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa

from etl.errors import FileRefused, NoHeader
from etl.schemas import header_key

HEADER_SEARCH_ROWS = 30  # title rows tolerated above the header
SEPARATORS = (";", ",", "\t")
SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMPTY_LINE = re.compile(r"\n(?=\r?\n)")


CHUNK_BYTES = 1 << 22  # a file on disk is read by pieces of 4 MiB, never whole


@dataclass
class Source:
    """The file as given: a path on disk (read by pieces, never held whole in memory) or the
    bytes of an upload."""

    path: Path | None = None
    data: bytes | None = None

    def head(self, size: int) -> bytes:
        if self.data is not None:
            return self.data[:size]
        with open(self.path, "rb") as handle:  # type: ignore[arg-type]
            return handle.read(size)

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            view = memoryview(self.data)
            for i in range(0, len(view), CHUNK_BYTES):
                yield bytes(view[i : i + CHUNK_BYTES])
            return
        with open(self.path, "rb") as handle:  # type: ignore[arg-type]
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    def read_all(self) -> bytes:
        if self.data is not None:
            return self.data
        return self.path.read_bytes()  # type: ignore[union-attr]


@dataclass
class RawTable:
    format: str  # "CSV" | "XLSX"
    headers: list[str]  # header cells as written (control characters removed)
    header_row: int  # spreadsheet row number of the header
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    # CSV: the file given, and, when ``normalised``, the path of its copy rewritten as UTF-8
    # with empty lines made rows of empty cells (``decode_first``: DuckDB cannot read the file
    # as it is, it must be normalised first); lines to skip (titles, header).
    source: Source | None = None
    csv_path: str | None = None
    skip_lines: int = 0
    normalised: bool = False
    decode_first: bool = False
    # XLSX: the data rows as an Arrow table (c0 … cN, _extra, _row).
    arrow: pa.Table | None = None
    notes: list[str] = field(default_factory=list)


RESAVE = (
    "Que faire : ouvrez-le dans votre tableur et enregistrez-le de nouveau au format CSV "
    "(UTF-8, séparateur « ; ») ou XLSX, puis chargez ce nouveau fichier."
)


def refuse(file_name: str, what: str, advice: str | None = None) -> FileRefused:
    """The refusal sentence; ``advice``: what to do, when the sentence does not say it."""
    refused = FileRefused(f"Le fichier « {file_name} » est refusé : {what}.")
    if advice:
        refused.explanation = [advice]
    return refused


def _blank(source: Source) -> bool:
    return all(chunk.isspace() for chunk in source.chunks())  # stops at the first non-blank


def read_table(
    source: Source, file_name: str, synonyms: dict[str, str], sheet: str | None = None
) -> RawTable:
    """Detect the format and the header row; refuse what cannot be read as a table."""
    start = source.head(8)
    if _blank(source):
        raise refuse(
            file_name,
            "il est vide",
            "Que faire : vérifiez que c'est le bon fichier (un export interrompu ?) et "
            "chargez-le de nouveau une fois rempli.",
        )
    if start[:4] == b"PK\x03\x04":
        return _read_xlsx(source.read_all(), file_name, synonyms, sheet)
    if start[:8] == bytes.fromhex("D0CF11E0A1B11AE1"):
        raise refuse(
            file_name,
            "c'est un classeur Excel 97-2003 (.xls), non pris en charge ; "
            "enregistrez-le au format .xlsx ou CSV",
        )
    if sheet is not None:
        raise refuse(
            file_name,
            "l'option --sheet ne vaut que pour un classeur XLSX",
            "Que faire : pour un fichier CSV, retirez --sheet (ou videz le champ « Feuille "
            "Excel » du formulaire).",
        )
    return _read_csv(source, file_name, synonyms)


# --- header detection ---------------------------------------------------------------------


def _score(cells: list[str], synonyms: dict[str, str]) -> int:
    return len({synonyms[k] for k in (header_key(c) for c in cells) if k in synonyms})


def _find_header(rows: list[list[str]], synonyms: dict[str, str]) -> tuple[int, int]:
    """(index of the header row among ``rows``, number of known fields it names)."""
    best_index, best_score = -1, 0
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = _score(cells, synonyms)
        if score > best_score:
            best_index, best_score = index, score
    return best_index, best_score


def _clean_headers(cells: list) -> list[str]:
    headers = [_CONTROL.sub("", str(c)).strip() if c is not None else "" for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _no_header(file_name: str, synonyms: dict[str, str]) -> FileRefused:
    first: dict[str, str] = {}  # field → its documented name (the first synonym declared)
    for synonym, name in synonyms.items():
        first.setdefault(name, synonym)
    expected = ", ".join(first.values())
    return NoHeader(
        str(
            refuse(
                file_name,
                f"aucune ligne d'en-tête reconnue dans les {HEADER_SEARCH_ROWS} premières "
                f"lignes (au moins deux colonnes attendues parmi : {expected} ; voir "
                "docs/chargement.md)",
            )
        )
    )


# --- CSV ----------------------------------------------------------------------------------

HEAD_BYTES = 262144


_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_CANDIDATES = (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "Latin-1"))


def _text_chunks(source: Source, codec: str) -> Iterator[str]:
    """The file decoded by pieces (raises UnicodeDecodeError where it is not ``codec``)."""
    decoder = codecs.getincrementaldecoder(codec)()
    for chunk in source.chunks():
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _encoding(source: Source, file_name: str, *, recode: bool = False) -> tuple[str, str, bool]:
    """(codec, name, old Mac line endings) of the whole file, read by pieces: UTF-16 (BOM),
    UTF-8 (with or without BOM; not tried when ``recode``), else Windows-1252, else Latin-1."""
    if source.head(2) in _BOMS_UTF16:
        candidates: tuple[tuple[str, str], ...] = (("utf-16", "UTF-16"),)
    else:
        candidates = _CANDIDATES[1:] if recode else _CANDIDATES
    for codec, name in candidates:
        has_lf = has_cr = False
        try:
            for text in _text_chunks(source, codec):
                has_lf = has_lf or "\n" in text
                has_cr = has_cr or "\r" in text
        except UnicodeDecodeError as exc:
            if codec == "utf-16":
                raise refuse(file_name, "son encodage UTF-16 est endommagé", RESAVE) from exc
            continue
        return codec, name, has_cr and not has_lf
    raise AssertionError("unreachable")  # pragma: no cover - Latin-1 decodes anything


def _head_text(head: bytes, longer: bool) -> tuple[str, str] | None:
    """The first lines as text when they are UTF-8 (the usual case, read without decoding
    the whole file: DuckDB checks the rest), else None. ``longer``: the file goes on."""
    if head[:2] in _BOMS_UTF16:
        return None
    if longer and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        return head.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return None


def normalise_csv(raw: RawTable, file_name: str, directory: str, *, recode: bool = False) -> None:
    """Decode the whole file by pieces (``recode``: it is not UTF-8 after all) and rewrite it
    in ``directory`` as UTF-8 where empty lines become rows of empty cells, so that DuckDB,
    which skips empty lines, keeps the row numbers the user sees. Memory stays bounded."""
    source = raw.source
    assert source is not None
    codec, encoding, old_mac = _encoding(source, file_name, recode=recode)
    filler = "\n" + (raw.separator or ";") * max(len(raw.headers) - 1, 1)
    target = os.path.join(directory, "fichier.csv")
    with open(target, "w", encoding="utf-8", newline="") as out:
        pending = ""  # the last, unfinished line of the pieces read so far
        for text in _text_chunks(source, codec):
            if old_mac:
                text = text.replace("\r", "\n")
            text = pending + text
            cut = text.rfind("\n") + 1
            pending = text[cut:]
            if cut:
                # Every line of text[:cut] is complete: an empty one is seen whole.
                out.write(_EMPTY_LINE.sub(lambda _: filler, "\n" + text[:cut])[1:])
        if pending:
            out.write(pending + "\n")
    raw.csv_path = target
    raw.encoding = encoding
    raw.normalised = True
    raw.decode_first = False


def _read_csv(source: Source, file_name: str, synonyms: dict[str, str]) -> RawTable:
    start = source.head(HEAD_BYTES + 1)
    if b"\x00" in start[:65536] and start[:2] not in _BOMS_UTF16:
        raise refuse(file_name, "ce n'est ni un fichier CSV ni un classeur XLSX", RESAVE)
    fast = _head_text(start[:HEAD_BYTES], len(start) > HEAD_BYTES)
    if fast is not None and "\r" in fast[0] and "\n" not in fast[0]:
        fast = None  # old Mac line endings: rewritten below
    if fast is None:
        codec, encoding, old_mac = _encoding(source, file_name)
        # Enough bytes for HEAD_BYTES characters (UTF-16: two bytes or more each).
        decoder = codecs.getincrementaldecoder(codec)()
        head = decoder.decode(source.head(4 * HEAD_BYTES))
        if old_mac:
            head = head.replace("\r", "\n")
        head = head[:HEAD_BYTES]
    else:
        head, encoding = fast
    head_lines = head.splitlines(keepends=True)[:HEADER_SEARCH_ROWS]
    best = None  # (score, separator, index)
    for sep in SEPARATORS:
        rows = _csv_rows("".join(head_lines), sep, file_name)
        index, score = _find_header(rows, synonyms)
        if score and (best is None or score > best[0]):
            best = (score, sep, index)
    if best is None or best[0] < 2:
        raise _no_header(file_name, synonyms)
    _, sep, index = best
    # Physical lines up to and including the header (a quoted title could span lines).
    reader = csv.reader(io.StringIO("".join(head_lines)), delimiter=sep)
    header_cells: list[str] = []
    for _ in range(index + 1):
        header_cells = next(reader)  # these lines were read whole by _csv_rows above
    return RawTable(
        format="CSV",
        headers=_clean_headers(header_cells),
        header_row=index + 1,
        encoding=encoding,
        separator=sep,
        source=source,
        skip_lines=reader.line_num,
        decode_first=fast is None,
    )


def _csv_rows(text: str, sep: str, file_name: str) -> list[list[str]]:
    """The rows of TEXT, or a French refusal when a cell is longer than Python's csv module
    reads (131 072 characters): no table of data holds such a cell, a text dump or a
    damaged file does."""
    try:
        return list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error as exc:
        raise refuse(
            file_name,
            f"une cellule dépasse {fmt_int(csv.field_size_limit())} caractères (guillemet non "
            "refermé, ou texte collé dans une cellule) ; vérifiez le fichier dans un tableur",
        ) from exc


def fmt_int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


# --- XLSX ---------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """A cell as text: numbers without float noise (decimal comma), dates in ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = f"{value:.10f}".rstrip("0")
        return text.replace(".", ",")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return _CONTROL.sub("", str(value))


# An XLSX is a ZIP of XML: a small file can expand to gigabytes that openpyxl would parse for
# minutes. Its declared sizes are checked before any parsing (zipfile never inflates a member
# past its declared size, so the declaration cannot lie to us).
XLSX_MAX_EXPANDED_MB = 200
XLSX_MAX_RATIO = 200  # XML of spreadsheets compresses 5 to 30 times; more is a bomb


def _refuse_a_bomb(archive: zipfile.ZipFile, file_name: str) -> None:
    members = archive.infolist()
    expanded = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if expanded > XLSX_MAX_EXPANDED_MB * 1_000_000 or (
        expanded > 10_000_000 and expanded / packed > XLSX_MAX_RATIO
    ):
        raise refuse(
            file_name,
            f"une fois décompressé, ce classeur ferait {expanded // 1_000_000} Mo de données "
            f"(au plus {XLSX_MAX_EXPANDED_MB} Mo, et {XLSX_MAX_RATIO} fois sa taille) ; "
            "enregistrez-le en CSV, ou découpez-le",
        )


def _read_xlsx(data: bytes, file_name: str, synonyms: dict[str, str], sheet: str | None):
    import openpyxl  # imported here: only XLSX files need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            _refuse_a_bomb(archive, file_name)
            if "xl/workbook.xml" not in names:
                if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                    raise refuse(
                        file_name,
                        "c'est un classeur OpenDocument (.ods), non pris en charge ; "
                        "enregistrez-le au format .xlsx ou CSV",
                    )
                raise refuse(file_name, "ce n'est ni un fichier CSV ni un classeur XLSX", RESAVE)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl errors: a damaged workbook
        raise refuse(
            file_name, "ce classeur XLSX est illisible (fichier endommagé ?)", RESAVE
        ) from exc
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise refuse(
                file_name,
                f"la feuille « {sheet} » n'existe pas (feuilles : "
                + ", ".join(workbook.sheetnames)
                + ")",
            )
        try:
            rows = worksheet.iter_rows(min_row=1, values_only=True)
            head: list[list[str | None]] = []
            for row in rows:
                head.append([cell_text(v) for v in row])
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            index, score = _find_header([[c or "" for c in r] for r in head], synonyms)
            if score < 2:
                raise _no_header(file_name, synonyms)
            headers = _clean_headers(head[index])
            width = len(headers)
            columns: list[list[str | None]] = [[] for _ in range(width)]
            extra: list[str | None] = []
            numbers: list[int] = []

            def add(number: int, cells: list[str | None]) -> None:
                if all(c is None or not c.strip() for c in cells):
                    return  # blank row: skipped, as in the spreadsheet
                cells = cells + [None] * (width - len(cells))
                for i in range(width):
                    columns[i].append(cells[i])
                rest = [c for c in cells[width:] if c is not None and c.strip()]
                extra.append(" ".join(rest) if rest else None)
                numbers.append(number)

            for offset, cells in enumerate(head[index + 1 :], start=index + 2):
                add(offset, cells)
            for number, row in enumerate(rows, start=len(head) + 1):
                add(number, [cell_text(v) for v in row])
        except FileRefused:
            raise
        except Exception as exc:
            raise refuse(
                file_name, "ce classeur XLSX est illisible (fichier endommagé ?)", RESAVE
            ) from exc
        arrays = {f"c{i}": pa.array(columns[i], type=pa.string()) for i in range(width)}
        arrays["_extra"] = pa.array(extra, type=pa.string())
        arrays["_row"] = pa.array(numbers, type=pa.int32())
        return RawTable(
            format="XLSX",
            headers=headers,
            header_row=index + 1,
            sheet=worksheet.title,
            arrow=pa.table(arrays),
        )
    finally:
        workbook.close()
