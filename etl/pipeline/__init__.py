"""The steps of the one loading pipeline run by etl/load.py for every kind of file: read.py,
columns.py, stage.py, resolve.py, validate.py (the row kinds' SQL), kinds.py (what each kind
plugs in), write.py (the one transaction), shipped.py (init's reference files), rejects.py,
result.py. This file imports none of them (no import cycle through the package)."""
