"""Explorers that run many fits: the n_init restarts explorer and BIC/AIC model selection.

Owns: two views with a button that asks the session for the expensive computation
(``run_restarts``, ``compute_model_selection``) and a Bokeh figure, built once, that shows the result:
a strip of final log-likelihoods (one dot per restart, one colour per distinct local optimum, a
click or the picker loads that restart; a dashed line marks where the current fit stands) and
BIC/AIC against K with the best K marked. The fits run after the button's spinner has reached the
page (app.runtime.after_this_update). Imports bokeh, panel, param, numpy, app.runtime and
app.narration (its words).
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.models import (ColumnDataSource, HoverTool, Label, Legend, LegendItem, Range1d, Span,
                          TapTool)
from bokeh.plotting import figure

from app import narration, runtime
from app.views.loglik import format_number, padded_range

OPTIMUM_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")


def group_optima(values, tol=1e-4):
    """Label sorted-by-value groups of per-point final values that agree to ``tol`` (relative).

    Returns an int array, 0 for the best group (the highest value), 1 for the next, ...
    """
    values = np.asarray(values, dtype=float)
    order = np.argsort(-values)
    labels = np.empty(len(values), dtype=int)
    group, last = -1, None
    for i in order:
        if last is None or abs(values[i] - last) > tol * max(1.0, abs(values[i])):
            group += 1
        labels[i] = group
        last = values[i]
    return labels


def fit_standing(value, optima, same=1e-4):
    """Where ``value`` stands among ``optima`` (higher is better; sorted best first).

    Returns ``(kind, j)``: ("same", j) within ``same`` of optimum j; ("between", j) between
    optima j and j + 1; ("above", None) better than all; ("below", None) worse than all.
    """
    optima = np.asarray(optima, dtype=float)
    close = np.flatnonzero(np.abs(optima - value) <= same)
    if close.size:
        return "same", int(close[np.argmin(np.abs(optima[close] - value))])
    if value > optima[0]:
        return "above", None
    if value < optima[-1]:
        return "below", None
    return "between", int(np.flatnonzero(optima > value)[-1])


class RestartsExplorer(pn.viewable.Viewer):
    """Run EM from R seeds; see how many distinct local optima they reach; load any one."""

    session = param.Parameter(doc="The EM session (app.session.Session).")

    def __init__(self, **params):
        super().__init__(**params)
        self.n_restarts = pn.widgets.IntSlider(label="Restarts R", start=2, end=30, value=10,
                                               sizing_mode="stretch_width")
        self.run_button = pn.widgets.Button(label="Run restarts", color="primary",
                                            sizing_mode="stretch_width", height=40)
        self.run_button.on_click(self._on_run)
        self.picker = pn.widgets.Select(label="Restart", options={}, sizing_mode="stretch_width")
        self.load_button = pn.widgets.Button(label="Load this restart", color="default",
                                             sizing_mode="stretch_width", disabled=True)
        self.load_button.on_click(self._on_load)
        self.summary = pn.pane.Markdown("Run EM from several seeds and compare where they end.",
                                        sizing_mode="stretch_width", margin=(0, 10))
        self.standing = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10),
                                         visible=False, css_classes=["emlab-restarts-standing"])
        self.source = ColumnDataSource(dict(value=[], jitter=[], seed=[], index=[], number=[],
                                            color=[], optimum=[], iterations=[]),
                                       name="emlab-restarts")
        self.figure = self._build_figure()
        self.source.selected.on_change("indices", self._on_dot_selected)
        self.session.param.watch(self._on_session, ["version"])
        self._shown = None
        self._optima = None  # the value of each distinct optimum, best first
        self._on_session()

    def _build_figure(self):
        fig = figure(height=170, sizing_mode="stretch_width", tools="tap", toolbar_location=None,
                     x_axis_label="final log-likelihood per point", y_range=(-1, 1),
                     x_range=Range1d(-1, 0),
                     background_fill_color="#fbfbfd")
        fig.yaxis.visible = False
        fig.ygrid.visible = False
        dots = fig.scatter("value", "jitter", source=self.source, size=14, fill_color="color",
                           line_color="#222222", fill_alpha=0.85,
                           selection_line_width=3, nonselection_fill_alpha=0.35)
        fig.add_tools(HoverTool(renderers=[dots], tooltips=[
            ("restart", "#@number"), ("seed", "@seed"), ("final", "@value{0.0000}"),
            ("optimum", "@optimum"), ("iterations", "@iterations")]))
        fig.select_one(TapTool).renderers = [dots]
        # Where the current fit stands (after a drag into a poor optimum, say): a dashed line.
        self.current = Span(location=0, dimension="height", line_color="#111111", line_width=2.5,
                            line_dash="dashed", visible=False, name="emlab-restarts-current")
        self.current_label = Label(x=0, y=0.95, text="your fit", text_font_size="12px",
                                   text_font_style="bold", text_color="#111111",
                                   text_baseline="top", x_offset=5, visible=False,
                                   background_fill_color="white", background_fill_alpha=0.8)
        fig.add_layout(self.current)
        fig.add_layout(self.current_label)
        return fig

    def __panel__(self):
        return pn.Column(
            pn.Row(self.n_restarts, self.run_button, sizing_mode="stretch_width"),
            self.summary,
            self.standing,
            pn.pane.Bokeh(self.figure, sizing_mode="stretch_width"),
            self.picker,
            self.load_button,
            sizing_mode="stretch_width",
        )

    def _on_run(self, event=None):
        self.run_button.loading = True  # shown while the fits run (seconds in the browser)
        runtime.after_this_update(self._run_restarts)

    def _run_restarts(self):
        try:
            self.session.run_restarts(self.n_restarts.value)
        finally:
            self.run_button.loading = False

    def _on_load(self, event=None):
        if self.picker.value is not None:
            self.session.load_restart(int(self.picker.value))

    def _on_dot_selected(self, attr, old, new):
        if new:
            self.picker.value = int(self.source.data["index"][new[0]])

    def _values(self, restarts):
        s = self.session
        n = max(len(s.X), 1)
        if s.mode == "kmeans":
            # lower inertia is better: plot its negative per point so "right is better" holds too
            return np.array([-(r.inertia if r.inertia is not None else np.nan) / n for r in restarts])
        return np.array([r.log_likelihood / n for r in restarts])

    def _on_session(self, *events):
        restarts = self.session.restarts
        if restarts is not self._shown:
            self._shown = restarts
            self._draw_restarts(restarts)
        self._draw_current()

    def _current_value(self):
        """The current fit on the strip's scale (per point, right is better); None if none."""
        s = self.session
        n = max(len(s.X), 1)
        if s.mode == "kmeans":
            inertia = s.current_inertia()
            return None if inertia is None else -float(inertia) / n
        return s.current_log_likelihood() / n

    def _draw_current(self):
        """The dashed line and the sentence that place the current fit among the optima."""
        value = self._current_value() if self._optima is not None else None
        if value is None or not np.isfinite(value):
            self.current.visible = self.current_label.visible = self.standing.visible = False
            return
        s = self.session
        same = max(1e-4 * max(1.0, abs(value)), 0.0 if s.mode == "kmeans" else 10 * s.tol)
        kind, j = fit_standing(value, self._optima, same=same)
        self.standing.object = narration.restart_standing(
            value, kind, j, len(self._optima), s.converged, collapsed=bool(s.collapse))
        self.standing.visible = True
        low, high = min(self._optima.min(), value), max(self._optima.max(), value)
        half = max(0.05, 0.6 * (high - low))
        middle = 0.5 * (low + high)
        self.figure.x_range.update(start=middle - half, end=middle + half)
        right = value > middle + 0.5 * half  # the label reads inward, away from the edge
        self.current.update(location=value, visible=True)
        self.current_label.update(x=value, visible=True, text_align="right" if right else "left",
                                  x_offset=-5 if right else 5)

    def _draw_restarts(self, restarts):
        if not restarts:
            self._optima = None
            self.source.data = {k: [] for k in self.source.data}
            self.picker.options = {}
            self.load_button.disabled = True
            return
        values = self._values(restarts)
        values = np.where(np.isfinite(values), values, np.nanmin(np.where(np.isfinite(values),
                                                                          values, np.inf)))
        optimum = group_optima(values)
        rng = np.random.default_rng(0)  # fixed jitter: the strip must not dance between redraws
        self.source.data = dict(
            value=values, jitter=rng.uniform(-0.6, 0.6, len(values)),
            seed=[r.seed for r in restarts], index=list(range(len(restarts))),
            number=list(range(1, len(restarts) + 1)),
            color=[OPTIMUM_COLORS[o % len(OPTIMUM_COLORS)] for o in optimum],
            optimum=[int(o) + 1 for o in optimum], iterations=[r.n_iter for r in restarts],
        )
        # The best value of each optimum, best first. The axis (set by _draw_current, which also
        # takes in the current fit) is at least 0.1 per point wide: restarts that agree to 1e-6
        # must read as one optimum, not spread over an axis of 1e-6 ticks.
        self._optima = np.array([values[optimum == o].max() for o in range(optimum.max() + 1)])
        kmeans = self.session.mode == "kmeans"
        self.figure.xaxis.axis_label = ("− final inertia per point" if kmeans
                                        else "final log-likelihood per point")
        n_optima = int(optimum.max()) + 1
        best = int(np.argmax(values))
        self.picker.options = {
            f"#{i + 1} · seed {r.seed} · {format_number(v, 4)}"
            + (" · best" if i == best else "")
            + (" · collapsed" if r.collapsed else ""): i
            for i, (r, v) in enumerate(zip(restarts, values))
        }
        self.picker.value = best
        self.load_button.disabled = False
        self.summary.object = (
            f"**{len(restarts)} restarts ended in {n_optima} distinct "
            f"{'optimum' if n_optima == 1 else 'optima'}.** Dots further right are better; one "
            "colour per optimum. EM only climbs, so where it starts decides which hill it ends on. "
            "Click a dot (or pick one below) and load it to replay its whole path."
        )


