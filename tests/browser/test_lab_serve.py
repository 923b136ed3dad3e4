"""The lab in a real browser: headless Chromium against `panel serve app/main.py` on 127.0.0.1.

Each test loads a fresh page (a fresh server-side session), acts as a user (clicks, mouse drags,
keys) and asserts what the page shows: the Bokeh data that reached the browser, the status line,
and pixels of the plot canvas. The guarded_page fixture fails the test on any console error or
request that leaves 127.0.0.1. Screenshots are saved under the test's tmp dir (or EMLAB_SCREENSHOTS).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from playwright.sync_api import expect
from conftest import deep_text
from labpage import (TO_DATA_JS, TO_PAGE_JS, assert_no_nan, check_checkbox_words_toggle,
                     check_equations_and_font_sizes, check_keyboard_shortcuts, check_lowering_k,
                     check_no_css_sets_plot_visuals, check_phone_layout, check_sliders_are_named,
                     check_switching_data_sets, open_lab, plot_pixels, source, status, wait_rows,
                     wait_status)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


@pytest.fixture
def lab(guarded_page, panel_server):
    page = open_lab(guarded_page, panel_server)
    wait_status(page, iteration=0, phase="E")
    return page


def test_load_shows_the_lab(lab, screenshot):
    """The page shows the controls, the plot with K handles and the status line, with no NaN."""
    page = lab
    for name in ("E-step", "M-step", "Step", "Run to convergence", "Step back", "Reset",
                 "Break it"):
        assert page.get_by_role("button", name=name).first.is_visible(), name
    assert page.get_by_role("button", name="M-step").is_disabled()
    assert page.get_by_role("button", name="E-step").is_enabled()
    means = source(page, "emlab-means")
    assert len(means["x"]) == 3
    assert len(source(page, "emlab-ellipses")["x"]) == 6
    assert source(page, "emlab-trace-curve")["kind"] == ["init"]
    text = deep_text(page)
    assert "Iteration" in text and "Next" in text and "Log-likelihood" in text
    # KaTeX typeset the narration's equation
    assert page.locator(".emlab-narration .katex").count() > 0
    assert_no_nan(page)
    screenshot(page, "01-loaded")


def test_e_step_recolours_and_extends_the_trace_then_m_step_moves_ellipses(lab, screenshot):
    """E-step: point colours change, the trace gains an E point; M-step: the ellipses move."""
    page = lab
    colors_before = source(page, "emlab-points")["color"]
    pixels_before = plot_pixels(page)
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-trace-curve')"
                           ".data.kind.filter((k) => k === 'E').length === 1")
    colors_after = source(page, "emlab-points")["color"]
    assert len(set(colors_before)) == 1  # before: every point the same (uniform) blend
    assert len(set(colors_after)) > 10 and colors_after != colors_before
    page.wait_for_timeout(300)  # let the WebGL canvas repaint
    changed = np.abs(plot_pixels(page) - pixels_before).sum(axis=2) > 30
    assert changed.mean() > 0.002, "the plot's pixels did not change after the E-step"
    assert page.get_by_role("button", name="E-step").is_disabled()
    screenshot(page, "02-after-e-step")

    ellipses_before = source(page, "emlab-ellipses")
    page.get_by_role("button", name="M-step").click()
    wait_status(page, iteration=1, phase="E")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-trace-curve')"
                           ".data.kind.filter((k) => k === 'M').length === 1")
    ellipses_after = source(page, "emlab-ellipses")
    moved = np.hypot(np.subtract(ellipses_after["x"], ellipses_before["x"]),
                     np.subtract(ellipses_after["y"], ellipses_before["y"]))
    assert moved.max() > 0.05, "no ellipse moved after the M-step"
    means = source(page, "emlab-means")
    np.testing.assert_allclose(means["x"], ellipses_after["x"][: len(means["x"])])
    assert len(source(page, "emlab-trace-curve")["step"]) == 3
    assert_no_nan(page)
    screenshot(page, "03-after-m-step")


# The outline each ellipse renderer draws, as BokehJS traced it from its rows (plot.py's
# ellipse_outline_expr): [[xs, ys] per row].
OUTLINES_JS = """(name) => {
  const doc = Bokeh.documents[0];
  const renderer = doc.get_model_by_name(name);
  const source = renderer.data_source;
  const trace = (spec) => [...spec.expr.v_compute(source)].map((ring) => [...ring]);
  return [trace(renderer.glyph.xs), trace(renderer.glyph.ys)];
}"""


def test_ellipse_outlines_traced_in_the_browser_match_geometry(lab):
    """The outlines BokehJS traces from each ellipse's centre, axes and tilt are those
    app.geometry.ellipse_outlines gives for the component's covariance, for both levels."""
    from app import geometry

    page = lab
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=1, phase="E")
    rows = source(page, "emlab-ellipses")
    for name, n_std in (("ellipses-1σ", 1.0), ("ellipses-2σ", 2.0)):
        xs, ys = page.evaluate(OUTLINES_JS, name)
        for row in range(len(rows["x"])):
            # The covariance whose n_std ellipse has this row's axes and tilt.
            half = np.array([rows["width"][row], rows["height"][row]]) / (2 * n_std)
            c, s = math.cos(rows["angle"][row]), math.sin(rows["angle"][row])
            rotation = np.array([[c, -s], [s, c]])
            covariance = rotation @ np.diag(half ** 2) @ rotation.T
            mean = (rows["x"][row], rows["y"][row])
            want_x, want_y = geometry.ellipse_outline(mean, covariance, n_std)
            np.testing.assert_allclose(xs[row], want_x, atol=1e-9)
            np.testing.assert_allclose(ys[row], want_y, atol=1e-9)


