"""Step 1 (before the warehouse is touched): the file given, and one pass over it by pieces
for its content hash and its number of lines. A file on disk is never held whole in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from etl import readers
from etl.errors import FileRefused


def read_input(path_or_bytes, file_name: str | None) -> tuple[readers.Source, str]:
    """The file given, not read yet: a path is read by pieces, never whole."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return readers.Source(data=bytes(path_or_bytes)), file_name or "fichier"
    path = Path(path_or_bytes)
    name = file_name or path.name
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise FileRefused(f"Le fichier « {path} » est introuvable.") from exc
    except IsADirectoryError as exc:
        raise FileRefused(f"« {path} » est un dossier, pas un fichier.") from exc
    except OSError as exc:
        raise FileRefused(f"Le fichier « {path} » ne peut pas être lu ({exc.strerror}).") from exc
    return readers.Source(path=path), name


@dataclass
class Scan:
    sha256: str
    lines: int  # physical lines (a last one without its newline counts)


def scan(source: readers.Source) -> Scan:
    """The file's content hash and its number of lines, reading it once by pieces."""
    digest = hashlib.sha256()
    newlines, last = 0, b""
    for chunk in source.chunks():
        digest.update(chunk)
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
    return Scan(digest.hexdigest(), newlines + (0 if last in (b"\n", b"") else 1))
