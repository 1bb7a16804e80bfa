"""XLSX files as spreadsheets store them: real dates, integers and floats (codes as 93001.0),
Excel serial dates, title and blank rows, a « Total » row with a formula, several sheets.
The workbooks are built here with openpyxl (no binary fixture in the repository)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.errors import FileRefused
from etl.load import load_file


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Distributions"
    sheet["A1"] = "Tableau de suivi 2021 – Emmaüs Connect"
    sheet.append([])
    sheet.append(["Date", "Code commune", "Programme", "Type d'équipement", "Quantité", "Public"])
    sheet.append([date(2021, 1, 4), 93001.0, "emmaus-connect-2020", "ordinateur", 2.0, "RSA"])
    sheet.append([datetime(2021, 1, 5, 14, 30), 93005, "Emmaüs Connect 2020", "Tablette", 3, None])
    sheet.append([])
    sheet.append([44200, "Bobigny", "emmaus-connect-2020", "smartphone", 1, None])  # 2021-01-04
    sheet.append([date(2021, 1, 6), 93008, "emmaus-connect-2020", "tablette", 2.5, None])
    sheet.append(["Total", None, None, None, "=SUM(E4:E8)", None])
    for row in sheet.iter_rows(min_row=4, max_row=8, max_col=1):
        row[0].number_format = "DD/MM/YYYY"
    funding = book.create_sheet("Financements")
    funding.append(["Année", "Financeur", "Programme", "Montant"])
    funding.append([2021, "CAF", "emmaus-connect-2020", 1234.5])
    funding.append([2020, "Département", "emmaus-connect-2020", 200000])
    book.save(path)
    return path


def test_first_sheet_with_excel_values(empty_db, tmp_path):
    result = load_file(empty_db, "distributions", workbook(tmp_path / "suivi.xlsx"))
    assert (result.format, result.sheet, result.header_row) == ("XLSX", "Distributions", 3)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert any("ligne 9 (total)" in m for m in result.messages)
    con = duckdb.connect(str(empty_db), read_only=True)
    rows = con.execute(
        "SELECT strftime(date, '%Y-%m-%d'), commune_code, programme_id, item, quantity, public "
        "FROM distributions ORDER BY date, commune_code"
    ).fetchall()
    rejects = con.execute(
        'SELECT row_number, "column", value, reason FROM rejected_rows'
    ).fetchall()
    con.close()
    assert rows == [
        ("2021-01-04", "93001", "emmaus-connect-2020", "ordinateur", 2, "RSA"),
        ("2021-01-04", "93008", "emmaus-connect-2020", "smartphone", 1, None),
        ("2021-01-05", "93005", "emmaus-connect-2020", "tablette", 3, None),
    ]
    assert rejects == [(8, "Quantité", "2,5", "quantité non entière")]


def test_sheet_option(empty_db, tmp_path):
    path = workbook(tmp_path / "suivi.xlsx")
    result = load_file(empty_db, "funding", path, sheet="Financements")
    assert (result.sheet, result.rows_loaded) == ("Financements", 2)
    con = duckdb.connect(str(empty_db), read_only=True)
    assert con.execute(
        "SELECT strftime(date, '%Y-%m-%d'), amount_eur::VARCHAR FROM funding ORDER BY date"
    ).fetchall() == [("2020-01-01", "200000.00"), ("2021-01-01", "1234.50")]
    con.close()
    with pytest.raises(FileRefused, match="la feuille « Budget » n'existe pas"):
        load_file(empty_db, "funding", path, sheet="Budget")


def test_sheet_option_on_a_csv_is_refused(empty_db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("date;commune;programme;item;quantite\n")
    with pytest.raises(FileRefused, match="--sheet ne vaut que pour un classeur XLSX"):
        load_file(empty_db, "distributions", path, sheet="Feuil1")


def test_ods_is_refused(empty_db, tmp_path):
    import zipfile

    path = tmp_path / "tableur.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(FileRefused, match=r"OpenDocument \(\.ods\)"):
        load_file(empty_db, "distributions", path)


def test_xlsx_without_data_rows_is_refused(empty_db, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["date", "commune", "programme", "item", "quantite"])
    path = tmp_path / "vide.xlsx"
    book.save(path)
    with pytest.raises(FileRefused, match="aucune ligne de données"):
        load_file(empty_db, "distributions", path)
