"""The trace lab: a page of its own for EM on points along a line, every number on screen.

Owns: ``TraceLab``, the page ``?lesson=trace-lab`` opens (``app/main.py`` chooses it for a lesson
on 1-D data): a Bokeh figure with the points on a line (coloured by their blended
responsibilities, labelled x1, x2, ...), each component's weighted density π_k 𝒩(x | μ_k, σ_k²) in
its colour, the mixture's density above them in black, and a marker at each mean; the E-step,
M-step, Step back and Reset buttons (keys e, m, ←, r; space takes the next half-step); a status
line "Step n/4: E-step ..." (seed 002's words); the whole responsibility table; the arithmetic of
one point's E-step (``app.em1d.point_terms``) and of one component's M-step
(``app.em1d.component_terms``); the lesson panel (``app.views.lessons.LessonsPanel`` over a
``LessonRun``; the 2-D lessons open the 2-D lab); a link back to the 2-D lab. It reads an
``app.trace_session.TraceSession`` and sends actions back to it. The page's words are in the
functions at the end of this module (``status_text``, ``table_html``, ``point_html``,
``component_html``), numbers through ``number``: 2 to 4 significant digits, "−" for minus, never
NaN or inf. Imports panel, param, bokeh, numpy and the lab's own modules.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, LabelSet, Range1d
from bokeh.plotting import figure

from app import em1d, geometry
from app.lesson_run import LessonRun, catalogue, unavailable_reason
from app.trace_session import TraceSession
from app.views.controls import KeyboardShortcuts
from app.views.lessons import LessonsPanel

TRACED_HALF_STEPS = 4  # seed 002's trace: E, M, E, M
MIXTURE_COLOR = "#111111"


def trace_lessons() -> dict:
    """The lessons this page runs (those on 1-D data), name -> Lesson, in picker order."""
    return {name: lesson for name, lesson in catalogue().items()
            if not unavailable_reason(lesson, dimension=1)}


def opens_trace_lab(lesson_name: str | None) -> bool:
    """Does a link's lesson open the trace lab (a lesson on points along a line)?"""
    return lesson_name is not None and lesson_name in trace_lessons()


