"""Text measured with the font the exported images are drawn in (DejaVu Sans, data/fonts),
so that every line is wrapped to an image's width, and every label placed, before Plotly
draws it (exports.py, charts/need.py)."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parents[1] / "data" / "fonts"
LINE = 1.3  # Plotly's line height, in font sizes
TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=4)
def _font(bold: bool):
    from PIL import ImageFont

    return ImageFont.truetype(
        str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), 100
    )


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in pixels of one line of Plotly text (tags left out, entities read)."""
    plain = html.unescape(TAG.sub("", text))
    return _font(bold).getlength(plain) * size / 100
