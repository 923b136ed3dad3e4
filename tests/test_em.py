"""The EM engine against scikit-learn and scipy (oracles), and its teaching extras."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from app import em

RTOL = 1e-8


def blobs(seed=0):
    """Three well-separated clusters of different shapes."""
    rng = np.random.default_rng(seed)
    return np.vstack(
        [
            rng.normal([0, 0], [1.0, 0.5], (100, 2)),
            rng.normal([4, 3], [0.5, 1.2], (150, 2)),
            rng.normal([-3, 4], 0.7, (80, 2)),
        ]
    )


def anisotropic(seed=1):
    """Blobs sheared by a linear map, as in scikit-learn's GMM examples."""
    return blobs(seed) @ np.array([[0.6, -0.6], [-0.4, 0.8]])


def overlapping(seed=2):
    """Two strongly overlapping clusters, where EM takes many iterations."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal([0, 0], 1.0, (200, 2)), rng.normal([1, 0.5], 1.0, (200, 2))])


DATASETS = {"blobs": blobs, "anisotropic": anisotropic, "overlapping": overlapping}


def precisions_of(mixture):
    """scikit-learn's precisions_init for our covariances."""
    cov = mixture.covariances
    if mixture.covariance_type in ("full", "tied"):
        return np.linalg.inv(cov)
    return 1.0 / cov


def run_both(X, n_components, covariance_type, n_iter, reg_covar=1e-6, seed=0):
    """n EM iterations of ours and of scikit-learn's from the same start."""
    start = em.initial_mixture(
        X, n_components, covariance_type=covariance_type, init="random",
        rng=np.random.default_rng(seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges, by design
        theirs = GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            weights_init=start.weights,
            means_init=start.means,
            precisions_init=precisions_of(start),
            max_iter=n_iter,
            tol=0,
            reg_covar=reg_covar,
        ).fit(X)
    ours = start
    for _ in range(n_iter):
        resp, total = em.e_step(X, ours)
        ours = em.m_step(X, resp, covariance_type, reg_covar)
    return ours, total, theirs


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
@pytest.mark.parametrize("n_components", [1, 2, 3, 5])
@pytest.mark.parametrize("dataset", DATASETS)
def test_matches_scikit_learn_after_n_iterations(dataset, n_components, covariance_type):
    """From identical parameters, n iterations give scikit-learn's parameters to 1e-8 relative."""
    X = DATASETS[dataset]()
    ours, total, theirs = run_both(X, n_components, covariance_type, n_iter=8)
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means, theirs.means_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=RTOL, atol=1e-12)
    # scikit-learn's lower_bound_ is the mean log-likelihood at the last E-step.
    np.testing.assert_allclose(total / len(X), theirs.lower_bound_, rtol=RTOL)
    np.testing.assert_allclose(em.log_likelihood(X, ours) / len(X), theirs.score(X), rtol=RTOL)
    np.testing.assert_allclose(em.bic(X, ours), theirs.bic(X), rtol=RTOL)
    np.testing.assert_allclose(em.aic(X, ours), theirs.aic(X), rtol=RTOL)
    assert em.n_parameters(ours) == theirs._n_parameters()


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_predictions_match_scikit_learn(covariance_type):
    """score_samples, predict_proba and predict agree with scikit-learn's for the same parameters."""
    X = anisotropic()
    ours, _, theirs = run_both(X, 3, covariance_type, n_iter=5)
    np.testing.assert_allclose(em.score_samples(X, ours), theirs.score_samples(X), rtol=RTOL)
    np.testing.assert_allclose(
        em.predict_proba(X, ours), theirs.predict_proba(X), rtol=1e-7, atol=1e-12
    )
    np.testing.assert_array_equal(em.predict(X, ours), theirs.predict(X))


