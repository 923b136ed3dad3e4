"""The export panel: download the current figure (PNG, SVG), parameters (JSON), responsibilities (CSV).

Owns: four FileDownload buttons whose callbacks call app.export with the session's current state
(matplotlib is imported by app.export only when a figure is asked for), and the PNG's resolution.
Imports panel, param and app.export.
"""

from __future__ import annotations

import io
import re

import panel as pn
import param

from app import export, runtime
from app.views.state import ViewState


class ExportPanel(pn.viewable.Viewer):
    """Download buttons for the current state of the lab."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        common = dict(embed=False, sizing_mode="stretch_width", color="default", height=40)
        self.png = pn.widgets.FileDownload(callback=self._png, filename="emlab.png",
                                           label="Figure (PNG)", **common)
        self.svg = pn.widgets.FileDownload(callback=self._svg, filename="emlab.svg",
                                           label="Figure (SVG)", **common)
        self.json = pn.widgets.FileDownload(callback=self._json, filename="emlab-parameters.json",
                                            label="Parameters (JSON)", **common)
        self.csv = pn.widgets.FileDownload(callback=self._csv,
                                           filename="emlab-responsibilities.csv",
                                           label="Responsibilities (CSV)", **common)
        self.dpi = pn.widgets.RadioButtonGroup(
            label="PNG resolution", value=export.DEFAULT_DPI, color="light",
            options={f"{label} ({dpi} dpi)": dpi for label, dpi in
                     zip(("Screen", "Slides", "Print"), export.DPI_CHOICES)},
            sizing_mode="stretch_width", description="Dots per inch of the PNG figure "
            "(8 × 6.5 inches); the SVG scales to any size")

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div style="font-size:13px;color:#333">PNG resolution</div>',
                         margin=(4, 10, 0, 10)),
            self.dpi,
            pn.Row(self.png, self.svg, sizing_mode="stretch_width"),
            pn.Row(self.json, self.csv, sizing_mode="stretch_width"),
            pn.pane.HTML('<div style="font-size:13px;color:#555">The figure is redrawn with '
                         "matplotlib from the current state: the same colours and 1σ/2σ "
                         "ellipses as the plot.</div>", margin=(0, 10)),
            sizing_mode="stretch_width",
        )

    def _stem(self):
        s = self.session
        name = re.sub(r"[^A-Za-z0-9]+", "-", s.data_name).strip("-").lower() or "data"
        return f"emlab-{name}-K{s.n_components}-it{s.iteration}"

    def _name(self, download, suffix):
        # Named when asked for (the name has the iteration in it): renaming all four on every
        # half-step cost the browser's Python ~1.5 ms a click for buttons usually out of sight.
        download.filename = self._stem() + suffix

    def _figure_kwargs(self):
        s = self.session
        kind = "k-means" if s.mode == "kmeans" else "EM"
        phase = "E-step" if s.phase == "E" else "M-step"
        return dict(
            hard=self.view_state.coloring == "hard" or s.mode == "kmeans",
            title=f"{s.data_name} · {kind}, K = {s.n_components} · iteration {s.iteration} "
                  f"(next: {phase})",
            columns=tuple(s.columns),
            collapsed=[e.component for e in s.collapse],
        )

    # Async because the Pyodide build starts without matplotlib: runtime.load_packages fetches it
    # on the first export (a no-op under panel serve). FileDownload awaits async callbacks.
    async def _png(self):
        self._name(self.png, ".png")
        await runtime.load_packages("matplotlib")
        s = self.session
        return io.BytesIO(export.png_bytes(s.X, s.mixture, s.display_resp(), dpi=self.dpi.value,
                                           **self._figure_kwargs()))

    async def _svg(self):
        self._name(self.svg, ".svg")
        await runtime.load_packages("matplotlib")
        s = self.session
        return io.BytesIO(export.svg_bytes(s.X, s.mixture, s.display_resp(),
                                           **self._figure_kwargs()))

    def _json(self):
        self._name(self.json, "-parameters.json")
        s = self.session
        text = export.parameters_json(
            s.mixture, dataset=s.data_name, mode=s.mode, iteration=s.iteration,
            next_half_step=s.phase, log_likelihood=s.current_log_likelihood(),
            reg_covar=s.reg_covar, init=s.init, seed=s.seed, converged=s.converged,
            collapsed_components=[e.component for e in s.collapse],
        )
        return io.StringIO(text)

    def _csv(self):
        self._name(self.csv, "-responsibilities.csv")
        s = self.session
        return io.StringIO(export.responsibilities_csv(s.X, s.display_resp(), tuple(s.columns)))
