-- One funder, one name: spellings of a funder that differ only by case, accents, Unicode form
-- or spaces (« Etat », « ÉTAT », « État  ») take one spelling, so that the funder is one line
-- on Financements and matches the targets that name it. The spelling kept is the targets'
-- (data/reference/targets.csv) when they name the funder, else the accented one, else the
-- most frequent. Idempotent: also run after every funding load (etl/funders.py).
UPDATE funding
SET funder = canon.spelling
FROM (
    WITH spellings AS (
        SELECT nfc_normalize(regexp_replace(trim(funder), '\s+', ' ', 'g')) AS spelling,
               count(*) AS n, 0 AS preferred
        FROM funding
        WHERE funder IS NOT NULL
        GROUP BY 1
        UNION ALL
        SELECT DISTINCT nfc_normalize(regexp_replace(trim(funder), '\s+', ' ', 'g')), 0, 1
        FROM targets
        WHERE funder IS NOT NULL
    )
    SELECT lower(strip_accents(spelling)) AS key,
           arg_max(spelling, preferred * 1000000000 + (spelling <> strip_accents(spelling))::INT
                             * 100000000 + n) AS spelling
    FROM spellings
    GROUP BY 1
) canon
WHERE funding.funder IS NOT NULL
  AND lower(strip_accents(nfc_normalize(regexp_replace(trim(funding.funder), '\s+', ' ', 'g'))))
      = canon.key
  AND funding.funder <> canon.spelling;