def test_density_matches_scipy():
    """The per-point log density is log sum_k pi_k N(x | mu_k, Sigma_k) as scipy computes it."""
    X = blobs()
    mixture = em.Mixture(
        [0.2, 0.5, 0.3],
        [[0, 0], [4, 3], [-3, 4]],
        [[[1.0, 0.3], [0.3, 0.5]], [[0.3, -0.1], [-0.1, 1.4]], [[0.5, 0.0], [0.0, 0.5]]],
    )
    expected = np.log(
        sum(
            w * stats.multivariate_normal(m, c).pdf(X)
            for w, m, c in zip(mixture.weights, mixture.means, mixture.covariances)
        )
    )
    np.testing.assert_allclose(em.score_samples(X, mixture), expected, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_far_from_origin_keeps_its_digits(covariance_type):
    """Offset 1e3, spread 1e-3: we match scikit-learn run on the centred data (which it gets right)."""
    centred = blobs() * 1e-3
    offset = np.array([1e3, -2e3])
    start = em.initial_mixture(
        centred, 3, covariance_type=covariance_type, init="random", rng=np.random.default_rng(0)
    )
    reg_covar = 1e-12  # the data's variance is ~1e-6: keep the regulariser below it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GaussianMixture(
            3, covariance_type=covariance_type, weights_init=start.weights,
            means_init=start.means, precisions_init=precisions_of(start), max_iter=10, tol=0,
            reg_covar=reg_covar,
        ).fit(centred)
    ours = start.with_means(start.means + offset)
    X = centred + offset
    for _ in range(10):
        resp, _ = em.e_step(X, ours)
        ours = em.m_step(X, resp, covariance_type, reg_covar)
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=1e-8)
    np.testing.assert_allclose(ours.means - offset, theirs.means_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.covariances, theirs.covariances_, rtol=1e-8, atol=1e-20)


def test_e_step_rows_sum_to_one_and_total_is_the_sum():
    """resp rows sum to 1 and the E-step's log-likelihood is the total over the points."""
    X = blobs()
    mixture = em.initial_mixture(X, 4, rng=np.random.default_rng(3))
    resp, total = em.e_step(X, mixture)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
    assert total == pytest.approx(em.score_samples(X, mixture).sum(), rel=1e-12)
    assert total == pytest.approx(em.log_likelihood(X, mixture), rel=1e-12)


def test_elbo_rises_at_both_half_steps():
    """The E-step lifts the ELBO to the log-likelihood; the M-step lifts the ELBO and the likelihood."""
    X = overlapping()
    mixture = em.initial_mixture(X, 3, rng=np.random.default_rng(0))
    resp = np.full((len(X), 3), 1 / 3)
    elbo = em.lower_bound(X, resp, mixture)
    for _ in range(15):
        resp, total = em.e_step(X, mixture)
        after_e = em.lower_bound(X, resp, mixture)
        assert after_e == pytest.approx(total, rel=1e-12)
        assert after_e >= elbo - 1e-9 * abs(elbo)
        mixture = em.m_step(X, resp, "full", reg_covar=0)
        after_m = em.lower_bound(X, resp, mixture)
        assert after_m >= after_e - 1e-9 * abs(after_e)
        assert em.log_likelihood(X, mixture) >= after_m - 1e-9 * abs(after_m)
        elbo = after_m


def test_elbo_is_below_the_likelihood_for_other_responsibilities():
    """For responsibilities that are not the posterior, F = log L - KL is strictly below log L."""
    X = blobs()
    mixture = em.initial_mixture(X, 3, rng=np.random.default_rng(0))
    uniform = np.full((len(X), 3), 1 / 3)
    assert em.lower_bound(X, uniform, mixture) < em.log_likelihood(X, mixture)


def test_fit_records_history_and_restarts():
    """fit keeps one log-likelihood per iteration, converges, and reports every restart."""
    X = blobs()
    result = em.fit(X, 3, n_init=5, seed=0)
    assert result.converged
    assert len(result.log_likelihood_history) == result.n_iter
    assert len(result.restarts) == 5 == len(result.restart_mixtures)
    assert result.log_likelihood == max(result.restarts)
    assert result.restarts[result.best_restart] == result.log_likelihood
    assert np.all(np.diff(result.log_likelihood_history) >= -1e-9 * abs(result.log_likelihood))
    assert result.resp.shape == (len(X), 3)


