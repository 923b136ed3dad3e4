"""Click-to-paint of one half-step in the lab under `panel serve`, in headless Chromium.

Prints figures only (no assertions on time). Starts `panel serve app/main.py` on 127.0.0.1, loads
N = 2000 points (six Gaussian clusters) through the lab's own CSV upload, sets K = 6 with the K
slider, then clicks E-step and M-step alternately and measures, in the page, from the click to the
animation frame after the status line shows the new phase (the same patch carries the new colours
and ellipses). Reference in the same run: the same measurement on a second page with the start-up
data (300 points, K = 3), clicked in turn with the first so that load changes on a shared machine
hit both; the ratio says what N = 2000, K = 6 costs on top of the round trip itself. Also prints
the server-side Python part, measured in-process: the session's half-step plus every view's redraw.

    .venv/bin/python benchmarks/serve_click.py [--clicks 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, serve  # noqa: E402

CLICK_TO_PAINT_JS = """
  async (label) => {
    const all = (root) => [...root.querySelectorAll('*')].flatMap(
        (el) => el.shadowRoot ? [el, ...all(el.shadowRoot)] : [el]);
    const status = () => all(document).find((el) => el.classList?.contains('emlab-status'));
    const before = status().dataset.phase;
    const button = all(document).find((el) => el.tagName === 'BUTTON' && el.textContent.trim() === label);
    const t0 = performance.now();
    button.click();
    while (status().dataset.phase === before) await new Promise(requestAnimationFrame);
    const t1 = performance.now();
    await new Promise(requestAnimationFrame);  // the frame that paints it
    return [performance.now() - t0, t1 - t0];
  }
"""


def six_clusters(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[-6, 0], [-2, 5], [3, 5], [6, 0], [2, -5], [-3, -5]], dtype=float)
    labels = rng.integers(0, 6, n)
    return centres[labels] + rng.normal(0, 1.0, (n, 2)) @ np.array([[1.0, 0.3], [0.0, 0.8]])


def next_label(page) -> str:
    return "E-step" if page.locator('.emlab-status[data-phase="E"]').count() else "M-step"


def interleaved_clicks(reference, lab, n: int):
    """Half-steps on both pages in turn (ABAB...), so a change in machine load hits both alike.

    Returns {name: (click-to-paint list, patch-seen list)}; the first two clicks of each warm up.
    """
    out = {"reference": ([], []), "lab": ([], [])}
    for i in range(n + 2):
        for name, page in (("reference", reference), ("lab", lab)):
            page.bring_to_front()  # a background tab gets throttled animation frames
            page.wait_for_timeout(50)
            total, seen = page.evaluate(CLICK_TO_PAINT_JS, next_label(page))
            if i >= 2:
                out[name][0].append(total)
                out[name][1].append(seen)
    return out


def python_part(X: np.ndarray, n: int) -> float:
    """Median ms of one half-step plus all view redraws, in-process (no browser, no transport)."""
    from app.session import Session
    from app.views import Lab

    session = Session()
    session.set_data(X, name="bench")
    session.n_components = 6
    Lab(session=session)  # every view watches the session: their redraws are part of the time
    times = []
    for _ in range(n):
        t = time.perf_counter()
        session.e_step() if session.phase == "E" else session.m_step()
        times.append((time.perf_counter() - t) * 1000)
        if session.converged or session.collapse:
            session.reset()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    X = six_clusters(2000)
    workdir = Path(tempfile.mkdtemp(prefix="emlab-serve-click-"))
    csv = workdir / "six_clusters.csv"
    np.savetxt(csv, X, delimiter=",", header="x,y", comments="", fmt="%.5f")
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "app/main.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    with serve(cmd, port, path="/main", log=workdir / "serve.log") as base, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(workdir / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000})
        pages = []
        for _ in range(2):
            page = context.new_page()
            page.goto(f"{base}/main")
            page.get_by_role("button", name="E-step").wait_for(timeout=60_000)
            page.locator('.emlab-status[data-phase="E"]').first.wait_for()
            pages.append(page)
        reference, lab = pages
        lab.bring_to_front()
        lab.locator(".bk-tab", has_text="Data").click()
        lab.locator("input[type=file]").set_input_files(str(csv))
        lab.get_by_text("2,000 points").first.wait_for(timeout=60_000)
        k_slider = lab.locator('[role=slider][aria-valuemin="1.0"][aria-valuemax="15.0"]').first
        k_slider.focus()
        for _ in range(3):  # K: 3 -> 6
            k_slider.press("ArrowRight")
        lab.wait_for_function(
            "() => Bokeh.documents[0].get_model_by_name('emlab-means').data.x.length === 6",
            timeout=60_000)
        result = interleaved_clicks(reference, lab, args.clicks)
        ref_paint, ref_patch = result["reference"]
        paint, patch = result["lab"]
        context.close()

    python_ms = python_part(X, args.clicks)
    med = statistics.median
    print(f"panel serve, headless Chromium, {args.clicks} half-steps each, median (min-max):")
    print(f"  reference  N=300,  K=3: click-to-paint {med(ref_paint):6.1f} ms "
          f"({min(ref_paint):.1f}-{max(ref_paint):.1f}); patch seen {med(ref_patch):6.1f} ms")
    print(f"  lab        N=2000, K=6: click-to-paint {med(paint):6.1f} ms "
          f"({min(paint):.1f}-{max(paint):.1f}); patch seen {med(patch):6.1f} ms")
    print(f"  ratio N=2000,K=6 / reference: {med(paint) / med(ref_paint):.2f}x")
    print(f"  server-side Python per half-step (session + all view redraws, in-process): "
          f"{python_ms:.1f} ms")


if __name__ == "__main__":
    main()
