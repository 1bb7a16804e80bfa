"""Typed errors raised by the ETL; the CLI and the pages print their French message.

EtlError is core.store's UserError, so that WarehouseBusy (raised where the warehouse file
is opened, core/store.py) is one of them."""

from __future__ import annotations

from core.store import UserError as EtlError
from core.store import WarehouseBusy

__all__ = ["ColumnsMissing", "EtlError", "FileRefused", "NoHeader", "WarehouseBusy"]


class FileRefused(EtlError):
    """The whole file is refused; the warehouse is left as it was. ``explanation``: further
    French lines (what to do), printed after the sentence by the CLI and the upload form."""

    explanation: list[str] = []  # noqa: RUF012 - each refusal that has some sets its own


class ColumnsMissing(FileRefused):
    """A required column is missing (or no header row is recognised). The message is one
    sentence; ``explanation`` adds what the file holds and how to map its columns
    (etl/mapping.py), ``proposal`` what the upload form needs to offer the mapping."""

    def __init__(self, message: str, kind: str | None = None, layout: str | None = None):
        super().__init__(message)
        self.kind, self.layout = kind, layout
        self.explanation = []
        self.proposal = None

    def full_text(self) -> str:
        return "\n".join([str(self), *self.explanation])


class NoHeader(ColumnsMissing):
    """No header row recognised among the first lines."""
