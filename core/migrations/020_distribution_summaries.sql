-- Summaries of the distributions, which the pages read instead of the records (see
-- etl/summary.py and docs/echelle.md): by month (a few thousand rows whatever the number of
-- records) and by day (for the days of a period that cuts a month). Kept up to date by every
-- change to distributions, in the same transaction. Columns named like the records' so that
-- the same filter clauses apply.
CREATE TABLE distribution_months (
    date DATE NOT NULL,                -- first day of the month
    commune_code VARCHAR NOT NULL,
    programme_id VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    public VARCHAR,
    operator VARCHAR,
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL,
    quantity BIGINT NOT NULL,          -- sum of the quantities
    records BIGINT NOT NULL            -- number of records summed
);
-- Same columns; date is the day.
CREATE TABLE distribution_days AS SELECT * FROM distribution_months LIMIT 0;
INSERT INTO distribution_months
SELECT date_trunc('month', date)::DATE, commune_code, programme_id, item, public, operator,
       is_demo, load_id, sum(quantity), count(*)
FROM distributions
GROUP BY ALL;
INSERT INTO distribution_days
SELECT date, commune_code, programme_id, item, public, operator,
       is_demo, load_id, sum(quantity), count(*)
FROM distributions
GROUP BY ALL;
