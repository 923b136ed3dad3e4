"""The static Pyodide site that build.py writes, served on 127.0.0.1 and driven in Debian's chromium.

Two builds per session: a small placeholder app (tests/browser/placeholder_app.py) that tests the
pipeline on its own (runtime, packages, worker, lazy matplotlib), and the lab itself (app/main.py).
Every test runs on `guarded_page` (conftest.py): it fails on any console error, page error or request
that leaves 127.0.0.1; this module adds a guard against failed requests (404s and aborted loads).
Python is known to be live when the page script sets <body data-pyodide="live">, which happens only
after the worker's Python rendered the document and linked it (the prerendered copy never sets it).
The first build downloads ~100 MB into .cache/ (pip and npm); later builds are offline.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.browser.conftest import REPO, free_port, serve

pytestmark = pytest.mark.browser

LIVE = 'body[data-pyodide="live"]'
START_TIMEOUT = 180_000  # ms; a cold start here takes ~10 s, CI machines can be much slower


def _build_and_serve(tmp_path_factory, app: str):
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "build.py", "--out", str(out), "--app", app],
                           cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, f"build.py failed:\n{build.stdout}\n{build.stderr}"
    port = free_port()
    log = out.parent / f"serve-{port}.log"
    cmd = [sys.executable, "build.py", "serve", "--out", str(out), "--app", app, "--port", str(port)]
    return serve(cmd, port, log=log, timeout=120)


@pytest.fixture(scope="session")
def placeholder_site(tmp_path_factory):
    """The placeholder app's static site, served; yields its base URL."""
    with _build_and_serve(tmp_path_factory, "tests/browser/placeholder_app.py") as base:
        yield base


@pytest.fixture
def site_page(guarded_page):
    """guarded_page that also fails on any failed request or HTTP error status."""
    failures = []
    guarded_page.on("requestfailed",
                    lambda r: failures.append(f"{r.url}: {r.failure}"))
    guarded_page.on("response",
                    lambda r: r.status >= 400 and failures.append(f"{r.url}: HTTP {r.status}"))
    yield guarded_page
    # Requests the off-loopback guard aborted are reported by it already.
    failures = [f for f in failures if "127.0.0.1" in f.split(": ")[0]]
    assert not failures, "failed requests:\n" + "\n".join(failures)


def open_live(page, url):
    """Open the site and wait until the Pyodide side has rendered and linked the document."""
    page.goto(url)
    page.wait_for_selector(LIVE, timeout=START_TIMEOUT, state="attached")
    return page


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