@pytest.mark.parametrize("init", em.INITS)
def test_every_init_finds_the_three_blobs(init):
    """Each initialisation reaches the obvious optimum of three separated blobs, best of 5."""
    X = blobs()
    result = em.fit(X, 3, init=init, n_init=5, seed=1)
    centres = np.sort(result.mixture.means[:, 0])
    np.testing.assert_allclose(centres, [-3, 0, 4], atol=0.3)


def test_fit_from_dropped_means_starts_there():
    """means_init (a dragged handle) is where EM starts: one iteration from there moves a little."""
    X = blobs()
    result = em.fit(X, 3, means_init=[[0, 0], [4, 3], [-3, 4]], max_iter=200, seed=0)
    np.testing.assert_allclose(np.sort(result.mixture.means[:, 0]), [-3, 0, 4], atol=0.3)
    start = em.initial_mixture(X, 3, means_init=[[9, 9], [4, 3], [-3, 4]])
    np.testing.assert_array_equal(start.means, [[9, 9], [4, 3], [-3, 4]])
    np.testing.assert_allclose(start.weights, 1 / 3)


def test_same_seed_same_result_and_no_global_state():
    """Randomness comes only from the seed: equal seeds give equal fits, whatever np.random did."""
    X = overlapping()
    first = em.fit(X, 4, init="random_from_data", seed=42)
    np.random.seed(0)
    np.random.random(10)
    second = em.fit(X, 4, init="random_from_data", seed=42)
    np.testing.assert_array_equal(first.mixture.means, second.mixture.means)


def test_collapse_onto_a_single_point_is_detected_and_finite():
    """Seed 001: with reg_covar=0 a component locks onto an isolated point; detected, nothing NaN."""
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.5, (40, 2)), [[6.0, 6.0]]])
    mixture = em.initial_mixture(X, 2, means_init=[[0, 0], [6, 6]], reg_covar=0)
    assert em.detect_collapse(X, mixture) == []
    for _ in range(6):
        resp, total = em.e_step(X, mixture)
        mixture = em.m_step(X, resp, "full", reg_covar=0)
    resp, total = em.e_step(X, mixture)
    events = em.detect_collapse(X, mixture, resp)
    assert [(e.component, e.kind) for e in events] == [(1, "singular")]
    assert "single point" in events[0].reason and "Component 2" in events[0].reason
    assert events[0].nk == pytest.approx(1.0, abs=1e-3)
    assert np.isfinite(total) and np.all(np.isfinite(resp))
    assert np.isfinite(em.lower_bound(X, resp, mixture))
    assert np.all(np.isfinite(em.score_samples(X, mixture)))
    # Recovery: raising reg_covar gives a healthy component again.
    healthy = em.m_step(X, resp, "full", reg_covar=0.1)
    assert em.detect_collapse(X, healthy, resp) == []


def test_starved_component_is_reported():
    """A component holding less than one point's responsibility is named as starved."""
    X = blobs()
    mixture = em.Mixture([0.5, 0.5], [[0, 0], [50, 50]], [[[1, 0], [0, 1]], [[1, 0], [0, 1]]])
    events = em.detect_collapse(X, mixture)
    assert [(e.component, e.kind) for e in events] == [(1, "starved")]
    assert "starved" in events[0].reason


def test_singular_covariance_given_by_hand_stays_finite():
    """A mixture with an all-zero covariance (allowed: reg_covar=0 makes one) evaluates finitely."""
    X = blobs()
    mixture = em.Mixture([0.5, 0.5], [X[0], [0, 0]], [[[0, 0], [0, 0]], [[1, 0], [0, 1]]])
    resp, total = em.e_step(X, mixture)
    assert np.isfinite(total) and np.all(np.isfinite(resp))
    assert resp[0, 0] == pytest.approx(1.0)
    assert em.detect_collapse(X, mixture, resp)[0].component == 0


