"""The classroom walk: a seeded random walk over every control a learner can reach, in a real
browser, in both runtimes (the static Pyodide site and `panel serve`), after Hypothesis' stateful
testing and Panel's UI tests.

Every action (a button, a key with the focus on the page, a slider moved by keyboard, a select, a
radio group, a typed or hostile seed, a drag of a mean handle, a click or shift-click on the plot, a
tab, an explorer, an upload good or hostile, an export) is followed by a wait until the page has
settled and by the invariants, never by the outcome a script would expect:
  - no console error or warning (BokehJS and Panel log theirs there), no page error, no request
    off 127.0.0.1 (guarded_page), no ERROR reply and no traceback or ERROR line from `panel serve`;
  - no NaN or infinity shown on the page and no non-finite number in any ColumnDataSource;
  - in every ColumnDataSource, all columns have the same length.
At the end the page must still answer: one Step moves the iteration by exactly one.

The walk is replayable: the actions come from a deck of every action kind, shuffled by
random.Random(seed), and each action draws its parameters from its own generator seeded from the
walk's, so a skipped action (its control hidden or disabled, which the log says) does not change
what comes after. A failure names the seed, the runtime and the last actions.

  EMLAB_WALK_SEED=<int>     the seed (CI uses the default)
  EMLAB_WALK_LENGTH=<int>   the number of actions per runtime (default 150: two shuffled decks,
                            every control at least twice; about 2.5 minutes a runtime here)
  EMLAB_WALK_VERBOSE=1      print every action as it happens
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import HARMLESS_CONSOLE, REPO, deep_text, open_live
from labpage import NONFINITE_JS, TO_PAGE_JS, open_lab, status, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]

SEED = int(os.environ.get("EMLAB_WALK_SEED", "20261203"))
LENGTH = int(os.environ.get("EMLAB_WALK_LENGTH", "150"))
VERBOSE = os.environ.get("EMLAB_WALK_VERBOSE", "") not in ("", "0")
SHOWN_ON_FAILURE = 15

DATASET_TITLES = [entry["title"] for entry in json.loads(
    (REPO / "datasets" / "index.json").read_text(encoding="utf-8"))]
# Chromium's own GPU driver notes (type "warning") are not the page's, and conftest.py's harmless
# lines are harmless here too; every other warning fails (a Python traceback in the static site's
# worker reaches the console as warnings, whatever module it names).
NOT_THE_PAGE = re.compile(r"GL Driver Message|^\[\.WebGL-")

# Every ColumnDataSource: all its columns have one length (a ragged column counts its rows).
RAGGED_JS = """() => {
  const bad = [];
  for (const model of Bokeh.documents[0].all_models) {
    if (model.type !== "ColumnDataSource" || !model.data) continue;
    const entries = model.data.entries ? [...model.data.entries()] : Object.entries(model.data);
    const lengths = entries.map(([key, column]) => [key, column.length]);
    if (new Set(lengths.map(([, n]) => n)).size > 1)
      bad.push(`${model.name || model.id}: ${JSON.stringify(lengths)}`);
  }
  return bad;
}"""

# What changes when the page takes in a change: the status line, the document's models and a
# count of document changes (either way), and the static site's worker queue.
SIGNATURE_JS = """() => {
  const doc = Bokeh.documents[0];
  if (window.__walkDoc !== doc) {
    window.__walkDoc = doc;
    window.__walkChanges = 0;
    doc.on_change(() => { window.__walkChanges += 1; }, true);
  }
  const find = (root) => {
    const hit = root.querySelector('.emlab-status');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*'))
      if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
    return null;
  };
  const el = find(document);
  const worker = window.emlabWorker;
  return {
    status: el ? {...el.dataset} : null,
    models: doc.all_models.size,
    changes: window.__walkChanges,
    busy: worker ? Boolean(worker.busy) || (worker.queue || []).length > 0 : false,
  };
}"""


STILL = 0.15  # seconds without a change that count as settled
PING_JS = """() => {
  const location = [...Bokeh.documents[0].all_models].find((m) => m.type.endsWith('Location'));
  if (!location) return false;
  window.__walkPings = (window.__walkPings || 0) + 1;
  location.tags = [`walk-ping-${window.__walkPings}`];
  return true;
}"""


class Walk:
    """One runtime's walk: the page, the actions taken so far and the invariants."""

    def __init__(self, page, runtime: str, files: dict[str, Path], served=None):
        self.page, self.runtime, self.files, self.served = page, runtime, files, served
        self.log: list[str] = []
        self.warnings: list[str] = []
        self.server_errors: list[str] = []
        self.pending: set[str] = set()  # panel serve: PATCH-DOC messages not yet answered
        self.last_frame = time.monotonic()
        self._log_offset = 0
        page.on("console", self._on_console)
        page.on("websocket", self._on_websocket)

    # ---- watching the page -------------------------------------------------------------------

    def _on_console(self, msg):
        if msg.type == "warning" and not any(
                p.search(msg.text) for p in [NOT_THE_PAGE, *HARMLESS_CONSOLE]):
            self.warnings.append(msg.text)

    def _on_websocket(self, ws):
        def header(payload):
            if isinstance(payload, str) and payload.startswith("{") and '"msgtype"' in payload:
                try:
                    return json.loads(payload)
                except ValueError:
                    return None
            return None

        def sent(payload):
            self.last_frame = time.monotonic()
            head = header(payload)
            if head and "msgid" in head and head.get("msgtype") == "PATCH-DOC":
                self.pending.add(head["msgid"])

        def received(payload):
            self.last_frame = time.monotonic()
            head = header(payload)
            if head and "reqid" in head:
                self.pending.discard(head["reqid"])
                if head.get("msgtype") == "ERROR":
                    self.server_errors.append(f"ERROR reply to {head['reqid']}")

        ws.on("framesent", sent)
        ws.on("framereceived", received)

    def settle(self, timeout: float = 180.0):
        """Wait until the page has taken in everything the last action started.

        Two rounds of: a ping (a change Python ignores: the tags of Panel's Location model),
        then the page must stand still for STILL seconds. Python defers some work a little
        (Panel debounces a property change by 50 ms; the static site's runtime.after_this_update
        waits 50 ms before the fits behind a spinner): the first round outlasts that, so the
        deferred work is running when the second ping is sent, and that ping is answered only
        after it (one Python thread, in the server and in the worker).
        """
        deadline = time.monotonic() + timeout
        for _ in range(2):
            self.page.evaluate(PING_JS)
            self._wait_still(deadline)

    def _wait_still(self, deadline: float):
        """No change in flight and nothing changed for STILL seconds (while Play runs the status
        line never stands still: then only the document's models must)."""
        last, since = None, time.monotonic()
        while True:
            now = time.monotonic()
            signature = self.page.evaluate(SIGNATURE_JS)
            idle = not signature["busy"] and not self.pending
            if (signature["status"] or {}).get("state") == "playing":
                signature = {"models": signature["models"]}
            elif now - self.last_frame < STILL:
                idle = False
            if signature != last:
                last, since = signature, now
            elif idle and now - since >= STILL:
                return
            if now > deadline:
                raise AssertionError(f"the page did not settle (last: {signature}, "
                                     f"unanswered messages: {len(self.pending)})")
            self.page.wait_for_timeout(30)

    def check(self):
        """The invariants, after every action."""
        page = self.page
        # The guard's warnings (BokehJS's and Panel's) are among this walk's (all but the GPU's).
        problems = [p for p in page.guard.problems() if not p.startswith("console warning:")]
        problems += [f"console warning: {w}" for w in self.warnings]
        problems += [f"panel serve: {e}" for e in self.server_errors]
        if self.served is not None:
            text = self.served.log.read_text(errors="replace")
            new, self._log_offset = text[self._log_offset:], len(text)
            if re.search(r"Traceback|\bERROR\b", new):
                problems.append(f"panel serve log:\n{new[-3000:]}")
        if problems:
            raise AssertionError("\n".join(problems))
        text = deep_text(page)
        for bad in ("NaN", "nan ", "Infinity", " inf "):
            assert bad not in text, f"{bad!r} on the page: ...{text[text.find(bad) - 80:][:160]}..."
        assert page.evaluate(NONFINITE_JS) == [], "non-finite numbers in a data source"
        ragged = page.evaluate(RAGGED_JS)
        assert not ragged, "columns of unequal length: " + "; ".join(ragged)

    def failure(self, seed: int, what: str) -> str:
        tail = "\n".join(f"  {line}" for line in self.log[-SHOWN_ON_FAILURE:])
        return (f"the walk failed ({self.runtime}, EMLAB_WALK_SEED={seed}, after "
                f"{len(self.log)} actions; replay with EMLAB_WALK_SEED={seed} "
                f"EMLAB_WALK_LENGTH={len(self.log)}):\n{what}\nlast actions:\n{tail}")

    # ---- helpers the actions share -----------------------------------------------------------

    def button(self, name):
        """The button named `name` (a string, exactly, or a compiled pattern)."""
        return self.page.get_by_role("button", name=name, exact=isinstance(name, str)).first

    def click_button(self, name) -> str:
        button = self.button(name)
        if not button.count() or not button.is_visible():
            return "skipped: not shown"
        if button.is_disabled():
            return "skipped: disabled"
        try:
            button.click(timeout=10_000)
        except PlaywrightTimeout:
            # Play runs on: it may have disabled (or relabelled) the button since it was read.
            if button.count() and button.is_visible() and button.is_enabled():
                raise
            return "skipped: disabled by Play meanwhile"
        return ""

    def open_tab(self, title: str) -> bool:
        """Open the tab `title` (a click, unless it is open already) and wait until its content
        is shown; False if the tab is hidden."""
        tab = self.page.locator(".bk-tab").filter(has_text=re.compile(f"^{re.escape(title)}$"))
        if not tab.count():
            return False
        if "bk-active" not in (tab.first.get_attribute("class") or ""):
            tab.first.click()
            self.settle()
        kind, name = TAB_CONTENT[title]
        shown = (self.page.get_by_role("button", name=name) if kind == "button"
                 else self.page.get_by_text(name))
        shown.first.wait_for(state="visible", timeout=60_000)
        return True

    def slider(self, low: str, high: str, r: random.Random) -> str:
        keys = [r.choice(["ArrowLeft", "ArrowRight", "Home", "End"])
                for _ in range(r.randint(1, 3))]
        handle = self.page.locator(f'[role=slider][aria-valuemin="{low}"]'
                                   f'[aria-valuemax="{high}"]').first
        if not handle.count() or not handle.is_visible():
            return f"{'+'.join(keys)} skipped: not shown"
        handle.focus()
        for key in keys:
            handle.press(key)
        return "+".join(keys)

    def select(self, name: str, r: random.Random, fixed=None) -> str:
        u = r.random()
        box = self.page.get_by_role("combobox", name=name, exact=True).first
        if not box.count() or not box.is_visible():
            return "skipped: not shown"
        options = box.evaluate("(el) => Array.from(el.options, (o) => o.text)")
        if not options:
            return "skipped: no options"
        label = fixed if fixed is not None else options[int(u * len(options))]
        box.select_option(label=label)
        return label

    def checkbox(self, name: str) -> str:
        box = self.page.get_by_role("checkbox", name=name).first
        if not box.count() or not box.is_visible():
            return "skipped: not shown"
        box.click()
        return ""

    def page_xy(self, x: float, y: float):
        return self.page.evaluate(TO_PAGE_JS, [x, y])

    def plot_rect(self):
        return self.page.evaluate("""() => {
          const view = Bokeh.index.find_one(
              Bokeh.documents[0].get_model_by_name('emlab-main-plot'));
          const rect = (view.canvas_view ?? view.canvas).el.getBoundingClientRect();
          const f = view.frame.bbox;
          return [rect.left + f.left, rect.top + f.top, f.width, f.height];
        }""")

    def data_xy(self, name: str):
        column = "(d, key) => Array.from(d.get ? d.get(key) : d[key])"
        return self.page.evaluate(
            f"(name) => {{ const d = Bokeh.documents[0].get_model_by_name(name).data; "
            f"const column = {column}; return [column(d, 'x'), column(d, 'y')]; }}", name)


