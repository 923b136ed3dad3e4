"""Views without a browser: act on the Bokeh sources and widgets as the browser would, then assert
what the session and the sources hold (Bokeh fires on_change without a document)."""

import asyncio
import concurrent.futures
import html
import re
from pathlib import Path

import numpy as np
import panel as pn
import pytest
from bokeh.events import Tap

from app import data, geometry, runtime
from app.session import Session
from app.views import Lab
from app.views.controls import REG_COVAR_OPTIONS, is_disabled, nearest_reg_option
from app.views.data import DROP_INVALID_LABEL
from app.views.explore import group_optima
from app.views.loglik import format_number, padded_range
from app.views.narration import markdown_with_math_to_html


@pytest.fixture
def lab():
    return Lab(session=Session())


def _finite_everywhere(source):
    for name, column in source.data.items():
        values = np.asarray(column)
        if values.dtype.kind == "f":
            assert np.all(np.isfinite(values)), f"{name} holds NaN/inf"
        elif values.dtype == object:
            for v in values:
                if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                    assert np.all(np.isfinite(v)), f"{name} holds NaN/inf"


# ---------------------------------------------------------------------------------- main plot


def test_dragging_the_means_source_reseeds_the_session(lab):
    """Assigning new handle positions (what a finished drag does) re-seeds EM at the drop points."""
    s, plot = lab.session, lab.plot
    s.e_step()
    s.m_step()
    assert len(s.history) == 3
    dropped = np.array([[-5.0, -5.0], [0.0, 6.0], [5.0, 5.0]])
    plot.means.data = dict(plot.means.data, x=list(dropped[:, 0]), y=list(dropped[:, 1]))
    assert len(s.history) == 1 and s.phase == "E"
    np.testing.assert_allclose(s.mixture.means, dropped)
    np.testing.assert_allclose(np.column_stack([plot.means.data["x"], plot.means.data["y"]]),
                               dropped)


def test_adding_or_deleting_a_handle_is_undone(lab):
    """A row added or deleted by PointDrawTool is reverted to the session's K means, no re-seed."""
    s, plot = lab.session, lab.plot
    s.e_step()
    version, means = s.version, np.array(s.mixture.means)
    data = dict(plot.means.data)
    plot.means.data = {k: list(v)[:-1] for k, v in data.items()}
    assert s.version == version
    assert len(plot.means.data["x"]) == s.n_components
    np.testing.assert_allclose(plot.means.data["x"], means[:, 0])


def test_m_step_updates_the_ellipse_source(lab):
    """After an M-step the ellipse source holds the new means, axes and angles (1σ and 2σ)."""
    s, plot = lab.session, lab.plot
    before = np.array(plot.ellipses.data["x"])
    s.e_step()
    s.m_step()
    data = plot.ellipses.data
    k = s.n_components
    assert len(data["x"]) == 2 * k
    assert not np.allclose(before, data["x"])
    cov = s.mixture.full_covariances()
    for row, (level, j) in enumerate(zip(data["level"], data["component"])):
        n_std = 1.0 if level == "1σ" else 2.0
        width, height, angle = geometry.ellipse_params(cov[j], n_std)
        assert (data["x"][row], data["y"][row]) == pytest.approx(tuple(s.mixture.means[j]))
        assert (data["width"][row], data["height"][row], data["angle"][row]) == pytest.approx(
            (width[0], height[0], angle[0]))
        assert data["weight"][row] == pytest.approx(s.mixture.weights[j])
    # (The outlines are traced in the browser: tests/browser/test_lab_serve.py checks them.)


def test_m_step_does_not_resend_point_colours(lab):
    """An M-step keeps the responsibilities, so the points source is left untouched."""
    s, plot = lab.session, lab.plot
    s.e_step()
    colors = plot.points.data["color"]
    s.m_step()
    assert plot.points.data["color"] is colors
    s.e_step()
    assert plot.points.data["color"] is not colors


def test_e_step_recolours_the_points(lab):
    """The E-step changes the point colours from the uniform blend to the new responsibilities."""
    s, plot = lab.session, lab.plot
    before = np.array(plot.points.data["color"])
    assert len(set(before.tolist())) == 1  # nothing assigned yet: every point the same blend
    s.e_step()
    after = np.array(plot.points.data["color"])
    expected = geometry.pack_rgba(geometry.blend(s.display_resp()), 0.85)
    np.testing.assert_array_equal(after, expected)
    np.testing.assert_allclose(plot.resp.data["r"], s.display_resp(), atol=1e-6)


def test_colouring_modes(lab):
    """Hard view paints the argmax colour; uncertainty view the uncertainty ramp."""
    s, plot, vs = lab.session, lab.plot, lab.view_state
    s.e_step()
    vs.coloring = "hard"
    np.testing.assert_array_equal(
        plot.points.data["color"], geometry.pack_rgba(geometry.hard_colors(s.display_resp()), 0.85))
    vs.coloring = "uncertainty"
    np.testing.assert_array_equal(
        plot.points.data["color"],
        geometry.pack_rgba(geometry.uncertainty_colors(s.display_resp()), 0.85))


def test_outliers_flagged_when_asked(lab):
    """The outlier ring source holds exactly the session's outliers, and only when switched on."""
    s, plot = lab.session, lab.plot
    s.run()
    assert len(plot.outliers.data["x"]) == 0
    lab.view_state.show_outliers = True
    mask = s.outlier_mask()
    np.testing.assert_allclose(plot.outliers.data["x"], s.X[mask, 0])


