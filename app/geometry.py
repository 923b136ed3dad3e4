"""Drawing geometry shared by the live plot and the export: ellipses and colours.

Owns: covariance matrix -> confidence ellipse (width, height, angle and outline points), the
component palette, and responsibility-weighted colour blending. Pure numpy; it must not import
param, panel, bokeh or matplotlib, so the Bokeh view and the matplotlib export draw exactly the
same shapes and colours.

Ellipses. For a 2-D Gaussian with covariance ``S = V diag(l1, l2) V^T`` (l1 >= l2), the points at
Mahalanobis distance ``n_std`` from the mean form an ellipse with semi-axes ``n_std * sqrt(l1)``
and ``n_std * sqrt(l2)``, the major one along the first eigenvector. For a symmetric 2x2 matrix
``[[a, b], [b, c]]`` the eigenvalues are ``(a + c)/2 +- sqrt(((a - c)/2)**2 + b**2)`` and the major
axis makes the angle ``atan2(2b, a - c) / 2`` with the x axis; the closed form vectorises over
components and never produces NaN for the degenerate (collapsed) matrices that this lab shows on
purpose.

Colours. Each point is drawn in the responsibility-weighted mix of its components' colours. The mix
is taken in OKLab (Ottosson 2020), a perceptual space: a point shared 50/50 between blue and orange
looks half-way between them instead of the muddy dark tone that mixing sRGB codes gives.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PALETTE",
    "palette",
    "ellipse_params",
    "ellipse_outline",
    "ellipse_outlines",
    "hex_to_rgb",
    "rgb_to_hex",
    "blend",
    "hard_colors",
    "label_color",
    "uncertainty",
    "uncertainty_colors",
    "pack_rgba",
    "equal_scales",
    "point_size_px",
]

# Chosen so that components stay distinct for everyone, on a projector too: each colour in turn is
# the one farthest (in CAM02-UCS, the smallest of four distances) from those before it, under normal
# vision and under simulated deuteranopia, protanopia and tritanopia (Machado, Oliveira & Fernandes
# 2009, severity 1), among colours readable on the white plot and well away from the collapse red.
# The first six stay at least 19 units apart under all four (Okabe-Ito's orange and vermillion, used
# before, were 11 apart for tritanopes and hard to tell apart for anyone); all fifteen at least 10.
# tests/test_geometry.py checks both. The handles carry their numbers too, so colour is never the
# only cue.
PALETTE: tuple[str, ...] = (
    "#0078B4",  # blue
    "#FF9600",  # orange
    "#781E2D",  # wine
    "#00D2FF",  # cyan
    "#A55A69",  # dusty rose
    "#A5C396",  # sage
    "#004B69",  # deep teal
    "#1E0FF0",  # ultramarine
    "#7896FF",  # periwinkle
    "#C387B4",  # orchid
    "#78A587",  # green-grey
    "#F0A5C3",  # pink
    "#875AFF",  # violet
    "#785A87",  # plum
    "#C3C369",  # olive
)


def palette(n_components: int) -> list[str]:
    """The first ``n_components`` colours of :data:`PALETTE` as hex strings.

    Raises ValueError when more colours are asked for than the lab supports (15).
    """
    if not 1 <= n_components <= len(PALETTE):
        raise ValueError(
            f"n_components must be between 1 and {len(PALETTE)}; got {n_components}."
        )
    return list(PALETTE[:n_components])


def label_color(color: str) -> str:
    """Black or white, whichever reads better (WCAG contrast) on ``color`` (``"#rrggbb"``): the
    colour of a handle's number."""
    channels = hex_to_rgb([color])[0]
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    # Contrast with white (1.05 / (L + .05)) against contrast with near-black #111 (L = .0056).
    return "white" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0556 else "#111111"


# --------------------------------------------------------------------------------------- ellipses


def _as_full(covariances: np.ndarray) -> np.ndarray:
    cov = np.asarray(covariances, dtype=float)
    if cov.shape == (2, 2):
        cov = cov[None]
    if cov.ndim != 3 or cov.shape[1:] != (2, 2):
        raise ValueError(
            "covariances must have shape (n_components, 2, 2) or (2, 2); "
            f"got {cov.shape}. Expand tied/diag/spherical ones with Mixture.full_covariances()."
        )
    return cov


