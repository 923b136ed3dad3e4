"""Export of the lab's current state: a matplotlib figure (PNG, SVG), parameters (JSON) and
responsibilities (CSV).

Owns: turning (X, mixture, resp) into files a student can keep. Depends on app.em (the Mixture type)
and app.geometry (the very ellipses and colours the live plot draws). matplotlib is imported inside
the functions that draw, never at module level: the app (and its Pyodide build) must start without
loading it. Must not import param, panel or bokeh.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from app import geometry
from app.em import Mixture

__all__ = ["figure", "point_size", "png_bytes", "svg_bytes", "parameters_json",
           "responsibilities_csv"]

N_STDS = (1.0, 2.0)
DPI_CHOICES = (100, 200, 300)  # screen, slides, print
DEFAULT_DPI = 200
FIGSIZE = (8.0, 6.5)  # inches
HANDLE_SIZE = 22.0  # points across
HANDLE_FONT = 13.0  # points


def point_size(n_points: int) -> float:
    """Marker area (points²) of a data point: 6 points across (2 mm, ~17 px at 200 dpi) up to
    300 points, shrinking with the square root of the count beyond (so the ink stays about the
    same), never under 1.5 points across."""
    across = 6.0 * min(1.0, np.sqrt(300.0 / max(int(n_points), 1)))
    return float(max(across, 1.5) ** 2)


def figure(
    X,
    mixture: Mixture,
    resp=None,
    *,
    hard: bool = False,
    title: str | None = None,
    columns: tuple[str, str] = ("x", "y"),
    collapsed=(),
    dpi: float = DEFAULT_DPI,
):
    """A matplotlib Figure of the data coloured by responsibility, with 1σ and 2σ ellipses.

    Drawn for a slide: 8 × 6.5 inches, text of 13-16 points, handles 22 points across with their
    numbers in 13-point bold, points about 2 millimetres across for a few hundred (smaller for
    thousands), at ``dpi`` dots per inch in a PNG (an SVG scales).

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    mixture : Mixture
    resp : ndarray of shape (n_samples, n_components), optional
        Colours the points as the live plot does (blended, or argmax when ``hard``); grey without.
    hard : bool
    title : str, optional
    columns : (str, str)
        Axis labels.
    collapsed : iterable of int
        Components drawn with a thick red outline, as the live plot highlights them.
    dpi : float
        Dots per inch of a PNG (a PNG of the default size is 8 × ``dpi`` pixels wide).

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global figure registry, no GUI backend): the caller owns it.
        Each ellipse is a ``matplotlib.patches.Ellipse`` whose ``gid`` is ``"ellipse-<k>-<n>sigma"``.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse

    X = np.asarray(X, dtype=float)
    colors = geometry.palette(mixture.n_components)
    if resp is None:
        point_colors = np.full((len(X), 3), 0.55)
    else:
        point_colors = (geometry.hard_colors if hard else geometry.blend)(resp, colors)

    fig = Figure(figsize=FIGSIZE, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(X[:, 0], X[:, 1], s=point_size(len(X)), c=point_colors, linewidths=0,
               alpha=0.9 if len(X) < 5000 else 0.6)

    covariances = mixture.full_covariances()
    collapsed = set(collapsed)
    for n_std in N_STDS:
        width, height, angle = geometry.ellipse_params(covariances, n_std)
        for k in range(mixture.n_components):
            # opacity hints the weight, as in the live plot; never fully invisible
            alpha = float(np.clip(0.35 + 0.65 * mixture.weights[k] * mixture.n_components, 0.35, 1))
            ax.add_patch(
                Ellipse(
                    mixture.means[k], width[k], height[k], angle=np.degrees(angle[k]),
                    fill=False, alpha=alpha,
                    edgecolor="#d00000" if k in collapsed else colors[k],
                    linewidth=(4.0 if k in collapsed else 2.8) if n_std == 1.0 else 1.8,
                    linestyle="-" if n_std == 1.0 else "--",
                    gid=f"ellipse-{k}-{n_std:g}sigma",
                )
            )
    ax.scatter(
        mixture.means[:, 0], mixture.means[:, 1], s=HANDLE_SIZE ** 2, c=colors,
        edgecolors="black", linewidths=2.0, zorder=3, gid="handles",
    )
    for k, (mx, my) in enumerate(mixture.means):
        ax.annotate(str(k + 1), (mx, my), ha="center", va="center_baseline", fontsize=HANDLE_FONT,
                    color=geometry.label_color(colors[k]), fontweight="bold", zorder=4,
                    gid=f"handle-label-{k}")
    # Column and file names come from the user's file: "$" in them is a dollar, not mathtext.
    ax.set_xlabel(columns[0], parse_math=False, fontsize=15)
    ax.set_ylabel(columns[1], parse_math=False, fontsize=15)
    ax.tick_params(labelsize=13)
    if geometry.equal_scales(X):  # as the live plot: one scale unless the data would be a sliver
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, alpha=0.25)
    if title:
        ax.set_title(title, parse_math=False, fontsize=16)
    return fig


def _save(fig, fmt: str) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()


def png_bytes(X, mixture: Mixture, resp=None, *, dpi: float = DEFAULT_DPI, **kwargs) -> bytes:
    """The :func:`figure` as PNG bytes, ``dpi`` dots per inch."""
    return _save(figure(X, mixture, resp, dpi=dpi, **kwargs), "png")


def svg_bytes(X, mixture: Mixture, resp=None, **kwargs) -> bytes:
    """The :func:`figure` as SVG bytes."""
    return _save(figure(X, mixture, resp, **kwargs), "svg")


def parameters_json(mixture: Mixture, **metadata) -> str:
    """The mixture's parameters as JSON (weights, means, covariances as stored and as 2x2 matrices).

    ``metadata`` (dataset, iteration, log_likelihood, reg_covar, ...) is written alongside;
    non-finite floats become null so the file stays valid JSON.
    """

    def clean(value):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, (float, np.floating)):
            return float(value) if np.isfinite(value) else None
        if isinstance(value, np.integer):
            return int(value)
        return value

    document = {
        "n_components": mixture.n_components,
        "covariance_type": mixture.covariance_type,
        "weights": clean(mixture.weights),
        "means": clean(mixture.means),
        "covariances": clean(mixture.covariances),
        "full_covariances": clean(mixture.full_covariances()),
        **{key: clean(value) for key, value in metadata.items()},
    }
    return json.dumps(document, indent=2, allow_nan=False)


def responsibilities_csv(X, resp, columns: tuple[str, str] = ("x", "y")) -> str:
    """One row per point: its coordinates, its responsibilities r1..rK and its hard label (1-based)."""
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    k = resp.shape[1]
    header = io.StringIO()  # column names from the user's file may hold commas or quotes
    csv.writer(header, lineterminator="").writerow([*columns, *(f"r{j + 1}" for j in range(k)),
                                                    "component"])
    lines = [header.getvalue()]
    labels = np.argmax(resp, axis=1) + 1
    for x, r, label in zip(X, resp, labels):
        lines.append(
            ",".join([f"{x[0]:.10g}", f"{x[1]:.10g}", *(f"{v:.6f}" for v in r), str(label)])
        )
    return "\n".join(lines) + "\n"
