"""The point inspector: one pinned point's responsibilities as Bayes' rule, in numbers a learner
can check with a calculator.

Owns: an HTML view of the point pinned by a click on the plot (ViewState.pinned): the components'
parameters (π_k, μ_k, Σ_k and |Σ_k|) and, per component, the density N(x | μ_k, Σ_k), the product
π_k·N and the responsibility r_k the plot colours by. Points and components are numbered from 1,
as learners count. Reads the session (point_info, mixture) and app.em's pure ``e_step`` on the one
point; sends nothing back but "unpin". Imports panel, param, numpy, app.em, app.geometry.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from app import em, geometry
from app.views.state import ViewState

DIGITS = 5
"""Significant digits of every parameter shown: enough to reproduce r_k to 3 decimals by hand."""


def _sci(value, digits=DIGITS) -> str:
    """``value`` with ``digits`` significant digits, as HTML (a power of ten when very small or
    large); never "nan" or "inf"."""
    value = float(value)
    if not np.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
        text = f"{value:.{decimals}f}"
        if float(text) != 0 and abs(float(text)) >= 10 ** (digits - decimals):  # 9.99995 -> 10.000
            text = f"{value:.{max(decimals - 1, 0)}f}"
        return text.replace("-", "−")
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}·10<sup>{int(exponent)}</sup>".replace("-", "−")


def _matrix(cov) -> str:
    """A 2×2 matrix as a small HTML table (two rows in brackets)."""
    (a, b), (c, d) = np.asarray(cov, dtype=float)
    return ('<span class="matrix"><span>' + f"{_sci(a)}</span><span>{_sci(b)}</span>"
            f"<span>{_sci(c)}</span><span>{_sci(d)}</span></span>")


class PointInspector(pn.viewable.Viewer):
    """Click a point on the plot to pin it here."""

    session = param.Parameter(doc="The EM session (app.session.Session).")
    view_state = param.ClassSelector(class_=ViewState)

    def __init__(self, **params):
        super().__init__(**params)
        self.table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[_TABLE_CSS],
                                  margin=(0, 10), css_classes=["emlab-inspect"])
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
        """The pinned point's numbers: the components' π_k, μ_k, Σ_k, |Σ_k|, then per component
        N(x | μ_k, Σ_k), π_k·N and r_k (shown, and after the next E-step when that differs)."""
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
        means = np.asarray(mixture.means, dtype=float)
        covariances = np.asarray(mixture.full_covariances(), dtype=float)
        determinants = (covariances[:, 0, 0] * covariances[:, 1, 1]
                        - covariances[:, 0, 1] * covariances[:, 1, 0])
        shown = info["resp"]
        colors = geometry.palette(mixture.n_components)
        stale = s.phase == "E" and s.iteration > 0
        parameters, bayes = [], []
        for k in range(mixture.n_components):
            best = ' class="best"' if k == info["label"] else ""
            name = (f'<td><span class="swatch" style="background:{colors[k]}"></span>{k + 1}'
                    "</td>")
            parameters.append(
                f"<tr>{name}<td>{_sci(weights[k])}</td>"
                f"<td>({_sci(means[k, 0])}, {_sci(means[k, 1])})</td>"
                f"<td>{_matrix(covariances[k])}</td><td>{_sci(determinants[k])}</td></tr>")
            bayes.append(
                f"<tr{best}>{name}<td>{_sci(density[k])}</td><td>{_sci(joint[k])}</td>"
                f"<td><b>{shown[k]:.3f}</b></td>"
                + (f"<td>{r_now[0, k]:.3f}</td>" if stale else "") + "</tr>")
        extra_head = "<th>r<sub>k</sub> after the next E-step</th>" if stale else ""
        names = [html.escape(str(name)) for name in s.columns]
        return (
            f'<div class="point">Point <b>#{info["index"] + 1}</b> · x = '
            f'({_sci(info["x"])}, {_sci(info["y"])}) <span class="hint">({names[0]}, '
            f"{names[1]})</span></div>"
            '<div class="caption">The components</div>'
            '<div class="scroll"><table class="emlab-inspect emlab-components"><thead><tr>'
            "<th>k</th><th>π<sub>k</sub></th><th>μ<sub>k</sub></th><th>Σ<sub>k</sub></th>"
            f"<th>|Σ<sub>k</sub>|</th></tr></thead><tbody>{''.join(parameters)}</tbody></table>"
            "</div>"
            '<p class="hint">𝒩(x | μ, Σ) = exp(−½ (x − μ)<sup>T</sup> Σ<sup>−1</sup> (x − μ)) / '
            "(2π √|Σ|), and Σ<sup>−1</sup> of [a b; b d] is [d −b; −b a] / |Σ|.</p>"
            f'<div class="caption">Bayes\' rule for point #{info["index"] + 1}: '
            f"p(x) = {_sci(np.exp(log_px))}</div>"
            '<div class="scroll"><table class="emlab-inspect emlab-bayes"><thead><tr><th>k</th>'
            "<th>𝒩(x | μ<sub>k</sub>, Σ<sub>k</sub>)</th><th>π<sub>k</sub>·𝒩</th>"
            f"<th>r<sub>k</sub> (shown)</th>{extra_head}</tr></thead><tbody>{''.join(bayes)}"
            "</tbody></table></div>"
            + ('<p class="hint">The colours still show the responsibilities the last M-step used; '
               "the next E-step recomputes them with Bayes' rule (last column).</p>" if stale
               else '<p class="hint">r<sub>k</sub> = π<sub>k</sub>·𝒩 / Σ<sub>j</sub> '
               "π<sub>j</sub>·𝒩<sub>j</sub> (Bayes' rule), and p(x) is that sum.</p>")
        )


# On a phone the tables scroll inside the card (wide numbers would widen the page).
_TABLE_CSS = """
:host { max-width: 100%; }
.scroll { max-width: 100%; overflow-x: auto; }
@media (max-width: 480px) {
  table.emlab-inspect th, table.emlab-inspect td { padding: 3px 5px; font-size: 13px; }
}
.point { font-size: 14px; margin-bottom: 4px; }
.caption { font-size: 13px; font-weight: 600; margin: 8px 0 2px 0; }
.hint { font-size: 13px; color: #555; }
table.emlab-inspect { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
table.emlab-inspect th, table.emlab-inspect td { padding: 3px 10px; border-bottom: 1px solid #e4e4ec;
                                                 text-align: right; vertical-align: middle; }
table.emlab-inspect th:first-child, table.emlab-inspect td:first-child { text-align: left; }
table.emlab-inspect tr.best td { background: #f3f6ff; }
.matrix { display: inline-grid; grid-template-columns: auto auto; column-gap: 10px;
          border-left: 1.5px solid #444; border-right: 1.5px solid #444; border-radius: 3px;
          padding: 0 5px; text-align: right; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 6px; margin-right: 6px;
          border: 1px solid #333; vertical-align: -1px; }
"""
