"""Packaged fixtures (a package so that the ``*.json``/``*.json.gz`` package-data globs ship them)."""
