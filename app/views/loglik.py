"""The live log-likelihood plot and the status line (iteration, next half-step, current values).

Owns: a Bokeh figure built once (one marker per half-step, drawn from the curve's own rows by
their kind: E-steps as circles, M-steps as triangles, the start as a square; the log-likelihood
line; the ELBO as a dashed line; a marker where EM converged; a marker at the bottom edge for the
start's ELBO once it is left off the scale), its legend in HTML below it, and an HTML status line
whose numbers are also in data-* attributes, so tests and the Pyodide build can read them. Reads
``session.trace()``; sends nothing back. Imports bokeh, panel, param, numpy only.
"""

from __future__ import annotations

import html
import math

import numpy as np
import panel as pn
import param
from bokeh.core.property.validation import without_property_validation
from bokeh.models import ColumnDataSource, Line, Range1d, Scatter, Span
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, factor_mark

from app.views.updates import TextUpdates, assign_if_changed, extend_or_assign

# The trace's colours (Okabe-Ito), shared by its glyphs and its legend.
INK, ELBO_BLUE, E_ORANGE, M_GREEN = "#333344", "#0072B2", "#E69F00", "#009E73"
STAR_YELLOW = "#F0E442"


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
    """(start, end) around the finite ``values``, ``pad`` of their span beyond each end.

    A flat series gets ``flat`` (relative to its size, at least ``flat`` itself) either side; an
    empty one (0, 1)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = pad * (high - low)
    if margin <= flat * max(1.0, abs(high)) * 1e-6:
        margin = flat * max(1.0, abs(high))
    return low - margin, high + margin


# The half-step axis grows by this many half-steps (three iterations) at a time: at the start it
# reads 0..6, not a window around the single point, and it rescales every third iteration, not
# on every half-step (a steadier picture, and no new range to send and draw each time).
MIN_HALF_STEPS = 6


def trace_x_range(step) -> tuple[float, float]:
    """(start, end) of the half-step axis: from 0 (a little before, so the start's marker is
    whole) to the last half-step rounded up to a multiple of MIN_HALF_STEPS."""
    step = np.asarray(step, dtype=float)
    last = float(step.max()) if step.size else 0.0
    end = MIN_HALF_STEPS * max(1.0, math.ceil(last / MIN_HALF_STEPS))
    pad = max(0.3, 0.02 * end)
    return -pad, end + pad


def steady_range(current, wanted, keep=0.8) -> tuple[float, float]:
    """``current`` while it still holds ``wanted`` and is not much larger (``wanted`` spans at
    least ``keep`` of it), else ``wanted``: the trace's y-range holds still as EM's late
    half-steps change the log-likelihood by a little, instead of rescaling every M-step."""
    if current is None:
        return wanted
    (c0, c1), (w0, w1) = current, wanted
    slack = 1e-6 * (c1 - c0)  # (a converged run's last digits still move)
    if c0 - slack <= w0 and w1 <= c1 + slack and (w1 - w0) >= keep * (c1 - c0):
        return current
    return wanted


def trace_y_range(value, lower, kind) -> tuple[tuple[float, float], np.ndarray]:
    """The y-range of the trace and which rows' lower bounds it leaves off the scale.

    The start's ELBO (every point shared equally) can lie far below everything after it: each
    half-step raises the ELBO, and an M-step's ELBO is at least the log-likelihood before it. Fitted
    to it, the rest of the run would be a flat line at the top. So from the first M-step on (three
    rows), the range follows the log-likelihood and the later bounds, and the start's ELBO, when
    below them, is left off (drawn as a marker at the bottom edge). Before that (the start and its
    E-step, where the ELBO rises to touch the log-likelihood) every point is in range.

    Returns ``((start, end), off_scale)``, ``off_scale`` a bool array, one per row.
    """
    value = np.asarray(value, dtype=float)
    lower = np.asarray(lower, dtype=float)
    off_scale = np.zeros(len(value), dtype=bool)
    if len(value) >= 3 and str(kind[0]) == "init":
        rest = np.concatenate([value, lower[1:]])
        rest = rest[np.isfinite(rest)]
        if rest.size and lower[0] < rest.min():
            off_scale[0] = True
    start, end = padded_range(np.concatenate([value, lower[~off_scale]]))
    if off_scale.any():  # a free band at the bottom for the marker and its label
        start -= 0.12 * (end - start)
    return (start, end), off_scale


def follow_range(axis_range, start_end, fitted, refit=False):
    """Fit ``axis_range`` to ``start_end`` unless the user has panned or zoomed it since it was
    last fitted (``fitted``, returned by the previous call); ``refit`` fits it regardless.

    The reset tool always returns to the current fit. Returns the fit to pass next time. Nothing
    is set (no patch) when nothing changes.
    """
    start, end = start_end
    moved_by_user = fitted is not None and (axis_range.start, axis_range.end) != fitted
    changes = {}
    if (axis_range.reset_start, axis_range.reset_end) != (start, end):
        changes.update(reset_start=start, reset_end=end)
    if refit or not moved_by_user:
        if (axis_range.start, axis_range.end) != (start, end):
            changes.update(start=start, end=end)
        fitted = (start, end)
    if changes:
        axis_range.update(**changes)
    return fitted


# A half-step's marker by the kind of its row: shape, fill and size (a triangle is drawn larger to
# look as large as a circle).
KINDS = ("init", "E", "M")
MARKERS = ("square", "circle", "triangle")
MARKER_FILLS = ("white", E_ORANGE, M_GREEN)
MARKER_SIZES = (9.0, 9.0, 11.0)


def _draw_trace(fig, curve, converged_point, off_scale):
    """The trace's glyphs: log-likelihood and ELBO lines, start/E/M markers, the converged star,
    the off-scale marker.

    The markers are one renderer over the curve's rows (a half-step adds one row to one source:
    one stream, one glyph to update and paint). Added as plain glyph renderers: ``figure.line``/
    ``scatter`` would also make a selection and a muted copy of every glyph, models the trace
    never uses but the page would build and carry.
    """
    for source, glyph in (
            (curve, Line(x="step", y="value", line_color=INK, line_width=2)),
            (curve, Line(x="step", y="lower_bound", line_color=ELBO_BLUE, line_width=2,
                         line_dash="dashed")),
            (curve, Scatter(x="step", y="value", size="size",
                            marker=factor_mark("kind", list(MARKERS), list(KINDS)),
                            fill_color=factor_cmap("kind", list(MARKER_FILLS), list(KINDS)),
                            line_color=INK, line_width=1.5)),
            (converged_point, Scatter(x="step", y="value", marker="star", size=22,
                                      fill_color=STAR_YELLOW, line_color="#111111",
                                      line_width=1.5)),
            (off_scale, Scatter(x="step", y="y", marker="inverted_triangle", size=11,
                                fill_color=ELBO_BLUE, line_color=INK))):
        fig.add_glyph(source, glyph)


def _star_points(cx=11.0, cy=7.0, outer=6.5, inner=2.7) -> str:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, outer, inner)
    return " ".join(f"{cx + r * np.cos(a):.1f},{cy - r * np.sin(a):.1f}"
                    for r, a in zip(radii, angles))


# One small SVG per legend entry, drawn like the glyph it names.
_SYMBOLS = {
    "line": f'<line x1="1" y1="7" x2="21" y2="7" stroke="{INK}" stroke-width="2"/>',
    "dashed": f'<line x1="1" y1="7" x2="21" y2="7" stroke="{ELBO_BLUE}" stroke-width="2" '
              'stroke-dasharray="5 3"/>',
    "square": f'<rect x="7" y="3" width="8" height="8" fill="white" stroke="{INK}" '
              'stroke-width="1.5"/>',
    "circle": f'<circle cx="11" cy="7" r="4.5" fill="{E_ORANGE}" stroke="{INK}" '
              'stroke-width="1.5"/>',
    "triangle": f'<polygon points="11,1.5 16.5,11.5 5.5,11.5" fill="{M_GREEN}" stroke="{INK}" '
                'stroke-width="1.5"/>',
    "star": f'<polygon points="{_star_points()}" fill="{STAR_YELLOW}" stroke="#111111"/>',
    "off-scale": f'<polygon points="5.5,2.5 16.5,2.5 11,12" fill="{ELBO_BLUE}" stroke="{INK}"/>',
}


def off_scale_label(lower_bound) -> str:
    """The legend's words for the start's ELBO when the y-range leaves it off."""
    return f"start's ELBO {format_number(lower_bound, 2)}, off the scale"


def legend_html(kmeans: bool = False, off_scale: str = "") -> str:
    """The trace's legend, as HTML below the plot (see LogLikelihoodPlot); ``off_scale`` (the
    words for the marker at the bottom edge) adds its entry.

    The off-scale value is said here, not next to its marker: a text glyph costs the trace 2 ms
    in every repaint (BokehJS measures its text each time), and its value never changes during
    a run."""
    entries = [("line", "inertia" if kmeans else "log-likelihood")]
    if not kmeans:
        entries.append(("dashed", "ELBO (lower bound)"))
    entries += [("square", "start"), ("circle", "after E-step"), ("triangle", "after M-step"),
                ("star", "converged")]
    if off_scale:
        entries.append(("off-scale", off_scale))
    return '<div class="emlab-trace-legend">' + "".join(
        f'<span class="entry"><svg width="22" height="14" aria-hidden="true">{_SYMBOLS[symbol]}'
        f"</svg>{html.escape(label)}</span>" for symbol, label in entries) + "</div>"


class StatusLine(TextUpdates, pn.pane.HTML):
    """The status line's pane: only its text travels when it changes (every half-step)."""