# ---- the actions: each takes the walk and its own generator, acts, and says what it did ------

def _button(name):
    def act(w, r):
        return w.click_button(name)
    act.__name__ = name
    return act


def act_key(w, r):
    key = r.choice(["e", "m", " ", "ArrowLeft", "p", "r"])
    w.page.locator("body").click(position={"x": 5, "y": 5})  # the focus on the page itself
    w.page.keyboard.press(key)
    return repr(key)


def act_slider_k(w, r):
    return w.slider("1.0", "15.0", r)


def act_slider_reg(w, r):
    return w.slider("0.0", "10.0", r)


def act_slider_speed(w, r):
    return w.slider("0.5", "30.0", r)


def act_dataset(w, r):
    u = r.random()
    titles = DATASET_TITLES + ["Your data (upload, or edit points)"]
    return w.select("Data set", r, fixed=titles[int(u * len(titles))])


def act_init(w, r):
    return w.select("Init", r)


def act_tol(w, r):
    return w.select("Convergence tol (mean log-likelihood change)", r)


def _radio(*names):
    def act(w, r):
        name = r.choice(names)
        return f"{name} {w.click_button(name)}".strip()
    act.__name__ = "radio:" + "/".join(names)
    return act


def act_outliers(w, r):
    return w.checkbox("Flag outliers")


