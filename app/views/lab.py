"""The whole lab in one layout: controls on the left, the plot in the middle, the trace and
narration on its right (or under it, in a narrower window), the explorers' tabs under the plot.

Owns: composition only (which view goes where, the page's CSS). It creates one ViewState and one of
each view for a session; it adds no behaviour of its own. Works as a full page and embedded
(``embedded=True`` drops the title bar so a course page can frame it). Imports panel and param.
"""

from __future__ import annotations

import html

import panel as pn
import param

from app import urlstate
from app.lesson_run import LessonRun
from app.prediction import Prediction
from app.views.controls import Controls
from app.views.data import DataPanel
from app.views.explore import ModelSelection, RestartsExplorer
from app.views.export import ExportPanel
from app.views.inspect import PointInspector
from app.views.lessons import LessonsPanel
from app.views.loglik import LogLikelihoodPlot
from app.views.narration import NarrationPanel
from app.views.plot import MainPlot
from app.views.predict import PredictPanel
from app.views.resptable import ResponsibilityTable
from app.views.share import LinkNotes, ShareLink
from app.views.state import ViewState


# The parts a link may hide that are tabs of the explorers, and those that are cards of this
# layout or a card's contents (the trace under the status line); the others change how a view
# lays itself out (see Lab.open_link).
TAB_PARTS = frozenset({"inspect", "predict", "restarts", "bic", "upload", "export"})
CARD_PARTS = frozenset({"share", "data", "narration", "loglik"})