def test_tap_pins_the_nearest_point_and_adds_in_add_mode(lab):
    """A click pins the nearest point; in add mode it adds one, shift-click removes the nearest."""
    s, plot = lab.session, lab.plot
    x, y = s.X[7]
    plot._on_tap(Tap(plot.figure, x=float(x), y=float(y), modifiers={"shift": False}))
    assert lab.view_state.pinned == 7
    assert "Point <b>#8</b>" in lab.inspector.table.object  # numbered from 1
    n = len(s.X)
    lab.view_state.add_points = True
    plot._on_tap(Tap(plot.figure, x=100.0, y=100.0, modifiers={"shift": False}))
    assert len(s.X) == n + 1 and tuple(s.X[-1]) == (100.0, 100.0)
    plot._on_tap(Tap(plot.figure, x=99.0, y=99.0, modifiers={"shift": True}))
    assert len(s.X) == n


def test_collapse_is_highlighted_and_sources_stay_finite(lab):
    """After "Break it" and stepping to a collapse, the ring marks the component and nothing is NaN."""
    s, plot = lab.session, lab.plot
    lab.controls.break_button.clicks += 1
    for _ in range(30):
        if s.collapse:
            break
        lab.controls.step_button.clicks += 1
    assert s.collapse
    k = s.collapse[0].component
    assert plot.collapsed.data["label"] == [f"component {k + 1} collapsed"]
    assert plot.collapsed.data["x"][0] == pytest.approx(s.mixture.means[k, 0])
    red = [c for c, j in zip(plot.ellipses.data["color"], plot.ellipses.data["component"]) if j == k]
    assert set(red) == {"#d00000"}
    for source in (plot.points, plot.ellipses, plot.means, lab.loglik.curve):
        _finite_everywhere(source)
    assert lab.narration.banner.visible and "collapsed" in lab.narration.banner.object
    assert "nan" not in lab.loglik.status.object.lower()
    assert _e_disabled(lab.controls) and _m_disabled(lab.controls)


# ---------------------------------------------------------------------------------- controls


def test_buttons_follow_the_phase(lab):
    """E-step is enabled only when an E-step is next, M-step only when an M-step is next."""
    c, s = lab.controls, lab.session
    assert not _e_disabled(c) and _m_disabled(c) and c.back_button.disabled
    c.e_button.clicks += 1
    assert s.phase == "M" and _e_disabled(c) and not _m_disabled(c)
    c.m_button.clicks += 1
    assert s.phase == "E" and s.iteration == 1 and not c.back_button.disabled
    c.back_button.clicks += 1
    assert s.phase == "M"
    c.reset_button.clicks += 1
    assert len(s.history) == 1


def test_half_step_buttons_stay_disabled_while_playing(lab):
    """Guards Play's frame cost: during Play neither E-step nor M-step toggles (each toggle makes
    the browser re-lay out the page); Pause gives the next half-step's button back."""
    c, s = lab.controls, lab.session
    c.play_button.value = True
    for _ in range(3):
        assert _e_disabled(c) and _m_disabled(c)
        s.tick()
    c.play_button.value = False
    assert not s.playing
    assert _e_disabled(c) == (s.phase != "E") and _m_disabled(c) == (s.phase != "M")


def test_half_step_buttons_swap_on_the_page_without_re_rendering(lab):
    """Once the page exists, E/M availability travels through the holders' `disabled` (BokehJS
    then only toggles the DOM attribute); the buttons' own flags hand over once and stay off, so
    the browser re-renders neither button (and re-lays out nothing) on a half-step."""
    from bokeh.document import Document

    c, s = lab.controls, lab.session
    doc = Document()
    doc.add_root(pn.panel(lab).get_root(doc))
    e_model, m_model = c.e_button._models, c.m_button._models  # one (model, parent) per root
    e_holder_model = next(iter(c.e_holder._models.values()))[0]
    m_holder_model = next(iter(c.m_holder._models.values()))[0]
    e_button_model = next(iter(e_model.values()))[0]
    m_button_model = next(iter(m_model.values()))[0]
    assert not e_button_model.disabled and m_button_model.disabled  # the first render's state
    changes = []
    doc.on_change(lambda event: changes.append((event.model, getattr(event, "attr", None))))
    for _ in range(4):
        (c.e_button if s.phase == "E" else c.m_button).clicks += 1
        assert e_holder_model.disabled == (s.phase != "E") == _e_disabled(c)
        assert m_holder_model.disabled == (s.phase != "M") == _m_disabled(c)
        assert not e_button_model.disabled and not m_button_model.disabled
    # The M button handed its initial flag over once; after that no button changed at all.
    button_changes = [attr for model, attr in changes if model in (e_button_model, m_button_model)]
    assert button_changes == ["disabled"]


def test_status_and_narration_send_only_their_text(lab):
    """On the page, a half-step changes the status line's and the narration's text and nothing
    else of theirs (Panel would otherwise set every property of a pane again)."""
    from bokeh.document import Document

    doc = Document()
    doc.add_root(pn.panel(lab).get_root(doc))
    panes = {next(iter(p._models.values()))[0]: p for p in (lab.loglik.status, lab.narration.text)}
    changes = []
    doc.on_change(lambda event: changes.append((event.model, getattr(event, "attr", None))))
    lab.session.e_step()
    assert sorted(attr for model, attr in changes if model in panes) == ["text", "text"]
    assert 'data-phase="M"' in lab.loglik.status.object
    for model, pane in panes.items():  # the very text Panel's own (full) update would send
        assert model.text == pane._get_properties(doc)["text"]


