"""Restarts and model selection: the session's explorations beyond one run of EM.

Owns: ``Explorations``, the part of :class:`app.session.Session` that runs EM again and again
without changing what the learner sees until it is done (restarts from other seeds, and one fit
per K for BIC/AIC), and the records they leave: :class:`Restart` and :class:`ModelRow`. Session
inherits it; the methods use the session's own start and half-step machinery (``_begin``,
``_initial``, ``_do_e_step``, ``_do_m_step``, ``_publish``) and its ``restarts``,
``model_selection`` and ``best_k`` parameters. Like the session it owns no maths (app.em) and no
words (app.narration), and imports neither panel nor bokeh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app import em, narration


@dataclass(frozen=True)
class Restart:
    """One restart of ``run_restarts``: ``seed`` reproduces it through ``load_restart``."""

    seed: int
    log_likelihood: float   # final total log-likelihood (EM) of the restart's mixture
    inertia: float | None   # final inertia (k-means mode), else None
    n_iter: int
    converged: bool
    collapsed: bool
    mixture: em.Mixture


@dataclass(frozen=True)
class ModelRow:
    """One row of the model-selection table (lower BIC/AIC is better)."""

    n_components: int
    log_likelihood: float
    bic: float
    aic: float
    n_parameters: int
    converged: bool


class Explorations:
    """Restarts and model selection for a Session (mixed into it: see the module docstring)."""

    def run_restarts(self, n=10, max_iter=200):
        """Run EM from ``n`` seeds (seed, seed+1, ...) to convergence; fills ``restarts``."""
        n = int(max(1, min(n, 100)))
        results = []
        for i in range(n):
            seed = (self.seed + i) % 2**31
            results.append(self._silent_run(seed, max_iter))
        ids = optimum_ids(results, len(self.X), self.mode, self.tol)
        n_optima = int(ids.max()) + 1
        self._publish(restarts=tuple(results), message=narration.restarts_done(results, n_optima))
        return True

    def _silent_run(self, seed, max_iter):
        """Run from ``seed`` with the current settings; a Restart, leaving the state as it was."""
        saved = (self._records, self._resps, self._labels, self._next_resp)
        try:
            self._begin(self._initial(seed))
            for _ in range(max_iter):
                self._do_e_step()
                self._do_m_step()
                last = self._records[-1]
                if last.collapse or last.converged:
                    break
            return Restart(seed, float(last.log_likelihood), last.inertia, last.iteration,
                           last.converged, bool(last.collapse), last.mixture)
        finally:
            self._records, self._resps, self._labels, self._next_resp = saved

    @property
    def n_optima(self):
        """Number of distinct local optima among the restarts (0 before any are run)."""
        return int(self.restart_optima().max()) + 1 if self.restarts else 0

    def restart_optima(self):
        """Optimum of each restart as an int array (0 = the best optimum, 1 = the next, ...).

        EM stops within ``tol`` of an optimum, so restarts whose final log-likelihoods per point
        differ by less than 10 * tol are counted as the same optimum (k-means: equal inertia to
        1e-6 relative).
        """
        return optimum_ids(self.restarts, len(self.X), self.mode, self.tol)

    def load_restart(self, i):
        """Replay restart ``i`` (its seed, run to convergence): its whole path is in the history."""
        if not (isinstance(i, (int, np.integer)) and 0 <= i < len(self.restarts)):
            self._publish(message=narration.bad_restart(i, len(self.restarts)))
            return False
        restarts = self.restarts
        self._quiet = True
        try:
            self.seed = restarts[i].seed
        finally:
            self._quiet = False
        self.reset()
        self.run()
        self._publish(restarts=restarts, message=narration.restart_loaded(i, restarts[i]))
        return True

    def compute_model_selection(self, k_max=10):
        """BIC and AIC for K = 1..k_max (at most the number of distinct points); sets ``best_k``."""
        k_max = int(min(max(k_max, 1), self.param.n_components.bounds[1], self.n_distinct))
        # A collapsed fit has an unbounded likelihood and would always "win": keep reg_covar > 0.
        reg = max(self.reg_covar, 1e-6)
        rows = []
        for K in range(1, k_max + 1):
            try:
                result = em.fit(self.X, K, covariance_type=self.covariance_type, reg_covar=reg,
                                tol=self.tol, max_iter=200, init=self.init, seed=self.seed)
            except (ValueError, np.linalg.LinAlgError):
                continue
            m = result.mixture
            rows.append(ModelRow(K, float(result.log_likelihood), float(em.bic(self.X, m)),
                                 float(em.aic(self.X, m)), int(em.n_parameters(m)),
                                 bool(result.converged)))
        best = min(rows, key=lambda r: r.bic).n_components if rows else None
        self._publish(model_selection=tuple(rows), best_k=best,
                      message=narration.model_selection_done(rows, best, reg, self.reg_covar))
        return True


def optimum_ids(restarts, n_points, mode, tol):
    """Group restarts by final value (see ``Explorations.restart_optima``); 0 is the best group."""
    if not restarts:
        return np.zeros(0, dtype=int)
    if mode == "kmeans":
        badness = np.array([r.inertia for r in restarts], dtype=float) / n_points
    else:
        badness = -np.array([r.log_likelihood for r in restarts], dtype=float) / n_points
    order = np.argsort(badness, kind="stable")
    ids = np.empty(len(restarts), dtype=int)
    group, first = 0, badness[order[0]]
    for i in order:
        gap = badness[i] - first
        limit = 1e-6 * max(abs(first), 1e-12) if mode == "kmeans" else max(10 * tol, 1e-9)
        if gap > limit:             # a new, worse optimum starts here
            group, first = group + 1, badness[i]
        ids[i] = group
    return ids
