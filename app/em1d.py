"""The EM engine for one-dimensional data: pure numpy functions for 1-D Gaussian mixtures.

Owns the mathematics of d = 1 and nothing else: like ``app.em`` it must not import param, panel,
bokeh, matplotlib or scipy. It mirrors ``app.em``'s public functions, names and signatures
(``e_step``, ``m_step``, ``lower_bound``, ``initial_mixture``, ``fit``, ``detect_collapse``,
``kmeans_e_step``, ...), so a caller can pick the engine from the data's shape in one place
(``engine_for``) and call either the same way. What 1-D adds is what a 1-D plot draws: each
component's weighted density and the mixture's density on a grid (``density_curves``), and the
numbers behind one point's responsibilities (``point_terms``) and one component's M-step
(``component_terms``), so a lesson can show its arithmetic.

Why a module of its own rather than ``app.em`` with d in {1, 2}: ``app.em`` is built on closed-form
2x2 Cholesky factors laid out for speed; in one dimension a covariance is a single variance and
every formula is a line, so a separate, short module keeps both readable and leaves the 2-D fast
path untouched.

Shapes follow scikit-learn where it has them: ``X`` may be (n_samples,) or (n_samples, 1);
``resp`` is (n_samples, n_components). A mixture keeps one variance per component, shape
(n_components,), whatever its covariance type: in one dimension "full", "diag" and "spherical" are
the same model (one variance each) and "tied" is one variance shared by all components.
``Mixture1D.sklearn_covariances()`` gives scikit-learn's ``covariances_`` shapes for comparison.

Numerics as scikit-learn's ``sklearn/mixture/_gaussian_mixture.py`` (log-space E-step with
log-sum-exp, ``nk + 10 * eps``, ``reg_covar`` added to each variance, weights ``nk / sum(nk)``),
with the two differences of ``app.em``: variances are taken about each component's own mean (no
``E[x^2] - E[x]^2`` cancellation far from the origin), and a variance of 0 is not an error: it is
floored at a tiny fraction of the data's variance when a density is evaluated, and
``detect_collapse`` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from app.em import COVARIANCE_TYPES, INITS, CollapseEvent, _check_choice

__all__ = [
    "COVARIANCE_TYPES",
    "INITS",
    "CollapseEvent",
    "ComponentTerms",
    "DensityCurves",
    "FitResult",
    "Mixture1D",
    "PointTerms",
    "aic",
    "bic",
    "component_terms",
    "density_curves",
    "detect_collapse",
    "e_step",
    "engine_for",
    "fit",
    "initial_mixture",
    "kmeans_e_step",
    "kmeans_m_step",
    "log_likelihood",
    "log_responsibilities",
    "lower_bound",
    "m_step",
    "n_parameters",
    "point_terms",
    "predict",
    "predict_proba",
    "score_samples",
]

_EPS = np.finfo(np.float64).eps
_LOG_2PI = np.log(2.0 * np.pi)
# As in app.em: densities are evaluated with variances floored at this fraction of the data's
# variance, so a collapsed component gives large finite numbers instead of log(0) and x / 0.
_VARIANCE_FLOOR = 1e-12
# A component holding at least half a point whose variance is below this fraction of the data's
# (a standard deviation under 1% of the data's) has collapsed onto a point or a stack of copies.
_COLLAPSE_RATIO = 1e-4
_COLLAPSE_MIN_NK = 0.5
_STARVED_NK = 1.0


# --------------------------------------------------------------------------------------------------
# Validation at the public entry points


def _check_X(X) -> np.ndarray:
    """X as a float array of shape (n_samples,)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim != 1:
        raise ValueError(
            f"X must have shape (n_samples,) or (n_samples, 1) for the 1-D engine; got {X.shape}. "
            "Pick one column (2-D data go to app.em)."
        )
    if X.shape[0] == 0:
        raise ValueError("X has no rows; load or add at least one point.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; drop those rows first.")
    return X


def _check_resp(X: np.ndarray, resp) -> np.ndarray:
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim != 2 or resp.shape[0] != X.shape[0] or resp.shape[1] == 0:
        raise ValueError(
            f"resp must have shape (n_samples, n_components) = ({X.shape[0]}, K); got {resp.shape}."
        )
    if resp.size and not (resp.min() >= 0 and resp.max() < np.inf):
        raise ValueError("resp must hold finite, non-negative responsibilities.")
    return resp


