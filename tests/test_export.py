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
