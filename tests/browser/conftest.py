"""Real-browser fixtures: Debian's chromium driven by Playwright, with guards that make a test fail
on any console error, uncaught page error or request that leaves 127.0.0.1.

Generic on purpose: the lab's `panel serve` tests and the static Pyodide site's tests share them.
  chromium_context   one persistent Chromium context per session (fresh tmp user-data-dir)
  guarded_page       a new page per test; records console errors, BokehJS/Panel console warnings,
                     page errors and off-loopback requests (which are aborted) and fails the test
                     at teardown if any occurred
  screenshot         screenshot(page, name) -> Path under the test's tmp dir
  free_port()        a free TCP port on 127.0.0.1
  serve(cmd, port)   context manager: start a server subprocess, wait for HTTP, stop it
  panel_server       `panel serve app/main.py` on a free port (module scope): .url, .log_tail(),
                     .assert_no_traceback(since=.log_size()) (fails on a traceback in its log)
  deep_text(page)    all text on the page, shadow DOM included (Panel widgets live in shadow roots)
Never `playwright install`: the browser is /usr/bin/chromium (apt).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}

# Console lines known to be harmless (see shared/PYODIDE.md); anything else of type "error" fails,
# and so does a warning from BokehJS or Panel (WARNING_SOURCE): each one is a defect to fix.
HARMLESS_CONSOLE = [
    re.compile(r"Matplotlib is building the font cache", re.I),
]
# BokehJS prefixes its log lines with "[bokeh <version>]"; Panel's own warnings name Panel. The
# browser's own warnings (a WebGL driver's "GPU stall due to ReadPixels") are not ours.
WARNING_SOURCE = re.compile(r"^\[bokeh\b|\bpanel\b", re.I)

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser is a browser test, marked so `-m "not browser"` skips it."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            # generous: the first GET runs the whole app (seconds on a busy 2-core machine)
            with urllib.request.urlopen(url, timeout=30):
                return
        except urllib.error.HTTPError:
            return  # the server is up; what it answered is the test's business (and in its log)
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError(f"server did not answer {url} within {timeout} s")


@contextlib.contextmanager
def serve(cmd: list[str], port: int, *, path: str = "/", timeout: float = 60, cwd=REPO, log=None):
    """Run a server subprocess until the block ends; wait until http://127.0.0.1:port/path answers."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}{path}", proc, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


class Served:
    """A running server: its URL and its log (shown when a test fails to find what it waits for)."""

    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def log_size(self) -> int:
        """Where the log ends now: pass it to assert_no_traceback(since=...) to check one test."""
        return self.log.stat().st_size if self.log.exists() else 0

    def assert_no_traceback(self, since: int = 0) -> None:
        """Fail when the server logged a Python traceback after byte ``since`` of its log (a
        callback that raised, a task cancelled in the middle: none is harmless)."""
        time.sleep(0.5)  # the server writes what the last messages caused
        with open(self.log, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        assert "Traceback" not in text, f"--- panel serve log ---\n{text[-6000:]}"


@pytest.fixture(scope="module")
def panel_server(tmp_path_factory):
    """`panel serve app/main.py` on 127.0.0.1 and a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("panel-serve") / "serve.log"
    cmd = [
        sys.executable, "-m", "panel", "serve", "app/main.py",
        "--port", str(port), "--address", "127.0.0.1",
        "--allow-websocket-origin", f"127.0.0.1:{port}",
        "--websocket-max-message-size", "104857600",  # as README says: uploads up to 64 MB
    ]
    with serve(cmd, port, path="/main", log=log) as base:
        yield Served(f"{base}/main", log)


DEEP_TEXT_JS = """() => {
  const parts = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.tagName === "SCRIPT" || node.tagName === "STYLE") return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return parts.join(" ");
}"""


def deep_text(page) -> str:
    """Every visible-ish text node of the page, shadow roots included, joined by spaces."""
    return page.evaluate(DEEP_TEXT_JS)


@pytest.fixture(scope="session")
def chromium_context(tmp_path_factory):
    """One headless Chromium (Debian's) per test session, with a fresh user-data-dir."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found (./dev test installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        yield context
        context.close()


class PageGuard:
    """What a page did that a test must not accept: console errors, BokehJS/Panel warnings, page
    errors, remote requests."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.console_warnings: list[str] = []
        self.page_errors: list[str] = []
        self.remote_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.route("**/*", self._on_route)
        page.on("websocket", self._on_websocket)

    def _on_console(self, msg):
        if any(p.search(msg.text) for p in HARMLESS_CONSOLE):
            return
        if msg.type == "error":
            self.console_errors.append(msg.text)
        elif msg.type == "warning" and WARNING_SOURCE.search(msg.text):
            self.console_warnings.append(msg.text)

    def _on_route(self, route):
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOOPBACK:
            self.remote_requests.append(url)
            route.abort()
        else:
            route.continue_()

    def _on_websocket(self, ws):
        if urlsplit(ws.url).hostname not in LOOPBACK:
            self.remote_requests.append(ws.url)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"console warning: {m}" for m in self.console_warnings]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"request off 127.0.0.1: {u}" for u in self.remote_requests]
        )


@pytest.fixture
def guarded_page(chromium_context):
    """A fresh page; the test fails at teardown if the page logged an error or a BokehJS/Panel
    warning, or went off-loopback."""
    page = chromium_context.new_page()
    guard = PageGuard(page)
    page.guard = guard
    yield page
    page.close()
    problems = guard.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(page, name) saves a full-page PNG under the test's tmp dir and returns its path.

    Set EMLAB_SCREENSHOTS=<dir> to keep them somewhere fixed while developing.
    """
    target = Path(os.environ.get("EMLAB_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


# ---------------------------------------------------------------------------------------------
# the static site: built once per test session, shared by every module that opens it

LIVE = 'body[data-pyodide="live"]'
START_TIMEOUT = 180_000  # ms; a cold start here takes ~10 s, CI machines can be much slower


# base URL -> the folder it serves (the snapshot fallback tests serve altered copies)
SITE_FOLDERS: dict[str, Path] = {}


def build_and_serve(tmp_path_factory, app: str):
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "build.py", "--out", str(out), "--app", app],
                           cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, f"build.py failed:\n{build.stdout}\n{build.stderr}"
    port = free_port()
    log = out.parent / f"serve-{port}.log"
    cmd = [sys.executable, "build.py", "serve", "--out", str(out), "--app", app, "--port", str(port)]
    SITE_FOLDERS[f"http://127.0.0.1:{port}"] = out
    return serve(cmd, port, log=log, timeout=120)


@pytest.fixture(scope="session")
def lab_site(tmp_path_factory):
    """The lab's static site (app/main.py), served; yields its base URL."""
    with build_and_serve(tmp_path_factory, "app/main.py") as base:
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
