"""The static site in a real browser: start-up, click-to-repaint and Play, against a reference.

Prints figures only (no assertions on time). Builds the offline site (build.py, cached downloads),
serves it on 127.0.0.1 with build.py's own server and drives Debian's chromium:

- load to interactive (from navigation start to the moment the page is live), cold (a fresh
  browser profile per run) and warm (a reload, HTTP cache warm), median of --runs, of (a) the
  lab as built (it starts from its memory snapshot), (a') the same site without its snapshot file
  (the worker's fallback: the ordinary start, loading packages and importing) and (b) the
  reference page build.py ships (reference.html: the same Pyodide from the same site, in a
  worker, importing numpy only); the ratios to b say what the lab adds on top of the runtime;
- where each cold start goes (the worker's marks, ms since it started: snapshot: fetch, unpack,
  restore, lab built; fallback: runtime, packages, imports, lab built; then live, since
  navigation: drawn and linked), when the page first showed something (the prerendered copy)
  and what each page downloaded;
- click-to-repaint of one half-step (click E-step/M-step until the status line shows the new
  phase, plus one animation frame) at N = 2000 and N = 20,000 points, K = 6, loaded through the
  lab's own CSV upload and K slider; first with the lab the only page of its browser (as in a
  class), then against the click's floor in this stack, measured in the same browser in turn
  with it (every page is slower with the others open): benchmarks/click_floor_app.py (one
  figure of N per-point-coloured circles and a button that recolours them from numpy), built by
  build.py like the lab, as a plain Panel page (the same site without static/page-tweaks.js:
  the issue's reference) and with the lab's page fixes (static/page-tweaks.js speeds up every
  Bokeh page, the floor's too); the ratios are the lab's own overhead over the stack as it
  comes and over the stack as the lab fixes it;
- Play at the fastest speed, from iteration 0 with tol 10⁻⁶ (N = 2000 and 20,000, K = 6):
  half-steps that reached the page per second, and frames per second that showed a new one
  (Play waits for the page, so the two are equal when the page cannot draw 30 frames a second).

    .venv/bin/python benchmarks/browser.py [--runs 5] [--load-only | --clicks-only]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LIVE = 'body[data-pyodide="live"]'

# Walks shadow roots: Panel widgets live in shadow DOM.
DEEP_FIND = """
  const all = (root) => [...root.querySelectorAll('*')].flatMap(
      (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
"""
CLICK_TO_REPAINT_JS = DEEP_FIND + """
  async (label) => {
    // The status line's shadow host is found once (walking every shadow root each frame would
    // add the harness's own work to the figure); found again only if Panel replaced it.
    const findHost = () => all(document).find(
        (el) => el.shadowRoot && el.shadowRoot.querySelector('.emlab-status'));
    let host = findHost();
    const status = () => {
      if (!host.isConnected) host = findHost();
      return host.shadowRoot.querySelector('.emlab-status');
    };
    const before = status().dataset.phase;
    const button = all(document).find((el) => el.tagName === 'BUTTON' && el.textContent.trim() === label);
    const t0 = performance.now();
    const seen = window.emlab.pythonMs.length;
    button.click();
    while (true) {
      await new Promise(requestAnimationFrame);
      const s = status();
      if (s && s.dataset.phase !== before) break;
    }
    await new Promise(requestAnimationFrame);  // the frame that shows it
    const total = performance.now() - t0;
    while (window.emlab.pythonMs.length === seen) await new Promise(requestAnimationFrame);
    return [total, window.emlab.pythonMs[seen]];
  }
"""

# Play's rate as the page draws it: the trace's length, read in every animation frame (in the
# page, so a busy main thread cannot delay the readings as it would delay Playwright's calls).
PLAY_JS = """
  async (seconds) => {
    const trace = Bokeh.documents[0].get_model_by_name('emlab-trace-curve');
    const samples = [];
    const t0 = performance.now();
    // `seconds` from the first half-step drawn (a busy machine may take a while to start).
    const end = () => samples.length > 1 ? samples[1][0] + seconds * 1000 : t0 + 4 * seconds * 1000;
    while (performance.now() < end()) {
      await new Promise(requestAnimationFrame);
      const n = trace.data.step.length;
      if (!samples.length || n !== samples[samples.length - 1][1]) samples.push([performance.now(), n]);
    }
    return samples;
  }
"""


def without_page_tweaks(site: Path, out: Path) -> Path:
    """A copy of the built ``site`` whose pages do without static/page-tweaks.js (build.py's
    finish_html adds it to every page): what Panel and BokehJS do on their own."""
    shutil.copytree(site, out)
    script = "<script>\n" + (ROOT / "static" / "page-tweaks.js").read_text(encoding="utf-8") \
        + "</script>\n"
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        if script in html:
            page.write_text(html.replace(script, "", 1), encoding="utf-8")
    if "emlabHidden" in (out / "index.html").read_text(encoding="utf-8"):  # (a tweak's mark)
        raise SystemExit("build.py no longer adds static/page-tweaks.js as one script")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_csv(path: Path, n_samples: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    # Overlapping clusters: EM needs many iterations, so Play runs long enough to be timed.
    centres = rng.uniform(-5, 5, (6, 2))
    X = centres[rng.integers(6, size=n_samples)] + rng.normal(size=(n_samples, 2))
    path.write_text("x,y\n" + "\n".join(f"{x:.5f},{y:.5f}" for x, y in X) + "\n")
    return path


def load(context, url: str) -> dict:
    """The page's timings, plus "bytes": what it downloaded until live (bodies as sent; a
    revalidated or cached file counts 0)."""
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url)
    page.wait_for_selector(LIVE, state="attached", timeout=300_000)
    timings = page.evaluate("window.emlab.timings")
    # When something first showed (for the lab: the prerendered copy under the progress card).
    timings["first_paint"] = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime")
    # Requests from the worker (Pyodide, the wheels) are the page's too.
    timings["bytes"] = sum(max(0, r.sizes()["responseBodySize"]) for r in finished)
    page.close()
    return timings


def load_times(p, url: str, runs: int, warm_too: bool = True) -> tuple[list[dict], list[dict]]:
    """Cold (fresh profile each run) and warm (second load in the same profile) timings."""
    cold, warm = [], []
    for _ in range(runs):
        profile = tempfile.mkdtemp(prefix="emlab-bench-")
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            cold.append(load(context, url))
            if warm_too:
                warm.append(load(context, url))
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    return cold, warm


def median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def open_context(p):
    profile = tempfile.mkdtemp(prefix="emlab-bench-")
    context = p.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=ARGS,
        viewport={"width": 1600, "height": 1000})
    return context, profile


def open_lab_with(context, url: str, csv: Path, n_samples: int):
    """The lab live, with ``csv`` loaded through its upload and K = 6."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(LIVE, state="attached", timeout=300_000)
    page.get_by_text("Data", exact=True).last.click()  # the tab with the upload
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text(f"{n_samples:,} points").first.wait_for(timeout=120_000)
    k_slider = page.locator('[role=slider][aria-valuemin="1.0"][aria-valuemax="15.0"]').first
    k_slider.focus()
    for _ in range(3):  # K: 3 -> 6
        k_slider.press("ArrowRight")
    page.locator('.emlab-status').first.wait_for()
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('emlab-means').data.x.length === 6",
        timeout=60_000)
    return page


