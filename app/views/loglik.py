"""The live log-likelihood plot and the status line (iteration, next half-step, current values).

Owns: a Bokeh figure built once (one marker per half-step: E-steps as circles, M-steps as
triangles, the start as a square; the log-likelihood line; the ELBO as a dashed line; a marker where
EM converged) and an HTML status line whose numbers are also in data-* attributes, so tests and the
Pyodide build can read them. Reads ``session.trace()``; sends nothing back. Imports bokeh, panel,
param, numpy only.
"""

from __future__ import annotations

import html
import math

import numpy as np
import panel as pn
import param
from bokeh.core.properties import value as bokeh_value
from bokeh.core.property.validation import without_property_validation
from bokeh.models import ColumnDataSource, Legend, LegendItem, Range1d, Span
from bokeh.plotting import figure

from app.views.sources import assign_if_changed


def format_number(value, digits=4) -> str:
    """A number for the screen: never "nan" or "inf" (those read as "—" or "+∞"/"−∞")."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value:,.{digits}f}".replace("-", "−")


def padded_range(values, pad=0.06, flat=1e-3) -> tuple[float, float]:
    """(start, end) around the finite ``values``, ``pad`` of their span beyond each end; a flat
    series gets ``flat`` (relative to its size, at least ``flat`` itself) either side; none, (0, 1)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = pad * (high - low)
    if margin <= flat * max(1.0, abs(high)) * 1e-6:
        margin = flat * max(1.0, abs(high))
    return low - margin, high + margin


def set_range(axis_range, start_end) -> None:
    """Move ``axis_range`` to ``start_end`` unless it is there already (no patch for nothing)."""
    start, end = start_end
    if (axis_range.start, axis_range.end) != (start, end):
        axis_range.update(start=start, end=end)


def _draw_trace(fig, curve, start_point, e_points, m_points, converged_point):
    """The trace's glyphs: log-likelihood and ELBO lines, start/E/M markers, the converged star."""
    return (
        fig.line("step", "value", source=curve, line_color="#333344", line_width=2),
        fig.line("step", "lower_bound", source=curve, line_color="#0072B2", line_width=2,
                 line_dash="dashed"),
        fig.scatter("step", "value", source=start_point, marker="square", size=9,
                    fill_color="white", line_color="#333344", line_width=2),
        fig.scatter("step", "value", source=e_points, marker="circle", size=9,
                    fill_color="#E69F00", line_color="#333344"),
        fig.scatter("step", "value", source=m_points, marker="triangle", size=11,
                    fill_color="#009E73", line_color="#333344"),
        fig.scatter("step", "value", source=converged_point, marker="star", size=22,
                    fill_color="#F0E442", line_color="#111111", line_width=1.5),
    )


