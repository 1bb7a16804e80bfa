"""What a rejected row keeps of its offending value: only what helps fix the file without
keeping personal data. The row number, the column and the reason are always kept; the value
only when it is short and looks like no e-mail address, telephone number, NIR (social
security number) or birth date. Otherwise it is replaced by PLACEHOLDER: a free-text cell
(« Mme Diallo, 06 12 34 56 78, rappeler ») is never stored."""

from __future__ import annotations

import re

PLACEHOLDER = "(valeur non conservée : donnée personnelle possible)"
# A commune, a programme, a number, a date, even a pasted formula fit; a sentence does not.
MAX_KEPT_CHARS = 50
MAX_KEPT_WORDS = 4  # « Le Pré Saint Gervais »; « Mme X, rappeler demain matin » is free text
# A date inside other text from before 2015 may be a birth date (a collégien's can be as
# late as 2014). A cell that is only a date is the date the loader rejected (« date
# antérieure à 2000 »): kept when it can be a typo of a recent one (1999, 2002), masked
# before 1990.
BIRTH_YEARS_BEFORE = 2015
OLDEST_TYPO_YEAR = 1990

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]{2,}")
# Nine digits or more, possibly split by spaces, dots, dashes, slashes or brackets: a
# telephone number (French or international), a NIR, an account number.
_LONG_NUMBER = re.compile(r"(?:\d[\s./()\-]{0,2}){9,}")
# A NIR with a Corsican department (2A, 2B) escapes the digit run above.
_NIR = re.compile(r"\b[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b", re.I)
_DATES = (
    re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"),  # 1984-03-12
    re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b"),  # 12/03/1984
)


def _looks_like_birth_date(text: str) -> bool:
    for number, pattern in enumerate(_DATES):
        for match in pattern.finditer(text):
            year = int(match.group(1) if number == 0 else match.group(3))
            whole_cell = match.group(0) == text
            if 1900 <= year < (OLDEST_TYPO_YEAR if whole_cell else BIRTH_YEARS_BEFORE):
                return True
    return False


def is_personal(text: str) -> bool:
    """True if TEXT may be (or hold) personal data, or is free text (too long to tell)."""
    return (
        len(text) > MAX_KEPT_CHARS
        or len(text.split()) > MAX_KEPT_WORDS
        or bool(_EMAIL.search(text))
        or bool(_LONG_NUMBER.search(text))
        or bool(_NIR.search(text))
        or _looks_like_birth_date(text)
    )


def reject_value(value: object) -> str | None:
    """The offending value as a rejected row keeps it: None stays None; personal data, or
    what may be, becomes PLACEHOLDER."""
    if value is None:
        return None
    text = str(value)
    return PLACEHOLDER if is_personal(text.strip()) else text


def scrub_stored_rejects(con, load_id: int) -> None:
    """Apply reject_value to the rejected rows of LOAD_ID already written by SQL (the
    distribution, funding, target and programme loader), inside the load's transaction."""
    rows = con.execute(
        "SELECT DISTINCT value FROM rejected_rows WHERE load_id = ? AND value IS NOT NULL",
        [load_id],
    ).fetchall()
    personal = [value for (value,) in rows if reject_value(value) != value]
    if not personal:
        return
    con.execute(
        "CREATE TEMP TABLE scrub_values AS SELECT unnest(?::VARCHAR[]) AS value", [personal]
    )
    con.execute(
        """UPDATE rejected_rows SET value = ? FROM scrub_values s
           WHERE rejected_rows.load_id = ? AND rejected_rows.value = s.value""",
        [PLACEHOLDER, load_id],
    )
    con.execute("DROP TABLE scrub_values")
