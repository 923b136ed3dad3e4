"""Predict, then reveal (app.prediction) and its tab (app.views.predict), without a browser."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.events import Tap

from app.prediction import Prediction
from app.session import Session
from app.views.state import ViewState


@pytest.fixture
def setup():
    session, view_state = Session(), ViewState()
    return session, view_state, Prediction(session=session, view_state=view_state)


def test_means_are_guessed_before_an_m_step_and_revealed_by_it(setup):
    s, _, p = setup
    assert not p.start_means()  # the next half-step is an E-step
    assert "E-step" in p.outcome and p.kind is None
    s.e_step()
    assert p.start_means() and p.kind == "means"
    guesses = [(0.0, 0.0), (1.0, 2.0), (-3.0, 4.0)]
    for x, y in guesses:
        assert not p.ready
        assert p.place(x, y)
    assert p.ready and not p.place(9.0, 9.0)  # one guess per component
    s.m_step()
    means = np.asarray(s.mixture.means)
    expected = np.hypot(*(np.asarray(guesses) - means).T)
    np.testing.assert_allclose(p.revealed["distances"], expected)
    np.testing.assert_allclose(p.revealed["means"], means)
    assert p.kind is None and p.count == 1
    assert p.outcome.count("off by") == 3 and "component 3" in p.outcome
    assert p.guesses  # the guesses stay on the plot beside the truth


def test_a_points_colour_is_guessed_before_an_e_step(setup):
    s, view_state, p = setup
    assert not p.start_colour() and "Click a point" in p.outcome  # nothing pinned
    view_state.pinned = 7
    assert p.start_colour() and p.point == 7
    s.e_step()  # taken before choosing: called off, not judged
    assert p.kind is None and p.count == 0 and "called off" in p.outcome
    assert not p.start_colour()  # an M-step is next
    s.m_step()
    for guess in (0, 1):
        assert p.start_colour() and p.choose(guess)
        s.step()  # the whole iteration reveals the E-step in it
        resp = s.resp[7]
        assert p.revealed["right"] == (int(np.argmax(resp)) == guess)
        np.testing.assert_allclose(p.revealed["resp"], resp)
        assert "Point #8" in p.outcome
        assert ("Right" in p.outcome) == p.revealed["right"]
    assert p.count == 2


def test_a_prediction_is_called_off_when_the_fit_starts_again(setup):
    s, _, p = setup
    s.e_step()
    p.start_means()
    p.place(0.0, 0.0)
    s.reset()
    assert p.kind is None and "called off" in p.outcome and p.guesses == ()
    s.e_step()
    p.start_means()
    for _ in range(3):
        p.place(1.0, 1.0)
    s.m_step()
    assert p.guesses
    s.n_components = 2  # another K: the old marks go
    assert p.guesses == () and p.revealed is None


def test_nothing_to_predict_during_a_collapse(setup):
    s, _, p = setup
    s.break_it()
    for _ in range(60):
        if s.collapse:
            break
        s.step()
    assert s.collapse
    assert not p.start_means() and not p.start_colour()


def test_the_tab_places_guesses_on_the_plot_and_draws_the_misses():
    from app.views import Lab
    lab = Lab(session=Session())
    s, panel = lab.session, lab.predict
    figure = lab.plot.figure
    s.e_step()
    panel.means_button.clicks += 1
    assert lab.view_state.guessing and panel.cancel_button.visible
    for x, y in [(0.0, 0.0), (1.0, 1.0), (2.0, -1.0)]:
        figure._trigger_event(Tap(figure, x=x, y=y))
    assert list(panel.guesses.data["label"]) == ["1", "2", "3"]
    assert lab.view_state.pinned is None  # the clicks were guesses, not pins
    s.m_step()
    assert not lab.view_state.guessing
    np.testing.assert_allclose(panel.misses.data["x1"], np.asarray(s.mixture.means)[:, 0])
    assert "off by" in panel.outcome.object
    # colour: pin a point, choose component 2
    lab.view_state.pinned = 0
    panel.colour_button.clicks += 1
    assert panel.choice.visible and panel.choice.options == ["1", "2", "3"]
    panel.choice.value = "2"
    assert lab.predict.prediction.component == 1
    s.e_step()
    assert "Point #1" in panel.outcome.object and not panel.choice.visible
