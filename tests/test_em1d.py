"""The 1-D engine (app.em1d) against scikit-learn and scipy, and the trace lab's six points."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.mixture import GaussianMixture

from app import em, em1d

RTOL = 1e-8


def two_overlapping(seed=0):
    """Two overlapping normals: EM needs many iterations."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0.0, 1.0, 200), rng.normal(1.5, 0.7, 150)])


def three_apart(seed=1):
    """Three separated normals of different spreads."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.normal(-4.0, 0.5, 80), rng.normal(0.0, 1.5, 120), rng.normal(5.0, 0.3, 60)]
    )


def far_away(seed=2):
    """Two normals far from the origin, on a small scale."""
    return 1e3 + 1e-2 * two_overlapping(seed)


DATASETS = {"two_overlapping": two_overlapping, "three_apart": three_apart}
SIX = np.array([0.80, 1.10, 1.40, 4.70, 5.10, 5.50])  # seed 002's trace lab


def precisions_of(mixture):
    """scikit-learn's precisions_init for our variances."""
    return 1.0 / mixture.sklearn_covariances()


def sklearn_after(X, start, n_iter, reg_covar):
    """scikit-learn's GaussianMixture after n_iter iterations from `start`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges, by design
        return GaussianMixture(
            start.n_components,
            covariance_type=start.covariance_type,
            weights_init=start.weights,
            means_init=start.means[:, None],
            precisions_init=precisions_of(start),
            max_iter=n_iter,
            tol=0,
            reg_covar=reg_covar,
        ).fit(X[:, None])


def ours_after(X, start, n_iter, reg_covar):
    """Our mixture after n_iter iterations and the log-likelihood at the last E-step."""
    mixture = start
    for _ in range(n_iter):
        resp, total = em1d.e_step(X, mixture)
        mixture = em1d.m_step(X, resp, mixture.covariance_type, reg_covar)
    return mixture, total


def random_start(X, k, covariance_type, seed=0):
    return em1d.initial_mixture(
        X, k, covariance_type=covariance_type, init="random", rng=np.random.default_rng(seed)
    )


def assert_same(X, ours, total, theirs):
    np.testing.assert_allclose(ours.weights, theirs.weights_, rtol=RTOL)
    np.testing.assert_allclose(ours.means, theirs.means_[:, 0], rtol=RTOL, atol=1e-12)
    assert ours.sklearn_covariances().shape == theirs.covariances_.shape
    np.testing.assert_allclose(ours.sklearn_covariances(), theirs.covariances_, rtol=RTOL)
    # scikit-learn's lower_bound_ is the mean log-likelihood at the last E-step.
    np.testing.assert_allclose(total / len(X), theirs.lower_bound_, rtol=RTOL)
    np.testing.assert_allclose(
        em1d.log_likelihood(X, ours) / len(X), theirs.score(X[:, None]), rtol=RTOL
    )


@pytest.mark.parametrize("covariance_type", em1d.COVARIANCE_TYPES)
@pytest.mark.parametrize("n_components", [1, 2, 3])
@pytest.mark.parametrize("dataset", DATASETS)
def test_matches_scikit_learn_after_n_iterations(dataset, n_components, covariance_type):
    """From identical parameters, n iterations give scikit-learn's parameters to 1e-8 relative."""
    X = DATASETS[dataset]()
    start = random_start(X, n_components, covariance_type)
    ours, total = ours_after(X, start, 8, 1e-6)
    theirs = sklearn_after(X, start, 8, 1e-6)
    assert_same(X, ours, total, theirs)
    np.testing.assert_allclose(em1d.bic(X, ours), theirs.bic(X[:, None]), rtol=RTOL)
    np.testing.assert_allclose(em1d.aic(X, ours), theirs.aic(X[:, None]), rtol=RTOL)
    assert em1d.n_parameters(ours) == theirs._n_parameters()


@pytest.mark.parametrize("reg_covar", [0.0, 1e-3, 0.5])
@pytest.mark.parametrize("covariance_type", em1d.COVARIANCE_TYPES)
def test_reg_covar_is_added_as_scikit_learn_adds_it(covariance_type, reg_covar):
    """reg_covar is added to every variance after the M-step, exactly as scikit-learn does."""
    X = three_apart()
    start = random_start(X, 3, covariance_type, seed=4)
    ours, total = ours_after(X, start, 5, reg_covar)
    assert_same(X, ours, total, sklearn_after(X, start, 5, reg_covar))