def clicks_against_floors(p, url: str, floor_urls: list[str], csv: Path, n_samples: int,
                          clicks: int):
    """Click-to-repaint of the lab's half-steps, first with the lab the only page of its browser
    (as in a class), then with each floor page's recolour clicked in turn (a busy moment of the
    shared machine hits them all; every page is slower with the others open): medians of (lab
    alone total, lab alone Python, lab total, lab Python, then total and Python of each floor)
    in ms, the lab's page (for Play) and its main plot's backend."""
    context, profile = open_context(p)
    lab = open_lab_with(context, url, csv, n_samples)
    alone = [lab.evaluate(CLICK_TO_REPAINT_JS, "E-step" if i % 2 == 0 else "M-step")
             for i in range(clicks + 2)][2:]  # (the first two warm up)
    floors = []
    for floor_url in floor_urls:
        floors.append(context.new_page())
        floors[-1].goto(f"{floor_url}?n={n_samples}")
        floors[-1].wait_for_selector(LIVE, state="attached", timeout=300_000)
    rows = []
    for i in range(clicks + 2):  # the first two warm up (first use of some code paths)
        # Each page is brought to the front for its click: a background tab gets no frames.
        lab.bring_to_front()
        row = lab.evaluate(CLICK_TO_REPAINT_JS, "E-step" if i % 2 == 0 else "M-step")
        for floor in floors:
            floor.bring_to_front()
            row += floor.evaluate(CLICK_TO_REPAINT_JS, "Recolour")
        if i >= 2:
            rows.append(row)
    for floor in floors:
        floor.close()
    lab.bring_to_front()
    medians = [statistics.median(column) for column in zip(*alone)]
    medians += [statistics.median(column) for column in zip(*rows)]
    backend = lab.evaluate("window.emlab.backend || 'webgl'")  # see static/handler.js
    return medians, lab, context, profile, backend


