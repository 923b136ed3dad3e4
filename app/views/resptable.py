"""The whole responsibility table of a small data set: every point × every component.

Owns: one HTML table, shown while the data have at most ``MAX_POINTS`` points (the Six points set
is made to trace EM by hand): a row per point (numbered from 1, with its coordinates) and a column
per component (numbered from 1, in its colour), each cell r_ik, the row's most likely component
marked. It shows the responsibilities the plot colours by (``session.display_resp()``), so it
changes with every E-step (and with Step back); a line under it says which responsibilities they
are (equal shares at the start, the new ones after an E-step, the ones the last M-step used after
an M-step). The pinned point's row is highlighted. Reads the session and the ViewState; sends
nothing back. Imports panel, param, numpy, app.geometry.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from app import geometry
from app.views.state import ViewState

MAX_POINTS = 12
"""Data sets up to this many points get the whole table (a row per point still fits the tab)."""


def _coordinate(value) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "—"
    return f"{value:.3f}".replace("-", "−")


class ResponsibilityTable(pn.viewable.Viewer):
    """Every r_ik of a small data set, updated at each half-step."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        self.table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_CSS],
                                  margin=(0, 10, 8, 10), css_classes=["emlab-resp-table"],
                                  visible=False)
        self.session.param.watch(self._on_change, ["version"])
        self.view_state.param.watch(self._on_change, ["pinned"])
        self._on_change()

    def __panel__(self):
        return self.table

    def _on_change(self, *events):
        s = self.session
        small = 0 < len(s.X) <= MAX_POINTS
        self.table.visible = small
        self.table.object = self.table_html() if small else ""

    def table_html(self) -> str:
        """The table: Point, the two coordinates, r_i1 .. r_iK; a note on which r these are."""
        s = self.session
        resp = np.asarray(s.display_resp(), dtype=float)
        X = np.asarray(s.X, dtype=float)
        K = resp.shape[1]
        colors = geometry.palette(K)
        labels = np.argmax(resp, axis=1)
        names = [html.escape(str(name)) for name in s.columns]
        head = "".join(
            f'<th><span class="swatch" style="background:{colors[k]}"></span>r<sub>i{k + 1}</sub>'
            "</th>" for k in range(K))
        rows = []
        assigned = s.iteration > 0
        for i in range(len(X)):
            pinned = ' class="pinned"' if i == self.view_state.pinned else ""
            cells = "".join(
                f'<td{" class=best" if assigned and k == labels[i] else ""}>'
                f"{resp[i, k]:.3f}</td>" for k in range(K))
            rows.append(f"<tr{pinned}><td>{i + 1}</td><td>{_coordinate(X[i, 0])}</td>"
                        f"<td>{_coordinate(X[i, 1])}</td>{cells}</tr>")
        totals = "".join(f"<td>{value:.3f}</td>" for value in resp.sum(axis=0))
        return (
            f'<div class="caption">Responsibilities of all {len(X)} points</div>'
            '<table class="emlab-resp"><thead><tr><th>point i</th>'
            f"<th>{names[0]}</th><th>{names[1]}</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody>"
            f'<tfoot><tr><td colspan="3">N<sub>k</sub> (column sum)</td>{totals}</tr></tfoot>'
            f'</table><p class="hint">{self._which()}</p>')

    def _which(self) -> str:
        s = self.session
        if s.iteration == 0:
            return ("Nothing is assigned yet: every point is shared equally between the "
                    "components. The first E-step fills in the table.")
        if s.mode == "kmeans" and s.phase == "M":
            return (f"After assignment {s.iteration}: every point belongs wholly to its nearest "
                    "mean (1 in one column, 0 in the others).")
        if s.mode == "kmeans":
            return (f"The assignments update {s.iteration} used: the means have moved since, and "
                    "the next assignment recomputes every row.")
        if s.phase == "M":
            return (f"After E-step {s.iteration}: each row is Bayes' rule for that point under the "
                    "current components, and sums to 1. The next M-step refits the components "
                    "with these numbers.")
        return (f"The responsibilities M-step {s.iteration} used: the components have moved since, "
                "and the next E-step recomputes every row.")


_CSS = """
.caption { font-size: 13px; font-weight: 600; margin: 4px 0 2px 0; }
.hint { font-size: 13px; color: #555; margin: 4px 0 0 0; }
table.emlab-resp { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
table.emlab-resp th, table.emlab-resp td { padding: 2px 9px; border-bottom: 1px solid #e4e4ec;
                                           text-align: right; }
table.emlab-resp th:first-child, table.emlab-resp td:first-child { text-align: left; }
table.emlab-resp td.best { font-weight: 700; background: #f3f6ff; }
table.emlab-resp tr.pinned td { background: #fff3c4; }
table.emlab-resp tfoot td { border-bottom: none; color: #444; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 6px; margin-right: 5px;
          border: 1px solid #333; vertical-align: -1px; }
"""
