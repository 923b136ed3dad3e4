"""The static Pyodide site that build.py writes, served on 127.0.0.1 and driven in Debian's chromium.

Two builds per session: a small placeholder app (tests/browser/placeholder_app.py) that tests the
pipeline on its own (runtime, packages, worker, lazy matplotlib), and the lab itself (app/main.py),
driven as test_lab_serve.py drives it under `panel serve` (same page helpers, labpage.py).
Every test runs on `guarded_page` (conftest.py): it fails on any console error, page error or request
that leaves 127.0.0.1; this module adds a guard against failed requests (404s and aborted loads).
Python is known to be live when the page script sets <body data-pyodide="live">, which happens only
after the worker's Python rendered the document and linked it (the prerendered copy never sets it).
The first build downloads ~100 MB into .cache/ (pip and npm); later builds are offline.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import (LIVE, SITE_FOLDERS, START_TIMEOUT, build_and_serve, deep_text,
                      free_port, open_live, serve)
from labpage import (TO_DATA_JS, TO_PAGE_JS, assert_no_nan, check_checkbox_words_toggle,
                     check_equations_and_font_sizes, check_keyboard_shortcuts, check_lowering_k,
                     check_no_css_sets_plot_visuals, check_phone_layout,
                     check_points_drawn_as_one_image, check_sliders_are_named,
                     check_switching_data_sets, source, status, wait_rows, wait_status)

pytestmark = pytest.mark.browser

@pytest.fixture(scope="session")
def placeholder_site(tmp_path_factory):
    """The placeholder app's static site, served; yields its base URL."""
    with build_and_serve(tmp_path_factory, "tests/browser/placeholder_app.py") as base:
        yield base


def click_rapidly(page, label: str, times: int) -> None:
    """Click a (shadow-DOM) Bokeh button `times` times in one task: the messages leave back to back."""
    clicked = page.evaluate(
        """([label, times]) => {
          const all = (root) => [...root.querySelectorAll('*')].flatMap(
              (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
          const button = all(document).find(
              (el) => el.tagName === 'BUTTON' && el.textContent.trim() === label);
          if (!button) return 0;
          for (let i = 0; i < times; i++) button.click();
          return times;
        }""",
        [label, times],
    )
    assert clicked == times, f"no button labelled {label!r}"


# ---------------------------------------------------------------------------------------------
# The pipeline, on the placeholder app

def test_placeholder_becomes_live_with_everything_local(placeholder_site, site_page, screenshot):
    """The site starts Python in the browser from 127.0.0.1 only, and Python renders the page."""
    page = site_page
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(placeholder_site)
    # The prerendered copy shows at once (rendered by CPython at build time) under the loader.
    page.wait_for_selector(".emlab-loader", timeout=30_000)
    screenshot(page, "placeholder-loading")
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    page.get_by_text("runtime: CPython Emscripten").wait_for()
    assert page.locator(".emlab-loader").count() == 0
    timings = page.evaluate("window.emlab.timings")
    assert set(timings) >= {"runtime", "packages", "imports", "app", "interactive"}
    print("start-up timings (ms):", timings)
    assert not [url for url in requested if "/matplotlib-" in url], "matplotlib loaded at start-up"
    screenshot(page, "placeholder-live")


def test_click_changes_what_python_renders(placeholder_site, site_page):
    """A click reaches the worker's Python, whose change reaches the page."""
    page = open_live(site_page, placeholder_site)
    page.get_by_text("clicks: 0").wait_for()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("clicks: 1", exact=True).wait_for()


def test_rapid_clicks_are_applied_exactly_once_each(placeholder_site, site_page):
    """Guards the worker race: 20 back-to-back clicks advance exactly 20, none lost or doubled."""
    page = open_live(site_page, placeholder_site)
    click_rapidly(page, "Step", 20)
    page.get_by_text("clicks: 20", exact=True).wait_for(timeout=30_000)
    # Give any doubled patch time to land before checking nothing overshot.
    page.wait_for_timeout(1000)
    assert page.get_by_text(re.compile(r"^clicks: \d+$")).inner_text() == "clicks: 20"