def play_rate(page):
    """Play at the fastest speed from iteration 0 with tol 10⁻⁶: (half-steps per second that
    reached the page, frames per second that showed a new one)."""
    speed = page.locator('[role=slider][aria-valuemin="0.5"][aria-valuemax="30.0"]').first
    speed.focus()
    speed.press("End")
    # From iteration 0 with the tightest tol, so Play runs long enough to be timed (it stops
    # by itself at convergence).
    page.locator("select").filter(has_text="10⁻⁶").first.select_option(label="10⁻⁶")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('emlab-trace-curve').data.step.length < 2")
    page.get_by_role("button", name="Play").click()
    samples = page.evaluate(PLAY_JS, 6)
    # Rates over the span in which the trace grew: half-steps that reached the page, and
    # frames that showed a change (a busy page applies several half-steps per frame).
    if len(samples) < 4:  # converged within a few frames: no rate to speak of
        return float("nan"), float("nan")
    (t0, start), (t1, end) = samples[1], samples[-1]
    return 1000 * (end - start) / (t1 - t0), 1000 * (len(samples) - 2) / (t1 - t0)


def print_load_figures(p, runs: int, base: str, fallback_base: str) -> None:
    """Cold and warm load-to-live of the lab (snapshot start), its fallback and the bare page."""
    # Interleaved run by run, so a busy moment of the shared machine hits all three.
    rows = {"lab": ([], []), "fallback": ([], []), "ref": ([], [])}
    for _ in range(runs):
        for key, url in (("lab", base), ("fallback", fallback_base),
                         ("ref", base + "reference.html")):
            cold, warm = load_times(p, url, 1)
            rows[key][0].extend(cold)
            rows[key][1].extend(warm)
    (lab_cold, lab_warm), (fb_cold, fb_warm), (ref_cold, ref_warm) = rows.values()
    starts = {row.get("start") for row in lab_cold + lab_warm}
    if starts != {"snapshot"}:
        print(f"NOTE: the lab did not always start from its snapshot: {starts}")
    print(f"load to interactive, median of {runs} (ms)")
    print(f"  {'':32s} {'cold':>8s} {'warm':>8s} {'cold/b':>8s} {'warm/b':>8s}")
    ref_c, ref_w = median(ref_cold, 'interactive'), median(ref_warm, 'interactive')
    for name, cold, warm in [("(a) EM Lab (snapshot start)", lab_cold, lab_warm),
                             ("(a') EM Lab (fallback start)", fb_cold, fb_warm),
                             ("(b) Pyodide + numpy", ref_cold, ref_warm)]:
        c, w = median(cold, 'interactive'), median(warm, 'interactive')
        print(f"  {name:32s} {c:8.0f} {w:8.0f} {c / ref_c:8.2f} {w / ref_w:8.2f}")
    print("where the cold start goes, median (ms; worker marks since the worker started, "
          "live since navigation):")
    for name, rows_, keys in [
            ("(a) snapshot", lab_cold, [("fetched (memory + files, checked, inflated)",
                                         "fetch"), ("archive read", "unpack"),
                                        ("restored (+ re-seeded)", "runtime"),
                                        ("lab built", "app"), ("live", "interactive")]),
            ("(a') fallback", fb_cold, [("runtime", "runtime"), ("packages", "packages"),
                                        ("imports", "imports"), ("lab built", "app"),
                                        ("live", "interactive")])]:
        print(f"  {name}: " + ", ".join(f"{label} {median(rows_, key):.0f}"
                                        for label, key in keys))
    print(f"first paint (ms), cold: (a) {median(lab_cold, 'first_paint'):.0f}, "
          f"(a') {median(fb_cold, 'first_paint'):.0f}, "
          f"(b) {median(ref_cold, 'first_paint'):.0f}")
    print(f"downloaded until live, cold: (a) {median(lab_cold, 'bytes') / 1e6:.1f} MB, "
          f"(a') {median(fb_cold, 'bytes') / 1e6:.1f} MB, "
          f"(b) {median(ref_cold, 'bytes') / 1e6:.1f} MB; warm: (a) "
          f"{median(lab_warm, 'bytes') / 1e6:.1f} MB")
    print_link_starts(p, runs, base, ref_c)