class TraceLab(pn.viewable.Viewer):
    """The 1-D trace lab page: plot, half-step buttons, status, table, arithmetic, lesson."""

    session = param.ClassSelector(class_=TraceSession, doc="The 1-D session the page shows.")
    lesson = param.String(default=None, allow_None=True,
                          doc="The lesson the page opens with (a lesson on 1-D data), or None.")
    embedded = param.Boolean(default=False, doc="Leave out the title bar (a course page frames "
                                                "the lab).")
    link_notes = param.List(default=[], doc="What the opening link asked for and did not get "
                                            "(HTML-escaped sentences).")

    def __init__(self, **params):
        if params.get("session") is None:
            params["session"] = TraceSession()
        super().__init__(**params)
        s = self.session
        # Every lesson: the picker lists the 2-D ones as opening their own page (the lab).
        self.run = LessonRun(session=s)
        if self.lesson is not None and not self.run.start(self.lesson):
            self.link_notes = [*self.link_notes, html.escape(self.run.message)]
        self.lessons = LessonsPanel(run=self.run)
        self._build_figure()
        self._build_controls()
        self.status = pn.pane.HTML("", sizing_mode="stretch_width", margin=(4, 10),
                                   stylesheets=[_CSS])
        self.message = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                    stylesheets=[_CSS], visible=False)
        self.table = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10, 6, 10),
                                  stylesheets=[_CSS], css_classes=["emlab-trace-table"])
        self.point_choice = pn.widgets.Select(label="Point", width=140, margin=(0, 10))
        self.component_choice = pn.widgets.Select(label="Component", width=140, margin=(0, 10))
        self.point_sums = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                       stylesheets=[_CSS], css_classes=["emlab-trace-point"])
        self.component_sums = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10, 6, 10),
                                           stylesheets=[_CSS],
                                           css_classes=["emlab-trace-component"])
        self.point_choice.param.watch(self._on_choice, "value")
        self.component_choice.param.watch(self._on_choice, "value")
        s.param.watch(self._on_session, ["version"])
        self._layout = self._build()
        self._on_session()

    def __panel__(self):
        return self._layout

    # ---------------------------------------------------------------------------------- building

    def _build_figure(self):
        self.points = ColumnDataSource(dict(x=[], y=[], color=[], label=[]), name="trace-points")
        self.components = ColumnDataSource(dict(xs=[], ys=[], color=[], name=[]),
                                           name="trace-components")
        self.mixture = ColumnDataSource(dict(x=[], y=[]), name="trace-mixture")
        self.means = ColumnDataSource(dict(x=[], y=[], color=[], label=[]), name="trace-means")
        self.x_range = Range1d(0.0, 1.0)
        self.y_range = Range1d(-0.3, 1.0)
        self._start_record = None  # the start the x range was chosen for
        self._grid = None
        fig = figure(name="trace-plot", height=340, sizing_mode="stretch_width",
                     x_range=self.x_range, y_range=self.y_range, toolbar_location=None, tools="",
                     x_axis_label="x", y_axis_label="density")
        fig.multi_line("xs", "ys", source=self.components, line_color="color", line_width=3,
                       line_alpha=0.9)
        fig.line("x", "y", source=self.mixture, line_color=MIXTURE_COLOR, line_width=2.5,
                 line_dash="dashed")
        fig.scatter("x", "y", source=self.means, marker="inverted_triangle", size=18,
                    fill_color="color", line_color="white", line_width=1.5)
        fig.add_layout(LabelSet(x="x", y="y", text="label", source=self.means, y_offset=12,
                                text_align="center", text_font_size="14px",
                                text_font_style="bold", text_color="#222233"))
        fig.scatter("x", "y", source=self.points, size=22, fill_color="color",
                    line_color="#222233", line_width=1.5)
        fig.add_layout(LabelSet(x="x", y="y", text="label", source=self.points, y_offset=-36,
                                text_align="center", text_font_size="14px",
                                text_color="#222233"))
        fig.xgrid.grid_line_alpha = 0.3
        fig.ygrid.grid_line_alpha = 0.3
        fig.axis.axis_label_text_font_size = "14px"
        fig.axis.major_label_text_font_size = "13px"
        fig.background_fill_color = "white"
        self.figure = fig

    def _build_controls(self):
        button = dict(height=40, margin=(6, 6), sizing_mode="stretch_width")
        self.e_button = pn.widgets.Button(label="E-step", color="primary", **button,
                                          description="Recompute every point's responsibilities "
                                                      "(key e)")
        self.m_button = pn.widgets.Button(label="M-step", color="primary", **button,
                                          description="Refit each component's weight, mean and "
                                                      "variance (key m)")
        self.back_button = pn.widgets.Button(label="Step back", color="default", **button,
                                             description="Undo the last half-step (key ←)")
        self.reset_button = pn.widgets.Button(label="Reset", color="default", **button,
                                              description="Back to the start (key r)")
        self.e_button.on_click(lambda event: self.session.e_step())
        self.m_button.on_click(lambda event: self.session.m_step())
        self.back_button.on_click(lambda event: self.session.back())
        self.reset_button.on_click(lambda event: self.session.reset())
        self.keys = KeyboardShortcuts(margin=0, height=0, width=0)
        self.keys.param.watch(self._on_key, "presses")

    def _build(self):
        card = dict(sizing_mode="stretch_width", css_classes=["emlab-trace-card"],
                    stylesheets=[_CSS], margin=(0, 0, 12, 0))
        notes = pn.pane.HTML(
            "".join(f"<p>{note}</p>" for note in self.link_notes), visible=bool(self.link_notes),
            sizing_mode="stretch_width", stylesheets=[_CSS], css_classes=["emlab-trace-notes"])
        left = pn.Column(
            notes,
            pn.Column(self.figure, pn.Row(self.e_button, self.m_button, self.back_button,
                                          self.reset_button, sizing_mode="stretch_width"),
                      self.status, self.message, **card),
            pn.Column(_heading("Responsibilities"), self.table, **card),
            pn.Column(_heading("One point's E-step, by hand"), self.point_choice,
                      self.point_sums, _heading("One component's M-step, by hand"),
                      self.component_choice, self.component_sums, **card),
            sizing_mode="stretch_width", styles={"flex": "1 1 560px", "min-width": "0"},
        )
        right = pn.Column(pn.Column(self.lessons, **card), sizing_mode="stretch_width",
                          styles={"flex": "1 1 340px", "min-width": "0", "max-width": "560px"})
        body = pn.FlexBox(left, right, self.keys, flex_wrap="wrap", gap="0 14px",
                          align_items="flex-start", sizing_mode="stretch_width",
                          margin=(12, 12), styles={"width": "auto"})
        parts = [body]
        if not self.embedded:
            parts.insert(0, pn.pane.HTML(
                '<div class="emlab-title"><span class="name">EM Lab</span>'
                '<span class="sub">Trace lab: EM on points along a line</span>'
                '<a class="back" href="?">← Back to the 2-D lab</a></div>',
                sizing_mode="stretch_width", margin=0, stylesheets=[_CSS]))
        else:
            # Framed in a course page: the lab it leads to stays framed (no title bar).
            parts.insert(0, pn.pane.HTML('<a class="back plain" href="?embed=1">← Back to the '
                                         '2-D lab</a>', margin=(8, 12, 0, 12),
                                         stylesheets=[_CSS]))
        return pn.Column(*parts, sizing_mode="stretch_width",
                         styles={"background": "#f3f4f8", "min-height": "100vh"})

    # ---------------------------------------------------------------------------------- updating

    def _on_key(self, event):
        s, key = self.session, self.keys.key
        action = {"e": s.e_step, "m": s.m_step, "left": s.back, "r": s.reset,
                  "space": s.step}.get(key)
        if action is not None:
            action()

    def _on_choice(self, event):
        self._draw_arithmetic()

    def _on_session(self, *events):
        s = self.session
        X = np.asarray(s.X, dtype=float)
        K = s.n_components
        colors = geometry.palette(K)
        rgb = geometry.blend(s.resp, colors)
        self.points.data = dict(x=X, y=np.zeros_like(X), color=geometry.rgb_to_hex(rgb),
                                label=[f"x{i + 1}" for i in range(X.size)])
        if s.history[0] is not self._start_record:
            # The view holds still while EM steps: the x range (and the curves' grid) is chosen
            # for the data and the start's components (mean ± 4 sd), and kept until a new start.
            self._start_record = s.history[0]
            start = em1d.density_curves(X, self._start_record.mixture).grid
            self._grid = np.linspace(start[0], start[-1], start.size)
            self.x_range.start, self.x_range.end = float(start[0]), float(start[-1])
        curves = s.density_curves(grid=self._grid)
        grid, comps, total = curves.grid, curves.components, curves.mixture
        self.components.data = dict(xs=[grid] * K, ys=[comps[:, k] for k in range(K)],
                                    color=colors, name=[f"component {k + 1}" for k in range(K)])
        self.mixture.data = dict(x=grid, y=total)
        peaks = np.array([comps[:, k].max() for k in range(K)])
        top = self._top(peaks, total)
        means = np.asarray(s.mixture.means, dtype=float)
        self.means.data = dict(x=means, y=np.minimum(peaks, top), color=colors,
                               label=[f"μ{_sub(k + 1)}" for k in range(K)])
        self.y_range.start, self.y_range.end = -0.32 * top, 1.18 * top
        self.e_button.disabled = not s.can_e_step
        self.m_button.disabled = not s.can_m_step
        self.back_button.disabled = s.half_steps == 0
        self.reset_button.disabled = s.half_steps == 0
        self.status.object = status_html(s)
        note = message_text(s)
        self.message.object = f'<div class="message">{html.escape(note)}</div>' if note else ""
        self.message.visible = bool(note)
        self.table.object = table_html(s)
        points = {f"x{i + 1} = {fixed(x)}": i for i, x in enumerate(X)}
        if self.point_choice.options != points:
            chosen = min(2, X.size - 1)  # x3, the lesson's point, when there is one
            self.point_choice.options = points
            self.point_choice.value = chosen
        components = {f"Component {k + 1}": k for k in range(K)}
        if self.component_choice.options != components:
            self.component_choice.options = components
            self.component_choice.value = 0
        self._draw_arithmetic()

    def _top(self, peaks, total) -> float:
        """The plot's top: the mixture's peak, unless a collapsed component's spike would flatten
        everything else (it then runs off the top)."""
        collapsed = {event.component for event in self.session.collapse}
        healthy = [p for k, p in enumerate(peaks) if k not in collapsed]
        top = float(total.max())
        if collapsed and healthy:
            top = min(top, 2.0 * max(healthy))
        return top if np.isfinite(top) and top > 0 else 1.0

    def _draw_arithmetic(self):
        s = self.session
        i = self.point_choice.value
        k = self.component_choice.value
        if i is not None and 0 <= i < s.X.size:
            self.point_sums.object = point_html(s, i)
        if k is not None and 0 <= k < s.n_components:
            self.component_sums.object = component_html(s, k)


