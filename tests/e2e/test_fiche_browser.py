"""The territory sheet's « Fiche PDF (A4) » in a real Chromium: the click downloads a one-page
A4 PDF of the commune in view, built on the click, with the sheet's filters in its link,
tagged (PDF/UA-1); the page is kept as a PNG beside the screenshots."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf

from tests.e2e.conftest import SCREENSHOTS, wait_for_app

MONTREUIL = "93048"


def test_sheet_downloads_a_one_page_a4_fiche(streamlit_server, browser_page):
    page = browser_page
    page.set_default_timeout(120_000)  # a shared machine may be slow to draw the sheet
    page.goto(f"{streamlit_server}/territoire?code={MONTREUIL}&du=2021-01-01")
    wait_for_app(page)
    button = page.get_by_role("button", name="Fiche PDF (A4)")
    button.wait_for()
    with page.expect_download(timeout=120_000) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == f"fiche-montreuil-{MONTREUIL}.pdf"
    path = SCREENSHOTS / download.suggested_filename
    download.save_as(str(path))
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == (595.28, 841.89)
    assert reader.metadata.title == "Fiche territoire – Montreuil"
    # The downloaded file is the tagged, accessible one (tests/test_fiche_accessible.py).
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"].value is True and "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "fr"
    if shutil.which("pdftoppm"):  # the page as a picture, kept beside the screenshots
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", str(path), str(path.with_suffix(""))],
            check=True,
        )
    text = reader.pages[0].extract_text()
    assert "Montreuil" in text and "Données de démonstration" in text
    # The link reproduces the view: the sheet's address with its filters.
    assert f"/territoire?code={MONTREUIL}&du=2021-01-01" in text.replace("\n", "")
