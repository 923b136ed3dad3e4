"""The whole lab in one layout: controls on the left, the plot in the middle, the trace, narration
and explorers on the right.

Owns: composition only (which view goes where, the page's CSS). It creates one ViewState and one of
each view for a session; it adds no behaviour of its own. Works as a full page and embedded
(``embedded=True`` drops the title bar so a course page can frame it). Imports panel and param.
"""

from __future__ import annotations

import panel as pn
import param

from app.views.controls import Controls
from app.views.data import DataPanel
from app.views.explore import ModelSelection, RestartsExplorer
from app.views.export import ExportPanel
from app.views.inspect import PointInspector
from app.views.loglik import LogLikelihoodPlot
from app.views.narration import NarrationPanel
from app.views.plot import MainPlot
from app.views.share import LinkNotes, ShareLink
from app.views.state import ViewState


class Lab(pn.viewable.Viewer):
    """Every view of one session, laid out for a projector."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    embedded = param.Boolean(default=False, doc="Leave out the title bar (the page frames the lab).")
    hidden = param.Parameter(default=frozenset(), doc="Parts of the screen a lesson link hides "
                             "(names from app.urlstate.HIDEABLE).")
    link_notes = param.List(default=[], doc="What the opening link asked for and did not get "
                            "(HTML-escaped sentences from app.urlstate.apply).")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.session
        self.hidden = frozenset(self.hidden)
        self.view_state = ViewState()
        shared = dict(session=s, view_state=self.view_state)
        self.plot = MainPlot(**shared)
        self.controls = Controls(**shared, hidden=self.hidden)
        self.share = ShareLink(session=s, hidden=self.hidden, embedded=self.embedded)
        self.notes = LinkNotes(notes=list(self.link_notes))
        self.loglik = LogLikelihoodPlot(session=s)
        self.narration = NarrationPanel(session=s)
        self.inspector = PointInspector(**shared)
        self.restarts = RestartsExplorer(session=s)
        self.model_selection = ModelSelection(session=s)
        self.data = DataPanel(**shared)
        self.export = ExportPanel(**shared)
        self._layout = self._build()

    def _build(self):
        card = dict(sizing_mode="stretch_width", css_classes=["emlab-card"],
                    stylesheets=[_CARD_CSS], margin=(0, 0, 12, 0))
        shown = lambda part: part not in self.hidden  # noqa: E731
        left = pn.Column(
            *([pn.Column(self.share, **card)] if shown("share") else []),
            *([pn.Column(self.data.picker_view(), **card)] if shown("data") else []),
            pn.Column(self.controls, **card),
            width=310, margin=(0, 12, 0, 0), css_classes=["emlab-left"],
        )
        center = pn.Column(
            self.notes,
            self.narration.banner,
            # The plot takes the window's height (less the title bar): on a projector it is the
            # largest thing on the screen, whatever the resolution.
            pn.Column(self.plot, sizing_mode="stretch_both",
                      css_classes=["emlab-card", "emlab-plot-card"], stylesheets=[_CARD_CSS],
                      styles={"height": f"calc(100vh - {40 if self.embedded else 100}px)"}),
            sizing_mode="stretch_both", min_width=440, styles={"flex": "1 1 440px"},
            css_classes=["emlab-center"], stylesheets=[_NARROW_PLOT_CSS],
        )
        tabs = [(title, view) for part, title, view in (
            ("inspect", "Inspect", self.inspector),
            ("restarts", "Restarts", self.restarts),
            ("bic", "Model selection", self.model_selection),
            ("upload", "Data", self.data.editing_view()),
            ("export", "Export", self.export),
        ) if shown(part)]
        # A refused action's message stays on screen even when the narration is hidden (the
        # message hides itself when there is none; an empty card would not).
        talk = (pn.Column(self.narration.message, self.narration.text, **card)
                if shown("narration") else self.narration.message)
        right = pn.Column(
            # The status line (iteration, next half-step, log-likelihood) is always on screen.
            pn.Column(self.loglik if shown("loglik") else self.loglik.status, **card),
            talk,
            # dynamic: only the open tab is rendered; the others when opened (the static site's
            # start builds, serialises and draws a quarter fewer models).
            *([pn.Column(pn.Tabs(*tabs, sizing_mode="stretch_width", dynamic=True), **card)]
              if tabs else []),
            width=420, margin=(0, 0, 0, 12), css_classes=["emlab-right"],
        )
        # stretch_both all the way up: the plot's card takes its height from CSS (above) and Panel
        # would otherwise widen every parent's sizing mode itself, with a warning.
        # A flex box that wraps: in a narrow frame (an embedded lab) the trace and narration move
        # below the plot instead of forcing a horizontal scroll bar.
        # On a phone the three columns stack, the plot first (see _NARROW_CSS).
        body = pn.FlexBox(left, center, right, flex_wrap="wrap", align_items="flex-start",
                          sizing_mode="stretch_both", margin=(12, 12), stylesheets=[_NARROW_CSS])
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
# A phone (or any window narrower than the side columns plus a usable plot): every column takes the
# full width, the plot comes first and is about as tall as it is wide. !important overrides the
# widths Bokeh's layout writes into each column's style attribute.
_NARROW = "@media (max-width: 760px)"
_NARROW_CSS = _NARROW + """ {
  .emlab-left, .emlab-center, .emlab-right {
    width: 100% !important; min-width: 0 !important; max-width: 100% !important;
    height: auto !important; max-height: none !important; flex: 1 1 100% !important;
    margin: 0 0 12px 0 !important; }
  .emlab-center { order: -1; }
}
"""
_NARROW_PLOT_CSS = _NARROW + """ {
  .emlab-plot-card { height: max(480px, 95vw) !important; }
}
"""
_HEADER_CSS = """
.emlab-title { display: flex; align-items: baseline; gap: 18px; padding: 12px 22px;
               background: linear-gradient(90deg, #12324f, #1d4f7a); color: white; }
.emlab-title .name { font-size: 26px; font-weight: 800; letter-spacing: .02em; }
.emlab-title .sub { font-size: 16px; opacity: .85; }
"""
_PAGE_CSS = """
:host { background: #f3f4f8; }
"""
