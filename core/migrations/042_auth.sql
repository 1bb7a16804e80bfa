-- Who made each load, and loads removed by `python -m etl unload` or the « Données » page
-- (their rows are deleted; the ledger line stays, marked removed).
ALTER TABLE loads ADD COLUMN loaded_by VARCHAR;    -- signed-in e-mail, 'cli', or NULL (before)
ALTER TABLE loads ADD COLUMN removed_at TIMESTAMP;
ALTER TABLE loads ADD COLUMN removed_by VARCHAR;
