"""What the browser tests read off the lab's page, the same under `panel serve` and in the static site.

The Bokeh data that reached the browser (by model name), the status line's data-* attributes, the
main plot's pixels and coordinates, the no-NaN check over text and every data source, and the
checks of static/page-tweaks.js (shared by both pages).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import deep_text

SOURCE_JS = """(name) => {
  const model = Bokeh.documents[0].get_model_by_name(name);
  const out = {};
  for (const [key, column] of model.data.entries ? model.data.entries() : Object.entries(model.data))
    out[key] = Array.from(column, (v) => (ArrayBuffer.isView(v) || Array.isArray(v)) ? Array.from(v) : v);
  return out;
}"""

# data coordinates -> page coordinates of the main plot (and back), through BokehJS's own scales
TO_PAGE_JS = """([x, y]) => {
  const view = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name('emlab-main-plot'));
  const rect = (view.canvas_view ?? view.canvas).el.getBoundingClientRect();
  return [rect.left + view.frame.x_scale.compute(x), rect.top + view.frame.y_scale.compute(y)];
}"""
TO_DATA_JS = """([px, py]) => {
  const view = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name('emlab-main-plot'));
  const rect = (view.canvas_view ?? view.canvas).el.getBoundingClientRect();
  return [view.frame.x_scale.invert(px - rect.left), view.frame.y_scale.invert(py - rect.top)];
}"""
# every number in every ColumnDataSource of the page must be finite
NONFINITE_JS = """() => {
  const bad = [];
  for (const model of Bokeh.documents[0].all_models) {
    if (!model.data || model.type !== "ColumnDataSource") continue;
    const entries = model.data.entries ? [...model.data.entries()] : Object.entries(model.data);
    for (const [key, column] of entries) {
      const check = (v) => { if (typeof v === "number" && !Number.isFinite(v)) bad.push(`${model.name}.${key}`); };
      for (const v of column) { if (ArrayBuffer.isView(v) || Array.isArray(v)) { for (const w of v) check(w); } else check(v); }
    }
  }
  return [...new Set(bad)];
}"""


def source(page, name):
    return page.evaluate(SOURCE_JS, name)


def status(page):
    """The status line's data-* attributes (iteration, phase, loglik, state)."""
    el = page.locator(".emlab-status").first
    return {key: el.get_attribute(f"data-{key}") for key in ("iteration", "phase", "loglik", "state")}


def wait_status(page, **expected):
    """Wait until the status line shows the expected values (the server answers asynchronously)."""
    selector = ".emlab-status" + "".join(f'[data-{k}="{v}"]' for k, v in expected.items())
    page.locator(selector).first.wait_for(timeout=20_000)


def plot_pixels(page):
    """The main plot's canvas as an RGB array (from a screenshot of its element)."""
    import io

    from PIL import Image

    handle = page.evaluate_handle(
        "() => { const v = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name("
        "'emlab-main-plot')); return (v.canvas_view ?? v.canvas).el; }")
    png = handle.as_element().screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def assert_no_nan(page):
    text = deep_text(page)
    for bad in ("NaN", "nan ", "Infinity", " inf "):
        assert bad not in text, f"{bad!r} on the page: ...{text[text.find(bad) - 80:][:160]}..."
    assert page.evaluate(NONFINITE_JS) == []


def open_lab(page, server, query: str = ""):
    """Open the lab under `panel serve` (the panel_server fixture) and wait until it is drawn.

    Fails with the server's log when the lab does not load (its traceback says why).
    """
    page.goto(server.url + query)
    try:
        page.get_by_role("button", name="E-step").wait_for(timeout=30_000)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents[0].get_model_by_name('emlab-points')"
                               ".data.x.length > 0", timeout=30_000)
    except Exception as exc:
        pytest.fail(f"the lab did not load: {exc}\n--- panel serve log ---\n{server.log_tail()}")
    return page


def check_keyboard_shortcuts(page):
    """From the start (iteration 0, E next): e and m take half-steps, ← undoes one."""
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("e")
    wait_status(page, iteration=1, phase="M")
    page.keyboard.press("m")
    wait_status(page, iteration=1, phase="E")
    page.keyboard.press("ArrowLeft")
    wait_status(page, iteration=1, phase="M")


