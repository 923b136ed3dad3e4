"""Where the lab runs: CPython under ``panel serve`` or Pyodide in the browser (the static site).

Owns: every decision that must differ between the two runtimes, so the rest of the app never tests
``sys.platform`` itself:

- ``IN_BROWSER``: True inside Pyodide (the static site built by ``build.py``).
- ``await load_packages("matplotlib")``: make a package that the static site does not load at
  start-up importable. In Pyodide it fetches the package and its dependencies from the site's own
  ``pyodide-lock.json`` (sha256-checked); under CPython it does nothing (the package is installed).
  The Pyodide build starts without matplotlib (1.4 s of imports), so code that draws with it must be
  an ``async`` callback that awaits this first (Panel awaits async callbacks, FileDownload included).
- ``after_this_update(callback)``: run a long computation after the current changes (a button's
  spinner) have reached the page.
- ``query_string()``: the page's query string (``"?embed=1&k=3"``), the same in both runtimes.
- ``page_is_behind()``: whether changes already made still wait for the page (static site only;
  the worker says so through ``watch_page``): Play takes no half-step then.
- ``prepare_server()``: called by the app under ``panel serve``; fixes Panel's handling of a click
  that arrives while a change is being handled (see its docstring).
- ``prepare_browser()``: called by the static site's worker before the app is imported; adapts
  Panel 1.9 to Pyodide 0.27 (see its docstring). ``prepare_snapshot()``: the same plus every
  import of the lab's start, run by ``build.py`` before it takes the memory snapshot the site
  starts from; ``after_restore()``: run by the worker right after restoring it (fresh random
  state for this page load). ``await save_page()``: the build's last step before that snapshot
  when it holds the lab already built; ``saved_page()`` hands the restored page that
  serialization. ``sync_page_location()``: called by the worker right after Panel's document
  exists, so ``pn.state.location`` describes the page (its query
  string included) in the browser as it does under ``panel serve``.

Must not import anything of the app, nor panel/bokeh/param at module level (it must stay importable
anywhere; ``query_string`` reads Panel's location lazily, under ``panel serve`` only).
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "after_restore", "after_this_update", "load_packages", "page_is_behind",
           "prepare_browser", "prepare_server", "prepare_snapshot", "query_string", "save_page",
           "saved_page", "sync_page_location", "watch_page"]

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
        _collect_package_loader_leftovers()
    _loaded.update(wanted)


def _collect_package_loader_leftovers() -> None:
    """Collect now, quietly, the ZipFiles Pyodide 0.27's package loader leaves open.

    ``pyodide._package_loader`` opens each wheel's temporary file as a ZipFile (``unpack_buffer``,
    ``get_dynlibs``) and never closes it; the temporary file is closed and deleted first. Whenever
    the garbage collector later finds such a ZipFile, its ``__del__`` fails with "Bad file
    descriptor" and Python prints "Exception ignored in ZipFile.__del__" to the console (the
    classroom walk caught it after an export had loaded matplotlib). Collected here, at a known
    moment, those errors are dropped; any other unraisable error still reaches the usual hook.
    """
    import gc
    import sys

    previous = sys.unraisablehook

    def hook(unraisable):
        # The object of a failed __del__ is the method itself: <function ZipFile.__del__ ...>.
        if isinstance(unraisable.exc_value, OSError) and "ZipFile" in repr(unraisable.object):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous


def after_this_update(callback) -> None:
    """Run ``callback`` once what the current callback changed has gone to the page.

    For a long computation behind a button: set the button's spinner, then hand the work to this,
    so the spinner shows while it runs. Under ``panel serve`` the work runs on the server's next
    tick (with the document locked, so it may change Bokeh models); in the browser it runs after
    the worker has sent the current patch. Outside both (plain Python, tests) it runs at once.
    """
    if IN_BROWSER:
        import asyncio

        asyncio.get_event_loop().call_later(0.05, callback)
        return
    import panel as pn

    pn.state.execute(callback, schedule=True)


# Set by the static site's worker (static/worker.js): are changes waiting for the page?
_changes_waiting = None


def watch_page(changes_waiting) -> None:
    """Called by the static site's worker: ``changes_waiting()`` says whether changes already
    made still wait for the page (it has not finished applying the previous ones)."""
    global _changes_waiting
    _changes_waiting = changes_waiting


def page_is_behind() -> bool:
    """True while the page has not yet taken the changes already made: in the browser, the page
    is still drawing the previous ones. Never under ``panel serve`` (the page there is fed over a
    WebSocket, with no word back on when it has drawn)."""
    return _changes_waiting is not None and bool(_changes_waiting())


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


# What Panel's HTML sanitizer keeps: the default allow-list of ammonia (the Rust library behind nh3,
# which Panel uses under CPython), so the browser keeps what `panel serve` keeps.
_ALLOWED_TAGS = frozenset("""
    a abbr acronym area article aside b bdi bdo blockquote br caption center cite code col colgroup
    data dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr
    i img ins kbd li map mark nav ol p pre q rp rt rtc ruby s samp small span strike strong sub
    summary sup table tbody td th thead time tr tt u ul var wbr
