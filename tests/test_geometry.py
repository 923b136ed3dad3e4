"""Tests for app.geometry: ellipses against an eigendecomposition, colours against known values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import geometry


def _random_cov(rng, k):
    a = rng.normal(size=(k, 2, 2))
    return a @ a.transpose(0, 2, 1) + 1e-3 * np.eye(2)


def test_ellipse_params_match_eigendecomposition():
    """Width/height are 2*n_std*sqrt(eigenvalues) and the angle points along the major eigenvector."""
    rng = np.random.default_rng(0)
    cov = _random_cov(rng, 20)
    width, height, angle = geometry.ellipse_params(cov, n_std=2.0)
    vals, vecs = np.linalg.eigh(cov)  # ascending
    np.testing.assert_allclose(width, 4.0 * np.sqrt(vals[:, 1]), rtol=1e-10)
    np.testing.assert_allclose(height, 4.0 * np.sqrt(vals[:, 0]), rtol=1e-10)
    major = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    # parallel up to sign: |cos| of the angle between them is 1
    np.testing.assert_allclose(np.abs(np.sum(major * vecs[:, :, 1], axis=1)), 1.0, atol=1e-8)


def test_ellipse_params_axis_aligned():
    """A diagonal covariance gives an axis-aligned ellipse (angle 0 or pi/2)."""
    width, height, angle = geometry.ellipse_params(np.diag([4.0, 1.0]))
    assert (width[0], height[0], angle[0]) == pytest.approx((4.0, 2.0, 0.0))
    width, height, angle = geometry.ellipse_params(np.diag([1.0, 9.0]))
    assert (width[0], height[0], abs(angle[0])) == pytest.approx((6.0, 2.0, np.pi / 2))


def test_ellipse_params_degenerate_is_finite():
    """Collapsed, slightly indefinite or non-finite covariances give zero axes, never NaN."""
    cov = np.array([[[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0 - 1e-17]], [[np.nan, 0], [0, 1.0]]])
    out = geometry.ellipse_params(cov)
    assert all(np.all(np.isfinite(a)) for a in out)
    assert out[0][0] == 0 and out[1][0] == 0


def test_ellipse_params_rejects_bad_shape():
    """A (K, 2) array is refused with a message that says how to expand it."""
    with pytest.raises(ValueError, match="full_covariances"):
        geometry.ellipse_params(np.ones((3, 2)))


@given(
    a=st.floats(0.01, 100), c=st.floats(0.01, 100), rho=st.floats(-0.99, 0.99),
    mx=st.floats(-50, 50), my=st.floats(-50, 50), n_std=st.sampled_from([1.0, 2.0]),
)
def test_outline_lies_at_mahalanobis_n_std(a, c, rho, mx, my, n_std):
    """Every outline vertex is at Mahalanobis distance n_std from the mean; the ring is closed."""
    b = rho * np.sqrt(a * c)
    cov = np.array([[a, b], [b, c]])
    xs, ys = geometry.ellipse_outline([mx, my], cov, n_std=n_std, n_points=32)
    d = np.stack([xs - mx, ys - my], axis=1)
    m = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    np.testing.assert_allclose(np.sqrt(m), n_std, rtol=1e-6)
    assert (xs[0], ys[0]) == pytest.approx((xs[-1], ys[-1]))


def test_outlines_of_many_components_at_once():
    """One call draws every component's ring (one row each) at Mahalanobis n_std from its own
    mean; a collapsed (all-zero) covariance gives a ring of zero size at its mean."""
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 2, 2))
    covariances = A @ A.transpose(0, 2, 1) + 0.01 * np.eye(2)
    covariances[2] = 0.0
    means = rng.normal(size=(5, 2)) * 10
    xs, ys = geometry.ellipse_outlines(means, covariances, n_std=2.0, n_points=40)
    assert xs.shape == ys.shape == (5, 41)
    for j in (0, 1, 3, 4):
        d = np.stack([xs[j] - means[j, 0], ys[j] - means[j, 1]], axis=1)
        m = np.einsum("ni,ij,nj->n", d, np.linalg.inv(covariances[j]), d)
        np.testing.assert_allclose(np.sqrt(m), 2.0, rtol=1e-6)
    np.testing.assert_allclose(xs[2], means[2, 0])
    np.testing.assert_allclose(ys[2], means[2, 1])


def test_palette_has_15_distinct_colours_and_limits():
    """Fifteen distinct colours; asking for 0 or 16 is an error."""
    assert len(set(geometry.palette(15))) == 15
    with pytest.raises(ValueError, match="between 1 and 15"):
        geometry.palette(16)
    with pytest.raises(ValueError):
        geometry.palette(0)



# Machado, Oliveira & Fernandes (2009) at full severity, as colorspacious implements them.
DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def _smallest_difference(colors, deficiency):
    """The smallest CAM02-UCS distance between two of ``colors`` as seen with ``deficiency``
    (None: normal vision), and the two components (numbered from 1)."""
    import itertools

    from colorspacious import cspace_convert

    rgb = geometry.hex_to_rgb(colors)
    if deficiency is not None:
        rgb = np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": deficiency,
                                           "severity": 100}, "sRGB1"), 0, 1)
    ucs = cspace_convert(rgb, "sRGB1", "CAM02-UCS")
    return min((float(np.linalg.norm(ucs[i] - ucs[j])), i + 1, j + 1)
               for i, j in itertools.combinations(range(len(colors)), 2))


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_palette_stays_distinct_under_colour_vision_deficiencies(deficiency):
    """Guards the projector complaint (components 2 and 4, orange and vermillion, looked alike):
    any two of the first six colours differ by at least 18 CAM02-UCS units under normal vision and
    simulated deuteranopia, protanopia and tritanopia, and any two of all fifteen by at least 9."""
    assert _smallest_difference(geometry.palette(6), deficiency)[0] >= 18
    assert _smallest_difference(geometry.palette(15), deficiency)[0] >= 9


def test_handle_numbers_read_on_every_palette_colour():
    """A handle's number is black or white, whichever contrasts more: at least 4.5:1 (WCAG AA)
    for most colours and never under 3:1."""
    def luminance(color):
        c = geometry.hex_to_rgb([color])[0]
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(c @ [0.2126, 0.7152, 0.0722])

    ratios = []
    for color in geometry.PALETTE:
        text = geometry.label_color(color)
        lum, text_lum = luminance(color), luminance("#ffffff" if text == "white" else text)
        ratios.append((max(lum, text_lum) + 0.05) / (min(lum, text_lum) + 0.05))
    assert min(ratios) >= 3.0 and sum(r >= 4.5 for r in ratios) >= 12

def test_hex_round_trip():
    """hex -> rgb -> hex gives back the palette."""
    colors = geometry.palette(15)
    assert geometry.rgb_to_hex(geometry.hex_to_rgb(colors)) == [c.lower() for c in colors]


def test_blend_one_hot_gives_component_colour():
    """A point owned by one component is drawn in exactly that component's colour."""
    resp = np.eye(6)
    rgb = geometry.blend(resp)
    np.testing.assert_allclose(rgb, geometry.hex_to_rgb(geometry.palette(6)), atol=1e-6)


