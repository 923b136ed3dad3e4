"""Every lesson the lab can run, completed in a real browser as a student would, in both runtimes.

For each built-in lesson the 2-D lab runs (the trace lab, on 1-D data, opens a page of its own,
tested in test_trace_lab.py), one page opens ``?lesson=NAME`` and does what each step
asks through the page only: clicks on buttons and tabs, keys on the sliders, a point clicked to pin
it, a handle dragged with the mouse. After every step the lesson panel must show the next one
("Step n of m") and, after the last, its done state. Under `panel serve` (the panel_server fixture)
and in the static site (lab_site, Python in the page). The page guards fail a test on any console
error or BokehJS/Panel warning; the page must show no NaN at the end.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import deep_text, open_live
from labpage import (
    TO_PAGE_JS,
    answer_wrong_then_right,
    guess_the_means,
    assert_no_nan,
    open_lab,
    source,
    status,
    wait_status,
)

from app.lesson_run import catalogue, unavailable_reason

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

AVAILABLE = [name for name, lesson in catalogue().items() if not unavailable_reason(lesson)]
TIMEOUT = 60_000  # ms: a run or the BIC table in Pyodide on a busy 2-core machine


# ------------------------------------------------------------------------------------------------
# What a student does


def wait_step(page, text):
    """Wait until the lesson panel's counter reads ``text`` ("Step 2 of 6", "Done")."""
    page.locator(".emlab-lesson-body .count", has_text=text).first.wait_for(timeout=TIMEOUT)


def click(page, name):
    page.get_by_role("button", name=name, exact=True).first.click()


def run(page):
    """Run to convergence, and wait until the status line says where it stopped."""
    click(page, "Run to convergence")
    page.locator('.emlab-status[data-state="converged"], .emlab-status[data-state="collapsed"]'
                 ).first.wait_for(timeout=TIMEOUT)


def new_start(page, name):
    """Click a setting's button (a covariance type, a mode) and wait until the lab restarted
    from it: iteration 0 and another log-likelihood than before."""
    before = status(page)["loglik"]
    click(page, name)
    page.locator(f'.emlab-status[data-iteration="0"]:not([data-loglik="{before}"])').first.wait_for(
        timeout=TIMEOUT)


def set_k(page, k):
    """K by keyboard on its slider, one stop at a time, each stop arriving before the next."""
    handle = page.get_by_role("slider", name="Components K")
    now = round(float(handle.get_attribute("aria-valuenow")))
    handle.focus()
    while now != k:
        key = "ArrowRight" if k > now else "ArrowLeft"
        now += 1 if k > now else -1
        page.keyboard.press(key)
        page.wait_for_function("(k) => Bokeh.documents[0].get_model_by_name('emlab-means')"
                               ".data.x.length === k", arg=now, timeout=TIMEOUT)
        wait_status(page, iteration=0, phase="E")


def set_floor_to_zero(page):
    """The variance floor ε to its first stop, 0 (Home on its slider's handle)."""
    handle = page.get_by_role("slider", name="Variance floor ε (added to every variance)")
    if not handle.count():  # (Panel's DiscreteSlider gives its handle no title to name it by)
        handle = page.locator("[role=slider]:not([aria-label])")
    assert handle.count() == 1
    handle.focus()
    page.keyboard.press("Home")
    page.get_by_text("Variance floor ε (added to every variance): 0", exact=False).first.wait_for(
        timeout=TIMEOUT)


def pin_a_point(page):
    """Click the point farthest from every handle (a click on a handle would grab it)."""
    points, means = source(page, "emlab-points"), source(page, "emlab-means")
    at = np.array([page.evaluate(TO_PAGE_JS, [x, y]) for x, y in zip(points["x"], points["y"])])
    handles = np.array([page.evaluate(TO_PAGE_JS, [x, y]) for x, y in zip(means["x"], means["y"])])
    box = page.locator(".emlab-plot-card").first.bounding_box()
    inside = ((at[:, 0] > box["x"] + 60) & (at[:, 0] < box["x"] + box["width"] - 30)
              & (at[:, 1] > box["y"] + 60) & (at[:, 1] < box["y"] + box["height"] - 60))
    far = np.min(np.hypot(*(at[:, None, :] - handles[None, :, :]).transpose(2, 0, 1)), axis=1)
    i = int(np.argmax(np.where(inside, far, -1)))
    page.mouse.click(*at[i])