@pytest.mark.parametrize("covariance_type", em1d.COVARIANCE_TYPES)
def test_responsibilities_match_scikit_learn(covariance_type):
    """Responsibilities, per-point log densities and labels agree with scikit-learn's."""
    X = two_overlapping()
    start = random_start(X, 2, covariance_type, seed=3)
    ours, _ = ours_after(X, start, 4, 1e-6)
    theirs = sklearn_after(X, start, 4, 1e-6)
    resp, _ = em1d.e_step(X, ours)
    np.testing.assert_allclose(resp, theirs.predict_proba(X[:, None]), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(em1d.score_samples(X, ours), theirs.score_samples(X[:, None]),
                               rtol=RTOL)
    np.testing.assert_array_equal(em1d.predict(X, ours), theirs.predict(X[:, None]))
    log_resp, log_norm = em1d.log_responsibilities(X, ours)
    np.testing.assert_allclose(np.exp(log_resp), resp, rtol=1e-12)
    np.testing.assert_allclose(log_norm, em1d.score_samples(X, ours), rtol=1e-12)


def test_fit_runs_scikit_learns_loop():
    """fit from given means, variances and weights stops at the same iteration as scikit-learn,
    with the same parameters."""
    X = two_overlapping(5)
    means, variances, weights = [-1.0, 2.0], [0.5, 0.5], [0.3, 0.7]
    ours = em1d.fit(X, 2, means_init=means, variances_init=variances, weights_init=weights,
                    tol=1e-3, max_iter=200)
    theirs = GaussianMixture(
        2, means_init=np.array(means)[:, None], weights_init=weights,
        precisions_init=1.0 / np.array(variances)[:, None, None], tol=1e-3, max_iter=200,
    ).fit(X[:, None])
    assert ours.converged and theirs.converged_
    assert ours.n_iter == theirs.n_iter_
    np.testing.assert_allclose(ours.mixture.means, theirs.means_[:, 0], rtol=RTOL)
    np.testing.assert_allclose(ours.mixture.variances, theirs.covariances_[:, 0, 0], rtol=RTOL)
    np.testing.assert_allclose(ours.log_likelihood_history[-1] / len(X), theirs.lower_bound_,
                               rtol=RTOL)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_far_from_origin_keeps_its_digits(covariance_type):
    """Offset 1e3, spread 1e-2: the same as scikit-learn run on the centred data."""
    X = far_away()
    centred = X - 1e3
    start = random_start(centred, 2, covariance_type)
    theirs = sklearn_after(centred, start, 10, 1e-12)
    ours, _ = ours_after(X, start.with_means(start.means + 1e3), 10, 1e-12)
    np.testing.assert_allclose(ours.means - 1e3, theirs.means_[:, 0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.sklearn_covariances(), theirs.covariances_, rtol=1e-7)


def test_two_dimensional_engine_agrees_on_a_line():
    """On points lifted to 2-D with y = 0 and a 'diag' mixture, app.em's x-marginal results equal
    ours (the second axis has its own fixed variance and adds only a constant)."""
    X = three_apart()
    start = random_start(X, 3, "diag", seed=7)
    X2 = np.column_stack([X, np.zeros_like(X)])
    start2 = em.Mixture(start.weights, np.column_stack([start.means, np.zeros(3)]),
                        np.column_stack([start.variances, np.ones(3)]), "diag")
    resp1, _ = em1d.e_step(X, start)
    resp2, _ = em.e_step(X2, start2)
    np.testing.assert_allclose(resp1, resp2, rtol=1e-10, atol=1e-14)
    m1 = em1d.m_step(X, resp1, "diag", 1e-6)
    m2 = em.m_step(X2, resp2, "diag", 1e-6)
    np.testing.assert_allclose(m1.means, m2.means[:, 0], rtol=1e-10)
    np.testing.assert_allclose(m1.variances, m2.covariances[:, 0], rtol=1e-10)


# --------------------------------------------------------------------------------------------------
# Densities for the plot


def test_density_curves_match_scipy_and_add_up():
    """Each curve is pi_k N(x | mu_k, var_k) as scipy computes it; the curves sum to the mixture,
    whose integral over a wide grid is 1."""
    X = three_apart()
    mixture = em1d.Mixture1D([0.2, 0.5, 0.3], [-4.0, 0.0, 5.0], [0.25, 2.25, 0.09])
    grid = np.linspace(-12, 12, 20001)
    curves = em1d.density_curves(X, mixture, grid)
    expected = np.column_stack(
        [w * stats.norm(m, np.sqrt(v)).pdf(grid)
         for w, m, v in zip(mixture.weights, mixture.means, mixture.variances)]
    )
    np.testing.assert_allclose(curves.components, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(curves.mixture, curves.components.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.trapezoid(curves.mixture, grid), 1.0, rtol=1e-9)
    np.testing.assert_allclose(
        np.log(em1d.density_curves(X, mixture, X).mixture), em1d.score_samples(X, mixture),
        rtol=1e-12,
    )


def test_default_grid_covers_data_and_components():
    """The default grid spans the data and each mean +- 4 sd, evenly, n_grid points."""
    mixture = em1d.Mixture1D([0.5, 0.5], [1.6, 4.4], [0.5, 0.5])
    curves = em1d.density_curves(SIX, mixture, n_grid=101)
    assert curves.grid.shape == (101,) and curves.components.shape == (101, 2)
    assert curves.grid[0] < 1.6 - 4 * np.sqrt(0.5) and curves.grid[-1] > 4.4 + 4 * np.sqrt(0.5)
    np.testing.assert_allclose(np.diff(curves.grid), np.diff(curves.grid)[0])


def test_collapsed_component_draws_finite():
    """A variance of 0 (a collapse with reg_covar=0) gives a tall, finite spike, never inf/NaN."""
    mixture = em1d.Mixture1D([0.5, 0.5], [1.1, 5.5], [0.06, 0.0])
    curves = em1d.density_curves(SIX, mixture, np.array([5.5, 5.0]))
    assert np.all(np.isfinite(curves.components)) and curves.components[0, 1] > 1e4
    resp, total = em1d.e_step(SIX, mixture)
    assert np.all(np.isfinite(resp)) and np.isfinite(total)


# --------------------------------------------------------------------------------------------------
# Seed 002's trace lab: x = 0.80, 1.10, 1.40, 4.70, 5.10, 5.50; means 1.60, 4.40; weights 0.5, 0.5.
# The seed gives no starting variances; the lab starts both at 0.50 (then 2 var = 1, so each
# density is exp(-(x - mu)^2) / sqrt(pi): the arithmetic a learner can do by hand).


def trace_start():
    return em1d.initial_mixture(SIX, 2, means_init=[1.60, 4.40], variances_init=[0.50, 0.50],
                                weights_init=[0.50, 0.50])


def test_six_points_file_is_the_trace_lab_set():
    """datasets/six_points_1d.csv holds the seed's six values, one column."""
    from importlib import resources

    text = resources.files("app.datasets").joinpath("six_points_1d.csv").read_text("utf-8")
    lines = text.split()
    assert lines[0] == "x"
    np.testing.assert_array_equal(np.array(lines[1:], dtype=float), SIX)


def test_trace_lab_step_1_reproduces_the_seed_table():
    """Step 1/4 (E-step) from means 1.60/4.40 and weights 0.50/0.50: the seed's table, to the two
    decimals it prints (1.00/0.00 for x1..x3, 0.00/1.00 for x4..x6)."""
    start = trace_start()
    np.testing.assert_array_equal(start.means, [1.60, 4.40])
    np.testing.assert_array_equal(start.weights, [0.50, 0.50])
    resp, _ = em1d.e_step(SIX, start)
    table = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)
    np.testing.assert_array_equal(np.round(resp, 2), table)


def test_trace_lab_arithmetic_for_one_point_checks_by_hand():
    """x3 = 1.40: densities exp(-(x - mu)^2)/sqrt(pi) with (x - mu)^2 = 0.04 and 9.00, so
    r = 1 / (1 + exp(-8.96)) = 0.99987; the engine's terms say the same."""
    terms = em1d.point_terms(SIX, trace_start(), 2)
    assert terms.x == 1.40
    np.testing.assert_allclose(terms.densities, np.exp([-0.04, -9.0]) / np.sqrt(np.pi),
                               rtol=1e-12)
    np.testing.assert_allclose(terms.weighted, 0.5 * terms.densities, rtol=1e-15)
    np.testing.assert_allclose(terms.total, terms.weighted.sum(), rtol=1e-15)
    np.testing.assert_allclose(terms.resp[0], 1 / (1 + np.exp(-8.96)), rtol=1e-12)
    np.testing.assert_allclose(round(terms.resp[0], 5), 0.99987)
    np.testing.assert_allclose(terms.resp, em1d.e_step(SIX, trace_start())[0][2], rtol=1e-14)


def test_trace_lab_four_half_steps():
    """E, M, E, M: the means land on the groups' averages 1.10 and 5.10, the variances on their
    spreads 0.06 and 0.32/3, the weights stay 0.50/0.50, and the log-likelihood rises; every
    half-step equals scikit-learn's."""
    m0 = trace_start()
    resp1, ll1 = em1d.e_step(SIX, m0)            # step 1/4
    m1 = em1d.m_step(SIX, resp1, reg_covar=0.0)  # step 2/4
    np.testing.assert_allclose(m1.means, [1.10, 5.10], atol=2e-4)
    resp2, ll2 = em1d.e_step(SIX, m1)            # step 3/4
    m2 = em1d.m_step(SIX, resp2, reg_covar=0.0)  # step 4/4
    np.testing.assert_allclose(m2.means, [1.10, 5.10], atol=1e-9)
    np.testing.assert_allclose(m2.variances, [0.06, 0.32 / 3], rtol=1e-8)
    np.testing.assert_allclose(m2.weights, [0.5, 0.5], rtol=1e-8)
    assert ll2 > ll1
    assert em1d.lower_bound(SIX, resp1, m1) >= ll1
    for n_iter, (mixture, total) in ((1, (m1, ll1)), (2, (m2, ll2))):
        assert_same(SIX, mixture, total, sklearn_after(SIX, m0, n_iter, 0.0))


def test_trace_lab_m_step_arithmetic_for_one_component():
    """Step 2/4 for component 1, term by term: N_1 about 3, weight 0.50, mean 1.1001, variance
    0.0604; the same numbers as the M-step's."""
    resp, _ = em1d.e_step(SIX, trace_start())
    terms = em1d.component_terms(SIX, resp, 0, reg_covar=0.0)
    mixture = em1d.m_step(SIX, resp, reg_covar=0.0)
    np.testing.assert_allclose(terms.nk, resp[:, 0].sum(), rtol=1e-15)
    np.testing.assert_allclose(terms.weighted_sum, resp[:, 0] @ SIX, rtol=1e-15)
    np.testing.assert_allclose(
        [terms.weight, terms.mean, terms.variance],
        [mixture.weights[0], mixture.means[0], mixture.variances[0]], rtol=1e-13,
    )
    assert (f"{terms.nk:.2f}", f"{terms.mean:.4f}", f"{terms.variance:.4f}") == (
        "3.00", "1.1001", "0.0604")
    with pytest.raises(ValueError, match="component index"):
        em1d.component_terms(SIX, resp, 2)


# --------------------------------------------------------------------------------------------------
# EM's guarantees, collapse, k-means, validation


@pytest.mark.parametrize("seed", range(5))
def test_log_likelihood_never_decreases_and_elbo_touches_it(seed):
    """Each iteration raises the log-likelihood; right after an E-step the ELBO equals it."""
    X = two_overlapping(seed)
    mixture = random_start(X, 3, "full", seed)
    previous = -np.inf
    for _ in range(15):
        resp, total = em1d.e_step(X, mixture)
        assert total >= previous - 1e-9
        np.testing.assert_allclose(em1d.lower_bound(X, resp, mixture), total, rtol=1e-10)
        new = em1d.m_step(X, resp)
        assert em1d.lower_bound(X, resp, new) >= total - 1e-9
        mixture, previous = new, total
    np.testing.assert_allclose(mixture.weights.sum(), 1.0)
    assert np.all(mixture.variances > 0)


def test_collapse_onto_one_point_is_reported():
    """reg_covar=0 and a component alone on x6: its variance goes to 0 and detect_collapse names
    it, while every number stays finite."""
    start = em1d.initial_mixture(SIX, 2, means_init=[2.0, 5.5], variances_init=[3.0, 0.01])
    mixture = start
    for _ in range(3):
        resp, total = em1d.e_step(SIX, mixture)
        mixture = em1d.m_step(SIX, resp, reg_covar=0.0)
    events = em1d.detect_collapse(SIX, mixture)
    assert [(e.component, e.kind, e.onto) for e in events] == [(1, "singular", "point")]
    assert "Component 2 has collapsed" in events[0].reason
    assert np.isfinite(em1d.log_likelihood(SIX, mixture))
    assert em1d.detect_collapse(SIX, trace_start()) == []


def test_kmeans_steps_are_the_hard_limit():
    """k-means E-step assigns each point to its nearest mean; the M-step puts means on centroids
    with equal weights and one pooled variance."""
    start = trace_start().with_means([1.0, 4.0])
    resp, inertia = em1d.kmeans_e_step(SIX, start)
    np.testing.assert_array_equal(resp.argmax(axis=1), [0, 0, 0, 1, 1, 1])
    mixture = em1d.kmeans_m_step(SIX, resp, reg_covar=0.0)
    np.testing.assert_allclose(mixture.means, [1.10, 5.10])
    np.testing.assert_allclose(mixture.variances, [(0.18 + 0.32) / 6] * 2)
    np.testing.assert_allclose(inertia, np.sum((SIX - np.repeat([1.0, 4.0], 3)) ** 2))


@pytest.mark.parametrize("init", em1d.INITS)
def test_every_init_gives_a_valid_start(init):
    """Each init gives K components with weights summing to 1 and positive variances."""
    X = three_apart()
    mixture = em1d.initial_mixture(X, 3, init=init, rng=np.random.default_rng(0))
    assert mixture.n_components == 3 and np.all(mixture.variances > 0)
    np.testing.assert_allclose(mixture.weights.sum(), 1.0)


def test_engine_for_chooses_by_shape():
    """One column (or a flat array) goes to em1d; two columns to em."""
    assert em1d.engine_for(SIX) is em1d and em1d.engine_for(SIX[:, None]) is em1d
    assert em1d.engine_for(np.zeros((3, 2))) is em


def test_column_input_equals_flat_input():
    """X of shape (n, 1) gives the same results as shape (n,)."""
    r1, t1 = em1d.e_step(SIX, trace_start())
    r2, t2 = em1d.e_step(SIX[:, None], trace_start())
    np.testing.assert_array_equal(r1, r2)
    assert t1 == t2


def test_validation_messages():
    """Bad inputs are refused with messages that say what was expected."""
    with pytest.raises(ValueError, match=r"shape \(n_samples,\) or \(n_samples, 1\)"):
        em1d.e_step(np.zeros((4, 2)), trace_start())
    with pytest.raises(ValueError, match="NaN or infinite"):
        em1d.e_step([1.0, np.nan], trace_start())
    with pytest.raises(ValueError, match="sum to 1"):
        em1d.Mixture1D([0.5, 0.6], [0, 1], [1, 1])
    with pytest.raises(ValueError, match="variances must be >= 0"):
        em1d.Mixture1D([0.5, 0.5], [0, 1], [1, -1])
    with pytest.raises(ValueError, match="share one variance"):
        em1d.Mixture1D([0.5, 0.5], [0, 1], [1, 2], "tied")
    with pytest.raises(ValueError, match=r"means must have shape \(2,\)"):
        em1d.Mixture1D([0.5, 0.5], [0, 1, 2], [1, 1])
    with pytest.raises(ValueError, match="reg_covar"):
        em1d.m_step(SIX, np.ones((6, 2)) / 2, reg_covar=-1)
    with pytest.raises(ValueError, match="more than the 6 data points"):
        em1d.initial_mixture(SIX, 7)
    with pytest.raises(ValueError, match="need means_init"):
        em1d.initial_mixture(SIX, 2, variances_init=[1, 1])
    with pytest.raises(ValueError, match="point index"):
        em1d.point_terms(SIX, trace_start(), 6)


# --------------------------------------------------------------------------------------------------
# Hypothesis properties (profiles in tests/conftest.py)

from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def line_data(draw):
    """Points from 1-3 normals at a random scale and offset, or hostile: duplicates, one value."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(2, 60))
    kind = draw(st.sampled_from(["mixture", "mixture", "duplicates", "one value"]))
    if kind == "mixture":
        centres = rng.normal(0, 3, rng.integers(1, 4))
        x = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 1, n)
    elif kind == "duplicates":
        x = rng.normal(0, 1, 3)[rng.integers(3, size=n)]
    else:
        x = np.full(n, rng.normal(0, 5))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    return (x + draw(st.sampled_from([0.0, 1e4]))) * scale


@given(line_data(), st.integers(1, 4), st.sampled_from(em1d.COVARIANCE_TYPES),
       st.sampled_from([0.0, 1e-6]), st.integers(0, 2**32 - 1))
def test_em_stays_finite_and_normalised(x, k, covariance_type, reg_covar, seed):
    """Any data, K, type and reg_covar (0 included): responsibilities sum to 1, weights sum to
    1, variances stay >= 0, every number is finite, and with reg_covar = 0 the log-likelihood
    never falls by more than rounding while no component has collapsed."""
    k = min(k, len(x))
    mixture = em1d.initial_mixture(x, k, covariance_type=covariance_type, reg_covar=reg_covar,
                                   init="random_from_data", rng=np.random.default_rng(seed))
    previous = -np.inf
    for _ in range(6):
        resp, total = em1d.e_step(x, mixture)
        assert np.all(np.isfinite(resp)) and np.isfinite(total)
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
        # Only the exact M-step (reg_covar = 0) is guaranteed to climb: reg_covar moves the
        # variances off the maximum, noticeably when it rivals the data's own variance.
        if reg_covar == 0 and not em1d.detect_collapse(x, mixture, resp):
            assert total >= previous - 1e-7 * max(1.0, abs(previous))
        previous = total
        mixture = em1d.m_step(x, resp, covariance_type, reg_covar)
        np.testing.assert_allclose(mixture.weights.sum(), 1.0, rtol=1e-12)
        assert np.all(mixture.variances >= 0) and np.all(np.isfinite(mixture.means))
    curves = em1d.density_curves(x, mixture, n_grid=50)
    assert np.all(np.isfinite(curves.mixture)) and np.all(curves.components >= 0)


@given(line_data(), st.integers(0, 2**32 - 1))
def test_permuting_components_permutes_columns(x, seed):
    """Reordering the components reorders the responsibilities' columns and nothing else."""
    rng = np.random.default_rng(seed)
    mixture = em1d.Mixture1D(rng.dirichlet(np.ones(3)), rng.normal(x.mean(), x.std() + 1, 3),
                             rng.uniform(0.5, 2.0, 3) * (x.var() + 1))
    order = rng.permutation(3)
    permuted = em1d.Mixture1D(mixture.weights[order], mixture.means[order],
                              mixture.variances[order])
    resp, total = em1d.e_step(x, mixture)
    resp_p, total_p = em1d.e_step(x, permuted)
    np.testing.assert_allclose(resp_p, resp[:, order], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(total_p, total, rtol=1e-12)


@given(line_data(), st.floats(-1e3, 1e3), st.integers(0, 2**32 - 1))
def test_translating_data_and_means_keeps_responsibilities(x, shift, seed):
    """Shifting the data and the means together changes no responsibility (as in the 2-D
    property test: for shifts within 1000 times the data's range; identical points have none,
    and their variance floor follows their magnitude, which a shift changes)."""
    assume(abs(shift) < 1e3 * np.ptp(x))  # beyond that, x's own digits are the limit
    rng = np.random.default_rng(seed)
    spread = x.std() + 1.0
    mixture = em1d.Mixture1D([0.4, 0.6], x.mean() + rng.normal(0, spread, 2),
                             rng.uniform(0.5, 2.0, 2) * spread**2)
    resp, _ = em1d.e_step(x, mixture)
    moved, _ = em1d.e_step(x + shift, mixture.with_means(mixture.means + shift))
    np.testing.assert_allclose(moved, resp, rtol=1e-6, atol=1e-9)