def test_a_half_step_sends_only_what_it_changed(lab):
    """An E-step changes the points' colours, not the mixture; an M-step the mixture, not the
    colours; neither re-sends the (empty) outlier rings or unchanged handles."""
    from bokeh.document import Document

    s, plot = lab.session, lab.plot
    doc = Document()
    doc.add_root(pn.panel(lab).get_root(doc))
    sent = []
    doc.on_change(lambda event: sent.append(getattr(event.model, "name", None)))
    s.e_step()
    assert "emlab-points" in sent and "emlab-ellipses" not in sent
    assert "emlab-outliers" not in sent and "emlab-means" not in sent
    sent.clear()
    s.m_step()
    assert "emlab-ellipses" in sent and "emlab-means" in sent
    assert "emlab-points" not in sent and "emlab-outliers" not in sent
    lab.view_state.show_outliers = True
    assert len(plot.outliers.data["x"]) == int(np.sum(s.outlier_mask()))


def test_a_half_step_sends_only_the_traces_new_row(lab):
    """The trace grows by a row per half-step: that row is streamed, not the whole trace again;
    a new start (fewer rows) replaces it."""
    from bokeh.document import Document
    from bokeh.document.events import ColumnDataChangedEvent, ColumnsStreamedEvent

    s, trace = lab.session, lab.loglik
    doc = Document()
    doc.add_root(pn.panel(lab).get_root(doc))
    sent = []
    doc.on_change(lambda event: sent.append(event))
    s.e_step()
    s.m_step()
    curve = [e for e in sent if getattr(e.model, "name", None) == "emlab-trace-curve"]
    assert all(isinstance(e, ColumnsStreamedEvent) for e in curve) and len(curve) == 2
    assert [len(e.data["step"]) for e in curve] == [1, 1]
    assert list(trace.curve.data["step"]) == [0, 1, 2]
    assert list(trace.curve.data["kind"]) == ["init", "E", "M"]
    sent.clear()
    s.reset()
    curve = [e for e in sent if getattr(e.model, "name", None) == "emlab-trace-curve"]
    assert curve and isinstance(curve[-1], ColumnDataChangedEvent)
    assert list(trace.curve.data["step"]) == [0]


def _e_disabled(controls):
    return is_disabled(controls.e_button, controls.e_holder)


def _m_disabled(controls):
    return is_disabled(controls.m_button, controls.m_holder)


def test_run_and_step_buttons(lab):
    """Step takes a whole iteration; Run to convergence converges and then disables itself."""
    c, s = lab.controls, lab.session
    c.step_button.clicks += 1
    assert s.iteration == 1 and s.phase == "E"
    c.run_button.clicks += 1
    assert s.converged and c.run_button.disabled


def test_keyboard_shortcuts(lab):
    """e, m, space, left arrow and r reach the session."""
    c, s = lab.controls, lab.session

    def press(key):
        c.keys.key = key
        c.keys.presses += 1

    press("e")
    assert s.phase == "M"
    press("m")
    assert s.iteration == 1 and s.phase == "E"
    press("space")
    assert s.phase == "M"
    press("left")
    assert s.phase == "E" and len(s.history) == 3
    press("r")
    assert len(s.history) == 1


@pytest.mark.parametrize("typed, seed", [(None, 7), (-5, 0), (2**70, 2**31 - 1),
                                         (1.5e21, 2**31 - 1), ("abc", 7), (float("nan"), 7),
                                         (12, 12)],
                         ids=["empty", "negative", "2**70", "huge-float", "text", "nan", "twelve"])
def test_seed_box_takes_any_entry_without_an_error(lab, caplog, typed, seed):
    """Guards issue 11 #6: what the page sends from the Seed box (cleared, negative, huge, not a
    number) never raises (it was logged as a ValueError under panel serve): an empty or unreadable
    box keeps the current seed and shows it again; a number out of range takes the nearest seed."""
    c, s = lab.controls, lab.session
    c.seed.value = 7
    assert s.seed == 7
    caplog.clear()
    c.seed._process_events({"value": typed})  # as a change from the browser arrives
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert s.seed == seed and c.seed.value == seed


def test_reg_covar_slider_has_zero_and_log_stops(lab):
    """The slider goes from 0 through 1e-10 .. 1e-1; "Break it" moves it to 0."""
    c, s = lab.controls, lab.session
    assert list(REG_COVAR_OPTIONS.values())[:3] == [0.0, 1e-10, 1e-9]
    c.reg_slider.value = 1e-3
    assert s.reg_covar == 1e-3
    c.break_button.clicks += 1
    assert s.reg_covar == 0 and c.reg_slider.value == 0
    assert nearest_reg_option(3e-4) == 1e-4 and nearest_reg_option(0) == 0


def test_play_ticks_half_steps_and_stops(lab):
    """Play starts the session playing; each tick takes one half-step; Pause stops it."""
    c, s = lab.controls, lab.session
    c.play_button.value = True
    assert s.playing and c.play_button.label == "Pause"
    c._on_tick()
    c._on_tick()
    assert s.iteration == 1 and s.phase == "E"
    c.play_button.value = False
    assert not s.playing and c.play_button.label == "Play"
    c._stop_timer()


