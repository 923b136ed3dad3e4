"""The main plot's axes: one scale for both unless the data would become a sliver."""

import numpy as np

from app.session import Session
from app.views.plot import MainPlot, equal_scales
from app.views.state import ViewState


def test_equal_scales_unless_the_spreads_differ_more_than_fourfold():
    """Blobs keep one scale; Old Faithful (12-fold) and a flat line of points get their own."""
    rng = np.random.default_rng(0)
    assert equal_scales(rng.normal(size=(100, 2)) * [1, 3])
    assert not equal_scales(rng.normal(size=(100, 2)) * [1, 12])
    assert equal_scales(np.c_[np.arange(5.0), np.zeros(5)])  # one axis has no spread: nothing to fit
    assert equal_scales(np.zeros((0, 2)))


def test_the_plot_follows_the_data_set_and_says_when_scales_differ():
    """Loading Old Faithful frees the aspect and captions why; loading blobs restores it."""
    session = Session(dataset="blobs")
    plot = MainPlot(session=session, view_state=ViewState())
    assert plot.figure.match_aspect and "different scales" not in plot.caption.object
    session.load_dataset("old_faithful")
    assert not plot.figure.match_aspect and "different scales" in plot.caption.object
    session.load_dataset("blobs")
    assert plot.figure.match_aspect