HOSTILE_SEEDS = ["", "-1", "-2147483649", "99999999999999999999999", "abc", "1e999", "  7 ",
                 "3.5", "0", "42", "<script>alert(1)</script>", "NaN"]


def act_seed(w, r):
    text = r.choice(HOSTILE_SEEDS)
    finish = r.choice(["Enter", "Tab"])
    box = w.page.get_by_label("Seed", exact=True).first
    if not box.count() or not box.is_visible():
        return f"{text!r} skipped: not shown"
    box.fill(text)
    box.press(finish)
    return f"{text!r} + {finish}"


def act_drag(w, r):
    u_handle, u_point, u_other = r.random(), r.random(), r.random()
    where = r.choice(["point", "handle", "off", "anywhere"])
    off = (r.choice([-1, 1]) * r.uniform(1.1, 2.0), r.choice([-1, 1]) * r.uniform(1.1, 2.0))
    anywhere = (r.random(), r.random())
    means = w.data_xy("emlab-means")
    if not means[0]:
        return "skipped: no handles"
    k = int(u_handle * len(means[0]))
    start = w.page_xy(means[0][k], means[1][k])
    left, top, width, height = w.plot_rect()
    if where == "point":
        points = w.data_xy("emlab-points")
        if not points[0]:
            return "skipped: no points"
        i = int(u_point * len(points[0]))
        target = w.page_xy(points[0][i], points[1][i])
    elif where == "handle":
        j = int(u_other * len(means[0]))
        target = w.page_xy(means[0][j], means[1][j])
    elif where == "off":
        target = [left + width * (0.5 + off[0] / 2), top + height * (0.5 + off[1] / 2)]
    else:
        target = [left + width * anywhere[0], top + height * anywhere[1]]
    mouse = w.page.mouse
    mouse.move(*start)
    mouse.down()
    for t in np.linspace(0, 1, 6)[1:]:
        mouse.move(start[0] + t * (target[0] - start[0]), start[1] + t * (target[1] - start[1]))
    mouse.up()
    return f"handle {k + 1} onto {where} ({target[0]:.0f}, {target[1]:.0f})"


