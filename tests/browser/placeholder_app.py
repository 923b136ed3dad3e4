"""A small Panel app that exercises what the lab needs from the Pyodide build, without the lab.

Used by tests/browser/test_static_site.py to test build.py's pipeline on its own: numpy, a Bokeh
scatter with a PointDrawTool whose drags reach Python, a button whose clicks Python counts, and a
matplotlib PNG drawn on demand (matplotlib is not loaded at start-up; app.runtime loads it).
The "runtime" line is rendered by Python, so it says CPython on the prerendered page and Pyodide
once the browser side is live.
"""

import io
import platform

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, PointDrawTool
from bokeh.plotting import figure

from app import runtime

pn.extension(notifications=False)

rng = np.random.default_rng(0)
X = rng.normal(size=(200, 2))
points = ColumnDataSource(data={"x": X[:, 0], "y": X[:, 1]})
handles = ColumnDataSource(data={"x": [-1.0, 1.0], "y": [0.0, 0.0]})

plot = figure(width=420, height=320, title="placeholder", toolbar_location="above")
plot.scatter("x", "y", source=points, size=4, alpha=0.5)
handle_renderer = plot.scatter("x", "y", source=handles, size=14, color="crimson")
plot.add_tools(PointDrawTool(renderers=[handle_renderer]))

where = pn.pane.Str(f"runtime: {platform.python_implementation()} {platform.system()}")
counter = pn.pane.Str("clicks: 0")
means = pn.pane.Str("handles: -1.00,0.00 1.00,0.00")
button = pn.widgets.Button(name="Step", button_type="primary")
clicks = {"n": 0}


def _on_click(event):
    clicks["n"] += 1
    # Real numpy work in the callback, so a click costs what an EM half-step costs.
    shift = np.full(2, 0.01 * clicks["n"])
    moved = X + shift
    points.data = {"x": moved[:, 0], "y": moved[:, 1]}
    counter.object = f"clicks: {clicks['n']}"


def _on_handles(attr, old, new):
    means.object = "handles: " + " ".join(f"{x:.2f},{y:.2f}" for x, y in zip(new["x"], new["y"]))


async def _png():
    await runtime.load_packages("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    FigureCanvasAgg(fig)
    fig.add_subplot().scatter(X[:, 0], X[:, 1], s=2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    return buffer


button.on_click(_on_click)
handles.on_change("data", _on_handles)
download = pn.widgets.FileDownload(callback=_png, filename="placeholder.png", label="Export PNG",
                                   embed=False)

pn.Column(where, counter, means, button, download, plot).servable(title="EM Lab placeholder")