def test_kmeans_matches_scikit_learn_kmeans():
    """Alternating the hard half-steps from the same centres reaches scikit-learn's Lloyd result."""
    X = anisotropic()
    centres = X[[0, 120, 300]]
    mixture = em.Mixture(np.full(3, 1 / 3), centres, np.ones(3), "spherical")
    for _ in range(100):
        resp, inertia = em.kmeans_e_step(X, mixture)
        mixture = em.kmeans_m_step(X, resp, previous_means=mixture.means)
    theirs = KMeans(3, init=centres, n_init=1, algorithm="lloyd", tol=0).fit(X)
    np.testing.assert_allclose(mixture.means, theirs.cluster_centers_, rtol=1e-10)
    assert inertia == pytest.approx(theirs.inertia_, rel=1e-10)
    np.testing.assert_allclose(mixture.weights, 1 / 3)
    assert mixture.covariance_type == "spherical"
    assert np.ptp(mixture.covariances) == 0


def test_kmeans_is_the_small_variance_limit_of_em():
    """EM's E-step with equal weights and a tiny shared variance gives k-means' hard assignments."""
    X = blobs()
    means = X[[0, 150, 300]]
    limit = em.Mixture(np.full(3, 1 / 3), means, np.full(3, 1e-4), "spherical")
    soft, _ = em.e_step(X, limit)
    hard, _ = em.kmeans_e_step(X, limit)
    np.testing.assert_allclose(soft, hard, atol=1e-9)


def test_kmeans_empty_cluster_keeps_its_mean():
    """A cluster that wins no point stays where it was instead of jumping or becoming NaN."""
    X = blobs()
    far = em.Mixture(np.full(2, 0.5), [[0, 0], [100, 100]], np.ones(2), "spherical")
    resp, _ = em.kmeans_e_step(X, far)
    moved = em.kmeans_m_step(X, resp, previous_means=far.means)
    np.testing.assert_array_equal(moved.means[1], [100, 100])


def test_standardizer_round_trips_data_and_mixtures():
    """Standardising and back is the identity; the likelihood changes by the log-Jacobian only."""
    X = anisotropic() * [3.0, 0.01] + [100, -5]
    scaler = em.Standardizer.fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12)
    for covariance_type in ("full", "tied", "diag"):
        fitted = em.fit(Z, 3, covariance_type=covariance_type, seed=0).mixture
        in_data_units = scaler.inverse_transform_mixture(fitted)
        jacobian = len(X) * np.log(scaler.scale).sum()
        assert em.log_likelihood(X, in_data_units) == pytest.approx(
            em.log_likelihood(Z, fitted) - jacobian, rel=1e-10
        )
        back = scaler.transform_mixture(in_data_units)
        np.testing.assert_allclose(back.covariances, fitted.covariances, rtol=1e-12)


def test_standardizer_keeps_a_constant_axis():
    """A constant column is centred but not divided by zero."""
    X = np.column_stack([np.arange(5.0), np.full(5, 7.0)])
    scaler = em.Standardizer.fit(X)
    assert np.all(np.isfinite(scaler.transform(X)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: em.e_step(np.zeros((300, 3)), em.initial_mixture(np.eye(2), 1)),
         r"X must have shape \(n_samples, 2\); got \(300, 3\)\. Pick two columns\."),
        (lambda: em.e_step([[np.nan, 1.0]], em.initial_mixture(np.eye(2), 1)), "NaN"),
        (lambda: em.e_step(np.zeros((0, 2)), em.initial_mixture(np.eye(2), 1)), "no rows"),
        (lambda: em.Mixture([0.5, 0.6], [[0, 0], [1, 1]], np.ones(2), "spherical"),
         "sum to 1"),
        (lambda: em.Mixture([1.0], [[0, 0]], np.ones((1, 2)), "full"),
         r"'full' covariances must have shape \(1, 2, 2\)"),
        (lambda: em.Mixture([1.0], [[0, 0]], [[[1, 2], [2, 1]]]), "positive semi-definite"),
        (lambda: em.Mixture([1.0], [[0, 0]], [1.0], "round"), "covariance_type must be one of"),
        (lambda: em.m_step(np.eye(2), np.ones((3, 1))), r"resp must have shape"),
        (lambda: em.m_step(np.eye(2), np.ones((2, 1)), reg_covar=-1), "reg_covar"),
        (lambda: em.fit(np.eye(2), 3), "more than the 2 data points"),
        (lambda: em.fit(np.eye(2), 1, init="best"), "init must be one of"),
    ],
)
def test_errors_say_what_was_expected(make, message):
    """Bad input at a public entry point raises ValueError saying what was expected."""
    with pytest.raises(ValueError, match=message):
        make()


