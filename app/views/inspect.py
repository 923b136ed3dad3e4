"""The point inspector: a small table of one pinned point's responsibilities, Bayes' rule in numbers.

Owns: an HTML table for the point pinned by a click on the plot (ViewState.pinned): per component
its weight π_k, the density N(x | μ_k, Σ_k), their product and the responsibility r_k the plot
colours by. Reads the session (point_info, mixture) and app.em's pure ``e_step`` on the one point;
sends nothing back but "unpin". Imports panel, param, numpy, app.em, app.geometry.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from app import em, geometry
from app.views.loglik import format_number
from app.views.state import ViewState


def _sci(value) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    mantissa, exponent = f"{value:.3e}".split("e")
    return f"{mantissa}·10<sup>{int(exponent)}</sup>".replace("-", "−")


class PointInspector(pn.viewable.Viewer):
    """Click a point on the plot to pin it here."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        self.table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_TABLE_CSS],
                                  margin=(0, 10))
        self.unpin = pn.widgets.Button(label="Unpin", width=90, visible=False)
        self.unpin.on_click(lambda e: setattr(self.view_state, "pinned", None))
        self.session.param.watch(self._on_change, ["version"])
        self.view_state.param.watch(self._on_change, ["pinned"])
        self._on_change()

    def __panel__(self):
        return pn.Column(self.table, self.unpin, sizing_mode="stretch_width")

    def _on_change(self, *events):
        s, i = self.session, self.view_state.pinned
        info = s.point_info(i) if i is not None else None
        if info is None:
            self.table.object = (
                '<p class="hint">Hover a point to see its responsibilities; <b>click</b> it to pin '
                "them here with the numbers behind them.</p>")
            self.unpin.visible = False
            return
        self.unpin.visible = True
        self.table.object = self.table_html(info)

    def table_html(self, info) -> str:
        """The pinned point's table: component, π_k, N(x|μ_k,Σ_k), π_k·N, r_k (shown)."""
        s = self.session
        mixture = s.mixture
        x = np.array([[info["x"], info["y"]]])
        # Bayes' rule for this point under the current mixture: r_k = pi_k N_k / p(x), so
        # pi_k N_k = r_k p(x). em.e_step returns log p(x) as the (one-point) log-likelihood.
        r_now, log_px = em.e_step(x, mixture)
        joint = r_now[0] * np.exp(log_px)
        weights = np.asarray(mixture.weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(weights > 0, joint / weights, 0.0)
        shown = info["resp"]
        colors = geometry.palette(mixture.n_components)
        stale = s.phase == "E" and s.iteration > 0
        rows = []
        for k in range(mixture.n_components):
            best = " best" if k == info["label"] else ""
            rows.append(
                f'<tr class="{best.strip()}"><td><span class="swatch" style="background:{colors[k]}">'
                f"</span>{k + 1}</td><td>{_sci(weights[k])}</td><td>{_sci(density[k])}</td>"
                f"<td>{_sci(joint[k])}</td><td><b>{shown[k]:.3f}</b></td>"
                + (f"<td>{r_now[0, k]:.3f}</td>" if stale else "") + "</tr>")
        extra_head = "<th>r<sub>k</sub> after next E-step</th>" if stale else ""
        names = s.columns
        return (
            f'<div class="point">Point <b>#{info["index"]}</b> · {html.escape(str(names[0]))} = '
            f'{format_number(info["x"], 3)}, {html.escape(str(names[1]))} = '
            f'{format_number(info["y"], 3)} · p(x) = {_sci(np.exp(log_px))}</div>'
            '<table class="emlab-inspect"><thead><tr><th>k</th><th>π<sub>k</sub></th>'
            "<th>𝒩(x | μ<sub>k</sub>, Σ<sub>k</sub>)</th><th>π<sub>k</sub>·𝒩</th>"
            f"<th>r<sub>k</sub> (shown)</th>{extra_head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>"
            + ('<p class="hint">The colours still show the responsibilities the last M-step used; '
               "the next E-step recomputes them with Bayes' rule (last column).</p>" if stale
               else '<p class="hint">r<sub>k</sub> = π<sub>k</sub>·𝒩 / Σ<sub>j</sub> '
               "π<sub>j</sub>·𝒩<sub>j</sub> (Bayes' rule).</p>")
        )


_TABLE_CSS = """
.point { font-size: 14px; margin-bottom: 4px; }
.hint { font-size: 13px; color: #555; }
table.emlab-inspect { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
table.emlab-inspect th, table.emlab-inspect td { padding: 3px 10px; border-bottom: 1px solid #e4e4ec;
                                                 text-align: right; }
table.emlab-inspect th:first-child, table.emlab-inspect td:first-child { text-align: left; }
table.emlab-inspect tr.best td { background: #f3f6ff; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 6px; margin-right: 6px;
          border: 1px solid #333; vertical-align: -1px; }
"""
