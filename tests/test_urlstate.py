"""Lesson links: the query string is validated, applied to a session and written back."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import urlstate
from app.session import Session


def test_every_setting_parses():
    """A full, valid link sets every setting it names."""
    state = urlstate.parse(
        "?data=old_faithful&k=2&cov=diag&reg=0&init=random&seed=7&mode=kmeans&tol=1e-4"
        "&means=1.5,50;4.5,80&steps=3&hide=bic,upload&embed=1"
    )
    assert state.notes == ()
    assert state.dataset == "old_faithful"
    assert state.settings == {"n_components": 2, "covariance_type": "diag", "reg_covar": 0.0,
                              "init": "random", "seed": 7, "mode": "kmeans", "tol": 1e-4}
    np.testing.assert_array_equal(state.means, [[1.5, 50], [4.5, 80]])
    assert state.steps == 3 and state.embed and state.hide == {"bic", "upload"}


@pytest.mark.parametrize(
    "query, ignored",
    [
        ("k=<script>alert(1)</script>", "&#x27;k&#x27;"),
        ("k=1e309", "whole number from 1 to 15"),
        ("k=99", "whole number from 1 to 15"),
        ("reg=NaN", "a number from 0 to 1"),
        ("reg=inf", "a number from 0 to 1"),
        ("seed=-1", "whole number from 0"),
        ("cov=__import__('os')", "full | tied | diag | spherical"),
        ("data=../../etc/passwd", "expected one of old_faithful"),
        ("means=1,2;3", "one finite pair per component"),
        ("means=nan,1;2,3", "one finite pair per component"),
        ("steps=100000", "whole number from 0 to 200"),
        ("embed=yes", "expected 1 or 0"),
        ("onload=alert(1)", "unknown setting"),
        ("hide=bic,<b>everything</b>", "can be hidden"),
        ("k=2&k=3", "each setting counts once"),
        ("k=2&means=0,0;1,1;2,2", "gives 3 means but k is 2"),
    ],
)
def test_hostile_values_are_ignored_with_a_note(query, ignored):
    """Unknown, malformed or huge values are dropped and named; nothing of them is kept."""
    state = urlstate.parse(query)
    assert any(ignored in note for note in state.notes), state.notes
    assert all("<" not in note for note in state.notes)  # escaped, never HTML


def test_a_huge_query_is_ignored_whole():
    """A query longer than the limit is not parsed at all."""
    state = urlstate.parse("k=2&" + "x" * 10_000)
    assert state.settings == {} and "longer than" in state.notes[0]


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(query):
    """Whatever the query string, parse returns a UrlState and its notes hold no raw markup."""
    state = urlstate.parse(query)
    assert isinstance(state, urlstate.UrlState)
    assert all("<" not in note and ">" not in note for note in state.notes)


def test_apply_loads_data_settings_means_and_steps():
    """Applying a link loads the data set, settings and dropped means, then takes the half-steps."""
    session = Session()
    state = urlstate.parse("data=old_faithful&k=2&cov=full&means=2,55;4.5,80&steps=3")
    notes = urlstate.apply(session, state)
    assert notes == []
    assert session.dataset == "old_faithful" and session.n_components == 2
    np.testing.assert_allclose(session.history[0].mixture.means, [[2, 55], [4.5, 80]])
    assert len(session.history) == 4 and session.phase == "M"


def test_share_link_round_trips():
    """encode then parse and apply reproduces the mixture of the session it came from."""
    session = Session()
    session.load_dataset("old_faithful")
    session.param.update(n_components=3, covariance_type="tied", seed=5)
    for _ in range(5):
        session.step()
    query, notes = urlstate.encode(session)
    assert notes == [] and "means=" not in query
    copy = Session()
    assert urlstate.apply(copy, urlstate.parse(query)) == []
    np.testing.assert_allclose(copy.mixture.means, session.mixture.means, rtol=1e-12)
    assert len(copy.history) == len(session.history)


def test_share_link_carries_dragged_means():
    """After a drag, the link holds the dropped means, so the copy starts where the learner did."""
    session = Session()
    session.load_dataset("blobs")
    session.move_means(session.mixture.means + 0.5)
    session.step()
    query, _ = urlstate.encode(session)
    assert "means=" in query
    copy = Session()
    urlstate.apply(copy, urlstate.parse(query))
    np.testing.assert_allclose(copy.mixture.means, session.mixture.means, rtol=1e-5)


def test_uploaded_data_is_named_as_missing_from_the_link():
    """A session on the learner's own data says the link cannot carry it."""
    session = Session()
    session.set_data(np.random.default_rng(0).normal(size=(50, 2)), name="mine")
    _, notes = urlstate.encode(session)
    assert "not part of the link" in notes[0]


def test_share_link_keeps_the_lesson_it_was_opened_with():
    """hide and embed from the opening link are written back, so a shared lesson stays a lesson."""
    session = Session()
    query, _ = urlstate.encode(session, hide={"bic", "upload", "not-a-part"}, embed=True)
    state = urlstate.parse(query)
    assert state.hide == {"bic", "upload"} and state.embed and state.notes == ()


def test_share_link_replays_at_most_the_steps_a_link_may_ask_for():
    """A long run is cut to MAX_STEPS half-steps in the link, and the note says so."""
    session = Session()
    session.param.update(tol=0.0)
    for _ in range(urlstate.MAX_STEPS // 2 + 5):
        session.step()
    query, notes = urlstate.encode(session)
    assert f"steps={urlstate.MAX_STEPS}" in query
    assert any(f"first {urlstate.MAX_STEPS}" in note for note in notes)
    assert urlstate.parse(query).notes == ()