def test_export_loads_matplotlib_on_demand(placeholder_site, site_page):
    """matplotlib is not loaded at start-up; the first export loads it and returns a real PNG."""
    page = open_live(site_page, placeholder_site)
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Export PNG").click()
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert any("/matplotlib-" in url for url in requested)
    # Pyodide knows what the start loaded (from the snapshot too): numpy is not fetched again.
    assert not any("/numpy-" in url for url in requested), requested


# ---------------------------------------------------------------------------------------------
# The lab in Pyodide

@pytest.fixture
def lab(lab_site, site_page):
    """The lab's static site, live (Python running in the browser), at iteration 0."""
    page = open_live(site_page, lab_site)
    wait_status(page, iteration=0, phase="E")
    return page


def test_lab_goes_live_with_everything_local(lab, screenshot):
    """The lab starts in the browser from 127.0.0.1 only, from the memory snapshot build.py made,
    shows its state as text, and no NaN."""
    page = lab
    text = deep_text(page)
    assert "Iteration" in text and "Next" in text and "Log-likelihood" in text
    assert len(source(page, "emlab-means")["x"]) == 3
    assert_no_nan(page)
    timings = page.evaluate("window.emlab.timings")
    print("lab start-up timings (ms):", timings)
    assert timings["start"] == "snapshot" and timings["lab"] == "saved"  # built in the snapshot
    # ... and the prerendered copy is that very document: it became the live lab, not redrawn.
    assert timings["page"] == "prerendered copy"
    assert page.evaluate("Bokeh.documents.length") == 1
    screenshot(page, "lab-live")


def test_lab_start_fetches_the_runtime_once(lab_site, site_page):
    """The snapshot start compiles Pyodide's wasm while the snapshot downloads; Pyodide's own
    request for it (made as it sets its module up) waits until its own way needs it, which it
    does not: one request for the 10 MB, not two (the second one was also cut off when the
    page was left soon after it went live)."""
    requested = []
    site_page.on("request", lambda r: "pyodide.asm.wasm" in r.url and requested.append(r.url))
    page = open_live(site_page, lab_site)
    assert page.evaluate("window.emlab.timings.start") == "snapshot"
    assert len(requested) == 1, requested


def test_lab_e_and_m_steps_change_what_is_shown(lab, screenshot):
    """E-step recolours the points (responsibilities), M-step moves the means; the status follows."""
    page = lab
    assert len(set(source(page, "emlab-points")["color"])) == 1  # the uniform start blend
    means = source(page, "emlab-means")
    before = status(page)
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    # The status and the points arrive as separate patches: wait for the recoloured points.
    page.wait_for_function("() => new Set(Bokeh.documents[0].get_model_by_name('emlab-points')"
                           ".data.color).size > 10")
    page.get_by_role("button", name="M-step").click()
    wait_status(page, iteration=1, phase="E")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-trace-curve')"
                           ".data.kind.filter((k) => k === 'M').length === 1")
    after = source(page, "emlab-means")
    assert not np.allclose([after["x"], after["y"]], [means["x"], means["y"]])
    assert float(status(page)["loglik"].replace("\u2212", "-").replace(",", "")) > \
        float(before["loglik"].replace("\u2212", "-").replace(",", ""))
    assert_no_nan(page)
    screenshot(page, "lab-after-one-iteration")


def test_lab_twenty_rapid_step_clicks_advance_twenty_iterations(lab):
    """Guards the worker race in the lab: 20 back-to-back Step clicks give iteration 20, not more."""
    page = lab
    click_rapidly(page, "Step", 20)
    wait_status(page, iteration=20, phase="E")
    page.wait_for_timeout(1000)
    assert status(page)["iteration"] == "20"


def test_lab_upload_arrives_with_its_file_name(lab, tmp_path):
    """An uploaded CSV is plotted and named in the Pyodide build as under panel serve: the page
    sends the file input's value, name and type in one patch, and the lab reads them together."""
    page = lab
    path = tmp_path / "my measurements.csv"
    rng = np.random.default_rng(5)
    table = np.round(rng.normal(size=(40, 2)), 4)
    path.write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in table))
    page.locator(".bk-tab", has_text="Data").click()
    page.locator("input[type=file]").set_input_files(path)
    page.get_by_text("Loaded my measurements.csv").first.wait_for(timeout=60_000)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-points')"
                           ".data.x.length === 40")
    np.testing.assert_allclose(source(page, "emlab-points")["x"], table[:, 0])
    assert "uploaded data" not in deep_text(page)


