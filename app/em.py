"""The EM engine: pure numpy functions for 2-D Gaussian mixtures.

Owns the mathematics and nothing else: it must not import param, panel, bokeh, matplotlib or scipy,
so it runs unchanged in CPython and in Pyodide. Every function is pure: a half-step takes a frozen
``Mixture`` and returns a new one, which gives the lab its history and undo for free.

The numerics follow scikit-learn's ``sklearn/mixture/_gaussian_mixture.py`` (log-space E-step,
``nk + 10 * eps``, ``reg_covar`` on the diagonal, the same parameter counts for BIC/AIC) with three
deliberate differences:

* Data are 2-D, so every 2x2 Cholesky factor, inverse and determinant is written in closed form and
  vectorised over components instead of looping over them.
* Second moments are always taken about each component's own mean (and means about the data's
  centre), so data far from the origin keep their digits where scikit-learn's ``tied`` and ``diag``
  formulas ``E[x^2] - E[x]^2`` cancel catastrophically.
* A singular covariance is not an error. Where scikit-learn raises, this engine floors the variance
  at a tiny fraction of the data's spread, so every number stays finite, and ``detect_collapse``
  says which component collapsed and why: in a teaching lab, collapse is a lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

__all__ = [
    "COVARIANCE_TYPES",
    "INITS",
    "CollapseEvent",
    "FitResult",
    "Mixture",
    "Standardizer",
    "aic",
    "bic",
    "detect_collapse",
    "e_step",
    "e_step_and_lower_bound",
    "fit",
    "initial_mixture",
    "kmeans_e_step",
    "kmeans_m_step",
    "log_likelihood",
    "lower_bound",
    "m_step",
    "n_parameters",
    "predict",
    "predict_proba",
    "score_samples",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INITS = ("k-means++", "random", "random_from_data", "kmeans")

_EPS = np.finfo(np.float64).eps
_LOG_2PI = np.log(2.0 * np.pi)
_SQRT_HALF = np.sqrt(0.5)
# Variances are floored at this fraction of the data's variance before a density is evaluated: far
# below anything reg_covar or real data produce, it only matters once a component has collapsed,
# where it turns log(0) and x / 0 into large finite numbers.
_VARIANCE_FLOOR = 1e-12
# A component holding at least half a point whose smallest variance falls below this fraction of
# the data's variance along the data's own thinnest direction (a standard deviation under 1% of
# the data's) has shrunk onto a point or a line. The thinnest direction, not the mean spread, is
# the yardstick so that a component merely as thin as elongated data is not called collapsed.
_COLLAPSE_RATIO = 1e-4
_COLLAPSE_MIN_NK = 0.5
# A component with an effective number of points nk below this is starved (EM can go on).
_STARVED_NK = 1.0


# --------------------------------------------------------------------------------------------------
# Validation at the public entry points


def _check_X(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"X must have shape (n_samples, 2); got {X.shape}. Pick two columns."
        )
    if X.shape[0] == 0:
        raise ValueError("X has no rows; load or add at least one point.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; drop those rows first.")
    return X


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")
    return value


def _check_resp(X: np.ndarray, resp) -> np.ndarray:
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim != 2 or resp.shape[0] != X.shape[0] or resp.shape[1] == 0:
        raise ValueError(
            f"resp must have shape (n_samples, n_components) = ({X.shape[0]}, K); got {resp.shape}."
        )
    # min >= 0 fails for NaN too; two reductions, no temporaries: this runs every M-step.
    if resp.size and not (resp.min() >= 0 and resp.max() < np.inf):
        raise ValueError("resp must hold finite, non-negative responsibilities.")
    return resp


_COVARIANCE_SHAPES = {
    "full": lambda k: (k, 2, 2),
    "tied": lambda k: (2, 2),
    "diag": lambda k: (k, 2),
    "spherical": lambda k: (k,),
}


@dataclass(frozen=True, eq=False)
class Mixture:
    """The parameters of a 2-D Gaussian mixture, shaped as scikit-learn shapes them.

    Parameters
    ----------
    weights : ndarray of shape (n_components,)
        Mixing proportions, non-negative, summing to 1.
    means : ndarray of shape (n_components, 2)
    covariances : ndarray
        full: (n_components, 2, 2); tied: (2, 2); diag: (n_components, 2); spherical:
        (n_components,). Symmetric positive semi-definite: a singular covariance is allowed, since
        an M-step with ``reg_covar=0`` produces one when a component collapses.
    covariance_type : {"full", "tied", "diag", "spherical"}
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"

    def __post_init__(self):
        _check_choice("covariance_type", self.covariance_type, COVARIANCE_TYPES)
        weights = np.array(self.weights, dtype=np.float64)
        means = np.array(self.means, dtype=np.float64)
        covariances = np.array(self.covariances, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0:
            raise ValueError(f"weights must have shape (n_components,); got {weights.shape}.")
        k = weights.size
        if means.shape != (k, 2):
            raise ValueError(
                f"means must have shape (n_components, 2) = ({k}, 2); got {means.shape}."
            )
        expected = _COVARIANCE_SHAPES[self.covariance_type](k)
        if covariances.shape != expected:
            raise ValueError(
                f"{self.covariance_type!r} covariances must have shape {expected} for "
                f"{k} components; got {covariances.shape}."
            )
        for name, array in (("weights", weights), ("means", means), ("covariances", covariances)):
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{name} contain NaN or infinite values.")
        if np.any(weights < 0) or abs(weights.sum() - 1.0) > 1e-6:
            raise ValueError(
                f"weights must be non-negative and sum to 1; got sum {weights.sum():.6g}. "
                "Divide them by their sum."
            )
        a, b, c = _covariance_entries(covariances, self.covariance_type, k)
        scale = np.maximum(np.abs(a) + np.abs(c), np.finfo(np.float64).tiny)
        # Positive semi-definite up to rounding: both diagonal entries and the determinant >= 0.
        if np.any(a < -1e-12 * scale) or np.any(c < -1e-12 * scale) or np.any(
            a * c - b * b < -1e-9 * scale * scale
        ):
            raise ValueError(
                "covariances must be symmetric positive semi-definite (variances >= 0 and "
                "|correlation| <= 1)."
            )
        if self.covariance_type in ("full", "tied"):
            asymmetry = np.abs(covariances - np.swapaxes(covariances, -1, -2)).max()
            if asymmetry > 1e-10 * np.abs(covariances).max():
                raise ValueError("full and tied covariances must be symmetric matrices.")
        for array in (weights, means, covariances):
            array.flags.writeable = False
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covariances)

    @property
    def n_components(self) -> int:
        return self.weights.size

    def full_covariances(self) -> np.ndarray:
        """Every type expanded to one matrix per component, shape (n_components, 2, 2)."""
        a, b, c = _covariance_entries(self.covariances, self.covariance_type, self.n_components)
        return np.stack([np.stack([a, b], -1), np.stack([b, c], -1)], -2)

    def with_means(self, means) -> "Mixture":
        """The same mixture with other means (a dragged handle)."""
        return replace(self, means=means)

    def __repr__(self) -> str:
        return (
            f"Mixture(n_components={self.n_components}, covariance_type={self.covariance_type!r}, "
            f"weights={np.round(self.weights, 4).tolist()})"
        )


