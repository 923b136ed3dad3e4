"""Issue 13's projector polish, in a real browser, under `panel serve` and in the static site:
points sized for the back row, button symbols drawn as inline SVG icons (no font glyph, nothing
fetched from a CDN), the trace's ranges, several collapsed components (the banner over the plot,
the labels apart), the Restarts tab's mark of the current fit and the export's resolution; the
narration's card keeps its height as its text changes (what lies below it does not jump).

The same checks run in both runtimes (check_* below); every page is a guarded_page, so any
console error, BokehJS/Panel warning or request off 127.0.0.1 fails the test.
"""

from __future__ import annotations

import itertools
import struct

import pytest
from conftest import deep_text, open_live
from labpage import TO_PAGE_JS, assert_no_nan, open_lab, source, status, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# Six points, K = 3, no variance floor, means on points 1, 2 and 5: the fourth M-step (half-step
# 8) collapses components 2 and 3 together (see tests/test_collapse_view.py).
TWO_COLLAPSES = "?data=six_points&k=3&reg=0&means=1,0.0001;2,0.0299;7,-0.0455"

# The points' size as BokehJS computed it (the glyph's mapped sizes) and the frame's size.
POINT_SIZE_JS = """() => {
  const plot = Bokeh.documents[0].get_model_by_name('emlab-main-plot');
  const renderer = plot.renderers.find((r) => r.name === 'points');
  const glyph = Bokeh.index.find_one(renderer).glyph;
  return [glyph.size.get(0), plot.inner_width, plot.inner_height];
}"""

# A button's icon: the <svg> inside the icon element's shadow root (BokehJS's SVGIcon), its class.
ICON_JS = """(button) => {
  const found = [];
  const walk = (node) => {
    if (node.tagName === 'svg') found.push(node.getAttribute('class'));
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.children ?? []) walk(child);
  };
  walk(button);
  return found;
}"""

# Range of a figure by name.
RANGES_JS = """(name) => {
  const fig = Bokeh.documents[0].get_model_by_name(name);
  return [fig.x_range.start, fig.x_range.end, fig.y_range.start, fig.y_range.end];
}"""

# The collapse labels' boxes on the page: each ring's centre in page pixels, the label's offset
# and alignment from its source, its width measured in the label's font.
LABEL_BOXES_JS = """(anchors) => {
  const data = Bokeh.documents[0].get_model_by_name('emlab-collapsed').data;
  const get = (k) => Array.from(data.get ? data.get(k) : data[k]);
  const [labels, align, baseline, dy] = ['label', 'align', 'baseline', 'dy'].map(get);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = 'bold 15px helvetica';
  return labels.map((text, i) => {
    const width = ctx.measureText(text).width, height = 18;
    const [x, y] = anchors[i];
    const left = align[i] === 'right' ? x - width : x;
    const top = y + dy[i] - (baseline[i] === 'bottom' ? height : 0);
    return [left, top, left + width, top + height];
  });
}"""


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _half_step(page):
    name = "E-step" if status(page)["phase"] == "E" else "M-step"
    before = int(source_count(page))
    page.get_by_role("button", name=name).click()
    page.wait_for_function(
        "(n) => Bokeh.documents[0].get_model_by_name('emlab-trace-curve').data.step.length > n",
        arg=before, timeout=30_000)


def source_count(page):
    return len(source(page, "emlab-trace-curve")["step"])


# ------------------------------------------------------------------------------ the checks


def check_icons(page):
    """Every symbol on a button is an inline SVG icon; the labels are plain words; Play turns
    into Pause (with the pause icon) and back."""
    for name, icon in (("Play", "player-play-filled"), ("Step", "player-skip-forward-filled"),
                       ("Step back", "player-skip-back-filled"),
                       ("Run to convergence", "player-track-next-filled")):
        button = page.get_by_role("button", name=name, exact=True)
        assert button.count() == 1, name
        classes = button.evaluate(ICON_JS)
        assert len(classes) == 1 and icon in classes[0], (name, classes)
        box = button.locator("svg").bounding_box()
        assert box and box["width"] >= 12 and box["height"] >= 12, (name, box)
    for text in ("▶", "⏸", "◀", "✚"):
        assert page.get_by_role("button", name=text).count() == 0, text
    page.get_by_role("button", name="Play", exact=True).click()
    pause = page.get_by_role("button", name="Pause", exact=True)
    pause.wait_for(timeout=20_000)
    assert "player-pause-filled" in pause.evaluate(ICON_JS)[0]
    pause.click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=20_000)


