"""Panel's stylesheets for a pane whose model is out of the document stay on this server.

``pn.Tabs(dynamic=True)`` takes a closed tab's models out of the Bokeh document. A view that
changes a pane in a closed tab (the Inspect table on every half-step while a point is pinned)
makes Panel 1.9.4 rebuild the pane's properties for ``model.document``, which is then None, and
with no document Panel resolves stylesheets against its CDN (``reactive.py``: ``dist_url =
CDN_DIST``). It even rewrites the shared ``loading.css`` stylesheet in place, so every model that
uses it (~76) then names https://cdn.holoviz.org, and the page asks the CDN for it and for the
theme's CSS: requests off this machine, failed in a classroom without internet.

The fix is at that fallback: a component's properties are built for the document being served
(``pn.state.curdoc``: the session's under ``panel serve``, the page's in Pyodide) when its model
has none, exactly as for a model in the document. Nothing else changes. Installed once, on import
of ``app.views``. Imports panel only.
"""

from __future__ import annotations

import functools

from panel.io.state import state
from panel.reactive import Reactive


def _for_current_document(method, keyword: bool):
    if getattr(method, "_emlab_current_document", False):
        return method

    if keyword:
        @functools.wraps(method)
        def wrapper(self, *events, doc, **kwargs):
            return method(self, *events, doc=doc if doc is not None else state.curdoc, **kwargs)
    else:
        @functools.wraps(method)
        def wrapper(self, doc, *args, **kwargs):
            return method(self, doc if doc is not None else state.curdoc, *args, **kwargs)
    wrapper._emlab_current_document = True
    return wrapper


def install() -> None:
    """Make Panel build a detached model's properties for the current document (idempotent)."""
    Reactive._get_properties = _for_current_document(Reactive._get_properties, keyword=False)
    Reactive._update_properties = _for_current_document(Reactive._update_properties, keyword=True)
