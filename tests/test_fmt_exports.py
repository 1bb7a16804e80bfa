"""French formatting and safe exports."""

from __future__ import annotations

import io
import math
from datetime import date

import openpyxl
import pandas as pd
import pytest

from observatoire import exports, fmt
from observatoire.filters import Filters

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234, f"1{NB}234"), (500000, f"500{NB}000"), (0, "0"), (None, "–"), (float("nan"), "–")],
)
def test_number(value, expected):
    assert fmt.number(value) == expected


def test_money_percent_date():
    assert fmt.money(500_000) == f"500{NB}000{NB}€"
    assert fmt.money(12_500.5, 2) == f"12{NB}500,50{NB}€"
    assert fmt.percent(0.452) == f"45{NB}%"
    assert fmt.percent(None) == "–"
    assert fmt.french_date(date(2020, 11, 17)) == "17/11/2020"
    assert fmt.french_date("2021-01-15") == "15/01/2021"
    assert fmt.french_date(pd.NaT) == "–"
    assert fmt.plural(1, "commune") == "1 commune" and fmt.plural(39, "commune") == "39 communes"


def test_filters_round_trip_through_the_query_string():
    filters = Filters(
        ept="200057875",
        communes=("93048", "93008"),
        programmes=("emmaus-connect-2020",),
        date_from=date(2020, 11, 1),
        date_to=date(2021, 6, 30),
        include_demo=False,
    )
    assert Filters.from_query(filters.to_query()) == filters
    assert Filters().to_query() == {}
    assert Filters.from_query({"du": "n'importe quoi"}) == Filters()


DANGEROUS = pd.DataFrame(
    {
        "commune": ['=HYPERLINK("http://x")', "+33 1 23", "-2", "@SUM(A1)", "\tx", "Montreuil"],
        "quantité": [1, 2, 3, 4, 5, 1240],
    }
)


def test_csv_never_starts_a_formula():
    for french in (True, False):
        text = exports.to_csv(DANGEROUS, french=french).decode("utf-8-sig")
        sep = ";" if french else ","
        for line in text.splitlines()[1:]:
            assert not line.startswith(("=", "+", "-", "@", "\t")), line
        assert f"Montreuil{sep}1240" in text
    assert exports.to_csv(DANGEROUS).startswith("\ufeff".encode())


def test_xlsx_keeps_numbers_and_neutralises_formulas():
    workbook = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(DANGEROUS, title="Titre")))
    sheet = workbook.active
    assert sheet["A1"].value == "Titre"
    cells = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert all(not str(c).startswith(("=", "+", "-", "@", "\t")) for c, _ in cells)
    assert cells[-1] == ("Montreuil", 1240)
    assert isinstance(cells[-1][1], int)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_tables_show_each_masked_label_and_still_sort_on_numbers():
    from webapp import ui

    frame = pd.DataFrame({"n": [1240, "< 5", 37, "secret", None]})
    styler = ui._text_aware_view(frame, {"n": fmt.number})
    html = styler.to_html()
    assert "< 5" in html or "&lt; 5" in html
    assert "secret" in html and f"1{NB}240" in html and "–" in html
    values = styler.data["n"].tolist()
    assert values[0] == 1240 and values[2] == 37
    # Masked cells sort before every number; each keeps its own text.
    assert values[1] < 0 and values[3] < 0 and values[1] != values[3]
    # Streamlit's grid shows a number beyond JavaScript's safe integers (2**53) as an error,
    # not as its text: « secret » read « -2e+300 ». Stand-ins are -inf or within that range.
    finite = [v for v in values if math.isfinite(v)]
    assert all(abs(v) < 2**53 for v in finite), values


def test_text_from_files_cannot_become_markdown_or_html():
    hostile = "![x](http://example.invalid/a.png) [clic](javascript:alert(1)) <b>gras</b> **x**"
    escaped = fmt.md(hostile)
    for raw in ("![", "](", "<b>", "**"):
        assert raw not in escaped
    assert escaped.replace("\\", "") == hostile
    assert fmt.md(None) == ""


def test_chart_text_keeps_formatting_and_escapes_other_markup():
    assert fmt.chart_text("Ordinateurs<br>collégiens") == "Ordinateurs<br>collégiens"
    assert fmt.chart_text("%{y} : %{x}<extra></extra>") == "%{y} : %{x}<extra></extra>"
    assert fmt.chart_text("<b>Total</b>") == "<b>Total</b>"
    assert (
        fmt.chart_text("<a href='https://x'>Lien</a>") == "&lt;a href='https://x'&gt;Lien&lt;/a&gt;"
    )
    assert fmt.chart_text("< 5") == "&lt; 5"
    assert fmt.chart_text("1 > 0 <script>") == "1 &gt; 0 &lt;script&gt;"
    once = fmt.chart_text("<span style='x'>a</span><br>")
    assert fmt.chart_text(once) == once  # idempotent


def test_french_date_times_in_tables():
    import pandas as pd

    from observatoire import fmt
    from webapp import ui

    assert fmt.french_datetime(pd.Timestamp("2026-12-01 19:12:30")) == "01/12/2026 à 19:12"
    assert fmt.french_datetime(None) == "–"
    frame = pd.DataFrame(
        {
            "Chargé le": pd.to_datetime(["2026-12-01 19:12", "2026-11-30 08:05"]),
            "Date": pd.to_datetime(["2026-12-01", "2026-11-30"]),
            "n": [1, 2],
        }
    )
    formats = ui._date_formats(frame)
    assert formats == {"Chargé le": fmt.french_datetime, "Date": fmt.french_date}
    html = ui._text_aware_view(frame, formats).to_html()
    assert "01/12/2026 à 19:12" in html and "30/11/2026" in html
