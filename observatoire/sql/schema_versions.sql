-- Migrations applied to the warehouse (core/migrations), to ask for `python -m etl migrate`
-- when this code needs newer ones.
SELECT version FROM schema_migrations
