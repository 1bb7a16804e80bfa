"""Observatoire de l'inclusion numérique de la Seine-Saint-Denis: code the pages call."""
