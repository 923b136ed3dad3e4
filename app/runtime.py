"""Where the lab runs: CPython under ``panel serve`` or Pyodide in the browser (the static site).

Owns: every decision that must differ between the two runtimes, so the rest of the app never tests
``sys.platform`` itself. Today that is two things:

- ``IN_BROWSER``: True inside Pyodide (the static site built by ``build.py``).
- ``await load_packages("matplotlib")``: make a package that the static site does not load at
  start-up importable. In Pyodide it fetches the package and its dependencies from the site's own
  ``pyodide-lock.json`` (sha256-checked); under CPython it does nothing (the package is installed).
  The Pyodide build starts without matplotlib (1.4 s of imports), so code that draws with it must be
  an ``async`` callback that awaits this first (Panel awaits async callbacks, FileDownload included).
- ``query_string()``: the page's query string (``"?embed=1&k=3"``), the same in both runtimes.

Must not import anything of the app, nor panel/bokeh/param at module level (it must stay importable
anywhere; ``query_string`` reads Panel's location lazily, under ``panel serve`` only).
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "load_packages", "query_string"]

IN_BROWSER = sys.platform == "emscripten"

# Packages already made importable in this process (loading is idempotent, but skipping the JS
# round trip keeps a second export instant).
_loaded: set[str] = set()


async def load_packages(*names: str) -> None:
    """Make the named Pyodide packages importable; a no-op outside the browser.

    Parameters
    ----------
    names : str
        Package names as ``pyodide-lock.json`` spells them (``"matplotlib"``).
    """
    wanted = [name for name in names if name not in _loaded]
    if not wanted:
        return
    if IN_BROWSER:
        import pyodide_js  # the JS module object of the running Pyodide
        from pyodide.ffi import to_js

        # Dependencies come from the lock file too; integrity is checked against its sha256.
        await pyodide_js.loadPackage(to_js(wanted))
    _loaded.update(wanted)


def query_string() -> str:
    """The page's query string including the leading ``?`` (``""`` when there is none).

    In the browser the worker is started as ``worker.js?<the page's query>``, so the worker's own
    location carries it; under ``panel serve`` Panel's location object has it.
    """
    if IN_BROWSER:
        import js

        return str(js.location.search or "")
    import panel as pn  # only under panel serve, where Panel is loaded anyway

    location = pn.state.location
    return str(location.search or "") if location is not None else ""
