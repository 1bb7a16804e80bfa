"""Checks on a file sent through the « Données » page, before anything reads it.

- Size: a file over OBSERVATOIRE_UPLOAD_MAX_MB is refused with a French sentence, from the
  size Streamlit reports, before its bytes are read. Streamlit's own ceiling
  (server.maxUploadSize, set by ``python -m webapp.serve`` to twice this limit) stops
  far larger files in the browser, so that they never reach the server's memory.
- Name: the name the browser gives is only ever shown and recorded as a label, never used as
  a path (the loader is handed the bytes); it is reduced to a plain file name first.
"""

from __future__ import annotations

import re
import unicodedata

MEGABYTE = 1024 * 1024
_MAX_NAME = 120


def too_large(size_bytes: int, max_mb: int) -> str | None:
    """The French refusal for a file of SIZE_BYTES over MAX_MB Mo, or None if it fits."""
    if size_bytes <= max_mb * MEGABYTE:
        return None
    size_mb = size_bytes / MEGABYTE
    shown = f"{size_mb:.1f}".replace(".", ",")
    return (
        f"Fichier refusé : il pèse {shown} Mo, au-delà de la limite de {max_mb} Mo de ce "
        "serveur. Découpez-le (par exemple par année) ou chargez-le en ligne de commande "
        "(« python -m etl load »)."
    )


def server_max_upload_mb(max_mb: int) -> int:
    """Streamlit's server.maxUploadSize for a page limit of MAX_MB: twice it, so that a file
    a little over the limit reaches the page and is refused in French, while a much larger
    one is stopped in the browser."""
    return max(1, 2 * max_mb)


def display_name(name: str | None) -> str:
    """A safe label for the name a browser sent: the last path component only, no control
    or format characters, no leading dots, at most 120 characters; « fichier » if nothing
    is left. « ../../etc/passwd » → « passwd »; « C:\\x\\dist.csv » → « dist.csv »."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.strip().lstrip(".").strip()
    if len(text) > _MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 5:
            text = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
        else:
            text = text[:_MAX_NAME]
    return text or "fichier"
