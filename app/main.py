"""EM Lab's Panel entry point: `panel serve app/main.py` (and the Pyodide build's app script).

Owns: the page set-up (Panel extensions, title) and one Session + Lab per browser session. Add
``?embed=1`` to the URL to leave out the title bar when a course page frames the lab.
"""

import panel as pn

from app.session import Session
from app.views import Lab

# KaTeX renders the narration's $$ equations; Panel serves it from its own bundled copy.
pn.extension("katex", notifications=False, sizing_mode="stretch_width",
             raw_css=["body { background: #f3f4f8; margin: 0; }"])


def _embedded() -> bool:
    args = {}
    if pn.state.location is not None and pn.state.location.query_params:
        args = pn.state.location.query_params
    elif pn.state.session_args:
        args = {k: v[0].decode() if isinstance(v[0], bytes) else v[0]
                for k, v in pn.state.session_args.items() if v}
    return str(args.get("embed", "")).lower() in ("1", "true", "yes")


def create_app():
    """One lab (session + views) for one browser session."""
    return Lab(session=Session(), embedded=_embedded())


create_app().servable(title="EM Lab")
