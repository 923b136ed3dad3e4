"""The trace lab's page without a browser (app.views.trace_lab): buttons act on the session, the
sources and panes follow it, numbers read as numbers and words as words."""

from __future__ import annotations

import numpy as np
import pytest

from app import em1d
from app.views.trace_lab import TraceLab, number, opens_trace_lab, status_text
from test_learner_text import code_in


def code(text):
    """What reads as code in ``text``; '=' in an arithmetic chain ('0.5 × 0.54 = 0.27') is maths."""
    return [found for found in code_in(text) if not found.startswith("= after")]


def click(button):
    button.clicks += 1


def test_buttons_take_half_steps_and_the_sources_follow():
    """E-step and M-step buttons act on the session; the curves' sources hold em1d's curves."""
    lab = TraceLab(lesson="trace-lab")
    s = lab.session
    assert lab.run.running and lab.run.step == 0
    assert lab.m_button.disabled and not lab.e_button.disabled and lab.back_button.disabled
    x_range = (lab.x_range.start, lab.x_range.end)
    click(lab.e_button)
    assert s.half_steps == 1 and lab.run.step == 1 and lab.e_button.disabled
    click(lab.m_button)
    assert s.half_steps == 2 and lab.run.step == 2
    grid = np.asarray(lab.mixture.data["x"])
    curves = em1d.density_curves(s.X, s.mixture, grid)
    np.testing.assert_allclose(lab.mixture.data["y"], curves.mixture)
    np.testing.assert_allclose(lab.components.data["ys"][1], curves.components[:, 1])
    np.testing.assert_allclose(lab.means.data["x"], s.mixture.means)
    assert lab.points.data["label"] == ["x1", "x2", "x3", "x4", "x5", "x6"]
    assert "μ₁ = 3.300 / 3.000 = <b>1.100</b>" in lab.component_sums.object
    assert (lab.x_range.start, lab.x_range.end) == x_range  # the view holds still
    np.testing.assert_array_equal(grid[[0, -1]], x_range)
    click(lab.back_button)
    assert s.half_steps == 1
    click(lab.reset_button)
    assert s.half_steps == 0 and lab.run.step == 2  # the lesson keeps its progress


def test_keys_take_half_steps():
    """e, m, ← and r through the page's key hook."""
    lab = TraceLab()
    s = lab.session
    for key, expected in (("e", 1), ("m", 2), ("left", 1), ("space", 2), ("r", 0)):
        lab.keys.param.update(key=key, presses=lab.keys.presses + 1)
        assert s.half_steps == expected, key


def test_status_line_counts_the_four_traced_half_steps():
    """'Step n/4: E-step ...' for the four traced half-steps, then the half-step's number."""
    lab = TraceLab()
    s = lab.session
    assert status_text(s).startswith("Step 1/4: E-step: compute how much each Gaussian")
    s.e_step()
    assert status_text(s).startswith("Step 2/4: M-step")
    s.m_step(); s.e_step(); s.m_step()
    assert status_text(s).startswith("Half-step 5: E-step")


def test_numbers_and_words_on_the_page():
    """2 to 4 significant digits, '−' for minus, never NaN; no code in what a learner reads,
    through four half-steps and a collapse."""
    assert [number(v) for v in (0.99987, -10.3128, 6.96e-5, 0.0, float("nan"), 2.5e7)] == [
        "0.9999", "−10.31", "6.96 × 10⁻⁵", "0", "—", "2.50 × 10⁷"]
    lab = TraceLab(lesson="trace-lab")
    s = lab.session
    for _ in range(4):
        s.step()
        for pane in (lab.status, lab.table, lab.point_sums, lab.component_sums, lab.message):
            text = str(pane.object)
            assert "nan" not in text.lower() and "inf" not in text.lower()
            assert not code(text), code(text)
    s.set_start([2.0, 5.5], [3.0, 0.01], [0.5, 0.5])
    for _ in range(6):
        s.step()
    assert s.collapse and "collapsed" in lab.status.object and lab.message.visible
    assert not code(lab.message.object)
    assert np.all(np.isfinite(lab.y_range.end)) and lab.y_range.end > 0


@pytest.mark.parametrize("name, expected", [("trace-lab", True), ("soft-vs-hard", False),
                                            (None, False), ("nope", False)])
def test_which_links_open_the_trace_lab(name, expected):
    """Only a lesson on 1-D data opens the trace lab."""
    assert opens_trace_lab(name) is expected