def _check_reg_covar(reg_covar) -> float:
    if not (np.isfinite(reg_covar) and reg_covar >= 0):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    return float(reg_covar)


def _as_vector(name: str, values, k: int | None) -> np.ndarray:
    """A per-component vector of shape (k,), also accepted as (k, 1) (scikit-learn's means_)."""
    array = np.array(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.size == 0 or (k is not None and array.size != k):
        expected = "(n_components,)" if k is None else f"({k},)"
        raise ValueError(f"{name} must have shape {expected}; got {np.shape(values)}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contain NaN or infinite values.")
    return array


@dataclass(frozen=True, eq=False)
class Mixture1D:
    """The parameters of a 1-D Gaussian mixture.

    Parameters
    ----------
    weights : ndarray of shape (n_components,)
        Mixing proportions, non-negative, summing to 1.
    means : ndarray of shape (n_components,)
        Also accepted as (n_components, 1), scikit-learn's ``means_`` for one feature.
    variances : ndarray of shape (n_components,)
        One variance per component, >= 0 (0 only after a collapse with ``reg_covar=0``). For
        ``"tied"`` every entry is the same shared variance (a scalar is accepted and repeated).
    covariance_type : {"full", "tied", "diag", "spherical"}
        In one dimension "full", "diag" and "spherical" are the same model; the type is kept so the
        M-step, the parameter count (BIC/AIC) and scikit-learn's shapes follow it.
    """

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    covariance_type: str = "full"

    def __post_init__(self):
        _check_choice("covariance_type", self.covariance_type, COVARIANCE_TYPES)
        weights = _as_vector("weights", self.weights, None)
        k = weights.size
        means = _as_vector("means", self.means, k)
        variances = np.array(self.variances, dtype=np.float64)
        if variances.size == 1 and self.covariance_type == "tied":
            variances = np.full(k, float(variances.reshape(-1)[0]))
        variances = _as_vector("variances", variances, k)
        if np.any(weights < 0) or abs(weights.sum() - 1.0) > 1e-6:
            raise ValueError(
                f"weights must be non-negative and sum to 1; got sum {weights.sum():.6g}. "
                "Divide them by their sum."
            )
        if np.any(variances < 0):
            raise ValueError(f"variances must be >= 0; got {variances.tolist()}.")
        if self.covariance_type == "tied" and np.ptp(variances) > 1e-12 * variances.max():
            raise ValueError(
                f"'tied' components share one variance; got {variances.tolist()}."
            )
        for array in (weights, means, variances):
            array.flags.writeable = False
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "variances", variances)

    @property
    def n_components(self) -> int:
        return self.weights.size

    @property
    def stds(self) -> np.ndarray:
        """Standard deviations, shape (n_components,)."""
        return np.sqrt(self.variances)

    def sklearn_covariances(self) -> np.ndarray:
        """The variances shaped as scikit-learn's ``covariances_`` for one feature.

        full: (n_components, 1, 1); tied: (1, 1); diag: (n_components, 1); spherical:
        (n_components,).
        """
        v = self.variances
        return {
            "full": lambda: v[:, None, None].copy(),
            "tied": lambda: np.array([[v[0]]]),
            "diag": lambda: v[:, None].copy(),
            "spherical": lambda: v.copy(),
        }[self.covariance_type]()

    def with_means(self, means) -> "Mixture1D":
        """The same mixture with other means (a dragged handle)."""
        return replace(self, means=means)

    def __repr__(self) -> str:
        return (
            f"Mixture1D(n_components={self.n_components}, "
            f"covariance_type={self.covariance_type!r}, "
            f"weights={np.round(self.weights, 4).tolist()}, "
            f"means={np.round(self.means, 4).tolist()}, "
            f"variances={np.round(self.variances, 4).tolist()})"
        )


def engine_for(X):
    """The engine module for data X: ``app.em1d`` for one column, ``app.em`` otherwise.

    The one place that decides by shape: ``engine_for(X).e_step(X, mixture)`` works for both.
    """
    import app.em
    import app.em1d

    shape = np.shape(X)
    one_column = len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)
    return app.em1d if one_column else app.em


