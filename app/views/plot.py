"""The main plot: data coloured by responsibility, 1σ/2σ ellipses, draggable mean handles.

Owns: one Bokeh figure, built once, and the ColumnDataSources it draws from; every redraw assigns
``source.data`` (or updates a few columns), never rebuilds the figure. Reads the session and the
ViewState; sends user gestures back as session actions (move_means, add_point, remove_point) or
ViewState changes (pinned). Imports bokeh, param, numpy, app.geometry and app.em (for read-only
helpers); never matplotlib.

Sources (public, so tests can act on them without a browser):
  points     x, y, index, color (uint32 0xRRGGBBAA)
  resp       r: the responsibilities, one (n, K) float32 array (read by the hover tooltip)
  ellipses   one row per component and level: component, level ("1σ"/"2σ"), x, y (the centre),
             width, height, angle (full axes and tilt in data units), weight, color, line_alpha,
             fill_alpha; the outline is traced from them in the browser (ellipse_outline_expr)
  means      x, y, color, label, label_color, label_halo: the handles (numbered; the number has
             a halo of the other of black and white, so it reads over the points seen through);
             PointDrawTool edits it (add/delete are undone)
  collapsed  x, y, label, align, baseline, dy: rings around collapsed components and their labels,
             placed apart (place_labels)
  outliers   x, y: rings around low-density points
"""

from __future__ import annotations

import collections
import functools

import numpy as np
import panel as pn
import param
from bokeh.core.properties import field, value
from bokeh.core.property.validation import without_property_validation
from bokeh.events import Tap
from bokeh.models import (
    CDSView,
    ColumnDataSource,
    CustomJSExpr,
    CustomJSHover,
    GroupFilter,
    HoverTool,
    Patches,
    PointDrawTool,
    Scatter,
    Text,
)
from bokeh.plotting import figure

from app import geometry
from app.views.state import ViewState
from app.views.updates import assign_if_changed

HANDLE_SIZE = 24
# The handles are see-through, so the points under a mean stay visible (issue 13).
HANDLE_ALPHA = 0.5
BACKGROUND = "#fbfbfd"
MIN_PLOT_HEIGHT = 300  # the plot grows to the height its container gives it (see app.views.lab)
COLLAPSE_RED = "#d00000"
LEVELS = ((1.0, "1σ"), (2.0, "2σ"))


equal_scales = geometry.equal_scales  # shared with the export


@functools.lru_cache(maxsize=64)  # (a few palette colours, asked on every M-step)
def handle_label_color(color: str) -> str:
    """Black or white for a handle's number, on the handle as drawn: ``color`` at HANDLE_ALPHA
    over the plot's background."""
    tint = HANDLE_ALPHA * geometry.hex_to_rgb([color]) + (1 - HANDLE_ALPHA) * geometry.hex_to_rgb(
        [BACKGROUND])
    return geometry.label_color(geometry.rgb_to_hex(tint)[0])


# Collapse labels: placed apart assuming a plot frame this small (in px; real ones are larger, so
# the labels are, if anything, further apart than needed), 15 px bold text.
LABEL_FRAME_PX = 480
LABEL_CHAR_PX, LABEL_HEIGHT_PX, RING_GAP_PX = 9.0, 22.0, 34.0


def place_labels(anchors, labels, char_px=LABEL_CHAR_PX, height=LABEL_HEIGHT_PX, gap=RING_GAP_PX,
                 frame=LABEL_FRAME_PX):
    """Where each collapse label goes so that no two overlap: (align, baseline, dy) lists.

    ``anchors`` are the rings' centres in pixels (y down). Each label hangs below its ring (or
    above it), reading away from the frame's nearer side; taken top to bottom, a label goes to
    the first of below, above, then further and further below or above, whose box lies in the
    frame and meets no label placed before it. Boxes are estimated from the text's length.
    """
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    placed, out = [], [None] * len(anchors)
    for i in np.argsort(anchors[:, 1], kind="stable"):
        (x, y), text = anchors[i], labels[i]
        width = char_px * len(text) + 8
        align = "right" if x > frame / 2 else "left"
        left = x - width if align == "right" else x
        candidates = [(gap, "top"), (-gap, "bottom")] + [
            step for j in range(1, len(anchors) + 1)
            for step in ((gap + height * j, "top"), (-gap - height * j, "bottom"))]
        for dy, baseline in candidates:
            top = y + dy - (height if baseline == "bottom" else 0)
            box = (left, top, left + width, top + height)
            inside = 0 <= top and top + height <= frame
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3]
                                  and b[1] < box[3] for b in placed):
                break
        else:  # nowhere free inside the frame: below the lowest label placed
            dy, baseline = max([gap] + [b[3] - y for b in placed]), "top"
            top = y + dy
            box = (left, top, left + width, top + height)
        placed.append(box)
        out[i] = (align, baseline, dy)
    return ([o[0] for o in out], [o[1] for o in out], [o[2] for o in out])