def test_play_waits_while_the_page_is_behind(lab, monkeypatch):
    """A tick while the last half-step still waits for the page (static site) takes none, so the
    page shows every half-step; the next tick after the page caught up takes one."""
    c, s = lab.controls, lab.session
    waiting = [True]
    monkeypatch.setattr(runtime, "_changes_waiting", lambda: waiting[0])
    c.play_button.value = True
    c._on_tick()
    assert s.playing and (s.iteration, s.phase) == (0, "E")
    waiting[0] = False
    c._on_tick()
    assert (s.iteration, s.phase) == (1, "M")
    c.play_button.value = False
    c._stop_timer()


def test_mode_toggle_switches_to_kmeans(lab):
    """The k-means toggle sets the session mode; the plot subtitle says what changed."""
    lab.controls.mode.value = "kmeans"
    assert lab.session.mode == "kmeans"
    assert "k-means" in lab.plot.caption.object and lab.plot.caption.visible
    lab.session.step()
    assert set(np.unique(lab.session.display_resp())) <= {0.0, 1.0}


# ---------------------------------------------------------------------------------- trace, text


def test_loglik_plot_gains_one_point_per_half_step(lab):
    """Each half-step adds a row of its kind (its marker: start, E, M) and size; the status
    line shows the numbers."""
    s, ll = lab.session, lab.loglik
    assert list(ll.curve.data["kind"]) == ["init"]
    s.e_step()
    assert list(ll.curve.data["kind"]) == ["init", "E"]
    s.m_step()
    assert list(ll.curve.data["kind"]) == ["init", "E", "M"] and len(ll.curve.data["step"]) == 3
    assert list(ll.curve.data["size"]) == [9, 9, 11]  # (a triangle is drawn larger)
    assert 'data-iteration="1"' in ll.status.object and 'data-phase="E"' in ll.status.object
    s.run()
    assert len(ll.converged_point.data["step"]) == 1 and ll._converged_span.visible
    assert "converged" in ll.status.object


def test_fast_play_shows_a_note_instead_of_each_half_steps_narration(lab):
    """Above 2 half-steps per second Play shows one short note (nobody reads ten paragraphs a
    second, and typesetting them costs every frame); slow Play and Pause narrate each half-step."""
    s, text = lab.session, lab.narration.text
    s.speed = 30.0
    lab.controls.play_button.value = True
    s.tick()
    assert "Playing at up to 30 half-steps per second" in text.object
    s.tick()
    assert "Playing at up to 30" in text.object
    s.speed = 2.0
    s.tick()
    assert "Playing at" not in text.object
    assert text.object == markdown_with_math_to_html(s.narration)
    s.speed = 30.0
    s.tick()
    lab.controls.play_button.value = False
    assert not s.playing
    assert "Playing at" not in text.object
    assert text.object == markdown_with_math_to_html(s.narration)


def test_format_number_never_prints_nan():
    """NaN and infinities are shown as symbols, never as "nan"/"inf"."""
    assert format_number(float("nan")) == "—"
    assert format_number(float("inf")) == "+∞"
    assert format_number(-1234.5, 1) == "−1,234.5"


def test_narration_keeps_equations_for_katex():
    """Markdown is rendered but the LaTeX between $$ is left intact (escaped) for KaTeX."""
    out = markdown_with_math_to_html(r"**Next.** a_b_c $$\frac{x_i}{y_j} < 1$$ and $\mu_k$")
    assert "<strong>Next.</strong>" in out
    assert r"$$\frac{x_i}{y_j} &lt; 1$$" in out and r"$\mu_k$" in out


def test_narration_html_by_paragraph_is_the_whole_texts():
    """The narration pane's HTML, made and kept paragraph by paragraph, is the Markdown of the
    whole text, for every kind of narration: EM and k-means, each covariance type, starts,
    collapse, convergence and the fast-Play note."""
    from app.narration import playing_fast
    from app.session import Session
    from app.views.narration import narration_html

    texts = [playing_fast(10.0)]
    for settings in (dict(), dict(mode="kmeans"), dict(covariance_type="diag"),
                     dict(covariance_type="tied"), dict(covariance_type="spherical")):
        s = Session(dataset="blobs", **settings)
        texts.append(s.narration)
        for _ in range(6):
            s.step()
            texts.append(s.narration)
        s.run()
        texts.append(s.narration)
    s = Session(dataset="blobs")
    s.break_it()
    for _ in range(30):
        s.step()
        texts.append(s.narration)
        if s.collapse:
            break
    assert s.collapse and "collapsed" in texts[-1]
    for text in texts:
        assert narration_html(text) == markdown_with_math_to_html(text), text


def test_narration_panel_shows_session_text(lab):
    """The narration pane holds the session's narration; messages appear when the session has one."""
    s = lab.session
    s.m_step()  # refused: an E-step is next
    assert lab.narration.message.visible and lab.narration.message.object == s.message
    s.e_step()
    assert "E-step" in lab.narration.text.object or "e-step" in lab.narration.text.object.lower()


def test_session_messages_reach_the_page_as_text(lab):
    """A message that quotes user input (a file name with markup) is shown, not rendered."""
    s = lab.session
    s.set_data(np.zeros((1, 2)) + [[1.0, 2.0]], name="<img src=x onerror=alert(1)>")
    s._publish(message="Could not use <img src=x onerror=alert(1)>.csv & friends")
    shown = lab.narration.message.object
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;.csv &amp; friends" in shown


# ---------------------------------------------------------------------------------- explorers


