"""The data sets EM Lab ships: CSV files plus ``index.json`` (their metadata), read by ``app.data``.

This folder installs as the package ``app.datasets`` (see pyproject.toml), so the files are found
through ``importlib.resources`` in a wheel, an editable install and Pyodide alike. It holds data
only: no code may be added here. Regenerate the generated sets with ``python -m app.generators``.
"""