def _covariance_entries(covariances, covariance_type, n_components):
    """The entries (a, b, c) of each component's [[a, b], [b, c]], each of shape (n_components,)."""
    cov = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
    if covariance_type == "tied":
        return tuple(np.full(n_components, v) for v in (cov[0, 0], cov[0, 1], cov[1, 1]))
    if covariance_type == "diag":
        return cov[:, 0], np.zeros(n_components), cov[:, 1]
    return cov, np.zeros(n_components), cov


# --------------------------------------------------------------------------------------------------
# E-step


def _min_eigenvalue(a, b, c):
    """Smallest eigenvalue of [[a, b], [b, c]]: the variance along the thinnest direction."""
    return np.maximum(0.5 * (a + c) - np.hypot(0.5 * (a - c), b), 0.0)


def _data_covariance(X: np.ndarray):
    """Entries (a, b, c) of the data's (biased) covariance, taken about the data's mean.

    Asked three times per M-step (the variance floor, collapse's yardstick) of the same data:
    kept for the last read-only ``X`` seen (the session's, which cannot change)."""
    global _last_covariance
    kept_X, kept = _last_covariance
    if X is kept_X:
        return kept
    x, y = _columns(X) - X.mean(axis=0)[:, None]  # a new array: X itself is never written
    n = X.shape[0]
    covariance = float(x @ x) / n, float(x @ y) / n, float(y @ y) / n
    if X.flags.owndata and not X.flags.writeable:  # (a read-only view's base could change)
        _last_covariance = (X, covariance)
    return covariance


_last_covariance = (None, None)  # (a read-only X, its covariance): see _data_covariance


def _data_variance(X: np.ndarray) -> float:
    """The data's spread (mean per-axis variance), never 0: scales the variance floor."""
    a, _, c = _data_covariance(X)
    if a + c > 0:
        return 0.5 * (a + c)
    # All points identical: fall back to their magnitude, or to 1 at the origin.
    return max(float(np.abs(X).max()) ** 2, 1.0)


