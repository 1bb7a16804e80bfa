"""ETL: reference data, migrations, demonstration records and user files → DuckDB warehouse."""