def check_point_size(page, at_least=7.0):
    """After a half-step (the frame laid out), the points are at least `at_least` px across, as
    app.geometry.point_size_px gives for this many points and this frame."""
    from app.geometry import point_size_px

    size, width, height = page.evaluate(POINT_SIZE_JS)
    n = len(source(page, "emlab-points")["x"])
    assert size == pytest.approx(point_size_px(n, width, height), abs=0.01)
    assert size >= at_least, (size, width, height)
    return size


def check_points_follow_the_window(page):
    """The window made larger (a projector) then as it was: the points take the size of the new
    frame at once, with no half-step between (static/page-tweaks.js)."""
    phase = page.locator(".emlab-status").first.get_attribute("data-phase")
    viewport = page.viewport_size
    sizes = [page.evaluate(POINT_SIZE_JS)]
    for width, height in ((1920, 1080), (viewport["width"], viewport["height"])):
        page.set_viewport_size({"width": width, "height": height})
        # (the glyph's data are set again after the new layout: wait for that, not a while)
        page.wait_for_function(f"() => ({POINT_SIZE_JS})()[0] !== {sizes[-1][0]}")
        sizes.append(page.evaluate(POINT_SIZE_JS))
        check_point_size(page, at_least=8.0)
    assert sizes[1][0] > sizes[0][0] and sizes[2][0] == pytest.approx(sizes[0][0]), sizes
    assert page.locator(".emlab-status").first.get_attribute("data-phase") == phase


def check_trace_ranges(page):
    """From iteration 0 the half-step axis reads 0 to at least 6; after the first M-step the
    start's ELBO is off the y scale and marked at the bottom edge, inside the range."""
    x0, x1, y0, y1 = page.evaluate(RANGES_JS, "emlab-trace-plot")
    assert -0.5 < x0 < 0 and x1 >= 6
    for _ in range(2):
        _half_step(page)
    curve = source(page, "emlab-trace-curve")
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('emlab-trace-off-scale').data.step.length"
        " === 1", timeout=20_000)
    x0, x1, y0, y1 = page.evaluate(RANGES_JS, "emlab-trace-plot")
    assert curve["lower_bound"][0] < y0 < min(curve["value"]) and max(curve["value"]) < y1
    marked = source(page, "emlab-trace-off-scale")
    assert marked["step"] == [0] and y0 < marked["y"][0] < min(curve["value"])
    assert "start's ELBO" in deep_text(page) and "off the scale" in deep_text(page)  # legend


# The top of the explorers' tabs card and the narration card's height, in page pixels.
TABS_TOP_JS = """() => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const els = all(document);
  const tabs = els.find((el) => el.classList.contains('emlab-tabs'));
  const text = els.find((el) => el.classList.contains('emlab-narration'));
  return [tabs.getBoundingClientRect().top + window.scrollY,
          text.getBoundingClientRect().height];
}"""


def check_steady_narration(page, half_steps=8):
    """In the medium layout the tabs lie under the narration: as the narration's text changes
    length from half-step to half-step, they never move up (its card does not shrink by a line
    or two), and they move down only when the text outgrows every earlier one."""
    tops, heights = [], []
    for _ in range(half_steps):
        _half_step(page)
        page.wait_for_timeout(150)  # (the card settles in the frame after the patch)
        top, height = page.evaluate(TABS_TOP_JS)
        tops.append(top)
        heights.append(height)
    assert len(set(round(h) for h in heights)) > 1, heights  # the text did change height
    assert all(b >= a - 0.5 for a, b in zip(tops, tops[1:])), (tops, heights)


