"""Generated teaching data sets: pure numpy recipes, each reproducible from one seed.

Owns the recipes behind the generated CSV files in ``datasets/`` and the script that writes them
(``python -m app.generators [DIRECTORY]``; the default is the repository's ``datasets/`` folder).
The seed of each set lives in ``datasets/index.json`` with the rest of its metadata, so regenerating
with the seeds found there reproduces the shipped files byte for byte (a test checks it).

Randomness comes only from the ``numpy.random.Generator`` passed in (never a global seed). Imports
numpy and the standard library only: it runs in the browser too, and must not import anything
from the lab (session, views).

Each recipe returns ``(X, component)``: ``X`` of shape (n_samples, 2) and the 1-based component
each point was drawn from (the "truth" a teacher can compare EM's answer with; 0 for a point that
belongs to no component).
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["GENERATORS", "csv_text", "generate", "write_all"]

# Values are written with this many decimals: plenty for plotting and EM, and rounding makes the
# files immune to last-bit differences between platforms' floating point.
DECIMALS = 4


def _gaussians(rng, sizes, means, covariances):
    """Draw ``sizes[k]`` points from N(means[k], covariances[k]) for each k, in component order."""
    # mean + z L^T with L the Cholesky factor of the covariance: the plainest recipe, and one whose
    # stream of draws no numpy release changes (only standard_normal is consumed).
    parts = [
        np.asarray(mean) + rng.standard_normal((size, 2)) @ np.linalg.cholesky(cov).T
        for size, mean, cov in zip(sizes, means, covariances)
    ]
    labels = np.repeat(np.arange(1, len(sizes) + 1), sizes)
    return np.concatenate(parts), labels


def blobs(rng):
    """Three round, equally sized, well-separated clusters (scikit-learn's ``make_blobs``)."""
    means = [(-4.0, -2.0), (0.0, 4.0), (4.5, -1.0)]
    return _gaussians(rng, [100, 100, 100], means, [np.eye(2)] * 3)


def anisotropic(rng):
    """Blobs sheared by one linear map, as in scikit-learn's "k-means assumptions" example."""
    X, labels = blobs(rng)
    # The transformation of scikit-learn's plot_kmeans_assumptions.py: every cluster becomes the
    # same tilted ellipse, which a spherical model cannot follow.
    shear = np.array([[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])
    return X @ shear, labels


def varied_variances(rng):
    """Three round clusters with standard deviations 1.0, 2.5 and 0.5 (scikit-learn's example)."""
    means = [(-5.0, -3.0), (1.0, 3.0), (5.0, -3.0)]
    stds = [1.0, 2.5, 0.5]
    return _gaussians(rng, [100, 100, 100], means, [s**2 * np.eye(2) for s in stds])


def overlapping(rng):
    """Two tilted Gaussians whose means are about one standard deviation apart."""
    means = [(0.0, 0.0), (1.6, 0.8)]
    covariances = [[[1.0, 0.4], [0.4, 0.8]], [[0.7, -0.3], [-0.3, 1.0]]]
    return _gaussians(rng, [150, 150], means, covariances)


# Where the collapse demo's lone point sits: far from both clusters, so a component started on it
# keeps it to itself.
ISOLATED_POINT = (6.0, 6.0)


def collapse_demo(rng):
    """A tight cluster, a looser one, and one isolated point for a component to collapse onto."""
    X, labels = _gaussians(
        rng, [80, 120], [(-2.0, 0.0), (1.5, 0.5)], [0.15 * np.eye(2), [[0.8, 0.3], [0.3, 0.6]]]
    )
    return np.vstack([X, ISOLATED_POINT]), np.append(labels, 0)


def local_optima(rng):
    """Four compact clusters in two pairs, far apart: (-6, +-2) on the left, (6, +-2) on the right.

    Started with two means in one pair and one mean between the other pair, EM settles with one
    component stretched over two clusters and two sharing one: a genuine local optimum (EM cannot
    leave it however long it runs), because no single step that moves a mean across the gap raises
    the likelihood. Random starts from data points land there about half the time; k-means++
    seeding rarely does.
    """
    means = [(-6.0, -2.0), (-6.0, 2.0), (6.0, -2.0), (6.0, 2.0)]
    return _gaussians(rng, [60] * 4, means, [0.35 * np.eye(2)] * 4)


def six_points(rng):
    """Six points on a line, two groups of three, lifted to 2-D with a small vertical jitter.

    Small enough to follow EM by hand: every responsibility fits in a table of six rows. The jitter
    (standard deviation 0.1) keeps each component's 2-D covariance invertible.
    """
    x = np.array([1.0, 2.0, 3.0, 6.0, 7.0, 8.0])
    y = 0.1 * rng.standard_normal(6)
    return np.column_stack([x, y]), np.array([1, 1, 1, 2, 2, 2])


GENERATORS = {
    "blobs": blobs,
    "anisotropic": anisotropic,
    "varied_variances": varied_variances,
    "overlapping": overlapping,
    "collapse_demo": collapse_demo,
    "local_optima": local_optima,
    "six_points": six_points,
}


def generate(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of generated set ``name`` from ``seed``: ``(X, component)``."""
    X, labels = GENERATORS[name](np.random.default_rng(seed))
    return np.round(X, DECIMALS), labels


def csv_text(X: np.ndarray, component: np.ndarray) -> str:
    """The CSV text of a generated set: header ``x,y,component``, fixed decimals, LF endings."""
    # "+ 0.0" turns -0.0 (from rounding tiny negatives) into 0.0, so the text never shows "-0.0000".
    lines = [
        f"{a + 0.0:.{DECIMALS}f},{b + 0.0:.{DECIMALS}f},{k}" for (a, b), k in zip(X, component)
    ]
    return "x,y,component\n" + "\n".join(lines) + "\n"


def _datasets_folder() -> Path:
    # The installed package app.datasets: the repository's datasets/ folder in an editable install.
    return Path(str(resources.files("app.datasets")))


def write_all(directory: Path, index: list[dict] | None = None) -> list[Path]:
    """Write every generated set listed in the index (with its seed) into ``directory``."""
    if index is None:
        index = json.loads((_datasets_folder() / "index.json").read_text(encoding="utf-8"))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in index:
        if "seed" not in entry:  # a real data set: shipped as recorded, not generated
            continue
        X, component = generate(entry["name"], entry["seed"])
        path = directory / entry["file"]
        path.write_bytes(csv_text(X, component).encode("ascii"))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else _datasets_folder()
    for path in write_all(target):
        print(f"wrote {path}")
