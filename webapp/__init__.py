"""The Streamlit glue: the only code, with app.py and views/, that imports Streamlit
(widgets, cache, URL state, identity, the server launcher)."""
