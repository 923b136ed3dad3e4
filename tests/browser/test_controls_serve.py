"""The lab's controls under `panel serve` in a real browser (headless Chromium on 127.0.0.1): keys
pressed on a focused control, what the server logs while they are used, and what the page loads.

The guarded_page fixture fails a test on any console error or BokehJS/Panel warning and on any
request that leaves 127.0.0.1.
"""

from __future__ import annotations

import pytest
from conftest import deep_text
from labpage import TO_PAGE_JS, open_lab, source, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

# The noUiSlider handle (role="slider") of the slider whose title starts with `title`.
SLIDER_HANDLE_JS = """(title) => {
  const roots = [];
  const walk = (root) => { for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
    roots.push(el.shadowRoot); walk(el.shadowRoot); } };
  walk(document);
  for (const root of roots) {
    const handle = root.querySelector('[role=slider]');
    const head = root.querySelector('.bk-slider-title');
    if (handle && head && head.textContent.trim().startsWith(title)) return handle;
  }
  return null;
}"""


@pytest.fixture
def lab(guarded_page, panel_server):
    page = open_lab(guarded_page, panel_server)
    wait_status(page, iteration=0, phase="E")
    return page


def _handle(page, title):
    return page.evaluate_handle(SLIDER_HANDLE_JS, title).as_element()


def _settled(page):
    page.wait_for_timeout(800)  # a stray shortcut's round trip to the server would be back by now


def test_keys_on_a_focused_control_move_the_control_not_the_lab(lab, screenshot):
    """Guards issue 11 #5: ← on a focused slider also fired "← back" ("Already at the start"),
    and space on a focused button also fired "next half-step". A focused slider, radio button
    group or select keeps all its keys; a focused button keeps space and Enter (one click)."""
    page = lab
    k_handle = _handle(page, "Components K")
    k_handle.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-means')"
                           ".data.x.length === 2")
    _settled(page)
    assert "Already at the start" not in deep_text(page)
    wait_status(page, iteration=0, phase="E")

    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    speed = _handle(page, "Speed")
    before = speed.get_attribute("aria-valuenow")
    speed.focus()
    page.keyboard.press("ArrowLeft")  # slower, and no step back
    _settled(page)
    assert float(speed.get_attribute("aria-valuenow")) < float(before)
    wait_status(page, iteration=1, phase="M")

    page.get_by_role("button", name="tied", exact=True).focus()
    page.keyboard.press("m")  # a radio button group keeps its keys: no M-step
    page.get_by_role("combobox", name="Init").focus()
    page.keyboard.press("m")  # nor a select (no option starts with m)
    _settled(page)
    wait_status(page, iteration=1, phase="M")

    page.get_by_role("button", name="M-step").focus()
    page.keyboard.press(" ")  # the button's own click: exactly one half-step
    wait_status(page, iteration=1, phase="E")
    _settled(page)
    wait_status(page, iteration=1, phase="E")
    page.get_by_role("button", name="Step back").focus()
    page.keyboard.press(" ")  # one step back, not the next half-step
    wait_status(page, iteration=1, phase="M")
    _settled(page)
    wait_status(page, iteration=1, phase="M")
    assert source(page, "emlab-trace-curve")["kind"].count("E") == 1

    page.get_by_role("button", name="Step back").focus()
    page.keyboard.press("m")  # other keys on a plain button are still shortcuts
    wait_status(page, iteration=1, phase="E")
    screenshot(page, "keys-on-focused-controls")


# Every stylesheet URL the page's Bokeh models name that is not on the page's own server.
REMOTE_STYLESHEETS_JS = """() => [...Bokeh.documents[0].all_models]
  .filter((m) => m.type === 'ImportedStyleSheet'
                 && new URL(m.url, location.href).host !== location.host)
  .map((m) => m.url)"""


