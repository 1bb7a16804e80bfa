-- The kind of funder when the funding file says it (colonne « type_financeur ») : État,
-- Département, CAF, EPT, Commune or Partenaire privé. NULL: read from the funder's name
-- (observatoire/sql/_funding_funder_type.sql).
ALTER TABLE funding ADD COLUMN funder_type VARCHAR;