# ------------------------------------------------------------------------------------ the words

_SUBSCRIPTS = str.maketrans("0123456789−", "₀₁₂₃₄₅₆₇₈₉₋")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _sub(n) -> str:
    return str(n).translate(_SUBSCRIPTS)


def number(value, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits (trailing zeros kept, so 0.5 reads "0.5000"),
    "−" for minus; very small or large values as "6.96 × 10⁻⁵"; never NaN or inf ("—")."""
    value = float(value)
    if not np.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e5:
        text = f"{value:#.{digits}g}".rstrip(".")
    else:
        mantissa, exponent = f"{value:.{max(digits - 2, 1)}e}".split("e")
        text = f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
    return text.replace("-", "−")


def fixed(value, decimals: int = 2) -> str:
    """``value`` with a fixed number of decimals (the data, the start), "−" for minus."""
    value = float(value)
    return f"{value:.{decimals}f}".replace("-", "−") if np.isfinite(value) else "—"


def _heading(text: str):
    return pn.pane.HTML(f'<div class="heading">{html.escape(text)}</div>', margin=(4, 10, 0, 10),
                        stylesheets=[_CSS], sizing_mode="stretch_width")


def status_text(session: TraceSession) -> str:
    """What comes next, as seed 002 words it: "Step 1/4: E-step: compute how much each Gaussian
    explains every point."; after the four traced half-steps the half-step's number alone."""
    n = session.half_steps + 1
    what = ("E-step: compute how much each Gaussian explains every point." if session.phase == "E"
            else "M-step: update each Gaussian's weight, mean and variance from the "
                 "responsibilities.")
    if session.collapse:
        return (f"Component {session.collapse[0].component + 1} has collapsed onto a point: "
                "step back or reset.")
    if n <= TRACED_HALF_STEPS:
        return f"Step {n}/{TRACED_HALF_STEPS}: {what}"
    if session.converged and session.phase == "E":
        return f"Half-step {n}: {what} EM has converged: the log-likelihood no longer rises."
    return f"Half-step {n}: {what}"


def status_html(session: TraceSession) -> str:
    ll = session.current_log_likelihood()
    return (f'<div class="emlab-trace-status" data-halfsteps="{session.half_steps}" '
            f'data-phase="{session.phase}" data-iteration="{session.iteration}" '
            f'data-loglik="{ll:.6f}"><span class="next">{html.escape(status_text(session))}'
            f'</span><span class="ll">log-likelihood {number(ll)}</span></div>')


def message_text(session: TraceSession) -> str:
    """Why the last action was refused, or the collapse's explanation ('' when nothing)."""
    if session.collapse:
        return session.collapse[0].reason
    return session.message


def _which_resp(session: TraceSession) -> str:
    kind = session.history[-1].kind
    if kind == "init":
        return "Before the first E-step every point is shared equally."
    if kind == "E":
        return f"The responsibilities of E-step {session.iteration}."
    return (f"The responsibilities M-step {session.iteration} used; the next E-step "
            "recomputes them.")


def table_html(session: TraceSession) -> str:
    """Every point × every component: r_ik, the row's largest marked, with the column totals."""
    resp = np.asarray(session.resp, dtype=float)
    X = np.asarray(session.X, dtype=float)
    K = resp.shape[1]
    colors = geometry.palette(K)
    head = "".join(f'<th><span class="swatch" style="background:{colors[k]}"></span>'
                   f"r<sub>i{k + 1}</sub></th>" for k in range(K))
    assigned = session.history[-1].kind != "init"
    rows = []
    for i in range(X.size):
        best = int(np.argmax(resp[i]))
        cells = "".join(f'<td{" class=best" if assigned and k == best else ""}>'
                        f"{number(resp[i, k])}</td>" for k in range(K))
        rows.append(f'<tr data-point="{i}"><td>x{i + 1}</td><td>{fixed(X[i])}</td>{cells}</tr>')
    totals = "".join(f"<td>{number(v)}</td>" for v in resp.sum(axis=0))
    return (f'<table class="resp"><thead><tr><th>Point</th><th>x</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody><tfoot><tr><td colspan="2">N<sub>k</sub> '
            f"(sum)</td>{totals}</tr></tfoot></table>"
            f'<div class="caption">{html.escape(_which_resp(session))}</div>')


def point_html(session: TraceSession, i: int) -> str:
    """Point i's E-step term by term: π_k 𝒩(x | μ_k, σ_k²) for each k, their sum, each r."""
    terms = session.point_terms(i)
    mixture = session.mixture
    K = mixture.n_components
    colors = geometry.palette(K)
    name = f"x{_sub(i + 1)}"
    when = ("what the next E-step computes" if session.phase == "E"
            else "what the last E-step computed")
    rows = []
    for k in range(K):
        rows.append(
            f'<tr><td><span class="swatch" style="background:{colors[k]}"></span>'
            f"π{_sub(k + 1)} 𝒩({name} | μ{_sub(k + 1)}, σ{_sub(k + 1)}²)</td>"
            f"<td>= {number(terms.weights[k])} × 𝒩({fixed(terms.x)} | {number(mixture.means[k])}, "
            f"{number(mixture.variances[k])})</td>"
            f"<td>= {number(terms.weights[k])} × {number(terms.densities[k])}</td>"
            f"<td>= {number(terms.weighted[k])}</td></tr>")
    rows.append(f'<tr class="sum"><td>p({name}), the sum</td><td></td><td></td>'
                f"<td>= {number(terms.total)}</td></tr>")
    resp = " · ".join(
        f"r{_sub(k + 1)} = {number(terms.weighted[k])} / {number(terms.total)} = "
        f"<b>{number(terms.resp[k])}</b>" for k in range(K))
    return (f'<div class="caption">{name} = {fixed(terms.x)}: {when}.</div>'
            f'<table class="sums">{"".join(rows)}</table><div class="resp-line">{resp}</div>')


def component_html(session: TraceSession, k: int) -> str:
    """Component k's latest M-step term by term: N_k, π_k, Σ r x, μ_k, Σ r (x − μ)², σ_k²."""
    terms = session.component_terms(k)
    if terms is None:
        return ('<div class="caption">Take an M-step: the sums behind this component\'s new '
                "weight, mean and variance show here.</div>")
    c = _sub(k + 1)
    n = session.X.size
    if not terms.nk > 0:
        return f'<div class="caption">Component {k + 1} holds none of the points.</div>'
    floor = session.reg_covar
    plus = f" + ε ({number(floor)})" if floor else ""
    lines = [
        f"N{c} = Σ r<sub>i{k + 1}</sub> = <b>{number(terms.nk)}</b>",
        f"π{c} = N{c} / {n} = <b>{number(terms.weight)}</b>",
        f"Σ r<sub>i{k + 1}</sub> x<sub>i</sub> = {number(terms.weighted_sum)}",
        f"μ{c} = {number(terms.weighted_sum)} / {number(terms.nk)} = <b>{number(terms.mean)}</b>",
        f"Σ r<sub>i{k + 1}</sub> (x<sub>i</sub> − μ{c})² = {number(terms.scatter)}",
        f"σ{c}² = {number(terms.scatter)} / {number(terms.nk)}{plus} = "
        f"<b>{number(terms.variance)}</b>",
    ]
    return (f'<div class="caption">M-step {session.iteration} for component {k + 1}, from the '
            f"responsibilities in the table.</div>"
            f'<ul class="msteps">{"".join(f"<li>{line}</li>" for line in lines)}</ul>')


_CSS = """
:host { font-size: 15px; line-height: 1.45; }
:host(.emlab-trace-card) { background: white; border: 1px solid #e2e2ea; border-radius: 10px;
        box-shadow: 0 1px 3px rgba(20, 20, 50, .06); padding: 8px 4px; }
.emlab-title { display: flex; align-items: baseline; flex-wrap: wrap; gap: 6px 18px;
               padding: 12px 22px; background: linear-gradient(90deg, #12324f, #1d4f7a);
               color: white; }
.emlab-title .name { font-size: 26px; font-weight: 800; letter-spacing: .02em; }
.emlab-title .sub { font-size: 16px; opacity: .85; }
.emlab-title .back { margin-left: auto; color: white; font-weight: 600; }
a.back.plain { color: #1d4f7a; font-weight: 600; }
.heading { font-weight: 700; font-size: 13px; letter-spacing: .06em; text-transform: uppercase;
           color: #4a4a68; }
.emlab-trace-status { display: flex; flex-wrap: wrap; justify-content: space-between;
                      gap: 4px 16px; font-size: 16px; }
.emlab-trace-status .next { font-weight: 700; color: #12324f; }
.emlab-trace-status .ll { color: #44445a; white-space: nowrap; }
.message { color: #8a2a0a; font-size: 14px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.resp { width: 100%; max-width: 560px; }
table.resp th, table.resp td { padding: 3px 10px; text-align: right; border-bottom: 1px solid
                               #ececf2; }
table.resp th:first-child, table.resp td:first-child { text-align: left; }
table.resp td.best { font-weight: 700; background: #f1f5fb; }
table.resp tfoot td { color: #44445a; border-bottom: none; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 6px;
          margin-right: 5px; vertical-align: baseline; }
.caption { font-size: 13px; color: #5a5a72; margin: 4px 0; }
table.sums td { padding: 2px 8px 2px 0; white-space: nowrap; }
table.sums tr.sum td { border-top: 1px solid #d8d8e2; font-weight: 600; }
.emlab-trace-point, .emlab-trace-component { overflow-x: auto; }
.resp-line { margin: 4px 0 8px 0; }
ul.msteps { margin: 4px 0; padding-left: 18px; }
.emlab-trace-notes p, :host(.emlab-trace-notes) p { background: #fff6e0; border-left: 4px solid
        #c98a00; padding: 6px 10px; margin: 0 0 10px 0; border-radius: 6px; }
"""
