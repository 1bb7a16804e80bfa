"""Figures of the « Financements » page, without Streamlit."""

from __future__ import annotations

import pandas as pd

from observatoire.charts import funding as charts_funding


def test_many_schemes_never_share_a_look():
    """Beyond the palette's 8 colours, a hatching tells the series apart."""
    rows = pd.DataFrame(
        {
            "programme_name": ["Programme"] * 11,
            "scheme": [f"Dispositif {i}" for i in range(11)],
            "amount": [1000.0 + i for i in range(11)],
        }
    )
    figure = charts_funding.scheme_bars(rows)
    looks = {(t.marker.color, t.marker.pattern.shape) for t in figure.data}
    assert len(figure.data) == len(looks) == 11


def test_a_small_funder_share_is_not_read_as_zero():
    """15 000 € of 5 419 000 € is « 0,3 % », not « 0 % »: shares to one decimal."""
    by_funder = pd.DataFrame(
        {
            "funder": ["État", "EPT Est Ensemble"],
            "funder_type": ["État", "EPT"],
            "amount": [5_404_000.0, 15_000.0],
            "share": [5_404_000 / 5_419_000, 15_000 / 5_419_000],
            "per_inhabitant": [3.17, 0.01],
            "departement_wide": [0.0, 0.0],
            "programmes": [7, 1],
            "lines": [155, 1],
        }
    )
    table, formats = charts_funding.funder_table(by_funder)
    shares = [formats["Part du total"](v) for v in table["Part du total"]]
    assert shares == ["99,7\u00a0%", "0,3\u00a0%"]
