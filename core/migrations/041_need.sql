-- Need-side data (issue #13): indicators of digital fragility and their catalogue, places of
-- digital mediation (national standard « lieux de médiation numérique »), and the structures
-- of the conseillers numériques. Loaded by etl/need/ (kinds indicateurs, lieux, conseillers).
CREATE TABLE indicators (            -- catalogue, one row per indicator id
    id VARCHAR NOT NULL,               -- ifn, ifn_thd, …, part_fibre, or an unknown column's normalised name
    label VARCHAR NOT NULL,            -- French label
    unit VARCHAR NOT NULL,             -- 'score' | '%' | 'nombre'
    scale_min DOUBLE,
    scale_max DOUBLE,                  -- 0/10 for IFN scores, 0/100 for % ; NULL for counts
    direction VARCHAR NOT NULL,        -- 'fragile_haut' | 'fragile_bas' | 'neutre'
    measure VARCHAR NOT NULL,          -- 'score' | 'taux' | 'effectif'
    grp VARCHAR NOT NULL,              -- 'Fragilité numérique' | 'Population' | 'Revenus' | 'Couverture numérique' | 'Autres indicateurs'
    source VARCHAR NOT NULL,
    vintage VARCHAR,                   -- e.g. '2021-2023', '2021'
    load_id INTEGER NOT NULL
);
CREATE TABLE indicator_values (
    commune_code VARCHAR NOT NULL,     -- current (2025) code
    indicator VARCHAR NOT NULL,
    year INTEGER,                      -- vintage year of the value
    value DOUBLE NOT NULL,
    merged_from VARCHAR,               -- e.g. '93059 93066' when former communes were combined
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL
);
CREATE TABLE lieux (
    id VARCHAR NOT NULL,
    nom VARCHAR NOT NULL,
    commune_code VARCHAR NOT NULL,
    adresse VARCHAR,
    code_postal VARCHAR,
    latitude DOUBLE,                   -- NULL when absent: never invented
    longitude DOUBLE,
    services VARCHAR[],
    programmes VARCHAR[],              -- dispositif_programmes_nationaux, the standard's 11 labels
    typologie VARCHAR[],
    qpv BOOLEAN,
    date_maj DATE,
    source VARCHAR,
    "pivot" VARCHAR,                   -- SIRET or RNA of the structure (quote it: PIVOT is an SQL keyword)
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL
);
ALTER TABLE conseillers ADD COLUMN structure VARCHAR;   -- raison sociale of the structure
ALTER TABLE conseillers ADD COLUMN siret VARCHAR;
-- Rows set aside without being errors (outside the 93, another geographic level, values
-- under statistical secrecy): counted, not stored in rejected_rows.
ALTER TABLE loads ADD COLUMN rows_skipped INTEGER DEFAULT 0;
