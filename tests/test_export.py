"""Tests for app.export: the matplotlib figure (Agg), the JSON parameters and the CSV."""

import csv
import io
import json
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from app import em, export, geometry  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every pyplot figure after each test (the export builds without pyplot, but be sure)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def fitted():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal((0, 0), 0.5, (60, 2)), rng.normal((4, 3), 0.7, (60, 2)),
                        rng.normal((-3, 4), 0.4, (60, 2))])
    mixture = em.initial_mixture(X, 3, rng=np.random.default_rng(0))
    resp, _ = em.e_step(X, mixture)
    mixture = em.m_step(X, resp)
    resp, _ = em.e_step(X, mixture)
    return X, mixture, resp


def _ellipses(fig):
    from matplotlib.patches import Ellipse

    return [p for p in fig.axes[0].patches if isinstance(p, Ellipse)]


def test_figure_has_two_ellipses_per_component_at_the_means(fitted):
    """2K ellipses (1σ and 2σ), each centred on its component's mean with geometry's axes."""
    X, mixture, resp = fitted
    fig = export.figure(X, mixture, resp)
    ellipses = _ellipses(fig)
    assert len(ellipses) == 2 * mixture.n_components
    width, height, angle = geometry.ellipse_params(mixture.full_covariances(), 2.0)
    for k in range(mixture.n_components):
        for n_std in (1, 2):
            (e,) = [e for e in ellipses if e.get_gid() == f"ellipse-{k}-{n_std}sigma"]
            np.testing.assert_allclose(e.center, mixture.means[k])
        (e2,) = [e for e in ellipses if e.get_gid() == f"ellipse-{k}-2sigma"]
        assert (e2.width, e2.height) == pytest.approx((width[k], height[k]))
        assert e2.angle == pytest.approx(np.degrees(angle[k]))


def test_figure_point_colours_follow_responsibilities(fitted):
    """The scatter's face colours are the blended responsibilities (hard: the argmax colour)."""
    X, mixture, resp = fitted
    soft = export.figure(X, mixture, resp).axes[0].collections[0].get_facecolors()[:, :3]
    np.testing.assert_allclose(soft, geometry.blend(resp), atol=1e-6)
    hard = export.figure(X, mixture, resp, hard=True).axes[0].collections[0].get_facecolors()
    np.testing.assert_allclose(hard[:, :3], geometry.hard_colors(resp), atol=1e-6)


def test_png_and_svg_bytes(fitted):
    """PNG starts with its signature; the SVG holds one group per ellipse."""
    X, mixture, resp = fitted
    png = export.png_bytes(X, mixture, resp, title="EM Lab")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = export.svg_bytes(X, mixture, resp).decode()
    assert svg.count('id="ellipse-') == 2 * mixture.n_components


def test_collapsed_component_is_highlighted(fitted):
    """A collapsed component's ellipses are drawn in red."""
    X, mixture, resp = fitted
    fig = export.figure(X, mixture, resp, collapsed=[1])
    (e,) = [e for e in _ellipses(fig) if e.get_gid() == "ellipse-1-1sigma"]
    assert matplotlib.colors.to_hex(e.get_edgecolor()) == "#d00000"


def test_parameters_json_round_trip(fitted):
    """The JSON rebuilds the same Mixture; non-finite metadata becomes null."""
    X, mixture, resp = fitted
    doc = json.loads(export.parameters_json(mixture, dataset="blobs", log_likelihood=float("-inf")))
    rebuilt = em.Mixture(np.array(doc["weights"]), np.array(doc["means"]),
                         np.array(doc["covariances"]), doc["covariance_type"])
    np.testing.assert_allclose(rebuilt.means, mixture.means)
    np.testing.assert_allclose(rebuilt.full_covariances(), mixture.full_covariances())
    assert doc["dataset"] == "blobs" and doc["log_likelihood"] is None


def test_responsibilities_csv(fitted):
    """One row per point with x, y, r1..rK summing to 1 and the 1-based hard label."""
    X, mixture, resp = fitted
    rows = list(csv.DictReader(io.StringIO(export.responsibilities_csv(X, resp, ("a", "b")))))
    assert len(rows) == len(X)
    assert list(rows[0]) == ["a", "b", "r1", "r2", "r3", "component"]
    r = np.array([[float(row[f"r{j}"]) for j in (1, 2, 3)] for row in rows])
    np.testing.assert_allclose(r.sum(axis=1), 1, atol=1e-5)
    assert [int(row["component"]) for row in rows] == list(np.argmax(resp, axis=1) + 1)