def test_restarts_explorer_shows_and_loads_restarts(lab):
    """Running R restarts fills the strip; loading one replays it to convergence."""
    r = lab.restarts
    r.n_restarts.value = 4
    r.run_button.clicks += 1
    assert len(r.source.data["value"]) == 4
    assert "4 restarts ended in" in r.summary.object
    r.source.selected.indices = [2]
    assert r.picker.value == 2
    r.load_button.clicks += 1
    assert lab.session.seed == lab.session.restarts[2].seed and lab.session.converged


def test_group_optima():
    """Values within tolerance share a group; the best group is 0."""
    assert group_optima([-2.0, -1.0, -1.0000001, -3.0]).tolist() == [1, 0, 0, 2]


def test_model_selection_marks_best_k(lab):
    """BIC/AIC for K = 1..k_max; the star sits on the session's best K; the button applies it."""
    m = lab.model_selection
    m.k_max.value = 4
    m.compute_button.clicks += 1
    assert m.source.data["k"] == [1, 2, 3, 4]
    best = lab.session.best_k
    assert m.best.data["k"] == [best]
    m.use_button.clicks += 1
    assert lab.session.n_components == best


def test_model_selection_plot_has_bounded_ranges_with_or_without_data(lab):
    """Guards issue 11 #8: the BIC/AIC plot's ranges are explicit and finite before a computation
    and after a change of settings clears it (data ranges over its empty sources made BokehJS warn
    "could not set initial ranges"), and they hold every computed value."""
    from bokeh.models import Range1d

    m, s = lab.model_selection, lab.session
    bounds = lambda r: (r.start, r.end)  # noqa: E731
    for r in (m.figure.x_range, m.figure.y_range):
        assert isinstance(r, Range1d) and bounds(r)[0] < bounds(r)[1]
    m.k_max.value = 4
    m.compute_button.clicks += 1
    values = m.source.data["bic"] + m.source.data["aic"]
    assert bounds(m.figure.x_range) == (0.5, 4.5)
    assert m.figure.y_range.start < min(values) and max(values) < m.figure.y_range.end
    s.covariance_type = "diag"  # clears the computation
    assert m.source.data["k"] == []
    assert bounds(m.figure.x_range)[0] < bounds(m.figure.x_range)[1]
    assert bounds(m.figure.y_range)[0] < bounds(m.figure.y_range)[1]


def test_inspector_table_is_bayes_rule(lab):
    """The pinned table lists one row per component and the responsibilities shown."""
    s = lab.session
    s.e_step()
    lab.view_state.pinned = 3
    html = lab.inspector.table.object
    assert html.count("<tr") == 2 * (s.n_components + 1)   # the components, then Bayes' rule
    assert f"{s.display_resp()[3].max():.3f}" in html
    lab.view_state.pinned = None
    assert "click" in lab.inspector.table.object


# ---------------------------------------------------------------------------------- export


def _run(coroutine):
    """Run a coroutine to completion on its own loop in a worker thread: in a whole-suite run the
    session-scoped Playwright fixture may already own this thread's running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_export_callbacks_produce_files(lab):
    """PNG, SVG, JSON and CSV downloads produce non-empty files of the right kind."""
    s, e = lab.session, lab.export
    s.e_step()
    assert _run(e._png()).getvalue()[:4] == b"\x89PNG"
    assert b"<svg" in _run(e._svg()).getvalue()
    assert '"n_components": 3' in e._json().getvalue()
    assert e._csv().getvalue().count("\n") == len(s.X) + 1
    # Each file is named for the state it holds when it is asked for.
    assert [d.filename for d in (e.png, e.svg, e.json, e.csv)] == [
        "emlab-blobs-K3-it1.png", "emlab-blobs-K3-it1.svg", "emlab-blobs-K3-it1-parameters.json",
        "emlab-blobs-K3-it1-responsibilities.csv"]


# ---------------------------------------------------------------------------------- data


def _upload(panel, name, content):
    """What the browser does on a file pick: FileInput's filename, then its bytes."""
    panel.upload.filename = name
    panel.upload.value = content


def _shown(pane):
    """The text a Markdown pane (an Alert) shows: rendered to HTML, tags dropped."""
    rendered = html.unescape(pane._transform_object(pane.object)["object"])
    rendered = re.sub(r"</?strong>", "", rendered)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


def _snapshot(session):
    return (session.version, session.X, session.mixture, session.history, session.dataset,
            session.data_name, session.columns)


def test_csv_upload_loads_data_and_resets_em(lab):
    """Uploading a CSV (FileInput bytes) makes it the session's data; EM restarts on it."""
    s, d = lab.session, lab.data
    s.e_step()
    _upload(d, "mine.csv", b"a,b\n0,0\n1,1\n2,0\n10,10\n11,11\n12,10\n")
    assert len(s.X) == 6 and tuple(s.columns) == ("a", "b") and s.data_name == "mine.csv"
    assert len(s.history) == 1 and s.phase == "E"
    assert d.upload_status.alert_type == "success"
    assert "Loaded mine.csv: 6 points; x = a, y = b." in _shown(d.upload_status)
    np.testing.assert_allclose(lab.plot.points.data["x"], [0, 1, 2, 10, 11, 12])
    assert d.options.visible and list(d.x_picker.options) == ["a", "b"]