def check_two_collapses(page):
    """Both collapsed components are named in a one-line banner laid over the plot card (the
    plot does not move when it appears); opened, it explains; the two labels do not overlap."""
    canvas = "() => { const v = Bokeh.index.find_one(Bokeh.documents[0].get_model_by_name(" \
             "'emlab-main-plot')); return (v.canvas_view ?? v.canvas).el.getBoundingClientRect().top; }"
    wait_status(page, iteration=3, phase="E")
    top = page.evaluate(canvas)
    _half_step(page)  # E
    _half_step(page)  # M: components 2 and 3 collapse
    wait_status(page, state="collapsed")
    banner = page.locator(".emlab-collapse-banner").first
    banner.wait_for(state="visible", timeout=20_000)
    summary = page.locator(".emlab-collapse-banner summary").first
    assert "Components 2 and 3 collapsed" in summary.inner_text()
    assert page.evaluate(canvas) == pytest.approx(top, abs=1)  # nothing pushed down
    card = page.locator(".emlab-plot-card").first.bounding_box()
    box = banner.bounding_box()
    assert card["y"] <= box["y"] and box["y"] + box["height"] < card["y"] + 80
    assert box["height"] < 80  # one line (two at most), not the 190 px paragraph
    summary.click()
    page.get_by_text("Component 3 has collapsed", exact=False).first.wait_for(timeout=10_000)
    assert page.evaluate(canvas) == pytest.approx(top, abs=1)
    data = source(page, "emlab-collapsed")
    assert data["label"] == ["component 2 collapsed", "component 3 collapsed"]
    anchors = [page.evaluate(TO_PAGE_JS, [x, y]) for x, y in zip(data["x"], data["y"])]
    boxes = page.evaluate(LABEL_BOXES_JS, anchors)
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), boxes
    assert_no_nan(page)


def check_restarts_mark(page):
    """Run restarts: a dashed line and a sentence mark where the current fit stands."""
    page.get_by_text("Restarts", exact=True).click()
    page.get_by_role("button", name="Run restarts").click()
    page.get_by_text("Your fit now", exact=False).first.wait_for(timeout=120_000)
    line = page.evaluate("""() => { const m = [...Bokeh.documents[0].all_models].find(
        (m) => m.name === 'emlab-restarts-current'); return [m.visible, m.location]; }""")
    per_point = float(status(page)["loglik"].replace("−", "-").replace(",", "")) / len(
        source(page, "emlab-points")["x"])
    assert line[0] and line[1] == pytest.approx(per_point, abs=1e-5)