def act_click_plot(w, r):
    shift = r.random() < 0.4
    on_point = r.random() < 0.6
    u, v = r.random(), r.random()
    left, top, width, height = w.plot_rect()
    if on_point:
        points = w.data_xy("emlab-points")
        if not points[0]:
            return "skipped: no points"
        i = int(u * len(points[0]))
        target = w.page_xy(points[0][i], points[1][i])
    else:
        target = [left + 4 + (width - 8) * u, top + 4 + (height - 8) * v]
    if shift:
        w.page.keyboard.down("Shift")
    try:
        w.page.mouse.click(*target)
    finally:
        if shift:
            w.page.keyboard.up("Shift")
    return f"{'shift-' if shift else ''}click on {'a point' if on_point else 'the plot'}"


# Each tab, and something its content shows (Tabs are dynamic: only the open one is drawn).
TAB_CONTENT = {
    "Inspect": ("text", re.compile(r"^Hover a point|^Point #\d+")),
    "Restarts": ("button", "Run restarts"),
    "Model selection": ("button", "Compute BIC / AIC"),
    "Data": ("button", "Add points by clicking"),
    "Export": ("button", "Figure (PNG)"),
}
TABS = list(TAB_CONTENT)


def act_tab(w, r):
    title = r.choice(TABS)
    return title if w.open_tab(title) else f"{title} skipped: not shown"