def _other_ink(color: str) -> str:
    return "#111111" if color == "white" else "white"


def point_size_expr(fig):
    """The points' size, computed in the browser: app.geometry.point_size_px with the number of
    points and the plot frame's size as BokehJS last laid it out (Python never learns it).

    Evaluated whenever the points' data change (every E-step, new data). Before the first layout
    the frame's size is estimated from the window, as the page's CSS sizes the plot card
    (app.views.lab): the first half-step then uses the real size.
    """
    low, high = geometry.POINT_SIZE_RANGE
    return CustomJSExpr(args=dict(plot=fig), code=f"""
      const n = Math.max(this.get_length() ?? 0, 1);
      let w = NaN, h = NaN;
      try {{ w = plot.inner_width; h = plot.inner_height; }} catch (error) {{}}
      if (!(w > 0 && h > 0))
        w = h = Math.max(240, Math.min(window.innerWidth - 800, window.innerHeight - 280));
      return Math.min({high}, Math.max({low}, {geometry.POINT_SIZE_SCALE} * Math.sqrt(w * h / n)));
    """)


def ellipse_outline_expr(axis: str, n_points: int = geometry.OUTLINE_POINTS):
    """The ``axis`` ("x" or "y") coordinates of each ellipse's outline, traced in the browser from
    its row (x, y, width, height, angle) as app.geometry.ellipse_outlines does: in data units, so
    a tilted ellipse stays right when the axes have different scales.

    Sending the outlines instead cost the worker two buffers per ellipse on every M-step (24 at
    K = 6: a third of the half-step's serialization) for numbers five per row determine.
    """
    return CustomJSExpr(code=f"""
      const {{x, y, width, height, angle}} = this.data;
      const n = {n_points};
      const outlines = [];
      for (let i = 0; i < x.length; i++) {{
        const cos = Math.cos(angle[i]), sin = Math.sin(angle[i]);
        const ring = new Float64Array(n + 1);
        for (let j = 0; j <= n; j++) {{
          const t = 2 * Math.PI * j / n;
          const u = 0.5 * width[i] * Math.cos(t), v = 0.5 * height[i] * Math.sin(t);
          ring[j] = {'x[i] + cos * u - sin * v' if axis == 'x' else 'y[i] + sin * u + cos * v'};
        }}
        outlines.push(ring);
      }}
      return outlines;
    """)


def _means_key(data) -> tuple:
    """The handles' positions in a means source's ``data``, comparable."""
    return (tuple(float(v) for v in data.get("x", ())), tuple(float(v) for v in data.get("y", ())))


def _finite(a, fill=0.0):
    return np.where(np.isfinite(a), a, fill)


