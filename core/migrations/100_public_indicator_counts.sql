-- The protected cells of the counts of people loaded as indicators (etl/protect_need.py:
-- Aidants Connect usagers and démarches): what a public reader sees of them, decided once
-- per warehouse version with the suppression engine of public_counts. Unlike public_counts,
-- every cell that has a value is stored, zeros included: a cell not stored has no data.
CREATE TABLE public_indicator_counts (
    dataset VARCHAR NOT NULL,          -- reel (demonstration excluded) | tout (included)
    level VARCHAR NOT NULL,            -- commune | ept | departement
    territory_code VARCHAR NOT NULL,   -- INSEE code, EPT SIREN, or '93'
    indicator VARCHAR NOT NULL,        -- an indicators.id of etl/need/indicators.PEOPLE_COUNTS
    period VARCHAR NOT NULL,           -- 'YYYY', '-' (values without a year), or 'dernier':
                                       -- each commune's latest value (need_values.sql)
    value BIGINT NOT NULL,             -- never shown to a public reader unless status = publie
    status VARCHAR NOT NULL            -- publie | primaire (0 < real value < threshold) | secondaire
);