class Lab(pn.viewable.Viewer):
    """Every view of one session, laid out for a projector."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    embedded = param.Boolean(default=False, doc="Leave out the title bar (the page frames the lab).")
    hidden = param.Parameter(default=frozenset(), doc="Parts of the screen a lesson link hides "
                             "(names from app.urlstate.HIDEABLE).")
    link_notes = param.List(default=[], doc="What the opening link asked for and did not get "
                            "(HTML-escaped sentences from app.urlstate.apply).")
    lesson = param.String(default=None, allow_None=True, doc="The lesson the opening link "
                          "starts (its name), or None.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.session
        self.hidden = frozenset(self.hidden)
        self.view_state = ViewState()
        shared = dict(session=s, view_state=self.view_state)
        # A lesson link's lesson sets the session up before the views first draw it, and hides
        # what the lesson hides (a shared link keeps only the link's own hide).
        link_hidden = self.hidden
        self.lesson_run = LessonRun(session=s, view_state=self.view_state, hidden=self.hidden)
        self._start_lesson()
        self.lessons = LessonsPanel(run=self.lesson_run)
        self.plot = MainPlot(**shared)
        self.controls = Controls(**shared, hidden=self.hidden)
        self.share = ShareLink(session=s, hidden=link_hidden, embedded=self.embedded,
                               lesson_run=self.lesson_run)
        self.notes = LinkNotes(notes=list(self.link_notes))
        self.loglik = LogLikelihoodPlot(session=s)
        self.narration = NarrationPanel(session=s)
        self.inspector = PointInspector(**shared)
        self.resp_table = ResponsibilityTable(**shared)   # shown for small data sets only
        self.restarts = RestartsExplorer(session=s)
        self.model_selection = ModelSelection(session=s)
        self.data = DataPanel(**shared)
        self.export = ExportPanel(**shared)
        self.prediction = Prediction(session=s, view_state=self.view_state)
        self.lesson_run.prediction = self.prediction  # a lesson's 'predicted' steps count them
        self.predict = PredictPanel(prediction=self.prediction, view_state=self.view_state,
                                    figure=self.plot.figure)
        self._layout = self._build()
        # A lesson picked on the page hides the tabs its file hides, while it runs.
        self.lesson_run.param.watch(self._on_lesson, "lesson")

    def _on_lesson(self, *events):
        run = self.lesson_run
        lesson_hides = run.lesson.setup.hide & TAB_PARTS if run.running else frozenset()
        self._show_tabs(self.hidden | lesson_hides)

    def _show_tabs(self, hidden):
        """Show the explorers' tabs not ``hidden`` (nothing is sent if they are shown already)."""
        tabs = self._tab_list(hidden)
        if [title for title, _ in tabs] != self._tab_titles:
            self._tab_titles = [title for title, _ in tabs]
            self._tabs[:] = tabs
            self._tabs_card.visible = bool(tabs)

    def _start_lesson(self):
        """Start the opening link's lesson, if any: it hides what it hides, or says why not."""
        if self.lesson is None:
            return
        if self.lesson_run.start(self.lesson):
            self.hidden = self.hidden | self.lesson_run.lesson.setup.hide
            self.lesson_run.hidden = self.hidden
        else:
            self.link_notes = [*self.link_notes, html.escape(self.lesson_run.message)]

    def open_link(self, link) -> bool:
        """Bring this lab, as it opened without a query, to what ``link`` (app.urlstate.UrlState)
        asks for, by changes that reach the page like any other; the same lab as one opened with
        that link. The static site's memory snapshot holds the lab built without a query: a page
        with a query is opened from it this way, instead of building every view again.

        False, with nothing changed, when the link needs views built otherwise: parts hidden
        other than the explorers' tabs and the layout's cards (a view lays itself out without
        them), or this lab was not opened without a query.
        """
        if self.embedded or self.hidden or self.lesson is not None or self.link_notes:
            return False
        hidden = frozenset(link.hide)
        lesson = self.lesson_run.lessons.get(link.lesson) if link.lesson is not None else None
        if not (hidden | (lesson.setup.hide if lesson else frozenset())) <= TAB_PARTS | CARD_PARTS:
            return False
        # (Only what the link changes is set: every change is a part of the page's first patch.)
        notes = urlstate.apply(self.session, link)
        self.param.update(embedded=link.embed, hidden=hidden, lesson=link.lesson,
                          link_notes=notes)
        self.share.param.update(hidden=hidden, embedded=link.embed)
        self.lesson_run.hidden = hidden
        self._start_lesson()
        if self.link_notes:
            self.notes.notes = list(self.link_notes)
        self._show_tabs(self.hidden)
        for layout, objects in ((self._left, self._left_cards()),
                                (self._right, self._right_cards()),
                                (self._trace_card, self._trace_card_contents())):
            if layout.objects != objects:  # (the cards a link hides leave the page)
                layout.objects = objects
        if self.embedded:
            self._center.stylesheets = [_plot_css(self.embedded)]
            self._layout.objects = [self._body]
        return True

    def _left_cards(self):
        """The left column's cards not hidden: the Share box, the data set picker, the controls."""
        return [card for part, card in (("share", self._share_card), ("data", self._data_card),
                                        ("controls", self._controls_card))
                if part not in self.hidden]

    def _right_cards(self):
        """The right column's cards: the lesson beside the plot, above the trace (in narrower
        windows, with the right column under the plot, after the status line and trace, which
        stay on the first screen), the status line and trace, the narration. A refused action's
        message stays on screen when the narration is hidden (it hides itself when there is
        none; an empty card would not)."""
        talk = self._talk_card if "narration" not in self.hidden else self.narration.message
        return [self._lessons_card, self._trace_card, talk]

    def _trace_card_contents(self):
        """The status line (iteration, next half-step, log-likelihood), always on screen, with
        the trace under it unless hidden."""
        return [self._loglik_view if "loglik" not in self.hidden else self.loglik.status]

    def _tab_list(self, hidden):
        """The explorers' tabs not ``hidden``: (title, view) pairs."""
        return [(title, view) for part, title, view in (
            ("inspect", "Inspect", self._inspect_tab),
            ("predict", "Predict", self.predict),
            ("restarts", "Restarts", self.restarts),
            ("bic", "Model selection", self.model_selection),
            ("upload", "Data", self._data_tab),
            ("export", "Export", self.export),
        ) if part not in hidden]

    def _build(self):
        card = dict(sizing_mode="stretch_width", css_classes=["emlab-card"],
                    stylesheets=[_CARD_CSS], margin=(0, 0, 12, 0))
        column = dict(sizing_mode="stretch_width", margin=0)
        # The plot's stretch_both makes every layout around it stretch_both too (Panel infers it
        # from the children; said explicitly, it does not warn). The heights that implies
        # (`height: 100%` of the window) are undone in _GRID_CSS and _PAGE_CSS.
        stretch = dict(sizing_mode="stretch_both", margin=0)
        self._share_card = pn.Column(self.share, **card)
        self._data_card = pn.Column(self.data.picker_view(), **card)
        self._controls_card = pn.Column(self.controls, **card)
        left = self._left = pn.Column(*self._left_cards(), css_classes=["emlab-left"], **column)
        center = self._center = pn.Column(
            self.notes,
            # stretch_both: the plot fills its card, whose height comes from _plot_css. The
            # collapse banner lies over the card (it does not push the plot down).
            pn.Column(self.plot, self.narration.banner, sizing_mode="stretch_both",
                      margin=(0, 0, 12, 0), css_classes=["emlab-card", "emlab-plot-card"],
                      stylesheets=[_CARD_CSS]),
            css_classes=["emlab-center"], stylesheets=[_plot_css(self.embedded)], **stretch,
        )
        self._inspect_tab = pn.Column(self.resp_table, self.inspector, sizing_mode="stretch_width")
        self._data_tab = self.data.editing_view()
        tabs = self._tab_list(self.hidden)
        self._lessons_card = pn.Column(self.lessons, **card)
        self._loglik_view = pn.panel(self.loglik)  # (once: a card holds it, or its status alone)
        self._trace_card = pn.Column(*self._trace_card_contents(),
                                     **{**card, "css_classes": ["emlab-card", "emlab-trace-card"]})
        self._talk_card = pn.Column(self.narration.message, self.narration.text, **card)
        right = self._right = pn.Column(*self._right_cards(), css_classes=["emlab-right"],
                                        stylesheets=[_RIGHT_CSS], **column)
        # dynamic: only the open tab is rendered; the others when opened (the static site's
        # start builds, serialises and draws a quarter fewer models).
        self._tabs = pn.Tabs(*tabs, sizing_mode="stretch_width", dynamic=True)
        self._tab_titles = [title for title, _ in tabs]  # what the tabs show
        self._tabs_card = pn.Column(self._tabs, visible=bool(tabs),
                                    **{**card, "css_classes": ["emlab-card", "emlab-tabs"]})
        # A CSS grid (_GRID_CSS) places the parts by the window's width. Every part is as tall as
        # its content and the page scrolls: nothing is given the window's height, so nothing
        # overflows into a neighbour.
        body = self._body = pn.Column(left, center, right, self._tabs_card,
                                      sizing_mode="stretch_both",
                         margin=(12, 12), css_classes=["emlab-body"], stylesheets=[_GRID_CSS])
        if self.embedded:
            return pn.Column(body, sizing_mode="stretch_both", stylesheets=[_PAGE_CSS])
        header = pn.pane.HTML(
            '<div class="emlab-title"><span class="name">EM Lab</span>'
            '<span class="sub">Expectation–Maximization on 2-D Gaussian mixtures, one half-step '
            "at a time</span></div>",
            sizing_mode="stretch_width", stylesheets=[_HEADER_CSS], margin=0,
        )
        return pn.Column(header, body, sizing_mode="stretch_both", stylesheets=[_PAGE_CSS])

    def __panel__(self):
        return self._layout


