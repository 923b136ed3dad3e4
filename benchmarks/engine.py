"""Per-iteration time of EM Lab's engine against scikit-learn's GaussianMixture, in one run.

Prints figures only (no assertions on time). Both sides start from identical parameters and run the
same number of EM iterations on the same data; scikit-learn is timed through its own `_e_step` and
`_m_step`, the body of its fitting loop, so neither side pays for initialisation or validation of
the estimator. The final parameters are compared too: a speed-up that changed the answer would be
worthless.

    .venv/bin/python benchmarks/engine.py            # N=100,000, K=10 and the interactive N=2,000, K=6
    .venv/bin/python benchmarks/engine.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

from app import em


def make_data(n_samples: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (12, 2))
    scales = rng.uniform(0.3, 1.5, (12, 2))
    labels = rng.integers(12, size=n_samples)
    return centres[labels] + rng.normal(size=(n_samples, 2)) * scales[labels]


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(n_samples: int, n_components: int, covariance_type: str, n_iter: int, repeats: int):
    X = make_data(n_samples)
    start = em.initial_mixture(X, n_components, covariance_type=covariance_type, init="random",
                               rng=np.random.default_rng(1))

    def ours():
        mixture = start
        for _ in range(n_iter):
            resp, _ = em.e_step(X, mixture)
            mixture = em.m_step(X, resp, covariance_type)
        return mixture

    model = GaussianMixture(n_components, covariance_type=covariance_type, reg_covar=1e-6)

    def reset():
        # The state scikit-learn's loop reads and writes; set directly, as its _initialize does.
        model.weights_ = start.weights.copy()
        model.means_ = start.means.copy()
        model.covariances_ = start.covariances.copy()
        model.precisions_cholesky_ = _compute_precision_cholesky(model.covariances_,
                                                                 covariance_type)

    def theirs():
        reset()
        for _ in range(n_iter):
            _, log_resp = model._e_step(X)
            model._m_step(X, log_resp)

    ours_time = best_of(repeats, ours) / n_iter
    theirs_time = best_of(repeats, theirs) / n_iter
    final = ours()
    theirs()
    agreement = max(
        np.max(np.abs(final.means - model.means_) / (np.abs(model.means_) + 1e-300)),
        np.max(np.abs(final.covariances - model.covariances_) / np.abs(model.covariances_).max()),
        np.max(np.abs(final.weights - model.weights_) / model.weights_),
    )
    return ours_time, theirs_time, agreement


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    print(f"{'N':>8} {'K':>3} {'type':>10} {'ours ms/iter':>13} {'sklearn ms/iter':>16} "
          f"{'ratio':>6} {'max rel diff':>13}")
    for n_samples, n_components, types, n_iter in [
        (100_000, 10, em.COVARIANCE_TYPES, 5),
        (2_000, 6, em.COVARIANCE_TYPES, 20),
    ]:
        for covariance_type in types:
            ours_time, theirs_time, agreement = bench(n_samples, n_components, covariance_type,
                                                      n_iter, repeats)
            print(f"{n_samples:>8} {n_components:>3} {covariance_type:>10} "
                  f"{ours_time * 1e3:>13.3f} {theirs_time * 1e3:>16.3f} "
                  f"{ours_time / theirs_time:>6.2f} {agreement:>13.1e}")


if __name__ == "__main__":
    main()
