"""The trace lab's session: EM on points along a line, one half-step at a time, every number kept.

Owns ``TraceSession``, a small ``param.Parameterized`` state machine over :mod:`app.em1d` (the 1-D
engine): the data (the six points of ``datasets/six_points_1d.csv`` by default, or any 1-D set),
K and the start's means, variances and weights, the current mixture and responsibilities, which
half-step comes next, and a history with one immutable record per half-step (so Step back is a
pop and Reset a truncation). It is to the trace lab what :class:`app.session.Session` is to the
2-D lab, and reads the same way to whoever watches it (``history`` of records with ``kind``,
``iteration``, ``mixture``; ``phase``; ``collapse``; ``converged``; ``version`` bumped by every
action), so ``app.lessons.LabState.from_session`` and ``app.lesson_run.LessonRun`` can run the
trace-lab lesson against it. It must not import panel, bokeh or matplotlib, nor the lessons: a
lesson drives it through its public actions as any view does.

Actions (verbs; none raises on user input: a refused action returns False and says why in
``message``): ``e_step()``, ``m_step()``, ``step()``, ``run()``, ``back()``, ``reset()``,
``set_start(means, variances, weights)``, ``set_data(X, name)``, ``load_dataset(name)``.
Component and point indices are 0-based here; the views number them from 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
import param

from app import em1d

__all__ = ["DEFAULT_DATASET", "TraceSession", "TraceStep", "read_dataset"]

DEFAULT_DATASET = "six_points_1d"
# The trace lab's start (seed 002 and app/lessons/trace-lab.md): means 1.60 and 4.40, weights
# 0.50/0.50, and variance 0.50 each, so that each density is exp(-(x - mu)^2) / sqrt(pi).
DEFAULT_MEANS = (1.60, 4.40)
DEFAULT_VARIANCES = (0.50, 0.50)
DEFAULT_WEIGHTS = (0.50, 0.50)
MAX_COMPONENTS = 15
MAX_POINTS = 200  # the trace lab shows every point in its table


@dataclass(frozen=True, eq=False)
class TraceStep:
    """One entry of the history: the state right after a half-step (or the start).

    Attributes
    ----------
    kind : {"init", "E", "M"}
    iteration : int                 E-steps taken up to and including this record.
    mixture : em1d.Mixture1D        the parameters after this half-step.
    resp : ndarray of shape (n_samples, n_components)
        The responsibilities shown: uniform 1/K at the start, the new ones after an E-step, and
        after an M-step the ones it used (the next E-step recomputes them). Read-only.
    log_likelihood : float          total log-likelihood of ``mixture``.
    lower_bound : float             ELBO of (``resp``, ``mixture``); equals the log-likelihood
                                    after an E-step.
    converged : bool
    collapse : tuple of app.em.CollapseEvent   "singular" components (EM cannot go on).
    """

    kind: str
    iteration: int
    mixture: em1d.Mixture1D
    resp: np.ndarray
    log_likelihood: float
    lower_bound: float
    converged: bool = False
    collapse: tuple = ()


def read_dataset(name: str) -> np.ndarray:
    """A shipped one-column data set (``datasets/<name>.csv`` with a header), shape (n,).

    Raises
    ------
    ValueError
        When there is no such file or it does not hold one column of numbers.
    """
    folder = resources.files("app.datasets")
    item = folder.joinpath(f"{name}.csv")
    if not name.replace("_", "").isalnum() or not item.is_file():
        raise ValueError(f"There is no data set called “{name}”.")
    rows = list(csv.reader(io.StringIO(item.read_text(encoding="utf-8"))))
    if not rows or len(rows[0]) != 1:
        raise ValueError(f"“{name}” is not a data set of points along a line (one column).")
    try:
        return np.array([float(row[0]) for row in rows[1:] if row], dtype=np.float64)
    except ValueError:
        raise ValueError(f"“{name}” holds something other than numbers.") from None


class TraceSession(param.Parameterized):
    """EM on 1-D data, half-step by half-step, with every record kept for the trace lab."""

    dimension = 1  # what the data are: points along a line (LessonRun reads it)

    # ---- settings -------------------------------------------------------------------------------
    covariance_type = param.Selector(default="full", objects=list(em1d.COVARIANCE_TYPES),
                                     doc="In 1-D full, diag and spherical are one model; tied "
                                         "shares one variance. Changing it restarts EM.")
    reg_covar = param.Number(default=0.0, bounds=(0.0, 1.0),
                             doc="The variance floor added to each variance in the M-step; "
                                 "changing it restarts EM.")
    tol = param.Number(default=1e-3, bounds=(0.0, 1.0),
                       doc="Converged when the mean log-likelihood per point changes by less than "
                           "this between iterations.")

    # ---- state (set only by actions) ------------------------------------------------------------
    dataset = param.String(default=DEFAULT_DATASET, constant=True,
                           doc="The shipped data set's name, or 'custom'.")
    data_name = param.String(default="", constant=True, doc="Title of the data (for display).")
    X = param.Array(default=np.zeros(0), constant=True, doc="The data, shape (n,).")
    n_components = param.Integer(default=2, bounds=(1, MAX_COMPONENTS), constant=True,
                                 doc="K: the start's number of means.")
    mode = param.Selector(default="em", objects=["em"], constant=True,
                          doc="Always 'em' (the trace lab has no k-means mode).")
    start = param.ClassSelector(class_=em1d.Mixture1D, default=None, allow_None=True,
                                constant=True, doc="The mixture EM starts from.")
    mixture = param.ClassSelector(class_=em1d.Mixture1D, default=None, allow_None=True,
                                  constant=True, doc="The mixture after the latest half-step.")
    resp = param.Array(default=np.zeros((0, 1)), constant=True,
                       doc="The responsibilities shown, shape (n, K) (see TraceStep.resp).")
    phase = param.Selector(default="E", objects=["E", "M"], constant=True,
                           doc="The half-step that comes next.")
    history = param.Parameter(default=(), constant=True,
                              doc="One TraceStep per half-step, the start first.")
    iteration = param.Integer(default=0, bounds=(0, None), constant=True,
                              doc="E-steps taken since the start.")
    converged = param.Boolean(default=False, constant=True, doc="Has EM converged (tol)?")
    collapse = param.Parameter(default=(), constant=True,
                               doc="app.em.CollapseEvent of the latest half-step (empty if none).")
    message = param.String(default="", constant=True, doc="Why the last action was refused.")
    restarts = param.Parameter(default=(), constant=True, doc="Always empty (no restarts here).")
    model_selection = param.Parameter(default=(), constant=True,
                                      doc="Always empty (no model selection here).")
    version = param.Integer(default=0, bounds=(0, None), constant=True,
                            doc="Bumped by every action: watch it to redraw.")

    def __init__(self, X=None, *, means=DEFAULT_MEANS, variances=DEFAULT_VARIANCES,
                 weights=DEFAULT_WEIGHTS, **params):
        super().__init__(**params)
        self._records: list[TraceStep] = []
        if X is None:
            ok = self.load_dataset(DEFAULT_DATASET, means=means, variances=variances,
                                   weights=weights)
        else:
            ok = self.set_data(X, means=means, variances=variances, weights=weights)
        if not ok:
            raise ValueError(self.message)
        self.param.watch(self._on_model, ["covariance_type", "reg_covar"])

    # ==============================================================================================
    # Data and start
    # ==============================================================================================
    def load_dataset(self, name, *, means=None, variances=None, weights=None):
        """Load a shipped one-column data set and start EM on it. False (with a message) if not."""
        try:
            X = read_dataset(name)
        except ValueError as exc:
            self._publish(message=str(exc))
            return False
        title = "Six points" if name == DEFAULT_DATASET else name.replace("_", " ").capitalize()
        return self.set_data(X, name=title, dataset=name, means=means, variances=variances,
                             weights=weights)

    def set_data(self, X, name="your data", *, dataset="custom", means=None, variances=None,
                 weights=None):
        """Use ``X`` (shape (n,) or (n, 1)) and start EM from ``means`` (default: the current
        start's if it fits, else K evenly spaced data quantiles). False (with a message) if not."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            self._publish(message=f"The trace lab takes points along a line (one number each); "
                                  f"these have {X.shape[-1] if X.ndim else 0} numbers each.")
            return False
        if not 2 <= X.size <= MAX_POINTS or not np.all(np.isfinite(X)):
            self._publish(message=f"The trace lab takes 2 to {MAX_POINTS} finite numbers; "
                                  f"got {X.size} values.")
            return False
        if np.ptp(X) == 0:
            self._publish(message="All the points are the same: EM has nothing to separate.")
            return False
        if means is None:
            if self.start is not None:
                means, variances, weights = (self.start.means, self.start.variances,
                                             self.start.weights)
            else:
                means = np.quantile(X, np.linspace(0.25, 0.75, 2))
        X = X.copy()
        X.setflags(write=False)
        try:
            start = self._make_start(X, means, variances, weights)
        except ValueError as exc:
            self._publish(message=str(exc))
            return False
        self._begin(start, X=X, data_name=name, dataset=dataset)
        return True

    def set_start(self, means, variances=None, weights=None):
        """Start EM again from these means (and variances and weights: default the data's
        variance and equal weights). False (with a message) when they do not make a mixture."""
        try:
            start = self._make_start(self.X, means, variances, weights)
        except ValueError as exc:
            self._publish(message=str(exc))
            return False
        self._begin(start)
        return True

    def _make_start(self, X, means, variances, weights):
        means = np.atleast_1d(np.asarray(means, dtype=np.float64)).reshape(-1)
        if not 1 <= means.size <= MAX_COMPONENTS:
            raise ValueError(f"The trace lab takes 1 to {MAX_COMPONENTS} means; got {means.size}.")
        return em1d.initial_mixture(
            X, int(means.size), covariance_type=self.covariance_type, reg_covar=self.reg_covar,
            means_init=means, variances_init=variances, weights_init=weights)

    def _begin(self, start, **values):
        X = values.get("X", self.X)
        K = start.n_components
        resp = np.full((X.size, K), 1.0 / K)
        resp.setflags(write=False)
        ll = em1d.log_likelihood(X, start)
        self._records = [TraceStep("init", 0, start, resp, ll, em1d.lower_bound(X, resp, start))]
        self._publish_history(start=start, n_components=K, **values)

    def _on_model(self, *events):
        # A new covariance type or variance floor: EM restarts from the same means, variances and
        # weights (tied shares one variance: their mean).
        start = self.start
        variances = (np.full(start.n_components, start.variances.mean())
                     if self.covariance_type == "tied" else start.variances)
        self.set_start(start.means, variances, start.weights)

    # ==============================================================================================
    # Half-steps
    # ==============================================================================================
    @property
    def can_e_step(self) -> bool:
        """True when an E-step comes next and nothing has collapsed."""
        return self.phase == "E" and not self.collapse

    @property
    def can_m_step(self) -> bool:
        """True when an M-step comes next and nothing has collapsed."""
        return self.phase == "M" and not self.collapse

    @property
    def half_steps(self) -> int:
        """Half-steps taken since the start."""
        return len(self._records) - 1

    def e_step(self):
        """Recompute every point's responsibilities from the current mixture. False if refused."""
        if not self._may("E"):
            return False
        self._do_e_step()
        self._publish_history()
        return True

    def m_step(self):
        """Refit weights, means and variances to the responsibilities. False if refused."""
        if not self._may("M"):
            return False
        self._do_m_step()
        self._publish_history()
        return True

    def step(self):
        """The next half-step, whichever it is. False if refused."""
        return self.e_step() if self.phase == "E" else self.m_step()

    def run(self, max_iter=200):
        """Half-steps until converged or collapsed (at most ``max_iter`` iterations)."""
        if not self._may(self.phase):
            return False
        if self.converged and self.phase == "E":
            self._publish(message="EM has converged: another half-step would change nothing.")
            return False
        for _ in range(int(max_iter)):
            if self._records[-1].kind != "E":
                self._do_e_step()
            self._do_m_step()
            last = self._records[-1]
            if last.collapse or last.converged:
                break
        self._publish_history()
        return True

    def back(self):
        """Undo the last half-step. False (with a message) at the start."""
        if len(self._records) <= 1:
            self._publish(message="This is the start: there is no half-step to undo.")
            return False
        self._records.pop()
        self._publish_history()
        return True

    def reset(self):
        """Back to the start (the very same record: nothing is recomputed)."""
        del self._records[1:]
        self._publish_history()
        return True

    def _may(self, kind):
        if self.collapse:
            self._publish(message=f"Component {self.collapse[0].component + 1} has collapsed: "
                                  "step back or reset to go on.")
            return False
        if self.phase != kind:
            other = "M" if kind == "E" else "E"
            self._publish(message=f"The {other}-step comes next: E and M take turns.")
            return False
        return True

    def _do_e_step(self):
        prev = self._records[-1]
        resp, ll = em1d.e_step(self.X, prev.mixture)
        resp.setflags(write=False)
        # Right after an E-step q is the posterior, so the ELBO equals the log-likelihood.
        self._records.append(TraceStep("E", prev.iteration + 1, prev.mixture, resp, ll, ll,
                                       prev.converged))

    def _do_m_step(self):
        X, prev = self.X, self._records[-1]
        resp = prev.resp
        mixture = em1d.m_step(X, resp, covariance_type=self.covariance_type,
                              reg_covar=self.reg_covar)
        ll = em1d.log_likelihood(X, mixture)
        collapse = tuple(e for e in em1d.detect_collapse(X, mixture, resp)
                         if e.kind == "singular")
        converged = abs(ll - self._previous_ll()) / X.size < self.tol and not collapse
        self._records.append(TraceStep("M", prev.iteration, mixture, resp, float(ll),
                                       em1d.lower_bound(X, resp, mixture), bool(converged),
                                       collapse))

    def _previous_ll(self):
        """The log-likelihood at the end of the previous iteration (or of the start)."""
        for record in reversed(self._records[:-1]):
            if record.kind in ("M", "init"):
                return record.log_likelihood
        return self._records[0].log_likelihood

    def _publish_history(self, **values):
        last = self._records[-1]
        self._publish(mixture=last.mixture, resp=last.resp,
                      phase="M" if last.kind == "E" else "E", iteration=last.iteration,
                      converged=last.converged, collapse=last.collapse, message="",
                      history=tuple(self._records), **values)

    def _publish(self, **values):
        """Set state parameters in one batched event and bump ``version``."""
        values["version"] = self.version + 1
        with param.edit_constant(self):
            self.param.update(**values)

    # ==============================================================================================
    # Reading (pure; nothing NaN or infinite)
    # ==============================================================================================
    def current_log_likelihood(self) -> float:
        """The log-likelihood of the current mixture."""
        return float(self._records[-1].log_likelihood)

    def current_lower_bound(self) -> float:
        """The ELBO of the current (responsibilities, mixture)."""
        return float(self._records[-1].lower_bound)

    def last_e_resp(self):
        """The responsibilities of the latest E-step (those the next M-step uses), or None before
        the first E-step."""
        for record in reversed(self._records):
            if record.kind == "E":
                return record.resp
        return None

    def point_terms(self, i: int) -> em1d.PointTerms:
        """Point ``i``'s E-step from the current mixture, term by term (what the next E-step
        computes when an E-step is next; what the last one computed when an M-step is next)."""
        return em1d.point_terms(self.X, self.mixture, i)

    def component_terms(self, k: int):
        """Component ``k``'s latest M-step, term by term; None before the first M-step."""
        if self._records[-1].kind != "M":
            return None
        return em1d.component_terms(self.X, self._records[-1].resp, k, reg_covar=self.reg_covar)

    def density_curves(self, grid=None, n_grid: int = 400) -> em1d.DensityCurves:
        """The current mixture's weighted component densities and their sum, on a grid."""
        return em1d.density_curves(self.X, self.mixture, grid, n_grid=n_grid)

    def trace(self):
        """(half-step number, kind, log-likelihood) for every record."""
        return [(j, r.kind, r.log_likelihood) for j, r in enumerate(self._records)]
