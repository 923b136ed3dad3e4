"""Time of one session half-step (what a click costs before any drawing) against the bare engine.

Prints figures only (no assertions on time). The reference, measured in the same run on the same
data, is one bare engine iteration (``em.e_step`` + ``em.m_step``). A session iteration does more
on purpose: the M-step also evaluates the new mixture (log-likelihood, and the responsibilities the
next E-step reuses), the ELBO of (old responsibilities, new mixture) for the trace, and collapse
detection; the E-step then costs only bookkeeping and the narration.

    .venv/bin/python benchmarks/session.py
"""

from __future__ import annotations

import time

import numpy as np

from app import em
from app.session import Session


def make_data(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (12, 2))
    labels = rng.integers(12, size=n_samples)
    scales = rng.uniform(0.3, 1.5, (12, 2))
    return centres[labels] + rng.normal(size=(n_samples, 2)) * scales[labels]


def median_ms(samples):
    return 1e3 * float(np.median(samples))


def bench(n_samples, n_components, n_iter=8):
    X = make_data(n_samples)
    s = Session(X=X, n_components=n_components, init="random_from_data", tol=0.0)
    engine, e_times, m_times, back_times = [], [], [], []
    mixture = s.mixture
    for _ in range(n_iter):
        t0 = time.perf_counter()
        resp, _ = em.e_step(X, mixture)
        mixture = em.m_step(X, resp)
        engine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        s.e_step()
        t1 = time.perf_counter()
        s.m_step()
        t2 = time.perf_counter()
        e_times.append(t1 - t0)
        m_times.append(t2 - t1)
    for _ in range(4):                      # back() past the kept responsibilities recomputes one
        t0 = time.perf_counter()
        s.back()
        back_times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    s.trace(), s.outlier_mask(), s.uncertainty()
    helpers = time.perf_counter() - t0
    return median_ms(engine), median_ms(e_times), median_ms(m_times), median_ms(back_times), \
        1e3 * helpers


def main():
    print(f"{'N':>7} {'K':>3} {'engine iter ms':>15} {'E-step ms':>10} {'M-step ms':>10} "
          f"{'(E+M)/engine':>13} {'back ms':>8} {'helpers ms':>11}")
    for n_samples, n_components in [(2_000, 6), (50_000, 6), (50_000, 15)]:
        engine, e_ms, m_ms, back_ms, helpers = bench(n_samples, n_components)
        print(f"{n_samples:>7} {n_components:>3} {engine:>15.2f} {e_ms:>10.2f} {m_ms:>10.2f} "
              f"{(e_ms + m_ms) / engine:>13.2f} {back_ms:>8.2f} {helpers:>11.2f}")


if __name__ == "__main__":
    main()
