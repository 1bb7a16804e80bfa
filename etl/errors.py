"""Typed errors raised by the ETL; the CLI and the pages print their French message.

EtlError is core.store's UserError, so that WarehouseBusy (raised where the warehouse file
is opened, core/store.py) is one of them."""

from __future__ import annotations

from core.store import UserError as EtlError
from core.store import WarehouseBusy

__all__ = ["EtlError", "FileRefused", "WarehouseBusy"]


class FileRefused(EtlError):
    """The whole file is refused; the warehouse is left as it was."""