def _thinnest_data_variance(X: np.ndarray) -> float:
    """The data's variance along its thinnest direction, the yardstick of collapse; never 0.

    Falls back to the mean spread when the data lie on a line (then every component on that line
    is singular, and is rightly reported as such) and to 1 when every point is the same.
    """
    a, b, c = _data_covariance(X)
    thinnest = float(_min_eigenvalue(a, b, c))
    return thinnest if thinnest > 1e-12 * (a + c) else _data_variance(X)


# Internally, arrays over (component, point) are laid out component-major, shape (n_components,
# n_samples), so numpy streams along the long axis; and the hot loops walk the points in blocks, so
# each (n_components, block) temporary stays in cache instead of costing fresh pages per operation.
_BLOCK = 4096


def _blocks(n_samples: int):
    return [slice(start, start + _BLOCK) for start in range(0, n_samples, _BLOCK)]


def _columns(X: np.ndarray) -> np.ndarray:
    """X as two contiguous rows (x, y), shape (2, n_samples): rows stream faster than columns."""
    return np.ascontiguousarray(X.T)


def _deviations(XT: np.ndarray, means: np.ndarray):
    """x - mu_k and y - mu_k for every component, each of shape (n_components, n_points)."""
    return XT[0] - means[:, :1], XT[1] - means[:, 1:]


def _density_terms(X: np.ndarray, mixture: Mixture):
    """Per-component constants of the log densities, for ``_weighted_log_prob``.

    With Sigma = L L^T (L lower triangular: l11 = sqrt(a), l21 = b / l11, l22 = sqrt(c - l21^2)),
    the Mahalanobis distance is |L^-1 (x - mu)|^2 = y1^2 + y2^2 with y1 = dx / l11 and
    y2 = (dy - (b / a) dx) / l22, and log det Sigma = 2 (log l11 + log l22): the Cholesky route
    scikit-learn takes, here in closed form for all components at once.
    """
    a, b, c = _covariance_entries(mixture.covariances, mixture.covariance_type, mixture.n_components)
    floor = _VARIANCE_FLOOR * _data_variance(X)
    a = np.maximum(a, floor)
    l11 = np.sqrt(a)
    l22 = np.sqrt(np.maximum(c - b * b / a, floor))
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf: no mass there
        log_weights = np.log(mixture.weights)
    offset = log_weights - _LOG_2PI - (np.log(l11) + np.log(l22))
    # Scaling by sqrt(1/2) leaves y1^2 + y2^2 = Mahalanobis / 2, saving a pass.
    return (mixture.means, (b / a)[:, None] if np.any(b) else None,
            (_SQRT_HALF / l11)[:, None], (_SQRT_HALF / l22)[:, None], offset[:, None])


def _weighted_log_prob(XT: np.ndarray, terms) -> np.ndarray:
    """log(pi_k) + log N(x_i | mu_k, Sigma_k) for the points in XT, shape (n_components, n)."""
    means, slope, scale1, scale2, offset = terms
    y1, y2 = _deviations(XT, means)
    if slope is not None:  # only correlated components need the off-diagonal term
        y2 -= slope * y1
    y1 *= scale1
    y2 *= scale2
    y1 *= y1
    y2 *= y2
    y1 += y2
    return np.subtract(offset, y1, out=y1)


def _estimate_weighted_log_prob(X: np.ndarray, mixture: Mixture) -> np.ndarray:
    """log(pi_k) + log N(x_i | mu_k, Sigma_k), shape (n_components, n_samples)."""
    XT, terms = _columns(X), _density_terms(X, mixture)
    out = np.empty((mixture.n_components, X.shape[0]))
    for block in _blocks(X.shape[0]):
        out[:, block] = _weighted_log_prob(XT[:, block], terms)
    return out


def _e_step(X: np.ndarray, mixture: Mixture, bound_resp_t: np.ndarray | None = None):
    """log p(x_i), shape (n_samples,), and responsibilities, shape (n_components, n_samples);
    with ``bound_resp_t`` (other responsibilities, transposed) also the lower bound of those
    under ``mixture``, from the same pass (else None).

    log p(x_i) = log sum_k exp(w_ik) is taken as top_i + log sum_k exp(w_ik - top_i) with
    top_i = max_k w_ik, so nothing overflows; the responsibilities are those shifted
    exponentials over their sum.
    """
    XT, terms = _columns(X), _density_terms(X, mixture)
    log_norm = np.empty(X.shape[0])
    resp_t = np.empty((mixture.n_components, X.shape[0]))
    bound = None if bound_resp_t is None else 0.0
    for block in _blocks(X.shape[0]):
        weighted = _weighted_log_prob(XT[:, block], terms)
        if bound_resp_t is not None:
            bound += _bound_terms(weighted, bound_resp_t[:, block])
        top = weighted.max(axis=0)
        top[~np.isfinite(top)] = 0.0
        weighted -= top
        np.exp(weighted, out=weighted)
        total = weighted.sum(axis=0)
        np.divide(weighted, total, out=resp_t[:, block])
        log_norm[block] = np.log(total) + top
    return log_norm, resp_t, bound


