"""The static site's start from its memory snapshot opens a link's page from the lab built
without a query (Lab.open_link via app.main.reopen): the page it gives must be the one the link
gives when the lab is built for it (create_app), and the changes must reach the page.

The document is held while the lab takes the link, as in the browser's worker (Panel holds its
document until the page is linked): Bokeh then runs model callbacks late, when it is released.
"""

import html

import panel as pn
import pytest
from bokeh.document import Document

from app import urlstate
from app.main import create_app
from app.views.lab import Lab

# Links the saved lab takes: settings, a data set, half-steps, dropped means, embed, tabs hidden,
# lessons (they hide tabs), bad values (notes).
TAKEN = ["?embed=1", "?data=iris&k=4&steps=3", "?data=old_faithful&k=2&cov=diag&steps=5",
         "?k=3&means=0,0;1,1;-2,3&steps=2", "?lesson=soft-vs-hard", "?lesson=local-optima&embed=1",
         "?hide=bic,restarts,upload&data=six_points", "?k=abc&steps=-4&data=nope",
         "?lesson=no-such-lesson", "?mode=kmeans&steps=4&tol=1e-6", "?hide=data",
         "?lesson=shapes&hide=share,data", "?hide=narration,loglik&steps=2",
         "?embed=1&hide=loglik,restarts", "?hide=narration&data=six_points",
         # static/embed-example.html's second frame
         "?embed=1&data=old_faithful&k=2&means=2,55;4.5,80&steps=3"
         "&hide=restarts,bic,upload,export,share"]
# Links that need views built otherwise.
REFUSED = ["?hide=breakit", "?hide=data,keys", "?hide=narration,model", "?lesson=trace-lab"]


def _page(lab):
    """What a learner sees of a lab, in comparable form."""
    s = lab.session
    tabs = list(lab._tabs._names) if lab._tabs_card.visible else []
    return dict(
        data=s.data_name, k=s.n_components, cov=s.covariance_type, mode=s.mode, tol=s.tol,
        iteration=s.iteration, phase=s.phase, narration=s.narration, message=s.message,
        trace=[round(float(v), 10) for v in s.trace()["value"]],
        means=[round(float(v), 10) for v in s.mixture.means.ravel()],
        link=urlstate.encode(s, hide=lab.hidden, embed=lab.embedded)[0],
        embedded=lab.embedded, hidden=sorted(lab.hidden), tabs=tabs,
        notes=[html.unescape(n) for n in lab.link_notes], notes_shown=lab.notes._layout.visible,
        lesson=(lab.lesson_run.lesson.name if lab.lesson_run.running else None,
                lab.lesson_run.step),
        header=len(lab._layout.objects) == 2,
        status=lab.loglik.status.object, share=lab.share.hidden,
        left=[type(card.objects[0]).__name__ for card in lab._left],
        right=[[type(o).__name__ for o in getattr(part, "objects", [part])] for part in lab._right],
        trace_card=[type(o).__name__ for o in lab._trace_card],
    )


def _held_reopen(query):
    lab = create_app("")
    doc = Document()
    root = pn.panel(lab).get_root(doc)
    doc.add_root(root)
    doc.hold("combine")
    taken = lab.open_link(urlstate.parse(query))
    sent = []
    doc.on_change(sent.append)
    doc.unhold()  # (the worker links the page: late callbacks run, the changes go out)
    return lab, taken, sent, doc, root


@pytest.mark.parametrize("query", TAKEN)
def test_a_link_opened_from_the_saved_lab_is_the_page_built_for_it(query):
    lab, taken, sent, doc, root = _held_reopen(query)
    assert taken
    built = create_app(query)
    assert isinstance(built, Lab)
    assert _page(lab) == _page(built)
    # The same root (the page's copy is that document), and the changes were sent.
    assert doc.roots == [root] and sent


@pytest.mark.parametrize("query", REFUSED)
def test_a_link_the_saved_lab_cannot_take_changes_nothing(query):
    lab, taken, sent, doc, root = _held_reopen(query)
    assert not taken
    assert _page(lab) == _page(create_app("")) and not sent


def test_the_page_without_a_query_is_taken_as_it_is():
    """No query: the saved lab is the page; nothing changes, nothing is sent."""
    lab, taken, sent, doc, root = _held_reopen("")
    assert taken and not sent


def test_cards_taken_out_by_a_link_leave_the_status_line_live():
    """A link hiding the trace and the narration takes them out of the saved lab's page; the
    status line, moved into the trace's card on its own, still reaches the page."""
    lab, taken, sent, doc, root = _held_reopen("?hide=narration,loglik")
    assert taken
    lab.session.e_step()
    status = lab.loglik.status._models[root.ref["id"]][0]
    assert status in set(doc.models)
    assert 'data-iteration="1"' in html.unescape(status.text)
    assert lab._loglik_view not in lab._trace_card and lab._talk_card not in lab._right