def drag_handle_onto_another(page):
    """Handle 1 dragged with the mouse to just beside handle 2: a bad start (two means in one
    cluster, none in another)."""
    means = source(page, "emlab-means")
    start = page.evaluate(TO_PAGE_JS, [means["x"][0], means["y"][0]])
    target = page.evaluate(TO_PAGE_JS, [means["x"][1] + 0.2, means["y"][1] + 0.2])
    page.mouse.move(*start)
    page.mouse.down()
    for t in np.linspace(0, 1, 12)[1:]:
        page.mouse.move(start[0] + t * (target[0] - start[0]), start[1] + t * (target[1] - start[1]))
    page.mouse.up()
    wait_status(page, iteration=0, phase="E")


def open_tab(page, name):
    page.locator(".bk-tab", has_text=name).first.click()


def predict_the_means(page):
    """In the Predict tab, guess each mean (a click beside its handle), then take the M-step."""
    open_tab(page, "Predict")
    guess_the_means(page, [(40, 10)] * len(source(page, "emlab-means")["x"]))
    click(page, "M-step")
    page.get_by_text("Where the means went").first.wait_for()


# What a student does for each step of each lesson (the lesson's own words say it).
WALKS = {
    "soft-vs-hard": [
        run,
        pin_a_point,
        lambda p: click(p, "k-means (hard)"),
        run,
        lambda p: (new_start(p, "EM (soft)"), run(p)),
        lambda p: answer_wrong_then_right(p, catalogue()["soft-vs-hard"].steps[5]),
    ],
    "now-break-it": [
        run,
        set_floor_to_zero,
        lambda p: set_k(p, 6),
        run,
        lambda p: (set_k(p, 3), run(p)),
        lambda p: (new_start(p, "Break it"), run(p)),
        lambda p: click(p, "Next"),
    ],
    "local-optima": [
        run,
        drag_handle_onto_another,
        run,
        lambda p: (open_tab(p, "Restarts"), click(p, "Run restarts")),
        lambda p: click(p, "Next"),
    ],
    "shapes": [
        run,
        lambda p: (new_start(p, "k-means (hard)"), run(p)),
        lambda p: (new_start(p, "EM (soft)"), new_start(p, "diag"), run(p)),
        lambda p: (new_start(p, "full"), run(p)),
        lambda p: (new_start(p, "tied"), run(p)),
        lambda p: click(p, "Next"),
    ],
    "how-many-components": [
        lambda p: (set_k(p, 1), run(p)),
        lambda p: (set_k(p, 6), run(p)),
        lambda p: (open_tab(p, "Model selection"), click(p, "Compute BIC / AIC")),
        lambda p: (p.get_by_role("button", name=re.compile(r"^Use K = \d+$")).click(),
                   wait_status(p, iteration=0), run(p)),
        lambda p: click(p, "Next"),
    ],
    "the-math": [
        pin_a_point,
        lambda p: click(p, "E-step"),
        predict_the_means,
        lambda p: (click(p, "Step"), wait_status(p, iteration=2, phase="E"), click(p, "Step")),
        lambda p: click(p, "Next"),
    ],
}


def complete(page, name, screenshot=None):
    """Do every step of lesson ``name`` on an opened page; each must move the panel on."""
    lesson = catalogue()[name]
    n = len(lesson.steps)
    assert len(WALKS[name]) == n
    wait_step(page, f"Step 1 of {n}")
    assert lesson.title in deep_text(page)
    for i, act in enumerate(WALKS[name]):
        assert lesson.steps[i].title in deep_text(page), (name, i)
        act(page)
        wait_step(page, f"Step {i + 2} of {n}" if i + 1 < n else "Done")
    assert "Lesson complete" in deep_text(page)
    assert_no_nan(page)
    if screenshot is not None:
        screenshot(page, f"lesson-{name}-done", full_page=False)


def test_every_available_lesson_has_a_walk():
    """The walks cover every lesson the lab can run."""
    assert sorted(AVAILABLE) == sorted(WALKS)


# ------------------------------------------------------------------------------------------------
# panel serve


@pytest.mark.parametrize("name", AVAILABLE)
def test_a_student_completes_the_lesson_under_panel_serve(name, guarded_page, panel_server,
                                                          screenshot):
    """?lesson=NAME under panel serve: every step done through the page, then the done state."""
    guarded_page.set_viewport_size({"width": 1400, "height": 900})
    since = panel_server.log_size()
    page = open_lab(guarded_page, panel_server, f"?lesson={name}")
    complete(page, name, screenshot)
    panel_server.assert_no_traceback(since)