# --------------------------------------------------------------------------------------------------
# Densities and the E-step


def _data_variance(X: np.ndarray) -> float:
    """The data's (biased) variance, never 0: the yardstick of the floor and of collapse."""
    variance = float(np.mean((X - X.mean()) ** 2))
    magnitude = float(np.abs(X).max())
    # Identical points can leave a variance of rounding noise (X.mean() a last digit off):
    # anything below the spacing of floats at the data's magnitude counts as none.
    if variance > (64 * _EPS * magnitude) ** 2:
        return variance
    return max(magnitude**2, 1.0)  # all points identical


def _floored_variances(X: np.ndarray, mixture: Mixture1D) -> np.ndarray:
    return np.maximum(mixture.variances, _VARIANCE_FLOOR * _data_variance(X))


def _log_gaussian(x: np.ndarray, means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """log N(x_i | mu_k, var_k), shape (n_points, n_components).

    log N = -(log 2 pi + log var + (x - mu)^2 / var) / 2. scikit-learn takes the same route
    through the precision's Cholesky factor 1 / sqrt(var): its log-determinant is -log(var) / 2.
    """
    deviations = x[:, None] - means[None, :]
    return -0.5 * (_LOG_2PI + np.log(variances) + deviations * deviations / variances)


def _weighted_log_prob(X: np.ndarray, mixture: Mixture1D) -> np.ndarray:
    """log pi_k + log N(x_i | mu_k, var_k), shape (n_samples, n_components)."""
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf: no mass there
        log_weights = np.log(mixture.weights)
    return _log_gaussian(X, mixture.means, _floored_variances(X, mixture)) + log_weights


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log sum_k exp(a_ik) per row, shifted by the row's maximum so nothing overflows."""
    top = a.max(axis=1)
    top[~np.isfinite(top)] = 0.0
    return np.log(np.exp(a - top[:, None]).sum(axis=1)) + top


def log_responsibilities(X, mixture: Mixture1D):
    """The E-step in log space.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    mixture : Mixture1D

    Returns
    -------
    log_resp : ndarray of shape (n_samples, n_components)
        log r_ik = log pi_k N(x_i | k) - log p(x_i).
    log_prob_norm : ndarray of shape (n_samples,)
        log p(x_i) = log sum_k pi_k N(x_i | k), taken with log-sum-exp.
    """
    X = _check_X(X)
    weighted = _weighted_log_prob(X, mixture)
    log_prob_norm = _logsumexp_rows(weighted)
    return weighted - log_prob_norm[:, None], log_prob_norm


def e_step(X, mixture: Mixture1D):
    """The E-step: responsibilities of each component for each point.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    mixture : Mixture1D

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Posterior probabilities; each row sums to 1.
    log_likelihood : float
        The total log-likelihood ``sum_i log p(x_i)`` under ``mixture``. (scikit-learn's
        ``lower_bound_`` is this divided by n_samples, at the last E-step of its loop.)
    """
    log_resp, log_prob_norm = log_responsibilities(X, mixture)
    return np.exp(log_resp), float(log_prob_norm.sum())


def score_samples(X, mixture: Mixture1D) -> np.ndarray:
    """Per-point log density ``log p(x_i)``, shape (n_samples,)."""
    return log_responsibilities(X, mixture)[1]


def log_likelihood(X, mixture: Mixture1D) -> float:
    """The total log-likelihood ``sum_i log p(x_i)``."""
    return float(score_samples(X, mixture).sum())


def predict_proba(X, mixture: Mixture1D) -> np.ndarray:
    """Soft labels: responsibilities of shape (n_samples, n_components)."""
    return e_step(X, mixture)[0]


def predict(X, mixture: Mixture1D) -> np.ndarray:
    """Hard labels of shape (n_samples,): the most responsible component."""
    X = _check_X(X)
    return _weighted_log_prob(X, mixture).argmax(axis=1)


def lower_bound(X, resp, mixture: Mixture1D) -> float:
    """The EM lower bound (ELBO) for any responsibilities and parameters.

    ``F(q, theta) = sum_i sum_k q_ik [log pi_k N(x_i | mu_k, var_k) - log q_ik]``
    ``            = log p(X | theta) - KL(q || p(z | X, theta))``:
    equal to the log-likelihood right after an E-step; raised by the M-step for fixed q. Terms with
    ``q_ik = 0`` contribute 0.
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    if resp.shape[1] != mixture.n_components:
        raise ValueError(
            f"resp has {resp.shape[1]} columns but the mixture has {mixture.n_components} "
            "components."
        )
    positive = resp > 0
    terms = _weighted_log_prob(X, mixture)
    terms -= np.log(resp, out=np.zeros_like(resp), where=positive)
    terms = np.where(positive, resp * terms, 0.0)
    return float(terms.sum())


# --------------------------------------------------------------------------------------------------
# What a 1-D plot draws, and the arithmetic a lesson shows


@dataclass(frozen=True, eq=False)
class DensityCurves:
    """Densities on a grid, for drawing a 1-D mixture.

    grid : ndarray of shape (n_grid,)
    components : ndarray of shape (n_grid, n_components)
        Each component's weighted density pi_k N(x | mu_k, var_k): they add up to ``mixture``.
    mixture : ndarray of shape (n_grid,)
        The mixture's density p(x) = sum_k pi_k N(x | mu_k, var_k).
    """

    grid: np.ndarray
    components: np.ndarray
    mixture: np.ndarray


def _default_grid(X: np.ndarray, mixture: Mixture1D, n_grid: int, cap: float) -> np.ndarray:
    """From the data's and the components' +-4 sd range, padded by 5% of the data's range."""
    sd = np.sqrt(_floored_variances(X, mixture))
    lo = min(X.min(), (mixture.means - 4 * sd).min())
    hi = max(X.max(), (mixture.means + 4 * sd).max())
    # A component far wider than the data would flatten the view: keep the grid within `cap`
    # data ranges of the data.
    span = max(X.max() - X.min(), np.sqrt(_data_variance(X)))
    lo = max(lo, X.min() - cap * span)
    hi = min(hi, X.max() + cap * span)
    pad = 0.05 * (hi - lo)
    return np.linspace(lo - pad, hi + pad, n_grid)


def density_curves(X, mixture: Mixture1D, grid=None, *, n_grid: int = 400) -> DensityCurves:
    """Each component's weighted density and the mixture's, on a grid, for the 1-D plot.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
        The data: they choose the default grid and scale the variance floor, so a collapsed
        component draws as a tall finite spike, never inf.
    mixture : Mixture1D
    grid : array-like of shape (n_grid,), optional
        Where to evaluate. By default ``n_grid`` evenly spaced points covering the data and each
        component's mean +- 4 standard deviations (at most two data ranges beyond the data).
    n_grid : int, default 400

    Returns
    -------
    DensityCurves
    """
    X = _check_X(X)
    if grid is None:
        if not (isinstance(n_grid, (int, np.integer)) and n_grid >= 2):
            raise ValueError(f"n_grid must be a whole number >= 2; got {n_grid!r}.")
        grid = _default_grid(X, mixture, int(n_grid), cap=2.0)
    else:
        grid = _check_X(grid)
    weighted = np.exp(_log_gaussian(grid, mixture.means, _floored_variances(X, mixture)))
    weighted *= mixture.weights
    return DensityCurves(grid, weighted, weighted.sum(axis=1))


@dataclass(frozen=True, eq=False)
class PointTerms:
    """The E-step for one point, term by term, so it can be checked by hand.

    x : float
    weights : ndarray of shape (n_components,)             pi_k
    densities : ndarray of shape (n_components,)           N(x | mu_k, var_k)
    weighted : ndarray of shape (n_components,)            pi_k N(x | mu_k, var_k)
    total : float                                          p(x) = sum_k of ``weighted``
    resp : ndarray of shape (n_components,)                r_k = weighted_k / total

    Computed in log space: ``resp`` equals the E-step's row even where the densities underflow
    to 0 (then ``densities`` and ``total`` print as 0 and only ``resp`` is meaningful).
    """

    x: float
    weights: np.ndarray
    densities: np.ndarray
    weighted: np.ndarray
    total: float
    resp: np.ndarray


def point_terms(X, mixture: Mixture1D, i: int) -> PointTerms:
    """The terms of point ``X[i]``'s E-step: weights, densities, their products, sum and ratios.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
        The data (they scale the variance floor exactly as the E-step does, so ``resp`` is the
        E-step's row i).
    mixture : Mixture1D
    i : int
        Index of the point.

    Returns
    -------
    PointTerms
    """
    X = _check_X(X)
    if not (isinstance(i, (int, np.integer)) and -X.shape[0] <= i < X.shape[0]):
        raise ValueError(f"i must be a point index in [0, {X.shape[0]}); got {i!r}.")
    x = X[i : i + 1] if i != -1 else X[-1:]
    log_density = _log_gaussian(x, mixture.means, _floored_variances(X, mixture))[0]
    with np.errstate(divide="ignore"):
        log_weighted = log_density + np.log(mixture.weights)
    log_norm = _logsumexp_rows(log_weighted[None, :])[0]
    return PointTerms(float(x[0]), mixture.weights.copy(), np.exp(log_density),
                      np.exp(log_weighted), float(np.exp(log_norm)),
                      np.exp(log_weighted - log_norm))


@dataclass(frozen=True, eq=False)
class ComponentTerms:
    """The M-step for one component, term by term, so it can be checked by hand.

    nk : float                 N_k = sum_i r_ik, the points' worth the component holds
    weight : float             pi_k = N_k / N
    weighted_sum : float       sum_i r_ik x_i
    mean : float               mu_k = weighted_sum / N_k
    scatter : float            sum_i r_ik (x_i - mu_k)^2
    variance : float           scatter / N_k + reg_covar (for "full", "diag", "spherical")

    Without the M-step's ``10 * eps`` (which only keeps an empty component defined), so the
    numbers are the textbook's; they equal ``m_step``'s to about 1e-15 relative.
    """

    nk: float
    weight: float
    weighted_sum: float
    mean: float
    scatter: float
    variance: float


def component_terms(X, resp, k: int, reg_covar: float = 1e-6) -> ComponentTerms:
    """The terms of component ``k``'s M-step from responsibilities ``resp`` (n_samples, K)."""
    X = _check_X(X)
    resp = _check_resp(X, resp)
    reg_covar = _check_reg_covar(reg_covar)
    if not (isinstance(k, (int, np.integer)) and 0 <= k < resp.shape[1]):
        raise ValueError(f"k must be a component index in [0, {resp.shape[1]}); got {k!r}.")
    r = resp[:, k]
    nk = float(r.sum())
    weighted_sum = float(r @ X)
    mean = weighted_sum / nk if nk > 0 else float("nan")
    scatter = float(r @ (X - mean) ** 2) if nk > 0 else 0.0
    variance = scatter / nk + reg_covar if nk > 0 else float("nan")
    return ComponentTerms(nk, nk / resp.sum(), weighted_sum, mean, scatter, variance)


# --------------------------------------------------------------------------------------------------
# M-step: one small function per covariance type


def _variances_per_component(X, resp, nk, means, reg_covar):
    """sum_i r_ik (x_i - mu_k)^2 / nk_k + reg_covar: "full", "diag" and "spherical" in 1-D."""
    deviations = X[:, None] - means[None, :]
    return np.einsum("nk,nk->k", resp, deviations * deviations) / nk + reg_covar


def _variance_tied(X, resp, nk, means, reg_covar):
    # The pooled scatter about each point's own component mean: scikit-learn's
    # (X^T X - sum_k nk mu_k^2) / sum(nk), without its cancellation.
    deviations = X[:, None] - means[None, :]
    pooled = np.einsum("nk,nk->", resp, deviations * deviations) / nk.sum() + reg_covar
    return np.full(len(nk), pooled)


_VARIANCE_ESTIMATORS = {
    "full": _variances_per_component,
    "tied": _variance_tied,
    "diag": _variances_per_component,
    "spherical": _variances_per_component,
}


def _m_step(X, resp, covariance_type, reg_covar) -> Mixture1D:
    # 10 * eps keeps an empty component's weight and mean defined (scikit-learn does the same).
    nk = resp.sum(axis=0) + 10 * _EPS
    center = X.mean()  # means about the data's centre: translating X costs no digits
    means = center + resp.T @ (X - center) / nk
    variances = _VARIANCE_ESTIMATORS[covariance_type](X, resp, nk, means, reg_covar)
    return Mixture1D(nk / nk.sum(), means, variances, covariance_type)


def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6) -> Mixture1D:
    """The M-step: the parameters that maximise the lower bound for fixed responsibilities.

    ``nk = sum_i r_ik``, ``pi_k = nk / n``, ``mu_k = sum_i r_ik x_i / nk``,
    ``var_k = sum_i r_ik (x_i - mu_k)^2 / nk + reg_covar`` (for "tied", one variance pooled over
    all components: ``sum_ik r_ik (x_i - mu_k)^2 / n + reg_covar``).

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    resp : array-like of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6
        Added to every variance, as scikit-learn adds it to the covariance's diagonal. 0 is
        allowed: it lets a component collapse onto a point.

    Returns
    -------
    Mixture1D
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    return _m_step(X, resp, covariance_type, _check_reg_covar(reg_covar))


# --------------------------------------------------------------------------------------------------
# Model selection


def n_parameters(mixture: Mixture1D) -> int:
    """Free parameters, as scikit-learn's ``_n_parameters`` counts them for one feature."""
    k = mixture.n_components
    variance_parameters = 1 if mixture.covariance_type == "tied" else k
    return variance_parameters + k + (k - 1)


