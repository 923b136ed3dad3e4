"""EM Lab's Panel entry point: `panel serve app/main.py` (and the Pyodide build's app script).

Owns: the page set-up (Panel extensions, title, the viewport meta and static/page-tweaks.js under
``panel serve``) and one Session + Lab per browser session, opened in the state the page's link
asks for (``app.urlstate``: data set, settings, start, half-steps, parts to hide, a lesson;
``?embed=1`` leaves out the title bar when a course page frames the lab).
"""

from pathlib import Path

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
    if link.lesson is not None:
        # A lesson on points along a line opens the trace lab, a page of its own (imported here:
        # the lab's own start does not need it).
        from app.views.trace_lab import TraceLab, opens_trace_lab

        if opens_trace_lab(link.lesson):
            return TraceLab(lesson=link.lesson, embedded=link.embed, link_notes=list(link.notes))
    session = Session()
    notes = urlstate.apply(session, link)
    return Lab(session=session, embedded=link.embed, hidden=link.hide, link_notes=notes,
               lesson=link.lesson)


# Panel's default page has no viewport meta, so phones lay it out 980 px wide, and Bokeh's page
# needs a few fixes (static/page-tweaks.js). Under `panel serve` the page comes from the document's
# template: a string template extends Panel's own ("base") with both in its empty postamble block
# (in <head>, after BokehJS). Not when build.py converts the app (its document's session has no
# server): the converter leaves out Panel's loading CSS for any template but its own, and
# build.py's finish_html adds the same to the static page.
def page_template() -> str:
    # (Inside the function: the static site runs this script without a __file__.)
    tweaks = (Path(__file__).resolve().parents[1] / "static" / "page-tweaks.js").read_text(
        encoding="utf-8")
    return ('{% block postamble %}<meta name="viewport" content="width=device-width, '
            'initial-scale=1">\n<script>{% raw %}' + tweaks + '{% endraw %}</script>{% endblock %}')


def serve_with_page_template(doc) -> None:
    """Give ``doc`` the viewport meta and page tweaks when a Bokeh server (``panel serve``)
    renders its page, and Panel the server's fix (app.runtime.prepare_server)."""
    context = doc.session_context if doc is not None else None
    if context is not None and context.server_context is not None:
        doc.template = page_template()
        runtime.prepare_server()


def reopen(query: str) -> bool:
    """The static site's start from its memory snapshot: build.py ran this script without a
    query before taking it, so the snapshot holds that page. Bring it to what the page's own
    ``query`` asks for (Lab.open_link: its changes reach the page as the first patch); False,
    with nothing changed, when the link needs a page built afresh (the worker then runs this
    script again)."""
    link = urlstate.parse(query)
    return isinstance(page, Lab) and page.open_link(link)


serve_with_page_template(pn.state.curdoc)
page = create_app()
page.servable(title="EM Lab")
