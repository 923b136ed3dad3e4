"""The lab's Panel views. Each reads an app.session.Session and sends user actions back to it.

  MainPlot          data, ellipses and draggable means (plot.py)
  Controls          half-step buttons, Play, settings, "Break it", keyboard shortcuts (controls.py)
  LogLikelihoodPlot the live trace and the status line (loglik.py)
  NarrationPanel    collapse banner, messages, narration with equations (narration.py)
  RestartsExplorer, ModelSelection   many fits on demand (explore.py)
  PointInspector    the pinned point's table (inspect.py)
  ResponsibilityTable  every point x every component, for a small data set (resptable.py)
  DataPanel         data picker, add-point mode, CSV upload (data.py)
  ExportPanel       PNG/SVG/JSON/CSV downloads (export.py)
  Lab               all of them in one layout (lab.py)
  ViewState         presentation choices shared by the views (state.py)
  detached.install  a pane changed in a closed tab keeps its stylesheets on this server

Views import panel, bokeh, param, numpy and the lower layers (app.em, app.geometry, app.export,
app.data); the session and the engine never import views.
"""

from app.views import detached
from app.views.controls import Controls, KeyboardShortcuts
from app.views.data import DataPanel
from app.views.explore import ModelSelection, RestartsExplorer
from app.views.export import ExportPanel
from app.views.inspect import PointInspector
from app.views.lab import Lab
from app.views.loglik import LogLikelihoodPlot
from app.views.narration import NarrationPanel
from app.views.plot import MainPlot
from app.views.resptable import ResponsibilityTable
from app.views.state import ViewState

detached.install()

__all__ = [
    "Controls", "DataPanel", "ExportPanel", "KeyboardShortcuts", "Lab", "LogLikelihoodPlot",
    "MainPlot", "ModelSelection", "NarrationPanel", "PointInspector", "RestartsExplorer",
    "ResponsibilityTable", "ViewState",
]
