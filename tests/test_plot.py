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


def test_point_size_grows_with_the_plot_and_shrinks_with_the_count():
    """Issue 13: at least 7 px for a few hundred points on a 1400 x 900 page's plot (a frame of
    about 560 px) and on 1920 x 1080 (800 px); smaller for thousands; never under 3 or over 14."""
    from app.geometry import point_size_px

    for frame in (560, 800):
        assert point_size_px(300, frame, frame) >= 9
        assert point_size_px(500, frame, frame) >= 7
        assert point_size_px(2000, frame, frame) < point_size_px(500, frame, frame)
    assert point_size_px(300, 800, 800) > point_size_px(300, 560, 560)
    assert point_size_px(50_000, 800, 800) == 3.0 and point_size_px(6, 380, 380) == 14.0
    assert point_size_px(0, 0, 0) == 3.0  # no points, no frame yet: no NaN


def test_points_are_sized_in_the_browser_and_visible_under_the_handles():
    """The points' size is the browser-side formula (it knows the frame's size); the handles are
    drawn over the points but see-through, and each number contrasts with its handle as drawn."""
    from bokeh.models import CustomJSExpr

    from app import geometry
    from app.views.plot import HANDLE_ALPHA, handle_label_color

    plot = MainPlot(session=Session(dataset="blobs"), view_state=ViewState())
    renderers = {r.name: r for r in plot.figure.renderers}
    expr = renderers["points"].glyph.size.expr
    assert isinstance(expr, CustomJSExpr) and str(geometry.POINT_SIZE_SCALE) in expr.code
    names = [r.name for r in plot.figure.renderers]
    assert names.index("points") < names.index("means")
    assert renderers["means"].glyph.fill_alpha == HANDLE_ALPHA <= 0.5
    colors = geometry.palette(3)
    ink = [handle_label_color(c) for c in colors]
    assert list(plot.means.data["label_color"]) == ink
    halo = plot.means.data["label_halo"]
    assert [{a, b} for a, b in zip(ink, halo)] == [{"white", "#111111"}] * 3
