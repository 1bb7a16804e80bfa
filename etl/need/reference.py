"""The need-side reference files shipped in data/reference/, loaded by ``init`` (and by
``migrate`` when absent) through the same parsers as users' files: reference data
(``is_demo`` false), one ledger row each whose source label names the source and vintage.
``init --no-demo`` leaves them alone (they are not demonstration data); a changed file
replaces its earlier reference load; the same content is never loaded twice.
"""

from __future__ import annotations

import duckdb

from etl.need import common, indicators, layouts, places
from etl.reference import FILES

_DIR = FILES["communes"].parent
SHIPPED = (
    (
        "indicateurs",
        "ifn-communes-93.csv",
        "La MedNum – IFN 2021-2023 (référentiel)",
        layouts.recognise_indicators,
        indicators.parse,
        layouts.INDICATOR_HEADERS,
    ),
    (
        "lieux",
        "lieux-conseillers-numeriques-2022-93.csv",
        "ANCT – lieux des conseillers numériques 2022 (référentiel)",
        layouts.recognise_places,
        places.parse,
        layouts.PLACE_HEADERS,
    ),
    (
        "lieux",
        "france-services-93.csv",
        "ANCT – France services 2020-2022 (référentiel)",
        layouts.recognise_places,
        places.parse,
        layouts.PLACE_HEADERS,
    ),
)


def load_shipped(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Inside the caller's transaction (after the communes): the new load ids."""
    done = []
    for kind, name, label, recognise, parse, synonyms in SHIPPED:
        load_id = common.load_reference_file(
            con, kind, _DIR / name, label, recognise=recognise, parse=parse, synonyms=synonyms
        )
        if load_id is not None:
            done.append(load_id)
    return done
