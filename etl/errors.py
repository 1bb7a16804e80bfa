"""Typed errors raised by the ETL; the CLI and the pages print their French message."""

from __future__ import annotations


class EtlError(Exception):
    """An error whose message is one French sentence meant for the user."""


class WarehouseBusy(EtlError):
    """Another process holds the warehouse for writing."""


class FileRefused(EtlError):
    """The whole file is refused; the warehouse is left as it was."""
