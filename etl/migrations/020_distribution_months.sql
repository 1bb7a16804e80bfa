-- Monthly summary of the distributions, which the pages read instead of the records (see
-- etl/summary.py and docs/echelle.md): a few thousand rows whatever the number of records.
-- Kept up to date by every change to distributions, in the same transaction.
CREATE TABLE distribution_months (
    date DATE NOT NULL,                -- first day of the month (named like distributions.date
                                       -- so that the same filter clauses apply to both)
    commune_code VARCHAR NOT NULL,
    programme_id VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    public VARCHAR,
    operator VARCHAR,
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL,
    quantity BIGINT NOT NULL,          -- sum of the month's quantities
    records BIGINT NOT NULL            -- number of records summed
);
INSERT INTO distribution_months
SELECT date_trunc('month', date)::DATE, commune_code, programme_id, item, public, operator,
       is_demo, load_id, sum(quantity), count(*)
FROM distributions
GROUP BY ALL;