def e_step(X, mixture: Mixture):
    """The E-step: responsibilities of each component for each point.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    mixture : Mixture

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Posterior probabilities; each row sums to 1.
    log_likelihood : float
        The total log-likelihood ``sum_i log p(x_i)`` under ``mixture``.
    """
    X = _check_X(X)
    log_norm, resp_t, _ = _e_step(X, mixture)
    return resp_t.T, float(log_norm.sum())


def score_samples(X, mixture: Mixture) -> np.ndarray:
    """Per-point log density ``log p(x_i)``, shape (n_samples,): low values flag outliers."""
    X = _check_X(X)
    return _e_step(X, mixture)[0]


def log_likelihood(X, mixture: Mixture) -> float:
    """The total log-likelihood ``sum_i log p(x_i)``."""
    return float(score_samples(X, mixture).sum())


def predict_proba(X, mixture: Mixture) -> np.ndarray:
    """Soft labels: responsibilities of shape (n_samples, n_components)."""
    return e_step(X, mixture)[0]


def predict(X, mixture: Mixture) -> np.ndarray:
    """Hard labels of shape (n_samples,): the most responsible component."""
    X = _check_X(X)
    return _estimate_weighted_log_prob(X, mixture).argmax(axis=0)


def lower_bound(X, resp, mixture: Mixture) -> float:
    """The EM lower bound (ELBO, negative free energy) for any responsibilities and parameters.

    ``F(q, theta) = sum_i sum_k q_ik [log pi_k N(x_i | mu_k, Sigma_k) - log q_ik]``
    ``            = log p(X | theta) - KL(q || p(z | X, theta))``,
    so F equals the log-likelihood exactly when ``q`` is the E-step's posterior; the M-step raises
    F for fixed q. Terms with ``q_ik = 0`` contribute 0 (``0 log 0 = 0``).
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    if resp.shape[1] != mixture.n_components:
        raise ValueError(
            f"resp has {resp.shape[1]} columns but the mixture has {mixture.n_components} components."
        )
    resp_t = np.ascontiguousarray(resp.T)  # free for e_step's output, already transposed
    return _bound_terms(_estimate_weighted_log_prob(X, mixture), resp_t)


def _bound_terms(weighted: np.ndarray, resp_t: np.ndarray) -> float:
    """sum_ik q_ik (w_ik - log q_ik) for w = log pi_k N(x_i | k) and q = ``resp_t``, both of
    shape (n_components, n); ``weighted`` is left as it was."""
    positive = resp_t > 0
    terms = np.log(resp_t, out=np.zeros_like(resp_t), where=positive)
    np.subtract(weighted, terms, out=terms)
    with np.errstate(invalid="ignore"):  # -inf * 0 where a weight is 0: zeroed just below
        terms *= resp_t
    if not positive.all():
        terms[~positive] = 0.0  # also where a zero weight made log pi_k = -inf
    return float(terms.sum())


def e_step_and_lower_bound(X, mixture: Mixture, resp):
    """:func:`e_step` under ``mixture`` and :func:`lower_bound` of (``resp``, ``mixture``) in one
    pass over the data (the M-step's new log-likelihood and the ELBO it reached).

    Returns
    -------
    new_resp : ndarray of shape (n_samples, n_components)
    log_likelihood : float
    lower_bound : float
        Of the given ``resp`` (not ``new_resp``); equal to :func:`lower_bound` up to rounding.
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    if resp.shape[1] != mixture.n_components:
        raise ValueError(
            f"resp has {resp.shape[1]} columns but the mixture has {mixture.n_components} components."
        )
    log_norm, resp_t, bound = _e_step(X, mixture, np.ascontiguousarray(resp.T))
    return resp_t.T, float(log_norm.sum()), bound


# --------------------------------------------------------------------------------------------------
# M-step: one small function per covariance type, each about the components' own means.


def _weighted_second_moments(X, resp_t, nk, means, cross=True):
    """Per component sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / nk_k as entries (a, b, c).

    resp_t has shape (n_components, n_samples); without ``cross`` b is left at 0.
    """
    XT = _columns(X)
    a, b, c = (np.zeros(len(nk)) for _ in range(3))
    for block in _blocks(X.shape[0]):
        r = resp_t[:, block]
        dx, dy = _deviations(XT[:, block], means)
        rdx = r * dx
        a += np.einsum("kn,kn->k", rdx, dx)
        if cross:
            b += np.einsum("kn,kn->k", rdx, dy)
        dy *= dy
        c += np.einsum("kn,kn->k", r, dy)
    return a / nk, b / nk, c / nk


def _covariances_full(X, resp_t, nk, means, reg_covar):
    a, b, c = _weighted_second_moments(X, resp_t, nk, means)
    return np.stack([np.stack([a + reg_covar, b], -1), np.stack([b, c + reg_covar], -1)], -2)


def _covariances_tied(X, resp_t, nk, means, reg_covar):
    # The pooled scatter about each point's own component mean, as scikit-learn's
    # (X^T X - sum_k nk mu_k mu_k^T) / sum(nk) means but without its cancellation.
    a, b, c = (np.sum(m * nk) / nk.sum() for m in _weighted_second_moments(X, resp_t, nk, means))
    return np.array([[a + reg_covar, b], [b, c + reg_covar]])


def _covariances_diag(X, resp_t, nk, means, reg_covar):
    a, _, c = _weighted_second_moments(X, resp_t, nk, means, cross=False)
    return np.stack([a, c], -1) + reg_covar


def _covariances_spherical(X, resp_t, nk, means, reg_covar):
    return _covariances_diag(X, resp_t, nk, means, reg_covar).mean(axis=1)


_COVARIANCE_ESTIMATORS = {
    "full": _covariances_full,
    "tied": _covariances_tied,
    "diag": _covariances_diag,
    "spherical": _covariances_spherical,
}


def _m_step(X, resp_t, covariance_type, reg_covar):
    """The M-step from responsibilities of shape (n_components, n_samples)."""
    # 10 * eps keeps an empty component's weight and mean defined (scikit-learn does the same).
    nk = resp_t.sum(axis=1) + 10 * _EPS
    # Means about the data's centre: translating X then costs no digits.
    center = X.mean(axis=0)
    means = center + (resp_t @ (X - center)) / nk[:, None]
    covariances = _COVARIANCE_ESTIMATORS[covariance_type](X, resp_t, nk, means, reg_covar)
    return Mixture(nk / X.shape[0], means, covariances, covariance_type)


def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6) -> Mixture:
    """The M-step: the parameters that maximise the lower bound for fixed responsibilities.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    resp : array-like of shape (n_samples, n_components)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, default 1e-6
        Added to the variances. 0 is allowed: it lets a component collapse onto a point, which is
        what the lab's "Break it" shows.

    Returns
    -------
    Mixture
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    if not (np.isfinite(reg_covar) and reg_covar >= 0):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    # resp from e_step is already a transposed view, so this copies nothing then.
    return _m_step(X, np.ascontiguousarray(resp.T), covariance_type, float(reg_covar))


# --------------------------------------------------------------------------------------------------
# Model selection


def n_parameters(mixture: Mixture) -> int:
    """Free parameters, as scikit-learn's ``_n_parameters`` counts them (2-D)."""
    k, d = mixture.n_components, 2
    covariance_parameters = {
        "full": k * d * (d + 1) // 2,
        "tied": d * (d + 1) // 2,
        "diag": k * d,
        "spherical": k,
    }[mixture.covariance_type]
    return covariance_parameters + k * d + k - 1