def test_a_pane_changed_in_a_closed_tab_loads_nothing_from_a_cdn(lab, screenshot):
    """Guards issue 11 #7: the Inspect table changed while its tab was closed (Tabs(dynamic=True)
    had taken its model out of the document); Panel then resolved the pane's stylesheets against
    its CDN, and the page requested loading.css and the theme CSS from cdn.holoviz.org (~76 models
    then named the CDN stylesheet). Nothing may leave 127.0.0.1."""
    page = lab
    page.locator(".bk-tab", has_text="Restarts").click()
    points = source(page, "emlab-points")
    page.mouse.click(*page.evaluate(TO_PAGE_JS, [points["x"][0], points["y"][0]]))  # pin it
    page.get_by_role("button", name="E-step").click()  # the closed Inspect tab's table changes
    wait_status(page, iteration=1, phase="M")
    page.locator(".bk-tab", has_text="Inspect").click()
    page.get_by_text("Point #1").first.wait_for(timeout=20_000)
    _settled(page)
    assert page.evaluate(REMOTE_STYLESHEETS_JS) == []
    assert page.guard.remote_requests == []
    screenshot(page, "inspect-after-restarts")


def test_switching_mode_and_covariance_type_warns_nothing(lab, screenshot):
    """Guards issue 11 #8: BokehJS warned "could not set initial ranges" while the mode and the
    covariance type changed: the BIC/AIC plot had data ranges over an empty source (before a
    computation, and after a change clears it). The guard fails on any BokehJS/Panel warning."""
    page = lab
    page.locator(".bk-tab", has_text="Model selection").click()
    _settled(page)
    page.get_by_role("button", name="Compute BIC / AIC").click()
    page.get_by_role("button", name="Use K = ", exact=False).wait_for(timeout=60_000)
    for name in ("k-means (hard)", "EM (soft)", "tied", "diag", "spherical", "full"):
        page.get_by_role("button", name=name, exact=True).click()
        _settled(page)
    page.get_by_role("button", name="Compute BIC / AIC").click()
    page.get_by_role("button", name="Use K = ", exact=False).wait_for(timeout=60_000)
    _settled(page)
    assert page.guard.problems() == []
    screenshot(page, "model-selection-after-switching")


def test_play_then_pause_logs_no_traceback(lab, panel_server):
    """Guards issue 11 #8: Play then Pause left an asyncio.CancelledError traceback (Panel's
    _async_repeat) in the panel serve log. Play and Pause by button and by key, and a speed change
    while playing: the log gets no traceback."""
    page, since = lab, panel_server.log_size()
    play = lambda: page.get_by_role("button", name="Play", exact=True).click()  # noqa: E731
    pause = lambda: page.get_by_role("button", name="Pause", exact=True).click()  # noqa: E731
    play()
    page.locator(".emlab-status[data-iteration='2']").first.wait_for(timeout=20_000)
    pause()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=10_000)
    play()
    pause()  # at once: before the timer's first tick
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("p")
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=10_000)
    speed = _handle(page, "Speed")
    speed.focus()
    page.keyboard.press("End")  # fastest while playing: Panel restarts the timer
    _settled(page)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("p")
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=10_000)
    _settled(page)
    panel_server.assert_no_traceback(since=since)


def test_a_cleared_seed_box_shows_the_seed_again(lab, panel_server):
    """Guards issue 11 #6: clearing the Seed box (empty, Enter) logged "ValueError: Integer
    parameter 'Session.seed' must be an integer, not NoneType" under panel serve. The box shows
    the seed again and the start is unchanged; a negative seed is the start's 0; nothing is
    logged."""
    page, since = lab, panel_server.log_size()
    box = page.locator(".bk-spin-wrapper input").first  # the page's one spinner: Seed
    means = source(page, "emlab-means")
    box.fill("")
    box.press("Enter")
    page.wait_for_function("(el) => el.value === '0'", arg=box.element_handle(), timeout=10_000)
    _settled(page)
    assert source(page, "emlab-means") == means
    box.fill("-5")  # BokehJS clamps it to the box's start, 0: the seed in use
    box.press("Enter")
    _settled(page)
    assert source(page, "emlab-means") == means
    panel_server.assert_no_traceback(since=since)
    with open(panel_server.log, "rb") as f:
        f.seek(since)
        assert b"Error" not in f.read()
