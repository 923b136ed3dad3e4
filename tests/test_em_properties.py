"""Hypothesis properties of the EM engine: invariants that hold for any data and any parameters."""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from app import em


@st.composite
def gaussian_data(draw, min_points=12, max_points=80):
    """Points drawn from a random mixture of 1-3 Gaussians at a random scale and offset."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(min_points, max_points))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (rng.integers(1, 4), 2))
    X = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 1, (n, 2))
    return X * scale + draw(st.sampled_from([0.0, 10.0, -1e4])) * scale


@st.composite
def hostile_data(draw):
    """Finite data that break naive EM: duplicates, one distinct point, extreme scales."""
    kind = draw(st.sampled_from(["duplicates", "one point", "tiny", "huge", "line"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(2, 40))
    if kind == "duplicates":
        X = rng.normal(0, 1, (3, 2))[rng.integers(3, size=n)]
    elif kind == "one point":
        X = np.tile(rng.normal(0, 5, 2), (n, 1))
    elif kind == "tiny":
        X = rng.normal(0, 1e-9, (n, 2))
    elif kind == "huge":
        X = rng.normal(0, 1e9, (n, 2))
    else:
        X = np.column_stack([rng.normal(0, 1, n), np.zeros(n)])
    return X


covariance_types = st.sampled_from(em.COVARIANCE_TYPES)


@given(gaussian_data(), st.integers(1, 4), covariance_types, st.integers(0, 1000))
def test_responsibilities_and_weights_sum_to_one(X, k, covariance_type, seed):
    """Every row of resp sums to 1 and the M-step's weights sum to 1."""
    mixture = em.initial_mixture(X, k, covariance_type=covariance_type,
                                 rng=np.random.default_rng(seed))
    resp, _ = em.e_step(X, mixture)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
    updated = em.m_step(X, resp, covariance_type)
    assert abs(updated.weights.sum() - 1) < 1e-12


@given(gaussian_data(), st.integers(1, 4), covariance_types, st.integers(0, 1000))
def test_covariances_positive_definite_with_regularisation(X, k, covariance_type, seed):
    """With reg_covar > 0 every covariance the M-step returns is positive definite."""
    mixture = em.initial_mixture(X, k, covariance_type=covariance_type,
                                 rng=np.random.default_rng(seed), init="random_from_data")
    resp, _ = em.e_step(X, mixture)
    updated = em.m_step(X, resp, covariance_type, reg_covar=1e-6)
    assert np.all(np.linalg.eigvalsh(updated.full_covariances()) > 0)


@given(gaussian_data(min_points=20), st.integers(1, 3), covariance_types, st.integers(0, 1000))
def test_log_likelihood_and_elbo_never_decrease(X, k, covariance_type, seed):
    """Over EM iterations the log-likelihood, and the ELBO over half-steps, never go down."""
    mixture = em.initial_mixture(X, k, covariance_type=covariance_type,
                                 rng=np.random.default_rng(seed))
    resp, total = em.e_step(X, mixture)
    elbo_trace = [em.lower_bound(X, resp, mixture)]
    totals = [total]
    for _ in range(12):
        # Exact EM (reg_covar=0) is what is monotone; stop if a component collapses, where the
        # likelihood is unbounded and the variance floor takes over.
        mixture = em.m_step(X, resp, covariance_type, reg_covar=0)
        if em.detect_collapse(X, mixture, resp):
            break
        elbo_trace.append(em.lower_bound(X, resp, mixture))
        resp, total = em.e_step(X, mixture)
        elbo_trace.append(em.lower_bound(X, resp, mixture))
        totals.append(total)
    for before, after in zip(totals, totals[1:]):
        assert after >= before - 1e-9 * abs(before) - 1e-9
    for before, after in zip(elbo_trace, elbo_trace[1:]):
        assert after >= before - 1e-9 * abs(before) - 1e-9


@given(gaussian_data(), st.integers(2, 4), covariance_types, st.randoms(use_true_random=False))
def test_permuting_components_permutes_columns(X, k, covariance_type, random):
    """Relabelling the components relabels the responsibility columns and nothing else."""
    mixture = em.initial_mixture(X, k, covariance_type=covariance_type,
                                 rng=np.random.default_rng(0), init="random")
    order = list(range(k))
    random.shuffle(order)
    covariances = mixture.covariances if covariance_type == "tied" else mixture.covariances[order]
    permuted = em.Mixture(mixture.weights[order], mixture.means[order], covariances,
                          covariance_type)
    resp, total = em.e_step(X, mixture)
    resp_permuted, total_permuted = em.e_step(X, permuted)
    np.testing.assert_allclose(resp_permuted, resp[:, order], rtol=1e-9, atol=1e-300)
    assert abs(total_permuted - total) <= 1e-9 * abs(total)


@given(gaussian_data(), st.integers(1, 4), covariance_types,
       st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)))
def test_translation_leaves_responsibilities_unchanged(X, k, covariance_type, shift):
    """Moving the data and the means together changes no responsibility and no covariance."""
    assume(np.abs(shift).max() < 1e3 * np.ptp(X))  # beyond that, X's own digits are the limit
    mixture = em.initial_mixture(X, k, covariance_type=covariance_type,
                                 rng=np.random.default_rng(0), init="random")
    moved = mixture.with_means(mixture.means + shift)
    resp, _ = em.e_step(X, mixture)
    resp_moved, _ = em.e_step(X + shift, moved)
    np.testing.assert_allclose(resp_moved, resp, atol=1e-6)
    updated = em.m_step(X, resp, covariance_type)
    updated_moved = em.m_step(X + shift, resp, covariance_type)
    np.testing.assert_allclose(updated_moved.means - shift, updated.means,
                               atol=1e-9 * (np.ptp(X) + np.abs(shift).max()))


@given(hostile_data(), st.integers(1, 6), covariance_types, st.sampled_from([0.0, 1e-6]),
       st.sampled_from(em.INITS), st.integers(0, 1000))
def test_no_nan_or_inf_for_any_finite_input(X, k, covariance_type, reg_covar, init, seed):
    """Duplicates, one distinct point, 1e-9 and 1e9 scales, K above the distinct points: all finite."""
    k = min(k, len(X))
    result = em.fit(X, k, covariance_type=covariance_type, reg_covar=reg_covar, init=init,
                    max_iter=20, seed=seed)
    mixture = result.mixture
    for array in (mixture.weights, mixture.means, mixture.covariances, result.resp):
        assert np.all(np.isfinite(array))
    assert np.isfinite(result.log_likelihood)
    assert all(np.isfinite(result.log_likelihood_history))
    assert np.isfinite(em.lower_bound(X, result.resp, mixture))
    assert np.isfinite(em.bic(X, mixture)) and np.isfinite(em.aic(X, mixture))
    assert np.all(np.isfinite(em.score_samples(X, mixture)))
    for event in em.detect_collapse(X, mixture, result.resp):
        assert event.reason and np.isfinite(event.min_variance)
    resp, inertia = em.kmeans_e_step(X, mixture)
    assert np.isfinite(inertia)
    assert np.all(np.isfinite(em.kmeans_m_step(X, resp, mixture.means).covariances))
