"""The lab's layout at the window sizes it is used at, measured in the browser, in both runtimes.

Guards issue 11, defect 2: at 1200 px and narrower the trace and narration lay over the Model
controls (Break it, covariance type and the k-means toggle could not be clicked), and in the 800×600
frame a course page embeds the status line was below the fold. Nothing here is judged by eye: the
cards' bounding boxes must not intersect, every control must be what the browser hits at its centre
(elementFromPoint, descending through shadow roots), nothing may scroll sideways, and what a size
must show without scrolling has to lie inside the viewport. Screenshots of every size are saved
(the `screenshot` fixture; EMLAB_SCREENSHOTS=<dir> keeps them).

One page per runtime for the full-page sizes (resized in place) and one framed page for the
embedded lab, so both runtimes together take well under two minutes.
"""

from __future__ import annotations

import pytest
from labpage import open_lab, wait_status
from conftest import LIVE, START_TIMEOUT

pytestmark = pytest.mark.browser

# (width, height) of the full page: laptops, projectors, a large monitor, a phone
FULL_PAGE_SIZES = [(1024, 768), (1200, 800), (1280, 800), (1400, 900), (1920, 1080), (390, 844)]
# The README's iframe: 800×600 with ?embed=1, in a host page as a course page frames it.
FRAME = (800, 600)
HOST_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<style>body {{ margin: 16px; }} iframe {{ width: {w}px; height: {h}px; border: 0; }}</style></head>
<body><h1>A course page</h1><iframe src="{src}" title="EM Lab"></iframe></body></html>"""

# Everything the geometry checks read, measured in one go inside the page (or the frame).
MEASURE_JS = """() => {
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const els = all(document);
  const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.value || el.tagName)
      .trim().replace(/\\s+/g, ' ').slice(0, 30);
  const contains = (outer, inner) => {
    for (let n = inner; n; n = n.parentNode || n.host) if (n === outer) return true;
    return false;
  };
  const shown = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden'; };
  const page = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  // Cards and columns: no two may intersect unless one holds the other.
  const cards = els.filter((el) => shown(el) && el.classList && ['emlab-card', 'emlab-left',
      'emlab-center', 'emlab-right', 'emlab-tabs'].some((c) => el.classList.contains(c)));
  const overlaps = [];
  for (let i = 0; i < cards.length; i++) for (let j = i + 1; j < cards.length; j++) {
    const [a, b] = [cards[i], cards[j]];
    if (contains(a, b) || contains(b, a)) continue;
    const [p, q] = [page(a), page(b)];
    const dx = Math.min(p.x + p.w, q.x + q.w) - Math.max(p.x, q.x);
    const dy = Math.min(p.y + p.h, q.y + q.h) - Math.max(p.y, q.y);
    if (dx > 1 && dy > 1) overlaps.push(`${a.className} ${JSON.stringify(p)} and ` +
                                        `${b.className} ${JSON.stringify(q)}: ${dx}×${dy} px`);
  }
  // Controls: scrolled to, each must be what a click at its centre hits (or hold it).
  const hit = (x, y) => {
    let el = document.elementFromPoint(x, y);
    while (el && el.shadowRoot) {
      const inner = el.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  };
  const controls = els.filter((el) => shown(el) && !el.disabled && (
      ['BUTTON', 'INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) ||
      el.classList.contains('noUi-handle') || el.classList.contains('bk-tab')));
  const covered = [];
  for (const el of controls) {
    el.scrollIntoView({block: 'center', inline: 'center'});
    const r = el.getBoundingClientRect();
    const at = hit(r.left + r.width / 2, r.top + r.height / 2);
    if (!at || !contains(el, at))
      covered.push(`${el.tagName} '${name(el)}' at ${JSON.stringify(page(el))} is under ` +
                   (at ? `${at.tagName}.${at.className}` : 'nothing (outside the page)'));
  }
  scrollTo(0, 0);
  const root = document.documentElement;
  return {overlaps, covered, n_controls: controls.length, n_cards: cards.length,
          scroll: [root.scrollWidth, root.clientWidth]};
}"""

# Where things are in the viewport with the page scrolled to its top.
VIEWPORT_JS = """(selectors) => {
  scrollTo(0, 0);
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
  const els = all(document);
  const out = {};
  for (const [label, test] of Object.entries(selectors)) {
    const el = els.find((e) => test.startsWith('.') ? e.classList.contains(test.slice(1))
        : (e.tagName === 'BUTTON' && e.textContent.trim() === test));
    const r = el && el.getBoundingClientRect();
    out[label] = r ? {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                      inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5 &&
                              r.right <= innerWidth + 0.5} : null;
  }
  return out;
}"""
FIRST_SCREEN = {"plot": ".emlab-plot-card", "E-step": "E-step", "M-step": "M-step",
                "status line": ".emlab-status"}
# On a laptop or projector that has the room, the tabs are on the first screen too.
FIRST_SCREEN_WIDE = {**FIRST_SCREEN, "tabs": ".bk-tab"}


def layout_problems(target, label: str) -> list[str]:
    """What is wrong with the layout of `target` (a page or a frame) as it is now."""
    found = target.evaluate(MEASURE_JS)
    assert found["n_cards"] >= 5 and found["n_controls"] >= 20, found  # measured the lab
    problems = [f"{label}: cards overlap: {o}" for o in found["overlaps"]]
    problems += [f"{label}: cannot be clicked: {c}" for c in found["covered"]]
    scroll_width, client_width = found["scroll"]
    if scroll_width > client_width:
        problems.append(f"{label}: scrolls sideways ({scroll_width} px wide in {client_width})")
    return problems


def first_screen_problems(target, label: str, wanted: dict) -> list[str]:
    """What of `wanted` is not wholly in the viewport before any scrolling."""
    where = target.evaluate(VIEWPORT_JS, wanted)
    return [f"{label}: {what} is not on the first screen: {box}"
            for what, box in where.items() if not (box and box["inside"])]


def settle(page):
    """Let the layout and Bokeh's canvases follow a resize (two frames and a short pause)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")
    page.wait_for_timeout(400)


def check_full_page_sizes(page, runtime: str, screenshot) -> list[str]:
    """Resize one live page through FULL_PAGE_SIZES and collect every size's problems."""
    problems = []
    for width, height in FULL_PAGE_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        label = f"{runtime} {width}×{height}"
        problems += layout_problems(page, label)
        if width >= 1400:
            problems += first_screen_problems(page, label, FIRST_SCREEN_WIDE)
        screenshot(page, f"layout-{runtime}-{width}x{height}", full_page=False)
    return problems


def framed_problems(frame, label: str) -> list[str]:
    """The checks of a lab in an 800×600 iframe (`frame` is its Playwright Frame)."""
    assert frame.evaluate("() => [innerWidth, innerHeight]") == list(FRAME), label
    return first_screen_problems(frame, label, FIRST_SCREEN) + layout_problems(frame, label)


def check_host_page(page, src: str, runtime: str, screenshot) -> list[str]:
    """The lab in an 800×600 iframe of a host page on the lab's own origin."""
    host = src.split("?")[0].rsplit("/", 1)[0] + "/__layout_host.html"
    html = HOST_PAGE.format(w=FRAME[0], h=FRAME[1], src=src)
    page.route(host, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.set_viewport_size({"width": FRAME[0] + 100, "height": FRAME[1] + 200})
    page.goto(host)
    frame = page.frame_locator("iframe")
    frame.locator('.emlab-status[data-iteration="0"][data-phase="E"]').first.wait_for(
        timeout=60_000)
    settle(page)
    screenshot(page, f"layout-{runtime}-embed-{FRAME[0]}x{FRAME[1]}", full_page=False)
    return framed_problems(page.locator("iframe").element_handle().content_frame(),
                           f"{runtime} {FRAME[0]}×{FRAME[1]} iframe (?embed=1)")


def report(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# panel serve

def test_layout_under_panel_serve(panel_server, guarded_page, screenshot):
    """Under `panel serve`: at every size no cards overlap, every control can be clicked, nothing
    scrolls sideways; in the 800×600 frame the plot, E-step, M-step and status line show at once."""
    page = guarded_page
    problems = check_host_page(page, panel_server.url + "?embed=1", "serve", screenshot)
    page.set_viewport_size({"width": 1024, "height": 768})
    open_lab(page, panel_server)
    wait_status(page, iteration=0, phase="E")
    problems += check_full_page_sizes(page, "serve", screenshot)
    report(problems)


# ---------------------------------------------------------------------------------------------
# the static site (Python in the browser)

def test_layout_in_the_static_site(lab_site, guarded_page, screenshot):
    """In the static site (Pyodide), framed as static/embed-example.html frames it (both frames
    800×600): the same checks; the second frame's exercise (switch to k-means) can be done; then
    the full page at every size."""
    page = guarded_page
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(lab_site + "/embed-example.html")
    problems = []
    for i in range(2):
        page.locator("iframe").nth(i).scroll_into_view_if_needed()
        frame = page.frame_locator("iframe").nth(i)
        frame.locator(LIVE).wait_for(timeout=START_TIMEOUT, state="attached")
        frame.locator(".emlab-status").first.wait_for(timeout=30_000)
        settle(page)
        problems += framed_problems(page.locator("iframe").nth(i).element_handle().content_frame(),
                                    f"site embed-example.html frame {i + 1}")
    # The second frame asks for k-means: a real click (Playwright checks it lands on the button).
    frame.get_by_role("button", name="k-means (hard)").click()
    frame.locator(".emlab-plot-caption", has_text="k-means: hard").wait_for(timeout=30_000)
    screenshot(page, "layout-site-embed-example")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(lab_site + "/index.html")
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    wait_status(page, iteration=0, phase="E")
    problems += check_full_page_sizes(page, "site", screenshot)
    report(problems)
