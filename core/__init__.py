"""What the ETL and the dashboard share: settings, and the warehouse file (store).

Imports nothing of etl/, observatoire/ or views/, and no Streamlit."""
