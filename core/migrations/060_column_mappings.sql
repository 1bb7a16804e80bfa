-- Column mappings (issue #21): when a file's columns had to be matched to the expected ones
-- (--colonnes, or the mapping table of the upload form), the mapping that loaded it is kept
-- here with its load: the ledger says which mapping each load used, and the next file of the
-- same kind with the same header (header_keys) loads with it without asking.
-- Lake-compatible: no key, no sequence; the loader writes one row per load.
CREATE TABLE column_mappings (
    load_id INTEGER NOT NULL,          -- the load (loads.load_id) that used this mapping
    kind VARCHAR NOT NULL,             -- kind of file (distributions, lieux, indicateurs…)
    source_label VARCHAR NOT NULL,     -- the load's source
    header_keys VARCHAR NOT NULL,      -- the file's normalised header names, joined by « | »
    layout VARCHAR,                    -- the recognised layout (need-side kinds), else NULL
    mapping VARCHAR NOT NULL,          -- expected=column as given, joined by « , » (the --colonnes form)
    remembered BOOLEAN NOT NULL        -- true: taken from an earlier load, not given this time
);