def test_dragging_a_mean_reseeds_em_at_the_drop_point(lab, screenshot):
    """A mouse drag of handle 1 moves its mean to the drop point and restarts EM there."""
    page = lab
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=1, phase="E")
    means = source(page, "emlab-means")
    start = page.evaluate(TO_PAGE_JS, [means["x"][0], means["y"][0]])
    target = [start[0] + 120, start[1] - 90]
    page.mouse.move(*start)
    page.mouse.down()
    for t in np.linspace(0, 1, 12)[1:]:
        page.mouse.move(start[0] + t * 120, start[1] - t * 90)
    page.mouse.up()
    dropped = page.evaluate(TO_DATA_JS, target)
    wait_status(page, iteration=0, phase="E")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-trace-curve')"
                           ".data.step.length === 1")
    after = source(page, "emlab-means")
    assert len(after["x"]) == 3
    span = max(np.ptp(source(page, "emlab-points")["x"]), 1e-9)
    assert math.hypot(after["x"][0] - dropped[0], after["y"][0] - dropped[1]) < 0.02 * span
    # the other handles stayed where they were
    np.testing.assert_allclose(after["x"][1:], means["x"][1:], atol=1e-9)
    # the narration tells where this start came from (its own message under the server)
    page.get_by_text("where you dropped them").first.wait_for(timeout=20_000)
    screenshot(page, "04-after-drag")


def test_a_touch_drag_moves_a_mean_too(lab):
    """On a tablet or phone: a finger drags handle 2 and EM restarts from where it is lifted."""
    page = lab
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    means = source(page, "emlab-means")
    start = page.evaluate(TO_PAGE_JS, [means["x"][1], means["y"][1]])
    target = [start[0] - 100, start[1] + 80]

    def touch(kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *start)
    for t in np.linspace(0, 1, 12)[1:]:
        touch("touchMove", start[0] - t * 100, start[1] + t * 80)
    touch("touchEnd", *target)
    dropped = page.evaluate(TO_DATA_JS, target)
    page.get_by_text("where you dropped them").first.wait_for(timeout=20_000)
    wait_status(page, iteration=0, phase="E")
    after = source(page, "emlab-means")
    span = max(np.ptp(source(page, "emlab-points")["x"]), 1e-9)
    assert math.hypot(after["x"][1] - dropped[0], after["y"][1] - dropped[1]) < 0.02 * span
    np.testing.assert_allclose([after["x"][0], after["x"][2]], [means["x"][0], means["x"][2]],
                               atol=1e-9)