def bic(X, mixture: Mixture1D) -> float:
    """Bayesian information criterion: ``-2 log L + p log n`` (lower is better)."""
    X = _check_X(X)
    return -2.0 * log_likelihood(X, mixture) + n_parameters(mixture) * np.log(X.shape[0])


def aic(X, mixture: Mixture1D) -> float:
    """Akaike information criterion: ``-2 log L + 2 p`` (lower is better)."""
    return -2.0 * log_likelihood(X, mixture) + 2 * n_parameters(mixture)


# --------------------------------------------------------------------------------------------------
# Collapse


def detect_collapse(X, mixture: Mixture1D, resp=None) -> list[CollapseEvent]:
    """Name each component that has collapsed or is collapsing (``app.em.CollapseEvent``).

    "singular": it holds at least half a point and its variance is below 1e-4 of the data's, so
    it sits on one point ("point") or on copies of one point ("stack"), and its density there,
    and the likelihood, grow without bound. "starved": it holds less than one point's worth of
    responsibility (EM can go on).

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    mixture : Mixture1D
    resp : array-like of shape (n_samples, n_components), optional
        The responsibilities that produced ``mixture``; computed by an E-step when omitted.

    Returns
    -------
    list of CollapseEvent, empty when every component is healthy.
    """
    X = _check_X(X)
    resp = e_step(X, mixture)[0] if resp is None else _check_resp(X, resp)
    nk = resp.sum(axis=0)
    relative = mixture.variances / _data_variance(X)
    events = []
    for k in range(mixture.n_components):
        count = f"{nk[k]:.3g}"
        share = f"{count} {'point' if count == '1' else 'points'}' worth of responsibility"
        variance = float(mixture.variances[k])
        if relative[k] < _COLLAPSE_RATIO and nk[k] >= _COLLAPSE_MIN_NK:
            onto, where = ("point", "a single point") if nk[k] < 1.5 else (
                "stack", "a stack of copies of one point")
            events.append(CollapseEvent(
                k, "singular",
                f"Component {k + 1} has collapsed: its variance is {variance:.3g} "
                f"({relative[k]:.2g} of the data's), so it sits on {where} holding {share}, and "
                "its density there, and the likelihood, grow without bound.",
                variance, float(nk[k]), float(relative[k]), onto,
            ))
        elif nk[k] < _STARVED_NK:
            events.append(CollapseEvent(
                k, "starved",
                f"Component {k + 1} is starved: it holds only {share}, so its mean and variance "
                "rest on less than one point.",
                variance, float(nk[k]), float(relative[k]),
            ))
    return events


