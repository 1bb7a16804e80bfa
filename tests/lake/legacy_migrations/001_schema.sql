-- Reference tables: rebuilt from data/reference/ by `python -m etl init`.
CREATE TABLE sources (
    id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    publisher VARCHAR,
    date DATE,
    seed_file VARCHAR
);
CREATE TABLE epts (
    code VARCHAR PRIMARY KEY,          -- SIREN of the EPT
    name VARCHAR NOT NULL
);
CREATE TABLE communes (
    code VARCHAR PRIMARY KEY,          -- current INSEE code
    name VARCHAR NOT NULL,
    ept_code VARCHAR NOT NULL,
    population INTEGER NOT NULL,       -- population municipale
    population_year INTEGER NOT NULL,  -- millésime of the legal population
    postal_codes VARCHAR               -- space-separated
);
CREATE TABLE commune_codes (
    code VARCHAR PRIMARY KEY,          -- any code that designated a 93 commune since 2015
    current_code VARCHAR NOT NULL
);
CREATE TABLE commune_former_names (
    name VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    current_code VARCHAR NOT NULL,
    valid_until DATE,
    source VARCHAR
);

-- Ledger of every load (reference, demonstration, user file).
CREATE SEQUENCE load_id_seq START 1;
CREATE TABLE loads (
    load_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,             -- reference | demo | distributions | funding | targets | programmes
    file_name VARCHAR NOT NULL,
    source_label VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_loaded INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    replaced_at TIMESTAMP              -- set when a later --replace superseded this load
);

CREATE TABLE programmes (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    operator VARCHAR,
    start_date DATE,
    end_date DATE,
    source VARCHAR NOT NULL,           -- sources.id (press release) or a user file's source label
    description VARCHAR,
    load_id INTEGER NOT NULL
);
CREATE TABLE targets (
    programme_id VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,        -- quantite | montant | postes | projets
    item VARCHAR,
    target_value DOUBLE NOT NULL,
    unit VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,            -- departement | ept | commune
    scope_code VARCHAR NOT NULL,
    deadline DATE,
    source VARCHAR NOT NULL,
    label VARCHAR,
    public VARCHAR,                    -- optional filter on distributions.public
    operator VARCHAR,                  -- optional filter on distributions.operator
    funder VARCHAR,                    -- optional filter on funding.funder
    load_id INTEGER NOT NULL
);

-- Facts.
CREATE TABLE distributions (
    date DATE NOT NULL,
    commune_code VARCHAR NOT NULL,
    programme_id VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    quantity INTEGER NOT NULL,
    public VARCHAR,
    operator VARCHAR,
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL
);
CREATE TABLE funding (
    date DATE NOT NULL,
    funder VARCHAR NOT NULL,
    programme_id VARCHAR NOT NULL,
    commune_code VARCHAR,
    ept_code VARCHAR,
    amount_eur DECIMAL(18, 2) NOT NULL,
    scheme VARCHAR,
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL
);
CREATE TABLE conseillers (
    date DATE NOT NULL,
    commune_code VARCHAR NOT NULL,
    programme_id VARCHAR NOT NULL,
    posts INTEGER NOT NULL,
    structure_type VARCHAR,            -- publique | privée
    is_demo BOOLEAN NOT NULL,
    load_id INTEGER NOT NULL
);
CREATE TABLE rejected_rows (
    load_id INTEGER NOT NULL,
    row_number INTEGER NOT NULL,       -- as the user sees it in the spreadsheet
    "column" VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL
);
