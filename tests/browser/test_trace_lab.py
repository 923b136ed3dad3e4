"""The trace lab (``?lesson=trace-lab``) in a real browser, under `panel serve` and in the static
site.

A student opens the link and takes E, M, E, M through the page's buttons (and keys): after each
half-step the status line says which step comes next ("Step n/4: ..."), the whole responsibility
table shows the numbers app.em1d computes here in the test, the curves' sources hold each
component's weighted density and the mixture's (their sum), the points are coloured, and the lesson
panel moves to its next step; Step back and Reset work; the lesson's two questions (the seed's
exercises) show a wrong choice's feedback and move on at the right one; nothing on the page is NaN or infinite. The
page guards fail a test on any console error or BokehJS/Panel warning. Screenshots at 1400×900
and 800×600.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import LIVE, START_TIMEOUT, deep_text, open_live
from labpage import answer_wrong_then_right, assert_no_nan, source

from app import em1d
from app.lesson_run import catalogue
from app.views.trace_lab import number

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

TIMEOUT = 60_000
SIX = np.array([0.80, 1.10, 1.40, 4.70, 5.10, 5.50])
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def expected_states():
    """What app.em1d gives after 0..4 half-steps from the lesson's start: (resp shown, mixture)."""
    mixture = em1d.initial_mixture(SIX, 2, means_init=[1.60, 4.40], variances_init=[0.5, 0.5],
                                   weights_init=[0.5, 0.5])
    states = [(np.full((6, 2), 0.5), mixture)]
    for _ in range(2):
        resp, _ = em1d.e_step(SIX, mixture)
        states.append((resp, mixture))
        mixture = em1d.m_step(SIX, resp, reg_covar=0.0)
        states.append((resp, mixture))
    return states


def parse_number(text: str) -> float:
    """A number as the page writes it: "−10.31", "0.9999", "6.96 × 10⁻⁵"."""
    text = text.strip().replace("−", "-")
    if "×" in text:
        mantissa, power = text.split("×")
        return float(mantissa) * 10.0 ** int(power.strip()[2:].translate(_SUPER))
    return float(text)


def wait_half_steps(page, n):
    page.locator(f'.emlab-trace-status[data-halfsteps="{n}"]').first.wait_for(timeout=TIMEOUT)


def wait_lesson_step(page, text):
    page.locator(".emlab-lesson-body .count", has_text=text).first.wait_for(timeout=TIMEOUT)