def test_lab_keys_and_play_work_in_the_browser(lab):
    """Keyboard shortcuts reach the worker's Python, and Play (a periodic callback in the worker)
    runs EM to convergence, showing every half-step, and stops."""
    page = lab
    check_keyboard_shortcuts(page)
    # At the fastest speed, on a page made slow (each frame busy for 80 ms, as a large data set
    # on a slow machine would), the trace's length in every animation frame until Play converges
    # never grows by more than one: the worker waits for the page, so every half-step is shown.
    speed = page.locator('[role=slider][aria-valuemin="0.5"][aria-valuemax="30.0"]').first
    speed.focus()
    speed.press("End")
    growth = page.evaluate_handle("""() => {
      const trace = Bokeh.documents[0].get_model_by_name('emlab-trace-curve');
      const seen = [trace.data.step.length];
      const sample = () => {
        seen.push(trace.data.step.length);
        const until = performance.now() + 80;
        while (performance.now() < until) {}
        requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
      return seen;
    }""")
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator('.emlab-status[data-state="converged"]').first.wait_for(timeout=120_000)
    lengths = growth.json_value()
    steps = [b - a for a, b in zip(lengths, lengths[1:])]
    assert lengths[-1] - lengths[0] >= 6 and max(steps) == 1, lengths
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=20_000)
    wait_rows(page, "emlab-trace-converged", 1)  # the star on the trace


def test_lab_restarts_and_model_selection_run_in_the_browser(lab):
    """The explorers' fits run in the worker after the spinner shows, and their results arrive."""
    page = lab
    page.locator(".bk-tab", has_text="Restarts").click()
    page.get_by_role("button", name="Run restarts").click()
    page.get_by_text("restarts ended in").first.wait_for(timeout=120_000)
    page.locator(".bk-tab", has_text="Model selection").click()
    page.get_by_role("button", name="Compute BIC / AIC").click()
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-bic')"
                           ".data.k.length > 0", timeout=120_000)


def test_lab_dragging_a_mean_reseeds_em(lab):
    """A mouse drag of a handle reaches Python in the worker, which restarts EM at the drop point."""
    page = lab
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=1, phase="E")
    means = source(page, "emlab-means")
    start = page.evaluate(TO_PAGE_JS, [means["x"][0], means["y"][0]])
    page.mouse.move(*start)
    page.mouse.down()
    for t in np.linspace(0, 1, 12)[1:]:
        page.mouse.move(start[0] + t * 120, start[1] - t * 90)
    page.mouse.up()
    dropped = page.evaluate(TO_DATA_JS, [start[0] + 120, start[1] - 90])
    wait_status(page, iteration=0, phase="E")
    after = source(page, "emlab-means")
    span = max(np.ptp(source(page, "emlab-points")["x"]), 1e-9)
    assert abs(after["x"][0] - dropped[0]) < 0.02 * span
    assert abs(after["y"][0] - dropped[1]) < 0.02 * span


def test_lab_break_it_reaches_collapse_without_nan(lab, screenshot):
    """"Break it" then Run: the collapse banner appears and no NaN reaches the page."""
    page = lab
    page.get_by_role("button", name="Break it").click()
    wait_status(page, iteration=0, phase="E")
    page.get_by_role("button", name="Run to convergence").click()
    banner = page.locator(".emlab-collapse-banner").first
    banner.wait_for(state="visible", timeout=60_000)
    assert status(page)["state"] == "collapsed"
    assert_no_nan(page)
    screenshot(page, "lab-collapse")