def check_png_resolution(page):
    """The Export tab offers the PNG's resolution; Screen gives 800 x 650 pixels."""
    page.get_by_text("Export", exact=True).click()
    page.get_by_role("button", name="Screen (100 dpi)").click()
    with page.expect_download(timeout=180_000) as download:
        page.get_by_role("button", name="Figure (PNG)").click()
    with open(download.value.path(), "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (800, 650)


# ------------------------------------------------------------------------------ panel serve


@pytest.fixture
def serve_lab(guarded_page, panel_server):
    def open_at(width, height, query=""):
        guarded_page.set_viewport_size({"width": width, "height": height})
        return open_lab(guarded_page, panel_server, query)
    return open_at


def test_serve_icons_points_and_trace_at_1400x900(serve_lab, screenshot, panel_server):
    """1400 x 900: icons, points of 7 px or more (300 points), the trace's ranges."""
    since = panel_server.log_size()
    page = serve_lab(1400, 900)
    wait_status(page, iteration=0, phase="E")
    check_icons(page)
    page.get_by_role("button", name="Reset").click()
    wait_status(page, iteration=0, phase="E")
    check_trace_ranges(page)
    check_point_size(page, at_least=8.0)
    screenshot(page, "polish-1400x900")
    panel_server.assert_no_traceback(since=since)


def test_serve_points_grow_on_a_projector(serve_lab, screenshot):
    """1920 x 1080: larger points than at 1400 x 900 (the frame is larger)."""
    page = serve_lab(1920, 1080)
    wait_status(page, iteration=0, phase="E")
    _half_step(page)
    assert check_point_size(page, at_least=11.0) <= 14
    screenshot(page, "polish-1920x1080")


def test_serve_two_collapses(serve_lab, screenshot):
    """Components 2 and 3 collapse together: banner over the plot, labels apart."""
    page = serve_lab(1400, 900, TWO_COLLAPSES + "&steps=6")
    check_two_collapses(page)
    screenshot(page, "polish-two-collapses")


def test_serve_narration_card_is_steady(serve_lab):
    """1000 x 800 (the medium layout): the tabs under the narration do not jump."""
    page = serve_lab(1000, 800)
    wait_status(page, iteration=0, phase="E")
    check_steady_narration(page)


def test_serve_restarts_mark_and_png_resolution(serve_lab):
    """The Restarts tab marks the current fit; the PNG's resolution is chosen in Export."""
    page = serve_lab(1400, 900)
    wait_status(page, iteration=0, phase="E")
    check_restarts_mark(page)
    check_png_resolution(page)


# ------------------------------------------------------------------------------ static site


def test_site_icons_points_trace_and_restarts(lab_site, site_page, screenshot):
    """The static site at 1400 x 900: the icons are inline (nothing fetched off 127.0.0.1: the
    guard would fail the test), points of 7 px or more, the trace's ranges, the restarts' mark."""
    site_page.set_viewport_size({"width": 1400, "height": 900})
    page = open_live(site_page, lab_site)
    wait_status(page, iteration=0, phase="E")
    check_icons(page)
    page.get_by_role("button", name="Reset").click()
    wait_status(page, iteration=0, phase="E")
    check_trace_ranges(page)
    check_point_size(page, at_least=8.0)
    check_points_follow_the_window(page)
    check_restarts_mark(page)
    screenshot(page, "polish-site-1400x900")


def test_site_narration_card_is_steady(lab_site, site_page):
    """The static site at 1000 x 800: the tabs under the narration do not jump."""
    site_page.set_viewport_size({"width": 1000, "height": 800})
    page = open_live(site_page, lab_site)
    wait_status(page, iteration=0, phase="E")
    check_steady_narration(page)


def test_site_two_collapses(lab_site, site_page, screenshot):
    """The static site: components 2 and 3 collapse together: banner over the plot, labels
    apart."""
    site_page.set_viewport_size({"width": 1400, "height": 900})
    page = open_live(site_page, lab_site + "/" + TWO_COLLAPSES + "&steps=6")
    check_two_collapses(page)
    screenshot(page, "polish-site-two-collapses")


VISIBLE_TOOLTIPS_JS = """() => [...Bokeh.documents[0].all_models].filter(
    (m) => m.type === 'Tooltip' && m.visible).length"""


def test_site_a_tap_leaves_no_tooltip_over_the_next_button(lab_site, site_page):
    """On a phone, tapping E-step does not leave its description open over the M-step button
    (the browser's mouse events after a tap enter the button and never leave); M-step is tapped
    next and steps. A mouse still opens the description (static/page-tweaks.js)."""
    page = site_page
    page.set_viewport_size({"width": 390, "height": 844})
    open_live(page, lab_site)
    wait_status(page, iteration=0, phase="E")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})

    def tap(name):
        button = page.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    tap("E-step")
    wait_status(page, iteration=1, phase="M")
    page.wait_for_timeout(1200)  # (Panel opens a description 0.5 s after the mouse enters)
    assert page.evaluate(VISIBLE_TOOLTIPS_JS) == 0
    tap("M-step")
    wait_status(page, iteration=1, phase="E")
    # A mouse on a button opens its description, as before.
    page.get_by_role("button", name="Step back", exact=True).hover()
    page.wait_for_function(f"() => ({VISIBLE_TOOLTIPS_JS})() === 1", timeout=5_000)
    page.mouse.move(1, 1)