class MainPlot(pn.viewable.Viewer):
    """The data, the mixture and the handles in one Bokeh figure."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        # The handles' positions Python wrote lately: a change of the means source that brings
        # one of them is Python's own, not a drag, even when Bokeh calls back late (a held
        # document runs its callbacks when it is released: the static site's start).
        self._written_means = collections.deque(maxlen=32)
        self._tooltips_for = None   # (K, x label, y label) the hover tooltips show
        # Sources are named so browser tests can find them in the page's Bokeh document.
        self.points = ColumnDataSource(dict(x=[], y=[], index=[], color=[]), name="emlab-points")
        # One 2-D array, one buffer per E-step (K columns of the points were K buffers); no glyph
        # draws it, so its length need not match the points'.
        self.resp = ColumnDataSource(dict(r=np.zeros((0, 1), dtype=np.float32)), name="emlab-resp")
        self.ellipses = ColumnDataSource(
            {name: [] for name in ("component", "level", "x", "y", "width", "height", "angle",
                                   "weight", "color", "line_alpha", "fill_alpha")},
            name="emlab-ellipses",
        )
        self.means = ColumnDataSource(dict(x=[], y=[], color=[], label=[], label_color=[],
                                           label_halo=[]), name="emlab-means")
        self.collapsed = ColumnDataSource(dict(x=[], y=[], label=[], align=[], baseline=[], dy=[]),
                                          name="emlab-collapsed")
        self.outliers = ColumnDataSource(dict(x=[], y=[]), name="emlab-outliers")
        self.figure = self._build_figure()
        self.means.on_change("data", self._on_means_edited)
        self.figure.on_event(Tap, self._on_tap)
        self._drawn_X = None  # the X array the points source holds (redraw x/y only when it changes)
        self._drawn = None    # (X, resp, coloring) the point colours were computed from
        self._drawn_mixture = None  # (mixture, X, collapsed components) the ellipses show
        self._axis_labels = None    # the axes' titles as last set
        # Every session action ends in one batched update that bumps `version`.
        self.session.param.watch(self._on_session, ["version"])
        self.view_state.param.watch(self._on_view_state, ["coloring", "show_outliers",
                                                         "add_points"])
        self._pane = pn.pane.Bokeh(self.figure, sizing_mode="stretch_both",
                                   min_height=MIN_PLOT_HEIGHT)
        # What the plot currently shows (k-means mode, colouring, add-point mode), in the DOM so it
        # wraps, is read by screen readers and by tests.
        self.caption = pn.pane.HTML("", visible=False, sizing_mode="stretch_width", margin=(0, 12),
                                    css_classes=["emlab-plot-caption"], stylesheets=[_CAPTION_CSS])
        self.refresh()

    # ------------------------------------------------------------------------------ building

    def _build_figure(self):
        fig = figure(
            name="emlab-main-plot",
            output_backend="webgl",  # WebGL scatter keeps N = 50,000 interactive
            sizing_mode="stretch_both",
            min_height=MIN_PLOT_HEIGHT,
            tools="pan,wheel_zoom,box_zoom,reset",
            active_scroll="wheel_zoom",
            toolbar_location="above",
            match_aspect=True,  # per data set: equal_scales()
            background_fill_color=BACKGROUND,
            border_fill_color="white",
        )
        fig.grid.grid_line_color = "#e6e6ee"
        fig.axis.axis_label_text_font_size = "14px"
        fig.axis.major_label_text_font_size = "12px"
        fig.outline_line_color = "#d0d0da"

        # Plain glyph renderers (figure.scatter etc. would add a selection and a muted copy of
        # each glyph, models these never use); only the handles, which PointDrawTool selects while
        # dragging, are drawn the figure's way.
        # Sized by the number of points and the plot's size (point_size_expr).
        points = fig.add_glyph(self.points, Scatter(x="x", y="y", size=point_size_expr(fig),
                                                    fill_color=field("color"), line_color=None),
                               name="points")
        for level, dash, width in (("2σ", "dashed", 1.6), ("1σ", "solid", 2.6)):
            fig.add_glyph(
                self.ellipses,
                Patches(xs=ellipse_outline_expr("x"), ys=ellipse_outline_expr("y"),
                        fill_color=field("color"),
                        fill_alpha=field("fill_alpha") if level == "1σ" else 0.0,
                        line_color=field("color"), line_alpha=field("line_alpha"),
                        line_width=width, line_dash=dash),
                view=CDSView(filter=GroupFilter(column_name="level", group=level)),
                name=f"ellipses-{level}",
            )
        fig.add_glyph(self.outliers, Scatter(x="x", y="y", size=13, marker="circle",
                                             fill_color=None, line_color="#222222",
                                             line_width=1.5, line_dash="dotted"), name="outliers")
        fig.add_glyph(self.collapsed, Scatter(x="x", y="y", size=52, marker="circle",
                                              fill_color=None, line_color=COLLAPSE_RED,
                                              line_width=4), name="collapsed")
        fig.add_glyph(self.collapsed, Text(x="x", y="y", text=field("label"), y_offset=field("dy"),
                                           text_align=field("align"),
                                           text_baseline=field("baseline"),
                                           text_color=COLLAPSE_RED, text_font_style="bold",
                                           text_font_size=value("15px"),
                                           background_fill_color="white",
                                           background_fill_alpha=0.85))
        handles = fig.scatter("x", "y", source=self.means, size=HANDLE_SIZE, fill_color="color",
                              fill_alpha=HANDLE_ALPHA, line_color="#111111", line_width=2.5,
                              name="means")
        # The number twice: its halo (a thick outline), then the number itself on top.
        label = dict(x="x", y="y", text=field("label"), text_align="center",
                     text_baseline="middle", text_font_style="bold", text_font_size=value("13px"))
        fig.add_glyph(self.means, Text(**label, text_color=field("label_halo"),
                                       text_outline_color=field("label_halo"),
                                       text_outline_width=3))
        fig.add_glyph(self.means, Text(**label, text_color=field("label_color")))

        draw = PointDrawTool(renderers=[handles], add=False, drag=True,
                             description="Drag a mean: EM restarts from where you drop it")
        fig.add_tools(draw)
        fig.toolbar.active_drag = draw
        # Points are numbered from 1 for learners (the index column stays the array's 0-based
        # index): the tooltip adds 1 in the browser rather than sending a second column. The
        # same formatter reads a point's responsibilities from the resp source: "@index{2}" is
        # r3 of the hovered point.
        number = CustomJSHover(args=dict(resp=self.resp), code="""
          if (format === "custom") return String(value + 1);
          const r = resp.data.r, k = r.shape ? r.shape[1] : 1;
          const share = r[value * k + Number(format)];
          return share === undefined ? "" : share.toFixed(3);
        """)
        self._hover = HoverTool(renderers=[points], tooltips=[("point", "#@index{custom}")],
                                formatters={"@index": number})
        fig.add_tools(self._hover)
        # The view fits the data and the handles, not the ellipses: it then stays put while EM
        # steps (an early, huge ellipse may reach past the frame), and the browser need not
        # send new ranges back to Python after every half-step.
        for axis_range in (fig.x_range, fig.y_range):
            axis_range.renderers = [points, handles]
            # Room around the data so handles, rings and labels at the edge stay inside the frame.
            axis_range.range_padding = 0.12
        return fig

    def __panel__(self):
        return pn.Column(self.caption, self._pane, sizing_mode="stretch_both",
                         min_height=MIN_PLOT_HEIGHT)

    # ------------------------------------------------------------------------------ drawing

    def refresh(self):
        """Redraw everything from the session and the view state."""
        labels = self._columns()
        if labels != self._axis_labels:  # (a Bokeh property set is not free: only on new data)
            self._axis_labels = labels
            self.figure.xaxis.axis_label, self.figure.yaxis.axis_label = labels
        s = self.session
        self._draw_points()
        self._draw_mixture(s.mixture)
        self._draw_outliers()
        self._draw_caption()

    def _draw_points(self):
        """Colours and responsibilities of the points; skipped when nothing they show changed.

        An M-step keeps the responsibilities (the session hands back the very same array), so
        it redraws only the ellipses: at N = 50,000 that saves computing and sending ~1.4 MB.
        """
        s = self.session
        shown = (s.X, s.display_resp(), self.view_state.coloring)
        if self._drawn is not None and all(
                a is b for a, b in zip(shown, self._drawn)):
            return
        new_resp = self._drawn is None or any(a is not b for a, b in zip(shown[:2], self._drawn))
        self._drawn = shown
        X = np.asarray(s.X, dtype=float)
        resp = self._resp()
        if new_resp:  # (not when only the colouring changed)
            self.resp.data = dict(r=np.ascontiguousarray(_finite(resp), dtype=np.float32))
        colors = self._colors(resp)
        if s.X is self._drawn_X:  # same data: send only the colours
            self.points.data.update(color=colors)
        else:
            self.points.data = dict(x=X[:, 0], y=X[:, 1], index=np.arange(len(X)), color=colors)
            self._drawn_X = s.X
            self.figure.match_aspect = equal_scales(X)
        self._set_tooltips(resp.shape[1])

    def _columns(self):
        columns = self.session.columns or ("x", "y")
        return str(columns[0]), str(columns[1])

    def _resp(self):
        return np.asarray(self.session.display_resp(), dtype=float)

    def _colors(self, resp):
        coloring = self.view_state.coloring
        colors = geometry.palette(resp.shape[1])
        if coloring == "hard":
            rgb = geometry.hard_colors(resp, colors)
        elif coloring == "uncertainty":
            rgb = geometry.uncertainty_colors(resp)
        else:
            rgb = geometry.blend(resp, colors)
        # Large data sets draw with some transparency so density stays visible.
        alpha = 0.85 if len(resp) < 5000 else 0.5
        return geometry.pack_rgba(rgb, alpha)

    def _set_tooltips(self, k):
        # Keyed on the column names too: new data (an upload, other columns) keeps K but renames.
        x_label, y_label = self._columns()
        if (k, x_label, y_label) == self._tooltips_for:
            return
        self._tooltips_for = (k, x_label, y_label)
        self._hover.tooltips = (
            [("point", "#@index{custom}"), (x_label, "@x{0.000}"), (y_label, "@y{0.000}")]
            + [(f"r{j + 1}", f"@index{{{j}}}") for j in range(k)]  # (see the formatter)
        )

    def _draw_mixture(self, mixture):
        """Ellipses, handles and collapse rings; skipped when nothing they show changed (an
        E-step keeps the mixture: the session hands back the very same object)."""
        collapsed = self._collapsed_components()
        drawn = self._drawn_mixture
        if (drawn is not None and drawn[0] is mixture and drawn[1] is self.session.X
                and drawn[2] == collapsed):
            return
        self._drawn_mixture = (mixture, self.session.X, collapsed)
        k = mixture.n_components
        colors = geometry.palette(k)
        means = _finite(np.asarray(mixture.means, dtype=float))
        weights = _finite(np.asarray(mixture.weights, dtype=float))
        covariances = _finite(mixture.full_covariances())
        # Opacity hints the weight: a component with its fair share 1/K is fully opaque.
        strength = np.clip(0.25 + 0.75 * weights * k, 0.25, 1.0)
        red = np.isin(np.arange(k), sorted(collapsed))
        color = [COLLAPSE_RED if r else c for r, c in zip(red, colors)]
        # Both levels in one source, 1σ rows then 2σ rows; numbers as arrays (one buffer each).
        axes = [geometry.ellipse_params(covariances, n_std) for n_std, _ in LEVELS]
        self.ellipses.data = dict(
            component=np.tile(np.arange(k), 2), level=[level for _, level in LEVELS for _ in colors],
            x=np.tile(means[:, 0], 2), y=np.tile(means[:, 1], 2),
            width=np.concatenate([a[0] for a in axes]), height=np.concatenate([a[1] for a in axes]),
            angle=np.concatenate([a[2] for a in axes]), weight=np.tile(weights, 2), color=color * 2,
            line_alpha=np.tile(np.where(red, 1.0, strength), 2),
            fill_alpha=np.tile(0.10 * strength, 2))
        ink = [handle_label_color(c) for c in colors]
        self._written_means.append(_means_key(dict(x=means[:, 0], y=means[:, 1])))
        assign_if_changed(self.means, dict(x=means[:, 0], y=means[:, 1], color=colors,
                                           label=[str(j + 1) for j in range(k)],
                                           label_color=ink,
                                           label_halo=[_other_ink(c) for c in ink]))
        ring = sorted(j for j in collapsed if j < k)
        labels = [f"component {j + 1} collapsed" for j in ring]
        align, baseline, dy = place_labels(self._to_pixels(means[ring]), labels) if ring else (
            [], [], [])
        assign_if_changed(self.collapsed, dict(
            x=means[ring, 0], y=means[ring, 1], label=labels, align=align, baseline=baseline,
            dy=np.asarray(dy, dtype=float)))

    def _to_pixels(self, xy, frame=LABEL_FRAME_PX):
        """Data -> approximate pixels (y down) in a frame of ``frame`` px fitted, as the plot fits
        its view, to the points and the handles with 12% padding (one scale for both axes when
        the plot keeps the aspect). Only for placing labels apart: it needs no browser."""
        X = np.asarray(self.session.X, dtype=float)
        both = np.vstack([X, _finite(np.asarray(self.session.mixture.means, dtype=float))])
        low, high = both.min(axis=0), both.max(axis=0)
        span = np.where(high - low > 0, high - low, 1.0) * 1.24
        if self.figure.match_aspect:
            span = np.full(2, span.max())
        middle = (low + high) / 2
        scale = frame / span
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return np.column_stack([(xy[:, 0] - middle[0]) * scale[0] + frame / 2,
                                (middle[1] - xy[:, 1]) * scale[1] + frame / 2])

    def _collapsed_components(self):
        return {int(e.component) for e in self.session.collapse}

    def _draw_outliers(self):
        if not self.view_state.show_outliers:  # (usually already empty: nothing to send)
            assign_if_changed(self.outliers, dict(x=np.zeros(0), y=np.zeros(0)))
            return
        X = np.asarray(self.session.X, dtype=float)
        mask = np.asarray(self.session.outlier_mask(), dtype=bool)
        assign_if_changed(self.outliers, dict(x=X[mask, 0], y=X[mask, 1]))

    def _draw_caption(self):
        parts = []
        if not self.figure.match_aspect:
            parts.append("the axes have different scales: a round component looks stretched")
        if self.session.mode == "kmeans":
            parts.append("k-means: hard assignments, equal weights, one shared spherical variance")
        coloring = self.view_state.coloring
        if coloring == "uncertainty":
            parts.append("shading: the darker, the more undecided (1 − max responsibility)")
        elif coloring == "hard":
            parts.append("hard view: colour of the most responsible component")
        if self.view_state.add_points:
            parts.append("click adds a point · shift-click removes one")
        caption = "".join(f"<span>{p}</span>" for p in parts)
        if caption != self.caption.object:  # (the same on most half-steps)
            self.caption.object = caption
            self.caption.visible = bool(parts)

    # ------------------------------------------------------------------------------ events

    # Bokeh validates every property set, a third of a redraw in the browser; the values set here
    # are built by this module (and checked by its tests), so the redraw skips that.
    @without_property_validation
    def _on_session(self, *events):
        self.refresh()

    def _on_view_state(self, *events):
        if any(e.name == "coloring" for e in events):
            self._draw_points()
        self._draw_outliers()
        self._draw_caption()

    def _on_means_edited(self, attr, old, new):
        """A drag ended in the browser (or a test assigned the source): re-seed EM there.

        PointDrawTool cannot be told "no add/delete" completely (Backspace deletes a selected
        handle), so a change of row count is undone by redrawing the session's means.
        """
        if _means_key(new) in self._written_means:
            return
        k = self.session.mixture.n_components
        x = np.asarray(new.get("x", []), dtype=float)
        y = np.asarray(new.get("y", []), dtype=float)
        if len(x) != k or len(y) != k or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            self._drawn_mixture = None  # the page's handles differ from what was drawn
            self._draw_mixture(self.session.mixture)
            return
        self.session.move_means(np.column_stack([x, y]))

    def _on_tap(self, event):
        if event.x is None or event.y is None:
            return
        if self.view_state.guessing:  # the click is a guess (app/views/predict.py takes it)
            return
        shift = bool(event.modifiers and event.modifiers.get("shift"))
        if self.view_state.add_points:
            if shift:
                i = self._nearest(event.x, event.y, radius=None)
                if i is not None:
                    self.session.remove_point(i)
            else:
                self.session.add_point((event.x, event.y))
            return
        self.view_state.pinned = self._nearest(event.x, event.y)

    def _nearest(self, x, y, radius=0.03):
        """Index of the data point nearest (x, y), measured in fractions of the visible ranges;
        None when the nearest is farther than ``radius`` (or there are no points)."""
        X = np.asarray(self.session.X, dtype=float)
        if len(X) == 0:
            return None
        xr, yr = self.figure.x_range, self.figure.y_range
        span = np.array([
            (xr.end - xr.start) if xr.start is not None and xr.end is not None else np.ptp(X[:, 0]),
            (yr.end - yr.start) if yr.start is not None and yr.end is not None else np.ptp(X[:, 1]),
        ], dtype=float)
        span = np.where(np.isfinite(span) & (np.abs(span) > 0), np.abs(span), 1.0)
        d = np.hypot(*((X - (x, y)) / span).T)
        i = int(np.argmin(d))
        return i if radius is None or d[i] <= radius else None


_CAPTION_CSS = """
:host { font-size: 14px; color: #33334a; }
span { display: inline-block; background: #eef2fb; border-radius: 12px; padding: 2px 10px;
       margin: 2px 6px 2px 0; }
"""