class LogLikelihoodPlot(pn.viewable.Viewer):
    """One point per half-step, the ELBO beside it, convergence marked; plus a status line."""

    session = param.Parameter(doc="The EM session (app.session.Session).")

    def __init__(self, **params):
        super().__init__(**params)
        empty = dict(step=[], value=[], iteration=[])
        # Named so browser tests can find them in the page's Bokeh document.
        self.e_points = ColumnDataSource(dict(empty), name="emlab-trace-e")
        self.m_points = ColumnDataSource(dict(empty), name="emlab-trace-m")
        self.start_point = ColumnDataSource(dict(empty), name="emlab-trace-start")
        self.curve = ColumnDataSource(dict(step=[], value=[], lower_bound=[]),
                                      name="emlab-trace-curve")
        self.converged_point = ColumnDataSource(dict(step=[], value=[]),
                                                name="emlab-trace-converged")
        self.figure = self._build_figure()
        self._quantity = None  # what the y axis and legend were last labelled for
        self.status = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_STATUS_CSS],
                                   margin=(4, 10))
        self.session.param.watch(self._on_session, ["version"])
        self.refresh()

    def _build_figure(self):
        # Ranges set from Python with the data (see refresh): left to BokehJS, they would follow
        # the growing trace by themselves, and the browser would send each new start and end
        # back to Python: two more round trips per half-step.
        fig = figure(name="emlab-trace-plot", height=260, sizing_mode="stretch_width",
                     x_range=Range1d(0, 1), y_range=Range1d(0, 1),
                     tools="pan,wheel_zoom,reset",
                     toolbar_location=None, x_axis_label="half-step",
                     y_axis_label="log-likelihood per point", background_fill_color="#fbfbfd")
        fig.grid.grid_line_color = "#e6e6ee"
        fig.outline_line_color = "#d0d0da"
        _draw_trace(fig, self.curve, self.start_point, self.e_points, self.m_points,
                    self.converged_point)
        # The legend's entries point at a copy of every glyph drawn from one empty source that
        # never changes: BokehJS re-renders a legend (its DOM, one canvas per entry) whenever
        # anything its renderers reference changes, and the real sources change every half-step.
        still = ColumnDataSource(dict(step=[], value=[], lower_bound=[]))
        ll, elbo, start, e, m, done = _draw_trace(fig, *[still] * 5)
        self._converged_span = Span(location=0, dimension="height", line_color="#888899",
                                    line_dash="dotted", line_width=1.5, visible=False)
        fig.add_layout(self._converged_span)
        legend = Legend(items=[
            LegendItem(label="log-likelihood", renderers=[ll]),
            LegendItem(label="ELBO (lower bound)", renderers=[elbo]),
            LegendItem(label="start", renderers=[start]),
            LegendItem(label="after E-step", renderers=[e]),
            LegendItem(label="after M-step", renderers=[m]),
            LegendItem(label="converged", renderers=[done]),
        ], location="bottom_right", label_text_font_size="11px", background_fill_alpha=0.8,
            spacing=0, padding=4, glyph_height=14, label_height=14)
        fig.add_layout(legend)
        self._legend = legend
        return fig

    def __panel__(self):
        return pn.Column(self.status, pn.pane.Bokeh(self.figure, sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")

    # Bokeh validates every property set, a third of a redraw in the browser; the values set here
    # are built by this module (and checked by its tests), so the redraw skips that.
    @without_property_validation
    def _on_session(self, *events):
        self.refresh()

    def refresh(self):
        s = self.session
        trace = s.trace()
        step = np.asarray(trace["step"], dtype=float)
        value = np.asarray(trace["value"], dtype=float)
        lower = np.asarray(trace["lower_bound"], dtype=float)
        kind = np.asarray(trace["kind"])
        iteration = np.asarray(trace["iteration"])
        # The session promises finite numbers; a view must still never paint NaN/inf.
        ok = np.isfinite(value) & np.isfinite(lower)
        step, value, lower, kind, iteration = step[ok], value[ok], lower[ok], kind[ok], iteration[ok]
        converged = np.asarray(trace["converged"], dtype=bool)[ok]

        def pick(mask):
            return dict(step=step[mask], value=value[mask], iteration=iteration[mask])

        assign_if_changed(self.curve, dict(step=step, value=value, lower_bound=lower))
        assign_if_changed(self.start_point, pick(kind == "init"))
        assign_if_changed(self.e_points, pick(kind == "E"))
        assign_if_changed(self.m_points, pick(kind == "M"))
        set_range(self.figure.x_range, padded_range(step, pad=0.03, flat=0.5))
        set_range(self.figure.y_range, padded_range(np.concatenate([value, lower])))
        first = np.flatnonzero(converged)
        if first.size:
            assign_if_changed(self.converged_point,
                              dict(step=step[first[:1]], value=value[first[:1]]))
            self._converged_span.location = float(step[first[0]])
            self._converged_span.visible = True
        else:
            assign_if_changed(self.converged_point, dict(step=np.zeros(0), value=np.zeros(0)))
            self._converged_span.visible = False
        quantity = trace.get("quantity", "log-likelihood per point")
        if quantity != self._quantity:  # EM <-> k-means (setting Bokeh properties is not free)
            self._quantity = quantity
            kmeans = s.mode == "kmeans"
            self.figure.yaxis.axis_label = quantity
            # A plain string assigned after construction would be read as a column name.
            self._legend.items[0].label = bokeh_value("inertia" if kmeans else "log-likelihood")
            self._legend.items[1].visible = not kmeans
            # EM climbs and k-means descends: keep the legend in the corner the curve leaves empty.
            self._legend.location = "top_right" if kmeans else "bottom_right"
        self.status.object = self.status_html()

    def status_html(self) -> str:
        """The status line: iteration, next half-step, log-likelihood (total and per point), ELBO."""
        s = self.session
        n = max(len(s.X), 1)
        ll = s.current_log_likelihood()
        elbo = s.current_lower_bound()
        if s.collapse:
            state, state_class = "collapsed", "bad"
        elif s.converged:
            state, state_class = "converged", "good"
        elif s.playing:
            state, state_class = "playing", "busy"
        else:
            state, state_class = "", ""
        next_step = "E-step" if s.phase == "E" else "M-step"
        inertia = s.current_inertia() if s.mode == "kmeans" else None
        cells = [
            ("Iteration", str(s.iteration), "iteration"),
            ("Next", next_step, "next"),
            ("Log-likelihood", format_number(ll, 2), "loglik"),
            ("per point", format_number(ll / n, 4), "loglik-per-point"),
        ]
        if s.mode == "kmeans":
            cells.append(("Inertia", format_number(inertia, 2), "inertia"))
        else:
            cells.append(("ELBO", format_number(elbo, 2), "elbo"))
        body = "".join(
            f'<div class="cell" data-field="{key}"><span class="label">{html.escape(label)}</span>'
            f'<span class="value">{html.escape(value)}</span></div>'
            for label, value, key in cells
        )
        badge = f'<span class="badge {state_class}">{state}</span>' if state else ""
        attrs = (f'data-iteration="{s.iteration}" data-phase="{s.phase}" '
                 f'data-loglik="{format_number(ll, 6)}" data-state="{state or "running"}"')
        return f'<div class="emlab-status" {attrs}>{body}{badge}</div>'


_STATUS_CSS = """
.emlab-status { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px;
                font-variant-numeric: tabular-nums; }
.emlab-status .cell { display: flex; flex-direction: column; }
.emlab-status .label { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #666; }
.emlab-status .value { font-size: 20px; font-weight: 600; color: #1d1d2b; }
.emlab-status .badge { font-size: 13px; font-weight: 700; padding: 2px 10px; border-radius: 12px;
                       align-self: center; }
.emlab-status .badge.good { background: #d9f2e6; color: #0a6640; }
.emlab-status .badge.bad { background: #fde0e0; color: #a00000; }
.emlab-status .badge.busy { background: #e3eefc; color: #134a8e; }
"""
