"""EM Lab's Panel entry point: `panel serve app/main.py` (and the Pyodide build's app script).

Owns: the page set-up (Panel extensions, title) and one Session + Lab per browser session, opened in
the state the page's link asks for (``app.urlstate``: data set, settings, start, half-steps, parts
to hide; ``?embed=1`` leaves out the title bar when a course page frames the lab).
"""

import panel as pn

from app import runtime, urlstate
from app.session import Session
from app.views import Lab

# KaTeX renders the narration's $$ equations; Panel serves it from its own bundled copy.
pn.extension("katex", notifications=False, sizing_mode="stretch_width",
             global_css=["body { background: #f3f4f8; margin: 0; }"])


def create_app(query: str | None = None):
    """One lab (session + views) for one browser session, in the state ``query`` asks for.

    ``query`` defaults to the page's own query string (``?data=iris&k=3&steps=4``).
    """
    link = urlstate.parse(runtime.query_string() if query is None else query)
    session = Session()
    notes = urlstate.apply(session, link)
    return Lab(session=session, embedded=link.embed, hidden=link.hide, link_notes=notes)


create_app().servable(title="EM Lab")