def test_mixture_is_immutable():
    """A half-step never changes the mixture it started from: history and undo rely on that."""
    X = blobs()
    mixture = em.initial_mixture(X, 3, rng=np.random.default_rng(0))
    before = mixture.means.copy()
    em.m_step(X, em.e_step(X, mixture)[0])
    np.testing.assert_array_equal(mixture.means, before)
    with pytest.raises(ValueError):
        mixture.means[0, 0] = 1.0


def test_thin_but_healthy_components_are_not_called_collapsed():
    """On elongated data a component as thin as the data across is healthy, not collapsed."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0, 100, 400), rng.normal(0, 0.01, 400)])
    X[:200, 0] += 500
    result = em.fit(X, 2, seed=0)
    assert em.detect_collapse(X, result.mixture, result.resp) == []


@pytest.mark.parametrize(
    "points, onto",
    [
        ([[6.0, 6.0]], "point"),
        ([[6.0, 6.0]] * 4, "stack"),
        ([[6.0, 6.0], [7.0, 7.0], [8.0, 8.0]], "line"),
    ],
)
def test_collapse_says_what_the_component_sits_on(points, onto):
    """A component locked on one point, on copies of one point, or on a line is named as such."""
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.5, (40, 2)), points])
    resp = np.zeros((len(X), 2))
    resp[:40, 0] = 1
    resp[40:, 1] = 1
    mixture = em.m_step(X, resp, "full", reg_covar=0)
    events = em.detect_collapse(X, mixture, resp)
    assert [(e.component, e.kind, e.onto) for e in events] == [(1, "singular", onto)]


@pytest.mark.parametrize("X", [np.array([[1.0, 2.0]]), np.asfortranarray(blobs())])
def test_engine_never_writes_into_X(X):
    """Guards a bug where centring the data in place wrote into (or failed on) a read-only X."""
    X.flags.writeable = False
    before = X.copy()
    mixture = em.initial_mixture(X, 1)
    em.detect_collapse(X, mixture)
    em.m_step(X, em.e_step(X, mixture)[0])
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("covariance_type", em.COVARIANCE_TYPES)
def test_e_step_and_lower_bound_is_both_in_one_pass(covariance_type):
    """The M-step's new responsibilities and log-likelihood, and the ELBO of the old
    responsibilities under the new mixture: what e_step and lower_bound give apart, also with a
    responsibility of exactly 0 and a component of weight 0, over more than one block."""
    X = np.random.default_rng(3).normal(size=(em._BLOCK + 700, 2)) * [3.0, 1.0]
    mixture = em.initial_mixture(X, 3, covariance_type=covariance_type,
                                 rng=np.random.default_rng(1))
    resp, _ = em.e_step(X, mixture)
    resp[:5] = [1.0, 0.0, 0.0]
    new = em.m_step(X, resp, covariance_type=covariance_type)
    together = em.e_step_and_lower_bound(X, new, resp)
    apart = (*em.e_step(X, new), em.lower_bound(X, resp, new))
    np.testing.assert_array_equal(together[0], apart[0])
    assert together[1] == apart[1]
    assert together[2] == pytest.approx(apart[2], rel=1e-12)
    starved = em.Mixture(np.array([0.5, 0.5, 0.0]), new.means, new.covariances, new.covariance_type)
    assert em.e_step_and_lower_bound(X, starved, resp)[2] == em.lower_bound(X, resp, starved)
    with pytest.raises(ValueError):
        em.e_step_and_lower_bound(X, new, resp[:, :2])
