-- The protected tables of counts of people (etl/protect.py): every figure a public reader
-- sees is derived from these cells only. Decided once per warehouse version, over the linked
-- tables together (territory, programme, measure, period, dataset), in the same transaction
-- as every change to the distributions. A cell not stored is a published 0.
CREATE TABLE public_counts (
    dataset VARCHAR NOT NULL,          -- reel (demonstration excluded) | tout (included)
    level VARCHAR NOT NULL,            -- commune | ept | departement
    territory_code VARCHAR NOT NULL,   -- INSEE code, EPT SIREN, or '93'
    programme_id VARCHAR NOT NULL,     -- a programme, or '*' (all programmes)
    measure VARCHAR NOT NULL,          -- item:<item> | personnes | equipements | cible:<family>
    period VARCHAR NOT NULL,           -- 'YYYY-MM' | 'YYYY' | '*'
    value BIGINT NOT NULL,             -- never shown to a public reader unless status = publie
    status VARCHAR NOT NULL            -- publie | primaire (0 < real value < threshold) | secondaire
);
-- One row: how the cells above were built.
CREATE TABLE public_counts_meta (
    threshold INTEGER NOT NULL,        -- small_count_threshold used
    built_at TIMESTAMP,                -- the data's version: its newest load of distributions
                                       -- or targets (NULL: no data)
    first_month VARCHAR,               -- 'YYYY-MM' extent of the months in the cube
    last_month VARCHAR,
    cells BIGINT NOT NULL,             -- stored cells (both datasets)
    suppressed BIGINT NOT NULL,        -- of which primaire or secondaire
    fingerprint VARCHAR NOT NULL       -- of the threshold and cells: an unchanged pattern
                                       -- is not rewritten (built_at stays)
);
