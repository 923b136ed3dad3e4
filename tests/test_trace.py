"""The trace's axes (issue 13): the half-step axis starts at 0 and shows a few half-steps from the
start; the y-range follows the log-likelihood once the start's ELBO, far below, would squash it,
and that point is marked at the bottom edge instead."""

import html

import numpy as np
import pytest

from app.session import Session
from app.views.loglik import MIN_HALF_STEPS, LogLikelihoodPlot, trace_x_range, trace_y_range


@pytest.fixture
def trace():
    return LogLikelihoodPlot(session=Session(dataset="blobs"))


def _half_step(s):
    s.e_step() if s.phase == "E" else s.m_step()


def test_half_step_axis_starts_at_zero_and_shows_a_few_half_steps(trace):
    """At iteration 0 the axis reads 0..6 (guards the old window of −0.5..0.5 around one point),
    whole numbers only, and it grows with a long run."""
    x_range = trace.figure.x_range
    assert -0.5 < x_range.start < 0 and MIN_HALF_STEPS < x_range.end < MIN_HALF_STEPS + 1
    assert trace.figure.xaxis.ticker.min_interval == 1
    s = trace.session
    for _ in range(3):
        _half_step(s)
    assert (x_range.start, x_range.end) == trace_x_range([0])  # no rescale in the first steps
    for _ in range(9):
        _half_step(s)
    steps = trace.curve.data["step"]
    assert x_range.start < 0 and max(steps) == 12 < x_range.end < 13


def test_x_range_of_a_long_run():
    """200 half-steps: the axis still starts just before 0 and ends past 200, at the next
    multiple of MIN_HALF_STEPS (204) and its small pad."""
    start, end = trace_x_range(np.arange(201))
    assert -5 < start < 0 and 204 < end < 209


def test_x_range_grows_three_iterations_at_a_time():
    """The half-step axis changes only when the trace passes a multiple of MIN_HALF_STEPS: the
    points step into room already there instead of the axis rescaling on every half-step."""
    ends = [trace_x_range(np.arange(last + 1))[1] for last in range(0, 25)]
    assert len(set(ends)) == 4  # 0..6, 7..12, 13..18, 19..24
    assert all(last < end for last, end in enumerate(ends))


def test_y_range_holds_still_late_in_a_run(trace):
    """Once EM's half-steps change the log-likelihood by little, the y-range stops following
    every M-step (no new range to send): it still holds every point, and it is fitted again
    when they no longer fit or fill too little of it."""
    from app.views.loglik import steady_range

    s, y_range = trace.session, trace.figure.y_range
    ranges = []
    for _ in range(40):
        _half_step(s)
        ranges.append((y_range.start, y_range.end))
        values = np.concatenate([trace.curve.data["value"], trace.curve.data["lower_bound"][1:]])
        assert y_range.start < values.min() and values.max() < y_range.end
    assert len(set(ranges[-20:])) == 1, "the range still moved in the last ten iterations"
    assert steady_range((0.0, 10.0), (1.0, 9.5)) == (0.0, 10.0)     # holds, fills 85%
    assert steady_range((0.0, 10.0), (1.0, 10.5)) == (1.0, 10.5)    # no longer holds it
    assert steady_range((0.0, 10.0), (4.0, 9.0)) == (4.0, 9.0)      # would fill only half


def test_start_elbo_far_below_is_left_off_the_scale_and_marked(trace):
    """From the first M-step on, the y-range follows the log-likelihood; the start's ELBO, below
    everything else, is not in the range, and a marker with its value sits inside the bottom
    edge."""
    s, y_range = trace.session, trace.figure.y_range
    elbo0 = trace.curve.data["lower_bound"][0]
    _half_step(s)  # E: the ELBO rises to touch the log-likelihood; both points still in range
    assert y_range.start < elbo0 and len(trace.off_scale.data["step"]) == 0
    _half_step(s)  # M
    values, lower = trace.curve.data["value"], trace.curve.data["lower_bound"]
    assert elbo0 < min(min(values), min(lower[1:]))
    assert elbo0 < y_range.start < min(min(values), min(lower[1:]))
    assert max(values) < y_range.end
    marked = trace.off_scale.data
    assert list(marked["step"]) == [0]
    assert y_range.start < marked["y"][0] < min(values)
    # Its value is in the legend (an entry of its own while it is off the scale).
    legend = html.unescape(trace.legend.object)
    assert "off the scale" in legend and "start's ELBO" in legend
    assert f"{abs(elbo0):.2f}" in trace.legend.object
    # The curve's span uses most of the height (it was squashed into the top third before).
    assert (max(values) - min(values)) / (y_range.end - y_range.start) > 0.6
    s.run()
    assert list(trace.off_scale.data["step"]) == [0]
    s.reset()  # a new start: nothing off the scale
    assert len(trace.off_scale.data["step"]) == 0 and y_range.start < elbo0
    assert "off the scale" not in trace.legend.object


def test_y_range_keeps_a_start_elbo_that_is_not_below():
    """Nothing is off the scale when the start's ELBO is not below the rest, in k-means (where the
    bound is the value) or with fewer than three rows."""
    kind = np.array(["init", "E", "M"], dtype=object)
    (low, high), off = trace_y_range([-3.0, -3.0, -2.5], [-3.0, -3.0, -2.6], kind)
    assert not off.any() and low < -3.0 and high > -2.5
    (low, _), off = trace_y_range([-3.0, -3.0], [-9.0, -3.0], kind[:2])
    assert not off.any() and low < -9.0
    (low, high), off = trace_y_range([-3.0, -3.0, -2.5], [-9.0, -3.0, -2.6], kind)
    assert list(off) == [True, False, False] and -9.0 < low < -3.0 and high > -2.5
    (low, _), off = trace_y_range([5.0, 4.0, 3.0], [5.0, 4.0, 3.0],
                                  np.array(["E", "M", "E"], dtype=object))
    assert not off.any() and low < 3.0


def test_kmeans_trace_has_no_off_scale_marker(trace):
    """In k-means the curve is the inertia, with no separate bound: nothing is marked."""
    s = trace.session
    s.mode = "kmeans"
    for _ in range(6):
        _half_step(s)
    assert len(trace.off_scale.data["step"]) == 0