def table(page):
    """The responsibility table as numbers, (6, K)."""
    rows = page.locator(".emlab-trace-table table.resp tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        out.append([parse_number(c) for c in cells[2:]])
    return np.array(out)


def check_state(page, n, states):
    """Half-step n is on the page: status, table, curves, means, points, as app.em1d has it."""
    wait_half_steps(page, n)
    resp, mixture = states[n]
    # The table can arrive a moment after the status line: wait for the numbers to agree (to the
    # 4 significant digits it prints, 3 in "2.39 × 10⁻⁵").
    for _ in range(100):
        shown = table(page)
        if shown.shape == resp.shape and np.allclose(shown, resp, rtol=5e-3, atol=1e-12):
            break
        page.wait_for_timeout(100)
    np.testing.assert_allclose(shown, resp, rtol=5e-3, atol=1e-12)
    texts = [page.locator(".emlab-trace-table table.resp tbody tr").nth(i).locator("td")
             .all_inner_texts()[2:] for i in range(6)]
    assert texts == [[number(r) for r in row] for row in resp]
    status = page.locator(".emlab-trace-status").first
    if n < 4:
        kind = "E-step" if n % 2 == 0 else "M-step"
        assert status.locator(".next").inner_text().startswith(f"Step {n + 1}/4: {kind}")
    ll = em1d.log_likelihood(SIX, mixture)
    assert float(status.get_attribute("data-loglik")) == pytest.approx(ll, rel=1e-6)
    comps = source(page, "trace-components")
    total = source(page, "trace-mixture")
    grid = np.array(total["x"])
    curves = em1d.density_curves(SIX, mixture, grid)
    for k in range(2):
        np.testing.assert_allclose(comps["xs"][k], grid)
        np.testing.assert_allclose(comps["ys"][k], curves.components[:, k], rtol=1e-9,
                                   atol=1e-300)
    np.testing.assert_allclose(total["y"], curves.mixture, rtol=1e-9)
    np.testing.assert_allclose(source(page, "trace-means")["x"], mixture.means, rtol=1e-12)
    points = source(page, "trace-points")
    np.testing.assert_allclose(points["x"], SIX)
    assert points["label"] == [f"x{i}" for i in range(1, 7)]


def take_the_trace_as_a_student(page, screenshot, name):
    """E, M, E, M through the buttons and keys, every state checked; Step back and Reset; then
    the lesson's two questions, a wrong choice first."""
    states = expected_states()
    page.get_by_role("button", name="E-step").wait_for(timeout=TIMEOUT)
    page.locator(".emlab-trace-status").first.wait_for(timeout=TIMEOUT)
    text = deep_text(page)
    assert "Step 1/4: E-step" in text and "Back to the 2-D lab" in text
    assert page.locator("a", has_text="Back to the 2-D lab").first.get_attribute("href") == "?"
    wait_lesson_step(page, "Step 1 of 6")
    check_state(page, 0, states)
    page.get_by_role("button", name="E-step").click()
    check_state(page, 1, states)
    wait_lesson_step(page, "Step 2 of 6")
    # The first E-step's point x3 (the lesson's arithmetic): 0.2710 + 3.48 × 10⁻⁵ = 0.2711.
    sums = (page.locator(".emlab-trace-point table.sums").first.inner_text()
            + page.locator(".emlab-trace-point .resp-line").first.inner_text())
    assert "0.2711" in sums and "0.9999" in sums and "0.0001" in sums
    row = table(page)[2]
    assert (round(row[0], 4), round(row[1], 4)) == (0.9999, 0.0001)
    screenshot(page, f"{name}-after-e")
    page.get_by_role("button", name="M-step").click()
    check_state(page, 2, states)
    wait_lesson_step(page, "Step 3 of 6")
    sums = page.locator(".emlab-trace-component ul.msteps").first.inner_text()
    assert "μ₁ = 3.300 / 3.000 = 1.100" in sums and "0.06036" in sums
    # E by key, then M by button
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("e")
    check_state(page, 3, states)
    wait_lesson_step(page, "Step 4 of 6")
    page.get_by_role("button", name="M-step").click()
    check_state(page, 4, states)
    wait_lesson_step(page, "Step 5 of 6")
    means = source(page, "trace-means")["x"]
    np.testing.assert_allclose(means, [1.10, 5.10], atol=1e-9)
    assert_no_nan(page)
    screenshot(page, f"{name}-after-four")
    # Step back, then Reset: the states come back; the lesson keeps its progress.
    page.get_by_role("button", name="Step back").click()
    check_state(page, 3, states)
    page.get_by_role("button", name="Reset").click()
    check_state(page, 0, states)
    wait_lesson_step(page, "Step 5 of 6")
    # The seed's exercises: what a responsibility means, why a boundary point counts partly.
    steps = catalogue()["trace-lab"].steps
    answer_wrong_then_right(page, steps[4], timeout=TIMEOUT)
    wait_lesson_step(page, "Step 6 of 6")
    answer_wrong_then_right(page, steps[5], timeout=TIMEOUT)
    wait_lesson_step(page, "Done")
    assert_no_nan(page)


def check_small_window(page, screenshot, name):
    """At 800×600 the plot, the E-step button and the status line are on the first screen; on a
    phone (390 px) nothing scrolls sideways."""
    page.set_viewport_size({"width": 800, "height": 600})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(500)
    for locator in (page.get_by_role("button", name="E-step"),
                    page.locator(".emlab-trace-status").first):
        box = locator.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 600, box
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 800, f"the page scrolls sideways: {width} px"
    screenshot(page, f"{name}-800x600", full_page=False)
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: one column, no sideways
    page.wait_for_timeout(500)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width} px"
    screenshot(page, f"{name}-390", full_page=True)


