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
    # CSV: normalised UTF-8 text to hand to DuckDB, and lines to skip (title rows + header).
    csv_text: bytes | None = None
    skip_lines: int = 0
    # XLSX: the data rows as an Arrow table (c0 … cN, _extra, _row).
    arrow: pa.Table | None = None
    notes: list[str] = field(default_factory=list)


def refuse(file_name: str, what: str) -> FileRefused:
    return FileRefused(f"Le fichier « {file_name} » est refusé : {what}.")


def read_table(data: bytes, file_name: str, synonyms: dict[str, str], sheet: str | None = None):
    """Detect the format and the header row; refuse what cannot be read as a table."""
    if not data.strip():
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
    expected = ", ".join(sorted(set(synonyms.values())))
    return refuse(
        file_name,
        f"aucune ligne d'en-tête reconnue dans les {HEADER_SEARCH_ROWS} premières lignes "
        f"(au moins deux colonnes attendues parmi : {expected} ; voir docs/chargement.md)",
    )


# --- CSV ----------------------------------------------------------------------------------


def _decode(data: bytes, file_name: str) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise refuse(file_name, "son encodage UTF-16 est endommagé") from exc
    if b"\x00" in data[:65536]:
        raise refuse(file_name, "ce n'est ni un fichier CSV ni un classeur XLSX")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _read_csv(data: bytes, file_name: str, synonyms: dict[str, str]) -> RawTable:
    text, encoding = _decode(data, file_name)
    modified = encoding != "UTF-8"
    if "\r" in text and "\n" not in text:  # old Mac line endings
        text = text.replace("\r", "\n")
        modified = True
    head_lines = text[:262144].splitlines(keepends=True)[: HEADER_SEARCH_ROWS + 1]
    if len(head_lines) > HEADER_SEARCH_ROWS:
        head_lines = head_lines[:HEADER_SEARCH_ROWS]
    best = None  # (score, -priority, separator, index, rows)
    for priority, sep in enumerate(SEPARATORS):
        rows = list(csv.reader(io.StringIO("".join(head_lines)), delimiter=sep))
        index, score = _find_header(rows, synonyms)
        if score and (best is None or score > best[0]):
            best = (score, priority, sep, index, rows)
    if best is None or best[0] < 2:
        raise _no_header(file_name, synonyms)
    _, _, sep, index, _ = best
    # Physical lines up to and including the header (a quoted title could span lines).
    reader = csv.reader(io.StringIO("".join(head_lines)), delimiter=sep)
    header_cells: list[str] = []
    for _ in range(index + 1):
        header_cells = next(reader)
    skip_lines = reader.line_num
    headers = _clean_headers(header_cells)
    # DuckDB skips empty lines: make them rows of empty cells so row numbers stay exact.
    if text.startswith(("\n", "\r\n")) or "\n\n" in text or "\n\r\n" in text:
        filler = "\n" + sep * max(len(headers) - 1, 1)
        text = _EMPTY_LINE.sub(lambda _: filler, "\n" + text)[1:]
        modified = True
    if not text.endswith("\n"):
        text += "\n"
        modified = True
    return RawTable(
        format="CSV",
        headers=headers,
        header_row=index + 1,
        encoding=encoding,
        separator=sep,
        csv_text=text.encode("utf-8") if modified else data,
        skip_lines=skip_lines,
    )


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
