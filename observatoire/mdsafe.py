"""Sentences that mix the dashboard's words with text from files (a « Source » label, an
indicator's name and producer), made safe for Streamlit's Markdown (st.caption,
st.markdown…) while staying readable to the tests and logs that read them.

fmt.md escapes every Markdown special character: right for a name alone, but it turns
« 2021-2023 » into « 2021\\-2023 » in the element's text. as_text escapes only what can
start Markdown or HTML: emphasis, code, strike-through, LaTeX ($), tables (|), links and
images ([ ]), HTML tags (< before a letter, /, ! or ?), block markers at a line's start, emoji
and icon shortcodes and URLs (« : » glued to the next character), bare addresses (www., @);
the rendered text is unchanged."""

from __future__ import annotations

import re

_ALWAYS = re.compile(r"([\\`*_\[\]~$|])")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_GLUED_COLON = re.compile(r":(?=\S)")
_WWW = re.compile(r"(?i)\b(www)\.")
_LINE_START = re.compile(r"(?m)^(\s*(?:\d+)?)([#>+\-=.)])")


def as_text(value) -> str:
    """VALUE shown as itself inside Streamlit Markdown: never a link, an image, markup, an
    icon or a formula."""
    text = "" if value is None else str(value)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _TAG.sub(r"\\<", text)
    text = _GLUED_COLON.sub(r"\\:", text)
    text = _WWW.sub(r"\1\\.", text)
    text = text.replace("@", "\\@")
    # « 1. » starts a list: the escape goes before its punctuation (a digit cannot be escaped).
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
