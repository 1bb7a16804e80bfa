"""One typed settings object, read from environment variables ``OBSERVATOIRE_*``.

Every field is documented here and in the README (a test checks the README).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
DEMO_DIR = PROJECT_ROOT / "data" / "demo"


@dataclass(frozen=True)
class Settings:
    db: Path
    """OBSERVATOIRE_DB: path of the DuckDB warehouse (default data/observatoire.duckdb)."""

    lock_timeout_s: float
    """OBSERVATOIRE_LOCK_TIMEOUT: seconds to wait for the warehouse while another process
    writes to it, before giving up with a clear message (default 30)."""

    upload_password: str | None
    """OBSERVATOIRE_UPLOAD_PASSWORD: enables file uploads on the « Données » page, protected
    by this password; uploads are off when unset (default: unset)."""

    small_count_threshold: int
    """OBSERVATOIRE_SMALL_COUNT_THRESHOLD: counts of people below this value are masked
    as « < N » on public views (default 5)."""

    internal_mode: bool
    """OBSERVATOIRE_INTERNAL_MODE: 1 for an internal deployment that shows exact small counts;
    default 0 (public: small counts masked on screen and in every export)."""


ENV_NAMES = {
    "db": "OBSERVATOIRE_DB",
    "lock_timeout_s": "OBSERVATOIRE_LOCK_TIMEOUT",
    "upload_password": "OBSERVATOIRE_UPLOAD_PASSWORD",
    "small_count_threshold": "OBSERVATOIRE_SMALL_COUNT_THRESHOLD",
    "internal_mode": "OBSERVATOIRE_INTERNAL_MODE",
}


def get_settings() -> Settings:
    env = os.environ
    return Settings(
        db=Path(env.get(ENV_NAMES["db"]) or PROJECT_ROOT / "data" / "observatoire.duckdb"),
        lock_timeout_s=float(env.get(ENV_NAMES["lock_timeout_s"]) or 30),
        upload_password=env.get(ENV_NAMES["upload_password"]) or None,
        small_count_threshold=int(env.get(ENV_NAMES["small_count_threshold"]) or 5),
        internal_mode=(env.get(ENV_NAMES["internal_mode"]) or "0").lower() in ("1", "true", "oui"),
    )


def setting_names() -> list[str]:
    return [ENV_NAMES[f.name] for f in fields(Settings)]