def bic(X, mixture: Mixture) -> float:
    """Bayesian information criterion: ``-2 log L + p log n`` (lower is better)."""
    X = _check_X(X)
    return -2.0 * log_likelihood(X, mixture) + n_parameters(mixture) * np.log(X.shape[0])


def aic(X, mixture: Mixture) -> float:
    """Akaike information criterion: ``-2 log L + 2 p`` (lower is better)."""
    return -2.0 * log_likelihood(X, mixture) + 2 * n_parameters(mixture)


# --------------------------------------------------------------------------------------------------
# Collapse


@dataclass(frozen=True)
class CollapseEvent:
    """A component that has collapsed (or is collapsing), in plain words and figures.

    kind is "singular" (it holds at least half a point and its covariance has shrunk onto a point
    or a line, so its density and the likelihood head for +infinity) or "starved" (it holds less
    than one point's worth of responsibility; EM can go on). ``onto`` says what a singular
    component sits on: "point" (about one point's worth), "stack" (copies of one point: both
    variances tiny) or "line" (points on a line: one variance tiny); "" for a starved one.
    ``relative_variance`` is ``min_variance`` over the data's variance across its thinnest
    direction.
    """

    component: int
    kind: str
    reason: str
    min_variance: float
    nk: float
    relative_variance: float
    onto: str = ""