def test_break_it_reaches_the_collapse_banner_without_nan(lab, screenshot):
    """"Break it", then Step until the banner names the collapsed component; no NaN anywhere."""
    page = lab
    page.get_by_role("button", name="Break it").click()
    page.get_by_text("variance floor ε = 0").first.wait_for(timeout=30_000)  # the preset's message
    wait_status(page, iteration=0, phase="E")
    banner = page.locator(".emlab-collapse-banner").first
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(40):
        if banner.is_visible() or step.is_disabled():
            break
        step.click()
        page.wait_for_timeout(250)
    banner.wait_for(state="visible", timeout=10_000)
    text = banner.evaluate("(el) => (el.shadowRoot ?? el).textContent")
    assert "collapsed" in text.lower() and "variance floor ε" in text
    # The server sends the banner, the ring and the buttons' states as separate messages.
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('emlab-collapsed').data.x.length === 1")
    expect(page.get_by_role("button", name="E-step")).to_be_disabled()
    expect(page.get_by_role("button", name="M-step")).to_be_disabled()
    assert status(page)["state"] == "collapsed"
    assert_no_nan(page)
    screenshot(page, "05-collapse")


def test_keyboard_shortcuts_step_and_undo(lab):
    """Keys e and m take half-steps; the left arrow undoes one."""
    page = lab
    check_keyboard_shortcuts(page)
    page.keyboard.press(" ")
    wait_status(page, iteration=1, phase="E")


def test_play_runs_to_convergence_and_stops(lab, screenshot):
    """Play takes half-steps by itself and stops at convergence with the star on the trace."""
    page = lab
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator('.emlab-status[data-state="converged"]').first.wait_for(timeout=90_000)
    wait_rows(page, "emlab-trace-converged", 1)  # the star on the trace
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=10_000)
    screenshot(page, "06-converged")


@pytest.mark.timeout(600)
def test_restarts_model_selection_and_views(lab, screenshot):
    """Restarts strip fills, BIC marks a best K, hard/uncertainty views and k-means mode paint."""
    page = lab
    page.locator(".bk-tab", has_text="Restarts").click()
    page.get_by_role("button", name="Run restarts").click()
    page.get_by_text("restarts ended in").first.wait_for(timeout=180_000)
    assert len(source(page, "emlab-restarts")["value"]) == 10
    screenshot(page, "07-restarts")
    page.locator(".bk-tab", has_text="Model selection").click()
    k_max = page.locator('[role=slider][aria-valuemin="2.0"][aria-valuemax="15.0"]').first
    k_max.focus()
    k_max.press("Home")  # K = 2..5 keeps the test quick on a busy machine
    for _ in range(3):
        k_max.press("ArrowRight")
    page.get_by_text("Up to K: 5").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Compute BIC / AIC").click()
    page.get_by_text("BIC is lowest at K").first.wait_for(timeout=180_000)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-bic')"
                           ".data.k.length === 5", timeout=30_000)
    assert list(source(page, "emlab-bic")["k"]) == [1, 2, 3, 4, 5]
    assert len(source(page, "emlab-bic-best")["k"]) == 1
    screenshot(page, "08-model-selection")
    colors = source(page, "emlab-points")["color"]
    page.get_by_role("button", name="Uncertainty").click()
    page.wait_for_function("(c) => Array.from(Bokeh.documents[0].get_model_by_name('emlab-points')"
                           ".data.color).join() !== c", arg=",".join(map(str, colors)))
    page.get_by_role("button", name="k-means (hard)").click()
    page.get_by_text("K-means mode").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=1, phase="E")
    assert "Inertia" in deep_text(page)
    assert_no_nan(page)
    screenshot(page, "09-kmeans-uncertainty")