# Links a course page or a teacher hands out: opened from the saved lab (their state applied to
# it) or, where a view lays itself out without a part the link hides (the keyboard hints) and for
# the trace lab, built and drawn.
LINKS = ("?embed=1", "?lesson=soft-vs-hard", "?embed=1&lesson=local-optima", "?hide=share,data",
         "?hide=keys", "?lesson=trace-lab")


def print_link_starts(p, runs: int, base: str, ref_cold: float) -> None:
    """Cold load-to-live of each of LINKS (interleaved run by run), against the bare page's."""
    rows = {link: [] for link in LINKS}
    for _ in range(runs):
        for link in LINKS:
            rows[link].extend(load_times(p, base + link, 1, warm_too=False)[0])
    print(f"links, cold load to interactive, median of {runs} (ms; ratio to (b) cold):")
    for link, cold in rows.items():
        how = sorted({f"{row.get('start')} start, lab {row.get('lab')}" for row in cold})
        c = median(cold, "interactive")
        print(f"  {link:32s} {c:8.0f} {c / ref_cold:8.2f}   ({'; '.join(how)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="load runs per page (median; 5)")
    parser.add_argument("--clicks", type=int, default=20, help="half-steps timed per size (20)")
    parser.add_argument("--load-only", action="store_true",
                        help="only the load figures (no click-to-repaint, no Play)")
    parser.add_argument("--clicks-only", action="store_true",
                        help="only click-to-repaint and Play (no load figures)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="emlab-bench-site-"))
    site = work / "site"
    subprocess.run([sys.executable, "build.py", "--out", str(site)], cwd=ROOT, check=True)
    # The fallback: the same site without its snapshot file (the worker notes it and starts the
    # ordinary way). Both served by build.py, as they are.
    fallback = work / "fallback"
    shutil.copytree(site, fallback)
    (fallback / "pyodide" / "emlab-snapshot.bin.gz").unlink()
    folders = [site, fallback]
    if not args.load_only:
        # The click's floor: benchmarks/click_floor_app.py built the same way, with the lab's
        # page fixes, and as a plain Panel page (the same site without them).
        floor = work / "floor"
        subprocess.run([sys.executable, "build.py", "--out", str(floor),
                        "--app", "benchmarks/click_floor_app.py"], cwd=ROOT, check=True)
        folders += [without_page_tweaks(floor, work / "plain-floor"), floor]
    servers, bases = [], []
    try:
        for folder in folders:
            port = free_port()
            servers.append(subprocess.Popen(
                [sys.executable, "build.py", "serve", "--as-is", "--out", str(folder),
                 "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}/")
        for base in bases:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base, timeout=1)
                    break
                except OSError:
                    time.sleep(0.25)
        base, fallback_base, floor_bases = bases[0], bases[1], bases[2:]
        with sync_playwright() as p:
            if not args.clicks_only:
                print_load_figures(p, args.runs, base, fallback_base)
            for n in () if args.load_only else (2000, 20_000):
                csv = make_csv(work / f"points-{n}.csv", n)
                (alone_ms, alone_python, lab_ms, lab_python, plain_ms, plain_python, fixed_ms,
                 fixed_python), page, context, profile, backend = clicks_against_floors(
                    p, base, floor_bases, csv, n, args.clicks)
                try:
                    steps, fps = play_rate(page)
                finally:
                    context.close()
                    shutil.rmtree(profile, ignore_errors=True)
                print(f"N = {n:>6,}, K = 6 (main plot drawn with {backend}), median of "
                      f"{args.clicks} clicks each:")
                print(f"  click-to-repaint of a half-step, the lab alone {alone_ms:6.1f} ms "
                      f"(Python in the worker {alone_python:5.1f} ms)")
                print(f"  and clicked in turn with the floors {lab_ms:6.1f} ms (Python "
                      f"{lab_python:5.1f} ms)")
                print(f"  the floor's recolour as a plain Panel page {plain_ms:6.1f} ms (Python "
                      f"{plain_python:5.1f} ms): ratio {lab_ms / plain_ms:4.2f}")
                print(f"  the floor's recolour with the lab's page fixes {fixed_ms:6.1f} ms "
                      f"(Python {fixed_python:5.1f} ms): ratio {lab_ms / fixed_ms:4.2f}")
                print(f"  Play {steps:5.1f} half-steps/s in {fps:5.1f} frames/s")
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
