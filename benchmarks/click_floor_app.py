"""The floor of a click in this stack: the smallest Panel page that does what a half-step does.

benchmarks/browser.py builds it into a site of its own with build.py (same Pyodide, Panel, Bokeh,
worker and page script as the lab) and times its click-to-paint beside the lab's: the lab's
figure divided by this one is the lab's own overhead; this one is what the stack costs.

One Bokeh figure as large as the lab's main plot, with N per-point-coloured circles (N from the
query string: ``?n=2000``), and one button that recolours them from numpy, as an E-step does, with
a status line whose ``data-phase`` flips on each click (what benchmarks/browser.py waits for).
"""

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Scatter
from bokeh.plotting import figure

from app import geometry, runtime

pn.extension(notifications=False, sizing_mode="stretch_width")

query = dict(part.split("=", 1) for part in runtime.query_string().lstrip("?").split("&")
             if "=" in part)
n_samples = int(query.get("n", 2000))
rng = np.random.default_rng(0)
X = rng.normal(size=(n_samples, 2))


def colors(seed: int) -> np.ndarray:
    """Packed RGBA as the lab sends its point colours: a random blend of 6 colours per point."""
    weights = np.random.default_rng(seed).dirichlet(np.ones(6), size=n_samples)
    return geometry.pack_rgba(weights @ np.random.default_rng(1).random((6, 3)), 0.85)


points = ColumnDataSource({"x": X[:, 0], "y": X[:, 1], "color": colors(0)}, name="ref-points")
plot = figure(sizing_mode="stretch_both", min_height=600, tools="pan,wheel_zoom,reset",
              output_backend="webgl")
plot.add_glyph(points, Scatter(x="x", y="y", size=6, fill_color={"field": "color"},
                               line_color=None))
status = pn.pane.HTML('<div class="emlab-status" data-phase="0">clicks: 0</div>')
button = pn.widgets.Button(label="Recolour", button_type="primary", width=200)
clicks = 0


def recolour(event):
    global clicks
    clicks += 1
    points.data.update(color=colors(clicks))
    status.object = f'<div class="emlab-status" data-phase="{clicks}">clicks: {clicks}</div>'


button.on_click(recolour)
pn.Row(pn.Column(button, status, width=300),
       pn.Column(plot, sizing_mode="stretch_both", min_height=600),
       sizing_mode="stretch_both").servable(title="Click floor (benchmark reference)")