def test_hover_shows_responsibilities_and_click_pins_a_table(lab, screenshot):
    """Hovering a point shows r1..rK in a tooltip; clicking it pins the inspector's table."""
    page = lab
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    points, means = source(page, "emlab-points"), source(page, "emlab-means")
    xy = np.column_stack([points["x"], points["y"]])
    far = np.min(np.hypot(*(xy[:, None, :] - np.column_stack([means["x"], means["y"]])[None]).T),
                 axis=0)
    i = int(np.argmax(far))  # a point well away from every handle
    at = page.evaluate(TO_PAGE_JS, [float(xy[i, 0]), float(xy[i, 1])])
    page.mouse.move(at[0] - 20, at[1] - 20)
    page.mouse.move(*at)
    tooltip = page.locator(".bk-tooltip-content").first
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.text_content()
    assert f"#{i + 1}" in text and "r1" in text and "r3" in text   # points counted from 1
    # Each rk is the point's responsibility, read from the (n, K) resp source.
    resp = np.asarray(source(page, "emlab-resp")["r"]).reshape(len(xy), -1)
    values = page.locator(".bk-tooltip-content").first.locator(".bk-tooltip-row-value")
    shown = [values.nth(row).text_content().strip() for row in range(values.count())][-3:]
    assert shown == [f"{r:.3f}" for r in resp[i]], (shown, resp[i])
    page.mouse.click(*at)
    page.locator(".bk-tab", has_text="Inspect").click()
    page.get_by_text("Bayes' rule").first.wait_for(timeout=10_000)
    assert page.locator("table.emlab-bayes tbody tr").count() == 3
    screenshot(page, "10-inspect")


def test_add_point_mode_and_downloads(lab, tmp_path, screenshot):
    """Add-point mode turns a click into a new point; the export buttons download real files."""
    page = lab
    n = len(source(page, "emlab-points")["x"])
    page.locator(".bk-tab", has_text="Data").click()
    page.get_by_role("button", name="Add points by clicking").click()
    # Panel may apply the toggle after a plot event sent just behind it: wait until it took effect.
    page.get_by_text("click adds a point").first.wait_for(timeout=30_000)
    means = source(page, "emlab-means")
    corner = page.evaluate(TO_PAGE_JS, [min(means["x"]) - 3.0, max(means["y"]) + 3.0])
    page.mouse.click(*corner)
    screenshot(page, "11-add-point")
    page.get_by_text(f"{n + 1:,} points").first.wait_for(timeout=60_000)
    assert len(source(page, "emlab-points")["x"]) == n + 1
    page.locator(".bk-tab", has_text="Export").click()
    for label, magic in (("Figure (PNG)", b"\x89PNG"), ("Figure (SVG)", b"<?xml"),
                         ("Parameters (JSON)", b"{"), ("Responsibilities (CSV)", b"x,y,r1")):
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name=label).click()
        path = tmp_path / info.value.suggested_filename
        assert path.name.startswith("emlab-") and "-K3-it" in path.name, path.name
        info.value.save_as(path)
        assert path.read_bytes().startswith(magic), label


def test_on_a_phone_the_page_is_laid_out_at_its_width(guarded_page, panel_server, screenshot):
    """Guards the viewport meta under `panel serve`: the page carries it once, and a phone (390 px,
    emulated as mobile, so Chromium honours the meta: without it the layout is 980 px wide) shows
    the stacked lab, plot first, without sideways scrolling."""
    import urllib.request

    with urllib.request.urlopen(panel_server.url) as response:
        html = response.read().decode()
    assert html.count('name="viewport"') == 1
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html

    page = guarded_page
    page.set_viewport_size({"width": 390, "height": 844})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    open_lab(page, panel_server)
    wait_status(page, iteration=0, phase="E")
    widths = check_phone_layout(page)
    assert widths[1] == 390, f"laid out {widths[1]} px wide, not at the phone's width"
    screenshot(page, "12-phone")


def test_page_tweaks_checkbox_words_toggle_and_no_css_sets_plot_colours(lab):
    """static/page-tweaks.js under panel serve (app/main.py's page template)."""
    check_checkbox_words_toggle(lab)
    check_sliders_are_named(lab)
    check_no_css_sets_plot_visuals(lab)
    check_equations_and_font_sizes(lab)


def test_switching_data_set_and_lowering_k_keep_the_page_whole(lab):
    """Every shipped data set and every smaller K arrives whole under panel serve too (the static
    site's corrupt page came from plots painting a half-applied patch; see page-tweaks.js)."""
    check_switching_data_sets(lab)
    check_lowering_k(lab)
