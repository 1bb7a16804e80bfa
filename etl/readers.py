"""Reading the files users bring: CSV (UTF-8 with or without BOM, UTF-16, Windows-1252;
separator ``,`` ``;`` or tab) and XLSX (openpyxl), with title rows above the header.

The result is a :class:`RawTable`: the header as the user wrote it, the spreadsheet row
number of the header, and how to read the data rows in DuckDB as VARCHAR columns
``c0 … cN`` plus ``_extra`` (anything beyond the header's width) and ``_row`` (the row
number the user sees in the spreadsheet). Nothing is interpreted here; etl/load.py
decides which columns are kept and checks every value.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pyarrow as pa

from etl.errors import FileRefused
from etl.schemas import header_key

HEADER_SEARCH_ROWS = 30  # title rows tolerated above the header
SEPARATORS = (";", ",", "\t")
SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMPTY_LINE = re.compile(r"\n(?=\r?\n)")


@dataclass
class RawTable:
    format: str  # "CSV" | "XLSX"
    headers: list[str]  # header cells as written (control characters removed)
    header_row: int  # spreadsheet row number of the header
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    # CSV: the bytes to hand to DuckDB (the file itself, or rewritten as UTF-8 with empty
    # lines made rows of empty cells when ``normalised``), and lines to skip (titles, header).
    csv_text: bytes | None = None
    skip_lines: int = 0
    normalised: bool = False
    # XLSX: the data rows as an Arrow table (c0 … cN, _extra, _row).
    arrow: pa.Table | None = None
    notes: list[str] = field(default_factory=list)


def refuse(file_name: str, what: str) -> FileRefused:
    return FileRefused(f"Le fichier « {file_name} » est refusé : {what}.")


def read_table(data: bytes, file_name: str, synonyms: dict[str, str], sheet: str | None = None):
    """Detect the format and the header row; refuse what cannot be read as a table."""
    if not data or data.isspace():
        raise refuse(file_name, "il est vide")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, file_name, synonyms, sheet)
    if data[:8] == bytes.fromhex("D0CF11E0A1B11AE1"):
        raise refuse(
            file_name,
            "c'est un classeur Excel 97-2003 (.xls), non pris en charge ; "
            "enregistrez-le au format .xlsx ou CSV",
        )
    if sheet is not None:
        raise refuse(file_name, "l'option --sheet ne vaut que pour un classeur XLSX")
    return _read_csv(data, file_name, synonyms)


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
    return refuse(
        file_name,
        f"aucune ligne d'en-tête reconnue dans les {HEADER_SEARCH_ROWS} premières lignes "
        f"(au moins deux colonnes attendues parmi : {expected} ; voir docs/chargement.md)",
    )


# --- CSV ----------------------------------------------------------------------------------

HEAD_BYTES = 262144


def _decode(data: bytes, file_name: str) -> tuple[str, str]:
    """The whole file as text: UTF-16 (BOM), UTF-8 (with or without BOM), else Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise refuse(file_name, "son encodage UTF-16 est endommagé") from exc
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _head_text(data: bytes) -> tuple[str, str] | None:
    """The first lines as text when they are UTF-8 (the usual case, read without decoding
    the whole file: DuckDB checks the rest), else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    head = data[:HEAD_BYTES]
    if len(data) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        return head.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return None


def normalise_csv(raw: RawTable, data: bytes, file_name: str, *, recode: bool = False) -> None:
    """Decode the whole file (``recode``: it is not UTF-8 after all) and rewrite it as UTF-8
    where empty lines become rows of empty cells, so that DuckDB, which skips empty lines,
    keeps the row numbers the user sees."""
    if recode:
        if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "Latin-1"
        else:
            text, encoding = _decode(data, file_name)
    else:
        text, encoding = _decode(data, file_name)
    if "\r" in text and "\n" not in text:  # old Mac line endings
        text = text.replace("\r", "\n")
    filler = "\n" + (raw.separator or ";") * max(len(raw.headers) - 1, 1)
    text = _EMPTY_LINE.sub(lambda _: filler, "\n" + text)[1:]
    if not text.endswith("\n"):
        text += "\n"
    raw.csv_text = text.encode("utf-8")
    raw.encoding = encoding
    raw.normalised = True


def _read_csv(data: bytes, file_name: str, synonyms: dict[str, str]) -> RawTable:
    if b"\x00" in data[:65536] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise refuse(file_name, "ce n'est ni un fichier CSV ni un classeur XLSX")
    fast = _head_text(data)
    if fast is not None and "\r" in fast[0] and "\n" not in fast[0]:
        fast = None  # old Mac line endings: rewritten below
    if fast is None:
        text, encoding = _decode(data, file_name)
        if "\r" in text and "\n" not in text:
            text = text.replace("\r", "\n")
        head = text[:HEAD_BYTES]
    else:
        head, encoding = fast
    head_lines = head.splitlines(keepends=True)[:HEADER_SEARCH_ROWS]
    best = None  # (score, separator, index)
    for sep in SEPARATORS:
        rows = list(csv.reader(io.StringIO("".join(head_lines)), delimiter=sep))
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
        header_cells = next(reader)
    raw = RawTable(
        format="CSV",
        headers=_clean_headers(header_cells),
        header_row=index + 1,
        encoding=encoding,
        separator=sep,
        csv_text=data,
        skip_lines=reader.line_num,
    )
    if fast is None:
        normalise_csv(raw, data, file_name)
    return raw


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


def _read_xlsx(data: bytes, file_name: str, synonyms: dict[str, str], sheet: str | None):
    import openpyxl  # imported here: only XLSX files need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                    raise refuse(
                        file_name,
                        "c'est un classeur OpenDocument (.ods), non pris en charge ; "
                        "enregistrez-le au format .xlsx ou CSV",
                    )
                raise refuse(file_name, "ce n'est ni un fichier CSV ni un classeur XLSX")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl errors: a damaged workbook
        raise refuse(file_name, "ce classeur XLSX est illisible (fichier endommagé ?)") from exc
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
            raise refuse(file_name, "ce classeur XLSX est illisible (fichier endommagé ?)") from exc
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