def detect_collapse(X, mixture: Mixture, resp=None) -> list[CollapseEvent]:
    """Name each component that has collapsed or is collapsing.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    mixture : Mixture
    resp : array-like of shape (n_samples, n_components), optional
        The responsibilities that produced ``mixture`` (its effective counts nk). Computed by an
        E-step when omitted.

    Returns
    -------
    list of CollapseEvent, empty when every component is healthy.
    """
    X = _check_X(X)
    resp = e_step(X, mixture)[0] if resp is None else _check_resp(X, resp)
    nk = resp.sum(axis=0)
    a, b, c = _covariance_entries(mixture.covariances, mixture.covariance_type, mixture.n_components)
    min_variance = _min_eigenvalue(a, b, c)
    yardstick = _thinnest_data_variance(X)
    relative = min_variance / yardstick
    max_variance = a + c - min_variance
    events = []
    for k in range(mixture.n_components):
        count = f"{nk[k]:.3g}"
        share = f"{count} {'point' if count == '1' else 'points'}' worth of responsibility"
        if relative[k] < _COLLAPSE_RATIO and nk[k] >= _COLLAPSE_MIN_NK:
            if nk[k] < 1.5:
                onto, where = "point", "a single point"
            elif max_variance[k] < _COLLAPSE_RATIO * yardstick:
                onto, where = "stack", "a stack of copies of one point"
            else:
                onto, where = "line", "a line of points"
            events.append(
                CollapseEvent(
                    k,
                    "singular",
                    f"Component {k + 1} has collapsed: its smallest variance is {min_variance[k]:.3g} "
                    f"({relative[k]:.2g} of the data's across its thinnest direction), so it sits "
                    f"on {where} holding {share}, and its density there, and the likelihood, grow "
                    "without bound.",
                    float(min_variance[k]),
                    float(nk[k]),
                    float(relative[k]),
                    onto,
                )
            )
        elif nk[k] < _STARVED_NK:
            events.append(
                CollapseEvent(
                    k,
                    "starved",
                    f"Component {k + 1} is starved: it holds only {share}, "
                    "so its mean and covariance rest on less than one point.",
                    float(min_variance[k]),
                    float(nk[k]),
                    float(relative[k]),
                )
            )
    return events


# --------------------------------------------------------------------------------------------------
# K-means: the hard-assignment limit of EM with equal weights and one shared spherical variance.


def _squared_distances(X, means):
    """|x_i - mu_k|^2, shape (n_components, n_samples)."""
    dx, dy = _deviations(_columns(X), means)
    return dx * dx + dy * dy


def kmeans_e_step(X, mixture: Mixture):
    """Hard E-step: each point belongs wholly to its nearest mean.

    This is the E-step of a mixture with equal weights and covariances sigma^2 I in the limit
    sigma -> 0, where every responsibility becomes 0 or 1.

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components), one-hot rows
    inertia : float
        The k-means objective, the sum of squared distances to the assigned means.
    """
    X = _check_X(X)
    distances = _squared_distances(X, mixture.means)
    labels = distances.argmin(axis=0)
    points = np.arange(X.shape[0])
    resp = np.zeros((X.shape[0], mixture.n_components))
    resp[points, labels] = 1.0
    return resp, float(distances[labels, points].sum())


def kmeans_m_step(X, resp, previous_means=None, reg_covar: float = 1e-6) -> Mixture:
    """Hard M-step: centroids, equal weights, and the pooled within-cluster variance.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    resp : array-like of shape (n_samples, n_components)
        Hard (one-hot) assignments from ``kmeans_e_step``.
    previous_means : array-like of shape (n_components, 2), optional
        Where an empty cluster stays; without it an empty cluster moves to the data's centre.
    reg_covar : float

    Returns
    -------
    Mixture of covariance_type "spherical" with one shared variance, so it can be drawn like EM's.
    """
    X = _check_X(X)
    resp = _check_resp(X, resp)
    k = resp.shape[1]
    counts = resp.sum(axis=0)
    center = X.mean(axis=0)
    sums = resp.T @ (X - center)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = center + sums / counts[:, None]
    fallback = center if previous_means is None else np.asarray(previous_means, dtype=np.float64)
    means = np.where(counts[:, None] > 0, means, fallback)
    inertia = float(np.einsum("nk,kn->", resp, _squared_distances(X, means)))
    variance = inertia / (2 * X.shape[0]) + reg_covar
    return Mixture(np.full(k, 1.0 / k), means, np.full(k, variance), "spherical")