def wait_rows(page, name, rows, timeout=20_000):
    """Wait until the named source holds `rows` rows (its patch may arrive after the status line's)."""
    page.wait_for_function(
        "([name, rows]) => Bokeh.documents[0].get_model_by_name(name).data.step.length === rows",
        arg=[name, rows], timeout=timeout)


def check_phone_layout(page, width=390):
    """At a phone's width: nothing scrolls sideways, the plot comes first (above the half-step
    buttons, which sit above the status line), and E-step still works."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, "
                           "document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"sideways scrolling: {widths}"
    plot = page.locator(".emlab-plot-card").first.bounding_box()
    e_step = page.get_by_role("button", name="E-step").bounding_box()
    status_line = page.locator(".emlab-status").first.bounding_box()
    assert plot["y"] < e_step["y"] < status_line["y"]
    assert plot["width"] > width - 90 and e_step["x"] + e_step["width"] <= width
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    # A pinned point's tables (Inspect) scroll inside their card, not the page.
    points = source(page, "emlab-points")
    page.mouse.click(*page.evaluate(TO_PAGE_JS, [points["x"][0], points["y"][0]]))
    page.get_by_text("The components").first.wait_for(timeout=20_000)
    pinned = page.evaluate("() => [document.documentElement.scrollWidth, "
                           "document.documentElement.clientWidth]")
    assert pinned[0] <= pinned[1], f"sideways scrolling with a point pinned: {pinned}"
    return widths


def check_checkbox_words_toggle(page, words="Flag outliers"):
    """Clicking a checkbox's words toggles it (static/page-tweaks.js; Bokeh draws them as a
    <div>, not a <label>), they name it for screen readers, and clicking the box itself still
    toggles it exactly once."""
    label = page.locator("input[type=checkbox] + .bk-label", has_text=words).first
    checked = lambda: label.evaluate("(el) => el.previousElementSibling.checked")  # noqa: E731
    model = """(words) => [...Bokeh.documents[0].all_models].find(
        (m) => m.type === 'Checkbox' && m.label.startsWith(words)).active"""
    assert label.evaluate("(el) => getComputedStyle(el).cursor") == "pointer"
    assert page.get_by_role("checkbox", name=words).count() == 1  # its accessible name
    before = checked()
    label.click()
    page.wait_for_function(f"(words) => ({model})(words) === {str(not before).lower()}", arg=words)
    assert checked() is (not before)
    label.evaluate("(el) => el.previousElementSibling.click()")
    page.wait_for_function(f"(words) => ({model})(words) === {str(before).lower()}", arg=words)
    assert checked() is before


def check_sliders_are_named(page):
    """A slider's handle is named by the slider's title (static/page-tweaks.js; BokehJS gives
    the <div role="slider"> no name), so screen readers say what it moves."""
    for name in ("Components K", "Speed (half-steps per second)"):
        assert page.get_by_role("slider", name=name).count() == 1, name


# Every CSS rule and style attribute the page applies, shadow roots included.
PAGE_CSS_JS = """() => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const elements = all(document);
  const roots = [document, ...elements.filter((el) => el.shadowRoot).map((el) => el.shadowRoot)];
  const texts = elements.map((el) => el.getAttribute('style') || '');
  for (const root of roots) {
    for (const sheet of [...root.styleSheets, ...(root.adoptedStyleSheets || [])]) {
      try { for (const rule of sheet.cssRules) texts.push(rule.cssText); }
      catch (error) { texts.push(`unreadable stylesheet ${sheet.href}`); }
    }
  }
  return texts.join('\\n');
}"""


def check_no_css_sets_plot_visuals(page):
    """static/page-tweaks.js stops BokehJS from looking up `--bk-*` CSS properties for plot
    colours; safe only while no CSS on the page sets one."""
    css = page.evaluate(PAGE_CSS_JS)
    assert "unreadable stylesheet" not in css
    assert len(css) > 10_000  # Panel's and Bokeh's stylesheets were read
    assert not re.findall(r"--bk-[\w-]+\s*:", css)
    assert page.evaluate(
        "() => Bokeh.require('core/visuals/visual').VisualProperties.prototype._get_css_value('x')"
    ) == ""


# Every ColumnDataSource's columns must have one length: a renderer of a source whose columns
# disagree paints rows that do not exist.
UNEVEN_SOURCES_JS = """() => {
  const uneven = [];
  for (const model of Bokeh.documents[0].all_models) {
    if (model.type !== "ColumnDataSource") continue;
    const columns = model.data instanceof Map ? [...model.data.values()] : Object.values(model.data);
    const lengths = new Set(columns.map((column) => column.length));
    if (lengths.size > 1) uneven.push(`${model.name}: ${[...lengths]}`);
  }
  return uneven;
}"""


def shipped_data_sets():
    """(name, title, points, suggested K) of every shipped data set, from datasets/index.json."""
    import json

    from conftest import REPO

    index = json.loads((REPO / "datasets" / "index.json").read_text(encoding="utf-8"))
    return [(d["name"], d["title"], d["n_samples"], d["suggested_k"]) for d in index]


def check_switching_data_sets(page):
    """Pick every shipped data set in turn (some after a half-step, each with a new K): each
    arrives whole (its name and size in the data note, its K handles, every source's columns of
    one length), nothing is thrown, and E-step then M-step still work on it."""
    picker = page.get_by_role("combobox", name="Data set")
    for i, (name, title, n, k) in enumerate(shipped_data_sets()):
        if i % 2:  # half of the switches happen mid-iteration
            page.get_by_role("button", name="E-step").click()
            page.locator('.emlab-status[data-phase="M"]').first.wait_for(timeout=20_000)
        picker.select_option(label=title)
        page.get_by_text(f"{n:,} points", exact=False).first.wait_for(timeout=20_000)
        wait_status(page, iteration=0, phase="E")
        page.wait_for_function("(k) => Bokeh.documents[0].get_model_by_name('emlab-means')"
                               ".data.x.length === k", arg=k, timeout=20_000)
        assert page.evaluate(UNEVEN_SOURCES_JS) == [], name
        assert title.split(" (")[0] in deep_text(page), name
        page.get_by_role("button", name="E-step").click()
        wait_status(page, iteration=1, phase="M")
        page.get_by_role("button", name="M-step").click()
        wait_status(page, iteration=1, phase="E")
        assert page.evaluate(UNEVEN_SOURCES_JS) == [], name
        assert_no_nan(page)
    assert not page.guard.page_errors and not page.guard.console_errors


def check_lowering_k(page):
    """K lowered by keyboard on its slider, one stop at a time from 5 down to 1, sometimes after a
    half-step: each K arrives whole and the lab still steps."""
    handle = page.get_by_role("slider", name="Components K")
    handle.focus()
    for _ in range(5 - round(float(handle.get_attribute("aria-valuenow")))):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('emlab-means')"
                           ".data.x.length === 5", timeout=20_000)
    for k in (4, 3, 2, 1):
        if k % 2:
            page.get_by_role("button", name="E-step").click()
            page.locator('.emlab-status[data-phase="M"]').first.wait_for(timeout=20_000)
            handle.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("(k) => Bokeh.documents[0].get_model_by_name('emlab-means')"
                               ".data.x.length === k", arg=k, timeout=20_000)
        wait_status(page, iteration=0, phase="E")
        assert page.evaluate(UNEVEN_SOURCES_JS) == [], f"K={k}"
    page.get_by_role("button", name="E-step").click()
    wait_status(page, iteration=1, phase="M")
    assert not page.guard.page_errors and not page.guard.console_errors


# The narration's display equation (KaTeX's HTML) and the flag static/page-tweaks.js sets.
EQUATION_JS = """() => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const text = all(document).find((el) => el.classList && el.classList.contains('emlab-narration'));
  const root = text && (text.shadowRoot || text);
  const display = root && root.querySelector('.katex-display');
  return {html: display ? display.outerHTML : null, raw: root ? root.textContent.includes('$$') : null,
          reused: !!(window.katex && window.katex.emlabReuse)};
}"""

# Each plot's font size as BokehJS reads it (static/page-tweaks.js keeps it) and as CSS has it.
FONT_SIZES_JS = """() => {
  const views = [];
  const visit = (view) => {
    if (!view || views.includes(view)) return;
    views.push(view);
    for (const child of view.child_views || []) visit(child);
  };
  for (const root of Object.values(Bokeh.index)) visit(root);
  return views.filter((v) => v.canvas_view && v.el.isConnected).map(
      (v) => [v.base_font_size, parseFloat(getComputedStyle(v.el).fontSize)]);
}"""


# What a half-step restyles (static/page-tweaks.js keeps it small): whether the narration pane's
# stylesheets are the ones marked before (not made again by a whole re-render), its text, and
# each glyph renderer's position stylesheet (BokehJS moved those with every change of data).
RESTYLED_JS = """(mark) => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const pane = all(document).find((el) => el.classList && el.classList.contains('emlab-narration'));
  const styles = [...pane.shadowRoot.querySelectorAll('style')];
  if (mark) styles.forEach((style) => { style.emlabMark = true; });
  const views = [];
  const visit = (view) => {
    if (!view || views.includes(view)) return;
    views.push(view);
    for (const child of [...(view.child_views || []), ...(view.renderer_views?.values() || [])])
      visit(child);
  };
  for (const root of Object.values(Bokeh.index)) visit(root);
  const positions = views.filter((v) => v.model.type === 'GlyphRenderer')
                         .map((v) => v.position.css ?? v.position.el?.textContent ?? '');
  // The main plot's axes, grids, title and toolbar stay where they are: their stylesheets'
  // text nodes are the ones marked (not written again on every paint).
  const placed = views.filter((v) => v.model.type !== 'GlyphRenderer' && v.position?.el
                                     && v.plot_view?.model.name === 'emlab-main-plot')
                      .map((v) => v.position.el.firstChild);
  if (mark) placed.forEach((node) => { node.emlabMark = true; });
  return {kept: styles.every((style) => style.emlabMark), text: pane.shadowRoot.textContent,
          positions, placed: placed.length, placedKept: placed.every((node) => node.emlabMark)};
}"""


def check_equations_and_font_sizes(page):
    """static/page-tweaks.js reuses typeset equations and keeps each plot's font size: from the
    start, the E-step's equation is typeset, the M-step's, then the E-step's again identical to
    the first (reused), never left as raw TeX; the narration changes its text in place (its pane
    is not rendered whole again), no glyph renderer's element moves and the main plot's other
    renderers keep their stylesheets (not written again on every paint); each plot's kept font
    size is the one CSS gives, also after the window changed width."""
    page.locator("body").click(position={"x": 5, "y": 5})
    before = page.evaluate(RESTYLED_JS, True)
    shown = []
    for key, phase in (("e", "M"), ("m", "E"), ("e", "M")):
        page.keyboard.press(key)
        wait_status(page, phase=phase)
        page.wait_for_function(f"() => ({EQUATION_JS})().html !== null")
        shown.append(page.evaluate(EQUATION_JS))
    assert all(s["reused"] and not s["raw"] for s in shown), shown
    assert shown[0]["html"] != shown[1]["html"]  # the M-step's equation is another
    assert shown[2]["html"] == shown[0]["html"]
    after = page.evaluate(RESTYLED_JS, False)
    assert after["text"] != before["text"] and after["kept"], "the narration was rendered whole"
    assert after["positions"] == before["positions"] and after["positions"], \
        "glyph renderers moved their elements"
    assert after["placed"] >= 5 and after["placedKept"], "renderers rewrote their stylesheets"
    size = page.viewport_size
    for width in (size["width"], 700, size["width"]):
        page.set_viewport_size({"width": width, "height": size["height"]})
        page.wait_for_timeout(300)
        sizes = page.evaluate(FONT_SIZES_JS)
        assert sizes and all(kept == css for kept, css in sizes), (width, sizes)


# The main plot painted again, its points drawn by static/page-tweaks.js or (paths=true) by
# BokehJS's own route (one canvas path per circle), counting the fills made on a canvas.
REPAINT_POINTS_JS = """async (paths) => {
  const {ScatterView} = Bokeh.require("models/glyphs/scatter");
  const proto = ScatterView.prototype;
  proto.emlabTweak = proto.emlabTweak ?? proto._paint;
  proto._paint = paths ? proto.emlabPaintPaths : proto.emlabTweak;
  const plot = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name('emlab-main-plot'));
  const points = Bokeh.documents[0].get_model_by_name('emlab-points').data.x.length;
  const fill = CanvasRenderingContext2D.prototype.fill;
  let fills = 0;
  CanvasRenderingContext2D.prototype.fill = function (...args) {
    fills += 1;
    return fill.apply(this, args);
  };
  try {
    plot.request_paint();
    for (let frame = 0; frame < 3; frame++) await new Promise(requestAnimationFrame);
  } finally {
    CanvasRenderingContext2D.prototype.fill = fill;
  }
  return {fills, points};
}"""


def check_points_drawn_as_one_image(page):
    """On a plain canvas (no GPU here) static/page-tweaks.js draws the main plot's points into
    one image instead of a canvas path per point: a repaint fills far fewer paths than there
    are points, and looks as BokehJS's own drawing does (the two compared pixel by pixel: the
    same on average, edges a little apart)."""
    drawn = page.evaluate(REPAINT_POINTS_JS, False)
    tweaked = plot_pixels(page)
    by_paths = page.evaluate(REPAINT_POINTS_JS, True)
    reference = plot_pixels(page)
    page.evaluate(REPAINT_POINTS_JS, False)
    assert drawn["points"] >= 100, drawn
    assert by_paths["fills"] >= drawn["points"], by_paths  # (the reference is BokehJS's route)
    assert drawn["fills"] < 50, f"{drawn['fills']} fills for {drawn['points']} points"
    assert tweaked.shape == reference.shape
    diff = np.abs(tweaked - reference)
    assert diff.mean() < 0.5 and np.percentile(diff, 99.5) < 40, \
        (diff.mean(), np.percentile(diff, 99.5), diff.max())


def answer_wrong_then_right(page, step, timeout=60_000):
    """A lesson's question step (an app.lessons.Step with choices), answered as a student: a wrong
    choice first (its feedback shows under the choices, the step stays), then the right one (the
    lesson moves on and shows that feedback, checked, above what comes next)."""
    counter = page.locator(".emlab-lesson-body .count").first.inner_text()
    wrong = next(c for c in step.choices if not c.right)
    right = next(c for c in step.choices if c.right)
    page.get_by_role("button", name=wrong.text, exact=True).first.click()
    page.locator("div.wrong", has_text=wrong.feedback[:40]).first.wait_for(
        timeout=timeout)
    assert page.locator(".emlab-lesson-body .count").first.inner_text() == counter
    assert step.title in deep_text(page)
    page.get_by_role("button", name=right.text, exact=True).first.click()
    page.locator(".emlab-lesson-body div.answered", has_text=right.feedback[:40]).first.wait_for(
        timeout=timeout)


def guess_the_means(page, offsets):
    """In the Predict tab (open, an M-step next): press Guess the means and click beside each
    handle, ``offsets[k]`` pixels from handle k (clear of it: a click on a handle starts a
    drag); returns the guesses in data units."""
    page.get_by_role("button", name="Guess the means").click()
    page.get_by_text("where you think the mean of component 1").first.wait_for()
    means = source(page, "emlab-means")
    clicks = [np.add(page.evaluate(TO_PAGE_JS, [x, y]), offset)
              for x, y, offset in zip(means["x"], means["y"], offsets)]
    guesses = [page.evaluate(TO_DATA_JS, list(map(float, at))) for at in clicks]
    for k, at in enumerate(clicks):
        # BokehJS takes two clicks within its double-tap time as one double tap (no tap at all).
        page.wait_for_timeout(500)
        page.mouse.click(*at)
        page.wait_for_function(
            "(n) => Bokeh.documents[0].get_model_by_name('emlab-guesses').data.x.length === n",
            arg=k + 1)
    return guesses