def _in_tab(title, inner):
    """An action on a control inside a tab: the learner opens the tab first."""
    def act(w, r):
        sub = random.Random(r.getrandbits(64))
        if not w.open_tab(title):
            return f"skipped: no {title} tab"
        return inner(w, sub)
    act.__name__ = f"{title}:{getattr(inner, '__name__', 'action')}"
    return act


def act_upload(w, r):
    kind = r.choice(sorted(w.files))
    box = w.page.locator("input[type=file]").first
    if not box.count():
        return f"{kind} skipped: not shown"
    box.set_input_files(w.files[kind])
    return kind


def act_export(w, r):
    name = r.choice(["Figure (PNG)", "Figure (SVG)", "Parameters (JSON)", "Responsibilities (CSV)"])
    button = w.button(name)
    if not button.count() or not button.is_visible():
        return f"{name} skipped: not shown"
    if button.is_disabled():
        return f"{name} skipped: disabled"
    with w.page.expect_download(timeout=180_000) as download:
        button.click()
    size = Path(download.value.path()).stat().st_size
    assert size > 0, f"{name}: an empty download"
    return f"{name}: {size:,} bytes"


def _named(name, act):
    act.__name__ = name
    return act


# Every action kind with its number of copies in one deck (one deck ~ every control once or more).
DECK = [
    (_button("E-step"), 3), (_button("M-step"), 3), (_button("Step"), 3),
    (_named("Play/Pause", lambda w, r: w.click_button(
        "Pause" if w.button("Pause").count() else "Play")), 2),
    (_button("Run to convergence"), 2), (_button("Step back"), 3), (_button("Reset"), 2),
    (_button("Break it"), 1), (_button("Share link"), 1),
    (act_key, 5), (act_slider_k, 2), (act_slider_reg, 2), (act_slider_speed, 1),
    (act_dataset, 3), (act_init, 1), (act_tol, 1),
    (_radio("full", "tied", "diag", "spherical"), 2), (_radio("EM (soft)", "k-means (hard)"), 1),
    (_radio("Soft", "Hard", "Uncertainty"), 1), (act_outliers, 1), (act_seed, 2),
    (act_drag, 4), (act_click_plot, 3), (act_tab, 2),
    (_in_tab("Inspect", _button("Unpin")), 1),
    (_in_tab("Restarts", _named("R", lambda w, r: w.slider("2.0", "30.0", r))), 1),
    (_in_tab("Restarts", _button("Run restarts")), 1),
    (_in_tab("Restarts", _named("pick", lambda w, r: w.select("Restart", r))), 1),
    (_in_tab("Restarts", _button("Load this restart")), 1),
    (_in_tab("Model selection", _named("up to K", lambda w, r: w.slider("2.0", "15.0", r))), 1),
    (_in_tab("Model selection", _button("Compute BIC / AIC")), 1),
    (_in_tab("Model selection", _named("use best K", lambda w, r: w.click_button(
        re.compile(r"^Use (the best K|K = \d+)$")))), 1),
    (_in_tab("Data", _button("Add points by clicking")), 2),
    (_in_tab("Data", _named("upload", act_upload)), 3),
    (_in_tab("Data", _named("x column", lambda w, r: w.select("x column", r))), 1),
    (_in_tab("Data", _named("y column", lambda w, r: w.select("y column", r))), 1),
    (_in_tab("Data", _named("drop invalid", lambda w, r: w.checkbox("Drop rows with"))), 1),
    (_in_tab("Data", _named("standardise", lambda w, r: w.checkbox("Standardise"))), 1),
    (_in_tab("Export", _named("export", act_export)), 2),
]


def actions(seed: int, length: int):
    """The walk's actions: (name, function, the action's own seed); a function of `seed` only."""
    rng = random.Random(seed)
    deck: list = []
    for _ in range(length):
        if not deck:
            deck = [act for act, copies in DECK for _ in range(copies)]
            rng.shuffle(deck)
        act = deck.pop()
        yield act.__name__.removeprefix("act_"), act, rng.getrandbits(64)