def test_utf16_upload_is_read_from_its_bytes(lab):
    """A UTF-16 file (Excel's "Unicode text") reaches parse_csv as bytes and loads, with its note."""
    s, d = lab.session, lab.data
    text = "température\tdurée\n21,5\t3\n19,0\t4\n25,2\t1\n"
    _upload(d, "météo.txt", text.encode("utf-16"))
    assert tuple(s.columns) == ("température", "durée")
    np.testing.assert_allclose(s.X[:, 0], [21.5, 19.0, 25.2])
    assert d.upload_status.alert_type == "success" and "UTF-16" in _shown(d.upload_status)


def test_invalid_rows_are_refused_until_the_checkbox_drops_them(lab):
    """Rows with NA are refused (message names the checkbox, data untouched); ticking it loads the
    rest and says how many rows were dropped."""
    s, d = lab.session, lab.data
    before = _snapshot(s)
    content = b"u,v\n1,2\n2,NA\n3,1\n,4\n5,5\n6,2\n"
    _upload(d, "gaps.csv", content)
    assert _snapshot(s) == before
    status = d.upload_status
    assert status.alert_type == "danger" and "2 rows have a value that is empty" in _shown(status)
    assert f"'{DROP_INVALID_LABEL}'" in _shown(status)
    d.drop_invalid.value = True
    assert len(s.X) == 4 and s.data_name == "gaps.csv"
    assert status.alert_type == "success" and "Dropped 2 of 6 rows" in _shown(status)
    assert "4 points (from 6 rows)" in _shown(status)
    d.drop_invalid.value = False  # the kept bytes are read again: refused again, data kept
    assert status.alert_type == "danger" and len(s.X) == 4


def test_column_pickers_switch_the_plotted_columns(lab):
    """The pickers list the file's columns (text ones marked); picking re-reads the kept bytes."""
    s, d, plot = lab.session, lab.data, lab.plot
    _upload(d, "three.csv", b"name,a,b,c\np,0,10,5\nq,1,20,3\nr,2,30,1\ns,3,25,7\n")
    assert list(d.x_picker.options) == ["name (text)", "a", "b", "c"]
    assert (d.x_picker.value, d.y_picker.value) == (1, 2)  # what parse_csv chose
    d.y_picker.value = 3
    assert tuple(s.columns) == ("a", "c")
    np.testing.assert_allclose(plot.points.data["y"], [5, 3, 1, 7])
    assert [label for label, _ in plot._hover.tooltips[1:3]] == ["a", "c"]
    d.x_picker.value = 3  # x takes y's column: the two swap
    assert (d.x_picker.value, d.y_picker.value) == (3, 1) and tuple(s.columns) == ("c", "a")
    np.testing.assert_allclose(plot.points.data["x"], [5, 3, 1, 7])
    before = _snapshot(s)
    d.y_picker.value = 0  # a text column: refused, the last good choice stays loaded
    assert _snapshot(s) == before
    assert d.upload_status.alert_type == "danger" and "holds text" in _shown(d.upload_status)


def test_headerless_file_lists_numbered_columns(lab):
    """Without a header the pickers offer "column 1", "column 2", ...; picking one replots."""
    s, d = lab.session, lab.data
    _upload(d, "bare.txt", b"1 10 7\n2 20 5\n3 30 9\n4 25 1\n")
    assert list(d.x_picker.options) == ["column 1", "column 2", "column 3"]
    d.x_picker.value = 2
    assert tuple(s.columns) == ("column 3", "column 2")
    np.testing.assert_allclose(lab.plot.points.data["x"], [7, 5, 9, 1])


def test_standardise_checkbox_rereads_in_standard_units(lab):
    s, d = lab.session, lab.data
    _upload(d, "wide.csv", b"a,b\n0,100\n10,300\n20,200\n30,400\n")
    d.standardize.value = True
    np.testing.assert_allclose(s.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.X.std(axis=0), 1)
    assert "Standardised both columns" in _shown(d.upload_status)