class LogLikelihoodPlot(pn.viewable.Viewer):
    """One point per half-step, the ELBO beside it, convergence marked; plus a status line."""

    session = param.Parameter(doc="The EM session (app.session.Session).")

    def __init__(self, **params):
        super().__init__(**params)
        # Named so browser tests can find them in the page's Bokeh document. One row per
        # half-step: its kind ("init", "E", "M") picks its marker (see KINDS).
        self.curve = ColumnDataSource(dict(step=[], value=[], lower_bound=[], kind=[], size=[]),
                                      name="emlab-trace-curve")
        self.converged_point = ColumnDataSource(dict(step=[], value=[]),
                                                name="emlab-trace-converged")
        # The start's ELBO when the y-range leaves it off (see trace_y_range): a marker at the
        # bottom edge, under its half-step, and its value.
        self.off_scale = ColumnDataSource(dict(step=[], y=[]),
                                          name="emlab-trace-off-scale")
        self.figure = self._build_figure()
        self._quantity = None  # what the y axis and legend were last labelled for
        self._x_fit = self._y_fit = None  # the trace's axes as last fitted (see follow_range)
        self._trace_length = 0
        # The legend lives outside the canvas: BokehJS lays out a legend inside the plot as DOM
        # and measures it on every repaint (a forced page layout per frame while Play runs).
        self.legend = pn.pane.HTML(legend_html(), sizing_mode="stretch_width",
                                   stylesheets=[_LEGEND_CSS], margin=(0, 10, 4, 10))
        self.status = StatusLine("", sizing_mode="stretch_width", stylesheets=[_STATUS_CSS],
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
        fig.xaxis.ticker.min_interval = 1  # half-steps are whole numbers
        _draw_trace(fig, self.curve, self.converged_point, self.off_scale)
        self._converged_span = Span(location=0, dimension="height", line_color="#888899",
                                    line_dash="dotted", line_width=1.5, visible=False)
        fig.add_layout(self._converged_span)
        return fig

    def __panel__(self):
        return pn.Column(self.status, pn.pane.Bokeh(self.figure, sizing_mode="stretch_width"),
                         self.legend, sizing_mode="stretch_width")

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
        # The session promises finite numbers; a view must still never paint NaN/inf.
        ok = np.isfinite(value) & np.isfinite(lower)
        step, value, lower, kind = step[ok], value[ok], lower[ok], kind[ok]
        converged = np.asarray(trace["converged"], dtype=bool)[ok]

        # A half-step adds a row: only that row travels.
        size = np.select([kind == k for k in KINDS], MARKER_SIZES)
        extend_or_assign(self.curve, dict(step=step, value=value, lower_bound=lower, kind=kind,
                                          size=size))
        # A shorter trace is a new start (reset, back, new data): fit it even if zoomed.
        refit = len(step) < self._trace_length
        self._trace_length = len(step)
        self._x_fit = follow_range(self.figure.x_range, trace_x_range(step), self._x_fit, refit)
        wanted, off_scale = trace_y_range(value, lower, kind)
        y0, y1 = steady_range(None if refit else self._y_fit, wanted)
        self._y_fit = follow_range(self.figure.y_range, (y0, y1), self._y_fit, refit)
        assign_if_changed(self.off_scale, dict(
            step=step[off_scale], y=np.full(int(off_scale.sum()), y0 + 0.045 * (y1 - y0))))
        off_scale_words = "".join(off_scale_label(v) for v in lower[off_scale])
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
            self.figure.yaxis.axis_label = quantity
        legend = legend_html(s.mode == "kmeans", off_scale_words)
        if legend != self.legend.object:  # (changes at a new start, the first M-step, k-means)
            self.legend.object = legend
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


_LEGEND_CSS = """
.emlab-trace-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12px; color: #444; }
.emlab-trace-legend .entry { display: inline-flex; align-items: center; gap: 4px; }
"""
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
