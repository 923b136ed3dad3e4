"""The shipped data sets: shapes, provenance, byte-for-byte regeneration, and the teaching claims
their notes make (checked against the engine in app/em.py)."""

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from app import data, em, generators

REPO = Path(__file__).resolve().parent.parent
INDEX = json.loads(resources.files("app.datasets").joinpath("index.json").read_text("utf-8"))
ENTRIES = {entry["name"]: entry for entry in INDEX}


def _read(file: str) -> str:
    return resources.files("app.datasets").joinpath(file).read_text(encoding="utf-8")


def _column(file: str, name: str) -> list[str]:
    return [row[name] for row in csv.DictReader(io.StringIO(_read(file)))]


def test_names_follow_the_index():
    """names() lists every indexed set once, in the index's order, and titles() names each."""
    assert data.names() == [entry["name"] for entry in INDEX]
    assert len(set(data.names())) == len(INDEX)
    assert set(data.titles()) == set(data.names())


@pytest.mark.parametrize("name", list(ENTRIES))
def test_every_set_loads_with_its_documented_shape(name):
    """Each set loads by name with the shape, columns and metadata its index entry documents."""
    entry = ENTRIES[name]
    dataset = data.load(name)
    assert dataset.X.shape == (entry["n_samples"], 2)
    assert dataset.X.dtype == np.float64
    assert np.all(np.isfinite(dataset.X))
    assert not dataset.X.flags.writeable
    assert dataset.columns == tuple(entry.get("labels", (entry["x"], entry["y"])))
    assert dataset.name == name and dataset.title == entry["title"]
    assert isinstance(dataset.suggested_k, int) and 1 <= dataset.suggested_k <= dataset.n_samples
    data.check_components(dataset, dataset.suggested_k)
    assert dataset.note and "\n" not in dataset.note
    assert entry["licence"] in dataset.source and entry["citation"] in dataset.source
    assert dataset.n_rows == entry["n_samples"] and dataset.n_dropped == 0
    assert not dataset.standardized


def test_loading_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    """The files are found through the package, not the current directory."""
    monkeypatch.chdir(tmp_path)
    data.load.cache_clear()
    try:
        assert data.load("iris").X.shape == (150, 2)
    finally:
        data.load.cache_clear()


def test_load_shares_one_immutable_dataset():
    """load() is cached, which is safe because nothing can change a Dataset or its array."""
    first = data.load("old_faithful")
    assert data.load("old_faithful") is first
    with pytest.raises(ValueError):
        first.X[0, 0] = 99.0
    with pytest.raises(AttributeError):
        first.suggested_k = 5
    with pytest.raises(TypeError):
        first.hints["new"] = 1
    assert first.X[0, 0] == 3.6


def test_unknown_name_is_refused_with_the_choices():
    """Asking for a set that does not exist lists the ones that do."""
    with pytest.raises(data.DataError, match=r"no data set named 'faithful'.*old_faithful, iris"):
        data.load("faithful")


def test_readme_lists_every_set_with_its_licence():
    """datasets/README.md has one row per set, naming its licence."""
    readme = _read("README.md")
    for name, entry in ENTRIES.items():
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
        assert str(entry["n_samples"]) in rows[0]
        tags = ("GPL", "CC BY 4.0", "CC0", "BSD-3-Clause")
        licences = [tag for tag in tags if tag in entry["licence"]]
        assert licences and all(tag in rows[0] for tag in licences), name


def test_generated_sets_regenerate_byte_for_byte(tmp_path):
    """Running the generator with the index's seeds rewrites every generated file identically."""
    written = generators.write_all(tmp_path)
    generated = [entry["file"] for entry in INDEX if "seed" in entry]
    assert sorted(path.name for path in written) == sorted(generated)
    for file in generated:
        shipped = resources.files("app.datasets").joinpath(file).read_bytes()
        assert (tmp_path / file).read_bytes() == shipped, file