def test_lab_export_png_loads_matplotlib_on_demand(lab):
    """Export draws with matplotlib, which the site loads only now; the download is a real PNG."""
    page = lab
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.get_by_text("Export", exact=True).click()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Figure (PNG)").click()
    with open(download.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert any("/matplotlib-" in url for url in requested)
    # Pyodide knows what the start loaded (from the snapshot too): numpy is not fetched again.
    assert not any("/numpy-" in url for url in requested), requested


def test_lab_page_tweaks_checkbox_words_toggle_and_no_css_sets_plot_colours(lab):
    """static/page-tweaks.js in the static site (build.py's finish_html)."""
    check_checkbox_words_toggle(lab)
    check_sliders_are_named(lab)
    check_no_css_sets_plot_visuals(lab)
    check_equations_and_font_sizes(lab)
    check_points_drawn_as_one_image(lab)


def test_lab_embed_query_gives_the_compact_layout(lab_site, site_page, screenshot):
    """?embed=1 reaches the Python in the worker (Panel's location), which drops the title bar."""
    page = open_live(site_page, lab_site)
    assert "gaussian mixtures, one half-step" in deep_text(page).lower()
    page = open_live(site_page, lab_site + "/?embed=1")
    wait_status(page, iteration=0, phase="E")
    assert "gaussian mixtures, one half-step" not in deep_text(page).lower()
    # Opened from the lab the snapshot holds (no second build, no second drawing).
    timings = page.evaluate("window.emlab.timings")
    assert timings["lab"] == "saved" and timings["page"] == "prerendered copy"
    screenshot(page, "lab-embed")


def test_lab_survives_a_hostile_url(lab_site, site_page):
    """Script tags, huge numbers and NaN in the query are neither executed nor shown as NaN."""
    page = site_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = ("/?embed=%3Cscript%3Ealert(1)%3C/script%3E&k=NaN&seed=1e999&reg=-inf"
               "&means=%3Cimg%20src=x%20onerror=alert(2)%3E&steps=99999999&data=../../etc/passwd")
    open_live(page, lab_site + hostile)
    wait_status(page, phase="E")
    notes = page.locator(".emlab-link-notes")
    assert "<script>alert(1)</script>" in notes.inner_text()  # named as text, not run
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
    page.get_by_role("button", name="Dismiss").click()  # the notes quote the link's 'NaN'
    notes.wait_for(state="hidden", timeout=30_000)
    assert_no_nan(page)


def test_lab_url_state_is_reproduced_and_share_link_round_trips(lab_site, site_page,
                                                                 chromium_context):
    """A lesson link sets data, K, means and half-steps in the browser's Python; Share link gives
    a URL that opens the same state."""
    from app import urlstate
    from app.session import Session
    from app.views.loglik import format_number

    lesson = "/?data=old_faithful&k=2&means=2,55;4.5,80&steps=3&hide=restarts"
    expected = Session()
    urlstate.apply(expected, urlstate.parse(lesson[1:]))
    page = open_live(site_page, lab_site + lesson)
    wait_status(page, iteration=expected.iteration, phase=expected.phase,
                loglik=format_number(expected.current_log_likelihood(), 6))
    means = source(page, "emlab-means")
    np.testing.assert_allclose(np.c_[means["x"], means["y"]], expected.mixture.means, rtol=1e-9)
    tabs = page.locator(".bk-tab").all_inner_texts()  # (the lesson picker may name the tab)
    assert "Restarts" not in tabs and "Inspect" in tabs
    page.get_by_role("button", name="Step", exact=True).click()
    wait_status(page, iteration=expected.iteration, phase="E")  # Step completes the iteration
    shown = status(page)
    page.get_by_role("button", name="Share link").click()
    field = page.locator(".emlab-share-field")
    page.wait_for_function("(f) => f.value.startsWith('http')", arg=field.element_handle(),
                           timeout=30_000)
    url = field.input_value()
    assert url.startswith(lab_site + "/") and "steps=4" in url and "hide=restarts" in url
    other = chromium_context.new_page()
    try:
        open_live(other, url)
        wait_status(other, iteration=shown["iteration"], phase=shown["phase"],
                    loglik=shown["loglik"])
    finally:
        other.close()


def test_lab_on_a_phone_stacks_plot_first_without_sideways_scrolling(lab_site, site_page,
                                                                    screenshot):
    """At a phone's width the columns stack (the plot first), nothing scrolls sideways, and the
    page tells phones to lay it out at their own width."""
    import urllib.request

    with urllib.request.urlopen(lab_site + "/index.html") as response:
        assert 'name="viewport" content="width=device-width' in response.read().decode()
    page = site_page
    page.set_viewport_size({"width": 390, "height": 844})
    open_live(page, lab_site + "/?embed=1")
    wait_status(page, iteration=0, phase="E")
    check_phone_layout(page)
    screenshot(page, "lab-phone")


def test_embed_example_page_renders_both_iframes(lab_site, site_page, screenshot):
    """static/embed-example.html frames the lab twice; both frames start Python and go live."""
    page = site_page
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(lab_site + "/embed-example.html")
    frames = page.locator("iframe")
    assert frames.count() == 2
    for i in range(2):
        frames.nth(i).scroll_into_view_if_needed()
        frame = page.frame_locator("iframe").nth(i)
        frame.locator(LIVE).wait_for(timeout=START_TIMEOUT, state="attached")
        frame.locator(".emlab-status").first.wait_for(timeout=30_000)
    # The second frame is a lesson link: three half-steps in, the Share box hidden.
    second = page.frame_locator("iframe").nth(1)
    second.locator('.emlab-status[data-phase="M"]').first.wait_for(timeout=30_000)
    assert second.get_by_role("button", name="Share link").count() == 0
    screenshot(page, "embed-example")


def test_lab_switching_data_set_and_lowering_k_keep_the_page_whole(lab):
    """Guards the corrupt page after picking another data set or a smaller K: a layout change late
    in a patch painted the plots while the ellipses' new, shorter data was half applied ("Out of
    bounds: 0 <= 2 < 2"), which aborted the rest of the patch (old data note, E/M disabled)."""
    check_switching_data_sets(lab)
    check_lowering_k(lab)


# What of the page a person can see: no ancestor (across shadow roots) is transparent or hidden.
SHOWN_TEXT_JS = """(needle) => {
  const shown = (el) => {
    for (let node = el; node; node = node.parentNode || node.host) {
      if (!(node instanceof Element)) continue;
      const style = getComputedStyle(node);
      if (style.opacity === "0" || style.visibility === "hidden" || style.display === "none")
        return false;
    }
    return true;
  };
  const hits = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot);
      for (const child of el.childNodes) {
        if (child.nodeType === Node.TEXT_NODE && child.textContent.includes(needle) && shown(el))
          hits.push(child.textContent.trim().slice(0, 80));
      }
    }
  };
  walk(document);
  return hits;
}"""


def test_lab_clicks_on_the_loading_copy_run_in_order_once_live(lab_site, site_page, screenshot):
    """Guards the clicks a class makes while Python starts: an E-step clicked on the prerendered
    copy, then the M-step key, were silently lost; they are kept, listed on the progress card,
    and run in order once the lab is live."""
    page = site_page
    page.goto(lab_site)
    page.get_by_role("button", name="E-step").wait_for(timeout=60_000)  # the copy
    assert not page.evaluate("window.emlab.live")
    page.get_by_role("button", name="E-step").click()
    page.locator("body").press("m")
    card = page.locator(".emlab-loader-hint")
    assert card.inner_text() == "Will run when the lab is live: E-step, key m"
    assert not page.evaluate("window.emlab.live"), "the lab went live before the clicks"
    screenshot(page, "lab-loading-clicks-kept")
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    wait_status(page, iteration=1, phase="E")  # E-step, then M-step: one whole iteration
    page.wait_for_timeout(500)
    assert status(page)["iteration"] == "1" and status(page)["phase"] == "E"


def test_lab_link_shows_a_skeleton_not_another_data_set_while_loading(lab_site, site_page,
                                                                        screenshot):
    """Guards the loading copy of a lesson link: it showed the default data set (Blobs) for
    seconds before the linked one; now it shows blank cards and what is being opened, and a
    click on it says the controls wake up in a moment."""
    page = site_page
    page.goto(lab_site + "?data=old_faithful&k=2")
    opening = page.locator(".emlab-opening")
    opening.wait_for(timeout=60_000)
    assert not page.evaluate("window.emlab.live")
    assert opening.inner_text() == "Opening Old Faithful…"
    assert page.evaluate(SHOWN_TEXT_JS, "Blobs") == []
    assert page.evaluate(SHOWN_TEXT_JS, "300 points") == []
    screenshot(page, "lab-link-loading-skeleton")
    page.mouse.click(160, 200)
    assert "wake up in a moment" in page.locator(".emlab-loader-hint").inner_text()
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    page.get_by_text("272 points", exact=False).first.wait_for()
    assert page.locator(".emlab-opening").count() == 0
    assert page.evaluate(SHOWN_TEXT_JS, "Old Faithful")
    assert len(source(page, "emlab-means")["x"]) == 2
    # The copy became the live lab, the link's state its first patch: the blank cards show
    # again (nothing of the copy stays see-through).
    assert page.evaluate("window.emlab.timings.page") == "prerendered copy"
    assert page.evaluate(SHOWN_TEXT_JS, "Iteration")


def test_lesson_link_shows_a_skeleton_while_loading(lab_site, site_page):
    """A lesson link sets the lab up as well: while loading, blank cards and "Opening the
    lesson…", not the default data set; live, the lesson's page (from the saved lab)."""
    page = site_page
    page.goto(lab_site + "?lesson=soft-vs-hard")
    opening = page.locator(".emlab-opening")
    opening.wait_for(timeout=60_000)
    assert opening.inner_text() == "Opening the lesson…"
    assert page.evaluate(SHOWN_TEXT_JS, "Blobs") == []
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    page.get_by_text("Step 1 of", exact=False).first.wait_for()
    assert page.locator(".emlab-opening").count() == 0
    assert page.evaluate("window.emlab.timings.page") == "prerendered copy"


def test_lab_link_with_a_part_hidden_is_built_for_it(lab_site, site_page):
    """A link hiding a part a view lays itself out without (the keyboard hints in the controls)
    is not opened from the saved lab: the lab is built for it, and drawn."""
    page = open_live(site_page, lab_site + "/?hide=keys")
    wait_status(page, iteration=0, phase="E")
    timings = page.evaluate("window.emlab.timings")
    assert timings["lab"] == "built" and timings["page"] == "drawn"
    assert "Keys:" not in deep_text(page) and "Data set" in deep_text(page)


def test_lab_link_hiding_cards_is_opened_from_the_saved_lab(lab_site, site_page):
    """A link hiding cards of the layout (the Share box, the data set picker, the narration) and
    the trace under the status line is opened from the saved lab: they leave the page, the
    status line stays and follows the half-steps."""
    page = open_live(site_page, lab_site + "/?hide=share,data,narration,loglik&data=iris&k=3")
    wait_status(page, iteration=0, phase="E")
    timings = page.evaluate("window.emlab.timings")
    assert timings["lab"] == "saved" and timings["page"] == "prerendered copy"
    text = deep_text(page)
    assert "Data set" not in text and "Share link" not in text and "150 points" not in text
    shown = page.evaluate("""() => {
      const all = (root) => [...root.querySelectorAll('*')].flatMap(
          (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
      const trace = Bokeh.documents[0].get_model_by_name('emlab-trace-plot');
      const view = trace && Bokeh.index.find_one(trace);
      return [Boolean(view && view.el.isConnected),
              all(document).some((el) => el.classList.contains('emlab-narration'))];
    }""")
    assert shown == [False, False], shown
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    assert_no_nan(page)


def test_lab_framed_by_a_page_that_is_not_secure_starts_from_its_snapshot(lab_site, site_page):
    """A course page served over http:// is not a secure context, and nor is the lab it frames:
    there is no crypto.subtle to check the snapshot's files with, so the browser checks them
    (their sha256 as Subresource Integrity) and the frame still starts from the snapshot."""
    frame = _framed_by_a_page_that_is_not_secure(site_page, f"{lab_site}/?embed=1")
    assert frame.evaluate("() => [isSecureContext, Boolean(crypto.subtle)]") == [False, False]
    assert frame.evaluate("window.emlab.timings.start") == "snapshot"
    _steps_once(frame)


def _framed_by_a_page_that_is_not_secure(page, src: str):
    """The lab at ``src`` in an 800×600 iframe of a page set as content (about:blank: not a
    secure context), live: its Playwright Frame."""
    page.set_content(f'<iframe src="{src}" width="800" height="600"></iframe>')
    page.frame_locator("iframe").locator(LIVE).wait_for(timeout=START_TIMEOUT, state="attached")
    return page.locator("iframe").element_handle().content_frame()


def _steps_once(frame) -> None:
    frame.get_by_role("button", name="E-step").click()
    frame.locator('.emlab-status[data-iteration="1"][data-phase="M"]').first.wait_for(
        timeout=30_000)


# ---- the snapshot start falls back to the ordinary one --------------------------------------

@pytest.fixture(scope="module")
def altered_site(lab_site, tmp_path_factory):
    """A copy of the lab's site, served by build.py as it is; the test alters its files."""
    folder = tmp_path_factory.mktemp("altered") / "site"
    shutil.copytree(SITE_FOLDERS[lab_site], folder)
    port = free_port()
    cmd = [sys.executable, "build.py", "serve", "--as-is", "--out", str(folder),
           "--port", str(port)]
    with serve(cmd, port, timeout=60) as base:
        yield base, folder


def _restore_copy(lab_site, folder: Path) -> None:
    for name in ("worker.js", "pyodide"):
        source_path = SITE_FOLDERS[lab_site] / name
        if source_path.is_dir():
            shutil.rmtree(folder / name)
            shutil.copytree(source_path, folder / name)
        else:
            shutil.copy2(source_path, folder / name)


def _alter_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _starts_the_ordinary_way(page, base: str, notes: list[str]) -> None:
    page.on("console", lambda m: "without the saved start" in m.text and notes.append(m.text))
    open_live(page, base)
    wait_status(page, iteration=0, phase="E")
    assert page.evaluate("window.emlab.timings.start") == "ordinary"
    # The lab Python built now is not the copy's document: the live one is drawn in its place.
    assert page.evaluate("window.emlab.timings.page") == "drawn"
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    assert_no_nan(page)
    # One note (the page and the worker may each report it; Chromium mirrors worker logs).
    assert notes and len(set(notes)) == 1, notes


def test_lab_without_its_snapshot_file_starts_the_ordinary_way(lab_site, altered_site,
                                                                guarded_page):
    """A site whose snapshot file is missing (a partial upload) still starts, without it."""
    base, folder = altered_site
    _restore_copy(lab_site, folder)
    (folder / "pyodide" / "emlab-snapshot.bin.gz").unlink()
    notes: list[str] = []
    _starts_the_ordinary_way(guarded_page, base, notes)
    assert "HTTP 404" in notes[0]


def test_lab_with_corrupt_snapshot_bytes_starts_the_ordinary_way(lab_site, altered_site,
                                                                  site_page):
    """Start-up files whose bytes differ from what the build recorded are not used."""
    base, folder = altered_site
    _restore_copy(lab_site, folder)
    _alter_a_byte(folder / "pyodide" / "emlab-start-files.bin.gz")
    notes: list[str] = []
    _starts_the_ordinary_way(site_page, base, notes)
    assert "sha256" in notes[0]


def test_lab_framed_not_securely_with_corrupt_snapshot_bytes_starts_the_ordinary_way(
        lab_site, altered_site, site_page):
    """Where the browser checks the files (a frame in a page that is not secure), altered bytes
    are refused too: the frame starts the ordinary way, with the worker's one note."""
    base, folder = altered_site
    _restore_copy(lab_site, folder)
    _alter_a_byte(folder / "pyodide" / "emlab-start-files.bin.gz")
    notes: list[str] = []
    site_page.on("console",
                 lambda m: "without the saved start" in m.text and notes.append(m.text))
    frame = _framed_by_a_page_that_is_not_secure(site_page, f"{base}/")
    assert frame.evaluate("window.emlab.timings.start") == "ordinary"
    assert notes and len(set(notes)) == 1 and "sha256" in notes[0], notes
    _steps_once(frame)


def test_lab_with_a_snapshot_of_another_runtime_build_starts_the_ordinary_way(
        lab_site, altered_site, site_page):
    """A snapshot that Pyodide refuses to restore (made by another build of the runtime; its
    file checks out against the worker's record) falls back too."""
    base, folder = altered_site
    _restore_copy(lab_site, folder)
    path = folder / "pyodide" / "emlab-snapshot.bin.gz"
    memory = bytearray(gzip.decompress(path.read_bytes()))
    memory[16] ^= 0xFF  # in the build id Pyodide writes after the magic and two lengths
    path.write_bytes(gzip.compress(bytes(memory), 1))
    worker = folder / "worker.js"
    text = worker.read_text(encoding="utf-8")
    config = json.loads(re.search(r"const CONFIG = (\{.*?\n\});", text, re.S).group(1))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    text = text.replace(config["snapshot"]["memory"]["sha256"], digest)
    worker.write_text(text, encoding="utf-8")
    notes: list[str] = []
    _starts_the_ordinary_way(site_page, base, notes)
    assert "build id" in notes[0]
