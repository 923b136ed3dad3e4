"""The Predict tab: guess what the next half-step will do, then take it and see (app.prediction).

Owns: the tab's buttons (guess the means before an M-step, a point's colour before an E-step,
call it off), the component choice for a colour guess, the outcome text, and two renderers it adds
to the main plot: the guessed means (× in each component's colour, numbered) and, once revealed,
a dashed line from each guess to the mean the M-step found. Clicks on the plot place the guesses
while the means are being guessed (ViewState.guessing tells the plot to leave them alone).
Imports panel, param, bokeh, numpy, app.geometry and app.prediction.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, Scatter, Segment, Text

from app import geometry
from app.prediction import Prediction
from app.views.state import ViewState


class PredictPanel(pn.viewable.Viewer):
    """Predict-then-reveal for the means and for one point's colour."""

    prediction = param.ClassSelector(class_=Prediction)
    view_state = param.ClassSelector(class_=ViewState)
    figure = param.Parameter(doc="The main plot's Bokeh figure (guesses are drawn on it).")

    def __init__(self, **params):
        super().__init__(**params)
        p = self.prediction
        self.means_button = pn.widgets.Button(
            label="Guess the means", color="primary", sizing_mode="stretch_width",
            description="Before an M-step: click where each mean will move")
        self.colour_button = pn.widgets.Button(
            label="Guess a point's colour", color="primary", sizing_mode="stretch_width",
            description="Before an E-step: which component will take the pinned point")
        self.cancel_button = pn.widgets.Button(label="Call it off", sizing_mode="stretch_width",
                                               visible=False)
        self.choice = pn.widgets.RadioButtonGroup(options=["1"], value=None,
                                                  visible=False, sizing_mode="stretch_width")
        self.outcome = pn.pane.Markdown(
            "Before a half-step, say what it will do; then take it and compare. The means move "
            "in an M-step; the colours change in an E-step.",
            sizing_mode="stretch_width", margin=(0, 10), css_classes=["emlab-prediction"])
        self.means_button.on_click(lambda event: p.start_means())
        self.colour_button.on_click(lambda event: p.start_colour())
        self.cancel_button.on_click(lambda event: p.cancel("Prediction called off."))
        self.choice.param.watch(self._on_choice, "value")

        self.guesses = ColumnDataSource({"x": [], "y": [], "color": [], "label": []},
                                        name="emlab-guesses")
        self.misses = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": [], "color": []},
                                       name="emlab-guess-misses")
        self.figure.add_glyph(self.misses, Segment(x0="x0", y0="y0", x1="x1", y1="y1",
                                                   line_color="color", line_width=2,
                                                   line_dash="dashed"))
        self.figure.add_glyph(self.guesses, Scatter(x="x", y="y", marker="x", size=18,
                                                    line_color="color", line_width=4))
        self.figure.add_glyph(self.guesses, Text(x="x", y="y", text="label", x_offset=10,
                                                 y_offset=-8, text_color="color",
                                                 text_font_size={"value": "15px"},
                                                 text_font_style="bold"))
        self.figure.on_event(Tap, self._on_tap)
        p.param.watch(self._on_prediction, ["kind", "guesses", "outcome", "revealed"])
        self._on_prediction()

    def __panel__(self):
        return pn.Column(pn.Row(self.means_button, self.colour_button,
                                sizing_mode="stretch_width"),
                         self.choice, self.cancel_button, self.outcome,
                         sizing_mode="stretch_width")

    def _on_tap(self, event):
        if self.prediction.kind == "means" and event.x is not None and event.y is not None:
            self.prediction.place(event.x, event.y)

    def _on_choice(self, event):
        if event.new is not None:
            self.prediction.choose(int(event.new) - 1)

    def _on_prediction(self, *events):
        p = self.prediction
        k = p.session.n_components
        self.view_state.guessing = p.kind == "means"
        self.cancel_button.visible = p.kind is not None
        choosing = p.kind == "colour"
        if choosing:
            self.choice.options = [str(j + 1) for j in range(k)]
            if p.component is None:
                self.choice.value = None
        self.choice.visible = choosing
        self.outcome.object = p.outcome
        self._draw()

    def _draw(self):
        p = self.prediction
        guesses = np.asarray(p.guesses, dtype=float).reshape(-1, 2)
        colors = list(geometry.palette(max(p.session.n_components, 1)))[:len(guesses)]
        self.guesses.data = {"x": guesses[:, 0], "y": guesses[:, 1], "color": colors,
                             "label": [str(j + 1) for j in range(len(guesses))]}
        revealed = p.revealed if p.kind is None and isinstance(p.revealed, dict) else None
        if revealed is not None and "means" in revealed and len(guesses):
            means = np.asarray(revealed["means"], dtype=float)[:len(guesses)]
            self.misses.data = {"x0": guesses[:, 0], "y0": guesses[:, 1], "x1": means[:, 0],
                                "y1": means[:, 1], "color": colors}
        elif len(self.misses.data["x0"]):
            self.misses.data = {"x0": [], "y0": [], "x1": [], "y1": [], "color": []}
