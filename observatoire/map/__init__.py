"""The map page's logic without Streamlit, one concern per file:

- choices.py: the reader's choices and their URL form, the mapped values, units, classes,
  title, and `prepare`, which makes the MapView the other files share;
- shapes.py: the official contours or the schematic tile map;
- figure.py: the Plotly figure and the invisible points that make a click select a territory;
- reading.py: the accessible table, the main reading and the notes under the map.

Small counts of people are masked by observatoire.disclosure.
"""
