"""Step 1 (before the warehouse is touched): the file's headers matched to the kind's
contract (etl/schemas.py). A file lacking a required column is refused here; personal-data
columns and unknown ones are set aside with a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl import readers, schemas
from etl.errors import ColumnsMissing


@dataclass
class Columns:
    index: dict[str, int]  # field → column index in the file
    labels: dict[str, str]  # field → header as the user wrote it
    personal: list[tuple[str, str]]  # (header, what it holds)
    ignored: list[str]  # unknown columns
    doubled: list[str]  # second columns for a field already given
    messages: list[str]


def match_columns(
    headers: list[str],
    contract: schemas.Contract,
    file_name: str,
    keys: list[str] | None = None,
) -> Columns:
    """Map the file's headers to the contract; refuse the file if a required one is missing.
    ``keys``: the normalised names once a column mapping is applied (etl/mapping.py)."""
    synonyms = schemas.synonyms_of(contract)
    cols = Columns(index={}, labels={}, personal=[], ignored=[], doubled=[], messages=[])
    for i, header in enumerate(headers):
        key = schemas.header_key(header) if keys is None else keys[i]
        if keys is not None and not key and schemas.header_key(header):
            cols.ignored.append(header)  # its name was given to another column
            continue
        if not key:
            continue
        name = synonyms.get(key)
        if name is not None:
            if name in cols.index:
                cols.messages.append(
                    f"La colonne « {header} » fait double emploi avec « {cols.labels[name]} » "
                    "(même information) : elle est ignorée."
                )
                cols.doubled.append(header)
                continue
            cols.index[name] = i
            cols.labels[name] = header
            continue
        personal = schemas.personal_data_kind(key)
        if personal is not None:
            cols.personal.append((header, personal))
        else:
            cols.ignored.append(header)
    for f in contract.fields:
        if f.required and f.name not in cols.index:
            raise ColumnsMissing(
                str(
                    readers.refuse(
                        file_name,
                        f"la colonne obligatoire « {f.synonyms[0]} » est absente (noms acceptés : "
                        + ", ".join(f.synonyms)
                        + ")",
                    )
                ),
                contract.kind,
                "standard",
            )
    for group in contract.required_any:
        if not any(name in cols.index for name in group):
            names = [s for name in group for s in contract.field(name).synonyms]
            raise ColumnsMissing(
                str(
                    readers.refuse(
                        file_name,
                        "aucune colonne n'indique la commune (noms acceptés : "
                        + ", ".join(names)
                        + ")",
                    )
                ),
                contract.kind,
                "standard",
            )
    return cols