def test_generator_script_runs_from_the_command_line(tmp_path):
    """`python -m app.generators DIR` writes the generated sets into DIR."""
    subprocess.run(
        [sys.executable, "-m", "app.generators", str(tmp_path)], check=True, capture_output=True
    )
    assert (tmp_path / "blobs.csv").read_bytes() == (
        resources.files("app.datasets").joinpath("blobs.csv").read_bytes()
    )


def test_another_seed_gives_other_points():
    """The seed really drives the recipe: a different one draws different points."""
    X1, _ = generators.generate("blobs", 1)
    X2, _ = generators.generate("blobs", 2)
    assert X1.shape == X2.shape and not np.array_equal(X1, X2)


def test_old_faithful_is_r_faithful():
    """The table equals R's datasets::faithful by its published summary (272 rows)."""
    X = data.load("old_faithful").X
    assert X.shape == (272, 2)
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], atol=1e-6)
    np.testing.assert_allclose(X.std(axis=0, ddof=1), [1.141371, 13.594974], atol=1e-6)
    # Column sums to the last digit: a single mistyped value would change them.
    np.testing.assert_allclose(X.sum(axis=0), [948.677, 19284.0], atol=1e-9)
    np.testing.assert_allclose(X[:3], [[3.6, 79], [1.8, 54], [3.333, 74]])
    np.testing.assert_allclose(np.median(X, axis=0), [4.0, 76.0])


def test_iris_is_scikit_learns_iris():
    """The file holds scikit-learn's iris: all four measurements and the species, row for row."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    iris = sklearn_datasets.load_iris()
    rows = list(csv.DictReader(io.StringIO(_read("iris.csv"))))
    measured = np.array([[float(row[c]) for c in list(row)[:4]] for row in rows])
    np.testing.assert_array_equal(measured, iris.data)
    assert [row["species"] for row in rows] == list(iris.target_names[iris.target])
    np.testing.assert_array_equal(data.load("iris").X, iris.data[:, 2:4])


def test_penguins_are_palmerpenguins_without_missing_rows():
    """342 complete rows of palmerpenguins, by its documented species counts and means."""
    X = data.load("penguins").X
    assert X.shape == (342, 2)
    np.testing.assert_allclose(X.mean(axis=0), [43.92193, 200.9152], atol=1e-4)
    np.testing.assert_allclose(X.sum(axis=0), [15021.3, 68713.0], atol=1e-9)
    species = _column("penguins.csv", "species")
    assert {s: species.count(s) for s in set(species)} == {
        "Adelie": 151, "Gentoo": 123, "Chinstrap": 68
    }
    assert "NA" not in _read("penguins.csv")


@pytest.mark.parametrize("name", [name for name in ENTRIES if name != "six_points"])
def test_suggested_k_is_the_bic_choice(name):
    """BIC over K = 1..6 (5 restarts) picks each set's suggested K (six points are too few)."""
    dataset = data.load(name)
    bics = [
        em.bic(dataset.X, em.fit(dataset.X, k, n_init=5, seed=0).mixture) for k in range(1, 7)
    ]
    assert int(np.argmin(bics)) + 1 == dataset.suggested_k


def test_generated_component_labels_match_suggested_k():
    """Each generated file's component column holds 1..K; a lone point of no component (0, the
    collapse demo's) is what the suggested K's extra component is for."""
    for name, entry in ENTRIES.items():
        if "seed" not in entry:
            continue
        labels = {int(v) for v in _column(entry["file"], "component")}
        components = entry["suggested_k"] - (1 if 0 in labels else 0)
        assert labels - {0} == set(range(1, components + 1)), name