# --------------------------------------------------------------------------------------------------
# Initialisation and the full EM loop


def _kmeans_plusplus(X, n_components, rng):
    """Greedy k-means++ seeding (as scikit-learn's ``kmeans_plusplus``): indices of the seeds."""
    n = X.shape[0]
    n_local_trials = 2 + int(np.log(n_components))
    indices = [int(rng.integers(n))]
    closest = _squared_distances(X, X[indices])[0]
    for _ in range(1, n_components):
        total = closest.sum()
        if total <= 0:  # every point already sits on a seed: any point will do
            candidates = rng.integers(n, size=n_local_trials)
        else:
            candidates = np.searchsorted(
                np.cumsum(closest), rng.random(n_local_trials) * total, side="right"
            )
            candidates = np.minimum(candidates, n - 1)
        trial = np.minimum(closest, _squared_distances(X, X[candidates]))
        best = int(trial.sum(axis=1).argmin())
        indices.append(int(candidates[best]))
        closest = trial[best]
    return np.array(indices)


def _kmeans_labels(X, n_components, rng, max_iter=100):
    """Lloyd's k-means from k-means++ seeds: one label per point."""
    means = X[_kmeans_plusplus(X, n_components, rng)]
    start = Mixture(np.full(n_components, 1.0 / n_components), means, np.ones(n_components),
                    "spherical")
    resp, inertia = kmeans_e_step(X, start)
    for _ in range(max_iter):
        mixture = kmeans_m_step(X, resp, previous_means=start.means)
        new_resp, inertia = kmeans_e_step(X, mixture)
        if np.array_equal(new_resp, resp):
            break
        resp, start = new_resp, mixture
    return resp


def _data_covariances(X, n_components, covariance_type, reg_covar):
    """Every component starts with the data's own covariance, shaped for the type."""
    cov = np.cov(X, rowvar=False, bias=True) + reg_covar * np.eye(2)
    if not np.all(np.diag(cov) > 0):  # all points identical: unit variance, nothing better to say
        cov = np.eye(2)
    return {
        "full": lambda: np.repeat(cov[None], n_components, axis=0),
        "tied": lambda: cov,
        "diag": lambda: np.repeat(np.diag(cov)[None], n_components, axis=0),
        "spherical": lambda: np.full(n_components, np.trace(cov) / 2),
    }[covariance_type]()


def initial_mixture(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
    init: str = "k-means++",
    means_init=None,
    rng: np.random.Generator | None = None,
) -> Mixture:
    """The mixture EM starts from.

    ``"random"`` and ``"kmeans"`` start as scikit-learn does (random or k-means responsibilities,
    then an M-step). ``"k-means++"``, ``"random_from_data"`` and ``means_init`` choose the means
    only; every component then starts with equal weight and the data's covariance. (scikit-learn
    starts those from the M-step of one point per component, whose covariance is ``reg_covar``
    alone: with ``reg_covar=0`` that collapses before EM begins.)

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    n_components : int
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    init : {"k-means++", "random", "random_from_data", "kmeans"}
    means_init : array-like of shape (n_components, 2), optional
        Overrides ``init`` (where the user dropped the mean handles).
    rng : numpy.random.Generator, optional

    Returns
    -------
    Mixture
    """
    X = _check_X(X)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    _check_choice("init", init, INITS)
    n = X.shape[0]
    if not (isinstance(n_components, (int, np.integer)) and 1 <= n_components):
        raise ValueError(f"n_components must be a whole number >= 1; got {n_components!r}.")
    if means_init is None and n_components > n:
        raise ValueError(
            f"n_components={n_components} is more than the {n} data points; "
            "lower K or add points."
        )
    rng = np.random.default_rng(rng)
    equal = np.full(n_components, 1.0 / n_components)
    if means_init is not None:
        means = np.asarray(means_init, dtype=np.float64)
        if means.shape != (n_components, 2) or not np.all(np.isfinite(means)):
            raise ValueError(
                f"means_init must be finite with shape ({n_components}, 2); got {means.shape}."
            )
    elif init in ("random", "kmeans"):
        if init == "random":
            resp = rng.uniform(size=(n, n_components))
            resp /= resp.sum(axis=1, keepdims=True)
        else:
            resp = _kmeans_labels(X, n_components, rng)
        return _m_step(X, np.ascontiguousarray(resp.T), covariance_type, reg_covar)
    elif init == "k-means++":
        means = X[_kmeans_plusplus(X, n_components, rng)]
    else:
        means = X[rng.choice(n, size=n_components, replace=False)]
    return Mixture(equal, means, _data_covariances(X, n_components, covariance_type, reg_covar),
                   covariance_type)