""".split())
_ALLOWED_ATTRIBUTES = {
    "*": ["lang", "title"],
    "a": ["href", "hreflang"],
    "bdo": ["dir"],
    "blockquote": ["cite"],
    "col": ["align", "char", "charoff", "span"],
    "colgroup": ["align", "char", "charoff", "span"],
    "del": ["cite", "datetime"],
    "hr": ["align", "size", "width"],
    "img": ["align", "alt", "height", "src", "width"],
    "ins": ["cite", "datetime"],
    "ol": ["start"],
    "q": ["cite"],
    "table": ["align", "char", "charoff", "summary"],
    "tbody": ["align", "char", "charoff"],
    "td": ["align", "char", "charoff", "colspan", "headers", "rowspan"],
    "tfoot": ["align", "char", "charoff"],
    "th": ["align", "char", "charoff", "colspan", "headers", "rowspan", "scope"],
    "thead": ["align", "char", "charoff"],
    "tr": ["align", "char", "charoff"],
}


def _clean_html(text: str) -> str:
    """Panel's HTML sanitizer in the browser: bleach with ammonia's allow-list, disallowed tags
    stripped (their text kept), as nh3.clean does."""
    import bleach

    return bleach.clean(text, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, strip=True)


def prepare_server() -> None:
    """Under ``panel serve``: a click that reaches the server while a change from the page is
    still being handled (an E-step clicked right after opening a tab, which Panel then renders)
    is run with the document locked, as every other change is.

    Panel 1.9 hands such an event to asyncio directly (``state.execute`` runs a coroutine
    function outside Bokeh's document lock); the click's changes then raise Bokeh's "_pending_
    writes should be non-None when we have a document lock" and the click is lost (1 in 8 tries
    of Predict then E-step). Bokeh's next-tick callbacks take the lock and await coroutines.
    """
    from functools import partial

    from panel.io.state import state
    from panel.reactive import Reactive

    def server_event(self, doc, event):
        if doc.session_context and (not state._unblocked(doc) or doc in state._change_callbacks):
            doc.add_next_tick_callback(partial(self._event_coroutine, doc, event))
        else:
            self._comm_event(doc, event)

    Reactive._server_event = server_event


def prepare_browser() -> None:
    """Adapt Panel 1.9 to Pyodide 0.27; the static site's worker calls this before the app runs.

    - Panel 1.9 reads ``pyodide.ffi.jsnull`` (new in Pyodide 0.28). On 0.27 a JS null already
      arrives as None, so any sentinel that nothing equals is correct; without it every
      browser-to-Python change fails with an AttributeError.
    - Binary arrays from the browser (a dragged mean's new coordinates) arrive as
      ``{"type": "bytes", "data": {"buffer": ArrayBuffer}}``. Panel 1.9 turns them into Bokeh
      buffer references in a ``to_py`` default converter, which Pyodide 0.28 calls for plain JS
      objects; 0.27 converts those to dicts itself, so the reference is made after conversion.
    - Panel sanitizes the string data of ReactiveHTML components (and opt-in Markdown) with nh3,
      a compiled package that has no Pyodide 0.27 build here; bleach (pure Python) stands in.
    - Panel counts every browser event as "busy" for its loading indicators, with several rounds
      of ``edit_readonly`` over all of ``pn.state``'s parameters: ~5 ms of each click in
      WebAssembly. The lab shows no busy indicator, so the count is kept only while one exists.
    """
    import pyodide.ffi

    if not hasattr(pyodide.ffi, "jsnull"):  # Pyodide < 0.28
        pyodide.ffi.jsnull = object()
        _reference_buffers_after_to_py()
    from panel.util import HTML_SANITIZER

    HTML_SANITIZER._sanitize = _clean_html
    _count_busy_only_for_indicators()


# What the lab's start imports (the app script Panel's converter wraps, and the worker's own
# glue): imported once before the memory snapshot is taken, so a restored page imports nothing.
# (Found by listing what building the lab imported after these: Panel's Markdown pane, its HTML
# sanitizer, KaTeX, numpy.random.)
SNAPSHOT_IMPORTS = ("panel", "panel.io.pyodide", "panel.io.state", "panel.io.location",
                    "panel.io.browser", "panel.models.katex", "panel.entry_points",
                    "bokeh.plotting", "bokeh.document.events", "bokeh.events", "bokeh.server",
                    "numpy.random", "numpy.ma", "bleach", "bleach.sanitizer", "bleach.linkifier",
                    "markdown", "mdit_py_plugins.anchors", "mdit_py_plugins.deflist",
                    "mdit_py_plugins.footnote", "mdit_py_plugins.tasklists",
                    "bleach._vendor.html5lib.treebuilders.etree",
                    "bleach._vendor.html5lib.treewalkers.etree", "xml.dom", "xml.etree.ElementTree",
                    "secrets", "app.session", "app.urlstate",
                    "app.views")


def prepare_snapshot() -> None:
    """``prepare_browser()`` and every import of the lab's start: what ``build.py`` runs (in node)
    before it takes the memory snapshot that the static site restores instead of importing."""
    import importlib

    prepare_browser()
    for name in SNAPSHOT_IMPORTS:
        importlib.import_module(name)


# The lab's document as build.py serialized it for the page, right before it took the snapshot.
_saved_page: tuple[str, str, str] | None = None


async def save_page() -> None:
    """Serialize the lab's document for the page, as the worker would after a restore, and keep
    the result (JSON strings) in memory: build.py's last step before a snapshot that holds the
    lab already built. Serializing ~300 models is half a second of a restored page's start; the
    document does not change between here and the restore, and a change made after it (Panel
    learning the page's URL, say) reaches the page as the first patch, as any change does."""
    global _saved_page
    from panel.io.pyodide import write_doc

    _saved_page = tuple(await write_doc())


def saved_page() -> tuple[str, str, str]:
    """What ``save_page`` kept: (docs_json, render_items, root_ids), for the page to render."""
    if _saved_page is None:
        raise RuntimeError("this snapshot holds no serialized page")
    return _saved_page


def after_restore() -> None:
    """Give this page load its own random state; the worker calls it right after restoring the
    memory snapshot (which froze the state the build had).

    Python's ``random`` and numpy's legacy global generator were seeded when the snapshot was
    made: seeded again from the browser's entropy here. (The lab draws its randomness from
    ``np.random.default_rng(seed)``, deterministic by design, and ``default_rng()`` without a
    seed reads fresh entropy at each call.) The str hash secret cannot change in a running
    interpreter (every dict in memory depends on it): it stays the build's; it only orders sets.
    """
    import random

    import numpy as np

    random.seed()
    np.random.seed()


def _count_busy_only_for_indicators() -> None:
    from panel.io.state import state

    cls = type(state)
    add, remove = cls._add_busy_event, cls._remove_busy_event

    def add_busy_event(self, event_id):
        if self._indicators:
            add(self, event_id)

    def remove_busy_event(self, event_id):
        if self._indicators or self._busy_counter:
            remove(self, event_id)

    cls._add_busy_event, cls._remove_busy_event = add_busy_event, remove_busy_event


def _reference_buffers_after_to_py() -> None:
    import uuid

    from bokeh.core.serialization import Buffer
    from panel.io import pyodide as pn_pyodide

    convert = pn_pyodide.to_py

    def by_reference(value):
        if isinstance(value, list):
            return [by_reference(v) for v in value]
        if not isinstance(value, dict):
            return value
        data = value.get("data")
        if value.get("type") == "bytes" and isinstance(data, dict) and "buffer" in data:
            raw = data["buffer"]
            raw = raw.to_bytes() if hasattr(raw, "to_bytes") else bytes(raw)
            uid = uuid.uuid4().hex
            pn_pyodide._current_buffers.append(Buffer(id=uid, data=raw))
            return {**value, "data": {"id": uid}}
        return {k: by_reference(v) for k, v in value.items()}

    pn_pyodide.to_py = lambda obj: by_reference(convert(obj))


def sync_page_location() -> None:
    """Fill Panel's Location for the current document from the page's URL (browser only).

    The worker is started as ``<site>/worker.js?<the page's query>``, so its own location gives
    the site's address and the page's query string; the page is the site's index.
    """
    import js
    from panel.io.state import state
    from panel.util import edit_readonly

    worker = js.location
    pathname = str(worker.pathname).rsplit("/", 1)[0] + "/"
    search = str(worker.search or "")
    with edit_readonly(state.location):
        state.location.param.update(
            href=f"{worker.origin}{pathname}{search}", protocol=str(worker.protocol),
            hostname=str(worker.hostname), port=str(worker.port), pathname=pathname,
            search=search,
        )
