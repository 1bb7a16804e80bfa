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
    """OBSERVATOIRE_DB: path of the DuckDB warehouse file (default data/observatoire.duckdb);
    also where the sign-in side files live (lockout, sign-outs), lake or not."""

    lake_catalog: str | None
    """OBSERVATOIRE_LAKE_CATALOG: libpq connection string of the PostgreSQL database holding a
    DuckLake catalog (« dbname=observatoire host=127.0.0.1 port=5432 user=observatoire »);
    when set, the warehouse is that DuckLake instead of the file (default: unset, the file)."""

    lake_data: str | None
    """OBSERVATOIRE_LAKE_DATA: where the DuckLake keeps its Parquet files: a directory every
    server sees (shared filesystem) or s3://bucket/prefix/ through httpfs (credentials from
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL); needed with
    OBSERVATOIRE_LAKE_CATALOG (default: unset)."""

    lock_timeout_s: float
    """OBSERVATOIRE_LOCK_TIMEOUT: seconds to wait for the warehouse while another process
    writes to it, before giving up with a clear message (default 30)."""

    upload_password: str | None
    """OBSERVATOIRE_UPLOAD_PASSWORD: fallback for a deployment without sign-in (no [auth] in
    .streamlit/secrets.toml): whoever gives this password may load and remove files on the
    « Données » page; 5 wrong attempts lock it for 15 minutes (the count is kept in a file next
    to the warehouse). Ignored once sign-in is configured: the gestionnaires then do it
    (default: unset, uploads off)."""

    gestionnaires: tuple[str, ...]
    """OBSERVATOIRE_GESTIONNAIRES: comma-separated e-mail addresses (a@x.fr) or domains
    (@seinesaintdenis.fr) of the signed-in people who may load, replace and remove files
    and see the rejected rows; only a verified e-mail counts (default: nobody)."""

    internes: tuple[str, ...]
    """OBSERVATOIRE_INTERNES: comma-separated e-mail addresses or @domains of the signed-in
    people who see exact small counts, on screen and in exports (default: nobody)."""

    upload_max_mb: int
    """OBSERVATOIRE_UPLOAD_MAX_MB: largest file accepted by the « Données » page, in Mo;
    a larger one is refused before it is read (default 50)."""

    small_count_threshold: int
    """OBSERVATOIRE_SMALL_COUNT_THRESHOLD: counts of people below this value are masked
    as « < N » on public views (default 5)."""

    internal_mode: bool
    """OBSERVATOIRE_INTERNAL_MODE: 1 for an internal deployment that shows exact small counts
    to everyone, signed in or not (« everyone is interne »: for a deployment without sign-in
    on a closed network); default 0 (small counts masked except for the internes)."""

    @property
    def warehouse(self):
        """Where the warehouse is: the file `db`, or the DuckLake (core.store.Lake) when
        OBSERVATOIRE_LAKE_CATALOG is set."""
        if not self.lake_catalog:
            return self.db
        from core.store import Lake  # core.store imports nothing from here at load time

        if not self.lake_data:
            from core.store import UserError

            raise UserError(
                "OBSERVATOIRE_LAKE_CATALOG est défini sans OBSERVATOIRE_LAKE_DATA : indiquez "
                "où le DuckLake range ses fichiers Parquet (un dossier partagé ou s3://…)."
            )
        return Lake(self.lake_catalog, self.lake_data)


ENV_NAMES = {
    "db": "OBSERVATOIRE_DB",
    "lake_catalog": "OBSERVATOIRE_LAKE_CATALOG",
    "lake_data": "OBSERVATOIRE_LAKE_DATA",
    "lock_timeout_s": "OBSERVATOIRE_LOCK_TIMEOUT",
    "upload_password": "OBSERVATOIRE_UPLOAD_PASSWORD",
    "gestionnaires": "OBSERVATOIRE_GESTIONNAIRES",
    "internes": "OBSERVATOIRE_INTERNES",
    "upload_max_mb": "OBSERVATOIRE_UPLOAD_MAX_MB",
    "small_count_threshold": "OBSERVATOIRE_SMALL_COUNT_THRESHOLD",
    "internal_mode": "OBSERVATOIRE_INTERNAL_MODE",
}


def get_settings() -> Settings:
    env = os.environ
    return Settings(
        db=Path(env.get(ENV_NAMES["db"]) or PROJECT_ROOT / "data" / "observatoire.duckdb"),
        lake_catalog=env.get(ENV_NAMES["lake_catalog"]) or None,
        lake_data=env.get(ENV_NAMES["lake_data"]) or None,
        lock_timeout_s=float(env.get(ENV_NAMES["lock_timeout_s"]) or 30),
        upload_password=env.get(ENV_NAMES["upload_password"]) or None,
        gestionnaires=_address_list(env.get(ENV_NAMES["gestionnaires"])),
        internes=_address_list(env.get(ENV_NAMES["internes"])),
        upload_max_mb=int(env.get(ENV_NAMES["upload_max_mb"]) or 50),
        small_count_threshold=int(env.get(ENV_NAMES["small_count_threshold"]) or 5),
        internal_mode=(env.get(ENV_NAMES["internal_mode"]) or "0").lower() in ("1", "true", "oui"),
    )


def _address_list(value: str | None) -> tuple[str, ...]:
    """« a@x.fr, @y.fr » → ("a@x.fr", "@y.fr"): lower case, blanks dropped."""
    return tuple(part.strip().lower() for part in (value or "").split(",") if part.strip())


def setting_names() -> list[str]:
    return [ENV_NAMES[f.name] for f in fields(Settings)]