def ellipse_params(covariances: np.ndarray, n_std: float = 1.0):
    """Full width, full height and angle of the ``n_std`` confidence ellipse of each covariance.

    Parameters
    ----------
    covariances : ndarray of shape (n_components, 2, 2) or (2, 2)
    n_std : float
        Mahalanobis radius (1 for the 1-sigma ellipse, 2 for the 2-sigma one).

    Returns
    -------
    width : ndarray of shape (n_components,)
        Full length of the major axis (``2 * n_std * sqrt(l1)``), as Bokeh's ``ellipse`` and
        matplotlib's ``Ellipse`` expect.
    height : ndarray of shape (n_components,)
        Full length of the minor axis.
    angle : ndarray of shape (n_components,)
        Angle of the major axis from the x axis, in radians, in (-pi/2, pi/2].

    Non-finite entries or slightly negative eigenvalues (round-off of a collapsed component) give
    a zero-length axis instead of NaN.
    """
    cov = _as_full(covariances)
    cov = np.where(np.isfinite(cov), cov, 0.0)
    a, b, c = cov[:, 0, 0], 0.5 * (cov[:, 0, 1] + cov[:, 1, 0]), cov[:, 1, 1]
    mid = 0.5 * (a + c)
    rad = np.hypot(0.5 * (a - c), b)
    l1 = np.maximum(mid + rad, 0.0)
    l2 = np.maximum(mid - rad, 0.0)
    angle = 0.5 * np.arctan2(2.0 * b, a - c)
    return 2.0 * n_std * np.sqrt(l1), 2.0 * n_std * np.sqrt(l2), angle


OUTLINE_POINTS = 64  # vertices of a drawn ellipse (the main plot traces the same in the browser)


def ellipse_outlines(means, covariances, n_std: float = 1.0, n_points: int = OUTLINE_POINTS):
    """Points on the ``n_std`` ellipse of every component, as closed rings ``(xs, ys)``.

    Drawn as polygons in data coordinates, the ellipses stay correct whatever the plot's aspect
    ratio (a rotated ellipse glyph in screen units is only right when x and y share one scale).

    Parameters
    ----------
    means : array-like of shape (n_components, 2)
    covariances : array-like of shape (n_components, 2, 2)
    n_std : float
    n_points : int
        Number of vertices; the first one is repeated at the end to close each ring.

    Returns
    -------
    xs, ys : ndarray of shape (n_components, n_points + 1)
    """
    width, height, angle = ellipse_params(covariances, n_std)
    t = np.linspace(0.0, 2.0 * np.pi, n_points + 1)
    u, v = 0.5 * width[:, None] * np.cos(t), 0.5 * height[:, None] * np.sin(t)
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    means = np.asarray(means, dtype=float).reshape(-1, 2)
    return means[:, :1] + cos * u - sin * v, means[:, 1:] + sin * u + cos * v


def ellipse_outline(mean, covariance, n_std: float = 1.0, n_points: int = OUTLINE_POINTS):
    """The ring of one component (see :func:`ellipse_outlines`): ``xs, ys`` of shape
    ``(n_points + 1,)``."""
    xs, ys = ellipse_outlines(np.asarray(mean, dtype=float)[None],
                              np.asarray(covariance, dtype=float)[None], n_std, n_points)
    return xs[0], ys[0]


# ---------------------------------------------------------------------------------------- colours


def hex_to_rgb(colors) -> np.ndarray:
    """``"#RRGGBB"`` strings -> ndarray of shape (n, 3) of sRGB values in [0, 1]."""
    return np.array(
        [[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in colors], dtype=float
    ).reshape(-1, 3) / 255.0


def rgb_to_hex(rgb: np.ndarray) -> list[str]:
    """ndarray of shape (n, 3) of sRGB values in [0, 1] -> ``"#rrggbb"`` strings."""
    codes = np.clip(np.rint(np.asarray(rgb) * 255.0), 0, 255).astype(int)
    return ["#%02x%02x%02x" % tuple(c) for c in codes]


def _srgb_to_linear(c):
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c):
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


# OKLab from linear sRGB: M2 @ cbrt(M1 @ rgb) (Ottosson, "A perceptual color space for image
# processing", 2020; matrices as published).
_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_M1_INV = np.linalg.inv(_M1)
_M2_INV = np.linalg.inv(_M2)


def _srgb_to_oklab(rgb):
    return np.cbrt(_srgb_to_linear(rgb) @ _M1.T) @ _M2.T


def _oklab_to_srgb(lab):
    lms = lab @ _M2_INV.T
    return _linear_to_srgb((lms * lms * lms) @ _M1_INV.T)  # (a product: `** 3` is a slow pow)


def _clean_resp(resp) -> np.ndarray:
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 2:
        raise ValueError(f"resp must have shape (n_samples, n_components); got {resp.shape}.")
    resp = np.where(np.isfinite(resp), np.clip(resp, 0.0, None), 0.0)
    total = resp.sum(axis=1, keepdims=True)
    # A row with no mass (cannot come from an E-step, but a view must never paint NaN) is spread
    # evenly, which reads as "undecided".
    return np.where(total > 0, resp / np.where(total > 0, total, 1.0), 1.0 / resp.shape[1])


