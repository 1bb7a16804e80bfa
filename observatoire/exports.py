"""Bytes for downloads: CSV (standard or French-friendly) and XLSX, safe to open in a
spreadsheet: no cell may start a formula."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def to_csv(frame: pd.DataFrame, *, french: bool = True) -> bytes:
    """French-friendly CSV (UTF-8 with BOM, `;`, decimal comma) or standard CSV (UTF-8, `,`)."""
    safe = safe_frame(frame)
    if french:
        return safe.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    return safe.to_csv(index=False).encode("utf-8")


def to_xlsx(frame: pd.DataFrame, sheet: str = "Données", title: str | None = None) -> bytes:
    """XLSX with numbers stored as numbers and text never read as a formula."""
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        start = 2 if title else 0
        safe.to_excel(writer, sheet_name=sheet[:31], index=False, startrow=start)
        sheet_obj = writer.sheets[sheet[:31]]
        if title:
            sheet_obj.write_string(0, 0, neutralise(title))
        for i, column in enumerate(safe.columns):
            width = max([len(str(column))] + [len(str(v)) for v in safe[column].head(200)])
            sheet_obj.set_column(i, i, min(60, width + 2))
    return buffer.getvalue()