def test_names_from_a_users_file_are_plain_text(fitted):
    """Guards uploads: a file or column name with "$" is not mathtext (which could not parse it and
    failed the PNG export), and a column name with a comma or quote keeps the CSV header valid."""
    X, mixture, resp = fitted
    columns = ("cost $\\sqrt{", 'a, "b"')
    fig = export.figure(X, mixture, resp, title="price $\\frac{a$.csv", columns=columns)
    assert fig.axes[0].get_title() == "price $\\frac{a$.csv"
    assert export.png_bytes(X, mixture, resp, title="$\\frac{a$", columns=columns)[:4] == b"\x89PNG"
    rows = list(csv.reader(io.StringIO(export.responsibilities_csv(X, resp, columns))))
    assert rows[0][:2] == list(columns) and len(rows) == len(X) + 1


def test_export_module_does_not_import_matplotlib():
    """Importing app.export must not load matplotlib (the app starts without it)."""
    import subprocess

    code = "import sys, app.export; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _png_size(png):
    import struct

    return struct.unpack(">II", png[16:24])  # IHDR: width, height


def test_figure_is_drawn_for_a_slide(fitted):
    """Presentation quality (issue 13): handle numbers of 13 points in bold (were 7), handles 22
    points across, axis text of 13 to 16 points, points 6 points across for a few hundred."""
    from matplotlib.text import Annotation

    X, mixture, resp = fitted
    fig = export.figure(X, mixture, resp, title="blobs")
    ax = fig.axes[0]
    numbers = [t for t in ax.texts if isinstance(t, Annotation)]
    assert [t.get_text() for t in numbers] == ["1", "2", "3"]
    assert all(t.get_fontsize() >= 13 and t.get_fontweight() == "bold" for t in numbers)
    (handles,) = [c for c in ax.collections if c.get_gid() == "handles"]
    assert handles.get_sizes()[0] >= 20 ** 2
    points = ax.collections[0]
    assert points.get_sizes()[0] == pytest.approx(36.0)
    assert ax.xaxis.label.get_fontsize() >= 15 and ax.title.get_fontsize() >= 16
    assert ax.xaxis.get_ticklabels()[0].get_fontsize() >= 13


def test_point_size_shrinks_with_many_points():
    """6 points across up to 300 points, smaller beyond, never under 1.5."""
    assert export.point_size(10) == export.point_size(300) == pytest.approx(36.0)
    assert export.point_size(1200) == pytest.approx(9.0)
    assert export.point_size(10**7) == pytest.approx(1.5 ** 2)


@pytest.mark.parametrize("dpi", export.DPI_CHOICES)
def test_png_has_the_asked_resolution(fitted, dpi):
    """A PNG of 8 × 6.5 inches at 100, 200 or 300 dots per inch."""
    X, mixture, resp = fitted
    width, height = _png_size(export.png_bytes(X, mixture, resp, dpi=dpi))
    assert (width, height) == (round(8 * dpi), round(6.5 * dpi))


def test_handle_numbers_are_legible_in_the_png(fitted):
    """At the default resolution each handle is a disc about 60 px across whose number (black or
    white, the contrasting one) covers a good part of it: read off the pixels around a mean."""
    from PIL import Image

    X, mixture, resp = fitted
    fig = export.figure(X, mixture, resp)
    png = export._save(fig, "png")
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    ax = fig.axes[0]
    colors = geometry.palette(3)
    for k in range(3):
        x, y = ax.transData.transform(mixture.means[k])
        row, col = image.shape[0] - int(round(y)), int(round(x))
        patch = image[row - 12:row + 13, col - 12:col + 13]
        ink = np.array(matplotlib.colors.to_rgb(geometry.label_color(colors[k]))) * 255
        share = np.mean(np.abs(patch - ink).sum(axis=2) < 90)
        assert 0.1 < share < 0.7, (k, share)


def test_export_follows_the_plots_scales():
    """Old Faithful's columns differ 12-fold in spread: exported at their own scales, as the live
    plot draws them (one scale would squeeze the data into a sliver)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * [1, 12]
    mixture = em.initial_mixture(X, 2, rng=np.random.default_rng(0))
    assert export.figure(X, mixture).axes[0].get_aspect() == "auto"
    assert export.figure(X / [1, 12], mixture).axes[0].get_aspect() == 1.0