class ModelSelection(pn.viewable.Viewer):
    """BIC and AIC against K (computed on demand), the best K marked, one click to use it."""

    session = param.Parameter(doc="The EM session (app.session.Session).")

    def __init__(self, **params):
        super().__init__(**params)
        self.k_max = pn.widgets.IntSlider(label="Up to K", start=2, end=15, value=10,
                                          sizing_mode="stretch_width")
        self.compute_button = pn.widgets.Button(label="Compute BIC / AIC", color="primary",
                                                sizing_mode="stretch_width", height=40)
        self.compute_button.on_click(self._on_compute)
        self.use_button = pn.widgets.Button(label="Use the best K", sizing_mode="stretch_width",
                                            disabled=True)
        self.use_button.on_click(self._on_use)
        self.summary = pn.pane.Markdown(
            "BIC and AIC trade fit (log-likelihood) against the number of parameters; lower is "
            "better. Each K is fitted to convergence with the current settings.",
            sizing_mode="stretch_width", margin=(0, 10))
        self.source = ColumnDataSource(dict(k=[], bic=[], aic=[]), name="emlab-bic")
        self.best = ColumnDataSource(dict(k=[], bic=[], label=[]), name="emlab-bic-best")
        self.figure = self._build_figure()
        self.session.param.watch(self._on_session, ["version"])
        self._shown = None
        self._on_session()

    def _build_figure(self):
        # Explicit ranges, set with the data: BokehJS's data ranges over the empty sources (before
        # a computation, and after a change of settings clears it) have no bounds and warn
        # "could not set initial ranges".
        fig = figure(height=230, sizing_mode="stretch_width", toolbar_location=None,
                     x_axis_label="K (components)", y_axis_label="criterion (lower is better)",
                     x_range=Range1d(0.5, self.k_max.value + 0.5), y_range=Range1d(0, 1),
                     background_fill_color="#fbfbfd", tools="")
        bic = fig.line("k", "bic", source=self.source, line_width=2.5, line_color="#0072B2")
        fig.scatter("k", "bic", source=self.source, size=8, fill_color="#0072B2",
                    line_color="white")
        aic = fig.line("k", "aic", source=self.source, line_width=2.5, line_color="#D55E00",
                       line_dash="dashed")
        fig.scatter("k", "aic", source=self.source, size=8, marker="square",
                    fill_color="#D55E00", line_color="white")
        star = fig.scatter("k", "bic", source=self.best, marker="star", size=24,
                           fill_color="#F0E442", line_color="#111111", line_width=1.5)
        fig.text("k", "bic", text="label", source=self.best, y_offset=-16, text_align="center",
                 text_font_size="12px", text_font_style="bold")
        fig.add_layout(Legend(items=[LegendItem(label="BIC", renderers=[bic]),
                                     LegendItem(label="AIC", renderers=[aic]),
                                     LegendItem(label="best K (BIC)", renderers=[star])],
                              location="top_right", label_text_font_size="11px"))
        fig.xaxis.ticker.desired_num_ticks = 10
        return fig

    def __panel__(self):
        return pn.Column(
            pn.Row(self.k_max, self.compute_button, sizing_mode="stretch_width"),
            self.summary,
            pn.pane.Bokeh(self.figure, sizing_mode="stretch_width"),
            self.use_button,
            sizing_mode="stretch_width",
        )

    def _on_compute(self, event=None):
        self.compute_button.loading = True  # shown while the fits run (seconds in the browser)
        runtime.after_this_update(self._compute_model_selection)

    def _compute_model_selection(self):
        try:
            self.session.compute_model_selection(self.k_max.value)
        finally:
            self.compute_button.loading = False

    def _on_use(self, event=None):
        if self.session.best_k is not None:
            self.session.n_components = self.session.best_k

    def _on_session(self, *events):
        rows = self.session.model_selection
        if rows is self._shown:
            return
        self._shown = rows
        rows = [r for r in rows if np.isfinite(r.bic) and np.isfinite(r.aic)]
        self.source.data = dict(k=[r.n_components for r in rows], bic=[r.bic for r in rows],
                                aic=[r.aic for r in rows])
        ks = [r.n_components for r in rows] or [1, self.k_max.value]
        self.figure.x_range.update(start=min(ks) - 0.5, end=max(ks) + 0.5)
        y0, y1 = padded_range([v for r in rows for v in (r.bic, r.aic)], pad=0.1)
        self.figure.y_range.update(start=y0, end=y1)
        best = self.session.best_k
        by_k = {r.n_components: r for r in rows}
        if best in by_k:
            self.best.data = dict(k=[best], bic=[by_k[best].bic], label=[f"K = {best}"])
            aic_best = min(rows, key=lambda r: r.aic).n_components
            self.use_button.label = f"Use K = {best}"
            self.use_button.disabled = False
            self.summary.object = (
                f"**BIC is lowest at K = {best}**" + (
                    f"; AIC prefers K = {aic_best} (its penalty per parameter is smaller)."
                    if aic_best != best else ", and AIC agrees.")
                + " Past the best K, extra components buy too little likelihood for their "
                "parameters."
            )
        else:
            self.best.data = dict(k=[], bic=[], label=[])
            self.use_button.disabled = True