def upload_files(folder: Path) -> dict[str, Path]:
    """A small good CSV, an empty file, one column, NaN text and binary bytes."""
    rng = np.random.default_rng(11)
    table = np.round(np.vstack([rng.normal([0, 0], 1, (20, 2)), rng.normal([6, 4], 1, (20, 2))]), 3)
    files = {
        "good": ("good.csv", "a,b,c\n" + "".join(f"{x},{y},{x + y}\n" for x, y in table)),
        "empty": ("empty.csv", ""),
        "one column": ("one column.csv", "a\n1\n2\n3\n4\n"),
        "NaN text": ("nan.csv", "x,y\n1,nan\nNaN,2\n3,inf\n-inf,4\n5,6\n7,8\n9,NaN\n"),
        "binary": ("binary.csv", bytes(range(256)) * 8),
    }
    out = {}
    for kind, (name, content) in files.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        out[kind] = path
    return out


def walk(w: Walk, screenshot, seed: int = SEED, length: int = LENGTH):
    """Take the walk, check the invariants after each action, then check the page still answers;
    on a failure, say how to replay it and save a screenshot of the page."""
    started = time.monotonic()
    skipped = 0
    try:
        w.settle()
        w.check()
        if VERBOSE:
            print(f"{w.runtime}: pings answered: {w.page.evaluate(PING_JS)}", flush=True)
        for n, (name, act, own_seed) in enumerate(actions(seed, length), 1):
            w.log.append(f"{n:3d} {name}")
            t0 = time.monotonic()
            said = act(w, random.Random(own_seed))
            w.log[-1] = f"{n:3d} {name} {said}".rstrip()
            skipped += "skipped" in said
            t1 = time.monotonic()
            w.settle()
            t2 = time.monotonic()
            w.check()
            if VERBOSE:
                print(f"{w.runtime} {w.log[-1]}  [act {t1 - t0:.2f} s, settle {t2 - t1:.2f} s, "
                      f"check {time.monotonic() - t2:.2f} s]", flush=True)
        w.log.append("final: one Step moves the iteration by exactly 1")
        final_step(w)
        w.check()
    except Exception as exc:  # noqa: BLE001 (any failure: say how to replay it)
        what = f"{type(exc).__name__}: {exc}"
        try:
            name = "walk-" + w.runtime.replace(" ", "-")
            what += f"\nscreenshot: {screenshot(w.page, name)}"
        except Exception:  # noqa: BLE001 (a page that cannot be photographed still fails)
            pass
        pytest.fail(w.failure(seed, what), pytrace=False)
    print(f"\n{w.runtime} walk: seed {seed}, {length} actions ({skipped} skipped) in "
          f"{time.monotonic() - started:.0f} s")


def final_step(w: Walk):
    page = w.page
    if w.button("Pause").count():
        w.button("Pause").click()
        w.settle()
    if status(page)["state"] == "collapsed":
        w.button("Reset").click()
        w.settle()
    if status(page)["phase"] == "M":  # Step would finish this iteration, not take a new one
        w.button("M-step").click()
        w.settle()
    before = int(status(page)["iteration"])
    w.button("Step").click()
    wait_status(page, iteration=before + 1, phase="E")
    w.settle()
    assert int(status(page)["iteration"]) == before + 1


def test_actions_replay_from_their_seed():
    """The same seed gives the same actions with the same parameters; another seed does not."""
    names = lambda seed: [(name, own) for name, _, own in actions(seed, 150)]  # noqa: E731
    assert names(7) == names(7) and names(7) != names(8)
    assert {name for name, _ in names(7)} == {act.__name__.removeprefix("act_")
                                              for act, _ in DECK}


def test_walk_panel_serve(guarded_page, panel_server, tmp_path, screenshot):
    """The walk under `panel serve`."""
    w = Walk(guarded_page, "panel serve", upload_files(tmp_path), served=panel_server)
    open_lab(guarded_page, panel_server)
    walk(w, screenshot)


def test_walk_static_site(lab_site, site_page, tmp_path, screenshot):
    """The walk in the static site (Python in the browser)."""
    w = Walk(site_page, "static site", upload_files(tmp_path))
    open_live(site_page, lab_site)
    walk(w, screenshot)