# --------------------------------------------------------------------------------------------------
# K-means: the hard-assignment limit of EM with equal weights and one shared variance


def kmeans_e_step(X, mixture: Mixture1D):
    """Hard E-step: each point belongs wholly to its nearest mean (ties go to the lower index).

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components), one-hot rows
    inertia : float
        The k-means objective, the sum of squared distances to the assigned means.
    """
    X = _check_X(X)
    distances = (X[:, None] - mixture.means[None, :]) ** 2
    labels = distances.argmin(axis=1)
    points = np.arange(X.shape[0])
    resp = np.zeros((X.shape[0], mixture.n_components))
    resp[points, labels] = 1.0
    return resp, float(distances[points, labels].sum())


def kmeans_m_step(X, resp, previous_means=None, reg_covar: float = 1e-6) -> Mixture1D:
    """Hard M-step: centroids, equal weights and the pooled within-cluster variance.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    resp : array-like of shape (n_samples, n_components)
        Hard (one-hot) assignments from ``kmeans_e_step``.
    previous_means : array-like of shape (n_components,), optional
        Where an empty cluster stays; without it an empty cluster moves to the data's centre.
    reg_covar : float

    Returns
    -------
    Mixture1D of covariance_type "spherical" whose components share one variance.
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    reg_covar = _check_reg_covar(reg_covar)
    k = resp.shape[1]
    counts = resp.sum(axis=0)
    center = X.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        means = center + resp.T @ (X - center) / counts
    fallback = center if previous_means is None else _as_vector("previous_means", previous_means, k)
    means = np.where(counts > 0, means, fallback)
    inertia = float(np.einsum("nk,nk->", resp, (X[:, None] - means[None, :]) ** 2))
    variance = inertia / X.shape[0] + reg_covar
    return Mixture1D(np.full(k, 1.0 / k), means, np.full(k, variance), "spherical")


# --------------------------------------------------------------------------------------------------
# Initialisation and the full EM loop


def _kmeans_plusplus(X, n_components, rng):
    """Greedy k-means++ seeding (as scikit-learn's ``kmeans_plusplus``): indices of the seeds."""
    n = X.shape[0]
    n_local_trials = 2 + int(np.log(n_components))
    indices = [int(rng.integers(n))]
    closest = (X - X[indices[0]]) ** 2
    for _ in range(1, n_components):
        total = closest.sum()
        if total <= 0:
            candidates = rng.integers(n, size=n_local_trials)
        else:
            candidates = np.searchsorted(
                np.cumsum(closest), rng.random(n_local_trials) * total, side="right"
            )
            candidates = np.minimum(candidates, n - 1)
        trial = np.minimum(closest, (X[None, :] - X[candidates][:, None]) ** 2)
        best = int(trial.sum(axis=1).argmin())
        indices.append(int(candidates[best]))
        closest = trial[best]
    return np.array(indices)


def _kmeans_labels(X, n_components, rng, max_iter=100):
    """Lloyd's k-means from k-means++ seeds: one-hot labels, shape (n_samples, n_components)."""
    means = X[_kmeans_plusplus(X, n_components, rng)]
    mixture = Mixture1D(np.full(n_components, 1.0 / n_components), means,
                        np.ones(n_components), "spherical")
    resp, _ = kmeans_e_step(X, mixture)
    for _ in range(max_iter):
        mixture = kmeans_m_step(X, resp, previous_means=mixture.means)
        new_resp, _ = kmeans_e_step(X, mixture)
        if np.array_equal(new_resp, resp):
            break
        resp = new_resp
    return resp


def initial_mixture(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
    init: str = "k-means++",
    means_init=None,
    variances_init=None,
    weights_init=None,
    rng: np.random.Generator | None = None,
) -> Mixture1D:
    """The mixture EM starts from (as ``app.em.initial_mixture``, plus explicit variances/weights).

    ``"random"`` and ``"kmeans"`` start as scikit-learn does (random or k-means responsibilities,
    then an M-step). ``"k-means++"``, ``"random_from_data"`` and ``means_init`` choose the means;
    the weights are then ``weights_init`` or equal, the variances ``variances_init`` or the data's
    variance (+ ``reg_covar``) for every component.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, 1)
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    init : {"k-means++", "random", "random_from_data", "kmeans"}
    means_init : array-like of shape (n_components,), optional
        Overrides ``init`` (where the handles were dropped, or a lesson's start).
    variances_init : array-like of shape (n_components,) or float, optional
        Starting variances (with ``means_init``); used as given, without ``reg_covar``.
    weights_init : array-like of shape (n_components,), optional
        Starting weights (with ``means_init``), summing to 1.
    rng : numpy.random.Generator, optional

    Returns
    -------
    Mixture1D
    """
    X = _check_X(X)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    _check_choice("init", init, INITS)
    reg_covar = _check_reg_covar(reg_covar)
    n = X.shape[0]
    if not (isinstance(n_components, (int, np.integer)) and 1 <= n_components):
        raise ValueError(f"n_components must be a whole number >= 1; got {n_components!r}.")
    if means_init is None and n_components > n:
        raise ValueError(
            f"n_components={n_components} is more than the {n} data points; "
            "lower K or add points."
        )
    if means_init is None and (variances_init is not None or weights_init is not None):
        raise ValueError("variances_init and weights_init need means_init as well.")
    rng = np.random.default_rng(rng)
    if means_init is not None:
        means = _as_vector("means_init", means_init, n_components)
    elif init in ("random", "kmeans"):
        if init == "random":
            resp = rng.uniform(size=(n, n_components))
            resp /= resp.sum(axis=1, keepdims=True)
        else:
            resp = _kmeans_labels(X, n_components, rng)
        return _m_step(X, resp, covariance_type, reg_covar)
    elif init == "k-means++":
        means = X[_kmeans_plusplus(X, n_components, rng)]
    else:
        means = X[rng.choice(n, size=n_components, replace=False)]
    weights = (np.full(n_components, 1.0 / n_components) if weights_init is None
               else _as_vector("weights_init", weights_init, n_components))
    if variances_init is None:
        variance = float(np.mean((X - X.mean()) ** 2)) + reg_covar
        variances = np.full(n_components, variance if variance > 0 else 1.0)
    else:
        variances = np.array(variances_init, dtype=np.float64)
        if variances.ndim == 0:
            variances = np.full(n_components, float(variances))
    return Mixture1D(weights, means, variances, covariance_type)


@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of ``fit``: the best restart and the final log-likelihood of every restart."""

    mixture: Mixture1D
    resp: np.ndarray
    log_likelihood: float
    log_likelihood_history: tuple[float, ...]
    converged: bool
    n_iter: int
    restarts: tuple[float, ...] = ()
    restart_mixtures: tuple[Mixture1D, ...] = field(default=(), repr=False)
    best_restart: int = 0


def _run_em(X, mixture, covariance_type, reg_covar, tol, max_iter):
    """EM to convergence from ``mixture`` as scikit-learn loops: tol on the mean log-likelihood."""
    history = []
    converged = False
    previous = -np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        resp, total = e_step(X, mixture)
        history.append(total)
        mixture = _m_step(X, resp, covariance_type, reg_covar)
        if abs(total - previous) / X.shape[0] < tol:
            converged = True
            break
        previous = total
    resp, total = e_step(X, mixture)
    return mixture, resp, total, tuple(history), converged, n_iter


def fit(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
    tol: float = 1e-3,
    max_iter: int = 100,
    n_init: int = 1,
    init: str = "k-means++",
    means_init=None,
    variances_init=None,
    weights_init=None,
    seed=None,
) -> FitResult:
    """Fit a 1-D mixture by EM, keeping the best of ``n_init`` restarts (as ``app.em.fit``).

    ``log_likelihood_history`` holds the total log-likelihood at each iteration's E-step;
    convergence is declared when its per-sample change falls below ``tol`` (scikit-learn's rule).
    """
    X = _check_X(X)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    if not (isinstance(n_init, (int, np.integer)) and n_init >= 1):
        raise ValueError(f"n_init must be a whole number >= 1; got {n_init!r}.")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be a whole number >= 1; got {max_iter!r}.")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}.")
    reg_covar = _check_reg_covar(reg_covar)
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(n_init):
        start = initial_mixture(
            X, n_components, covariance_type=covariance_type, reg_covar=reg_covar, init=init,
            means_init=means_init, variances_init=variances_init, weights_init=weights_init,
            rng=rng,
        )
        runs.append(_run_em(X, start, covariance_type, reg_covar, tol, max_iter))
    best = int(np.argmax([run[2] for run in runs]))
    mixture, resp, total, history, converged, n_iter = runs[best]
    return FitResult(mixture, resp, total, history, converged, n_iter,
                     tuple(run[2] for run in runs), tuple(run[0] for run in runs), best)