def test_trace_lab_under_panel_serve(guarded_page, panel_server, screenshot):
    """?lesson=trace-lab under panel serve: E, M, E, M as a student; the table, the curves and
    the lesson follow app.em1d."""
    page = guarded_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(panel_server.url + "?lesson=trace-lab")
    try:
        page.get_by_role("button", name="E-step").wait_for(timeout=TIMEOUT)
    except Exception as exc:
        pytest.fail(f"the trace lab did not load: {exc}\n{panel_server.log_tail()}")
    take_the_trace_as_a_student(page, screenshot, "serve-trace")
    check_small_window(page, screenshot, "serve-trace")
    panel_server.assert_no_traceback()


def test_trace_lab_in_the_static_site(lab_site, site_page, screenshot):
    """?lesson=trace-lab in the static site (Python in the page): the same walk."""
    site_page.set_viewport_size({"width": 1400, "height": 900})
    page = open_live(site_page, f"{lab_site}/index.html?lesson=trace-lab")
    take_the_trace_as_a_student(page, screenshot, "site-trace")
    check_small_window(page, screenshot, "site-trace")


def test_the_pickers_and_the_back_link_move_between_the_pages(guarded_page, panel_server):
    """The 2-D lab's picker opens the trace lab (its own page, ?lesson=trace-lab); the trace
    lab's picker opens a 2-D lesson in the lab; its link back leads to the 2-D lab (framed when
    the trace lab was)."""
    page = guarded_page
    page.goto(panel_server.url)
    picker = page.get_by_role("combobox", name="Lesson")
    picker.wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Run to convergence").wait_for(timeout=TIMEOUT)
    picker.select_option(label="Trace lab (opens its own page)")
    page.wait_for_url(re.compile(r"\?lesson=trace-lab$"), timeout=TIMEOUT)
    wait_half_steps(page, 0)
    wait_lesson_step(page, "Step 1 of 6")
    picker = page.get_by_role("combobox", name="Lesson")
    assert picker.input_value() == "Trace lab"
    picker.select_option(label="Soft vs hard (opens its own page)")
    page.wait_for_url(re.compile(r"\?lesson=soft-vs-hard$"), timeout=TIMEOUT)
    page.get_by_role("button", name="Run to convergence").wait_for(timeout=TIMEOUT)
    wait_lesson_step(page, "Step 1 of")
    page.goto(panel_server.url + "?lesson=trace-lab&embed=1")
    link = page.locator("a", has_text="Back to the 2-D lab").first
    link.wait_for(timeout=TIMEOUT)
    link.click()
    page.wait_for_url(re.compile(r"^[^?]*\?embed=1$"), timeout=TIMEOUT)
    page.get_by_role("button", name="Run to convergence").wait_for(timeout=TIMEOUT)
    panel_server.assert_no_traceback()


def test_the_lab_picker_opens_the_trace_lab_in_the_static_site(lab_site, site_page):
    """In the static site too, picking the trace lab in the 2-D lab's Lessons picker loads
    ?lesson=trace-lab, and the trace lab goes live there."""
    page = open_live(site_page, f"{lab_site}/index.html")
    picker = page.get_by_role("combobox", name="Lesson")
    picker.wait_for(timeout=TIMEOUT)
    picker.select_option(label="Trace lab (opens its own page)")
    page.wait_for_url(re.compile(r"\?lesson=trace-lab$"), timeout=TIMEOUT)
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    wait_half_steps(page, 0)
    wait_lesson_step(page, "Step 1 of 6")