def blend(resp, colors=None) -> np.ndarray:
    """Responsibility-weighted colour of every point, mixed in OKLab.

    Parameters
    ----------
    resp : ndarray of shape (n_samples, n_components)
        Rows are normalised here (non-finite or negative entries count as 0).
    colors : sequence of n_components ``"#RRGGBB"`` strings, optional
        Defaults to ``palette(n_components)``.

    Returns
    -------
    rgb : ndarray of shape (n_samples, 3)
        sRGB values in [0, 1]; a one-hot row gives exactly its component's colour.
    """
    resp = _clean_resp(resp)
    colors = palette(resp.shape[1]) if colors is None else colors
    if len(colors) != resp.shape[1]:
        raise ValueError(f"need one colour per component: {resp.shape[1]}; got {len(colors)}.")
    lab = _srgb_to_oklab(hex_to_rgb(colors))
    return _oklab_to_srgb(resp @ lab)


def hard_colors(resp, colors=None) -> np.ndarray:
    """Colour of each point's most responsible component, ndarray of shape (n_samples, 3)."""
    resp = _clean_resp(resp)
    colors = palette(resp.shape[1]) if colors is None else colors
    return hex_to_rgb(colors)[np.argmax(resp, axis=1)]


# Uncertainty view: a sequential ramp from pale grey (certain) to dark plum (undecided), mixed in
# OKLab like everything else, so "darker = less certain" reads the same for every colour vision.
UNCERTAIN_RAMP = ("#e3e3e3", "#5b0f4f")


def uncertainty(resp) -> np.ndarray:
    """How undecided each point is, in [0, 1]: ``(1 - max_k r_k) / (1 - 1/K)``.

    0 when one component owns the point, 1 when all K share it equally (0 everywhere for K = 1).
    """
    resp = _clean_resp(resp)
    k = resp.shape[1]
    if k == 1:
        return np.zeros(resp.shape[0])
    return np.clip((1.0 - resp.max(axis=1)) / (1.0 - 1.0 / k), 0.0, 1.0)


def uncertainty_colors(resp) -> np.ndarray:
    """Each point's colour on :data:`UNCERTAIN_RAMP` by :func:`uncertainty`, shape (n_samples, 3)."""
    u = uncertainty(resp)
    return blend(np.stack([1.0 - u, u], axis=1), UNCERTAIN_RAMP)


def pack_rgba(rgb, alpha=1.0) -> np.ndarray:
    """sRGB in [0, 1] of shape (n, 3) plus alpha -> one uint32 ``0xRRGGBBAA`` per point.

    Bokeh accepts a uint32 array in this layout as a colour column and sends it as a binary
    buffer, which for N = 50,000 is far lighter than hex strings.
    """
    rgb = np.asarray(rgb, dtype=float)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), rgb.shape[:1])
    channels = np.empty((rgb.shape[0], 4), dtype=np.uint32)
    channels[:, :3] = np.clip(np.rint(np.nan_to_num(rgb) * 255.0), 0, 255)
    channels[:, 3] = np.clip(np.rint(np.nan_to_num(alpha) * 255.0), 0, 255)
    return (channels[:, 0] << 24) | (channels[:, 1] << 16) | (channels[:, 2] << 8) | channels[:, 3]


def equal_scales(X, max_ratio=4.0) -> bool:
    """Draw both axes at one scale, unless that would squeeze the data into a sliver.

    One scale shows distances (and spherical components) as they are; Old Faithful's columns differ
    about 12-fold in spread, and at one scale its clusters would be a thin stripe. Shared by the
    live plot and the export, so both draw the same shape.
    """
    spread = np.ptp(np.asarray(X, dtype=float), axis=0) if len(X) else np.zeros(2)
    small, large = float(spread.min()), float(spread.max())
    return small == 0 or large <= max_ratio * small


# Points on the live plot: diameter = POINT_SIZE_SCALE * sqrt(frame area / N) pixels, clipped to
# POINT_SIZE_RANGE. On a 1400 x 900 page (a frame of about 560 px) 300 points get 9 px and 500 get
# 7 px; on 1920 x 1080 (about 800 px) 13 and 10 px; 2,000 points get 3.5 to 5 px, 50,000 the floor.
POINT_SIZE_SCALE = 0.28
POINT_SIZE_RANGE = (3.0, 14.0)


def point_size_px(n_points: int, width_px: float, height_px: float) -> float:
    """Diameter in pixels of a data point on a plot frame of ``width_px`` x ``height_px``.

    The ink per point stays about the same share of the frame: a few hundred points are large
    enough to see from the back of a room, and tens of thousands still leave the density visible.
    The browser computes the same formula (app.views.plot) with the frame's real size.
    """
    area = max(float(width_px), 1.0) * max(float(height_px), 1.0)
    size = POINT_SIZE_SCALE * np.sqrt(area / max(int(n_points), 1))
    return float(np.clip(size, *POINT_SIZE_RANGE))
