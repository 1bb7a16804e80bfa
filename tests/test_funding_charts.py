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
