"""The SQL layer: models, engine, and the facade modules that hold every query.

Nothing outside ``iaas.db`` writes SQL. Drivers never import this package
(``tools/check_layering.py`` enforces it).
"""