def test_collapse_demo_collapses_onto_the_lone_point():
    """A third component started on the lone point keeps it and collapses (reg_covar = 0), and the
    likelihood then beats the healthy fit: maximum likelihood prefers the degenerate answer."""
    dataset = data.load("collapse_demo")
    X = dataset.X
    lone = np.array(dataset.hints["isolated_point"])
    distances = np.linalg.norm(X - lone, axis=1)
    assert np.sum(distances == 0) == 1 and np.sort(distances)[1] > 3.0
    starts = np.array([[-2.0, 0.0], [1.5, 0.5], lone])
    collapsed = em.fit(X, 3, means_init=starts, reg_covar=0.0)
    events = em.detect_collapse(X, collapsed.mixture, collapsed.resp)
    assert [(e.component, e.kind) for e in events] == [(2, "singular")]
    np.testing.assert_allclose(collapsed.mixture.means[2], lone)
    assert np.isfinite(collapsed.log_likelihood)
    healthy = em.fit(X, 2, n_init=5, seed=0)
    assert collapsed.log_likelihood > healthy.log_likelihood
    # reg_covar is the remedy: the same start with the default keeps every variance >= reg_covar.
    floored = em.fit(X, 3, means_init=starts, reg_covar=1e-6)
    assert np.all(np.linalg.eigvalsh(floored.mixture.full_covariances()) >= 1e-6 * (1 - 1e-9))


def test_local_optima_bad_seed_is_a_genuine_local_optimum():
    """With the hinted init, the bad seed ends well below the good seed's optimum however long EM
    runs, with one component stretched over a pair of clusters; the good seed finds the best."""
    dataset = data.load("local_optima")
    X, hints = dataset.X, dataset.hints
    k = dataset.suggested_k
    best = em.fit(X, k, n_init=10, seed=0, tol=0.0, max_iter=500).log_likelihood
    good = em.fit(X, k, init=hints["init"], seed=hints["good_seed"])
    assert good.log_likelihood == pytest.approx(best, abs=1.0)
    for tol, max_iter in ((1e-3, 100), (0.0, 2000)):  # the lab's default, and "run forever"
        bad = em.fit(X, k, init=hints["init"], seed=hints["bad_seed"], tol=tol, max_iter=max_iter)
        assert bad.log_likelihood < best - 20.0
    # A pair's two clusters are 4 apart, each of variance 0.35: a component covering both has a
    # variance of about 4 along the pair.
    largest = np.linalg.eigvalsh(bad.mixture.full_covariances())[:, -1]
    assert largest.max() > 3.0 and np.sort(largest)[0] < 0.5


def test_local_optima_catch_random_starts_often():
    """'Random from data' starts end in a worse optimum for a good share of seeds (the note says
    about half)."""
    X = data.load("local_optima").X
    finals = np.array([
        em.fit(X, 4, init="random_from_data", seed=s, tol=0.0, max_iter=500).log_likelihood
        for s in range(20)
    ])
    worse = finals < finals.max() - 20.0
    assert 5 <= worse.sum() <= 15


def test_six_points_are_the_hand_trace_example():
    """Six points at x = 1, 2, 3, 6, 7, 8 with a jitter small next to their spacing."""
    X = data.load("six_points").X
    np.testing.assert_array_equal(X[:, 0], [1, 2, 3, 6, 7, 8])
    assert np.all(np.abs(X[:, 1]) < 0.3) and np.ptp(X[:, 1]) > 0


def test_sets_load_from_a_built_wheel_away_from_the_repository(tmp_path):
    """The wheel carries the CSV files, and app.data reads them from it with the working
    directory elsewhere (as in an installed site-packages, or Pyodide)."""
    source = tmp_path / "src"
    source.mkdir()
    for item in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / item, source / item)
    for folder in ("app", "datasets"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q",
         "-w", str(tmp_path / "wheel")],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("emlab-*.whl")
    contents = zipfile.ZipFile(wheel).namelist()
    for entry in INDEX:
        assert f"app/datasets/{entry['file']}" in contents
    assert "app/datasets/index.json" in contents and "app/data.py" in contents

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "import app, app.data as d;"
        "print(json.dumps({'file': app.__file__,"
        " 'shapes': {n: d.load(n).X.shape for n in d.names()}}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(unpacked)],
        cwd=elsewhere, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["file"].startswith(str(unpacked))
    assert report["shapes"] == {name: [e["n_samples"], 2] for name, e in ENTRIES.items()}
