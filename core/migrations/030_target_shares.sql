-- The target families and THE territorial share rule's result (etl/sql/target_*.sql), for
-- every programme: they change only with the targets and the communes' populations, so
-- they are stored by etl/target_shares.py whenever those change (and at every init or
-- migrate) rather than computed by every page query.
CREATE TABLE target_families (
    family UBIGINT NOT NULL,           -- hash of the six key columns
    programme_id VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,
    item VARCHAR,
    public VARCHAR,
    operator VARCHAR,
    funder VARCHAR,
    scope VARCHAR NOT NULL,            -- of the family's top target
    scope_code VARCHAR,                -- when that level has a single target
    target_value DOUBLE,               -- that level's total
    label VARCHAR,
    unit VARCHAR,
    deadline DATE,
    source VARCHAR
);
CREATE TABLE target_shares (
    family UBIGINT NOT NULL,
    programme_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,            -- ept | commune
    code VARCHAR NOT NULL,
    target_share DOUBLE,
    share_rule VARCHAR NOT NULL,       -- objectif explicite | prorata de la population
    share_of VARCHAR NOT NULL          -- departement | ept | commune
);
