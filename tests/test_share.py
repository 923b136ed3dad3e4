"""Lesson links in the views, without a browser: the app opens in the link's state, hide flags take
parts off the screen, Share link writes the state back, and ignored values are shown as text."""

import panel as pn
import pytest

from app import urlstate
from app.main import create_app
from app.views.lab import Lab


def _objects(viewable):
    """Every Panel object in a layout, depth first (a Viewer counts, and so does what it shows)."""
    stack, seen = [viewable], []
    while stack:
        obj = stack.pop()
        seen.append(obj)
        if hasattr(obj, "__panel__") and not hasattr(obj, "objects"):
            stack.append(obj.__panel__())
        stack.extend(getattr(obj, "objects", []) or [])
    return seen


def test_the_app_opens_in_the_state_of_its_link():
    """Data set, K, dropped means and half-steps come from the query string."""
    lab = create_app("?data=old_faithful&k=2&means=2,55;4.5,80&steps=3")
    s = lab.session
    assert s.dataset == "old_faithful" and s.n_components == 2
    assert len(s.history) == 4 and s.phase == "M"
    assert s.history[0].mixture.means.tolist() == [[2, 55], [4.5, 80]]
    assert lab.link_notes == [] and not lab.notes.__panel__().visible


def _tab_titles(lab):
    return [title for o in _objects(lab) if isinstance(o, pn.Tabs) for title in o._names]


@pytest.mark.parametrize("part, title", [
    ("restarts", "Restarts"), ("bic", "Model selection"), ("inspect", "Inspect"),
    ("export", "Export"), ("upload", "Data"), ("predict", "Predict"),
])
def test_each_hide_flag_for_a_tab_takes_the_tab_away(part, title):
    """hide=<part> leaves that tab out, and only that one."""
    every = _tab_titles(create_app(""))
    assert title in every
    titles = _tab_titles(create_app(f"?hide={part}"))
    assert title not in titles and len(titles) == len(every) - 1


@pytest.mark.parametrize("part, view", [
    ("share", "share.button"), ("narration", "narration.text"), ("data", "data.picker"),
    ("model", "controls.k_slider"), ("breakit", "controls.break_button"),
    ("kmeans", "controls.mode"), ("keys", "controls.keys"), ("loglik", "loglik.figure"),
])
def test_each_hide_flag_takes_its_part_off_the_screen(part, view):
    """hide=<part> leaves that view out of the layout."""
    def present(lab):
        target = lab
        for name in view.split("."):
            target = getattr(target, name)
        objects = _objects(lab)
        if hasattr(target, "references"):  # a Bokeh figure: look for the pane that shows it
            return any(getattr(o, "object", None) is target for o in objects)
        return any(o is target for o in objects)

    assert present(create_app(""))
    assert not present(create_app(f"?hide={part}"))


def test_the_status_line_stays_when_the_trace_is_hidden():
    """hide=loglik keeps iteration, next half-step and log-likelihood readable as text."""
    lab = create_app("?hide=loglik,narration")
    assert any(o is lab.loglik.status for o in _objects(lab))
    assert any(o is lab.narration.message for o in _objects(lab))


def test_share_link_writes_the_state_and_forgets_it_when_the_lab_moves_on():
    """The copied query reproduces the session; the next half-step clears the stale link."""
    lab = create_app("?data=iris&hide=bic&embed=1")
    lab.session.step()
    lab.share._on_share()
    query = lab.share.query
    assert query == urlstate.encode(lab.session, hide={"bic"}, embed=True)[0]
    assert "hide=bic" in query and "embed=1" in query and "steps=2" in query
    copy = create_app(query)
    assert copy.session.mixture.means.tolist() == lab.session.mixture.means.tolist()
    lab.session.e_step()
    assert lab.share.query == ""


def test_share_link_says_what_it_cannot_carry():
    """Data the learner edited is not in the link, and the button says so."""
    lab = create_app("")
    lab.session.add_point((0.0, 0.0))
    lab.share._on_share()
    assert lab.share.notes.visible and "not part of the link" in lab.share.notes.object


def test_ignored_values_are_listed_as_text_until_dismissed():
    """A hostile value reaches the page escaped, and Dismiss removes the notes."""
    lab = create_app("?k=<script>alert(1)</script>&reg=NaN")
    html = lab.notes.text.object
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#x27;reg&#x27;" in html
    assert lab.notes.__panel__().visible
    lab.notes._on_dismiss()
    assert not lab.notes.__panel__().visible and lab.notes.text.object == ""


def test_a_lab_made_directly_has_everything():
    """Lab(session=...) without a link shows every part (the default for other callers)."""
    from app.session import Session

    lab = Lab(session=Session())
    assert lab.hidden == frozenset() and lab.link_notes == []