def test_blend_is_perceptual_midpoint():
    """A 50/50 point has the OKLab lightness midway between its two colours (not sRGB-averaged)."""
    colors = ["#000000", "#ffffff"]
    rgb = geometry.blend(np.array([[0.5, 0.5]]), colors)
    lab = geometry._srgb_to_oklab(rgb)
    assert lab[0, 0] == pytest.approx(0.5, abs=1e-6)
    # perceptual middle grey is darker than the code average #808080
    assert geometry.rgb_to_hex(rgb)[0] in ("#636363", "#646464")


def test_blend_cleans_bad_rows():
    """Rows with NaN, negative entries or no mass still give finite colours in [0, 1]."""
    resp = np.array([[np.nan, 1.0], [0.0, 0.0], [-1.0, 2.0], [np.inf, 0.0]])
    rgb = geometry.blend(resp, ["#0072B2", "#E69F00"])
    assert np.all(np.isfinite(rgb)) and rgb.min() >= 0 and rgb.max() <= 1
    np.testing.assert_allclose(rgb[2], geometry.hex_to_rgb(["#E69F00"])[0], atol=1e-6)


def test_hard_colors_take_argmax():
    """Hard view paints each point in its most responsible component's colour."""
    resp = np.array([[0.2, 0.8], [0.9, 0.1]])
    np.testing.assert_allclose(
        geometry.hard_colors(resp), geometry.hex_to_rgb(geometry.palette(2))[[1, 0]]
    )


def test_pack_rgba_layout():
    """Colours pack as Bokeh's 0xRRGGBBAA uint32."""
    packed = geometry.pack_rgba(np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), [1.0, 0.5])
    assert packed.dtype == np.uint32
    assert list(packed) == [0xFFFF00FF, 0xFF000080]


def test_uncertainty_ranges_from_owned_to_shared():
    """0 for a point one component owns, 1 for a point shared equally, 0 everywhere when K = 1."""
    resp = np.array([[1.0, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])
    np.testing.assert_allclose(geometry.uncertainty(resp), [0, 1, 0.75])
    assert geometry.uncertainty(np.ones((4, 1))).tolist() == [0, 0, 0, 0]
    rgb = geometry.uncertainty_colors(resp)
    np.testing.assert_allclose(rgb[:2], geometry.hex_to_rgb(geometry.UNCERTAIN_RAMP), atol=1e-6)
