"""The EM session: one learner's run of EM on one data set, a ``param.Parameterized`` state machine.

This module owns the *state* of the lab: the data, the settings, the current mixture and
responsibilities, which half-step comes next, the history of half-steps (so "Step back" is a pop),
collapse events, restarts and model selection (those two in :mod:`app.explorations`, which the
session inherits). It owns no maths (that is :mod:`app.em`), no text a
learner reads (that is :mod:`app.narration`) and no widgets. It must not import panel, bokeh or
matplotlib: views in ``app/views/`` read it and send actions back; it is tested with plain pytest.

Public API (component indices ``k`` are 0-based here; learners read 1-based names in the narration)
----------------------------------------------------------------------------------------------------
Settings (parameters; views make widgets with ``pn.widgets.X.from_param(session.param.name)``):
    dataset          Selector over :func:`app.data.names` (shown by title) plus ``CUSTOM`` (the
                     last uploaded or edited data)
    n_components     K, 1..15.  Changing it restarts EM.  Lowered, with a ``message``, when the data
                     has fewer distinct points than K.
    covariance_type  "full" | "tied" | "diag" | "spherical".  Restarts EM.
    reg_covar        added to covariance diagonals in the M-step, 0..1 (0: how a teacher breaks it).
                     Takes effect at the next M-step; if the session is collapsed, the collapsing
                     M-step is redone with the new value.
    init             "k-means++" | "random" | "random_from_data" | "kmeans".  Restarts EM.
    seed             0..2**31-1; the start is a pure function of (data, settings, seed).  Restarts.
    mode             "em" | "kmeans" (hard assignments, equal weights, one shared spherical
                     variance; the trace shows inertia instead of the log-likelihood).  Restarts EM.
    tol              convergence threshold on the change of the mean log-likelihood per point
                     between iterations (as scikit-learn); changing it re-judges the latest one.  In
                     k-means mode convergence means the last assignment moved no point.
    speed            half-steps per second for Play (the view owns the timer and calls ``tick()``).

State (constant parameters: only actions set them; every action ends in ONE batched update, and
``version`` always increases, so a view can watch ``version`` alone and redraw everything):
    X                (n, 2) float array, read-only.        data_name, columns (x label, y label),
    data_note        teaching note of the data set.         n_distinct: number of distinct points.
    mixture          :class:`app.em.Mixture` of the current half-step.
    resp             (n, K) read-only array the view colours by = ``display_resp()``:
                     * at the start: uniform 1/K (nothing has been assigned yet);
                     * after an E-step: the new responsibilities of the current mixture;
                     * after an M-step: the responsibilities the M-step *used* (those that
                       produced the current mixture), not recomputed: the next E-step does that.
                     In k-means mode the rows are one-hot.
    phase            "E" | "M": the half-step that comes next.
    history          tuple of :class:`HalfStep` (kind "init" | "E" | "M"), one per half-step.  Each
                     holds the log-likelihood of its mixture and the ELBO of its (responsibilities,
                     mixture): the E-step lifts the ELBO onto the log-likelihood, the M-step raises
                     the ELBO with the responsibilities fixed, and the new log-likelihood is higher
                     still.  ``trace()`` gives these per point, ready to plot.
    iteration        number of E-steps taken so far (0 at the start).
    converged        bool.     playing: bool (Play is running).
    collapse         tuple of :class:`app.em.CollapseEvent` (empty when nothing collapsed):
                     components whose variance has shrunk onto a point (or a stack or line of
                     points) they hold (engine kind "singular", see ``em.detect_collapse``).
                     Forward steps are refused until a remedy or back().  Components that merely
                     lost their data (engine kind "starved") are in ``history[-1].starved``,
                     only narrated.
    collapse_banner  markdown: the collapsed component, what happened, the remedies ("" if none).
    narration        markdown + LaTeX ($$...$$): what the last half-step did, what the next will do.
    equation         LaTeX of the next half-step (without $$).
    message          a non-fatal note for the user ("" if none), e.g. why K was lowered.
    restarts         tuple of :class:`app.explorations.Restart` from ``run_restarts``.
    model_selection  tuple of :class:`app.explorations.ModelRow` from ``compute_model_selection``;
                     ``best_k`` (BIC).
    version          int, bumped by every action.

Actions (verbs; each leaves the session consistent and never raises on user-reachable input; the
ones that can be refused return False and say why in ``message``):
    e_step(), m_step()   only the half-step named by ``phase`` is allowed; not after a collapse.
    step()               one whole iteration (E then M), or finishes a pending M.
    back()               undo one half-step (refused, with a message, at the start).
    run(max_iter=200)    half-steps until converged or collapsed (refused when already converged).
    play() / pause() / tick()   Play: ``tick()`` takes one half-step; it pauses at convergence or
                         collapse.
    reset()              a new start from init + seed (history restarts, phase "E").
    move_means(means) / move_mean(k, xy)   re-seed EM at dropped handle positions (phase "E"): the
                         means are exactly the dropped ones, weights equal, covariances the data's.
    load_dataset(name) / set_data(X, name, columns, note) / use_dataset(ds) / add_point(xy) /
    remove_point(i)      data changes reset EM cleanly; bad data is refused with a message.  A data
                         set's suggested K is applied when it is picked.
    break_it()           the collapse preset: collapse-demo data, reg_covar 0, one mean on the
                         isolated point; stepping then reaches a collapse within a few iterations.
    run_restarts(n=10) ; load_restart(i) ; compute_model_selection(k_max=10)

Display helpers (cheap, pure, cached per half-step; nothing NaN or infinite):
    display_resp(), labels(), uncertainty(), outlier_mask(), point_info(i), trace(),
    current_log_likelihood(), current_lower_bound(), current_inertia(), can_e_step, can_m_step,
    n_optima and restart_optima() (distinct local optima among the restarts; 0 = best).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import param

from app import data, em, narration
from app.explorations import Explorations

CUSTOM = "(your data)"
"""Name of the picker entry that holds the last uploaded or edited data set."""

MAX_COMPONENTS = 15
# Outlier threshold: a point is an outlier when it lies outside every component's 99.7% ellipse.
# In 2-D the squared Mahalanobis distance is chi-squared with 2 degrees of freedom, whose CDF is
# 1 - exp(-d2 / 2), so the 99.7% quantile is -2 ln(0.003).
OUTLIER_D2 = -2.0 * np.log(0.003)


# --------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HalfStep:
    """One entry of the history: the state right after a half-step.

    The responsibilities are deliberately *not* stored: at N = 50,000 and K = 15 they weigh 6 MB per
    half-step.  They are a pure function of the record (see ``Session._resp_of``), so ``back()``
    recomputes the one it needs.

    Attributes
    ----------
    kind : {"init", "E", "M"}
    iteration : int             number of E-steps up to and including this record.
    mixture : em.Mixture        the parameters after this half-step.
    log_likelihood : float      total log-likelihood of ``mixture`` (EM mode and k-means mode).
    lower_bound : float         ELBO F(q, theta) of this record's (responsibilities, mixture);
                                equals the log-likelihood after an E-step.  (EM mode.)
    inertia : float or None     k-means mode: sum of squared distances of each point to the mean of
                                its cluster (None at the start, when nothing is assigned yet).
    converged : bool
    collapse : tuple of em.CollapseEvent   "singular" components (EM cannot go on).
    mode : {"em", "kmeans"}
    changed : int               points whose most likely component changed (E records; else 0).
    starved : tuple of em.CollapseEvent    "starved" components (< 1 point's worth; EM goes on).
    """

    kind: str
    iteration: int
    mixture: em.Mixture
    log_likelihood: float
    lower_bound: float
    inertia: float | None = None
    converged: bool = False
    collapse: tuple = ()
    mode: str = "em"
    changed: int = 0
    starved: tuple = ()


# --------------------------------------------------------------------------------------------------
# Data sets for the picker
# --------------------------------------------------------------------------------------------------
def dataset_choices():
    """Picker entries, title -> name: the shipped sets in the data module's order, then CUSTOM."""
    choices = {title: name for name, title in data.titles().items()}
    choices["Your data (upload, or edit points)"] = CUSTOM
    return choices


def _collapse_demo_name(names):
    for name in names:
        if "collapse" in name.lower():
            return name
    return None


def _default_dataset(names):
    return "blobs" if "blobs" in names else names[0]


# --------------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------------
_CHOICES = dataset_choices()


class Session(Explorations, param.Parameterized):
    """An EM run on one data set: settings, state, history and the actions a learner takes."""

    # ---- settings -------------------------------------------------------------------------------
    dataset = param.Selector(default=_default_dataset(list(_CHOICES.values())), objects=_CHOICES,
                             doc="The data set EM runs on; changing it resets EM.")
    n_components = param.Integer(default=3, bounds=(1, MAX_COMPONENTS),
                                 doc="K, the number of mixture components; changing it resets EM.")
    covariance_type = param.Selector(default="full", objects=list(em.COVARIANCE_TYPES),
                                     doc="Shape of each component's covariance; changing it "
                                         "resets EM.")
    reg_covar = param.Number(default=1e-6, bounds=(0.0, 1.0),
                             doc="Added to each covariance's diagonal in the M-step; 0 lets a "
                                 "component collapse onto a single point.")
    init = param.Selector(default="k-means++", objects=list(em.INITS),
                          doc="How the starting means are chosen; changing it resets EM.")
    seed = param.Integer(default=0, bounds=(0, 2**31 - 1),
                         doc="Random seed of the start; the same seed gives the same start.")
    mode = param.Selector(default="em", objects=["em", "kmeans"],
                          doc="'em' (soft responsibilities) or 'kmeans' (hard assignments, shared "
                              "spherical variance); changing it resets EM.")
    tol = param.Number(default=1e-3, bounds=(0.0, 1.0),
                       doc="Converged when the mean log-likelihood per point changes by less than "
                           "this between iterations.")
    speed = param.Number(default=2.0, bounds=(0.5, 30.0),
                         doc="Half-steps per second while playing.")

    # ---- state (set only by actions) ------------------------------------------------------------
    X = param.Array(default=np.zeros((0, 2)), constant=True, doc="The data, shape (n, 2).")
    data_name = param.String(default="", constant=True,
                             doc="Title of the loaded data (for display).")
    columns = param.Tuple(default=("x", "y"), length=2, constant=True, doc="Axis labels of X.")
    data_note = param.String(default="", constant=True, doc="Teaching note of the data set.")
    data_source = param.String(default="", constant=True,
                               doc="Provenance, citation and licence of the data set.")
    data_hints = param.Dict(default={}, constant=True,
                            doc="Set-specific facts for lessons (the collapse demo's lone point).")
    n_distinct = param.Integer(default=0, bounds=(0, None), constant=True,
                               doc="Number of distinct points in X.")
    mixture = param.ClassSelector(class_=em.Mixture, default=None, allow_None=True, constant=True,
                                  doc="The mixture after the latest half-step.")
    resp = param.Array(default=np.zeros((0, 1)), constant=True,
                       doc="Responsibilities the view colours by, shape (n, K) (see display_resp).")
    phase = param.Selector(default="E", objects=["E", "M"], constant=True,
                           doc="The half-step that comes next.")
    history = param.Parameter(default=(), constant=True,
                              doc="One HalfStep per half-step, oldest first.")
    iteration = param.Integer(default=0, bounds=(0, None), constant=True,
                              doc="E-steps taken since the start.")
    converged = param.Boolean(default=False, constant=True, doc="Has EM converged (tol)?")
    playing = param.Boolean(default=False, constant=True, doc="Is Play running?")
    collapse = param.Parameter(default=(), constant=True,
                               doc="em.CollapseEvent of the latest half-step (empty if none).")
    collapse_banner = param.String(default="", constant=True,
                                   doc="Markdown banner shown while a component is collapsed.")
    narration = param.String(default="", constant=True,
                             doc="Markdown + LaTeX: what the last half-step did, what the next "
                                 "does.")
    equation = param.String(default="", constant=True, doc="LaTeX of the next half-step.")
    message = param.String(default="", constant=True, doc="A non-fatal note for the user.")
    restarts = param.Parameter(default=(), constant=True,
                               doc="Restart records from run_restarts().")
    model_selection = param.Parameter(default=(), constant=True,
                                      doc="ModelRow records from compute_model_selection().")
    best_k = param.Integer(default=None, allow_None=True, constant=True,
                           doc="K with the lowest BIC in model_selection.")
    version = param.Integer(default=0, bounds=(0, None), constant=True,
                            doc="Bumped by every action: watch it to redraw.")

    def __init__(self, X=None, **params):
        super().__init__(**params)
        self._quiet = False        # True while an action sets settings itself (no reset cascade)
        self._custom = None        # the last user Dataset (upload or edited points)
        self._cache = {}           # display values of the current half-step
        self._next_resp = None     # (mixture, resp, ll): the E-step already computed by the M-step
        self._records = []         # the history while an action runs (see _push)
        self._resps = []           # responsibilities per record, only the last few kept
        self._labels = []          # their argmax (hard labels), kept alongside
        self._origin = ""          # narration of how the current start was chosen
        self._mode_switched = False  # the current start follows a switch of mode (EM <-> k-means)
        self._loaded_dataset = self.dataset   # the picker entry whose data are loaded
        # Settings watchers, in this order. Watched explicitly: a param.depends(watch=True)
        # method makes param look through every such method on each parameter set (fourteen
        # per half-step).
        for method, names in ((self._on_dataset, ["dataset"]),
                              (self._on_start_settings, list(self._START_SETTINGS)),
                              (self._on_reg_covar, ["reg_covar"]), (self._on_tol, ["tol"])):
            self.param.watch(lambda *events, method=method: method(), names)
        self.param.watch(self._on_stale, list(self._STALE))
        if X is not None:
            self.set_data(X, name="your data")
        else:
            self.load_dataset(self.dataset)

    # ==============================================================================================
    # Settings watchers
    # ==============================================================================================
    def _on_dataset(self):
        if not self._quiet:
            self.load_dataset(self.dataset)

    # What each setting invalidates besides the run itself.  Restarts are runs of one K, covariance
    # type, init, mode and reg_covar (their seeds are their own).  Model selection spans K, and its
    # fits only start from the current seed, so it survives a change of K or seed.
    _STALE = {"n_components": ("restarts",),
              "covariance_type": ("restarts", "model_selection"),
              "init": ("restarts", "model_selection"), "mode": ("restarts",),
              "reg_covar": ("restarts", "model_selection")}

    _START_SETTINGS = ("n_components", "covariance_type", "init", "seed", "mode")  # each restarts EM

    def _on_start_settings(self):
        if not self._quiet:
            self.reset()

    def _on_stale(self, *events):
        if self._quiet:
            return
        stale = {what for event in events for what in self._STALE[event.name]}
        if stale:
            cleared = {what: () for what in stale}
            if "model_selection" in stale:
                cleared["best_k"] = None
            self._publish(**cleared)

    def _on_reg_covar(self):
        if self._quiet:
            return
        last = self._records[-1]
        if last.collapse and last.kind == "M":
            # A remedy was applied: redo the collapsing M-step with the new reg_covar.
            self._pop()
            self._do_m_step()
            still = bool(self._records[-1].collapse)
            self._publish_history(message=narration.redo_m_step(self.reg_covar, still))
        else:
            self._publish_history()         # the narration of the next M-step names reg_covar

    def _on_tol(self):
        """Re-judge convergence of the latest iteration under the new tolerance."""
        if self._quiet or self.mode == "kmeans":
            return
        j = max(i for i, r in enumerate(self._records) if r.kind in ("init", "M"))
        record = self._records[j]
        if record.kind == "M" and not record.collapse:
            change = abs(record.log_likelihood - self._previous_ll(j)) / len(self.X)
            converged = change < self.tol
            for i in range(j, len(self._records)):       # the M record and an E after it
                self._records[i] = replace(self._records[i], converged=converged)
        self._publish_history()

    # ==============================================================================================
    # Data
    # ==============================================================================================
    def load_dataset(self, name):
        """Load a data set by name (``CUSTOM`` restores the last user data); resets EM."""
        if name == CUSTOM:
            if self._custom is None:
                return self._refuse_dataset(narration.no_custom_data())
            return self._install(self._custom, dataset=CUSTOM)
        try:
            ds = data.load(name)
        except (ValueError, OSError) as exc:          # data.DataError is a ValueError
            return self._refuse_dataset(str(exc))
        return self._install(ds, dataset=name)

    def _refuse_dataset(self, message):
        """Keep the loaded data, put the picker back on it, and say why."""
        self._quiet = True
        try:
            self.dataset = self._loaded_dataset
        finally:
            self._quiet = False
        self._publish(message=message)
        return False

    def set_data(self, X, name="your data", columns=("x", "y"), note=""):
        """Use user data as the ``CUSTOM`` set; resets EM.  False (and a message) if refused."""
        try:
            X = self._validate_X(X)
        except ValueError as exc:
            self._publish(message=str(exc))
            return False
        columns = (tuple(str(c) for c in columns) + ("x", "y"))[:2]
        return self.use_dataset(data.Dataset(X=X, name=str(name), columns=columns, note=str(note),
                                             n_rows=len(X)))

    def use_dataset(self, ds):
        """Use an ``app.data.Dataset`` (e.g. from ``app.data.parse_csv``) as the ``CUSTOM`` set."""
        try:
            self._validate_X(ds.X)
        except ValueError as exc:
            self._publish(message=str(exc))
            return False
        self._custom = ds
        return self._install(ds, dataset=CUSTOM)

    def add_point(self, xy):
        """Add one point at ``xy`` (the data becomes ``CUSTOM``); resets EM."""
        xy = np.asarray(xy, dtype=float).reshape(-1)
        if xy.shape != (2,) or not np.all(np.isfinite(xy)):
            self._publish(message=narration.bad_point(xy))
            return False
        return self.set_data(np.vstack([self.X, xy]), name=self._edited_name(),
                             columns=self.columns, note=self.data_note)

    def remove_point(self, index):
        """Remove the point at ``index`` (the data becomes ``CUSTOM``); resets EM."""
        n = len(self.X)
        if not (isinstance(index, (int, np.integer)) and -n <= index < n):
            self._publish(message=narration.bad_index(index, n))
            return False
        if n <= 1:
            self._publish(message=narration.last_point())
            return False
        return self.set_data(np.delete(self.X, index, axis=0), name=self._edited_name(),
                             columns=self.columns, note=self.data_note)

    def _edited_name(self):
        name = self.data_name
        return name if name.endswith("(edited)") else f"{name} (edited)"

    @staticmethod
    def _validate_X(X):
        try:
            X = np.array(X, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(narration.bad_data("it is not a table of numbers")) from None
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(narration.bad_data(
                f"it has {X.shape[1]} columns, not 2" if X.ndim == 2 else "it is not a table"))
        if len(X) == 0:
            raise ValueError(narration.bad_data("it has no points"))
        if not np.all(np.isfinite(X)):
            raise ValueError(narration.bad_data("some of its values are missing or infinite"))
        return X

    def _install(self, ds, dataset):
        """Make ``ds`` (an ``app.data.Dataset``) the data, apply its suggested K, and reset EM."""
        X = np.array(ds.X, dtype=float)
        X.setflags(write=False)
        K = self.n_components if ds.suggested_k is None else int(ds.suggested_k)
        self._quiet = True
        try:
            self.param.update(dataset=dataset, n_components=int(min(max(K, 1), MAX_COMPONENTS)))
        finally:
            self._quiet = False
        self._loaded_dataset = dataset
        with param.edit_constant(self):
            self.param.update(X=X, data_name=ds.title or ds.name, columns=tuple(ds.columns),
                              data_note=ds.note, data_source=ds.source, data_hints=dict(ds.hints),
                              n_distinct=data.n_distinct(X), restarts=(), model_selection=(),
                              best_k=None)
        self.reset()
        # What the loader repaired or noticed. A shipped set opens calmly: its notes (repeated
        # points) are curated facts the data panel offers on demand, not warnings (issue 13).
        if ds.messages and dataset == CUSTOM:
            self._publish(message=" ".join([*ds.messages, self.message]).strip())
        return True

    # ==============================================================================================
    # Start, re-seed
    # ==============================================================================================
    def _fit_k(self):
        """Lower K (with a message) when the data has fewer distinct points than K."""
        if self.n_components <= self.n_distinct:
            return ""
        K = max(self.n_distinct, 1)
        note = narration.k_lowered(self.n_components, K)
        self._quiet = True
        try:
            self.n_components = K
        finally:
            self._quiet = False
        return note

    def reset(self):
        """Start EM again from ``init`` and ``seed``: the history restarts, phase E."""
        note = self._fit_k()
        try:
            start = self._initial(self.seed)
        except (ValueError, np.linalg.LinAlgError) as exc:
            # An init the engine cannot build on this data: fall back to k-means++ and say so.
            start = self._initial(self.seed, init="k-means++")
            note = (note + " " + narration.init_failed(self.init, exc)).strip()
        origin = narration.origin_init(self.init, self.seed, self.mode)
        self._start(start, origin=origin, message=note)
        return True

    def move_means(self, means):
        """Re-seed EM at the given means (shape (K, 2), e.g. dropped handles): history restarts."""
        means = np.asarray(means, dtype=float)
        if means.shape != (self.n_components, 2) or not np.all(np.isfinite(means)):
            self._publish(message=narration.bad_means(means.shape, self.n_components))
            return False
        start = em.initial_mixture(self.X, self.n_components, covariance_type=self._cov_type(),
                                   reg_covar=self.reg_covar, means_init=means,
                                   rng=np.random.default_rng(self.seed))
        self._start(start, origin=narration.origin_dragged(self.mode))
        return True

    def move_mean(self, k, xy):
        """Move mean ``k`` (0-based) to ``xy`` and re-seed EM from the current means."""
        if not (isinstance(k, (int, np.integer)) and 0 <= k < self.n_components):
            self._publish(message=narration.bad_index(k, self.n_components, "component"))
            return False
        means = np.array(self.mixture.means, dtype=float)
        means[k] = np.asarray(xy, dtype=float).reshape(2)
        return self.move_means(means)

    def _cov_type(self):
        return "spherical" if self.mode == "kmeans" else self.covariance_type

    def _start(self, start, origin, message=""):
        previous_mode = self._records[0].mode if self._records else self.mode
        self._begin(start)
        self._origin = origin
        self._mode_switched = previous_mode != self.mode
        self._publish_history(message=message, playing=False)

    def _begin(self, start):
        """Make ``start`` the first record (no publishing)."""
        if self.mode == "kmeans":
            start = self._as_kmeans(start)
        X, K = self.X, start.n_components
        # Nothing is assigned yet: every point is shared equally (drawn in the blend of all
        # colours).
        resp = np.full((len(X), K), 1.0 / K)
        ll = em.log_likelihood(X, start)
        elbo = em.lower_bound(X, resp, start) if self.mode == "em" else ll
        self._next_resp = None
        self._records, self._resps, self._labels = [], [], []
        self._push(HalfStep("init", 0, start, ll, elbo, None, False, (), self.mode, 0), resp,
                   np.zeros(len(X), dtype=int))

    def _initial(self, seed, init=None):
        """The start mixture of ``init`` (default: the setting) from ``seed``."""
        return em.initial_mixture(self.X, self.n_components, covariance_type=self._cov_type(),
                                  reg_covar=self.reg_covar, init=init or self.init,
                                  rng=np.random.default_rng(seed))

    def _as_kmeans(self, mixture):
        """The k-means view of a mixture: equal weights, one shared spherical variance."""
        K = mixture.n_components
        var = float(np.mean(np.diagonal(mixture.full_covariances(), axis1=1, axis2=2)))
        return em.Mixture(np.full(K, 1.0 / K), np.array(mixture.means), np.full(K, var),
                          "spherical")

    # ==============================================================================================
    # Half-steps
    # ==============================================================================================
    @property
    def can_e_step(self):
        """True when an E-step is the next half-step and nothing has collapsed."""
        return self.phase == "E" and not self.collapse

    @property
    def can_m_step(self):
        """True when an M-step is the next half-step and nothing has collapsed."""
        return self.phase == "M" and not self.collapse

    def e_step(self):
        """Recompute every point's responsibilities from the current mixture.  False if refused."""
        if self.collapse:
            self._publish(message=narration.blocked_by_collapse(self.collapse))
            return False
        if self.phase != "E":
            self._publish(message=narration.wrong_order("E"))
            return False
        self._do_e_step()
        self._publish_history()
        return True

    def m_step(self):
        """Refit weights, means and covariances to the responsibilities.  False if refused."""
        if self.collapse:
            self._publish(message=narration.blocked_by_collapse(self.collapse))
            return False
        if self.phase != "M":
            self._publish(message=narration.wrong_order("M"))
            return False
        ok = self._do_m_step()
        self._publish_history(message="" if ok else self.message)
        return ok

    def step(self):
        """One whole iteration: E-step then M-step (or just the pending M-step)."""
        if self.collapse:
            self._publish(message=narration.blocked_by_collapse(self.collapse))
            return False
        if self.phase == "E":
            self._do_e_step()
        self._do_m_step()
        self._publish_history()
        return True

    def back(self):
        """Undo the last half-step.  False (with a message) at the start."""
        if len(self._records) <= 1:
            self._publish(message=narration.at_start())
            return False
        self._pop()
        self._publish_history(playing=False)
        return True

    def run(self, max_iter=200):
        """Take half-steps until converged or collapsed (at most ``max_iter`` iterations)."""
        if self.collapse:
            self._publish(message=narration.blocked_by_collapse(self.collapse))
            return False
        if self.converged and self.phase == "E":
            self._publish(message=narration.already_converged(self.iteration))
            return False
        for _ in range(int(max_iter)):
            if self._records[-1].kind != "E":
                self._do_e_step()
            self._do_m_step()
            last = self._records[-1]
            if last.collapse or last.converged:
                break
        note = "" if (last.converged or last.collapse) else narration.not_converged(max_iter)
        self._publish_history(message=note, playing=False)
        return True

    def play(self):
        """Start Play (the view's timer calls ``tick()``); refused when converged or collapsed."""
        if self.collapse:
            self._publish(message=narration.blocked_by_collapse(self.collapse))
            return False
        if self.converged and self.phase == "E":
            self._publish(message=narration.already_converged(self.iteration))
            return False
        self._publish(playing=True, message="")
        return True

    def pause(self):
        """Stop Play."""
        self._publish(playing=False)
        return True

    def tick(self):
        """One half-step of Play; pauses at convergence or collapse.  False when not playing."""
        if not self.playing:
            return False
        ok = self.e_step() if self.phase == "E" else self.m_step()
        if not ok or self.collapse or (self.converged and self.phase == "E"):
            self._publish(playing=False)
        return ok

    # ---- the work of one half-step (no publishing) ----------------------------------------------
    def _do_e_step(self):
        X, prev = self.X, self._records[-1]
        mixture = prev.mixture
        kmeans = self.mode == "kmeans"
        if kmeans:
            resp, inertia = em.kmeans_e_step(X, mixture)
            ll = prev.log_likelihood
        elif self._next_resp is not None and self._next_resp[0] is mixture:
            _, resp, ll = self._next_resp          # already computed by the M-step
            inertia = None
        else:
            resp, ll = em.e_step(X, mixture)
            inertia = None
        labels = np.argmax(resp, axis=1)
        changed = (int(np.count_nonzero(labels != self._labels[-1])) if prev.kind != "init"
                   else len(X))
        # After an E-step q equals the posterior, so the ELBO equals the log-likelihood (Neal &
        # Hinton 1998); em.lower_bound would return the same number at the cost of another pass.
        record = HalfStep("E", prev.iteration + 1, mixture, ll, ll,
                          float(inertia) if kmeans else None, prev.converged, (), self.mode,
                          changed)
        self._push(record, resp, labels)

    def _do_m_step(self):
        X, prev = self.X, self._records[-1]
        resp = self._resps[-1]
        try:
            if self.mode == "kmeans":
                mixture = em.kmeans_m_step(X, resp, previous_means=prev.mixture.means,
                                           reg_covar=self.reg_covar)
                labels = self._labels[-1]
                inertia = float(np.sum((X - mixture.means[labels]) ** 2))
                ll = em.log_likelihood(X, mixture)
                elbo = ll
                events = starved = ()
                # Lloyd's algorithm has converged when an assignment step moved no point: this
                # update then reproduces the previous means exactly.
                converged = prev.changed == 0 and prev.iteration > 1
            else:
                mixture = em.m_step(X, resp, covariance_type=self.covariance_type,
                                    reg_covar=self.reg_covar)
                next_resp, ll, elbo = em.e_step_and_lower_bound(X, mixture, resp)
                self._next_resp = (mixture, next_resp, ll)
                inertia = None
                events, starved = self._judge_collapse(em.detect_collapse(X, mixture, resp))
                before = self._previous_ll()
                converged = abs(ll - before) / len(X) < self.tol
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            # The engine reports collapse as events; anything it still cannot represent is a
            # collapse too, shown the same way instead of a crash.
            event = self._failed_m_step_event(resp, exc)
            mixture, ll, elbo, inertia, events, starved, converged = (
                prev.mixture, prev.log_likelihood, prev.lower_bound, prev.inertia, (event,), (),
                False)
        record = HalfStep("M", prev.iteration, mixture, float(ll), float(elbo), inertia,
                          bool(converged) and not events, events, self.mode, 0, starved)
        self._push(record, resp, self._labels[-1])
        return True

    @staticmethod
    def _judge_collapse(found):
        """Split the engine's events into collapses (EM cannot go on) and starving components."""
        collapses = tuple(e for e in found if e.kind == "singular")
        starved = tuple(e for e in found if e.kind == "starved")
        return collapses, starved

    def _previous_ll(self, j=None):
        """Log-likelihood at the end of the iteration before record ``j`` (default: the last)."""
        j = len(self._records) - 1 if j is None else j
        for record in reversed(self._records[:j]):
            if record.kind in ("M", "init"):
                return record.log_likelihood
        return self._records[0].log_likelihood

    def _failed_m_step_event(self, resp, exc):
        nk = resp.sum(0)
        k = int(np.argmin(nk))
        return em.CollapseEvent(component=k, kind="singular", reason=str(exc),
                                min_variance=0.0, nk=float(nk[k]), relative_variance=0.0,
                                onto="point")

    # ---- history bookkeeping --------------------------------------------------------------------
    # The records live in self._records while an action runs (run() takes hundreds of half-steps);
    # the ``history`` parameter is set once, at the end, by _publish_history.  Responsibilities are
    # kept only for the last few records (memory: 6 MB each at N = 50,000, K = 15) and recomputed
    # from their record when back() reaches an older one.
    _KEEP_RESP = 4

    def _push(self, record, resp, labels):
        resp = np.asarray(resp)
        resp.setflags(write=False)
        labels.setflags(write=False)
        self._records.append(record)
        self._resps.append(resp)
        self._labels.append(labels)
        if len(self._resps) > self._KEEP_RESP:
            self._resps[-self._KEEP_RESP - 1] = self._labels[-self._KEEP_RESP - 1] = None

    def _pop(self):
        self._records.pop()
        self._resps.pop()
        self._labels.pop()
        if self._resps[-1] is None:
            resp = self._resp_of(len(self._records) - 1)
            resp.setflags(write=False)
            labels = (np.zeros(len(self.X), dtype=int) if self._records[-1].kind == "init"
                      else np.argmax(resp, axis=1))
            labels.setflags(write=False)
            self._resps[-1], self._labels[-1] = resp, labels

    def _resp_of(self, j):
        """Responsibilities of record ``j``, recomputed: they are a pure function of the records."""
        record = self._records[j]
        if record.kind == "init":
            K = record.mixture.n_components
            return np.full((len(self.X), K), 1.0 / K)
        if record.kind == "M":                       # the M-step kept the E-step's responsibilities
            return self._resp_of(j - 1)
        if record.mode == "kmeans":
            return em.kmeans_e_step(self.X, record.mixture)[0]
        return em.e_step(self.X, record.mixture)[0]

    def _publish_history(self, message="", **extra):
        """Derive every state parameter from the last record and announce them in one event."""
        records = self._records
        last = records[-1]
        previous = records[-2] if len(records) > 1 else None
        resp = self._resps[-1]
        self._cache = {}
        phase = "M" if last.kind == "E" else "E"
        collapse = tuple(last.collapse)
        cov_type = self._cov_type()
        text = narration.narrate(last, previous, phase=phase, n_points=len(self.X), resp=resp,
                                 labels=self._labels[-1],
                                 origin=self._origin, covariance_type=cov_type,
                                 reg_covar=self.reg_covar, mode_switched=self._mode_switched)
        # The banner names every component that collapsed at this half-step.
        banner = (narration.collapse_banner(collapse, last.mixture, self.reg_covar,
                                            self.n_components)
                  if collapse else "")
        self._publish(mixture=last.mixture, resp=resp, phase=phase, iteration=last.iteration,
                      converged=last.converged, collapse=collapse, collapse_banner=banner,
                      narration=text, equation=narration.equation(phase, self.mode, cov_type),
                      message=message, history=tuple(records), **extra)

    def _publish(self, **values):
        """Set state parameters in one batched event and bump ``version``.

        Leaner than ``param.edit_constant`` + ``param.update`` (on every half-step): those
        unlock and read back all ~50 parameters, a third of the publish in WebAssembly; this
        unlocks only the ones set and keeps no values to restore."""
        values["version"] = self.version + 1
        parameters = [self.param[name] for name in values]
        locked = [p.constant for p in parameters]
        try:
            for p in parameters:
                p.constant = False
            with param.parameterized.batch_call_watchers(self):
                for name, value in values.items():
                    setattr(self, name, value)
        finally:
            for p, constant in zip(parameters, locked):
                p.constant = constant

    # ==============================================================================================
    # Display helpers (cached per half-step)
    # ==============================================================================================
    def _cached(self, key, compute):
        if key not in self._cache:
            value = compute()
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            self._cache[key] = value
        return self._cache[key]

    def display_resp(self):
        """Responsibilities to colour by, shape (n, K): see the module docstring for which ones."""
        return self.resp

    def labels(self):
        """Hard labels (most responsible component, 0-based) of the displayed responsibilities."""
        return self._labels[-1]

    def uncertainty(self):
        """1 - max responsibility per point, in [0, 1 - 1/K]: 0 means certain."""
        return self._cached("uncertainty", lambda: 1.0 - self._max_resp())

    def _max_resp(self):
        # Gather at the cached labels: one pass over n instead of a max over (n, K).
        return self._resps[-1][np.arange(len(self.X)), self._labels[-1]]

    def outlier_mask(self):
        """True for points outside every component's 99.7% ellipse (low density under each)."""
        return self._cached("outliers", self._compute_outliers)

    def _compute_outliers(self):
        covs = self.mixture.full_covariances()
        x, y = self.X[:, 0], self.X[:, 1]
        nearest = np.full(len(self.X), np.inf)
        # One component at a time keeps every temporary at n floats (not n * K * 2).
        for (mx, my), ((a, b), (_, d)) in zip(self.mixture.means, covs):
            det = max(a * d - b * b, np.finfo(float).tiny)
            dx, dy = x - mx, y - my
            # Squared Mahalanobis distance through the closed-form inverse of a 2x2 matrix.
            np.minimum(nearest, (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det, out=nearest)
        return nearest > OUTLIER_D2

    def point_info(self, index):
        """index, x, y, resp (K floats) and label for the inspect table; None if out of range."""
        if not (isinstance(index, (int, np.integer)) and 0 <= index < len(self.X)):
            return None
        r = self.resp[index]
        return {"index": int(index), "x": float(self.X[index, 0]), "y": float(self.X[index, 1]),
                "resp": [float(v) for v in r], "label": int(np.argmax(r))}

    def current_log_likelihood(self):
        """Total log-likelihood of the current mixture (finite)."""
        return float(self._records[-1].log_likelihood)

    def current_lower_bound(self):
        """ELBO of the current (responsibilities, mixture) pair (finite)."""
        return float(self._records[-1].lower_bound)

    def current_inertia(self):
        """k-means inertia of the current half-step, or None (EM mode or nothing assigned yet)."""
        return self._records[-1].inertia

    def trace(self):
        """Columns for the log-likelihood plot, one row per half-step (numpy arrays, all finite).

        Keys: ``step`` (0, 1, 2, ... half-step index), ``kind`` ("init" | "E" | "M"),
        ``iteration``, ``value`` (EM: mean log-likelihood per point; k-means: inertia, rows before
        the first assignment left out), ``lower_bound`` (EM: ELBO per point; k-means: inertia),
        ``converged`` (bool).  ``quantity`` names what ``value`` is.
        """
        return self._cached("trace", self._compute_trace)

    def _compute_trace(self):
        n = len(self.X)
        em_mode = self.mode == "em"  # (read once: a parameter read is not free in WebAssembly)
        rows = [(i, r) for i, r in enumerate(self._records) if em_mode or r.inertia is not None]
        if em_mode:
            value = [r.log_likelihood / n for _, r in rows]
            lower = [r.lower_bound / n for _, r in rows]
        else:
            value = [r.inertia for _, r in rows]
            lower = value
        return {
            "step": np.array([i for i, _ in rows], dtype=int),
            "kind": np.array([r.kind for _, r in rows], dtype=object),
            "iteration": np.array([r.iteration for _, r in rows], dtype=int),
            "value": np.array(value, dtype=float),
            "lower_bound": np.array(lower, dtype=float),
            "converged": np.array([r.converged for _, r in rows], dtype=bool),
            "quantity": "log-likelihood per point" if em_mode else "inertia",
        }

    # ==============================================================================================
    # Collapse preset
    # ==============================================================================================
    def break_it(self):
        """The collapse lesson: collapse-demo data, reg_covar 0, a mean on the isolated point."""
        demo = _collapse_demo_name(self.param.dataset.objects)
        self._quiet = True
        try:
            self.param.update(reg_covar=0.0, mode="em", covariance_type="full")
        finally:
            self._quiet = False
        if demo is not None and self.dataset != demo:
            self.load_dataset(demo)
        X = self.X
        K = max(2, min(self.n_components, self.n_distinct))
        if K != self.n_components:
            self._quiet = True
            try:
                self.n_components = K
            finally:
                self._quiet = False
        hint = self.data_hints.get("isolated_point")
        if hint is not None:        # the data set says where its lone point is
            lonely = int(np.argmin(np.sum((X - np.asarray(hint, dtype=float)) ** 2, axis=1)))
        else:                       # the point farthest from its nearest neighbour
            lonely = int(np.argmax(_nearest_neighbour_distance(X)))
        rng = np.random.default_rng(self.seed)
        others = np.delete(np.arange(len(X)), lonely)
        picks = rng.choice(others, size=K - 1, replace=False) if len(others) >= K - 1 else others
        means = np.vstack([X[lonely], X[picks]])
        self.move_means(means)
        self._publish(message=narration.break_it_started(1, self.data_name))
        return True


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def _nearest_neighbour_distance(X):
    """Distance of each point to its nearest other point, in blocks (O(n^2) time, O(n) memory)."""
    X = np.asarray(X, dtype=float)
    block = max(1, 2_000_000 // max(len(X), 1))
    out = np.empty(len(X))
    for start in range(0, len(X), block):
        chunk = X[start:start + block]
        d2 = np.sum((chunk[:, None, :] - X[None, :, :]) ** 2, axis=2)
        d2[np.arange(len(chunk)), np.arange(start, start + len(chunk))] = np.inf
        out[start:start + block] = np.sqrt(np.min(d2, axis=1)) if len(X) > 1 else 0.0
    return out