def test_large_upload_is_sampled_with_a_message(lab):
    """More than MAX_ROWS rows: a sample is loaded and the message says so."""
    s, d = lab.session, lab.data
    rows = np.random.default_rng(1).normal(size=(data.MAX_ROWS + 5000, 2))
    _upload(d, "big.csv", ("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in rows)).encode())
    assert len(s.X) == data.MAX_ROWS
    assert f"random sample of {data.MAX_ROWS:,}" in _shown(d.upload_status)


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04" + bytes(64), b"name,colour\nann,red\nbob,blue\n", b"a,b\n1,1\n1,1\n"],
    ids=["empty", "xlsx", "text-only", "one-point"],
)
def test_bad_file_leaves_the_session_unchanged(lab, content):
    """A refused file changes nothing: data, mixture, history, picker; the message says why."""
    s, d = lab.session, lab.data
    s.e_step()
    s.m_step()
    before = _snapshot(s)
    _upload(d, "bad.csv", content)
    assert d.upload_status.alert_type == "danger"
    assert "bad.csv was not loaded" in _shown(d.upload_status)
    assert "Nothing changed" in _shown(d.upload_status)
    assert _snapshot(s) == before


def test_empty_or_blank_file_gets_the_red_note_and_keeps_the_data(lab):
    """Guards issue 11 #4: an empty file (0 bytes, which the page refuses: Panel would read its
    content as no file and say nothing) and a file of only blank lines replace the last green
    "Loaded" note with a red one that says the file is empty; the data stay."""
    import base64

    s, d = lab.session, lab.data
    _upload(d, "good.csv", b"a,b\n0,0\n1,1\n2,0\n10,10\n11,11\n12,10\n")
    assert d.upload_status.alert_type == "success"
    before = _snapshot(s)
    d.upload_guard.refused = ["empty.csv", 0, 1]  # what UploadGuard sends for a 0-byte pick
    assert d.upload_status.alert_type == "danger"
    assert "empty.csv was not loaded. The file is empty" in _shown(d.upload_status)
    assert "Nothing changed: the lab still shows good.csv." in _shown(d.upload_status)
    assert _snapshot(s) == before
    d.upload_status.alert_type = "success"
    # a blank file's bytes arrive as FileInput sends them: base64 text
    d.upload._process_events({"filename": "blank.csv", "mime_type": "text/csv",
                              "value": base64.b64encode(b"  \n\t\n\r\n").decode()})
    assert d.upload_status.alert_type == "danger"
    assert "blank.csv was not loaded. The file is empty" in _shown(d.upload_status)
    assert _snapshot(s) == before


def test_upload_messages_are_plain_text(lab):
    """HTML and Markdown in a file name or column name are shown as text, never rendered."""
    d = lab.data
    _upload(d, "<img src=x onerror=alert(1)>.csv", b"*a*,[b](http://x.org)\n0,1\n2,3\n4,1\n")
    rendered = html.unescape(d.upload_status._transform_object(d.upload_status.object)["object"])
    assert "<img" not in rendered and "&lt;img src=x onerror=alert(1)&gt;.csv" in rendered
    assert "*a*" in rendered and "<a " not in rendered and "<em>" not in rendered
    note = html.unescape(d.note._transform_object(d.note.object)["object"])
    assert "<img" not in note
    # A note that quotes the file (a skipped row-number column) stays out of the session's
    # message, which the narration pane renders as Markdown with HTML.
    _upload(d, "notes.csv", b"<img src=x onerror=alert(1)>,a,b\n0,1,5\n1,2,3\n2,4,4\n3,3,1\n")
    assert "Skipped column '<img src=x onerror=alert(1)>'" in _shown(d.upload_status)
    message = lab.narration.message
    assert "<img" not in html.unescape(message._transform_object(message.object)["object"])


def test_file_over_the_limit_is_refused_with_its_size_and_nothing_lost(lab):
    """Guards the upload size limit: a file the page refused (UploadGuard sends only its name and
    size) gets a red note with the file's size and the limit; data, mixture, history and the kept
    file with its options stay."""
    s, d = lab.session, lab.data
    _upload(d, "mine.csv", b"a,b,c\n0,0,1\n1,1,3\n2,0,2\n10,10,1\n11,11,5\n12,10,3\n")
    s.e_step()
    s.m_step()
    before = _snapshot(s)
    d.upload_guard.refused = ["huge <b>.csv", 100 * 2**20 + 5, 1]
    status = d.upload_status
    assert status.alert_type == "danger" and _snapshot(s) == before
    assert _shown(status) == (
        "huge <b>.csv was not loaded. The file is 100.0 MB; EM Lab reads files up to 64 MB, so the "
        "page did not send it. Keep only the two columns you need, or a sample of the rows, and "
        "load that. Nothing changed: the lab still shows mine.csv.")
    # Just over: one decimal would say "64.0 MB" against "64 MB", so both are given in bytes.
    d.upload_guard.refused = ["huge <b>.csv", data.MAX_BYTES + 1, 2]
    assert ("The file is 67,108,865 bytes; EM Lab reads files up to 64 MB (67,108,864 bytes)"
            in _shown(status))
    assert _snapshot(s) == before
    assert d.options.visible and list(d.y_picker.options) == ["a", "b", "c"]
    d.y_picker.value = 2  # the kept file is still there to re-read
    assert tuple(s.columns) == ("a", "c") and status.alert_type == "success"


def test_upload_guard_watches_the_file_input_at_the_parsers_limit(lab):
    """The page-side limit is the parser's, it guards this panel's FileInput, and a file at the
    limit fits in one WebSocket message of the size README tells `panel serve` to accept."""
    d = lab.data
    assert d.upload_guard.limit == data.MAX_BYTES
    assert d.upload_guard.target[0] in d.upload.css_classes
    assert any(obj is d.upload_guard for obj in d.editing_view().objects)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    flag = int(re.search(r"--websocket-max-message-size (\d+)", readme).group(1))
    base64_size = 4 * -(-data.MAX_BYTES // 3)
    assert base64_size + 2**20 < flag  # a megabyte for the message's JSON around the bytes


def test_dataset_picker_changes_data(lab):
    """Picking another data set loads it and resets EM; the note names it."""
    s, d = lab.session, lab.data
    other = [o for o in d.picker.options if o != s.dataset and "(" not in str(o)][0]
    d.picker.value = other if not isinstance(d.picker.options, dict) else d.picker.options[other]
    assert s.dataset == d.picker.value and len(s.history) == 1
    assert f"{len(s.X):,} points" in d.note.object


def test_long_display_equations_are_stacked():
    """A display equation whose parts are separated by \\quad is set one part per line."""
    out = markdown_with_math_to_html(r"$$a = 1,\quad b = 2\qquad c = 3$$ and $x \quad y$")
    assert r"$$\begin{gathered}a = 1 \\ b = 2 \\ c = 3\end{gathered}$$" in out
    assert r"$x \quad y$" in out  # inline maths is left alone


def test_trace_sources_untouched_when_unchanged(lab):
    """A half-step re-sends only the trace sources whose content changed."""
    s, ll = lab.session, lab.loglik
    s.e_step()
    converged = ll.converged_point.data
    s.m_step()
    assert ll.converged_point.data is converged  # not converged yet: nothing re-sent
    assert len(ll.curve.data["step"]) == 3


def test_trace_ranges_follow_the_trace_from_python(lab):
    """The trace's axes are set from Python with its data (BokehJS would otherwise fit them and
    send every new start and end back): they always hold every drawn point, a little inside,
    but the start's ELBO once it is marked off the scale (see test_trace.py)."""
    s, ll = lab.session, lab.loglik
    x_range, y_range = ll.figure.x_range, ll.figure.y_range
    for _ in range(7):
        steps, values = ll.curve.data["step"], ll.curve.data["value"]
        lower = ll.curve.data["lower_bound"][len(ll.off_scale.data["step"]):]
        assert x_range.start < min(steps) <= max(steps) < x_range.end
        assert y_range.start < min(min(values), min(lower)) and max(values) < y_range.end
        s.e_step() if s.phase == "E" else s.m_step()
    start, end = y_range.start, y_range.end
    s.back()
    s.e_step() if s.phase == "E" else s.m_step()  # the same trace again: the range does not move
    assert (y_range.start, y_range.end) == (start, end)


def test_trace_legend_is_html_and_follows_the_mode(lab):
    """The legend sits below the trace as HTML (BokehJS would measure an in-plot legend on every
    repaint) and names what the curve shows: log-likelihood and ELBO in EM, inertia in k-means."""
    ll = lab.loglik
    assert not ll.figure.legend  # nothing inside the canvas
    assert "log-likelihood" in ll.legend.object and "ELBO" in ll.legend.object
    assert ll.legend.object.count("<svg") == 6
    lab.session.mode = "kmeans"
    assert "inertia" in ll.legend.object and "ELBO" not in ll.legend.object
    assert ll.figure.yaxis.axis_label == "inertia"
    lab.session.mode = "em"
    assert "log-likelihood" in ll.legend.object and "ELBO" in ll.legend.object
    # Plain renderers: no selection/muted copies of the glyphs for the page to build.
    assert all(r.nonselection_glyph == "auto" for r in ll.figure.renderers)


def test_trace_keeps_the_users_zoom_until_a_new_start(lab):
    """Panned or zoomed in the browser, the trace stays where the user put it while EM steps on;
    its reset tool returns to the fit of the whole trace; Reset fits it again."""
    s, ll = lab.session, lab.loglik
    x_range = ll.figure.x_range
    s.e_step()
    s.m_step()
    x_range.update(start=0.5, end=1.5)  # as the browser sends a pan or a zoom
    s.e_step()
    s.m_step()
    assert (x_range.start, x_range.end) == (0.5, 1.5)
    steps = ll.curve.data["step"]
    assert x_range.reset_start < min(steps) and max(steps) < x_range.reset_end
    s.reset()
    assert x_range.start < 0 < x_range.end and x_range.start != 0.5
    for _ in range(8):
        s.e_step() if s.phase == "E" else s.m_step()
    assert x_range.start < 0 and 8 < x_range.end  # following the data again


def test_trace_range_of_a_flat_or_empty_series():
    """One point, a flat line or nothing at all still give a window of some width."""
    assert padded_range([]) == (0.0, 1.0)
    assert padded_range([0.0], flat=0.5) == (-0.5, 0.5)
    low, high = padded_range([-3.2, -3.2])
    assert low < -3.2 < high and high - low < 0.1
    low, high = padded_range([1.0, float("nan"), 2.0, float("inf")])
    assert low < 1.0 and 2.0 < high < 2.5


def test_restarts_strip_is_not_zoomed_into_round_off(lab):
    """Restarts that agree to round-off are shown on an axis at least 0.1 wide."""
    r = lab.restarts
    r.n_restarts.value = 3
    r.run_button.clicks += 1
    assert r.figure.x_range.end - r.figure.x_range.start >= 0.1 - 1e-12
    assert r.figure.x_range.start <= min(r.source.data["value"])
    assert r.figure.x_range.end >= max(r.source.data["value"])


@pytest.mark.parametrize("query", ["", "embed=1", "lesson=soft-vs-hard", "lesson=trace-lab",
                                   "hide=data,share,narration,loglik,inspect,predict,restarts,"
                                   "bic,upload,export"])
def test_every_page_passes_bokehs_own_checks(query):
    """Bokeh checks a document's models when it is serialized for a page (the static site's
    build and start, every `panel serve` page) and logs what it finds, e.g. a layout without
    children, as a warning: none may be found, whatever the link opens."""
    from bokeh.core.validation.check import check_integrity
    from bokeh.document import Document

    from app.main import create_app

    doc = Document()
    pn.panel(create_app(query)).server_doc(doc)
    issues = check_integrity(doc.models)
    assert not issues.error and not issues.warning, issues


def test_a_lesson_picked_on_the_page_hides_its_tabs_while_it_runs(lab):
    """Soft vs hard hides the Restarts, Model selection and Data tabs (its file's hide): picked
    from the card, they go while it runs and come back when the learner leaves it."""
    titles = lambda: list(lab._tabs._names)  # noqa: E731
    assert {"Restarts", "Model selection", "Data"} <= set(titles())
    assert lab.lesson_run.start("soft-vs-hard")
    assert not {"Restarts", "Model selection", "Data"} & set(titles())
    assert "Inspect" in titles() and "Export" in titles()
    lab.lesson_run.leave()
    assert {"Restarts", "Model selection", "Data"} <= set(titles())