@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of ``fit``: the best restart and the final log-likelihood of every restart."""

    mixture: Mixture
    resp: np.ndarray
    log_likelihood: float
    log_likelihood_history: tuple[float, ...]
    converged: bool
    n_iter: int
    restarts: tuple[float, ...] = ()
    restart_mixtures: tuple[Mixture, ...] = field(default=(), repr=False)
    best_restart: int = 0


def _run_em(X, mixture, covariance_type, reg_covar, tol, max_iter):
    """EM to convergence from ``mixture``, as scikit-learn's loop: tol on the mean log-likelihood."""
    history = []
    converged = False
    previous = -np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        log_norm, resp_t, _ = _e_step(X, mixture)
        total = float(log_norm.sum())
        history.append(total)
        mixture = _m_step(X, resp_t, covariance_type, reg_covar)
        if abs(total - previous) / X.shape[0] < tol:
            converged = True
            break
        previous = total
    log_norm, resp_t, _ = _e_step(X, mixture)
    return mixture, resp_t.T, float(log_norm.sum()), tuple(history), converged, n_iter


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
    seed=None,
) -> FitResult:
    """Fit a mixture by EM, keeping the best of ``n_init`` restarts.

    ``log_likelihood_history`` holds the total log-likelihood at each iteration's E-step (under the
    parameters that iteration starts from), as scikit-learn's ``lower_bound_`` does per sample;
    convergence is declared when its per-sample change falls below ``tol``. ``log_likelihood`` is
    that of the final parameters.

    Returns
    -------
    FitResult
    """
    X = _check_X(X)
    _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    if not (isinstance(n_init, (int, np.integer)) and n_init >= 1):
        raise ValueError(f"n_init must be a whole number >= 1; got {n_init!r}.")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be a whole number >= 1; got {max_iter!r}.")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}.")
    if not (np.isfinite(reg_covar) and reg_covar >= 0):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(n_init):
        start = initial_mixture(
            X, n_components, covariance_type=covariance_type, reg_covar=reg_covar, init=init,
            means_init=means_init, rng=rng,
        )
        runs.append(_run_em(X, start, covariance_type, float(reg_covar), tol, max_iter))
    best = int(np.argmax([run[2] for run in runs]))
    mixture, resp, total, history, converged, n_iter = runs[best]
    return FitResult(
        mixture=mixture,
        resp=resp,
        log_likelihood=total,
        log_likelihood_history=history,
        converged=converged,
        n_iter=n_iter,
        restarts=tuple(run[2] for run in runs),
        restart_mixtures=tuple(run[0] for run in runs),
        best_restart=best,
    )


# --------------------------------------------------------------------------------------------------
# Data normalisation


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-axis standardisation ``z = (x - center) / scale`` and its inverse, for data and mixtures.

    Lets the lab fit in standard units while the user drags means in data units.
    """

    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X) -> "Standardizer":
        X = _check_X(X)
        scale = X.std(axis=0)
        # A constant axis keeps its units: dividing by 0 would lose every point.
        return cls(X.mean(axis=0), np.where(scale > 0, scale, 1.0))

    def transform(self, X) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.center) / self.scale

    def inverse_transform(self, Z) -> np.ndarray:
        return np.asarray(Z, dtype=np.float64) * self.scale + self.center

    def _map_mixture(self, mixture: Mixture, means, factor) -> Mixture:
        # Covariances scale as D Sigma D with D = diag(factor).
        cov = mixture.covariances
        outer = factor[:, None] * factor[None, :]
        scaled = {
            "full": lambda: cov * outer,
            "tied": lambda: cov * outer,
            "diag": lambda: cov * factor**2,
            # A sphere stays a sphere only for equal factors; use their geometric mean otherwise.
            "spherical": lambda: cov * float(np.prod(factor)),
        }[mixture.covariance_type]()
        return Mixture(mixture.weights, means, scaled, mixture.covariance_type)

    def transform_mixture(self, mixture: Mixture) -> Mixture:
        return self._map_mixture(mixture, self.transform(mixture.means), 1.0 / self.scale)

    def inverse_transform_mixture(self, mixture: Mixture) -> Mixture:
        return self._map_mixture(mixture, self.inverse_transform(mixture.means), self.scale)
