"""The controls: half-step buttons, Play, settings, the "Break it" preset and keyboard shortcuts.

Owns: the widgets that send actions to the session (e_step, m_step, step, play/pause, run, back,
reset, break_it) and edit its settings (K, reg_covar, covariance type, init, seed, mode, speed, tol),
plus the view toggles (hard/soft/uncertainty, outliers). Owns the Play timer (a Panel periodic
callback that calls ``session.tick()``). Widgets are made from the session's parameters; nothing
here computes EM. Imports panel and param only.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import panel as pn
import param
from bokeh.core.property.validation import without_property_validation
from panel.reactive import ReactiveHTML

from app import narration, runtime
from app.views import icons
from app.views.state import ViewState
from app.views.updates import set_if_changed

# reg_covar on a log scale with a "0" end stop: 0 is the setting that lets a component collapse.
REG_COVAR_EXPONENTS = range(-10, 0)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
REG_COVAR_OPTIONS = {"0": 0.0, **{f"10{str(e).translate(_SUPERSCRIPT)}": 10.0**e
                                  for e in REG_COVAR_EXPONENTS}}


def nearest_reg_option(value: float) -> float:
    """The slider stop closest to ``value`` on the log scale (0 stays 0)."""
    if not value > 0:
        return 0.0
    stops = np.array([v for v in REG_COVAR_OPTIONS.values() if v > 0])
    return float(stops[np.argmin(np.abs(np.log10(stops) - np.log10(value)))])


class KeyboardShortcuts(ReactiveHTML):
    """An invisible element that forwards key presses on the page to Python.

    e: E-step · m: M-step · space: the next half-step · ←: step back · p: play/pause · r: reset.
    A focused control keeps its keys: a form control (input, select, checkbox, a slider's handle,
    the buttons of a radio button group, the file input) all of them, so ← moves a slider and
    does not also step back; a plain button its own space and Enter (one click, not a click and a
    half-step). Plain ReactiveHTML (no external JS), so it works the same under ``panel serve``
    and in Pyodide.
    """

    key = param.String(default="", doc="The last shortcut pressed.")
    presses = param.Integer(default=0, doc="Counts presses, so the same key twice fires twice.")

    _template = '<div id="hook" style="display:none"></div>'

    _scripts = {
        "render": """
          const keymap = {"e": "e", "E": "e", "m": "m", "M": "m", " ": "space",
                        "ArrowLeft": "left", "p": "p", "P": "p", "r": "r", "R": "r"};
          // Roles of the controls that take keys (noUiSlider's handle is a div role="slider").
          const roles = ["slider", "spinbutton", "textbox", "searchbox", "combobox", "listbox",
                         "option", "radio", "radiogroup", "checkbox", "switch", "menu",
                         "menuitem"];
          // The keys the focused element handles itself: "all", "click" (space and Enter) or
          // "none". Bokeh's buttons sit in a .bk-btn-group: alone for a button, several for a
          // radio (or checkbox) button group, which is a form control.
          const own_keys = (el) => {
            if (!el || !el.tagName) return "none";
            const tag = el.tagName.toUpperCase();
            if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
                el.isContentEditable || roles.includes(el.getAttribute("role"))) return "all";
            if (tag !== "BUTTON") return "none";
            const group = el.parentElement;
            const choices = group && group.classList.contains("bk-btn-group")
              ? group.querySelectorAll(":scope > button").length : 1;
            return choices > 1 || el.classList.contains("bk-spin-btn") ? "all" : "click";
          };
          state.handler = (event) => {
            if (event.ctrlKey || event.metaKey || event.altKey) return;
            const own = own_keys(event.composedPath()[0]);
            if (own === "all" || (own === "click" && (event.key === " " || event.key === "Enter")))
              return;
            const key = keymap[event.key];
            if (key === undefined) return;
            event.preventDefault();
            data.key = key;
            data.presses = data.presses + 1;
          };
          document.addEventListener("keydown", state.handler);
        """,
        "remove": """
          if (state.handler) document.removeEventListener("keydown", state.handler);
        """,
    }


SEED_HELP = ("Random seed of the start: the same seed gives the same start. A whole number from 0 "
             "to 2,147,483,647 (beyond either end: that end); an empty box keeps the current seed.")


def seed_or_none(value, low: int, high: int) -> int | None:
    """The seed the box's ``value`` asks for, clamped to [low, high]; None when it names none
    (empty, not a number, NaN)."""
    try:
        number = float(value)  # bool, int, float or numeric text; 2**70 becomes 1.18e21
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    if number <= low:
        return low
    if number >= high:
        return high
    return int(round(number))


class SeedInput(pn.widgets.IntInput):
    """The Seed box. Whatever the page sends (an empty box, a negative or huge number, text)
    arrives as a seed within ``start``..``end`` or as None, never as a value that fails
    validation (IntInput takes only ints; the session's seed takes no None)."""

    def _process_property_change(self, msg):
        if "value" in msg:
            msg = dict(msg, value=seed_or_none(msg["value"], self.start, self.end))
        return super()._process_property_change(msg)


class ActionButton(pn.widgets.Button):
    """A button whose clicks run its ``on_click`` callbacks and nothing else.

    On a click Panel's Button also fires its ``value`` event and syncs ``clicks`` and ``value``
    to the page, though neither is a property of the page's button: two rounds of Panel's
    bookkeeping (all parameters read, the design consulted) that cost more than a half-step's
    arithmetic, in WebAssembly, on every click. Nothing here listens to ``value``.
    """

    @property
    def _synced_params(self):
        return [p for p in super()._synced_params if p not in ("clicks", "value")]

    def _process_event(self, event=None) -> None:
        self.clicks += 1


class DisabledHolder(pn.Column):
    """A one-widget column whose ``disabled`` reaches the widget inside without a page re-layout.

    BokehJS re-renders a button whenever the button's own ``disabled`` changes, and re-lays out the
    whole page with it (both plots measured again: ~20 ms per button in the browser, and the E/M
    buttons swap on every half-step). A container's ``disabled`` reaches the buttons inside as a
    signal that only toggles their DOM attribute. BokehJS does not pass a container's state on at
    the first render, though, so :func:`set_disabled` keeps the state on the button itself until the
    page exists.
    """

    disabled = param.Boolean(default=False, doc="Disables the widget inside (see above).")

    @property
    def _linked_properties(self):
        # Not linked back: only Python sets it (set_disabled), and Panel would otherwise handle
        # this layout's own change as if the page had sent it (a full event round).
        return tuple(p for p in super()._linked_properties if p != "disabled")


def set_disabled(button, holder: DisabledHolder, disabled: bool) -> None:
    """Disable or enable ``button``, which sits in ``holder``, as cheaply as the page allows."""
    if not button._models:  # no page yet: the button's own flag is what BokehJS first renders
        button.disabled = disabled
        return
    if button.disabled:  # the first change on the page: the holder takes over (one re-layout)
        button.disabled = False  # before the holder's change: BokehJS applies them in order
    if holder.disabled == disabled:
        return
    # The holder's page models are set directly and its parameter without events: Panel's round
    # of watchers for this one property (its design consulted, its models updated one by one)
    # cost more than the change itself, twice per half-step.
    with param.parameterized.discard_events(holder):
        holder.disabled = disabled
    for model, _ in holder._models.values():
        model.disabled = disabled


def is_disabled(button, holder: DisabledHolder) -> bool:
    """What the page shows: disabled by its own flag or by the holder's."""
    return bool(button.disabled or holder.disabled)


class Controls(pn.viewable.Viewer):
    """Buttons and settings of the lab, wired to a session."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)
    hidden = param.Parameter(default=frozenset(), doc="Parts a lesson link hides "
                             "(app.urlstate.HIDEABLE): 'model', 'breakit', 'kmeans', 'keys'.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.session
        button = dict(sizing_mode="stretch_width", height=44, stylesheets=[_BUTTON_CSS])
        self.e_button = ActionButton(label="E-step", color="primary",
                                     description="Compute every point's responsibilities (key e)",
                                     **button)
        self.m_button = ActionButton(label="M-step", color="primary",
                                     description="Re-estimate weights, means, covariances (key m)",
                                     **button)
        # Symbols are inline SVG icons (app.views.icons), never font glyphs: ⏸ was an empty box.
        icon = dict(icon_size="1.1em")
        self.step_button = ActionButton(label="Step", color="default", icon=icons.STEP,
                                        description="One whole iteration: E then M",
                                        **icon, **button)
        self.play_button = pn.widgets.Toggle(label="Play", color="success", icon=icons.PLAY,
                                             **icon, **button)
        self.run_button = ActionButton(label="Run to convergence", color="default",
                                       icon=icons.RUN, **icon, **button)
        self.back_button = ActionButton(label="Step back", color="default",
                                        icon=icons.STEP_BACK,
                                        description="Undo one half-step (key ←)",
                                        **icon, **button)
        self.reset_button = ActionButton(label="Reset", color="default",
                                         description="Start again from init and seed (key r)",
                                         **button)
        # The E/M buttons swap on every half-step: their state goes through holders (see above).
        self.e_holder = DisabledHolder(self.e_button, sizing_mode="stretch_width", margin=0)
        self.m_holder = DisabledHolder(self.m_button, sizing_mode="stretch_width", margin=0)
        self.break_button = ActionButton(
            label="Break it", color="danger", sizing_mode="stretch_width", height=44,
            stylesheets=[_BUTTON_CSS],
            description="Collapse demo: the variance floor ε set to 0, a mean on an isolated point",
        )
        self.e_button.on_click(self._on_e)
        self.m_button.on_click(self._on_m)
        self.step_button.on_click(self._on_step)
        self.run_button.on_click(self._on_run)
        self.back_button.on_click(self._on_back)
        self.reset_button.on_click(self._on_reset)
        self.break_button.on_click(self._on_break)
        self.play_button.param.watch(self._on_play_toggle, "value")

        self.speed = pn.widgets.FloatSlider.from_param(
            s.param.speed, label="Speed (half-steps per second)", step=0.5,
            sizing_mode="stretch_width")
        self.tol = pn.widgets.Select(
            label="Convergence tol (mean log-likelihood change)",
            options={"10⁻²": 1e-2, "10⁻³": 1e-3, "10⁻⁴": 1e-4, "10⁻⁵": 1e-5, "10⁻⁶": 1e-6},
            value=nearest_tol(s.tol), sizing_mode="stretch_width")
        self.tol.param.watch(lambda e: setattr(self.session, "tol", e.new), "value")
        self.k_slider = pn.widgets.IntSlider.from_param(
            s.param.n_components, label="Components K", sizing_mode="stretch_width")
        self.reg_slider = pn.widgets.DiscreteSlider(
            label="Variance floor ε (added to every variance)",
            options=REG_COVAR_OPTIONS,
            value=nearest_reg_option(s.reg_covar), sizing_mode="stretch_width")
        self.reg_slider.param.watch(self._on_reg_slider, "value")
        self.covariance = pn.widgets.RadioButtonGroup.from_param(
            s.param.covariance_type, label="Covariance", color="light",
            sizing_mode="stretch_width")
        # Learners read the inits' names, not their code names (random_from_data).
        self.init = pn.widgets.Select.from_param(
            s.param.init, label="Init", sizing_mode="stretch_width",
            options={narration.INIT_NAMES.get(name, name): name for name in s.param.init.objects})
        low, high = s.param.seed.bounds
        self.seed = SeedInput(label="Seed", value=s.seed, start=low, end=high,
                              description=SEED_HELP, sizing_mode="stretch_width")
        self.seed.param.watch(self._on_seed, "value")
        self.mode = pn.widgets.RadioButtonGroup(
            label="Mode", options={"EM (soft)": "em", "k-means (hard)": "kmeans"}, value=s.mode,
            color="light", sizing_mode="stretch_width")
        self.mode.param.watch(lambda e: setattr(self.session, "mode", e.new), "value")
        self.coloring = pn.widgets.RadioButtonGroup(
            label="Colour points by",
            options={"Soft": "soft", "Hard": "hard", "Uncertainty": "uncertainty"},
            value=self.view_state.coloring, color="light", sizing_mode="stretch_width")
        self.coloring.param.watch(lambda e: setattr(self.view_state, "coloring", e.new), "value")
        self.outliers = pn.widgets.Checkbox.from_param(
            self.view_state.param.show_outliers,
            label="Flag outliers (outside every component's 99.7% ellipse)",
            stylesheets=[CHECKBOX_CSS])
        self.keys = KeyboardShortcuts(width=0, height=0, margin=0)
        self.keys.param.watch(self._on_key, "presses")

        self._timer = None
        s.param.watch(self._on_session, ["version"])
        self._on_session()

    # ------------------------------------------------------------------------------ layout

    def __panel__(self):
        heading = lambda text: pn.pane.HTML(f'<div class="emlab-heading">{text}</div>',  # noqa: E731
                                            margin=(8, 10, 0, 10), stylesheets=[_HEADING_CSS])
        label = lambda text: pn.pane.HTML(f'<div class="emlab-label">{text}</div>',  # noqa: E731
                                          margin=(4, 10, 0, 10), stylesheets=[_HEADING_CSS])
        shown = lambda part: part not in self.hidden  # noqa: E731
        stepping = [
            heading("EM, one half-step at a time"),
            pn.Row(self.e_holder, self.m_holder, sizing_mode="stretch_width"),
            pn.Row(self.step_button, self.play_button, sizing_mode="stretch_width"),
            pn.Row(self.back_button, self.reset_button, sizing_mode="stretch_width"),
            self.run_button,
            self.speed,
        ]
        if shown("keys"):
            stepping.append(pn.pane.HTML(
                '<div class="emlab-keys">Keys: <kbd>e</kbd> E-step · <kbd>m</kbd> M-step · '
                '<kbd>space</kbd> next half-step · <kbd>←</kbd> back · <kbd>p</kbd> play · '
                '<kbd>r</kbd> reset</div>', stylesheets=[_HEADING_CSS], margin=(0, 10)))
        model = []
        if shown("model"):
            model += [self.k_slider, self.reg_slider]
        if shown("breakit"):
            model.append(self.break_button)
        if shown("model"):
            model += [label("Covariance type"), self.covariance]
        if shown("kmeans"):
            model += [label("Algorithm"), self.mode]
        if shown("model"):
            model += [pn.Row(self.init, self.seed, sizing_mode="stretch_width"), self.tol]
        view = [heading("View"), self.coloring, self.outliers]
        if shown("keys"):
            view.append(self.keys)
        return pn.Column(*stepping, *([heading("Model"), *model] if model else []), *view,
                         sizing_mode="stretch_width")

    # ------------------------------------------------------------------------------ session -> widgets

    # Bokeh validates every property set, a third of a redraw in the browser; the values set here
    # are built by this module (and checked by its tests), so the redraw skips that.
    @without_property_validation
    def _on_session(self, *events):
        s = self.session
        # While Play runs, both half-step buttons stay disabled (Pause first).
        set_disabled(self.e_button, self.e_holder, s.playing or not s.can_e_step)
        set_disabled(self.m_button, self.m_holder, s.playing or not s.can_m_step)
        blocked = bool(s.collapse)
        run_disabled = blocked or (s.converged and s.phase == "E")
        for button, disabled in ((self.step_button, blocked), (self.run_button, run_disabled),
                                 (self.play_button, not s.playing and run_disabled),
                                 (self.back_button, len(s.history) <= 1)):
            set_if_changed(button, disabled=disabled)
        set_if_changed(self.play_button, value=s.playing)
        label, icon = ("Pause", icons.PAUSE) if s.playing else ("Play", icons.PLAY)
        set_if_changed(self.play_button, label=label, icon=icon)
        set_if_changed(self.mode, value=s.mode)
        set_if_changed(self.seed, value=s.seed)
        set_if_changed(self.reg_slider, value=nearest_reg_option(s.reg_covar))
        if s.playing:
            self._start_timer()
        else:
            self._stop_timer()

    # ------------------------------------------------------------------------------ actions

    def _on_e(self, event=None):
        self.session.e_step()

    def _on_m(self, event=None):
        self.session.m_step()

    def _on_step(self, event=None):
        self.session.step()

    def _on_run(self, event=None):
        self.session.run()

    def _on_back(self, event=None):
        self.session.back()

    def _on_reset(self, event=None):
        self.session.reset()

    def _on_break(self, event=None):
        self.session.break_it()

    def _on_next_half_step(self):
        s = self.session
        if s.can_e_step:
            s.e_step()
        elif s.can_m_step:
            s.m_step()
        else:
            s.e_step()  # refused: the session explains why in its message

    def _on_play_toggle(self, event):
        s = self.session
        if event.new and not s.playing:
            if not s.play():
                self.play_button.value = False
        elif not event.new and s.playing:
            s.pause()

    def _on_seed(self, event):
        if event.new is None:  # an empty (or unreadable) box keeps the seed: show it again
            self.seed.value = self.session.seed
        elif event.new != self.session.seed:
            self.session.seed = event.new

    def _on_reg_slider(self, event):
        # The slider only has stops; keep the session's exact value when it maps to the same stop.
        if nearest_reg_option(self.session.reg_covar) != event.new:
            self.session.reg_covar = event.new

    def _on_key(self, event):
        action = {
            "e": self._on_e, "m": self._on_m, "space": self._on_next_half_step,
            "left": self._on_back, "r": self._on_reset,
            "p": lambda: (self.session.pause() if self.session.playing else self.session.play()),
        }.get(self.keys.key)
        if action is not None:
            action()

    # ------------------------------------------------------------------------------ Play timer

    def _period_ms(self):
        return int(max(30, 1000.0 / self.session.speed))

    def _start_timer(self):
        if runtime.IN_BROWSER:
            # Pyodide 0.27's event loop logs a CancelledError traceback for every cancelled
            # task, and Panel's periodic callback stops (and changes period) by cancelling one.
            # So in the browser Play is a loop of our own that ends by itself when Play stops.
            if self._timer is None or self._timer.done():
                self._timer = asyncio.ensure_future(self._play_loop())
        elif self._timer is None:
            self._timer = pn.state.add_periodic_callback(self._on_tick, period=self._period_ms())
            self.session.param.watch(self._on_speed, ["speed"])
        elif not self._timer.running:
            self._timer.period = self._period_ms()
            self._timer.start()

    def _stop_timer(self):
        # The browser's loop sees Play stopped at its next turn and ends.
        if not runtime.IN_BROWSER and self._timer is not None and self._timer.running:
            self._timer.stop()

    def _on_speed(self, event):
        if self._timer is not None:
            self._timer.period = self._period_ms()

    async def _play_loop(self):
        while self.session.playing:
            started = time.monotonic()
            self._on_tick()
            await asyncio.sleep(max(0.0, self._period_ms() / 1000 - (time.monotonic() - started)))

    def _on_tick(self):
        # One half-step ahead of the page at most: while the last one still waits for the page
        # (the browser drawing a large data set), a tick passes. Every half-step is then shown,
        # so E and M alternate on screen, and the page gets the CPU that further half-steps it
        # would never paint took.
        if runtime.page_is_behind():
            return
        self.session.tick()


def nearest_tol(value: float) -> float:
    """The tol choice closest to ``value`` on the log scale."""
    stops = np.array([1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
    if not value > 0:
        return 1e-6
    return float(stops[np.argmin(np.abs(np.log10(stops) - np.log10(value)))])


# A checkbox's words toggle it too (static/page-tweaks.js), so they look clickable.
CHECKBOX_CSS = ".bk-label { cursor: pointer; }"

_BUTTON_CSS = """
:host .bk-btn { font-size: 16px; font-weight: 600; }
:host .bk-btn:disabled { opacity: 0.35; filter: grayscale(60%); cursor: not-allowed; }
"""
_HEADING_CSS = """
.emlab-heading { font-size: 13px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
                 color: #4a4a5a; border-bottom: 1px solid #e1e1ea; padding-bottom: 4px; }
.emlab-keys { font-size: 12px; color: #666; }
.emlab-keys kbd { border: 1px solid #ccc; border-radius: 3px; padding: 0 4px; background: #f6f6f8; }
.emlab-label { font-size: 13px; color: #333; }
"""