_CARD_CSS = """
:host(.emlab-card) { background: white; border: 1px solid #e2e2ea; border-radius: 10px;
                     box-shadow: 0 1px 3px rgba(20, 20, 50, .06); padding: 8px 4px; }
"""
# Three layouts, by the window's width (a framed lab's width is its frame's):
#   wide (1240 px and up; 310 + 440 + 420 px and the gaps): controls | plot | status, trace,
#     narration; the tabs under the plot.
#   medium (761 to 1239 px, an 800 px course-page frame among them): controls | plot, with the
#     status, trace, narration and tabs under the plot.
#   phone (760 px and less): one column, the plot first.
# Panel gives each layout `max-height: 100%` and `height: 100%` for stretch_both; the grid's rows
# are as tall as their content instead (the cause of issue 11: with the page's height imposed,
# the control column overflowed into the row the flex box wrapped below it).
_WIDE, _PHONE = "@media (min-width: 1240px)", "@media (max-width: 760px)"
_GRID_CSS = """
:host(.emlab-body) { display: grid; gap: 0 12px; height: auto; max-height: none; flex: none;
        grid-template-columns: 310px minmax(0, 1fr);
        grid-template-rows: auto auto 1fr;
        grid-template-areas: "left center" "left right" "left tabs"; }
.emlab-left { grid-area: left; } .emlab-center { grid-area: center; }
.emlab-right { grid-area: right; } .emlab-tabs { grid-area: tabs; }
.emlab-left, .emlab-center, .emlab-right, .emlab-tabs {
  width: auto; min-width: 0; height: auto; max-height: none; align-self: start; }
.scroll-button { display: none; }
""" + _WIDE + """ {
  :host(.emlab-body) { grid-template-columns: 310px minmax(440px, 1fr) 420px;
          grid-template-rows: auto 1fr;
          grid-template-areas: "left center right" "left tabs right"; }
}
""" + _PHONE + """ {
  :host(.emlab-body) { grid-template-columns: minmax(0, 1fr); grid-template-rows: none;
          grid-template-areas: "center" "left" "right" "tabs"; }
}
"""

# Below the wide layout the status line and trace come first in the right column (see _build).
_RIGHT_CSS = "@media (max-width: 1239px) { .emlab-trace-card { order: -1; } }"


def _plot_css(embedded: bool) -> str:
    """The plot card's height: as wide as it is tall at most, and short enough to leave on the
    first screen what a teacher reaches for next (the status line under the plot in the medium
    layout, the tab headers in the wide one). On a phone it is about as tall as the screen is
    wide."""
    top = 12 if embedded else 73  # the title bar (61 px) and the body's margin
    return f"""
.emlab-plot-card {{ position: relative; flex: none; height: auto; aspect-ratio: 1 / 1;
                   min-height: 300px; max-height: calc(100vh - {top}px - 160px); }}
{_WIDE} {{
  .emlab-plot-card {{ max-height: calc(100vh - {top}px - 140px); }}
}}
{_PHONE} {{
  .emlab-plot-card {{ aspect-ratio: auto; height: max(480px, 95vw); max-height: none; }}
}}
"""


_HEADER_CSS = """
.emlab-title { display: flex; align-items: baseline; gap: 18px; padding: 12px 22px;
               background: linear-gradient(90deg, #12324f, #1d4f7a); color: white; }
.emlab-title .name { font-size: 26px; font-weight: 800; letter-spacing: .02em; }
.emlab-title .sub { font-size: 16px; opacity: .85; }
"""
_PAGE_CSS = """
:host { background: #f3f4f8; height: auto; min-height: 100vh; }
"""
