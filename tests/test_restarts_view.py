"""The Restarts tab marks where the current fit stands among the restarts' optima (issue 13)."""

import numpy as np
import pytest

from app.session import Session
from app.views.explore import RestartsExplorer, fit_standing


@pytest.fixture
def explorer():
    return RestartsExplorer(session=Session(dataset="blobs"))


def test_fit_standing():
    """Same as an optimum (within the tolerance), between two, above or below all of them."""
    optima = [-2.0, -2.5, -3.0]
    assert fit_standing(-2.00001, optima) == ("same", 0)
    assert fit_standing(-2.5, optima) == ("same", 1)
    assert fit_standing(-2.7, optima) == ("between", 1)
    assert fit_standing(-2.2, optima) == ("between", 0)
    assert fit_standing(-1.0, optima) == ("above", None)
    assert fit_standing(-3.5, optima) == ("below", None)
    assert fit_standing(-2.04, optima, same=0.05) == ("same", 0)


def test_nothing_marked_before_restarts_run(explorer):
    """No restarts, no line and no sentence."""
    assert not explorer.current.visible and not explorer.standing.visible


def test_current_fit_is_marked_among_the_optima(explorer):
    """After the restarts, the dashed line sits at the current fit (and follows it); dragged into a
    poor optimum, the fit is named below the restarts' optima and the axis takes it in."""
    s = explorer.session
    s.run_restarts(6)
    assert explorer.current.visible and explorer.current_label.visible
    assert explorer.current.location == pytest.approx(s.current_log_likelihood() / len(s.X))
    assert "not converged yet" in explorer.standing.object
    s.run()
    assert explorer.current.location == pytest.approx(s.current_log_likelihood() / len(s.X))
    assert "the best optimum" in explorer.standing.object
    means = np.array(s.mixture.means)
    # Two means on one blob, one between the other two: EM ends on a poorer hill.
    s.move_means(np.array([means[0], means[0] + 0.3, (means[1] + means[2]) / 2]))
    s.run()
    value = s.current_log_likelihood() / len(s.X)
    assert value < min(explorer.source.data["value"]) - 0.1
    assert explorer.current.location == pytest.approx(value)
    assert "below every restart" in explorer.standing.object
    x_range = explorer.figure.x_range
    assert x_range.start < value < max(explorer.source.data["value"]) < x_range.end
    assert explorer.standing.visible
    s.n_components = 2  # the restarts are stale: gone, and so is the mark
    assert not explorer.current.visible and not explorer.standing.visible


def test_restarts_are_numbered_from_one(explorer):
    """The picker and the tooltip count restarts as the messages do: from 1."""
    explorer.session.run_restarts(3)
    assert all(label.startswith(f"#{i + 1} ") for i, label in enumerate(explorer.picker.options))
    assert list(explorer.source.data["number"]) == [1, 2, 3]