def test_the_picker_starts_back_and_leave_under_panel_serve(guarded_page, panel_server,
                                                            screenshot):
    """From the plain lab: the picker lists the lessons (the trace lab as opening its own page:
    tests/browser/test_trace_lab.py picks it), picking one sets the lab up at step 1; Back,
    Leave lesson; Share link while a lesson runs copies ?lesson=NAME."""
    page = guarded_page
    page.set_viewport_size({"width": 1400, "height": 900})
    open_lab(page, panel_server)
    picker = page.get_by_role("combobox", name="Lesson")
    labels = picker.locator("option").all_inner_texts()
    assert labels[0] == "Choose a lesson" and "Trace lab (opens its own page)" in labels
    picker.select_option(label="The math")
    wait_step(page, "Step 1 of 5")
    screenshot(page, "lesson-picked-1400x900", full_page=False)
    pin_a_point(page)
    wait_step(page, "Step 2 of 5")
    click(page, "Back")
    wait_step(page, "Step 1 of 5")
    click(page, "Share link")
    page.wait_for_function(
        """() => { const all = (root) => [...root.querySelectorAll('*')].flatMap(
                     (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
                   const f = all(document).find((el) => el.classList &&
                                                el.classList.contains('emlab-share-field'));
                   return f && f.value.endsWith('?lesson=the-math'); }""", timeout=TIMEOUT)
    click(page, "Leave lesson")
    page.locator(".emlab-lesson-body").first.wait_for(state="detached", timeout=TIMEOUT)
    assert picker.input_value() == "Choose a lesson"


def test_an_unknown_lesson_link_opens_the_lab_with_a_note(guarded_page, panel_server):
    """?lesson=nonsense opens the lab as usual, with a note. (?lesson=trace-lab opens the trace
    lab's own page: tests/browser/test_trace_lab.py.)"""
    page = open_lab(guarded_page, panel_server, "?lesson=nonsense")
    page.locator(".emlab-link-notes", has_text="expected one of").first.wait_for(timeout=TIMEOUT)
    assert page.locator(".emlab-lesson-body").count() == 0


def test_layout_with_a_lesson_running_under_panel_serve(guarded_page, panel_server, screenshot):
    """With a lesson running (the longest, one step done), as test_layout.py checks the plain lab:
    in an 800×600 frame the plot, E-step, M-step and status line show at once; at every
    full-page size no cards overlap, every control can be clicked, nothing scrolls sideways."""
    from test_layout import check_full_page_sizes, check_host_page, report

    page = guarded_page
    problems = check_host_page(page, panel_server.url + "?embed=1&lesson=now-break-it",
                               "serve-lesson", screenshot)
    page.set_viewport_size({"width": 1400, "height": 900})
    open_lab(page, panel_server, "?lesson=now-break-it")
    run(page)
    wait_step(page, "Step 2 of 7")
    problems += check_full_page_sizes(page, "serve-lesson", screenshot)
    report(problems)


# ------------------------------------------------------------------------------------------------
# the static site (Python in the page)


@pytest.mark.parametrize("name", AVAILABLE)
def test_a_student_completes_the_lesson_in_the_static_site(name, lab_site, site_page, screenshot):
    """?lesson=NAME in the static site: every step done through the page, then the done state."""
    site_page.set_viewport_size({"width": 1400, "height": 900})
    page = open_live(site_page, f"{lab_site}/index.html?lesson={name}")
    page.get_by_role("button", name="E-step").wait_for(timeout=TIMEOUT)
    complete(page, name)


def test_the_picker_starts_a_lesson_in_the_static_site(lab_site, site_page):
    """The plain page (the lab restored from the site's saved start): the picker lists the
    lessons; picking one sets the lab up, its first step moves on, Leave lesson closes it."""
    site_page.set_viewport_size({"width": 1400, "height": 900})
    page = open_live(site_page, f"{lab_site}/index.html")
    picker = page.get_by_role("combobox", name="Lesson")
    picker.wait_for(timeout=TIMEOUT)
    labels = picker.locator("option").all_inner_texts()
    assert labels[0] == "Choose a lesson" and "Shapes" in labels, labels
    picker.select_option(label="Shapes")
    wait_step(page, "Step 1 of 6")
    run(page)
    wait_step(page, "Step 2 of 6")
    assert page.get_by_role("combobox", name="Data set").input_value() == "Anisotropic blobs"
    click(page, "Leave lesson")
    page.locator(".emlab-lesson-body").first.wait_for(state="detached", timeout=TIMEOUT)
